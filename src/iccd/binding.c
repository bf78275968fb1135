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
binding_stage(struct iccd *d, const struct icc_model *m, struct kbatch *b,
    struct bind_delta *bd)
{
	if (bind_all(m, &bd->want) == -1 ||
	    bind_diff(&bd->want, &d->bound, &bd->adds, &bd->dels) == -1)
		return -1;
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
	belemvec_free(&d->bound);
	d->bound = bd->want;
	memset(&bd->want, 0, sizeof(bd->want));
}

void
bind_delta_free(struct bind_delta *bd)
{
	belemvec_free(&bd->want);
	belemvec_free(&bd->adds);
	belemvec_free(&bd->dels);
}

int
binding_sync_prepare(struct iccd *d, struct belemvec *all)
{
	if (bind_all(d->model, all) == -1)
		return -1;
	if (kernel_set_bindings(d->k, all) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
binding_synced(struct iccd *d, struct belemvec *all)
{
	belemvec_free(&d->bound);
	d->bound = *all;
	memset(all, 0, sizeof(*all));
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
