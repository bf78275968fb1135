/*
 * ops.c: iccctl's commands for operators: check (would a connection pass,
 * and why), metrics (Prometheus text) and log (blocked connections).
 * See iccctl(8).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iccctl.h"
#include "msg.h"

/* How often log --follow asks iccd for new entries. */
#define FOLLOW_INTERVAL_MS	500

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* opt_json: parse [--json] (and [--follow] when follow is not NULL). */
static bool
opt_json(int argc, char **argv, bool *follow)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'f' && follow != NULL)
			*follow = true;
		else
			bad_option(argv);
	}
	return json;
}

/*
 * check FROM TO PORT[/PROTO]: exit 0 when allowed, 1 when not, 2 when
 * there is no answer (bad input, unknown container, iccd unreachable).
 * With a disagreement the exit status is the kernel's answer, which is
 * what the traffic meets.
 */
int
cmd_check(int argc, char **argv)
{
	json_t *req, *rep;
	bool json, allowed;

	die_status = 2;
	json = opt_json(argc, argv, NULL);
	if (argc - optind != 3)
		die("check: expected FROM TO PORT[/PROTO]");
	if ((req = msg_request("check", NULL)) == NULL)
		die("out of memory");
	json_object_set_new(req, "from", json_string(argv[optind]));
	json_object_set_new(req, "to", json_string(argv[optind + 1]));
	json_object_set_new(req, "port", json_string(argv[optind + 2]));
	rep = call(req);
	allowed = json_is_true(json_object_get(rep, "allowed"));
	json_object_del(rep, "ok");
	if (json)
		print_json(rep);
	else if (json_is_true(json_object_get(rep, "agree")))
		printf("%s: %s\n", allowed ? "allowed" : "blocked",
		    jstr(rep, "line"));
	else
		printf("%s by the kernel, against the model: %s\n%s\n",
		    allowed ? "allowed" : "blocked", jstr(rep, "line"),
		    jstr(rep, "disagreement"));
	json_decref(rep);
	return allowed ? 0 : 1;
}

int
cmd_metrics(int argc, char **argv)
{
	json_t *rep;

	if (getopt_long(argc, argv, "", (struct option[]){ { 0 } }, NULL) != -1)
		bad_option(argv);
	if (optind != argc)
		die("unexpected argument \"%s\"", argv[optind]);
	rep = call(msg_request("metrics", NULL));
	fputs(jstr(rep, "text"), stdout);
	json_decref(rep);
	return 0;
}

static void
print_entry(const json_t *e, bool json)
{
	json_int_t n;
	char *s;

	if (json) {
		if ((s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
			die("out of memory");
		puts(s);
		free(s);
		return;
	}
	printf("%s %s %s %s -> %s %s %s/%lld blocked: %s", jstr(e, "time"),
	    jstr(e, "bridge"), jstr(e, "from"), jstr(e, "from_addr"),
	    jstr(e, "to"), jstr(e, "to_addr"), jstr(e, "proto"),
	    (long long)json_integer_value(json_object_get(e, "port")),
	    jstr(e, "reason"));
	/* Retransmits of a blocked connection count in its entry. */
	n = json_integer_value(json_object_get(e, "packets"));
	if (n > 1)
		printf(" (%lld packets)", (long long)n);
	putchar('\n');
}

/* log_once: the entries after *seq; *seq becomes the last one's. */
static void
log_once(json_int_t *seq, bool json, bool whole)
{
	json_t *req, *rep, *e, *arr = json_array();
	char off[160];
	size_t i;

	if ((req = msg_request("log", NULL)) == NULL || arr == NULL)
		die("out of memory");
	json_object_set_new(req, "after", json_integer(*seq));
	rep = call(req);
	if (json_is_false(json_object_get(rep, "enabled"))) {
		snprintf(off, sizeof(off), "%s", jstr(rep, "off"));
		json_decref(rep);
		json_decref(arr);
		die("iccd's drop log is off (%s)", off[0] ? off :
		    "--log-group none");
	}
	json_array_foreach(json_object_get(rep, "entries"), i, e) {
		if (json && whole)
			json_array_append(arr, e);
		else
			print_entry(e, json);
		*seq = json_integer_value(json_object_get(e, "seq"));
	}
	if (json && whole)
		print_json(arr);
	json_decref(arr);
	json_decref(rep);
	fflush(stdout);
}

/*
 * log [--follow] [--json]: the blocked connections iccd remembers;
 * --follow then asks for new ones every FOLLOW_INTERVAL_MS (one short
 * request each time: iccd keeps no follower open), --json prints one
 * object per line when following, an array otherwise.
 */
int
cmd_log(int argc, char **argv)
{
	struct timespec ts = { 0, FOLLOW_INTERVAL_MS * 1000000L };
	json_int_t seq = 0;
	bool follow = false, json;

	json = opt_json(argc, argv, &follow);
	if (optind != argc)
		die("unexpected argument \"%s\"", argv[optind]);
	log_once(&seq, json, !follow);
	while (follow) {
		nanosleep(&ts, NULL);
		log_once(&seq, json, false);
	}
	return 0;
}
