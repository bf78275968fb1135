/*
 * tool.h: what the test tools (icc-probe, icc-rawctl, icc-sctp,
 * icc-cnirun) share.  Each tool defines tool_prog, its name in messages.
 */
#ifndef ICC_TOOL_H
#define ICC_TOOL_H

/* Bad usage, or a local failure: a broken test, never a network outcome. */
#define EXIT_USAGE	2

extern const char tool_prog[];

/* die_usage: "PROG: " and the message on stderr, then exit EXIT_USAGE. */
_Noreturn void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* now_ms: CLOCK_MONOTONIC in milliseconds. */
long now_ms(void);

#endif
