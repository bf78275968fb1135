/*
 * check_request.c: request_parse, the one gate every control request
 * passes: exact errors naming the field, refusals that leave nothing
 * behind, and the encode/parse round trip the state files rely on.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "request.h"
#include "suites.h"

/* parse_err: parse text (a JSON object) and return the error line. */
static const char *
parse_err(const char *text)
{
	static char err[512];
	struct request r;
	json_t *o = json_loads(text, 0, NULL);
	int rv;

	ck_assert_ptr_nonnull(o);
	err[0] = '\0';
	rv = request_parse(o, &r, err, sizeof(err));
	json_decref(o);
	if (rv == 0) {
		request_clear(&r);
		return "";
	}
	ck_assert_ptr_null(r.c);	/* nothing left over on failure */
	return err;
}

START_TEST(test_errors_name_the_field)
{
	static const struct { const char *in, *err; } cases[] = {
		{ "{\"cmd\":\"frob\"}", "cmd: unknown command \"frob\"" },
		{ "{\"name\":\"x\"}", "cmd: missing" },
		{ "{\"cmd\":\"stop\"}", "name: missing" },
		{ "{\"cmd\":\"stop\",\"name\":\"x\",\"ip\":\"1.2.3.4\"}",
		  "ip: unknown field for stop" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\"}",
		  "ip: missing" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"expose\":[\"0\"]}",
		  "expose: 0: port out of range 1-65535" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"expose\":\"80\"}", "expose: not a list" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"links\":[\"db\"]}",
		  "link: db: a container cannot link to itself" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"links\":[\"a:x\",\"b:x\"]}",
		  "link: b:x: alias already used for another source" },
		{ "{\"cmd\":\"bridge\",\"bridge\":\"br0\",\"icc\":\"maybe\"}",
		  "icc: expected on or off" },
		{ "{\"cmd\":\"hosts\",\"name\":\"web\",\"write\":\"rel/hosts\"}",
		  "write: not an absolute path" },
		{ "{\"cmd\":\"hosts\",\"name\":\"web\","
		  "\"write\":\"/etc/ld.so.preload\"}",
		  "write: the file must be named \"hosts\"" },
		{ "{\"cmd\":\"link\",\"name\":\"web\",\"link\":\"web:x\"}",
		  "link: web:x: a container cannot link to itself" },
		/* The port binding: both or neither, each validated. */
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"port\":\"veth1\"}",
		  "port: given without mac" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"mac\":\"02:00:00:00:00:01\"}",
		  "mac: given without port" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"port\":\"veth0123456789ab\","
		  "\"mac\":\"02:00:00:00:00:01\"}", "port: longer than 15 bytes" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"port\":\"br0\","
		  "\"mac\":\"02:00:00:00:00:01\"}", "port: is the bridge itself" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"port\":\"veth1\","
		  "\"mac\":\"ff:ff:ff:ff:ff:ff\"}",
		  "mac: a group (multicast) address" },
		{ "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
		  "\"ip\":\"10.0.0.2\",\"port\":7,"
		  "\"mac\":\"02:00:00:00:00:01\"}", "port: not a string" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(parse_err(cases[i].in), cases[i].err);
}
END_TEST

START_TEST(test_good_requests)
{
	ck_assert_str_eq(parse_err("{\"cmd\":\"hosts\",\"name\":\"web\","
	    "\"write\":\"/proc/42/root/etc/hosts\"}"), "");
	ck_assert_str_eq(parse_err("{\"cmd\":\"list\"}"), "");
	ck_assert_str_eq(parse_err("{\"cmd\":\"reload\"}"), "");
	ck_assert_str_eq(parse_err("{\"cmd\":\"unlink\",\"name\":\"web\","
	    "\"alias\":\"db\"}"), "");
}
END_TEST

START_TEST(test_start_round_trip)
{
	const char *text = "{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":"
	    "\"br0\",\"ip\":\"10.0.0.2\",\"ip6\":\"fd00::2\",\"id\":\"abc\","
	    "\"hostname\":\"h\",\"expose\":[\"3306/tcp\",\"7000-7002/udp\"],"
	    "\"links\":[\"cache:kv\"],\"env\":[\"A=b=c\"],\"port\":\"veth1\","
	    "\"mac\":\"02:42:ac:11:00:0a\"}";
	json_t *o = json_loads(text, 0, NULL), *again;
	struct request r, r2;
	char err[256], *s1, *s2;

	ck_assert_int_eq(request_parse(o, &r, err, sizeof(err)), 0);
	ck_assert(r.mutates);
	ck_assert(r.c->running);
	ck_assert(r.c->has_identity);
	ck_assert_ptr_nonnull(again = request_encode_start(r.c));
	ck_assert_int_eq(request_parse(again, &r2, err, sizeof(err)), 0);
	s1 = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	s2 = json_dumps(again, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	request_clear(&r);
	request_clear(&r2);
	json_decref(o);
	json_decref(again);
}
END_TEST

/* --expose 80 --expose 80/tcp: one port (Docker takes it too). */
START_TEST(test_start_expose_twice)
{
	json_t *o = json_loads("{\"cmd\":\"start\",\"name\":\"db\","
	    "\"bridge\":\"br0\",\"ip\":\"10.0.0.2\",\"expose\":[\"80\","
	    "\"80/tcp\",\"80/udp\"]}", 0, NULL);
	struct request r;
	char err[256];

	ck_assert_int_eq(request_parse(o, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.c->nports, 2);
	ck_assert_uint_eq(r.c->ports[1].proto, IPPROTO_UDP);
	request_clear(&r);
	json_decref(o);
}
END_TEST

Suite *
request_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_errors_name_the_field);
	tcase_add_test(tc, test_good_requests);
	tcase_add_test(tc, test_start_round_trip);
	tcase_add_test(tc, test_start_expose_twice);
	suite_add_tcase(s, tc);
	return s;
}
