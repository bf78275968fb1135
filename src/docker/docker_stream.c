/* docker_stream.c: see docker_stream.h. */
#include "docker_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* append: n more bytes into s->buf. */
static int
append(struct dk_stream *s, const char *data, size_t n, char *err,
    size_t len)
{
	size_t cap;
	char *p;

	if (s->len + n <= s->cap)
		goto copy;
	cap = s->cap ? s->cap : 4096;
	while (cap < s->len + n)
		cap *= 2;
	if ((p = realloc(s->buf, cap)) == NULL)
		return errf(err, len, ENOMEM, "events: out of memory");
	s->buf = p;
	s->cap = cap;
copy:
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return 0;
}

/* emit: parse buf[start, end) as one object and hand it to cb. */
static int
emit(struct dk_stream *s, size_t end, int (*cb)(json_t *, void *, char *,
    size_t), void *arg, char *err, size_t len)
{
	json_error_t jerr;
	json_t *obj;
	int rv;

	obj = json_loadb(s->buf + s->start, end - s->start,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return errf(err, len, EPROTO, "events: not JSON: %s", jerr.text);
	rv = cb(obj, arg, err, len);
	json_decref(obj);
	return rv;
}

/*
 * step: one byte c at s->scan, outside or inside an object.  Returns 1
 * when c closes the object, 0 when not, -1 on a stray byte.
 */
static int
step(struct dk_stream *s, char c, char *err, size_t len)
{
	if (s->depth == 0) {
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return 0;
		if (c != '{')
			return errf(err, len, EPROTO, "events: byte 0x%02x between "
			    "objects", (unsigned char)c);
		s->start = s->scan;
		s->depth = 1;
		return 0;
	}
	if (s->in_str) {
		if (s->esc)
			s->esc = false;
		else if (c == '\\')
			s->esc = true;
		else if (c == '"')
			s->in_str = false;
		return 0;
	}
	if (c == '"')
		s->in_str = true;
	else if (c == '{' || c == '[')
		s->depth++;
	else if (c == '}' || c == ']')
		return --s->depth == 0;
	return 0;
}

/* compact: drop the bytes handed out or skipped. */
static void
compact(struct dk_stream *s)
{
	size_t keep = s->depth > 0 ? s->start : s->scan;

	memmove(s->buf, s->buf + keep, s->len - keep);
	s->len -= keep;
	s->scan -= keep;
	s->start = 0;
}

int
dk_stream_feed(struct dk_stream *s, const char *data, size_t n,
    int (*cb)(json_t *, void *, char *, size_t), void *arg, char *err,
    size_t len)
{
	int rv;

	if (append(s, data, n, err, len) == -1)
		return -1;
	for (; s->scan < s->len; s->scan++) {
		if ((rv = step(s, s->buf[s->scan], err, len)) == -1)
			return -1;
		if (s->depth > 0 && s->scan + 1 - s->start > DK_EVENT_MAX)
			return errf(err, len, EMSGSIZE, "events: an object longer "
			    "than %u bytes", DK_EVENT_MAX);
		if (rv == 1 && emit(s, s->scan + 1, cb, arg, err, len) == -1)
			return -1;
	}
	compact(s);
	return 0;
}

void
dk_stream_reset(struct dk_stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}
