/*
 * ociconf.h: what icc-oci-hook learns from an OCI runtime (runc, crun,
 * Podman, CRI-O), reduced to one struct, and the iccd requests built from
 * it.  Pure: no I/O, so the unit tests drive it with JSON text.
 *
 * Inputs: the runtime-spec "state" the runtime writes on the hook's stdin
 * (ociVersion, id, status, pid, bundle, annotations) and the bundle's
 * config.json (annotations, hostname).  Annotations come from config.json,
 * overridden key by key by the state's own (the runtime may add some).
 *
 *   io.iccd.name        the container's name in iccd; default: the OCI id,
 *                       or its first OCI_SHORT_ID bytes when it is longer
 *                       than ICC_NAME_MAX (as the CNI plugin does)
 *   io.iccd.expose      PORT[-END][/tcp|udp|sctp] entries, comma-separated
 *   io.iccd.links       SOURCE[:ALIAS] entries, comma-separated
 *   io.iccd.env         a JSON array of "KEY=VALUE" strings (a value may
 *                       hold commas, '=' and spaces, so no comma list)
 *   io.iccd.interface   the container's interface; default: its first
 *                       non-loopback one (lowest ifindex)
 *   io.iccd.host-netns  absolute path of the network namespace holding the
 *                       veth peer and the bridge (/run/netns/NAME);
 *                       default: the hook's own
 *   io.iccd.on-error    "fail" (default): a failure makes the hook exit 1,
 *                       so the runtime does not start a container whose
 *                       isolation was not set up; "warn": warn, exit 0
 *
 * Comma lists: entries are trimmed of spaces and tabs; an empty value is
 * an empty list; an empty entry is an error.  Any other io.iccd.* key is
 * refused, so a typo never goes unnoticed.  Errors are one line naming
 * the bad field first ("io.iccd.expose: 70000/tcp: port out of range
 * 1-65535").
 */
#ifndef ICCD_OCICONF_H
#define ICCD_OCICONF_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "msg.h"
#include "parse.h"

#define OCI_ANN_PREFIX	"io.iccd."
#define OCI_STATE_MAX	(1u << 20)	/* largest state on stdin, bytes */
#define OCI_ID_MAX	1024		/* longest OCI id accepted, bytes */
#define OCI_SHORT_ID	12		/* Docker's and Podman's short id */

enum oci_mode {
	OCI_MODE_AUTO,		/* decide from the state's status */
	OCI_MODE_START,		/* createRuntime: declare the container */
	OCI_MODE_STOP		/* poststop: stop it in iccd */
};

struct oci_hook {
	enum oci_mode	 mode;		/* START or STOP once parsed */
	char		 name[ICC_NAME_MAX + 1];
	char		 id[ICC_ID_MAX + 1];	/* OCI id; "" if iccd refuses it */
	int		 pid;		/* container init; 0 if not given */
	char		 bundle[PATH_MAX];	/* "" if not given */
	char		 hostname[ICC_HOST_MAX + 1];	/* "" if none */
	char		 ifname[ICC_IFNAME_MAX + 1];	/* "" = first non-lo */
	char		 host_netns[PATH_MAX];	/* "" = the hook's own */
	bool		 warn;		/* io.iccd.on-error=warn */
	json_t		*expose;	/* arrays of strings, as sent */
	json_t		*links;
	json_t		*env;
	json_t		*state_ann;	/* the state's annotations, or NULL */
	char		 oci_id[OCI_ID_MAX + 1];	/* the state's id */
	char		 hosts_file[PATH_MAX];	/* source of the /etc/hosts
						 * bind mount; "" if none */
};

/*
 * oci_state_parse: fill h (zeroed first) from the runtime's state.  `mode`
 * is what the command line asked; OCI_MODE_AUTO takes it from "status":
 * "creating" or "created" start, "stopped" stops.  Starting needs "pid"
 * (> 0) and an absolute "bundle"; stopping needs neither (a poststop state
 * has no pid).  "ociVersion" must be 1.x.  h->warn is set from the state's
 * io.iccd.on-error as soon as it is seen, so a caller can honour it when a
 * later check fails.  Returns 0, or -1 with one line in err.  Release h
 * with oci_hook_clear() in both cases.
 */
int oci_state_parse(const json_t *state, enum oci_mode mode,
    struct oci_hook *h, char *err, size_t errlen);

/*
 * oci_config_parse: merge config.json's annotations (config may be NULL:
 * then the state's alone) with the state's, and fill the rest of h from
 * them and from config.json's "hostname".  io.iccd.on-error is read first
 * and sets h->warn before any other check.  Returns 0, or -1 with one line
 * in err.
 */
int oci_config_parse(struct oci_hook *h, const json_t *config, char *err,
    size_t errlen);

/* oci_hook_clear: release what h holds; h may then be parsed again. */
void oci_hook_clear(struct oci_hook *h);

/*
 * oci_name_from_id: the default name for OCI id `id`, into name
 * (ICC_NAME_MAX + 1 bytes): id itself, or its first OCI_SHORT_ID bytes
 * when it is longer than ICC_NAME_MAX (a 64-digit Podman or CRI-O id
 * becomes the short id `podman ps` shows).  Returns 0, or -1 with *why set
 * (see parse.h) when that is not a valid name; name is then untouched.
 */
int oci_name_from_id(const char *id, char *name, const char **why);

/*
 * oci_start_request: the "start" request iccctl would send for h with the
 * addresses found in the container (ip4, and ip6 when not NULL; network
 * byte order) on bridge `bridge`.  Returns a new object, or NULL (ENOMEM).
 * The caller validates it with request_parse before sending it.
 */
json_t *oci_start_request(const struct oci_hook *h, const char *bridge,
    const struct in_addr *ip4, const struct in6_addr *ip6);

/*
 * oci_set_port: add the port and mac fields (the host side of the
 * container's veth, the MAC of the container's side) to a start request,
 * so that iccd binds the container to its port.  Returns 0 or -1 (ENOMEM).
 */
int oci_set_port(json_t *req, const char *port, const uint8_t mac[6]);

/* oci_stop_request: the "stop" request for h->name, or NULL (ENOMEM). */
json_t *oci_stop_request(const struct oci_hook *h);

/*
 * oci_hook_owns: whether what iccd's `list` reply shows of h->name is no
 * more than the hook's annotations declare, so that a poststop may forget
 * it (rm) and the next createRuntime declare it whole again.  Owned when
 * iccd holds it under h's OCI id (not ""), running or not (iccd stops a
 * container whose port went away, which may come first), and each link
 * whose receiver it is and each port it exposes, when they came from a
 * request
 * ("event", not a rules file: rm keeps those), is one of h's io.iccd.links
 * ("SOURCE" is "SOURCE:SOURCE") and io.iccd.expose ("PORT" is
 * "PORT/tcp").  A link or port someone added with iccctl makes it not
 * owned: the poststop then only stops it.  c is h->name decoded from
 * list (msg_list_find).  Unreadable parts of the reply count as not owned.
 */
bool oci_hook_owns(const struct oci_hook *h, const json_t *list,
    const struct msg_container *c);

/* oci_rm_request: the "rm" request for h->name, or NULL (ENOMEM). */
json_t *oci_rm_request(const struct oci_hook *h);

/*
 * oci_hosts_request: the "hosts" request that has iccd keep h->hosts_file
 * written with h->name's link lines, or NULL (ENOMEM).
 */
json_t *oci_hosts_request(const struct oci_hook *h);

#endif
