/*
 * test_decode.c - link, IP and transport decoding on frames built here.
 *
 * Every frame is assembled byte by byte from the header layouts in
 * src/decode.c, so each check says exactly what is on the wire.  The
 * truncation sweep places each cut frame against an unmapped page: a read
 * one byte past the capture faults, with or without a sanitizer.
 */
#include <sys/mman.h>

#include <pcap/dlt.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcmap/decode.h"
#include "svcmap/transport.h"
#include "tap.h"

/* A frame under construction. */
struct fb {
	uint8_t	b[1024];
	size_t	n;
};

static size_t
fb_u8(struct fb *f, unsigned v)
{
	f->b[f->n] = (uint8_t)v;
	return f->n++;
}

static size_t
fb_be16(struct fb *f, unsigned v)
{
	size_t at = f->n;

	fb_u8(f, (v >> 8) & 0xff);
	fb_u8(f, v & 0xff);
	return at;
}

static size_t
fb_be32(struct fb *f, uint32_t v)
{
	size_t at = f->n;

	fb_be16(f, v >> 16);
	fb_be16(f, v & 0xffff);
	return at;
}

static size_t
fb_le32(struct fb *f, uint32_t v)
{
	size_t at = f->n;

	fb_u8(f, v & 0xff);
	fb_u8(f, (v >> 8) & 0xff);
	fb_u8(f, (v >> 16) & 0xff);
	fb_u8(f, v >> 24);
	return at;
}

static size_t
fb_fill(struct fb *f, unsigned v, size_t n)
{
	size_t at = f->n;

	memset(f->b + f->n, (int)v, n);
	f->n += n;
	return at;
}

static void
fb_put16(struct fb *f, size_t at, unsigned v)
{
	f->b[at] = (uint8_t)(v >> 8);
	f->b[at + 1] = (uint8_t)v;
}

/* Ethernet II with `ntags` tags (TPIDs from `tpid`, VLAN ids 100, 101, ...). */
static void
eth(struct fb *f, const uint16_t *tpid, int ntags, unsigned type)
{
	int i;

	fb_fill(f, 0x02, 6);
	fb_fill(f, 0x04, 6);
	for (i = 0; i < ntags; i++) {
		fb_be16(f, tpid[i]);
		fb_be16(f, 0xe000 | (100 + i));	/* PCP 7 must not leak */
	}
	fb_be16(f, type);
}

/* IPv4 10.0.0.1 -> 10.0.0.2; the total length is set by ipv4_end(). */
static size_t
ipv4(struct fb *f, unsigned proto, size_t optlen, unsigned frag)
{
	size_t at = f->n;

	fb_u8(f, 0x40 | (unsigned)(5 + optlen / 4));
	fb_u8(f, 0);
	fb_be16(f, 0);
	fb_be16(f, 0x1234);
	fb_be16(f, frag);
	fb_u8(f, 64);
	fb_u8(f, proto);
	fb_be16(f, 0);
	fb_be32(f, 0x0a000001);
	fb_be32(f, 0x0a000002);
	fb_fill(f, 0x01, optlen);		/* NOP options */
	return at;
}

static void
ipv4_end(struct fb *f, size_t ip)
{
	fb_put16(f, ip + 2, (unsigned)(f->n - ip));
}

/* IPv6 fe80::1 -> fe80::2; the payload length is set by ipv6_end(). */
static size_t
ipv6(struct fb *f, unsigned nxt)
{
	size_t at = f->n;

	fb_be32(f, 0x60000000);
	fb_be16(f, 0);
	fb_u8(f, nxt);
	fb_u8(f, 64);
	fb_be32(f, 0xfe800000);
	fb_fill(f, 0, 11);
	fb_u8(f, 1);
	fb_be32(f, 0xfe800000);
	fb_fill(f, 0, 11);
	fb_u8(f, 2);
	return at;
}

static void
ipv6_end(struct fb *f, size_t ip)
{
	fb_put16(f, ip + 4, (unsigned)(f->n - ip - 40));
}

/* An options-style extension header of (len8 + 1) * 8 bytes. */
static void
ipv6_ext(struct fb *f, unsigned nxt, unsigned len8)
{
	fb_u8(f, nxt);
	fb_u8(f, len8);
	fb_fill(f, 0, (len8 + 1) * 8 - 2);
}

static void
ipv6_frag(struct fb *f, unsigned nxt, unsigned offset8, int more)
{
	fb_u8(f, nxt);
	fb_u8(f, 0);
	fb_be16(f, offset8 << 3 | (more ? 1 : 0));
	fb_be32(f, 0xcafe0001);
}

static void
tcp(struct fb *f, unsigned sport, unsigned dport, unsigned flags,
    size_t optlen)
{
	fb_be16(f, sport);
	fb_be16(f, dport);
	fb_be32(f, 1000);
	fb_be32(f, 2000);
	fb_u8(f, (unsigned)(5 + optlen / 4) << 4);
	fb_u8(f, flags);
	fb_be16(f, 65535);
	fb_be32(f, 0);
	fb_fill(f, 0x01, optlen);
}

/* UDP; the length is set by udp_end(). */
static size_t
udp(struct fb *f, unsigned sport, unsigned dport)
{
	size_t at = f->n;

	fb_be16(f, sport);
	fb_be16(f, dport);
	fb_be16(f, 0);
	fb_be16(f, 0);
	return at;
}

static void
udp_end(struct fb *f, size_t u)
{
	fb_put16(f, u + 4, (unsigned)(f->n - u));
}

static void
payload(struct fb *f, const char *s)
{
	memcpy(f->b + f->n, s, strlen(s));
	f->n += strlen(s);
}

static enum decode_reason
dec(int lt, const struct fb *f, struct packet *p)
{
	enum decode_reason r;
	enum decode_result res;

	memset(p, 0xa5, sizeof(*p));
	res = decode_packet(lt, f->b, (uint32_t)f->n, p, &r);
	if (res != decode_reason_result(r))
		printf("# result %d does not match reason %s\n", res,
		    decode_reason_name(r));
	return r;
}

static bool
is_v4(const struct addr *a, uint32_t want)
{
	return addr_is_v4(a) && a->b[12] == (want >> 24) &&
	    a->b[13] == ((want >> 16) & 0xff) &&
	    a->b[14] == ((want >> 8) & 0xff) && a->b[15] == (want & 0xff);
}

static bool
is_fe80(const struct addr *a, unsigned last)
{
	return a->b[0] == 0xfe && a->b[1] == 0x80 && a->b[15] == last;
}

static void
test_names(void)
{
	int i, j, dup = 0, bad = 0;

	is_str(decode_reason_name(DR_OK), "ok", "name of DR_OK");
	is_str(decode_reason_name(DR_TRUNC_L4), "truncated_l4",
	    "name of DR_TRUNC_L4");
	is_str(decode_reason_name(DR_TOO_MANY_TAGS), "too_many_tags",
	    "name of DR_TOO_MANY_TAGS");
	for (i = 0; i < DR__COUNT; i++) {
		if (decode_reason_name((enum decode_reason)i) == NULL)
			bad++;
		for (j = 0; j < i; j++)
			if (strcmp(decode_reason_name((enum decode_reason)i),
			    decode_reason_name((enum decode_reason)j)) == 0)
				dup++;
	}
	ok(bad == 0 && dup == 0, "every reason has its own name");
	is_int(decode_reason_result(DR_FRAGMENT), DECODE_FRAGMENT,
	    "fragment reason -> DECODE_FRAGMENT");
	is_int(decode_reason_result(DR_TRUNC_IP), DECODE_TRUNCATED,
	    "truncated_ip -> DECODE_TRUNCATED");
	is_int(decode_reason_result(DR_BAD_UDP_LEN), DECODE_MALFORMED,
	    "bad_udp_len -> DECODE_MALFORMED");
	is_int(decode_reason_result(DR_NOT_IP_LINKTYPE), DECODE_NOT_IP,
	    "not_ip_linktype -> DECODE_NOT_IP");
	ok(decode_linktype_supported(DLT_EN10MB) &&
	    decode_linktype_supported(DLT_LINUX_SLL2) &&
	    decode_linktype_supported(101) && decode_linktype_supported(DLT_NULL),
	    "Ethernet, SLL2, LINKTYPE_RAW, NULL supported");
	ok(!decode_linktype_supported(DLT_IEEE802_11),
	    "802.11 not supported");
}

static void
test_ethernet_ipv4_tcp(void)
{
	struct packet p;
	struct fb f = { .n = 0 };
	size_t ip;

	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0x4000);	/* DF */
	tcp(&f, 49152, 445, TCP_PSH | TCP_ACK, 12);
	payload(&f, "hello");
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "Ethernet IPv4 TCP decodes");
	ok(p.ip_version == 4 && p.proto == TRANSPORT_TCP, "IPv4 TCP");
	ok(is_v4(&p.src, 0x0a000001) && is_v4(&p.dst, 0x0a000002),
	    "IPv4 addresses");
	ok(p.sport == 49152 && p.dport == 445, "TCP ports");
	ok(p.tcp_seq == 1000 && p.tcp_ack == 2000, "TCP seq and ack");
	is_int(p.tcp_flags, TCP_PSH | TCP_ACK, "TCP flags");
	ok(p.payload_len == 5 && memcmp(p.payload, "hello", 5) == 0,
	    "TCP payload after 12 bytes of options");
	ok(p.l3 == f.b + 14 && p.l3_len == 20 + 32 + 5, "l3 and l3_len");
	ok(p.vlan == 0 && !p.fragmented, "untagged, not fragmented");
	ok(p.wire_len == 0xa5a5a5a5 && p.cap_len == 0xa5a5a5a5 &&
	    p.ts_us == 0xa5a5a5a5a5a5a5a5ull,
	    "caller's ts_us, wire_len, cap_len left alone");
}

static void
test_ethernet_padding(void)
{
	struct packet p;
	struct fb f = { .n = 0 };
	size_t ip, u;

	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_UDP, 0, 0);
	u = udp(&f, 137, 137);
	payload(&f, "abcd");
	udp_end(&f, u);
	ipv4_end(&f, ip);
	fb_fill(&f, 0, 60 - f.n);		/* minimum frame padding */
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "padded frame decodes");
	is_int(p.payload_len, 4, "Ethernet padding is not UDP payload");
	is_int(p.l3_len, 32, "Ethernet padding is not in l3_len");

	/* The same with a UDP length shorter than the IP payload. */
	fb_put16(&f, u + 4, 10);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "short UDP length decodes");
	is_int(p.payload_len, 2, "UDP length caps the payload");
}

static void
test_vlan(void)
{
	static const uint16_t dot1q[] = { 0x8100 };
	static const uint16_t qinq[] = { 0x88a8, 0x8100 };
	static const uint16_t qinq_old[] = { 0x9100, 0x8100 };
	static const uint16_t four[] = { 0x88a8, 0x88a8, 0x8100, 0x8100 };
	static const uint16_t five[] = { 0x88a8, 0x88a8, 0x8100, 0x8100,
	    0x8100 };
	struct packet p;
	struct fb f;
	size_t ip;

	f.n = 0;
	eth(&f, dot1q, 1, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "802.1Q decodes");
	is_int(p.vlan, 100, "802.1Q VLAN id without PCP");
	ok(p.sport == 1 && p.dport == 2 && p.tcp_flags == TCP_SYN,
	    "802.1Q TCP SYN");

	f.n = 0;
	eth(&f, qinq, 2, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "802.1ad QinQ decodes");
	is_int(p.vlan, 101, "QinQ reports the inner VLAN");

	f.n = 0;
	eth(&f, qinq_old, 2, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "0x9100 QinQ decodes");
	is_int(p.vlan, 101, "0x9100 QinQ inner VLAN");

	f.n = 0;
	eth(&f, four, 4, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "four tags decode");
	is_int(p.vlan, 103, "four tags: innermost VLAN");

	f.n = 0;
	eth(&f, five, 5, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_TOO_MANY_TAGS,
	    "five tags: too_many_tags");

	f.n = 0;
	eth(&f, dot1q, 1, 0x0806);
	fb_fill(&f, 0, 28);
	is_int(dec(DLT_EN10MB, &f, &p), DR_NOT_IP_ETHERTYPE,
	    "ARP behind 802.1Q is not IP");
}

static void
test_not_ip(void)
{
	struct packet p;
	struct fb f = { .n = 0 };

	/* 802.3 with LLC/SNAP (STP): the type field is a length. */
	eth(&f, NULL, 0, 0x0026);
	fb_u8(&f, 0x42);
	fb_u8(&f, 0x42);
	fb_u8(&f, 0x03);
	fb_fill(&f, 0, 35);
	is_int(dec(DLT_EN10MB, &f, &p), DR_NOT_IP_ETHERTYPE,
	    "802.3/LLC frame is not IP");
	/* An 802.3 length of 1500 before what looks like IPv4 is not IP. */
	f.n = 0;
	eth(&f, NULL, 0, 0x05dc);
	fb_u8(&f, 0x45);
	fb_fill(&f, 0, 40);
	is_int(dec(DLT_EN10MB, &f, &p), DR_NOT_IP_ETHERTYPE,
	    "802.3 length 1500 followed by 0x45 is not IP");
	is_int(dec(DLT_IEEE802_11, &f, &p), DR_NOT_IP_LINKTYPE,
	    "802.11 link type: not_ip_linktype");
}

/* One IPv4/UDP datagram 10.0.0.1:53 -> 10.0.0.2:1053 after the link header. */
static void
v4_udp(struct fb *f)
{
	size_t ip, u;

	ip = ipv4(f, TRANSPORT_UDP, 0, 0);
	u = udp(f, 53, 1053);
	payload(f, "dns");
	udp_end(f, u);
	ipv4_end(f, ip);
}

/* IPv6/TCP fe80::1:3389 -> fe80::2:50000. */
static void
v6_tcp(struct fb *f)
{
	size_t ip;

	ip = ipv6(f, TRANSPORT_TCP);
	tcp(f, 3389, 50000, TCP_ACK, 0);
	payload(f, "rdp");
	ipv6_end(f, ip);
}

static void
check_v4_udp(int lt, const struct fb *f, const char *what)
{
	struct packet p;
	enum decode_reason r = dec(lt, f, &p);

	ok(r == DR_OK && p.ip_version == 4 && p.proto == TRANSPORT_UDP &&
	    p.sport == 53 && p.dport == 1053 && p.payload_len == 3 &&
	    is_v4(&p.src, 0x0a000001), "%s: IPv4 UDP 53 -> 1053", what);
}

static void
check_v6_tcp(int lt, const struct fb *f, const char *what)
{
	struct packet p;
	enum decode_reason r = dec(lt, f, &p);

	ok(r == DR_OK && p.ip_version == 6 && p.proto == TRANSPORT_TCP &&
	    p.sport == 3389 && p.dport == 50000 && p.payload_len == 3 &&
	    is_fe80(&p.src, 1) && is_fe80(&p.dst, 2),
	    "%s: IPv6 TCP 3389 -> 50000", what);
}

static void
sll(struct fb *f, unsigned proto)
{
	fb_be16(f, 0);			/* to us */
	fb_be16(f, 1);			/* ARPHRD_ETHER */
	fb_be16(f, 6);
	fb_fill(f, 0x02, 8);
	fb_be16(f, proto);
}

static void
sll2(struct fb *f, unsigned proto)
{
	fb_be16(f, proto);
	fb_be16(f, 0);
	fb_be32(f, 2);			/* ifindex */
	fb_be16(f, 1);
	fb_u8(f, 0);
	fb_u8(f, 6);
	fb_fill(f, 0x02, 8);
}

static void
test_link_types(void)
{
	static const uint16_t dot1q[] = { 0x8100 };
	enum decode_reason r;
	struct packet p;
	struct fb f;

	f.n = 0;
	sll(&f, 0x0800);
	v4_udp(&f);
	check_v4_udp(DLT_LINUX_SLL, &f, "Linux cooked v1");
	f.n = 0;
	sll(&f, 0x86dd);
	v6_tcp(&f);
	check_v6_tcp(DLT_LINUX_SLL, &f, "Linux cooked v1");
	f.n = 0;
	sll(&f, 0x0806);
	fb_fill(&f, 0, 28);
	is_int(dec(DLT_LINUX_SLL, &f, &p), DR_NOT_IP_ETHERTYPE,
	    "Linux cooked v1 ARP is not IP");
	f.n = 0;
	sll2(&f, 0x0800);
	v4_udp(&f);
	check_v4_udp(DLT_LINUX_SLL2, &f, "Linux cooked v2");
	f.n = 0;
	sll2(&f, 0x8100);
	fb_be16(&f, 42);
	fb_be16(&f, 0x86dd);
	v6_tcp(&f);
	check_v6_tcp(DLT_LINUX_SLL2, &f, "Linux cooked v2 + 802.1Q");
	dec(DLT_LINUX_SLL2, &f, &p);
	is_int(p.vlan, 42, "Linux cooked v2 + 802.1Q VLAN id");
	/* Decode an untagged frame into the same struct: nothing stays. */
	f.n = 0;
	sll2(&f, 0x0800);
	v4_udp(&f);
	decode_packet(DLT_LINUX_SLL2, f.b, (uint32_t)f.n, &p, &r);
	ok(r == DR_OK && p.vlan == 0 && p.ip_version == 4,
	    "VLAN of the previous packet cleared");

	f.n = 0;
	v4_udp(&f);
	check_v4_udp(DLT_RAW, &f, "DLT_RAW");
	check_v4_udp(101, &f, "LINKTYPE_RAW");
	check_v4_udp(DLT_IPV4, &f, "DLT_IPV4");
	is_int(dec(DLT_IPV6, &f, &p), DR_BAD_IP_VERSION,
	    "IPv4 under DLT_IPV6: bad_ip_version");
	f.n = 0;
	v6_tcp(&f);
	check_v6_tcp(DLT_RAW, &f, "DLT_RAW");
	check_v6_tcp(DLT_IPV6, &f, "DLT_IPV6");
	is_int(dec(DLT_IPV4, &f, &p), DR_BAD_IP_VERSION,
	    "IPv6 under DLT_IPV4: bad_ip_version");

	f.n = 0;
	fb_le32(&f, 2);
	v4_udp(&f);
	check_v4_udp(DLT_NULL, &f, "DLT_NULL little-endian AF_INET");
	f.n = 0;
	fb_be32(&f, 2);
	v4_udp(&f);
	check_v4_udp(DLT_NULL, &f, "DLT_NULL big-endian AF_INET");
	f.n = 0;
	fb_le32(&f, 24);
	v6_tcp(&f);
	check_v6_tcp(DLT_NULL, &f, "DLT_NULL AF_INET6 24 (BSD)");
	f.n = 0;
	fb_be32(&f, 28);
	v6_tcp(&f);
	check_v6_tcp(DLT_NULL, &f, "DLT_NULL AF_INET6 28 (FreeBSD, other order)");
	f.n = 0;
	fb_le32(&f, 30);
	v6_tcp(&f);
	check_v6_tcp(DLT_NULL, &f, "DLT_NULL AF_INET6 30 (Darwin)");
	f.n = 0;
	fb_le32(&f, 7);
	v4_udp(&f);
	is_int(dec(DLT_NULL, &f, &p), DR_NOT_IP_ETHERTYPE,
	    "DLT_NULL family 7 is not IP");
	f.n = 0;
	fb_be32(&f, 2);
	v4_udp(&f);
	check_v4_udp(DLT_LOOP, &f, "DLT_LOOP AF_INET");
	f.n = 0;
	fb_be32(&f, 30);
	v6_tcp(&f);
	check_v6_tcp(DLT_LOOP, &f, "DLT_LOOP AF_INET6 30");
	f.n = 0;
	fb_le32(&f, 2);			/* LOOP is network order only */
	v4_udp(&f);
	is_int(dec(DLT_LOOP, &f, &p), DR_NOT_IP_ETHERTYPE,
	    "DLT_LOOP family in host order is not read as AF_INET");

	f.n = 0;
	eth(&f, dot1q, 1, 0x86dd);
	v6_tcp(&f);
	check_v6_tcp(DLT_EN10MB, &f, "Ethernet 802.1Q");
}

static void
test_ipv4(void)
{
	struct packet p;
	struct fb f;
	size_t ip, u;

	/* Options: IHL 8 (12 bytes of options). */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_UDP, 12, 0);
	u = udp(&f, 389, 50001);
	payload(&f, "cldap");
	udp_end(&f, u);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "IPv4 with options decodes");
	ok(p.sport == 389 && p.dport == 50001 && p.payload_len == 5 &&
	    memcmp(p.payload, "cldap", 5) == 0, "options skipped");

	/* First fragment: MF, offset 0. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_UDP, 0, 0x2000);
	u = udp(&f, 88, 50002);
	fb_fill(&f, 0x61, 32);
	ipv4_end(&f, ip);
	fb_put16(&f, u + 4, 2000);	/* the whole datagram's length */
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "first fragment decodes");
	ok(p.fragmented && p.frag_id == 0x1234, "first fragment flagged, id");
	ok(p.sport == 88 && p.dport == 50002 && p.payload_len == 32,
	    "first fragment ports, UDP length past the fragment is fine");
	ok(p.truncated && p.payload_wire_len == 2000 - 8,
	    "first fragment: truncated, the UDP length gives the payload");

	/* A later fragment. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_UDP, 0, 185);
	fb_fill(&f, 0x61, 40);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_FRAGMENT, "later fragment");
	ok(p.fragmented && p.frag_id == 0x1234 && p.proto == TRANSPORT_UDP &&
	    is_v4(&p.src, 0x0a000001) && is_v4(&p.dst, 0x0a000002),
	    "later fragment: addresses, proto, id");
	ok(p.sport == 0 && p.dport == 0, "later fragment: no ports");

	/* The last fragment: offset > 0, no MF. */
	fb_put16(&f, 14 + 6, 370);
	is_int(dec(DLT_EN10MB, &f, &p), DR_FRAGMENT, "last fragment");

	/* A first fragment too short for the TCP header (RFC 1858). */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0x2000);
	fb_fill(&f, 0, 8);
	ipv4_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_TRUNC_L4,
	    "tiny first fragment: TCP header cut by fragmentation");
	fb_put16(&f, 14 + 6, 0);
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_TCP_HDRLEN,
	    "unfragmented, IP length leaves no room for TCP");

	/* Header field lies. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	v4_udp(&f);
	f.b[14] = 0x44;
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_IP_HDRLEN, "IHL 4");
	f.b[14] = 0x55;
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_IP_VERSION, "version 5");
	f.b[14] = 0x65;
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_IP_VERSION,
	    "version 6 under ethertype 0x0800");
	f.b[14] = 0x4f;
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_IP_TOTLEN,
	    "IHL 15 above total length 31");
	f.b[14] = 0x45;
	fb_put16(&f, 16, 19);
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_IP_TOTLEN, "total length 19");
	fb_put16(&f, 16, 20 + 7);
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_UDP_LEN,
	    "IP payload of 7 bytes cannot hold UDP");
	fb_put16(&f, 16, 31);
	fb_put16(&f, 14 + 20 + 4, 7);
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_UDP_LEN, "UDP length 7");
	fb_put16(&f, 14 + 20 + 4, 12);
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_UDP_LEN,
	    "UDP length 12 beyond an 11-byte IP payload");

	/* Snap length shorter than the datagram: a cut, not a lie. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0);
	tcp(&f, 445, 49152, TCP_ACK, 0);
	fb_fill(&f, 0x62, 100);
	ipv4_end(&f, ip);
	f.n -= 60;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "snaplen-cut TCP decodes");
	ok(p.payload_len == 40 && p.l3_len == 80,
	    "snaplen cut: captured payload only");
	ok(p.truncated && p.payload_wire_len == 100,
	    "snaplen cut: truncated, the IP length gives the payload size");
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_UDP, 0, 0);
	u = udp(&f, 138, 138);
	fb_fill(&f, 0x62, 100);
	udp_end(&f, u);
	ipv4_end(&f, ip);
	f.n -= 60;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "snaplen-cut UDP decodes");
	is_int(p.payload_len, 40, "snaplen-cut UDP payload");
	ok(p.truncated && p.payload_wire_len == 100,
	    "snaplen-cut UDP: truncated, the UDP length gives the size");

	/* UDP shorter than its IP payload: the rest is padding, not a cut. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_UDP, 0, 0);
	u = udp(&f, 137, 137);
	fb_fill(&f, 0x63, 10);
	udp_end(&f, u);
	fb_fill(&f, 0, 30);
	ipv4_end(&f, ip);
	f.n -= 20;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "UDP inside IP padding");
	ok(p.payload_len == 10 && p.payload_wire_len == 10 && !p.truncated,
	    "capture cut in the IP padding: the UDP datagram is whole");

	/* Bad TCP data offsets. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv4_end(&f, ip);
	f.b[14 + 20 + 12] = 0x40;
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_TCP_HDRLEN, "TCP offset 4");
	f.b[14 + 20 + 12] = 0xf0;
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_TCP_HDRLEN,
	    "TCP offset 15 in a 20-byte segment");
	f.n -= 1;
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_TCP_HDRLEN,
	    "TCP offset 15 past the IP length is a lie, captured or not");
	f.n = 14 + 20 + 13;
	is_int(dec(DLT_EN10MB, &f, &p), DR_TRUNC_L4,
	    "TCP cut before its flags: truncated");
}

/*
 * A sensor with a short snap length: each packet still goes to its flow
 * by ports and flags, with the captured payload only and the sizes from
 * the length fields.
 */
static void
test_snaplen(void)
{
	struct packet p;
	struct fb f;
	size_t ip, u;

	/* Data with timestamps (12 option bytes), 900 bytes of SMB. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0x4000);
	tcp(&f, 445, 49200, TCP_PSH | TCP_ACK, 12);
	fb_fill(&f, 0x66, 900);
	ipv4_end(&f, ip);
	f.n = 68;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "snaplen 68: TCP data decodes");
	ok(p.sport == 445 && p.dport == 49200 &&
	    p.tcp_flags == (TCP_PSH | TCP_ACK) && p.tcp_seq == 1000,
	    "snaplen 68: ports, flags and sequence");
	ok(p.payload_len == 2 && p.payload == f.b + 66 &&
	    p.payload_wire_len == 900 && p.truncated,
	    "snaplen 68: 2 payload bytes of 900, truncated");
	ok(p.l3 == f.b + 14 && p.l3_len == 54, "snaplen 68: l3 is the capture");
	f.n = 60;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK,
	    "snaplen 60: TCP options cut, still decodes");
	ok(p.sport == 445 && p.dport == 49200 &&
	    p.tcp_flags == (TCP_PSH | TCP_ACK),
	    "snaplen 60: ports and flags");
	ok(p.payload_len == 0 && p.payload_wire_len == 900 && p.truncated,
	    "snaplen 60: no payload, 900 on the wire, truncated");
	f.n = 48;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK,
	    "snaplen 48: the first 14 TCP bytes suffice");
	f.n = 47;
	is_int(dec(DLT_EN10MB, &f, &p), DR_TRUNC_L4,
	    "snaplen 47: the flags are cut, truncated_l4");

	/* A SYN with 20 option bytes, cut inside them. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_TCP, 0, 0x4000);
	tcp(&f, 49201, 135, TCP_SYN, 20);
	ipv4_end(&f, ip);
	f.n = 60;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "SYN with cut options decodes");
	ok(p.tcp_flags == TCP_SYN && p.dport == 135 && p.payload_len == 0 &&
	    p.payload_wire_len == 0 && p.truncated,
	    "SYN with cut options: flags, no payload, truncated");

	/* IPv6 TCP over Linux cooked v2 (20 bytes), cut in the options. */
	f.n = 0;
	sll2(&f, 0x86dd);
	ip = ipv6(&f, TRANSPORT_TCP);
	tcp(&f, 49202, 5985, TCP_ACK, 12);
	fb_fill(&f, 0x67, 200);
	ipv6_end(&f, ip);
	f.n = 80;
	is_int(dec(DLT_LINUX_SLL2, &f, &p), DR_OK,
	    "SLL2 IPv6 snaplen 80: TCP decodes");
	ok(p.dport == 5985 && p.payload_len == 0 &&
	    p.payload_wire_len == 200 && p.truncated,
	    "SLL2 IPv6 snaplen 80: ports, 200 payload bytes on the wire");
	f.n = 68;
	is_int(dec(DLT_LINUX_SLL2, &f, &p), DR_TRUNC_L4,
	    "SLL2 IPv6 snaplen 68: 8 TCP bytes, truncated_l4");

	/* A UDP header cut after the ports. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, TRANSPORT_UDP, 0, 0);
	u = udp(&f, 50000, 135);
	fb_fill(&f, 0x68, 100);
	udp_end(&f, u);
	ipv4_end(&f, ip);
	f.n = 14 + 20 + 6;
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "UDP cut after its ports");
	ok(p.dport == 135 && p.payload_len == 0 && p.payload_wire_len == 100 &&
	    p.truncated, "UDP cut after its ports: the IP length gives the size");
	f.n = 14 + 20 + 3;
	is_int(dec(DLT_EN10MB, &f, &p), DR_TRUNC_L4, "UDP cut in its ports");

	/* The whole packet is not truncated. */
	f.n = 0;
	eth(&f, NULL, 0, 0x0800);
	v4_udp(&f);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "a whole UDP datagram");
	ok(!p.truncated && p.payload_wire_len == 3, "whole: not truncated");
}

static void
test_ipv4_other_protocols(void)
{
	static const unsigned protos[] = { TRANSPORT_ICMP, TRANSPORT_GRE,
	    TRANSPORT_ESP, TRANSPORT_AH, 253 };
	struct packet p;
	struct fb f;
	size_t ip, i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		f.n = 0;
		eth(&f, NULL, 0, 0x0800);
		ip = ipv4(&f, protos[i], 0, 0);
		fb_fill(&f, 0x08, 12);
		ipv4_end(&f, ip);
		ok(dec(DLT_EN10MB, &f, &p) == DR_OK &&
		    p.proto == protos[i] && p.sport == 0 && p.dport == 0 &&
		    p.payload_len == 12,
		    "IPv4 protocol %u: ok, no ports", protos[i]);
	}
}

static void
test_ipv6(void)
{
	struct packet p;
	struct fb f;
	size_t ip, u;
	int i;

	/* Hop-by-hop, destination options, routing, then TCP. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 0);
	ipv6_ext(&f, 60, 0);
	ipv6_ext(&f, 43, 1);
	ipv6_ext(&f, TRANSPORT_TCP, 2);
	tcp(&f, 135, 49700, TCP_SYN | TCP_ACK, 4);
	payload(&f, "epm");
	ipv6_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "IPv6 with 3 ext headers");
	ok(p.ip_version == 6 && p.proto == TRANSPORT_TCP && p.sport == 135 &&
	    p.dport == 49700 && p.tcp_flags == (TCP_SYN | TCP_ACK) &&
	    p.payload_len == 3 && memcmp(p.payload, "epm", 3) == 0,
	    "IPv6 ext headers walked to TCP");
	ok(p.l3 == f.b + 14 && p.l3_len == f.n - 14, "IPv6 l3_len");

	/* Ethernet padding after a short IPv6 packet. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 59);		/* no next header */
	ipv6_end(&f, ip);
	fb_fill(&f, 0, 8);
	ok(dec(DLT_EN10MB, &f, &p) == DR_OK && p.proto == 59 &&
	    p.payload_len == 0 && p.l3_len == 40,
	    "IPv6 no-next-header, padding ignored");

	/* First fragment, then a later one. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 44);
	ipv6_frag(&f, TRANSPORT_UDP, 0, 1);
	u = udp(&f, 3389, 50003);
	fb_fill(&f, 0x63, 16);
	ipv6_end(&f, ip);
	fb_put16(&f, u + 4, 3000);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "IPv6 first fragment");
	ok(p.fragmented && p.frag_id == 0xcafe0001 && p.sport == 3389 &&
	    p.dport == 50003 && p.payload_len == 16,
	    "IPv6 first fragment: ports, id");
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 44);
	ipv6_frag(&f, TRANSPORT_UDP, 181, 0);
	fb_fill(&f, 0x63, 16);
	ipv6_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_FRAGMENT, "IPv6 later fragment");
	ok(p.fragmented && p.frag_id == 0xcafe0001 &&
	    p.proto == TRANSPORT_UDP && is_fe80(&p.dst, 2),
	    "IPv6 later fragment: proto, id, addresses");
	/* Atomic fragment (RFC 6946): offset 0, M clear. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 44);
	ipv6_frag(&f, TRANSPORT_UDP, 0, 0);
	u = udp(&f, 123, 123);
	fb_fill(&f, 0, 48);
	udp_end(&f, u);
	ipv6_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "IPv6 atomic fragment");
	ok(!p.fragmented && p.dport == 123 && p.payload_len == 48,
	    "atomic fragment is a whole packet");

	/* AH is reported as the transport. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 0);
	ipv6_ext(&f, TRANSPORT_AH, 0);
	fb_fill(&f, 0, 24);
	ipv6_end(&f, ip);
	ok(dec(DLT_EN10MB, &f, &p) == DR_OK && p.proto == TRANSPORT_AH &&
	    p.sport == 0 && p.payload_len == 24, "IPv6 AH as transport 51");

	/* ICMPv6. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, TRANSPORT_ICMPV6);
	fb_fill(&f, 0x87, 24);
	ipv6_end(&f, ip);
	ok(dec(DLT_EN10MB, &f, &p) == DR_OK && p.proto == TRANSPORT_ICMPV6 &&
	    p.sport == 0 && p.dport == 0, "ICMPv6: no ports");

	/* Eight extension headers walk, nine do not. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 60);
	for (i = 0; i < 7; i++)
		ipv6_ext(&f, 60, 0);
	ipv6_ext(&f, TRANSPORT_UDP, 0);
	u = udp(&f, 1, 2);
	udp_end(&f, u);
	ipv6_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "8 extension headers");
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 60);
	for (i = 0; i < 8; i++)
		ipv6_ext(&f, 60, 0);
	ipv6_ext(&f, TRANSPORT_UDP, 0);
	u = udp(&f, 1, 2);
	udp_end(&f, u);
	ipv6_end(&f, ip);
	is_int(dec(DLT_EN10MB, &f, &p), DR_TOO_MANY_TAGS,
	    "9 extension headers: too_many_tags");

	/* An extension header longer than the payload length says. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 60);
	ipv6_ext(&f, TRANSPORT_UDP, 0);
	u = udp(&f, 1, 2);
	udp_end(&f, u);
	ipv6_end(&f, ip);
	f.b[14 + 41] = 3;		/* 32 bytes in a 16-byte payload */
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_IPV6_EXTHDR,
	    "ext header beyond the payload length");
	fb_put16(&f, 14 + 4, 100);	/* now the capture cut it */
	is_int(dec(DLT_EN10MB, &f, &p), DR_TRUNC_IP,
	    "ext header cut by the capture");
	f.b[14 + 41] = 0;
	fb_put16(&f, 14 + 4, 12);
	is_int(dec(DLT_EN10MB, &f, &p), DR_BAD_UDP_LEN,
	    "IPv6 payload length leaves 4 bytes for UDP");

	/* Jumbogram: payload length 0 with hop-by-hop. */
	f.n = 0;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, 0);
	ipv6_ext(&f, TRANSPORT_TCP, 0);
	tcp(&f, 5985, 50004, TCP_ACK, 0);
	fb_fill(&f, 0x64, 30);
	is_int(dec(DLT_EN10MB, &f, &p), DR_OK, "IPv6 jumbogram");
	is_int(p.payload_len, 30, "jumbogram: captured payload");
}

/*
 * One well-formed frame and where its layers end.  Every cut before
 * `link` is truncated_link, before `ip` truncated_ip, before `fix` (the
 * end of the ports, for TCP of the flags) truncated_l4.  From `fix` on
 * the frame decodes to its ports: flagged truncated, with no payload
 * before `l4` (the end of the transport header) and with what is left
 * after it; only the whole frame is not truncated.
 */
struct sweep {
	const char	*name;
	int		 linktype;
	struct fb	 f;
	size_t		 link, ip, fix, l4;
	uint16_t	 sport, dport;
};

/* Decode `n` bytes placed right against a PROT_NONE page. */
static enum decode_reason
dec_guarded(uint8_t *page_end, int lt, const uint8_t *src, size_t n,
    struct packet *p)
{
	enum decode_reason r;
	uint8_t *at = page_end - n;

	memcpy(at, src, n);
	decode_packet(lt, at, (uint32_t)n, p, &r);
	if (r == DR_OK &&
	    (p->payload < at || p->payload + p->payload_len > page_end ||
	    p->l3 < at || p->l3 + p->l3_len > page_end))
		return DR__COUNT;	/* a pointer out of the capture */
	return r;
}

static void
sweep_one(uint8_t *page_end, struct sweep *s)
{
	struct packet p;
	enum decode_reason want, got;
	size_t cut, bad = 0;

	for (cut = 0; cut <= s->f.n; cut++) {
		if (cut < s->link)
			want = DR_TRUNC_LINK;
		else if (cut < s->ip)
			want = DR_TRUNC_IP;
		else if (cut < s->fix)
			want = DR_TRUNC_L4;
		else
			want = DR_OK;
		got = dec_guarded(page_end, s->linktype, s->f.b, cut, &p);
		if (got == DR_OK && (p.payload_len !=
		    (cut < s->l4 ? 0 : cut - s->l4) ||
		    p.truncated != (cut < s->f.n) || p.sport != s->sport ||
		    p.dport != s->dport ||
		    p.payload_wire_len != s->f.n - s->l4))
			got = DR__COUNT;
		if (got != want) {
			if (bad++ == 0)
				printf("# %s cut at %zu: got %s, want %s\n",
				    s->name, cut, decode_reason_name(got),
				    decode_reason_name(want));
		}
	}
	ok(bad == 0, "%s: all %zu cuts classified, no read past the end",
	    s->name, s->f.n + 1);
}

static void
test_truncation(void)
{
	static const uint16_t qinq[] = { 0x88a8, 0x8100 };
	struct sweep s;
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map;
	size_t ip, u;

	map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map + pg, (size_t)pg, PROT_NONE)) {
		ok(0, "guard page for the truncation sweep");
		return;
	}

	s.name = "Ethernet QinQ IPv4 options TCP options";
	s.linktype = DLT_EN10MB;
	s.f.n = 0;
	eth(&s.f, qinq, 2, 0x0800);
	s.link = s.f.n;
	ip = ipv4(&s.f, TRANSPORT_TCP, 8, 0);
	s.ip = s.f.n;
	s.fix = s.ip + 14;
	tcp(&s.f, 1, 2, TCP_ACK, 8);
	s.l4 = s.f.n;
	s.sport = 1;
	s.dport = 2;
	payload(&s.f, "payload");
	ipv4_end(&s.f, ip);
	sweep_one(map + pg, &s);

	s.name = "Ethernet IPv6 ext headers fragment UDP";
	s.linktype = DLT_EN10MB;
	s.f.n = 0;
	eth(&s.f, NULL, 0, 0x86dd);
	s.link = s.f.n;
	ip = ipv6(&s.f, 0);
	ipv6_ext(&s.f, 44, 1);
	ipv6_frag(&s.f, 43, 0, 0);
	ipv6_ext(&s.f, TRANSPORT_UDP, 0);
	s.ip = s.f.n;
	s.fix = s.ip + 4;
	u = udp(&s.f, 1, 2);
	s.l4 = s.f.n;
	s.sport = 1;
	s.dport = 2;
	payload(&s.f, "data");
	udp_end(&s.f, u);
	ipv6_end(&s.f, ip);
	sweep_one(map + pg, &s);

	s.name = "Linux cooked v1 IPv4 UDP";
	s.linktype = DLT_LINUX_SLL;
	s.f.n = 0;
	sll(&s.f, 0x0800);
	s.link = s.f.n;
	s.ip = s.link + 20;
	s.fix = s.ip + 4;
	s.l4 = s.ip + 8;
	s.sport = 53;
	s.dport = 1053;
	v4_udp(&s.f);
	sweep_one(map + pg, &s);

	s.name = "Linux cooked v2 IPv6 TCP";
	s.linktype = DLT_LINUX_SLL2;
	s.f.n = 0;
	sll2(&s.f, 0x86dd);
	s.link = s.f.n;
	s.ip = s.link + 40;
	s.fix = s.ip + 14;
	s.l4 = s.ip + 20;
	s.sport = 3389;
	s.dport = 50000;
	v6_tcp(&s.f);
	sweep_one(map + pg, &s);

	s.name = "DLT_NULL IPv4 UDP";
	s.linktype = DLT_NULL;
	s.f.n = 0;
	fb_le32(&s.f, 2);
	s.link = 4;
	s.ip = 24;
	s.fix = 28;
	s.l4 = 32;
	s.sport = 53;
	s.dport = 1053;
	v4_udp(&s.f);
	sweep_one(map + pg, &s);

	s.name = "DLT_LOOP IPv6 TCP";
	s.linktype = DLT_LOOP;
	s.f.n = 0;
	fb_be32(&s.f, 24);
	s.link = 4;
	s.ip = 44;
	s.fix = 58;
	s.l4 = 64;
	s.sport = 3389;
	s.dport = 50000;
	v6_tcp(&s.f);
	sweep_one(map + pg, &s);

	s.name = "DLT_RAW IPv4 UDP";
	s.linktype = DLT_RAW;
	s.f.n = 0;
	s.link = 0;
	s.ip = 20;
	s.fix = 24;
	s.l4 = 28;
	s.sport = 53;
	s.dport = 1053;
	v4_udp(&s.f);
	sweep_one(map + pg, &s);

	s.name = "DLT_IPV6 TCP";
	s.linktype = DLT_IPV6;
	s.f.n = 0;
	s.link = 0;
	s.ip = 40;
	s.fix = 54;
	s.l4 = 60;
	s.sport = 3389;
	s.dport = 50000;
	v6_tcp(&s.f);
	sweep_one(map + pg, &s);

	munmap(map, (size_t)pg * 2);
}

/*
 * Frames whose fields lie (lengths far past the capture), cut at every
 * length: no cut may read past the end or point outside the capture.
 */
static void
test_malformed_sweep(void)
{
	struct fb frames[4];
	struct packet p;
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map;
	size_t i, cut, bad = 0, ip, u;
	enum decode_reason r;

	map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map + pg, (size_t)pg, PROT_NONE)) {
		ok(0, "guard page for the malformed sweep");
		return;
	}
	for (i = 0; i < 4; i++)
		frames[i].n = 0;
	eth(&frames[0], NULL, 0, 0x0800);
	ip = ipv4(&frames[0], TRANSPORT_TCP, 40, 0);
	tcp(&frames[0], 1, 2, 0, 40);
	ipv4_end(&frames[0], ip);
	frames[0].b[14 + 60 + 12] = 0xf0;
	fb_put16(&frames[0], 16, 0xffff);	/* claims 65535 */
	eth(&frames[1], NULL, 0, 0x86dd);
	ip = ipv6(&frames[1], 0);
	ipv6_ext(&frames[1], 0, 255);		/* 2048 bytes claimed */
	ipv6_end(&frames[1], ip);
	eth(&frames[2], NULL, 0, 0x0800);
	ip = ipv4(&frames[2], TRANSPORT_UDP, 0, 0);
	u = udp(&frames[2], 1, 2);
	ipv4_end(&frames[2], ip);
	fb_put16(&frames[2], u + 4, 0xffff);
	fb_le32(&frames[3], 0x02000000);	/* NULL family, swapped */
	frames[3].b[4] = 0x4f;
	frames[3].n = 24;
	for (i = 0; i < 4; i++) {
		for (cut = 0; cut <= frames[i].n; cut++) {
			r = dec_guarded(map + pg, i == 3 ? DLT_NULL :
			    DLT_EN10MB, frames[i].b, cut, &p);
			if (r == DR__COUNT)
				bad++;
		}
	}
	ok(bad == 0, "lying frames cut at every length stay in bounds");
	munmap(map, (size_t)pg * 2);
}

int
main(void)
{
	test_names();
	test_ethernet_ipv4_tcp();
	test_ethernet_padding();
	test_vlan();
	test_not_ip();
	test_link_types();
	test_ipv4();
	test_ipv4_other_protocols();
	test_ipv6();
	test_snaplen();
	test_truncation();
	test_malformed_sweep();
	return tap_done();
}
