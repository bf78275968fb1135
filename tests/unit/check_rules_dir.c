/*
 * check_rules_dir.c: rules directories: files loaded in name order, only
 * *.rules, conflicts across files, and every reason a file or directory
 * is refused (modes, owners, links, sizes), each with its exact line and
 * the earlier rules left untouched; the shipped examples.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "suites.h"
#include "check_rules.h"
#include "testutil.h"

/* ---- directories ------------------------------------------------------------ */

static char dir[64];

static void
dir_setup(void)
{
	/* Files and directories are made 0644 and 0755, whatever the
	 * caller's umask: iccd refuses group-writable ones. */
	umask(022);
	snprintf(dir, sizeof(dir), "/tmp/iccd-rules-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	tu_rm_rf(dir);
}

static void
put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* in_dir: "DIR/rel" in a static buffer. */
static const char *
in_dir(const char *rel)
{
	static char path[4][256];
	static int n;
	char *p = path[n++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, rel);
	return p;
}

static void
load_ok(const char *d, struct rules *r)
{
	char err[512] = "";

	ck_assert_msg(rules_load_dir(d, r, err, sizeof(err)) == 0,
	    "rejected: %s", err);
}

/* load_err: the load must fail with exactly want and leave r as before. */
static void
load_err(const char *d, const char *want)
{
	struct rules r = { 0 };
	char err[512] = "";

	fill_before(&r);
	ck_assert_int_eq(rules_load_dir(d, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	check_before(&r);
	rules_free(&r);
}

/* Files in byte order of their names; everything but *.rules ignored. */
START_TEST(test_dir_order)
{
	struct rules r = { 0 };
	char sub[128];

	put("20-b.rules", "expose db 2\n");
	put("10-a.rules", "expose db 1\nlink web db\n");
	/* Bytes, not numbers or locale: '1' < '2' < '9' < 'B'. */
	put("9-c.rules", "expose db 9\n");
	put("B.rules", "expose db 66\n");
	put("README", "not rules\n");
	put("x.rules~", "not rules\n");
	put("x.rules.bak", "not rules\n");
	put(".hidden.rules", "not rules\n");
	put(".rules", "not rules\n");
	put("xrules", "not rules\n");
	snprintf(sub, sizeof(sub), "%s/sub.d", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	put("sub.d/inner.rules", "not rules\n");
	load_ok(dir, &r);
	ck_assert_uint_eq(r.nfiles, 4);
	ck_assert_str_eq(r.files[0], in_dir("10-a.rules"));
	ck_assert_str_eq(r.files[1], in_dir("20-b.rules"));
	ck_assert_str_eq(r.files[2], in_dir("9-c.rules"));
	ck_assert_str_eq(r.files[3], in_dir("B.rules"));
	ck_assert_uint_eq(r.nexposes, 4);
	check_expose(&r, 0, "db", 1, 1, IPPROTO_TCP, in_dir("10-a.rules"),
	    1, 11);
	check_expose(&r, 1, "db", 2, 2, IPPROTO_TCP, in_dir("20-b.rules"),
	    1, 11);
	check_expose(&r, 2, "db", 9, 9, IPPROTO_TCP, in_dir("9-c.rules"),
	    1, 11);
	check_expose(&r, 3, "db", 66, 66, IPPROTO_TCP, in_dir("B.rules"),
	    1, 11);
	expect_link(&r, 0, "web", "db", "db", in_dir("10-a.rules"), 2, 10);
	rules_free(&r);
}
END_TEST

/* "dir/" and "dir//" give the same paths as "dir". */
START_TEST(test_dir_slash)
{
	struct rules r = { 0 };
	char d[128];

	put("a.rules", "bridge br0 icc off\n");
	snprintf(d, sizeof(d), "%s//", dir);
	load_ok(d, &r);
	ck_assert_uint_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0], in_dir("a.rules"));
	check_bridge(&r, 0, "br0", false, in_dir("a.rules"), 1, 8);
	rules_free(&r);
}
END_TEST

/* A conflict across files names both files. */
START_TEST(test_dir_conflict)
{
	char want[512];

	put("10-a.rules", "# web's links\nlink web db:aliasdb\n");
	put("20-b.rules", "\nlink web other:aliasdb\n");
	snprintf(want, sizeof(want), "%s:2:10: link: ALIAS already names "
	    "another SOURCE at %s:2", in_dir("20-b.rules"),
	    in_dir("10-a.rules"));
	load_err(dir, want);
}
END_TEST

/* A good file then a bad one: nothing of either is applied. */
START_TEST(test_dir_bad_file)
{
	char want[512];

	put("10-a.rules", "bridge br0 icc off\nexpose db 1\n");
	put("20-b.rules", "expose db 1\nexpose db x\n");
	snprintf(want, sizeof(want), "%s:2:11: expose: PORT is not a "
	    "number", in_dir("20-b.rules"));
	load_err(dir, want);
}
END_TEST

/* A missing directory is no rules at all, replacing earlier ones. */
START_TEST(test_dir_missing)
{
	struct rules r = { 0 };

	fill_before(&r);
	load_ok(in_dir("nonexistent"), &r);
	ck_assert_uint_eq(r.nfiles, 0);
	ck_assert_uint_eq(r.nbridges + r.nexposes + r.nlinks, 0);
	ck_assert_ptr_null(r.files);
	/* An empty directory too. */
	fill_before(&r);
	load_ok(dir, &r);
	ck_assert_uint_eq(r.nfiles, 0);
	ck_assert_uint_eq(r.nbridges + r.nexposes + r.nlinks, 0);
	rules_free(&r);
}
END_TEST

/*
 * load_err_unprivileged: load_err in a child that is not root (root
 * reads a 0 mode file anyway, and CI runs as root): it drops to uid and
 * gid 65534 first when root.  Check's asserts stay in this process: the
 * child sends its error text through a pipe and says by its exit status
 * what went wrong (2: cannot drop privileges, 3: the load succeeded).
 */
static void
load_err_unprivileged(const char *d, const char *want)
{
	char err[512] = "", got[512];
	ssize_t n, len = 0;
	int p[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		struct rules r = { 0 };

		close(p[0]);
		if (geteuid() == 0 && tu_drop_to(65534, 65534, 0, NULL) == -1)
			_exit(2);
		if (rules_load_dir(d, &r, err, sizeof(err)) != -1)
			_exit(3);
		if (write(p[1], err, strlen(err)) != (ssize_t)strlen(err))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	while (len < (ssize_t)sizeof(got) - 1 &&
	    (n = read(p[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += n;
	got[len] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!WIFSIGNALED(status), "unprivileged load of %s: child "
	    "killed by signal %d", d, WTERMSIG(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "unprivileged load of %s: "
	    "child exit %d (2: cannot drop privileges, 3: the load "
	    "succeeded)", d, WEXITSTATUS(status));
	ck_assert_str_eq(got, want);
}

/* Any other reason a directory cannot be read fails the load. */
START_TEST(test_dir_unreadable)
{
	char want[512], loop[128];

	put("file", "expose db 1\n");
	snprintf(want, sizeof(want), "%s: Not a directory", in_dir("file"));
	load_err(in_dir("file"), want);

	snprintf(loop, sizeof(loop), "%s", in_dir("loop"));
	ck_assert_int_eq(symlink("loop", loop), 0);
	snprintf(want, sizeof(want), "%s: Too many levels of symbolic links",
	    loop);
	load_err(loop, want);

	/* Root reads a 0 mode directory anyway: a child that is not root.
	 * The test directory is opened to it, so only "locked" refuses. */
	snprintf(loop, sizeof(loop), "%s", in_dir("locked"));
	ck_assert_int_eq(mkdir(loop, 0), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(want, sizeof(want), "%s: Permission denied", loop);
	load_err_unprivileged(loop, want);
	ck_assert_int_eq(chmod(loop, 0700), 0);
}
END_TEST

/* A *.rules entry that is no readable regular file fails the load. */
START_TEST(test_dir_bad_entries)
{
	char want[512];

	ck_assert_int_eq(mkdir(in_dir("d.rules"), 0755), 0);
	snprintf(want, sizeof(want), "%s: not a regular file",
	    in_dir("d.rules"));
	load_err(dir, want);
	ck_assert_int_eq(rmdir(in_dir("d.rules")), 0);

	/* A FIFO must not hang the load (O_NONBLOCK). */
	ck_assert_int_eq(mkfifo(in_dir("f.rules"), 0600), 0);
	snprintf(want, sizeof(want), "%s: not a regular file",
	    in_dir("f.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(in_dir("f.rules")), 0);

	ck_assert_int_eq(symlink("nowhere", in_dir("s.rules")), 0);
	snprintf(want, sizeof(want), "%s: a symbolic link (not followed: "
	    "rules files must be regular files in the directory)",
	    in_dir("s.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(in_dir("s.rules")), 0);

	/* Root reads a 0 mode file anyway: a child that is not root. */
	put("u.rules", "expose db 1\n");
	ck_assert_int_eq(chmod(in_dir("u.rules"), 0), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(want, sizeof(want), "%s: Permission denied",
	    in_dir("u.rules"));
	load_err_unprivileged(dir, want);
}
END_TEST

/*
 * A symbolic link is never followed, even to a good rules file: a link
 * could lead anywhere (/etc/shadow), and what lies there must never be
 * read, let alone quoted in the error a client gets.
 */
START_TEST(test_dir_symlink)
{
	char want[512], secret[128];
	int fd;

	put("real.txt", "expose db 5\n");
	ck_assert_int_eq(symlink("real.txt", in_dir("l.rules")), 0);
	snprintf(want, sizeof(want), "%s: a symbolic link (not followed: "
	    "rules files must be regular files in the directory)",
	    in_dir("l.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(in_dir("l.rules")), 0);
	/* To a secret outside the directory. */
	snprintf(secret, sizeof(secret), "%s.secret", dir);
	ck_assert_int_ge(fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), 0);
	ck_assert_int_eq(write(fd, "root:SECRETHASH:19000:0:99999:7:::\n", 35),
	    35);
	close(fd);
	ck_assert_int_eq(symlink(secret, in_dir("shadow.rules")), 0);
	snprintf(want, sizeof(want), "%s: a symbolic link (not followed: "
	    "rules files must be regular files in the directory)",
	    in_dir("shadow.rules"));
	load_err(dir, want);
	ck_assert_int_eq(unlink(secret), 0);
}
END_TEST

/* What a file holds is never quoted in an error, only where and why. */
START_TEST(test_dir_no_echo)
{
	char want[512];

	put("a.rules", "root:SECRETHASH:19000:0:99999:7:::\n");
	snprintf(want, sizeof(want), "%s:1:1: unknown keyword (expected "
	    "bridge, expose or link)", in_dir("a.rules"));
	load_err(dir, want);
	put("a.rules", "link SECRET/HASH x\n");
	snprintf(want, sizeof(want), "%s:1:6: link: RECEIVER: bad character",
	    in_dir("a.rules"));
	load_err(dir, want);
	put("a.rules", "expose db SECRETHASH\n");
	snprintf(want, sizeof(want), "%s:1:11: expose: PORT is not a number",
	    in_dir("a.rules"));
	load_err(dir, want);
}
END_TEST

/*
 * The directory, its parents and every file must be root's alone:
 * writable by group or others (a sticky 1777 directory too) is refused,
 * and so is another owner (root only: chown).
 */
START_TEST(test_dir_modes)
{
	char want[512], sub[128];

	put("a.rules", "expose db 1\n");
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(want, sizeof(want), "rules directory %s: writable by group "
	    "or others (mode 0777)", dir);
	load_err(dir, want);
	ck_assert_int_eq(chmod(dir, 01777), 0);
	snprintf(want, sizeof(want), "rules directory %s: writable by group "
	    "or others (mode 1777)", dir);
	load_err(dir, want);
	ck_assert_int_eq(chmod(dir, 0775), 0);
	snprintf(want, sizeof(want), "rules directory %s: writable by group "
	    "or others (mode 0775)", dir);
	load_err(dir, want);
	/* A parent others may write (not sticky): they could swap the
	 * directory for one of their own. */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(sub, sizeof(sub), "%s", in_dir("sub"));
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(want, sizeof(want), "rules directory %s: %s: writable by "
	    "group or others (mode 0777)", sub, dir);
	load_err(sub, want);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	/* A file others may write. */
	ck_assert_int_eq(chmod(in_dir("a.rules"), 0666), 0);
	snprintf(want, sizeof(want), "%s: writable by group or others (mode "
	    "0666)", in_dir("a.rules"));
	load_err(dir, want);
	ck_assert_int_eq(chmod(in_dir("a.rules"), 0644), 0);
	if (geteuid() != 0)
		return;		/* chown needs root */
	ck_assert_int_eq(chown(in_dir("a.rules"), 65534, 65534), 0);
	snprintf(want, sizeof(want), "%s: owned by uid 65534, not root",
	    in_dir("a.rules"));
	load_err(dir, want);
	ck_assert_int_eq(chown(in_dir("a.rules"), 0, 0), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	snprintf(want, sizeof(want), "rules directory %s: owned by uid 65534, "
	    "not root", dir);
	load_err(dir, want);
	ck_assert_int_eq(chown(dir, 0, 0), 0);
}
END_TEST

/* RULES_FILE_MAX bytes are read; one more is refused. */
START_TEST(test_dir_file_size)
{
	struct rules r = { 0 };
	char want[512], *big;
	FILE *f;

	ck_assert_ptr_nonnull(big = malloc(RULES_FILE_MAX + 1));
	memset(big, '#', RULES_FILE_MAX);
	memcpy(big, "expose db 7\n", 12);
	ck_assert_ptr_nonnull(f = fopen(in_dir("big.rules"), "w"));
	ck_assert_uint_eq(fwrite(big, 1, RULES_FILE_MAX, f), RULES_FILE_MAX);
	ck_assert_int_eq(fclose(f), 0);
	load_ok(dir, &r);
	check_expose(&r, 0, "db", 7, 7, IPPROTO_TCP, in_dir("big.rules"), 1,
	    11);
	rules_free(&r);

	ck_assert_ptr_nonnull(f = fopen(in_dir("big.rules"), "a"));
	ck_assert_int_eq(fputc('#', f), '#');
	ck_assert_int_eq(fclose(f), 0);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes",
	    in_dir("big.rules"));
	load_err(dir, want);
	free(big);
}
END_TEST

/* The shipped examples (rules/examples) parse, with these results. */
START_TEST(test_examples)
{
	const char *ex = dir;
	struct rules r = { 0 };
	char f10[256], f20[256], f30[256], cmd[512];

	/* A copy: the source tree may belong to whoever built it, and
	 * iccd reads only root's rules. */
	snprintf(cmd, sizeof(cmd), "cp '%s'/*.rules '%s'/", TESTDATA
	    "/../../rules/examples", dir);
	ck_assert_int_eq(system(cmd), 0);

	snprintf(f10, sizeof(f10), "%s/10-bridges.rules", ex);
	snprintf(f20, sizeof(f20), "%s/20-web.rules", ex);
	snprintf(f30, sizeof(f30), "%s/30-services.rules", ex);
	load_ok(ex, &r);
	ck_assert_uint_eq(r.nfiles, 3);
	ck_assert_str_eq(r.files[0], f10);
	ck_assert_str_eq(r.files[1], f20);
	ck_assert_str_eq(r.files[2], f30);
	ck_assert_uint_eq(r.nbridges, 2);
	check_bridge(&r, 0, "br0", false, f10, 5, 8);
	check_bridge(&r, 1, "br1", true, f10, 6, 8);
	ck_assert_uint_eq(r.nexposes, 6);
	check_expose(&r, 0, "db", 3306, 3306, IPPROTO_TCP, f20, 6, 11);
	check_expose(&r, 1, "dns", 53, 53, IPPROTO_UDP, f30, 3, 12);
	check_expose(&r, 2, "dns", 53, 53, IPPROTO_TCP, f30, 3, 19);
	check_expose(&r, 3, "cache", 6379, 6379, IPPROTO_TCP, f30, 4, 14);
	check_expose(&r, 4, "worker", 7000, 7999, IPPROTO_TCP, f30, 5, 15);
	check_expose(&r, 5, "worker", 9100, 9100, IPPROTO_TCP, f30, 6, 2);
	ck_assert_uint_eq(r.nlinks, 5);
	expect_link(&r, 0, "web", "db", "aliasdb", f20, 9, 10);
	expect_link(&r, 1, "api", "db", "aliasdb", f30, 8, 10);
	expect_link(&r, 2, "api", "cache", "cache", f30, 8, 21);
	expect_link(&r, 3, "api", "dns", "resolver", f30, 8, 27);
	expect_link(&r, 4, "api", "worker", "worker", f30, 9, 2);
	rules_free(&r);
}
END_TEST

/* The default directory follows configure's --sysconfdir (Makefile.am
 * passes it as ICC_SYSCONFDIR), not a fixed /etc. */
START_TEST(test_dir_default)
{
	ck_assert_str_eq(ICC_RULES_DIR, ICC_SYSCONFDIR "/iccd/rules.d");
}
END_TEST

Suite *
rules_dir_suite(void)
{
	Suite *s = suite_create("rules_dir");
	TCase *tc;

	tc = tcase_create("dir");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_dir_order);
	tcase_add_test(tc, test_dir_default);
	tcase_add_test(tc, test_dir_slash);
	tcase_add_test(tc, test_dir_conflict);
	tcase_add_test(tc, test_dir_bad_file);
	tcase_add_test(tc, test_dir_missing);
	tcase_add_test(tc, test_dir_unreadable);
	tcase_add_test(tc, test_dir_bad_entries);
	tcase_add_test(tc, test_dir_symlink);
	tcase_add_test(tc, test_dir_no_echo);
	tcase_add_test(tc, test_dir_modes);
	tcase_add_test(tc, test_dir_file_size);
	tcase_add_test(tc, test_examples);
	suite_add_tcase(s, tc);
	return s;
}
