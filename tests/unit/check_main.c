/*
 * check_main.c: one runner for every unit suite (as libnl's tests/).
 * No root, no network: the pure parts of iccd, and the daemon against
 * a fake kernel (fake_kernel.c).
 */
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_add_suite(sr, parse_opts_suite());
	srunner_add_suite(sr, model_suite());
	srunner_add_suite(sr, container_suite());
	srunner_add_suite(sr, engine_suite());
	srunner_add_suite(sr, elemset_suite());
	srunner_add_suite(sr, bind_suite());
	srunner_add_suite(sr, linkdata_suite());
	srunner_add_suite(sr, linkenv_suite());
	srunner_add_suite(sr, hosts_suite());
	srunner_add_suite(sr, safefile_suite());
	srunner_add_suite(sr, proto_suite());
	srunner_add_suite(sr, client_suite());
	srunner_add_suite(sr, state_suite());
	srunner_add_suite(sr, journal_suite());
	srunner_add_suite(sr, elemcache_suite());
	srunner_add_suite(sr, request_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, rules_dir_suite());
	srunner_add_suite(sr, control_suite());
	srunner_add_suite(sr, control_limits_suite());
	srunner_add_suite(sr, ocihook_suite());
	srunner_add_suite(sr, cni_suite());
	srunner_add_suite(sr, cnireply_suite());
	srunner_add_suite(sr, change_suite());
	srunner_add_suite(sr, round_suite());
	srunner_add_suite(sr, rangegc_suite());
	srunner_add_suite(sr, portlost_suite());
	srunner_add_suite(sr, docker_suite());
	srunner_add_suite(sr, admit_suite());
	srunner_add_suite(sr, verdict_suite());
	srunner_add_suite(sr, ops_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
