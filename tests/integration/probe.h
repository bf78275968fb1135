/*
 * probe.h: what the files of icc-probe share (see icc-probe.c for the
 * modes and their exit statuses).  Local failures (socket, poll, ...)
 * end the program with EXIT_USAGE: a broken test, never a network
 * outcome.
 */
#ifndef ICC_PROBE_H
#define ICC_PROBE_H

#include <stddef.h>
#include <sys/socket.h>

#include "tool.h"	/* die_usage, now_ms, EXIT_USAGE */

#define EXIT_OK		0
#define EXIT_NET	1

#define DEFAULT_TIMEOUT_MS	1000
#define UDP_RESEND_MS		250	/* a datagram may be lost while ARP/ND resolves */
#define LINE_MAX_BYTES		256

/* usage: the usage lines on stderr, exit EXIT_USAGE. */
_Noreturn void usage(void);
/* die_sys: what failed and errno's text (stderr and stdout), exit
 * EXIT_USAGE. */
_Noreturn void die_sys(const char *what);
/* parse_num: a decimal number in [min, max], or a usage error naming
 * field. */
long parse_num(const char *s, long min, long max, const char *field);
/* resolve: numeric addr and port into *ss (*len bytes); no DNS ever. */
void resolve(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *len);
/* client_socket: a non-blocking socket of family and type, bound to
 * sport when non-zero. */
int client_socket(int family, int type, int sport);
/* wait_fd: poll fd for events until deadline (now_ms clock); 1 ready,
 * 0 timed out. */
int wait_fd(int fd, short events, long deadline);

/* probe_server.c: the servers run until killed.  tcp_echo_one echoes a
 * connection's first line, tcp_echo_all all it brings. */
void tcp_echo_one(int fd);
void tcp_echo_all(int fd);
_Noreturn void tcp_server(int port, const char *name, void (*echo)(int));
_Noreturn void udp_server(int port);

/* probe_client.c: one token to addr:port and back; the exit status. */
int tcp_client(const char *addr, int port, int sport, int timeout);
int udp_client(const char *addr, int port, int sport, int timeout);

/* probe_stream.c: tcp-stream or udp-stream (proto "tcp" or "udp") with
 * main's argc and argv; the exit status. */
int stream_main(const char *proto, int argc, char **argv);

#endif
