/*
 * test_stats.c - the statistics batch: rows, client dedup, merge, clear.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/stats.c"
#include "svcmap/flow.h"
#include "tap.h"

static void
make_key(struct stats_key *k, const char *service, int host, uint16_t port,
    int64_t bucket)
{
	uint8_t v4[4] = { 10, 0, (uint8_t)(host >> 8), (uint8_t)host };

	/* Garbage in padding and the string tail must not matter. */
	memset(k, 0xa5, sizeof(*k));
	strcpy(k->service, service);
	addr_from_v4(&k->server, v4);
	k->port = port;
	k->vlan = 0;
	k->transport = 6;
	k->method = 1;
	k->bucket = bucket;
}

static void
test_names(void)
{
	is_str(packet_class_name(PKT_CLASSIFIED), "classified",
	    "class name classified");
	is_str(packet_class_name(PKT_NON_IP), "non_ip", "class name non_ip");
	is_str(packet_class_name(PKT_MALFORMED), "malformed",
	    "class name malformed");
	is_str(packet_class_name(PKT__COUNT), "unknown",
	    "class name out of range");
}

static void
test_rows(void)
{
	struct stats_batch *b = stats_batch_create();
	struct stats_key k;
	struct stats_row *r;
	const struct stats_row *rows;
	uint64_t sum = 0;
	size_t i, n = 5000, bad = 0;
	void *before;

	ok(b != NULL, "batch created");
	/* 5000 distinct rows, each hit 3 times with a different key copy. */
	for (int pass = 0; pass < 3; pass++)
		for (i = 0; i < n; i++) {
			make_key(&k, i % 2 ? "kdc" : "lsass", (int)(i % 1000),
			    (uint16_t)(88 + i / 1000), 1700000000 + 60 *
			    (int64_t)(i % 3));
			if ((r = stats_batch_row(b, &k)) == NULL) {
				bad++;
				continue;
			}
			r->pkts[FLOW_C2S] += 1;
			r->bytes[FLOW_S2C] += 100;
		}
	is_int(bad, 0, "no allocation failure over 15000 lookups");
	is_int(stats_batch_nrows(b), n, "5000 distinct keys give 5000 rows");
	rows = stats_batch_rows(b);
	for (i = 0; i < stats_batch_nrows(b); i++) {
		sum += rows[i].pkts[FLOW_C2S];
		if (rows[i].pkts[FLOW_C2S] != 3)
			bad++;
	}
	is_int(sum, 3 * n, "every hit counted once");
	is_int(bad, 0, "each row hit exactly three times");

	make_key(&k, "kdc", 1, 88, 1700000000);
	k.vlan = 7;
	ok(stats_batch_row(b, &k) != NULL && stats_batch_nrows(b) == n + 1,
	    "another VLAN is another row");

	/* Clear keeps the memory: the same rows come back in place. */
	before = b->rows.items;
	stats_batch_clear(b);
	is_int(stats_batch_nrows(b), 0, "clear empties the rows");
	make_key(&k, "kdc", 1, 88, 1700000000);
	r = stats_batch_row(b, &k);
	ok(r != NULL && r->pkts[FLOW_C2S] == 0 && r->flows == 0,
	    "row after clear starts at zero");
	ok(b->rows.items == before, "clear keeps the row array");
	stats_batch_destroy(b);
}

static void
test_clients(void)
{
	struct stats_batch *b = stats_batch_create();
	struct stats_client c;
	const struct stats_client *cl;
	uint8_t s4[4] = { 10, 0, 0, 1 }, c4[4] = { 10, 0, 1, 0 };
	int i;

	memset(&c, 0x5a, sizeof(c));
	strcpy(c.service, "kdc");
	addr_from_v4(&c.server, s4);
	c.port = 88;
	c.vlan = 0;
	c.transport = 6;
	for (i = 0; i < 100; i++) {
		c4[3] = (uint8_t)(i % 10);
		addr_from_v4(&c.client, c4);
		c.first_s = 1000 + i;
		c.last_s = 2000 + i;
		if (stats_batch_client(b, &c) == -1)
			break;
	}
	is_int(stats_batch_nclients(b), 10, "100 sightings of 10 clients "
	    "dedup to 10");
	cl = stats_batch_clients(b);
	ok(cl[0].first_s == 1000 && cl[0].last_s == 2090,
	    "dedup keeps earliest first and latest last");
	c.port = 464;
	stats_batch_client(b, &c);
	is_int(stats_batch_nclients(b), 11, "another port is another client row");
	stats_batch_destroy(b);
}

static void
test_merge(void)
{
	struct stats_batch *a = stats_batch_create(), *b = stats_batch_create();
	struct stats_key k;
	struct stats_row *r;
	struct stats_client c;
	const struct stats_row *rows;
	size_t i;

	make_key(&k, "kdc", 1, 88, 60);
	r = stats_batch_row(a, &k);
	r->flows = 2;
	r->pkts[0] = 10;
	r->first_s = 70;
	r->last_s = 80;
	strcpy(r->protocol, "Kerberos");

	r = stats_batch_row(b, &k);
	r->flows = 1;
	r->pkts[0] = 5;
	r->bytes[1] = 500;
	r->first_s = 65;
	r->last_s = 75;
	make_key(&k, "dns", 2, 53, 60);
	r = stats_batch_row(b, &k);
	r->flows = 4;
	strcpy(r->interface, "x");
	memset(&c, 0, sizeof(c));
	strcpy(c.service, "dns");
	c.first_s = 1;
	c.last_s = 2;
	stats_batch_client(b, &c);

	ok(stats_batch_merge(a, b) == 0, "merge succeeds");
	is_int(stats_batch_nrows(b), 0, "merge empties the source rows");
	is_int(stats_batch_nclients(b), 0, "merge empties the source clients");
	is_int(stats_batch_nrows(a), 2, "merged batch has the union of rows");
	is_int(stats_batch_nclients(a), 1, "merged batch has the client");
	rows = stats_batch_rows(a);
	for (i = 0; i < stats_batch_nrows(a); i++)
		if (strcmp(rows[i].key.service, "kdc") == 0)
			break;
	ok(i < stats_batch_nrows(a), "kdc row present after merge");
	if (i < stats_batch_nrows(a)) {
		is_int(rows[i].flows, 3, "merged flows add up");
		is_int(rows[i].pkts[0], 15, "merged packets add up");
		is_int(rows[i].bytes[1], 500, "merged bytes add up");
		is_int(rows[i].first_s, 65, "merged first is the earliest");
		is_int(rows[i].last_s, 80, "merged last is the latest");
		is_str(rows[i].protocol, "Kerberos",
		    "an empty protocol does not erase a known one");
	}
	stats_batch_destroy(a);
	stats_batch_destroy(b);
}

int
main(void)
{
	test_names();
	test_rows();
	test_clients();
	test_merge();
	return tap_done();
}
