/*
 * round.h: group commit in the kernel: the requests handled in one poll
 * round (control.c reads them all before it writes a reply) put their
 * changes into ONE kernel transaction, sent when the round ends, before
 * its one durable write (persist.c).  Each request still gets its own
 * answer: when the kernel refuses the transaction (it then applied
 * nothing), the round's changes are taken back and its requests handled
 * again one by one, each in a transaction of its own, so that the
 * refusal maps back to its request and the others commit.
 *
 * Only start (without a takeover), stop, rm, link and unlink join a
 * round; any other request, and every change made outside a request
 * (reload, repair, sync, a lost port), first flushes it, so that the
 * kernel sees the changes in the order they were made.  Every function
 * runs in the daemon's one thread on the struct iccd it is given; the
 * round's state is d->rtx (NULL until the first round).
 */
#ifndef ICCD_ROUND_H
#define ICCD_ROUND_H

#include <stdbool.h>

#include <jansson.h>

#include "daemon.h"
#include "request.h"

struct round;

/*
 * round_open: request r (parsed, allowed) is about to be handled.  With
 * group commit on (d->group_commit, a state directory) a request that
 * may join the round sets d->grouping, and its change defers its batch
 * (change.c); any other request first flushes the round (round_flush).
 * Out of memory the request is not grouped either.
 */
void round_open(struct iccd *d, const struct request *r);

/*
 * round_note: the request just handled joined the round: req (from a
 * peer that may write when may_write) and its reply rep, the object
 * control.c holds until the round ends, are kept (references), so that
 * a refused round can handle it again and put the new answer into rep.
 * Clears d->grouping.  Nothing to do when round_open did not group.
 */
void round_note(struct iccd *d, const json_t *req, bool may_write,
    json_t *rep);

/*
 * round_flush: send the round's transaction (nothing when its changes
 * gave the kernel nothing to do); on success the deferred hosts files
 * are rewritten.  On a refusal, or when the transaction cannot be
 * built, the round's changes are taken back (newest first, no inverse
 * batch: the kernel applied nothing), their journal records dropped
 * (those of changes before the round's kept), and its requests handled
 * again one by one (daemon_replay): each reply object kept by
 * round_note gets the new answer.  Failures are logged and counted
 * (metrics.h), never returned: each request's reply says how it went.
 */
void round_flush(struct iccd *d);

/*
 * round_forget_hosts: name left the model (rm): its hosts file
 * registration goes (hosts_forget), but while the round's transaction
 * is pending it is set aside, to come back if the rm is taken back.
 */
void round_forget_hosts(struct iccd *d, const char *name);

/*
 * round_abandon: the round's changes are being taken back for good (the
 * durable write failed, persist.c): registrations set aside come back,
 * the kept requests are dropped (their replies are the caller's).
 */
void round_abandon(struct iccd *d);

/* round_free: release d->rtx (after a last round_flush). */
void round_free(struct iccd *d);

#endif
