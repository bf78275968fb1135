/*
 * daemon_int.h: what the daemon's files share among themselves (not for
 * iccd.c, which sees daemon.h only).  One section per file; src/README
 * says which file holds which concern.  Every function here runs in the
 * daemon's one thread on the struct iccd it is given.
 */
#ifndef ICCD_DAEMON_INT_H
#define ICCD_DAEMON_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "binding.h"
#include "daemon.h"
#include "linkdata.h"
#include "rangegc.h"
#include "request.h"

/* The longest error line a reply or a log line carries. */
#define ERRLEN 512

/* ---- reply.c ------------------------------------------------------------ */

/* reply_ok: {"ok": true}.  reply_err: {"ok": false, "error": the line}.
 * lines_reply: {"ok": true, "lines": sv's strings} (sv is not freed).
 * no_such: the error naming a container the model does not know.  New
 * objects, NULL only when out of memory. */
json_t *reply_ok(void);
json_t *reply_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
json_t *lines_reply(struct strvec *sv);
json_t *no_such(const char *name);

/* elapsed_ns: nanoseconds since *t0 (CLOCK_MONOTONIC). */
long elapsed_ns(const struct timespec *t0);

/* ---- change.c: the one path from the model to the kernel ---------------- */

#define CHANGE_MAX 4	/* containers one change touches, at most */

/* A bridge's mode when the change began. */
struct bridge_mode {
	char	name[ICC_IFNAME_MAX + 1];
	bool	icc;
};

/*
 * One change of the model on its way to the kernel (see change.c).  Zero
 * it with change_begin; the caller sets model (a whole new model, owned
 * by the change) or changes d->model in place.
 */
struct change {
	/* What the model was: the records of the names touched (deep
	 * copies, NULL when absent) and every bridge's mode. */
	char			 name[CHANGE_MAX][ICC_NAME_MAX + 1];
	const char		*names[CHANGE_MAX];	/* -> name[] */
	struct icc_container	*old[CHANGE_MAX];
	size_t			 n;
	struct bridge_mode	*bridges;	/* in name order */
	size_t			 nbridges, capbridges;
	struct elemvec		 before;	/* derivations of names */

	/* A whole new model (reload) and the elements it derives; after
	 * the swap they hold the old ones, freed by change_free. */
	struct icc_model	*model;
	struct elemset		*desired;
	bool			 swapped;

	/* The plan, and the batch that makes it. */
	struct elemvec		 after, adds, dels;	/* sorted */
	struct strvec		 closing, opening;	/* closed-set delta */
	bool			 bridges_changed;	/* save bridges.json */
	struct bind_delta	 bind;		/* the bridge table's change */
	/* What of adds and dels the kernel gets, and what moves on the
	 * range garbage queue instead (rangegc.h): applied to d->gc at
	 * commit, reverted at takeback. */
	struct elemvec		 kadds, kdels;
	struct gc_moves		 gcm;
	struct kbatch		*b;		/* NULL: nothing to send */
	/* Group commit (round.c): the batch waits for the round's one
	 * transaction, and the hosts files for its commit; a takeback then
	 * sends no inverse. */
	bool			 deferred;
};

/*
 * change_begin: start a change of the containers names[0..n-1] (n at most
 * CHANGE_MAX; none for a bridge or a whole model): note what they and
 * every bridge are now.  Returns 0 or -1 with errno (ENOMEM); ch must be
 * freed with change_free either way.
 */
int change_begin(struct iccd *d, struct change *ch, const char *const *names,
    size_t n);

/* change_touch: one more container joins the change (a takeover victim,
 * which must exist).  Returns 0 or -1 with errno (EINVAL: absent or more
 * than CHANGE_MAX names; ENOMEM). */
int change_touch(struct iccd *d, struct change *ch, const char *name);

/* change_abort: put d's model back as change_begin found it (a caller
 * that failed before change_apply). */
void change_abort(struct iccd *d, struct change *ch);

/*
 * change_apply: plan, batch, persist, commit or undo (see change.c).
 * Returns 0, or -1 with a line in err ("kernel: ..." naming the refused
 * message, "state: DIR: ..." or the errno's text) and d as it was at
 * change_begin (a whole new model is dropped).
 */
int change_apply(struct iccd *d, struct change *ch, char *err, size_t len);

/*
 * change_takeback: an applied change whose state write failed with its
 * round's (persist.c): take it back: the kernel's batch, the element
 * counts, the model, the hosts files.  d->bound is the caller's
 * (binding_rebuild once the round is taken back).
 */
void change_takeback(struct iccd *d, struct change *ch);

/* change_free: release ch (not d's model). */
void change_free(struct change *ch);
/* change_reply: change_apply, then change_free; the reply to the request
 * that made the change: {"ok": true}, or the error line (reply_err). */
json_t *change_reply(struct iccd *d, struct change *ch);

/*
 * change_sync: the whole table to the model (kernel_sync) in one
 * transaction: at start, for a resync, for a repair.  Returns 0 or a
 * negative errno, with a line in err.
 */
int change_sync(struct iccd *d, char *err, size_t errlen);

/* ---- persist.c ---------------------------------------------------------- */

/*
 * persist_records: add the records of names[0..n-1] (a removal for those
 * no longer in the model) and, when bridges is true, of bridges.json to
 * the journal's group; nothing is durable yet.  Nothing to do without a
 * state directory.  Returns 0 or -1 with errno: the group is then
 * dropped, and with it the round's waiting changes, taken back (their
 * replies become errors); the caller takes back its own.
 */
int persist_records(struct iccd *d, const char *const *names, size_t n,
    bool bridges);

/*
 * persist: persist_records, then make the group durable with one
 * fdatasync, together with the changes of this round that wait for it
 * (group commit).  Returns 0 or -1 with errno as persist_records: nothing
 * was written.
 */
int persist(struct iccd *d, const char *const *names, size_t n, bool bridges);

/*
 * A change whose records wait for the round's durable write: the change
 * (what the model was, the batch) to take it back, and its reply, turned
 * into an error if the write fails.  d->round holds them in the order
 * they were made.
 */
struct pending_change {
	struct change	 ch;
	json_t		*rep;		/* NULL until daemon_handle knows it */
};

/*
 * persist_abort: a change of the round could not be kept: the round's
 * group is dropped and its changes taken back as when the write fails
 * (errno says why, kept).  Returns -1.
 */
int persist_abort(struct iccd *d);

/*
 * round_takeback: the changes d->round[first..] (deferred: the kernel
 * never had them) are taken back, newest first, and forgotten; their
 * replies are left alone (the caller makes new ones).  d->bound is
 * rebuilt.
 */
void round_takeback(struct iccd *d, size_t first);

/*
 * round_keep: with group commit, ch (applied, its records in the group)
 * waits for the round's write (daemon_round); its content moves (ch is
 * left empty, for change_free).  Returns 0 or -1 with errno ENOMEM (ch
 * untouched).
 */
int round_keep(struct iccd *d, struct change *ch);

/* round_reply: the request just handled made the changes kept since
 * the last call: rep (a reference is taken) is their reply. */
void round_reply(struct iccd *d, json_t *rep);

/* ---- daemon.c ------------------------------------------------------------ */

/*
 * daemon_replay: handle req (from a peer that may write when may_write)
 * once more, as daemon_handle did, but alone: its change is committed
 * to the kernel at once (group commit's refusal path, round.c).  The
 * request is not counted again, and its changes get no reply from here
 * (the caller calls round_reply).  Returns a new reply (NULL only when
 * out of memory).
 */
json_t *daemon_replay(struct iccd *d, const json_t *req, bool may_write);

/* ---- model_build.c: the rules files' declarations in the model ---------- */

/* merge_files: append to c what rs declares for c->name.  Returns 0, or
 * -1 with a line in err naming the file and line. */
int merge_files(const struct rules *rs, struct icc_container *c, char *err,
    size_t len);

/* rules_declare: rs declares exposes or links for name. */
bool rules_declare(const struct rules *rs, const char *name);

/* declared_only: a new record for a name only rs declares (no identity,
 * not running).  NULL with a line in err. */
struct icc_container *declared_only(const struct rules *rs, const char *name,
    char *err, size_t len);

/*
 * build_model: a new model holding d's bridges and containers with the
 * declarations of rs merged in (the old file declarations dropped), plus
 * a record for every name only the files declare.  NULL with err set.
 */
struct icc_model *build_model(struct iccd *d, const struct rules *rs,
    char *err, size_t len);

/* desired_of: a new counted element set that model m derives, or NULL
 * (out of memory). */
struct elemset *desired_of(const struct icc_model *m);

/* ---- startcache.c: a start from the element cache ----------------------- */

/*
 * startcache_begin: when d's state directory holds an element cache,
 * start the thread that reads it and, when it is the state's and the
 * table missing, loads the kernel from it (kernel_load on d->k, which
 * nothing else may use until startcache_end).  icc_on: the --icc
 * default.  Returns whether the thread runs.
 */
bool startcache_begin(struct iccd *d, bool icc_on);

/*
 * startcache_end: d->desired is the model's: compare it (and the closed
 * bridges, and the bindings, which it rebuilds: d->bound) with the cache,
 * join the thread and set d->cache_loaded, cache_matches, cache_stale and
 * the timings; log why a cache was not used or differs.  Nothing when no
 * thread runs.
 */
void startcache_end(struct iccd *d);

/* startcache_write: statelog_on_compact's function (arg: d): the cache of
 * what d derives now, for dir's files as they are.  0 or -1 with errno. */
int startcache_write(const char *dir, void *arg);

/* ---- commands: cmd_container.c, cmd_link.c, cmd_bridge.c, show.c -------- */

/*
 * One function per control command: r is the parsed request (its
 * container, r->c, may be taken over by the model: then r->c is NULL).
 * Each returns a new reply object (NULL only when out of memory); a
 * refused request changes nothing.
 */
json_t *cmd_start(struct iccd *d, struct request *r);
json_t *cmd_stop(struct iccd *d, struct request *r);
json_t *cmd_rm(struct iccd *d, struct request *r);
json_t *cmd_link(struct iccd *d, struct request *r);
json_t *cmd_unlink(struct iccd *d, struct request *r);
json_t *cmd_bridge(struct iccd *d, struct request *r);
json_t *cmd_env(struct iccd *d, struct request *r);
json_t *cmd_list(struct iccd *d);
json_t *cmd_status(struct iccd *d);

/* ---- hostsfiles.c: hosts files iccd keeps written ----------------------- */

/* hosts_follow: after a change to names[0..n-1], rewrite the hosts files
 * of the receivers involved.  Failures are logged. */
void hosts_follow(struct iccd *d, const char *const *names, size_t n);

/* hosts_forget: drop name's registration (name left the model). */
void hosts_forget(struct iccd *d, const char *name);

/* hosts_state: name's registration as saved in its state file (a new
 * object), or NULL when it has none. */
json_t *hosts_state(const struct iccd *d, const char *name);

/* hosts_restore: state_load's callback: a registration saved before. */
void hosts_restore(const char *name, const json_t *hosts, void *arg);

/* cmd_hosts: the hosts command.  With r->path: register the file and
 * write it at once with who's rights (hostswrite.h); a registration whose
 * first write fails is refused and not kept. */
json_t *cmd_hosts(struct iccd *d, struct request *r,
    const struct peer_cred *who);

/* hosts_follow_all: bring every registered hosts file up to date (force:
 * write each now, the check at start) and drop, with a log line and a
 * state write, the registrations whose write fails. */
void hosts_follow_all(struct iccd *d, bool force);

/* hosts_take: name's registration, out of d (NULL: none); the caller
 * frees it with hosts_reg_free or puts it back with hosts_put_back. */
struct hostsfile *hosts_take(struct iccd *d, const char *name);
void hosts_reg_free(struct hostsfile *hf);
/* hosts_put_back: hf (taken) is name's registration again (dropped with
 * a log line when out of memory). */
void hosts_put_back(struct iccd *d, const char *name, struct hostsfile *hf);

/* free_hostsfile_cb: hmap_foreach callback freeing one registration. */
int free_hostsfile_cb(const char *key, void *val, void *arg);

#endif
