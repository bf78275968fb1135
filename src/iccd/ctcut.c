/*
 * ctcut.c: the conntrack-cut policy: which flows lost their access after
 * a change, when to cut them (after the replies), and the whole cut after
 * a repair or when a bridge closes.  The cutting itself is the kernel's
 * (kernel_ct_flush_*).
 */
#include "daemon_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* first_same: the first element of sorted v with e's addresses and
 * protocol, or v->n. */
static size_t
first_same(const struct elemvec *v, const struct icc_elem *e)
{
	struct icc_elem key = *e;
	size_t lo = 0, hi = v->n, mid;

	key.first = key.last = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (elem_cmp(&v->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && elem_same_flow(&v->v[lo], e) ? lo : v->n;
}

/*
 * ct_gone: the ports a change took away: each removed element (dels)
 * minus what an added one (adds) of the same addresses and protocol
 * allows again, so that the flows of 7500 survive 7000-7999 becoming
 * 7000-8999.  Both sorted (elemset_plan and elemset_diff make them so).
 * The elements of one receiver, source and protocol are disjoint
 * (engine_normalize_ports), so no element left untouched can cover a
 * removed one's ports.  Returns 0 or -1 with errno ENOMEM.
 */
static int
ct_gone(const struct elemvec *dels, const struct elemvec *adds,
    struct elemvec *out)
{
	for (size_t i = 0; i < dels->n; i++) {
		const struct icc_elem *del = &dels->v[i];
		struct icc_elem piece = *del;
		long next = del->first;		/* the first port left to judge */

		for (size_t j = first_same(adds, del); j < adds->n &&
		    elem_same_flow(&adds->v[j], del) &&
		    adds->v[j].first <= del->last; j++) {
			if (adds->v[j].last < next)
				continue;
			if (adds->v[j].first > next) {
				piece.first = (uint16_t)next;
				piece.last = adds->v[j].first - 1;
				if (elemvec_push(out, &piece) == -1)
					return -1;
			}
			next = (long)adds->v[j].last + 1;
		}
		if (next <= del->last) {
			piece.first = (uint16_t)next;
			piece.last = del->last;
			if (elemvec_push(out, &piece) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * ct_flush_gone: after the kernel acked a change, note the flows it took
 * the access of (see kernel.h); daemon_after_replies cuts them once the
 * replies are out, because a conntrack dump costs 5-13 ms, 10-100 times
 * the change itself.  The removed elements already stop new connections.
 */
void
ct_flush_gone(struct iccd *d, const struct elemvec *dels,
    const struct elemvec *adds)
{
	struct elemvec gone = { 0 };

	if (dels->n == 0)
		return;
	if (ct_gone(dels, adds, &gone) == -1)
		goto nomem;
	if (d->ct_pending.n == 0)
		clock_gettime(CLOCK_MONOTONIC, &d->ct_pending_since);
	for (size_t i = 0; i < gone.n; i++)
		if (elemvec_push(&d->ct_pending, &gone.v[i]) == -1)
			goto nomem;
	elemvec_free(&gone);
	return;
nomem:
	log_warnx("conntrack: out of memory: flows of %zu removed elements "
	    "stay until they end", dels->n);
	elemvec_free(&gone);
}

bool
daemon_pending(const struct iccd *d)
{
	return d->ct_pending.n > 0;
}

bool
daemon_after_replies_due(const struct iccd *d)
{
	return d->ct_pending.n > 0 && elapsed_ns(&d->ct_pending_since) >=
	    AFTER_REPLIES_MAX_MS * 1000000L;
}

void
daemon_after_replies(struct iccd *d)
{
	struct timespec t0;
	size_t pending = d->ct_pending.n;
	int n;

	if (pending == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = kernel_ct_flush_elems(d->k, &d->ct_pending);
	d->metrics.ct_cuts += n > 0 ? (unsigned)n : 0;
	elemvec_clear(&d->ct_pending);
	if (n < 0)
		log_warnx("conntrack: cannot cut the flows of %zu removed "
		    "elements: %s", pending, strerror(-n));
	else if (n > 0)
		log_info("conntrack: cut %d flows of %zu removed elements in "
		    "%ld us", n, pending, elapsed_ns(&t0) / 1000);
	else
		log_debug("conntrack: no flow of %zu removed elements (%ld us)",
		    pending, elapsed_ns(&t0) / 1000);
}

struct members_ctx {
	const struct icc_model	*m;
	struct ct_member	*v;
	size_t			 n, cap;
};

static int
member_push(struct members_ctx *ctx, uint8_t family, const void *addr,
    size_t alen, const char *bridge)
{
	struct ct_member *nv;

	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap ? ctx->cap * 2 : 64;
		if ((nv = reallocarray(ctx->v, ctx->cap, sizeof(*nv))) == NULL)
			return -1;
		ctx->v = nv;
	}
	memset(&ctx->v[ctx->n], 0, sizeof(ctx->v[0]));
	ctx->v[ctx->n].family = family;
	memcpy(&ctx->v[ctx->n].addr, addr, alen);
	ctx->v[ctx->n++].bridge = bridge;
	return 0;
}

/* member_cb: the addresses of a running container on a closed bridge. */
static int
member_cb(const struct icc_container *c, void *arg)
{
	struct members_ctx *ctx = arg;
	const struct icc_bridge *b = model_bridge(ctx->m, c->bridge);

	if (!c->running || !c->has_identity || b == NULL || b->icc)
		return 0;
	if (member_push(ctx, AF_INET, &c->ip4, 4, c->bridge) == -1 ||
	    (c->has_ip6 && member_push(ctx, AF_INET6, &c->ip6, 16,
	    c->bridge) == -1))
		return -1;
	return 0;
}

static int
allowed_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	return elemvec_push(arg, e);
}

/*
 * ct_flush_unallowed: the table may not have been iccd's for a while (a
 * repair, a resync) or a bridge just closed: cut every flow between two
 * containers of a closed bridge that no desired element allows.  Failure
 * is logged.
 */
void
ct_flush_unallowed(struct iccd *d, const char *why)
{
	struct members_ctx ctx = { d->model, NULL, 0, 0 };
	struct elemvec allowed = { 0 };
	struct timespec t0;
	int n = -ENOMEM;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (model_foreach(d->model, member_cb, &ctx) == 0 &&
	    elemset_foreach(d->desired, allowed_cb, &allowed) == 0)
		n = kernel_ct_flush_unallowed(d->k, &allowed, ctx.v, ctx.n);
	d->metrics.ct_cuts += n > 0 ? (unsigned)n : 0;
	if (n < 0)
		log_warnx("conntrack: cannot cut the flows no link allows "
		    "(%s): %s", why, strerror(-n));
	else if (n > 0)
		log_info("conntrack: cut %d flows no link allows (%s) in %ld us",
		    n, why, elapsed_ns(&t0) / 1000);
	else
		log_debug("conntrack: no flow to cut (%s, %ld us)", why,
		    elapsed_ns(&t0) / 1000);
	free(ctx.v);
	elemvec_free(&allowed);
}
