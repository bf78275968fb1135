/* journal.c: see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define HDR_LEN	8

struct journal {
	char	 path[PATH_MAX];
	int	 fd;
	off_t	 size;		/* whole records in the file */
	char	*buf;		/* the group being built */
	size_t	 len, cap;
	size_t	 nrec;		/* records in buf */
};

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib's crc32) -------------------- */

uint32_t
journal_crc32(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t crc = 0xffffffffu;

	/* Bitwise: records are small and a table would be global state. */
	while (len-- > 0) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
	}
	return ~crc;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

int
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX], *slash;
	int fd, rv;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rv = fsync(fd);
	close(fd);
	return rv;
}

/* pwrite_all: write len bytes of p at offset off, retrying short writes. */
static int
pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		if ((n = pwrite(fd, p, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* ---- reading -------------------------------------------------------------- */

/* read_file: the whole file at path into *buf (*len bytes); a missing
 * file is empty. */
static int
read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 0;
	ssize_t n;
	char *nb;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(*buf, cap)) == NULL)
				goto fail;
			*buf = nb;
		}
		n = read(fd, *buf + *len, cap - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return 0;
fail:
	n = errno;
	close(fd);
	free(*buf);
	*buf = NULL;
	errno = (int)n;
	return -1;
}

long
journal_read(const char *path,
    int (*fn)(const void *payload, size_t len, void *arg), void *arg,
    off_t *end)
{
	size_t len, off = 0;
	long nrec = 0;
	char *buf;
	int rv;

	if (end != NULL)
		*end = 0;
	if (read_file(path, &buf, &len) == -1)
		return -1;
	while (len - off >= HDR_LEN) {
		const uint8_t *h = (const uint8_t *)buf + off;
		uint32_t rlen = get_le32(h), crc = get_le32(h + 4);

		if (rlen == 0 || rlen > JOURNAL_RECORD_MAX ||
		    rlen > len - off - HDR_LEN ||
		    journal_crc32(h + HDR_LEN, rlen) != crc)
			break;		/* a torn or damaged tail */
		if (fn != NULL && (rv = fn(h + HDR_LEN, rlen, arg)) != 0) {
			free(buf);
			return rv;
		}
		off += HDR_LEN + rlen;
		nrec++;
	}
	free(buf);
	if (end != NULL)
		*end = (off_t)off;
	return nrec;
}

/* ---- appending ------------------------------------------------------------ */

struct journal *
journal_open(const char *path)
{
	struct journal *j;
	off_t end, size;
	bool created;
	int saved;

	if (strlen(path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	snprintf(j->path, sizeof(j->path), "%s", path);
	created = access(path, F_OK) == -1 && errno == ENOENT;
	if ((j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    journal_read(path, NULL, NULL, &end) == -1 ||
	    (size = lseek(j->fd, 0, SEEK_END)) == -1)
		goto fail;
	if (size != end && (ftruncate(j->fd, end) == -1 ||
	    fsync(j->fd) == -1))
		goto fail;
	if (created && fsync_dir_of(path) == -1)
		goto fail;
	j->size = end;
	return j;
fail:
	saved = errno;
	if (j->fd != -1)
		close(j->fd);
	free(j);
	errno = saved;
	return NULL;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	close(j->fd);
	free(j->buf);
	free(j);
}

int
journal_append(struct journal *j, const void *payload, size_t len)
{
	size_t need;
	char *nb;

	if (len == 0 || len > JOURNAL_RECORD_MAX) {
		errno = EINVAL;
		return -1;
	}
	need = j->len + HDR_LEN + len;
	if (need > j->cap) {
		size_t ncap = j->cap ? j->cap : 4096;

		while (ncap < need)
			ncap *= 2;
		if ((nb = realloc(j->buf, ncap)) == NULL)
			return -1;
		j->buf = nb;
		j->cap = ncap;
	}
	put_le32((uint8_t *)j->buf + j->len, (uint32_t)len);
	put_le32((uint8_t *)j->buf + j->len + 4, journal_crc32(payload, len));
	memcpy(j->buf + j->len + HDR_LEN, payload, len);
	j->len = need;
	j->nrec++;
	return 0;
}

size_t
journal_pending(const struct journal *j)
{
	return j->nrec;
}

void
journal_discard(struct journal *j)
{
	j->len = 0;
	j->nrec = 0;
}

void
journal_rewind(struct journal *j, size_t nrec)
{
	size_t off = 0;

	if (nrec >= j->nrec)
		return;
	for (size_t i = 0; i < nrec; i++)
		off += HDR_LEN + get_le32((const uint8_t *)j->buf + off);
	j->len = off;
	j->nrec = nrec;
}

int
journal_commit(struct journal *j)
{
	int saved;

	if (j->len == 0)
		return 0;
	if (pwrite_all(j->fd, j->buf, j->len, j->size) == -1 ||
	    fdatasync(j->fd) == -1)
		goto fail;
	j->size += (off_t)j->len;
	journal_discard(j);
	return 0;
fail:
	saved = errno;
	/* Best effort: a later group must not follow a torn one.  If even
	 * this fails, the next reader stops at the torn record anyway. */
	if (ftruncate(j->fd, j->size) == 0)
		(void)fdatasync(j->fd);
	journal_discard(j);
	errno = saved;
	return -1;
}

off_t
journal_size(const struct journal *j)
{
	return j->size;
}

int
journal_rotate(struct journal *j, const char *oldpath)
{
	int fd;

	if (j->len != 0) {
		errno = EBUSY;
		return -1;
	}
	if (access(oldpath, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (rename(j->path, oldpath) == -1)
		return -1;
	/* From here on the records are under oldpath; new ones go to a new
	 * file, whose name must be durable before its first group is
	 * acknowledged: one directory fsync covers the rename too. */
	if ((fd = open(j->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		int saved = errno;

		(void)rename(oldpath, j->path);
		errno = saved;
		return -1;
	}
	close(j->fd);
	j->fd = fd;
	j->size = 0;
	return fsync_dir_of(j->path);
}

int
journal_truncate(struct journal *j)
{
	if (ftruncate(j->fd, 0) == -1 || fsync(j->fd) == -1)
		return -1;
	j->size = 0;
	return 0;
}
