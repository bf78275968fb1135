/*
 * state.h: iccd's declarations on disk, so a restart or a crash loses no
 * acknowledged request.  Layout of the state directory:
 *
 *   bridges.json          {"bridges": [{"name": "br0", "icc": false}, ...]}
 *   c/NAME.json           one file per container: its "start" request
 *                         (request_encode_start) plus "running", "seq" and
 *                         optional "hosts" {"path", "owned": [aliases],
 *                         "peer": {"uid", "gid", "groups"}: who registered
 *                         it (peercred.h; missing from older iccds)}
 *
 *   journal               what changed since the files were last
 *                         written (journal.h): one record per change, a
 *                         JSON object {"c": <a c/NAME.json object>},
 *                         {"rm": "NAME"} or {"bridges": <bridges.json's
 *                         object>}; the last record of a name wins
 *   journal.old           the records a compaction is writing into the
 *                         files (see statelog below); older than journal
 *
 * One file per container keeps a request's write cost independent of the
 * number of containers.  iccd itself appends to the journal (one
 * fdatasync per group of changes) and compacts it into the files in the
 * background; every file write is atomic: temp file, fsync, rename, fsync
 * of the directory.  Temp files (".NAME.tmp.PID.N", skipped and removed
 * at load) are created O_EXCL|O_NOFOLLOW.  Loading reads the files, then
 * journal.old, then journal, each up to its first torn record, so a
 * crash at any point loses no change whose group was synced.  "seq"
 * orders writes: when a crash left two running containers claiming one
 * address (a takeover written half-way), the later one wins on load.
 */
#ifndef ICCD_STATE_H
#define ICCD_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "model.h"

/*
 * state_init: create dir (0700) and dir/c when missing, and check that
 * both, and every directory above, are root's alone (fsafe_dir: a state
 * directory others may write, mode 1777 say, is refused).  Returns 0 or
 * -1 with one line in err ("state directory DIR: writable by group or
 * others (mode 1777)").
 */
int state_init(const char *dir, char *err, size_t errlen);

/*
 * state_write_json: write obj to dir/rel atomically (see above).
 * Returns 0 or -1 with errno.
 */
int state_write_json(const char *dir, const char *rel, const json_t *obj);

/*
 * state_write_text: put text (len bytes) and a newline at path atomically
 * (temp file, fsync, rename), then fsync its directory when dirsync.
 * Returns 0 or -1 with errno.
 */
int state_write_text(const char *path, const char *text, size_t len,
    bool dirsync);

/* state_write_bytes: the same for len bytes at p, no newline added. */
int state_write_bytes(const char *path, const void *p, size_t len,
    bool dirsync);

/* state_container_json: the object of c's file (NULL with errno ENOMEM);
 * hosts may be NULL.  The caller owns it. */
json_t *state_container_json(const struct icc_container *c, uint64_t seq,
    const json_t *hosts);

/* state_bridges_json: bridges.json's object for m (NULL: ENOMEM). */
json_t *state_bridges_json(const struct icc_model *m);

/*
 * state_save_container: write c's file with sequence number seq and the
 * optional `hosts` object (may be NULL).  Returns 0 or -1 with errno.
 */
int state_save_container(const char *dir, const struct icc_container *c,
    uint64_t seq, const json_t *hosts);

/* state_remove_container: delete NAME's file (durably); 0 or -1/errno. */
int state_remove_container(const char *dir, const char *name);

/* state_save_bridges: write bridges.json from m.  0 or -1 with errno. */
int state_save_bridges(const char *dir, const struct icc_model *m);

/*
 * state_load: read the directory (files, then journal.old and journal)
 * into m (which must be empty).  For each
 * container with a "hosts" object, hosts_fn(name, hosts, arg) is called.
 * *seq gets the highest sequence number seen.  Returns 0, or -1 with a
 * line in err naming the file and the problem (the model may then hold
 * part of the state: the caller must not use it).
 */
int state_load(const char *dir, struct icc_model *m, uint64_t *seq,
    void (*hosts_fn)(const char *name, const json_t *hosts, void *arg),
    void *arg, char *err, size_t errlen);

/*
 * state_load_with: state_load with the files parsed by up to `threads`
 * threads (1: this one alone; state_load uses 2): a start that loads the
 * kernel from the element cache meanwhile leaves it a core of its own.
 */
int state_load_with(const char *dir, struct icc_model *m, uint64_t *seq,
    void (*hosts_fn)(const char *name, const json_t *hosts, void *arg),
    void *arg, unsigned threads, char *err, size_t errlen);

/* ---- statelog.c: iccd's writes, journaled ------------------------------- */

#define STATE_JOURNAL		"journal"
#define STATE_JOURNAL_OLD	"journal.old"

/* A compaction starts once the journal holds this many bytes (or when
 * the daemon is idle, see statelog_compact). */
#define STATELOG_COMPACT_BYTES	(1024 * 1024)

struct statelog;

/*
 * statelog_open: journal the writes to dir, after state_load read it:
 * the records already in its journals are owed to the files and are
 * written by the next compaction.  Returns NULL with errno and a line in
 * err.
 */
struct statelog *statelog_open(const char *dir, char *err, size_t errlen);

/*
 * statelog_close: wait for a compaction under way, write every record
 * still owed into the files and empty the journals (a clean stop leaves
 * plain files behind), then free l.  Failures are logged: the journal
 * then stays and is replayed on the next load.  NULL is fine.
 */
void statelog_close(struct statelog *l);

/*
 * Changes: each adds a record to the group being built; nothing is
 * durable before statelog_commit.  They return 0 or -1 with errno
 * (ENOMEM).  put_container writes c's file object with seq and hosts
 * (may be NULL), remove_container drops NAME's, put_bridges the list of
 * m's bridges.
 */
int statelog_put_container(struct statelog *l, const struct icc_container *c,
    uint64_t seq, const json_t *hosts);
int statelog_remove_container(struct statelog *l, const char *name);
int statelog_put_bridges(struct statelog *l, const struct icc_model *m);

/*
 * statelog_commit: make the group durable: one write and one fdatasync
 * of the journal.  Returns 0, or -1 with errno: the group is then
 * dropped, on disk as in memory (the journal ends where it began).
 */
int statelog_commit(struct statelog *l);

/* statelog_discard: drop the group being built. */
void statelog_discard(struct statelog *l);

/* statelog_pending: records in the group being built. */
size_t statelog_pending(const struct statelog *l);

/* statelog_rewind: drop the records of the group being built past its
 * first n (a statelog_pending count taken earlier): the changes made
 * since were taken back. */
void statelog_rewind(struct statelog *l, size_t n);

/*
 * statelog_compact: write what the journal holds into the files.  With
 * background, a child process (fork) writes a snapshot of the records
 * owed while the journal goes on in a new file (the old one renamed
 * journal.old, removed by the child once the files are durable); a
 * compaction already under way, or nothing owed, makes it a no-op.
 * Without, it is done here, and the journals are emptied.  Returns 0, or
 * -1 with errno (the records stay owed; the journals stay).
 */
int statelog_compact(struct statelog *l, bool background);

/* statelog_compact_due: the journal has grown past
 * STATELOG_COMPACT_BYTES and no compaction runs. */
bool statelog_compact_due(const struct statelog *l);

/* statelog_owed: records written to the journal but not yet to the
 * files (a compaction under way not counted). */
size_t statelog_owed(const struct statelog *l);

/*
 * statelog_on_compact: fn(dir, arg) writes the start's cache of the
 * derived elements (elemcache.h) once the files are durable: in the
 * background compaction's child (from its copy of iccd's memory: the
 * model as the files it wrote say, no group being built) and at
 * statelog_close.  A compaction when nothing is owed but the cache is
 * due (statelog_cache_stale) writes the cache alone.  fn returns 0 or -1
 * with errno (logged; the cache is then due again).  A compaction done at
 * once (statelog_compact without background, at start) leaves the cache
 * due: iccd's memory may not hold the derived elements yet.
 */
void statelog_on_compact(struct statelog *l,
    int (*fn)(const char *dir, void *arg), void *arg);

/* statelog_cache_stale: the cache on disk is missing or not the state's:
 * the next compaction writes it, even with nothing owed. */
void statelog_cache_stale(struct statelog *l);

/* statelog_cache_due: the cache is to be written (and can be). */
bool statelog_cache_due(const struct statelog *l);

/*
 * statelog_busy: a background compaction runs; reaps it when it has
 * ended (a failed one is logged, and its records are owed again).
 */
bool statelog_busy(struct statelog *l);

#endif
