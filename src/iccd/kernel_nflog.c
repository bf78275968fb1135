/*
 * kernel_nflog.c: the drop log's kernel side.  The isolate chain's log
 * rule (kernel_rules.c: ct state new limit rate ... log group N) hands
 * the packets of blocked connections (each retransmit too: a dropped
 * packet never confirms its conntrack entry) to nfnetlink_log group N; this
 * file binds a socket of its own to that group (NFNL_SUBSYS_ULOG, plain
 * libmnl) and decodes what arrives: the bridge (the packet's input
 * device: under br_netfilter a bridged packet's indev is the bridge), the
 * addresses, the protocol, the ports and the packet's time stamp.  The
 * group hands each packet over at once (queue threshold 1): the log's
 * times are the packets'.
 *
 * Containers are hostile: the kernel's rate limit bounds what arrives, the
 * socket's receive buffer is small (what overflows is lost, ENOBUFS is
 * counted and ignored), and one read takes a bounded number of packets.
 */
#include "kernel_int.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

/* Bytes of each packet copied: the IPv6 header (40) and a port. */
#define NFLOG_COPY	128
/* The socket's receive buffer: a few hundred packets at most. */
#define NFLOG_RCVBUF	(64 * 1024)

void
kernel_set_log_group(struct kernel *k, int group)
{
	k->log_group = group;
}

/* nflog_config: one NFULNL_MSG_CONFIG for the group, acked. */
static int
nflog_config(struct kernel *k, uint16_t type, const void *data, size_t len)
{
	char buf[NL_BUF_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq = ++k->seq;
	ssize_t n;
	int rc;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons((uint16_t)k->log_group);
	mnl_attr_put(nlh, type, len, data);
	if (mnl_socket_sendto(k->nflog, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	if ((n = mnl_socket_recvfrom(k->nflog, buf, sizeof(buf))) < 0)
		return -errno;
	rc = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(k->nflog), NULL,
	    NULL);
	return rc < 0 ? -errno : 0;
}

int
kernel_nflog_open(struct kernel *k)
{
	struct nfulnl_msg_config_cmd cmd = { NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { htonl(NFLOG_COPY),
	    NFULNL_COPY_PACKET, 0 };
	/* One packet a message, sent at once: no batching, no timer. */
	uint32_t qthresh = htonl(1), timeout = htonl(0);
	int fd, rc;

	if (k->log_group < 0) {
		errno = ENOENT;
		return -1;
	}
	if (k->nflog != NULL)
		return mnl_socket_get_fd(k->nflog);
	if ((k->nflog = mnl_socket_open2(NETLINK_NETFILTER,
	    SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(k->nflog, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	fd = mnl_socket_get_fd(k->nflog);
	sock_grow(fd, SO_RCVBUF, SO_RCVBUFFORCE, NFLOG_RCVBUF);
	/* Acks are read blocking: a kernel that never answers is a bug. */
	if ((rc = nflog_config(k, NFULA_CFG_CMD, &cmd, sizeof(cmd))) < 0 ||
	    (rc = nflog_config(k, NFULA_CFG_MODE, &mode, sizeof(mode))) < 0 ||
	    (rc = nflog_config(k, NFULA_CFG_QTHRESH, &qthresh,
	    sizeof(qthresh))) < 0 ||
	    (rc = nflog_config(k, NFULA_CFG_TIMEOUT, &timeout,
	    sizeof(timeout))) < 0) {
		errno = -rc;
		goto fail;
	}
	return fd;
fail:
	rc = errno;
	mnl_socket_close(k->nflog);
	k->nflog = NULL;
	errno = rc;
	return -1;
}

/* l4: protocol and ports from the transport header at off. */
static void
l4(const uint8_t *p, size_t len, size_t off, uint8_t proto, struct kdrop *d)
{
	d->proto = proto;
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_SCTP) && off + 4 <= len) {
		d->sport = (uint16_t)(p[off] << 8 | p[off + 1]);
		d->dport = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
	}
}

/* stamp: the packet's time, when the kernel gave one (else 0). */
static void
stamp(const struct nlattr *a, struct kdrop *d)
{
	struct nfulnl_msg_packet_timestamp ts;

	if (a == NULL || mnl_attr_get_payload_len(a) < sizeof(ts))
		return;
	memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
	d->when.tv_sec = (time_t)be64toh(ts.sec);
	d->when.tv_nsec = (long)(be64toh(ts.usec) % 1000000) * 1000;
}

/* payload_parse: the IP packet p (len bytes, cut at NFLOG_COPY). */
static int
payload_parse(const uint8_t *p, size_t len, struct kdrop *d)
{
	if (len >= 20 && (p[0] >> 4) == 4) {
		d->family = AF_INET;
		memcpy(&d->saddr.v4, p + 12, 4);
		memcpy(&d->daddr.v4, p + 16, 4);
		l4(p, len, (size_t)(p[0] & 0x0f) * 4, p[9], d);
		return 0;
	}
	if (len >= 40 && (p[0] >> 4) == 6) {
		/* Extension headers are not walked: the port stays 0. */
		d->family = AF_INET6;
		memcpy(&d->saddr.v6, p + 8, 16);
		memcpy(&d->daddr.v6, p + 24, 16);
		l4(p, len, 40, p[6], d);
		return 0;
	}
	return -1;
}

struct nflog_ctx {
	void	(*fn)(const struct kdrop *, void *);
	void	 *arg;
};

static int
packet_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	struct attrs at = { tb, NFULA_MAX };
	struct nflog_ctx *ctx = arg;
	struct kdrop d;

	if ((nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attrs_cb, &at) < 0 ||
	    tb[NFULA_PAYLOAD] == NULL)
		return MNL_CB_OK;
	memset(&d, 0, sizeof(d));
	if (payload_parse(mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
	    mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), &d) < 0)
		return MNL_CB_OK;
	if (tb[NFULA_IFINDEX_INDEV] == NULL || if_indextoname(
	    ntohl(mnl_attr_get_u32(tb[NFULA_IFINDEX_INDEV])), d.bridge) == NULL)
		d.bridge[0] = '\0';
	stamp(tb[NFULA_TIMESTAMP], &d);
	ctx->fn(&d, ctx->arg);
	return MNL_CB_OK;
}

int
kernel_nflog_read(struct kernel *k, size_t max,
    void (*fn)(const struct kdrop *, void *), void *arg)
{
	struct nflog_ctx ctx = { fn, arg };
	char buf[NL_BUF_SIZE];
	size_t i;
	ssize_t n;
	int lost = 0;

	if (k->nflog == NULL)
		return -EBADF;
	for (i = 0; i < max; i++) {
		n = recv(mnl_socket_get_fd(k->nflog), buf, sizeof(buf),
		    MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			lost = 1;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0)
			return -errno;
		/* Packets carry sequence 0 and no portid: no checks. */
		(void)mnl_cb_run(buf, n, 0, 0, packet_cb, &ctx);
	}
	return lost;
}
