/*
 * hmap.h: a small string-keyed hash map (chained, power-of-two buckets)
 * used by the model.  Keys are copied; values are borrowed pointers.
 */
#ifndef ICCD_HMAP_H
#define ICCD_HMAP_H

#include <stddef.h>

struct hentry {
	struct hentry	*next;
	void		*val;
	char		 key[];
};

struct hmap {
	struct hentry	**b;
	size_t		  nb;	/* buckets, a power of two or 0 */
	size_t		  n;	/* entries */
};

/* hmap_get: the value stored under key, or NULL. */
void *hmap_get(const struct hmap *h, const char *key);

/*
 * hmap_put: store val under key, replacing any earlier value.  Returns 0,
 * or -1 with errno ENOMEM (h unchanged).
 */
int hmap_put(struct hmap *h, const char *key, void *val);

/* hmap_del: remove key; returns its value or NULL when absent. */
void *hmap_del(struct hmap *h, const char *key);

/*
 * hmap_foreach: call fn(key, val, arg) for every entry, in no order; fn
 * must not change h.  Stops and returns fn's value when non-zero.
 */
int hmap_foreach(const struct hmap *h,
    int (*fn)(const char *key, void *val, void *arg), void *arg);

/* hmap_clear: remove every entry (values are not freed). */
void hmap_clear(struct hmap *h);

/* hash_bytes: a 64-bit hash of len bytes (word-wise, finalised so that
 * its low bits are good bucket indices), for the maps here and in
 * engine.c. */
size_t hash_bytes(const void *p, size_t len);

#endif
