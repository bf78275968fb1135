/* msg.c: see msg.h. */
#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* ---- requests ------------------------------------------------------------ */

/* put_str: obj[key] = s when s is not NULL; false when out of memory. */
static bool
put_str(json_t *obj, const char *key, const char *s)
{
	return s == NULL || json_object_set_new(obj, key, json_string(s)) == 0;
}

/* put_list: obj[key] = a copy of a when a is a non-empty array. */
static bool
put_list(json_t *obj, const char *key, const json_t *a)
{
	if (a == NULL || json_array_size(a) == 0)
		return true;
	return json_object_set_new(obj, key, json_deep_copy(a)) == 0;
}

json_t *
msg_request(const char *cmd, const char *name)
{
	json_t *req = json_object();

	if (req == NULL || !put_str(req, "cmd", cmd) ||
	    !put_str(req, "name", name)) {
		json_decref(req);
		errno = ENOMEM;
		return NULL;
	}
	return req;
}

json_t *
msg_start(const struct msg_start *s)
{
	json_t *req = msg_request("start", s->name);

	if (req == NULL)
		return NULL;
	if (!put_str(req, "bridge", s->bridge) || !put_str(req, "ip", s->ip) ||
	    !put_str(req, "ip6", s->ip6) || !put_str(req, "id", s->id) ||
	    !put_str(req, "hostname", s->hostname) ||
	    !put_list(req, "expose", s->expose) ||
	    !put_list(req, "links", s->links) ||
	    !put_list(req, "env", s->env) || !put_str(req, "port", s->port) ||
	    !put_str(req, "mac", s->mac)) {
		json_decref(req);
		errno = ENOMEM;
		return NULL;
	}
	return req;
}

/* ---- replies ------------------------------------------------------------- */

/* get_str: o[key] into buf (size bytes); absent is "". */
static int
get_str(const json_t *o, const char *key, char *buf, size_t size,
    char *err, size_t len)
{
	const json_t *v = json_object_get(o, key);
	const char *s;

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	if ((s = json_string_value(v)) == NULL)
		return errf(err, len, EPROTO, "%s: not a string", key);
	if (strlen(s) >= size)
		return errf(err, len, EPROTO, "%s: longer than %zu bytes", key,
		    size - 1);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* get_bool: o[key]; absent is false. */
static int
get_bool(const json_t *o, const char *key, bool *b, char *err, size_t len)
{
	const json_t *v = json_object_get(o, key);

	*b = json_is_true(v);
	if (v != NULL && !json_is_boolean(v))
		return errf(err, len, EPROTO, "%s: not true or false", key);
	return 0;
}

/* get_strings: o[key], an array of strings, borrowed; absent is NULL. */
static int
get_strings(const json_t *o, const char *key, const json_t **a, char *err,
    size_t len)
{
	const json_t *v = json_object_get(o, key), *s;
	size_t i;

	*a = v;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return errf(err, len, EPROTO, "%s: not an array", key);
	json_array_foreach(v, i, s)
		if (!json_is_string(s))
			return errf(err, len, EPROTO, "%s[%zu]: not a string",
			    key, i);
	return 0;
}

static int
get_addrs(const json_t *o, struct msg_container *c, char *err, size_t len)
{
	if (get_str(o, "ip", c->ip, sizeof(c->ip), err, len) == -1 ||
	    get_str(o, "ip6", c->ip6_text, sizeof(c->ip6_text), err,
	    len) == -1)
		return -1;
	if (c->ip[0] != '\0' && inet_pton(AF_INET, c->ip, &c->ip4) != 1)
		return errf(err, len, EPROTO, "ip: not an IPv4 address");
	c->has_ip6 = json_object_get(o, "ip6") != NULL;
	if (c->has_ip6 && inet_pton(AF_INET6, c->ip6_text, &c->ip6) != 1)
		return errf(err, len, EPROTO, "ip6: not an IPv6 address");
	return 0;
}

int
msg_container_decode(const json_t *o, struct msg_container *c, char *err,
    size_t len)
{
	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		return errf(err, len, EPROTO, "not an object");
	if (!json_is_string(json_object_get(o, "name")))
		return errf(err, len, EPROTO, "name: missing or not a string");
	if (get_str(o, "name", c->name, sizeof(c->name), err, len) == -1 ||
	    get_str(o, "id", c->id, sizeof(c->id), err, len) == -1 ||
	    get_bool(o, "running", &c->running, err, len) == -1 ||
	    get_bool(o, "started", &c->started, err, len) == -1 ||
	    get_str(o, "bridge", c->bridge, sizeof(c->bridge), err,
	    len) == -1 || get_addrs(o, c, err, len) == -1 ||
	    get_str(o, "hostname", c->hostname, sizeof(c->hostname), err,
	    len) == -1 ||
	    get_strings(o, "expose", &c->expose, err, len) == -1 ||
	    get_strings(o, "expose_from", &c->expose_from, err, len) == -1 ||
	    get_strings(o, "env", &c->env, err, len) == -1 ||
	    get_str(o, "port", c->port, sizeof(c->port), err, len) == -1 ||
	    get_str(o, "mac", c->mac, sizeof(c->mac), err, len) == -1 ||
	    get_str(o, "binding", c->binding, sizeof(c->binding), err,
	    len) == -1)
		return -1;
	if (c->expose != NULL && c->expose_from != NULL &&
	    json_array_size(c->expose_from) != json_array_size(c->expose))
		return errf(err, len, EPROTO, "expose_from: %zu entries for "
		    "%zu in expose", json_array_size(c->expose_from),
		    json_array_size(c->expose));
	return 0;
}

int
msg_list_get(const json_t *list, size_t i, struct msg_container *c,
    char *err, size_t len)
{
	const json_t *a = json_object_get(list, "containers");
	char why[256];

	memset(c, 0, sizeof(*c));
	if (!json_is_array(a))
		return errf(err, len, EPROTO, "containers: missing or not an "
		    "array");
	if (i >= json_array_size(a))
		return 0;
	if (msg_container_decode(json_array_get(a, i), c, why,
	    sizeof(why)) == -1)
		return errf(err, len, EPROTO, "containers[%zu]%s%s", i,
		    strncmp(why, "not ", 4) == 0 ? ": " : ".", why);
	return 1;
}

int
msg_list_find(const json_t *list, const char *name, struct msg_container *c,
    char *err, size_t len)
{
	int rv;

	for (size_t i = 0; (rv = msg_list_get(list, i, c, err, len)) == 1; i++)
		if (strcmp(c->name, name) == 0)
			return 1;
	return rv;
}
