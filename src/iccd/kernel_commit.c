/*
 * kernel_commit.c: committing one nftables transaction (struct ktxn, built
 * by kernel_txn.c) and mapping the kernel's answer back to the message and
 * the element it refused.
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
 */
#include "kernel_int.h"

#include <time.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/batch.h>
#include <libnftnl/common.h>

/* ---- commit --------------------------------------------------------------- */

static const struct txmsg *
ktxn_find_msg(const struct ktxn *t, uint32_t seq)
{
	size_t i;

	for (i = 0; i < t->nmsgs; i++)
		if (t->msgs[i].seq == seq)
			return &t->msgs[i];
	return NULL;
}

static const struct txelem *
ktxn_find_elem(const struct ktxn *t, uint32_t seq, uint32_t off)
{
	size_t i;

	for (i = 0; i < t->nelems; i++)
		if (t->elems[i].seq == seq && t->elems[i].off == off)
			return &t->elems[i];
	return NULL;
}

/* "add element links4 10.0.0.3 . 10.0.0.2 . tcp . 3306: File exists" */
static void
ktxn_describe(const struct ktxn *t, uint32_t seq, uint32_t off, int error,
    char *err, size_t errlen)
{
	const struct txmsg *m = ktxn_find_msg(t, seq);
	const struct txelem *te;
	char what[ELEM_FMT_LEN + 8];

	if (m == NULL) {
		errfmt(err, errlen, "commit to table inet %s: %s",
		    t->k->table, strerror(error));
		return;
	}
	if (m->elems && (te = ktxn_find_elem(t, seq, off)) != NULL) {
		kelem_format(te->ke, what, sizeof(what));
		errfmt(err, errlen, "%s %s: %s", m->what, what,
		    strerror(error));
		return;
	}
	errfmt(err, errlen, "%s: %s", m->what, strerror(error));
}

/* ktxn_note_refused: t->refused: the element of message seq at offset
 * off, when the message is an element list of the inet table. */
static void
ktxn_note_refused(struct ktxn *t, uint32_t seq, uint32_t off)
{
	const struct txmsg *m = ktxn_find_msg(t, seq);
	const struct txelem *te;

	t->refused = NULL;
	if (m != NULL && m->elems && (te = ktxn_find_elem(t, seq, off)) != NULL)
		t->refused = te->ke;
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
 * ktxn_ack_batch: account for one datagram of answers.  The kernel answers
 * a message of ours with an error (0 for an ack) carrying its sequence
 * number; the batch begin's number is used for what concerns the whole
 * batch (ERESTART for a stale genid, a failed commit, ENOMEM), after which
 * not every message may be answered.
 */
static void
ktxn_ack_batch(const struct ktxn *t, const char *buf, size_t len,
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
ktxn_send(struct ktxn *t)
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
 * ktxn_commit: end the batch, send it, read every answer.  The kernel runs
 * the whole batch inside our sendmsg(), so all answers are queued when it
 * returns; we still wait for them one by one, then take what is left
 * without waiting.
 */
static int ktxn_commit_timed(struct ktxn *, char *, size_t);

int
ktxn_commit(struct ktxn *t, char *err, size_t errlen)
{
	long t0 = mono_ns();
	int rc = ktxn_commit_timed(t, err, errlen);

	t->k->stats.commit_ns += mono_ns() - t0;
	t->k->stats.ntxn++;
	return rc;
}

long
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* ktxn_commit_timed: ktxn_commit's work, which it times. */
static int
ktxn_commit_timed(struct ktxn *t, char *err, size_t errlen)
{
	struct acks a = { 0 };
	bool lost = false;
	ssize_t n;
	int rc;

	ktxn_elems_close(t);
	t->seq_end = ++t->k->seq;
	nftnl_batch_end(nftnl_batch_buffer(t->batch), t->seq_end);
	ktxn_next(t);
	if (t->nomem) {
		errfmt(err, errlen, "table inet %s: batch: %s", t->k->table,
		    strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((rc = ktxn_send(t)) < 0) {
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
		ktxn_ack_batch(t, t->k->buf, (size_t)n, &a);
	}
	while ((n = sock_recv(t->k, MSG_DONTWAIT)) > 0 ||
	    (n < 0 && errno == ENOBUFS)) {
		if (n > 0)
			ktxn_ack_batch(t, t->k->buf, (size_t)n, &a);
		else
			lost = true;
	}
	if (a.error != 0) {
		ktxn_describe(t, a.seq, a.off, a.error, err, errlen);
		ktxn_note_refused(t, a.seq, a.off);
		return -a.error;
	}
	if (lost || (a.got < t->nmsgs && !a.over)) {
		errfmt(err, errlen, "table inet %s: acks lost (receive buffer "
		    "overrun), outcome unknown", t->k->table);
		return -ENOBUFS;
	}
	return 0;
}
