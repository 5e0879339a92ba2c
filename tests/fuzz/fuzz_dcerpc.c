/*
 * fuzz_dcerpc.c - libFuzzer target for the DCE/RPC parser; linked with
 * tests/fuzz/replay.c it replays the saved inputs as TAP.
 *
 * Input: a sequence of chunks, each a 2-byte header then payload:
 *   h0 bit 0: direction (0 client, 1 server)
 *   h0 bit 1: UDP datagram instead of TCP segment
 *   h0 bit 2: skip h0 >> 3 bytes of TCP sequence first (a gap; with
 *             bit 3 of h1 set the sequence goes back: a retransmission)
 *   h0 bits 1 and 2 both: bytes of a byte stream (dcerpc_stream(), the
 *             entry point SMB pipes use) on a second flow; with bit 3 of
 *             h1 set, a gap in that stream (dcerpc_stream_gap()) first
 *   h1:       payload length (whatever is left if shorter)
 * TCP chunks also go through dcerpc_find_pdu() (the mid-stream probe).
 * One parser sees every chunk; one flow takes the TCP and UDP chunks and
 * another the stream chunks, so state carries across segments the way it
 * does on a real connection or pipe.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/dcerpc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink_bound(void *arg, const uint8_t uuid[16], uint16_t maj, uint16_t min)
{
	(void)arg;
	(void)uuid;
	(void)maj;
	(void)min;
}

static void
sink_endpoint(void *arg, const struct dcerpc_endpoint *ep)
{
	size_t *n = arg;

	*n += ep->port;
}

/* The call's fields are read, so a bad one shows under the sanitizers. */
static void
sink_request(void *arg, const uint8_t uuid[16], uint16_t maj, uint16_t opnum)
{
	size_t *n = arg;

	*n += uuid[0] + maj + opnum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/*
	 * Small bounds, so that inputs within make fuzz's -max_len (8192)
	 * reach every limit: a PDU buffer grows from 1 KiB to max_frag_len,
	 * a reassembly from 4 KiB to max_reassembly (capped: not a power of
	 * two) and then past it.
	 */
	static const struct dcerpc_config cfg = { 2048, 6144 };
	struct dcerpc_parser *p;
	struct dcerpc_flow *f, *sf;
	struct dcerpc_sink sink;
	uint32_t seq[2] = { 0, 0x7ffffff0 };
	size_t n, sum = 0;
	uint8_t h0, h1;
	long off;
	int dir;

	if ((p = dcerpc_parser_create(&cfg)) == NULL)
		return 0;
	f = dcerpc_flow_create(p);
	sf = dcerpc_flow_create(p);
	if (f == NULL || sf == NULL) {
		dcerpc_flow_destroy(f);
		dcerpc_flow_destroy(sf);
		dcerpc_parser_destroy(p);
		return 0;
	}
	sink.arg = &sum;
	sink.bound = sink_bound;
	sink.endpoint = sink_endpoint;
	sink.request = sink_request;
	while (size >= 2) {
		h0 = data[0];
		h1 = data[1];
		data += 2;
		size -= 2;
		n = h1 < size ? h1 : size;
		dir = h0 & 1;
		if ((h0 & 6) == 6) {
			if (h1 & 8)
				dcerpc_stream_gap(p, sf, dir);
			dcerpc_stream(p, sf, dir, data, n, &sink);
		} else if (h0 & 2)
			dcerpc_udp(p, f, dir, data, n, &sink);
		else {
			if (h0 & 4) {
				if (h1 & 8)
					seq[dir] -= (uint32_t)(h0 >> 3);
				else
					seq[dir] += (uint32_t)(h0 >> 3);
			}
			(void)dcerpc_looks_like_bind(data, n);
			/* The mid-stream probe's scan: its offset is read. */
			if ((off = dcerpc_find_pdu(data, n, dir)) >= 0)
				sum += data[off];
			dcerpc_tcp(p, f, dir, seq[dir], data, n, &sink);
			seq[dir] += (uint32_t)n;
		}
		data += n;
		size -= n;
	}
	dcerpc_flow_destroy(f);
	dcerpc_flow_destroy(sf);
	dcerpc_parser_destroy(p);
	return 0;
}
