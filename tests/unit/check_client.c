/*
 * check_client.c: the one client call (client.h) against a real unix
 * socket served by a forked peer that answers well, refuses, answers half
 * a frame, or never answers; and the messages codec (msg.h): the start
 * request's exact JSON, a container reply decoded, a bad reply refused
 * with the field named.  No test measures time: a timeout is judged by
 * the kind of failure and its line.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "msg.h"
#include "proto.h"
#include "suites.h"

static char dir[64], path[128];
static int lfd = -1;

static void
sock_open(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(dir, sizeof(dir), "/tmp/iccd-client-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_ne(lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
}

static void
sock_close(void)
{
	if (lfd != -1)
		close(lfd);
	lfd = -1;
	unlink(path);
	rmdir(dir);
}

/* drain: read fd until EOF (the client hung up). */
static void
drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * serve: fork a peer that accepts one connection and, `n` times, reads a
 * request frame (it must equal want when want is not NULL) and writes the
 * `len` bytes of out; then reads until the client hangs up.  Its exit
 * status says whether the requests were as expected.
 */
static pid_t
serve(int n, const json_t *want, const void *out, size_t len)
{
	json_t *got;
	pid_t pid;
	int fd, ok = 1;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid != 0)
		return pid;
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	while (n-- > 0) {
		if ((got = ctl_read(fd, CTL_REQUEST, ICC_REQ_MAX)) == NULL)
			_exit(3);
		ok = ok && (want == NULL || json_equal(got, want));
		json_decref(got);
		if (write(fd, out, len) != (ssize_t)len)
			_exit(4);
	}
	drain(fd);
	_exit(ok ? 0 : 1);
}

static void
served(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "peer: status %d", status);
}

/* frame: a reply frame carrying text, into buf; returns its length. */
static size_t
frame(char *buf, size_t size, const char *text)
{
	struct ctl_hdr h;
	size_t n = strlen(text);

	ck_assert_uint_le(sizeof(h) + n, size);
	h.len = htonl((uint32_t)n);
	h.version = htons(CTL_VERSION);
	h.type = htons(CTL_REPLY);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), text, n);
	return sizeof(h) + n;
}

static json_t *
list_req(void)
{
	json_t *req = msg_request("list", NULL);

	ck_assert_ptr_nonnull(req);
	return req;
}

/* ---- the call --------------------------------------------------------- */

/* A good reply is returned; two calls share one connection. */
START_TEST(t_call_ok)
{
	struct ctl_client c;
	char buf[128];
	json_t *req = list_req(), *rep;
	pid_t pid;

	pid = serve(2, req, buf, frame(buf, sizeof(buf),
	    "{\"ok\":true,\"containers\":[]}"));
	ctl_init(&c, path, 5000);
	for (int i = 0; i < 2; i++) {
		rep = ctl_call(&c, req);
		ck_assert_msg(rep != NULL, "call %d: %s", i, c.err);
		ck_assert_int_eq(c.fail, CTL_OK);
		ck_assert(json_is_array(json_object_get(rep, "containers")));
		json_decref(rep);
	}
	ctl_close(&c);
	served(pid);
	json_decref(req);
}
END_TEST

/* A refusal: iccd's own line, the connection kept for the next call. */
START_TEST(t_call_refused)
{
	struct ctl_client c;
	char buf[128];
	json_t *req = msg_request("stop", "db");
	pid_t pid;

	pid = serve(1, req, buf, frame(buf, sizeof(buf),
	    "{\"ok\":false,\"error\":\"name: no such container\"}"));
	ctl_init(&c, path, 5000);
	ck_assert_ptr_null(ctl_call(&c, req));
	ck_assert_int_eq(c.fail, CTL_FAIL_REFUSED);
	ck_assert_str_eq(c.err, "name: no such container");
	ck_assert_int_ne(c.fd, -1);
	ctl_close(&c);
	served(pid);
	json_decref(req);
}
END_TEST

static void
expect_timeout(const void *out, size_t len)
{
	struct ctl_client c;
	char want[256];
	json_t *req = list_req();
	pid_t pid;

	pid = serve(1, req, out, len);
	ctl_init(&c, path, 200);
	ck_assert_ptr_null(ctl_call(&c, req));
	ck_assert_int_eq(c.fail, CTL_FAIL_TIMEOUT);
	snprintf(want, sizeof(want), "iccd at %s: reply: no answer within "
	    "200 ms", path);
	ck_assert_str_eq(c.err, want);
	ck_assert_int_eq(c.fd, -1);	/* closed: the peer sees EOF */
	served(pid);
	json_decref(req);
}

/* A peer that reads the request and never answers. */
START_TEST(t_call_silent_peer)
{
	expect_timeout("", 0);
}
END_TEST

/* A peer that stops in the middle of the payload, or of the header. */
START_TEST(t_call_half_frame)
{
	char buf[128];
	size_t n = frame(buf, sizeof(buf), "{\"ok\":true,\"pad\":\"xxxx\"}");

	expect_timeout(buf, n / 2);
	sock_close();
	sock_open();
	expect_timeout(buf, 3);
}
END_TEST

/* Nobody accepts (the backlog holds the connection): a timeout too. */
START_TEST(t_call_never_accepted)
{
	struct ctl_client c;
	json_t *req = list_req();

	ctl_init(&c, path, 1000);
	ck_assert_ptr_null(ctl_call(&c, req));
	ck_assert_int_eq(c.fail, CTL_FAIL_TIMEOUT);
	ck_assert_msg(strstr(c.err, ": no answer within 1 s") != NULL,
	    "%s", c.err);
	json_decref(req);
}
END_TEST

/*
 * Every slot of the backlog taken (a daemon with no free connection):
 * connect(2) itself waits, and the timeout ends it.
 */
START_TEST(t_call_backlog_full)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_client c;
	char want[256];
	json_t *req = list_req();
	int fds[16], n = 0;

	ck_assert_int_eq(listen(lfd, 0), 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (; n < 16; n++) {
		fds[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_assert_int_ne(fds[n], -1);
		if (connect(fds[n], (struct sockaddr *)&sun, sizeof(sun)) ==
		    -1) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
	}
	ck_assert_int_lt(n, 16);
	ctl_init(&c, path, 200);
	ck_assert_ptr_null(ctl_call(&c, req));
	ck_assert_int_eq(c.fail, CTL_FAIL_TIMEOUT);
	snprintf(want, sizeof(want), "iccd at %s: connect: no answer within "
	    "200 ms", path);
	ck_assert_str_eq(c.err, want);
	for (int i = 0; i <= n; i++)
		close(fds[i]);
	json_decref(req);
}
END_TEST

/* Replies that break the protocol; a peer that hangs up. */
START_TEST(t_call_bad_replies)
{
	static const struct {
		const char	*text;
		enum ctl_fail	 fail;
		const char	*tail;
	} cases[] = {
		{ "{\"containers\":[]}", CTL_FAIL_PROTO,
		    "reply: ok: missing or not true or false" },
		{ "[1]", CTL_FAIL_PROTO, "reply: not a JSON object" },
		{ NULL, CTL_FAIL_IO, "reply: connection closed" },
	};
	struct ctl_client c;
	char buf[128], want[256];
	json_t *req = list_req();
	size_t n;
	pid_t pid;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = cases[i].text ? frame(buf, sizeof(buf), cases[i].text) : 0;
		if (cases[i].text == NULL) {
			/* accept, then hang up without a word */
			ck_assert_int_ne(pid = fork(), -1);
			if (pid == 0) {
				int fd = accept(lfd, NULL, NULL);

				json_decref(ctl_read(fd, CTL_REQUEST,
				    ICC_REQ_MAX));
				_exit(fd == -1);
			}
		} else
			pid = serve(1, req, buf, n);
		ctl_init(&c, path, 5000);
		ck_assert_ptr_null(ctl_call(&c, req));
		ck_assert_int_eq(c.fail, cases[i].fail);
		snprintf(want, sizeof(want), "iccd at %s: %s", path,
		    cases[i].tail);
		ck_assert_str_eq(c.err, want);
		ctl_close(&c);
		served(pid);
	}
	json_decref(req);
}
END_TEST

/* A request iccd would refuse is not sent; no socket is needed. */
START_TEST(t_call_invalid)
{
	struct ctl_client c;
	json_t *req = json_pack("{s:s,s:s}", "cmd", "stop", "nmae", "db");

	ctl_init(&c, "/nonexistent/iccd.sock", 1000);
	ck_assert_ptr_null(ctl_call(&c, req));
	ck_assert_int_eq(c.fail, CTL_FAIL_INVALID);
	ck_assert_msg(strstr(c.err, "nmae") != NULL, "%s", c.err);
	json_decref(req);
}
END_TEST

/* No socket, or a path too long for one. */
START_TEST(t_call_unreachable)
{
	struct ctl_client c;
	char longp[200];
	json_t *req = list_req();

	ctl_init(&c, "/nonexistent/iccd.sock", 1000);
	ck_assert_ptr_null(ctl_call(&c, req));
	ck_assert_int_eq(c.fail, CTL_FAIL_CONNECT);
	ck_assert_str_eq(c.err, "cannot reach iccd at /nonexistent/iccd.sock: "
	    "No such file or directory");
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ctl_init(&c, longp, 0);
	ck_assert_ptr_null(ctl_call(&c, req));
	ck_assert_int_eq(c.fail, CTL_FAIL_PATH);
	ck_assert_str_eq(c.err, "socket: path too long (199 bytes, at most "
	    "107)");
	json_decref(req);
}
END_TEST

/* ---- the codec ------------------------------------------------------------ */

START_TEST(t_msg_start)
{
	json_t *expose = json_pack("[s,s]", "80/tcp", "53/udp");
	json_t *links = json_pack("[s]", "db:database"), *empty = json_array();
	struct msg_start s = {
		.name = "web", .bridge = "br0", .ip = "10.88.0.2",
		.ip6 = "fd88::2", .id = "ctr1", .hostname = "",
		.expose = expose, .links = links, .env = empty,
		.port = "veth1", .mac = "02:00:00:00:00:02"
	};
	json_t *req = msg_start(&s);
	char *text;

	ck_assert_ptr_nonnull(req);
	text = json_dumps(req, JSON_COMPACT);
	ck_assert_str_eq(text, "{\"cmd\":\"start\",\"name\":\"web\","
	    "\"bridge\":\"br0\",\"ip\":\"10.88.0.2\",\"ip6\":\"fd88::2\","
	    "\"id\":\"ctr1\",\"hostname\":\"\",\"expose\":[\"80/tcp\","
	    "\"53/udp\"],\"links\":[\"db:database\"],\"port\":\"veth1\","
	    "\"mac\":\"02:00:00:00:00:02\"}");
	free(text);
	json_decref(req);
	/* Only what is given: NULL fields and empty arrays are left out. */
	memset(&s, 0, sizeof(s));
	s.name = "db";
	req = msg_start(&s);
	text = json_dumps(req, JSON_COMPACT);
	ck_assert_str_eq(text, "{\"cmd\":\"start\",\"name\":\"db\"}");
	free(text);
	json_decref(req);
	json_decref(expose);
	json_decref(links);
	json_decref(empty);
}
END_TEST

/* A list reply as daemon.c writes it. */
#define CTR_DB	"{\"name\":\"db\",\"running\":false,\"started\":false," \
	"\"bridge\":\"\",\"ip\":\"0.0.0.0\",\"id\":\"\",\"hostname\":\"\"," \
	"\"expose\":[],\"expose_from\":[],\"env\":[]}"
#define CTR_WEB	"{\"name\":\"web\",\"running\":true,\"started\":true," \
	"\"bridge\":\"br0\",\"ip\":\"10.88.0.2\",\"id\":\"ctr1\"," \
	"\"hostname\":\"w\",\"expose\":[\"80/tcp\"],\"expose_from\":" \
	"[\"a.rules:3\"],\"env\":[\"A=1\"],\"ip6\":\"fd88::2\"," \
	"\"port\":\"veth1\",\"mac\":\"02:00:00:00:00:02\",\"binding\":" \
	"\"bound\",\"future\":1}"

START_TEST(t_msg_decode)
{
	json_t *list = json_loads("{\"ok\":true,\"containers\":[" CTR_DB ","
	    CTR_WEB "]}", 0, NULL);
	struct msg_container c;
	struct in6_addr a6;
	char err[256];

	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(msg_list_find(list, "web", &c, err, sizeof(err)), 1);
	ck_assert_str_eq(c.name, "web");
	ck_assert_str_eq(c.id, "ctr1");
	ck_assert(c.running && c.started);
	ck_assert_str_eq(c.bridge, "br0");
	ck_assert_str_eq(c.ip, "10.88.0.2");
	ck_assert_uint_eq(c.ip4.s_addr, inet_addr("10.88.0.2"));
	ck_assert(c.has_ip6);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd88::2", &a6), 1);
	ck_assert_int_eq(memcmp(&a6, &c.ip6, sizeof(a6)), 0);
	ck_assert_str_eq(c.hostname, "w");
	ck_assert_str_eq(json_string_value(json_array_get(c.expose, 0)),
	    "80/tcp");
	ck_assert_str_eq(json_string_value(json_array_get(c.expose_from, 0)),
	    "a.rules:3");
	ck_assert_str_eq(json_string_value(json_array_get(c.env, 0)), "A=1");
	ck_assert_str_eq(c.port, "veth1");
	ck_assert_str_eq(c.mac, "02:00:00:00:00:02");
	ck_assert_str_eq(c.binding, "bound");
	ck_assert_int_eq(msg_list_find(list, "db", &c, err, sizeof(err)), 1);
	ck_assert(!c.running && !c.started && !c.has_ip6);
	ck_assert_str_eq(c.port, "");
	ck_assert_str_eq(c.binding, "");
	ck_assert_str_eq(c.bridge, "");
	ck_assert_int_eq(msg_list_find(list, "cache", &c, err, sizeof(err)),
	    0);
	json_decref(list);
}
END_TEST

START_TEST(t_msg_decode_bad)
{
	static const struct {
		const char	*list;
		const char	*err;
	} cases[] = {
		{ "{\"ok\":true}", "containers: missing or not an array" },
		{ "{\"containers\":[1]}", "containers[0]: not an object" },
		{ "{\"containers\":[{\"id\":\"x\"}]}",
		    "containers[0].name: missing or not a string" },
		{ "{\"containers\":[" CTR_DB ",{\"name\":\"web\",\"ip\":"
		    "\"10.88.0.300\"}]}",
		    "containers[1].ip: not an IPv4 address" },
		{ "{\"containers\":[{\"name\":\"web\",\"ip6\":\"10.0.0.1\"}]}",
		    "containers[0].ip6: not an IPv6 address" },
		{ "{\"containers\":[{\"name\":\"web\",\"running\":\"yes\"}]}",
		    "containers[0].running: not true or false" },
		{ "{\"containers\":[{\"name\":\"web\",\"env\":[\"A=1\",2]}]}",
		    "containers[0].env[1]: not a string" },
		{ "{\"containers\":[{\"name\":\"web\",\"bridge\":"
		    "\"0123456789abcdefX\"}]}",
		    "containers[0].bridge: longer than 15 bytes" },
		{ "{\"containers\":[{\"name\":\"web\",\"expose\":[\"80/tcp\"],"
		    "\"expose_from\":[]}]}",
		    "containers[0].expose_from: 0 entries for 1 in expose" },
	};
	struct msg_container c;
	char err[256];
	json_t *list;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		list = json_loads(cases[i].list, 0, NULL);
		ck_assert_msg(list != NULL, "case %zu: bad JSON", i);
		ck_assert_int_eq(msg_list_find(list, "web", &c, err,
		    sizeof(err)), -1);
		ck_assert_str_eq(err, cases[i].err);
		json_decref(list);
	}
}
END_TEST

Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("call");

	tcase_add_checked_fixture(tc, sock_open, sock_close);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_call_ok);
	tcase_add_test(tc, t_call_refused);
	tcase_add_test(tc, t_call_silent_peer);
	tcase_add_test(tc, t_call_half_frame);
	tcase_add_test(tc, t_call_never_accepted);
	tcase_add_test(tc, t_call_backlog_full);
	tcase_add_test(tc, t_call_bad_replies);
	tcase_add_test(tc, t_call_invalid);
	tcase_add_test(tc, t_call_unreachable);
	suite_add_tcase(s, tc);
	tc = tcase_create("msg");
	tcase_add_test(tc, t_msg_start);
	tcase_add_test(tc, t_msg_decode);
	tcase_add_test(tc, t_msg_decode_bad);
	suite_add_tcase(s, tc);
	return s;
}
