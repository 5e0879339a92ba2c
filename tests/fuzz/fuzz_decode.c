/*
 * fuzz_decode.c - libFuzzer target for decode_packet().
 *
 * Input: one byte choosing the link type (modulo the table below, which
 * holds every link type decode.c knows and one it does not), then the
 * frame.  Beyond "no crash", the target checks what the flow layer relies
 * on: the result agrees with the reason, and every pointer and length it
 * hands on stays inside the captured bytes.
 */
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/decode.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
	101,		/* LINKTYPE_RAW, as capture files write it */
	DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP,
	DLT_IEEE802_11	/* unsupported: must be counted, not decoded */
};
#define NLINKTYPES (sizeof(linktypes) / sizeof(linktypes[0]))

/* True if [p, p + len) lies inside [base, base + size). */
static int
inside(const uint8_t *base, size_t size, const uint8_t *p, uint32_t len)
{
	return p >= base && (size_t)(p - base) <= size &&
	    len <= size - (size_t)(p - base);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum decode_reason reason;
	enum decode_result res;
	struct packet pkt = { 0 };
	uint8_t *frame;
	int lt;

	if (size < 1 || size > 65536)
		return 0;
	lt = linktypes[data[0] % NLINKTYPES];
	size--;
	/* A copy of exactly the frame's size, so ASan sees any over-read. */
	if ((frame = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(frame, data + 1, size);
	pkt.cap_len = (uint32_t)size;
	pkt.wire_len = (uint32_t)size;
	res = decode_packet(lt, frame, (uint32_t)size, &pkt, &reason);
	if (reason >= DR__COUNT || decode_reason_result(reason) != res ||
	    decode_reason_name(reason) == NULL)
		abort();
	if (!decode_linktype_supported(lt) && res != DECODE_NOT_IP)
		abort();
	if (res == DECODE_OK) {
		if (pkt.ip_version != 4 && pkt.ip_version != 6)
			abort();
		if (!inside(frame, size, pkt.l3, pkt.l3_len))
			abort();
		if (pkt.payload_len > 0 &&
		    !inside(frame, size, pkt.payload, pkt.payload_len))
			abort();
	}
	free(frame);
	return 0;
}
