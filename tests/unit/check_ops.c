/*
 * check_ops.c: the operators' pieces that need no kernel: the drop log's
 * ring (bounded, oldest out, sequence numbers, names and reason of an
 * entry, JSON) and the metrics (counters, reset, per-bridge drops with
 * their bound, the rendered text); and, against the fake kernel
 * (fake_kernel.c), the daemon's check (agreement and each kind of
 * disagreement with a table changed behind iccd's back), the request
 * counting of ops_handle and the log request without a drop log.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "droplog.h"
#include "fake_kernel.h"
#include "ops.h"
#include "metrics.h"
#include "model.h"
#include "suites.h"

static struct icc_container *
ctr(const char *name, const char *a4, const char *port)
{
	struct icc_container *c = container_new();
	struct icc_ports p;
	const char *why;

	ck_assert_ptr_nonnull(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->bridge, sizeof(c->bridge), "br0");
	ck_assert_int_eq(inet_pton(AF_INET, a4, &c->ip4), 1);
	c->has_identity = c->running = true;
	if (port != NULL) {
		ck_assert_int_eq(parse_ports(port, &p, &why), 0);
		ck_assert_int_eq(container_add_port(c, &p, NULL), 0);
	}
	return c;
}

static struct kdrop
pkt(const char *s, const char *d, uint8_t proto, uint16_t port)
{
	struct kdrop k;

	memset(&k, 0, sizeof(k));
	snprintf(k.bridge, sizeof(k.bridge), "br0");
	k.family = AF_INET;
	k.proto = proto;
	k.dport = port;
	ck_assert_int_eq(inet_pton(AF_INET, s, &k.saddr.v4), 1);
	ck_assert_int_eq(inet_pton(AF_INET, d, &k.daddr.v4), 1);
	return k;
}

START_TEST(droplog_ring)
{
	struct icc_model *m = model_new(false);
	struct droplog *l = droplog_new(4);
	struct timespec t = { 1764963002, 114000000 };	/* 2025-12-05T19:30:02.114Z */
	struct kdrop p = pkt("10.0.0.4", "10.0.0.2", IPPROTO_TCP, 3306);
	const struct drop_entry *e;
	json_t *a, *o;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(model_put(m, ctr("db", "10.0.0.2", "3306/tcp")), 0);
	ck_assert_int_eq(model_put(m, ctr("cache", "10.0.0.4", NULL)), 0);
	e = droplog_record(l, m, &p, &t);
	ck_assert_str_eq(e->from, "cache");
	ck_assert_str_eq(e->to, "db");
	ck_assert_str_eq(e->reason, "no link from cache to db on closed bridge "
	    "br0");
	/* ten connections (source ports) in a ring of four: the last four
	 * stay, oldest first */
	for (int i = 0; i < 9; i++) {
		p.sport = (uint16_t)(40000 + i);
		droplog_record(l, m, &p, &t);
	}
	ck_assert_uint_eq(droplog_last(l), 10);
	ck_assert_ptr_nonnull(a = droplog_json(l, 0));
	ck_assert_uint_eq(json_array_size(a), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(a,
	    0), "seq")), 7);
	o = json_array_get(a, 3);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "seq")), 10);
	ck_assert_str_eq(json_string_value(json_object_get(o, "time")),
	    "2025-12-05T19:30:02.114Z");
	ck_assert_str_eq(json_string_value(json_object_get(o, "from_addr")),
	    "10.0.0.4");
	ck_assert_str_eq(json_string_value(json_object_get(o, "proto")), "tcp");
	json_decref(a);
	ck_assert_ptr_nonnull(a = droplog_json(l, 9));
	ck_assert_uint_eq(json_array_size(a), 1);
	json_decref(a);
	/* an address nobody holds; a ping */
	p = pkt("10.0.0.9", "10.0.0.2", IPPROTO_TCP, 80);
	e = droplog_record(l, m, &p, &t);
	ck_assert_str_eq(e->from, "");
	ck_assert_str_eq(e->reason, "from: no container holds 10.0.0.9");
	p = pkt("10.0.0.4", "10.0.0.2", IPPROTO_ICMP, 0);
	e = droplog_record(l, m, &p, &t);
	ck_assert_str_eq(e->from, "cache");
	ck_assert_str_eq(e->to, "db");
	ck_assert_str_eq(e->reason, "links allow only tcp, udp and sctp ports");
	ck_assert_ptr_nonnull(a = droplog_json(l, 11));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a,
	    0), "proto")), "icmp");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a,
	    0), "from")), "cache");
	json_decref(a);
	droplog_free(l);
	model_free(m);
}
END_TEST

/* A blocked connection's retransmits: one entry, counted. */
START_TEST(droplog_retransmits)
{
	struct icc_model *m = model_new(false);
	struct droplog *l = droplog_new(8);
	struct timespec t = { 1764963002, 0 };
	struct kdrop p = pkt("10.0.0.4", "10.0.0.2", IPPROTO_TCP, 3306);
	const struct drop_entry *e;
	json_t *a;

	ck_assert_ptr_nonnull(l);
	p.sport = 40000;
	e = droplog_record(l, m, &p, &t);
	ck_assert_uint_eq(e->packets, 1);
	t.tv_sec += 3;		/* SYN retransmits at 1 s, 3 s, ... */
	e = droplog_record(l, m, &p, &t);
	ck_assert_uint_eq(e->seq, 1);
	ck_assert_uint_eq(e->packets, 2);
	t.tv_sec += DROPLOG_SAME_S;	/* within 60 s of the last one */
	e = droplog_record(l, m, &p, &t);
	ck_assert_uint_eq(e->packets, 3);
	/* Another source port is another connection; so is the same flow
	 * after a minute of quiet. */
	p.sport = 40001;
	e = droplog_record(l, m, &p, &t);
	ck_assert_uint_eq(e->seq, 2);
	p.sport = 40000;
	t.tv_sec += DROPLOG_SAME_S + 1;
	e = droplog_record(l, m, &p, &t);
	ck_assert_uint_eq(e->seq, 3);
	ck_assert_uint_eq(e->packets, 1);
	ck_assert_ptr_nonnull(a = droplog_json(l, 0));
	ck_assert_uint_eq(json_array_size(a), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(a,
	    0), "packets")), 3);
	json_decref(a);
	droplog_free(l);
	model_free(m);
}
END_TEST

START_TEST(metrics_counters)
{
	struct metrics m;
	struct metrics_gauges g = { .set_elements = { 2, 1, 0, 0 },
	    .closed_bridges = 1, .running = 3, .active = 2, .pending = 1,
	    .repairs = 4 };
	char *text, name[16];

	metrics_reset(&m);
	metrics_request(&m, REQ_LINK, true, 200000, 300000);	/* 0.2, 0.3 ms */
	metrics_request(&m, REQ_STOP, false, -1, 50000);
	metrics_request(&m, REQ_NR, false, -1, 1000);
	metrics_drop(&m, "br0");
	metrics_drop(&m, "br0");
	m.clients = 2;
	ck_assert_ptr_nonnull(text = metrics_render(&m, &g));
#define HAS(line) ck_assert_msg(strstr(text, line "\n") != NULL, \
	"missing \"%s\" in:\n%s", line, text)
	HAS("iccd_requests_total{command=\"link\",result=\"ok\"} 1");
	HAS("iccd_requests_total{command=\"link\",result=\"error\"} 0");
	HAS("iccd_requests_total{command=\"stop\",result=\"error\"} 1");
	HAS("iccd_requests_total{command=\"unknown\",result=\"error\"} 1");
	HAS("# TYPE iccd_apply_seconds histogram");
	HAS("iccd_apply_seconds_bucket{le=\"0.0001\"} 0");
	HAS("iccd_apply_seconds_bucket{le=\"0.00025\"} 1");
	HAS("iccd_apply_seconds_bucket{le=\"+Inf\"} 1");
	HAS("iccd_apply_seconds_count 1");
	HAS("iccd_reply_seconds_bucket{le=\"0.0001\"} 2");
	HAS("iccd_reply_seconds_count 3");
	HAS("iccd_set_elements{set=\"closed\"} 1");
	HAS("iccd_set_elements{set=\"links4\"} 2");
	HAS("iccd_set_elements{set=\"ranges4\"} 1");
	HAS("iccd_containers{state=\"running\"} 3");
	HAS("iccd_links{state=\"pending\"} 1");
	HAS("iccd_repairs_total 4");
	HAS("iccd_table_owned 0");
	HAS("# HELP iccd_containers Containers by state (declared: declared "
	    "by a rules file, never started).");
	HAS("iccd_drops_total{bridge=\"br0\"} 2");
	HAS("iccd_control_clients 2");
	free(text);
	/* bridges past the bound share "other" */
	metrics_reset(&m);
	for (int i = 0; i < METRICS_BRIDGES + 3; i++) {
		snprintf(name, sizeof(name), "br%d", i);
		metrics_drop(&m, name);
	}
	ck_assert_uint_eq(m.ndrops, METRICS_BRIDGES);
	ck_assert_uint_eq(m.drops_other, 3);
	ck_assert_ptr_nonnull(text = metrics_render(&m, &g));
	HAS("iccd_drops_total{bridge=\"other\"} 3");
	HAS("iccd_requests_total{command=\"link\",result=\"ok\"} 0");
#undef HAS
	free(text);
}
END_TEST

/* ---- the daemon's side, on the fake kernel ------------------------------ */

static struct iccd d;

static void
daemon_setup(void)
{
	char err[512];

	fake_reset();
	ck_assert_msg(daemon_init(&d, "icctest", NULL, NULL, NULL, 0, false,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(daemon_sync(&d, err, sizeof(err)), 0);
}

static void
daemon_teardown(void)
{
	daemon_free(&d);
	fake_reset();
}

static json_t *
req(const char *text)
{
	json_error_t jerr;
	json_t *r = json_loads(text, 0, &jerr), *rep;

	ck_assert_msg(r != NULL, "bad test request %s", text);
	rep = ops_handle(&d, r, true, NULL);
	json_decref(r);
	ck_assert_ptr_nonnull(rep);
	return rep;
}

static void
req_ok(const char *text)
{
	json_t *rep = req(text);

	ck_assert_msg(json_is_true(json_object_get(rep, "ok")), "%s: %s", text,
	    json_string_value(json_object_get(rep, "error")));
	json_decref(rep);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string %s", key);
	return s;
}

static struct icc_elem
e4(const char *recv, const char *src, uint16_t port)
{
	struct icc_ports p = { port, port, IPPROTO_TCP };
	struct in_addr r, s;
	struct icc_elem e;

	ck_assert_int_eq(inet_pton(AF_INET, recv, &r), 1);
	ck_assert_int_eq(inet_pton(AF_INET, src, &s), 1);
	elem_init4(&e, r, s, &p);
	return e;
}

static void
two(void)
{
	req_ok("{\"cmd\":\"start\",\"name\":\"db\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.2\",\"expose\":[\"3306/tcp\"]}");
	req_ok("{\"cmd\":\"start\",\"name\":\"web\",\"bridge\":\"br0\","
	    "\"ip\":\"10.0.0.3\",\"links\":[\"db:aliasdb\"]}");
}

#define CHECK_WEB_DB "{\"cmd\":\"check\",\"from\":\"web\",\"to\":\"db\"," \
	"\"port\":\"3306\"}"
#define CHECK_DB_WEB "{\"cmd\":\"check\",\"from\":\"db\",\"to\":\"web\"," \
	"\"port\":\"80\"}"

START_TEST(check_agrees)
{
	json_t *rep;

	two();
	rep = req(CHECK_WEB_DB);
	ck_assert(json_is_true(json_object_get(rep, "allowed")));
	ck_assert(json_is_true(json_object_get(rep, "agree")));
	ck_assert_str_eq(str(rep, "reason"), "link");
	ck_assert_str_eq(str(rep, "element"), "links4 10.0.0.3 . 10.0.0.2 . "
	    "tcp . 3306");
	ck_assert_str_eq(str(json_object_get(rep, "kernel"), "element"),
	    "links4 10.0.0.3 . 10.0.0.2 . tcp . 3306");
	json_decref(rep);
	rep = req(CHECK_DB_WEB);
	ck_assert(json_is_false(json_object_get(rep, "allowed")));
	ck_assert(json_is_true(json_object_get(rep, "agree")));
	ck_assert_str_eq(str(rep, "reason"), "no_link");
	json_decref(rep);
}
END_TEST

/* The table changed behind iccd's back (no repair ran yet). */
START_TEST(check_disagrees)
{
	struct icc_elem gone = e4("10.0.0.3", "10.0.0.2", 3306);
	struct icc_elem stray = e4("10.0.0.2", "10.0.0.3", 80);
	json_t *rep;

	two();
	fake_foreign_del_elem(&gone);
	rep = req(CHECK_WEB_DB);
	ck_assert(json_is_false(json_object_get(rep, "allowed")));
	ck_assert(json_is_true(json_object_get(rep, "model_allowed")));
	ck_assert(json_is_false(json_object_get(rep, "agree")));
	ck_assert_str_eq(str(rep, "disagreement"), "disagreement: the model "
	    "allows it by element links4 10.0.0.3 . 10.0.0.2 . tcp . 3306, the "
	    "kernel has no such element");
	json_decref(rep);
	fake_foreign_add_elem(&stray);
	rep = req(CHECK_DB_WEB);
	ck_assert(json_is_true(json_object_get(rep, "allowed")));
	ck_assert_str_eq(str(rep, "disagreement"), "disagreement: the model "
	    "has no element for it (no_link), the kernel holds links4 10.0.0.2 "
	    ". 10.0.0.3 . tcp . 80");
	json_decref(rep);
	fake_foreign_del_closed("br0");
	rep = req(CHECK_DB_WEB);
	ck_assert(json_is_true(json_object_get(rep, "allowed")));
	ck_assert_str_eq(str(rep, "disagreement"), "disagreement: the model "
	    "has bridge br0 closed, the kernel's closed set lacks it");
	json_decref(rep);
}
END_TEST

START_TEST(requests_counted)
{
	json_t *rep;
	char *text;

	two();
	json_decref(req("{\"cmd\":\"stop\",\"name\":\"nosuch\"}"));
	json_decref(req("{\"cmd\":\"frobnicate\"}"));
	ck_assert_uint_eq(d.metrics.requests[REQ_START][0], 2);
	ck_assert_uint_eq(d.metrics.requests[REQ_STOP][1], 1);
	ck_assert_uint_eq(d.metrics.requests[REQ_NR][1], 1);
	ck_assert_uint_eq(d.metrics.apply.count, 2);
	ck_assert_uint_eq(d.metrics.reply.count, 4);
	ck_assert_ptr_nonnull(text = metrics_text(&d));
	ck_assert_ptr_nonnull(strstr(text, "iccd_links{state=\"active\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "iccd_set_elements{set=\"links4\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "iccd_set_elements{set=\"closed\"} 1\n"));
	free(text);
	metrics_reset(&d.metrics);
	ck_assert_uint_eq(d.metrics.requests[REQ_START][0], 0);
	rep = req("{\"cmd\":\"log\"}");
	ck_assert(json_is_false(json_object_get(rep, "enabled")));
	ck_assert_str_eq(json_string_value(json_object_get(rep, "off")),
	    "--log-group none");
	ck_assert_uint_eq(json_array_size(json_object_get(rep, "entries")), 0);
	json_decref(rep);
	ck_assert_uint_eq(d.metrics.requests[REQ_LOG][0], 1);
}
END_TEST

Suite *
ops_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("ops");
	TCase *td = tcase_create("daemon");

	tcase_add_test(tc, droplog_ring);
	tcase_add_test(tc, droplog_retransmits);
	tcase_add_test(tc, metrics_counters);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(td, daemon_setup, daemon_teardown);
	tcase_add_test(td, check_agrees);
	tcase_add_test(td, check_disagrees);
	tcase_add_test(td, requests_counted);
	suite_add_tcase(s, td);
	return s;
}
