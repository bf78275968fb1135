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
#include "journal.h"
#include "log.h"
#include "request.h"
#include "state_int.h"
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

/* write_file: len bytes at p, then the newline when nl, as path. */
static int
write_file(const char *path, const void *p, size_t len, bool nl,
    bool dirsync)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if ((fd = open_temp(path, tmp)) == -1)
		return -1;
	if (write_all(fd, p, len) == -1 ||
	    (nl && write_all(fd, "\n", 1) == -1) || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return dirsync ? fsync_dir_of(path) : 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
state_write_text(const char *path, const char *text, size_t len,
    bool dirsync)
{
	return write_file(path, text, len, true, dirsync);
}

int
state_write_bytes(const char *path, const void *p, size_t len, bool dirsync)
{
	return write_file(path, p, len, false, dirsync);
}

int
state_write_json(const char *dir, const char *rel, const json_t *obj)
{
	char path[PATH_MAX], *text;
	int rv, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rv = state_write_text(path, text, strlen(text), true);
	saved = errno;
	free(text);
	errno = saved;
	return rv;
}

json_t *
state_container_json(const struct icc_container *c, uint64_t seq,
    const json_t *hosts)
{
	json_t *o = request_encode_start(c);

	if (o == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	json_object_del(o, "cmd");
	json_object_set_new(o, "running", json_boolean(c->running));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	if (hosts != NULL)
		json_object_set(o, "hosts", (json_t *)hosts);
	return o;
}

int
state_save_container(const char *dir, const struct icc_container *c,
    uint64_t seq, const json_t *hosts)
{
	json_t *o = state_container_json(c, seq, hosts);
	char rel[ICC_NAME_MAX + 16];
	int rv;

	if (o == NULL)
		return -1;
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

json_t *
state_bridges_json(const struct icc_model *m)
{
	json_t *a = json_array();

	if (a == NULL || model_bridges(m, bridge_cb, a) != 0) {
		json_decref(a);
		errno = ENOMEM;
		return NULL;
	}
	return json_pack("{s:o}", "bridges", a);
}

int
state_save_bridges(const char *dir, const struct icc_model *m)
{
	json_t *o = state_bridges_json(m);
	int rv;

	rv = o ? state_write_json(dir, "bridges.json", o) : -1;
	json_decref(o);
	return rv;
}

/* ---- loading -------------------------------------------------------------- */

/*
 * load_file: parse path as one JSON object, read whole with read(2) then
 * parsed from memory (json_load_file reads a byte at a time through
 * stdio, which cost a start of 2,600 files ~20 ms).  The error names the
 * file, line and column and what was wrong, never the bytes found there.
 */
json_t *
load_file(const char *path, char *err, size_t errlen)
{
	char buf[16384], *text = buf, *big = NULL, *near;
	json_error_t jerr;
	struct stat st;
	size_t len = 0, cap = sizeof(buf);
	ssize_t n;
	json_t *o;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if ((size_t)st.st_size >= sizeof(buf)) {
		cap = (size_t)st.st_size + 1;
		if ((text = big = malloc(cap)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			close(fd);
			return NULL;
		}
	}
	/* Up to the size fstat gave, plus one byte to see it grew. */
	while (len < cap && (n = read(fd, text + len, cap - len)) > 0)
		len += (size_t)n;
	n = len < cap ? n : 0;
	close(fd);
	if (n == -1 || len > (size_t)st.st_size) {
		snprintf(err, errlen, "%s: %s", path, n == -1 ?
		    strerror(errno) : "changed while read");
		free(big);
		return NULL;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(big);
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

int
apply_bridges(const char *where, const json_t *o, struct icc_model *m,
    char *err, size_t errlen)
{
	char field[64];
	const json_t *v, *a;
	size_t i;

	if (!json_is_array(a = json_object_get(o, "bridges")))
		return bad_type(err, errlen, where, "bridges", "a list");
	json_array_foreach(a, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *why;
		struct icc_bridge *b;

		if (name == NULL || !json_is_boolean(json_object_get(v,
		    "icc"))) {
			snprintf(field, sizeof(field), "bridges[%zu].%s", i,
			    name == NULL ? "name" : "icc");
			return bad_type(err, errlen, where, field, name ==
			    NULL ? "a string" : "a boolean");
		}
		if (parse_ifname(name, &why) == -1)
			return errf(err, errlen, EINVAL, "%s: bridges[%zu].name: "
			    "%s", where, i, why);
		if ((b = model_bridge_add(m, name)) == NULL)
			return errf(err, errlen, ENOMEM, "out of memory");
		b->icc = json_is_true(json_object_get(v, "icc"));
	}
	return 0;
}

int
load_bridges(const char *dir, struct icc_model *m, const json_t *journaled,
    const char *where, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_t *o;
	int rv;

	if (journaled != NULL)
		return apply_bridges(where, journaled, m, err, errlen);
	snprintf(path, sizeof(path), "%s/bridges.json", dir);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((o = load_file(path, err, errlen)) == NULL)
		return -1;
	rv = apply_bridges(path, o, m, err, errlen);
	json_decref(o);
	return rv;
}

/*
 * check_types: the fields state.c adds to a start request have their
 * types: "running" a boolean, "seq" a non-negative integer, "hosts" (if
 * any) an object with a string "path" and a list of strings "owned".
 * The rest is a start request, which request_parse checks.
 */
int
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

int
load_container(const char *path, const char *fname, json_t *o,
    struct icc_container **out, char *err, size_t errlen)
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

bool
is_state_file(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".json") == 0;
}

bool
is_temp_file(const char *name)
{
	return name[0] == '.' && strstr(name, ".json.tmp.") != NULL;
}
