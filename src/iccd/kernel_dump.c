/*
 * kernel_dump.c: reading the sets' elements back from the kernel: the
 * element dump that kernel_sync, kbatch and the callers share, and the
 * callers' dumps (kernel_dump_elems, kernel_dump_closed).
 */
#include "kernel_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

/* ---- element dumps ----------------------------------------------------- */

/* key_get: the NFTA_DATA_VALUE inside a key nest, of exactly len bytes. */
static int
key_get(const struct nlattr *nest, uint8_t *key, size_t len)
{
	const struct nlattr *tb[NFTA_DATA_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_DATA_MAX };

	if (mnl_attr_parse_nested(nest, attrs_cb, &at) < 0 ||
	    tb[NFTA_DATA_VALUE] == NULL ||
	    mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]) != len)
		return -1;
	memcpy(key, mnl_attr_get_payload(tb[NFTA_DATA_VALUE]), len);
	return 0;
}

/*
 * elem_parse: one NFTA_LIST_ELEM of set s.  Returns -1 for an element
 * iccd cannot have added (flags such as catch-all, a key of another
 * length).  An interval set's element without KEY_END is a single value
 * (the kernel keeps none when start == end): its end is its start.
 */
static int
elem_parse(const struct nlattr *nest, enum kset s, struct kelem *ke)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_SET_ELEM_MAX };
	size_t len = setspecs[s].keylen;

	memset(ke, 0, sizeof(*ke));
	ke->set = s;
	if (mnl_attr_parse_nested(nest, attrs_cb, &at) < 0 ||
	    tb[NFTA_SET_ELEM_KEY] == NULL ||
	    key_get(tb[NFTA_SET_ELEM_KEY], ke->key, len) < 0)
		return -1;
	if (tb[NFTA_SET_ELEM_FLAGS] != NULL &&
	    ntohl(mnl_attr_get_u32(tb[NFTA_SET_ELEM_FLAGS])) != 0)
		return -1;
	if (!set_is_interval(s))
		return tb[NFTA_SET_ELEM_KEY_END] == NULL ? 0 : -1;
	if (tb[NFTA_SET_ELEM_KEY_END] == NULL) {
		memcpy(ke->end, ke->key, len);
		return 0;
	}
	return key_get(tb[NFTA_SET_ELEM_KEY_END], ke->end, len);
}

int
elems_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_SET_ELEM_LIST_MAX };
	struct elemdump *d = arg;
	const struct nlattr *a;
	struct kelem ke;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attrs_cb, &at) < 0)
		return MNL_CB_ERROR;
	if (tb[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		if (elem_parse(a, d->set, &ke) < 0) {
			d->odd = true;
			continue;
		}
		if (d->fn(&ke, d->arg) < 0)
			return MNL_CB_ERROR;	/* fn set errno */
	}
	return MNL_CB_OK;
}

/* elems_dump: run fn on every element of set s; *odd tells of others. */
int
elems_dump(struct kernel *k, enum kset s, int (*fn)(const struct kelem *,
    void *), void *arg, bool *odd)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	struct elemdump d = { s, fn, arg, false };
	struct nlmsghdr *nlh;
	int rc;

	nlh = req_hdr(k, buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, k->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, setspecs[s].name);
	errno = 0;
	rc = nl_talk(k, nlh, elems_cb, &d);
	if (odd != NULL)
		*odd = d.odd;
	return rc;
}

int
kelem_collect(const struct kelem *ke, void *arg)
{
	return kelemvec_push(arg, ke);
}

/* ---- dumps for the caller --------------------------------------------------- */

static int
elem_collect(const struct kelem *ke, void *arg)
{
	struct icc_elem e;

	if (kelem_to_elem(ke, &e) < 0) {
		errno = EPROTO;
		return -1;
	}
	return elemvec_push(arg, &e);
}

/*
 * kernel_dump_elems: an element iccd cannot have added (a catch-all, a
 * range of addresses) has no struct icc_elem: -EPROTO, and kernel_sync
 * will replace the table.  A dump cut short by a concurrent change is
 * started again.
 */
int
kernel_dump_elems(struct kernel *k, struct elemvec *out)
{
	size_t n0 = out->n;
	bool odd;
	int s, rc, try;

	for (try = 0; try < SYNC_TRIES; try++) {
		out->n = n0;
		for (rc = 0, s = 0; s < ICC_SET_NR && rc == 0; s++) {
			rc = elems_dump(k, s, elem_collect, out, &odd);
			if (rc == 0 && odd)
				rc = -EPROTO;
		}
		if (rc != -EINTR)
			break;
	}
	if (rc < 0)
		out->n = n0;
	return rc;
}

struct closed_fn {
	void	(*fn)(const char *, void *);
	void	 *arg;
};

/*
 * An element whose two names differ is not iccd's: it is reported as
 * "a . b", which no bridge is called, so the caller sees a difference.
 */
static int
closed_call(const struct kelem *ke, void *arg)
{
	const struct closed_fn *c = arg;
	char name[2 * IFNAMSIZ + 8];

	if (memcmp(ke->key, ke->key + IFNAMSIZ, IFNAMSIZ) == 0)
		snprintf(name, sizeof(name), "%.*s", IFNAMSIZ,
		    (const char *)ke->key);
	else
		snprintf(name, sizeof(name), "%.*s . %.*s", IFNAMSIZ,
		    (const char *)ke->key, IFNAMSIZ,
		    (const char *)ke->key + IFNAMSIZ);
	c->fn(name, c->arg);
	return 0;
}

int
kernel_dump_closed(struct kernel *k, void (*fn)(const char *bridge, void *),
    void *arg)
{
	struct closed_fn c = { fn, arg };
	bool odd;
	int rc;

	rc = elems_dump(k, KSET_CLOSED, closed_call, &c, &odd);
	if (rc == 0 && odd)
		rc = -EPROTO;
	return rc;
}
