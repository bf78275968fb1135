/*
 * binding.h: the daemon's side of port bindings (bind.h): what the bridge
 * table holds (d->bound, elements with derivation counts), changed in the
 * same kernel batch as a request's inet elements, and shown by list and
 * status.
 */
#ifndef ICCD_BINDING_H
#define ICCD_BINDING_H

#include <jansson.h>

#include "bind.h"
#include "kernel.h"
#include "model.h"

struct iccd;

/* One request's change of the bridge table. */
struct bind_delta {
	struct belemvec	 before;	/* derivations of its containers */
	struct belemvec	 after;		/* ... after the change */
	struct belemvec	 adds, dels;	/* what the kernel must change */
	struct bindset	*next;		/* a whole new set (full mode) */
};

/*
 * binding_begin: before a change of the containers names[0..n-1], record
 * what they derive now (call again when a name joins).  Returns 0 or -1
 * (ENOMEM).
 */
int binding_begin(const struct iccd *d, const char *const *names, size_t n,
    struct bind_delta *bd);

/*
 * binding_plan: the model has changed (into m): compute what the bridge
 * table must change (bd->adds, bd->dels).  With names (those given to
 * binding_begin) only their derivations are compared; with names NULL
 * the whole of m is (a bridge's mode changed, a reload).  Returns 0 or -1
 * (ENOMEM, or EINVAL when bd->before and d->bound disagree).
 */
int binding_plan(struct iccd *d, const struct icc_model *m,
    const char *const *names, size_t n, struct bind_delta *bd);

/* binding_batch: record bd's deletes and adds in b.  0 or -1 (ENOMEM). */
int binding_batch(struct kbatch *b, const struct bind_delta *bd);

/* binding_undo: record in b what takes a committed bd back. */
int binding_undo(struct kbatch *b, const struct bind_delta *bd);

/*
 * binding_done: the batch was committed: d->bound follows.  Out of memory
 * sets d->need_sync (the resync rebuilds d->bound from the model).
 */
void binding_done(struct iccd *d, struct bind_delta *bd);

void bind_delta_free(struct bind_delta *bd);

/*
 * binding_rebuild: d->bound from d's model (start, resync, repair).
 * binding_to_kernel: hand d->bound to the next kernel_sync
 * (kernel_set_bindings).  Both return 0 or -1 (ENOMEM; d unchanged).
 */
int binding_rebuild(struct iccd *d);
int binding_to_kernel(struct iccd *d);

/* binding_count: distinct elements iccd holds in the bridge table. */
size_t binding_count(const struct iccd *d);

/*
 * binding_status: add the bridge table's part of `status` to rep:
 * "bridge_present", "bound_elements" (what iccd wants), "bridge_missing"
 * and "bridge_extra" (the kernel's table against it), "unbound" (running
 * containers on closed bridges without a port) and "sysctl_repairs".
 * Returns whether the kernel's bridge table is exactly d->bound.
 */
bool binding_status(struct iccd *d, json_t *rep);

/*
 * binding_check_port: c's port, when it names one, must be a port of
 * c's bridge in iccd's network namespace (its master, asked of
 * rtnetlink: iccd may see another namespace's /sys): a wrong port would
 * bind nothing and cut the container off (its own MAC and addresses then
 * enter by a port that is not theirs).  Returns 0, or -1 with a line in
 * err ("port: veth1 is not a port of br0").
 */
int binding_check_port(const struct icc_container *c, char *err,
    size_t len);

/*
 * binding_json: add c's "port", "mac" and "binding" ("bound", "unbound"
 * on a closed bridge without a port, "none" otherwise) to o.
 */
void binding_json(const struct icc_model *m, const struct icc_container *c,
    json_t *o);

#endif
