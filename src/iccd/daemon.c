/*
 * daemon.c: see daemon.h: the entry points (init, handle, reload, sync,
 * repair, free).  Each concern has its own file (src/README).
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops.h"
#include "request.h"
#include "round.h"
#include "state.h"

/* ---- reload ------------------------------------------------------------ */

/*
 * daemon_reload: the new rules make a new model, which replaces d's in
 * one change; d->rules follow only when it stands.
 */
int
daemon_reload(struct iccd *d, char *err, size_t len)
{
	struct rules nr = { 0 };
	struct change ch;
	int rv = -1;

	round_flush(d);
	if (d->rules_dir[0] == '\0') {
		snprintf(err, len, "reload: iccd runs without --rules-dir");
		return -1;
	}
	if (rules_load_dir(d->rules_dir, &nr, err, len) == -1)
		return -1;
	if (change_begin(d, &ch, NULL, 0) == -1)
		snprintf(err, len, "out of memory");
	else if ((ch.model = build_model(d, &nr, err, len)) != NULL)
		rv = change_apply(d, &ch, err, len);
	change_free(&ch);
	if (rv == -1) {
		rules_free(&nr);
		return -1;
	}
	rules_free(&d->rules);
	d->rules = nr;
	return 0;
}

static json_t *
cmd_reload(struct iccd *d)
{
	char err[ERRLEN];

	if (daemon_reload(d, err, sizeof(err)) == -1)
		return reply_err("%s", err);
	return reply_ok();
}

/* ---- entry points -------------------------------------------------------- */

/* admit_request: parse req into r and check the peer's right to it:
 * NULL, or the error reply (r is then clear). */
static json_t *
admit_request(struct iccd *d, const json_t *req, bool may_write,
    struct request *r)
{
	char err[ERRLEN];

	clock_gettime(CLOCK_MONOTONIC, &d->t_received);
	d->apply_ns = -1;
	if (request_parse(req, r, err, sizeof(err)) == -1)
		return reply_err("%s", err);
	if ((r->mutates || r->path[0] != '\0') && !may_write) {
		log_warnx("refused %s from an unprivileged peer",
		    request_cmd_name(r->cmd));
		request_clear(r);
		return reply_err("permission denied: %s needs root%s",
		    request_cmd_name(r->cmd), d->write_group ? " or the iccd "
		    "group" : "");
	}
	return NULL;
}

/* timings: for benchmarks: request arrival to the kernel's ack, and to
 * the reply (before the durable write).  With group commit the round's
 * commit sets both again (round.c); the metrics keep these. */
static void
timings(const struct iccd *d, json_t *rep)
{
	if (rep != NULL && d->apply_ns >= 0) {
		json_object_set_new(rep, "apply_ns", json_integer(d->apply_ns));
		json_object_set_new(rep, "total_ns",
		    json_integer(elapsed_ns(&d->t_received)));
	}
}

/* dispatch: the command's reply. */
static json_t *
dispatch(struct iccd *d, struct request *r, const struct peer_cred *who)
{
	json_t *rep;

	switch (r->cmd) {
	case REQ_START:	 rep = cmd_start(d, r); break;
	case REQ_STOP:	 rep = cmd_stop(d, r); break;
	case REQ_RM:	 rep = cmd_rm(d, r); break;
	case REQ_LINK:	 rep = cmd_link(d, r); break;
	case REQ_UNLINK: rep = cmd_unlink(d, r); break;
	case REQ_BRIDGE: rep = cmd_bridge(d, r); break;
	case REQ_LIST:	 rep = cmd_list(d); break;
	case REQ_STATUS: rep = cmd_status(d); break;
	case REQ_ENV:	 rep = cmd_env(d, r); break;
	case REQ_HOSTS:	 rep = cmd_hosts(d, r, who); break;
	case REQ_RELOAD: rep = cmd_reload(d); break;
	case REQ_CHECK:	 rep = cmd_check(d, r); break;
	case REQ_METRICS: rep = cmd_metrics(d); break;
	case REQ_LOG:	 rep = cmd_log(d, r); break;
	default:	 rep = reply_err("cmd: not implemented"); break;
	}
	request_clear(r);
	return rep;
}

json_t *
daemon_handle(struct iccd *d, const json_t *req, bool may_write,
    const struct peer_cred *who)
{
	struct request r;
	json_t *rep;

	if ((rep = admit_request(d, req, may_write, &r)) != NULL)
		return rep;
	d->requests++;
	/* Joins the round's kernel transaction, or flushes it first. */
	round_open(d, &r);
	rep = dispatch(d, &r, who);
	/* The changes this request left waiting for the round's write. */
	round_reply(d, rep);
	round_note(d, req, may_write, rep);
	timings(d, rep);
	return rep;
}

json_t *
daemon_replay(struct iccd *d, const json_t *req, bool may_write)
{
	struct request r;
	json_t *rep;

	if ((rep = admit_request(d, req, may_write, &r)) != NULL)
		return rep;
	rep = dispatch(d, &r, NULL);
	timings(d, rep);
	return rep;
}

/*
 * daemon_sync: every caller (start, monitor start, a resync after a
 * failure, a drifted table found by a delete) may follow a time when the
 * table was not what the model says: flows accepted meanwhile stop at
 * their next packet once it is (rules/icc.nft).
 */
int
daemon_sync(struct iccd *d, char *err, size_t errlen)
{
	round_flush(d);
	return change_sync(d, err, errlen);
}

/* daemon_repair: timed up to the table's repair. */
int
daemon_repair(struct iccd *d, const char *cause, const struct timespec *t0,
    long *us, char *err, size_t errlen)
{
	int rv;

	round_flush(d);
	if ((rv = change_sync(d, err, errlen)) != 0) {
		d->need_sync = true;
		return rv;
	}
	d->need_sync = false;
	d->repairs++;
	d->last_repair_us = elapsed_ns(t0) / 1000;
	clock_gettime(CLOCK_REALTIME, &d->last_repair);
	snprintf(d->last_repair_cause, sizeof(d->last_repair_cause), "%s",
	    cause);
	if (us != NULL)
		*us = d->last_repair_us;
	return 0;
}

/* load_rules: read the rules files at start and merge them in. */
static int
load_rules(struct iccd *d, char *err, size_t errlen)
{
	struct icc_model *m;

	if (d->rules_dir[0] == '\0')
		return 0;
	if (rules_load_dir(d->rules_dir, &d->rules, err, errlen) == -1)
		return -1;
	/* No rules: the model from the state is already what they make
	 * (copying 100,000 elements' containers costs a start ~15 ms). */
	if (d->rules.nbridges == 0 && d->rules.nexposes == 0 &&
	    d->rules.nlinks == 0)
		return 0;
	if ((m = build_model(d, &d->rules, err, errlen)) == NULL)
		return -1;
	model_free(d->model);
	d->model = m;
	return 0;
}

int
daemon_init(struct iccd *d, const char *table, const char *state_dir,
    const char *rules_dir, char *const *hosts_dirs, size_t nhosts_dirs,
    bool default_icc, char *err, size_t errlen)
{
	return daemon_init_kernel(d, table, state_dir, rules_dir, hosts_dirs,
	    nhosts_dirs, default_icc, NULL, err, errlen);
}

/* init_kernel: open the kernel handle, with ko's options. */
static int
init_kernel(struct iccd *d, const struct daemon_kopts *ko, char *err,
    size_t errlen)
{
	if ((d->k = kernel_open(d->table)) == NULL) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	if (ko != NULL) {
		kernel_set_log_group(d->k, ko->log_group);
		kernel_set_owned(d->k, ko->own);
	}
	return 0;
}

/* init_state: the state directory (parsed by one thread while another
 * loads the element cache, else two) and its journal. */
static int
init_state(struct iccd *d, bool loading, char *err, size_t errlen)
{
	const char *dir = d->state_dir;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (state_init(dir, err, errlen) == -1 || state_load_with(dir,
	    d->model, &d->seq, hosts_restore, d, loading ? 1 : 2, err,
	    errlen) == -1) {
		if (errno != 0 && err[0] == '\0')
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	d->load_state_ns = elapsed_ns(&t0);
	if ((d->slog = statelog_open(dir, err, errlen)) == NULL)
		return -1;
	statelog_on_compact(d->slog, startcache_write, d);
	return 0;
}

/* init_desired: the elements the model derives. */
static int
init_desired(struct iccd *d, char *err, size_t errlen)
{
	struct elemvec all = { 0 }, none = { 0 };
	int rv = 0;

	if (engine_all(d->model, &all) == -1 ||
	    elemset_commit(d->desired, &none, &all) == -1) {
		snprintf(err, errlen, "out of memory");
		rv = -1;
	}
	elemvec_free(&all);
	return rv;
}

int
daemon_init_kernel(struct iccd *d, const char *table, const char *state_dir,
    const char *rules_dir, char *const *hosts_dirs, size_t nhosts_dirs,
    bool default_icc, const struct daemon_kopts *ko, char *err,
    size_t errlen)
{
	struct timespec t0;
	bool loading;
	int rv;

	err[0] = '\0';
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < nhosts_dirs; i++)
		if (hostsdirs_add(&d->hostsdirs, hosts_dirs[i], err,
		    errlen) == -1)
			return -1;
	snprintf(d->table, sizeof(d->table), "%s", table);
	if (state_dir != NULL)
		snprintf(d->state_dir, sizeof(d->state_dir), "%s", state_dir);
	if (rules_dir != NULL)
		snprintf(d->rules_dir, sizeof(d->rules_dir), "%s", rules_dir);
	if ((d->model = model_new(default_icc)) == NULL ||
	    (d->desired = elemset_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (init_kernel(d, ko, err, errlen) == -1)
		return -1;
	/* A cold start: the kernel loads the cache while this thread
	 * reads the state (startcache.c). */
	loading = startcache_begin(d, default_icc);
	rv = state_dir != NULL ? init_state(d, loading, err, errlen) : 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (rv == 0)
		rv = load_rules(d, err, errlen);
	if (rv == 0) {
		/* Restored registrations pass the same checks as new ones. */
		hosts_follow_all(d, true);
		/* What a crash left in the journal, and what the checks
		 * above dropped, go to the files now: the state a start
		 * leaves is plain files, as after a clean stop. */
		if (d->slog != NULL && statelog_owed(d->slog) > 0 &&
		    statelog_compact(d->slog, false) == -1)
			log_warn("state: %s: compacting the journal",
			    state_dir);
		rv = init_desired(d, err, errlen);
	}
	d->load_model_ns = elapsed_ns(&t0);
	/* Joined on failure too: the thread uses d->k. */
	startcache_end(d);
	if (rv == -1 && d->cache_loaded && kernel_delete_table(d->k) == 0)
		log_warnx("table %s: deleted: loaded from the element cache, "
		    "but the state could not be read", d->table);
	if (d->cache_stale && d->slog != NULL)
		statelog_cache_stale(d->slog);
	return rv;
}

void
daemon_free(struct iccd *d)
{
	hmap_foreach(&d->hostsfiles, free_hostsfile_cb, NULL);
	hmap_clear(&d->hostsfiles);
	hostsdirs_free(&d->hostsdirs);
	daemon_round(d);
	round_free(d);
	free(d->round);
	statelog_close(d->slog);
	if (d->k != NULL)
		kernel_close(d->k);
	elemset_free(d->desired);
	model_free(d->model);
	rules_free(&d->rules);
	bindset_free(d->bound);
	rangegc_free(&d->gc);
	memset(d, 0, sizeof(*d));
}

long
daemon_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

void
daemon_log_loaded(const struct iccd *d, const struct daemon_start *st)
{
	struct ksync_stats ks;

	kernel_sync_stats(d->k, &ks);
	log_info("loaded %zu containers, %zu elements in %.1f ms: setup %.1f, "
	    "state %.1f, model %.1f, cache %.1f, kernel %.1f (sort %.1f, dump "
	    "%.1f, build %.1f, commit %.1f in %u transactions), compare %.1f, "
	    "sync %.1f, monitor %.1f%s",
	    model_count(d->model), elemset_size(d->desired),
	    (st->done - st->main) / 1e6, (st->init - st->main) / 1e6,
	    d->load_state_ns / 1e6, d->load_model_ns / 1e6,
	    d->cache_read_ns / 1e6, d->cache_loaded ? d->cache_load_ns / 1e6 :
	    (st->monitor - st->sync) / 1e6, ks.sort_ns / 1e6,
	    ks.dump_ns / 1e6, ks.build_ns / 1e6, ks.commit_ns / 1e6, ks.ntxn,
	    d->cache_compare_ns / 1e6, (st->monitor - st->sync) / 1e6,
	    (st->done - st->monitor) / 1e6, d->cache_matches ?
	    " (from the element cache)" : "");
}
