/*
 * check_control.c: the control socket (control.c) driven directly, as
 * iccd's main loop does, on a socket in a temporary directory, with a
 * fake handler instead of the daemon: framing both ways, several requests
 * on one connection, frames arriving in pieces, every bad frame (error
 * reply, then the connection is closed), the socket's mode, who may
 * change state, and the client limit.
 *
 * The client side is the test itself, on ordinary blocking sockets; the
 * server side only runs inside pump(), so the order of events is exact.
 *
 * Who may change state (may_write): root, or a peer whose primary or
 * supplementary groups include the --group gid.  The tests run as any
 * user: may_write must be true exactly when the test runs as root (no
 * group), and true for anyone when the group is the test's own gid.  The
 * cases that need another uid (a peer that is neither root nor in the
 * group) fork a child that drops to nobody: they run only as root and
 * return early otherwise.
 *
 * Per-uid limits: control_set_peer gives each new client the uid in
 * fake_uid, so the limits of one user, of all users and root's reserved
 * slots are tested as any user.
 *
 * Not tested here: the CONTROL_TIMEOUT (30 s) drop of a client that does
 * not read its reply.
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

#define PUMP_MS		2000	/* longest wait for something that must come */
#define QUIET_MS	150	/* how long nothing must happen */

static char dir[64];		/* the temporary directory */
static char rundir[96];		/* dir/run, which control_open creates */
static char path[128];		/* dir/run/ctl.sock */
static struct control *ctl;

/* What the fake handler saw. */
static int calls;
static bool last_may_write;
static json_t *last_req;

/*
 * fake_handler: answers {"ok": true, "n": call number, "may_write": ...,
 * "echo": the request}, so a test sees which request an answer is for.
 */
static json_t *
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

static void
rm_rf(const char *p)
{
	char cmd[128];

	/* Test cleanup only: the path is our own mkdtemp result. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	ck_assert_int_eq(system(cmd), 0);
}

static void
open_ctl(gid_t group)
{
	ctl = control_open(path, group, fake_handler, NULL);
	ck_assert_msg(ctl != NULL, "control_open %s: %s", path,
	    strerror(errno));
}

/* The uid the next client accepted gets (with fake_peer). */
static uid_t fake_uid;

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
static void
open_fake(void)
{
	open_ctl(getegid());
	control_set_peer(ctl, fake_peer, NULL);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/iccd-control-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(rundir, sizeof(rundir), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/ctl.sock", rundir);
	calls = 0;
	last_may_write = false;
	last_req = NULL;
	ctl = NULL;
}

static void
teardown(void)
{
	control_close(ctl);
	ctl = NULL;
	json_decref(last_req);
	last_req = NULL;
	rm_rf(dir);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pump_once: one round of iccd's main loop, waiting up to ms. */
static void
pump_once(int ms)
{
	struct pollfd pfd[1 + CONTROL_MAX_CLIENTS];
	size_t n = control_pollfds(ctl, pfd);

	ck_assert_int_ge(poll(pfd, n, ms), 0);
	control_dispatch(ctl, pfd, n);
}

/* ready: fd has `events` now (POLLIN also reports EOF). */
static bool
ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 && (p.revents & (events | POLLHUP));
}

/* pump_until: run the server until fd is readable; false after ms. */
static bool
pump_until(int fd, int ms)
{
	long deadline = now_ms() + ms;

	while (!ready(fd, POLLIN)) {
		if (now_ms() > deadline)
			return false;
		pump_once(10);
	}
	return true;
}

/* pump_quiet: run the server for ms; nothing may reach fd meanwhile. */
static void
pump_quiet(int fd, int ms)
{
	long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		pump_once(10);
		ck_assert_msg(!ready(fd, POLLIN),
		    "the server answered (or closed) an incomplete frame");
	}
}

/* pump_clients: run the server until it has n clients (or fail). */
static void
pump_clients(size_t n)
{
	long deadline = now_ms() + PUMP_MS;

	while (control_clients(ctl) != n && now_ms() < deadline)
		pump_once(10);
	ck_assert_uint_eq(control_clients(ctl), n);
}

/* pump_calls: run the server until the handler was called n times. */
static void
pump_calls(int n)
{
	long deadline = now_ms() + PUMP_MS;

	while (calls < n && now_ms() < deadline)
		pump_once(10);
	ck_assert_int_eq(calls, n);
}

static int
client_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "connect %s: %s", path, strerror(errno));
	return fd;
}

static void
send_bytes(int fd, const void *p, size_t len)
{
	ck_assert_int_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void
send_hdr(int fd, uint32_t len, uint16_t version, uint16_t type)
{
	struct ctl_hdr h = { htonl(len), htons(version), htons(type) };

	send_bytes(fd, &h, sizeof(h));
}

/* send_frame: a well-formed request frame carrying text. */
static void
send_frame(int fd, const char *text)
{
	send_hdr(fd, (uint32_t)strlen(text), CTL_VERSION, CTL_REQUEST);
	send_bytes(fd, text, strlen(text));
}

/* get_reply: pump until a reply arrives on fd and return it. */
static json_t *
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
static void
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
static void
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

/* ---- framing ------------------------------------------------------------ */

START_TEST(t_round_trip)
{
	struct ctl_hdr h;
	char payload[512];
	json_t *rep, *want;
	uint32_t len;
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	send_frame(fd, "{\"cmd\":\"list\",\"x\":[1,\"\\u00e9\"]}");
	ck_assert(pump_until(fd, PUMP_MS));
	/* The exact reply frame: header in network byte order, compact
	 * JSON payload, nothing after it. */
	ck_assert_int_eq(read(fd, &h, sizeof(h)), (ssize_t)sizeof(h));
	ck_assert_uint_eq(ntohs(h.version), CTL_VERSION);
	ck_assert_uint_eq(ntohs(h.type), CTL_REPLY);
	len = ntohl(h.len);
	ck_assert_uint_lt(len, sizeof(payload));
	ck_assert_int_eq(read(fd, payload, len), (ssize_t)len);
	ck_assert(!ready(fd, POLLIN));
	rep = json_loadb(payload, len, 0, NULL);
	ck_assert_ptr_nonnull(rep);
	want = json_pack("{s:s,s:[i,s]}", "cmd", "list", "x", 1, "\xc3\xa9");
	ck_assert(json_equal(json_object_get(rep, "echo"), want));
	ck_assert(json_equal(last_req, want));
	ck_assert_int_eq(calls, 1);
	json_decref(want);
	json_decref(rep);
	/* The connection stays open for more requests. */
	pump_quiet(fd, QUIET_MS);
	ck_assert_uint_eq(control_clients(ctl), 1);
	close(fd);
	pump_clients(0);
}
END_TEST

START_TEST(t_two_requests_one_write)
{
	char two[256];
	json_t *rep;
	int fd, n;

	open_ctl((gid_t)-1);
	fd = client_connect();
	/* Both frames in one write: the second must not be lost or merged
	 * while the first is answered. */
	n = 0;
	for (int i = 1; i <= 2; i++) {
		char text[64];
		struct ctl_hdr h;

		snprintf(text, sizeof(text), "{\"cmd\":\"status\",\"i\":%d}", i);
		h.len = htonl((uint32_t)strlen(text));
		h.version = htons(CTL_VERSION);
		h.type = htons(CTL_REQUEST);
		memcpy(two + n, &h, sizeof(h));
		memcpy(two + n + sizeof(h), text, strlen(text));
		n += (int)(sizeof(h) + strlen(text));
	}
	send_bytes(fd, two, (size_t)n);
	for (int i = 1; i <= 2; i++) {
		rep = get_reply(fd);
		ck_assert_int_eq(json_integer_value(json_object_get(rep, "n")),
		    i);
		ck_assert_int_eq(json_integer_value(json_object_get(
		    json_object_get(rep, "echo"), "i")), i);
		json_decref(rep);
	}
	ck_assert_int_eq(calls, 2);
	/* And a third, later, on the same connection. */
	send_frame(fd, "{\"cmd\":\"list\"}");
	rep = get_reply(fd);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "n")), 3);
	json_decref(rep);
	close(fd);
}
END_TEST

START_TEST(t_partial_frame)
{
	const char *text = "{\"cmd\":\"list\",\"pad\":\"0123456789\"}";
	size_t len = strlen(text), half = len / 2;
	struct ctl_hdr h = { htonl((uint32_t)len), htons(CTL_VERSION),
	    htons(CTL_REQUEST) };
	json_t *rep;
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	/* Three bytes of the header, then the rest of it and half the
	 * payload, then the rest: no answer until the frame is whole. */
	send_bytes(fd, &h, 3);
	pump_quiet(fd, QUIET_MS);
	send_bytes(fd, (const char *)&h + 3, sizeof(h) - 3);
	send_bytes(fd, text, half);
	pump_quiet(fd, QUIET_MS);
	ck_assert_int_eq(calls, 0);
	send_bytes(fd, text + half, len - half);
	rep = get_reply(fd);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep,
	    "echo"), "pad")), "0123456789");
	ck_assert_int_eq(calls, 1);
	json_decref(rep);
	close(fd);
}
END_TEST

START_TEST(t_close_mid_frame)
{
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	send_hdr(fd, 100, CTL_VERSION, CTL_REQUEST);
	send_bytes(fd, "{\"cmd\":", 7);
	pump_clients(1);
	close(fd);
	/* Dropped without a request reaching the handler. */
	pump_clients(0);
	ck_assert_int_eq(calls, 0);
}
END_TEST

START_TEST(t_client_gone_before_reply)
{
	struct sigaction sa;
	int fd;

	/* iccd ignores SIGPIPE, but control.c must not rely on it: a client
	 * that leaves before reading its reply must never kill the process
	 * that embeds the control socket. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	ck_assert_int_eq(sigaction(SIGPIPE, &sa, NULL), 0);
	open_ctl((gid_t)-1);
	fd = client_connect();
	send_frame(fd, "{\"cmd\":\"list\"}");
	close(fd);
	pump_calls(1);
	pump_clients(0);
	/* Still serving. */
	fd = client_connect();
	send_frame(fd, "{\"cmd\":\"list\"}");
	json_decref(get_reply(fd));
	close(fd);
}
END_TEST

/* ---- bad frames: an error reply, then the connection is closed ---------- */

START_TEST(t_oversized_header)
{
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	/* Only the header: the server must not wait for 2 MiB first. */
	send_hdr(fd, ICC_REQ_MAX + 1, CTL_VERSION, CTL_REQUEST);
	expect_error_close(fd, "too large");
	close(fd);
}
END_TEST

START_TEST(t_max_header_accepted)
{
	json_t *rep;
	char *text;
	int fd;

	/* Exactly ICC_REQ_MAX bytes is allowed: a JSON object padded with
	 * blanks to the limit. */
	open_ctl((gid_t)-1);
	ck_assert_ptr_nonnull(text = malloc(ICC_REQ_MAX));
	memset(text, ' ', ICC_REQ_MAX);
	memcpy(text, "{\"cmd\":\"list\"}", 14);
	fd = client_connect();
	send_hdr(fd, ICC_REQ_MAX, CTL_VERSION, CTL_REQUEST);
	/* The server reads as it can while the test writes: feed it in
	 * pieces that fit the socket buffer, pumping in between. */
	for (size_t off = 0; off < ICC_REQ_MAX; off += 65536) {
		size_t n = ICC_REQ_MAX - off < 65536 ? ICC_REQ_MAX - off : 65536;

		send_bytes(fd, text + off, n);
		pump_once(0);
		pump_once(0);
	}
	free(text);
	rep = get_reply(fd);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	close(fd);
}
END_TEST

START_TEST(t_empty_payload)
{
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	send_hdr(fd, 0, CTL_VERSION, CTL_REQUEST);
	expect_error_close(fd, "empty payload");
	close(fd);
}
END_TEST

START_TEST(t_wrong_version)
{
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	send_hdr(fd, 2, CTL_VERSION + 1, CTL_REQUEST);
	send_bytes(fd, "{}", 2);
	expect_error_close(fd, "bad frame header");
	close(fd);
}
END_TEST

START_TEST(t_wrong_type)
{
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	send_hdr(fd, 2, CTL_VERSION, CTL_REPLY);
	send_bytes(fd, "{}", 2);
	expect_error_close(fd, "bad frame header");
	close(fd);
}
END_TEST

static const struct {
	const char	*bytes;
	size_t		 len;
} bad_payloads[] = {
	{ "{\"cmd\":", 7 },			/* cut short */
	{ "{\"cmd\":\"list\"}}", 15 },		/* trailing garbage */
	{ "[\"cmd\",\"list\"]", 14 },		/* an array, not an object */
	{ "\"list\"", 6 },			/* a string */
	{ "42", 2 },				/* a number */
	{ "{\"cmd\":\"li\0st\"}", 15 },		/* a NUL byte inside a string */
	{ "{\"cmd\":\"list\"}\0", 15 },		/* a NUL byte after it */
	{ "{\"cmd\":\"li\\u0000st\"}", 20 },	/* an escaped NUL */
	{ "{\"cmd\":\"\xff\xfe\"}", 11 },		/* not UTF-8 */
	{ "{\"cmd\":\"list\",\"cmd\":\"rm\"}", 25 },	/* duplicate key */
};

START_TEST(t_malformed_json)
{
	int fd;

	open_ctl((gid_t)-1);
	fd = client_connect();
	send_hdr(fd, (uint32_t)bad_payloads[_i].len, CTL_VERSION, CTL_REQUEST);
	send_bytes(fd, bad_payloads[_i].bytes, bad_payloads[_i].len);
	expect_error_close(fd, "malformed JSON");
	close(fd);
}
END_TEST

START_TEST(t_bad_client_leaves_others_alone)
{
	json_t *rep;
	int good, bad;

	open_ctl((gid_t)-1);
	good = client_connect();
	bad = client_connect();
	pump_clients(2);
	send_hdr(bad, 0xffffffffu, CTL_VERSION, CTL_REQUEST);
	send_frame(good, "{\"cmd\":\"status\"}");
	rep = get_reply(good);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	json_decref(get_reply(bad));
	expect_eof(bad);
	pump_clients(1);
	close(bad);
	close(good);
}
END_TEST

/* ---- the socket and its permissions ------------------------------------- */

START_TEST(t_socket_mode)
{
	struct stat st;

	open_ctl(getegid());
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	if (geteuid() == 0) {
		ck_assert_uint_eq(st.st_uid, 0);
		ck_assert_uint_eq(st.st_gid, getegid());
	}
	control_close(ctl);
	ctl = NULL;
	ck_assert_int_eq(lstat(path, &st), -1);
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
	second = control_open(path, (gid_t)-1, fake_handler, NULL);
	ck_assert_ptr_null(second);
	ck_assert_int_eq(errno, EADDRINUSE);
	control_close(ctl);
	ctl = NULL;
	/* A stale one (its owner died without unlinking it) is replaced. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
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

	ck_assert_int_eq(mkdir(rundir, 0700), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	errno = 0;
	ck_assert_ptr_null(control_open(path, (gid_t)-1, fake_handler, NULL));
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
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(chmod(rundir, 0755), 0);
	ck_assert_int_eq(chmod(path, 0666), 0);
	calls = 0;
	if ((pid = fork()) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		struct ctl_hdr h = { htonl((uint32_t)strlen(text)),
		    htons(CTL_VERSION), htons(CTL_REQUEST) };
		json_t *rep;
		int fd;

		/* No ck_assert here: the child reports by exit status. */
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
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
	ctl = control_open(path, 65534, fake_handler, NULL);
	ck_assert_ptr_nonnull(ctl);
	ck_assert(peer_may_write(65534, &other, 1));
	/* No group at all: only root. */
	control_close(ctl);
	ctl = control_open(path, (gid_t)-1, fake_handler, NULL);
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
	while (!ready(stalled, POLLIN) && now_ms() < deadline)
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
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc;

	tc = tcase_create("framing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_round_trip);
	tcase_add_test(tc, t_two_requests_one_write);
	tcase_add_test(tc, t_partial_frame);
	tcase_add_test(tc, t_close_mid_frame);
	tcase_add_test(tc, t_client_gone_before_reply);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad frames");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_oversized_header);
	tcase_add_test(tc, t_max_header_accepted);
	tcase_add_test(tc, t_empty_payload);
	tcase_add_test(tc, t_wrong_version);
	tcase_add_test(tc, t_wrong_type);
	tcase_add_loop_test(tc, t_malformed_json, 0,
	    sizeof(bad_payloads) / sizeof(bad_payloads[0]));
	tcase_add_test(tc, t_bad_client_leaves_others_alone);
	suite_add_tcase(s, tc);

	/* Its peer is a forked child: see "wire-fork" in check_proto.c. */
	tc = tcase_create("socket-fork");
	tcase_set_tags(tc, "fork");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_may_write_other_uid);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_socket_mode);
	tcase_add_test(tc, t_live_and_stale_socket);
	tcase_add_test(tc, t_not_a_socket);
	tcase_add_test(tc, t_may_write_root_only);
	tcase_add_test(tc, t_may_write_group);
	tcase_add_test(tc, t_too_many_clients);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_uid_connections);
	tcase_add_test(tc, t_root_reserved);
	tcase_add_test(tc, t_uid_bytes);
	tcase_add_test(tc, t_frame_timeout);
	suite_add_tcase(s, tc);
	return s;
}
