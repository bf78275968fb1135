/*
 * iccctl.h: what the files of iccctl share: iccctl.c (main, the
 * commands that change state, list and status), ops.c (check, metrics,
 * log) and dot.c (list --dot).
 */
#ifndef ICCCTL_H
#define ICCCTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* die's exit status: 1, or 2 for check (whose 1 means "not allowed"). */
extern int die_status;

/* die: "iccctl: " and one line on stderr, exit die_status. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

/* bad_option: the one line for an option getopt_long refused; dies. */
void bad_option(char **argv) __attribute__((noreturn));

/*
 * call: check req as iccd will, send it and return iccd's successful
 * reply (the caller json_decref's it); else die with one line.  Takes
 * req (NULL: out of memory).
 */
json_t *call(json_t *req);

/* print_json: v indented, keys sorted, on stdout. */
void print_json(const json_t *v);

/* The commands of ops.c: each returns main's exit status. */
int cmd_check(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_log(int argc, char **argv);

/*
 * print_dot: a `list` reply as a Graphviz digraph on stdout (dot.c).
 * Returns 0, or -1 with one line in err naming the bad field.
 */
int print_dot(const json_t *rep, char *err, size_t len);

#endif
