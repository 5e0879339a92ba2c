/*
 * test_opstats.c - the RPC operations table: calls add up per key,
 * clients are deduplicated, the bound holds and what it drops is counted,
 * merge and clear.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/opstats.c"
#include "tap.h"

static void
make_key(struct op_key *k, int host, uint16_t opnum)
{
	uint8_t v4[4] = { 10, 0, (uint8_t)(host >> 8), (uint8_t)host };

	/* Garbage in padding must not matter. */
	memset(k, 0xa5, sizeof(*k));
	addr_from_v4(&k->server, v4);
	k->port = 445;
	k->transport = 6;
	k->opnum = opnum;
	memset(k->uuid, 0x36, sizeof(k->uuid));
}

static void
make_client(struct addr *a, int n)
{
	uint8_t v4[4] = { 192, 168, (uint8_t)(n >> 8), (uint8_t)n };

	addr_from_v4(a, v4);
}

/* The row of key in b, or NULL. */
static const struct op_row *
find(const struct op_batch *b, const struct op_key *k)
{
	size_t i;

	for (i = 0; i < op_batch_nrows(b); i++)
		if (key_eq(&op_batch_rows(b)[i].key, k))
			return &op_batch_rows(b)[i];
	return NULL;
}

static void
test_calls(void)
{
	struct op_batch *b = op_batch_create(16);
	const struct op_row *r;
	struct op_key k;
	struct addr c;

	ok(op_batch_create(0) == NULL, "capacity 0 is refused");
	ok(b != NULL, "batch created");
	make_key(&k, 1, 12);
	make_client(&c, 1);
	ok(op_batch_call(b, &k, 2, &c, 100), "first call");
	make_key(&k, 1, 12);	/* fresh padding garbage, same key */
	ok(op_batch_call(b, &k, 2, &c, 90), "same call again (earlier time)");
	make_client(&c, 2);
	ok(op_batch_call(b, &k, 2, &c, 120), "same call, another client");
	make_key(&k, 1, 15);
	ok(op_batch_call(b, &k, 2, &c, 130), "another opnum");
	is_int(op_batch_nrows(b), 2, "two operations");
	is_int(op_batch_nclients(b), 3, "three (operation, client) pairs");
	make_key(&k, 1, 12);
	r = find(b, &k);
	ok(r != NULL, "opnum 12 row");
	is_int(r->calls, 3, "opnum 12: three calls");
	is_int(r->first_s, 90, "first_s is the earliest");
	is_int(r->last_s, 120, "last_s is the latest");
	is_int(op_batch_dropped_calls(b), 0, "nothing dropped");
	op_batch_clear(b);
	is_int(op_batch_nrows(b), 0, "clear empties rows");
	is_int(op_batch_nclients(b), 0, "clear empties clients");
	op_batch_destroy(b);
}

static void
test_bound(void)
{
	struct op_batch *b = op_batch_create(100);
	struct op_key k;
	struct addr c;
	size_t i, accepted = 0;

	make_client(&c, 7);
	/* 150 distinct operations, twice each: 50 keys do not fit. */
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < 150; i++) {
			make_key(&k, (int)(i % 10), (uint16_t)i);
			accepted += op_batch_call(b, &k, 1, &c, 1000);
		}
	is_int(op_batch_nrows(b), 100, "the table holds its capacity");
	is_int(accepted, 200, "calls of the rows that fit are counted");
	is_int(op_batch_dropped_calls(b), 100, "the other calls are counted "
	    "as dropped");
	/* Clients: 100 rows, a second client each fills the pairs. */
	make_client(&c, 8);
	for (i = 0; i < 100; i++) {
		make_key(&k, (int)(i % 10), (uint16_t)i);
		op_batch_call(b, &k, 1, &c, 1001);
	}
	is_int(op_batch_nclients(b), 100, "client pairs are bounded too");
	is_int(op_batch_dropped_clients(b), 100, "pairs that did not fit are "
	    "counted");
	make_key(&k, 0, 0);
	is_int(find(b, &k)->calls, 3, "their calls still count");
	op_batch_clear(b);
	is_int(op_batch_dropped_calls(b), 100, "drop counts outlive a clear");
	make_key(&k, 0, 149);
	ok(op_batch_call(b, &k, 1, &c, 1002), "room again after a clear");
	op_batch_destroy(b);
}

static void
test_merge(void)
{
	struct op_batch *a = op_batch_create(8), *b = op_batch_create(8);
	const struct op_row *r;
	struct op_key k;
	struct addr c;
	int i;

	make_client(&c, 1);
	make_key(&k, 3, 0);
	op_batch_call(a, &k, 1, &c, 50);
	make_key(&k, 1, 0);
	op_batch_call(a, &k, 1, &c, 50);
	op_batch_call(b, &k, 1, &c, 40);
	make_client(&c, 2);
	op_batch_call(b, &k, 1, &c, 60);
	for (i = 1; i <= 7; i++) {
		make_key(&k, 2, (uint16_t)i);
		op_batch_call(b, &k, 1, &c, 70);
	}
	/* b: 8 rows, 9 client pairs of which 8 fit. */
	is_int(op_batch_nrows(b), 8, "b is full");
	is_int(op_batch_dropped_clients(b), 1, "b dropped one client pair");
	op_batch_merge(a, b);
	is_int(op_batch_nrows(b), 0, "merge empties src");
	is_int(op_batch_nrows(a), 8, "dst holds its capacity");
	make_key(&k, 1, 0);
	r = find(a, &k);
	is_int(r->calls, 3, "calls add up");
	is_int(r->first_s, 40, "first_s widens");
	is_int(r->last_s, 60, "last_s widens");
	is_int(op_batch_dropped_calls(a), 1, "a row of src that did not fit "
	    "is counted in dst");
	is_int(op_batch_nclients(a), 8, "client pairs deduplicated, bounded");
	is_int(op_batch_dropped_clients(a), 1, "the pair that did not fit "
	    "is counted in dst");
	op_batch_destroy(a);
	op_batch_destroy(b);
}

int
main(void)
{
	test_calls();
	test_bound();
	test_merge();
	return tap_done();
}
