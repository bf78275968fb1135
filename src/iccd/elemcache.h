/*
 * elemcache.h: the start's cache of the derived elements, DIR/elements.cache
 * in the state directory: what the kernel should hold for the state as
 * the files last written say (the link elements, the closed bridges, the
 * bridge table's bindings), so that a cold start can load the kernel from
 * it while another thread parses the state (startcache.c).  Correctness
 * never depends on it: the elements are compared with what the model
 * derives before iccd serves, and any difference is synced away.
 *
 * Written like the state files (temp file O_EXCL|O_NOFOLLOW, fsync,
 * rename) by each compaction that brought the files up to date.  Binary,
 * native byte order (it never leaves the machine):
 *
 *   header (48 bytes)  magic "ICCDELC\n", u32 version (ELEMCACHE_VERSION),
 *                      u32 flags (bit 0: --icc on), u64 generation,
 *                      u32 nelems, nclosed, nbinds, u32 0,
 *                      u64 checksum (of the file with these 8 bytes zero)
 *   nelems x 40 bytes  family, proto, first, last (u16), 2 zero bytes,
 *                      receiver, source (16 bytes each, a v4 address in
 *                      the first 4, the rest zero): struct icc_elem's
 *                      own bytes, in elem_cmp order, distinct
 *   nclosed x 16       bridge names, NUL padded
 *   nbinds x 33        set, key (BELEM_KEY_MAX bytes)
 *
 * The generation is the state directory's stamp (elemcache_stamp) when
 * the cache was written: any file iccd writes, renames or removes in c/,
 * and any change of bridges.json, moves it.  A cache whose generation is
 * not the directory's, or with records in a journal (changes newer than
 * the files), is stale.  The checksum catches any one changed word.
 */
#ifndef ICCD_ELEMCACHE_H
#define ICCD_ELEMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "belem.h"
#include "elem.h"
#include "util.h"

#define ELEMCACHE_FILE		"elements.cache"
#define ELEMCACHE_VERSION	1

/* A file larger than this is refused (4 million elements and more). */
#define ELEMCACHE_MAX		(256UL * 1024 * 1024)

struct elemcache {
	uint64_t	 generation;	/* elemcache_stamp when written */
	bool		 icc_on;	/* the --icc default it was made with */
	struct elemvec	 elems;		/* the link elements, distinct */
	struct strvec	 closed;	/* bridges with icc off */
	struct belemvec	 binds;		/* the bridge table's elements */
};

/*
 * elemcache_stamp: the state directory dir's stamp: a hash of c/'s inode,
 * size and modification time and bridges.json's (absent: zeros).  Returns
 * 0, or -1 with errno (stat(2)'s of c/).
 */
int elemcache_stamp(const char *dir, uint64_t *gen);

/*
 * elemcache_write: c as dir/ELEMCACHE_FILE, atomically (see above; the
 * directory is fsynced too).  c's elements must be sorted (elemvec_sort)
 * and distinct.  Returns 0 or -1 with errno.
 */
int elemcache_write(const char *dir, const struct elemcache *c);

/*
 * elemcache_read: dir/ELEMCACHE_FILE into c (zeroed first; free it with
 * elemcache_free either way).  The file must be a regular file (a
 * symbolic link is not followed), root's (fsafe_stat) and exactly as
 * written: size, magic, version, checksum, and every record valid (a
 * known family, protocol and set, ports in order, zero padding, a valid
 * bridge name; the elements in strictly increasing order).  Returns 0, or -1 with errno ENOENT when there is none,
 * or with a line in err saying why it is not used ("elements.cache:
 * checksum mismatch", "...: writable by group or others (mode 0666)").
 */
int elemcache_read(const char *dir, struct elemcache *c, char *err,
    size_t errlen);

/*
 * elemcache_current: c was made from the state dir holds now, with the
 * --icc default icc_on: its generation is the directory's stamp, and the
 * journals (journal, journal.old) are empty or absent.  Returns true, or
 * false with the reason in err ("stale: the state changed since it was
 * written").
 */
bool elemcache_current(const char *dir, const struct elemcache *c,
    bool icc_on, char *err, size_t errlen);

/* elemcache_free: release c's vectors (c itself is the caller's). */
void elemcache_free(struct elemcache *c);

/* elemcache_sum: the checksum over len bytes (exposed for the tests). */
uint64_t elemcache_sum(const void *p, size_t len);

#endif
