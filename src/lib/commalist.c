/* commalist.c: see commalist.h. */
#include "commalist.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* trim: the bytes [p, end) without leading and trailing blanks, copied. */
static char *
trim_copy(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return strndup(p, (size_t)(end - p));
}

/* blank: s holds nothing but spaces and tabs. */
static bool
blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* list_entry: check entry n (1-based) of a comma list, append it to a. */
static int
list_entry(json_t *a, const char *key, const char *e, size_t n,
    int (*check)(const char *, const char **), char *err, size_t len)
{
	const char *why;

	if (*e == '\0')
		return errf(err, len, EINVAL, "%s: entry %zu is empty", key, n);
	if (check != NULL && check(e, &why) == -1)
		return errf(err, len, EINVAL, "%s: %.64s: %s", key, e, why);
	if (json_array_append_new(a, json_string(e)) == -1)
		return errf(err, len, EINVAL, "%s: out of memory", key);
	return 0;
}

json_t *
comma_split(const char *key, const char *s, size_t max,
    int (*check)(const char *, const char **), char *err, size_t len)
{
	json_t *a = json_array();
	const char *p = s, *end;
	size_t n = 0;
	char *e;
	int rv;

	if (a == NULL) {
		errf(err, len, EINVAL, "%s: out of memory", key);
		return NULL;
	}
	if (blank(s))
		return a;
	for (;;) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if (++n > max) {
			errf(err, len, EINVAL, "%s: more than %zu entries", key, max);
			goto bad;
		}
		if ((e = trim_copy(p, end)) == NULL) {
			errf(err, len, EINVAL, "%s: out of memory", key);
			goto bad;
		}
		rv = list_entry(a, key, e, n, check, err, len);
		free(e);
		if (rv == -1)
			goto bad;
		if (*end == '\0')
			return a;
		p = end + 1;
	}
bad:
	json_decref(a);
	return NULL;
}
