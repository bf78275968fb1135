/*
 * docker_sync.h: keep iccd's view of Docker's containers equal to
 * Docker's: reconcile everything at once, or one container after an event.
 *
 * Which iccd containers are Docker's: those whose id is a Docker id
 * (64 hex digits) that the engine knows, or that sit on one of the
 * engine's bridges.  Others (iccctl, rules files, Podman, CNI) are never
 * touched.
 */
#ifndef ICCD_DOCKER_SYNC_H
#define ICCD_DOCKER_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "docker_api.h"

struct dk_ctx {
	struct dk_api	 api;
	const char	*iccd;		/* iccd's control socket path */
};

/*
 * dk_reconcile: make iccd hold exactly the engine's running containers:
 * `rm` those it holds whose Docker container is gone, `stop` those whose
 * container does not run, `rm` those under a container's old name, then
 * `start` every running container on a bridge network.  A container that
 * cannot be declared is logged and stopped in iccd, and the rest goes on.
 * Returns 0, or -1 with one line in err when the engine or iccd cannot be
 * reached (the caller retries).
 */
int dk_reconcile(struct dk_ctx *x, char *err, size_t errlen);

/*
 * dk_sync: the same for the one container with Docker id `id` (after an
 * event about it): start it, stop it or rm it in iccd.  Returns as above.
 */
int dk_sync(struct dk_ctx *x, const char *id, char *err, size_t errlen);

/*
 * dk_event: one object of the engine's event stream: container start,
 * die, destroy and rename, network connect and disconnect lead to a
 * dk_sync of the container; anything else is ignored.  The form
 * dk_events (docker_api.h) calls; arg is the dk_ctx.
 */
int dk_event(json_t *ev, void *arg, char *err, size_t errlen);

/* dk_event_filters: the filters for GET /events (a new object). */
json_t *dk_event_filters(void);

#endif
