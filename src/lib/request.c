/* request.c: see request.h. */
#include "request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Fields each command accepts; anything else is refused. */
static const struct {
	const char	*name;
	bool		 mutates;
	const char	*fields[12];
} cmds[REQ_NR] = {
	[REQ_START]  = { "start", true, { "name", "bridge", "ip", "ip6", "id",
	    "hostname", "expose", "links", "env", "port", "mac" } },
	[REQ_STOP]   = { "stop", true, { "name" } },
	[REQ_RM]     = { "rm", true, { "name" } },
	[REQ_LINK]   = { "link", true, { "name", "link" } },
	[REQ_UNLINK] = { "unlink", true, { "name", "alias" } },
	[REQ_BRIDGE] = { "bridge", true, { "bridge", "icc" } },
	[REQ_LIST]   = { "list", false, { NULL } },
	[REQ_STATUS] = { "status", false, { NULL } },
	[REQ_ENV]    = { "env", false, { "name", "alias" } },
	[REQ_HOSTS]  = { "hosts", false, { "name", "write" } },
	[REQ_RELOAD] = { "reload", true, { NULL } },
	[REQ_CHECK]  = { "check", false, { "from", "to", "port" } },
	[REQ_METRICS] = { "metrics", false, { NULL } },
	[REQ_LOG]    = { "log", false, { "after" } },
};

const char *
request_cmd_name(enum req_cmd cmd)
{
	return (unsigned)cmd < REQ_NR ? cmds[cmd].name : "?";
}

static bool
field_allowed(enum req_cmd cmd, const char *key)
{
	if (strcmp(key, "cmd") == 0)
		return true;
	for (size_t i = 0; i < 12 && cmds[cmd].fields[i]; i++)
		if (strcmp(cmds[cmd].fields[i], key) == 0)
			return true;
	return false;
}

/* str: the string field `key`, NULL when absent; -1 if not a string. */
static int
str(const json_t *obj, const char *key, const char **out, bool required,
    char *err, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return errf(err, len, EINVAL, "%s: missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return errf(err, len, EINVAL, "%s: not a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return errf(err, len, EINVAL, "%s: contains a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

/* copy_checked: validate s with fn and copy it into dst (size dlen). */
static int
copy_checked(const char *key, const char *s, int (*fn)(const char *,
    const char **), char *dst, size_t dlen, char *err, size_t len)
{
	const char *why;

	if (fn(s, &why) == -1)
		return errf(err, len, EINVAL, "%s: %s", key, why);
	snprintf(dst, dlen, "%s", s);
	return 0;
}

static int
name_field(const json_t *obj, const char *key, char *dst, char *err,
    size_t len)
{
	const char *s;

	if (str(obj, key, &s, true, err, len) == -1)
		return -1;
	return copy_checked(key, s, parse_name, dst, ICC_NAME_MAX + 1, err,
	    len);
}

/* array: the array field `key` (empty when absent) of at most max strings. */
static int
array(const json_t *obj, const char *key, size_t max, const json_t **out,
    char *err, size_t len)
{
	const json_t *v = json_object_get(obj, key), *e;
	size_t i;

	*out = v;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return errf(err, len, EINVAL, "%s: not a list", key);
	if (json_array_size(v) > max)
		return errf(err, len, EINVAL, "%s: more than %zu entries", key, max);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    strlen(json_string_value(e)) != json_string_length(e))
			return errf(err, len, EINVAL, "%s: entry %zu is not a string",
			    key, i + 1);
	}
	return 0;
}

static int
start_addrs(const json_t *obj, struct icc_container *c, char *err, size_t len)
{
	const char *s, *why;

	if (str(obj, "ip", &s, true, err, len) == -1)
		return -1;
	if (parse_ipv4(s, &c->ip4, &why) == -1)
		return errf(err, len, EINVAL, "ip: %s", why);
	if (str(obj, "ip6", &s, false, err, len) == -1)
		return -1;
	if (s != NULL) {
		if (parse_ipv6(s, &c->ip6, &why) == -1)
			return errf(err, len, EINVAL, "ip6: %s", why);
		c->has_ip6 = true;
	}
	return 0;
}

/*
 * start_port: the host-side bridge port and the container's MAC, which
 * bind each other (rules/icc-bridge.nft): one without the other is
 * refused.
 */
static int
start_port(const json_t *obj, struct icc_container *c, char *err, size_t len)
{
	const char *port, *mac, *why;

	if (str(obj, "port", &port, false, err, len) == -1 ||
	    str(obj, "mac", &mac, false, err, len) == -1)
		return -1;
	if (port == NULL && mac == NULL)
		return 0;
	if (port == NULL)
		return errf(err, len, EINVAL, "mac: given without port");
	if (mac == NULL)
		return errf(err, len, EINVAL, "port: given without mac");
	if (copy_checked("port", port, parse_ifname, c->port,
	    sizeof(c->port), err, len) == -1)
		return -1;
	if (strcmp(c->port, c->bridge) == 0)
		return errf(err, len, EINVAL, "port: is the bridge itself");
	if (parse_mac(mac, c->mac, &why) == -1)
		return errf(err, len, EINVAL, "mac: %s", why);
	c->has_mac = true;
	return 0;
}

static int
start_ident(const json_t *obj, struct icc_container *c, char *err, size_t len)
{
	const char *s;

	if (name_field(obj, "name", c->name, err, len) == -1)
		return -1;
	if (str(obj, "bridge", &s, true, err, len) == -1 ||
	    copy_checked("bridge", s, parse_ifname, c->bridge,
	    sizeof(c->bridge), err, len) == -1)
		return -1;
	if (str(obj, "id", &s, false, err, len) == -1 || (s != NULL &&
	    copy_checked("id", s, parse_id, c->id, sizeof(c->id), err,
	    len) == -1))
		return -1;
	if (str(obj, "hostname", &s, false, err, len) == -1 || (s != NULL &&
	    copy_checked("hostname", s, parse_hostname, c->hostname,
	    sizeof(c->hostname), err, len) == -1))
		return -1;
	return start_addrs(obj, c, err, len) == -1 ? -1 :
	    start_port(obj, c, err, len);
}

/* port_seen: p (not yet counted) is one of c's ports already. */
static bool
port_seen(const struct icc_container *c, const struct icc_ports *p)
{
	for (size_t i = 0; i < c->nports; i++)
		if (c->ports[i].first == p->first &&
		    c->ports[i].last == p->last && c->ports[i].proto == p->proto)
			return true;
	return false;
}

static int
start_ports(const json_t *obj, struct icc_container *c, char *err, size_t len)
{
	const json_t *a, *e;
	const char *why;
	size_t i;

	if (array(obj, "expose", ICC_MAX_PORTS, &a, err, len) == -1)
		return -1;
	if (a == NULL || json_array_size(a) == 0)
		return 0;
	if ((c->ports = calloc(json_array_size(a), sizeof(*c->ports))) == NULL)
		return errf(err, len, EINVAL, "expose: out of memory");
	json_array_foreach(a, i, e) {
		if (parse_ports(json_string_value(e), &c->ports[c->nports],
		    &why) == -1)
			return errf(err, len, EINVAL, "expose: %s: %s",
			    json_string_value(e), why);
		/* Docker takes --expose 80 twice: so does iccd, once. */
		if (!port_seen(c, &c->ports[c->nports]))
			c->nports++;	/* no origins: all are the event's */
	}
	return 0;
}

static int
start_links(const json_t *obj, struct icc_container *c, char *err, size_t len)
{
	char source[ICC_NAME_MAX + 1], alias[ICC_NAME_MAX + 1];
	const json_t *a, *e;
	const char *why;
	size_t i;

	if (array(obj, "links", ICC_MAX_LINKS, &a, err, len) == -1)
		return -1;
	json_array_foreach(a, i, e) {
		const char *s = json_string_value(e);

		if (parse_link(s, source, alias, &why) == -1)
			return errf(err, len, EINVAL, "link: %s: %s", s, why);
		if (strcmp(source, c->name) == 0)
			return errf(err, len, EINVAL, "link: %s: a container cannot "
			    "link to itself", s);
		if (container_add_link(c, source, alias) == -1)
			return errf(err, len, EINVAL, "link: %s: %s", s, errno ==
			    EEXIST ? "alias already used for another source" :
			    strerror(errno));
	}
	return 0;
}

static int
start_env(const json_t *obj, struct icc_container *c, char *err, size_t len)
{
	const json_t *a, *e;
	const char *why;
	size_t i, klen;

	if (array(obj, "env", ICC_MAX_ENV, &a, err, len) == -1)
		return -1;
	json_array_foreach(a, i, e) {
		const char *s = json_string_value(e);

		if (parse_env(s, &klen, &why) == -1)
			return errf(err, len, EINVAL, "env: entry %zu: %s", i + 1, why);
		if (container_add_env(c, s) == -1)
			return errf(err, len, EINVAL, "env: %s", strerror(errno));
	}
	return 0;
}

static int
parse_start(const json_t *obj, struct request *r, char *err, size_t len)
{
	if ((r->c = container_new()) == NULL)
		return errf(err, len, EINVAL, "out of memory");
	r->c->running = true;
	r->c->has_identity = true;
	if (start_ident(obj, r->c, err, len) == -1 ||
	    start_ports(obj, r->c, err, len) == -1 ||
	    start_links(obj, r->c, err, len) == -1 ||
	    start_env(obj, r->c, err, len) == -1)
		return -1;
	snprintf(r->name, sizeof(r->name), "%s", r->c->name);
	return 0;
}

static int
parse_link_req(const json_t *obj, struct request *r, char *err, size_t len)
{
	const char *s, *why;

	if (name_field(obj, "name", r->name, err, len) == -1 ||
	    str(obj, "link", &s, true, err, len) == -1)
		return -1;
	if (parse_link(s, r->source, r->alias, &why) == -1)
		return errf(err, len, EINVAL, "link: %s: %s", s, why);
	if (strcmp(r->source, r->name) == 0)
		return errf(err, len, EINVAL, "link: %s: a container cannot link to "
		    "itself", s);
	return 0;
}

static int
parse_bridge_req(const json_t *obj, struct request *r, char *err, size_t len)
{
	const char *s, *why;

	if (str(obj, "bridge", &s, true, err, len) == -1 ||
	    copy_checked("bridge", s, parse_ifname, r->bridge,
	    sizeof(r->bridge), err, len) == -1)
		return -1;
	if (str(obj, "icc", &s, true, err, len) == -1)
		return -1;
	if (parse_icc(s, &r->icc, &why) == -1)
		return errf(err, len, EINVAL, "icc: %s", why);
	return 0;
}

static int
parse_hosts_req(const json_t *obj, struct request *r, char *err, size_t len)
{
	const char *s;

	if (name_field(obj, "name", r->name, err, len) == -1 ||
	    str(obj, "write", &s, false, err, len) == -1)
		return -1;
	if (s == NULL)
		return 0;
	if (s[0] != '/')
		return errf(err, len, EINVAL, "write: not an absolute path");
	/* iccd may write as root (a root peer, --hosts-dir): a file called
	 * anything but "hosts" (say /etc/ld.so.preload) must never be its
	 * target.  The daemon checks the rest (hostswrite.h). */
	if (strcmp(strrchr(s, '/') + 1, "hosts") != 0)
		return errf(err, len, EINVAL, "write: the file must be named \"hosts\"");
	if (strlen(s) >= sizeof(r->path))
		return errf(err, len, EINVAL, "write: path too long");
	snprintf(r->path, sizeof(r->path), "%s", s);
	return 0;
}

static int
parse_env_req(const json_t *obj, struct request *r, char *err, size_t len)
{
	const char *s;

	if (name_field(obj, "name", r->name, err, len) == -1 ||
	    str(obj, "alias", &s, false, err, len) == -1)
		return -1;
	return s == NULL ? 0 : copy_checked("alias", s, parse_name, r->alias,
	    sizeof(r->alias), err, len);
}

/* end_field: a side of a check, a container name or an address. */
static int
end_field(const json_t *obj, const char *key, struct verdict_end *e,
    char *err, size_t len)
{
	const char *s, *why;

	if (str(obj, key, &s, true, err, len) == -1)
		return -1;
	if (verdict_end_parse(s, e, &why) == -1)
		return errf(err, len, EINVAL, "%s: %s", key, why);
	return 0;
}

/* parse_check_req: from, to and "PORT[/PROTO]" (one port, tcp default). */
static int
parse_check_req(const json_t *obj, struct request *r, char *err, size_t len)
{
	const char *s, *why;

	if (end_field(obj, "from", &r->from, err, len) == -1 ||
	    end_field(obj, "to", &r->to, err, len) == -1 ||
	    str(obj, "port", &s, true, err, len) == -1)
		return -1;
	if (parse_ports(s, &r->port, &why) == -1)
		return errf(err, len, EINVAL, "port: %s", why);
	if (r->port.first != r->port.last)
		return errf(err, len, EINVAL, "port: one port, not a range");
	return 0;
}

/* parse_log_req: "after", a sequence number (whole, >= 0). */
static int
parse_log_req(const json_t *obj, struct request *r, char *err, size_t len)
{
	const json_t *v = json_object_get(obj, "after");

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return errf(err, len, EINVAL, "after: not a whole number");
	r->after = (unsigned long long)json_integer_value(v);
	return 0;
}

static int
parse_cmd(const json_t *obj, struct request *r, char *err, size_t len)
{
	const char *key, *s;
	json_t *v;

	if (str(obj, "cmd", &s, true, err, len) == -1)
		return -1;
	for (r->cmd = 0; r->cmd < REQ_NR; r->cmd++)
		if (strcmp(cmds[r->cmd].name, s) == 0)
			break;
	if (r->cmd == REQ_NR)
		return errf(err, len, EINVAL, "cmd: unknown command \"%.32s\"", s);
	r->mutates = cmds[r->cmd].mutates;
	json_object_foreach((json_t *)obj, key, v) {
		if (!field_allowed(r->cmd, key))
			return errf(err, len, EINVAL, "%.32s: unknown field for %s",
			    key, cmds[r->cmd].name);
	}
	return 0;
}

int
request_parse(const json_t *obj, struct request *r, char *err, size_t len)
{
	int rv = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(obj))
		return errf(err, len, EINVAL, "request: not a JSON object");
	if (parse_cmd(obj, r, err, len) == -1)
		return -1;
	switch (r->cmd) {
	case REQ_START:
		rv = parse_start(obj, r, err, len);
		break;
	case REQ_STOP:
	case REQ_RM:
		rv = name_field(obj, "name", r->name, err, len);
		break;
	case REQ_LINK:
		rv = parse_link_req(obj, r, err, len);
		break;
	case REQ_UNLINK:
		if ((rv = name_field(obj, "name", r->name, err, len)) == 0)
			rv = name_field(obj, "alias", r->alias, err, len);
		break;
	case REQ_BRIDGE:
		rv = parse_bridge_req(obj, r, err, len);
		break;
	case REQ_ENV:
		rv = parse_env_req(obj, r, err, len);
		break;
	case REQ_HOSTS:
		rv = parse_hosts_req(obj, r, err, len);
		break;
	case REQ_CHECK:
		rv = parse_check_req(obj, r, err, len);
		break;
	case REQ_LOG:
		rv = parse_log_req(obj, r, err, len);
		break;
	default:
		break;
	}
	if (rv == -1)
		request_clear(r);
	return rv;
}

void
request_clear(struct request *r)
{
	container_free(r->c);
	r->c = NULL;
}

static json_t *
strings_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *
request_encode_start(const struct icc_container *c)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN], buf[32];
	json_t *o, *ports = json_array(), *links = json_array();

	inet_ntop(AF_INET, &c->ip4, a4, sizeof(a4));
	/* Only what events declared: rules files are read anew. */
	for (size_t i = 0; ports != NULL && i < c->nports; i++)
		if (c->port_origin == NULL || c->port_origin[i] == NULL)
			json_array_append_new(ports, json_string(ports_format(
			    &c->ports[i], buf, sizeof(buf))));
	for (size_t i = 0; links != NULL && i < c->nlinks; i++)
		if (c->links[i].origin[0] == '\0')
			json_array_append_new(links, json_pack("s++",
			    c->links[i].source, ":", c->links[i].alias));
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "cmd", "start",
	    "name", c->name, "bridge", c->bridge, "ip", a4, "expose", ports,
	    "links", links, "env", strings_json(c->env, c->nenv));
	if (o == NULL)
		return NULL;
	if (c->has_ip6)
		json_object_set_new(o, "ip6", json_string(inet_ntop(AF_INET6,
		    &c->ip6, a6, sizeof(a6))));
	if (c->id[0] != '\0')
		json_object_set_new(o, "id", json_string(c->id));
	if (c->hostname[0] != '\0')
		json_object_set_new(o, "hostname", json_string(c->hostname));
	if (c->port[0] != '\0' && c->has_mac) {
		json_object_set_new(o, "port", json_string(c->port));
		json_object_set_new(o, "mac", json_string(mac_format(c->mac,
		    buf, sizeof(buf))));
	}
	return o;
}
