/*
 * check_model.c: the declared world of model.c: containers stored, found,
 * replaced and taken; the source index behind model_receivers; the address
 * index behind model_holder4/6; bridges.  A container's own parts (links,
 * env, deep copies, link_active) are check_container.c's.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_fixture.h"
#include "suites.h"

/* ---- helpers ------------------------------------------------------------ */

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

	return s;
}
