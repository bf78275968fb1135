/*
 * portlost.c: a running container whose bridge port (its host-side veth)
 * no longer exists is gone: its network namespace went away (the kernel
 * deletes both ends of a veth with it), whatever became of its stop: a
 * lost poststop or CNI DEL, a start that failed after the declaration
 * (`podman run` of a command that does not exist), a crashed runtime.
 * iccd stops it itself, logs it and counts it (status: ports_lost).  The
 * events come from portwatch.c (rtnetlink); this half is pure model work
 * on the change path, so the unit tests drive it.
 */
#include "daemon_int.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "round.h"

/* The running containers whose port is one being looked at. */
struct lost {
	const char	*port;		/* one name, or NULL: ask exists() */
	bool		(*exists)(const char *ifname, void *arg);
	void		*arg;
	struct strvec	 names;
};

static int
lost_cb(const struct icc_container *c, void *arg)
{
	struct lost *l = arg;

	if (!c->running || c->port[0] == '\0')
		return 0;
	if (l->port != NULL ? strcmp(c->port, l->port) != 0 :
	    l->exists(c->port, l->arg))
		return 0;
	return strvec_push(&l->names, c->name);
}

/* stop_lost: stop name, whose port went away, on the change path. */
static void
stop_lost(struct iccd *d, const char *name)
{
	const char *names[1] = { name };
	const struct icc_container *c = model_find(d->model, name);
	char err[ERRLEN], port[ICC_IFNAME_MAX + 1];
	struct change ch;

	if (c == NULL || !c->running)
		return;
	snprintf(port, sizeof(port), "%s", c->port);
	if (change_begin(d, &ch, names, 1) == -1 ||
	    model_set_running(d->model, name, false) == -1) {
		change_free(&ch);
		log_warnx("%s: its port %s is gone, but stopping it: out of "
		    "memory", name, port);
		return;
	}
	if (change_apply(d, &ch, err, sizeof(err)) == -1)
		log_warnx("%s: its port %s is gone, but stopping it failed: "
		    "%s", name, port, err);
	else {
		d->ports_lost++;
		log_info("%s: its port %s is gone (its network namespace "
		    "went away): stopped", name, port);
	}
	change_free(&ch);
}

static void
stop_all_lost(struct iccd *d, struct lost *l)
{
	if (model_foreach(d->model, lost_cb, l) == -1)
		log_warnx("%s: out of memory", __func__);
	for (size_t i = 0; i < l->names.n; i++)
		stop_lost(d, l->names.v[i]);
	strvec_free(&l->names);
}

void
daemon_port_gone(struct iccd *d, const char *ifname)
{
	struct lost l = { .port = ifname };

	round_flush(d);
	stop_all_lost(d, &l);
}

void
daemon_ports_check(struct iccd *d, bool (*exists)(const char *, void *),
    void *arg)
{
	struct lost l = { .exists = exists, .arg = arg };

	round_flush(d);
	stop_all_lost(d, &l);
}
