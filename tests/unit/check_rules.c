/*
 * check_rules.c: the rules file parser: exact results of good files (with
 * the file, line and column of every item), the exact "FILE:LINE:COL:
 * message" of every kind of error, and the rule that a failed load leaves
 * the earlier rules untouched (check_rules_dir.c: whole directories).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "suites.h"
#include "check_rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Built-up words at and over the length limits. */
#define S10	"abcdefghij"
#define S64	S10 S10 S10 S10 S10 S10 "wxyz"
#define S70	S64 "012345"

/* ---- helpers -------------------------------------------------------------- */

static int
parse(const char *text, struct rules *r, char *err, size_t errlen)
{
	return rules_parse_buf("t.rules", text, strlen(text), r, err, errlen);
}

/* good: text must parse; r gets the result. */
static void
good(const char *text, struct rules *r)
{
	char err[512] = "";

	ck_assert_msg(parse(text, r, err, sizeof(err)) == 0,
	    "rejected: %s", err);
}

void
check_bridge(const struct rules *r, size_t i, const char *name, bool icc,
    const char *file, unsigned line, unsigned col)
{
	const struct rules_bridge *b = &r->bridges[i];

	ck_assert_uint_lt(i, r->nbridges);
	ck_assert_str_eq(b->name, name);
	ck_assert_int_eq(b->icc, icc);
	ck_assert_str_eq(b->at.file, file);
	ck_assert_uint_eq(b->at.line, line);
	ck_assert_uint_eq(b->at.col, col);
}

void
check_expose(const struct rules *r, size_t i, const char *name,
    unsigned first, unsigned last, unsigned proto, const char *file,
    unsigned line, unsigned col)
{
	const struct rules_expose *e = &r->exposes[i];

	ck_assert_uint_lt(i, r->nexposes);
	ck_assert_str_eq(e->name, name);
	ck_assert_uint_eq(e->ports.first, first);
	ck_assert_uint_eq(e->ports.last, last);
	ck_assert_uint_eq(e->ports.proto, proto);
	ck_assert_str_eq(e->at.file, file);
	ck_assert_uint_eq(e->at.line, line);
	ck_assert_uint_eq(e->at.col, col);
}

void
expect_link(const struct rules *r, size_t i, const char *receiver,
    const char *source, const char *alias, const char *file, unsigned line,
    unsigned col)
{
	const struct rules_link *l = &r->links[i];

	ck_assert_uint_lt(i, r->nlinks);
	ck_assert_str_eq(l->receiver, receiver);
	ck_assert_str_eq(l->source, source);
	ck_assert_str_eq(l->alias, alias);
	ck_assert_str_eq(l->at.file, file);
	ck_assert_uint_eq(l->at.line, line);
	ck_assert_uint_eq(l->at.col, col);
}

/*
 * A struct rules holding one of each, to check that a failed load leaves
 * it exactly as it was.
 */
static const char before_text[] =
    "bridge brx icc on\nexpose old 1\nlink old2 old\n";

void
check_before(const struct rules *r)
{
	ck_assert_uint_eq(r->nfiles, 1);
	ck_assert_str_eq(r->files[0], "before.rules");
	ck_assert_uint_eq(r->nbridges, 1);
	check_bridge(r, 0, "brx", true, "before.rules", 1, 8);
	ck_assert_uint_eq(r->nexposes, 1);
	check_expose(r, 0, "old", 1, 1, IPPROTO_TCP, "before.rules", 2, 12);
	ck_assert_uint_eq(r->nlinks, 1);
	expect_link(r, 0, "old2", "old", "old", "before.rules", 3, 11);
}

void
fill_before(struct rules *r)
{
	char err[256];

	ck_assert_int_eq(rules_parse_buf("before.rules", before_text,
	    strlen(before_text), r, err, sizeof(err)), 0);
	check_before(r);
}

/* ---- good files ------------------------------------------------------------ */

START_TEST(test_all_statements)
{
	struct rules r = { 0 };

	good("# iccd rules\n"
	    "\n"
	    "bridge br0 icc off\n"
	    "\tbridge  br1\ticc on   # open\n"
	    "expose db 3306/tcp 53/udp 7000-7999/tcp 80 9/sctp\n"
	    "link web db:aliasdb cache\n", &r);
	ck_assert_uint_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0], "t.rules");
	ck_assert_uint_eq(r.nbridges, 2);
	check_bridge(&r, 0, "br0", false, "t.rules", 3, 8);
	check_bridge(&r, 1, "br1", true, "t.rules", 4, 10);
	ck_assert_uint_eq(r.nexposes, 5);
	check_expose(&r, 0, "db", 3306, 3306, IPPROTO_TCP, "t.rules", 5, 11);
	check_expose(&r, 1, "db", 53, 53, IPPROTO_UDP, "t.rules", 5, 20);
	check_expose(&r, 2, "db", 7000, 7999, IPPROTO_TCP, "t.rules", 5, 27);
	check_expose(&r, 3, "db", 80, 80, IPPROTO_TCP, "t.rules", 5, 41);
	check_expose(&r, 4, "db", 9, 9, IPPROTO_SCTP, "t.rules", 5, 44);
	ck_assert_uint_eq(r.nlinks, 2);
	expect_link(&r, 0, "web", "db", "aliasdb", "t.rules", 6, 10);
	expect_link(&r, 1, "web", "cache", "cache", "t.rules", 6, 21);
	rules_free(&r);
	ck_assert_ptr_null(r.bridges);
	ck_assert_uint_eq(r.nfiles, 0);
}
END_TEST

START_TEST(test_empty)
{
	static const char *const texts[] = {
		"", "\n", "\n\n\n", "# only a comment", "   \t\n# x\n\t\n",
		"\\\n", "  \\\n\\\n\n"
	};
	struct rules r = { 0 };

	for (size_t i = 0; i < NELEM(texts); i++) {
		fill_before(&r);
		good(texts[i], &r);
		ck_assert_msg(r.nbridges == 0 && r.nexposes == 0 &&
		    r.nlinks == 0, "case %zu not empty", i);
		ck_assert_uint_eq(r.nfiles, 1);
		ck_assert_str_eq(r.files[0], "t.rules");
	}
	rules_free(&r);
}
END_TEST

START_TEST(test_no_final_newline)
{
	struct rules r = { 0 };

	good("expose db 1\nlink web db", &r);
	check_expose(&r, 0, "db", 1, 1, IPPROTO_TCP, "t.rules", 1, 11);
	expect_link(&r, 0, "web", "db", "db", "t.rules", 2, 10);
	rules_free(&r);
}
END_TEST

/* "\<newline>" is a blank: items keep their own line and column. */
START_TEST(test_continuation)
{
	struct rules r = { 0 };

	good("expose db 80\\\n443 \\\n\t\\\n  8080/udp\n"
	    "link \\\n web \\\n db\n"
	    "bridge br0 \\\nicc \\\noff # \\\n", &r);
	ck_assert_uint_eq(r.nexposes, 3);
	check_expose(&r, 0, "db", 80, 80, IPPROTO_TCP, "t.rules", 1, 11);
	check_expose(&r, 1, "db", 443, 443, IPPROTO_TCP, "t.rules", 2, 1);
	check_expose(&r, 2, "db", 8080, 8080, IPPROTO_UDP, "t.rules", 4, 3);
	ck_assert_uint_eq(r.nlinks, 1);
	expect_link(&r, 0, "web", "db", "db", "t.rules", 7, 2);
	ck_assert_uint_eq(r.nbridges, 1);
	check_bridge(&r, 0, "br0", false, "t.rules", 8, 8);
	rules_free(&r);
}
END_TEST

/* '#' starts a comment even inside a word, and ends the statement. */
START_TEST(test_comments)
{
	struct rules r = { 0 };

	good("expose db 80#http\nexpose db 81 # 82\n#link a b\n", &r);
	ck_assert_uint_eq(r.nexposes, 2);
	check_expose(&r, 0, "db", 80, 80, IPPROTO_TCP, "t.rules", 1, 11);
	check_expose(&r, 1, "db", 81, 81, IPPROTO_TCP, "t.rules", 2, 11);
	ck_assert_uint_eq(r.nlinks, 0);
	rules_free(&r);
}
END_TEST

/* Identical repeats are kept once, at their first place. */
START_TEST(test_repeats)
{
	struct rules r = { 0 };

	good("bridge br0 icc off\n"
	    "expose db 80 80/tcp 80/udp 80-81\n"
	    "link web db:a db\n"
	    "bridge br0 icc off\n"
	    "expose db 80\n"
	    "link web db:a db:db\n", &r);
	ck_assert_uint_eq(r.nbridges, 1);
	check_bridge(&r, 0, "br0", false, "t.rules", 1, 8);
	/* 80-81 overlaps 80 but is another range: both stay (the engine
	 * merges overlaps). */
	ck_assert_uint_eq(r.nexposes, 3);
	check_expose(&r, 0, "db", 80, 80, IPPROTO_TCP, "t.rules", 2, 11);
	check_expose(&r, 1, "db", 80, 80, IPPROTO_UDP, "t.rules", 2, 21);
	check_expose(&r, 2, "db", 80, 81, IPPROTO_TCP, "t.rules", 2, 28);
	/* One source under two aliases is two links (as in the model). */
	ck_assert_uint_eq(r.nlinks, 2);
	expect_link(&r, 0, "web", "db", "a", "t.rules", 3, 10);
	expect_link(&r, 1, "web", "db", "db", "t.rules", 3, 15);
	rules_free(&r);
}
END_TEST

/* The same alias on two receivers, the same port on two names: no clash. */
START_TEST(test_no_false_conflicts)
{
	struct rules r = { 0 };

	good("link web db:x\nlink api cache:x\nexpose a 80\nexpose b 80\n"
	    "bridge br0 icc on\nbridge br1 icc off\n", &r);
	ck_assert_uint_eq(r.nlinks, 2);
	ck_assert_uint_eq(r.nexposes, 2);
	ck_assert_uint_eq(r.nbridges, 2);
	rules_free(&r);
}
END_TEST

/* ICC_MAX_PORTS per name and ICC_MAX_LINKS per receiver are accepted. */
START_TEST(test_limits)
{
	struct rules r = { 0 };
	char *text, *p;
	size_t cap = 64 * 1024;

	ck_assert_ptr_nonnull(text = malloc(cap));
	p = text;
	for (int i = 1; i <= ICC_MAX_PORTS; i++)
		p += sprintf(p, "expose db %d\nexpose other %d\n", i, i);
	for (int i = 1; i <= ICC_MAX_LINKS; i++)
		p += sprintf(p, "link web s%d\n", i);
	ck_assert_uint_lt((size_t)(p - text), cap);
	good(text, &r);
	ck_assert_uint_eq(r.nexposes, 2 * ICC_MAX_PORTS);
	ck_assert_uint_eq(r.nlinks, ICC_MAX_LINKS);
	expect_link(&r, ICC_MAX_LINKS - 1, "web", "s256", "s256", "t.rules",
	    2 * ICC_MAX_PORTS + ICC_MAX_LINKS, 10);
	rules_free(&r);
	free(text);
}
END_TEST

/* A successful parse replaces what out held (ASan would see a leak). */
START_TEST(test_replaces)
{
	struct rules r = { 0 };

	fill_before(&r);
	good("expose db 1\n", &r);
	ck_assert_uint_eq(r.nbridges, 0);
	ck_assert_uint_eq(r.nlinks, 0);
	ck_assert_uint_eq(r.nexposes, 1);
	check_expose(&r, 0, "db", 1, 1, IPPROTO_TCP, "t.rules", 1, 11);
	rules_free(&r);
	rules_free(&r);		/* twice: the first one zeroed it */
}
END_TEST

START_TEST(test_origin_format)
{
	struct rules_origin o = { "/etc/iccd/rules.d/20-web.rules", 8, 10 };
	char buf[64], small[8];

	ck_assert_ptr_eq(rules_origin_format(&o, buf, sizeof(buf)), buf);
	ck_assert_str_eq(buf, "/etc/iccd/rules.d/20-web.rules:8");
	rules_origin_format(&o, small, sizeof(small));
	ck_assert_str_eq(small, "/etc/ic");
}
END_TEST

/* ---- errors ----------------------------------------------------------------- */

struct ecase {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	const char	*err;
};

/*
 * No message quotes the file: iccd may be made to read any file as a
 * rules file, and its error goes to the client (see rules.h).
 */
static const struct ecase error_cases[] = {
	/* keywords */
	{ "foo bar\n", 0, "t.rules:1:1: unknown keyword (expected "
	    "bridge, expose or link)" },
	{ "Bridge br0 icc off\n", 0, "t.rules:1:1: unknown keyword "
	    "(expected bridge, expose or link)" },
	{ "\n# c\n  \tfoo\n", 0, "t.rules:3:4: unknown keyword "
	    "(expected bridge, expose or link)" },
	{ S70 "\n", 0, "t.rules:1:1: unknown keyword "
	    "(expected bridge, expose or link)" },
	/* bridge */
	{ "bridge\n", 0, "t.rules:1:7: bridge: missing BRIDGE" },
	{ "bridge br0\n", 0, "t.rules:1:11: bridge: missing \"icc on|off\"" },
	{ "bridge br0 # icc off\n", 0,
	    "t.rules:1:11: bridge: missing \"icc on|off\"" },
	{ "bridge br0 icc", 0, "t.rules:1:15: icc: missing on or off" },
	{ "bridge br0 mode off\n", 0, "t.rules:1:12: bridge: unknown "
	    "setting (expected icc)" },
	{ "bridge br0 icc maybe\n", 0,
	    "t.rules:1:16: icc: expected on or off" },
	{ "bridge br0 icc OFF\n", 0,
	    "t.rules:1:16: icc: expected on or off" },
	{ "bridge br0 icc off x\n", 0,
	    "t.rules:1:20: bridge: unexpected word after icc on|off" },
	{ "bridge br/0 icc off\n", 0, "t.rules:1:8: bridge: BRIDGE: bad "
	    "character" },
	{ "bridge br:0 icc off\n", 0, "t.rules:1:8: bridge: BRIDGE: bad "
	    "character" },
	{ "bridge .. icc off\n", 0, "t.rules:1:8: bridge: BRIDGE: '.' and "
	    "'..' are reserved" },
	{ "bridge abcdefghijklmnop icc off\n", 0, "t.rules:1:8: bridge: "
	    "BRIDGE: longer than 15 bytes" },
	{ "bridge br0 icc off\nbridge br1 icc on\nbridge br0 icc on\n", 0,
	    "t.rules:3:16: bridge: icc on conflicts with icc off at "
	    "t.rules:1" },
	/* expose */
	{ "expose\n", 0, "t.rules:1:7: expose: missing NAME" },
	{ "expose db\n", 0, "t.rules:1:10: expose: missing "
	    "PORT[-END][/PROTO]" },
	{ "expose db   # later\n", 0, "t.rules:1:10: expose: missing "
	    "PORT[-END][/PROTO]" },
	{ "expose -db 80\n", 0, "t.rules:1:8: expose: NAME: must start with "
	    "a letter or digit" },
	{ "expose d\xc3\xa9 80\n", 0, "t.rules:1:8: expose: NAME: bad "
	    "character" },
	{ "expose " S70 " 80\n", 0, "t.rules:1:8: expose: NAME: "
	    "longer than 63 bytes" },
	{ "expose db 80 70000/tcp\n", 0, "t.rules:1:14: expose: "
	    "port out of range 1-65535" },
	{ "expose db 0\n", 0, "t.rules:1:11: expose: port out of range "
	    "1-65535" },
	{ "expose db 80/icmp\n", 0, "t.rules:1:11: expose: unknown "
	    "protocol (tcp, udp, sctp)" },
	{ "expose db 80/\n", 0, "t.rules:1:11: expose: missing "
	    "protocol" },
	{ "expose db 90-80\n", 0, "t.rules:1:11: expose: END below "
	    "PORT" },
	{ "expose db 80-\n", 0, "t.rules:1:11: expose: missing END" },
	{ "expose db http\n", 0, "t.rules:1:11: expose: PORT is not "
	    "a number" },
	{ "expose db 80,443\n", 0, "t.rules:1:11: expose: PORT is "
	    "not a number" },
	/* link */
	{ "link\n", 0, "t.rules:1:5: link: missing RECEIVER" },
	{ "link web\n", 0, "t.rules:1:9: link: missing SOURCE[:ALIAS]" },
	{ "link w@b db\n", 0, "t.rules:1:6: link: RECEIVER: bad character" },
	{ "link web db:a:b\n", 0, "t.rules:1:10: link: SOURCE[:ALIAS]: more "
	    "than one ':'" },
	{ "link web db:\n", 0, "t.rules:1:10: link: SOURCE[:ALIAS]: empty "
	    "ALIAS" },
	{ "link web :a\n", 0, "t.rules:1:10: link: SOURCE[:ALIAS]: empty "
	    "SOURCE" },
	{ "link web db:_a\n", 0, "t.rules:1:10: link: SOURCE[:ALIAS]: ALIAS "
	    "must start with a letter or digit" },
	{ "link web db web\n", 0, "t.rules:1:13: link: a container "
	    "cannot link to itself" },
	{ "link web web:me\n", 0, "t.rules:1:10: link: a container "
	    "cannot link to itself" },
	{ "link web db:x\n\nlink web cache:x\n", 0, "t.rules:3:10: link: "
	    "ALIAS already names another SOURCE at t.rules:1" },
	{ "link web db cache:db\n", 0, "t.rules:1:13: link: ALIAS already "
	    "names another SOURCE at t.rules:1" },
	/* bytes and line structure */
	{ "expose db 80\r\n", 0, "t.rules:1:13: control character 0x0d "
	    "(CRLF line ends are not accepted)" },
	{ "expose db\0 80\n", 14, "t.rules:1:10: control character 0x00" },
	{ "expose db \v80\n", 0, "t.rules:1:11: control character 0x0b" },
	{ "expose db 80\x7f\n", 0, "t.rules:1:13: control character 0x7f" },
	{ "expose db 80 \\ 443\n", 0, "t.rules:1:14: stray '\\' (a line "
	    "continuation must be the last character of its line)" },
	{ "expose db 80\\443\n", 0, "t.rules:1:13: stray '\\' (a line "
	    "continuation must be the last character of its line)" },
	{ "expose db 80 \\\r\n", 0, "t.rules:1:14: stray '\\' (a line "
	    "continuation must be the last character of its line)" },
	{ "expose db 80 \\", 0, "t.rules:1:14: '\\' at end of file "
	    "continues nothing" },
	{ "expose db 80 \\\n\n  99999\n", 0, "t.rules:3:3: unknown keyword "
	    "(expected bridge, expose or link)" },
	{ "expose db 80 \\\n   99999\n", 0, "t.rules:2:4: expose: "
	    "port out of range 1-65535" },
	{ "expose db 80 # \\\n  443\n", 0, "t.rules:2:3: unknown keyword "
	    "(expected bridge, expose or link)" },
	{ "link web \\\n", 0, "t.rules:1:9: link: missing SOURCE[:ALIAS]" },
};

START_TEST(test_errors)
{
	const struct ecase *c = &error_cases[_i];
	struct rules r = { 0 };
	char err[512] = "";
	size_t len = c->len != 0 ? c->len : strlen(c->in);

	fill_before(&r);
	ck_assert_msg(rules_parse_buf("t.rules", c->in, len, &r, err,
	    sizeof(err)) == -1, "case %d accepted", _i);
	ck_assert_msg(strcmp(err, c->err) == 0, "case %d:\n got  %s\n want "
	    "%s", _i, err, c->err);
	check_before(&r);
	rules_free(&r);
}
END_TEST

/* One past ICC_MAX_PORTS / ICC_MAX_LINKS, on the item that is one too many. */
START_TEST(test_over_limits)
{
	struct rules r = { 0 };
	char *text, *p, err[512];
	size_t cap = 64 * 1024;

	ck_assert_ptr_nonnull(text = malloc(cap));
	p = text;
	p += sprintf(p, "expose db 1 1\n");	/* a repeat does not count */
	for (int i = 2; i <= ICC_MAX_PORTS + 1; i++)
		p += sprintf(p, "expose db %d\n", i);
	ck_assert_int_eq(parse(text, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.rules:257:11: expose: more than 256 "
	    "exposed ports for one NAME");
	p = text;
	for (int i = 1; i <= ICC_MAX_LINKS + 1; i++)
		p += sprintf(p, "link web s%d\n", i);
	ck_assert_int_eq(parse(text, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.rules:257:10: link: more than 256 "
	    "links for one RECEIVER");
	ck_assert_uint_eq(r.nfiles, 0);
	free(text);
}
END_TEST

/* A short err buffer gets a truncated, NUL-terminated message. */
START_TEST(test_short_err)
{
	struct rules r = { 0 };
	char err[9];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(parse("foo\n", &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.rules:");
}
END_TEST

Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_all_statements);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_no_final_newline);
	tcase_add_test(tc, test_continuation);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_repeats);
	tcase_add_test(tc, test_no_false_conflicts);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_replaces);
	tcase_add_test(tc, test_origin_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errors, 0, NELEM(error_cases));
	tcase_add_test(tc, test_over_limits);
	tcase_add_test(tc, test_short_err);
	suite_add_tcase(s, tc);

	return s;
}
