/*
 * check_container.c: one container of model.c: its links and env, deep
 * copies (container_dup), and the rule that decides whether a link is
 * active.  The model's indexes are check_model.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_fixture.h"
#include "suites.h"

/* ---- links -------------------------------------------------------------- */

START_TEST(test_add_link)
{
	struct icc_container *c = container_new();
	char src[16], alias[16];

	ck_assert_int_eq(container_add_link(c, "db", "db"), 0);
	ck_assert_int_eq(container_add_link(c, "db", "database"), 0);
	ck_assert_uint_eq(c->nlinks, 2);

	/* The same pair again: nothing. */
	ck_assert_int_eq(container_add_link(c, "db", "db"), 0);
	ck_assert_uint_eq(c->nlinks, 2);

	/* An alias in use for another source. */
	errno = 0;
	ck_assert_int_eq(container_add_link(c, "cache", "db"), -1);
	ck_assert_int_eq(errno, EEXIST);
	errno = 0;
	ck_assert_int_eq(container_add_link(c, "cache", "database"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_uint_eq(c->nlinks, 2);
	ck_assert_str_eq(c->links[0].source, "db");
	ck_assert_str_eq(c->links[0].alias, "db");
	ck_assert_str_eq(c->links[1].source, "db");
	ck_assert_str_eq(c->links[1].alias, "database");

	/* Up to the limit, then E2BIG. */
	for (int i = 2; i < ICC_MAX_LINKS; i++) {
		snprintf(src, sizeof(src), "s%d", i % 7);
		snprintf(alias, sizeof(alias), "a%d", i);
		ck_assert_int_eq(container_add_link(c, src, alias), 0);
	}
	ck_assert_uint_eq(c->nlinks, ICC_MAX_LINKS);
	errno = 0;
	ck_assert_int_eq(container_add_link(c, "db", "one-more"), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(c->nlinks, ICC_MAX_LINKS);
	/* At the limit, a repeat is still a no-op and a clash still EEXIST. */
	ck_assert_int_eq(container_add_link(c, "db", "db"), 0);
	errno = 0;
	ck_assert_int_eq(container_add_link(c, "x", "db"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_uint_eq(c->nlinks, ICC_MAX_LINKS);
	ck_assert_str_eq(c->links[ICC_MAX_LINKS - 1].alias, "a255");
	ck_assert_str_eq(c->links[ICC_MAX_LINKS - 1].source, "s3");

	/* One removed makes room again. */
	ck_assert_int_eq(container_del_link(c, "a100"), 0);
	ck_assert_int_eq(container_add_link(c, "db", "one-more"), 0);
	ck_assert_uint_eq(c->nlinks, ICC_MAX_LINKS);
	container_free(c);
}
END_TEST

START_TEST(test_del_link)
{
	struct icc_container *c = container_new();

	errno = 0;
	ck_assert_int_eq(container_del_link(c, "db"), -1);
	ck_assert_int_eq(errno, ENOENT);

	mklink(c, "db", "database");
	mklink(c, "cache", "cache");
	mklink(c, "queue", "q");
	/* By alias, not by source. */
	errno = 0;
	ck_assert_int_eq(container_del_link(c, "db"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(c->nlinks, 3);

	/* The middle one; the others keep their order. */
	ck_assert_int_eq(container_del_link(c, "cache"), 0);
	ck_assert_uint_eq(c->nlinks, 2);
	ck_assert_str_eq(c->links[0].alias, "database");
	ck_assert_str_eq(c->links[0].source, "db");
	ck_assert_str_eq(c->links[1].alias, "q");
	ck_assert_str_eq(c->links[1].source, "queue");
	errno = 0;
	ck_assert_int_eq(container_del_link(c, "cache"), -1);
	ck_assert_int_eq(errno, ENOENT);

	ck_assert_int_eq(container_del_link(c, "q"), 0);
	ck_assert_int_eq(container_del_link(c, "database"), 0);
	ck_assert_uint_eq(c->nlinks, 0);
	errno = 0;
	ck_assert_int_eq(container_del_link(c, "database"), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* The alias is free again for another source. */
	mklink(c, "other", "database");
	ck_assert_str_eq(c->links[0].source, "other");
	container_free(c);
}
END_TEST

/* ---- env ---------------------------------------------------------------- */

START_TEST(test_add_env)
{
	struct icc_container *c = container_new();
	char kv[32];

	ck_assert_int_eq(container_add_env(c, "A=1"), 0);
	ck_assert_int_eq(container_add_env(c, "B=2"), 0);
	ck_assert_int_eq(container_add_env(c, "AB=x"), 0);
	ck_assert_int_eq(container_add_env(c, "C="), 0);
	ck_assert_uint_eq(c->nenv, 4);

	/* The same key replaces in place; prefixes are other keys. */
	ck_assert_int_eq(container_add_env(c, "A=3=4"), 0);
	ck_assert_int_eq(container_add_env(c, "C=now"), 0);
	ck_assert_uint_eq(c->nenv, 4);
	ck_assert_str_eq(c->env[0], "A=3=4");
	ck_assert_str_eq(c->env[1], "B=2");
	ck_assert_str_eq(c->env[2], "AB=x");
	ck_assert_str_eq(c->env[3], "C=now");

	/* A copy is kept. */
	snprintf(kv, sizeof(kv), "D=5");
	ck_assert_int_eq(container_add_env(c, kv), 0);
	kv[2] = '6';
	ck_assert_str_eq(c->env[4], "D=5");

	/* The limit: new keys refused, known keys still replaced. */
	for (int i = (int)c->nenv; i < ICC_MAX_ENV; i++) {
		snprintf(kv, sizeof(kv), "K%d=%d", i, i);
		ck_assert_int_eq(container_add_env(c, kv), 0);
	}
	ck_assert_uint_eq(c->nenv, ICC_MAX_ENV);
	errno = 0;
	ck_assert_int_eq(container_add_env(c, "NEW=1"), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(c->nenv, ICC_MAX_ENV);
	ck_assert_int_eq(container_add_env(c, "B=again"), 0);
	ck_assert_uint_eq(c->nenv, ICC_MAX_ENV);
	ck_assert_str_eq(c->env[1], "B=again");
	ck_assert_str_eq(c->env[ICC_MAX_ENV - 1], "K255=255");
	container_free(c);
}
END_TEST

/* ---- container_dup ----------------------------------------------------- */

/* expect_ports: field by field (struct icc_ports has a padding byte). */
static void
expect_ports(const struct icc_ports *got, const struct icc_ports *want,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].first, want[i].first);
		ck_assert_uint_eq(got[i].last, want[i].last);
		ck_assert_uint_eq(got[i].proto, want[i].proto);
	}
}

START_TEST(test_dup)
{
	struct icc_container *c = container_new(), *d, *e;
	struct icc_ports p[2] = {
		{ 3306, 3306, IPPROTO_TCP }, { 7000, 7999, IPPROTO_UDP }
	};

	snprintf(c->name, sizeof(c->name), "db");
	snprintf(c->id, sizeof(c->id), "0123abcd");
	snprintf(c->hostname, sizeof(c->hostname), "db.local");
	snprintf(c->bridge, sizeof(c->bridge), "docker0");
	c->running = true;
	c->ip4 = ip4("172.17.0.2");
	c->has_ip6 = true;
	c->ip6 = ip6("fd00::2");
	c->ports = malloc(sizeof(p));
	ck_assert_ptr_nonnull(c->ports);
	memcpy(c->ports, p, sizeof(p));
	c->nports = 2;
	mklink(c, "cache", "cache");
	mklink(c, "queue", "q");
	ck_assert_int_eq(container_add_env(c, "A=1"), 0);
	ck_assert_int_eq(container_add_env(c, "B=2"), 0);

	d = container_dup(c);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_ne(d, c);
	ck_assert_str_eq(d->name, "db");
	ck_assert_str_eq(d->id, "0123abcd");
	ck_assert_str_eq(d->hostname, "db.local");
	ck_assert_str_eq(d->bridge, "docker0");
	ck_assert(d->running);
	ck_assert_uint_eq(d->ip4.s_addr, c->ip4.s_addr);
	ck_assert(d->has_ip6);
	ck_assert_mem_eq(&d->ip6, &c->ip6, sizeof(d->ip6));
	ck_assert_uint_eq(d->nports, 2);
	ck_assert_ptr_ne(d->ports, c->ports);
	expect_ports(d->ports, p, 2);
	ck_assert_uint_eq(d->nlinks, 2);
	ck_assert_ptr_ne(d->links, c->links);
	ck_assert_str_eq(d->links[1].source, "queue");
	ck_assert_str_eq(d->links[1].alias, "q");
	ck_assert_uint_eq(d->nenv, 2);
	ck_assert_ptr_ne(d->env, c->env);
	ck_assert_ptr_ne(d->env[0], c->env[0]);
	ck_assert_str_eq(d->env[0], "A=1");
	ck_assert_str_eq(d->env[1], "B=2");

	/* Change the copy every way: the original does not move. */
	d->ports[0].first = d->ports[0].last = 1;
	d->links[0].alias[0] = 'X';
	d->env[1][0] = 'Z';
	mklink(d, "extra", "extra");
	ck_assert_int_eq(container_del_link(d, "q"), 0);
	ck_assert_int_eq(container_add_env(d, "A=changed"), 0);
	ck_assert_int_eq(container_add_env(d, "N=new"), 0);
	d->name[0] = 'X';
	d->running = false;

	ck_assert_str_eq(c->name, "db");
	ck_assert(c->running);
	ck_assert_uint_eq(c->nports, 2);
	expect_ports(c->ports, p, 2);
	ck_assert_uint_eq(c->nlinks, 2);
	ck_assert_str_eq(c->links[0].alias, "cache");
	ck_assert_str_eq(c->links[1].alias, "q");
	ck_assert_uint_eq(c->nenv, 2);
	ck_assert_str_eq(c->env[0], "A=1");
	ck_assert_str_eq(c->env[1], "B=2");

	/* And the other way round: the copy outlives its original. */
	e = container_dup(c);
	ck_assert_ptr_nonnull(e);
	container_free(c);
	ck_assert_str_eq(e->env[1], "B=2");
	ck_assert_str_eq(e->links[1].source, "queue");
	ck_assert_uint_eq(e->ports[1].last, 7999);
	container_free(e);
	container_free(d);

	/* An empty container copies too. */
	c = container_new();
	d = container_dup(c);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->nports + d->nlinks + d->nenv, 0);
	ck_assert_int_eq(container_add_env(d, "A=1"), 0);
	mklink(d, "db", "db");
	ck_assert_uint_eq(c->nenv + c->nlinks, 0);
	container_free(c);
	container_free(d);
}
END_TEST

/* ---- link_active ------------------------------------------------------- */

struct acase {
	const char	*recv;
	const char	*source;
	bool		 active;
};

START_TEST(test_link_active)
{
	static const struct acase cases[] = {
		{ "web", "db", true },		/* both running, same bridge */
		{ "db", "web", true },		/* either way round */
		{ "web", "off", false },	/* source stopped */
		{ "sleepy", "db", false },	/* receiver stopped */
		{ "sleepy", "off", false },	/* both stopped */
		{ "web", "far", false },	/* other bridge */
		{ "far", "web", false },
		{ "far", "far2", true },	/* same other bridge */
		{ "web", "ghost", false },	/* no such source */
		{ "web", "web", false },	/* itself */
	};
	struct icc_model *m = model_new(true);
	struct icc_container *c;
	struct icc_link l;

	put(m, mkc("web", "docker0", "172.17.0.3", true));
	put(m, mkc("db", "docker0", "172.17.0.2", true));
	put(m, mkc("off", "docker0", "172.17.0.4", false));
	put(m, mkc("sleepy", "docker0", "172.17.0.5", false));
	put(m, mkc("far", "br1", "10.1.0.2", true));
	put(m, mkc("far2", "br1", "10.1.0.3", true));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&l, 0, sizeof(l));
		snprintf(l.source, sizeof(l.source), "%s", cases[i].source);
		snprintf(l.alias, sizeof(l.alias), "alias");
		c = model_find(m, cases[i].recv);
		ck_assert_msg(link_active(m, c, &l) == cases[i].active,
		    "case %zu %s -> %s: not %s", i,
		    cases[i].recv, cases[i].source,
		    cases[i].active ? "active" : "pending");
	}

	/* It follows the model. */
	memset(&l, 0, sizeof(l));
	snprintf(l.source, sizeof(l.source), "off");
	c = model_find(m, "web");
	ck_assert(!link_active(m, c, &l));
	ck_assert_int_eq(model_set_running(m, "off", true), 0);
	ck_assert(link_active(m, c, &l));
	c = copy_of(m, "off");
	snprintf(c->bridge, sizeof(c->bridge), "br1");
	put(m, c);
	ck_assert(!link_active(m, model_find(m, "web"), &l));
	container_free(model_take(m, "off"));
	ck_assert(!link_active(m, model_find(m, "web"), &l));
	snprintf(l.source, sizeof(l.source), "ghost");
	put(m, mkc("ghost", "docker0", "172.17.0.7", true));
	ck_assert(link_active(m, model_find(m, "web"), &l));
	model_free(m);
}
END_TEST

Suite *
container_suite(void)
{
	Suite *s = suite_create("container");
	TCase *tc;

	tc = tcase_create("container");
	tcase_add_test(tc, test_add_link);
	tcase_add_test(tc, test_del_link);
	tcase_add_test(tc, test_add_env);
	tcase_add_test(tc, test_dup);
	tcase_add_test(tc, test_link_active);
	suite_add_tcase(s, tc);

	return s;
}
