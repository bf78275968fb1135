/*
 * kernel_layout.c: the table's layout (rules/icc.nft): the seven sets'
 * specs, the raw element keys and how struct icc_elem and bridge names
 * map to them, and layout_dump, which tells whether the table in the
 * kernel still has that layout.
 *
 * Set elements are built by hand from struct icc_elem: the key is what the
 * lookup rules load into consecutive registers, each field padded to 4
 * bytes (receiver address, source address, l4proto, port in network byte
 * order), exactly as nft lays out a concatenation.
 */
#include "kernel_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

/*
 * nft's datatype numbers (nftables include/datatype.h).  A concatenation's
 * key type is its fields' types, 6 bits each (nft's TYPE_BITS), first
 * field highest: it is what lets `nft list` print the set's type and
 * elements.
 */
#define TYPE_IPADDR		7
#define TYPE_IP6ADDR		8
#define TYPE_INET_PROTOCOL	12
#define TYPE_INET_SERVICE	13
#define TYPE_IFNAME		41
#define CONCAT2(a, b)		(((a) << 6) | (b))
#define CONCAT4(a, b, c, d)	CONCAT2(CONCAT2(CONCAT2(a, b), c), d)
#define LINK4_TYPE \
	CONCAT4(TYPE_IPADDR, TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE)
#define LINK6_TYPE \
	CONCAT4(TYPE_IP6ADDR, TYPE_IP6ADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE)

const struct setspec setspecs[KSET_NR] = {
	[KSET_CLOSED] = { "closed", CONCAT2(TYPE_IFNAME, TYPE_IFNAME),
	    2 * IFNAMSIZ, 0, { 0 }, 1 },
	[KSET_LINKS4] = { "links4", LINK4_TYPE, 16, 0, { 0 }, 2 },
	[KSET_RANGES4] = { "ranges4", LINK4_TYPE, 16,
	    NFT_SET_CONCAT | NFT_SET_INTERVAL, { 4, 4, 1, 2 }, 3 },
	[KSET_LINKS6] = { "links6", LINK6_TYPE, 40, 0, { 0 }, 4 },
	[KSET_RANGES6] = { "ranges6", LINK6_TYPE, 40,
	    NFT_SET_CONCAT | NFT_SET_INTERVAL, { 16, 16, 1, 2 }, 5 },
	[KSET_PAIRS4] = { "pairs4", CONCAT2(TYPE_IPADDR, TYPE_IPADDR), 8, 0,
	    { 0 }, 6 },
	[KSET_PAIRS6] = { "pairs6", CONCAT2(TYPE_IP6ADDR, TYPE_IP6ADDR), 32, 0,
	    { 0 }, 7 },
};

/* Creation order, which is also the order `nft list` prints them in. */
const enum kset set_order[KSET_NR] = {
	KSET_CLOSED, KSET_LINKS4, KSET_RANGES4, KSET_LINKS6, KSET_RANGES6,
	KSET_PAIRS4, KSET_PAIRS6
};

int
kelemvec_push(struct kelemvec *kv, const struct kelem *ke)
{
	if (grow_array((void **)&kv->v, &kv->cap, kv->n, sizeof(*kv->v)) < 0)
		return -1;
	kv->v[kv->n++] = *ke;
	return 0;
}

/* kelems carry no padding: memcmp is a total order. */
int
kelem_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kelem));
}

void
kelemvec_sort_uniq(struct kelemvec *kv)
{
	size_t i, j;

	if (kv->n == 0)
		return;
	qsort(kv->v, kv->n, sizeof(*kv->v), kelem_cmp);
	for (i = 1, j = 0; i < kv->n; i++)
		if (kelem_cmp(&kv->v[i], &kv->v[j]) != 0)
			kv->v[++j] = kv->v[i];
	kv->n = j + 1;
}

bool
set_is_interval(enum kset s)
{
	return (setspecs[s].flags & NFT_SET_INTERVAL) != 0;
}

size_t
set_addr_len(enum kset s)
{
	return s == KSET_LINKS4 || s == KSET_RANGES4 || s == KSET_PAIRS4 ?
	    4 : 16;
}

bool
set_is_pairs(enum kset s)
{
	return s == KSET_PAIRS4 || s == KSET_PAIRS6;
}

/* ---- element keys ---------------------------------------------------- */

/* Fields padded to 4 bytes, as nft concatenates registers. */
static void
key_put(uint8_t *key, size_t alen, const union icc_addr *recv,
    const union icc_addr *src, uint8_t proto, uint16_t port)
{
	uint16_t nport = htons(port);

	memcpy(key, recv, alen);
	memcpy(key + alen, src, alen);
	key[2 * alen] = proto;
	memcpy(key + 2 * alen + 4, &nport, sizeof(nport));
}

void
kelem_from_elem(struct kelem *ke, const struct icc_elem *e)
{
	size_t alen;

	memset(ke, 0, sizeof(*ke));
	ke->set = elem_set(e);
	alen = set_addr_len(ke->set);
	if (set_is_pairs(ke->set)) {
		memcpy(ke->key, &e->recv, alen);
		memcpy(ke->key + alen, &e->src, alen);
		return;
	}
	key_put(ke->key, alen, &e->recv, &e->src, e->proto, e->first);
	if (set_is_interval(ke->set))
		key_put(ke->end, alen, &e->recv, &e->src, e->proto, e->last);
}

/* "br0" . "br0": the traffic between two ports of bridge br0. */
int
kelem_from_bridge(struct kelem *ke, const char *bridge)
{
	size_t len = strlen(bridge);

	if (len == 0 || len >= IFNAMSIZ) {
		errno = len ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	memset(ke, 0, sizeof(*ke));
	ke->set = KSET_CLOSED;
	memcpy(ke->key, bridge, len);
	memcpy(ke->key + IFNAMSIZ, bridge, len);
	return 0;
}

/*
 * kelem_to_elem: decode a link set's element.  An interval element's end
 * must differ from its start in the port only; -1 for anything else (a
 * range of addresses or protocols, which iccd never adds).
 */
int
kelem_to_elem(const struct kelem *ke, struct icc_elem *e)
{
	size_t alen = set_addr_len(ke->set), plen = 2 * alen + 4;
	uint16_t port;

	memset(e, 0, sizeof(*e));
	e->family = alen == 4 ? AF_INET : AF_INET6;
	memcpy(&e->recv, ke->key, alen);
	memcpy(&e->src, ke->key + alen, alen);
	if (set_is_pairs(ke->set))
		return 0;
	e->proto = ke->key[2 * alen];
	memcpy(&port, ke->key + plen, sizeof(port));
	e->first = e->last = ntohs(port);
	if (!set_is_interval(ke->set))
		return 0;
	if (memcmp(ke->key, ke->end, plen) != 0)
		return -1;
	memcpy(&port, ke->end + plen, sizeof(port));
	e->last = ntohs(port);
	return 0;
}

void
kelem_format(const struct kelem *ke, char *buf, size_t len)
{
	struct icc_elem e;
	size_t i, off;

	if (ke->set == KSET_CLOSED) {
		snprintf(buf, len, "\"%.*s\" . \"%.*s\"", IFNAMSIZ,
		    (const char *)ke->key, IFNAMSIZ,
		    (const char *)ke->key + IFNAMSIZ);
		return;
	}
	if (kelem_to_elem(ke, &e) == 0 && len >= ELEM_FMT_LEN) {
		elem_format(&e, buf, len);
		return;
	}
	/* Not iccd's: show the raw key, as nft --debug=netlink would. */
	off = 0;
	buf[0] = '\0';
	for (i = 0; i < setspecs[ke->set].keylen && off + 3 < len; i++)
		off += snprintf(buf + off, len - off, "%02x", ke->key[i]);
}

/* ---- what the table looks like ----------------------------------------- */

bool
layout_ok(const struct layout *l)
{
	int s;

	if (!l->exists || !l->flags_ok || l->extra || l->odd_elem ||
	    !l->forward_ok || !l->isolate_ok)
		return false;
	for (s = 0; s < KSET_NR; s++)
		if (!l->set_ok[s])
			return false;
	return true;
}

uint32_t
table_flags(const struct kernel *k)
{
	return k->own ? TABLE_F_OWNED : 0;
}

/* An owned table's owner must be k's socket; an orphan is adopted. */
struct table_ctx {
	struct layout		*l;
	const struct kernel	*k;
};

static int
table_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct table_ctx *ctx = arg;
	struct layout *l = ctx->l;
	struct nftnl_table *t;
	uint32_t flags, want = table_flags(ctx->k);

	if ((t = nftnl_table_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 &&
	    strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME), l->table) == 0) {
		l->exists = true;
		flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		l->adopt = want != 0 && flags == TABLE_F_PERSIST;
		l->flags_ok = l->adopt || (flags == want && (want == 0 ||
		    (nftnl_table_is_set(t, NFTNL_TABLE_OWNER) &&
		    nftnl_table_get_u32(t, NFTNL_TABLE_OWNER) ==
		    ctx->k->portid)));
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static bool
set_matches(const struct nftnl_set *s, const struct setspec *sp)
{
	const uint8_t *fields;
	uint32_t nfields;

	if (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) != sp->flags ||
	    nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE) != sp->keytype ||
	    nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) != sp->keylen ||
	    nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE))
		return false;
	/* A size limit would make adds fail with ENFILE one day. */
	if (nftnl_set_is_set(s, NFTNL_SET_DESC_SIZE) &&
	    nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE) != 0)
		return false;
	if (!(sp->flags & NFT_SET_CONCAT) ||
	    !nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT))
		return true;
	fields = nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &nfields);
	return nfields == sizeof(sp->fields) &&
	    memcmp(fields, sp->fields, sizeof(sp->fields)) == 0;
}

static int
set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct layout *l = arg;
	struct nftnl_set *s;
	const char *name;
	int i;

	if ((s = nftnl_set_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0 ||
	    strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), l->table) != 0)
		goto out;
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	for (i = 0; i < KSET_NR; i++)
		if (strcmp(name, setspecs[i].name) == 0)
			break;
	if (i == KSET_NR)
		l->extra = true;
	else
		l->set_ok[i] = set_matches(s, &setspecs[i]);
out:
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static bool
forward_matches(const struct nftnl_chain *c)
{
	return nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD &&
	    nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == 0 &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE) &&
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter") == 0 &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_ACCEPT &&
	    !nftnl_chain_is_set(c, NFTNL_CHAIN_DEV) &&
	    !nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES);
}

static int
chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct layout *l = arg;
	struct nftnl_chain *c;
	const char *name;

	if ((c = nftnl_chain_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0 ||
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), l->table) != 0)
		goto out;
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	if (strcmp(name, FORWARD_CHAIN) == 0)
		l->forward_ok = forward_matches(c);
	else if (strcmp(name, ISOLATE_CHAIN) == 0)
		l->isolate_ok = !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	else
		l->extra = true;
out:
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

/* layout_dump: the table, its sets and chains (not rules: they are
 * rewritten on every sync anyway). */
int
layout_dump(struct kernel *k, struct layout *l)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	struct table_ctx ctx = { l, k };
	struct nlmsghdr *nlh;
	int rc;

	memset(l, 0, sizeof(*l));
	l->table = k->table;
	nlh = req_hdr(k, buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, k->table);
	rc = nl_talk(k, nlh, table_cb, &ctx);
	if (rc == -ENOENT || (rc == 0 && !l->exists))
		return 0;
	if (rc < 0)
		return rc;
	nlh = req_hdr(k, buf, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, k->table);
	if ((rc = nl_talk(k, nlh, set_cb, l)) < 0)
		return rc;
	/* Older kernels ignore the table here: chain_cb filters. */
	nlh = req_hdr(k, buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, k->table);
	return nl_talk(k, nlh, chain_cb, l);
}
