/*
 * transport.h - transports as svcmap names them: IP protocol numbers.
 *
 * The decoder reports a packet's transport as its IP protocol number
 * (struct packet.proto), so flows, catalog rows, learned endpoints and
 * statistics all use the same number and need no translation.
 */
#ifndef SVCMAP_TRANSPORT_H
#define SVCMAP_TRANSPORT_H

#include <stdint.h>

/* IANA protocol numbers. */
#define TRANSPORT_ICMP		1
#define TRANSPORT_TCP		6
#define TRANSPORT_UDP		17
#define TRANSPORT_GRE		47
#define TRANSPORT_ESP		50
#define TRANSPORT_AH		51
#define TRANSPORT_ICMPV6	58

/** "tcp", "udp", ... or NULL for a protocol svcmap has no name for. */
const char *transport_name(uint8_t proto);
/** Inverse of transport_name(); returns 0 for an unknown name. */
uint8_t	transport_parse(const char *name);

#endif /* SVCMAP_TRANSPORT_H */
