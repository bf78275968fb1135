/*
 * cni_fixture.h: what the suites of the CNI plugin's pure part share
 * (check_cni.c: environment and configuration; check_cnireply.c: the
 * request and the replies): a configuration to start from and to change,
 * parsed for an environment.  Every function asserts with Check.
 */
#ifndef ICCD_CNI_FIXTURE_H
#define ICCD_CNI_FIXTURE_H

#include <jansson.h>

#include "cniconf.h"

/* What the bridge plugin printed for eth0 of /run/netns/c1. */
#define PREV \
	"{\"cniVersion\":\"1.0.0\",\"interfaces\":[" \
	"{\"name\":\"br0\",\"mac\":\"2e:f2:6a:a8:e5:05\"}," \
	"{\"name\":\"veth0699\",\"mac\":\"46:19:9b:2c:b2:7a\"}," \
	"{\"name\":\"eth0\",\"mac\":\"72:cb:bc:d9:37:89\"," \
	"\"sandbox\":\"/run/netns/c1\"}]," \
	"\"ips\":[{\"interface\":2,\"address\":\"10.88.0.101/24\"," \
	"\"gateway\":\"10.88.0.1\"},{\"interface\":2,\"address\":" \
	"\"fd88::101/64\",\"gateway\":\"fd88::1\"}],\"dns\":{}}"

#define BASE \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"type\":\"icc\"," \
	"\"runtimeConfig\":{\"icc\":{\"name\":\"web\"," \
	"\"links\":[\"db:aliasdb\"]}},\"prevResult\":" PREV "}"

/* env_for: the environment of cmd for container id, eth0 in
 * /run/netns/c1, with CNI_ARGS ICC_NAME=icc_name unless it is NULL. */
struct cni_env	 env_for(enum cni_cmd cmd, const char *id,
		    const char *icc_name);
/* base: BASE as a new JSON object (the caller owns it). */
json_t		*base(void);
/* set: doc's value at dotted path (objects only) becomes JSON text v, or
 * is removed when v is NULL. */
void		 set(json_t *doc, const char *path, const char *v);
/* parse: doc (consumed) for e; returns cni_conf_parse's value. */
int		 parse(json_t *doc, const struct cni_env *e,
		    struct cni_conf *c, struct cni_err *err);
/* refused: doc (consumed) is refused for cmd with exactly code and
 * details. */
void		 refused(json_t *doc, enum cni_cmd cmd, int code,
		    const char *details);
/* parsed: doc (consumed) is accepted for e, into c (clear it). */
void		 parsed(json_t *doc, const struct cni_env *e,
		    struct cni_conf *c);

#endif
