/* control_fixture.c: see control_fixture.h. */
#define _GNU_SOURCE		/* setresuid, setresgid */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "control.h"
#include "control_fixture.h"
#include "proto.h"
#include "testutil.h"

char ctl_dir[64];		/* the temporary directory */
char ctl_rundir[96];		/* dir/run, which control_open creates */
char ctl_path[128];		/* dir/run/ctl.sock */
struct control *ctl;

/* What the fake handler saw. */
int calls;
bool last_may_write;
json_t *last_req;

/*
 * fake_handler: answers {"ok": true, "n": call number, "may_write": ...,
 * "echo": the request}, so a test sees which request an answer is for.
 */
json_t *
fake_handler(const json_t *req, bool may_write, const struct peer_cred *who,
    void *arg)
{
	(void)arg;
	calls++;
	last_may_write = may_write;
	json_decref(last_req);
	last_req = json_deep_copy(req);
	return json_pack("{s:b,s:i,s:b,s:O}", "ok", 1, "n", calls,
	    "may_write", may_write, "echo", req);
}

void
open_ctl(gid_t group)
{
	ctl = control_open(ctl_path, group, fake_handler, NULL);
	ck_assert_msg(ctl != NULL, "control_open %s: %s", ctl_path,
	    strerror(errno));
}

/* The uid the next client accepted gets (with fake_peer). */
uid_t fake_uid;

static int
fake_peer(int fd, uid_t *uid, gid_t *gid, pid_t *pid, void *arg)
{
	(void)fd;
	(void)arg;
	*uid = fake_uid;
	*gid = getegid();
	*pid = getpid();
	return 0;
}

/* open_fake: a socket whose clients get fake_uid; group: the test's gid,
 * so that every client may write. */
void
open_fake(void)
{
	open_ctl(getegid());
	control_set_peer(ctl, fake_peer, NULL);
}

void
ctl_setup(void)
{
	snprintf(ctl_dir, sizeof(ctl_dir), "/tmp/iccd-control-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ctl_dir));
	snprintf(ctl_rundir, sizeof(ctl_rundir), "%s/run", ctl_dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl.sock", ctl_rundir);
	calls = 0;
	last_may_write = false;
	last_req = NULL;
	ctl = NULL;
}

void
ctl_teardown(void)
{
	control_close(ctl);
	ctl = NULL;
	json_decref(last_req);
	last_req = NULL;
	tu_rm_rf(ctl_dir);
}

long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pump_once: one round of iccd's main loop, waiting up to ms. */
void
pump_once(int ms)
{
	struct pollfd pfd[1 + CONTROL_MAX_CLIENTS];
	size_t n = control_pollfds(ctl, pfd);

	ck_assert_int_ge(poll(pfd, n, ms), 0);
	control_dispatch(ctl, pfd, n);
}

/* fd_ready: fd has `events` now (POLLIN also reports EOF). */
bool
fd_ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 && (p.revents & (events | POLLHUP));
}

/* pump_until: run the server until fd is readable; false after ms. */
bool
pump_until(int fd, int ms)
{
	long deadline = now_ms() + ms;

	while (!fd_ready(fd, POLLIN)) {
		if (now_ms() > deadline)
			return false;
		pump_once(10);
	}
	return true;
}

/* pump_quiet: run the server for ms; nothing may reach fd meanwhile. */
void
pump_quiet(int fd, int ms)
{
	long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		pump_once(10);
		ck_assert_msg(!fd_ready(fd, POLLIN),
		    "the server answered (or closed) an incomplete frame");
	}
}

/* pump_clients: run the server until it has n clients (or fail). */
void
pump_clients(size_t n)
{
	long deadline = now_ms() + PUMP_MS;

	while (control_clients(ctl) != n && now_ms() < deadline)
		pump_once(10);
	ck_assert_uint_eq(control_clients(ctl), n);
}

/* pump_calls: run the server until the handler was called n times. */
void
pump_calls(int n)
{
	long deadline = now_ms() + PUMP_MS;

	while (calls < n && now_ms() < deadline)
		pump_once(10);
	ck_assert_int_eq(calls, n);
}

int
client_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "connect %s: %s", ctl_path, strerror(errno));
	return fd;
}

void
send_bytes(int fd, const void *p, size_t len)
{
	ck_assert_int_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

void
send_hdr(int fd, uint32_t len, uint16_t version, uint16_t type)
{
	struct ctl_hdr h = { htonl(len), htons(version), htons(type) };

	send_bytes(fd, &h, sizeof(h));
}

/* send_frame: a well-formed request frame carrying text. */
void
send_frame(int fd, const char *text)
{
	send_hdr(fd, (uint32_t)strlen(text), CTL_VERSION, CTL_REQUEST);
	send_bytes(fd, text, strlen(text));
}

/* get_reply: pump until a reply arrives on fd and return it. */
json_t *
get_reply(int fd)
{
	json_t *rep;

	ck_assert_msg(pump_until(fd, PUMP_MS), "no reply within %d ms",
	    PUMP_MS);
	rep = ctl_read(fd, CTL_REPLY, ICC_REPLY_MAX);
	ck_assert_msg(rep != NULL, "ctl_read: %s", strerror(errno));
	return rep;
}

/*
 * expect_eof: the server closed fd's connection (after any reply).  A
 * unix socket closed with unread bytes in its queue (the payload after a
 * bad header, which the server never reads) makes the peer's next read
 * fail with ECONNRESET instead of returning 0: a close all the same.
 */
void
expect_eof(int fd)
{
	ssize_t n;
	char c;

	ck_assert_msg(pump_until(fd, PUMP_MS), "the server kept the "
	    "connection open");
	n = read(fd, &c, 1);
	ck_assert_msg(n == 0 || (n == -1 && errno == ECONNRESET),
	    "expected EOF, got %zd (%s)", n, n == -1 ? strerror(errno) : "data");
}

/* expect_error_close: one error reply naming `what`, then EOF. */
void
expect_error_close(int fd, const char *what)
{
	json_t *rep = get_reply(fd);
	const char *err = json_string_value(json_object_get(rep, "error"));

	ck_assert(json_is_false(json_object_get(rep, "ok")));
	ck_assert_msg(err != NULL && strstr(err, what) != NULL,
	    "error \"%s\", expected one with \"%s\"", err ? err : "(none)",
	    what);
	json_decref(rep);
	expect_eof(fd);
	pump_clients(0);
	ck_assert_int_eq(calls, 0);
}
