/*
 * util.h: generic helpers shared by every program: a growable array of
 * strings, growing an array, writing a whole buffer, and the one way of
 * formatting an error line into a caller's buffer.  Nothing here knows
 * about containers, nftables or the control protocol.
 */
#ifndef ICCD_UTIL_H
#define ICCD_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/* A growable array of malloc'd strings; zero-initialise. */
struct strvec {
	char	**v;
	size_t	  n, cap;
};

/*
 * strvec_push: append a copy of s; 0 or -1 with errno ENOMEM.  v always
 * holds a NULL after its last string (execve(2) style).
 */
int strvec_push(struct strvec *sv, const char *s);
/* strvec_pushf: append a formatted string; 0 or -1 with errno ENOMEM. */
int strvec_pushf(struct strvec *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* strvec_cut: free the strings from index n on; the first n stay. */
void strvec_cut(struct strvec *sv, size_t n);
/* strvec_free: free every string and the array; sv is empty again. */
void strvec_free(struct strvec *sv);

/*
 * grow_array: make room in *v (an array of *cap elements of `size` bytes, n of
 * them used) for one more, doubling *cap (first 16).  Returns 0 (*v and
 * *cap possibly changed), or -1 with errno ENOMEM (*v untouched).
 */
int grow_array(void **v, size_t *cap, size_t n, size_t size);

/*
 * str_copy: src into dst (size bytes, size > 0), cut short if need be and
 * always terminated: snprintf's "%s" without its cost (a start copies
 * every link of every container).
 */
void str_copy(char *dst, size_t size, const char *src);

/*
 * write_all: write len bytes of p to fd with write(2), retrying short
 * writes and EINTR.  Returns 0, or -1 with write(2)'s errno (part of p may
 * have been written).
 */
int write_all(int fd, const void *p, size_t len);

/*
 * errf: format one error line into err (len bytes; nothing when err is
 * NULL or len 0), set errno to errnum unless it is 0, and return -1: the
 * tail of every function that reports to a caller's buffer.  verrf: the
 * same with a va_list, for helpers that add their own prefix or code.
 */
int errf(char *err, size_t len, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int verrf(char *err, size_t len, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
