/*
 * check_parse.c: the parsers of parse.c for names and addresses, with the
 * exact errno and *why of each rejection and the exact output of each
 * success (check_parse_opts.c: ports, links, env, icc).  Tables of cases
 * run as loop tests, so a failure names its case by index.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "suites.h"
#include "check_parse.h"

/* *why before a call; a parser must not touch it on success. */
const char untouched[] = "untouched";

struct scase {
	const char	*in;
	int		 err;	/* errno expected; 0 when accepted */
	const char	*why;	/* *why expected when rejected */
};

/* check_scase: run a string validator on one case and check everything. */
static void
check_scase(int (*fn)(const char *, const char **), const struct scase *c,
    int i)
{
	const char *why = untouched;
	int rv, err;

	errno = 0;
	rv = fn(c->in, &why);
	err = errno;
	if (c->err == 0) {
		ck_assert_msg(rv == 0, "case %d \"%s\" rejected: %s", i, c->in,
		    why);
		ck_assert_ptr_eq(why, untouched);
		return;
	}
	ck_assert_msg(rv == -1, "case %d \"%s\" accepted", i, c->in);
	ck_assert_msg(err == c->err, "case %d \"%s\": errno %d, not %d", i,
	    c->in, err, c->err);
	ck_assert_str_eq(why, c->why);
}

/* ---- parse_name ------------------------------------------------------- */

static const struct scase name_cases[] = {
	{ "web", 0, NULL },
	{ "a", 0, NULL },
	{ "0", 0, NULL },
	{ "Web_1.prod-2", 0, NULL },
	{ "9-", 0, NULL },
	{ "a..", 0, NULL },
	{ S63, 0, NULL },
	{ S64, ENAMETOOLONG, "longer than 63 bytes" },
	{ S64 "/", ENAMETOOLONG, "longer than 63 bytes" },
	{ "", EINVAL, "empty" },
	{ "_web", EINVAL, "must start with a letter or digit" },
	{ ".web", EINVAL, "must start with a letter or digit" },
	{ "-web", EINVAL, "must start with a letter or digit" },
	{ "/web", EINVAL, "must start with a letter or digit" },
	{ " web", EINVAL, "must start with a letter or digit" },
	{ "web app", EINVAL, "bad character" },
	{ "web/1", EINVAL, "bad character" },
	{ "web:1", EINVAL, "bad character" },
	{ "web\n", EINVAL, "bad character" },
	{ "web ", EINVAL, "bad character" },
	{ "w\xc3\xa9" "b", EINVAL, "bad character" },
};

START_TEST(t_name)
{
	check_scase(parse_name, &name_cases[_i], _i);
}
END_TEST

/* NULL is "missing" for every parser; why may be NULL too. */
START_TEST(t_null)
{
	struct icc_ports p;
	struct in_addr a4;
	struct in6_addr a6;
	char src[ICC_NAME_MAX + 1], al[ICC_NAME_MAX + 1];
	const char *why = NULL;
	size_t kl;
	int on, rv, err;

	rv = parse_name(NULL, &why);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_str_eq(why, "missing");
	ck_assert_int_eq(parse_id(NULL, &why), -1);
	ck_assert_int_eq(parse_hostname(NULL, &why), -1);
	ck_assert_int_eq(parse_ifname(NULL, &why), -1);
	ck_assert_int_eq(parse_ipv4(NULL, &a4, &why), -1);
	ck_assert_int_eq(parse_ipv6(NULL, &a6, &why), -1);
	ck_assert_int_eq(parse_ports(NULL, &p, &why), -1);
	ck_assert_int_eq(parse_link(NULL, src, al, &why), -1);
	ck_assert_int_eq(parse_env(NULL, &kl, &why), -1);
	ck_assert_int_eq(parse_icc(NULL, &on, &why), -1);
	ck_assert_str_eq(why, "missing");

	errno = 0;
	rv = parse_name("_", NULL);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_int_eq(parse_name("ok", NULL), 0);
}
END_TEST

/* ---- parse_id --------------------------------------------------------- */

static const struct scase id_cases[] = {
	{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    0, NULL },
	{ "a", 0, NULL },
	{ "_x", 0, NULL },
	{ "-", 0, NULL },
	{ "...", 0, NULL },
	{ "A.b_c-D", 0, NULL },
	{ S128, 0, NULL },
	{ S129, ENAMETOOLONG, "longer than 128 bytes" },
	{ "", EINVAL, "empty" },
	{ ".", EINVAL, "'.' and '..' are reserved" },
	{ "..", EINVAL, "'.' and '..' are reserved" },
	{ "ab/cd", EINVAL, "bad character" },
	{ "ab cd", EINVAL, "bad character" },
	{ "ab:cd", EINVAL, "bad character" },
	{ "abc\t", EINVAL, "bad character" },
};

START_TEST(t_id)
{
	check_scase(parse_id, &id_cases[_i], _i);
}
END_TEST

/* ---- parse_hostname --------------------------------------------------- */

static const struct scase host_cases[] = {
	{ "db", 0, NULL },
	{ "db-1", 0, NULL },
	{ "a-b-c", 0, NULL },
	{ "DB.Example.com", 0, NULL },
	{ "1", 0, NULL },
	{ "123.456", 0, NULL },
	{ "a.b", 0, NULL },
	{ S63, 0, NULL },
	{ S64, ENAMETOOLONG, "longer than 63 bytes" },
	{ "", EINVAL, "empty" },
	{ "-db", EINVAL, "label starts or ends with '-'" },
	{ "db-", EINVAL, "label starts or ends with '-'" },
	{ "a.-b", EINVAL, "label starts or ends with '-'" },
	{ "a-.b", EINVAL, "label starts or ends with '-'" },
	{ "-", EINVAL, "label starts or ends with '-'" },
	{ ".", EINVAL, "empty label" },
	{ ".db", EINVAL, "empty label" },
	{ "db.", EINVAL, "empty label" },
	{ "a..b", EINVAL, "empty label" },
	{ "db_1", EINVAL, "bad character" },
	{ "db 1", EINVAL, "bad character" },
	{ "db/1", EINVAL, "bad character" },
	{ "db:1", EINVAL, "bad character" },
	{ "d\xc3\xa9", EINVAL, "bad character" },
};

START_TEST(t_hostname)
{
	check_scase(parse_hostname, &host_cases[_i], _i);
}
END_TEST

/* ---- parse_ifname ----------------------------------------------------- */

static const struct scase if_cases[] = {
	{ "br0", 0, NULL },
	{ "docker0", 0, NULL },
	{ "br-0123456789ab", 0, NULL },		/* 15 bytes */
	{ "...", 0, NULL },
	{ ".br", 0, NULL },
	{ "br@0", 0, NULL },
	{ "br_0.1-x", 0, NULL },
	{ "br\xc3\xa9", 0, NULL },		/* the kernel takes UTF-8 */
	{ "br-0123456789abc", ENAMETOOLONG, "longer than 15 bytes" },
	{ "", EINVAL, "empty" },
	{ ".", EINVAL, "'.' and '..' are reserved" },
	{ "..", EINVAL, "'.' and '..' are reserved" },
	{ "br/0", EINVAL, "bad character" },
	{ "br:0", EINVAL, "bad character" },
	{ "br 0", EINVAL, "bad character" },
	{ " br0", EINVAL, "bad character" },
	{ "br0\t", EINVAL, "bad character" },
	{ "br0\n", EINVAL, "bad character" },
	{ "br0\v", EINVAL, "bad character" },
	{ "br0\r", EINVAL, "bad character" },
	{ "br\xa0" "0", EINVAL, "bad character" },	/* kernel isspace() */
};

START_TEST(t_ifname)
{
	check_scase(parse_ifname, &if_cases[_i], _i);
}
END_TEST

/* ---- parse_ipv4 ------------------------------------------------------- */

struct v4case {
	const char	*in;
	uint32_t	 addr;	/* host byte order, when accepted */
	const char	*why;	/* NULL when accepted; errno is EINVAL */
};

static const struct v4case v4_cases[] = {
	{ "10.0.0.1", 0x0a000001, NULL },
	{ "172.17.0.2", 0xac110002, NULL },
	{ "10.0.0.0", 0x0a000000, NULL },
	{ "0.1.2.3", 0x00010203, NULL },
	{ "126.255.255.255", 0x7effffff, NULL },
	{ "128.0.0.1", 0x80000001, NULL },
	{ "223.255.255.255", 0xdfffffff, NULL },
	{ "240.0.0.1", 0xf0000001, NULL },
	{ "255.255.255.254", 0xfffffffe, NULL },
	{ "", 0, "empty" },
	{ "10.0.0.256", 0, "not an IPv4 address" },
	{ "010.0.0.1", 0, "not an IPv4 address" },	/* glibc: no octal */
	{ "10.0.0.01", 0, "not an IPv4 address" },
	{ "0x0a.0.0.1", 0, "not an IPv4 address" },
	{ "10.0.0", 0, "not an IPv4 address" },
	{ "10.0.0.1.2", 0, "not an IPv4 address" },
	{ "10.0.0.1 ", 0, "not an IPv4 address" },
	{ " 10.0.0.1", 0, "not an IPv4 address" },
	{ "10.0.0.1/24", 0, "not an IPv4 address" },
	{ "-10.0.0.1", 0, "not an IPv4 address" },
	{ "::1", 0, "not an IPv4 address" },
	{ "0.0.0.0", 0, "unspecified address" },
	{ "255.255.255.255", 0, "broadcast address" },
	{ "224.0.0.1", 0, "multicast address" },
	{ "239.255.255.255", 0, "multicast address" },
	{ "127.0.0.1", 0, "loopback address" },
	{ "127.255.255.254", 0, "loopback address" },
};

START_TEST(t_ipv4)
{
	const struct v4case *c = &v4_cases[_i];
	struct in_addr a = { .s_addr = htonl(0x01020304) };
	const char *why = untouched;
	int rv, err;

	rv = parse_ipv4(c->in, &a, &why);
	err = errno;
	if (c->why == NULL) {
		ck_assert_msg(rv == 0, "\"%s\" rejected: %s", c->in, why);
		ck_assert_uint_eq(ntohl(a.s_addr), c->addr);
		ck_assert_ptr_eq(why, untouched);
		return;
	}
	ck_assert_msg(rv == -1, "\"%s\" accepted", c->in);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_str_eq(why, c->why);
	ck_assert_uint_eq(ntohl(a.s_addr), 0x01020304);
}
END_TEST

/* ---- parse_ipv6 ------------------------------------------------------- */

struct v6case {
	const char	*in;
	const char	*why;	/* NULL when accepted */
	uint8_t		 addr[16];
};

static const struct v6case v6_cases[] = {
	{ "fd00::1", NULL,
	    { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "FD00::A", NULL,
	    { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a } },
	{ "2001:db8::1:0", NULL,
	    { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 } },
	{ "fe80::1", NULL,
	    { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	/* IPv4-translated (RFC 2765, ::ffff:0:0:0/96): unicast, accepted. */
	{ "::ffff:0:10.0.0.1", NULL,
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 10, 0, 0, 1 } },
	{ "fd00::10.0.0.1", NULL,
	    { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1 } },
	{ "", "empty", { 0 } },
	{ "fe80::1%eth0", "not an IPv6 address", { 0 } },
	{ "1::2::3", "not an IPv6 address", { 0 } },
	{ "fd00::1 ", "not an IPv6 address", { 0 } },
	{ "[fd00::1]", "not an IPv6 address", { 0 } },
	{ "fd00::/64", "not an IPv6 address", { 0 } },
	{ "fd00::10000", "not an IPv6 address", { 0 } },
	{ "10.0.0.1", "not an IPv6 address", { 0 } },
	{ "::ffff:10.0.0.256", "not an IPv6 address", { 0 } },
	{ "::", "unspecified address", { 0 } },
	{ "0:0:0:0:0:0:0:0", "unspecified address", { 0 } },
	{ "::1", "loopback address", { 0 } },
	{ "0:0:0:0:0:0:0:1", "loopback address", { 0 } },
	{ "ff02::1", "multicast address", { 0 } },
	{ "FF05::1:3", "multicast address", { 0 } },
	{ "::ffff:10.0.0.1", "IPv4-mapped address", { 0 } },
	{ "::ffff:a00:3", "IPv4-mapped address", { 0 } },
	{ "::10.0.0.3", "IPv4-compatible address", { 0 } },
	{ "::2", "IPv4-compatible address", { 0 } },
};

START_TEST(t_ipv6)
{
	static const uint8_t before[16] = { 0xaa, 0xbb };
	const struct v6case *c = &v6_cases[_i];
	struct in6_addr a;
	const char *why = untouched;
	int rv, err;

	memcpy(&a, before, sizeof(a));
	rv = parse_ipv6(c->in, &a, &why);
	err = errno;
	if (c->why == NULL) {
		ck_assert_msg(rv == 0, "\"%s\" rejected: %s", c->in, why);
		ck_assert_mem_eq(&a, c->addr, 16);
		ck_assert_ptr_eq(why, untouched);
		return;
	}
	ck_assert_msg(rv == -1, "\"%s\" accepted", c->in);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_str_eq(why, c->why);
	ck_assert_mem_eq(&a, before, 16);
}
END_TEST

Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_loop_test(tc, t_name, 0, NELEM(name_cases));
	tcase_add_loop_test(tc, t_id, 0, NELEM(id_cases));
	tcase_add_loop_test(tc, t_hostname, 0, NELEM(host_cases));
	tcase_add_loop_test(tc, t_ifname, 0, NELEM(if_cases));
	tcase_add_test(tc, t_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_add_loop_test(tc, t_ipv4, 0, NELEM(v4_cases));
	tcase_add_loop_test(tc, t_ipv6, 0, NELEM(v6_cases));
	suite_add_tcase(s, tc);
	return s;
}
