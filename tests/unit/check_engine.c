/*
 * check_engine.c: the rule engine of engine.c: elements and their order,
 * and the derivation of elements from links.  The counted element set and
 * whole change scenarios are check_elemset.c's; the helpers both share
 * are engine_fixture.c's.
 */
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"
#include "suites.h"

/* ---- elements ----------------------------------------------------------- */

START_TEST(test_elem_format)
{
	char buf[ELEM_FMT_LEN];
	struct icc_elem e;

	e = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 3306, 3306);
	ck_assert_str_eq(elem_format(&e, buf, sizeof(buf)),
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306");
	ck_assert_ptr_eq(elem_format(&e, buf, sizeof(buf)), buf);
	e = el4("172.17.0.10", "172.17.0.2", IPPROTO_UDP, 53, 53);
	ck_assert_str_eq(elem_format(&e, buf, sizeof(buf)),
	    "172.17.0.10 . 172.17.0.2 . udp . 53");
	e = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 7000, 7999);
	ck_assert_str_eq(elem_format(&e, buf, sizeof(buf)),
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999");
	e = el4("10.0.0.3", "10.0.0.2", IPPROTO_SCTP, 1, 65535);
	ck_assert_str_eq(elem_format(&e, buf, sizeof(buf)),
	    "10.0.0.3 . 10.0.0.2 . sctp . 1-65535");
	e = el6("fd00::3", "fd00::2", IPPROTO_TCP, 3306, 3306);
	ck_assert_str_eq(elem_format(&e, buf, sizeof(buf)),
	    "fd00::3 . fd00::2 . tcp . 3306");
	/* The longest: two full v6 addresses and a range. */
	e = el6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd", IPPROTO_SCTP, 65534,
	    65535);
	ck_assert_str_eq(elem_format(&e, buf, sizeof(buf)),
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe . "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd . sctp . 65534-65535");
}
END_TEST

START_TEST(test_elem_init)
{
	struct icc_ports p = { 80, 80, IPPROTO_TCP };
	struct icc_elem a, b;
	struct in6_addr r = ip6("fd00::3"), s = ip6("fd00::2");
	static const unsigned char zero[12];

	/* Whatever was there before, the unused bytes end up zero. */
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	elem_init4(&a, ip4("10.0.0.3"), ip4("10.0.0.2"), &p);
	elem_init4(&b, ip4("10.0.0.3"), ip4("10.0.0.2"), &p);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_uint_eq(a.family, AF_INET);
	ck_assert_uint_eq(a.proto, IPPROTO_TCP);
	ck_assert_uint_eq(a.first, 80);
	ck_assert_uint_eq(a.last, 80);
	ck_assert_uint_eq(a.recv.v4.s_addr, ip4("10.0.0.3").s_addr);
	ck_assert_uint_eq(a.src.v4.s_addr, ip4("10.0.0.2").s_addr);
	ck_assert_mem_eq((const char *)&a.recv + 4, zero, sizeof(zero));
	ck_assert_mem_eq((const char *)&a.src + 4, zero, sizeof(zero));

	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	elem_init6(&a, &r, &s, &p);
	elem_init6(&b, &r, &s, &p);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_uint_eq(a.family, AF_INET6);
	ck_assert_mem_eq(&a.recv.v6, &r, sizeof(r));
	ck_assert_mem_eq(&a.src.v6, &s, sizeof(s));
}
END_TEST

START_TEST(test_elem_set)
{
	struct icc_elem e;

	e = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 3306, 3306);
	ck_assert_int_eq(elem_set(&e), ICC_SET_LINKS4);
	e = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 7000, 7999);
	ck_assert_int_eq(elem_set(&e), ICC_SET_RANGES4);
	e = el4("10.0.0.3", "10.0.0.2", IPPROTO_UDP, 7000, 7001);
	ck_assert_int_eq(elem_set(&e), ICC_SET_RANGES4);
	e = el6("fd00::3", "fd00::2", IPPROTO_UDP, 53, 53);
	ck_assert_int_eq(elem_set(&e), ICC_SET_LINKS6);
	e = el6("fd00::3", "fd00::2", IPPROTO_SCTP, 1, 65535);
	ck_assert_int_eq(elem_set(&e), ICC_SET_RANGES6);

	ck_assert_str_eq(elem_set_name(ICC_SET_LINKS4), "links4");
	ck_assert_str_eq(elem_set_name(ICC_SET_RANGES4), "ranges4");
	ck_assert_str_eq(elem_set_name(ICC_SET_LINKS6), "links6");
	ck_assert_str_eq(elem_set_name(ICC_SET_RANGES6), "ranges6");
	ck_assert_str_eq(elem_set_name(ICC_SET_NR), "?");
	ck_assert_str_eq(elem_set_name((enum icc_set)-1), "?");
}
END_TEST

START_TEST(test_elem_cmp)
{
	/* Strictly ascending; each step is decided by the field named. */
	struct icc_elem v[] = {
		el4("9.255.255.255", "10.0.0.9", IPPROTO_TCP, 80, 80),
		el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 80, 80),    /* recv */
		el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 80, 100),   /* last */
		el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 81, 81),    /* first */
		el4("10.0.0.3", "10.0.0.2", IPPROTO_UDP, 1, 1),	     /* proto */
		el4("10.0.0.3", "10.0.0.2", IPPROTO_SCTP, 1, 1),     /* proto */
		el4("10.0.0.3", "10.0.0.10", IPPROTO_TCP, 1, 1),     /* src */
		el4("10.0.0.10", "10.0.0.1", IPPROTO_TCP, 1, 1),     /* recv */
		el4("10.0.1.0", "1.1.1.1", IPPROTO_TCP, 1, 1),	     /* recv */
		el4("255.255.255.254", "1.1.1.1", IPPROTO_TCP, 1, 1),
		el6("::2", "::1", IPPROTO_TCP, 1, 1),		     /* v6 */
		el6("fd00::3", "fd00::2", IPPROTO_TCP, 80, 80),	     /* recv */
		el6("fd00::3", "fd00::2", IPPROTO_UDP, 53, 53),	     /* proto */
		el6("fd00::3", "fd00::10", IPPROTO_TCP, 1, 1),	     /* src */
		el6("fd00::1:0", "::1", IPPROTO_TCP, 1, 1),	     /* recv */
		el6("fe80::1", "::1", IPPROTO_TCP, 1, 1),	     /* recv */
	};
	struct elemvec ev = { NULL, 0, 0 };
	struct icc_elem copy;

	for (size_t i = 0; i < NELEM(v); i++) {
		copy = v[i];
		ck_assert_msg(elem_cmp(&v[i], &copy) == 0, "%zu != itself", i);
		for (size_t j = i + 1; j < NELEM(v); j++) {
			ck_assert_msg(elem_cmp(&v[i], &v[j]) < 0,
			    "not %zu < %zu", i, j);
			ck_assert_msg(elem_cmp(&v[j], &v[i]) > 0,
			    "not %zu > %zu", j, i);
		}
	}

	/* elemvec_sort puts a shuffle (with a duplicate) in that order. */
	for (size_t i = 0; i < NELEM(v); i++)
		push(&ev, v[(i * 7 + 3) % NELEM(v)]);
	push(&ev, v[5]);
	elemvec_sort(&ev);
	ck_assert_uint_eq(ev.n, NELEM(v) + 1);
	for (size_t i = 0, k = 0; i < ev.n; i++, k++) {
		if (i == 6)
			k--;	/* the duplicate of v[5] */
		ck_assert_msg(elem_cmp(&ev.v[i], &v[k]) == 0,
		    "sorted[%zu] is not v[%zu]", i, k);
	}
	elemvec_free(&ev);
}
END_TEST

START_TEST(test_elem_same)
{
	struct icc_elem a = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 80, 80);
	struct icc_elem ports = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 7000,
	    7999);
	struct icc_elem udp = el4("10.0.0.3", "10.0.0.2", IPPROTO_UDP, 80, 80);
	struct icc_elem recv = el4("10.0.0.4", "10.0.0.2", IPPROTO_TCP, 80, 80);
	struct icc_elem src = el4("10.0.0.3", "10.0.0.5", IPPROTO_TCP, 80, 80);
	struct icc_elem v6 = el6("fd00::3", "fd00::2", IPPROTO_TCP, 80, 80);
	struct icc_elem v6b = el6("fd00::3", "fd00::2", IPPROTO_TCP, 53, 53);
	struct icc_elem tail = a;

	/* Ports never count; the protocol only for elem_same_flow. */
	ck_assert(elem_same_addrs(&a, &ports) && elem_same_flow(&a, &ports));
	ck_assert(elem_same_addrs(&a, &udp) && !elem_same_flow(&a, &udp));
	ck_assert(!elem_same_addrs(&a, &recv) && !elem_same_flow(&a, &recv));
	ck_assert(!elem_same_addrs(&a, &src) && !elem_same_flow(&a, &src));
	ck_assert(!elem_same_addrs(&a, &v6) && !elem_same_addrs(&v6, &a));
	ck_assert(elem_same_flow(&v6, &v6b));
	/* An IPv4 element's address is its first 4 bytes only. */
	tail.recv.v6.s6_addr[15] = 0xff;
	tail.src.v6.s6_addr[8] = 0xff;
	ck_assert(elem_same_flow(&a, &tail) && elem_same_flow(&tail, &a));
}
END_TEST

START_TEST(test_elemvec_growth)
{
	struct elemvec ev = { NULL, 0, 0 };
	struct icc_ports p = { 0, 0, IPPROTO_TCP };
	struct icc_elem e;
	const size_t n = 2500;

	for (size_t i = 0; i < n; i++) {
		p.first = p.last = (uint16_t)(i + 1);
		elem_init4(&e, ip4("10.0.0.3"), ip4("10.0.0.2"), &p);
		ck_assert_int_eq(elemvec_push(&ev, &e), 0);
		ck_assert_uint_eq(ev.n, i + 1);
		ck_assert_uint_ge(ev.cap, ev.n);
	}
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(ev.v[i].first, i + 1);
		ck_assert_uint_eq(ev.v[i].recv.v4.s_addr,
		    ip4("10.0.0.3").s_addr);
	}

	/* Sorting a reversed copy gives it back. */
	{
		struct elemvec rev = { NULL, 0, 0 };

		for (size_t i = n; i > 0; i--)
			ck_assert_int_eq(elemvec_push(&rev, &ev.v[i - 1]), 0);
		elemvec_sort(&rev);
		ck_assert_uint_eq(rev.n, n);
		ck_assert_mem_eq(rev.v, ev.v, n * sizeof(*ev.v));
		elemvec_free(&rev);
	}

	elemvec_clear(&ev);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_ge(ev.cap, n);
	ck_assert_int_eq(elemvec_push(&ev, &e), 0);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(ev.v[0].first, n);
	elemvec_free(&ev);
	ck_assert_ptr_null(ev.v);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(ev.cap, 0);
	elemvec_free(&ev);	/* twice is fine */
	elemvec_sort(&ev);	/* and so is sorting nothing */
}
END_TEST

/* ---- derivation ---------------------------------------------------------- */

START_TEST(test_link_elems_v4)
{
	struct icc_model *m = web_db(false, false);
	struct elemvec ev = { NULL, 0, 0 };

	web_db_elems(m, &ev);
	CHECK_ELEMS(&ev, "web -> db",
	    "10.0.0.3 . 10.0.0.2",
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999");

	/* It appends. */
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 8);
	elemvec_free(&ev);
	model_free(m);
}
END_TEST

START_TEST(test_link_elems_v6)
{
	struct icc_model *m = web_db(true, true);
	struct elemvec ev = { NULL, 0, 0 };

	web_db_elems(m, &ev);
	CHECK_ELEMS(&ev, "web -> db, v6 on both",
	    "10.0.0.3 . 10.0.0.2",
	    "fd00::3 . fd00::2",
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999",
	    "fd00::3 . fd00::2 . tcp . 3306",
	    "fd00::3 . fd00::2 . udp . 53",
	    "fd00::3 . fd00::2 . tcp . 7000-7999");
	elemvec_free(&ev);
	model_free(m);
}
END_TEST

START_TEST(test_link_elems_v6_one_side)
{
	struct elemvec ev = { NULL, 0, 0 };
	struct icc_model *m;

	for (int side = 0; side < 2; side++) {
		m = web_db(side == 0, side == 1);
		web_db_elems(m, &ev);
		CHECK_ELEMS(&ev, side == 0 ? "v6 on web only" : "v6 on db only",
		    "10.0.0.3 . 10.0.0.2",
		    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
		    "10.0.0.3 . 10.0.0.2 . udp . 53",
		    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999");
		elemvec_clear(&ev);
		model_free(m);
	}
	elemvec_free(&ev);
}
END_TEST

START_TEST(test_link_elems_pending)
{
	struct elemvec ev = { NULL, 0, 0 };
	struct icc_model *m;
	struct icc_container *c;

	/* Source missing. */
	m = web_db(true, true);
	container_free(model_take(m, "db"));
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 0);
	model_free(m);

	/* Source stopped. */
	m = web_db(true, true);
	ck_assert_int_eq(model_set_running(m, "db", false), 0);
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 0);
	/* ... and started again. */
	ck_assert_int_eq(model_set_running(m, "db", true), 0);
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 8);	/* 6 and a pair per family */
	elemvec_clear(&ev);
	model_free(m);

	/* Receiver stopped. */
	m = web_db(false, false);
	ck_assert_int_eq(model_set_running(m, "web", false), 0);
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 0);
	model_free(m);

	/* Source on another bridge. */
	m = web_db(false, false);
	c = copy_of(m, "db");
	snprintf(c->bridge, sizeof(c->bridge), "br1");
	put(m, c);
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(engine_all(m, &ev), 0);
	ck_assert_uint_eq(ev.n, 0);
	model_free(m);

	/* A link to itself. */
	m = web_db(false, false);
	c = copy_of(m, "db");
	mklink(c, "db", "me");
	put(m, c);
	c = model_find(m, "db");
	ck_assert_int_eq(engine_link_elems(m, c, &c->links[0], &ev), 0);
	ck_assert_uint_eq(ev.n, 0);

	/* Active, but nothing exposed: nothing granted. */
	c = copy_of(m, "db");
	free(c->ports);
	c->ports = NULL;
	c->nports = 0;
	put(m, c);
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 0);
	model_free(m);
	elemvec_free(&ev);
}
END_TEST

/*
 * The touching model: web -> db, web -> other, api -> db twice (db and
 * database), db -> cache, other -> cache.  Every source exposes one port.
 */
static struct icc_model *
touching_model(void)
{
	struct icc_model *m = model_new(true);
	struct icc_container *c;

	c = mkc6("db", "docker0", "10.0.0.2", NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	mklink(c, "cache", "cache");
	put(m, c);
	c = mkc6("web", "docker0", "10.0.0.3", NULL, true);
	mklink(c, "db", "db");
	mklink(c, "other", "other");
	put(m, c);
	c = mkc6("api", "docker0", "10.0.0.4", NULL, true);
	mklink(c, "db", "db");
	mklink(c, "db", "database");
	put(m, c);
	c = mkc6("cache", "docker0", "10.0.0.5", NULL, true);
	expose(c, 6379, 6379, IPPROTO_TCP);
	put(m, c);
	c = mkc6("other", "docker0", "10.0.0.6", NULL, true);
	expose(c, 80, 80, IPPROTO_TCP);
	mklink(c, "cache", "cache");
	put(m, c);
	return m;
}

START_TEST(test_touching)
{
	struct icc_model *m = touching_model();
	struct elemvec ev = { NULL, 0, 0 };
	const char *db[] = { "db" };
	const char *web_db_names[] = { "web", "db" };
	const char *db_web[] = { "db", "web" };
	const char *cache[] = { "cache" };
	const char *web[] = { "web" };
	const char *ghost[] = { "ghost" };
	const char *all[] = { "cache", "db", "web", "api", "other" };

	/* As source (web, api twice) and as receiver (cache). */
	ck_assert_int_eq(engine_touching(m, db, 1, &ev), 0);
	CHECK_ELEMS(&ev, "touching db", WEB_DB, API_DB, API_DB, DB_CACHE);
	elemvec_clear(&ev);

	/* web -> db is counted once though both are listed. */
	ck_assert_int_eq(engine_touching(m, web_db_names, 2, &ev), 0);
	CHECK_ELEMS(&ev, "touching web, db", WEB_DB, WEB_OTHER, API_DB,
	    API_DB, DB_CACHE);
	elemvec_clear(&ev);
	ck_assert_int_eq(engine_touching(m, db_web, 2, &ev), 0);
	CHECK_ELEMS(&ev, "touching db, web", WEB_DB, WEB_OTHER, API_DB,
	    API_DB, DB_CACHE);
	elemvec_clear(&ev);

	/* Only as source. */
	ck_assert_int_eq(engine_touching(m, cache, 1, &ev), 0);
	CHECK_ELEMS(&ev, "touching cache", DB_CACHE, OTHER_CACHE);
	elemvec_clear(&ev);

	/* Only as receiver. */
	ck_assert_int_eq(engine_touching(m, web, 1, &ev), 0);
	CHECK_ELEMS(&ev, "touching web", WEB_DB, WEB_OTHER);
	elemvec_clear(&ev);

	/* Everybody: each link once, as engine_all. */
	ck_assert_int_eq(engine_touching(m, all, NELEM(all), &ev), 0);
	CHECK_ELEMS(&ev, "touching all", WEB_DB, WEB_OTHER, API_DB, API_DB,
	    DB_CACHE, OTHER_CACHE);
	elemvec_clear(&ev);
	ck_assert_int_eq(engine_all(m, &ev), 0);
	CHECK_ELEMS(&ev, "engine_all", WEB_DB, WEB_OTHER, API_DB, API_DB,
	    DB_CACHE, OTHER_CACHE);
	elemvec_clear(&ev);

	/* Nobody. */
	ck_assert_int_eq(engine_touching(m, ghost, 1, &ev), 0);
	ck_assert_int_eq(engine_touching(m, ghost, 0, &ev), 0);
	ck_assert_uint_eq(ev.n, 0);

	/* A missing source still has receivers, whose links are pending. */
	container_free(model_take(m, "db"));
	ck_assert_int_eq(engine_touching(m, db, 1, &ev), 0);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(engine_touching(m, web_db_names, 2, &ev), 0);
	CHECK_ELEMS(&ev, "touching web, db without db", WEB_OTHER);
	elemvec_free(&ev);
	model_free(m);
}
END_TEST

START_TEST(test_two_aliases)
{
	struct icc_model *m = model_new(true);
	struct elemvec ev = { NULL, 0, 0 }, before = { NULL, 0, 0 };
	struct elemvec adds = { NULL, 0, 0 }, dels = { NULL, 0, 0 };
	const char *web[] = { "web" };
	struct icc_container *c;
	struct icc_elem e = el4("10.0.0.3", "10.0.0.2", IPPROTO_TCP, 3306,
	    3306);
	struct elemset *s;

	c = mkc6("db", "docker0", "10.0.0.2", NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	put(m, c);
	c = mkc6("web", "docker0", "10.0.0.3", NULL, true);
	mklink(c, "db", "db");
	mklink(c, "db", "database");
	put(m, c);

	c = model_find(m, "web");
	ck_assert_int_eq(engine_link_elems(m, c, &c->links[0], &ev), 0);
	ck_assert_int_eq(engine_link_elems(m, c, &c->links[1], &ev), 0);
	CHECK_ELEMS(&ev, "two aliases", WEB_DB, WEB_DB);
	elemvec_clear(&ev);
	ck_assert_int_eq(engine_all(m, &ev), 0);
	CHECK_ELEMS(&ev, "two aliases, engine_all", WEB_DB, WEB_DB);

	s = set_of(&ev);
	ck_assert_uint_eq(elemset_size(s), 1);
	ck_assert_uint_eq(elemset_count(s, &e), 2);

	/* One alias goes: nothing for the kernel. */
	elemvec_clear(&ev);
	ck_assert_int_eq(engine_touching(m, web, 1, &before), 0);
	c = copy_of(m, "web");
	ck_assert_int_eq(container_del_link(c, "database"), 0);
	put(m, c);
	ck_assert_int_eq(engine_touching(m, web, 1, &ev), 0);
	ck_assert_int_eq(elemset_plan(s, &before, &ev, &adds, &dels), 0);
	ck_assert_uint_eq(adds.n, 0);
	ck_assert_uint_eq(dels.n, 0);
	ck_assert_int_eq(elemset_commit(s, &before, &ev), 0);
	ck_assert_uint_eq(elemset_count(s, &e), 1);

	/* The other goes: the element leaves. */
	elemvec_clear(&before);
	elemvec_clear(&ev);
	ck_assert_int_eq(engine_touching(m, web, 1, &before), 0);
	c = copy_of(m, "web");
	ck_assert_int_eq(container_del_link(c, "db"), 0);
	put(m, c);
	ck_assert_int_eq(engine_touching(m, web, 1, &ev), 0);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_int_eq(elemset_plan(s, &before, &ev, &adds, &dels), 0);
	ck_assert_uint_eq(adds.n, 0);
	CHECK_ELEMS(&dels, "last alias gone", WEB_DB);
	ck_assert_int_eq(elemset_commit(s, &before, &ev), 0);
	ck_assert_uint_eq(elemset_count(s, &e), 0);
	ck_assert_uint_eq(elemset_size(s), 0);

	elemset_free(s);
	elemvec_free(&ev);
	elemvec_free(&before);
	elemvec_free(&adds);
	elemvec_free(&dels);
	model_free(m);
}
END_TEST

Suite *
engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc;

	tc = tcase_create("elements");
	tcase_add_test(tc, test_elem_format);
	tcase_add_test(tc, test_elem_init);
	tcase_add_test(tc, test_elem_set);
	tcase_add_test(tc, test_elem_cmp);
	tcase_add_test(tc, test_elem_same);
	tcase_add_test(tc, test_elemvec_growth);
	suite_add_tcase(s, tc);

	tc = tcase_create("derivation");
	tcase_add_test(tc, test_link_elems_v4);
	tcase_add_test(tc, test_link_elems_v6);
	tcase_add_test(tc, test_link_elems_v6_one_side);
	tcase_add_test(tc, test_link_elems_pending);
	tcase_add_test(tc, test_touching);
	tcase_add_test(tc, test_two_aliases);
	suite_add_tcase(s, tc);

	return s;
}
