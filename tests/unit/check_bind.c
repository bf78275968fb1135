/*
 * check_bind.c: port bindings (bind.c): which containers are bound, the
 * exact elements of each set (compared as belem_format strings, sorted),
 * the diff, and the validators behind them (parse_mac; port names use
 * parse_ifname, see check_request.c for the request fields).
 */
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "model.h"
#include "parse.h"
#include "suites.h"

static struct icc_container *
mkc(const char *name, const char *bridge, const char *a4, const char *a6,
    const char *port, const char *mac)
{
	struct icc_container *c = container_new();
	const char *why;

	ck_assert_ptr_nonnull(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
	ck_assert_int_eq(inet_pton(AF_INET, a4, &c->ip4), 1);
	if (a6 != NULL) {
		c->has_ip6 = true;
		ck_assert_int_eq(inet_pton(AF_INET6, a6, &c->ip6), 1);
	}
	if (port != NULL) {
		snprintf(c->port, sizeof(c->port), "%s", port);
		ck_assert_int_eq(parse_mac(mac, c->mac, &why), 0);
		c->has_mac = true;
	}
	c->running = c->has_identity = true;
	return c;
}

/* fmt_all: "set: element" lines of v, joined with '\n' (v is sorted). */
static char *
fmt_all(const struct belemvec *v)
{
	static char out[4096];
	char buf[BELEM_FMT_LEN];
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < v->n; i++)
		off += snprintf(out + off, sizeof(out) - off, "%s: %s\n",
		    bset_name(v->v[i].set), belem_format(&v->v[i], buf,
		    sizeof(buf)));
	return out;
}

static struct icc_model *
closed_model(void)
{
	struct icc_model *m = model_new(false);

	ck_assert_ptr_nonnull(m);
	return m;
}

START_TEST(test_parse_mac)
{
	uint8_t mac[6] = { 0 };
	const char *why = NULL;
	char buf[18];

	ck_assert_int_eq(parse_mac("02:42:AC:11:00:0a", mac, &why), 0);
	ck_assert_str_eq(mac_format(mac, buf, sizeof(buf)), "02:42:ac:11:00:0a");
	ck_assert_int_eq(parse_mac("02:42:ac:11:00", mac, &why), -1);
	ck_assert_str_eq(why, "not an Ethernet address aa:bb:cc:dd:ee:ff");
	ck_assert_int_eq(parse_mac("02-42-ac-11-00-0a", mac, &why), -1);
	ck_assert_int_eq(parse_mac("02:42:ac:11:00:0g", mac, &why), -1);
	ck_assert_int_eq(parse_mac("02:42:ac:11:00:0a:", mac, &why), -1);
	ck_assert_int_eq(parse_mac(" 2:42:ac:11:00:0a", mac, &why), -1);
	ck_assert_int_eq(parse_mac("01:00:5e:00:00:01", mac, &why), -1);
	ck_assert_str_eq(why, "a group (multicast) address");
	ck_assert_int_eq(parse_mac("ff:ff:ff:ff:ff:ff", mac, &why), -1);
	ck_assert_int_eq(parse_mac("00:00:00:00:00:00", mac, &why), -1);
	ck_assert_str_eq(why, "the all-zero address");
	ck_assert_int_eq(parse_mac(NULL, mac, &why), -1);
	/* Unchanged on failure. */
	ck_assert_str_eq(mac_format(mac, buf, sizeof(buf)), "02:42:ac:11:00:0a");
}
END_TEST

START_TEST(test_port_names)
{
	const char *why;

	ck_assert_int_eq(parse_ifname("vethA1b2c3d", &why), 0);
	ck_assert_int_eq(parse_ifname("veth0123456789ab", &why), -1);
	ck_assert_str_eq(why, "longer than 15 bytes");
	ck_assert_int_eq(parse_ifname("veth/1", &why), -1);
	ck_assert_int_eq(parse_ifname("", &why), -1);
}
END_TEST

START_TEST(test_ll6)
{
	uint8_t mac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
	struct in6_addr a;
	char s[INET6_ADDRSTRLEN];

	bind_ll6(mac, &a);
	ck_assert_str_eq(inet_ntop(AF_INET6, &a, s, sizeof(s)),
	    "fe80::42:acff:fe11:2");
}
END_TEST

START_TEST(test_elems)
{
	struct icc_model *m = closed_model();
	struct belemvec v = { 0 };

	ck_assert_int_eq(model_put(m, mkc("web", "br0", "10.0.0.2",
	    "fd00::2", "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(bind_all(m, &v), 0);
	ck_assert_str_eq(fmt_all(&v),
	    "ports: \"veth1\"\n"
	    "macs: 02:00:00:00:00:02\n"
	    "portmac: \"veth1\" . 02:00:00:00:00:02\n"
	    "addrs4: 10.0.0.2\n"
	    "port4: \"veth1\" . 10.0.0.2\n"
	    "portarp: \"veth1\" . 02:00:00:00:00:02 . 10.0.0.2\n"
	    "addrs6: fd00::2\n"
	    "addrs6: fe80::ff:fe00:2\n"
	    "port6: \"veth1\" . fd00::2\n"
	    "port6: \"veth1\" . fe80::ff:fe00:2\n");
	/* Key layout: name NUL padded to 16, MAC padded to 8, address. */
	ck_assert_uint_eq(bset_keylen(ICC_BSET_PORTARP), 28);
	ck_assert_uint_eq(bset_keylen(ICC_BSET_MACS), 6);
	belemvec_free(&v);
	model_free(m);
}
END_TEST

START_TEST(test_who_is_bound)
{
	struct icc_model *m = closed_model();
	struct icc_container *c;
	struct icc_binding b;
	struct belemvec v = { 0 };

	ck_assert_int_eq(model_put(m, mkc("nop", "br0", "10.0.0.3", NULL,
	    NULL, NULL)), 0);
	ck_assert_int_eq(model_put(m, mkc("web", "br0", "10.0.0.2", NULL,
	    "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(model_put(m, mkc("open", "br1", "10.1.0.2", NULL,
	    "veth9", "02:00:00:00:00:09")), 0);
	model_bridge_add(m, "br1")->icc = true;
	c = model_find(m, "nop");
	ck_assert(!bind_of(m, c, &b));
	ck_assert(bind_unbound(m, c));
	ck_assert(bind_of(m, model_find(m, "web"), &b));
	/* icc on: neither bound nor unbound. */
	ck_assert(!bind_of(m, model_find(m, "open"), &b));
	ck_assert(!bind_unbound(m, model_find(m, "open")));
	ck_assert_uint_eq(bind_count_unbound(m), 1);
	/* Stopped: nothing. */
	ck_assert_int_eq(model_set_running(m, "web", false), 0);
	ck_assert(!bind_of(m, model_find(m, "web"), &b));
	ck_assert_int_eq(model_set_running(m, "nop", false), 0);
	ck_assert_uint_eq(bind_count_unbound(m), 0);
	ck_assert_int_eq(bind_all(m, &v), 0);
	ck_assert_uint_eq(v.n, 0);
	belemvec_free(&v);
	model_free(m);
}
END_TEST

START_TEST(test_diff)
{
	struct icc_model *m = closed_model();
	struct belemvec before = { 0 }, after = { 0 }, adds = { 0 },
	    dels = { 0 };

	ck_assert_int_eq(model_put(m, mkc("web", "br0", "10.0.0.2", NULL,
	    "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(bind_all(m, &before), 0);
	/* The address changes: only the address elements move. */
	ck_assert_int_eq(model_put(m, mkc("web", "br0", "10.0.0.7", NULL,
	    "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(bind_all(m, &after), 0);
	ck_assert_int_eq(bind_diff(&after, &before, &adds, &dels), 0);
	ck_assert_str_eq(fmt_all(&adds),
	    "addrs4: 10.0.0.7\n"
	    "port4: \"veth1\" . 10.0.0.7\n"
	    "portarp: \"veth1\" . 02:00:00:00:00:02 . 10.0.0.7\n");
	ck_assert_str_eq(fmt_all(&dels),
	    "addrs4: 10.0.0.2\n"
	    "port4: \"veth1\" . 10.0.0.2\n"
	    "portarp: \"veth1\" . 02:00:00:00:00:02 . 10.0.0.2\n");
	belemvec_free(&before);
	belemvec_free(&after);
	belemvec_free(&adds);
	belemvec_free(&dels);
	model_free(m);
}
END_TEST

START_TEST(test_shared_elements)
{
	struct icc_model *m = closed_model();
	struct belemvec v = { 0 };

	/* Two containers claiming one port share its port element once. */
	ck_assert_int_eq(model_put(m, mkc("a", "br0", "10.0.0.2", NULL,
	    "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(model_put(m, mkc("b", "br0", "10.0.0.3", NULL,
	    "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(bind_all(m, &v), 0);
	ck_assert_uint_eq(v.n, 5 + 4 + 2);	/* 2x v4 trio, 1x the rest */
	belemvec_free(&v);
	model_free(m);
}
END_TEST

/* A request's plan touches only its containers; shared elements stay. */
START_TEST(test_bindset)
{
	struct icc_model *m = closed_model();
	struct bindset *s = bindset_new();
	struct belemvec all = { 0 }, none = { 0 }, before = { 0 },
	    after = { 0 }, adds = { 0 }, dels = { 0 }, have = { 0 };
	const char *names[1] = { "b" };

	ck_assert_ptr_nonnull(s);
	/* a and b claim one port and MAC (a misconfiguration, but it
	 * must not unbind a when b goes). */
	ck_assert_int_eq(model_put(m, mkc("a", "br0", "10.0.0.2", NULL,
	    "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(model_put(m, mkc("b", "br0", "10.0.0.3", NULL,
	    "veth1", "02:00:00:00:00:02")), 0);
	ck_assert_int_eq(bind_derive_all(m, &all), 0);
	ck_assert_uint_eq(all.n, 16);		/* 8 each, duplicates kept */
	ck_assert_int_eq(bindset_commit(s, &none, &all), 0);
	ck_assert_uint_eq(bindset_size(s), 11);
	/* b stops. */
	ck_assert_int_eq(bind_touching(m, names, 1, &before), 0);
	ck_assert_uint_eq(before.n, 8);
	ck_assert_int_eq(model_set_running(m, "b", false), 0);
	ck_assert_int_eq(bind_touching(m, names, 1, &after), 0);
	ck_assert_uint_eq(after.n, 0);
	ck_assert_int_eq(bindset_plan(s, &before, &after, &adds, &dels), 0);
	ck_assert_uint_eq(adds.n, 0);
	ck_assert_str_eq(fmt_all(&dels),
	    "addrs4: 10.0.0.3\n"
	    "port4: \"veth1\" . 10.0.0.3\n"
	    "portarp: \"veth1\" . 02:00:00:00:00:02 . 10.0.0.3\n");
	ck_assert_int_eq(bindset_commit(s, &before, &after), 0);
	ck_assert_int_eq(bindset_elems(s, &have), 0);
	belemvec_free(&all);
	ck_assert_int_eq(bind_all(m, &all), 0);
	ck_assert_str_eq(fmt_all(&have), fmt_all(&all));
	/* A plan that removes what the set never held is refused. */
	adds.n = dels.n = 0;
	ck_assert_int_eq(bindset_plan(s, &before, &after, &adds, &dels), -1);
	belemvec_free(&all);
	belemvec_free(&before);
	belemvec_free(&after);
	belemvec_free(&adds);
	belemvec_free(&dels);
	belemvec_free(&have);
	bindset_free(s);
	model_free(m);
}
END_TEST

Suite *
bind_suite(void)
{
	Suite *s = suite_create("bind");
	TCase *tc = tcase_create("bind");

	tcase_add_test(tc, test_parse_mac);
	tcase_add_test(tc, test_port_names);
	tcase_add_test(tc, test_ll6);
	tcase_add_test(tc, test_elems);
	tcase_add_test(tc, test_who_is_bound);
	tcase_add_test(tc, test_diff);
	tcase_add_test(tc, test_shared_elements);
	tcase_add_test(tc, test_bindset);
	suite_add_tcase(s, tc);
	return s;
}
