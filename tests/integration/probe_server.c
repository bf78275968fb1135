/*
 * probe_server.c: icc-probe's servers (tcp-server, udp-server,
 * tcp-stream-server): one dual-stack socket on every address, echoing
 * until killed.
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
void
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
void
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
_Noreturn void
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

_Noreturn void
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
