/*
 * linkdata.h: the rest of Docker's link model: the environment variables
 * and /etc/hosts lines a receiver gets for its links.  Pure except for
 * hosts_file_sync, which rewrites one file.
 */
#ifndef ICCD_LINKDATA_H
#define ICCD_LINKDATA_H

#include <netinet/in.h>
#include <stddef.h>

#include "model.h"
#include "parse.h"
#include "util.h"	/* struct strvec */
#include "safefile.h"

/*
 * link_env: append to out the "KEY=VALUE" variables of one link, exactly
 * as moby's daemon/links/links.go Link.ToEnv (2025 and later) builds them:
 * receiver `receiver`, link alias `alias`, source address ip (network byte
 * order), the source's exposed ports (any order; sorted here: tcp first,
 * then other protocols by name, each by port; a range entry counts as its
 * single ports) and its env entries ("KEY=VALUE"; HOME and PATH skipped).
 * Returns 0 or -1 with errno ENOMEM.
 */
int link_env(const char *receiver, const char *alias, struct in_addr ip,
    const struct icc_ports *ports, size_t nports, char *const *env,
    size_t nenv, struct strvec *out);

/*
 * linkdata_env: the variables of every active link of receiver r in m, in
 * the order of r's links, or of the one link with alias `only` (NULL: all).
 * A receiver that never started (no identity: declared by a rules file)
 * gets those of its links whose source runs: what it would get if created
 * now, for a runtime's --env-file.
 * Returns 0, or -1 with errno ENOMEM, or ENOENT when `only` names no link.
 */
int linkdata_env(const struct icc_model *m, const struct icc_container *r,
    const char *only, struct strvec *out);

/*
 * linkdata_hosts: the hosts lines of every active link of r, in the order
 * of r's links: "<source IPv4>\t<alias> <hostname> <name>" (hostname left
 * out when empty, name left out when equal to the alias: Docker 20.10's
 * output), then the same with the source's IPv6 address when it has one.
 * Returns 0 or -1 with errno ENOMEM.
 */
int linkdata_hosts(const struct icc_model *m, const struct icc_container *r,
    struct strvec *out);

/*
 * hosts_file_sync: rewrite the hosts file t names (see safefile.h for
 * how it is opened, checked and written): drop every line whose first
 * name (the field after the address) is exactly one of owned[0..nowned-1],
 * keep every other line as it was, then append lines[0..nlines-1].  A
 * missing file is created 0644.  Returns 0, or -1 with errno and a short
 * reason in err (sf_rewrite).
 */
int hosts_file_sync(const struct sf_target *t, char *const *owned,
    size_t nowned, char *const *lines, size_t nlines, char *err,
    size_t errlen);

#endif
