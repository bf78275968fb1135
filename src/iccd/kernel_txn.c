/*
 * kernel_txn.c: one nftables transaction (struct ktxn): build the batch
 * message by message (kernel_commit.c sends it and maps the kernel's
 * answer back).  Also the ruleset generation id that a batch may carry.
 */
#include "kernel_int.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

/* ---- the ruleset generation ------------------------------------------- */

static int
gen_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_gen *gen;
	uint32_t *genid = arg;

	if ((gen = nftnl_gen_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, gen) == 0 &&
	    nftnl_gen_is_set(gen, NFTNL_GEN_ID))
		*genid = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
	nftnl_gen_free(gen);
	return MNL_CB_OK;
}

/* The ruleset generation: a commit carrying it fails if it moved on. */
int
genid_get(struct kernel *k, uint32_t *genid)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	struct nlmsghdr *nlh;
	int rc;

	*genid = 0;
	nlh = req_hdr(k, buf, NFT_MSG_GETGEN, AF_UNSPEC, 0);
	if ((rc = nl_talk(k, nlh, gen_cb, genid)) < 0)
		return rc;
	/* 0 would mean "do not check" to the kernel. */
	return *genid == 0 ? -EPROTO : 0;
}

/* ---- the transaction ----------------------------------------------------- */


void
ktxn_next(struct ktxn *t)
{
	if (nftnl_batch_update(t->batch) < 0)
		t->nomem = true;
}

/*
 * ktxn_init: a batch whose begin message carries genid (0: no check).
 * With it the kernel refuses the whole batch with ERESTART if the ruleset
 * changed since genid was read.
 */
int
ktxn_init(struct ktxn *t, struct kernel *k, uint32_t genid)
{
	struct nlmsghdr *nlh;

	memset(t, 0, sizeof(*t));
	t->k = k;
	t->batch = nftnl_batch_alloc(BATCH_PAGE_SIZE, NLMSG_MAXSIZE);
	t->se = nftnl_set_elem_alloc();
	if (t->batch == NULL || t->se == NULL) {
		if (t->batch != NULL)
			nftnl_batch_free(t->batch);
		if (t->se != NULL)
			nftnl_set_elem_free(t->se);
		return -ENOMEM;
	}
	t->seq_begin = ++k->seq;
	nlh = nftnl_batch_begin(nftnl_batch_buffer(t->batch), t->seq_begin);
	if (genid != 0)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	ktxn_next(t);
	return 0;
}

void
ktxn_free(struct ktxn *t)
{
	nftnl_batch_free(t->batch);
	nftnl_set_elem_free(t->se);
	free(t->msgs);
	free(t->elems);
}

/* ktxn_vmsg: start a message of family `family`, named for errors. */
static struct nlmsghdr *
ktxn_vmsg(struct ktxn *t, uint16_t family, uint16_t type, uint16_t flags,
    const char *fmt, va_list ap)
{
	struct txmsg *m;

	if (t->nomem || grow_array((void **)&t->msgs, &t->msgcap, t->nmsgs,
	    sizeof(*t->msgs)) < 0) {
		t->nomem = true;
		return NULL;
	}
	m = &t->msgs[t->nmsgs++];
	m->seq = ++t->k->seq;
	m->elems = family == NFPROTO_INET && (type == NFT_MSG_NEWSETELEM ||
	    type == NFT_MSG_DELSETELEM);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(t->batch), type,
	    family, flags | NLM_F_ACK, m->seq);
}

/* ktxn_msg: start a message, named for errors; NULL when out of memory. */
struct nlmsghdr *
ktxn_msg(struct ktxn *t, uint16_t type, uint16_t flags, const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = ktxn_vmsg(t, NFPROTO_INET, type, flags, fmt, ap);
	va_end(ap);
	return nlh;
}

struct nlmsghdr *
ktxn_fmsg(struct ktxn *t, uint16_t family, uint16_t type, uint16_t flags,
    const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = ktxn_vmsg(t, family, type, flags, fmt, ap);
	va_end(ap);
	return nlh;
}

static void ktxn_table_msg(struct ktxn *, uint16_t, const char *, bool,
    uint32_t);

void
ktxn_table(struct ktxn *t, uint16_t type, const char *verb)
{
	ktxn_table_msg(t, type, verb, false, 0);
}

void
ktxn_table_flags(struct ktxn *t, uint32_t flags, const char *verb)
{
	ktxn_table_msg(t, NFT_MSG_NEWTABLE, verb, true, flags);
}

/* ktxn_table_msg: a NEWTABLE (with flags when has_flags) or DELTABLE. */
static void
ktxn_table_msg(struct ktxn *t, uint16_t type, const char *verb,
    bool has_flags, uint32_t flags)
{
	struct nftnl_table *tb;
	struct nlmsghdr *nlh;

	if ((tb = nftnl_table_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, t->k->table);
	nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (has_flags)
		nftnl_table_set_u32(tb, NFTNL_TABLE_FLAGS, flags);
	nlh = ktxn_msg(t, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0,
	    "%s table inet %s", verb, t->k->table);
	if (nlh != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, tb);
		ktxn_next(t);
	}
	nftnl_table_free(tb);
}

/* nft's byteorder of a concatenation key (BYTEORDER_INVALID). */
#define KEY_BYTEORDER_CONCAT	0

/*
 * set_udata: the key byte order nft attaches to a set it creates.  It
 * tells nft how to print a plain integer key; a concatenation has none of
 * its own (each field's type knows its own) and nft stores 0.  nft 1.0.6
 * lists these sets the same without it, since the concatenated key type
 * names every field: it is there so the sets carry what nft's would.
 */
static int
set_udata(struct nftnl_set *s)
{
	struct nftnl_udata_buf *ud;
	int rc = -1;

	if ((ud = nftnl_udata_buf_alloc(64)) == NULL)
		return -1;
	if (nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
	    KEY_BYTEORDER_CONCAT) &&
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
	    nftnl_udata_buf_len(ud)) == 0)
		rc = 0;
	nftnl_udata_buf_free(ud);
	return rc;
}

void
ktxn_set(struct ktxn *t, enum kset i)
{
	const struct setspec *sp = &setspecs[i];
	struct nlmsghdr *nlh;
	struct nftnl_set *s;

	if ((s = nftnl_set_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, t->k->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sp->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, sp->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sp->keytype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sp->keylen);
	nftnl_set_set_u32(s, NFTNL_SET_ID, sp->id);
	/* The concatenated interval set (pipapo) needs each field's length. */
	if (sp->flags & NFT_SET_CONCAT)
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, sp->fields,
		    sizeof(sp->fields));
	if (set_udata(s) < 0)
		t->nomem = true;
	nlh = ktxn_msg(t, NFT_MSG_NEWSET, NLM_F_CREATE, "add set %s", sp->name);
	if (nlh != NULL) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		ktxn_next(t);
	}
	nftnl_set_free(s);
}

/* A DELRULE naming only the chain deletes all its rules. */
void
ktxn_chain_flush(struct ktxn *t, const char *name)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;

	if ((r = nftnl_rule_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->k->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nlh = ktxn_msg(t, NFT_MSG_DELRULE, 0, "flush chain %s", name);
	if (nlh != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		ktxn_next(t);
	}
	nftnl_rule_free(r);
}

/* ktxn_chain_add: a regular chain, or with base the forward hook's. */
void
ktxn_chain_add(struct ktxn *t, const char *name, bool base)
{
	struct nftnl_chain *c;

	if ((c = ktxn_chain_new(t, NFPROTO_INET, name)) == NULL)
		return;
	if (base)
		ktxn_chain_hook(c, NF_INET_FORWARD, 0);
	ktxn_chain_send(t, NFPROTO_INET, c, "add chain %s", name);
}

struct nftnl_chain *
ktxn_chain_new(struct ktxn *t, uint16_t family, const char *name)
{
	struct nftnl_chain *c;

	if ((c = nftnl_chain_alloc()) == NULL) {
		t->nomem = true;
		return NULL;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, t->k->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	return c;
}

void
ktxn_chain_hook(struct nftnl_chain *c, uint32_t hooknum, int32_t prio)
{
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooknum);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
}

void
ktxn_chain_send(struct ktxn *t, uint16_t family, struct nftnl_chain *c,
    const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = ktxn_vmsg(t, family, NFT_MSG_NEWCHAIN, NLM_F_CREATE, fmt, ap);
	va_end(ap);
	if (nlh != NULL) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		ktxn_next(t);
	}
	nftnl_chain_free(c);
}

struct nftnl_rule *
ktxn_rule_new(struct ktxn *t, uint16_t family, const char *chain)
{
	struct nftnl_rule *r;

	if ((r = nftnl_rule_alloc()) == NULL) {
		t->nomem = true;
		return NULL;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->k->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	return r;
}

void
ktxn_rule_send(struct ktxn *t, uint16_t family, struct nftnl_rule *r,
    const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	/* NLM_F_APPEND: in order, as `nft add rule`. */
	va_start(ap, fmt);
	nlh = ktxn_vmsg(t, family, NFT_MSG_NEWRULE,
	    NLM_F_CREATE | NLM_F_APPEND, fmt, ap);
	va_end(ap);
	if (nlh != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		ktxn_next(t);
	}
	nftnl_rule_free(r);
}

/* ---- element lists ------------------------------------------------------ */

void
ktxn_elems_close(struct ktxn *t)
{
	if (t->enlh == NULL)
		return;
	mnl_attr_nest_end(t->enlh, t->enest);
	t->enlh = NULL;
	ktxn_next(t);
}

static void
ktxn_elems_open(struct ktxn *t, enum kset s, bool del)
{
	const char *name = setspecs[s].name;
	struct nlmsghdr *nlh;

	nlh = ktxn_msg(t, del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, 0,
	    "%s element %s", del ? "del" : "add", name);
	if (nlh == NULL)
		return;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, t->k->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	t->enest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	t->enlh = nlh;
	t->eset = s;
	t->edel = del;
}

/* The element list's nest length is 16 bits: start a new one in time. */
static bool
ktxn_elems_full(const struct ktxn *t)
{
	const char *tail = mnl_nlmsg_get_payload_tail(t->enlh);

	return tail - (const char *)t->enest + ELEM_ATTR_MAX > UINT16_MAX;
}

/*
 * ktxn_elem: add or delete one element.  Runs of elements of one set and
 * direction share a message.  No NLM_F_EXCL: adding an element that is
 * there already succeeds.  ke must live until the commit (errors point
 * at it).
 */
void
ktxn_elem(struct ktxn *t, bool del, const struct kelem *ke)
{
	const struct setspec *sp = &setspecs[ke->set];
	struct nlattr *nest;
	struct txelem *te;

	if (t->nomem)
		return;
	if (t->enlh != NULL && (t->eset != ke->set || t->edel != del ||
	    ktxn_elems_full(t)))
		ktxn_elems_close(t);
	if (t->enlh == NULL)
		ktxn_elems_open(t, ke->set, del);
	if (t->enlh == NULL || grow_array((void **)&t->elems, &t->elemcap,
	    t->nelems, sizeof(*t->elems)) < 0) {
		t->nomem = true;
		return;
	}
	nftnl_set_elem_set(t->se, NFTNL_SET_ELEM_KEY, ke->key, sp->keylen);
	if (set_is_interval(ke->set))
		nftnl_set_elem_set(t->se, NFTNL_SET_ELEM_KEY_END, ke->end,
		    sp->keylen);
	else
		nftnl_set_elem_unset(t->se, NFTNL_SET_ELEM_KEY_END);
	nest = nftnl_set_elem_nlmsg_build(t->enlh, t->se, NFTA_LIST_ELEM);
	te = &t->elems[t->nelems++];
	te->seq = t->enlh->nlmsg_seq;
	te->off = (uint32_t)((char *)nest - (char *)t->enlh);
	te->ke = ke;
}
