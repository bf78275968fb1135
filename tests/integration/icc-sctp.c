/*
 * icc-sctp: SCTP at the packet level, for kernels without SCTP sockets.
 *
 *   icc-sctp responder
 *   icc-sctp init ADDR PORT [--timeout MS]
 *
 * The responder reads every SCTP packet that reaches its network
 * namespace (raw IPv4 and IPv6 sockets of protocol 132, whatever the
 * port), prints one line per INIT with a valid CRC32c:
 *
 *   init from ADDR port SPORT to port DPORT
 *
 * and answers it with an INIT-ACK (the INIT's initiate tag as the
 * verification tag, a state cookie), as an SCTP stack would.  It runs
 * until killed.
 *
 * init sends one INIT (verification tag 0, a random initiate tag, a
 * random source port, a valid CRC32c) to ADDR PORT and waits for the
 * INIT-ACK that answers it (from ADDR, ports swapped, our initiate tag as
 * its verification tag, a valid CRC32c).  Exit 0: INIT-ACK received; 1:
 * none within --timeout ms (default 1000; the INIT is sent again every
 * 250 ms, as ARP or ND may lose the first) or a network error; 2: usage.
 * One line on stdout says what happened.
 *
 * Netfilter's conntrack tracks SCTP and checks the CRC32c and the tags,
 * so these packets are judged by iccd's rules as a real association's
 * first packets would be.  No dependencies beyond libc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

const char tool_prog[] = "icc-sctp";

#define EXIT_OK		0
#define EXIT_NET	1

#define IPPROTO_SCTP_RAW	132
#define CHUNK_INIT		1
#define CHUNK_INIT_ACK		2
#define PARAM_STATE_COOKIE	7
#define RESEND_MS		250

/* The common header and the fixed part of INIT and INIT-ACK. */
struct sctp_hdr {
	uint16_t	sport, dport;
	uint32_t	vtag;
	uint32_t	crc;		/* CRC32c, little-endian on the wire */
} __attribute__((packed));

struct sctp_init {
	uint8_t		type, flags;
	uint16_t	len;
	uint32_t	itag, a_rwnd;
	uint16_t	os, mis;
	uint32_t	tsn;
} __attribute__((packed));

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: icc-sctp responder\n"
	    "       icc-sctp init ADDR PORT [--timeout MS]\n");
	exit(EXIT_USAGE);
}

/* crc32c: the SCTP checksum (RFC 9260 appendix A), bit by bit. */
static uint32_t
crc32c(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;

	while (len-- > 0) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return ~crc;
}

/* sctp_seal: fill in the checksum of an SCTP packet of len bytes. */
static void
sctp_seal(uint8_t *pkt, size_t len)
{
	struct sctp_hdr *h = (struct sctp_hdr *)pkt;
	uint32_t crc;

	h->crc = 0;
	crc = crc32c(pkt, len);
	pkt[8] = crc & 0xff;
	pkt[9] = (crc >> 8) & 0xff;
	pkt[10] = (crc >> 16) & 0xff;
	pkt[11] = crc >> 24;
}

/* sctp_valid: a packet of len bytes whose checksum is right. */
static int
sctp_valid(const uint8_t *pkt, size_t len)
{
	uint8_t copy[2048];
	uint32_t crc;

	if (len < sizeof(struct sctp_hdr) + sizeof(struct sctp_init) ||
	    len > sizeof(copy))
		return 0;
	memcpy(copy, pkt, len);
	memset(copy + 8, 0, 4);
	crc = crc32c(copy, len);
	return pkt[8] == (crc & 0xff) && pkt[9] == ((crc >> 8) & 0xff) &&
	    pkt[10] == ((crc >> 16) & 0xff) && pkt[11] == (crc >> 24);
}

/* sctp_payload: the SCTP packet inside what a raw socket of family af
 * read (IPv4 raw sockets include the IP header); NULL if too short. */
static const uint8_t *
sctp_payload(int af, const uint8_t *buf, size_t n, size_t *len)
{
	size_t off = 0;

	if (af == AF_INET) {
		if (n < 20)
			return NULL;
		off = (size_t)(buf[0] & 0x0f) * 4;
	}
	if (n < off + sizeof(struct sctp_hdr) + sizeof(struct sctp_init))
		return NULL;
	*len = n - off;
	return buf + off;
}

static uint32_t
random32(void)
{
	return ((uint32_t)random() << 16) ^ (uint32_t)random();
}

/* build: an INIT or INIT-ACK (with an 8-byte state cookie) into pkt;
 * returns its length. */
static size_t
build(uint8_t *pkt, int type, uint16_t sport, uint16_t dport,
    uint32_t vtag, uint32_t itag)
{
	struct sctp_hdr *h = (struct sctp_hdr *)pkt;
	struct sctp_init *c = (struct sctp_init *)(pkt + sizeof(*h));
	size_t len = sizeof(*h) + sizeof(*c);

	memset(pkt, 0, 64);
	h->sport = htons(sport);
	h->dport = htons(dport);
	h->vtag = htonl(vtag);
	c->type = (uint8_t)type;
	c->itag = htonl(itag);
	c->a_rwnd = htonl(65536);
	c->os = c->mis = htons(1);
	c->tsn = htonl(random32());
	if (type == CHUNK_INIT_ACK) {
		uint8_t *param = pkt + len;

		param[0] = 0;
		param[1] = PARAM_STATE_COOKIE;
		param[2] = 0;
		param[3] = 12;		/* 4 + an 8-byte cookie */
		memset(param + 4, 0xc0, 8);
		len += 12;
	}
	c->len = htons((uint16_t)(len - sizeof(*h)));
	sctp_seal(pkt, len);
	return len;
}

static int
raw_socket(int af)
{
	int fd = socket(af, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_SCTP_RAW);

	if (fd < 0)
		fprintf(stderr, "icc-sctp: raw %s socket: %s\n",
		    af == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	return fd;
}

/* respond: one packet read from fd (family af): log an INIT, answer it. */
static void
respond(int fd, int af)
{
	uint8_t buf[2048], ack[64];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	const struct sctp_hdr *h;
	const struct sctp_init *c;
	const uint8_t *pkt;
	char addr[INET6_ADDRSTRLEN];
	size_t len, alen;
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n <= 0 || (pkt = sctp_payload(af, buf, (size_t)n, &len)) == NULL ||
	    !sctp_valid(pkt, len))
		return;
	h = (const struct sctp_hdr *)pkt;
	c = (const struct sctp_init *)(pkt + sizeof(*h));
	if (c->type != CHUNK_INIT || h->vtag != 0)
		return;
	inet_ntop(af, af == AF_INET ?
	    (void *)&((struct sockaddr_in *)&from)->sin_addr :
	    (void *)&((struct sockaddr_in6 *)&from)->sin6_addr, addr,
	    sizeof(addr));
	printf("init from %s port %u to port %u\n", addr, ntohs(h->sport),
	    ntohs(h->dport));
	fflush(stdout);
	alen = build(ack, CHUNK_INIT_ACK, ntohs(h->dport), ntohs(h->sport),
	    ntohl(c->itag), random32() | 1);
	if (af == AF_INET6)
		((struct sockaddr_in6 *)&from)->sin6_port = 0;
	if (sendto(fd, ack, alen, 0, (struct sockaddr *)&from, flen) < 0)
		fprintf(stderr, "icc-sctp: INIT-ACK to %s: %s\n", addr,
		    strerror(errno));
}

static int
responder(void)
{
	struct pollfd pfd[2] = {
		{ raw_socket(AF_INET), POLLIN, 0 },
		{ raw_socket(AF_INET6), POLLIN, 0 },
	};

	if (pfd[0].fd < 0 || pfd[1].fd < 0)
		return EXIT_NET;
	printf("responder: listening on every SCTP port\n");
	fflush(stdout);
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "icc-sctp: poll: %s\n", strerror(errno));
			return EXIT_NET;
		}
		if (pfd[0].revents & POLLIN)
			respond(pfd[0].fd, AF_INET);
		if (pfd[1].revents & POLLIN)
			respond(pfd[1].fd, AF_INET6);
	}
}

/* is_answer: pkt (len bytes, from peer) is the INIT-ACK to our INIT. */
static int
is_answer(const uint8_t *pkt, size_t len, uint16_t sport, uint16_t dport,
    uint32_t itag)
{
	const struct sctp_hdr *h = (const struct sctp_hdr *)pkt;
	const struct sctp_init *c = (const struct sctp_init *)(pkt + sizeof(*h));

	return sctp_valid(pkt, len) && ntohs(h->sport) == dport &&
	    ntohs(h->dport) == sport && ntohl(h->vtag) == itag &&
	    c->type == CHUNK_INIT_ACK;
}

static int
init_client(const char *addr, int port, long timeout)
{
	struct sockaddr_storage to, from;
	uint8_t pkt[64], buf[2048];
	uint16_t sport = (uint16_t)(32768 + random() % 28000);
	uint32_t itag = random32() | 1;
	long t0 = now_ms(), next = t0, left;
	socklen_t tlen, flen;
	size_t plen, len;
	int af, fd;

	memset(&to, 0, sizeof(to));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&to)->sin_addr) == 1) {
		af = AF_INET;
		tlen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr,
	    &((struct sockaddr_in6 *)&to)->sin6_addr) == 1) {
		af = AF_INET6;
		tlen = sizeof(struct sockaddr_in6);
	} else
		usage();
	to.ss_family = (sa_family_t)af;
	if ((fd = raw_socket(af)) < 0) {
		printf("local error: raw socket: %s\n", strerror(errno));
		return EXIT_NET;
	}
	plen = build(pkt, CHUNK_INIT, sport, (uint16_t)port, 0, itag);
	while ((left = t0 + timeout - now_ms()) > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		const uint8_t *p;
		ssize_t n;

		if (now_ms() >= next) {
			if (sendto(fd, pkt, plen, 0, (struct sockaddr *)&to,
			    tlen) < 0) {
				printf("sctp %s port %d: send: %s\n", addr, port,
				    strerror(errno));
				return EXIT_NET;
			}
			next = now_ms() + RESEND_MS;
		}
		if (poll(&pfd, 1, (int)(left < next - now_ms() ? left :
		    next - now_ms())) <= 0)
			continue;
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &flen);
		if (n > 0 && (p = sctp_payload(af, buf, (size_t)n, &len)) != NULL &&
		    is_answer(p, len, sport, (uint16_t)port, itag)) {
			printf("sctp %s port %d: INIT-ACK received after %ld ms\n",
			    addr, port, now_ms() - t0);
			return EXIT_OK;
		}
	}
	printf("sctp %s port %d: no INIT-ACK (timed out) after %ld ms\n", addr,
	    port, now_ms() - t0);
	return EXIT_NET;
}

int
main(int argc, char **argv)
{
	long timeout = 1000;
	int port;

	srandom((unsigned)(getpid() ^ time(NULL)));
	if (argc == 2 && strcmp(argv[1], "responder") == 0)
		return responder();
	if (argc != 4 && argc != 6)
		usage();
	if (strcmp(argv[1], "init") != 0)
		usage();
	port = atoi(argv[3]);
	if (port < 1 || port > 65535)
		usage();
	if (argc == 6) {
		if (strcmp(argv[4], "--timeout") != 0 ||
		    (timeout = atol(argv[5])) <= 0)
			usage();
	}
	return init_client(argv[2], port, timeout);
}
