/*
 * icc-burst: requests that reach iccd in one poll round, for the group
 * commit test (t39-round): one connection per request, each first
 * answered once (a list: so that iccd has accepted it), then iccd is
 * stopped (SIGSTOP, waited for), every request written, iccd continued:
 * its next poll finds them all.  No sleep, no timing.
 *
 *   icc-burst SOCKET PID REQUEST...
 *
 * REQUEST: a JSON object as iccctl would send it.  One line on stdout per
 * request, in order: "N PAYLOAD", its reply.  Exit 0 when every request
 * got a reply (whatever it says), 1 when a connection failed, 2 on bad
 * usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "tool.h"

const char tool_prog[] = "icc-burst";

#define BURST_MAX	64

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		die_usage("%s: path too long", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "icc-burst: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void
send_frame(int fd, const char *payload)
{
	struct ctl_hdr h;
	size_t len = strlen(payload);

	h.len = htonl((uint32_t)len);
	h.version = htons(CTL_VERSION);
	h.type = htons(CTL_REQUEST);
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    write(fd, payload, len) != (ssize_t)len) {
		fprintf(stderr, "icc-burst: send: %s\n", strerror(errno));
		exit(1);
	}
}

static int
read_all(int fd, void *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		if ((n = read(fd, (char *)buf + off, len - off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* read_reply: one reply frame's payload (malloc'd, NUL-terminated). */
static char *
read_reply(int fd)
{
	struct ctl_hdr h;
	uint32_t len;
	char *p;

	if (read_all(fd, &h, sizeof(h)) == -1) {
		fprintf(stderr, "icc-burst: no reply\n");
		exit(1);
	}
	len = ntohl(h.len);
	if (len > ICC_REQ_MAX || (p = malloc(len + 1)) == NULL ||
	    read_all(fd, p, len) == -1) {
		fprintf(stderr, "icc-burst: bad reply\n");
		exit(1);
	}
	p[len] = '\0';
	return p;
}

/* stopped: /proc/PID/stat says the process is stopped. */
static int
stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return -1;
	return p[2] == 'T' || p[2] == 't';
}

int
main(int argc, char **argv)
{
	int fd[BURST_MAX], n = argc - 3, rc;
	pid_t pid;

	if (argc < 4 || n > BURST_MAX)
		die_usage("usage: icc-burst SOCKET PID REQUEST... (at most %d)",
		    BURST_MAX);
	pid = (pid_t)strtol(argv[2], NULL, 10);
	for (int i = 0; i < n; i++) {
		fd[i] = connect_to(argv[1]);
		send_frame(fd[i], "{\"cmd\":\"list\"}");
		free(read_reply(fd[i]));
	}
	if (kill(pid, SIGSTOP) == -1)
		die_usage("kill %ld: %s", (long)pid, strerror(errno));
	/* Bounded: a stop is delivered at once, unless the process is in
	 * an uninterruptible sleep (a disk write). */
	for (long t0 = now_ms(); (rc = stopped(pid)) == 0 &&
	    now_ms() - t0 < 60000;) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	if (rc != 1) {
		kill(pid, SIGCONT);
		die_usage("pid %ld never stopped", (long)pid);
	}
	for (int i = 0; i < n; i++)
		send_frame(fd[i], argv[3 + i]);
	kill(pid, SIGCONT);
	for (int i = 0; i < n; i++) {
		char *rep = read_reply(fd[i]);

		printf("%d %s\n", i + 1, rep);
		free(rep);
		close(fd[i]);
	}
	return 0;
}
