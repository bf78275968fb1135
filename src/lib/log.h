/*
 * log.h: logging for iccd and iccctl, after OpenBSD's log.c.
 *
 * Messages go to stderr when running in the foreground (or from iccctl) and
 * to syslog(3) otherwise.  Functions ending in _warn append strerror(errno).
 * fatal()/fatalx() log and exit(1); they never return.
 */
#ifndef ICCD_LOG_H
#define ICCD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/*
 * log_init: set where messages go and the most verbose level shown.
 * foreground: non-zero logs to stderr, zero to syslog with ident `progname`.
 * May be called again at any time (tests call it to reset).
 */
void log_init(const char *progname, int foreground, enum log_level level);

/*
 * log_parse_level: "err", "warn", "info" or "debug" to *out.
 * Returns 0, or -1 (errno EINVAL) for any other string.
 */
int log_parse_level(const char *s, enum log_level *out);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
