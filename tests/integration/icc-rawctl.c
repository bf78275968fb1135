/*
 * icc-rawctl: send arbitrary bytes to iccd's control socket and report
 * exactly what comes back, for the tests of bad input (t17-control) and
 * of stalled clients (t16-concurrency).  iccctl validates everything it
 * sends; this tool deliberately does not.
 *
 *   icc-rawctl [--wait MS] [--replies N] [--shut] SOCKET CHUNK...
 *
 * The chunks are sent in order on one connection:
 *
 *   hdr:LEN:VERSION:TYPE   an 8-byte frame header (numbers: decimal or 0x..)
 *   frame:TEXT             a well-formed request header for TEXT, then TEXT
 *   framefile:PATH         a well-formed request header, then PATH's bytes
 *   framehex:HEX           a well-formed request header, then HEX's bytes
 *   text:TEXT              TEXT as it is
 *   hex:HEX                bytes given as hex digits
 *   file:PATH              PATH's bytes
 *   pause:MS               wait MS milliseconds before the next chunk
 *
 * --shut half-closes the connection after the last chunk (the peer reads
 * EOF).  Then reply frames are read until the peer closes, N replies came
 * (--replies), or nothing happens for --wait MS (default 3000).  One line
 * on stdout per event:
 *
 *   reply LEN PAYLOAD      a reply frame (version 1, type reply)
 *   badreply VERSION TYPE LEN  a frame that is not a reply
 *   eof MS                 the peer closed, MS after the last chunk went out
 *   cut MS                 the peer closed inside a reply frame
 *   open MS                the connection is still open after --wait
 *
 * A send that fails because the peer already closed (it may have answered
 * first) is reported on stderr and reading goes on.
 *
 * Exit: 0 the peer closed or N replies came; 1 still open after --wait;
 * 2 usage or local error (cannot connect: the line says why); 3 a frame
 * that is not a reply, or one cut short.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define EXIT_DONE	0
#define EXIT_OPEN	1
#define EXIT_PROTO	3

#define WIRE_VERSION	1	/* proto.h CTL_VERSION */
#define WIRE_REQUEST	1	/* proto.h CTL_REQUEST */
#define WIRE_REPLY	2	/* proto.h CTL_REPLY */
#define REPLY_MAX	(256u << 20)	/* proto.h ICC_REPLY_MAX */

/* proto.h's struct ctl_hdr, restated: the tool must not share the
 * daemon's definition, or a bug there would cancel out here. */
struct wire_hdr {
	uint32_t len;
	uint16_t version;
	uint16_t type;
} __attribute__((packed));

struct buf {
	unsigned char	*p;
	size_t		 len, cap;
};

const char tool_prog[] = "icc-rawctl";

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s [--wait MS] [--replies N] [--shut] SOCKET "
	    "CHUNK...\n  CHUNK: hdr:LEN:VERSION:TYPE frame:TEXT "
	    "framefile:PATH framehex:HEX\n         text:TEXT hex:HEX "
	    "file:PATH pause:MS\n", tool_prog);
	exit(EXIT_USAGE);
}

/* parse_ulong: decimal or 0x-prefixed hex up to max, or a usage error. */
static unsigned long
parse_ulong(const char *s, unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
		die_usage("%s: not a number in 0-%lu: '%s'", what, max, s);
	return v;
}

static void
buf_add(struct buf *b, const void *p, size_t len)
{
	unsigned char *np;
	size_t cap;

	if (b->len + len <= b->cap) {
		memcpy(b->p + b->len, p, len);
		b->len += len;
		return;
	}
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + len)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL)
		die_usage("out of memory");
	b->p = np;
	b->cap = cap;
	buf_add(b, p, len);
}

static void
hdr_add(struct buf *b, uint32_t len, uint16_t version, uint16_t type)
{
	struct wire_hdr h;

	h.len = htonl(len);
	h.version = htons(version);
	h.type = htons(type);
	buf_add(b, &h, sizeof(h));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* hex_add: hex digit pairs, blanks between pairs allowed. */
static void
hex_add(struct buf *b, const char *s)
{
	unsigned char byte;
	int hi, lo;

	while (*s != '\0') {
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			s++;
			continue;
		}
		if ((hi = hexval(s[0])) < 0 || s[1] == '\0' ||
		    (lo = hexval(s[1])) < 0)
			die_usage("hex: not pairs of hex digits near '%.8s'", s);
		byte = (unsigned char)(hi << 4 | lo);
		buf_add(b, &byte, 1);
		s += 2;
	}
}

static void
file_add(struct buf *b, const char *path)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die_usage("file: %s: %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die_usage("file: %s: %s", path, strerror(errno));
		}
		buf_add(b, chunk, (size_t)n);
	}
	close(fd);
}

/* frame_add: a well-formed request header for payload p, then p. */
static void
frame_add(struct buf *b, const struct buf *p)
{
	if (p->len > UINT32_MAX)
		die_usage("payload too long for a frame");
	hdr_add(b, (uint32_t)p->len, WIRE_VERSION, WIRE_REQUEST);
	if (p->len > 0)
		buf_add(b, p->p, p->len);
}

static void
hdr_chunk(struct buf *b, const char *spec)
{
	char copy[128], *len, *ver, *type;

	if (strlen(spec) >= sizeof(copy))
		die_usage("hdr: too long: '%s'", spec);
	snprintf(copy, sizeof(copy), "%s", spec);
	len = strtok(copy, ":");
	ver = strtok(NULL, ":");
	type = strtok(NULL, ":");
	if (len == NULL || ver == NULL || type == NULL ||
	    strtok(NULL, ":") != NULL)
		die_usage("hdr: expected hdr:LEN:VERSION:TYPE, got 'hdr:%s'", spec);
	hdr_add(b, (uint32_t)parse_ulong(len, UINT32_MAX, "hdr length"),
	    (uint16_t)parse_ulong(ver, UINT16_MAX, "hdr version"),
	    (uint16_t)parse_ulong(type, UINT16_MAX, "hdr type"));
}

/* chunk_bytes: the bytes of one chunk (not pause) into b. */
static void
chunk_bytes(struct buf *b, const char *arg)
{
	struct buf payload = { 0 };
	const char *colon = strchr(arg, ':'), *val;
	size_t klen;

	if (colon == NULL)
		die_usage("chunk without a kind: '%s'", arg);
	klen = (size_t)(colon - arg);
	val = colon + 1;
#define KIND(k)	(klen == strlen(k) && strncmp(arg, k, klen) == 0)
	if (KIND("hdr"))
		hdr_chunk(b, val);
	else if (KIND("text"))
		buf_add(b, val, strlen(val));
	else if (KIND("hex"))
		hex_add(b, val);
	else if (KIND("file"))
		file_add(b, val);
	else if (KIND("frame") || KIND("framefile") || KIND("framehex")) {
		if (KIND("frame"))
			buf_add(&payload, val, strlen(val));
		else if (KIND("framefile"))
			file_add(&payload, val);
		else
			hex_add(&payload, val);
		frame_add(b, &payload);
		free(payload.p);
	} else
		die_usage("unknown chunk kind in '%s'", arg);
#undef KIND
}

static int
connect_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		die_usage("socket path too long: %s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die_usage("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		printf("connect %s\n", strerror(errno));
		die_usage("connect %s: %s", path, strerror(errno));
	}
	return fd;
}

/* send_all: false when the peer is gone (it may have answered first). */
static bool
send_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: send stopped, %zu bytes unsent: "
			    "%s\n", tool_prog, len, strerror(errno));
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * read_some: up to len bytes by the deadline.  Returns the count (0: EOF),
 * or -1 when the deadline passed first.
 */
static ssize_t
read_some(int fd, void *p, size_t len, long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long left;
	ssize_t n;
	int rc;

	for (;;) {
		if ((left = deadline - now_ms()) < 0)
			left = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			die_usage("poll: %s", strerror(errno));
		if (rc == 0)
			return -1;
		n = read(fd, p, len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			/* A reset connection is a close for our purposes. */
			if (errno == ECONNRESET)
				return 0;
			die_usage("read: %s", strerror(errno));
		}
		return n;
	}
}

/* read_full: 1 all len bytes, 0 EOF before any, -2 EOF midway, -1 timeout. */
static int
read_full(int fd, void *p, size_t len, long deadline)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read_some(fd, (char *)p + got, len - got, deadline);
		if (n == -1)
			return -1;
		if (n == 0)
			return got == 0 ? 0 : -2;
		got += (size_t)n;
	}
	return 1;
}

/* read_replies: the loop described at the top; returns the exit code. */
static int
read_replies(int fd, long wait_ms, long max_replies, long t0)
{
	struct wire_hdr h;
	unsigned char *payload;
	long replies = 0;
	uint32_t len;
	int rc;

	for (;;) {
		rc = read_full(fd, &h, sizeof(h), now_ms() + wait_ms);
		if (rc == -1) {
			printf("open %ld\n", now_ms() - t0);
			return EXIT_OPEN;
		}
		if (rc == 0) {
			printf("eof %ld\n", now_ms() - t0);
			return EXIT_DONE;
		}
		if (rc == -2) {
			printf("cut %ld\n", now_ms() - t0);
			return EXIT_PROTO;
		}
		len = ntohl(h.len);
		if (ntohs(h.version) != WIRE_VERSION ||
		    ntohs(h.type) != WIRE_REPLY || len > REPLY_MAX) {
			printf("badreply %u %u %u\n", ntohs(h.version),
			    ntohs(h.type), len);
			return EXIT_PROTO;
		}
		if ((payload = malloc(len + 1)) == NULL)
			die_usage("out of memory");
		rc = read_full(fd, payload, len, now_ms() + wait_ms);
		if (rc != 1 && len > 0) {
			printf("cut %ld\n", now_ms() - t0);
			free(payload);
			return EXIT_PROTO;
		}
		payload[len] = '\0';
		printf("reply %u %s\n", len, (char *)payload);
		fflush(stdout);
		free(payload);
		if (max_replies > 0 && ++replies == max_replies)
			return EXIT_DONE;
	}
}

/* sleep_ms: a pause chunk. */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
main(int argc, char **argv)
{
	long wait_ms = 3000, max_replies = 0, t0, *pause;
	bool shut = false, peer_gone = false;
	struct buf *chunks;
	int i, first, n, fd, rc;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--shut") == 0)
			shut = true;
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait_ms = (long)parse_ulong(argv[++i], 3600000, "--wait");
		else if (strcmp(argv[i], "--replies") == 0 && i + 1 < argc)
			max_replies = (long)parse_ulong(argv[++i], 1000000,
			    "--replies");
		else
			usage();
	}
	if (argc - i < 2)
		usage();
	/* Every chunk is built before connecting: a bad one is a usage
	 * error, never half a conversation. */
	first = i + 1;
	n = argc - first;
	if ((chunks = calloc(n, sizeof(*chunks))) == NULL ||
	    (pause = calloc(n, sizeof(*pause))) == NULL)
		die_usage("out of memory");
	for (int k = 0; k < n; k++) {
		if (strncmp(argv[first + k], "pause:", 6) == 0)
			pause[k] = (long)parse_ulong(argv[first + k] + 6,
			    3600000, "pause");
		else
			chunk_bytes(&chunks[k], argv[first + k]);
	}
	fd = connect_socket(argv[i]);
	for (int k = 0; k < n && !peer_gone; k++) {
		if (pause[k] > 0)
			sleep_ms(pause[k]);
		else
			peer_gone = !send_all(fd, chunks[k].p, chunks[k].len);
	}
	if (shut && !peer_gone)
		shutdown(fd, SHUT_WR);
	t0 = now_ms();
	fflush(stdout);
	rc = read_replies(fd, wait_ms, max_replies, t0);
	close(fd);
	for (int k = 0; k < n; k++)
		free(chunks[k].p);
	free(chunks);
	free(pause);
	return rc;
}
