/*
 * parse.c: see parse.h.
 *
 * Character classes are spelled out instead of taken from <ctype.h>, whose
 * answers change with setlocale(3): what iccd accepts must not.
 *
 * Where parse.h is silent:
 *  - A NULL string is rejected with "missing", an empty one with "empty".
 *  - The length is checked before the characters, so an over-long string
 *    is ENAMETOOLONG whatever it holds.
 *  - Hostnames are checked label by label: no empty label (leading,
 *    trailing or doubled '.'), no label starting or ending with '-'.
 *  - Container ids "." and ".." are rejected: an id may name a file.
 *  - Ports: digits only, leading zeros allowed ("080" is 80, as Go's
 *    strconv.ParseUint in Docker's nat.ParsePort).  Protocol names are
 *    lower-case only, as Docker's validateProto; "80/" is an error, where
 *    Docker would quietly read tcp.
 *  - Links: "a:b:c" is an error; Docker's "/a:/b/c" form from stored
 *    HostConfigs is not accepted (names never hold '/').
 *  - Control characters are bytes 0x00-0x1f and 0x7f; bytes >= 0x80
 *    (UTF-8) are allowed in env keys and values.
 */
#include "parse.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR(x)	STR1(x)
#define STR1(x)	#x

/* Why a container name or alias is wrong; indexes the *_why tables. */
enum name_err { NAME_OK, NAME_EMPTY, NAME_LONG, NAME_FIRST, NAME_CHAR };

static const char *const name_why[] = {
	NULL, "empty", "longer than " STR(ICC_NAME_MAX) " bytes",
	"must start with a letter or digit", "bad character"
};
static const char *const source_why[] = {
	NULL, "empty SOURCE", "SOURCE longer than " STR(ICC_NAME_MAX) " bytes",
	"SOURCE must start with a letter or digit", "bad character in SOURCE"
};
static const char *const alias_why[] = {
	NULL, "empty ALIAS", "ALIAS longer than " STR(ICC_NAME_MAX) " bytes",
	"ALIAS must start with a letter or digit", "bad character in ALIAS"
};

static int
fail(const char **why, const char *msg, int err)
{
	if (why != NULL)
		*why = msg;
	errno = err;
	return -1;
}

static int
is_digit(char ch)
{
	unsigned char c = (unsigned char)ch;

	return c >= '0' && c <= '9';
}

static int
is_alnum(char ch)
{
	unsigned char c = (unsigned char)ch;

	return is_digit(ch) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* [a-zA-Z0-9_.-]: the rest of a Docker name, and all of an id. */
static int
is_word(char ch)
{
	unsigned char c = (unsigned char)ch;

	return is_alnum(ch) || c == '_' || c == '.' || c == '-';
}

static int
is_cntrl(char ch)
{
	unsigned char c = (unsigned char)ch;

	return c < 0x20 || c == 0x7f;
}

/*
 * The kernel's isspace(): ASCII white space and, as its ctype table is
 * Latin-1, 0xa0 (no-break space).
 */
static int
is_kspace(char ch)
{
	unsigned char c = (unsigned char)ch;

	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static int
has_cntrl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_cntrl(s[i]))
			return 1;
	return 0;
}

/* Docker's [a-zA-Z0-9][a-zA-Z0-9_.-]* on the n bytes at s. */
static enum name_err
name_check(const char *s, size_t n)
{
	if (n == 0)
		return NAME_EMPTY;
	if (n > ICC_NAME_MAX)
		return NAME_LONG;
	if (!is_alnum(s[0]))
		return NAME_FIRST;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]))
			return NAME_CHAR;
	return NAME_OK;
}

static int
name_fail(enum name_err e, const char *const msgs[], const char **why)
{
	return fail(why, msgs[e], e == NAME_LONG ? ENAMETOOLONG : EINVAL);
}

int
parse_name(const char *s, const char **why)
{
	enum name_err e;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	e = name_check(s, strnlen(s, ICC_NAME_MAX + 1));
	if (e != NAME_OK)
		return name_fail(e, name_why, why);
	return 0;
}

int
parse_id(const char *s, const char **why)
{
	size_t n;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if ((n = strnlen(s, ICC_ID_MAX + 1)) == 0)
		return fail(why, "empty", EINVAL);
	if (n > ICC_ID_MAX)
		return fail(why, "longer than " STR(ICC_ID_MAX) " bytes",
		    ENAMETOOLONG);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return fail(why, "'.' and '..' are reserved", EINVAL);
	for (size_t i = 0; i < n; i++)
		if (!is_word(s[i]))
			return fail(why, "bad character", EINVAL);
	return 0;
}

/* One RFC 1123 label: the n bytes at s.  Returns why it is bad, or NULL. */
static const char *
label_check(const char *s, size_t n)
{
	if (n == 0)
		return "empty label";
	if (s[0] == '-' || s[n - 1] == '-')
		return "label starts or ends with '-'";
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return "bad character";
	return NULL;
}

int
parse_hostname(const char *s, const char **why)
{
	const char *p, *dot, *msg;
	size_t n;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if ((n = strnlen(s, ICC_HOST_MAX + 1)) == 0)
		return fail(why, "empty", EINVAL);
	if (n > ICC_HOST_MAX)
		return fail(why, "longer than " STR(ICC_HOST_MAX) " bytes",
		    ENAMETOOLONG);
	for (p = s;; p = dot + 1) {
		dot = strchr(p, '.');
		msg = label_check(p, dot != NULL ? (size_t)(dot - p) : strlen(p));
		if (msg != NULL)
			return fail(why, msg, EINVAL);
		if (dot == NULL)
			return 0;
	}
}

int
parse_ifname(const char *s, const char **why)
{
	size_t n;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if ((n = strnlen(s, ICC_IFNAME_MAX + 1)) == 0)
		return fail(why, "empty", EINVAL);
	if (n > ICC_IFNAME_MAX)
		return fail(why, "longer than " STR(ICC_IFNAME_MAX) " bytes",
		    ENAMETOOLONG);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return fail(why, "'.' and '..' are reserved", EINVAL);
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || is_kspace(s[i]))
			return fail(why, "bad character", EINVAL);
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
parse_mac(const char *s, uint8_t out[6], const char **why)
{
	uint8_t mac[6];
	int hi, lo;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if (strlen(s) != 17)
		return fail(why, "not an Ethernet address aa:bb:cc:dd:ee:ff",
		    EINVAL);
	for (size_t i = 0; i < 6; i++) {
		hi = hexval(s[3 * i]);
		lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return fail(why, "not an Ethernet address "
			    "aa:bb:cc:dd:ee:ff", EINVAL);
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return fail(why, "a group (multicast) address", EINVAL);
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return fail(why, "the all-zero address", EINVAL);
	memcpy(out, mac, sizeof(mac));
	return 0;
}

char *
mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	    mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

int
parse_ipv4(const char *s, struct in_addr *out, const char **why)
{
	struct in_addr a;
	uint32_t h;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if (*s == '\0')
		return fail(why, "empty", EINVAL);
	if (inet_pton(AF_INET, s, &a) != 1)
		return fail(why, "not an IPv4 address", EINVAL);
	h = ntohl(a.s_addr);
	if (h == INADDR_ANY)
		return fail(why, "unspecified address", EINVAL);
	if (h == INADDR_BROADCAST)
		return fail(why, "broadcast address", EINVAL);
	if (IN_MULTICAST(h))
		return fail(why, "multicast address", EINVAL);
	if ((h >> IN_CLASSA_NSHIFT) == IN_LOOPBACKNET)
		return fail(why, "loopback address", EINVAL);
	*out = a;
	return 0;
}

int
parse_ipv6(const char *s, struct in6_addr *out, const char **why)
{
	struct in6_addr a;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if (*s == '\0')
		return fail(why, "empty", EINVAL);
	if (inet_pton(AF_INET6, s, &a) != 1)
		return fail(why, "not an IPv6 address", EINVAL);
	if (IN6_IS_ADDR_UNSPECIFIED(&a))
		return fail(why, "unspecified address", EINVAL);
	if (IN6_IS_ADDR_LOOPBACK(&a))
		return fail(why, "loopback address", EINVAL);
	if (IN6_IS_ADDR_MULTICAST(&a))
		return fail(why, "multicast address", EINVAL);
	/* An IPv4 address in IPv6 clothes never appears on the wire as an
	 * IPv6 source or destination: a rule for it could never match. */
	if (IN6_IS_ADDR_V4MAPPED(&a))
		return fail(why, "IPv4-mapped address", EINVAL);
	if (IN6_IS_ADDR_V4COMPAT(&a))
		return fail(why, "IPv4-compatible address", EINVAL);
	*out = a;
	return 0;
}

/*
 * port_num: the n bytes at s as a port number.  A digit must come first:
 * strtoul alone would skip spaces, take '+' and negate after '-'.
 * what[0] says the number is missing, what[1] that it is not a number.
 */
static int
port_num(const char *s, size_t n, uint16_t *out, const char *const what[2],
    const char **why)
{
	unsigned long v;
	char *end;

	if (n == 0)
		return fail(why, what[0], EINVAL);
	if (!is_digit(s[0]))
		return fail(why, what[1], EINVAL);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (end != s + n)
		return fail(why, what[1], EINVAL);
	if (errno == ERANGE || v < 1 || v > 65535)
		return fail(why, "port out of range 1-65535", ERANGE);
	*out = (uint16_t)v;
	return 0;
}

/* proto_parse: what follows the '/' of an expose, or tcp without one. */
static int
proto_parse(const char *slash, uint8_t *proto, const char **why)
{
	if (slash == NULL)
		*proto = IPPROTO_TCP;
	else if (slash[1] == '\0')
		return fail(why, "missing protocol", EINVAL);
	else if (strcmp(slash + 1, "tcp") == 0)
		*proto = IPPROTO_TCP;
	else if (strcmp(slash + 1, "udp") == 0)
		*proto = IPPROTO_UDP;
	else if (strcmp(slash + 1, "sctp") == 0)
		*proto = IPPROTO_SCTP;
	else
		return fail(why, "unknown protocol (tcp, udp, sctp)", EINVAL);
	return 0;
}

int
parse_ports(const char *s, struct icc_ports *out, const char **why)
{
	static const char *const first_why[] =
	    { "missing PORT", "PORT is not a number" };
	static const char *const last_why[] =
	    { "missing END", "END is not a number" };
	struct icc_ports p;
	const char *slash, *dash;
	size_t n;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if (*s == '\0')
		return fail(why, "empty", EINVAL);
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	dash = memchr(s, '-', n);
	if (port_num(s, dash != NULL ? (size_t)(dash - s) : n, &p.first,
	    first_why, why) == -1)
		return -1;
	p.last = p.first;
	if (dash != NULL && port_num(dash + 1, n - (size_t)(dash - s) - 1,
	    &p.last, last_why, why) == -1)
		return -1;
	if (p.last < p.first)
		return fail(why, "END below PORT", EINVAL);
	if (proto_parse(slash, &p.proto, why) == -1)
		return -1;
	*out = p;
	return 0;
}

int
parse_link(const char *s, char *source, char *alias, const char **why)
{
	const char *colon, *a;
	size_t sn, an;
	enum name_err e;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if (*s == '\0')
		return fail(why, "empty", EINVAL);
	colon = strchr(s, ':');
	sn = colon != NULL ? (size_t)(colon - s) : strlen(s);
	if ((e = name_check(s, sn)) != NAME_OK)
		return name_fail(e, source_why, why);
	a = colon != NULL ? colon + 1 : s;
	if (colon != NULL && strchr(a, ':') != NULL)
		return fail(why, "more than one ':'", EINVAL);
	an = colon != NULL ? strlen(a) : sn;
	if ((e = name_check(a, an)) != NAME_OK)
		return name_fail(e, alias_why, why);
	memcpy(source, s, sn);
	source[sn] = '\0';
	memcpy(alias, a, an);
	alias[an] = '\0';
	return 0;
}

int
parse_env(const char *s, size_t *keylen, const char **why)
{
	const char *eq;
	size_t kn, vn;

	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if (*s == '\0')
		return fail(why, "empty", EINVAL);
	if ((eq = strchr(s, '=')) == NULL)
		return fail(why, "missing '='", EINVAL);
	if ((kn = (size_t)(eq - s)) == 0)
		return fail(why, "empty KEY", EINVAL);
	if (kn > ICC_ENVKEY_MAX)
		return fail(why, "KEY longer than " STR(ICC_ENVKEY_MAX) " bytes",
		    ENAMETOOLONG);
	if (has_cntrl(s, kn))
		return fail(why, "control character in KEY", EINVAL);
	if ((vn = strnlen(eq + 1, ICC_ENVVAL_MAX + 1)) > ICC_ENVVAL_MAX)
		return fail(why, "VALUE longer than " STR(ICC_ENVVAL_MAX)
		    " bytes", ENAMETOOLONG);
	if (has_cntrl(eq + 1, vn))
		return fail(why, "control character in VALUE", EINVAL);
	*keylen = kn;
	return 0;
}

int
parse_icc(const char *s, int *on, const char **why)
{
	if (s == NULL)
		return fail(why, "missing", EINVAL);
	if (*s == '\0')
		return fail(why, "empty", EINVAL);
	if (strcmp(s, "on") == 0)
		*on = 1;
	else if (strcmp(s, "off") == 0)
		*on = 0;
	else
		return fail(why, "expected on or off", EINVAL);
	return 0;
}

const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		return "?";
	}
}

char *
ports_format(const struct icc_ports *p, char *buf, size_t len)
{
	if (p->first == p->last)
		snprintf(buf, len, "%u/%s", (unsigned)p->first,
		    proto_name(p->proto));
	else
		snprintf(buf, len, "%u-%u/%s", (unsigned)p->first,
		    (unsigned)p->last, proto_name(p->proto));
	return buf;
}

int
check_ports(const char *s, const char **why)
{
	struct icc_ports p;

	return parse_ports(s, &p, why);
}

int
check_link(const char *s, const char **why)
{
	char source[ICC_NAME_MAX + 1], alias[ICC_NAME_MAX + 1];

	return parse_link(s, source, alias, why);
}
