/*
 * verdict.h: would a new connection from one container to a port of
 * another be allowed, and why (iccctl check).  The model's answer, from
 * the same engine that fills the kernel's sets (engine.h), then held
 * against what the kernel says (verdict_confirm).  Pure: no I/O.
 *
 * Terms as in model.h: FROM opens the connection (a link's receiver), TO
 * accepts it (the link's source); FROM may reach TO's exposed ports when
 * FROM declares a link whose source is TO and both run on one bridge.
 */
#ifndef ICCD_VERDICT_H
#define ICCD_VERDICT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elem.h"
#include "model.h"
#include "parse.h"

/* Why, in the order the model is asked (the first that applies wins). */
enum verdict_why {
	VERDICT_LINK,		/* allowed: a link's element */
	VERDICT_ICC_ON,		/* allowed: the bridge has icc on */
	VERDICT_NO_LINK,	/* no link from FROM to TO */
	VERDICT_PENDING,	/* a link, pending: a side stopped or unknown */
	VERDICT_NO_PORT,	/* a link, but TO does not expose the port */
	VERDICT_BRIDGES,	/* FROM and TO are on different bridges */
	VERDICT_UNBOUND,	/* a side has no address on a bridge (never
				 * started, or no IPv6 address for a v6 check) */
	VERDICT_STOPPED,	/* no link, and a side is stopped */
	VERDICT_NR
};

/* verdict_why_name: "link", "icc_on", "no_link", "pending",
 * "port_not_exposed", "bridges_differ", "unbound", "stopped". */
const char *verdict_why_name(enum verdict_why why);

/* One side as the user named it: a container name or an address. */
struct verdict_end {
	char		 name[ICC_NAME_MAX + 1];	/* "" for an address */
	int		 family;	/* AF_INET, AF_INET6; 0 for a name */
	union icc_addr	 addr;
};

/*
 * verdict_end_parse: s as an IPv4 or IPv6 address, else as a container
 * name.  Returns 0, or -1 with *why set (parse.h's rules).
 */
int verdict_end_parse(const char *s, struct verdict_end *out,
    const char **why);

struct verdict {
	bool		 allowed;
	enum verdict_why why;
	char		 from[ICC_NAME_MAX + 1];	/* resolved names */
	char		 to[ICC_NAME_MAX + 1];
	char		 bridge[ICC_IFNAME_MAX + 1];	/* "" unless one */
	char		 alias[ICC_NAME_MAX + 1];	/* the link's, or "" */
	bool		 has_flow;	/* both addressed on one bridge: flow
					 * holds the connection as one element
					 * (first == last == port) */
	struct icc_elem	 flow;
	bool		 has_elem;	/* VERDICT_LINK: the allowing element */
	struct icc_elem	 elem;
	char		 line[320];	/* one line saying why */
};

/*
 * verdict_check: judge a new connection from `from` to `to`, protocol
 * and port p->first (p->last is ignored) in m.  The family is the
 * addresses' when one side is given as an address (both must agree),
 * else IPv4.  Returns 0 with v filled, or -1 with one line in err when
 * the question has no answer: a side no container holds or is called
 * (unless a link of FROM names it: then VERDICT_PENDING), FROM and TO the
 * same container, families that differ.  errno is then EINVAL or ENOENT.
 */
int verdict_check(const struct icc_model *m, const struct verdict_end *from,
    const struct verdict_end *to, const struct icc_ports *p,
    struct verdict *v, char *err, size_t errlen);

/* What the kernel holds for the flow of a verdict (verdict_confirm). */
struct verdict_kernel {
	bool		 closed;	/* the closed set has "BR" . "BR" */
	bool		 found;		/* a link set holds an element
					 * matching the flow */
	struct icc_elem	 elem;		/* that element, when found */
};

/*
 * verdict_confirm: hold v against the kernel's view kv.  The kernel
 * allows the flow when the bridge is not closed or an element matches.
 * Only verdicts with a flow (v->has_flow) can be confirmed; for the
 * others (nothing running there, different bridges) *kernel_allowed is
 * v->allowed and the answer is agreement.  Returns true when the kernel
 * agrees; else line (len bytes) gets one line saying how they differ,
 * e.g. "disagreement: the model allows it by element links4 ..., the
 * kernel has no such element".  *kernel_allowed gets the kernel's answer.
 */
bool verdict_confirm(const struct verdict *v, const struct verdict_kernel *kv,
    bool *kernel_allowed, char *line, size_t len);

#endif
