/*
 * kernel_rules.c: the chains' rules, built expression by expression as
 * nft --debug=netlink shows them for rules/icc.nft, and added to a
 * transaction in order (ktxn_rules).
 */
#include "kernel_expr.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

/*
 * meta mark set meta mark | ICC_MARK accept: what isolate lets through
 * carries iccd's bit, which the bridge table's forward chain demands
 * (rules/icc-bridge.nft: without br_netfilter nothing sets it).
 */
static int
r_mark_accept(struct nftnl_rule *r)
{
	uint32_t mask = ~(uint32_t)ICC_MARK, bit = ICC_MARK;

	if (x_meta(r, NFT_META_MARK, NFT_REG_1) < 0 ||
	    x_bitwise(r, NFT_REG_1, &mask, &bit, sizeof(mask)) < 0 ||
	    x_meta_set(r, NFT_META_MARK, NFT_REG_1) < 0)
		return -1;
	return x_accept(r);
}

/* iifname . oifname @closed jump isolate */
static int
rule_forward(struct nftnl_rule *r)
{
	if (x_meta(r, NFT_META_IIFNAME, NFT_REG_1) < 0 ||
	    x_meta(r, NFT_META_OIFNAME, NFT_REG_2) < 0 ||
	    x_lookup_set(r, NFT_REG_1, setspecs[KSET_CLOSED].name, false) < 0 ||
	    x_imm(r, NFT_JUMP, ISOLATE_CHAIN) < 0)
		return -1;
	return 0;
}

/* ct direction reply: the packet goes from the flow's responder back to
 * its originator. */
static int
r_ct_reply(struct nftnl_rule *r)
{
	uint8_t dir = 1;	/* IP_CT_DIR_REPLY */

	if (x_ct(r, NFT_CT_DIRECTION, false, NFT_REG_1) < 0)
		return -1;
	return x_cmp_reg(r, NFT_REG_1, NFT_CMP_EQ, &dir, 1);
}

/* icmpv6 type <type> accept */
static int
rule_icmpv6(struct nftnl_rule *r, uint8_t type)
{
	uint8_t nfproto = NFPROTO_IPV6, l4proto = IPPROTO_ICMPV6;

	if (x_meta(r, NFT_META_NFPROTO, NFT_REG_1) < 0 ||
	    x_cmp_reg(r, NFT_REG_1, NFT_CMP_EQ, &nfproto, 1) < 0 ||
	    x_meta(r, NFT_META_L4PROTO, NFT_REG_1) < 0 ||
	    x_cmp_reg(r, NFT_REG_1, NFT_CMP_EQ, &l4proto, 1) < 0 ||
	    x_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1) < 0 ||
	    x_cmp_reg(r, NFT_REG_1, NFT_CMP_EQ, &type, 1) < 0 ||
	    r_mark_accept(r) < 0)
		return -1;
	return 0;
}

/*
 * ip saddr . ip daddr @pairs4 (ip6 ... @pairs6): before a range set's
 * lookup, the receiver . source pair (recv, src: the header offsets of
 * the receiver's and the source's address) must be in the family's
 * pairs set.  A range element grants nothing without its pair, so that
 * revoking a link with many ranges is the pair's delete (a hash delete)
 * and the ranges, costly to delete from an interval set, are drained
 * later (rangegc.c).  nft reloads the addresses for the next lookup, and
 * so do we.
 */
static int
r_pair(struct nftnl_rule *r, enum kset s, uint32_t recv, uint32_t src)
{
	bool v6 = set_addr_len(s) == 16;
	uint32_t alen = v6 ? 16 : 4;

	if (!set_is_interval(s))
		return 0;
	if (x_load(r, NFT_PAYLOAD_NETWORK_HEADER, recv, alen,
	    NFT_REG_1) < 0 ||
	    x_load(r, NFT_PAYLOAD_NETWORK_HEADER, src, alen,
	    v6 ? NFT_REG_2 : NFT_REG32_01) < 0)
		return -1;
	return x_lookup_set(r, NFT_REG_1,
	    setspecs[v6 ? KSET_PAIRS6 : KSET_PAIRS4].name, false);
}

/*
 * ip saddr . ip daddr . meta l4proto . th dport @links4 accept, and the
 * others: the key fills consecutive 4-byte registers from reg 1.  For an
 * interval set nft adds a byteorder on the 1-byte l4proto (of length 1,
 * so the kernel leaves it as is): we copy it so that the rule matches
 * what nft would have made.
 *
 * With reply, the same element judged from a packet going back to the
 * flow's originator: ct direction reply ip daddr . ip saddr . meta
 * l4proto . th sport @links4 accept.  The forward hook sees both
 * directions with the containers' own addresses and ports (DNAT undone
 * only after it, SNAT undone before it), so the two rules accept a flow's
 * packets exactly while an element allows the flow: a removed element
 * stops its established flows at their next packet, without any
 * conntrack entry being deleted.
 */
static int
rule_link(struct nftnl_rule *r, enum kset s, bool reply)
{
	bool v6 = set_addr_len(s) == 16;
	uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	uint32_t alen = v6 ? 16 : 4;
	uint32_t saddr = v6 ? 8 : 12, daddr = v6 ? 24 : 16;
	uint32_t rdst = v6 ? NFT_REG_2 : NFT_REG32_01;
	uint32_t rproto = v6 ? NFT_REG_3 : NFT_REG32_02;
	uint32_t rport = v6 ? NFT_REG32_09 : NFT_REG32_03;

	if ((reply && r_ct_reply(r) < 0) ||
	    x_meta(r, NFT_META_NFPROTO, NFT_REG_1) < 0 ||
	    x_cmp_reg(r, NFT_REG_1, NFT_CMP_EQ, &nfproto, 1) < 0 ||
	    r_pair(r, s, reply ? daddr : saddr, reply ? saddr : daddr) < 0 ||
	    x_load(r, NFT_PAYLOAD_NETWORK_HEADER, reply ? daddr : saddr,
	    alen, NFT_REG_1) < 0 ||
	    x_load(r, NFT_PAYLOAD_NETWORK_HEADER, reply ? saddr : daddr,
	    alen, rdst) < 0 ||
	    x_meta(r, NFT_META_L4PROTO, rproto) < 0 ||
	    (set_is_interval(s) && x_byteorder_hton(r, rproto, 1, 2) < 0) ||
	    x_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, reply ? 0 : 2, 2,
	    rport) < 0 ||
	    x_lookup_set(r, NFT_REG_1, setspecs[s].name, false) < 0 ||
	    r_mark_accept(r) < 0)
		return -1;
	return 0;
}

/* ct state related: reg 1 nonzero when the packet is related (an ICMP
 * error conntrack tied to a flow by the header it quotes) */
static int
r_ct_related(struct nftnl_rule *r)
{
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_RELATED), zero = 0;

	if (x_ct(r, NFT_CT_STATE, false, NFT_REG_1) < 0 ||
	    x_bitwise(r, NFT_REG_1, &mask, &zero, sizeof(mask)) < 0)
		return -1;
	return x_cmp_reg(r, NFT_REG_1, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/*
 * ct state related ip daddr . ip saddr . ct protocol . ct reply proto-src
 * @links4 accept (reverse: ip saddr . ip daddr),
 * and the same for the other link sets.  Conntrack ties an ICMP error to
 * a flow by the header the error quotes, whoever sends it: without this
 * check any container could send a's flow to s a port unreachable or a
 * fragmentation needed.  An error passes only between two containers
 * that a link joins for the flow's protocol and port: from the source to
 * the receiver (reverse false: the receiver is the packet's destination)
 * or from the receiver to the source (reverse true).  The port is the
 * reply's source port: the flow's destination port after DNAT (hairpin
 * NAT), as the link rules saw it.  nft 1.0.6 cannot read proto-src in
 * a concatenation back (it has no type without a protocol), so
 * rules/icc.nft shows these rules as "#=" comments.
 */
static int
rule_related(struct nftnl_rule *r, enum kset s, bool reverse)
{
	bool v6 = set_addr_len(s) == 16;
	uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	uint32_t alen = v6 ? 16 : 4;
	uint32_t rsrc = v6 ? NFT_REG_2 : NFT_REG32_01;
	uint32_t rproto = v6 ? NFT_REG_3 : NFT_REG32_02;
	uint32_t rport = v6 ? NFT_REG32_09 : NFT_REG32_03;
	uint32_t recv = reverse ? 8 : 24, src = reverse ? 24 : 8;

	if (!v6) {
		recv = reverse ? 12 : 16;
		src = reverse ? 16 : 12;
	}
	if (r_ct_related(r) < 0 ||
	    x_meta(r, NFT_META_NFPROTO, NFT_REG_1) < 0 ||
	    x_cmp_reg(r, NFT_REG_1, NFT_CMP_EQ, &nfproto, 1) < 0 ||
	    r_pair(r, s, recv, src) < 0 ||
	    x_load(r, NFT_PAYLOAD_NETWORK_HEADER, recv, alen,
	    NFT_REG_1) < 0 ||
	    x_load(r, NFT_PAYLOAD_NETWORK_HEADER, src, alen, rsrc) < 0 ||
	    x_ct(r, NFT_CT_PROTOCOL, false, rproto) < 0 ||
	    (set_is_interval(s) && x_byteorder_hton(r, rproto, 1, 2) < 0) ||
	    x_ct(r, NFT_CT_PROTO_SRC, true, rport) < 0 ||
	    x_lookup_set(r, NFT_REG_1, setspecs[s].name, false) < 0 ||
	    r_mark_accept(r) < 0)
		return -1;
	return 0;
}

/*
 * ct state new limit rate 10/second burst 20 packets log group 31: the
 * drop log (kernel_nflog.c).  The limit is the kernel's, so a container
 * that floods blocked packets costs iccd at most KERNEL_LOG_RATE wakeups
 * a second.
 */
static int
rule_log(struct nftnl_rule *r, uint16_t group)
{
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;
	struct nftnl_expr *e;

	if (x_ct(r, NFT_CT_STATE, false, NFT_REG_1) < 0 ||
	    x_bitwise(r, NFT_REG_1, &mask, &zero, sizeof(mask)) < 0 ||
	    x_cmp_reg(r, NFT_REG_1, NFT_CMP_NEQ, &zero, sizeof(zero)) < 0 ||
	    (e = x_new(r, "limit")) == NULL)
		return -1;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, KERNEL_LOG_RATE);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);	/* second */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, KERNEL_LOG_BURST);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
	if ((e = x_new(r, "log")) == NULL)
		return -1;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	return 0;
}

/* counter drop */
static int
rule_drop(struct nftnl_rule *r)
{
	if (x_new(r, "counter") == NULL ||
	    x_drop(r) < 0)
		return -1;
	return 0;
}

/*
 * The order of rules/icc.nft: the link lookups first, as nearly every
 * packet is accepted by one of them; of each pair the reply's first, as a
 * packet the other way fails it at its first compare (ct direction),
 * while a reply tried against the other lookup first would cost a hash
 * lookup that misses.
 */
enum rule_kind {
	RULE_FORWARD,
	RULE_LINKS4_REPLY,
	RULE_LINKS4,
	RULE_RANGES4_REPLY,
	RULE_RANGES4,
	RULE_LINKS6_REPLY,
	RULE_LINKS6,
	RULE_RANGES6_REPLY,
	RULE_RANGES6,
	RULE_RELATED_LINKS4,
	RULE_RELATED_RANGES4,
	RULE_RELATED_LINKS6,
	RULE_RELATED_RANGES6,
	RULE_RELATED_LINKS4_REV,
	RULE_RELATED_RANGES4_REV,
	RULE_RELATED_LINKS6_REV,
	RULE_RELATED_RANGES6_REV,
	RULE_ND_SOLICIT,
	RULE_ND_ADVERT,
	RULE_LOG,
	RULE_DROP,
	RULE_NR
};

/* the related rules: the link sets in order, then reversed */
static int
rule_related_kind(struct nftnl_rule *r, enum rule_kind kind)
{
	static const enum kset sets[] = {
		KSET_LINKS4, KSET_RANGES4, KSET_LINKS6, KSET_RANGES6
	};
	int i = kind - RULE_RELATED_LINKS4;

	return rule_related(r, sets[i % 4], i >= 4);
}

static int
rule_build(struct nftnl_rule *r, enum rule_kind kind, int log_group)
{
	switch (kind) {
	case RULE_FORWARD:
		return rule_forward(r);
	case RULE_LINKS4:
	case RULE_LINKS4_REPLY:
		return rule_link(r, KSET_LINKS4, kind == RULE_LINKS4_REPLY);
	case RULE_RANGES4:
	case RULE_RANGES4_REPLY:
		return rule_link(r, KSET_RANGES4, kind == RULE_RANGES4_REPLY);
	case RULE_LINKS6:
	case RULE_LINKS6_REPLY:
		return rule_link(r, KSET_LINKS6, kind == RULE_LINKS6_REPLY);
	case RULE_RANGES6:
	case RULE_RANGES6_REPLY:
		return rule_link(r, KSET_RANGES6, kind == RULE_RANGES6_REPLY);
	case RULE_RELATED_LINKS4:
	case RULE_RELATED_RANGES4:
	case RULE_RELATED_LINKS6:
	case RULE_RELATED_RANGES6:
	case RULE_RELATED_LINKS4_REV:
	case RULE_RELATED_RANGES4_REV:
	case RULE_RELATED_LINKS6_REV:
	case RULE_RELATED_RANGES6_REV:
		return rule_related_kind(r, kind);
	case RULE_ND_SOLICIT:
		return rule_icmpv6(r, 135);	/* ND_NEIGHBOR_SOLICIT */
	case RULE_ND_ADVERT:
		return rule_icmpv6(r, 136);	/* ND_NEIGHBOR_ADVERT */
	case RULE_LOG:
		return rule_log(r, (uint16_t)log_group);
	case RULE_DROP:
		return rule_drop(r);
	default:
		return -1;
	}
}

static void
ktxn_rule(struct ktxn *t, enum rule_kind kind)
{
	const char *chain = kind == RULE_FORWARD ? FORWARD_CHAIN :
	    ISOLATE_CHAIN;
	struct nftnl_rule *r;

	if ((r = ktxn_rule_new(t, NFPROTO_INET, chain)) == NULL)
		return;
	if (rule_build(r, kind, t->k->log_group) < 0)
		t->nomem = true;
	ktxn_rule_send(t, NFPROTO_INET, r, "add rule %s #%d", chain,
	    kind == RULE_FORWARD ? 1 : (int)kind);
}

void
ktxn_rules(struct ktxn *t)
{
	int kind;

	for (kind = 0; kind < RULE_NR; kind++)
		if (kind != RULE_LOG || t->k->log_group >= 0)
			ktxn_rule(t, kind);
}
