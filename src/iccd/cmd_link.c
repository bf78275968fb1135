/* cmd_link.c: the link and unlink commands. */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* replace_links: commit receiver `name` with its links changed by fn. */
static json_t *
replace_links(struct iccd *d, struct request *r,
    int (*fn)(struct icc_container *, const struct request *))
{
	const char *names[1] = { r->name };
	const struct icc_container *c = model_find(d->model, r->name);
	struct icc_container *nc;
	struct change ch;
	json_t *rep;

	if (c == NULL)
		return no_such(r->name);
	for (size_t i = 0; r->cmd == REQ_UNLINK && i < c->nlinks; i++)
		if (strcmp(c->links[i].alias, r->alias) == 0 &&
		    c->links[i].origin[0] != '\0')
			return reply_err("alias: \"%s\" is declared in %s: "
			    "change the rules file and reload", r->alias,
			    c->links[i].origin);
	if ((nc = container_dup(c)) == NULL)
		return reply_err("out of memory");
	if (fn(nc, r) == -1) {
		rep = errno == EEXIST ?
		    reply_err("alias: \"%s\" already links %s to another "
		    "source", r->alias, r->name) : errno == ENOENT ?
		    reply_err("alias: %s has no link \"%s\"", r->name,
		    r->alias) : reply_err("link: %s", strerror(errno));
		container_free(nc);
		return rep;
	}
	if (change_begin(d, &ch, names, 1) == -1 ||
	    model_put(d->model, nc) == -1) {
		container_free(nc);
		change_free(&ch);
		return reply_err("out of memory");
	}
	return change_reply(d, &ch);
}

static int
add_link_fn(struct icc_container *c, const struct request *r)
{
	return container_add_link(c, r->source, r->alias);
}

static int
del_link_fn(struct icc_container *c, const struct request *r)
{
	return container_del_link(c, r->alias);
}

json_t *
cmd_link(struct iccd *d, struct request *r)
{
	return replace_links(d, r, add_link_fn);
}

json_t *
cmd_unlink(struct iccd *d, struct request *r)
{
	return replace_links(d, r, del_link_fn);
}
