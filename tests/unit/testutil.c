/* testutil.c: see testutil.h. */
#define _GNU_SOURCE		/* nftw's FTW_PHYS, setgroups */

#include "testutil.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

/*
 * tu_tmpbase: make $TMPDIR/NAME.XXXXXX (P_tmpdir when TMPDIR is unset or
 * empty), mode 0755, its path into buf.  Outside a test: abort on failure.
 */
static void
tu_tmpbase(char *buf, size_t len, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/%s.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : P_tmpdir, name);
	if (mkdtemp(buf) == NULL || chmod(buf, 0755) == -1) {
		perror(buf);
		abort();
	}
}

/* tu_tmpdir: make BASE/t.XXXXXX, mode 0755, its path into buf. */
static void
tu_tmpdir(char *buf, size_t len, const char *base)
{
	snprintf(buf, len, "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(buf));
	ck_assert_int_eq(chmod(buf, 0755), 0);
}

char tu_base[512], tu_dir[600];

void
tu_base_setup(void)
{
	tu_tmpbase(tu_base, sizeof(tu_base), "check_iccd");
}

void
tu_base_teardown(void)
{
	tu_rm_rf(tu_base);
}

void
tu_dir_setup(void)
{
	tu_tmpdir(tu_dir, sizeof(tu_dir), tu_base);
}

void
tu_dir_teardown(void)
{
	tu_rm_rf(tu_dir);
}

const char *
tu_path(const char *name)
{
	static char p[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tu_dir, name);
	return p[k];
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void
tu_rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
tu_spit(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

char *
tu_slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*p;
	long	 sz;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	ck_assert_int_ge(sz, 0);
	rewind(f);
	p = malloc((size_t)sz + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)sz, f), (size_t)sz);
	p[sz] = '\0';
	fclose(f);
	*len = (size_t)sz;
	return p;
}

int
tu_drop_to(uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups)
{
	if (setgroups(ngroups, groups) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1)
		return -1;
	return 0;
}
