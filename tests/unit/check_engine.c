/*
 * check_engine.c: the rule engine of engine.c: elements and their order,
 * the derivation of elements from links, the counted element set with its
 * plan, commit and diff, and whole change scenarios (address change, stop)
 * from model to kernel delta.  Element lists are compared as sorted lists
 * of elem_format strings, so a failure prints them.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "model.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

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

/* mkc: a container; a6 is its v6 address or NULL. */
static struct icc_container *
mkc(const char *name, const char *bridge, const char *a4, const char *a6,
    bool running)
{
	struct icc_container *c = container_new();

	ck_assert_ptr_nonnull(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
	c->ip4 = ip4(a4);
	if (a6 != NULL) {
		c->has_ip6 = true;
		c->ip6 = ip6(a6);
	}
	c->running = running;
	return c;
}

static void
expose(struct icc_container *c, uint16_t first, uint16_t last, uint8_t proto)
{
	struct icc_ports *np;

	np = realloc(c->ports, (c->nports + 1) * sizeof(*np));
	ck_assert_ptr_nonnull(np);
	c->ports = np;
	np[c->nports].first = first;
	np[c->nports].last = last;
	np[c->nports].proto = proto;
	c->nports++;
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

/* el4, el6: one element from text. */
static struct icc_elem
el4(const char *recv, const char *src, uint8_t proto, uint16_t first,
    uint16_t last)
{
	struct icc_ports p = { first, last, proto };
	struct icc_elem e;

	elem_init4(&e, ip4(recv), ip4(src), &p);
	return e;
}

static struct icc_elem
el6(const char *recv, const char *src, uint8_t proto, uint16_t first,
    uint16_t last)
{
	struct icc_ports p = { first, last, proto };
	struct in6_addr r = ip6(recv), s = ip6(src);
	struct icc_elem e;

	elem_init6(&e, &r, &s, &p);
	return e;
}

static void
push(struct elemvec *ev, struct icc_elem e)
{
	ck_assert_int_eq(elemvec_push(ev, &e), 0);
}

/* A list of strings, sorted and joined one a line for comparison. */
struct strs {
	char	**v;
	size_t	  n, cap;
};

static void
strs_add(struct strs *sl, const char *s)
{
	if (sl->n == sl->cap) {
		sl->cap = sl->cap ? sl->cap * 2 : 16;
		sl->v = realloc(sl->v, sl->cap * sizeof(*sl->v));
		ck_assert_ptr_nonnull(sl->v);
	}
	sl->v[sl->n] = strdup(s);
	ck_assert_ptr_nonnull(sl->v[sl->n]);
	sl->n++;
}

static int
strs_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* strs_join: sorted, one a line; frees the list.  The caller frees. */
static char *
strs_join(struct strs *sl)
{
	size_t len = 1;
	char *buf;

	if (sl->n > 1)
		qsort(sl->v, sl->n, sizeof(*sl->v), strs_cmp);
	for (size_t i = 0; i < sl->n; i++)
		len += strlen(sl->v[i]) + 1;
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	buf[0] = '\0';
	for (size_t i = 0; i < sl->n; i++) {
		strcat(buf, sl->v[i]);
		strcat(buf, "\n");
		free(sl->v[i]);
	}
	free(sl->v);
	memset(sl, 0, sizeof(*sl));
	return buf;
}

/* check_elems: ev holds exactly want[0..n-1], in any order. */
static void
check_elems(const struct elemvec *ev, const char *const *want, size_t n,
    const char *what)
{
	struct strs got = { NULL, 0, 0 }, exp = { NULL, 0, 0 };
	char buf[ELEM_FMT_LEN], *g, *w;

	for (size_t i = 0; i < ev->n; i++)
		strs_add(&got, elem_format(&ev->v[i], buf, sizeof(buf)));
	for (size_t i = 0; i < n; i++)
		strs_add(&exp, want[i]);
	g = strs_join(&got);
	w = strs_join(&exp);
	ck_assert_msg(strcmp(g, w) == 0, "%s: got\n%swant\n%s", what, g, w);
	free(g);
	free(w);
}

#define CHECK_ELEMS(ev, what, ...) do {					\
	static const char *const want_[] = { __VA_ARGS__ };		\
	check_elems((ev), want_, NELEM(want_), (what));			\
} while (0)

/* check_sorted: strictly ascending by elem_cmp (so each element once). */
static void
check_sorted(const struct elemvec *ev, const char *what)
{
	for (size_t i = 1; i < ev->n; i++)
		ck_assert_msg(elem_cmp(&ev->v[i - 1], &ev->v[i]) < 0,
		    "%s: elements %zu and %zu out of order", what, i - 1, i);
}

static int
dump_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	char buf[ELEM_FMT_LEN], line[ELEM_FMT_LEN + 16];

	snprintf(line, sizeof(line), "%s #%u",
	    elem_format(e, buf, sizeof(buf)), count);
	strs_add(arg, line);
	return 0;
}

/* set_dump: every element of s with its count, sorted.  Caller frees. */
static char *
set_dump(const struct elemset *s)
{
	struct strs sl = { NULL, 0, 0 };

	ck_assert_int_eq(elemset_foreach(s, dump_cb, &sl), 0);
	ck_assert_uint_eq(sl.n, elemset_size(s));
	return strs_join(&sl);
}

/* set_of: a set holding the derivations of ev. */
static struct elemset *
set_of(const struct elemvec *ev)
{
	struct elemvec none = { NULL, 0, 0 };
	struct elemset *s = elemset_new();

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(elemset_commit(s, &none, ev), 0);
	return s;
}

/* The web -> db model of the brief: db exposes 3306/tcp, 53/udp and
 * 7000-7999/tcp; v6 addresses on either side as asked. */
static struct icc_model *
web_db(bool web6, bool db6)
{
	struct icc_model *m = model_new(true);
	struct icc_container *c;

	ck_assert_ptr_nonnull(m);
	c = mkc("db", "docker0", "10.0.0.2", db6 ? "fd00::2" : NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	expose(c, 53, 53, IPPROTO_UDP);
	expose(c, 7000, 7999, IPPROTO_TCP);
	put(m, c);
	c = mkc("web", "docker0", "10.0.0.3", web6 ? "fd00::3" : NULL, true);
	mklink(c, "db", "db");
	put(m, c);
	return m;
}

static void
web_db_elems(const struct icc_model *m, struct elemvec *out)
{
	const struct icc_container *web = model_find(m, "web");

	ck_assert_ptr_nonnull(web);
	ck_assert_uint_eq(web->nlinks, 1);
	ck_assert_int_eq(engine_link_elems(m, web, &web->links[0], out), 0);
}

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
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999");

	/* It appends. */
	web_db_elems(m, &ev);
	ck_assert_uint_eq(ev.n, 6);
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
	ck_assert_uint_eq(ev.n, 6);
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

	c = mkc("db", "docker0", "10.0.0.2", NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	mklink(c, "cache", "cache");
	put(m, c);
	c = mkc("web", "docker0", "10.0.0.3", NULL, true);
	mklink(c, "db", "db");
	mklink(c, "other", "other");
	put(m, c);
	c = mkc("api", "docker0", "10.0.0.4", NULL, true);
	mklink(c, "db", "db");
	mklink(c, "db", "database");
	put(m, c);
	c = mkc("cache", "docker0", "10.0.0.5", NULL, true);
	expose(c, 6379, 6379, IPPROTO_TCP);
	put(m, c);
	c = mkc("other", "docker0", "10.0.0.6", NULL, true);
	expose(c, 80, 80, IPPROTO_TCP);
	mklink(c, "cache", "cache");
	put(m, c);
	return m;
}

#define WEB_DB		"10.0.0.3 . 10.0.0.2 . tcp . 3306"
#define WEB_OTHER	"10.0.0.3 . 10.0.0.6 . tcp . 80"
#define API_DB		"10.0.0.4 . 10.0.0.2 . tcp . 3306"
#define DB_CACHE	"10.0.0.2 . 10.0.0.5 . tcp . 6379"
#define OTHER_CACHE	"10.0.0.6 . 10.0.0.5 . tcp . 6379"

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

	c = mkc("db", "docker0", "10.0.0.2", NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	put(m, c);
	c = mkc("web", "docker0", "10.0.0.3", NULL, true);
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

	c = mkc("db", "docker0", "10.0.0.2", NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	expose(c, 53, 53, IPPROTO_UDP);
	expose(c, 7000, 7999, IPPROTO_TCP);
	mklink(c, "cache", "cache");
	put(m, c);
	c = mkc("cache", "docker0", "10.0.0.5", NULL, true);
	expose(c, 6379, 6379, IPPROTO_TCP);
	put(m, c);
	c = mkc("web", "docker0", "10.0.0.3", NULL, true);
	mklink(c, "db", "db");
	put(m, c);
	c = mkc("api", "docker0", "10.0.0.4", NULL, true);
	mklink(c, "db", "db");
	mklink(c, "db", "database");
	put(m, c);
	c = mkc("other", "docker0", "10.0.0.6", NULL, true);
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

	ck_assert_int_eq(engine_all(m, &all), 0);
	ck_assert_uint_eq(all.n, 11);
	s = set_of(&all);
	ck_assert_uint_eq(elemset_size(s), 8);

	change_begin(&ch, m, db, 1);
	ck_assert_uint_eq(ch.before.n, 10);
	c = copy_of(m, "db");
	c->ip4 = ip4("10.0.0.9");
	put(m, c);
	change_end(&ch, m, s, db, 1);
	CHECK_ELEMS(&ch.adds, "adds",
	    "10.0.0.3 . 10.0.0.9 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.9 . udp . 53",
	    "10.0.0.3 . 10.0.0.9 . tcp . 7000-7999",
	    "10.0.0.4 . 10.0.0.9 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.9 . udp . 53",
	    "10.0.0.4 . 10.0.0.9 . tcp . 7000-7999",
	    "10.0.0.9 . 10.0.0.5 . tcp . 6379");
	CHECK_ELEMS(&ch.dels, "dels",
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.4 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.2 . udp . 53",
	    "10.0.0.4 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.2 . 10.0.0.5 . tcp . 6379");
	ck_assert_uint_eq(elemset_size(s), 8);
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
	    "10.0.0.4 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.2 . udp . 53",
	    "10.0.0.4 . 10.0.0.2 . tcp . 7000-7999");
	ck_assert_uint_eq(elemset_size(s), 5);
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
	    "10.0.0.3 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.3 . 10.0.0.2 . udp . 53",
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.4 . 10.0.0.2 . tcp . 3306",
	    "10.0.0.4 . 10.0.0.2 . udp . 53",
	    "10.0.0.4 . 10.0.0.2 . tcp . 7000-7999",
	    "10.0.0.2 . 10.0.0.5 . tcp . 6379");
	ck_assert_uint_eq(elemset_size(s), 8);
	change_free(&ch);

	/* The source removed: everything to it goes, its own link too. */
	change_begin(&ch, m, db, 1);
	container_free(model_take(m, "db"));
	change_end(&ch, m, s, db, 1);
	ck_assert_uint_eq(ch.adds.n, 0);
	ck_assert_uint_eq(ch.dels.n, 7);
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
	size_t nport[3] = { 0, 0, 0 };

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
	ck_assert_uint_eq(all.n, NRECV * 3);
	s = set_of(&all);
	ck_assert_uint_eq(elemset_size(s), NRECV * 3);

	/* s007 changes address. */
	old.s_addr = htonl(SRC_BASE + 7);
	new.s_addr = htonl(0x0ac80007U);	/* 10.200.0.7 */
	change_begin(&ch, m, names, 1);
	ck_assert_uint_eq(ch.before.n, NRECV / NSRC * 3);
	c = copy_of(m, "s007");
	c->ip4 = new;
	put(m, c);
	ck_assert_int_eq(engine_touching(m, names, 1, &ch.after), 0);
	ck_assert_uint_eq(ch.after.n, NRECV / NSRC * 3);
	plan(s, &ch.before, &ch.after, &ch.adds, &ch.dels);
	ck_assert_uint_eq(ch.adds.n, NRECV / NSRC * 3);
	ck_assert_uint_eq(ch.dels.n, NRECV / NSRC * 3);
	ck_assert_uint_eq(ch.adds.n + ch.dels.n, 600);

	/* Strictly sorted, so distinct; each a receiver of s007 and one of
	 * its three ports: exactly 100 receivers x 3 ports each way. */
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
			ck_assert_uint_eq(e->proto, IPPROTO_TCP);
			if (e->first == 80 && e->last == 80)
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

	ck_assert_int_eq(elemset_commit(s, &ch.before, &ch.after), 0);
	ck_assert_uint_eq(elemset_size(s), NRECV * 3);
	check_in_step(m, s);

	change_free(&ch);
	elemset_free(s);
	elemvec_free(&all);
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
