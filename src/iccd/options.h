/*
 * options.h: iccd's command line (getopt_long), checked before anything
 * is touched: a bad option or value exits with status 2 (usage) or 1 and
 * a one-line error naming the option (fatalx).  See iccd(8).
 */
#ifndef ICCD_OPTIONS_H
#define ICCD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "log.h"

struct options {
	bool		 foreground;
	const char	*socket;
	const char	*state_dir;
	const char	*rules_dir;
	const char	*table;
	const char	*group;
	char		**hosts_dirs;	/* --hosts-dir, repeatable */
	size_t		 nhosts_dirs;
	int		 icc;
	enum log_level	 level;
	const char	*metrics_listen;	/* ADDR:PORT or NULL */
	int		 log_group;		/* -1: no drop log */
	bool		 no_own_table;		/* --no-own-table */
	size_t		 gc_chunk_max;		/* --gc-chunk-max, 0: none */
};

/* options_parse: argv into *o (its strings point into argv).  Exits on
 * bad input. */
void options_parse(int argc, char **argv, struct options *o);

/* options_group: the gid of --group NAME; (gid_t)-1 without one.  Exits
 * when there is no such group. */
gid_t options_group(const char *name);

/* options_check_hosts_dirs: every --hosts-dir is an existing directory
 * iccd may write hosts files beneath (hostswrite.h); exits otherwise. */
void options_check_hosts_dirs(const struct options *o);

#endif
