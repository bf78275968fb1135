/*
 * icc-cnirun: run the plugins of a CNI network configuration list the way
 * a runtime (libcni) does, for t19-cni.sh: no runtime is installed there
 * and bash cannot splice JSON without jq.
 *
 *   icc-cnirun ADD|DEL|CHECK CONFLIST CACHE
 *   icc-cnirun equal FILE1 FILE2     exit 0 when both hold equal JSON
 *
 * CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS and CNI_PATH are passed
 * to the plugins as they are; each plugin is looked up by its "type" in
 * CNI_PATH.  CAP_ARGS, a JSON object, holds the capability arguments (as
 * for cnitool): a plugin that declares capability K gets runtimeConfig.K.
 * Each plugin's configuration is its object from the list plus cniVersion
 * and name from the list, runtimeConfig, and prevResult; "capabilities"
 * is removed (CNI spec 1.0.0, section 3).
 *
 * ADD runs the plugins in order, prevResult being the previous plugin's
 * result; plugin N's output is saved as CACHE.N and the last one as CACHE
 * (the result a runtime keeps), and printed.  DEL runs them in reverse
 * with prevResult = CACHE when it exists, and removes the cache files
 * when all succeeded.  CHECK runs them in order with prevResult = CACHE,
 * unless the list has disableCheck.  A plugin that fails halts the run:
 * its stdout (the CNI error object) is printed, a line on stderr names it,
 * and the exit status is 1.  2 means icc-cnirun itself could not run.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tool.h"

const char tool_prog[] = "icc-cnirun";

#define OUT_MAX	(1u << 20)

static json_t *
load(const char *path)
{
	json_error_t jerr;
	json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (v == NULL)
		die_usage("%s: line %d: %s", path, jerr.line, jerr.text);
	return v;
}

/* find_plugin: type's executable in CNI_PATH (malloc'ed). */
static char *
find_plugin(const char *type)
{
	const char *cpath = getenv("CNI_PATH"), *p, *end;
	char *path;

	if (cpath == NULL || *cpath == '\0')
		die_usage("CNI_PATH: missing");
	if (strchr(type, '/') != NULL)
		die_usage("type \"%s\": not a plain name", type);
	for (p = cpath; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (asprintf(&path, "%.*s/%s", (int)(end - p), p, type) == -1)
			die_usage("out of memory");
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	die_usage("plugin \"%s\" not found in CNI_PATH %s", type, cpath);
}

/* config_fd: conf as an in-memory file at offset 0, for the child's stdin. */
static int
config_fd(const json_t *conf)
{
	char *s = json_dumps(conf, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n;
	int fd;

	if (s == NULL || (fd = memfd_create("cniconf", 0)) == -1)
		die_usage("config: %s", strerror(errno ? errno : ENOMEM));
	n = strlen(s);
	if (write(fd, s, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) == -1)
		die_usage("config: %s", strerror(errno));
	free(s);
	return fd;
}

/*
 * run: one plugin with CNI_COMMAND=cmd and conf on stdin.  Returns its
 * exit status (-1 if it died) with its whole stdout in *out.
 */
static int
run(const char *cmd, const char *path, const json_t *conf, char **out)
{
	size_t n = 0, cap = OUT_MAX + 1;
	int in = config_fd(conf), pfd[2], status;
	char *buf = malloc(cap);
	ssize_t r;
	pid_t pid;

	if (buf == NULL || pipe(pfd) == -1)
		die_usage("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		die_usage("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(in, 0) == -1 || dup2(pfd[1], 1) == -1 ||
		    setenv("CNI_COMMAND", cmd, 1) == -1)
			_exit(127);
		close(pfd[0]);
		execl(path, path, (char *)NULL);
		fprintf(stderr, "icc-cnirun: %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(in);
	close(pfd[1]);
	while ((r = read(pfd[0], buf + n, cap - 1 - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die_usage("read from %s: %s", path, strerror(errno));
		if ((n += (size_t)r) == cap - 1)
			die_usage("%s: more than %u bytes of output", path, OUT_MAX);
	}
	buf[n] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			die_usage("waitpid: %s", strerror(errno));
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* exec_conf: the configuration plugin i of list gets (section 3). */
static json_t *
exec_conf(const json_t *list, const json_t *plugin, const json_t *prev,
    const json_t *capargs)
{
	json_t *conf = json_deep_copy(plugin), *caps, *rc = json_object(), *v;
	const char *key;

	if (conf == NULL || rc == NULL)
		die_usage("out of memory");
	json_object_set(conf, "cniVersion", json_object_get(list,
	    "cniVersion"));
	json_object_set(conf, "name", json_object_get(list, "name"));
	caps = json_object_get(conf, "capabilities");
	json_object_foreach(caps, key, v)
		if (json_is_true(v) && json_object_get(capargs, key) != NULL)
			json_object_set(rc, key, json_object_get(capargs, key));
	json_object_del(conf, "capabilities");
	if (json_object_size(rc) > 0)
		json_object_set(conf, "runtimeConfig", rc);
	json_decref(rc);
	if (prev != NULL)
		json_object_set_new(conf, "prevResult", json_deep_copy(prev));
	return conf;
}

static void
save(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF)
		die_usage("%s: %s", path, strerror(errno));
}

/*
 * one: run plugin i of list; on failure print its output and exit 1.
 * Returns its output (caller frees).
 */
static char *
one(const char *cmd, const json_t *list, size_t i, const json_t *prev,
    const json_t *capargs)
{
	const json_t *plugin = json_array_get(json_object_get(list, "plugins"),
	    i);
	const char *type = json_string_value(json_object_get(plugin, "type"));
	json_t *conf;
	char *path, *out;
	int rc;

	if (type == NULL)
		die_usage("plugins[%zu]: no type", i);
	path = find_plugin(type);
	conf = exec_conf(list, plugin, prev, capargs);
	rc = run(cmd, path, conf, &out);
	json_decref(conf);
	free(path);
	if (rc != 0) {
		fputs(out, stdout);
		fprintf(stderr, "icc-cnirun: %s: plugins[%zu] (%s) failed, "
		    "exit %d\n", cmd, i, type, rc);
		exit(1);
	}
	return out;
}

static json_t *
parse_result(const char *text, const char *type)
{
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(v)) {
		json_decref(v);
		die_usage("%s: ADD printed no JSON object", type);
	}
	return v;
}

static int
cmd_add(const json_t *list, const char *cache, const json_t *capargs)
{
	size_t n = json_array_size(json_object_get(list, "plugins"));
	json_t *prev = NULL;
	char *out = NULL, *path;

	for (size_t i = 0; i < n; i++) {
		free(out);
		out = one("ADD", list, i, prev, capargs);
		json_decref(prev);
		prev = parse_result(out, "plugin");
		if (asprintf(&path, "%s.%zu", cache, i) == -1)
			die_usage("out of memory");
		save(path, out);
		free(path);
	}
	if (out != NULL) {
		save(cache, out);
		fputs(out, stdout);
	}
	free(out);
	json_decref(prev);
	return 0;
}

static int
cmd_del_check(const char *cmd, const json_t *list, const char *cache,
    const json_t *capargs)
{
	size_t n = json_array_size(json_object_get(list, "plugins"));
	bool del = strcmp(cmd, "DEL") == 0;
	json_t *prev = NULL;
	char *path;

	if (access(cache, F_OK) == 0)
		prev = load(cache);
	else if (!del)
		die_usage("%s: no cached result: CHECK needs one", cache);
	if (!del && json_is_true(json_object_get(list, "disableCheck")))
		return 0;
	for (size_t k = 0; k < n; k++)
		free(one(cmd, list, del ? n - 1 - k : k, prev, capargs));
	json_decref(prev);
	if (!del)
		return 0;
	/* The runtime forgets the result of a container deleted. */
	for (size_t i = 0; i < n; i++) {
		if (asprintf(&path, "%s.%zu", cache, i) == -1)
			die_usage("out of memory");
		unlink(path);
		free(path);
	}
	unlink(cache);
	return 0;
}

static int
cmd_equal(const char *a, const char *b)
{
	json_t *ja = load(a), *jb = load(b);
	int eq = json_equal(ja, jb);

	if (!eq)
		fprintf(stderr, "icc-cnirun: %s and %s differ\n", a, b);
	json_decref(ja);
	json_decref(jb);
	return eq ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *caps = getenv("CAP_ARGS");
	json_t *list, *capargs = NULL;
	int rv;

	if (argc == 4 && strcmp(argv[1], "equal") == 0)
		return cmd_equal(argv[2], argv[3]);
	if (argc != 4 || (strcmp(argv[1], "ADD") != 0 &&
	    strcmp(argv[1], "DEL") != 0 && strcmp(argv[1], "CHECK") != 0))
		die_usage("usage: icc-cnirun ADD|DEL|CHECK CONFLIST CACHE | "
		    "equal FILE1 FILE2");
	list = load(argv[2]);
	if (!json_is_array(json_object_get(list, "plugins")))
		die_usage("%s: no plugins list", argv[2]);
	/* json_is_object() is a macro that evaluates its argument twice:
	 * load first, then test. */
	if (caps != NULL && *caps != '\0') {
		capargs = json_loads(caps, 0, NULL);
		if (!json_is_object(capargs))
			die_usage("CAP_ARGS: not a JSON object");
	}
	if (strcmp(argv[1], "ADD") == 0)
		rv = cmd_add(list, argv[3], capargs);
	else
		rv = cmd_del_check(argv[1], list, argv[3], capargs);
	json_decref(capargs);
	json_decref(list);
	return rv;
}
