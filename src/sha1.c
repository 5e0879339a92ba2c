/*
 * sha1.c - SHA-1 as FIPS 180-4 section 6.1 describes it.
 *
 * Written from the standard for the Community ID flow hash
 * (community_id.c), which hashes 40 bytes at most per alert, off the
 * per-packet path: clarity over speed.  tests/test_community_id.c checks
 * it against the FIPS 180-2 appendix examples and the one-million-'a'
 * message, and the Community ID against the specification's baselines.
 */
#include <string.h>

#include "svcmap/sha1.h"

static uint32_t
rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* One 512-bit block (FIPS 180-4 6.1.2, the message schedule in place). */
static void
sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);		/* Ch */
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;			/* Parity */
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);	/* Maj */
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

void
sha1_init(struct sha1 *s)
{
	/* FIPS 180-4 5.3.1 */
	s->h[0] = 0x67452301;
	s->h[1] = 0xefcdab89;
	s->h[2] = 0x98badcfe;
	s->h[3] = 0x10325476;
	s->h[4] = 0xc3d2e1f0;
	s->bytes = 0;
	s->fill = 0;
}

void
sha1_update(struct sha1 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	s->bytes += len;
	while (len > 0) {
		n = SHA1_BLOCK_LEN - s->fill;
		if (n > len)
			n = len;
		memcpy(s->block + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == SHA1_BLOCK_LEN) {
			sha1_block(s, s->block);
			s->fill = 0;
		}
	}
}

void
sha1_final(struct sha1 *s, uint8_t out[SHA1_DIGEST_LEN])
{
	uint64_t bits = s->bytes * 8;
	int i;

	/* FIPS 180-4 5.1.1: a 1 bit, zeros, then the length in 64 bits. */
	s->block[s->fill++] = 0x80;
	if (s->fill > SHA1_BLOCK_LEN - 8) {
		memset(s->block + s->fill, 0, SHA1_BLOCK_LEN - s->fill);
		sha1_block(s, s->block);
		s->fill = 0;
	}
	memset(s->block + s->fill, 0, SHA1_BLOCK_LEN - 8 - s->fill);
	for (i = 0; i < 8; i++)
		s->block[SHA1_BLOCK_LEN - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(s, s->block);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}
