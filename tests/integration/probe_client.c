/*
 * probe_client.c: icc-probe's one-shot clients (tcp, udp): one line
 * with a random token, success only when that token comes back.
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

int
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

int
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
