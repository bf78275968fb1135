/*
 * persist.c: writing the model's changes to the state directory: records
 * in the journal (statelog.c), made durable once per round of requests
 * (group commit), and compacted into the files in the background.
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "round.h"
#include "state.h"

static void
pending_free(struct pending_change *p)
{
	change_free(&p->ch);
	json_decref(p->rep);
	free(p);
}

/* round_clear: the round's changes are durable. */
static void
round_clear(struct iccd *d)
{
	for (size_t i = 0; i < d->nround; i++)
		pending_free(d->round[i]);
	d->nround = 0;
}

/*
 * group_fail: the group could not be written (errno says why): drop it,
 * take the round's waiting changes back, newest first, and turn their
 * replies into errors.  Returns -1 with errno kept.
 */
static int
group_fail(struct iccd *d)
{
	size_t n = d->nround;
	int saved = errno;

	/* The round's transaction goes with them (round.c). */
	round_abandon(d);
	statelog_discard(d->slog);
	for (size_t i = n; i-- > 0;) {
		struct pending_change *p = d->round[i];

		change_takeback(d, &p->ch);
		if (p->rep != NULL) {
			json_object_set_new(p->rep, "ok", json_false());
			json_object_set_new(p->rep, "error", json_sprintf(
			    "state: %s: %s (the change was taken back)",
			    d->state_dir, strerror(saved)));
		}
		pending_free(p);
	}
	d->nround = 0;
	if (n > 0) {
		if (binding_rebuild(d) == -1)
			d->need_sync = true;
		log_warnx("state: %s: %s: %zu changes of this round taken "
		    "back", d->state_dir, strerror(saved), n);
	}
	errno = saved;
	return -1;
}

int
persist_abort(struct iccd *d)
{
	return group_fail(d);
}

void
round_takeback(struct iccd *d, size_t first)
{
	if (first >= d->nround)
		return;
	for (size_t i = d->nround; i-- > first;) {
		change_takeback(d, &d->round[i]->ch);
		pending_free(d->round[i]);
	}
	d->nround = first;
	if (binding_rebuild(d) == -1)
		d->need_sync = true;
}

int
persist_records(struct iccd *d, const char *const *names, size_t n,
    bool bridges)
{
	if (d->slog == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct icc_container *c = model_find(d->model, names[i]);
		json_t *hosts;
		int rv;

		if (c == NULL || !c->has_identity) {
			if (statelog_remove_container(d->slog, names[i]) == -1)
				return group_fail(d);
			continue;
		}
		hosts = hosts_state(d, c->name);
		rv = statelog_put_container(d->slog, c, ++d->seq, hosts);
		json_decref(hosts);
		if (rv == -1)
			return group_fail(d);
	}
	if (bridges && statelog_put_bridges(d->slog, d->model) == -1)
		return group_fail(d);
	return 0;
}

int
persist(struct iccd *d, const char *const *names, size_t n, bool bridges)
{
	if (d->slog == NULL)
		return 0;
	if (persist_records(d, names, n, bridges) == -1)
		return -1;
	if (statelog_commit(d->slog) == -1)
		return group_fail(d);
	round_clear(d);
	return 0;
}

int
round_keep(struct iccd *d, struct change *ch)
{
	struct pending_change *p, **nv;

	if (d->nround == d->capround) {
		size_t ncap = d->capround ? d->capround * 2 : 16;

		if ((nv = reallocarray(d->round, ncap, sizeof(*nv))) == NULL)
			return -1;
		d->round = nv;
		d->capround = ncap;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->ch = *ch;
	for (size_t i = 0; i < p->ch.n; i++)
		p->ch.names[i] = p->ch.name[i];	/* into the copy */
	memset(ch, 0, sizeof(*ch));
	d->round[d->nround++] = p;
	return 0;
}

void
round_reply(struct iccd *d, json_t *rep)
{
	for (size_t i = 0; rep != NULL && i < d->nround; i++)
		if (d->round[i]->rep == NULL)
			d->round[i]->rep = json_incref(rep);
}

void
daemon_round(struct iccd *d)
{
	/* The kernel first: the round's records must not be durable
	 * before it took their changes (round.c). */
	round_flush(d);
	if (d->slog == NULL || (d->nround == 0 &&
	    statelog_pending(d->slog) == 0))
		return;
	if (statelog_commit(d->slog) == -1)
		(void)group_fail(d);
	else
		round_clear(d);
}

/* ---- work after the replies: compacting the journal ------------------- */

/*
 * Revocation needs no work of its own: the isolate chain judges every
 * packet of a flow, replies included, by the link sets (rules/icc.nft), so
 * a removed element stops its established flows at their next packet and
 * no conntrack entry has to be deleted.  What is left for quiet moments is
 * compacting the state journal, in a child process (statelog.c).
 */
bool
daemon_pending(const struct iccd *d)
{
	return d->slog != NULL && statelog_busy(d->slog);
}

bool
daemon_after_replies_due(const struct iccd *d)
{
	return d->slog != NULL && statelog_compact_due(d->slog);
}

void
daemon_after_replies(struct iccd *d)
{
	if (d->slog == NULL || statelog_busy(d->slog) ||
	    (statelog_owed(d->slog) == 0 && !statelog_cache_due(d->slog)))
		return;
	if (statelog_compact(d->slog, true) == -1)
		log_warn("state: %s: compacting the journal", d->state_dir);
}
