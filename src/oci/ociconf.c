/*
 * ociconf.c: see ociconf.h.
 *
 * Where ociconf.h is silent:
 *  - A "pid" of 0 counts as absent: runc omits it in a stopped state,
 *    other runtimes may write 0.
 *  - Only io.iccd.* annotation values must be strings; other annotations
 *    belong to others and are not looked at.
 *  - The OCI id is sent as the container's id only when iccd accepts it
 *    as one (parse_id): it is informative, and a runtime's id rules are
 *    not iccd's.
 */
#include "ociconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commalist.h"
#include "msg.h"

enum ann {
	ANN_NAME, ANN_EXPOSE, ANN_LINKS, ANN_ENV, ANN_INTERFACE,
	ANN_HOST_NETNS, ANN_ON_ERROR, ANN_NR
};

static const char *const ann_key[ANN_NR] = {
	[ANN_NAME]	 = OCI_ANN_PREFIX "name",
	[ANN_EXPOSE]	 = OCI_ANN_PREFIX "expose",
	[ANN_LINKS]	 = OCI_ANN_PREFIX "links",
	[ANN_ENV]	 = OCI_ANN_PREFIX "env",
	[ANN_INTERFACE]	 = OCI_ANN_PREFIX "interface",
	[ANN_HOST_NETNS] = OCI_ANN_PREFIX "host-netns",
	[ANN_ON_ERROR]	 = OCI_ANN_PREFIX "on-error",
};

/*
 * member_str: the string member `key` of obj into *out (NULL when absent).
 * -1 when it is not a string or holds a NUL byte (a C string would stop
 * there and hide the rest).
 */
static int
member_str(const json_t *obj, const char *key, const char **out, char *err,
    size_t len)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return errf(err, len, EINVAL, "%s: not a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return errf(err, len, EINVAL, "%s: contains a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

/* state_annotations: keep the state's annotations; note on-error=warn. */
static int
state_annotations(const json_t *state, struct oci_hook *h, char *err,
    size_t len)
{
	json_t *ann = json_object_get(state, "annotations");
	const char *s;

	if (ann == NULL)
		return 0;
	if (!json_is_object(ann))
		return errf(err, len, EINVAL, "annotations: not an object");
	h->state_ann = json_incref(ann);
	if (member_str(ann, ann_key[ANN_ON_ERROR], &s, err, len) == 0 &&
	    s != NULL && strcmp(s, "warn") == 0)
		h->warn = true;
	return 0;
}

static int
state_mode(const json_t *state, enum oci_mode mode, struct oci_hook *h,
    char *err, size_t len)
{
	const char *s;

	if (member_str(state, "status", &s, err, len) == -1)
		return -1;
	h->mode = mode;
	if (mode != OCI_MODE_AUTO)
		return 0;
	if (s == NULL)
		return errf(err, len, EINVAL, "status: missing: give start or stop");
	if (strcmp(s, "creating") == 0 || strcmp(s, "created") == 0)
		h->mode = OCI_MODE_START;
	else if (strcmp(s, "stopped") == 0)
		h->mode = OCI_MODE_STOP;
	else
		return errf(err, len, EINVAL, "status: \"%.32s\" is neither creating, "
		    "created nor stopped: give start or stop", s);
	return 0;
}

static int
state_pid(const json_t *state, struct oci_hook *h, char *err, size_t len)
{
	const json_t *v = json_object_get(state, "pid");

	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > INT_MAX)
			return errf(err, len, EINVAL, "pid: not a process id");
		h->pid = (int)json_integer_value(v);
	}
	if (h->mode == OCI_MODE_START && h->pid == 0)
		return errf(err, len, EINVAL, "pid: missing: the runtime must give the "
		    "container's pid at createRuntime");
	return 0;
}

static int
state_bundle(const json_t *state, struct oci_hook *h, char *err, size_t len)
{
	const char *s;

	if (member_str(state, "bundle", &s, err, len) == -1)
		return -1;
	if (s == NULL || *s == '\0') {
		if (h->mode == OCI_MODE_START)
			return errf(err, len, EINVAL, "bundle: missing");
		return 0;
	}
	if (s[0] != '/')
		return errf(err, len, EINVAL, "bundle: not an absolute path");
	/* Room for "/config.json" after it. */
	if (strlen(s) + sizeof("/config.json") > sizeof(h->bundle))
		return errf(err, len, EINVAL, "bundle: path too long");
	snprintf(h->bundle, sizeof(h->bundle), "%s", s);
	return 0;
}

int
oci_state_parse(const json_t *state, enum oci_mode mode, struct oci_hook *h,
    char *err, size_t len)
{
	const char *s;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(state))
		return errf(err, len, EINVAL, "state: not a JSON object");
	if (state_annotations(state, h, err, len) == -1)
		return -1;
	if (member_str(state, "ociVersion", &s, err, len) == -1)
		return -1;
	if (s == NULL)
		return errf(err, len, EINVAL, "ociVersion: missing");
	if (strncmp(s, "1.", 2) != 0)
		return errf(err, len, EINVAL, "ociVersion: unsupported \"%.32s\" (this "
		    "hook knows 1.x)", s);
	if (member_str(state, "id", &s, err, len) == -1)
		return -1;
	if (s == NULL || *s == '\0')
		return errf(err, len, EINVAL, "id: missing");
	if (strlen(s) > OCI_ID_MAX)
		return errf(err, len, EINVAL, "id: longer than %d bytes", OCI_ID_MAX);
	snprintf(h->oci_id, sizeof(h->oci_id), "%s", s);
	if (state_mode(state, mode, h, err, len) == -1 ||
	    state_pid(state, h, err, len) == -1 ||
	    state_bundle(state, h, err, len) == -1)
		return -1;
	return 0;
}

int
oci_name_from_id(const char *id, char *name, const char **why)
{
	char cut[ICC_NAME_MAX + 1];

	snprintf(cut, strlen(id) > ICC_NAME_MAX ? OCI_SHORT_ID + 1 :
	    sizeof(cut), "%s", id);
	if (parse_name(cut, why) == -1)
		return -1;
	memcpy(name, cut, sizeof(cut));
	return 0;
}

/* check_ports, check_link: list checkers over parse.h's parsers. */
/* ann_str: the io.iccd.* annotation a (NULL when absent). */
static const char *
ann_str(const json_t *ann, enum ann a)
{
	return json_string_value(json_object_get(ann, ann_key[a]));
}

/*
 * merge_annotations: config.json's annotations overridden by the state's,
 * as one new object.  Every io.iccd.* key must be known and a string.
 */
static json_t *
merge_annotations(const struct oci_hook *h, const json_t *config, char *err,
    size_t len)
{
	json_t *ann = json_object(), *cfg = NULL, *v;
	const char *key, *s;
	size_t known;

	if (config != NULL && (cfg = json_object_get(config,
	    "annotations")) != NULL && !json_is_object(cfg)) {
		errf(err, len, EINVAL, "annotations (config.json): not an object");
		goto bad;
	}
	if (ann == NULL || (cfg != NULL && json_object_update(ann, cfg) == -1) ||
	    (h->state_ann != NULL && json_object_update(ann, h->state_ann) ==
	    -1)) {
		errf(err, len, EINVAL, "annotations: out of memory");
		goto bad;
	}
	json_object_foreach(ann, key, v) {
		if (strncmp(key, OCI_ANN_PREFIX, strlen(OCI_ANN_PREFIX)) != 0)
			continue;
		for (known = 0; known < ANN_NR; known++)
			if (strcmp(key, ann_key[known]) == 0)
				break;
		if (known == ANN_NR) {
			errf(err, len, EINVAL, "%.64s: unknown annotation", key);
			goto bad;
		}
		if (member_str(ann, key, &s, err, len) == -1)
			goto bad;
	}
	return ann;
bad:
	json_decref(ann);
	return NULL;
}

static int
ann_on_error(const json_t *ann, struct oci_hook *h, char *err, size_t len)
{
	const char *s = ann_str(ann, ANN_ON_ERROR);

	h->warn = s != NULL && strcmp(s, "warn") == 0;
	if (s != NULL && !h->warn && strcmp(s, "fail") != 0)
		return errf(err, len, EINVAL, "%s: \"%.32s\": want fail or warn",
		    ann_key[ANN_ON_ERROR], s);
	return 0;
}

static int
ann_name(const json_t *ann, struct oci_hook *h, char *err, size_t len)
{
	const char *s = ann_str(ann, ANN_NAME), *why;

	if (parse_id(h->oci_id, &why) == 0)
		snprintf(h->id, sizeof(h->id), "%s", h->oci_id);
	if (s == NULL) {
		if (oci_name_from_id(h->oci_id, h->name, &why) == -1)
			return errf(err, len, EINVAL, "%s: missing, and the OCI id "
			    "\"%.64s\" is no valid name (%s)", ann_key[ANN_NAME],
			    h->oci_id, why);
		return 0;
	}
	if (parse_name(s, &why) == -1)
		return errf(err, len, EINVAL, "%s: %s", ann_key[ANN_NAME], why);
	snprintf(h->name, sizeof(h->name), "%s", s);
	return 0;
}

/*
 * links_consistent: what request_parse would refuse about the links as a
 * whole, named after the annotation: a link to the container itself, or
 * one alias for two sources.
 */
static int
links_consistent(const struct oci_hook *h, char *err, size_t len)
{
	char src[ICC_NAME_MAX + 1], alias[ICC_NAME_MAX + 1];
	char src2[ICC_NAME_MAX + 1], alias2[ICC_NAME_MAX + 1];
	const char *key = ann_key[ANN_LINKS], *why;
	size_t i, j;

	for (i = 0; i < json_array_size(h->links); i++) {
		parse_link(json_string_value(json_array_get(h->links, i)), src,
		    alias, &why);
		if (strcmp(src, h->name) == 0)
			return errf(err, len, EINVAL, "%s: %s: a container cannot link "
			    "to itself", key, src);
		for (j = 0; j < i; j++) {
			parse_link(json_string_value(json_array_get(h->links,
			    j)), src2, alias2, &why);
			if (strcmp(alias, alias2) == 0 && strcmp(src, src2) != 0)
				return errf(err, len, EINVAL, "%s: alias \"%s\" used "
				    "for %s and %s", key, alias, src2, src);
		}
	}
	return 0;
}

static int
ann_lists(const json_t *ann, struct oci_hook *h, char *err, size_t len)
{
	const char *s;

	s = ann_str(ann, ANN_EXPOSE);
	if ((h->expose = comma_split(ann_key[ANN_EXPOSE], s ? s : "",
	    ICC_MAX_PORTS, check_ports, err, len)) == NULL)
		return -1;
	s = ann_str(ann, ANN_LINKS);
	if ((h->links = comma_split(ann_key[ANN_LINKS], s ? s : "",
	    ICC_MAX_LINKS, check_link, err, len)) == NULL)
		return -1;
	return links_consistent(h, err, len);
}

static int
ann_env(const json_t *ann, struct oci_hook *h, char *err, size_t len)
{
	const char *key = ann_key[ANN_ENV], *s = ann_str(ann, ANN_ENV), *why;
	json_error_t jerr;
	json_t *e;
	size_t i, klen;

	if (s == NULL) {
		h->env = json_array();
		return h->env == NULL ? errf(err, len, EINVAL, "%s: out of memory",
		    key) : 0;
	}
	/* Decoding refuses \u0000, so no entry can hide a NUL byte. */
	if ((h->env = json_loads(s, 0, &jerr)) == NULL)
		return errf(err, len, EINVAL, "%s: not JSON: %s (want an array of "
		    "\"KEY=VALUE\" strings)", key, jerr.text);
	if (!json_is_array(h->env))
		return errf(err, len, EINVAL, "%s: not a JSON array of \"KEY=VALUE\" "
		    "strings", key);
	if (json_array_size(h->env) > ICC_MAX_ENV)
		return errf(err, len, EINVAL, "%s: more than %d entries", key,
		    ICC_MAX_ENV);
	json_array_foreach(h->env, i, e) {
		if (!json_is_string(e))
			return errf(err, len, EINVAL, "%s: entry %zu is not a string",
			    key, i + 1);
		if (parse_env(json_string_value(e), &klen, &why) == -1)
			return errf(err, len, EINVAL, "%s: entry %zu: %s", key, i + 1,
			    why);
	}
	return 0;
}

static int
ann_netns(const json_t *ann, struct oci_hook *h, char *err, size_t len)
{
	const char *s, *why;

	if ((s = ann_str(ann, ANN_INTERFACE)) != NULL) {
		if (parse_ifname(s, &why) == -1)
			return errf(err, len, EINVAL, "%s: %s", ann_key[ANN_INTERFACE],
			    why);
		snprintf(h->ifname, sizeof(h->ifname), "%s", s);
	}
	if ((s = ann_str(ann, ANN_HOST_NETNS)) != NULL) {
		if (s[0] != '/')
			return errf(err, len, EINVAL, "%s: not an absolute path",
			    ann_key[ANN_HOST_NETNS]);
		if (strlen(s) >= sizeof(h->host_netns))
			return errf(err, len, EINVAL, "%s: path too long",
			    ann_key[ANN_HOST_NETNS]);
		snprintf(h->host_netns, sizeof(h->host_netns), "%s", s);
	}
	return 0;
}

static int
config_hostname(const json_t *config, struct oci_hook *h, char *err,
    size_t len)
{
	const char *s, *why;

	if (config == NULL)
		return 0;
	if (member_str(config, "hostname", &s, err, len) == -1)
		return -1;
	if (s == NULL || *s == '\0')
		return 0;
	if (parse_hostname(s, &why) == -1)
		return errf(err, len, EINVAL, "hostname (config.json): %s", why);
	snprintf(h->hostname, sizeof(h->hostname), "%s", s);
	return 0;
}

/* mount_is_bind: type "bind", or "bind"/"rbind" among the options. */
static bool
mount_is_bind(const json_t *m)
{
	const json_t *v;
	size_t i;

	if (json_is_string(json_object_get(m, "type")) &&
	    strcmp(json_string_value(json_object_get(m, "type")), "bind") == 0)
		return true;
	json_array_foreach(json_object_get(m, "options"), i, v)
		if (json_is_string(v) && (strcmp(json_string_value(v),
		    "bind") == 0 || strcmp(json_string_value(v), "rbind") == 0))
			return true;
	return false;
}

/* hosts_path_check: absolute, no "", "." or ".." component, named hosts. */
static int
hosts_path_check(const char *s, const char **why)
{
	const char *p, *next;

	if (s[0] != '/')
		return *why = "not an absolute path", -1;
	if (strlen(s) >= PATH_MAX)
		return *why = "too long", -1;
	for (p = s + 1; ; p = next + 1) {
		size_t n = (next = strchr(p, '/')) ? (size_t)(next - p) :
		    strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return *why = "an empty, \".\" or \"..\" component", -1;
		if (next == NULL)
			return strcmp(p, "hosts") == 0 ? 0 :
			    (*why = "not a file named \"hosts\"", -1);
	}
}

/* config_hosts: the source of the /etc/hosts bind mount, if any. */
static int
config_hosts(const json_t *config, struct oci_hook *h, char *err,
    size_t len)
{
	const json_t *mounts, *m;
	const char *dst, *src, *why;
	size_t i;

	if (config == NULL ||
	    (mounts = json_object_get(config, "mounts")) == NULL)
		return 0;
	if (!json_is_array(mounts))
		return errf(err, len, EINVAL, "mounts (config.json): not an "
		    "array");
	json_array_foreach(mounts, i, m) {
		dst = json_string_value(json_object_get(m, "destination"));
		if (dst == NULL || strcmp(dst, "/etc/hosts") != 0 ||
		    !mount_is_bind(m))
			continue;
		if ((src = json_string_value(json_object_get(m,
		    "source"))) == NULL)
			return errf(err, len, EINVAL, "mounts[%zu].source "
			    "(config.json): missing or not a string", i);
		if (hosts_path_check(src, &why) == -1)
			return errf(err, len, EINVAL, "mounts[%zu].source "
			    "(config.json): %s: %s", i, src, why);
		snprintf(h->hosts_file, sizeof(h->hosts_file), "%s", src);
	}
	return 0;
}

int
oci_config_parse(struct oci_hook *h, const json_t *config, char *err,
    size_t len)
{
	json_t *ann;
	int rv;

	if (config != NULL && !json_is_object(config))
		return errf(err, len, EINVAL, "config.json: not a JSON object");
	if ((ann = merge_annotations(h, config, err, len)) == NULL)
		return -1;
	/* on-error first: a caller honours it whatever fails next. */
	rv = ann_on_error(ann, h, err, len);
	if (rv == 0)
		rv = ann_name(ann, h, err, len);
	if (rv == 0)
		rv = ann_lists(ann, h, err, len);
	if (rv == 0)
		rv = ann_env(ann, h, err, len);
	if (rv == 0)
		rv = ann_netns(ann, h, err, len);
	if (rv == 0)
		rv = config_hostname(config, h, err, len);
	if (rv == 0)
		rv = config_hosts(config, h, err, len);
	json_decref(ann);
	return rv;
}

void
oci_hook_clear(struct oci_hook *h)
{
	json_decref(h->expose);
	json_decref(h->links);
	json_decref(h->env);
	json_decref(h->state_ann);
	h->expose = h->links = h->env = h->state_ann = NULL;
}

json_t *
oci_start_request(const struct oci_hook *h, const char *bridge,
    const struct in_addr *ip4, const struct in6_addr *ip6)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	struct msg_start s = {
		.name = h->name, .bridge = bridge,
		.ip = inet_ntop(AF_INET, ip4, a4, sizeof(a4)),
		.ip6 = ip6 != NULL ? inet_ntop(AF_INET6, ip6, a6, sizeof(a6)) :
		    NULL,
		.id = h->id[0] != '\0' ? h->id : NULL,
		.hostname = h->hostname[0] != '\0' ? h->hostname : NULL,
		.expose = h->expose, .links = h->links, .env = h->env
	};

	return msg_start(&s);
}

int
oci_set_port(json_t *req, const char *port, const uint8_t mac[6])
{
	char m[18];

	if (json_object_set_new(req, "port", json_string(port)) == -1 ||
	    json_object_set_new(req, "mac", json_string(mac_format(mac, m,
	    sizeof(m)))) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

json_t *
oci_stop_request(const struct oci_hook *h)
{
	return msg_request("stop", h->name);
}

/* has_str: the array a holds s, or s with suffix appended (when not NULL
 * and s has no '/', so that "3306" matches "3306/tcp"). */
static bool
has_str(const json_t *a, const char *s, const char *suffix)
{
	const json_t *v;
	char buf[64];
	size_t i;

	json_array_foreach(a, i, v) {
		const char *e = json_string_value(v);

		if (e == NULL)
			continue;
		if (strcmp(e, s) == 0)
			return true;
		if (suffix != NULL && strchr(e, '/') == NULL &&
		    snprintf(buf, sizeof(buf), "%s%s", e, suffix) <
		    (int)sizeof(buf) && strcmp(buf, s) == 0)
			return true;
	}
	return false;
}

/* link_declared: SOURCE:ALIAS is one of h's links. */
static bool
link_declared(const struct oci_hook *h, const char *source,
    const char *alias)
{
	char both[2 * ICC_NAME_MAX + 2];

	snprintf(both, sizeof(both), "%s:%s", source, alias);
	return has_str(h->links, both, NULL) || (strcmp(source, alias) == 0 &&
	    has_str(h->links, source, NULL));
}

/* links_owned: every request-made link of h->name's in list is h's. */
static bool
links_owned(const struct oci_hook *h, const json_t *list)
{
	const json_t *links = json_object_get(list, "links"), *l;
	const char *rcv, *src, *alias, *from;
	size_t i;

	if (!json_is_array(links))
		return false;
	json_array_foreach(links, i, l) {
		rcv = json_string_value(json_object_get(l, "receiver"));
		src = json_string_value(json_object_get(l, "source"));
		alias = json_string_value(json_object_get(l, "alias"));
		from = json_string_value(json_object_get(l, "from"));
		if (rcv == NULL || src == NULL || alias == NULL || from == NULL)
			return false;
		if (strcmp(rcv, h->name) == 0 && strcmp(from, "event") == 0 &&
		    !link_declared(h, src, alias))
			return false;
	}
	return true;
}

/* ports_owned: every request-made port of c is one of h's. */
static bool
ports_owned(const struct oci_hook *h, const struct msg_container *c)
{
	const json_t *v;
	const char *p, *from;
	size_t i;

	if (c->expose == NULL)
		return true;
	json_array_foreach(c->expose, i, v) {
		p = json_string_value(v);
		from = json_string_value(json_array_get(c->expose_from, i));
		if (p == NULL || (from != NULL && strcmp(from, "event") != 0))
			continue;
		if (!has_str(h->expose, p, "/tcp"))
			return false;
	}
	return true;
}

bool
oci_hook_owns(const struct oci_hook *h, const json_t *list,
    const struct msg_container *c)
{
	if (c->id[0] == '\0' || h->id[0] == '\0' || strcmp(c->id, h->id) != 0)
		return false;
	return links_owned(h, list) && ports_owned(h, c);
}

json_t *
oci_rm_request(const struct oci_hook *h)
{
	return msg_request("rm", h->name);
}

json_t *
oci_hosts_request(const struct oci_hook *h)
{
	json_t *req = msg_request("hosts", h->name);

	if (req != NULL && json_object_set_new(req, "write",
	    json_string(h->hosts_file)) == -1) {
		json_decref(req);
		return NULL;
	}
	return req;
}
