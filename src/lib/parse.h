/*
 * parse.h: validators and parsers for every field iccd accepts from a user
 * (command line, control socket, state file).  Pure: no I/O, no globals.
 *
 * Every parser returns 0 on success, or -1 with errno = EINVAL (ERANGE for
 * a number out of range, ENAMETOOLONG for an over-long string) and *why set
 * to a static string that explains the problem in a few words, e.g. "port
 * out of range 1-65535".  Callers prefix the field name ("--expose: ...").
 * On failure the output argument is left unchanged.
 */
#ifndef ICCD_PARSE_H
#define ICCD_PARSE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"	/* errf */

#define ICC_NAME_MAX	 63	/* container name, alias */
#define ICC_ID_MAX	 128	/* container id (Docker: 64 hex digits) */
#define ICC_HOST_MAX	 63	/* hostname label, as HOST_NAME_MAX for one label */
#define ICC_IFNAME_MAX	 15	/* IFNAMSIZ - 1 */
#define ICC_ENVKEY_MAX	 255
#define ICC_ENVVAL_MAX	 4095
#define ICC_MAX_PORTS	 256	/* --expose entries per container */
#define ICC_MAX_LINKS	 256	/* --link entries per container */
#define ICC_MAX_ENV	 256	/* --env entries per container */

/* An exposed port or port range.  Host byte order; first <= last. */
struct icc_ports {
	uint16_t first;
	uint16_t last;
	uint8_t	 proto;		/* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
};

/*
 * parse_name: a container name or link alias.  Docker's rule
 * (daemon/names: [a-zA-Z0-9][a-zA-Z0-9_.-]*), 1..ICC_NAME_MAX bytes.
 */
int parse_name(const char *s, const char **why);

/* parse_id: a container id: 1..ICC_ID_MAX bytes of [a-zA-Z0-9_.-]. */
int parse_id(const char *s, const char **why);

/*
 * parse_hostname: one RFC 1123 label or a dotted name of them,
 * 1..ICC_HOST_MAX bytes of [a-zA-Z0-9.-], not starting or ending with '-'.
 */
int parse_hostname(const char *s, const char **why);

/*
 * parse_ifname: a bridge interface name as the kernel accepts it
 * (net/core/dev.c dev_valid_name): 1..15 bytes, not "." or "..", no '/',
 * ':' or white space.
 */
int parse_ifname(const char *s, const char **why);

/*
 * parse_mac: an Ethernet address "aa:bb:cc:dd:ee:ff" (six pairs of hex
 * digits, ':' between them, either case) to out[0..5].  Rejects the all-zero
 * address and group (multicast, broadcast) addresses: they can never be a
 * container's interface address.
 */
int parse_mac(const char *s, uint8_t out[6], const char **why);

/* mac_format: "aa:bb:cc:dd:ee:ff" into buf (size >= 18); returns buf. */
char *mac_format(const uint8_t mac[6], char *buf, size_t len);

/*
 * parse_ipv4: dotted quad to *out (network byte order).  Rejects 0.0.0.0,
 * broadcast, multicast and loopback: they can never be a container address.
 * The rest of 0.0.0.0/8 and 240.0.0.0/4 are unicast to Linux (since 5.3
 * and 2.6.25) and accepted.
 */
int parse_ipv4(const char *s, struct in_addr *out, const char **why);

/*
 * parse_ipv6: RFC 4291 text to *out.  Rejects what can never be a
 * container's unicast address: :: (unspecified), ::1 (loopback),
 * multicast (ff00::/8), IPv4-mapped (::ffff:0:0/96) and IPv4-compatible
 * (::/96) addresses.
 */
int parse_ipv6(const char *s, struct in6_addr *out, const char **why);

/*
 * parse_ports: "PORT[-END][/tcp|udp|sctp]" to *out.  Default protocol tcp
 * (Docker's nat.NewPort).  Ports 1..65535, END >= PORT.
 */
int parse_ports(const char *s, struct icc_ports *out, const char **why);

/*
 * parse_link: "SOURCE[:ALIAS]"; the alias defaults to SOURCE (Docker's
 * opts.ParseLink).  source and alias must hold ICC_NAME_MAX + 1 bytes.
 */
int parse_link(const char *s, char *source, char *alias, const char **why);

/*
 * parse_env: "KEY=VALUE".  KEY is 1..ICC_ENVKEY_MAX bytes without '=' or
 * control characters; VALUE 0..ICC_ENVVAL_MAX bytes without control
 * characters ('=' and spaces are allowed).  *keylen gets KEY's length.
 */
int parse_env(const char *s, size_t *keylen, const char **why);

/*
 * check_ports, check_link: validate only, with parse_ports' and
 * parse_link's rules and *why: for tables of validators of the form
 * int (*)(const char *, const char **).
 */
int check_ports(const char *s, const char **why);
int check_link(const char *s, const char **why);

/* parse_icc: "on" or "off" to *on (1 or 0). */
int parse_icc(const char *s, int *on, const char **why);

/* proto_name: "tcp", "udp" or "sctp" for an IPPROTO_ value, else "?". */
const char *proto_name(uint8_t proto);

/*
 * ports_format: "PORT/proto" or "PORT-END/proto" into buf (size >= 20).
 * Returns buf.
 */
char *ports_format(const struct icc_ports *p, char *buf, size_t len);

#endif
