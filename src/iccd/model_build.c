/*
 * model_build.c: merging the rules files' declarations into the model:
 * at start, at reload, and for a name a request starts or removes.
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* merge_files: append to c what the rules files declare for its name. */
int
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
bool
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
struct icc_container *
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
struct icc_model *
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

/* desired_of: the counted element set model m derives. */
struct elemset *
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
