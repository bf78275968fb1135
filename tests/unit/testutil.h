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
 * A directory per test inside one per test case, for suites that work on
 * real files.  tu_base_setup/teardown: an unchecked fixture (the runner
 * makes and removes tu_base itself, so a failed test, which never reaches
 * its own teardown in a forked child, leaves nothing behind).
 * tu_dir_setup/teardown: a checked fixture, tu_dir a fresh directory in
 * tu_base.  tu_path: "tu_dir/name", in one of four static buffers used in
 * turn.
 */
extern char tu_base[512], tu_dir[600];
void tu_base_setup(void);
void tu_base_teardown(void);
void tu_dir_setup(void);
void tu_dir_teardown(void);
const char *tu_path(const char *name);
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
