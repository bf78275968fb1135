/*
 * check_linkdata.h: helpers of check_linkdata.c that check_linkenv.c and
 * check_hosts.c use too.  Each asserts with Check.
 */
#ifndef ICCD_CHECK_LINKDATA_H
#define ICCD_CHECK_LINKDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "util.h"

/* cnew: a new container (not yet in a model; the caller adds links
 * etc., then cput) named name, hostname host, on bridge, addr (IPv4). */
struct icc_container *cnew(const char *name, const char *host,
    const char *bridge, bool running, const char *addr);
/* cput: model_put(m, c), which must succeed (m owns c). */
void cput(struct icc_model *m, struct icc_container *c);
/* expect: sv holds exactly want[] (NULL-terminated), in that order;
 * what names the case in messages. */
void expect(const char *what, const struct strvec *sv,
    const char *const *want);
/* ports_of: NULL-terminated "PORT[-END][/proto]" strings parsed into
 * out[0..max); returns how many. */
size_t ports_of(const char *const *spec, struct icc_ports *out, size_t max);
/* count: the strings of v before its NULL. */
size_t count(const char *const *v);

#endif
