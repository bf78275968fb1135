/*
 * icc-probe: the exact traffic tool of iccd's integration tests.
 *
 *   icc-probe tcp-server PORT
 *   icc-probe udp-server PORT
 *   icc-probe tcp ADDR PORT [--sport N] [--timeout MS]
 *   icc-probe udp ADDR PORT [--sport N] [--timeout MS]
 *
 * The servers listen on every IPv4 and IPv6 address (one dual-stack
 * socket) and echo: TCP echoes the first line of each connection and
 * closes it, UDP echoes each datagram.  They run until killed.
 *
 * The clients send one line carrying a random token and succeed only when
 * that exact token comes back, so a success proves a full round trip (the
 * reply direction included) and never a stale or foreign answer.  Exit 0:
 * echo received; 1: refused, timed out or any network error; 2: usage.
 * One line on stdout says what happened.
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
	    "       %s tcp ADDR PORT [--sport N] [--timeout MS]\n"
	    "       %s udp ADDR PORT [--sport N] [--timeout MS]\n",
	    prog, prog, prog, prog);
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

static _Noreturn void
tcp_server(int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, fd;

	/* Children are reaped by the kernel: no zombies, no SIGCHLD code. */
	signal(SIGCHLD, SIG_IGN);
	lfd = listen_any(SOCK_STREAM, port);
	printf("tcp-server: listening on port %d\n", port);
	fflush(stdout);
	for (;;) {
		len = sizeof(ss);
		fd = accept(lfd, (struct sockaddr *)&ss, &len);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die_sys("accept");
		}
		printf("tcp-server: %d: connection from %s\n", port,
		    peer_text(&ss, len));
		fflush(stdout);
		switch (fork()) {
		case -1:
			tcp_echo_one(fd);	/* degrade to serial */
			break;
		case 0:
			close(lfd);
			tcp_echo_one(fd);
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
			tcp_server(port);
		udp_server(port);
	}
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
