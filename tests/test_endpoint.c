/*
 * test_endpoint.c - the learned-endpoint table: learn, refresh, move,
 * several interfaces on one port, expiry, capacity eviction, restore and
 * the dirty walk.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/endpoint.h"
#include "svcmap/transport.h"
#include "tap.h"

#define NETLOGON	"12345678-1234-abcd-ef00-01234567cffb"
#define DRSUAPI		"e3514235-4b06-11d1-ab04-00c04fc2dcd2"
#define LSARPC		"12345778-1234-abcd-ef00-0123456789ab"
#define SEC		1000000ULL

static struct dcerpc_endpoint
ep(const char *uuid, uint16_t port)
{
	struct dcerpc_endpoint e;

	memset(&e, 0, sizeof(e));
	uuid_parse(e.uuid, uuid);
	e.transport = TRANSPORT_TCP;
	e.port = port;
	e.ver_major = 1;
	e.source = EP_SOURCE_EPT_MAP;
	return e;
}

static unsigned visited;

static void
count_visit(void *arg, const struct endpoint_entry *e)
{
	(void)arg;
	(void)e;
	visited++;
}

static void
test_learn_lookup(void)
{
	struct endpoint_table *t = endpoint_table_create(16, 600);
	struct endpoint_entry out[4];
	struct dcerpc_endpoint e;
	struct addr dc, other;
	char u[UUID_STRLEN];

	addr_parse(&dc, "10.0.0.5");
	addr_parse(&other, "10.0.0.6");
	e = ep(NETLOGON, 49668);
	is_int(endpoint_learn(t, &e, &dc, 10 * SEC), 1, "learn: new");
	is_int(endpoint_learn(t, &e, &dc, 20 * SEC), 0, "learn again: refreshed");
	e = ep(DRSUAPI, 49668);
	e.ver_major = 4;
	is_int(endpoint_learn(t, &e, &dc, 30 * SEC), 1,
	    "second interface, same port");
	e = ep(LSARPC, 49668);
	is_int(endpoint_learn(t, &e, &dc, 25 * SEC), 1, "third interface, same port");
	is_int(endpoint_count(t), 3, "three entries");
	ok(endpoint_exists(t, &dc, TRANSPORT_TCP, 49668), "exists at the port");
	ok(!endpoint_exists(t, &other, TRANSPORT_TCP, 49668), "not at another host");
	ok(!endpoint_exists(t, &dc, TRANSPORT_UDP, 49668), "not on UDP");
	is_int(endpoint_lookup(t, &dc, TRANSPORT_TCP, 49668, 40 * SEC, true, out, 2),
	    3, "lookup counts all three interfaces");
	is_str(uuid_fmt(out[0].uuid, u), DRSUAPI, "most recently refreshed first");
	is_str(uuid_fmt(out[1].uuid, u), LSARPC, "then the next");
	is_int(out[0].ver_major, 4, "version kept");
	is_int(endpoint_lookup(t, &dc, TRANSPORT_TCP, 49668, 41 * SEC, false, out, 4),
	    3, "lookup without use");
	is_int(out[2].announcements, 2, "netlogon announced twice");
	is_int(out[2].flows, 1, "one flow attributed");
	is_int(out[2].last_used_us, 40 * SEC, "last use time");
	is_int(out[2].learned_us, 10 * SEC, "first announcement time");
	is_int(out[2].refreshed_us, 20 * SEC, "refresh time");
	endpoint_table_destroy(t);
}

static void
test_move(void)
{
	struct endpoint_table *t = endpoint_table_create(16, 600);
	struct endpoint_entry out[4];
	struct dcerpc_endpoint e;
	struct addr dc;

	addr_parse(&dc, "10.0.0.5");
	/* One reply, two towers for one interface: both stay. */
	e = ep(NETLOGON, 49158);
	endpoint_learn(t, &e, &dc, 10 * SEC);
	e.port = 49155;
	endpoint_learn(t, &e, &dc, 10 * SEC);
	is_int(endpoint_count(t), 2, "two ports from one reply both kept");
	/* A later reply puts it on a new port: the older entry moves. */
	e.port = 49170;
	is_int(endpoint_learn(t, &e, &dc, 100 * SEC), 1, "moved counts as new");
	is_int(endpoint_count(t), 2, "moved, not added");
	is_int(endpoint_lookup(t, &dc, TRANSPORT_TCP, 49170, 100 * SEC, false,
	    out, 4), 1, "found at the new port");
	ok(out[0].moved_from == 49158 || out[0].moved_from == 49155,
	    "moved_from records the old port (%u)", out[0].moved_from);
	is_int(endpoint_lookup(t, &dc, TRANSPORT_TCP, out[0].moved_from,
	    100 * SEC, false, NULL, 0), 0, "gone from the old port");
	/* DCOM exporters share IRemUnknown, each on its own port. */
	e = ep("00000131-0000-0000-c000-000000000046", 49154);
	e.source = EP_SOURCE_DCOM;
	endpoint_learn(t, &e, &dc, 110 * SEC);
	e.port = 49444;
	endpoint_learn(t, &e, &dc, 120 * SEC);
	ok(endpoint_exists(t, &dc, TRANSPORT_TCP, 49154) &&
	    endpoint_exists(t, &dc, TRANSPORT_TCP, 49444),
	    "DCOM endpoints on two ports do not move each other");
	endpoint_table_destroy(t);
}

static void
test_expire_evict(void)
{
	struct endpoint_table *t = endpoint_table_create(3, 60);
	struct dcerpc_endpoint e;
	struct addr dc;

	addr_parse(&dc, "10.0.0.5");
	e = ep(NETLOGON, 1001);
	endpoint_learn(t, &e, &dc, 1 * SEC);
	e.port = 1002;
	e.uuid[15] ^= 1;
	endpoint_learn(t, &e, &dc, 2 * SEC);
	e.port = 1003;
	e.uuid[15] ^= 2;
	endpoint_learn(t, &e, &dc, 3 * SEC);
	/* Using 1001 makes 1002 the least recently touched. */
	endpoint_lookup(t, &dc, TRANSPORT_TCP, 1001, 4 * SEC, true, NULL, 0);
	e.port = 1004;
	e.uuid[15] ^= 4;
	endpoint_learn(t, &e, &dc, 5 * SEC);
	is_int(endpoint_count(t), 3, "capacity holds");
	is_int(endpoint_evictions(t), 1, "one eviction counted");
	ok(!endpoint_exists(t, &dc, TRANSPORT_TCP, 1002),
	    "least recently used dropped");
	ok(endpoint_exists(t, &dc, TRANSPORT_TCP, 1001), "used entry kept");
	is_int(endpoint_expire(t, 63 * SEC), 1, "expiry: 1003 idle 60 s");
	is_int(endpoint_expire(t, 63 * SEC), 0, "expiry is idempotent");
	is_int(endpoint_expire(t, 65 * SEC), 2, "the rest expire later");
	is_int(endpoint_count(t), 0, "table empty");
	endpoint_table_destroy(t);
}

static void
test_restore_dirty(void)
{
	struct endpoint_table *t = endpoint_table_create(8, 600);
	struct endpoint_entry r, out[2];
	struct dcerpc_endpoint e;
	struct addr dc;

	addr_parse(&dc, "10.0.0.5");
	memset(&r, 0, sizeof(r));
	r.ip = dc;
	r.transport = TRANSPORT_TCP;
	r.port = 49667;
	uuid_parse(r.uuid, DRSUAPI);
	r.ver_major = 4;
	r.learned_us = 5 * SEC;
	r.refreshed_us = 7 * SEC;
	r.announcements = 9;
	r.dirty = true;
	is_int(endpoint_restore(t, &r), 0, "restore");
	is_int(endpoint_lookup(t, &dc, TRANSPORT_TCP, 49667, 8 * SEC, false,
	    out, 2), 1, "restored entry found");
	is_int(out[0].announcements, 9, "restored counters kept");
	ok(!out[0].dirty, "restored entry is clean");
	e = ep(NETLOGON, 49668);
	endpoint_learn(t, &e, &dc, 10 * SEC);
	visited = 0;
	endpoint_foreach(t, true, count_visit, NULL);
	is_int(visited, 1, "dirty walk: only the learned entry");
	visited = 0;
	endpoint_foreach(t, true, count_visit, NULL);
	is_int(visited, 0, "dirty marks cleared");
	visited = 0;
	endpoint_foreach(t, false, count_visit, NULL);
	is_int(visited, 2, "full walk");
	e.port = 0;
	is_int(endpoint_learn(t, &e, &dc, 11 * SEC), -1, "port 0 refused");
	endpoint_table_destroy(t);
}

int
main(void)
{
	test_learn_lookup();
	test_move();
	test_expire_evict();
	test_restore_dirty();
	return tap_done();
}
