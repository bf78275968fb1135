/*
 * bind.h: the rule engine's port bindings.  A running container that named
 * its host-side bridge port and its MAC (start --port --mac), on a bridge
 * with icc off, is bound: frames entering from that port must carry its MAC
 * and addresses, and its MAC and addresses are refused from every other
 * port (rules/icc-bridge.nft).  This file turns the model into the elements
 * (belem.h) of the bridge-family table's sets.  Pure: no I/O, no globals.
 */
#ifndef ICCD_BIND_H
#define ICCD_BIND_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "belem.h"
#include "model.h"

/* What binds one container to its port. */
struct icc_binding {
	char		port[ICC_IFNAME_MAX + 1];
	uint8_t		mac[6];
	struct in_addr	ip4;			/* network byte order */
	bool		has_ip6;
	struct in6_addr	ip6;			/* its global address */
	struct in6_addr	ll6;			/* fe80:: from the MAC */
};

/*
 * bind_ll6: the link-local address the kernel gives an interface with
 * that MAC (EUI-64, addr_gen_mode 0): fe80::(mac[0]^2)mac[1]:mac[2]ff:
 * fe mac[3]:mac[4]mac[5].
 */
void bind_ll6(const uint8_t mac[6], struct in6_addr *out);

/*
 * bind_of: c's binding in m into *b.  Returns true when c is bound:
 * running, with a port and a MAC, on a bridge with icc off.
 */
bool bind_of(const struct icc_model *m, const struct icc_container *c,
    struct icc_binding *b);

/*
 * bind_unbound: c runs on a bridge with icc off without naming its port:
 * nothing stops it from claiming another container's unbound addresses
 * (shown as "unbound" by list and status).
 */
bool bind_unbound(const struct icc_model *m, const struct icc_container *c);

/*
 * bind_elems: append the elements of b to out: one per set for IPv4 and
 * the MAC, and for IPv6 one per address (the link-local one always, the
 * global one when given).  Returns 0 or -1 with errno ENOMEM.
 */
int bind_elems(const struct icc_binding *b, struct belemvec *out);

/*
 * bind_all: every bound container's elements in m, sorted, each once
 * (two containers claiming one port or address share the element).
 * Returns 0 or -1 with errno ENOMEM.
 */
int bind_all(const struct icc_model *m, struct belemvec *out);

/*
 * bind_diff: what turns `have` into `want` (both sorted and unique, as
 * bind_all makes them): elements only in want appended to adds, only in
 * have to dels.  Returns 0 or -1 with errno ENOMEM.
 */
int bind_diff(const struct belemvec *want, const struct belemvec *have,
    struct belemvec *adds, struct belemvec *dels);

/* bind_count_unbound: running containers bind_unbound() calls so. */
size_t bind_count_unbound(const struct icc_model *m);

/*
 * bind_derive_all: append every bound container's elements in m to out,
 * unsorted, duplicates kept (one per derivation, for a bindset).
 * bind_touching: the same for the containers named names[0..n-1] only
 * (absent or unbound ones add nothing).  Both return 0 or -1 (ENOMEM).
 */
int bind_derive_all(const struct icc_model *m, struct belemvec *out);
int bind_touching(const struct icc_model *m, const char *const *names,
    size_t n, struct belemvec *out);

/*
 * A bindset: the bridge table's elements with derivation counts (two
 * containers claiming one port, MAC or address share its element, which
 * leaves the kernel only when neither derives it), so that a request
 * changes only what its containers derive.  Opaque; bindset_new returns
 * NULL with errno ENOMEM.
 */
struct bindset;
struct bindset *bindset_new(void);
void bindset_free(struct bindset *s);

/* bindset_size: distinct elements. */
size_t bindset_size(const struct bindset *s);

/*
 * bindset_plan: what the kernel must change when derivations `before`
 * are replaced by `after`: elements whose count goes from zero to
 * positive appended to adds, from positive to zero to dels (each once).
 * s is not changed.  Returns 0, or -1 with errno ENOMEM, or EINVAL when
 * before removes a derivation s does not hold.
 */
int bindset_plan(const struct bindset *s, const struct belemvec *before,
    const struct belemvec *after, struct belemvec *adds,
    struct belemvec *dels);

/*
 * bindset_commit: apply that replacement to s.  0, or -1 (ENOMEM; s may
 * then be partly changed and must be rebuilt).
 */
int bindset_commit(struct bindset *s, const struct belemvec *before,
    const struct belemvec *after);

/*
 * bindset_elems: every distinct element of s appended to out, sorted.
 * Returns 0 or -1 (ENOMEM).
 */
int bindset_elems(const struct bindset *s, struct belemvec *out);

#endif
