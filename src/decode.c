/*
 * decode.c - link, network and transport headers of one captured frame.
 *
 * \summary: Ethernet/802.1Q/Linux cooked/raw/loopback, IPv4, IPv6, TCP,
 * UDP header decoder
 *
 * specification: IEEE 802.1Q-2018 (C-tag 0x8100, S-tag 0x88a8), RFC 791
 * (IPv4), RFC 8200 (IPv6 and its extension headers), RFC 4302 (AH),
 * RFC 793 (TCP), RFC 768 (UDP); libpcap's pcap-linktype(7) for the
 * DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL and DLT_LOOP headers.
 *
 * Ethernet II, with up to DECODE_MAX_TAGS VLAN tags in front of the type:
 *
 *   +-----------------+-----------------+------+- - - - - - - -+------+
 *   | destination (6) | source (6)      | TPID | TCI  ...      | type |
 *   +-----------------+-----------------+------+- - - - - - - -+------+
 *     TPID 0x8100 / 0x88a8 / 0x9100, TCI = PCP(3) DEI(1) VID(12)
 *
 * IPv4 (RFC 791 section 3.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL > 5)          |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IPv6 (RFC 8200 section 3) and its extension headers (section 4):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |              Source Address (16), Destination Address (16)    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   hop-by-hop / routing / destination options:
 *   |  Next Header  |  Hdr Ext Len  |  (Hdr Ext Len + 1) * 8 - 2 ...
 *   fragment:
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   |                         Identification                        |
 *
 * TCP (RFC 793 section 3.1):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * UDP (RFC 768):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            Length             |           Checksum            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Truncated versus malformed (STYLE.md section 4): the IP layer and
 * everything above it are read through a cursor that ends at the IP
 * datagram's end as far as it was captured.  When a read runs off that
 * cursor, the answer depends on why the bytes ended: if the capture (the
 * snap length) or IPv4/IPv6 fragmentation cut the datagram short, the
 * packet is truncated; if the datagram's own length field leaves no room
 * for the header, the length lies and the packet is malformed.  The
 * transport is the exception that a sensor with a short snap length
 * needs: once its ports (and TCP's flags) are captured, a cut in its
 * options or payload still decodes, flagged `truncated` (decode_l4()).
 */
#include <pcap/dlt.h>

#include <stddef.h>
#include <string.h>

#include "svcmap/decode.h"
#include "svcmap/rd.h"
#include "svcmap/transport.h"

/* Outer plus inner tags of QinQ, with room for a provider's extra pair. */
#define DECODE_MAX_TAGS		4
/* IPv6 extension headers walked before giving up (RFC 8200 4.1 lists 6). */
#define DECODE_MAX_EXTHDRS	8

/* LINKTYPE_RAW as written in capture files; libpcap maps it to DLT_RAW. */
#define LINKTYPE_RAW		101

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100	/* IEEE 802.1Q C-tag */
#define ETHERTYPE_QINQ		0x88a8	/* IEEE 802.1ad S-tag */
#define ETHERTYPE_QINQ_OLD	0x9100	/* pre-802.1ad vendor S-tag */

/* BSD address families as DLT_NULL/DLT_LOOP carry them. */
#define BSD_AF_INET		2
#define BSD_AF_INET6_BSD	24	/* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD	28	/* FreeBSD, DragonFly BSD */
#define BSD_AF_INET6_DARWIN	30	/* macOS, iOS */

/* IPv6 extension headers we walk (RFC 8200 section 4). */
#define EXT_HOPOPTS		0
#define EXT_ROUTING		43
#define EXT_FRAGMENT		44
#define EXT_DSTOPTS		60

#define IPV4_MF			0x2000
#define IPV4_OFFMASK		0x1fff

/* TCP up to the data offset and flags: what attributing a packet needs. */
#define TCP_FIXED_PART		14
#define TCP_MIN_HDR		20
#define UDP_HDR			8

/* What the link layer found in front of the network header. */
enum link_proto {
	LINK_IPV4,
	LINK_IPV6,
	LINK_IP_ANY,	/* raw IP: the version nibble decides */
	LINK_OTHER
};

static const char *const reason_names[DR__COUNT] = {
	[DR_OK] = "ok",
	[DR_FRAGMENT] = "fragment",
	[DR_NOT_IP_ETHERTYPE] = "not_ip_ethertype",
	[DR_NOT_IP_LINKTYPE] = "not_ip_linktype",
	[DR_TRUNC_LINK] = "truncated_link",
	[DR_TRUNC_IP] = "truncated_ip",
	[DR_TRUNC_L4] = "truncated_l4",
	[DR_BAD_IP_VERSION] = "bad_ip_version",
	[DR_BAD_IP_HDRLEN] = "bad_ip_hdrlen",
	[DR_BAD_IP_TOTLEN] = "bad_ip_totlen",
	[DR_BAD_IPV6_EXTHDR] = "bad_ipv6_exthdr",
	[DR_BAD_TCP_HDRLEN] = "bad_tcp_hdrlen",
	[DR_BAD_UDP_LEN] = "bad_udp_len",
	[DR_TOO_MANY_TAGS] = "too_many_tags"
};

static const enum decode_result reason_results[DR__COUNT] = {
	[DR_OK] = DECODE_OK,
	[DR_FRAGMENT] = DECODE_FRAGMENT,
	[DR_NOT_IP_ETHERTYPE] = DECODE_NOT_IP,
	[DR_NOT_IP_LINKTYPE] = DECODE_NOT_IP,
	[DR_TRUNC_LINK] = DECODE_TRUNCATED,
	[DR_TRUNC_IP] = DECODE_TRUNCATED,
	[DR_TRUNC_L4] = DECODE_TRUNCATED,
	[DR_BAD_IP_VERSION] = DECODE_MALFORMED,
	[DR_BAD_IP_HDRLEN] = DECODE_MALFORMED,
	[DR_BAD_IP_TOTLEN] = DECODE_MALFORMED,
	[DR_BAD_IPV6_EXTHDR] = DECODE_MALFORMED,
	[DR_BAD_TCP_HDRLEN] = DECODE_MALFORMED,
	[DR_BAD_UDP_LEN] = DECODE_MALFORMED,
	/*
	 * Counted as malformed: more tags or extension headers than any
	 * sane sender stacks is either an attack or garbage.
	 */
	[DR_TOO_MANY_TAGS] = DECODE_MALFORMED
};

const char *
decode_reason_name(enum decode_reason r)
{
	if ((unsigned)r >= DR__COUNT)
		return "unknown";
	return reason_names[r];
}

enum decode_result
decode_reason_result(enum decode_reason r)
{
	if ((unsigned)r >= DR__COUNT)
		return DECODE_MALFORMED;
	return reason_results[r];
}

bool
decode_linktype_supported(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

/*
 * Map an Ethernet type to a network protocol, first walking any VLAN tags
 * that follow it.  The cursor sits just after the type field.
 */
static enum decode_reason
link_ethertype(struct rd *r, uint16_t type, struct packet *pkt,
    enum link_proto *lp)
{
	int tags = 0;

	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	    type == ETHERTYPE_QINQ_OLD) {
		uint16_t tci;

		if (tags == DECODE_MAX_TAGS)
			return DR_TOO_MANY_TAGS;
		tci = rd_be16(r);
		type = rd_be16(r);
		if (!rd_ok(r))
			return DR_TRUNC_LINK;
		/* The walk goes outside in, so the last one is innermost. */
		pkt->vlan = tci & 0x0fff;
		tags++;
	}
	if (type == ETHERTYPE_IPV4)
		*lp = LINK_IPV4;
	else if (type == ETHERTYPE_IPV6)
		*lp = LINK_IPV6;
	else
		*lp = LINK_OTHER;	/* ARP, LLDP, an 802.3 length, ... */
	return *lp == LINK_OTHER ? DR_NOT_IP_ETHERTYPE : DR_OK;
}

/* BSD loopback: a 4-byte address family. */
static enum decode_reason
link_family(uint32_t family, enum link_proto *lp)
{
	switch (family) {
	case BSD_AF_INET:
		*lp = LINK_IPV4;
		return DR_OK;
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		*lp = LINK_IPV6;
		return DR_OK;
	default:
		*lp = LINK_OTHER;
		return DR_NOT_IP_ETHERTYPE;
	}
}

/*
 * Skip the link header.  On DR_OK the cursor is at the network header and
 * *lp says which one it is.
 */
static enum decode_reason
decode_link(int linktype, struct rd *r, struct packet *pkt,
    enum link_proto *lp)
{
	uint32_t family;
	uint16_t type;

	switch (linktype) {
	case DLT_EN10MB:
		/* The I/G bit of the destination: a broadcast or multicast
		 * frame (a subnet broadcast's IP address does not say so). */
		pkt->link_group = (rd_u8(r) & 0x01) != 0;
		rd_skip(r, 11);			/* destination, source */
		type = rd_be16(r);
		if (!rd_ok(r))
			return DR_TRUNC_LINK;
		return link_ethertype(r, type, pkt, lp);
	case DLT_LINUX_SLL:
		/* packet type, ARPHRD, address length, address (8), protocol;
		 * packet types 1 and 2 are broadcast and multicast. */
		type = rd_be16(r);
		pkt->link_group = type == 1 || type == 2;
		rd_skip(r, 12);
		type = rd_be16(r);
		if (!rd_ok(r))
			return DR_TRUNC_LINK;
		return link_ethertype(r, type, pkt, lp);
	case DLT_LINUX_SLL2:
		/*
		 * protocol, reserved, ifindex (4), ARPHRD, packet type,
		 * address length, address (8)
		 */
		type = rd_be16(r);
		rd_skip(r, 18);
		if (!rd_ok(r))
			return DR_TRUNC_LINK;
		return link_ethertype(r, type, pkt, lp);
	case DLT_RAW:
	case LINKTYPE_RAW:
		*lp = LINK_IP_ANY;
		return DR_OK;
	case DLT_IPV4:
		*lp = LINK_IPV4;
		return DR_OK;
	case DLT_IPV6:
		*lp = LINK_IPV6;
		return DR_OK;
	case DLT_NULL:
		/*
		 * The capturing host's byte order, which need not be ours.
		 * Every family we know fits in 16 bits, so a value with
		 * high bits set was written in the other order (tcpdump's
		 * print-null.c does the same).
		 */
		family = rd_le32(r);
		if (!rd_ok(r))
			return DR_TRUNC_LINK;
		if ((family & 0xffff0000u) != 0)
			family = __builtin_bswap32(family);
		return link_family(family, lp);
	case DLT_LOOP:
		family = rd_be32(r);
		if (!rd_ok(r))
			return DR_TRUNC_LINK;
		return link_family(family, lp);
	default:
		*lp = LINK_OTHER;
		return DR_NOT_IP_LINKTYPE;
	}
}

/*
 * The capture (or fragmentation) ended inside the transport header but
 * after its fixed part: the packet is attributed by its ports with no
 * payload.  The payload pointer sits at the end of the captured bytes.
 */
static enum decode_reason
l4_header_cut(const struct rd *r, struct packet *pkt)
{
	pkt->payload = r->end;
	pkt->payload_len = 0;
	pkt->truncated = true;
	return DR_OK;
}

/*
 * Transport header.  `r` covers the transport bytes there are (captured,
 * capped by the IP length); `claimed` is how many the IP length says this
 * packet carries, and `more` is true for a first fragment, whose transport
 * continues in later fragments.
 *
 * A short snap length cuts TCP options and payload long before it cuts
 * the ports, and a passive sensor still has to attribute such a packet:
 * its flow is known from the fixed part (for TCP the first 14 bytes, up
 * to the data offset and flags; for UDP the ports), and its size comes
 * from the wire, not from the capture.  So a packet is truncated only
 * when the capture ends inside that fixed part.  Past it, the packet
 * decodes with whatever payload was captured and says it was cut, so a
 * reassembler treats the rest as missing instead of reading on.
 *
 * Lengths are judged against `claimed`, not against the capture: an IP
 * length that leaves no room for the header, or a data offset or UDP
 * length past it, is a lie however much was captured.  A first fragment
 * has no such bound beyond its own bytes.
 */
static enum decode_reason
decode_l4(struct rd *r, size_t claimed, bool more, struct packet *pkt)
{
	size_t hlen, n;
	uint16_t ulen;
	uint8_t off;
	bool cut = more || rd_left(r) < claimed;

	switch (pkt->proto) {
	case TRANSPORT_TCP:
		if (!more && claimed < TCP_MIN_HDR)
			return DR_BAD_TCP_HDRLEN;
		pkt->sport = rd_be16(r);
		pkt->dport = rd_be16(r);
		pkt->tcp_seq = rd_be32(r);
		pkt->tcp_ack = rd_be32(r);
		off = rd_u8(r);
		pkt->tcp_flags = rd_u8(r);
		if (!rd_ok(r))
			return DR_TRUNC_L4;
		hlen = (size_t)(off >> 4) * 4;
		if (hlen < TCP_MIN_HDR || (!more && hlen > claimed))
			return DR_BAD_TCP_HDRLEN;
		if (!more)
			pkt->payload_wire_len = (uint32_t)(claimed - hlen);
		/* Window, checksum, urgent pointer and options. */
		rd_skip(r, hlen - TCP_FIXED_PART);
		if (!rd_ok(r))
			return l4_header_cut(r, pkt);
		n = rd_left(r);
		break;
	case TRANSPORT_UDP:
		if (!more && claimed < UDP_HDR)
			return DR_BAD_UDP_LEN;
		pkt->sport = rd_be16(r);
		pkt->dport = rd_be16(r);
		if (!rd_ok(r))
			return DR_TRUNC_L4;
		/* Until the UDP length is read, the IP length says it. */
		if (!more)
			pkt->payload_wire_len = (uint32_t)(claimed - UDP_HDR);
		ulen = rd_be16(r);
		rd_skip(r, 2);			/* checksum */
		if (!rd_ok(r))
			return l4_header_cut(r, pkt);
		/*
		 * The UDP length covers the whole datagram: past this
		 * packet's bytes it is a lie unless more fragments follow.
		 * Shorter than the IP payload caps the payload (the rest is
		 * padding).
		 */
		if (ulen < UDP_HDR || (!more && ulen > claimed))
			return DR_BAD_UDP_LEN;
		n = (size_t)ulen - UDP_HDR;
		pkt->payload_wire_len = (uint32_t)n;
		if (n > rd_left(r))
			n = rd_left(r);
		else if (!more)
			cut = false;	/* whatever is missing is padding */
		break;
	default:
		/*
		 * ICMP, ICMPv6, GRE, ESP, AH and protocols we do not know:
		 * no ports.  The flow layer still keys them by protocol.
		 */
		if (!more)
			pkt->payload_wire_len = (uint32_t)claimed;
		n = rd_left(r);
		break;
	}
	pkt->payload = rd_ptr(r, n);
	pkt->payload_len = (uint32_t)n;
	pkt->truncated = cut;
	return DR_OK;
}

/*
 * Bound the datagram: a sub-cursor over the `want` bytes its length field
 * claims after the cursor, or over what was captured when that is less.
 * A claim below the capture leaves Ethernet padding (or trailer junk)
 * behind: it is not payload.  A claim above it means the snap length cut
 * the datagram, which is no error: keep what there is (the caller knows
 * the claim and compares).
 */
static struct rd
ip_datagram(struct rd *r, size_t want)
{
	size_t left = rd_left(r);

	return rd_sub(r, want > left ? left : want);
}

/*
 * IPv4.  `r` starts at the header and ends at the end of the capture.
 */
static enum decode_reason
decode_ipv4(struct rd *r, struct packet *pkt)
{
	const uint8_t *ip = r->p;
	const uint8_t *src, *dst;
	struct rd dg;
	size_t hlen, totlen;
	uint16_t frag;
	uint8_t vhl;

	vhl = rd_u8(r);
	rd_skip(r, 1);				/* type of service */
	totlen = rd_be16(r);
	pkt->frag_id = rd_be16(r);
	frag = rd_be16(r);
	rd_skip(r, 1);				/* time to live */
	pkt->proto = rd_u8(r);
	rd_skip(r, 2);				/* header checksum */
	src = rd_ptr(r, 4);
	dst = rd_ptr(r, 4);
	/*
	 * The version nibble is judged even when the header is cut short:
	 * a cut packet that is not IPv4 at all is the worse news.
	 */
	if (r->p != ip && (vhl >> 4) != 4)
		return DR_BAD_IP_VERSION;
	if (!rd_ok(r))
		return DR_TRUNC_IP;
	hlen = (size_t)(vhl & 0x0f) * 4;
	if (hlen < 20)
		return DR_BAD_IP_HDRLEN;
	if (totlen < hlen)
		return DR_BAD_IP_TOTLEN;
	rd_skip(r, hlen - 20);			/* options */
	if (!rd_ok(r))
		return DR_TRUNC_IP;

	pkt->ip_version = 4;
	addr_from_v4(&pkt->src, src);
	addr_from_v4(&pkt->dst, dst);
	dg = ip_datagram(r, totlen - hlen);
	pkt->l3 = ip;
	pkt->l3_len = (uint32_t)(hlen + rd_left(&dg));

	if ((frag & (IPV4_MF | IPV4_OFFMASK)) != 0)
		pkt->fragmented = true;
	if ((frag & IPV4_OFFMASK) != 0)
		return DR_FRAGMENT;
	/* A first fragment holds the transport header but not its end. */
	return decode_l4(&dg, totlen - hlen, (frag & IPV4_MF) != 0, pkt);
}

/*
 * IPv6 and its extension headers.  `r` starts at the header and ends at
 * the end of the capture.
 */
static enum decode_reason
decode_ipv6(struct rd *r, struct packet *pkt)
{
	const uint8_t *ip = r->p;
	const uint8_t *src, *dst;
	struct rd dg;
	size_t plen, extlen;
	uint16_t offlg;
	uint8_t vtc, nxt;
	bool cut, more = false;
	int n;

	vtc = rd_u8(r);
	rd_skip(r, 3);				/* class, flow label */
	plen = rd_be16(r);
	nxt = rd_u8(r);
	rd_skip(r, 1);				/* hop limit */
	src = rd_ptr(r, 16);
	dst = rd_ptr(r, 16);
	if (r->p != ip && (vtc >> 4) != 6)
		return DR_BAD_IP_VERSION;
	if (!rd_ok(r))
		return DR_TRUNC_IP;

	pkt->ip_version = 6;
	addr_from_v6(&pkt->src, src);
	addr_from_v6(&pkt->dst, dst);
	/*
	 * Payload length 0 with a hop-by-hop header is a jumbogram
	 * (RFC 2675), whose real length sits in an option; what was
	 * captured is then the best bound we have.
	 */
	if (plen == 0 && nxt == EXT_HOPOPTS)
		plen = rd_left(r);
	dg = ip_datagram(r, plen);
	cut = rd_left(&dg) < plen;
	pkt->l3 = ip;
	pkt->l3_len = (uint32_t)(40 + rd_left(&dg));

	for (n = 0;; n++) {
		switch (nxt) {
		case EXT_HOPOPTS:
		case EXT_ROUTING:
		case EXT_DSTOPTS:
			if (n == DECODE_MAX_EXTHDRS)
				return DR_TOO_MANY_TAGS;
			nxt = rd_u8(&dg);
			extlen = ((size_t)rd_u8(&dg) + 1) * 8;
			rd_skip(&dg, extlen - 2);
			if (!rd_ok(&dg))
				return cut ? DR_TRUNC_IP : DR_BAD_IPV6_EXTHDR;
			break;
		case EXT_FRAGMENT:
			if (n == DECODE_MAX_EXTHDRS)
				return DR_TOO_MANY_TAGS;
			nxt = rd_u8(&dg);
			rd_skip(&dg, 1);	/* reserved */
			offlg = rd_be16(&dg);
			pkt->frag_id = rd_be32(&dg);
			if (!rd_ok(&dg))
				return cut ? DR_TRUNC_IP : DR_BAD_IPV6_EXTHDR;
			/*
			 * Offset 0 without M is an atomic fragment
			 * (RFC 6946): the whole packet, not a piece.
			 */
			if ((offlg & 0xfff9) != 0)
				pkt->fragmented = true;
			if ((offlg >> 3) != 0) {
				pkt->proto = nxt;
				return DR_FRAGMENT;
			}
			if ((offlg & 1) != 0)
				cut = more = true;
			break;
		default:
			/*
			 * The transport, or AH (RFC 4302), which we report
			 * as the transport without looking inside.
			 */
			pkt->proto = nxt;
			return decode_l4(&dg, plen - rd_offset(&dg), more,
			    pkt);
		}
	}
}

/* Clear what a previous packet left, keeping the caller's fields. */
static void
packet_reset(struct packet *pkt)
{
	uint64_t ts = pkt->ts_us;
	uint32_t wire = pkt->wire_len, cap = pkt->cap_len;

	memset(pkt, 0, sizeof(*pkt));
	pkt->ts_us = ts;
	pkt->wire_len = wire;
	pkt->cap_len = cap;
}

enum decode_result
decode_packet(int linktype, const uint8_t *data, uint32_t caplen,
    struct packet *pkt, enum decode_reason *reason)
{
	enum decode_reason dr;
	enum link_proto lp;
	struct rd r;

	packet_reset(pkt);
	rd_init(&r, data, caplen);
	dr = decode_link(linktype, &r, pkt, &lp);
	if (dr == DR_OK) {
		if (lp == LINK_IP_ANY) {
			/* Raw IP: peek at the version without consuming it. */
			if (!rd_need(&r, 1))
				dr = DR_TRUNC_IP;
			else
				lp = (r.p[0] >> 4) == 6 ? LINK_IPV6 : LINK_IPV4;
		}
		if (lp == LINK_IPV4)
			dr = decode_ipv4(&r, pkt);
		else if (lp == LINK_IPV6)
			dr = decode_ipv6(&r, pkt);
	}
	*reason = dr;
	return reason_results[dr];
}
