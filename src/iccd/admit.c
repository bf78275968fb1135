/* admit.c: see admit.h. */
#include "admit.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "parse.h"

/*
 * name_taken: c's name runs, under another id, as old.  Only a stop
 * (the runtime's, or an admin's) frees the name: iccd cannot tell a lost
 * stop from a hijack.  A start without an id is another id too: it would
 * clear the holder's and leave the name to anyone.  A holder without an
 * id is the name's alone: any start replaces it (an IP change).  Once a
 * start names its host-side port, a holder whose port is gone will be
 * provably gone too.
 */
static bool
name_taken(const struct icc_container *old, const struct icc_container *c)
{
	return old != NULL && old->has_identity && old->running &&
	    old->id[0] != '\0' && strcmp(old->id, c->id) != 0;
}

struct count_ctx {
	const char	*bridge;
	size_t		 n;
};

static int
count_cb(const struct icc_container *c, void *arg)
{
	struct count_ctx *ctx = arg;

	if (c->has_identity && strcmp(c->bridge, ctx->bridge) == 0)
		ctx->n++;
	return 0;
}

static int
count_bridges_cb(const struct icc_bridge *b, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

int
admit_bridge(const struct icc_model *m, const char *name, char *err,
    size_t len)
{
	size_t n = 0;

	if (model_bridge(m, name) != NULL)
		return 0;
	model_bridges(m, count_bridges_cb, &n);
	if (n >= ICC_MAX_BRIDGES)
		return errf(err, len, ENOSPC, "bridge: %s: iccd already keeps "
		    "%d bridges (the limit)", name, ICC_MAX_BRIDGES);
	return 0;
}

int
admit_start(const struct icc_model *m, const struct icc_container *c,
    char *err, size_t len)
{
	const struct icc_container *old = model_find(m, c->name);
	struct count_ctx ctx = { c->bridge, 0 };

	if (name_taken(old, c))
		return errf(err, len, EEXIST, "%s: runs as id %s (stop it "
		    "first)", c->name, old->id);
	if (admit_bridge(m, c->bridge, err, len) == -1)
		return -1;
	if (old != NULL && old->has_identity &&
	    strcmp(old->bridge, c->bridge) == 0)
		return 0;	/* counted already */
	model_foreach(m, count_cb, &ctx);
	if (ctx.n >= ICC_MAX_PER_BRIDGE)
		return errf(err, len, ENOSPC, "bridge: %s already holds %d "
		    "containers (the limit)", c->bridge, ICC_MAX_PER_BRIDGE);
	return 0;
}

int
admit_elems(size_t adds, char *err, size_t len)
{
	if (adds > ICC_MAX_REQ_ELEMS)
		return errf(err, len, E2BIG, "request: would add %zu kernel "
		    "elements, over the limit of %d per request", adds,
		    ICC_MAX_REQ_ELEMS);
	return 0;
}
