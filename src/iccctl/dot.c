/*
 * dot.c: iccctl list --dot: a `list` reply as a Graphviz digraph, so
 * that `iccctl list --dot | dot -Tsvg > links.svg` shows a host's policy
 * at a glance.  Containers are nodes grouped by bridge (one cluster per
 * bridge, closed ones drawn red and labelled so), a link is an edge from
 * its receiver (which opens connections) to its source, labelled with its
 * alias and the source's exposed ports, dashed while pending.  Containers
 * only declared, and link sources iccd does not know, stand outside every
 * cluster, dotted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "iccctl.h"
#include "msg.h"

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* q: s as a DOT quoted string (names are plain, but never trust). */
static void
q(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
node(const struct msg_container *c, const char *indent)
{
	char label[256];

	if (!c->started)
		snprintf(label, sizeof(label), "%s\n(declared)", c->name);
	else
		snprintf(label, sizeof(label), "%s\n%s%s%s%s", c->name, c->ip,
		    c->has_ip6 ? "\n" : "", c->has_ip6 ? c->ip6_text : "",
		    c->running ? "" : "\n(stopped)");
	printf("%s", indent);
	q(c->name);
	printf(" [label=");
	q(label);
	if (!c->started)
		printf(", style=dotted");
	else if (!c->running)
		printf(", style=dashed, fontcolor=gray40");
	printf("];\n");
}

/* cluster: bridge b and the containers started on it. */
static int
cluster(const json_t *rep, const json_t *b, size_t bi, char *err, size_t len)
{
	struct msg_container c;
	const char *name = jstr(b, "name");
	bool open = json_is_true(json_object_get(b, "icc"));
	char label[64];
	int rv;

	printf("\tsubgraph \"cluster_%zu\" {\n\t\tlabel=", bi);
	snprintf(label, sizeof(label), "%s (icc %s)", name, open ? "on: open" :
	    "off: closed");
	q(label);
	printf(";\n\t\tcolor=%s;\n", open ? "gray60" : "red");
	for (size_t i = 0; (rv = msg_list_get(rep, i, &c, err, len)) == 1; i++)
		if (c.started && strcmp(c.bridge, name) == 0)
			node(&c, "\t\t");
	printf("\t}\n");
	return rv;
}

/* ports_of: the exposed ports of container name, "a, b" ("" if none). */
static int
ports_of(const json_t *rep, const char *name, char *buf, size_t blen,
    char *err, size_t len)
{
	struct msg_container c;
	const json_t *p;
	size_t i, off = 0;
	int rv;

	buf[0] = '\0';
	if ((rv = msg_list_find(rep, name, &c, err, len)) != 1)
		return rv;
	json_array_foreach(c.expose, i, p)
		if (off < blen)
			off += snprintf(buf + off, blen - off, "%s%s",
			    i ? ", " : "", json_string_value(p));
	return 1;
}

static int
edges(const json_t *rep, char *err, size_t len)
{
	const json_t *l;
	char ports[512], label[640];
	size_t i;
	int rv;

	json_array_foreach(json_object_get(rep, "links"), i, l) {
		if ((rv = ports_of(rep, jstr(l, "source"), ports,
		    sizeof(ports), err, len)) == -1)
			return -1;
		if (rv == 0) {		/* a source iccd does not know */
			printf("\t");
			q(jstr(l, "source"));
			printf(" [label=");
			snprintf(label, sizeof(label), "%s\n(unknown)",
			    jstr(l, "source"));
			q(label);
			printf(", style=dotted];\n");
		}
		snprintf(label, sizeof(label), "%s\n%s", jstr(l, "alias"),
		    ports[0] ? ports : "no port");
		printf("\t");
		q(jstr(l, "receiver"));
		printf(" -> ");
		q(jstr(l, "source"));
		printf(" [label=");
		q(label);
		printf("%s];\n", strcmp(jstr(l, "state"), "active") == 0 ? "" :
		    ", style=dashed");
	}
	return 0;
}

int
print_dot(const json_t *rep, char *err, size_t len)
{
	struct msg_container c;
	const json_t *b;
	size_t i;
	int rv;

	printf("digraph iccd {\n\trankdir=LR;\n\tnode [shape=box];\n");
	json_array_foreach(json_object_get(rep, "bridges"), i, b)
		if (cluster(rep, b, i, err, len) == -1)
			return -1;
	for (i = 0; (rv = msg_list_get(rep, i, &c, err, len)) == 1; i++)
		if (!c.started)
			node(&c, "\t");
	if (rv == -1 || edges(rep, err, len) == -1)
		return -1;
	printf("}\n");
	return 0;
}
