/*
 * fake_kernel.h: a kernel.h for unit tests (fake_kernel.c).  It keeps the
 * table in memory, records every batch committed, and refuses or changes
 * things on demand, so that the daemon's change path (src/iccd/change.c)
 * runs without netlink or root.  Its state is global to the process:
 * fake_reset clears it (every test's setup calls it).
 */
#ifndef ICCD_FAKE_KERNEL_H
#define ICCD_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "bind.h"
#include "engine.h"
#include "kernel.h"

/* One kbatch_commit that had something to send, refused or not. */
struct fake_commit {
	struct elemvec	 adds, dels;		/* elements, in batch order */
	char		**closed_adds, **closed_dels;	/* bridge names */
	size_t		 nclosed_adds, nclosed_dels;
	struct belemvec	 badds, bdels;		/* the bridge table's */
	int		 rv;			/* 0 or the negative errno */
};

/* fake_reset: empty table (absent), no commits, nothing to refuse. */
void fake_reset(void);

/* fake_commits: the commits recorded since fake_reset; *n gets their
 * number.  Valid until the next commit or fake_reset. */
const struct fake_commit *fake_commits(size_t *n);

/* fake_syncs: kernel_sync calls since fake_reset. */
size_t fake_syncs(void);

/* fake_loads: kernel_load calls that built the table since fake_reset. */
size_t fake_loads(void);

/* fake_set_moved: what kernel_moved_since_sync answers (1 or 0) until
 * the next fake_reset (someone else changed the ruleset). */
void fake_set_moved(bool moved);

/*
 * fake_refuse: the nth kbatch_commit from now (1: the next) is refused
 * at its op-th message (0-based, in the order the batch recorded them;
 * past the end: the last) with -err; the error line names that message
 * as the kernel does ("add element links4 ...: <strerror>").  The table
 * is left unchanged.
 */
void fake_refuse(unsigned nth, size_t op, int err);

/*
 * fake_refuse_add: from now on (until fake_reset) every commit that adds
 * e is refused at that add with -err, as a kernel refuses one element
 * (a conflicting interval, say): the line names it as fake_refuse's.
 */
void fake_refuse_add(const struct icc_elem *e, int err);

/* The kernel's table: its elements (sorted copy into out), whether a
 * bridge is in the closed set, and whether the table exists. */
void fake_table_elems(struct elemvec *out);
bool fake_table_closed(const char *bridge);
size_t fake_table_nclosed(void);
bool fake_table_present(void);
/* The bridge table's elements (sorted copy into out). */
void fake_table_belems(struct belemvec *out);

/* Foreign changes (someone else's nft): they change the table and make
 * kernel_monitor_read report them once, with this cause. */
void fake_foreign_del_elem(const struct icc_elem *e);
void fake_foreign_add_elem(const struct icc_elem *e);
void fake_foreign_del_closed(const char *bridge);
/* Someone empties every set of the bridge table. */
void fake_foreign_clear_belems(void);


#endif
