/*
 * check_admit.c: the checks a start passes before iccd changes anything
 * (admit.c): a name running under another id is refused, a stopped one
 * or one without an id on either side is replaced; the containers of one
 * bridge, the bridges and the elements of one request are bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "model.h"
#include "suites.h"

static struct icc_container *
ctr(const char *name, const char *id, const char *bridge, unsigned n,
    bool running)
{
	struct icc_container *c = container_new();

	ck_assert_ptr_nonnull(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
	c->ip4.s_addr = htonl(0x0a000000 + n);
	c->running = running;
	c->has_identity = true;
	return c;
}

START_TEST(t_name_held)
{
	struct icc_model *m = model_new(false);
	struct icc_container *c;
	char err[256] = "";

	ck_assert_int_eq(model_put(m, ctr("db", "aaa", "br0", 2, true)), 0);
	/* Another id while db runs: refused, with the holder's id. */
	c = ctr("db", "bbb", "br0", 3, true);
	errno = 0;
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(err, "db: runs as id aaa (stop it first)");
	/* The same id again (a restart of the same container): admitted. */
	snprintf(c->id, sizeof(c->id), "aaa");
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), 0);
	/* No id in the request: refused too (it would clear aaa and
	 * free the name for anyone). */
	c->id[0] = '\0';
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "db: runs as id aaa (stop it first)");
	/* No id on the holder: the name decides, with or without an id. */
	model_find(m, "db")->id[0] = '\0';
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), 0);
	snprintf(c->id, sizeof(c->id), "bbb");
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), 0);
	/* A stopped holder is replaced. */
	snprintf(model_find(m, "db")->id, sizeof(c->id), "aaa");
	ck_assert_int_eq(model_set_running(m, "db", false), 0);
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), 0);
	container_free(c);
	model_free(m);
}
END_TEST

START_TEST(t_per_bridge)
{
	struct icc_model *m = model_new(false);
	struct icc_container *c;
	char err[256] = "", name[32];

	for (unsigned i = 0; i < ICC_MAX_PER_BRIDGE; i++) {
		snprintf(name, sizeof(name), "c%u", i);
		ck_assert_int_eq(model_put(m, ctr(name, "", "br0", i + 1,
		    i % 2)), 0);
	}
	c = ctr("one-more", "", "br0", 60000, true);
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bridge: br0 already holds 4096 containers "
	    "(the limit)");
	/* Another bridge has room; a container already there may start
	 * again. */
	snprintf(c->bridge, sizeof(c->bridge), "br1");
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), 0);
	container_free(c);
	c = ctr("c7", "", "br0", 8, true);
	ck_assert_int_eq(admit_start(m, c, err, sizeof(err)), 0);
	container_free(c);
	model_free(m);
}
END_TEST

START_TEST(t_bridges)
{
	struct icc_model *m = model_new(false);
	char err[256] = "", name[16];

	for (unsigned i = 0; i < ICC_MAX_BRIDGES; i++) {
		snprintf(name, sizeof(name), "br%u", i);
		ck_assert_ptr_nonnull(model_bridge_add(m, name));
	}
	ck_assert_int_eq(admit_bridge(m, "br5", err, sizeof(err)), 0);
	ck_assert_int_eq(admit_bridge(m, "brnew", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bridge: brnew: iccd already keeps 1024 "
	    "bridges (the limit)");
	model_free(m);
}
END_TEST

START_TEST(t_elems)
{
	char err[256] = "";

	ck_assert_int_eq(admit_elems(ICC_MAX_REQ_ELEMS, err, sizeof(err)), 0);
	ck_assert_int_eq(admit_elems(ICC_MAX_REQ_ELEMS + 1, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "request: would add 65537 kernel elements, over "
	    "the limit of 65536 per request");
}
END_TEST

Suite *
admit_suite(void)
{
	Suite *s = suite_create("admit");
	TCase *tc = tcase_create("admit");

	tcase_add_test(tc, t_name_held);
	tcase_add_test(tc, t_per_bridge);
	tcase_add_test(tc, t_bridges);
	tcase_add_test(tc, t_elems);
	suite_add_tcase(s, tc);
	return s;
}
