/*
 * kernel_bridge.c: iccd's bridge-family table (rules/icc-bridge.nft),
 * which binds each bound container's MAC and addresses to its bridge port
 * and keeps a closed bridge closed without br_netfilter.
 *
 * The table has the inet table's name and is built in the same
 * transactions: kernel_sync replaces it whole, a request's kbatch carries
 * its element changes (kernel_int.h).  Its rules: kernel_brules.c.  Keys
 * are laid out by bind.c.
 */
#include "kernel_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

/* nft's datatypes (nftables include/datatype.h), 6 bits per field. */
#define T_IPADDR	7
#define T_IP6ADDR	8
#define T_ETHERADDR	9
#define T_IFNAME	41
#define C2(a, b)	(((a) << 6) | (b))
#define C3(a, b, c)	C2(C2(a, b), c)

/* The bridge family's hooks (linux/netfilter_bridge.h, which cannot be
 * included after <net/if.h>: it pulls in linux/if.h). */
#define NF_BR_PRE_ROUTING	0
#define NF_BR_FORWARD		2

/* Elements per element-list message: well under the 64 KB nest limit. */
#define BELEMS_PER_MSG	1000

static const uint32_t bset_types[ICC_BSET_NR] = {
	[ICC_BSET_PORTS] = T_IFNAME,
	[ICC_BSET_MACS] = T_ETHERADDR,
	[ICC_BSET_PORTMAC] = C2(T_IFNAME, T_ETHERADDR),
	[ICC_BSET_ADDRS4] = T_IPADDR,
	[ICC_BSET_PORT4] = C2(T_IFNAME, T_IPADDR),
	[ICC_BSET_PORTARP] = C3(T_IFNAME, T_ETHERADDR, T_IPADDR),
	[ICC_BSET_ADDRS6] = T_IP6ADDR,
	[ICC_BSET_PORT6] = C2(T_IFNAME, T_IP6ADDR),
};

/*
 * The key byte order nft records for a set it makes (nftables' enum
 * byteorder: 1 host, 2 big endian; 0 for a concatenation): without it nft
 * prints an ifname key as "".
 */
static const uint32_t bset_byteorder[ICC_BSET_NR] = {
	[ICC_BSET_PORTS] = 1,
	[ICC_BSET_MACS] = 2,
	[ICC_BSET_ADDRS4] = 2,
	[ICC_BSET_ADDRS6] = 2,
};

/* ---- messages ------------------------------------------------------------ */

static void
b_table(struct ktxn *t, uint16_t type, const char *verb, bool create)
{
	const char *name = t->k->table;
	struct nftnl_table *tb;
	struct nlmsghdr *nlh;

	if ((tb = nftnl_table_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, NFPROTO_BRIDGE);
	/* Created as the inet table is: owned (owner + persist) when the
	 * kernel has it, so that nobody else changes either table.  Only
	 * the create carries flags: a NEWTABLE without them changes none. */
	if (create)
		nftnl_table_set_u32(tb, NFTNL_TABLE_FLAGS, table_flags(t->k));
	nlh = ktxn_fmsg(t, NFPROTO_BRIDGE, type, type == NFT_MSG_NEWTABLE ?
	    NLM_F_CREATE : 0, "%s table bridge %s", verb, name);
	if (nlh != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, tb);
		ktxn_next(t);
	}
	nftnl_table_free(tb);
}

static void
b_set(struct ktxn *t, enum icc_bset i)
{
	struct nftnl_udata_buf *ud;
	struct nlmsghdr *nlh;
	struct nftnl_set *s;

	if ((s = nftnl_set_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, t->k->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, bset_name(i));
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_BRIDGE);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, bset_types[i]);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, (uint32_t)bset_keylen(i));
	nftnl_set_set_u32(s, NFTNL_SET_ID, 100 + (uint32_t)i);
	if ((ud = nftnl_udata_buf_alloc(64)) == NULL ||
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
	    bset_byteorder[i]) || nftnl_set_set_data(s, NFTNL_SET_USERDATA,
	    nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud)) < 0)
		t->nomem = true;
	if (ud != NULL)
		nftnl_udata_buf_free(ud);
	nlh = ktxn_fmsg(t, NFPROTO_BRIDGE, NFT_MSG_NEWSET, NLM_F_CREATE,
	    "add set bridge %s", bset_name(i));
	if (nlh != NULL) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		ktxn_next(t);
	}
	nftnl_set_free(s);
}

static void
b_chain(struct ktxn *t, enum bchain i)
{
	struct nftnl_chain *c;

	if ((c = ktxn_chain_new(t, NFPROTO_BRIDGE, bchain_names[i])) == NULL)
		return;
	/* Before the bridge learns the source MAC; after br_netfilter's
	 * own forward hook (priority 0). */
	if (i == BC_PREROUTING)
		ktxn_chain_hook(c, NF_BR_PRE_ROUTING, -300);
	else if (i == BC_FORWARD)
		ktxn_chain_hook(c, NF_BR_FORWARD, 100);
	ktxn_chain_send(t, NFPROTO_BRIDGE, c, "add chain bridge %s",
	    bchain_names[i]);
}

static void
b_rule(struct ktxn *t, size_t i)
{
	const char *chain = bchain_names[brules[i].chain];
	struct nftnl_rule *r;

	if ((r = ktxn_rule_new(t, NFPROTO_BRIDGE, chain)) == NULL)
		return;
	if (brules[i].build(r) < 0)
		t->nomem = true;
	ktxn_rule_send(t, NFPROTO_BRIDGE, r, "add rule bridge %s #%zu", chain,
	    i + 1);
}

/* b_elems: v's elements of set s, BELEMS_PER_MSG per element list. */
static void
b_elems(struct ktxn *t, const struct belemvec *v, enum icc_bset s, bool del)
{
	struct nftnl_set_elem *se;
	struct nlmsghdr *nlh = NULL;
	struct nlattr *nest = NULL;
	size_t i, inmsg = 0;

	if ((se = nftnl_set_elem_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	for (i = 0; i < v->n; i++) {
		if (v->v[i].set != s)
			continue;
		if (nlh != NULL && inmsg == BELEMS_PER_MSG) {
			mnl_attr_nest_end(nlh, nest);
			ktxn_next(t);
			nlh = NULL;
		}
		if (nlh == NULL) {
			nlh = ktxn_fmsg(t, NFPROTO_BRIDGE, del ?
			    NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, 0,
			    "%s element bridge %s", del ? "del" : "add",
			    bset_name(s));
			if (nlh == NULL)
				break;
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE,
			    t->k->table);
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET,
			    bset_name(s));
			nest = mnl_attr_nest_start(nlh,
			    NFTA_SET_ELEM_LIST_ELEMENTS);
			inmsg = 0;
		}
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, v->v[i].key,
		    (uint32_t)bset_keylen(s));
		nftnl_set_elem_nlmsg_build(nlh, se, NFTA_LIST_ELEM);
		inmsg++;
	}
	if (nlh != NULL) {
		mnl_attr_nest_end(nlh, nest);
		ktxn_next(t);
	}
	nftnl_set_elem_free(se);
}

void
kbridge_txn_elems(struct ktxn *t, const struct belemvec *v, bool del)
{
	int s;

	for (s = 0; s < ICC_BSET_NR && v->n > 0; s++)
		b_elems(t, v, s, del);
}

void
kbridge_txn_delete(struct ktxn *t)
{
	b_table(t, NFT_MSG_NEWTABLE, "add", false);
	b_table(t, NFT_MSG_DELTABLE, "delete", false);
}

void
kbridge_txn_rebuild(struct ktxn *t, const struct belemvec *want)
{
	size_t i;
	int s, c;

	kbridge_txn_delete(t);
	b_table(t, NFT_MSG_NEWTABLE, "create", true);
	for (s = 0; s < ICC_BSET_NR; s++)
		b_set(t, s);
	for (c = 0; c < BC_NR; c++)
		b_chain(t, c);
	for (i = 0; i < nbrules; i++)
		b_rule(t, i);
	kbridge_txn_elems(t, want, false);
}

/* ---- reading it back ------------------------------------------------------ */

struct bdump {
	enum icc_bset	 set;
	struct belemvec	*out;
	bool		 odd;	/* an element iccd cannot have added */
};

/* belem_parse: one NFTA_LIST_ELEM of d->set into e; -1 if not iccd's. */
static int
belem_parse(const struct nlattr *nest, const struct bdump *d,
    struct icc_belem *e)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = { 0 };
	const struct nlattr *kb[NFTA_DATA_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_SET_ELEM_MAX }, kat = { kb, NFTA_DATA_MAX };
	size_t len = bset_keylen(d->set);

	memset(e, 0, sizeof(*e));
	e->set = (uint8_t)d->set;
	if (mnl_attr_parse_nested(nest, attrs_cb, &at) < 0 ||
	    tb[NFTA_SET_ELEM_KEY] == NULL || tb[NFTA_SET_ELEM_KEY_END] != NULL ||
	    (tb[NFTA_SET_ELEM_FLAGS] != NULL &&
	    ntohl(mnl_attr_get_u32(tb[NFTA_SET_ELEM_FLAGS])) != 0) ||
	    mnl_attr_parse_nested(tb[NFTA_SET_ELEM_KEY], attrs_cb, &kat) < 0 ||
	    kb[NFTA_DATA_VALUE] == NULL ||
	    mnl_attr_get_payload_len(kb[NFTA_DATA_VALUE]) != len)
		return -1;
	memcpy(e->key, mnl_attr_get_payload(kb[NFTA_DATA_VALUE]), len);
	return 0;
}

static int
belems_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_SET_ELEM_LIST_MAX };
	struct bdump *d = arg;
	const struct nlattr *a;
	struct icc_belem e;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attrs_cb, &at) < 0)
		return MNL_CB_ERROR;
	if (tb[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		if (belem_parse(a, d, &e) < 0)
			d->odd = true;
		else if (belemvec_push(d->out, &e) < 0)
			return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* bdump_once: every set's elements into out; 0 or a negative errno. */
static int
bdump_once(struct kernel *k, struct belemvec *out)
{
	struct bdump d = { 0, out, false };
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	int rc = 0;

	for (int s = 0; s < ICC_BSET_NR && rc == 0; s++) {
		memset(buf, 0, sizeof(buf));	/* no stray bytes sent */
		d.set = s;
		nlh = req_hdr(k, buf, NFT_MSG_GETSETELEM, NFPROTO_BRIDGE,
		    NLM_F_DUMP);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, k->table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, bset_name(s));
		errno = 0;
		rc = nl_talk(k, nlh, belems_cb, &d);
	}
	return rc == 0 && d.odd ? -EPROTO : rc;
}

int
kernel_dump_belems(struct kernel *k, struct belemvec *out)
{
	int rc = -EINTR;

	/* A dump cut short by a concurrent change is started again. */
	for (int try = 0; try < SYNC_TRIES && rc == -EINTR; try++) {
		out->n = 0;
		rc = bdump_once(k, out);
	}
	if (rc == 0)
		belemvec_sort_uniq(out);
	else
		out->n = 0;
	return rc;
}

int
kernel_set_bindings(struct kernel *k, const struct belemvec *all)
{
	struct belemvec *w = &k->bwant, copy = { 0 };

	for (size_t i = 0; i < all->n; i++)
		if (belemvec_push(&copy, &all->v[i]) < 0) {
			belemvec_free(&copy);
			return -ENOMEM;
		}
	belemvec_free(w);
	*w = copy;
	return 0;
}
