/*
 * iccctl: control iccd.  Builds one request per invocation, checks it with
 * the same validator the daemon uses (so bad input is refused before
 * anything is sent), sends it on the control socket and prints the reply.
 * See iccctl(8).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "iccctl.h"
#include "log.h"
#include "msg.h"
#include "proto.h"

#define TIMEOUT_DEFAULT	30	/* seconds for one exchange with iccd */
#define TIMEOUT_MAX	86400

static const char *socket_opt;
static int timeout_s = TIMEOUT_DEFAULT;	/* --timeout; 0: wait forever */
int die_status = 1;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: iccctl [--socket PATH] [--timeout SECONDS] COMMAND [ARGS]\n"
"  start NAME --bridge BR --ip IPV4 [--ip6 IPV6] [--id ID] [--hostname HOST]\n"
"             [--expose PORT[-END][/tcp|udp|sctp]]... [--link SOURCE[:ALIAS]]...\n"
"             [--env KEY=VALUE]... [--port IFNAME --mac MAC]\n"
"  stop NAME | rm NAME\n"
"  link RECEIVER SOURCE[:ALIAS] | unlink RECEIVER ALIAS\n"
"  bridge BR --icc on|off\n"
"  list [--json|--dot] | status [--json]\n"
"  env NAME [--json] [--link ALIAS] | hosts NAME [--write FILE]\n"
"  reload\n"
"  check FROM TO PORT[/tcp|udp|sctp] [--json]\n"
"  log [--follow] [--json] | metrics\n");
	exit(status);
}

void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("iccctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(die_status);
}

/*
 * call: check req as iccd will, send it and return iccd's successful
 * reply; else die with one line.  Takes req.
 */
json_t *
call(json_t *req)
{
	struct ctl_client c;
	json_t *rep;

	if (req == NULL)
		die("out of memory");
	ctl_init(&c, ctl_socket_path(socket_opt), timeout_s * 1000);
	rep = ctl_call(&c, req);
	ctl_close(&c);
	/* Every json_t is released before die(): one owned only by a local
	 * when the program exits is a leak to LeakSanitizer. */
	json_decref(req);
	if (rep != NULL)
		return rep;
	if (c.fail == CTL_FAIL_PATH)
		die("--socket: path too long");
	if (c.fail == CTL_FAIL_TIMEOUT)
		die("%s (--timeout)", c.err);
	die("%s", c.err);
}

void
print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s == NULL)
		die("out of memory");
	puts(s);
	free(s);
}

/*
 * bad_option: the one line for an option getopt_long refused, naming the
 * word that holds it.  Long options and whole short ones have been
 * stepped over (argv[optind - 1]); a cluster such as -bad fails at its
 * first letter, with getopt still on it (argv[optind]).
 */
void
bad_option(char **argv)
{
	const char *w = argv[optind - 1], *next = argv[optind];

	/* optopt is 0 for an unknown long option; a long one that lacks
	 * its value is the last word (next is NULL). */
	if (optopt != 0 && next != NULL && next[0] == '-' &&
	    next[1] == optopt && next[2] != '\0' &&
	    !(w[0] == '-' && w[1] == optopt && w[2] == '\0'))
		w = next;
	die("%s: unknown option or missing value \"%s\" (see iccctl --help)",
	    argv[0], w);
}

/* once: set a single-value option, refused when given twice. */
static void
once(const char **slot, const char *what, const char *value)
{
	if (*slot != NULL)
		die("%s: given twice", what);
	*slot = value;
}

static json_t *
new_req(const char *cmd)
{
	return msg_request(cmd, NULL);
}

/* name_arg: the one positional NAME after options, or die. */
static const char *
name_arg(int argc, char **argv, const char *what)
{
	if (optind >= argc)
		die("%s: missing", what);
	if (optind + 1 != argc)
		die("unexpected argument \"%s\"", argv[optind + 1]);
	return argv[optind];
}

/* strings_json: a new array of v[0..n-1]; dies when out of memory. */
static json_t *
strings_json(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) == -1) {
			json_decref(a);
			a = NULL;
		}
	if (a == NULL)
		die("out of memory");
	return a;
}

static int
cmd_start(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bridge", required_argument, NULL, 'b' },
		{ "ip", required_argument, NULL, '4' },
		{ "ip6", required_argument, NULL, '6' },
		{ "id", required_argument, NULL, 'i' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "expose", required_argument, NULL, 'e' },
		{ "link", required_argument, NULL, 'l' },
		{ "env", required_argument, NULL, 'E' },
		{ "port", required_argument, NULL, 'p' },
		{ "mac", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct msg_start s = { 0 };
	/* The repeatable values point into argv until parsing is over: a
	 * bad option then exits with nothing allocated. */
	const char *ex[argc], *ln[argc], *ev[argc];
	size_t nex = 0, nln = 0, nev = 0;
	json_t *req, *rep, *expose, *links, *env;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'b': once(&s.bridge, "bridge", optarg); break;
		case '4': once(&s.ip, "ip", optarg); break;
		case '6': once(&s.ip6, "ip6", optarg); break;
		case 'i': once(&s.id, "id", optarg); break;
		case 'H': once(&s.hostname, "hostname", optarg); break;
		case 'p': once(&s.port, "port", optarg); break;
		case 'm': once(&s.mac, "mac", optarg); break;
		case 'e': ex[nex++] = optarg; break;
		case 'l': ln[nln++] = optarg; break;
		case 'E': ev[nev++] = optarg; break;
		default: bad_option(argv);
		}
	}
	s.name = name_arg(argc, argv, "name");
	s.expose = expose = strings_json(ex, nex);
	s.links = links = strings_json(ln, nln);
	s.env = env = strings_json(ev, nev);
	req = msg_start(&s);
	json_decref(expose);
	json_decref(links);
	json_decref(env);
	rep = call(req);
	/* A takeover: said, but the start succeeded (exit 0). */
	if (json_is_string(json_object_get(rep, "note")))
		fprintf(stderr, "iccctl: %s\n", json_string_value(
		    json_object_get(rep, "note")));
	json_decref(rep);
	return 0;
}

static int
cmd_name_only(const char *cmd, int argc, char **argv)
{
	const char *name;
	json_t *req;

	if (getopt_long(argc, argv, "", (struct option[]){ { 0 } }, NULL) != -1)
		bad_option(argv);
	name = name_arg(argc, argv, "name");
	req = new_req(cmd);
	json_object_set_new(req, "name", json_string(name));
	json_decref(call(req));
	return 0;
}

static int
cmd_link(const char *cmd, int argc, char **argv)
{
	json_t *req;

	if (getopt_long(argc, argv, "", (struct option[]){ { 0 } }, NULL) != -1)
		bad_option(argv);
	if (argc - optind != 2)
		die("%s: expected RECEIVER %s", cmd, strcmp(cmd, "link") == 0 ?
		    "SOURCE[:ALIAS]" : "ALIAS");
	req = new_req(cmd);
	json_object_set_new(req, "name", json_string(argv[optind]));
	json_object_set_new(req, strcmp(cmd, "link") == 0 ? "link" : "alias",
	    json_string(argv[optind + 1]));
	json_decref(call(req));
	return 0;
}

static int
cmd_bridge(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "icc", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	const char *icc = NULL, *bridge;
	json_t *req;
	int ch;

	/* Parsed first: a bad word exits with nothing allocated. */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'i')
			bad_option(argv);
		once(&icc, "icc", optarg);
	}
	bridge = name_arg(argc, argv, "bridge");
	req = new_req("bridge");
	if (icc != NULL)
		json_object_set_new(req, "icc", json_string(icc));
	json_object_set_new(req, "bridge", json_string(bridge));
	json_decref(call(req));
	return 0;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void
print_container(const struct msg_container *c)
{
	const json_t *p;
	const char *at;
	size_t i;

	if (!c->started)
		printf("container %s declared", c->name);
	else {
		printf("container %s %s bridge %s ip %s", c->name, c->running ?
		    "running" : "stopped", c->bridge, c->ip);
		if (c->has_ip6)
			printf(" ip6 %s", c->ip6_text);
	}
	json_array_foreach(c->expose, i, p) {
		at = json_string_value(json_array_get(c->expose_from, i));
		printf("%s%s", i == 0 ? " expose " : ",", json_string_value(p));
		/* Ports from rules files say where: 80/tcp(a.rules:3). */
		if (at != NULL && strcmp(at, "event") != 0)
			printf("(%s)", at);
	}
	putchar('\n');
	/* On a bridge with icc off: bound to its port, or not. */
	if (strcmp(c->binding, "bound") == 0)
		printf("binding %s bound port %s mac %s\n", c->name, c->port,
		    c->mac);
	else if (strcmp(c->binding, "unbound") == 0)
		printf("binding %s unbound\n", c->name);
}

/* print_list: the list reply as text; -1 with err for a bad reply. */
static int
print_list(const json_t *rep, char *err, size_t len)
{
	struct msg_container c;
	const json_t *v, *a;
	size_t i, j;
	int rv;

	json_array_foreach(json_object_get(rep, "bridges"), i, v)
		printf("bridge %s icc %s\n", jstr(v, "name"),
		    json_is_true(json_object_get(v, "icc")) ? "on" : "off");
	for (i = 0; (rv = msg_list_get(rep, i, &c, err, len)) == 1; i++)
		print_container(&c);
	if (rv == -1)
		return -1;
	json_array_foreach(json_object_get(rep, "links"), i, v) {
		printf("link %s %s alias %s %s", jstr(v, "receiver"),
		    jstr(v, "source"), jstr(v, "alias"), jstr(v, "state"));
		if (strcmp(jstr(v, "from"), "event") != 0)
			printf(" from %s", jstr(v, "from"));
		putchar('\n');
		json_array_foreach(json_object_get(v, "allow"), j, a)
			printf("  allow %s\n", json_string_value(a));
	}
	return 0;
}

static bool
json_flag(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'j')
			bad_option(argv);
		json = true;
	}
	if (optind != argc)
		die("unexpected argument \"%s\"", argv[optind]);
	return json;
}

static int
cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "dot", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, fmt = 0;
	json_t *rep;
	char err[256];

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'j' && ch != 'd')
			bad_option(argv);
		if (fmt != 0 && fmt != ch)
			die("list: --json and --dot exclude each other");
		fmt = ch;
	}
	if (optind != argc)
		die("unexpected argument \"%s\"", argv[optind]);
	rep = call(new_req("list"));
	json_object_del(rep, "ok");
	if (fmt == 'j')
		print_json(rep);
	else if ((fmt == 'd' ? print_dot(rep, err, sizeof(err)) :
	    print_list(rep, err, sizeof(err))) == -1) {
		json_decref(rep);
		fflush(stdout);
		die("list: iccd's reply: %s", err);
	}
	json_decref(rep);
	return 0;
}

/* print_gc: status's range garbage queue (iccd(8)). */
static void
print_gc(const json_t *gc)
{
	printf("ranges being removed: %lld (pairs: %lld), adds waiting for "
	    "them: %lld, removed so far: %lld\n", (long long)
	    json_integer_value(json_object_get(gc, "queued")), (long long)
	    json_integer_value(json_object_get(gc, "pairs")), (long long)
	    json_integer_value(json_object_get(gc, "pending")), (long long)
	    json_integer_value(json_object_get(gc, "drained")));
}

static int
cmd_status(int argc, char **argv)
{
	bool json = json_flag(argc, argv);
	json_t *rep = call(new_req("status"));

	json_object_del(rep, "ok");
	if (json)
		print_json(rep);
	else {
		printf("table inet %s: %s, %s model (%lld elements, %lld in "
		    "kernel, %lld missing, %lld extra)\n", jstr(rep, "table"),
		    json_is_true(json_object_get(rep, "present")) ? "present" :
		    "MISSING", json_is_true(json_object_get(rep, "matches")) ?
		    "matches" : "DIFFERS FROM", (long long)json_integer_value(
		    json_object_get(rep, "elements")), (long long)
		    json_integer_value(json_object_get(rep, "kernel_elements")),
		    (long long)json_integer_value(json_object_get(rep,
		    "missing")), (long long)json_integer_value(json_object_get(
		    rep, "extra")));
		printf("containers %lld, closed bridges %lld\n", (long long)
		    json_integer_value(json_object_get(rep, "containers")),
		    (long long)json_integer_value(json_object_get(rep,
		    "closed_bridges")));
		printf("repairs %lld, last repair: %s", (long long)
		    json_integer_value(json_object_get(rep, "repairs")),
		    jstr(rep, "last_repair_cause"));
		if (json_integer_value(json_object_get(rep, "repairs")) > 0)
			printf(" (at %s, took %lld us)", jstr(rep,
			    "last_repair_at"), (long long)json_integer_value(
			    json_object_get(rep, "last_repair_us")));
		printf("\n");
		printf("table bridge %s: %s (%lld elements, %lld missing, "
		    "%lld extra)\n", jstr(rep, "table"), json_is_true(
		    json_object_get(rep, "bridge_present")) ? "present" :
		    "MISSING", (long long)json_integer_value(json_object_get(
		    rep, "bound_elements")), (long long)json_integer_value(
		    json_object_get(rep, "bridge_missing")), (long long)
		    json_integer_value(json_object_get(rep, "bridge_extra")));
		printf("unbound containers %lld, br_netfilter sysctls put "
		    "back %lld\n", (long long)json_integer_value(
		    json_object_get(rep, "unbound")), (long long)
		    json_integer_value(json_object_get(rep, "sysctl_repairs")));
		printf("containers stopped because their port went away %lld\n",
		    (long long)json_integer_value(json_object_get(rep,
		    "ports_lost")));
		print_gc(json_object_get(rep, "range_gc"));
	}
	json_decref(rep);
	return 0;
}

static void
print_lines(const json_t *rep)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(rep, "lines"), i, v)
		puts(json_string_value(v));
}

/* print_env_json: KEY=VALUE lines as one object, in order. */
static void
print_env_json(const json_t *rep)
{
	json_t *obj = json_object(), *v;
	size_t i;

	json_array_foreach(json_object_get(rep, "lines"), i, v) {
		const char *s = json_string_value(v), *eq = strchr(s, '=');
		char *key = strndup(s, eq ? (size_t)(eq - s) : strlen(s));

		json_object_set_new(obj, key, json_string(eq ? eq + 1 : ""));
		free(key);
	}
	print_json(obj);
	json_decref(obj);
}

static int
cmd_env(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "link", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char *alias = NULL, *name;
	json_t *req, *rep;
	bool json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'l')
			once(&alias, "link", optarg);
		else
			bad_option(argv);
	}
	name = name_arg(argc, argv, "name");
	req = new_req("env");
	if (alias != NULL)
		json_object_set_new(req, "alias", json_string(alias));
	json_object_set_new(req, "name", json_string(name));
	rep = call(req);
	if (json)
		print_env_json(rep);
	else
		print_lines(rep);
	json_decref(rep);
	return 0;
}

static int
cmd_hosts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "write", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	char cwd[PATH_MAX], abs[2 * PATH_MAX];
	const char *write = NULL, *name;
	json_t *req, *rep;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'w')
			bad_option(argv);
		once(&write, "write", optarg);
		/* The daemon writes the file: give it an absolute path. */
		if (optarg[0] == '/')
			snprintf(abs, sizeof(abs), "%s", optarg);
		else if (getcwd(cwd, sizeof(cwd)) != NULL)
			snprintf(abs, sizeof(abs), "%s/%s", cwd, optarg);
		else
			die("write: %s", strerror(errno));
	}
	name = name_arg(argc, argv, "name");
	req = new_req("hosts");
	if (write != NULL)
		json_object_set_new(req, "write", json_string(abs));
	json_object_set_new(req, "name", json_string(name));
	rep = call(req);
	print_lines(rep);
	json_decref(rep);
	return 0;
}

static int
cmd_reload(int argc, char **argv)
{
	if (getopt_long(argc, argv, "", (struct option[]){ { 0 } }, NULL) != -1)
		bad_option(argv);
	if (optind != argc)
		die("unexpected argument \"%s\"", argv[optind]);
	json_decref(call(new_req("reload")));
	return 0;
}

/* seconds_arg: a whole number of seconds from 0 to TIMEOUT_MAX, or die. */
static int
seconds_arg(const char *opt, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > TIMEOUT_MAX)
		die("%s: expected whole seconds from 0 to %d (0: wait "
		    "forever), got \"%s\"", opt, TIMEOUT_MAX, s);
	return (int)v;
}

/* Each command's synopsis, as in usage() and iccctl(8). */
static const struct {
	const char	*cmd;
	const char	*synopsis;
} synopses[] = {
	{ "start", "start NAME --bridge BR --ip IPV4 [--ip6 IPV6] [--id ID] "
	    "[--hostname HOST]\n"
	    "             [--expose PORT[-END][/tcp|udp|sctp]]... "
	    "[--link SOURCE[:ALIAS]]...\n"
	    "             [--env KEY=VALUE]... [--port IFNAME --mac MAC]" },
	{ "stop", "stop NAME" },
	{ "rm", "rm NAME" },
	{ "link", "link RECEIVER SOURCE[:ALIAS]" },
	{ "unlink", "unlink RECEIVER ALIAS" },
	{ "bridge", "bridge BR --icc on|off" },
	{ "list", "list [--json|--dot]" },
	{ "status", "status [--json]" },
	{ "env", "env NAME [--json] [--link ALIAS]" },
	{ "hosts", "hosts NAME [--write FILE]" },
	{ "reload", "reload" },
	{ "check", "check FROM TO PORT[/tcp|udp|sctp] [--json]" },
	{ "log", "log [--follow] [--json]" },
	{ "metrics", "metrics" },
};

/* command_help: `iccctl CMD --help` (or -h) prints CMD's synopsis. */
static void
command_help(const char *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") != 0 && strcmp(argv[i], "-h") != 0)
			continue;
		for (size_t j = 0; j < sizeof(synopses) / sizeof(synopses[0]);
		    j++) {
			if (strcmp(synopses[j].cmd, cmd) == 0) {
				printf("usage: iccctl [--socket PATH] %s\n",
				    synopses[j].synopsis);
				exit(0);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd;
	int ch;

	opterr = 0;	/* one line of our own instead of getopt's */
	/* '+': stop at the command; each command parses its own options. */
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': socket_opt = optarg; break;
		case 't': timeout_s = seconds_arg("--timeout", optarg); break;
		case 'h': usage(0);
		case 'V': printf("iccctl %s\n", PACKAGE_VERSION); return 0;
		default: bad_option(argv);
		}
	}
	if (optind >= argc)
		usage(2);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	/* 0, not 1: glibc then forgets the '+' of the first scan and
	 * permutes again, so options may follow NAME. */
	optind = 0;
	command_help(cmd, argc, argv);
	if (strcmp(cmd, "start") == 0) return cmd_start(argc, argv);
	if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "rm") == 0)
		return cmd_name_only(cmd, argc, argv);
	if (strcmp(cmd, "link") == 0 || strcmp(cmd, "unlink") == 0)
		return cmd_link(cmd, argc, argv);
	if (strcmp(cmd, "bridge") == 0) return cmd_bridge(argc, argv);
	if (strcmp(cmd, "list") == 0) return cmd_list(argc, argv);
	if (strcmp(cmd, "status") == 0) return cmd_status(argc, argv);
	if (strcmp(cmd, "env") == 0) return cmd_env(argc, argv);
	if (strcmp(cmd, "hosts") == 0) return cmd_hosts(argc, argv);
	if (strcmp(cmd, "reload") == 0) return cmd_reload(argc, argv);
	if (strcmp(cmd, "check") == 0) return cmd_check(argc, argv);
	if (strcmp(cmd, "metrics") == 0) return cmd_metrics(argc, argv);
	if (strcmp(cmd, "log") == 0) return cmd_log(argc, argv);
	die_status = 2;		/* a usage error, as no command at all */
	die("unknown command \"%s\" (see iccctl --help)", cmd);
}
