/*
 * peercred.h: a control peer's credentials (SO_PEERCRED, SO_PEERGROUPS),
 * kept with what it registered, saved in state files, and taken on as
 * iccd's file system identity for the file work done on its behalf, so
 * that the kernel itself decides what the peer may write.
 */
#ifndef ICCD_PEERCRED_H
#define ICCD_PEERCRED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct peer_cred {
	uid_t	 uid;
	gid_t	 gid;		/* primary group */
	gid_t	*groups;	/* supplementary groups (malloc'd) */
	size_t	 ngroups;
};

/*
 * peer_cred_get: the credentials of the peer of unix socket fd into *pc
 * (free with peer_cred_free).  Supplementary groups stay empty on a
 * kernel without SO_PEERGROUPS (before 4.13).  Returns 0 or -1 with
 * errno.
 */
int peer_cred_get(int fd, struct peer_cred *pc);

/* peer_cred_copy: *dst becomes a deep copy of *src; 0 or -1 (ENOMEM). */
int peer_cred_copy(struct peer_cred *dst, const struct peer_cred *src);

/* peer_cred_free: release pc's groups and zero it. */
void peer_cred_free(struct peer_cred *pc);

/* peer_cred_json: {"uid":N,"gid":N,"groups":[N...]}; NULL on ENOMEM. */
json_t *peer_cred_json(const struct peer_cred *pc);

/*
 * peer_cred_from_json: the reverse.  Returns 0, or -1 with a line naming
 * the bad field in err (errno EINVAL or ENOMEM).
 */
int peer_cred_from_json(const json_t *o, struct peer_cred *pc, char *err,
    size_t errlen);

/* What peer_cred_enter replaced, for peer_cred_leave. */
struct cred_saved {
	uid_t	 fsuid;
	gid_t	 fsgid;
	gid_t	*groups;
	int	 ngroups;
	bool	 active;
};

/*
 * peer_cred_enter: take on pc as the file system identity: setgroups to
 * its supplementary groups, setfsgid, setfsuid, each checked.  From fsuid
 * 0 to another uid the kernel also drops CAP_DAC_OVERRIDE, CAP_FOWNER and
 * the other file capabilities (capabilities(7)), so every open, create
 * and rename is checked against the peer's own rights.  Needs CAP_SETUID
 * and CAP_SETGID (iccd runs as root).  Returns 0, or -1 with a line in err
 * and the old identity back.
 */
int peer_cred_enter(const struct peer_cred *pc, struct cred_saved *s,
    char *err, size_t errlen);

/*
 * peer_cred_leave: back to the identity peer_cred_enter saved (a no-op
 * when it failed).  A failure here would leave iccd working as the peer:
 * fatal.
 */
void peer_cred_leave(struct cred_saved *s);

#endif
