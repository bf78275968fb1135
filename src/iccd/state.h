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
 * One file per container keeps a request's write cost independent of the
 * number of containers.  Every write is atomic: temp file, fsync, rename,
 * fsync of the directory.  Temp files (".NAME.tmp.PID.N", skipped and
 * removed at load) are created O_EXCL|O_NOFOLLOW.  "seq" orders writes: when a crash left two
 * running containers claiming one address (a takeover written half-way),
 * the later one wins on load.
 */
#ifndef ICCD_STATE_H
#define ICCD_STATE_H

#include <stdint.h>

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
 * state_load: read the directory into m (which must be empty).  For each
 * container with a "hosts" object, hosts_fn(name, hosts, arg) is called.
 * *seq gets the highest sequence number seen.  Returns 0, or -1 with a
 * line in err naming the file and the problem (the model may then hold
 * part of the state: the caller must not use it).
 */
int state_load(const char *dir, struct icc_model *m, uint64_t *seq,
    void (*hosts_fn)(const char *name, const json_t *hosts, void *arg),
    void *arg, char *err, size_t errlen);

#endif
