/* state.c: see state.h. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"
#include "log.h"
#include "request.h"
#include "util.h"

/* make_safe_dir: dir exists (made 0700 if missing) and is root's alone. */
static int
make_safe_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return errf(err, errlen, 0, "state directory %s: %s", dir,
		    strerror(errno));
	return fsafe_dir("state directory", dir, err, errlen);
}

int
state_init(const char *dir, char *err, size_t errlen)
{
	char sub[PATH_MAX];

	if (make_safe_dir(dir, err, errlen) == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s/c", dir);
	return make_safe_dir(sub, err, errlen);
}

/* fsync_dir: make a rename or unlink in dir durable. */
static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rv;

	if (fd == -1)
		return -1;
	rv = fsync(fd);
	close(fd);
	return rv;
}

/*
 * open_temp: a new file next to path, for writing: O_EXCL|O_NOFOLLOW, so
 * nothing planted under the name (a symlink above all) is ever opened,
 * and a name of its own (".NAME.tmp.PID.N") so that no one can plant it
 * in advance.  tmp (PATH_MAX bytes) gets the name.  Returns the fd or -1.
 */
static int
open_temp(const char *path, char *tmp)
{
	static unsigned long counter;
	const char *base = strrchr(path, '/');
	int dlen = base != NULL ? (int)(base - path + 1) : 0, fd;

	base = base != NULL ? base + 1 : path;
	for (int tries = 0; tries < 100; tries++) {
		snprintf(tmp, PATH_MAX, "%.*s.%s.tmp.%ld.%lu", dlen, path, base,
		    (long)getpid(), counter++);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
state_write_json(const char *dir, const char *rel, const json_t *obj)
{
	char path[PATH_MAX], tmp[PATH_MAX], pdir[PATH_MAX], *text, *slash;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(pdir, sizeof(pdir), "%s", path);
	if ((slash = strrchr(pdir, '/')) != NULL)
		*slash = '\0';
	if ((text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if ((fd = open_temp(path, tmp)) == -1) {
		saved = errno;
		free(text);
		errno = saved;
		return -1;
	}
	if (write_all(fd, text, strlen(text)) == -1 ||
	    write_all(fd, "\n", 1) == -1 || fsync(fd) == -1)
		goto fail;
	free(text);
	text = NULL;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return fsync_dir(pdir);
fail:
	saved = errno;
	free(text);
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
state_save_container(const char *dir, const struct icc_container *c,
    uint64_t seq, const json_t *hosts)
{
	json_t *o = request_encode_start(c);
	char rel[ICC_NAME_MAX + 16];
	int rv;

	if (o == NULL) {
		errno = ENOMEM;
		return -1;
	}
	json_object_del(o, "cmd");
	json_object_set_new(o, "running", json_boolean(c->running));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	if (hosts != NULL)
		json_object_set(o, "hosts", (json_t *)hosts);
	snprintf(rel, sizeof(rel), "c/%s.json", c->name);
	rv = state_write_json(dir, rel, o);
	json_decref(o);
	return rv;
}

int
state_remove_container(const char *dir, const char *name)
{
	char path[PATH_MAX], sub[PATH_MAX];

	snprintf(sub, sizeof(sub), "%s/c", dir);
	snprintf(path, sizeof(path), "%s/%s.json", sub, name);
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return fsync_dir(sub);
}

static int
bridge_cb(const struct icc_bridge *b, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:s,s:b}", "name",
	    b->name, "icc", b->icc));
}

int
state_save_bridges(const char *dir, const struct icc_model *m)
{
	json_t *a = json_array(), *o;
	int rv;

	if (a == NULL || model_bridges(m, bridge_cb, a) != 0) {
		json_decref(a);
		errno = ENOMEM;
		return -1;
	}
	o = json_pack("{s:o}", "bridges", a);
	rv = o ? state_write_json(dir, "bridges.json", o) : -1;
	json_decref(o);
	return rv;
}

/* ---- loading -------------------------------------------------------------- */

/*
 * load_file: parse path as one JSON object.  The error names the file,
 * line and column and what was wrong, never the bytes found there.
 */
static json_t *
load_file(const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	char *near;

	if (o == NULL) {
		/* jansson quotes the token it choked on: "... near 'x'". */
		if ((near = strstr(jerr.text, " near ")) != NULL)
			*near = '\0';
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
	} else if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* bad_type: a field of the wrong JSON type, named in the error. */
static int
bad_type(char *err, size_t errlen, const char *path, const char *field,
    const char *want)
{
	return errf(err, errlen, EINVAL, "%s: %s: not %s", path, field, want);
}

static int
load_bridges(const char *dir, struct icc_model *m, char *err, size_t errlen)
{
	char path[PATH_MAX], field[64];
	const json_t *v, *a;
	json_t *o;
	size_t i;
	int rv = 0;

	snprintf(path, sizeof(path), "%s/bridges.json", dir);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((o = load_file(path, err, errlen)) == NULL)
		return -1;
	if (!json_is_array(a = json_object_get(o, "bridges"))) {
		json_decref(o);
		return bad_type(err, errlen, path, "bridges", "a list");
	}
	json_array_foreach(a, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *why;
		struct icc_bridge *b;

		if (name == NULL || !json_is_boolean(json_object_get(v,
		    "icc"))) {
			snprintf(field, sizeof(field), "bridges[%zu].%s", i,
			    name == NULL ? "name" : "icc");
			rv = bad_type(err, errlen, path, field, name == NULL ?
			    "a string" : "a boolean");
			break;
		}
		if (parse_ifname(name, &why) == -1) {
			rv = errf(err, errlen, EINVAL, "%s: bridges[%zu].name: "
			    "%s", path, i, why);
			break;
		}
		if ((b = model_bridge_add(m, name)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rv = -1;
			break;
		}
		b->icc = json_is_true(json_object_get(v, "icc"));
	}
	json_decref(o);
	return rv;
}

/*
 * check_types: the fields state.c adds to a start request have their
 * types: "running" a boolean, "seq" a non-negative integer, "hosts" (if
 * any) an object with a string "path" and a list of strings "owned".
 * The rest is a start request, which request_parse checks.
 */
static int
check_types(const char *path, const json_t *o, char *err, size_t errlen)
{
	const json_t *h = json_object_get(o, "hosts"), *v;
	size_t i;

	if (!json_is_boolean(json_object_get(o, "running")))
		return bad_type(err, errlen, path, "running", "a boolean");
	v = json_object_get(o, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_type(err, errlen, path, "seq", "a non-negative "
		    "integer");
	if (h == NULL)
		return 0;
	if (!json_is_object(h))
		return bad_type(err, errlen, path, "hosts", "an object");
	if (!json_is_string(json_object_get(h, "path")))
		return bad_type(err, errlen, path, "hosts.path", "a string");
	v = json_object_get(h, "owned");
	if (v != NULL && !json_is_array(v))
		return bad_type(err, errlen, path, "hosts.owned", "a list");
	json_array_foreach(v, i, h)
		if (!json_is_string(h))
			return bad_type(err, errlen, path, "hosts.owned",
			    "a list of strings");
	return 0;
}

static int
load_container(const char *path, const char *fname, json_t *o, struct icc_container **out, char *err, size_t errlen)
{
	char msg[512], expect[ICC_NAME_MAX + 8];
	struct request r;
	json_t *running = json_incref(json_object_get(o, "running"));

	json_object_del(o, "running");
	json_object_del(o, "seq");
	json_object_del(o, "hosts");
	json_object_set_new(o, "cmd", json_string("start"));
	if (request_parse(o, &r, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg);
		json_decref(running);
		return -1;
	}
	snprintf(expect, sizeof(expect), "%s.json", r.c->name);
	if (strcmp(expect, fname) != 0) {
		snprintf(err, errlen, "%s: name \"%s\" does not match the file "
		    "name", path, r.c->name);
		request_clear(&r);
		json_decref(running);
		return -1;
	}
	r.c->running = json_is_true(running);
	r.c->has_identity = true;
	json_decref(running);
	*out = r.c;
	r.c = NULL;
	return 0;
}

struct loaded {
	struct icc_container	*c;
	uint64_t		 seq;
	json_t			*hosts;
};

static int
cmp_loaded(const void *a, const void *b)
{
	const struct loaded *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool
is_state_file(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".json") == 0;
}

/* is_temp_file: a temp file of open_temp, left by a crash. */
static bool
is_temp_file(const char *name)
{
	return name[0] == '.' && strstr(name, ".json.tmp.") != NULL;
}

/* read_containers: every c/NAME.json into *out (n entries). */
static int
read_containers(const char *dir, struct loaded **out, size_t *n, char *err,
    size_t errlen)
{
	char sub[PATH_MAX], path[PATH_MAX];
	struct loaded *v = NULL, *nv;
	struct dirent *de;
	DIR *dp;
	int rv = 0;

	snprintf(sub, sizeof(sub), "%s/c", dir);
	if ((dp = opendir(sub)) == NULL) {
		snprintf(err, errlen, "%s: %s", sub, strerror(errno));
		return -1;
	}
	*n = 0;
	while (rv == 0 && (de = readdir(dp)) != NULL) {
		json_t *o;

		if (is_temp_file(de->d_name))
			unlinkat(dirfd(dp), de->d_name, 0);	/* a crash's */
		if (!is_state_file(de->d_name))
			continue;	/* ".", "..", and temp files */
		snprintf(path, sizeof(path), "%s/%s", sub, de->d_name);
		if ((nv = realloc(v, (*n + 1) * sizeof(*v))) == NULL ||
		    (o = load_file(path, err, errlen)) == NULL) {
			if (nv == NULL)
				snprintf(err, errlen, "out of memory");
			else
				v = nv;
			rv = -1;
			break;
		}
		v = nv;
		memset(&v[*n], 0, sizeof(v[*n]));
		if (check_types(path, o, err, errlen) == -1) {
			json_decref(o);
			rv = -1;
			break;
		}
		v[*n].seq = (uint64_t)json_integer_value(json_object_get(o,
		    "seq"));
		v[*n].hosts = json_incref(json_object_get(o, "hosts"));
		rv = load_container(path, de->d_name, o, &v[*n].c, err,
		    errlen);
		json_decref(o);
		if (rv == 0)
			(*n)++;
		else
			json_decref(v[*n].hosts);
	}
	closedir(dp);
	*out = v;
	return rv;
}

/* stop_holder: h (loaded earlier) holds an address c claims: h lost it. */
static void
stop_holder(struct icc_model *m, const struct icc_container *h,
    const struct icc_container *c)
{
	if (h == NULL || strcmp(h->name, c->name) == 0)
		return;
	log_warnx("state: %s and %s both claim an address on %s; %s "
	    "(written later) keeps it", h->name, c->name, c->bridge, c->name);
	model_set_running(m, h->name, false);
}

/*
 * stop_claimed: containers loaded earlier (lower seq) that still hold one
 * of c's addresses lost it in a takeover that was written half-way.  The
 * IPv4 and the IPv6 address may have had two different holders: both
 * lose (a holder of both is stopped once, and then holds neither).
 */
static void
stop_claimed(struct icc_model *m, const struct icc_container *c)
{
	if (!c->running)
		return;
	stop_holder(m, model_holder4(m, c->bridge, c->ip4), c);
	if (c->has_ip6)
		stop_holder(m, model_holder6(m, c->bridge, &c->ip6), c);
}

int
state_load(const char *dir, struct icc_model *m, uint64_t *seq,
    void (*hosts_fn)(const char *name, const json_t *hosts, void *arg),
    void *arg, char *err, size_t errlen)
{
	struct loaded *v = NULL;
	size_t n = 0;
	int rv;

	*seq = 0;
	if (load_bridges(dir, m, err, errlen) == -1)
		return -1;
	rv = read_containers(dir, &v, &n, err, errlen);
	if (rv == 0 && n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(v, n, sizeof(*v), cmp_loaded);
	for (size_t i = 0; i < n; i++) {
		if (rv == 0) {
			stop_claimed(m, v[i].c);
			if (model_put(m, v[i].c) == -1) {
				snprintf(err, errlen, "out of memory");
				rv = -1;
			} else {
				if (v[i].hosts != NULL && hosts_fn != NULL)
					hosts_fn(v[i].c->name, v[i].hosts, arg);
				v[i].c = NULL;
			}
		}
		if (v[i].seq > *seq)
			*seq = v[i].seq;
		container_free(v[i].c);
		json_decref(v[i].hosts);
	}
	free(v);
	return rv;
}
