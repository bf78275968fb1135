/*
 * ops.h: the operators' commands of the daemon: check (would a connection
 * pass, and why; cmd_check.c), metrics (metrics.h) and the drop log
 * (droplog.h).  Each answers one parsed request with a new reply object
 * (NULL only when out of memory).
 */
#ifndef ICCD_OPS_H
#define ICCD_OPS_H

#include <jansson.h>

#include "daemon.h"
#include "request.h"

/*
 * cmd_check: the model's verdict on r->from -> r->to, r->port
 * (verdict.h), confirmed against the kernel (kernel_closed_has,
 * kernel_lookup_flow).  Reply: allowed (the kernel's answer when it was
 * asked, else the model's), reason, line, from, to, bridge, alias,
 * element (the model's, "" when none), agree, and when the kernel was
 * asked kernel: {closed, element ("" when none)}; disagreement (a line)
 * when agree is false.
 */
json_t *cmd_check(struct iccd *d, const struct request *r);

/*
 * The rest lives in cmd_ops.c.
 *
 * cmd_metrics: {"ok": true, "text": metrics_text(d)}.
 * cmd_log: {"ok": true, "entries": [...], "last": N}: the drop log's
 * entries after r->after (droplog.h), last the newest's sequence number;
 * an iccd without a drop log answers an empty list, "enabled": false and
 * "off": why (d->droplog_off, "--log-group none" when empty).
 */
json_t *cmd_metrics(struct iccd *d);
json_t *cmd_log(struct iccd *d, const struct request *r);

/* metrics_text: d's metrics as Prometheus text, malloc'd; NULL: ENOMEM. */
char *metrics_text(struct iccd *d);

/*
 * ops_handle: daemon_handle, counted in d->metrics (command, result,
 * apply and reply latency).  Same arguments and return.
 */
json_t *ops_handle(struct iccd *d, const json_t *req, bool may_write,
    const struct peer_cred *who);

/*
 * ops_drops_read: read what the kernel logged (kernel_nflog_read, at
 * most DROPLOG_READ packets) into d->droplog and the drop counters.
 * Returns kernel_nflog_read's value.
 */
int ops_drops_read(struct iccd *d);

#endif
