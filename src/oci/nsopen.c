/* nsopen.c: see nsopen.h. */
#include "config.h"

#include "nsopen.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "parse.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC	0x6e736673
#endif

/* one_component: s is a file name: not empty, no '/', not "." or "..". */
static bool
one_component(const char *s)
{
	return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

/* proc_pid_dir: path is "/proc/PID/ns/net": "/proc/PID/ns" into dir. */
static bool
proc_pid_dir(const char *path, char *dir, size_t len)
{
	const char *p = path + strlen("/proc/");
	size_t digits = strspn(p, "0123456789");

	if (strncmp(path, "/proc/", 6) != 0 || digits == 0 || digits > 10 ||
	    strcmp(p + digits, "/ns/net") != 0)
		return false;
	snprintf(dir, len, "/proc/%.*s/ns", (int)digits, p);
	return true;
}

/* is_netns: fd is an nsfs file of a network namespace. */
static bool
is_netns(int fd)
{
	struct statfs sfs;
	int type;

	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != NSFS_MAGIC)
		return false;
	type = ioctl(fd, NS_GET_NSTYPE);
	/* Kernels before 4.11 lack the ioctl: setns then tells. */
	return type == CLONE_NEWNET || (type == -1 && errno == ENOTTY);
}

int
nsopen_net_in(const char *netns_dir, const char *what, const char *path,
    char *err, size_t len)
{
	size_t dlen = strlen(netns_dir);
	char dir[64];
	const char *name;
	int dfd, fd, flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

	if (strncmp(path, netns_dir, dlen) == 0 && path[dlen] == '/' &&
	    one_component(path + dlen + 1)) {
		snprintf(dir, sizeof(dir), "%s", netns_dir);
		name = path + dlen + 1;
		flags |= O_NOFOLLOW;
	} else if (proc_pid_dir(path, dir, sizeof(dir)))
		name = "net";	/* a magic link to the namespace itself */
	else
		return errf(err, len, EINVAL, "%s: %s: not under %s or "
		    "/proc/PID/ns", what, path, netns_dir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errf(err, len, 0, "%s: %s: %s", what, dir,
		    strerror(errno));
	fd = openat(dfd, name, flags);
	close(dfd);
	if (fd == -1)
		return errf(err, len, 0, "%s: %s: %s", what, path,
		    errno == ELOOP ? "a symbolic link (not followed)" :
		    strerror(errno));
	if (!is_netns(fd)) {
		close(fd);
		return errf(err, len, EINVAL, "%s: %s: not a network "
		    "namespace", what, path);
	}
	return fd;
}

int
nsopen_net(const char *what, const char *path, char *err, size_t len)
{
	return nsopen_net_in(NSOPEN_NETNS_DIR, what, path, err, len);
}
