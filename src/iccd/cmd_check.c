/*
 * cmd_check.c: iccctl check: the model's verdict (verdict.h), then the
 * kernel's word on the same flow, asked element by element (two GETs, a
 * third for a range: its pair; no dump), so that a table that drifted
 * from the model shows as a disagreement instead of a confident wrong
 * answer.
 */
#include "ops.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "verdict.h"

static json_t *
check_err(const char *msg)
{
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

/* ask_kernel: kv for v's flow; 0 or a negative errno (line in err). */
static int
ask_kernel(struct iccd *d, const struct verdict *v, struct verdict_kernel *kv,
    char *err, size_t len)
{
	int rc;

	memset(kv, 0, sizeof(*kv));
	if ((rc = kernel_closed_has(d->k, v->bridge)) < 0) {
		snprintf(err, len, "kernel: set closed: %s", strerror(-rc));
		return rc;
	}
	kv->closed = rc == 1;
	if ((rc = kernel_lookup_flow(d->k, &v->flow, &kv->elem)) < 0) {
		snprintf(err, len, "kernel: link sets: %s", strerror(-rc));
		return rc;
	}
	kv->found = rc == 1;
	return 0;
}

static json_t *
elem_json(bool has, const struct icc_elem *e)
{
	char buf[ELEM_FMT_LEN + 16], one[ELEM_FMT_LEN];

	if (!has)
		return json_string("");
	snprintf(buf, sizeof(buf), "%s %s", elem_set_name(elem_set(e)),
	    elem_format(e, one, sizeof(one)));
	return json_string(buf);
}

static json_t *
check_reply(const struct verdict *v, const struct verdict_kernel *kv,
    bool agree, bool kernel_allowed, const char *disagreement)
{
	json_t *rep;

	rep = json_pack("{s:b,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:b}", "ok", 1,
	    "allowed", kernel_allowed, "reason", verdict_why_name(v->why),
	    "line", v->line, "from", v->from, "to", v->to, "bridge", v->bridge,
	    "alias", v->alias, "element", elem_json(v->has_elem, &v->elem),
	    "agree", agree);
	if (rep == NULL)
		return NULL;
	json_object_set_new(rep, "model_allowed", json_boolean(v->allowed));
	if (v->has_flow)
		json_object_set_new(rep, "kernel", json_pack("{s:b,s:o}",
		    "closed", kv->closed, "element", elem_json(kv->found,
		    &kv->elem)));
	if (!agree)
		json_object_set_new(rep, "disagreement",
		    json_string(disagreement));
	return rep;
}

json_t *
cmd_check(struct iccd *d, const struct request *r)
{
	struct verdict v;
	struct verdict_kernel kv = { 0 };
	char err[512], line[512];
	bool agree, kernel_allowed;

	if (verdict_check(d->model, &r->from, &r->to, &r->port, &v, err,
	    sizeof(err)) == -1)
		return check_err(err);
	if (v.has_flow && ask_kernel(d, &v, &kv, err, sizeof(err)) < 0)
		return check_err(err);
	agree = verdict_confirm(&v, &kv, &kernel_allowed, line, sizeof(line));
	return check_reply(&v, &kv, agree, kernel_allowed, line);
}
