/* state.c: see state.h. */
#include "state.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hmap.h"
#include "journal.h"
#include "log.h"
#include "request.h"
#include "util.h"

int
state_init(const char *dir)
{
	char sub[PATH_MAX];

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	snprintf(sub, sizeof(sub), "%s/c", dir);
	if (mkdir(sub, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * state_write_text: put text (len bytes, then a newline) at path atomically:
 * temp file, fsync, rename; the directory's fsync is the caller's when
 * dirsync is false (a compaction renames many files, then syncs once).
 */
int
state_write_text(const char *path, const char *text, size_t len,
    bool dirsync)
{
	char tmp[PATH_MAX];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write_all(fd, text, len) == -1 ||
	    write_all(fd, "\n", 1) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1)
		return -1;
	return dirsync ? fsync_dir_of(path) : 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* dump: obj as one compact line (sorted keys), malloc'd; NULL/ENOMEM. */
static char *
dump(const json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	if (text == NULL)
		errno = ENOMEM;
	return text;
}

int
state_write_json(const char *dir, const char *rel, const json_t *obj)
{
	char path[PATH_MAX], *text;
	int rv, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((text = dump(obj)) == NULL)
		return -1;
	rv = state_write_text(path, text, strlen(text), true);
	saved = errno;
	free(text);
	errno = saved;
	return rv;
}

json_t *
state_container_json(const struct icc_container *c, uint64_t seq,
    const json_t *hosts)
{
	json_t *o = request_encode_start(c);

	if (o == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	json_object_del(o, "cmd");
	json_object_set_new(o, "running", json_boolean(c->running));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	if (hosts != NULL)
		json_object_set(o, "hosts", (json_t *)hosts);
	return o;
}

int
state_save_container(const char *dir, const struct icc_container *c,
    uint64_t seq, const json_t *hosts)
{
	json_t *o = state_container_json(c, seq, hosts);
	char rel[ICC_NAME_MAX + 16];
	int rv;

	if (o == NULL)
		return -1;
	snprintf(rel, sizeof(rel), "c/%s.json", c->name);
	rv = state_write_json(dir, rel, o);
	json_decref(o);
	return rv;
}

int
state_remove_container(const char *dir, const char *name)
{
	char path[PATH_MAX], sub[PATH_MAX];

	snprintf(sub, sizeof(sub), "%s/c", dir);
	snprintf(path, sizeof(path), "%s/%s.json", sub, name);
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return fsync_dir_of(path);
}

static int
bridge_cb(const struct icc_bridge *b, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:s,s:b}", "name",
	    b->name, "icc", b->icc));
}

json_t *
state_bridges_json(const struct icc_model *m)
{
	json_t *a = json_array();

	if (a == NULL || model_bridges(m, bridge_cb, a) != 0) {
		json_decref(a);
		errno = ENOMEM;
		return NULL;
	}
	return json_pack("{s:o}", "bridges", a);
}

int
state_save_bridges(const char *dir, const struct icc_model *m)
{
	json_t *o = state_bridges_json(m);
	int rv;

	rv = o ? state_write_json(dir, "bridges.json", o) : -1;
	json_decref(o);
	return rv;
}

/* ---- loading -------------------------------------------------------------- */

/*
 * load_file: the JSON object in the file at path.  Read whole with
 * read(2), then parsed from memory: json_load_file reads a byte at a time
 * through stdio, which costs a start of 2,600 files ~20 ms.
 */
static json_t *
load_file(const char *path, char *err, size_t errlen)
{
	char buf[16384], *text = buf, *big = NULL;
	json_error_t jerr;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	json_t *o;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if ((size_t)st.st_size >= sizeof(buf) &&
	    (text = big = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	/* Up to the size fstat gave (plus one byte, to see it grew). */
	while ((n = read(fd, text + len, (big ? (size_t)st.st_size + 1 :
	    sizeof(buf)) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n == -1 || len > (size_t)st.st_size) {
		snprintf(err, errlen, "%s: %s", path, n == -1 ?
		    strerror(errno) : "changed while read");
		free(big);
		return NULL;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(big);
	if (o == NULL)
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
	else if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* apply_bridges: bridges.json's object o (read from where) into m. */
static int
apply_bridges(const char *where, const json_t *o, struct icc_model *m,
    char *err, size_t errlen)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(o, "bridges"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *why;
		struct icc_bridge *b;

		if (name == NULL || parse_ifname(name, &why) == -1 ||
		    !json_is_boolean(json_object_get(v, "icc")))
			return errf(err, errlen, EINVAL,
			    "%s: bridge %zu: bad entry", where, i + 1);
		if ((b = model_bridge_add(m, name)) == NULL)
			return errf(err, errlen, ENOMEM, "out of memory");
		b->icc = json_is_true(json_object_get(v, "icc"));
	}
	return 0;
}

/* load_bridges: bridges.json into m, unless the journal had a newer
 * list (journaled, from where). */
static int
load_bridges(const char *dir, struct icc_model *m, const json_t *journaled,
    const char *where, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_t *o;
	int rv;

	if (journaled != NULL)
		return apply_bridges(where, journaled, m, err, errlen);
	snprintf(path, sizeof(path), "%s/bridges.json", dir);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((o = load_file(path, err, errlen)) == NULL)
		return -1;
	rv = apply_bridges(path, o, m, err, errlen);
	json_decref(o);
	return rv;
}

static int
load_container(const char *path, const char *fname, json_t *o, struct icc_container **out, char *err, size_t errlen)
{
	char msg[512], expect[ICC_NAME_MAX + 8];
	struct request r;
	json_t *running = json_incref(json_object_get(o, "running"));

	json_object_del(o, "running");
	json_object_del(o, "seq");
	json_object_del(o, "hosts");
	json_object_set_new(o, "cmd", json_string("start"));
	if (request_parse(o, &r, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg);
		json_decref(running);
		return -1;
	}
	snprintf(expect, sizeof(expect), "%s.json", r.c->name);
	if (strcmp(expect, fname) != 0) {
		snprintf(err, errlen, "%s: name \"%s\" does not match the file "
		    "name", path, r.c->name);
		request_clear(&r);
		json_decref(running);
		return -1;
	}
	r.c->running = json_is_true(running);
	r.c->has_identity = true;
	json_decref(running);
	*out = r.c;
	r.c = NULL;
	return 0;
}

struct loaded {
	struct icc_container	*c;
	uint64_t		 seq;
	json_t			*hosts;
};

static int
cmp_loaded(const void *a, const void *b)
{
	const struct loaded *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool
is_state_file(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".json") == 0;
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
	while (rv == 0 && (de = readdir(dp)) != NULL)
		if (is_state_file(de->d_name) &&	/* not ".", "..", nor */
		    strvec_push(names, de->d_name) == -1) /* temp files */
			rv = errf(err, errlen, ENOMEM, "out of memory");
	closedir(dp);
	return rv;
}

/* read_containers: every c/NAME.json into *out (n entries). */
static int
read_containers(const char *dir, struct loaded **out, size_t *n, char *err,
    size_t errlen)
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
	if (names.n >= PARSE_MIN_FILES)
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
	struct gathered g = { .err = err, .errlen = errlen };
	struct loaded *v;
	size_t n;
	int rv;

	*seq = 0;
	rv = read_containers(dir, &g.v, &g.n, err, errlen);
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
