/*
 * state_load.c: reading the state directory at start: every container's
 * file (parsed by two threads when there are many), then the journal's
 * records over them (journal.old, then journal), then the takeovers a
 * crash left written half-way (state.h).
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap.h"
#include "journal.h"
#include "log.h"
#include "state_int.h"
#include "util.h"

static int
cmp_loaded(const void *a, const void *b)
{
	const struct loaded *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * A start reads one file per container (2,600 at 100,000 elements) and
 * parses each (JSON, then the start request's checks): pure work, split
 * between two threads when there are many.  Each takes every other file
 * and stops at its first failure; the lowest failing index is reported,
 * so the error is the same whatever the timing.
 */
#define PARSE_THREADS		2
#define PARSE_MIN_FILES		512	/* fewer: one thread */

struct parse_job {
	const char		*sub;		/* dir/c */
	const struct strvec	*names;
	struct loaded		*v;		/* names->n entries */
	size_t			 first;
	size_t			 bad;		/* first failure, or SIZE_MAX */
	char			 err[512];
};

/* parse_one: sub/name into *l; 0 or -1 with a line in err. */
static int
parse_one(const char *sub, const char *name, struct loaded *l, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	json_t *o;
	int rv;

	snprintf(path, sizeof(path), "%s/%s", sub, name);
	if ((o = load_file(path, err, errlen)) == NULL)
		return -1;
	if (check_types(path, o, err, errlen) == -1) {
		json_decref(o);
		return -1;
	}
	l->seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
	l->hosts = json_incref(json_object_get(o, "hosts"));
	rv = load_container(path, name, o, &l->c, err, errlen);
	json_decref(o);
	if (rv == -1) {
		json_decref(l->hosts);
		l->hosts = NULL;
	}
	return rv;
}

static void *
parse_run(void *arg)
{
	struct parse_job *j = arg;

	for (size_t i = j->first; i < j->names->n; i += PARSE_THREADS)
		if (parse_one(j->sub, j->names->v[i], &j->v[i], j->err,
		    sizeof(j->err)) == -1) {
			j->bad = i;
			break;
		}
	return NULL;
}

/* list_state_files: the names of dir sub's state files. */
static int
list_state_files(const char *sub, struct strvec *names, char *err,
    size_t errlen)
{
	struct dirent *de;
	DIR *dp;
	int rv = 0;

	if ((dp = opendir(sub)) == NULL)
		return errf(err, errlen, errno, "%s: %s", sub,
		    strerror(errno));
	while (rv == 0 && (de = readdir(dp)) != NULL) {
		if (is_temp_file(de->d_name))
			unlinkat(dirfd(dp), de->d_name, 0);	/* a crash's */
		if (is_state_file(de->d_name) &&	/* not ".", "..", nor */
		    strvec_push(names, de->d_name) == -1) /* temp files */
			rv = errf(err, errlen, ENOMEM, "out of memory");
	}
	closedir(dp);
	return rv;
}

/* read_containers: every c/NAME.json into *out (n entries). */
static int
read_containers(const char *dir, unsigned threads, struct loaded **out,
    size_t *n, char *err, size_t errlen)
{
	struct parse_job job[PARSE_THREADS];
	struct strvec names = { 0 };
	char sub[PATH_MAX];
	struct loaded *v;
	pthread_t th;
	bool threaded = false;
	size_t bad = SIZE_MAX, k;

	*out = NULL;
	*n = 0;
	snprintf(sub, sizeof(sub), "%s/c", dir);
	if (list_state_files(sub, &names, err, errlen) == -1) {
		strvec_free(&names);
		return -1;
	}
	if ((v = calloc(names.n + 1, sizeof(*v))) == NULL) {
		strvec_free(&names);
		return errf(err, errlen, ENOMEM, "out of memory");
	}
	for (k = 0; k < PARSE_THREADS; k++)
		job[k] = (struct parse_job){ sub, &names, v, k, SIZE_MAX, "" };
	/* jansson seeds its hash function on the first object: not in two
	 * threads at once. */
	json_decref(json_object());
	if (threads > 1 && names.n >= PARSE_MIN_FILES)
		threaded = pthread_create(&th, NULL, parse_run, &job[1]) == 0;
	parse_run(&job[0]);
	if (threaded)
		pthread_join(th, NULL);
	else
		for (k = 1; k < PARSE_THREADS; k++)
			parse_run(&job[k]);
	for (k = 0; k < PARSE_THREADS; k++)
		if (job[k].bad < bad) {
			bad = job[k].bad;
			snprintf(err, errlen, "%s", job[k].err);
		}
	if (bad != SIZE_MAX) {
		for (size_t i = 0; i < names.n; i++) {
			container_free(v[i].c);
			json_decref(v[i].hosts);
		}
		free(v);
		strvec_free(&names);
		return -1;
	}
	*out = v;
	*n = names.n;
	strvec_free(&names);
	return 0;
}

/* ---- the journal, replayed over the files -------------------------------- */

/* What state_load gathered: the files, then the journals' records. */
struct gathered {
	struct loaded	*v;		/* c NULL: removed by a record */
	size_t		 n;
	struct hmap	 byname;	/* name -> index + 1 into v */
	json_t		*bridges;	/* the last journaled list, or NULL */
	char		 bwhere[PATH_MAX + 32];
	const char	*path;		/* the journal being read */
	long		 rec;		/* its record being read, from 1 */
	char		 where[PATH_MAX + 32];	/* both, for errors */
	char		*err;
	size_t		 errlen;
};

static int
gathered_index(struct gathered *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].c != NULL && hmap_put(&g->byname, g->v[i].c->name,
		    (void *)(uintptr_t)(i + 1)) == -1)
			return errf(g->err, g->errlen, ENOMEM, "out of memory");
	return 0;
}

/* gathered_slot: name's entry, emptied, or a new one; NULL/ENOMEM. */
static struct loaded *
gathered_slot(struct gathered *g, const char *name)
{
	uintptr_t i = (uintptr_t)hmap_get(&g->byname, name);
	struct loaded *nv;

	if (i != 0) {
		container_free(g->v[i - 1].c);
		json_decref(g->v[i - 1].hosts);
		memset(&g->v[i - 1], 0, sizeof(g->v[0]));
		return &g->v[i - 1];
	}
	if ((nv = realloc(g->v, (g->n + 1) * sizeof(*nv))) == NULL)
		return NULL;
	g->v = nv;
	if (hmap_put(&g->byname, name, (void *)(uintptr_t)(g->n + 1)) == -1)
		return NULL;
	memset(&g->v[g->n], 0, sizeof(g->v[0]));
	return &g->v[g->n++];
}

/* replay_container: a journaled c/NAME.json object (o, taken). */
static int
replay_container(struct gathered *g, json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	char fname[ICC_NAME_MAX + 8];
	struct icc_container *c;
	struct loaded *l;
	uint64_t seq;
	json_t *hosts;

	if (name == NULL || strlen(name) > ICC_NAME_MAX) {
		json_decref(o);
		return errf(g->err, g->errlen, EINVAL, "%s: bad container name",
		    g->where);
	}
	snprintf(fname, sizeof(fname), "%s.json", name);
	if (check_types(g->where, o, g->err, g->errlen) == -1) {
		json_decref(o);
		return -1;
	}
	seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
	hosts = json_incref(json_object_get(o, "hosts"));
	if (load_container(g->where, fname, o, &c, g->err, g->errlen) == -1) {
		json_decref(hosts);
		json_decref(o);
		return -1;
	}
	json_decref(o);
	if ((l = gathered_slot(g, c->name)) == NULL) {
		container_free(c);
		json_decref(hosts);
		return errf(g->err, g->errlen, ENOMEM, "out of memory");
	}
	l->c = c;
	l->seq = seq;
	l->hosts = hosts;
	return 0;
}

/* replay_cb: one journal record (journal_read's callback). */
static int
replay_cb(const void *payload, size_t len, void *arg)
{
	struct gathered *g = arg;
	json_error_t jerr;
	const char *rm;
	json_t *r, *v;
	int rv = 0;

	snprintf(g->where, sizeof(g->where), "%s, record %ld", g->path,
	    ++g->rec);
	if ((r = json_loadb(payload, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL || !json_is_object(r)) {
		json_decref(r);
		return errf(g->err, g->errlen, EINVAL, "%s: not a JSON object",
		    g->where);
	}
	if ((v = json_object_get(r, "c")) != NULL && json_is_object(v))
		rv = replay_container(g, json_deep_copy(v));
	else if ((rm = json_string_value(json_object_get(r, "rm"))) != NULL) {
		uintptr_t i = (uintptr_t)hmap_get(&g->byname, rm);

		if (i != 0) {
			container_free(g->v[i - 1].c);
			json_decref(g->v[i - 1].hosts);
			g->v[i - 1].c = NULL;
			g->v[i - 1].hosts = NULL;
			hmap_del(&g->byname, rm);
		}
	} else if ((v = json_object_get(r, "bridges")) != NULL &&
	    json_is_object(v)) {
		json_decref(g->bridges);
		g->bridges = json_incref(v);
		snprintf(g->bwhere, sizeof(g->bwhere), "%s", g->where);
	} else
		rv = errf(g->err, g->errlen, EINVAL, "%s: unknown record",
		    g->where);
	json_decref(r);
	return rv;
}

/* replay: the journal at dir/name, if any, over g. */
static int
replay(const char *dir, const char *name, struct gathered *g)
{
	char path[PATH_MAX];
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	g->path = path;
	g->rec = 0;
	if ((n = journal_read(path, replay_cb, g, NULL)) == -1)
		return errf(g->err, g->errlen, errno, "%s: %s", path,
		    strerror(errno));
	return n < 0 ? -1 : 0;
}

/* stop_holder: h (loaded earlier) holds an address c claims: h lost it. */
static void
stop_holder(struct icc_model *m, const struct icc_container *h,
    const struct icc_container *c)
{
	if (h == NULL || strcmp(h->name, c->name) == 0)
		return;
	log_warnx("state: %s and %s both claim an address on %s; %s "
	    "(written later) keeps it", h->name, c->name, c->bridge, c->name);
	model_set_running(m, h->name, false);
}

/*
 * stop_claimed: containers loaded earlier (lower seq) that still hold one
 * of c's addresses lost it in a takeover that was written half-way.  The
 * IPv4 and the IPv6 address may have had two different holders: both
 * lose (a holder of both is stopped once, and then holds neither).
 */
static void
stop_claimed(struct icc_model *m, const struct icc_container *c)
{
	if (!c->running)
		return;
	stop_holder(m, model_holder4(m, c->bridge, c->ip4), c);
	if (c->has_ip6)
		stop_holder(m, model_holder6(m, c->bridge, &c->ip6), c);
}

int
state_load(const char *dir, struct icc_model *m, uint64_t *seq,
    void (*hosts_fn)(const char *name, const json_t *hosts, void *arg),
    void *arg, char *err, size_t errlen)
{
	return state_load_with(dir, m, seq, hosts_fn, arg, PARSE_THREADS, err,
	    errlen);
}

int
state_load_with(const char *dir, struct icc_model *m, uint64_t *seq,
    void (*hosts_fn)(const char *name, const json_t *hosts, void *arg),
    void *arg, unsigned threads, char *err, size_t errlen)
{
	struct gathered g = { .err = err, .errlen = errlen };
	struct loaded *v;
	size_t n;
	int rv;

	*seq = 0;
	rv = read_containers(dir, threads, &g.v, &g.n, err, errlen);
	if (rv == 0)
		rv = gathered_index(&g);
	/* Oldest first: a compaction that did not finish left its records
	 * in journal.old; the newer ones are in journal. */
	if (rv == 0)
		rv = replay(dir, STATE_JOURNAL_OLD, &g);
	if (rv == 0)
		rv = replay(dir, STATE_JOURNAL, &g);
	if (rv == 0)
		rv = load_bridges(dir, m, g.bridges, g.bwhere, err, errlen);
	hmap_clear(&g.byname);
	json_decref(g.bridges);
	v = g.v;
	n = g.n;
	if (rv == 0 && n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(v, n, sizeof(*v), cmp_loaded);
	for (size_t i = 0; i < n; i++) {
		if (rv == 0 && v[i].c != NULL) {
			stop_claimed(m, v[i].c);
			if (model_put(m, v[i].c) == -1) {
				snprintf(err, errlen, "out of memory");
				rv = -1;
			} else {
				if (v[i].hosts != NULL && hosts_fn != NULL)
					hosts_fn(v[i].c->name, v[i].hosts, arg);
				v[i].c = NULL;
			}
		}
		if (v[i].seq > *seq)
			*seq = v[i].seq;
		container_free(v[i].c);
		json_decref(v[i].hosts);
	}
	free(v);
	return rv;
}
