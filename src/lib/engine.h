/*
 * engine.h: the rule engine.  Turns the model (model.h) into the elements
 * of iccd's nftables sets, and computes what one change must add and
 * delete.  Pure: no I/O, no globals; unit-tested without root.
 *
 * An element says "receiver address may open connections to source
 * address, protocol, port or port range".  Single ports go to exact-match
 * (hash) sets, ranges to interval sets (see rules/icc.nft for why).  One
 * element may be derived several times (two aliases to one source, two
 * overlapping exposes): the element set counts derivations and an element
 * leaves the kernel only when its count drops to zero.
 */
#ifndef ICCD_ENGINE_H
#define ICCD_ENGINE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The sets of iccd's table that hold link elements. */
enum icc_set {
	ICC_SET_LINKS4,		/* ipv4 . ipv4 . proto . port, hash */
	ICC_SET_RANGES4,	/* same key, interval (port ranges) */
	ICC_SET_LINKS6,		/* ipv6 . ipv6 . proto . port, hash */
	ICC_SET_RANGES6,	/* same key, interval */
	ICC_SET_NR
};

union icc_addr {
	struct in_addr	v4;
	struct in6_addr v6;
};

/*
 * One element.  Addresses in network byte order, ports in host byte order.
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

/* elem_set: the set e belongs in. */
enum icc_set elem_set(const struct icc_elem *e);

/* elem_set_name: "links4", "ranges4", "links6" or "ranges6". */
const char *elem_set_name(enum icc_set s);

/*
 * elem_format: e as nft prints it, "10.0.0.3 . 10.0.0.2 . tcp . 3306" or
 * "... . tcp . 7000-7999", into buf; returns buf.  len >= ELEM_FMT_LEN.
 */
#define ELEM_FMT_LEN 112
char *elem_format(const struct icc_elem *e, char *buf, size_t len);

/* elem_cmp: total order (family, recv, src, proto, first, last). */
int elem_cmp(const struct icc_elem *a, const struct icc_elem *b);

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

/*
 * engine_normalize_ports: the exposed ports in[0..n-1] as disjoint
 * entries: sorted by protocol number then port, overlapping entries of
 * one protocol merged (7000-7999 + 7500-8500 -> 7000-8500; 7500 inside
 * 7000-7999 disappears; a duplicate disappears).  Adjacent entries stay
 * apart (80 + 81 stay two single ports in the hash set, whose deletes are
 * cheap; interval-set deletes are not).  The kernel refuses overlapping
 * intervals in one set ("File exists").  out has room for n entries;
 * returns the number written.
 */
size_t engine_normalize_ports(const struct icc_ports *in, size_t n,
    struct icc_ports *out);

/*
 * engine_link_elems: append to out the elements link l of receiver r
 * grants in m: none unless the link is active; otherwise one per entry of
 * the source's normalized exposed ports (engine_normalize_ports), IPv4
 * always, IPv6 too when both have one.  Returns 0 or -1 with errno ENOMEM.
 */
int engine_link_elems(const struct icc_model *m, const struct icc_container *r,
    const struct icc_link *l, struct elemvec *out);

/*
 * engine_touching: append to out the elements of every link in which one of
 * names[0..n-1] is the receiver or the source, each link once (a link between
 * two listed names is not counted twice).  Duplicates stay: out is a list of
 * derivations.  Returns 0 or -1 with errno ENOMEM.
 */
int engine_touching(const struct icc_model *m, const char *const *names,
    size_t n, struct elemvec *out);

/* engine_all: append every derivation of every link in m. */
int engine_all(const struct icc_model *m, struct elemvec *out);

/*
 * The desired elements with derivation counts.  Opaque; elemset_new()
 * returns NULL with errno ENOMEM.
 */
struct elemset;
struct elemset *elemset_new(void);
void elemset_free(struct elemset *s);

/* elemset_count: derivations of e (0 when absent). */
unsigned elemset_count(const struct elemset *s, const struct icc_elem *e);

/* elemset_size: distinct elements. */
size_t elemset_size(const struct elemset *s);

/*
 * elemset_plan: what the kernel must change when derivations `before` are
 * replaced by `after`: elements whose count goes from zero to positive are
 * appended to adds, from positive to zero to dels (each once, sorted).
 * s is not changed.  Returns 0 or -1 with errno ENOMEM, or EINVAL when
 * an element's count would drop below zero (`before` removes more
 * derivations of it than s and `after` together hold).
 */
int elemset_plan(const struct elemset *s, const struct elemvec *before,
    const struct elemvec *after, struct elemvec *adds, struct elemvec *dels);

/*
 * elemset_commit: apply the replacement planned above to s.  Returns 0 or
 * -1 with errno ENOMEM (s is then unchanged).
 */
int elemset_commit(struct elemset *s, const struct elemvec *before,
    const struct elemvec *after);

/*
 * elemset_foreach: call fn for each distinct element (unordered); stops
 * and returns fn's value when non-zero.
 */
int elemset_foreach(const struct elemset *s,
    int (*fn)(const struct icc_elem *, unsigned count, void *), void *arg);

/*
 * elemset_diff: compare desired s with `have` (what the kernel holds,
 * duplicates ignored): missing elements to adds, extra ones to dels, each
 * sorted.  Returns 0 or -1 with errno ENOMEM.
 */
int elemset_diff(const struct elemset *s, const struct elemvec *have,
    struct elemvec *adds, struct elemvec *dels);

#endif
