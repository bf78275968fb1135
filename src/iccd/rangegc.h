/*
 * rangegc.h: the range sets' garbage queue.
 *
 * Deleting an element from a concatenated interval (pipapo) set costs the
 * kernel time in proportion to the set's size, holding the nftables
 * commit mutex and iccd's one thread: stopping a receiver linked to
 * sources with 12,288 port ranges took ~11 s, during which every other
 * client waited.  But a range element grants nothing without its pair
 * (receiver . source in the pairs set, rules/icc.nft), and a pair is a
 * hash element, cheap to delete.  So a change that revokes many ranges
 * sends only the pair deletes; the ranges become garbage, in the kernel
 * but inert, and iccd's loop deletes them between poll rounds in chunks
 * of about RANGEGC_TARGET_NS of kernel time each (rangegc_drain).
 *
 * The security rule: while garbage of pair P is in the kernel, P must not
 * come back (the garbage would grant its old ranges again).  An add of P
 * or of a range of P that is not garbage itself is held back (pending)
 * and added by the drain in the transaction that deletes P's last
 * garbage; an add identical to a garbage element takes it off the queue
 * (it is in the kernel already: zero kernel work).  So the kernel holds
 * exactly: desired - pending + garbage.
 *
 * A change records what it moved (struct gc_moves): applied to the queue
 * when it commits (rangegc_apply), put back when its round is taken back
 * (rangegc_revert); the drain runs only between rounds, never between a
 * change and its round's durable write.  A whole-table sync makes the
 * kernel equal the desired set: rangegc_clear.
 */
#ifndef ICCD_RANGEGC_H
#define ICCD_RANGEGC_H

#include <stdbool.h>
#include <stddef.h>

#include "elem.h"

/*
 * Revoked ranges one change may delete in its own batch.  With more, they
 * go to the queue: up to 16 pipapo deletes cost a few tens of ms even in
 * a 10,000-range set, and keep small changes exact right after their
 * reply (what most tests and users look at).
 */
#define RANGEGC_MIN		16

/*
 * Garbage the queue may hold before requests that add port ranges are
 * refused (rangegc_admit): revoking is never refused, so without a bound a
 * group member could revoke faster than the kernel deletes (a stop and a
 * new start at a fresh address, over and over) and grow the interval
 * sets, which every later range commit pays for, without limit.
 */
#define RANGEGC_MAX		65536

/* Kernel time one drain transaction aims at (ns): other clients wait at
 * most about this long between two chunks. */
#define RANGEGC_TARGET_NS	(50L * 1000 * 1000)

struct rangegc {
	struct elemvec	garbage;	/* range elements in the kernel whose
					 * pair is not: sorted (elem_cmp) */
	struct elemvec	pending;	/* desired elements (pairs, ranges)
					 * held back: sorted */
	size_t		chunk;		/* the next chunk's size; 0: start */
	size_t		at;		/* where the last chunk began: a
					 * chunk elsewhere starts at 1 */
	size_t		chunk_max;	/* --gc-chunk-max; 0: no bound */
	unsigned long	drained;	/* garbage deleted by drains */
	unsigned long	chunks;		/* drain transactions committed */
};

/* What one change moved: applied at commit, reverted at takeback. */
struct gc_moves {
	struct elemvec	to_garbage, from_garbage;
	struct elemvec	to_pending, from_pending;
};

/*
 * rangegc_plan: translate a change's element delta (adds, dels: sorted,
 * relative to the desired set) into what the kernel must do (appended to
 * kadds, kdels) and what moves on the queue (mv, appended).  gc is not
 * changed.  Returns 0 or -1 with errno ENOMEM.
 */
int rangegc_plan(const struct rangegc *gc, const struct elemvec *adds,
    const struct elemvec *dels, struct gc_moves *mv, struct elemvec *kadds,
    struct elemvec *kdels);

/* rangegc_apply: mv onto gc (the change committed).  0 or -1 with errno
 * ENOMEM: gc is then cleared and the caller must resync. */
int rangegc_apply(struct rangegc *gc, const struct gc_moves *mv);

/* rangegc_revert: undo rangegc_apply(gc, mv) (its round taken back).  0
 * or -1 with errno ENOMEM, as rangegc_apply. */
int rangegc_revert(struct rangegc *gc, const struct gc_moves *mv);

/* rangegc_clear: empty queue and pending (a sync made the kernel equal
 * the desired set); the counters and chunk size stay. */
void rangegc_clear(struct rangegc *gc);

/* rangegc_free: release gc's memory (gc is zeroed). */
void rangegc_free(struct rangegc *gc);

/* rangegc_npairs: the distinct pairs the garbage belongs to. */
size_t rangegc_npairs(const struct rangegc *gc);

/* rangegc_busy: there is garbage or a pending add (work for the drain). */
bool rangegc_busy(const struct rangegc *gc);

void gc_moves_free(struct gc_moves *mv);

/*
 * rangegc_admit: whether a change whose element delta adds adds (sorted)
 * may go ahead: not when it adds a port range while more than RANGEGC_MAX
 * revoked ranges wait in gc's queue.  Returns 0, or -1 with a line in err
 * ("port ranges: ... being removed ...").
 */
int rangegc_admit(const struct rangegc *gc, const struct elemvec *adds,
    char *err, size_t errlen);

/*
 * rangegc_expect: given the difference between the desired set and the
 * kernel (adds: desired elements the kernel lacks, dels: kernel elements
 * not desired; both sorted), *missing and *extra get the difference from
 * what the kernel should hold with gc's queue (desired - pending +
 * garbage): a pending element absent and a garbage element present are
 * as expected.
 */
void rangegc_expect(const struct rangegc *gc, const struct elemvec *adds,
    const struct elemvec *dels, size_t *missing, size_t *extra);

struct iccd;

/*
 * rangegc_drain: one chunk: delete up to d->gc.chunk garbage elements in
 * one transaction (the garbage of pairs with pending adds first), with
 * the pending adds of every pair whose last garbage goes in it; time it
 * and size the next chunk for RANGEGC_TARGET_NS (at least 1, at most
 * chunk_max).  Call only between rounds.  A refused chunk (ENOENT:
 * someone deleted garbage behind iccd's back) sets d->need_sync, whose
 * sync clears the queue; it is logged.  Returns the elements deleted,
 * 0 when there was nothing to do, or -1.
 */
long rangegc_drain(struct iccd *d);

#endif
