/*
 * community_id.c - the Community ID flow hash, version 1.
 *
 * Specification: corelight/community-id-spec (README.md), checked in
 * tests/test_community_id.c against its baseline files (baseline_deflt
 * and baseline_seed1).  Computed once per counted alert on the
 * classifier thread, never per packet.
 */
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/community_id.h"
#include "svcmap/sha1.h"
#include "svcmap/transport.h"

#define PROTO_SCTP	132

/* RFC 4648 section 4, with padding. */
static void
base64(const uint8_t *in, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = tab[v >> 6 & 63];
		*out++ = tab[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = tab[v >> 6 & 63];
		*out++ = '=';
	}
	*out = '\0';
}

char *
community_id_v1_ports(uint16_t seed, uint8_t proto, const struct addr *src,
    uint16_t sport, const struct addr *dst, uint16_t dport, bool has_ports,
    bool one_way, char out[COMMUNITY_ID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], digest[SHA1_DIGEST_LEN];
	const struct addr *a = src, *b = dst;
	uint16_t pa = sport, pb = dport;
	size_t alen, n = 0;
	struct sha1 s;
	bool v4;
	int c;

	out[0] = '\0';
	v4 = addr_is_v4(src);
	if (v4 != addr_is_v4(dst))
		return out;
	/*
	 * Smaller (address, port) first; addresses compare as unsigned
	 * bytes in network order, which is what the mapped form's memcmp
	 * does for both families.
	 */
	c = memcmp(src->b, dst->b, sizeof(src->b));
	if (!one_way && (c > 0 || (c == 0 && has_ports && sport > dport))) {
		a = dst;
		b = src;
		pa = dport;
		pb = sport;
	}
	alen = v4 ? 4 : 16;
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, a->b + 16 - alen, alen);
	n += alen;
	memcpy(buf + n, b->b + 16 - alen, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (has_ports) {
		buf[n++] = (uint8_t)(pa >> 8);
		buf[n++] = (uint8_t)pa;
		buf[n++] = (uint8_t)(pb >> 8);
		buf[n++] = (uint8_t)pb;
	}
	sha1_init(&s);
	sha1_update(&s, buf, n);
	sha1_final(&s, digest);
	out[0] = '1';
	out[1] = ':';
	base64(digest, sizeof(digest), out + 2);
	return out;
}

char *
community_id_v1(uint16_t seed, uint8_t proto, const struct addr *src,
    uint16_t sport, const struct addr *dst, uint16_t dport,
    char out[COMMUNITY_ID_LEN])
{
	switch (proto) {
	case TRANSPORT_ICMP:
	case TRANSPORT_ICMPV6:
		/* Type and code are not kept: no identifier. */
		out[0] = '\0';
		return out;
	case TRANSPORT_TCP:
	case TRANSPORT_UDP:
	case PROTO_SCTP:
		return community_id_v1_ports(seed, proto, src, sport, dst,
		    dport, true, false, out);
	default:
		return community_id_v1_ports(seed, proto, src, 0, dst, 0,
		    false, false, out);
	}
}
