/*
 * control.h: iccd's control socket (after OpenBSD bgpd's control.c).
 * A SOCK_STREAM unix socket, mode 0660, owner root and group `group`.
 * Clients are non-blocking with their own buffers, so a slow or stuck
 * client never blocks the others; a client that sends a bad frame gets an
 * error reply and is dropped; one idle mid-frame or not reading its reply
 * for CONTROL_TIMEOUT seconds is dropped.  Peer credentials (SO_PEERCRED,
 * SO_PEERGROUPS) decide who may change state: root, or members of `group`.
 */
#ifndef ICCD_CONTROL_H
#define ICCD_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "peercred.h"

#define CONTROL_MAX_CLIENTS	256
#define CONTROL_TIMEOUT		30	/* seconds inside a frame or reply */
#define CONTROL_IDLE_TIMEOUT	300	/* seconds idle between requests */
#define CONTROL_RESERVED	32	/* slots only root and the group get */

/*
 * handler: answer one request; returns a new reply object.  who: the
 * peer's credentials, valid for the call only.
 */
typedef json_t *(*control_handler)(const json_t *req, bool may_write,
    const struct peer_cred *who, void *arg);

struct control;

/*
 * control_open: create the socket at path (its directory is created 0755
 * when missing; a stale socket nobody answers on is replaced; a live one
 * is an error: EADDRINUSE).  group (gid_t)-1 means root's group only.
 * Returns NULL with errno set.
 */
struct control *control_open(const char *path, gid_t group,
    control_handler fn, void *arg);

/* control_close: close every client and the socket, unlink its path. */
void control_close(struct control *c);

/*
 * control_pollfds: fill pfd (room for 1 + CONTROL_MAX_CLIENTS entries)
 * with the listening socket and every client.  Returns the count.
 */
size_t control_pollfds(struct control *c, struct pollfd *pfd);

/*
 * control_dispatch: act on the poll results for the entries filled by the
 * last control_pollfds: accept, read, answer complete requests, write,
 * and drop timed-out clients.
 */
void control_dispatch(struct control *c, const struct pollfd *pfd, size_t n);

/* control_clients: number of connected clients. */
size_t control_clients(const struct control *c);

#endif
