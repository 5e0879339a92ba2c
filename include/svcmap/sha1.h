/*
 * sha1.h - SHA-1 (FIPS 180-4), for the Community ID flow hash only.
 *
 * SHA-1 is broken for collision resistance; the Community ID
 * specification (v1) still names it, so that every monitor computes the
 * same identifier.  Nothing in svcmap uses it for security.
 */
#ifndef SVCMAP_SHA1_H
#define SVCMAP_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN	20
#define SHA1_BLOCK_LEN	64

struct sha1 {
	uint32_t	h[5];
	uint64_t	bytes;			/* message length so far */
	uint8_t		block[SHA1_BLOCK_LEN];	/* partial block */
	size_t		fill;			/* bytes in block */
};

void	sha1_init(struct sha1 *s);
/** Hash len bytes of data (data may be NULL when len is 0). */
void	sha1_update(struct sha1 *s, const void *data, size_t len);
/** Pad, write the 20-byte digest; s must be initialised again to reuse. */
void	sha1_final(struct sha1 *s, uint8_t out[SHA1_DIGEST_LEN]);

#endif /* SVCMAP_SHA1_H */
