/*
 * tcpseq.h - in-order delivery of one TCP direction's payload, for the
 * stream parsers that sit behind an analyzer (DCE/RPC, SMB).
 *
 * The capture gives segments as they crossed the wire: retransmissions
 * repeat bytes, losses skip them.  tcpseq_trim() keeps the next expected
 * sequence number of a direction, trims what was already delivered and
 * reports a jump ahead as a gap, so that the parser behind sees every
 * byte at most once and in order and knows where bytes are missing.
 * Out-of-order segments are not buffered: a late segment reads as a
 * retransmission of bytes the gap already skipped.  Header-only; no
 * allocation; one struct per direction.
 */
#ifndef SVCMAP_TCPSEQ_H
#define SVCMAP_TCPSEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcpseq {
	uint32_t	next;	/* sequence number of the next new byte */
	bool		known;	/* next is valid (a segment was seen) */
};

/**
 * Trim a segment (seq, *data, *len) to its new bytes.
 * @param gap: set to the bytes missing before them (0: none).
 * @return: false when the segment has nothing new (a retransmission or
 *   no payload); *data and *len are then unchanged and meaningless.
 */
static inline bool
tcpseq_trim(struct tcpseq *s, uint32_t seq, const uint8_t **data,
    size_t *len, uint32_t *gap)
{
	int32_t delta;
	uint32_t back;

	*gap = 0;
	if (*len == 0)
		return false;
	if (!s->known) {
		s->known = true;
		s->next = seq;
	}
	/* Serial-number arithmetic: behind is a retransmission, ahead a gap. */
	delta = (int32_t)(seq - s->next);
	if (delta < 0) {
		back = (uint32_t)-(int64_t)delta;
		if (back >= *len)
			return false;
		*data += back;
		*len -= back;
		seq = s->next;
	} else if (delta > 0)
		*gap = (uint32_t)delta;
	s->next = seq + (uint32_t)*len;
	return true;
}

#endif /* SVCMAP_TCPSEQ_H */
