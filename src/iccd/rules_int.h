/*
 * rules_int.h: what rules.c (the parser) and rules_dir.c (reading a
 * directory) share; nothing else includes it.  See rules.h for the
 * public side.
 */
#ifndef ICCD_RULES_INT_H
#define ICCD_RULES_INT_H

#include <stddef.h>

#include "hmap.h"
#include "rules.h"

/* One word of a statement: len bytes at s, starting at line:col. */
struct tok {
	const char	*s;
	size_t		 len;
	unsigned	 line, col;
};

/* A NUL-terminated copy of a token, reused from token to token. */
struct slot {
	char	*s;
	size_t	 cap;
};

struct parser {
	struct rules	*r;		/* being built */
	const char	*file;		/* the current file, in r->files */
	const char	*buf;
	size_t		 len, pos;
	unsigned	 line, col;	/* of buf[pos] */
	struct tok	 last;		/* last word read in this statement */
	struct slot	 slot[2];	/* [0] NAME/BRIDGE/RECEIVER, [1] item */
	struct hmap	 bridges;	/* BRIDGE -> index + 1 */
	struct hmap	 ports;		/* "NAME FIRST LAST PROTO" -> index + 1 */
	struct hmap	 nports;	/* NAME -> ports declared */
	struct hmap	 links;		/* "RECEIVER ALIAS" -> index + 1 */
	struct hmap	 nlinks;	/* RECEIVER -> links declared */
	char		*err;
	size_t		 errlen;
};

/*
 * rules_parser_init: zero p and r and start building r; errors go to err
 * (errlen bytes).  r must stay valid until rules_finish.
 */
void rules_parser_init(struct parser *p, struct rules *r, char *err,
    size_t errlen);
/*
 * rules_parse_file: parse every statement of buf (len bytes, not
 * NUL-terminated) as file fname (copied into r->files).  Returns 0, or -1
 * with the one error line "FILE:LINE:COL: message" in p's err.
 */
int rules_parse_file(struct parser *p, const char *fname, const char *buf,
    size_t len);
/*
 * rules_finish: free p; when rv is 0 replace *out with *nr (the rules p
 * built), else free *nr and leave *out alone.  Returns rv (0 or -1).
 */
int rules_finish(struct parser *p, struct rules *nr, struct rules *out,
    int rv);

#endif
