/*
 * docker_hosts.c: see docker_hosts.h.
 */
#include "docker_hosts.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "request.h"
#include "util.h"

/*
 * check_path: HostsPath's form.  iccd re-checks the name and the file;
 * this refuses early what no engine writes, so the log names Docker's
 * field rather than iccd's.
 */
static int
check_path(const char *s, char *err, size_t len)
{
	const char *p, *end;
	size_t n;

	if (s[0] != '/')
		return errf(err, len, EINVAL, "HostsPath: %s: not an absolute "
		    "path", s);
	if (strlen(s) >= PATH_MAX)
		return errf(err, len, EINVAL, "HostsPath: too long");
	for (p = s + 1; ; p = end + 1) {
		if ((end = strchr(p, '/')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if ((n == 1 && p[0] == '.') || (n == 2 && strncmp(p, "..", 2) ==
		    0))
			return errf(err, len, EINVAL, "HostsPath: %s: has a "
			    "\".\" or \"..\" component", s);
		if (*end == '\0')
			break;
	}
	if (strcmp(p, "hosts") != 0)
		return errf(err, len, EINVAL, "HostsPath: %s: the file is not "
		    "named \"hosts\"", s);
	return 0;
}

int
dk_hosts_request(const json_t *c, const struct dk_decl *d, json_t **req,
    char *err, size_t len)
{
	const json_t *hp = json_object_get(c, "HostsPath");
	struct request r;
	char why[256];
	const char *s;

	*req = NULL;
	if (d->req == NULL ||
	    json_array_size(json_object_get(d->req, "links")) == 0)
		return 0;
	if ((s = json_string_value(hp)) == NULL || s[0] == '\0')
		return errf(err, len, EINVAL, "HostsPath: %s", hp == NULL ?
		    "missing" : "not a non-empty string");
	if (check_path(s, err, len) == -1)
		return -1;
	if ((*req = json_pack("{s:s,s:s,s:s}", "cmd", "hosts", "name",
	    d->name, "write", s)) == NULL)
		return errf(err, len, ENOMEM, "HostsPath: out of memory");
	if (request_parse(*req, &r, why, sizeof(why)) == -1) {
		json_decref(*req);
		*req = NULL;
		return errf(err, len, EINVAL, "HostsPath: %s", why);
	}
	request_clear(&r);
	return 0;
}
