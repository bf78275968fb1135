/*
 * commalist.h: comma lists, as icc-oci-hook's annotations and icc-docker's
 * labels give them ("80/tcp, 53/udp"): entries trimmed of spaces and tabs;
 * a value of nothing but blanks is an empty list; an empty entry is an
 * error.
 */
#ifndef ICCD_COMMALIST_H
#define ICCD_COMMALIST_H

#include <stddef.h>

#include <jansson.h>

/*
 * comma_split: the comma list s as a new JSON array of trimmed strings,
 * each checked with check(entry, &why) when check is not NULL (why: see
 * parse.h).  `key` names the field in err (errlen bytes).  Returns the
 * array, or NULL with one line in err and errno EINVAL (an empty entry, a
 * check failed, more than max entries, out of memory).
 */
json_t *comma_split(const char *key, const char *s, size_t max,
    int (*check)(const char *, const char **), char *err, size_t errlen);

#endif
