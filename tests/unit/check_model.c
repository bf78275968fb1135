/*
 * check_model.c: the declared world of model.c: containers stored, found,
 * replaced and taken; the source index behind model_receivers; the address
 * index behind model_holder4/6; bridges; links, env and deep copies; and
 * the rule that decides whether a link is active.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "suites.h"

/* ---- helpers ------------------------------------------------------------ */

static struct in_addr
ip4(const char *s)
{
	struct in_addr a;

	ck_assert_msg(inet_pton(AF_INET, s, &a) == 1, "bad test address %s", s);
	return a;
}

static struct in6_addr
ip6(const char *s)
{
	struct in6_addr a;

	ck_assert_msg(inet_pton(AF_INET6, s, &a) == 1, "bad test address %s",
	    s);
	return a;
}

/* mkc: a container with a name, a bridge, a v4 address and a state. */
static struct icc_container *
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

static void
mklink(struct icc_container *c, const char *source, const char *alias)
{
	ck_assert_int_eq(container_add_link(c, source, alias), 0);
}

static void
put(struct icc_model *m, struct icc_container *c)
{
	ck_assert_int_eq(model_put(m, c), 0);
}

/* A comma-separated list of names, filled by the iteration callbacks. */
struct names {
	char	buf[4096];
	int	calls;
	int	stop_at;	/* return 7 on this call (1-based); 0: never */
};

static int
names_add(struct names *nl, const char *name)
{
	size_t len = strlen(nl->buf);

	snprintf(nl->buf + len, sizeof(nl->buf) - len, "%s%s",
	    len ? "," : "", name);
	return ++nl->calls == nl->stop_at ? 7 : 0;
}

static int
names_cb(const struct icc_container *c, void *arg)
{
	return names_add(arg, c->name);
}

static int
bridge_names_cb(const struct icc_bridge *b, void *arg)
{
	return names_add(arg, b->name);
}

/* receivers: model_receivers(source) as "a,b,c". */
static const char *
receivers(const struct icc_model *m, const char *source)
{
	static struct names nl;

	memset(&nl, 0, sizeof(nl));
	ck_assert_int_eq(model_receivers(m, source, names_cb, &nl), 0);
	return nl.buf;
}

/* copy_of: a deep copy of `name`, to change and model_put back. */
static struct icc_container *
copy_of(const struct icc_model *m, const char *name)
{
	const struct icc_container *c = model_find(m, name);
	struct icc_container *d;

	ck_assert_ptr_nonnull(c);
	d = container_dup(c);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* ---- put, find, take, replace ------------------------------------------ */

START_TEST(test_put_find_take)
{
	struct icc_model *m = model_new(true);
	struct icc_container *web, *db, *c;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(model_count(m), 0);
	ck_assert_ptr_null(model_find(m, "web"));
	ck_assert_ptr_null(model_take(m, "web"));

	web = mkc("web", "docker0", "172.17.0.3", true);
	db = mkc("db", "docker0", "172.17.0.2", true);
	put(m, web);
	put(m, db);
	ck_assert_uint_eq(model_count(m), 2);
	ck_assert_ptr_eq(model_find(m, "web"), web);
	ck_assert_ptr_eq(model_find(m, "db"), db);
	ck_assert_ptr_null(model_find(m, "we"));
	ck_assert_ptr_null(model_find(m, "webx"));

	c = model_take(m, "web");
	ck_assert_ptr_eq(c, web);
	ck_assert_uint_eq(model_count(m), 1);
	ck_assert_ptr_null(model_find(m, "web"));
	ck_assert_ptr_null(model_take(m, "web"));
	ck_assert_ptr_eq(model_find(m, "db"), db);
	/* The caller owns what it took. */
	ck_assert_str_eq(c->name, "web");
	container_free(c);

	/* Taken and put back. */
	put(m, mkc("web", "docker0", "172.17.0.3", true));
	ck_assert_uint_eq(model_count(m), 2);
	model_free(m);
}
END_TEST

START_TEST(test_put_replace)
{
	struct icc_model *m = model_new(true);
	struct icc_container *a, *b;

	put(m, mkc("web", "docker0", "172.17.0.3", true));
	a = mkc("db", "docker0", "172.17.0.2", true);
	put(m, a);
	b = mkc("db", "docker0", "172.17.0.9", false);
	put(m, b);	/* frees a */
	ck_assert_uint_eq(model_count(m), 2);
	ck_assert_ptr_eq(model_find(m, "db"), b);
	ck_assert(!model_find(m, "db")->running);
	ck_assert_ptr_eq(model_take(m, "db"), b);
	ck_assert_ptr_null(model_find(m, "db"));
	ck_assert_uint_eq(model_count(m), 1);
	container_free(b);
	model_free(m);
}
END_TEST

START_TEST(test_foreach_order)
{
	struct icc_model *m = model_new(true);
	struct names nl;

	memset(&nl, 0, sizeof(nl));
	ck_assert_int_eq(model_foreach(m, names_cb, &nl), 0);
	ck_assert_str_eq(nl.buf, "");

	put(m, mkc("zeta", "docker0", "172.17.0.2", true));
	put(m, mkc("alpha", "docker0", "172.17.0.3", false));
	put(m, mkc("mid", "br1", "10.1.0.2", true));
	put(m, mkc("Mid", "br1", "10.1.0.3", true));
	ck_assert_int_eq(model_foreach(m, names_cb, &nl), 0);
	ck_assert_str_eq(nl.buf, "Mid,alpha,mid,zeta");

	memset(&nl, 0, sizeof(nl));
	nl.stop_at = 2;
	ck_assert_int_eq(model_foreach(m, names_cb, &nl), 7);
	ck_assert_str_eq(nl.buf, "Mid,alpha");
	model_free(m);
}
END_TEST

/* ---- the source index -------------------------------------------------- */

START_TEST(test_receivers_basic)
{
	struct icc_model *m = model_new(true);
	struct icc_container *web, *api;

	put(m, mkc("db", "docker0", "172.17.0.2", true));
	web = mkc("web", "docker0", "172.17.0.3", true);
	mklink(web, "db", "db");
	mklink(web, "cache", "cache");
	put(m, web);
	api = mkc("api", "docker0", "172.17.0.4", true);
	mklink(api, "db", "database");
	put(m, api);

	ck_assert_str_eq(receivers(m, "db"), "api,web");
	ck_assert_str_eq(receivers(m, "cache"), "web");	/* no such container */
	ck_assert_str_eq(receivers(m, "web"), "");
	ck_assert_str_eq(receivers(m, "nobody"), "");
	/* By source name, not alias. */
	ck_assert_str_eq(receivers(m, "database"), "");
	model_free(m);
}
END_TEST

START_TEST(test_receivers_replace)
{
	struct icc_model *m = model_new(true);
	struct icc_container *web, *c;

	put(m, mkc("db", "docker0", "172.17.0.2", true));
	web = mkc("web", "docker0", "172.17.0.3", true);
	mklink(web, "db", "db");
	mklink(web, "cache", "cache");
	put(m, web);

	/* The same links again: listed once, not twice. */
	put(m, copy_of(m, "web"));
	ck_assert_str_eq(receivers(m, "db"), "web");
	ck_assert_str_eq(receivers(m, "cache"), "web");

	/* Drop the link to db. */
	c = copy_of(m, "web");
	ck_assert_int_eq(container_del_link(c, "db"), 0);
	put(m, c);
	ck_assert_str_eq(receivers(m, "db"), "");
	ck_assert_str_eq(receivers(m, "cache"), "web");

	/* Links replaced wholesale by a new container of that name. */
	c = mkc("web", "docker0", "172.17.0.3", true);
	mklink(c, "queue", "q");
	put(m, c);
	ck_assert_str_eq(receivers(m, "db"), "");
	ck_assert_str_eq(receivers(m, "cache"), "");
	ck_assert_str_eq(receivers(m, "queue"), "web");

	/* Back to db, under another alias. */
	c = copy_of(m, "web");
	mklink(c, "db", "database");
	put(m, c);
	ck_assert_str_eq(receivers(m, "db"), "web");
	ck_assert_str_eq(receivers(m, "queue"), "web");

	/* A receiver taken leaves the index; a source taken does not. */
	container_free(model_take(m, "db"));
	ck_assert_str_eq(receivers(m, "db"), "web");
	container_free(model_take(m, "web"));
	ck_assert_str_eq(receivers(m, "db"), "");
	ck_assert_str_eq(receivers(m, "queue"), "");

	/* And put back, it is listed again, once. */
	c = mkc("web", "docker0", "172.17.0.3", true);
	mklink(c, "db", "db");
	put(m, c);
	ck_assert_str_eq(receivers(m, "db"), "web");
	model_free(m);
}
END_TEST

START_TEST(test_receivers_order_once)
{
	struct icc_model *m = model_new(true);
	struct icc_container *c;
	struct names nl;

	put(m, mkc("db", "docker0", "172.17.0.2", true));
	c = mkc("zeta", "docker0", "172.17.0.3", true);
	mklink(c, "db", "db");
	put(m, c);
	c = mkc("alpha", "docker0", "172.17.0.4", false);	/* stopped */
	mklink(c, "db", "db");
	put(m, c);
	c = mkc("mid", "br1", "10.1.0.2", true);	/* other bridge too */
	mklink(c, "db", "db");
	mklink(c, "cache", "cache");
	mklink(c, "db", "database");
	put(m, c);
	c = mkc("beta", "docker0", "172.17.0.5", true);
	mklink(c, "cache", "db");
	put(m, c);

	ck_assert_str_eq(receivers(m, "db"), "alpha,mid,zeta");
	ck_assert_str_eq(receivers(m, "cache"), "beta,mid");

	/* Removing one of mid's two links to db keeps it listed. */
	c = copy_of(m, "mid");
	ck_assert_int_eq(container_del_link(c, "db"), 0);
	put(m, c);
	ck_assert_str_eq(receivers(m, "db"), "alpha,mid,zeta");
	c = copy_of(m, "mid");
	ck_assert_int_eq(container_del_link(c, "database"), 0);
	put(m, c);
	ck_assert_str_eq(receivers(m, "db"), "alpha,zeta");
	ck_assert_str_eq(receivers(m, "cache"), "beta,mid");

	/* Early stop. */
	memset(&nl, 0, sizeof(nl));
	nl.stop_at = 1;
	ck_assert_int_eq(model_receivers(m, "db", names_cb, &nl), 7);
	ck_assert_str_eq(nl.buf, "alpha");
	model_free(m);
}
END_TEST

/* ---- the address index ------------------------------------------------- */

START_TEST(test_holder4)
{
	struct icc_model *m = model_new(true);
	struct icc_container *db, *c;

	db = mkc("db", "docker0", "172.17.0.2", true);
	put(m, db);
	ck_assert_ptr_eq(model_holder4(m, "docker0", ip4("172.17.0.2")), db);
	ck_assert_ptr_null(model_holder4(m, "br1", ip4("172.17.0.2")));
	ck_assert_ptr_null(model_holder4(m, "docker0", ip4("172.17.0.3")));

	/* Stop, start. */
	ck_assert_int_eq(model_set_running(m, "db", false), 0);
	ck_assert(!db->running);
	ck_assert_ptr_null(model_holder4(m, "docker0", ip4("172.17.0.2")));
	ck_assert_int_eq(model_set_running(m, "db", false), 0);
	ck_assert_ptr_null(model_holder4(m, "docker0", ip4("172.17.0.2")));
	ck_assert_int_eq(model_set_running(m, "db", true), 0);
	ck_assert(db->running);
	ck_assert_ptr_eq(model_holder4(m, "docker0", ip4("172.17.0.2")), db);
	ck_assert_int_eq(model_set_running(m, "db", true), 0);
	ck_assert_ptr_eq(model_holder4(m, "docker0", ip4("172.17.0.2")), db);

	errno = 0;
	ck_assert_int_eq(model_set_running(m, "nobody", true), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* An address change through model_put of a modified copy. */
	c = copy_of(m, "db");
	c->ip4 = ip4("172.17.0.9");
	put(m, c);
	ck_assert_ptr_null(model_holder4(m, "docker0", ip4("172.17.0.2")));
	ck_assert_ptr_eq(model_holder4(m, "docker0", ip4("172.17.0.9")), c);

	/* A bridge change. */
	c = copy_of(m, "db");
	snprintf(c->bridge, sizeof(c->bridge), "br1");
	put(m, c);
	ck_assert_ptr_null(model_holder4(m, "docker0", ip4("172.17.0.9")));
	ck_assert_ptr_eq(model_holder4(m, "br1", ip4("172.17.0.9")), c);

	/* Put stopped: not a holder. */
	c = copy_of(m, "db");
	c->running = false;
	put(m, c);
	ck_assert_ptr_null(model_holder4(m, "br1", ip4("172.17.0.9")));
	ck_assert_int_eq(model_set_running(m, "db", true), 0);
	ck_assert_ptr_eq(model_holder4(m, "br1", ip4("172.17.0.9")), c);

	/* Take. */
	ck_assert_ptr_eq(model_take(m, "db"), c);
	ck_assert_ptr_null(model_holder4(m, "br1", ip4("172.17.0.9")));
	container_free(c);

	/* The same address on two bridges: two holders. */
	put(m, mkc("a", "br1", "10.0.0.2", true));
	put(m, mkc("b", "br2", "10.0.0.2", true));
	ck_assert_str_eq(model_holder4(m, "br1", ip4("10.0.0.2"))->name, "a");
	ck_assert_str_eq(model_holder4(m, "br2", ip4("10.0.0.2"))->name, "b");
	model_free(m);
}
END_TEST

START_TEST(test_holder6)
{
	struct icc_model *m = model_new(true);
	struct icc_container *db, *c;
	struct in6_addr a = ip6("fd00::2"), b = ip6("fd00::9");

	db = mkc("db", "docker0", "172.17.0.2", true);
	db->has_ip6 = true;
	db->ip6 = a;
	put(m, db);
	ck_assert_ptr_eq(model_holder6(m, "docker0", &a), db);
	ck_assert_ptr_eq(model_holder4(m, "docker0", ip4("172.17.0.2")), db);
	ck_assert_ptr_null(model_holder6(m, "docker0", &b));
	ck_assert_ptr_null(model_holder6(m, "br1", &a));

	ck_assert_int_eq(model_set_running(m, "db", false), 0);
	ck_assert_ptr_null(model_holder6(m, "docker0", &a));
	ck_assert_int_eq(model_set_running(m, "db", true), 0);
	ck_assert_ptr_eq(model_holder6(m, "docker0", &a), db);

	c = copy_of(m, "db");
	c->ip6 = b;
	put(m, c);
	ck_assert_ptr_null(model_holder6(m, "docker0", &a));
	ck_assert_ptr_eq(model_holder6(m, "docker0", &b), c);

	/* v6 dropped. */
	c = copy_of(m, "db");
	c->has_ip6 = false;
	put(m, c);
	ck_assert_ptr_null(model_holder6(m, "docker0", &b));
	ck_assert_ptr_eq(model_holder4(m, "docker0", ip4("172.17.0.2")), c);

	c = copy_of(m, "db");
	c->has_ip6 = true;
	put(m, c);
	ck_assert_ptr_eq(model_holder6(m, "docker0", &b), c);
	ck_assert_ptr_eq(model_take(m, "db"), c);
	ck_assert_ptr_null(model_holder6(m, "docker0", &b));
	ck_assert_ptr_null(model_holder4(m, "docker0", ip4("172.17.0.2")));
	container_free(c);
	model_free(m);
}
END_TEST

/* ---- bridges ------------------------------------------------------------ */

START_TEST(test_bridges)
{
	struct icc_model *m;
	struct icc_bridge *b;
	struct names nl;

	for (int def = 0; def < 2; def++) {
		m = model_new(def);
		ck_assert_ptr_nonnull(m);
		ck_assert_int_eq(model_default_icc(m), def);
		ck_assert_ptr_null(model_bridge(m, "docker0"));
		put(m, mkc("web", "docker0", "172.17.0.3", true));
		b = model_bridge(m, "docker0");
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(b->name, "docker0");
		ck_assert_int_eq(b->icc, def);

		/* A mode once set survives more containers. */
		b->icc = !def;
		put(m, mkc("db", "docker0", "172.17.0.2", false));
		ck_assert_ptr_eq(model_bridge(m, "docker0"), b);
		ck_assert_int_eq(model_bridge(m, "docker0")->icc, !def);
		ck_assert_ptr_eq(model_bridge_add(m, "docker0"), b);
		ck_assert_int_eq(b->icc, !def);

		b = model_bridge_add(m, "br1");
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(b->name, "br1");
		ck_assert_int_eq(b->icc, def);
		ck_assert_ptr_eq(model_bridge(m, "br1"), b);

		put(m, mkc("x", "abr", "10.9.0.2", true));
		memset(&nl, 0, sizeof(nl));
		ck_assert_int_eq(model_bridges(m, bridge_names_cb, &nl), 0);
		ck_assert_str_eq(nl.buf, "abr,br1,docker0");
		memset(&nl, 0, sizeof(nl));
		nl.stop_at = 2;
		ck_assert_int_eq(model_bridges(m, bridge_names_cb, &nl), 7);
		ck_assert_str_eq(nl.buf, "abr,br1");

		model_bridge_del(m, "br1");
		ck_assert_ptr_null(model_bridge(m, "br1"));
		model_bridge_del(m, "br1");	/* absent: nothing */
		memset(&nl, 0, sizeof(nl));
		ck_assert_int_eq(model_bridges(m, bridge_names_cb, &nl), 0);
		ck_assert_str_eq(nl.buf, "abr,docker0");
		model_free(m);
	}
}
END_TEST

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
model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc;

	tc = tcase_create("containers");
	tcase_add_test(tc, test_put_find_take);
	tcase_add_test(tc, test_put_replace);
	tcase_add_test(tc, test_foreach_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("source index");
	tcase_add_test(tc, test_receivers_basic);
	tcase_add_test(tc, test_receivers_replace);
	tcase_add_test(tc, test_receivers_order_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("address index");
	tcase_add_test(tc, test_holder4);
	tcase_add_test(tc, test_holder6);
	suite_add_tcase(s, tc);

	tc = tcase_create("bridges");
	tcase_add_test(tc, test_bridges);
	suite_add_tcase(s, tc);

	tc = tcase_create("container");
	tcase_add_test(tc, test_add_link);
	tcase_add_test(tc, test_del_link);
	tcase_add_test(tc, test_add_env);
	tcase_add_test(tc, test_dup);
	tcase_add_test(tc, test_link_active);
	suite_add_tcase(s, tc);

	return s;
}
