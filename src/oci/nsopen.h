/*
 * nsopen.h: open the network namespace a runtime names in an annotation
 * (io.iccd.host-netns), safely for a hook that runs as root: only a
 * namespace file, only where namespaces live, and never a wait.
 */
#ifndef ICC_OCI_NSOPEN_H
#define ICC_OCI_NSOPEN_H

#include <stddef.h>

#define NSOPEN_NETNS_DIR	"/run/netns"	/* ip netns add's files */

/*
 * nsopen_net: open path read-only and check it is a network namespace.
 * Accepted paths: NSOPEN_NETNS_DIR "/NAME" (NAME one component, not "."
 * or "..") and "/proc/PID/ns/net" (PID all digits).  The file is opened
 * O_NONBLOCK (a FIFO never hangs the hook) and, under NSOPEN_NETNS_DIR,
 * O_NOFOLLOW (no symlink leads elsewhere); it must be an nsfs file
 * (fstatfs: NSFS_MAGIC) of type CLONE_NEWNET.  what names the source in
 * errors (the annotation's key).  Returns the fd (close-on-exec), or -1
 * with one line in err ("WHAT: PATH: not a network namespace").
 */
int nsopen_net(const char *what, const char *path, char *err, size_t len);

/*
 * nsopen_net_in: the same with netns_dir in place of NSOPEN_NETNS_DIR
 * (tests use a directory of their own).
 */
int nsopen_net_in(const char *netns_dir, const char *what, const char *path,
    char *err, size_t len);

#endif
