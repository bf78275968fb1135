/*
 * docker_api.c: see docker_api.h.
 *
 * Where docker_api.h is silent:
 *  - A reply body is collected up to DK_REPLY_MAX bytes; more aborts the
 *    transfer (a misbehaving engine cannot make icc-docker grow without
 *    bound).
 *  - An engine that stops answering a request fails it after DK_TIMEOUT
 *    seconds.  The event stream has no overall timeout, but its
 *    connection must not stall: TCP-less unix sockets give no keepalive,
 *    and an engine that dies closes the socket, which ends the stream.
 *  - The host name in URLs is "docker", as Docker's own client sends;
 *    the engine ignores it.  URLs are built here, always http://, and
 *    redirects are not followed (libcurl's default), so no other
 *    protocol can come into play.
 */
#include "docker_api.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "docker_stream.h"
#include "parse.h"

#define URL_BASE	"http://docker"

int
dk_host_socket(const char *host, char *out, char *err, size_t len)
{
	const char *what = "--docker-host", *env, *path;

	if (host == NULL) {
		what = DK_HOST_ENV;
		env = getenv(DK_HOST_ENV);
		if (env == NULL || env[0] == '\0') {
			snprintf(out, PATH_MAX, "%s", DK_SOCKET);
			return 0;
		}
		host = env;
	}
	if (strncmp(host, "unix://", 7) != 0)
		return errf(err, len, EINVAL, "%s: \"%.64s\": only unix:///PATH is "
		    "supported", what, host);
	path = host + 7;
	if (path[0] != '/')
		return errf(err, len, EINVAL, "%s: \"%.64s\": not an absolute path",
		    what, host);
	if (strlen(path) >= PATH_MAX)
		return errf(err, len, ENAMETOOLONG, "%s: path too long", what);
	snprintf(out, PATH_MAX, "%s", path);
	return 0;
}

int
dk_api_open(struct dk_api *a, const char *sock, char *err, size_t len)
{
	memset(a, 0, sizeof(*a));
	if (strlen(sock) >= sizeof(a->sock))
		return errf(err, len, ENAMETOOLONG, "docker socket: path too long");
	snprintf(a->sock, sizeof(a->sock), "%s", sock);
	if ((a->curl = curl_easy_init()) == NULL)
		return errf(err, len, ENOMEM, "curl_easy_init failed");
	return 0;
}

void
dk_api_close(struct dk_api *a)
{
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	a->curl = NULL;
}

/* A reply body being collected. */
struct body {
	char	*buf;
	size_t	 len, cap;
	bool	 too_long;
};

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t cap, add = size * n;
	char *p;

	if (b->len + add > DK_REPLY_MAX) {
		b->too_long = true;
		return 0;	/* aborts the transfer */
	}
	if (b->len + add + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 16384; cap < b->len + add + 1;)
			cap *= 2;
		if ((p = realloc(b->buf, cap)) == NULL)
			return 0;
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, add);
	b->len += add;
	return add;
}

/* setup: the options every request shares on handle c. */
static void
setup(CURL *c, const char *sock, const char *url)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)DK_TIMEOUT);
}

/* engine_error: the engine's {"message": ...} in an error reply. */
static const char *
engine_error(const json_t *body)
{
	const char *m = json_string_value(json_object_get(body, "message"));

	return m != NULL ? m : "no message";
}

json_t *
dk_get(struct dk_api *a, const char *path, long *status, char *err,
    size_t len)
{
	char url[2048];
	struct body b = { 0 };
	json_error_t jerr;
	json_t *v = NULL;
	CURLcode rc;

	*status = 0;
	snprintf(url, sizeof(url), "%s%s", URL_BASE, path);
	setup(a->curl, a->sock, url);
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT, (long)DK_TIMEOUT);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(a->curl);
	if (rc != CURLE_OK) {
		errf(err, len, EIO, "docker %s: GET %.128s: %s", a->sock, path,
		    b.too_long ? "reply too long" : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, status);
	v = json_loadb(b.buf ? b.buf : "", b.len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		errf(err, len, EPROTO, "docker: GET %.128s: HTTP %ld, not JSON: %s",
		    path, *status, jerr.text);
	else if (*status != 200) {
		errf(err, len, EIO, "docker: GET %.128s: HTTP %ld: %.200s", path,
		    *status, engine_error(v));
		json_decref(v);
		v = NULL;
	}
out:
	free(b.buf);
	return v;
}

/* The event stream being read. */
struct events {
	struct dk_stream	 s;
	int			(*cb)(json_t *, void *, char *, size_t);
	void			*arg;
	volatile sig_atomic_t	*stop;
	char			*err;
	size_t			 errlen;
	bool			 failed;
	long			 status;	/* HTTP status, once known */
	CURL			*c;
};

static size_t
events_write(char *data, size_t size, size_t n, void *arg)
{
	struct events *e = arg;

	if (e->status == 0)
		curl_easy_getinfo(e->c, CURLINFO_RESPONSE_CODE, &e->status);
	if (e->status != 200) {
		/* An error reply: its body is one object; keep the start. */
		errf(e->err, e->errlen, EIO, "docker: GET /events: HTTP %ld: "
		    "%.*s", e->status, (int)(size * n > 200 ? 200 : size * n),
		    data);
		e->failed = true;
		return 0;
	}
	if (dk_stream_feed(&e->s, data, size * n, e->cb, e->arg, e->err,
	    e->errlen) == -1) {
		e->failed = true;
		return 0;
	}
	return size * n;
}

/* events_progress: called about once a second: honours *stop. */
static int
events_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct events *e = arg;

	return *e->stop ? 1 : 0;
}

/* events_url: the stream's URL with since and the escaped filters. */
static int
events_url(CURL *c, long since, const json_t *filters, char *url,
    size_t size, char *err, size_t len)
{
	char *f = json_dumps(filters, JSON_COMPACT), *esc = NULL;
	int n;

	if (f != NULL)
		esc = curl_easy_escape(c, f, 0);
	free(f);
	if (esc == NULL)
		return errf(err, len, ENOMEM, "events: out of memory");
	if (since > 0)
		n = snprintf(url, size, "%s/events?since=%ld&filters=%s",
		    URL_BASE, since, esc);
	else
		n = snprintf(url, size, "%s/events?filters=%s", URL_BASE, esc);
	curl_free(esc);
	if (n < 0 || (size_t)n >= size)
		return errf(err, len, EINVAL, "events: filters too long");
	return 0;
}

int
dk_events(struct dk_api *a, long since, const json_t *filters,
    int (*cb)(json_t *, void *, char *, size_t), void *arg,
    volatile sig_atomic_t *stop, char *err, size_t len)
{
	struct events e = { .cb = cb, .arg = arg, .stop = stop, .err = err,
	    .errlen = len };
	char url[4096];
	CURLcode rc;

	if ((e.c = curl_easy_init()) == NULL)
		return errf(err, len, ENOMEM, "curl_easy_init failed");
	if (events_url(e.c, since, filters, url, sizeof(url), err,
	    len) == -1) {
		curl_easy_cleanup(e.c);
		return -1;
	}
	setup(e.c, a->sock, url);
	curl_easy_setopt(e.c, CURLOPT_WRITEFUNCTION, events_write);
	curl_easy_setopt(e.c, CURLOPT_WRITEDATA, &e);
	curl_easy_setopt(e.c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e.c, CURLOPT_XFERINFOFUNCTION, events_progress);
	curl_easy_setopt(e.c, CURLOPT_XFERINFODATA, &e);
	rc = curl_easy_perform(e.c);
	if (e.status == 0)
		curl_easy_getinfo(e.c, CURLINFO_RESPONSE_CODE, &e.status);
	curl_easy_cleanup(e.c);
	dk_stream_reset(&e.s);
	if (*stop)
		return 0;
	if (e.failed)
		return -1;
	if (rc != CURLE_OK)
		return errf(err, len, EIO, "docker %s: events: %s", a->sock,
		    curl_easy_strerror(rc));
	if (e.status != 200 && e.status != 0)
		return errf(err, len, EIO, "docker: GET /events: HTTP %ld",
		    e.status);
	return 0;
}
