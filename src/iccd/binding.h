/*
 * binding.h: the daemon's side of port bindings (bind.h): what the bridge
 * table holds, staged into the same kernel batch as a request's inet
 * elements, and shown by list and status.
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
	struct belemvec	want;		/* every element after it */
	struct belemvec	adds, dels;	/* against d->bound */
};

/*
 * binding_stage: compute the bridge elements model m binds (bind_all),
 * compare them with d->bound (what the kernel holds) and record the
 * difference in b.  bd (zeroed by the caller) keeps it for binding_done
 * or binding_undo.  Returns 0 or -1 with errno ENOMEM.
 */
int binding_stage(struct iccd *d, const struct icc_model *m,
    struct kbatch *b, struct bind_delta *bd);

/* binding_undo: record in b what takes a committed bd back. */
int binding_undo(struct kbatch *b, const struct bind_delta *bd);

/* binding_done: b was committed: d->bound becomes bd->want (moved). */
void binding_done(struct iccd *d, struct bind_delta *bd);

void bind_delta_free(struct bind_delta *bd);

/*
 * binding_sync_prepare: hand kernel_sync the bridge elements of d's model
 * (kernel_set_bindings); *all gets them, to become d->bound with
 * binding_synced once the sync succeeded.  Returns 0 or -1 (ENOMEM).
 */
int binding_sync_prepare(struct iccd *d, struct belemvec *all);
void binding_synced(struct iccd *d, struct belemvec *all);

/*
 * binding_check_port: c's port, when it names one, must be a port of
 * c's bridge in iccd's network namespace (its master in sysfs): a wrong
 * port would bind nothing and cut the container off (its own MAC and
 * addresses then enter by a port that is not theirs).  Skipped without
 * sysfs.  Returns 0, or -1 with a line in err ("port: veth1 is not a
 * port of br0").
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
