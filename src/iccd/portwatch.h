/*
 * portwatch.h: link events of iccd's network namespace (rtnetlink,
 * RTNLGRP_LINK), so that iccd hears when a container's bridge port (its
 * host-side veth) goes away: the kernel deletes both ends of a veth with
 * the container's network namespace.  Kernel-facing, but rtnetlink, not
 * nftables: it lives beside the kernel_*.c family (which speaks
 * NFNETLINK and owns the table), in the iccd binary only, not in
 * libiccd.a: the unit tests drive daemon_port_gone instead.
 */
#ifndef ICCD_PORTWATCH_H
#define ICCD_PORTWATCH_H

#include <stdbool.h>

struct portwatch;

/*
 * portwatch_open: a socket subscribed to link events, non-blocking, with
 * a receive buffer of rcvbuf bytes (0: the system's default).  Returns it
 * (its descriptor: portwatch_fd), or NULL with errno.
 */
struct portwatch *portwatch_open(unsigned rcvbuf);
int portwatch_fd(const struct portwatch *pw);
void portwatch_close(struct portwatch *pw);

/*
 * portwatch_read: read every queued event; for each deleted interface
 * (RTM_DELLINK), call gone(its name, arg).  Returns 0; 1 when events were
 * lost (ENOBUFS: the caller checks every port, see daemon_ports_check);
 * -1 with errno when the socket failed.
 */
int portwatch_read(struct portwatch *pw,
    void (*gone)(const char *ifname, void *arg), void *arg);

/* portwatch_exists: an interface of that name exists now, in iccd's
 * network namespace (if_nametoindex).  arg is unused (a
 * daemon_ports_check callback). */
bool portwatch_exists(const char *ifname, void *arg);

#endif
