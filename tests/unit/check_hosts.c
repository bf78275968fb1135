/*
 * check_hosts.c: the hosts lines of linked containers against Docker
 * 20.10 (linkdata_hosts), and hosts_file_sync on real files: exact
 * contents, modes and owners kept, symbolic links refused, bind mounts.
 */
/* unshare(2) and CLONE_NEWNS for the bind mount test; nftw(3). */
#define _GNU_SOURCE

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "linkdata.h"
#include "model.h"
#include "parse.h"
#include "suites.h"
#include "testutil.h"
#include "check_linkdata.h"

#define MAXV	64

/* ---- linkdata_hosts ----------------------------------------------------- */

static void
hosts_expect(struct icc_model *m, const char *recv, const char *const *want)
{
	struct strvec sv = { 0 };

	ck_assert_int_eq(linkdata_hosts(m, model_find(m, recv), &sv), 0);
	expect(recv, &sv, want);
	strvec_free(&sv);
	model_free(m);
}

/* The README's Docker 20.10 lines. */
START_TEST(test_hosts_readme)
{
	static const char *const w1[] = {
		"172.17.0.2\taliasdb 674b5b4c3cd3 db", NULL,
	};
	static const char *const w2[] = {
		"172.17.0.2\tDb-Alias 5f9e86976b80 my-db.1",
		"172.17.0.2\tsecond 5f9e86976b80 my-db.1", NULL,
	};
	static const char *const w3[] = {
		"172.17.0.3\tnoexp 127a45c9a2b5", NULL,
	};
	struct icc_model	*m;
	struct icc_container	*r;

	m = model_new(false);
	cput(m, cnew("db", "674b5b4c3cd3", "docker0", true, "172.17.0.2"));
	r = cnew("web", "", "docker0", true, "172.17.0.5");
	ck_assert_int_eq(container_add_link(r, "db", "aliasdb"), 0);
	cput(m, r);
	hosts_expect(m, "web", w1);

	m = model_new(false);
	cput(m, cnew("my-db.1", "5f9e86976b80", "docker0", true,
	    "172.17.0.2"));
	r = cnew("app", "", "docker0", true, "172.17.0.5");
	ck_assert_int_eq(container_add_link(r, "my-db.1", "Db-Alias"), 0);
	ck_assert_int_eq(container_add_link(r, "my-db.1", "second"), 0);
	cput(m, r);
	hosts_expect(m, "app", w2);

	m = model_new(false);
	cput(m, cnew("noexp", "127a45c9a2b5", "docker0", true, "172.17.0.3"));
	r = cnew("app", "", "docker0", true, "172.17.0.5");
	ck_assert_int_eq(container_add_link(r, "noexp", "noexp"), 0);
	cput(m, r);
	hosts_expect(m, "app", w3);
}
END_TEST

/*
 * No hostname: left out.  IPv6: a second line right after the link's
 * IPv4 one.  Pending links: nothing, and the order of the others kept.
 */
START_TEST(test_hosts_variants)
{
	static const char *const want[] = {
		"10.0.0.4\tfoo bar",
		"10.0.0.5\tv6 h6 src6",
		"fd00::5\tv6 h6 src6",
		"10.0.0.4\tbar",
		"fd00::8\tv6only h8",
		NULL,
	};
	struct icc_model	*m = model_new(false);
	struct icc_container	*c;

	ck_assert_ptr_nonnull(m);
	cput(m, cnew("bar", "", "br0", true, "10.0.0.4"));
	c = cnew("src6", "h6", "br0", true, "10.0.0.5");
	c->has_ip6 = true;
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00::5", &c->ip6), 1);
	cput(m, c);
	/* No IPv4 address (0.0.0.0, which parse_ipv4 refuses): no line. */
	c = cnew("v6only", "h8", "br0", true, "0.0.0.0");
	c->has_ip6 = true;
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00::8", &c->ip6), 1);
	cput(m, c);
	cput(m, cnew("down", "dh", "br0", false, "10.0.0.6"));
	cput(m, cnew("far", "fh", "br1", true, "10.0.0.7"));
	c = cnew("r", "", "br0", true, "10.0.0.10");
	ck_assert_int_eq(container_add_link(c, "bar", "foo"), 0);
	ck_assert_int_eq(container_add_link(c, "down", "down"), 0);
	ck_assert_int_eq(container_add_link(c, "src6", "v6"), 0);
	ck_assert_int_eq(container_add_link(c, "far", "far"), 0);
	ck_assert_int_eq(container_add_link(c, "nobody", "nobody"), 0);
	ck_assert_int_eq(container_add_link(c, "bar", "bar"), 0);
	ck_assert_int_eq(container_add_link(c, "v6only", "v6only"), 0);
	cput(m, c);
	hosts_expect(m, "r", want);
}
END_TEST

/* ---- hosts_file_sync ---------------------------------------------------- */

/* Each test works in its own tu_dir (testutil.h). */

/* sync_path: hosts_file_sync of an absolute path, resolved from "/". */
static int
sync_path(const char *path, char *const *owned, size_t nowned,
    char *const *lines, size_t nlines)
{
	struct sf_target t = { AT_FDCWD, path, false, NULL, false };
	char err[256];

	return hosts_file_sync(&t, owned, nowned, lines, nlines, err,
	    sizeof(err));
}

/* The directory holds exactly n entries: no temporary file left. */
static void
tdir_entries(size_t n)
{
	DIR		*d = opendir(tu_dir);
	struct dirent	*e;
	size_t		 k = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			k++;
	closedir(d);
	ck_assert_uint_eq(k, n);
}

static void
file_is(const char *path, const char *want)
{
	size_t	 len;
	char	*got = tu_slurp(path, &len);

	ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0,
	    "%s: got\n[%s]\nwant\n[%s]", path, got, want);
	free(got);
}

START_TEST(test_sync_creates)
{
	char *const	 lines[] = { "10.0.0.2\tapi h" };
	char *const	 owned[] = { "api" };
	struct stat	 st;
	mode_t		 old = umask(077);

	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, lines, 1),
	    0);
	umask(old);
	file_is(tu_path("hosts"), "10.0.0.2\tapi h\n");
	ck_assert_int_eq(stat(tu_path("hosts"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	tdir_entries(1);
}
END_TEST

START_TEST(test_sync_exact_alias)
{
	/* "other-long" must not take the line of "other" either. */
	char *const owned[] = { "api", "gone", "other-long" };
	char *const lines[] = { "10.0.0.20\tapi h n", "fd00::20\tapi h n" };

	tu_spit(tu_path("hosts"),
	    "127.0.0.1\tlocalhost\n"
	    "# 10.0.0.1\tapi comment\n"
	    "#10.0.0.1 api\n"
	    "\n"
	    "10.0.0.9\tapi2 x\n"
	    "10.0.0.8 api-x\n"
	    "10.0.0.7\tapi old api\n"
	    "  10.0.0.6   api\t \n"
	    "fd00::7\tapi\n"
	    "10.0.0.5\tapi.x\n"
	    "10.0.0.4\tapix#c\n"
	    "10.0.0.3\tother api\n"
	    "10.0.0.2\tgone\n"
	    "10.0.0.1 keep\r\n"
	    "10.0.0.1\n"
	    "1.2.3.4 other", 0644);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 3, lines, 2),
	    0);
	file_is(tu_path("hosts"),
	    "127.0.0.1\tlocalhost\n"
	    "# 10.0.0.1\tapi comment\n"
	    "#10.0.0.1 api\n"
	    "\n"
	    "10.0.0.9\tapi2 x\n"
	    "10.0.0.8 api-x\n"
	    "10.0.0.5\tapi.x\n"
	    "10.0.0.4\tapix#c\n"
	    "10.0.0.3\tother api\n"
	    "10.0.0.1 keep\r\n"
	    "10.0.0.1\n"
	    "1.2.3.4 other\n"
	    "10.0.0.20\tapi h n\n"
	    "fd00::20\tapi h n\n");
	tdir_entries(1);
}
END_TEST

/* Syncing again replaces the lines (a source's new address). */
START_TEST(test_sync_again)
{
	char *const owned[] = { "api" };
	char *const l1[] = { "10.0.0.2\tapi h" };
	char *const l2[] = { "10.0.0.3\tapi h" };

	tu_spit(tu_path("hosts"), "127.0.0.1\tlocalhost\n", 0644);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, l1, 1), 0);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, l2, 1), 0);
	file_is(tu_path("hosts"), "127.0.0.1\tlocalhost\n10.0.0.3\tapi h\n");
	/* Nothing owned: only an append. */
	ck_assert_int_eq(sync_path(tu_path("hosts"), NULL, 0, l1, 1), 0);
	file_is(tu_path("hosts"),
	    "127.0.0.1\tlocalhost\n10.0.0.3\tapi h\n10.0.0.2\tapi h\n");
	/* Nothing new: only a removal. */
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, NULL, 0), 0);
	file_is(tu_path("hosts"), "127.0.0.1\tlocalhost\n");
	tdir_entries(1);
}
END_TEST

/* A missing final newline is kept unless lines must follow. */
START_TEST(test_sync_final_newline)
{
	char *const owned[] = { "api" };
	char *const lines[] = { "10.0.0.2\tapi" };

	tu_spit(tu_path("hosts"), "a b\n10.0.0.7\tapi\n1.2.3.4 other", 0644);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, NULL, 0), 0);
	file_is(tu_path("hosts"), "a b\n1.2.3.4 other");
	/* The unterminated last line is the owned one. */
	tu_spit(tu_path("hosts"), "a b\n10.0.0.7 api", 0644);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, lines, 1),
	    0);
	file_is(tu_path("hosts"), "a b\n10.0.0.2\tapi\n");
	/* An empty file stays empty. */
	tu_spit(tu_path("hosts"), "", 0644);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, NULL, 0), 0);
	file_is(tu_path("hosts"), "");
}
END_TEST

/* Mode and owner survive the rename, which gives a new inode. */
START_TEST(test_sync_keeps_mode_owner)
{
	char *const	owned[] = { "api" };
	char *const	lines[] = { "10.0.0.2\tapi" };
	struct stat	before, after;
	bool		root = geteuid() == 0;

	tu_spit(tu_path("hosts"), "127.0.0.1\tlocalhost\n", 0600);
	if (root)
		ck_assert_int_eq(chown(tu_path("hosts"), 4242, 4343), 0);
	ck_assert_int_eq(stat(tu_path("hosts"), &before), 0);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, lines, 1),
	    0);
	ck_assert_int_eq(stat(tu_path("hosts"), &after), 0);
	file_is(tu_path("hosts"), "127.0.0.1\tlocalhost\n10.0.0.2\tapi\n");
	ck_assert_uint_eq(after.st_mode & 07777, 0600);
	ck_assert_uint_eq(after.st_uid, before.st_uid);
	ck_assert_uint_eq(after.st_gid, before.st_gid);
	ck_assert_uint_ne(after.st_ino, before.st_ino);
	tdir_entries(1);
}
END_TEST

/* When nothing changes the file is not touched at all. */
START_TEST(test_sync_unchanged)
{
	char *const	owned[] = { "api" };
	char *const	lines[] = { "10.0.0.2\tapi" };
	struct stat	before, after;

	tu_spit(tu_path("hosts"), "# c\n10.0.0.2\tapi\n", 0644);
	ck_assert_int_eq(stat(tu_path("hosts"), &before), 0);
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, lines, 1),
	    0);
	ck_assert_int_eq(stat(tu_path("hosts"), &after), 0);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	file_is(tu_path("hosts"), "# c\n10.0.0.2\tapi\n");
}
END_TEST

/* A symbolic link is never followed: refused, its target untouched. */
START_TEST(test_sync_symlink)
{
	char *const	owned[] = { "api" };
	char *const	lines[] = { "10.0.0.2\tapi" };
	struct stat	st;

	tu_spit(tu_path("real"), "127.0.0.1\tlocalhost\n10.0.0.1\tapi\n", 0640);
	ck_assert_int_eq(symlink("real", tu_path("hosts")), 0);
	errno = 0;
	ck_assert_int_eq(sync_path(tu_path("hosts"), owned, 1, lines, 1),
	    -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(lstat(tu_path("hosts"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	file_is(tu_path("real"), "127.0.0.1\tlocalhost\n10.0.0.1\tapi\n");
	tdir_entries(2);
}
END_TEST

START_TEST(test_sync_errors)
{
	char *const lines[] = { "10.0.0.2\tapi" };

	errno = 0;
	ck_assert_int_eq(sync_path(tu_path("nodir/hosts"), NULL, 0, lines,
	    1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(mkdir(tu_path("dir"), 0755), 0);
	errno = 0;
	ck_assert_int_eq(sync_path(tu_path("dir"), NULL, 0, lines, 1), -1);
	ck_assert_int_eq(errno, EINVAL);	/* not a regular file */
	ck_assert_int_eq(rmdir(tu_path("dir")), 0);
	tdir_entries(0);
}
END_TEST

/*
 * A bind-mounted file (Docker's /etc/hosts seen from the container's
 * mount namespace): rename gives EBUSY, the file is rewritten in place.
 * Needs root and a private mount namespace, made in a child process so
 * the runner's namespace is untouched.  Not root: a visible skip, which
 * contrib/quickstart.sh counts as one; as root every step must work (its
 * exit status says which did not).
 */
START_TEST(test_sync_bind_mount)
{
	static const char *const steps[] = { "ok", "sync", "unshare",
	    "make / private", "bind mount" };
	char *const	 owned[] = { "api" };
	char *const	 lines[] = { "10.0.0.2\tapi" };
	const char	*hosts = tu_path("hosts"), *src = tu_path("src");
	pid_t		 pid;
	int		 status;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: test_sync_bind_mount: needs root for a "
		    "mount namespace\n");
		return;
	}
	tu_spit(src, "127.0.0.1\tlocalhost\n10.0.0.1\tapi\n", 0644);
	tu_spit(hosts, "", 0644);
	if ((pid = fork()) == 0) {
		if (unshare(CLONE_NEWNS) == -1)
			_exit(2);
		if (mount("none", "/", "none", MS_REC | MS_PRIVATE,
		    NULL) == -1)
			_exit(3);
		if (mount(src, hosts, "none", MS_BIND, NULL) == -1)
			_exit(4);
		_exit(sync_path(hosts, owned, 1, lines, 1) == 0 ? 0 : 1);
	}
	ck_assert_int_ne(pid, -1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "bind mount test: %s failed",
	    WEXITSTATUS(status) < 5 ? steps[WEXITSTATUS(status)] : "?");
	file_is(src, "127.0.0.1\tlocalhost\n10.0.0.2\tapi\n");
	file_is(hosts, "");
	tdir_entries(2);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

Suite *
hosts_suite(void)
{
	Suite	*s = suite_create("hosts");
	TCase	*tc;

	tc = tcase_create("hosts");
	tcase_add_test(tc, test_hosts_readme);
	tcase_add_test(tc, test_hosts_variants);
	suite_add_tcase(s, tc);

	tc = tcase_create("hosts_file");
	tcase_add_unchecked_fixture(tc, tu_base_setup, tu_base_teardown);
	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_test(tc, test_sync_creates);
	tcase_add_test(tc, test_sync_exact_alias);
	tcase_add_test(tc, test_sync_again);
	tcase_add_test(tc, test_sync_final_newline);
	tcase_add_test(tc, test_sync_keeps_mode_owner);
	tcase_add_test(tc, test_sync_unchanged);
	tcase_add_test(tc, test_sync_symlink);
	tcase_add_test(tc, test_sync_errors);
	tcase_add_test(tc, test_sync_bind_mount);
	suite_add_tcase(s, tc);
	return s;
}
