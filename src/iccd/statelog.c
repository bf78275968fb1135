/*
 * statelog.c: iccd's state writes, journaled (see state.h): a change is a
 * record in DIR/journal, made durable a group at a time; the files are
 * brought up to date by a compaction, in a child process so that requests
 * never wait for it.
 *
 * What is owed to the files is kept as the text each file will hold,
 * by name (the last record of a name wins, as on load): a compaction
 * writes those texts, never reads the model, so the child needs nothing
 * but this map.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmap.h"
#include "journal.h"
#include "log.h"

/* An owed removal: the text of a file that must not exist. */
static char removed[] = "";

/* A change of the group being built. */
struct staged {
	char	*name;		/* NULL: the bridges */
	char	*text;		/* file text, or `removed` */
};

struct statelog {
	char		 dir[PATH_MAX];
	struct journal	*j;
	struct hmap	 owed;		/* name -> file text (malloc'd) */
	char		*owed_bridges;	/* NULL: nothing owed */
	struct staged	*stage;
	size_t		 nstage, capstage;
	bool		 incomplete;	/* a durable record missing from owed:
					 * never compact (start replays it) */
	pid_t		 child;		/* a compaction under way, or 0 */
	int		(*cache_fn)(const char *, void *);	/* see
					 * statelog_on_compact */
	void		*cache_arg;
	bool		 cache_due;	/* the cache must be written anew */
	struct hmap	 compacting;	/* what the child writes */
	char		*compacting_bridges;
};

static void
path_of(const struct statelog *l, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", l->dir, name);
}

static void
text_free(char *text)
{
	if (text != removed)
		free(text);
}

static int
free_text_cb(const char *key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	text_free(val);
	return 0;
}

static void
owed_clear(struct hmap *h, char **bridges)
{
	hmap_foreach(h, free_text_cb, NULL);
	hmap_clear(h);
	free(*bridges);
	*bridges = NULL;
}

/* owe: name's file must hold text (taken); replaces what was owed. */
static int
owe(struct hmap *h, const char *name, char *text)
{
	char *was = hmap_get(h, name);

	if (hmap_put(h, name, text) == -1) {
		text_free(text);
		return -1;
	}
	if (was != NULL)
		text_free(was);
	return 0;
}

/* ---- the records already in the journals --------------------------------- */

static char *
dump(const json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

	if (text == NULL)
		errno = ENOMEM;
	return text;
}

/* owed_cb: a record read at open: what it says is owed to the files
 * (state_load has already judged the records: bad ones are skipped). */
static int
owed_cb(const void *payload, size_t len, void *arg)
{
	struct statelog *l = arg;
	json_t *r = json_loadb(payload, len, 0, NULL), *v;
	const char *name;
	char *text;
	int rv = 0;

	if (r == NULL)
		return 0;
	if ((v = json_object_get(r, "c")) != NULL &&
	    (name = json_string_value(json_object_get(v, "name"))) != NULL) {
		if ((text = dump(v)) == NULL || owe(&l->owed, name, text) == -1)
			rv = -1;
	} else if ((name = json_string_value(json_object_get(r, "rm"))) !=
	    NULL)
		rv = owe(&l->owed, name, removed);
	else if ((v = json_object_get(r, "bridges")) != NULL) {
		if ((text = dump(v)) == NULL)
			rv = -1;
		else {
			free(l->owed_bridges);
			l->owed_bridges = text;
		}
	}
	json_decref(r);
	return rv;
}

struct statelog *
statelog_open(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct statelog *l;
	int saved;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	path_of(l, STATE_JOURNAL_OLD, path, sizeof(path));
	if (journal_read(path, owed_cb, l, NULL) < 0)
		goto fail;
	path_of(l, STATE_JOURNAL, path, sizeof(path));
	if (journal_read(path, owed_cb, l, NULL) < 0 ||
	    (l->j = journal_open(path)) == NULL)
		goto fail;
	return l;
fail:
	saved = errno;
	snprintf(err, errlen, "%s: %s", path, strerror(saved));
	owed_clear(&l->owed, &l->owed_bridges);
	free(l);
	errno = saved;
	return NULL;
}

/* ---- changes --------------------------------------------------------------- */

static int
grow_stage(struct statelog *l)
{
	struct staged *nv;
	size_t ncap;

	if (l->nstage < l->capstage)
		return 0;
	ncap = l->capstage ? l->capstage * 2 : 16;
	if ((nv = reallocarray(l->stage, ncap, sizeof(*nv))) == NULL)
		return -1;
	l->stage = nv;
	l->capstage = ncap;
	return 0;
}

/* stage: journal record r (taken) for the file text (taken) of name
 * (NULL: the bridges). */
static int
stage(struct statelog *l, const char *name, json_t *r, char *text)
{
	char *rec = NULL, *dup = NULL;
	int saved;

	if (r == NULL || (rec = dump(r)) == NULL ||
	    (name != NULL && (dup = strdup(name)) == NULL) ||
	    grow_stage(l) == -1 ||
	    journal_append(l->j, rec, strlen(rec)) == -1)
		goto fail;
	l->stage[l->nstage].name = dup;
	l->stage[l->nstage++].text = text;
	free(rec);
	json_decref(r);
	return 0;
fail:
	saved = errno ? errno : ENOMEM;
	free(rec);
	free(dup);
	text_free(text);
	json_decref(r);
	errno = saved;
	return -1;
}

int
statelog_put_container(struct statelog *l, const struct icc_container *c,
    uint64_t seq, const json_t *hosts)
{
	json_t *o = state_container_json(c, seq, hosts);
	char *text;

	if (o == NULL || (text = dump(o)) == NULL) {
		json_decref(o);
		errno = ENOMEM;
		return -1;
	}
	return stage(l, c->name, json_pack("{s:o}", "c", o), text);
}

int
statelog_remove_container(struct statelog *l, const char *name)
{
	return stage(l, name, json_pack("{s:s}", "rm", name), removed);
}

int
statelog_put_bridges(struct statelog *l, const struct icc_model *m)
{
	json_t *o = state_bridges_json(m);
	char *text;

	if (o == NULL || (text = dump(o)) == NULL) {
		json_decref(o);
		errno = ENOMEM;
		return -1;
	}
	return stage(l, NULL, json_pack("{s:o}", "bridges", o), text);
}

size_t
statelog_pending(const struct statelog *l)
{
	return l->nstage;
}

void
statelog_discard(struct statelog *l)
{
	for (size_t i = 0; i < l->nstage; i++) {
		free(l->stage[i].name);
		text_free(l->stage[i].text);
	}
	l->nstage = 0;
	journal_discard(l->j);
}

void
statelog_rewind(struct statelog *l, size_t n)
{
	/* One journal record per staged entry (stage). */
	for (size_t i = n; i < l->nstage; i++) {
		free(l->stage[i].name);
		text_free(l->stage[i].text);
	}
	if (n < l->nstage)
		l->nstage = n;
	journal_rewind(l->j, n);
}

int
statelog_commit(struct statelog *l)
{
	if (journal_commit(l->j) == -1) {
		int saved = errno;

		statelog_discard(l);
		errno = saved;
		return -1;
	}
	/* Durable: owed to the files from now on. */
	for (size_t i = 0; i < l->nstage; i++) {
		struct staged *s = &l->stage[i];

		if (s->name == NULL) {
			free(l->owed_bridges);
			l->owed_bridges = s->text;
		} else if (owe(&l->owed, s->name, s->text) == -1) {
			/* The record is durable; only the compaction lacks
			 * it, and a later start replays it anyway. */
			log_warnx("state: out of memory: the journal is "
			    "no longer compacted until a restart");
			l->incomplete = true;
		}
		free(s->name);
	}
	l->nstage = 0;
	return 0;
}

/* ---- compaction ------------------------------------------------------------- */

struct writing {
	const struct statelog	*l;
	int			 err;	/* the first errno */
};

static int
write_owed_cb(const char *name, void *val, void *arg)
{
	struct writing *w = arg;
	char path[PATH_MAX];
	const char *text = val;

	snprintf(path, sizeof(path), "%s/c/%s.json", w->l->dir, name);
	if (text == removed) {
		if (unlink(path) == -1 && errno != ENOENT && w->err == 0)
			w->err = errno;
	} else if (state_write_text(path, text, strlen(text), false) == -1 &&
	    w->err == 0)
		w->err = errno;
	return 0;
}

/*
 * write_owed: the files of h and bridges (NULL: none) made durable, then
 * journal.old gone: 0, or -1 with errno (journal.old then stays).
 */
static int
write_owed(const struct statelog *l, const struct hmap *h,
    const char *bridges)
{
	struct writing w = { l, 0 };
	char path[PATH_MAX];

	hmap_foreach(h, write_owed_cb, &w);
	path_of(l, "bridges.json", path, sizeof(path));
	if (bridges != NULL && state_write_text(path, bridges,
	    strlen(bridges), false) == -1 && w.err == 0)
		w.err = errno;
	if (w.err != 0) {
		errno = w.err;
		return -1;
	}
	path_of(l, "c/x", path, sizeof(path));
	if (fsync_dir_of(path) == -1)
		return -1;
	path_of(l, STATE_JOURNAL_OLD, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return fsync_dir_of(path);	/* bridges.json and the unlink */
}

/*
 * write_cache: the start's cache (statelog_on_compact) for the files as
 * they are now.  Only with no group being built: the model then holds
 * what the journal and the files say, no more.  0, or -1 (logged).
 */
static int
write_cache(const struct statelog *l)
{
	if (l->cache_fn == NULL || l->nstage > 0)
		return 0;
	if (l->cache_fn(l->dir, l->cache_arg) == -1) {
		log_warn("state: %s: writing the element cache", l->dir);
		return -1;
	}
	return 0;
}

/* compact_child: the child's whole life; never returns. */
static void __attribute__((noreturn))
compact_child(const struct statelog *l, pid_t parent)
{
	/* Dies with iccd: a new iccd must not load while it writes (it
	 * also holds iccd's lock until then). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(2);
	if (write_owed(l, &l->owed, l->owed_bridges) == -1)
		_exit(1);
	/* The files are durable: the cache of what they derive follows.
	 * Its failure fails no compaction: a start without it is slower. */
	_exit(write_cache(l) == 0 ? 0 : 3);
}

/* compact_background: rotate (unless journal.old is still owed) and
 * fork the writer; owed moves to compacting. */
static int
compact_background(struct statelog *l)
{
	char old[PATH_MAX];
	pid_t parent = getpid(), pid;

	path_of(l, STATE_JOURNAL_OLD, old, sizeof(old));
	if (access(old, F_OK) == -1) {
		if (l->owed.n == 0 && l->owed_bridges == NULL &&
		    journal_size(l->j) == 0) {
			if (!l->cache_due || l->cache_fn == NULL)
				return 0;
			/* Nothing owed: a child that writes the cache. */
		} else if (journal_rotate(l->j, old) == -1)
			return -1;
	}
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		compact_child(l, parent);
	l->child = pid;
	l->compacting = l->owed;
	l->compacting_bridges = l->owed_bridges;
	memset(&l->owed, 0, sizeof(l->owed));
	l->owed_bridges = NULL;
	return 0;
}

/* reap: the child ended with status st: a failure owes its work again
 * (what was owed since is newer and wins). */
static void
reap(struct statelog *l, int st)
{
	struct hentry *e;

	l->child = 0;
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 3)) {
		/* 3: the files are written, the cache is not (logged). */
		l->cache_due = WEXITSTATUS(st) == 3;
		owed_clear(&l->compacting, &l->compacting_bridges);
		return;
	}
	if (WIFEXITED(st))
		log_warnx("state: compaction of the journal failed (exit %d); "
		    "retried later", WEXITSTATUS(st));
	else
		log_warnx("state: compaction of the journal killed by signal "
		    "%d; retried later", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	for (size_t i = 0; i < l->compacting.nb; i++)
		for (e = l->compacting.b[i]; e != NULL; e = e->next) {
			if (hmap_get(&l->owed, e->key) != NULL)
				continue;
			if (owe(&l->owed, e->key, e->val) == -1)
				l->incomplete = true;	/* keep the journals */
			e->val = NULL;	/* owed's now, or freed by owe */
		}
	if (l->owed_bridges == NULL) {
		l->owed_bridges = l->compacting_bridges;
		l->compacting_bridges = NULL;
	}
	owed_clear(&l->compacting, &l->compacting_bridges);
}

bool
statelog_busy(struct statelog *l)
{
	int st;

	if (l->child > 0 && waitpid(l->child, &st, WNOHANG) == l->child)
		reap(l, st);
	return l->child > 0;
}

/* wait_child: block until the compaction under way ended. */
static void
wait_child(struct statelog *l)
{
	int st;

	while (l->child > 0) {
		if (waitpid(l->child, &st, 0) == l->child)
			reap(l, st);
		else if (errno != EINTR) {
			l->child = 0;
			owed_clear(&l->compacting, &l->compacting_bridges);
			l->incomplete = true;	/* keep the journals */
		}
	}
}

int
statelog_compact(struct statelog *l, bool background)
{
	if (l->incomplete) {
		errno = EAGAIN;
		return -1;
	}
	if (background)
		return statelog_busy(l) ? 0 : compact_background(l);
	wait_child(l);
	if (l->incomplete) {
		errno = EAGAIN;
		return -1;
	}
	if (statelog_owed(l) > 0)
		l->cache_due = true;	/* the files change */
	if (write_owed(l, &l->owed, l->owed_bridges) == -1 ||
	    journal_truncate(l->j) == -1)
		return -1;
	owed_clear(&l->owed, &l->owed_bridges);
	return 0;
}

void
statelog_on_compact(struct statelog *l, int (*fn)(const char *, void *),
    void *arg)
{
	l->cache_fn = fn;
	l->cache_arg = arg;
}

void
statelog_cache_stale(struct statelog *l)
{
	l->cache_due = true;
}

bool
statelog_cache_due(const struct statelog *l)
{
	return l->cache_due && l->cache_fn != NULL && !l->incomplete;
}

bool
statelog_compact_due(const struct statelog *l)
{
	return l->child == 0 && !l->incomplete &&
	    journal_size(l->j) >= STATELOG_COMPACT_BYTES;
}

size_t
statelog_owed(const struct statelog *l)
{
	return l->owed.n + (l->owed_bridges != NULL);
}

void
statelog_close(struct statelog *l)
{
	if (l == NULL)
		return;
	statelog_discard(l);
	if (statelog_compact(l, false) == -1)
		log_warnx("state: %s: cannot compact the journal (%s): it is "
		    "replayed at the next start", l->dir, strerror(errno));
	else if (l->cache_due && write_cache(l) == 0)
		l->cache_due = false;
	owed_clear(&l->owed, &l->owed_bridges);
	owed_clear(&l->compacting, &l->compacting_bridges);
	journal_close(l->j);
	free(l->stage);
	free(l);
}
