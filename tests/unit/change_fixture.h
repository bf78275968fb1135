/*
 * change_fixture.h: the fixture of check_change.c: a daemon (daemon.h)
 * with a temporary state and rules directory over the fake kernel
 * (fake_kernel.h), driven by JSON requests through daemon_handle, and
 * what a test compares: the kernel's table and batches, and a snapshot of
 * model, durable state and table.  Every function asserts with Check.
 */
#ifndef ICCD_CHANGE_FIXTURE_H
#define ICCD_CHANGE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon.h"
#include "fake_kernel.h"

/* The fixture's state, made by chg_setup. */
extern struct iccd chg_d;
extern char chg_state[64], chg_rules[64];	/* the two directories */

/* chg_setup, chg_teardown: the checked fixture: a fresh fake kernel and
 * directories, the daemon initialised and synced; all freed again. */
void	chg_setup(void);
void	chg_teardown(void);

/* ask: daemon_handle of the request printf makes; the reply (owned). */
json_t	*ask(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ok: the request succeeds. */
#define ok(...) do {							\
	json_t *rep_ = ask(__VA_ARGS__);				\
	ck_assert_msg(json_is_true(json_object_get(rep_, "ok")),	\
	    "refused: %s", json_string_value(json_object_get(rep_,	\
	    "error")));							\
	json_decref(rep_);						\
} while (0)

/* req_refused: the request fails with exactly the error line `want`. */
void	req_refused(const char *want, const char *req);

/* e4: the element letting receiver `recv` reach `src` on ports. */
struct icc_elem e4(const char *recv, const char *src, const char *ports);
/* expect_elems: v holds exactly want[0..n-1], in any order. */
void	expect_elems(const struct elemvec *v, const struct icc_elem *want,
	    size_t n);
/* expect_table: the fake kernel's table holds exactly want[0..n-1]. */
void	expect_table(const struct icc_elem *want, size_t n);
/* ncommits, commit_at: the fake kernel's commits so far, commit i. */
size_t	ncommits(void);
const struct fake_commit *commit_at(size_t i);

/* state_json: the durable state, as a start would load it (files, then
 * the journal), without sequence numbers (the caller owns it). */
json_t	*state_json(void);

/* journal_breaks: from now on (on true) every write to the journal fails
 * (EFBIG: a file size limit at its present size), until called with
 * false.  Check runs each test in a child process of its own. */
void	journal_breaks(bool on);

/* What the daemon is: its list reply, state directory and table. */
struct snapshot {
	json_t		*list, *state;
	struct elemvec	 table;
	size_t		 nclosed;
};

/* snap: what the daemon is now, into *s. */
void	snap(struct snapshot *s);
/* expect_unchanged: model, state directory and table are as in *s,
 * which is freed. */
void	expect_unchanged(struct snapshot *s);

/* start_db_web: two containers: db exposes 3306/tcp and 53/udp, web
 * links to it. */
void	start_db_web(void);

#endif
