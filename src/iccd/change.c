/*
 * change.c: the one path from a change of the model to the kernel.
 *
 * Every change (a request, a bridge's mode, a reload, a takeover) is made
 * the same way: change_begin notes what the model was; the caller changes
 * the model (or gives a whole new one); change_apply then
 *
 *	plan	the element delta (rule engine), the closed-set delta and
 *		the port bindings' delta (the bridge table, binding.c),
 *	batch	sends both to the kernel as one transaction (revoked
 *		port ranges, when many, left to the garbage queue:
 *		rangegc.h),
 *	persist	writes the state directory,
 *	commit	keeps it all, or undo: takes the batch back and restores the
 *		model when the kernel or the state write refused,
 *
 * so that a failed change changes nothing.  change_sync is the same path
 * for the whole table (start, a resync, a repair): the model does not
 * change, so there is nothing to persist or undo.
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "log.h"

/* ---- begin: what the model was ------------------------------------------ */

static int
snap_bridge_cb(const struct icc_bridge *b, void *arg)
{
	struct change *ch = arg;
	struct bridge_mode *nv;

	if (ch->nbridges == ch->capbridges) {
		ch->capbridges = ch->capbridges ? ch->capbridges * 2 : 8;
		if ((nv = reallocarray(ch->bridges, ch->capbridges,
		    sizeof(*nv))) == NULL)
			return -1;
		ch->bridges = nv;
	}
	snprintf(ch->bridges[ch->nbridges].name, sizeof(ch->bridges[0].name),
	    "%s", b->name);
	ch->bridges[ch->nbridges++].icc = b->icc;
	return 0;
}

/* note_name: keep a deep copy of name's record (none when absent). */
static int
note_name(struct iccd *d, struct change *ch, const char *name)
{
	const struct icc_container *c = model_find(d->model, name);

	if (ch->n == CHANGE_MAX) {
		errno = EINVAL;
		return -1;
	}
	snprintf(ch->name[ch->n], sizeof(ch->name[0]), "%s", name);
	ch->names[ch->n] = ch->name[ch->n];
	if (c != NULL && (ch->old[ch->n] = container_dup(c)) == NULL)
		return -1;
	ch->n++;
	return 0;
}

int
change_begin(struct iccd *d, struct change *ch, const char *const *names,
    size_t n)
{
	memset(ch, 0, sizeof(*ch));
	for (size_t i = 0; i < n; i++)
		if (note_name(d, ch, names[i]) == -1)
			return -1;
	if (model_bridges(d->model, snap_bridge_cb, ch) != 0 ||
	    engine_touching(d->model, ch->names, ch->n, &ch->before) == -1)
		return -1;
	return binding_begin(d, ch->names, ch->n, &ch->bind);
}

int
change_touch(struct iccd *d, struct change *ch, const char *name)
{
	if (model_find(d->model, name) == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (note_name(d, ch, name) == -1)
		return -1;
	elemvec_clear(&ch->before);
	if (engine_touching(d->model, ch->names, ch->n, &ch->before) == -1)
		return -1;
	return binding_begin(d, ch->names, ch->n, &ch->bind);
}

void
change_free(struct change *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		container_free(ch->old[i]);
	free(ch->bridges);
	model_free(ch->model);
	elemset_free(ch->desired);
	elemvec_free(&ch->before);
	elemvec_free(&ch->after);
	elemvec_free(&ch->adds);
	elemvec_free(&ch->dels);
	elemvec_free(&ch->kadds);
	elemvec_free(&ch->kdels);
	gc_moves_free(&ch->gcm);
	strvec_free(&ch->closing);
	strvec_free(&ch->opening);
	bind_delta_free(&ch->bind);
	kbatch_free(ch->b);
	memset(ch, 0, sizeof(*ch));
}

/* ---- restore: the model as change_begin found it ------------------------ */

struct new_bridges {
	const struct change	*ch;
	struct strvec		 names;
};

/* new_bridge_cb: b was not in the model at change_begin. */
static int
new_bridge_cb(const struct icc_bridge *b, void *arg)
{
	struct new_bridges *nb = arg;

	for (size_t i = 0; i < nb->ch->nbridges; i++)
		if (strcmp(nb->ch->bridges[i].name, b->name) == 0)
			return 0;
	return strvec_push(&nb->names, b->name);
}

void
change_abort(struct iccd *d, struct change *ch)
{
	struct new_bridges nb = { ch, { 0 } };
	struct icc_bridge *b;

	for (size_t i = 0; i < ch->n; i++) {
		if (ch->old[i] == NULL) {
			container_free(model_take(d->model, ch->names[i]));
			continue;
		}
		if (model_put(d->model, ch->old[i]) == 0)
			ch->old[i] = NULL;
		else
			log_warnx("%s: cannot restore %s", __func__,
			    ch->names[i]);
	}
	if (model_bridges(d->model, new_bridge_cb, &nb) != 0)
		log_warnx("%s: out of memory: new bridges stay", __func__);
	for (size_t i = 0; i < nb.names.n; i++)
		model_bridge_del(d->model, nb.names.v[i]);
	strvec_free(&nb.names);
	for (size_t i = 0; i < ch->nbridges; i++)
		if ((b = model_bridge(d->model, ch->bridges[i].name)) != NULL)
			b->icc = ch->bridges[i].icc;
}

/* swap: exchange the change's whole model (and its elements) with d's. */
static void
swap(struct iccd *d, struct change *ch)
{
	struct icc_model *m = d->model;
	struct elemset *es = d->desired;

	d->model = ch->model;
	d->desired = ch->desired;
	ch->model = m;
	ch->desired = es;
	ch->swapped = !ch->swapped;
}

/* restore: after a refusal, d as it was (whichever way it changed). */
static void
restore(struct iccd *d, struct change *ch)
{
	if (ch->swapped)
		swap(d, ch);
	else if (ch->model == NULL)
		change_abort(d, ch);
}

/* ---- plan and batch ----------------------------------------------------- */

struct bridge_plan {
	struct change	*ch;
	size_t		 i;		/* next snapshot bridge (name order) */
};

/* plan_bridge_cb: b of the model after the change, against the snapshot
 * (both in name order). */
static int
plan_bridge_cb(const struct icc_bridge *b, void *arg)
{
	struct bridge_plan *bp = arg;
	struct change *ch = bp->ch;
	const struct bridge_mode *old = NULL;
	int c = 1;

	while (bp->i < ch->nbridges &&
	    (c = strcmp(ch->bridges[bp->i].name, b->name)) < 0) {
		ch->bridges_changed = true;	/* one went away */
		bp->i++;
	}
	if (c == 0)
		old = &ch->bridges[bp->i++];
	if (old == NULL || old->icc != b->icc)
		ch->bridges_changed = true;
	if (!b->icc && (old == NULL || old->icc))
		return strvec_push(&ch->closing, b->name);
	if (b->icc && old != NULL && !old->icc)
		return strvec_push(&ch->opening, b->name);
	return 0;
}

static int
collect_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	return elemvec_push(arg, e);
}

/* plan_elems: the element delta: of the names changed in place, or of
 * the whole new model against the desired set. */
static int
plan_elems(struct iccd *d, struct change *ch)
{
	struct elemvec have = { 0 };
	int rv;

	if (ch->model == NULL)
		return engine_touching(d->model, ch->names, ch->n,
		    &ch->after) == -1 || elemset_plan(d->desired, &ch->before,
		    &ch->after, &ch->adds, &ch->dels) == -1 ? -1 : 0;
	if ((ch->desired = desired_of(ch->model)) == NULL)
		return -1;
	rv = elemset_foreach(d->desired, collect_cb, &have) != 0 ||
	    elemset_diff(ch->desired, &have, &ch->adds, &ch->dels) == -1 ?
	    -1 : 0;
	elemvec_free(&have);
	return rv;
}

static int change_batch(struct iccd *, struct change *);

/* change_plan: both deltas, and the batch that makes them (NULL when the
 * kernel has nothing to do).  Returns 0 or -1 with errno. */
static int
change_plan(struct iccd *d, struct change *ch)
{
	struct bridge_plan bp = { ch, 0 };

	if (plan_elems(d, ch) == -1 || model_bridges(ch->model != NULL ?
	    ch->model : d->model, plan_bridge_cb, &bp) != 0)
		return -1;
	if (bp.i < ch->nbridges)
		ch->bridges_changed = true;
	if (ch->model != NULL)
		ch->bridges_changed = true;	/* a reload saves them anyway */
	/* Bindings: of the names, unless a bridge's mode changed (every
	 * container on it gains or loses its binding) or the whole model. */
	if (binding_plan(d, ch->model != NULL ? ch->model : d->model,
	    ch->model != NULL || ch->closing.n + ch->opening.n > 0 ? NULL :
	    ch->names, ch->n, &ch->bind) == -1)
		return -1;
	return change_batch(d, ch);
}

/*
 * change_batch: what of the element delta the kernel gets (the range
 * garbage queue takes revoked ranges and holds back adds that must wait
 * for it, rangegc.h), and the batch (NULL when the kernel has nothing to
 * do).  Again after a resync, which emptied the queue.  Returns 0 or -1
 * with errno.
 */
static int
change_batch(struct iccd *d, struct change *ch)
{
	elemvec_clear(&ch->kadds);
	elemvec_clear(&ch->kdels);
	gc_moves_free(&ch->gcm);
	kbatch_free(ch->b);
	ch->b = NULL;
	if (rangegc_plan(&d->gc, &ch->adds, &ch->dels, &ch->gcm, &ch->kadds,
	    &ch->kdels) == -1)
		return -1;
	if (ch->kadds.n + ch->kdels.n + ch->closing.n + ch->opening.n +
	    ch->bind.adds.n + ch->bind.dels.n == 0)
		return 0;
	if ((ch->b = kbatch_new(d->k)) == NULL ||
	    binding_batch(ch->b, &ch->bind) == -1)
		return -1;
	for (size_t i = 0; i < ch->kdels.n; i++)
		if (kbatch_del_elem(ch->b, &ch->kdels.v[i]) == -1)
			return -1;
	for (size_t i = 0; i < ch->kadds.n; i++)
		if (kbatch_add_elem(ch->b, &ch->kadds.v[i]) == -1)
			return -1;
	for (size_t i = 0; i < ch->closing.n; i++)
		if (kbatch_add_closed(ch->b, ch->closing.v[i]) == -1)
			return -1;
	for (size_t i = 0; i < ch->opening.n; i++)
		if (kbatch_del_closed(ch->b, ch->opening.v[i]) == -1)
			return -1;
	return 0;
}

/* ---- the whole table ---------------------------------------------------- */

struct closed_ctx {
	const char	**v;
	size_t		  n;
};

static int
closed_cb(const struct icc_bridge *b, void *arg)
{
	struct closed_ctx *ctx = arg;
	const char **nv;

	if (b->icc)
		return 0;
	if ((nv = realloc(ctx->v, (ctx->n + 1) * sizeof(*nv))) == NULL)
		return -1;
	ctx->v = nv;
	ctx->v[ctx->n++] = b->name;
	return 0;
}

/* sync_table: the whole table to d's desired elements, the closed
 * bridges closed[0..nclosed-1] and the bindings d->bound (kernel_sync). */
static int
sync_table(struct iccd *d, const char *const *closed, size_t nclosed,
    char *err, size_t errlen)
{
	struct elemvec all = { 0 };
	long changed;
	int rv;

	if (elemset_foreach(d->desired, collect_cb, &all) != 0 ||
	    binding_to_kernel(d) == -1) {
		snprintf(err, errlen, "out of memory");
		elemvec_free(&all);
		return -ENOMEM;
	}
	rv = kernel_sync(d->k, &all, closed, nclosed, &changed, err, errlen);
	/* The kernel equals the desired set now: no garbage left, nothing
	 * held back. */
	if (rv == 0)
		rangegc_clear(&d->gc);
	if (rv == 0 && changed != 0)
		log_info("table %s synced: %ld element changes%s", d->table,
		    changed < 0 ? 0 : changed, changed < 0 ? " (rebuilt)" : "");
	elemvec_free(&all);
	return rv;
}

int
change_sync(struct iccd *d, char *err, size_t errlen)
{
	struct closed_ctx closed = { NULL, 0 };
	int rv = -ENOMEM;

	if (model_bridges(d->model, closed_cb, &closed) != 0 ||
	    binding_rebuild(d) == -1)
		snprintf(err, errlen, "out of memory");
	else
		rv = sync_table(d, closed.v, closed.n, err, errlen);
	free(closed.v);
	return rv;
}

/*
 * resync_before: a delete found nothing: someone changed the table behind
 * iccd's back (before the monitor repaired it).  Make the kernel match
 * what iccd had before this change, so that the same batch can be sent
 * once more, instead of failing every later change that touches it.
 */
static bool
resync_before(struct iccd *d, const struct change *ch, const char *kerr)
{
	const char **closed = calloc(ch->nbridges + 1, sizeof(*closed));
	char err[ERRLEN];
	size_t n = 0;
	int rv = -ENOMEM;

	log_warnx("kernel table drifted (%s): resyncing and retrying", kerr);
	for (size_t i = 0; closed != NULL && i < ch->nbridges; i++)
		if (!ch->bridges[i].icc)
			closed[n++] = ch->bridges[i].name;
	snprintf(err, sizeof(err), "out of memory");
	if (closed != NULL)
		rv = sync_table(d, closed, n, err, sizeof(err));
	free(closed);
	if (rv != 0) {
		log_warnx("resync: %s", err);
		return false;
	}
	return true;
}

/* change_send: commit the batch (none: nothing to send; deferred: the
 * round's transaction sends it, round.c).  Returns 0 or -1 with a line
 * in err. */
static int
change_send(struct iccd *d, struct change *ch, char *err, size_t len)
{
	char kerr[ERRLEN];
	int rv;

	if (ch->b == NULL || ch->deferred)
		return 0;
	/* The resync emptied the range garbage queue: plan the batch again. */
	if ((rv = kbatch_commit(ch->b, kerr, sizeof(kerr))) == -ENOENT &&
	    resync_before(d, ch, kerr)) {
		if (change_batch(d, ch) == -1) {
			snprintf(err, len, "%s", strerror(errno));
			return -1;
		}
		rv = ch->b == NULL ? 0 : kbatch_commit(ch->b, kerr,
		    sizeof(kerr));
	}
	if (rv != 0) {
		snprintf(err, len, "kernel: %s", kerr);
		return -1;
	}
	return 0;
}

/* ---- persist, commit or undo -------------------------------------------- */

/*
 * change_undo: the kernel took the batch but the state could not be
 * written: take the batch back, so that a failed change changes nothing.
 * When even that fails the main loop resyncs (need_sync).
 */
static void
change_undo(struct iccd *d, const struct change *ch)
{
	struct kbatch *b;
	char kerr[ERRLEN];
	int rv = -ENOMEM;

	if (ch->deferred)
		return;		/* the kernel never had it */
	if (ch->b == NULL || (b = kbatch_new(d->k)) == NULL)
		goto out;
	rv = 0;
	for (size_t i = 0; rv == 0 && i < ch->kadds.n; i++)
		rv = kbatch_del_elem(b, &ch->kadds.v[i]);
	for (size_t i = 0; rv == 0 && i < ch->kdels.n; i++)
		rv = kbatch_add_elem(b, &ch->kdels.v[i]);
	for (size_t i = 0; rv == 0 && i < ch->closing.n; i++)
		rv = kbatch_del_closed(b, ch->closing.v[i]);
	for (size_t i = 0; rv == 0 && i < ch->opening.n; i++)
		rv = kbatch_add_closed(b, ch->opening.v[i]);
	if (rv == 0)
		rv = binding_undo(b, &ch->bind);
	rv = rv == 0 ? kbatch_commit(b, kerr, sizeof(kerr)) : -ENOMEM;
	kbatch_free(b);
out:
	if (ch->b != NULL && rv != 0) {
		log_warnx("%s: cannot take the batch back (%s); resyncing",
		    __func__, rv == -ENOMEM ? "out of memory" : kerr);
		d->need_sync = true;
	}
}

/* change_commit: the change stands: the desired set follows, and the
 * hosts files. */
static void
change_commit(struct iccd *d, struct change *ch)
{
	binding_done(d, &ch->bind);
	if (rangegc_apply(&d->gc, &ch->gcm) == -1) {
		log_warnx("%s: range gc: out of memory, resyncing", __func__);
		d->need_sync = true;
	}
	if (ch->model == NULL && elemset_commit(d->desired, &ch->before,
	    &ch->after) == -1) {
		/* The kernel has the change; resync the count table from the
		 * whole model rather than leave it wrong. */
		log_warnx("%s: out of memory, resyncing", __func__);
		d->need_sync = true;
	}
	if (ch->swapped)
		log_info("reload: %zu elements added, %zu deleted",
		    ch->adds.n, ch->dels.n);
	if (ch->swapped)
		hosts_follow_all(d, false);
	else if (!ch->deferred)		/* after the round's commit */
		hosts_follow(d, ch->names, ch->n);
}

void
change_takeback(struct iccd *d, struct change *ch)
{
	change_undo(d, ch);
	if (rangegc_revert(&d->gc, &ch->gcm) == -1)
		d->need_sync = true;
	if (ch->model == NULL && elemset_commit(d->desired, &ch->after,
	    &ch->before) == -1)
		d->need_sync = true;
	restore(d, ch);
	if (!ch->deferred)
		hosts_follow(d, ch->names, ch->n);
}

int
change_apply(struct iccd *d, struct change *ch, char *err, size_t len)
{
	bool grouped = d->group_commit && d->slog != NULL && ch->model == NULL;

	/* A request of a round defers its batch to the round's one
	 * transaction (round.c); it plans against what the round's earlier
	 * changes made of the model and the desired set all the same. */
	ch->deferred = grouped && d->grouping;
	if (change_plan(d, ch) == -1) {
		snprintf(err, len, "%s", strerror(errno));
		goto fail;
	}
	/* A request's additions are bounded (admit.h); a reload's are the
	 * rules files', which root wrote. */
	if (ch->model == NULL && (admit_elems(ch->adds.n, err, len) == -1 ||
	    rangegc_admit(&d->gc, &ch->adds, err, len) == -1))
		goto fail;
	if (change_send(d, ch, err, len) == -1)
		goto fail;
	d->apply_ns = elapsed_ns(&d->t_received);
	if (ch->model != NULL)
		swap(d, ch);
	/* With group commit a request's records wait for the round's one
	 * durable write (persist.c), which takes the change back if it
	 * fails; a reload is made durable on its own.  A failed write
	 * leaves nothing on disk (the journal ends where it began). */
	if ((grouped ? persist_records(d, ch->names, ch->n,
	    ch->bridges_changed) : persist(d, ch->names, ch->n,
	    ch->bridges_changed)) == -1) {
		snprintf(err, len, "state: %s: %s", d->state_dir,
		    strerror(errno));
		change_undo(d, ch);
		restore(d, ch);
		return -1;
	}
	change_commit(d, ch);
	if (grouped && round_keep(d, ch) == -1 && (ch->deferred ||
	    persist(d, NULL, 0, false) == -1)) {
		/* Could not wait for the round, nor be durable now (nor,
		 * deferred, before the kernel has it: then the round goes
		 * too, after this change, newest first). */
		snprintf(err, len, "state: %s: %s", d->state_dir,
		    strerror(errno));
		change_takeback(d, ch);
		if (ch->deferred) {
			errno = ENOMEM;		/* round_keep's */
			(void)persist_abort(d);
		}
		if (binding_rebuild(d) == -1)
			d->need_sync = true;
		return -1;
	}
	return 0;
fail:
	restore(d, ch);
	return -1;
}
