/*
 * kernel_monitor.c: the monitor: nftables change events of the namespace
 * (NFNLGRP_NFTABLES), to tell when someone else changed iccd's table.
 */
#include "kernel_int.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>

/* ---- the monitor: changes made by anyone else --------------------------- */

/*
 * Every nftables transaction is announced to the NFNLGRP_NFTABLES group:
 * one message per object or element it changed, then NFT_MSG_NEWGEN
 * naming the process.  Each message carries in nlmsg_pid the portid of
 * the socket that sent the batch, so iccd's own changes (all made through
 * k->nl) are told from everyone else's without remembering what was sent.
 * The monitor has a socket of its own: events must not mix with the acks
 * and dumps that nl_talk and ktxn_commit read on k->nl.
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
