/*
 * metrics.h: iccd's counters and their rendering in the Prometheus text
 * format (version 0.0.4), for `iccctl metrics` and --metrics-listen.
 * The counters live in struct iccd (one struct metrics, reset for tests
 * with metrics_reset); the gauges are read from the state when rendered
 * (struct metrics_gauges).  Pure: no I/O, no globals.
 */
#ifndef ICCD_METRICS_H
#define ICCD_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "elem.h"
#include "request.h"

/* Latency buckets, upper bounds in seconds (+Inf is implied). */
#define METRICS_BUCKETS		14

struct histogram {
	unsigned long long	 bucket[METRICS_BUCKETS + 1];	/* not cumulative;
							 * the last is +Inf */
	unsigned long long	 count;
	double			 sum;		/* seconds */
};

/* Requests per group-commit transaction: buckets 1, 2, 4 ... 256. */
#define METRICS_ROUND_BUCKETS	9

/* Bridges whose drops are counted one by one; more share "other". */
#define METRICS_BRIDGES		64

struct bridge_count {
	char			 name[16];	/* IFNAMSIZ */
	unsigned long long	 n;
};

struct metrics {
	/* requests[cmd][0]: ok, [1]: error; cmd REQ_NR: no known command */
	unsigned long long	 requests[REQ_NR + 1][2];
	struct histogram	 apply;		/* arrival -> kernel ack */
	struct histogram	 reply;		/* arrival -> reply built */
	struct bridge_count	 drops[METRICS_BRIDGES];
	size_t			 ndrops;
	unsigned long long	 drops_other;	/* bridges past METRICS_BRIDGES */
	unsigned long long	 drop_packets;	/* packets the kernel logged */
	size_t			 clients;	/* control clients, kept current
						 * by the main loop */
	/* Group commit (round.c): the kernel transactions that carried
	 * the changes of a round's requests, by how many requests they
	 * carried (not cumulative; the last is +Inf), those requests, and
	 * the transactions the kernel refused (their requests were then
	 * handled one by one). */
	unsigned long long	 round_size[METRICS_ROUND_BUCKETS + 1];
	unsigned long long	 round_txns, round_requests, round_refused;
};

/* What the state holds when the metrics are rendered. */
struct metrics_gauges {
	size_t		 set_elements[ICC_SET_NR];	/* desired, per set */
	size_t		 closed_bridges;		/* the set closed */
	size_t		 running, stopped, declared;	/* containers */
	size_t		 active, pending;		/* links */
	unsigned long	 repairs;
	unsigned long	 sysctl_repairs;	/* br_netfilter sysctls put back */
	unsigned long	 ports_lost;	/* containers stopped: port gone */
	bool		 owned;		/* the table carries owner + persist */
	size_t		 gc_queued;	/* range garbage in the kernel */
	size_t		 gc_pending;	/* adds waiting for it */
	unsigned long	 gc_drained;	/* garbage deleted by drains */
};

/* metrics_reset: every counter back to zero. */
void metrics_reset(struct metrics *m);

/*
 * metrics_request: count one answered request: cmd (REQ_NR when the
 * request named no known command), ok (the reply's "ok"), apply_ns (-1
 * when the request did not reach the kernel) and reply_ns, nanoseconds.
 */
void metrics_request(struct metrics *m, enum req_cmd cmd, bool ok,
    long apply_ns, long reply_ns);

/* metrics_round: one group-commit transaction committed, carrying the
 * changes of nreq requests. */
void metrics_round(struct metrics *m, size_t nreq);

/* metrics_drop: one blocked connection logged on bridge (its first
 * packet; every packet also counts in m->drop_packets). */
void metrics_drop(struct metrics *m, const char *bridge);

/*
 * metrics_render: the counters of m and the gauges g as Prometheus text
 * (every family with # HELP and # TYPE, every command x result always
 * present).  Returns a malloc'd NUL-terminated string, or NULL with errno
 * ENOMEM.
 */
char *metrics_render(const struct metrics *m, const struct metrics_gauges *g);

#endif
