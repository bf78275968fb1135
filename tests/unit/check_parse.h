/*
 * check_parse.h: what check_parse.c (names, addresses) and
 * check_parse_opts.c (ports, links, env, icc) share: names built up to
 * the length limits, and the *why a parser must leave alone on success.
 */
#ifndef ICCD_CHECK_PARSE_H
#define ICCD_CHECK_PARSE_H

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Built-up names at the length limits. */
#define S10	"abcdefghij"
#define S60	S10 S10 S10 S10 S10 S10
#define S63	S60 "xyz"			/* ICC_NAME_MAX, ICC_HOST_MAX */
#define S64	S63 "w"
#define S128	S60 S60 "01234567"		/* ICC_ID_MAX */
#define S129	S128 "8"

/* *why before a call; a parser must not touch it on success (compared
 * by address). */
extern const char untouched[];

#endif
