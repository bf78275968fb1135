/*
 * proto.h: the control protocol shared by iccd and iccctl (one header for
 * both, as OpenBSD's bgpd.h is for bgpd and bgpctl).
 *
 * Transport: a SOCK_STREAM unix socket (default ICC_SOCKET, or $ICCD_SOCKET,
 * or --socket).  Each message is a frame:
 *
 *   struct ctl_hdr (8 bytes, network byte order) + `len` bytes of payload
 *
 * The payload is one JSON object (UTF-8, no NUL).  A client sends one
 * request frame and reads one reply frame; it may send more requests on the
 * same connection.  Requests over ICC_REQ_MAX or with another version or
 * type get an error reply and the connection is closed.
 *
 * Clients use client.h (connect, one exchange with a deadline, `ok`
 * checked) and msg.h (requests built, replies decoded), not this header.
 *
 * Request:  {"cmd": "start", ...fields...}  (commands: see request.h)
 * Reply:    {"ok": true, ...}  or  {"ok": false, "error": "one line"}
 *           The error line names the bad field first, e.g.
 *           "expose: port out of range 1-65535".
 */
#ifndef ICCD_PROTO_H
#define ICCD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ICC_SOCKET	"/run/iccd/iccd.sock"
#define ICC_STATE_DIR	"/var/lib/iccd"
#define ICC_TABLE	"icc"
#define ICC_SOCKET_ENV	"ICCD_SOCKET"
#define ICC_LOCK_DIR	"/run/iccd"	/* per-table locks */

#define CTL_VERSION	1
#define CTL_REQUEST	1
#define CTL_REPLY	2

#define ICC_REQ_MAX	(2u << 20)	/* largest request payload, bytes */
#define ICC_REPLY_MAX	(256u << 20)	/* largest reply payload, bytes */

struct ctl_hdr {
	uint32_t len;		/* payload bytes, network byte order */
	uint16_t version;	/* CTL_VERSION, network byte order */
	uint16_t type;		/* CTL_REQUEST or CTL_REPLY */
} __attribute__((packed));

/*
 * ctl_socket_path: the socket path to use: `opt` when not NULL, else
 * $ICCD_SOCKET when set and non-empty, else ICC_SOCKET.  Borrowed string.
 */
const char *ctl_socket_path(const char *opt);

/*
 * ctl_write: send one frame of `type` carrying obj (compact JSON) on a
 * blocking fd.  Returns 0, or -1 with errno (EMSGSIZE when the payload
 * exceeds ICC_REPLY_MAX, or write(2)'s errors).
 */
int ctl_write(int fd, uint16_t type, const json_t *obj);

/*
 * ctl_read: read one frame on a blocking fd; checks version, `type` and
 * that len <= max.  Returns a new JSON object (caller json_decref's it), or
 * NULL with errno: EPROTO (bad header, type or JSON, or not an object),
 * EMSGSIZE (too long), ECONNRESET (EOF), or read(2)'s errors.
 */
json_t *ctl_read(int fd, uint16_t type, size_t max);

/*
 * ctl_frame: one whole frame of `type` carrying obj (compact JSON): the
 * header then the payload, in one malloc'd buffer of *len bytes (the
 * caller frees it), for writers that send it on their own terms (the
 * client's deadline, see client.h).  Returns the buffer, or NULL with
 * errno EINVAL (obj not an object), EMSGSIZE (payload over max bytes) or
 * ENOMEM.
 */
char *ctl_frame(uint16_t type, const json_t *obj, size_t max, size_t *len);

/*
 * ctl_payload_parse: len bytes of payload (not NUL-terminated) to a new
 * JSON object, with ctl_read's rules (no NUL byte, no duplicate key, an
 * object).  Returns it (caller json_decref's it), or NULL with errno
 * EPROTO.
 */
json_t *ctl_payload_parse(const char *buf, size_t len);

/*
 * ctl_frame_check: check a received header (as above, without reading).
 * Returns the payload length, or -1 with errno EPROTO or EMSGSIZE.
 */
long ctl_frame_check(const struct ctl_hdr *h, uint16_t type, size_t max);

#endif
