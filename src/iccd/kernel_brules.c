/*
 * kernel_brules.c: the rules of iccd's bridge table, chain by chain, as
 * nft --debug=netlink shows them for rules/icc-bridge.nft (the table
 * itself, its sets and elements: kernel_bridge.c).  Lookups load a key's
 * fields into consecutive 4-byte registers from NFT_REG32_00, laid out as
 * bind.c lays out the elements.
 */
#include "kernel_expr.h"

#include <arpa/inet.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

const char *const bchain_names[BC_NR] = {
	"prerouting", "forward", "port", "port6", "na", "ns", "arpshape",
	"ndshape", "out", "guard"
};

/* ---- the rules, chain by chain (rules/icc-bridge.nft) ------------------- */



/* prerouting: iifname @ports jump port */
static int
p_bound(struct nftnl_rule *r)
{
	return x_port(r, false) < 0 || x_lookup(r, ICC_BSET_PORTS, false) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_PORT) < 0 ? -1 : 0;
}

/* ether saddr @macs drop: a bound MAC from another port */
static int
p_mac(struct nftnl_rule *r)
{
	return x_load(r, LL, 6, 6, R0) < 0 ||
	    x_lookup(r, ICC_BSET_MACS, false) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* ip saddr @addrs4 drop */
static int
p_ip4(struct nftnl_rule *r)
{
	return x_proto(r, ETH_IP) < 0 || x_load(r, NET, 12, 4, R0) < 0 ||
	    x_lookup(r, ICC_BSET_ADDRS4, false) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* arp saddr ip @addrs4 drop */
static int
p_arp(struct nftnl_rule *r)
{
	return x_proto(r, ETH_ARP) < 0 || x_load(r, NET, 14, 4, R0) < 0 ||
	    x_lookup(r, ICC_BSET_ADDRS4, false) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* ip6 saddr @addrs6 drop */
static int
p_ip6(struct nftnl_rule *r)
{
	return x_proto(r, ETH_IP6) < 0 || x_load(r, NET, 8, 16, R0) < 0 ||
	    x_lookup(r, ICC_BSET_ADDRS6, false) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* icmpv6 type nd-neighbor-advert @th,64,128 @addrs6 drop: an NA for a
 * bound address from another port */
static int
p_na(struct nftnl_rule *r)
{
	return x_proto(r, ETH_IP6) < 0 || x_icmp6(r, ICMP6_NA) < 0 ||
	    x_load(r, TH, 8, 16, R0) < 0 ||
	    x_lookup(r, ICC_BSET_ADDRS6, false) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* ip6 saddr :: icmpv6 type nd-neighbor-solicit @th,64,128 @addrs6 drop:
 * duplicate address detection of a bound address from another port (its
 * owner would give the address up) */
static int
p_dad(struct nftnl_rule *r)
{
	static const uint8_t any[16];

	return x_proto(r, ETH_IP6) < 0 || x_load(r, NET, 8, 16, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, any, sizeof(any)) < 0 ||
	    x_icmp6(r, ICMP6_NS) < 0 || x_load(r, TH, 8, 16, R0) < 0 ||
	    x_lookup(r, ICC_BSET_ADDRS6, false) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* port: iifname . ether saddr != @portmac drop */
static int
q_mac(struct nftnl_rule *r)
{
	return x_port_and(r, LL, 6, 6, ICC_BSET_PORTMAC, true) < 0 ||
	    x_drop(r) < 0 ? -1 : 0;
}

/* ether type ip iifname . ip saddr @port4 accept */
static int
q_ip4(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP) < 0 ||
	    x_port_and(r, NET, 12, 4, ICC_BSET_PORT4, false) < 0 ||
	    x_accept(r) < 0 ? -1 : 0;
}

/* ether type arp iifname . arp saddr ether . arp saddr ip @portarp accept */
static int
q_arp(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_ARP) < 0 || x_port(r, false) < 0 ||
	    x_load(r, NET, 8, 6, R4) < 0 || x_load(r, NET, 14, 4, R6) < 0 ||
	    x_lookup(r, ICC_BSET_PORTARP, false) < 0 || x_accept(r) < 0 ?
	    -1 : 0;
}

/* ether type ip6 jump port6 */
static int
q_ip6(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_PORT6) < 0 ? -1 : 0;
}

/* counter drop: any other frame (802.1Q, 802.1ad, PPPoE, a spoofed
 * source, ...) */
static int
x_counter_drop(struct nftnl_rule *r)
{
	return x_new(r, "counter") == NULL || x_drop(r) < 0 ? -1 : 0;
}

/* port6: ip6 saddr :: icmpv6 type nd-neighbor-solicit
 * iifname . @th,64,128 @port6 accept (duplicate address detection of
 * its own address) */
static int
s_dad(struct nftnl_rule *r)
{
	static const uint8_t any[16];

	return x_ethertype(r, ETH_IP6) < 0 || x_load(r, NET, 8, 16, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, any, sizeof(any)) < 0 ||
	    x_icmp6(r, ICMP6_NS) < 0 ||
	    x_port_and(r, TH, 8, 16, ICC_BSET_PORT6, false) < 0 ||
	    x_accept(r) < 0 ? -1 : 0;
}

/* iifname . ip6 saddr != @port6 drop */
static int
s_src(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 ||
	    x_port_and(r, NET, 8, 16, ICC_BSET_PORT6, true) < 0 ||
	    x_drop(r) < 0 ? -1 : 0;
}

static int
s_na(struct nftnl_rule *r)
{
	return x_icmp6(r, ICMP6_NA) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_NA) < 0 ? -1 : 0;
}

static int
s_ns(struct nftnl_rule *r)
{
	return x_icmp6(r, ICMP6_NS) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_NS) < 0 ? -1 : 0;
}

/* router advertisements and redirects: no container routes others */
static int
s_ra(struct nftnl_rule *r)
{
	return x_icmp6(r, ICMP6_RA) < 0 || x_drop(r) < 0 ? -1 : 0;
}

static int
s_redirect(struct nftnl_rule *r)
{
	return x_icmp6(r, ICMP6_REDIRECT) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* ip6 payload length 24: an NS or NA without options */
static int
nd_no_options(struct nftnl_rule *r)
{
	uint16_t len = htons(24);

	return x_ethertype(r, ETH_IP6) < 0 || x_load(r, NET, 4, 2, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, &len, sizeof(len)) < 0 || x_accept(r) < 0 ?
	    -1 : 0;
}

/* @th,192,8 != type drop: the first option must be the link-layer
 * address one (Linux uses the first of a kind and ignores repeats) */
static int
nd_opt_type(struct nftnl_rule *r, uint8_t type)
{
	return x_load(r, TH, 24, 1, R0) < 0 ||
	    x_cmp(r, NFT_CMP_NEQ, &type, 1) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* iifname . @th,208,48 != @portmac drop: and carry the port's MAC */
static int
nd_opt_mac(struct nftnl_rule *r)
{
	return x_port_and(r, TH, 26, 6, ICC_BSET_PORTMAC, true) < 0 ||
	    x_drop(r) < 0 ? -1 : 0;
}

/* na: iifname . @th,64,128 != @port6 drop: the target must be its own */
static int
n_target(struct nftnl_rule *r)
{
	return x_port_and(r, TH, 8, 16, ICC_BSET_PORT6, true) < 0 ||
	    x_drop(r) < 0 ? -1 : 0;
}

static int
n_opt(struct nftnl_rule *r)
{
	return nd_opt_type(r, 2);	/* target link-layer address */
}

static int
m_opt(struct nftnl_rule *r)
{
	return nd_opt_type(r, 1);	/* source link-layer address */
}

/* forward: oifname @ports jump out; iifname @ports jump guard */
static int
f_out(struct nftnl_rule *r)
{
	return x_port(r, true) < 0 || x_lookup(r, ICC_BSET_PORTS, false) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_OUT) < 0 ? -1 : 0;
}

static int
f_in(struct nftnl_rule *r)
{
	return x_port(r, false) < 0 || x_lookup(r, ICC_BSET_PORTS, false) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_GUARD) < 0 ? -1 : 0;
}

/* ---- the shape of ARP and neighbour discovery ---------------------------
 * ARP and neighbour discovery pass between containers no link joins:
 * bytes a receiver ignores (a trailer, padding, reserved fields, more
 * options) would be a channel between them.  What remains is
 * documented in iccd(8): the fields the protocols need (an NS target, an
 * ARP request's target address, the padding's absence or presence). */

/* meta len (skb->len: from the network header on) into R0, compared */
static int
x_len(struct nftnl_rule *r, uint32_t op, uint32_t len)
{
	return x_meta(r, NFT_META_LEN, R0) < 0 ||
	    x_cmp(r, op, &len, sizeof(len)) < 0 ? -1 : 0;
}

/* arpshape: @nh,0,48 != 0x000108000604 drop: Ethernet, IPv4, 6, 4 */
static int
a_hdr(struct nftnl_rule *r)
{
	static const uint8_t hdr[6] = { 0, 1, 8, 0, 6, 4 };

	return x_load(r, NET, 0, 6, R0) < 0 ||
	    x_cmp(r, NFT_CMP_NEQ, hdr, sizeof(hdr)) < 0 || x_drop(r) < 0 ?
	    -1 : 0;
}

/* arp operation < 1 drop; arp operation > 2 drop: request or reply */
static int
a_op_cmp(struct nftnl_rule *r, uint32_t op, uint16_t v)
{
	uint16_t n = htons(v);

	return x_load(r, NET, 6, 2, R0) < 0 ||
	    x_cmp(r, op, &n, sizeof(n)) < 0 || x_drop(r) < 0 ? -1 : 0;
}

static int
a_op_low(struct nftnl_rule *r)
{
	return a_op_cmp(r, NFT_CMP_LT, 1);
}

static int
a_op_high(struct nftnl_rule *r)
{
	return a_op_cmp(r, NFT_CMP_GT, 2);
}

/* meta length 28 return: the ARP body alone (Linux on a veth) */
static int
a_exact(struct nftnl_rule *r)
{
	return x_len(r, NFT_CMP_EQ, 28) < 0 ||
	    x_verdict(r, NFT_RETURN, 0) < 0 ? -1 : 0;
}

/* meta length != 46 drop: else padded to the 60-byte minimum frame ... */
static int
a_padded(struct nftnl_rule *r)
{
	return x_len(r, NFT_CMP_NEQ, 46) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* ... with zeros: @nh,224,128 != 0 drop; @nh,352,16 != 0 drop */
static int
x_zero(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	static const uint8_t zero[16];

	return x_load(r, base, off, len, R0) < 0 ||
	    x_cmp(r, NFT_CMP_NEQ, zero, len) < 0 || x_drop(r) < 0 ? -1 : 0;
}

static int
a_pad16(struct nftnl_rule *r)
{
	return x_zero(r, NET, 28, 16);
}

static int
a_pad2(struct nftnl_rule *r)
{
	return x_zero(r, NET, 44, 2);
}

/* ndshape: ip6 length 24 meta length 64 return: no options, no trailer */
static int
d_bare(struct nftnl_rule *r)
{
	uint16_t len = htons(24);

	return x_load(r, NET, 4, 2, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, &len, sizeof(len)) < 0 ||
	    x_len(r, NFT_CMP_EQ, 64) < 0 ||
	    x_verdict(r, NFT_RETURN, 0) < 0 ? -1 : 0;
}

/* ip6 length != 32 drop; meta length != 72 drop; @th,200,8 != 1 drop:
 * else exactly one option of 8 bytes (a link-layer address, which na
 * and ns check), and nothing after it */
static int
d_plen(struct nftnl_rule *r)
{
	uint16_t len = htons(32);

	return x_load(r, NET, 4, 2, R0) < 0 ||
	    x_cmp(r, NFT_CMP_NEQ, &len, sizeof(len)) < 0 || x_drop(r) < 0 ?
	    -1 : 0;
}

static int
d_len(struct nftnl_rule *r)
{
	return x_len(r, NFT_CMP_NEQ, 72) < 0 || x_drop(r) < 0 ? -1 : 0;
}

static int
d_optlen(struct nftnl_rule *r)
{
	uint8_t one = 1;

	return x_load(r, TH, 25, 1, R0) < 0 ||
	    x_cmp(r, NFT_CMP_NEQ, &one, 1) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* x_nd_shape: icmpv6 type T jump ndshape (ether type ip6 first when
 * eth: in guard, which sees every ether type) */
static int
x_nd_shape(struct nftnl_rule *r, uint8_t type, bool eth)
{
	return (eth && x_ethertype(r, ETH_IP6) < 0) || x_icmp6(r, type) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_NDSHAPE) < 0 ? -1 : 0;
}

static int
s_ns_shape(struct nftnl_rule *r)
{
	return x_nd_shape(r, ICMP6_NS, false);
}

static int
s_na_shape(struct nftnl_rule *r)
{
	return x_nd_shape(r, ICMP6_NA, false);
}

static int
g_ns_shape(struct nftnl_rule *r)
{
	return x_nd_shape(r, ICMP6_NS, true);
}

static int
g_na_shape(struct nftnl_rule *r)
{
	return x_nd_shape(r, ICMP6_NA, true);
}

/* ether type arp jump arpshape (port and guard) */
static int
x_arp_shape(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_ARP) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_ARPSHAPE) < 0 ? -1 : 0;
}

/* ns: @th,32,32 != 0 drop: the reserved field is zero */
static int
m_reserved(struct nftnl_rule *r)
{
	return x_zero(r, TH, 4, 4);
}

/* na: @th,35,29 != 0 drop: flags R, S, O; the other 29 bits zero */
static int
n_reserved(struct nftnl_rule *r)
{
	static const uint8_t mask[4] = { 0x1f, 0xff, 0xff, 0xff };
	static const uint8_t zero[4];
	struct nftnl_expr *e;

	if (x_load(r, TH, 4, 4, R0) < 0 || (e = x_new(r, "bitwise")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, R0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, R0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, sizeof(zero));
	return x_cmp(r, NFT_CMP_NEQ, zero, sizeof(zero)) < 0 ||
	    x_drop(r) < 0 ? -1 : 0;
}

/* oifname . <len bytes of the network header at off> != @s drop */
static int
x_oport_not(struct nftnl_rule *r, uint32_t off, uint32_t len,
    enum icc_bset s)
{
	return x_port(r, true) < 0 || x_load(r, NET, off, len, R4) < 0 ||
	    x_lookup(r, s, true) < 0 || x_drop(r) < 0 ? -1 : 0;
}

/* out: ether type ip oifname . ip daddr != @port4 drop.  The inet table
 * judges addresses, the bridge delivers by MAC: a linked packet to s's
 * address with m's MAC (or a broadcast MAC) as its destination would
 * reach m.  Out of a bound port goes IP to its own address only. */
static int
o_ip4(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP) < 0 ||
	    x_oport_not(r, 16, 4, ICC_BSET_PORT4);
}

/* neighbour discovery (to solicited-node and all-nodes multicast too),
 * then ether type ip6 oifname . ip6 daddr != @port6 drop */
static int
o_ns(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 || x_icmp6(r, ICMP6_NS) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_GUARD) < 0 ? -1 : 0;
}

static int
o_na(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 || x_icmp6(r, ICMP6_NA) < 0 ||
	    x_verdict(r, NFT_JUMP, BC_GUARD) < 0 ? -1 : 0;
}

static int
o_ip6(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 ||
	    x_oport_not(r, 24, 16, ICC_BSET_PORT6);
}

/* jump guard: the rest of the checks, which decide */
static int
o_guard(struct nftnl_rule *r)
{
	return x_verdict(r, NFT_JUMP, BC_GUARD);
}

/* guard: ether type arp accept; IP only with iccd's mark */
static int
g_arp(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_ARP) < 0 || x_accept(r) < 0 ? -1 : 0;
}

/* ... and neighbour discovery, which port6 has judged as ARP: without it
 * a bridge failing closed would also answer "no route to host" */
static int
g_ns(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 || x_icmp6(r, ICMP6_NS) < 0 ||
	    x_accept(r) < 0 ? -1 : 0;
}

static int
g_na(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 || x_icmp6(r, ICMP6_NA) < 0 ||
	    x_accept(r) < 0 ? -1 : 0;
}

static int
g_ip4(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP) < 0 || x_marked(r) < 0 ||
	    x_accept(r) < 0 ? -1 : 0;
}

static int
g_ip6(struct nftnl_rule *r)
{
	return x_ethertype(r, ETH_IP6) < 0 || x_marked(r) < 0 ||
	    x_accept(r) < 0 ? -1 : 0;
}

const struct brule brules[] = {
	{ BC_PREROUTING, p_bound },
	{ BC_PREROUTING, p_mac },
	{ BC_PREROUTING, p_ip4 },
	{ BC_PREROUTING, p_arp },
	{ BC_PREROUTING, p_ip6 },
	{ BC_PREROUTING, p_na },
	{ BC_PREROUTING, p_dad },
	{ BC_FORWARD, f_out },
	{ BC_FORWARD, f_in },
	{ BC_PORT, q_mac },
	{ BC_PORT, q_ip4 },
	{ BC_PORT, x_arp_shape },
	{ BC_PORT, q_arp },
	{ BC_PORT, q_ip6 },
	{ BC_PORT, x_counter_drop },
	{ BC_PORT6, s_ns_shape },
	{ BC_PORT6, s_na_shape },
	{ BC_PORT6, s_dad },
	{ BC_PORT6, s_src },
	{ BC_PORT6, s_na },
	{ BC_PORT6, s_ns },
	{ BC_PORT6, s_ra },
	{ BC_PORT6, s_redirect },
	{ BC_PORT6, x_accept },
	{ BC_NA, n_target },
	{ BC_NA, n_reserved },
	{ BC_NA, nd_no_options },
	{ BC_NA, n_opt },
	{ BC_NA, nd_opt_mac },
	{ BC_NA, x_accept },
	{ BC_NS, m_reserved },
	{ BC_NS, nd_no_options },
	{ BC_NS, m_opt },
	{ BC_NS, nd_opt_mac },
	{ BC_NS, x_accept },
	{ BC_ARPSHAPE, a_hdr },
	{ BC_ARPSHAPE, a_op_low },
	{ BC_ARPSHAPE, a_op_high },
	{ BC_ARPSHAPE, a_exact },
	{ BC_ARPSHAPE, a_padded },
	{ BC_ARPSHAPE, a_pad16 },
	{ BC_ARPSHAPE, a_pad2 },
	{ BC_NDSHAPE, d_bare },
	{ BC_NDSHAPE, d_plen },
	{ BC_NDSHAPE, d_len },
	{ BC_NDSHAPE, d_optlen },
	{ BC_OUT, o_ip4 },
	{ BC_OUT, o_ns },
	{ BC_OUT, o_na },
	{ BC_OUT, o_ip6 },
	{ BC_OUT, o_guard },
	{ BC_GUARD, x_arp_shape },
	{ BC_GUARD, g_ns_shape },
	{ BC_GUARD, g_na_shape },
	{ BC_GUARD, g_arp },
	{ BC_GUARD, g_ns },
	{ BC_GUARD, g_na },
	{ BC_GUARD, g_ip4 },
	{ BC_GUARD, g_ip6 },
	{ BC_GUARD, x_counter_drop },
};

const size_t nbrules = sizeof(brules) / sizeof(brules[0]);
