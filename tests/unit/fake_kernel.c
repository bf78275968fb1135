/*
 * fake_kernel.c: every function of src/iccd/kernel.h over an in-memory
 * table, for the unit tests (see fake_kernel.h); the batches, struct
 * kbatch and kbatch_commit, are fake_kbatch.c's.  Semantics follow the
 * real one where the daemon can tell: a batch is all or nothing, adding
 * an element already there is no error (no NLM_F_EXCL), deleting one that
 * is not there is -ENOENT naming the message, a range overlapping another
 * of its receiver, source and protocol is -EEXIST, and a range counts
 * for kernel_lookup_flow only with its pair.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_kernel_int.h"
#include "linkdata.h"
#include "model.h"

struct kernel {
	char	table[256];
	int	monitor[2];		/* a pipe: only its read end is polled */
};

/* The fake's whole state (fake_kernel_int.h); fake_reset empties it. */
struct fake_state fk;

int
belems_copy(struct belemvec *dst, const struct belemvec *src)
{
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		if (belemvec_push(dst, &src->v[i]) == -1)
			return -1;
	return 0;
}

static void
commit_free(struct fake_commit *c)
{
	elemvec_free(&c->adds);
	elemvec_free(&c->dels);
	for (size_t i = 0; i < c->nclosed_adds; i++)
		free(c->closed_adds[i]);
	for (size_t i = 0; i < c->nclosed_dels; i++)
		free(c->closed_dels[i]);
	free(c->closed_adds);
	free(c->closed_dels);
	belemvec_free(&c->badds);
	belemvec_free(&c->bdels);
}

void
fake_reset(void)
{
	for (size_t i = 0; i < fk.ncommits; i++)
		commit_free(&fk.commits[i]);
	free(fk.commits);
	elemvec_free(&fk.elems);
	strvec_free(&fk.closed);
	belemvec_free(&fk.belems);
	belemvec_free(&fk.bwant);
	memset(&fk, 0, sizeof(fk));
}

const struct fake_commit *
fake_commits(size_t *n)
{
	*n = fk.ncommits;
	return fk.commits;
}

size_t
fake_syncs(void)
{
	return fk.syncs;
}

size_t
fake_loads(void)
{
	return fk.loads;
}

void
fake_set_moved(bool moved)
{
	fk.moved = moved;
}

int
kernel_moved_since_sync(struct kernel *k)
{
	(void)k;
	return fk.moved ? 1 : 0;
}

void
fake_refuse_add(const struct icc_elem *e, int err)
{
	fk.refuse_add = *e;
	fk.refuse_add_err = err;
}

void
fake_refuse(unsigned nth, size_t op, int err)
{
	fk.refuse_in = nth;
	fk.refuse_op = op;
	fk.refuse_err = err;
}

/* ---- the table ---------------------------------------------------------- */

ssize_t
elem_index(const struct elemvec *v, const struct icc_elem *e)
{
	for (size_t i = 0; i < v->n; i++)
		if (elem_cmp(&v->v[i], e) == 0)
			return (ssize_t)i;
	return -1;
}

ssize_t
closed_index(const struct strvec *sv, const char *bridge)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], bridge) == 0)
			return (ssize_t)i;
	return -1;
}

void
elem_remove(struct elemvec *v, size_t i)
{
	v->v[i] = v->v[--v->n];
}

void
closed_remove(struct strvec *sv, size_t i)
{
	free(sv->v[i]);
	sv->v[i] = sv->v[--sv->n];
}

int
elems_copy(struct elemvec *dst, const struct elemvec *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (elemvec_push(dst, &src->v[i]) == -1)
			return -1;
	return 0;
}

int
closed_copy(struct strvec *dst, const struct strvec *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (strvec_push(dst, src->v[i]) == -1)
			return -1;
	return 0;
}

void
fake_table_elems(struct elemvec *out)
{
	elems_copy(out, &fk.elems);
	elemvec_sort(out);
}

bool
fake_table_closed(const char *bridge)
{
	return closed_index(&fk.closed, bridge) >= 0;
}

size_t
fake_table_nclosed(void)
{
	return fk.closed.n;
}

bool
fake_table_present(void)
{
	return fk.present;
}

static void
foreign(const char *cause)
{
	snprintf(fk.foreign, sizeof(fk.foreign), "%s", cause);
}

void
fake_foreign_del_elem(const struct icc_elem *e)
{
	ssize_t i = elem_index(&fk.elems, e);

	if (i >= 0)
		elem_remove(&fk.elems, (size_t)i);
	foreign("set links4: element deleted");
}

void
fake_foreign_add_elem(const struct icc_elem *e)
{
	if (elem_index(&fk.elems, e) < 0)
		elemvec_push(&fk.elems, e);
	foreign("set links4: element added");
}

void
fake_foreign_del_closed(const char *bridge)
{
	ssize_t i = closed_index(&fk.closed, bridge);

	if (i >= 0)
		closed_remove(&fk.closed, (size_t)i);
	foreign("set closed: element deleted");
}

void
fake_foreign_clear_belems(void)
{
	fk.belems.n = 0;
	foreign("set portmac: element deleted");
}

/* ---- kernel.h ----------------------------------------------------------- */

struct kernel *
kernel_open(const char *table)
{
	struct kernel *k;

	if (strlen(table) > 255) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	snprintf(k->table, sizeof(k->table), "%s", table);
	k->monitor[0] = k->monitor[1] = -1;
	return k;
}

void
kernel_close(struct kernel *k)
{
	if (k == NULL)
		return;
	if (k->monitor[0] != -1) {
		close(k->monitor[0]);
		close(k->monitor[1]);
	}
	free(k);
}

int
kernel_sync(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, long *nchanged,
    char *err, size_t errlen)
{
	long changed = 0;

	fk.syncs++;
	if (!fk.present)
		changed = -1;
	for (size_t i = 0; changed >= 0 && i < elems->n; i++)
		if (elem_index(&fk.elems, &elems->v[i]) < 0)
			changed++;
	for (size_t i = 0; changed >= 0 && i < fk.elems.n; i++)
		if (elem_index(elems, &fk.elems.v[i]) < 0)
			changed++;
	elemvec_clear(&fk.elems);
	strvec_free(&fk.closed);
	if (elems_copy(&fk.elems, elems) == -1)
		goto nomem;
	for (size_t i = 0; i < nclosed; i++)
		if (strvec_push(&fk.closed, closed[i]) == -1)
			goto nomem;
	if (belems_copy(&fk.belems, &fk.bwant) == -1)
		goto nomem;
	fk.present = true;
	if (nchanged != NULL)
		*nchanged = changed;
	return 0;
nomem:
	if (err != NULL)
		snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int
kernel_load(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, const struct belemvec *binds,
    char *err, size_t errlen)
{
	int rc;

	if (fk.present)
		return 0;
	fk.loads++;
	if (belems_copy(&fk.bwant, binds) == -1)
		return -ENOMEM;
	rc = kernel_sync(k, elems, closed, nclosed, NULL, err, errlen);
	fk.syncs--;	/* counted as a load */
	return rc < 0 ? rc : 1;
}

int
kernel_set_bindings(struct kernel *k, const struct belemvec *all)
{
	return belems_copy(&fk.bwant, all) == -1 ? -ENOMEM : 0;
}

void
fake_table_belems(struct belemvec *out)
{
	if (belems_copy(out, &fk.belems) == -1)
		abort();
	belemvec_sort_uniq(out);
}

int
kernel_dump_elems(struct kernel *k, struct elemvec *out)
{
	if (!fk.present)
		return -ENOENT;
	return elems_copy(out, &fk.elems) == -1 ? -ENOMEM : 0;
}

int
kernel_dump_belems(struct kernel *k, struct belemvec *out)
{
	if (!fk.present)
		return -ENOENT;
	fake_table_belems(out);
	return 0;
}

int
kernel_dump_closed(struct kernel *k, void (*fn)(const char *, void *),
    void *arg)
{
	if (!fk.present)
		return -ENOENT;
	for (size_t i = 0; i < fk.closed.n; i++)
		fn(fk.closed.v[i], arg);
	return 0;
}

void
kernel_set_log_group(struct kernel *k, int group)
{
	(void)k;
	(void)group;
}

void
kernel_set_owned(struct kernel *k, bool own)
{
	(void)k;
	(void)own;
}

int
kernel_delete_table(struct kernel *k)
{
	if (!fk.present)
		return -ENOENT;
	fk.present = false;
	elemvec_clear(&fk.elems);
	strvec_free(&fk.closed);
	fk.belems.n = 0;
	foreign("table deleted");
	return 0;
}

int
kernel_monitor_open(struct kernel *k, size_t rcvbuf)
{
	if (k->monitor[0] == -1 && pipe(k->monitor) == -1)
		return -1;
	return k->monitor[0];
}

int
kernel_monitor_read(struct kernel *k, char *cause, size_t len)
{
	if (k->monitor[0] == -1)
		return -EBADF;
	if (fk.foreign[0] == '\0')
		return 0;
	snprintf(cause, len, "%s", fk.foreign);
	fk.foreign[0] = '\0';
	return 1;
}

void
kernel_sync_stats(const struct kernel *k, struct ksync_stats *st)
{
	memset(st, 0, sizeof(*st));
}

int
kernel_bridge_nf(char *err, size_t errlen)
{
	return 0;
}

int
kernel_bridge_nf_check(char *err, size_t errlen)
{
	return 0;
}

/* kernel_lookup_flow: as the kernel's GET: the element holding the flow's
 * port, the hash set's (single port) before the interval set's. */
int
kernel_lookup_flow(struct kernel *k, const struct icc_elem *flow,
    struct icc_elem *found)
{
	const struct icc_elem *hit = NULL, *e;

	if (!fk.present)
		return 0;
	for (size_t i = 0; i < fk.elems.n; i++) {
		e = &fk.elems.v[i];
		if (!elem_same_flow(e, flow) || flow->first < e->first ||
		    flow->first > e->last)
			continue;
		if (hit == NULL || (e->first == e->last && hit->first !=
		    hit->last))
			hit = e;
	}
	if (hit == NULL)
		return 0;
	/* A range counts only with its pair (rules/icc.nft). */
	if (elem_is_range(hit)) {
		struct icc_elem pair;

		elem_init_pair(&pair, hit);
		if (elem_index(&fk.elems, &pair) < 0)
			return 0;
	}
	*found = *hit;
	return 1;
}

int
kernel_closed_has(struct kernel *k, const char *bridge)
{
	return fk.present && closed_index(&fk.closed, bridge) >= 0;
}

/* The fake's table is never owned. */
int
kernel_owned(const struct kernel *k)
{
	return 0;
}

/* No drop log in the fake: iccd's loop never reads it here. */
int
kernel_nflog_read(struct kernel *k, size_t max,
    void (*fn)(const struct kdrop *, void *), void *arg)
{
	return -EBADF;
}
