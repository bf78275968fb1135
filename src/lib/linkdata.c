/*
 * linkdata.c: see linkdata.h.
 *
 * link_env is a statement-by-statement port of moby's daemon/links/links.go
 * (Link.ToEnv and withTCPPriority, 2025 and later); comments quote it where
 * the order of the output depends on a detail of the Go code.
 */
#include "linkdata.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- link environment ------------------------------------------------ */

/*
 * The protocols in the order withTCPPriority sorts them: "tcp" first, the
 * others by cmp.Compare of their names, so sctp before udp.  parse_ports
 * accepts no other protocol.
 */
static const struct {
	uint8_t		 proto;
	const char	*lower, *upper;
} protos[] = {
	{ IPPROTO_TCP,	"tcp",	"TCP" },
	{ IPPROTO_SCTP,	"sctp",	"SCTP" },
	{ IPPROTO_UDP,	"udp",	"UDP" },
};
#define NPROTOS		(sizeof(protos) / sizeof(protos[0]))
#define PORT_WORDS	(65536 / 64)

/* One exposed port: a number and an index into protos[]. */
struct lport {
	uint16_t	num;
	uint8_t		pi;
};

static int
proto_index(uint8_t proto)
{
	for (size_t i = 0; i < NPROTOS; i++)
		if (protos[i].proto == proto)
			return (int)i;
	return -1;
}

/*
 * ports_sorted: the single ports of ports[], without duplicates, in
 * withTCPPriority order.  Docker keeps exposed ports in a map (PortSet), so
 * "80/tcp" exposed twice, or two overlapping ranges, give each port once;
 * a bitmap per protocol does the same and sorts at the same time.
 * Returns the count (maybe 0), or -1 with errno ENOMEM.
 */
static ssize_t
ports_sorted(const struct icc_ports *ports, size_t nports,
    struct lport **out)
{
	uint64_t	(*set)[PORT_WORDS];
	struct lport	 *v;
	uint64_t	  bits;
	size_t		  n = 0, k = 0;
	uint32_t	  num;
	int		  pi;

	if ((set = calloc(NPROTOS, sizeof(*set))) == NULL)
		return -1;
	for (size_t i = 0; i < nports; i++) {
		if ((pi = proto_index(ports[i].proto)) == -1)
			continue;
		for (num = ports[i].first; num <= ports[i].last; num++)
			set[pi][num / 64] |= UINT64_C(1) << (num % 64);
	}
	for (pi = 0; pi < (int)NPROTOS; pi++)
		for (size_t w = 0; w < PORT_WORDS; w++)
			n += (size_t)__builtin_popcountll(set[pi][w]);
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL) {
		free(set);
		return -1;
	}
	for (pi = 0; pi < (int)NPROTOS; pi++) {
		for (size_t w = 0; w < PORT_WORDS; w++) {
			for (bits = set[pi][w]; bits != 0; bits &= bits - 1) {
				num = (uint32_t)(w * 64) +
				    (uint32_t)__builtin_ctzll(bits);
				v[k++] = (struct lport){ (uint16_t)num,
				    (uint8_t)pi };
			}
		}
	}
	free(set);
	*out = v;
	return (ssize_t)n;
}

/* The four variables every port gets, "in range" or not. */
static int
env_port(struct strvec *out, const char *a, const char *ip, struct lport p)
{
	const char *lo = protos[p.pi].lower, *up = protos[p.pi].upper;

	if (strvec_pushf(out, "%s_PORT_%u_%s=%s://%s:%u", a, p.num, up, lo,
	    ip, p.num) == -1 ||
	    strvec_pushf(out, "%s_PORT_%u_%s_ADDR=%s", a, p.num, up,
	    ip) == -1 ||
	    strvec_pushf(out, "%s_PORT_%u_%s_PORT=%u", a, p.num, up,
	    p.num) == -1 ||
	    strvec_pushf(out, "%s_PORT_%u_%s_PROTO=%s", a, p.num, up, lo) == -1)
		return -1;
	return 0;
}

/* The four variables of a run start..end, named after its start. */
static int
env_range(struct strvec *out, const char *a, const char *ip,
    struct lport s, struct lport e)
{
	const char *up = protos[s.pi].upper;

	if (strvec_pushf(out, "%s_PORT_%u_%s_START=%s://%s:%u", a, s.num, up,
	    protos[s.pi].lower, ip, s.num) == -1 ||
	    strvec_pushf(out, "%s_PORT_%u_%s_PORT_START=%u", a, s.num, up,
	    s.num) == -1 ||
	    strvec_pushf(out, "%s_PORT_%u_%s_END=%s://%s:%u", a, s.num, up,
	    protos[e.pi].lower, ip, e.num) == -1 ||
	    strvec_pushf(out, "%s_PORT_%u_%s_PORT_END=%u", a, s.num, up,
	    e.num) == -1)
		return -1;
	return 0;
}

/*
 * env_ports: the port part of ToEnv, kept in the Go loop's shape because
 * the output order comes from it: a run's _START/_END variables are
 * appended when the run is found to have ended, that is after the
 * variables of the first port that does not extend it, or right after its
 * own last port when that port is the last of all.
 */
static int
env_ports(struct strvec *out, const char *a, const char *ip,
    const struct lport *p, size_t n)
{
	struct lport start = { 0, 0 }, end = { 0, 0 };

	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			start = end = p[i];
			if (strvec_pushf(out, "%s_PORT=%s://%s:%u", a,
			    protos[p[i].pi].lower, ip, p[i].num) == -1)
				return -1;
		}
		if (env_port(out, a, ip, p[i]) == -1)
			return -1;
		/* "if p.Num() == pEnd.Num()+1 && p.Proto() == pEnd.Proto()" */
		if (p[i].num == end.num + 1 && p[i].pi == end.pi) {
			end = p[i];
			if (i < n - 1)
				continue;
		}
		if ((end.num != start.num || end.pi != start.pi) &&
		    env_range(out, a, ip, start, end) == -1)
			return -1;
		start = end = p[i];
	}
	return 0;
}

/*
 * env_prefix: the alias as ToEnv turns it into a variable prefix:
 * strings.ReplaceAll(strings.ToUpper(n), "-", "_").  Dots and underscores
 * stay.  Names are ASCII (parse_name), so ASCII upper-casing is
 * strings.ToUpper here, whatever the locale.
 */
static char *
env_prefix(const char *alias)
{
	char *a, *s;

	if ((a = strdup(alias)) == NULL)
		return NULL;
	for (s = a; *s != '\0'; s++) {
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		else if (*s == '-')
			*s = '_';
	}
	return a;
}

/*
 * env_source: "<P>_ENV_KEY=VALUE" for each entry, in order.  As ToEnv:
 * entries without '=' are skipped, and so are HOME and PATH (exact,
 * case-sensitive keys).  The value is everything after the first '='.
 */
static int
env_source(struct strvec *out, const char *a, char *const *env, size_t nenv)
{
	const char	*eq;
	size_t		 klen;

	for (size_t i = 0; i < nenv; i++) {
		if ((eq = strchr(env[i], '=')) == NULL)
			continue;
		klen = (size_t)(eq - env[i]);
		if ((klen == 4 && strncmp(env[i], "HOME", 4) == 0) ||
		    (klen == 4 && strncmp(env[i], "PATH", 4) == 0))
			continue;
		if (strvec_pushf(out, "%s_ENV_%s", a, env[i]) == -1)
			return -1;
	}
	return 0;
}

int
link_env(const char *receiver, const char *alias, struct in_addr ip,
    const struct icc_ports *ports, size_t nports, char *const *env,
    size_t nenv, struct strvec *out)
{
	char		 addr[INET_ADDRSTRLEN], *a;
	struct lport	*p = NULL;
	ssize_t		 n;
	size_t		 n0 = out->n;
	int		 rv = -1;

	if (inet_ntop(AF_INET, &ip, addr, sizeof(addr)) == NULL)
		return -1;
	if ((a = env_prefix(alias)) == NULL)
		goto out;
	if ((n = ports_sorted(ports, nports, &p)) == -1)
		goto out;
	if (env_ports(out, a, addr, p, (size_t)n) == -1)
		goto out;
	/* l.Name is Docker's "/<receiver>/<alias>", alias case kept. */
	if (strvec_pushf(out, "%s_NAME=/%s/%s", a, receiver, alias) == -1)
		goto out;
	if (env_source(out, a, env, nenv) == -1)
		goto out;
	rv = 0;
out:
	if (rv == -1) {
		strvec_cut(out, n0);
		errno = ENOMEM;
	}
	free(p);
	free(a);
	return rv;
}

/*
 * env_link: whether l gives r variables: an active link; for a receiver
 * that never started (declared by a rules file), a link whose source
 * runs, since its variables are wanted before it is created (a runtime's
 * --env-file: env cannot be added to a container afterwards).
 */
static bool
env_link(const struct icc_model *m, const struct icc_container *r,
    const struct icc_link *l)
{
	const struct icc_container *s = model_find(m, l->source);

	if (s == NULL || s == r)
		return false;
	if (!r->has_identity)
		return s->running;
	return link_active(m, r, l);
}

int
linkdata_env(const struct icc_model *m, const struct icc_container *r,
    const char *only, struct strvec *out)
{
	const struct icc_link		*l;
	const struct icc_container	*s;
	size_t				 n0 = out->n;
	bool				 found = false;

	for (size_t i = 0; i < r->nlinks; i++) {
		l = &r->links[i];
		if (only != NULL && strcmp(l->alias, only) != 0)
			continue;
		found = true;
		if (!env_link(m, r, l))
			continue;
		s = model_find(m, l->source);
		if (link_env(r->name, l->alias, s->ip4, s->ports, s->nports,
		    s->env, s->nenv, out) == -1) {
			strvec_cut(out, n0);
			errno = ENOMEM;
			return -1;
		}
	}
	if (only != NULL && !found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* ---- hosts lines ---------------------------------------------------- */

/*
 * hosts_link: the lines of one link, as Docker's buildSandboxOptions:
 * alias, hostname, and the source's name unless it equals the alias; an
 * IPv4 line, then an IPv6 one when the source has such an address.
 * 0.0.0.0 means "no address" (parse_ipv4 never accepts it), as an empty
 * IPAddress does in Docker.
 */
static int
hosts_link(struct strvec *out, const struct icc_link *l,
    const struct icc_container *s)
{
	char		 addr[INET6_ADDRSTRLEN];
	const char	*hsep = s->hostname[0] != '\0' ? " " : "";
	bool		 same = strcmp(s->name, l->alias) == 0;

	if (s->ip4.s_addr != INADDR_ANY &&
	    (inet_ntop(AF_INET, &s->ip4, addr, sizeof(addr)) == NULL ||
	    strvec_pushf(out, "%s\t%s%s%s%s%s", addr, l->alias, hsep,
	    s->hostname, same ? "" : " ", same ? "" : s->name) == -1))
		return -1;
	if (s->has_ip6 &&
	    (inet_ntop(AF_INET6, &s->ip6, addr, sizeof(addr)) == NULL ||
	    strvec_pushf(out, "%s\t%s%s%s%s%s", addr, l->alias, hsep,
	    s->hostname, same ? "" : " ", same ? "" : s->name) == -1))
		return -1;
	return 0;
}

int
linkdata_hosts(const struct icc_model *m, const struct icc_container *r,
    struct strvec *out)
{
	const struct icc_container	*s;
	size_t				 n0 = out->n;

	for (size_t i = 0; i < r->nlinks; i++) {
		if (!link_active(m, r, &r->links[i]) ||
		    (s = model_find(m, r->links[i].source)) == NULL)
			continue;
		if (hosts_link(out, &r->links[i], s) == -1) {
			strvec_cut(out, n0);
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

/* ---- hosts file ----------------------------------------------------- */

struct buf {
	char	*p;
	size_t	 len, cap;
};

static int
buf_add(struct buf *b, const void *p, size_t len)
{
	char	*q;
	size_t	 cap;

	if (len > b->cap - b->len) {
		if (len > SIZE_MAX / 2 - b->len) {
			errno = ENOMEM;
			return -1;
		}
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len < len)
			cap *= 2;
		if ((q = realloc(b->p, cap)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		b->p = q;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A field ends at white space or at '#', which starts a comment (hosts(5)). */
static const char *
field_end(const char *s, const char *end)
{
	while (s < end && !is_blank(*s) && *s != '#')
		s++;
	return s;
}

static const char *
blanks_end(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	return s;
}

/*
 * line_owned: whether the line's first name (the field after the address)
 * is exactly one of owned[]: "api" owns "10.0.0.9\tapi x" but neither
 * "10.0.0.9\tapi2" nor "10.0.0.9\tapi-x".  Comment lines own nothing.
 */
static bool
line_owned(const char *s, size_t len, char *const *owned, size_t nowned)
{
	const char	*end = s + len, *name;
	size_t		 nlen;

	s = blanks_end(s, end);
	if (s == end || *s == '#')
		return false;
	s = blanks_end(field_end(s, end), end);
	name = s;
	nlen = (size_t)(field_end(s, end) - name);
	if (nlen == 0)
		return false;
	for (size_t i = 0; i < nowned; i++)
		if (strlen(owned[i]) == nlen &&
		    memcmp(owned[i], name, nlen) == 0)
			return true;
	return false;
}

/*
 * hosts_build: old's lines minus the owned ones, byte for byte, then the
 * new lines.  A last kept line without '\n' keeps lacking it unless lines
 * follow it, which it must then be separated from.
 */
static int
hosts_build(const struct buf *old, char *const *owned, size_t nowned,
    char *const *lines, size_t nlines, struct buf *nb)
{
	const char	*s = old->p, *end = old->p + old->len, *nl;
	size_t		 len;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		len = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		if (!line_owned(s, len, owned, nowned) &&
		    buf_add(nb, s, len + (nl != NULL)) == -1)
			return -1;
		s += len + (nl != NULL);
	}
	if (nlines > 0 && nb->len > 0 && nb->p[nb->len - 1] != '\n' &&
	    buf_add(nb, "\n", 1) == -1)
		return -1;
	for (size_t i = 0; i < nlines; i++)
		if (buf_add(nb, lines[i], strlen(lines[i])) == -1 ||
		    buf_add(nb, "\n", 1) == -1)
			return -1;
	return 0;
}

/* The hosts edit for sf_rewrite. */
struct hosts_edit {
	char *const	*owned, *const *lines;
	size_t		 nowned, nlines;
};

static int
hosts_edit(const char *old, size_t old_len, bool exists, char **out,
    size_t *out_len, void *arg)
{
	const struct hosts_edit	*e = arg;
	struct buf		 ob = { (char *)old, old_len, old_len };
	struct buf		 nb = { NULL, 0, 0 };

	if (hosts_build(&ob, e->owned, e->nowned, e->lines, e->nlines,
	    &nb) == -1) {
		free(nb.p);
		return -1;
	}
	*out = nb.p;
	*out_len = nb.len;
	return 0;
}

int
hosts_file_sync(const struct sf_target *t, char *const *owned,
    size_t nowned, char *const *lines, size_t nlines, char *err,
    size_t errlen)
{
	struct hosts_edit e = { owned, lines, nowned, nlines };

	return sf_rewrite(t, hosts_edit, &e, err, errlen);
}
