/*
 * gen-sample.c - write svcmap's sample capture.
 *
 * Third-party captures may not be committed, so the project generates its own:
 * a short but protocol-correct Active Directory conversation between two
 * workstations, a domain controller and a file server (DNS, Kerberos over UDP
 * and TCP, LDAP and a CLDAP ping, SMB2, the DCE/RPC Endpoint Mapper and the
 * dynamic-port Net Logon / DRSUAPI endpoints it announces, NTP, ICMP), plus
 * traffic svcmap must not attribute to a documented Windows service: SSH and
 * HTTP on unregistered ports, a flow between two public addresses, ARP and an
 * 802.1Q-tagged DNS exchange.  tests/sample.expect lists what svcmap should
 * conclude from it.
 *
 * The file is byte-for-byte reproducible: the clock starts at a fixed instant
 * and every field that would be random on a real network (ISNs, nonces,
 * ciphertext, cookies, GUIDs) comes from a fixed-seed PRNG.  Nothing here is
 * cryptographically meaningful; ciphertext is filler of a plausible length.
 *
 * Build:  cc -std=c11 -Wall -Wextra -O2 tests/gen-sample.c -lpcap
 * Usage:  gen-sample OUTPUT.pcap
 */
#define _DEFAULT_SOURCE /* <pcap/pcap.h> needs u_char & co., hidden by -std=c11 */

#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2024-01-15 09:00:00 UTC, a Monday morning logon. */
#define START_UNIX 1705309200u
#define US_PER_S 1000000u

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gen-sample: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_FAILURE);
}

/* ------------------------------------------------------------------------ */
/* Deterministic "randomness"                                               */
/* ------------------------------------------------------------------------ */

static uint32_t prng_state = 0x5eed2024u;

/* xorshift32: tiny, and fixed-seeded so that every run writes the same file. */
static uint32_t prng(void)
{
	uint32_t x = prng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return prng_state = x;
}

static uint32_t prng_range(uint32_t lo, uint32_t hi)
{
	return lo + prng() % (hi - lo + 1);
}

/* ------------------------------------------------------------------------ */
/* Bounded byte buffers                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Every PDU is built in a fixed-size buffer on the stack.  All writes go
 * through buf_grab()/buf_at(), which refuse to step outside it, so a sizing
 * mistake aborts the generator instead of writing a subtly corrupt capture.
 */
struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

#define BUF(storage) ((struct buf){ (storage), 0, sizeof(storage) })

static uint8_t *buf_grab(struct buf *b, size_t n)
{
	uint8_t *at;

	if (n > b->cap - b->len)
		die("internal error: %zu-byte write at offset %zu overflows a %zu-byte buffer",
		    n, b->len, b->cap);
	at = b->p + b->len;
	b->len += n;
	return at;
}

static uint8_t *buf_at(struct buf *b, size_t off, size_t n)
{
	if (off > b->len || n > b->len - off)
		die("internal error: patch of %zu bytes at %zu outside %zu written bytes",
		    n, off, b->len);
	return b->p + off;
}

static void put_u8(struct buf *b, uint8_t v)
{
	*buf_grab(b, 1) = v;
}

static void put_be16(struct buf *b, uint16_t v)
{
	uint8_t *q = buf_grab(b, 2);

	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

static void put_be32(struct buf *b, uint32_t v)
{
	put_be16(b, (uint16_t)(v >> 16));
	put_be16(b, (uint16_t)v);
}

static void put_le16(struct buf *b, uint16_t v)
{
	uint8_t *q = buf_grab(b, 2);

	q[0] = (uint8_t)v;
	q[1] = (uint8_t)(v >> 8);
}

static void put_le32(struct buf *b, uint32_t v)
{
	put_le16(b, (uint16_t)v);
	put_le16(b, (uint16_t)(v >> 16));
}

static void put_le64(struct buf *b, uint64_t v)
{
	put_le32(b, (uint32_t)v);
	put_le32(b, (uint32_t)(v >> 32));
}

static void put_bytes(struct buf *b, const void *src, size_t n)
{
	if (n)
		memcpy(buf_grab(b, n), src, n);
}

static void put_zeros(struct buf *b, size_t n)
{
	if (n)
		memset(buf_grab(b, n), 0, n);
}

static void put_random(struct buf *b, size_t n)
{
	uint8_t *q = n ? buf_grab(b, n) : NULL;

	for (size_t i = 0; i < n; i++)
		q[i] = (uint8_t)(prng() >> 24);
}

static void put_cstr(struct buf *b, const char *s)
{
	put_bytes(b, s, strlen(s));
}

/* Windows protocols carry names as UTF-16LE; all our names are ASCII. */
static void put_utf16(struct buf *b, const char *s)
{
	for (; *s; s++)
		put_le16(b, (uint8_t)*s);
}

static void put_buf(struct buf *b, const struct buf *src)
{
	put_bytes(b, src->p, src->len);
}

static void pad_to(struct buf *b, size_t align)
{
	while (b->len % align)
		put_u8(b, 0);
}

static void patch_be16(struct buf *b, size_t off, uint16_t v)
{
	uint8_t *q = buf_at(b, off, 2);

	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

static void patch_le16(struct buf *b, size_t off, uint16_t v)
{
	uint8_t *q = buf_at(b, off, 2);

	q[0] = (uint8_t)v;
	q[1] = (uint8_t)(v >> 8);
}

/* ------------------------------------------------------------------------ */
/* Hosts and the capture clock                                              */
/* ------------------------------------------------------------------------ */

struct host {
	uint8_t mac[6];
	uint8_t ip[4];
	uint8_t ttl;
	uint16_t ip_id; /* Windows stacks use one IPv4 ID counter per host */
};

/* Hyper-V OUI (00:15:5d): a typical small AD lab.  10.20.0.0/16 is one L2 segment. */
static struct host dc = { { 0x00, 0x15, 0x5d, 0x14, 0x00, 0x0a }, { 10, 20, 0, 10 }, 128, 0x2c41 };
static struct host fs = { { 0x00, 0x15, 0x5d, 0x14, 0x00, 0x14 }, { 10, 20, 0, 20 }, 128, 0x5e07 };
static struct host ws1 = { { 0x00, 0x15, 0x5d, 0x14, 0x01, 0x65 }, { 10, 20, 1, 101 }, 128, 0x0f3a };
static struct host ws2 = { { 0x00, 0x15, 0x5d, 0x14, 0x01, 0x66 }, { 10, 20, 1, 102 }, 128, 0x7b90 };
/*
 * A flow between two public (documentation-range) addresses crossing the
 * monitored segment: the MACs are the edge router's and the firewall's, as a
 * SPAN port would show them.
 */
static struct host inet_a = { { 0x00, 0x1b, 0x17, 0x00, 0x01, 0x11 }, { 198, 51, 100, 7 }, 52, 0x9a11 };
static struct host inet_b = { { 0x00, 0x1b, 0x17, 0x00, 0x01, 0x12 }, { 203, 0, 113, 9 }, 57, 0x0000 };

/* The DC's upstream time source, only named in NTP replies. */
static const uint8_t ntp_upstream[4] = { 198, 51, 100, 123 };

struct gen {
	pcap_dumper_t *out;
	uint64_t now_us; /* capture clock, microseconds since the Unix epoch */
	uint16_t vlan;   /* 802.1Q VID stamped on frames being written; 0 = none */
	unsigned frames;
};

static void wait_us(struct gen *g, uint32_t us)
{
	g->now_us += us;
}

static void wait_ms(struct gen *g, uint32_t ms)
{
	g->now_us += (uint64_t)ms * 1000u;
}

static void write_frame(struct gen *g, const struct buf *f)
{
	struct pcap_pkthdr h;

	/* Tens to hundreds of microseconds between frames: a quiet, fast LAN. */
	g->now_us += prng_range(40, 320);
	h.ts.tv_sec = (time_t)(g->now_us / US_PER_S);
	h.ts.tv_usec = (suseconds_t)(g->now_us % US_PER_S);
	h.caplen = h.len = (bpf_u_int32)f->len;
	pcap_dump((u_char *)g->out, &h, f->p);
	g->frames++;
}

/* ------------------------------------------------------------------------ */
/* Ethernet, ARP, IPv4, ICMP, UDP                                           */
/* ------------------------------------------------------------------------ */

enum { ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_ARP = 0x0806, ETHERTYPE_VLAN = 0x8100 };
enum { IPPROTO_ICMP_ = 1, IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17 };

#define ETH_MIN_FRAME 60 /* without FCS: short frames arrive padded from the switch */
#define LINK_MTU 1500

static void send_eth(struct gen *g, const uint8_t dst[6], const uint8_t src[6],
		     uint16_t ethertype, const struct buf *payload)
{
	uint8_t storage[18 + LINK_MTU];
	struct buf f = BUF(storage);

	put_bytes(&f, dst, 6);
	put_bytes(&f, src, 6);
	if (g->vlan) {
		put_be16(&f, ETHERTYPE_VLAN);
		put_be16(&f, g->vlan); /* PCP 0, DEI 0 */
	}
	put_be16(&f, ethertype);
	put_buf(&f, payload);
	if (f.len < ETH_MIN_FRAME)
		put_zeros(&f, ETH_MIN_FRAME - f.len);
	write_frame(g, &f);
}

static void send_arp(struct gen *g, bool reply, const struct host *sender, const struct host *target)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t unknown[6];
	uint8_t storage[28];
	struct buf a = BUF(storage);

	put_be16(&a, 1);              /* Ethernet */
	put_be16(&a, ETHERTYPE_IPV4);
	put_u8(&a, 6);
	put_u8(&a, 4);
	put_be16(&a, reply ? 2 : 1);
	put_bytes(&a, sender->mac, 6);
	put_bytes(&a, sender->ip, 4);
	put_bytes(&a, reply ? target->mac : unknown, 6);
	put_bytes(&a, target->ip, 4);
	send_eth(g, reply ? target->mac : bcast, sender->mac, ETHERTYPE_ARP, &a);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* TCP and UDP checksums cover an IPv4 pseudo-header (RFC 793, RFC 768). */
static uint16_t l4_checksum(const struct host *src, const struct host *dst, uint8_t proto,
			    const struct buf *seg)
{
	uint8_t ph[12];

	memcpy(ph, src->ip, 4);
	memcpy(ph + 4, dst->ip, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(seg->len >> 8);
	ph[11] = (uint8_t)seg->len;
	return csum_fold(csum_add(csum_add(0, ph, sizeof ph), seg->p, seg->len));
}

static void send_ipv4(struct gen *g, struct host *src, const struct host *dst, uint8_t proto,
		      const struct buf *l4)
{
	uint8_t storage[LINK_MTU];
	struct buf ip = BUF(storage);

	if (l4->len > LINK_MTU - 20)
		die("internal error: %zu-byte IPv4 payload exceeds the MTU", l4->len);
	put_u8(&ip, 0x45);
	put_u8(&ip, 0);
	put_be16(&ip, (uint16_t)(20 + l4->len));
	put_be16(&ip, src->ip_id++);
	/* Stacks set DF on TCP (PMTU discovery); Windows leaves it clear on UDP and ICMP. */
	put_be16(&ip, proto == IPPROTO_TCP_ ? 0x4000 : 0);
	put_u8(&ip, src->ttl);
	put_u8(&ip, proto);
	put_be16(&ip, 0);
	put_bytes(&ip, src->ip, 4);
	put_bytes(&ip, dst->ip, 4);
	patch_be16(&ip, 10, csum_fold(csum_add(0, ip.p, 20)));
	put_buf(&ip, l4);
	send_eth(g, dst->mac, src->mac, ETHERTYPE_IPV4, &ip);
}

static void ping(struct gen *g, struct host *src, struct host *dst, uint16_t id, uint16_t seq)
{
	/* ping.exe's payload, so the echo looks like the real thing */
	static const char pattern[] = "abcdefghijklmnopqrstuvwabcdefghi";

	for (int reply = 0; reply <= 1; reply++) {
		uint8_t storage[64];
		struct buf m = BUF(storage);

		put_u8(&m, reply ? 0 : 8);
		put_u8(&m, 0);
		put_be16(&m, 0);
		put_be16(&m, id);
		put_be16(&m, seq);
		put_bytes(&m, pattern, sizeof pattern - 1);
		patch_be16(&m, 2, csum_fold(csum_add(0, m.p, m.len)));
		send_ipv4(g, reply ? dst : src, reply ? src : dst, IPPROTO_ICMP_, &m);
	}
}

static void send_udp(struct gen *g, struct host *src, uint16_t sport, struct host *dst,
		     uint16_t dport, const struct buf *data)
{
	uint8_t storage[LINK_MTU - 20];
	struct buf u = BUF(storage);
	uint16_t sum;

	put_be16(&u, sport);
	put_be16(&u, dport);
	put_be16(&u, (uint16_t)(8 + data->len));
	put_be16(&u, 0);
	put_buf(&u, data);
	sum = l4_checksum(src, dst, IPPROTO_UDP_, &u);
	patch_be16(&u, 6, sum ? sum : 0xffff); /* a computed 0 is sent as all ones */
	send_ipv4(g, src, dst, IPPROTO_UDP_, &u);
}

/* ------------------------------------------------------------------------ */
/* TCP sessions                                                             */
/* ------------------------------------------------------------------------ */

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };
enum side { CLI = 0, SRV = 1 };

#define TCP_MSS 1460

struct tcp_conn {
	struct host *host[2];
	uint16_t port[2];
	uint32_t seq[2]; /* next sequence number each side will send */
};

static enum side peer(enum side s)
{
	return s == CLI ? SRV : CLI;
}

static void tcp_segment(struct gen *g, struct tcp_conn *c, enum side from, uint8_t flags,
			const uint8_t *data, size_t n)
{
	/* MSS 1460, NOP, WS 8, NOP, NOP, SACK permitted: what Windows puts in a SYN */
	static const uint8_t syn_opts[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };
	enum side to = peer(from);
	bool syn = flags & TCP_SYN;
	uint8_t storage[LINK_MTU - 20];
	struct buf t = BUF(storage);

	put_be16(&t, c->port[from]);
	put_be16(&t, c->port[to]);
	put_be32(&t, c->seq[from]);
	put_be32(&t, (flags & TCP_ACK) ? c->seq[to] : 0);
	put_u8(&t, (uint8_t)((syn ? 32 : 20) / 4 << 4));
	put_u8(&t, flags);
	/* SYN windows are never scaled (RFC 7323); afterwards 1026 << 8 = 256 KiB. */
	put_be16(&t, syn ? 64240 : 1026);
	put_be16(&t, 0); /* checksum, below */
	put_be16(&t, 0); /* urgent pointer */
	if (syn)
		put_bytes(&t, syn_opts, sizeof syn_opts);
	put_bytes(&t, data, n);
	patch_be16(&t, 16, l4_checksum(c->host[from], c->host[to], IPPROTO_TCP_, &t));
	send_ipv4(g, c->host[from], c->host[to], IPPROTO_TCP_, &t);
	c->seq[from] += (uint32_t)n + (syn ? 1u : 0u) + ((flags & TCP_FIN) ? 1u : 0u);
}

static void tcp_connect(struct gen *g, struct tcp_conn *c, struct host *cli, uint16_t cport,
			struct host *srv, uint16_t sport)
{
	c->host[CLI] = cli;
	c->host[SRV] = srv;
	c->port[CLI] = cport;
	c->port[SRV] = sport;
	c->seq[CLI] = prng();
	c->seq[SRV] = prng();
	tcp_segment(g, c, CLI, TCP_SYN, NULL, 0);
	tcp_segment(g, c, SRV, TCP_SYN | TCP_ACK, NULL, 0);
	tcp_segment(g, c, CLI, TCP_ACK, NULL, 0);
}

/* One application message, cut into MSS-sized segments; PSH marks its end. */
static void tcp_send(struct gen *g, struct tcp_conn *c, enum side from, const struct buf *msg)
{
	size_t off = 0;

	do {
		size_t n = msg->len - off < TCP_MSS ? msg->len - off : TCP_MSS;
		bool last = off + n == msg->len;

		tcp_segment(g, c, from, TCP_ACK | (last ? TCP_PSH : 0), msg->p + off, n);
		off += n;
	} while (off < msg->len);
}

static void tcp_ack(struct gen *g, struct tcp_conn *c, enum side from)
{
	tcp_segment(g, c, from, TCP_ACK, NULL, 0);
}

static void tcp_close(struct gen *g, struct tcp_conn *c, enum side first)
{
	tcp_segment(g, c, first, TCP_FIN | TCP_ACK, NULL, 0);
	tcp_segment(g, c, peer(first), TCP_FIN | TCP_ACK, NULL, 0);
	tcp_segment(g, c, first, TCP_ACK, NULL, 0);
}

/* Request from the client, then (after the server's think time) its answer. */
static void tcp_exchange(struct gen *g, struct tcp_conn *c, const struct buf *req,
			 const struct buf *resp, uint32_t think_us)
{
	tcp_send(g, c, CLI, req);
	wait_us(g, think_us);
	tcp_send(g, c, SRV, resp);
}

/* ------------------------------------------------------------------------ */
/* Clients                                                                  */
/* ------------------------------------------------------------------------ */

struct client {
	struct host *h;
	const char *netbios; /* computer name, e.g. "WS01" */
	const char *user;    /* logged-on user */
	uint16_t next_port;  /* Windows hands out ephemeral ports sequentially */
};

static uint16_t ephemeral(struct client *c)
{
	return c->next_port++;
}

/* ------------------------------------------------------------------------ */
/* DNS (RFC 1035, RFC 2782)                                                 */
/* ------------------------------------------------------------------------ */

enum { DNS_A = 1, DNS_SRV = 33 };

#define DOMAIN "corp.example"
#define DC_FQDN "dc01." DOMAIN
#define FS_FQDN "fs01." DOMAIN

static void dns_name(struct buf *b, const char *name)
{
	while (*name) {
		size_t l = strcspn(name, ".");

		if (l == 0 || l > 63)
			die("internal error: bad DNS label in \"%s\"", name);
		put_u8(b, (uint8_t)l);
		put_bytes(b, name, l);
		name += l;
		if (*name == '.')
			name++;
	}
	put_u8(b, 0);
}

struct dns_rr {
	const char *name; /* NULL: the question name, as a compression pointer */
	uint16_t type;
	const uint8_t *addr;  /* A */
	uint16_t port;        /* SRV */
	const char *target;   /* SRV */
};

static void dns_rr(struct buf *b, const struct dns_rr *rr)
{
	size_t rdlen_at;

	if (rr->name)
		dns_name(b, rr->name);
	else
		put_be16(b, 0xc00c); /* the question name always starts at offset 12 */
	put_be16(b, rr->type);
	put_be16(b, 1); /* IN */
	put_be32(b, 600);
	rdlen_at = b->len;
	put_be16(b, 0);
	if (rr->type == DNS_A) {
		put_bytes(b, rr->addr, 4);
	} else {
		put_be16(b, 0);   /* priority */
		put_be16(b, 100); /* weight */
		put_be16(b, rr->port);
		dns_name(b, rr->target);
	}
	patch_be16(b, rdlen_at, (uint16_t)(b->len - rdlen_at - 2));
}

static void dns_lookup(struct gen *g, struct client *c, const char *qname, uint16_t qtype,
		       const struct dns_rr *an, size_t nan, const struct dns_rr *ar, size_t nar)
{
	uint8_t qs[512], rs[512];
	struct buf q = BUF(qs), r = BUF(rs);
	uint16_t port = ephemeral(c), id = (uint16_t)prng();

	put_be16(&q, id);
	put_be16(&q, 0x0100); /* standard query, recursion desired */
	put_be16(&q, 1);
	put_be16(&q, 0);
	put_be16(&q, 0);
	put_be16(&q, 0);
	dns_name(&q, qname);
	put_be16(&q, qtype);
	put_be16(&q, 1);

	/* The DC is authoritative for its AD zone: QR, AA, RD, RA. */
	put_be16(&r, id);
	put_be16(&r, 0x8580);
	put_be16(&r, 1);
	put_be16(&r, (uint16_t)nan);
	put_be16(&r, 0);
	put_be16(&r, (uint16_t)nar);
	put_bytes(&r, q.p + 12, q.len - 12);
	for (size_t i = 0; i < nan; i++)
		dns_rr(&r, &an[i]);
	for (size_t i = 0; i < nar; i++)
		dns_rr(&r, &ar[i]);

	send_udp(g, c->h, port, &dc, 53, &q);
	wait_us(g, 300);
	send_udp(g, &dc, 53, c->h, port, &r);
}

static void dns_lookup_a(struct gen *g, struct client *c, const char *name, const uint8_t ip[4])
{
	const struct dns_rr a = { .name = NULL, .type = DNS_A, .addr = ip };

	dns_lookup(g, c, name, DNS_A, &a, 1, NULL, 0);
}

/* DsGetDcName's first step: which DCs serve LDAP for the domain? */
static void dns_locate_dc(struct gen *g, struct client *c)
{
	const struct dns_rr srv = { .name = NULL, .type = DNS_SRV, .port = 389, .target = DC_FQDN };
	const struct dns_rr glue = { .name = DC_FQDN, .type = DNS_A, .addr = dc.ip };

	dns_lookup(g, c, "_ldap._tcp.dc._msdcs." DOMAIN, DNS_SRV, &srv, 1, &glue, 1);
}

/* ------------------------------------------------------------------------ */
/* ASN.1 BER/DER                                                            */
/* ------------------------------------------------------------------------ */

enum {
	A_BOOL = 0x01, A_INT = 0x02, A_BITS = 0x03, A_OCTETS = 0x04, A_OID = 0x06,
	A_ENUM = 0x0a, A_GENTIME = 0x18, A_GENSTR = 0x1b, A_SEQ = 0x30, A_SET = 0x31,
};
#define CTX(n) ((uint8_t)(0xa0 | (n)))  /* [n] constructed */
#define CTXP(n) ((uint8_t)(0x80 | (n))) /* [n] primitive */
#define APP(n) ((uint8_t)(0x60 | (n)))  /* [APPLICATION n] constructed */
#define APPP(n) ((uint8_t)(0x40 | (n))) /* [APPLICATION n] primitive */

/*
 * Elements are written tag-first with a one-byte length placeholder; when the
 * element is closed its content is shifted right if the length needs more
 * bytes.  Returns the offset where the content starts.
 */
static size_t asn1_open(struct buf *b, uint8_t tag)
{
	put_u8(b, tag);
	put_u8(b, 0);
	return b->len;
}

/*
 * long4 forces the 4-byte long form (0x84 xx xx xx xx).  Windows' LDAP
 * encoders (wldap32 and the DC) write every constructed element that way,
 * which is legal BER and part of what makes AD LDAP recognisable.
 */
static void asn1_close_form(struct buf *b, size_t start, bool long4)
{
	uint8_t hdr[5];
	size_t hn, clen;

	if (start < 1 || start > b->len)
		die("internal error: ASN.1 element closed out of order");
	clen = b->len - start;
	if (long4 || clen > 0xffff) {
		if (clen > 0xffffffffu)
			die("internal error: ASN.1 element too long");
		hdr[0] = 0x84;
		hdr[1] = (uint8_t)(clen >> 24);
		hdr[2] = (uint8_t)(clen >> 16);
		hdr[3] = (uint8_t)(clen >> 8);
		hdr[4] = (uint8_t)clen;
		hn = 5;
	} else if (clen > 0xff) {
		hdr[0] = 0x82;
		hdr[1] = (uint8_t)(clen >> 8);
		hdr[2] = (uint8_t)clen;
		hn = 3;
	} else if (clen > 0x7f) {
		hdr[0] = 0x81;
		hdr[1] = (uint8_t)clen;
		hn = 2;
	} else {
		hdr[0] = (uint8_t)clen;
		hn = 1;
	}
	buf_grab(b, hn - 1); /* room for the extra length octets */
	memmove(b->p + start + hn - 1, b->p + start, clen);
	memcpy(b->p + start - 1, hdr, hn);
}

static void asn1_close(struct buf *b, size_t start)
{
	asn1_close_form(b, start, false);
}

static void ber_close_win(struct buf *b, size_t start)
{
	asn1_close_form(b, start, true);
}

static void asn1_prim(struct buf *b, uint8_t tag, const void *v, size_t n)
{
	size_t m = asn1_open(b, tag);

	put_bytes(b, v, n);
	asn1_close(b, m);
}

static void asn1_str(struct buf *b, uint8_t tag, const char *s)
{
	asn1_prim(b, tag, s, strlen(s));
}

/* INTEGER / ENUMERATED in the minimal two's-complement form DER requires. */
static void asn1_int(struct buf *b, uint8_t tag, int64_t v)
{
	uint64_t u = (uint64_t)v;
	uint8_t be[8];
	int s = 0;

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(u >> (8 * (7 - i)));
	while (s < 7 && ((be[s] == 0x00 && !(be[s + 1] & 0x80)) ||
			 (be[s] == 0xff && (be[s + 1] & 0x80))))
		s++;
	asn1_prim(b, tag, be + s, (size_t)(8 - s));
}

static void asn1_ctx_int(struct buf *b, int ctx, int64_t v)
{
	size_t m = asn1_open(b, CTX(ctx));

	asn1_int(b, A_INT, v);
	asn1_close(b, m);
}

static void asn1_ctx_str(struct buf *b, int ctx, uint8_t tag, const char *s)
{
	size_t m = asn1_open(b, CTX(ctx));

	asn1_str(b, tag, s);
	asn1_close(b, m);
}

/* A 32-bit flags BIT STRING (KDCOptions, APOptions): no unused bits. */
static void asn1_ctx_flags(struct buf *b, int ctx, uint32_t flags)
{
	uint8_t v[5] = { 0, (uint8_t)(flags >> 24), (uint8_t)(flags >> 16),
			 (uint8_t)(flags >> 8), (uint8_t)flags };
	size_t m = asn1_open(b, CTX(ctx));

	asn1_prim(b, A_BITS, v, sizeof v);
	asn1_close(b, m);
}

/* ------------------------------------------------------------------------ */
/* Kerberos V5 (RFC 4120)                                                   */
/* ------------------------------------------------------------------------ */

#define REALM "CORP.EXAMPLE"

enum { KRB_AS_REQ = 10, KRB_AS_REP = 11, KRB_TGS_REQ = 12, KRB_TGS_REP = 13,
       KRB_AP_REQ = 14, KRB_AP_REP = 15 };
enum { NT_PRINCIPAL = 1, NT_SRV_INST = 2 };
enum { ETYPE_AES256 = 18, ETYPE_AES128 = 17, ETYPE_RC4 = 23 };
enum { PA_TGS_REQ = 1, PA_ENC_TIMESTAMP = 2, PA_ETYPE_INFO2 = 19, PA_PAC_REQUEST = 128 };

#define KDC_OPTS_AS 0x40810010u  /* forwardable, renewable, canonicalize, renewable-ok */
#define KDC_OPTS_TGS 0x40810000u /* forwardable, renewable, canonicalize */
#define AP_OPT_MUTUAL 0x20000000u
#define TGT_CIPHER_LEN 820 /* a TGT with a small PAC */

struct krb_name {
	int type;
	const char *part[3]; /* unused trailing parts are NULL */
};

static const struct krb_name krbtgt = { NT_SRV_INST, { "krbtgt", REALM } };
static const struct krb_name spn_cifs_fs = { NT_SRV_INST, { "cifs", FS_FQDN } };
static const struct krb_name spn_ldap_dc = { NT_SRV_INST, { "ldap", DC_FQDN } };

static void krb_principal(struct buf *b, int ctx, const struct krb_name *n)
{
	size_t t = asn1_open(b, CTX(ctx)), s = asn1_open(b, A_SEQ), t1, s1;

	asn1_ctx_int(b, 0, n->type);
	t1 = asn1_open(b, CTX(1));
	s1 = asn1_open(b, A_SEQ);
	for (size_t i = 0; i < 3 && n->part[i]; i++)
		asn1_str(b, A_GENSTR, n->part[i]);
	asn1_close(b, s1);
	asn1_close(b, t1);
	asn1_close(b, s);
	asn1_close(b, t);
}

/* EncryptedData; ctx < 0 writes it untagged (as a PA-DATA value). */
static void krb_enc_data(struct buf *b, int ctx, int etype, int kvno, size_t cipher_len)
{
	size_t t = ctx >= 0 ? asn1_open(b, CTX(ctx)) : 0, s = asn1_open(b, A_SEQ), c, o;

	asn1_ctx_int(b, 0, etype);
	if (kvno >= 0)
		asn1_ctx_int(b, 1, kvno);
	c = asn1_open(b, CTX(2));
	o = asn1_open(b, A_OCTETS);
	put_random(b, cipher_len);
	asn1_close(b, o);
	asn1_close(b, c);
	asn1_close(b, s);
	if (ctx >= 0)
		asn1_close(b, t);
}

static void krb_ticket(struct buf *b, int ctx, const struct krb_name *sname, size_t cipher_len)
{
	size_t t = asn1_open(b, CTX(ctx)), a = asn1_open(b, APP(1)), s = asn1_open(b, A_SEQ);

	asn1_ctx_int(b, 0, 5);
	asn1_ctx_str(b, 1, A_GENSTR, REALM);
	krb_principal(b, 2, sname);
	krb_enc_data(b, 3, ETYPE_AES256, 3, cipher_len); /* service key version 3 */
	asn1_close(b, s);
	asn1_close(b, a);
	asn1_close(b, t);
}

static void krb_ap_req(struct buf *b, uint32_t ap_options, const struct krb_name *sname,
		       size_t ticket_len)
{
	size_t a = asn1_open(b, APP(KRB_AP_REQ)), s = asn1_open(b, A_SEQ);

	asn1_ctx_int(b, 0, 5);
	asn1_ctx_int(b, 1, KRB_AP_REQ);
	asn1_ctx_flags(b, 2, ap_options);
	krb_ticket(b, 3, sname, ticket_len);
	krb_enc_data(b, 4, ETYPE_AES256, -1, 180); /* authenticator */
	asn1_close(b, s);
	asn1_close(b, a);
}

/* PA-DATA ::= SEQUENCE { padata-type [1], padata-value [2] OCTET STRING (DER inside) } */
struct pa_marks {
	size_t seq, ctx, oct;
};

static struct pa_marks pa_open(struct buf *b, int type)
{
	struct pa_marks m;

	m.seq = asn1_open(b, A_SEQ);
	asn1_ctx_int(b, 1, type);
	m.ctx = asn1_open(b, CTX(2));
	m.oct = asn1_open(b, A_OCTETS);
	return m;
}

static void pa_close(struct buf *b, struct pa_marks m)
{
	asn1_close(b, m.oct);
	asn1_close(b, m.ctx);
	asn1_close(b, m.seq);
}

/*
 * KDC-REQ.  AS-REQs carry the pre-authentication Windows sends once the KDC
 * has demanded it (encrypted timestamp, PAC request); TGS-REQs carry the
 * AP-REQ with the TGT.
 */
static void krb_kdc_req(struct buf *b, int msg_type, const struct krb_name *cname,
			const struct krb_name *sname)
{
	static const int etypes[] = { ETYPE_AES256, ETYPE_AES128, ETYPE_RC4, 24, -135 };
	size_t a = asn1_open(b, APP(msg_type)), s = asn1_open(b, A_SEQ), p, ps, rb, rs, e, es;
	struct pa_marks pa;

	asn1_ctx_int(b, 1, 5);
	asn1_ctx_int(b, 2, msg_type);
	p = asn1_open(b, CTX(3));
	ps = asn1_open(b, A_SEQ);
	if (msg_type == KRB_AS_REQ) {
		size_t ps2;

		pa = pa_open(b, PA_ENC_TIMESTAMP);
		krb_enc_data(b, -1, ETYPE_AES256, -1, 56);
		pa_close(b, pa);
		pa = pa_open(b, PA_PAC_REQUEST);
		ps2 = asn1_open(b, A_SEQ);
		{
			size_t t = asn1_open(b, CTX(0));
			asn1_prim(b, A_BOOL, "\xff", 1);
			asn1_close(b, t);
		}
		asn1_close(b, ps2);
		pa_close(b, pa);
	} else {
		pa = pa_open(b, PA_TGS_REQ);
		krb_ap_req(b, 0, &krbtgt, TGT_CIPHER_LEN);
		pa_close(b, pa);
	}
	asn1_close(b, ps);
	asn1_close(b, p);

	rb = asn1_open(b, CTX(4));
	rs = asn1_open(b, A_SEQ);
	asn1_ctx_flags(b, 0, msg_type == KRB_AS_REQ ? KDC_OPTS_AS : KDC_OPTS_TGS);
	if (cname)
		krb_principal(b, 1, cname);
	asn1_ctx_str(b, 2, A_GENSTR, REALM);
	krb_principal(b, 3, sname);
	asn1_ctx_str(b, 5, A_GENTIME, "20370913024805Z"); /* Windows' "forever" */
	if (msg_type == KRB_AS_REQ)
		asn1_ctx_str(b, 6, A_GENTIME, "20370913024805Z");
	asn1_ctx_int(b, 7, prng() & 0x7fffffff); /* nonce */
	e = asn1_open(b, CTX(8));
	es = asn1_open(b, A_SEQ);
	for (size_t i = 0; i < sizeof etypes / sizeof etypes[0]; i++)
		asn1_int(b, A_INT, etypes[i]);
	asn1_close(b, es);
	asn1_close(b, e);
	asn1_close(b, rs);
	asn1_close(b, rb);

	asn1_close(b, s);
	asn1_close(b, a);
}

/* KDC-REP.  An AS-REP tells the client its salt (PA-ETYPE-INFO2). */
static void krb_kdc_rep(struct buf *b, int msg_type, const struct krb_name *cname,
			const struct krb_name *sname, size_t ticket_len)
{
	size_t a = asn1_open(b, APP(msg_type)), s = asn1_open(b, A_SEQ);

	asn1_ctx_int(b, 0, 5);
	asn1_ctx_int(b, 1, msg_type);
	if (msg_type == KRB_AS_REP) {
		char salt[64];
		size_t p = asn1_open(b, CTX(2)), ps = asn1_open(b, A_SEQ), l, e;
		struct pa_marks pa = pa_open(b, PA_ETYPE_INFO2);

		snprintf(salt, sizeof salt, "%s%s", REALM, cname->part[0]);
		l = asn1_open(b, A_SEQ);
		e = asn1_open(b, A_SEQ);
		asn1_ctx_int(b, 0, ETYPE_AES256);
		asn1_ctx_str(b, 1, A_GENSTR, salt);
		asn1_close(b, e);
		asn1_close(b, l);
		pa_close(b, pa);
		asn1_close(b, ps);
		asn1_close(b, p);
	}
	asn1_ctx_str(b, 3, A_GENSTR, REALM);
	krb_principal(b, 4, cname);
	krb_ticket(b, 5, sname, ticket_len);
	/* AS-REP: sealed with the user's key (kvno 2); TGS-REP: with the TGT session key. */
	krb_enc_data(b, 6, ETYPE_AES256, msg_type == KRB_AS_REP ? 2 : -1, 312);
	asn1_close(b, s);
	asn1_close(b, a);
}

/* KDC exchange over UDP, or over TCP with RFC 4120 7.2.2's 4-byte length prefix. */
static void krb_exchange(struct gen *g, struct client *c, bool tcp, const struct buf *req,
			 const struct buf *rep)
{
	uint16_t port = ephemeral(c);

	if (tcp) {
		uint8_t qs[4096], rs[4096];
		struct buf q = BUF(qs), r = BUF(rs);
		struct tcp_conn t;

		put_be32(&q, (uint32_t)req->len);
		put_buf(&q, req);
		put_be32(&r, (uint32_t)rep->len);
		put_buf(&r, rep);
		tcp_connect(g, &t, c->h, port, &dc, 88);
		tcp_exchange(g, &t, &q, &r, 1800);
		tcp_close(g, &t, CLI);
	} else {
		send_udp(g, c->h, port, &dc, 88, req);
		wait_us(g, 1800);
		send_udp(g, &dc, 88, c->h, port, rep);
	}
}

static void kerberos_logon(struct gen *g, struct client *c, bool tcp)
{
	uint8_t qs[2048], rs[2048];
	struct buf q = BUF(qs), r = BUF(rs);
	const struct krb_name user = { NT_PRINCIPAL, { c->user } };

	krb_kdc_req(&q, KRB_AS_REQ, &user, &krbtgt);
	krb_kdc_rep(&r, KRB_AS_REP, &user, &krbtgt, TGT_CIPHER_LEN);
	krb_exchange(g, c, tcp, &q, &r);
}

static void kerberos_service_ticket(struct gen *g, struct client *c, bool tcp,
				    const struct krb_name *spn, size_t ticket_len)
{
	uint8_t qs[2048], rs[4096];
	struct buf q = BUF(qs), r = BUF(rs);
	const struct krb_name user = { NT_PRINCIPAL, { c->user } };

	krb_kdc_req(&q, KRB_TGS_REQ, NULL, spn);
	krb_kdc_rep(&r, KRB_TGS_REP, &user, spn, ticket_len);
	krb_exchange(g, c, tcp, &q, &r);
}

/* ------------------------------------------------------------------------ */
/* SPNEGO (RFC 4178) and the Kerberos GSS-API mechanism (RFC 4121)          */
/* ------------------------------------------------------------------------ */

static const uint8_t OID_SPNEGO[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static const uint8_t OID_MS_KRB5[] = { 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02 };
static const uint8_t OID_KRB5[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };
static const uint8_t OID_NEGOEX[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e };
static const uint8_t OID_NTLMSSP[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };

/* InitialContextToken: [APPLICATION 0] { mech OID, TOK_ID, inner token } */
static void gss_krb5_token(struct buf *b, bool ap_rep, const struct krb_name *target)
{
	size_t g = asn1_open(b, APP(0));

	asn1_prim(b, A_OID, OID_KRB5, sizeof OID_KRB5);
	put_u8(b, ap_rep ? 0x02 : 0x01); /* TOK_ID, big-endian 0x0100 / 0x0200 */
	put_u8(b, 0x00);
	if (ap_rep) {
		size_t a = asn1_open(b, APP(KRB_AP_REP)), s = asn1_open(b, A_SEQ);

		asn1_ctx_int(b, 0, 5);
		asn1_ctx_int(b, 1, KRB_AP_REP);
		krb_enc_data(b, 2, ETYPE_AES256, -1, 104);
		asn1_close(b, s);
		asn1_close(b, a);
	} else {
		krb_ap_req(b, AP_OPT_MUTUAL, target, 1080);
	}
	asn1_close(b, g);
}

/*
 * negTokenInit.  With a target it carries a Kerberos AP-REQ (client side);
 * without one it is the server's mechanism advertisement, with the negHints
 * string Windows has sent since 2008.
 */
static void spnego_init(struct buf *b, const struct krb_name *target)
{
	size_t g = asn1_open(b, APP(0)), t, s, mt, ms;

	asn1_prim(b, A_OID, OID_SPNEGO, sizeof OID_SPNEGO);
	t = asn1_open(b, CTX(0));
	s = asn1_open(b, A_SEQ);
	mt = asn1_open(b, CTX(0));
	ms = asn1_open(b, A_SEQ);
	asn1_prim(b, A_OID, OID_MS_KRB5, sizeof OID_MS_KRB5);
	asn1_prim(b, A_OID, OID_KRB5, sizeof OID_KRB5);
	asn1_prim(b, A_OID, OID_NEGOEX, sizeof OID_NEGOEX);
	asn1_prim(b, A_OID, OID_NTLMSSP, sizeof OID_NTLMSSP);
	asn1_close(b, ms);
	asn1_close(b, mt);
	if (target) {
		size_t m = asn1_open(b, CTX(2)), o = asn1_open(b, A_OCTETS);

		gss_krb5_token(b, false, target);
		asn1_close(b, o);
		asn1_close(b, m);
	} else {
		size_t h = asn1_open(b, CTX(3)), hs = asn1_open(b, A_SEQ);

		asn1_ctx_str(b, 0, A_GENSTR, "not_defined_in_RFC4178@please_ignore");
		asn1_close(b, hs);
		asn1_close(b, h);
	}
	asn1_close(b, s);
	asn1_close(b, t);
	asn1_close(b, g);
}

/* negTokenResp: accept-completed, with the AP-REP for mutual authentication. */
static void spnego_accept(struct buf *b)
{
	size_t r = asn1_open(b, CTX(1)), s = asn1_open(b, A_SEQ), m, o;
	size_t st = asn1_open(b, CTX(0));

	asn1_int(b, A_ENUM, 0);
	asn1_close(b, st);
	m = asn1_open(b, CTX(1));
	asn1_prim(b, A_OID, OID_MS_KRB5, sizeof OID_MS_KRB5);
	asn1_close(b, m);
	m = asn1_open(b, CTX(2));
	o = asn1_open(b, A_OCTETS);
	gss_krb5_token(b, true, NULL);
	asn1_close(b, o);
	asn1_close(b, m);
	asn1_close(b, s);
	asn1_close(b, r);
}

/* ------------------------------------------------------------------------ */
/* LDAP (RFC 4511) and CLDAP                                                */
/* ------------------------------------------------------------------------ */

enum { LDAP_BIND_REQ = 0, LDAP_BIND_RESP = 1, LDAP_UNBIND_REQ = 2, LDAP_SEARCH_REQ = 3,
       LDAP_SEARCH_ENTRY = 4, LDAP_SEARCH_DONE = 5 };
enum { SCOPE_BASE = 0, SCOPE_SUBTREE = 2 };

#define BASE_DN "DC=corp,DC=example"
#define CONFIG_DN "CN=Configuration," BASE_DN
#define SERVER_DN "CN=DC01,CN=Servers,CN=Default-First-Site-Name,CN=Sites," CONFIG_DN

struct ldap_msg {
	size_t env, op;
	uint8_t tag;
};

static struct ldap_msg ldap_begin(struct buf *b, int id, int op, bool constructed)
{
	struct ldap_msg m;

	m.env = asn1_open(b, A_SEQ);
	asn1_int(b, A_INT, id);
	m.tag = constructed ? APP(op) : APPP(op);
	m.op = asn1_open(b, m.tag);
	return m;
}

static void ldap_end(struct buf *b, struct ldap_msg m)
{
	if (m.tag & 0x20)
		ber_close_win(b, m.op);
	else
		asn1_close(b, m.op); /* unbindRequest: 42 00 */
	ber_close_win(b, m.env);
}

static void ldap_result(struct buf *b, int id, int op, int code)
{
	struct ldap_msg m = ldap_begin(b, id, op, true);

	asn1_int(b, A_ENUM, code);
	asn1_str(b, A_OCTETS, ""); /* matchedDN */
	asn1_str(b, A_OCTETS, ""); /* diagnosticMessage */
	ldap_end(b, m);
}

static void ldap_simple_bind(struct buf *b, int id, const char *dn, const char *password)
{
	struct ldap_msg m = ldap_begin(b, id, LDAP_BIND_REQ, true);

	asn1_int(b, A_INT, 3);
	asn1_str(b, A_OCTETS, dn);
	asn1_str(b, CTXP(0), password);
	ldap_end(b, m);
}

/* searchRequest up to the filter; the caller writes the filter, then ldap_search_end(). */
static struct ldap_msg ldap_search_begin(struct buf *b, int id, const char *base, int scope)
{
	struct ldap_msg m = ldap_begin(b, id, LDAP_SEARCH_REQ, true);

	asn1_str(b, A_OCTETS, base);
	asn1_int(b, A_ENUM, scope);
	asn1_int(b, A_ENUM, 0); /* neverDerefAliases */
	asn1_int(b, A_INT, 0);  /* sizeLimit */
	asn1_int(b, A_INT, scope == SCOPE_BASE ? 0 : 120); /* timeLimit */
	asn1_prim(b, A_BOOL, "", 1);                       /* typesOnly FALSE */
	return m;
}

static void ldap_search_end(struct buf *b, struct ldap_msg m, const char *const *attrs)
{
	size_t s = asn1_open(b, A_SEQ);

	for (; *attrs; attrs++)
		asn1_str(b, A_OCTETS, *attrs);
	ber_close_win(b, s);
	ldap_end(b, m);
}

static void filter_present(struct buf *b, const char *attr)
{
	asn1_str(b, CTXP(7), attr);
}

static void filter_eq(struct buf *b, const char *attr, const void *val, size_t n)
{
	size_t m = asn1_open(b, CTX(3));

	asn1_str(b, A_OCTETS, attr);
	asn1_prim(b, A_OCTETS, val, n);
	ber_close_win(b, m);
}

static void filter_eq_str(struct buf *b, const char *attr, const char *val)
{
	filter_eq(b, attr, val, strlen(val));
}

struct ldap_attr {
	const char *type;
	const char *vals[6]; /* NULL-terminated unless all six are used */
};

static void ldap_entry(struct buf *b, int id, const char *dn, const struct ldap_attr *a, size_t n)
{
	struct ldap_msg m = ldap_begin(b, id, LDAP_SEARCH_ENTRY, true);
	size_t seq;

	asn1_str(b, A_OCTETS, dn);
	seq = asn1_open(b, A_SEQ);
	for (size_t i = 0; i < n; i++) {
		size_t pa = asn1_open(b, A_SEQ), set;

		asn1_str(b, A_OCTETS, a[i].type);
		set = asn1_open(b, A_SET);
		for (size_t v = 0; v < 6 && a[i].vals[v]; v++)
			asn1_str(b, A_OCTETS, a[i].vals[v]);
		ber_close_win(b, set);
		ber_close_win(b, pa);
	}
	ber_close_win(b, seq);
	ldap_end(b, m);
}

static const struct ldap_attr rootdse[] = {
	{ "currentTime", { "20240115090002.0Z" } },
	{ "subschemaSubentry", { "CN=Aggregate,CN=Schema," CONFIG_DN } },
	{ "dsServiceName", { "CN=NTDS Settings," SERVER_DN } },
	{ "namingContexts", { BASE_DN, CONFIG_DN, "CN=Schema," CONFIG_DN,
			      "DC=DomainDnsZones," BASE_DN, "DC=ForestDnsZones," BASE_DN } },
	{ "defaultNamingContext", { BASE_DN } },
	{ "rootDomainNamingContext", { BASE_DN } },
	{ "configurationNamingContext", { CONFIG_DN } },
	{ "supportedLDAPVersion", { "3", "2" } },
	{ "supportedSASLMechanisms", { "GSSAPI", "GSS-SPNEGO", "EXTERNAL", "DIGEST-MD5" } },
	{ "dnsHostName", { DC_FQDN } },
	{ "ldapServiceName", { DOMAIN ":dc01$@" REALM } },
	{ "serverName", { SERVER_DN } },
	{ "isGlobalCatalogReady", { "TRUE" } },
	{ "domainControllerFunctionality", { "7" } },
};

static void ldap_rootdse_query(struct buf *q, struct buf *r, int id)
{
	const char *attrs[sizeof rootdse / sizeof rootdse[0] + 1];
	struct ldap_msg m = ldap_search_begin(q, id, "", SCOPE_BASE);
	size_t n = sizeof rootdse / sizeof rootdse[0];

	for (size_t i = 0; i < n; i++)
		attrs[i] = rootdse[i].type;
	attrs[n] = NULL;
	filter_present(q, "objectClass");
	ldap_search_end(q, m, attrs);

	/* the DC sends the entry and the done message in one segment */
	ldap_entry(r, id, "", rootdse, n);
	ldap_result(r, id, LDAP_SEARCH_DONE, 0);
}

/*
 * An application on the workstation reading the directory with a service
 * account: RootDSE, simple bind, one subtree search, unbind.
 */
static void ldap_session(struct gen *g, struct client *c, const char *filter_attr,
			 const char *filter_val, const char *const *attrs, const char *dn,
			 const struct ldap_attr *result, size_t nresult)
{
	uint8_t qs[2048], rs[4096];
	struct buf q = BUF(qs), r = BUF(rs);
	struct tcp_conn t;
	struct ldap_msg m;
	size_t and;

	tcp_connect(g, &t, c->h, ephemeral(c), &dc, 389);

	ldap_rootdse_query(&q, &r, 1);
	tcp_exchange(g, &t, &q, &r, 900);

	q.len = r.len = 0;
	ldap_simple_bind(&q, 2, "CN=svc-inventory,OU=Service Accounts," BASE_DN, "Winter2024!");
	ldap_result(&r, 2, LDAP_BIND_RESP, 0);
	tcp_exchange(g, &t, &q, &r, 2500);

	q.len = r.len = 0;
	m = ldap_search_begin(&q, 3, BASE_DN, SCOPE_SUBTREE);
	and = asn1_open(&q, CTX(0));
	filter_eq_str(&q, "objectCategory", "person");
	filter_eq_str(&q, filter_attr, filter_val);
	ber_close_win(&q, and);
	ldap_search_end(&q, m, attrs);
	ldap_entry(&r, 3, dn, result, nresult);
	ldap_result(&r, 3, LDAP_SEARCH_DONE, 0);
	tcp_exchange(g, &t, &q, &r, 1400);

	q.len = 0;
	m = ldap_begin(&q, 4, LDAP_UNBIND_REQ, false);
	ldap_end(&q, m);
	tcp_send(g, &t, CLI, &q);
	tcp_close(g, &t, CLI);
}

/*
 * NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9), the value of the
 * "Netlogon" attribute in a CLDAP ping reply.  Names are RFC 1035-encoded
 * with compression pointers relative to the start of the structure.
 */
static void netlogon_response_ex(struct buf *b)
{
	static const uint8_t domain_guid[16] = { 0x3f, 0x2a, 0x91, 0x6c, 0x1d, 0x55, 0x4b, 0x4e,
						 0x9a, 0x0e, 0x6b, 0x21, 0x7d, 0x48, 0xc3, 0x05 };
	size_t base = b->len, forest, site;

	put_le16(b, 23); /* LOGON_SAM_LOGON_RESPONSE_EX */
	put_le16(b, 0);
	put_le32(b, 0x0003f3fd); /* PDC, GC, LDAP, DS, KDC, TIMESERV, CLOSEST, WRITABLE, ... */
	put_bytes(b, domain_guid, sizeof domain_guid);
	forest = b->len - base;
	dns_name(b, DOMAIN);                         /* DnsForestName */
	put_be16(b, (uint16_t)(0xc000 | forest));    /* DnsDomainName */
	put_u8(b, 4);
	put_cstr(b, "dc01");
	put_be16(b, (uint16_t)(0xc000 | forest));    /* DnsHostName */
	dns_name(b, "CORP");                         /* NetbiosDomainName */
	dns_name(b, "DC01");                         /* NetbiosComputerName */
	put_u8(b, 0);                                /* UserName */
	site = b->len - base;
	dns_name(b, "Default-First-Site-Name");      /* DcSiteName */
	put_be16(b, (uint16_t)(0xc000 | site));      /* ClientSiteName */
	put_le32(b, 5);                              /* NtVersion: 1 | 5EX */
	put_le16(b, 0xffff);                         /* LmNtToken */
	put_le16(b, 0xffff);                         /* Lm20Token */
}

/* DC locator ping: one UDP datagram each way; the reply packs entry + done. */
static void cldap_ping(struct gen *g, struct client *c)
{
	static const uint8_t ntver[4] = { 0x16, 0, 0, 0 }; /* 5 | 5EX | WITH_CLOSEST_SITE */
	static const char *const attrs[] = { "NetLogon", NULL }; /* as DsGetDcName spells it */
	uint8_t qs[512], rs[512], nls[256];
	struct buf q = BUF(qs), r = BUF(rs), nl = BUF(nls);
	struct ldap_msg m;
	uint16_t port = ephemeral(c);
	int id = (int)prng_range(1, 120);
	size_t and, seq, pa, set;

	m = ldap_search_begin(&q, id, "", SCOPE_BASE);
	and = asn1_open(&q, CTX(0));
	filter_eq_str(&q, "DnsDomain", DOMAIN);
	filter_eq_str(&q, "Host", c->netbios);
	filter_eq(&q, "NtVer", ntver, sizeof ntver);
	ber_close_win(&q, and);
	ldap_search_end(&q, m, attrs);

	netlogon_response_ex(&nl);
	m = ldap_begin(&r, id, LDAP_SEARCH_ENTRY, true);
	asn1_str(&r, A_OCTETS, "");
	seq = asn1_open(&r, A_SEQ);
	pa = asn1_open(&r, A_SEQ);
	asn1_str(&r, A_OCTETS, "netlogon"); /* the DC answers in lower case */
	set = asn1_open(&r, A_SET);
	asn1_prim(&r, A_OCTETS, nl.p, nl.len);
	ber_close_win(&r, set);
	ber_close_win(&r, pa);
	ber_close_win(&r, seq);
	ldap_end(&r, m);
	ldap_result(&r, id, LDAP_SEARCH_DONE, 0);

	send_udp(g, c->h, port, &dc, 389, &q);
	wait_us(g, 500);
	send_udp(g, &dc, 389, c->h, port, &r);
}

/* ------------------------------------------------------------------------ */
/* NTP (RFC 1305 / 5905)                                                    */
/* ------------------------------------------------------------------------ */

#define NTP_UNIX_OFFSET 2208988800u

static void put_ntp_time(struct buf *b, uint64_t unix_us)
{
	put_be32(b, (uint32_t)(unix_us / US_PER_S + NTP_UNIX_OFFSET));
	put_be32(b, (uint32_t)(((unix_us % US_PER_S) << 32) / US_PER_S));
}

/* w32time speaks NTPv3; the service itself sends from port 123. */
static void ntp_sync(struct gen *g, struct client *c, uint16_t sport)
{
	uint8_t qs[48], rs[48];
	struct buf q = BUF(qs), r = BUF(rs);
	uint64_t t1 = g->now_us + 200, t2 = t1 + 410;

	put_u8(&q, 0x1b);  /* LI 0, VN 3, client */
	put_u8(&q, 0);     /* stratum: unspecified */
	put_u8(&q, 10);    /* poll 2^10 s */
	put_u8(&q, 0xe9);  /* precision 2^-23 */
	put_be32(&q, 0);
	put_be32(&q, 0x00010000); /* root dispersion 1 s */
	put_be32(&q, 0);
	put_zeros(&q, 24);        /* reference, originate, receive */
	put_ntp_time(&q, t1);

	put_u8(&r, 0x1c);  /* LI 0, VN 3, server */
	put_u8(&r, 3);
	put_u8(&r, 10);
	put_u8(&r, 0xe9);
	put_be32(&r, 0x00000a1c); /* root delay ~40 ms */
	put_be32(&r, 0x00003a5e); /* root dispersion ~230 ms */
	put_bytes(&r, ntp_upstream, 4);
	put_ntp_time(&r, START_UNIX * (uint64_t)US_PER_S - 512u * US_PER_S);
	put_ntp_time(&r, t1);
	put_ntp_time(&r, t2);
	put_ntp_time(&r, t2 + 35);

	send_udp(g, c->h, sport, &dc, 123, &q);
	send_udp(g, &dc, 123, c->h, sport, &r);
}

/* ------------------------------------------------------------------------ */
/* SMB2 ([MS-SMB2]) over NetBIOS session service framing                    */
/* ------------------------------------------------------------------------ */

enum { SMB2_NEGOTIATE = 0, SMB2_SESSION_SETUP = 1, SMB2_LOGOFF = 2, SMB2_TREE_CONNECT = 3,
       SMB2_TREE_DISCONNECT = 4, SMB2_CREATE = 5, SMB2_CLOSE = 6, SMB2_READ = 8 };

#define STATUS_SUCCESS 0x00000000u
#define STATUS_OBJECT_NAME_NOT_FOUND 0xc0000034u
#define SMB2_HDR 64

/* 2024-01-15 08:12:40 UTC as a FILETIME, for file times and the server clock. */
#define FILETIME_BASE 133497799600000000ull
#define FILETIME_NOW(g) (((g)->now_us / 1000000u + 11644473600ull) * 10000000ull)

struct smb2 {
	struct tcp_conn tcp;
	uint64_t msg_id;
	uint64_t session;
	uint32_t tree;
	uint8_t file_id[16];
};

/* NetBIOS session message header + SMB2 sync header; returns where the frame starts. */
static size_t smb2_begin(struct buf *b, const struct smb2 *s, uint16_t cmd, bool response,
			 uint32_t status)
{
	size_t nb = b->len;

	put_u8(b, 0); /* session message; 24-bit length patched in smb2_end() */
	put_zeros(b, 3);
	put_bytes(b, "\xfeSMB", 4);
	put_le16(b, SMB2_HDR);
	put_le16(b, cmd == SMB2_NEGOTIATE ? 0 : 1); /* CreditCharge */
	put_le32(b, response ? status : 0);
	put_le16(b, cmd);
	put_le16(b, response ? 1 : 31);              /* credits granted / requested */
	put_le32(b, response ? 0x00000001 : 0);      /* SERVER_TO_REDIR */
	put_le32(b, 0);                              /* NextCommand */
	put_le64(b, s->msg_id);
	put_le32(b, 0x0000feff);                     /* Reserved: Windows puts a PID here */
	put_le32(b, cmd == SMB2_NEGOTIATE || cmd == SMB2_SESSION_SETUP ? 0 : s->tree);
	put_le64(b, cmd == SMB2_NEGOTIATE ? 0 : s->session);
	put_zeros(b, 16); /* signature: the file server does not require signing */
	return nb;
}

static void smb2_end(struct buf *b, size_t nb)
{
	size_t n = b->len - nb - 4;
	uint8_t *q = buf_at(b, nb + 1, 3);

	if (n > 0xffffff)
		die("internal error: SMB2 message too long");
	q[0] = (uint8_t)(n >> 16);
	q[1] = (uint8_t)(n >> 8);
	q[2] = (uint8_t)n;
}

/* Offset of the next byte relative to the SMB2 header (for *Offset fields). */
static uint16_t smb2_off(const struct buf *b, size_t nb)
{
	return (uint16_t)(b->len - nb - 4);
}

static void smb2_negotiate(struct gen *g, struct smb2 *s)
{
	static const uint16_t dialects[] = { 0x0202, 0x0210, 0x0300, 0x0302 };
	uint8_t qs[256], rs[512];
	struct buf q = BUF(qs), r = BUF(rs);
	size_t nb, sec_at;

	nb = smb2_begin(&q, s, SMB2_NEGOTIATE, false, 0);
	put_le16(&q, 36);
	put_le16(&q, sizeof dialects / sizeof dialects[0]);
	put_le16(&q, 0x0001);     /* signing enabled */
	put_le16(&q, 0);
	put_le32(&q, 0x0000007f); /* DFS, leasing, large MTU, multichannel, ... */
	put_random(&q, 16);       /* ClientGuid */
	put_le64(&q, 0);          /* ClientStartTime */
	for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++)
		put_le16(&q, dialects[i]);
	smb2_end(&q, nb);

	nb = smb2_begin(&r, s, SMB2_NEGOTIATE, true, STATUS_SUCCESS);
	put_le16(&r, 65);
	put_le16(&r, 0x0001);
	put_le16(&r, 0x0302);     /* SMB 3.0.2 */
	put_le16(&r, 0);
	put_random(&r, 16);       /* ServerGuid */
	put_le32(&r, 0x0000002f);
	put_le32(&r, 8u << 20);   /* MaxTransactSize */
	put_le32(&r, 8u << 20);   /* MaxReadSize */
	put_le32(&r, 8u << 20);   /* MaxWriteSize */
	put_le64(&r, FILETIME_NOW(g));
	put_le64(&r, 0);
	sec_at = r.len;
	put_le16(&r, 0);          /* SecurityBufferOffset */
	put_le16(&r, 0);          /* SecurityBufferLength */
	put_le32(&r, 0);
	patch_le16(&r, sec_at, smb2_off(&r, nb));
	{
		size_t start = r.len;

		spnego_init(&r, NULL);
		patch_le16(&r, sec_at + 2, (uint16_t)(r.len - start));
	}
	smb2_end(&r, nb);

	tcp_exchange(g, &s->tcp, &q, &r, 700);
	s->msg_id++;
}

static void smb2_session_setup(struct gen *g, struct smb2 *s)
{
	uint8_t qs[2048], rs[512];
	struct buf q = BUF(qs), r = BUF(rs);
	size_t nb, sec_at, start;

	nb = smb2_begin(&q, s, SMB2_SESSION_SETUP, false, 0);
	put_le16(&q, 25);
	put_u8(&q, 0);
	put_u8(&q, 0x01);  /* signing enabled */
	put_le32(&q, 0x00000001);
	put_le32(&q, 0);
	sec_at = q.len;
	put_le16(&q, 0);
	put_le16(&q, 0);
	put_le64(&q, 0);   /* PreviousSessionId */
	patch_le16(&q, sec_at, smb2_off(&q, nb));
	start = q.len;
	spnego_init(&q, &spn_cifs_fs);
	patch_le16(&q, sec_at + 2, (uint16_t)(q.len - start));
	smb2_end(&q, nb);

	s->session = 0x0000300000000000ull | (prng() & 0xffff);
	nb = smb2_begin(&r, s, SMB2_SESSION_SETUP, true, STATUS_SUCCESS);
	put_le16(&r, 9);
	put_le16(&r, 0);
	sec_at = r.len;
	put_le16(&r, 0);
	put_le16(&r, 0);
	patch_le16(&r, sec_at, smb2_off(&r, nb));
	start = r.len;
	spnego_accept(&r);
	patch_le16(&r, sec_at + 2, (uint16_t)(r.len - start));
	smb2_end(&r, nb);

	tcp_exchange(g, &s->tcp, &q, &r, 3200);
	s->msg_id++;
}

static void smb2_tree_connect(struct gen *g, struct smb2 *s, const char *unc)
{
	uint8_t qs[256], rs[256];
	struct buf q = BUF(qs), r = BUF(rs);
	size_t nb;

	nb = smb2_begin(&q, s, SMB2_TREE_CONNECT, false, 0);
	put_le16(&q, 9);
	put_le16(&q, 0);
	put_le16(&q, SMB2_HDR + 8);
	put_le16(&q, (uint16_t)(2 * strlen(unc)));
	put_utf16(&q, unc);
	smb2_end(&q, nb);

	s->tree = prng_range(1, 9);
	nb = smb2_begin(&r, s, SMB2_TREE_CONNECT, true, STATUS_SUCCESS);
	put_le16(&r, 16);
	put_u8(&r, 0x01);         /* disk */
	put_u8(&r, 0);
	put_le32(&r, 0x00000000); /* manual caching */
	put_le32(&r, 0);
	put_le32(&r, 0x001f01ff); /* full control */
	smb2_end(&r, nb);

	tcp_exchange(g, &s->tcp, &q, &r, 600);
	s->msg_id++;
}

/* CREATE (open an existing file for reading); false if the server says it is missing. */
static bool smb2_create(struct gen *g, struct smb2 *s, const char *path, uint32_t status,
			size_t size)
{
	uint8_t qs[512], rs[512];
	struct buf q = BUF(qs), r = BUF(rs);
	size_t nb;

	nb = smb2_begin(&q, s, SMB2_CREATE, false, 0);
	put_le16(&q, 57);
	put_u8(&q, 0);
	put_u8(&q, 0);            /* no oplock */
	put_le32(&q, 2);          /* impersonation */
	put_le64(&q, 0);
	put_le64(&q, 0);
	put_le32(&q, 0x00120089); /* FILE_GENERIC_READ */
	put_le32(&q, 0);
	put_le32(&q, 0x00000007); /* share read | write | delete */
	put_le32(&q, 1);          /* FILE_OPEN */
	put_le32(&q, 0x00000040); /* FILE_NON_DIRECTORY_FILE */
	put_le16(&q, SMB2_HDR + 56);
	put_le16(&q, (uint16_t)(2 * strlen(path)));
	put_le32(&q, 0);
	put_le32(&q, 0);
	put_utf16(&q, path);
	smb2_end(&q, nb);

	nb = smb2_begin(&r, s, SMB2_CREATE, true, status);
	if (status == STATUS_SUCCESS) {
		put_le16(&r, 89);
		put_u8(&r, 0);
		put_u8(&r, 0);
		put_le32(&r, 1);  /* FILE_OPENED */
		for (uint64_t i = 0; i < 4; i++) /* creation, access, write, change */
			put_le64(&r, FILETIME_BASE + i * 36000000000ull);
		put_le64(&r, (size + 4095) / 4096 * 4096);
		put_le64(&r, size);
		put_le32(&r, 0x00000020); /* ARCHIVE */
		put_le32(&r, 0);
		put_random(&r, 16);
		memcpy(s->file_id, r.p + r.len - 16, 16);
		put_le32(&r, 0);
		put_le32(&r, 0);
	} else {
		put_le16(&r, 9); /* ERROR response */
		put_u8(&r, 0);
		put_u8(&r, 0);
		put_le32(&r, 0);
		put_u8(&r, 0);
	}
	smb2_end(&r, nb);

	tcp_exchange(g, &s->tcp, &q, &r, 900);
	s->msg_id++;
	return status == STATUS_SUCCESS;
}

static void smb2_read(struct gen *g, struct smb2 *s, const char *content)
{
	uint8_t qs[256], rs[2048];
	struct buf q = BUF(qs), r = BUF(rs);
	size_t nb;

	nb = smb2_begin(&q, s, SMB2_READ, false, 0);
	put_le16(&q, 49);
	put_u8(&q, 0x50); /* padding: where the server should put the data */
	put_u8(&q, 0);
	put_le32(&q, 65536);
	put_le64(&q, 0);
	put_bytes(&q, s->file_id, 16);
	put_le32(&q, 1);
	put_le32(&q, 0);
	put_le32(&q, 0);
	put_le16(&q, 0);
	put_le16(&q, 0);
	put_u8(&q, 0);
	smb2_end(&q, nb);

	nb = smb2_begin(&r, s, SMB2_READ, true, STATUS_SUCCESS);
	put_le16(&r, 17);
	put_u8(&r, SMB2_HDR + 16);
	put_u8(&r, 0);
	put_le32(&r, (uint32_t)strlen(content));
	put_le32(&r, 0);
	put_le32(&r, 0);
	put_cstr(&r, content);
	smb2_end(&r, nb);

	tcp_exchange(g, &s->tcp, &q, &r, 1100);
	s->msg_id++;
}

static void smb2_close(struct gen *g, struct smb2 *s)
{
	uint8_t qs[128], rs[160];
	struct buf q = BUF(qs), r = BUF(rs);
	size_t nb;

	nb = smb2_begin(&q, s, SMB2_CLOSE, false, 0);
	put_le16(&q, 24);
	put_le16(&q, 0);
	put_le32(&q, 0);
	put_bytes(&q, s->file_id, 16);
	smb2_end(&q, nb);

	nb = smb2_begin(&r, s, SMB2_CLOSE, true, STATUS_SUCCESS);
	put_le16(&r, 60);
	put_le16(&r, 0);
	put_zeros(&r, 4 + 4 * 8 + 8 + 8 + 4); /* no POSTQUERY_ATTRIB: all zero */
	smb2_end(&r, nb);

	tcp_exchange(g, &s->tcp, &q, &r, 400);
	s->msg_id++;
}

/* TREE_DISCONNECT and LOGOFF share the 4-byte request/response body. */
static void smb2_simple(struct gen *g, struct smb2 *s, uint16_t cmd)
{
	uint8_t qs[128], rs[128];
	struct buf q = BUF(qs), r = BUF(rs);
	size_t nb;

	nb = smb2_begin(&q, s, cmd, false, 0);
	put_le16(&q, 4);
	put_le16(&q, 0);
	smb2_end(&q, nb);
	nb = smb2_begin(&r, s, cmd, true, STATUS_SUCCESS);
	put_le16(&r, 4);
	put_le16(&r, 0);
	smb2_end(&r, nb);
	tcp_exchange(g, &s->tcp, &q, &r, 300);
	s->msg_id++;
}

static void smb_session(struct gen *g, struct client *c, const char *unc, const char *missing,
			const char *path, const char *content)
{
	struct smb2 s = { 0 };

	tcp_connect(g, &s.tcp, c->h, ephemeral(c), &fs, 445);
	smb2_negotiate(g, &s);
	smb2_session_setup(g, &s);
	smb2_tree_connect(g, &s, unc);
	if (missing)
		smb2_create(g, &s, missing, STATUS_OBJECT_NAME_NOT_FOUND, 0);
	if (smb2_create(g, &s, path, STATUS_SUCCESS, strlen(content))) {
		smb2_read(g, &s, content);
		smb2_close(g, &s);
	}
	smb2_simple(g, &s, SMB2_TREE_DISCONNECT);
	smb2_simple(g, &s, SMB2_LOGOFF);
	tcp_close(g, &s.tcp, CLI);
}

/* ------------------------------------------------------------------------ */
/* DCE/RPC connection-oriented PDUs (C706 ch. 12, [MS-RPCE]) and NDR        */
/* ------------------------------------------------------------------------ */

enum { RPC_REQUEST = 0, RPC_RESPONSE = 2, RPC_BIND = 11, RPC_BIND_ACK = 12 };
#define PFC_FIRST_LAST 0x03
#define RPC_FRAG 5840 /* Windows' max_xmit_frag / max_recv_frag over TCP */

#define EPM_PORT 135
#define LSASS_RPC_PORT 49668    /* lsass' dynamic endpoint: Net Logon and DRSUAPI */
#define NETLOGON_RPC_PORT 49675 /* Net Logon's second endpoint; announced, never used here */

struct rpc_if {
	const char *uuid;
	uint16_t major, minor;
};

static const struct rpc_if IF_EPM = { "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0 };
static const struct rpc_if IF_NDR = { "8a885d04-1ceb-11c9-9fe8-08002b104860", 2, 0 };
static const struct rpc_if IF_NETLOGON = { "12345678-1234-abcd-ef00-01234567cffb", 1, 0 };
static const struct rpc_if IF_DRSUAPI = { "e3514235-4b06-11d1-ab04-00c04fc2dcd2", 4, 0 };

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * A UUID in NDR little-endian form: time_low, time_mid and time_hi_and_version
 * are integers (byte-swapped), the last eight bytes an octet array.
 */
static void put_uuid(struct buf *b, const char *text)
{
	uint8_t raw[16];
	size_t n = 0;

	for (size_t i = 0; text[i]; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				die("internal error: malformed UUID %s", text);
			continue;
		}
		hi = hexval(text[i]);
		lo = text[i + 1] ? hexval(text[i + 1]) : -1;
		if (hi < 0 || lo < 0 || n == sizeof raw)
			die("internal error: malformed UUID %s", text);
		raw[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (n != sizeof raw)
		die("internal error: malformed UUID %s", text);
	put_le32(b, (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3]);
	put_le16(b, (uint16_t)(raw[4] << 8 | raw[5]));
	put_le16(b, (uint16_t)(raw[6] << 8 | raw[7]));
	put_bytes(b, raw + 8, 8);
}

/* p_syntax_id_t: UUID + version (major in the low 16 bits). */
static void put_syntax(struct buf *b, const struct rpc_if *i)
{
	put_uuid(b, i->uuid);
	put_le16(b, i->major);
	put_le16(b, i->minor);
}

/* Common header with drep "little-endian, ASCII, IEEE"; frag_length patched in rpc_end(). */
static size_t rpc_begin(struct buf *b, uint8_t ptype, uint32_t call_id)
{
	size_t start = b->len;

	put_u8(b, 5); /* rpc_vers */
	put_u8(b, 0); /* rpc_vers_minor */
	put_u8(b, ptype);
	put_u8(b, PFC_FIRST_LAST);
	put_u8(b, 0x10);
	put_zeros(b, 3);
	put_le16(b, 0); /* frag_length */
	put_le16(b, 0); /* auth_length */
	put_le32(b, call_id);
	return start;
}

static void rpc_end(struct buf *b, size_t start)
{
	if (b->len - start > RPC_FRAG)
		die("internal error: PDU exceeds the negotiated fragment size");
	patch_le16(b, start + 8, (uint16_t)(b->len - start));
}

static void rpc_bind(struct buf *b, uint32_t call_id, const struct rpc_if *iface)
{
	size_t p = rpc_begin(b, RPC_BIND, call_id);

	put_le16(b, RPC_FRAG);
	put_le16(b, RPC_FRAG);
	put_le32(b, 0);    /* assoc_group_id: new association */
	put_u8(b, 1);      /* n_context_elem */
	put_u8(b, 0);
	put_le16(b, 0);
	put_le16(b, 0);    /* p_cont_id */
	put_u8(b, 1);      /* n_transfer_syn */
	put_u8(b, 0);
	put_syntax(b, iface);
	put_syntax(b, &IF_NDR);
	rpc_end(b, p);
}

static void rpc_bind_ack(struct buf *b, uint32_t call_id, uint32_t assoc_group, const char *port)
{
	size_t p = rpc_begin(b, RPC_BIND_ACK, call_id);

	put_le16(b, RPC_FRAG);
	put_le16(b, RPC_FRAG);
	put_le32(b, assoc_group);
	put_le16(b, (uint16_t)(strlen(port) + 1)); /* sec_addr: the server's endpoint, NUL included */
	put_cstr(b, port);
	put_u8(b, 0);
	while ((b->len - p) % 4)                   /* p_result_list is 4-aligned within the PDU */
		put_u8(b, 0);
	put_u8(b, 1);   /* n_results */
	put_u8(b, 0);
	put_le16(b, 0);
	put_le16(b, 0); /* acceptance */
	put_le16(b, 0);
	put_syntax(b, &IF_NDR);
	rpc_end(b, p);
}

/*
 * Stubs are built in their own buffer starting at offset 0; the stub starts
 * 24 bytes into both request and response PDUs, so NDR alignment relative to
 * the stub equals alignment relative to the PDU.
 */
static void rpc_request(struct buf *b, uint32_t call_id, uint16_t opnum, const struct buf *stub)
{
	size_t p = rpc_begin(b, RPC_REQUEST, call_id);

	put_le32(b, (uint32_t)stub->len); /* alloc_hint */
	put_le16(b, 0);                   /* p_cont_id */
	put_le16(b, opnum);
	put_buf(b, stub);
	rpc_end(b, p);
}

static void rpc_response(struct buf *b, uint32_t call_id, const struct buf *stub)
{
	size_t p = rpc_begin(b, RPC_RESPONSE, call_id);

	put_le32(b, (uint32_t)stub->len);
	put_le16(b, 0); /* p_cont_id */
	put_u8(b, 0);   /* cancel_count */
	put_u8(b, 0);
	put_buf(b, stub);
	rpc_end(b, p);
}

/* Bind to one interface (context 0, NDR) on an open connection. */
static void rpc_bind_exchange(struct gen *g, struct tcp_conn *t, const struct rpc_if *iface,
			      const char *port)
{
	uint8_t qs[128], rs[128];
	struct buf q = BUF(qs), r = BUF(rs);

	rpc_bind(&q, 1, iface);
	rpc_bind_ack(&r, 1, 0x00010000u | (prng() & 0xffff), port);
	tcp_exchange(g, t, &q, &r, 350);
}

static void rpc_call(struct gen *g, struct tcp_conn *t, uint32_t call_id, uint16_t opnum,
		     const struct buf *in, const struct buf *out, uint32_t think_us)
{
	uint8_t qs[1024], rs[1024];
	struct buf q = BUF(qs), r = BUF(rs);

	rpc_request(&q, call_id, opnum, in);
	rpc_response(&r, call_id, out);
	tcp_exchange(g, t, &q, &r, think_us);
}

/* [string] wchar_t*: conformant varying array, NUL included. */
static void ndr_wstring(struct buf *b, const char *s)
{
	uint32_t n = (uint32_t)strlen(s) + 1;

	pad_to(b, 4);
	put_le32(b, n); /* max_count */
	put_le32(b, 0); /* offset */
	put_le32(b, n); /* actual_count */
	put_utf16(b, s);
	put_le16(b, 0);
}

/* A [unique] pointer's referent id; Windows numbers them 0x00020000 + 4k. */
static void ndr_unique_ptr(struct buf *b, uint32_t k)
{
	pad_to(b, 4);
	put_le32(b, 0x00020000u + 4u * k);
}

static void ndr_context_handle(struct buf *b, bool nil)
{
	pad_to(b, 4);
	put_le32(b, 0); /* attributes */
	if (nil)
		put_zeros(b, 16);
	else
		put_random(b, 16);
}

/* ------------------------------------------------------------------------ */
/* Endpoint Mapper (C706 Appendix L/O, [MS-RPCE] 2.2.1.2)                   */
/* ------------------------------------------------------------------------ */

enum { EPM_OP_MAP = 3 };
enum { TWR_UUID = 0x0d, TWR_RPC_CO = 0x0b, TWR_TCP = 0x07, TWR_IP = 0x09 };

/*
 * ncacn_ip_tcp tower: floor count, then floors of
 * {lhs_length(LE16), lhs, rhs_length(LE16), rhs}.  Floors 1-2 hold syntax
 * identifiers in little-endian form; the port and address in floors 4-5 are
 * in network byte order.
 */
static void tower_octets(struct buf *t, const struct rpc_if *iface, uint16_t port,
			 const uint8_t ip[4])
{
	put_le16(t, 5);

	put_le16(t, 19);
	put_u8(t, TWR_UUID);
	put_uuid(t, iface->uuid);
	put_le16(t, iface->major);
	put_le16(t, 2);
	put_le16(t, iface->minor);

	put_le16(t, 19);
	put_u8(t, TWR_UUID);
	put_uuid(t, IF_NDR.uuid);
	put_le16(t, IF_NDR.major);
	put_le16(t, 2);
	put_le16(t, IF_NDR.minor);

	put_le16(t, 1);
	put_u8(t, TWR_RPC_CO);
	put_le16(t, 2);
	put_le16(t, 0);

	put_le16(t, 1);
	put_u8(t, TWR_TCP);
	put_le16(t, 2);
	put_be16(t, port);

	put_le16(t, 1);
	put_u8(t, TWR_IP);
	put_le16(t, 4);
	put_bytes(t, ip, 4);
}

/* twr_t {tower_length; [size_is(tower_length)] byte tower_octet_string[]}:
 * a conformant structure, so the array's max_count is hoisted in front. */
static void ndr_tower(struct buf *b, const struct rpc_if *iface, uint16_t port, const uint8_t ip[4])
{
	uint8_t storage[128];
	struct buf t = BUF(storage);

	tower_octets(&t, iface, port, ip);
	pad_to(b, 4);
	put_le32(b, (uint32_t)t.len);
	put_le32(b, (uint32_t)t.len);
	put_buf(b, &t);
}

/* ept_map [in]: object (ptr, nil UUID), map_tower (ptr), entry_handle, max_towers. */
static void epm_map_request(struct buf *s, const struct rpc_if *iface, uint32_t max_towers)
{
	static const uint8_t any[4];

	put_le32(s, 1);
	put_zeros(s, 16);
	put_le32(s, 2);
	ndr_tower(s, iface, 0, any);
	ndr_context_handle(s, true);
	put_le32(s, max_towers);
}

/*
 * ept_map [out]: entry_handle, num_towers, ITowers (conformant varying array
 * of twr_t pointers: max_count = max_towers, offset, actual_count =
 * num_towers, the referent ids, then the deferred towers), status.
 */
static void epm_map_response(struct buf *s, const struct rpc_if *iface, const uint16_t *ports,
			     uint32_t n, uint32_t max_towers, const uint8_t ip[4])
{
	ndr_context_handle(s, true); /* lookup finished: nothing to continue */
	put_le32(s, n);
	put_le32(s, max_towers);
	put_le32(s, 0);
	put_le32(s, n);
	for (uint32_t i = 0; i < n; i++)
		put_le32(s, 3 + i);
	for (uint32_t i = 0; i < n; i++)
		ndr_tower(s, iface, ports[i], ip);
	pad_to(s, 4);
	put_le32(s, 0); /* error_status_t: success */
}

/*
 * Ask the DC's endpoint mapper where each interface lives (ncacn_ip_tcp).
 * Net Logon is registered twice on a DC (lsass' shared endpoint and its own),
 * so its answer carries two towers; DRSUAPI lives only on lsass' endpoint.
 */
static void epm_lookup(struct gen *g, struct client *c, const struct rpc_if *const *ifaces,
		       size_t n)
{
	static const uint16_t netlogon_ports[] = { LSASS_RPC_PORT, NETLOGON_RPC_PORT };
	static const uint16_t lsass_port[] = { LSASS_RPC_PORT };
	struct tcp_conn t;

	tcp_connect(g, &t, c->h, ephemeral(c), &dc, EPM_PORT);
	rpc_bind_exchange(g, &t, &IF_EPM, "135");
	for (size_t i = 0; i < n; i++) {
		uint8_t ins[256], outs[256];
		struct buf in = BUF(ins), out = BUF(outs);

		epm_map_request(&in, ifaces[i], 4);
		if (ifaces[i] == &IF_NETLOGON)
			epm_map_response(&out, ifaces[i], netlogon_ports, 2, 4, dc.ip);
		else
			epm_map_response(&out, ifaces[i], lsass_port, 1, 4, dc.ip);
		rpc_call(g, &t, (uint32_t)(2 + i), EPM_OP_MAP, &in, &out, 500);
	}
	tcp_close(g, &t, CLI);
}

/* ------------------------------------------------------------------------ */
/* Net Logon ([MS-NRPC]) and DRSUAPI ([MS-DRSR]) on the learned port         */
/* ------------------------------------------------------------------------ */

enum { NETR_SERVER_REQ_CHALLENGE = 4, NETR_SERVER_AUTHENTICATE3 = 26 };
enum { DRSUAPI_BIND = 0, DRSUAPI_UNBIND = 1 };

/* Secure-channel setup: the workstation proves it knows its machine password. */
static void netlogon_session(struct gen *g, struct client *c)
{
	char account[32];
	uint8_t ins[256], outs[64];
	struct buf in = BUF(ins), out = BUF(outs);
	struct tcp_conn t;

	snprintf(account, sizeof account, "%s$", c->netbios);
	tcp_connect(g, &t, c->h, ephemeral(c), &dc, LSASS_RPC_PORT);
	rpc_bind_exchange(g, &t, &IF_NETLOGON, "49668");

	/* NetrServerReqChallenge(PrimaryName, ComputerName, ClientChallenge) */
	ndr_unique_ptr(&in, 0);
	ndr_wstring(&in, "\\\\DC01");
	ndr_wstring(&in, c->netbios);
	put_random(&in, 8);
	put_random(&out, 8); /* ServerChallenge */
	put_le32(&out, STATUS_SUCCESS);
	rpc_call(g, &t, 2, NETR_SERVER_REQ_CHALLENGE, &in, &out, 400);

	/* NetrServerAuthenticate3(PrimaryName, AccountName, SecureChannelType,
	 *                         ComputerName, ClientCredential, NegotiateFlags) */
	in.len = out.len = 0;
	ndr_unique_ptr(&in, 0);
	ndr_wstring(&in, "\\\\DC01");
	ndr_wstring(&in, account);
	put_le16(&in, 2); /* WorkstationSecureChannel: an NDR enum is 16 bits */
	ndr_wstring(&in, c->netbios);
	put_random(&in, 8);
	pad_to(&in, 4);
	put_le32(&in, 0x612fffff);
	put_random(&out, 8);           /* ServerCredential */
	put_le32(&out, 0x612fffff);    /* NegotiateFlags */
	put_le32(&out, 1104);          /* AccountRid */
	put_le32(&out, STATUS_SUCCESS);
	rpc_call(g, &t, 3, NETR_SERVER_AUTHENTICATE3, &in, &out, 1300);

	tcp_close(g, &t, CLI);
}

/* DRS_EXTENSIONS_INT as a conformant {cb, rgb[cb]}: dwFlags, SiteObjGuid, Pid, dwReplEpoch. */
static void drs_extensions(struct buf *b, uint32_t flags)
{
	put_le32(b, 28); /* max_count */
	put_le32(b, 28); /* cb */
	put_le32(b, flags);
	put_random(b, 16);
	put_le32(b, prng_range(400, 9000));
	put_le32(b, 0);
}

/* IDL_DRSBind then IDL_DRSUnbind, as an admin tool's first contact with the DSA. */
static void drsuapi_session(struct gen *g, struct client *c)
{
	uint8_t ins[128], outs[128], hs[20];
	struct buf in = BUF(ins), out = BUF(outs), handle = BUF(hs);
	struct tcp_conn t;

	tcp_connect(g, &t, c->h, ephemeral(c), &dc, LSASS_RPC_PORT);
	rpc_bind_exchange(g, &t, &IF_DRSUAPI, "49668");

	/* [in] puuidClientDsa (NTDSAPI_CLIENT_GUID), pextClient */
	ndr_unique_ptr(&in, 0);
	put_uuid(&in, "e24d201a-4fd6-11d1-a3da-0000f875ae0d");
	ndr_unique_ptr(&in, 1);
	drs_extensions(&in, 0x04408000u);
	/* [out] ppextServer, phDrs, return */
	ndr_unique_ptr(&out, 0);
	drs_extensions(&out, 0x3fffff7fu);
	ndr_context_handle(&handle, false);
	put_buf(&out, &handle);
	put_le32(&out, 0);
	rpc_call(g, &t, 2, DRSUAPI_BIND, &in, &out, 2100);

	in.len = out.len = 0;
	put_buf(&in, &handle);
	ndr_context_handle(&out, true);
	put_le32(&out, 0);
	rpc_call(g, &t, 3, DRSUAPI_UNBIND, &in, &out, 600);

	tcp_close(g, &t, CLI);
}

/* ------------------------------------------------------------------------ */
/* Undocumented services: SSH on 2222, HTTP on 8081                          */
/* ------------------------------------------------------------------------ */

enum { SSH_MSG_KEXINIT = 20, SSH_MSG_NEWKEYS = 21, SSH_MSG_KEX_ECDH_INIT = 30,
       SSH_MSG_KEX_ECDH_REPLY = 31 };

static void ssh_string(struct buf *b, const void *s, size_t n)
{
	put_be32(b, (uint32_t)n);
	put_bytes(b, s, n);
}

static void ssh_cstring(struct buf *b, const char *s)
{
	ssh_string(b, s, strlen(s));
}

/* Binary packet (RFC 4253 6), unencrypted: block size 8, at least 4 bytes padding. */
static void ssh_packet(struct buf *out, const struct buf *payload)
{
	size_t pad = 8 - (5 + payload->len) % 8;

	if (pad < 4)
		pad += 8;
	put_be32(out, (uint32_t)(1 + payload->len + pad));
	put_u8(out, (uint8_t)pad);
	put_buf(out, payload);
	put_random(out, pad);
}

static void ssh_kexinit(struct buf *out, bool server)
{
	static const char *const client_lists[10] = {
		"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
		"ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
		"diffie-hellman-group16-sha512,diffie-hellman-group14-sha256,ext-info-c",
		"ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
		"rsa-sha2-512-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,"
		"rsa-sha2-512,rsa-sha2-256",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
		"aes128-gcm@openssh.com,aes256-gcm@openssh.com",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
		"aes128-gcm@openssh.com,aes256-gcm@openssh.com",
		"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
		"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
		"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
		"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
		"none,zlib@openssh.com,zlib", "none,zlib@openssh.com,zlib", "", "",
	};
	static const char *const server_lists[10] = {
		"sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
		"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
		"diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
		"diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
		"rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
		"aes128-gcm@openssh.com,aes256-gcm@openssh.com",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
		"aes128-gcm@openssh.com,aes256-gcm@openssh.com",
		"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
		"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
		"umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
		"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
		"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
		"umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
		"none,zlib@openssh.com", "none,zlib@openssh.com", "", "",
	};
	const char *const *lists = server ? server_lists : client_lists;
	uint8_t storage[1400];
	struct buf p = BUF(storage);

	put_u8(&p, SSH_MSG_KEXINIT);
	put_random(&p, 16); /* cookie */
	for (int i = 0; i < 10; i++)
		ssh_cstring(&p, lists[i]);
	put_u8(&p, 0);      /* first_kex_packet_follows */
	put_be32(&p, 0);
	ssh_packet(out, &p);
}

static void ssh_session(struct gen *g, struct client *c, struct host *server, uint16_t port)
{
	uint8_t ms[2048], ps[512], keys[64];
	struct buf m = BUF(ms), p = BUF(ps), key = BUF(keys);
	struct tcp_conn t;

	tcp_connect(g, &t, c->h, ephemeral(c), server, port);

	/* OpenSSH's server speaks first. */
	put_cstr(&m, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
	tcp_send(g, &t, SRV, &m);
	m.len = 0;
	put_cstr(&m, "SSH-2.0-OpenSSH_for_Windows_8.6\r\n");
	tcp_send(g, &t, CLI, &m);

	m.len = 0;
	ssh_kexinit(&m, false);
	tcp_send(g, &t, CLI, &m);
	m.len = 0;
	ssh_kexinit(&m, true);
	tcp_send(g, &t, SRV, &m);

	/* curve25519-sha256: client ephemeral key ... */
	m.len = 0;
	put_u8(&p, SSH_MSG_KEX_ECDH_INIT);
	put_random(&key, 32);
	ssh_string(&p, key.p, key.len);
	ssh_packet(&m, &p);
	tcp_send(g, &t, CLI, &m);
	wait_us(g, 900);

	/* ... server host key, ephemeral key and signature, then NEWKEYS */
	m.len = p.len = 0;
	put_u8(&p, SSH_MSG_KEX_ECDH_REPLY);
	{
		uint8_t blobs[128];
		struct buf blob = BUF(blobs);

		ssh_cstring(&blob, "ssh-ed25519");
		key.len = 0;
		put_random(&key, 32);
		ssh_string(&blob, key.p, key.len);
		ssh_string(&p, blob.p, blob.len); /* K_S */
		key.len = 0;
		put_random(&key, 32);
		ssh_string(&p, key.p, key.len);   /* Q_S */
		blob.len = 0;
		ssh_cstring(&blob, "ssh-ed25519");
		key.len = 0;
		put_random(&key, 64);
		ssh_string(&blob, key.p, key.len);
		ssh_string(&p, blob.p, blob.len); /* signature */
	}
	ssh_packet(&m, &p);
	p.len = 0;
	put_u8(&p, SSH_MSG_NEWKEYS);
	ssh_packet(&m, &p);
	tcp_send(g, &t, SRV, &m);

	m.len = p.len = 0;
	put_u8(&p, SSH_MSG_NEWKEYS);
	ssh_packet(&m, &p);
	tcp_send(g, &t, CLI, &m);

	/* From here on everything is encrypted (chacha20-poly1305): opaque bytes. */
	static const size_t sealed[][2] = { { CLI, 44 }, { SRV, 44 }, { CLI, 68 }, { SRV, 52 },
					    { CLI, 132 }, { SRV, 100 }, { CLI, 36 } };
	for (size_t i = 0; i < sizeof sealed / sizeof sealed[0]; i++) {
		m.len = 0;
		put_random(&m, sealed[i][1]);
		tcp_send(g, &t, (enum side)sealed[i][0], &m);
		wait_us(g, 800);
	}
	tcp_close(g, &t, CLI);
}

static void http_session(struct gen *g, struct client *c, struct host *server, uint16_t port)
{
	static const char *const paths[] = { "/", "/api/status" };
	static const char *const bodies[] = {
		"<!DOCTYPE html>\n<html><head><title>Build agent</title></head>\n"
		"<body><h1>Build agent WS02</h1><p>Idle. Last job #4711 succeeded.</p></body></html>\n",
		"{\"agent\":\"WS02\",\"state\":\"idle\",\"queue\":0}\n",
	};
	static const char *const types[] = { "text/html; charset=utf-8", "application/json" };
	char text[1024];
	struct tcp_conn t;

	tcp_connect(g, &t, c->h, ephemeral(c), server, port);
	for (size_t i = 0; i < 2; i++) {
		struct buf m;
		uint64_t secs = g->now_us / US_PER_S - START_UNIX;
		int n;

		n = snprintf(text, sizeof text,
			     "GET %s HTTP/1.1\r\n"
			     "Host: %u.%u.%u.%u:%u\r\n"
			     "User-Agent: Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) "
			     "WindowsPowerShell/5.1.19041.3803\r\n"
			     "Connection: Keep-Alive\r\n\r\n",
			     paths[i], server->ip[0], server->ip[1], server->ip[2], server->ip[3], port);
		if (n < 0 || (size_t)n >= sizeof text)
			die("internal error: HTTP request truncated");
		m = (struct buf){ (uint8_t *)text, (size_t)n, sizeof text };
		tcp_send(g, &t, CLI, &m);
		wait_us(g, 2500);

		n = snprintf(text, sizeof text,
			     "HTTP/1.1 200 OK\r\n"
			     "Content-Length: %zu\r\n"
			     "Content-Type: %s\r\n"
			     "Date: Mon, 15 Jan 2024 09:%02u:%02u GMT\r\n"
			     "Server: Kestrel\r\n\r\n%s",
			     strlen(bodies[i]), types[i], (unsigned)(secs / 60 % 60),
			     (unsigned)(secs % 60), bodies[i]);
		if (n < 0 || (size_t)n >= sizeof text)
			die("internal error: HTTP response truncated");
		m = (struct buf){ (uint8_t *)text, (size_t)n, sizeof text };
		tcp_send(g, &t, SRV, &m);
		wait_ms(g, 40);
	}
	tcp_ack(g, &t, CLI);
	wait_ms(g, 200);
	tcp_close(g, &t, CLI);
}

/* ------------------------------------------------------------------------ */
/* The conversation                                                         */
/* ------------------------------------------------------------------------ */

static const char report_q4[] =
	"Region,Quarter,Revenue,Cost\r\n"
	"North,Q4,1284300,903120\r\n"
	"South,Q4,994120,701455\r\n"
	"East,Q4,1512990,1044870\r\n"
	"West,Q4,876540,655010\r\n";

static const char printers_csv[] =
	"Name,Location,Driver\r\n"
	"PRN-2F-01,2nd floor east,HP Universal Printing PCL 6\r\n"
	"PRN-2F-02,2nd floor west,HP Universal Printing PCL 6\r\n";

static void workstation_ws01(struct gen *g, struct client *c)
{
	static const char *const user_attrs[] = { "cn", "mail", "memberOf", "userPrincipalName", NULL };
	static const struct ldap_attr alice[] = {
		{ "cn", { "Alice Martin" } },
		{ "mail", { "alice.martin@corp.example" } },
		{ "memberOf", { "CN=Finance,OU=Groups," BASE_DN, "CN=VPN Users,OU=Groups," BASE_DN } },
		{ "userPrincipalName", { "alice@corp.example" } },
	};
	static const struct rpc_if *const lookups[] = { &IF_NETLOGON, &IF_DRSUAPI };

	send_arp(g, false, c->h, &dc);
	send_arp(g, true, &dc, c->h);
	dns_locate_dc(g, c);
	wait_ms(g, 3);
	cldap_ping(g, c);
	wait_ms(g, 4);
	dns_lookup_a(g, c, DC_FQDN, dc.ip);
	wait_ms(g, 12);
	kerberos_logon(g, c, false);
	wait_ms(g, 20);
	kerberos_service_ticket(g, c, true, &spn_ldap_dc, 1010);
	wait_ms(g, 8);
	ldap_session(g, c, "sAMAccountName", "alice", user_attrs,
		     "CN=Alice Martin,OU=Staff," BASE_DN, alice, sizeof alice / sizeof alice[0]);
	wait_ms(g, 30);
	ntp_sync(g, c, 123);
	wait_ms(g, 15);
	ping(g, c->h, &dc, 1, 101);
	wait_ms(g, 1000);
	ping(g, c->h, &dc, 1, 102);
	wait_ms(g, 25);
	dns_lookup_a(g, c, FS_FQDN, fs.ip);
	wait_ms(g, 2);
	kerberos_service_ticket(g, c, true, &spn_cifs_fs, 1290);
	wait_ms(g, 3);
	smb_session(g, c, "\\\\fs01.corp.example\\Finance", NULL, "Reports\\q4-summary.csv", report_q4);
	wait_ms(g, 60);
	epm_lookup(g, c, lookups, 2);
	wait_ms(g, 5);
	netlogon_session(g, c); /* on the port the endpoint mapper just announced */
}

static void workstation_ws02(struct gen *g, struct client *c)
{
	static const char *const user_attrs[] = { "cn", "department", "telephoneNumber", NULL };
	static const struct ldap_attr bob[] = {
		{ "cn", { "Bob Nguyen" } },
		{ "department", { "IT Operations" } },
		{ "telephoneNumber", { "+1 555 0142" } },
	};
	static const struct rpc_if *const lookups[] = { &IF_DRSUAPI };

	dns_locate_dc(g, c);
	wait_ms(g, 2);
	cldap_ping(g, c);
	wait_ms(g, 3);
	dns_lookup_a(g, c, DC_FQDN, dc.ip);
	wait_ms(g, 9);
	kerberos_logon(g, c, true);
	wait_ms(g, 14);
	kerberos_service_ticket(g, c, false, &spn_ldap_dc, 880);
	wait_ms(g, 5);
	ldap_session(g, c, "sAMAccountName", "bob", user_attrs,
		     "CN=Bob Nguyen,OU=IT," BASE_DN, bob, sizeof bob / sizeof bob[0]);
	wait_ms(g, 40);
	ntp_sync(g, c, ephemeral(c));
	wait_ms(g, 30);
	dns_lookup_a(g, c, FS_FQDN, fs.ip);
	wait_ms(g, 2);
	kerberos_service_ticket(g, c, false, &spn_cifs_fs, 900);
	wait_ms(g, 3);
	smb_session(g, c, "\\\\fs01.corp.example\\IT", "Inventory\\printers-old.csv",
		    "Inventory\\printers.csv", printers_csv);
	wait_ms(g, 20);
	ping(g, c->h, &fs, 1, 7);
	wait_ms(g, 80);
	epm_lookup(g, c, lookups, 1);
	wait_ms(g, 2);
	drsuapi_session(g, c);
}

static void scenario(struct gen *g)
{
	struct client c1 = { &ws1, "WS01", "alice", 52101 };
	struct client c2 = { &ws2, "WS02", "bob", 61204 };

	workstation_ws01(g, &c1);
	wait_ms(g, 1500);
	workstation_ws02(g, &c2);
	wait_ms(g, 700);

	/* Services no Windows documentation accounts for. */
	ssh_session(g, &c1, &fs, 2222);
	wait_ms(g, 450);
	http_session(g, &c1, &ws2, 8081);
	wait_ms(g, 300);

	/* Transit traffic between two public hosts: not ours to classify. */
	{
		struct tcp_conn t;

		tcp_connect(g, &t, &inet_a, 51515, &inet_b, 443);
		wait_ms(g, 30);
		tcp_close(g, &t, CLI);
	}
	wait_ms(g, 250);

	/* WS02 seen through a trunk port: the same kind of lookup, 802.1Q-tagged (VID 20). */
	g->vlan = 20;
	dns_lookup_a(g, &c2, FS_FQDN, fs.ip);
	g->vlan = 0;
}

int main(int argc, char **argv)
{
	pcap_t *p;
	pcap_dumper_t *d;
	struct gen g;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT.pcap\n", argc ? argv[0] : "gen-sample");
		return 2;
	}
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (!p)
		die("pcap_open_dead failed");
	d = pcap_dump_open(p, argv[1]);
	if (!d)
		die("%s: %s", argv[1], pcap_geterr(p));

	g = (struct gen){ .out = d, .now_us = (uint64_t)START_UNIX * US_PER_S };
	scenario(&g);

	if (pcap_dump_flush(d) != 0)
		die("%s: write error", argv[1]);
	pcap_dump_close(d);
	pcap_close(p);
	printf("%s: %u frames\n", argv[1], g.frames);
	return 0;
}
