/*
 * decode.h - link, network and transport headers of one captured packet.
 *
 * Supports Ethernet (802.1Q and QinQ tags), Linux cooked v1/v2, raw IP,
 * BSD loopback/null; IPv4 (options, fragments), IPv6 (extension headers,
 * fragment header); TCP, UDP, ICMP, ICMPv6, GRE, ESP, AH.  Every read is
 * bounds-checked through struct rd.  Nothing is allocated; the result
 * points into the caller's packet buffer and lives as long as it.
 */
#ifndef SVCMAP_DECODE_H
#define SVCMAP_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "svcmap/addr.h"

/*
 * Each packet lands in exactly one outcome.  DECODE_OK and
 * DECODE_FRAGMENT are IP packets the flow layer takes; the rest are
 * counted by reason and go no further.
 */
enum decode_result {
	DECODE_OK = 0,		/* IP packet with transport header (or none needed) */
	DECODE_FRAGMENT,	/* IP fragment other than the first: no ports */
	DECODE_NOT_IP,		/* ARP, LLDP, STP, unsupported link type ... */
	DECODE_TRUNCATED,	/* capture ended inside a header */
	DECODE_MALFORMED	/* a header field lies (bad version, length) */
};

/* Finer reasons, counted per reason; each maps to one result above. */
enum decode_reason {
	DR_OK = 0,
	DR_FRAGMENT,
	DR_NOT_IP_ETHERTYPE,	/* ARP, LLDP, ... */
	DR_NOT_IP_LINKTYPE,	/* link type we do not decode */
	DR_TRUNC_LINK,
	DR_TRUNC_IP,
	DR_TRUNC_L4,		/* cut before the ports (TCP: before the flags) */
	DR_BAD_IP_VERSION,
	DR_BAD_IP_HDRLEN,
	DR_BAD_IP_TOTLEN,
	DR_BAD_IPV6_EXTHDR,
	DR_BAD_TCP_HDRLEN,
	DR_BAD_UDP_LEN,
	DR_TOO_MANY_TAGS,	/* more VLAN tags or extension headers than we walk */
	DR__COUNT
};

/** Name of a reason for counters: "truncated_ip", ... */
const char *decode_reason_name(enum decode_reason r);
enum decode_result decode_reason_result(enum decode_reason r);

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

struct packet {
	uint64_t	 ts_us;		/* packet time, microseconds since the epoch */
	uint32_t	 wire_len;	/* length on the wire (counted as bytes) */
	uint32_t	 cap_len;	/* bytes captured */
	uint16_t	 vlan;		/* innermost 802.1Q VLAN id, 0 if untagged */
	uint8_t		 ip_version;	/* 4 or 6 */
	uint8_t		 proto;		/* IP protocol (transport.h: TRANSPORT_*) */
	struct addr	 src;
	struct addr	 dst;
	uint16_t	 sport;		/* 0 for transports without ports */
	uint16_t	 dport;
	uint8_t		 tcp_flags;
	uint32_t	 tcp_seq;
	uint32_t	 tcp_ack;
	uint32_t	 frag_id;	/* IPv4 id / IPv6 fragment id if fragmented */
	bool		 fragmented;	/* first fragment (more follow) or later one */
	const uint8_t	*l3;		/* IP header, for nDPI */
	uint32_t	 l3_len;	/* captured bytes from l3 on, capped by IP length */
	const uint8_t	*payload;	/* transport payload (captured part) */
	uint32_t	 payload_len;	/* captured payload bytes, capped by IP length */
	/*
	 * Payload bytes the packet carries by its own length fields (IP
	 * length less the TCP data offset; UDP length less 8), captured or
	 * not; 0 for a first fragment's TCP or other transport, whose
	 * length only reassembly knows.
	 */
	uint32_t	 payload_wire_len;
	/*
	 * The transport continues past what was decoded: the snap length cut
	 * its options or payload (then payload_len < payload_wire_len, and
	 * payload_len is 0 if the options were cut), or this is a first
	 * fragment.  The ports and flags are whole.  A reassembler must treat
	 * the rest of the segment as missing, not wait for it.
	 */
	bool		 truncated;
	/*
	 * The link layer sent the frame to a group: an Ethernet destination
	 * with the I/G bit set, a cooked capture's broadcast or multicast
	 * packet type.  A subnet-directed broadcast (10.0.5.255) is a group
	 * only by this.
	 */
	bool		 link_group;
};

/**
 * Decode one captured frame.
 * @param linktype: the pcap DLT_* of the capture.
 * @param pkt: filled with what was decoded (ts_us, wire_len, cap_len are set
 *   by the caller before the call and left alone).
 * @param reason: set to the fine reason (DR_OK for DECODE_OK).
 * @return: the outcome.  Fields are meaningful only for DECODE_OK, and for
 *   DECODE_FRAGMENT the addresses, proto and frag_id.
 */
enum decode_result decode_packet(int linktype, const uint8_t *data,
	    uint32_t caplen, struct packet *pkt, enum decode_reason *reason);

/** True if decode_packet() knows the link type. */
bool	decode_linktype_supported(int linktype);

#endif /* SVCMAP_DECODE_H */
