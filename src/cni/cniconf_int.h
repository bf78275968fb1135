/*
 * cniconf_int.h: what the files of the plugin's pure part share
 * (cniconf.c the configuration, cniprev.c its prevResult, cnireply.c the
 * request and the replies).  Not for cni.c: it uses cniconf.h only.
 */
#ifndef ICCD_CNICONF_INT_H
#define ICCD_CNICONF_INT_H

#include <jansson.h>

#include "cniconf.h"

/*
 * cni_fail: fill err with code (enum cni_code) and the printf-formatted
 * line (cut to fit err->details).  Returns -1, so callers can return it.
 */
int	cni_fail(struct cni_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * cni_jstr: v's text if v is a JSON string without NUL bytes, else NULL.
 * The text lives as long as v.
 */
const char *cni_jstr(const json_t *v);

/*
 * cni_conf_prev: the configuration doc's prevResult into c (bridge when
 * the config named none, port, mac, ip4, ip6, prev with a reference of its
 * own, addressed), for the sandbox interface e->ifname.  Returns 0, or -1
 * with err filled (CNI_ERR_CONFIG naming the field).
 */
int	cni_conf_prev(const json_t *doc, const struct cni_env *e,
	    struct cni_conf *c, struct cni_err *err);

#endif
