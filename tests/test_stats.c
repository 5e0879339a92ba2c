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

/* Every index slot is empty: what clear must leave, whichever way it ran. */
static bool
index_empty(const struct table *t)
{
	size_t i;

	for (i = 0; i < t->nslots; i++)
		if (t->slots[i] != INDEX_EMPTY)
			return false;
	return true;
}

static void
test_clear(void)
{
	struct stats_batch *b = stats_batch_create();
	struct stats_key k;
	size_t i, nslots;
	int bad = 0;

	/* A burst grows the index for good... */
	for (i = 0; i < 3000; i++) {
		make_key(&k, "lsass", (int)i, 389, 60);
		if (stats_batch_row(b, &k) == NULL)
			bad++;
	}
	nslots = b->rows.nslots;
	ok(bad == 0 && nslots >= 6000, "clear: a burst of 3000 rows grows "
	    "the index to %zu slots", nslots);
	stats_batch_clear(b);
	ok(index_empty(&b->rows) && stats_batch_nrows(b) == 0,
	    "clear: the burst's index is empty (memset)");
	/* ...then a flush of a few rows empties only the slots it used. */
	for (i = 0; i < 10; i++) {
		make_key(&k, "kdc", (int)i, 88, 120);
		stats_batch_row(b, &k);
	}
	stats_batch_clear(b);
	ok(index_empty(&b->rows) && b->rows.nslots == nslots,
	    "clear: ten rows in a large index leave it empty (by hash)");
	for (i = 0; i < 10; i++) {
		make_key(&k, "kdc", (int)i, 88, 120);
		stats_batch_row(b, &k);
	}
	make_key(&k, "kdc", 3, 88, 120);
	stats_batch_row(b, &k);
	is_int(stats_batch_nrows(b), 10,
	    "clear: the same keys come back as ten rows, found again");
	stats_batch_destroy(b);
}

static void
test_hosts(void)
{
	struct stats_batch *b = stats_batch_create();
	const struct stats_host *h;
	struct stats_key k;
	struct stats_row *r;
	size_t n = 99;
	/* host, port, first_s, last_s */
	static const int64_t rows[][4] = {
		{ 7, 88, 100, 110 }, { 5, 53, 105, 130 }, { 7, 464, 90, 105 },
		{ 7, 389, 95, 140 }, { 9, 445, 0, 0 }, { 5, 53, 101, 102 },
	};
	size_t i;

	ok(stats_batch_hosts(b, &h, &n) == 0 && n == 0,
	    "hosts: an empty batch has none");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* The last row has its own bucket: another row, same key. */
		make_key(&k, "svc", (int)rows[i][0], (uint16_t)rows[i][1],
		    i == 5 ? 120 : 60);
		r = stats_batch_row(b, &k);
		r->first_s = rows[i][2];
		r->last_s = rows[i][3];
	}
	ok(stats_batch_hosts(b, &h, &n) == 0 && n == 3,
	    "hosts: six rows of three servers give three hosts");
	if (n == 3) {
		ok(h[0].server.b[15] == 7 && h[1].server.b[15] == 5 &&
		    h[2].server.b[15] == 9, "hosts: in order of first row");
		ok(h[0].first_s == 90 && h[0].last_s == 140,
		    "hosts: earliest first and latest last of three rows");
		ok(h[1].first_s == 101 && h[1].last_s == 130,
		    "hosts: across buckets too");
		ok(h[2].first_s == 0, "hosts: a first_s of 0 is a plain "
		    "minimum, as the database's min() takes it");
	}
	stats_batch_clear(b);
	make_key(&k, "svc", 5, 53, 60);
	r = stats_batch_row(b, &k);
	r->first_s = 200;
	r->last_s = 210;
	ok(stats_batch_hosts(b, &h, &n) == 0 && n == 1 && h[0].first_s == 200,
	    "hosts: rebuilt from the rows after a clear");
	stats_batch_destroy(b);
}

/* The counter registry: stored names unique and plain, offsets real. */
static void
test_registry(void)
{
	struct run_totals t;
	size_t i, k, bad = 0;

	for (i = 0; i < counter_ndefs; i++) {
		const struct counter_def *d = &counter_defs[i];

		if (strspn(d->name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(d->name) || d->key == NULL || d->help == NULL ||
		    d->unit == NULL || strncmp(d->metric, "svcmap_", 7) != 0 ||
		    d->offset + sizeof(uint64_t) > sizeof(t) ||
		    counter_find(d->name) != d)
			bad++;
		for (k = 0; k < i; k++)
			if (strcmp(counter_defs[k].name, d->name) == 0 ||
			    strcmp(counter_defs[k].key, d->key) == 0 ||
			    counter_defs[k].offset == d->offset)
				bad++;
	}
	is_int(bad, 0, "%zu registered counters: names, keys and fields "
	    "distinct", counter_ndefs);
	memset(&t, 0, sizeof(t));
	counter_set(&t, counter_find("rpc_gaps"), 42);
	is_int(t.rpc_gaps, 42, "counter_set() writes its field");
	is_int(counter_get(&t, counter_find("rpc_gaps")), 42,
	    "counter_get() reads it");
	ok(counter_find("no_such_counter") == NULL, "unknown name: NULL");
}

int
main(void)
{
	test_registry();
	test_names();
	test_rows();
	test_clients();
	test_merge();
	test_clear();
	test_hosts();
	return tap_done();
}
