/*
 * cni_fixture.c: configurations for the CNI plugin's suites; see
 * cni_fixture.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_fixture.h"

struct cni_env
env_for(enum cni_cmd cmd, const char *id, const char *icc_name)
{
	struct cni_env e;

	memset(&e, 0, sizeof(e));
	e.cmd = cmd;
	snprintf(e.containerid, sizeof(e.containerid), "%s", id);
	snprintf(e.ifname, sizeof(e.ifname), "eth0");
	snprintf(e.netns, sizeof(e.netns), "/run/netns/c1");
	if (icc_name != NULL) {
		e.has_icc_name = true;
		snprintf(e.icc_name, sizeof(e.icc_name), "%s", icc_name);
	}
	return e;
}

json_t *
base(void)
{
	json_t *doc = json_loads(BASE, 0, NULL);

	ck_assert_ptr_nonnull(doc);
	return doc;
}

/* set: doc's value at dotted path (objects only) becomes JSON text v, or
 * is removed when v is NULL. */
void
set(json_t *doc, const char *path, const char *v)
{
	char buf[128], *dot, *key = buf;
	json_t *o = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((dot = strchr(key, '.')) != NULL) {
		*dot = '\0';
		o = json_object_get(o, key);
		ck_assert_msg(o != NULL, "no %s in the document", key);
		key = dot + 1;
	}
	if (v == NULL) {
		json_object_del(o, key);
		return;
	}
	ck_assert_int_eq(json_object_set_new(o, key, json_loads(v,
	    JSON_DECODE_ANY, NULL)), 0);
}

/* parse: doc (consumed) for e; returns cni_conf_parse's value. */
int
parse(json_t *doc, const struct cni_env *e, struct cni_conf *c,
    struct cni_err *err)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	int rv;

	json_decref(doc);
	rv = cni_conf_parse(s, strlen(s), e, c, err);
	free(s);
	return rv;
}

/* refused: doc is refused for cmd with exactly code and details. */
void
refused(json_t *doc, enum cni_cmd cmd, int code, const char *details)
{
	struct cni_env e = env_for(cmd, "ctr1", NULL);
	struct cni_err err;
	struct cni_conf c;

	ck_assert_int_eq(parse(doc, &e, &c, &err), -1);
	ck_assert_int_eq(err.code, code);
	ck_assert_str_eq(err.details, details);
	cni_conf_clear(&c);
}
void
parsed(json_t *doc, const struct cni_env *e, struct cni_conf *c)
{
	struct cni_err err;

	ck_assert_msg(parse(doc, e, c, &err) == 0, "refused: %s", err.details);
}

