/* peercred.c: see peercred.h. */
#include "config.h"

#include "peercred.h"

#include <sys/fsuid.h>
#include <sys/socket.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* peer_groups: SO_PEERGROUPS, growing the buffer when the kernel asks. */
static int
peer_groups(int fd, struct peer_cred *pc)
{
	socklen_t len = 32 * sizeof(gid_t);
	gid_t *g = NULL, *ng;

	for (int tries = 0; tries < 3; tries++) {
		if ((ng = realloc(g, len > 0 ? len : sizeof(gid_t))) == NULL) {
			free(g);
			errno = ENOMEM;
			return -1;
		}
		g = ng;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			pc->groups = g;
			pc->ngroups = len / sizeof(gid_t);
			return 0;
		}
		if (errno != ERANGE)
			break;
	}
	free(g);
	/* A kernel without SO_PEERGROUPS: the primary group only. */
	return errno == ENOPROTOOPT ? 0 : -1;
}

int
peer_cred_get(int fd, struct peer_cred *pc)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	memset(pc, 0, sizeof(*pc));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	pc->uid = cred.uid;
	pc->gid = cred.gid;
	return peer_groups(fd, pc);
}

int
peer_cred_copy(struct peer_cred *dst, const struct peer_cred *src)
{
	*dst = *src;
	dst->groups = NULL;
	if (src->ngroups == 0)
		return 0;
	if ((dst->groups = calloc(src->ngroups, sizeof(gid_t))) == NULL) {
		dst->ngroups = 0;
		errno = ENOMEM;
		return -1;
	}
	memcpy(dst->groups, src->groups, src->ngroups * sizeof(gid_t));
	return 0;
}

void
peer_cred_free(struct peer_cred *pc)
{
	free(pc->groups);
	memset(pc, 0, sizeof(*pc));
}

json_t *
peer_cred_json(const struct peer_cred *pc)
{
	json_t *g = json_array();

	for (size_t i = 0; g != NULL && i < pc->ngroups; i++)
		if (json_array_append_new(g, json_integer(pc->groups[i])) == -1) {
			json_decref(g);
			return NULL;
		}
	if (g == NULL)
		return NULL;
	return json_pack("{s:I,s:I,s:o}", "uid", (json_int_t)pc->uid, "gid",
	    (json_int_t)pc->gid, "groups", g);
}

/* id_of: a uid or gid field: an integer 0..2^32-2 ((id_t)-1 is "none"). */
static int
id_of(const json_t *v, const char *field, unsigned *out, char *err,
    size_t errlen)
{
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    n >= (json_int_t)UINT32_MAX) {
		snprintf(err, errlen, "%s: not a uid/gid", field);
		errno = EINVAL;
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

int
peer_cred_from_json(const json_t *o, struct peer_cred *pc, char *err,
    size_t errlen)
{
	const json_t *groups = json_object_get(o, "groups"), *v;
	unsigned id;
	size_t i;

	memset(pc, 0, sizeof(*pc));
	if (!json_is_object(o)) {
		snprintf(err, errlen, "peer: not an object");
		errno = EINVAL;
		return -1;
	}
	if (id_of(json_object_get(o, "uid"), "peer.uid", &id, err,
	    errlen) == -1)
		return -1;
	pc->uid = id;
	if (id_of(json_object_get(o, "gid"), "peer.gid", &id, err,
	    errlen) == -1)
		return -1;
	pc->gid = id;
	if (!json_is_array(groups) || json_array_size(groups) > NGROUPS_MAX) {
		snprintf(err, errlen, "peer.groups: not an array of gids");
		errno = EINVAL;
		return -1;
	}
	if (json_array_size(groups) > 0 && (pc->groups =
	    calloc(json_array_size(groups), sizeof(gid_t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	json_array_foreach(groups, i, v) {
		if (id_of(v, "peer.groups", &id, err, errlen) == -1) {
			peer_cred_free(pc);
			return -1;
		}
		pc->groups[pc->ngroups++] = id;
	}
	return 0;
}

/* ---- taking on the peer's identity --------------------------------------- */

int
peer_cred_enter(const struct peer_cred *pc, struct cred_saved *s, char *err,
    size_t errlen)
{
	int n;

	memset(s, 0, sizeof(*s));
	s->fsuid = (uid_t)setfsuid((uid_t)-1);	/* -1: ask, change nothing */
	s->fsgid = (gid_t)setfsgid((gid_t)-1);
	if ((n = getgroups(0, NULL)) == -1 ||
	    (s->groups = calloc((size_t)n + 1, sizeof(gid_t))) == NULL ||
	    (s->ngroups = getgroups(n, s->groups)) == -1) {
		snprintf(err, errlen, "getgroups: %s", strerror(errno));
		free(s->groups);
		s->groups = NULL;
		return -1;
	}
	if (setgroups(pc->ngroups, pc->groups) == -1) {
		snprintf(err, errlen, "setgroups: %s", strerror(errno));
		free(s->groups);
		s->groups = NULL;
		return -1;
	}
	s->active = true;
	/* setfsuid/setfsgid report no error: ask again to know. */
	setfsgid(pc->gid);
	if ((gid_t)setfsgid((gid_t)-1) != pc->gid) {
		snprintf(err, errlen, "setfsgid %u: refused", (unsigned)pc->gid);
		peer_cred_leave(s);
		return -1;
	}
	setfsuid(pc->uid);
	if ((uid_t)setfsuid((uid_t)-1) != pc->uid) {
		snprintf(err, errlen, "setfsuid %u: refused", (unsigned)pc->uid);
		peer_cred_leave(s);
		return -1;
	}
	return 0;
}

void
peer_cred_leave(struct cred_saved *s)
{
	if (!s->active)
		return;
	setfsuid(s->fsuid);
	if ((uid_t)setfsuid((uid_t)-1) != s->fsuid)
		fatalx("setfsuid %u: cannot go back", (unsigned)s->fsuid);
	setfsgid(s->fsgid);
	if ((gid_t)setfsgid((gid_t)-1) != s->fsgid)
		fatalx("setfsgid %u: cannot go back", (unsigned)s->fsgid);
	if (setgroups((size_t)s->ngroups, s->groups) == -1)
		fatal("setgroups: cannot go back");
	free(s->groups);
	memset(s, 0, sizeof(*s));
}
