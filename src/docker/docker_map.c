/*
 * docker_map.c: see docker_map.h.
 *
 * Where docker_map.h is silent:
 *  - Docker's JSON is walked with exact field names; a field of the wrong
 *    type is an error, a missing optional one (null included) is empty.
 *  - A string holding a NUL byte is refused: C would stop reading there.
 *  - Links from the three places are merged; the same SOURCE:ALIAS twice
 *    is one link, one alias for two sources is an error.
 */
#include "docker_map.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commalist.h"
#include "request.h"

#define OPT_BRIDGE_NAME	"com.docker.network.bridge.name"
#define DEFAULT_NET	"bridge"
#define DEFAULT_BRIDGE	"docker0"

/*
 * get_str: the member `key` of obj (NULL or JSON null when absent) into
 * *out.  `path` names obj in errors ("Config").  -1 when not a string or
 * holding a NUL byte; when required, also when absent or empty.
 */
static int
get_str(const json_t *obj, const char *path, const char *key,
    const char **out, bool required, char *err, size_t len)
{
	const json_t *v = json_object_get(obj, key);
	const char *dot = path[0] != '\0' ? "." : "";

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return errf(err, len, EINVAL, "%s%s%s: missing", path, dot,
			    key);
		return 0;
	}
	if (!json_is_string(v))
		return errf(err, len, EINVAL, "%s%s%s: not a string", path, dot,
		    key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return errf(err, len, EINVAL, "%s%s%s: contains a NUL byte",
		    path, dot, key);
	if (required && json_string_length(v) == 0)
		return errf(err, len, EINVAL, "%s%s%s: empty", path, dot, key);
	*out = json_string_value(v);
	return 0;
}

/* get_obj: the object member `key` (NULL when absent or null). */
static int
get_obj(const json_t *obj, const char *path, const char *key,
    const json_t **out, char *err, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return errf(err, len, EINVAL, "%s%s%s: not an object", path,
		    path[0] != '\0' ? "." : "", key);
	*out = v;
	return 0;
}

/* get_strings: the array member `key` of strings (NULL when absent). */
static int
get_strings(const json_t *obj, const char *path, const char *key,
    const json_t **out, char *err, size_t len)
{
	const json_t *v = json_object_get(obj, key), *e;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return errf(err, len, EINVAL, "%s.%s: not a list", path, key);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    strlen(json_string_value(e)) != json_string_length(e))
			return errf(err, len, EINVAL, "%s.%s: entry %zu is not a "
			    "string", path, key, i + 1);
	}
	*out = v;
	return 0;
}

int
dk_check_id(const char *s, const char **why)
{
	if (strlen(s) != DK_ID_LEN) {
		*why = "not 64 hex digits";
		errno = EINVAL;
		return -1;
	}
	if (strspn(s, "0123456789abcdef") != DK_ID_LEN) {
		*why = "not lowercase hex digits";
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
dk_ident(const json_t *c, struct dk_decl *d, char *err, size_t len)
{
	const json_t *state;
	const char *s, *why;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(c))
		return errf(err, len, EINVAL, "container: not a JSON object");
	if (get_str(c, "", "Id", &s, true, err, len) == -1)
		return -1;
	if (dk_check_id(s, &why) == -1)
		return errf(err, len, EINVAL, "Id: %s", why);
	snprintf(d->id, sizeof(d->id), "%s", s);
	if (get_str(c, "", "Name", &s, true, err, len) == -1)
		return -1;
	if (s[0] != '/')
		return errf(err, len, EINVAL, "Name: \"%.64s\" does not start with "
		    "\"/\"", s);
	if (parse_name(s + 1, &why) == -1)
		return errf(err, len, EINVAL, "Name: %.64s: %s", s + 1, why);
	snprintf(d->name, sizeof(d->name), "%s", s + 1);
	if (get_obj(c, "", "State", &state, err, len) == -1)
		return -1;
	if (state == NULL)
		return errf(err, len, EINVAL, "State: missing");
	if (!json_is_boolean(json_object_get(state, "Running")))
		return errf(err, len, EINVAL, "State.Running: not a boolean");
	d->running = json_is_true(json_object_get(state, "Running"));
	return 0;
}

/* endpoints: NetworkSettings.Networks, an object (possibly empty). */
static int
endpoints(const json_t *c, const json_t **out, char *err, size_t len)
{
	const json_t *ns;

	if (get_obj(c, "", "NetworkSettings", &ns, err, len) == -1)
		return -1;
	*out = NULL;
	if (ns != NULL && get_obj(ns, "NetworkSettings", "Networks", out,
	    err, len) == -1)
		return -1;
	return 0;
}

json_t *
dk_network_ids(const json_t *c, char *err, size_t len)
{
	const json_t *nets, *ep;
	const char *name, *id, *why;
	char path[160];
	json_t *ids;

	if (endpoints(c, &nets, err, len) == -1 ||
	    (ids = json_array()) == NULL)
		return NULL;
	json_object_foreach((json_t *)nets, name, ep) {
		snprintf(path, sizeof(path), "NetworkSettings.Networks.%.64s",
		    name);
		if (!json_is_object(ep)) {
			errf(err, len, EINVAL, "%s: not an object", path);
			goto bad;
		}
		if (get_str(ep, path, "NetworkID", &id, true, err, len) == -1)
			goto bad;
		if (dk_check_id(id, &why) == -1) {
			errf(err, len, EINVAL, "%s.NetworkID: %s", path, why);
			goto bad;
		}
		json_array_append_new(ids, json_string(id));
	}
	return ids;
bad:
	json_decref(ids);
	return NULL;
}

int
dk_bridge_name(const json_t *net, char *out, char *err, size_t len)
{
	const json_t *opts;
	const char *drv, *name, *id, *br, *why;

	if (!json_is_object(net))
		return errf(err, len, EINVAL, "network: not a JSON object");
	if (get_str(net, "network", "Driver", &drv, true, err, len) == -1 ||
	    get_str(net, "network", "Name", &name, true, err, len) == -1 ||
	    get_str(net, "network", "Id", &id, true, err, len) == -1)
		return -1;
	if (dk_check_id(id, &why) == -1)
		return errf(err, len, EINVAL, "network %.64s: Id: %s", name, why);
	if (strcmp(drv, "bridge") != 0)
		return 0;
	if (get_obj(net, "network", "Options", &opts, err, len) == -1 ||
	    get_str(opts, "network.Options", OPT_BRIDGE_NAME, &br, false, err,
	    len) == -1)
		return -1;
	if (br != NULL && br[0] != '\0') {
		if (parse_ifname(br, &why) == -1)
			return errf(err, len, EINVAL, "network %.64s: Options."
			    OPT_BRIDGE_NAME ": %s", name, why);
		snprintf(out, ICC_IFNAME_MAX + 1, "%s", br);
	} else if (strcmp(name, DEFAULT_NET) == 0)
		snprintf(out, ICC_IFNAME_MAX + 1, "%s", DEFAULT_BRIDGE);
	else
		snprintf(out, ICC_IFNAME_MAX + 1, "br-%.12s", id);
	return 1;
}

/* The network a container is declared on. */
struct chosen {
	const char	*name;		/* Docker's name of the network */
	const json_t	*ep;		/* the container's endpoint on it */
	char		 bridge[ICC_IFNAME_MAX + 1];
	size_t		 nbridges;	/* bridge networks the container is on */
	const char	*other;		/* one of the others, for the warning */
};

/* better: whether network `name` is preferred to the one chosen so far. */
static bool
better(const char *name, const struct chosen *ch)
{
	if (ch->name == NULL)
		return true;
	if (strcmp(ch->name, DEFAULT_NET) == 0)
		return false;
	return strcmp(name, DEFAULT_NET) == 0 || strcmp(name, ch->name) < 0;
}

/* consider: endpoint `ep` on network `name`; chosen when better. */
static int
consider(const struct dk_inputs *in, const char *name, const json_t *ep,
    struct chosen *ch, char *err, size_t len)
{
	char path[160], br[ICC_IFNAME_MAX + 1];
	const char *id, *why;
	int rv;

	snprintf(path, sizeof(path), "NetworkSettings.Networks.%.64s", name);
	if (get_str(ep, path, "NetworkID", &id, true, err, len) == -1)
		return -1;
	if (dk_check_id(id, &why) == -1)
		return errf(err, len, EINVAL, "%s.NetworkID: %s", path, why);
	if (json_object_get(in->networks, id) == NULL)
		return errf(err, len, EINVAL, "%s: network %.64s not given", path,
		    id);
	if ((rv = dk_bridge_name(json_object_get(in->networks, id), br, err,
	    len)) <= 0)
		return rv;
	ch->nbridges++;
	if (!better(name, ch)) {
		ch->other = name;
		return 0;
	}
	if (ch->name != NULL)
		ch->other = ch->name;
	ch->name = name;
	ch->ep = ep;
	memcpy(ch->bridge, br, sizeof(br));
	return 0;
}

static int
choose_network(const struct dk_inputs *in, struct chosen *ch,
    struct dk_decl *d, char *err, size_t len)
{
	const json_t *nets, *ep;
	const char *name;

	memset(ch, 0, sizeof(*ch));
	if (endpoints(in->container, &nets, err, len) == -1)
		return -1;
	json_object_foreach((json_t *)nets, name, ep) {
		if (!json_is_object(ep))
			return errf(err, len, EINVAL, "NetworkSettings.Networks."
			    "%.64s: not an object", name);
		if (consider(in, name, ep, ch, err, len) == -1)
			return -1;
	}
	if (ch->name != NULL)
		snprintf(d->network, sizeof(d->network), "%s", ch->name);
	if (ch->nbridges > 1)
		snprintf(d->warn, sizeof(d->warn), "NetworkSettings.Networks: "
		    "on %zu bridge networks (%.64s too): declared on %.64s "
		    "only", ch->nbridges, ch->other, ch->name);
	return 0;
}

/* addresses: ip and ip6 of the chosen endpoint into req. */
static int
addresses(const struct chosen *ch, json_t *req, char *err, size_t len)
{
	char path[160];
	const char *s, *why;
	struct in_addr a4;
	struct in6_addr a6;

	snprintf(path, sizeof(path), "NetworkSettings.Networks.%.64s",
	    ch->name);
	if (get_str(ch->ep, path, "IPAddress", &s, true, err, len) == -1)
		return -1;
	if (parse_ipv4(s, &a4, &why) == -1)
		return errf(err, len, EINVAL, "%s.IPAddress: %s", path, why);
	json_object_set_new(req, "ip", json_string(s));
	if (get_str(ch->ep, path, "GlobalIPv6Address", &s, false, err,
	    len) == -1)
		return -1;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (parse_ipv6(s, &a6, &why) == -1)
		return errf(err, len, EINVAL, "%s.GlobalIPv6Address: %s", path,
		    why);
	json_object_set_new(req, "ip6", json_string(s));
	return 0;
}

/* port_cmp: by protocol, then first port. */
static int
port_cmp(const void *a, const void *b)
{
	const struct icc_ports *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (x->first > y->first) - (x->first < y->first);
}

/*
 * merge_runs: sort p and join runs of one protocol whose ports touch or
 * overlap.  Returns the new count.
 */
static size_t
merge_runs(struct icc_ports *p, size_t n)
{
	size_t i, out = 0;

	if (n == 0)
		return 0;
	qsort(p, n, sizeof(*p), port_cmp);
	for (i = 1; i < n; i++) {
		if (p[i].proto == p[out].proto &&
		    (unsigned)p[i].first <= (unsigned)p[out].last + 1) {
			if (p[i].last > p[out].last)
				p[out].last = p[i].last;
		} else
			p[++out] = p[i];
	}
	return out + 1;
}

static int
exposed(const json_t *cfg, json_t *req, char *err, size_t len)
{
	const json_t *ports, *v;
	struct icc_ports *p;
	const char *key, *why;
	char buf[32];
	size_t n = 0, i;
	json_t *a;

	if (get_obj(cfg, "Config", "ExposedPorts", &ports, err, len) == -1)
		return -1;
	if ((p = calloc(json_object_size(ports) + 1, sizeof(*p))) == NULL)
		return errf(err, len, ENOMEM, "Config.ExposedPorts: out of memory");
	json_object_foreach((json_t *)ports, key, v) {
		if (parse_ports(key, &p[n], &why) == -1) {
			free(p);
			return errf(err, len, EINVAL, "Config.ExposedPorts: %.32s: %s",
			    key, why);
		}
		n++;
	}
	n = merge_runs(p, n);
	if (n > ICC_MAX_PORTS) {
		free(p);
		return errf(err, len, EINVAL, "Config.ExposedPorts: more than %d "
		    "port ranges", ICC_MAX_PORTS);
	}
	a = json_array();
	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(ports_format(&p[i], buf,
		    sizeof(buf))));
	free(p);
	json_object_set_new(req, "expose", a);
	return 0;
}

/*
 * add_link: SOURCE:ALIAS into links unless there already; `what` names
 * where it came from.  Refuses a link to the container itself and one
 * alias for two sources.
 */
static int
add_link(json_t *links, const char *me, const char *src, const char *alias,
    const char *what, char *err, size_t len)
{
	char s2[ICC_NAME_MAX + 1], a2[ICC_NAME_MAX + 1], buf[2 * ICC_NAME_MAX + 2];
	const json_t *e;
	const char *why;
	size_t i;

	if (strcmp(src, me) == 0)
		return errf(err, len, EINVAL, "%s: %s: a container cannot link to "
		    "itself", what, src);
	json_array_foreach(links, i, e) {
		parse_link(json_string_value(e), s2, a2, &why);
		if (strcmp(a2, alias) != 0)
			continue;
		if (strcmp(s2, src) == 0)
			return 0;
		return errf(err, len, EINVAL, "%s: alias \"%s\" used for %s and %s",
		    what, alias, s2, src);
	}
	if (json_array_size(links) >= ICC_MAX_LINKS)
		return errf(err, len, EINVAL, "%s: more than %d links", what,
		    ICC_MAX_LINKS);
	snprintf(buf, sizeof(buf), "%s:%s", src, alias);
	return json_array_append_new(links, json_string(buf)) == 0 ? 0 :
	    errf(err, len, ENOMEM, "%s: out of memory", what);
}

/*
 * legacy_link: one HostConfig.Links entry, "/SOURCE:/RECEIVER/ALIAS",
 * where RECEIVER must be this container.
 */
static int
legacy_link(json_t *links, const char *me, const char *s, char *err,
    size_t len)
{
	const char *key = "HostConfig.Links", *colon, *why, *alias;
	char src[ICC_NAME_MAX + 2];
	size_t mlen = strlen(me);

	colon = strchr(s, ':');
	if (s[0] != '/' || colon == NULL || (size_t)(colon - s) > sizeof(src) ||
	    colon[1] != '/')
		return errf(err, len, EINVAL, "%s: %.140s: not /SOURCE:/RECEIVER/"
		    "ALIAS", key, s);
	snprintf(src, (size_t)(colon - s), "%s", s + 1);
	if (parse_name(src, &why) == -1)
		return errf(err, len, EINVAL, "%s: %.140s: source: %s", key, s, why);
	if (strncmp(colon + 2, me, mlen) != 0 || colon[2 + mlen] != '/')
		return errf(err, len, EINVAL, "%s: %.140s: not a link of %s", key,
		    s, me);
	alias = colon + 3 + mlen;
	if (parse_name(alias, &why) == -1)
		return errf(err, len, EINVAL, "%s: %.140s: alias: %s", key, s, why);
	return add_link(links, me, src, alias, key, err, len);
}

/* list_links: "SOURCE[:ALIAS]" entries of array a, from field `what`. */
static int
list_links(json_t *links, const char *me, const json_t *a, const char *what,
    char *err, size_t len)
{
	char src[ICC_NAME_MAX + 1], alias[ICC_NAME_MAX + 1];
	const json_t *e;
	const char *why;
	size_t i;

	json_array_foreach(a, i, e) {
		if (parse_link(json_string_value(e), src, alias, &why) == -1)
			return errf(err, len, EINVAL, "%s: %.140s: %s", what,
			    json_string_value(e), why);
		if (add_link(links, me, src, alias, what, err, len) == -1)
			return -1;
	}
	return 0;
}

/*
 * label_links: io.iccd.links from Config.Labels, unless the image brought
 * it: Config.Labels holds the image's labels too, and only the container's
 * owner may link it.
 */
static int
label_links(const struct dk_inputs *in, const json_t *cfg, json_t *links,
    const char *me, char *err, size_t len)
{
	const char *key = "Config.Labels." DK_LABEL_LINKS, *s, *img = NULL;
	const json_t *labels, *icfg, *ilabels;
	json_t *a;
	int rv;

	if (get_obj(cfg, "Config", "Labels", &labels, err, len) == -1 ||
	    get_str(labels, "Config.Labels", DK_LABEL_LINKS, &s, false, err,
	    len) == -1)
		return -1;
	if (s == NULL)
		return 0;
	/* An image that cannot be checked might have brought the label. */
	if (in->image == NULL)
		return errf(err, len, EPERM, "%s: the container's image could not "
		    "be checked: refused", key);
	if ((icfg = json_object_get(in->image, "Config")) != NULL &&
	    (ilabels = json_object_get(icfg, "Labels")) != NULL)
		img = json_string_value(json_object_get(ilabels, DK_LABEL_LINKS));
	if (img != NULL && strcmp(img, s) == 0)
		return errf(err, len, EPERM, "%s: set by the image, not by whoever "
		    "ran the container: refused (give it with docker run --label)",
		    key);
	if ((a = comma_split(key, s, ICC_MAX_LINKS, check_link, err,
	    len)) == NULL)
		return -1;
	rv = list_links(links, me, a, key, err, len);
	json_decref(a);
	return rv;
}

static int
all_links(const struct dk_inputs *in, const struct chosen *ch,
    const json_t *cfg, json_t *req, const char *me, char *err, size_t len)
{
	const json_t *hc, *a;
	json_t *links = json_array();
	char path[160];
	size_t i;

	if (links == NULL)
		return errf(err, len, ENOMEM, "links: out of memory");
	json_object_set_new(req, "links", links);
	/* Legacy links exist on the default network only. */
	if (strcmp(ch->name, DEFAULT_NET) == 0) {
		if (get_obj(in->container, "", "HostConfig", &hc, err, len) == -1 ||
		    get_strings(hc, "HostConfig", "Links", &a, err, len) == -1)
			return -1;
		for (i = 0; i < json_array_size(a); i++)
			if (legacy_link(links, me, json_string_value(
			    json_array_get(a, i)), err, len) == -1)
				return -1;
	}
	snprintf(path, sizeof(path), "NetworkSettings.Networks.%.64s",
	    ch->name);
	if (get_strings(ch->ep, path, "Links", &a, err, len) == -1)
		return -1;
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ".Links");
	if (list_links(links, me, a, path, err, len) == -1)
		return -1;
	return label_links(in, cfg, links, me, err, len);
}

/* warn: note one thing left out, "FIELD: WHY" (the first one wins). */
static void
warn(struct dk_decl *d, const char *field, const char *why)
{
	if (d->warn[0] == '\0')
		snprintf(d->warn, sizeof(d->warn), "%s: %s", field, why);
}

static int
hostname(const json_t *cfg, json_t *req, struct dk_decl *d, char *err,
    size_t len)
{
	const char *s, *why;

	if (get_str(cfg, "Config", "Hostname", &s, false, err, len) == -1)
		return -1;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (parse_hostname(s, &why) == -1)
		snprintf(d->warn, sizeof(d->warn), "Config.Hostname: %s: left "
		    "out", why);
	else
		json_object_set_new(req, "hostname", json_string(s));
	return 0;
}

static int
environment(const json_t *cfg, json_t *req, struct dk_decl *d, char *err,
    size_t len)
{
	const json_t *a, *e;
	const char *why;
	char field[128];
	size_t i, klen;
	json_t *env = json_array();

	if (env == NULL)
		return errf(err, len, ENOMEM, "Config.Env: out of memory");
	json_object_set_new(req, "env", env);
	if (get_strings(cfg, "Config", "Env", &a, err, len) == -1)
		return -1;
	json_array_foreach(a, i, e) {
		snprintf(field, sizeof(field), "Config.Env: entry %zu", i + 1);
		if (json_array_size(env) == ICC_MAX_ENV) {
			warn(d, field, "more than 256 entries: the rest left out");
			break;
		}
		if (parse_env(json_string_value(e), &klen, &why) == -1) {
			snprintf(field + strlen(field), sizeof(field) -
			    strlen(field), ": %s", why);
			warn(d, field, "left out");
		}
		else
			json_array_append(env, (json_t *)e);
	}
	return 0;
}

/* declare: the start request for a running container on ch. */
static int
declare(const struct dk_inputs *in, const struct chosen *ch,
    struct dk_decl *d, char *err, size_t len)
{
	char why[DK_ERRLEN];
	const json_t *cfg;
	struct request r;
	json_t *req;

	if (get_obj(in->container, "", "Config", &cfg, err, len) == -1)
		return -1;
	if ((req = json_pack("{s:s,s:s,s:s,s:s}", "cmd", "start", "name",
	    d->name, "id", d->id, "bridge", ch->bridge)) == NULL)
		return errf(err, len, ENOMEM, "out of memory");
	if (addresses(ch, req, err, len) == -1 ||
	    hostname(cfg, req, d, err, len) == -1 ||
	    exposed(cfg, req, err, len) == -1 ||
	    all_links(in, ch, cfg, req, d->name, err, len) == -1 ||
	    environment(cfg, req, d, err, len) == -1) {
		json_decref(req);
		return -1;
	}
	/* What iccd will check, checked here: a refusal names the request. */
	if (request_parse(req, &r, why, sizeof(why)) == -1) {
		json_decref(req);
		return errf(err, len, EINVAL, "start request: %s", why);
	}
	request_clear(&r);
	d->req = req;
	return 0;
}

int
dk_map(const struct dk_inputs *in, struct dk_decl *d, char *err, size_t len)
{
	struct chosen ch;

	if (dk_ident(in->container, d, err, len) == -1)
		return -1;
	if (in->networks != NULL && !json_is_object(in->networks))
		return errf(err, len, EINVAL, "networks: not an object");
	if (!d->running)
		return 0;
	if (choose_network(in, &ch, d, err, len) == -1)
		return -1;
	if (ch.name == NULL)
		return 0;
	return declare(in, &ch, d, err, len);
}

void
dk_decl_clear(struct dk_decl *d)
{
	json_decref(d->req);
	d->req = NULL;
}
