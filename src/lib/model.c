/* model.c: see model.h. */
#include "model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "util.h"

/* The receivers of one source name, each once. */
struct rlist {
	char	**names;
	size_t	  n, cap;
};

struct icc_model {
	struct hmap	containers;	/* name -> struct icc_container */
	struct hmap	bridges;	/* name -> struct icc_bridge */
	struct hmap	sources;	/* source name -> struct rlist */
	struct hmap	addrs;		/* "bridge/addr" -> running container */
	bool		default_icc;
};

struct icc_model *
model_new(bool default_icc)
{
	struct icc_model *m = calloc(1, sizeof(*m));

	if (m != NULL)
		m->default_icc = default_icc;
	return m;
}

static int
free_container_cb(const char *key, void *val, void *arg)
{
	container_free(val);
	return 0;
}

static int
free_val_cb(const char *key, void *val, void *arg)
{
	free(val);
	return 0;
}

static int
free_rlist_cb(const char *key, void *val, void *arg)
{
	struct rlist *rl = val;

	for (size_t i = 0; i < rl->n; i++)
		free(rl->names[i]);
	free(rl->names);
	free(rl);
	return 0;
}

void
model_free(struct icc_model *m)
{
	if (m == NULL)
		return;
	hmap_foreach(&m->containers, free_container_cb, NULL);
	hmap_foreach(&m->bridges, free_val_cb, NULL);
	hmap_foreach(&m->sources, free_rlist_cb, NULL);
	hmap_clear(&m->containers);
	hmap_clear(&m->bridges);
	hmap_clear(&m->sources);
	hmap_clear(&m->addrs);
	free(m);
}

struct icc_container *
container_new(void)
{
	return calloc(1, sizeof(struct icc_container));
}

static void
free_port_origins(struct icc_container *c)
{
	if (c->port_origin == NULL)
		return;
	for (size_t i = 0; i < c->nports; i++)
		free(c->port_origin[i]);
	free(c->port_origin);
	c->port_origin = NULL;
}

void
container_free(struct icc_container *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->env);
	free_port_origins(c);
	free(c->ports);
	free(c->links);
	free(c);
}

static void *
memdup(const void *p, size_t len)
{
	void *q;

	if (len == 0)
		return NULL;
	if ((q = malloc(len)) != NULL)
		memcpy(q, p, len);
	return q;
}

struct icc_container *
container_dup(const struct icc_container *c)
{
	struct icc_container *d = container_new();

	if (d == NULL)
		return NULL;
	*d = *c;
	d->nenv = 0;		/* counts the copies made, for the cleanup */
	d->port_origin = NULL;
	if (c->port_origin != NULL && (d->port_origin = calloc(c->nports,
	    sizeof(char *))) == NULL)
		goto fail;
	for (size_t i = 0; d->port_origin != NULL && i < c->nports; i++)
		if (c->port_origin[i] != NULL && (d->port_origin[i] =
		    strdup(c->port_origin[i])) == NULL)
			goto fail;
	d->ports = memdup(c->ports, c->nports * sizeof(*c->ports));
	d->links = memdup(c->links, c->nlinks * sizeof(*c->links));
	d->env = calloc(c->nenv ? c->nenv : 1, sizeof(char *));
	if ((c->nports && d->ports == NULL) || (c->nlinks && d->links == NULL) ||
	    d->env == NULL)
		goto fail;
	for (; d->nenv < c->nenv; d->nenv++)
		if ((d->env[d->nenv] = strdup(c->env[d->nenv])) == NULL)
			goto fail;
	return d;
fail:
	container_free(d);
	errno = ENOMEM;
	return NULL;
}

int
container_add_link(struct icc_container *c, const char *source,
    const char *alias)
{
	return container_add_file_link(c, source, alias, "");
}

int
container_add_file_link(struct icc_container *c, const char *source,
    const char *alias, const char *origin)
{
	struct icc_link *nl;

	for (size_t i = 0; i < c->nlinks; i++) {
		if (strcmp(c->links[i].alias, alias) != 0)
			continue;
		if (strcmp(c->links[i].source, source) == 0)
			return 0;
		errno = EEXIST;
		return -1;
	}
	if (c->nlinks >= ICC_MAX_LINKS) {
		errno = E2BIG;
		return -1;
	}
	nl = realloc(c->links, (c->nlinks + 1) * sizeof(*nl));
	if (nl == NULL)
		return -1;
	c->links = nl;
	memset(&nl[c->nlinks], 0, sizeof(*nl));
	str_copy(nl[c->nlinks].source, sizeof(nl->source), source);
	str_copy(nl[c->nlinks].alias, sizeof(nl->alias), alias);
	str_copy(nl[c->nlinks].origin, sizeof(nl->origin), origin);
	c->nlinks++;
	return 0;
}

int
container_del_link(struct icc_container *c, const char *alias)
{
	for (size_t i = 0; i < c->nlinks; i++) {
		if (strcmp(c->links[i].alias, alias) == 0) {
			memmove(&c->links[i], &c->links[i + 1],
			    (c->nlinks - i - 1) * sizeof(*c->links));
			c->nlinks--;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

int
container_add_port(struct icc_container *c, const struct icc_ports *p,
    const char *origin)
{
	struct icc_ports *np;
	char **no, *copy = NULL;

	if (c->nports >= ICC_MAX_PORTS) {
		errno = E2BIG;
		return -1;
	}
	if (origin != NULL && (copy = strdup(origin)) == NULL)
		return -1;
	/* Origins exist only once a rules file contributed a port. */
	if ((copy != NULL || c->port_origin != NULL) &&
	    (no = realloc(c->port_origin, (c->nports + 1) * sizeof(*no))) !=
	    NULL) {
		if (c->port_origin == NULL)
			memset(no, 0, c->nports * sizeof(*no));
		c->port_origin = no;
	} else if (copy != NULL || c->port_origin != NULL) {
		free(copy);
		return -1;
	}
	if ((np = realloc(c->ports, (c->nports + 1) * sizeof(*np))) == NULL) {
		free(copy);
		return -1;
	}
	c->ports = np;
	c->ports[c->nports] = *p;
	if (c->port_origin != NULL)
		c->port_origin[c->nports] = copy;
	c->nports++;
	return 0;
}

void
container_strip_files(struct icc_container *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->nlinks; i++)
		if (c->links[i].origin[0] == '\0')
			c->links[k++] = c->links[i];
	c->nlinks = k;
	if (c->port_origin == NULL)
		return;
	k = 0;
	for (size_t i = 0; i < c->nports; i++) {
		if (c->port_origin[i] != NULL) {
			free(c->port_origin[i]);
			continue;
		}
		c->ports[k++] = c->ports[i];
	}
	free(c->port_origin);
	c->port_origin = NULL;
	c->nports = k;
}

bool
container_has_files(const struct icc_container *c)
{
	for (size_t i = 0; i < c->nlinks; i++)
		if (c->links[i].origin[0] != '\0')
			return true;
	for (size_t i = 0; c->port_origin != NULL && i < c->nports; i++)
		if (c->port_origin[i] != NULL)
			return true;
	return false;
}

int
container_add_env(struct icc_container *c, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy, **nenv;

	if ((copy = strdup(kv)) == NULL)
		return -1;
	for (size_t i = 0; i < c->nenv; i++) {
		if (strncmp(c->env[i], kv, klen) == 0 &&
		    (c->env[i][klen] == '=' || c->env[i][klen] == '\0')) {
			free(c->env[i]);
			c->env[i] = copy;
			return 0;
		}
	}
	if (c->nenv >= ICC_MAX_ENV) {
		free(copy);
		errno = E2BIG;
		return -1;
	}
	if ((nenv = realloc(c->env, (c->nenv + 1) * sizeof(*nenv))) == NULL) {
		free(copy);
		return -1;
	}
	c->env = nenv;
	c->env[c->nenv++] = copy;
	return 0;
}

struct icc_container *
model_find(const struct icc_model *m, const char *name)
{
	return hmap_get(&m->containers, name);
}

size_t
model_count(const struct icc_model *m)
{
	return m->containers.n;
}

bool
model_default_icc(const struct icc_model *m)
{
	return m->default_icc;
}

/* ---- source index: which receivers link to a source name ------------- */

static bool
first_link_to(const struct icc_container *c, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(c->links[j].source, c->links[i].source) == 0)
			return false;
	return true;
}

static int
rlist_add(struct icc_model *m, const char *source, const char *recv)
{
	struct rlist *rl = hmap_get(&m->sources, source);
	char **nn;

	if (rl == NULL) {
		if ((rl = calloc(1, sizeof(*rl))) == NULL)
			return -1;
		if (hmap_put(&m->sources, source, rl) == -1) {
			free(rl);
			return -1;
		}
	}
	if (rl->n == rl->cap) {
		size_t ncap = rl->cap ? rl->cap * 2 : 4;

		if ((nn = realloc(rl->names, ncap * sizeof(*nn))) == NULL)
			return -1;
		rl->names = nn;
		rl->cap = ncap;
	}
	if ((rl->names[rl->n] = strdup(recv)) == NULL)
		return -1;
	rl->n++;
	return 0;
}

static void
rlist_del(struct icc_model *m, const char *source, const char *recv)
{
	struct rlist *rl = hmap_get(&m->sources, source);

	if (rl == NULL)
		return;
	for (size_t i = 0; i < rl->n; i++) {
		if (strcmp(rl->names[i], recv) == 0) {
			free(rl->names[i]);
			rl->names[i] = rl->names[--rl->n];
			break;
		}
	}
	if (rl->n == 0) {
		hmap_del(&m->sources, source);
		free_rlist_cb(NULL, rl, NULL);
	}
}

static void
index_links_del(struct icc_model *m, const struct icc_container *c)
{
	for (size_t i = 0; i < c->nlinks; i++)
		if (first_link_to(c, i))
			rlist_del(m, c->links[i].source, c->name);
}

static int
index_links_add(struct icc_model *m, const struct icc_container *c)
{
	for (size_t i = 0; i < c->nlinks; i++) {
		if (first_link_to(c, i) &&
		    rlist_add(m, c->links[i].source, c->name) == -1) {
			/* Leave the index as it was before this call. */
			for (size_t j = 0; j < i; j++)
				if (first_link_to(c, j))
					rlist_del(m, c->links[j].source, c->name);
			return -1;
		}
	}
	return 0;
}

/* ---- address index: which running container holds an address -------- */

static void
addr_key4(char *buf, size_t len, const char *bridge, struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, len, "%s/%s", bridge, s);
}

static void
addr_key6(char *buf, size_t len, const char *bridge, const struct in6_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, s, sizeof(s));
	snprintf(buf, len, "%s/%s", bridge, s);
}

#define ADDR_KEY_LEN (ICC_IFNAME_MAX + INET6_ADDRSTRLEN + 2)

static void
addr_del(struct icc_model *m, const char *key, const struct icc_container *c)
{
	if (hmap_get(&m->addrs, key) == c)
		hmap_del(&m->addrs, key);
}

static void
index_addrs_del(struct icc_model *m, const struct icc_container *c)
{
	char key[ADDR_KEY_LEN];

	addr_key4(key, sizeof(key), c->bridge, c->ip4);
	addr_del(m, key, c);
	if (c->has_ip6) {
		addr_key6(key, sizeof(key), c->bridge, &c->ip6);
		addr_del(m, key, c);
	}
}

static int
index_addrs_add(struct icc_model *m, struct icc_container *c)
{
	char key[ADDR_KEY_LEN];

	if (!c->running)
		return 0;
	addr_key4(key, sizeof(key), c->bridge, c->ip4);
	if (hmap_put(&m->addrs, key, c) == -1)
		return -1;
	if (c->has_ip6) {
		addr_key6(key, sizeof(key), c->bridge, &c->ip6);
		if (hmap_put(&m->addrs, key, c) == -1) {
			index_addrs_del(m, c);
			return -1;
		}
	}
	return 0;
}

struct icc_container *
model_holder4(const struct icc_model *m, const char *bridge,
    struct in_addr addr)
{
	char key[ADDR_KEY_LEN];

	addr_key4(key, sizeof(key), bridge, addr);
	return hmap_get(&m->addrs, key);
}

struct icc_container *
model_holder6(const struct icc_model *m, const char *bridge,
    const struct in6_addr *addr)
{
	char key[ADDR_KEY_LEN];

	addr_key6(key, sizeof(key), bridge, addr);
	return hmap_get(&m->addrs, key);
}

/* ---- containers --------------------------------------------------------- */

int
model_put(struct icc_model *m, struct icc_container *c)
{
	struct icc_container *old = model_find(m, c->name);

	if (c->bridge[0] != '\0' && model_bridge_add(m, c->bridge) == NULL)
		return -1;
	if (old != NULL) {
		index_links_del(m, old);
		index_addrs_del(m, old);
	}
	if (index_links_add(m, c) == 0) {
		if (index_addrs_add(m, c) == 0) {
			/* Replacing an existing key allocates nothing. */
			if (hmap_put(&m->containers, c->name, c) == 0) {
				container_free(old);
				return 0;
			}
			index_addrs_del(m, c);
		}
		index_links_del(m, c);
	}
	if (old != NULL) {
		/* Best effort: the entries just freed make room again. */
		(void)index_links_add(m, old);
		(void)index_addrs_add(m, old);
	}
	errno = ENOMEM;
	return -1;
}

struct icc_container *
model_take(struct icc_model *m, const char *name)
{
	struct icc_container *c = hmap_del(&m->containers, name);

	if (c != NULL) {
		index_links_del(m, c);
		index_addrs_del(m, c);
	}
	return c;
}

int
model_set_running(struct icc_model *m, const char *name, bool running)
{
	struct icc_container *c = model_find(m, name);

	if (c == NULL) {
		errno = ENOENT;
		return -1;
	}
	index_addrs_del(m, c);
	c->running = running;
	return index_addrs_add(m, c);
}

/* ---- ordered iteration -------------------------------------------------- */

struct collect {
	void	**v;
	size_t	  n;
};

static int
collect_cb(const char *key, void *val, void *arg)
{
	struct collect *col = arg;

	col->v[col->n++] = val;
	return 0;
}

static int
cmp_container(const void *a, const void *b)
{
	const struct icc_container *x = *(void *const *)a;
	const struct icc_container *y = *(void *const *)b;

	return strcmp(x->name, y->name);
}

static int
cmp_bridge(const void *a, const void *b)
{
	const struct icc_bridge *x = *(void *const *)a;
	const struct icc_bridge *y = *(void *const *)b;

	return strcmp(x->name, y->name);
}

/* sorted: the map's values in the order of cmp; NULL with ENOMEM. */
static void **
sorted(const struct hmap *h, int (*cmp)(const void *, const void *))
{
	struct collect col = { calloc(h->n ? h->n : 1, sizeof(void *)), 0 };

	if (col.v == NULL)
		return NULL;
	hmap_foreach(h, collect_cb, &col);
	qsort(col.v, col.n, sizeof(void *), cmp);
	return col.v;
}

int
model_foreach(const struct icc_model *m,
    int (*fn)(const struct icc_container *, void *), void *arg)
{
	size_t n = m->containers.n;
	void **v = sorted(&m->containers, cmp_container);
	int rv = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = fn(v[i], arg);
	free(v);
	return rv;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
model_receivers(const struct icc_model *m, const char *source,
    int (*fn)(const struct icc_container *, void *), void *arg)
{
	struct rlist *rl = hmap_get(&m->sources, source);
	char **names;
	int rv = 0;

	if (rl == NULL)
		return 0;
	/* Copy: fn may not change the model, but sorting in place would
	 * reorder the index under a caller that iterates it. */
	if ((names = memdup(rl->names, rl->n * sizeof(char *))) == NULL)
		return -1;
	qsort(names, rl->n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < rl->n && rv == 0; i++) {
		const struct icc_container *r = model_find(m, names[i]);

		if (r != NULL)
			rv = fn(r, arg);
	}
	free(names);
	return rv;
}

/* ---- bridges ------------------------------------------------------------ */

struct icc_bridge *
model_bridge(const struct icc_model *m, const char *name)
{
	return hmap_get(&m->bridges, name);
}

struct icc_bridge *
model_bridge_add(struct icc_model *m, const char *name)
{
	struct icc_bridge *b = model_bridge(m, name);

	if (b != NULL)
		return b;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->icc = m->default_icc;
	if (hmap_put(&m->bridges, b->name, b) == -1) {
		free(b);
		return NULL;
	}
	return b;
}

void
model_bridge_del(struct icc_model *m, const char *name)
{
	free(hmap_del(&m->bridges, name));
}

int
model_bridges(const struct icc_model *m,
    int (*fn)(const struct icc_bridge *, void *), void *arg)
{
	size_t n = m->bridges.n;
	void **v = sorted(&m->bridges, cmp_bridge);
	int rv = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = fn(v[i], arg);
	free(v);
	return rv;
}

bool
link_active(const struct icc_model *m, const struct icc_container *r,
    const struct icc_link *l)
{
	const struct icc_container *s = model_find(m, l->source);

	return r->running && s != NULL && s->running && s != r &&
	    strcmp(r->bridge, s->bridge) == 0;
}
