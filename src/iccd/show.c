/* show.c: the read-only commands: list, status and env (JSON replies). */
#include "daemon_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdata.h"

json_t *
cmd_env(struct iccd *d, struct request *r)
{
	const struct icc_container *c = model_find(d->model, r->name);
	struct strvec vars = { 0 };
	json_t *rep;

	if (c == NULL)
		return no_such(r->name);
	if (linkdata_env(d->model, c, r->alias[0] ? r->alias : NULL,
	    &vars) == -1) {
		strvec_free(&vars);
		if (errno == ENOENT)
			return reply_err("link: %s has no link \"%s\"",
			    r->name, r->alias);
		return reply_err("out of memory");
	}
	rep = lines_reply(&vars);
	strvec_free(&vars);
	return rep;
}

static json_t *
addr_json(int af, const void *a)
{
	char s[INET6_ADDRSTRLEN];

	return json_string(inet_ntop(af, a, s, sizeof(s)));
}

static json_t *
ports_json(const struct icc_container *c)
{
	json_t *a = json_array();
	char buf[32];

	for (size_t i = 0; a != NULL && i < c->nports; i++)
		json_array_append_new(a, json_string(ports_format(&c->ports[i],
		    buf, sizeof(buf))));
	return a;
}

/* port_origins_json: per exposed port, "event" or the rules file line. */
static json_t *
port_origins_json(const struct icc_container *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < c->nports; i++)
		json_array_append_new(a, json_string(c->port_origin != NULL &&
		    c->port_origin[i] != NULL ? c->port_origin[i] : "event"));
	return a;
}

static json_t *
container_json(const struct icc_container *c)
{
	json_t *o, *env = json_array();

	for (size_t i = 0; env != NULL && i < c->nenv; i++)
		json_array_append_new(env, json_string(c->env[i]));
	o = json_pack("{s:s,s:b,s:b,s:s,s:o,s:s,s:s,s:o,s:o,s:o}", "name",
	    c->name, "running", c->running, "started", c->has_identity,
	    "bridge", c->bridge, "ip", addr_json(AF_INET, &c->ip4), "id", c->id,
	    "hostname", c->hostname, "expose", ports_json(c), "expose_from",
	    port_origins_json(c), "env", env);
	if (o != NULL && c->has_ip6)
		json_object_set_new(o, "ip6", addr_json(AF_INET6, &c->ip6));
	return o;
}

struct list_ctx {
	struct iccd	*d;
	json_t		*bridges, *containers, *links;
};

static int
list_bridge_cb(const struct icc_bridge *b, void *arg)
{
	struct list_ctx *ctx = arg;

	return json_array_append_new(ctx->bridges, json_pack("{s:s,s:b}",
	    "name", b->name, "icc", b->icc));
}

static json_t *
link_json(const struct icc_model *m, const struct icc_container *r,
    const struct icc_link *l)
{
	struct elemvec ev = { 0 };
	json_t *allow = json_array();
	char buf[ELEM_FMT_LEN];

	if (engine_link_elems(m, r, l, &ev) == -1)
		return NULL;
	/* What the link allows: a pair (the gate of the range sets) allows
	 * nothing by itself. */
	for (size_t i = 0; allow != NULL && i < ev.n; i++)
		if (!elem_is_pair(&ev.v[i]))
			json_array_append_new(allow, json_string(elem_format(
			    &ev.v[i], buf, sizeof(buf))));
	elemvec_free(&ev);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "receiver", r->name,
	    "source", l->source, "alias", l->alias, "state",
	    link_active(m, r, l) ? "active" : "pending", "from",
	    l->origin[0] ? l->origin : "event", "allow", allow);
}

static int
list_container_cb(const struct icc_container *c, void *arg)
{
	struct list_ctx *ctx = arg;

	json_t *cj = container_json(c);

	binding_json(ctx->d->model, c, cj);
	if (json_array_append_new(ctx->containers, cj) == -1)
		return -1;
	for (size_t i = 0; i < c->nlinks; i++)
		if (json_array_append_new(ctx->links, link_json(ctx->d->model,
		    c, &c->links[i])) == -1)
			return -1;
	return 0;
}

json_t *
cmd_list(struct iccd *d)
{
	struct list_ctx ctx = { d, json_array(), json_array(), json_array() };
	json_t *rep;

	if (ctx.bridges == NULL || ctx.containers == NULL || ctx.links == NULL ||
	    model_bridges(d->model, list_bridge_cb, &ctx) != 0 ||
	    model_foreach(d->model, list_container_cb, &ctx) != 0) {
		json_decref(ctx.bridges);
		json_decref(ctx.containers);
		json_decref(ctx.links);
		return reply_err("out of memory");
	}
	rep = json_pack("{s:b,s:o,s:o,s:o}", "ok", 1, "bridges", ctx.bridges,
	    "containers", ctx.containers, "links", ctx.links);
	return rep;
}

static int
count_closed_cb(const struct icc_bridge *b, void *arg)
{
	if (!b->icc)
		(*(size_t *)arg)++;
	return 0;
}

/* The last repair's time (UTC) and duration; "none" and -1 before one. */
static void
status_repair(const struct iccd *d, json_t *rep)
{
	char when[32] = "none";
	struct tm tm;

	if (d->repairs > 0 && gmtime_r(&d->last_repair.tv_sec, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(rep, "last_repair_at", json_string(when));
	json_object_set_new(rep, "last_repair_us",
	    json_integer(d->repairs > 0 ? d->last_repair_us : -1));
}

json_t *
cmd_status(struct iccd *d)
{
	struct elemvec have = { 0 }, adds = { 0 }, dels = { 0 };
	size_t closed = 0, missing = 0, extra = 0;
	bool present, matches;
	json_t *rep;
	int rv;

	model_bridges(d->model, count_closed_cb, &closed);
	rv = kernel_dump_elems(d->k, &have);
	present = rv != -ENOENT;
	/* The kernel should hold the desired set less the adds held back,
	 * plus the range garbage not drained yet (rangegc.h). */
	if (rv == 0 && elemset_diff(d->desired, &have, &adds, &dels) == 0)
		rangegc_expect(&d->gc, &adds, &dels, &missing, &extra);
	else
		rv = rv == 0 ? -ENOMEM : rv;
	matches = rv == 0 && missing == 0 && extra == 0;
	rep = json_pack("{s:b,s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
	    "ok", 1, "table", d->table, "present", present, "matches",
	    matches, "elements", (json_int_t)elemset_size(d->desired),
	    "kernel_elements", (json_int_t)have.n, "missing",
	    (json_int_t)missing, "extra", (json_int_t)extra,
	    "closed_bridges", (json_int_t)closed, "containers",
	    (json_int_t)model_count(d->model), "repairs",
	    (json_int_t)d->repairs, "last_repair_cause",
	    d->last_repair_cause[0] ? d->last_repair_cause : "none");
	if (rep != NULL) {
		status_repair(d, rep);
		/* The bridge table must match too. */
		if (!binding_status(d, rep))
			json_object_set_new(rep, "matches", json_false());
		json_object_set_new(rep, "ports_lost", json_integer(
		    (json_int_t)d->ports_lost));
		/* Group commit: kernel transactions of several requests. */
		json_object_set_new(rep, "round_transactions", json_integer(
		    (json_int_t)d->metrics.round_txns));
		json_object_set_new(rep, "round_requests", json_integer(
		    (json_int_t)d->metrics.round_requests));
		json_object_set_new(rep, "range_gc", json_pack(
		    "{s:I,s:I,s:I,s:I,s:I}", "queued",
		    (json_int_t)d->gc.garbage.n, "pairs",
		    (json_int_t)rangegc_npairs(&d->gc), "pending",
		    (json_int_t)d->gc.pending.n, "drained",
		    (json_int_t)d->gc.drained, "chunk",
		    (json_int_t)d->gc.chunk));
	}
	elemvec_free(&have);
	elemvec_free(&adds);
	elemvec_free(&dels);
	return rep;
}
