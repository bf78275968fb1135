/*
 * kernel_sysctl.c: br_netfilter's sysctls (kernel_bridge_nf), so that
 * bridged traffic traverses the inet hooks, and the watch that puts them
 * back (kernel_bridge_nf_check).  While one is off the bridge table keeps
 * closed bridges closed (rules/icc-bridge.nft).
 */
#include "kernel_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ---- br_netfilter ------------------------------------------------------- */

static int
sysctl_one(const char *name, char *err, size_t errlen)
{
	char path[128], c = 0;
	const char *p;
	int fd, e;

	/* net.bridge.x -> /proc/sys/net/bridge/x */
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (p = path + strlen("/proc/sys/"); *p != '\0'; p++)
		if (*p == '.')
			path[p - path] = '/';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		if (e == ENOENT)
			errfmt(err, errlen, "%s: no such sysctl: br_netfilter "
			    "is not loaded: load br_netfilter (modprobe "
			    "br_netfilter)", name);
		else
			errfmt(err, errlen, "%s: %s", name, strerror(e));
		return -e;
	}
	/* Already 1: leave it, /proc/sys may be read-only in a container. */
	if (read(fd, &c, 1) == 1 && c == '1') {
		close(fd);
		return 0;
	}
	close(fd);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, "1\n", 2) != 2) {
		e = errno;
		if (fd >= 0)
			close(fd);
		errfmt(err, errlen, "cannot set %s = 1: %s", name,
		    strerror(e));
		return -e;
	}
	if (close(fd) < 0) {
		e = errno;
		errfmt(err, errlen, "cannot set %s = 1: %s", name,
		    strerror(e));
		return -e;
	}
	return 0;
}

/*
 * Bridged packets only traverse the inet forward hook when br_netfilter
 * passes them up, per network namespace.
 */
int
kernel_bridge_nf(char *err, size_t errlen)
{
	int rc;

	errfmt(err, errlen, "%s", "");
	if ((rc = sysctl_one("net.bridge.bridge-nf-call-iptables", err,
	    errlen)) < 0)
		return rc;
	return sysctl_one("net.bridge.bridge-nf-call-ip6tables", err, errlen);
}

/* ---- the watch ---------------------------------------------------------- */

static const char *const brnf_sysctls[] = {
	"/proc/sys/net/bridge/bridge-nf-call-iptables",
	"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
};

/* brnf_fix: 0 when path holds 1, 1 when it had to be set back, -errno. */
static int
brnf_fix(const char *path, char *err, size_t errlen)
{
	char c = 0;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	e = read(fd, &c, 1) == 1 ? 0 : errno;
	close(fd);
	if (e == 0 && c == '1')
		return 0;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, "1\n", 2) != 2) {
		e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot set %s back to 1: %s", path,
		    strerror(e));
		return -e;
	}
	if (close(fd) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot set %s back to 1: %s", path,
		    strerror(e));
		return -e;
	}
	return 1;
}

int
kernel_bridge_nf_check(char *err, size_t errlen)
{
	int n = 0, rc;

	if (errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < sizeof(brnf_sysctls) / sizeof(*brnf_sysctls);
	    i++) {
		if ((rc = brnf_fix(brnf_sysctls[i], err, errlen)) < 0)
			return rc;
		n += rc;
	}
	return n;
}
