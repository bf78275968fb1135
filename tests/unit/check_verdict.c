/*
 * check_verdict.c: iccctl check's model side (verdict.c): every reason a
 * connection passes or not, in the order the model is asked, the exact
 * line, resolution by name and address, and verdict_confirm against each
 * way the kernel can differ.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "suites.h"
#include "verdict.h"

static struct icc_model *m;

static struct icc_container *
ctr(const char *name, const char *bridge, const char *a4, const char *a6,
    bool running)
{
	struct icc_container *c = container_new();

	ck_assert_ptr_nonnull(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (bridge != NULL) {
		snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
		ck_assert_int_eq(inet_pton(AF_INET, a4, &c->ip4), 1);
		if (a6 != NULL) {
			ck_assert_int_eq(inet_pton(AF_INET6, a6, &c->ip6), 1);
			c->has_ip6 = true;
		}
		c->has_identity = true;
	}
	c->running = running;
	return c;
}

static void
expose(struct icc_container *c, const char *spec)
{
	struct icc_ports p;
	const char *why;

	ck_assert_int_eq(parse_ports(spec, &p, &why), 0);
	ck_assert_int_eq(container_add_port(c, &p, NULL), 0);
}

/*
 * The world: br0 closed, br1 open, br2 closed.
 *   db   br0 10.0.0.2 fd::2  exposes 3306/tcp, 7000-7999/tcp
 *   web  br0 10.0.0.3 fd::3  links db:aliasdb, ghost:g, far:f
 *   cache br0 10.0.0.4       links web:w (the other way round)
 *   idle br0 10.0.0.5 stopped; exposes 80/tcp
 *   lazy (declared only)     links db:d
 *   a, b br1 10.1.0.2/3      (icc on)
 *   far  br2 10.2.0.2        exposes 80/tcp
 *   sleeper br0 10.0.0.6 running, links idle:i
 */
static void
setup(void)
{
	struct icc_container *c;
	struct icc_bridge *b;

	ck_assert_ptr_nonnull(m = model_new(false));
	c = ctr("db", "br0", "10.0.0.2", "fd::2", true);
	expose(c, "3306/tcp");
	expose(c, "7000-7999/tcp");
	ck_assert_int_eq(model_put(m, c), 0);
	c = ctr("web", "br0", "10.0.0.3", "fd::3", true);
	ck_assert_int_eq(container_add_link(c, "db", "aliasdb"), 0);
	ck_assert_int_eq(container_add_link(c, "ghost", "g"), 0);
	ck_assert_int_eq(container_add_link(c, "far", "f"), 0);
	ck_assert_int_eq(model_put(m, c), 0);
	c = ctr("cache", "br0", "10.0.0.4", NULL, true);
	ck_assert_int_eq(container_add_link(c, "web", "w"), 0);
	ck_assert_int_eq(model_put(m, c), 0);
	c = ctr("idle", "br0", "10.0.0.5", NULL, false);
	expose(c, "80/tcp");
	ck_assert_int_eq(model_put(m, c), 0);
	c = ctr("lazy", NULL, NULL, NULL, false);
	ck_assert_int_eq(container_add_link(c, "db", "d"), 0);
	ck_assert_int_eq(model_put(m, c), 0);
	ck_assert_int_eq(model_put(m, ctr("a", "br1", "10.1.0.2", NULL, true)),
	    0);
	ck_assert_int_eq(model_put(m, ctr("b", "br1", "10.1.0.3", NULL, true)),
	    0);
	c = ctr("far", "br2", "10.2.0.2", NULL, true);
	expose(c, "80/tcp");
	ck_assert_int_eq(model_put(m, c), 0);
	c = ctr("sleeper", "br0", "10.0.0.6", NULL, true);
	ck_assert_int_eq(container_add_link(c, "idle", "i"), 0);
	ck_assert_int_eq(model_put(m, c), 0);
	ck_assert_ptr_nonnull(b = model_bridge_add(m, "br1"));
	b->icc = true;
}

static void
teardown(void)
{
	model_free(m);
	m = NULL;
}

/* ask: verdict_check with text arguments; returns its value. */
static int
ask(const char *from, const char *to, const char *port, struct verdict *v,
    char *err)
{
	struct verdict_end f, t;
	struct icc_ports p;
	const char *why;

	ck_assert_int_eq(verdict_end_parse(from, &f, &why), 0);
	ck_assert_int_eq(verdict_end_parse(to, &t, &why), 0);
	ck_assert_int_eq(parse_ports(port, &p, &why), 0);
	err[0] = '\0';
	return verdict_check(m, &f, &t, &p, v, err, 256);
}

static void
expect(const char *from, const char *to, const char *port, bool allowed,
    enum verdict_why why, const char *line)
{
	struct verdict v;
	char err[256];

	ck_assert_msg(ask(from, to, port, &v, err) == 0, "%s -> %s %s: %s",
	    from, to, port, err);
	ck_assert_int_eq(v.allowed, allowed);
	ck_assert_str_eq(verdict_why_name(v.why), verdict_why_name(why));
	ck_assert_str_eq(v.line, line);
}

START_TEST(allowed_by_link)
{
	struct verdict v;
	char err[256], buf[ELEM_FMT_LEN];

	expect("web", "db", "3306", true, VERDICT_LINK, "allowed by link web "
	    "-> db alias aliasdb: element links4 10.0.0.3 . 10.0.0.2 . tcp . "
	    "3306");
	expect("web", "db", "7500/tcp", true, VERDICT_LINK, "allowed by link "
	    "web -> db alias aliasdb: element ranges4 10.0.0.3 . 10.0.0.2 . "
	    "tcp . 7000-7999");
	/* By address, IPv6: the family follows the addresses. */
	expect("fd::3", "db", "3306", true, VERDICT_LINK, "allowed by link web "
	    "-> db alias aliasdb: element links6 fd::3 . fd::2 . tcp . 3306");
	ck_assert_int_eq(ask("10.0.0.3", "10.0.0.2", "7000", &v, err), 0);
	ck_assert(v.has_flow && v.has_elem);
	ck_assert_str_eq(elem_format(&v.flow, buf, sizeof(buf)),
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000");
	ck_assert_str_eq(v.alias, "aliasdb");
	ck_assert_str_eq(v.bridge, "br0");
}
END_TEST

START_TEST(blocked_reasons)
{
	expect("web", "db", "80", false, VERDICT_NO_PORT, "link web -> db "
	    "alias aliasdb is active, but db does not expose 80/tcp (it "
	    "exposes 3306/tcp, 7000-7999/tcp)");
	expect("web", "db", "3306/udp", false, VERDICT_NO_PORT, "link web -> "
	    "db alias aliasdb is active, but db does not expose 3306/udp (it "
	    "exposes 3306/tcp, 7000-7999/tcp)");
	expect("db", "web", "80", false, VERDICT_NO_LINK, "no link from db to "
	    "web on closed bridge br0 (web links to db: only web may open "
	    "connections)");
	expect("db", "cache", "80", false, VERDICT_NO_LINK, "no link from db "
	    "to cache on closed bridge br0");
	expect("web", "ghost", "80", false, VERDICT_PENDING, "link web -> "
	    "ghost alias g is pending: source ghost is unknown to iccd");
	expect("sleeper", "idle", "80", false, VERDICT_PENDING, "link "
	    "sleeper -> idle alias i is pending: source idle is stopped");
	expect("lazy", "db", "3306", false, VERDICT_PENDING, "link lazy -> db "
	    "alias d is pending: receiver lazy was never started");
	expect("web", "far", "80", false, VERDICT_BRIDGES, "link web -> far "
	    "alias f is pending: web is on br0, far on br2 (a link works "
	    "within one bridge)");
	expect("a", "db", "3306", false, VERDICT_BRIDGES, "a is on br1, db on "
	    "br0: iccd rules only between containers of one bridge and links "
	    "none across bridges");
	expect("db", "lazy", "80", false, VERDICT_UNBOUND, "lazy was never "
	    "started: it has no address on a bridge (and no link from db to "
	    "lazy)");
	expect("db", "idle", "80", false, VERDICT_STOPPED, "idle is stopped "
	    "(and there is no link from db to idle)");
	expect("fd::2", "cache", "80", false, VERDICT_UNBOUND, "cache has no "
	    "IPv6 address");
}
END_TEST

START_TEST(icc_on)
{
	expect("a", "b", "1", true, VERDICT_ICC_ON, "bridge br1 has icc on: "
	    "everything between its containers passes");
	expect("10.1.0.3", "10.1.0.2", "53/udp", true, VERDICT_ICC_ON,
	    "bridge br1 has icc on: everything between its containers passes");
}
END_TEST

START_TEST(no_answer)
{
	struct verdict v;
	char err[256];

	ck_assert_int_eq(ask("nobody", "db", "80", &v, err), -1);
	ck_assert_str_eq(err, "from: no container is called nobody");
	ck_assert_int_eq(ask("web", "10.9.9.9", "80", &v, err), -1);
	ck_assert_str_eq(err, "to: no container holds 10.9.9.9");
	ck_assert_int_eq(ask("db", "nobody", "80", &v, err), -1);
	ck_assert_str_eq(err, "to: no container is called nobody");
	ck_assert_int_eq(ask("web", "10.0.0.3", "80", &v, err), -1);
	ck_assert_str_eq(err, "from, to: both are web");
	ck_assert_int_eq(ask("10.0.0.3", "fd::2", "80", &v, err), -1);
	ck_assert_str_eq(err, "from, to: one IPv4 and one IPv6 address");
}
END_TEST

/* a stopped holder of an address yields to a running one */
START_TEST(running_holder_wins)
{
	struct icc_container *c = ctr("old", "br0", "10.0.0.2", NULL, false);

	ck_assert_int_eq(model_put(m, c), 0);
	expect("web", "10.0.0.2", "3306", true, VERDICT_LINK, "allowed by "
	    "link web -> db alias aliasdb: element links4 10.0.0.3 . 10.0.0.2 "
	    ". tcp . 3306");
}
END_TEST

START_TEST(confirm)
{
	struct verdict_kernel kv = { 0 };
	struct verdict v;
	char err[256], line[256];
	bool ka;

	/* allowed by an element the kernel holds too */
	ck_assert_int_eq(ask("web", "db", "7100", &v, err), 0);
	kv.closed = true;
	kv.found = true;
	kv.elem = v.elem;
	ck_assert(verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(ka);
	ck_assert_str_eq(line, "");
	/* the kernel lost the element */
	kv.found = false;
	ck_assert(!verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(!ka);
	ck_assert_str_eq(line, "disagreement: the model allows it by element "
	    "ranges4 10.0.0.3 . 10.0.0.2 . tcp . 7000-7999, the kernel has no "
	    "such element");
	/* the kernel holds another range */
	kv.found = true;
	kv.elem.last = 7200;
	ck_assert(!verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(ka);
	ck_assert_str_eq(line, "disagreement: the model's element is ranges4 "
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7999, the kernel's is ranges4 "
	    "10.0.0.3 . 10.0.0.2 . tcp . 7000-7200");
	/* blocked in the model, an element in the kernel */
	ck_assert_int_eq(ask("db", "web", "80", &v, err), 0);
	kv.elem = v.flow;
	ck_assert(!verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(ka);
	ck_assert_str_eq(line, "disagreement: the model has no element for it "
	    "(no_link), the kernel holds links4 10.0.0.2 . 10.0.0.3 . tcp . "
	    "80");
	/* the kernel's bridge is open */
	kv.found = false;
	kv.closed = false;
	ck_assert(!verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(ka);
	ck_assert_str_eq(line, "disagreement: the model has bridge br0 closed, "
	    "the kernel's closed set lacks it");
	/* icc on in both */
	ck_assert_int_eq(ask("a", "b", "80", &v, err), 0);
	ck_assert(verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(ka);
	kv.closed = true;
	ck_assert(!verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(!ka);
	/* no flow: the model's word stands */
	ck_assert_int_eq(ask("web", "ghost", "80", &v, err), 0);
	ck_assert(verdict_confirm(&v, &kv, &ka, line, sizeof(line)));
	ck_assert(!ka);
}
END_TEST

START_TEST(end_parse)
{
	struct verdict_end e;
	const char *why;

	ck_assert_int_eq(verdict_end_parse("10.0.0.1", &e, &why), 0);
	ck_assert_int_eq(e.family, AF_INET);
	ck_assert_int_eq(verdict_end_parse("fd::1", &e, &why), 0);
	ck_assert_int_eq(e.family, AF_INET6);
	ck_assert_int_eq(verdict_end_parse("web.1", &e, &why), 0);
	ck_assert_int_eq(e.family, 0);
	ck_assert_str_eq(e.name, "web.1");
	ck_assert_int_eq(verdict_end_parse("-x", &e, &why), -1);
	ck_assert_int_eq(verdict_end_parse("", &e, &why), -1);
}
END_TEST

Suite *
verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("verdict");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, allowed_by_link);
	tcase_add_test(tc, blocked_reasons);
	tcase_add_test(tc, icc_on);
	tcase_add_test(tc, no_answer);
	tcase_add_test(tc, running_holder_wins);
	tcase_add_test(tc, confirm);
	tcase_add_test(tc, end_parse);
	suite_add_tcase(s, tc);
	return s;
}
