/* cmd_bridge.c: the bridge command (icc on or off for one bridge). */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "log.h"

json_t *
cmd_bridge(struct iccd *d, struct request *r)
{
	struct icc_bridge *b = model_bridge(d->model, r->bridge);
	struct change ch;
	char err[ERRLEN];
	json_t *rep;

	if (b != NULL && b->icc == (bool)r->icc)
		return reply_ok();
	if (b == NULL && admit_bridge(d->model, r->bridge, err,
	    sizeof(err)) == -1)
		return reply_err("%s", err);
	if (change_begin(d, &ch, NULL, 0) == -1 || (b == NULL &&
	    (b = model_bridge_add(d->model, r->bridge)) == NULL)) {
		change_free(&ch);
		return reply_err("out of memory");
	}
	b->icc = r->icc;
	if (change_apply(d, &ch, err, sizeof(err)) == -1)
		rep = reply_err("%s", err);
	else {
		log_info("bridge %s: icc %s", r->bridge, r->icc ? "on" : "off");
		rep = reply_ok();
	}
	change_free(&ch);
	return rep;
}
