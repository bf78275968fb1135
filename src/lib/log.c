/* log.c: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_procname = "iccd";
static int log_foreground = 1;
static enum log_level log_max = LOG_LVL_INFO;

void
log_init(const char *progname, int foreground, enum log_level level)
{
	log_procname = progname;
	log_foreground = foreground;
	log_max = level;
	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_parse_level(const char *s, enum log_level *out)
{
	static const char *names[] = { "err", "warn", "info", "debug" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

static void
vlog(enum log_level lvl, const char *fmt, va_list ap, const char *suffix)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024];

	if (lvl > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		if (suffix)
			fprintf(stderr, "%s: %s: %s\n", log_procname, msg, suffix);
		else
			fprintf(stderr, "%s: %s\n", log_procname, msg);
		fflush(stderr);
	} else if (suffix)
		syslog(prio[lvl], "%s: %s", msg, suffix);
	else
		syslog(prio[lvl], "%s", msg);
}

#define LOG_BODY(lvl, suffix) do {		\
	va_list ap;				\
	va_start(ap, fmt);			\
	vlog(lvl, fmt, ap, suffix);		\
	va_end(ap);				\
} while (0)

void log_warn(const char *fmt, ...)  { const char *e = strerror(errno); LOG_BODY(LOG_LVL_WARN, e); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LVL_WARN, NULL); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LVL_INFO, NULL); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LVL_DEBUG, NULL); }

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_LVL_ERR, e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, NULL);
	exit(1);
}
