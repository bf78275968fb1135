/*
 * daemon.h: iccd's state and request handling: the model, the desired
 * elements, the kernel handle, and one function per control command.
 * Every state-changing request is one transaction: validate, change the
 * model, compute the element delta with the rule engine, commit it to the
 * kernel as one batch; when the kernel refuses, the model is restored, so
 * a failed request changes nothing.
 */
#ifndef ICCD_DAEMON_H
#define ICCD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "bind.h"
#include "engine.h"
#include "hmap.h"
#include "hostswrite.h"
#include "kernel.h"
#include "metrics.h"
#include "model.h"
#include "rangegc.h"
#include "rules.h"

struct iccd {
	struct icc_model	*model;
	struct elemset		*desired;	/* elements with derivation counts */
	struct kernel		*k;
	char			 table[64];
	char			 state_dir[1024];	/* "" : no persistence */
	char			 rules_dir[1024];	/* "" : no rules files */
	struct rules		 rules;		/* what the files declared */
	uint64_t		 seq;		/* last state write */
	struct hmap		 hostsfiles;	/* receiver -> struct hostsfile */
	struct hostsdirs	 hostsdirs;	/* --hosts-dir */
	bool			 need_sync;	/* kernel may differ: resync */
	struct statelog		*slog;		/* NULL: no state directory */
	bool			 group_commit;	/* daemon_round makes changes
						 * durable, once per round */
	struct pending_change	**round;	/* changes waiting for it */
	size_t			 nround, capround;
	struct round		*rtx;		/* the round's one kernel
						 * transaction (round.h) */
	bool			 grouping;	/* the request being handled
						 * defers its batch to it */
	long			 load_state_ns;	/* daemon_init's state_load */
	bool			 write_group;	/* --group: its members write */
	unsigned long		 requests;	/* handled, for status */
	struct timespec		 t_received;	/* current request's arrival */
	long			 apply_ns;	/* arrival -> kernel ack, or -1 */
	unsigned long		 repairs;
	struct timespec		 last_repair;	/* CLOCK_REALTIME */
	char			 last_repair_cause[128];
	long			 last_repair_us;	/* event read -> synced */
	struct bindset		*bound;		/* the bridge table's elements,
						 * as iccd last set them */
	unsigned long		 sysctl_repairs; /* br_netfilter sysctls
						 * put back */
	bool			 sysctl_failing; /* the last check failed
						 * (logged once a row) */
	bool			 no_port_check;	/* unit tests: a start's port
						 * is not looked up in sysfs */
	struct metrics		 metrics;	/* metrics.h */
	struct droplog		*droplog;	/* droplog.h; NULL: none */
	char			 droplog_off[128]; /* why none ("" when
						 * unknown), for iccctl log */
	unsigned long		 ports_lost;	/* containers stopped because
						 * their port went away */
	/* The start from the element cache (startcache.c). */
	struct startcache	*sc;		/* its thread, until joined */
	bool			 cache_stale;	/* to be written anew */
	bool			 cache_loaded;	/* the table was built from it */
	bool			 cache_matches;	/* ... and it is the model's */
	long			 cache_read_ns, cache_load_ns,
				 cache_compare_ns, load_model_ns;
	struct rangegc		 gc;		/* range garbage being drained
						 * (rangegc.h) */
};

/* The kernel options daemon_init applies before the table is loaded. */
struct daemon_kopts {
	int	log_group;	/* kernel_set_log_group */
	bool	own;		/* kernel_set_owned */
};

/*
 * daemon_init: set up d: load the declarations saved in state_dir (NULL:
 * keep nothing on disk; bridges first seen get default_icc) and those of
 * the rules files in rules_dir (NULL: none; see rules.h), and open the
 * kernel handle for `table`.  hosts_dirs[0..nhosts_dirs-1] are the
 * directories beneath which iccd writes hosts files as root for any
 * peer (--hosts-dir; hostswrite.h).  Restored hosts file registrations
 * are written at once with the same checks as a new one; one that fails
 * is dropped with a log line.  The kernel is not touched yet: the caller
 * opens the event monitor and then calls daemon_sync, so that no foreign
 * change between the sync's dump and the monitor goes unseen.  Returns 0,
 * or -1 with a line in err.
 */
int daemon_init(struct iccd *d, const char *table, const char *state_dir,
    const char *rules_dir, char *const *hosts_dirs, size_t nhosts_dirs,
    bool default_icc, char *err, size_t errlen);

/*
 * daemon_init_kernel: daemon_init, with the kernel options ko (NULL:
 * the kernel's defaults), and, when the state directory holds an
 * element cache of the state (elemcache.h) and the table is missing,
 * the table loaded from it while the state is read (startcache.c): the
 * caller must then call daemon_start_sync before anything else touches
 * the kernel.
 */
int daemon_init_kernel(struct iccd *d, const char *table,
    const char *state_dir, const char *rules_dir, char *const *hosts_dirs,
    size_t nhosts_dirs, bool default_icc, const struct daemon_kopts *ko,
    char *err, size_t errlen);

/*
 * daemon_start_sync: the start's sync: nothing when the table was loaded
 * from the cache, the cache is what the model derives and no one changed
 * the ruleset since; else daemon_sync.  If that fails after a cache load,
 * the table is deleted (it may hold what the state does not allow).
 * Returns 0 or a negative errno, with a line in err.
 */
int daemon_start_sync(struct iccd *d, char *err, size_t errlen);

/*
 * daemon_reload: read the rules directory again and apply what changed in
 * one transaction (SIGHUP, `iccctl reload`).  A bad file changes nothing.
 * Returns 0, or -1 with a line in err ("FILE:LINE:COL: message" for a
 * bad file, "kernel: ..." when the kernel refused).
 */
int daemon_reload(struct iccd *d, char *err, size_t errlen);

/*
 * daemon_port_gone: the interface ifname (iccd's network namespace) was
 * deleted: every running container whose port it was is stopped, on the
 * change path, logged and counted (ports_lost, in `iccctl status`).  The
 * caller checks first that no interface of that name exists again (a new
 * container's veth may reuse the name).  See portlost.c.
 */
void daemon_port_gone(struct iccd *d, const char *ifname);

/*
 * daemon_ports_check: stop (as daemon_port_gone) every running container
 * with a port for which exists(port, arg) is false: at start, and after
 * link events were lost.
 */
void daemon_ports_check(struct iccd *d, bool (*exists)(const char *, void *),
    void *arg);

/* daemon_free: release everything (leaves the kernel table in place). */
void daemon_free(struct iccd *d);

/*
 * daemon_sync: reconcile the kernel with the model in one transaction
 * (kernel_sync).  Returns 0 or a negative errno, with a line in err.
 */
int daemon_sync(struct iccd *d, char *err, size_t errlen);

/*
 * daemon_repair: someone else changed the kernel table (cause: what
 * kernel_monitor_read said): daemon_sync, and on success count the repair
 * for `iccctl status`: repairs, last_repair (now, wall clock),
 * last_repair_cause and last_repair_us, the microseconds from t0
 * (CLOCK_MONOTONIC: when the event was read) to the sync's return, which
 * *us (may be NULL) gets too.  On failure need_sync is set so that the
 * main loop tries again.  Returns 0 or a negative errno, with a line in
 * err.
 */
int daemon_repair(struct iccd *d, const char *cause,
    const struct timespec *t0, long *us, char *err, size_t errlen);

/*
 * daemon_after_replies: work deferred until the replies of this round
 * are sent: start compacting the state journal in the background when
 * it holds records (statelog_compact).  Failures are logged.
 */
void daemon_after_replies(struct iccd *d);

/* daemon_pending: a compaction runs (the main loop polls for its end). */
bool daemon_pending(const struct iccd *d);

/*
 * daemon_after_replies_due: the journal has grown past its threshold:
 * compact now even if requests keep coming.
 */
bool daemon_after_replies_due(const struct iccd *d);

/* When each step of a start began (daemon_clock_ns: CLOCK_MONOTONIC,
 * ns): main, daemon_init, the first sync, the monitor, and the end. */
struct daemon_start {
	long	main, init, sync, monitor, done;
};

long daemon_clock_ns(void);

/*
 * daemon_log_loaded: the table is complete: log "loaded N containers, M
 * elements in T ms" and where the time went, in ms (the benchmark prints
 * it): setup (options, locks, sockets), state (the state directory),
 * model (rules files, hosts files, rule engine), sync and its parts
 * (kernel_sync_stats), monitor (with a second sync if one was needed).
 */
void daemon_log_loaded(const struct iccd *d, const struct daemon_start *st);

/*
 * daemon_round: group commit.  With d->group_commit set (iccd sets it and
 * calls this from control_on_round), a change's state records are only
 * added to the journal's group when it is applied; this makes the
 * round's group durable with one fdatasync.  If that fails, every change
 * of the round is taken back (kernel, model, hosts files) and its reply,
 * not yet sent, becomes an error.  Without group_commit each change is
 * made durable on its own before its reply is built.
 */
void daemon_round(struct iccd *d);

/*
 * daemon_handle: answer one request object (see proto.h).  may_write is
 * false for peers that may only read (list, status, env, hosts without
 * --write).  who: the peer's credentials (a hosts file is written with
 * its rights, hostswrite.h), used during the call only.  Returns a new
 * reply object (never NULL unless out of memory).
 */
json_t *daemon_handle(struct iccd *d, const json_t *req, bool may_write,
    const struct peer_cred *who);

#endif
