/*
 * model_fixture.c: containers and models built from text; see
 * model_fixture.h.
 */
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>

#include "model_fixture.h"

struct in_addr
ip4(const char *s)
{
	struct in_addr a;

	ck_assert_msg(inet_pton(AF_INET, s, &a) == 1, "bad test address %s", s);
	return a;
}

struct in6_addr
ip6(const char *s)
{
	struct in6_addr a;

	ck_assert_msg(inet_pton(AF_INET6, s, &a) == 1, "bad test address %s",
	    s);
	return a;
}

/* mkc: a container with a name, a bridge, a v4 address and a state. */
struct icc_container *
mkc(const char *name, const char *bridge, const char *addr, bool running)
{
	struct icc_container *c = container_new();

	ck_assert_ptr_nonnull(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
	c->ip4 = ip4(addr);
	c->running = running;
	return c;
}

void
mklink(struct icc_container *c, const char *source, const char *alias)
{
	ck_assert_int_eq(container_add_link(c, source, alias), 0);
}

void
put(struct icc_model *m, struct icc_container *c)
{
	ck_assert_int_eq(model_put(m, c), 0);
}

/* copy_of: a deep copy of `name`, to change and model_put back. */
struct icc_container *
copy_of(const struct icc_model *m, const char *name)
{
	const struct icc_container *c = model_find(m, name);
	struct icc_container *d;

	ck_assert_ptr_nonnull(c);
	d = container_dup(c);
	ck_assert_ptr_nonnull(d);
	return d;
}
