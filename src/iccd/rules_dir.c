/*
 * rules_dir.c: rules_load_dir (rules.h): the *.rules files of a directory,
 * read safely (regular files only, root's alone, no symbolic links, a size
 * limit) and parsed in name order by rules.c's parser into one result.
 */
#include "rules.h"
#include "rules_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"

/*
 * read_file: the whole of dfd/name (path, for errors) into a malloc'd
 * *buf.  O_NONBLOCK: opening a FIFO called x.rules must not hang iccd
 * (regular files ignore it).  O_NOFOLLOW: a symbolic link is refused, so
 * no rules file leads outside the directory (to /etc/shadow, say).  The
 * file must be root's alone, as the directory is.
 */
static int
read_file(int dfd, const char *name, const char *path, char **buf,
    size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	ssize_t got;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ELOOP)
			goto syserr;
		snprintf(err, errlen, "%s: a symbolic link (not followed: rules "
		    "files must be regular files in the directory)", path);
		goto fail;
	}
	if (fstat(fd, &st) == -1)
		goto syserr;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (fsafe_stat(&st, path, err, errlen) == -1)
		goto fail;
	/* One byte more than allowed, to see a file that grew past it. */
	if ((b = malloc(RULES_FILE_MAX + 1)) == NULL) {
		errno = ENOMEM;
		goto syserr;
	}
	while (n <= RULES_FILE_MAX &&
	    (got = read(fd, b + n, RULES_FILE_MAX + 1 - n)) != 0) {
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			goto syserr;
		n += (size_t)got;
	}
	if (n > RULES_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path,
		    RULES_FILE_MAX);
		goto fail;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
syserr:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
fail:
	if (fd != -1)
		close(fd);
	free(b);
	return -1;
}

static int
is_rules_name(const char *name)
{
	size_t n = strlen(name), sn = strlen(RULES_SUFFIX);

	return name[0] != '.' && n > sn &&
	    strcmp(name + n - sn, RULES_SUFFIX) == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * list_dir: the *.rules names in dir, sorted.  Returns 0 (*names NULL and
 * *n 0 when dir does not exist), or -1 with err set.
 */
static int
list_dir(const char *dir, char ***names, size_t *n, char *err, size_t errlen)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cap = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (errno = 0, (de = readdir(d)) != NULL) {
		if (!is_rules_name(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap != 0 ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto nomem;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			goto nomem;
		(*n)++;
	}
	if (errno != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", dir);
fail:
	closedir(d);
	names_free(v, *n);
	*n = 0;
	return -1;
}

/* load_one: read and parse dir/name (open at dfd) into p. */
static int
load_one(struct parser *p, int dfd, const char *dir, const char *name)
{
	size_t dlen = strlen(dir), len, plen;
	char *path, *buf;
	int rv;

	/* "dir/name", without doubling a '/' that ends dir. */
	while (dlen > 0 && dir[dlen - 1] == '/')
		dlen--;
	plen = dlen + 1 + strlen(name) + 1;
	if ((path = malloc(plen)) == NULL) {
		snprintf(p->err, p->errlen, "%s: out of memory", dir);
		return -1;
	}
	snprintf(path, plen, "%.*s/%s", (int)dlen, dir, name);
	if ((rv = read_file(dfd, name, path, &buf, &len, p->err,
	    p->errlen)) == 0) {
		rv = rules_parse_file(p, path, buf, len);
		free(buf);
	}
	free(path);
	return rv;
}

/* finish_empty: no directory, no rules (as rules_finish, nothing read). */
static int
finish_empty(struct rules *out)
{
	rules_free(out);
	return 0;
}

int
rules_load_dir(const char *dir, struct rules *out, char *err, size_t errlen)
{
	struct parser p;
	struct rules nr;
	char **names;
	size_t n, i;
	int dfd, rv = 0;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return finish_empty(out);
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fsafe_dir("rules directory", dir, err, errlen) == -1 ||
	    list_dir(dir, &names, &n, err, errlen) == -1) {
		close(dfd);
		return -1;
	}
	rules_parser_init(&p, &nr, err, errlen);
	for (i = 0; i < n && rv == 0; i++)
		rv = load_one(&p, dfd, dir, names[i]);
	names_free(names, n);
	close(dfd);
	return rules_finish(&p, &nr, out, rv);
}
