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
#include "request.h"
#include "state.h"

/* ---- reload ------------------------------------------------------------ */

static int
collect_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	return elemvec_push(arg, e);
}

struct closed_diff {
	const struct icc_model	*old;
	struct kbatch		*b;
	size_t			 closing;	/* bridges whose icc goes off */
};

/* closed_diff_cb: a bridge whose icc mode differs between the models. */
static int
closed_diff_cb(const struct icc_bridge *nb, void *arg)
{
	struct closed_diff *cd = arg;
	const struct icc_bridge *ob = model_bridge(cd->old, nb->name);
	bool was_closed = ob != NULL && !ob->icc;

	if (!nb->icc && !was_closed) {
		cd->closing++;
		return kbatch_add_closed(cd->b, nb->name);
	}
	if (nb->icc && was_closed)
		return kbatch_del_closed(cd->b, nb->name);
	return 0;
}

/*
 * swap_model: replace d's model by m (derived with rules nr) in one
 * transaction: the element and closed-set differences go in one batch;
 * when the kernel refuses, d is unchanged.
 */
static int
swap_model(struct iccd *d, struct icc_model *m, char *err, size_t len)
{
	struct elemvec have = { 0 }, adds = { 0 }, dels = { 0 };
	struct elemset *es = desired_of(m);
	struct closed_diff cd = { d->model, kbatch_new(d->k), 0 };
	char kerr[ERRLEN];
	int rv = -1;

	if (es == NULL || cd.b == NULL ||
	    elemset_foreach(d->desired, collect_cb, &have) != 0 ||
	    elemset_diff(es, &have, &adds, &dels) == -1 ||
	    model_bridges(m, closed_diff_cb, &cd) != 0) {
		snprintf(err, len, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < dels.n; i++)
		if (kbatch_del_elem(cd.b, &dels.v[i]) == -1)
			goto out;
	for (size_t i = 0; i < adds.n; i++)
		if (kbatch_add_elem(cd.b, &adds.v[i]) == -1)
			goto out;
	if (kbatch_commit(cd.b, kerr, sizeof(kerr)) != 0) {
		snprintf(err, len, "kernel: %s", kerr);
		goto out;
	}
	log_info("reload: %zu elements added, %zu deleted", adds.n, dels.n);
	model_free(d->model);
	d->model = m;
	elemset_free(d->desired);
	d->desired = es;
	es = NULL;
	ct_flush_gone(d, &dels, &adds);
	if (cd.closing > 0)
		ct_flush_unallowed(d, "reload closed a bridge");
	rv = 0;
out:
	kbatch_free(cd.b);
	elemset_free(es);
	elemvec_free(&have);
	elemvec_free(&adds);
	elemvec_free(&dels);
	return rv;
}

int
daemon_reload(struct iccd *d, char *err, size_t len)
{
	struct rules nr = { 0 };
	struct icc_model *m;

	if (d->rules_dir[0] == '\0') {
		snprintf(err, len, "reload: iccd runs without --rules-dir");
		return -1;
	}
	if (rules_load_dir(d->rules_dir, &nr, err, len) == -1)
		return -1;
	if ((m = build_model(d, &nr, err, len)) == NULL) {
		rules_free(&nr);
		return -1;
	}
	if (swap_model(d, m, err, len) == -1) {
		model_free(m);
		rules_free(&nr);
		return -1;
	}
	rules_free(&d->rules);
	d->rules = nr;
	if (d->state_dir[0] != '\0' &&
	    state_save_bridges(d->state_dir, d->model) == -1)
		log_warn("state: %s", d->state_dir);
	hmap_foreach(&d->hostsfiles, follow_all_cb, d);
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

json_t *
daemon_handle(struct iccd *d, const json_t *req, bool may_write)
{
	struct request r;
	char err[ERRLEN];
	json_t *rep;

	clock_gettime(CLOCK_MONOTONIC, &d->t_received);
	d->apply_ns = -1;
	if (request_parse(req, &r, err, sizeof(err)) == -1)
		return reply_err("%s", err);
	if ((r.mutates || r.path[0] != '\0') && !may_write) {
		log_warnx("refused %s from an unprivileged peer",
		    request_cmd_name(r.cmd));
		request_clear(&r);
		return reply_err("permission denied: %s needs root or the "
		    "iccd group", request_cmd_name(r.cmd));
	}
	d->requests++;
	switch (r.cmd) {
	case REQ_START:	 rep = cmd_start(d, &r); break;
	case REQ_STOP:	 rep = cmd_stop(d, &r); break;
	case REQ_RM:	 rep = cmd_rm(d, &r); break;
	case REQ_LINK:	 rep = cmd_link(d, &r); break;
	case REQ_UNLINK: rep = cmd_unlink(d, &r); break;
	case REQ_BRIDGE: rep = cmd_bridge(d, &r); break;
	case REQ_LIST:	 rep = cmd_list(d); break;
	case REQ_STATUS: rep = cmd_status(d); break;
	case REQ_ENV:	 rep = cmd_env(d, &r); break;
	case REQ_HOSTS:	 rep = cmd_hosts(d, &r); break;
	case REQ_RELOAD: rep = cmd_reload(d); break;
	default:	 rep = reply_err("cmd: not implemented"); break;
	}
	request_clear(&r);
	/* Timings for benchmarks: request arrival to the kernel's ack, and
	 * to the reply (which includes the durable state write). */
	if (rep != NULL && d->apply_ns >= 0) {
		json_object_set_new(rep, "apply_ns", json_integer(d->apply_ns));
		json_object_set_new(rep, "total_ns",
		    json_integer(elapsed_ns(&d->t_received)));
	}
	return rep;
}

struct closed_ctx {
	const char	**v;
	size_t		  n;
};

static int
closed_cb(const struct icc_bridge *b, void *arg)
{
	struct closed_ctx *ctx = arg;
	const char **nv;

	if (b->icc)
		return 0;
	if ((nv = realloc(ctx->v, (ctx->n + 1) * sizeof(*nv))) == NULL)
		return -1;
	ctx->v = nv;
	ctx->v[ctx->n++] = b->name;
	return 0;
}

static int
push_desired_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	return elemvec_push(arg, e);
}

/* sync_table: daemon_sync's table part (kernel_sync). */
static int
sync_table(struct iccd *d, char *err, size_t errlen)
{
	struct closed_ctx closed = { NULL, 0 };
	struct elemvec all = { 0 };
	long changed;
	int rv = -ENOMEM;

	if (elemset_foreach(d->desired, push_desired_cb, &all) != 0 ||
	    model_bridges(d->model, closed_cb, &closed) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rv = kernel_sync(d->k, &all, closed.v, closed.n, &changed, err, errlen);
	if (rv == 0 && changed != 0)
		log_info("table %s synced: %ld element changes%s", d->table,
		    changed < 0 ? 0 : changed, changed < 0 ? " (rebuilt)" : "");
out:
	free(closed.v);
	elemvec_free(&all);
	return rv;
}

/*
 * daemon_sync: every caller (start, monitor start, a resync after a
 * failure, a drifted table found by a delete) may follow a time when the
 * table was not what the model says: flows accepted meanwhile are cut
 * once it is.
 */
int
daemon_sync(struct iccd *d, char *err, size_t errlen)
{
	int rv;

	if ((rv = sync_table(d, err, errlen)) == 0)
		ct_flush_unallowed(d, "sync");
	return rv;
}

/* daemon_repair: timed up to the table's repair; the cut follows. */
int
daemon_repair(struct iccd *d, const char *cause, const struct timespec *t0,
    long *us, char *err, size_t errlen)
{
	int rv;

	if ((rv = sync_table(d, err, errlen)) != 0) {
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
	ct_flush_unallowed(d, "repair");
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
	if ((m = build_model(d, &d->rules, err, errlen)) == NULL)
		return -1;
	model_free(d->model);
	d->model = m;
	return 0;
}

int
daemon_init(struct iccd *d, const char *table, const char *state_dir,
    const char *rules_dir, bool default_icc, char *err, size_t errlen)
{
	struct elemvec all = { 0 }, none = { 0 };

	err[0] = '\0';
	memset(d, 0, sizeof(*d));
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
	if (state_dir != NULL && (state_init(state_dir) == -1 ||
	    state_load(state_dir, d->model, &d->seq, hosts_restore, d, err,
	    errlen) == -1)) {
		if (errno != 0 && err[0] == '\0')
			snprintf(err, errlen, "%s: %s", state_dir,
			    strerror(errno));
		return -1;
	}
	if (load_rules(d, err, errlen) == -1)
		return -1;
	if (engine_all(d->model, &all) == -1 ||
	    elemset_commit(d->desired, &none, &all) == -1) {
		elemvec_free(&all);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	elemvec_free(&all);
	if ((d->k = kernel_open(table)) == NULL) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	return 0;
}


void
daemon_free(struct iccd *d)
{
	hmap_foreach(&d->hostsfiles, free_hostsfile_cb, NULL);
	hmap_clear(&d->hostsfiles);
	if (d->k != NULL)
		kernel_close(d->k);
	elemset_free(d->desired);
	model_free(d->model);
	rules_free(&d->rules);
	elemvec_free(&d->ct_pending);
	memset(d, 0, sizeof(*d));
}
