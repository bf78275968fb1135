/*
 * rules.h: iccd's rules files: bridge icc modes, exposed ports and links
 * declared in files (iccd --rules-dir, default ICC_RULES_DIR) instead of by
 * events on the control socket.  Grammar and semantics: iccd.rules(5).
 *
 *   # comment
 *   bridge br0 icc off
 *   expose db 3306/tcp 53/udp 7000-7999/tcp
 *   link web db:aliasdb cache
 *
 * Pure apart from reading the files: no globals, nothing applied.  Every
 * field goes through the validators of parse.h.  A load either succeeds
 * whole or fails whole with one line "FILE:LINE:COL: message" (COL: the
 * 1-based byte column of the bad token; a tab counts as one), so a bad
 * file can never half-apply.  A message names the problem and the part
 * of the grammar (NAME, PORT, ...), never the bytes found: the reply to
 * `iccctl reload` goes to group members, who must not read root's files
 * through it.
 *
 * The result keeps one entry per declared item (one bridge, one port or
 * range, one link) with where it was declared, so that iccctl list can
 * say "file:line" for it.  Identical repeats are kept once, at their first
 * place; conflicting ones are errors naming both places.
 */
#ifndef ICCD_RULES_H
#define ICCD_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

/* $(sysconfdir)/iccd/rules.d: /etc/iccd/rules.d with --sysconfdir=/etc. */
#ifndef ICC_SYSCONFDIR
#define ICC_SYSCONFDIR	"/etc"
#endif
#define ICC_RULES_DIR	ICC_SYSCONFDIR "/iccd/rules.d"
#define RULES_SUFFIX	".rules"
#define RULES_FILE_MAX	(1u << 20)	/* largest rules file, bytes */

/* Where an item was declared: its token's position. */
struct rules_origin {
	const char	*file;	/* as opened or named; owned by struct rules */
	unsigned	 line;	/* 1-based */
	unsigned	 col;	/* 1-based byte column of the item's token */
};

/* bridge BR icc on|off */
struct rules_bridge {
	char			name[ICC_IFNAME_MAX + 1];
	bool			icc;
	struct rules_origin	at;	/* of BR */
};

/* expose NAME PORTS...: one entry per PORTS token. */
struct rules_expose {
	char			name[ICC_NAME_MAX + 1];
	struct icc_ports	ports;
	struct rules_origin	at;	/* of the PORTS token */
};

/* link RECEIVER SOURCE[:ALIAS]...: one entry per SOURCE[:ALIAS] token. */
struct rules_link {
	char			receiver[ICC_NAME_MAX + 1];
	char			source[ICC_NAME_MAX + 1];
	char			alias[ICC_NAME_MAX + 1];	/* = source if none */
	struct rules_origin	at;	/* of SOURCE[:ALIAS] */
};

/*
 * Everything the files declared, in file order (files in name order, then
 * line, then column).  Zero-initialise before first use.  The *_cap fields
 * are the allocated lengths: leave them alone.
 */
struct rules {
	struct rules_bridge	*bridges;
	size_t			 nbridges, bridges_cap;
	struct rules_expose	*exposes;
	size_t			 nexposes, exposes_cap;
	struct rules_link	*links;
	size_t			 nlinks, links_cap;
	char			**files;	/* every file read, in order */
	size_t			 nfiles, files_cap;
};

/*
 * rules_load_dir: read every regular file in dir whose name ends in
 * RULES_SUFFIX (not starting with '.'), in byte order of the names, as one
 * set of rules.  A missing dir (ENOENT) gives empty rules: a host without
 * rules files runs on events alone.  Any other problem fails the whole
 * load: a dir that cannot be read ("DIR: strerror"), or that is not
 * root's alone (fsafe_dir: "rules directory DIR: writable by group or
 * others (mode 0777)"), a *.rules entry that is a symbolic link (never
 * followed), not a readable regular file, not root's alone or larger
 * than RULES_FILE_MAX bytes ("FILE: why"), a syntax error or a conflict
 * ("FILE:LINE:COL: message").  FILE is dir "/" name.
 *
 * out must be zeroed or hold earlier rules.  Returns 0 with the old
 * contents of *out freed and replaced, or -1 with the message in err
 * (errlen bytes, always NUL-terminated) and *out untouched.
 */
int rules_load_dir(const char *dir, struct rules *out, char *err,
    size_t errlen);

/*
 * rules_parse_buf: the same for the len bytes at buf (need not be
 * NUL-terminated; a NUL byte is an error) read from a file called fname,
 * which is used in errors and origins.  Same return and *out rules.
 */
int rules_parse_buf(const char *fname, const char *buf, size_t len,
    struct rules *out, char *err, size_t errlen);

/* rules_free: release everything r holds and zero it; r may be empty. */
void rules_free(struct rules *r);

/*
 * rules_origin_format: "FILE:LINE" of o into buf (len bytes, truncated and
 * NUL-terminated).  Returns buf.
 */
char *rules_origin_format(const struct rules_origin *o, char *buf,
    size_t len);

#endif
