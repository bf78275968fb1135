/*
 * change_fixture.c: the daemon over the fake kernel for check_change.c;
 * see change_fixture.h.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "change_fixture.h"
#include "parse.h"
#include "state.h"

struct iccd chg_d;
char chg_state[64], chg_rules[64];

static void
rm_rf(const char *path)
{
	char cmd[160];

	/* Test cleanup only: the paths are our own mkdtemp results. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

void
chg_setup(void)
{
	char err[512];

	fake_reset();
	snprintf(chg_state, sizeof(chg_state), "/tmp/iccd-change-XXXXXX");
	snprintf(chg_rules, sizeof(chg_rules), "/tmp/iccd-rules-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(chg_state));
	ck_assert_ptr_nonnull(mkdtemp(chg_rules));
	/* Bridges first seen have icc off: they go in the closed set. */
	ck_assert_msg(daemon_init(&chg_d, "icctest", chg_state, chg_rules, NULL,
	    0, false, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(daemon_sync(&chg_d, err, sizeof(err)), 0);
}

void
chg_teardown(void)
{
	daemon_free(&chg_d);
	rm_rf(chg_state);
	rm_rf(chg_rules);
	fake_reset();
}

/* ask: daemon_handle of the request printf makes; the reply (owned). */
json_t *
ask(const char *fmt, ...)
{
	char buf[1024];
	json_error_t jerr;
	json_t *req, *rep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	req = json_loads(buf, 0, &jerr);
	ck_assert_msg(req != NULL, "bad test request %s: %s", buf, jerr.text);
	rep = daemon_handle(&chg_d, req, true, NULL);
	json_decref(req);
	ck_assert_ptr_nonnull(rep);
	return rep;
}

/* req_refused: the request fails with exactly the error line `want`. */
void
req_refused(const char *want, const char *req)
{
	json_t *rep = ask("%s", req);

	ck_assert(json_is_false(json_object_get(rep, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(rep, "error")),
	    want);
	json_decref(rep);
}

/* e4: the element letting receiver `recv` reach `src` on ports. */
struct icc_elem
e4(const char *recv, const char *src, const char *ports)
{
	struct icc_elem e;
	struct in_addr r, s;
	struct icc_ports p;
	const char *why;

	ck_assert_int_eq(inet_pton(AF_INET, recv, &r), 1);
	ck_assert_int_eq(inet_pton(AF_INET, src, &s), 1);
	ck_assert_int_eq(parse_ports(ports, &p, &why), 0);
	elem_init4(&e, r, s, &p);
	return e;
}

/* expect_elems: v holds exactly want[0..n-1], in any order. */
void
expect_elems(const struct elemvec *v, const struct icc_elem *want, size_t n)
{
	char buf[ELEM_FMT_LEN];

	ck_assert_uint_eq(v->n, n);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < v->n && elem_cmp(&v->v[j], &want[i]) != 0)
			j++;
		ck_assert_msg(j < v->n, "missing %s",
		    elem_format(&want[i], buf, sizeof(buf)));
	}
}

/* expect_table: the fake kernel's table holds exactly want[0..n-1]. */
void
expect_table(const struct icc_elem *want, size_t n)
{
	struct elemvec t = { 0 };

	fake_table_elems(&t);
	expect_elems(&t, want, n);
	elemvec_free(&t);
}

size_t
ncommits(void)
{
	size_t n;

	fake_commits(&n);
	return n;
}

const struct fake_commit *
commit_at(size_t i)
{
	size_t n;
	const struct fake_commit *c = fake_commits(&n);

	ck_assert_uint_lt(i, n);
	return &c[i];
}

/* ---- what the daemon is: model, state directory, kernel table ----------- */

static int
state_bridge_cb(const struct icc_bridge *b, void *arg)
{
	json_object_set_new(arg, b->name, json_boolean(b->icc));
	return 0;
}

static int
state_container_cb(const struct icc_container *c, void *arg)
{
	json_t *o = state_container_json(c, 0, NULL);

	json_object_del(o, "seq");
	json_object_set_new(arg, c->name, o);
	return 0;
}

json_t *
state_json(void)
{
	struct icc_model *m = model_new(false);
	json_t *all = json_object(), *cs = json_object(), *bs = json_object();
	char err[512];
	uint64_t seq;

	ck_assert_msg(state_load(chg_state, m, &seq, NULL, NULL, err,
	    sizeof(err)) == 0, "%s", err);
	model_foreach(m, state_container_cb, cs);
	model_bridges(m, state_bridge_cb, bs);
	json_object_set_new(all, "containers", cs);
	json_object_set_new(all, "bridges", bs);
	model_free(m);
	return all;
}

void
journal_breaks(bool on)
{
	struct rlimit rl;
	char path[PATH_MAX];
	struct stat st;

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	snprintf(path, sizeof(path), "%s/%s", chg_state, STATE_JOURNAL);
	ck_assert_int_eq(stat(path, &st), 0);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = on ? (rlim_t)st.st_size : rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

void
snap(struct snapshot *s)
{
	json_t *rep = ask("{\"cmd\":\"list\"}");

	memset(s, 0, sizeof(*s));
	s->list = rep;
	s->state = state_json();
	fake_table_elems(&s->table);
	s->nclosed = fake_table_nclosed();
}

/* expect_unchanged: model, state directory and table are as in *s. */
void
expect_unchanged(struct snapshot *s)
{
	struct snapshot now;
	char *a, *b;

	snap(&now);
	a = json_dumps(s->list, JSON_SORT_KEYS);
	b = json_dumps(now.list, JSON_SORT_KEYS);
	ck_assert_str_eq(b, a);
	free(a);
	free(b);
	a = json_dumps(s->state, JSON_SORT_KEYS);
	b = json_dumps(now.state, JSON_SORT_KEYS);
	ck_assert_str_eq(b, a);
	free(a);
	free(b);
	expect_elems(&now.table, s->table.v, s->table.n);
	ck_assert_uint_eq(now.nclosed, s->nclosed);
	for (struct snapshot *p = s; p != NULL; p = p == s ? &now : NULL) {
		json_decref(p->list);
		json_decref(p->state);
		elemvec_free(&p->table);
	}
}

/* Two containers: db exposes 3306/tcp and 53/udp, web links to it. */
void
start_db_web(void)
{
	ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"3306/tcp\",\"53/udp\"]}");
	ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:db\"]}");
}

