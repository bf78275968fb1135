/*
 * locks.h: one iccd per state directory and per table and network
 * namespace.  Each lock is an flock(2) on a file held for the life of the
 * process: it dies with the process, even on SIGKILL, so a crash never
 * leaves a lock a restart must clear.  Process-wide state (the paths to
 * remove at exit): iccd's main alone calls these.
 */
#ifndef ICCD_LOCKS_H
#define ICCD_LOCKS_H

/*
 * lock_or_die: hold an exclusive lock on DIR/NAME (DIR is created 0700
 * when missing); what names the option in the fatal error line ("...:
 * PATH is in use by another iccd").  Never returns on failure.
 */
void lock_or_die(const char *dir, const char *name, const char *what);

/*
 * lock_table_or_die: the lock of table in this network namespace, in
 * ICC_LOCK_DIR, named by the namespace's inode.  Never returns on failure.
 */
void lock_table_or_die(const char *table);

/* locks_own_socket: path is this run's control socket: removed at exit. */
void locks_own_socket(const char *path);

/*
 * locks_unlink: remove the lock files this run holds and its socket
 * (an atexit handler): only this run's, never another iccd's.
 */
void locks_unlink(void);

#endif
