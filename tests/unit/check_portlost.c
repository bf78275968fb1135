/*
 * check_portlost.c: containers whose bridge port went away (portlost.c),
 * against the fake kernel: daemon_port_gone stops exactly the running
 * containers on that port, in one change each (their links' elements
 * leave the table), counts them in status.ports_lost and leaves the rest
 * alone; daemon_ports_check stops those whose port exists() denies, and
 * never a container without a port.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "fake_kernel.h"
#include "suites.h"

static size_t
fake_ncommits(void)
{
	size_t n;

	fake_commits(&n);
	return n;
}

static size_t
fake_nelems(void)
{
	struct elemvec v = { 0 };
	size_t n;

	fake_table_elems(&v);
	n = v.n;
	elemvec_free(&v);
	return n;
}

#define PL_TIMEOUT	120	/* state writes fsync: a loaded machine */

static struct iccd d;
static char state[64];

static void
setup(void)
{
	char err[512];

	fake_reset();
	snprintf(state, sizeof(state), "/tmp/iccd-portlost-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(state));
	ck_assert_msg(daemon_init(&d, "icctest", state, NULL, NULL, 0, false,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(daemon_sync(&d, err, sizeof(err)), 0);
	d.no_port_check = true;		/* no veth on a test machine */
}

static void
teardown(void)
{
	char cmd[128];

	daemon_free(&d);
	/* Test cleanup only: the path is our own mkdtemp result. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	ck_assert_int_eq(system(cmd), 0);
	fake_reset();
}

static json_t *
ask(const char *text)
{
	json_error_t jerr;
	json_t *req = json_loads(text, 0, &jerr), *rep;

	ck_assert_msg(req != NULL, "bad test request %s: %s", text, jerr.text);
	rep = daemon_handle(&d, req, true, NULL);
	json_decref(req);
	ck_assert_ptr_nonnull(rep);
	ck_assert_msg(json_is_true(json_object_get(rep, "ok")), "%s: %s", text,
	    json_string_value(json_object_get(rep, "error")));
	return rep;
}

static void
ok(const char *text)
{
	json_decref(ask(text));
}

/* running: name's "running" in list. */
static bool
running(const char *name)
{
	json_t *rep = ask("{\"cmd\":\"list\"}"), *c;
	bool found = false, run = false;
	size_t i;

	json_array_foreach(json_object_get(rep, "containers"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    name) == 0) {
			found = true;
			run = json_is_true(json_object_get(c, "running"));
		}
	json_decref(rep);
	ck_assert_msg(found, "%s: not in list", name);
	return run;
}

static long long
ports_lost(void)
{
	json_t *rep = ask("{\"cmd\":\"status\"}");
	long long n = json_integer_value(json_object_get(rep, "ports_lost"));

	json_decref(rep);
	return n;
}

#define START(name, ip, port, more) "{\"cmd\":\"start\",\"name\":\"" name \
	"\",\"bridge\":\"br0\",\"ip\":\"" ip "\"" port more "}"
#define PORT(p, mac)	",\"port\":\"" p "\",\"mac\":\"" mac "\""

static void
start_three(void)
{
	ok(START("db", "10.0.0.2", PORT("veth1", "02:00:00:00:00:02"),
	    ",\"expose\":[\"3306/tcp\"]"));
	ok(START("web", "10.0.0.3", PORT("veth2", "02:00:00:00:00:03"),
	    ",\"links\":[\"db:db\"]"));
	ok(START("bare", "10.0.0.4", "", ",\"links\":[\"db:db\"]"));
}

START_TEST(test_port_gone)
{
	size_t before;

	start_three();
	ck_assert_uint_eq(fake_nelems(), 2);	/* web->db, bare->db */
	before = fake_ncommits();
	daemon_port_gone(&d, "veth9");		/* nobody's */
	ck_assert_uint_eq(fake_ncommits(), before);
	ck_assert_int_eq(ports_lost(), 0);
	daemon_port_gone(&d, "veth1");
	ck_assert(!running("db"));
	ck_assert(running("web"));
	ck_assert(running("bare"));
	ck_assert_uint_eq(fake_ncommits(), before + 1);
	ck_assert_uint_eq(fake_nelems(), 0);	/* db's links are out */
	ck_assert_int_eq(ports_lost(), 1);
	/* Again (a late event): db is stopped already, nothing counted. */
	daemon_port_gone(&d, "veth1");
	ck_assert_uint_eq(fake_ncommits(), before + 1);
	ck_assert_int_eq(ports_lost(), 1);
}
END_TEST

static bool
only_veth1(const char *ifname, void *arg)
{
	(*(int *)arg)++;
	return strcmp(ifname, "veth1") == 0;
}

START_TEST(test_ports_check)
{
	int asked = 0;

	start_three();
	daemon_ports_check(&d, only_veth1, &asked);
	ck_assert_int_eq(asked, 2);		/* bare has no port */
	ck_assert(running("db"));
	ck_assert(!running("web"));
	ck_assert(running("bare"));
	ck_assert_int_eq(ports_lost(), 1);
	ck_assert_uint_eq(fake_nelems(), 1);	/* bare->db */
}
END_TEST

Suite *
portlost_suite(void)
{
	Suite *s = suite_create("portlost");
	TCase *tc = tcase_create("ports");

	tcase_set_timeout(tc, PL_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_port_gone);
	tcase_add_test(tc, test_ports_check);
	suite_add_tcase(s, tc);
	return s;
}
