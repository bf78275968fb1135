/*
 * docker_hosts.h: the "hosts" request that has iccd keep a Docker
 * container's /etc/hosts in sync with its links.  Pure: no I/O.
 *
 * The file is the inspect reply's HostsPath: the one the engine creates
 * for the container and bind-mounts on its /etc/hosts.  The engine itself
 * writes a line per legacy link at create ("IP\tALIAS HOSTNAME NAME");
 * iccd drops every line whose first name is an alias it manages and writes
 * its own (linkdata.h), so the alias keeps exactly one line, which follows
 * the source's address.  Label links (io.iccd.links) get their lines from
 * iccd only.
 */
#ifndef ICCD_DOCKER_HOSTS_H
#define ICCD_DOCKER_HOSTS_H

#include <stddef.h>

#include <jansson.h>

#include "docker_map.h"

/*
 * dk_hosts_request: for a container declared by dk_map (d->req set),
 * {"cmd":"hosts","name":NAME,"write":HostsPath} into *req (owned by the
 * caller) when the container receives links; *req NULL when it receives
 * none or is not declared.  HostsPath must be absolute, without "." or
 * ".." components, and end in "hosts"; iccd checks the file itself (no
 * links, a regular file).  Returns 0, or -1 with *req NULL and one line
 * in err naming HostsPath.
 */
int dk_hosts_request(const json_t *container, const struct dk_decl *d,
    json_t **req, char *err, size_t errlen);

#endif
