/*
 * icc-docker: follow a Docker Engine and declare its containers to iccd.
 *
 *   icc-docker [--docker-host unix:///PATH] [--socket PATH]
 *
 * At start, and whenever the connection to the engine or to iccd is
 * lost and found again, it reconciles iccd with the engine's containers
 * (docker_sync.h), so that events missed meanwhile are not lost; in
 * between it follows the engine's event stream, and each event about a
 * container brings that container up to date in iccd.  Lost connections
 * are retried with a backoff of 1 s doubling to BACKOFF_MAX.
 *
 * The engine: --docker-host, else $DOCKER_HOST, else /var/run/docker.sock
 * (unix sockets only).  iccd: --socket, else $ICCD_SOCKET, else iccd's
 * default socket.  Logs go to stderr (a service manager keeps them).
 * SIGTERM or SIGINT ends it; it changes nothing on the way out: iccd's
 * declarations stay as they are, and the next start reconciles them.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "docker_api.h"
#include "docker_sync.h"
#include "log.h"
#include "proto.h"

#define BACKOFF_MAX	30	/* seconds between two attempts, at most */
#define STABLE		60	/* a stream that lasted this long resets it */
#define ERRLEN		1024

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	quit = 1;
}

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: icc-docker [--docker-host unix:///PATH] [--socket PATH]\n"
"  [--log-level err|warn|info|debug]\n");
	exit(status);
}

/* pause_for: sleep s seconds unless a signal asks to quit. */
static void
pause_for(int s)
{
	struct timespec ts = { .tv_sec = s };

	while (!quit && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * follow: one round: reconcile, then follow events until the stream
 * ends.  Returns how long the stream lasted (seconds), or -1 when the
 * round failed at once.
 */
static long
follow(struct dk_ctx *x, const json_t *filters)
{
	char err[ERRLEN];
	time_t since, t0;
	int rv;

	/* Events from one second before the listing on: those that change
	 * what reconcile saw are replayed, and replaying is harmless. */
	since = time(NULL) - 1;
	if (dk_reconcile(x, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("reconciled iccd with docker at %s; following events",
	    x->api.sock);
	t0 = time(NULL);
	rv = dk_events(&x->api, (long)since, filters, dk_event, x, &quit, err,
	    sizeof(err));
	if (quit)
		return 0;
	if (rv == -1)
		log_warnx("%s", err);
	else
		log_warnx("docker %s: the event stream ended", x->api.sock);
	return (long)(time(NULL) - t0);
}

static void
run(struct dk_ctx *x)
{
	json_t *filters = dk_event_filters();
	int backoff = 1;
	long lasted;

	if (filters == NULL)
		fatalx("out of memory");
	while (!quit) {
		lasted = follow(x, filters);
		if (quit)
			break;
		if (lasted >= STABLE)
			backoff = 1;
		log_info("retrying in %d s", backoff);
		pause_for(backoff);
		if (backoff < BACKOFF_MAX)
			backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX :
			    backoff * 2;
	}
	json_decref(filters);
}

static void
signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: sleeps end early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "docker-host", required_argument, NULL, 'H' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *host = NULL, *sock = NULL;
	enum log_level level = LOG_LVL_INFO;
	char path[PATH_MAX], err[ERRLEN];
	struct dk_ctx x;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'H': host = optarg; break;
		case 's': sock = optarg; break;
		case 'l':
			if (log_parse_level(optarg, &level) == -1) {
				fprintf(stderr, "icc-docker: --log-level: \"%s\": want "
				    "err, warn, info or debug\n", optarg);
				return 1;
			}
			break;
		case 'h': usage(0);
		case 'V': printf("icc-docker %s\n", PACKAGE_VERSION); return 0;
		default:
			fprintf(stderr, "icc-docker: unknown option or missing value "
			    "\"%s\" (see icc-docker --help)\n", argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "icc-docker: unexpected argument \"%s\"\n",
		    argv[optind]);
		return 1;
	}
	log_init("icc-docker", 1, level);
	if (dk_host_socket(host, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "icc-docker: %s\n", err);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
		fatalx("curl_global_init failed");
	memset(&x, 0, sizeof(x));
	x.iccd = ctl_socket_path(sock);
	if (dk_api_open(&x.api, path, err, sizeof(err)) == -1)
		fatalx("%s", err);
	signals();
	log_info("docker %s, iccd %s", x.api.sock, x.iccd);
	run(&x);
	dk_api_close(&x.api);
	curl_global_cleanup();
	log_info("exiting");
	return 0;
}
