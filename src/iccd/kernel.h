/*
 * kernel.h: the only part of iccd that talks to the kernel (netlink,
 * NETLINK_NETFILTER, through libmnl + libnftnl).  Like OpenBSD bgpd's
 * kroute.c: everything else is pure.  It never touches conntrack: the
 * rules judge every packet of a flow (rules/icc.nft).  Implemented by the kernel_*.c files, one concern each (listed in
 * kernel_int.h, their private header).
 *
 * iccd owns two tables of the name given to kernel_open, one of family
 * inet and one of family bridge (rules/icc-bridge.nft: port bindings,
 * kernel_bridge.c), and never touches another table or flushes the
 * ruleset.  The inet table's layout is documented in rules/icc.nft:
 *
 *   set closed  { type ifname . ifname }            bridges with icc off
 *   set links4  { type ipv4_addr . ipv4_addr . inet_proto . inet_service }
 *   set ranges4 { same; flags interval }            port ranges
 *   set links6 / ranges6                             the IPv6 twins
 *   set pairs4  { type ipv4_addr . ipv4_addr }       receiver . source of
 *   set pairs6  { type ipv6_addr . ipv6_addr }       a link with ranges
 *   chain forward  (filter hook forward priority filter, policy accept):
 *       iifname . oifname @closed jump isolate
 *   chain isolate: ct state established,related accept; ICMPv6 neighbour
 *       discovery accept; one lookup rule per link set (the range
 *       sets' only with the pair in the pairs set), accept; drop
 *
 * Every change is one netlink batch (one nftables transaction): either all
 * of it applies or none.  Errors are negative errno values; where a text
 * buffer is given it receives one line naming the message the kernel
 * refused (mapped back by netlink sequence number), e.g.
 * "add element links4 10.0.0.3 . 10.0.0.2 . tcp . 3306: No such file or
 * directory".
 */
#ifndef ICCD_KERNEL_H
#define ICCD_KERNEL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "belem.h"
#include "elem.h"

/*
 * The packet mark bit iccd's inet isolate chain sets, with a mask (other
 * bits are left alone), on what it accepts; the bridge table's forward
 * chain drops IP traffic to or from a bound port without it, so that
 * without br_netfilter the closed bridge stays closed (rules/icc-bridge.nft).
 */
#define ICC_MARK	0x00100000U

struct kernel;

/*
 * kernel_open: open a netlink socket for table `table` (family inet) in the
 * caller's network namespace.  Does not touch the kernel's ruleset.
 * Returns NULL with errno set (socket errors, ENOMEM, ENAMETOOLONG for a
 * table name over 255 bytes).
 */
struct kernel *kernel_open(const char *table);
void kernel_close(struct kernel *k);

/*
 * kernel_sync: make the table equal to the given desired state in one
 * transaction: elements (distinct, any order), closed bridges (names with
 * icc off).  If the table is missing or its sets/chains differ from the
 * layout above, it is replaced (delete + create in the same batch, so no
 * packet ever sees it half-built); otherwise only missing elements are
 * added and extra ones deleted, and the chains' rules are rewritten in the
 * same batch.  Uses the ruleset generation id: when the ruleset changes
 * between the dump and the commit (ERESTART) it dumps again, up to a few
 * times.  Returns 0, or a negative errno (-EAGAIN when the retries ran
 * out); err (may be NULL) gets a line as described above.
 *
 * *nchanged (may be NULL) gets the number of elements added + deleted
 * (-1 when the table was rebuilt).
 */
int kernel_sync(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, long *nchanged,
    char *err, size_t errlen);

/*
 * kernel_load: kernel_sync into a table that is not there (or that
 * kernel_sync would replace: not iccd's layout), with the bindings binds
 * (kernel_set_bindings) for the bridge table; a table with iccd's layout
 * is left untouched.  For a start from a cache of the elements, before
 * the model is known: the caller compares afterwards (kernel_moved_since_
 * sync tells whether the table is still what was loaded).  Returns 1
 * when it built the table, 0 when the table was there (nothing done), or
 * a negative errno with a line in err as kernel_sync's.
 */
int kernel_load(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, const struct belemvec *binds,
    char *err, size_t errlen);

/*
 * Where the last kernel_sync (or kernel_load) spent its time, in nanoseconds (monotonic
 * clock): building and sorting the wanted elements, dumping the table,
 * sending the transactions and reading their acks (commit: the kernel's
 * part, run inside sendmsg), and the rest (building the batches).
 */
struct ksync_stats {
	long		sort_ns;
	long		dump_ns;
	long		commit_ns;
	long		build_ns;
	unsigned	ntxn;		/* transactions committed */
};

/* kernel_sync_stats: *st gets the last kernel_sync's figures. */
void kernel_sync_stats(const struct kernel *k, struct ksync_stats *st);

/*
 * kernel_moved_since_sync: whether anyone changed the ruleset of the
 * caller's network namespace (any table: the kernel counts one
 * generation for all) after the last successful kernel_sync's own
 * commits.  A start syncs before it listens to events (kernel_monitor_
 * open), so that the kernel, which builds a notification per element
 * while anyone on the host listens, need not build 100,000 of them for
 * iccd's own load; this then tells whether the sync must be done again.
 * Returns 1, 0, or a negative errno (1 also when no sync succeeded).
 */
int kernel_moved_since_sync(struct kernel *k);

/*
 * A batch of changes to the table's sets, committed as one transaction.
 * kbatch_new returns NULL with errno ENOMEM.  The add/del calls only
 * record; they return 0 or -1 with errno ENOMEM.
 */
struct kbatch;
struct kbatch *kbatch_new(struct kernel *k);
void kbatch_free(struct kbatch *b);
int kbatch_add_elem(struct kbatch *b, const struct icc_elem *e);
int kbatch_del_elem(struct kbatch *b, const struct icc_elem *e);
int kbatch_add_closed(struct kbatch *b, const char *bridge);
int kbatch_del_closed(struct kbatch *b, const char *bridge);

/*
 * kbatch_add_belem, kbatch_del_belem: a bridge-table element (bind.h),
 * committed in the same transaction as the rest of the batch.
 */
int kbatch_add_belem(struct kbatch *b, const struct icc_belem *e);
int kbatch_del_belem(struct kbatch *b, const struct icc_belem *e);
/* kbatch_clear_belems: forget the bridge-table elements recorded in b. */
void kbatch_clear_belems(struct kbatch *b);

/*
 * kernel_set_bindings: the bridge table's elements (sorted, unique, as
 * bind_all makes them) for the next kernel_sync, which replaces the
 * bridge table whole in its first transaction.  Copies all.  Returns 0 or
 * -ENOMEM (then the previous ones stay).
 */
int kernel_set_bindings(struct kernel *k, const struct belemvec *all);

/*
 * kbatch_commit: send the batch (nothing is sent when it is empty) and read
 * every ack.  Returns 0, or the first negative errno the kernel answered;
 * err gets the refused message, e.g. "del element links4 ...: No such file
 * or directory".  The transaction is all-or-nothing.  b can be reused
 * after kbatch_reset.
 */
int kbatch_commit(struct kbatch *b, char *err, size_t errlen);
void kbatch_reset(struct kbatch *b);

/*
 * One transaction of several batches (group commit: the requests of one
 * poll round).  kbatch_append: append src's changes to dst, in src's
 * order after dst's, each tagged with tag (changes recorded directly
 * carry tag 0), so that a refusal can be mapped back to the batch it came
 * from; src is unchanged.  The bridge table's deletes go before its adds
 * in a transaction, so a bridge-table element an earlier batch adds and
 * src deletes cancels out of dst.  Returns 0 or -1 with errno ENOMEM
 * (dst may then hold part of src: free it).
 *
 * kbatch_refused: after a kbatch_commit that failed, the tag of the
 * change the kernel refused (its extended ack named the element, or a
 * range delete found nothing), or -1 when the answer concerned the
 * transaction as a whole or the bridge table.
 *
 * kbatch_size: the changes recorded in b (0: a commit sends nothing).
 */
int kbatch_append(struct kbatch *dst, const struct kbatch *src, unsigned tag);
long kbatch_refused(const struct kbatch *b);
size_t kbatch_size(const struct kbatch *b);

/*
 * kernel_dump_elems: append every element of the six link sets (pairs
 * included) to out.
 * Returns 0 or a negative errno (-ENOENT when the table or a set is
 * missing).
 */
int kernel_dump_elems(struct kernel *k, struct elemvec *out);

/*
 * kernel_dump_belems: every element of the bridge table's sets into out,
 * sorted and unique (out is emptied first).  Returns 0 or a negative
 * errno (-ENOENT when the table or a set is missing, -EPROTO for an
 * element iccd cannot have added).
 */
int kernel_dump_belems(struct kernel *k, struct belemvec *out);

/*
 * kernel_dump_closed: call fn for every bridge in the closed set.
 * Returns 0 or a negative errno.
 */
int kernel_dump_closed(struct kernel *k,
    void (*fn)(const char *bridge, void *), void *arg);

/*
 * kernel_set_owned: whether the table carries the owner and persist flags
 * (default: yes).  Owned, no other process can change or delete it (nft
 * flush ruleset passes it by; reads work as ever); when iccd exits the
 * table stays as an orphan, which the next iccd adopts.  Kernels without
 * persist (before 6.9) refuse both flags: the first kernel_sync then
 * makes the table without them (kernel_owned says so) and the monitor's
 * self-healing is all there is.  Takes effect at the next kernel_sync.
 */
void kernel_set_owned(struct kernel *k, bool own);

/*
 * kernel_owned: 1 when the table is made owned, 0 when asked not to,
 * -1 when the kernel refused the flags (no persist).
 */
int kernel_owned(const struct kernel *k);

/*
 * kernel_lookup_flow: the element of a link set that allows flow (an
 * element of one port: first == last), asked of the kernel with a GET of
 * the element, not a dump: the family's hash set first, then its interval
 * set, whose answer is the range holding the port, which counts only
 * when the pairs set holds the flow's receiver . source too (a second
 * GET: a range without its pair grants nothing).  Returns 1 with
 * *found the kernel's element, 0 when neither set holds one, or a
 * negative errno (a missing table or set reads as 0: no element).
 */
int kernel_lookup_flow(struct kernel *k, const struct icc_elem *flow,
    struct icc_elem *found);

/*
 * kernel_closed_has: 1 when the closed set holds bridge ("BR" . "BR"),
 * 0 when not, or a negative errno (-EINVAL, -ENAMETOOLONG for a bad name).
 */
int kernel_closed_has(struct kernel *k, const char *bridge);

/*
 * kernel_delete_table: delete iccd's table (for `iccd --cleanup` and
 * tests).  Returns 0, -ENOENT when absent, or another negative errno.
 */
int kernel_delete_table(struct kernel *k);

/*
 * The monitor: iccd's table repaired when anyone else changes it.
 *
 * kernel_monitor_open: subscribe k to nftables change events
 * (NFNLGRP_NFTABLES) of the caller's network namespace, on a socket of
 * its own.  rcvbuf: its receive buffer in bytes, 0 for the default
 * (4 MB; iccd's own batches are heard too, one event per element); tests
 * ask for a tiny one to provoke overruns.  Returns the socket's
 * descriptor, non-blocking, to poll for POLLIN (k keeps it; kernel_close
 * closes it), or -1 with errno set.  A second call returns the same one.
 */
int kernel_monitor_open(struct kernel *k, size_t rcvbuf);

/*
 * kernel_monitor_read: read every queued event without waiting (at most
 * a few thousand datagrams: poll again for the rest).  Events of k's own
 * batches (their netlink portid is k's), of other tables and of other
 * families are ignored.  Returns 1 when someone else changed the table
 * (cause gets the most telling event, who made it and how many more,
 * e.g. "table deleted by nft[1234] (+9 more events)", "set links4:
 * element deleted", "chain isolate: rule added"); 0 when not; -ENOBUFS
 * when the kernel dropped events for want of buffer (the buffer is
 * doubled, up to 64 MB; cause says so; the caller must resync anyway:
 * a change may have been among them); another negative errno on a
 * socket error (-EBADF when the monitor is not open).
 */
int kernel_monitor_read(struct kernel *k, char *cause, size_t len);

/*
 * The drop log.  The isolate chain logs the first packet of a blocked
 * connection (ct state new) to nfnetlink_log group KERNEL_LOG_GROUP,
 * rate-limited in the kernel (KERNEL_LOG_RATE a second, bursts of
 * KERNEL_LOG_BURST), just before its drop rule; see rules/icc.nft.
 */
#define KERNEL_LOG_GROUP	31
#define KERNEL_LOG_RATE		10
#define KERNEL_LOG_BURST	20

/*
 * kernel_set_log_group: the group the log rule sends to (0-65535), or -1
 * for no log rule.  Takes effect at the next kernel_sync (the rules are
 * rewritten by every sync); call it before the first.
 */
void kernel_set_log_group(struct kernel *k, int group);

/* One logged packet, decoded. */
struct kdrop {
	char		 bridge[IF_NAMESIZE];	/* its input device: the
						 * bridge; "" when gone */
	uint8_t		 family;		/* AF_INET or AF_INET6 */
	uint8_t		 proto;			/* IPPROTO_* */
	union icc_addr	 saddr, daddr;		/* network byte order */
	uint16_t	 sport, dport;		/* host order; 0 unless tcp,
						 * udp or sctp */
	struct timespec	 when;			/* the packet's CLOCK_REALTIME
						 * stamp; 0 when it had none */
};

/*
 * kernel_nflog_open: bind a socket of k's own to the log group (copying
 * the first 128 bytes of each packet).  Returns its descriptor, to poll
 * for POLLIN (k keeps it; kernel_close closes it), or -1 with errno
 * (EPERM or EBUSY: another process has the group in this network
 * namespace;
 * ENOENT: no log group set).  A second call returns the same one.
 */
int kernel_nflog_open(struct kernel *k);

/*
 * kernel_nflog_read: read at most max queued datagrams without waiting
 * and call fn for every packet in them (fn's kdrop lives for the call).
 * Returns 1 when the kernel dropped some for want of buffer, 0 when not,
 * or a negative errno (-EBADF when not open).
 */
int kernel_nflog_read(struct kernel *k, size_t max,
    void (*fn)(const struct kdrop *, void *), void *arg);

/*
 * kernel_bridge_nf: make sure bridged IPv4 and IPv6 traffic traverses the
 * inet hooks: load br_netfilter if needed (modprobe is not run: the
 * sysctl file must exist) and set net.bridge.bridge-nf-call-iptables and
 * -ip6tables to 1 in the caller's network namespace.  Returns 0, or a
 * negative errno with err naming the sysctl that could not be set.
 */
int kernel_bridge_nf(char *err, size_t errlen);

/*
 * kernel_bridge_nf_check: put back the br_netfilter sysctls iccd needs
 * (bridge-nf-call-iptables and -ip6tables) if someone changed them.
 * Returns the number of sysctls it had to set back (0: nothing drifted),
 * or a negative errno with err naming the sysctl (missing: br_netfilter
 * unloaded; not writable).
 */
int kernel_bridge_nf_check(char *err, size_t errlen);

#endif
