/*
 * cniprev.c: the configuration's prevResult, the interface plugin's result
 * icc is chained after: which interfaces are the bridge, the host side of
 * the veth and the sandbox's, and the container's addresses.  See
 * cniconf.h for which entries are chosen.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cniconf_int.h"

/*
 * addr_parse: "ADDR[/LEN]" as in a result's ips.  Sets *v6 and the address;
 * returns 0, or -1 with *why.
 */
static int
addr_parse(const char *s, bool *v6, struct in_addr *a4, struct in6_addr *a6,
    const char **why)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/'), *p;
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	long plen = 0;

	if (n == 0 || n >= sizeof(host)) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	*v6 = strchr(host, ':') != NULL;
	if (slash != NULL) {
		for (p = slash + 1; *p != '\0' && plen <= 128; p++) {
			if (!isdigit((unsigned char)*p))
				break;
			plen = plen * 10 + (*p - '0');
		}
		if (p == slash + 1 || *p != '\0' || plen > (*v6 ? 128 : 32)) {
			*why = "bad prefix length";
			return -1;
		}
	}
	return *v6 ? parse_ipv6(host, a6, why) : parse_ipv4(host, a4, why);
}

/*
 * prev_port: the port and MAC that bind the container (cniconf.h): the
 * first host interface other than the bridge, and the "mac" of sandbox
 * interface ctr.  Either missing: unbound, no error; either malformed:
 * an error naming it.
 */
static int
prev_port(const json_t *ifs, size_t ctr, struct cni_conf *c,
    struct cni_err *err)
{
	const char *name, *sandbox, *mac, *why;
	const json_t *v;
	size_t i;

	mac = cni_jstr(json_object_get(json_array_get(ifs, ctr), "mac"));
	json_array_foreach(ifs, i, v) {
		name = cni_jstr(json_object_get(v, "name"));
		sandbox = cni_jstr(json_object_get(v, "sandbox"));
		if ((sandbox != NULL && sandbox[0] != '\0') ||
		    strcmp(name, c->bridge) == 0)
			continue;
		if (mac == NULL)
			return 0;
		if (parse_ifname(name, &why) == -1)
			return cni_fail(err, CNI_ERR_CONFIG, "prevResult."
			    "interfaces[%zu].name: %s", i, why);
		if (parse_mac(mac, c->mac, &why) == -1)
			return cni_fail(err, CNI_ERR_CONFIG, "prevResult."
			    "interfaces[%zu].mac: %s", ctr, why);
		snprintf(c->port, sizeof(c->port), "%s", name);
		c->has_mac = true;
		return 0;
	}
	return 0;
}

/*
 * prev_ifaces: the index of the sandbox interface named e->ifname and,
 * unless the config named it, the bridge (the first host interface).
 */
static int
prev_ifaces(const json_t *prev, const struct cni_env *e, struct cni_conf *c,
    size_t *ctr, struct cni_err *err)
{
	const json_t *ifs = json_object_get(prev, "interfaces"), *v;
	const char *name, *sandbox, *host = NULL, *why;
	size_t i, hosti = 0;
	bool found = false;
	int rc;

	if (!json_is_array(ifs))
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.interfaces: "
		    "missing or not a list");
	json_array_foreach(ifs, i, v) {
		if ((name = cni_jstr(json_object_get(v, "name"))) == NULL)
			return cni_fail(err, CNI_ERR_CONFIG, "prevResult.interfaces"
			    "[%zu]: not an object with a name", i);
		sandbox = cni_jstr(json_object_get(v, "sandbox"));
		if (sandbox != NULL && sandbox[0] != '\0') {
			if (!found && strcmp(name, e->ifname) == 0) {
				*ctr = i;
				found = true;
			}
		} else if (host == NULL) {
			host = name;
			hosti = i;
		}
	}
	if (!found)
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.interfaces: no "
		    "interface \"%s\" in a sandbox", e->ifname);
	if (c->bridge_given)
		return prev_port(ifs, *ctr, c, err);
	if (host == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.interfaces: no "
		    "host interface to take the bridge from; set \"bridge\" "
		    "in the icc plugin config");
	if (parse_ifname(host, &why) == -1)
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.interfaces[%zu]."
		    "name: %s", hosti, why);
	snprintf(c->bridge, sizeof(c->bridge), "%s", host);
	rc = prev_port(ifs, *ctr, c, err);
	return rc;
}

/* prev_ip: one entry of prevResult.ips that belongs to interface ctr. */
static int
prev_ip(const json_t *ip, size_t i, size_t ctr, const struct cni_env *e,
    struct cni_conf *c, bool *has4, struct cni_err *err)
{
	const json_t *idx = json_object_get(ip, "interface");
	struct in6_addr a6;
	struct in_addr a4;
	const char *s, *why;
	bool v6;

	if (!json_is_object(ip))
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.ips[%zu]: not an "
		    "object", i);
	/* Addresses of other interfaces (or of none) are not the
	 * container's. */
	if (!json_is_integer(idx) || json_integer_value(idx) != (json_int_t)ctr)
		return 0;
	if ((s = cni_jstr(json_object_get(ip, "address"))) == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.ips[%zu].address: "
		    "missing or not a string", i);
	if (addr_parse(s, &v6, &a4, &a6, &why) == -1)
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.ips[%zu].address: "
		    "%s", i, why);
	if ((v6 && c->has_ip6) || (!v6 && *has4))
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.ips[%zu].address: "
		    "a second IPv%d address on %s (iccd tracks one per "
		    "family)", i, v6 ? 6 : 4, e->ifname);
	if (v6) {
		c->ip6 = a6;
		c->has_ip6 = true;
	} else {
		c->ip4 = a4;
		*has4 = true;
	}
	return 0;
}

int
cni_conf_prev(const json_t *doc, const struct cni_env *e, struct cni_conf *c,
    struct cni_err *err)
{
	const json_t *prev = json_object_get(doc, "prevResult"), *ips, *v;
	bool has4 = false;
	size_t i, ctr = 0;

	if (prev == NULL)
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult: missing (icc "
		    "is chained after an interface plugin such as bridge)");
	if (!json_is_object(prev))
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult: not an object");
	if (prev_ifaces(prev, e, c, &ctr, err) == -1)
		return -1;
	ips = json_object_get(prev, "ips");
	if (!json_is_array(ips))
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.ips: missing or "
		    "not a list");
	json_array_foreach(ips, i, v)
		if (prev_ip(v, i, ctr, e, c, &has4, err) == -1)
			return -1;
	if (!has4)
		return cni_fail(err, CNI_ERR_CONFIG, "prevResult.ips: no IPv4 "
		    "address on %s (iccd needs one)", e->ifname);
	c->prev = json_incref((json_t *)prev);
	c->addressed = true;
	return 0;
}
