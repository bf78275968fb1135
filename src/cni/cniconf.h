/*
 * cniconf.h: the pure part of the `icc` CNI plugin (src/cni.c): decode the
 * CNI environment, the plugin configuration with its prevResult, build the
 * iccd request, and judge iccd's replies for CHECK and DEL.  No I/O: the
 * unit tests drive it directly.
 *
 * Spec: CNI 1.0.0 (0.4.0 accepted too).  icc is a chained plugin: it runs
 * after an interface plugin (bridge) and passes prevResult through.
 *
 * Which iccd container a CNI attachment is:
 *   bridge  the plugin config's "bridge" key when present, else the first
 *           prevResult interface without a sandbox (the bridge plugin lists
 *           the bridge first);
 *   ip/ip6  the prevResult.ips whose "interface" index is the sandbox
 *           interface named CNI_IFNAME (one IPv4 required, one IPv6 at most);
 *   port/mac the host interface that is not the bridge (the bridge plugin
 *           lists the host side of the veth second) and the sandbox
 *           interface's "mac": iccd binds the container to that port
 *           (rules/icc-bridge.nft); without both it is left unbound;
 *   name    the per-container options' "name", else CNI_ARGS ICC_NAME, else
 *           CNI_CONTAINERID itself, or its first 12 bytes (Docker's short
 *           id) when it is longer than ICC_NAME_MAX;
 *   id      CNI_CONTAINERID.
 * Per-container options, an object {"name", "hostname", "expose", "links",
 * "env"} (each as for `iccctl start`), come from runtimeConfig.icc (the
 * "icc" capability) or from args.icc (the CONVENTIONS "args" key); giving
 * both is an error.
 *
 * Errors: every function that can fail fills a struct cni_err with a code
 * from enum cni_code and one line in details that names the bad field
 * first, e.g. "prevResult.ips[1].address: not an IPv4 or IPv6 address".
 */
#ifndef ICCD_CNICONF_H
#define ICCD_CNICONF_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "parse.h"

#define CNI_VERSION_LATEST	"1.0.0"
#define CNI_STDIN_MAX		(1u << 20)	/* largest config, bytes */
#define CNI_SHORT_ID		12		/* bytes of a long id in a name */

/* The spec's well-known error codes, then icc's own (100 and up). */
enum cni_code {
	CNI_ERR_VERSION = 1,		/* incompatible CNI version */
	CNI_ERR_FIELD = 2,		/* unsupported field in the config */
	CNI_ERR_UNKNOWN = 3,		/* container unknown (unused by icc) */
	CNI_ERR_ENV = 4,		/* invalid environment variables */
	CNI_ERR_IO = 5,			/* I/O failure */
	CNI_ERR_DECODE = 6,		/* failed to decode content */
	CNI_ERR_CONFIG = 7,		/* invalid network config */
	CNI_ERR_AGAIN = 11,		/* try again later: iccd unreachable */
	CNI_ERR_ICCD = 100,		/* iccd refused or failed a request */
	CNI_ERR_CHECK = 101		/* CHECK: iccd differs from prevResult */
};

struct cni_err {
	int	code;			/* enum cni_code */
	char	details[512];		/* one line, bad field first */
};

enum cni_cmd { CNI_ADD, CNI_DEL, CNI_CHECK, CNI_VERSION };

/* The CNI_* environment, validated. */
struct cni_env {
	enum cni_cmd	cmd;
	char		containerid[ICC_ID_MAX + 1];
	char		ifname[ICC_IFNAME_MAX + 1];
	char		netns[PATH_MAX];		/* "" when not given */
	bool		has_icc_name;			/* CNI_ARGS has ICC_NAME */
	char		icc_name[ICC_NAME_MAX + 2];	/* as given, cut one byte
							 * over the limit */
};

/* One decoded plugin configuration. */
struct cni_conf {
	char		 version[16];		/* cniVersion */
	char		 socket[PATH_MAX];	/* "socket" key, "" when absent */
	json_t		*prev;			/* prevResult (own reference) */
	bool		 addressed;		/* the four below are set */
	char		 bridge[ICC_IFNAME_MAX + 1];
	bool		 bridge_given;		/* from the "bridge" key */
	struct in_addr	 ip4;
	bool		 has_ip6;
	struct in6_addr	 ip6;
	char		 port[ICC_IFNAME_MAX + 1];	/* host veth, "" if none */
	bool		 has_mac;		/* mac is set (with port) */
	uint8_t		 mac[6];		/* the sandbox interface's */
	char		 name[ICC_NAME_MAX + 1];
	char		 name_src[32];		/* where name came from */
	json_t		*opts;			/* the options object (own ref) */
	char		 opts_src[32];		/* "runtimeConfig.icc", "args.icc" */
};

/* cni_msg: the spec's short text for a code ("Invalid network config"). */
const char *cni_msg(int code);

/*
 * cni_env_parse: read CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME
 * and CNI_ARGS from envp (a NULL-terminated "KEY=VALUE" array such as
 * environ) into e.  VERSION needs only CNI_COMMAND; ADD and CHECK need the
 * other three; DEL all but CNI_NETNS.  CNI_CONTAINERID must match the
 * spec ([A-Za-z0-9][A-Za-z0-9_.-]*, at most ICC_ID_MAX bytes), CNI_IFNAME be
 * a valid interface name; CNI_ARGS is "K=V;K=V" (Go's rule: every pair
 * has a '='), of which only ICC_NAME is used.
 * Returns 0, or -1 with err (code CNI_ERR_ENV naming the variable).
 */
int cni_env_parse(char *const *envp, struct cni_env *e, struct cni_err *err);

/*
 * cni_conf_parse: decode len bytes of configuration for command e->cmd.
 * Checks cniVersion (CNI_ERR_VERSION unless "0.4.0" or "1.0.0"), the
 * top-level keys (CNI_ERR_FIELD for one icc does not know, with its
 * value), "socket" (absolute, fits a unix socket address) and "bridge".
 * ADD and CHECK need prevResult and derive bridge and addresses from it;
 * DEL ignores prevResult (it may be absent or stale).  Then the name and,
 * for ADD and CHECK, every option.  On DEL, per-container input that could
 * not have been added (a bad name, options that are not an object) is not
 * an error: the call returns 0 with c->name "" (nothing to remove) and
 * err->code 0 with err->details saying why.
 * Returns 0, or -1 with err (CNI_ERR_DECODE for bad JSON, else as above,
 * CNI_ERR_CONFIG by default); c must be released with cni_conf_clear
 * either way.
 */
int cni_conf_parse(const char *buf, size_t len, const struct cni_env *e,
    struct cni_conf *c, struct cni_err *err);

/* cni_conf_clear: drop c's references; c may then be parsed into again. */
void cni_conf_clear(struct cni_conf *c);

/*
 * cni_start_request: the iccd "start" request for an ADD (c must be
 * addressed), checked with request_parse as iccd will.  Returns a new
 * object, or NULL with err (CNI_ERR_CONFIG naming the option).
 */
json_t *cni_start_request(const struct cni_conf *c, const struct cni_env *e,
    struct cni_err *err);

/*
 * cni_add_result: ADD's output: prevResult unchanged but for cniVersion,
 * set to the config's.  Returns a new object, or NULL (out of memory).
 */
json_t *cni_add_result(const struct cni_conf *c);

/*
 * cni_check_list: CHECK against iccd's `list` reply: the container c->name
 * exists, carries id e->containerid, is running, and has exactly c's
 * bridge, IPv4 and IPv6 (or none).  Returns 0, or -1 with err
 * (CNI_ERR_CHECK saying what differs; CNI_ERR_ICCD for a malformed reply).
 */
int cni_check_list(const json_t *list, const struct cni_conf *c,
    const struct cni_env *e, struct cni_err *err);

/*
 * cni_check_status: CHECK against iccd's `status` reply: iccd's table is
 * present and the kernel holds exactly the elements iccd wants (for every
 * container: iccd reports the table as a whole).  Returns 0, or -1 with err
 * (CNI_ERR_CHECK with the counts of missing and extra elements).
 */
int cni_check_status(const json_t *status, struct cni_err *err);

/*
 * cni_del_owned: whether DEL should remove `name` from iccd, given its
 * `list` reply: only when iccd has that container with id `id`, so that
 * a late DEL never removes a newer container that took the name over.
 * Returns true or false.
 */
bool cni_del_owned(const json_t *list, const char *name, const char *id);

/*
 * cni_error_json: the spec's error object {cniVersion, code, msg, details}
 * for err; version NULL or "" means CNI_VERSION_LATEST.  Returns a new
 * object, or NULL (out of memory).
 */
json_t *cni_error_json(const struct cni_err *err, const char *version);

/*
 * cni_version_reply: VERSION's output for the len bytes read on stdin
 * (empty, or an object whose optional cniVersion is echoed): {cniVersion,
 * supportedVersions: ["0.4.0", "1.0.0"]}.  Returns a new object, or NULL
 * with err (CNI_ERR_DECODE).
 */
json_t *cni_version_reply(const char *buf, size_t len, struct cni_err *err);

#endif
