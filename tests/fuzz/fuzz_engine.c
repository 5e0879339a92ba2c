/*
 * fuzz_engine.c - libFuzzer target for the whole per-packet pipeline:
 * engine_packet() over a stream of frames (decode, flow table and its
 * eviction, IP fragments, nDPI, DCE/RPC reassembly and EPM learning,
 * classification, endpoint learning and expiry, alerts, the clock rule)
 * and engine_drain() (statistics rows, flow ends); linked with
 * tests/fuzz/replay.c it replays the saved inputs as TAP.
 *
 * Input: byte 0 picks the link type of the stream (fuzz_decode's table),
 * then records of a 3-byte header and a frame:
 *   t:      time step before the frame: 0..250 move the clock on by
 *           t * 10 ms; 251 by 61 s (past the UDP idle timeout), 252 by
 *           301 s (past TCP's), 253 by 2 hours (a jump the clock rule
 *           holds), 254 back 2 s (out of order); 255 stamps this one
 *           frame 0xFFFFFFFF s (a lone bad record) and leaves the time.
 *   len:    2 bytes, big-endian, the frame's length (what is left if
 *           less), at most MAX_FRAME.
 * Every DRAIN_EVERY frames and after each long step the engine drains,
 * as a flush would; at the end every flow is ended and drained.
 *
 * One engine, endpoint table and alert module serve every input (small
 * tables, so eviction and expiry are within reach): creating an engine
 * initialises nDPI, which costs more than running most inputs.  So that
 * an input meets no state of the one before, each starts a day after the
 * clock of the last (learned endpoints expire after a minute, and every
 * flow was ended).
 */
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/alert.h"
#include "svcmap/capture.h"
#include "svcmap/catalog.h"
#include "svcmap/config.h"
#include "svcmap/endpoint.h"
#include "svcmap/engine.h"
#include "svcmap/stats.h"
#include "../../src/datadir.h"

#define MAX_FRAME	4096
#define DRAIN_EVERY	64
#define T0_US		1700000000000000ULL	/* 2023-11-14, packet time */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
	101,		/* LINKTYPE_RAW, as capture files write it */
	DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP,
	DLT_IEEE802_11	/* unsupported: counted, never decoded */
};
#define NLINKTYPES (sizeof(linktypes) / sizeof(linktypes[0]))

static struct catalog *cat;
static struct config cfg;
static struct endpoint_table *eps;
static struct engine *e;
static struct alerts *al;

/* The settings: defaults, with the smallest tables the bounds allow. */
static int
setup(void)
{
	static const char *const set[][2] = {
		{ "flow-capacity", "1024" },
		{ "endpoint-capacity", "16" },
		{ "endpoint-expiry", "1m" },
		{ "rpc-max-fragment", "2k" },
		{ "rpc-max-reassembly", "64k" },
		{ "alert-learning-period", "0" },
		{ "local-catalog", "" },
	};
	char err[512];
	size_t i;

	config_defaults(&cfg);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (config_set(&cfg, set[i][0], set[i][1], "fuzz", err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "fuzz_engine: %s\n", err);
			return -1;
		}
	if ((cat = catalog_open(datadir_resolve(NULL), "", err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_engine: catalog: %s\n", err);
		return -1;
	}
	if ((eps = endpoint_table_create(cfg.endpoint_capacity,
	    cfg.endpoint_expiry_s)) == NULL ||
	    (e = engine_create(&cfg, cat, eps, err, sizeof(err))) == NULL ||
	    (al = alert_create(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_engine: %s\n", err);
		return -1;
	}
	engine_set_alerts(e, al);
	return 0;
}

static void
drain(bool end)
{
	engine_drain(e, end);
	/* What a flush hands over; the rows were built, that is the test. */
	stats_batch_clear(engine_batch(e));
	alert_batch_clear(alert_batch(al));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct captured c;
	uint64_t now;
	uint8_t *frame;
	size_t pos, len, n = 0;
	uint8_t t;

	if (ready == 0)
		ready = setup() == 0 ? 1 : -1;
	if (ready != 1 || size < 1)
		return 0;
	now = (engine_now(e) > T0_US ? engine_now(e) : T0_US) +
	    86400000000ULL;

	memset(&c, 0, sizeof(c));
	c.linktype = linktypes[data[0] % NLINKTYPES];
	for (pos = 1; pos + 3 <= size; pos += len) {
		t = data[pos];
		len = (size_t)data[pos + 1] << 8 | data[pos + 2];
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (len > MAX_FRAME)
			len = MAX_FRAME;
		if (t <= 250)
			now += (uint64_t)t * 10000;
		else if (t == 251)
			now += 61000000;
		else if (t == 252)
			now += 301000000;
		else if (t == 253)
			now += 7200000000ULL;
		else if (t == 254)
			now -= 2000000;
		c.ts_us = t == 255 ? 0xFFFFFFFFULL * 1000000 : now;
		/* A copy of exactly the frame's size, so ASan sees over-reads. */
		if ((frame = malloc(len ? len : 1)) == NULL)
			break;
		memcpy(frame, data + pos, len);
		c.data = frame;
		c.caplen = (uint32_t)len;
		c.wirelen = (uint32_t)len + (t & 1) * 100;
		engine_packet(e, &c);
		free(frame);
		if (++n % DRAIN_EVERY == 0 || (t >= 251 && t <= 253))
			drain(false);
	}
	drain(true);
	return 0;
}
