/*
 * check_docker.c: icc-docker's pure half.  docker_map.c: inspect replies
 * of a real Docker Engine 20.10 (tests/data/docker, trimmed to the fields
 * read) to the exact start request; every refusal with its exact line;
 * what is left out with a warning.  docker_stream.c: the event stream cut
 * into objects whatever the chunks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_hosts.h"
#include "docker_map.h"
#include "docker_stream.h"
#include "request.h"
#include "suites.h"

#define DATA		TESTDATA "/docker"
#define WEB_ID		"48b251d52576aa4d9af8ee39260ccc2a39c756c2967a8503543e03c240470515"
#define DB_ID		"f781d2b4f3bed5a76a8a1df427eaaee1bc2d6e6b977279bdff91d2844e65db4c"
#define CACHE_ID	"36a2b4cf3654994fe5c39fc0bc51e4349a6d2a039ae4cc1e5ad3ad0b3b84e824"
#define APP_ID		"aae60f78a351402e6fb07f37c34a1acb9bd470944b7c830ef53d6f4fdcf3b67a"
#define BRIDGE_NET	"2adcca3cb0be1c7049ec96d1d47b9fe781e51c133c4d00137fd97c598537f77e"
#define ICC2_NET	"2b06d8faeffd944d14d2530ed7ca8ef3340cb94b3fdeabbfec312aec4f09d104"
#define HOST_NET	"e80c3b0e9dd6a843cd390ac7ea13f9515b51f4c3145fdbfa66fb4bbadf7f794c"

static json_t *
load_file(const char *name)
{
	char path[512];
	json_error_t jerr;
	json_t *v;

	snprintf(path, sizeof(path), "%s/%s", DATA, name);
	v = json_load_file(path, 0, &jerr);
	ck_assert_msg(v != NULL, "%s: %s", path, jerr.text);
	return v;
}

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);

	ck_assert_msg(v != NULL, "test JSON does not parse: %s: %s", text,
	    jerr.text);
	return v;
}

/*
 * set: obj at the dotted path "A.B.C" (each part an object member) =
 * the JSON text value; "-" deletes the member.
 */
static void
set(json_t *obj, const char *path, const char *value)
{
	char buf[256], *p = buf, *dot;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((dot = strchr(p, '.')) != NULL && strncmp(p, "io.", 3) != 0) {
		*dot = '\0';
		obj = json_object_get(obj, p);
		ck_assert_msg(json_is_object(obj), "set: %s: no object %s", path,
		    p);
		p = dot + 1;
	}
	if (strcmp(value, "-") == 0)
		json_object_del(obj, p);
	else
		json_object_set_new(obj, p, load(value));
}

/* map: dk_map of container c with the sample networks and image img. */
static int
map(json_t *c, const char *img, struct dk_decl *d, char *err, size_t len)
{
	json_t *nets = load_file("networks.json"), *image = NULL;
	struct dk_inputs in = { .container = c, .networks = nets };
	int rv;

	/* NULL: an image without labels; "-": no image could be had. */
	if (img == NULL)
		image = load("{\"Config\":{\"Labels\":null}}");
	else if (strcmp(img, "-") != 0)
		image = load(img);
	in.image = image;
	err[0] = '\0';
	rv = dk_map(&in, d, err, len);
	json_decref(nets);
	json_decref(image);
	return rv;
}

/* expect_req: container file `name` (after mutations) maps to want. */
static void
expect_req(json_t *c, const char *img, const char *want, const char *warn)
{
	struct dk_decl d;
	char err[DK_ERRLEN];
	json_t *w = load(want);
	char *got;

	ck_assert_msg(map(c, img, &d, err, sizeof(err)) == 0, "dk_map: %s", err);
	ck_assert_msg(d.req != NULL, "no request");
	got = json_dumps(d.req, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(json_equal(d.req, w), "request: got %s", got);
	ck_assert_str_eq(d.warn, warn);
	free(got);
	json_decref(w);
	json_decref(c);
	dk_decl_clear(&d);
}

START_TEST(test_legacy_link)
{
	/* No label: the image does not matter, even when it is unknown. */
	expect_req(load_file("web.json"), "-", "{\"cmd\":\"start\",\"name\":"
	    "\"web\",\"id\":\"" WEB_ID "\",\"bridge\":\"docker0\",\"ip\":"
	    "\"172.30.0.3\",\"hostname\":\"48b251d52576\",\"expose\":[],"
	    "\"links\":[\"db:aliasdb\"],\"env\":[]}", "");
}
END_TEST

START_TEST(test_exposed_ranges)
{
	expect_req(load_file("db.json"), NULL, "{\"cmd\":\"start\",\"name\":"
	    "\"db\",\"id\":\"" DB_ID "\",\"bridge\":\"docker0\",\"ip\":"
	    "\"172.30.0.4\",\"hostname\":\"f781d2b4f3be\",\"expose\":"
	    "[\"3306/tcp\",\"7000-7002/udp\"],\"links\":[],\"env\":[]}", "");
}
END_TEST

START_TEST(test_ports_merged)
{
	json_t *c = load_file("db.json");

	set(c, "Config.ExposedPorts", "{\"7001/tcp\":{},\"53/udp\":{},"
	    "\"7000/tcp\":{},\"7003/tcp\":{},\"7002/tcp\":{},\"80/tcp\":{},"
	    "\"132/sctp\":{},\"54/udp\":{}}");
	expect_req(c, NULL, "{\"cmd\":\"start\",\"name\":\"db\",\"id\":\"" DB_ID
	    "\",\"bridge\":\"docker0\",\"ip\":\"172.30.0.4\",\"hostname\":"
	    "\"f781d2b4f3be\",\"expose\":[\"80/tcp\",\"7000-7003/tcp\","
	    "\"53-54/udp\",\"132/sctp\"],\"links\":[],\"env\":[]}", "");
}
END_TEST

/* A run of more than ICC_MAX_PORTS ports is one range: it fits. */
START_TEST(test_ports_many)
{
	json_t *c = load_file("db.json"), *p = json_object();
	char key[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "%d/tcp", 7000 + i);
		json_object_set_new(p, key, json_object());
	}
	json_object_set_new(json_object_get(c, "Config"), "ExposedPorts", p);
	expect_req(c, NULL, "{\"cmd\":\"start\",\"name\":\"db\",\"id\":\"" DB_ID
	    "\",\"bridge\":\"docker0\",\"ip\":\"172.30.0.4\",\"hostname\":"
	    "\"f781d2b4f3be\",\"expose\":[\"7000-7999/tcp\"],\"links\":[],"
	    "\"env\":[]}", "");
}
END_TEST

START_TEST(test_user_network_env)
{
	expect_req(load_file("cache.json"), NULL, "{\"cmd\":\"start\",\"name\":"
	    "\"cache\",\"id\":\"" CACHE_ID "\",\"bridge\":\"brx\",\"ip\":"
	    "\"172.17.0.2\",\"hostname\":\"36a2b4cf3654\",\"expose\":"
	    "[\"6379/tcp\"],\"links\":[],\"env\":[\"REDIS_PW=s3cret\"]}", "");
}
END_TEST

#define APP_REQ(links) "{\"cmd\":\"start\",\"name\":\"app\",\"id\":\"" APP_ID \
	"\",\"bridge\":\"brx\",\"ip\":\"172.17.0.3\",\"hostname\":" \
	"\"app.example\",\"expose\":[],\"links\":" links ",\"env\":[]}"

START_TEST(test_label_links)
{
	/* An image without labels, one without Config (docker import), one
	 * whose label the owner overrode. */
	expect_req(load_file("app.json"), NULL,
	    APP_REQ("[\"cache:redis\",\"db:db\"]"), "");
	expect_req(load_file("app.json"), "{\"Config\":null}",
	    APP_REQ("[\"cache:redis\",\"db:db\"]"), "");
	expect_req(load_file("app.json"), "{\"Config\":{\"Labels\":"
	    "{\"io.iccd.links\":\"evil\"}}}",
	    APP_REQ("[\"cache:redis\",\"db:db\"]"), "");
}
END_TEST

START_TEST(test_label_empty_and_endpoint_links)
{
	json_t *c = load_file("app.json");

	set(c, "Config.Labels.io.iccd.links", "\" \"");
	set(c, "NetworkSettings.Networks.icc1.Links", "[\"cache:redis\","
	    "\"db\"]");
	expect_req(c, NULL, APP_REQ("[\"cache:redis\",\"db:db\"]"), "");
}
END_TEST

/* The same link from two places is one link. */
START_TEST(test_links_merged)
{
	json_t *c = load_file("web.json");

	set(c, "Config.Labels", "{\"io.iccd.links\":\"db:aliasdb, cache\"}");
	expect_req(c, NULL, "{\"cmd\":\"start\",\"name\":\"web\",\"id\":\""
	    WEB_ID "\",\"bridge\":\"docker0\",\"ip\":\"172.30.0.3\","
	    "\"hostname\":\"48b251d52576\",\"expose\":[],\"links\":"
	    "[\"db:aliasdb\",\"cache:cache\"],\"env\":[]}", "");
}
END_TEST

START_TEST(test_ipv6_and_hostname_left_out)
{
	json_t *c = load_file("web.json");

	set(c, "NetworkSettings.Networks.bridge.GlobalIPv6Address",
	    "\"fd00:30::3\"");
	set(c, "Config.Hostname", "\"-bad\"");
	expect_req(c, NULL, "{\"cmd\":\"start\",\"name\":\"web\",\"id\":\""
	    WEB_ID "\",\"bridge\":\"docker0\",\"ip\":\"172.30.0.3\",\"ip6\":"
	    "\"fd00:30::3\",\"expose\":[],\"links\":[\"db:aliasdb\"],"
	    "\"env\":[]}",
	    "Config.Hostname: label starts or ends with '-': left out");
}
END_TEST

START_TEST(test_env_left_out)
{
	json_t *c = load_file("cache.json");

	set(c, "Config.Env", "[\"A=1\",\"B=x\\ty\",\"PATH=/bin\"]");
	expect_req(c, NULL, "{\"cmd\":\"start\",\"name\":\"cache\",\"id\":\""
	    CACHE_ID "\",\"bridge\":\"brx\",\"ip\":\"172.17.0.2\",\"hostname\":"
	    "\"36a2b4cf3654\",\"expose\":[\"6379/tcp\"],\"links\":[],\"env\":"
	    "[\"A=1\",\"PATH=/bin\"]}",
	    "Config.Env: entry 2: control character in VALUE: left out");
}
END_TEST

/* On the default network and a user-defined one: declared on the default
 * network, with a warning; the other's bridge is br- + its short id. */
START_TEST(test_two_networks)
{
	json_t *c = load_file("web.json");

	set(c, "NetworkSettings.Networks.icc2", "{\"NetworkID\":\"" ICC2_NET
	    "\",\"IPAddress\":\"172.18.0.5\",\"Links\":null}");
	expect_req(c, NULL, "{\"cmd\":\"start\",\"name\":\"web\",\"id\":\""
	    WEB_ID "\",\"bridge\":\"docker0\",\"ip\":\"172.30.0.3\","
	    "\"hostname\":\"48b251d52576\",\"expose\":[],\"links\":"
	    "[\"db:aliasdb\"],\"env\":[]}", "NetworkSettings.Networks: on 2 "
	    "bridge networks (icc2 too): declared on bridge only");
	c = load_file("web.json");
	set(c, "NetworkSettings.Networks", "{\"icc2\":{\"NetworkID\":\""
	    ICC2_NET "\",\"IPAddress\":\"172.18.0.5\",\"Links\":null}}");
	/* HostConfig.Links count on the default network only. */
	expect_req(c, NULL, "{\"cmd\":\"start\",\"name\":\"web\",\"id\":\""
	    WEB_ID "\",\"bridge\":\"br-2b06d8faeffd\",\"ip\":\"172.18.0.5\","
	    "\"hostname\":\"48b251d52576\",\"expose\":[],\"links\":[],"
	    "\"env\":[]}", "");
}
END_TEST

/* Not running, or on no bridge network: nothing to declare. */
START_TEST(test_nothing_to_declare)
{
	struct dk_decl d;
	char err[DK_ERRLEN];
	json_t *c = load_file("web.json");

	set(c, "State.Running", "false");
	ck_assert_int_eq(map(c, NULL, &d, err, sizeof(err)), 0);
	ck_assert_ptr_null(d.req);
	ck_assert(!d.running);
	ck_assert_str_eq(d.id, WEB_ID);
	ck_assert_str_eq(d.name, "web");
	json_decref(c);
	c = load_file("web.json");
	set(c, "NetworkSettings.Networks", "{\"host\":{\"NetworkID\":\""
	    HOST_NET "\",\"IPAddress\":\"\"}}");
	ck_assert_msg(map(c, NULL, &d, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_null(d.req);
	ck_assert(d.running);
	json_decref(c);
}
END_TEST

/* Bad input: one line naming the field; nothing declared. */
static const struct bad {
	const char	*file, *path, *value, *image, *err;
} bad[] = {
	{ "web.json", "Id", "\"xyz\"", NULL, "Id: not 64 hex digits" },
	{ "web.json", "Id", "\"" "48B251D52576AA4D9AF8EE39260CCC2A39C756C2967A8503"
	  "543E03C240470515\"", NULL, "Id: not lowercase hex digits" },
	{ "web.json", "Id", "-", NULL, "Id: missing" },
	{ "web.json", "Name", "\"web\"", NULL,
	  "Name: \"web\" does not start with \"/\"" },
	{ "web.json", "Name", "\"/we b\"", NULL, "Name: we b: bad character" },
	{ "web.json", "Name", "\"/web\\u0000x\"", NULL,
	  "Name: contains a NUL byte" },
	{ "web.json", "State.Running", "\"yes\"", NULL,
	  "State.Running: not a boolean" },
	{ "db.json", "Config.ExposedPorts", "{\"70000/tcp\":{}}", NULL,
	  "Config.ExposedPorts: 70000/tcp: port out of range 1-65535" },
	{ "db.json", "Config.ExposedPorts", "{\"80/icmp\":{}}", NULL,
	  "Config.ExposedPorts: 80/icmp: unknown protocol (tcp, udp, sctp)" },
	{ "db.json", "Config.ExposedPorts", "[]", NULL,
	  "Config.ExposedPorts: not an object" },
	{ "web.json", "HostConfig.Links", "[\"/db:/other/aliasdb\"]", NULL,
	  "HostConfig.Links: /db:/other/aliasdb: not a link of web" },
	{ "web.json", "HostConfig.Links", "[\"db:aliasdb\"]", NULL,
	  "HostConfig.Links: db:aliasdb: not /SOURCE:/RECEIVER/ALIAS" },
	{ "web.json", "HostConfig.Links", "[\"/d b:/web/x\"]", NULL,
	  "HostConfig.Links: /d b:/web/x: source: bad character" },
	{ "web.json", "HostConfig.Links", "[\"/db:/web/\"]", NULL,
	  "HostConfig.Links: /db:/web/: alias: empty" },
	{ "web.json", "HostConfig.Links", "[\"/web:/web/me\"]", NULL,
	  "HostConfig.Links: web: a container cannot link to itself" },
	{ "web.json", "HostConfig.Links", "\"/db:/web/aliasdb\"", NULL,
	  "HostConfig.Links: not a list" },
	{ "web.json", "Config.Labels", "{\"io.iccd.links\":\"cache:aliasdb\"}",
	  NULL, "Config.Labels.io.iccd.links: alias \"aliasdb\" used for db "
	  "and cache" },
	{ "web.json", "Config.Labels", "{\"io.iccd.links\":\"web\"}", NULL,
	  "Config.Labels.io.iccd.links: web: a container cannot link to "
	  "itself" },
	{ "web.json", "Config.Labels", "{\"io.iccd.links\":\"a,,b\"}", NULL,
	  "Config.Labels.io.iccd.links: entry 2 is empty" },
	{ "web.json", "Config.Labels", "{\"io.iccd.links\":\"a:b:c\"}", NULL,
	  "Config.Labels.io.iccd.links: a:b:c: more than one ':'" },
	{ "web.json", "Config.Labels", "{\"io.iccd.links\":7}", NULL,
	  "Config.Labels.io.iccd.links: not a string" },
	{ "web.json", "Config.Labels", "[]", NULL,
	  "Config.Labels: not an object" },
	{ "app.json", "Config.Labels", "{\"io.iccd.links\":\"db\"}",
	  "{\"Config\":{\"Labels\":{\"io.iccd.links\":\"db\"}}}",
	  "Config.Labels.io.iccd.links: set by the image, not by whoever ran "
	  "the container: refused (give it with docker run --label)" },
	{ "app.json", "Config.Hostname", "\"app\"", "-",
	  "Config.Labels.io.iccd.links: the container's image could not be "
	  "checked: refused" },
	{ "web.json", "NetworkSettings.Networks.bridge.IPAddress", "\"\"", NULL,
	  "NetworkSettings.Networks.bridge.IPAddress: empty" },
	{ "web.json", "NetworkSettings.Networks.bridge.IPAddress",
	  "\"127.0.0.2\"", NULL,
	  "NetworkSettings.Networks.bridge.IPAddress: loopback address" },
	{ "web.json", "NetworkSettings.Networks.bridge.GlobalIPv6Address",
	  "\"ff02::1\"", NULL, "NetworkSettings.Networks.bridge."
	  "GlobalIPv6Address: multicast address" },
	{ "web.json", "NetworkSettings.Networks.bridge.NetworkID",
	  "\"" ICC2_NET "0\"", NULL, "NetworkSettings.Networks.bridge."
	  "NetworkID: not 64 hex digits" },
	{ "web.json", "NetworkSettings.Networks.bridge.NetworkID",
	  "\"" WEB_ID "\"", NULL, "NetworkSettings.Networks.bridge: "
	  "network " WEB_ID " not given" },
	{ "web.json", "NetworkSettings.Networks.bridge", "7", NULL,
	  "NetworkSettings.Networks.bridge: not an object" },
	{ "web.json", "NetworkSettings", "[]", NULL,
	  "NetworkSettings: not an object" },
};

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	struct dk_decl d;
	char err[DK_ERRLEN];
	json_t *c = load_file(b->file);

	set(c, b->path, b->value);
	ck_assert_int_eq(map(c, b->image, &d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, b->err);
	ck_assert_ptr_null(d.req);
	dk_decl_clear(&d);
	json_decref(c);
}
END_TEST

/* A bad network reply is refused too; id and name are known by then. */
START_TEST(test_bad_network)
{
	struct dk_inputs in;
	struct dk_decl d;
	char err[DK_ERRLEN];
	json_t *c = load_file("web.json"), *nets = load_file("networks.json");

	set(json_object_get(nets, BRIDGE_NET), "Options",
	    "{\"com.docker.network.bridge.name\":\"much-too-long-name0\"}");
	in = (struct dk_inputs){ .container = c, .networks = nets };
	ck_assert_int_eq(dk_map(&in, &d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "network bridge: Options.com.docker.network."
	    "bridge.name: longer than 15 bytes");
	ck_assert_str_eq(d.id, WEB_ID);
	ck_assert_str_eq(d.name, "web");
	set(json_object_get(nets, BRIDGE_NET), "Driver", "7");
	ck_assert_int_eq(dk_map(&in, &d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "network.Driver: not a string");
	json_decref(c);
	json_decref(nets);
}
END_TEST

START_TEST(test_network_ids)
{
	char err[DK_ERRLEN];
	json_t *c = load_file("web.json"), *ids;

	ids = dk_network_ids(c, err, sizeof(err));
	ck_assert_ptr_nonnull(ids);
	ck_assert_int_eq(json_array_size(ids), 1);
	ck_assert_str_eq(json_string_value(json_array_get(ids, 0)), BRIDGE_NET);
	json_decref(ids);
	set(c, "NetworkSettings.Networks.bridge.NetworkID", "\"../x\"");
	ck_assert_ptr_null(dk_network_ids(c, err, sizeof(err)));
	ck_assert_str_eq(err, "NetworkSettings.Networks.bridge.NetworkID: not "
	    "64 hex digits");
	json_decref(c);
}
END_TEST

/* ---- the event stream ----------------------------------------------------- */

struct seen {
	json_t	*objs;
	int	 fail_at;	/* cb fails on this object (1-based), 0 never */
};

static int
collect(json_t *obj, void *arg, char *err, size_t len)
{
	struct seen *s = arg;

	json_array_append(s->objs, obj);
	if ((int)json_array_size(s->objs) == s->fail_at) {
		snprintf(err, len, "cb failed");
		return -1;
	}
	return 0;
}

#define EV1	"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":" \
		"\"x\",\"Attributes\":{\"name\":\"a}{\\\"b\"}},\"time\":17}\n"
#define EV2	"{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":" \
		"\"n\",\"Attributes\":{\"container\":\"x\",\"l\":[1,{\"t\":true}]}}}"

/* Cut anywhere, even byte by byte, the objects come out whole. */
START_TEST(test_stream_chunks)
{
	const char *text = EV1 " \r\n" EV2 "\n";
	struct seen s = { .objs = json_array() };
	struct dk_stream st = { 0 };
	char err[DK_ERRLEN];
	size_t n = strlen(text), step = (size_t)_i + 1, i;
	json_t *want = json_pack("[o,o]", load(EV1), load(EV2));

	for (i = 0; i < n; i += step)
		ck_assert_msg(dk_stream_feed(&st, text + i, i + step > n ? n - i :
		    step, collect, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(json_equal(s.objs, want), "step %zu: got %s", step,
	    json_dumps(s.objs, JSON_COMPACT));
	ck_assert_int_eq((int)st.len, 0);
	dk_stream_reset(&st);
	json_decref(want);
	json_decref(s.objs);
}
END_TEST

static const struct bad_stream {
	const char	*text;
	const char	*err;
	int		 fail_at, objs;
} bad_stream[] = {
	{ "x{}", "events: byte 0x78 between objects", 0, 0 },
	{ "{\"a\":1}[1]", "events: byte 0x5b between objects", 0, 1 },
	{ "{\"a\":]", "events: not JSON: unexpected token near ']'", 0, 0 },
	{ "{\"a\":1,\"a\":2}", "events: not JSON: duplicate object key near "
	  "'\"a\"'", 0, 0 },
	{ "{}{}{}", "cb failed", 2, 2 },
};

START_TEST(test_stream_bad)
{
	const struct bad_stream *b = &bad_stream[_i];
	struct seen s = { .objs = json_array(), .fail_at = b->fail_at };
	struct dk_stream st = { 0 };
	char err[DK_ERRLEN] = "";

	ck_assert_int_eq(dk_stream_feed(&st, b->text, strlen(b->text), collect,
	    &s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, b->err);
	ck_assert_int_eq((int)json_array_size(s.objs), b->objs);
	dk_stream_reset(&st);
	json_decref(s.objs);
}
END_TEST

/* An object that never ends is cut off at DK_EVENT_MAX bytes. */
START_TEST(test_stream_too_long)
{
	struct seen s = { .objs = json_array() };
	struct dk_stream st = { 0 };
	char err[DK_ERRLEN], *big = malloc(DK_EVENT_MAX);
	int rv;

	memset(big, ' ', DK_EVENT_MAX);
	big[0] = '{';
	ck_assert_int_eq(dk_stream_feed(&st, big, DK_EVENT_MAX, collect, &s, err,
	    sizeof(err)), 0);
	rv = dk_stream_feed(&st, " ", 1, collect, &s, err, sizeof(err));
	ck_assert_int_eq(rv, -1);
	ck_assert_str_eq(err, "events: an object longer than 1048576 bytes");
	dk_stream_reset(&st);
	free(big);
	json_decref(s.objs);
}
END_TEST

#define WEB_HOSTS	"/var/lib/docker/containers/" WEB_ID "/hosts"

/* hosts_req: dk_hosts_request of container c (after dk_map). */
static int
hosts_req(json_t *c, json_t **req, char *err, size_t len)
{
	struct dk_decl d;
	int rv;

	ck_assert_msg(map(c, NULL, &d, err, len) == 0, "dk_map: %s", err);
	rv = dk_hosts_request(c, &d, req, err, len);
	dk_decl_clear(&d);
	return rv;
}

/* A receiver of links: its HostsPath, to be kept by iccd. */
START_TEST(test_hosts_receiver)
{
	char err[DK_ERRLEN];
	json_t *c = load_file("web.json"), *req, *want;
	char *got;

	set(c, "HostsPath", "\"" WEB_HOSTS "\"");
	ck_assert_msg(hosts_req(c, &req, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(req);
	want = load("{\"cmd\":\"hosts\",\"name\":\"web\",\"write\":\""
	    WEB_HOSTS "\"}");
	got = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(json_equal(req, want), "request: got %s", got);
	free(got);
	json_decref(want);
	json_decref(req);
	json_decref(c);
}
END_TEST

/* No links, or not declared: no hosts request, HostsPath unread. */
START_TEST(test_hosts_none)
{
	char err[DK_ERRLEN];
	json_t *c = load_file("db.json"), *req = NULL;
	struct dk_decl d = { 0 };

	set(c, "HostsPath", "\"relative/hosts\"");
	ck_assert_int_eq(hosts_req(c, &req, err, sizeof(err)), 0);
	ck_assert_ptr_null(req);
	ck_assert_int_eq(dk_hosts_request(c, &d, &req, err, sizeof(err)), 0);
	ck_assert_ptr_null(req);
	json_decref(c);
}
END_TEST

static const struct {
	const char *value, *err;
} bad_hosts[] = {
	{ "-", "HostsPath: missing" },
	{ "\"\"", "HostsPath: not a non-empty string" },
	{ "7", "HostsPath: not a non-empty string" },
	{ "\"var/hosts\"", "HostsPath: var/hosts: not an absolute path" },
	{ "\"/var/lib/docker/../hosts\"", "HostsPath: /var/lib/docker/../"
	    "hosts: has a \".\" or \"..\" component" },
	{ "\"/var/./hosts\"", "HostsPath: /var/./hosts: has a \".\" or "
	    "\"..\" component" },
	{ "\"/var/lib/docker/containers/x/hostname\"", "HostsPath: "
	    "/var/lib/docker/containers/x/hostname: the file is not named "
	    "\"hosts\"" },
	{ "\"/etc/ld.so.preload\"", "HostsPath: /etc/ld.so.preload: the "
	    "file is not named \"hosts\"" },
	{ "\"/\"", "HostsPath: /: the file is not named \"hosts\"" },
};

/* A bad HostsPath: refused, the field named, no request. */
START_TEST(test_hosts_bad)
{
	char err[DK_ERRLEN];
	json_t *c = load_file("web.json"), *req = NULL;

	set(c, "HostsPath", bad_hosts[_i].value);
	ck_assert_int_eq(hosts_req(c, &req, err, sizeof(err)), -1);
	ck_assert_str_eq(err, bad_hosts[_i].err);
	ck_assert_ptr_null(req);
	json_decref(c);
}
END_TEST

Suite *
docker_suite(void)
{
	Suite *s = suite_create("docker");
	TCase *tc = tcase_create("map");

	tcase_add_test(tc, test_legacy_link);
	tcase_add_test(tc, test_exposed_ranges);
	tcase_add_test(tc, test_ports_merged);
	tcase_add_test(tc, test_ports_many);
	tcase_add_test(tc, test_user_network_env);
	tcase_add_test(tc, test_label_links);
	tcase_add_test(tc, test_label_empty_and_endpoint_links);
	tcase_add_test(tc, test_links_merged);
	tcase_add_test(tc, test_ipv6_and_hostname_left_out);
	tcase_add_test(tc, test_env_left_out);
	tcase_add_test(tc, test_two_networks);
	tcase_add_test(tc, test_nothing_to_declare);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_bad_network);
	tcase_add_test(tc, test_network_ids);
	tcase_add_test(tc, test_hosts_receiver);
	tcase_add_test(tc, test_hosts_none);
	tcase_add_loop_test(tc, test_hosts_bad, 0,
	    sizeof(bad_hosts) / sizeof(bad_hosts[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_add_loop_test(tc, test_stream_chunks, 0, 40);
	tcase_add_loop_test(tc, test_stream_bad, 0,
	    sizeof(bad_stream) / sizeof(bad_stream[0]));
	tcase_add_test(tc, test_stream_too_long);
	suite_add_tcase(s, tc);
	return s;
}
