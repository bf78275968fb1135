/* suites.h: every Check suite of the unit runner (check_main.c). */
#ifndef ICCD_TEST_SUITES_H
#define ICCD_TEST_SUITES_H

#include <check.h>

Suite *parse_suite(void);
Suite *parse_opts_suite(void);
Suite *model_suite(void);
Suite *container_suite(void);
Suite *engine_suite(void);
Suite *elemset_suite(void);
Suite *bind_suite(void);
Suite *linkdata_suite(void);
Suite *linkenv_suite(void);
Suite *hosts_suite(void);
Suite *safefile_suite(void);
Suite *proto_suite(void);
Suite *client_suite(void);
Suite *state_suite(void);
Suite *journal_suite(void);
Suite *elemcache_suite(void);
Suite *request_suite(void);
Suite *rules_suite(void);
Suite *rules_dir_suite(void);
Suite *control_suite(void);
Suite *control_limits_suite(void);
Suite *ocihook_suite(void);
Suite *cni_suite(void);
Suite *cnireply_suite(void);
Suite *change_suite(void);
Suite *round_suite(void);
Suite *portlost_suite(void);
Suite *docker_suite(void);
Suite *admit_suite(void);
Suite *verdict_suite(void);
Suite *ops_suite(void);
Suite *rangegc_suite(void);

#endif
