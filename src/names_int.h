/*
 * names_int.h - helpers the name parsers (src/names_*.c) share.
 */
#ifndef SVCMAP_NAMES_INT_H
#define SVCMAP_NAMES_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "svcmap/names.h"
#include "svcmap/rd.h"

/* Compression pointers followed in one name at most (each must go back). */
#define NAMES_DNS_MAX_HOPS	32

/*
 * Read a DNS-encoded name (RFC 1035 4.1.4) at r, which reads inside the
 * message msg (pointers are offsets from msg->start; msg->end bounds
 * them).  r ends past the name (past its first pointer).  Every pointer
 * must point below the start of the labels read so far, so the walk ends
 * even on a hostile message.
 * @return: 0 with out set (policy-clean), 1 when the name is well framed
 *   but refused by the policy (*why set, out empty), -1 when the framing
 *   lies or is cut (r's error set, *why NAME_REJ_POINTER for a loop).
 */
int	names_dns_name(const struct rd *msg, struct rd *r,
	    char out[NAMES_NAME_MAX + 1], int *why);

/* Count a refused name. */
static inline void
names_count_reject(struct names_stats *st, int why)
{
	if (why >= 0 && why < NAME_REJ__COUNT)
		st->rejected[why]++;
}

/* Count a message that ended in error (truncated or invalid). */
static inline void
names_count_error(struct names_stats *st, enum name_source src,
    const struct rd *r)
{
	if (r->err == RD_TRUNCATED)
		st->truncated[src]++;
	else
		st->invalid[src]++;
}

/* Hand a fact to the sink and count it. */
static inline void
names_emit(const struct names_sink *s, struct names_stats *st,
    const struct name_fact *f)
{
	st->facts[f->source]++;
	if (s != NULL && s->fn != NULL)
		s->fn(s->arg, f);
}

/* A fact template: zeroed, with its source and kind. */
static inline void
names_fact_init(struct name_fact *f, enum name_source src,
    enum name_kind kind)
{
	memset(f, 0, sizeof(*f));
	f->source = (uint8_t)src;
	f->kind = (uint8_t)kind;
}

/*
 * ASN.1 BER/DER, as much as Kerberos and LDAP need: one-byte tags (tag
 * numbers below 31) and definite lengths of at most 4 bytes.  Reads one
 * element header at r and returns a reader over its contents; r moves
 * past the element.  An indefinite or over-long length sets RD_INVALID.
 */
static inline struct rd
ber_elem(struct rd *r, uint8_t *tag)
{
	uint8_t l, n;
	size_t len = 0;

	*tag = rd_u8(r);
	if ((*tag & 0x1f) == 0x1f)
		rd_invalid(r);
	l = rd_u8(r);
	if (l & 0x80) {
		n = l & 0x7f;
		if (n == 0 || n > 4)
			rd_invalid(r);
		while (n-- > 0 && rd_ok(r))
			len = len << 8 | rd_u8(r);
	} else
		len = l;
	return rd_sub(r, len);
}

/*
 * The contents of the element tagged `tag` among the elements of seq
 * (a SEQUENCE's contents), or an empty reader with RD_INVALID set when
 * it is absent or the sequence is malformed.
 */
static inline struct rd
ber_field(struct rd seq, uint8_t tag)
{
	struct rd e;
	uint8_t t;

	while (rd_left(&seq) > 0) {
		e = ber_elem(&seq, &t);
		if (!rd_ok(&seq))
			break;
		if (t == tag)
			return e;
	}
	rd_init(&e, seq.p, 0);
	e.err = seq.err != RD_OK ? seq.err : RD_INVALID;
	return e;
}

#endif /* SVCMAP_NAMES_INT_H */
