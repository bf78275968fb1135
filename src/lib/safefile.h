/*
 * safefile.h: rewriting a file named by someone iccd does not trust (a
 * control peer's `hosts --write FILE`).  No path component may be a
 * symbolic link or a /proc magic link (openat2 RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS), only a regular file is read or written, what is
 * read is capped, one file (the host's own /etc/hosts) is never written,
 * and temporary files are created with O_EXCL | O_NOFOLLOW beside the
 * target, through the directory's descriptor.
 *
 * Whose rights the work is done with is the caller's business (iccd
 * switches its file system identity to the peer's around these calls:
 * see peercred.h); every check here is done by the kernel against the
 * current fsuid, fsgid and groups.
 */
#ifndef ICCD_SAFEFILE_H
#define ICCD_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Bytes read from a file at most: a larger one is refused, not cut. */
#define SAFEFILE_MAX	(1024 * 1024)

/* A file's identity: st_dev and st_ino. */
struct file_id {
	dev_t	dev;
	ino_t	ino;
};

/* The file to rewrite and how its path is resolved. */
struct sf_target {
	int			 dirfd;	  /* AT_FDCWD, or the directory that
					   * path lies beneath */
	const char		*path;	  /* absolute (AT_FDCWD) or relative
					   * to dirfd; the last component
					   * may not be "", "." or ".." */
	bool			 beneath; /* add RESOLVE_BENEATH: no ".." or
					   * absolute path out of dirfd */
	const struct file_id	*forbid;  /* never read or write this file
					   * (the host's /etc/hosts); NULL:
					   * none */
	bool			 inplace; /* an existing file is always
					   * rewritten in place, never
					   * renamed over: it may be bind-
					   * mounted in a mount namespace
					   * iccd cannot see (a container's
					   * /etc/hosts), which would keep
					   * the old inode */
};

/*
 * sf_openat2: openat2(2) with RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
 * (and RESOLVE_BENEATH when beneath) and O_CLOEXEC added to flags.  When
 * openat2 answers ENOSYS (Linux before 5.6, or valgrind before 3.20,
 * which iccd's CI runs under), sf_open_walk does the same.  Returns the
 * descriptor, or -1 with errno: ELOOP for a symbolic or magic link on the
 * way, EXDEV for a path leaving dirfd, or open(2)'s.
 */
int sf_openat2(int dirfd, const char *path, int flags, mode_t mode,
    bool beneath);

/*
 * sf_open_walk: sf_openat2 without openat2: one component at a time, each
 * opened O_PATH | O_NOFOLLOW relative to the last one's descriptor and
 * refused (ELOOP) when it is a symbolic link (a /proc magic link is one
 * too), so nothing is followed and no rename elsewhere can redirect the
 * walk; the search permission of each directory is checked by the kernel
 * as usual.  beneath: an absolute path or any ".." is refused (EXDEV;
 * stricter than RESOLVE_BENEATH, which allows a ".." that stays inside).
 */
int sf_open_walk(int dirfd, const char *path, int flags, mode_t mode,
    bool beneath);

/*
 * sf_open_regular: open name (one component, no '/') in directory dirfd
 * with sf_openat2, read-write when the current identity may write it,
 * else read-only (*writable says which), with O_NONBLOCK | O_NOCTTY so
 * that a FIFO or a device never blocks the open.  Refuses (errno EINVAL)
 * anything fstat does not call a regular file.  *st gets the file's
 * fstat.  Returns the descriptor or -1 with errno.
 */
int sf_open_regular(int dirfd, const char *name, bool beneath,
    struct stat *st, bool *writable);

/*
 * sf_read_capped: read fd to its end into *p (malloc'd, *len bytes, not
 * NUL-terminated; free it).  Returns 0, or -1 with errno EFBIG when there
 * are more than cap bytes (nothing kept), ENOMEM or read(2)'s.
 */
int sf_read_capped(int fd, size_t cap, char **p, size_t *len);

/*
 * sf_tmp_open: create name in dirfd for writing, mode 0600, with O_CREAT
 * | O_EXCL | O_NOFOLLOW: an entry already there (a planted symbolic link
 * too) is never opened or followed: errno EEXIST.  Returns the descriptor
 * or -1 with errno.
 */
int sf_tmp_open(int dirfd, const char *name);

/*
 * The edit: from the old contents (old_len bytes; old_len 0 and no file
 * when exists is false) make the new ones in *out (malloc'd, *out_len
 * bytes).  Returns 0, or -1 with errno.
 */
typedef int (*sf_edit_fn)(const char *old, size_t old_len, bool exists,
    char **out, size_t *out_len, void *arg);

/*
 * sf_rewrite: open t's directory and file as above, read the file (at most
 * SAFEFILE_MAX bytes; a missing file reads as empty), call edit, and when
 * the contents change, write them: to a temporary file ".NAME.iccdXXXXXX"
 * beside it (O_EXCL, the original's mode and owner, fsync) renamed over
 * it, so readers see the old file or the new one; with t->inplace, or
 * when rename cannot
 * (EBUSY, EXDEV: a bind mount) or the owner cannot be kept (EPERM: the
 * identity is not root), rewrite in place through the descriptor that
 * was checked, which must be writable.  A missing file is created 0644.
 * A temporary file is removed on failure.
 *
 * Never blocks for long: the open is non-blocking, only regular files
 * are read or written, and at most SAFEFILE_MAX bytes are read.  (A FUSE
 * mount could stall a read, but the kernel refuses one mounted without
 * allow_other to every other uid, root included, before its server is
 * asked anything.)
 *
 * The file t->forbid names is refused (errno EPERM) once opened, before
 * anything is read.  Returns 0, or -1 with errno and a short reason in
 * err (no path: the caller names it), e.g. "the host's own hosts file
 * (never written)", "a symbolic link on the path (never followed)",
 * "not a regular file", "larger than 1048576 bytes".
 */
int sf_rewrite(const struct sf_target *t, sf_edit_fn edit, void *arg,
    char *err, size_t errlen);

#endif
