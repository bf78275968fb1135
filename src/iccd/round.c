/*
 * round.c: group commit in the kernel (round.h): the changes of a poll
 * round's requests as one transaction, and the refusal path that hands
 * each request its own answer again.
 *
 * The round's changes are the tail of d->round (persist.c keeps them for
 * the durable write) marked deferred, from index first on; their journal
 * records follow the first mark records of the journal's group.  The
 * requests that made them (and those of the round that changed nothing:
 * their answers, too, depend on what came before) are kept with the
 * reply objects control.c holds.  The transaction is built at the flush,
 * from the changes' own batches in order, each tagged with its place, so
 * that a refusal names the change the kernel refused.
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "round.h"
#include "state.h"

/* A request of the round, to handle again when the round is refused. */
struct held {
	json_t		*req;
	bool		 may_write;
	json_t		*rep;		/* its reply, held by control.c */
	struct timespec	 t0;		/* its arrival (d->t_received) */
};

/* A hosts file registration an rm of the round set aside. */
struct aside {
	char			 name[ICC_NAME_MAX + 1];
	struct hostsfile	*hf;
};

struct round {
	struct held	*req;
	size_t		 n, cap;
	size_t		 first;		/* d->round[first..]: the round's */
	size_t		 mark;		/* the journal's records before it */
	unsigned long	 gen;		/* round_abandon's count */
	unsigned long	 open_gen;	/* gen at round_open */
	struct aside	*aside;
	size_t		 naside, capaside;
};

/* ---- joining the round -------------------------------------------------- */

/* takes_over: a start of c would stop another running container that
 * holds its address (cmd_container.c's takeover): not grouped. */
static bool
takes_over(const struct iccd *d, const struct icc_container *c)
{
	const struct icc_container *h;

	if (c == NULL)
		return false;
	if ((h = model_holder4(d->model, c->bridge, c->ip4)) != NULL &&
	    strcmp(h->name, c->name) != 0)
		return true;
	return c->has_ip6 && (h = model_holder6(d->model, c->bridge,
	    &c->ip6)) != NULL && strcmp(h->name, c->name) != 0;
}

/* groups: r may join the round. */
static bool
groups(const struct iccd *d, const struct request *r)
{
	if (!d->group_commit || d->slog == NULL)
		return false;
	switch (r->cmd) {
	case REQ_START:
		return !takes_over(d, r->c);
	case REQ_STOP:
	case REQ_RM:
	case REQ_LINK:
	case REQ_UNLINK:
		return true;
	default:
		return false;
	}
}

/* reserve: room for one more request, so that round_note cannot fail. */
static int
reserve(struct iccd *d)
{
	struct round *rt = d->rtx;

	if (rt == NULL && (rt = d->rtx = calloc(1, sizeof(*rt))) == NULL)
		return -1;
	return grow_array((void **)&rt->req, &rt->cap, rt->n,
	    sizeof(*rt->req)) < 0 ? -1 : 0;
}

/* round_start: the round's first request: where its changes begin. */
static void
round_start(struct iccd *d)
{
	d->rtx->first = d->nround;
	d->rtx->mark = statelog_pending(d->slog);
}

void
round_open(struct iccd *d, const struct request *r)
{
	d->grouping = false;
	if (!groups(d, r) || reserve(d) == -1) {
		round_flush(d);
		return;
	}
	if (d->rtx->n == 0)
		round_start(d);
	d->rtx->open_gen = d->rtx->gen;
	d->grouping = true;
}

void
round_note(struct iccd *d, const json_t *req, bool may_write, json_t *rep)
{
	struct round *rt = d->rtx;
	struct held *h;

	if (!d->grouping)
		return;
	d->grouping = false;
	/* The round went (a failed write) while this request was handled:
	 * its own change went too; the next round begins here. */
	if (rt->gen != rt->open_gen && rt->n == 0)
		round_start(d);
	h = &rt->req[rt->n++];		/* reserved by round_open */
	h->req = json_incref((json_t *)req);
	h->may_write = may_write;
	h->rep = json_incref(rep);
	h->t0 = d->t_received;
}

void
round_forget_hosts(struct iccd *d, const char *name)
{
	struct round *rt = d->rtx;
	struct hostsfile *hf;
	struct aside *a;

	if (!d->grouping || rt == NULL) {
		hosts_forget(d, name);
		return;
	}
	if ((hf = hosts_take(d, name)) == NULL)
		return;
	if (grow_array((void **)&rt->aside, &rt->capaside, rt->naside,
	    sizeof(*rt->aside)) < 0) {
		/* Out of memory: forgotten now, as without a round. */
		hosts_reg_free(hf);
		return;
	}
	a = &rt->aside[rt->naside++];
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->hf = hf;
}

/* ---- ending the round --------------------------------------------------- */

/* aside_end: the registrations set aside go for good (back: put back,
 * newest first). */
static void
aside_end(struct iccd *d, bool back)
{
	struct round *rt = d->rtx;

	for (size_t i = rt->naside; i-- > 0;) {
		if (back)
			hosts_put_back(d, rt->aside[i].name, rt->aside[i].hf);
		else
			hosts_reg_free(rt->aside[i].hf);
	}
	rt->naside = 0;
}

/* held_clear: the kept requests are dropped. */
static void
held_clear(struct round *rt)
{
	for (size_t i = 0; i < rt->n; i++) {
		json_decref(rt->req[i].req);
		json_decref(rt->req[i].rep);
	}
	rt->n = 0;
}

void
round_abandon(struct iccd *d)
{
	if (d->rtx == NULL)
		return;
	aside_end(d, true);
	held_clear(d->rtx);
	d->rtx->gen++;
}

/*
 * build: the round's transaction: the deferred changes' batches, in the
 * order they were made, tagged by their place after first.  *nreq gets
 * the changes that had something for the kernel.  NULL when out of
 * memory.
 */
static struct kbatch *
build(struct iccd *d, size_t *nreq)
{
	struct kbatch *b = kbatch_new(d->k);

	*nreq = 0;
	for (size_t i = d->rtx->first; b != NULL && i < d->nround; i++) {
		const struct change *ch = &d->round[i]->ch;

		if (!ch->deferred || ch->b == NULL || kbatch_size(ch->b) == 0)
			continue;
		if (kbatch_append(b, ch->b, (unsigned)(i - d->rtx->first)) ==
		    -1) {
			kbatch_free(b);
			return NULL;
		}
		(*nreq)++;
	}
	return b;
}

/* timed: a request's timings (daemon.c) end at the round's commit: its
 * change reached the kernel only now. */
static void
timed(struct held *h)
{
	long ns = elapsed_ns(&h->t0);

	if (json_object_get(h->rep, "apply_ns") == NULL)
		return;		/* it changed nothing */
	json_object_set_new(h->rep, "apply_ns", json_integer(ns));
	json_object_set_new(h->rep, "total_ns", json_integer(ns));
}

/* committed: the kernel has the round: the hosts files follow, in the
 * order of the changes (each write sees the round's whole model). */
static void
committed(struct iccd *d)
{
	struct strvec names = { 0 };
	bool nomem = false;

	for (size_t i = 0; i < d->rtx->n; i++)
		timed(&d->rtx->req[i]);
	for (size_t i = d->rtx->first; i < d->nround; i++) {
		struct change *ch = &d->round[i]->ch;

		if (!ch->deferred)
			continue;
		ch->deferred = false;	/* a takeback now sends the inverse */
		for (size_t j = 0; j < ch->n; j++)
			if (strvec_push(&names, ch->names[j]) == -1)
				nomem = true;
	}
	aside_end(d, false);
	held_clear(d->rtx);
	/* Last: a failed hosts write persists (persist.c), which may clear
	 * d->round. */
	if (nomem)
		hosts_follow_all(d, false);
	else
		hosts_follow(d, (const char *const *)names.v, names.n);
	strvec_free(&names);
}

/* replay_one: h's request handled once more, alone; its answer goes into
 * the reply object control.c holds. */
static void
replay_one(struct iccd *d, struct held *h)
{
	json_t *rep = daemon_replay(d, h->req, h->may_write);

	json_object_clear(h->rep);
	if (rep == NULL || json_object_update(h->rep, rep) == -1) {
		json_object_set_new(h->rep, "ok", json_false());
		json_object_set_new(h->rep, "error",
		    json_string("out of memory"));
	}
	json_decref(rep);
	round_reply(d, h->rep);
}

/*
 * refused: the kernel applied nothing of the round: take its changes
 * back, newest first, drop their records, and handle its requests again
 * one by one, in their order.
 */
static void
refused(struct iccd *d, const char *why, long tag)
{
	struct round *rt = d->rtx;
	struct held *req = rt->req;
	size_t n = rt->n, i;
	char who[ICC_NAME_MAX + 32] = "";

	if (tag >= 0 && rt->first + (size_t)tag < d->nround &&
	    d->round[rt->first + tag]->ch.n > 0)
		snprintf(who, sizeof(who), " (a change of %s)",
		    d->round[rt->first + tag]->ch.names[0]);
	log_warnx("group commit: the kernel refused the transaction of %zu "
	    "requests: %s%s; handling them one by one", n, why, who);
	d->metrics.round_refused++;
	round_takeback(d, rt->first);
	statelog_rewind(d->slog, rt->mark);
	aside_end(d, true);
	/* The requests are ours now: a replay must not find them kept. */
	rt->req = NULL;
	rt->n = rt->cap = 0;
	for (i = 0; i < n; i++)
		replay_one(d, &req[i]);
	for (i = 0; i < n; i++) {
		json_decref(req[i].req);
		json_decref(req[i].rep);
	}
	free(req);
}

void
round_flush(struct iccd *d)
{
	struct round *rt = d->rtx;
	struct kbatch *b;
	char kerr[ERRLEN];
	size_t nreq;
	int rv = 0;

	d->grouping = false;
	if (rt == NULL || rt->n == 0)
		return;
	if ((b = build(d, &nreq)) == NULL) {
		refused(d, "out of memory", -1);
		return;
	}
	if (nreq > 0 && (rv = kbatch_commit(b, kerr, sizeof(kerr))) == 0)
		metrics_round(&d->metrics, nreq);
	if (rv == 0)
		committed(d);
	else
		refused(d, kerr, kbatch_refused(b));
	kbatch_free(b);
}

void
round_free(struct iccd *d)
{
	if (d->rtx == NULL)
		return;
	round_abandon(d);
	free(d->rtx->req);
	free(d->rtx->aside);
	free(d->rtx);
	d->rtx = NULL;
}
