/*
 * engine_fixture.h: what the rule engine's suites share (check_engine.c:
 * elements and derivation; check_elemset.c: the counted set, change
 * scenarios, scale), on top of model_fixture.h: containers with ports,
 * elements from text, and element lists compared as sorted lists of
 * elem_format strings, so a failure prints them.  Every function asserts
 * with Check on failure.
 */
#ifndef ICCD_ENGINE_FIXTURE_H
#define ICCD_ENGINE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>

#include "engine.h"
#include "model.h"
#include "model_fixture.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* mkc6: mkc (model_fixture.h), and a6 its v6 address when not NULL. */
struct icc_container *mkc6(const char *name, const char *bridge,
		    const char *a4, const char *a6, bool running);
/* expose: c also exposes first-last (host order) of proto (IPPROTO_*). */
void		 expose(struct icc_container *c, uint16_t first, uint16_t last,
		    uint8_t proto);
/* el4, el6: one element from text: recv may reach src's ports. */
struct icc_elem	 el4(const char *recv, const char *src, uint8_t proto,
		    uint16_t first, uint16_t last);
struct icc_elem	 el6(const char *recv, const char *src, uint8_t proto,
		    uint16_t first, uint16_t last);
/* push: e appended to ev. */
void		 push(struct elemvec *ev, struct icc_elem e);

/* check_elems: ev holds exactly want[0..n-1] (elem_format), in any order;
 * what names the list in the failure message. */
void		 check_elems(const struct elemvec *ev, const char *const *want,
		    size_t n, const char *what);
#define CHECK_ELEMS(ev, what, ...) do {					\
	static const char *const want_[] = { __VA_ARGS__ };		\
	check_elems((ev), want_, NELEM(want_), (what));			\
} while (0)
/* check_sorted: ev strictly ascending by elem_cmp (so each element once). */
void		 check_sorted(const struct elemvec *ev, const char *what);
/* set_dump: every element of s with its count ("ELEM #N"), sorted, one a
 * line.  The caller frees it. */
char		*set_dump(const struct elemset *s);
/* set_of: a new set holding the derivations of ev (the caller frees). */
struct elemset	*set_of(const struct elemvec *ev);

/* web_db: the web -> db model: db exposes 3306/tcp, 53/udp and
 * 7000-7999/tcp; v6 addresses on either side as asked.  web_db_elems:
 * the elements of web's one link into out. */
struct icc_model *web_db(bool web6, bool db6);
void		 web_db_elems(const struct icc_model *m, struct elemvec *out);

/* Elements, as elem_format writes them, of the models both suites build:
 * web, api, db, cache and other at 10.0.0.3, .4, .2, .5 and .6. */
#define WEB_DB		"10.0.0.3 . 10.0.0.2 . tcp . 3306"
#define WEB_OTHER	"10.0.0.3 . 10.0.0.6 . tcp . 80"
#define API_DB		"10.0.0.4 . 10.0.0.2 . tcp . 3306"
#define DB_CACHE	"10.0.0.2 . 10.0.0.5 . tcp . 6379"
#define OTHER_CACHE	"10.0.0.6 . 10.0.0.5 . tcp . 6379"

#endif
