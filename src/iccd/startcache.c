/*
 * startcache.c: a cold start from the cache of the derived elements
 * (elemcache.h).  A thread reads the cache and, when it is the state's
 * and no table is there, loads it into the kernel (kernel_load) while
 * daemon_init parses the state and builds the model; then what the model
 * derives is compared with what was loaded, and any difference (or a
 * change of the ruleset by anyone meanwhile) is synced away before iccd
 * serves (daemon_start_sync).  Correctness never depends on the cache: at
 * worst the table held, for the start's duration, what the cache said.
 *
 * The cache is written by each compaction that brings the files up to
 * date (statelog_on_compact: startcache_write).
 */
#include "daemon_int.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elemcache.h"
#include "log.h"

struct startcache {
	pthread_t	 th;
	struct kernel	*k;
	char		 dir[1024];
	bool		 icc_on;
	/* Set by the thread: ready (under mu) once c is read and judged;
	 * usable when c is the state's; rc once joined. */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 ready, usable;
	struct elemcache c;
	char		 why[ERRLEN];	/* why not usable */
	int		 rc;		/* kernel_load's: 1 loaded */
	char		 kerr[ERRLEN];
	long		 read_ns, load_ns;
};

/* judge: read the cache and say whether it is the state's (under mu). */
static void
judge(struct startcache *sc)
{
	long t0 = daemon_clock_ns();
	bool usable = false;

	if (elemcache_read(sc->dir, &sc->c, sc->why, sizeof(sc->why)) == -1) {
		if (errno == ENOENT)
			snprintf(sc->why, sizeof(sc->why), "%s: none",
			    ELEMCACHE_FILE);
	} else
		usable = elemcache_current(sc->dir, &sc->c, sc->icc_on,
		    sc->why, sizeof(sc->why));
	sc->read_ns = daemon_clock_ns() - t0;
	pthread_mutex_lock(&sc->mu);
	sc->usable = usable;
	sc->ready = true;
	pthread_cond_signal(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
}

static void *
load_run(void *arg)
{
	struct startcache *sc = arg;
	const char **closed;
	long t0;

	judge(sc);
	if (!sc->usable)
		return NULL;
	if ((closed = calloc(sc->c.closed.n + 1, sizeof(*closed))) == NULL) {
		sc->rc = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < sc->c.closed.n; i++)
		closed[i] = sc->c.closed.v[i];
	t0 = daemon_clock_ns();
	/* Only k, and only this thread, until daemon_init joins it. */
	sc->rc = kernel_load(sc->k, &sc->c.elems, closed, sc->c.closed.n,
	    &sc->c.binds, sc->kerr, sizeof(sc->kerr));
	sc->load_ns = daemon_clock_ns() - t0;
	free(closed);
	return NULL;
}

bool
startcache_begin(struct iccd *d, bool icc_on)
{
	struct startcache *sc;
	char path[PATH_MAX];

	if (d->state_dir[0] == '\0')
		return false;
	snprintf(path, sizeof(path), "%s/%s", d->state_dir, ELEMCACHE_FILE);
	if (access(path, F_OK) == -1) {
		log_info("state: %s: no element cache (yet): the table "
		    "follows the state once read", d->state_dir);
		d->cache_stale = true;
		return false;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return false;
	sc->k = d->k;
	sc->icc_on = icc_on;
	snprintf(sc->dir, sizeof(sc->dir), "%s", d->state_dir);
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->cv, NULL);
	if (pthread_create(&sc->th, NULL, load_run, sc) != 0) {
		pthread_mutex_destroy(&sc->mu);
		pthread_cond_destroy(&sc->cv);
		free(sc);
		d->cache_stale = true;
		return false;
	}
	d->sc = sc;
	return true;
}

static int
count_closed_cb(const struct icc_bridge *b, void *arg)
{
	if (!b->icc)
		(*(size_t *)arg)++;
	return 0;
}

/*
 * same_closed: the cache's closed bridges are the model's (both lists
 * are distinct names; the model's in name order).
 */
static bool
same_closed(const struct iccd *d, const struct strvec *cached)
{
	const struct icc_bridge *b;
	size_t nclosed = 0;

	for (size_t i = 0; i < cached->n; i++) {
		if ((b = model_bridge(d->model, cached->v[i])) == NULL ||
		    b->icc)
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cached->v[j], cached->v[i]) == 0)
				return false;
	}
	model_bridges(d->model, count_closed_cb, &nclosed);
	return nclosed == cached->n;
}

/* same_binds: the cache's bindings are d->bound's. */
static bool
same_binds(const struct iccd *d, const struct belemvec *cached)
{
	struct belemvec want = { 0 }, have = { 0 };
	bool same = false;

	for (size_t i = 0; i < cached->n; i++)
		if (belemvec_push(&have, &cached->v[i]) == -1)
			goto out;
	belemvec_sort_uniq(&have);
	if (d->bound != NULL && bindset_elems(d->bound, &want) == -1)
		goto out;
	same = want.n == have.n && (want.n == 0 ||
	    memcmp(want.v, have.v, want.n * sizeof(*want.v)) == 0);
out:
	belemvec_free(&want);
	belemvec_free(&have);
	return same;
}

/*
 * compare: what was (being) loaded against what the model derives: the
 * cache's elements are distinct (elemcache_read checked their order), so
 * as many as the model's, each one of them, is the same set.  *differ
 * gets the cache's elements the model lacks, plus the difference of the
 * counts; *rest whether the closed bridges and the bindings agree.  -1
 * when out of memory.
 */
static int
compare(struct iccd *d, struct startcache *sc, size_t *differ, bool *rest)
{
	const struct elemvec *ev = &sc->c.elems;
	size_t extra = 0, want = elemset_size(d->desired);

	for (size_t i = 0; i < ev->n; i++)
		if (elemset_count(d->desired, &ev->v[i]) == 0)
			extra++;
	*differ = extra + (want > ev->n ? want - ev->n : ev->n - want);
	if (binding_rebuild(d) == -1)
		return -1;
	*rest = same_closed(d, &sc->c.closed) && same_binds(d, &sc->c.binds);
	return 0;
}

void
startcache_end(struct iccd *d)
{
	struct startcache *sc = d->sc;
	size_t differ = 0;
	bool rest = false, usable;
	long t0;

	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	while (!sc->ready)
		pthread_cond_wait(&sc->cv, &sc->mu);
	usable = sc->usable;
	pthread_mutex_unlock(&sc->mu);
	/* While the thread may still be loading: both only read c. */
	t0 = daemon_clock_ns();
	if (usable && compare(d, sc, &differ, &rest) == -1)
		rest = false;
	d->cache_compare_ns = daemon_clock_ns() - t0;
	pthread_join(sc->th, NULL);
	d->cache_read_ns = sc->read_ns;
	d->cache_load_ns = sc->load_ns;
	if (!usable) {
		log_warnx("state: %s: element cache ignored: %s", d->state_dir,
		    sc->why);
		d->cache_stale = true;
	} else if (sc->rc < 0) {
		log_warnx("state: %s: loading the element cache: %s",
		    d->state_dir, sc->kerr);
		d->cache_loaded = true;	/* may have put part of it */
	} else if (sc->rc == 1) {
		d->cache_loaded = true;
		d->cache_matches = differ == 0 && rest;
		if (!d->cache_matches) {
			log_warnx("state: %s: the element cache differs from "
			    "what the state derives (%zu elements or more%s): "
			    "syncing", d->state_dir, differ, rest ? "" :
			    "; closed bridges or bindings too");
			d->cache_stale = true;
		}
	}
	elemcache_free(&sc->c);
	pthread_mutex_destroy(&sc->mu);
	pthread_cond_destroy(&sc->cv);
	free(sc);
	d->sc = NULL;
}

int
daemon_start_sync(struct iccd *d, char *err, size_t errlen)
{
	int rv;

	/* The table is what the cache held, and the cache what the model
	 * derives: nothing to do, unless someone changed the ruleset
	 * since (the monitor is not listening yet). */
	if (d->cache_matches && kernel_moved_since_sync(d->k) == 0 &&
	    binding_to_kernel(d) == 0)
		return 0;
	if ((rv = change_sync(d, err, errlen)) != 0 && d->cache_loaded) {
		/* Never leave behind a table the state may not allow:
		 * before iccd started there was none. */
		if (kernel_delete_table(d->k) == 0)
			log_warnx("table %s: deleted: the element cache was "
			    "loaded and the sync after it failed", d->table);
	}
	return rv;
}

/* ---- writing the cache ------------------------------------------------ */

static int
closed_name_cb(const struct icc_bridge *b, void *arg)
{
	return b->icc ? 0 : strvec_push(arg, b->name);
}

static int
push_elem_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	(void)count;
	return elemvec_push(arg, e);
}

int
startcache_write(const char *dir, void *arg)
{
	struct iccd *d = arg;
	struct elemcache c = { 0 };
	int rv = -1, saved;

	c.icc_on = model_default_icc(d->model);
	if (elemcache_stamp(dir, &c.generation) == -1)
		return -1;
	if (elemset_foreach(d->desired, push_elem_cb, &c.elems) != 0 ||
	    model_bridges(d->model, closed_name_cb, &c.closed) != 0 ||
	    (d->bound != NULL && bindset_elems(d->bound, &c.binds) == -1))
		errno = ENOMEM;
	else {
		elemvec_sort(&c.elems);
		rv = elemcache_write(dir, &c);
	}
	saved = errno;
	elemcache_free(&c);
	errno = saved;
	return rv;
}
