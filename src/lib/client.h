/*
 * client.h: the one client call of the control protocol (proto.h), used
 * by iccctl, the OCI hook, the CNI plugin and the benchmark: connect to
 * iccd's socket, send one request, read one reply frame within a
 * deadline, check "ok".  Test tools that send malformed bytes on purpose
 * (icc-rawctl) speak the protocol themselves.
 *
 *	struct ctl_client c;
 *
 *	ctl_init(&c, ctl_socket_path(opt), 30000);
 *	if ((rep = ctl_call(&c, req)) == NULL)
 *		... c.fail says what kind of failure, c.err has its line ...
 *	ctl_close(&c);
 *
 * One struct per connection; not shared between threads.  The connection
 * is made by the first call and kept for the next ones (iccd answers
 * several requests on one connection); a call that fails in the middle of
 * an exchange closes it, and the next call connects again.
 *
 * Timeout: each call (connect when needed, send, the whole reply frame)
 * must finish within timeout_ms of its start, measured with poll(2) on
 * CLOCK_MONOTONIC: an iccd that never answers, answers half a frame and
 * stops, or has no free connection slot, fails the call with
 * CTL_FAIL_TIMEOUT.  timeout_ms 0 waits forever.
 */
#ifndef ICCD_CLIENT_H
#define ICCD_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#define CTL_ERR_MAX	1024	/* an error line, with its NUL */
#define CTL_PATH_MAX	108	/* sizeof(sockaddr_un.sun_path) */

/* Why a call failed: callers that map failures to codes (CNI) use this. */
enum ctl_fail {
	CTL_OK = 0,
	CTL_FAIL_PATH,		/* the socket path does not fit sun_path */
	CTL_FAIL_CONNECT,	/* no socket, connection refused, no right */
	CTL_FAIL_TIMEOUT,	/* connect, send or reply not done in time */
	CTL_FAIL_IO,		/* send or receive failed; iccd hung up */
	CTL_FAIL_PROTO,		/* not a reply frame, not a JSON object, or
				 * no boolean "ok" */
	CTL_FAIL_INVALID,	/* the request fails iccd's own validator
				 * (request_parse) or is too long: not sent */
	CTL_FAIL_REFUSED	/* iccd answered "ok": false */
};

struct ctl_client {
	int		 fd;			/* -1: not connected */
	int		 timeout_ms;		/* per call; 0: none */
	char		 path[CTL_PATH_MAX + 1];/* "" and fail PATH: too long */
	size_t		 path_len;		/* strlen of the path given */
	enum ctl_fail	 fail;			/* of the last call */
	char		 err[CTL_ERR_MAX];	/* its one line, see ctl_call */
};

/*
 * ctl_init: set c up for the socket at path (copied; ctl_socket_path in
 * proto.h picks it) with timeout_ms per call (0: none; negative counts as
 * 0).  Connects nothing.  Cannot fail: a path too long for a unix socket
 * fails the first call with CTL_FAIL_PATH.
 */
void ctl_init(struct ctl_client *c, const char *path, int timeout_ms);

/*
 * ctl_call: check req with request_parse (as iccd will), send it and
 * read the reply.  Returns the reply when its "ok" is true (a new
 * reference: the caller json_decref's it); req stays the caller's.  Else
 * NULL with c->fail and one line in c->err:
 *   PATH      "socket: path too long (N bytes, at most 107)"
 *   CONNECT   "cannot reach iccd at PATH: <strerror>"
 *   TIMEOUT   "iccd at PATH: connect|send|reply: no answer within N s"
 *             (or "N ms")
 *   IO        "iccd at PATH: send|reply: <strerror or what happened>"
 *   PROTO     "iccd at PATH: reply: <what is wrong>"
 *   INVALID   the validator's line as is ("ip: not an IPv4 address")
 *   REFUSED   iccd's own error line as is ("name: no such container"),
 *             or "refused without a reason"
 * so that each caller can put its own prefix before it.  After TIMEOUT,
 * IO or PROTO the connection is closed.
 */
json_t *ctl_call(struct ctl_client *c, const json_t *req);

/* ctl_close: close c's connection, if any; c may be called again. */
void ctl_close(struct ctl_client *c);

#endif
