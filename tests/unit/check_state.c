/*
 * check_state.c: the state directory: round trip of every declaration,
 * atomic files, half-written takeovers, and errors naming the file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "state.h"
#include "suites.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/iccd-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char err[512];

	ck_assert_msg(state_init(dir, err, sizeof(err)) == 0, "%s", err);
}

static void
rm_rf(const char *path)
{
	char cmd[128];

	/* Test cleanup only: the paths are our own mkdtemp results. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static void
teardown(void)
{
	rm_rf(dir);
}

static struct icc_container *
mk(const char *name, const char *ip, bool running)
{
	struct icc_container *c = container_new();

	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->bridge, sizeof(c->bridge), "br0");
	inet_pton(AF_INET, ip, &c->ip4);
	c->running = running;
	return c;
}

static void
write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
unlink_rel(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_int_eq(unlink(path), 0);
}

START_TEST(test_round_trip)
{
	struct icc_model *m = model_new(false), *m2 = model_new(true);
	struct icc_container *c = mk("db", "10.0.0.2", true), *l;
	struct icc_ports p = { 7000, 7999, IPPROTO_UDP };
	uint64_t seq;
	char err[256];

	inet_pton(AF_INET6, "fd00::2", &c->ip6);
	c->has_ip6 = true;
	snprintf(c->id, sizeof(c->id), "abc123");
	snprintf(c->hostname, sizeof(c->hostname), "dbhost");
	c->ports = calloc(1, sizeof(p));
	c->ports[0] = p;
	c->nports = 1;
	ck_assert_int_eq(container_add_link(c, "cache", "kv"), 0);
	ck_assert_int_eq(container_add_env(c, "A=b=c d"), 0);
	ck_assert_int_eq(model_put(m, c), 0);
	model_bridge(m, "br0")->icc = true;
	ck_assert_int_eq(state_save_container(dir, c, 7, NULL), 0);
	ck_assert_int_eq(state_save_bridges(dir, m), 0);

	ck_assert_int_eq(state_load(dir, m2, &seq, NULL, NULL, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(seq, 7);
	ck_assert_ptr_nonnull(l = model_find(m2, "db"));
	ck_assert(l->running);
	ck_assert(l->has_ip6);
	ck_assert_mem_eq(&l->ip6, &c->ip6, 16);
	ck_assert_str_eq(l->id, "abc123");
	ck_assert_str_eq(l->hostname, "dbhost");
	ck_assert_uint_eq(l->nports, 1);
	ck_assert_uint_eq(l->ports[0].first, 7000);
	ck_assert_uint_eq(l->ports[0].last, 7999);
	ck_assert_uint_eq(l->ports[0].proto, IPPROTO_UDP);
	ck_assert_uint_eq(l->nlinks, 1);
	ck_assert_str_eq(l->links[0].source, "cache");
	ck_assert_str_eq(l->links[0].alias, "kv");
	ck_assert_uint_eq(l->nenv, 1);
	ck_assert_str_eq(l->env[0], "A=b=c d");
	ck_assert(model_bridge(m2, "br0")->icc);
	model_free(m);
	model_free(m2);
}
END_TEST

START_TEST(test_remove_and_temp_files_ignored)
{
	struct icc_model *m = model_new(false), *m2 = model_new(false);
	struct icc_container *c = mk("web", "10.0.0.3", false);
	char err[256];
	uint64_t seq;

	ck_assert_int_eq(model_put(m, c), 0);
	ck_assert_int_eq(state_save_container(dir, c, 1, NULL), 0);
	/* What a crash between write and rename leaves behind. */
	write_file("c/web.json.tmp", "{\"name\":");
	write_file("c/.x.json", "garbage");
	ck_assert_int_eq(state_load(dir, m2, &seq, NULL, NULL, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(model_find(m2, "web"));
	ck_assert(!model_find(m2, "web")->running);
	model_free(m2);

	ck_assert_int_eq(state_remove_container(dir, "web"), 0);
	m2 = model_new(false);
	ck_assert_int_eq(state_load(dir, m2, &seq, NULL, NULL, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(model_count(m2), 0);
	model_free(m);
	model_free(m2);
}
END_TEST

START_TEST(test_half_written_takeover)
{
	struct icc_model *m = model_new(false), *m2 = model_new(false);
	struct icc_container *a = mk("a", "10.0.0.9", true);
	struct icc_container *b = mk("b", "10.0.0.9", true);
	char err[256];
	uint64_t seq;

	/* b took a's address (seq 5) but the crash came before a's file
	 * was rewritten as stopped: b, written later, keeps it. */
	ck_assert_int_eq(state_save_container(dir, a, 4, NULL), 0);
	ck_assert_int_eq(state_save_container(dir, b, 5, NULL), 0);
	ck_assert_int_eq(state_load(dir, m2, &seq, NULL, NULL, err,
	    sizeof(err)), 0);
	ck_assert(!model_find(m2, "a")->running);
	ck_assert(model_find(m2, "b")->running);
	ck_assert_uint_eq(seq, 5);
	container_free(a);
	container_free(b);
	model_free(m);
	model_free(m2);
}
END_TEST

START_TEST(test_bad_file_named)
{
	struct icc_model *m = model_new(false);
	char err[256];
	uint64_t seq;

	write_file("c/db.json", "{\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.300\",\"running\":true,\"seq\":1}\n");
	ck_assert_int_eq(state_load(dir, m, &seq, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "c/db.json: ip: "));
	model_free(m);
}
END_TEST

START_TEST(test_name_must_match_file)
{
	struct icc_model *m = model_new(false);
	char err[256];
	uint64_t seq;

	write_file("c/other.json", "{\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"running\":true,\"seq\":1}\n");
	ck_assert_int_eq(state_load(dir, m, &seq, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "does not match the file name"));
	model_free(m);
}
END_TEST

static void
hosts_cb(const char *name, const json_t *hosts, void *arg)
{
	snprintf(arg, 64, "%s:%s", name,
	    json_string_value(json_object_get(hosts, "path")));
}

START_TEST(test_hosts_registration_kept)
{
	struct icc_model *m = model_new(false);
	struct icc_container *c = mk("web", "10.0.0.3", true);
	json_t *h = json_pack("{s:s,s:[s]}", "path", "/x/hosts", "owned", "db");
	char err[256], got[64] = "";
	uint64_t seq;

	ck_assert_int_eq(state_save_container(dir, c, 3, h), 0);
	ck_assert_int_eq(state_load(dir, m, &seq, hosts_cb, got, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(got, "web:/x/hosts");
	json_decref(h);
	container_free(c);
	model_free(m);
}
END_TEST

START_TEST(test_file_mode_private)
{
	struct icc_container *c = mk("db", "10.0.0.2", true);
	char path[128];
	struct stat st;

	ck_assert_int_eq(state_save_container(dir, c, 1, NULL), 0);
	snprintf(path, sizeof(path), "%s/c/db.json", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	container_free(c);
}
END_TEST

/* ---- what root must not trust ------------------------------------------ */

/* load_fails: the state written by hand fails to load with exactly want
 * (after "DIR/"). */
static void
load_fails(const char *want)
{
	struct icc_model *m = model_new(false);
	char err[512], full[512];
	uint64_t seq;

	ck_assert_int_eq(state_load(dir, m, &seq, NULL, NULL, err,
	    sizeof(err)), -1);
	snprintf(full, sizeof(full), "%s/%s", dir, want);
	ck_assert_str_eq(err, full);
	model_free(m);
}

#define DB_FILE(extra)	"{\"name\":\"db\",\"bridge\":\"br0\","	\
	"\"ip\":\"10.0.0.2\"," extra "}\n"

/* A field of the wrong JSON type is an error naming file and field,
 * never read as something else ("yes" as stopped, say). */
START_TEST(test_wrong_types)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ DB_FILE("\"running\":\"yes\",\"seq\":1"),
		    "c/db.json: running: not a boolean" },
		{ DB_FILE("\"running\":1,\"seq\":1"),
		    "c/db.json: running: not a boolean" },
		{ DB_FILE("\"seq\":1"), "c/db.json: running: not a boolean" },
		{ DB_FILE("\"running\":true,\"seq\":\"1\""),
		    "c/db.json: seq: not a non-negative integer" },
		{ DB_FILE("\"running\":true,\"seq\":-1"),
		    "c/db.json: seq: not a non-negative integer" },
		{ DB_FILE("\"running\":true,\"seq\":1,\"hosts\":\"/x\""),
		    "c/db.json: hosts: not an object" },
		{ DB_FILE("\"running\":true,\"seq\":1,\"hosts\":{\"path\":1}"),
		    "c/db.json: hosts.path: not a string" },
		{ DB_FILE("\"running\":true,\"seq\":1,\"hosts\":{\"path\":"
		    "\"/x/hosts\",\"owned\":[1]}"),
		    "c/db.json: hosts.owned: not a list of strings" },
		{ DB_FILE("\"running\":true,\"seq\":1,\"expose\":\"80\""),
		    "c/db.json: expose: not a list" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file("c/db.json", cases[i].text);
		load_fails(cases[i].err);
	}
	unlink_rel("c/db.json");
	write_file("bridges.json", "{\"bridges\":{\"name\":\"br0\"}}");
	load_fails("bridges.json: bridges: not a list");
	write_file("bridges.json", "{\"bridges\":[{\"name\":\"br0\","
	    "\"icc\":\"off\"}]}");
	load_fails("bridges.json: bridges[0].icc: not a boolean");
	write_file("bridges.json", "{\"bridges\":[{\"name\":7,\"icc\":true}]}");
	load_fails("bridges.json: bridges[0].name: not a string");
}
END_TEST

/* A syntax error names file, line and column, not the bytes there. */
START_TEST(test_syntax_error_no_echo)
{
	struct icc_model *m = model_new(false);
	char err[512];
	uint64_t seq;

	write_file("c/db.json", "root:SECRETHASH:19000\n");
	ck_assert_int_eq(state_load(dir, m, &seq, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "SECRET") == NULL, "echoed: %s", err);
	ck_assert_msg(strstr(err, "/c/db.json:1:") != NULL, "%s", err);
	model_free(m);
}
END_TEST

/*
 * A symlink planted where a temp file used to go (NAME.json.tmp) is never
 * followed: the target keeps its content, the state file is written.
 */
START_TEST(test_temp_not_followed)
{
	struct icc_container *c = mk("db", "10.0.0.2", true);
	char victim[128], link[128], buf[64] = "";
	FILE *f;

	snprintf(victim, sizeof(victim), "%s.victim", dir);
	ck_assert_ptr_nonnull(f = fopen(victim, "w"));
	fputs("precious\n", f);
	fclose(f);
	snprintf(link, sizeof(link), "%s/c/db.json.tmp", dir);
	ck_assert_int_eq(symlink(victim, link), 0);
	ck_assert_int_eq(state_save_container(dir, c, 1, NULL), 0);
	ck_assert_ptr_nonnull(f = fopen(victim, "r"));
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "precious\n");
	/* The planted link is left alone, the state file was written. */
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(unlink(victim), 0);
	snprintf(link, sizeof(link), "%s/c/db.json", dir);
	ck_assert_int_eq(access(link, F_OK), 0);
	container_free(c);
}
END_TEST

/* The temp files of a crash are skipped and removed at load. */
START_TEST(test_crash_temp_removed)
{
	struct icc_model *m = model_new(false);
	char path[128], err[256];
	uint64_t seq;

	write_file("c/.db.json.tmp.99.0", "{\"name\":");
	ck_assert_int_eq(state_load(dir, m, &seq, NULL, NULL, err,
	    sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/c/.db.json.tmp.99.0", dir);
	ck_assert_int_eq(access(path, F_OK), -1);
	model_free(m);
}
END_TEST

/* state_init refuses a directory others may write or own. */
START_TEST(test_dir_modes)
{
	char err[512], want[512], sub[128];

	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_int_eq(state_init(dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "state directory %s: writable by group "
	    "or others (mode 1777)", dir);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(chmod(dir, 0770), 0);
	ck_assert_int_eq(state_init(dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "state directory %s: writable by group "
	    "or others (mode 0770)", dir);
	ck_assert_str_eq(err, want);
	/* A new directory under a parent others may write. */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(sub, sizeof(sub), "%s/new", dir);
	ck_assert_int_eq(state_init(sub, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "state directory %s: %s: writable by "
	    "group or others (mode 0777)", sub, dir);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	/* Its c/ too. */
	snprintf(sub, sizeof(sub), "%s/c", dir);
	ck_assert_int_eq(chmod(sub, 0777), 0);
	ck_assert_int_eq(state_init(dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "state directory %s: writable by group "
	    "or others (mode 0777)", sub);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(chmod(sub, 0700), 0);
	ck_assert_int_eq(state_init(dir, err, sizeof(err)), 0);
	if (geteuid() != 0)
		return;		/* chown needs root */
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	ck_assert_int_eq(state_init(dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "state directory %s: owned by uid "
	    "65534, not root", dir);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(chown(dir, 0, 0), 0);
}
END_TEST

Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_remove_and_temp_files_ignored);
	tcase_add_test(tc, test_half_written_takeover);
	tcase_add_test(tc, test_bad_file_named);
	tcase_add_test(tc, test_name_must_match_file);
	tcase_add_test(tc, test_hosts_registration_kept);
	tcase_add_test(tc, test_file_mode_private);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_syntax_error_no_echo);
	tcase_add_test(tc, test_temp_not_followed);
	tcase_add_test(tc, test_crash_temp_removed);
	tcase_add_test(tc, test_dir_modes);
	suite_add_tcase(s, tc);
	return s;
}
