/* change.c: the one path from a change of the model to the kernel (daemon_int.h). */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int
txn_begin(struct iccd *d, struct txn *t, const char *const *names, size_t n)
{
	memset(t, 0, sizeof(*t));
	for (t->n = 0; t->n < n; t->n++) {
		const struct icc_container *c = model_find(d->model, names[t->n]);

		snprintf(t->name[t->n], sizeof(t->name[0]), "%s", names[t->n]);
		t->names[t->n] = t->name[t->n];
		if (c != NULL && (t->old[t->n] = container_dup(c)) == NULL)
			return -1;
	}
	return engine_touching(d->model, t->names, t->n, &t->before);
}

/* txn_add_name: one more container joins (a takeover victim); the
 * derivations before the change are counted again over all names. */
int
txn_add_name(struct iccd *d, struct txn *t, const char *name)
{
	const struct icc_container *c = model_find(d->model, name);

	if (t->n == TXN_MAX || c == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((t->old[t->n] = container_dup(c)) == NULL)
		return -1;
	snprintf(t->name[t->n], sizeof(t->name[0]), "%s", name);
	t->names[t->n] = t->name[t->n];
	t->n++;
	elemvec_clear(&t->before);
	return engine_touching(d->model, t->names, t->n, &t->before);
}

void
txn_free(struct txn *t)
{
	for (size_t i = 0; i < t->n; i++)
		container_free(t->old[i]);
	elemvec_free(&t->before);
	elemvec_free(&t->after);
	elemvec_free(&t->adds);
	elemvec_free(&t->dels);
}

/* txn_restore: put the model back as it was at txn_begin. */
void
txn_restore(struct iccd *d, struct txn *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->old[i] == NULL) {
			container_free(model_take(d->model, t->names[i]));
			continue;
		}
		if (model_put(d->model, t->old[i]) == 0)
			t->old[i] = NULL;
		else
			log_warnx("%s: cannot restore %s", __func__,
			    t->names[i]);
	}
	if (t->newbridge[0] != '\0')
		model_bridge_del(d->model, t->newbridge);
}

/*
 * txn_undo_kernel: the kernel took the batch but the state could not be
 * written: take the batch back, so that a failed request changes nothing.
 */
static void
txn_undo_kernel(struct iccd *d, const struct txn *t)
{
	struct kbatch *b = kbatch_new(d->k);
	char kerr[ERRLEN];
	int rv = -ENOMEM;

	for (size_t i = 0; b != NULL && i < t->adds.n; i++)
		kbatch_del_elem(b, &t->adds.v[i]);
	for (size_t i = 0; b != NULL && i < t->dels.n; i++)
		kbatch_add_elem(b, &t->dels.v[i]);
	if (b != NULL && t->newbridge[0] != '\0' &&
	    !model_bridge(d->model, t->newbridge)->icc)
		kbatch_del_closed(b, t->newbridge);
	if (b != NULL)
		rv = kbatch_commit(b, kerr, sizeof(kerr));
	kbatch_free(b);
	if (rv != 0) {
		log_warnx("%s: cannot take the batch back (%s); resyncing",
		    __func__, rv == -ENOMEM ? "out of memory" : kerr);
		d->need_sync = true;
	}
}

/*
 * resync_for_retry: a delete found nothing: someone changed the table
 * behind iccd's back (before the monitor repaired it).  Make the kernel
 * match what iccd had before this request, so the same batch can be sent
 * once more, instead of failing every later request that touches it.
 */
static bool
resync_for_retry(struct iccd *d, const char *kerr)
{
	char err[ERRLEN];

	log_warnx("kernel table drifted (%s): resyncing and retrying", kerr);
	if (daemon_sync(d, err, sizeof(err)) != 0) {
		log_warnx("resync: %s", err);
		return false;
	}
	return true;
}

/*
 * txn_commit: the model has been changed; send the element delta (plus
 * the closed-set change of a new bridge) as one batch.  On success the
 * desired set follows; on failure the model is restored and err says why.
 */
int
txn_commit(struct iccd *d, struct txn *t, char *err, size_t len)
{
	struct kbatch *b = NULL;
	char kerr[ERRLEN];
	int rv;

	if (engine_touching(d->model, t->names, t->n, &t->after) == -1 ||
	    elemset_plan(d->desired, &t->before, &t->after, &t->adds,
	    &t->dels) == -1 || (b = kbatch_new(d->k)) == NULL) {
		snprintf(err, len, "%s", strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < t->dels.n; i++)
		if (kbatch_del_elem(b, &t->dels.v[i]) == -1)
			goto nomem;
	for (size_t i = 0; i < t->adds.n; i++)
		if (kbatch_add_elem(b, &t->adds.v[i]) == -1)
			goto nomem;
	if (t->newbridge[0] != '\0' &&
	    !model_bridge(d->model, t->newbridge)->icc &&
	    kbatch_add_closed(b, t->newbridge) == -1)
		goto nomem;
	if ((rv = kbatch_commit(b, kerr, sizeof(kerr))) == -ENOENT &&
	    resync_for_retry(d, kerr))
		rv = kbatch_commit(b, kerr, sizeof(kerr));
	if (rv != 0) {
		snprintf(err, len, "kernel: %s", kerr);
		goto fail;
	}
	d->apply_ns = elapsed_ns(&d->t_received);
	if (persist(d, t->names, t->n, t->newbridge[0] != '\0') == -1) {
		snprintf(err, len, "state: %s: %s", d->state_dir,
		    strerror(errno));
		txn_undo_kernel(d, t);
		goto fail;
	}
	if (elemset_commit(d->desired, &t->before, &t->after) == -1) {
		/* The kernel has the change; resync the count table from the
		 * whole model rather than leave it wrong. */
		log_warnx("%s: out of memory, resyncing", __func__);
		d->need_sync = true;
	}
	kbatch_free(b);
	ct_flush_gone(d, &t->dels, &t->adds);
	hosts_follow(d, t->names, t->n);
	return 0;
nomem:
	snprintf(err, len, "out of memory");
fail:
	kbatch_free(b);
	txn_restore(d, t);
	return -1;
}
