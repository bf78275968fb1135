/* fsafe.c: see fsafe.h. */
#include "fsafe.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

static bool
trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

int
fsafe_stat(const struct stat *st, const char *path, char *err, size_t len)
{
	if (!trusted_owner(st->st_uid))
		return errf(err, len, EPERM, "%s: owned by uid %lu, not root",
		    path, (unsigned long)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return errf(err, len, EPERM, "%s: writable by group or others "
		    "(mode %04o)", path, (unsigned)(st->st_mode & 07777));
	return 0;
}

/* ancestor_ok: dir, a directory above path (what's value). */
static int
ancestor_ok(const char *what, const char *path, const char *dir, char *err,
    size_t len)
{
	char msg[PATH_MAX + 64];
	struct stat st;

	if (lstat(dir, &st) == -1)
		return errf(err, len, 0, "%s %s: %s: %s", what, path, dir,
		    strerror(errno));
	/* Sticky and root's: others may add entries but not touch ours. */
	if (st.st_uid == 0 && (st.st_mode & S_ISVTX))
		return 0;
	if (fsafe_stat(&st, dir, msg, sizeof(msg)) == -1)
		return errf(err, len, EPERM, "%s %s: %s", what, path, msg);
	return 0;
}

int
fsafe_dir(const char *what, const char *path, char *err, size_t len)
{
	char real[PATH_MAX], msg[PATH_MAX + 64], *slash;
	struct stat st;

	if (realpath(path, real) == NULL)
		return errf(err, len, 0, "%s %s: %s", what, path,
		    strerror(errno));
	if (stat(real, &st) == -1)
		return errf(err, len, 0, "%s %s: %s", what, path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errf(err, len, ENOTDIR, "%s %s: not a directory", what,
		    path);
	if (fsafe_stat(&st, path, msg, sizeof(msg)) == -1)
		return errf(err, len, EPERM, "%s %s", what, msg);
	/* Then every directory above, up to "/". */
	while ((slash = strrchr(real, '/')) != NULL) {
		if (slash == real) {
			real[1] = '\0';
			return ancestor_ok(what, path, real, err, len);
		}
		*slash = '\0';
		if (ancestor_ok(what, path, real, err, len) == -1)
			return -1;
	}
	return 0;
}
