/*
 * kernel_ct.c: conntrack (ctnetlink, libmnl alone): delete the entries of
 * flows that lost their access (kernel_ct_flush_elems,
 * kernel_ct_flush_unallowed).
 */
#include "kernel_int.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

/* ---- conntrack: cutting the flows that lost their access ---------------- */

/*
 * Everything after a connection's first packet passes on conntrack's word
 * (ct state established,related accept), so taking an element out of a
 * set only stops new connections: one accepted before would flow on until
 * conntrack forgets it, 5 days for an established TCP connection.  Its
 * entry must go too, through ctnetlink (NFNL_SUBSYS_CTNETLINK, spoken on
 * k->nl like nf_tables): dump, judge each entry here, then delete the
 * guilty ones one message each, named by their original tuple, zone and
 * id.  With the id an entry that died and was made again with the same
 * tuple meanwhile (by a packet the new ruleset accepted) is left alone:
 * ENOENT, which is no error.  6.18 can also delete by pattern (a DELETE
 * carrying a tuple and CTA_FILTER flushes what matches), but it matches
 * exact ports only, tells no count, walks the whole table as a dump does,
 * and shares the IPv6 bug below: asked to flush ::1 -> ::1 it deleted
 * every other IPv6 entry and kept those.
 *
 * An entry is judged on what the isolate chain saw of its first packet:
 * forward runs after DNAT and before SNAT, so the receiver is the original
 * source and the source container the reply's source (its port the
 * reply's source port).  Without NAT that is the original tuple itself;
 * with hairpin NAT (a container reaching another through a port published
 * on the host's address, Docker without userland proxy) the original
 * destination is the host's address and only the reply names the
 * container.
 *
 * A dump may be filtered in the kernel (CTA_FILTER, since 5.10: exact
 * addresses of the original and reply tuples).  The kernel still walks its
 * whole hash table (nf_conntrack_buckets, 262144 on the test machine), but
 * sends only what matches, which saves most of the cost when the table is
 * big and the removed elements name few address pairs.  A kernel without
 * CTA_FILTER ignores the attribute and sends everything: the entries are
 * judged here in any case, so the outcome is the same.  IPv4 only: the
 * IPv6 address match of ctnetlink_filter_match_tuple() is inverted (it
 * tests !ipv6_addr_cmp(), true when the addresses are equal, and skips
 * the entry), so on 6.18 a filtered IPv6 dump sends every entry but the
 * wanted ones.  IPv6 entries come from one dump of the family instead.
 */

/* A CTA_FILTER_ORIG_FLAGS / _REPLY_FLAGS bit: the kernel's nf_internals.h
 * (not uapi). */
#define CT_FILTER_IP_SRC	(1U << 0)
/* Up to this many IPv4 address pairs: one filtered dump each, else one
 * dump of the family. */
#define CT_FILTERED_DUMPS_MAX	8
/*
 * Every dump walks all the buckets of the kernel's (global) conntrack
 * hash: 4.5-5 ms for 262144 buckets on the test machine, however few
 * entries match; sending an entry costs about 0.75 us more.  Removed
 * elements of both families need an IPv6 dump anyway: when the
 * namespace holds fewer entries than this, one dump of both families
 * (one walk) is cheaper than a filtered IPv4 dump beside it.
 */
#define CT_SMALL_TABLE		4096
#define CT_COUNT_SYSCTL		"/proc/sys/net/netfilter/nf_conntrack_count"
/* Delete messages per sendmsg (each is acked: the receive buffer grows). */
#define CT_DEL_CHUNK		256
/* Room for an entry's CTA_TUPLE_ORIG (76 bytes for IPv6 TCP), CTA_ZONE and
 * CTA_ID. */
#define CT_ATTRS_MAX		192

/* What an entry is judged on: its first packet as forward saw it. */
struct ctflow {
	uint8_t		family;
	uint8_t		proto;
	uint16_t	dport;		/* host byte order; 0 without ports */
	union icc_addr	src, dst;	/* tails zero */
};

/* One tuple of an entry. */
struct cttuple {
	uint8_t		proto;
	uint16_t	sport, dport;	/* host byte order; 0 without ports */
	union icc_addr	src, dst;	/* tails zero */
};

/* An entry to delete: the attributes naming it, as the dump gave them. */
struct ctdel {
	uint8_t		family;
	uint16_t	len;
	uint8_t		attrs[CT_ATTRS_MAX];
};

struct ctdump {
	bool		(*guilty)(const struct ctflow *, const void *);
	const void	 *arg;
	struct ctdel	 *v;
	size_t		  n, cap;
	int		  error;	/* an entry that could not be kept */
};

/* ct_hdr: a ctnetlink request of family (AF_UNSPEC: every family). */
static struct nlmsghdr *
ct_hdr(struct kernel *k, char *buf, uint16_t type, uint16_t flags,
    uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++k->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* ct_addr_get: an address attribute of exactly len bytes into a. */
static int
ct_addr_get(const struct nlattr *attr, size_t len, union icc_addr *a)
{
	if (attr == NULL || mnl_attr_get_payload_len(attr) != len)
		return -1;
	memcpy(a, mnl_attr_get_payload(attr), len);
	return 0;
}

/* ct_port: a port attribute (network byte order) or 0. */
static uint16_t
ct_port(const struct nlattr *attr)
{
	if (attr == NULL || mnl_attr_get_payload_len(attr) != 2)
		return 0;
	return ntohs(mnl_attr_get_u16(attr));
}

/* ct_tuple: addresses, protocol and ports of a tuple nest. */
static int
ct_tuple(const struct nlattr *nest, uint8_t family, struct cttuple *f)
{
	const struct nlattr *tt[CTA_TUPLE_MAX + 1] = { 0 };
	const struct nlattr *ip[CTA_IP_MAX + 1] = { 0 };
	const struct nlattr *pr[CTA_PROTO_MAX + 1] = { 0 };
	struct attrs att = { tt, CTA_TUPLE_MAX }, ati = { ip, CTA_IP_MAX };
	struct attrs atp = { pr, CTA_PROTO_MAX };
	bool v4 = family == AF_INET;
	size_t alen = v4 ? 4 : 16;

	memset(f, 0, sizeof(*f));
	if (mnl_attr_parse_nested(nest, attrs_cb, &att) < 0 ||
	    tt[CTA_TUPLE_IP] == NULL || tt[CTA_TUPLE_PROTO] == NULL ||
	    mnl_attr_parse_nested(tt[CTA_TUPLE_IP], attrs_cb, &ati) < 0 ||
	    mnl_attr_parse_nested(tt[CTA_TUPLE_PROTO], attrs_cb, &atp) < 0)
		return -1;
	if (ct_addr_get(ip[v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC], alen,
	    &f->src) < 0 ||
	    ct_addr_get(ip[v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST], alen,
	    &f->dst) < 0 ||
	    pr[CTA_PROTO_NUM] == NULL ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_NUM]) != 1)
		return -1;
	f->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	/* tcp, udp, sctp, dccp, udplite; none for icmp and the like. */
	f->sport = ct_port(pr[CTA_PROTO_SRC_PORT]);
	f->dport = ct_port(pr[CTA_PROTO_DST_PORT]);
	return 0;
}

/* ct_flow: the first packet as forward saw it (see above). */
static int
ct_flow(const struct nlattr *orig, const struct nlattr *reply,
    uint8_t family, struct ctflow *f)
{
	struct cttuple o, r;

	if (ct_tuple(orig, family, &o) < 0 || ct_tuple(reply, family, &r) < 0)
		return -1;
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->proto = o.proto;
	f->src = o.src;
	f->dst = r.src;
	f->dport = r.sport;
	return 0;
}

/* ct_keep: remember the attributes that name one entry for its delete. */
static int
ct_keep(struct ctdump *d, uint8_t family, const struct nlattr *const *tb)
{
	static const uint16_t names[] = { CTA_TUPLE_ORIG, CTA_ZONE, CTA_ID };
	struct ctdel *del;
	size_t i, len;

	if (grow_array((void **)&d->v, &d->cap, d->n, sizeof(*d->v)) < 0)
		return -1;
	del = &d->v[d->n];
	del->family = family;
	del->len = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (tb[names[i]] == NULL)
			continue;
		len = MNL_ALIGN(mnl_attr_get_len(tb[names[i]]));
		if (del->len + len > sizeof(del->attrs)) {
			d->error = EMSGSIZE;
			return 0;
		}
		memcpy(del->attrs + del->len, tb[names[i]], len);
		del->len += len;
	}
	d->n++;
	return 0;
}

static int
ct_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct attrs at = { tb, CTA_MAX };
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct ctdump *d = arg;
	struct ctflow f;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)) ||
	    (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6) ||
	    mnl_attr_parse(nlh, sizeof(*nfg), attrs_cb, &at) < 0 ||
	    tb[CTA_TUPLE_ORIG] == NULL || tb[CTA_TUPLE_REPLY] == NULL)
		return MNL_CB_OK;
	if (ct_flow(tb[CTA_TUPLE_ORIG], tb[CTA_TUPLE_REPLY],
	    nfg->nfgen_family, &f) < 0 || !d->guilty(&f, d->arg))
		return MNL_CB_OK;
	return ct_keep(d, nfg->nfgen_family, tb) < 0 ? MNL_CB_ERROR :
	    MNL_CB_OK;
}

/* ct_put_src: a tuple nest holding only a source address. */
static void
ct_put_src(struct nlmsghdr *nlh, uint16_t type, const union icc_addr *a)
{
	struct nlattr *tuple, *ip;

	tuple = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, a);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, tuple);
}

/*
 * ct_dump: run d over the entries of family (AF_UNSPEC: all); with recv
 * and src (both or neither; AF_INET only, see above) the kernel sends
 * only those whose original source is recv and reply source is src.
 */
static int
ct_dump(struct kernel *k, uint8_t family, const union icc_addr *recv,
    const union icc_addr *src, struct ctdump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *filter;
	struct nlmsghdr *nlh;

	nlh = ct_hdr(k, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
	if (family == AF_INET && recv != NULL && src != NULL) {
		ct_put_src(nlh, CTA_TUPLE_ORIG, recv);
		ct_put_src(nlh, CTA_TUPLE_REPLY, src);
		filter = mnl_attr_nest_start(nlh, CTA_FILTER);
		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, CT_FILTER_IP_SRC);
		mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, CT_FILTER_IP_SRC);
		mnl_attr_nest_end(nlh, filter);
	}
	errno = 0;
	return nl_talk(k, nlh, ct_dump_cb, d);
}

/* ct_del_build: the delete messages of v[0..n-1] into buf; their length. */
static size_t
ct_del_build(struct kernel *k, char *buf, const struct ctdel *v, size_t n)
{
	struct nlmsghdr *nlh;
	size_t i, off = 0;

	for (i = 0; i < n; i++) {
		nlh = ct_hdr(k, buf + off, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
		    v[i].family);
		memcpy(mnl_nlmsg_get_payload_tail(nlh), v[i].attrs, v[i].len);
		nlh->nlmsg_len += v[i].len;
		off += nlh->nlmsg_len;
	}
	return off;
}

/* ct_acks: account for one datagram of acks to messages seq0..seq0+n-1. */
static void
ct_acks(const char *buf, size_t len, uint32_t portid, uint32_t seq0,
    size_t n, size_t *got, int *deleted, int *error)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlmsgerr *e;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != portid ||
		    nlh->nlmsg_seq - seq0 >= n ||
		    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		(*got)++;
		if (e->error == 0)
			(*deleted)++;
		else if (e->error != -ENOENT && *error == 0)
			*error = -e->error;
	}
}

/*
 * ct_delete_chunk: delete v[0..n-1] (n <= CT_DEL_CHUNK) in one sendmsg;
 * the kernel handles every message inside it and acks each.  Adds the
 * entries it deleted to *deleted.  Returns 0 or a negative errno (the
 * first error other than ENOENT: gone meanwhile).
 */
static int
ct_delete_chunk(struct kernel *k, char *buf, const struct ctdel *v, size_t n,
    int *deleted)
{
	uint32_t seq0 = k->seq + 1;
	size_t len, got = 0;
	int error = 0;
	ssize_t r;

	len = ct_del_build(k, buf, v, n);
	sock_grow(mnl_socket_get_fd(k->nl), SO_RCVBUF, SO_RCVBUFFORCE,
	    (n + 1) * RCVBUF_PER_ACK);
	sock_drain(k);
	if (mnl_socket_sendto(k->nl, buf, len) < 0)
		return -errno;
	while (got < n) {
		if ((r = sock_recv(k, 0)) < 0) {
			if (errno == ENOBUFS)
				sock_enobufs(k);
			return -errno;
		}
		ct_acks(k->buf, (size_t)r, k->portid, seq0, n, &got, deleted,
		    &error);
	}
	return -error;
}

/* ct_delete: delete every entry of d; the number deleted or -errno. */
static int
ct_delete(struct kernel *k, const struct ctdump *d)
{
	char *buf;
	size_t i, n;
	int deleted = 0, rc = 0;

	if (d->n == 0)
		return 0;
	if ((buf = malloc(CT_DEL_CHUNK * MNL_ALIGN(sizeof(struct nlmsghdr) +
	    sizeof(struct nfgenmsg) + CT_ATTRS_MAX))) == NULL)
		return -ENOMEM;
	for (i = 0; i < d->n && rc == 0; i += n) {
		n = d->n - i < CT_DEL_CHUNK ? d->n - i : CT_DEL_CHUNK;
		rc = ct_delete_chunk(k, buf, d->v + i, n, &deleted);
	}
	free(buf);
	return rc < 0 ? rc : deleted;
}

/*
 * ct_covered: an element of v[0..n-1] (sorted by elem_cmp) lets f's
 * source open f's destination port: the receiver . source . protocol .
 * port lookup of the isolate chain would accept f's first packet.
 */
static bool
ct_covered(const struct icc_elem *v, size_t n, const struct ctflow *f)
{
	struct icc_elem key;
	size_t lo = 0, hi = n, mid;

	memset(&key, 0, sizeof(key));
	key.family = f->family;
	key.proto = f->proto;
	key.recv = f->src;
	key.src = f->dst;
	/* The first element not below key (whose ports are 0 . 0). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (elem_cmp(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && elem_same_flow(&v[lo], &key) &&
	    v[lo].first <= f->dport; lo++)
		if (f->dport <= v[lo].last)
			return true;
	return false;
}

/* ct_sorted_copy: ev's elements, sorted, in a vector of the caller's. */
static int
ct_sorted_copy(const struct elemvec *ev, struct elemvec *out)
{
	memset(out, 0, sizeof(*out));
	if (ev == NULL || ev->n == 0)
		return 0;
	if ((out->v = malloc(ev->n * sizeof(*out->v))) == NULL)
		return -ENOMEM;
	memcpy(out->v, ev->v, ev->n * sizeof(*out->v));
	out->n = out->cap = ev->n;
	elemvec_sort(out);
	return 0;
}

static bool
ct_gone_guilty(const struct ctflow *f, const void *arg)
{
	const struct elemvec *gone = arg;

	return ct_covered(gone->v, gone->n, f);
}

/* The address pairs gone names, in order: the start of the next one. */
static size_t
ct_next_pair(const struct elemvec *gone, size_t i)
{
	const struct icc_elem *a = &gone->v[i];

	while (++i < gone->n && elem_same_addrs(&gone->v[i], a))
		;
	return i;
}

/* ct_count_pairs: the address pairs of family gone names. */
static size_t
ct_count_pairs(const struct elemvec *gone, uint8_t family)
{
	size_t i, n = 0;

	for (i = 0; i < gone->n; i = ct_next_pair(gone, i))
		if (gone->v[i].family == family)
			n++;
	return n;
}

/* ct_dump_gone4: the IPv4 entries of gone's pairs, into d. */
static int
ct_dump_gone4(struct kernel *k, const struct elemvec *gone, struct ctdump *d)
{
	size_t i, n = ct_count_pairs(gone, AF_INET);
	int rc = 0;

	if (n > CT_FILTERED_DUMPS_MAX)
		return ct_dump(k, AF_INET, NULL, NULL, d);
	for (i = 0; i < gone->n && rc == 0; i = ct_next_pair(gone, i))
		if (gone->v[i].family == AF_INET)
			rc = ct_dump(k, AF_INET, &gone->v[i].recv,
			    &gone->v[i].src, d);
	return rc;
}

/* ct_table_small: the namespace holds fewer than CT_SMALL_TABLE entries. */
static bool
ct_table_small(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(CT_COUNT_SYSCTL, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strtol(buf, NULL, 10) < CT_SMALL_TABLE;
}

/* ct_dump_gone: the entries gone's elements may concern, into d. */
static int
ct_dump_gone(struct kernel *k, const struct elemvec *gone, struct ctdump *d)
{
	bool v4 = ct_count_pairs(gone, AF_INET) > 0;
	bool v6 = ct_count_pairs(gone, AF_INET6) > 0;
	int rc = 0;

	if (v4 && v6 && ct_table_small())
		return ct_dump(k, AF_UNSPEC, NULL, NULL, d);
	if (v4)
		rc = ct_dump_gone4(k, gone, d);
	if (rc == 0 && v6)
		rc = ct_dump(k, AF_INET6, NULL, NULL, d);
	return rc;
}

int
kernel_ct_flush_elems(struct kernel *k, const struct elemvec *gone)
{
	struct elemvec sorted;
	struct ctdump d = { ct_gone_guilty, &sorted, NULL, 0, 0, 0 };
	int rc = 0;

	if ((rc = ct_sorted_copy(gone, &sorted)) < 0 || sorted.n == 0)
		return rc;
	rc = ct_dump_gone(k, &sorted, &d);
	if (rc == 0)
		rc = ct_delete(k, &d);
	if (rc >= 0 && d.error != 0)
		rc = -d.error;
	free(d.v);
	elemvec_free(&sorted);
	return rc;
}

/* ---- flows between containers of closed bridges that nothing allows */

struct ct_scope {
	struct elemvec		 allowed;	/* sorted */
	struct ct_member	*members;	/* sorted by family, address */
	size_t			 nmembers;
};

static int
ct_member_cmp(const void *a, const void *b)
{
	const struct ct_member *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(&x->addr, &y->addr, x->family == AF_INET ? 4 : 16);
}

/* ct_members_of: the first of the members holding addr; *n gets how many
 * (an address may be on two bridges). */
static const struct ct_member *
ct_members_of(const struct ct_scope *s, uint8_t family,
    const union icc_addr *addr, size_t *n)
{
	struct ct_member key;
	size_t lo = 0, hi = s->nmembers, mid;

	memset(&key, 0, sizeof(key));
	key.family = family;
	key.addr = *addr;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ct_member_cmp(&s->members[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (*n = 0; lo + *n < s->nmembers &&
	    ct_member_cmp(&s->members[lo + *n], &key) == 0; (*n)++)
		;
	return &s->members[lo];
}

/* ct_same_bridge: f goes between two members of one closed bridge. */
static bool
ct_same_bridge(const struct ct_scope *s, const struct ctflow *f)
{
	const struct ct_member *a, *b;
	size_t na, nb, i, j;

	a = ct_members_of(s, f->family, &f->src, &na);
	b = ct_members_of(s, f->family, &f->dst, &nb);
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (strcmp(a[i].bridge, b[j].bridge) == 0)
				return true;
	return false;
}

static bool
ct_unallowed_guilty(const struct ctflow *f, const void *arg)
{
	const struct ct_scope *s = arg;

	return ct_same_bridge(s, f) &&
	    !ct_covered(s->allowed.v, s->allowed.n, f);
}

int
kernel_ct_flush_unallowed(struct kernel *k, const struct elemvec *allowed,
    const struct ct_member *members, size_t nmembers)
{
	struct ct_scope s = { { 0 }, NULL, nmembers };
	struct ctdump d = { ct_unallowed_guilty, &s, NULL, 0, 0, 0 };
	int rc;

	if (nmembers < 2)
		return 0;	/* no two containers on a closed bridge */
	if ((rc = ct_sorted_copy(allowed, &s.allowed)) < 0)
		return rc;
	if ((s.members = malloc(nmembers * sizeof(*members))) == NULL) {
		elemvec_free(&s.allowed);
		return -ENOMEM;
	}
	memcpy(s.members, members, nmembers * sizeof(*members));
	qsort(s.members, nmembers, sizeof(*members), ct_member_cmp);
	if ((rc = ct_dump(k, AF_UNSPEC, NULL, NULL, &d)) == 0)
		rc = ct_delete(k, &d);
	if (rc >= 0 && d.error != 0)
		rc = -d.error;
	free(d.v);
	free(s.members);
	elemvec_free(&s.allowed);
	return rc;
}
