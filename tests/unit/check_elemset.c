/*
 * check_elemset.c: the rule engine's counted element set (engine.c) with
 * its plan, commit and diff, whole change scenarios (address change,
 * stop) from model to kernel delta, and a large model.  Helpers are
 * engine_fixture.c's.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"
#include "suites.h"

/* ---- the counted set ---------------------------------------------------- */

/* plan: elemset_plan into cleared adds and dels; both come out sorted. */
static void
plan(const struct elemset *s, const struct elemvec *before,
    const struct elemvec *after, struct elemvec *adds, struct elemvec *dels)
{
	elemvec_clear(adds);
	elemvec_clear(dels);
	ck_assert_int_eq(elemset_plan(s, before, after, adds, dels), 0);
	check_sorted(adds, "adds");
	check_sorted(dels, "dels");
}

START_TEST(test_plan_commit)
{
	struct elemset *s = elemset_new();
	struct elemvec none = { NULL, 0, 0 }, x = { NULL, 0, 0 };
	struct elemvec xx = { NULL, 0, 0 }, y = { NULL, 0, 0 };
	struct elemvec adds = { NULL, 0, 0 }, dels = { NULL, 0, 0 };
	struct icc_elem ex = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct icc_elem ey = el4("10.0.0.3", "10.0.0.2", IPPROTO_UDP, 53, 53);

	ck_assert_ptr_nonnull(s);
	push(&x, ex);
	push(&xx, ex);
	push(&xx, ex);
	push(&y, ey);
	ck_assert_uint_eq(elemset_size(s), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 0);

	/* Nothing for nothing. */
	plan(s, &none, &none, &adds, &dels);
	ck_assert_uint_eq(adds.n + dels.n, 0);

	/* The first derivation: an add. */
	plan(s, &none, &x, &adds, &dels);
	CHECK_ELEMS(&adds, "first derivation", WEB_DB);
	ck_assert_uint_eq(dels.n, 0);
	ck_assert_int_eq(elemset_commit(s, &none, &x), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 1);
	ck_assert_uint_eq(elemset_size(s), 1);

	/* The second: nothing. */
	plan(s, &none, &x, &adds, &dels);
	ck_assert_uint_eq(adds.n + dels.n, 0);
	ck_assert_int_eq(elemset_commit(s, &none, &x), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 2);
	ck_assert_uint_eq(elemset_size(s), 1);

	/* Replaced by itself: nothing. */
	plan(s, &x, &x, &adds, &dels);
	ck_assert_uint_eq(adds.n + dels.n, 0);
	ck_assert_int_eq(elemset_commit(s, &x, &x), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 2);

	/* One of two removed: nothing. */
	plan(s, &x, &none, &adds, &dels);
	ck_assert_uint_eq(adds.n + dels.n, 0);
	ck_assert_int_eq(elemset_commit(s, &x, &none), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 1);
	ck_assert_uint_eq(elemset_size(s), 1);

	/* The last: a del. */
	plan(s, &x, &none, &adds, &dels);
	ck_assert_uint_eq(adds.n, 0);
	CHECK_ELEMS(&dels, "last derivation", WEB_DB);
	ck_assert_int_eq(elemset_commit(s, &x, &none), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 0);
	ck_assert_uint_eq(elemset_size(s), 0);

	/* Two derivations at once: one add; both gone at once: one del. */
	plan(s, &none, &xx, &adds, &dels);
	CHECK_ELEMS(&adds, "two at once", WEB_DB);
	ck_assert_uint_eq(dels.n, 0);
	ck_assert_int_eq(elemset_commit(s, &none, &xx), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 2);
	plan(s, &xx, &none, &adds, &dels);
	ck_assert_uint_eq(adds.n, 0);
	CHECK_ELEMS(&dels, "two gone at once", WEB_DB);

	/* One swapped for another. */
	plan(s, &xx, &y, &adds, &dels);
	CHECK_ELEMS(&adds, "swap adds", "10.0.0.3 . 10.0.0.2 . udp . 53");
	CHECK_ELEMS(&dels, "swap dels", WEB_DB);
	ck_assert_int_eq(elemset_commit(s, &xx, &y), 0);
	ck_assert_uint_eq(elemset_count(s, &ex), 0);
	ck_assert_uint_eq(elemset_count(s, &ey), 1);
	ck_assert_uint_eq(elemset_size(s), 1);

	/* plan appends to what adds and dels held. */
	elemvec_clear(&adds);
	elemvec_clear(&dels);
	push(&adds, ey);
	ck_assert_int_eq(elemset_plan(s, &none, &x, &adds, &dels), 0);
	ck_assert_uint_eq(adds.n, 2);

	elemset_free(s);
	elemvec_free(&x);
	elemvec_free(&xx);
	elemvec_free(&y);
	elemvec_free(&adds);
	elemvec_free(&dels);
}
END_TEST

START_TEST(test_plan_pure)
{
	struct elemvec init = { NULL, 0, 0 }, before = { NULL, 0, 0 };
	struct elemvec after = { NULL, 0, 0 };
	struct elemvec adds = { NULL, 0, 0 }, dels = { NULL, 0, 0 };
	struct icc_elem x = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct icc_elem y = el4("10.0.0.4", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct icc_elem z = el6("fd00::3", "fd00::2", IPPROTO_TCP, 7000, 7999);
	struct elemset *s;
	char *d0, *d1;

	push(&init, x);
	push(&init, x);
	push(&init, y);
	s = set_of(&init);
	d0 = set_dump(s);
	ck_assert_str_eq(d0, WEB_DB " #2\n" API_DB " #1\n");

	push(&before, x);
	push(&before, x);
	push(&before, y);
	push(&after, z);
	push(&after, z);
	for (int i = 0; i < 2; i++) {
		plan(s, &before, &after, &adds, &dels);
		CHECK_ELEMS(&adds, "adds",
		    "fd00::3 . fd00::2 . tcp . 7000-7999");
		CHECK_ELEMS(&dels, "dels", WEB_DB, API_DB);
		d1 = set_dump(s);
		ck_assert_str_eq(d1, d0);
		free(d1);
		ck_assert_uint_eq(elemset_count(s, &z), 0);
		ck_assert_uint_eq(elemset_size(s), 2);
	}

	ck_assert_int_eq(elemset_commit(s, &before, &after), 0);
	d1 = set_dump(s);
	ck_assert_str_eq(d1, "fd00::3 . fd00::2 . tcp . 7000-7999 #2\n");
	free(d1);
	free(d0);
	elemset_free(s);
	elemvec_free(&init);
	elemvec_free(&before);
	elemvec_free(&after);
	elemvec_free(&adds);
	elemvec_free(&dels);
}
END_TEST

START_TEST(test_plan_einval)
{
	struct elemvec none = { NULL, 0, 0 }, x = { NULL, 0, 0 };
	struct elemvec xx = { NULL, 0, 0 }, xy = { NULL, 0, 0 };
	struct elemvec adds = { NULL, 0, 0 }, dels = { NULL, 0, 0 };
	struct icc_elem ex = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct icc_elem ey = el4("10.0.0.4", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct elemset *s = elemset_new();
	char *d0, *d1;

	push(&x, ex);
	push(&xx, ex);
	push(&xx, ex);
	push(&xy, ex);
	push(&xy, ey);

	/* An empty set has no derivation to remove. */
	errno = 0;
	ck_assert_int_eq(elemset_plan(s, &x, &none, &adds, &dels), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* One derivation, two removed. */
	ck_assert_int_eq(elemset_commit(s, &none, &x), 0);
	d0 = set_dump(s);
	errno = 0;
	ck_assert_int_eq(elemset_plan(s, &xx, &none, &adds, &dels), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* An element the set lacks, next to one it has. */
	errno = 0;
	ck_assert_int_eq(elemset_plan(s, &xy, &none, &adds, &dels), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(elemset_plan(s, &xy, &x, &adds, &dels), -1);
	ck_assert_int_eq(errno, EINVAL);
	d1 = set_dump(s);
	ck_assert_str_eq(d1, d0);
	free(d0);
	free(d1);

	/* What it does hold can go. */
	elemvec_clear(&adds);
	elemvec_clear(&dels);
	ck_assert_int_eq(elemset_plan(s, &x, &none, &adds, &dels), 0);
	CHECK_ELEMS(&dels, "the one held", WEB_DB);

	elemset_free(s);
	elemvec_free(&x);
	elemvec_free(&xx);
	elemvec_free(&xy);
	elemvec_free(&adds);
	elemvec_free(&dels);
}
END_TEST

START_TEST(test_diff)
{
	struct elemvec none = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct elemvec have = { NULL, 0, 0 };
	struct elemvec adds = { NULL, 0, 0 }, dels = { NULL, 0, 0 };
	struct icc_elem a = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct icc_elem b = el4("10.0.0.3", "10.0.0.2", IPPROTO_UDP, 53, 53);
	struct icc_elem c = el6("fd00::3", "fd00::2", IPPROTO_TCP, 7000, 7999);
	struct icc_elem d = el4("10.0.0.9", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct icc_elem f = el4("10.0.0.1", "10.0.0.2", IPPROTO_SCTP, 9, 10);
	struct elemset *s;

	/* Desired a (twice derived), b, c; the kernel has b, c, d. */
	push(&want, a);
	push(&want, a);
	push(&want, b);
	push(&want, c);
	s = set_of(&want);
	push(&have, c);
	push(&have, d);
	push(&have, b);
	push(&have, d);
	push(&have, c);
	push(&have, d);
	ck_assert_int_eq(elemset_diff(s, &have, &adds, &dels), 0);
	CHECK_ELEMS(&adds, "missing", WEB_DB);
	CHECK_ELEMS(&dels, "extra", "10.0.0.9 . 10.0.0.2 . tcp . 3306");
	ck_assert_uint_eq(elemset_size(s), 3);
	ck_assert_uint_eq(elemset_count(s, &a), 2);

	/* Several each way: sorted, each once. */
	elemvec_clear(&adds);
	elemvec_clear(&dels);
	push(&have, f);
	push(&have, f);
	ck_assert_int_eq(elemset_diff(s, &none, &adds, &dels), 0);
	check_sorted(&adds, "all missing");
	CHECK_ELEMS(&adds, "all missing", WEB_DB,
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "fd00::3 . fd00::2 . tcp . 7000-7999");
	ck_assert_uint_eq(dels.n, 0);
	elemvec_clear(&adds);
	ck_assert_int_eq(elemset_diff(s, &want, &adds, &dels), 0);
	ck_assert_uint_eq(adds.n + dels.n, 0);
	elemset_free(s);

	s = elemset_new();
	ck_assert_int_eq(elemset_diff(s, &have, &adds, &dels), 0);
	ck_assert_uint_eq(adds.n, 0);
	check_sorted(&dels, "all extra");
	CHECK_ELEMS(&dels, "all extra",
	    "10.0.0.1 . 10.0.0.2 . sctp . 9-10",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.9 . 10.0.0.2 . tcp . 3306",
	    "fd00::3 . fd00::2 . tcp . 7000-7999");
	elemset_free(s);
	elemvec_free(&want);
	elemvec_free(&have);
	elemvec_free(&adds);
	elemvec_free(&dels);
}
END_TEST

/* ---- change scenarios ---------------------------------------------------- */

/*
 * db (10.0.0.2: 3306/tcp, 53/udp, 7000-7999/tcp) links cache (10.0.0.5:
 * 6379/tcp); web (10.0.0.3) links db; api (10.0.0.4) links db twice;
 * other (10.0.0.6) links cache.
 */
static struct icc_model *
scenario_model(void)
{
	struct icc_model *m = model_new(true);
	struct icc_container *c;

	c = mkc6("db", "docker0", "10.0.0.2", NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	expose(c, 53, 53, IPPROTO_UDP);
	expose(c, 7000, 7999, IPPROTO_TCP);
	mklink(c, "cache", "cache");
	put(m, c);
	c = mkc6("cache", "docker0", "10.0.0.5", NULL, true);
	expose(c, 6379, 6379, IPPROTO_TCP);
	put(m, c);
	c = mkc6("web", "docker0", "10.0.0.3", NULL, true);
	mklink(c, "db", "db");
	put(m, c);
	c = mkc6("api", "docker0", "10.0.0.4", NULL, true);
	mklink(c, "db", "db");
	mklink(c, "db", "database");
	put(m, c);
	c = mkc6("other", "docker0", "10.0.0.6", NULL, true);
	mklink(c, "cache", "cache");
	put(m, c);
	return m;
}

/* check_in_step: s holds exactly what engine_all derives from m. */
static void
check_in_step(const struct icc_model *m, const struct elemset *s)
{
	struct elemvec all = { NULL, 0, 0 };
	struct elemset *fresh;
	char *a, *b;

	ck_assert_int_eq(engine_all(m, &all), 0);
	fresh = set_of(&all);
	a = set_dump(fresh);
	b = set_dump(s);
	ck_assert_msg(strcmp(a, b) == 0, "set out of step: has\n%swant\n%s",
	    b, a);
	free(a);
	free(b);
	elemset_free(fresh);
	elemvec_free(&all);
}

/* change: one transaction as the daemon runs it. */
struct change {
	struct elemvec	before, after, adds, dels;
};

static void
change_begin(struct change *ch, const struct icc_model *m,
    const char *const *names, size_t n)
{
	memset(ch, 0, sizeof(*ch));
	ck_assert_int_eq(engine_touching(m, names, n, &ch->before), 0);
}

static void
change_end(struct change *ch, const struct icc_model *m, struct elemset *s,
    const char *const *names, size_t n)
{
	ck_assert_int_eq(engine_touching(m, names, n, &ch->after), 0);
	plan(s, &ch->before, &ch->after, &ch->adds, &ch->dels);
	ck_assert_int_eq(elemset_commit(s, &ch->before, &ch->after), 0);
	check_in_step(m, s);
}

static void
change_free(struct change *ch)
{
	elemvec_free(&ch->before);
	elemvec_free(&ch->after);
	elemvec_free(&ch->adds);
	elemvec_free(&ch->dels);
}

START_TEST(test_ip_change)
{
	struct icc_model *m = scenario_model();
	struct elemvec all = { NULL, 0, 0 };
	const char *db[] = { "db" };
	struct icc_container *c;
	struct change ch;
	struct elemset *s;

	/* 11 port elements and 3 pairs (web's, api's twice) */
	ck_assert_int_eq(engine_all(m, &all), 0);
	ck_assert_uint_eq(all.n, 14);
	s = set_of(&all);
	ck_assert_uint_eq(elemset_size(s), 10);

	change_begin(&ch, m, db, 1);
	ck_assert_uint_eq(ch.before.n, 13);
	c = copy_of(m, "db");
	c->ip4 = ip4("10.0.0.9");
	put(m, c);
	change_end(&ch, m, s, db, 1);
	CHECK_ELEMS(&ch.adds, "adds",
	    "10.0.0.3 . 10.0.0.9",
	    "10.0.0.4 . 10.0.0.9",
	    "10.0.0.3 . 10.0.0.9 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.9 . udp . 53",
	    "10.0.0.3 . 10.0.0.9 . tcp . 7000-7999",
	    "10.0.0.4 . 10.0.0.9 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.9 . udp . 53",
	    "10.0.0.4 . 10.0.0.9 . tcp . 7000-7999",
	    "10.0.0.9 . 10.0.0.5 . tcp . 6379");
	CHECK_ELEMS(&ch.dels, "dels",
	    "10.0.0.3 . 10.0.0.2",
	    "10.0.0.4 . 10.0.0.2",
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.4 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.2 . udp . 53",
	    "10.0.0.4 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.2 . 10.0.0.5 . tcp . 6379");
	ck_assert_uint_eq(elemset_size(s), 10);
	{
		struct icc_elem e = el4("10.0.0.4", "10.0.0.9", IPPROTO_UDP, 53,
		    53);

		ck_assert_uint_eq(elemset_count(s, &e), 2);
	}
	change_free(&ch);

	/* The same address again: nothing. */
	change_begin(&ch, m, db, 1);
	put(m, copy_of(m, "db"));
	change_end(&ch, m, s, db, 1);
	ck_assert_uint_eq(ch.adds.n + ch.dels.n, 0);
	change_free(&ch);

	elemset_free(s);
	elemvec_free(&all);
	model_free(m);
}
END_TEST

START_TEST(test_stop_start)
{
	struct icc_model *m = scenario_model();
	struct elemvec all = { NULL, 0, 0 };
	const char *api[] = { "api" };
	const char *db[] = { "db" };
	struct change ch;
	struct elemset *s;

	ck_assert_int_eq(engine_all(m, &all), 0);
	s = set_of(&all);

	/* A receiver stops: dels only, each once. */
	change_begin(&ch, m, api, 1);
	ck_assert_int_eq(model_set_running(m, "api", false), 0);
	change_end(&ch, m, s, api, 1);
	ck_assert_uint_eq(ch.adds.n, 0);
	CHECK_ELEMS(&ch.dels, "api stops",
	    "10.0.0.4 . 10.0.0.2",
	    "10.0.0.4 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.2 . udp . 53",
	    "10.0.0.4 . 10.0.0.2 . tcp . 7000-7999");
	ck_assert_uint_eq(elemset_size(s), 6);
	change_free(&ch);

	/* A stopped receiver stops again: nothing. */
	change_begin(&ch, m, api, 1);
	ck_assert_int_eq(model_set_running(m, "api", false), 0);
	change_end(&ch, m, s, api, 1);
	ck_assert_uint_eq(ch.adds.n + ch.dels.n, 0);
	change_free(&ch);

	/* A source that is a receiver too stops: both sides go. */
	change_begin(&ch, m, db, 1);
	ck_assert_int_eq(model_set_running(m, "db", false), 0);
	change_end(&ch, m, s, db, 1);
	ck_assert_uint_eq(ch.adds.n, 0);
	CHECK_ELEMS(&ch.dels, "db stops",
	    "10.0.0.3 . 10.0.0.2",
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.2 . 10.0.0.5 . tcp . 6379");
	ck_assert_uint_eq(elemset_size(s), 1);
	change_free(&ch);

	/* The receiver starts while its source is down: nothing. */
	change_begin(&ch, m, api, 1);
	ck_assert_int_eq(model_set_running(m, "api", true), 0);
	change_end(&ch, m, s, api, 1);
	ck_assert_uint_eq(ch.adds.n + ch.dels.n, 0);
	change_free(&ch);

	/* The source comes back: adds only. */
	change_begin(&ch, m, db, 1);
	ck_assert_int_eq(model_set_running(m, "db", true), 0);
	change_end(&ch, m, s, db, 1);
	ck_assert_uint_eq(ch.dels.n, 0);
	CHECK_ELEMS(&ch.adds, "db starts",
	    "10.0.0.3 . 10.0.0.2",
	    "10.0.0.4 . 10.0.0.2",
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.4 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.2 . udp . 53",
	    "10.0.0.4 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.2 . 10.0.0.5 . tcp . 6379");
	ck_assert_uint_eq(elemset_size(s), 10);
	change_free(&ch);

	/* The source removed: everything to it goes, its own link too. */
	change_begin(&ch, m, db, 1);
	container_free(model_take(m, "db"));
	change_end(&ch, m, s, db, 1);
	ck_assert_uint_eq(ch.adds.n, 0);
	ck_assert_uint_eq(ch.dels.n, 9);
	ck_assert_uint_eq(elemset_size(s), 1);
	change_free(&ch);

	elemset_free(s);
	elemvec_free(&all);
	model_free(m);
}
END_TEST

/* ---- scale -------------------------------------------------------------- */

#define NSRC	100
#define NRECV	10000
#define RECV_BASE	0x0a000001U	/* 10.0.0.1: receiver i at + i */
#define SRC_BASE	0x0a640001U	/* 10.100.0.1: source j at + j */

START_TEST(test_scale)
{
	struct icc_model *m = model_new(true);
	struct elemvec all = { NULL, 0, 0 };
	struct icc_container *c;
	const char *names[] = { "s007" };
	char name[16];
	struct in_addr old, new;
	struct change ch;
	struct elemset *s;
	size_t nport[4] = { 0, 0, 0, 0 };

	for (unsigned j = 0; j < NSRC; j++) {
		c = container_new();
		ck_assert_ptr_nonnull(c);
		snprintf(c->name, sizeof(c->name), "s%03u", j);
		snprintf(c->bridge, sizeof(c->bridge), "docker0");
		c->ip4.s_addr = htonl(SRC_BASE + j);
		c->running = true;
		expose(c, 80, 80, IPPROTO_TCP);
		expose(c, 443, 443, IPPROTO_TCP);
		expose(c, 8000, 8100, IPPROTO_TCP);
		put(m, c);
	}
	for (unsigned i = 0; i < NRECV; i++) {
		c = container_new();
		ck_assert_ptr_nonnull(c);
		snprintf(c->name, sizeof(c->name), "r%05u", i);
		snprintf(c->bridge, sizeof(c->bridge), "docker0");
		c->ip4.s_addr = htonl(RECV_BASE + i);
		c->running = true;
		snprintf(name, sizeof(name), "s%03u", i % NSRC);
		mklink(c, name, "backend");
		put(m, c);
	}
	ck_assert_uint_eq(model_count(m), NSRC + NRECV);

	ck_assert_int_eq(engine_all(m, &all), 0);
	ck_assert_uint_eq(all.n, NRECV * 4);
	s = set_of(&all);
	ck_assert_uint_eq(elemset_size(s), NRECV * 4);

	/* s007 changes address. */
	old.s_addr = htonl(SRC_BASE + 7);
	new.s_addr = htonl(0x0ac80007U);	/* 10.200.0.7 */
	change_begin(&ch, m, names, 1);
	ck_assert_uint_eq(ch.before.n, NRECV / NSRC * 4);
	c = copy_of(m, "s007");
	c->ip4 = new;
	put(m, c);
	ck_assert_int_eq(engine_touching(m, names, 1, &ch.after), 0);
	ck_assert_uint_eq(ch.after.n, NRECV / NSRC * 4);
	plan(s, &ch.before, &ch.after, &ch.adds, &ch.dels);
	ck_assert_uint_eq(ch.adds.n, NRECV / NSRC * 4);
	ck_assert_uint_eq(ch.dels.n, NRECV / NSRC * 4);
	ck_assert_uint_eq(ch.adds.n + ch.dels.n, 800);

	/* Strictly sorted, so distinct; each a receiver of s007 and one of
	 * its three ports and the pair of the range: 100 receivers x 4 each
	 * way. */
	for (int k = 0; k < 2; k++) {
		const struct elemvec *ev = k == 0 ? &ch.adds : &ch.dels;
		struct in_addr want = k == 0 ? new : old;

		for (size_t x = 0; x < ev->n; x++) {
			const struct icc_elem *e = &ev->v[x];
			uint32_t r = ntohl(e->recv.v4.s_addr) - RECV_BASE;

			ck_assert_uint_eq(e->family, AF_INET);
			ck_assert_uint_eq(e->src.v4.s_addr, want.s_addr);
			ck_assert_uint_lt(r, NRECV);
			ck_assert_uint_eq(r % NSRC, 7);
			if (elem_is_pair(e))
				nport[3]++;
			else if (e->proto != IPPROTO_TCP)
				ck_abort_msg("proto %u", e->proto);
			else if (e->first == 80 && e->last == 80)
				nport[0]++;
			else if (e->first == 443 && e->last == 443)
				nport[1]++;
			else if (e->first == 8000 && e->last == 8100)
				nport[2]++;
			else
				ck_abort_msg("port %u-%u", e->first, e->last);
		}
	}
	ck_assert_uint_eq(nport[0], 200);
	ck_assert_uint_eq(nport[1], 200);
	ck_assert_uint_eq(nport[2], 200);
	ck_assert_uint_eq(nport[3], 200);	/* the pairs of the range */

	ck_assert_int_eq(elemset_commit(s, &ch.before, &ch.after), 0);
	ck_assert_uint_eq(elemset_size(s), NRECV * 4);
	check_in_step(m, s);

	change_free(&ch);
	elemset_free(s);
	elemvec_free(&all);
	model_free(m);
}
END_TEST

Suite *
elemset_suite(void)
{
	Suite *s = suite_create("elemset");
	TCase *tc;

	tc = tcase_create("elemset");
	tcase_add_test(tc, test_plan_commit);
	tcase_add_test(tc, test_plan_pure);
	tcase_add_test(tc, test_plan_einval);
	tcase_add_test(tc, test_diff);
	suite_add_tcase(s, tc);

	tc = tcase_create("scenarios");
	tcase_add_test(tc, test_ip_change);
	tcase_add_test(tc, test_stop_start);
	suite_add_tcase(s, tc);

	/* Not timed: the limit only catches a runaway. */
	tc = tcase_create("scale");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_scale);
	suite_add_tcase(s, tc);

	return s;
}
