/*
 * benchutil.h: what the benchmark's programs (bench_client, bench_floor)
 * share.  Each defines bench_prog, its name in messages.
 */
#ifndef ICC_BENCHUTIL_H
#define ICC_BENCHUTIL_H

extern const char bench_prog[];

/* die: "PROG: " and the message on stderr, then exit 1. */
void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
long long now_ns(void);
/* number: s as a decimal in [min, max], or die naming `what`. */
long number(const char *what, const char *s, long min, long max);
/* cmp_ll: qsort(3) order of long longs, ascending. */
int cmp_ll(const void *a, const void *b);

#endif
