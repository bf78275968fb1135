/*
 * elem.h: the element, one entry of iccd's link sets ("receiver address
 * may open connections to source address, protocol, port or port
 * range"), and a growable vector of them.  Shared by the rule engine
 * (engine.h), which derives elements from the model, and the kernel side
 * (kernel.h), which puts them in the kernel's sets.  Pure.
 */
#ifndef ICCD_ELEM_H
#define ICCD_ELEM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct icc_ports;	/* parse.h */

/* The sets of iccd's table that hold link elements. */
enum icc_set {
	ICC_SET_LINKS4,		/* ipv4 . ipv4 . proto . port, hash */
	ICC_SET_RANGES4,	/* same key, interval (port ranges) */
	ICC_SET_LINKS6,		/* ipv6 . ipv6 . proto . port, hash */
	ICC_SET_RANGES6,	/* same key, interval */
	ICC_SET_PAIRS4,		/* ipv4 . ipv4: receiver . source, hash */
	ICC_SET_PAIRS6,		/* ipv6 . ipv6 */
	ICC_SET_NR
};

union icc_addr {
	struct in_addr	v4;
	struct in6_addr v6;
};

/*
 * One element.  Addresses in network byte order, ports in host byte order.
 * A pair element ("receiver . source": the gate of the range sets, see
 * rules/icc.nft) has proto 0 and first = last = 0 (elem_init_pair).
 * Unused bytes (the tail of a v4 address in the union) must be zero so that
 * elements compare with memcmp: build them with elem_init4/elem_init6.
 */
struct icc_elem {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		proto;		/* IPPROTO_TCP/UDP/SCTP */
	uint16_t	first;		/* port, host byte order */
	uint16_t	last;		/* == first for a single port */
	union icc_addr	recv;		/* receiver: connection's saddr */
	union icc_addr	src;		/* source: connection's daddr */
};

void elem_init4(struct icc_elem *e, struct in_addr recv, struct in_addr src,
    const struct icc_ports *p);
void elem_init6(struct icc_elem *e, const struct in6_addr *recv,
    const struct in6_addr *src, const struct icc_ports *p);

/*
 * elem_init_pair: *pair becomes the pair element of e's family, receiver
 * and source (e may be a range, a single port or a pair; pair may be e).
 */
void elem_init_pair(struct icc_elem *pair, const struct icc_elem *e);

/* elem_is_pair: e is a pair element; elem_is_range: a port range. */
bool elem_is_pair(const struct icc_elem *e);
bool elem_is_range(const struct icc_elem *e);

/* elem_set: the set e belongs in. */
enum icc_set elem_set(const struct icc_elem *e);

/* elem_set_name: "links4", "ranges4", "links6", "ranges6", "pairs4" or
 * "pairs6". */
const char *elem_set_name(enum icc_set s);

/*
 * elem_format: e as nft prints it, "10.0.0.3 . 10.0.0.2 . tcp . 3306" or
 * "... . tcp . 7000-7999", or a pair as "10.0.0.3 . 10.0.0.2", into buf;
 * returns buf.  len >= ELEM_FMT_LEN.
 */
#define ELEM_FMT_LEN 112
char *elem_format(const struct icc_elem *e, char *buf, size_t len);

/* elem_cmp: total order (family, recv, src, proto, first, last). */
int elem_cmp(const struct icc_elem *a, const struct icc_elem *b);

/*
 * elem_same_addrs: a and b have the same family, receiver and source
 * address.  Only the address bytes of the family are compared (4 for
 * AF_INET, else 16); protocol and ports are not.  In a vector sorted by
 * elem_cmp the elements of one address pair are adjacent.
 */
bool elem_same_addrs(const struct icc_elem *a, const struct icc_elem *b);

/*
 * elem_same_flow: elem_same_addrs and the same protocol: a and b allow
 * the same connections but perhaps different ports (first, last are not
 * compared).  In a vector sorted by elem_cmp such elements are adjacent,
 * in port order.
 */
bool elem_same_flow(const struct icc_elem *a, const struct icc_elem *b);

/* A growable array of elements; zero-initialise, free with elemvec_free. */
struct elemvec {
	struct icc_elem	*v;
	size_t		 n, cap;
};

/* elemvec_push: append; 0 or -1 with errno ENOMEM. */
int elemvec_push(struct elemvec *ev, const struct icc_elem *e);
void elemvec_sort(struct elemvec *ev);
void elemvec_clear(struct elemvec *ev);
void elemvec_free(struct elemvec *ev);

#endif
