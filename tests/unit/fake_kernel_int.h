/*
 * fake_kernel_int.h: what the fake kernel's two files share
 * (fake_kernel.c: its state, the tests' controls and kernel.h but the
 * batches; fake_kbatch.c: struct kbatch and its commit).  Not for tests:
 * they use fake_kernel.h.
 */
#ifndef ICCD_FAKE_KERNEL_INT_H
#define ICCD_FAKE_KERNEL_INT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "fake_kernel.h"
#include "util.h"

/* The fake's whole state; fake_reset empties it. */
struct fake_state {
	bool			 present;
	struct elemvec		 elems;
	struct strvec		 closed;
	struct fake_commit	*commits;
	size_t			 ncommits;
	size_t			 syncs;
	size_t			 loads;	/* kernel_load calls that built */
	bool			 moved;	/* kernel_moved_since_sync's answer */
	unsigned		 refuse_in;	/* commits until the refusal */
	size_t			 refuse_op;
	int			 refuse_err;
	char			 foreign[128];	/* "": nothing to report */
	struct belemvec		 belems;	/* the bridge table */
	struct belemvec		 bwant;		/* kernel_set_bindings */
	struct icc_elem		 refuse_add;	/* fake_refuse_add's element */
	int			 refuse_add_err;	/* 0: none */
};
extern struct fake_state fk;

/* elem_index, closed_index: where e or bridge is in v or sv, or -1. */
ssize_t	elem_index(const struct elemvec *v, const struct icc_elem *e);
ssize_t	closed_index(const struct strvec *sv, const char *bridge);
/* elem_remove, closed_remove: entry i gone (the last one takes its
 * place). */
void	elem_remove(struct elemvec *v, size_t i);
void	closed_remove(struct strvec *sv, size_t i);
/* elems_copy, closed_copy, belems_copy: src's entries appended to dst
 * (belems_copy empties dst first).  Return 0, or -1 out of memory. */
int	elems_copy(struct elemvec *dst, const struct elemvec *src);
int	closed_copy(struct strvec *dst, const struct strvec *src);
int	belems_copy(struct belemvec *dst, const struct belemvec *src);

#endif
