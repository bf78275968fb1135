/*
 * control.h: iccd's control socket (after OpenBSD bgpd's control.c).
 * A SOCK_STREAM unix socket, mode 0660, owner root and group `group`.
 * Clients are non-blocking with their own buffers, so a slow or stuck
 * client never blocks the others; a client that sends a bad frame gets an
 * error reply and is dropped; one that began a frame and has not sent all
 * of it within CONTROL_FRAME_TIMEOUT seconds, or does not read its reply
 * for CONTROL_TIMEOUT seconds, is dropped.  Peer credentials (SO_PEERCRED,
 * SO_PEERGROUPS) decide who may change state: root, or members of `group`.
 *
 * Limits (iccd(8), LIMITS), so that no peer but root can starve others:
 * every uid but root holds at most CONTROL_UID_CLIENTS connections and
 * CONTROL_UID_BYTES bytes of buffered requests and replies, and all of
 * them together CONTROL_BYTES; the last CONTROL_ROOT_RESERVED slots are
 * root's alone, and read-only peers never take the last CONTROL_RESERVED.
 * A peer over a limit gets one error reply naming it and is dropped.
 */
#ifndef ICCD_CONTROL_H
#define ICCD_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "peercred.h"

#define CONTROL_MAX_CLIENTS	256
#define CONTROL_FRAME_TIMEOUT	5	/* seconds from a frame's first byte
					 * to its last */
#define CONTROL_TIMEOUT		30	/* seconds to read a reply */
#define CONTROL_IDLE_TIMEOUT	300	/* seconds idle between requests */
#define CONTROL_RESERVED	32	/* slots only root and the group get */
#define CONTROL_ROOT_RESERVED	8	/* slots only root gets */
#define CONTROL_UID_CLIENTS	16	/* connections of one uid but root */
#define CONTROL_ACCEPT_ROUND	16	/* connections accepted per poll round:
					 * one-shot clients (hooks, plugins,
					 * iccctl) that connect together send
					 * in one round, one transaction */
#define CONTROL_UID_BYTES	(4u << 20)	/* buffered, one uid but root */
#define CONTROL_BYTES		(32u << 20)	/* buffered, all but root */

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

/*
 * control_on_round: fn(arg) runs once per control_dispatch, after every
 * request that came whole in that round was handled and before any of
 * their replies is serialised: iccd makes the round's state changes
 * durable there with one write (group commit), and may still turn a
 * reply (a JSON object the handler returned, which fn may change in
 * place) into an error.  NULL (the default): no such step.
 */
void control_on_round(struct control *c, void (*fn)(void *), void *arg);

/*
 * control_peer_fn: read a new client's credentials from its socket fd.
 * Returns 0, or -1 when it has none (the client is refused).
 */
typedef int (*control_peer_fn)(int fd, uid_t *uid, gid_t *gid, pid_t *pid,
    void *arg);

/*
 * control_set_peer: read credentials with fn (and arg) from now on
 * instead of SO_PEERCRED: tests give their clients other uids.  The
 * supplementary groups still come from the socket (SO_PEERGROUPS).
 */
void control_set_peer(struct control *c, control_peer_fn fn, void *arg);

/* control_close: close every client and the socket, unlink its path. */
void control_close(struct control *c);

/*
 * control_pollfds: fill pfd (room for 1 + CONTROL_MAX_CLIENTS entries)
 * with the listening socket and every client.  Returns the count.
 */
size_t control_pollfds(struct control *c, struct pollfd *pfd);

/*
 * control_dispatch: act on the poll results for the entries filled by the
 * last control_pollfds: accept, read, answer complete requests (all of
 * the round's, then the round function, then their replies), write, and
 * drop timed-out clients.
 */
void control_dispatch(struct control *c, const struct pollfd *pfd, size_t n);

/* control_clients: number of connected clients. */
size_t control_clients(const struct control *c);

#endif
