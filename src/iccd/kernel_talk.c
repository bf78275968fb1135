/*
 * kernel_talk.c: the netlink socket of struct kernel (NETLINK_NETFILTER)
 * and the exchanges on it that are not batches: send one request (a get
 * or a dump), read its answers up to the ack or the end of the dump,
 * with the receive buffer handling they need.  kernel_open and
 * kernel_close live here.
 */
#include "kernel_int.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnftnl/common.h>

/* ---- socket ---------------------------------------------------------- */

/*
 * sock_grow: make socket buffer `opt` at least `want` bytes.  The FORCE
 * variant passes over net.core.[rw]mem_max (iccd has CAP_NET_ADMIN);
 * without it we get what the sysctl allows, and a big batch may then fail
 * with EMSGSIZE (send) or lose acks (receive).
 */
void
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
void
sock_enobufs(struct kernel *k)
{
	int fd = mnl_socket_get_fd(k->nl), cur = 0;
	socklen_t len = sizeof(cur);

	(void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &len);
	sock_grow(fd, SO_RCVBUF, SO_RCVBUFFORCE,
	    cur > 0 ? (size_t)cur : 1 << 20);
}

/* Throw away anything left from an exchange that was cut short. */
void
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

ssize_t
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
	k->log_group = KERNEL_LOG_GROUP;
	k->own = true;
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
	if (k->nflog != NULL)
		mnl_socket_close(k->nflog);
	free(k->buf);
	free(k);
}

/* ---- requests (get, dump) -------------------------------------------- */

struct nlmsghdr *
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
int
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

/* ---- attribute tables -------------------------------------------------- */

int
attrs_cb(const struct nlattr *a, void *arg)
{
	const struct attrs *at = arg;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= at->max)
		at->tb[type] = a;
	return MNL_CB_OK;
}
