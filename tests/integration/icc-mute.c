/*
 * icc-mute: a control socket that accepts every connection, reads what
 * comes, and never answers: an iccd that is stuck, for the tests of the
 * clients' timeout (t11-cli-errors).
 *
 *   icc-mute SOCKET
 *
 * Binds SOCKET (removed first if it is a stale socket), then prints
 * "ready" on stdout; after that one line per event:
 *
 *   accepted N      the Nth connection was accepted
 *   closed N        its client hung up
 *
 * Runs until killed.  Exit 2 with one line on stderr when SOCKET cannot
 * be bound.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONN_MAX	64

static int
listen_at(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "icc-mute: %s: path too long\n", path);
		exit(2);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1) {
		fprintf(stderr, "icc-mute: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

int
main(int argc, char **argv)
{
	struct pollfd p[CONN_MAX + 1];
	int id[CONN_MAX + 1], n = 1, seen = 0;
	char buf[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: icc-mute SOCKET\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	p[0] = (struct pollfd){ .fd = listen_at(argv[1]), .events = POLLIN };
	printf("ready\n");
	for (;;) {
		if (poll(p, (nfds_t)n, -1) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "icc-mute: poll: %s\n", strerror(errno));
			return 2;
		}
		for (int i = n - 1; i >= 1; i--) {
			if (p[i].revents == 0 ||
			    read(p[i].fd, buf, sizeof(buf)) > 0)
				continue;
			printf("closed %d\n", id[i]);
			close(p[i].fd);
			p[i] = p[--n];
			id[i] = id[n];
		}
		if ((p[0].revents & POLLIN) && n <= CONN_MAX) {
			int fd = accept(p[0].fd, NULL, NULL);

			if (fd == -1)
				continue;
			p[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
			id[n++] = ++seen;
			printf("accepted %d\n", seen);
		}
	}
}
