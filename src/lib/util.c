/* util.c: see util.h. */
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- strvec --------------------------------------------------------- */

/*
 * The array keeps a NULL after its last string, so that v can be handed to
 * execve(2) or putenv loops as is.
 */
static int
strvec_take(struct strvec *sv, char *s)
{
	char	**v;
	size_t	  cap;

	if (sv->n + 2 > sv->cap) {
		cap = sv->cap ? sv->cap * 2 : 16;
		if (cap > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(sv->v, cap * sizeof(*v))) == NULL) {
			free(s);
			errno = ENOMEM;
			return -1;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int
strvec_push(struct strvec *sv, const char *s)
{
	char *copy;

	if ((copy = strdup(s)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return strvec_take(sv, copy);
}

int
strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return strvec_take(sv, s);
}

void
strvec_cut(struct strvec *sv, size_t n)
{
	while (sv->n > n)
		free(sv->v[--sv->n]);
	if (sv->v != NULL)
		sv->v[sv->n] = NULL;
}

void
strvec_free(struct strvec *sv)
{
	strvec_cut(sv, 0);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/* ---- arrays and files ------------------------------------------------ */

int
grow_array(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap != 0 ? *cap * 2 : 16;
	void *nv;

	if (n < *cap)
		return 0;
	if ((nv = reallocarray(*v, ncap, size)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	*v = nv;
	*cap = ncap;
	return 0;
}

int
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

/* ---- error lines ------------------------------------------------------ */

int
verrf(char *err, size_t len, int errnum, const char *fmt, va_list ap)
{
	if (err != NULL && len > 0)
		vsnprintf(err, len, fmt, ap);
	if (errnum != 0)
		errno = errnum;
	return -1;
}

int
errf(char *err, size_t len, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(err, len, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

void
str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}
