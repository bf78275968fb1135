/*
 * cniconf.c: the plugin's configuration: the CNI environment, the config's
 * keys, the per-container options and the name iccd knows the container
 * by; the VERSION reply.  Its prevResult is read by cniprev.c, the request
 * and the replies are cnireply.c's.  See cniconf.h.
 *
 * Where cniconf.h is silent:
 *  - Strings from the config that end up in an error line are shown as
 *    JSON (quoted, escaped, cut at 64 bytes), so a hostile value can
 *    neither break the line nor make it long.
 *  - What a DEL tolerates: per-container input (runtimeConfig.icc,
 *    args.icc, ICC_NAME) that could not have been added; a config-wide
 *    error (bad JSON, version, unknown key, socket) fails DEL as it fails
 *    ADD, since every container of the network then needs the admin.
 */
#include "cniconf_int.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define SHOW_MAX	64		/* bytes of a value shown in an error */

static const char *const versions[] = { "0.4.0", "1.0.0" };

/* Top-level keys of the plugin configuration icc accepts. */
static const char *const conf_keys[] = {
	"cniVersion", "name", "type", "prevResult", "runtimeConfig", "args",
	"capabilities", "bridge", "socket"
};

/* Keys of the per-container options object. */
static const char *const opt_keys[] = {
	"name", "hostname", "expose", "links", "env"
};

int
cni_fail(struct cni_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	verrf(err->details, sizeof(err->details), 0, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
cni_msg(int code)
{
	switch (code) {
	case CNI_ERR_VERSION:	return "Incompatible CNI version";
	case CNI_ERR_FIELD:	return "Unsupported field in network configuration";
	case CNI_ERR_UNKNOWN:	return "Container unknown or does not exist";
	case CNI_ERR_ENV:	return "Invalid necessary environment variables";
	case CNI_ERR_IO:	return "I/O failure";
	case CNI_ERR_DECODE:	return "Failed to decode content";
	case CNI_ERR_CONFIG:	return "Invalid network config";
	case CNI_ERR_AGAIN:	return "Try again later";
	case CNI_ERR_ICCD:	return "iccd refused the request";
	case CNI_ERR_CHECK:	return "iccd differs from the expected state";
	default:		return "Unknown error";
	}
}

/* show: v as compact JSON into buf, cut to SHOW_MAX bytes.  Returns buf. */
static const char *
show(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s == NULL)
		snprintf(buf, len, "?");
	else if (strlen(s) > SHOW_MAX)
		snprintf(buf, len, "%.*s...", SHOW_MAX, s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

/* show_str: a C string shown as show() shows a JSON string. */
static const char *
show_str(const char *s, char *buf, size_t len)
{
	json_t *v = json_string(s);

	if (v == NULL)			/* not UTF-8 */
		snprintf(buf, len, "(not UTF-8)");
	else
		show(v, buf, len);
	json_decref(v);
	return buf;
}

/* jstr: v's text if v is a string without NUL bytes, else NULL. */
const char *
cni_jstr(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* ---- environment ----------------------------------------------------------- */

static const char *
env_get(char *const *envp, const char *key)
{
	size_t n = strlen(key);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, key, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* env_need: the variable `key`, which must be set and non-empty. */
static int
env_need(char *const *envp, const char *key, const char **out,
    struct cni_err *err)
{
	if ((*out = env_get(envp, key)) == NULL || **out == '\0')
		return cni_fail(err, CNI_ERR_ENV, "%s: missing or empty", key);
	return 0;
}

static int
env_command(char *const *envp, struct cni_env *e, struct cni_err *err)
{
	static const char *const cmds[] = {
		[CNI_ADD] = "ADD", [CNI_DEL] = "DEL", [CNI_CHECK] = "CHECK",
		[CNI_VERSION] = "VERSION"
	};
	char buf[SHOW_MAX + 8];
	const char *s;

	if (env_need(envp, "CNI_COMMAND", &s, err) == -1)
		return -1;
	for (size_t i = 0; i < NELEM(cmds); i++)
		if (strcmp(s, cmds[i]) == 0) {
			e->cmd = (enum cni_cmd)i;
			return 0;
		}
	return cni_fail(err, CNI_ERR_ENV, "CNI_COMMAND: unknown command %s",
	    show_str(s, buf, sizeof(buf)));
}

/* The spec's container id: [A-Za-z0-9][A-Za-z0-9_.-]*, and iccd's limit. */
static int
env_containerid(const char *s, struct cni_env *e, struct cni_err *err)
{
	const char *why;

	if (parse_id(s, &why) == -1)
		return cni_fail(err, CNI_ERR_ENV, "CNI_CONTAINERID: %s", why);
	if (!isalnum((unsigned char)s[0]))
		return cni_fail(err, CNI_ERR_ENV, "CNI_CONTAINERID: must start "
		    "with a letter or digit");
	snprintf(e->containerid, sizeof(e->containerid), "%s", s);
	return 0;
}

static int
env_ifname(const char *s, struct cni_env *e, struct cni_err *err)
{
	const char *why;

	if (parse_ifname(s, &why) == -1)
		return cni_fail(err, CNI_ERR_ENV, "CNI_IFNAME: %s", why);
	snprintf(e->ifname, sizeof(e->ifname), "%s", s);
	return 0;
}

/*
 * env_args: CNI_ARGS "K=V;K=V".  Every pair needs a '=' and a key, as Go
 * plugins demand; ICC_NAME is kept as given and checked with the name.
 */
static int
env_args(const char *s, struct cni_env *e, struct cni_err *err)
{
	const char *p = s, *end, *eq;
	char buf[SHOW_MAX + 8], pair[SHOW_MAX + 1];
	size_t n;

	if (s == NULL || *s == '\0')
		return 0;
	for (;;) {
		end = strchr(p, ';');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		eq = memchr(p, '=', n);
		if (eq == NULL || eq == p) {
			snprintf(pair, sizeof(pair), "%.*s", (int)n, p);
			return cni_fail(err, CNI_ERR_ENV, "CNI_ARGS: %s is not "
			    "KEY=VALUE", show_str(pair, buf, sizeof(buf)));
		}
		if (eq - p == 8 && strncmp(p, "ICC_NAME", 8) == 0) {
			if (e->has_icc_name)
				return cni_fail(err, CNI_ERR_ENV, "CNI_ARGS: "
				    "ICC_NAME given twice");
			/* One byte over the limit is enough to refuse it. */
			snprintf(e->icc_name, sizeof(e->icc_name), "%.*s",
			    (int)(n - 9), eq + 1);
			e->has_icc_name = true;
		}
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

int
cni_env_parse(char *const *envp, struct cni_env *e, struct cni_err *err)
{
	const char *s;

	memset(e, 0, sizeof(*e));
	if (env_command(envp, e, err) == -1)
		return -1;
	if (e->cmd == CNI_VERSION)
		return 0;
	if (env_need(envp, "CNI_CONTAINERID", &s, err) == -1 ||
	    env_containerid(s, e, err) == -1)
		return -1;
	if (e->cmd != CNI_DEL && env_need(envp, "CNI_NETNS", &s, err) == -1)
		return -1;
	if ((s = env_get(envp, "CNI_NETNS")) != NULL) {
		if (strlen(s) >= sizeof(e->netns))
			return cni_fail(err, CNI_ERR_ENV, "CNI_NETNS: path too "
			    "long");
		snprintf(e->netns, sizeof(e->netns), "%s", s);
	}
	if (env_need(envp, "CNI_IFNAME", &s, err) == -1 ||
	    env_ifname(s, e, err) == -1)
		return -1;
	return env_args(env_get(envp, "CNI_ARGS"), e, err);
}

/* ---- top-level keys ------------------------------------------------------- */

static bool
in_list(const char *key, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

/* show_key: a key as it is, but control bytes as '?', cut at SHOW_MAX. */
static const char *
show_key(const char *key, char *buf, size_t len)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i < SHOW_MAX && i + 4 < len; i++)
		buf[i] = iscntrl((unsigned char)key[i]) ? '?' : key[i];
	buf[i] = '\0';
	if (key[i] != '\0')
		snprintf(buf + i, len - i, "...");
	return buf;
}

/* unknown_key: err for `key` with its value (spec: name both). */
static int
unknown_key(struct cni_err *err, const char *prefix, const char *key,
    const json_t *v)
{
	char kbuf[SHOW_MAX + 8], vbuf[SHOW_MAX + 8];

	return cni_fail(err, CNI_ERR_FIELD, "%s%s: unsupported field (value %s)",
	    prefix, show_key(key, kbuf, sizeof(kbuf)), show(v, vbuf,
	    sizeof(vbuf)));
}

static int
conf_version(const json_t *doc, struct cni_conf *c, struct cni_err *err)
{
	const json_t *v = json_object_get(doc, "cniVersion");
	char buf[SHOW_MAX + 8];
	const char *s;

	if (v == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "cniVersion: missing");
	if ((s = cni_jstr(v)) == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "cniVersion: not a string");
	if (strlen(s) < sizeof(c->version))
		snprintf(c->version, sizeof(c->version), "%s", s);
	if (!in_list(s, versions, NELEM(versions)))
		return cni_fail(err, CNI_ERR_VERSION, "cniVersion: %s is not "
		    "supported (icc supports 0.4.0 and 1.0.0)", show(v, buf,
		    sizeof(buf)));
	return 0;
}

static int
conf_keys_check(const json_t *doc, struct cni_err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)doc, key, v) {
		/* The spec reserves cni.dev/ keys for runtimes. */
		if (in_list(key, conf_keys, NELEM(conf_keys)) ||
		    strncmp(key, "cni.dev/", 8) == 0)
			continue;
		return unknown_key(err, "", key, v);
	}
	if (cni_jstr(json_object_get(doc, "name")) == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "name: missing or not a "
		    "string");
	if (cni_jstr(json_object_get(doc, "type")) == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "type: missing or not a "
		    "string");
	return 0;
}

static int
conf_socket(const json_t *doc, struct cni_conf *c, struct cni_err *err)
{
	const json_t *v = json_object_get(doc, "socket");
	struct sockaddr_un sun;
	const char *s;

	if (v == NULL)
		return 0;
	if ((s = cni_jstr(v)) == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "socket: not a string");
	if (s[0] != '/')
		return cni_fail(err, CNI_ERR_CONFIG, "socket: not an absolute "
		    "path");
	if (strlen(s) >= sizeof(sun.sun_path))
		return cni_fail(err, CNI_ERR_CONFIG, "socket: longer than %zu "
		    "bytes", sizeof(sun.sun_path) - 1);
	snprintf(c->socket, sizeof(c->socket), "%s", s);
	return 0;
}

static int
conf_bridge(const json_t *doc, struct cni_conf *c, struct cni_err *err)
{
	const json_t *v = json_object_get(doc, "bridge");
	const char *s, *why;

	if (v == NULL)
		return 0;
	if ((s = cni_jstr(v)) == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "bridge: not a string");
	if (parse_ifname(s, &why) == -1)
		return cni_fail(err, CNI_ERR_CONFIG, "bridge: %s", why);
	snprintf(c->bridge, sizeof(c->bridge), "%s", s);
	c->bridge_given = true;
	return 0;
}

/* ---- per-container options ------------------------------------------------ */

static int
conf_opts(const json_t *doc, struct cni_conf *c, struct cni_err *err)
{
	const json_t *rc = json_object_get(doc, "runtimeConfig");
	const json_t *args = json_object_get(doc, "args");
	const json_t *ro = NULL, *ao = NULL;

	if (rc != NULL && !json_is_object(rc))
		return cni_fail(err, CNI_ERR_CONFIG, "runtimeConfig: not an "
		    "object");
	if (args != NULL && !json_is_object(args))
		return cni_fail(err, CNI_ERR_CONFIG, "args: not an object");
	if (rc != NULL)
		ro = json_object_get(rc, "icc");
	if (args != NULL)
		ao = json_object_get(args, "icc");
	if (ro != NULL && ao != NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "runtimeConfig.icc: args.icc "
		    "is given too; use one");
	if (ro == NULL && ao == NULL)
		return 0;
	snprintf(c->opts_src, sizeof(c->opts_src), "%s", ro != NULL ?
	    "runtimeConfig.icc" : "args.icc");
	if (!json_is_object(ro != NULL ? ro : ao))
		return cni_fail(err, CNI_ERR_CONFIG, "%s: not an object",
		    c->opts_src);
	c->opts = json_incref((json_t *)(ro != NULL ? ro : ao));
	return 0;
}

/* conf_name: the iccd name; see cniconf.h for the order. */
static int
conf_name(const struct cni_env *e, struct cni_conf *c, struct cni_err *err)
{
	const json_t *v = c->opts != NULL ? json_object_get(c->opts, "name") :
	    NULL;
	const char *s, *why;

	if (v != NULL) {
		if ((s = cni_jstr(v)) == NULL)
			return cni_fail(err, CNI_ERR_CONFIG, "%s.name: not a "
			    "string", c->opts_src);
		if (parse_name(s, &why) == -1)
			return cni_fail(err, CNI_ERR_CONFIG, "%s.name: %s",
			    c->opts_src, why);
		if (e->has_icc_name && strcmp(e->icc_name, s) != 0)
			return cni_fail(err, CNI_ERR_CONFIG, "%s.name: \"%s\" "
			    "differs from CNI_ARGS ICC_NAME", c->opts_src, s);
		snprintf(c->name, sizeof(c->name), "%s", s);
		snprintf(c->name_src, sizeof(c->name_src), "%s.name",
		    c->opts_src);
		return 0;
	}
	if (e->has_icc_name) {
		if (parse_name(e->icc_name, &why) == -1)
			return cni_fail(err, CNI_ERR_ENV, "CNI_ARGS: ICC_NAME: %s",
			    why);
		snprintf(c->name, sizeof(c->name), "%s", e->icc_name);
		snprintf(c->name_src, sizeof(c->name_src), "ICC_NAME");
		return 0;
	}
	/* cni_env_parse checked the id against the same character rule. */
	snprintf(c->name, sizeof(c->name), "%.*s", strlen(e->containerid) >
	    ICC_NAME_MAX ? CNI_SHORT_ID : ICC_NAME_MAX, e->containerid);
	snprintf(c->name_src, sizeof(c->name_src), "CNI_CONTAINERID");
	return 0;
}

/* opt_strings: option `key` is absent or a list of at most max strings. */
static int
opt_strings(const struct cni_conf *c, const char *key, size_t max,
    int (*check)(const char *, const char **), struct cni_err *err)
{
	const json_t *a = json_object_get(c->opts, key), *v;
	char buf[SHOW_MAX + 8];
	const char *s, *why;
	size_t i;

	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return cni_fail(err, CNI_ERR_CONFIG, "%s.%s: not a list",
		    c->opts_src, key);
	if (json_array_size(a) > max)
		return cni_fail(err, CNI_ERR_CONFIG, "%s.%s: more than %zu "
		    "entries", c->opts_src, key, max);
	json_array_foreach(a, i, v) {
		if ((s = cni_jstr(v)) == NULL)
			return cni_fail(err, CNI_ERR_CONFIG, "%s.%s[%zu]: not a "
			    "string", c->opts_src, key, i);
		if (check(s, &why) == -1)
			return cni_fail(err, CNI_ERR_CONFIG, "%s.%s[%zu]: %s: %s",
			    c->opts_src, key, i, show(v, buf, sizeof(buf)),
			    why);
	}
	return 0;
}

static int
check_env(const char *s, const char **why)
{
	size_t klen;

	return parse_env(s, &klen, why);
}

static int
opts_check(const struct cni_conf *c, struct cni_err *err)
{
	const json_t *v;
	const char *key, *s, *why;

	if (c->opts == NULL)
		return 0;
	json_object_foreach(c->opts, key, v)
		if (!in_list(key, opt_keys, NELEM(opt_keys)))
			return unknown_key(err, c->opts_src[0] == 'r' ?
			    "runtimeConfig.icc." : "args.icc.", key, v);
	if ((v = json_object_get(c->opts, "hostname")) != NULL) {
		if ((s = cni_jstr(v)) == NULL)
			return cni_fail(err, CNI_ERR_CONFIG, "%s.hostname: not a "
			    "string", c->opts_src);
		if (parse_hostname(s, &why) == -1)
			return cni_fail(err, CNI_ERR_CONFIG, "%s.hostname: %s",
			    c->opts_src, why);
	}
	if (opt_strings(c, "expose", ICC_MAX_PORTS, check_ports, err) == -1 ||
	    opt_strings(c, "links", ICC_MAX_LINKS, check_link, err) == -1 ||
	    opt_strings(c, "env", ICC_MAX_ENV, check_env, err) == -1)
		return -1;
	return 0;
}

/* conf_identity: options and name; on DEL a failure only means "none". */
static int
conf_identity(const json_t *doc, const struct cni_env *e, struct cni_conf *c,
    struct cni_err *err)
{
	if (conf_opts(doc, c, err) == 0 && conf_name(e, c, err) == 0 &&
	    (e->cmd == CNI_DEL || opts_check(c, err) == 0))
		return 0;
	c->name[0] = '\0';
	if (e->cmd != CNI_DEL)
		return -1;
	err->code = 0;			/* details say why nothing is done */
	return 0;
}

int
cni_conf_parse(const char *buf, size_t len, const struct cni_env *e,
    struct cni_conf *c, struct cni_err *err)
{
	json_error_t jerr;
	json_t *doc;
	int rv = -1;

	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	if ((doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return cni_fail(err, CNI_ERR_DECODE, "config: line %d column %d: "
		    "%s", jerr.line, jerr.column, jerr.text);
	if (!json_is_object(doc))
		cni_fail(err, CNI_ERR_DECODE, "config: not a JSON object");
	else if (conf_version(doc, c, err) == 0 &&
	    conf_keys_check(doc, err) == 0 && conf_socket(doc, c, err) == 0 &&
	    conf_bridge(doc, c, err) == 0 && (e->cmd == CNI_DEL ||
	    cni_conf_prev(doc, e, c, err) == 0))
		rv = conf_identity(doc, e, c, err);
	json_decref(doc);
	return rv;
}

void
cni_conf_clear(struct cni_conf *c)
{
	json_decref(c->prev);
	json_decref(c->opts);
	memset(c, 0, sizeof(*c));
}

/* ---- VERSION --------------------------------------------------------------- */

json_t *
cni_version_reply(const char *buf, size_t len, struct cni_err *err)
{
	const char *version = CNI_VERSION_LATEST, *s;
	json_error_t jerr;
	json_t *in = NULL, *out;
	size_t i;

	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (i < len) {
		if ((in = json_loadb(buf, len, JSON_REJECT_DUPLICATES,
		    &jerr)) == NULL || !json_is_object(in)) {
			json_decref(in);
			cni_fail(err, CNI_ERR_DECODE, "config: %s", in == NULL ?
			    jerr.text : "not a JSON object");
			return NULL;
		}
		if ((s = cni_jstr(json_object_get(in, "cniVersion"))) != NULL)
			version = s;
	}
	out = json_pack("{s:s,s:[s,s]}", "cniVersion", version,
	    "supportedVersions", versions[0], versions[1]);
	json_decref(in);
	if (out == NULL)
		cni_fail(err, CNI_ERR_IO, "out of memory");
	return out;
}
