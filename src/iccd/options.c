/* options.c: see options.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostswrite.h"
#include "log.h"
#include "options.h"
#include "parse.h"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: iccd [--foreground] [--socket PATH] [--state-dir DIR] "
	    "[--rules-dir DIR]\n"
	    "            [--table NAME] [--icc on|off] [--group NAME] "
	    "[--hosts-dir DIR]...\n"
	    "            [--log-level LEVEL] [--metrics-listen ADDR:PORT] "
	    "[--log-group N|none]\n"
	    "            [--no-own-table] [--gc-chunk-max N]\n");
	exit(status);
}

/* log_group_arg: --log-group N (0-65535) or "none". */
static int
log_group_arg(const char *s)
{
	char *end;
	long v;

	if (strcmp(s, "none") == 0)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 65535)
		fatalx("--log-group: expected a group from 0 to 65535 or "
		    "\"none\"");
	return (int)v;
}

/* chunk_max_arg: --gc-chunk-max N, 1 to 1000000 range elements. */
static size_t
chunk_max_arg(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 1000000)
		fatalx("--gc-chunk-max: expected a number from 1 to 1000000");
	return (size_t)v;
}

/*
 * table_name_ok: a name nft(8) can write without quotes: a letter, then
 * letters, digits or underscores, 1 to 63 bytes (the kernel's limit).
 */
static bool
table_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !((*s >= 'a' && *s <= 'z') ||
	    (*s >= 'A' && *s <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_") == n;
}

void
options_parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "rules-dir", required_argument, NULL, 'r' },
		{ "table", required_argument, NULL, 't' },
		{ "icc", required_argument, NULL, 'i' },
		{ "group", required_argument, NULL, 'g' },
		{ "hosts-dir", required_argument, NULL, 'H' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "log-group", required_argument, NULL, 'G' },
		{ "no-own-table", no_argument, NULL, 'O' },
		{ "gc-chunk-max", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *why;
	int ch;

	while ((ch = getopt_long(argc, argv, "fs:d:r:t:i:g:H:l:M:G:OC:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f': o->foreground = true; break;
		case 's': o->socket = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case 'r': o->rules_dir = optarg; break;
		case 't': o->table = optarg; break;
		case 'g': o->group = optarg; break;
		case 'M': o->metrics_listen = optarg; break;
		case 'O': o->no_own_table = true; break;
		case 'G': o->log_group = log_group_arg(optarg); break;
		case 'C': o->gc_chunk_max = chunk_max_arg(optarg); break;
		case 'H':
			o->hosts_dirs = reallocarray(o->hosts_dirs,
			    o->nhosts_dirs + 1, sizeof(*o->hosts_dirs));
			if (o->hosts_dirs == NULL)
				fatal("--hosts-dir");
			o->hosts_dirs[o->nhosts_dirs++] = optarg;
			break;
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
	if (!table_name_ok(o->table))
		fatalx("--table: expected a letter, then letters, digits or "
		    "_ (63 at most)");
}

gid_t
options_group(const char *name)
{
	struct group *gr;

	if (name == NULL)
		return (gid_t)-1;
	if ((gr = getgrnam(name)) == NULL)
		fatalx("--group: no group \"%s\"", name);
	return gr->gr_gid;
}

void
options_check_hosts_dirs(const struct options *o)
{
	struct hostsdirs hd = { 0 };
	char err[512];

	for (size_t i = 0; i < o->nhosts_dirs; i++)
		if (hostsdirs_add(&hd, o->hosts_dirs[i], err,
		    sizeof(err)) == -1)
			fatalx("%s", err);
	hostsdirs_free(&hd);
}
