/* reply.c: replies to control requests, and request timing (daemon_int.h). */
#include "daemon_int.h"

#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *
reply_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *
reply_err(const char *fmt, ...)
{
	char msg[ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	verrf(msg, sizeof(msg), 0, fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

/* elapsed_ns: nanoseconds since *t0 (CLOCK_MONOTONIC). */
long
elapsed_ns(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000000L +
	    (t1.tv_nsec - t0->tv_nsec);
}


json_t *
no_such(const char *name)
{
	return reply_err("name: no such container \"%s\"", name);
}


json_t *
change_reply(struct iccd *d, struct change *ch)
{
	char err[ERRLEN];
	json_t *rep;

	rep = change_apply(d, ch, err, sizeof(err)) == -1 ?
	    reply_err("%s", err) : reply_ok();
	change_free(ch);
	return rep;
}

json_t *
lines_reply(struct strvec *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return json_pack("{s:b,s:o}", "ok", 1, "lines", a);
}
