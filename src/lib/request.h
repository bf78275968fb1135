/*
 * request.h: decode and validate one control request (a JSON object, see
 * proto.h) into a typed struct.  Pure: the daemon trusts nothing it has not
 * passed through here, and the fuzzer drives it directly.
 */
#ifndef ICCD_REQUEST_H
#define ICCD_REQUEST_H

#include <limits.h>
#include <stdbool.h>

#include <jansson.h>

#include "model.h"
#include "verdict.h"

enum req_cmd {
	REQ_START, REQ_STOP, REQ_RM, REQ_LINK, REQ_UNLINK, REQ_BRIDGE,
	REQ_LIST, REQ_STATUS, REQ_ENV, REQ_HOSTS, REQ_RELOAD, REQ_CHECK,
	REQ_METRICS, REQ_LOG, REQ_NR
};

struct request {
	enum req_cmd		 cmd;
	bool			 mutates;	/* changes state: needs privilege */
	struct icc_container	*c;		/* start: the new declaration */
	char			 name[ICC_NAME_MAX + 1];  /* stop/rm/link/...: container */
	char			 source[ICC_NAME_MAX + 1];/* link */
	char			 alias[ICC_NAME_MAX + 1]; /* link/unlink/env --link */
	char			 bridge[ICC_IFNAME_MAX + 1];
	int			 icc;			  /* bridge: 1 on, 0 off */
	char			 path[PATH_MAX];	  /* hosts --write, "" if none */
	struct verdict_end	 from, to;		  /* check */
	struct icc_ports	 port;			  /* check: first == last */
	unsigned long long	 after;			  /* log: entries after this
							   * sequence number (0: all) */
};

/*
 * request_parse: fill r from obj.  Returns 0, or -1 with a one-line
 * message in err naming the bad field first ("expose: port out of range
 * 1-65535", "cmd: unknown command \"x\"").  Unknown fields are refused so a
 * typo never goes unnoticed.  On success r->c (start only) is owned by r:
 * release with request_clear().
 */
int request_parse(const json_t *obj, struct request *r, char *err,
    size_t errlen);
void request_clear(struct request *r);

/* request_cmd_name: "start", "stop", ... for a command. */
const char *request_cmd_name(enum req_cmd cmd);


/*
 * request_encode_start: the "start" request that declares c as it is
 * (the inverse of request_parse for REQ_START; the state files use it).
 * Returns a new object, or NULL with errno ENOMEM.
 */
json_t *request_encode_start(const struct icc_container *c);

#endif
