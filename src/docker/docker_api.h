/*
 * docker_api.h: the few calls icc-docker makes to Docker Engine, over
 * HTTP/1.1 on its unix socket (libcurl, CURLOPT_UNIX_SOCKET_PATH).
 *
 * Paths carry no API version (/containers/json, not /v1.41/...): the
 * engine then answers in its own current version, and the fields used
 * here (see docker_map.h) have not changed since API 1.24; a fixed
 * version would stop working when an engine drops it.
 */
#ifndef ICCD_DOCKER_API_H
#define ICCD_DOCKER_API_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#define DK_SOCKET	"/var/run/docker.sock"
#define DK_HOST_ENV	"DOCKER_HOST"
#define DK_REPLY_MAX	(64u << 20)	/* largest reply body, bytes */
#define DK_TIMEOUT	30		/* seconds per request (not events) */

struct dk_api {
	void	*curl;			/* CURL * for requests */
	char	 sock[PATH_MAX];	/* the engine's socket */
};

/*
 * dk_host_socket: the socket path of `host`, which must be
 * "unix:///ABSOLUTE/PATH" (DOCKER_HOST's form); NULL host means
 * $DOCKER_HOST when set and non-empty, else DK_SOCKET.  Copies it into
 * out (PATH_MAX bytes).  Returns 0, or -1 with one line in err naming
 * --docker-host or DOCKER_HOST.
 */
int dk_host_socket(const char *host, char *out, char *err, size_t errlen);

/* dk_api_open: a handle for the engine at socket path sock. -1: err. */
int dk_api_open(struct dk_api *a, const char *sock, char *err,
    size_t errlen);
void dk_api_close(struct dk_api *a);

/*
 * dk_get: GET path (starting with "/"; query already escaped) and its
 * JSON body.  Returns a new reference (the caller decrefs it), or NULL
 * with one line in err.  *status gets the HTTP status, 0 when there was
 * no answer (the engine is down): a caller tells "no such container"
 * (404) from "engine unreachable" by it.
 */
json_t *dk_get(struct dk_api *a, const char *path, long *status, char *err,
    size_t errlen);

/*
 * dk_events: follow GET /events?since=SINCE&filters=FILTERS (filters: a
 * JSON object, sent URL-escaped; since: unix seconds, 0 for none) and
 * call cb(event, arg, err, errlen) for each event (borrowed).  Blocks
 * until the engine ends the stream (returns 0), a failure (-1, err),
 * cb returns -1 (-1, cb's err), or *stop becomes non-zero (returns 0).
 * Uses its own connection, so cb may call dk_get on a.
 */
int dk_events(struct dk_api *a, long since, const json_t *filters,
    int (*cb)(json_t *, void *, char *, size_t), void *arg,
    volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif
