/* droplog.c: see droplog.h. */
#include "droplog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

struct droplog {
	struct drop_entry	*v;
	size_t			 cap;
	size_t			 n;		/* entries held, <= cap */
	size_t			 next;		/* slot of the next record */
	unsigned long long	 seq;		/* the newest's */
};

struct droplog *
droplog_new(size_t cap)
{
	struct droplog *l;

	if (cap == 0 || (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->v = calloc(cap, sizeof(*l->v))) == NULL) {
		free(l);
		return NULL;
	}
	l->cap = cap;
	return l;
}

void
droplog_free(struct droplog *l)
{
	if (l == NULL)
		return;
	free(l->v);
	free(l);
}

unsigned long long
droplog_last(const struct droplog *l)
{
	return l->seq;
}

static const char *
proto_text(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		return proto_name(proto);
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

/* judge: names and reason of p in m, as iccctl check gives them. */
static void
judge(const struct icc_model *m, const struct kdrop *p, struct drop_entry *e)
{
	struct verdict_end from = { .family = p->family, .addr = p->saddr };
	struct verdict_end to = { .family = p->family, .addr = p->daddr };
	struct icc_ports port = { p->dport, p->dport, p->proto };
	struct verdict v;
	char err[sizeof(e->reason)];

	if (p->dport == 0) {
		snprintf(e->reason, sizeof(e->reason), "links allow only tcp, "
		    "udp and sctp ports");
		port.proto = IPPROTO_TCP;	/* for the names only */
		port.first = port.last = 1;
	}
	if (verdict_check(m, &from, &to, &port, &v, err, sizeof(err)) == -1) {
		if (p->dport != 0)
			snprintf(e->reason, sizeof(e->reason), "%s", err);
		return;
	}
	snprintf(e->from, sizeof(e->from), "%s", v.from);
	snprintf(e->to, sizeof(e->to), "%s", v.to);
	if (p->dport != 0)
		snprintf(e->reason, sizeof(e->reason), "%s", v.line);
}

/* same_flow: a and b are packets of one connection. */
static bool
same_flow(const struct kdrop *a, const struct kdrop *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->proto == b->proto &&
	    a->sport == b->sport && a->dport == b->dport &&
	    strcmp(a->bridge, b->bridge) == 0 &&
	    memcmp(&a->saddr, &b->saddr, n) == 0 &&
	    memcmp(&a->daddr, &b->daddr, n) == 0;
}

/* recent: the entry of p's flow whose last packet is within
 * DROPLOG_SAME_S seconds of when (either way: the clock may step). */
static struct drop_entry *
recent(struct droplog *l, const struct kdrop *p, const struct timespec *when)
{
	struct drop_entry *e;
	time_t d;

	for (size_t i = 1; i <= l->n; i++) {
		e = &l->v[(l->next + l->cap - i) % l->cap];
		d = when->tv_sec - e->last.tv_sec;
		if ((d < 0 ? -d : d) <= DROPLOG_SAME_S && same_flow(&e->pkt, p))
			return e;
	}
	return NULL;
}

const struct drop_entry *
droplog_record(struct droplog *l, const struct icc_model *m,
    const struct kdrop *p, const struct timespec *when)
{
	struct drop_entry *e;

	if ((e = recent(l, p, when)) != NULL) {
		e->packets++;
		e->last = *when;
		return e;
	}
	e = &l->v[l->next];
	memset(e, 0, sizeof(*e));
	e->seq = ++l->seq;
	e->when = e->last = *when;
	e->packets = 1;
	e->pkt = *p;
	judge(m, p, e);
	l->next = (l->next + 1) % l->cap;
	if (l->n < l->cap)
		l->n++;
	return e;
}

static json_t *
entry_json(const struct drop_entry *e)
{
	char t[40], ms[8], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], pb[8];
	struct tm tm;

	gmtime_r(&e->when.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ms, sizeof(ms), ".%03ldZ", e->when.tv_nsec / 1000000);
	strncat(t, ms, sizeof(t) - strlen(t) - 1);
	inet_ntop(e->pkt.family, &e->pkt.saddr, a, sizeof(a));
	inet_ntop(e->pkt.family, &e->pkt.daddr, b, sizeof(b));
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I}",
	    "seq", (json_int_t)e->seq, "time", t, "bridge", e->pkt.bridge,
	    "from", e->from[0] ? e->from : "?", "from_addr", a, "to",
	    e->to[0] ? e->to : "?", "to_addr", b, "proto",
	    proto_text(e->pkt.proto, pb, sizeof(pb)), "port", e->pkt.dport,
	    "reason", e->reason, "packets", (json_int_t)e->packets);
}

json_t *
droplog_json(const struct droplog *l, unsigned long long after)
{
	json_t *a = json_array();
	size_t i, first = (l->next + l->cap - l->n) % l->cap;
	const struct drop_entry *e;

	if (a == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		e = &l->v[(first + i) % l->cap];
		if (e->seq <= after)
			continue;
		if (json_array_append_new(a, entry_json(e)) == -1) {
			json_decref(a);
			errno = ENOMEM;
			return NULL;
		}
	}
	return a;
}
