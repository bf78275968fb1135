/*
 * client.c: see client.h.
 *
 * The socket stays blocking for connect(2), whose wait for a free slot in
 * iccd's backlog is bounded by SO_SNDTIMEO; send and receive use
 * MSG_DONTWAIT and wait in poll(2) for at most what is left of the
 * deadline, so that a peer stopping at any byte of a frame costs no more
 * than the timeout.
 */
#include "client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "request.h"
#include "util.h"

/* ---- time --------------------------------------------------------------- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* left_ms: what poll(2) may wait until deadline (-1: no deadline). */
static int
left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left <= 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

/* ---- errors ------------------------------------------------------------- */

static json_t *
fail(struct ctl_client *c, enum ctl_fail kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *
fail(struct ctl_client *c, enum ctl_fail kind, const char *fmt, ...)
{
	va_list ap;

	c->fail = kind;
	va_start(ap, fmt);
	verrf(c->err, sizeof(c->err), 0, fmt, ap);
	va_end(ap);
	/* Mid-exchange, the connection's state is unknown: drop it. */
	if (kind != CTL_FAIL_INVALID && kind != CTL_FAIL_REFUSED)
		ctl_close(c);
	return NULL;
}

static json_t *
fail_timeout(struct ctl_client *c, const char *step)
{
	if (c->timeout_ms % 1000 == 0)
		return fail(c, CTL_FAIL_TIMEOUT, "iccd at %s: %s: no answer "
		    "within %d s", c->path, step, c->timeout_ms / 1000);
	return fail(c, CTL_FAIL_TIMEOUT, "iccd at %s: %s: no answer within "
	    "%d ms", c->path, step, c->timeout_ms);
}

/* ---- connection ----------------------------------------------------------- */

void
ctl_init(struct ctl_client *c, const char *path, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	c->path_len = strlen(path);
	if (c->path_len <= CTL_PATH_MAX - 1)
		memcpy(c->path, path, c->path_len + 1);
}

void
ctl_close(struct ctl_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* ctl_connect: c->fd connected, or NULL and c->fail set; else c. */
static struct ctl_client *
ctl_connect(struct ctl_client *c, long long deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv;
	int left = left_ms(deadline), e;

	if (c->path[0] == '\0') {
		fail(c, CTL_FAIL_PATH, "socket: path too long (%zu bytes, at "
		    "most %d)", c->path_len, CTL_PATH_MAX - 1);
		return NULL;
	}
	memcpy(sun.sun_path, c->path, c->path_len + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fail(c, CTL_FAIL_CONNECT, "cannot reach iccd at %s: socket: %s",
		    c->path, strerror(errno));
		return NULL;
	}
	/* A full backlog makes connect(2) wait: SO_SNDTIMEO bounds it. */
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000 + (left == 0 ? 1 : 0);
	if (left >= 0 && setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1) {
		fail(c, CTL_FAIL_CONNECT, "cannot reach iccd at %s: "
		    "SO_SNDTIMEO: %s", c->path, strerror(errno));
		return NULL;
	}
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if ((e = errno) == EISCONN)
			break;		/* made while a signal interrupted us */
		if (e == EINTR && left_ms(deadline) != 0)
			continue;
		if (e == EAGAIN || e == EINPROGRESS || e == EINTR)
			fail_timeout(c, "connect");
		else
			fail(c, CTL_FAIL_CONNECT, "cannot reach iccd at %s: %s",
			    c->path, strerror(e));
		return NULL;
	}
	return c;
}

/* ---- one exchange --------------------------------------------------------- */

/*
 * wait_fd: poll fd for events until deadline.  Returns 1 ready, 0 timed
 * out, -1 with errno.
 */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	for (;;) {
		if ((n = poll(&pfd, 1, left_ms(deadline))) == -1 &&
		    errno == EINTR)
			continue;
		return n;
	}
}

/* send_frame: all len bytes of buf; NULL (c->fail set) or c. */
static struct ctl_client *
send_frame(struct ctl_client *c, const char *buf, size_t len,
    long long deadline)
{
	ssize_t n;
	int w;

	while (len > 0) {
		n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			fail(c, CTL_FAIL_IO, "iccd at %s: send: %s", c->path,
			    strerror(errno));
			return NULL;
		}
		if ((w = wait_fd(c->fd, POLLOUT, deadline)) == 0) {
			fail_timeout(c, "send");
			return NULL;
		}
		if (w == -1) {
			fail(c, CTL_FAIL_IO, "iccd at %s: send: poll: %s",
			    c->path, strerror(errno));
			return NULL;
		}
	}
	return c;
}

/*
 * recv_full: len bytes into buf.  Returns len, or the bytes read before
 * EOF, or -1 with c->fail set (timeout or error).
 */
static ssize_t
recv_full(struct ctl_client *c, void *buf, size_t len, long long deadline)
{
	size_t got = 0;
	ssize_t n;
	int w;

	while (got < len) {
		n = recv(c->fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			fail(c, CTL_FAIL_IO, "iccd at %s: reply: %s", c->path,
			    strerror(errno));
			return -1;
		}
		if ((w = wait_fd(c->fd, POLLIN, deadline)) == 0) {
			fail_timeout(c, "reply");
			return -1;
		}
		if (w == -1) {
			fail(c, CTL_FAIL_IO, "iccd at %s: reply: poll: %s",
			    c->path, strerror(errno));
			return -1;
		}
	}
	return (ssize_t)got;
}

/* read_reply: one reply frame's object, or NULL with c->fail set. */
static json_t *
read_reply(struct ctl_client *c, long long deadline)
{
	struct ctl_hdr h;
	json_t *rep;
	ssize_t n;
	long len;
	char *buf;

	if ((n = recv_full(c, &h, sizeof(h), deadline)) == -1)
		return NULL;
	if (n == 0)
		return fail(c, CTL_FAIL_IO, "iccd at %s: reply: connection "
		    "closed", c->path);
	if ((size_t)n < sizeof(h))
		return fail(c, CTL_FAIL_IO, "iccd at %s: reply: connection "
		    "closed inside a frame", c->path);
	if ((len = ctl_frame_check(&h, CTL_REPLY, ICC_REPLY_MAX)) == -1)
		return fail(c, CTL_FAIL_PROTO, "iccd at %s: reply: %s", c->path,
		    errno == EMSGSIZE ? "longer than the protocol allows" :
		    "not a reply frame of protocol version 1");
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL)
		return fail(c, CTL_FAIL_IO, "iccd at %s: reply: out of memory",
		    c->path);
	if ((n = recv_full(c, buf, (size_t)len, deadline)) != len) {
		free(buf);
		if (n == -1)
			return NULL;
		return fail(c, CTL_FAIL_IO, "iccd at %s: reply: connection "
		    "closed inside a frame", c->path);
	}
	rep = ctl_payload_parse(buf, (size_t)len);
	free(buf);
	if (rep == NULL)
		return fail(c, CTL_FAIL_PROTO, "iccd at %s: reply: not a JSON "
		    "object", c->path);
	return rep;
}

/* judge: rep when "ok" is true; else NULL (rep released, c->fail set). */
static json_t *
judge(struct ctl_client *c, json_t *rep)
{
	const json_t *ok = json_object_get(rep, "ok");
	const char *why;

	if (rep == NULL)
		return NULL;
	if (json_is_true(ok))
		return rep;
	if (!json_is_false(ok)) {
		json_decref(rep);
		return fail(c, CTL_FAIL_PROTO, "iccd at %s: reply: ok: missing "
		    "or not true or false", c->path);
	}
	why = json_string_value(json_object_get(rep, "error"));
	fail(c, CTL_FAIL_REFUSED, "%s", why != NULL && why[0] != '\0' ? why :
	    "refused without a reason");
	json_decref(rep);
	return NULL;
}

/* validate: req as iccd will judge it; NULL (c->fail set) or c. */
static struct ctl_client *
validate(struct ctl_client *c, const json_t *req)
{
	struct request r;

	if (request_parse(req, &r, c->err, sizeof(c->err)) == -1) {
		c->fail = CTL_FAIL_INVALID;
		return NULL;
	}
	request_clear(&r);
	return c;
}

json_t *
ctl_call(struct ctl_client *c, const json_t *req)
{
	long long deadline = c->timeout_ms > 0 ? now_ms() + c->timeout_ms : -1;
	struct ctl_client *ok;
	size_t len;
	char *buf;

	c->fail = CTL_OK;
	c->err[0] = '\0';
	if (validate(c, req) == NULL)
		return NULL;
	if ((buf = ctl_frame(CTL_REQUEST, req, ICC_REQ_MAX, &len)) == NULL)
		return fail(c, CTL_FAIL_INVALID, "request: %s", errno ==
		    EMSGSIZE ? "longer than the protocol allows" :
		    strerror(errno));
	ok = (c->fd != -1 || ctl_connect(c, deadline) != NULL) ?
	    send_frame(c, buf, len, deadline) : NULL;
	free(buf);
	if (ok == NULL)
		return NULL;
	return judge(c, read_reply(c, deadline));
}
