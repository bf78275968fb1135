/*
 * check_rules.c: the rules file parser: exact results of good files (with
 * the file, line and column of every item), the exact "FILE:LINE:COL:
 * message" of every kind of error, directories loaded in name order, and
 * the rule that a failed load leaves the earlier rules untouched.
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

static void
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

static void
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

static void
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

static void
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

static void
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

/* ---- directories ------------------------------------------------------------ */

static char dir[64];

static void
dir_setup(void)
{
	/* Files and directories are made 0644 and 0755, whatever the
	 * caller's umask: iccd refuses group-writable ones. */
	umask(022);
	snprintf(dir, sizeof(dir), "/tmp/iccd-rules-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	char cmd[128];

	/* Test cleanup only: the path is our own mkdtemp result. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* in_dir: "DIR/rel" in a static buffer. */
static const char *
in_dir(const char *rel)
{
	static char path[4][256];
	static int n;
	char *p = path[n++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, rel);
	return p;
}

static void
load_ok(const char *d, struct rules *r)
{
	char err[512] = "";

	ck_assert_msg(rules_load_dir(d, r, err, sizeof(err)) == 0,
	    "rejected: %s", err);
}

/* load_err: the load must fail with exactly want and leave r as before. */
static void
load_err(const char *d, const char *want)
{
	struct rules r = { 0 };
	char err[512] = "";

	fill_before(&r);
	ck_assert_int_eq(rules_load_dir(d, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	check_before(&r);
	rules_free(&r);
}

/* Files in byte order of their names; everything but *.rules ignored. */
START_TEST(test_dir_order)
{
	struct rules r = { 0 };
	char sub[128];

	put("20-b.rules", "expose db 2\n");
	put("10-a.rules", "expose db 1\nlink web db\n");
	/* Bytes, not numbers or locale: '1' < '2' < '9' < 'B'. */
	put("9-c.rules", "expose db 9\n");
	put("B.rules", "expose db 66\n");
	put("README", "not rules\n");
	put("x.rules~", "not rules\n");
	put("x.rules.bak", "not rules\n");
	put(".hidden.rules", "not rules\n");
	put(".rules", "not rules\n");
	put("xrules", "not rules\n");
	snprintf(sub, sizeof(sub), "%s/sub.d", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	put("sub.d/inner.rules", "not rules\n");
	load_ok(dir, &r);
	ck_assert_uint_eq(r.nfiles, 4);
	ck_assert_str_eq(r.files[0], in_dir("10-a.rules"));
	ck_assert_str_eq(r.files[1], in_dir("20-b.rules"));
	ck_assert_str_eq(r.files[2], in_dir("9-c.rules"));
	ck_assert_str_eq(r.files[3], in_dir("B.rules"));
	ck_assert_uint_eq(r.nexposes, 4);
	check_expose(&r, 0, "db", 1, 1, IPPROTO_TCP, in_dir("10-a.rules"),
	    1, 11);
	check_expose(&r, 1, "db", 2, 2, IPPROTO_TCP, in_dir("20-b.rules"),
	    1, 11);
	check_expose(&r, 2, "db", 9, 9, IPPROTO_TCP, in_dir("9-c.rules"),
	    1, 11);
	check_expose(&r, 3, "db", 66, 66, IPPROTO_TCP, in_dir("B.rules"),
	    1, 11);
	expect_link(&r, 0, "web", "db", "db", in_dir("10-a.rules"), 2, 10);
	rules_free(&r);
}
END_TEST

/* "dir/" and "dir//" give the same paths as "dir". */
START_TEST(test_dir_slash)
{
	struct rules r = { 0 };
	char d[128];

	put("a.rules", "bridge br0 icc off\n");
	snprintf(d, sizeof(d), "%s//", dir);
	load_ok(d, &r);
	ck_assert_uint_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0], in_dir("a.rules"));
	check_bridge(&r, 0, "br0", false, in_dir("a.rules"), 1, 8);
	rules_free(&r);
}
END_TEST

/* A conflict across files names both files. */
START_TEST(test_dir_conflict)
{
	char want[512];

	put("10-a.rules", "# web's links\nlink web db:aliasdb\n");
	put("20-b.rules", "\nlink web other:aliasdb\n");
	snprintf(want, sizeof(want), "%s:2:10: link: ALIAS already names "
	    "another SOURCE at %s:2", in_dir("20-b.rules"),
	    in_dir("10-a.rules"));
	load_err(dir, want);
}
END_TEST

/* A good file then a bad one: nothing of either is applied. */
START_TEST(test_dir_bad_file)
{
	char want[512];

	put("10-a.rules", "bridge br0 icc off\nexpose db 1\n");
	put("20-b.rules", "expose db 1\nexpose db x\n");
	snprintf(want, sizeof(want), "%s:2:11: expose: PORT is not a "
	    "number", in_dir("20-b.rules"));
	load_err(dir, want);
}
END_TEST

/* A missing directory is no rules at all, replacing earlier ones. */
START_TEST(test_dir_missing)
{
	struct rules r = { 0 };

	fill_before(&r);
	load_ok(in_dir("nonexistent"), &r);
	ck_assert_uint_eq(r.nfiles, 0);
	ck_assert_uint_eq(r.nbridges + r.nexposes + r.nlinks, 0);
	ck_assert_ptr_null(r.files);
	/* An empty directory too. */
	fill_before(&r);
	load_ok(dir, &r);
	ck_assert_uint_eq(r.nfiles, 0);
	ck_assert_uint_eq(r.nbridges + r.nexposes + r.nlinks, 0);
	rules_free(&r);
}
END_TEST

/*
 * load_err_unprivileged: load_err in a child that is not root (root
 * reads a 0 mode file anyway, and CI runs as root): it drops to uid and
 * gid 65534 first when root.  Check's asserts stay in this process: the
 * child sends its error text through a pipe and says by its exit status
 * what went wrong (2: cannot drop privileges, 3: the load succeeded).
 */
static void
load_err_unprivileged(const char *d, const char *want)
{
	char err[512] = "", got[512];
	ssize_t n, len = 0;
	int p[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		struct rules r = { 0 };

		close(p[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
		    setgid(65534) == -1 || setuid(65534) == -1))
			_exit(2);
		if (rules_load_dir(d, &r, err, sizeof(err)) != -1)
			_exit(3);
		if (write(p[1], err, strlen(err)) != (ssize_t)strlen(err))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	while (len < (ssize_t)sizeof(got) - 1 &&
	    (n = read(p[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += n;
	got[len] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!WIFSIGNALED(status), "unprivileged load of %s: child "
	    "killed by signal %d", d, WTERMSIG(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "unprivileged load of %s: "
	    "child exit %d (2: cannot drop privileges, 3: the load "
	    "succeeded)", d, WEXITSTATUS(status));
	ck_assert_str_eq(got, want);
}

/* Any other reason a directory cannot be read fails the load. */
START_TEST(test_dir_unreadable)
{
	char want[512], loop[128];

	put("file", "expose db 1\n");
	snprintf(want, sizeof(want), "%s: Not a directory", in_dir("file"));
	load_err(in_dir("file"), want);

	snprintf(loop, sizeof(loop), "%s", in_dir("loop"));
	ck_assert_int_eq(symlink("loop", loop), 0);
	snprintf(want, sizeof(want), "%s: Too many levels of symbolic links",
	    loop);
	load_err(loop, want);

	/* Root reads a 0 mode directory anyway: a child that is not root.
	 * The test directory is opened to it, so only "locked" refuses. */
	snprintf(loop, sizeof(loop), "%s", in_dir("locked"));
	ck_assert_int_eq(mkdir(loop, 0), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(want, sizeof(want), "%s: Permission denied", loop);
	load_err_unprivileged(loop, want);
	ck_assert_int_eq(chmod(loop, 0700), 0);
}
END_TEST

/* A *.rules entry that is no readable regular file fails the load. */
START_TEST(test_dir_bad_entries)
{
	char want[512];

	ck_assert_int_eq(mkdir(in_dir("d.rules"), 0755), 0);
	snprintf(want, sizeof(want), "%s: not a regular file",
	    in_dir("d.rules"));
	load_err(dir, want);
	ck_assert_int_eq(rmdir(in_dir("d.rules")), 0);

	/* A FIFO must not hang the load (O_NONBLOCK). */
	ck_assert_int_eq(mkfifo(in_dir("f.rules"), 0600), 0);
	snprintf(want, sizeof(want), "%s: not a regular file",
	    in_dir("f.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(in_dir("f.rules")), 0);

	ck_assert_int_eq(symlink("nowhere", in_dir("s.rules")), 0);
	snprintf(want, sizeof(want), "%s: a symbolic link (not followed: "
	    "rules files must be regular files in the directory)",
	    in_dir("s.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(in_dir("s.rules")), 0);

	/* Root reads a 0 mode file anyway: a child that is not root. */
	put("u.rules", "expose db 1\n");
	ck_assert_int_eq(chmod(in_dir("u.rules"), 0), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(want, sizeof(want), "%s: Permission denied",
	    in_dir("u.rules"));
	load_err_unprivileged(dir, want);
}
END_TEST

/*
 * A symbolic link is never followed, even to a good rules file: a link
 * could lead anywhere (/etc/shadow), and what lies there must never be
 * read, let alone quoted in the error a client gets.
 */
START_TEST(test_dir_symlink)
{
	char want[512], secret[128];
	int fd;

	put("real.txt", "expose db 5\n");
	ck_assert_int_eq(symlink("real.txt", in_dir("l.rules")), 0);
	snprintf(want, sizeof(want), "%s: a symbolic link (not followed: "
	    "rules files must be regular files in the directory)",
	    in_dir("l.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(in_dir("l.rules")), 0);
	/* To a secret outside the directory. */
	snprintf(secret, sizeof(secret), "%s.secret", dir);
	ck_assert_int_ge(fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), 0);
	ck_assert_int_eq(write(fd, "root:SECRETHASH:19000:0:99999:7:::\n", 35),
	    35);
	close(fd);
	ck_assert_int_eq(symlink(secret, in_dir("shadow.rules")), 0);
	snprintf(want, sizeof(want), "%s: a symbolic link (not followed: "
	    "rules files must be regular files in the directory)",
	    in_dir("shadow.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(secret), 0);
}
END_TEST

/* What a file holds is never quoted in an error, only where and why. */
START_TEST(test_dir_no_echo)
{
	char want[512];

	put("a.rules", "root:SECRETHASH:19000:0:99999:7:::\n");
	snprintf(want, sizeof(want), "%s:1:1: unknown keyword (expected "
	    "bridge, expose or link)", in_dir("a.rules"));
	load_err(dir, want);
	put("a.rules", "link SECRET/HASH x\n");
	snprintf(want, sizeof(want), "%s:1:6: link: RECEIVER: bad character",
	    in_dir("a.rules"));
	load_err(dir, want);
	put("a.rules", "expose db SECRETHASH\n");
	snprintf(want, sizeof(want), "%s:1:11: expose: PORT is not a number",
	    in_dir("a.rules"));
	load_err(dir, want);
}
END_TEST

/*
 * The directory, its parents and every file must be root's alone:
 * writable by group or others (a sticky 1777 directory too) is refused,
 * and so is another owner (root only: chown).
 */
START_TEST(test_dir_modes)
{
	char want[512], sub[128];

	put("a.rules", "expose db 1\n");
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(want, sizeof(want), "rules directory %s: writable by group "
	    "or others (mode 0777)", dir);
	load_err(dir, want);
	ck_assert_int_eq(chmod(dir, 01777), 0);
	snprintf(want, sizeof(want), "rules directory %s: writable by group "
	    "or others (mode 1777)", dir);
	load_err(dir, want);
	ck_assert_int_eq(chmod(dir, 0775), 0);
	snprintf(want, sizeof(want), "rules directory %s: writable by group "
	    "or others (mode 0775)", dir);
	load_err(dir, want);
	/* A parent others may write (not sticky): they could swap the
	 * directory for one of their own. */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(sub, sizeof(sub), "%s", in_dir("sub"));
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(want, sizeof(want), "rules directory %s: %s: writable by "
	    "group or others (mode 0777)", sub, dir);
	load_err(sub, want);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	/* A file others may write. */
	ck_assert_int_eq(chmod(in_dir("a.rules"), 0666), 0);
	snprintf(want, sizeof(want), "%s: writable by group or others (mode "
	    "0666)", in_dir("a.rules"));
	load_err(dir, want);
	ck_assert_int_eq(chmod(in_dir("a.rules"), 0644), 0);
	if (geteuid() != 0)
		return;		/* chown needs root */
	ck_assert_int_eq(chown(in_dir("a.rules"), 65534, 65534), 0);
	snprintf(want, sizeof(want), "%s: owned by uid 65534, not root",
	    in_dir("a.rules"));
	load_err(dir, want);
	ck_assert_int_eq(chown(in_dir("a.rules"), 0, 0), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	snprintf(want, sizeof(want), "rules directory %s: owned by uid 65534, "
	    "not root", dir);
	load_err(dir, want);
	ck_assert_int_eq(chown(dir, 0, 0), 0);
}
END_TEST

/* RULES_FILE_MAX bytes are read; one more is refused. */
START_TEST(test_dir_file_size)
{
	struct rules r = { 0 };
	char want[512], *big;
	FILE *f;

	ck_assert_ptr_nonnull(big = malloc(RULES_FILE_MAX + 1));
	memset(big, '#', RULES_FILE_MAX);
	memcpy(big, "expose db 7\n", 12);
	ck_assert_ptr_nonnull(f = fopen(in_dir("big.rules"), "w"));
	ck_assert_uint_eq(fwrite(big, 1, RULES_FILE_MAX, f), RULES_FILE_MAX);
	ck_assert_int_eq(fclose(f), 0);
	load_ok(dir, &r);
	check_expose(&r, 0, "db", 7, 7, IPPROTO_TCP, in_dir("big.rules"), 1,
	    11);
	rules_free(&r);

	ck_assert_ptr_nonnull(f = fopen(in_dir("big.rules"), "a"));
	ck_assert_int_eq(fputc('#', f), '#');
	ck_assert_int_eq(fclose(f), 0);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes",
	    in_dir("big.rules"));
	load_err(dir, want);
	free(big);
}
END_TEST

/* The shipped examples (rules/examples) parse, with these results. */
START_TEST(test_examples)
{
	const char *ex = dir;
	struct rules r = { 0 };
	char f10[256], f20[256], f30[256], cmd[512];

	/* A copy: the source tree may belong to whoever built it, and
	 * iccd reads only root's rules. */
	snprintf(cmd, sizeof(cmd), "cp '%s'/*.rules '%s'/", TESTDATA
	    "/../../rules/examples", dir);
	ck_assert_int_eq(system(cmd), 0);

	snprintf(f10, sizeof(f10), "%s/10-bridges.rules", ex);
	snprintf(f20, sizeof(f20), "%s/20-web.rules", ex);
	snprintf(f30, sizeof(f30), "%s/30-services.rules", ex);
	load_ok(ex, &r);
	ck_assert_uint_eq(r.nfiles, 3);
	ck_assert_str_eq(r.files[0], f10);
	ck_assert_str_eq(r.files[1], f20);
	ck_assert_str_eq(r.files[2], f30);
	ck_assert_uint_eq(r.nbridges, 2);
	check_bridge(&r, 0, "br0", false, f10, 5, 8);
	check_bridge(&r, 1, "br1", true, f10, 6, 8);
	ck_assert_uint_eq(r.nexposes, 6);
	check_expose(&r, 0, "db", 3306, 3306, IPPROTO_TCP, f20, 6, 11);
	check_expose(&r, 1, "dns", 53, 53, IPPROTO_UDP, f30, 3, 12);
	check_expose(&r, 2, "dns", 53, 53, IPPROTO_TCP, f30, 3, 19);
	check_expose(&r, 3, "cache", 6379, 6379, IPPROTO_TCP, f30, 4, 14);
	check_expose(&r, 4, "worker", 7000, 7999, IPPROTO_TCP, f30, 5, 15);
	check_expose(&r, 5, "worker", 9100, 9100, IPPROTO_TCP, f30, 6, 2);
	ck_assert_uint_eq(r.nlinks, 5);
	expect_link(&r, 0, "web", "db", "aliasdb", f20, 9, 10);
	expect_link(&r, 1, "api", "db", "aliasdb", f30, 8, 10);
	expect_link(&r, 2, "api", "cache", "cache", f30, 8, 21);
	expect_link(&r, 3, "api", "dns", "resolver", f30, 8, 27);
	expect_link(&r, 4, "api", "worker", "worker", f30, 9, 2);
	rules_free(&r);
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

	tc = tcase_create("dir");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_dir_order);
	tcase_add_test(tc, test_dir_slash);
	tcase_add_test(tc, test_dir_conflict);
	tcase_add_test(tc, test_dir_bad_file);
	tcase_add_test(tc, test_dir_missing);
	tcase_add_test(tc, test_dir_unreadable);
	tcase_add_test(tc, test_dir_bad_entries);
	tcase_add_test(tc, test_dir_symlink);
	tcase_add_test(tc, test_dir_no_echo);
	tcase_add_test(tc, test_dir_modes);
	tcase_add_test(tc, test_dir_file_size);
	tcase_add_test(tc, test_examples);
	suite_add_tcase(s, tc);
	return s;
}
