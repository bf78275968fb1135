/*
 * journal.h: an append-only log of records, made durable a group at a
 * time with one fdatasync(2).  state.c journals its writes here instead
 * of rewriting (and fsyncing) a file and its directory per update, and
 * compacts the journal into its files now and then.
 *
 * On disk a record is
 *
 *   u32 length (little endian) | u32 CRC-32 of the payload (little
 *   endian, the IEEE polynomial of zlib and Ethernet) | payload
 *
 * with no header and no padding.  A crash can only leave the records
 * being written torn (the last group): reading stops at the first record
 * whose length runs past the end of the file, whose length is 0 or over
 * JOURNAL_RECORD_MAX, or whose checksum is wrong; what follows is
 * ignored, and cut off when the journal is opened for appending.
 */
#ifndef ICCD_JOURNAL_H
#define ICCD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest payload: more is refused by journal_append, and a length
 * over it on disk is damage. */
#define JOURNAL_RECORD_MAX	(16u * 1024 * 1024)

struct journal;

/* journal_crc32: CRC-32 (IEEE) of len bytes at p. */
uint32_t journal_crc32(const void *p, size_t len);

/*
 * journal_read: call fn(payload, len, arg) for every whole record of the
 * file at path, in order, up to the first torn or damaged one.  The
 * payload is borrowed for the call.  *end (may be NULL) gets the offset
 * just past the last whole record.  A missing file is an empty journal.
 * Returns the number of records read, fn's value when it returned
 * non-zero (which stops the reading), or -1 with errno (open or read
 * errors, ENOMEM).
 */
long journal_read(const char *path,
    int (*fn)(const void *payload, size_t len, void *arg), void *arg,
    off_t *end);

/*
 * journal_open: open the journal at path for appending, creating it
 * (0600) when missing; a torn tail is cut off, so that new records
 * follow the last whole one.  A new file, or a cut, is made durable
 * (fsync of the file and its directory) before it returns.  Returns
 * NULL with errno.
 */
struct journal *journal_open(const char *path);

/* journal_close: close j (buffered records are dropped); NULL is fine. */
void journal_close(struct journal *j);

/*
 * journal_append: add a record of len bytes (1..JOURNAL_RECORD_MAX) to
 * the group being built; nothing reaches the file before
 * journal_commit.  Returns 0 or -1 with errno (EINVAL for a bad length,
 * ENOMEM).
 */
int journal_append(struct journal *j, const void *payload, size_t len);

/* journal_pending: records appended since the last commit or discard. */
size_t journal_pending(const struct journal *j);

/*
 * journal_commit: write the group and fdatasync: when it returns 0 every
 * record of the group survives a crash.  Nothing to write is success
 * without a sync.  On failure the file is cut back to where the group
 * began (so that a later group does not follow a half-written one), the
 * group is dropped and -1 returned with errno.
 */
int journal_commit(struct journal *j);

/* journal_discard: drop the group being built. */
void journal_discard(struct journal *j);

/* journal_rewind: drop the records of the group being built past its
 * first nrec (journal_pending's count then); nothing when it holds no
 * more. */
void journal_rewind(struct journal *j, size_t nrec);

/* journal_size: bytes of whole records in the file. */
off_t journal_size(const struct journal *j);

/*
 * journal_rotate: rename the journal to oldpath (which must not exist)
 * and go on in a new, empty file at the same path; both names are
 * durable when it returns 0.  The group being built must be empty.
 * Returns 0, or -1 with errno (j then appends to the file it had, under
 * its name, unless only the final directory fsync failed).
 */
int journal_rotate(struct journal *j, const char *oldpath);

/*
 * journal_truncate: empty the journal, durably.  Returns 0 or -1 with
 * errno.
 */
int journal_truncate(struct journal *j);

/* fsync_dir_of: fsync the directory holding path; 0 or -1 with errno. */
int fsync_dir_of(const char *path);

#endif
