/*
 * fsafe.h: is a directory or file iccd reads as root safe from anyone
 * but root?  iccd trusts its state and rules as much as root: a directory
 * or file that another user could write, or replace, would let that user
 * tell root what to do.
 *
 * Trusted owners are root and iccd's own effective uid (the same when
 * iccd runs as root; unit tests run as anyone).
 */
#ifndef ICCD_FSAFE_H
#define ICCD_FSAFE_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * fsafe_dir: path is a directory owned by a trusted owner and not
 * writable by group or others (a sticky 1777 directory is refused too);
 * and so is every directory above it (resolved with realpath), except
 * that those may be writable by others when sticky and root-owned, as
 * /tmp is (nobody else can then rename or replace what lies below).
 * what: the field for the error ("--state-dir").  Returns 0, -1 with
 * errno ENOENT when path does not exist (err set too), or -1 with one
 * line in err: "WHAT DIR: owned by uid N, not root" or "WHAT DIR:
 * writable by group or others (mode 1777)".
 */
int fsafe_dir(const char *what, const char *path, char *err, size_t len);

/*
 * fsafe_stat: st (of path, for the error) belongs to a trusted owner and
 * is not writable by group or others.  Returns 0, or -1 with err set
 * ("PATH: owned by uid N, not root", "PATH: writable by group or others
 * (mode 0666)").
 */
int fsafe_stat(const struct stat *st, const char *path, char *err,
    size_t len);

#endif
