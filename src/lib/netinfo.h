/*
 * netinfo.h: find a container's addresses and bridge by asking the
 * kernel (rtnetlink through libmnl; no `ip`, no /sys).
 *
 * The container's interface is looked up inside its network namespace;
 * it must be a veth.  Its peer (IFLA_LINK, an ifindex in the peer's
 * namespace) is looked up in the host namespace, and it must be a veth
 * pointing back at the container's interface, enslaved to a bridge.  The
 * peer really lives in that host namespace: the container side reports
 * the peer's namespace as an nsid (IFLA_LINK_NETNSID), which must equal
 * the nsid the container's namespace gives the host namespace
 * (RTM_GETNSID), so an unrelated interface with the same ifindex in
 * another namespace is never taken for the peer.
 *
 * Needs CAP_SYS_ADMIN (setns) in both namespaces.  The process returns to
 * its own network namespace before netinfo_lookup returns.  Not
 * thread-safe: setns changes the namespace of the calling thread only,
 * and the caller is meant to be single-threaded.
 */
#ifndef ICCD_NETINFO_H
#define ICCD_NETINFO_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netinfo {
	char		ifname[IF_NAMESIZE];	/* the container's interface */
	unsigned	ifindex;		/* in the container's namespace */
	struct in_addr	ip4;			/* network byte order */
	bool		has_ip6;
	struct in6_addr	ip6;			/* network byte order */
	char		peer[IF_NAMESIZE];	/* host side of the veth */
	unsigned	peer_ifindex;		/* in the host namespace */
	char		bridge[IF_NAMESIZE];	/* the peer's master */
	bool		has_mac;		/* mac is set */
	uint8_t		mac[6];			/* the container's interface */
};

/*
 * netinfo_lookup: fill ni for the container whose network namespace is
 * the file ctr_ns (e.g. /proc/PID/ns/net).  host_ns: the namespace of the
 * veth peer and bridge (a path such as /run/netns/NAME), or NULL for the
 * caller's own.  ifname: the container's interface, or NULL for its first
 * non-loopback one (lowest ifindex).
 *
 * Addresses: the first primary IPv4 address of the interface (required),
 * and its first IPv6 address of global scope whose duplicate address
 * detection has not failed (optional; a tentative one counts: it is the
 * container's, only not yet usable).
 *
 * Returns 0, or -1 with one line in err naming what was wrong (the
 * namespace, the interface, the peer or the bridge) and errno set.
 */
int netinfo_lookup(const char *ctr_ns, const char *host_ns,
    const char *ifname, struct netinfo *ni, char *err, size_t errlen);

/*
 * netinfo_link_kind: the kind of interface ifname in the caller's network
 * namespace, as rtnetlink reports it (IFLA_INFO_KIND: "bridge", "veth";
 * "" for a device without one, such as a physical NIC), into kind (len
 * bytes).  Asks the kernel, not /sys: a process may see another
 * namespace's sysfs.  Returns 1 when found, 0 when there is no such
 * interface, -1 with one line in err and errno set when netlink fails.
 */
int netinfo_link_kind(const char *ifname, char *kind, size_t len,
    char *err, size_t errlen);

/*
 * netinfo_link_master: the name of the master (bridge) of interface
 * ifname in the caller's network namespace, into master (len bytes; ""
 * when it has none), asked of rtnetlink (one RTM_GETLINK by name, then
 * one by index), never /sys.  Returns 1 when ifname exists, 0 when there
 * is no such interface, -1 with one line in err and errno set when
 * netlink fails.
 */
int netinfo_link_master(const char *ifname, char *master, size_t len,
    char *err, size_t errlen);

#endif
