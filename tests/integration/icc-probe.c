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
 *
 * This file: main, usage and the helpers every mode uses (probe.h);
 * probe_server.c the servers, probe_client.c the one-shot clients,
 * probe_stream.c the stream clients.
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

#include "probe.h"

const char tool_prog[] = "icc-probe";

_Noreturn void
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
	    tool_prog, tool_prog, tool_prog, tool_prog, tool_prog, tool_prog);
	exit(EXIT_USAGE);
}

/* A local failure is a broken test, never a network outcome. */
_Noreturn void
die_sys(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", tool_prog, what, strerror(errno));
	printf("local error: %s: %s\n", what, strerror(errno));
	exit(EXIT_USAGE);
}

/* parse_num: a decimal number in [min, max], or a usage error. */
long
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

/* resolve: a numeric address only: tests must never depend on DNS. */
void
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
int
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
int
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
