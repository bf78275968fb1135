/*
 * kernel_priv.h: what kernel.c shares with the other kernel_*.c files and
 * nobody else.  A transaction (struct txn, kernel.c) is one nfnetlink
 * batch being built; these let another file add messages to it.
 */
#ifndef ICCD_KERNEL_PRIV_H
#define ICCD_KERNEL_PRIV_H

#include <stdint.h>

#include <linux/netlink.h>

#include "bind.h"

struct kernel;
struct txn;

/*
 * txn_fmsg: start a message of nf_tables type `type` for family `family`
 * (NFPROTO_INET, NFPROTO_BRIDGE) in t; fmt names it in an error ("add set
 * ports").  Returns the header to put the payload after, then call
 * txn_done; NULL when out of memory (t then fails at commit).  The caller
 * must not have an element list of kernel.c's open (txn_elems_close).
 */
struct nlmsghdr *txn_fmsg(struct txn *t, uint16_t family, uint16_t type,
    uint16_t flags, const char *fmt, ...) __attribute__((format(printf, 5,
    6)));
/* txn_done: the message started last is complete. */
void txn_done(struct txn *t);
/* txn_nomem: make t fail at commit with ENOMEM. */
void txn_nomem(struct txn *t);
/* txn_kernel: the kernel handle t was started on. */
struct kernel *txn_kernel(const struct txn *t);

/* kernel_table: the tables' name (inet and bridge share it). */
const char *kernel_table(const struct kernel *k);
/* kernel_bwant: the bridge table's desired elements, owned by k. */
struct belemvec *kernel_bwant(struct kernel *k);

/*
 * kbridge_txn_rebuild: into t, the bridge table replaced whole: created
 * if missing, deleted and created with its sets, chains, rules and the
 * elements want[0..n-1] (kernel_sync: a few elements per bound container,
 * cheap to rebuild, and a rebuild cannot miss a change someone made).
 */
void kbridge_txn_rebuild(struct txn *t, const struct belemvec *want);

/*
 * kbridge_txn_elems: into t, add (del false) or delete the bridge table
 * elements in v.
 */
void kbridge_txn_elems(struct txn *t, const struct belemvec *v, bool del);

/* kbridge_txn_delete: into t, the bridge table deleted (added first, so
 * that the delete cannot fail for want of it). */
void kbridge_txn_delete(struct txn *t);

#endif
