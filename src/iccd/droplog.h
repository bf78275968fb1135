/*
 * droplog.h: the drop log: the last blocked connections between
 * containers of a closed bridge, as the kernel's log rule reported them
 * (kernel.h: struct kdrop), each with the containers' names and the
 * reason `iccctl check` gives, in a ring of a fixed size (the oldest
 * entry makes room).  One entry a connection: a blocked connection never
 * confirms its conntrack entry, so the kernel logs each retransmit as a
 * new one; a packet of the same flow within DROPLOG_SAME_S seconds of the
 * entry's last one counts there.  Pure: the caller reads the kernel and passes the
 * model and the time.
 */
#ifndef ICCD_DROPLOG_H
#define ICCD_DROPLOG_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "kernel.h"
#include "model.h"
#include "verdict.h"

#define DROPLOG_SIZE	256	/* entries kept */
#define DROPLOG_READ	64	/* packets read per wakeup */
#define DROPLOG_SAME_S	60	/* seconds a flow's packets join its entry */

struct drop_entry {
	unsigned long long	 seq;		/* 1, 2, ... never reused */
	struct timespec		 when;		/* CLOCK_REALTIME, the first */
	struct timespec		 last;		/* the last packet's */
	unsigned long long	 packets;	/* logged packets, >= 1 */
	struct kdrop		 pkt;		/* the first packet */
	char			 from[ICC_NAME_MAX + 1];	/* "" unknown */
	char			 to[ICC_NAME_MAX + 1];
	char			 reason[sizeof(((struct verdict *)0)->line)];
};

struct droplog;

/* droplog_new: an empty log of cap entries; NULL with errno ENOMEM. */
struct droplog *droplog_new(size_t cap);
void droplog_free(struct droplog *l);

/*
 * droplog_record: add the packet p, seen at *when, judged in m: the
 * holders of its addresses on its bridge (running first, as check finds
 * them) and the reason check would give (its error line when check has
 * none, e.g. "from: no container holds 10.88.0.9").  The oldest entry
 * goes when the log is full.  A packet of an entry's flow (bridge,
 * addresses, protocol, ports) within DROPLOG_SAME_S seconds of its last
 * packet counts in that entry instead (packets + 1, last = *when; seq,
 * names and reason stay).  Returns the entry (valid until the next
 * record): a new one has packets == 1.
 */
const struct drop_entry *droplog_record(struct droplog *l,
    const struct icc_model *m, const struct kdrop *p,
    const struct timespec *when);

/*
 * droplog_json: the entries with a sequence number above after, oldest
 * first, as a new array of objects: seq, time ("2026-12-05T19:30:02.114Z"),
 * bridge, from, from_addr, to, to_addr, proto ("tcp", "udp", "sctp",
 * "icmp", or the number), port, reason, packets (the logged packets of
 * the connection).  NULL with errno ENOMEM.
 */
json_t *droplog_json(const struct droplog *l, unsigned long long after);

/* droplog_last: the newest entry's sequence number, 0 when none. */
unsigned long long droplog_last(const struct droplog *l);

#endif
