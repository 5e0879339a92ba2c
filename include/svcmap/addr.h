/*
 * addr.h - IP addresses, CIDR sets and UUIDs as every module sees them.
 */
#ifndef SVCMAP_ADDR_H
#define SVCMAP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An IPv4 or IPv6 address.  IPv4 is stored as an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) so that one 16-byte compare and one hash cover both.
 */
struct addr {
	uint8_t	b[16];
};

/** Longest text form, with NUL (INET6_ADDRSTRLEN). */
#define ADDR_STRLEN 46

void	addr_from_v4(struct addr *a, const uint8_t v4[4]);
void	addr_from_v6(struct addr *a, const uint8_t v6[16]);
bool	addr_is_v4(const struct addr *a);
bool	addr_is_unspecified(const struct addr *a); /* 0.0.0.0 or :: */
/* Multicast (224.0.0.0/4, ff00::/8) or 255.255.255.255: never one host. */
bool	addr_is_group(const struct addr *a);
int	addr_cmp(const struct addr *a, const struct addr *b);
bool	addr_eq(const struct addr *a, const struct addr *b);
uint32_t addr_hash(const struct addr *a, uint32_t seed);

/** Dotted quad for IPv4, RFC 5952 text for IPv6.  Returns buf. */
char	*addr_fmt(const struct addr *a, char buf[ADDR_STRLEN]);
/** Parse either family; returns 0, or -1 on bad text. */
int	addr_parse(struct addr *a, const char *text);

struct sockaddr_storage;

/**
 * Parse a numeric listen address, "a.b.c.d:PORT" or "[v6]:PORT", into a
 * socket address (libevent's evutil_parse_sockaddr_port() builds it).
 * Host names and IPv6 zones are refused: a listener is bound before DNS
 * or interface names can be relied on.  The one parser of api-listen,
 * for the configuration and the API alike.
 * @param any_port: accept port 0 (the kernel picks a free port; tests).
 * @return: 0 with *ss and *sslen set, or -1 on bad text.
 */
int	addr_parse_listen(const char *text, bool any_port,
	    struct sockaddr_storage *ss, int *sslen);

/* A network: address + prefix length counted on the 128-bit form. */
struct cidr {
	struct addr	net;
	uint8_t		plen;	/* 0..128; IPv4 /n is stored as 96 + n */
};

/** Parse "10.0.0.0/8", "fd00::/8" or a bare address; 0 or -1. */
int	cidr_parse(struct cidr *c, const char *text);
bool	cidr_contains(const struct cidr *c, const struct addr *a);
char	*cidr_fmt(const struct cidr *c, char *buf, size_t len);

/* UUIDs are kept in RFC 4122 text order (the order the hex is printed). */
#define UUID_STRLEN 37

int	uuid_parse(uint8_t uuid[16], const char *text); /* 0 or -1 */
char	*uuid_fmt(const uint8_t uuid[16], char buf[UUID_STRLEN]);
/**
 * Convert a DCE/RPC wire UUID (first three fields in the PDU's byte
 * order, the rest as bytes) to text order.
 */
void	uuid_from_wire(uint8_t uuid[16], const uint8_t wire[16], bool little);

#endif /* SVCMAP_ADDR_H */
