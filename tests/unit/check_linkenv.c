/*
 * check_linkenv.c: link_env (linkdata.c) against moby's links.go, case by
 * case: expected environments written out by hand from reading
 * daemon/links/links.go (Link.ToEnv, withTCPPriority, 2025 and later);
 * see check_linkdata.c for the rules, which also holds the reference
 * cases of tests/data/links.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "linkdata.h"
#include "model.h"
#include "suites.h"
#include "check_linkdata.h"
#include "model_fixture.h"

#define MAXV	64

/* ---- derived cases ------------------------------------------------------ */

#define IP	"10.0.0.2"

/* The four variables of port N, PROTO p (upper case P), prefix A. */
#define PORT4(A, N, p, P)					\
	A "_PORT_" #N "_" P "=" p "://" IP ":" #N,		\
	A "_PORT_" #N "_" P "_ADDR=" IP,			\
	A "_PORT_" #N "_" P "_PORT=" #N,			\
	A "_PORT_" #N "_" P "_PROTO=" p

/* The four variables of the run S..E. */
#define RANGE4(A, S, E, p, P)					\
	A "_PORT_" #S "_" P "_START=" p "://" IP ":" #S,	\
	A "_PORT_" #S "_" P "_PORT_START=" #S,			\
	A "_PORT_" #S "_" P "_END=" p "://" IP ":" #E,		\
	A "_PORT_" #S "_" P "_PORT_END=" #E

struct envcase {
	const char	*name;
	const char	*receiver, *alias, *ip;
	const char	*expose[8];
	const char	*env[12];
	const char	*want[MAXV];
};

static const struct envcase envcases[] = {
{
	/* 80-82 starts the list; 443 breaks the run, then the run's vars. */
	"range at the start", "r", "web", IP,
	{ "443/tcp", "80-82/tcp", NULL }, { NULL },
	{ "WEB_PORT=tcp://" IP ":80",
	  PORT4("WEB", 80, "tcp", "TCP"),
	  PORT4("WEB", 81, "tcp", "TCP"),
	  PORT4("WEB", 82, "tcp", "TCP"),
	  PORT4("WEB", 443, "tcp", "TCP"),
	  RANGE4("WEB", 80, 82, "tcp", "TCP"),
	  "WEB_NAME=/r/web", NULL },
}, {
	"range in the middle", "r", "mid", IP,
	{ "9000", "22", "8000-8001", NULL }, { NULL },
	{ "MID_PORT=tcp://" IP ":22",
	  PORT4("MID", 22, "tcp", "TCP"),
	  PORT4("MID", 8000, "tcp", "TCP"),
	  PORT4("MID", 8001, "tcp", "TCP"),
	  PORT4("MID", 9000, "tcp", "TCP"),
	  RANGE4("MID", 8000, 8001, "tcp", "TCP"),
	  "MID_NAME=/r/mid", NULL },
}, {
	/* The run ends the list: its vars follow its own last port. */
	"range at the end", "r", "tail", IP,
	{ "6000-6002/udp", "22/tcp", NULL }, { NULL },
	{ "TAIL_PORT=tcp://" IP ":22",
	  PORT4("TAIL", 22, "tcp", "TCP"),
	  PORT4("TAIL", 6000, "udp", "UDP"),
	  PORT4("TAIL", 6001, "udp", "UDP"),
	  PORT4("TAIL", 6002, "udp", "UDP"),
	  RANGE4("TAIL", 6000, 6002, "udp", "UDP"),
	  "TAIL_NAME=/r/tail", NULL },
}, {
	/* Two runs: the first's vars land between 8000 and 8001. */
	"two runs", "r", "runs", IP,
	{ "8000-8001", "7000-7001", NULL }, { NULL },
	{ "RUNS_PORT=tcp://" IP ":7000",
	  PORT4("RUNS", 7000, "tcp", "TCP"),
	  PORT4("RUNS", 7001, "tcp", "TCP"),
	  PORT4("RUNS", 8000, "tcp", "TCP"),
	  RANGE4("RUNS", 7000, 7001, "tcp", "TCP"),
	  PORT4("RUNS", 8001, "tcp", "TCP"),
	  RANGE4("RUNS", 8000, 8001, "tcp", "TCP"),
	  "RUNS_NAME=/r/runs", NULL },
}, {
	/*
	 * tcp, then sctp before udp (by name).  11/tcp-12/sctp and
	 * 13/sctp-14/udp are consecutive numbers of different protocols:
	 * no run.  12-13/sctp is one, reported after 14/udp.  Written out
	 * without macros as a check on them.
	 */
	"protocols", "r", "multi", IP,
	{ "16/udp", "13/sctp", "11", "14/udp", "12/sctp", NULL }, { NULL },
	{ "MULTI_PORT=tcp://10.0.0.2:11",
	  "MULTI_PORT_11_TCP=tcp://10.0.0.2:11",
	  "MULTI_PORT_11_TCP_ADDR=10.0.0.2",
	  "MULTI_PORT_11_TCP_PORT=11",
	  "MULTI_PORT_11_TCP_PROTO=tcp",
	  "MULTI_PORT_12_SCTP=sctp://10.0.0.2:12",
	  "MULTI_PORT_12_SCTP_ADDR=10.0.0.2",
	  "MULTI_PORT_12_SCTP_PORT=12",
	  "MULTI_PORT_12_SCTP_PROTO=sctp",
	  "MULTI_PORT_13_SCTP=sctp://10.0.0.2:13",
	  "MULTI_PORT_13_SCTP_ADDR=10.0.0.2",
	  "MULTI_PORT_13_SCTP_PORT=13",
	  "MULTI_PORT_13_SCTP_PROTO=sctp",
	  "MULTI_PORT_14_UDP=udp://10.0.0.2:14",
	  "MULTI_PORT_14_UDP_ADDR=10.0.0.2",
	  "MULTI_PORT_14_UDP_PORT=14",
	  "MULTI_PORT_14_UDP_PROTO=udp",
	  "MULTI_PORT_12_SCTP_START=sctp://10.0.0.2:12",
	  "MULTI_PORT_12_SCTP_PORT_START=12",
	  "MULTI_PORT_12_SCTP_END=sctp://10.0.0.2:13",
	  "MULTI_PORT_12_SCTP_PORT_END=13",
	  "MULTI_PORT_16_UDP=udp://10.0.0.2:16",
	  "MULTI_PORT_16_UDP_ADDR=10.0.0.2",
	  "MULTI_PORT_16_UDP_PORT=16",
	  "MULTI_PORT_16_UDP_PROTO=udp",
	  "MULTI_NAME=/r/multi", NULL },
}, {
	/* <P>_PORT is the first port after sorting: tcp even if highest. */
	"tcp first", "r", "def", IP,
	{ "1/udp", "1/sctp", "65535/tcp", NULL }, { NULL },
	{ "DEF_PORT=tcp://" IP ":65535",
	  PORT4("DEF", 65535, "tcp", "TCP"),
	  PORT4("DEF", 1, "sctp", "SCTP"),
	  PORT4("DEF", 1, "udp", "UDP"),
	  "DEF_NAME=/r/def", NULL },
}, {
	/* Without tcp the first port, and so <P>_PORT, may be sctp. */
	"no tcp", "r", "notcp", IP,
	{ "53/udp", "9/sctp", NULL }, { NULL },
	{ "NOTCP_PORT=sctp://" IP ":9",
	  PORT4("NOTCP", 9, "sctp", "SCTP"),
	  PORT4("NOTCP", 53, "udp", "UDP"),
	  "NOTCP_NAME=/r/notcp", NULL },
}, {
	"top ports", "r", "top", IP,
	{ "1/udp", "65534-65535/tcp", NULL }, { NULL },
	{ "TOP_PORT=tcp://" IP ":65534",
	  PORT4("TOP", 65534, "tcp", "TCP"),
	  PORT4("TOP", 65535, "tcp", "TCP"),
	  PORT4("TOP", 1, "udp", "UDP"),
	  RANGE4("TOP", 65534, 65535, "tcp", "TCP"),
	  "TOP_NAME=/r/top", NULL },
}, {
	/* moby's TestLinkEnv, in ToEnv's order. */
	"single port", "db", "docker", "172.0.17.2",
	{ "6379/tcp", NULL }, { "PASSWORD=gordon", NULL },
	{ "DOCKER_PORT=tcp://172.0.17.2:6379",
	  "DOCKER_PORT_6379_TCP=tcp://172.0.17.2:6379",
	  "DOCKER_PORT_6379_TCP_ADDR=172.0.17.2",
	  "DOCKER_PORT_6379_TCP_PORT=6379",
	  "DOCKER_PORT_6379_TCP_PROTO=tcp",
	  "DOCKER_NAME=/db/docker",
	  "DOCKER_ENV_PASSWORD=gordon", NULL },
}, {
	/* moby's TestLinkNaming: only '-' changes. */
	"dashed alias", "db", "docker-1", "172.0.17.2",
	{ "6379/tcp", NULL }, { NULL },
	{ "DOCKER_1_PORT=tcp://172.0.17.2:6379",
	  "DOCKER_1_PORT_6379_TCP=tcp://172.0.17.2:6379",
	  "DOCKER_1_PORT_6379_TCP_ADDR=172.0.17.2",
	  "DOCKER_1_PORT_6379_TCP_PORT=6379",
	  "DOCKER_1_PORT_6379_TCP_PROTO=tcp",
	  "DOCKER_1_NAME=/db/docker-1", NULL },
}, {
	/* moby's TestLinkMultipleEnv, in ToEnv's order. */
	"moby multiple", "db", "docker", "172.0.17.2",
	{ "6300/udp", "6379/tcp", "6380/tcp", "6381/tcp", "6382/udp", NULL },
	{ "PASSWORD=gordon", NULL },
	{ "DOCKER_PORT=tcp://172.0.17.2:6379",
	  "DOCKER_PORT_6379_TCP=tcp://172.0.17.2:6379",
	  "DOCKER_PORT_6379_TCP_ADDR=172.0.17.2",
	  "DOCKER_PORT_6379_TCP_PORT=6379",
	  "DOCKER_PORT_6379_TCP_PROTO=tcp",
	  "DOCKER_PORT_6380_TCP=tcp://172.0.17.2:6380",
	  "DOCKER_PORT_6380_TCP_ADDR=172.0.17.2",
	  "DOCKER_PORT_6380_TCP_PORT=6380",
	  "DOCKER_PORT_6380_TCP_PROTO=tcp",
	  "DOCKER_PORT_6381_TCP=tcp://172.0.17.2:6381",
	  "DOCKER_PORT_6381_TCP_ADDR=172.0.17.2",
	  "DOCKER_PORT_6381_TCP_PORT=6381",
	  "DOCKER_PORT_6381_TCP_PROTO=tcp",
	  "DOCKER_PORT_6300_UDP=udp://172.0.17.2:6300",
	  "DOCKER_PORT_6300_UDP_ADDR=172.0.17.2",
	  "DOCKER_PORT_6300_UDP_PORT=6300",
	  "DOCKER_PORT_6300_UDP_PROTO=udp",
	  "DOCKER_PORT_6379_TCP_START=tcp://172.0.17.2:6379",
	  "DOCKER_PORT_6379_TCP_PORT_START=6379",
	  "DOCKER_PORT_6379_TCP_END=tcp://172.0.17.2:6381",
	  "DOCKER_PORT_6379_TCP_PORT_END=6381",
	  "DOCKER_PORT_6382_UDP=udp://172.0.17.2:6382",
	  "DOCKER_PORT_6382_UDP_ADDR=172.0.17.2",
	  "DOCKER_PORT_6382_UDP_PORT=6382",
	  "DOCKER_PORT_6382_UDP_PROTO=udp",
	  "DOCKER_NAME=/db/docker",
	  "DOCKER_ENV_PASSWORD=gordon", NULL },
}, {
	/* Upper-cased, '-' to '_', dots kept; the name keeps the alias. */
	"dashes and dots", "r", "my-db.v1-a", IP,
	{ "5432", NULL }, { NULL },
	{ "MY_DB.V1_A_PORT=tcp://" IP ":5432",
	  PORT4("MY_DB.V1_A", 5432, "tcp", "TCP"),
	  "MY_DB.V1_A_NAME=/r/my-db.v1-a", NULL },
}, {
	"no ports", "r", "x", IP,
	{ NULL }, { "K=v", NULL },
	{ "X_NAME=/r/x", "X_ENV_K=v", NULL },
}, {
	/*
	 * strings.Cut at the first '=': the rest is the value, '=' and
	 * spaces included, maybe empty.  No '=': skipped.  Only HOME and
	 * PATH exactly are dropped.
	 */
	"env values", "r", "e", IP,
	{ NULL },
	{ "A==b=c", "E=", "S=a b  c", "HOME=/root", "PATH=/bin:/x",
	  "home=kept", "HOMEDIR=kept", "NOEQUALS", "PATH2=x", "lower_Key=V",
	  NULL },
	{ "E_NAME=/r/e", "E_ENV_A==b=c", "E_ENV_E=", "E_ENV_S=a b  c",
	  "E_ENV_home=kept", "E_ENV_HOMEDIR=kept", "E_ENV_PATH2=x",
	  "E_ENV_lower_Key=V", NULL },
}, {
	/* The port set is a map: overlapping exposes give each port once. */
	"duplicate ports", "r", "dup", IP,
	{ "7001-7003/tcp", "7000-7002", "7002/tcp", "7000/tcp", NULL },
	{ NULL },
	{ "DUP_PORT=tcp://" IP ":7000",
	  PORT4("DUP", 7000, "tcp", "TCP"),
	  PORT4("DUP", 7001, "tcp", "TCP"),
	  PORT4("DUP", 7002, "tcp", "TCP"),
	  PORT4("DUP", 7003, "tcp", "TCP"),
	  RANGE4("DUP", 7000, 7003, "tcp", "TCP"),
	  "DUP_NAME=/r/dup", NULL },
}, {
	/* Same number, other protocol: not a duplicate, not a run. */
	"duplicate single", "r", "dup2", IP,
	{ "80/udp", "80/udp", "80", NULL }, { NULL },
	{ "DUP2_PORT=tcp://" IP ":80",
	  PORT4("DUP2", 80, "tcp", "TCP"),
	  PORT4("DUP2", 80, "udp", "UDP"),
	  "DUP2_NAME=/r/dup2", NULL },
},
};

START_TEST(test_derived)
{
	const struct envcase	*c = &envcases[_i];
	struct icc_ports	 ports[8];
	struct strvec		 sv = { 0 };
	size_t			 n = ports_of(c->expose, ports, 8);

	ck_assert_int_eq(link_env(c->receiver, c->alias, ip4(c->ip), ports, n,
	    (char *const *)c->env, count(c->env), &sv), 0);
	expect(c->name, &sv, c->want);
	strvec_free(&sv);
}
END_TEST

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* moby's TestLinkMultipleEnv list itself: the same set once sorted. */
START_TEST(test_moby_sorted)
{
	static const char *const moby[] = {
		"DOCKER_ENV_PASSWORD=gordon",
		"DOCKER_NAME=/db/docker",
		"DOCKER_PORT=tcp://172.0.17.2:6379",
		"DOCKER_PORT_6300_UDP=udp://172.0.17.2:6300",
		"DOCKER_PORT_6300_UDP_ADDR=172.0.17.2",
		"DOCKER_PORT_6300_UDP_PORT=6300",
		"DOCKER_PORT_6300_UDP_PROTO=udp",
		"DOCKER_PORT_6379_TCP=tcp://172.0.17.2:6379",
		"DOCKER_PORT_6379_TCP_ADDR=172.0.17.2",
		"DOCKER_PORT_6379_TCP_END=tcp://172.0.17.2:6381",
		"DOCKER_PORT_6379_TCP_PORT=6379",
		"DOCKER_PORT_6379_TCP_PORT_END=6381",
		"DOCKER_PORT_6379_TCP_PORT_START=6379",
		"DOCKER_PORT_6379_TCP_PROTO=tcp",
		"DOCKER_PORT_6379_TCP_START=tcp://172.0.17.2:6379",
		"DOCKER_PORT_6380_TCP=tcp://172.0.17.2:6380",
		"DOCKER_PORT_6380_TCP_ADDR=172.0.17.2",
		"DOCKER_PORT_6380_TCP_PORT=6380",
		"DOCKER_PORT_6380_TCP_PROTO=tcp",
		"DOCKER_PORT_6381_TCP=tcp://172.0.17.2:6381",
		"DOCKER_PORT_6381_TCP_ADDR=172.0.17.2",
		"DOCKER_PORT_6381_TCP_PORT=6381",
		"DOCKER_PORT_6381_TCP_PROTO=tcp",
		"DOCKER_PORT_6382_UDP=udp://172.0.17.2:6382",
		"DOCKER_PORT_6382_UDP_ADDR=172.0.17.2",
		"DOCKER_PORT_6382_UDP_PORT=6382",
		"DOCKER_PORT_6382_UDP_PROTO=udp",
		NULL,
	};
	static const char *const expose[] = {
		"6300/udp", "6379/tcp", "6380/tcp", "6381/tcp", "6382/udp",
		NULL,
	};
	static char *const env[] = { "PASSWORD=gordon" };
	struct icc_ports	ports[8];
	struct strvec		sv = { 0 };
	size_t			n = ports_of(expose, ports, 8);

	ck_assert_int_eq(link_env("db", "docker", ip4("172.0.17.2"), ports, n,
	    env, 1, &sv), 0);
	qsort(sv.v, sv.n, sizeof(*sv.v), cmpstr);
	expect("moby sorted", &sv, moby);
	strvec_free(&sv);
}
END_TEST

/* link_env appends: what was in out stays first. */
START_TEST(test_link_env_appends)
{
	static const char *const want[] = { "KEEP=1", "X_NAME=/r/x", NULL };
	struct strvec sv = { 0 };

	ck_assert_int_eq(strvec_push(&sv, "KEEP=1"), 0);
	ck_assert_int_eq(link_env("r", "x", ip4(IP), NULL, 0, NULL, 0, &sv), 0);
	expect("appends", &sv, want);
	strvec_free(&sv);
}
END_TEST

Suite *
linkenv_suite(void)
{
	Suite	*s = suite_create("linkenv");
	TCase	*tc;

	tc = tcase_create("env");
	tcase_add_loop_test(tc, test_derived, 0,
	    (int)(sizeof(envcases) / sizeof(envcases[0])));
	tcase_add_test(tc, test_moby_sorted);
	tcase_add_test(tc, test_link_env_appends);
	suite_add_tcase(s, tc);
	return s;
}
