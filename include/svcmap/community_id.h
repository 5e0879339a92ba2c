/*
 * community_id.h - the Community ID flow hash (version 1), the identifier
 * Zeek, Suricata, Wireshark and Arkime compute for a flow, so that an
 * svcmap alert joins their records by one string comparison.
 *
 * Specification: corelight/community-id-spec README.md ("Pseudo code",
 * "Technical details"):
 *   "1:" base64(SHA-1(seed(2) . saddr . daddr . proto(1) . 0(1) .
 *                     sport(2) . dport(2)))
 * all in network byte order, with the endpoints ordered so that the
 * smaller (address, port) comes first.
 */
#ifndef SVCMAP_COMMUNITY_ID_H
#define SVCMAP_COMMUNITY_ID_H

#include <stdbool.h>
#include <stdint.h>

struct addr;

/* "1:" + 28 base64 characters + NUL. */
#define COMMUNITY_ID_LEN	31

/**
 * The Community ID v1 of a flow seen from either side.
 * @param seed: the site's seed (community-id-seed; 0 by default, as in
 *   Zeek and Suricata).
 * @param proto: IP protocol number.  TCP, UDP and SCTP hash their ports;
 *   other protocols but ICMP hash the addresses and protocol only.
 * @param src, dst: both IPv4 (struct addr's mapped form) or both IPv6.
 * @return: out, "1:..." (30 characters); "" for ICMP and ICMPv6, whose
 *   type and code svcmap does not keep (the specification allows an
 *   empty identifier for what a monitor cannot compute), and for mixed
 *   address families.
 */
char	*community_id_v1(uint16_t seed, uint8_t proto, const struct addr *src,
	    uint16_t sport, const struct addr *dst, uint16_t dport,
	    char out[COMMUNITY_ID_LEN]);

/**
 * The same for any protocol, ports given or not (has_ports), for the
 * specification's test vectors and for callers that map ICMP type and
 * code to its "port equivalents".
 * @param one_way: keep the given order (the specification's one-way
 *   ICMP messages); false: smaller (address, port) first.
 * @return: out; "" for mixed address families.
 */
char	*community_id_v1_ports(uint16_t seed, uint8_t proto,
	    const struct addr *src, uint16_t sport, const struct addr *dst,
	    uint16_t dport, bool has_ports, bool one_way,
	    char out[COMMUNITY_ID_LEN]);

#endif /* SVCMAP_COMMUNITY_ID_H */
