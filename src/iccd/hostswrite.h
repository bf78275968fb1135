/*
 * hostswrite.h: who may make iccd write which hosts file.  A write for a
 * control peer is done either with the peer's own rights (its uid and
 * groups as iccd's file system identity: the kernel decides), or as root
 * beneath a directory the admin allowed (`iccd --hosts-dir DIR`,
 * repeatable).  Root peers write as root.  Either way no path component
 * may be a symbolic or magic link, only regular files are touched, and
 * the host's own hosts file is never written (safefile.h).
 */
#ifndef ICCD_HOSTSWRITE_H
#define ICCD_HOSTSWRITE_H

#include <stddef.h>

#include "peercred.h"

/* The admin's --hosts-dir directories: canonical absolute paths. */
struct hostsdirs {
	char	**v;
	size_t	  n;
};

/*
 * hostsdirs_add: allow writes beneath dir (resolved once with realpath:
 * symbolic links the admin chose are fine; must be an existing
 * directory).  Returns 0, or -1 with a line naming dir in err.
 */
int hostsdirs_add(struct hostsdirs *hd, const char *dir, char *err,
    size_t errlen);

/* hostsdirs_free: release hd and zero it. */
void hostsdirs_free(struct hostsdirs *hd);

/*
 * hostswrite: hosts_file_sync (linkdata.h) of the absolute path for peer
 * who: beneath one of hd's directories (RESOLVE_BENEATH from that
 * directory) as root; otherwise as root for a root peer, with who's
 * rights for any other; refused when who is NULL (a registration restored
 * from an older iccd's state, whose peer is unknown) and path is under
 * no --hosts-dir.  host_hosts is the file never to write (iccd: "/etc/hosts",
 * compared by device and inode as iccd sees it; a missing one protects
 * nothing).  An existing file is rewritten in place, never renamed over:
 * a container's hosts file is bind-mounted into its mount namespace, which
 * would keep seeing the old inode.  Returns 0, or -1 with errno and a
 * short reason in err.
 */
int hostswrite(const struct hostsdirs *hd, const struct peer_cred *who,
    const char *path, const char *host_hosts, char *const *owned,
    size_t nowned, char *const *lines, size_t nlines, char *err,
    size_t errlen);

#endif
