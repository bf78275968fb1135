/*
 * check_change.c: the daemon's change path (src/iccd/change.c) driven by
 * JSON requests through daemon_handle, against the fake kernel
 * (fake_kernel.c): the exact batch a request commits, takeover, a kernel
 * refusal in the middle of a batch, a failed state write (the journal's:
 * a file size limit makes it fail), group commit taking a round back, the
 * undo of a bridge change, reload, repair after foreign changes, and the
 * retry after a drifted table.  A refused change must leave the model
 * (list), the durable state (what state_load reads) and the kernel's
 * table as they were.  The daemon and what the tests compare are
 * change_fixture.c's.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "change_fixture.h"
#include "suites.h"

/* ---- requests ----------------------------------------------------------- */

/* Every change writes the state with fsync: on a loaded machine that can
 * take seconds, so these cases get more than Check's 4 s hang guard. */
#define CHANGE_TIMEOUT	120

START_TEST(test_start_link_one_batch)
{
	struct icc_elem web = e4("10.0.0.3", "10.0.0.2", "3306/tcp");
	struct icc_elem app = e4("10.0.0.4", "10.0.0.2", "3306/tcp");
	const struct fake_commit *c;

	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"3306/tcp\"]}");
	/* A new bridge with icc off: its closed-set entry, nothing else. */
	ck_assert_uint_eq(ncommits(), 1);
	c = commit_at(0);
	ck_assert_uint_eq(c->nclosed_adds, 1);
	ck_assert_str_eq(c->closed_adds[0], "br0");
	ck_assert_uint_eq(c->adds.n + c->dels.n + c->nclosed_dels, 0);

	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	ck_assert_uint_eq(ncommits(), 2);
	c = commit_at(1);
	expect_elems(&c->adds, &web, 1);
	ck_assert_uint_eq(c->dels.n + c->nclosed_adds + c->nclosed_dels, 0);

	ok("{\"cmd\":\"start\",\"name\":\"app\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.4\"}");
	ck_assert_uint_eq(ncommits(), 2);	/* nothing to send */
	ok("{\"cmd\":\"link\",\"name\":\"app\",\"link\":\"db:db\"}");
	ck_assert_uint_eq(ncommits(), 3);
	c = commit_at(2);
	expect_elems(&c->adds, &app, 1);
	ck_assert_uint_eq(c->dels.n + c->nclosed_adds + c->nclosed_dels, 0);
	expect_table((struct icc_elem[]){ web, app }, 2);
	ck_assert(fake_table_closed("br0"));
}
END_TEST

START_TEST(test_stop_removes_elements)
{
	struct icc_elem want[] = { e4("10.0.0.3", "10.0.0.2", "3306/tcp"),
	    e4("10.0.0.3", "10.0.0.2", "53/udp") };

	start_db_web();
	expect_table(want, 2);
	ok("{\"cmd\":\"stop\",\"name\":\"db\"}");
	ck_assert_uint_eq(ncommits(), 3);
	expect_elems(&commit_at(2)->dels, want, 2);
	ck_assert_uint_eq(commit_at(2)->adds.n, 0);
	expect_table(NULL, 0);
	/* The flows of both removed elements are cut after the replies. */
}
END_TEST

START_TEST(test_takeover)
{
	struct icc_elem old = e4("10.0.0.3", "10.0.0.2", "3306/tcp");
	json_t *rep, *cs, *c;
	size_t i;

	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"3306/tcp\"]}");
	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	ck_assert_uint_eq(ncommits(), 2);
	/* db's stop event was lost; db2 now has its address. */
	ok("{\"cmd\":\"start\",\"name\":\"db2\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\"}");
	ck_assert_uint_eq(ncommits(), 3);
	expect_elems(&commit_at(2)->dels, &old, 1);
	ck_assert_uint_eq(commit_at(2)->adds.n, 0);
	expect_table(NULL, 0);
	rep = ask("{\"cmd\":\"list\"}");
	cs = json_object_get(rep, "containers");
	json_array_foreach(cs, i, c) {
		const char *name = json_string_value(json_object_get(c,
		    "name"));
		bool running = json_is_true(json_object_get(c, "running"));

		if (strcmp(name, "db") == 0)
			ck_assert(!running);
		if (strcmp(name, "db2") == 0)
			ck_assert(running);
	}
	json_decref(rep);
}
END_TEST

START_TEST(test_kernel_refuses_mid_batch)
{
	struct icc_elem tcp = e4("10.0.0.5", "10.0.0.2", "3306/tcp");
	struct icc_elem udp = e4("10.0.0.5", "10.0.0.2", "53/udp");
	const struct fake_commit *c;
	struct snapshot before;
	char want[512], buf[ELEM_FMT_LEN];

	start_db_web();
	snap(&before);
	/* web moves to 10.0.0.5: 2 deletes then 2 adds; the 3rd message
	 * (the first add) is refused. */
	fake_refuse(1, 2, EPERM);
	{
		json_t *rep = ask("{\"cmd\":\"start\",\"name\":\"web\","
		    "\"bridge\":\"br0\",\"ip\":\"10.0.0.5\","
		    "\"links\":[\"db:db\"]}");

		ck_assert_uint_eq(ncommits(), 3);
		c = commit_at(2);
		ck_assert_int_eq(c->rv, -EPERM);
		ck_assert_uint_eq(c->dels.n, 2);
		expect_elems(&c->adds, (struct icc_elem[]){ tcp, udp }, 2);
		snprintf(want, sizeof(want), "kernel: add element links4 %s: "
		    "%s", elem_format(&c->adds.v[0], buf, sizeof(buf)),
		    strerror(EPERM));
		ck_assert(json_is_false(json_object_get(rep, "ok")));
		ck_assert_str_eq(json_string_value(json_object_get(rep,
		    "error")), want);
		json_decref(rep);
	}
	expect_unchanged(&before);
	ck_assert_uint_eq(ncommits(), 3);	/* nothing more sent */
}
END_TEST

START_TEST(test_state_write_fails)
{
	char want[PATH_MAX + 64];
	struct snapshot before;

	start_db_web();
	snap(&before);
	journal_breaks(true);
	snprintf(want, sizeof(want), "state: %s: %s", chg_state,
	    strerror(EFBIG));
	req_refused(want, "{\"cmd\":\"stop\",\"name\":\"db\"}");
	/* The kernel took the batch, then its inverse. */
	ck_assert_uint_eq(ncommits(), 4);
	ck_assert_uint_eq(commit_at(2)->dels.n, 2);
	expect_elems(&commit_at(3)->adds, commit_at(2)->dels.v, 2);
	ck_assert_uint_eq(commit_at(3)->dels.n, 0);
	journal_breaks(false);
	expect_unchanged(&before);
	/* With writes working again the same request goes through. */
	ok("{\"cmd\":\"stop\",\"name\":\"db\"}");
	expect_table(NULL, 0);
}
END_TEST

START_TEST(test_state_write_fails_new_bridge)
{
	char want[PATH_MAX + 64];
	struct snapshot before;

	start_db_web();
	snap(&before);
	/* A start on a new bridge: its container and bridges.json are one
	 * group in the journal, written whole or not at all. */
	journal_breaks(true);
	snprintf(want, sizeof(want), "state: %s: %s", chg_state,
	    strerror(EFBIG));
	req_refused(want,
	    "{\"cmd\":\"start\",\"name\":\"lone\",\"bridge\":\"br1\","
	    "\"ip\":\"10.1.0.2\"}");
	/* br1 went in the closed set and out again. */
	ck_assert_uint_eq(ncommits(), 4);
	ck_assert_str_eq(commit_at(2)->closed_adds[0], "br1");
	ck_assert_str_eq(commit_at(3)->closed_dels[0], "br1");
	ck_assert(!fake_table_closed("br1"));
	journal_breaks(false);
	expect_unchanged(&before);
}
END_TEST

/* ---- group commit --------------------------------------------------------- */

START_TEST(test_group_commit_takes_the_round_back)
{
	char want[PATH_MAX + 64];
	struct snapshot before;
	json_t *r1, *r2, *st, *cs;

	start_db_web();
	snap(&before);
	/* Two requests of one round: applied to the model at once, sent to
	 * the kernel in one transaction at the round's end, then durable
	 * together. */
	chg_d.group_commit = true;
	r1 = ask("{\"cmd\":\"unlink\",\"name\":\"web\",\"alias\":\"db\"}");
	r2 = ask("{\"cmd\":\"stop\",\"name\":\"db\"}");
	ck_assert(json_is_true(json_object_get(r1, "ok")));
	ck_assert(json_is_true(json_object_get(r2, "ok")));
	ck_assert_uint_eq(ncommits(), 2);
	/* The round's one write fails after the kernel took the round: both
	 * are taken back (the unlink's inverse sent; the stop had nothing
	 * left to delete), their replies (not sent yet) become errors. */
	journal_breaks(true);
	daemon_round(&chg_d);
	journal_breaks(false);
	ck_assert_uint_eq(ncommits(), 4);
	ck_assert_uint_eq(commit_at(2)->dels.n, 2);
	expect_elems(&commit_at(3)->adds, commit_at(2)->dels.v, 2);
	snprintf(want, sizeof(want), "state: %s: %s (the change was taken "
	    "back)", chg_state, strerror(EFBIG));
	ck_assert(json_is_false(json_object_get(r1, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(r1, "error")), want);
	ck_assert(json_is_false(json_object_get(r2, "ok")));
	json_decref(r1);
	json_decref(r2);
	expect_unchanged(&before);
	/* One request alone, its round written: durable. */
	ok("{\"cmd\":\"stop\",\"name\":\"db\"}");
	daemon_round(&chg_d);
	chg_d.group_commit = false;
	cs = json_object_get(st = state_json(), "containers");
	ck_assert(json_is_false(json_object_get(json_object_get(cs, "db"),
	    "running")));
	json_decref(st);
	expect_table(NULL, 0);
}
END_TEST

/* ---- bridges ------------------------------------------------------------ */

START_TEST(test_bridge_refused_by_kernel)
{
	struct snapshot before;

	start_db_web();
	snap(&before);
	fake_refuse(1, 0, ENOBUFS);
	req_refused("kernel: del element closed br0 . br0: No buffer space "
	    "available", "{\"cmd\":\"bridge\",\"bridge\":\"br0\","
	    "\"icc\":\"on\"}");
	expect_unchanged(&before);
	ck_assert(fake_table_closed("br0"));
	/* A bridge the request would have made is forgotten again. */
	snap(&before);
	fake_refuse(1, 0, ENOBUFS);
	req_refused("kernel: add element closed br9 . br9: No buffer space "
	    "available", "{\"cmd\":\"bridge\",\"bridge\":\"br9\","
	    "\"icc\":\"off\"}");
	expect_unchanged(&before);
}
END_TEST

START_TEST(test_bridge_undo)
{
	char want[PATH_MAX + 64];
	struct snapshot before;

	start_db_web();
	snap(&before);
	journal_breaks(true);
	snprintf(want, sizeof(want), "state: %s: %s", chg_state,
	    strerror(EFBIG));
	req_refused(want,
	    "{\"cmd\":\"bridge\",\"bridge\":\"br0\",\"icc\":\"on\"}");
	ck_assert_uint_eq(ncommits(), 4);
	ck_assert_uint_eq(commit_at(2)->nclosed_dels, 1);
	ck_assert_uint_eq(commit_at(3)->nclosed_adds, 1);
	ck_assert_str_eq(commit_at(3)->closed_adds[0], "br0");
	ck_assert(fake_table_closed("br0"));
	journal_breaks(false);
	expect_unchanged(&before);
	/* With writes working again the same request goes through. */
	ok("{\"cmd\":\"bridge\",\"bridge\":\"br0\",\"icc\":\"on\"}");
	ck_assert(!fake_table_closed("br0"));
	ok("{\"cmd\":\"bridge\",\"bridge\":\"br0\",\"icc\":\"off\"}");
	ck_assert(fake_table_closed("br0"));
}
END_TEST

/* ---- reload and repair -------------------------------------------------- */

static void
write_rules(const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/test.rules", chg_rules);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

START_TEST(test_reload)
{
	struct icc_elem tcp = e4("10.0.0.3", "10.0.0.2", "3306/tcp");
	struct icc_elem udp = e4("10.0.0.3", "10.0.0.2", "53/udp");
	struct icc_elem extra = e4("10.0.0.3", "10.0.0.2", "8080/tcp");
	struct snapshot before;
	char err[512];

	start_db_web();
	write_rules("expose db 8080\nbridge br0 icc on\n");
	ck_assert_msg(daemon_reload(&chg_d, err, sizeof(err)) == 0, "%s", err);
	/* One batch: the new element and br0 out of the closed set. */
	ck_assert_uint_eq(ncommits(), 3);
	expect_elems(&commit_at(2)->adds, &extra, 1);
	ck_assert_uint_eq(commit_at(2)->dels.n, 0);
	ck_assert_uint_eq(commit_at(2)->nclosed_dels, 1);
	expect_table((struct icc_elem[]){ tcp, udp, extra }, 3);
	ck_assert(!fake_table_closed("br0"));

	/* The files change back: so does the table. */
	write_rules("bridge br0 icc off\n");
	ok("{\"cmd\":\"reload\"}");
	ck_assert_uint_eq(ncommits(), 4);
	expect_elems(&commit_at(3)->dels, &extra, 1);
	ck_assert_str_eq(commit_at(3)->closed_adds[0], "br0");
	expect_table((struct icc_elem[]){ tcp, udp }, 2);

	/* A bad file, or a kernel refusal, changes nothing. */
	snap(&before);
	write_rules("expose db 8080\nbridge br0 icc maybe\n");
	ck_assert_int_eq(daemon_reload(&chg_d, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "test.rules:2:"));
	write_rules("expose db 8080\n");
	fake_refuse(1, 0, EPERM);
	ck_assert_int_eq(daemon_reload(&chg_d, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "kernel: add element links4"));
	expect_unchanged(&before);
	ck_assert_msg(daemon_reload(&chg_d, err, sizeof(err)) == 0, "%s", err);
	expect_table((struct icc_elem[]){ tcp, udp, extra }, 3);
}
END_TEST

START_TEST(test_repair)
{
	struct icc_elem tcp = e4("10.0.0.3", "10.0.0.2", "3306/tcp");
	struct icc_elem udp = e4("10.0.0.3", "10.0.0.2", "53/udp");
	struct icc_elem alien = e4("10.0.0.9", "10.0.0.2", "22/tcp");
	struct timespec t0;
	char cause[128], err[512];
	size_t syncs;
	json_t *rep;
	long us;

	start_db_web();
	ck_assert_int_ge(kernel_monitor_open(chg_d.k, 0), 0);
	ck_assert_int_eq(kernel_monitor_read(chg_d.k, cause, sizeof(cause)), 0);
	fake_foreign_del_elem(&tcp);
	fake_foreign_add_elem(&alien);
	fake_foreign_del_closed("br0");
	rep = ask("{\"cmd\":\"status\"}");
	ck_assert(json_is_false(json_object_get(rep, "matches")));
	json_decref(rep);

	ck_assert_int_eq(kernel_monitor_read(chg_d.k, cause, sizeof(cause)), 1);
	syncs = fake_syncs();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(daemon_repair(&chg_d, cause, &t0, &us, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(fake_syncs(), syncs + 1);
	expect_table((struct icc_elem[]){ tcp, udp }, 2);
	ck_assert(fake_table_closed("br0"));
	rep = ask("{\"cmd\":\"status\"}");
	ck_assert(json_is_true(json_object_get(rep, "matches")));
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "repairs")),
	    1);
	ck_assert_str_eq(json_string_value(json_object_get(rep,
	    "last_repair_cause")), "set closed: element deleted");
	json_decref(rep);
}
END_TEST

START_TEST(test_drift_resync_retry)
{
	struct icc_elem tcp = e4("10.0.0.3", "10.0.0.2", "3306/tcp");
	size_t syncs;

	start_db_web();
	/* Someone deleted an element the next change deletes, before the
	 * monitor's repair: the kernel answers ENOENT; iccd resyncs to
	 * what it had and sends the same batch again. */
	fake_foreign_del_elem(&tcp);
	syncs = fake_syncs();
	ok("{\"cmd\":\"stop\",\"name\":\"db\"}");
	ck_assert_uint_eq(fake_syncs(), syncs + 1);
	ck_assert_uint_eq(ncommits(), 4);
	ck_assert_int_eq(commit_at(2)->rv, -ENOENT);
	ck_assert_int_eq(commit_at(3)->rv, 0);
	expect_table(NULL, 0);
	ck_assert(fake_table_closed("br0"));
}
END_TEST

/* ---- port bindings (the bridge table) ------------------------------------ */

#define DB_BOUND "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\"," \
	"\"ip\":\"10.0.0.2\",\"expose\":[\"3306/tcp\"],\"port\":\"veth1\"," \
	"\"mac\":\"02:00:00:00:00:02\"}"

static size_t
nbelems(void)
{
	struct belemvec v = { 0 };
	size_t n;

	fake_table_belems(&v);
	n = v.n;
	belemvec_free(&v);
	return n;
}

/* A bound container's 8 elements (IPv4, link-local IPv6) go in and out
 * in the same batch as its inet elements; a bridge's mode moves them. */
START_TEST(test_bindings)
{
	const struct fake_commit *c;
	json_t *rep;

	chg_d.no_port_check = true;		/* no veth1 on a test machine */
	ok(DB_BOUND);
	ck_assert_uint_eq(ncommits(), 1);
	c = commit_at(0);
	ck_assert_uint_eq(c->nclosed_adds, 1);
	ck_assert_uint_eq(c->badds.n, 8);
	ck_assert_uint_eq(c->bdels.n, 0);
	ck_assert_uint_eq(nbelems(), 8);
	/* web is unbound: nothing for the bridge table; list says so. */
	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	ck_assert_uint_eq(nbelems(), 8);
	rep = ask("{\"cmd\":\"status\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "unbound")),
	    1);
	ck_assert_int_eq(json_integer_value(json_object_get(rep,
	    "bound_elements")), 8);
	json_decref(rep);
	/* The bridge opens: no bindings; closes again: back. */
	ok("{\"cmd\":\"bridge\",\"bridge\":\"br0\",\"icc\":\"on\"}");
	c = commit_at(ncommits() - 1);
	ck_assert_uint_eq(c->bdels.n, 8);
	ck_assert_uint_eq(nbelems(), 0);
	ok("{\"cmd\":\"bridge\",\"bridge\":\"br0\",\"icc\":\"off\"}");
	ck_assert_uint_eq(commit_at(ncommits() - 1)->badds.n, 8);
	ck_assert_uint_eq(nbelems(), 8);
	/* A refused batch leaves the bindings as they were. */
	fake_refuse(1, 0, EPERM);
	req_refused("kernel: del element links4 10.0.0.3 . 10.0.0.2 . tcp . "
	    "3306: Operation not permitted", "{\"cmd\":\"stop\","
	    "\"name\":\"db\"}");
	ck_assert_uint_eq(nbelems(), 8);
	/* Stopped: gone, in the batch that takes its links out. */
	ok("{\"cmd\":\"stop\",\"name\":\"db\"}");
	c = commit_at(ncommits() - 1);
	ck_assert_uint_eq(c->bdels.n, 8);
	ck_assert_uint_eq(c->dels.n, 1);	/* web's link to db */
	ck_assert_uint_eq(nbelems(), 0);
	/* A resync rebuilds the same from the model. */
	ok(DB_BOUND);
	ck_assert_int_eq(daemon_sync(&chg_d, (char[256]){ 0 }, 256), 0);
	ck_assert_uint_eq(nbelems(), 8);
	/* status sees someone emptying the bridge table; a repair fixes
	 * it. */
	fake_foreign_clear_belems();
	rep = ask("{\"cmd\":\"status\"}");
	ck_assert(json_is_false(json_object_get(rep, "matches")));
	ck_assert_int_eq(json_integer_value(json_object_get(rep,
	    "bridge_missing")), 8);
	json_decref(rep);
	ck_assert_int_eq(daemon_repair(&chg_d, "test", &(struct timespec){ 0 },
	    NULL, (char[256]){ 0 }, 256), 0);
	rep = ask("{\"cmd\":\"status\"}");
	ck_assert(json_is_true(json_object_get(rep, "matches")));
	json_decref(rep);
	ck_assert_uint_eq(nbelems(), 8);
}
END_TEST

Suite *
change_suite(void)
{
	Suite *s = suite_create("change");
	TCase *tc;

	tc = tcase_create("requests");
	tcase_set_timeout(tc, CHANGE_TIMEOUT);
	tcase_add_checked_fixture(tc, chg_setup, chg_teardown);
	tcase_add_test(tc, test_start_link_one_batch);
	tcase_add_test(tc, test_stop_removes_elements);
	tcase_add_test(tc, test_takeover);
	tcase_add_test(tc, test_kernel_refuses_mid_batch);
	tcase_add_test(tc, test_state_write_fails);
	tcase_add_test(tc, test_state_write_fails_new_bridge);
	tcase_add_test(tc, test_group_commit_takes_the_round_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("bridges");
	tcase_set_timeout(tc, CHANGE_TIMEOUT);
	tcase_add_checked_fixture(tc, chg_setup, chg_teardown);
	tcase_add_test(tc, test_bridge_refused_by_kernel);
	tcase_add_test(tc, test_bridge_undo);
	tcase_add_test(tc, test_bindings);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload-repair");
	tcase_set_timeout(tc, CHANGE_TIMEOUT);
	tcase_add_checked_fixture(tc, chg_setup, chg_teardown);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_repair);
	tcase_add_test(tc, test_drift_resync_retry);
	suite_add_tcase(s, tc);
	return s;
}
