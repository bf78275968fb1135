/*
 * model_fixture.h: containers and models built from text, for the suites
 * of model.c (check_model.c, check_container.c) and of the rule engine
 * (engine_fixture.h).  Every function asserts with Check on failure.
 */
#ifndef ICCD_MODEL_FIXTURE_H
#define ICCD_MODEL_FIXTURE_H

#include <stdbool.h>

#include <netinet/in.h>

#include "model.h"

/* ip4, ip6: an address from text (a bad one fails the test). */
struct in_addr	 ip4(const char *s);
struct in6_addr	 ip6(const char *s);

/* mkc: a new container with a name, a bridge, a v4 address and a state
 * (the caller owns it). */
struct icc_container *mkc(const char *name, const char *bridge,
		    const char *addr, bool running);
/* mklink: c links source under alias. */
void		 mklink(struct icc_container *c, const char *source,
		    const char *alias);
/* put: c into m (m owns it then). */
void		 put(struct icc_model *m, struct icc_container *c);
/* copy_of: a deep copy of m's container name, to change and model_put
 * back (the caller owns it). */
struct icc_container *copy_of(const struct icc_model *m, const char *name);

#endif
