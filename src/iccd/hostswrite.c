/* hostswrite.c: see hostswrite.h. */
#include "config.h"

#include "hostswrite.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linkdata.h"
#include "safefile.h"

int
hostsdirs_add(struct hostsdirs *hd, const char *dir, char *err,
    size_t errlen)
{
	char real[PATH_MAX], **nv;
	struct stat st;

	if (realpath(dir, real) == NULL || stat(real, &st) == -1) {
		snprintf(err, errlen, "--hosts-dir %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--hosts-dir %s: not a directory", dir);
		errno = ENOTDIR;
		return -1;
	}
	if ((nv = realloc(hd->v, (hd->n + 1) * sizeof(*nv))) == NULL ||
	    (nv[hd->n] = strdup(real)) == NULL) {
		if (nv != NULL)
			hd->v = nv;
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	hd->v = nv;
	hd->n++;
	return 0;
}

void
hostsdirs_free(struct hostsdirs *hd)
{
	for (size_t i = 0; i < hd->n; i++)
		free(hd->v[i]);
	free(hd->v);
	memset(hd, 0, sizeof(*hd));
}

/*
 * beneath: the part of path below one of hd's directories ("a/hosts"), or
 * NULL.  Textual: RESOLVE_BENEATH then refuses a ".." that climbs out.
 */
static const char *
beneath(const struct hostsdirs *hd, const char *path, const char **dir)
{
	for (size_t i = 0; i < hd->n; i++) {
		size_t len = strlen(hd->v[i]);

		if (strcmp(hd->v[i], "/") == 0 && path[0] == '/') {
			*dir = hd->v[i];
			return path + 1;
		}
		if (strncmp(path, hd->v[i], len) == 0 && path[len] == '/' &&
		    path[len + 1] != '\0') {
			*dir = hd->v[i];
			return path + len + 1;
		}
	}
	return NULL;
}

int
hostswrite(const struct hostsdirs *hd, const struct peer_cred *who,
    const char *path, const char *host_hosts, char *const *owned,
    size_t nowned, char *const *lines, size_t nlines, char *err,
    size_t errlen)
{
	struct sf_target	 t = { AT_FDCWD, path, false, NULL, true };
	struct file_id		 forbid;
	struct cred_saved	 saved;
	struct stat		 st;
	const char		*rel, *dir = NULL;
	int			 rv, saved_errno;

	if (host_hosts != NULL && stat(host_hosts, &st) == 0) {
		forbid.dev = st.st_dev;
		forbid.ino = st.st_ino;
		t.forbid = &forbid;
	}
	if ((rel = beneath(hd, path, &dir)) != NULL) {
		/* The admin's directory: as root, never out of it. */
		if ((t.dirfd = sf_openat2(AT_FDCWD, dir, O_PATH | O_DIRECTORY,
		    0, false)) == -1) {
			snprintf(err, errlen, "--hosts-dir %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		t.path = rel;
		t.beneath = true;
		rv = hosts_file_sync(&t, owned, nowned, lines, nlines, err,
		    errlen);
		saved_errno = errno;
		close(t.dirfd);
		errno = saved_errno;
		return rv;
	}
	if (who == NULL) {
		snprintf(err, errlen, "registered by an iccd that did not "
		    "record who asked, and under no --hosts-dir");
		errno = EPERM;
		return -1;
	}
	if (who->uid == 0)
		return hosts_file_sync(&t, owned, nowned, lines, nlines, err,
		    errlen);
	if (peer_cred_enter(who, &saved, err, errlen) == -1)
		return -1;
	rv = hosts_file_sync(&t, owned, nowned, lines, nlines, err, errlen);
	saved_errno = errno;
	peer_cred_leave(&saved);
	errno = saved_errno;
	return rv;
}
