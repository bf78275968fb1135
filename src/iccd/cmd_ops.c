/*
 * cmd_ops.c: the daemon's side of `iccctl metrics` and `iccctl log`, the
 * request counting behind the metrics, and the drop log's reading.
 */
#include "ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "droplog.h"
#include "log.h"

/* ---- metrics ------------------------------------------------------------ */

static int
set_count_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	((size_t *)arg)[elem_set(e)]++;
	return 0;
}

static int
closed_count_cb(const struct icc_bridge *b, void *arg)
{
	if (!b->icc)
		((struct metrics_gauges *)arg)->closed_bridges++;
	return 0;
}

struct gauge_ctx {
	const struct icc_model	*m;
	struct metrics_gauges	*g;
};

static int
container_count_cb(const struct icc_container *c, void *arg)
{
	struct gauge_ctx *ctx = arg;

	if (c->running)
		ctx->g->running++;
	else if (c->has_identity)
		ctx->g->stopped++;
	else
		ctx->g->declared++;
	for (size_t i = 0; i < c->nlinks; i++) {
		if (link_active(ctx->m, c, &c->links[i]))
			ctx->g->active++;
		else
			ctx->g->pending++;
	}
	return 0;
}

char *
metrics_text(struct iccd *d)
{
	struct metrics_gauges g;
	struct gauge_ctx ctx = { d->model, &g };

	memset(&g, 0, sizeof(g));
	elemset_foreach(d->desired, set_count_cb, g.set_elements);
	model_bridges(d->model, closed_count_cb, &g);
	model_foreach(d->model, container_count_cb, &ctx);
	g.repairs = d->repairs;
	g.sysctl_repairs = d->sysctl_repairs;
	g.ports_lost = d->ports_lost;
	g.owned = d->k != NULL && kernel_owned(d->k) == 1;
	g.gc_queued = d->gc.garbage.n;
	g.gc_pending = d->gc.pending.n;
	g.gc_drained = d->gc.drained;
	return metrics_render(&d->metrics, &g);
}

json_t *
cmd_metrics(struct iccd *d)
{
	char *text = metrics_text(d);
	json_t *rep;

	if (text == NULL)
		return json_pack("{s:b,s:s}", "ok", 0, "error",
		    "out of memory");
	rep = json_pack("{s:b,s:s}", "ok", 1, "text", text);
	free(text);
	return rep;
}

/* cmd_of: the request's command for the metrics, REQ_NR when none. */
static enum req_cmd
cmd_of(const json_t *req)
{
	const char *s = json_string_value(json_object_get(req, "cmd"));

	for (int c = 0; s != NULL && c < REQ_NR; c++)
		if (strcmp(request_cmd_name(c), s) == 0)
			return c;
	return REQ_NR;
}

static long
since_ns(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000000L +
	    (t1.tv_nsec - t0->tv_nsec);
}

json_t *
ops_handle(struct iccd *d, const json_t *req, bool may_write,
    const struct peer_cred *who)
{
	json_t *rep = daemon_handle(d, req, may_write, who);

	/* daemon_handle set t_received and apply_ns for this request. */
	metrics_request(&d->metrics, cmd_of(req), rep != NULL &&
	    json_is_true(json_object_get(rep, "ok")), d->apply_ns,
	    since_ns(&d->t_received));
	return rep;
}

/* ---- the drop log --------------------------------------------------------- */

json_t *
cmd_log(struct iccd *d, const struct request *r)
{
	json_t *entries;

	if (d->droplog == NULL)
		return json_pack("{s:b,s:[],s:I,s:b,s:s}", "ok", 1, "entries",
		    "last", (json_int_t)0, "enabled", 0, "off",
		    d->droplog_off[0] ? d->droplog_off : "--log-group none");
	if ((entries = droplog_json(d->droplog, r->after)) == NULL)
		return json_pack("{s:b,s:s}", "ok", 0, "error",
		    "out of memory");
	return json_pack("{s:b,s:o,s:I,s:b}", "ok", 1, "entries", entries,
	    "last", (json_int_t)droplog_last(d->droplog), "enabled", 1);
}

static void
drop_cb(const struct kdrop *p, void *arg)
{
	struct iccd *d = arg;
	const struct drop_entry *e;
	struct timespec now;

	/* Another iccd's table (another --table in this namespace) logs to
	 * the same group: its bridges are none of ours. */
	if (p->bridge[0] != '\0' && model_bridge(d->model, p->bridge) == NULL)
		return;
	/* The packet's own time when the kernel stamped it. */
	if (p->when.tv_sec != 0)
		now = p->when;
	else
		clock_gettime(CLOCK_REALTIME, &now);
	e = droplog_record(d->droplog, d->model, p, &now);
	d->metrics.drop_packets++;
	if (e->packets > 1)
		return;		/* a retransmit: counted in its entry */
	metrics_drop(&d->metrics, p->bridge[0] ? p->bridge : "?");
	log_debug("blocked: %s %s -> %s port %u: %s", p->bridge, e->from,
	    e->to, p->dport, e->reason);
}

int
ops_drops_read(struct iccd *d)
{
	if (d->droplog == NULL)
		return -EBADF;
	return kernel_nflog_read(d->k, DROPLOG_READ, drop_cb, d);
}
