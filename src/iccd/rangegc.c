/* rangegc.c: the range sets' garbage queue; see rangegc.h. */
#include "daemon_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rangegc.h"

/* ---- sorted element vectors --------------------------------------------- */

/* lower: the first index of v (sorted) whose element is >= e. */
static size_t
lower(const struct elemvec *v, const struct icc_elem *e)
{
	size_t lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (elem_cmp(&v->v[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
has(const struct elemvec *v, const struct icc_elem *e)
{
	size_t i = lower(v, e);

	return i < v->n && elem_cmp(&v->v[i], e) == 0;
}

/*
 * span: [*lo, *hi) of v (sorted) holding the elements of e's receiver .
 * source (adjacent in elem_cmp's order, the pair itself first); returns
 * their number.
 */
static size_t
span(const struct elemvec *v, const struct icc_elem *e, size_t *lo,
    size_t *hi)
{
	struct icc_elem first, last;
	size_t a, b;

	elem_init_pair(&first, e);
	last = first;
	last.proto = 0xff;
	last.first = last.last = 0xffff;
	a = lower(v, &first);
	b = lower(v, &last);
	if (b < v->n && elem_cmp(&v->v[b], &last) == 0)
		b++;
	if (lo != NULL)
		*lo = a;
	if (hi != NULL)
		*hi = b;
	return b - a;
}

/* add_all: items into v, kept sorted.  0 or -1 (ENOMEM). */
static int
add_all(struct elemvec *v, const struct elemvec *items)
{
	for (size_t i = 0; i < items->n; i++)
		if (elemvec_push(v, &items->v[i]) == -1)
			return -1;
	elemvec_sort(v);
	return 0;
}

/* remove_all: the elements of items (sorted; each once in v or absent)
 * out of v, by one merge pass. */
static void
remove_all(struct elemvec *v, const struct elemvec *items)
{
	size_t i, j = 0, k = 0;
	int c;

	if (items->n == 0)
		return;
	for (i = 0; i < v->n; i++) {
		c = -1;
		while (j < items->n &&
		    (c = elem_cmp(&items->v[j], &v->v[i])) < 0)
			j++;
		if (j < items->n && c == 0) {
			j++;
			continue;
		}
		v->v[k++] = v->v[i];
	}
	v->n = k;
}

/* ---- planning a change --------------------------------------------------- */

struct plan {
	const struct rangegc	*gc;
	const struct elemvec	*adds, *dels;
	struct gc_moves		*mv;
	struct elemvec		*kadds, *kdels;
};

/* garbage_after: the garbage of e's pair once the moves planned so far
 * are applied. */
static size_t
garbage_after(const struct plan *p, const struct icc_elem *e)
{
	return span(&p->gc->garbage, e, NULL, NULL) +
	    span(&p->mv->to_garbage, e, NULL, NULL) -
	    span(&p->mv->from_garbage, e, NULL, NULL);
}

/*
 * range_dels: the range deletes whose pair is deleted by the same change
 * too (kept false: revoked ranges) or stays (kept true: a source's ports
 * changed); with kept, their pairs into out (sorted, each once: dels is
 * sorted, so a pair's ranges are adjacent).  (size_t)-1: out of memory.
 */
static size_t
range_dels(const struct elemvec *dels, bool kept, struct elemvec *out)
{
	struct icc_elem pair;
	size_t n = 0;

	for (size_t i = 0; i < dels->n; i++) {
		if (!elem_is_range(&dels->v[i]))
			continue;
		elem_init_pair(&pair, &dels->v[i]);
		if (has(dels, &pair) == kept)
			continue;
		n++;
		if (kept && (out->n == 0 ||
		    elem_cmp(&out->v[out->n - 1], &pair) != 0) &&
		    elemvec_push(out, &pair) == -1)
			return (size_t)-1;
	}
	return n;
}

/*
 * cut_pairs: many ranges of pairs that stay are revoked: the same as a
 * revocation with their pairs deleted, or the request would pay every
 * pipapo delete itself.  Each such pair in the kernel is deleted and held
 * back (pending) until its garbage is gone, so its surviving ranges stop
 * too meanwhile: fail closed, the requester's own delay.
 */
static int
cut_pairs(struct plan *p, struct elemvec *cut)
{
	size_t n = range_dels(p->dels, true, cut);

	if (n == (size_t)-1)
		return -1;
	if (n <= RANGEGC_MIN) {
		elemvec_clear(cut);
		return 0;
	}
	elemvec_sort(cut);
	for (size_t i = 0; i < cut->n; i++)
		if (!has(&p->gc->pending, &cut->v[i]) &&
		    (elemvec_push(p->kdels, &cut->v[i]) == -1 ||
		    elemvec_push(&p->mv->to_pending, &cut->v[i]) == -1))
			return -1;
	return 0;
}

/*
 * plan_dels: a pending element leaves the pending list; a range whose
 * pair stays out of the kernel (deleted here among many such ranges, cut
 * by cut_pairs, or gated already by garbage of its pair) becomes garbage;
 * the rest go to the kernel.
 */
static int
plan_dels(struct plan *p)
{
	bool many = range_dels(p->dels, false, NULL) > RANGEGC_MIN;
	struct elemvec cut = { 0 };
	struct icc_elem pair;
	const struct icc_elem *e;
	struct elemvec *to;
	int rv = -1;

	if (cut_pairs(p, &cut) == -1)
		goto out;
	for (size_t i = 0; i < p->dels->n; i++) {
		e = &p->dels->v[i];
		elem_init_pair(&pair, e);
		if (has(&p->gc->pending, e))
			to = &p->mv->from_pending;
		else if (elem_is_range(e) && ((many && has(p->dels, &pair)) ||
		    has(&cut, &pair) ||
		    span(&p->gc->garbage, e, NULL, NULL) > 0))
			to = &p->mv->to_garbage;
		else
			to = p->kdels;
		if (elemvec_push(to, e) == -1)
			goto out;
	}
	rv = 0;
out:
	elemvec_free(&cut);
	return rv;
}

/*
 * plan_release: a pair whose last garbage this change cancels: its
 * pending adds of earlier changes go to the kernel now.
 */
static int
plan_release(struct plan *p)
{
	const struct elemvec *fg = &p->mv->from_garbage;
	size_t lo, hi;

	for (size_t i = 0; i < fg->n; i++) {
		if (i > 0 && elem_same_addrs(&fg->v[i - 1], &fg->v[i]))
			continue;
		if (garbage_after(p, &fg->v[i]) > 0)
			continue;
		span(&p->gc->pending, &fg->v[i], &lo, &hi);
		for (size_t j = lo; j < hi; j++) {
			if (has(&p->mv->from_pending, &p->gc->pending.v[j]))
				continue;
			if (elemvec_push(&p->mv->from_pending,
			    &p->gc->pending.v[j]) == -1 ||
			    elemvec_push(p->kadds, &p->gc->pending.v[j]) == -1)
				return -1;
		}
	}
	elemvec_sort(&p->mv->from_pending);
	return 0;
}

/*
 * plan_adds: a range identical to garbage is taken off the queue (it is
 * in the kernel already); a pair or range of a pair that keeps garbage
 * waits (pending); the rest go to the kernel.
 */
static int
plan_adds(struct plan *p)
{
	const struct icc_elem *e;
	struct elemvec *to;

	for (size_t i = 0; i < p->adds->n; i++) {
		e = &p->adds->v[i];
		if (elem_is_range(e) && has(&p->gc->garbage, e) &&
		    elemvec_push(&p->mv->from_garbage, e) == -1)
			return -1;
	}
	for (size_t i = 0; i < p->adds->n; i++) {
		e = &p->adds->v[i];
		if (has(&p->mv->from_garbage, e))
			continue;
		if ((elem_is_range(e) || elem_is_pair(e)) &&
		    garbage_after(p, e) > 0)
			to = &p->mv->to_pending;
		else
			to = p->kadds;
		if (elemvec_push(to, e) == -1)
			return -1;
	}
	return plan_release(p);
}

int
rangegc_plan(const struct rangegc *gc, const struct elemvec *adds,
    const struct elemvec *dels, struct gc_moves *mv, struct elemvec *kadds,
    struct elemvec *kdels)
{
	struct plan p = { gc, adds, dels, mv, kadds, kdels };

	if (plan_dels(&p) == -1 || plan_adds(&p) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* ---- the queue ----------------------------------------------------------- */

static int
moves(struct rangegc *gc, const struct elemvec *gin,
    const struct elemvec *gout, const struct elemvec *pin,
    const struct elemvec *pout)
{
	remove_all(&gc->garbage, gout);
	remove_all(&gc->pending, pout);
	if (add_all(&gc->garbage, gin) == -1 ||
	    add_all(&gc->pending, pin) == -1) {
		rangegc_clear(gc);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
rangegc_apply(struct rangegc *gc, const struct gc_moves *mv)
{
	return moves(gc, &mv->to_garbage, &mv->from_garbage, &mv->to_pending,
	    &mv->from_pending);
}

int
rangegc_revert(struct rangegc *gc, const struct gc_moves *mv)
{
	return moves(gc, &mv->from_garbage, &mv->to_garbage,
	    &mv->from_pending, &mv->to_pending);
}

void
rangegc_clear(struct rangegc *gc)
{
	elemvec_clear(&gc->garbage);
	elemvec_clear(&gc->pending);
	gc->chunk = gc->at = 0;
}

int
rangegc_admit(const struct rangegc *gc, const struct elemvec *adds,
    char *err, size_t errlen)
{
	if (gc->garbage.n <= RANGEGC_MAX)
		return 0;
	for (size_t i = 0; i < adds->n; i++)
		if (elem_is_range(&adds->v[i])) {
			snprintf(err, errlen, "port ranges: %zu revoked ranges "
			    "are still being removed (at most %d may wait): "
			    "try again when iccctl status shows fewer",
			    gc->garbage.n, RANGEGC_MAX);
			return -1;
		}
	return 0;
}

void
rangegc_free(struct rangegc *gc)
{
	elemvec_free(&gc->garbage);
	elemvec_free(&gc->pending);
	memset(gc, 0, sizeof(*gc));
}

size_t
rangegc_npairs(const struct rangegc *gc)
{
	size_t n = 0;

	for (size_t i = 0; i < gc->garbage.n; i++)
		if (i == 0 || !elem_same_addrs(&gc->garbage.v[i - 1],
		    &gc->garbage.v[i]))
			n++;
	return n;
}

bool
rangegc_busy(const struct rangegc *gc)
{
	return gc->garbage.n + gc->pending.n > 0;
}

void
gc_moves_free(struct gc_moves *mv)
{
	elemvec_free(&mv->to_garbage);
	elemvec_free(&mv->from_garbage);
	elemvec_free(&mv->to_pending);
	elemvec_free(&mv->from_pending);
}

void
rangegc_expect(const struct rangegc *gc, const struct elemvec *adds,
    const struct elemvec *dels, size_t *missing, size_t *extra)
{
	*missing = *extra = 0;
	for (size_t i = 0; i < adds->n; i++)
		*missing += !has(&gc->pending, &adds->v[i]);
	for (size_t i = 0; i < gc->pending.n; i++)
		*extra += !has(adds, &gc->pending.v[i]);
	for (size_t i = 0; i < dels->n; i++)
		*extra += !has(&gc->garbage, &dels->v[i]);
	for (size_t i = 0; i < gc->garbage.n; i++)
		*missing += !has(dels, &gc->garbage.v[i]);
}

/* ---- the drain ----------------------------------------------------------- */

/* The first chunk's size, before any was timed. */
#define RANGEGC_FIRST_CHUNK	8

/*
 * pick: the chunk, [*lo, *hi) of the garbage: of the first pair with
 * pending adds when it has garbage (its requester waits for it), else
 * the queue's head.  The head first: the kernel finds an element to
 * delete by walking its interval set's entries in the order they were
 * added (measured on 6.18 with 4,096 ranges: 1 ms a delete among the
 * first added, 23 ms among the last), and iccd adds in sorted order.
 */
static void
pick(const struct rangegc *gc, size_t n, size_t *lo, size_t *hi)
{
	size_t plo = 0, phi = gc->garbage.n;

	if (gc->pending.n > 0)
		(void)span(&gc->garbage, &gc->pending.v[0], &plo, &phi);
	if (plo == phi) {
		plo = 0;
		phi = gc->garbage.n;
	}
	*lo = plo;
	*hi = phi - plo > n ? plo + n : phi;
}

/*
 * released: the pending elements whose pair has no garbage left once
 * [lo, hi) is deleted, into out.
 */
static int
released(const struct rangegc *gc, size_t lo, size_t hi,
    struct elemvec *out)
{
	const struct elemvec *pv = &gc->pending;
	size_t glo, ghi;

	for (size_t i = 0; i < pv->n; i++) {
		span(&gc->garbage, &pv->v[i], &glo, &ghi);
		if (glo == ghi || (glo >= lo && ghi <= hi))
			if (elemvec_push(out, &pv->v[i]) == -1)
				return -1;
	}
	return 0;
}

/* next_chunk: the size that would have taken RANGEGC_TARGET_NS, at most
 * twice this one, at least 1, at most chunk_max. */
static void
next_chunk(struct rangegc *gc, size_t n, long ns)
{
	double want = ns > 0 ? (double)n * RANGEGC_TARGET_NS / ns : 2.0 * n;
	size_t next = want > 2.0 * n ? 2 * n : (size_t)want;

	if (next < 1)
		next = 1;
	if (gc->chunk_max > 0 && next > gc->chunk_max)
		next = gc->chunk_max;
	gc->chunk = next;
}

/* chunk_batch: the deletes of [lo, hi), then the released adds. */
static struct kbatch *
chunk_batch(struct iccd *d, size_t lo, size_t hi, const struct elemvec *rel)
{
	struct kbatch *b = kbatch_new(d->k);

	for (size_t i = lo; b != NULL && i < hi; i++)
		if (kbatch_del_elem(b, &d->gc.garbage.v[i]) == -1)
			goto fail;
	for (size_t i = 0; b != NULL && i < rel->n; i++)
		if (kbatch_add_elem(b, &rel->v[i]) == -1)
			goto fail;
	return b;
fail:
	kbatch_free(b);
	return NULL;
}

long
rangegc_drain(struct iccd *d)
{
	struct rangegc *gc = &d->gc;
	struct elemvec rel = { 0 };
	struct kbatch *b = NULL;
	char kerr[ERRLEN];
	size_t n, lo, hi;
	long t0, ns = 0;
	int rv = -ENOMEM;

	if (!rangegc_busy(gc) || d->need_sync)
		return 0;
	n = gc->chunk > 0 ? gc->chunk : RANGEGC_FIRST_CHUNK;
	if (gc->chunk_max > 0 && n > gc->chunk_max)
		n = gc->chunk_max;
	pick(gc, n, &lo, &hi);
	/* Another part of the set (a waiting pair's garbage, added later
	 * than the head's): its deletes may cost many times the last ones.
	 * Start it over with one, rather than stall everyone on a chunk
	 * sized for cheaper deletes. */
	if (gc->chunks > 0 && lo != gc->at && hi > lo + 1)
		hi = lo + 1;
	if (released(gc, lo, hi, &rel) == 0 &&
	    (b = chunk_batch(d, lo, hi, &rel)) != NULL) {
		t0 = daemon_clock_ns();
		rv = kbatch_commit(b, kerr, sizeof(kerr));
		ns = daemon_clock_ns() - t0;
	}
	kbatch_free(b);
	if (rv != 0) {
		/* ENOENT: someone deleted garbage behind iccd's back.  The
		 * resync makes the kernel equal the desired set and clears
		 * the queue: nothing stays wedged. */
		log_warnx("range gc: chunk of %zu refused (%s): resyncing",
		    hi - lo, rv == -ENOMEM ? "out of memory" : kerr);
		d->need_sync = true;
		elemvec_free(&rel);
		return -1;
	}
	memmove(&gc->garbage.v[lo], &gc->garbage.v[hi],
	    (gc->garbage.n - hi) * sizeof(gc->garbage.v[0]));
	gc->garbage.n -= hi - lo;
	gc->at = lo;		/* where this part continues */
	remove_all(&gc->pending, &rel);
	gc->drained += hi - lo;
	gc->chunks++;
	if (hi > lo)
		next_chunk(gc, hi - lo, ns);
	log_debug("range gc: %zu deleted, %zu added in %ld us; next %zu",
	    hi - lo, rel.n, ns / 1000, gc->chunk);
	if (!rangegc_busy(gc))
		log_info("range gc: queue drained (%lu elements in %lu "
		    "transactions so far)", gc->drained, gc->chunks);
	elemvec_free(&rel);
	return (long)(hi - lo);
}
