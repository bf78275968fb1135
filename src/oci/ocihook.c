/*
 * icc-oci-hook: declare OCI containers (runc, crun, Podman, CRI-O) to iccd
 * from the runtime's hooks.
 *
 *   icc-oci-hook [--socket PATH] [--warn-only] [start | stop]
 *
 * The runtime writes its state (runtime-spec "state") on stdin.
 *
 * start (createRuntime): read the bundle's config.json, take the
 * container's name, ports, links, env and hostname from its annotations
 * (see ociconf.h), find its addresses and bridge in its network namespace
 * (/proc/PID/ns/net; see netinfo.h) and send iccd one "start" request, the
 * one `iccctl start` would send.
 *
 * When config.json bind-mounts a file on /etc/hosts (the runtime's own
 * file for the container), iccd is then asked to keep it written with the
 * container's link lines (hosts --write; see hook_hosts).
 *
 * stop (poststop): "rm" when iccd runs the name under this OCI id with no
 * more than the annotations declare (the runtime runs poststop on a stop
 * and a removal alike: see hook_stop), else "stop", whose declarations
 * stay as after `iccctl stop`.  The pid is not needed: a poststop state
 * has none.  Nothing is sent when iccd does not run the name, or runs it
 * under another OCI id (a newer container of that name: see stop_action).
 *
 * Without start or stop the state's status decides: "creating" or
 * "created" start, "stopped" stops.  That is what a single oci-hooks(5)
 * file for both stages needs (contrib/oci/iccd-hook.json).
 *
 * Failure (bad annotation, no veth or bridge, iccd unreachable or
 * refusing): one line on stderr and exit 1, so the runtime does not start
 * a container whose isolation was not set up.  With --warn-only or the
 * annotation io.iccd.on-error=warn the line is a warning (also sent to
 * syslog, since runtimes drop a successful hook's stderr) and the exit
 * status 0.
 *
 * The socket: --socket, else $ICCD_SOCKET, else ICC_SOCKET (proto.h).
 * Each exchange with iccd gives up after HOOK_TIMEOUT_MS, so a stuck iccd
 * cannot hang the runtime.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "client.h"
#include "msg.h"
#include "netinfo.h"
#include "nsopen.h"
#include "ociconf.h"
#include "proto.h"
#include "safefile.h"

#define HOOK_TIMEOUT_MS	10000	/* per exchange with iccd */
#define ERRLEN		1024

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: icc-oci-hook [--socket PATH] [--warn-only] [start | stop]\n"
"  reads the OCI state on stdin; start at createRuntime, stop at poststop;\n"
"  without start or stop the state's status decides\n");
	exit(status);
}

/* read_state: the runtime's state from stdin, at most OCI_STATE_MAX. */
static json_t *
read_state(char *err, size_t len)
{
	char *buf = malloc(OCI_STATE_MAX + 1);
	size_t n = 0;
	json_error_t jerr;
	json_t *state = NULL;
	ssize_t r;

	if (buf == NULL) {
		errf(err, len, 0, "state: out of memory");
		return NULL;
	}
	while (n <= OCI_STATE_MAX && (r = read(STDIN_FILENO, buf + n,
	    OCI_STATE_MAX + 1 - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errf(err, len, 0, "state: stdin: %s", strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	if (n > OCI_STATE_MAX)
		errf(err, len, 0, "state: larger than %u bytes", OCI_STATE_MAX);
	else if ((state = json_loadb(buf, n, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		errf(err, len, 0, "state: not JSON: %s", jerr.text);
out:
	free(buf);
	return state;
}

/* read_config: the bundle's config.json. */
static json_t *
read_config(const struct oci_hook *h, char *err, size_t len)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *config;

	snprintf(path, sizeof(path), "%s/config.json", h->bundle);
	if ((config = json_load_file(path, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		if (jerr.line > 0)
			errf(err, len, 0, "config.json: %s: line %d: %s", path,
			    jerr.line, jerr.text);
		else
			errf(err, len, 0, "config.json: %s", jerr.text);
	}
	return config;
}

/*
 * ask_iccd: check req as iccd will, send it, and return the reply when it
 * is "ok" (the caller json_decref's it); NULL with one line in err.  Takes
 * req (NULL: out of memory).
 */
static json_t *
ask_iccd(json_t *req, const char *what, char *err, size_t len)
{
	struct ctl_client c;
	json_t *rep;

	if (req == NULL) {
		errf(err, len, 0, "%s: out of memory", what);
		return NULL;
	}
	ctl_init(&c, ctl_socket_path(NULL), HOOK_TIMEOUT_MS);
	rep = ctl_call(&c, req);
	ctl_close(&c);
	json_decref(req);
	if (rep != NULL)
		return rep;
	if (c.fail == CTL_FAIL_INVALID)
		errf(err, len, 0, "%s: %s", what, c.err);
	else if (c.fail == CTL_FAIL_REFUSED)
		errf(err, len, 0, "iccd refused %s: %s", what, c.err);
	else
		errf(err, len, 0, "%s", c.err);
	return NULL;
}

/* call_iccd: ask_iccd when only success matters. */
static int
call_iccd(json_t *req, const char *what, char *err, size_t len)
{
	json_t *rep = ask_iccd(req, what, err, len);

	json_decref(rep);
	return rep == NULL ? -1 : 0;
}

/*
 * hosts_file_usable: h->hosts_file is the runtime's own file for this
 * container: no symbolic link on the path, a regular file, and not the
 * host's /etc/hosts (a config.json that binds that one gets no lines:
 * iccd never writes it).  Returns 1 usable, 0 to be left alone, -1 with
 * err.  iccd checks again when it writes (it trusts no client).
 */
static int
hosts_file_usable(const struct oci_hook *h, char *err, size_t len)
{
	struct stat st, host;
	int fd;

	if ((fd = sf_openat2(AT_FDCWD, h->hosts_file, O_RDONLY | O_NONBLOCK |
	    O_NOCTTY, 0, false)) == -1)
		return errf(err, len, 0, "hosts file %s: %s", h->hosts_file,
		    errno == ELOOP ? "a symbolic link on the path" :
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, len, 0, "hosts file %s: not a regular file",
		    h->hosts_file);
	}
	close(fd);
	if (stat("/etc/hosts", &host) == 0 && host.st_dev == st.st_dev &&
	    host.st_ino == st.st_ino)
		return 0;
	return 1;
}

/*
 * hook_hosts: have iccd keep the container's /etc/hosts (the runtime's
 * file, bind-mounted) written with its link lines.  The hook runs as
 * root, so iccd writes as root: only the file config.json names, checked.
 */
static int
hook_hosts(const struct oci_hook *h, char *err, size_t len)
{
	char what[ICC_NAME_MAX + 32];
	json_t *req;
	int usable;

	if (h->hosts_file[0] == '\0')
		return 0;
	if ((usable = hosts_file_usable(h, err, len)) != 1)
		return usable;
	if ((req = oci_hosts_request(h)) == NULL)
		return errf(err, len, 0, "hosts: out of memory");
	snprintf(what, sizeof(what), "hosts file of %s", h->name);
	return call_iccd(req, what, err, len);
}

static int
hook_start(const struct oci_hook *h, char *err, size_t len)
{
	char ns[64], hns[64], what[ICC_NAME_MAX + 16], why[ERRLEN];
	struct netinfo ni;
	json_t *req;
	int hfd = -1, rv;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", h->pid);
	/* The annotation names a file the hook opens as root: checked and
	 * opened once (nsopen.h), then used only through that fd. */
	if (h->host_netns[0] != '\0') {
		if ((hfd = nsopen_net("io.iccd.host-netns", h->host_netns, err,
		    len)) == -1)
			return -1;
		snprintf(hns, sizeof(hns), "/proc/self/fd/%d", hfd);
	}
	rv = netinfo_lookup(ns, hfd != -1 ? hns : NULL,
	    h->ifname[0] ? h->ifname : NULL, &ni, err, len);
	if (hfd != -1)
		close(hfd);
	if (rv == -1)
		return -1;
	if ((req = oci_start_request(h, ni.bridge, &ni.ip4, ni.has_ip6 ?
	    &ni.ip6 : NULL)) == NULL)
		return errf(err, len, 0, "start: out of memory");
	/* Bind it to its port (rules/icc-bridge.nft). */
	if (ni.has_mac && oci_set_port(req, ni.peer, ni.mac) == -1) {
		json_decref(req);
		return errf(err, len, 0, "start: out of memory");
	}
	snprintf(what, sizeof(what), "start of %s", h->name);
	if (call_iccd(req, what, err, len) == -1)
		return -1;
	if (hook_hosts(h, err, len) == 0)
		return 0;
	/* The runtime will not start it: take the declaration back. */
	snprintf(what, sizeof(what), "rm of %s", h->name);
	if (call_iccd(oci_rm_request(h), what, why, sizeof(why)) == -1)
		fprintf(stderr, "icc-oci-hook: %s\n", why);
	return -1;
}

/* What a poststop does in iccd. */
enum stop_action {
	STOP_NOTHING,	/* not there, not running, or a newer container's */
	STOP_STOP,	/* running, with declarations the hook did not make
			 * (iccctl): stopped as `iccctl stop` would */
	STOP_RM		/* under this OCI id with only what the annotations
			 * declare: forgotten (the next createRuntime
			 * declares it whole again) */
};

/*
 * stop_action: what the poststop of h does.  A name iccd does not hold
 * needs nothing.  One that carries another OCI id belongs to a newer
 * container of that name (a late poststop of the old one must not touch
 * it).  One the hook owns (oci_hook_owns: this id, nothing beyond its
 * annotations) is forgotten, even when iccd stopped it already (its port
 * went away first); anything else running (no id on either side, a link
 * or port added with iccctl) is stopped.
 */
static int
stop_action(const struct oci_hook *h, enum stop_action *act, char *err,
    size_t len)
{
	struct msg_container c;
	char why[256];
	json_t *rep;
	int found;

	*act = STOP_NOTHING;
	if ((rep = ask_iccd(msg_request("list", NULL), "list", err, len)) ==
	    NULL)
		return -1;
	found = msg_list_find(rep, h->name, &c, why, sizeof(why));
	if (found == -1) {
		json_decref(rep);
		return errf(err, len, 0, "list: iccd's reply: %s", why);
	}
	if (found == 1 && c.id[0] != '\0' && h->id[0] != '\0' &&
	    strcmp(c.id, h->id) != 0) {
		if (c.running)
			fprintf(stderr, "icc-oci-hook: %s now belongs to "
			    "container %.64s: left alone\n", h->name, c.id);
	} else if (found == 1 && oci_hook_owns(h, rep, &c))
		*act = STOP_RM;
	else if (found == 1 && c.running)
		*act = STOP_STOP;
	json_decref(rep);
	return 0;
}

/*
 * hook_stop: the poststop.  Podman runs it when the container exits,
 * whether it is then removed or not, and a later `podman rm` runs no hook
 * at all: the hook cannot tell a stop from a removal.  So what it
 * declared, it forgets (rm): iccd keeps nothing of a container that is
 * gone, and a container that starts again is declared again by its
 * createRuntime.  Rules files' declarations stay (rm keeps them); links
 * other containers declare to it stay, pending.
 */
static int
hook_stop(const struct oci_hook *h, char *err, size_t len)
{
	char what[ICC_NAME_MAX + 16];
	enum stop_action act;
	json_t *req;

	if (stop_action(h, &act, err, len) == -1)
		return -1;
	if (act == STOP_NOTHING)
		return 0;
	req = act == STOP_RM ? oci_rm_request(h) : oci_stop_request(h);
	if (req == NULL)
		return errf(err, len, 0, "stop: out of memory");
	snprintf(what, sizeof(what), "%s of %s", act == STOP_RM ? "rm" :
	    "stop", h->name);
	return call_iccd(req, what, err, len);
}

/*
 * run: the whole hook; -1 with one line in err.  A poststop may find the
 * bundle gone: then the state's annotations alone name the container.
 */
static int
run(enum oci_mode mode, struct oci_hook *h, char *err, size_t len)
{
	json_t *state, *config = NULL;
	int rv;

	if ((state = read_state(err, len)) == NULL)
		return -1;
	rv = oci_state_parse(state, mode, h, err, len);
	json_decref(state);
	if (rv == -1)
		return -1;
	if (h->bundle[0] != '\0')
		config = read_config(h, err, len);
	if (config == NULL && h->mode == OCI_MODE_START)
		return -1;
	rv = oci_config_parse(h, config, err, len);
	json_decref(config);
	if (rv == -1)
		return -1;
	return h->mode == OCI_MODE_START ? hook_start(h, err, len) :
	    hook_stop(h, err, len);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "warn-only", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	enum oci_mode mode = OCI_MODE_AUTO;
	struct oci_hook h;
	char err[ERRLEN];
	bool warn_only = false;
	int ch, rv;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			/* ctl_socket_path reads it: one source of truth. */
			if (setenv(ICC_SOCKET_ENV, optarg, 1) == -1) {
				fprintf(stderr, "icc-oci-hook: --socket: %s\n",
				    strerror(errno));
				return 1;
			}
			break;
		case 'w': warn_only = true; break;
		case 'h': usage(0);
		case 'V': printf("icc-oci-hook %s\n", PACKAGE_VERSION); return 0;
		default:
			fprintf(stderr, "icc-oci-hook: unknown option or missing "
			    "value \"%s\" (see icc-oci-hook --help)\n",
			    argv[optind - 1]);
			return 1;
		}
	}
	if (optind + 1 == argc && strcmp(argv[optind], "start") == 0)
		mode = OCI_MODE_START;
	else if (optind + 1 == argc && strcmp(argv[optind], "stop") == 0)
		mode = OCI_MODE_STOP;
	else if (optind != argc) {
		fprintf(stderr, "icc-oci-hook: unexpected argument \"%s\" "
		    "(want start or stop)\n", argv[optind]);
		return 1;
	}
	memset(&h, 0, sizeof(h));
	rv = run(mode, &h, err, sizeof(err));
	if (rv == -1 && (warn_only || h.warn)) {
		fprintf(stderr, "icc-oci-hook: warning: %s (on-error=warn: "
		    "the container goes on without iccd)\n", err);
		openlog("icc-oci-hook", LOG_PID, LOG_DAEMON);
		syslog(LOG_WARNING, "%s (on-error=warn: the container goes on "
		    "without iccd)", err);
		closelog();
		rv = 0;
	} else if (rv == -1) {
		fprintf(stderr, "icc-oci-hook: %s\n", err);
		rv = 1;
	}
	oci_hook_clear(&h);
	return rv;
}
