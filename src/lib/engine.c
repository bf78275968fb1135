/* engine.c: see engine.h. */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

/* ---- derivation: model -> elements -------------------------------------- */

static int
push_port_elems(const struct icc_container *r, const struct icc_container *s,
    const struct icc_ports *p, struct elemvec *out)
{
	struct icc_elem e;

	elem_init4(&e, r->ip4, s->ip4, p);
	if (elemvec_push(out, &e) == -1)
		return -1;
	if (r->has_ip6 && s->has_ip6) {
		elem_init6(&e, &r->ip6, &s->ip6, p);
		if (elemvec_push(out, &e) == -1)
			return -1;
	}
	return 0;
}

/* push_pair_elems: the pair elements receiver . source of r and s. */
static int
push_pair_elems(const struct icc_container *r, const struct icc_container *s,
    struct elemvec *out)
{
	struct icc_ports none = { 0, 0, 0 };
	struct icc_elem e;

	elem_init4(&e, r->ip4, s->ip4, &none);
	if (elemvec_push(out, &e) == -1)
		return -1;
	if (r->has_ip6 && s->has_ip6) {
		elem_init6(&e, &r->ip6, &s->ip6, &none);
		if (elemvec_push(out, &e) == -1)
			return -1;
	}
	return 0;
}

static int
ports_cmp(const void *a, const void *b)
{
	const struct icc_ports *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return (x->last > y->last) - (x->last < y->last);
}

size_t
engine_normalize_ports(const struct icc_ports *in, size_t n,
    struct icc_ports *out)
{
	size_t k = 0;

	if (n == 0)
		return 0;	/* in may be NULL: memcpy/qsort must not see it */
	memcpy(out, in, n * sizeof(*in));
	qsort(out, n, sizeof(*out), ports_cmp);
	for (size_t i = 0; i < n; i++) {
		struct icc_ports *prev = k ? &out[k - 1] : NULL;

		/* Overlapping entries of one protocol merge: the kernel
		 * refuses overlapping intervals in one set.  Adjacent ones
		 * stay apart, so single ports stay in the fast hash set. */
		if (prev != NULL && prev->proto == out[i].proto &&
		    out[i].first <= prev->last) {
			if (out[i].last > prev->last)
				prev->last = out[i].last;
			continue;
		}
		out[k++] = out[i];
	}
	return k;
}

int
engine_link_elems(const struct icc_model *m, const struct icc_container *r,
    const struct icc_link *l, struct elemvec *out)
{
	struct icc_ports stack[16], *ports = stack;
	const struct icc_container *s;
	size_t n;
	int rv = 0;

	if (!link_active(m, r, l))
		return 0;
	s = model_find(m, l->source);
	if (s->nports > sizeof(stack) / sizeof(stack[0]) &&
	    (ports = calloc(s->nports, sizeof(*ports))) == NULL)
		return -1;
	n = engine_normalize_ports(s->ports, s->nports, ports);
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = push_port_elems(r, s, &ports[i], out);
	/* A link with a range also derives the pair that gates the range
	 * sets (rules/icc.nft), once per family. */
	for (size_t i = 0; i < n && rv == 0; i++)
		if (ports[i].first != ports[i].last) {
			rv = push_pair_elems(r, s, out);
			break;
		}
	if (ports != stack)
		free(ports);
	return rv;
}

static int
receiver_elems(const struct icc_model *m, const struct icc_container *r,
    struct elemvec *out)
{
	for (size_t i = 0; i < r->nlinks; i++)
		if (engine_link_elems(m, r, &r->links[i], out) == -1)
			return -1;
	return 0;
}

static bool
listed(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

struct source_ctx {
	const struct icc_model	*m;
	const char		*source;
	const char *const	*names;
	size_t			 n;
	struct elemvec		*out;
};

/* source_cb: the links of receiver r to ctx->source, unless r is listed
 * (its links were all counted as a receiver already). */
static int
source_cb(const struct icc_container *r, void *arg)
{
	struct source_ctx *ctx = arg;

	if (listed(r->name, ctx->names, ctx->n))
		return 0;
	for (size_t i = 0; i < r->nlinks; i++) {
		if (strcmp(r->links[i].source, ctx->source) == 0 &&
		    engine_link_elems(ctx->m, r, &r->links[i], ctx->out) == -1)
			return -1;
	}
	return 0;
}

int
engine_touching(const struct icc_model *m, const char *const *names,
    size_t n, struct elemvec *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct icc_container *c = model_find(m, names[i]);
		struct source_ctx ctx = { m, names[i], names, n, out };

		if (c != NULL && receiver_elems(m, c, out) == -1)
			return -1;
		if (model_receivers(m, names[i], source_cb, &ctx) != 0)
			return -1;
	}
	return 0;
}

struct all_ctx {
	const struct icc_model	*m;
	struct elemvec		*out;
};

static int
all_cb(const struct icc_container *r, void *arg)
{
	struct all_ctx *ctx = arg;

	return receiver_elems(ctx->m, r, ctx->out);
}

int
engine_all(const struct icc_model *m, struct elemvec *out)
{
	struct all_ctx ctx = { m, out };

	return model_foreach(m, all_cb, &ctx) == 0 ? 0 : -1;
}

/* ---- counted element sets ---------------------------------------------- */

struct enode {
	struct enode	*next;
	size_t		 h;		/* hash_bytes of e: no rehash to grow */
	struct icc_elem	 e;
	long		 count;
};

/* A chained hash of elements with counts; also used for plan deltas. */
struct elemset {
	struct enode	**b;
	size_t		  nb, n;
};

struct elemset *
elemset_new(void)
{
	return calloc(1, sizeof(struct elemset));
}

static void
elemset_clear(struct elemset *s)
{
	struct enode *x, *next;

	for (size_t i = 0; i < s->nb; i++)
		for (x = s->b[i]; x != NULL; x = next) {
			next = x->next;
			free(x);
		}
	free(s->b);
	s->b = NULL;
	s->nb = s->n = 0;
}

void
elemset_free(struct elemset *s)
{
	if (s == NULL)
		return;
	elemset_clear(s);
	free(s);
}

static size_t
ehash(const struct icc_elem *e)
{
	return hash_bytes(e, sizeof(*e));
}

static struct enode *
efind_h(const struct elemset *s, const struct icc_elem *e, size_t h)
{
	if (s->nb == 0)
		return NULL;
	for (struct enode *x = s->b[h & (s->nb - 1)]; x != NULL; x = x->next)
		if (x->h == h && memcmp(&x->e, e, sizeof(*e)) == 0)
			return x;
	return NULL;
}

static struct enode *
efind(const struct elemset *s, const struct icc_elem *e)
{
	return s->nb == 0 ? NULL : efind_h(s, e, ehash(e));
}

/* egrow: at least want buckets (a power of two), doubling otherwise. */
static int
egrow(struct elemset *s, size_t want)
{
	struct elemset ns = { NULL, s->nb ? s->nb * 2 : 64, s->n };
	struct enode *x, *next;

	while (ns.nb < want)
		ns.nb *= 2;
	if ((ns.b = calloc(ns.nb, sizeof(*ns.b))) == NULL)
		return -1;
	for (size_t i = 0; i < s->nb; i++)
		for (x = s->b[i]; x != NULL; x = next) {
			size_t k = x->h & (ns.nb - 1);

			next = x->next;
			x->next = ns.b[k];
			ns.b[k] = x;
		}
	free(s->b);
	*s = ns;
	return 0;
}

/* eget: the node of e, created with count 0 when missing; NULL: ENOMEM. */
static struct enode *
eget(struct elemset *s, const struct icc_elem *e)
{
	size_t h = ehash(e), k;
	struct enode *x = efind_h(s, e, h);

	if (x != NULL)
		return x;
	if (s->n >= s->nb && egrow(s, 0) == -1)
		return NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->e = *e;
	x->h = h;
	k = h & (s->nb - 1);
	x->next = s->b[k];
	s->b[k] = x;
	s->n++;
	return x;
}

static void
edel(struct elemset *s, const struct icc_elem *e)
{
	struct enode **pp, *x;

	if (s->nb == 0)
		return;
	for (pp = &s->b[ehash(e) & (s->nb - 1)]; (x = *pp) != NULL;
	    pp = &x->next) {
		if (memcmp(&x->e, e, sizeof(*e)) == 0) {
			*pp = x->next;
			free(x);
			s->n--;
			return;
		}
	}
}

unsigned
elemset_count(const struct elemset *s, const struct icc_elem *e)
{
	struct enode *x = efind(s, e);

	return x ? (unsigned)x->count : 0;
}

size_t
elemset_size(const struct elemset *s)
{
	return s->n;
}

int
elemset_foreach(const struct elemset *s,
    int (*fn)(const struct icc_elem *, unsigned, void *), void *arg)
{
	int rv;

	for (size_t i = 0; i < s->nb; i++)
		for (struct enode *x = s->b[i]; x != NULL; x = x->next)
			if ((rv = fn(&x->e, (unsigned)x->count, arg)) != 0)
				return rv;
	return 0;
}

/* delta_build: count +1 per `after` derivation, -1 per `before` one. */
static int
delta_build(struct elemset *d, const struct elemvec *before,
    const struct elemvec *after)
{
	struct enode *x;

	for (size_t i = 0; i < before->n; i++) {
		if ((x = eget(d, &before->v[i])) == NULL)
			return -1;
		x->count--;
	}
	for (size_t i = 0; i < after->n; i++) {
		if ((x = eget(d, &after->v[i])) == NULL)
			return -1;
		x->count++;
	}
	return 0;
}

int
elemset_plan(const struct elemset *s, const struct elemvec *before,
    const struct elemvec *after, struct elemvec *adds, struct elemvec *dels)
{
	struct elemset d = { NULL, 0, 0 };
	int rv = -1;

	if (delta_build(&d, before, after) == -1)
		goto out;
	for (size_t i = 0; i < d.nb; i++) {
		for (struct enode *x = d.b[i]; x != NULL; x = x->next) {
			struct enode *cur = efind(s, &x->e);
			long now = cur ? cur->count : 0, next = now + x->count;

			if (next < 0) {
				errno = EINVAL;
				goto out;
			}
			if (now == 0 && next > 0 && elemvec_push(adds, &x->e))
				goto out;
			if (now > 0 && next == 0 && elemvec_push(dels, &x->e))
				goto out;
		}
	}
	elemvec_sort(adds);
	elemvec_sort(dels);
	rv = 0;
out:
	elemset_clear(&d);
	return rv;
}

/*
 * elemset_fill: elemset_commit into an empty set from nothing (a start):
 * the delta would be after itself, so count after directly, in a table
 * sized for it once.
 */
static int
elemset_fill(struct elemset *s, const struct elemvec *after)
{
	struct enode *x;

	if (after->n > s->nb && egrow(s, after->n) == -1)
		goto fail;
	for (size_t i = 0; i < after->n; i++) {
		if ((x = eget(s, &after->v[i])) == NULL)
			goto fail;
		x->count++;
	}
	return 0;
fail:
	elemset_clear(s);
	errno = ENOMEM;
	return -1;
}

int
elemset_commit(struct elemset *s, const struct elemvec *before,
    const struct elemvec *after)
{
	struct elemset d = { NULL, 0, 0 };
	struct enode *x, *cur;

	if (s->n == 0 && before->n == 0)
		return elemset_fill(s, after);
	if (delta_build(&d, before, after) == -1)
		goto fail;
	/* Create every node first, so that no step after it can fail. */
	for (size_t i = 0; i < d.nb; i++)
		for (x = d.b[i]; x != NULL; x = x->next)
			if (x->count > 0 && eget(s, &x->e) == NULL)
				goto fail;
	for (size_t i = 0; i < d.nb; i++) {
		for (x = d.b[i]; x != NULL; x = x->next) {
			if ((cur = efind(s, &x->e)) == NULL)
				continue;
			cur->count += x->count;
			if (cur->count <= 0)
				edel(s, &x->e);
		}
	}
	elemset_clear(&d);
	return 0;
fail:
	/* Nodes created with count 0 are harmless but must not linger. */
	for (size_t i = 0; i < d.nb; i++)
		for (x = d.b[i]; x != NULL; x = x->next)
			if ((cur = efind(s, &x->e)) != NULL && cur->count == 0)
				edel(s, &x->e);
	elemset_clear(&d);
	errno = ENOMEM;
	return -1;
}

int
elemset_diff(const struct elemset *s, const struct elemvec *have,
    struct elemvec *adds, struct elemvec *dels)
{
	struct elemset h = { NULL, 0, 0 };
	int rv = -1;

	for (size_t i = 0; i < have->n; i++) {
		struct enode *x = eget(&h, &have->v[i]);

		if (x == NULL)
			goto out;
		if (x->count++ == 0 && efind(s, &have->v[i]) == NULL &&
		    elemvec_push(dels, &have->v[i]) == -1)
			goto out;
	}
	for (size_t i = 0; i < s->nb; i++)
		for (struct enode *x = s->b[i]; x != NULL; x = x->next)
			if (efind(&h, &x->e) == NULL &&
			    elemvec_push(adds, &x->e) == -1)
				goto out;
	elemvec_sort(adds);
	elemvec_sort(dels);
	rv = 0;
out:
	elemset_clear(&h);
	return rv;
}
