/*
 * hostsfiles.c: hosts files kept in sync for receivers that asked for it
 * (iccctl hosts NAME --write), their registrations in the state and the
 * hosts command.
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkdata.h"
#include "log.h"

/* A hosts file kept in sync for one receiver (iccctl hosts NAME --write). */
struct hostsfile {
	char		path[PATH_MAX];
	struct strvec	owned;		/* aliases whose lines iccd wrote */
	struct strvec	lines;		/* what it wrote last */
};

static void
hostsfile_free(struct hostsfile *hf)
{
	if (hf == NULL)
		return;
	strvec_free(&hf->owned);
	strvec_free(&hf->lines);
	free(hf);
}

static bool
strvec_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static bool
strvec_equal(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/*
 * hosts_sync: rewrite r's hosts file when its lines changed.  Owned are the
 * aliases iccd wrote before plus the current ones, so a line whose link
 * went away is removed too.
 */
static int
hosts_sync(struct iccd *d, const struct icc_container *r,
    struct hostsfile *hf, bool force)
{
	struct strvec lines = { 0 };
	int rv = -1;

	if (linkdata_hosts(d->model, r, &lines) == -1)
		goto out;
	if (!force && strvec_equal(&lines, &hf->lines)) {
		rv = 0;
		goto out;
	}
	for (size_t i = 0; i < r->nlinks; i++)
		if (!strvec_has(&hf->owned, r->links[i].alias) &&
		    strvec_push(&hf->owned, r->links[i].alias) == -1)
			goto out;
	if (hosts_file_sync(hf->path, hf->owned.v, hf->owned.n, lines.v,
	    lines.n) == -1) {
		log_warn("hosts file %s of %s", hf->path, r->name);
		goto out;
	}
	strvec_free(&hf->lines);
	hf->lines = lines;
	memset(&lines, 0, sizeof(lines));
	rv = 0;
out:
	strvec_free(&lines);
	return rv;
}

static int
follow_cb(const struct icc_container *r, void *arg)
{
	struct iccd *d = arg;
	struct hostsfile *hf = hmap_get(&d->hostsfiles, r->name);

	if (hf != NULL)
		(void)hosts_sync(d, r, hf, false);
	return 0;
}

/* hosts_follow: after a change to names, refresh the hosts files of the
 * receivers involved (the names themselves and whoever links to them). */
void
hosts_follow(struct iccd *d, const char *const *names, size_t n)
{
	if (d->hostsfiles.n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct icc_container *c = model_find(d->model, names[i]);

		if (c != NULL)
			follow_cb(c, d);
		model_receivers(d->model, names[i], follow_cb, d);
	}
}

void
hosts_forget(struct iccd *d, const char *name)
{
	hostsfile_free(hmap_del(&d->hostsfiles, name));
}

json_t *
hosts_state(const struct iccd *d, const char *name)
{
	const struct hostsfile *hf = hmap_get(&d->hostsfiles, name);
	json_t *owned;

	if (hf == NULL)
		return NULL;
	owned = json_array();
	for (size_t i = 0; owned != NULL && i < hf->owned.n; i++)
		json_array_append_new(owned, json_string(hf->owned.v[i]));
	return json_pack("{s:s,s:o}", "path", hf->path, "owned", owned);
}

/* hosts_restore: state_load's callback: a hosts file registered before. */
void
hosts_restore(const char *name, const json_t *hosts, void *arg)
{
	struct iccd *d = arg;
	const char *path = json_string_value(json_object_get(hosts, "path"));
	struct hostsfile *hf;
	const json_t *v;
	size_t i;

	if (path == NULL || path[0] != '/' || strlen(path) >= PATH_MAX ||
	    (hf = calloc(1, sizeof(*hf))) == NULL)
		return;
	snprintf(hf->path, sizeof(hf->path), "%s", path);
	json_array_foreach(json_object_get(hosts, "owned"), i, v)
		if (json_is_string(v))
			strvec_push(&hf->owned, json_string_value(v));
	if (hmap_put(&d->hostsfiles, name, hf) == -1)
		hostsfile_free(hf);
}

json_t *
cmd_hosts(struct iccd *d, struct request *r)
{
	const struct icc_container *c = model_find(d->model, r->name);
	struct strvec lines = { 0 };
	struct hostsfile *hf, *old;
	json_t *rep;

	if (c == NULL)
		return no_such(r->name);
	if (r->path[0] != '\0') {
		if ((hf = calloc(1, sizeof(*hf))) == NULL)
			return reply_err("out of memory");
		snprintf(hf->path, sizeof(hf->path), "%s", r->path);
		old = hmap_get(&d->hostsfiles, r->name);
		if (old != NULL && strcmp(old->path, hf->path) == 0) {
			/* Same file again: keep what iccd knows it owns. */
			free(hf);
			hf = old;
		} else if (hmap_put(&d->hostsfiles, r->name, hf) == -1) {
			hostsfile_free(hf);
			return reply_err("out of memory");
		} else
			hostsfile_free(old);
		if (hosts_sync(d, c, hf, true) == -1)
			return reply_err("write: %s: %s", r->path,
			    strerror(errno));
		if (persist(d, (const char *const []){ c->name }, 1, false) ==
		    -1)
			return reply_err("state: %s: %s", d->state_dir,
			    strerror(errno));
	}
	if (linkdata_hosts(d->model, c, &lines) == -1)
		return reply_err("out of memory");
	rep = lines_reply(&lines);
	strvec_free(&lines);
	return rep;
}

int
follow_all_cb(const char *name, void *val, void *arg)
{
	struct iccd *d = arg;
	const struct icc_container *c = model_find(d->model, name);

	if (c != NULL)
		(void)hosts_sync(d, c, val, false);
	return 0;
}

int
free_hostsfile_cb(const char *key, void *val, void *arg)
{
	hostsfile_free(val);
	return 0;
}
