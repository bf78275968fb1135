/*
 * control_fixture.h: the fixture of check_control.c and
 * check_control_limits.c: a control socket (control.c) in a temporary
 * directory with a fake handler, pumped by the test as iccd's main loop
 * would, and the client side on ordinary blocking sockets.  Every
 * function asserts with Check.
 */
#ifndef ICCD_CONTROL_FIXTURE_H
#define ICCD_CONTROL_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "control.h"

#define PUMP_MS		2000	/* longest wait for something that must come */
#define QUIET_MS	150	/* how long nothing must happen */

/* The fixture's state, reset by setup. */
extern char ctl_dir[64];		/* the temporary directory */
extern char ctl_rundir[96];	/* ctl_dir/run, which control_open creates */
extern char ctl_path[128];		/* dir/run/ctl.sock */
extern struct control *ctl;
/* What the fake handler saw. */
extern int calls;
extern bool last_may_write;
extern json_t *last_req;
/* The uid the next client accepted gets (with fake_peer). */
extern uid_t fake_uid;

/*
 * fake_handler: answers {"ok": true, "n": call number, "may_write": ...,
 * "echo": the request}, so a test sees which request an answer is for.
 */
json_t *fake_handler(const json_t *req, bool may_write,
    const struct peer_cred *who, void *arg);
/* open_ctl: control_open at ctl_path with fake_handler; group: --group. */
void open_ctl(gid_t group);
/* open_fake: a socket whose clients get fake_uid; group: the test's gid,
 * so that every client may write. */
void open_fake(void);
/* ctl_setup, ctl_teardown: the checked fixture: a fresh temporary
 * directory and handler state; close the socket, remove the directory. */
void ctl_setup(void);
void ctl_teardown(void);
/* now_ms: CLOCK_MONOTONIC in milliseconds. */
long now_ms(void);
/* pump_once: one round of iccd's main loop, waiting up to ms. */
void pump_once(int ms);
/* fd_ready: fd has `events` now (POLLIN also reports EOF). */
bool fd_ready(int fd, short events);
/* pump_until: run the server until fd is readable; false after ms. */
bool pump_until(int fd, int ms);
/* pump_quiet: run the server for ms; nothing may reach fd meanwhile. */
void pump_quiet(int fd, int ms);
/* pump_clients: run the server until it has n clients (or fail). */
void pump_clients(size_t n);
/* pump_calls: run the server until the handler was called n times. */
void pump_calls(int n);
/* client_connect: a blocking client socket connected to ctl_path. */
int client_connect(void);
/* send_bytes: all len bytes of p to fd. */
void send_bytes(int fd, const void *p, size_t len);
/* send_hdr: a frame header (proto.h) with these fields, host order. */
void send_hdr(int fd, uint32_t len, uint16_t version, uint16_t type);
/* send_frame: a well-formed request frame carrying text. */
void send_frame(int fd, const char *text);
/* get_reply: pump until a reply arrives on fd and return it. */
json_t *get_reply(int fd);
/*
 * expect_eof: the server closed fd's connection (after any reply).  A
 * unix socket closed with unread bytes in its queue (the payload after a
 * bad header, which the server never reads) makes the peer's next read
 * fail with ECONNRESET instead of returning 0: a close all the same.
 */
void expect_eof(int fd);
/* expect_error_close: one error reply naming `what`, then EOF. */
void expect_error_close(int fd, const char *what);

#endif
