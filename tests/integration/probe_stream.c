/*
 * probe_stream.c: icc-probe's stream clients (tcp-stream, udp-stream):
 * one flow kept open, a numbered line every --interval ms, a line on
 * stdout each time the flow starts or stops.
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

int
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
