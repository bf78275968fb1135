/*
 * check_control.c: the control socket (control.c) driven directly, as
 * iccd's main loop does, on a socket in a temporary directory, with a
 * fake handler instead of the daemon: framing both ways, several requests
 * on one connection, frames arriving in pieces, every bad frame (error
 * reply, then the connection is closed).  check_control_limits.c: the
 * socket's mode, who may change state, and the client limits; both use
 * control_fixture.c.
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
#include "control_fixture.h"

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
	ck_assert(!fd_ready(fd, POLLIN));
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

/* What the round function saw: the calls count when it ran, and how
 * often it ran. */
static int round_calls_seen, rounds;

/*
 * fake_round: as iccd's group commit: runs after the round's requests,
 * before their replies are serialised; when it "fails", it turns the
 * held replies into errors, as iccd does for a group that could not be
 * made durable.
 */
static void
fake_round(void *arg)
{
	(void)arg;
	rounds++;
	round_calls_seen = calls;
}

START_TEST(t_round_runs_once_before_the_replies)
{
	int a, b;
	json_t *rep;

	open_ctl((gid_t)-1);
	control_on_round(ctl, fake_round, NULL);
	rounds = round_calls_seen = 0;
	a = client_connect();
	b = client_connect();
	pump_clients(2);
	/* Both requests are queued before the server's next round (a unix
	 * socket's send returns once the bytes are in the peer's queue):
	 * one round answers both, its function ran once, after both. */
	send_frame(a, "{\"cmd\":\"status\",\"x\":1}");
	send_frame(b, "{\"cmd\":\"status\",\"x\":2}");
	pump_once(PUMP_MS);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(rounds, 1);
	ck_assert_int_eq(round_calls_seen, 2);
	rep = get_reply(a);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	rep = get_reply(b);
	ck_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	/* A round without a request does not call it. */
	pump_quiet(a, QUIET_MS);
	ck_assert_int_eq(rounds, 1);
	close(a);
	close(b);
}
END_TEST

/* Connections waiting together are accepted in one round, so that their
 * requests are read (and committed) together in the next; at most
 * CONTROL_ACCEPT_ROUND of them, so that a flood cannot hold the loop. */
START_TEST(t_accepts_several_per_round)
{
	int fd[CONTROL_ACCEPT_ROUND + 2];
	size_t n = sizeof(fd) / sizeof(fd[0]);

	open_ctl((gid_t)-1);
	for (size_t i = 0; i < n; i++)
		fd[i] = client_connect();
	pump_once(PUMP_MS);
	ck_assert_uint_eq(control_clients(ctl), CONTROL_ACCEPT_ROUND);
	pump_once(PUMP_MS);
	ck_assert_uint_eq(control_clients(ctl), n);
	for (size_t i = 0; i < n; i++)
		close(fd[i]);
}
END_TEST

/* The replies holding_handler gave, for fake_round_fail. */
static json_t *held[4];
static int nheld;

static json_t *
holding_handler(const json_t *req, bool may_write,
    const struct peer_cred *who, void *arg)
{
	json_t *rep = fake_handler(req, may_write, who, arg);

	if (nheld < 4)
		held[nheld++] = json_incref(rep);
	return rep;
}

/* fake_round_fail: the group "failed": every held reply is an error. */
static void
fake_round_fail(void *arg)
{
	(void)arg;
	rounds++;
	for (int i = 0; i < nheld; i++) {
		json_object_set_new(held[i], "ok", json_false());
		json_object_set_new(held[i], "error", json_string("group"));
		json_decref(held[i]);
	}
	nheld = 0;
}

START_TEST(t_round_may_turn_replies_into_errors)
{
	json_t *rep;
	int fd;

	ctl = control_open(ctl_path, (gid_t)-1, holding_handler, NULL);
	ck_assert_ptr_nonnull(ctl);
	control_on_round(ctl, fake_round_fail, NULL);
	rounds = nheld = 0;
	fd = client_connect();
	send_frame(fd, "{\"cmd\":\"status\"}");
	rep = get_reply(fd);
	ck_assert_int_eq(rounds, 1);
	ck_assert(json_is_false(json_object_get(rep, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(rep, "error")),
	    "group");
	json_decref(rep);
	close(fd);
}
END_TEST

Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc;

	tc = tcase_create("framing");
	tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
	tcase_add_test(tc, t_round_trip);
	tcase_add_test(tc, t_two_requests_one_write);
	tcase_add_test(tc, t_round_runs_once_before_the_replies);
	tcase_add_test(tc, t_accepts_several_per_round);
	tcase_add_test(tc, t_round_may_turn_replies_into_errors);
	tcase_add_test(tc, t_partial_frame);
	tcase_add_test(tc, t_close_mid_frame);
	tcase_add_test(tc, t_client_gone_before_reply);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad frames");
	tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
	tcase_add_test(tc, t_oversized_header);
	tcase_add_test(tc, t_max_header_accepted);
	tcase_add_test(tc, t_empty_payload);
	tcase_add_test(tc, t_wrong_version);
	tcase_add_test(tc, t_wrong_type);
	tcase_add_loop_test(tc, t_malformed_json, 0,
	    sizeof(bad_payloads) / sizeof(bad_payloads[0]));
	tcase_add_test(tc, t_bad_client_leaves_others_alone);
	suite_add_tcase(s, tc);

	return s;
}
