/* binding.c: see binding.h. */
#include "binding.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "netinfo.h"
#include "parse.h"

int
binding_begin(const struct iccd *d, const char *const *names, size_t n,
    struct bind_delta *bd)
{
	bd->before.n = 0;
	return bind_touching(d->model, names, n, &bd->before);
}

/* plan_full: every derivation of m against all of d->bound. */
static int
plan_full(struct iccd *d, const struct icc_model *m, struct bind_delta *bd)
{
	struct belemvec have = { 0 }, want = { 0 }, none = { 0 };
	int rv = -1;

	bd->after.n = 0;
	if (bind_derive_all(m, &bd->after) == -1 ||
	    (bd->next = bindset_new()) == NULL ||
	    bindset_commit(bd->next, &none, &bd->after) == -1 ||
	    bindset_elems(bd->next, &want) == -1 ||
	    (d->bound != NULL && bindset_elems(d->bound, &have) == -1))
		goto out;
	rv = bind_diff(&want, &have, &bd->adds, &bd->dels);
out:
	belemvec_free(&have);
	belemvec_free(&want);
	return rv;
}

int
binding_plan(struct iccd *d, const struct icc_model *m,
    const char *const *names, size_t n, struct bind_delta *bd)
{
	bd->adds.n = bd->dels.n = 0;
	bindset_free(bd->next);
	bd->next = NULL;
	if (names == NULL || d->bound == NULL)
		return plan_full(d, m, bd);
	bd->after.n = 0;
	if (bind_touching(m, names, n, &bd->after) == -1)
		return -1;
	return bindset_plan(d->bound, &bd->before, &bd->after, &bd->adds,
	    &bd->dels);
}

int
binding_batch(struct kbatch *b, const struct bind_delta *bd)
{
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
	if (d->bound != NULL && bindset_commit(d->bound, &bd->before,
	    &bd->after) == -1)
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
binding_rebuild(struct iccd *d)
{
	struct belemvec all = { 0 }, none = { 0 };
	struct bindset *s = bindset_new();
	int rv = -1;

	if (s != NULL && bind_derive_all(d->model, &all) == 0 &&
	    bindset_commit(s, &none, &all) == 0) {
		bindset_free(d->bound);
		d->bound = s;
		s = NULL;
		rv = 0;
	}
	bindset_free(s);
	belemvec_free(&all);
	if (rv == -1)
		errno = ENOMEM;
	return rv;
}

int
binding_to_kernel(struct iccd *d)
{
	struct belemvec uniq = { 0 };
	int rv = -1;

	if ((d->bound == NULL || bindset_elems(d->bound, &uniq) == 0) &&
	    kernel_set_bindings(d->k, &uniq) == 0)
		rv = 0;
	belemvec_free(&uniq);
	if (rv == -1)
		errno = ENOMEM;
	return rv;
}

size_t
binding_count(const struct iccd *d)
{
	return d->bound != NULL ? bindset_size(d->bound) : 0;
}

bool
binding_status(struct iccd *d, json_t *rep)
{
	struct belemvec have = { 0 }, want = { 0 }, adds = { 0 },
	    dels = { 0 };
	bool matches;
	int rv;

	rv = kernel_dump_belems(d->k, &have);
	matches = rv == 0 && (d->bound == NULL ||
	    bindset_elems(d->bound, &want) == 0) &&
	    bind_diff(&want, &have, &adds, &dels) == 0 &&
	    adds.n == 0 && dels.n == 0;
	json_object_set_new(rep, "bridge_present", json_boolean(rv != -ENOENT));
	json_object_set_new(rep, "bound_elements",
	    json_integer((json_int_t)binding_count(d)));
	json_object_set_new(rep, "bridge_missing",
	    json_integer((json_int_t)adds.n));
	json_object_set_new(rep, "bridge_extra",
	    json_integer((json_int_t)dels.n));
	json_object_set_new(rep, "unbound",
	    json_integer((json_int_t)bind_count_unbound(d->model)));
	json_object_set_new(rep, "sysctl_repairs",
	    json_integer((json_int_t)d->sysctl_repairs));
	belemvec_free(&have);
	belemvec_free(&want);
	belemvec_free(&adds);
	belemvec_free(&dels);
	return matches;
}

int
binding_check_port(const struct icc_container *c, char *err, size_t len)
{
	char master[IF_NAMESIZE + 1], why[256];
	int rv;

	if (c->port[0] == '\0')
		return 0;
	rv = netinfo_link_master(c->port, master, sizeof(master), why,
	    sizeof(why));
	if (rv == -1)
		return errf(err, len, 0, "port: %s", why);
	if (rv == 0)
		return errf(err, len, 0, "port: no interface %s", c->port);
	if (strcmp(master, c->bridge) != 0)
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
