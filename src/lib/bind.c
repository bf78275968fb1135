/* bind.c: see bind.h. */
#include "bind.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "parse.h"

#define IFN	16	/* IFNAMSIZ: an interface name field */
#define MACF	8	/* a MAC in a concatenation, padded */

static const struct {
	const char	*name;
	size_t		 keylen;
} bsets[ICC_BSET_NR] = {
	[ICC_BSET_PORTS] = { "ports", IFN },
	[ICC_BSET_MACS] = { "macs", 6 },
	[ICC_BSET_PORTMAC] = { "portmac", IFN + MACF },
	[ICC_BSET_ADDRS4] = { "addrs4", 4 },
	[ICC_BSET_PORT4] = { "port4", IFN + 4 },
	[ICC_BSET_PORTARP] = { "portarp", IFN + MACF + 4 },
	[ICC_BSET_ADDRS6] = { "addrs6", 16 },
	[ICC_BSET_PORT6] = { "port6", IFN + 16 },
};

const char *
bset_name(enum icc_bset s)
{
	return (unsigned)s < ICC_BSET_NR ? bsets[s].name : "?";
}

size_t
bset_keylen(enum icc_bset s)
{
	return (unsigned)s < ICC_BSET_NR ? bsets[s].keylen : 0;
}

/* The fields each set's key holds, in order. */
enum field { F_END, F_IF, F_MAC, F_MACP, F_IP4, F_IP6 };

static const enum field bfields[ICC_BSET_NR][4] = {
	[ICC_BSET_PORTS] = { F_IF },
	[ICC_BSET_MACS] = { F_MAC },
	[ICC_BSET_PORTMAC] = { F_IF, F_MACP },
	[ICC_BSET_ADDRS4] = { F_IP4 },
	[ICC_BSET_PORT4] = { F_IF, F_IP4 },
	[ICC_BSET_PORTARP] = { F_IF, F_MACP, F_IP4 },
	[ICC_BSET_ADDRS6] = { F_IP6 },
	[ICC_BSET_PORT6] = { F_IF, F_IP6 },
};

char *
belem_format(const struct icc_belem *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], m[18];
	const uint8_t *k = e->key;
	size_t off = 0;

	buf[0] = '\0';
	if (e->set >= ICC_BSET_NR)
		return buf;
	for (int i = 0; i < 4 && bfields[e->set][i] != F_END && off < len;
	    i++) {
		const char *sep = i ? " . " : "";

		switch (bfields[e->set][i]) {
		case F_IF:
			off += snprintf(buf + off, len - off, "%s\"%.*s\"", sep,
			    IFN, (const char *)k);
			k += IFN;
			break;
		case F_MAC:
		case F_MACP:
			off += snprintf(buf + off, len - off, "%s%s", sep,
			    mac_format(k, m, sizeof(m)));
			k += bfields[e->set][i] == F_MAC ? 6 : MACF;
			break;
		case F_IP4:
			off += snprintf(buf + off, len - off, "%s%s", sep,
			    inet_ntop(AF_INET, k, a, sizeof(a)));
			k += 4;
			break;
		default:
			off += snprintf(buf + off, len - off, "%s%s", sep,
			    inet_ntop(AF_INET6, k, a, sizeof(a)));
			k += 16;
			break;
		}
	}
	return buf;
}

int
belemvec_push(struct belemvec *bv, const struct icc_belem *e)
{
	struct icc_belem *nv;
	size_t ncap;

	if (bv->n == bv->cap) {
		ncap = bv->cap ? bv->cap * 2 : 32;
		if ((nv = reallocarray(bv->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		bv->v = nv;
		bv->cap = ncap;
	}
	bv->v[bv->n++] = *e;
	return 0;
}

static int
belem_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct icc_belem));
}

void
belemvec_sort_uniq(struct belemvec *bv)
{
	size_t i, j;

	if (bv->n == 0)
		return;
	qsort(bv->v, bv->n, sizeof(*bv->v), belem_cmp);
	for (i = 1, j = 0; i < bv->n; i++)
		if (belem_cmp(&bv->v[i], &bv->v[j]) != 0)
			bv->v[++j] = bv->v[i];
	bv->n = j + 1;
}

void
belemvec_free(struct belemvec *bv)
{
	free(bv->v);
	memset(bv, 0, sizeof(*bv));
}

void
bind_ll6(const uint8_t mac[6], struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0xfe;
	out->s6_addr[1] = 0x80;
	out->s6_addr[8] = mac[0] ^ 0x02;
	out->s6_addr[9] = mac[1];
	out->s6_addr[10] = mac[2];
	out->s6_addr[11] = 0xff;
	out->s6_addr[12] = 0xfe;
	out->s6_addr[13] = mac[3];
	out->s6_addr[14] = mac[4];
	out->s6_addr[15] = mac[5];
}

static bool
on_closed(const struct icc_model *m, const struct icc_container *c)
{
	const struct icc_bridge *br;

	if (!c->running || !c->has_identity)
		return false;
	br = model_bridge(m, c->bridge);
	return br != NULL && !br->icc;
}

bool
bind_of(const struct icc_model *m, const struct icc_container *c,
    struct icc_binding *b)
{
	if (!on_closed(m, c) || c->port[0] == '\0' || !c->has_mac)
		return false;
	memset(b, 0, sizeof(*b));
	memcpy(b->port, c->port, sizeof(b->port));
	memcpy(b->mac, c->mac, sizeof(b->mac));
	b->ip4 = c->ip4;
	b->has_ip6 = c->has_ip6;
	b->ip6 = c->ip6;
	bind_ll6(c->mac, &b->ll6);
	return true;
}

bool
bind_unbound(const struct icc_model *m, const struct icc_container *c)
{
	return on_closed(m, c) && (c->port[0] == '\0' || !c->has_mac);
}

/* One element of set s from the binding, with IPv6 address a6. */
static int
push(struct belemvec *out, enum icc_bset s, const struct icc_binding *b,
    const struct in6_addr *a6)
{
	struct icc_belem e;
	uint8_t *k = e.key;

	memset(&e, 0, sizeof(e));
	e.set = (uint8_t)s;
	for (int i = 0; i < 4 && bfields[s][i] != F_END; i++) {
		switch (bfields[s][i]) {
		case F_IF:
			memcpy(k, b->port, strnlen(b->port, IFN - 1));
			k += IFN;
			break;
		case F_MAC:
		case F_MACP:
			memcpy(k, b->mac, 6);
			k += bfields[s][i] == F_MAC ? 6 : MACF;
			break;
		case F_IP4:
			memcpy(k, &b->ip4, 4);
			k += 4;
			break;
		default:
			memcpy(k, a6, 16);
			k += 16;
			break;
		}
	}
	return belemvec_push(out, &e);
}

int
bind_elems(const struct icc_binding *b, struct belemvec *out)
{
	static const enum icc_bset once[] = { ICC_BSET_PORTS, ICC_BSET_MACS,
	    ICC_BSET_PORTMAC, ICC_BSET_ADDRS4, ICC_BSET_PORT4,
	    ICC_BSET_PORTARP };

	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (push(out, once[i], b, NULL) == -1)
			return -1;
	if (push(out, ICC_BSET_ADDRS6, b, &b->ll6) == -1 ||
	    push(out, ICC_BSET_PORT6, b, &b->ll6) == -1)
		return -1;
	if (b->has_ip6 && (push(out, ICC_BSET_ADDRS6, b, &b->ip6) == -1 ||
	    push(out, ICC_BSET_PORT6, b, &b->ip6) == -1))
		return -1;
	return 0;
}

struct all_ctx {
	const struct icc_model	*m;
	struct belemvec		*out;
	size_t			 n;	/* bind_count_unbound */
};

static int
all_cb(const struct icc_container *c, void *arg)
{
	struct all_ctx *ctx = arg;
	struct icc_binding b;

	if (!bind_of(ctx->m, c, &b))
		return 0;
	return bind_elems(&b, ctx->out);
}

int
bind_derive_all(const struct icc_model *m, struct belemvec *out)
{
	struct all_ctx ctx = { m, out, 0 };

	return model_foreach(m, all_cb, &ctx) != 0 ? -1 : 0;
}

int
bind_all(const struct icc_model *m, struct belemvec *out)
{
	if (bind_derive_all(m, out) == -1)
		return -1;
	belemvec_sort_uniq(out);
	return 0;
}

int
bind_touching(const struct icc_model *m, const char *const *names,
    size_t n, struct belemvec *out)
{
	const struct icc_container *c;
	struct icc_binding b;

	for (size_t i = 0; i < n; i++)
		if ((c = model_find(m, names[i])) != NULL &&
		    bind_of(m, c, &b) && bind_elems(&b, out) == -1)
			return -1;
	return 0;
}

/* ---- the counted set ------------------------------------------------------ */

struct bnode {
	struct bnode		*next;
	struct icc_belem	 e;
	long			 count;
};

struct bindset {
	struct bnode	**b;
	size_t		  nb, n;
};

struct bindset *
bindset_new(void)
{
	return calloc(1, sizeof(struct bindset));
}

void
bindset_free(struct bindset *s)
{
	struct bnode *x, *next;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nb; i++)
		for (x = s->b[i]; x != NULL; x = next) {
			next = x->next;
			free(x);
		}
	free(s->b);
	free(s);
}

size_t
bindset_size(const struct bindset *s)
{
	return s->n;
}

static struct bnode **
bslot(const struct bindset *s, const struct icc_belem *e)
{
	struct bnode **p = &s->b[hash_bytes(e, sizeof(*e)) & (s->nb - 1)];

	while (*p != NULL && memcmp(&(*p)->e, e, sizeof(*e)) != 0)
		p = &(*p)->next;
	return p;
}

static long
bcount(const struct bindset *s, const struct icc_belem *e)
{
	struct bnode *x;

	if (s->nb == 0)
		return 0;
	x = *bslot(s, e);
	return x != NULL ? x->count : 0;
}

static int
bgrow(struct bindset *s)
{
	size_t nb = s->nb ? s->nb * 2 : 64;
	struct bnode **b, *x, *next;

	if (s->n < s->nb)
		return 0;
	if ((b = calloc(nb, sizeof(*b))) == NULL)
		return -1;
	for (size_t i = 0; i < s->nb; i++)
		for (x = s->b[i]; x != NULL; x = next) {
			size_t h = hash_bytes(&x->e, sizeof(x->e)) & (nb - 1);

			next = x->next;
			x->next = b[h];
			b[h] = x;
		}
	free(s->b);
	s->b = b;
	s->nb = nb;
	return 0;
}

/* badd: add delta to e's count; unless keep, a node at zero is freed. */
static int
badd(struct bindset *s, const struct icc_belem *e, long delta, bool keep)
{
	struct bnode **p, *x;

	if (bgrow(s) == -1)
		return -1;
	p = bslot(s, e);
	if (*p == NULL) {
		if ((x = calloc(1, sizeof(*x))) == NULL)
			return -1;
		x->e = *e;
		*p = x;
		s->n++;
	}
	x = *p;
	if ((x->count += delta) == 0 && !keep) {
		*p = x->next;
		free(x);
		s->n--;
	}
	return 0;
}

/* delta_of: the net change per element, zeros and negatives kept. */
static struct bindset *
delta_of(const struct belemvec *before, const struct belemvec *after)
{
	struct bindset *d = bindset_new();

	for (size_t i = 0; d != NULL && i < after->n; i++)
		if (badd(d, &after->v[i], 1, true) == -1)
			goto fail;
	for (size_t i = 0; d != NULL && i < before->n; i++)
		if (badd(d, &before->v[i], -1, true) == -1)
			goto fail;
	return d;
fail:
	bindset_free(d);
	return NULL;
}

int
bindset_plan(const struct bindset *s, const struct belemvec *before,
    const struct belemvec *after, struct belemvec *adds,
    struct belemvec *dels)
{
	struct bindset *d = delta_of(before, after);
	struct bnode *x;
	long c;
	int rv = 0;

	if (d == NULL)
		return -1;
	for (size_t i = 0; i < d->nb && rv == 0; i++)
		for (x = d->b[i]; x != NULL && rv == 0; x = x->next) {
			c = bcount(s, &x->e);
			if (c + x->count < 0) {
				errno = EINVAL;
				rv = -1;
			} else if (c == 0 && x->count > 0)
				rv = belemvec_push(adds, &x->e);
			else if (c > 0 && c + x->count == 0)
				rv = belemvec_push(dels, &x->e);
		}
	bindset_free(d);
	if (rv == 0) {
		belemvec_sort_uniq(adds);
		belemvec_sort_uniq(dels);
	}
	return rv;
}

int
bindset_commit(struct bindset *s, const struct belemvec *before,
    const struct belemvec *after)
{
	struct bindset *d = delta_of(before, after);
	struct bnode *x;

	if (d == NULL)
		return -1;
	/* Out of memory half-way leaves s partly changed: the caller
	 * rebuilds it from the model (a resync). */
	for (size_t i = 0; i < d->nb; i++)
		for (x = d->b[i]; x != NULL; x = x->next)
			if (x->count != 0 && badd(s, &x->e, x->count, false) == -1) {
				bindset_free(d);
				return -1;
			}
	bindset_free(d);
	return 0;
}

int
bindset_elems(const struct bindset *s, struct belemvec *out)
{
	struct bnode *x;

	for (size_t i = 0; i < s->nb; i++)
		for (x = s->b[i]; x != NULL; x = x->next)
			if (belemvec_push(out, &x->e) == -1)
				return -1;
	belemvec_sort_uniq(out);
	return 0;
}

int
bind_diff(const struct belemvec *want, const struct belemvec *have,
    struct belemvec *adds, struct belemvec *dels)
{
	size_t i = 0, j = 0;
	int c;

	while (i < want->n || j < have->n) {
		if (i == want->n)
			c = 1;
		else if (j == have->n)
			c = -1;
		else
			c = belem_cmp(&want->v[i], &have->v[j]);
		if (c < 0 && belemvec_push(adds, &want->v[i]) == -1)
			return -1;
		if (c > 0 && belemvec_push(dels, &have->v[j]) == -1)
			return -1;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return 0;
}

static int
unbound_cb(const struct icc_container *c, void *arg)
{
	struct all_ctx *ctx = arg;

	if (bind_unbound(ctx->m, c))
		ctx->n++;
	return 0;
}

size_t
bind_count_unbound(const struct icc_model *m)
{
	struct all_ctx ctx = { m, NULL, 0 };

	(void)model_foreach(m, unbound_cb, &ctx);
	return ctx.n;
}
