/*
 * netinfo.c: see netinfo.h.
 *
 * One rtnetlink socket is opened inside each namespace (a netlink socket
 * stays bound to the namespace it was created in), then the process goes
 * back to its own namespace at once and asks everything over those two
 * sockets.  Requests that are not dumps carry NLM_F_ACK, so every
 * exchange ends on a message libmnl recognises (NLMSG_DONE or an ack).
 */
#include "config.h"

#include "netinfo.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

#include "util.h"

#define NL_BUFSIZE	32768	/* a dump message never exceeds this */
#define KIND_MAX	32

struct nl {
	struct mnl_socket	*sock;
	unsigned		 portid;
	unsigned		 seq;
};

/* One interface as RTM_NEWLINK describes it. */
struct link {
	unsigned	index;
	unsigned	flags;		/* IFF_* */
	char		name[IF_NAMESIZE];
	char		kind[KIND_MAX];	/* "veth", "bridge", "" if none */
	unsigned	link;		/* IFLA_LINK: a veth's peer, or 0 */
	bool		has_nsid;	/* the peer is in another namespace */
	int		nsid;		/* ... whose nsid is this */
	unsigned	master;		/* IFLA_MASTER, or 0 */
	bool		has_mac;	/* IFLA_ADDRESS of 6 bytes */
	uint8_t		mac[6];
};

static int
fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t len, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	verrf(err, len, saved != 0 ? saved : EINVAL, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- netlink plumbing --------------------------------------------------- */

static int
nl_open(struct nl *nl)
{
	if ((nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return -1;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return 0;
}

static void
nl_close(struct nl *nl)
{
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/*
 * nl_talk: send nlh, run cb on every reply until the kernel's done or
 * ack.  Returns 0, or -1 with errno (the kernel's error, or the socket's).
 */
static int
nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[NL_BUFSIZE] __attribute__((aligned(4)));
	unsigned seq = ++nl->seq;
	ssize_t n;
	int rv;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) == -1)
		return -1;
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf))) == -1)
			return -1;
		rv = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, arg);
		if (rv == MNL_CB_ERROR)
			return -1;
		if (rv == MNL_CB_STOP)
			return 0;
	}
}

/* ---- links -------------------------------------------------------------- */

static int
linkinfo_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* attr_u32: the u32 attribute a into *out; false if absent or malformed. */
static bool
attr_u32(const struct nlattr *a, uint32_t *out)
{
	if (a == NULL || mnl_attr_validate(a, MNL_TYPE_U32) == -1)
		return false;
	*out = mnl_attr_get_u32(a);
	return true;
}

/* attr_str: the string attribute a, NUL-terminated, into out. */
static void
attr_str(const struct nlattr *a, char *out, size_t len)
{
	size_t n;

	out[0] = '\0';
	if (a == NULL)
		return;
	n = strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a));
	if (n >= len)
		n = len - 1;
	memcpy(out, mnl_attr_get_str(a), n);
	out[n] = '\0';
}

/* link_parse: one RTM_NEWLINK message into l.  -1 if it is not one. */
static int
link_parse(const struct nlmsghdr *nlh, struct link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { NULL };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	uint32_t v;

	memset(l, 0, sizeof(*l));
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_attr_parse(nlh, sizeof(*ifi), link_attr, tb) != MNL_CB_OK)
		return -1;
	l->index = (unsigned)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	attr_str(tb[IFLA_IFNAME], l->name, sizeof(l->name));
	if (attr_u32(tb[IFLA_LINK], &v))
		l->link = v;
	if (attr_u32(tb[IFLA_LINK_NETNSID], &v)) {
		l->has_nsid = true;
		l->nsid = (int)v;
	}
	if (attr_u32(tb[IFLA_MASTER], &v))
		l->master = v;
	if (tb[IFLA_ADDRESS] != NULL &&
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l->mac)) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]),
		    sizeof(l->mac));
		l->has_mac = true;
	}
	if (tb[IFLA_LINKINFO] != NULL && mnl_attr_parse_nested(
	    tb[IFLA_LINKINFO], linkinfo_attr, info) == MNL_CB_OK)
		attr_str(info[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
	return 0;
}

/* What pick_link looks for, and what it found. */
struct pick {
	const char	*want;		/* a name, or NULL: lowest non-lo */
	bool		 found;
	struct link	 link;
};

static int
pick_link(const struct nlmsghdr *nlh, void *arg)
{
	struct pick *p = arg;
	struct link l;

	if (link_parse(nlh, &l) == -1)
		return MNL_CB_OK;
	if (p->want != NULL ? strcmp(l.name, p->want) != 0 :
	    (l.flags & IFF_LOOPBACK) || (p->found && l.index > p->link.index))
		return MNL_CB_OK;
	p->link = l;
	p->found = true;
	return MNL_CB_OK;
}

/* dump_links: every interface of nl's namespace through pick_link. */
static int
dump_links(struct nl *nl, struct pick *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return nl_talk(nl, nlh, pick_link, p);
}

static int
one_link(const struct nlmsghdr *nlh, void *arg)
{
	struct pick *p = arg;

	if (link_parse(nlh, &p->link) == 0)
		p->found = true;
	return MNL_CB_OK;
}

/* get_link: interface `index` of nl's namespace.  -1 ENODEV if none. */
static int
get_link(struct nl *nl, unsigned index, struct link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct pick p = { .want = NULL };

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)index;
	if (nl_talk(nl, nlh, one_link, &p) == -1)
		return -1;
	if (!p.found || p.link.index != index) {
		errno = ENODEV;
		return -1;
	}
	*l = p.link;
	return 0;
}

/* get_link_named: interface `name` of nl's namespace (RTM_GETLINK with
 * IFLA_IFNAME: one answer, no dump).  -1 with ENODEV if none. */
static int
get_link_named(struct nl *nl, const char *name, struct link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct pick p = { .want = NULL };

	/* All of it zeroed: the name attribute's padding goes out too. */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (nl_talk(nl, nlh, one_link, &p) == -1)
		return -1;
	if (!p.found || strcmp(p.link.name, name) != 0) {
		errno = ENODEV;
		return -1;
	}
	*l = p.link;
	return 0;
}

/* ---- addresses ---------------------------------------------------------- */

struct addrs {
	unsigned	ifindex;
	bool		has4, has6;
	struct in_addr	ip4;
	struct in6_addr	ip6;
};

static int
addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* addr_copy: a's payload into dst when it is exactly len bytes. */
static bool
addr_copy(const struct nlattr *a, void *dst, size_t len)
{
	if (a == NULL || mnl_attr_get_payload_len(a) != len)
		return false;
	memcpy(dst, mnl_attr_get_payload(a), len);
	return true;
}

static int
pick_addr(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addrs *ad = arg;
	uint32_t flags;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != ad->ifindex ||
	    mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb) != MNL_CB_OK)
		return MNL_CB_OK;
	/* IFA_FLAGS holds all 32 flag bits; ifa_flags only the low 8. */
	if (!attr_u32(tb[IFA_FLAGS], &flags))
		flags = ifa->ifa_flags;
	if (ifa->ifa_family == AF_INET && !ad->has4 &&
	    !(flags & IFA_F_SECONDARY))
		/* IFA_LOCAL is the address itself; IFA_ADDRESS is the
		 * peer's on a point-to-point link. */
		ad->has4 = addr_copy(tb[IFA_LOCAL] ? tb[IFA_LOCAL] :
		    tb[IFA_ADDRESS], &ad->ip4, sizeof(ad->ip4));
	if (ifa->ifa_family == AF_INET6 && !ad->has6 &&
	    ifa->ifa_scope == RT_SCOPE_UNIVERSE &&
	    !(flags & (IFA_F_DADFAILED | IFA_F_TEMPORARY)))
		ad->has6 = addr_copy(tb[IFA_ADDRESS], &ad->ip6,
		    sizeof(ad->ip6));
	return MNL_CB_OK;
}

static int
dump_addrs(struct nl *nl, struct addrs *ad)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	return nl_talk(nl, nlh, pick_addr, ad);
}

/* ---- namespace ids ------------------------------------------------------ */

static int
nsid_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NETNSA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
pick_nsid(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[NETNSA_MAX + 1] = { NULL };
	uint32_t v;

	if (nlh->nlmsg_type == RTM_NEWNSID && mnl_attr_parse(nlh,
	    sizeof(struct rtgenmsg), nsid_attr, tb) == MNL_CB_OK &&
	    attr_u32(tb[NETNSA_NSID], &v))
		*(int *)arg = (int)v;
	return MNL_CB_OK;
}

/*
 * get_nsid: the nsid nl's namespace gives the namespace open at fd, or
 * NETNSA_NSID_NOT_ASSIGNED (-1) in *nsid.
 */
static int
get_nsid(struct nl *nl, int fd, int *nsid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;

	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	*nsid = NETNSA_NSID_NOT_ASSIGNED;
	return nl_talk(nl, nlh, pick_nsid, nsid);
}

/* ---- the lookup --------------------------------------------------------- */

/* open_in: an rtnetlink socket in the namespace open at fd. */
static int
open_in(struct nl *nl, int fd, const char *what, char *err, size_t len)
{
	if (setns(fd, CLONE_NEWNET) == -1)
		return fail(err, len, "%s: %s", what, errno == EINVAL ?
		    "not a network namespace" : strerror(errno));
	if (nl_open(nl) == -1)
		return fail(err, len, "%s: rtnetlink socket: %s", what,
		    strerror(errno));
	return 0;
}

/* container_if: the container's interface, which must be a veth. */
static int
container_if(struct nl *c, const char *ifname, struct link *l, char *err,
    size_t len)
{
	struct pick p = { .want = ifname };

	errno = 0;
	if (dump_links(c, &p) == -1)
		return fail(err, len, "container interfaces: %s",
		    strerror(errno));
	if (!p.found && ifname != NULL)
		return fail(err, len, "interface %s: not in the container's "
		    "network namespace", ifname);
	if (!p.found)
		return fail(err, len, "interface: the container's network "
		    "namespace has none but loopback");
	if (strcmp(p.link.kind, "veth") != 0)
		return fail(err, len, "interface %s: not a veth (kind \"%s\"): "
		    "iccd needs the container on a bridge through a veth",
		    p.link.name, p.link.kind);
	if (!p.link.has_nsid)
		return fail(err, len, "interface %s: its veth peer is in the "
		    "container's own namespace", p.link.name);
	*l = p.link;
	return 0;
}

static int
container_addrs(struct nl *c, const struct link *l, struct netinfo *ni,
    char *err, size_t len)
{
	struct addrs ad = { .ifindex = l->index };

	errno = 0;
	if (dump_addrs(c, &ad) == -1)
		return fail(err, len, "interface %s: addresses: %s", l->name,
		    strerror(errno));
	if (!ad.has4)
		return fail(err, len, "interface %s: no IPv4 address", l->name);
	ni->ip4 = ad.ip4;
	ni->has_ip6 = ad.has6;
	ni->ip6 = ad.ip6;
	ni->has_mac = l->has_mac;
	memcpy(ni->mac, l->mac, sizeof(ni->mac));
	return 0;
}

/* host_peer: the peer of the container's veth l, checked, and its bridge. */
static int
host_peer(struct nl *h, const struct link *l, const char *hname,
    struct netinfo *ni, char *err, size_t len)
{
	struct link peer, br;

	errno = 0;
	if (get_link(h, l->link, &peer) == -1)
		return fail(err, len, "interface %s: its veth peer (ifindex "
		    "%u) is not in %s: %s", l->name, l->link, hname,
		    strerror(errno));
	if (strcmp(peer.kind, "veth") != 0 || peer.link != l->index ||
	    !peer.has_nsid)
		return fail(err, len, "interface %s: ifindex %u (%s) in %s is "
		    "not its veth peer", l->name, l->link, peer.name, hname);
	if (peer.master == 0)
		return fail(err, len, "interface %s: its veth peer %s is not "
		    "attached to a bridge", l->name, peer.name);
	errno = 0;
	if (get_link(h, peer.master, &br) == -1)
		return fail(err, len, "veth %s: master ifindex %u: %s",
		    peer.name, peer.master, strerror(errno));
	if (strcmp(br.kind, "bridge") != 0)
		return fail(err, len, "veth %s: its master %s is not a bridge "
		    "(kind \"%s\")", peer.name, br.name, br.kind);
	snprintf(ni->peer, sizeof(ni->peer), "%s", peer.name);
	ni->peer_ifindex = peer.index;
	snprintf(ni->bridge, sizeof(ni->bridge), "%s", br.name);
	return 0;
}

static int
lookup(struct nl *c, struct nl *h, int hfd, const char *hname,
    const char *ifname, struct netinfo *ni, char *err, size_t len)
{
	struct link l;
	int nsid;

	if (container_if(c, ifname, &l, err, len) == -1 ||
	    container_addrs(c, &l, ni, err, len) == -1)
		return -1;
	/* After the link dump: it made the kernel assign the nsid. */
	errno = 0;
	if (get_nsid(c, hfd, &nsid) == -1)
		return fail(err, len, "%s: its nsid in the container's "
		    "namespace: %s", hname, strerror(errno));
	if (nsid == NETNSA_NSID_NOT_ASSIGNED || nsid != l.nsid) {
		errno = ENOENT;
		return fail(err, len, "interface %s: its veth peer is not in "
		    "%s", l.name, hname);
	}
	snprintf(ni->ifname, sizeof(ni->ifname), "%s", l.name);
	ni->ifindex = l.index;
	return host_peer(h, &l, hname, ni, err, len);
}

/* close_fd: close fd if open. */
static void
close_fd(int fd)
{
	if (fd != -1)
		close(fd);
}

int
netinfo_lookup(const char *ctr_ns, const char *host_ns, const char *ifname,
    struct netinfo *ni, char *err, size_t len)
{
	const char *self_path = "/proc/self/ns/net";
	char hname[PATH_MAX + 32];
	struct nl c = { .sock = NULL }, h = { .sock = NULL };
	int self, cfd = -1, hfd = -1, rv = -1;

	memset(ni, 0, sizeof(*ni));
	if (host_ns != NULL)
		snprintf(hname, sizeof(hname), "host namespace %s", host_ns);
	else
		snprintf(hname, sizeof(hname), "the hook's own namespace");
	if ((self = open(self_path, O_RDONLY | O_CLOEXEC)) == -1)
		return fail(err, len, "%s: %s", self_path, strerror(errno));
	if ((cfd = open(ctr_ns, O_RDONLY | O_CLOEXEC)) == -1) {
		fail(err, len, "container namespace %s: %s", ctr_ns,
		    strerror(errno));
		goto out;
	}
	if ((hfd = open(host_ns ? host_ns : self_path, O_RDONLY |
	    O_CLOEXEC)) == -1) {
		fail(err, len, "%s: %s", hname, strerror(errno));
		goto out;
	}
	rv = open_in(&c, cfd, "container namespace", err, len);
	if (rv == 0)
		rv = open_in(&h, hfd, hname, err, len);
	/* Home at once: nothing below depends on the current namespace. */
	if (setns(self, CLONE_NEWNET) == -1) {
		rv = fail(err, len, "cannot return to the hook's network "
		    "namespace: %s", strerror(errno));
		goto out;
	}
	if (rv == 0)
		rv = lookup(&c, &h, hfd, hname, ifname, ni, err, len);
out:
	nl_close(&c);
	nl_close(&h);
	close_fd(hfd);
	close_fd(cfd);
	close(self);
	return rv;
}

int
netinfo_link_kind(const char *ifname, char *kind, size_t len, char *err,
    size_t errlen)
{
	struct nl nl = { .sock = NULL };
	struct pick p = { .want = ifname };

	if (nl_open(&nl) == -1)
		return fail(err, errlen, "rtnetlink: %s", strerror(errno));
	if (dump_links(&nl, &p) == -1) {
		fail(err, errlen, "rtnetlink: interfaces: %s", strerror(errno));
		nl_close(&nl);
		return -1;
	}
	nl_close(&nl);
	if (!p.found)
		return 0;
	snprintf(kind, len, "%s", p.link.kind);
	return 1;
}

int
netinfo_link_master(const char *ifname, char *master, size_t len,
    char *err, size_t errlen)
{
	struct nl nl = { .sock = NULL };
	struct link l, br;
	int rv = 1;

	master[0] = '\0';
	if (nl_open(&nl) == -1)
		return fail(err, errlen, "rtnetlink: %s", strerror(errno));
	if (get_link_named(&nl, ifname, &l) == -1)
		rv = errno == ENODEV ? 0 : fail(err, errlen,
		    "rtnetlink: %s: %s", ifname, strerror(errno));
	else if (l.master != 0 && get_link(&nl, l.master, &br) == 0)
		snprintf(master, len, "%s", br.name);
	else if (l.master != 0)
		rv = fail(err, errlen, "rtnetlink: master of %s: %s", ifname,
		    strerror(errno));
	nl_close(&nl);
	return rv;
}
