/*
 * kernel.c: iccd's table in the kernel, through libnftnl + libmnl (see
 * kernel.h and rules/icc.nft), and the conntrack entries of flows that
 * lost their access, through ctnetlink with libmnl alone.
 *
 * Every change is one nfnetlink batch: NFNL_MSG_BATCH_BEGIN, nf_tables
 * messages, NFNL_MSG_BATCH_END, handed to the kernel in a single
 * sendmsg(2).  The kernel takes a batch from one skb: a batch split over
 * two sends would be a first transaction aborted for want of its end and
 * a second one without a beginning, so big batches grow the socket's send
 * buffer rather than being sent piecemeal.  Every message asks for an ack;
 * as in nftables' mnl_batch_talk() all acks are drained and an error is
 * mapped back to its message by sequence number, and to the very element
 * by the attribute offset the kernel puts in its extended ack.
 *
 * Set elements are built by hand from struct icc_elem: the key is what the
 * lookup rules load into consecutive registers, each field padded to 4
 * bytes (receiver address, source address, l4proto, port in network byte
 * order), exactly as nft lays out a concatenation.
 */
#include "kernel.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "engine.h"
#include "kernel_priv.h"

/* As nftables: 2 MB batch pages, room past the page for one message. */
/* MNL_SOCKET_BUFFER_SIZE's largest value, as a constant. */
#define NL_BUF_SIZE		8192
#define BATCH_PAGE_SIZE		(2 * 1024 * 1024)
/* Largest message: an element list (16-bit nest length) plus headers. */
#define NLMSG_MAXSIZE		(UINT16_MAX + 4096)
/* Bound on one element's attributes (v6 range: 2 keys of 40 bytes). */
#define ELEM_ATTR_MAX		128
/* Receive buffer per expected ack: an ack's skb truesize is under 1 KB. */
#define RCVBUF_PER_ACK		2048
/* kernel_sync: dumps + commits tried before giving up with -EAGAIN. */
#define SYNC_TRIES		5
/*
 * Link elements one sync transaction adds at most: the kernel holds the
 * nftables commit mutex for the whole commit (about 3.5 us per element),
 * so a 100k-element start in one transaction would stall every other
 * nftables user on the host for ~0.35 s.  Adding in chunks is safe: link
 * elements only grant access, and the layout, the rules, the closed
 * bridges and every delete go in the first transaction.
 */
#define SYNC_CHUNK		4096
/* No answer for that long means the kernel will not answer. */
#define RECV_TIMEOUT_SEC	30
#define KEY_MAX			40

#define FORWARD_CHAIN		"forward"
#define ISOLATE_CHAIN		"isolate"

/* The sets: the four link sets keep engine.h's numbering. */
enum kset {
	KSET_LINKS4 = ICC_SET_LINKS4,
	KSET_RANGES4 = ICC_SET_RANGES4,
	KSET_LINKS6 = ICC_SET_LINKS6,
	KSET_RANGES6 = ICC_SET_RANGES6,
	KSET_CLOSED = ICC_SET_NR,
	KSET_NR
};

/*
 * nft's datatype numbers (nftables include/datatype.h).  A concatenation's
 * key type is its fields' types, 6 bits each (nft's TYPE_BITS), first
 * field highest: it is what lets `nft list` print the set's type and
 * elements.
 */
#define TYPE_IPADDR		7
#define TYPE_IP6ADDR		8
#define TYPE_INET_PROTOCOL	12
#define TYPE_INET_SERVICE	13
#define TYPE_IFNAME		41
#define CONCAT2(a, b)		(((a) << 6) | (b))
#define CONCAT4(a, b, c, d)	CONCAT2(CONCAT2(CONCAT2(a, b), c), d)
#define LINK4_TYPE \
	CONCAT4(TYPE_IPADDR, TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE)
#define LINK6_TYPE \
	CONCAT4(TYPE_IP6ADDR, TYPE_IP6ADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE)

/* nft's byteorder of a concatenation key (BYTEORDER_INVALID). */
#define KEY_BYTEORDER_CONCAT	0

static const struct setspec {
	const char	*name;
	uint32_t	 keytype;
	uint32_t	 keylen;
	uint32_t	 flags;
	uint8_t		 fields[4];	/* field lengths, interval sets */
	uint32_t	 id;		/* NFTA_SET_ID in a rebuild */
} setspecs[KSET_NR] = {
	[KSET_CLOSED] = { "closed", CONCAT2(TYPE_IFNAME, TYPE_IFNAME),
	    2 * IFNAMSIZ, 0, { 0 }, 1 },
	[KSET_LINKS4] = { "links4", LINK4_TYPE, 16, 0, { 0 }, 2 },
	[KSET_RANGES4] = { "ranges4", LINK4_TYPE, 16,
	    NFT_SET_CONCAT | NFT_SET_INTERVAL, { 4, 4, 1, 2 }, 3 },
	[KSET_LINKS6] = { "links6", LINK6_TYPE, 40, 0, { 0 }, 4 },
	[KSET_RANGES6] = { "ranges6", LINK6_TYPE, 40,
	    NFT_SET_CONCAT | NFT_SET_INTERVAL, { 16, 16, 1, 2 }, 5 },
};

/* Creation order, which is also the order `nft list` prints them in. */
static const enum kset set_order[KSET_NR] = {
	KSET_CLOSED, KSET_LINKS4, KSET_RANGES4, KSET_LINKS6, KSET_RANGES6
};

struct kernel {
	struct mnl_socket	*nl;
	uint32_t		 portid;
	uint32_t		 seq;
	char			 table[NFT_TABLE_MAXNAMELEN];
	char			*buf;		/* NLMSG_MAXSIZE, for answers */
	struct mnl_socket	*mon;		/* NFNLGRP_NFTABLES events */
	struct belemvec		 bwant;		/* the bridge table's elements
						 * (kernel_set_bindings) */
};

/* One set element as the kernel holds it: raw key bytes. */
struct kelem {
	uint8_t	set;			/* enum kset */
	uint8_t	key[KEY_MAX];
	uint8_t	end[KEY_MAX];		/* interval sets: the range's end */
};

struct kelemvec {
	struct kelem	*v;
	size_t		 n, cap;
};

struct kop {
	bool		del;
	struct kelem	ke;
};

struct kbatch {
	struct kernel	*k;
	struct kop	*ops;
	size_t		 n, cap;
	struct belemvec	 badd, bdel;	/* bridge table elements */
};

/* ---- small helpers --------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
errfmt(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > SIZE_MAX / size) {
		errno = ENOMEM;
		return -1;
	}
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int
kelemvec_push(struct kelemvec *kv, const struct kelem *ke)
{
	if (grow((void **)&kv->v, &kv->cap, kv->n, sizeof(*kv->v)) < 0)
		return -1;
	kv->v[kv->n++] = *ke;
	return 0;
}

/* kelems carry no padding: memcmp is a total order. */
static int
kelem_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kelem));
}

static void
kelemvec_sort_uniq(struct kelemvec *kv)
{
	size_t i, j;

	if (kv->n == 0)
		return;
	qsort(kv->v, kv->n, sizeof(*kv->v), kelem_cmp);
	for (i = 1, j = 0; i < kv->n; i++)
		if (kelem_cmp(&kv->v[i], &kv->v[j]) != 0)
			kv->v[++j] = kv->v[i];
	kv->n = j + 1;
}

static bool
set_is_interval(enum kset s)
{
	return (setspecs[s].flags & NFT_SET_INTERVAL) != 0;
}

static size_t
set_addr_len(enum kset s)
{
	return s == KSET_LINKS4 || s == KSET_RANGES4 ? 4 : 16;
}

/* ---- element keys ---------------------------------------------------- */

/* Fields padded to 4 bytes, as nft concatenates registers. */
static void
key_put(uint8_t *key, size_t alen, const union icc_addr *recv,
    const union icc_addr *src, uint8_t proto, uint16_t port)
{
	uint16_t nport = htons(port);

	memcpy(key, recv, alen);
	memcpy(key + alen, src, alen);
	key[2 * alen] = proto;
	memcpy(key + 2 * alen + 4, &nport, sizeof(nport));
}

static void
kelem_from_elem(struct kelem *ke, const struct icc_elem *e)
{
	size_t alen;

	memset(ke, 0, sizeof(*ke));
	ke->set = elem_set(e);
	alen = set_addr_len(ke->set);
	key_put(ke->key, alen, &e->recv, &e->src, e->proto, e->first);
	if (set_is_interval(ke->set))
		key_put(ke->end, alen, &e->recv, &e->src, e->proto, e->last);
}

/* "br0" . "br0": the traffic between two ports of bridge br0. */
static int
kelem_from_bridge(struct kelem *ke, const char *bridge)
{
	size_t len = strlen(bridge);

	if (len == 0 || len >= IFNAMSIZ) {
		errno = len ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	memset(ke, 0, sizeof(*ke));
	ke->set = KSET_CLOSED;
	memcpy(ke->key, bridge, len);
	memcpy(ke->key + IFNAMSIZ, bridge, len);
	return 0;
}

/*
 * kelem_to_elem: decode a link set's element.  An interval element's end
 * must differ from its start in the port only; -1 for anything else (a
 * range of addresses or protocols, which iccd never adds).
 */
static int
kelem_to_elem(const struct kelem *ke, struct icc_elem *e)
{
	size_t alen = set_addr_len(ke->set), plen = 2 * alen + 4;
	uint16_t port;

	memset(e, 0, sizeof(*e));
	e->family = alen == 4 ? AF_INET : AF_INET6;
	memcpy(&e->recv, ke->key, alen);
	memcpy(&e->src, ke->key + alen, alen);
	e->proto = ke->key[2 * alen];
	memcpy(&port, ke->key + plen, sizeof(port));
	e->first = e->last = ntohs(port);
	if (!set_is_interval(ke->set))
		return 0;
	if (memcmp(ke->key, ke->end, plen) != 0)
		return -1;
	memcpy(&port, ke->end + plen, sizeof(port));
	e->last = ntohs(port);
	return 0;
}

static void
kelem_format(const struct kelem *ke, char *buf, size_t len)
{
	struct icc_elem e;
	size_t i, off;

	if (ke->set == KSET_CLOSED) {
		snprintf(buf, len, "\"%.*s\" . \"%.*s\"", IFNAMSIZ,
		    (const char *)ke->key, IFNAMSIZ,
		    (const char *)ke->key + IFNAMSIZ);
		return;
	}
	if (kelem_to_elem(ke, &e) == 0 && len >= ELEM_FMT_LEN) {
		elem_format(&e, buf, len);
		return;
	}
	/* Not iccd's: show the raw key, as nft --debug=netlink would. */
	off = 0;
	buf[0] = '\0';
	for (i = 0; i < setspecs[ke->set].keylen && off + 3 < len; i++)
		off += snprintf(buf + off, len - off, "%02x", ke->key[i]);
}

/* ---- socket ---------------------------------------------------------- */

/*
 * sock_grow: make socket buffer `opt` at least `want` bytes.  The FORCE
 * variant passes over net.core.[rw]mem_max (iccd has CAP_NET_ADMIN);
 * without it we get what the sysctl allows, and a big batch may then fail
 * with EMSGSIZE (send) or lose acks (receive).
 */
static void
sock_grow(int fd, int opt, int force, size_t want)
{
	int cur, val;
	socklen_t len = sizeof(cur);

	if (want > INT_MAX / 2)
		want = INT_MAX / 2;
	/* The kernel reports twice what was set: compare halves. */
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &len) == 0 &&
	    (size_t)cur / 2 >= want)
		return;
	val = (int)want;
	if (setsockopt(fd, SOL_SOCKET, force, &val, sizeof(val)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &val, sizeof(val));
}

/*
 * ENOBUFS on receive: acks did not fit in the receive buffer and the
 * kernel dropped them (it never blocks to deliver an ack).  Like
 * conntrack-tools' ctnl.c on event overrun, double the buffer so the next
 * exchange fits; what was lost is lost, the caller must find out the
 * outcome another way (kernel_sync dumps again).
 */
static void
sock_enobufs(struct kernel *k)
{
	int fd = mnl_socket_get_fd(k->nl), cur = 0;
	socklen_t len = sizeof(cur);

	(void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &len);
	sock_grow(fd, SO_RCVBUF, SO_RCVBUFFORCE,
	    cur > 0 ? (size_t)cur : 1 << 20);
}

/* Throw away anything left from an exchange that was cut short. */
static void
sock_drain(struct kernel *k)
{
	int fd = mnl_socket_get_fd(k->nl);
	ssize_t n;

	for (;;) {
		n = recv(fd, k->buf, NLMSG_MAXSIZE, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == ENOBUFS))
			continue;
		if (n <= 0)
			return;
	}
}

static ssize_t
sock_recv(struct kernel *k, int flags)
{
	ssize_t n;

	do
		n = recv(mnl_socket_get_fd(k->nl), k->buf, NLMSG_MAXSIZE, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN && !(flags & MSG_DONTWAIT))
		errno = ETIMEDOUT;	/* SO_RCVTIMEO ran out */
	return n;
}

struct kernel *
kernel_open(const char *table)
{
	struct timeval tv = { .tv_sec = RECV_TIMEOUT_SEC };
	struct kernel *k;
	int one = 1, fd, saved;

	if (table == NULL)
		table = "icc";
	if (*table == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(table) >= NFT_TABLE_MAXNAMELEN) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	strcpy(k->table, table);
	if ((k->buf = malloc(NLMSG_MAXSIZE)) == NULL)
		goto fail;
	if ((k->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL)
		goto fail;
	if (mnl_socket_bind(k->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	fd = mnl_socket_get_fd(k->nl);
	/*
	 * Extended acks give the offset of the refused attribute (the very
	 * element); capped acks leave out the echo of the refused message,
	 * up to 64 KB of element list we have anyway.  Both best effort.
	 */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	k->portid = mnl_socket_get_portid(k->nl);
	k->seq = (uint32_t)time(NULL);
	return k;
fail:
	saved = errno;
	kernel_close(k);
	errno = saved;
	return NULL;
}

void
kernel_close(struct kernel *k)
{
	if (k == NULL)
		return;
	if (k->nl != NULL)
		mnl_socket_close(k->nl);
	if (k->mon != NULL)
		mnl_socket_close(k->mon);
	belemvec_free(&k->bwant);
	free(k->buf);
	free(k);
}

/* ---- requests (get, dump) -------------------------------------------- */

static struct nlmsghdr *
req_hdr(struct kernel *k, char *buf, uint16_t type, uint16_t family,
    uint16_t flags)
{
	/* NLM_F_ACK: a plain get is answered by its object, then the ack. */
	return nftnl_nlmsg_build_hdr(buf, type, family, flags | NLM_F_ACK,
	    ++k->seq);
}

/*
 * nl_talk: send request nlh and run cb on every answer up to the end of
 * the dump or the ack.  Returns 0 or a negative errno (the kernel's, or
 * -EINTR when a dump was interrupted by a ruleset change).
 */
static int
nl_talk(struct kernel *k, const struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	ssize_t n;
	int ret;

	sock_drain(k);
	if (mnl_socket_sendto(k->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		if ((n = sock_recv(k, 0)) < 0) {
			/* Dumps are flow controlled: no answer was lost. */
			if (errno == ENOBUFS)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(k->buf, n, nlh->nlmsg_seq, k->portid, cb, arg);
		if (ret < 0)
			return errno ? -errno : -EPROTO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int
gen_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_gen *gen;
	uint32_t *genid = arg;

	if ((gen = nftnl_gen_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, gen) == 0 &&
	    nftnl_gen_is_set(gen, NFTNL_GEN_ID))
		*genid = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
	nftnl_gen_free(gen);
	return MNL_CB_OK;
}

/* The ruleset generation: a commit carrying it fails if it moved on. */
static int
genid_get(struct kernel *k, uint32_t *genid)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	struct nlmsghdr *nlh;
	int rc;

	*genid = 0;
	nlh = req_hdr(k, buf, NFT_MSG_GETGEN, AF_UNSPEC, 0);
	if ((rc = nl_talk(k, nlh, gen_cb, genid)) < 0)
		return rc;
	/* 0 would mean "do not check" to the kernel. */
	return *genid == 0 ? -EPROTO : 0;
}

/* ---- what the table looks like ----------------------------------------- */

struct layout {
	const char	*table;
	bool		 exists;
	bool		 flags_ok;	/* not dormant, not owned */
	bool		 extra;		/* a set or chain iccd does not make */
	bool		 odd_elem;	/* an element iccd cannot have added */
	bool		 set_ok[KSET_NR];
	bool		 forward_ok;
	bool		 isolate_ok;
};

static bool
layout_ok(const struct layout *l)
{
	int s;

	if (!l->exists || !l->flags_ok || l->extra || l->odd_elem ||
	    !l->forward_ok || !l->isolate_ok)
		return false;
	for (s = 0; s < KSET_NR; s++)
		if (!l->set_ok[s])
			return false;
	return true;
}

static int
table_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct layout *l = arg;
	struct nftnl_table *t;

	if ((t = nftnl_table_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 &&
	    strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME), l->table) == 0) {
		l->exists = true;
		l->flags_ok = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) == 0;
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static bool
set_matches(const struct nftnl_set *s, const struct setspec *sp)
{
	const uint8_t *fields;
	uint32_t nfields;

	if (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) != sp->flags ||
	    nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE) != sp->keytype ||
	    nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) != sp->keylen ||
	    nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE))
		return false;
	/* A size limit would make adds fail with ENFILE one day. */
	if (nftnl_set_is_set(s, NFTNL_SET_DESC_SIZE) &&
	    nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE) != 0)
		return false;
	if (!(sp->flags & NFT_SET_CONCAT) ||
	    !nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT))
		return true;
	fields = nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &nfields);
	return nfields == sizeof(sp->fields) &&
	    memcmp(fields, sp->fields, sizeof(sp->fields)) == 0;
}

static int
set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct layout *l = arg;
	struct nftnl_set *s;
	const char *name;
	int i;

	if ((s = nftnl_set_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0 ||
	    strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), l->table) != 0)
		goto out;
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	for (i = 0; i < KSET_NR; i++)
		if (strcmp(name, setspecs[i].name) == 0)
			break;
	if (i == KSET_NR)
		l->extra = true;
	else
		l->set_ok[i] = set_matches(s, &setspecs[i]);
out:
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static bool
forward_matches(const struct nftnl_chain *c)
{
	return nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD &&
	    nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == 0 &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE) &&
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter") == 0 &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_ACCEPT &&
	    !nftnl_chain_is_set(c, NFTNL_CHAIN_DEV) &&
	    !nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES);
}

static int
chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct layout *l = arg;
	struct nftnl_chain *c;
	const char *name;

	if ((c = nftnl_chain_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0 ||
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), l->table) != 0)
		goto out;
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	if (strcmp(name, FORWARD_CHAIN) == 0)
		l->forward_ok = forward_matches(c);
	else if (strcmp(name, ISOLATE_CHAIN) == 0)
		l->isolate_ok = !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	else
		l->extra = true;
out:
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

/* layout_dump: the table, its sets and chains (not rules: they are
 * rewritten on every sync anyway). */
static int
layout_dump(struct kernel *k, struct layout *l)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	struct nlmsghdr *nlh;
	int rc;

	memset(l, 0, sizeof(*l));
	l->table = k->table;
	nlh = req_hdr(k, buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, k->table);
	rc = nl_talk(k, nlh, table_cb, l);
	if (rc == -ENOENT || (rc == 0 && !l->exists))
		return 0;
	if (rc < 0)
		return rc;
	nlh = req_hdr(k, buf, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, k->table);
	if ((rc = nl_talk(k, nlh, set_cb, l)) < 0)
		return rc;
	/* Older kernels ignore the table here: chain_cb filters. */
	nlh = req_hdr(k, buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, k->table);
	return nl_talk(k, nlh, chain_cb, l);
}

/* ---- element dumps ----------------------------------------------------- */

struct attrs {
	const struct nlattr	**tb;
	uint16_t		  max;
};

static int
attrs_cb(const struct nlattr *a, void *arg)
{
	const struct attrs *at = arg;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= at->max)
		at->tb[type] = a;
	return MNL_CB_OK;
}

/* key_get: the NFTA_DATA_VALUE inside a key nest, of exactly len bytes. */
static int
key_get(const struct nlattr *nest, uint8_t *key, size_t len)
{
	const struct nlattr *tb[NFTA_DATA_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_DATA_MAX };

	if (mnl_attr_parse_nested(nest, attrs_cb, &at) < 0 ||
	    tb[NFTA_DATA_VALUE] == NULL ||
	    mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]) != len)
		return -1;
	memcpy(key, mnl_attr_get_payload(tb[NFTA_DATA_VALUE]), len);
	return 0;
}

/*
 * elem_parse: one NFTA_LIST_ELEM of set s.  Returns -1 for an element
 * iccd cannot have added (flags such as catch-all, a key of another
 * length).  An interval set's element without KEY_END is a single value
 * (the kernel keeps none when start == end): its end is its start.
 */
static int
elem_parse(const struct nlattr *nest, enum kset s, struct kelem *ke)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_SET_ELEM_MAX };
	size_t len = setspecs[s].keylen;

	memset(ke, 0, sizeof(*ke));
	ke->set = s;
	if (mnl_attr_parse_nested(nest, attrs_cb, &at) < 0 ||
	    tb[NFTA_SET_ELEM_KEY] == NULL ||
	    key_get(tb[NFTA_SET_ELEM_KEY], ke->key, len) < 0)
		return -1;
	if (tb[NFTA_SET_ELEM_FLAGS] != NULL &&
	    ntohl(mnl_attr_get_u32(tb[NFTA_SET_ELEM_FLAGS])) != 0)
		return -1;
	if (!set_is_interval(s))
		return tb[NFTA_SET_ELEM_KEY_END] == NULL ? 0 : -1;
	if (tb[NFTA_SET_ELEM_KEY_END] == NULL) {
		memcpy(ke->end, ke->key, len);
		return 0;
	}
	return key_get(tb[NFTA_SET_ELEM_KEY_END], ke->end, len);
}

struct elemdump {
	enum kset	  set;
	int		(*fn)(const struct kelem *, void *);
	void		 *arg;
	bool		  odd;		/* saw an element elem_parse refused */
};

static int
elems_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_SET_ELEM_LIST_MAX };
	struct elemdump *d = arg;
	const struct nlattr *a;
	struct kelem ke;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attrs_cb, &at) < 0)
		return MNL_CB_ERROR;
	if (tb[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		if (elem_parse(a, d->set, &ke) < 0) {
			d->odd = true;
			continue;
		}
		if (d->fn(&ke, d->arg) < 0)
			return MNL_CB_ERROR;	/* fn set errno */
	}
	return MNL_CB_OK;
}

/* elems_dump: run fn on every element of set s; *odd tells of others. */
static int
elems_dump(struct kernel *k, enum kset s, int (*fn)(const struct kelem *,
    void *), void *arg, bool *odd)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	struct elemdump d = { s, fn, arg, false };
	struct nlmsghdr *nlh;
	int rc;

	nlh = req_hdr(k, buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, k->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, setspecs[s].name);
	errno = 0;
	rc = nl_talk(k, nlh, elems_cb, &d);
	if (odd != NULL)
		*odd = d.odd;
	return rc;
}

static int
kelem_collect(const struct kelem *ke, void *arg)
{
	return kelemvec_push(arg, ke);
}

/* ---- the transaction ----------------------------------------------------- */

/* A message of the batch, for naming it in an error. */
struct txmsg {
	uint32_t	seq;
	bool		elems;		/* an element list */
	char		what[80];
};

/* An element of the batch: its message and attribute offset in it. */
struct txelem {
	uint32_t		 seq;
	uint32_t		 off;
	const struct kelem	*ke;
};

struct txn {
	struct kernel		*k;
	struct nftnl_batch	*batch;
	struct nftnl_set_elem	*se;		/* reused for each element */
	uint32_t		 seq_begin, seq_end;
	struct txmsg		*msgs;
	size_t			 nmsgs, msgcap;
	struct txelem		*elems;
	size_t			 nelems, elemcap;
	/* The element list being filled, if any. */
	struct nlmsghdr		*enlh;
	struct nlattr		*enest;
	enum kset		 eset;
	bool			 edel;
	bool			 nomem;		/* sticky: commit fails */
};

static void
txn_next(struct txn *t)
{
	if (nftnl_batch_update(t->batch) < 0)
		t->nomem = true;
}

/*
 * txn_init: a batch whose begin message carries genid (0: no check).
 * With it the kernel refuses the whole batch with ERESTART if the ruleset
 * changed since genid was read.
 */
static int
txn_init(struct txn *t, struct kernel *k, uint32_t genid)
{
	struct nlmsghdr *nlh;

	memset(t, 0, sizeof(*t));
	t->k = k;
	t->batch = nftnl_batch_alloc(BATCH_PAGE_SIZE, NLMSG_MAXSIZE);
	t->se = nftnl_set_elem_alloc();
	if (t->batch == NULL || t->se == NULL) {
		if (t->batch != NULL)
			nftnl_batch_free(t->batch);
		if (t->se != NULL)
			nftnl_set_elem_free(t->se);
		return -ENOMEM;
	}
	t->seq_begin = ++k->seq;
	nlh = nftnl_batch_begin(nftnl_batch_buffer(t->batch), t->seq_begin);
	if (genid != 0)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	txn_next(t);
	return 0;
}

static void
txn_free(struct txn *t)
{
	nftnl_batch_free(t->batch);
	nftnl_set_elem_free(t->se);
	free(t->msgs);
	free(t->elems);
}

/* txn_vmsg: start a message of family `family`, named for errors. */
static struct nlmsghdr *
txn_vmsg(struct txn *t, uint16_t family, uint16_t type, uint16_t flags,
    const char *fmt, va_list ap)
{
	struct txmsg *m;

	if (t->nomem || grow((void **)&t->msgs, &t->msgcap, t->nmsgs,
	    sizeof(*t->msgs)) < 0) {
		t->nomem = true;
		return NULL;
	}
	m = &t->msgs[t->nmsgs++];
	m->seq = ++t->k->seq;
	m->elems = family == NFPROTO_INET && (type == NFT_MSG_NEWSETELEM ||
	    type == NFT_MSG_DELSETELEM);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(t->batch), type,
	    family, flags | NLM_F_ACK, m->seq);
}

/* txn_msg: start a message, named for errors; NULL when out of memory. */
static struct nlmsghdr * __attribute__((format(printf, 4, 5)))
txn_msg(struct txn *t, uint16_t type, uint16_t flags, const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = txn_vmsg(t, NFPROTO_INET, type, flags, fmt, ap);
	va_end(ap);
	return nlh;
}

struct nlmsghdr *
txn_fmsg(struct txn *t, uint16_t family, uint16_t type, uint16_t flags,
    const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = txn_vmsg(t, family, type, flags, fmt, ap);
	va_end(ap);
	return nlh;
}

void
txn_done(struct txn *t)
{
	txn_next(t);
}

void
txn_nomem(struct txn *t)
{
	t->nomem = true;
}

struct kernel *
txn_kernel(const struct txn *t)
{
	return t->k;
}

const char *
kernel_table(const struct kernel *k)
{
	return k->table;
}

struct belemvec *
kernel_bwant(struct kernel *k)
{
	return &k->bwant;
}

static void
txn_table(struct txn *t, uint16_t type, const char *verb)
{
	struct nftnl_table *tb;
	struct nlmsghdr *nlh;

	if ((tb = nftnl_table_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, t->k->table);
	nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = txn_msg(t, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0,
	    "%s table inet %s", verb, t->k->table);
	if (nlh != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, tb);
		txn_next(t);
	}
	nftnl_table_free(tb);
}

/*
 * set_udata: the key byte order nft attaches to a set it creates.  It
 * tells nft how to print a plain integer key; a concatenation has none of
 * its own (each field's type knows its own) and nft stores 0.  nft 1.0.6
 * lists these sets the same without it, since the concatenated key type
 * names every field: it is there so the sets carry what nft's would.
 */
static int
set_udata(struct nftnl_set *s)
{
	struct nftnl_udata_buf *ud;
	int rc = -1;

	if ((ud = nftnl_udata_buf_alloc(64)) == NULL)
		return -1;
	if (nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
	    KEY_BYTEORDER_CONCAT) &&
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
	    nftnl_udata_buf_len(ud)) == 0)
		rc = 0;
	nftnl_udata_buf_free(ud);
	return rc;
}

static void
txn_set(struct txn *t, enum kset i)
{
	const struct setspec *sp = &setspecs[i];
	struct nlmsghdr *nlh;
	struct nftnl_set *s;

	if ((s = nftnl_set_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, t->k->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sp->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, sp->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sp->keytype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sp->keylen);
	nftnl_set_set_u32(s, NFTNL_SET_ID, sp->id);
	/* The concatenated interval set (pipapo) needs each field's length. */
	if (sp->flags & NFT_SET_CONCAT)
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, sp->fields,
		    sizeof(sp->fields));
	if (set_udata(s) < 0)
		t->nomem = true;
	nlh = txn_msg(t, NFT_MSG_NEWSET, NLM_F_CREATE, "add set %s", sp->name);
	if (nlh != NULL) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		txn_next(t);
	}
	nftnl_set_free(s);
}

/* A DELRULE naming only the chain deletes all its rules. */
static void
txn_chain_flush(struct txn *t, const char *name)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;

	if ((r = nftnl_rule_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->k->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nlh = txn_msg(t, NFT_MSG_DELRULE, 0, "flush chain %s", name);
	if (nlh != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		txn_next(t);
	}
	nftnl_rule_free(r);
}

/* txn_chain_add: a regular chain, or with base the forward hook's. */
static void
txn_chain_add(struct txn *t, const char *name, bool base)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;

	if ((c = nftnl_chain_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, t->k->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (base) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = txn_msg(t, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain %s", name);
	if (nlh != NULL) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		txn_next(t);
	}
	nftnl_chain_free(c);
}

/* ---- rules: the expressions nft --debug=netlink shows for rules/icc.nft */

static struct nftnl_expr *
rule_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e;

	if ((e = nftnl_expr_alloc(name)) != NULL)
		nftnl_rule_add_expr(r, e);
	return e;
}

static int
r_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e;

	if ((e = rule_expr(r, "meta")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return 0;
}

static int
r_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e;

	if ((e = rule_expr(r, "cmp")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return 0;
}

static int
r_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    uint32_t dreg)
{
	struct nftnl_expr *e;

	if ((e = rule_expr(r, "payload")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	return 0;
}

static int
r_byteorder_hton(struct nftnl_rule *r, uint32_t reg, uint32_t len,
    uint32_t size)
{
	struct nftnl_expr *e;

	if ((e = rule_expr(r, "byteorder")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, size);
	return 0;
}

static int
r_lookup(struct nftnl_rule *r, const char *set)
{
	struct nftnl_expr *e;

	if ((e = rule_expr(r, "lookup")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	return 0;
}

static int
r_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e;

	if ((e = rule_expr(r, "immediate")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	return 0;
}

/*
 * meta mark set meta mark | ICC_MARK accept: what isolate lets through
 * carries iccd's bit, which the bridge table's forward chain demands
 * (rules/icc-bridge.nft: without br_netfilter nothing sets it).
 */
static int
r_mark_accept(struct nftnl_rule *r)
{
	uint32_t mask = ~(uint32_t)ICC_MARK, bit = ICC_MARK;
	struct nftnl_expr *e;

	if (r_meta(r, NFT_META_MARK, NFT_REG_1) < 0 ||
	    (e = rule_expr(r, "bitwise")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &bit, sizeof(bit));
	if ((e = rule_expr(r, "meta")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	return r_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . oifname @closed jump isolate */
static int
rule_forward(struct nftnl_rule *r)
{
	if (r_meta(r, NFT_META_IIFNAME, NFT_REG_1) < 0 ||
	    r_meta(r, NFT_META_OIFNAME, NFT_REG_2) < 0 ||
	    r_lookup(r, setspecs[KSET_CLOSED].name) < 0 ||
	    r_verdict(r, NFT_JUMP, ISOLATE_CHAIN) < 0)
		return -1;
	return 0;
}

/* ct state established,related accept */
static int
rule_established(struct nftnl_rule *r)
{
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED), zero = 0;
	struct nftnl_expr *e;

	if ((e = rule_expr(r, "ct")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if ((e = rule_expr(r, "bitwise")) == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	if (r_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero)) < 0 ||
	    r_mark_accept(r) < 0)
		return -1;
	return 0;
}

/* icmpv6 type <type> accept */
static int
rule_icmpv6(struct nftnl_rule *r, uint8_t type)
{
	uint8_t nfproto = NFPROTO_IPV6, l4proto = IPPROTO_ICMPV6;

	if (r_meta(r, NFT_META_NFPROTO, NFT_REG_1) < 0 ||
	    r_cmp(r, NFT_CMP_EQ, &nfproto, 1) < 0 ||
	    r_meta(r, NFT_META_L4PROTO, NFT_REG_1) < 0 ||
	    r_cmp(r, NFT_CMP_EQ, &l4proto, 1) < 0 ||
	    r_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1) < 0 ||
	    r_cmp(r, NFT_CMP_EQ, &type, 1) < 0 ||
	    r_mark_accept(r) < 0)
		return -1;
	return 0;
}

/*
 * ip saddr . ip daddr . meta l4proto . th dport @links4 accept, and the
 * others: the key fills consecutive 4-byte registers from reg 1.  For an
 * interval set nft adds a byteorder on the 1-byte l4proto (of length 1,
 * so the kernel leaves it as is): we copy it so that the rule matches
 * what nft would have made.
 */
static int
rule_link(struct nftnl_rule *r, enum kset s)
{
	bool v6 = set_addr_len(s) == 16;
	uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	uint32_t alen = v6 ? 16 : 4;
	uint32_t rdst = v6 ? NFT_REG_2 : NFT_REG32_01;
	uint32_t rproto = v6 ? NFT_REG_3 : NFT_REG32_02;
	uint32_t rport = v6 ? NFT_REG32_09 : NFT_REG32_03;

	if (r_meta(r, NFT_META_NFPROTO, NFT_REG_1) < 0 ||
	    r_cmp(r, NFT_CMP_EQ, &nfproto, 1) < 0 ||
	    r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, alen,
	    NFT_REG_1) < 0 ||
	    r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen,
	    rdst) < 0 ||
	    r_meta(r, NFT_META_L4PROTO, rproto) < 0 ||
	    (set_is_interval(s) && r_byteorder_hton(r, rproto, 1, 2) < 0) ||
	    r_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, rport) < 0 ||
	    r_lookup(r, setspecs[s].name) < 0 ||
	    r_mark_accept(r) < 0)
		return -1;
	return 0;
}

/* counter drop */
static int
rule_drop(struct nftnl_rule *r)
{
	if (rule_expr(r, "counter") == NULL ||
	    r_verdict(r, NF_DROP, NULL) < 0)
		return -1;
	return 0;
}

enum rule_kind {
	RULE_FORWARD,
	RULE_ESTABLISHED,
	RULE_ND_SOLICIT,
	RULE_ND_ADVERT,
	RULE_LINKS4,
	RULE_RANGES4,
	RULE_LINKS6,
	RULE_RANGES6,
	RULE_DROP,
	RULE_NR
};

static int
rule_build(struct nftnl_rule *r, enum rule_kind kind)
{
	switch (kind) {
	case RULE_FORWARD:
		return rule_forward(r);
	case RULE_ESTABLISHED:
		return rule_established(r);
	case RULE_ND_SOLICIT:
		return rule_icmpv6(r, 135);	/* ND_NEIGHBOR_SOLICIT */
	case RULE_ND_ADVERT:
		return rule_icmpv6(r, 136);	/* ND_NEIGHBOR_ADVERT */
	case RULE_LINKS4:
		return rule_link(r, KSET_LINKS4);
	case RULE_RANGES4:
		return rule_link(r, KSET_RANGES4);
	case RULE_LINKS6:
		return rule_link(r, KSET_LINKS6);
	case RULE_RANGES6:
		return rule_link(r, KSET_RANGES6);
	case RULE_DROP:
		return rule_drop(r);
	default:
		return -1;
	}
}

static void
txn_rule(struct txn *t, enum rule_kind kind)
{
	const char *chain = kind == RULE_FORWARD ? FORWARD_CHAIN :
	    ISOLATE_CHAIN;
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;

	if ((r = nftnl_rule_alloc()) == NULL) {
		t->nomem = true;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->k->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (rule_build(r, kind) < 0)
		t->nomem = true;
	/* NLM_F_APPEND: in order, as `nft add rule`. */
	nlh = txn_msg(t, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
	    "add rule %s #%d", chain, kind == RULE_FORWARD ? 1 : (int)kind);
	if (nlh != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		txn_next(t);
	}
	nftnl_rule_free(r);
}

static void
txn_rules(struct txn *t)
{
	int kind;

	for (kind = 0; kind < RULE_NR; kind++)
		txn_rule(t, kind);
}

/* ---- element lists ------------------------------------------------------ */

static void
txn_elems_close(struct txn *t)
{
	if (t->enlh == NULL)
		return;
	mnl_attr_nest_end(t->enlh, t->enest);
	t->enlh = NULL;
	txn_next(t);
}

static void
txn_elems_open(struct txn *t, enum kset s, bool del)
{
	const char *name = setspecs[s].name;
	struct nlmsghdr *nlh;

	nlh = txn_msg(t, del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, 0,
	    "%s element %s", del ? "del" : "add", name);
	if (nlh == NULL)
		return;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, t->k->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	t->enest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	t->enlh = nlh;
	t->eset = s;
	t->edel = del;
}

/* The element list's nest length is 16 bits: start a new one in time. */
static bool
txn_elems_full(const struct txn *t)
{
	const char *tail = mnl_nlmsg_get_payload_tail(t->enlh);

	return tail - (const char *)t->enest + ELEM_ATTR_MAX > UINT16_MAX;
}

/*
 * txn_elem: add or delete one element.  Runs of elements of one set and
 * direction share a message.  No NLM_F_EXCL: adding an element that is
 * there already succeeds.  ke must live until the commit (errors point
 * at it).
 */
static void
txn_elem(struct txn *t, bool del, const struct kelem *ke)
{
	const struct setspec *sp = &setspecs[ke->set];
	struct nlattr *nest;
	struct txelem *te;

	if (t->nomem)
		return;
	if (t->enlh != NULL && (t->eset != ke->set || t->edel != del ||
	    txn_elems_full(t)))
		txn_elems_close(t);
	if (t->enlh == NULL)
		txn_elems_open(t, ke->set, del);
	if (t->enlh == NULL || grow((void **)&t->elems, &t->elemcap,
	    t->nelems, sizeof(*t->elems)) < 0) {
		t->nomem = true;
		return;
	}
	nftnl_set_elem_set(t->se, NFTNL_SET_ELEM_KEY, ke->key, sp->keylen);
	if (set_is_interval(ke->set))
		nftnl_set_elem_set(t->se, NFTNL_SET_ELEM_KEY_END, ke->end,
		    sp->keylen);
	else
		nftnl_set_elem_unset(t->se, NFTNL_SET_ELEM_KEY_END);
	nest = nftnl_set_elem_nlmsg_build(t->enlh, t->se, NFTA_LIST_ELEM);
	te = &t->elems[t->nelems++];
	te->seq = t->enlh->nlmsg_seq;
	te->off = (uint32_t)((char *)nest - (char *)t->enlh);
	te->ke = ke;
}

/* ---- commit --------------------------------------------------------------- */

static const struct txmsg *
txn_find_msg(const struct txn *t, uint32_t seq)
{
	size_t i;

	for (i = 0; i < t->nmsgs; i++)
		if (t->msgs[i].seq == seq)
			return &t->msgs[i];
	return NULL;
}

static const struct txelem *
txn_find_elem(const struct txn *t, uint32_t seq, uint32_t off)
{
	size_t i;

	for (i = 0; i < t->nelems; i++)
		if (t->elems[i].seq == seq && t->elems[i].off == off)
			return &t->elems[i];
	return NULL;
}

/* "add element links4 10.0.0.3 . 10.0.0.2 . tcp . 3306: File exists" */
static void
txn_describe(const struct txn *t, uint32_t seq, uint32_t off, int error,
    char *err, size_t errlen)
{
	const struct txmsg *m = txn_find_msg(t, seq);
	const struct txelem *te;
	char what[ELEM_FMT_LEN + 8];

	if (m == NULL) {
		errfmt(err, errlen, "commit to table inet %s: %s",
		    t->k->table, strerror(error));
		return;
	}
	if (m->elems && (te = txn_find_elem(t, seq, off)) != NULL) {
		kelem_format(te->ke, what, sizeof(what));
		errfmt(err, errlen, "%s %s: %s", m->what, what,
		    strerror(error));
		return;
	}
	errfmt(err, errlen, "%s: %s", m->what, strerror(error));
}

struct acks {
	size_t		got;		/* acks of our messages */
	bool		over;		/* the batch as a whole was answered */
	int		error;		/* first error, positive errno */
	uint32_t	seq, off;	/* its message, its attribute */
};

static void
ack_offset(const struct nlmsghdr *nlh, uint32_t *off)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	struct attrs at = { tb, NLMSGERR_ATTR_MAX };
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t hlen = sizeof(*e);

	*off = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += mnl_nlmsg_get_payload_len(&e->msg);
	if (mnl_attr_parse(nlh, hlen, attrs_cb, &at) < 0 ||
	    tb[NLMSGERR_ATTR_OFFS] == NULL ||
	    mnl_attr_get_payload_len(tb[NLMSGERR_ATTR_OFFS]) != 4)
		return;
	*off = mnl_attr_get_u32(tb[NLMSGERR_ATTR_OFFS]);
}

/*
 * txn_ack_batch: account for one datagram of answers.  The kernel answers
 * a message of ours with an error (0 for an ack) carrying its sequence
 * number; the batch begin's number is used for what concerns the whole
 * batch (ERESTART for a stale genid, a failed commit, ENOMEM), after which
 * not every message may be answered.
 */
static void
txn_ack_batch(const struct txn *t, const char *buf, size_t len,
    struct acks *a)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlmsgerr *e;
	int n = (int)len;
	uint32_t off;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type != NLMSG_ERROR ||
		    nlh->nlmsg_pid != t->k->portid ||
		    nlh->nlmsg_seq - t->seq_begin >
		    t->seq_end - t->seq_begin ||
		    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		if (nlh->nlmsg_seq == t->seq_begin)
			a->over = true;
		else
			a->got++;
		if (e->error == 0 || a->error != 0)
			continue;
		ack_offset(nlh, &off);
		a->error = e->error < 0 ? -e->error : e->error;
		a->seq = nlh->nlmsg_seq;
		a->off = off;
	}
}

static int
txn_send(struct txn *t)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { 0 };
	struct iovec *iov;
	size_t total = 0;
	ssize_t n;
	int i, niov, rc = 0;

	niov = nftnl_batch_iovec_len(t->batch);
	if ((iov = calloc((size_t)niov, sizeof(*iov))) == NULL)
		return -ENOMEM;
	nftnl_batch_iovec(t->batch, iov, (uint32_t)niov);
	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	/* One sendmsg is one batch: the send buffer must hold all of it. */
	sock_grow(mnl_socket_get_fd(t->k->nl), SO_SNDBUF, SO_SNDBUFFORCE,
	    total + 4096);
	sock_grow(mnl_socket_get_fd(t->k->nl), SO_RCVBUF, SO_RCVBUFFORCE,
	    (t->nmsgs + 1) * RCVBUF_PER_ACK);
	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)niov;
	sock_drain(t->k);
	do
		n = sendmsg(mnl_socket_get_fd(t->k->nl), &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != total)
		rc = -EMSGSIZE;
	free(iov);
	return rc;
}

/*
 * txn_commit: end the batch, send it, read every answer.  The kernel runs
 * the whole batch inside our sendmsg(), so all answers are queued when it
 * returns; we still wait for them one by one, then take what is left
 * without waiting.
 */
static int
txn_commit(struct txn *t, char *err, size_t errlen)
{
	struct acks a = { 0 };
	bool lost = false;
	ssize_t n;
	int rc;

	txn_elems_close(t);
	t->seq_end = ++t->k->seq;
	nftnl_batch_end(nftnl_batch_buffer(t->batch), t->seq_end);
	txn_next(t);
	if (t->nomem) {
		errfmt(err, errlen, "table inet %s: batch: %s", t->k->table,
		    strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((rc = txn_send(t)) < 0) {
		errfmt(err, errlen, "table inet %s: send batch: %s",
		    t->k->table, strerror(-rc));
		return rc;
	}
	while (a.got < t->nmsgs && !a.over && !lost) {
		if ((n = sock_recv(t->k, 0)) < 0) {
			if (errno != ENOBUFS) {
				rc = -errno;
				errfmt(err, errlen, "table inet %s: read acks: "
				    "%s", t->k->table, strerror(errno));
				sock_drain(t->k);
				return rc;
			}
			sock_enobufs(t->k);
			lost = true;
			break;
		}
		txn_ack_batch(t, t->k->buf, (size_t)n, &a);
	}
	while ((n = sock_recv(t->k, MSG_DONTWAIT)) > 0 ||
	    (n < 0 && errno == ENOBUFS)) {
		if (n > 0)
			txn_ack_batch(t, t->k->buf, (size_t)n, &a);
		else
			lost = true;
	}
	if (a.error != 0) {
		txn_describe(t, a.seq, a.off, a.error, err, errlen);
		return -a.error;
	}
	if (lost || (a.got < t->nmsgs && !a.over)) {
		errfmt(err, errlen, "table inet %s: acks lost (receive buffer "
		    "overrun), outcome unknown", t->k->table);
		return -ENOBUFS;
	}
	return 0;
}

/* ---- kbatch ------------------------------------------------------------- */

struct kbatch *
kbatch_new(struct kernel *k)
{
	struct kbatch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->k = k;
	return b;
}

void
kbatch_free(struct kbatch *b)
{
	if (b == NULL)
		return;
	free(b->ops);
	belemvec_free(&b->badd);
	belemvec_free(&b->bdel);
	free(b);
}

void
kbatch_reset(struct kbatch *b)
{
	b->n = 0;
	b->badd.n = b->bdel.n = 0;
}

static struct kop *
kbatch_op(struct kbatch *b, bool del)
{
	struct kop *op;

	if (grow((void **)&b->ops, &b->cap, b->n, sizeof(*b->ops)) < 0)
		return NULL;
	op = &b->ops[b->n];
	op->del = del;
	return op;
}

static int
kbatch_elem(struct kbatch *b, const struct icc_elem *e, bool del)
{
	struct kop *op;

	if ((op = kbatch_op(b, del)) == NULL)
		return -1;
	kelem_from_elem(&op->ke, e);
	b->n++;
	return 0;
}

/* Bridge names over IFNAMSIZ - 1 bytes fail with ENAMETOOLONG. */
static int
kbatch_closed(struct kbatch *b, const char *bridge, bool del)
{
	struct kop *op;

	if ((op = kbatch_op(b, del)) == NULL ||
	    kelem_from_bridge(&op->ke, bridge) < 0)
		return -1;
	b->n++;
	return 0;
}

int
kbatch_add_elem(struct kbatch *b, const struct icc_elem *e)
{
	return kbatch_elem(b, e, false);
}

int
kbatch_del_elem(struct kbatch *b, const struct icc_elem *e)
{
	return kbatch_elem(b, e, true);
}

int
kbatch_add_belem(struct kbatch *b, const struct icc_belem *e)
{
	return belemvec_push(&b->badd, e);
}

int
kbatch_del_belem(struct kbatch *b, const struct icc_belem *e)
{
	return belemvec_push(&b->bdel, e);
}

void
kbatch_clear_belems(struct kbatch *b)
{
	b->badd.n = b->bdel.n = 0;
}

int
kbatch_add_closed(struct kbatch *b, const char *bridge)
{
	return kbatch_closed(b, bridge, false);
}

int
kbatch_del_closed(struct kbatch *b, const char *bridge)
{
	return kbatch_closed(b, bridge, true);
}

/*
 * A delete from a concatenated interval (pipapo) set removes whichever
 * element holds the start of the range given: the kernel looks the start
 * up as a point, so deleting 7500-7600 removes 7000-7999.  So that the
 * delete of an absent range fails with ENOENT as in a hash set, such
 * deletes are checked against the kernel first, and the batch carries the
 * generation id they were checked at.
 */
struct elemfind {
	const struct kelem	*want;
	bool			 found;
};

static int
elem_match(const struct kelem *ke, void *arg)
{
	struct elemfind *f = arg;

	if (kelem_cmp(ke, f->want) == 0)
		f->found = true;
	return 0;
}

/* elem_exists: 1 if the kernel holds exactly ke, 0 if not, or -errno. */
static int
elem_exists(struct kernel *k, const struct kelem *ke)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes sent */
	const struct setspec *sp = &setspecs[ke->set];
	struct elemfind f = { ke, false };
	struct elemdump d = { (enum kset)ke->set, elem_match, &f, false };
	struct nftnl_set_elem *se;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int rc;

	if ((se = nftnl_set_elem_alloc()) == NULL)
		return -ENOMEM;
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, ke->key, sp->keylen);
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, ke->end, sp->keylen);
	nlh = req_hdr(k, buf, NFT_MSG_GETSETELEM, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, k->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, sp->name);
	nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	nftnl_set_elem_nlmsg_build(nlh, se, NFTA_LIST_ELEM);
	mnl_attr_nest_end(nlh, nest);
	nftnl_set_elem_free(se);
	errno = 0;
	rc = nl_talk(k, nlh, elems_cb, &d);
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : f.found;
}

/* kbatch_prior: the last op before op i on exactly its element. */
static const struct kop *
kbatch_prior(const struct kbatch *b, size_t i)
{
	const struct kop *op = &b->ops[i];

	while (i-- > 0)
		if (b->ops[i].ke.set == op->ke.set &&
		    kelem_cmp(&b->ops[i].ke, &op->ke) == 0)
			return &b->ops[i];
	return NULL;
}

static bool
kbatch_has_range_dels(const struct kbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->ops[i].del && set_is_interval(b->ops[i].ke.set))
			return true;
	return false;
}

/* Each range delete must find its range, in the kernel or added before. */
static int
kbatch_check_dels(const struct kbatch *b, char *err, size_t errlen)
{
	char what[ELEM_FMT_LEN + 8];
	const struct kop *op, *prior;
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		op = &b->ops[i];
		if (!op->del || !set_is_interval(op->ke.set))
			continue;
		if ((prior = kbatch_prior(b, i)) != NULL)
			rc = !prior->del;
		else if ((rc = elem_exists(b->k, &op->ke)) < 0)
			return rc;
		if (rc == 0) {
			kelem_format(&op->ke, what, sizeof(what));
			errfmt(err, errlen, "del element %s %s: %s",
			    setspecs[op->ke.set].name, what, strerror(ENOENT));
			return -ENOENT;
		}
	}
	return 0;
}

static int
kbatch_try(struct kbatch *b, char *err, size_t errlen)
{
	struct txn t;
	uint32_t genid = 0;
	size_t i;
	int rc;

	if (kbatch_has_range_dels(b) &&
	    ((rc = genid_get(b->k, &genid)) < 0 ||
	    (rc = kbatch_check_dels(b, err, errlen)) < 0)) {
		if (rc != -ENOENT)
			errfmt(err, errlen, "check deletes in table inet %s: "
			    "%s", b->k->table, strerror(-rc));
		return rc;
	}
	if ((rc = txn_init(&t, b->k, genid)) < 0) {
		errfmt(err, errlen, "batch: %s", strerror(-rc));
		return rc;
	}
	/* In the order recorded: a delete and an add of one element. */
	for (i = 0; i < b->n; i++)
		txn_elem(&t, b->ops[i].del, &b->ops[i].ke);
	txn_elems_close(&t);
	kbridge_txn_elems(&t, &b->bdel, true);
	kbridge_txn_elems(&t, &b->badd, false);
	rc = txn_commit(&t, err, errlen);
	txn_free(&t);
	return rc;
}

int
kbatch_commit(struct kbatch *b, char *err, size_t errlen)
{
	int rc, try;

	errfmt(err, errlen, "%s", "");
	if (b->n == 0 && b->badd.n == 0 && b->bdel.n == 0)
		return 0;
	/* ERESTART only comes with a genid: the checked state moved on. */
	for (try = 0; try < SYNC_TRIES; try++) {
		if ((rc = kbatch_try(b, err, errlen)) == -ERESTART)
			continue;
		if (rc == 0)
			errfmt(err, errlen, "%s", "");
		return rc;
	}
	errfmt(err, errlen, "commit to table inet %s: the ruleset kept "
	    "changing (%d tries)", b->k->table, SYNC_TRIES);
	return -EAGAIN;
}

/* ---- kernel_sync -------------------------------------------------------- */

static int
want_build(struct kelemvec *want, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, char *err, size_t errlen)
{
	struct kelem ke;
	size_t i;

	for (i = 0; elems != NULL && i < elems->n; i++) {
		kelem_from_elem(&ke, &elems->v[i]);
		if (kelemvec_push(want, &ke) < 0)
			goto nomem;
	}
	for (i = 0; i < nclosed; i++) {
		if (kelem_from_bridge(&ke, closed[i]) < 0) {
			errfmt(err, errlen, "closed bridge \"%s\": %s",
			    closed[i], strerror(errno));
			return -errno;
		}
		if (kelemvec_push(want, &ke) < 0)
			goto nomem;
	}
	kelemvec_sort_uniq(want);
	return 0;
nomem:
	errfmt(err, errlen, "sync: %s", strerror(ENOMEM));
	return -ENOMEM;
}

/*
 * have_dump: every element of the five sets into have.  An element iccd
 * cannot have added (see elem_parse) marks the layout as wrong: the table
 * is rebuilt rather than edited.
 */
static int
have_dump(struct kernel *k, struct kelemvec *have, struct layout *l)
{
	bool odd;
	int s, rc;

	have->n = 0;
	for (s = 0; s < KSET_NR; s++) {
		rc = elems_dump(k, set_order[s], kelem_collect, have, &odd);
		if (rc < 0)
			return rc;
		l->odd_elem |= odd;
	}
	kelemvec_sort_uniq(have);
	return 0;
}

/*
 * sync_diff: walk the sorted want and have, emitting the deletions or the
 * additions into t (deletions go first: an interval set refuses a range
 * overlapping one still there).  With t NULL, only count.  Returns the
 * count; ndel[s] (may be NULL) gets the deletions per set.
 */
static long
sync_diff(struct txn *t, const struct kelemvec *want,
    const struct kelemvec *have, bool del, size_t ndel[KSET_NR])
{
	size_t i = 0, j = 0;
	long n = 0;
	int c;

	while (i < want->n || j < have->n) {
		if (i == want->n)
			c = 1;
		else if (j == have->n)
			c = -1;
		else
			c = kelem_cmp(&want->v[i], &have->v[j]);
		if (c < 0 && !del) {
			if (t != NULL)
				txn_elem(t, false, &want->v[i]);
			n++;
		} else if (c > 0 && del) {
			if (t != NULL)
				txn_elem(t, true, &have->v[j]);
			if (ndel != NULL)
				ndel[have->v[j].set]++;
			n++;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return n;
}

/*
 * Removing one element from a concatenated interval (pipapo) set costs
 * the kernel time in proportion to the set's size, at commit, holding the
 * nftables commit mutex: measured on 6.18, 1,000 deletions from a 10,000
 * range set took 23 s, while deleting the table and creating it anew with
 * 100,000 elements takes a quarter of a second.  Past the point where
 * deleting costs more than rebuilding (in units of about 2.5 us: one
 * deletion per element of its set against one hash element or a quarter
 * of a range element to add), sync rebuilds instead.
 */
#define REBUILD_SLACK	10000

static bool
sync_rebuild_cheaper(const struct kelemvec *want, const struct kelemvec *have)
{
	size_t ndel[KSET_NR] = { 0 }, nhave[KSET_NR] = { 0 };
	size_t i, delcost = 0, buildcost = REBUILD_SLACK;

	(void)sync_diff(NULL, want, have, true, ndel);
	for (i = 0; i < have->n; i++)
		nhave[have->v[i].set]++;
	for (i = 0; i < KSET_NR; i++)
		if (set_is_interval(i))
			delcost += ndel[i] * nhave[i];
	for (i = 0; i < want->n; i++)
		buildcost += set_is_interval(want->v[i].set) ? 4 : 1;
	return delcost > buildcost;
}

/* The table as it should be, replacing whatever has the name. */
static void
sync_rebuild(struct txn *t, const struct kelemvec *want)
{
	size_t i;
	int s;

	/* Add first so that the delete never fails for want of a table. */
	txn_table(t, NFT_MSG_NEWTABLE, "add");
	txn_table(t, NFT_MSG_DELTABLE, "delete");
	txn_table(t, NFT_MSG_NEWTABLE, "create");
	for (s = 0; s < KSET_NR; s++)
		txn_set(t, set_order[s]);
	txn_chain_add(t, FORWARD_CHAIN, true);
	txn_chain_add(t, ISOLATE_CHAIN, false);
	txn_rules(t);
	for (i = 0; i < want->n; i++)
		if (want->v[i].set == KSET_CLOSED)
			txn_elem(t, false, &want->v[i]);
}

/* diff_adds: the elements of want that have lacks, in order. */
static int
diff_adds(const struct kelemvec *want, const struct kelemvec *have,
    struct kelemvec *out)
{
	size_t i = 0, j = 0;
	int c;

	while (i < want->n) {
		c = j == have->n ? -1 : kelem_cmp(&want->v[i], &have->v[j]);
		if (c < 0 && kelemvec_push(out, &want->v[i]) < 0)
			return -ENOMEM;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return 0;
}

/* link_elems: the link-set elements of want (a rebuild adds them). */
static int
link_elems(const struct kelemvec *want, struct kelemvec *out)
{
	for (size_t i = 0; i < want->n; i++)
		if (want->v[i].set != KSET_CLOSED &&
		    kelemvec_push(out, &want->v[i]) < 0)
			return -ENOMEM;
	return 0;
}

/*
 * sync_first_adds: into the first transaction, every closed-bridge add
 * (closing must never wait) and up to SYNC_CHUNK link adds.  Returns the
 * index of the first link add left for sync_rest.
 */
static size_t
sync_first_adds(struct txn *t, const struct kelemvec *adds)
{
	size_t links = 0, i;

	for (i = 0; i < adds->n; i++)
		if (adds->v[i].set == KSET_CLOSED)
			txn_elem(t, false, &adds->v[i]);
	for (i = 0; i < adds->n && links < SYNC_CHUNK; i++) {
		if (adds->v[i].set == KSET_CLOSED)
			continue;
		txn_elem(t, false, &adds->v[i]);
		links++;
	}
	return i;
}

/* sync_rest: the remaining link adds, SYNC_CHUNK per transaction. */
static int
sync_rest(struct kernel *k, const struct kelemvec *adds, size_t from,
    char *err, size_t errlen)
{
	struct txn t;
	size_t end;
	int rc;

	while (from < adds->n) {
		end = from + SYNC_CHUNK < adds->n ? from + SYNC_CHUNK : adds->n;
		if ((rc = txn_init(&t, k, 0)) < 0) {
			errfmt(err, errlen, "sync: %s", strerror(-rc));
			return rc;
		}
		for (; from < end; from++)
			if (adds->v[from].set != KSET_CLOSED)
				txn_elem(&t, false, &adds->v[from]);
		rc = txn_commit(&t, err, errlen);
		txn_free(&t);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
sync_once(struct kernel *k, const struct kelemvec *want,
    struct kelemvec *have, long *nchanged, char *err, size_t errlen)
{
	struct kelemvec adds = { 0 };
	struct layout l;
	struct txn t;
	uint32_t genid;
	size_t first;
	long n;
	int rc;

	if ((rc = genid_get(k, &genid)) < 0 ||
	    (rc = layout_dump(k, &l)) < 0 ||
	    (layout_ok(&l) && (rc = have_dump(k, have, &l)) < 0)) {
		errfmt(err, errlen, "dump table inet %s: %s", k->table,
		    strerror(-rc));
		return rc;
	}
	if ((rc = txn_init(&t, k, genid)) < 0) {
		errfmt(err, errlen, "sync: %s", strerror(-rc));
		return rc;
	}
	if (layout_ok(&l) && !sync_rebuild_cheaper(want, have)) {
		txn_chain_flush(&t, FORWARD_CHAIN);
		txn_chain_flush(&t, ISOLATE_CHAIN);
		txn_rules(&t);
		n = sync_diff(&t, want, have, true, NULL);
		rc = diff_adds(want, have, &adds);
		n += (long)adds.n;
	} else {
		sync_rebuild(&t, want);
		rc = link_elems(want, &adds);
		n = -1;
	}
	if (rc < 0) {
		errfmt(err, errlen, "sync: %s", strerror(-rc));
		txn_free(&t);
		free(adds.v);
		return rc;
	}
	first = sync_first_adds(&t, &adds);
	txn_elems_close(&t);
	kbridge_txn_rebuild(&t, &k->bwant);
	rc = txn_commit(&t, err, errlen);
	txn_free(&t);
	if (rc == 0)
		rc = sync_rest(k, &adds, first, err, errlen);
	free(adds.v);
	if (rc == 0 && nchanged != NULL)
		*nchanged = n;
	return rc;
}

int
kernel_sync(struct kernel *k, const struct elemvec *elems,
    const char *const *closed, size_t nclosed, long *nchanged,
    char *err, size_t errlen)
{
	struct kelemvec want = { 0 }, have = { 0 };
	int rc, try;

	errfmt(err, errlen, "%s", "");
	if ((rc = want_build(&want, elems, closed, nclosed, err, errlen)) < 0)
		goto out;
	/*
	 * Retry when the ruleset moved between dump and commit (ERESTART),
	 * a dump was interrupted by a change (EINTR), or acks were lost
	 * (ENOBUFS, the buffer is bigger now): the next dump tells where
	 * things stand.
	 */
	for (try = 0; try < SYNC_TRIES; try++) {
		rc = sync_once(k, &want, &have, nchanged, err, errlen);
		if (rc == 0)
			errfmt(err, errlen, "%s", "");
		if (rc != -ERESTART && rc != -EINTR && rc != -ENOBUFS)
			goto out;
	}
	errfmt(err, errlen, "sync table inet %s: gave up after %d tries "
	    "(ruleset changing under us or acks lost; last: %s)", k->table,
	    SYNC_TRIES, strerror(-rc));
	rc = -EAGAIN;
out:
	free(want.v);
	free(have.v);
	return rc;
}

/* ---- dumps for the caller --------------------------------------------------- */

static int
elem_collect(const struct kelem *ke, void *arg)
{
	struct icc_elem e;

	if (kelem_to_elem(ke, &e) < 0) {
		errno = EPROTO;
		return -1;
	}
	return elemvec_push(arg, &e);
}

/*
 * kernel_dump_elems: an element iccd cannot have added (a catch-all, a
 * range of addresses) has no struct icc_elem: -EPROTO, and kernel_sync
 * will replace the table.  A dump cut short by a concurrent change is
 * started again.
 */
int
kernel_dump_elems(struct kernel *k, struct elemvec *out)
{
	size_t n0 = out->n;
	bool odd;
	int s, rc, try;

	for (try = 0; try < SYNC_TRIES; try++) {
		out->n = n0;
		for (rc = 0, s = 0; s < ICC_SET_NR && rc == 0; s++) {
			rc = elems_dump(k, s, elem_collect, out, &odd);
			if (rc == 0 && odd)
				rc = -EPROTO;
		}
		if (rc != -EINTR)
			break;
	}
	if (rc < 0)
		out->n = n0;
	return rc;
}

struct closed_fn {
	void	(*fn)(const char *, void *);
	void	 *arg;
};

/*
 * An element whose two names differ is not iccd's: it is reported as
 * "a . b", which no bridge is called, so the caller sees a difference.
 */
static int
closed_call(const struct kelem *ke, void *arg)
{
	const struct closed_fn *c = arg;
	char name[2 * IFNAMSIZ + 8];

	if (memcmp(ke->key, ke->key + IFNAMSIZ, IFNAMSIZ) == 0)
		snprintf(name, sizeof(name), "%.*s", IFNAMSIZ,
		    (const char *)ke->key);
	else
		snprintf(name, sizeof(name), "%.*s . %.*s", IFNAMSIZ,
		    (const char *)ke->key, IFNAMSIZ,
		    (const char *)ke->key + IFNAMSIZ);
	c->fn(name, c->arg);
	return 0;
}

int
kernel_dump_closed(struct kernel *k, void (*fn)(const char *bridge, void *),
    void *arg)
{
	struct closed_fn c = { fn, arg };
	bool odd;
	int rc;

	rc = elems_dump(k, KSET_CLOSED, closed_call, &c, &odd);
	if (rc == 0 && odd)
		rc = -EPROTO;
	return rc;
}

int
kernel_delete_table(struct kernel *k)
{
	struct txn t;
	int rc;

	if ((rc = txn_init(&t, k, 0)) < 0)
		return rc;
	txn_table(&t, NFT_MSG_DELTABLE, "delete");
	rc = txn_commit(&t, NULL, 0);
	txn_free(&t);
	/* The bridge table on its own: add + delete never fails for want of
	 * it, and its absence must not fail the inet one's delete. */
	if (txn_init(&t, k, 0) == 0) {
		kbridge_txn_delete(&t);
		(void)txn_commit(&t, NULL, 0);
		txn_free(&t);
	}
	return rc;
}

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

	if (grow((void **)&d->v, &d->cap, d->n, sizeof(*d->v)) < 0)
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

/* ct_same_key: a and b name the same family, addresses and protocol. */
static bool
ct_same_key(const struct icc_elem *a, const struct icc_elem *b)
{
	size_t alen = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->proto == b->proto &&
	    memcmp(&a->recv, &b->recv, alen) == 0 &&
	    memcmp(&a->src, &b->src, alen) == 0;
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
	for (; lo < n && ct_same_key(&v[lo], &key) &&
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
	size_t alen = a->family == AF_INET ? 4 : 16;

	while (++i < gone->n && gone->v[i].family == a->family &&
	    memcmp(&gone->v[i].recv, &a->recv, alen) == 0 &&
	    memcmp(&gone->v[i].src, &a->src, alen) == 0)
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

/* ---- the monitor: changes made by anyone else --------------------------- */

/*
 * Every nftables transaction is announced to the NFNLGRP_NFTABLES group:
 * one message per object or element it changed, then NFT_MSG_NEWGEN
 * naming the process.  Each message carries in nlmsg_pid the portid of
 * the socket that sent the batch, so iccd's own changes (all made through
 * k->nl) are told from everyone else's without remembering what was sent.
 * The monitor has a socket of its own: events must not mix with the acks
 * and dumps that nl_talk and txn_commit read on k->nl.
 *
 * Buffer: iccd reads events only between requests, and its own batches
 * notify it too (one 72-byte message per element, about 52 to a
 * datagram of 8 KB truesize), so the buffer starts well above the
 * default: 4 MB, which the kernel accounts as 8 MB, held 51,584 element
 * events on 6.18.  A batch of iccd's own that is bigger costs one resync.
 * As conntrack-tools' ctnl.c does on ENOBUFS, the buffer is doubled, up
 * to MONITOR_RCVBUF_MAX, and the caller resyncs from a full dump since a
 * foreign change may have been among the events dropped.
 */
#define MONITOR_RCVBUF		(4 * 1024 * 1024)
#define MONITOR_RCVBUF_MAX	(64 * 1024 * 1024)
/* Datagrams read per call: a flood must not keep the main loop here. */
#define MONITOR_READ_MAX	4096

/*
 * The messages that touch a table, with the attribute naming the object
 * (the table's own name is attribute 1 in all of them), printed as
 * "chain" NAME ": rule deleted".  rank orders causes: a table deleted
 * says more than the rules deleted with it.
 */
static const struct evkind {
	uint16_t	 type;
	uint16_t	 name_attr;
	int		 rank;
	const char	*obj;		/* NULL: the table itself */
	const char	*what;
} evkinds[] = {
	{ NFT_MSG_DELTABLE, 0, 4, NULL, "deleted" },
	{ NFT_MSG_NEWTABLE, 0, 3, NULL, "updated" },
	{ NFT_MSG_DELCHAIN, NFTA_CHAIN_NAME, 3, "chain", " deleted" },
	{ NFT_MSG_NEWCHAIN, NFTA_CHAIN_NAME, 2, "chain", " added or updated" },
	{ NFT_MSG_DELSET, NFTA_SET_NAME, 3, "set", " deleted" },
	{ NFT_MSG_NEWSET, NFTA_SET_NAME, 2, "set", " added or updated" },
	{ NFT_MSG_DELRULE, NFTA_RULE_CHAIN, 1, "chain", ": rule deleted" },
	{ NFT_MSG_NEWRULE, NFTA_RULE_CHAIN, 1, "chain", ": rule added" },
	{ NFT_MSG_DELSETELEM, NFTA_SET_ELEM_LIST_SET, 1, "set",
	    ": element deleted" },
	{ NFT_MSG_NEWSETELEM, NFTA_SET_ELEM_LIST_SET, 1, "set",
	    ": element added" },
	{ NFT_MSG_DELOBJ, NFTA_OBJ_NAME, 2, "object", " deleted" },
	{ NFT_MSG_NEWOBJ, NFTA_OBJ_NAME, 2, "object", " added" },
	{ NFT_MSG_DELFLOWTABLE, NFTA_FLOWTABLE_NAME, 2, "flowtable",
	    " deleted" },
	{ NFT_MSG_NEWFLOWTABLE, NFTA_FLOWTABLE_NAME, 2, "flowtable",
	    " added" },
};

/* What one kernel_monitor_read found. */
struct evscan {
	const struct kernel	*k;
	unsigned		 n;	/* foreign events on the table */
	int			 rank;	/* of what */
	uint32_t		 portid; /* the sender of what */
	char			 what[96];
	char			 who[48]; /* "nft[1234]", from NEWGEN */
};

static const struct evkind *
evkind_find(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(evkinds) / sizeof(evkinds[0]); i++)
		if (evkinds[i].type == type)
			return &evkinds[i];
	return NULL;
}

/* attr_str: a's string, NULL if a is absent or not a string. */
static const char *
attr_str(const struct nlattr *a)
{
	if (a == NULL || mnl_attr_validate((struct nlattr *)a,
	    MNL_TYPE_NUL_STRING) < 0)
		return NULL;
	return mnl_attr_get_str(a);
}

/* NFT_MSG_NEWGEN closes a transaction: who made the one reported. */
static void
ev_gen(const struct nlmsghdr *nlh, struct evscan *sc)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1] = { 0 };
	struct attrs at = { tb, NFTA_GEN_MAX };
	const char *name;

	if (sc->n == 0 || sc->who[0] != '\0' || nlh->nlmsg_pid != sc->portid ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attrs_cb, &at) < 0)
		return;
	if ((name = attr_str(tb[NFTA_GEN_PROC_NAME])) == NULL)
		name = "?";
	if (tb[NFTA_GEN_PROC_PID] != NULL &&
	    mnl_attr_validate((struct nlattr *)tb[NFTA_GEN_PROC_PID],
	    MNL_TYPE_U32) == 0)
		snprintf(sc->who, sizeof(sc->who), "%s[%u]", name,
		    ntohl(mnl_attr_get_u32(tb[NFTA_GEN_PROC_PID])));
	else
		snprintf(sc->who, sizeof(sc->who), "%s", name);
}

/* ev_one: account for one event; those of iccd's own batches are not. */
static void
ev_one(const struct nlmsghdr *nlh, struct evscan *sc)
{
	const struct nlattr *tb[NFTA_CHAIN_NAME + 1] = { 0 };
	struct attrs at = { tb, NFTA_CHAIN_NAME };
	const struct nfgenmsg *nfg;
	const struct evkind *ek;
	const char *table, *name;
	uint16_t type;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return;
	type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	if (type == NFT_MSG_NEWGEN) {
		ev_gen(nlh, sc);
		return;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_pid == sc->k->portid ||
	    (nfg->nfgen_family != NFPROTO_INET &&
	    nfg->nfgen_family != NFPROTO_BRIDGE) ||
	    (ek = evkind_find(type)) == NULL ||
	    mnl_attr_parse(nlh, sizeof(*nfg), attrs_cb, &at) < 0 ||
	    (table = attr_str(tb[1])) == NULL ||
	    strcmp(table, sc->k->table) != 0)
		return;
	sc->n++;
	if (ek->rank <= sc->rank)
		return;
	sc->rank = ek->rank;
	sc->portid = nlh->nlmsg_pid;
	sc->who[0] = '\0';
	if (ek->obj == NULL) {
		snprintf(sc->what, sizeof(sc->what), "table %s", ek->what);
		return;
	}
	if ((name = attr_str(tb[ek->name_attr])) == NULL)
		name = "?";
	snprintf(sc->what, sizeof(sc->what), "%s %s%s", ek->obj, name,
	    ek->what);
}

/* ev_scan: every message of one datagram. */
static void
ev_scan(const char *buf, size_t len, struct evscan *sc)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int n = (int)len;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n))
		ev_one(nlh, sc);
}

int
kernel_monitor_open(struct kernel *k, size_t rcvbuf)
{
	int group = NFNLGRP_NFTABLES, fd, val, saved;

	if (k->mon != NULL)
		return mnl_socket_get_fd(k->mon);
	if (rcvbuf == 0)
		rcvbuf = MONITOR_RCVBUF;
	if (rcvbuf > MONITOR_RCVBUF_MAX)
		rcvbuf = MONITOR_RCVBUF_MAX;
	k->mon = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK |
	    SOCK_CLOEXEC);
	if (k->mon == NULL)
		return -1;
	fd = mnl_socket_get_fd(k->mon);
	/* Set, not grown: tests ask for less than the default. */
	val = (int)rcvbuf;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &val, sizeof(val)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val));
	if (mnl_socket_bind(k->mon, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(k->mon, NETLINK_ADD_MEMBERSHIP, &group,
	    sizeof(group)) < 0) {
		saved = errno;
		mnl_socket_close(k->mon);
		k->mon = NULL;
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * monitor_grow: double the buffer after an overrun.  Returns its new
 * size as the kernel accounts it (twice the size set).
 */
static int
monitor_grow(int fd)
{
	int cur = 0;
	socklen_t len = sizeof(cur);

	/* getsockopt reports twice the size set: setting that doubles. */
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &len) == 0 &&
	    cur > 0 && cur / 2 < MONITOR_RCVBUF_MAX)
		sock_grow(fd, SO_RCVBUF, SO_RCVBUFFORCE, (size_t)cur);
	len = sizeof(cur);
	(void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &len);
	return cur;
}

/* "table deleted by nft[1234] (+9 more events)" */
static void
monitor_cause(const struct evscan *sc, char *cause, size_t len)
{
	char more[40] = "";

	if (sc->n > 1)
		snprintf(more, sizeof(more), " (+%u more event%s)", sc->n - 1,
		    sc->n > 2 ? "s" : "");
	errfmt(cause, len, "%s%s%s%s", sc->what, sc->who[0] ? " by " : "",
	    sc->who, more);
}

int
kernel_monitor_read(struct kernel *k, char *cause, size_t len)
{
	struct evscan sc = { .k = k };
	bool lost = false;
	char seen[160];
	ssize_t n;
	int fd, i;

	errfmt(cause, len, "%s", "");
	if (k->mon == NULL)
		return -EBADF;
	fd = mnl_socket_get_fd(k->mon);
	for (i = 0; i < MONITOR_READ_MAX; i++) {
		n = recv(fd, k->buf, NLMSG_MAXSIZE, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			lost = true;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		/* Cut short, what it said is unknown: as good as lost. */
		if (n > NLMSG_MAXSIZE) {
			lost = true;
			continue;
		}
		ev_scan(k->buf, (size_t)n, &sc);
	}
	if (!lost) {
		if (sc.n == 0)
			return 0;
		monitor_cause(&sc, cause, len);
		return 1;
	}
	seen[0] = '\0';
	if (sc.n > 0)
		monitor_cause(&sc, seen, sizeof(seen));
	errfmt(cause, len, "events lost, buffer now %d KB%s%s",
	    monitor_grow(fd) / 1024, sc.n > 0 ? "; seen: " : "", seen);
	return -ENOBUFS;
}

/* ---- br_netfilter ------------------------------------------------------- */

static int
sysctl_one(const char *name, char *err, size_t errlen)
{
	char path[128], c = 0;
	const char *p;
	int fd, e;

	/* net.bridge.x -> /proc/sys/net/bridge/x */
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (p = path + strlen("/proc/sys/"); *p != '\0'; p++)
		if (*p == '.')
			path[p - path] = '/';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		if (e == ENOENT)
			errfmt(err, errlen, "%s: no such sysctl: br_netfilter "
			    "is not loaded: load br_netfilter (modprobe "
			    "br_netfilter)", name);
		else
			errfmt(err, errlen, "%s: %s", name, strerror(e));
		return -e;
	}
	/* Already 1: leave it, /proc/sys may be read-only in a container. */
	if (read(fd, &c, 1) == 1 && c == '1') {
		close(fd);
		return 0;
	}
	close(fd);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, "1\n", 2) != 2) {
		e = errno;
		if (fd >= 0)
			close(fd);
		errfmt(err, errlen, "cannot set %s = 1: %s", name,
		    strerror(e));
		return -e;
	}
	if (close(fd) < 0) {
		e = errno;
		errfmt(err, errlen, "cannot set %s = 1: %s", name,
		    strerror(e));
		return -e;
	}
	return 0;
}

/*
 * Bridged packets only traverse the inet forward hook when br_netfilter
 * passes them up, per network namespace.
 */
int
kernel_bridge_nf(char *err, size_t errlen)
{
	int rc;

	errfmt(err, errlen, "%s", "");
	if ((rc = sysctl_one("net.bridge.bridge-nf-call-iptables", err,
	    errlen)) < 0)
		return rc;
	return sysctl_one("net.bridge.bridge-nf-call-ip6tables", err, errlen);
}
