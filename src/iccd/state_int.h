/*
 * state_int.h: what state.c (the files: writing them, parsing one) and
 * state_load.c (reading the whole directory and its journal) share;
 * private to them.
 */
#ifndef ICCD_STATE_INT_H
#define ICCD_STATE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "model.h"

/* A container as read from its file or a journal record. */
struct loaded {
	struct icc_container	*c;	/* NULL: removed by a record */
	uint64_t		 seq;
	json_t			*hosts;
};

/* load_file: the JSON object in the file at path, or NULL with a line in
 * err naming the file (and line and column), never its bytes. */
json_t *load_file(const char *path, char *err, size_t errlen);

/* check_types: the fields state.c adds to a start request ("running",
 * "seq", "hosts") have their types; 0 or -1 with a line in err. */
int check_types(const char *path, const json_t *o, char *err,
    size_t errlen);

/* load_container: o (a state file's object, changed) as a container
 * whose name must make fname; 0 or -1 with a line in err naming path. */
int load_container(const char *path, const char *fname, json_t *o,
    struct icc_container **out, char *err, size_t errlen);

/* apply_bridges: bridges.json's object o (read from where) into m. */
int apply_bridges(const char *where, const json_t *o, struct icc_model *m,
    char *err, size_t errlen);

/* load_bridges: dir/bridges.json into m, unless the journal had a newer
 * list (journaled, from where). */
int load_bridges(const char *dir, struct icc_model *m,
    const json_t *journaled, const char *where, char *err, size_t errlen);

/* is_state_file: NAME.json; is_temp_file: a temp file a crash left. */
bool is_state_file(const char *name);
bool is_temp_file(const char *name);

#endif
