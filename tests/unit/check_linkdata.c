/*
 * check_linkdata.c: the link environment against moby's links.go: the
 * reference cases of tests/data/links and linkdata_env over a model
 * (check_linkenv.c: link_env's derived cases; check_hosts.c: the hosts
 * lines and hosts_file_sync).
 *
 * Expected environments are written out by hand from reading
 * daemon/links/links.go (Link.ToEnv, withTCPPriority, 2025 and later):
 * ports sorted tcp first, then sctp, then udp, each by number; one
 * <P>_PORT for the first port; four variables per port; the four
 * _START/_END variables of a run of consecutive ports of one protocol
 * come after the variables of the first port that breaks the run (or
 * right after the run when it ends the list); then <P>_NAME, then the
 * source's env.
 */
/* unshare(2) and CLONE_NEWNS for the bind mount test; nftw(3). */
#define _GNU_SOURCE

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "linkdata.h"
#include "model.h"
#include "parse.h"
#include "suites.h"
#include "testutil.h"
#include "check_linkdata.h"
#include "model_fixture.h"


/* ---- helpers ------------------------------------------------------------ */

/* ports_of: parse NULL-terminated "PORT[-END][/proto]" strings. */
size_t
ports_of(const char *const *spec, struct icc_ports *out, size_t max)
{
	const char	*why = NULL;
	size_t		 n;

	for (n = 0; spec[n] != NULL; n++) {
		ck_assert_uint_lt(n, max);
		ck_assert_msg(parse_ports(spec[n], &out[n], &why) == 0,
		    "%s: %s", spec[n], why);
	}
	return n;
}

size_t
count(const char *const *v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

/* expect: sv holds exactly want[] (NULL-terminated), in that order. */
void
expect(const char *what, const struct strvec *sv, const char *const *want)
{
	size_t n = count(want);

	for (size_t i = 0; i < sv->n && i < n; i++)
		ck_assert_msg(strcmp(sv->v[i], want[i]) == 0,
		    "%s: line %zu: got \"%s\", want \"%s\"", what, i + 1,
		    sv->v[i], want[i]);
	ck_assert_msg(sv->n == n, "%s: %zu lines, want %zu%s%s", what, sv->n,
	    n, sv->n > n ? "; first extra: " : "", sv->n > n ? sv->v[n] : "");
	ck_assert_ptr_null(sv->v == NULL ? NULL : sv->v[sv->n]);
}

/* joined: the strings, each followed by '\n', as a .env file has them. */
static char *
joined(const struct strvec *sv)
{
	size_t	 len = 1;
	char	*p, *q;

	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + 1;
	q = p = malloc(len);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < sv->n; i++)
		q += sprintf(q, "%s\n", sv->v[i]);
	*q = '\0';
	return p;
}

/* A container for the model; the caller adds links etc. before cput(). */
struct icc_container *
cnew(const char *name, const char *host, const char *bridge, bool running,
    const char *addr)
{
	struct icc_container *c = container_new();

	ck_assert_ptr_nonnull(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->hostname, sizeof(c->hostname), "%s", host);
	snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
	c->running = running;
	c->has_identity = bridge[0] != '\0';	/* started once */
	c->ip4 = ip4(addr);
	return c;
}

static void
cports(struct icc_container *c, const char *const *spec)
{
	c->ports = calloc(ICC_MAX_PORTS, sizeof(*c->ports));
	ck_assert_ptr_nonnull(c->ports);
	c->nports = ports_of(spec, c->ports, ICC_MAX_PORTS);
}

void
cput(struct icc_model *m, struct icc_container *c)
{
	ck_assert_int_eq(model_put(m, c), 0);
}


/* ---- strvec ------------------------------------------------------------- */

START_TEST(test_strvec)
{
	struct strvec sv = { 0 };

	ck_assert_int_eq(strvec_push(&sv, "a=1"), 0);
	ck_assert_int_eq(strvec_pushf(&sv, "%s_%d=%s", "B", 2, ""), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(strvec_pushf(&sv, "K%d", i), 0);
	ck_assert_uint_eq(sv.n, 102);
	ck_assert_str_eq(sv.v[0], "a=1");
	ck_assert_str_eq(sv.v[1], "B_2=");
	ck_assert_str_eq(sv.v[101], "K99");
	ck_assert_ptr_null(sv.v[102]);
	strvec_free(&sv);
	ck_assert_ptr_null(sv.v);
	ck_assert_uint_eq(sv.n, 0);
	strvec_free(&sv);
}
END_TEST

/* ---- reference cases (tests/data/links) --------------------------------- */

static const char *const refcases[] = {
	"case1-mysql", "case2-dashed-alias", "case3-no-ports",
};

struct refinput {
	json_t		*root;
	const char	*receiver, *alias, *source, *ip;
	struct icc_ports ports[ICC_MAX_PORTS];
	size_t		 nports;
	char		*env[ICC_MAX_ENV];
	size_t		 nenv;
};

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "missing string \"%s\"", key);
	return s;
}

static void
ref_load(const char *name, struct refinput *in)
{
	char		 path[1024];
	json_error_t	 err;
	json_t		*v;
	size_t		 i;
	const char	*why = NULL;

	snprintf(path, sizeof(path), "%s/links/%s.json", TESTDATA, name);
	in->root = json_load_file(path, 0, &err);
	ck_assert_msg(in->root != NULL, "%s: %s", path, err.text);
	in->receiver = jstr(in->root, "receiver");
	in->alias = jstr(in->root, "alias");
	in->source = jstr(in->root, "source");
	in->ip = jstr(in->root, "ip");
	in->nports = in->nenv = 0;
	json_array_foreach(json_object_get(in->root, "expose"), i, v) {
		ck_assert_msg(parse_ports(json_string_value(v),
		    &in->ports[in->nports], &why) == 0, "%s", why);
		in->nports++;
	}
	json_array_foreach(json_object_get(in->root, "env"), i, v)
		in->env[in->nenv++] = (char *)json_string_value(v);
}

static char *
ref_want(const char *name, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/links/%s.env", TESTDATA, name);
	return tu_slurp(path, len);
}

/* Each reference case, byte for byte, straight through link_env. */
START_TEST(test_reference_link_env)
{
	struct refinput	 in;
	struct strvec	 sv = { 0 };
	char		*want, *got;
	size_t		 len;

	ref_load(refcases[_i], &in);
	want = ref_want(refcases[_i], &len);
	ck_assert_int_eq(link_env(in.receiver, in.alias, ip4(in.ip), in.ports,
	    in.nports, in.env, in.nenv, &sv), 0);
	got = joined(&sv);
	ck_assert_msg(strlen(got) == len && memcmp(got, want, len) == 0,
	    "%s: got\n%s\nwant\n%s", refcases[_i], got, want);
	free(got);
	free(want);
	strvec_free(&sv);
	json_decref(in.root);
}
END_TEST

/* The same cases through the model: linkdata_env of the receiver. */
START_TEST(test_reference_model)
{
	struct refinput		 in;
	struct strvec		 sv = { 0 };
	struct icc_model	*m = model_new(false);
	struct icc_container	*r, *s;
	char			*want, *got;
	size_t			 len;

	ck_assert_ptr_nonnull(m);
	ref_load(refcases[_i], &in);
	want = ref_want(refcases[_i], &len);
	s = cnew(in.source, "", "docker0", true, in.ip);
	s->ports = calloc(in.nports ? in.nports : 1, sizeof(*s->ports));
	ck_assert_ptr_nonnull(s->ports);
	memcpy(s->ports, in.ports, in.nports * sizeof(*s->ports));
	s->nports = in.nports;
	for (size_t i = 0; i < in.nenv; i++)
		ck_assert_int_eq(container_add_env(s, in.env[i]), 0);
	cput(m, s);
	r = cnew(in.receiver, "", "docker0", true, "172.17.0.9");
	ck_assert_int_eq(container_add_link(r, in.source, in.alias), 0);
	cput(m, r);
	ck_assert_int_eq(linkdata_env(m, r, NULL, &sv), 0);
	got = joined(&sv);
	ck_assert_msg(strlen(got) == len && memcmp(got, want, len) == 0,
	    "%s: got\n%s\nwant\n%s", refcases[_i], got, want);
	free(got);
	free(want);
	strvec_free(&sv);
	json_decref(in.root);
	model_free(m);
}
END_TEST

/* ---- linkdata_env ------------------------------------------------------- */

/*
 * web (br0, running) links db:first, gone:gone (no such container),
 * stopped:st, other:ob (on br1), db:second.
 */
static struct icc_model *
env_model(bool web_running)
{
	static const char *const dbports[] = { "5432", NULL };
	struct icc_model	*m = model_new(false);
	struct icc_container	*c;

	ck_assert_ptr_nonnull(m);
	c = cnew("db", "dbhost", "br0", true, "10.0.0.2");
	cports(c, dbports);
	ck_assert_int_eq(container_add_env(c, "PASSWORD=x"), 0);
	cput(m, c);
	cput(m, cnew("stopped", "", "br0", false, "10.0.0.3"));
	cput(m, cnew("other", "", "br1", true, "10.0.0.4"));
	c = cnew("web", "", "br0", web_running, "10.0.0.10");
	ck_assert_int_eq(container_add_link(c, "db", "first"), 0);
	ck_assert_int_eq(container_add_link(c, "gone", "gone"), 0);
	ck_assert_int_eq(container_add_link(c, "stopped", "st"), 0);
	ck_assert_int_eq(container_add_link(c, "other", "ob"), 0);
	ck_assert_int_eq(container_add_link(c, "db", "second"), 0);
	cput(m, c);
	return m;
}

#define DB_ENV(A, a)						\
	A "_PORT=tcp://10.0.0.2:5432",				\
	A "_PORT_5432_TCP=tcp://10.0.0.2:5432",			\
	A "_PORT_5432_TCP_ADDR=10.0.0.2",			\
	A "_PORT_5432_TCP_PORT=5432",				\
	A "_PORT_5432_TCP_PROTO=tcp",				\
	A "_NAME=/web/" a,					\
	A "_ENV_PASSWORD=x"

START_TEST(test_env_active_in_order)
{
	static const char *const want[] = {
		"KEEP=1", DB_ENV("FIRST", "first"), DB_ENV("SECOND", "second"),
		NULL,
	};
	struct icc_model	*m = env_model(true);
	struct strvec		 sv = { 0 };

	ck_assert_int_eq(strvec_push(&sv, "KEEP=1"), 0);
	ck_assert_int_eq(linkdata_env(m, model_find(m, "web"), NULL, &sv), 0);
	expect("all", &sv, want);
	strvec_free(&sv);
	model_free(m);
}
END_TEST

START_TEST(test_env_only)
{
	static const char *const want[] = { DB_ENV("SECOND", "second"), NULL };
	static const char *const none[] = { NULL };
	struct icc_model	*m = env_model(true);
	struct icc_container	*web = model_find(m, "web");
	struct strvec		 sv = { 0 };

	ck_assert_int_eq(linkdata_env(m, web, "second", &sv), 0);
	expect("only second", &sv, want);
	strvec_free(&sv);
	/* A link that exists but is pending prints nothing. */
	ck_assert_int_eq(linkdata_env(m, web, "st", &sv), 0);
	ck_assert_int_eq(linkdata_env(m, web, "ob", &sv), 0);
	ck_assert_int_eq(linkdata_env(m, web, "gone", &sv), 0);
	expect("only pending", &sv, none);
	/* Aliases match exactly. */
	errno = 0;
	ck_assert_int_eq(linkdata_env(m, web, "SECOND", &sv), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(linkdata_env(m, web, "db", &sv), -1);
	ck_assert_int_eq(errno, ENOENT);
	expect("only unknown", &sv, none);
	strvec_free(&sv);
	model_free(m);
}
END_TEST

START_TEST(test_env_receiver_stopped)
{
	static const char *const none[] = { NULL };
	struct icc_model	*m = env_model(false);
	struct strvec		 sv = { 0 };

	ck_assert_int_eq(linkdata_env(m, model_find(m, "web"), NULL, &sv), 0);
	ck_assert_int_eq(linkdata_env(m, model_find(m, "web"), "first", &sv),
	    0);
	expect("stopped receiver", &sv, none);
	/* No links at all. */
	ck_assert_int_eq(linkdata_env(m, model_find(m, "db"), NULL, &sv), 0);
	ck_assert_int_eq(linkdata_env(m, model_find(m, "db"), "x", &sv), -1);
	ck_assert_int_eq(errno, ENOENT);
	expect("no links", &sv, none);
	strvec_free(&sv);
	model_free(m);
}
END_TEST

/* A receiver never started (a rules file's): the links whose source
 * runs, whatever its bridge, for --env-file before the create. */
START_TEST(test_env_not_started)
{
	static const char *const want[] = {
		DB_ENV("FIRST", "first"), "OB_NAME=/web/ob",
		DB_ENV("SECOND", "second"), NULL,
	};
	struct icc_model	*m = env_model(false);
	struct icc_container	*web = model_find(m, "web");
	struct strvec		 sv = { 0 };

	web->has_identity = false;
	ck_assert_int_eq(linkdata_env(m, web, NULL, &sv), 0);
	expect("not started", &sv, want);
	strvec_free(&sv);
	model_free(m);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

Suite *
linkdata_suite(void)
{
	Suite	*s = suite_create("linkdata");
	TCase	*tc;

	tc = tcase_create("env");
	tcase_add_test(tc, test_strvec);
	tcase_add_loop_test(tc, test_reference_link_env, 0,
	    (int)(sizeof(refcases) / sizeof(refcases[0])));
	tcase_add_loop_test(tc, test_reference_model, 0,
	    (int)(sizeof(refcases) / sizeof(refcases[0])));
	tcase_add_test(tc, test_env_active_in_order);
	tcase_add_test(tc, test_env_only);
	tcase_add_test(tc, test_env_receiver_stopped);
	tcase_add_test(tc, test_env_not_started);
	suite_add_tcase(s, tc);
	return s;
}
