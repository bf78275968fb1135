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

#endif
