/*
 * docker_stream.h: Docker Engine's event stream (GET /events) cut into
 * its JSON objects.  The engine writes one object per event, in HTTP
 * chunks that need not end where an object ends; this finds each object's
 * end by its braces (strings and escapes skipped), so it does not depend
 * on the newline the engine happens to write after each one.  Pure: no
 * I/O; the unit tests feed it byte by byte.
 */
#ifndef ICCD_DOCKER_STREAM_H
#define ICCD_DOCKER_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define DK_EVENT_MAX	(1u << 20)	/* longest event object, bytes */

struct dk_stream {
	char	*buf;		/* bytes not yet handed out */
	size_t	 len, cap;
	size_t	 scan;		/* bytes of buf already scanned */
	size_t	 start;		/* where the current object starts */
	int	 depth;		/* open braces and brackets */
	bool	 in_str, esc;
};

/*
 * dk_stream_feed: append n bytes of data and call cb(obj, arg) for each
 * complete object, in order (cb borrows obj).  Returns 0, or -1 with one
 * line in err: bytes other than white space between objects, an object
 * that is not JSON or longer than DK_EVENT_MAX, or cb returned -1 (cb
 * fills err itself then).  After an error the stream must be reset.
 */
int dk_stream_feed(struct dk_stream *s, const char *data, size_t n,
    int (*cb)(json_t *, void *, char *, size_t), void *arg, char *err,
    size_t errlen);

/* dk_stream_reset: forget everything (s zeroed: ready for a new stream). */
void dk_stream_reset(struct dk_stream *s);

#endif
