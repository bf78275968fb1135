/*
 * fake_kbatch.c: the fake kernel's batches (kernel.h's struct kbatch):
 * operations queued, then kbatch_commit applies them all or none to the
 * in-memory table, records the commit for the tests (fake_commits) and
 * refuses when fake_refuse asked it to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_kernel_int.h"
#include "linkdata.h"
#include "model.h"

enum op_kind { OP_ADD_ELEM, OP_DEL_ELEM, OP_ADD_CLOSED, OP_DEL_CLOSED };

struct op {
	enum op_kind	kind;
	struct icc_elem	e;
	char		bridge[ICC_IFNAME_MAX + 1];
	unsigned	tag;		/* kbatch_append's */
};

struct kbatch {
	struct op	*ops;
	size_t		 n, cap;
	struct belemvec	 badd, bdel;	/* bridge table elements */
	long		 refused;	/* kbatch_refused */
};

struct kbatch *
kbatch_new(struct kernel *k)
{
	struct kbatch *b = calloc(1, sizeof(struct kbatch));

	if (b != NULL)
		b->refused = -1;
	return b;
}

void
kbatch_free(struct kbatch *b)
{
	if (b == NULL)
		return;
	free(b->ops);
	belemvec_free(&b->badd);
	belemvec_free(&b->bdel);
	free(b);
}

void
kbatch_reset(struct kbatch *b)
{
	b->n = 0;
	b->badd.n = b->bdel.n = 0;
	b->refused = -1;
}

int
kbatch_add_belem(struct kbatch *b, const struct icc_belem *e)
{
	return belemvec_push(&b->badd, e);
}

int
kbatch_del_belem(struct kbatch *b, const struct icc_belem *e)
{
	return belemvec_push(&b->bdel, e);
}

void
kbatch_clear_belems(struct kbatch *b)
{
	b->badd.n = b->bdel.n = 0;
}

static ssize_t
belem_index(const struct belemvec *v, const struct icc_belem *e)
{
	for (size_t i = 0; i < v->n; i++)
		if (memcmp(&v->v[i], e, sizeof(*e)) == 0)
			return (ssize_t)i;
	return -1;
}

/* bapply: the batch's bridge elements onto v: deletes first (absent:
 * -ENOENT), then adds (present: no error). */
static int
bapply(const struct kbatch *b, struct belemvec *v, char *err, size_t len)
{
	ssize_t j;

	for (size_t i = 0; i < b->bdel.n; i++) {
		if ((j = belem_index(v, &b->bdel.v[i])) < 0) {
			snprintf(err, len, "del element bridge %s: %s",
			    bset_name(b->bdel.v[i].set), strerror(ENOENT));
			return -ENOENT;
		}
		v->v[j] = v->v[--v->n];
	}
	for (size_t i = 0; i < b->badd.n; i++)
		if (belem_index(v, &b->badd.v[i]) < 0 &&
		    belemvec_push(v, &b->badd.v[i]) == -1)
			return -ENOMEM;
	return 0;
}

static int
op_push(struct kbatch *b, enum op_kind kind, const struct icc_elem *e,
    const char *bridge)
{
	struct op *nv;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		if ((nv = reallocarray(b->ops, b->cap, sizeof(*nv))) == NULL)
			return -1;
		b->ops = nv;
	}
	memset(&b->ops[b->n], 0, sizeof(b->ops[0]));
	b->ops[b->n].kind = kind;
	if (e != NULL)
		b->ops[b->n].e = *e;
	if (bridge != NULL)
		snprintf(b->ops[b->n].bridge, sizeof(b->ops[0].bridge), "%s",
		    bridge);
	b->n++;
	return 0;
}

int
kbatch_add_elem(struct kbatch *b, const struct icc_elem *e)
{
	return op_push(b, OP_ADD_ELEM, e, NULL);
}

int
kbatch_del_elem(struct kbatch *b, const struct icc_elem *e)
{
	return op_push(b, OP_DEL_ELEM, e, NULL);
}

int
kbatch_add_closed(struct kbatch *b, const char *bridge)
{
	return op_push(b, OP_ADD_CLOSED, NULL, bridge);
}

int
kbatch_del_closed(struct kbatch *b, const char *bridge)
{
	return op_push(b, OP_DEL_CLOSED, NULL, bridge);
}

/* op_format: the message as the real kernel.c names it in errors. */
static void
op_format(const struct op *op, int rv, char *err, size_t len)
{
	char buf[ELEM_FMT_LEN];
	bool add = op->kind == OP_ADD_ELEM || op->kind == OP_ADD_CLOSED;

	if (op->kind == OP_ADD_ELEM || op->kind == OP_DEL_ELEM)
		snprintf(err, len, "%s element %s %s: %s", add ? "add" : "del",
		    elem_set_name(elem_set(&op->e)), elem_format(&op->e, buf,
		    sizeof(buf)), strerror(-rv));
	else
		snprintf(err, len, "%s element closed %s . %s: %s", add ?
		    "add" : "del", op->bridge, op->bridge, strerror(-rv));
}

/* overlaps: as the kernel's interval sets, a range may not overlap
 * another range of the same receiver, source and protocol. */
static bool
overlaps(const struct elemvec *elems, const struct icc_elem *e)
{
	const struct icc_elem *x;

	if (!elem_is_range(e))
		return false;
	for (size_t i = 0; i < elems->n; i++) {
		x = &elems->v[i];
		if (elem_is_range(x) && elem_same_flow(x, e) &&
		    x->first <= e->last && e->first <= x->last)
			return true;
	}
	return false;
}

/* apply: op on the scratch table; 0 or the negative errno. */
static int
apply(const struct op *op, struct elemvec *elems, struct strvec *closed)
{
	ssize_t i;

	switch (op->kind) {
	case OP_ADD_ELEM:
		if (elem_index(elems, &op->e) >= 0)
			return 0;
		if (overlaps(elems, &op->e))
			return -EEXIST;
		return elemvec_push(elems, &op->e) == -1 ? -ENOMEM : 0;
	case OP_DEL_ELEM:
		if ((i = elem_index(elems, &op->e)) < 0)
			return -ENOENT;
		elem_remove(elems, (size_t)i);
		return 0;
	case OP_ADD_CLOSED:
		if (closed_index(closed, op->bridge) >= 0)
			return 0;
		return strvec_push(closed, op->bridge) == -1 ? -ENOMEM : 0;
	case OP_DEL_CLOSED:
		if ((i = closed_index(closed, op->bridge)) < 0)
			return -ENOENT;
		closed_remove(closed, (size_t)i);
		return 0;
	}
	return -EINVAL;
}

static int
names_push(char ***v, size_t *n, const char *s)
{
	char **nv = reallocarray(*v, *n + 1, sizeof(*nv));

	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* record: the batch as a fake_commit. */
static void
record(const struct kbatch *b, int rv)
{
	struct fake_commit *nv, *c;

	nv = reallocarray(fk.commits, fk.ncommits + 1, sizeof(*nv));
	if (nv == NULL)
		abort();
	fk.commits = nv;
	c = &fk.commits[fk.ncommits++];
	memset(c, 0, sizeof(*c));
	c->rv = rv;
	for (size_t i = 0; i < b->n; i++) {
		const struct op *op = &b->ops[i];
		int r = 0;

		switch (op->kind) {
		case OP_ADD_ELEM: r = elemvec_push(&c->adds, &op->e); break;
		case OP_DEL_ELEM: r = elemvec_push(&c->dels, &op->e); break;
		case OP_ADD_CLOSED:
			r = names_push(&c->closed_adds, &c->nclosed_adds,
			    op->bridge);
			break;
		case OP_DEL_CLOSED:
			r = names_push(&c->closed_dels, &c->nclosed_dels,
			    op->bridge);
			break;
		}
		if (r == -1)
			abort();
	}
	if (belems_copy(&c->badds, &b->badd) == -1 ||
	    belems_copy(&c->bdels, &b->bdel) == -1)
		abort();
}

/* refused_add: op adds fake_refuse_add's element. */
static bool
refused_add(const struct op *op)
{
	return fk.refuse_add_err != 0 && op->kind == OP_ADD_ELEM &&
	    elem_cmp(&op->e, &fk.refuse_add) == 0;
}

long
kbatch_refused(const struct kbatch *b)
{
	return b->refused;
}

size_t
kbatch_size(const struct kbatch *b)
{
	return b->n + b->badd.n + b->bdel.n;
}

/* kbatch_append: as kernel_batch.c's, bridge elements cancelling out. */
int
kbatch_append(struct kbatch *dst, const struct kbatch *src, unsigned tag)
{
	ssize_t j;

	for (size_t i = 0; i < src->n; i++) {
		const struct op *op = &src->ops[i];

		if (op_push(dst, op->kind, &op->e, op->bridge) == -1)
			return -1;
		dst->ops[dst->n - 1].tag = tag;
	}
	for (size_t i = 0; i < src->bdel.n; i++) {
		if ((j = belem_index(&dst->badd, &src->bdel.v[i])) >= 0)
			dst->badd.v[j] = dst->badd.v[--dst->badd.n];
		else if (belemvec_push(&dst->bdel, &src->bdel.v[i]) == -1)
			return -1;
	}
	for (size_t i = 0; i < src->badd.n; i++)
		if (belemvec_push(&dst->badd, &src->badd.v[i]) == -1)
			return -1;
	return 0;
}

int
kbatch_commit(struct kbatch *b, char *err, size_t errlen)
{
	struct elemvec elems = { 0 };
	struct strvec closed = { 0 };
	struct belemvec belems = { 0 };
	int rv = 0;

	b->refused = -1;
	if (b->n == 0 && b->badd.n == 0 && b->bdel.n == 0)
		return 0;
	if (!fk.present) {
		rv = -ENOENT;
		snprintf(err, errlen, "table: %s", strerror(ENOENT));
	} else if (elems_copy(&elems, &fk.elems) == -1 ||
	    closed_copy(&closed, &fk.closed) == -1)
		rv = -ENOMEM;
	for (size_t i = 0; rv == 0 && i < b->n; i++) {
		if (fk.refuse_in == 1 && (i == fk.refuse_op || i == b->n - 1))
			rv = -fk.refuse_err;
		else if (refused_add(&b->ops[i]))
			rv = -fk.refuse_add_err;
		else
			rv = apply(&b->ops[i], &elems, &closed);
		if (rv != 0) {
			op_format(&b->ops[i], rv, err, errlen);
			b->refused = (long)b->ops[i].tag;
		}
	}
	/* The bridge table's elements, after the rest of the batch. */
	if (rv == 0 && belems_copy(&belems, &fk.belems) == -1)
		rv = -ENOMEM;
	if (rv == 0)
		rv = bapply(b, &belems, err, errlen);
	if (fk.refuse_in > 0)
		fk.refuse_in--;
	record(b, rv);
	if (rv == 0) {
		elemvec_free(&fk.elems);
		strvec_free(&fk.closed);
		belemvec_free(&fk.belems);
		fk.elems = elems;
		fk.closed = closed;
		fk.belems = belems;
	} else {
		elemvec_free(&elems);
		strvec_free(&closed);
		belemvec_free(&belems);
	}
	return rv;
}
