/*
 * portwatch.c: link events over rtnetlink (see portwatch.h).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "portwatch.h"

struct portwatch {
	struct mnl_socket	*nl;
};

struct portwatch *
portwatch_open(unsigned rcvbuf)
{
	struct portwatch *pw = calloc(1, sizeof(*pw));
	int saved;

	if (pw == NULL)
		return NULL;
	if ((pw->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == NULL)
		goto fail;
	if (rcvbuf > 0 && setsockopt(mnl_socket_get_fd(pw->nl), SOL_SOCKET,
	    SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1)
		goto fail;
	if (mnl_socket_bind(pw->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) == -1)
		goto fail;
	return pw;
fail:
	saved = errno;
	portwatch_close(pw);
	errno = saved;
	return NULL;
}

int
portwatch_fd(const struct portwatch *pw)
{
	return mnl_socket_get_fd(pw->nl);
}

void
portwatch_close(struct portwatch *pw)
{
	if (pw == NULL)
		return;
	if (pw->nl != NULL)
		mnl_socket_close(pw->nl);
	free(pw);
}

struct gone_ctx {
	void	(*gone)(const char *, void *);
	void	*arg;
};

static int
ifname_attr(const struct nlattr *a, void *data)
{
	const char **name = data;

	if (mnl_attr_get_type(a) == IFLA_IFNAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		*name = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int
event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gone_ctx *g = data;
	const char *name = NULL;

	if (nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), ifname_attr, &name);
	if (name != NULL && name[0] != '\0' && strlen(name) < IF_NAMESIZE)
		g->gone(name, g->arg);
	return MNL_CB_OK;
}

int
portwatch_read(struct portwatch *pw, void (*gone)(const char *, void *),
    void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4)));
	struct gone_ctx g = { gone, arg };
	bool lost = false;
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(pw->nl, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return lost ? 1 : 0;
		if (n == -1 && errno == ENOBUFS) {
			lost = true;
			continue;
		}
		if (n == -1)
			return -1;
		/* Events carry seq 0 and portid 0: check neither. */
		if (mnl_cb_run(buf, (size_t)n, 0, 0, event_cb, &g) ==
		    MNL_CB_ERROR)
			lost = true;
	}
}

bool
portwatch_exists(const char *ifname, void *arg)
{
	(void)arg;
	return if_nametoindex(ifname) != 0;
}
