/*
 * check_control_limits.c: the control socket's mode and stale sockets,
 * who may change state (may_write: root, the --group gid, another uid
 * through a forked child that drops to nobody, root only), and the limits
 * on clients: in all, per uid, root's reserved slots, bytes per uid, the
 * frame timeout.  The fixture (control_fixture.h) is check_control.c's.
 */
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

#include "control.h"
#include "proto.h"
#include "suites.h"
#include "control_fixture.h"

/* ---- the socket and its permissions ------------------------------------- */

START_TEST(t_socket_mode)
{
	struct stat st;

	open_ctl(getegid());
	ck_assert_int_eq(lstat(ctl_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	if (geteuid() == 0) {
		ck_assert_uint_eq(st.st_uid, 0);
		ck_assert_uint_eq(st.st_gid, getegid());
	}
	control_close(ctl);
	ctl = NULL;
	ck_assert_int_eq(lstat(ctl_path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(t_live_and_stale_socket)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *second;
	json_t *rep;
	int fd;

	open_ctl((gid_t)-1);
	/* A live socket is never taken over. */
	errno = 0;
	second = control_open(ctl_path, (gid_t)-1, fake_handler, NULL);
	ck_assert_ptr_null(second);
	ck_assert_int_eq(errno, EADDRINUSE);
	control_close(ctl);
	ctl = NULL;
	/* A stale one (its owner died without unlinking it) is replaced. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	open_ctl((gid_t)-1);
	fd = client_connect();
	send_frame(fd, "{\"cmd\":\"list\"}");
	rep = get_reply(fd);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	close(fd);
}
END_TEST

START_TEST(t_not_a_socket)
{
	FILE *f;

	ck_assert_int_eq(mkdir(ctl_rundir, 0700), 0);
	ck_assert_ptr_nonnull(f = fopen(ctl_path, "w"));
	fclose(f);
	errno = 0;
	ck_assert_ptr_null(control_open(ctl_path, (gid_t)-1, fake_handler, NULL));
	ck_assert_int_eq(errno, EEXIST);
}
END_TEST

/* may_write_of: what the handler saw for one request on a new connection. */
static bool
may_write_of(void)
{
	json_t *rep;
	bool mw;
	int fd;

	fd = client_connect();
	send_frame(fd, "{\"cmd\":\"stop\",\"name\":\"x\"}");
	rep = get_reply(fd);
	mw = json_is_true(json_object_get(rep, "may_write"));
	ck_assert(mw == last_may_write);
	json_decref(rep);
	close(fd);
	return mw;
}

START_TEST(t_may_write_root_only)
{
	/* No group: only root may change state. */
	open_ctl((gid_t)-1);
	ck_assert(may_write_of() == (geteuid() == 0));
}
END_TEST

START_TEST(t_may_write_group)
{
	/* The peer's own gid is the group: it may, root or not. */
	open_ctl(getegid());
	ck_assert(may_write_of());
}
END_TEST

/*
 * peer_may_write: fork a child with uid and gid `id` and supplementary
 * groups `groups` (n of them) that sends one request and reads the reply;
 * returns what the handler saw.  Root only: the child needs setuid.
 */
static bool
peer_may_write(uid_t id, const gid_t *groups, size_t n)
{
	const char *text = "{\"cmd\":\"stop\",\"name\":\"x\"}";
	long deadline = now_ms() + PUMP_MS;
	int status = -1;
	pid_t pid, done = 0;

	/* The directories and the socket must let the child in. */
	ck_assert_int_eq(chmod(ctl_dir, 0755), 0);
	ck_assert_int_eq(chmod(ctl_rundir, 0755), 0);
	ck_assert_int_eq(chmod(ctl_path, 0666), 0);
	calls = 0;
	if ((pid = fork()) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		struct ctl_hdr h = { htonl((uint32_t)strlen(text)),
		    htons(CTL_VERSION), htons(CTL_REQUEST) };
		json_t *rep;
		int fd;

		/* No ck_assert here: the child reports by exit status. */
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl_path);
		if (setgroups(n, groups) == -1 || setresgid(id, id, id) == -1 ||
		    setresuid(id, id, id) == -1)
			_exit(10);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			_exit(11);
		if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
		    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
			_exit(12);
		if ((rep = ctl_read(fd, CTL_REPLY, ICC_REPLY_MAX)) == NULL)
			_exit(13);
		json_decref(rep);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	while (done == 0 && now_ms() < deadline) {
		pump_once(10);
		done = waitpid(pid, &status, WNOHANG);
	}
	if (done == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("the peer child did not finish");
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the peer child failed (status %#x)", status);
	ck_assert_int_eq(calls, 1);
	return last_may_write;
}

START_TEST(t_may_write_other_uid)
{
	const gid_t group = 4242, other = 4243;

	if (geteuid() != 0) {
		/* Needs root to become another user: a visible skip, which
		 * contrib/quickstart.sh counts as one. */
		fprintf(stderr, "SKIP: t_may_write_other_uid: needs root to "
		    "act as uid 65534\n");
		return;
	}
	/* Neither root nor in the group: read only. */
	open_ctl(group);
	ck_assert(!peer_may_write(65534, &other, 1));
	/* The group as a supplementary group (SO_PEERGROUPS). */
	ck_assert(peer_may_write(65534, &group, 1));
	control_close(ctl);
	/* The group as the primary group (SO_PEERCRED's gid). */
	ctl = control_open(ctl_path, 65534, fake_handler, NULL);
	ck_assert_ptr_nonnull(ctl);
	ck_assert(peer_may_write(65534, &other, 1));
	/* No group at all: only root. */
	control_close(ctl);
	ctl = control_open(ctl_path, (gid_t)-1, fake_handler, NULL);
	ck_assert_ptr_nonnull(ctl);
	ck_assert(!peer_may_write(65534, &other, 1));
}
END_TEST

/* ---- limits ----------------------------------------------------------- */

START_TEST(t_too_many_clients)
{
	static int fds[CONTROL_MAX_CLIENTS];
	json_t *rep;
	int extra;

	open_fake();
	fake_uid = 0;		/* root may take every slot */
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		fds[i] = client_connect();
		pump_once(0);
	}
	pump_clients(CONTROL_MAX_CLIENTS);
	/* One more: the kernel queues it, iccd does not take it while full
	 * (its request waits), and nobody already connected is dropped. */
	extra = client_connect();
	send_frame(extra, "{\"cmd\":\"list\"}");
	pump_quiet(extra, QUIET_MS);
	ck_assert_uint_eq(control_clients(ctl), CONTROL_MAX_CLIENTS);
	ck_assert_int_eq(calls, 0);
	/* The connected ones are still served. */
	send_frame(fds[0], "{\"cmd\":\"status\"}");
	json_decref(get_reply(fds[0]));
	/* One leaves: the waiting one gets in and is answered. */
	close(fds[CONTROL_MAX_CLIENTS - 1]);
	rep = get_reply(extra);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	ck_assert_uint_eq(control_clients(ctl), CONTROL_MAX_CLIENTS);
	for (int i = 0; i < CONTROL_MAX_CLIENTS - 1; i++)
		close(fds[i]);
	close(extra);
	pump_clients(0);
}
END_TEST

/* expect_refused_close: one error reply equal to want, then EOF. */
static void
expect_refused_close(int fd, const char *want)
{
	json_t *rep = get_reply(fd);
	const char *err = json_string_value(json_object_get(rep, "error"));

	ck_assert(json_is_false(json_object_get(rep, "ok")));
	ck_assert_str_eq(err ? err : "(none)", want);
	json_decref(rep);
	expect_eof(fd);
}

/* served: one request on fd gets its answer. */
static void
served(int fd)
{
	json_t *rep;

	send_frame(fd, "{\"cmd\":\"status\"}");
	rep = get_reply(fd);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
}

/* connect_as: a client iccd takes as uid; pumped until accepted. */
static int
connect_as(uid_t uid)
{
	size_t before = control_clients(ctl);
	int fd;

	fake_uid = uid;
	fd = client_connect();
	pump_clients(before + 1);
	return fd;
}

START_TEST(t_uid_connections)
{
	int fds[CONTROL_UID_CLIENTS], extra, other, root;

	open_fake();
	for (int i = 0; i < CONTROL_UID_CLIENTS; i++)
		fds[i] = connect_as(1000);
	/* One more of the same uid: an error naming the limit, closed. */
	fake_uid = 1000;
	extra = client_connect();
	expect_refused_close(extra, "control: uid 1000 already holds 16 "
	    "connections (the limit)");
	ck_assert_uint_eq(control_clients(ctl), CONTROL_UID_CLIENTS);
	/* Others, and root, still get in and are served. */
	other = connect_as(1001);
	served(other);
	root = connect_as(0);
	served(root);
	served(fds[0]);
	/* One of uid 1000 leaves: its place is free again. */
	close(fds[0]);
	pump_clients(CONTROL_UID_CLIENTS + 1);
	close(extra);
	fds[0] = connect_as(1000);
	served(fds[0]);
	for (int i = 0; i < CONTROL_UID_CLIENTS; i++)
		close(fds[i]);
	close(other);
	close(root);
}
END_TEST

START_TEST(t_root_reserved)
{
	static int fds[CONTROL_MAX_CLIENTS];
	size_t n = CONTROL_MAX_CLIENTS - CONTROL_ROOT_RESERVED;
	int extra, root;

	open_fake();
	/* Group members of many uids hold every slot they may. */
	for (size_t i = 0; i < n; i++)
		fds[i] = connect_as(2000 + (uid_t)(i / CONTROL_UID_CLIENTS));
	fake_uid = 5000;
	extra = client_connect();
	expect_refused_close(extra, "control: too many clients (the last "
	    "slots are root's)");
	close(extra);
	/* Root still connects and is answered, as often as it likes. */
	for (int i = 0; i < CONTROL_ROOT_RESERVED; i++) {
		root = connect_as(0);
		served(root);
		fds[n + i] = root;
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	pump_clients(0);
}
END_TEST

/* send_some: send what the server takes of len bytes, pumping; returns
 * false once the server has closed the connection. */
static bool
send_some(int fd, const char *p, size_t len)
{
	for (size_t off = 0; off < len; off += 65536) {
		size_t n = len - off < 65536 ? len - off : 65536;

		if (send(fd, p + off, n, MSG_NOSIGNAL) != (ssize_t)n)
			return false;
		pump_once(0);
		pump_once(0);
	}
	return true;
}

START_TEST(t_uid_bytes)
{
	size_t part = ICC_REQ_MAX - 1;	/* all but the last byte */
	char *pad;
	int a, b, c;

	ck_assert_ptr_nonnull(pad = malloc(ICC_REQ_MAX));
	memset(pad, ' ', ICC_REQ_MAX);
	memcpy(pad, "{\"cmd\":\"list\"}", 14);
	open_fake();
	/* Two nearly whole 2 MiB frames of one uid: the second goes past
	 * CONTROL_UID_BYTES and is refused with an error, then closed. */
	a = connect_as(1000);
	b = connect_as(1000);
	send_hdr(a, ICC_REQ_MAX, CTL_VERSION, CTL_REQUEST);
	ck_assert(send_some(a, pad, part));
	send_hdr(b, ICC_REQ_MAX, CTL_VERSION, CTL_REQUEST);
	(void)send_some(b, pad, part);
	expect_refused_close(b, "request: over the buffer limit of one user "
	    "(4 MiB)");
	/* Another uid is not held back by uid 1000's bytes. */
	c = connect_as(1001);
	send_hdr(c, ICC_REQ_MAX, CTL_VERSION, CTL_REQUEST);
	ck_assert(send_some(c, pad, ICC_REQ_MAX));
	json_decref(get_reply(c));
	/* And a finishes its frame and is answered. */
	send_bytes(a, pad + part, ICC_REQ_MAX - part);
	json_decref(get_reply(a));
	free(pad);
	close(a);
	close(b);
	close(c);
}
END_TEST

/*
 * A client that began a frame and stalls is dropped after
 * CONTROL_FRAME_TIMEOUT, without a reply; an idle one between frames
 * keeps its connection (CONTROL_IDLE_TIMEOUT).
 */
START_TEST(t_frame_timeout)
{
	long deadline;
	int stalled, idle;

	open_fake();
	fake_uid = 1000;
	idle = connect_as(1000);
	stalled = connect_as(1000);
	send_hdr(stalled, 100, CTL_VERSION, CTL_REQUEST);
	send_bytes(stalled, "{\"cmd\":", 7);
	deadline = now_ms() + (CONTROL_FRAME_TIMEOUT + 3) * 1000L;
	while (!fd_ready(stalled, POLLIN) && now_ms() < deadline)
		pump_once(100);
	expect_eof(stalled);
	ck_assert_int_eq(calls, 0);
	ck_assert_uint_eq(control_clients(ctl), 1);
	served(idle);
	close(stalled);
	close(idle);
}
END_TEST

Suite *
control_limits_suite(void)
{
	Suite *s = suite_create("control_limits");
	TCase *tc;

	/* Its peer is a forked child: see "wire-fork" in check_proto.c. */
	tc = tcase_create("socket-fork");
	tcase_set_tags(tc, "fork");
	tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
	tcase_add_test(tc, t_may_write_other_uid);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
	tcase_add_test(tc, t_socket_mode);
	tcase_add_test(tc, t_live_and_stale_socket);
	tcase_add_test(tc, t_not_a_socket);
	tcase_add_test(tc, t_may_write_root_only);
	tcase_add_test(tc, t_may_write_group);
	tcase_add_test(tc, t_too_many_clients);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_uid_connections);
	tcase_add_test(tc, t_root_reserved);
	tcase_add_test(tc, t_uid_bytes);
	tcase_add_test(tc, t_frame_timeout);
	suite_add_tcase(s, tc);
	return s;
}
