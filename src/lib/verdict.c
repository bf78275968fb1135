/* verdict.c: see verdict.h. */
#include "verdict.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

static const char *const why_names[VERDICT_NR] = {
	[VERDICT_LINK] = "link",
	[VERDICT_ICC_ON] = "icc_on",
	[VERDICT_NO_LINK] = "no_link",
	[VERDICT_PENDING] = "pending",
	[VERDICT_NO_PORT] = "port_not_exposed",
	[VERDICT_BRIDGES] = "bridges_differ",
	[VERDICT_UNBOUND] = "unbound",
	[VERDICT_STOPPED] = "stopped",
};

const char *
verdict_why_name(enum verdict_why why)
{
	return (unsigned)why < VERDICT_NR ? why_names[why] : "?";
}

int
verdict_end_parse(const char *s, struct verdict_end *out, const char **why)
{
	struct verdict_end e = { 0 };

	if (inet_pton(AF_INET, s, &e.addr.v4) == 1)
		e.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &e.addr.v6) == 1)
		e.family = AF_INET6;
	else if (parse_name(s, why) == -1)
		return -1;
	else
		snprintf(e.name, sizeof(e.name), "%s", s);
	*out = e;
	return 0;
}

/* ---- resolving a side ---------------------------------------------------- */

struct holder_ctx {
	const struct verdict_end	*e;
	const struct icc_container	*hit;
};

static bool
holds(const struct icc_container *c, const struct verdict_end *e)
{
	if (!c->has_identity)
		return false;
	if (e->family == AF_INET)
		return c->ip4.s_addr == e->addr.v4.s_addr;
	return c->has_ip6 && memcmp(&c->ip6, &e->addr.v6,
	    sizeof(c->ip6)) == 0;
}

/* holder_cb: a running holder wins over a stopped one (which keeps its
 * address in the model until it is removed). */
static int
holder_cb(const struct icc_container *c, void *arg)
{
	struct holder_ctx *h = arg;

	if (!holds(c, h->e))
		return 0;
	if (c->running) {
		h->hit = c;
		return 1;
	}
	if (h->hit == NULL)
		h->hit = c;
	return 0;
}

static const struct icc_container *
resolve(const struct icc_model *m, const struct verdict_end *e)
{
	struct holder_ctx h = { e, NULL };

	if (e->family == 0)
		return model_find(m, e->name);
	model_foreach(m, holder_cb, &h);
	return h.hit;
}

static const char *
end_text(const struct verdict_end *e, char *buf, size_t len)
{
	if (e->family == 0)
		return e->name;
	return inet_ntop(e->family, &e->addr, buf, len);
}

/* ---- the verdict ------------------------------------------------------- */

static int __attribute__((format(printf, 4, 5)))
say(struct verdict *v, bool allowed, enum verdict_why why,
    const char *fmt, ...)
{
	va_list ap;

	v->allowed = allowed;
	v->why = why;
	va_start(ap, fmt);
	vsnprintf(v->line, sizeof(v->line), fmt, ap);
	va_end(ap);
	return 0;
}

/* the first link of f whose source is `source`, from index i on */
static const struct icc_link *
link_to(const struct icc_container *f, const char *source, size_t *i)
{
	for (; *i < f->nlinks; (*i)++)
		if (strcmp(f->links[*i].source, source) == 0)
			return &f->links[(*i)++];
	return NULL;
}

/* pending: a link of f to t that is not active, and why. */
static int
pending(const struct icc_container *f, const struct icc_container *t,
    const struct icc_link *l, struct verdict *v)
{
	const char *side, *name, *state;

	snprintf(v->alias, sizeof(v->alias), "%s", l->alias);
	if (t == NULL || !t->has_identity || !t->running ||
	    !f->has_identity || !f->running) {
		bool src = t == NULL || !t->has_identity || !t->running;
		const struct icc_container *c = src ? t : f;

		side = src ? "source" : "receiver";
		name = src ? l->source : f->name;
		state = c == NULL ? "is unknown to iccd" : !c->has_identity ?
		    "was never started" : "is stopped";
		return say(v, false, VERDICT_PENDING, "link %s -> %s alias %s "
		    "is pending: %s %s %s", f->name, l->source, l->alias,
		    side, name, state);
	}
	return say(v, false, VERDICT_BRIDGES, "link %s -> %s alias %s is "
	    "pending: %s is on %s, %s on %s (a link works within one bridge)",
	    f->name, l->source, l->alias, f->name, f->bridge, t->name,
	    t->bridge);
}

/* apart: no link; nothing a link could change stands in the way? */
static bool
apart(const struct icc_container *f, const struct icc_container *t,
    struct verdict *v)
{
	const struct icc_container *c;

	if (!f->has_identity || !t->has_identity) {
		c = f->has_identity ? t : f;
		say(v, false, VERDICT_UNBOUND, "%s was never started: it has "
		    "no address on a bridge (and no link from %s to %s)",
		    c->name, f->name, t->name);
		return true;
	}
	if (!f->running || !t->running) {
		c = f->running ? t : f;
		say(v, false, VERDICT_STOPPED, "%s is stopped (and there is "
		    "no link from %s to %s)", c->name, f->name, t->name);
		return true;
	}
	if (strcmp(f->bridge, t->bridge) != 0) {
		say(v, false, VERDICT_BRIDGES, "%s is on %s, %s on %s: iccd "
		    "rules only between containers of one bridge and links "
		    "none across bridges", f->name, f->bridge, t->name,
		    t->bridge);
		return true;
	}
	return false;
}

/* flow: the connection as an element of one port; false without v6. */
static bool
flow(const struct icc_container *f, const struct icc_container *t,
    int family, const struct icc_ports *p, struct verdict *v)
{
	struct icc_ports one = { p->first, p->first, p->proto };
	const struct icc_container *c;

	if (family == AF_INET) {
		elem_init4(&v->flow, f->ip4, t->ip4, &one);
	} else if (f->has_ip6 && t->has_ip6) {
		elem_init6(&v->flow, &f->ip6, &t->ip6, &one);
	} else {
		c = f->has_ip6 ? t : f;
		say(v, false, VERDICT_UNBOUND, "%s has no IPv6 address",
		    c->name);
		return false;
	}
	v->has_flow = true;
	return true;
}

static bool
covers(const struct icc_elem *e, const struct icc_elem *fl)
{
	return elem_same_flow(e, fl) && e->first <= fl->first &&
	    fl->first <= e->last;
}

/* exposed: "3306/tcp, 7000-7999/tcp" or "no port". */
static void
exposed(const struct icc_container *t, char *buf, size_t len)
{
	char one[32];
	size_t off = 0;

	snprintf(buf, len, "no port");
	for (size_t i = 0; i < t->nports && off < len; i++) {
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    ports_format(&t->ports[i], one, sizeof(one)));
	}
}

/* by_link: f links to t, both on one closed bridge: the port decides. */
static int
by_link(const struct icc_model *m, const struct icc_container *f,
    const struct icc_container *t, const struct icc_ports *p,
    struct verdict *v, char *err, size_t errlen)
{
	struct elemvec ev = { 0 };
	const struct icc_link *l, *first = NULL;
	char ebuf[ELEM_FMT_LEN], pbuf[32], list[160];
	size_t i = 0;

	while ((l = link_to(f, t->name, &i)) != NULL) {
		if (first == NULL)
			first = l;
		ev.n = 0;
		if (engine_link_elems(m, f, l, &ev) == -1) {
			elemvec_free(&ev);
			return errf(err, errlen, ENOMEM, "out of memory");
		}
		for (size_t j = 0; j < ev.n; j++) {
			if (!covers(&ev.v[j], &v->flow))
				continue;
			v->elem = ev.v[j];
			v->has_elem = true;
			snprintf(v->alias, sizeof(v->alias), "%s", l->alias);
			elemvec_free(&ev);
			return say(v, true, VERDICT_LINK, "allowed by link %s "
			    "-> %s alias %s: element %s %s", f->name, t->name,
			    l->alias, elem_set_name(elem_set(&v->elem)),
			    elem_format(&v->elem, ebuf, sizeof(ebuf)));
		}
	}
	elemvec_free(&ev);
	snprintf(v->alias, sizeof(v->alias), "%s", first->alias);
	exposed(t, list, sizeof(list));
	return say(v, false, VERDICT_NO_PORT, "link %s -> %s alias %s is "
	    "active, but %s does not expose %s (it exposes %s)", f->name,
	    t->name, first->alias, t->name, ports_format(&(struct icc_ports){
	    p->first, p->first, p->proto }, pbuf, sizeof(pbuf)), list);
}

/* no_link: one closed bridge, no link; a link the other way is named. */
static int
no_link(const struct icc_container *f, const struct icc_container *t,
    struct verdict *v)
{
	size_t i = 0;

	if (link_to(t, f->name, &i) != NULL)
		return say(v, false, VERDICT_NO_LINK, "no link from %s to %s "
		    "on closed bridge %s (%s links to %s: only %s may open "
		    "connections)", f->name, t->name, f->bridge, t->name,
		    f->name, t->name);
	return say(v, false, VERDICT_NO_LINK, "no link from %s to %s on "
	    "closed bridge %s", f->name, t->name, f->bridge);
}

static int
ends(const struct icc_model *m, const struct verdict_end *from,
    const struct verdict_end *to, const struct icc_container **f,
    const struct icc_container **t, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];

	if (from->family != 0 && to->family != 0 &&
	    from->family != to->family)
		return errf(err, errlen, EINVAL, "from, to: one IPv4 and one "
		    "IPv6 address");
	if ((*f = resolve(m, from)) == NULL)
		return errf(err, errlen, ENOENT, "from: no container %s %s",
		    from->family ? "holds" : "is called",
		    end_text(from, buf, sizeof(buf)));
	*t = resolve(m, to);
	if (*t == NULL && to->family != 0)
		return errf(err, errlen, ENOENT, "to: no container holds %s",
		    end_text(to, buf, sizeof(buf)));
	if (*t == *f)
		return errf(err, errlen, EINVAL, "from, to: both are %s",
		    (*f)->name);
	return 0;
}

int
verdict_check(const struct icc_model *m, const struct verdict_end *from,
    const struct verdict_end *to, const struct icc_ports *p,
    struct verdict *v, char *err, size_t errlen)
{
	const struct icc_container *f = NULL, *t = NULL;
	const struct icc_link *l;
	const struct icc_bridge *b;
	int family = from->family ? from->family : to->family ? to->family :
	    AF_INET;
	size_t i = 0;

	memset(v, 0, sizeof(*v));
	if (ends(m, from, to, &f, &t, err, errlen) == -1)
		return -1;
	snprintf(v->from, sizeof(v->from), "%s", f->name);
	snprintf(v->to, sizeof(v->to), "%s", t != NULL ? t->name : to->name);
	l = link_to(f, v->to, &i);
	if (t == NULL && l == NULL)
		return errf(err, errlen, ENOENT, "to: no container is called "
		    "%s", to->name);
	if (l != NULL && !link_active(m, f, l))
		return pending(f, t, l, v);
	if (l == NULL && apart(f, t, v))
		return 0;
	/* Both run on one bridge. */
	snprintf(v->bridge, sizeof(v->bridge), "%s", f->bridge);
	if (!flow(f, t, family, p, v))
		return 0;
	b = model_bridge(m, f->bridge);
	if (b != NULL ? b->icc : model_default_icc(m))
		return say(v, true, VERDICT_ICC_ON, "bridge %s has icc on: "
		    "everything between its containers passes", f->bridge);
	if (l == NULL)
		return no_link(f, t, v);
	return by_link(m, f, t, p, v, err, errlen);
}

/* ---- the kernel's word ------------------------------------------------ */

bool
verdict_confirm(const struct verdict *v, const struct verdict_kernel *kv,
    bool *kernel_allowed, char *line, size_t len)
{
	bool closed = v->why != VERDICT_ICC_ON;
	char a[ELEM_FMT_LEN], b[ELEM_FMT_LEN];

	line[0] = '\0';
	if (!v->has_flow) {
		*kernel_allowed = v->allowed;
		return true;
	}
	*kernel_allowed = !kv->closed || kv->found;
	if (closed != kv->closed) {
		snprintf(line, len, "disagreement: the model has bridge %s %s, "
		    "the kernel's closed set %s it", v->bridge, closed ?
		    "closed" : "open (icc on)", kv->closed ? "holds" : "lacks");
		return false;
	}
	if (!closed)
		return true;
	if (v->has_elem && !kv->found) {
		snprintf(line, len, "disagreement: the model allows it by "
		    "element %s %s, the kernel has no such element",
		    elem_set_name(elem_set(&v->elem)), elem_format(&v->elem, a,
		    sizeof(a)));
		return false;
	}
	if (!v->has_elem && kv->found) {
		snprintf(line, len, "disagreement: the model has no element "
		    "for it (%s), the kernel holds %s %s",
		    verdict_why_name(v->why), elem_set_name(elem_set(&kv->elem)),
		    elem_format(&kv->elem, a, sizeof(a)));
		return false;
	}
	if (v->has_elem && elem_cmp(&v->elem, &kv->elem) != 0) {
		snprintf(line, len, "disagreement: the model's element is %s "
		    "%s, the kernel's is %s %s",
		    elem_set_name(elem_set(&v->elem)), elem_format(&v->elem, a,
		    sizeof(a)), elem_set_name(elem_set(&kv->elem)),
		    elem_format(&kv->elem, b, sizeof(b)));
		return false;
	}
	return true;
}
