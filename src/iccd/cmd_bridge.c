/* cmd_bridge.c: the bridge command (icc on or off for one bridge). */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "state.h"

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

json_t *
cmd_bridge(struct iccd *d, struct request *r)
{
	struct icc_bridge *b = model_bridge(d->model, r->bridge);
	bool created = b == NULL, was;
	struct kbatch *kb;
	char kerr[ERRLEN];
	int rv;

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
