/*
 * check_parse_opts.c: the parsers of parse.c for what a container declares
 * besides its names and addresses: ports, links, env, icc; with the exact
 * errno and *why of each rejection and the exact output of each success.
 * Tables of cases run as loop tests, so a failure names its case by index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "suites.h"
#include "check_parse.h"

/* ---- parse_ports ------------------------------------------------------ */

struct pcase {
	const char	*in;
	int		 err;
	const char	*why;
	uint16_t	 first, last;
	uint8_t		 proto;
};

#define OK(s, f, l, p)	{ s, 0, NULL, f, l, p }
#define BAD(s, e, w)	{ s, e, w, 0, 0, 0 }

static const struct pcase port_cases[] = {
	OK("80", 80, 80, IPPROTO_TCP),
	OK("1", 1, 1, IPPROTO_TCP),
	OK("65535", 65535, 65535, IPPROTO_TCP),
	OK("080", 80, 80, IPPROTO_TCP),
	OK("80/tcp", 80, 80, IPPROTO_TCP),
	OK("53/udp", 53, 53, IPPROTO_UDP),
	OK("9/sctp", 9, 9, IPPROTO_SCTP),
	OK("80-80", 80, 80, IPPROTO_TCP),
	OK("8000-8010/udp", 8000, 8010, IPPROTO_UDP),
	OK("1-65535/sctp", 1, 65535, IPPROTO_SCTP),
	BAD("", EINVAL, "empty"),
	BAD("0", ERANGE, "port out of range 1-65535"),
	BAD("65536", ERANGE, "port out of range 1-65535"),
	BAD("4294967376", ERANGE, "port out of range 1-65535"),
	BAD("18446744073709551616", ERANGE, "port out of range 1-65535"),
	BAD("99999999999999999999999", ERANGE, "port out of range 1-65535"),
	BAD("0-80", ERANGE, "port out of range 1-65535"),
	BAD("80-0", ERANGE, "port out of range 1-65535"),
	BAD("80-65536/udp", ERANGE, "port out of range 1-65535"),
	BAD("80-79", EINVAL, "END below PORT"),
	BAD("65535-1/udp", EINVAL, "END below PORT"),
	BAD("-1", EINVAL, "missing PORT"),
	BAD("/tcp", EINVAL, "missing PORT"),
	BAD("/TCP", EINVAL, "missing PORT"),
	BAD("-", EINVAL, "missing PORT"),
	BAD("+80", EINVAL, "PORT is not a number"),
	BAD(" 80", EINVAL, "PORT is not a number"),
	BAD("80 ", EINVAL, "PORT is not a number"),
	BAD("80 /tcp", EINVAL, "PORT is not a number"),
	BAD("80x", EINVAL, "PORT is not a number"),
	BAD("0x50", EINVAL, "PORT is not a number"),
	BAD("http", EINVAL, "PORT is not a number"),
	BAD("80-", EINVAL, "missing END"),
	BAD("80-/udp", EINVAL, "missing END"),
	BAD("80--90", EINVAL, "END is not a number"),
	BAD("80-+90", EINVAL, "END is not a number"),
	BAD("80- 90", EINVAL, "END is not a number"),
	BAD("80-90-100", EINVAL, "END is not a number"),
	BAD("80/", EINVAL, "missing protocol"),
	BAD("80/TCP", EINVAL, "unknown protocol (tcp, udp, sctp)"),
	BAD("80/Udp", EINVAL, "unknown protocol (tcp, udp, sctp)"),
	BAD("80/icmp", EINVAL, "unknown protocol (tcp, udp, sctp)"),
	BAD("80/tcp/udp", EINVAL, "unknown protocol (tcp, udp, sctp)"),
	BAD("80/ tcp", EINVAL, "unknown protocol (tcp, udp, sctp)"),
	BAD("80/tcp ", EINVAL, "unknown protocol (tcp, udp, sctp)"),
};

START_TEST(t_ports)
{
	const struct pcase *c = &port_cases[_i];
	struct icc_ports p = { 7, 7, 7 };
	const char *why = untouched;
	int rv, err;

	rv = parse_ports(c->in, &p, &why);
	err = errno;
	if (c->err == 0) {
		ck_assert_msg(rv == 0, "\"%s\" rejected: %s", c->in, why);
		ck_assert_uint_eq(p.first, c->first);
		ck_assert_uint_eq(p.last, c->last);
		ck_assert_uint_eq(p.proto, c->proto);
		ck_assert_ptr_eq(why, untouched);
		return;
	}
	ck_assert_msg(rv == -1, "\"%s\" accepted", c->in);
	ck_assert_msg(err == c->err, "\"%s\": errno %d, not %d", c->in,
	    err, c->err);
	ck_assert_str_eq(why, c->why);
	ck_assert_uint_eq(p.first, 7);
	ck_assert_uint_eq(p.last, 7);
	ck_assert_uint_eq(p.proto, 7);
}
END_TEST

START_TEST(t_proto_name)
{
	ck_assert_str_eq(proto_name(IPPROTO_TCP), "tcp");
	ck_assert_str_eq(proto_name(IPPROTO_UDP), "udp");
	ck_assert_str_eq(proto_name(IPPROTO_SCTP), "sctp");
	ck_assert_str_eq(proto_name(0), "?");
	ck_assert_str_eq(proto_name(IPPROTO_ICMP), "?");
	ck_assert_str_eq(proto_name(255), "?");
}
END_TEST

START_TEST(t_ports_format)
{
	struct icc_ports p = { 80, 80, IPPROTO_TCP };
	char buf[20], small[5];

	ck_assert_ptr_eq(ports_format(&p, buf, sizeof(buf)), buf);
	ck_assert_str_eq(buf, "80/tcp");
	p = (struct icc_ports){ 1, 65535, IPPROTO_UDP };
	ck_assert_str_eq(ports_format(&p, buf, sizeof(buf)), "1-65535/udp");
	p = (struct icc_ports){ 65535, 65535, IPPROTO_SCTP };
	ck_assert_str_eq(ports_format(&p, buf, sizeof(buf)), "65535/sctp");
	/* The longest output fits the documented 20 bytes. */
	p = (struct icc_ports){ 65534, 65535, IPPROTO_SCTP };
	ck_assert_str_eq(ports_format(&p, buf, sizeof(buf)),
	    "65534-65535/sctp");
	p = (struct icc_ports){ 22, 22, 1 };
	ck_assert_str_eq(ports_format(&p, buf, sizeof(buf)), "22/?");
	/* A short buffer is truncated and still terminated. */
	p = (struct icc_ports){ 8000, 8010, IPPROTO_TCP };
	ck_assert_str_eq(ports_format(&p, small, sizeof(small)), "8000");
}
END_TEST

/* Whatever parse_ports accepts, ports_format gives back unchanged. */
START_TEST(t_ports_roundtrip)
{
	static const char *const in[] = {
		"80/tcp", "53/udp", "1-65535/sctp", "8000-8010/tcp", "1/udp"
	};
	struct icc_ports p;
	const char *why;
	char buf[20];

	for (size_t i = 0; i < NELEM(in); i++) {
		ck_assert_int_eq(parse_ports(in[i], &p, &why), 0);
		ck_assert_str_eq(ports_format(&p, buf, sizeof(buf)), in[i]);
	}
}
END_TEST

/* ---- parse_link ------------------------------------------------------- */

struct lcase {
	const char	*in;
	int		 err;
	const char	*why;	/* when rejected */
	const char	*source, *alias;	/* when accepted */
};

static const struct lcase link_cases[] = {
	{ "db", 0, NULL, "db", "db" },
	{ "db:mysql", 0, NULL, "db", "mysql" },
	{ "db_1:my-sql.1", 0, NULL, "db_1", "my-sql.1" },
	{ S63, 0, NULL, S63, S63 },
	{ S63 ":" S63, 0, NULL, S63, S63 },
	{ "", EINVAL, "empty", NULL, NULL },
	{ ":db", EINVAL, "empty SOURCE", NULL, NULL },
	{ ":", EINVAL, "empty SOURCE", NULL, NULL },
	{ "db:", EINVAL, "empty ALIAS", NULL, NULL },
	{ S64, ENAMETOOLONG, "SOURCE longer than 63 bytes", NULL, NULL },
	{ S64 ":db", ENAMETOOLONG, "SOURCE longer than 63 bytes", NULL, NULL },
	{ "db:" S64, ENAMETOOLONG, "ALIAS longer than 63 bytes", NULL, NULL },
	{ "db:a:b", EINVAL, "more than one ':'", NULL, NULL },
	{ "db::", EINVAL, "more than one ':'", NULL, NULL },
	{ "/db:/web/db", EINVAL, "SOURCE must start with a letter or digit",
	    NULL, NULL },
	{ "_db", EINVAL, "SOURCE must start with a letter or digit", NULL,
	    NULL },
	{ "d b", EINVAL, "bad character in SOURCE", NULL, NULL },
	{ "db:_x", EINVAL, "ALIAS must start with a letter or digit", NULL,
	    NULL },
	{ "db:my sql", EINVAL, "bad character in ALIAS", NULL, NULL },
	{ "db:a/b", EINVAL, "bad character in ALIAS", NULL, NULL },
};

START_TEST(t_link)
{
	const struct lcase *c = &link_cases[_i];
	char src[ICC_NAME_MAX + 1] = "S", al[ICC_NAME_MAX + 1] = "A";
	const char *why = untouched;
	int rv, err;

	rv = parse_link(c->in, src, al, &why);
	err = errno;
	if (c->err == 0) {
		ck_assert_msg(rv == 0, "\"%s\" rejected: %s", c->in, why);
		ck_assert_str_eq(src, c->source);
		ck_assert_str_eq(al, c->alias);
		ck_assert_ptr_eq(why, untouched);
		return;
	}
	ck_assert_msg(rv == -1, "\"%s\" accepted", c->in);
	ck_assert_msg(err == c->err, "\"%s\": errno %d, not %d", c->in,
	    err, c->err);
	ck_assert_str_eq(why, c->why);
	ck_assert_str_eq(src, "S");
	ck_assert_str_eq(al, "A");
}
END_TEST

/* ---- parse_env -------------------------------------------------------- */

struct ecase {
	const char	*in;
	int		 err;
	const char	*why;
	size_t		 keylen;
};

static const struct ecase env_cases[] = {
	{ "K=v", 0, NULL, 1 },
	{ "PATH=/usr/bin:/bin", 0, NULL, 4 },
	{ "K=", 0, NULL, 1 },
	{ "K=a=b c", 0, NULL, 1 },
	{ "K==", 0, NULL, 1 },
	{ "K K=v", 0, NULL, 3 },
	{ "K=\xc3\xa9t\xc3\xa9", 0, NULL, 1 },
	{ "\xc3\xa9=1", 0, NULL, 2 },
	{ "", EINVAL, "empty", 0 },
	{ "K", EINVAL, "missing '='", 0 },
	{ "=x", EINVAL, "empty KEY", 0 },
	{ "=", EINVAL, "empty KEY", 0 },
	{ "K\t=v", EINVAL, "control character in KEY", 0 },
	{ "\x1b" "K=v", EINVAL, "control character in KEY", 0 },
	{ "K\x7f=v", EINVAL, "control character in KEY", 0 },
	{ "K=a\nb", EINVAL, "control character in VALUE", 0 },
	{ "K=a\tb", EINVAL, "control character in VALUE", 0 },
	{ "K=\x1b[31m", EINVAL, "control character in VALUE", 0 },
	{ "K=a\x7f", EINVAL, "control character in VALUE", 0 },
	{ "K=a\r", EINVAL, "control character in VALUE", 0 },
};

START_TEST(t_env)
{
	const struct ecase *c = &env_cases[_i];
	const char *why = untouched;
	size_t kl = 12345;
	int rv, err;

	rv = parse_env(c->in, &kl, &why);
	err = errno;
	if (c->err == 0) {
		ck_assert_msg(rv == 0, "case %d rejected: %s", _i, why);
		ck_assert_uint_eq(kl, c->keylen);
		ck_assert_ptr_eq(why, untouched);
		return;
	}
	ck_assert_msg(rv == -1, "case %d accepted", _i);
	ck_assert_int_eq(err, c->err);
	ck_assert_str_eq(why, c->why);
	ck_assert_uint_eq(kl, 12345);
}
END_TEST

/* env_make: "K...K=V...V" with klen K's and vlen V's, malloc'd. */
static char *
env_make(size_t klen, size_t vlen)
{
	char *s = malloc(klen + vlen + 2);

	ck_assert_ptr_nonnull(s);
	memset(s, 'K', klen);
	s[klen] = '=';
	memset(s + klen + 1, 'V', vlen);
	s[klen + 1 + vlen] = '\0';
	return s;
}

START_TEST(t_env_limits)
{
	const char *why = untouched;
	size_t kl = 0;
	char *s;
	int rv, err;

	s = env_make(ICC_ENVKEY_MAX, ICC_ENVVAL_MAX);
	ck_assert_int_eq(parse_env(s, &kl, &why), 0);
	ck_assert_uint_eq(kl, 255);
	free(s);

	s = env_make(ICC_ENVKEY_MAX + 1, 1);
	rv = parse_env(s, &kl, &why);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, ENAMETOOLONG);
	ck_assert_str_eq(why, "KEY longer than 255 bytes");
	free(s);

	s = env_make(1, ICC_ENVVAL_MAX + 1);
	rv = parse_env(s, &kl, &why);
	err = errno;
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err, ENAMETOOLONG);
	ck_assert_str_eq(why, "VALUE longer than 4095 bytes");
	free(s);
	ck_assert_uint_eq(kl, 255);
}
END_TEST

/* ---- parse_icc -------------------------------------------------------- */

START_TEST(t_icc)
{
	static const char *const bad[] = {
		"ON", "Off", "1", "0", "yes", "true", "on ", " off", "onoff"
	};
	const char *why = untouched;
	int on = 7, rv, err;

	ck_assert_int_eq(parse_icc("on", &on, &why), 0);
	ck_assert_int_eq(on, 1);
	ck_assert_int_eq(parse_icc("off", &on, &why), 0);
	ck_assert_int_eq(on, 0);
	ck_assert_ptr_eq(why, untouched);

	ck_assert_int_eq(parse_icc("", &on, &why), -1);
	ck_assert_str_eq(why, "empty");
	for (size_t i = 0; i < NELEM(bad); i++) {
		on = 7;
		errno = 0;
		rv = parse_icc(bad[i], &on, &why);
		err = errno;
		ck_assert_int_eq(rv, -1);
		ck_assert_int_eq(err, EINVAL);
		ck_assert_str_eq(why, "expected on or off");
		ck_assert_int_eq(on, 7);
	}
}
END_TEST

Suite *
parse_opts_suite(void)
{
	Suite *s = suite_create("parse_opts");
	TCase *tc;

	tc = tcase_create("ports");
	tcase_add_loop_test(tc, t_ports, 0, NELEM(port_cases));
	tcase_add_test(tc, t_proto_name);
	tcase_add_test(tc, t_ports_format);
	tcase_add_test(tc, t_ports_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_loop_test(tc, t_link, 0, NELEM(link_cases));
	tcase_add_loop_test(tc, t_env, 0, NELEM(env_cases));
	tcase_add_test(tc, t_env_limits);
	tcase_add_test(tc, t_icc);
	suite_add_tcase(s, tc);
	return s;
}
