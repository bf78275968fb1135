/*
 * locks.c: one iccd per state directory and per table and network
 * namespace (flock), and the files this run leaves behind removed at exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "locks.h"
#include "log.h"
#include "proto.h"

/*
 * The lock files this run holds and the socket it bound: removed at
 * every exit (locks_unlink, an atexit handler), a failed start included.
 * Only this run's: another iccd's lock or socket is never removed.
 */
static char held_locks[2][PATH_MAX];
static char own_socket[PATH_MAX];

void
locks_unlink(void)
{
	for (size_t i = 0; i < 2; i++)
		if (held_locks[i][0] != '\0')
			unlink(held_locks[i]);	/* held: nobody else uses it */
	if (own_socket[0] != '\0')
		unlink(own_socket);
}

/* lock_held: note path as held, to be removed at exit. */
static void
lock_held(const char *path)
{
	for (size_t i = 0; i < 2; i++)
		if (held_locks[i][0] == '\0') {
			snprintf(held_locks[i], sizeof(held_locks[i]), "%s",
			    path);
			return;
		}
}

/*
 * lock_or_die: hold an exclusive lock on DIR/NAME for the life of the
 * process, so that a second iccd on the same state or table fails at once
 * instead of both fighting over it (two daemons on one table would repair
 * each other's changes forever).  The lock dies with the process, even
 * on SIGKILL; its file is removed at exit (locks_unlink).
 */
void
lock_or_die(const char *dir, const char *name, const char *what)
{
	char path[PATH_MAX];
	int fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("%s: %s", what, dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		fatal("%s: %s", what, path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			fatalx("%s: %s is in use by another iccd", what, path);
		fatal("%s: lock %s", what, path);
	}
	lock_held(path);
	/* fd stays open on purpose: it holds the lock. */
}

/* lock_table_or_die: one iccd per table and network namespace. */
void
lock_table_or_die(const char *table)
{
	char name[128];
	struct stat st;

	if (stat("/proc/self/ns/net", &st) == -1)
		fatal("/proc/self/ns/net");
	if (mkdir(ICC_LOCK_DIR, 0755) == -1 && errno != EEXIST)
		fatal("%s", ICC_LOCK_DIR);
	snprintf(name, sizeof(name), "inet-%s-netns%llu.lock", table,
	    (unsigned long long)st.st_ino);
	lock_or_die(ICC_LOCK_DIR, name, "--table");
}

void
locks_own_socket(const char *path)
{
	snprintf(own_socket, sizeof(own_socket), "%s", path);
}
