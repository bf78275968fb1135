/*
 * check_round.c: group commit in the kernel (src/iccd/round.c) over the
 * fake kernel: the requests of one round go to the kernel as ONE commit
 * at the round's end, each answered on its own; a refusal of one of them
 * leaves model, durable state and table exactly as the same requests one
 * by one without it (and it gets the kernel's error naming its element);
 * a drifted table is resynced and the round retried; a failed durable
 * write after the commit sends the inverse; hosts files follow only once
 * the kernel has the change.  The daemon is change_fixture.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "change_fixture.h"
#include "suites.h"
#include "testutil.h"

#define ROUND_TIMEOUT	120

/* Three receivers of db, one request each. */
static const char *const starts[] = {
	"{\"cmd\":\"start\",\"name\":\"app1\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.5\",\"links\":[\"db:db\"]}",
	"{\"cmd\":\"start\",\"name\":\"app2\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.6\",\"links\":[\"db:db\"]}",
	"{\"cmd\":\"start\",\"name\":\"app3\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.7\",\"links\":[\"db:db\"]}",
};

static bool
is_ok(const json_t *rep)
{
	return json_is_true(json_object_get(rep, "ok"));
}

/* round_of: the requests v[0..n-1] handled in one round, the replies
 * into rep[] (owned; read them after daemon_round). */
static void
round_of(const char *const *v, size_t n, json_t **rep)
{
	chg_d.group_commit = true;
	for (size_t i = 0; i < n; i++)
		rep[i] = ask("%s", v[i]);
}

/* one_round: round_of, then the round's end (kernel, durable write). */
static void
one_round(const char *const *v, size_t n, json_t **rep)
{
	round_of(v, n, rep);
	daemon_round(&chg_d);
	chg_d.group_commit = false;
}

START_TEST(test_round_one_transaction)
{
	struct icc_elem want[] = {
	    e4("10.0.0.3", "10.0.0.2", "3306/tcp"),
	    e4("10.0.0.3", "10.0.0.2", "53/udp"),
	    e4("10.0.0.5", "10.0.0.2", "3306/tcp"),
	    e4("10.0.0.5", "10.0.0.2", "53/udp"),
	    e4("10.0.0.6", "10.0.0.2", "3306/tcp"),
	    e4("10.0.0.6", "10.0.0.2", "53/udp"),
	    e4("10.0.0.7", "10.0.0.2", "3306/tcp"),
	    e4("10.0.0.7", "10.0.0.2", "53/udp") };
	json_t *rep[3], *st, *cs;
	size_t before;

	start_db_web();
	before = ncommits();
	round_of(starts, 3, rep);
	/* Nothing sent before the round ends. */
	ck_assert_uint_eq(ncommits(), before);
	expect_table(want, 2);
	daemon_round(&chg_d);
	chg_d.group_commit = false;
	/* One commit holding the three requests' elements. */
	ck_assert_uint_eq(ncommits(), before + 1);
	expect_elems(&commit_at(before)->adds, want + 2, 6);
	ck_assert_uint_eq(commit_at(before)->dels.n, 0);
	expect_table(want, 8);
	for (size_t i = 0; i < 3; i++) {
		ck_assert(is_ok(rep[i]));
		json_decref(rep[i]);
	}
	ck_assert_uint_eq(chg_d.metrics.round_txns, 1);
	ck_assert_uint_eq(chg_d.metrics.round_requests, 3);
	cs = json_object_get(st = state_json(), "containers");
	ck_assert_uint_eq(json_object_size(cs), 5);
	json_decref(st);
}
END_TEST

/* Requests of a round that change an element twice: one commit, the
 * table as after them. */
START_TEST(test_round_same_element_twice)
{
	static const char *const v[] = {
	    "{\"cmd\":\"unlink\",\"name\":\"web\",\"alias\":\"db\"}",
	    "{\"cmd\":\"link\",\"name\":\"web\",\"link\":\"db:db\"}",
	    "{\"cmd\":\"unlink\",\"name\":\"web\",\"alias\":\"db\"}",
	};
	json_t *rep[3];
	size_t before;

	start_db_web();
	before = ncommits();
	one_round(v, 3, rep);
	ck_assert_uint_eq(ncommits(), before + 1);
	ck_assert_int_eq(commit_at(before)->rv, 0);
	expect_table(NULL, 0);
	for (size_t i = 0; i < 3; i++) {
		ck_assert(is_ok(rep[i]));
		json_decref(rep[i]);
	}
}
END_TEST

/*
 * The second of three is refused by the kernel (its element): the round
 * is taken back, handled again one by one: 1 and 3 commit, 2 gets the
 * kernel's error, and model, state and table are exactly those of 1 and
 * 3 alone, one by one.
 */
START_TEST(test_round_refusal_maps_to_its_request)
{
	struct icc_elem bad = e4("10.0.0.6", "10.0.0.2", "53/udp");
	const char *const alone[] = { starts[0], starts[2] };
	struct snapshot grouped;
	json_t *rep[3];
	size_t before, n;

	start_db_web();
	before = ncommits();
	fake_refuse_add(&bad, EEXIST);
	one_round(starts, 3, rep);
	/* The round's commit (refused), then one per request. */
	ck_assert_uint_eq(ncommits(), before + 4);
	ck_assert_int_eq(commit_at(before)->rv, -EEXIST);
	ck_assert_uint_eq(commit_at(before)->adds.n, 6);
	ck_assert_int_eq(commit_at(before + 1)->rv, 0);
	ck_assert_int_eq(commit_at(before + 2)->rv, -EEXIST);
	ck_assert_int_eq(commit_at(before + 3)->rv, 0);
	ck_assert(is_ok(rep[0]));
	ck_assert(is_ok(rep[2]));
	ck_assert(!is_ok(rep[1]));
	ck_assert_str_eq(json_string_value(json_object_get(rep[1], "error")),
	    "kernel: add element links4 10.0.0.6 . 10.0.0.2 . udp . 53: "
	    "File exists");
	for (size_t i = 0; i < 3; i++)
		json_decref(rep[i]);
	ck_assert_uint_eq(chg_d.metrics.round_refused, 1);
	ck_assert_uint_eq(chg_d.metrics.round_txns, 0);
	n = elemset_size(chg_d.desired);
	snap(&grouped);

	/* The same without the refused request, one by one. */
	chg_teardown();
	chg_setup();
	start_db_web();
	for (size_t i = 0; i < 2; i++)
		ok("%s", alone[i]);
	ck_assert_uint_eq(elemset_size(chg_d.desired), n);
	expect_unchanged(&grouped);
}
END_TEST

/* A delete of the round finds nothing (someone else's nft): the round is
 * refused, and handled one by one the request resyncs and retries. */
START_TEST(test_round_drift_resyncs)
{
	static const char *const v[] = {
	    "{\"cmd\":\"start\",\"name\":\"app1\",\"bridge\":\"br0\","
		"\"ip\":\"10.0.0.5\",\"links\":[\"db:db\"]}",
	    "{\"cmd\":\"unlink\",\"name\":\"web\",\"alias\":\"db\"}",
	};
	struct icc_elem want[] = {
	    e4("10.0.0.5", "10.0.0.2", "3306/tcp"),
	    e4("10.0.0.5", "10.0.0.2", "53/udp") };
	struct icc_elem gone = e4("10.0.0.3", "10.0.0.2", "3306/tcp");
	json_t *rep[2];
	size_t syncs;

	start_db_web();
	fake_foreign_del_elem(&gone);
	syncs = fake_syncs();
	one_round(v, 2, rep);
	ck_assert(is_ok(rep[0]));
	ck_assert(is_ok(rep[1]));
	json_decref(rep[0]);
	json_decref(rep[1]);
	ck_assert_uint_eq(fake_syncs(), syncs + 1);
	expect_table(want, 2);
	ck_assert_uint_eq(chg_d.metrics.round_refused, 1);
}
END_TEST

/* The durable write fails after the kernel took the round: the round is
 * taken back, the inverses sent. */
START_TEST(test_round_write_fails_after_commit)
{
	struct snapshot before;
	json_t *rep[2];
	size_t n0;

	start_db_web();
	snap(&before);
	n0 = ncommits();
	round_of(starts, 2, rep);
	journal_breaks(true);
	daemon_round(&chg_d);
	journal_breaks(false);
	chg_d.group_commit = false;
	/* The round's commit, then each change's inverse, newest first. */
	ck_assert_uint_eq(ncommits(), n0 + 3);
	ck_assert_uint_eq(commit_at(n0)->adds.n, 4);
	expect_elems(&commit_at(n0 + 1)->dels, commit_at(n0)->adds.v + 2, 2);
	expect_elems(&commit_at(n0 + 2)->dels, commit_at(n0)->adds.v, 2);
	ck_assert(!is_ok(rep[0]));
	ck_assert(!is_ok(rep[1]));
	json_decref(rep[0]);
	json_decref(rep[1]);
	expect_unchanged(&before);
}
END_TEST

/* ---- hosts files follow the kernel -------------------------------------- */

static json_t *
ask_root(const char *req)
{
	struct peer_cred who = { getuid(), getgid(), NULL, 0 };
	json_t *o = json_loads(req, 0, NULL), *rep;

	ck_assert_ptr_nonnull(o);
	rep = daemon_handle(&chg_d, o, true, &who);
	json_decref(o);
	return rep;
}

/* has_line: the file at path holds a line starting with prefix. */
static bool
has_line(const char *path, const char *prefix)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strncmp(line, prefix, strlen(prefix)) == 0;
	fclose(f);
	return found;
}

START_TEST(test_round_hosts_after_commit)
{
	static const char *const v[] = {
	    "{\"cmd\":\"start\",\"name\":\"cache\",\"bridge\":\"br0\","
		"\"ip\":\"10.0.0.9\"}",
	    "{\"cmd\":\"link\",\"name\":\"web\",\"link\":\"cache:kv\"}",
	};
	struct icc_elem bad = e4("10.0.0.3", "10.0.0.8", "6379/tcp");
	char path[PATH_MAX], req[PATH_MAX + 64];
	json_t *rep[2], *r;

	snprintf(path, sizeof(path), "%s", tu_path("hosts"));
	tu_spit(path, "127.0.0.1\tlocalhost\n", 0644);
	start_db_web();
	snprintf(req, sizeof(req), "{\"cmd\":\"hosts\",\"name\":\"web\","
	    "\"write\":\"%s\"}", path);
	r = ask_root(req);
	ck_assert_msg(is_ok(r), "%s", json_string_value(json_object_get(r,
	    "error")));
	json_decref(r);
	ck_assert(has_line(path, "10.0.0.2\tdb"));
	/* The link is in the model, not yet in the kernel: the file waits. */
	round_of(v, 2, rep);
	ck_assert(!has_line(path, "10.0.0.9\tkv"));
	daemon_round(&chg_d);
	chg_d.group_commit = false;
	ck_assert(has_line(path, "10.0.0.9\tkv"));
	json_decref(rep[0]);
	json_decref(rep[1]);

	/* Refused: the file never shows the link. */
	ok("{\"cmd\":\"start\",\"name\":\"redis\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.8\",\"expose\":[\"6379/tcp\"]}");
	fake_refuse_add(&bad, EEXIST);
	chg_d.group_commit = true;
	rep[0] = ask("{\"cmd\":\"link\",\"name\":\"web\",\"link\":"
	    "\"redis:r\"}");
	ck_assert(!has_line(path, "10.0.0.8\tr"));
	daemon_round(&chg_d);
	chg_d.group_commit = false;
	ck_assert(!is_ok(rep[0]));
	ck_assert(!has_line(path, "10.0.0.8\tr"));
	ck_assert(has_line(path, "10.0.0.9\tkv"));
	json_decref(rep[0]);
}
END_TEST

/* An rm refused in a refused round keeps its hosts file registration,
 * which an rm of the round had set aside. */
START_TEST(test_round_refused_rm_keeps_hosts)
{
	struct icc_elem bad = e4("10.0.0.5", "10.0.0.2", "3306/tcp");
	char path[PATH_MAX], req[PATH_MAX + 64];
	json_t *rep[2];

	snprintf(path, sizeof(path), "%s", tu_path("hosts"));
	tu_spit(path, "", 0644);
	start_db_web();
	ok("{\"cmd\":\"start\",\"name\":\"cache\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.9\"}");
	snprintf(req, sizeof(req), "{\"cmd\":\"hosts\",\"name\":\"web\","
	    "\"write\":\"%s\"}", path);
	json_decref(ask_root(req));
	/* The round's commit is refused (app1's element), and so is the
	 * rm's own (the second commit from now), and app1's again. */
	fake_refuse_add(&bad, EEXIST);
	fake_refuse(2, 0, ENOBUFS);
	chg_d.group_commit = true;
	rep[0] = ask("{\"cmd\":\"rm\",\"name\":\"web\"}");
	rep[1] = ask("%s", starts[0]);
	daemon_round(&chg_d);
	chg_d.group_commit = false;
	ck_assert(!is_ok(rep[0]));
	ck_assert_str_eq(json_string_value(json_object_get(rep[0], "error")),
	    "kernel: del element links4 10.0.0.3 . 10.0.0.2 . tcp . 3306: "
	    "No buffer space available");
	ck_assert(!is_ok(rep[1]));
	json_decref(rep[0]);
	json_decref(rep[1]);
	/* web is still registered: its file follows a new link. */
	ok("{\"cmd\":\"link\",\"name\":\"web\",\"link\":\"cache:kv\"}");
	ck_assert(has_line(path, "10.0.0.9\tkv"));
}
END_TEST

static void
setup(void)
{
	tu_dir_setup();
	chg_setup();
}

static void
teardown(void)
{
	chg_teardown();
	tu_dir_teardown();
}

Suite *
round_suite(void)
{
	Suite *s = suite_create("round");
	TCase *tc = tcase_create("round");

	tcase_add_unchecked_fixture(tc, tu_base_setup, tu_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, ROUND_TIMEOUT);
	tcase_add_test(tc, test_round_one_transaction);
	tcase_add_test(tc, test_round_same_element_twice);
	tcase_add_test(tc, test_round_refusal_maps_to_its_request);
	tcase_add_test(tc, test_round_drift_resyncs);
	tcase_add_test(tc, test_round_write_fails_after_commit);
	tcase_add_test(tc, test_round_hosts_after_commit);
	tcase_add_test(tc, test_round_refused_rm_keeps_hosts);
	suite_add_tcase(s, tc);
	return s;
}
