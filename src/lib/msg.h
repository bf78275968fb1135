/*
 * msg.h: the control protocol's messages as C structs, for clients: the
 * requests they send built in one place, the replies they read decoded in
 * one place.  Pure (no I/O).  The daemon's side is request.h (decoding
 * requests) and src/iccd/daemon.c (writing replies); the fields below are
 * what daemon.c writes, and a change there must be made here too.
 *
 * Reply schema of one container (daemon.c container_json; `list` returns
 * them in "containers", together with "bridges" and "links"):
 *
 *   name         string   the container's name
 *   running      bool     started and not stopped since
 *   started      bool     started once: bridge and ip are set; false for a
 *                         container only declared (by a link or rules file)
 *   bridge       string   its bridge, "" when not started
 *   ip           string   IPv4, dotted quad ("0.0.0.0" when not started)
 *   ip6          string   IPv6; absent when it has none
 *   id           string   the runtime's id, "" when none was given
 *   hostname     string   "" when none
 *   expose       array    "PORT[-END]/PROTO" strings
 *   expose_from  array    per entry of expose: "event" (a start request)
 *                         or "FILE:LINE" of the rules file that exposed it
 *   env          array    "KEY=VALUE" strings
 *   port         string   its bridge port (host side of its veth); absent
 *                         when none was given
 *   mac          string   its MAC, "aa:bb:cc:dd:ee:ff"; absent likewise
 *   binding      string   "bound" (running on a bridge with icc off, with
 *                         a port: bound to it), "unbound" (the same
 *                         without a port), "none" otherwise
 *
 * Decoding is strict about types and lenient about presence: a field of
 * the wrong type or an address that does not parse is an error naming the
 * field; a missing field but "name" takes its empty value (so a client
 * reads the reply of an older or newer iccd), and fields not listed here
 * are ignored.
 */
#ifndef ICCD_MSG_H
#define ICCD_MSG_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "parse.h"

/*
 * The "start" request (see request.h for what each field must be).  Every
 * pointer may be NULL: the field is then not sent; an empty string is sent
 * as it is (iccd judges it).  The arrays hold strings and are sent when
 * not empty.  Nothing is validated here: ctl_call (client.h) validates
 * before sending.
 */
struct msg_start {
	const char	*name;
	const char	*bridge;
	const char	*ip;		/* IPv4 text */
	const char	*ip6;		/* IPv6 text */
	const char	*id;
	const char	*hostname;
	const json_t	*expose;	/* "PORT[-END][/PROTO]" */
	const json_t	*links;		/* "SOURCE[:ALIAS]" */
	const json_t	*env;		/* "KEY=VALUE" */
	const char	*port;		/* host side of its veth (with mac) */
	const char	*mac;		/* its MAC, "aa:bb:cc:dd:ee:ff" */
};

/*
 * msg_start: the request for s, fields in the order cmd, name, bridge,
 * ip, ip6, id, hostname, expose, links, env, port, mac.  The arrays are copied.
 * Returns a new object, or NULL with errno ENOMEM.
 */
json_t *msg_start(const struct msg_start *s);

/*
 * msg_request: {"cmd": cmd} and, when name is not NULL, "name": name
 * (stop, rm, list, status, reload; the start of link, env, ...).
 * Returns a new object, or NULL with errno ENOMEM.
 */
json_t *msg_request(const char *cmd, const char *name);

/* One container of a reply, decoded (see the schema above). */
struct msg_container {
	char		 name[ICC_NAME_MAX + 1];
	char		 id[ICC_ID_MAX + 1];
	bool		 running;
	bool		 started;
	char		 bridge[ICC_IFNAME_MAX + 1];
	char		 ip[INET_ADDRSTRLEN];	/* text, "" when absent */
	struct in_addr	 ip4;			/* 0.0.0.0 when absent */
	bool		 has_ip6;
	char		 ip6_text[INET6_ADDRSTRLEN];
	struct in6_addr	 ip6;
	char		 hostname[ICC_HOST_MAX + 1];
	const json_t	*expose;	/* borrowed from the reply; NULL or */
	const json_t	*expose_from;	/* arrays of strings, expose_from as */
	const json_t	*env;		/* long as expose when both are given */
	char		 port[ICC_IFNAME_MAX + 1];	/* "" when absent */
	char		 mac[18];			/* "" when absent */
	char		 binding[8];	/* "bound", "unbound", "none", "" */
};

/*
 * msg_container_decode: o (one object of "containers") into c.  The
 * arrays in c are borrowed from o: valid while o is.  Returns 0, or -1
 * with one line in err naming the field ("ip: not an IPv4 address").
 */
int msg_container_decode(const json_t *o, struct msg_container *c,
    char *err, size_t len);

/*
 * msg_list_get: decode containers[i] of a `list` reply into c.  Returns 1
 * (decoded), 0 (i is past the end), or -1 with one line in err naming the
 * field ("containers: not an array", "containers[2].running: not true or
 * false").
 */
int msg_list_get(const json_t *list, size_t i, struct msg_container *c,
    char *err, size_t len);

/*
 * msg_list_find: decode the containers of a `list` reply until the one
 * called name.  Returns 1 (found, in c), 0 (not there), or -1 with one
 * line in err as msg_list_get's.
 */
int msg_list_find(const json_t *list, const char *name,
    struct msg_container *c, char *err, size_t len);

#endif
