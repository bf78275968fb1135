/*
 * belem.h: the elements of iccd's bridge table (rules/icc-bridge.nft), as
 * the rule engine's bindings (bind.h) make them and the kernel side
 * (kernel_bridge.c) sends them.  No model here, so that the kernel's
 * headers can include it before or after the linux/ ones.
 *
 * An element's key is laid out as the kernel compares it: each field of a
 * concatenation padded to 4 bytes (an interface name 16 bytes, NUL padded;
 * a MAC 6 bytes + 2 zero bytes; addresses in network byte order).  A
 * single-field key is not padded (a MAC alone is 6 bytes).
 */
#ifndef ICCD_BELEM_H
#define ICCD_BELEM_H

#include <stddef.h>
#include <stdint.h>

/* The bridge table's sets (rules/icc-bridge.nft), in creation order. */
enum icc_bset {
	ICC_BSET_PORTS,		/* ifname: bound ports */
	ICC_BSET_MACS,		/* ether_addr: bound MACs */
	ICC_BSET_PORTMAC,	/* ifname . ether_addr */
	ICC_BSET_ADDRS4,	/* ipv4_addr: bound IPv4 addresses */
	ICC_BSET_PORT4,		/* ifname . ipv4_addr */
	ICC_BSET_PORTARP,	/* ifname . ether_addr . ipv4_addr */
	ICC_BSET_ADDRS6,	/* ipv6_addr: bound IPv6 addresses */
	ICC_BSET_PORT6,		/* ifname . ipv6_addr */
	ICC_BSET_NR
};

#define BELEM_KEY_MAX	32

/* One element; unused key bytes are zero, so elements compare with memcmp. */
struct icc_belem {
	uint8_t	set;			/* enum icc_bset */
	uint8_t	key[BELEM_KEY_MAX];
};

/* bset_name: the set's name in the table ("ports", "portmac", ...). */
const char *bset_name(enum icc_bset s);

/* bset_keylen: the set's key length in bytes (see above). */
size_t bset_keylen(enum icc_bset s);

/*
 * belem_format: e as nft prints it, e.g. "veth1" . 02:42:ac:11:00:02 .
 * 10.0.0.2, into buf (len >= BELEM_FMT_LEN); returns buf.
 */
#define BELEM_FMT_LEN	96
char *belem_format(const struct icc_belem *e, char *buf, size_t len);

/* A growable array; zero-initialise, free with belemvec_free. */
struct belemvec {
	struct icc_belem	*v;
	size_t			 n, cap;
};

/* belemvec_push: append; 0 or -1 with errno ENOMEM. */
int belemvec_push(struct belemvec *bv, const struct icc_belem *e);
/* belemvec_sort_uniq: sort (memcmp order) and drop duplicates. */
void belemvec_sort_uniq(struct belemvec *bv);
void belemvec_free(struct belemvec *bv);

#endif
