/*
 * rd.h - bounds-checked reader cursor shared by every wire parser.
 *
 * Every read from packet or PDU bytes goes through a struct rd: a pointer,
 * an end and a sticky error.  A read that would pass `end` sets the error
 * and returns 0; every later read also returns 0, so a parser can read a
 * whole header and test rd_ok() once before it commits anything to flow or
 * endpoint state (STYLE.md section 4).  Nobody compares `p + len <= end` by
 * hand; the comparisons below are written so that a hostile length cannot
 * overflow the pointer arithmetic.
 */
#ifndef SVCMAP_RD_H
#define SVCMAP_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Why a parse stopped: captured bytes ran out, or a field lies. */
enum rd_error {
	RD_OK = 0,
	RD_TRUNCATED,	/* fewer bytes than the format needs */
	RD_INVALID	/* a length, count or value is impossible */
};

struct rd {
	const uint8_t	*p;	/* next byte to read */
	const uint8_t	*start;	/* first byte, for rd_offset() and alignment */
	const uint8_t	*end;	/* one past the last readable byte */
	enum rd_error	 err;	/* sticky: once set, reads return 0 */
};

static inline void
rd_init(struct rd *r, const uint8_t *data, size_t len)
{
	r->p = data;
	r->start = data;
	r->end = data + len;
	r->err = RD_OK;
}

static inline bool
rd_ok(const struct rd *r)
{
	return r->err == RD_OK;
}

static inline size_t
rd_left(const struct rd *r)
{
	return r->err == RD_OK ? (size_t)(r->end - r->p) : 0;
}

static inline size_t
rd_offset(const struct rd *r)
{
	return (size_t)(r->p - r->start);
}

/** Mark the input as lying (a length or count that cannot be). */
static inline void
rd_invalid(struct rd *r)
{
	if (r->err == RD_OK)
		r->err = RD_INVALID;
}

/* Returns true and leaves p alone if n bytes are there; else sets the error. */
static inline bool
rd_need(struct rd *r, size_t n)
{
	if (r->err != RD_OK)
		return false;
	if ((size_t)(r->end - r->p) < n) {
		r->err = RD_TRUNCATED;
		return false;
	}
	return true;
}

static inline uint8_t
rd_u8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return *r->p++;
}

static inline uint16_t
rd_be16(struct rd *r)
{
	uint16_t v;

	if (!rd_need(r, 2))
		return 0;
	v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static inline uint16_t
rd_le16(struct rd *r)
{
	uint16_t v;

	if (!rd_need(r, 2))
		return 0;
	v = (uint16_t)(r->p[1] << 8 | r->p[0]);
	r->p += 2;
	return v;
}

static inline uint32_t
rd_be32(struct rd *r)
{
	uint32_t v;

	if (!rd_need(r, 4))
		return 0;
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return v;
}

static inline uint32_t
rd_le32(struct rd *r)
{
	uint32_t v;

	if (!rd_need(r, 4))
		return 0;
	v = (uint32_t)r->p[3] << 24 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[1] << 8 | r->p[0];
	r->p += 4;
	return v;
}

static inline uint64_t
rd_le64(struct rd *r)
{
	uint64_t lo = rd_le32(r);

	return lo | (uint64_t)rd_le32(r) << 32;
}

/* DCE/RPC chooses the byte order per PDU from its drep; little != 0 is LE. */
static inline uint16_t
rd_u16o(struct rd *r, bool little)
{
	return little ? rd_le16(r) : rd_be16(r);
}

static inline uint32_t
rd_u32o(struct rd *r, bool little)
{
	return little ? rd_le32(r) : rd_be32(r);
}

/** Copy n bytes out; on error the destination is zeroed. */
static inline void
rd_bytes(struct rd *r, void *dst, size_t n)
{
	if (!rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p, n);
	r->p += n;
}

/** Borrow n bytes in place; returns NULL on error. */
static inline const uint8_t *
rd_ptr(struct rd *r, size_t n)
{
	const uint8_t *q;

	if (!rd_need(r, n))
		return NULL;
	q = r->p;
	r->p += n;
	return q;
}

static inline void
rd_skip(struct rd *r, size_t n)
{
	if (rd_need(r, n))
		r->p += n;
}

/**
 * Move to offset `off` from the start (an offset field of the format,
 * such as SMB's DataOffset from the header): forwards or backwards, never
 * past `end`; an offset beyond it sets RD_INVALID, since a field lies.
 */
static inline void
rd_seek(struct rd *r, size_t off)
{
	if (r->err != RD_OK)
		return;
	if ((size_t)(r->end - r->start) < off) {
		r->err = RD_INVALID;
		return;
	}
	r->p = r->start + off;
}

/** Skip to the next multiple of `align` (a power of two) from the start. */
static inline void
rd_align(struct rd *r, size_t align)
{
	size_t off = rd_offset(r);
	size_t pad = (align - (off & (align - 1))) & (align - 1);

	rd_skip(r, pad);
}

/** A sub-reader over the next n bytes; the parent moves past them. */
static inline struct rd
rd_sub(struct rd *r, size_t n)
{
	struct rd s;

	if (!rd_need(r, n)) {
		rd_init(&s, r->p, 0);
		s.err = r->err;
		return s;
	}
	rd_init(&s, r->p, n);
	r->p += n;
	return s;
}

#endif /* SVCMAP_RD_H */
