/*
 * cnireply.c: what the plugin sends and answers: the "start" request to
 * iccd, the ADD result, CHECK's comparison of iccd's list and status
 * replies with prevResult, DEL's question whose container a name is, and
 * the error object.  See cniconf.h.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "cniconf_int.h"
#include "msg.h"
#include "request.h"

/* opt: the per-container option key (checked by conf_identity), or NULL. */
static const json_t *
opt(const struct cni_conf *c, const char *key)
{
	return c->opts != NULL ? json_object_get(c->opts, key) : NULL;
}

json_t *
cni_start_request(const struct cni_conf *c, const struct cni_env *e,
    struct cni_err *err)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN], why[512], mac[18];
	struct msg_start s = {
		.name = c->name, .bridge = c->bridge, .id = e->containerid,
		.ip = inet_ntop(AF_INET, &c->ip4, a4, sizeof(a4)),
		.ip6 = c->has_ip6 ? inet_ntop(AF_INET6, &c->ip6, a6,
		    sizeof(a6)) : NULL,
		.hostname = json_string_value(opt(c, "hostname")),
		.expose = opt(c, "expose"), .links = opt(c, "links"),
		.env = opt(c, "env"),
		/* Bound to its port (rules/icc-bridge.nft) when both known. */
		.port = c->port[0] != '\0' && c->has_mac ? c->port : NULL,
		.mac = c->port[0] != '\0' && c->has_mac ? mac_format(c->mac,
		    mac, sizeof(mac)) : NULL
	};
	struct request r;
	json_t *req;

	if ((req = msg_start(&s)) == NULL)
		goto nomem;
	/* The options were checked one by one; iccd's own validator also
	 * sees them together (a link to itself, an alias used twice). */
	if (request_parse(req, &r, why, sizeof(why)) == -1) {
		cni_fail(err, CNI_ERR_CONFIG, "%s: %s", c->opts_src[0] != '\0' ?
		    c->opts_src : "icc", why);
		json_decref(req);
		return NULL;
	}
	request_clear(&r);
	return req;
nomem:
	json_decref(req);
	cni_fail(err, CNI_ERR_IO, "out of memory");
	return NULL;
}

json_t *
cni_add_result(const struct cni_conf *c)
{
	json_t *res = json_deep_copy(c->prev);

	if (res != NULL && json_object_set_new(res, "cniVersion",
	    json_string(c->version)) == -1) {
		json_decref(res);
		return NULL;
	}
	return res;
}

/* ---- CHECK and DEL -------------------------------------------------------- */

static int
check_addr(const struct msg_container *ctr, const struct cni_conf *c,
    struct cni_err *err)
{
	char want[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET, &c->ip4, want, sizeof(want));
	if (ctr->ip[0] == '\0' || ctr->ip4.s_addr != c->ip4.s_addr)
		return cni_fail(err, CNI_ERR_CHECK, "ip: iccd has \"%s\" at %s, "
		    "prevResult at %s", c->name, ctr->ip[0] != '\0' ? ctr->ip :
		    "none", want);
	if (c->has_ip6)
		inet_ntop(AF_INET6, &c->ip6, want, sizeof(want));
	if (!ctr->has_ip6 && !c->has_ip6)
		return 0;
	if (!ctr->has_ip6 || !c->has_ip6 ||
	    memcmp(&ctr->ip6, &c->ip6, sizeof(c->ip6)) != 0)
		return cni_fail(err, CNI_ERR_CHECK, "ip6: iccd has \"%s\" at %s, "
		    "prevResult at %s", c->name, ctr->has_ip6 ? ctr->ip6_text :
		    "none", c->has_ip6 ? want : "none");
	return 0;
}

int
cni_check_list(const json_t *list, const struct cni_conf *c,
    const struct cni_env *e, struct cni_err *err)
{
	struct msg_container ctr;
	char why[256];
	int found;

	if (!json_is_array(json_object_get(list, "containers")))
		return cni_fail(err, CNI_ERR_ICCD, "list: iccd's reply has no "
		    "containers");
	if ((found = msg_list_find(list, c->name, &ctr, why,
	    sizeof(why))) == -1)
		return cni_fail(err, CNI_ERR_ICCD, "list: iccd's reply: %s", why);
	if (found == 0)
		return cni_fail(err, CNI_ERR_CHECK, "name: iccd has no container "
		    "\"%s\"", c->name);
	if (strcmp(ctr.id, e->containerid) != 0)
		return cni_fail(err, CNI_ERR_CHECK, "id: iccd's \"%s\" is container "
		    "\"%.128s\", not \"%s\"", c->name, ctr.id, e->containerid);
	if (!ctr.running)
		return cni_fail(err, CNI_ERR_CHECK, "running: iccd has \"%s\" "
		    "stopped", c->name);
	if (strcmp(ctr.bridge, c->bridge) != 0)
		return cni_fail(err, CNI_ERR_CHECK, "bridge: iccd has \"%s\" on "
		    "%.16s, prevResult on %s", c->name, ctr.bridge[0] != '\0' ?
		    ctr.bridge : "none", c->bridge);
	return check_addr(&ctr, c, err);
}

int
cni_check_status(const json_t *status, struct cni_err *err)
{
	const char *table = cni_jstr(json_object_get(status, "table"));

	if (table == NULL)
		table = "?";
	if (!json_is_true(json_object_get(status, "present")))
		return cni_fail(err, CNI_ERR_CHECK, "table: inet %.64s is missing "
		    "from the kernel", table);
	if (!json_is_true(json_object_get(status, "matches")))
		return cni_fail(err, CNI_ERR_CHECK, "table: inet %.64s differs "
		    "from iccd's model: %lld elements missing, %lld extra",
		    table, (long long)json_integer_value(json_object_get(
		    status, "missing")), (long long)json_integer_value(
		    json_object_get(status, "extra")));
	return 0;
}

bool
cni_del_owned(const json_t *list, const char *name, const char *id)
{
	struct msg_container ctr;

	/* A reply that cannot be read owns nothing: DEL then does nothing. */
	if (msg_list_find(list, name, &ctr, NULL, 0) != 1 ||
	    ctr.id[0] == '\0')
		return false;
	return strcmp(ctr.id, id) == 0;
}

/* ---- output ------------------------------------------------------------- */

json_t *
cni_error_json(const struct cni_err *err, const char *version)
{
	if (version == NULL || version[0] == '\0')
		version = CNI_VERSION_LATEST;
	return json_pack("{s:s,s:i,s:s,s:s}", "cniVersion", version, "code",
	    err->code, "msg", cni_msg(err->code), "details", err->details);
}
