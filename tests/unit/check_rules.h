/*
 * check_rules.h: the expectations check_rules.c and check_rules_dir.c
 * share.  Each asserts with Check; file, line and col are the item's
 * expected origin.
 */
#ifndef ICCD_CHECK_RULES_H
#define ICCD_CHECK_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

/* check_bridge: r->bridges[i] is bridge name, icc on or off. */
void check_bridge(const struct rules *r, size_t i, const char *name,
    bool icc, const char *file, unsigned line, unsigned col);
/* check_expose: r->exposes[i] is name's ports first-last/proto. */
void check_expose(const struct rules *r, size_t i, const char *name,
    unsigned first, unsigned last, unsigned proto, const char *file,
    unsigned line, unsigned col);
/* expect_link: r->links[i] is receiver -> source:alias. */
void expect_link(const struct rules *r, size_t i, const char *receiver,
    const char *source, const char *alias, const char *file, unsigned line,
    unsigned col);
/* fill_before: load a known set of rules into r (one of each item);
 * check_before: r still holds exactly them (a failed load left r alone). */
void fill_before(struct rules *r);
void check_before(const struct rules *r);

#endif
