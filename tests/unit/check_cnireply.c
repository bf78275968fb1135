/*
 * check_cnireply.c: the icc CNI plugin's messages (cnireply.c): the iccd
 * request built from a configuration, the ADD result, how CHECK and DEL
 * read iccd's replies, the error object and the VERSION reply.  Every
 * rejection is checked for its exact CNI error code and details line;
 * every success for its exact output.
 */
#include <stdlib.h>
#include <string.h>

#include "cni_fixture.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- the request and the result ------------------------------------------ */

START_TEST(test_start_request)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", NULL);
	json_t *want, *req, *d = base();
	struct cni_err err;
	struct cni_conf c;

	set(d, "runtimeConfig.icc.expose", "[\"8080\",\"53/udp\"]");
	set(d, "runtimeConfig.icc.env", "[\"A=1\"]");
	set(d, "runtimeConfig.icc.hostname", "\"web.local\"");
	parsed(d, &e, &c);
	req = cni_start_request(&c, &e, &err);
	ck_assert_ptr_nonnull(req);
	want = json_loads("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":"
	    "\"br0\",\"ip\":\"10.88.0.101\",\"id\":\"ctr1\",\"ip6\":"
	    "\"fd88::101\",\"hostname\":\"web.local\",\"expose\":[\"8080\","
	    "\"53/udp\"],\"links\":[\"db:aliasdb\"],\"env\":[\"A=1\"],"
	    "\"port\":\"veth0699\",\"mac\":\"72:cb:bc:d9:37:89\"}", 0, NULL);
	ck_assert(json_equal(req, want));
	json_decref(want);
	json_decref(req);
	cni_conf_clear(&c);

	/* Without options: only the identity. */
	d = base();
	set(d, "runtimeConfig", NULL);
	set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"10.88.0.7/24\"}]");
	parsed(d, &e, &c);
	req = cni_start_request(&c, &e, &err);
	want = json_loads("{\"cmd\":\"start\",\"name\":\"ctr1\",\"bridge\":"
	    "\"br0\",\"ip\":\"10.88.0.7\",\"id\":\"ctr1\",\"port\":"
	    "\"veth0699\",\"mac\":\"72:cb:bc:d9:37:89\"}", 0, NULL);
	ck_assert(json_equal(req, want));
	json_decref(want);
	json_decref(req);
	cni_conf_clear(&c);

	/* No MAC for the sandbox interface: not bound, no port. */
	d = base();
	set(d, "runtimeConfig", NULL);
	set(d, "prevResult.interfaces", "[{\"name\":\"br0\"},{\"name\":"
	    "\"veth0699\"},{\"name\":\"eth0\",\"sandbox\":\"/n\"}]");
	set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"10.88.0.7/24\"}]");
	parsed(d, &e, &c);
	req = cni_start_request(&c, &e, &err);
	want = json_loads("{\"cmd\":\"start\",\"name\":\"ctr1\",\"bridge\":"
	    "\"br0\",\"ip\":\"10.88.0.7\",\"id\":\"ctr1\"}", 0, NULL);
	ck_assert(json_equal(req, want));
	json_decref(want);
	json_decref(req);
	cni_conf_clear(&c);
}
END_TEST

/* What only iccd's validator sees: the options together. */
START_TEST(test_start_request_refused)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", NULL);
	struct cni_err err;
	struct cni_conf c;
	json_t *d = base();

	set(d, "runtimeConfig.icc.links", "[\"web\"]");
	parsed(d, &e, &c);
	ck_assert_ptr_null(cni_start_request(&c, &e, &err));
	ck_assert_int_eq(err.code, CNI_ERR_CONFIG);
	ck_assert_str_eq(err.details, "runtimeConfig.icc: link: web: a "
	    "container cannot link to itself");
	cni_conf_clear(&c);

	d = base();
	set(d, "runtimeConfig", NULL);
	set(d, "args", "{\"icc\":{\"links\":[\"db:x\",\"cache:x\"]}}");
	parsed(d, &e, &c);
	ck_assert_ptr_null(cni_start_request(&c, &e, &err));
	ck_assert_str_eq(err.details, "args.icc: link: cache:x: alias already "
	    "used for another source");
	cni_conf_clear(&c);
}
END_TEST

START_TEST(test_add_result)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", NULL);
	json_t *res, *want, *d = base();
	struct cni_conf c;

	set(d, "cniVersion", "\"0.4.0\"");
	set(d, "prevResult.cniVersion", NULL);
	parsed(d, &e, &c);
	res = cni_add_result(&c);
	want = json_loads(PREV, 0, NULL);
	json_object_set_new(want, "cniVersion", json_string("0.4.0"));
	ck_assert(json_equal(res, want));
	json_decref(res);
	json_decref(want);
	cni_conf_clear(&c);
}
END_TEST

/* ---- CHECK and DEL ------------------------------------------------------- */

#define LIST_WEB(id, running, bridge, ip, ip6) \
	"{\"ok\":true,\"bridges\":[],\"links\":[],\"containers\":[" \
	"{\"name\":\"db\",\"id\":\"ctr0\",\"running\":true,\"bridge\":" \
	"\"br0\",\"ip\":\"10.88.0.100\"}," \
	"{\"name\":\"web\",\"id\":\"" id "\",\"running\":" running "," \
	"\"bridge\":\"" bridge "\",\"ip\":\"" ip "\"" ip6 "}]}"

struct checkcase {
	const char	*list;
	int		 code;
	const char	*details;
};

static const struct checkcase checkcases[] = {
	{ LIST_WEB("ctr1", "true", "br0", "10.88.0.101",
	    ",\"ip6\":\"fd88:0::101\""), 0, NULL },
	{ "{\"ok\":true}", CNI_ERR_ICCD, "list: iccd's reply has no "
	    "containers" },
	{ "{\"ok\":true,\"containers\":[]}", CNI_ERR_CHECK, "name: iccd has "
	    "no container \"web\"" },
	{ LIST_WEB("ctr9", "true", "br0", "10.88.0.101", ""), CNI_ERR_CHECK,
	    "id: iccd's \"web\" is container \"ctr9\", not \"ctr1\"" },
	{ LIST_WEB("ctr1", "false", "br0", "10.88.0.101", ""), CNI_ERR_CHECK,
	    "running: iccd has \"web\" stopped" },
	{ LIST_WEB("ctr1", "true", "br1", "10.88.0.101", ""), CNI_ERR_CHECK,
	    "bridge: iccd has \"web\" on br1, prevResult on br0" },
	{ LIST_WEB("ctr1", "true", "br0", "10.88.0.102", ""), CNI_ERR_CHECK,
	    "ip: iccd has \"web\" at 10.88.0.102, prevResult at 10.88.0.101" },
	{ LIST_WEB("ctr1", "true", "br0", "10.88.0.101", ""), CNI_ERR_CHECK,
	    "ip6: iccd has \"web\" at none, prevResult at fd88::101" },
	{ LIST_WEB("ctr1", "true", "br0", "10.88.0.101",
	    ",\"ip6\":\"fd88::102\""), CNI_ERR_CHECK,
	    "ip6: iccd has \"web\" at fd88::102, prevResult at fd88::101" },
};

START_TEST(test_check_list)
{
	const struct checkcase *k = &checkcases[_i];
	struct cni_env e = env_for(CNI_CHECK, "ctr1", NULL);
	json_t *list = json_loads(k->list, 0, NULL);
	struct cni_err err = { 0 };
	struct cni_conf c;
	int rv;

	ck_assert_ptr_nonnull(list);
	parsed(base(), &e, &c);
	rv = cni_check_list(list, &c, &e, &err);
	if (k->code == 0)
		ck_assert_msg(rv == 0, "case %d: %s", _i, err.details);
	else {
		ck_assert_msg(rv == -1, "case %d: passed", _i);
		ck_assert_int_eq(err.code, k->code);
		ck_assert_str_eq(err.details, k->details);
	}
	json_decref(list);
	cni_conf_clear(&c);
}
END_TEST

/* iccd has an IPv6 address that prevResult does not. */
START_TEST(test_check_list_extra_ip6)
{
	struct cni_env e = env_for(CNI_CHECK, "ctr1", NULL);
	json_t *list = json_loads(LIST_WEB("ctr1", "true", "br0",
	    "10.88.0.101", ",\"ip6\":\"fd88::101\""), 0, NULL);
	struct cni_err err;
	struct cni_conf c;
	json_t *d = base();

	set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"10.88.0.101/24\"}]");
	parsed(d, &e, &c);
	ck_assert_int_eq(cni_check_list(list, &c, &e, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_CHECK);
	ck_assert_str_eq(err.details, "ip6: iccd has \"web\" at fd88::101, "
	    "prevResult at none");
	json_decref(list);
	cni_conf_clear(&c);
}
END_TEST

START_TEST(test_check_status)
{
	struct cni_err err;
	json_t *s;

	s = json_loads("{\"ok\":true,\"table\":\"icc\",\"present\":true,"
	    "\"matches\":true,\"missing\":0,\"extra\":0}", 0, NULL);
	ck_assert_int_eq(cni_check_status(s, &err), 0);
	json_decref(s);
	s = json_loads("{\"ok\":true,\"table\":\"icc\",\"present\":true,"
	    "\"matches\":false,\"missing\":1,\"extra\":2}", 0, NULL);
	ck_assert_int_eq(cni_check_status(s, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_CHECK);
	ck_assert_str_eq(err.details, "table: inet icc differs from iccd's "
	    "model: 1 elements missing, 2 extra");
	json_decref(s);
	s = json_loads("{\"ok\":true,\"table\":\"icc\",\"present\":false,"
	    "\"matches\":false}", 0, NULL);
	ck_assert_int_eq(cni_check_status(s, &err), -1);
	ck_assert_str_eq(err.details, "table: inet icc is missing from the "
	    "kernel");
	json_decref(s);
}
END_TEST

START_TEST(test_del_owned)
{
	json_t *list = json_loads("{\"ok\":true,\"containers\":["
	    "{\"name\":\"db\",\"id\":\"ctr0\"},{\"name\":\"byhand\"}]}", 0,
	    NULL);

	ck_assert(cni_del_owned(list, "db", "ctr0"));
	ck_assert(!cni_del_owned(list, "db", "ctr1"));	/* taken over */
	ck_assert(!cni_del_owned(list, "web", "ctr0"));	/* unknown */
	ck_assert(!cni_del_owned(list, "byhand", "ctr0"));	/* no id */
	json_decref(list);
}
END_TEST

/* ---- output -------------------------------------------------------------- */

START_TEST(test_error_json)
{
	struct cni_err err = { CNI_ERR_AGAIN, "cannot reach iccd" };
	json_t *j = cni_error_json(&err, NULL), *want;

	want = json_loads("{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":"
	    "\"Try again later\",\"details\":\"cannot reach iccd\"}", 0, NULL);
	ck_assert(json_equal(j, want));
	json_decref(j);
	json_decref(want);
	err.code = CNI_ERR_CONFIG;
	j = cni_error_json(&err, "0.4.0");
	ck_assert_str_eq(json_string_value(json_object_get(j, "cniVersion")),
	    "0.4.0");
	ck_assert_str_eq(json_string_value(json_object_get(j, "msg")),
	    "Invalid network config");
	json_decref(j);
	ck_assert_str_eq(cni_msg(CNI_ERR_VERSION), "Incompatible CNI version");
	ck_assert_str_eq(cni_msg(CNI_ERR_ENV),
	    "Invalid necessary environment variables");
	ck_assert_str_eq(cni_msg(CNI_ERR_DECODE), "Failed to decode content");
}
END_TEST

START_TEST(test_version_reply)
{
	struct cni_err err;
	char *s;
	json_t *j;

	j = cni_version_reply("", 0, &err);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert_str_eq(s, "{\"cniVersion\":\"1.0.0\",\"supportedVersions\":"
	    "[\"0.4.0\",\"1.0.0\"]}");
	free(s);
	json_decref(j);
	s = "{\"cniVersion\":\"0.4.0\"}\n";
	j = cni_version_reply(s, strlen(s), &err);
	ck_assert_str_eq(json_string_value(json_object_get(j, "cniVersion")),
	    "0.4.0");
	json_decref(j);
	ck_assert_ptr_null(cni_version_reply("{", 1, &err));
	ck_assert_int_eq(err.code, CNI_ERR_DECODE);
}
END_TEST

Suite *
cnireply_suite(void)
{
	Suite *s = suite_create("cnireply");
	TCase *tc = tcase_create("iccd");

	tcase_add_test(tc, test_start_request);
	tcase_add_test(tc, test_start_request_refused);
	tcase_add_test(tc, test_add_result);
	tcase_add_loop_test(tc, test_check_list, 0, NELEM(checkcases));
	tcase_add_test(tc, test_check_list_extra_ip6);
	tcase_add_test(tc, test_check_status);
	tcase_add_test(tc, test_del_owned);
	tcase_add_test(tc, test_error_json);
	tcase_add_test(tc, test_version_reply);
	suite_add_tcase(s, tc);
	return s;
}
