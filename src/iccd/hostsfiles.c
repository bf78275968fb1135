/*
 * hostsfiles.c: hosts files kept in sync for receivers that asked for it
 * (iccctl hosts NAME --write), their registrations in the state and the
 * hosts command.  Every write goes through hostswrite (never a link, only
 * regular files, with the registering peer's rights or under --hosts-dir).
 */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "hostswrite.h"
#include "linkdata.h"
#include "log.h"

/* A hosts file kept in sync for one receiver (iccctl hosts NAME --write). */
struct hostsfile {
	char		 path[PATH_MAX];
	struct strvec	 owned;		/* aliases whose lines iccd wrote */
	struct strvec	 lines;		/* what it wrote last */
	struct peer_cred who;		/* who registered it: writes are
					 * done with its rights */
	bool		 who_known;	/* false: restored from an older
					 * iccd's state (hostswrite.h) */
};

/* The file a hosts --write never touches (hostswrite.h). */
#define HOST_HOSTS	"/etc/hosts"


static void
hostsfile_free(struct hostsfile *hf)
{
	if (hf == NULL)
		return;
	strvec_free(&hf->owned);
	strvec_free(&hf->lines);
	peer_cred_free(&hf->who);
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
 * hosts_sync: rewrite r's hosts file when its lines changed, with the
 * rights of whoever registered it (hostswrite).  Owned are the aliases
 * iccd wrote before plus the current ones, so a line whose link went away
 * is removed too.  On failure err says why.  File work does not block the
 * event loop: the open is non-blocking, only regular files are touched
 * and at most SAFEFILE_MAX bytes are read (safefile.h).
 */
static int
hosts_sync(struct iccd *d, const struct icc_container *r,
    struct hostsfile *hf, bool force, char *err, size_t errlen)
{
	struct strvec lines = { 0 };
	int rv = -1;

	snprintf(err, errlen, "out of memory");
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
	if (hostswrite(&d->hostsdirs, hf->who_known ? &hf->who : NULL,
	    hf->path, HOST_HOSTS, hf->owned.v, hf->owned.n, lines.v, lines.n,
	    err, errlen) == -1)
		goto out;
	strvec_free(&hf->lines);
	hf->lines = lines;
	memset(&lines, 0, sizeof(lines));
	rv = 0;
out:
	strvec_free(&lines);
	return rv;
}

/*
 * hosts_drop: a write failed: forget the registration (no endless retry)
 * and save that.
 */
static void
hosts_drop(struct iccd *d, const char *name, const char *err)
{
	struct hostsfile *hf = hmap_del(&d->hostsfiles, name);

	if (hf == NULL)
		return;
	log_warnx("hosts file %s of %s: %s: registration dropped", hf->path,
	    name, err);
	hostsfile_free(hf);
	if (persist(d, &name, 1, false) == -1)
		log_warn("state: %s", d->state_dir);
}

static int
follow_cb(const struct icc_container *r, void *arg)
{
	struct iccd *d = arg;
	struct hostsfile *hf = hmap_get(&d->hostsfiles, r->name);
	char err[ERRLEN];

	if (hf != NULL && hosts_sync(d, r, hf, false, err, sizeof(err)) == -1)
		hosts_drop(d, r->name, err);
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
	hostsfile_free(hosts_take(d, name));
}

struct hostsfile *
hosts_take(struct iccd *d, const char *name)
{
	return hmap_del(&d->hostsfiles, name);
}

void
hosts_reg_free(struct hostsfile *hf)
{
	hostsfile_free(hf);
}

void
hosts_put_back(struct iccd *d, const char *name, struct hostsfile *hf)
{
	if (hf == NULL || hmap_put(&d->hostsfiles, name, hf) == 0)
		return;
	log_warnx("hosts file %s of %s: out of memory: registration dropped",
	    hf->path, name);
	hostsfile_free(hf);
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
	if (!hf->who_known)
		return json_pack("{s:s,s:o}", "path", hf->path, "owned", owned);
	return json_pack("{s:s,s:o,s:o}", "path", hf->path, "owned", owned,
	    "peer", peer_cred_json(&hf->who));
}

/*
 * hosts_restore: state_load's callback: a hosts file registered before,
 * with who registered it ("peer"; missing in an older iccd's state).  It
 * is only kept if hosts_recheck's write passes.
 */
void
hosts_restore(const char *name, const json_t *hosts, void *arg)
{
	struct iccd *d = arg;
	const char *path = json_string_value(json_object_get(hosts, "path"));
	const json_t *peer = json_object_get(hosts, "peer");
	struct hostsfile *hf;
	char err[ERRLEN];
	const json_t *v;
	size_t i;

	if (path == NULL || path[0] != '/' || strlen(path) >= PATH_MAX) {
		log_warnx("hosts file of %s: hosts.path: not an absolute "
		    "path: registration dropped", name);
		return;
	}
	if ((hf = calloc(1, sizeof(*hf))) == NULL)
		return;
	if (peer != NULL) {
		if (peer_cred_from_json(peer, &hf->who, err,
		    sizeof(err)) == -1) {
			log_warnx("hosts file %s of %s: hosts.%s: registration "
			    "dropped", path, name, err);
			free(hf);
			return;
		}
		hf->who_known = true;
	}
	snprintf(hf->path, sizeof(hf->path), "%s", path);
	json_array_foreach(json_object_get(hosts, "owned"), i, v)
		if (json_is_string(v))
			strvec_push(&hf->owned, json_string_value(v));
	if (hmap_put(&d->hostsfiles, name, hf) == -1)
		hostsfile_free(hf);
}


/* The registrations a uid holds, but the one of container `except`. */
struct uid_count {
	uid_t		 uid;
	const char	*except;
	size_t		 n;
};

static int
uid_count_cb(const char *name, void *val, void *arg)
{
	const struct hostsfile *hf = val;
	struct uid_count *uc = arg;

	if (hf->who_known && hf->who.uid == uc->uid &&
	    strcmp(name, uc->except) != 0)
		uc->n++;
	return 0;
}

/*
 * hosts_admit: may who register a hosts file for container name?  Root
 * always; any other uid while it holds fewer than ICC_MAX_HOSTS_PER_UID
 * registrations (name's own, which this one would replace, aside): every
 * change of a source rewrites each file that names it, so a member with
 * many large files could keep iccd busy.  Returns 0, or -1 with one line
 * in err.
 */
static int
hosts_admit(const struct iccd *d, const char *name,
    const struct peer_cred *who, char *err, size_t len)
{
	struct uid_count uc = { 0, name, 0 };

	if (who == NULL || who->uid == 0)
		return 0;
	uc.uid = who->uid;
	hmap_foreach(&d->hostsfiles, uid_count_cb, &uc);
	if (uc.n < ICC_MAX_HOSTS_PER_UID)
		return 0;
	snprintf(err, len, "hosts: uid %lu already keeps %d hosts files "
	    "written (the limit)", (unsigned long)who->uid,
	    ICC_MAX_HOSTS_PER_UID);
	return -1;
}

/*
 * hosts_register: r's hosts file at path, written at once with who's
 * rights; kept only when that write succeeds, else refused with err.
 */
static int
hosts_register(struct iccd *d, const struct icc_container *c,
    const char *path, const struct peer_cred *who, char *err, size_t len)
{
	struct hostsfile *hf, *old = hmap_get(&d->hostsfiles, c->name);

	if (who == NULL) {
		snprintf(err, len, "no peer credentials");
		return -1;
	}
	if ((hf = calloc(1, sizeof(*hf))) == NULL ||
	    peer_cred_copy(&hf->who, who) == -1) {
		hostsfile_free(hf);
		snprintf(err, len, "out of memory");
		return -1;
	}
	hf->who_known = true;
	snprintf(hf->path, sizeof(hf->path), "%s", path);
	/* Same file again: keep what iccd knows it owns. */
	if (old != NULL && strcmp(old->path, hf->path) == 0)
		for (size_t i = 0; i < old->owned.n; i++)
			if (strvec_push(&hf->owned, old->owned.v[i]) == -1) {
				hostsfile_free(hf);
				snprintf(err, len, "out of memory");
				return -1;
			}
	if (hosts_sync(d, c, hf, true, err, len) == -1) {
		hostsfile_free(hf);
		return -1;
	}
	if (hmap_put(&d->hostsfiles, c->name, hf) == -1) {
		hostsfile_free(hf);
		snprintf(err, len, "out of memory");
		return -1;
	}
	hostsfile_free(old);
	return 0;
}

json_t *
cmd_hosts(struct iccd *d, struct request *r, const struct peer_cred *who)
{
	const struct icc_container *c = model_find(d->model, r->name);
	struct strvec lines = { 0 };
	char err[ERRLEN];
	json_t *rep;

	if (c == NULL)
		return no_such(r->name);
	if (r->path[0] != '\0') {
		if (hosts_admit(d, c->name, who, err, sizeof(err)) == -1) {
			log_warnx("hosts file %s of %s refused: %s", r->path,
			    c->name, err);
			return reply_err("%s", err);
		}
		if (hosts_register(d, c, r->path, who, err, sizeof(err)) == -1) {
			log_warnx("hosts file %s of %s refused (uid %ld): %s",
			    r->path, c->name, who ? (long)who->uid : -1L, err);
			return reply_err("write: %s: %s", r->path, err);
		}
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

/* Registrations of a follow_all round whose write failed. */
struct follow_all {
	struct iccd	*d;
	bool		 force;
	struct strvec	 failed, why;
};

static int
follow_all_cb(const char *name, void *val, void *arg)
{
	struct follow_all *fa = arg;
	const struct icc_container *c = model_find(fa->d->model, name);
	char err[ERRLEN];

	if (c == NULL)
		snprintf(err, sizeof(err), "no container %s", name);
	else if (hosts_sync(fa->d, c, val, fa->force, err, sizeof(err)) == 0)
		return 0;
	if (strvec_push(&fa->failed, name) == -1 ||
	    strvec_push(&fa->why, err) == -1)
		log_warnx("%s: out of memory", __func__);
	return 0;
}

/*
 * hosts_follow_all: bring every hosts file up to date (force: write each
 * now, the check at start) and drop the registrations that fail.
 */
void
hosts_follow_all(struct iccd *d, bool force)
{
	struct follow_all fa = { d, force, { 0 }, { 0 } };

	hmap_foreach(&d->hostsfiles, follow_all_cb, &fa);
	for (size_t i = 0; i < fa.failed.n && i < fa.why.n; i++)
		hosts_drop(d, fa.failed.v[i], fa.why.v[i]);
	strvec_free(&fa.failed);
	strvec_free(&fa.why);
}

int
free_hostsfile_cb(const char *key, void *val, void *arg)
{
	hostsfile_free(val);
	return 0;
}
