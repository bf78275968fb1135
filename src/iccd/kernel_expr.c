/*
 * kernel_expr.c: the expressions of iccd's rules, of both tables (see
 * kernel_expr.h).
 */
#include "kernel_expr.h"

#include <arpa/inet.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

struct nftnl_expr *
x_new(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e;

	if ((e = nftnl_expr_alloc(name)) != NULL)
		nftnl_rule_add_expr(r, e);
	return e;
}

int
x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "meta")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return 0;
}

int
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

int
x_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "meta")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	return 0;
}

int
x_cmp_reg(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data,
    uint32_t len)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "cmp")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return 0;
}

int
x_bitwise(struct nftnl_rule *r, uint32_t reg, const void *mask,
    const void *xor, uint32_t len)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "bitwise")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	return 0;
}

int
x_byteorder_hton(struct nftnl_rule *r, uint32_t reg, uint32_t len,
    uint32_t size)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "byteorder")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, size);
	return 0;
}

int
x_ct(struct nftnl_rule *r, uint32_t key, bool reply, uint32_t dreg)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "ct")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	if (reply)	/* IP_CT_DIR_REPLY */
		nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	return 0;
}

int
x_lookup_set(struct nftnl_rule *r, uint32_t sreg, const char *set, bool inv)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "lookup")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS,
		    NFT_LOOKUP_F_INV);
	return 0;
}

int
x_imm(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e;

	if ((e = x_new(r, "immediate")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	return 0;
}

int
x_drop(struct nftnl_rule *r)
{
	return x_imm(r, NF_DROP, NULL);
}

int
x_accept(struct nftnl_rule *r)
{
	return x_imm(r, NF_ACCEPT, NULL);
}

/* ---- the bridge table's */

int
x_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	return x_cmp_reg(r, R0, op, data, len);
}

/* x_lookup: the key from R0 in set s; inv: match when it is absent. */
int
x_lookup(struct nftnl_rule *r, enum icc_bset s, bool inv)
{
	return x_lookup_set(r, R0, bset_name(s), inv);
}

int
x_verdict(struct nftnl_rule *r, int verdict, enum bchain to)
{
	return x_imm(r, verdict, verdict == NFT_JUMP ? bchain_names[to] :
	    NULL);
}

/* ether type T */
int
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
int
x_proto(struct nftnl_rule *r, uint16_t type)
{
	uint16_t n = htons(type);

	if (x_meta(r, NFT_META_PROTOCOL, R0) < 0 ||
	    x_cmp(r, NFT_CMP_EQ, &n, sizeof(n)) < 0)
		return -1;
	return 0;
}

/* iifname (or oifname) into R0-R3 */
int
x_port(struct nftnl_rule *r, bool out)
{
	return x_meta(r, out ? NFT_META_OIFNAME : NFT_META_IIFNAME, R0);
}

/* meta l4proto ipv6-icmp icmpv6 type T */
int
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
int
x_port_and(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    enum icc_bset s, bool inv)
{
	if (x_port(r, false) < 0 || x_load(r, base, off, len, R4) < 0 ||
	    x_lookup(r, s, inv) < 0)
		return -1;
	return 0;
}

/* meta mark & ICC_MARK == ICC_MARK */
int
x_marked(struct nftnl_rule *r)
{
	uint32_t bit = ICC_MARK, zero = 0;

	if (x_meta(r, NFT_META_MARK, R0) < 0 ||
	    x_bitwise(r, R0, &bit, &zero, sizeof(bit)) < 0)
		return -1;
	return x_cmp(r, NFT_CMP_EQ, &bit, sizeof(bit));
}
