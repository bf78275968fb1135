/* hmap.c: see hmap.h. */
#include "hmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* mix: one step of the word hash below (a 64-bit multiply-xorshift). */
static uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

/*
 * hash_bytes: eight bytes at a time (a 40-byte element is five steps, not
 * forty as with FNV-1a), then MurmurHash3's finaliser, so that the low
 * bits the bucket masks keep depend on every byte.
 */
size_t
hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = mix(h, w);
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, s, len);
		h = mix(h, w);
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static size_t
slot(const struct hmap *h, const char *key)
{
	return hash_bytes(key, strlen(key)) & (h->nb - 1);
}

void *
hmap_get(const struct hmap *h, const char *key)
{
	struct hentry *e;

	if (h->nb == 0)
		return NULL;
	for (e = h->b[slot(h, key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e->val;
	return NULL;
}

/* grow: double the buckets when the load passes 1, so lookups stay O(1). */
static int
grow(struct hmap *h)
{
	struct hmap nh = { NULL, h->nb ? h->nb * 2 : 16, h->n };
	struct hentry *e, *next;

	if ((nh.b = calloc(nh.nb, sizeof(*nh.b))) == NULL)
		return -1;
	for (size_t i = 0; i < h->nb; i++) {
		for (e = h->b[i]; e != NULL; e = next) {
			size_t s = slot(&nh, e->key);

			next = e->next;
			e->next = nh.b[s];
			nh.b[s] = e;
		}
	}
	free(h->b);
	*h = nh;
	return 0;
}

int
hmap_put(struct hmap *h, const char *key, void *val)
{
	struct hentry *e;
	size_t klen = strlen(key), s;

	if (h->nb != 0) {
		for (e = h->b[slot(h, key)]; e != NULL; e = e->next) {
			if (strcmp(e->key, key) == 0) {
				e->val = val;
				return 0;
			}
		}
	}
	if (h->n >= h->nb && grow(h) == -1)
		return -1;
	if ((e = malloc(sizeof(*e) + klen + 1)) == NULL)
		return -1;
	memcpy(e->key, key, klen + 1);
	e->val = val;
	s = slot(h, key);
	e->next = h->b[s];
	h->b[s] = e;
	h->n++;
	return 0;
}

void *
hmap_del(struct hmap *h, const char *key)
{
	struct hentry **pp, *e;
	void *val;

	if (h->nb == 0)
		return NULL;
	for (pp = &h->b[slot(h, key)]; (e = *pp) != NULL; pp = &e->next) {
		if (strcmp(e->key, key) == 0) {
			*pp = e->next;
			val = e->val;
			free(e);
			h->n--;
			return val;
		}
	}
	return NULL;
}

int
hmap_foreach(const struct hmap *h,
    int (*fn)(const char *key, void *val, void *arg), void *arg)
{
	struct hentry *e;
	int rv;

	for (size_t i = 0; i < h->nb; i++)
		for (e = h->b[i]; e != NULL; e = e->next)
			if ((rv = fn(e->key, e->val, arg)) != 0)
				return rv;
	return 0;
}

void
hmap_clear(struct hmap *h)
{
	struct hentry *e, *next;

	for (size_t i = 0; i < h->nb; i++) {
		for (e = h->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(h->b);
	h->b = NULL;
	h->nb = h->n = 0;
}
