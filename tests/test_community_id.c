/*
 * test_community_id.c - SHA-1 against the FIPS 180-2 appendix examples
 * and the Community ID v1 against the specification's published test
 * vectors: corelight/community-id-spec, baseline/baseline_deflt.json
 * (seed 0) and baseline/baseline_seed1.json (seed 1), commit c4ec2bc.
 * The baselines give ICMP's port equivalents (type and counter-type or
 * code) already mapped; the one-way flag follows the specification's
 * mapping tables (a type without a counterpart is one-way).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/community_id.h"
#include "svcmap/sha1.h"
#include "svcmap/transport.h"
#include "tap.h"

static const char *
hex(const uint8_t *d, size_t n, char *buf)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", d[i]);
	return buf;
}

static const char *
sha1_hex(const void *msg, size_t len, size_t chunk, char buf[41])
{
	uint8_t d[SHA1_DIGEST_LEN];
	const uint8_t *p = msg;
	struct sha1 s;
	size_t n;

	sha1_init(&s);
	while (len > 0) {
		n = len < chunk ? len : chunk;
		sha1_update(&s, p, n);
		p += n;
		len -= n;
	}
	sha1_final(&s, d);
	return hex(d, sizeof(d), buf);
}

static void
test_sha1(void)
{
	/* FIPS 180-2 appendix A (one block, two blocks, long message). */
	const char *two =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static char million[1000000];
	char buf[41];
	size_t i, chunks[] = { 1, 3, 63, 64, 65, 1000000 };

	is_str(sha1_hex("", 0, 1, buf),
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1 of \"\"");
	is_str(sha1_hex("abc", 3, 64, buf),
	    "a9993e364706816aba3e25717850c26c9cd0d89d", "SHA-1 of \"abc\"");
	/* 56 bytes: the length no longer fits, padding takes a block. */
	is_str(sha1_hex(two, strlen(two), 64, buf),
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	    "SHA-1 of the 448-bit message");
	memset(million, 'a', sizeof(million));
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		is_str(sha1_hex(million, sizeof(million), chunks[i], buf),
		    "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
		    "SHA-1 of a million 'a', fed %zu bytes at a time",
		    chunks[i]);
	/* 64 bytes: exactly one block of message, padding in another. */
	is_str(sha1_hex(million, 64, 64, buf),
	    "0098ba824b5c16427bd7a1122a5a442a25ec644d",
	    "SHA-1 of 64 'a' (block boundary)");
}

struct vector {
	uint16_t	 seed;
	uint8_t		 proto;
	const char	*saddr;
	uint16_t	 sport;
	const char	*daddr;
	uint16_t	 dport;
	bool		 has_ports;
	bool		 one_way;
	const char	*want;
};

static const struct vector vectors[] = {
	{ 0, 58, "fe80::200:86ff:fe05:80da", 135, "fe80::260:97ff:fe07:69ea", 136, true, false, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ 0, 58, "fe80::260:97ff:fe07:69ea", 136, "fe80::200:86ff:fe05:80da", 135, true, false, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ 0, 58, "fe80::260:97ff:fe07:69ea", 135, "fe80::200:86ff:fe05:80da", 136, true, false, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
	{ 0, 58, "fe80::200:86ff:fe05:80da", 136, "fe80::260:97ff:fe07:69ea", 135, true, false, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
	{ 0, 58, "3ffe:501:1800:2345::2", 3, "3ffe:507:0:1:200:86ff:fe05:80da", 0, true, true, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
	{ 0, 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", 1, "3ffe:507:0:1:200:86ff:fe05:80da", 4, true, true, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
	{ 0, 58, "3ffe:507:0:1:200:86ff:fe05:80da", 128, "3ffe:501:0:1001::2", 129, true, false, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
	{ 0, 58, "3ffe:501:0:1001::2", 129, "3ffe:507:0:1:200:86ff:fe05:80da", 128, true, false, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
	{ 0, 58, "fe80::200:86ff:fe05:80da", 133, "ff02::2", 134, true, false, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
	{ 0, 58, "fe80::260:97ff:fe07:69ea", 134, "ff02::1", 133, true, false, "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
	{ 0, 1, "192.168.0.89", 8, "192.168.0.1", 0, true, false, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ 0, 1, "192.168.0.1", 0, "192.168.0.89", 8, true, false, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ 0, 1, "10.0.0.1", 11, "10.0.0.2", 0, true, true, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
	{ 0, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, true, false, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 0, 6, "2607:f8b0:400c:c03::1a", 25, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, true, false, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 0, 132, "192.168.170.8", 7, "192.168.170.56", 7, true, false, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ 0, 132, "192.168.170.56", 7, "192.168.170.8", 7, true, false, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ 0, 6, "128.232.110.120", 34855, "66.35.250.204", 80, true, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 0, 6, "66.35.250.204", 80, "128.232.110.120", 34855, true, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 0, 17, "192.168.1.52", 54585, "8.8.8.8", 53, true, false, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 0, 17, "8.8.8.8", 53, "192.168.1.52", 54585, true, false, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 0, 46, "10.1.12.1", 0, "10.1.12.2", 0, false, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	{ 0, 46, "10.1.12.2", 0, "10.1.12.1", 0, false, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	{ 1, 58, "fe80::200:86ff:fe05:80da", 135, "fe80::260:97ff:fe07:69ea", 136, true, false, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ 1, 58, "fe80::260:97ff:fe07:69ea", 136, "fe80::200:86ff:fe05:80da", 135, true, false, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ 1, 58, "fe80::260:97ff:fe07:69ea", 135, "fe80::200:86ff:fe05:80da", 136, true, false, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
	{ 1, 58, "fe80::200:86ff:fe05:80da", 136, "fe80::260:97ff:fe07:69ea", 135, true, false, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
	{ 1, 58, "3ffe:501:1800:2345::2", 3, "3ffe:507:0:1:200:86ff:fe05:80da", 0, true, true, "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=" },
	{ 1, 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", 1, "3ffe:507:0:1:200:86ff:fe05:80da", 4, true, true, "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=" },
	{ 1, 58, "3ffe:507:0:1:200:86ff:fe05:80da", 128, "3ffe:501:0:1001::2", 129, true, false, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
	{ 1, 58, "3ffe:501:0:1001::2", 129, "3ffe:507:0:1:200:86ff:fe05:80da", 128, true, false, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
	{ 1, 58, "fe80::200:86ff:fe05:80da", 133, "ff02::2", 134, true, false, "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=" },
	{ 1, 58, "fe80::260:97ff:fe07:69ea", 134, "ff02::1", 133, true, false, "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=" },
	{ 1, 1, "192.168.0.89", 8, "192.168.0.1", 0, true, false, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ 1, 1, "192.168.0.1", 0, "192.168.0.89", 8, true, false, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ 1, 1, "10.0.0.1", 11, "10.0.0.2", 0, true, true, "1:XjUibYHaafLQ3pxQeiMI8g25q20=" },
	{ 1, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, true, false, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ 1, 6, "2607:f8b0:400c:c03::1a", 25, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, true, false, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ 1, 132, "192.168.170.8", 7, "192.168.170.56", 7, true, false, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ 1, 132, "192.168.170.56", 7, "192.168.170.8", 7, true, false, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ 1, 6, "128.232.110.120", 34855, "66.35.250.204", 80, true, false, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 1, 6, "66.35.250.204", 80, "128.232.110.120", 34855, true, false, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 1, 17, "192.168.1.52", 54585, "8.8.8.8", 53, true, false, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 1, 17, "8.8.8.8", 53, "192.168.1.52", 54585, true, false, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 1, 46, "10.1.12.1", 0, "10.1.12.2", 0, false, false, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
	{ 1, 46, "10.1.12.2", 0, "10.1.12.1", 0, false, false, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
};

static void
test_vectors(void)
{
	char out[COMMUNITY_ID_LEN];
	struct addr s, d;
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];

		if (addr_parse(&s, v->saddr) == -1 ||
		    addr_parse(&d, v->daddr) == -1) {
			ok(0, "vector %zu: addresses parse", i);
			continue;
		}
		is_str(community_id_v1_ports(v->seed, v->proto, &s, v->sport,
		    &d, v->dport, v->has_ports, v->one_way, out), v->want,
		    "seed %u proto %u %s:%u -> %s:%u", v->seed, v->proto,
		    v->saddr, v->sport, v->daddr, v->dport);
		/* The flow API gives the same for the protocols it hashes. */
		if (v->proto != TRANSPORT_ICMP && v->proto != TRANSPORT_ICMPV6)
			is_str(community_id_v1(v->seed, v->proto, &s, v->sport,
			    &d, v->dport, out), v->want,
			    "community_id_v1 seed %u proto %u %s -> %s",
			    v->seed, v->proto, v->saddr, v->daddr);
	}
}

static void
test_edges(void)
{
	char out[COMMUNITY_ID_LEN];
	struct addr a, b;

	addr_parse(&a, "10.0.0.1");
	addr_parse(&b, "127.0.0.1");
	/* The specification's ordering example: both directions agree. */
	is_str(community_id_v1(0, TRANSPORT_TCP, &a, 1234, &b, 80, out),
	    community_id_v1(0, TRANSPORT_TCP, &b, 80, &a, 1234,
	    (char [COMMUNITY_ID_LEN]){ 0 }), "direction does not matter");
	is_int(strlen(out), 30, "\"1:\" + 28 base64 characters");
	/* Equal addresses: the ports decide. */
	ok(strcmp(community_id_v1(0, TRANSPORT_UDP, &a, 53, &a, 1000, out),
	    community_id_v1(0, TRANSPORT_UDP, &a, 1000, &a, 53,
	    (char [COMMUNITY_ID_LEN]){ 0 })) == 0,
	    "same address both ends: ordered by port");
	is_str(community_id_v1(0, TRANSPORT_ICMP, &a, 8, &b, 0, out), "",
	    "ICMP without type and code: empty, as the specification allows");
	addr_parse(&b, "::1");
	is_str(community_id_v1(0, TRANSPORT_TCP, &a, 1, &b, 2, out), "",
	    "mixed families: empty");
}

int
main(void)
{
	test_sha1();
	test_vectors();
	test_edges();
	return tap_done();
}
