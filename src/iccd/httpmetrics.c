/* httpmetrics.c: see httpmetrics.h. */
#include "httpmetrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct httpmetrics {
	struct MHD_Daemon	*mhd;
	char			*(*render)(void *);
	void			*arg;
};

int
http_listen_parse(const char *s, void *ss, size_t *len, char *err,
    size_t errlen)
{
	struct sockaddr_in *sin = ss;
	struct sockaddr_in6 *sin6 = ss;
	char host[64];
	const char *colon;
	char *end;
	unsigned long port;
	size_t hlen;

	if ((colon = strrchr(s, ':')) == NULL)
		return snprintf(err, errlen, "--metrics-listen: expected "
		    "ADDR:PORT"), -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port == 0 ||
	    port > 65535)
		return snprintf(err, errlen, "--metrics-listen: port out of "
		    "range 1-65535"), -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return snprintf(err, errlen, "--metrics-listen: address too "
		    "long"), -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(struct sockaddr_storage));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return snprintf(err, errlen, "--metrics-listen: \"%s\" is not an IPv4 "
	    "or IPv6 address", host), -1;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, char *body, bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result rv;

	r = MHD_create_response_from_buffer(strlen(body), body,
	    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	rv = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rv;
}

/* access: GET /metrics; anything else 404 or 405.  Bodies are ignored. */
static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	struct httpmetrics *h = cls;
	char *body;

	if (*upload_len != 0) {
		*upload_len = 0;	/* swallowed */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET /metrics\n", false);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "only GET /metrics\n",
		    false);
	if ((body = h->render(h->arg)) == NULL)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n", false);
	return reply(conn, MHD_HTTP_OK, body, true);
}

struct httpmetrics *
http_open(const void *sa, size_t salen, char *(*render)(void *), void *arg,
    char *err, size_t errlen)
{
	const struct sockaddr *s = sa;
	struct httpmetrics *h;
	unsigned flags = MHD_USE_EPOLL;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "--metrics-listen: out of memory");
		return NULL;
	}
	h->render = render;
	h->arg = arg;
	if (s->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	(void)salen;
	/* No internal thread: iccd's loop polls the epoll descriptor. */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, h,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNS_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "--metrics-listen: cannot listen: %s",
		    strerror(errno ? errno : EADDRINUSE));
		free(h);
		return NULL;
	}
	return h;
}

int
http_fd(const struct httpmetrics *h)
{
	const union MHD_DaemonInfo *i;

	i = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return i != NULL ? i->epoll_fd : -1;
}

void
http_run(struct httpmetrics *h)
{
	MHD_run(h->mhd);
}

void
http_close(struct httpmetrics *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}
