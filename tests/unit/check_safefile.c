/*
 * check_safefile.c: writing a file a control peer names (safefile.h,
 * hostswrite.h, peercred.h): symbolic links on any component, /proc magic
 * links, FIFOs, devices, directories, files over the cap, the host's own
 * hosts file, a symbolic link planted at a temporary name, a path out of
 * a --hosts-dir, and a non-root peer's own rights.  Every refusal leaves
 * the files as they were.
 */
#include "config.h"

#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "hostswrite.h"
#include "peercred.h"
#include "safefile.h"
#include "suites.h"
#include "testutil.h"

#define NOBODY	65534

/* file_is: path holds exactly want. */
static void
file_is(const char *path, const char *want)
{
	char got[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	got[n] = '\0';
	ck_assert_msg(strcmp(got, want) == 0, "%s: got [%s] want [%s]", path,
	    got, want);
}

/* The edit of these tests: append "10.0.0.2 api\n". */
static int
append_edit(const char *old, size_t old_len, bool exists, char **out,
    size_t *out_len, void *arg)
{
	static const char add[] = "10.0.0.2 api\n";

	if ((*out = malloc(old_len + sizeof(add))) == NULL)
		return -1;
	if (old_len > 0)	/* old may be NULL for an empty file */
		memcpy(*out, old, old_len);
	memcpy(*out + old_len, add, sizeof(add) - 1);
	*out_len = old_len + sizeof(add) - 1;
	return 0;
}

static char lasterr[256];

/* rewrite: sf_rewrite of the absolute path with append_edit. */
static int
rewrite(const char *path, const struct file_id *forbid)
{
	struct sf_target t = { AT_FDCWD, path, false, forbid, false };

	lasterr[0] = '\0';
	return sf_rewrite(&t, append_edit, NULL, lasterr, sizeof(lasterr));
}

/* refused: rewrite(path) fails with errno e; err is not empty. */
static void
refused(const char *path, int e)
{
	errno = 0;
	ck_assert_int_eq(rewrite(path, NULL), -1);
	ck_assert_msg(errno == e, "%s: errno %d (%s), want %d", path, errno,
	    strerror(errno), e);
	ck_assert_str_ne(lasterr, "");
}

/* ---- safefile --------------------------------------------------------- */

/* inplace: the inode stays (a bind mount elsewhere sees the new lines);
 * without it, the file is replaced by a rename (a new inode). */
START_TEST(test_inplace)
{
	struct sf_target t = { AT_FDCWD, NULL, false, NULL, true };
	struct stat before, after;

	tu_spit(tu_path("hosts"), "127.0.0.1 localhost\n", 0644);
	ck_assert_int_eq(stat(tu_path("hosts"), &before), 0);
	t.path = tu_path("hosts");
	ck_assert_int_eq(sf_rewrite(&t, append_edit, NULL, lasterr,
	    sizeof(lasterr)), 0);
	file_is(tu_path("hosts"), "127.0.0.1 localhost\n10.0.0.2 api\n");
	ck_assert_int_eq(stat(tu_path("hosts"), &after), 0);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	ck_assert_int_eq(rewrite(tu_path("hosts"), NULL), 0);
	ck_assert_int_eq(stat(tu_path("hosts"), &after), 0);
	ck_assert_uint_ne(after.st_ino, before.st_ino);
	/* A missing file is still created. */
	t.path = tu_path("new");
	ck_assert_int_eq(sf_rewrite(&t, append_edit, NULL, lasterr,
	    sizeof(lasterr)), 0);
	file_is(tu_path("new"), "10.0.0.2 api\n");
}
END_TEST

START_TEST(test_plain)
{
	struct stat st;

	tu_spit(tu_path("hosts"), "127.0.0.1 localhost\n", 0640);
	ck_assert_int_eq(rewrite(tu_path("hosts"), NULL), 0);
	file_is(tu_path("hosts"), "127.0.0.1 localhost\n10.0.0.2 api\n");
	ck_assert_int_eq(stat(tu_path("hosts"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	/* A missing file is created. */
	ck_assert_int_eq(rewrite(tu_path("new"), NULL), 0);
	file_is(tu_path("new"), "10.0.0.2 api\n");
}
END_TEST

START_TEST(test_symlink_last)
{
	tu_spit(tu_path("real"), "keep\n", 0644);
	ck_assert_int_eq(symlink(tu_path("real"), tu_path("hosts")), 0);
	refused(tu_path("hosts"), ELOOP);
	ck_assert_str_eq(lasterr, "a symbolic link on the path (never "
	    "followed)");
	file_is(tu_path("real"), "keep\n");
}
END_TEST

START_TEST(test_symlink_middle)
{
	ck_assert_int_eq(mkdir(tu_path("sub"), 0755), 0);
	tu_spit(tu_path("sub/hosts"), "keep\n", 0644);
	ck_assert_int_eq(symlink("sub", tu_path("link")), 0);
	refused(tu_path("link/hosts"), ELOOP);
	file_is(tu_path("sub/hosts"), "keep\n");
}
END_TEST

/* /proc/PID/fd/N: a magic link to the open file, whatever its name. */
START_TEST(test_magic_link)
{
	char p[128];
	int fd;

	tu_spit(tu_path("real"), "keep\n", 0644);
	ck_assert_int_ne(fd = open(tu_path("real"), O_RDONLY), -1);
	snprintf(p, sizeof(p), "/proc/%ld/fd/%d", (long)getpid(), fd);
	refused(p, ELOOP);
	errno = 0;
	ck_assert_int_eq(sf_openat2(AT_FDCWD, p, O_RDONLY, 0, false), -1);
	ck_assert_int_eq(errno, ELOOP);
	/* Through /proc/self (a symbolic link) as well. */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	refused(p, ELOOP);
	close(fd);
	file_is(tu_path("real"), "keep\n");
}
END_TEST

/* A FIFO: refused at once (a blocking open would hang this test). */
START_TEST(test_fifo)
{
	struct stat st;
	bool w;

	ck_assert_int_eq(mkfifo(tu_path("hosts"), 0666), 0);
	refused(tu_path("hosts"), EINVAL);
	ck_assert_str_eq(lasterr, "not a regular file");
	errno = 0;
	ck_assert_int_eq(sf_open_regular(AT_FDCWD, tu_path("hosts"), false, &st,
	    &w), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(lstat(tu_path("hosts"), &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

START_TEST(test_dev_zero)
{
	struct stat st;
	size_t len;
	char *p;
	bool w;
	int fd;

	ck_assert_int_eq(symlink("/dev/zero", tu_path("hosts")), 0);
	refused(tu_path("hosts"), ELOOP);
	/* Named directly: not a regular file. */
	errno = 0;
	ck_assert_int_eq(sf_open_regular(AT_FDCWD, "/dev/zero", false, &st,
	    &w), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* And a read of it ends at the cap. */
	ck_assert_int_ne(fd = open("/dev/zero", O_RDONLY), -1);
	errno = 0;
	ck_assert_int_eq(sf_read_capped(fd, 65536, &p, &len), -1);
	ck_assert_int_eq(errno, EFBIG);
	close(fd);
}
END_TEST

START_TEST(test_directory)
{
	ck_assert_int_eq(mkdir(tu_path("hosts"), 0755), 0);
	refused(tu_path("hosts"), EINVAL);
	refused(tu_path("hosts/."), EISDIR);
}
END_TEST

START_TEST(test_too_big)
{
	char *big = malloc(SAFEFILE_MAX + 2);
	struct stat before, after;

	ck_assert_ptr_nonnull(big);
	memset(big, '#', SAFEFILE_MAX + 1);
	big[SAFEFILE_MAX + 1] = '\0';
	tu_spit(tu_path("hosts"), big, 0644);
	ck_assert_int_eq(stat(tu_path("hosts"), &before), 0);
	refused(tu_path("hosts"), EFBIG);
	ck_assert_int_eq(stat(tu_path("hosts"), &after), 0);
	ck_assert_uint_eq(after.st_size, SAFEFILE_MAX + 1);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	/* Exactly the cap is fine. */
	big[SAFEFILE_MAX - 1] = '\n';
	big[SAFEFILE_MAX] = '\0';
	tu_spit(tu_path("ok"), big, 0644);
	ck_assert_int_eq(rewrite(tu_path("ok"), NULL), 0);
	ck_assert_int_eq(stat(tu_path("ok"), &after), 0);
	ck_assert_uint_eq(after.st_size, SAFEFILE_MAX + 13);
	free(big);
}
END_TEST

/* The host's hosts file (here a stand-in) is never written. */
START_TEST(test_forbidden)
{
	struct file_id id;
	struct stat st;

	tu_spit(tu_path("hosts"), "127.0.0.1 localhost\n", 0644);
	ck_assert_int_eq(stat(tu_path("hosts"), &st), 0);
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	errno = 0;
	ck_assert_int_eq(rewrite(tu_path("hosts"), &id), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(lasterr, "the host's own hosts file (never written)");
	file_is(tu_path("hosts"), "127.0.0.1 localhost\n");
	/* A hard link to it is the same file. */
	ck_assert_int_eq(link(tu_path("hosts"), tu_path("other")), 0);
	ck_assert_int_eq(rewrite(tu_path("other"), &id), -1);
	file_is(tu_path("hosts"), "127.0.0.1 localhost\n");
	/* Any other file is written. */
	tu_spit(tu_path("third"), "", 0644);
	ck_assert_int_eq(rewrite(tu_path("third"), &id), 0);
}
END_TEST

/* A symbolic link planted at the temporary name is neither followed nor
 * replaced. */
START_TEST(test_tmp_planted)
{
	struct stat st;
	int dfd;

	tu_spit(tu_path("victim"), "keep\n", 0644);
	ck_assert_int_eq(symlink(tu_path("victim"), tu_path(".hosts.iccdaaaaaa")),
	    0);
	ck_assert_int_eq(symlink(tu_path("absent"), tu_path(".hosts.iccdbbbbbb")),
	    0);
	ck_assert_int_ne(dfd = open(tu_dir, O_PATH | O_DIRECTORY), -1);
	errno = 0;
	ck_assert_int_eq(sf_tmp_open(dfd, ".hosts.iccdaaaaaa"), -1);
	ck_assert_int_eq(errno, EEXIST);
	errno = 0;
	ck_assert_int_eq(sf_tmp_open(dfd, ".hosts.iccdbbbbbb"), -1);
	ck_assert_int_eq(errno, EEXIST);
	close(dfd);
	file_is(tu_path("victim"), "keep\n");
	ck_assert_int_eq(lstat(tu_path("absent"), &st), -1);
	ck_assert_int_eq(lstat(tu_path(".hosts.iccdaaaaaa"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

START_TEST(test_beneath)
{
	struct sf_target t = { -1, "../hosts", true, NULL, false };

	ck_assert_int_eq(mkdir(tu_path("allowed"), 0755), 0);
	tu_spit(tu_path("hosts"), "keep\n", 0644);
	ck_assert_int_ne(t.dirfd = open(tu_path("allowed"), O_PATH |
	    O_DIRECTORY), -1);
	errno = 0;
	ck_assert_int_eq(sf_rewrite(&t, append_edit, NULL, lasterr,
	    sizeof(lasterr)), -1);
	ck_assert_int_eq(errno, EXDEV);
	file_is(tu_path("hosts"), "keep\n");
	t.path = "hosts";
	ck_assert_int_eq(sf_rewrite(&t, append_edit, NULL, lasterr,
	    sizeof(lasterr)), 0);
	file_is(tu_path("allowed/hosts"), "10.0.0.2 api\n");
	close(t.dirfd);
}
END_TEST

/*
 * The same refusals from openat2 and from the component walk used where
 * the kernel (or valgrind) has no openat2: loop 0 is sf_openat2, 1 is
 * sf_open_walk.
 */
typedef int (*opener)(int, const char *, int, mode_t, bool);
static const opener openers[] = { sf_openat2, sf_open_walk };

/* opens_as: open(path) fails with errno e (0: succeeds). */
static void
opens_as(opener op, int dirfd, const char *path, int flags, bool beneath,
    int e)
{
	int fd;

	errno = 0;
	fd = op(dirfd, path, flags, 0, beneath);
	if (e == 0) {
		ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
		close(fd);
		return;
	}
	ck_assert_msg(fd == -1 && errno == e, "%s: fd %d errno %d (%s), want "
	    "%d", path, fd, errno, strerror(errno), e);
}

START_TEST(test_openers)
{
	opener op = openers[_i];
	char p[128];
	int dfd, fd;

	ck_assert_int_eq(mkdir(tu_path("sub"), 0755), 0);
	tu_spit(tu_path("sub/hosts"), "keep\n", 0644);
	ck_assert_int_eq(symlink("sub", tu_path("link")), 0);
	ck_assert_int_eq(symlink("sub/hosts", tu_path("hosts")), 0);
	opens_as(op, AT_FDCWD, tu_path("sub/hosts"), O_RDONLY, false, 0);
	opens_as(op, AT_FDCWD, tu_path("sub//./hosts"), O_RDONLY, false, 0);
	opens_as(op, AT_FDCWD, tu_path("sub"), O_PATH | O_DIRECTORY, false, 0);
	opens_as(op, AT_FDCWD, "/", O_PATH | O_DIRECTORY, false, 0);
	opens_as(op, AT_FDCWD, tu_path("hosts"), O_RDONLY, false, ELOOP);
	opens_as(op, AT_FDCWD, tu_path("hosts"), O_PATH, false, ELOOP);
	opens_as(op, AT_FDCWD, tu_path("link/hosts"), O_RDONLY, false, ELOOP);
	opens_as(op, AT_FDCWD, tu_path("link"), O_PATH | O_DIRECTORY, false,
	    ELOOP);
	opens_as(op, AT_FDCWD, tu_path("sub/hosts/x"), O_RDONLY, false,
	    ENOTDIR);
	ck_assert_int_ne(fd = open(tu_path("sub/hosts"), O_RDONLY), -1);
	snprintf(p, sizeof(p), "/proc/%ld/fd/%d", (long)getpid(), fd);
	opens_as(op, AT_FDCWD, p, O_RDONLY, false, ELOOP);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	opens_as(op, AT_FDCWD, p, O_RDONLY, false, ELOOP);
	close(fd);
	ck_assert_int_ne(dfd = open(tu_path("sub"), O_PATH | O_DIRECTORY), -1);
	opens_as(op, dfd, "hosts", O_RDONLY, true, 0);
	opens_as(op, dfd, "../sub/hosts", O_RDONLY, true, EXDEV);
	opens_as(op, dfd, tu_path("sub/hosts"), O_RDONLY, true, EXDEV);
	close(dfd);
	file_is(tu_path("sub/hosts"), "keep\n");
}
END_TEST

/* ---- peer credentials and hostswrite ------------------------------------- */

START_TEST(test_cred_json)
{
	gid_t g[] = { 7, 4242 };
	struct peer_cred pc = { 1000, 100, g, 2 }, back;
	char err[128];
	json_t *j = peer_cred_json(&pc), *bad;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(peer_cred_from_json(j, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.uid, 1000);
	ck_assert_uint_eq(back.gid, 100);
	ck_assert_uint_eq(back.ngroups, 2);
	ck_assert_uint_eq(back.groups[1], 4242);
	peer_cred_free(&back);
	bad = json_pack("{s:s,s:i,s:[]}", "uid", "0", "gid", 0, "groups");
	ck_assert_int_eq(peer_cred_from_json(bad, &back, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "peer.uid: not a uid/gid");
	json_decref(bad);
	bad = json_pack("{s:i,s:i,s:[i]}", "uid", 5, "gid", 5, "groups", -1);
	ck_assert_int_eq(peer_cred_from_json(bad, &back, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "peer.groups: not a uid/gid");
	json_decref(bad);
	json_decref(j);
}
END_TEST

/*
 * nobody_peer: the credentials of a real peer that dropped to
 * nobody:nogroup with supplementary group 4242, read from a unix socket
 * (SO_PEERCRED, SO_PEERGROUPS) as iccd does.  Needs root.
 */
static void
nobody_peer(struct peer_cred *pc)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	int ls, fd, status;
	gid_t extra = 4242;
	pid_t pid;
	char c;

	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
	    "check_safefile.%ld", (long)getpid());
	salen = offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(sa.sun_path + 1);
	ck_assert_int_ne(ls = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, salen), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	if ((pid = fork()) == 0) {
		if (tu_drop_to(NOBODY, NOBODY, 1, &extra) == -1 ||
		    getuid() != NOBODY)
			_exit(2);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sa, salen) == -1)
			_exit(3);
		(void)read(fd, &c, 1);	/* until the parent is done */
		_exit(0);
	}
	ck_assert_int_ne(pid, -1);
	ck_assert_int_ne(fd = accept(ls, NULL, NULL), -1);
	ck_assert_int_eq(peer_cred_get(fd, pc), 0);
	close(fd);
	close(ls);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(pc->uid, NOBODY);
	ck_assert_uint_eq(pc->gid, NOBODY);
	ck_assert_uint_eq(pc->ngroups, 1);
	ck_assert_uint_eq(pc->groups[0], 4242);
}

static char *const LINES[] = { "10.0.0.2\tapi" };
static char *const OWNED[] = { "api" };

static int
hw(const struct hostsdirs *hd, const struct peer_cred *who, const char *path)
{
	lasterr[0] = '\0';
	return hostswrite(hd, who, path, NULL, OWNED, 1, LINES, 1, lasterr,
	    sizeof(lasterr));
}

/* A non-root peer writes only what it may write itself. */
START_TEST(test_peer_rights)
{
	struct hostsdirs hd = { 0 };
	struct peer_cred pc;
	struct stat st;
	char err[256];

	if (geteuid() != 0) {
		fprintf(stderr, "check_safefile: peer rights test needs root: "
		    "skipped\n");
		return;
	}
	nobody_peer(&pc);
	/* A root-owned 0755 directory and a root-owned 0644 file in it. */
	ck_assert_int_eq(mkdir(tu_path("root"), 0755), 0);
	tu_spit(tu_path("root/hosts"), "keep\n", 0644);
	errno = 0;
	ck_assert_int_eq(hw(&hd, &pc, tu_path("root/hosts")), -1);
	ck_assert_int_eq(errno, EACCES);
	file_is(tu_path("root/hosts"), "keep\n");
	ck_assert_int_eq(hw(&hd, &pc, tu_path("root/new")), -1);
	/* Even when the lines are there already: refused, not skipped. */
	tu_spit(tu_path("root/same"), "10.0.0.2\tapi\n", 0644);
	ck_assert_int_eq(hw(&hd, &pc, tu_path("root/same")), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(lstat(tu_path("root/new"), &st), -1);
	/* Back to root's rights afterwards. */
	ck_assert_uint_eq((uid_t)setfsuid((uid_t)-1), 0);
	ck_assert_uint_eq((gid_t)setfsgid((gid_t)-1), 0);
	/* A file the peer's group may write, in that directory: in place. */
	tu_spit(tu_path("root/grp"), "keep\n", 0664);
	ck_assert_int_eq(chown(tu_path("root/grp"), 0, 4242), 0);
	ck_assert_int_eq(hw(&hd, &pc, tu_path("root/grp")), 0);
	file_is(tu_path("root/grp"), "keep\n10.0.0.2\tapi\n");
	/* The peer's own directory and file. */
	ck_assert_int_eq(mkdir(tu_path("own"), 0755), 0);
	ck_assert_int_eq(chown(tu_path("own"), NOBODY, NOBODY), 0);
	tu_spit(tu_path("own/hosts"), "127.0.0.1 localhost\n", 0644);
	ck_assert_int_eq(chown(tu_path("own/hosts"), NOBODY, NOBODY), 0);
	ck_assert_int_eq(hw(&hd, &pc, tu_path("own/hosts")), 0);
	file_is(tu_path("own/hosts"), "127.0.0.1 localhost\n10.0.0.2\tapi\n");
	ck_assert_int_eq(stat(tu_path("own/hosts"), &st), 0);
	ck_assert_uint_eq(st.st_uid, NOBODY);
	/* Under a --hosts-dir: written as root. */
	ck_assert_int_eq(hostsdirs_add(&hd, tu_path("root"), err, sizeof(err)),
	    0);
	ck_assert_int_eq(hw(&hd, &pc, tu_path("root/hosts")), 0);
	file_is(tu_path("root/hosts"), "keep\n10.0.0.2\tapi\n");
	/* but never out of it. */
	tu_spit(tu_path("hosts"), "keep\n", 0644);
	ck_assert_int_eq(hw(&hd, &pc, tu_path("root/../hosts")), -1);
	ck_assert_int_eq(errno, EXDEV);
	file_is(tu_path("hosts"), "keep\n");
	hostsdirs_free(&hd);
	peer_cred_free(&pc);
}
END_TEST

/* A registration of unknown origin counts only under a --hosts-dir. */
START_TEST(test_unknown_peer)
{
	struct hostsdirs hd = { 0 };
	char err[256];

	ck_assert_int_eq(mkdir(tu_path("allowed"), 0755), 0);
	tu_spit(tu_path("hosts"), "keep\n", 0644);
	errno = 0;
	ck_assert_int_eq(hw(&hd, NULL, tu_path("hosts")), -1);
	ck_assert_int_eq(errno, EPERM);
	file_is(tu_path("hosts"), "keep\n");
	ck_assert_int_eq(hostsdirs_add(&hd, tu_path("allowed"), err,
	    sizeof(err)), 0);
	ck_assert_int_eq(hw(&hd, NULL, tu_path("allowed/hosts")), 0);
	file_is(tu_path("allowed/hosts"), "10.0.0.2\tapi\n");
	ck_assert_int_eq(hostsdirs_add(&hd, tu_path("hosts"), err, sizeof(err)),
	    -1);
	ck_assert_int_eq(hostsdirs_add(&hd, tu_path("nope"), err, sizeof(err)),
	    -1);
	hostsdirs_free(&hd);
}
END_TEST

/* hostswrite's host_hosts: that file is never written, by anyone. */
START_TEST(test_host_hosts)
{
	struct peer_cred root = { 0, 0, NULL, 0 };
	struct hostsdirs hd = { 0 };

	tu_spit(tu_path("hosts"), "127.0.0.1 localhost\n", 0644);
	errno = 0;
	ck_assert_int_eq(hostswrite(&hd, &root, tu_path("hosts"), tu_path("hosts"),
	    OWNED, 1, LINES, 1, lasterr, sizeof(lasterr)), -1);
	ck_assert_int_eq(errno, EPERM);
	file_is(tu_path("hosts"), "127.0.0.1 localhost\n");
}
END_TEST

Suite *
safefile_suite(void)
{
	Suite *s = suite_create("safefile");
	TCase *tc = tcase_create("safefile");

	tcase_add_unchecked_fixture(tc, tu_base_setup, tu_base_teardown);
	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_inplace);
	tcase_add_test(tc, test_symlink_last);
	tcase_add_test(tc, test_symlink_middle);
	tcase_add_test(tc, test_magic_link);
	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_dev_zero);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_forbidden);
	tcase_add_test(tc, test_tmp_planted);
	tcase_add_test(tc, test_beneath);
	tcase_add_loop_test(tc, test_openers, 0,
	    (int)(sizeof(openers) / sizeof(openers[0])));
	tcase_add_test(tc, test_cred_json);
	tcase_add_test(tc, test_peer_rights);
	tcase_add_test(tc, test_unknown_peer);
	tcase_add_test(tc, test_host_hosts);
	suite_add_tcase(s, tc);
	return s;
}
