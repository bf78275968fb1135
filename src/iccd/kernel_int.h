/*
 * kernel_int.h: what the kernel_*.c files share, private to them (the
 * rest of iccd sees kernel.h only).  The family, one concern each:
 *
 *   kernel_talk.c     the netlink socket; get and dump requests
 *   kernel_layout.c   set specs, element keys, the table's layout
 *   kernel_dump.c     element dumps (shared, and the callers')
 *   kernel_txn.c      one transaction: build, commit, generation id
 *   kernel_rules.c    the chains' rules (rules/icc.nft)
 *   kernel_batch.c    struct kbatch, the callers' batches
 *   kernel_sync.c     kernel_sync (dump, diff, rebuild, chunks)
 *   kernel_monitor.c  change events of other nftables users
 *   kernel_sysctl.c   br_netfilter's sysctls
 *   kernel_bridge.c   the bridge table (rules/icc-bridge.nft)
 *   kernel_brules.c   the bridge table's rules
 *   kernel_lookup.c   one element asked of the kernel (iccctl check)
 *   kernel_nflog.c    the drop log: nfnetlink_log packets of the log rule
 *
 * Errors are negative errno values unless said otherwise.
 */
#ifndef ICCD_KERNEL_INT_H
#define ICCD_KERNEL_INT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <netinet/in.h>	/* before the linux/ headers */

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>

#include "kernel.h"
#include "util.h"

struct nftnl_batch;
struct nftnl_rule;
struct nftnl_set_elem;

/* As nftables: 2 MB batch pages, room past the page for one message. */
/* MNL_SOCKET_BUFFER_SIZE's largest value, as a constant. */
#define NL_BUF_SIZE		8192
#define BATCH_PAGE_SIZE		(2 * 1024 * 1024)
/* Largest message: an element list (16-bit nest length) plus headers. */
#define NLMSG_MAXSIZE		(UINT16_MAX + 4096)
/* Bound on one element's attributes (v6 range: 2 keys of 40 bytes). */
#define ELEM_ATTR_MAX		128
/* Receive buffer per expected ack: an ack's skb truesize is under 1 KB. */
#define RCVBUF_PER_ACK		2048
/* No answer for that long means the kernel will not answer. */
#define RECV_TIMEOUT_SEC	30
#define KEY_MAX			40

#define FORWARD_CHAIN		"forward"
#define ISOLATE_CHAIN		"isolate"

/* kernel_sync, kbatch_commit, kernel_dump_elems: dumps + commits tried
 * before giving up with -EAGAIN. */
#define SYNC_TRIES		5

/* The sets: the six link sets keep elem.h's numbering. */
enum kset {
	KSET_LINKS4 = ICC_SET_LINKS4,
	KSET_RANGES4 = ICC_SET_RANGES4,
	KSET_LINKS6 = ICC_SET_LINKS6,
	KSET_RANGES6 = ICC_SET_RANGES6,
	KSET_PAIRS4 = ICC_SET_PAIRS4,
	KSET_PAIRS6 = ICC_SET_PAIRS6,
	KSET_CLOSED = ICC_SET_NR,
	KSET_NR
};

/* A set of the table as created (kernel_layout.c). */
struct setspec {
	const char	*name;
	uint32_t	 keytype;
	uint32_t	 keylen;
	uint32_t	 flags;
	uint8_t		 fields[4];	/* field lengths, interval sets */
	uint32_t	 id;		/* NFTA_SET_ID in a rebuild */
};

/* Indexed by enum kset. */
extern const struct setspec setspecs[KSET_NR];
/* Creation order, which is also the order `nft list` prints them in. */
extern const enum kset set_order[KSET_NR];

struct kernel {
	struct mnl_socket	*nl;
	uint32_t		 portid;
	uint32_t		 seq;
	char			 table[NFT_TABLE_MAXNAMELEN];
	char			*buf;		/* NLMSG_MAXSIZE, for answers */
	struct mnl_socket	*mon;		/* NFNLGRP_NFTABLES events */
	struct belemvec		 bwant;		/* the bridge table's elements
						 * (kernel_set_bindings) */
	struct mnl_socket	*nflog;		/* the drop log's group */
	int			 log_group;	/* -1: no log rule */
	bool			 own;		/* table flags owner + persist */
	bool			 own_refused;	/* the kernel has no persist */
	struct ksync_stats	 stats;		/* of the last kernel_sync */
	uint32_t		 sync_genid;	/* the ruleset generation its
						 * commits left, 0: none */
};

/* mono_ns: CLOCK_MONOTONIC in nanoseconds, for struct ksync_stats. */
long mono_ns(void);

/*
 * Table flags (nf_tables.h names them from 5.12 and 6.9 on; ours so that
 * older headers build).  Owner: only the netlink socket that set it may
 * change or delete the table.  Persist: when that socket closes the table
 * stays, without owner (an orphan), for the next iccd to adopt; without
 * persist it would be deleted, opening every closed bridge.  Never one
 * without the other.
 */
#define TABLE_F_OWNER		0x2
#define TABLE_F_PERSIST		0x4
#define TABLE_F_OWNED		(TABLE_F_OWNER | TABLE_F_PERSIST)

/* One set element as the kernel holds it: raw key bytes. */
struct kelem {
	uint8_t	set;			/* enum kset */
	uint8_t	key[KEY_MAX];
	uint8_t	end[KEY_MAX];		/* interval sets: the range's end */
};

struct kelemvec {
	struct kelem	*v;
	size_t		 n, cap;
};

/* ---- small helpers (every file) -------------------------------------- */

/* errfmt: errf (util.h) that leaves errno alone and returns nothing. */
static inline void __attribute__((format(printf, 3, 4)))
errfmt(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(err, errlen, 0, fmt, ap);
	va_end(ap);
}

/* ---- kernel_talk.c --------------------------------------------------- */

/* sock_grow: make socket buffer opt (SO_SNDBUF, SO_RCVBUF) at least want
 * bytes, past net.core.[rw]mem_max with force (SO_*BUFFORCE) if allowed. */
void sock_grow(int fd, int opt, int force, size_t want);
/* sock_enobufs: double k's receive buffer after acks were dropped. */
void sock_enobufs(struct kernel *k);
/* sock_drain: throw away what is queued on k's socket. */
void sock_drain(struct kernel *k);
/* sock_recv: one datagram into k->buf; -1 with errno (ETIMEDOUT when a
 * blocking wait ran out). */
ssize_t sock_recv(struct kernel *k, int flags);
/* req_hdr: a get/dump request of k's next sequence number into buf
 * (NL_BUF_SIZE bytes, zeroed by the caller), asking for an ack. */
struct nlmsghdr *req_hdr(struct kernel *k, char *buf, uint16_t type,
    uint16_t family, uint16_t flags);
/* nl_talk: send nlh, run cb on every answer up to the ack or the end of
 * the dump.  0 or a negative errno (-EINTR: a dump interrupted by a
 * ruleset change). */
int nl_talk(struct kernel *k, const struct nlmsghdr *nlh, mnl_cb_t cb,
    void *arg);

/* An attribute table for attrs_cb: tb[0..max], zeroed by the caller. */
struct attrs {
	const struct nlattr	**tb;
	uint16_t		  max;
};

/* attrs_cb: mnl_attr_parse callback filling a struct attrs (arg). */
int attrs_cb(const struct nlattr *a, void *arg);

/* ---- kernel_layout.c ------------------------------------------------- */

/* kelemvec_push: append; 0 or -1 with errno ENOMEM. */
int kelemvec_push(struct kelemvec *kv, const struct kelem *ke);
/* kelem_cmp: total order on struct kelem (memcmp; qsort signature). */
int kelem_cmp(const void *a, const void *b);
/* kelemvec_sort_uniq: sort kv and drop duplicates. */
void kelemvec_sort_uniq(struct kelemvec *kv);
bool set_is_interval(enum kset s);
/* set_addr_len: 4 for the IPv4 sets, 16 for the others. */
bool set_is_pairs(enum kset s);
size_t set_addr_len(enum kset s);
/* kelem_from_elem: the key of e in the set it belongs in. */
void kelem_from_elem(struct kelem *ke, const struct icc_elem *e);
/* kelem_from_bridge: bridge's closed-set element; -1 with errno EINVAL
 * (empty) or ENAMETOOLONG (IFNAMSIZ bytes or more). */
int kelem_from_bridge(struct kelem *ke, const char *bridge);
/* kelem_to_elem: decode a link set's element; -1 when iccd cannot have
 * added it (a range of addresses or protocols). */
int kelem_to_elem(const struct kelem *ke, struct icc_elem *e);
/* kelem_format: ke as nft prints it, or its raw key, into buf. */
void kelem_format(const struct kelem *ke, char *buf, size_t len);

/* What the table in the kernel looks like (layout_dump). */
struct layout {
	const char	*table;
	bool		 exists;
	bool		 flags_ok;	/* the flags k wants: none, or owner +
					 * persist with k's socket as owner */
	bool		 adopt;		/* an orphan (persist only) k adopts
					 * by setting owner + persist again */
	bool		 extra;		/* a set or chain iccd does not make */
	bool		 odd_elem;	/* an element iccd cannot have added */
	bool		 set_ok[KSET_NR];
	bool		 forward_ok;
	bool		 isolate_ok;
};

/* layout_ok: l is exactly rules/icc.nft's layout. */
bool layout_ok(const struct layout *l);
/* layout_dump: the table, its sets and chains into l (not the rules). */
int layout_dump(struct kernel *k, struct layout *l);
/* table_flags: the flags k's table is created with (none or owned). */
uint32_t table_flags(const struct kernel *k);

/* ---- kernel_dump.c --------------------------------------------------- */

/* An element dump: fn runs on every element of set (kernel_dump.c). */
struct elemdump {
	enum kset	  set;
	int		(*fn)(const struct kelem *, void *);
	void		 *arg;
	bool		  odd;		/* saw an element elem_parse refused */
};

/* elems_cb: nl_talk callback for NFT_MSG_GETSETELEM answers (a struct
 * elemdump); elements elem_parse refuses set odd. */
int elems_cb(const struct nlmsghdr *nlh, void *arg);
/* elems_dump: run fn on every element of set s; *odd (may be NULL) tells
 * of elements iccd cannot have added. */
int elems_dump(struct kernel *k, enum kset s,
    int (*fn)(const struct kelem *, void *), void *arg, bool *odd);
/* kelem_collect: an elems_dump fn appending to a struct kelemvec. */
int kelem_collect(const struct kelem *ke, void *arg);

/* ---- kernel_txn.c: one transaction ------------------------------------ */

/* A message of the batch, for naming it in an error. */
struct txmsg {
	uint32_t	seq;
	bool		elems;		/* an element list */
	char		what[80];
};

/* An element of the batch: its message and attribute offset in it. */
struct txelem {
	uint32_t		 seq;
	uint32_t		 off;
	const struct kelem	*ke;
};

/* A transaction being built (kernel_txn.c). */
struct ktxn {
	struct kernel		*k;
	struct nftnl_batch	*batch;
	struct nftnl_set_elem	*se;		/* reused for each element */
	uint32_t		 seq_begin, seq_end;
	struct txmsg		*msgs;
	size_t			 nmsgs, msgcap;
	struct txelem		*elems;
	size_t			 nelems, elemcap;
	/* The element list being filled, if any. */
	struct nlmsghdr		*enlh;
	struct nlattr		*enest;
	enum kset		 eset;
	bool			 edel;
	bool			 nomem;		/* sticky: commit fails */
	/* After a refused commit: the element the kernel named, or NULL. */
	const struct kelem	*refused;
};

/* genid_get: the ruleset generation: a commit carrying it fails with
 * ERESTART if the ruleset moved on. */
int genid_get(struct kernel *k, uint32_t *genid);
/* ktxn_init: an empty batch whose begin carries genid (0: no check);
 * 0 or -ENOMEM.  Free with ktxn_free whatever ktxn_commit returned. */
int ktxn_init(struct ktxn *t, struct kernel *k, uint32_t genid);
void ktxn_free(struct ktxn *t);
/* ktxn_next: close the message just built. */
void ktxn_next(struct ktxn *t);
/* ktxn_msg: start a message, named by fmt for errors; NULL when out of
 * memory (t->nomem is then set). */
struct nlmsghdr *ktxn_msg(struct ktxn *t, uint16_t type, uint16_t flags,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* ktxn_fmsg: the same for family `family` (NFPROTO_BRIDGE: the bridge
 * table's messages; their element lists are not named element by element
 * in errors). */
struct nlmsghdr *ktxn_fmsg(struct ktxn *t, uint16_t family, uint16_t type,
    uint16_t flags, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* ktxn_elems_close: end the element list being filled, if any (before
 * messages of another kind). */
void ktxn_elems_close(struct ktxn *t);
/* ktxn_table: a NEWTABLE or DELTABLE of k's table; verb names it. */
void ktxn_table(struct ktxn *t, uint16_t type, const char *verb);
/* ktxn_table_flags: a NEWTABLE carrying flags (create, or adopt). */
void ktxn_table_flags(struct ktxn *t, uint32_t flags, const char *verb);
/* ktxn_set: create set i as setspecs[i] says. */
void ktxn_set(struct ktxn *t, enum kset i);
/* ktxn_chain_flush: delete every rule of chain name. */
void ktxn_chain_flush(struct ktxn *t, const char *name);
/* ktxn_chain_add: a regular chain, or with base the forward hook's. */
void ktxn_chain_add(struct ktxn *t, const char *name, bool base);
/* ktxn_chain_new: chain name (copied) of t's table, in family
 * (NFPROTO_INET, NFPROTO_BRIDGE); NULL when out of memory (t->nomem is
 * then set).  The caller may ktxn_chain_hook it, then ktxn_chain_send. */
struct nftnl_chain *ktxn_chain_new(struct ktxn *t, uint16_t family,
    const char *name);
/* ktxn_chain_hook: make c a base chain: type filter, hook hooknum
 * (NF_INET_*, NF_BR_*), priority prio, policy accept. */
void ktxn_chain_hook(struct nftnl_chain *c, uint32_t hooknum, int32_t prio);
/* ktxn_chain_send: add c to the transaction (NEWCHAIN, NLM_F_CREATE of
 * family), named by fmt for errors; frees c. */
void ktxn_chain_send(struct ktxn *t, uint16_t family, struct nftnl_chain *c,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* ktxn_rule_new: an empty rule of chain (copied) in t's table, in family;
 * NULL when out of memory (t->nomem is then set).  The caller appends the
 * expressions (kernel_expr.h), then ktxn_rule_send. */
struct nftnl_rule *ktxn_rule_new(struct ktxn *t, uint16_t family,
    const char *chain);
/* ktxn_rule_send: add r at the end of its chain (NEWRULE, NLM_F_CREATE |
 * NLM_F_APPEND, as `nft add rule`), named by fmt for errors; frees r. */
void ktxn_rule_send(struct ktxn *t, uint16_t family, struct nftnl_rule *r,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* ktxn_elem: add or delete ke (which must live until the commit). */
void ktxn_elem(struct ktxn *t, bool del, const struct kelem *ke);
/* ktxn_commit: send the batch and read every answer; 0 or the first
 * negative errno, err (may be NULL) naming the refused message, and
 * t->refused its element when the kernel named one. */
int ktxn_commit(struct ktxn *t, char *err, size_t errlen);

/* ---- kernel_rules.c -------------------------------------------------- */

/* ktxn_rules: add every rule of both chains, in order, to t. */
void ktxn_rules(struct ktxn *t);

/* ---- kernel_brules.c: the bridge table's rules -------------------------- */

/* The bridge table's chains; the two base ones first. */
enum bchain { BC_PREROUTING, BC_FORWARD, BC_PORT, BC_PORT6, BC_NA, BC_NS,
	BC_ARPSHAPE, BC_NDSHAPE, BC_OUT, BC_GUARD, BC_NR };

/* Their names, indexed by enum bchain. */
extern const char *const bchain_names[BC_NR];

/* One rule: its chain and how to build its expressions (0, or -1 when
 * out of memory). */
struct brule {
	enum bchain	  chain;
	int		(*build)(struct nftnl_rule *);
};

/* Every rule of the table, in order (chain by chain), nbrules of them. */
extern const struct brule brules[];
extern const size_t nbrules;

/* ---- kernel_bridge.c: the bridge table --------------------------------- */

/*
 * kbridge_txn_rebuild: into t, the bridge table replaced whole: created
 * if missing, deleted and created with its sets, chains, rules and the
 * elements want (kernel_sync: a few elements per bound container, cheap
 * to rebuild, and a rebuild cannot miss a change someone made).
 */
void kbridge_txn_rebuild(struct ktxn *t, const struct belemvec *want);
/* kbridge_txn_elems: into t, add (del false) or delete the elements v. */
void kbridge_txn_elems(struct ktxn *t, const struct belemvec *v, bool del);
/* kbridge_txn_delete: into t, the bridge table deleted (added first, so
 * that the delete cannot fail for want of it). */
void kbridge_txn_delete(struct ktxn *t);

#endif
