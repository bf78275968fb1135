/*
 * rules.c: see rules.h; the grammar is in iccd.rules(5).  This file is
 * the lexer and parser of one buffer and the result they build;
 * rules_dir.c reads a rules directory's files and feeds them here.
 *
 * A hand-written lexer and one function per statement: the grammar has
 * three statements and no nesting, and a hand-written parser knows the
 * exact column of every token for its errors.
 *
 * Where rules.h is silent:
 *  - Blanks are space and tab.  Any other byte below 0x20, and 0x7f, is an
 *    error outside comments (a CR usually means CRLF line ends; saying so
 *    beats "bad character" on the first name of the file).
 *  - '#' starts a comment anywhere, even inside a word; the comment ends
 *    with its line, and with it the statement (a '\' inside a comment
 *    continues nothing).
 *  - "\<newline>" counts as one blank, not as glue: "80\<newline>443" is
 *    two ports, where sh(1) would read 80443.
 *  - Duplicates are looked up in hash maps, so a load is linear in the
 *    number of declarations.
 */
#include "rules.h"
#include "rules_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "util.h"

/* ---- errors -------------------------------------------------------------- */

static int
fail_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	verrf(msg, sizeof(msg), 0, fmt, ap);
	va_end(ap);
	return errf(p->err, p->errlen, 0, "%s:%u:%u: %s", p->file, line, col,
	    msg);
}

#define fail_tok(p, t, ...)	fail_at((p), (t)->line, (t)->col, __VA_ARGS__)

/* fail_after: a missing word: the column just after the last one read. */
#define fail_after(p, ...)	fail_at((p), (p)->last.line,		\
	(p)->last.col + (unsigned)(p)->last.len, __VA_ARGS__)


static int
fail_nomem(struct parser *p)
{
	snprintf(p->err, p->errlen, "%s: out of memory", p->file);
	return -1;
}

/* ---- lexer ---------------------------------------------------------------- */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_ctrl(char ch)
{
	unsigned char c = (unsigned char)ch;

	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

/* A word runs up to a blank, a line end, a comment, a '\' or a control. */
static int
ends_word(char c)
{
	return is_blank(c) || c == '\n' || c == '#' || c == '\\' || is_ctrl(c);
}

static void
advance(struct parser *p, size_t n)
{
	p->pos += n;
	p->col += (unsigned)n;
}

static void
newline(struct parser *p)
{
	p->pos++;
	p->line++;
	p->col = 1;
}

static int
bad_byte(struct parser *p)
{
	unsigned char c = (unsigned char)p->buf[p->pos];

	if (c == '\r')
		return fail_at(p, p->line, p->col, "control character 0x0d "
		    "(CRLF line ends are not accepted)");
	return fail_at(p, p->line, p->col, "control character 0x%02x", c);
}

static int
backslash(struct parser *p)
{
	if (p->pos + 1 == p->len)
		return fail_at(p, p->line, p->col, "'\\' at end of file "
		    "continues nothing");
	if (p->buf[p->pos + 1] != '\n')
		return fail_at(p, p->line, p->col, "stray '\\' (a line "
		    "continuation must be the last character of its line)");
	p->pos++;
	newline(p);
	return 0;
}

/*
 * lex_next: the next word of the current statement into *t.  Returns 1 for
 * a word, 0 at the end of the statement (a line end not continued, or the
 * end of the file; the line end is consumed), -1 on error (p->err set).
 */
static int
lex_next(struct parser *p, struct tok *t)
{
	const char *b = p->buf;

	while (p->pos < p->len) {
		if (is_blank(b[p->pos]))
			advance(p, 1);
		else if (b[p->pos] == '\n') {
			newline(p);
			return 0;
		} else if (b[p->pos] == '#') {
			while (p->pos < p->len && b[p->pos] != '\n')
				advance(p, 1);
		} else if (b[p->pos] == '\\') {
			if (backslash(p) == -1)
				return -1;
		} else if (is_ctrl(b[p->pos]))
			return bad_byte(p);
		else {
			t->s = b + p->pos;
			t->line = p->line;
			t->col = p->col;
			while (p->pos < p->len && !ends_word(b[p->pos]))
				advance(p, 1);
			t->len = (size_t)(b + p->pos - t->s);
			p->last = *t;
			return 1;
		}
	}
	return 0;
}

/* lex_word: a word that must be there; missing is an error saying `what`. */
static int
lex_word(struct parser *p, struct tok *t, const char *what)
{
	int rv = lex_next(p, t);

	if (rv == 0)
		return fail_after(p, "%s", what);
	return rv;
}

/* tok_str: t as a C string in slot i (valid until the slot's next use). */
static const char *
tok_str(struct parser *p, int i, const struct tok *t)
{
	struct slot *sl = &p->slot[i];
	char *s;

	if (t->len + 1 > sl->cap) {
		if ((s = realloc(sl->s, t->len + 1)) == NULL)
			return NULL;
		sl->s = s;
		sl->cap = t->len + 1;
	}
	memcpy(sl->s, t->s, t->len);
	sl->s[t->len] = '\0';
	return sl->s;
}

static int
tok_is(const struct tok *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

/* ---- the result ----------------------------------------------------------- */

#define GROW(r, what)	grow_array((void **)&(r)->what,		\
	&(r)->what##_cap, (r)->n##what, sizeof(*(r)->what))

static struct rules_origin
origin(const struct parser *p, const struct tok *t)
{
	return (struct rules_origin){ p->file, t->line, t->col };
}

/* index_get/index_put: a map value is an array index + 1 (0: absent). */
static size_t
index_get(const struct hmap *h, const char *key)
{
	return (size_t)(uintptr_t)hmap_get(h, key);
}

static int
index_put(struct hmap *h, const char *key, size_t v)
{
	return hmap_put(h, key, (void *)(uintptr_t)v);
}

static int
add_bridge(struct parser *p, const char *name, bool icc, const struct tok *br,
    const struct tok *val)
{
	struct rules *r = p->r;
	struct rules_bridge *b;
	size_t i;

	if ((i = index_get(&p->bridges, name)) != 0) {
		b = &r->bridges[i - 1];
		if (b->icc == icc)
			return 0;
		return fail_tok(p, val, "bridge: icc %s conflicts with icc "
		    "%s at %s:%u", icc ? "on" : "off", b->icc ? "on" :
		    "off", b->at.file, b->at.line);
	}
	if (GROW(r, bridges) == -1 ||
	    index_put(&p->bridges, name, r->nbridges + 1) == -1)
		return fail_nomem(p);
	b = &r->bridges[r->nbridges++];
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->icc = icc;
	b->at = origin(p, br);
	return 0;
}

static int
add_expose(struct parser *p, const char *name, const struct icc_ports *ports,
    const struct tok *t)
{
	char key[ICC_NAME_MAX + 32];
	struct rules *r = p->r;
	struct rules_expose *e;
	size_t n;

	snprintf(key, sizeof(key), "%s %u %u %u", name, (unsigned)ports->first,
	    (unsigned)ports->last, (unsigned)ports->proto);
	if (index_get(&p->ports, key) != 0)
		return 0;	/* the same port again: kept at its first place */
	if ((n = index_get(&p->nports, name)) >= ICC_MAX_PORTS)
		return fail_tok(p, t, "expose: more than %d exposed ports for "
		    "one NAME", ICC_MAX_PORTS);
	if (GROW(r, exposes) == -1 ||
	    index_put(&p->ports, key, r->nexposes + 1) == -1 ||
	    index_put(&p->nports, name, n + 1) == -1)
		return fail_nomem(p);
	e = &r->exposes[r->nexposes++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->ports = *ports;
	e->at = origin(p, t);
	return 0;
}

static int
add_link(struct parser *p, const char *receiver, const char *source,
    const char *alias, const struct tok *t)
{
	char key[2 * ICC_NAME_MAX + 2];
	struct rules *r = p->r;
	struct rules_link *l;
	size_t i, n;

	snprintf(key, sizeof(key), "%s %s", receiver, alias);
	if ((i = index_get(&p->links, key)) != 0) {
		l = &r->links[i - 1];
		if (strcmp(l->source, source) == 0)
			return 0;
		return fail_tok(p, t, "link: ALIAS already names another "
		    "SOURCE at %s:%u", l->at.file, l->at.line);
	}
	if ((n = index_get(&p->nlinks, receiver)) >= ICC_MAX_LINKS)
		return fail_tok(p, t, "link: more than %d links for one "
		    "RECEIVER", ICC_MAX_LINKS);
	if (GROW(r, links) == -1 ||
	    index_put(&p->links, key, r->nlinks + 1) == -1 ||
	    index_put(&p->nlinks, receiver, n + 1) == -1)
		return fail_nomem(p);
	l = &r->links[r->nlinks++];
	snprintf(l->receiver, sizeof(l->receiver), "%s", receiver);
	snprintf(l->source, sizeof(l->source), "%s", source);
	snprintf(l->alias, sizeof(l->alias), "%s", alias);
	l->at = origin(p, t);
	return 0;
}

/* ---- statements ------------------------------------------------------------ */

/* bridge BRIDGE icc on|off */
static int
stmt_bridge(struct parser *p)
{
	struct tok br, kw, val, extra;
	const char *name, *s, *why;
	int icc, rv;

	if (lex_word(p, &br, "bridge: missing BRIDGE") != 1)
		return -1;
	if ((name = tok_str(p, 0, &br)) == NULL)
		return fail_nomem(p);
	if (parse_ifname(name, &why) == -1)
		return fail_tok(p, &br, "bridge: BRIDGE: %s", why);
	if (lex_word(p, &kw, "bridge: missing \"icc on|off\"") != 1)
		return -1;
	if (!tok_is(&kw, "icc"))
		return fail_tok(p, &kw, "bridge: unknown setting (expected "
		    "icc)");
	if (lex_word(p, &val, "icc: missing on or off") != 1)
		return -1;
	if ((s = tok_str(p, 1, &val)) == NULL)
		return fail_nomem(p);
	if (parse_icc(s, &icc, &why) == -1)
		return fail_tok(p, &val, "icc: %s", why);
	if ((rv = lex_next(p, &extra)) != 1)
		return rv == 0 ? add_bridge(p, name, icc, &br, &val) : -1;
	return fail_tok(p, &extra, "bridge: unexpected word after icc on|off");
}

/* expose NAME PORT[-END][/PROTO]... */
static int
stmt_expose(struct parser *p)
{
	struct icc_ports ports;
	const char *name, *s, *why;
	struct tok t;
	int rv, n = 0;

	if (lex_word(p, &t, "expose: missing NAME") != 1)
		return -1;
	if ((name = tok_str(p, 0, &t)) == NULL)
		return fail_nomem(p);
	if (parse_name(name, &why) == -1)
		return fail_tok(p, &t, "expose: NAME: %s", why);
	while ((rv = lex_next(p, &t)) == 1) {
		if ((s = tok_str(p, 1, &t)) == NULL)
			return fail_nomem(p);
		if (parse_ports(s, &ports, &why) == -1)
			return fail_tok(p, &t, "expose: %s", why);
		if (add_expose(p, name, &ports, &t) == -1)
			return -1;
		n++;
	}
	if (rv == 0 && n == 0)
		return fail_after(p, "expose: missing PORT[-END][/PROTO]");
	return rv;
}

/* link RECEIVER SOURCE[:ALIAS]... */
static int
stmt_link(struct parser *p)
{
	char source[ICC_NAME_MAX + 1], alias[ICC_NAME_MAX + 1];
	const char *receiver, *s, *why;
	struct tok t;
	int rv, n = 0;

	if (lex_word(p, &t, "link: missing RECEIVER") != 1)
		return -1;
	if ((receiver = tok_str(p, 0, &t)) == NULL)
		return fail_nomem(p);
	if (parse_name(receiver, &why) == -1)
		return fail_tok(p, &t, "link: RECEIVER: %s", why);
	while ((rv = lex_next(p, &t)) == 1) {
		if ((s = tok_str(p, 1, &t)) == NULL)
			return fail_nomem(p);
		if (parse_link(s, source, alias, &why) == -1)
			return fail_tok(p, &t, "link: SOURCE[:ALIAS]: %s",
			    why);
		if (strcmp(source, receiver) == 0)
			return fail_tok(p, &t, "link: a container cannot "
			    "link to itself");
		if (add_link(p, receiver, source, alias, &t) == -1)
			return -1;
		n++;
	}
	if (rv == 0 && n == 0)
		return fail_after(p, "link: missing SOURCE[:ALIAS]");
	return rv;
}

/* statement: one statement (maybe empty).  0 or -1. */
static int
statement(struct parser *p)
{
	struct tok kw;
	int rv;

	if ((rv = lex_next(p, &kw)) != 1)
		return rv;
	if (tok_is(&kw, "bridge"))
		return stmt_bridge(p);
	if (tok_is(&kw, "expose"))
		return stmt_expose(p);
	if (tok_is(&kw, "link"))
		return stmt_link(p);
	return fail_tok(p, &kw, "unknown keyword (expected bridge, expose "
	    "or link)");
}

/* ---- one file's text: the parser's entry points (rules_int.h) ------ */

void
rules_parser_init(struct parser *p, struct rules *r, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	memset(r, 0, sizeof(*r));
	p->r = r;
	p->err = err;
	p->errlen = errlen;
	p->file = "";
}

static void
parser_free(struct parser *p)
{
	for (size_t i = 0; i < sizeof(p->slot) / sizeof(p->slot[0]); i++)
		free(p->slot[i].s);
	hmap_clear(&p->bridges);
	hmap_clear(&p->ports);
	hmap_clear(&p->nports);
	hmap_clear(&p->links);
	hmap_clear(&p->nlinks);
}

/* add_file: record fname in r->files and make it the current file. */
static int
add_file(struct parser *p, const char *fname)
{
	struct rules *r = p->r;
	char *s;

	p->file = fname;
	if (GROW(r, files) == -1 || (s = strdup(fname)) == NULL)
		return fail_nomem(p);
	r->files[r->nfiles++] = s;
	p->file = s;
	return 0;
}

int
rules_parse_file(struct parser *p, const char *fname, const char *buf,
    size_t len)
{
	if (add_file(p, fname) == -1)
		return -1;
	p->buf = buf;
	p->len = len;
	p->pos = 0;
	p->line = p->col = 1;
	while (p->pos < p->len)
		if (statement(p) == -1)
			return -1;
	return 0;
}

int
rules_finish(struct parser *p, struct rules *nr, struct rules *out, int rv)
{
	parser_free(p);
	if (rv == -1) {
		rules_free(nr);
		return -1;
	}
	rules_free(out);
	*out = *nr;
	return 0;
}

int
rules_parse_buf(const char *fname, const char *buf, size_t len,
    struct rules *out, char *err, size_t errlen)
{
	struct parser p;
	struct rules nr;

	rules_parser_init(&p, &nr, err, errlen);
	return rules_finish(&p, &nr, out,
	    rules_parse_file(&p, fname, buf, len));
}

void
rules_free(struct rules *r)
{
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r->bridges);
	free(r->exposes);
	free(r->links);
	memset(r, 0, sizeof(*r));
}

char *
rules_origin_format(const struct rules_origin *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", o->file, o->line);
	return buf;
}
