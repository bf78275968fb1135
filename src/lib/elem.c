/* elem.c: see elem.h. */
#include "elem.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* ---- elements ------------------------------------------------------------ */

void
elem_init4(struct icc_elem *e, struct in_addr recv, struct in_addr src,
    const struct icc_ports *p)
{
	memset(e, 0, sizeof(*e));
	e->family = AF_INET;
	e->proto = p->proto;
	e->first = p->first;
	e->last = p->last;
	e->recv.v4 = recv;
	e->src.v4 = src;
}

void
elem_init6(struct icc_elem *e, const struct in6_addr *recv,
    const struct in6_addr *src, const struct icc_ports *p)
{
	memset(e, 0, sizeof(*e));
	e->family = AF_INET6;
	e->proto = p->proto;
	e->first = p->first;
	e->last = p->last;
	e->recv.v6 = *recv;
	e->src.v6 = *src;
}

void
elem_init_pair(struct icc_elem *pair, const struct icc_elem *e)
{
	struct icc_elem p;

	memset(&p, 0, sizeof(p));
	p.family = e->family;
	p.recv = e->recv;
	p.src = e->src;
	*pair = p;
}

bool
elem_is_pair(const struct icc_elem *e)
{
	return e->proto == 0;
}

bool
elem_is_range(const struct icc_elem *e)
{
	return e->proto != 0 && e->first != e->last;
}

enum icc_set
elem_set(const struct icc_elem *e)
{
	bool range = e->first != e->last;

	if (elem_is_pair(e))
		return e->family == AF_INET ? ICC_SET_PAIRS4 : ICC_SET_PAIRS6;
	if (e->family == AF_INET)
		return range ? ICC_SET_RANGES4 : ICC_SET_LINKS4;
	return range ? ICC_SET_RANGES6 : ICC_SET_LINKS6;
}

const char *
elem_set_name(enum icc_set s)
{
	static const char *names[ICC_SET_NR] = {
		"links4", "ranges4", "links6", "ranges6", "pairs4", "pairs6"
	};

	return (unsigned)s < ICC_SET_NR ? names[s] : "?";
}

char *
elem_format(const struct icc_elem *e, char *buf, size_t len)
{
	char r[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];
	struct icc_ports p = { e->first, e->last, e->proto };
	char ports[24];

	inet_ntop(e->family, &e->recv, r, sizeof(r));
	inet_ntop(e->family, &e->src, s, sizeof(s));
	if (elem_is_pair(e)) {
		snprintf(buf, len, "%s . %s", r, s);
		return buf;
	}
	if (p.first == p.last)
		snprintf(ports, sizeof(ports), "%u", p.first);
	else
		snprintf(ports, sizeof(ports), "%u-%u", p.first, p.last);
	snprintf(buf, len, "%s . %s . %s . %s", r, s, proto_name(p.proto),
	    ports);
	return buf;
}

int
elem_cmp(const struct icc_elem *a, const struct icc_elem *b)
{
	size_t alen = a->family == AF_INET ? 4 : 16;
	int d;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((d = memcmp(&a->recv, &b->recv, alen)) != 0 ||
	    (d = memcmp(&a->src, &b->src, alen)) != 0)
		return d;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	return 0;
}

bool
elem_same_addrs(const struct icc_elem *a, const struct icc_elem *b)
{
	size_t alen = a->family == AF_INET ? 4 : 16;

	return a->family == b->family &&
	    memcmp(&a->recv, &b->recv, alen) == 0 &&
	    memcmp(&a->src, &b->src, alen) == 0;
}

bool
elem_same_flow(const struct icc_elem *a, const struct icc_elem *b)
{
	return elem_same_addrs(a, b) && a->proto == b->proto;
}

/* ---- element vectors ----------------------------------------------------- */

int
elemvec_push(struct elemvec *ev, const struct icc_elem *e)
{
	if (ev->n == ev->cap) {
		size_t ncap = ev->cap ? ev->cap * 2 : 16;
		struct icc_elem *nv = realloc(ev->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		ev->v = nv;
		ev->cap = ncap;
	}
	ev->v[ev->n++] = *e;
	return 0;
}

static int
elem_qcmp(const void *a, const void *b)
{
	return elem_cmp(a, b);
}

void
elemvec_sort(struct elemvec *ev)
{
	if (ev->n > 1)
		qsort(ev->v, ev->n, sizeof(*ev->v), elem_qcmp);
}

void
elemvec_clear(struct elemvec *ev)
{
	ev->n = 0;
}

void
elemvec_free(struct elemvec *ev)
{
	free(ev->v);
	ev->v = NULL;
	ev->n = ev->cap = 0;
}
