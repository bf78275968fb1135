/*
 * proto.c: see proto.h.
 *
 * Where proto.h is silent:
 *  - EOF: ctl_read fails with ECONNRESET only when the peer closed between
 *    frames, the normal end of a connection.  EOF inside a header or a
 *    payload is a truncated frame: EPROTO, so a caller can tell a client
 *    that left from one that broke the protocol.
 *  - The header is checked in the order version, type, length: a frame
 *    from another protocol version is EPROTO whatever its length.
 *  - ctl_write refuses anything but a JSON object (EINVAL), as ctl_read
 *    would refuse it at the other end.
 *  - A NUL byte anywhere in a payload is EPROTO: JSON text cannot hold
 *    one, and a C string parser would stop at it and miss what follows, so
 *    it is refused here rather than left to the JSON library's care.
 */
#include "proto.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
ctl_socket_path(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	env = getenv(ICC_SOCKET_ENV);
	if (env != NULL && *env != '\0')
		return env;
	return ICC_SOCKET;
}

/*
 * write_some: send(2) with MSG_NOSIGNAL, so a client that hung up costs
 * EPIPE rather than a SIGPIPE to the daemon; write(2) on fds that are not
 * sockets (pipes in tests).
 */
static ssize_t
write_some(int fd, const void *buf, size_t n)
{
	ssize_t r;

	r = send(fd, buf, n, MSG_NOSIGNAL);
	if (r == -1 && errno == ENOTSOCK)
		r = write(fd, buf, n);
	return r;
}

static int
write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t r;

	while (n > 0) {
		if ((r = write_some(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* read_full: read n bytes.  Returns n, fewer at EOF, or -1. */
static ssize_t
read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, p + got, n - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

char *
ctl_frame(uint16_t type, const json_t *obj, size_t max, size_t *len)
{
	struct ctl_hdr h;
	char *text, *buf;
	size_t n;

	if (!json_is_object(obj)) {
		errno = EINVAL;
		return NULL;
	}
	if ((text = json_dumps(obj, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if ((n = strlen(text)) > max || n > UINT32_MAX) {
		free(text);
		errno = EMSGSIZE;
		return NULL;
	}
	if ((buf = malloc(sizeof(h) + n)) == NULL) {
		free(text);
		errno = ENOMEM;
		return NULL;
	}
	h.len = htonl((uint32_t)n);
	h.version = htons(CTL_VERSION);
	h.type = htons(type);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), text, n);
	free(text);
	*len = sizeof(h) + n;
	return buf;
}

int
ctl_write(int fd, uint16_t type, const json_t *obj)
{
	char *buf;
	size_t len;
	int rv, saved;

	if ((buf = ctl_frame(type, obj, ICC_REPLY_MAX, &len)) == NULL)
		return -1;
	rv = write_full(fd, buf, len);
	saved = errno;
	free(buf);
	errno = saved;
	return rv;
}

long
ctl_frame_check(const struct ctl_hdr *h, uint16_t type, size_t max)
{
	size_t lim = max < LONG_MAX ? max : LONG_MAX;

	if (ntohs(h->version) != CTL_VERSION || ntohs(h->type) != type) {
		errno = EPROTO;
		return -1;
	}
	if (ntohl(h->len) > lim) {
		errno = EMSGSIZE;
		return -1;
	}
	return (long)ntohl(h->len);
}

json_t *
ctl_payload_parse(const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *obj;

	if (memchr(buf, '\0', len) != NULL) {
		errno = EPROTO;
		return NULL;
	}
	obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	if (obj == NULL)
		errno = EPROTO;
	return obj;
}

static json_t *
read_payload(int fd, size_t len)
{
	json_t *obj = NULL;
	char *buf;
	ssize_t r;
	int err = EPROTO;

	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return NULL;
	if ((r = read_full(fd, buf, len)) == -1)
		err = errno;
	else if ((size_t)r == len)
		obj = ctl_payload_parse(buf, len);
	free(buf);
	if (obj == NULL)
		errno = err;
	return obj;
}

json_t *
ctl_read(int fd, uint16_t type, size_t max)
{
	struct ctl_hdr h;
	ssize_t r;
	long len;

	if ((r = read_full(fd, &h, sizeof(h))) == -1)
		return NULL;
	if (r == 0) {
		errno = ECONNRESET;
		return NULL;
	}
	if ((size_t)r < sizeof(h)) {
		errno = EPROTO;
		return NULL;
	}
	if ((len = ctl_frame_check(&h, type, max)) == -1)
		return NULL;
	return read_payload(fd, (size_t)len);
}
