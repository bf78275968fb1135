/*
 * bench_client (built from this file): the benchmark's client side
 * (tests/bench/bench.sh).  It makes the clients' one call (src/lib/
 * client.h) over connections it keeps open, so what it times is
 * iccd's cost plus one unix socket round trip, without a process start
 * per request as with iccctl.
 *
 *   bench_client [-s SOCKET] events CYCLES SECONDS NAME BRIDGE IP1 IP2 LINK
 *	CYCLES times (or until SECONDS have passed): start NAME at IP1 with
 *	the one link LINK ("SOURCE:ALIAS"), start it again at IP2 (an IP
 *	change), stop it.  One line per request: "start|ipchange|stop RTT
 *	APPLY TOTAL", nanoseconds: the round trip seen here, and the reply's
 *	apply_ns (request arrival to the kernel's ack) and total_ns (to the
 *	reply, with the durable state write).
 *   bench_client [-s SOCKET] churn CLIENTS SECONDS BRIDGE NET SOURCE PID
 *	start CLIENTS receivers bchurnN at NET.(N+1) (NET: three octets,
 *	e.g. 10.98.1), then from CLIENTS threads, one connection each, link
 *	and unlink SOURCE as fast as iccd answers for SECONDS; then remove
 *	the receivers.  Prints "churn UPDATES WALL_NS P50 P99 MAX CPU": the
 *	link/unlink requests answered ok, the round trips in ns, and the CPU
 *	iccd (process PID) used meanwhile, in percent of one core.
 *   bench_client [-s SOCKET] status
 *	prints "status ELEMENTS KERNEL_ELEMENTS MATCHES CONTAINERS".
 *   bench_client run CMD [ARG...]
 *	run CMD, wait for it; prints "run ELAPSED_NS MAXRSS_KB".  A failed
 *	CMD is an error.
 *   bench_client spawn LOG SECONDS PATTERN... -- CMD [ARG...]
 *	start CMD with stdout and stderr appended to LOG and leave it
 *	running; return once LOG has had a line containing each PATTERN, in
 *	that order.  Prints "spawn PID NS..." with, for each PATTERN, the
 *	time from just before fork to its line being seen (LOG is polled
 *	every 100 us).  CMD exiting first, or the patterns not all seen
 *	within SECONDS, is an error.
 *
 * Exit status 0, or 1 with one line on stderr naming what failed.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "msg.h"
#include "proto.h"

#include "benchutil.h"

const char bench_prog[] = "bench_client";

#define CHURN_MAX	256

static const char *socket_opt;

/* ---- the control socket ----------------------------------------------- */

/* connect_iccd: a client for iccd (connected by its first call). */
static void
connect_iccd(struct ctl_client *c)
{
	ctl_init(c, ctl_socket_path(socket_opt), 0);
}

/*
 * call: send req (consumed) on c's connection and return the reply, which
 * must say ok; *rtt gets the round trip in ns.
 */
static json_t *
call(struct ctl_client *c, json_t *req, long long *rtt)
{
	long long t0;
	json_t *rep;
	char *s;

	if (req == NULL)
		die("out of memory");
	t0 = now_ns();
	rep = ctl_call(c, req);
	if (rtt != NULL)
		*rtt = now_ns() - t0;
	if (rep == NULL && c->fail == CTL_FAIL_REFUSED) {
		s = json_dumps(req, JSON_COMPACT);
		die("iccd refused %s: %s", s ? s : "a request", c->err);
	}
	if (rep == NULL)
		die("%s", c->err);
	json_decref(req);
	return rep;
}

/* reply_ns: a timing field of a state-changing reply (must be there). */
static long long
reply_ns(const json_t *rep, const char *key)
{
	const json_t *v = json_object_get(rep, key);

	if (!json_is_integer(v))
		die("reply without \"%s\": is this iccd too old?", key);
	return json_integer_value(v);
}

/* ---- events ------------------------------------------------------------- */

/* one_event: send req, print "what RTT APPLY TOTAL". */
static void
one_event(struct ctl_client *c, const char *what, json_t *req)
{
	long long rtt;
	json_t *rep = call(c, req, &rtt);

	printf("%s %lld %lld %lld\n", what, rtt, reply_ns(rep, "apply_ns"),
	    reply_ns(rep, "total_ns"));
	json_decref(rep);
}

static json_t *
start_req(const char *name, const char *bridge, const char *ip,
    const char *link)
{
	json_t *links = link != NULL ? json_pack("[s]", link) : NULL, *req;
	struct msg_start s = {
		.name = name, .bridge = bridge, .ip = ip, .links = links
	};

	req = msg_start(&s);
	json_decref(links);
	return req;
}

static int
cmd_events(int argc, char **argv)
{
	const char *name, *bridge, *ip1, *ip2, *link;
	long cycles, seconds;
	struct ctl_client c;
	long long deadline;

	if (argc != 7)
		die("usage: events CYCLES SECONDS NAME BRIDGE IP1 IP2 LINK");
	cycles = number("CYCLES", argv[0], 1, 1000000);
	seconds = number("SECONDS", argv[1], 1, 86400);
	name = argv[2];
	bridge = argv[3];
	ip1 = argv[4];
	ip2 = argv[5];
	link = argv[6];
	connect_iccd(&c);
	deadline = now_ns() + seconds * 1000000000LL;
	for (long i = 0; i < cycles && now_ns() < deadline; i++) {
		one_event(&c, "start", start_req(name, bridge, ip1, link));
		one_event(&c, "ipchange", start_req(name, bridge, ip2, link));
		one_event(&c, "stop", msg_request("stop", name));
	}
	ctl_close(&c);
	return 0;
}

/* ---- churn -------------------------------------------------------------- */

struct churner {
	pthread_t	 thread;
	char		 name[32];
	const char	*link;		/* SOURCE:ALIAS */
	const char	*alias;
	long long	 deadline;
	long long	*lat;		/* round trips, ns */
	size_t		 n, cap;
};

static void
churner_record(struct churner *c, long long rtt)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		if ((c->lat = realloc(c->lat, c->cap * sizeof(*c->lat))) ==
		    NULL)
			die("out of memory");
	}
	c->lat[c->n++] = rtt;
}

static void *
churner_run(void *arg)
{
	struct churner *c = arg;
	struct ctl_client ctl;
	long long rtt;

	connect_iccd(&ctl);
	while (now_ns() < c->deadline) {
		json_decref(call(&ctl, json_pack("{s:s,s:s,s:s}", "cmd", "link",
		    "name", c->name, "link", c->link), &rtt));
		churner_record(c, rtt);
		json_decref(call(&ctl, json_pack("{s:s,s:s,s:s}", "cmd",
		    "unlink", "name", c->name, "alias", c->alias), &rtt));
		churner_record(c, rtt);
	}
	ctl_close(&ctl);
	return NULL;
}

/* cpu_ticks: utime + stime of process pid, in clock ticks. */
static long long
cpu_ticks(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fgets(buf, sizeof(buf), f) == NULL)
		die("%s: empty", path);
	fclose(f);
	/* After "pid (comm) ": fields 3.. ; utime and stime are 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
	    "%llu", &ut, &st) != 2)
		die("%s: cannot parse", path);
	return (long long)(ut + st);
}

static int
cmd_churn(int argc, char **argv)
{
	static struct churner ch[CHURN_MAX];
	char link[128], ip[64];
	const char *bridge, *net, *source;
	long nclients, seconds, pid;
	long long t0, wall, ticks0, *all;
	size_t total = 0, k = 0;
	struct ctl_client c;

	if (argc != 6)
		die("usage: churn CLIENTS SECONDS BRIDGE NET SOURCE PID");
	nclients = number("CLIENTS", argv[0], 1, CHURN_MAX);
	seconds = number("SECONDS", argv[1], 1, 3600);
	bridge = argv[2];
	net = argv[3];
	source = argv[4];
	pid = number("PID", argv[5], 1, 1L << 30);
	snprintf(link, sizeof(link), "%s:churn", source);
	connect_iccd(&c);
	for (long i = 0; i < nclients; i++) {
		snprintf(ch[i].name, sizeof(ch[i].name), "bchurn%ld", i);
		snprintf(ip, sizeof(ip), "%s.%ld", net, i + 1);
		json_decref(call(&c, start_req(ch[i].name, bridge, ip, NULL),
		    NULL));
		ch[i].link = link;
		ch[i].alias = "churn";
	}
	ticks0 = cpu_ticks(pid);
	t0 = now_ns();
	for (long i = 0; i < nclients; i++) {
		ch[i].deadline = t0 + seconds * 1000000000LL;
		if (pthread_create(&ch[i].thread, NULL, churner_run, &ch[i]))
			die("pthread_create failed");
	}
	for (long i = 0; i < nclients; i++) {
		pthread_join(ch[i].thread, NULL);
		total += ch[i].n;
	}
	wall = now_ns() - t0;
	ticks0 = cpu_ticks(pid) - ticks0;
	for (long i = 0; i < nclients; i++)
		json_decref(call(&c, msg_request("rm", ch[i].name), NULL));
	ctl_close(&c);
	if (total == 0)
		die("churn: no request was answered");
	if ((all = malloc(total * sizeof(*all))) == NULL)
		die("out of memory");
	for (long i = 0; i < nclients; i++) {
		memcpy(all + k, ch[i].lat, ch[i].n * sizeof(*all));
		k += ch[i].n;
		free(ch[i].lat);
	}
	qsort(all, total, sizeof(*all), cmp_ll);
	printf("churn %zu %lld %lld %lld %lld %.1f\n", total, wall,
	    all[total / 2], all[(total * 99 + 99) / 100 - 1], all[total - 1],
	    100.0 * (double)ticks0 / (double)sysconf(_SC_CLK_TCK) /
	    ((double)wall / 1e9));
	free(all);
	return 0;
}

/* ---- status ------------------------------------------------------------- */

static int
cmd_status(void)
{
	struct ctl_client c;
	json_t *rep;

	connect_iccd(&c);
	rep = call(&c, msg_request("status", NULL), NULL);

	printf("status %lld %lld %s %lld\n",
	    (long long)json_integer_value(json_object_get(rep, "elements")),
	    (long long)json_integer_value(json_object_get(rep,
	    "kernel_elements")),
	    json_is_true(json_object_get(rep, "matches")) ? "yes" : "no",
	    (long long)json_integer_value(json_object_get(rep,
	    "containers")));
	json_decref(rep);
	ctl_close(&c);
	return 0;
}

/* ---- processes ---------------------------------------------------------- */

static int
cmd_run(int argc, char **argv)
{
	struct rusage ru;
	long long t0;
	pid_t pid;
	int status;

	if (argc < 1)
		die("usage: run CMD [ARG...]");
	fflush(stdout);
	t0 = now_ns();
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "bench_client: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1)
		die("wait4: %s", strerror(errno));
	t0 = now_ns() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s failed (status %d)", argv[0], status);
	printf("run %lld %ld\n", t0, ru.ru_maxrss);
	return 0;
}

/*
 * log_has: whether the lines of the file at fd, from *off on, include one
 * containing pattern; the lines up to it are consumed, the rest stays in
 * buf (*have bytes) for the next call.
 */
static bool
log_has(int fd, off_t *off, const char *pattern, char *buf, size_t len,
    size_t *have)
{
	ssize_t n;
	char *nl;
	bool found;

	for (;;) {
		while ((nl = memchr(buf, '\n', *have)) != NULL) {
			*nl = '\0';
			found = strstr(buf, pattern) != NULL;
			*have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, *have);
			if (found)
				return true;
		}
		if (*have == len - 1)
			*have = 0;	/* an over-long line: not ours */
		if ((n = pread(fd, buf + *have, len - 1 - *have, *off)) <= 0)
			return false;
		*off += n;
		*have += (size_t)n;
	}
}

#define SPAWN_PATTERNS_MAX	8

static int
cmd_spawn(int argc, char **argv)
{
	struct timespec gap = { 0, 100000 };
	long long t0, deadline, seen[SPAWN_PATTERNS_MAX];
	const char *log_path, *seconds;
	char buf[8192], **cmd;
	size_t have = 0;
	int fd, status, npat = 0, next = 0;
	off_t off;
	pid_t pid;

	if (argc < 5)
		die("usage: spawn LOG SECONDS PATTERN... -- CMD [ARG...]");
	log_path = argv[0];
	seconds = argv[1];
	for (argc -= 2, argv += 2; argc > 0 && strcmp(argv[0], "--") != 0;
	    argc--, argv++)
		npat++;
	if (npat == 0 || npat > SPAWN_PATTERNS_MAX || argc < 2)
		die("usage: spawn LOG SECONDS PATTERN... -- CMD [ARG...] "
		    "(1 to %d patterns)", SPAWN_PATTERNS_MAX);
	cmd = argv + 1;
	argv -= npat;		/* argv[0..npat-1]: the patterns */
	if ((fd = open(log_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1)
		die("%s: %s", log_path, strerror(errno));
	off = lseek(fd, 0, SEEK_END);
	deadline = number("SECONDS", seconds, 1, 3600) * 1000000000LL;
	fflush(stdout);
	t0 = now_ns();
	deadline += t0;
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(127);
		setsid();	/* not ours to signal: the caller kills it */
		execvp(cmd[0], cmd);
		fprintf(stderr, "bench_client: %s: %s\n", cmd[0],
		    strerror(errno));
		_exit(127);
	}
	while (next < npat) {
		if (log_has(fd, &off, argv[next], buf, sizeof(buf), &have)) {
			seen[next++] = now_ns() - t0;
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			die("%s exited (status %d) before logging \"%s\"",
			    cmd[0], status, argv[next]);
		if (now_ns() > deadline)
			die("%s did not log \"%s\" within %s s", cmd[0],
			    argv[next], seconds);
		nanosleep(&gap, NULL);
	}
	printf("spawn %ld", (long)pid);
	for (int i = 0; i < npat; i++)
		printf(" %lld", seen[i]);
	printf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "-s") == 0) {
		socket_opt = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		die("usage: bench_client [-s SOCKET] events|churn|status|run|"
		    "spawn ARGS (see the comment at the top of tests/bench/client.c)");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (strcmp(argv[1], "events") == 0)
		return cmd_events(argc - 2, argv + 2);
	if (strcmp(argv[1], "churn") == 0)
		return cmd_churn(argc - 2, argv + 2);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status();
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "spawn") == 0)
		return cmd_spawn(argc - 2, argv + 2);
	die("command: unknown \"%s\" (events, churn, status, run, spawn)",
	    argv[1]);
}
