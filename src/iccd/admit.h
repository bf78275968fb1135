/*
 * admit.h: whether a request may go ahead, decided before iccd changes
 * anything: the checks that keep one member of iccd's group from taking
 * a name another container runs under, or from growing iccd's state
 * without bound.  Pure: they read the model only.  The limits are
 * documented in iccd(8), LIMITS.
 */
#ifndef ICCD_ADMIT_H
#define ICCD_ADMIT_H

#include <stddef.h>

#include "model.h"

#define ICC_MAX_PER_BRIDGE	4096	/* started containers on one bridge */
#define ICC_MAX_BRIDGES		1024	/* bridges iccd keeps a mode for */
#define ICC_MAX_REQ_ELEMS	65536	/* kernel elements one request adds */
#define ICC_MAX_HOSTS_PER_UID	64	/* hosts files one uid but root has
					 * iccd keep written (hostsfiles.c):
					 * each is rewritten on every change
					 * of a source it names */

/*
 * admit_start: may c (a parsed start request, not yet in m) be declared?
 * Refused:
 *  - a name that runs under another id: the running holder has an id
 *    and the request's differs, an empty one included ("db: runs as id
 *    X (stop it first)").  A stopped holder, or one without an id, is
 *    replaced by any start;
 *  - a container new to a bridge that already holds ICC_MAX_PER_BRIDGE
 *    started containers;
 *  - a bridge iccd does not know when it knows ICC_MAX_BRIDGES already.
 * Returns 0, or -1 with one line in err (len bytes) naming the field.
 */
int admit_start(const struct icc_model *m, const struct icc_container *c,
    char *err, size_t len);

/*
 * admit_bridge: may iccd record bridge `name`?  Known bridges always;
 * a new one only below ICC_MAX_BRIDGES.  Returns 0, or -1 with err.
 */
int admit_bridge(const struct icc_model *m, const char *name, char *err,
    size_t len);

/*
 * admit_elems: a request that adds `adds` kernel elements; refused over
 * ICC_MAX_REQ_ELEMS.  Removals are never limited: a stop must always
 * work.  Returns 0, or -1 with err.
 */
int admit_elems(size_t adds, char *err, size_t len);

#endif
