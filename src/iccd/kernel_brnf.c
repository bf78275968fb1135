/*
 * kernel_brnf.c: the br_netfilter sysctls iccd depends on, watched (see
 * kernel.h, kernel_bridge_nf_check).  While one is off the bridge table
 * keeps closed bridges closed (rules/icc-bridge.nft).
 */
#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
