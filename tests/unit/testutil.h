/*
 * testutil.h: helpers several Check suites share: temporary directories
 * (made and removed), whole files written and read back, and dropping a
 * forked child's privileges.  Each asserts with Check on failure, except
 * where it says otherwise (fixtures that run outside a test).
 */
#ifndef ICCD_TESTUTIL_H
#define ICCD_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * tu_tmpbase: make a directory $TMPDIR/NAME.XXXXXX (P_tmpdir when TMPDIR
 * is unset or empty), mode 0755, its path into buf (len bytes).  For
 * unchecked fixtures: on failure it prints the path and aborts.
 */
void tu_tmpbase(char *buf, size_t len, const char *name);
/* tu_tmpdir: make a directory BASE/t.XXXXXX, mode 0755, path into buf. */
void tu_tmpdir(char *buf, size_t len, const char *base);
/* tu_rm_rf: remove path and everything below it, without following
 * links; errors are ignored (cleanup only). */
void tu_rm_rf(const char *path);
/* tu_spit: write s to path (created or truncated), then chmod it to mode. */
void tu_spit(const char *path, const char *s, mode_t mode);
/* tu_slurp: the whole of path, malloc'd and NUL-terminated (free it);
 * its length in *len. */
char *tu_slurp(const char *path, size_t *len);
/*
 * tu_drop_to: in a forked child, become uid:gid with the supplementary
 * groups groups[0..ngroups).  Returns 0, or -1 with errno (the child
 * should _exit with a status its parent reads as "cannot drop").
 */
int tu_drop_to(uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups);

#endif
