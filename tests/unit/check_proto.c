/*
 * check_proto.c: the control protocol's framing over socketpairs and
 * pipes: exact bytes on the wire, every header check, truncation, bad
 * payloads, short reads and writes, EINTR on both sides, and the socket
 * path.  Tests that fork or take signals rely on Check's fork mode only
 * for isolation; they also pass with CK_FORK=no.
 *
 * Truncation: EOF between frames is ECONNRESET; EOF inside a header or a
 * payload is EPROTO (see proto.c).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int sv[2];

static void
pair_open(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void
pair_close(void)
{
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	sv[0] = sv[1] = -1;
}

/* raw_frame: write a hand-made header and payload to fd. */
static void
raw_frame(int fd, uint32_t len, uint16_t version, uint16_t type,
    const void *payload, size_t plen)
{
	struct ctl_hdr h;

	h.len = htonl(len);
	h.version = htons(version);
	h.type = htons(type);
	ck_assert_int_eq(write(fd, &h, sizeof(h)), (ssize_t)sizeof(h));
	if (plen > 0)
		ck_assert_int_eq(write(fd, payload, plen), (ssize_t)plen);
}

/* read_err: ctl_read on sv[1] must fail with errno `want`. */
static void
read_err(uint16_t type, size_t max, int want)
{
	json_t *o;
	int err;

	errno = 0;
	o = ctl_read(sv[1], type, max);
	err = errno;
	ck_assert_ptr_null(o);
	ck_assert_msg(err == want, "errno %d (%s), not %d (%s)", err,
	    strerror(err), want, strerror(want));
}

/* pending: the bytes still unread on sv[1] (no wait) must be `want`. */
static void
pending(const char *want)
{
	char buf[64];
	ssize_t n;

	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	if (*want == '\0') {
		ck_assert_int_eq(n, -1);
		return;
	}
	ck_assert_int_eq(n, (ssize_t)strlen(want));
	ck_assert_mem_eq(buf, want, (size_t)n);
}

START_TEST(t_hdr_size)
{
	ck_assert_uint_eq(sizeof(struct ctl_hdr), 8);
}
END_TEST

START_TEST(t_socket_path)
{
	const char *opt = "/nonexistent/opt.sock";

	ck_assert_int_eq(unsetenv(ICC_SOCKET_ENV), 0);
	ck_assert_str_eq(ctl_socket_path(NULL), "/run/iccd/iccd.sock");
	ck_assert_ptr_eq(ctl_socket_path(opt), opt);

	ck_assert_int_eq(setenv(ICC_SOCKET_ENV, "/nonexistent/env.sock", 1), 0);
	ck_assert_str_eq(ctl_socket_path(NULL), "/nonexistent/env.sock");
	ck_assert_ptr_eq(ctl_socket_path(opt), opt);
	/* An option wins even when empty: it is "not NULL". */
	ck_assert_str_eq(ctl_socket_path(""), "");

	ck_assert_int_eq(setenv(ICC_SOCKET_ENV, "", 1), 0);
	ck_assert_str_eq(ctl_socket_path(NULL), ICC_SOCKET);
	ck_assert_int_eq(unsetenv(ICC_SOCKET_ENV), 0);
	ck_assert_str_eq(ctl_socket_path(NULL), ICC_SOCKET);
}
END_TEST

/* The exact bytes: header in network byte order, compact JSON. */
START_TEST(t_wire)
{
	static const char want[] =
	    "\0\0\0\x19" "\0\x01" "\0\x02" "{\"ok\":true,\"n\":[1,\"a b\"]}";
	json_t *o = json_pack("{s:b, s:[i,s]}", "ok", 1, "n", 1, "a b");
	char buf[64];

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(ctl_write(sv[0], CTL_REPLY, o), 0);
	json_decref(o);
	close(sv[0]);
	sv[0] = -1;
	ck_assert_int_eq(read(sv[1], buf, sizeof(buf)), sizeof(want) - 1);
	ck_assert_mem_eq(buf, want, sizeof(want) - 1);
	ck_assert_int_eq(read(sv[1], buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(t_roundtrip)
{
	json_t *req, *rep, *got;

	req = json_pack("{s:s, s:s, s:[s,s], s:{s:s}, s:i, s:n, s:s}",
	    "cmd", "start", "name", "web", "expose", "80/tcp", "53/udp",
	    "env", "K", "a=b c", "n", -3, "none", "utf8", "\xc3\xa9t\xc3\xa9");
	rep = json_pack("{s:b, s:s}", "ok", 0, "error", "expose: bad");
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_nonnull(rep);

	/* Two requests back to back, then a reply the other way. */
	ck_assert_int_eq(ctl_write(sv[0], CTL_REQUEST, req), 0);
	ck_assert_int_eq(ctl_write(sv[0], CTL_REQUEST, rep), 0);
	got = ctl_read(sv[1], CTL_REQUEST, ICC_REQ_MAX);
	ck_assert_ptr_nonnull(got);
	ck_assert(json_equal(got, req));
	json_decref(got);
	got = ctl_read(sv[1], CTL_REQUEST, ICC_REQ_MAX);
	ck_assert_ptr_nonnull(got);
	ck_assert(json_equal(got, rep));
	json_decref(got);

	ck_assert_int_eq(ctl_write(sv[1], CTL_REPLY, rep), 0);
	got = ctl_read(sv[0], CTL_REPLY, ICC_REPLY_MAX);
	ck_assert_ptr_nonnull(got);
	ck_assert(json_equal(got, rep));
	json_decref(got);
	pending("");

	json_decref(req);
	json_decref(rep);
}
END_TEST

/* Pipes are not sockets: ctl_write falls back from send(2) to write(2). */
START_TEST(t_pipe)
{
	json_t *o = json_pack("{s:s}", "cmd", "ping"), *got;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ctl_write(p[1], CTL_REQUEST, o), 0);
	got = ctl_read(p[0], CTL_REQUEST, ICC_REQ_MAX);
	ck_assert_ptr_nonnull(got);
	ck_assert(json_equal(got, o));
	json_decref(got);
	json_decref(o);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(t_write_not_object)
{
	json_t *o = json_pack("[i]", 1);
	int rv, err;

	rv = ctl_write(sv[0], CTL_REQUEST, o);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EINVAL);
	json_decref(o);
	rv = ctl_write(sv[0], CTL_REQUEST, NULL);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EINVAL);
	pending("");
}
END_TEST

/* A peer that hung up is EPIPE, not a SIGPIPE that kills the daemon. */
START_TEST(t_write_epipe)
{
	json_t *o = json_object();
	int rv, err;

	close(sv[1]);
	sv[1] = -1;
	rv = ctl_write(sv[0], CTL_REPLY, o);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EPIPE);
	json_decref(o);
}
END_TEST

START_TEST(t_write_ebadf)
{
	json_t *o = json_object(), *got;
	int rv, err;

	rv = ctl_write(-1, CTL_REPLY, o);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EBADF);
	json_decref(o);
	errno = 0;
	got = ctl_read(-1, CTL_REPLY, ICC_REPLY_MAX);
	err = errno;
	ck_assert_ptr_null(got);
	ck_assert_int_eq(err, EBADF);
}
END_TEST

/*
 * A frame far larger than the socket buffer, written by a child while the
 * parent reads: both sides go through short writes and short reads.
 */
START_TEST(t_large)
{
	size_t n = 3u << 20;
	char *big = malloc(n + 1);
	json_t *o, *got;
	pid_t pid;
	int status;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	big[n] = '\0';
	o = json_pack("{s:s}", "blob", big);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0)
		_exit(ctl_write(sv[0], CTL_REPLY, o) == 0 ? 0 : 1);
	got = ctl_read(sv[1], CTL_REPLY, ICC_REPLY_MAX);
	ck_assert_ptr_nonnull(got);
	ck_assert(json_equal(got, o));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	json_decref(got);
	json_decref(o);
	free(big);
}
END_TEST

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/*
 * A signal without SA_RESTART interrupts ctl_read in the middle of a
 * payload; it must carry on, not fail with EINTR.
 */
START_TEST(t_eintr)
{
	struct sigaction sa;
	struct itimerval it = { .it_value = { 0, 50000 } };
	json_t *got;
	pid_t pid;
	int status;

	alarms = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		raw_frame(sv[0], 8, CTL_VERSION, CTL_REQUEST, "{\"a\"", 4);
		usleep(300000);
		_exit(write(sv[0], ":[]}", 4) == 4 ? 0 : 1);
	}
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	got = ctl_read(sv[1], CTL_REQUEST, ICC_REQ_MAX);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(alarms, 1);
	ck_assert(json_is_array(json_object_get(got, "a")));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	json_decref(got);
}
END_TEST

/* fill: send to fd until its buffer is full; returns the bytes sent. */
static size_t
fill(int fd)
{
	static const char junk[4096];
	size_t total = 0, chunk = sizeof(junk);
	ssize_t n;

	while (chunk > 0) {
		n = send(fd, junk, chunk, MSG_DONTWAIT);
		if (n > 0)
			total += (size_t)n;
		else if (n == -1 && errno == EAGAIN)
			chunk /= 2;
		else
			ck_abort_msg("send: %s", strerror(errno));
	}
	return total;
}

/* drain: read and drop exactly n bytes; 0 on success. */
static int
drain(int fd, size_t n)
{
	char buf[4096];
	ssize_t r;

	while (n > 0) {
		r = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (r <= 0)
			return -1;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * The same for ctl_write: with the socket buffer already full, the header
 * send(2) blocks with nothing sent, and the signal makes it fail with EINTR.
 */
START_TEST(t_eintr_write)
{
	struct sigaction sa;
	struct itimerval it = { .it_value = { 0, 50000 } };
	json_t *o = json_pack("{s:s}", "cmd", "ping"), *got;
	size_t filled;
	pid_t pid;
	int status, ok;

	alarms = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	filled = fill(sv[0]);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		usleep(300000);
		ok = drain(sv[1], filled) == 0 &&
		    (got = ctl_read(sv[1], CTL_REQUEST, ICC_REQ_MAX)) != NULL &&
		    json_equal(got, o);
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(ctl_write(sv[0], CTL_REQUEST, o), 0);
	ck_assert_int_eq(alarms, 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	json_decref(o);
}
END_TEST

START_TEST(t_frame_check)
{
	struct ctl_hdr h;
	int err;
	long rv;

	h.len = htonl(2);
	h.version = htons(CTL_VERSION);
	h.type = htons(CTL_REQUEST);
	ck_assert_int_eq(ctl_frame_check(&h, CTL_REQUEST, 2), 2);
	ck_assert_int_eq(ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX), 2);
	h.len = htonl(0);
	ck_assert_int_eq(ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX), 0);
	h.len = htonl(ICC_REQ_MAX);
	ck_assert_int_eq(ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX),
	    ICC_REQ_MAX);
	/* The largest length there is, where a long holds it. */
	h.len = htonl(0xffffffff);
	if (sizeof(long) > 4)
		ck_assert_int_eq(ctl_frame_check(&h, CTL_REQUEST, (size_t)-1),
		    0xffffffffL);

	h.len = htonl(ICC_REQ_MAX + 1);
	rv = ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EMSGSIZE);

	/* Version is checked before length: another protocol, not too long. */
	h.version = htons(2);
	rv = ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EPROTO);

	h.len = htonl(2);
	h.version = htons(CTL_VERSION);
	rv = ctl_frame_check(&h, CTL_REPLY, ICC_REQ_MAX);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EPROTO);
	h.type = htons(0);
	rv = ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EPROTO);
}
END_TEST

/* Byte order: version 1 sent in host order is version 256 on the wire. */
START_TEST(t_frame_byte_order)
{
	struct ctl_hdr h = { .len = 2, .version = 1, .type = 1 };
	long rv;
	int err;

	if (htons(1) == 1)
		return;		/* big-endian: host order is network order */
	rv = ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EPROTO);
}
END_TEST

/* Bad headers fail before the payload is read: it stays in the socket. */
START_TEST(t_read_oversize)
{
	raw_frame(sv[0], ICC_REQ_MAX + 1, CTL_VERSION, CTL_REQUEST, "{}", 2);
	read_err(CTL_REQUEST, ICC_REQ_MAX, EMSGSIZE);
	pending("{}");
}
END_TEST

START_TEST(t_read_max)
{
	json_t *got;

	raw_frame(sv[0], 2, CTL_VERSION, CTL_REQUEST, "{}", 2);
	got = ctl_read(sv[1], CTL_REQUEST, 2);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(json_object_size(got), 0);
	json_decref(got);
	raw_frame(sv[0], 2, CTL_VERSION, CTL_REQUEST, "{}", 2);
	read_err(CTL_REQUEST, 1, EMSGSIZE);
	pending("{}");
}
END_TEST

START_TEST(t_read_version)
{
	raw_frame(sv[0], 2, 2, CTL_REQUEST, "{}", 2);
	read_err(CTL_REQUEST, ICC_REQ_MAX, EPROTO);
	pending("{}");
	raw_frame(sv[0], 2, 0, CTL_REQUEST, "{}", 2);
	read_err(CTL_REQUEST, ICC_REQ_MAX, EPROTO);
	pending("{}");
}
END_TEST

START_TEST(t_read_type)
{
	raw_frame(sv[0], 2, CTL_VERSION, CTL_REPLY, "{}", 2);
	read_err(CTL_REQUEST, ICC_REQ_MAX, EPROTO);
	pending("{}");
	raw_frame(sv[0], 2, CTL_VERSION, CTL_REQUEST, "{}", 2);
	read_err(CTL_REPLY, ICC_REPLY_MAX, EPROTO);
	pending("{}");
}
END_TEST

START_TEST(t_read_eof)
{
	close(sv[0]);
	sv[0] = -1;
	read_err(CTL_REQUEST, ICC_REQ_MAX, ECONNRESET);
}
END_TEST

START_TEST(t_read_eof_header)
{
	ck_assert_int_eq(write(sv[0], "\0\0\0\x02\0", 5), 5);
	close(sv[0]);
	sv[0] = -1;
	read_err(CTL_REQUEST, ICC_REQ_MAX, EPROTO);
}
END_TEST

START_TEST(t_read_eof_payload)
{
	raw_frame(sv[0], 10, CTL_VERSION, CTL_REQUEST, "{\"a\"", 4);
	close(sv[0]);
	sv[0] = -1;
	read_err(CTL_REQUEST, ICC_REQ_MAX, EPROTO);
}
END_TEST

/* EOF right after a good frame: the frame, then ECONNRESET. */
START_TEST(t_read_eof_after)
{
	json_t *o = json_object(), *got;

	ck_assert_int_eq(ctl_write(sv[0], CTL_REQUEST, o), 0);
	close(sv[0]);
	sv[0] = -1;
	got = ctl_read(sv[1], CTL_REQUEST, ICC_REQ_MAX);
	ck_assert_ptr_nonnull(got);
	json_decref(got);
	json_decref(o);
	read_err(CTL_REQUEST, ICC_REQ_MAX, ECONNRESET);
}
END_TEST

struct payload {
	const char	*p;
	size_t		 len;
};

#define PL(s)	{ s, sizeof(s) - 1 }

/* Payloads that are not one JSON object: EPROTO, frame consumed. */
static const struct payload bad_payloads[] = {
	PL(""),
	PL("[1]"),
	PL("1"),
	PL("\"s\""),
	PL("null"),
	PL("true"),
	PL("{"),
	PL("{\"a\":1,}"),
	PL("{'a':1}"),
	PL("{\"a\":1,\"a\":2}"),	/* duplicate key */
	PL("{\"a\":1}\0"),		/* raw NUL */
	PL("{}\0{}"),
	PL("{\"a\":\"\0\"}"),
	PL("{\"a\":\"\\u0000\"}"),	/* escaped NUL: jansson refuses */
	PL("{\"a\":\"\xff\"}"),		/* not UTF-8 */
	PL("{\"a\":\"\xc3\"}"),		/* truncated UTF-8 */
	PL("{} {}"),
	PL("{}x"),
	PL("\xef\xbb\xbf{}"),		/* byte order mark */
};

START_TEST(t_read_bad_payload)
{
	const struct payload *b = &bad_payloads[_i];

	raw_frame(sv[0], (uint32_t)b->len, CTL_VERSION, CTL_REQUEST, b->p,
	    b->len);
	ck_assert_int_eq(write(sv[0], "END", 3), 3);
	read_err(CTL_REQUEST, ICC_REQ_MAX, EPROTO);
	pending("END");
}
END_TEST

/* Payloads that are one JSON object, with the key count expected. */
static const struct payload good_payloads[] = {
	PL("{}"),
	PL(" \n{}\t "),
	PL("{\"a\":[1,2,{\"b\":null}]}"),
	PL("{\"a\":1,\"b\":{\"a\":2}}"),	/* same key, other object */
	PL("{\"\xc3\xa9\":\"\\u00e9\"}"),
};

START_TEST(t_read_good_payload)
{
	const struct payload *g = &good_payloads[_i];
	json_t *got;

	raw_frame(sv[0], (uint32_t)g->len, CTL_VERSION, CTL_REQUEST, g->p,
	    g->len);
	got = ctl_read(sv[1], CTL_REQUEST, ICC_REQ_MAX);
	ck_assert_ptr_nonnull(got);
	ck_assert(json_is_object(got));
	json_decref(got);
	pending("");
}
END_TEST

Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("api");
	tcase_add_test(tc, t_hdr_size);
	tcase_add_test(tc, t_socket_path);
	tcase_add_test(tc, t_frame_check);
	tcase_add_test(tc, t_frame_byte_order);
	suite_add_tcase(s, tc);

	/* Tests whose peer is a forked child: tagged "fork", so that the
	 * run under valgrind (CK_FORK=no, where the child's exit would
	 * also report the test's own memory) can leave them out. */
	tc = tcase_create("wire-fork");
	tcase_set_tags(tc, "fork");
	tcase_add_checked_fixture(tc, pair_open, pair_close);
	tcase_add_test(tc, t_large);
	tcase_add_test(tc, t_eintr);
	tcase_add_test(tc, t_eintr_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("wire");
	tcase_add_checked_fixture(tc, pair_open, pair_close);
	tcase_add_test(tc, t_wire);
	tcase_add_test(tc, t_roundtrip);
	tcase_add_test(tc, t_pipe);
	tcase_add_test(tc, t_write_not_object);
	tcase_add_test(tc, t_write_epipe);
	tcase_add_test(tc, t_write_ebadf);
	tcase_add_test(tc, t_read_oversize);
	tcase_add_test(tc, t_read_max);
	tcase_add_test(tc, t_read_version);
	tcase_add_test(tc, t_read_type);
	tcase_add_test(tc, t_read_eof);
	tcase_add_test(tc, t_read_eof_header);
	tcase_add_test(tc, t_read_eof_payload);
	tcase_add_test(tc, t_read_eof_after);
	tcase_add_loop_test(tc, t_read_bad_payload, 0, NELEM(bad_payloads));
	tcase_add_loop_test(tc, t_read_good_payload, 0, NELEM(good_payloads));
	suite_add_tcase(s, tc);
	return s;
}
