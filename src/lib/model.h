/*
 * model.h: iccd's declared world: bridges, containers, their exposed ports,
 * env and links.  Pure data, no I/O; the rule engine (engine.h) derives the
 * kernel's elements from it.
 *
 * Terms (Docker's "parent/child" are called receiver/source here): a link
 * declared on a receiver R as SOURCE:ALIAS lets R open connections to the
 * exposed ports of the container named SOURCE.  A link is active when both
 * containers are running on the same bridge, pending otherwise.
 *
 * All strings are NUL-terminated copies owned by the model.  Addresses are
 * in network byte order, ports in host byte order.
 */
#ifndef ICCD_MODEL_H
#define ICCD_MODEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define ICC_ORIGIN_MAX	 160	/* "FILE:LINE" of a rules file entry */

struct icc_link {
	char	source[ICC_NAME_MAX + 1];
	char	alias[ICC_NAME_MAX + 1];
	char	origin[ICC_ORIGIN_MAX];	/* "" from events, else "FILE:LINE" */
};

struct icc_container {
	char		  name[ICC_NAME_MAX + 1];
	char		  id[ICC_ID_MAX + 1];		/* "" when unknown */
	char		  hostname[ICC_HOST_MAX + 1];	/* "" when none */
	char		  bridge[ICC_IFNAME_MAX + 1];
	bool		  has_identity;	/* started once: bridge and ip are set;
					 * false for a name only rules files
					 * declare (never running) */
	bool		  running;
	struct in_addr	  ip4;
	bool		  has_ip6;
	struct in6_addr	  ip6;
	char		  port[ICC_IFNAME_MAX + 1]; /* host-side bridge port,
						     * "" when not given */
	bool		  has_mac;	/* mac is set (always with a port) */
	uint8_t		  mac[6];	/* the container's interface MAC */
	struct icc_ports *ports;	/* exposed ports, as given */
	char		**port_origin;	/* per port: NULL (event) or "FILE:LINE" */
	size_t		  nports;
	struct icc_link	 *links;	/* links where this is the receiver */
	size_t		  nlinks;
	char		**env;		/* "KEY=VALUE" strings */
	size_t		  nenv;
};

struct icc_bridge {
	char	name[ICC_IFNAME_MAX + 1];
	bool	icc;			/* true: inter-container traffic open */
};

struct icc_model;

/*
 * model_new: an empty model; bridges first seen get icc = default_icc.
 * Returns NULL with errno ENOMEM.  Free with model_free().
 */
struct icc_model *model_new(bool default_icc);
void model_free(struct icc_model *m);

/* container_new: a zeroed container; NULL with errno ENOMEM. */
struct icc_container *container_new(void);

/*
 * container_dup: a deep copy of c (for undo).  NULL with errno ENOMEM.
 */
struct icc_container *container_dup(const struct icc_container *c);
void container_free(struct icc_container *c);

/*
 * container_add_link: append SOURCE:ALIAS to c's links, or do nothing if c
 * already has that alias with that source.  Returns 0, or -1 with errno
 * EEXIST (alias already used for another source), E2BIG (ICC_MAX_LINKS) or
 * ENOMEM.
 */
int container_add_link(struct icc_container *c, const char *source,
    const char *alias);

/*
 * container_add_file_link: the same for a link a rules file declares at
 * origin ("FILE:LINE"); a link with the same alias and source already
 * there (from an event) is kept as it is.
 */
int container_add_file_link(struct icc_container *c, const char *source,
    const char *alias, const char *origin);

/*
 * container_del_link: remove the link with that alias.  Returns 0, or -1
 * with errno ENOENT.
 */
int container_del_link(struct icc_container *c, const char *alias);

/*
 * container_add_port: append p with origin (NULL for an event, else
 * "FILE:LINE", copied).  Returns 0, or -1 with errno E2BIG
 * (ICC_MAX_PORTS) or ENOMEM.
 */
int container_add_port(struct icc_container *c, const struct icc_ports *p,
    const char *origin);

/*
 * container_strip_files: drop every port and link that came from rules
 * files (origin set), keeping the event ones in order.
 */
void container_strip_files(struct icc_container *c);

/* container_has_files: c holds ports or links from rules files. */
bool container_has_files(const struct icc_container *c);

/*
 * container_add_env: append a copy of "KEY=VALUE"; a later entry with the
 * same KEY replaces the earlier one (Docker keeps the last).  Returns 0, or
 * -1 with errno E2BIG or ENOMEM.
 */
int container_add_env(struct icc_container *c, const char *kv);

/* model_find: the container called name, or NULL.  Borrowed pointer. */
struct icc_container *model_find(const struct icc_model *m, const char *name);

/*
 * model_put: store c under c->name, taking ownership; a container with that
 * name is freed and replaced.  Keeps the source index in step and creates
 * c->bridge's record if needed.  Returns 0, or -1 with errno ENOMEM (then c
 * is still the caller's and the model unchanged).
 */
int model_put(struct icc_model *m, struct icc_container *c);

/*
 * model_take: remove the container called name from the model and return
 * it (the caller owns it), or NULL if there is none.
 */
struct icc_container *model_take(struct icc_model *m, const char *name);

/*
 * model_set_running: mark the container called name running or stopped,
 * keeping the address index in step.  Returns 0, or -1 with errno ENOENT
 * (no such container) or ENOMEM.
 */
int model_set_running(struct icc_model *m, const char *name, bool running);

/* model_count: number of containers. */
size_t model_count(const struct icc_model *m);

/*
 * model_foreach: call fn for every container, in name order.  fn must not
 * change the model.  Stops early and returns fn's value when it is non-zero.
 */
int model_foreach(const struct icc_model *m,
    int (*fn)(const struct icc_container *, void *), void *arg);

/*
 * model_receivers: call fn for every container having at least one link
 * whose source is `source`, in name order (the receiver is passed, each
 * once).  Same stopping rule as model_foreach.
 */
int model_receivers(const struct icc_model *m, const char *source,
    int (*fn)(const struct icc_container *, void *), void *arg);

/*
 * model_holder4/6: the running container on `bridge` that holds addr, or
 * NULL.
 */
struct icc_container *model_holder4(const struct icc_model *m,
    const char *bridge, struct in_addr addr);
struct icc_container *model_holder6(const struct icc_model *m,
    const char *bridge, const struct in6_addr *addr);

/* model_bridge: the record of bridge `name`, or NULL. Borrowed. */
struct icc_bridge *model_bridge(const struct icc_model *m, const char *name);

/*
 * model_bridge_add: the record of bridge `name`, created with the default
 * icc mode if missing.  NULL with errno ENOMEM.
 */
struct icc_bridge *model_bridge_add(struct icc_model *m, const char *name);

/* model_bridge_del: forget bridge `name` (undo of model_bridge_add). */
void model_bridge_del(struct icc_model *m, const char *name);

/*
 * model_bridges: call fn for every bridge, in name order; same stopping
 * rule as model_foreach.
 */
int model_bridges(const struct icc_model *m,
    int (*fn)(const struct icc_bridge *, void *), void *arg);

/* model_default_icc: the icc mode given to new bridges. */
bool model_default_icc(const struct icc_model *m);

/*
 * link_active: true when link l of receiver r is active in m: r and its
 * source are running on the same bridge.
 */
bool link_active(const struct icc_model *m, const struct icc_container *r,
    const struct icc_link *l);

#endif
