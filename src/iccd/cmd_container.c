/* cmd_container.c: the start, stop and rm commands (takeover included). */
#include "daemon_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "log.h"
#include "round.h"

static bool
addr_taken(const struct icc_container *holder, const char *name)
{
	return holder != NULL && strcmp(holder->name, name) != 0;
}

/* note_took: add "took ADDR over from NAME, now stopped" to note. */
static void
note_took(char *note, size_t len, int af, const void *addr, const char *name)
{
	char a[INET6_ADDRSTRLEN];
	size_t n = strlen(note);

	inet_ntop(af, addr, a, sizeof(a));
	snprintf(note + n, len - n, "%stook %s over from %s, now stopped",
	    n > 0 ? "; " : "", a, name);
}

/* takeover: a start claims addresses another running container holds
 * (its stop event was lost): that container stops in this transaction.
 * note (len bytes) says so, for the client. */
static int
takeover(struct iccd *d, struct change *ch, const struct icc_container *c,
    char *note, size_t len)
{
	struct icc_container *h4, *h6 = NULL;

	h4 = model_holder4(d->model, c->bridge, c->ip4);
	if (c->has_ip6)
		h6 = model_holder6(d->model, c->bridge, &c->ip6);
	if (addr_taken(h4, c->name))
		note_took(note, len, AF_INET, &c->ip4, h4->name);
	if (addr_taken(h6, c->name))
		note_took(note, len, AF_INET6, &c->ip6, h6->name);
	if (addr_taken(h4, c->name)) {
		log_info("%s takes over %s's address on %s; %s is now stopped",
		    c->name, h4->name, c->bridge, h4->name);
		if (change_touch(d, ch, h4->name) == -1 ||
		    model_set_running(d->model, h4->name, false) == -1)
			return -1;
	}
	if (addr_taken(h6, c->name) && h6 != h4) {
		log_info("%s takes over %s's IPv6 address on %s; %s is now "
		    "stopped", c->name, h6->name, c->bridge, h6->name);
		if (change_touch(d, ch, h6->name) == -1 ||
		    model_set_running(d->model, h6->name, false) == -1)
			return -1;
	}
	return 0;
}

json_t *
cmd_start(struct iccd *d, struct request *r)
{
	const char *names[1] = { r->name };
	char err[ERRLEN], note[ERRLEN] = "";
	struct change ch;
	json_t *rep;

	if (merge_files(&d->rules, r->c, err, sizeof(err)) == -1 ||
	    (!d->no_port_check &&
	    binding_check_port(r->c, err, sizeof(err)) == -1))
		return reply_err("%s", err);
	if (admit_start(d->model, r->c, err, sizeof(err)) == -1) {
		log_warnx("start of %s refused: %s", r->name, err);
		return reply_err("%s", err);
	}
	if (change_begin(d, &ch, names, 1) == -1)
		goto nomem;
	if (takeover(d, &ch, r->c, note, sizeof(note)) == -1) {
		change_abort(d, &ch);
		goto nomem;
	}
	if (model_put(d->model, r->c) == -1) {
		change_abort(d, &ch);
		goto nomem;
	}
	r->c = NULL;			/* the model owns it now */
	rep = change_reply(d, &ch);
	/* A takeover is news to the client: the old holder stopped. */
	if (note[0] != '\0' && rep != NULL &&
	    json_is_true(json_object_get(rep, "ok")))
		json_object_set_new(rep, "note", json_string(note));
	return rep;
nomem:
	change_free(&ch);
	return reply_err("out of memory");
}


json_t *
cmd_stop(struct iccd *d, struct request *r)
{
	const char *names[1] = { r->name };
	const struct icc_container *c = model_find(d->model, r->name);
	struct change ch;

	if (c == NULL)
		return no_such(r->name);
	if (!c->running)
		return reply_ok();
	if (change_begin(d, &ch, names, 1) == -1 ||
	    model_set_running(d->model, r->name, false) == -1) {
		change_free(&ch);
		return reply_err("out of memory");
	}
	return change_reply(d, &ch);
}

json_t *
cmd_rm(struct iccd *d, struct request *r)
{
	const char *names[1] = { r->name };
	char err[ERRLEN];
	struct change ch;
	json_t *rep;

	if (model_find(d->model, r->name) == NULL)
		return no_such(r->name);
	if (change_begin(d, &ch, names, 1) == -1) {
		change_free(&ch);
		return reply_err("out of memory");
	}
	container_free(model_take(d->model, r->name));
	if (rules_declare(&d->rules, r->name)) {
		/* rm forgets what events declared; the files still speak. */
		struct icc_container *nc = declared_only(&d->rules, r->name,
		    err, sizeof(err));

		if (nc == NULL || model_put(d->model, nc) == -1) {
			container_free(nc);
			change_abort(d, &ch);
			change_free(&ch);
			return reply_err("out of memory");
		}
	}
	if (change_apply(d, &ch, err, sizeof(err)) == -1)
		rep = reply_err("%s", err);
	else {
		/* The file was that container's: a runtime removes it with
		 * the container, even when rules files still declare it. */
		round_forget_hosts(d, r->name);
		rep = reply_ok();
	}
	change_free(&ch);
	return rep;
}
