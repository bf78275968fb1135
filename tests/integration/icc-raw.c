/*
 * icc-raw: crafted Ethernet frames for the integration tests, as a hostile
 * container with CAP_NET_RAW would send them (AF_PACKET), and a receiver
 * that counts the frames carrying given tokens, so that "this frame does
 * not arrive" can be asserted next to "that one does".
 *
 *   icc-raw send -i IF [frame options] KIND [kind options]
 *     frame: --src MAC --dst MAC (default: IF's MAC, broadcast)
 *            --vlan VID (802.1Q; VID 0 is a priority tag)
 *            --qinq VID (an 802.1ad outer tag) --count N (default 3)
 *     udp4:  --saddr A --daddr A --dport P --token T
 *     udp6:  --saddr A6 --daddr A6 --dport P --token T
 *            (udp4, udp6: --sport P, default 40000)
 *     pppoe: udp4 inside a PPPoE session frame (0x8864)
 *     arp:   --op request|reply --sha MAC --spa A --tha MAC --tpa A
 *     ns|na: --saddr A6 --daddr A6 --target A6 --lladdr MAC
 *            (na: solicited and override flags set)
 *            (arp, ns, na: --trailer T: the bytes of T after the body)
 *     icmp4err|icmp6err: --saddr A --daddr A (the error's sender and
 *            receiver) --inner-saddr A --inner-daddr A --sport P --dport P
 *            --token T: a port unreachable quoting that UDP datagram
 *            (whose payload is T); --mtu N: fragmentation needed (IPv4),
 *            packet too big (IPv6) with that MTU instead
 *   icc-raw recv -i IF --ms N --token T [--token T ...] [--ready FILE]
 *            [--in]
 *     counts, for N ms, the frames entering or leaving IF (--in: only
 *     those entering) that contain each token; prints "T=count" per
 *     token, one a line.  A token
 *     "hex:0a1b..." stands for those bytes (an ARP sender MAC and address,
 *     an ND target and option).  FILE is created once the socket is bound
 *     (tests wait for it, not for a time).
 *
 * Exit 0, or 2 on bad usage, 1 on a system error.
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/socket.h>
#include <sys/ioctl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX	1600
#define TOKENS_MAX	8

struct opts {
	const char	*ifname;
	uint8_t		 src[6], dst[6];
	int		 has_src;
	int		 vlan, qinq;		/* -1: none */
	int		 count;
	const char	*saddr, *daddr, *target, *spa, *tpa;
	uint8_t		 sha[6], tha[6], lladdr[6];
	int		 dport, sport;
	const char	*isaddr, *idaddr;	/* an ICMP error's quoted flow */
	int		 mtu;			/* 0: port unreachable */
	const char	*trailer;		/* bytes after an ARP or ND body */
	int		 in_only;		/* recv: arriving frames only */
	int		 reply;			/* arp --op reply */
	const char	*token;
	int		 ms;
	const char	*tokens[TOKENS_MAX];
	int		 ntokens;
	const char	*ready;
};

static void __attribute__((noreturn))
usage(const char *why)
{
	fprintf(stderr, "icc-raw: %s\n", why);
	exit(2);
}

static void
mac_arg(const char *s, uint8_t out[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
	    &v[5]) != 6)
		usage("bad MAC");
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)v[i];
}

static uint16_t
csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t
csum(const void *p, size_t len)
{
	return (uint16_t)~csum_add(0, p, len);
}

/* The IPv6 upper-layer checksum over the pseudo-header and l4. */
static uint16_t
csum6(const uint8_t *src, const uint8_t *dst, uint8_t nh, const uint8_t *l4,
    size_t len)
{
	uint8_t ph[40] = { 0 };
	uint32_t s;

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[39] = nh;
	s = csum_add(0, ph, sizeof(ph));
	return (uint16_t)~csum_add(s, l4, len);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
addr4(const char *s, uint8_t *out)
{
	if (s == NULL || inet_pton(AF_INET, s, out) != 1)
		usage("bad or missing IPv4 address");
}

static void
addr6(const char *s, uint8_t *out)
{
	if (s == NULL || inet_pton(AF_INET6, s, out) != 1)
		usage("bad or missing IPv6 address");
}

/* eth: the Ethernet header with its tags; returns its length. */
static size_t
eth(const struct opts *o, uint8_t *f, uint16_t type)
{
	size_t off = 12;

	memcpy(f, o->dst, 6);
	memcpy(f + 6, o->src, 6);
	if (o->qinq >= 0) {
		put16(f + off, 0x88a8);
		put16(f + off + 2, (uint16_t)o->qinq);
		off += 4;
	}
	if (o->vlan >= 0) {
		put16(f + off, 0x8100);
		put16(f + off + 2, (uint16_t)o->vlan);
		off += 4;
	}
	put16(f + off, type);
	return off + 2;
}

static size_t
udp4(const struct opts *o, uint8_t *p)
{
	size_t tlen = strlen(o->token), len = 20 + 8 + tlen;

	memset(p, 0, 28);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)len);
	p[8] = 64;
	p[9] = 17;
	addr4(o->saddr, p + 12);
	addr4(o->daddr, p + 16);
	put16(p + 10, csum(p, 20));
	put16(p + 20, (uint16_t)o->sport);
	put16(p + 22, (uint16_t)o->dport);
	put16(p + 24, (uint16_t)(8 + tlen));
	memcpy(p + 28, o->token, tlen);	/* UDP checksum 0: none */
	return len;
}

/* icmp4err: an ICMP error from saddr to daddr quoting the UDP datagram
 * isaddr:sport -> idaddr:dport carrying the token */
static size_t
icmp4err(const struct opts *o, uint8_t *p)
{
	struct opts in = *o;
	uint8_t *m = p + 20;
	size_t qlen, mlen;

	in.saddr = o->isaddr;
	in.daddr = o->idaddr;
	qlen = udp4(&in, m + 8);
	mlen = 8 + qlen;
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + mlen));
	p[8] = 64;
	p[9] = 1;
	addr4(o->saddr, p + 12);
	addr4(o->daddr, p + 16);
	put16(p + 10, csum(p, 20));
	memset(m, 0, 8);
	m[0] = 3;			/* destination unreachable */
	m[1] = o->mtu > 0 ? 4 : 3;	/* fragmentation needed, port */
	put16(m + 6, (uint16_t)o->mtu);
	put16(m + 2, csum(m, mlen));
	return 20 + mlen;
}

static size_t
ip6hdr(uint8_t *p, const char *s, const char *d, uint8_t nh, size_t plen,
    uint8_t hops)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = hops;
	addr6(s, p + 8);
	addr6(d, p + 24);
	return 40;
}

static size_t
udp6(const struct opts *o, uint8_t *p)
{
	size_t tlen = strlen(o->token), ulen = 8 + tlen;
	uint8_t *u = p + 40;

	ip6hdr(p, o->saddr, o->daddr, 17, ulen, 64);
	memset(u, 0, 8);
	put16(u, (uint16_t)o->sport);
	put16(u + 2, (uint16_t)o->dport);
	put16(u + 4, (uint16_t)ulen);
	memcpy(u + 8, o->token, tlen);
	put16(u + 6, csum6(p + 8, p + 24, 17, u, ulen));
	return 40 + ulen;
}

/* icmp6err: icmp4err's IPv6 twin (port unreachable, packet too big) */
static size_t
icmp6err(const struct opts *o, uint8_t *p)
{
	struct opts in = *o;
	uint8_t *m = p + 40;
	size_t qlen, mlen;

	in.saddr = o->isaddr;
	in.daddr = o->idaddr;
	qlen = udp6(&in, m + 8);
	mlen = 8 + qlen;
	ip6hdr(p, o->saddr, o->daddr, 58, mlen, 64);
	memset(m, 0, 8);
	m[0] = o->mtu > 0 ? 2 : 1;	/* packet too big, unreachable */
	m[1] = o->mtu > 0 ? 0 : 4;	/* port unreachable */
	if (o->mtu > 0)
		put16(m + 6, (uint16_t)o->mtu);
	put16(m + 2, csum6(p + 8, p + 24, 58, m, mlen));
	return 40 + mlen;
}

/* trailer: the --trailer bytes after an ARP or ND body (a covert
 * channel the bridge table must not carry) */
static size_t
trailer(const struct opts *o, uint8_t *p)
{
	size_t n = o->trailer != NULL ? strlen(o->trailer) : 0;

	memcpy(p, o->trailer != NULL ? o->trailer : "", n);
	return n;
}

static size_t
nd(const struct opts *o, uint8_t *p, int advert)
{
	uint8_t *m = p + 40;
	size_t mlen = 32;

	ip6hdr(p, o->saddr, o->daddr, 58, mlen, 255);
	memset(m, 0, mlen);
	m[0] = advert ? 136 : 135;
	if (advert)
		m[4] = 0x60;		/* solicited, override */
	addr6(o->target, m + 8);
	m[24] = advert ? 2 : 1;		/* target / source link-layer */
	m[25] = 1;			/* 8 bytes */
	memcpy(m + 26, o->lladdr, 6);
	mlen += trailer(o, m + mlen);
	put16(p + 4, (uint16_t)mlen);
	put16(m + 2, csum6(p + 8, p + 24, 58, m, mlen));
	return 40 + mlen;
}

static size_t
arp(const struct opts *o, uint8_t *p)
{
	put16(p, 1);			/* Ethernet */
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, o->reply ? 2 : 1);
	memcpy(p + 8, o->sha, 6);
	addr4(o->spa, p + 14);
	memcpy(p + 18, o->tha, 6);
	addr4(o->tpa, p + 24);
	return 28 + trailer(o, p + 28);
}

static size_t
pppoe(const struct opts *o, uint8_t *p)
{
	size_t n = udp4(o, p + 8);

	p[0] = 0x11;			/* version 1, type 1 */
	p[1] = 0;			/* session data */
	put16(p + 2, 1);		/* session id */
	put16(p + 4, (uint16_t)(n + 2));
	put16(p + 6, 0x0021);		/* PPP: IPv4 */
	return n + 8;
}

static int
ifindex_mac(int fd, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -1;
	int idx = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return idx;
}

static int
do_send(struct opts *o, const char *kind)
{
	uint8_t f[FRAME_MAX], mac[6];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	size_t len;
	int fd, idx;

	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) < 0 ||
	    (idx = ifindex_mac(fd, o->ifname, mac)) < 0) {
		perror("icc-raw: socket");
		return 1;
	}
	if (!o->has_src)
		memcpy(o->src, mac, 6);
	if (strcmp(kind, "udp4") == 0)
		len = eth(o, f, 0x0800), len += udp4(o, f + len);
	else if (strcmp(kind, "udp6") == 0)
		len = eth(o, f, 0x86dd), len += udp6(o, f + len);
	else if (strcmp(kind, "pppoe") == 0)
		len = eth(o, f, 0x8864), len += pppoe(o, f + len);
	else if (strcmp(kind, "arp") == 0)
		len = eth(o, f, 0x0806), len += arp(o, f + len);
	else if (strcmp(kind, "icmp4err") == 0)
		len = eth(o, f, 0x0800), len += icmp4err(o, f + len);
	else if (strcmp(kind, "icmp6err") == 0)
		len = eth(o, f, 0x86dd), len += icmp6err(o, f + len);
	else if (strcmp(kind, "ns") == 0 || strcmp(kind, "na") == 0)
		len = eth(o, f, 0x86dd), len += nd(o, f + len, kind[1] == 'a');
	else
		usage("send: unknown kind");
	while (len < 60)
		f[len++] = 0;
	sll.sll_ifindex = idx;
	memcpy(sll.sll_addr, o->dst, 6);
	for (int i = 0; i < o->count; i++)
		if (sendto(fd, f, len, 0, (struct sockaddr *)&sll,
		    sizeof(sll)) != (ssize_t)len) {
			perror("icc-raw: sendto");
			return 1;
		}
	close(fd);
	return 0;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* token_bytes: t itself, or the bytes of "hex:..."; returns the length. */
static size_t
token_bytes(const char *t, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	if (strncmp(t, "hex:", 4) != 0) {
		n = strlen(t) < max ? strlen(t) : max;
		memcpy(out, t, n);
		return n;
	}
	for (t += 4; t[0] != '\0' && t[1] != '\0' && n < max; t += 2) {
		if (sscanf(t, "%2x", &v) != 1)
			usage("bad hex token");
		out[n++] = (uint8_t)v;
	}
	return n;
}

static int
do_recv(const struct opts *o)
{
	uint8_t tok[TOKENS_MAX][64];
	size_t tlen[TOKENS_MAX];

	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL) };
	unsigned long counts[TOKENS_MAX] = { 0 };
	uint8_t f[65536], mac[6];
	long end;
	int fd;

	if ((fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))) < 0 ||
	    (sll.sll_ifindex = ifindex_mac(fd, o->ifname, mac)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("icc-raw: recv socket");
		return 1;
	}
	for (int t = 0; t < o->ntokens; t++)
		if ((tlen[t] = token_bytes(o->tokens[t], tok[t],
		    sizeof(tok[t]))) == 0)
			usage("empty token");
	if (o->ready != NULL)
		close(open(o->ready, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	end = now_ms() + o->ms;
	for (long left; (left = end - now_ms()) > 0;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((n = recvfrom(fd, f, sizeof(f), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &flen)) <= 0)
			continue;
		if (o->in_only && from.sll_pkttype == PACKET_OUTGOING)
			continue;
		for (int t = 0; t < o->ntokens; t++)
			if (memmem(f, (size_t)n, tok[t], tlen[t]) != NULL)
				counts[t]++;
	}
	for (int t = 0; t < o->ntokens; t++)
		printf("%s=%lu\n", o->tokens[t], counts[t]);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "qinq", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'c' },
		{ "saddr", required_argument, NULL, 'S' },
		{ "daddr", required_argument, NULL, 'D' },
		{ "dport", required_argument, NULL, 'p' },
		{ "token", required_argument, NULL, 't' },
		{ "target", required_argument, NULL, 'T' },
		{ "lladdr", required_argument, NULL, 'l' },
		{ "op", required_argument, NULL, 'o' },
		{ "sha", required_argument, NULL, 'a' },
		{ "spa", required_argument, NULL, 'A' },
		{ "tha", required_argument, NULL, 'b' },
		{ "tpa", required_argument, NULL, 'B' },
		{ "ms", required_argument, NULL, 'm' },
		{ "ready", required_argument, NULL, 'r' },
		{ "sport", required_argument, NULL, 'P' },
		{ "inner-saddr", required_argument, NULL, 'x' },
		{ "inner-daddr", required_argument, NULL, 'y' },
		{ "mtu", required_argument, NULL, 'M' },
		{ "trailer", required_argument, NULL, 'L' },
		{ "in", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .vlan = -1, .qinq = -1, .count = 3, .token = "",
	    .sport = 40000,
	    .dst = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	const char *mode;
	int c;

	if (argc < 2)
		usage("usage: icc-raw send|recv -i IF ...");
	mode = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "i:", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 's': mac_arg(optarg, o.src); o.has_src = 1; break;
		case 'd': mac_arg(optarg, o.dst); break;
		case 'v': o.vlan = atoi(optarg); break;
		case 'q': o.qinq = atoi(optarg); break;
		case 'c': o.count = atoi(optarg); break;
		case 'S': o.saddr = optarg; break;
		case 'D': o.daddr = optarg; break;
		case 'p': o.dport = atoi(optarg); break;
		case 't':
			o.token = optarg;
			if (o.ntokens < TOKENS_MAX)
				o.tokens[o.ntokens++] = optarg;
			break;
		case 'T': o.target = optarg; break;
		case 'l': mac_arg(optarg, o.lladdr); break;
		case 'o': o.reply = strcmp(optarg, "reply") == 0; break;
		case 'a': mac_arg(optarg, o.sha); break;
		case 'A': o.spa = optarg; break;
		case 'b': mac_arg(optarg, o.tha); break;
		case 'B': o.tpa = optarg; break;
		case 'm': o.ms = atoi(optarg); break;
		case 'r': o.ready = optarg; break;
		case 'P': o.sport = atoi(optarg); break;
		case 'x': o.isaddr = optarg; break;
		case 'y': o.idaddr = optarg; break;
		case 'M': o.mtu = atoi(optarg); break;
		case 'L': o.trailer = optarg; break;
		case 'I': o.in_only = 1; break;
		default: usage("bad option");
		}
	}
	if (o.ifname == NULL)
		usage("-i IF is required");
	if (strcmp(mode, "send") == 0) {
		if (optind >= argc)
			usage("send: KIND missing");
		return do_send(&o, argv[optind]);
	}
	if (strcmp(mode, "recv") == 0) {
		if (o.ms <= 0 || o.ntokens == 0)
			usage("recv: --ms and --token are required");
		return do_recv(&o);
	}
	usage("mode must be send or recv");
}
