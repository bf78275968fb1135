/*
 * kernel_lookup.c: asking the kernel about one element (iccctl check):
 * a netlink GET of the element (NFT_MSG_GETSETELEM without NLM_F_DUMP),
 * which the kernel answers with the element that matches the key (for an
 * interval set, the range holding it) or ENOENT.  No dump: the answer
 * costs the same whatever the sets' size.
 */
#include "kernel_int.h"

#include <errno.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>

struct found {
	bool		hit;
	struct kelem	ke;
};

static int
found_cb(const struct kelem *ke, void *arg)
{
	struct found *f = arg;

	f->hit = true;
	f->ke = *ke;
	return 0;
}

/* elem_get: 1 with *ke the kernel's element when set s holds key. */
static int
elem_get(struct kernel *k, enum kset s, const uint8_t *key, struct kelem *out)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	struct found f = { false, { 0 } };
	struct elemdump d = { s, found_cb, &f, false };
	struct nlattr *list, *el, *kn;
	struct nlmsghdr *nlh;
	int rc;

	nlh = req_hdr(k, buf, NFT_MSG_GETSETELEM, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, k->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, setspecs[s].name);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	kn = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, setspecs[s].keylen, key);
	mnl_attr_nest_end(nlh, kn);
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
	rc = nl_talk(k, nlh, elems_cb, &d);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (!f.hit)
		return d.odd ? -EPROTO : 0;
	*out = f.ke;
	return 1;
}

/* pair_get: 1 when the pairs set of flow's family holds its receiver .
 * source, 0 when not, or a negative errno. */
static int
pair_get(struct kernel *k, const struct icc_elem *flow)
{
	struct icc_elem pair;
	struct kelem ke, got;

	elem_init_pair(&pair, flow);
	kelem_from_elem(&ke, &pair);
	return elem_get(k, ke.set, ke.key, &got);
}

int
kernel_lookup_flow(struct kernel *k, const struct icc_elem *flow,
    struct icc_elem *found)
{
	struct kelem ke, got;
	enum kset s, sets[2];
	int rc;

	kelem_from_elem(&ke, flow);
	sets[0] = flow->family == AF_INET ? KSET_LINKS4 : KSET_LINKS6;
	sets[1] = flow->family == AF_INET ? KSET_RANGES4 : KSET_RANGES6;
	for (int i = 0; i < 2; i++) {
		s = sets[i];
		if ((rc = elem_get(k, s, ke.key, &got)) <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		if (kelem_to_elem(&got, found) < 0)
			return -EPROTO;
		/* A range grants nothing without its pair (rules/icc.nft):
		 * one being drained (rangegc.c) is no answer. */
		if (set_is_interval(s) && (rc = pair_get(k, flow)) <= 0)
			return rc;
		return 1;
	}
	return 0;
}

int
kernel_closed_has(struct kernel *k, const char *bridge)
{
	struct kelem ke, got;

	if (kelem_from_bridge(&ke, bridge) < 0)
		return -errno;
	return elem_get(k, KSET_CLOSED, ke.key, &got);
}
