/* control.c: see control.h. */
#include "config.h"

#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

struct client {
	int		 fd;
	bool		 may_write;
	uid_t		 uid;
	pid_t		 pid;
	struct peer_cred cred;		/* for work done on its behalf */
	unsigned char	*rbuf;		/* header + payload being read */
	size_t		 rlen, rcap;
	json_t		*rep;		/* reply held until the round ends */
	char		*wbuf;		/* reply being written */
	size_t		 wlen, woff;
	bool		 closing;	/* drop once the reply is out */
	long long	 since;		/* start of the pending read/write,
					 * ms (CLOCK_MONOTONIC) */
};

struct control {
	int		 fd;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t		 group;
	control_handler	 fn;
	void		*arg;
	void		(*round)(void *);
	void		*round_arg;
	control_peer_fn	 peer_fn;
	void		*peer_arg;
	struct client	 clients[CONTROL_MAX_CLIENTS];
	size_t		 nclients;
	int		 slot[1 + CONTROL_MAX_CLIENTS];	/* pfd -> client */
};

/* now: CLOCK_MONOTONIC in milliseconds. */
static long long
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* socket_live: true when something accepts connections at path. */
static bool
socket_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd == -1)
		return false;
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return live;
}

static int
make_parent_dir(const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
bind_socket(struct control *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rv;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if (socket_live(&sun)) {
			errno = EADDRINUSE;
			return -1;
		}
		unlink(path);
	}
	/* The umask makes the socket 0660 from its first moment: no window
	 * in which others could connect before the chmod. */
	old = umask(0117);
	rv = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rv == -1)
		return -1;
	/* lchown, and no chmod: should someone swap the new socket for a
	 * symlink in between, root must not change the mode or group of
	 * whatever the link names. */
	if (lchown(path, 0, c->group == (gid_t)-1 ? 0 : c->group) == -1 &&
	    geteuid() == 0)
		return -1;
	if (lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    (st.st_mode & 07777) != 0660) {
		errno = EEXIST;
		return -1;
	}
	return 0;
}

static int peercred(int, uid_t *, gid_t *, pid_t *, void *);

struct control *
control_open(const char *path, gid_t group, control_handler fn, void *arg)
{
	struct control *c = calloc(1, sizeof(*c));
	int saved;

	if (c == NULL)
		return NULL;
	c->group = group;
	c->fn = fn;
	c->arg = arg;
	c->peer_fn = peercred;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || make_parent_dir(path) == -1 ||
	    bind_socket(c, path) == -1 || listen(c->fd, 64) == -1) {
		saved = errno;
		if (c->fd != -1)
			close(c->fd);
		free(c);
		errno = saved;
		return NULL;
	}
	return c;
}

void
control_on_round(struct control *c, void (*fn)(void *), void *arg)
{
	c->round = fn;
	c->round_arg = arg;
}

/* peercred: the default control_peer_fn (SO_PEERCRED). */
static int
peercred(int fd, uid_t *uid, gid_t *gid, pid_t *pid, void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	*uid = cred.uid;
	*gid = cred.gid;
	*pid = cred.pid;
	return 0;
}

void
control_set_peer(struct control *c, control_peer_fn fn, void *arg)
{
	c->peer_fn = fn;
	c->peer_arg = arg;
}

static void
client_drop(struct control *c, size_t i)
{
	struct client *cl = &c->clients[i];

	json_decref(cl->rep);
	close(cl->fd);
	peer_cred_free(&cl->cred);
	free(cl->rbuf);
	free(cl->wbuf);
	c->clients[i] = c->clients[--c->nclients];
	memset(&c->clients[c->nclients], 0, sizeof(struct client));
}

void
control_close(struct control *c)
{
	if (c == NULL)
		return;
	while (c->nclients > 0)
		client_drop(c, c->nclients - 1);
	close(c->fd);
	unlink(c->path);
	free(c);
}

size_t
control_clients(const struct control *c)
{
	return c->nclients;
}

/* peer_in_group: the peer's supplementary groups include c->group. */
static bool
peer_in_group(const struct control *c, const struct peer_cred *pc)
{
	for (size_t i = 0; i < pc->ngroups; i++)
		if (pc->groups[i] == c->group)
			return true;
	return false;
}

/* readers: clients that may only read. */
static size_t
readers(const struct control *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nclients; i++)
		n += !c->clients[i].may_write;
	return n;
}

/* uid_clients: connections of uid. */
static size_t
uid_clients(const struct control *c, uid_t uid)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nclients; i++)
		n += c->clients[i].uid == uid;
	return n;
}

/*
 * buffered: bytes held for the clients of uid (all uids but root when
 * uid is (uid_t)-1): their read buffers and unsent replies.
 */
static size_t
buffered(const struct control *c, uid_t uid)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nclients; i++) {
		const struct client *cl = &c->clients[i];

		if (uid == (uid_t)-1 ? cl->uid != 0 : cl->uid == uid)
			n += cl->rcap + cl->wlen;
	}
	return n;
}

/*
 * refuse: tell a peer not taken on why, in one reply frame, and close.
 * The socket is new and its buffer empty: the send does not block.
 */
static void
refuse(int fd, pid_t pid, uid_t uid, const char *why)
{
	struct ctl_hdr h;
	char msg[160], frame[sizeof(h) + 200];
	int len;

	log_warnx("control: client pid %ld uid %lu refused: %s", (long)pid,
	    (unsigned long)uid, why);
	snprintf(msg, sizeof(msg), "control: %s", why);
	len = snprintf(frame + sizeof(h), sizeof(frame) - sizeof(h),
	    "{\"ok\":false,\"error\":\"%s\"}", msg);
	h.len = htonl((uint32_t)len);
	h.version = htons(CTL_VERSION);
	h.type = htons(CTL_REPLY);
	memcpy(frame, &h, sizeof(h));
	(void)send(fd, frame, sizeof(h) + len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* admit_client: why a new peer may not have a slot, or NULL. */
static const char *
admit_client(const struct control *c, uid_t uid, bool may_write, char *buf,
    size_t len)
{
	if (uid == 0)
		return NULL;
	if (c->nclients >= CONTROL_MAX_CLIENTS - CONTROL_ROOT_RESERVED)
		return "too many clients (the last slots are root's)";
	/* Read-only peers may not fill every slot: the last ones stay free
	 * for root and the group, who change state. */
	if (!may_write && readers(c) >= CONTROL_MAX_CLIENTS -
	    CONTROL_RESERVED)
		return "too many read-only clients";
	if (uid_clients(c, uid) >= CONTROL_UID_CLIENTS) {
		snprintf(buf, len, "uid %lu already holds %d connections (the "
		    "limit)", (unsigned long)uid, CONTROL_UID_CLIENTS);
		return buf;
	}
	return NULL;
}

/* client_accept: take one connection off the listening socket (kept or
 * refused).  Returns false when there was none to take. */
static bool
client_accept(struct control *c)
{
	struct peer_cred pc = { 0 };
	struct client *cl;
	const char *why;
	char buf[96];
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool may_write;
	int fd;

	fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: accept", __func__);
		return false;
	}
	/* uid, gid and pid from peer_fn (tests give other uids); the
	 * supplementary groups always from the socket. */
	if (c->nclients == CONTROL_MAX_CLIENTS ||
	    c->peer_fn(fd, &uid, &gid, &pid, c->peer_arg) == -1 ||
	    peer_cred_get(fd, &pc) == -1) {
		log_warnx("%s: client refused (%s)", __func__,
		    c->nclients == CONTROL_MAX_CLIENTS ? "too many clients" :
		    "no peer credentials");
		close(fd);
		return true;
	}
	pc.uid = uid;
	pc.gid = gid;
	may_write = uid == 0 || (c->group != (gid_t)-1 &&
	    (gid == c->group || peer_in_group(c, &pc)));
	if ((why = admit_client(c, uid, may_write, buf, sizeof(buf))) !=
	    NULL) {
		peer_cred_free(&pc);
		refuse(fd, pid, uid, why);
		return true;
	}
	cl = &c->clients[c->nclients++];
	memset(cl, 0, sizeof(*cl));
	cl->fd = fd;
	cl->uid = uid;
	cl->pid = pid;
	cl->cred = pc;
	cl->may_write = may_write;
	cl->since = now();
	return true;
}

/* client_reply: serialise rep (consumed) as a reply frame for writing. */
static void
client_reply(struct client *cl, json_t *rep)
{
	struct ctl_hdr h;
	char *payload = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
	size_t plen;

	json_decref(rep);
	if (payload == NULL) {
		cl->closing = true;
		return;
	}
	plen = strlen(payload);
	if ((cl->wbuf = malloc(sizeof(h) + plen)) == NULL) {
		free(payload);
		cl->closing = true;
		return;
	}
	h.len = htonl((uint32_t)plen);
	h.version = htons(CTL_VERSION);
	h.type = htons(CTL_REPLY);
	memcpy(cl->wbuf, &h, sizeof(h));
	memcpy(cl->wbuf + sizeof(h), payload, plen);
	free(payload);
	cl->wlen = sizeof(h) + plen;
	cl->woff = 0;
	cl->since = now();
}

static void
client_error(struct client *cl, const char *msg)
{
	log_warnx("control: client pid %ld: %s", (long)cl->pid, msg);
	client_reply(cl, json_pack("{s:b,s:s}", "ok", 0, "error", msg));
	cl->closing = true;
}

/* client_request: a whole frame is in rbuf: decode, answer, reset. */
static void
client_request(struct control *c, struct client *cl, size_t plen)
{
	json_error_t jerr;
	json_t *req, *rep;

	req = json_loadb((const char *)cl->rbuf + sizeof(struct ctl_hdr), plen,
	    JSON_REJECT_DUPLICATES, &jerr);
	cl->rlen = 0;
	if (req == NULL || !json_is_object(req) ||
	    memchr(cl->rbuf + sizeof(struct ctl_hdr), '\0', plen) != NULL) {
		json_decref(req);
		client_error(cl, "request: malformed JSON");
		return;
	}
	rep = c->fn(req, cl->may_write, &cl->cred, c->arg);
	json_decref(req);
	/* A big frame's buffer goes back: it counts against the peer's
	 * limit (CONTROL_UID_BYTES) only while a frame needs it. */
	if (cl->rcap > 65536) {
		free(cl->rbuf);
		cl->rbuf = NULL;
		cl->rcap = 0;
	}
	/* Held: serialised once the round's changes are durable. */
	cl->rep = rep != NULL ? rep : json_null();
}

/* client_need: bytes wanted before the next step, growing rbuf. */
static long
client_need(struct client *cl)
{
	long plen;

	if (cl->rlen < sizeof(struct ctl_hdr))
		return (long)sizeof(struct ctl_hdr);
	plen = ctl_frame_check((const struct ctl_hdr *)cl->rbuf, CTL_REQUEST,
	    ICC_REQ_MAX);
	if (plen < 0)
		return -1;
	return (long)sizeof(struct ctl_hdr) + plen;
}

/*
 * over_limit: growing cl's read buffer to want bytes would put its uid
 * over CONTROL_UID_BYTES or all peers but root over CONTROL_BYTES.
 */
static const char *
over_limit(const struct control *c, const struct client *cl, size_t want)
{
	size_t more = want - cl->rcap;

	if (cl->uid == 0)
		return NULL;
	if (buffered(c, cl->uid) + more > CONTROL_UID_BYTES)
		return "request: over the buffer limit of one user (4 MiB)";
	if (buffered(c, (uid_t)-1) + more > CONTROL_BYTES)
		return "request: over the buffer limit of all users (32 MiB)";
	return NULL;
}

static int
rbuf_reserve(struct control *c, struct client *cl, size_t want)
{
	unsigned char *nb;
	const char *why;

	if (cl->rlen < cl->rcap)
		return 0;	/* room left for the next read */
	if (want > cl->rlen + 65536)
		want = cl->rlen + 65536;
	if ((why = over_limit(c, cl, want)) != NULL) {
		client_error(cl, why);
		return 1;
	}
	if ((nb = realloc(cl->rbuf, want)) == NULL)
		return -1;
	cl->rbuf = nb;
	cl->rcap = want;
	return 0;
}

/* client_read: read what is there; returns -1 when the client must go. */
static int
client_read(struct control *c, struct client *cl)
{
	long need;
	ssize_t n;
	int rv;

	for (;;) {
		if ((need = client_need(cl)) < 0) {
			client_error(cl, errno == EMSGSIZE ?
			    "request: too large" : "request: bad frame header");
			return 0;
		}
		if (cl->rlen == (size_t)need && need > (long)sizeof(struct
		    ctl_hdr)) {
			client_request(c, cl, need - sizeof(struct ctl_hdr));
			return 0;	/* one request at a time */
		}
		if ((rv = rbuf_reserve(c, cl, need)) != 0)
			return rv == -1 ? -1 : 0;
		/* Memory follows the bytes that came, not the length a
		 * header claims: 256 clients each announcing ICC_REQ_MAX
		 * and sending nothing must not cost 512 MiB. */
		n = read(cl->fd, cl->rbuf + cl->rlen, MIN(cl->rcap,
		    (size_t)need) - cl->rlen);	/* never past this frame */
		if (n == 0)
			return -1;
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (cl->rlen == 0)
			cl->since = now();
		cl->rlen += n;
		if (cl->rlen == sizeof(struct ctl_hdr) &&
		    client_need(cl) == (long)sizeof(struct ctl_hdr)) {
			client_error(cl, "request: empty payload");
			return 0;
		}
	}
}

static int
client_write(struct client *cl)
{
	ssize_t n;

	while (cl->woff < cl->wlen) {
		/* MSG_NOSIGNAL: a client gone before its reply costs EPIPE,
		 * never a SIGPIPE to whoever embeds this (iccd ignores it;
		 * a test runner or another embedder may not). */
		n = send(cl->fd, cl->wbuf + cl->woff, cl->wlen - cl->woff,
		    MSG_NOSIGNAL);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		cl->woff += n;
	}
	free(cl->wbuf);
	cl->wbuf = NULL;
	cl->wlen = cl->woff = 0;
	cl->since = now();
	return cl->closing ? -1 : 0;
}

size_t
control_pollfds(struct control *c, struct pollfd *pfd)
{
	size_t n = 0;

	pfd[n].fd = c->fd;
	pfd[n].events = c->nclients < CONTROL_MAX_CLIENTS ? POLLIN : 0;
	c->slot[n++] = -1;
	for (size_t i = 0; i < c->nclients; i++) {
		pfd[n].fd = c->clients[i].fd;
		pfd[n].events = c->clients[i].wbuf ? POLLOUT : POLLIN;
		c->slot[n++] = (int)i;
	}
	return n;
}

static bool
client_timed_out(const struct client *cl, long long t)
{
	/* One not reading its reply goes after CONTROL_TIMEOUT; one stuck
	 * inside a frame after CONTROL_FRAME_TIMEOUT (a whole frame takes
	 * milliseconds: a peer that trickles it holds memory and a slot);
	 * an idle one between requests after CONTROL_IDLE_TIMEOUT, so idle
	 * peers cannot hold every slot. */
	if (cl->wbuf != NULL)
		return t - cl->since >= CONTROL_TIMEOUT * 1000LL;
	if (cl->rlen > 0)
		return t - cl->since >= CONTROL_FRAME_TIMEOUT * 1000LL;
	return t - cl->since >= CONTROL_IDLE_TIMEOUT * 1000LL;
}

/* client_step: one client's poll result: write, or read and answer into
 * cl->rep.  -1: drop it. */
static int
client_step(struct control *c, struct client *cl, short revents)
{
	if (revents & (POLLERR | POLLNVAL))
		return -1;
	if (revents & POLLOUT)
		return client_write(cl);
	if (revents & (POLLIN | POLLHUP))
		return client_read(c, cl);
	return 0;
}

void
control_dispatch(struct control *c, const struct pollfd *pfd, size_t n)
{
	long long t = now();
	bool drop[CONTROL_MAX_CLIENTS] = { false };
	size_t nclients = c->nclients, held = 0;

	for (size_t i = 1; i < n; i++) {
		struct client *cl = &c->clients[c->slot[i]];

		if (client_step(c, cl, pfd[i].revents) == -1)
			drop[c->slot[i]] = true;
		held += cl->rep != NULL;
	}
	if (held > 0 && c->round != NULL)
		c->round(c->round_arg);
	for (size_t i = 1; i < n; i++) {
		struct client *cl = &c->clients[c->slot[i]];
		int rv = 0;

		if (cl->rep != NULL) {
			json_t *rep = cl->rep;

			/* json_null: the handler had no reply (out of
			 * memory): client_reply then closes the client. */
			cl->rep = NULL;
			client_reply(cl, json_is_null(rep) ? NULL : rep);
		}
		if (!drop[c->slot[i]] && cl->wbuf != NULL)
			rv = client_write(cl);	/* answer at once if it fits */
		if (rv == -1 || client_timed_out(cl, t))
			drop[c->slot[i]] = true;
	}
	for (size_t i = nclients; i-- > 0;)
		if (drop[i])
			client_drop(c, i);
	/* Several per round (bounded: a flood of connections must not keep
	 * the loop from the clients it has), so that clients connecting
	 * together are read in one round: one kernel transaction. */
	for (int i = 0; n > 0 && (pfd[0].revents & POLLIN) &&
	    i < CONTROL_ACCEPT_ROUND; i++)
		if (!client_accept(c))
			break;
}
