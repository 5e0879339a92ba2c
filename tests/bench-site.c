/*
 * bench-site: the database a day of a simulated site adds, written
 * through the real writer (store_flush(), store_prune()), for
 * docs/benchmark.md (issue 14 item 7).
 *
 * The site has `hosts` addresses in 10.0.0.0/16 (default 5,000): 10
 * domain controllers, 40 member servers, the rest workstations.  One
 * flush per minute of a simulated day (1,440 flushes; svcmapd flushes
 * every 10 s, but rows are per 1-minute bucket, so more flushes only add
 * to the same rows).  In every minute:
 *  - each domain controller serves 10 rows (kdc tcp/udp 88, ldap tcp/udp
 *    389, 636, 3268, dns udp/tcp 53, 445, 135) and each member server 5
 *    (445, 135, 80, 1433, 8530), every minute;
 *  - each workstation serves 445 and 135 (administration, inventory) in
 *    10% of the minutes;
 *  - the clients: every workstation uses its two domain controllers'
 *    rows and five member-server rows, and each workstation's own rows
 *    have three administration hosts as clients;
 *  - outbound use: each workstation reaches 443, 80 and 53/udp outside,
 *    and the site reaches 20,000 distinct outside servers per port a day.
 * Clients and outbound rows carry no time bucket: a day adds one row per
 * distinct pair whatever the number of flushes that saw it, so they are
 * written once an hour (every pair, the outside servers a 24th each
 * hour), which keeps the run short and changes no row count.  The
 * choice of service rows is a fixed function of (minute, host), so the
 * output depends on the arguments only.  Names, endpoints, RPC operations and
 * alerts are left out: they are bounded by their own capacities.
 *
 * It prints, per table, the rows and bytes (dbstat) after the day at
 * minute resolution, then after rolling that day up into hours, then into
 * a day, which is what retention keeps after 7 days, after 90 and until
 * retention-days.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "svcmap/addr.h"
#include "svcmap/flow.h"
#include "svcmap/stats.h"
#include "svcmap/store.h"
#include "svcmap/transport.h"

#define DAY0	1700006400	/* 2023-11-15T00:00:00Z */
#define NDC	10
#define NMEMBER	40
#define NOUTSIDE 20000

static struct addr
host_addr(unsigned i)
{
	struct addr a;
	char buf[32];

	snprintf(buf, sizeof(buf), "10.0.%u.%u", i / 250, i % 250 + 1);
	if (addr_parse(&a, buf) == -1)
		abort();
	return a;
}

static struct addr
outside_addr(unsigned i)
{
	struct addr a;
	char buf[32];

	snprintf(buf, sizeof(buf), "%u.%u.%u.1", 20 + i / 65536,
	    i / 256 % 256, i % 256);
	if (addr_parse(&a, buf) == -1)
		abort();
	return a;
}

/* A fixed pseudo-random choice: true in `pct` percent of (m, h, k). */
static int
chance(unsigned m, unsigned h, unsigned k, unsigned pct)
{
	uint32_t x = m * 2654435761u ^ h * 40503u ^ k * 97u;

	x ^= x >> 15;
	x *= 0x2c1b3c6dU;
	x ^= x >> 12;
	return x % 100 < pct;
}

static void
row(struct stats_batch *b, const char *svc, const struct addr *srv,
    uint16_t port, uint8_t tr, int64_t t, uint64_t pkts)
{
	struct stats_key k;
	struct stats_row *r;

	memset(&k, 0, sizeof(k));
	snprintf(k.service, sizeof(k.service), "%s", svc);
	k.server = *srv;
	k.port = port;
	k.transport = tr;
	k.method = METHOD_PORT;
	k.bucket = t - t % 60;
	if ((r = stats_batch_row(b, &k)) == NULL)
		abort();
	r->flows += 1;
	r->pkts[0] += pkts;
	r->pkts[1] += pkts;
	r->bytes[0] += pkts * 200;
	r->bytes[1] += pkts * 600;
	r->first_s = r->first_s == 0 ? t : r->first_s;
	r->last_s = t;
	snprintf(r->protocol, sizeof(r->protocol), "%s", svc);
}

static void
client(struct stats_batch *b, const char *svc, const struct addr *srv,
    uint16_t port, uint8_t tr, const struct addr *cl, int64_t t)
{
	struct stats_client c;

	memset(&c, 0, sizeof(c));
	snprintf(c.service, sizeof(c.service), "%s", svc);
	c.server = *srv;
	c.port = port;
	c.transport = tr;
	c.client = *cl;
	c.first_s = c.last_s = t;
	if (stats_batch_client(b, &c) == -1)
		abort();
}

static void
outbound(struct stats_batch *b, enum stats_out_table w,
    const struct addr *peer, uint16_t port, uint8_t tr, int64_t t)
{
	struct stats_outbound add, *o;

	memset(&add, 0, sizeof(add));
	add.flows = 1;
	add.pkts[0] = add.pkts[1] = 10;
	add.bytes[0] = 2000;
	add.bytes[1] = 20000;
	add.first_s = add.last_s = t;
	if ((o = stats_batch_outbound(b, w, peer, tr, port)) == NULL)
		abort();
	stats_outbound_add(o, &add);
}

static const struct {
	const char *svc;
	uint16_t port;
	uint8_t tr;
} dc_rows[] = {
	{ "kdc", 88, TRANSPORT_TCP }, { "kdc", 88, TRANSPORT_UDP },
	{ "ntds", 389, TRANSPORT_TCP }, { "ntds", 389, TRANSPORT_UDP },
	{ "ntds", 636, TRANSPORT_TCP }, { "ntds", 3268, TRANSPORT_TCP },
	{ "dns", 53, TRANSPORT_UDP }, { "dns", 53, TRANSPORT_TCP },
	{ "server", 445, TRANSPORT_TCP }, { "rpcss", 135, TRANSPORT_TCP },
}, member_rows[] = {
	{ "server", 445, TRANSPORT_TCP }, { "rpcss", 135, TRANSPORT_TCP },
	{ "w3svc", 80, TRANSPORT_TCP }, { "mssqlserver", 1433, TRANSPORT_TCP },
	{ "wsusservice", 8530, TRANSPORT_TCP },
}, out_ports[] = {
	{ "", 443, TRANSPORT_TCP }, { "", 80, TRANSPORT_TCP },
	{ "", 53, TRANSPORT_UDP },
};
#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void
minute(struct stats_batch *b, unsigned hosts, unsigned m)
{
	int64_t t = DAY0 + (int64_t)m * 60;
	struct addr srv, cl, admin;
	unsigned h, i, d, k;

	for (h = 0; h < hosts; h++) {
		srv = host_addr(h);
		if (h < NDC) {
			for (i = 0; i < N(dc_rows); i++)
				row(b, dc_rows[i].svc, &srv, dc_rows[i].port,
				    dc_rows[i].tr, t, 20);
		} else if (h < NDC + NMEMBER) {
			for (i = 0; i < N(member_rows); i++)
				row(b, member_rows[i].svc, &srv,
				    member_rows[i].port, member_rows[i].tr, t,
				    20);
		} else if (chance(m, h, 1, 10)) {
			for (i = 0; i < 2; i++) {
				row(b, member_rows[i].svc, &srv,
				    member_rows[i].port, member_rows[i].tr, t,
				    5);
				for (k = 0; m % 60 == 0 && k < 3; k++) {
					admin = host_addr(NDC + k);
					client(b, member_rows[i].svc, &srv,
					    member_rows[i].port,
					    member_rows[i].tr, &admin, t);
				}
			}
		}
		if (h < NDC + NMEMBER || m % 60 != 0)
			continue;
		/* A workstation as a client, once an hour. */
		cl = srv;
		for (d = 0; d < 2; d++) {
			srv = host_addr((h + d) % NDC);
			for (i = 0; i < N(dc_rows); i++)
				client(b, dc_rows[i].svc, &srv,
				    dc_rows[i].port, dc_rows[i].tr, &cl, t);
		}
		for (i = 0; i < 5; i++) {
			srv = host_addr(NDC + (h + i) % NMEMBER);
			client(b, member_rows[i].svc, &srv,
			    member_rows[i].port, member_rows[i].tr, &cl, t);
		}
		for (i = 0; i < N(out_ports); i++)
			outbound(b, STATS_OUT_CLIENT, &cl, out_ports[i].port,
			    out_ports[i].tr, t);
	}
	if (m % 60 != 0)
		return;
	for (k = m / 60 * NOUTSIDE / 24; k < (m / 60 + 1) * NOUTSIDE / 24;
	    k++)
		for (i = 0; i < N(out_ports); i++) {
			srv = outside_addr(k);
			outbound(b, STATS_OUT_SERVER, &srv, out_ports[i].port,
			    out_ports[i].tr, t);
		}
}

static void
report(const char *path, const char *when)
{
	static const char *const tables[] = { "service_stats",
	    "service_clients", "hosts", "outbound", "outbound_servers" };
	sqlite3_stmt *st;
	sqlite3 *db;
	char q[1024];
	size_t i;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		abort();
	printf("%s\n", when);
	for (i = 0; i < N(tables); i++) {
		snprintf(q, sizeof(q), "SELECT (SELECT count(*) FROM %s),"
		    " (SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name"
		    " = '%s' OR name LIKE 'sqlite_autoindex_%s_%%' OR name IN"
		    " (SELECT name FROM sqlite_schema WHERE type = 'index'"
		    " AND tbl_name = '%s'))", tables[i], tables[i], tables[i],
		    tables[i]);
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW) {
			fprintf(stderr, "bench-site: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		printf("  %-18s %10lld rows %12lld bytes\n", tables[i],
		    (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(db, "SELECT resolution, count(*) FROM"
	    " service_stats GROUP BY 1", -1, &st, NULL) != SQLITE_OK)
		abort();
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("  service_stats resolution %lld: %lld rows\n",
		    (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int
main(int argc, char **argv)
{
	struct store_retention r = { 7, 90, 400, 90, 30 };
	struct flush_handover h;
	struct stats_batch *b;
	struct store *s;
	char err[512];
	unsigned hosts = 5000, m;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench-site db [hosts]\n");
		return 2;
	}
	if (argc == 3)
		hosts = (unsigned)strtoul(argv[2], NULL, 10);
	if (hosts <= NDC + NMEMBER) {
		fprintf(stderr, "bench-site: more than %d hosts\n",
		    NDC + NMEMBER);
		return 2;
	}
	unlink(argv[1]);
	if ((s = store_open(argv[1], "site", err, sizeof(err))) == NULL ||
	    (b = stats_batch_create()) == NULL) {
		fprintf(stderr, "bench-site: %s\n", err);
		return 1;
	}
	memset(&h, 0, sizeof(h));
	h.run_id = store_run_begin(s, "offline", "bench-site", DAY0);
	h.batch = b;
	for (m = 0; m < 1440; m++) {
		stats_batch_clear(b);
		minute(b, hosts, m);
		h.now_s = DAY0 + (int64_t)m * 60 + 60;
		if (store_flush(s, &h, err, sizeof(err)) == -1) {
			fprintf(stderr, "bench-site: %s\n", err);
			return 1;
		}
	}
	report(argv[1], "one day, minute rows:");
	/* Eight days later the day's minutes are hours. */
	if (store_prune(s, &r, DAY0 + 8 * 86400, err, sizeof(err)) == -1)
		return 1;
	report(argv[1], "rolled up into hours (after 7 days):");
	r.hour_days = 1;
	if (store_prune(s, &r, DAY0 + 3 * 86400, err, sizeof(err)) == -1)
		return 1;
	report(argv[1], "rolled up into a day (after 90 days):");
	stats_batch_destroy(b);
	store_close(s);
	return 0;
}
