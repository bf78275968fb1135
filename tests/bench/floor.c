/*
 * bench_floor (built from this file): the floor under iccd's event cost,
 * and the kernel-side helpers of the benchmark (tests/bench/bench.sh).
 * It links iccd's own src/iccd/kernel_*.c, so a batch here is byte for
 * byte what iccd sends, minus everything iccd does around it (request
 * parsing, the rule engine, the state write).
 *
 *   bench_floor [-t TABLE] load FILE
 *	make TABLE hold exactly the elements of FILE (kernel_sync: one
 *	transaction; the table is created when missing) and print
 *	"load N ELEMENTS NS".  FILE has one "RECV SRC PROTO PORT" line per
 *	element (dotted quads, protocol number, port).
 *   bench_floor [-t TABLE] events CYCLES SECONDS RECV1 RECV2 SRC PORT...
 *	CYCLES times (or until SECONDS have passed): add the elements RECV1
 *	. SRC . tcp . PORT (a start), replace them by RECV2's (an IP change)
 *	and delete those (a stop), one kbatch_commit each; print one line
 *	"start|ipchange|stop NS" per commit.
 *   bench_floor [-t TABLE] drift PERMILLE
 *	delete PERMILLE/2 per mille of TABLE's link elements and add as many
 *	foreign ones (receivers in 10.95.0.0/16), in one batch; prints
 *	"drift DELETED ADDED".
 *   bench_floor stall SECONDS
 *	every 100 us send an empty nf_tables batch and time it: the kernel
 *	runs a batch inside sendmsg() holding the netns' nf_tables commit
 *	mutex, so a slow one means someone else's commit held the mutex that
 *	long.  An empty batch takes the mutex but changes nothing: the
 *	ruleset generation does not move (checked first), so iccd's own
 *	commits, which carry the generation they dumped at, are not made to
 *	retry.  Runs until SIGTERM/SIGINT or SECONDS; prints "stall N P50 P99
 *	MAX" in ns.
 *   bench_floor [-t TABLE] delete
 *	delete TABLE (absent is fine).
 *
 * The default table is "icc".  Exit status 0, or 1 with one line on
 * stderr naming what failed.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>

#include "engine.h"
#include "kernel.h"

#include "benchutil.h"

const char bench_prog[] = "bench_floor";

#define ERRLEN		512
#define EVENT_PORTS_MAX	16

static volatile sig_atomic_t stop_flag;

static struct in_addr
addr4(const char *what, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		die("%s: not an IPv4 address: \"%s\"", what, s);
	return a;
}

static struct kernel *
open_table(const char *table)
{
	struct kernel *k;

	if ((k = kernel_open(table)) == NULL)
		die("netlink: table %s: %s", table, strerror(errno));
	return k;
}

/* ---- load ---------------------------------------------------------------- */

/* read_elems: FILE's "RECV SRC PROTO PORT" lines into ev. */
static void
read_elems(const char *path, struct elemvec *ev)
{
	char line[256], recv[64], src[64];
	struct icc_ports p;
	struct icc_elem e;
	unsigned proto, port;
	size_t lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (sscanf(line, "%63s %63s %u %u", recv, src, &proto,
		    &port) != 4 || proto > 255 || port == 0 || port > 65535)
			die("%s:%zu: expected \"RECV SRC PROTO PORT\"", path,
			    lineno);
		p.first = p.last = (uint16_t)port;
		p.proto = (uint8_t)proto;
		elem_init4(&e, addr4(path, recv), addr4(path, src), &p);
		if (elemvec_push(ev, &e) == -1)
			die("out of memory");
	}
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
}

static int
cmd_load(const char *table, int argc, char **argv)
{
	struct elemvec ev = { 0 };
	char err[ERRLEN];
	struct kernel *k;
	long long t0;
	long changed;
	int rc;

	if (argc != 1)
		die("usage: load FILE");
	read_elems(argv[0], &ev);
	k = open_table(table);
	t0 = now_ns();
	rc = kernel_sync(k, &ev, NULL, 0, &changed, err, sizeof(err));
	if (rc != 0)
		die("load %s: %s", table, err);
	printf("load %zu %lld\n", ev.n, now_ns() - t0);
	kernel_close(k);
	elemvec_free(&ev);
	return 0;
}

/* ---- events -------------------------------------------------------------- */

struct event_spec {
	struct in_addr	 recv[2];	/* before and after the IP change */
	struct in_addr	 src;
	struct icc_ports ports[EVENT_PORTS_MAX];
	size_t		 nports;
};

/* batch_elems: add (or delete) receiver r's elements to b. */
static void
batch_elems(struct kbatch *b, const struct event_spec *es, int r, bool del)
{
	struct icc_elem e;

	for (size_t i = 0; i < es->nports; i++) {
		elem_init4(&e, es->recv[r], es->src, &es->ports[i]);
		if ((del ? kbatch_del_elem(b, &e) : kbatch_add_elem(b, &e)) ==
		    -1)
			die("out of memory");
	}
}

/* timed_commit: commit b, print "what NS", reset b. */
static void
timed_commit(struct kbatch *b, const char *what)
{
	char err[ERRLEN];
	long long t0 = now_ns(), dt;
	int rc;

	rc = kbatch_commit(b, err, sizeof(err));
	dt = now_ns() - t0;
	if (rc != 0)
		die("%s: %s", what, err);
	printf("%s %lld\n", what, dt);
	kbatch_reset(b);
}

static int
cmd_events(const char *table, int argc, char **argv)
{
	struct event_spec es = { 0 };
	struct kbatch *b;
	struct kernel *k;
	long cycles, seconds;
	long long deadline;

	if (argc < 6 || argc - 5 > EVENT_PORTS_MAX)
		die("usage: events CYCLES SECONDS RECV1 RECV2 SRC PORT... "
		    "(1 to %d ports)", EVENT_PORTS_MAX);
	cycles = number("CYCLES", argv[0], 1, 1000000);
	seconds = number("SECONDS", argv[1], 1, 86400);
	es.recv[0] = addr4("RECV1", argv[2]);
	es.recv[1] = addr4("RECV2", argv[3]);
	es.src = addr4("SRC", argv[4]);
	for (int i = 5; i < argc; i++) {
		es.ports[es.nports].first = es.ports[es.nports].last =
		    (uint16_t)number("PORT", argv[i], 1, 65535);
		es.ports[es.nports++].proto = IPPROTO_TCP;
	}
	k = open_table(table);
	if ((b = kbatch_new(k)) == NULL)
		die("out of memory");
	deadline = now_ns() + seconds * 1000000000LL;
	for (long c = 0; c < cycles && now_ns() < deadline; c++) {
		batch_elems(b, &es, 0, false);
		timed_commit(b, "start");
		batch_elems(b, &es, 0, true);
		batch_elems(b, &es, 1, false);
		timed_commit(b, "ipchange");
		batch_elems(b, &es, 1, true);
		timed_commit(b, "stop");
	}
	kbatch_free(b);
	kernel_close(k);
	return 0;
}

/* ---- drift --------------------------------------------------------------- */

static int
cmd_drift(const char *table, int argc, char **argv)
{
	struct elemvec have = { 0 };
	struct icc_elem e;
	char err[ERRLEN];
	struct kbatch *b;
	struct kernel *k;
	size_t n, step;
	long permille;
	int rc;

	if (argc != 1)
		die("usage: drift PERMILLE");
	permille = number("PERMILLE", argv[0], 1, 1000);
	k = open_table(table);
	if ((rc = kernel_dump_elems(k, &have)) != 0)
		die("dump table %s: %s", table, strerror(-rc));
	n = have.n * (size_t)permille / 2000;
	if (n == 0)
		die("drift: table %s has too few elements (%zu)", table,
		    have.n);
	if ((b = kbatch_new(k)) == NULL)
		die("out of memory");
	/* Every step-th element goes: spread over the whole set. */
	step = have.n / n;
	for (size_t i = 0; i < n; i++)
		if (kbatch_del_elem(b, &have.v[i * step]) == -1)
			die("out of memory");
	for (size_t i = 0; i < n; i++) {
		e = have.v[i * step];
		e.recv.v4.s_addr = htonl(0x0a5f0000u | (uint32_t)(i + 1));
		if (kbatch_add_elem(b, &e) == -1)
			die("out of memory");
	}
	if ((rc = kbatch_commit(b, err, sizeof(err))) != 0)
		die("drift: %s", err);
	printf("drift %zu %zu\n", n, n);
	kbatch_free(b);
	kernel_close(k);
	elemvec_free(&have);
	return 0;
}

/* ---- stall --------------------------------------------------------------- */

static int
gen_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_gen *gen = nftnl_gen_alloc();
	uint32_t *genid = arg;

	if (gen == NULL)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, gen) == 0)
		*genid = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
	nftnl_gen_free(gen);
	return MNL_CB_OK;
}

/* genid: the ruleset generation, to check empty batches leave it alone. */
static uint32_t
genid(struct mnl_socket *nl, uint32_t *seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t id = 0, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK,
	    ++*seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("getgen: %s", strerror(errno));
	do {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
			die("getgen: %s", strerror(errno));
		rc = mnl_cb_run(buf, (size_t)n, *seq, portid, gen_cb, &id);
	} while (rc > MNL_CB_STOP);
	if (rc < 0)
		die("getgen: %s", strerror(errno));
	return id;
}

/* empty_batch: begin + end, no ack asked: sendmsg returns when done. */
static long long
empty_batch(struct mnl_socket *nl, uint32_t *seq)
{
	char buf[256], drain[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *end;
	size_t len;
	long long t0;

	nftnl_batch_begin(buf, ++*seq);
	end = (struct nlmsghdr *)(buf + NLMSG_ALIGN(
	    ((struct nlmsghdr *)buf)->nlmsg_len));
	nftnl_batch_end((char *)end, ++*seq);
	len = NLMSG_ALIGN(((struct nlmsghdr *)buf)->nlmsg_len) +
	    end->nlmsg_len;
	t0 = now_ns();
	if (mnl_socket_sendto(nl, buf, len) < 0)
		die("empty batch: %s", strerror(errno));
	t0 = now_ns() - t0;
	/* An error (there should be none) would queue an answer: drop it. */
	while (recv(mnl_socket_get_fd(nl), drain, sizeof(drain),
	    MSG_DONTWAIT) > 0)
		;
	return t0;
}

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
cmd_stall(int argc, char **argv)
{
	struct timespec gap = { 0, 100000 };
	struct mnl_socket *nl;
	long long *v = NULL, deadline;
	size_t n = 0, cap = 0;
	uint32_t seq = (uint32_t)time(NULL), g0;

	if (argc != 1)
		die("usage: stall SECONDS");
	deadline = now_ns() + number("SECONDS", argv[0], 1, 3600) *
	    1000000000LL;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink: %s", strerror(errno));
	g0 = genid(nl, &seq);
	for (int i = 0; i < 100; i++)
		(void)empty_batch(nl, &seq);
	if (genid(nl, &seq) != g0)
		die("stall: empty batches move the ruleset generation on this "
		    "kernel: the probe would make iccd's commits retry");
	/* Ready: the caller waits for this line before starting iccd. */
	printf("ready\n");
	fflush(stdout);
	while (!stop_flag && now_ns() < deadline) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((v = realloc(v, cap * sizeof(*v))) == NULL)
				die("out of memory");
		}
		v[n++] = empty_batch(nl, &seq);
		nanosleep(&gap, NULL);
	}
	mnl_socket_close(nl);
	if (n == 0)
		die("stall: no sample");
	qsort(v, n, sizeof(*v), cmp_ll);
	printf("stall %zu %lld %lld %lld\n", n, v[n / 2],
	    v[(n * 99 + 99) / 100 - 1], v[n - 1]);
	free(v);
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static int
cmd_delete(const char *table)
{
	struct kernel *k = open_table(table);
	int rc = kernel_delete_table(k);

	kernel_close(k);
	if (rc != 0 && rc != -ENOENT)
		die("delete table %s: %s", table, strerror(-rc));
	return 0;
}

int
main(int argc, char **argv)
{
	const char *table = "icc";

	if (argc >= 3 && strcmp(argv[1], "-t") == 0) {
		table = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		die("usage: bench_floor [-t TABLE] load|events|drift|stall|"
		    "delete ARGS (see the comment at the top of tests/bench/floor.c)");
	/* Samples go to a file or a pipe: one write per line is too slow. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (strcmp(argv[1], "load") == 0)
		return cmd_load(table, argc - 2, argv + 2);
	if (strcmp(argv[1], "events") == 0)
		return cmd_events(table, argc - 2, argv + 2);
	if (strcmp(argv[1], "drift") == 0)
		return cmd_drift(table, argc - 2, argv + 2);
	if (strcmp(argv[1], "stall") == 0)
		return cmd_stall(argc - 2, argv + 2);
	if (strcmp(argv[1], "delete") == 0)
		return cmd_delete(table);
	die("command: unknown \"%s\" (load, events, drift, stall, delete)",
	    argv[1]);
}
