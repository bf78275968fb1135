/*
 * kernel_expr.h: the expressions of iccd's rules, of both tables: the
 * inet table's (kernel_rules.c) and the bridge table's (kernel_brules.c).
 * Each appends one or a few expressions to rule r and returns 0, or -1
 * when out of memory
 * (the rule is then incomplete: the caller drops the transaction).
 * Data given is in network byte order unless said otherwise; registers
 * are those of nf_tables.h (NFT_REG32_*).
 */
#ifndef KERNEL_EXPR_H
#define KERNEL_EXPR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>		/* libnftnl's headers need FILE */

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "kernel_int.h"

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

#define NET	NFT_PAYLOAD_NETWORK_HEADER
#define TH	NFT_PAYLOAD_TRANSPORT_HEADER
#define LL	NFT_PAYLOAD_LL_HEADER

/* ---- both tables.  A register is named as the table's rules name it
 * (NFT_REG_1 in the inet table, NFT_REG32_* in the bridge table): the
 * kernel takes both, but the bytes differ, and they are nft's. */

/* x_new: a new expression NAME appended to r; NULL when out of memory. */
struct nftnl_expr *x_new(struct nftnl_rule *r, const char *name);

/* meta KEY (NFT_META_*) into register dreg */
int x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);

/* meta KEY set from register sreg */
int x_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);

/* len bytes at byte off of header base (NET, TH, LL) into dreg on */
int x_load(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    uint32_t dreg);

/* register sreg OP data (NFT_CMP_*; len bytes, compared as memory) */
int x_cmp_reg(struct nftnl_rule *r, uint32_t sreg, uint32_t op,
    const void *data, uint32_t len);

/* reg = (reg & mask) ^ xor, len bytes (mask and xor len bytes, in the
 * register's byte order) */
int x_bitwise(struct nftnl_rule *r, uint32_t reg, const void *mask,
    const void *xor, uint32_t len);

/* byteorder reg = htonl/htons(reg): len bytes in units of size */
int x_byteorder_hton(struct nftnl_rule *r, uint32_t reg, uint32_t len,
    uint32_t size);

/* ct KEY (NFT_CT_*) into dreg; reply: of the reply direction (else no
 * direction given) */
int x_ct(struct nftnl_rule *r, uint32_t key, bool reply, uint32_t dreg);

/* the key from register sreg in the set named set (not copied: it must
 * live until the rule's message is built); inv: match when absent */
int x_lookup_set(struct nftnl_rule *r, uint32_t sreg, const char *set,
    bool inv);

/* the verdict (NF_*, NFT_RETURN, or NFT_JUMP/NFT_GOTO to chain, which is
 * NULL for the others) */
int x_imm(struct nftnl_rule *r, int verdict, const char *chain);

/* drop, accept */
int x_drop(struct nftnl_rule *r);
int x_accept(struct nftnl_rule *r);

/* ---- the bridge table's: registers from R0 */

/* R0 OP data (NFT_CMP_*; len bytes, compared as memory) */
int x_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len);

/* x_lookup: the key from R0 in set s; inv: match when it is absent. */
int x_lookup(struct nftnl_rule *r, enum icc_bset s, bool inv);

/* the verdict (NF_*, NFT_JUMP to chain to, NFT_RETURN) */
int x_verdict(struct nftnl_rule *r, int verdict, enum bchain to);

/* ether type T */
int x_ethertype(struct nftnl_rule *r, uint16_t type);

/* meta protocol T: the frame's protocol after the kernel took an 802.1Q
 * or 802.1ad tag off (it does so before the bridge sees the frame; the
 * payload is then the tag's inner frame, and that is what the host stack
 * takes a priority-tagged (VID 0) frame for).  `ether type` reads the tag
 * instead: identity checks keyed on it miss tagged frames. */
int x_proto(struct nftnl_rule *r, uint16_t type);

/* iifname (or oifname) into R0-R3 */
int x_port(struct nftnl_rule *r, bool out);

/* meta l4proto ipv6-icmp icmpv6 type T */
int x_icmp6(struct nftnl_rule *r, uint8_t type);

/* iifname . <len bytes of base at off> @s (inv: != @s) */
int x_port_and(struct nftnl_rule *r, uint32_t base, uint32_t off,
    uint32_t len, enum icc_bset s, bool inv);

/* meta mark & ICC_MARK == ICC_MARK */
int x_marked(struct nftnl_rule *r);

#endif
