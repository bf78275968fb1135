/*
 * httpmetrics.h: iccd --metrics-listen ADDR:PORT: the metrics over HTTP
 * (GET /metrics, Prometheus text) with libmicrohttpd, run from iccd's own
 * poll loop: MHD's external mode with its epoll descriptor, so iccd stays
 * single-threaded and a scrape reads the state with nothing to lock.
 * Connections are few and short (HTTP_MAX_CONNS, HTTP_TIMEOUT_S), so a
 * scraper that stalls cannot hold iccd.
 */
#ifndef ICCD_HTTPMETRICS_H
#define ICCD_HTTPMETRICS_H

#include <stddef.h>

#define HTTP_MAX_CONNS		8
#define HTTP_TIMEOUT_S		10
#define HTTP_MAX_CONNS_PER_IP	2	/* so one client cannot hold all
					 * HTTP_MAX_CONNS and starve the
					 * others' scrapes */

struct httpmetrics;

/*
 * http_listen_parse: "ADDR:PORT" ("127.0.0.1:9431", "[::1]:9431",
 * "0.0.0.0:9431") into a socket address of *len bytes in ss (room for a
 * struct sockaddr_storage).  Returns 0, or -1 with one line in err.
 */
int http_listen_parse(const char *s, void *ss, size_t *len, char *err,
    size_t errlen);

/*
 * http_open: listen on sa (from http_listen_parse) and answer GET
 * /metrics with render(arg) (a malloc'd string the server frees).
 * Returns NULL with one line in err.
 */
struct httpmetrics *http_open(const void *sa, size_t salen,
    char *(*render)(void *), void *arg, char *err, size_t errlen);

/* http_fd: the descriptor to poll for POLLIN. */
int http_fd(const struct httpmetrics *h);

/* http_run: serve what is ready, without waiting; call on POLLIN and
 * at least once a second (connection timeouts). */
void http_run(struct httpmetrics *h);

void http_close(struct httpmetrics *h);

#endif
