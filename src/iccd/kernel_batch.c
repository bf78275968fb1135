/*
 * kernel_batch.c: struct kbatch, the callers' batch of element and
 * closed-bridge changes (kernel.h), committed as one transaction; range
 * deletes are checked against the kernel first (see below).
 */
#include "kernel_int.h"

#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/set.h>

struct kop {
	bool		del;
	struct kelem	ke;
	unsigned	tag;		/* kbatch_append's, else 0 */
};

struct kbatch {
	struct kernel	*k;
	struct kop	*ops;
	size_t		 n, cap;
	struct belemvec	 badd, bdel;	/* bridge table elements */
	long		 refused;	/* kbatch_refused */
};

/* ---- kbatch ------------------------------------------------------------- */

struct kbatch *
kbatch_new(struct kernel *k)
{
	struct kbatch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->k = k;
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

static struct kop *
kbatch_op(struct kbatch *b, bool del)
{
	struct kop *op;

	if (grow_array((void **)&b->ops, &b->cap, b->n, sizeof(*b->ops)) < 0)
		return NULL;
	op = &b->ops[b->n];
	op->del = del;
	op->tag = 0;
	return op;
}

static int
kbatch_elem(struct kbatch *b, const struct icc_elem *e, bool del)
{
	struct kop *op;

	if ((op = kbatch_op(b, del)) == NULL)
		return -1;
	kelem_from_elem(&op->ke, e);
	b->n++;
	return 0;
}

/* Bridge names over IFNAMSIZ - 1 bytes fail with ENAMETOOLONG. */
static int
kbatch_closed(struct kbatch *b, const char *bridge, bool del)
{
	struct kop *op;

	if ((op = kbatch_op(b, del)) == NULL ||
	    kelem_from_bridge(&op->ke, bridge) < 0)
		return -1;
	b->n++;
	return 0;
}

int
kbatch_add_elem(struct kbatch *b, const struct icc_elem *e)
{
	return kbatch_elem(b, e, false);
}

int
kbatch_del_elem(struct kbatch *b, const struct icc_elem *e)
{
	return kbatch_elem(b, e, true);
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

int
kbatch_add_closed(struct kbatch *b, const char *bridge)
{
	return kbatch_closed(b, bridge, false);
}

int
kbatch_del_closed(struct kbatch *b, const char *bridge)
{
	return kbatch_closed(b, bridge, true);
}

/*
 * A delete from a concatenated interval (pipapo) set removes whichever
 * element holds the start of the range given: the kernel looks the start
 * up as a point, so deleting 7500-7600 removes 7000-7999.  So that the
 * delete of an absent range fails with ENOENT as in a hash set, such
 * deletes are checked against the kernel first, and the batch carries the
 * generation id they were checked at.
 */
struct elemfind {
	const struct kelem	*want;
	bool			 found;
};

static int
elem_match(const struct kelem *ke, void *arg)
{
	struct elemfind *f = arg;

	if (kelem_cmp(ke, f->want) == 0)
		f->found = true;
	return 0;
}

/* elem_exists: 1 if the kernel holds exactly ke, 0 if not, or -errno. */
static int
elem_exists(struct kernel *k, const struct kelem *ke)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	const struct setspec *sp = &setspecs[ke->set];
	struct elemfind f = { ke, false };
	struct elemdump d = { (enum kset)ke->set, elem_match, &f, false };
	struct nftnl_set_elem *se;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int rc;

	if ((se = nftnl_set_elem_alloc()) == NULL)
		return -ENOMEM;
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, ke->key, sp->keylen);
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, ke->end, sp->keylen);
	nlh = req_hdr(k, buf, NFT_MSG_GETSETELEM, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, k->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, sp->name);
	nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	nftnl_set_elem_nlmsg_build(nlh, se, NFTA_LIST_ELEM);
	mnl_attr_nest_end(nlh, nest);
	nftnl_set_elem_free(se);
	errno = 0;
	rc = nl_talk(k, nlh, elems_cb, &d);
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : f.found;
}

/* kbatch_prior: the last op before op i on exactly its element. */
static const struct kop *
kbatch_prior(const struct kbatch *b, size_t i)
{
	const struct kop *op = &b->ops[i];

	while (i-- > 0)
		if (b->ops[i].ke.set == op->ke.set &&
		    kelem_cmp(&b->ops[i].ke, &op->ke) == 0)
			return &b->ops[i];
	return NULL;
}

static bool
kbatch_has_range_dels(const struct kbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->ops[i].del && set_is_interval(b->ops[i].ke.set))
			return true;
	return false;
}

/* Each range delete must find its range, in the kernel or added before. */
static int
kbatch_check_dels(const struct kbatch *b, char *err, size_t errlen,
    long *refused)
{
	char what[ELEM_FMT_LEN + 8];
	const struct kop *op, *prior;
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		op = &b->ops[i];
		if (!op->del || !set_is_interval(op->ke.set))
			continue;
		if ((prior = kbatch_prior(b, i)) != NULL)
			rc = !prior->del;
		else if ((rc = elem_exists(b->k, &op->ke)) < 0)
			return rc;
		if (rc == 0) {
			*refused = (long)op->tag;
			kelem_format(&op->ke, what, sizeof(what));
			errfmt(err, errlen, "del element %s %s: %s",
			    setspecs[op->ke.set].name, what, strerror(ENOENT));
			return -ENOENT;
		}
	}
	return 0;
}

static int
kbatch_try(struct kbatch *b, char *err, size_t errlen)
{
	struct ktxn t;
	uint32_t genid = 0;
	size_t i;
	int rc;

	if (kbatch_has_range_dels(b) &&
	    ((rc = genid_get(b->k, &genid)) < 0 ||
	    (rc = kbatch_check_dels(b, err, errlen, &b->refused)) < 0)) {
		if (rc != -ENOENT)
			errfmt(err, errlen, "check deletes in table inet %s: "
			    "%s", b->k->table, strerror(-rc));
		return rc;
	}
	if ((rc = ktxn_init(&t, b->k, genid)) < 0) {
		errfmt(err, errlen, "batch: %s", strerror(-rc));
		return rc;
	}
	/* In the order recorded: a delete and an add of one element. */
	for (i = 0; i < b->n; i++)
		ktxn_elem(&t, b->ops[i].del, &b->ops[i].ke);
	/* The bridge table's elements in the same transaction. */
	ktxn_elems_close(&t);
	kbridge_txn_elems(&t, &b->bdel, true);
	kbridge_txn_elems(&t, &b->badd, false);
	rc = ktxn_commit(&t, err, errlen);
	/* The refused element is one of b->ops (ktxn_elem's pointer). */
	if (rc < 0 && t.refused != NULL)
		b->refused = (long)((const struct kop *)(const void *)
		    ((const char *)t.refused - offsetof(struct kop, ke)))->tag;
	ktxn_free(&t);
	return rc;
}

int
kbatch_commit(struct kbatch *b, char *err, size_t errlen)
{
	int rc, try;

	errfmt(err, errlen, "%s", "");
	b->refused = -1;
	if (b->n == 0 && b->badd.n == 0 && b->bdel.n == 0)
		return 0;
	/* ERESTART only comes with a genid: the checked state moved on. */
	for (try = 0; try < SYNC_TRIES; try++) {
		if ((rc = kbatch_try(b, err, errlen)) == -ERESTART)
			continue;
		if (rc == 0)
			errfmt(err, errlen, "%s", "");
		return rc;
	}
	errfmt(err, errlen, "commit to table inet %s: the ruleset kept "
	    "changing (%d tries)", b->k->table, SYNC_TRIES);
	return -EAGAIN;
}

/* ---- one transaction of several batches ------------------------------------ */

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

/* belem_find: where e is in v, or -1. */
static long
belem_find(const struct belemvec *v, const struct icc_belem *e)
{
	for (size_t i = 0; i < v->n; i++)
		if (memcmp(&v->v[i], e, sizeof(*e)) == 0)
			return (long)i;
	return -1;
}

int
kbatch_append(struct kbatch *dst, const struct kbatch *src, unsigned tag)
{
	struct kop *op;
	long j;

	for (size_t i = 0; i < src->n; i++) {
		if ((op = kbatch_op(dst, src->ops[i].del)) == NULL)
			return -1;
		op->ke = src->ops[i].ke;
		op->tag = tag;
		dst->n++;
	}
	/*
	 * The bridge table's deletes all go before its adds (kbatch_try):
	 * an element an earlier batch adds and this one deletes cancels
	 * out instead, or its delete would come first and find nothing.
	 */
	for (size_t i = 0; i < src->bdel.n; i++) {
		if ((j = belem_find(&dst->badd, &src->bdel.v[i])) >= 0)
			dst->badd.v[j] = dst->badd.v[--dst->badd.n];
		else if (belemvec_push(&dst->bdel, &src->bdel.v[i]) == -1)
			return -1;
	}
	for (size_t i = 0; i < src->badd.n; i++)
		if (belemvec_push(&dst->badd, &src->badd.v[i]) == -1)
			return -1;
	return 0;
}
