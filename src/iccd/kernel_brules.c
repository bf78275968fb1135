/*
 * kernel_brules.c: the rules of iccd's bridge table, chain by chain, as
 * nft --debug=netlink shows them for rules/icc-bridge.nft (the table
 * itself, its sets and elements: kernel_bridge.c).  Lookups load a key's
 * fields into consecutive 4-byte registers from NFT_REG32_00, laid out as
 * bind.c lays out the elements.
 */
#include "kernel_int.h"

#include <arpa/inet.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

const char *const bchain_names[BC_NR] = {
	"prerouting", "forward", "port", "port6", "na", "ns", "out", "guard"
};

/* Registers: R0 holds an interface name (16 bytes, R0-R3), R4 what
 * follows it in a concatenation, R6 a third field after a padded MAC. */
#define R0	NFT_REG32_00
#define R4	NFT_REG32_04
#define R6	NFT_REG32_06

#define ETH_IP		0x0800
#define ETH_ARP		0x0806
#define ETH_IP6		0x86dd
#define ICMP6_RA	134
#define ICMP6_NS	135
#define ICMP6_NA	136
#define ICMP6_REDIRECT	137

/* ---- expressions --------------------------------------------------------- */

static struct nftnl_expr *
x_new(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e;

	if ((e = nftnl_expr_alloc(name)) != NULL)
		nftnl_rule_add_expr(r, e);
	return e;
}

static int
x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "meta")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return 0;
}

static int
x_load(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    uint32_t dreg)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "payload")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	return 0;
}

static int
x_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "cmp")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, R0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return 0;
}

/* x_lookup: the key from R0 in set s; inv: match when it is absent. */
static int
x_lookup(struct nftnl_rule *r, enum icc_bset s, bool inv)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "lookup")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R0);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, bset_name(s));
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS,
		    NFT_LOOKUP_F_INV);
	return 0;
}

static int
x_verdict(struct nftnl_rule *r, int verdict, enum bchain to)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "immediate")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (verdict == NFT_JUMP)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, bchain_names[to]);
	return 0;
}

static int
x_drop(struct nftnl_rule *r)
{
	return x_verdict(r, NF_DROP, 0);
}

static int
x_accept(struct nftnl_rule *r)
{
	return x_verdict(r, NF_ACCEPT, 0);
}

/* ether type T */
static int
x_ethertype(struct nftnl_rule *r, uint16_t type)
{
	uint16_t n = htons(type);

	if (x_load(r, NFT_PAYLOAD_LL_HEADER, 12, 2, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, &n, sizeof(n)) < 0)
		return -1;
	return 0;
}

/* meta protocol T: the frame's protocol after the kernel took an 802.1Q
 * or 802.1ad tag off (it does so before the bridge sees the frame; the
 * payload is then the tag's inner frame, and that is what the host stack
 * takes a priority-tagged (VID 0) frame for).  `ether type` reads the tag
 * instead: identity checks keyed on it miss tagged frames. */
static int
x_proto(struct nftnl_rule *r, uint16_t type)
{
	uint16_t n = htons(type);

	if (x_meta(r, NFT_META_PROTOCOL, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, &n, sizeof(n)) < 0)
		return -1;
	return 0;
}

/* iifname (or oifname) into R0-R3 */
static int
x_port(struct nftnl_rule *r, bool out)
{
	return x_meta(r, out ? NFT_META_OIFNAME : NFT_META_IIFNAME, R0);
}

/* meta l4proto ipv6-icmp icmpv6 type T */
static int
x_icmp6(struct nftnl_rule *r, uint8_t type)
{
	uint8_t proto = IPPROTO_ICMPV6;

	if (x_meta(r, NFT_META_L4PROTO, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, &proto, 1) < 0 ||
	    x_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, &type, 1) < 0)
		return -1;
	return 0;
}

/* iifname . <len bytes of base at off> @s (inv: != @s) */
static int
x_port_and(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    enum icc_bset s, bool inv)
{
	if (x_port(r, false) < 0 || x_load(r, base, off, len, R4) < 0 ||
	    x_lookup(r, s, inv) < 0)
		return -1;
	return 0;
}

/* meta mark & ICC_MARK == ICC_MARK */
static int
x_marked(struct nftnl_rule *r)
{
	uint32_t bit = ICC_MARK, zero = 0;
	struct nftnl_expr *e;

	if (x_meta(r, NFT_META_MARK, R0) < 0 ||
	    (e = x_new(r, "bitwise")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, R0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, R0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(bit));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &bit, sizeof(bit));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	return x_cmp(r, NFT_CMP_EQ, &bit, sizeof(bit));
}

/* ---- the rules, chain by chain (rules/icc-bridge.nft) ------------------- */

#define NET	NFT_PAYLOAD_NETWORK_HEADER
#define TH	NFT_PAYLOAD_TRANSPORT_HEADER
#define LL	NFT_PAYLOAD_LL_HEADER


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
	{ BC_PORT, q_arp },
	{ BC_PORT, q_ip6 },
	{ BC_PORT, x_counter_drop },
	{ BC_PORT6, s_dad },
	{ BC_PORT6, s_src },
	{ BC_PORT6, s_na },
	{ BC_PORT6, s_ns },
	{ BC_PORT6, s_ra },
	{ BC_PORT6, s_redirect },
	{ BC_PORT6, x_accept },
	{ BC_NA, n_target },
	{ BC_NA, nd_no_options },
	{ BC_NA, n_opt },
	{ BC_NA, nd_opt_mac },
	{ BC_NA, x_accept },
	{ BC_NS, nd_no_options },
	{ BC_NS, m_opt },
	{ BC_NS, nd_opt_mac },
	{ BC_NS, x_accept },
	{ BC_OUT, o_ip4 },
	{ BC_OUT, o_ns },
	{ BC_OUT, o_na },
	{ BC_OUT, o_ip6 },
	{ BC_OUT, o_guard },
	{ BC_GUARD, g_arp },
	{ BC_GUARD, g_ns },
	{ BC_GUARD, g_na },
	{ BC_GUARD, g_ip4 },
	{ BC_GUARD, g_ip6 },
	{ BC_GUARD, x_counter_drop },
};

const size_t nbrules = sizeof(brules) / sizeof(brules[0]);
