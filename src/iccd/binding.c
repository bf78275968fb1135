/* binding.c: see binding.h. */
#include "binding.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "parse.h"

int
binding_begin(const struct iccd *d, const char *const *names, size_t n,
    struct bind_delta *bd)
{
	bd->before.n = 0;
	return bind_touching(d->model, names, n, &bd->before);
}

/* stage_full: every derivation of m against all of d->bound. */
static int
stage_full(struct iccd *d, const struct icc_model *m, struct bind_delta *bd)
{
	struct belemvec have = { 0 }, none = { 0 };
	int rv = -1;

	bd->after.n = 0;
	if (bind_derive_all(m, &bd->after) == -1 ||
	    (bd->next = bindset_new()) == NULL ||
	    bindset_commit(bd->next, &none, &bd->after) == -1 ||
	    bindset_elems(bd->next, &bd->before) == -1 ||
	    (d->bound != NULL && bindset_elems(d->bound, &have) == -1))
		goto out;
	/* before: the new elements, sorted; have: the old ones. */
	rv = bind_diff(&bd->before, &have, &bd->adds, &bd->dels);
out:
	belemvec_free(&have);
	return rv;
}

int
binding_stage(struct iccd *d, const struct icc_model *m,
    const char *const *names, size_t n, struct kbatch *b,
    struct bind_delta *bd)
{
	bd->adds.n = bd->dels.n = 0;
	bindset_free(bd->next);
	bd->next = NULL;
	if (names == NULL || d->bound == NULL) {
		bd->before.n = 0;
		if (stage_full(d, m, bd) == -1)
			return -1;
	} else {
		bd->after.n = 0;
		if (bind_touching(m, names, n, &bd->after) == -1 ||
		    bindset_plan(d->bound, &bd->before, &bd->after, &bd->adds,
		    &bd->dels) == -1)
			return -1;
	}
	for (size_t i = 0; i < bd->dels.n; i++)
		if (kbatch_del_belem(b, &bd->dels.v[i]) == -1)
			return -1;
	for (size_t i = 0; i < bd->adds.n; i++)
		if (kbatch_add_belem(b, &bd->adds.v[i]) == -1)
			return -1;
	return 0;
}

int
binding_undo(struct kbatch *b, const struct bind_delta *bd)
{
	for (size_t i = 0; i < bd->adds.n; i++)
		if (kbatch_del_belem(b, &bd->adds.v[i]) == -1)
			return -1;
	for (size_t i = 0; i < bd->dels.n; i++)
		if (kbatch_add_belem(b, &bd->dels.v[i]) == -1)
			return -1;
	return 0;
}

void
binding_done(struct iccd *d, struct bind_delta *bd)
{
	if (bd->next != NULL) {
		bindset_free(d->bound);
		d->bound = bd->next;
		bd->next = NULL;
		return;
	}
	if (bindset_commit(d->bound, &bd->before, &bd->after) == -1)
		d->need_sync = true;
}

void
bind_delta_free(struct bind_delta *bd)
{
	belemvec_free(&bd->before);
	belemvec_free(&bd->after);
	belemvec_free(&bd->adds);
	belemvec_free(&bd->dels);
	bindset_free(bd->next);
	bd->next = NULL;
}

int
binding_sync_prepare(struct iccd *d, struct bindset **next)
{
	struct belemvec all = { 0 }, none = { 0 }, uniq = { 0 };
	int rv = -1;

	*next = NULL;
	if (bind_derive_all(d->model, &all) == -1 ||
	    (*next = bindset_new()) == NULL ||
	    bindset_commit(*next, &none, &all) == -1 ||
	    bindset_elems(*next, &uniq) == -1 ||
	    kernel_set_bindings(d->k, &uniq) < 0)
		goto out;
	rv = 0;
out:
	if (rv == -1) {
		bindset_free(*next);
		*next = NULL;
		errno = ENOMEM;
	}
	belemvec_free(&all);
	belemvec_free(&uniq);
	return rv;
}

void
binding_synced(struct iccd *d, struct bindset **next, bool ok)
{
	if (ok) {
		bindset_free(d->bound);
		d->bound = *next;
	} else
		bindset_free(*next);
	*next = NULL;
}

size_t
binding_count(const struct iccd *d)
{
	return d->bound != NULL ? bindset_size(d->bound) : 0;
}

int
binding_check_port(const struct icc_container *c, char *err, size_t len)
{
	char path[64], link[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;

	if (c->port[0] == '\0' || stat("/sys/class/net", &st) == -1)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s", c->port);
	if (stat(path, &st) == -1)
		return errf(err, len, 0, "port: no interface %s", c->port);
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", c->port);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return errf(err, len, 0, "port: %s is not a port of %s",
		    c->port, c->bridge);
	link[n] = '\0';
	base = strrchr(link, '/') != NULL ? strrchr(link, '/') + 1 : link;
	if (strcmp(base, c->bridge) != 0)
		return errf(err, len, 0, "port: %s is not a port of %s",
		    c->port, c->bridge);
	return 0;
}

void
binding_json(const struct icc_model *m, const struct icc_container *c,
    json_t *o)
{
	struct icc_binding b;
	const char *state = "none";
	char mac[18];

	if (o == NULL)
		return;
	if (c->port[0] != '\0')
		json_object_set_new(o, "port", json_string(c->port));
	if (c->has_mac)
		json_object_set_new(o, "mac", json_string(mac_format(c->mac,
		    mac, sizeof(mac))));
	if (bind_of(m, c, &b))
		state = "bound";
	else if (bind_unbound(m, c))
		state = "unbound";
	json_object_set_new(o, "binding", json_string(state));
}
