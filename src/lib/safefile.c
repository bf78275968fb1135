/* safefile.c: see safefile.h. */
#include "config.h"

#include "safefile.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2_H 1
#endif
#endif

#ifndef HAVE_OPENAT2_H
/* Linux 5.6's <linux/openat2.h>, for older headers. */
struct open_how {
	uint64_t	flags;
	uint64_t	mode;
	uint64_t	resolve;
};
#define RESOLVE_NO_MAGICLINKS	0x02
#define RESOLVE_NO_SYMLINKS	0x04
#define RESOLVE_BENEATH		0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2	437	/* the same number on every architecture */
#endif

/* walk_next: open one component below fd as O_PATH, never following. */
static int
walk_next(int fd, const char *comp, bool beneath)
{
	struct stat st;
	int nfd, e;

	if (strcmp(comp, "..") == 0 && beneath) {
		errno = EXDEV;
		return -1;
	}
	if ((nfd = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(nfd, &st) == -1)
		e = errno;
	else if (S_ISLNK(st.st_mode))
		e = ELOOP;
	else if (!S_ISDIR(st.st_mode))
		e = ENOTDIR;
	else
		return nfd;
	close(nfd);
	errno = e;
	return -1;
}

int
sf_open_walk(int dirfd, const char *path, int flags, mode_t mode,
    bool beneath)
{
	char buf[4096], *comp, *next;
	struct stat st;
	int fd, nfd, e;

	if (strlen(path) >= sizeof(buf) || path[0] == '\0') {
		errno = path[0] == '\0' ? ENOENT : ENAMETOOLONG;
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", path);
	if (path[0] == '/' && beneath) {
		errno = EXDEV;
		return -1;
	}
	fd = path[0] == '/' ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) :
	    openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	for (comp = buf; ; comp = next) {
		while (*comp == '/')
			comp++;
		if ((next = strchr(comp, '/')) != NULL)
			*next++ = '\0';
		while (next != NULL && *next == '/')
			next++;
		if (next != NULL && *next == '\0')
			next = NULL;
		if (next == NULL)
			break;		/* comp is the last component */
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		nfd = walk_next(fd, comp, beneath);
		e = errno;
		close(fd);
		if ((fd = nfd) == -1) {
			errno = e;
			return -1;
		}
	}
	if (*comp == '\0')
		comp = ".";
	if (strcmp(comp, "..") == 0 && beneath) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	/* The last one: a symbolic link is refused, not opened (O_PATH
	 * with O_NOFOLLOW would open the link itself). */
	if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	nfd = openat(fd, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	e = errno;
	close(fd);
	errno = e;
	return nfd;
}

int
sf_openat2(int dirfd, const char *path, int flags, mode_t mode, bool beneath)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
	    (beneath ? RESOLVE_BENEATH : 0);
	do
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd == -1 && errno == EINTR);
	if (fd == -1 && errno == ENOSYS)
		return sf_open_walk(dirfd, path, flags, mode, beneath);
	return (int)fd;
}

int
sf_open_regular(int dirfd, const char *name, bool beneath, struct stat *st,
    bool *writable)
{
	const int flags = O_NONBLOCK | O_NOCTTY;
	int fd, saved;

	*writable = true;
	fd = sf_openat2(dirfd, name, O_RDWR | flags, 0, beneath);
	/* Not writable (or a directory): open to read, to say why later. */
	if (fd == -1 && (errno == EACCES || errno == EPERM ||
	    errno == EROFS || errno == ETXTBSY || errno == EISDIR)) {
		*writable = false;
		fd = sf_openat2(dirfd, name, O_RDONLY | flags, 0, beneath);
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
sf_read_capped(int fd, size_t cap, char **p, size_t *len)
{
	size_t	 have = 0, room = 4096;
	char	*b = NULL, *nb;
	ssize_t	 r;

	for (;;) {
		if (have == room || b == NULL) {
			if (b != NULL)
				room *= 2;
			if (room > cap + 1)
				room = cap + 1;
			if ((nb = realloc(b, room)) == NULL) {
				free(b);
				errno = ENOMEM;
				return -1;
			}
			b = nb;
		}
		/* Read up to one byte past the cap: that byte means "too
		 * big", and no more is ever asked for (/dev/zero ends). */
		if ((r = read(fd, b + have, room - have)) == -1) {
			if (errno == EINTR)
				continue;
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		have += (size_t)r;
		if (have > cap) {
			free(b);
			errno = EFBIG;
			return -1;
		}
	}
	*p = b;
	*len = have;
	return 0;
}

int
sf_tmp_open(int dirfd, const char *name)
{
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
}

/* ---- sf_rewrite ------------------------------------------------------ */

/* What sf_rewrite works on. */
struct work {
	int		 dfd;		/* the directory, O_PATH */
	const char	*base;		/* the last component */
	int		 fd;		/* the file, or -1: missing */
	bool		 writable;	/* fd was opened read-write */
	struct stat	 st;		/* fd's, when fd != -1 */
	char		 tmp[64];	/* temporary name, "" when none */
};

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* why: the reason sf_rewrite reports for errno e. */
static const char *
why(int e)
{
	switch (e) {
	case ELOOP:	return "a symbolic link on the path (never followed)";
	case EXDEV:	return "leaves the allowed directory";
	case EINVAL:	return "not a regular file";
	case EFBIG:	return "larger than 1048576 bytes";
	default:	return strerror(e);
	}
}

/*
 * open_dir: split t->path into directory and last component and open the
 * directory (O_PATH: search permission is all the path needs).
 */
static int
open_dir(const struct sf_target *t, struct work *w, char *dir, size_t dlen)
{
	const char *slash = strrchr(t->path, '/');

	if (slash == NULL) {
		snprintf(dir, dlen, ".");
		w->base = t->path;
	} else {
		if ((size_t)(slash - t->path) + 2 > dlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		snprintf(dir, dlen, "%.*s", slash == t->path ? 1 :
		    (int)(slash - t->path), t->path);
		w->base = slash + 1;
	}
	if (w->base[0] == '\0' || strcmp(w->base, ".") == 0 ||
	    strcmp(w->base, "..") == 0) {
		errno = EISDIR;
		return -1;
	}
	w->dfd = sf_openat2(t->dirfd, dir, O_PATH | O_DIRECTORY, 0,
	    t->beneath);
	return w->dfd == -1 ? -1 : 0;
}

/*
 * tmp_fill: give the temporary file the original's mode and owner (a new
 * file: 0644 whatever the umask), then the contents.  Sets *inplace when
 * only the owner cannot be kept: an identity other than root cannot give
 * the file back, an in-place rewrite keeps it.
 */
static int
tmp_fill(int fd, const struct work *w, const char *p, size_t len,
    bool *inplace)
{
	mode_t mode = w->fd != -1 ? w->st.st_mode & 07777 : 0644;
	struct stat ts;

	if (fchmod(fd, mode) == -1)
		return -1;
	if (w->fd != -1) {
		if (fstat(fd, &ts) == -1)
			return -1;
		if ((ts.st_uid != w->st.st_uid || ts.st_gid != w->st.st_gid) &&
		    fchown(fd, w->st.st_uid, w->st.st_gid) == -1) {
			*inplace = errno == EPERM;
			return -1;
		}
		/* fchown may clear set-id bits; put the mode back. */
		if (fchmod(fd, mode) == -1)
			return -1;
	}
	if (write_all(fd, p, len) == -1 || fsync(fd) == -1)
		return -1;
	return 0;
}

/* tmp_create: a fresh ".BASE.iccdXXXXXX" in the directory. */
static int
tmp_create(struct work *w)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[6];
	int fd = -1;

	for (int tries = 0; fd == -1 && tries < 16; tries++) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		snprintf(w->tmp, sizeof(w->tmp), ".%.32s.iccd%c%c%c%c%c%c",
		    w->base, set[r[0] % 36], set[r[1] % 36], set[r[2] % 36],
		    set[r[3] % 36], set[r[4] % 36], set[r[5] % 36]);
		if ((fd = sf_tmp_open(w->dfd, w->tmp)) == -1 &&
		    errno != EEXIST)
			break;
	}
	if (fd == -1)
		w->tmp[0] = '\0';
	return fd;
}

/*
 * replace_atomic: write p to a temporary file beside the target and
 * rename it over the target.  *inplace is set when the caller should
 * rewrite in place instead.
 */
static int
replace_atomic(struct work *w, const char *p, size_t len, bool *inplace)
{
	int fd, dfd, saved;

	*inplace = false;
	if ((fd = tmp_create(w)) == -1) {
		/* The directory is not writable: the file itself may be. */
		*inplace = errno == EACCES || errno == EPERM ||
		    errno == EROFS;
		return -1;
	}
	if (tmp_fill(fd, w, p, len, inplace) == -1) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || renameat(w->dfd, w->tmp, w->dfd,
	    w->base) == -1) {
		saved = errno;
		*inplace = saved == EBUSY || saved == EXDEV;
		goto fail;
	}
	w->tmp[0] = '\0';
	/* Make the rename durable; best effort (some file systems refuse
	 * fsync on a directory, and the data is safe either way). */
	if ((dfd = openat(w->dfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	(void)unlinkat(w->dfd, w->tmp, 0);
	w->tmp[0] = '\0';
	errno = saved;
	return -1;
}

/*
 * rewrite_in_place: through the descriptor that passed the checks.  The
 * new bytes go over the old before the cut to length, so that a resolver
 * reading meanwhile sees the new lines, never an empty file.
 */
static int
rewrite_in_place(struct work *w, const char *p, size_t len)
{
	if (w->fd == -1 || !w->writable) {
		errno = EACCES;
		return -1;
	}
	if (lseek(w->fd, 0, SEEK_SET) == -1 || write_all(w->fd, p, len) == -1 ||
	    ftruncate(w->fd, (off_t)len) == -1 || fsync(w->fd) == -1)
		return -1;
	return 0;
}

/* write_new: replace the file's contents with p (len bytes); always in
 * place when inplace and the file exists. */
static int
write_new(struct work *w, const char *p, size_t len, bool inplace)
{
	if (inplace && w->fd != -1)
		return rewrite_in_place(w, p, len);
	if (replace_atomic(w, p, len, &inplace) == 0)
		return 0;
	if (!inplace)
		return -1;
	return rewrite_in_place(w, p, len);
}

int
sf_rewrite(const struct sf_target *t, sf_edit_fn edit, void *arg,
    char *err, size_t errlen)
{
	struct work	 w = { .dfd = -1, .fd = -1 };
	char		 dir[4096], *old = NULL, *nb = NULL;
	size_t		 olen = 0, nlen = 0;
	int		 rv = -1, saved;
	bool		 forbidden = false;

	if (open_dir(t, &w, dir, sizeof(dir)) == -1)
		goto out;
	w.fd = sf_open_regular(w.dfd, w.base, t->beneath, &w.st, &w.writable);
	if (w.fd == -1 && errno != ENOENT)
		goto out;
	if (w.fd != -1 && t->forbid != NULL && w.st.st_dev == t->forbid->dev &&
	    w.st.st_ino == t->forbid->ino) {
		errno = EPERM;
		forbidden = true;
		goto out;
	}
	if (w.fd != -1 && sf_read_capped(w.fd, SAFEFILE_MAX, &old, &olen) == -1)
		goto out;
	if (edit(old, olen, w.fd != -1, &nb, &nlen, arg) == -1)
		goto out;
	/* Nothing to change: leave the file (and its inode) alone.  Not
	 * when it could not be opened for writing: then the write is done
	 * anyway, so that it fails as any later one would. */
	if (w.fd != -1 && w.writable && nlen == olen && (nlen == 0 ||
	    memcmp(nb, old, nlen) == 0))
		rv = 0;
	else
		rv = write_new(&w, nb, nlen, t->inplace);
out:
	saved = errno;
	if (rv == -1)
		snprintf(err, errlen, "%s", forbidden ? "the host's own hosts "
		    "file (never written)" : why(saved));
	free(old);
	free(nb);
	if (w.fd != -1)
		close(w.fd);
	if (w.dfd != -1)
		close(w.dfd);
	errno = saved;
	return rv;
}
