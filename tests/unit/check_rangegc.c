/*
 * check_rangegc.c: the range garbage queue (src/iccd/rangegc.h) on the
 * change path, over the fake kernel: a stop that revokes many ranges
 * sends the pair deletes only; the drain deletes the ranges chunk by
 * chunk; a pair does not come back while its garbage is in the kernel;
 * takebacks and syncs leave the queue exact.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "change_fixture.h"
#include "ops.h"
#include "suites.h"

#define NRANGES		20	/* > RANGEGC_MIN */
#define GC_TIMEOUT	30

/* ranges: NRANGES ranges "P-P+1/tcp" from port `base`, 10 apart, as a
 * JSON array's content and as elements of recv -> src. */
static void
ranges(unsigned base, char *json, size_t len, const char *recv,
    const char *src, struct icc_elem *out)
{
	char p[32];
	size_t off = 0;

	json[0] = '\0';
	for (unsigned i = 0; i < NRANGES; i++) {
		snprintf(p, sizeof(p), "%u-%u/tcp", base + 10 * i,
		    base + 10 * i + 1);
		off += snprintf(json + off, len - off, "%s\"%s\"", i ? "," :
		    "", p);
		if (out != NULL)
			out[i] = e4(recv, src, p);
	}
}

/* p4: the pair element recv . src. */
static struct icc_elem
p4(const char *recv, const char *src)
{
	struct icc_elem e = e4(recv, src, "1/tcp");

	elem_init_pair(&e, &e);
	return e;
}

static bool
in_table(const struct icc_elem *e)
{
	struct elemvec t = { 0 };
	bool found = false;

	fake_table_elems(&t);
	for (size_t i = 0; i < t.n; i++)
		found |= elem_cmp(&t.v[i], e) == 0;
	elemvec_free(&t);
	return found;
}

/* flow_ok: the fake kernel lets recv reach src's tcp port. */
static bool
flow_ok(const char *recv, const char *src, unsigned port)
{
	char p[16];
	struct icc_elem flow, found;

	snprintf(p, sizeof(p), "%u/tcp", port);
	flow = e4(recv, src, p);
	return kernel_lookup_flow(chg_d.k, &flow, &found) == 1;
}

/* db (10.0.0.2) exposes NRANGES ranges from 10000; web (10.0.0.3) links
 * to it.  want gets the elements: the pair, then the ranges. */
static void
start_many(struct icc_elem want[NRANGES + 1])
{
	char json[1024];

	ranges(10000, json, sizeof(json), "10.0.0.3", "10.0.0.2", want + 1);
	want[0] = p4("10.0.0.3", "10.0.0.2");
	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[%s]}", json);
	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	expect_table(want, NRANGES + 1);
}

/* drain_all: drain until the queue is empty; the number of chunks. */
static size_t
drain_all(void)
{
	size_t n = 0;

	while (rangegc_busy(&chg_d.gc)) {
		ck_assert_int_ge(rangegc_drain(&chg_d), 0);
		ck_assert_uint_lt(++n, 1000);
	}
	return n;
}

START_TEST(test_stop_sends_pair_only)
{
	struct icc_elem want[NRANGES + 1];
	const struct fake_commit *c;
	size_t n0;

	start_many(want);
	ck_assert(flow_ok("10.0.0.3", "10.0.0.2", 10001));
	n0 = ncommits();
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	/* One commit: the pair's delete, no range. */
	ck_assert_uint_eq(ncommits(), n0 + 1);
	c = commit_at(n0);
	expect_elems(&c->dels, want, 1);
	ck_assert_uint_eq(c->adds.n, 0);
	/* The ranges stay, inert: no flow passes. */
	expect_table(want + 1, NRANGES);
	ck_assert_uint_eq(chg_d.gc.garbage.n, NRANGES);
	ck_assert_uint_eq(rangegc_npairs(&chg_d.gc), 1);
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10001));
	/* Drained in chunks of at most 6, deletes only. */
	chg_d.gc.chunk_max = 6;
	ck_assert_uint_eq(drain_all(), 4);
	ck_assert_uint_eq(ncommits(), n0 + 5);
	for (size_t i = n0 + 1; i < ncommits(); i++) {
		ck_assert_uint_le(commit_at(i)->dels.n, 6);
		ck_assert_uint_eq(commit_at(i)->adds.n, 0);
	}
	expect_table(NULL, 0);
	ck_assert_uint_eq(chg_d.gc.drained, NRANGES);
	ck_assert_int_eq(rangegc_drain(&chg_d), 0);	/* nothing left */
}
END_TEST

START_TEST(test_few_ranges_stay_in_batch)
{
	struct icc_elem want[] = { p4("10.0.0.3", "10.0.0.2"),
	    e4("10.0.0.3", "10.0.0.2", "7000-7999/tcp"),
	    e4("10.0.0.3", "10.0.0.2", "8000-8099/tcp") };
	size_t n0;

	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"7000-7999/tcp\","
	    "\"8000-8099/tcp\"]}");
	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	expect_table(want, 3);
	n0 = ncommits();
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	expect_elems(&commit_at(n0)->dels, want, 3);
	expect_table(NULL, 0);
	ck_assert(!rangegc_busy(&chg_d.gc));
}
END_TEST

START_TEST(test_request_between_chunks)
{
	struct icc_elem want[NRANGES + 1];
	struct icc_elem app = e4("10.0.0.4", "10.0.0.5", "80/tcp");

	start_many(want);
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	chg_d.gc.chunk_max = 4;
	ck_assert_int_eq(rangegc_drain(&chg_d), 4);
	/* Another client's requests go through with the queue non-empty. */
	ok("{\"cmd\":\"start\",\"name\":\"api\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.5\",\"expose\":[\"80/tcp\"]}");
	ok("{\"cmd\":\"start\",\"name\":\"app\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.4\",\"links\":[\"api:api\"]}");
	ck_assert(in_table(&app));
	ck_assert_uint_eq(chg_d.gc.garbage.n, NRANGES - 4);
	drain_all();
	expect_table(&app, 1);
}
END_TEST

START_TEST(test_reuse_identical_cancels)
{
	struct icc_elem want[NRANGES + 1];
	const struct fake_commit *c;
	size_t n0;

	start_many(want);
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	n0 = ncommits();
	/* The receiver comes back with the same address and links: the
	 * garbage is exactly what it needs; only the pair is added. */
	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	ck_assert_uint_eq(ncommits(), n0 + 1);
	c = commit_at(n0);
	expect_elems(&c->adds, want, 1);
	ck_assert_uint_eq(c->dels.n, 0);
	ck_assert(!rangegc_busy(&chg_d.gc));
	expect_table(want, NRANGES + 1);
	ck_assert(flow_ok("10.0.0.3", "10.0.0.2", 10190));
}
END_TEST

/*
 * reuse_different: after web's stop, db comes back with other ranges:
 * 10000-10001 (garbage of the same pair), 20000-20009 (new) and
 * 10005-10015 (overlapping the garbage 10010-10011, which the kernel
 * would refuse beside it); web starts again.  want gets the four
 * elements it is due.
 */
static void
reuse_different(struct icc_elem want[4])
{
	want[0] = p4("10.0.0.3", "10.0.0.2");
	want[1] = e4("10.0.0.3", "10.0.0.2", "10000-10001/tcp");
	want[2] = e4("10.0.0.3", "10.0.0.2", "20000-20009/tcp");
	want[3] = e4("10.0.0.3", "10.0.0.2", "10005-10015/tcp");
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	ok("{\"cmd\":\"stop\",\"name\":\"db\"}");
	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"10000-10001/tcp\","
	    "\"20000-20009/tcp\",\"10005-10015/tcp\"]}");
	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
}

START_TEST(test_reuse_different_waits)
{
	struct icc_elem want[NRANGES + 1], due[4];
	const struct fake_commit *last;
	size_t n0;

	start_many(want);
	reuse_different(due);
	/* Held back: the pair and the two new ranges; the identical range
	 * left the queue.  Nothing passes yet, not even 10000. */
	ck_assert_uint_eq(chg_d.gc.garbage.n, NRANGES - 1);
	ck_assert_uint_eq(chg_d.gc.pending.n, 3);
	ck_assert(!in_table(&due[0]));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10000));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 20005));
	chg_d.gc.chunk_max = 5;
	while (rangegc_busy(&chg_d.gc)) {
		ck_assert(!in_table(&due[0]));
		n0 = ncommits();
		ck_assert_int_gt(rangegc_drain(&chg_d), 0);
		ck_assert_uint_eq(ncommits(), n0 + 1);
	}
	/* The pair and its new ranges came in the chunk that deleted the
	 * pair's last garbage. */
	last = commit_at(ncommits() - 1);
	ck_assert_uint_gt(last->dels.n, 0);
	expect_elems(&last->adds, (struct icc_elem[]){ due[0], due[2],
	    due[3] }, 3);
	expect_table(due, 4);
	ck_assert(flow_ok("10.0.0.3", "10.0.0.2", 20005));
	ck_assert(flow_ok("10.0.0.3", "10.0.0.2", 10012));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10190));
}
END_TEST

/*
 * A source that changes its ports while its links stay: more than
 * RANGEGC_MIN ranges of a pair that stays are revoked.  The pair is cut
 * (deleted, held back) like a stop's, the old ranges become garbage,
 * and the new ones wait with the pair: the request pays no pipapo
 * delete.  The one range db keeps (10000-10001) stays in the kernel,
 * inert until the pair is back.
 */
START_TEST(test_source_port_change_cuts_pair)
{
	struct icc_elem want[NRANGES + 1], pair = p4("10.0.0.3", "10.0.0.2");
	struct icc_elem kept = e4("10.0.0.3", "10.0.0.2", "10000-10001/tcp");
	const struct fake_commit *c;
	char json[1024];
	size_t n0;

	start_many(want);
	/* 10000-10001 kept; the other 19 moved by 5 ports. */
	ranges(10005, json, sizeof(json), "10.0.0.3", "10.0.0.2", NULL);
	n0 = ncommits();
	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"10000-10001/tcp\",%s]}", json);
	ck_assert_uint_eq(ncommits(), n0 + 1);
	c = commit_at(n0);
	expect_elems(&c->dels, &pair, 1);
	ck_assert_uint_eq(c->adds.n, 0);
	ck_assert_uint_eq(chg_d.gc.garbage.n, NRANGES - 1);
	ck_assert(in_table(&kept));
	ck_assert(!in_table(&pair));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10000));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10016));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10011));
	drain_all();
	ck_assert(in_table(&pair));
	ck_assert(flow_ok("10.0.0.3", "10.0.0.2", 10000));
	ck_assert(flow_ok("10.0.0.3", "10.0.0.2", 10016));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10011));
	ck_assert(!flow_ok("10.0.0.3", "10.0.0.2", 10021));
}
END_TEST

/*
 * A chunk in another part of the queue (a waiting pair's garbage) starts
 * with one element, whatever the size the head's cheaper deletes grew
 * to: its deletes may cost many times more.
 */
START_TEST(test_chunk_restarts_elsewhere)
{
	struct icc_elem want[NRANGES + 1];
	char json[1024];

	start_many(want);
	ok("{\"cmd\":\"start\",\"name\":\"api\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.4\",\"links\":[\"db:db\"]}");
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	ok("{\"cmd\":\"stop\",\"name\":\"api\"}");
	ck_assert_uint_eq(chg_d.gc.garbage.n, 2 * NRANGES);
	ck_assert_int_eq(rangegc_drain(&chg_d), 8);	/* the head */
	chg_d.gc.chunk = 10;
	/* api (10.0.0.4, after web in the queue) comes back to other
	 * ranges of db: its adds wait for its garbage, drained first. */
	ok("{\"cmd\":\"stop\",\"name\":\"db\"}");
	ranges(30000, json, sizeof(json), "10.0.0.4", "10.0.0.2", NULL);
	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[%s]}", json);
	ok("{\"cmd\":\"start\",\"name\":\"api\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.4\",\"links\":[\"db:db\"]}");
	ck_assert_uint_eq(chg_d.gc.pending.n, NRANGES + 1);
	ck_assert_int_eq(rangegc_drain(&chg_d), 1);
	/* Then it grows again within that part. */
	ck_assert_int_gt(rangegc_drain(&chg_d), 1);
	drain_all();
	ck_assert(flow_ok("10.0.0.4", "10.0.0.2", 30011));
}
END_TEST

/* Over RANGEGC_MAX queued, a request adding ranges is refused (named);
 * one adding single ports is not; revoking never is. */
START_TEST(test_admit_over_max)
{
	struct icc_elem e;
	char p[32];

	for (unsigned i = 0; i <= RANGEGC_MAX; i++) {
		snprintf(p, sizeof(p), "%u-%u/tcp", 1 + i % 60000,
		    2 + i % 60000);
		e = e4(i < 60000 ? "10.9.0.1" : "10.9.0.2", "10.9.1.1", p);
		ck_assert_int_eq(elemvec_push(&chg_d.gc.garbage, &e), 0);
	}
	elemvec_sort(&chg_d.gc.garbage);
	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"80/tcp\",\"7000-7999/tcp\"]}");
	req_refused("port ranges: 65537 revoked ranges are still being "
	    "removed (at most 65536 may wait): try again when iccctl status "
	    "shows fewer", "{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":"
	    "\"br0\",\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	ok("{\"cmd\":\"start\",\"name\":\"api\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.5\",\"expose\":[\"80/tcp\"]}");
	ok("{\"cmd\":\"start\",\"name\":\"app\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.4\",\"links\":[\"api:api\"]}");
	ck_assert(flow_ok("10.0.0.4", "10.0.0.5", 80));
	rangegc_clear(&chg_d.gc);
}
END_TEST

START_TEST(test_delete_pending)
{
	struct icc_elem want[NRANGES + 1], due[4];
	size_t n0;

	start_many(want);
	reuse_different(due);
	n0 = ncommits();
	/* Stopped again before the drain: the pending adds are dropped and
	 * the range it had back goes to the queue again: no kernel work. */
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	ck_assert_uint_eq(ncommits(), n0);
	ck_assert_uint_eq(chg_d.gc.pending.n, 0);
	ck_assert_uint_eq(chg_d.gc.garbage.n, NRANGES);
	drain_all();
	expect_table(NULL, 0);
}
END_TEST

START_TEST(test_takeback_restores_queue)
{
	struct icc_elem want[NRANGES + 1], due[4];
	struct snapshot before;
	json_t *r;

	start_many(want);
	/* A stop taken back with its round: no garbage, pair back. */
	snap(&before);
	chg_d.group_commit = true;
	r = ask("{\"cmd\":\"stop\",\"name\":\"web\"}");
	ck_assert(json_is_true(json_object_get(r, "ok")));
	ck_assert_uint_eq(chg_d.gc.garbage.n, NRANGES);
	journal_breaks(true);
	daemon_round(&chg_d);
	journal_breaks(false);
	ck_assert(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	ck_assert(!rangegc_busy(&chg_d.gc));
	expect_unchanged(&before);
	ck_assert(flow_ok("10.0.0.3", "10.0.0.2", 10001));

	/* A reuse taken back: the queue and pending as they were. */
	chg_d.group_commit = false;
	reuse_different(due);
	ck_assert_uint_eq(chg_d.gc.pending.n, 3);
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	snap(&before);
	chg_d.group_commit = true;
	r = ask("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
	ck_assert(json_is_true(json_object_get(r, "ok")));
	ck_assert_uint_eq(chg_d.gc.pending.n, 3);
	journal_breaks(true);
	daemon_round(&chg_d);
	journal_breaks(false);
	json_decref(r);
	chg_d.group_commit = false;
	ck_assert_uint_eq(chg_d.gc.pending.n, 0);
	ck_assert_uint_eq(chg_d.gc.garbage.n, NRANGES);
	expect_unchanged(&before);
	drain_all();
	expect_table(NULL, 0);
}
END_TEST

START_TEST(test_sync_clears)
{
	struct icc_elem want[NRANGES + 1], due[4];
	char err[512];

	start_many(want);
	reuse_different(due);
	ck_assert(rangegc_busy(&chg_d.gc));
	ck_assert_int_eq(daemon_sync(&chg_d, err, sizeof(err)), 0);
	ck_assert(!rangegc_busy(&chg_d.gc));
	expect_table(due, 4);
}
END_TEST

START_TEST(test_drain_refused_resyncs)
{
	struct icc_elem want[NRANGES + 1];
	char err[512];

	start_many(want);
	ok("{\"cmd\":\"stop\",\"name\":\"web\"}");
	/* Someone deletes garbage behind iccd's back: the chunk holding it
	 * is refused (ENOENT); the queue does not wedge: a resync. */
	fake_foreign_del_elem(&want[1]);
	chg_d.gc.chunk_max = 100;
	ck_assert_int_eq(rangegc_drain(&chg_d), -1);
	ck_assert(chg_d.need_sync);
	ck_assert_int_eq(rangegc_drain(&chg_d), 0);	/* waits for it */
	ck_assert_int_eq(daemon_sync(&chg_d, err, sizeof(err)), 0);
	ck_assert(!rangegc_busy(&chg_d.gc));
	expect_table(NULL, 0);
}
END_TEST

/* status_gc: status's "matches" and its range_gc field `key`. */
static long long
status_gc(const char *key, bool *matches)
{
	json_t *rep = ask("{\"cmd\":\"status\"}");
	long long v;

	*matches = json_is_true(json_object_get(rep, "matches"));
	v = json_integer_value(json_object_get(json_object_get(rep,
	    "range_gc"), key));
	json_decref(rep);
	return v;
}

START_TEST(test_status_and_metrics)
{
	struct icc_elem want[NRANGES + 1], due[4];
	bool matches;
	char *text;

	start_many(want);
	reuse_different(due);
	/* The table is what iccd means it to be, the queue shown. */
	ck_assert_int_eq(status_gc("queued", &matches), NRANGES - 1);
	ck_assert(matches);
	ck_assert_int_eq(status_gc("pairs", &matches), 1);
	ck_assert_int_eq(status_gc("pending", &matches), 3);
	text = metrics_text(&chg_d);
	ck_assert_ptr_nonnull(strstr(text, "\niccd_range_gc_queued 19\n"));
	ck_assert_ptr_nonnull(strstr(text, "\niccd_range_gc_pending 3\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "\niccd_range_gc_drained_total 0\n"));
	free(text);
	/* A garbage range gone behind iccd's back: no longer matches. */
	fake_foreign_del_elem(&want[NRANGES]);
	ck_assert_int_eq(status_gc("queued", &matches), NRANGES - 1);
	ck_assert(!matches);
	fake_foreign_add_elem(&want[NRANGES]);
	drain_all();
	ck_assert_int_eq(status_gc("drained", &matches), NRANGES - 1);
	ck_assert(matches);
	text = metrics_text(&chg_d);
	ck_assert_ptr_nonnull(strstr(text, "\niccd_range_gc_queued 0\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "\niccd_range_gc_drained_total 19\n"));
	free(text);
}
END_TEST

Suite *
rangegc_suite(void)
{
	Suite *s = suite_create("rangegc");
	TCase *tc = tcase_create("queue");

	tcase_set_timeout(tc, GC_TIMEOUT);
	tcase_add_checked_fixture(tc, chg_setup, chg_teardown);
	tcase_add_test(tc, test_stop_sends_pair_only);
	tcase_add_test(tc, test_few_ranges_stay_in_batch);
	tcase_add_test(tc, test_request_between_chunks);
	tcase_add_test(tc, test_reuse_identical_cancels);
	tcase_add_test(tc, test_reuse_different_waits);
	tcase_add_test(tc, test_delete_pending);
	tcase_add_test(tc, test_takeback_restores_queue);
	tcase_add_test(tc, test_sync_clears);
	tcase_add_test(tc, test_drain_refused_resyncs);
	tcase_add_test(tc, test_status_and_metrics);
	tcase_add_test(tc, test_source_port_change_cuts_pair);
	tcase_add_test(tc, test_chunk_restarts_elsewhere);
	tcase_add_test(tc, test_admit_over_max);
	suite_add_tcase(s, tc);
	return s;
}
