/*
 * elemcache.c: the start's cache of the derived elements (elemcache.h):
 * stamp, write, read and check.
 */
#include "elemcache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"
#include "parse.h"
#include "state.h"

#define MAGIC		"ICCDELC\n"
#define HDR_LEN		48
#define SUM_OFF		40		/* the checksum's place in the header */
#define ELEM_LEN	40
#define CLOSED_LEN	16
#define BIND_LEN	(1 + BELEM_KEY_MAX)
#define F_ICC_ON	0x1u

/* An element record is struct icc_elem's own bytes (read in place). */
_Static_assert(sizeof(struct icc_elem) == ELEM_LEN, "icc_elem size");
_Static_assert(offsetof(struct icc_elem, first) == 2, "icc_elem.first");
_Static_assert(offsetof(struct icc_elem, last) == 4, "icc_elem.last");
_Static_assert(offsetof(struct icc_elem, recv) == 8, "icc_elem.recv");
_Static_assert(offsetof(struct icc_elem, src) == 24, "icc_elem.src");

/* ---- the checksum ----------------------------------------------------------- */

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/*
 * The checksum: 8 bytes a step, h = rotl((h ^ w) * K, 31): each step is a
 * bijection of h for a given word, and of the word for a given h, so any
 * one changed word changes the sum; ~10x faster than journal.c's bitwise
 * CRC-32 (a 4 MB cache is read on the start's critical path).  Streamed:
 * every part but the last a multiple of 8 bytes long.
 */
#define SUM_SEED	0x243f6a8885a308d3ULL

static uint64_t
sum_add(uint64_t h, const void *p, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	const unsigned char *b = p;
	uint64_t w;

	for (; len >= 8; b += 8, len -= 8) {
		memcpy(&w, b, 8);
		h = rotl((h ^ w) * k, 31);
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, b, len);
		h = rotl((h ^ w) * k, 31);
	}
	return h;
}

static uint64_t
sum_end(uint64_t h, size_t total)
{
	h ^= total;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

uint64_t
elemcache_sum(const void *p, size_t len)
{
	return sum_end(sum_add(SUM_SEED, p, len), len);
}

/* ---- the stamp ---------------------------------------------------------------- */

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return rotl((h ^ v) * 0x9e3779b97f4a7c15ULL, 29);
}

static uint64_t
mix_stat(uint64_t h, const struct stat *st)
{
	h = mix(h, (uint64_t)st->st_dev);
	h = mix(h, (uint64_t)st->st_ino);
	h = mix(h, (uint64_t)st->st_size);
	h = mix(h, (uint64_t)st->st_mtim.tv_sec);
	h = mix(h, (uint64_t)st->st_mtim.tv_nsec);
	h = mix(h, (uint64_t)st->st_ctim.tv_sec);
	return mix(h, (uint64_t)st->st_ctim.tv_nsec);
}

int
elemcache_stamp(const char *dir, uint64_t *gen)
{
	char path[PATH_MAX];
	struct stat st;
	uint64_t h = 0x13198a2e03707344ULL;

	snprintf(path, sizeof(path), "%s/c", dir);
	if (stat(path, &st) == -1)
		return -1;
	h = mix_stat(h, &st);
	snprintf(path, sizeof(path), "%s/bridges.json", dir);
	if (stat(path, &st) == -1)
		memset(&st, 0, sizeof(st));
	*gen = mix_stat(h, &st);
	return 0;
}

/* ---- write ---------------------------------------------------------------------- */

static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put_elem(unsigned char *p, const struct icc_elem *e)
{
	size_t alen = e->family == AF_INET ? 4 : 16;

	memset(p, 0, ELEM_LEN);
	p[0] = e->family;
	p[1] = e->proto;
	memcpy(p + 2, &e->first, 2);
	memcpy(p + 4, &e->last, 2);
	memcpy(p + 8, &e->recv, alen);
	memcpy(p + 24, &e->src, alen);
}

/* encode: c as the file's bytes (*len of them, malloc'd) or NULL; the
 * elements must be sorted and distinct (elemcache_write makes them so). */
static unsigned char *
encode(const struct elemcache *c, size_t *len)
{
	unsigned char *buf, *p;
	uint64_t sum;
	size_t i;

	*len = HDR_LEN + c->elems.n * ELEM_LEN + c->closed.n * CLOSED_LEN +
	    c->binds.n * BIND_LEN;
	if (c->elems.n > UINT32_MAX || c->binds.n > UINT32_MAX ||
	    *len > ELEMCACHE_MAX || (buf = calloc(1, *len)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(buf, MAGIC, 8);
	put32(buf + 8, ELEMCACHE_VERSION);
	put32(buf + 12, c->icc_on ? F_ICC_ON : 0);
	memcpy(buf + 16, &c->generation, 8);
	put32(buf + 24, (uint32_t)c->elems.n);
	put32(buf + 28, (uint32_t)c->closed.n);
	put32(buf + 32, (uint32_t)c->binds.n);
	p = buf + HDR_LEN;
	for (i = 0; i < c->elems.n; i++, p += ELEM_LEN)
		put_elem(p, &c->elems.v[i]);
	for (i = 0; i < c->closed.n; i++, p += CLOSED_LEN)
		strncpy((char *)p, c->closed.v[i], CLOSED_LEN - 1);
	for (i = 0; i < c->binds.n; i++, p += BIND_LEN) {
		p[0] = c->binds.v[i].set;
		memcpy(p + 1, c->binds.v[i].key, BELEM_KEY_MAX);
	}
	sum = elemcache_sum(buf, *len);
	memcpy(buf + SUM_OFF, &sum, 8);
	return buf;
}

int
elemcache_write(const char *dir, const struct elemcache *c)
{
	char path[PATH_MAX];
	unsigned char *buf;
	size_t len;
	int rv, saved;

	if ((buf = encode(c, &len)) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, ELEMCACHE_FILE);
	rv = state_write_bytes(path, buf, len, true);
	saved = errno;
	free(buf);
	errno = saved;
	return rv;
}

/* ---- read ------------------------------------------------------------------------ */

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static bool
all_zero(const unsigned char *p, size_t n)
{
	while (n > 0)
		if (p[--n] != 0)
			return false;
	return true;
}

/* elem_ok: a record read in place: one iccd can have made. */
static bool
elem_ok(const struct icc_elem *e)
{
	const unsigned char *p = (const unsigned char *)e;
	size_t alen = e->family == AF_INET ? 4 : 16;

	/* A pair (receiver . source, proto 0, no port) gates its ranges. */
	bool pair = e->proto == 0 && e->first == 0 && e->last == 0;

	return (e->family == AF_INET || e->family == AF_INET6) &&
	    (pair || ((e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP ||
	    e->proto == IPPROTO_SCTP) && e->first != 0 &&
	    e->first <= e->last)) && p[6] == 0 && p[7] == 0 &&
	    all_zero(p + 8 + alen, 16 - alen) &&
	    all_zero(p + 24 + alen, 16 - alen);
}

static bool
get_bind(const unsigned char *p, struct icc_belem *e)
{
	if (p[0] >= ICC_BSET_NR || !all_zero(p + 1 + bset_keylen(p[0]),
	    BELEM_KEY_MAX - bset_keylen(p[0])))
		return false;
	e->set = p[0];
	memcpy(e->key, p + 1, BELEM_KEY_MAX);
	return true;
}

/* check_elems: every element valid, in strictly increasing order (so
 * distinct: what the kernel holds is the list itself). */
static int
check_elems(const struct elemvec *ev, char *err, size_t errlen)
{
	for (size_t i = 0; i < ev->n; i++)
		if (!elem_ok(&ev->v[i]) || (i > 0 &&
		    elem_cmp(&ev->v[i - 1], &ev->v[i]) >= 0))
			return errf(err, errlen, EINVAL, "%s: element %zu is "
			    "not one iccd makes, or out of order",
			    ELEMCACHE_FILE, i + 1);
	return 0;
}

/* decode_rest: the closed bridges and bindings (nc, nb) at p. */
static int
decode_rest(const unsigned char *p, size_t nc, size_t nb,
    struct elemcache *c, char *err, size_t errlen)
{
	char name[CLOSED_LEN];
	const char *why;
	struct icc_belem be;
	size_t i;

	for (i = 0; i < nc; i++, p += CLOSED_LEN) {
		memcpy(name, p, CLOSED_LEN);
		if (name[CLOSED_LEN - 1] != '\0' || parse_ifname(name, &why) ||
		    !all_zero(p + strlen(name), CLOSED_LEN - strlen(name)))
			return errf(err, errlen, EINVAL, "%s: closed bridge "
			    "%zu: not a bridge name", ELEMCACHE_FILE, i + 1);
		if (strvec_push(&c->closed, name) == -1)
			return errf(err, errlen, ENOMEM, "out of memory");
	}
	for (i = 0; i < nb; i++, p += BIND_LEN)
		if (!get_bind(p, &be) || belemvec_push(&c->binds, &be) == -1)
			return errf(err, errlen, EINVAL, "%s: binding %zu is "
			    "not one iccd makes", ELEMCACHE_FILE, i + 1);
	return 0;
}

/* check_header: magic, version, flags, and the size its counts make. */
static int
check_header(const unsigned char *h, size_t size, char *err, size_t errlen)
{
	uint64_t ne = get32(h + 24), nc = get32(h + 28), nb = get32(h + 32);

	if (memcmp(h, MAGIC, 8) != 0)
		return errf(err, errlen, EINVAL, "%s: not a cache file",
		    ELEMCACHE_FILE);
	if (get32(h + 8) != ELEMCACHE_VERSION)
		return errf(err, errlen, EINVAL, "%s: version %u, not %u",
		    ELEMCACHE_FILE, get32(h + 8), ELEMCACHE_VERSION);
	if ((get32(h + 12) & ~F_ICC_ON) != 0 || get32(h + 36) != 0)
		return errf(err, errlen, EINVAL, "%s: unknown flags",
		    ELEMCACHE_FILE);
	if (size != HDR_LEN + ne * ELEM_LEN + nc * CLOSED_LEN + nb * BIND_LEN)
		return errf(err, errlen, EINVAL, "%s: size does not match its "
		    "counts (truncated?)", ELEMCACHE_FILE);
	return 0;
}

/* read_exact: len bytes of fd into p; -1 with a line in err. */
static int
read_exact(int fd, void *p, size_t len, char *err, size_t errlen)
{
	size_t got = 0;
	ssize_t n = 0;

	while (got < len && (n = read(fd, (char *)p + got, len - got)) > 0)
		got += (size_t)n;
	if (got == len)
		return 0;
	return errf(err, errlen, EINVAL, "%s: %s", ELEMCACHE_FILE, n == -1 ?
	    strerror(errno) : "changed while read");
}

/* open_checked: the cache, a regular file of a trusted owner, opened
 * without following a link; *size gets its size.  -1: ENOENT, or err. */
static int
open_checked(const char *path, size_t *size, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -1;
		return errf(err, errlen, errno, "%s: %s", ELEMCACHE_FILE,
		    errno == ELOOP ? "a symbolic link (never followed)" :
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1)
		snprintf(err, errlen, "%s: %s", ELEMCACHE_FILE, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: not a regular file", ELEMCACHE_FILE);
	else if (fsafe_stat(&st, ELEMCACHE_FILE, err, errlen) == -1)
		;	/* err says whose it is, or its mode */
	else if ((size_t)st.st_size > ELEMCACHE_MAX)
		snprintf(err, errlen, "%s: larger than %lu bytes",
		    ELEMCACHE_FILE, ELEMCACHE_MAX);
	else if (st.st_size < HDR_LEN)
		snprintf(err, errlen, "%s: not a cache file", ELEMCACHE_FILE);
	else {
		*size = (size_t)st.st_size;
		return fd;
	}
	close(fd);
	errno = EINVAL;
	return -1;
}

/*
 * read_parts: the header, then the elements straight into c->elems (the
 * records are struct icc_elem's bytes: no second copy of 4 MB), then the
 * rest; the checksum over all of it.
 */
static int
read_parts(int fd, size_t size, struct elemcache *c, char *err,
    size_t errlen)
{
	unsigned char h[HDR_LEN], *rest = NULL;
	size_t ne, nrest;
	uint64_t want, sum;
	int rv = -1;

	if (read_exact(fd, h, HDR_LEN, err, errlen) == -1 ||
	    check_header(h, size, err, errlen) == -1)
		return -1;
	ne = get32(h + 24);
	nrest = size - HDR_LEN - ne * ELEM_LEN;
	if ((c->elems.v = malloc((ne + 1) * sizeof(struct icc_elem))) ==
	    NULL || (rest = malloc(nrest + 1)) == NULL)
		goto nomem;
	c->elems.cap = ne + 1;
	if (read_exact(fd, c->elems.v, ne * ELEM_LEN, err, errlen) == -1 ||
	    read_exact(fd, rest, nrest, err, errlen) == -1)
		goto out;
	c->elems.n = ne;
	memcpy(&want, h + SUM_OFF, 8);
	memset(h + SUM_OFF, 0, 8);
	sum = sum_add(SUM_SEED, h, HDR_LEN);
	sum = sum_add(sum, c->elems.v, ne * ELEM_LEN);
	if (sum_end(sum_add(sum, rest, nrest), size) != want) {
		errf(err, errlen, EINVAL, "%s: checksum mismatch",
		    ELEMCACHE_FILE);
		goto out;
	}
	memcpy(&c->generation, h + 16, 8);
	c->icc_on = (get32(h + 12) & F_ICC_ON) != 0;
	if (check_elems(&c->elems, err, errlen) == 0)
		rv = decode_rest(rest, get32(h + 28), get32(h + 32), c, err,
		    errlen);
	goto out;
nomem:
	errf(err, errlen, ENOMEM, "out of memory");
out:
	free(rest);
	return rv;
}

int
elemcache_read(const char *dir, struct elemcache *c, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	size_t size = 0;
	int fd, rv;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, ELEMCACHE_FILE);
	if ((fd = open_checked(path, &size, err, errlen)) == -1)
		return -1;
	rv = read_parts(fd, size, c, err, errlen);
	close(fd);
	if (rv == -1) {
		elemcache_free(c);
		errno = EINVAL;
	}
	return rv;
}

/* journal_empty: dir/name is absent or holds no byte. */
static bool
journal_empty(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == -1 ? errno == ENOENT : st.st_size == 0;
}

bool
elemcache_current(const char *dir, const struct elemcache *c, bool icc_on,
    char *err, size_t errlen)
{
	uint64_t now;

	if (c->icc_on != icc_on) {
		snprintf(err, errlen, "%s: made with --icc %s", ELEMCACHE_FILE,
		    c->icc_on ? "on" : "off");
		return false;
	}
	if (!journal_empty(dir, STATE_JOURNAL) ||
	    !journal_empty(dir, STATE_JOURNAL_OLD)) {
		snprintf(err, errlen, "%s: stale: the journal holds newer "
		    "changes", ELEMCACHE_FILE);
		return false;
	}
	if (elemcache_stamp(dir, &now) == -1 || now != c->generation) {
		snprintf(err, errlen, "%s: stale: the state changed since it "
		    "was written", ELEMCACHE_FILE);
		return false;
	}
	return true;
}

void
elemcache_free(struct elemcache *c)
{
	elemvec_free(&c->elems);
	strvec_free(&c->closed);
	belemvec_free(&c->binds);
}
