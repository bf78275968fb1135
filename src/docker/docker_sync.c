/*
 * docker_sync.c: see docker_sync.h.
 *
 * Where docker_sync.h is silent:
 *  - Everything is keyed by the Docker id, never by the name alone: a
 *    late event about a removed container must not stop or remove a newer
 *    container that took its name.
 *  - A running container that cannot be declared (a bad label, no
 *    address) is stopped in iccd: its elements go, its bridge stays
 *    closed, so it is isolated rather than left with stale access.
 *  - iccd refusing one request is logged and the rest goes on; iccd not
 *    answering fails the whole pass, which the caller retries.  So does
 *    the engine not answering (HTTP status 0); an error reply about one
 *    container, network or image (a 500 for a broken container) is logged
 *    and that one is skipped, so that it cannot hold up all the others.
 */
#include "docker_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker_hosts.h"
#include "docker_map.h"
#include "client.h"
#include "log.h"
#include "proto.h"
#include "request.h"

#define ICCD_TIMEOUT	20	/* seconds per exchange with iccd */
#define ERRLEN		1024

/*
 * iccd_call: THE one exchange with iccd: send req (taken), return the
 * reply when it is "ok" (the caller decrefs it).  NULL with one line in
 * err otherwise; *refused tells iccd's refusal (it answered) from iccd
 * not answering.
 */
static json_t *
iccd_call(const char *sock, json_t *req, bool *refused, char *err,
    size_t len)
{
	struct ctl_client c;
	json_t *rep;

	ctl_init(&c, sock, ICCD_TIMEOUT * 1000);
	rep = ctl_call(&c, req);
	*refused = rep == NULL && c.fail == CTL_FAIL_REFUSED;
	if (rep == NULL)
		errf(err, len, 0, "%s", c.err);
	ctl_close(&c);
	json_decref(req);
	return rep;
}

/*
 * ask: send req (taken) and log the outcome with `what`.  Returns 0 when
 * iccd answered (even with a refusal), -1 with err when it did not.
 */
static int
ask(struct dk_ctx *x, json_t *req, const char *what, char *err, size_t len)
{
	char why[ERRLEN];
	bool refused;
	json_t *rep;

	if (req == NULL)
		return errf(err, len, ENOMEM, "%s: out of memory", what);
	if ((rep = iccd_call(x->iccd, req, &refused, why, sizeof(why))) != NULL) {
		log_info("%s", what);
		json_decref(rep);
		return 0;
	}
	if (!refused)
		return errf(err, len, EIO, "%s: %s", what, why);
	log_warnx("%s: iccd refused: %s", what, why);
	return 0;
}

/* name_req: {"cmd": cmd, "name": name}. */
static int
name_req(struct dk_ctx *x, const char *cmd, const char *name,
    const char *id, char *err, size_t len)
{
	char what[ICC_NAME_MAX + 96];

	snprintf(what, sizeof(what), "%s %s (%.12s)", cmd, name, id);
	return ask(x, json_pack("{s:s,s:s}", "cmd", cmd, "name", name), what,
	    err, len);
}

/* iccd_containers: iccd's "containers" list (a new reference). */
static json_t *
iccd_containers(struct dk_ctx *x, char *err, size_t len)
{
	char why[ERRLEN];
	bool refused;
	json_t *rep, *a;

	rep = iccd_call(x->iccd, json_pack("{s:s}", "cmd", "list"), &refused,
	    why, sizeof(why));
	if (rep == NULL) {
		errf(err, len, EIO, "list: %s", why);
		return NULL;
	}
	a = json_incref(json_object_get(rep, "containers"));
	json_decref(rep);
	if (!json_is_array(a)) {
		json_decref(a);
		errf(err, len, EPROTO, "list: iccd's reply has no containers");
		return NULL;
	}
	return a;
}

/* entry_str: a string member of an iccd list entry, "" when absent. */
static const char *
entry_str(const json_t *e, const char *key)
{
	const char *s = json_string_value(json_object_get(e, key));

	return s != NULL ? s : "";
}

/*
 * stop_entries: stop every running iccd container with Docker id `id`
 * (the container stopped, left its bridges, or cannot be declared).
 */
static int
stop_entries(struct dk_ctx *x, const json_t *entries, const char *id,
    char *err, size_t len)
{
	const json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		if (strcmp(entry_str(e, "id"), id) != 0 ||
		    !json_is_true(json_object_get(e, "running")))
			continue;
		if (name_req(x, "stop", entry_str(e, "name"), id, err, len) == -1)
			return -1;
	}
	return 0;
}

/*
 * rm_entries: rm every iccd container with Docker id `id`, but the one
 * called `keep` (NULL: all): the container is gone, or was renamed.
 */
static int
rm_entries(struct dk_ctx *x, const json_t *entries, const char *id,
    const char *keep, char *err, size_t len)
{
	const json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		if (strcmp(entry_str(e, "id"), id) != 0 ||
		    (keep != NULL && strcmp(entry_str(e, "name"), keep) == 0))
			continue;
		if (name_req(x, "rm", entry_str(e, "name"), id, err, len) == -1)
			return -1;
	}
	return 0;
}

/* get_path: GET PREFIX ARG SUFFIX (dk_get with a status). */
static json_t *
get_path(struct dk_ctx *x, long *status, char *err, size_t len,
    const char *prefix, const char *arg, const char *suffix)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s%s", prefix, arg, suffix);
	return dk_get(&x->api, path, status, err, len);
}

/*
 * networks_of: {NetworkID: GET /networks/ID} for container c.  A network
 * that is gone, or a container whose networks cannot be read, leaves its
 * entry out: dk_map then names what is missing.  NULL only when the engine
 * cannot be asked.
 */
static json_t *
networks_of(struct dk_ctx *x, const json_t *c, char *err, size_t len)
{
	char why[ERRLEN];
	json_t *ids, *nets = json_object(), *n, *e;
	long st;
	size_t i;

	if ((ids = dk_network_ids(c, why, sizeof(why))) == NULL)
		return nets;
	json_array_foreach(ids, i, e) {
		n = get_path(x, &st, err, len, "/networks/",
		    json_string_value(e), "");
		if (n == NULL && st == 0) {
			json_decref(nets);
			nets = NULL;
			break;
		}
		if (n == NULL && st != 404)
			log_warnx("%s", err);
		if (n != NULL)
			json_object_set_new(nets, json_string_value(e), n);
	}
	json_decref(ids);
	return nets;
}

/*
 * image_of: GET /images/{Image}/json when the container has the label
 * io.iccd.links (only then does the image matter); NULL otherwise, or
 * when the image cannot be had (dk_map then refuses the label).  -1 when
 * the engine cannot be asked.
 */
static int
image_of(struct dk_ctx *x, const json_t *c, json_t **img, char *err,
    size_t len)
{
	const char *image, *why;
	const json_t *labels;
	long st;

	*img = NULL;
	labels = json_object_get(json_object_get(c, "Config"), "Labels");
	if (json_object_get(labels, DK_LABEL_LINKS) == NULL)
		return 0;
	image = json_string_value(json_object_get(c, "Image"));
	if (image == NULL || strncmp(image, "sha256:", 7) != 0 ||
	    dk_check_id(image + 7, &why) == -1)
		return 0;
	*img = get_path(x, &st, err, len, "/images/", image, "/json");
	if (*img == NULL && st != 0 && st != 404)
		log_warnx("%s", err);
	return *img == NULL && st == 0 ? -1 : 0;
}

/*
 * keep_hosts: after the start of d (container c), have iccd keep its
 * hosts file when it receives links.  A bad HostsPath or iccd's refusal
 * is logged: the container stays declared, only its names are missing.
 * -1 only when iccd cannot be reached.
 */
static int
keep_hosts(struct dk_ctx *x, const json_t *c, const struct dk_decl *d,
    char *err, size_t len)
{
	char why[ERRLEN], what[ICC_NAME_MAX + 64];
	json_t *req;

	if (dk_hosts_request(c, d, &req, why, sizeof(why)) == -1) {
		log_warnx("container %s (%.12s): %s: its hosts file is not "
		    "kept", d->name, d->id, why);
		return 0;
	}
	if (req == NULL)
		return 0;
	snprintf(what, sizeof(what), "hosts file of %s (%.12s)", d->name,
	    d->id);
	return ask(x, req, what, err, len);
}

/*
 * declare: container c (an inspect reply) into iccd, given iccd's
 * current entries.  -1 only when the engine or iccd cannot be reached.
 */
static int
declare(struct dk_ctx *x, const json_t *c, const json_t *entries, char *err,
    size_t len)
{
	struct dk_inputs in = { .container = c };
	char why[ERRLEN], what[ICC_NAME_MAX + 96];
	json_t *nets = NULL, *img = NULL;
	struct dk_decl d;
	int rv = -1;

	if ((nets = networks_of(x, c, err, len)) == NULL ||
	    image_of(x, c, &img, err, len) == -1)
		goto out;
	in.networks = nets;
	in.image = img;
	if (dk_map(&in, &d, why, sizeof(why)) == -1) {
		log_warnx("container %s (%.12s): %s: not declared%s",
		    d.name[0] ? d.name : "?", d.id, why, d.id[0] ? ", stopped "
		    "in iccd" : "");
		rv = d.id[0] ? stop_entries(x, entries, d.id, err, len) : 0;
		goto clear;
	}
	if (d.warn[0] != '\0')
		log_warnx("container %s (%.12s): %s", d.name, d.id, d.warn);
	if (d.req == NULL) {
		rv = stop_entries(x, entries, d.id, err, len);
		goto clear;
	}
	snprintf(what, sizeof(what), "start %s (%.12s) on %s", d.name, d.id,
	    d.network);
	if ((rv = rm_entries(x, entries, d.id, d.name, err, len)) == 0)
		rv = ask(x, json_incref(d.req), what, err, len);
	if (rv == 0)
		rv = keep_hosts(x, c, &d, err, len);
clear:
	dk_decl_clear(&d);
out:
	json_decref(nets);
	json_decref(img);
	return rv;
}

/* sync_with: dk_sync with iccd's entries already at hand. */
static int
sync_with(struct dk_ctx *x, const char *id, const json_t *entries,
    char *err, size_t len)
{
	json_t *c;
	long st;
	int rv;

	if ((c = get_path(x, &st, err, len, "/containers/", id, "/json")) ==
	    NULL) {
		if (st == 404)
			return rm_entries(x, entries, id, NULL, err, len);
		if (st == 0)
			return -1;
		log_warnx("%s: container left as it is", err);
		return 0;
	}
	rv = declare(x, c, entries, err, len);
	json_decref(c);
	return rv;
}

int
dk_sync(struct dk_ctx *x, const char *id, char *err, size_t len)
{
	json_t *entries;
	int rv;

	if ((entries = iccd_containers(x, err, len)) == NULL)
		return -1;
	rv = sync_with(x, id, entries, err, len);
	json_decref(entries);
	return rv;
}

/* docker_bridges: the interface names of the engine's bridge networks. */
static json_t *
docker_bridges(struct dk_ctx *x, char *err, size_t len)
{
	char br[ICC_IFNAME_MAX + 1], why[ERRLEN];
	json_t *nets, *n, *out;
	long st;
	size_t i;

	if ((nets = dk_get(&x->api, "/networks", &st, err, len)) == NULL)
		return NULL;
	out = json_object();
	json_array_foreach(nets, i, n) {
		if (dk_bridge_name(n, br, why, sizeof(why)) == 1)
			json_object_set_new(out, br, json_true());
	}
	json_decref(nets);
	return out;
}

/*
 * prune: rm or stop the iccd entries of Docker containers that are gone
 * or stopped, and those under a running container's old name.  `all` is
 * GET /containers/json?all=1.
 */
static int
prune(struct dk_ctx *x, const json_t *all, const json_t *entries,
    const json_t *bridges, char *err, size_t len)
{
	const char *id, *name, *why, *state, *dname;
	const json_t *e, *c, *found;
	size_t i, j;
	int rv = 0;

	json_array_foreach(entries, i, e) {
		id = entry_str(e, "id");
		name = entry_str(e, "name");
		if (dk_check_id(id, &why) == -1)
			continue;
		found = NULL;
		json_array_foreach(all, j, c)
			if (strcmp(id, json_string_value(json_object_get(c, "Id")) ?
			    json_string_value(json_object_get(c, "Id")) : "") == 0)
				found = c;
		if (found == NULL) {
			if (json_object_get(bridges, entry_str(e, "bridge")))
				rv = name_req(x, "rm", name, id, err, len);
		} else {
			state = json_string_value(json_object_get(found, "State"));
			dname = json_string_value(json_array_get(json_object_get(
			    found, "Names"), 0));
			if (dname != NULL && dname[0] == '/' &&
			    strcmp(dname + 1, name) != 0)
				rv = name_req(x, "rm", name, id, err, len);
			else if ((state == NULL || strcmp(state, "running") != 0) &&
			    json_is_true(json_object_get(e, "running")))
				rv = name_req(x, "stop", name, id, err, len);
		}
		if (rv == -1)
			return -1;
	}
	return 0;
}

/* declare_running: dk_sync every running container of `all`. */
static int
declare_running(struct dk_ctx *x, const json_t *all, const json_t *entries,
    char *err, size_t len)
{
	const char *id, *state, *why;
	const json_t *c;
	size_t i;

	json_array_foreach(all, i, c) {
		id = json_string_value(json_object_get(c, "Id"));
		state = json_string_value(json_object_get(c, "State"));
		if (id == NULL || dk_check_id(id, &why) == -1 || state == NULL ||
		    strcmp(state, "running") != 0)
			continue;
		if (sync_with(x, id, entries, err, len) == -1)
			return -1;
	}
	return 0;
}

int
dk_reconcile(struct dk_ctx *x, char *err, size_t len)
{
	json_t *all = NULL, *entries = NULL, *bridges = NULL;
	long st;
	int rv = -1;

	if ((all = dk_get(&x->api, "/containers/json?all=1", &st, err,
	    len)) == NULL || (bridges = docker_bridges(x, err, len)) == NULL ||
	    (entries = iccd_containers(x, err, len)) == NULL)
		goto out;
	if (!json_is_array(all)) {
		errf(err, len, EPROTO, "docker: GET /containers/json: not a list");
		goto out;
	}
	if (prune(x, all, entries, bridges, err, len) == -1)
		goto out;
	/* The pruned names are gone: list again before declaring. */
	json_decref(entries);
	if ((entries = iccd_containers(x, err, len)) == NULL)
		goto out;
	rv = declare_running(x, all, entries, err, len);
out:
	json_decref(all);
	json_decref(bridges);
	json_decref(entries);
	return rv;
}

json_t *
dk_event_filters(void)
{
	return json_pack("{s:[s,s],s:[s,s,s,s,s,s]}", "type", "container",
	    "network", "event", "start", "die", "destroy", "rename", "connect",
	    "disconnect");
}

/* event_container: the container an event is about, or NULL. */
static const char *
event_container(const json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *act = json_string_value(json_object_get(ev, "Action"));
	const json_t *actor = json_object_get(ev, "Actor");

	if (type == NULL || act == NULL)
		return NULL;
	if (strcmp(type, "container") == 0 && (strcmp(act, "start") == 0 ||
	    strcmp(act, "die") == 0 || strcmp(act, "destroy") == 0 ||
	    strcmp(act, "rename") == 0))
		return json_string_value(json_object_get(actor, "ID"));
	if (strcmp(type, "network") == 0 && (strcmp(act, "connect") == 0 ||
	    strcmp(act, "disconnect") == 0))
		return json_string_value(json_object_get(json_object_get(actor,
		    "Attributes"), "container"));
	return NULL;
}

int
dk_event(json_t *ev, void *arg, char *err, size_t len)
{
	const char *id = event_container(ev), *why;

	if (id == NULL)
		return 0;
	if (dk_check_id(id, &why) == -1) {
		log_warnx("docker event with a bad container id: %s: ignored", why);
		return 0;
	}
	log_debug("event %s %s %.12s",
	    json_string_value(json_object_get(ev, "Type")),
	    json_string_value(json_object_get(ev, "Action")), id);
	return dk_sync(arg, id, err, len);
}
