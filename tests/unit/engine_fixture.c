/*
 * engine_fixture.c: the rule engine suites' helpers; see engine_fixture.h.
 */
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"

/* mkc6: mkc, and a6 its v6 address when not NULL. */
struct icc_container *
mkc6(const char *name, const char *bridge, const char *a4, const char *a6,
    bool running)
{
	struct icc_container *c = mkc(name, bridge, a4, running);

	if (a6 != NULL) {
		c->has_ip6 = true;
		c->ip6 = ip6(a6);
	}
	return c;
}

void
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

/* el4, el6: one element from text. */
struct icc_elem
el4(const char *recv, const char *src, uint8_t proto, uint16_t first,
    uint16_t last)
{
	struct icc_ports p = { first, last, proto };
	struct icc_elem e;

	elem_init4(&e, ip4(recv), ip4(src), &p);
	return e;
}

struct icc_elem
el6(const char *recv, const char *src, uint8_t proto, uint16_t first,
    uint16_t last)
{
	struct icc_ports p = { first, last, proto };
	struct in6_addr r = ip6(recv), s = ip6(src);
	struct icc_elem e;

	elem_init6(&e, &r, &s, &p);
	return e;
}

void
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
void
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

/* check_sorted: strictly ascending by elem_cmp (so each element once). */
void
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
char *
set_dump(const struct elemset *s)
{
	struct strs sl = { NULL, 0, 0 };

	ck_assert_int_eq(elemset_foreach(s, dump_cb, &sl), 0);
	ck_assert_uint_eq(sl.n, elemset_size(s));
	return strs_join(&sl);
}

/* set_of: a set holding the derivations of ev. */
struct elemset *
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
struct icc_model *
web_db(bool web6, bool db6)
{
	struct icc_model *m = model_new(true);
	struct icc_container *c;

	ck_assert_ptr_nonnull(m);
	c = mkc6("db", "docker0", "10.0.0.2", db6 ? "fd00::2" : NULL, true);
	expose(c, 3306, 3306, IPPROTO_TCP);
	expose(c, 53, 53, IPPROTO_UDP);
	expose(c, 7000, 7999, IPPROTO_TCP);
	put(m, c);
	c = mkc6("web", "docker0", "10.0.0.3", web6 ? "fd00::3" : NULL, true);
	mklink(c, "db", "db");
	put(m, c);
	return m;
}

void
web_db_elems(const struct icc_model *m, struct elemvec *out)
{
	const struct icc_container *web = model_find(m, "web");

	ck_assert_ptr_nonnull(web);
	ck_assert_uint_eq(web->nlinks, 1);
	ck_assert_int_eq(engine_link_elems(m, web, &web->links[0], out), 0);
}

