/*
 * docker_map.h: one Docker container, as Docker Engine's API describes it,
 * turned into the iccd "start" request that declares it.  Pure: no I/O, so
 * the unit tests drive it with JSON samples.
 *
 * Docker's replies are input like any other: a container's owner chose its
 * name, labels and env, and its image (from anywhere) brought labels, env
 * and exposed ports.  Every field is checked with iccd's own validators;
 * errors are one line naming the Docker field first, e.g.
 * "Config.ExposedPorts: 70000/tcp: port out of range 1-65535".
 *
 * What is taken from where:
 *   name      Name without its leading "/"
 *   id        Id (64 lowercase hex digits)
 *   hostname  Config.Hostname (left out, with a warning, when iccd would
 *             refuse it: only hosts lines use it)
 *   bridge    the container's bridge network (Driver "bridge"): the
 *             default network "bridge" if it is on it, else the first by
 *             name; its interface is the network's Options
 *             com.docker.network.bridge.name, else docker0 for the
 *             default network, else "br-" + the first 12 digits of its id
 *             (libnetwork's defaults)
 *   ip, ip6   that network's IPAddress and GlobalIPv6Address
 *   expose    Config.ExposedPorts; Docker lists one key per port, runs of
 *             ports of one protocol are sent as ranges
 *   links     HostConfig.Links ("/db:/web/aliasdb": legacy links, default
 *             network only), that network's own Links ("db:aliasdb", set
 *             by --link on a user-defined network), and the label
 *             io.iccd.links ("SOURCE[:ALIAS],...").  All three are set by
 *             whoever runs the container.  A label the image carries is
 *             not: io.iccd.links with the image's own value is refused,
 *             so that no image can link its containers to anything; so
 *             is the label when the image is not known (dk_inputs).
 *   env       Config.Env (entries iccd would refuse are left out, with a
 *             warning: only `iccctl env` uses them)
 */
#ifndef ICCD_DOCKER_MAP_H
#define ICCD_DOCKER_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "parse.h"

#define DK_ID_LEN	64		/* hex digits of a Docker id */
#define DK_LABEL_LINKS	"io.iccd.links"
#define DK_ERRLEN	512

/* What Docker says about one container (borrowed references). */
struct dk_inputs {
	const json_t	*container;	/* GET /containers/{id}/json */
	const json_t	*networks;	/* object: NetworkID -> GET /networks/{id}
					   for each network of the container */
	const json_t	*image;		/* GET /images/{Image}/json, or NULL
					   when it could not be had */
};

/* The result of dk_map. */
struct dk_decl {
	char	 id[DK_ID_LEN + 1];
	char	 name[ICC_NAME_MAX + 1];
	bool	 running;		/* State.Running */
	json_t	*req;			/* the start request (owned), or NULL:
					   not running or on no bridge network */
	char	 network[128];		/* the Docker network declared on */
	char	 warn[DK_ERRLEN];	/* "" or one line: what was left out */
};

/*
 * dk_ident: Id, Name and State.Running of a container's inspect reply
 * into d (zeroed first).  Returns 0, or -1 with one line in err.
 */
int dk_ident(const json_t *container, struct dk_decl *d, char *err,
    size_t errlen);

/*
 * dk_network_ids: the NetworkIDs of the container's networks
 * (NetworkSettings.Networks), as a new array of strings, each checked as
 * a Docker id; what the caller fetches to fill dk_inputs.networks.
 * Returns the array, or NULL with one line in err.
 */
json_t *dk_network_ids(const json_t *container, char *err, size_t errlen);

/*
 * dk_map: d (zeroed first) from in.  d->req is the start request when the
 * container runs on a bridge network; it has passed request_parse.
 * Returns 0, or -1 with one line in err; d->id and d->name are filled as
 * soon as they are known valid, so a caller can act on a container it
 * cannot declare.  Release d with dk_decl_clear() in both cases.
 */
int dk_map(const struct dk_inputs *in, struct dk_decl *d, char *err,
    size_t errlen);

void dk_decl_clear(struct dk_decl *d);

/*
 * dk_check_id: s is a Docker id (DK_ID_LEN lowercase hex digits).
 * Returns 0, or -1 with *why set (see parse.h).
 */
int dk_check_id(const char *s, const char **why);

/*
 * dk_bridge_name: the interface of Docker network `net` (a GET
 * /networks/{id} reply) into out (ICC_IFNAME_MAX + 1 bytes), as described
 * above.  Returns 1 when the network is a bridge, 0 when its Driver is
 * another, -1 with one line in err.
 */
int dk_bridge_name(const json_t *net, char *out, char *err, size_t errlen);

#endif
