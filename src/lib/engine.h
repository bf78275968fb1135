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

#include <stddef.h>

#include "elem.h"
#include "model.h"

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
 * always, IPv6 too when both have one; and when one of those entries is a
 * port range, the pair element (elem_init_pair) of each family: the
 * range sets are looked up only together with the pairs set
 * (rules/icc.nft).  Returns 0 or -1 with errno ENOMEM.
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
