/*
 * kernel_sync.c: make the table equal to the desired state (kernel_sync):
 * dump, diff, edit or rebuild, and add large element sets in chunks; and
 * delete the table (kernel_delete_table).
 */
#include "kernel_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Link elements one sync transaction adds at most: the kernel holds the
 * nftables commit mutex for the whole commit (about 3.5 us per element),
 * so a 100k-element start in one transaction would stall every other
 * nftables user on the host for ~0.35 s.  Adding in chunks is safe: link
 * elements only grant access, and the layout, the rules, the closed
 * bridges and every delete go in the first transaction.
 */
#define SYNC_CHUNK		4096

/* ---- kernel_sync -------------------------------------------------------- */

static int
want_build(struct kelemvec *want, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, char *err, size_t errlen)
{
	struct kelem ke;
	size_t i;

	for (i = 0; elems != NULL && i < elems->n; i++) {
		kelem_from_elem(&ke, &elems->v[i]);
		if (kelemvec_push(want, &ke) < 0)
			goto nomem;
	}
	for (i = 0; i < nclosed; i++) {
		if (kelem_from_bridge(&ke, closed[i]) < 0) {
			errfmt(err, errlen, "closed bridge \"%s\": %s",
			    closed[i], strerror(errno));
			return -errno;
		}
		if (kelemvec_push(want, &ke) < 0)
			goto nomem;
	}
	/* Not sorted yet: only a diff against the table needs it, and a
	 * start into a missing table (a rebuild) does not. */
	return 0;
nomem:
	errfmt(err, errlen, "sync: %s", strerror(ENOMEM));
	return -ENOMEM;
}

/*
 * have_dump: every element of the seven sets into have.  An element iccd
 * cannot have added (see elem_parse) marks the layout as wrong: the table
 * is rebuilt rather than edited.
 */
static int
have_dump(struct kernel *k, struct kelemvec *have, struct layout *l)
{
	bool odd;
	int s, rc;

	have->n = 0;
	for (s = 0; s < KSET_NR; s++) {
		rc = elems_dump(k, set_order[s], kelem_collect, have, &odd);
		if (rc < 0)
			return rc;
		l->odd_elem |= odd;
	}
	kelemvec_sort_uniq(have);
	return 0;
}

/*
 * sync_diff: walk the sorted want and have, emitting the deletions or the
 * additions into t (deletions go first: an interval set refuses a range
 * overlapping one still there).  With t NULL, only count.  Returns the
 * count; ndel[s] (may be NULL) gets the deletions per set.
 */
static long
sync_diff(struct ktxn *t, const struct kelemvec *want,
    const struct kelemvec *have, bool del, size_t ndel[KSET_NR])
{
	size_t i = 0, j = 0;
	long n = 0;
	int c;

	while (i < want->n || j < have->n) {
		if (i == want->n)
			c = 1;
		else if (j == have->n)
			c = -1;
		else
			c = kelem_cmp(&want->v[i], &have->v[j]);
		if (c < 0 && !del) {
			if (t != NULL)
				ktxn_elem(t, false, &want->v[i]);
			n++;
		} else if (c > 0 && del) {
			if (t != NULL)
				ktxn_elem(t, true, &have->v[j]);
			if (ndel != NULL)
				ndel[have->v[j].set]++;
			n++;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return n;
}

/*
 * Removing one element from a concatenated interval (pipapo) set costs
 * the kernel time in proportion to the set's size, at commit, holding the
 * nftables commit mutex: measured on 6.18, 1,000 deletions from a 10,000
 * range set took 23 s, while deleting the table and creating it anew with
 * 100,000 elements takes a quarter of a second.  Past the point where
 * deleting costs more than rebuilding (in units of about 2.5 us: one
 * deletion per element of its set against one hash element or a quarter
 * of a range element to add), sync rebuilds instead.
 */
#define REBUILD_SLACK	10000

static bool
sync_rebuild_cheaper(const struct kelemvec *want, const struct kelemvec *have)
{
	size_t ndel[KSET_NR] = { 0 }, nhave[KSET_NR] = { 0 };
	size_t i, delcost = 0, buildcost = REBUILD_SLACK;

	(void)sync_diff(NULL, want, have, true, ndel);
	for (i = 0; i < have->n; i++)
		nhave[have->v[i].set]++;
	for (i = 0; i < KSET_NR; i++)
		if (set_is_interval(i))
			delcost += ndel[i] * nhave[i];
	for (i = 0; i < want->n; i++)
		buildcost += set_is_interval(want->v[i].set) ? 4 : 1;
	return delcost > buildcost;
}

/* The table as it should be, replacing whatever has the name. */
static void
sync_rebuild(struct ktxn *t, const struct kelemvec *want)
{
	size_t i;
	int s;

	/* Add first so that the delete never fails for want of a table. */
	ktxn_table(t, NFT_MSG_NEWTABLE, "add");
	ktxn_table(t, NFT_MSG_DELTABLE, "delete");
	ktxn_table_flags(t, table_flags(t->k), "create");
	for (s = 0; s < KSET_NR; s++)
		ktxn_set(t, set_order[s]);
	ktxn_chain_add(t, FORWARD_CHAIN, true);
	ktxn_chain_add(t, ISOLATE_CHAIN, false);
	ktxn_rules(t);
	for (i = 0; i < want->n; i++)
		if (want->v[i].set == KSET_CLOSED)
			ktxn_elem(t, false, &want->v[i]);
}

/* diff_adds: the elements of want that have lacks, in order. */
static int
diff_adds(const struct kelemvec *want, const struct kelemvec *have,
    struct kelemvec *out)
{
	size_t i = 0, j = 0;
	int c;

	while (i < want->n) {
		c = j == have->n ? -1 : kelem_cmp(&want->v[i], &have->v[j]);
		if (c < 0 && kelemvec_push(out, &want->v[i]) < 0)
			return -ENOMEM;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return 0;
}

/* link_elems: the link-set elements of want (a rebuild adds them). */
static int
link_elems(const struct kelemvec *want, struct kelemvec *out)
{
	for (size_t i = 0; i < want->n; i++)
		if (want->v[i].set != KSET_CLOSED &&
		    kelemvec_push(out, &want->v[i]) < 0)
			return -ENOMEM;
	return 0;
}

/*
 * sync_first_adds: into the first transaction, every closed-bridge add
 * (closing must never wait) and up to SYNC_CHUNK link adds.  Returns the
 * index of the first link add left for sync_rest.
 */
static size_t
sync_first_adds(struct ktxn *t, const struct kelemvec *adds)
{
	size_t links = 0, i;

	for (i = 0; i < adds->n; i++)
		if (adds->v[i].set == KSET_CLOSED)
			ktxn_elem(t, false, &adds->v[i]);
	for (i = 0; i < adds->n && links < SYNC_CHUNK; i++) {
		if (adds->v[i].set == KSET_CLOSED)
			continue;
		ktxn_elem(t, false, &adds->v[i]);
		links++;
	}
	return i;
}

/* sync_rest: the remaining link adds, SYNC_CHUNK per transaction. */
static int
sync_rest(struct kernel *k, const struct kelemvec *adds, size_t from,
    char *err, size_t errlen)
{
	struct ktxn t;
	size_t end;
	int rc;

	while (from < adds->n) {
		end = from + SYNC_CHUNK < adds->n ? from + SYNC_CHUNK : adds->n;
		if ((rc = ktxn_init(&t, k, 0)) < 0) {
			errfmt(err, errlen, "sync: %s", strerror(-rc));
			return rc;
		}
		for (; from < end; from++)
			if (adds->v[from].set != KSET_CLOSED)
				ktxn_elem(&t, false, &adds->v[from]);
		rc = ktxn_commit(&t, err, errlen);
		ktxn_free(&t);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * sync_once: one dump, diff and commit.  fresh: only into a missing
 * table (or one a sync would rebuild): a table with iccd's layout is left
 * as it is and 1 returned.
 */
static int
sync_once(struct kernel *k, struct kelemvec *want, bool *sorted,
    struct kelemvec *have, bool fresh, long *nchanged, char *err,
    size_t errlen)
{
	struct kelemvec adds = { 0 };
	struct layout l;
	struct ktxn t;
	uint32_t genid;
	size_t first;
	long n, t0 = mono_ns();
	unsigned ntxn = k->stats.ntxn;
	int rc;

	rc = genid_get(k, &genid);
	if (rc == 0)
		rc = layout_dump(k, &l);
	if (rc == 0 && fresh && layout_ok(&l)) {
		k->stats.dump_ns += mono_ns() - t0;
		return 1;
	}
	if (rc == 0 && layout_ok(&l))
		rc = have_dump(k, have, &l);
	k->stats.dump_ns += mono_ns() - t0;
	if (rc < 0) {
		errfmt(err, errlen, "dump table inet %s: %s", k->table,
		    strerror(-rc));
		return rc;
	}
	if ((rc = ktxn_init(&t, k, genid)) < 0) {
		errfmt(err, errlen, "sync: %s", strerror(-rc));
		return rc;
	}
	if (layout_ok(&l) && !*sorted) {
		long t1 = mono_ns();

		kelemvec_sort_uniq(want);
		*sorted = true;
		k->stats.sort_ns += mono_ns() - t1;
	}
	if (layout_ok(&l) && !sync_rebuild_cheaper(want, have)) {
		/* An orphan (a dead iccd's owned table) becomes ours. */
		if (l.adopt)
			ktxn_table_flags(&t, TABLE_F_OWNED, "adopt");
		ktxn_chain_flush(&t, FORWARD_CHAIN);
		ktxn_chain_flush(&t, ISOLATE_CHAIN);
		ktxn_rules(&t);
		n = sync_diff(&t, want, have, true, NULL);
		rc = diff_adds(want, have, &adds);
		n += (long)adds.n;
	} else {
		sync_rebuild(&t, want);
		rc = link_elems(want, &adds);
		n = -1;
	}
	if (rc < 0) {
		errfmt(err, errlen, "sync: %s", strerror(-rc));
		ktxn_free(&t);
		free(adds.v);
		return rc;
	}
	first = sync_first_adds(&t, &adds);
	/* The bridge table, whole, in the same transaction. */
	ktxn_elems_close(&t);
	kbridge_txn_rebuild(&t, &k->bwant);
	rc = ktxn_commit(&t, err, errlen);
	ktxn_free(&t);
	if (rc == 0)
		rc = sync_rest(k, &adds, first, err, errlen);
	free(adds.v);
	if (rc == 0 && nchanged != NULL)
		*nchanged = n;
	/* The first commit carried genid (ERESTART had it moved): each of
	 * ours since has moved it by one. */
	if (rc == 0)
		k->sync_genid = genid + (k->stats.ntxn - ntxn);
	return rc;
}

static int
sync_mode(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, bool fresh, long *nchanged,
    char *err, size_t errlen)
{
	struct kelemvec want = { 0 }, have = { 0 };
	long t0 = mono_ns();
	bool sorted = false;
	int rc, try;

	memset(&k->stats, 0, sizeof(k->stats));
	k->sync_genid = 0;
	errfmt(err, errlen, "%s", "");
	rc = want_build(&want, elems, closed, nclosed, err, errlen);
	k->stats.sort_ns = mono_ns() - t0;	/* the sort is added later */
	if (rc < 0)
		goto out;
	/*
	 * Retry when the ruleset moved between dump and commit (ERESTART),
	 * a dump was interrupted by a change (EINTR), or acks were lost
	 * (ENOBUFS, the buffer is bigger now): the next dump tells where
	 * things stand.
	 */
	for (try = 0; try < SYNC_TRIES; try++) {
		rc = sync_once(k, &want, &sorted, &have, fresh, nchanged, err,
		    errlen);
		if (rc == -EOPNOTSUPP && k->own) {
			/* No persist flag (before 6.9): an owned table would
			 * die with iccd, so none; self-healing guards it. */
			k->own = false;
			k->own_refused = true;
			try--;
			continue;
		}
		if (rc >= 0)
			errfmt(err, errlen, "%s", "");
		if (rc != -ERESTART && rc != -EINTR && rc != -ENOBUFS)
			goto out;
	}
	errfmt(err, errlen, "sync table inet %s: gave up after %d tries "
	    "(ruleset changing under us or acks lost; last: %s)", k->table,
	    SYNC_TRIES, strerror(-rc));
	rc = -EAGAIN;
out:
	free(want.v);
	free(have.v);
	k->stats.build_ns = mono_ns() - t0 - k->stats.sort_ns -
	    k->stats.dump_ns - k->stats.commit_ns;
	return rc;
}

int
kernel_sync(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, long *nchanged,
    char *err, size_t errlen)
{
	return sync_mode(k, elems, closed, nclosed, false, nchanged, err,
	    errlen);
}

int
kernel_load(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, const struct belemvec *binds,
    char *err, size_t errlen)
{
	int rc;

	if ((rc = kernel_set_bindings(k, binds)) < 0) {
		errfmt(err, errlen, "sync: %s", strerror(-rc));
		return rc;
	}
	rc = sync_mode(k, elems, closed, nclosed, true, NULL, err, errlen);
	return rc == 1 ? 0 : rc == 0 ? 1 : rc;
}

void
kernel_sync_stats(const struct kernel *k, struct ksync_stats *st)
{
	*st = k->stats;
}

int
kernel_moved_since_sync(struct kernel *k)
{
	uint32_t now;
	int rc;

	if (k->sync_genid == 0)
		return 1;
	if ((rc = genid_get(k, &now)) < 0)
		return rc;
	return now != k->sync_genid;
}

int
kernel_delete_table(struct kernel *k)
{
	struct ktxn t;
	int rc;

	if ((rc = ktxn_init(&t, k, 0)) < 0)
		return rc;
	ktxn_table(&t, NFT_MSG_DELTABLE, "delete");
	rc = ktxn_commit(&t, NULL, 0);
	ktxn_free(&t);
	/* The bridge table on its own: add + delete never fails for want of
	 * it, and its absence must not fail the inet one's delete. */
	if (ktxn_init(&t, k, 0) == 0) {
		kbridge_txn_delete(&t);
		(void)ktxn_commit(&t, NULL, 0);
		ktxn_free(&t);
	}
	return rc;
}

void
kernel_set_owned(struct kernel *k, bool own)
{
	k->own = own;
	k->own_refused = false;
}

int
kernel_owned(const struct kernel *k)
{
	return k->own ? 1 : k->own_refused ? -1 : 0;
}
