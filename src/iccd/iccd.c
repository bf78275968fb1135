/*
 * iccd: the inter-container-communication firewall daemon.  Listens on
 * the control socket, keeps the model, and programs its nftables table.
 * See iccd(8).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "control.h"
#include "daemon.h"
#include "droplog.h"
#include "httpmetrics.h"
#include "locks.h"
#include "log.h"
#include "ops.h"
#include "options.h"
#include "parse.h"
#include "portwatch.h"
#include "proto.h"
#include "rules.h"
#include "state.h"

static json_t *
handle(const json_t *req, bool may_write, const struct peer_cred *who,
    void *arg)
{
	return ops_handle(arg, req, may_write, who);
}

/* signals_block: signals arrive on a signalfd, read in the main loop. */
static int
signals_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	/* A state write past a file size limit (RLIMIT_FSIZE) must fail
	 * with EFBIG, and the change be refused, not kill iccd. */
	signal(SIGXFSZ, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* on_signal: returns false when iccd must exit. */
static bool
on_signal(struct iccd *d, int sfd)
{
	struct signalfd_siginfo si;
	char err[512];

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (daemon_reload(d, err, sizeof(err)) == -1)
				log_warnx("SIGHUP: reload refused, nothing "
				    "changed: %s", err);
			else
				log_info("SIGHUP: rules reloaded");
		} else {
			log_info("signal %u: exiting, table left in place "
			    "(bridges stay closed)", si.ssi_signo);
			return false;
		}
	}
	return true;
}

/* resync: make the kernel table match the model again. */
static void
resync(struct iccd *d, const char *cause)
{
	char err[512];

	if (daemon_sync(d, err, sizeof(err)) != 0) {
		log_warnx("resync (%s): %s", cause, err);
		return;
	}
	d->need_sync = false;
}

/*
 * monitor_open: watch nftables events so that the table is repaired when
 * someone else changes it.  $ICCD_DEBUG_MONITOR_RCVBUF (bytes) sets the
 * event socket's buffer, for tests that provoke overruns.  The table was
 * synced before the monitor listened: the caller asks the ruleset's
 * generation whether anyone changed it in between (and then syncs once
 * more).  Returns the fd, or -1 (logged):
 * iccd then runs without self-healing.
 */
static int
monitor_open(struct iccd *d)
{
	const char *env = getenv("ICCD_DEBUG_MONITOR_RCVBUF");
	size_t rcvbuf = 0;
	int fd;

	if (env != NULL && (rcvbuf = strtoul(env, NULL, 10)) == 0)
		fatalx("ICCD_DEBUG_MONITOR_RCVBUF: expected a size in bytes");
	/* iccd's own syncs (a repair, a resync) are heard too (skipped, but
	 * queued): room for one event per element (~72 bytes; the kernel
	 * counts about twice that), or the overflow would cost another full
	 * dump. */
	if (env == NULL && elemset_size(d->desired) > 16384)
		rcvbuf = (elemset_size(d->desired) + 16384) * 256;
	if (rcvbuf > (64u << 20))
		rcvbuf = 64u << 20;
	if ((fd = kernel_monitor_open(d->k, rcvbuf)) == -1) {
		log_warn("table inet %s: cannot watch nftables events, "
		    "changes by others will not be repaired", d->table);
		return -1;
	}
	return fd;
}

/*
 * on_monitor: someone else changed the table (or events were lost):
 * put it back, timed from the moment the events were read.  Returns the
 * monitor's fd, or -1 when it failed for good.
 */
static int
on_monitor(struct iccd *d, int mfd)
{
	struct timespec t0;
	char cause[128], err[512];
	long us;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = kernel_monitor_read(d->k, cause, sizeof(cause));
	if (rc == 0)
		return mfd;
	if (rc < 0 && rc != -ENOBUFS) {
		log_warnx("table inet %s: reading nftables events: %s; changes "
		    "by others will no longer be repaired", d->table,
		    strerror(-rc));
		return -1;
	}
	if (rc == -ENOBUFS)
		log_warnx("table inet %s: nftables %s: resyncing", d->table,
		    cause);
	if (daemon_repair(d, cause, &t0, &us, err, sizeof(err)) != 0) {
		log_warnx("repair of table inet %s (%s) failed: %s", d->table,
		    cause, err);
		return mfd;
	}
	log_info("repaired table inet %s in %ld us (%s)", d->table, us, cause);
	return mfd;
}

/* The loop's own descriptors besides the control socket's. */
struct loopfds {
	int			 sfd;		/* signals */
	int			 mfd;		/* nftables events; -1: none */
	int			 lfd;		/* drop log; -1: none */
	struct httpmetrics	*http;		/* NULL: no --metrics-listen */
	int			 tfd;		/* the sysctl watch's timer */
	struct portwatch	*pw;		/* link events; NULL: none */
};

#define LOOP_FIXED	6

/*
 * Every SYSCTL_CHECK_MS iccd reads the br_netfilter sysctls it depends on
 * and puts them back when someone changed them: within a second, as
 * iccd(8) promises.  Meanwhile the bridge table's forward chain drops IP
 * traffic to and from bound ports (it lacks iccd's mark): fail closed.
 */
#define SYSCTL_CHECK_MS		500

static int
sysctl_timer_open(void)
{
	struct itimerspec its = {
		.it_interval = { 0, SYSCTL_CHECK_MS * 1000000L },
		.it_value = { 0, SYSCTL_CHECK_MS * 1000000L },
	};
	int fd;

	if ((fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1)
		fatal("timerfd_create");
	if (timerfd_settime(fd, 0, &its, NULL) == -1)
		fatal("timerfd_settime");
	return fd;
}

/* on_sysctl_timer: check the sysctls; failures are logged once a row. */
static void
on_sysctl_timer(struct iccd *d, int tfd)
{
	uint64_t ticks;
	char err[256];
	int rc;

	(void)read(tfd, &ticks, sizeof(ticks));
	if ((rc = kernel_bridge_nf_check(err, sizeof(err))) < 0) {
		if (!d->sysctl_failing)
			log_warnx("br_netfilter: %s; bound containers stay "
			    "cut off from each other until it is back", err);
		d->sysctl_failing = true;
		return;
	}
	d->sysctl_failing = false;
	if (rc == 0)
		return;
	d->sysctl_repairs += (unsigned long)rc;
	log_warnx("br_netfilter: someone turned off bridge-nf-call-iptables "
	    "or -ip6tables: set back to 1 (%d sysctl%s)", rc, rc > 1 ? "s" :
	    "");
}

/* on_drops: read the drop log; a broken socket ends it (logged). */
static int
on_drops(struct iccd *d, int lfd)
{
	int rc = ops_drops_read(d);

	if (rc >= 0)
		return lfd;
	log_warnx("drop log: %s; blocked connections are no longer logged",
	    strerror(-rc));
	return -1;
}

/* log_owned: say whether the table is owned, and why not. */
static void
log_owned(struct iccd *d)
{
	switch (kernel_owned(d->k)) {
	case 1:
		log_info("table inet %s is owned (owner + persist): no other "
		    "process can change it", d->table);
		break;
	case -1:
		log_warnx("table inet %s: the kernel refused the owner + "
		    "persist flags (Linux 6.9 or later has them): not owned, "
		    "changes by others are repaired", d->table);
		break;
	default:
		break;
	}
}

/*
 * drops_open: the drop log: bind log group `group` (-1: none), keep a
 * ring.  Returns the socket, or -1 (logged, and why in d->droplog_off
 * for iccctl log): iccd then runs without a drop log.
 */
static int
drops_open(struct iccd *d, int group)
{
	int fd;

	if (d->k == NULL || (fd = kernel_nflog_open(d->k)) == -1) {
		if (group < 0)
			return -1;
		if (errno == EPERM || errno == EBUSY) {
			snprintf(d->droplog_off, sizeof(d->droplog_off), "log "
			    "group %d is in use by another process", group);
			log_warnx("drop log: %s (another iccd?): blocked "
			    "connections will not be logged", d->droplog_off);
		} else {
			snprintf(d->droplog_off, sizeof(d->droplog_off), "log "
			    "group %d: %s", group, strerror(errno));
			log_warn("drop log: nfnetlink_log group %d: blocked "
			    "connections will not be logged", group);
		}
		return -1;
	}
	if ((d->droplog = droplog_new(DROPLOG_SIZE)) == NULL) {
		log_warn("drop log");
		return -1;
	}
	return fd;
}

static char *
render_metrics(void *arg)
{
	return metrics_text(arg);
}

/* on_port_gone: portwatch_read's callback, for an interface deleted. */
static void
on_port_gone(const char *ifname, void *arg)
{
	/* A new container's veth may have taken the name meanwhile. */
	if (!portwatch_exists(ifname, NULL))
		daemon_port_gone(arg, ifname);
}

/*
 * ports_open: follow the containers' ports (portlost.c): subscribe, then
 * stop the containers whose port went away while iccd was not listening.
 * NULL when rtnetlink refuses (logged): stops then rely on the runtimes.
 */
static struct portwatch *
ports_open(struct iccd *d)
{
	struct portwatch *pw = portwatch_open(1u << 20);

	if (pw == NULL) {
		log_warn("rtnetlink: cannot watch link events; containers "
		    "whose port goes away will not be stopped by iccd");
		return NULL;
	}
	daemon_ports_check(d, portwatch_exists, NULL);
	return pw;
}

/* on_ports: link events; a socket that fails is closed for good. */
static struct portwatch *
on_ports(struct iccd *d, struct portwatch *pw)
{
	int rc = portwatch_read(pw, on_port_gone, d);

	if (rc == 1) {
		log_warnx("rtnetlink: link events lost: checking every port");
		daemon_ports_check(d, portwatch_exists, NULL);
	} else if (rc == -1) {
		log_warn("rtnetlink: reading link events; containers whose "
		    "port goes away will no longer be stopped by iccd");
		portwatch_close(pw);
		return NULL;
	}
	return pw;
}

static void
main_loop(struct iccd *d, struct control *ctl, struct loopfds *lf)
{
	struct pollfd pfd[LOOP_FIXED + 1 + CONTROL_MAX_CLIENTS];
	size_t n;
	int ready, sfd = lf->sfd, mfd;

	for (;;) {
		mfd = lf->mfd;
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = mfd;		/* -1: poll skips it */
		pfd[1].events = POLLIN;
		pfd[2].fd = lf->lfd;
		pfd[2].events = POLLIN;
		pfd[3].fd = lf->http != NULL ? http_fd(lf->http) : -1;
		pfd[3].events = POLLIN;
		pfd[4].fd = lf->tfd;
		pfd[4].events = POLLIN;
		pfd[5].fd = lf->pw != NULL ? portwatch_fd(lf->pw) : -1;
		pfd[5].events = POLLIN;
		n = control_pollfds(ctl, pfd + LOOP_FIXED);
		d->metrics.clients = control_clients(ctl);
		/* While a compaction runs, wake up soon to reap it; while
		 * range garbage is queued, do not wait at all: a chunk
		 * follows every round. */
		ready = poll(pfd, n + LOOP_FIXED, daemon_after_replies_due(d) ||
		    (rangegc_busy(&d->gc) && !d->need_sync) ? 0 :
		    daemon_pending(d) ? 10 : 1000);
		if (ready == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if ((pfd[0].revents & POLLIN) && !on_signal(d, sfd))
			return;
		/* Before requests: they would fail on a broken table. */
		if (mfd != -1 && pfd[1].revents != 0)
			lf->mfd = on_monitor(d, mfd);
		if (lf->lfd != -1 && pfd[2].revents != 0)
			lf->lfd = on_drops(d, lf->lfd);
		if (pfd[4].revents & POLLIN)
			on_sysctl_timer(d, lf->tfd);
		/* Before requests too: a start may reuse a gone port's name,
		 * and on_port_gone then finds it there again. */
		if (lf->pw != NULL && pfd[5].revents != 0)
			lf->pw = on_ports(d, lf->pw);
		/* Every round: MHD's connection timeouts need the calls. */
		if (lf->http != NULL)
			http_run(lf->http);
		control_dispatch(ctl, pfd + LOOP_FIXED, n);
		/* The journal is compacted at a quiet moment, or at once
		 * when it has grown past its threshold. */
		if (ready == 0 || daemon_after_replies_due(d))
			daemon_after_replies(d);
		if (d->need_sync)
			resync(d, "a change could not be recorded, or a "
			    "range gc chunk was refused");
		/* One chunk of range garbage (rangegc.h), after the round's
		 * replies and durable write: never between a change and its
		 * takeback, and the clients polled again between two. */
		(void)rangegc_drain(d);
	}
}

/* round_end: control_on_round's function: the round's kernel
 * transaction, then its durable write. */
static void
round_end(void *arg)
{
	daemon_round(arg);
}

int
main(int argc, char **argv)
{
	struct options o = {
		.state_dir = ICC_STATE_DIR, .rules_dir = ICC_RULES_DIR,
		.table = ICC_TABLE, .level = LOG_LVL_INFO,
		.log_group = KERNEL_LOG_GROUP
	};
	static struct iccd d;
	struct loopfds lf = { -1, -1, -1, NULL, -1, NULL };
	struct sockaddr_storage ms;
	size_t mslen = 0;
	gid_t group;
	struct control *ctl;
	struct daemon_start st = { .main = daemon_clock_ns() };
	char err[512];

	log_init("iccd", 1, LOG_LVL_INFO);
	options_parse(argc, argv, &o);
	log_init("iccd", o.foreground, o.level);
	o.socket = ctl_socket_path(o.socket);
	if (geteuid() != 0)
		fatalx("must run as root (needs CAP_NET_ADMIN)");
	if (strlen(o.state_dir) >= 1000)
		fatalx("--state-dir: path too long");
	group = options_group(o.group);	/* bad input first: nothing touched */
	options_check_hosts_dirs(&o);
	if (o.metrics_listen != NULL && http_listen_parse(o.metrics_listen,
	    &ms, &mslen, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* Before the lock file is opened in it: a directory others may
	 * write is refused before root creates anything there. */
	if (state_init(o.state_dir, err, sizeof(err)) == -1)
		fatalx("--state-dir: %s", err);
	if (atexit(locks_unlink) != 0)
		fatalx("atexit");
	lock_or_die(o.state_dir, "lock", "--state-dir");
	lock_table_or_die(o.table);
	/* The socket and the listener before anything in the kernel: a
	 * start that fails on them leaves no table behind.  No request is
	 * read before the main loop. */
	if ((ctl = control_open(o.socket, group, handle, &d)) == NULL)
		fatal("--socket: %s", o.socket);
	/* Group commit: the requests of one round share one durable write,
	 * made before any of their replies goes out (d.group_commit is set
	 * once daemon_init has made d). */
	control_on_round(ctl, round_end, &d);
	locks_own_socket(o.socket);
	/* Before daemon(3): a port in use is said on the terminal.  No
	 * thread: the epoll descriptor survives the fork as it is. */
	if (o.metrics_listen != NULL && (lf.http = http_open(&ms, mslen,
	    render_metrics, &d, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (kernel_bridge_nf(err, sizeof(err)) != 0)
		fatalx("%s", err);
	st.init = daemon_clock_ns();
	/* The kernel options first: a cold start may load the table from
	 * the element cache while the state is read. */
	if (daemon_init_kernel(&d, o.table, o.state_dir, o.rules_dir,
	    o.hosts_dirs, o.nhosts_dirs, o.icc, &(struct daemon_kopts){
	    o.log_group, !o.no_own_table }, err, sizeof(err)) == -1)
		fatalx("table inet %s: %s", o.table, err);
	if ((lf.sfd = signals_block()) == -1)
		fatal("signalfd");
	d.write_group = group != (gid_t)-1;
	d.gc.chunk_max = o.gc_chunk_max;
	d.group_commit = true;
	lf.lfd = drops_open(&d, o.log_group);
	/* The sync first, then the monitor: while a monitor listens, the
	 * kernel builds an event per element of the load (kernel.h).  A
	 * change by anyone in between moved the ruleset's generation: then
	 * the sync is done again (with the monitor listening). */
	st.sync = daemon_clock_ns();
	if (daemon_start_sync(&d, err, sizeof(err)) != 0)
		fatalx("table inet %s: %s", o.table, err);
	st.monitor = daemon_clock_ns();
	if ((lf.mfd = monitor_open(&d)) != -1 &&
	    kernel_moved_since_sync(d.k) != 0) {
		log_info("table inet %s: the ruleset changed during the start: "
		    "syncing again", o.table);
		if (daemon_sync(&d, err, sizeof(err)) != 0)
			fatalx("table inet %s: %s", o.table, err);
	}
	st.done = daemon_clock_ns();
	daemon_log_loaded(&d, &st);
	log_owned(&d);
	lf.pw = ports_open(&d);
	if (!o.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	log_info("listening on %s, table inet %s, icc %s by default", o.socket,
	    o.table, o.icc ? "on" : "off");
#ifdef HAVE_LIBSYSTEMD
	/* Type=notify: ready only now that the table matches the state. */
	sd_notify(0, "READY=1");
#endif
	lf.tfd = sysctl_timer_open();
	main_loop(&d, ctl, &lf);
	portwatch_close(lf.pw);
	http_close(lf.http);
	control_close(ctl);
	droplog_free(d.droplog);
	daemon_free(&d);
	free(o.hosts_dirs);
	return 0;	/* locks_unlink removes the lock files */
}
