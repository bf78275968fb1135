/*
 * icc-probe: the exact traffic tool of iccd's integration tests.
 *
 *   icc-probe tcp-server PORT
 *   icc-probe udp-server PORT
 *   icc-probe tcp-stream-server PORT
 *   icc-probe tcp ADDR PORT [--sport N] [--timeout MS]
 *   icc-probe udp ADDR PORT [--sport N] [--timeout MS]
 *   icc-probe tcp-stream ADDR PORT [--sport N] [--timeout MS]
 *                       [--interval MS] [--keep-going]
 *   icc-probe udp-stream ADDR PORT [same options]
 *
 * The servers listen on every IPv4 and IPv6 address (one dual-stack
 * socket) and echo: TCP echoes the first line of each connection and
 * closes it, UDP echoes each datagram, tcp-stream-server echoes all a
 * connection brings until the client closes it.  They run until killed.
 *
 * The clients send one line carrying a random token and succeed only when
 * that exact token comes back, so a success proves a full round trip (the
 * reply direction included) and never a stale or foreign answer.  Exit 0:
 * echo received; 1: refused, timed out or any network error; 2: usage.
 * One line on stdout says what happened.
 *
 * The stream clients keep one flow open (one TCP connection to a
 * tcp-stream-server, or one UDP socket to a udp-server) and send a
 * numbered line every --interval ms (default 100); a flow stops when the
 * line after the last one echoed has waited --timeout ms.  Without
 * --keep-going: "flowing" once the first echo came, then exit 1 when the
 * flow stops, or 0 on SIGTERM/SIGINT while it flows.  With --keep-going
 * (a flood that waits for a window): one line per change, "flowing" or
 * "stopped", until SIGTERM/SIGINT, then exit 0.  Every line gives wall
 * clock times in ms since the epoch (last_echo_ms=, sent_ms=) and ends
 * with echoes=N, so that a test can tell when the last echo came.
 *
 * No dependencies beyond libc: it is built by `make check` and run inside
 * network namespaces by tests/integration/lib.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OK		0
#define EXIT_NET	1
#define EXIT_USAGE	2

#define DEFAULT_TIMEOUT_MS	1000
#define UDP_RESEND_MS		250	/* a datagram may be lost while ARP/ND resolves */
#define LINE_MAX_BYTES		256

static const char *prog = "icc-probe";

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: %s tcp-server PORT\n"
	    "       %s udp-server PORT\n"
	    "       %s tcp-stream-server PORT\n"
	    "       %s tcp ADDR PORT [--sport N] [--timeout MS]\n"
	    "       %s udp ADDR PORT [--sport N] [--timeout MS]\n"
	    "       %s tcp-stream|udp-stream ADDR PORT [--sport N] "
	    "[--timeout MS]\n"
	    "              [--interval MS] [--keep-going]\n",
	    prog, prog, prog, prog, prog, prog);
	exit(EXIT_USAGE);
}

static _Noreturn void
die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* A local failure is a broken test, never a network outcome. */
static _Noreturn void
die_sys(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	printf("local error: %s: %s\n", what, strerror(errno));
	exit(EXIT_USAGE);
}

/* parse_num: a decimal number in [min, max], or a usage error. */
static long
parse_num(const char *s, long min, long max, const char *field)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die_usage("%s: not a number in %ld-%ld: '%s'", field, min, max, s);
	return v;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * listen_any: a socket bound to every address.  IPv6 with V6ONLY off
 * accepts IPv4 too; a namespace without IPv6 falls back to IPv4 only.
 */
static int
listen_any(int type, int port)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int fd, on = 1, off = 0;

	fd = socket(AF_INET6, type, 0);
	if (fd >= 0) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		sin6.sin6_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0)
			die_sys("bind [::]");
	} else {
		fd = socket(AF_INET, type, 0);
		if (fd < 0)
			die_sys("socket");
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die_sys("bind 0.0.0.0");
	}
	if (type == SOCK_STREAM && listen(fd, 64) < 0)
		die_sys("listen");
	return fd;
}

/* peer_text: "ADDR:PORT" of a peer, for the server's log lines. */
static const char *
peer_text(const struct sockaddr_storage *ss, socklen_t len)
{
	static char buf[NI_MAXHOST + NI_MAXSERV + 4];
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return "?";
	snprintf(buf, sizeof(buf), "[%s]:%s", host, serv);
	return buf;
}

/*
 * tcp_echo_one: echo the first line of one connection.  A receive timeout
 * keeps a silent client from holding a child forever.
 */
static void
tcp_echo_one(int fd)
{
	struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
	char buf[LINE_MAX_BYTES];
	size_t have = 0;
	ssize_t n;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (have < sizeof(buf)) {
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		if (memchr(buf, '\n', have) != NULL)
			break;
	}
	/* A failed echo shows as a failed client: nothing to do here. */
	if (have > 0 && write(fd, buf, have) < 0)
		have = 0;
	close(fd);
}

/*
 * tcp_echo_all: echo everything a connection brings until the client
 * closes it (or is silent for a minute: a flow cut by a firewall must not
 * keep a child forever).
 */
static void
tcp_echo_all(int fd)
{
	struct timeval tv = { .tv_sec = 60, .tv_usec = 0 };
	char buf[4096];
	ssize_t n;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	close(fd);
}

/* tcp_server: accept connections for ever, each served by echo in a child. */
static _Noreturn void
tcp_server(int port, const char *name, void (*echo)(int))
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, fd;

	/* Children are reaped by the kernel: no zombies, no SIGCHLD code. */
	signal(SIGCHLD, SIG_IGN);
	lfd = listen_any(SOCK_STREAM, port);
	printf("%s: listening on port %d\n", name, port);
	fflush(stdout);
	for (;;) {
		len = sizeof(ss);
		fd = accept(lfd, (struct sockaddr *)&ss, &len);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die_sys("accept");
		}
		printf("%s: %d: connection from %s\n", name, port,
		    peer_text(&ss, len));
		fflush(stdout);
		switch (fork()) {
		case -1:
			echo(fd);	/* degrade to serial */
			break;
		case 0:
			close(lfd);
			echo(fd);
			_exit(0);
		default:
			close(fd);
		}
	}
}

static _Noreturn void
udp_server(int port)
{
	struct sockaddr_storage ss;
	char buf[LINE_MAX_BYTES];
	socklen_t len;
	ssize_t n;
	int fd;

	fd = listen_any(SOCK_DGRAM, port);
	printf("udp-server: listening on port %d\n", port);
	fflush(stdout);
	for (;;) {
		len = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_sys("recvfrom");
		}
		printf("udp-server: %d: datagram from %s\n", port,
		    peer_text(&ss, len));
		fflush(stdout);
		(void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&ss, len);
	}
}

/* resolve: a numeric address only: tests must never depend on DNS. */
static void
resolve(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints, *res;
	char serv[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = AF_UNSPEC;
	snprintf(serv, sizeof(serv), "%d", port);
	rc = getaddrinfo(addr, serv, &hints, &res);
	if (rc != 0)
		die_usage("address: not a numeric IPv4 or IPv6 address: '%s'",
		    addr);
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

/* client_socket: a non-blocking socket, bound to sport when non-zero. */
static int
client_socket(int family, int type, int sport)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len;
	int fd, on = 1;

	fd = socket(family, type, 0);
	if (fd < 0)
		die_sys("socket");
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die_sys("fcntl");
	if (sport == 0)
		return fd;
	/* Reuse: repeat a source port at once, or share it with a server. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)sport);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)sport);
		len = sizeof(*sin);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die_sys("bind --sport");
	return fd;
}

/* wait_fd: poll one fd until the deadline; 1 ready, 0 timed out. */
static int
wait_fd(int fd, short events, long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			die_sys("poll");
	}
}

static void
make_token(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	srandom((unsigned)(ts.tv_nsec ^ getpid()));
	snprintf(buf, len, "icc-probe %d %ld %ld\n", (int)getpid(),
	    (long)ts.tv_nsec, random());
}

static int
report(int rc, const char *proto, const char *addr, int port, long start,
    const char *what)
{
	printf("%s %s port %d: %s after %ld ms\n", proto, addr, port, what,
	    now_ms() - start);
	return rc;
}

static int
tcp_client(const char *addr, int port, int sport, int timeout)
{
	struct sockaddr_storage ss;
	char token[LINE_MAX_BYTES], buf[LINE_MAX_BYTES];
	long start = now_ms(), deadline = start + timeout;
	size_t want, have = 0;
	socklen_t len, elen;
	ssize_t n;
	int fd, err = 0;

	resolve(addr, port, &ss, &len);
	fd = client_socket(ss.ss_family, SOCK_STREAM, sport);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 &&
	    errno != EINPROGRESS)
		return report(EXIT_NET, "tcp", addr, port, start, strerror(errno));
	if (!wait_fd(fd, POLLOUT, deadline))
		return report(EXIT_NET, "tcp", addr, port, start,
		    "connect timed out");
	elen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		die_sys("getsockopt");
	if (err != 0)
		return report(EXIT_NET, "tcp", addr, port, start,
		    err == ECONNREFUSED ? "connection refused" : strerror(err));

	make_token(token, sizeof(token));
	want = strlen(token);
	if (write(fd, token, want) != (ssize_t)want)
		return report(EXIT_NET, "tcp", addr, port, start,
		    "connected, but the request could not be sent");
	while (have < want) {
		if (!wait_fd(fd, POLLIN, deadline))
			return report(EXIT_NET, "tcp", addr, port, start,
			    "connected, but no echo (timed out)");
		n = read(fd, buf + have, want - have);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return report(EXIT_NET, "tcp", addr, port, start,
			    "connected, but the echo was cut short");
		have += (size_t)n;
	}
	close(fd);
	if (memcmp(buf, token, want) != 0)
		return report(EXIT_NET, "tcp", addr, port, start,
		    "connected, but a wrong echo came back");
	return report(EXIT_OK, "tcp", addr, port, start,
	    "connected, echo received");
}

static int
udp_client(const char *addr, int port, int sport, int timeout)
{
	struct sockaddr_storage ss;
	char token[LINE_MAX_BYTES], buf[LINE_MAX_BYTES];
	long start = now_ms(), deadline = start + timeout, next_send;
	size_t want;
	socklen_t len;
	ssize_t n;
	int fd;

	resolve(addr, port, &ss, &len);
	fd = client_socket(ss.ss_family, SOCK_DGRAM, sport);
	/* Connected: only the target's replies count, ICMP errors show. */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return report(EXIT_NET, "udp", addr, port, start, strerror(errno));
	make_token(token, sizeof(token));
	want = strlen(token);
	next_send = start;
	for (;;) {
		long t = now_ms(), wake;

		if (t >= deadline)
			return report(EXIT_NET, "udp", addr, port, start,
			    "no echo (timed out)");
		if (t >= next_send) {
			if (send(fd, token, want, 0) < 0 && errno != EAGAIN)
				return report(EXIT_NET, "udp", addr, port, start,
				    errno == ECONNREFUSED ? "port unreachable" :
				    strerror(errno));
			next_send = t + UDP_RESEND_MS;
		}
		wake = next_send < deadline ? next_send : deadline;
		if (!wait_fd(fd, POLLIN, wake))
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return report(EXIT_NET, "udp", addr, port, start,
			    errno == ECONNREFUSED ? "port unreachable" :
			    strerror(errno));
		}
		if ((size_t)n == want && memcmp(buf, token, want) == 0)
			return report(EXIT_OK, "udp", addr, port, start,
			    "echo received");
		/* Anything else is not our answer: keep waiting. */
	}
}

/* ---- stream clients ---------------------------------------------------- */

#define STREAM_RING	8192	/* lines remembered: timeout / interval */

struct stream {
	const char	*proto, *addr;
	int		 port, fd, timeout, interval;
	bool		 tcp, keep_going, flowing;
	char		 token[64];
	unsigned long	 sent, echoed;	/* lines sent; highest echoed */
	unsigned long	 echoes;	/* echoes received */
	long		 sent_at[STREAM_RING];	/* monotonic ms, by line */
	long		 last_echo_ms;	/* wall clock, 0: none yet */
	char		 rbuf[LINE_MAX_BYTES * 4];	/* tcp: a partial line */
	size_t		 rlen;
};

static volatile sig_atomic_t stream_stop;

static void
on_stop(int sig)
{
	stream_stop = 1;
}

static long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* stream_say: one line "PROTO-stream ADDR port P: WHAT; ... echoes=N". */
static void __attribute__((format(printf, 2, 3)))
stream_say(const struct stream *st, const char *fmt, ...)
{
	va_list ap;

	printf("%s-stream %s port %d: ", st->proto, st->addr, st->port);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("; last_echo_ms=%ld echoes=%lu\n", st->last_echo_ms,
	    st->echoes);
}

/* stream_echo: one line came back: "icc-stream TOKEN SEQ". */
static void
stream_echo(struct stream *st, const char *line, size_t len)
{
	char buf[LINE_MAX_BYTES], tok[64];
	unsigned long seq;

	if (len == 0 || len >= sizeof(buf))
		return;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (sscanf(buf, "icc-stream %63s %lu", tok, &seq) != 2 ||
	    strcmp(tok, st->token) != 0 || seq == 0 || seq > st->sent)
		return;		/* not ours: ignore */
	st->echoes++;
	st->last_echo_ms = wall_ms();
	if (seq > st->echoed)
		st->echoed = seq;
	if (!st->flowing) {
		st->flowing = true;
		stream_say(st, "flowing (line %lu echoed)", seq);
	}
}

/* stream_read: take what arrived; -1 on a dead connection. */
static int
stream_read(struct stream *st)
{
	char buf[LINE_MAX_BYTES], *nl;
	ssize_t n;

	if (!st->tcp) {
		while ((n = recv(st->fd, buf, sizeof(buf), 0)) > 0)
			stream_echo(st, buf, (size_t)n -
			    (buf[n - 1] == '\n' ? 1 : 0));
		/* ECONNREFUSED: an ICMP error, no echo; the timer judges. */
		return 0;
	}
	n = read(st->fd, st->rbuf + st->rlen, sizeof(st->rbuf) - st->rlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n < 0)
		return 0;
	st->rlen += (size_t)n;
	while ((nl = memchr(st->rbuf, '\n', st->rlen)) != NULL) {
		stream_echo(st, st->rbuf, (size_t)(nl - st->rbuf));
		st->rlen -= (size_t)(nl + 1 - st->rbuf);
		memmove(st->rbuf, nl + 1, st->rlen);
	}
	if (st->rlen == sizeof(st->rbuf))
		st->rlen = 0;		/* garbage: drop it */
	return 0;
}

/* stream_send: the next numbered line; -1 when it cannot be sent. */
static int
stream_send(struct stream *st)
{
	char line[LINE_MAX_BYTES];
	int len;
	ssize_t n;

	len = snprintf(line, sizeof(line), "icc-stream %s %lu\n", st->token,
	    st->sent + 1);
	n = send(st->fd, line, (size_t)len, MSG_NOSIGNAL);
	if (n != len && !(n < 0 && !st->tcp))
		return -1;	/* tcp: the send buffer is full or dead */
	st->sent++;
	st->sent_at[st->sent % STREAM_RING] = now_ms();
	return 0;
}

/* stream_stalled: the line after the last echoed one waited too long. */
static bool
stream_stalled(const struct stream *st)
{
	unsigned long next = st->echoed + 1;

	return next <= st->sent &&
	    now_ms() - st->sent_at[next % STREAM_RING] >= st->timeout;
}

static int
stream_connect(struct stream *st, int sport)
{
	struct sockaddr_storage ss;
	long deadline = now_ms() + st->timeout;
	socklen_t len, elen;
	int err = 0;

	resolve(st->addr, st->port, &ss, &len);
	st->fd = client_socket(ss.ss_family, st->tcp ? SOCK_STREAM :
	    SOCK_DGRAM, sport);
	if (connect(st->fd, (struct sockaddr *)&ss, len) < 0 &&
	    errno != EINPROGRESS) {
		stream_say(st, "stopped: connect: %s", strerror(errno));
		return -1;
	}
	if (!st->tcp)
		return 0;
	if (!wait_fd(st->fd, POLLOUT, deadline)) {
		stream_say(st, "stopped: connect timed out");
		return -1;
	}
	elen = sizeof(err);
	if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		die_sys("getsockopt");
	if (err != 0) {
		stream_say(st, "stopped: connect: %s", strerror(err));
		return -1;
	}
	return 0;
}

/* stream_report_stall: say the flow stopped; true when that ends it. */
static bool
stream_report_stall(struct stream *st)
{
	unsigned long next = st->echoed + 1;
	long waited = now_ms() - st->sent_at[next % STREAM_RING];

	stream_say(st, "stopped: line %lu sent_ms=%ld got no echo within "
	    "%d ms", next, wall_ms() - waited, st->timeout);
	st->flowing = false;
	return !st->keep_going;
}

static int
stream_client(struct stream *st, int sport)
{
	struct sigaction sa;
	bool reported = false;
	long next_send;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	snprintf(st->token, sizeof(st->token), "%d.%ld", (int)getpid(),
	    wall_ms());
	if (stream_connect(st, sport) < 0)
		return EXIT_NET;
	next_send = now_ms();
	while (!stream_stop) {
		long t = now_ms();

		if (t >= next_send) {
			if (stream_send(st) < 0) {
				stream_say(st, "stopped: cannot send: %s",
				    strerror(errno));
				return EXIT_NET;
			}
			next_send = t + st->interval;
		}
		if (wait_fd(st->fd, POLLIN, next_send) &&
		    stream_read(st) < 0) {
			stream_say(st, "stopped: connection closed");
			return EXIT_NET;
		}
		if (st->flowing)
			reported = false;
		if (!reported && stream_stalled(st)) {
			reported = true;
			if (stream_report_stall(st))
				return EXIT_NET;
		}
	}
	stream_say(st, "%s when told to stop", st->flowing ? "still flowing" :
	    "stopped");
	return EXIT_OK;
}

static int
stream_main(const char *proto, int argc, char **argv)
{
	static struct stream st;
	int i, sport = 0;

	if (argc < 4)
		usage();
	st.proto = proto;
	st.tcp = proto[0] == 't';
	st.addr = argv[2];
	st.port = (int)parse_num(argv[3], 1, 65535, "PORT");
	st.timeout = DEFAULT_TIMEOUT_MS;
	st.interval = 100;
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--sport") == 0 && i + 1 < argc)
			sport = (int)parse_num(argv[++i], 1, 65535, "--sport");
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			st.timeout = (int)parse_num(argv[++i], 1, 600000,
			    "--timeout");
		else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc)
			st.interval = (int)parse_num(argv[++i], 1, 60000,
			    "--interval");
		else if (strcmp(argv[i], "--keep-going") == 0)
			st.keep_going = true;
		else
			die_usage("unknown or incomplete option '%s'", argv[i]);
	}
	if (st.timeout / st.interval >= STREAM_RING - 2)
		die_usage("--timeout / --interval: at most %d lines in flight",
		    STREAM_RING - 2);
	return stream_client(&st, sport);
}

int
main(int argc, char **argv)
{
	int i, port, sport = 0, timeout = DEFAULT_TIMEOUT_MS;
	const char *mode, *addr;

	if (argc < 2)
		usage();
	mode = argv[1];
	/* Line-buffered so test logs interleave in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(mode, "tcp-server") == 0 || strcmp(mode, "udp-server") == 0) {
		if (argc != 3)
			usage();
		port = (int)parse_num(argv[2], 1, 65535, "PORT");
		if (mode[0] == 't')
			tcp_server(port, "tcp-server", tcp_echo_one);
		udp_server(port);
	}
	if (strcmp(mode, "tcp-stream-server") == 0) {
		if (argc != 3)
			usage();
		port = (int)parse_num(argv[2], 1, 65535, "PORT");
		tcp_server(port, mode, tcp_echo_all);
	}
	if (strcmp(mode, "tcp-stream") == 0 || strcmp(mode, "udp-stream") == 0)
		return stream_main(mode[0] == 't' ? "tcp" : "udp", argc, argv);
	if (strcmp(mode, "tcp") != 0 && strcmp(mode, "udp") != 0)
		usage();
	if (argc < 4)
		usage();
	addr = argv[2];
	port = (int)parse_num(argv[3], 1, 65535, "PORT");
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--sport") == 0 && i + 1 < argc)
			sport = (int)parse_num(argv[++i], 1, 65535, "--sport");
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = (int)parse_num(argv[++i], 1, 600000,
			    "--timeout");
		else
			die_usage("unknown or incomplete option '%s'", argv[i]);
	}
	return mode[0] == 't' ? tcp_client(addr, port, sport, timeout) :
	    udp_client(addr, port, sport, timeout);
}
