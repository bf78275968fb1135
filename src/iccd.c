/*
 * iccd: the inter-container-communication firewall daemon.  Listens on
 * the control socket, keeps the model, and programs its nftables table.
 * See iccd(8).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "parse.h"
#include "proto.h"

struct options {
	bool		 foreground;
	const char	*socket;
	const char	*state_dir;
	const char	*table;
	const char	*group;
	int		 icc;
	enum log_level	 level;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: iccd [--foreground] [--socket PATH] [--state-dir DIR] "
	    "[--table NAME]\n"
	    "            [--icc on|off] [--group NAME] [--log-level LEVEL]\n");
	exit(status);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "table", required_argument, NULL, 't' },
		{ "icc", required_argument, NULL, 'i' },
		{ "group", required_argument, NULL, 'g' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *why;
	int ch;

	while ((ch = getopt_long(argc, argv, "fs:d:t:i:g:l:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f': o->foreground = true; break;
		case 's': o->socket = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case 't': o->table = optarg; break;
		case 'g': o->group = optarg; break;
		case 'i':
			if (parse_icc(optarg, &o->icc, &why) == -1)
				fatalx("--icc: %s", why);
			break;
		case 'l':
			if (log_parse_level(optarg, &o->level) == -1)
				fatalx("--log-level: expected err, warn, info "
				    "or debug");
			break;
		case 'V':
			printf("iccd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (strlen(o->table) == 0 || strlen(o->table) > 63)
		fatalx("--table: must be 1 to 63 bytes");
}

static gid_t
lookup_group(const char *name)
{
	struct group *gr;

	if (name == NULL)
		return (gid_t)-1;
	if ((gr = getgrnam(name)) == NULL)
		fatalx("--group: no group \"%s\"", name);
	return gr->gr_gid;
}

static json_t *
handle(const json_t *req, bool may_write, void *arg)
{
	return daemon_handle(arg, req, may_write);
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
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* on_signal: returns false when iccd must exit. */
static bool
on_signal(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			log_info("SIGHUP: nothing to reload yet");
		else {
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

static void
main_loop(struct iccd *d, struct control *ctl, int sfd)
{
	struct pollfd pfd[2 + CONTROL_MAX_CLIENTS];
	size_t n;

	for (;;) {
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		n = control_pollfds(ctl, pfd + 1);
		if (poll(pfd, n + 1, 1000) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if ((pfd[0].revents & POLLIN) && !on_signal(sfd))
			return;
		control_dispatch(ctl, pfd + 1, n);
		if (d->need_sync)
			resync(d, "a change could not be recorded");
	}
}

int
main(int argc, char **argv)
{
	struct options o = { false, NULL, ICC_STATE_DIR, ICC_TABLE, NULL, 0,
	    LOG_LVL_INFO };
	static struct iccd d;
	struct control *ctl;
	char err[512];
	int sfd;

	log_init("iccd", 1, LOG_LVL_INFO);
	parse_options(argc, argv, &o);
	log_init("iccd", o.foreground, o.level);
	o.socket = ctl_socket_path(o.socket);
	if (geteuid() != 0)
		fatalx("must run as root (needs CAP_NET_ADMIN)");
	if (strlen(o.state_dir) >= 1000)
		fatalx("--state-dir: path too long");
	if (kernel_bridge_nf(err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (daemon_init(&d, o.table, o.state_dir, o.icc, err, sizeof(err)) == -1)
		fatalx("table inet %s: %s", o.table, err);
	if ((sfd = signals_block()) == -1)
		fatal("signalfd");
	if ((ctl = control_open(o.socket, lookup_group(o.group), handle,
	    &d)) == NULL)
		fatal("--socket: %s", o.socket);
	if (!o.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	log_info("listening on %s, table inet %s, icc %s by default", o.socket,
	    o.table, o.icc ? "on" : "off");
#ifdef HAVE_LIBSYSTEMD
	/* Type=notify: ready only now that the table matches the state. */
	sd_notify(0, "READY=1");
#endif
	main_loop(&d, ctl, sfd);
	control_close(ctl);
	daemon_free(&d);
	return 0;
}
