/*
 * check_ocihook.c: icc-oci-hook's pure half (ociconf.c): the runtime's
 * state, config.json's annotations and hostname, the merge of the two,
 * every refusal with its exact line, and the start/stop requests, which
 * must pass request_parse as iccctl's do.  Also checks that the shipped
 * contrib/oci files are valid JSON of the right shape.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsopen.h"
#include "commalist.h"
#include "ociconf.h"
#include "request.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define CONTRIB		TESTDATA "/../../contrib/oci"

/* A state a runc createRuntime hook gets, with room for more members. */
#define ST(more)	"{\"ociVersion\":\"1.0.2-dev\",\"id\":\"ctr1\"," \
			"\"status\":\"creating\",\"pid\":42,\"bundle\":\"/b\"" \
			more "}"
/* A config.json with these annotations. */
#define CF(ann)		"{\"hostname\":\"h1\",\"annotations\":{" ann "}}"

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *v;

	if (text == NULL)
		return NULL;
	/* ALLOW_NUL: the parser's own NUL checks are under test too. */
	v = json_loads(text, JSON_ALLOW_NUL, &jerr);
	ck_assert_msg(v != NULL, "test JSON does not parse: %s: %s", text,
	    jerr.text);
	return v;
}

/* run: both parse steps, as icc-oci-hook does them. */
static int
run(const char *state, const char *config, enum oci_mode mode,
    struct oci_hook *h, char *err, size_t len)
{
	json_t *s = load(state), *c = load(config);
	int rv;

	err[0] = '\0';
	rv = oci_state_parse(s, mode, h, err, len);
	if (rv == 0)
		rv = oci_config_parse(h, c, err, len);
	json_decref(s);
	json_decref(c);
	return rv;
}

struct bad {
	const char	*state;
	const char	*config;	/* NULL: none */
	enum oci_mode	 mode;
	const char	*err;		/* the exact line */
};

static const struct bad bad_cases[] = {
	/* The state. */
	{ "[]", NULL, OCI_MODE_AUTO, "state: not a JSON object" },
	{ "{\"id\":\"a\"}", NULL, OCI_MODE_STOP, "ociVersion: missing" },
	{ "{\"ociVersion\":\"2.0.0\",\"id\":\"a\"}", NULL, OCI_MODE_STOP,
	  "ociVersion: unsupported \"2.0.0\" (this hook knows 1.x)" },
	{ "{\"ociVersion\":\"1.0.2\"}", NULL, OCI_MODE_STOP, "id: missing" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":7}", NULL, OCI_MODE_STOP,
	  "id: not a string" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\\u0000b\"}", NULL,
	  OCI_MODE_STOP, "id: contains a NUL byte" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"running\"}",
	  NULL, OCI_MODE_AUTO, "status: \"running\" is neither creating, "
	  "created nor stopped: give start or stop" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\"}", NULL, OCI_MODE_AUTO,
	  "status: missing: give start or stop" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\","
	  "\"bundle\":\"/b\"}", NULL, OCI_MODE_AUTO, "pid: missing: the "
	  "runtime must give the container's pid at createRuntime" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"pid\":-1}", NULL,
	  OCI_MODE_STOP, "pid: not a process id" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"pid\":\"1\"}", NULL,
	  OCI_MODE_STOP, "pid: not a process id" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"pid\":5}", NULL,
	  OCI_MODE_START, "bundle: missing" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"bundle\":\"b\"}", NULL,
	  OCI_MODE_STOP, "bundle: not an absolute path" },
	{ ST(",\"annotations\":[]"), NULL, OCI_MODE_AUTO,
	  "annotations: not an object" },
	/* config.json. */
	{ ST(""), "[]", OCI_MODE_AUTO, "config.json: not a JSON object" },
	{ ST(""), "{\"annotations\":\"x\"}", OCI_MODE_AUTO,
	  "annotations (config.json): not an object" },
	{ ST(""), "{\"hostname\":\"-h\"}", OCI_MODE_AUTO,
	  "hostname (config.json): label starts or ends with '-'" },
	{ ST(""), "{\"hostname\":1}", OCI_MODE_AUTO, "hostname: not a string" },
	/* Annotations. */
	{ ST(""), CF("\"io.iccd.expse\":\"80\""), OCI_MODE_AUTO,
	  "io.iccd.expse: unknown annotation" },
	{ ST(""), CF("\"io.iccd.name\":5"), OCI_MODE_AUTO,
	  "io.iccd.name: not a string" },
	{ ST(""), CF("\"io.iccd.name\":\"-db\""), OCI_MODE_AUTO,
	  "io.iccd.name: must start with a letter or digit" },
	{ "{\"ociVersion\":\"1.0.2\",\"id\":\"a+b\"}", NULL, OCI_MODE_STOP,
	  "io.iccd.name: missing, and the OCI id \"a+b\" is no valid name "
	  "(bad character)" },
	{ ST(""), CF("\"io.iccd.expose\":\"3306/tcp,,53/udp\""),
	  OCI_MODE_AUTO, "io.iccd.expose: entry 2 is empty" },
	{ ST(""), CF("\"io.iccd.expose\":\"3306/tcp,\""), OCI_MODE_AUTO,
	  "io.iccd.expose: entry 2 is empty" },
	{ ST(""), CF("\"io.iccd.expose\":\" 70000/tcp\""), OCI_MODE_AUTO,
	  "io.iccd.expose: 70000/tcp: port out of range 1-65535" },
	{ ST(""), CF("\"io.iccd.expose\":\"80/icmp\""), OCI_MODE_AUTO,
	  "io.iccd.expose: 80/icmp: unknown protocol (tcp, udp, sctp)" },
	{ ST(""), CF("\"io.iccd.links\":\"db:a:b\""), OCI_MODE_AUTO,
	  "io.iccd.links: db:a:b: more than one ':'" },
	{ ST(""), CF("\"io.iccd.links\":\"db, ctr1:me\""), OCI_MODE_AUTO,
	  "io.iccd.links: ctr1: a container cannot link to itself" },
	{ ST(""), CF("\"io.iccd.links\":\"db:x,cache:x\""), OCI_MODE_AUTO,
	  "io.iccd.links: alias \"x\" used for db and cache" },
	{ ST(""), CF("\"io.iccd.env\":\"A=1\""), OCI_MODE_AUTO,
	  "io.iccd.env: not JSON: '[' or '{' expected near 'A' (want an "
	  "array of \"KEY=VALUE\" strings)" },
	{ ST(""), CF("\"io.iccd.env\":\"{\\\"A\\\":\\\"1\\\"}\""),
	  OCI_MODE_AUTO, "io.iccd.env: not a JSON array of \"KEY=VALUE\" "
	  "strings" },
	{ ST(""), CF("\"io.iccd.env\":\"[\\\"A=1\\\",2]\""), OCI_MODE_AUTO,
	  "io.iccd.env: entry 2 is not a string" },
	{ ST(""), CF("\"io.iccd.env\":\"[\\\"=1\\\"]\""), OCI_MODE_AUTO,
	  "io.iccd.env: entry 1: empty KEY" },
	{ ST(""), CF("\"io.iccd.env\":\"[\\\"A\\\\u0000=1\\\"]\""),
	  OCI_MODE_AUTO, "io.iccd.env: not JSON: \\u0000 is not allowed "
	  "without JSON_ALLOW_NUL near '\"A\\u0000=1\"' (want an array of "
	  "\"KEY=VALUE\" strings)" },
	{ ST(""), CF("\"io.iccd.interface\":\"a/b\""), OCI_MODE_AUTO,
	  "io.iccd.interface: bad character" },
	{ ST(""), CF("\"io.iccd.host-netns\":\"run/netns/h\""),
	  OCI_MODE_AUTO, "io.iccd.host-netns: not an absolute path" },
	{ ST(""), CF("\"io.iccd.on-error\":\"maybe\""), OCI_MODE_AUTO,
	  "io.iccd.on-error: \"maybe\": want fail or warn" },
	/* The /etc/hosts bind mount. */
	{ ST(""), "{\"mounts\":{}}", OCI_MODE_AUTO,
	  "mounts (config.json): not an array" },
	{ ST(""), "{\"mounts\":[{\"destination\":\"/etc/hosts\","
	  "\"type\":\"bind\"}]}", OCI_MODE_AUTO,
	  "mounts[0].source (config.json): missing or not a string" },
	{ ST(""), "{\"mounts\":[{\"destination\":\"/etc/hosts\","
	  "\"type\":\"bind\",\"source\":\"u/hosts\"}]}", OCI_MODE_AUTO,
	  "mounts[0].source (config.json): u/hosts: not an absolute path" },
	{ ST(""), "{\"mounts\":[{\"destination\":\"/etc/hosts\","
	  "\"options\":[\"rbind\"],\"source\":\"/u/../etc/hosts\"}]}",
	  OCI_MODE_AUTO, "mounts[0].source (config.json): /u/../etc/hosts: an "
	  "empty, \".\" or \"..\" component" },
	{ ST(""), "{\"mounts\":[{\"destination\":\"/etc/hosts\","
	  "\"type\":\"bind\",\"source\":\"/u//hosts\"}]}", OCI_MODE_AUTO,
	  "mounts[0].source (config.json): /u//hosts: an empty, \".\" or "
	  "\"..\" component" },
	{ ST(""), "{\"mounts\":[{\"destination\":\"/etc/hosts\","
	  "\"type\":\"bind\",\"source\":\"/etc/ld.so.preload\"}]}",
	  OCI_MODE_AUTO, "mounts[0].source (config.json): /etc/ld.so.preload: "
	  "not a file named \"hosts\"" },
	/* The state's annotations are checked as config.json's are. */
	{ ST(",\"annotations\":{\"io.iccd.expose\":\"0\"}"), CF(""),
	  OCI_MODE_AUTO, "io.iccd.expose: 0: port out of range 1-65535" },
};

START_TEST(t_bad)
{
	const struct bad *c = &bad_cases[_i];
	struct oci_hook h;
	char err[512];

	errno = 0;
	ck_assert_msg(run(c->state, c->config, c->mode, &h, err,
	    sizeof(err)) == -1, "case %d accepted", _i);
	ck_assert_msg(strcmp(err, c->err) == 0, "case %d: got \"%s\", want "
	    "\"%s\"", _i, err, c->err);
	ck_assert_int_eq(errno, EINVAL);
	oci_hook_clear(&h);
}
END_TEST

/* str_at: entry i of a JSON array of strings. */
static const char *
str_at(const json_t *a, size_t i)
{
	return json_string_value(json_array_get(a, i));
}

START_TEST(t_full)
{
	const char *state = ST(",\"annotations\":{\"io.iccd.expose\":\"80\","
	    "\"other.key\":\"x\"}");
	const char *config = CF("\"io.iccd.name\":\"db\","
	    "\"io.iccd.expose\":\"3306/tcp, 53/udp\","
	    "\"io.iccd.links\":\" web:w ,\\tcache\","
	    "\"io.iccd.env\":\"[\\\"A=1\\\",\\\"B=x, y=z\\\"]\","
	    "\"io.iccd.interface\":\"eth1\","
	    "\"io.iccd.host-netns\":\"/run/netns/h\","
	    "\"other.key\":7");
	struct oci_hook h;
	char err[512];

	ck_assert_msg(run(state, config, OCI_MODE_AUTO, &h, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(h.mode, OCI_MODE_START);
	ck_assert_str_eq(h.name, "db");
	ck_assert_str_eq(h.id, "ctr1");
	ck_assert_int_eq(h.pid, 42);
	ck_assert_str_eq(h.bundle, "/b");
	ck_assert_str_eq(h.hostname, "h1");
	ck_assert_str_eq(h.ifname, "eth1");
	ck_assert_str_eq(h.host_netns, "/run/netns/h");
	ck_assert(!h.warn);
	/* The state's expose wins over config.json's. */
	ck_assert_uint_eq(json_array_size(h.expose), 1);
	ck_assert_str_eq(str_at(h.expose, 0), "80");
	ck_assert_uint_eq(json_array_size(h.links), 2);
	ck_assert_str_eq(str_at(h.links, 0), "web:w");
	ck_assert_str_eq(str_at(h.links, 1), "cache");
	ck_assert_uint_eq(json_array_size(h.env), 2);
	ck_assert_str_eq(str_at(h.env, 1), "B=x, y=z");
	oci_hook_clear(&h);
}
END_TEST

/* The start request is one iccd accepts, with everything in it. */
START_TEST(t_start_request)
{
	const char *config = CF("\"io.iccd.name\":\"web\","
	    "\"io.iccd.expose\":\"8080/tcp,7000-7999/udp\","
	    "\"io.iccd.links\":\"db:aliasdb\","
	    "\"io.iccd.env\":\"[\\\"A=1\\\"]\"");
	struct in_addr a4;
	struct in6_addr a6;
	struct oci_hook h;
	struct request r;
	char err[512];
	json_t *req;

	ck_assert_msg(run(ST(""), config, OCI_MODE_START, &h, err,
	    sizeof(err)) == 0, "%s", err);
	inet_pton(AF_INET, "10.88.0.3", &a4);
	inet_pton(AF_INET6, "fd88::3", &a6);
	req = oci_start_request(&h, "br0", &a4, &a6);
	ck_assert_ptr_nonnull(req);
	ck_assert_str_eq(json_string_value(json_object_get(req, "cmd")),
	    "start");
	ck_assert_str_eq(json_string_value(json_object_get(req, "ip")),
	    "10.88.0.3");
	ck_assert_str_eq(json_string_value(json_object_get(req, "ip6")),
	    "fd88::3");
	ck_assert_msg(request_parse(req, &r, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(r.cmd, REQ_START);
	ck_assert_str_eq(r.c->name, "web");
	ck_assert_str_eq(r.c->id, "ctr1");
	ck_assert_str_eq(r.c->hostname, "h1");
	ck_assert_str_eq(r.c->bridge, "br0");
	ck_assert_uint_eq(r.c->ip4.s_addr, a4.s_addr);
	ck_assert(r.c->has_ip6);
	ck_assert_uint_eq(r.c->nports, 2);
	ck_assert_uint_eq(r.c->ports[1].first, 7000);
	ck_assert_uint_eq(r.c->ports[1].last, 7999);
	ck_assert_uint_eq(r.c->ports[1].proto, IPPROTO_UDP);
	ck_assert_uint_eq(r.c->nlinks, 1);
	ck_assert_str_eq(r.c->links[0].source, "db");
	ck_assert_str_eq(r.c->links[0].alias, "aliasdb");
	ck_assert_uint_eq(r.c->nenv, 1);
	request_clear(&r);
	/* Bound to its veth peer: port and MAC, valid for iccd. */
	ck_assert_int_eq(oci_set_port(req, "veth9", (const uint8_t[6]){ 0x02,
	    0x42, 0xac, 0x11, 0x00, 0x03 }), 0);
	ck_assert_str_eq(json_string_value(json_object_get(req, "mac")),
	    "02:42:ac:11:00:03");
	ck_assert_msg(request_parse(req, &r, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_str_eq(r.c->port, "veth9");
	ck_assert(r.c->has_mac);
	request_clear(&r);
	json_decref(req);

	/* No IPv6, no lists: those fields are left out, not sent empty. */
	json_decref(h.expose);
	h.expose = json_array();
	req = oci_start_request(&h, "br0", &a4, NULL);
	ck_assert_ptr_null(json_object_get(req, "ip6"));
	ck_assert_ptr_null(json_object_get(req, "expose"));
	ck_assert_msg(request_parse(req, &r, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert(!r.c->has_ip6);
	request_clear(&r);
	json_decref(req);
	oci_hook_clear(&h);
}
END_TEST

/* poststop: no pid, maybe no bundle; the state's annotations suffice. */
START_TEST(t_stop)
{
	const char *state = "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"c9\","
	    "\"status\":\"stopped\",\"annotations\":{\"io.iccd.name\":"
	    "\"db\"}}";
	struct oci_hook h;
	struct request r;
	char err[512];
	json_t *req;

	ck_assert_msg(run(state, NULL, OCI_MODE_AUTO, &h, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(h.mode, OCI_MODE_STOP);
	ck_assert_int_eq(h.pid, 0);
	ck_assert_str_eq(h.bundle, "");
	ck_assert_str_eq(h.name, "db");
	req = oci_stop_request(&h);
	ck_assert_msg(request_parse(req, &r, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(r.cmd, REQ_STOP);
	ck_assert_str_eq(r.name, "db");
	ck_assert_uint_eq(json_object_size(req), 2);
	request_clear(&r);
	json_decref(req);
	oci_hook_clear(&h);

	/* An explicit mode wins over the status; pid 0 counts as none. */
	ck_assert_msg(run(ST(""), NULL, OCI_MODE_STOP, &h, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(h.mode, OCI_MODE_STOP);
	ck_assert_str_eq(h.name, "ctr1");
	oci_hook_clear(&h);
	ck_assert_msg(run("{\"ociVersion\":\"1.1.0\",\"id\":\"c\",\"pid\":0,"
	    "\"status\":\"stopped\"}", NULL, OCI_MODE_AUTO, &h, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(h.pid, 0);
	oci_hook_clear(&h);
}
END_TEST

/* The default name: the OCI id, or its short id when too long. */
START_TEST(t_default_name)
{
	char id[ICC_ID_MAX + 40], state[512], name[ICC_NAME_MAX + 1];
	const char *why;
	struct oci_hook h;
	char err[512];

	/* A Podman/CRI-O id: 64 hex digits; the name is the short id, iccd
	 * keeps the whole id. */
	for (int i = 0; i < 64; i++)
		id[i] = "0123456789abcdef"[i % 16];
	id[64] = '\0';
	snprintf(state, sizeof(state), "{\"ociVersion\":\"1.0.2\",\"id\":"
	    "\"%s\"}", id);
	ck_assert_msg(run(state, NULL, OCI_MODE_STOP, &h, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(h.name, "0123456789ab");
	ck_assert_str_eq(h.id, id);
	oci_hook_clear(&h);

	/* ICC_NAME_MAX bytes exactly: kept whole. */
	memset(id, 'c', ICC_NAME_MAX);
	id[ICC_NAME_MAX] = '\0';
	ck_assert_int_eq(oci_name_from_id(id, name, &why), 0);
	ck_assert_str_eq(name, id);

	/* Longer than an iccd id: the name still comes, the id is left out. */
	memset(id, 'b', ICC_ID_MAX + 1);
	id[ICC_ID_MAX + 1] = '\0';
	snprintf(state, sizeof(state), "{\"ociVersion\":\"1.0.2\",\"id\":"
	    "\"%s\"}", id);
	ck_assert_msg(run(state, NULL, OCI_MODE_STOP, &h, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(h.name, "bbbbbbbbbbbb");
	ck_assert_str_eq(h.id, "");
	oci_hook_clear(&h);

	ck_assert_int_eq(oci_name_from_id("web-1.x_y", name, &why), 0);
	ck_assert_str_eq(name, "web-1.x_y");
	strcpy(name, "untouched");
	ck_assert_int_eq(oci_name_from_id(".hidden", name, &why), -1);
	ck_assert_str_eq(why, "must start with a letter or digit");
	ck_assert_str_eq(name, "untouched");
}
END_TEST

/* on-error: known as early as possible, and the state's word wins. */
START_TEST(t_on_error)
{
	struct oci_hook h;
	char err[512];

	/* Seen in the state even when the state itself is bad later on. */
	ck_assert_int_eq(run("{\"ociVersion\":\"1.0.2\",\"annotations\":"
	    "{\"io.iccd.on-error\":\"warn\"}}", NULL, OCI_MODE_STOP, &h, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "id: missing");
	ck_assert(h.warn);
	oci_hook_clear(&h);

	/* Set before the other annotations are checked. */
	ck_assert_int_eq(run(ST(""), CF("\"io.iccd.on-error\":\"warn\","
	    "\"io.iccd.expose\":\"x\""), OCI_MODE_AUTO, &h, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "io.iccd.expose: x: PORT is not a number");
	ck_assert(h.warn);
	oci_hook_clear(&h);

	/* config.json says warn, the state says fail: fail. */
	ck_assert_int_eq(run(ST(",\"annotations\":{\"io.iccd.on-error\":"
	    "\"fail\"}"), CF("\"io.iccd.on-error\":\"warn\""), OCI_MODE_AUTO,
	    &h, err, sizeof(err)), 0);
	ck_assert(!h.warn);
	oci_hook_clear(&h);
}
END_TEST

START_TEST(t_split_list)
{
	char big[ICC_MAX_PORTS * 2 + 8], err[256];
	json_t *a;
	size_t i;

	a = comma_split("k", " \t ", 4, NULL, err, sizeof(err));
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	a = comma_split("k", "a, b ,c", 3, NULL, err, sizeof(err));
	ck_assert_uint_eq(json_array_size(a), 3);
	ck_assert_str_eq(str_at(a, 1), "b");
	json_decref(a);
	ck_assert_ptr_null(comma_split("k", "a,b,c,d", 3, NULL, err,
	    sizeof(err)));
	ck_assert_str_eq(err, "k: more than 3 entries");
	ck_assert_ptr_null(comma_split("k", ", a", 3, NULL, err,
	    sizeof(err)));
	ck_assert_str_eq(err, "k: entry 1 is empty");

	/* The real limit, through the annotation. */
	for (i = 0; i <= ICC_MAX_PORTS; i++)
		memcpy(big + 2 * i, "1,", 2);
	big[2 * ICC_MAX_PORTS + 1] = '\0';
	a = comma_split("io.iccd.expose", big, ICC_MAX_PORTS, NULL, err,
	    sizeof(err));
	ck_assert_ptr_null(a);
	ck_assert_str_eq(err, "io.iccd.expose: more than 256 entries");
}
END_TEST

/* The shipped runtime configuration: valid JSON, the stages we document. */
START_TEST(t_contrib)
{
	json_error_t jerr;
	json_t *j, *hooks, *e;

	j = json_load_file(CONTRIB "/iccd-hook.json", JSON_REJECT_DUPLICATES,
	    &jerr);
	ck_assert_msg(j != NULL, "iccd-hook.json: %s", jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(j, "version")),
	    "1.0.0");
	e = json_object_get(j, "stages");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(str_at(e, 0), "createRuntime");
	ck_assert_str_eq(str_at(e, 1), "poststop");
	/* One hook entry for both stages: no start/stop argument. */
	e = json_object_get(json_object_get(j, "hook"), "args");
	ck_assert_uint_eq(json_array_size(e), 1);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(
	    j, "when"), "annotations"), "^io\\.iccd\\.name$"));
	json_decref(j);

	j = json_load_file(CONTRIB "/runc-hooks.json", JSON_REJECT_DUPLICATES,
	    &jerr);
	ck_assert_msg(j != NULL, "runc-hooks.json: %s", jerr.text);
	hooks = json_object_get(j, "hooks");
	e = json_object_get(json_array_get(json_object_get(hooks,
	    "createRuntime"), 0), "args");
	ck_assert_str_eq(str_at(e, 1), "start");
	e = json_object_get(json_array_get(json_object_get(hooks,
	    "poststop"), 0), "args");
	ck_assert_str_eq(str_at(e, 1), "stop");
	json_decref(j);
}
END_TEST

/* The runtime's /etc/hosts: a bind mount's source; other mounts ignored. */
START_TEST(t_hosts_file)
{
	struct oci_hook h;
	char err[512];

	ck_assert_int_eq(run(ST(""), "{\"mounts\":[{\"destination\":"
	    "\"/etc/hosts\",\"type\":\"tmpfs\",\"source\":\"x\"},"
	    "{\"destination\":\"/etc/hostname\",\"type\":\"bind\","
	    "\"source\":\"/r/hostname\"}]}", OCI_MODE_AUTO, &h, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(h.hosts_file, "");
	oci_hook_clear(&h);
	ck_assert_int_eq(run(ST(""), "{\"mounts\":[{\"destination\":"
	    "\"/etc/hosts\",\"type\":\"bind\",\"source\":"
	    "\"/run/containers/storage/c1/userdata/hosts\",\"options\":"
	    "[\"bind\",\"rprivate\"]}]}", OCI_MODE_AUTO, &h, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(h.hosts_file, "/run/containers/storage/c1/userdata/"
	    "hosts");
	oci_hook_clear(&h);
}
END_TEST

/* oci_hook_owns against list replies: only what the annotations say. */
static bool
owns(const char *config, const char *list)
{
	struct msg_container c;
	struct oci_hook h;
	char err[512];
	json_t *l = load(list);
	bool rv;

	ck_assert_int_eq(run(ST(""), config, OCI_MODE_AUTO, &h, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(msg_list_find(l, h.name, &c, err, sizeof(err)), 1);
	rv = oci_hook_owns(&h, l, &c);
	json_decref(l);
	oci_hook_clear(&h);
	return rv;
}

#define CTR(id, run, exp, from) "{\"containers\":[{\"name\":\"web\"," \
	"\"running\":" run ",\"id\":\"" id "\",\"expose\":" exp \
	",\"expose_from\":" from "}],\"links\":["
#define LNK(src, alias, from) "{\"receiver\":\"web\",\"source\":\"" src \
	"\",\"alias\":\"" alias "\",\"from\":\"" from "\"}"
#define WEB CF("\"io.iccd.name\":\"web\",\"io.iccd.links\":\"db:a,c\"," \
	"\"io.iccd.expose\":\"80,53/udp\"")

START_TEST(t_owns)
{
	const char *mine = CTR("ctr1", "true", "[\"80/tcp\",\"53/udp\"]",
	    "[\"event\",\"event\"]") LNK("db", "a", "event") ","
	    LNK("c", "c", "event") "]}";

	ck_assert(owns(WEB, mine));
	/* Another id, no id: not the hook's to forget. */
	ck_assert(!owns(WEB, CTR("ctr2", "true", "[]", "[]") "]}"));
	ck_assert(!owns(WEB, CTR("", "true", "[]", "[]") "]}"));
	/* Stopped already (by iccd: its port went away): still its own. */
	ck_assert(owns(WEB, CTR("ctr1", "false", "[]", "[]") "]}"));
	/* A link or a port added with iccctl. */
	ck_assert(!owns(WEB, CTR("ctr1", "true", "[]", "[]")
	    LNK("db", "b", "event") "]}"));
	ck_assert(!owns(WEB, CTR("ctr1", "true", "[\"81/tcp\"]",
	    "[\"event\"]") "]}"));
	/* Rules files' declarations stay anyway (rm keeps them). */
	ck_assert(owns(WEB, CTR("ctr1", "true", "[\"81/tcp\"]",
	    "[\"r/a.rules:3\"]") LNK("x", "y", "r/a.rules:4") "]}"));
	/* Another receiver's links are not web's. */
	ck_assert(owns(WEB, CTR("ctr1", "true", "[]", "[]") "{\"receiver\":"
	    "\"other\",\"source\":\"web\",\"alias\":\"w\",\"from\":"
	    "\"event\"}]}"));
}
END_TEST

/* ---- io.iccd.host-netns: opened safely (nsopen.c) ---------------------- */

#define KEY	"io.iccd.host-netns"

/* ns_refused: nsopen_net_in(dir, path) fails with exactly want. */
static void
ns_refused(const char *dir, const char *path, const char *want)
{
	char err[512] = "";

	ck_assert_int_eq(nsopen_net_in(dir, KEY, path, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}

START_TEST(t_netns_paths)
{
	char dir[64] = "/tmp/iccd-netns-XXXXXX", p[128], want[256];
	int fd, fd2;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* Anywhere else: refused before anything is opened. */
	snprintf(want, sizeof(want), KEY ": /etc/passwd: not under %s or "
	    "/proc/PID/ns", dir);
	ns_refused(dir, "/etc/passwd", want);
	snprintf(p, sizeof(p), "%s/../x", dir);
	snprintf(want, sizeof(want), KEY ": %s: not under %s or /proc/PID/ns",
	    p, dir);
	ns_refused(dir, p, want);
	snprintf(p, sizeof(p), "%s/a/b", dir);
	snprintf(want, sizeof(want), KEY ": %s: not under %s or /proc/PID/ns",
	    p, dir);
	ns_refused(dir, p, want);
	snprintf(want, sizeof(want), KEY ": /proc/self/ns/net: not under %s "
	    "or /proc/PID/ns", dir);
	ns_refused(dir, "/proc/self/ns/net", want);
	snprintf(want, sizeof(want), KEY ": /proc/1/ns/../ns/net: not under "
	    "%s or /proc/PID/ns", dir);
	ns_refused(dir, "/proc/1/ns/../ns/net", want);
	/* A FIFO there: refused at once (O_NONBLOCK), never waited on. */
	snprintf(p, sizeof(p), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	snprintf(want, sizeof(want), KEY ": %s: not a network namespace", p);
	ns_refused(dir, p, want);
	ck_assert_int_eq(unlink(p), 0);
	/* A regular file, and a symlink to a real namespace. */
	snprintf(p, sizeof(p), "%s/file", dir);
	ck_assert_int_ge(fd = open(p, O_WRONLY | O_CREAT, 0600), 0);
	close(fd);
	snprintf(want, sizeof(want), KEY ": %s: not a network namespace", p);
	ns_refused(dir, p, want);
	ck_assert_int_eq(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/link", dir);
	ck_assert_int_eq(symlink("/proc/self/ns/net", p), 0);
	snprintf(want, sizeof(want), KEY ": %s: a symbolic link (not "
	    "followed)", p);
	ns_refused(dir, p, want);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	/* A process's own network namespace: accepted; another kind of
	 * namespace is not. */
	snprintf(p, sizeof(p), "/proc/%ld/ns/net", (long)getpid());
	fd = nsopen_net_in(dir, KEY, p, want, sizeof(want));
	ck_assert_msg(fd >= 0, "%s", want);
	ck_assert_int_ge(fd2 = open("/proc/self/ns/net", O_RDONLY), 0);
	{
		struct stat a, b;

		ck_assert_int_eq(fstat(fd, &a), 0);
		ck_assert_int_eq(fstat(fd2, &b), 0);
		ck_assert_uint_eq(a.st_ino, b.st_ino);
	}
	close(fd);
	close(fd2);
	snprintf(p, sizeof(p), "/proc/%ld/ns/mnt", (long)getpid());
	snprintf(want, sizeof(want), KEY ": %s: not under %s or /proc/PID/ns",
	    p, dir);
	ns_refused(dir, p, want);
	snprintf(p, sizeof(p), "/proc/999999999/ns/net");
	ns_refused(dir, p, KEY ": /proc/999999999/ns: No such file or "
	    "directory");
}
END_TEST

Suite *
ocihook_suite(void)
{
	Suite *s = suite_create("ocihook");
	TCase *tc;

	tc = tcase_create("refusals");
	tcase_add_loop_test(tc, t_bad, 0, NELEM(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("netns");
	tcase_add_test(tc, t_netns_paths);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, t_full);
	tcase_add_test(tc, t_stop);
	tcase_add_test(tc, t_default_name);
	tcase_add_test(tc, t_on_error);
	tcase_add_test(tc, t_split_list);
	tcase_add_test(tc, t_hosts_file);
	tcase_add_test(tc, t_owns);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_test(tc, t_start_request);
	tcase_add_test(tc, t_contrib);
	suite_add_tcase(s, tc);
	return s;
}
