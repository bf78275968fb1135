/*
 * icc: a chained CNI plugin (spec 1.0.0, 0.4.0) that declares each
 * container to iccd, so that ICC and links apply to containers made by any
 * CNI runtime.  It runs after the bridge plugin; see cniconf.h for how the
 * container's identity is found and README ("CNI plugin") for the config.
 *
 *   ADD    one `start` request; prints prevResult unchanged (but for
 *          cniVersion), as the spec asks of a plugin that changes nothing
 *          in the result.
 *   DEL    `list`, then `rm` when iccd has the name with this container's
 *          id: one iccd transaction takes every element naming the
 *          container out and forgets it.  A DEL for a container iccd does
 *          not know (or that a newer container took the name of) succeeds
 *          and does nothing, so DEL may be repeated.
 *   CHECK  `list` (running, same id, bridge and addresses as prevResult)
 *          and `status` (the kernel's table is what iccd wants).
 *   VERSION
 *
 * The runtime runs the plugin in its own network namespace, where the
 * bridge is and iccd is expected to run.  Errors: the spec's error object
 * on stdout, one line on stderr, exit 1.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cniconf.h"
#include "msg.h"
#include "netinfo.h"
#include "proto.h"

#define ICCD_TIMEOUT_MS	20000	/* for one request to iccd */

extern char **environ;

/* ---- input and output --------------------------------------------------- */

/* read_stdin: all of stdin into *buf (NUL-terminated), at most CNI_STDIN_MAX. */
static int
read_stdin(char **buf, size_t *len, struct cni_err *err)
{
	size_t cap = 4096, n = 0;
	char *p = malloc(cap), *np;
	ssize_t r;

	for (;;) {
		if (p == NULL)
			goto nomem;
		if (n + 1 == cap) {
			if (cap > CNI_STDIN_MAX) {
				free(p);
				err->code = CNI_ERR_IO;
				snprintf(err->details, sizeof(err->details),
				    "stdin: more than %u bytes", CNI_STDIN_MAX);
				return -1;
			}
			if ((np = realloc(p, cap * 2)) == NULL)
				goto nomem;
			p = np;
			cap *= 2;
		}
		if ((r = read(STDIN_FILENO, p + n, cap - n - 1)) == -1) {
			if (errno == EINTR)
				continue;
			err->code = CNI_ERR_IO;
			snprintf(err->details, sizeof(err->details),
			    "stdin: %s", strerror(errno));
			free(p);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
nomem:
	free(p);
	err->code = CNI_ERR_IO;
	snprintf(err->details, sizeof(err->details), "out of memory");
	return -1;
}

static int
print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s == NULL)
		return -1;
	printf("%s\n", s);
	free(s);
	return fflush(stdout) == EOF ? -1 : 0;
}

/*
 * peek_version: the config's cniVersion for an error found before the
 * config was decoded ("" when there is none to echo).
 */
static void
peek_version(const char *buf, size_t len, char *out, size_t outlen)
{
	json_t *doc = json_loadb(buf, len, 0, NULL);
	const char *v = json_string_value(json_object_get(doc, "cniVersion"));

	snprintf(out, outlen, "%s", v != NULL && strlen(v) < outlen ? v : "");
	json_decref(doc);
}

static void __attribute__((noreturn))
fail_exit(const struct cni_err *err, const char *version)
{
	json_t *e = cni_error_json(err, version);

	fprintf(stderr, "icc: %s: %s\n", cni_msg(err->code), err->details);
	if (e == NULL || print_json(e) == -1)
		fprintf(stderr, "icc: cannot write the error result\n");
	json_decref(e);
	exit(1);
}

/* ---- iccd ------------------------------------------------------------------ */

/* iccd_open: a client for iccd's socket (none is made yet). */
static void
iccd_open(struct ctl_client *ctl, const struct cni_conf *c)
{
	ctl_init(ctl, ctl_socket_path(c->socket[0] ? c->socket : NULL),
	    ICCD_TIMEOUT_MS);
}

/*
 * call_err: err for ctl's failed call of cmd.  iccd unreachable, gone or
 * too slow is CNI_ERR_AGAIN: it may be starting or restarting; a broken
 * reply CNI_ERR_IO; a refusal CNI_ERR_ICCD with iccd's line.
 */
static void
call_err(const struct ctl_client *ctl, const char *cmd, struct cni_err *err)
{
	switch (ctl->fail) {
	case CTL_FAIL_PATH:
		err->code = CNI_ERR_ENV;
		snprintf(err->details, sizeof(err->details), "%s: socket path "
		    "too long", ICC_SOCKET_ENV);
		return;
	case CTL_FAIL_INVALID:
		err->code = CNI_ERR_CONFIG;
		break;
	case CTL_FAIL_PROTO:
		err->code = CNI_ERR_IO;
		break;
	case CTL_FAIL_REFUSED:
		err->code = CNI_ERR_ICCD;
		snprintf(err->details, sizeof(err->details), "iccd: %s: %s",
		    cmd, ctl->err);
		return;
	default:
		err->code = CNI_ERR_AGAIN;
		break;
	}
	snprintf(err->details, sizeof(err->details), "%s", ctl->err);
}

/*
 * iccd_call: send req and return iccd's successful reply, or NULL with
 * err (see call_err).
 */
static json_t *
iccd_call(struct ctl_client *ctl, const json_t *req, struct cni_err *err)
{
	json_t *rep;

	if ((rep = ctl_call(ctl, req)) == NULL)
		call_err(ctl, json_string_value(json_object_get(req, "cmd")),
		    err);
	return rep;
}

/* call_simple: cmd with at most a name; iccd's successful reply or NULL. */
static json_t *
call_simple(struct ctl_client *ctl, const char *cmd, const char *name,
    struct cni_err *err)
{
	json_t *req = msg_request(cmd, name), *rep;

	if (req == NULL) {
		err->code = CNI_ERR_IO;
		snprintf(err->details, sizeof(err->details), "out of memory");
		return NULL;
	}
	rep = iccd_call(ctl, req, err);
	json_decref(req);
	return rep;
}

/* ---- commands -------------------------------------------------------------- */

/*
 * bridge_check: the bridge must be a bridge in this network namespace: a
 * plugin before icc that is not `bridge` (ptp lists a host veth first)
 * would otherwise declare the container on an interface no traffic
 * crosses.  Asked of rtnetlink, which answers for the plugin's network
 * namespace; /sys/class/net answers for whichever namespace mounted the
 * sysfs the plugin sees, which a runtime may not have remounted.
 */
static int
bridge_check(const struct cni_conf *c, struct cni_err *err)
{
	char kind[32], why[256];
	int found;

	if ((found = netinfo_link_kind(c->bridge, kind, sizeof(kind), why,
	    sizeof(why))) == -1) {
		err->code = CNI_ERR_IO;
		snprintf(err->details, sizeof(err->details), "bridge: %s", why);
		return -1;
	}
	if (found == 1 && strcmp(kind, "bridge") == 0)
		return 0;
	err->code = CNI_ERR_CONFIG;
	if (c->bridge_given)
		snprintf(err->details, sizeof(err->details), "bridge: \"%s\" "
		    "is not a bridge in this network namespace", c->bridge);
	else
		snprintf(err->details, sizeof(err->details), "prevResult."
		    "interfaces: \"%s\", the first host interface, is not a "
		    "bridge; chain icc after the bridge plugin or set "
		    "\"bridge\"", c->bridge);
	return -1;
}

static int
cmd_add(const struct cni_conf *c, const struct cni_env *e,
    struct cni_err *err)
{
	struct ctl_client ctl;
	json_t *req, *rep, *res;

	if (bridge_check(c, err) == -1 ||
	    (req = cni_start_request(c, e, err)) == NULL)
		return -1;
	iccd_open(&ctl, c);
	rep = iccd_call(&ctl, req, err);
	ctl_close(&ctl);
	json_decref(req);
	if (rep == NULL)
		return -1;
	json_decref(rep);
	if ((res = cni_add_result(c)) == NULL || print_json(res) == -1) {
		json_decref(res);
		err->code = CNI_ERR_IO;
		snprintf(err->details, sizeof(err->details), "stdout: cannot "
		    "write the result");
		return -1;
	}
	json_decref(res);
	return 0;
}

static int
cmd_del(const struct cni_conf *c, const struct cni_env *e,
    struct cni_err *err)
{
	struct ctl_client ctl;
	json_t *list, *rep = NULL;
	int rv = -1;

	if (c->name[0] == '\0') {
		fprintf(stderr, "icc: DEL: nothing to remove: %s\n",
		    err->details);
		return 0;
	}
	iccd_open(&ctl, c);
	if ((list = call_simple(&ctl, "list", NULL, err)) == NULL)
		goto out;
	if (!cni_del_owned(list, c->name, e->containerid) ||
	    (rep = call_simple(&ctl, "rm", c->name, err)) != NULL)
		rv = 0;
	/* Removed meanwhile by someone else: what DEL wanted. */
	else if (ctl.fail == CTL_FAIL_REFUSED &&
	    strncmp(ctl.err, "name: no such container", 23) == 0)
		rv = 0;
out:
	json_decref(rep);
	json_decref(list);
	ctl_close(&ctl);
	return rv;
}

static int
cmd_check(const struct cni_conf *c, const struct cni_env *e,
    struct cni_err *err)
{
	struct ctl_client ctl;
	json_t *list, *status = NULL;
	int rv = -1;

	iccd_open(&ctl, c);
	if ((list = call_simple(&ctl, "list", NULL, err)) != NULL &&
	    cni_check_list(list, c, e, err) == 0 &&
	    (status = call_simple(&ctl, "status", NULL, err)) != NULL &&
	    cni_check_status(status, err) == 0)
		rv = 0;
	json_decref(list);
	json_decref(status);
	ctl_close(&ctl);
	return rv;
}

int
main(int argc, char **argv)
{
	struct cni_err err = { 0 };
	struct cni_conf c;
	struct cni_env e;
	char *buf, version[16];
	size_t len;
	json_t *out;
	int rv;

	memset(&c, 0, sizeof(c));
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("icc (iccd) %s: CNI plugin, spec 0.4.0 and 1.0.0\n",
		    PACKAGE_VERSION);
		return 0;
	}
	if (read_stdin(&buf, &len, &err) == -1)
		fail_exit(&err, NULL);
	if (cni_env_parse(environ, &e, &err) == -1) {
		peek_version(buf, len, version, sizeof(version));
		fail_exit(&err, version);
	}
	if (e.cmd == CNI_VERSION) {
		if ((out = cni_version_reply(buf, len, &err)) == NULL)
			fail_exit(&err, NULL);
		rv = print_json(out);
		json_decref(out);
		free(buf);
		return rv == 0 ? 0 : 1;
	}
	if (cni_conf_parse(buf, len, &e, &c, &err) == -1)
		fail_exit(&err, c.version);
	free(buf);
	switch (e.cmd) {
	case CNI_ADD:	rv = cmd_add(&c, &e, &err); break;
	case CNI_DEL:	rv = cmd_del(&c, &e, &err); break;
	default:	rv = cmd_check(&c, &e, &err); break;
	}
	if (rv == -1)
		fail_exit(&err, c.version);
	cni_conf_clear(&c);
	return 0;
}
