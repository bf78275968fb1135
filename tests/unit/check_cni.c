/*
 * check_cni.c: the pure part of the icc CNI plugin (cniconf.c, cniprev.c):
 * the CNI_* environment, the plugin configuration and its prevResult.
 * The request and the replies are check_cnireply.c's.  Every rejection is
 * checked for its exact CNI error code and details line; every success
 * for its exact output.
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "cni_fixture.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define S10	"abcdefghij"
#define S60	S10 S10 S10 S10 S10 S10
#define ID64	S60 "wxyz"			/* longer than a name */
#define ID129	S60 S60 "012345678"		/* over ICC_ID_MAX */

/* ---- the environment ------------------------------------------------- */

struct envcase {
	const char	*vars[6];
	int		 code;		/* 0: accepted */
	const char	*details;
};

static const struct envcase envcases[] = {
	{ { NULL }, CNI_ERR_ENV, "CNI_COMMAND: missing or empty" },
	{ { "CNI_COMMAND=" }, CNI_ERR_ENV, "CNI_COMMAND: missing or empty" },
	{ { "CNI_COMMAND=GC" }, CNI_ERR_ENV,
	    "CNI_COMMAND: unknown command \"GC\"" },
	{ { "CNI_COMMAND=VERSION" }, 0, NULL },
	{ { "CNI_COMMAND=ADD", "CNI_NETNS=/n", "CNI_IFNAME=eth0" },
	    CNI_ERR_ENV, "CNI_CONTAINERID: missing or empty" },
	{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=-x", "CNI_NETNS=/n",
	    "CNI_IFNAME=eth0" }, CNI_ERR_ENV,
	    "CNI_CONTAINERID: must start with a letter or digit" },
	{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=a/b", "CNI_NETNS=/n",
	    "CNI_IFNAME=eth0" }, CNI_ERR_ENV, "CNI_CONTAINERID: bad character" },
	{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=" ID129, "CNI_NETNS=/n",
	    "CNI_IFNAME=eth0" }, CNI_ERR_ENV,
	    "CNI_CONTAINERID: longer than 128 bytes" },
	{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0" },
	    CNI_ERR_ENV, "CNI_NETNS: missing or empty" },
	{ { "CNI_COMMAND=CHECK", "CNI_CONTAINERID=c", "CNI_NETNS=",
	    "CNI_IFNAME=eth0" }, CNI_ERR_ENV, "CNI_NETNS: missing or empty" },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0" }, 0,
	    NULL },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c" }, CNI_ERR_ENV,
	    "CNI_IFNAME: missing or empty" },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0:1" },
	    CNI_ERR_ENV, "CNI_IFNAME: bad character" },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0",
	    "CNI_ARGS=IgnoreUnknown=1;FOO" }, CNI_ERR_ENV,
	    "CNI_ARGS: \"FOO\" is not KEY=VALUE" },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0",
	    "CNI_ARGS=A=1;=2" }, CNI_ERR_ENV,
	    "CNI_ARGS: \"=2\" is not KEY=VALUE" },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0",
	    "CNI_ARGS=A=1;" }, CNI_ERR_ENV, "CNI_ARGS: \"\" is not KEY=VALUE" },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0",
	    "CNI_ARGS=ICC_NAME=a;ICC_NAME=b" }, CNI_ERR_ENV,
	    "CNI_ARGS: ICC_NAME given twice" },
	{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0",
	    "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=p;ICC_NAME=db" }, 0, NULL },
};

START_TEST(test_env_cases)
{
	const struct envcase *c = &envcases[_i];
	struct cni_err err = { 0 };
	struct cni_env e;
	int rv;

	rv = cni_env_parse((char *const *)c->vars, &e, &err);
	if (c->code == 0) {
		ck_assert_msg(rv == 0, "case %d: refused: %s", _i, err.details);
		return;
	}
	ck_assert_msg(rv == -1, "case %d: accepted", _i);
	ck_assert_int_eq(err.code, c->code);
	ck_assert_str_eq(err.details, c->details);
}
END_TEST

START_TEST(test_env_values)
{
	char *vars[] = { "CNI_COMMAND=CHECK", "CNI_CONTAINERID=c.1_x-y",
	    "CNI_NETNS=/run/netns/c1", "CNI_IFNAME=net1", "CNI_NETNS=/other",
	    "CNI_ARGS=IgnoreUnknown=1;ICC_NAME=web", NULL };
	struct cni_err err = { 0 };
	struct cni_env e;

	ck_assert_int_eq(cni_env_parse(vars, &e, &err), 0);
	ck_assert_int_eq(e.cmd, CNI_CHECK);
	ck_assert_str_eq(e.containerid, "c.1_x-y");
	ck_assert_str_eq(e.netns, "/run/netns/c1");	/* the first, as getenv */
	ck_assert_str_eq(e.ifname, "net1");
	ck_assert(e.has_icc_name);
	ck_assert_str_eq(e.icc_name, "web");
}
END_TEST

/* ---- the configuration ---------------------------------------------- */

START_TEST(test_conf_ok)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", NULL);
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	struct cni_err err;
	struct cni_conf c;

	ck_assert_int_eq(parse(base(), &e, &c, &err), 0);
	ck_assert_str_eq(c.version, "1.0.0");
	ck_assert(c.addressed);
	ck_assert_str_eq(c.bridge, "br0");
	ck_assert(!c.bridge_given);
	ck_assert_str_eq(inet_ntop(AF_INET, &c.ip4, a4, sizeof(a4)),
	    "10.88.0.101");
	ck_assert(c.has_ip6);
	ck_assert_str_eq(inet_ntop(AF_INET6, &c.ip6, a6, sizeof(a6)),
	    "fd88::101");
	ck_assert_str_eq(c.name, "web");
	ck_assert_str_eq(c.name_src, "runtimeConfig.icc.name");
	ck_assert_str_eq(c.socket, "");
	cni_conf_clear(&c);
}
END_TEST

START_TEST(test_conf_decode)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", NULL);
	struct cni_err err;
	struct cni_conf c;

	ck_assert_int_eq(cni_conf_parse("{", 1, &e, &c, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_DECODE);
	ck_assert(strncmp(err.details, "config: line 1 ", 15) == 0);
	ck_assert_int_eq(cni_conf_parse("[]", 2, &e, &c, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_DECODE);
	ck_assert_str_eq(err.details, "config: not a JSON object");
	ck_assert_int_eq(cni_conf_parse("{\"a\":1,\"a\":2}", 13, &e, &c, &err),
	    -1);
	ck_assert_int_eq(err.code, CNI_ERR_DECODE);
	ck_assert_int_eq(cni_conf_parse("", 0, &e, &c, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_DECODE);
	cni_conf_clear(&c);
}
END_TEST

START_TEST(test_conf_toplevel)
{
	json_t *d;

	d = base(); set(d, "cniVersion", NULL);
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "cniVersion: missing");
	d = base(); set(d, "cniVersion", "1");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "cniVersion: not a string");
	d = base(); set(d, "cniVersion", "\"0.3.1\"");
	refused(d, CNI_DEL, CNI_ERR_VERSION, "cniVersion: \"0.3.1\" is not "
	    "supported (icc supports 0.4.0 and 1.0.0)");
	d = base(); set(d, "sokcet", "\"/run/x\"");
	refused(d, CNI_DEL, CNI_ERR_FIELD, "sokcet: unsupported field (value "
	    "\"/run/x\")");
	d = base(); set(d, "ipam", "{\"type\":\"host-local\"}");
	refused(d, CNI_ADD, CNI_ERR_FIELD, "ipam: unsupported field (value "
	    "{\"type\":\"host-local\"})");
	d = base(); set(d, "name", NULL);
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "name: missing or not a string");
	d = base(); set(d, "type", "7");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "type: missing or not a string");
	d = base(); set(d, "socket", "\"run/iccd.sock\"");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "socket: not an absolute path");
	d = base(); set(d, "socket", "\"/" S60 S60 "\"");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "socket: longer than 107 bytes");
	d = base(); set(d, "bridge", "\"br/0\"");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "bridge: bad character");
	d = base(); set(d, "bridge", "\"" S10 S10 "\"");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "bridge: longer than 15 bytes");
}
END_TEST

/* The runtime's own keys are accepted; "socket" and "bridge" are used. */
START_TEST(test_conf_keys_ok)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", NULL);
	struct cni_err err;
	struct cni_conf c;
	json_t *d = base();

	json_object_set_new(d, "cni.dev/extra", json_object());
	set(d, "capabilities", "{\"icc\":true}");
	set(d, "socket", "\"/run/x/iccd.sock\"");
	set(d, "bridge", "\"cni0\"");
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert_str_eq(c.socket, "/run/x/iccd.sock");
	ck_assert_str_eq(c.bridge, "cni0");
	ck_assert(c.bridge_given);
	cni_conf_clear(&c);
}
END_TEST

START_TEST(test_conf_prev)
{
	json_t *d;

	d = base(); set(d, "prevResult", NULL);
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult: missing (icc is "
	    "chained after an interface plugin such as bridge)");
	d = base(); set(d, "prevResult", NULL);
	refused(d, CNI_CHECK, CNI_ERR_CONFIG, "prevResult: missing (icc is "
	    "chained after an interface plugin such as bridge)");
	d = base(); set(d, "prevResult", "[]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult: not an object");
	d = base(); set(d, "prevResult.interfaces", NULL);
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.interfaces: missing "
	    "or not a list");
	d = base(); set(d, "prevResult.interfaces", "[{\"mac\":\"x\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.interfaces[0]: not an "
	    "object with a name");
	d = base(); set(d, "prevResult.interfaces", "[{\"name\":\"br0\"},"
	    "{\"name\":\"eth0\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.interfaces: no "
	    "interface \"eth0\" in a sandbox");
	d = base(); set(d, "prevResult.interfaces", "[{\"name\":\"eth1\","
	    "\"sandbox\":\"/n\"},{\"name\":\"eth0\",\"sandbox\":\"/n\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.interfaces: no host "
	    "interface to take the bridge from; set \"bridge\" in the icc "
	    "plugin config");
	d = base(); set(d, "prevResult.interfaces", "[{\"name\":\"b:r\"},"
	    "{\"name\":\"eth0\",\"sandbox\":\"/n\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.interfaces[0].name: "
	    "bad character");
	/* The port binding: a bad MAC or port name is an error. */
	d = base(); set(d, "prevResult.interfaces", "[{\"name\":\"br0\"},"
	    "{\"name\":\"veth0699\"},{\"name\":\"eth0\",\"sandbox\":\"/n\","
	    "\"mac\":\"01:00:5e:00:00:01\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.interfaces[2].mac: "
	    "a group (multicast) address");
	d = base(); set(d, "prevResult.interfaces", "[{\"name\":\"br0\"},"
	    "{\"name\":\"veth/1\"},{\"name\":\"eth0\",\"sandbox\":\"/n\","
	    "\"mac\":\"72:cb:bc:d9:37:89\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.interfaces[1].name: "
	    "bad character");
	d = base(); set(d, "prevResult.ips", NULL);
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips: missing or not "
	    "a list");
	d = base(); set(d, "prevResult.ips", "[7]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips[0]: not an "
	    "object");
	d = base(); set(d, "prevResult.ips", "[{\"interface\":2}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips[0].address: "
	    "missing or not a string");
	d = base(); set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"10.88.0.300/24\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips[0].address: not an "
	    "IPv4 address");
	d = base(); set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"10.88.0.3/33\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips[0].address: bad "
	    "prefix length");
	d = base(); set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"10.88.0.3/\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips[0].address: bad "
	    "prefix length");
	d = base(); set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"ff02::1/64\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips[0].address: "
	    "multicast address");
	d = base(); set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"10.88.0.3/24\"},{\"interface\":2,\"address\":\"10.88.0.4/24\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips[1].address: a "
	    "second IPv4 address on eth0 (iccd tracks one per family)");
	d = base(); set(d, "prevResult.ips", "[{\"interface\":2,\"address\":"
	    "\"fd88::3/64\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips: no IPv4 address "
	    "on eth0 (iccd needs one)");
	/* Only the container interface's addresses count. */
	d = base(); set(d, "prevResult.ips", "[{\"interface\":1,\"address\":"
	    "\"10.88.0.3/24\"},{\"address\":\"10.88.0.4/24\"}]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "prevResult.ips: no IPv4 address "
	    "on eth0 (iccd needs one)");
}
END_TEST

/* A 0.4.0 result ("version" in ips), another interface's addresses
 * ignored, no IPv6, and no prevResult at all on DEL. */
START_TEST(test_conf_prev_variants)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", NULL);
	char a4[INET_ADDRSTRLEN];
	struct cni_err err;
	struct cni_conf c;
	json_t *d = base();

	set(d, "cniVersion", "\"0.4.0\"");
	set(d, "prevResult.ips", "[{\"version\":\"4\",\"interface\":1,"
	    "\"address\":\"10.88.0.1/24\"},{\"version\":\"4\",\"interface\":2,"
	    "\"address\":\"10.88.0.9\"}]");
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert_str_eq(c.version, "0.4.0");
	ck_assert_str_eq(inet_ntop(AF_INET, &c.ip4, a4, sizeof(a4)),
	    "10.88.0.9");
	ck_assert(!c.has_ip6);
	cni_conf_clear(&c);

	e = env_for(CNI_DEL, "ctr1", NULL);
	d = base();
	set(d, "prevResult", NULL);
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert(!c.addressed);
	ck_assert_str_eq(c.name, "web");
	cni_conf_clear(&c);
}
END_TEST

START_TEST(test_conf_opts)
{
	json_t *d;

	d = base(); set(d, "runtimeConfig", "[]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig: not an object");
	d = base(); set(d, "args", "3");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "args: not an object");
	d = base(); set(d, "args", "{\"icc\":{}}");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc: args.icc is "
	    "given too; use one");
	d = base(); set(d, "runtimeConfig.icc", "[\"web\"]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc: not an object");
	d = base(); set(d, "runtimeConfig.icc.exposed", "[\"1/tcp\"]");
	refused(d, CNI_ADD, CNI_ERR_FIELD, "runtimeConfig.icc.exposed: "
	    "unsupported field (value [\"1/tcp\"])");
	d = base(); set(d, "runtimeConfig.icc.name", "\"-web\"");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.name: must "
	    "start with a letter or digit");
	d = base(); set(d, "runtimeConfig.icc.name", "5");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.name: not a "
	    "string");
	d = base(); set(d, "runtimeConfig.icc.hostname", "\"-h\"");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.hostname: label "
	    "starts or ends with '-'");
	d = base(); set(d, "runtimeConfig.icc.expose", "\"3306\"");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.expose: not a "
	    "list");
	d = base(); set(d, "runtimeConfig.icc.expose", "[\"80\",\"99999/tcp\"]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.expose[1]: "
	    "\"99999/tcp\": port out of range 1-65535");
	d = base(); set(d, "runtimeConfig.icc.expose", "[80]");
	refused(d, CNI_CHECK, CNI_ERR_CONFIG, "runtimeConfig.icc.expose[0]: "
	    "not a string");
	d = base(); set(d, "runtimeConfig.icc.links", "[\"a:b:c\"]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.links[0]: "
	    "\"a:b:c\": more than one ':'");
	d = base(); set(d, "runtimeConfig.icc.env", "[\"=x\"]");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.env[0]: "
	    "\"=x\": empty KEY");
	/* args.icc the same, under its own name. */
	d = base(); set(d, "runtimeConfig", NULL);
	set(d, "args", "{\"cni\":{},\"icc\":{\"expose\":[\"0\"]}}");
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "args.icc.expose[0]: \"0\": port "
	    "out of range 1-65535");
}
END_TEST

START_TEST(test_conf_opts_many)
{
	char many[(ICC_MAX_PORTS + 1) * 8 + 8];
	json_t *d = base();
	size_t n = 0;

	n += (size_t)snprintf(many, sizeof(many), "[");
	for (int i = 0; i <= ICC_MAX_PORTS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"%d\"",
		    i ? "," : "", i + 1);
	snprintf(many + n, sizeof(many) - n, "]");
	set(d, "runtimeConfig.icc.expose", many);
	refused(d, CNI_ADD, CNI_ERR_CONFIG, "runtimeConfig.icc.expose: more "
	    "than 256 entries");
}
END_TEST

/* Where the name comes from, in order; conflicts are refused. */
START_TEST(test_conf_name)
{
	struct cni_env e = env_for(CNI_ADD, "ctr1", "web");
	struct cni_err err;
	struct cni_conf c;
	json_t *d;

	ck_assert_int_eq(parse(base(), &e, &c, &err), 0);	/* same name */
	ck_assert_str_eq(c.name, "web");
	cni_conf_clear(&c);

	e = env_for(CNI_ADD, "ctr1", "db");
	ck_assert_int_eq(parse(base(), &e, &c, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_CONFIG);
	ck_assert_str_eq(err.details, "runtimeConfig.icc.name: \"web\" differs "
	    "from CNI_ARGS ICC_NAME");
	cni_conf_clear(&c);

	d = base();
	set(d, "runtimeConfig.icc.name", NULL);
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert_str_eq(c.name, "db");
	ck_assert_str_eq(c.name_src, "ICC_NAME");
	cni_conf_clear(&c);

	e = env_for(CNI_ADD, "ctr1", "d b");
	d = base();
	set(d, "runtimeConfig", NULL);
	ck_assert_int_eq(parse(d, &e, &c, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_ENV);
	ck_assert_str_eq(err.details, "CNI_ARGS: ICC_NAME: bad character");
	cni_conf_clear(&c);

	/* One byte over the limit is kept, so it is refused as too long. */
	e = env_for(CNI_ADD, "ctr1", S60 "abcd");
	d = base();
	set(d, "runtimeConfig", NULL);
	ck_assert_int_eq(parse(d, &e, &c, &err), -1);
	ck_assert_str_eq(err.details, "CNI_ARGS: ICC_NAME: longer than 63 "
	    "bytes");
	cni_conf_clear(&c);

	e = env_for(CNI_ADD, S60 "abc", NULL);		/* 63: the whole id */
	d = base();
	set(d, "runtimeConfig", NULL);
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert_str_eq(c.name, S60 "abc");
	ck_assert_str_eq(c.name_src, "CNI_CONTAINERID");
	cni_conf_clear(&c);

	e = env_for(CNI_ADD, ID64, NULL);		/* Docker's short id */
	d = base();
	set(d, "runtimeConfig", NULL);
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert_str_eq(c.name, "abcdefghijab");
	cni_conf_clear(&c);
}
END_TEST

/* DEL: per-container input that could not have been added is no error. */
START_TEST(test_conf_del_lenient)
{
	struct cni_env e = env_for(CNI_DEL, "ctr1", NULL);
	struct cni_err err;
	struct cni_conf c;
	json_t *d;

	d = base();
	set(d, "runtimeConfig.icc.name", "\"-web\"");
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert_str_eq(c.name, "");
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.details, "runtimeConfig.icc.name: must start "
	    "with a letter or digit");
	cni_conf_clear(&c);

	/* Bad options other than the name do not matter to DEL. */
	d = base();
	set(d, "runtimeConfig.icc.expose", "[\"99999\"]");
	set(d, "prevResult", "\"stale\"");
	ck_assert_int_eq(parse(d, &e, &c, &err), 0);
	ck_assert_str_eq(c.name, "web");
	cni_conf_clear(&c);

	/* A config-wide error still fails DEL. */
	d = base();
	set(d, "socket", "\"x\"");
	ck_assert_int_eq(parse(d, &e, &c, &err), -1);
	ck_assert_int_eq(err.code, CNI_ERR_CONFIG);
	cni_conf_clear(&c);
}
END_TEST

Suite *
cni_suite(void)
{
	Suite *s = suite_create("cni");
	TCase *tc = tcase_create("env");

	tcase_add_loop_test(tc, test_env_cases, 0, NELEM(envcases));
	tcase_add_test(tc, test_env_values);
	suite_add_tcase(s, tc);
	tc = tcase_create("conf");
	tcase_add_test(tc, test_conf_ok);
	tcase_add_test(tc, test_conf_decode);
	tcase_add_test(tc, test_conf_toplevel);
	tcase_add_test(tc, test_conf_keys_ok);
	tcase_add_test(tc, test_conf_prev);
	tcase_add_test(tc, test_conf_prev_variants);
	tcase_add_test(tc, test_conf_opts);
	tcase_add_test(tc, test_conf_opts_many);
	tcase_add_test(tc, test_conf_name);
	tcase_add_test(tc, test_conf_del_lenient);
	suite_add_tcase(s, tc);
	return s;
}
