/* daemon.c: see daemon.h. */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "linkdata.h"
#include "log.h"
#include "request.h"
#include "state.h"

#define ERRLEN 512

/* A hosts file kept in sync for one receiver (iccctl hosts NAME --write). */
struct hostsfile {
	char		path[PATH_MAX];
	struct strvec	owned;		/* aliases whose lines iccd wrote */
	struct strvec	lines;		/* what it wrote last */
};

/* ---- replies ------------------------------------------------------------ */

static json_t *
reply_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static json_t *
reply_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
reply_err(const char *fmt, ...)
{
	char msg[ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

/* elapsed_ns: nanoseconds since *t0 (CLOCK_MONOTONIC). */
static long
elapsed_ns(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000000L +
	    (t1.tv_nsec - t0->tv_nsec);
}

/* ---- conntrack: cutting what lost its access ------------------------------ */

/* same_flows: a and b name the same family, addresses and protocol. */
static bool
same_flows(const struct icc_elem *a, const struct icc_elem *b)
{
	size_t alen = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->proto == b->proto &&
	    memcmp(&a->recv, &b->recv, alen) == 0 &&
	    memcmp(&a->src, &b->src, alen) == 0;
}

/* first_same: the first element of sorted v with e's addresses and
 * protocol, or v->n. */
static size_t
first_same(const struct elemvec *v, const struct icc_elem *e)
{
	struct icc_elem key = *e;
	size_t lo = 0, hi = v->n, mid;

	key.first = key.last = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (elem_cmp(&v->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && same_flows(&v->v[lo], e) ? lo : v->n;
}

/*
 * ct_gone: the ports a change took away: each removed element (dels)
 * minus what an added one (adds) of the same addresses and protocol
 * allows again, so that the flows of 7500 survive 7000-7999 becoming
 * 7000-8999.  Both sorted (elemset_plan and elemset_diff make them so).
 * The elements of one receiver, source and protocol are disjoint
 * (engine_normalize_ports), so no element left untouched can cover a
 * removed one's ports.  Returns 0 or -1 with errno ENOMEM.
 */
static int
ct_gone(const struct elemvec *dels, const struct elemvec *adds,
    struct elemvec *out)
{
	for (size_t i = 0; i < dels->n; i++) {
		const struct icc_elem *del = &dels->v[i];
		struct icc_elem piece = *del;
		long next = del->first;		/* the first port left to judge */

		for (size_t j = first_same(adds, del); j < adds->n &&
		    same_flows(&adds->v[j], del) &&
		    adds->v[j].first <= del->last; j++) {
			if (adds->v[j].last < next)
				continue;
			if (adds->v[j].first > next) {
				piece.first = (uint16_t)next;
				piece.last = adds->v[j].first - 1;
				if (elemvec_push(out, &piece) == -1)
					return -1;
			}
			next = (long)adds->v[j].last + 1;
		}
		if (next <= del->last) {
			piece.first = (uint16_t)next;
			piece.last = del->last;
			if (elemvec_push(out, &piece) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * ct_flush_gone: after the kernel acked a change, note the flows it took
 * the access of (see kernel.h); daemon_after_replies cuts them once the
 * replies are out, because a conntrack dump costs 5-13 ms, 10-100 times
 * the change itself.  The removed elements already stop new connections.
 */
static void
ct_flush_gone(struct iccd *d, const struct elemvec *dels,
    const struct elemvec *adds)
{
	struct elemvec gone = { 0 };

	if (dels->n == 0)
		return;
	if (ct_gone(dels, adds, &gone) == -1)
		goto nomem;
	if (d->ct_pending.n == 0)
		clock_gettime(CLOCK_MONOTONIC, &d->ct_pending_since);
	for (size_t i = 0; i < gone.n; i++)
		if (elemvec_push(&d->ct_pending, &gone.v[i]) == -1)
			goto nomem;
	elemvec_free(&gone);
	return;
nomem:
	log_warnx("conntrack: out of memory: flows of %zu removed elements "
	    "stay until they end", dels->n);
	elemvec_free(&gone);
}

bool
daemon_pending(const struct iccd *d)
{
	return d->ct_pending.n > 0;
}

bool
daemon_after_replies_due(const struct iccd *d)
{
	return d->ct_pending.n > 0 && elapsed_ns(&d->ct_pending_since) >=
	    AFTER_REPLIES_MAX_MS * 1000000L;
}

void
daemon_after_replies(struct iccd *d)
{
	struct timespec t0;
	size_t pending = d->ct_pending.n;
	int n;

	if (pending == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = kernel_ct_flush_elems(d->k, &d->ct_pending);
	elemvec_clear(&d->ct_pending);
	if (n < 0)
		log_warnx("conntrack: cannot cut the flows of %zu removed "
		    "elements: %s", pending, strerror(-n));
	else if (n > 0)
		log_info("conntrack: cut %d flows of %zu removed elements in "
		    "%ld us", n, pending, elapsed_ns(&t0) / 1000);
	else
		log_debug("conntrack: no flow of %zu removed elements (%ld us)",
		    pending, elapsed_ns(&t0) / 1000);
}

struct members_ctx {
	const struct icc_model	*m;
	struct ct_member	*v;
	size_t			 n, cap;
};

static int
member_push(struct members_ctx *ctx, uint8_t family, const void *addr,
    size_t alen, const char *bridge)
{
	struct ct_member *nv;

	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap ? ctx->cap * 2 : 64;
		if ((nv = reallocarray(ctx->v, ctx->cap, sizeof(*nv))) == NULL)
			return -1;
		ctx->v = nv;
	}
	memset(&ctx->v[ctx->n], 0, sizeof(ctx->v[0]));
	ctx->v[ctx->n].family = family;
	memcpy(&ctx->v[ctx->n].addr, addr, alen);
	ctx->v[ctx->n++].bridge = bridge;
	return 0;
}

/* member_cb: the addresses of a running container on a closed bridge. */
static int
member_cb(const struct icc_container *c, void *arg)
{
	struct members_ctx *ctx = arg;
	const struct icc_bridge *b = model_bridge(ctx->m, c->bridge);

	if (!c->running || !c->has_identity || b == NULL || b->icc)
		return 0;
	if (member_push(ctx, AF_INET, &c->ip4, 4, c->bridge) == -1 ||
	    (c->has_ip6 && member_push(ctx, AF_INET6, &c->ip6, 16,
	    c->bridge) == -1))
		return -1;
	return 0;
}

static int
allowed_cb(const struct icc_elem *e, unsigned count, void *arg)
{
	return elemvec_push(arg, e);
}

/*
 * ct_flush_unallowed: the table may not have been iccd's for a while (a
 * repair, a resync) or a bridge just closed: cut every flow between two
 * containers of a closed bridge that no desired element allows.  Failure
 * is logged.
 */
static void
ct_flush_unallowed(struct iccd *d, const char *why)
{
	struct members_ctx ctx = { d->model, NULL, 0, 0 };
	struct elemvec allowed = { 0 };
	struct timespec t0;
	int n = -ENOMEM;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (model_foreach(d->model, member_cb, &ctx) == 0 &&
	    elemset_foreach(d->desired, allowed_cb, &allowed) == 0)
		n = kernel_ct_flush_unallowed(d->k, &allowed, ctx.v, ctx.n);
	if (n < 0)
		log_warnx("conntrack: cannot cut the flows no link allows "
		    "(%s): %s", why, strerror(-n));
	else if (n > 0)
		log_info("conntrack: cut %d flows no link allows (%s) in %ld us",
		    n, why, elapsed_ns(&t0) / 1000);
	else
		log_debug("conntrack: no flow to cut (%s, %ld us)", why,
		    elapsed_ns(&t0) / 1000);
	free(ctx.v);
	elemvec_free(&allowed);
}

/* ---- transactions ------------------------------------------------------- */

#define TXN_MAX 4

/*
 * A transaction over a few named containers: what they were before (deep
 * copies, NULL when absent) so that a refused commit restores the model,
 * and the element derivations touching them before the change.
 */
struct txn {
	char			 name[TXN_MAX][ICC_NAME_MAX + 1];
	const char		*names[TXN_MAX];	/* -> name[] */
	struct icc_container	*old[TXN_MAX];
	size_t			 n;
	char			 newbridge[ICC_IFNAME_MAX + 1];
	struct elemvec		 before, after, adds, dels;
};

static int
txn_begin(struct iccd *d, struct txn *t, const char *const *names, size_t n)
{
	memset(t, 0, sizeof(*t));
	for (t->n = 0; t->n < n; t->n++) {
		const struct icc_container *c = model_find(d->model, names[t->n]);

		snprintf(t->name[t->n], sizeof(t->name[0]), "%s", names[t->n]);
		t->names[t->n] = t->name[t->n];
		if (c != NULL && (t->old[t->n] = container_dup(c)) == NULL)
			return -1;
	}
	return engine_touching(d->model, t->names, t->n, &t->before);
}

/* txn_add_name: one more container joins (a takeover victim); the
 * derivations before the change are counted again over all names. */
static int
txn_add_name(struct iccd *d, struct txn *t, const char *name)
{
	const struct icc_container *c = model_find(d->model, name);

	if (t->n == TXN_MAX || c == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((t->old[t->n] = container_dup(c)) == NULL)
		return -1;
	snprintf(t->name[t->n], sizeof(t->name[0]), "%s", name);
	t->names[t->n] = t->name[t->n];
	t->n++;
	elemvec_clear(&t->before);
	return engine_touching(d->model, t->names, t->n, &t->before);
}

static void
txn_free(struct txn *t)
{
	for (size_t i = 0; i < t->n; i++)
		container_free(t->old[i]);
	elemvec_free(&t->before);
	elemvec_free(&t->after);
	elemvec_free(&t->adds);
	elemvec_free(&t->dels);
}

/* txn_restore: put the model back as it was at txn_begin. */
static void
txn_restore(struct iccd *d, struct txn *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->old[i] == NULL) {
			container_free(model_take(d->model, t->names[i]));
			continue;
		}
		if (model_put(d->model, t->old[i]) == 0)
			t->old[i] = NULL;
		else
			log_warnx("%s: cannot restore %s", __func__,
			    t->names[i]);
	}
	if (t->newbridge[0] != '\0')
		model_bridge_del(d->model, t->newbridge);
}

static void hosts_follow(struct iccd *, const char *const *, size_t);
static void txn_undo_kernel(struct iccd *, const struct txn *);
static int persist(struct iccd *, const char *const *, size_t, bool);
static void hosts_forget(struct iccd *, const char *);

/*
 * resync_for_retry: a delete found nothing: someone changed the table
 * behind iccd's back (before the monitor repaired it).  Make the kernel
 * match what iccd had before this request, so the same batch can be sent
 * once more, instead of failing every later request that touches it.
 */
static bool
resync_for_retry(struct iccd *d, const char *kerr)
{
	char err[ERRLEN];

	log_warnx("kernel table drifted (%s): resyncing and retrying", kerr);
	if (daemon_sync(d, err, sizeof(err)) != 0) {
		log_warnx("resync: %s", err);
		return false;
	}
	return true;
}

/*
 * txn_commit: the model has been changed; send the element delta (plus
 * the closed-set change of a new bridge) as one batch.  On success the
 * desired set follows; on failure the model is restored and err says why.
 */
static int
txn_commit(struct iccd *d, struct txn *t, char *err, size_t len)
{
	struct kbatch *b = NULL;
	char kerr[ERRLEN];
	int rv;

	if (engine_touching(d->model, t->names, t->n, &t->after) == -1 ||
	    elemset_plan(d->desired, &t->before, &t->after, &t->adds,
	    &t->dels) == -1 || (b = kbatch_new(d->k)) == NULL) {
		snprintf(err, len, "%s", strerror(errno));
		goto fail;
	}
	if (admit_elems(t->adds.n, err, len) == -1)
		goto fail;
	for (size_t i = 0; i < t->dels.n; i++)
		if (kbatch_del_elem(b, &t->dels.v[i]) == -1)
			goto nomem;
	for (size_t i = 0; i < t->adds.n; i++)
		if (kbatch_add_elem(b, &t->adds.v[i]) == -1)
			goto nomem;
	if (t->newbridge[0] != '\0' &&
	    !model_bridge(d->model, t->newbridge)->icc &&
	    kbatch_add_closed(b, t->newbridge) == -1)
		goto nomem;
	if ((rv = kbatch_commit(b, kerr, sizeof(kerr))) == -ENOENT &&
	    resync_for_retry(d, kerr))
		rv = kbatch_commit(b, kerr, sizeof(kerr));
	if (rv != 0) {
		snprintf(err, len, "kernel: %s", kerr);
		goto fail;
	}
	d->apply_ns = elapsed_ns(&d->t_received);
	if (persist(d, t->names, t->n, t->newbridge[0] != '\0') == -1) {
		snprintf(err, len, "state: %s: %s", d->state_dir,
		    strerror(errno));
		txn_undo_kernel(d, t);
		goto fail;
	}
	if (elemset_commit(d->desired, &t->before, &t->after) == -1) {
		/* The kernel has the change; resync the count table from the
		 * whole model rather than leave it wrong. */
		log_warnx("%s: out of memory, resyncing", __func__);
		d->need_sync = true;
	}
	kbatch_free(b);
	ct_flush_gone(d, &t->dels, &t->adds);
	hosts_follow(d, t->names, t->n);
	return 0;
nomem:
	snprintf(err, len, "out of memory");
fail:
	kbatch_free(b);
	txn_restore(d, t);
	return -1;
}

/* ---- persistence ------------------------------------------------------- */

/*
 * txn_undo_kernel: the kernel took the batch but the state could not be
 * written: take the batch back, so that a failed request changes nothing.
 */
static void
txn_undo_kernel(struct iccd *d, const struct txn *t)
{
	struct kbatch *b = kbatch_new(d->k);
	char kerr[ERRLEN];
	int rv = -ENOMEM;

	for (size_t i = 0; b != NULL && i < t->adds.n; i++)
		kbatch_del_elem(b, &t->adds.v[i]);
	for (size_t i = 0; b != NULL && i < t->dels.n; i++)
		kbatch_add_elem(b, &t->dels.v[i]);
	if (b != NULL && t->newbridge[0] != '\0' &&
	    !model_bridge(d->model, t->newbridge)->icc)
		kbatch_del_closed(b, t->newbridge);
	if (b != NULL)
		rv = kbatch_commit(b, kerr, sizeof(kerr));
	kbatch_free(b);
	if (rv != 0) {
		log_warnx("%s: cannot take the batch back (%s); resyncing",
		    __func__, rv == -ENOMEM ? "out of memory" : kerr);
		d->need_sync = true;
	}
}

static json_t *hosts_state(const struct iccd *, const char *);

/*
 * persist: write the files of names (removing those no longer in the
 * model) and, when bridges changed, bridges.json.  Nothing to do without
 * a state directory.  Returns 0 or -1 with errno.
 */
static int
persist(struct iccd *d, const char *const *names, size_t n, bool bridges)
{
	if (d->state_dir[0] == '\0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct icc_container *c = model_find(d->model, names[i]);
		json_t *hosts;
		int rv;

		if (c == NULL || !c->has_identity) {
			if (state_remove_container(d->state_dir, names[i]) == -1)
				return -1;
			continue;
		}
		hosts = hosts_state(d, c->name);
		rv = state_save_container(d->state_dir, c, ++d->seq, hosts);
		json_decref(hosts);
		if (rv == -1)
			return -1;
	}
	if (bridges && state_save_bridges(d->state_dir, d->model) == -1)
		return -1;
	return 0;
}

/* ---- rules files ------------------------------------------------------- */

/* merge_files: append to c what the rules files declare for its name. */
static int
merge_files(const struct rules *rs, struct icc_container *c, char *err,
    size_t len)
{
	char at[ICC_ORIGIN_MAX];

	for (size_t i = 0; i < rs->nexposes; i++) {
		const struct rules_expose *e = &rs->exposes[i];

		if (strcmp(e->name, c->name) != 0)
			continue;
		rules_origin_format(&e->at, at, sizeof(at));
		if (container_add_port(c, &e->ports, at) == -1) {
			snprintf(err, len, "%s: expose: %s", at, strerror(errno));
			return -1;
		}
	}
	for (size_t i = 0; i < rs->nlinks; i++) {
		const struct rules_link *l = &rs->links[i];

		if (strcmp(l->receiver, c->name) != 0)
			continue;
		rules_origin_format(&l->at, at, sizeof(at));
		if (container_add_file_link(c, l->source, l->alias, at) == -1) {
			snprintf(err, len, "%s: link: %s", at, errno == EEXIST ?
			    "alias already links this receiver to another "
			    "source" : strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* rules_declare: the files declare exposes or links for name. */
static bool
rules_declare(const struct rules *rs, const char *name)
{
	for (size_t i = 0; i < rs->nexposes; i++)
		if (strcmp(rs->exposes[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < rs->nlinks; i++)
		if (strcmp(rs->links[i].receiver, name) == 0)
			return true;
	return false;
}

/* declared_only: the record of a name that only rules files declare: no
 * identity, never running, only the files' ports and links. */
static struct icc_container *
declared_only(const struct rules *rs, const char *name, char *err, size_t len)
{
	struct icc_container *c = container_new();

	if (c == NULL) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (merge_files(rs, c, err, len) == -1) {
		container_free(c);
		return NULL;
	}
	return c;
}

struct build_ctx {
	const struct rules	*rs;
	struct icc_model	*m;
	char			*err;
	size_t			 len;
};

static int
copy_bridge_cb(const struct icc_bridge *b, void *arg)
{
	struct icc_bridge *nb = model_bridge_add(arg, b->name);

	if (nb == NULL)
		return -1;
	nb->icc = b->icc;
	return 0;
}

/* rebuild_cb: c's event declarations plus the files' ones, into ctx->m. */
static int
rebuild_cb(const struct icc_container *c, void *arg)
{
	struct build_ctx *ctx = arg;
	struct icc_container *nc;

	if (!c->has_identity)
		return 0;	/* made again from the files below */
	if ((nc = container_dup(c)) == NULL) {
		snprintf(ctx->err, ctx->len, "out of memory");
		return -1;
	}
	container_strip_files(nc);
	if (merge_files(ctx->rs, nc, ctx->err, ctx->len) == -1 ||
	    model_put(ctx->m, nc) == -1) {
		if (errno == ENOMEM)
			snprintf(ctx->err, ctx->len, "out of memory");
		container_free(nc);
		return -1;
	}
	return 0;
}

static int
add_declared(struct build_ctx *ctx, const char *name)
{
	struct icc_container *nc;

	if (model_find(ctx->m, name) != NULL)
		return 0;
	if ((nc = declared_only(ctx->rs, name, ctx->err, ctx->len)) == NULL)
		return -1;
	if (model_put(ctx->m, nc) == -1) {
		snprintf(ctx->err, ctx->len, "out of memory");
		container_free(nc);
		return -1;
	}
	return 0;
}

/*
 * build_model: a new model holding d's bridges and containers with the
 * declarations of rs merged in (the old file declarations dropped), plus
 * a record for every name only the files declare.  NULL with err set.
 */
static struct icc_model *
build_model(struct iccd *d, const struct rules *rs, char *err, size_t len)
{
	struct build_ctx ctx = { rs, model_new(model_default_icc(d->model)),
	    err, len };
	struct icc_bridge *b;
	int rv = 0;

	if (ctx.m == NULL || model_bridges(d->model, copy_bridge_cb,
	    ctx.m) != 0) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < rs->nbridges; i++) {
		if ((b = model_bridge_add(ctx.m, rs->bridges[i].name)) == NULL) {
			snprintf(err, len, "out of memory");
			goto fail;
		}
		b->icc = rs->bridges[i].icc;
	}
	if (model_foreach(d->model, rebuild_cb, &ctx) != 0)
		goto fail;
	for (size_t i = 0; rv == 0 && i < rs->nexposes; i++)
		rv = add_declared(&ctx, rs->exposes[i].name);
	for (size_t i = 0; rv == 0 && i < rs->nlinks; i++)
		rv = add_declared(&ctx, rs->links[i].receiver);
	if (rv == 0)
		return ctx.m;
fail:
	model_free(ctx.m);
	return NULL;
}

/* ---- state-changing commands -------------------------------------------- */

static bool
addr_taken(const struct icc_container *holder, const char *name)
{
	return holder != NULL && strcmp(holder->name, name) != 0;
}

/* takeover: a start claims addresses another running container holds
 * (its stop event was lost): that container stops in this transaction. */
static int
takeover(struct iccd *d, struct txn *t, const struct icc_container *c)
{
	struct icc_container *h4, *h6 = NULL;

	h4 = model_holder4(d->model, c->bridge, c->ip4);
	if (c->has_ip6)
		h6 = model_holder6(d->model, c->bridge, &c->ip6);
	if (addr_taken(h4, c->name)) {
		log_info("%s takes over %s's address on %s; %s is now stopped",
		    c->name, h4->name, c->bridge, h4->name);
		if (txn_add_name(d, t, h4->name) == -1 ||
		    model_set_running(d->model, h4->name, false) == -1)
			return -1;
	}
	if (addr_taken(h6, c->name) && h6 != h4) {
		log_info("%s takes over %s's IPv6 address on %s; %s is now "
		    "stopped", c->name, h6->name, c->bridge, h6->name);
		if (txn_add_name(d, t, h6->name) == -1 ||
		    model_set_running(d->model, h6->name, false) == -1)
			return -1;
	}
	return 0;
}

static json_t *
cmd_start(struct iccd *d, struct request *r)
{
	const char *names[1] = { r->name };
	char err[ERRLEN];
	struct txn t;
	json_t *rep;

	if (merge_files(&d->rules, r->c, err, sizeof(err)) == -1)
		return reply_err("%s", err);
	if (admit_start(d->model, r->c, err, sizeof(err)) == -1) {
		log_warnx("start of %s refused: %s", r->name, err);
		return reply_err("%s", err);
	}
	if (txn_begin(d, &t, names, 1) == -1)
		goto nomem;
	if (model_bridge(d->model, r->c->bridge) == NULL)
		snprintf(t.newbridge, sizeof(t.newbridge), "%s", r->c->bridge);
	if (takeover(d, &t, r->c) == -1) {
		txn_restore(d, &t);
		goto nomem;
	}
	if (model_put(d->model, r->c) == -1) {
		txn_restore(d, &t);
		goto nomem;
	}
	r->c = NULL;			/* the model owns it now */
	if (txn_commit(d, &t, err, sizeof(err)) == -1)
		rep = reply_err("%s", err);
	else
		rep = reply_ok();
	txn_free(&t);
	return rep;
nomem:
	txn_free(&t);
	return reply_err("out of memory");
}

static json_t *
no_such(const char *name)
{
	return reply_err("name: no such container \"%s\"", name);
}

static json_t *
cmd_stop(struct iccd *d, struct request *r)
{
	const char *names[1] = { r->name };
	const struct icc_container *c = model_find(d->model, r->name);
	char err[ERRLEN];
	struct txn t;
	json_t *rep;

	if (c == NULL)
		return no_such(r->name);
	if (!c->running)
		return reply_ok();
	if (txn_begin(d, &t, names, 1) == -1 ||
	    model_set_running(d->model, r->name, false) == -1) {
		txn_free(&t);
		return reply_err("out of memory");
	}
	rep = txn_commit(d, &t, err, sizeof(err)) == -1 ? reply_err("%s", err) :
	    reply_ok();
	txn_free(&t);
	return rep;
}

static json_t *
cmd_rm(struct iccd *d, struct request *r)
{
	const char *names[1] = { r->name };
	char err[ERRLEN];
	struct txn t;
	json_t *rep;

	if (model_find(d->model, r->name) == NULL)
		return no_such(r->name);
	if (txn_begin(d, &t, names, 1) == -1) {
		txn_free(&t);
		return reply_err("out of memory");
	}
	container_free(model_take(d->model, r->name));
	if (rules_declare(&d->rules, r->name)) {
		/* rm forgets what events declared; the files still speak. */
		struct icc_container *nc = declared_only(&d->rules, r->name,
		    err, sizeof(err));

		if (nc == NULL || model_put(d->model, nc) == -1) {
			container_free(nc);
			txn_restore(d, &t);
			txn_free(&t);
			return reply_err("out of memory");
		}
	}
	rep = txn_commit(d, &t, err, sizeof(err)) == -1 ? reply_err("%s", err) :
	    reply_ok();
	if (model_find(d->model, r->name) == NULL)
		hosts_forget(d, r->name);
	txn_free(&t);
	return rep;
}

/* replace_links: commit receiver `name` with its links changed by fn. */
static json_t *
replace_links(struct iccd *d, struct request *r,
    int (*fn)(struct icc_container *, const struct request *))
{
	const char *names[1] = { r->name };
	const struct icc_container *c = model_find(d->model, r->name);
	struct icc_container *nc;
	char err[ERRLEN];
	struct txn t;
	json_t *rep;

	if (c == NULL)
		return no_such(r->name);
	for (size_t i = 0; r->cmd == REQ_UNLINK && i < c->nlinks; i++)
		if (strcmp(c->links[i].alias, r->alias) == 0 &&
		    c->links[i].origin[0] != '\0')
			return reply_err("alias: \"%s\" is declared in %s: "
			    "change the rules file and reload", r->alias,
			    c->links[i].origin);
	if ((nc = container_dup(c)) == NULL)
		return reply_err("out of memory");
	if (fn(nc, r) == -1) {
		rep = errno == EEXIST ?
		    reply_err("alias: \"%s\" already links %s to another "
		    "source", r->alias, r->name) : errno == ENOENT ?
		    reply_err("alias: %s has no link \"%s\"", r->name,
		    r->alias) : reply_err("link: %s", strerror(errno));
		container_free(nc);
		return rep;
	}
	if (txn_begin(d, &t, names, 1) == -1 || model_put(d->model, nc) == -1) {
		container_free(nc);
		txn_free(&t);
		return reply_err("out of memory");
	}
	rep = txn_commit(d, &t, err, sizeof(err)) == -1 ? reply_err("%s", err) :
	    reply_ok();
	txn_free(&t);
	return rep;
}

static int
add_link_fn(struct icc_container *c, const struct request *r)
{
	return container_add_link(c, r->source, r->alias);
}

static int
del_link_fn(struct icc_container *c, const struct request *r)
{
	return container_del_link(c, r->alias);
}

/* bridge_undo_kernel: take back a closed-set change the state could not
 * record. */
static void
bridge_undo_kernel(struct iccd *d, const char *bridge, bool created, int icc)
{
	struct kbatch *kb = kbatch_new(d->k);
	char kerr[ERRLEN];
	int rv = -ENOMEM;

	if (kb != NULL) {
		if (!icc)
			rv = kbatch_del_closed(kb, bridge);
		else
			rv = created ? 0 : kbatch_add_closed(kb, bridge);
		if (rv == 0)
			rv = kbatch_commit(kb, kerr, sizeof(kerr));
	}
	kbatch_free(kb);
	if (rv != 0)
		d->need_sync = true;
}

static json_t *
cmd_bridge(struct iccd *d, struct request *r)
{
	struct icc_bridge *b = model_bridge(d->model, r->bridge);
	bool created = b == NULL, was;
	struct kbatch *kb;
	char kerr[ERRLEN];
	int rv;

	if (b == NULL && admit_bridge(d->model, r->bridge, kerr,
	    sizeof(kerr)) == -1)
		return reply_err("%s", kerr);
	if (b == NULL && (b = model_bridge_add(d->model, r->bridge)) == NULL)
		return reply_err("out of memory");
	was = created ? !b->icc : b->icc;	/* a new bridge is in no set */
	if (!created && was == (bool)r->icc)
		return reply_ok();
	if ((kb = kbatch_new(d->k)) == NULL)
		goto nomem;
	if (r->icc)
		rv = created ? 0 : kbatch_del_closed(kb, r->bridge);
	else
		rv = kbatch_add_closed(kb, r->bridge);
	if (rv == -1)
		goto nomem;
	if ((rv = kbatch_commit(kb, kerr, sizeof(kerr))) != 0) {
		kbatch_free(kb);
		if (created)
			model_bridge_del(d->model, r->bridge);
		return reply_err("kernel: %s", kerr);
	}
	kbatch_free(kb);
	was = b->icc;
	b->icc = r->icc;
	if (d->state_dir[0] != '\0' &&
	    state_save_bridges(d->state_dir, d->model) == -1) {
		int saved = errno;

		b->icc = was;
		bridge_undo_kernel(d, r->bridge, created, r->icc);
		if (created)
			model_bridge_del(d->model, r->bridge);
		return reply_err("state: %s: %s", d->state_dir,
		    strerror(saved));
	}
	log_info("bridge %s: icc %s", r->bridge, r->icc ? "on" : "off");
	if (!r->icc)
		ct_flush_unallowed(d, "bridge closed");
	return reply_ok();
nomem:
	kbatch_free(kb);
	if (created)
		model_bridge_del(d->model, r->bridge);
	return reply_err("out of memory");
}

/* ---- hosts files ---------------------------------------------------------- */

static void
hostsfile_free(struct hostsfile *hf)
{
	if (hf == NULL)
		return;
	strvec_free(&hf->owned);
	strvec_free(&hf->lines);
	free(hf);
}

static bool
strvec_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static bool
strvec_equal(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/*
 * hosts_sync: rewrite r's hosts file when its lines changed.  Owned are the
 * aliases iccd wrote before plus the current ones, so a line whose link
 * went away is removed too.
 */
static int
hosts_sync(struct iccd *d, const struct icc_container *r,
    struct hostsfile *hf, bool force)
{
	struct strvec lines = { 0 };
	int rv = -1;

	if (linkdata_hosts(d->model, r, &lines) == -1)
		goto out;
	if (!force && strvec_equal(&lines, &hf->lines)) {
		rv = 0;
		goto out;
	}
	for (size_t i = 0; i < r->nlinks; i++)
		if (!strvec_has(&hf->owned, r->links[i].alias) &&
		    strvec_push(&hf->owned, r->links[i].alias) == -1)
			goto out;
	if (hosts_file_sync(hf->path, hf->owned.v, hf->owned.n, lines.v,
	    lines.n) == -1) {
		log_warn("hosts file %s of %s", hf->path, r->name);
		goto out;
	}
	strvec_free(&hf->lines);
	hf->lines = lines;
	memset(&lines, 0, sizeof(lines));
	rv = 0;
out:
	strvec_free(&lines);
	return rv;
}

static int
follow_cb(const struct icc_container *r, void *arg)
{
	struct iccd *d = arg;
	struct hostsfile *hf = hmap_get(&d->hostsfiles, r->name);

	if (hf != NULL)
		(void)hosts_sync(d, r, hf, false);
	return 0;
}

/* hosts_follow: after a change to names, refresh the hosts files of the
 * receivers involved (the names themselves and whoever links to them). */
static void
hosts_follow(struct iccd *d, const char *const *names, size_t n)
{
	if (d->hostsfiles.n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct icc_container *c = model_find(d->model, names[i]);

		if (c != NULL)
			follow_cb(c, d);
		model_receivers(d->model, names[i], follow_cb, d);
	}
}

static void
hosts_forget(struct iccd *d, const char *name)
{
	hostsfile_free(hmap_del(&d->hostsfiles, name));
}

static json_t *
hosts_state(const struct iccd *d, const char *name)
{
	const struct hostsfile *hf = hmap_get(&d->hostsfiles, name);
	json_t *owned;

	if (hf == NULL)
		return NULL;
	owned = json_array();
	for (size_t i = 0; owned != NULL && i < hf->owned.n; i++)
		json_array_append_new(owned, json_string(hf->owned.v[i]));
	return json_pack("{s:s,s:o}", "path", hf->path, "owned", owned);
}

/* hosts_restore: state_load's callback: a hosts file registered before. */
static void
hosts_restore(const char *name, const json_t *hosts, void *arg)
{
	struct iccd *d = arg;
	const char *path = json_string_value(json_object_get(hosts, "path"));
	struct hostsfile *hf;
	const json_t *v;
	size_t i;

	if (path == NULL || path[0] != '/' || strlen(path) >= PATH_MAX ||
	    (hf = calloc(1, sizeof(*hf))) == NULL)
		return;
	snprintf(hf->path, sizeof(hf->path), "%s", path);
	json_array_foreach(json_object_get(hosts, "owned"), i, v)
		if (json_is_string(v))
			strvec_push(&hf->owned, json_string_value(v));
	if (hmap_put(&d->hostsfiles, name, hf) == -1)
		hostsfile_free(hf);
}

static json_t *
lines_reply(struct strvec *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return json_pack("{s:b,s:o}", "ok", 1, "lines", a);
}

static json_t *
cmd_hosts(struct iccd *d, struct request *r)
{
	const struct icc_container *c = model_find(d->model, r->name);
	struct strvec lines = { 0 };
	struct hostsfile *hf, *old;
	json_t *rep;

	if (c == NULL)
		return no_such(r->name);
	if (r->path[0] != '\0') {
		if ((hf = calloc(1, sizeof(*hf))) == NULL)
			return reply_err("out of memory");
		snprintf(hf->path, sizeof(hf->path), "%s", r->path);
		old = hmap_get(&d->hostsfiles, r->name);
		if (old != NULL && strcmp(old->path, hf->path) == 0) {
			/* Same file again: keep what iccd knows it owns. */
			free(hf);
			hf = old;
		} else if (hmap_put(&d->hostsfiles, r->name, hf) == -1) {
			hostsfile_free(hf);
			return reply_err("out of memory");
		} else
			hostsfile_free(old);
		if (hosts_sync(d, c, hf, true) == -1)
			return reply_err("write: %s: %s", r->path,
			    strerror(errno));
		if (persist(d, (const char *const []){ c->name }, 1, false) ==
		    -1)
			return reply_err("state: %s: %s", d->state_dir,
			    strerror(errno));
	}
	if (linkdata_hosts(d->model, c, &lines) == -1)
		return reply_err("out of memory");
	rep = lines_reply(&lines);
	strvec_free(&lines);
	return rep;
}

static json_t *
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

/* ---- list and status ---------------------------------------------------- */

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
	for (size_t i = 0; allow != NULL && i < ev.n; i++)
		json_array_append_new(allow, json_string(elem_format(&ev.v[i],
		    buf, sizeof(buf))));
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

	if (json_array_append_new(ctx->containers, container_json(c)) == -1)
		return -1;
	for (size_t i = 0; i < c->nlinks; i++)
		if (json_array_append_new(ctx->links, link_json(ctx->d->model,
		    c, &c->links[i])) == -1)
			return -1;
	return 0;
}

static json_t *
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

static json_t *
cmd_status(struct iccd *d)
{
	struct elemvec have = { 0 }, adds = { 0 }, dels = { 0 };
	size_t closed = 0;
	bool present, matches;
	json_t *rep;
	int rv;

	model_bridges(d->model, count_closed_cb, &closed);
	rv = kernel_dump_elems(d->k, &have);
	present = rv != -ENOENT;
	matches = rv == 0 && elemset_diff(d->desired, &have, &adds,
	    &dels) == 0 && adds.n == 0 && dels.n == 0;
	rep = json_pack("{s:b,s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
	    "ok", 1, "table", d->table, "present", present, "matches",
	    matches, "elements", (json_int_t)elemset_size(d->desired),
	    "kernel_elements", (json_int_t)have.n, "missing",
	    (json_int_t)adds.n, "extra", (json_int_t)dels.n,
	    "closed_bridges", (json_int_t)closed, "containers",
	    (json_int_t)model_count(d->model), "repairs",
	    (json_int_t)d->repairs, "last_repair_cause",
	    d->last_repair_cause[0] ? d->last_repair_cause : "none");
	if (rep != NULL)
		status_repair(d, rep);
	elemvec_free(&have);
	elemvec_free(&adds);
	elemvec_free(&dels);
	return rep;
}

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

/* desired_of: the counted element set model m derives. */
static struct elemset *
desired_of(const struct icc_model *m)
{
	struct elemvec all = { 0 }, none = { 0 };
	struct elemset *es = elemset_new();

	if (es == NULL || engine_all(m, &all) == -1 ||
	    elemset_commit(es, &none, &all) == -1) {
		elemset_free(es);
		es = NULL;
	}
	elemvec_free(&all);
	return es;
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

static int
follow_all_cb(const char *name, void *val, void *arg)
{
	struct iccd *d = arg;
	const struct icc_container *c = model_find(d->model, name);

	if (c != NULL)
		(void)hosts_sync(d, c, val, false);
	return 0;
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
	case REQ_LINK:	 rep = replace_links(d, &r, add_link_fn); break;
	case REQ_UNLINK: rep = replace_links(d, &r, del_link_fn); break;
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
	if (state_dir != NULL && (state_init(state_dir, err, errlen) == -1 ||
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

static int
free_hostsfile_cb(const char *key, void *val, void *arg)
{
	hostsfile_free(val);
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
