/*
 * test_store.c - the SQLite back end (src/sqlite_*.c) behind the store
 * and reader interfaces, and the read side (query.c).
 *
 * Covers: create, schema version and migrations, refusal of newer and
 * foreign files, WAL, flush (rows, clients, hosts, totals, endpoints),
 * upserts across flushes, reading during a write, failed flushes (locked,
 * read-only, full) retried without loss or double counting, endpoint
 * reload, rollup/prune, and the query output (summary partition, JSON
 * fields, filters).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/sqlite_open.c"
#include "svcmap/catalog.h"
#include "svcmap/json.h"
#include "svcmap/names.h"
#include "svcmap/opstats.h"
#include "svcmap/query.h"
#include "svcmap/record.h"
#include "tap.h"

static char dir[256];

static const char *
path_in(const char *name)
{
	static char buf[4][320];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);
	return buf[n];
}

static int64_t
sql_int(sqlite3 *db, const char *sql)
{
	int64_t v = -1;

	if (sqlite_query_int(db, sql, &v) == -1)
		return -12345;
	return v;
}

static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* The writer's connection, for checks in SQL. */
static sqlite3 *
store_db(struct store *s)
{
	return ((struct sqlite_store *)s)->db;
}

/* One flush of these parts through the store's sink interface. */
static int
flush(struct store *s, int64_t run, const struct stats_batch *b,
    const struct run_totals *t, struct endpoint_table *ep, int64_t now,
    char *err, size_t errlen)
{
	struct flush_handover h;
	struct sink k = store_sink(s);

	memset(&h, 0, sizeof(h));
	h.run_id = run;
	h.now_s = now;
	h.batch = b;
	h.totals = t;
	h.endpoints = ep;
	return k.flush(k.state, &h, err, errlen);
}

static int
capture_stats(struct store *s, int64_t run, const char *iface,
    uint64_t received, uint64_t dropped, uint64_t if_dropped)
{
	struct flush_capture c = { iface, received, dropped, if_dropped };
	struct flush_handover h;
	char err[256];

	memset(&h, 0, sizeof(h));
	h.run_id = run;
	h.captures = &c;
	h.ncaptures = 1;
	return store_flush(s, &h, err, sizeof(err));
}

static void
set_addr(struct addr *a, const char *text)
{
	if (addr_parse(a, text) == -1)
		memset(a, 0, sizeof(*a));
}

/* A row of the synthetic batch. */
static struct stats_row *
add_row(struct stats_batch *b, const char *service, const char *server,
    uint16_t port, uint8_t method, int64_t bucket, uint64_t pkts,
    uint64_t bytes, const char *protocol)
{
	struct stats_key k;
	struct stats_row *r;

	memset(&k, 0, sizeof(k));
	snprintf(k.service, sizeof(k.service), "%s", service);
	set_addr(&k.server, server);
	k.port = port;
	k.transport = TRANSPORT_TCP;
	k.method = method;
	k.bucket = bucket;
	if ((r = stats_batch_row(b, &k)) == NULL)
		return NULL;
	r->flows += 1;
	r->pkts[FLOW_C2S] += pkts;
	r->pkts[FLOW_S2C] += pkts * 2;
	r->bytes[FLOW_C2S] += bytes;
	r->bytes[FLOW_S2C] += bytes * 2;
	if (r->first_s == 0 || bucket + 5 < r->first_s)
		r->first_s = bucket + 5;
	if (bucket + 50 > r->last_s)
		r->last_s = bucket + 50;
	if (protocol != NULL)
		snprintf(r->protocol, sizeof(r->protocol), "%s", protocol);
	return r;
}

static void
add_client(struct stats_batch *b, const char *service, const char *server,
    uint16_t port, const char *client, int64_t first, int64_t last)
{
	struct stats_client c;

	memset(&c, 0, sizeof(c));
	snprintf(c.service, sizeof(c.service), "%s", service);
	set_addr(&c.server, server);
	set_addr(&c.client, client);
	c.port = port;
	c.transport = TRANSPORT_TCP;
	c.first_s = first;
	c.last_s = last;
	stats_batch_client(b, &c);
}

/* Totals whose packet partition sums to packets (as the engine's do). */
static void
make_totals(struct run_totals *t, uint64_t scale)
{
	memset(t, 0, sizeof(*t));
	t->pkt_class[PKT_CLASSIFIED] = 60 * scale;
	t->pkt_class[PKT_UNDOCUMENTED] = 20 * scale;
	t->pkt_class[PKT_UNMONITORED] = 10 * scale;
	t->pkt_class[PKT_NON_IP] = 7 * scale;
	t->pkt_class[PKT_MALFORMED] = 3 * scale;
	t->packets = 100 * scale;
	t->byte_class[PKT_CLASSIFIED] = 6000 * scale;
	t->byte_class[PKT_NON_IP] = 4000 * scale;
	t->bytes = 10000 * scale;
	t->flows = 9 * scale;
	t->flow_class[FLOW_CLASSIFIED] = 5 * scale;
	t->flow_class[FLOW_UNDOCUMENTED] = 3 * scale;
	t->flow_class[FLOW_UNMONITORED] = 1 * scale;
	t->decode[DR_OK] = 90 * scale;
	t->decode[DR_NOT_IP_ETHERTYPE] = 7 * scale;
	t->decode[DR_TRUNC_IP] = 3 * scale;
	t->rpc_pdus = 40 * scale;
	t->epm_replies = 2 * scale;
	t->endpoints_learned = 2;
	t->first_s = 1705309200;
	t->last_s = 1705309200 + 3600;
}

static void
test_create(void)
{
	char err[512] = "";
	struct store *s;
	sqlite3 *db;
	int64_t tables;

	s = store_open(path_in("a.db"), "sensor1", err, sizeof(err));
	ok(s != NULL, "create a new database (%s)", err);
	if (s == NULL)
		return;
	is_int(sql_int(store_db(s), "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION, "schema version set on create");
	ok(sql_int(store_db(s), "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'service_stats'") == 1, "service_stats created");
	tables = sql_int(store_db(s), "SELECT count(*) FROM sqlite_master");
	ok(sql_int(store_db(s), "PRAGMA foreign_keys") == 1,
	    "foreign keys on");
	store_close(s);

	s = store_open(path_in("a.db"), "sensor1", err, sizeof(err));
	ok(s != NULL, "reopen an existing database");
	if (s == NULL)
		return;
	is_int(sql_int(store_db(s), "SELECT count(*) FROM sqlite_master"),
	    tables, "reopen creates nothing more");
	is_int(sql_int(store_db(s), "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION, "reopen keeps the version");
	store_close(s);

	/* journal_mode is persistent in the file: a plain connection sees it. */
	db = raw_open(path_in("a.db"));
	ok(db != NULL && sqlite3_exec(db, "SELECT 1", NULL, NULL, NULL) ==
	    SQLITE_OK, "raw open");
	{
		sqlite3_stmt *st;
		const char *mode = "";

		if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
		    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(st, 0);
		is_str(mode, "wal", "database is in WAL mode");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void
test_migrations(void)
{
	static const char *const two[] = {
		NULL,	/* filled with the real v1 */
		"CREATE TABLE extra (x INTEGER);"
		"INSERT INTO extra SELECT count(*) FROM hosts;",
	};
	static const char *const broken[] = {
		NULL,
		"CREATE TABLE half (x INTEGER); CREATE TABLE oops (;",
	};
	const char *steps[2];
	char err[512] = "";
	sqlite3 *db;

	/* A v1 database with a host in it, then a v2 step on top. */
	db = raw_open(path_in("m.db"));
	ok(store_migrate(db, migrations, 1, err, sizeof(err)) == 0,
	    "migration 0 -> 1 from an empty file (%s)", err);
	is_int(sql_int(db, "PRAGMA user_version"), 1, "version 1 after step 0");
	sqlite3_exec(db, "INSERT INTO hosts VALUES ('10.0.0.1', 1, 2)", NULL,
	    NULL, NULL);

	steps[0] = migrations[0];
	steps[1] = broken[1];
	ok(store_migrate(db, steps, 2, err, sizeof(err)) == -1,
	    "a failing step fails the migration");
	ok(strstr(err, "schema version 2") != NULL,
	    "the error names the version (%s)", err);
	is_int(sql_int(db, "PRAGMA user_version"), 1,
	    "failed migration leaves the version");
	is_int(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'half'"), 0, "failed migration leaves no half step");

	steps[1] = two[1];
	ok(store_migrate(db, steps, 2, err, sizeof(err)) == 0,
	    "migration 1 -> 2 runs only the new step (%s)", err);
	is_int(sql_int(db, "PRAGMA user_version"), 2, "version 2");
	is_int(sql_int(db, "SELECT x FROM extra"), 1,
	    "step 2 saw the data of version 1");
	ok(store_migrate(db, steps, 2, err, sizeof(err)) == 0 &&
	    sql_int(db, "SELECT count(*) FROM extra") == 1,
	    "a migrated database is left alone");
	sqlite3_close(db);
}

static void
test_refusals(void)
{
	char err[512] = "", want[128];
	struct reader *rd;
	struct store *s;
	sqlite3 *db;
	FILE *f;

	db = raw_open(path_in("new.db"));
	sqlite3_exec(db, "CREATE TABLE t (x); PRAGMA user_version = 99",
	    NULL, NULL, NULL);
	sqlite3_close(db);
	s = store_open(path_in("new.db"), "sensor1", err, sizeof(err));
	snprintf(want, sizeof(want), "database schema version 99 is newer "
	    "than this svcmap (%d)", STORE_SCHEMA_VERSION);
	ok(s == NULL && strstr(err, want) != NULL, "writer refuses a newer "
	    "schema (%s)", err);
	store_close(s);
	rd = reader_open(path_in("new.db"), err, sizeof(err));
	ok(rd == NULL && strstr(err, "newer") != NULL,
	    "reader refuses a newer schema");
	reader_close(rd);

	f = fopen(path_in("text.db"), "w");
	if (f != NULL) {
		fputs("this is not a database, just some text that is long "
		    "enough to have a header .................................."
		    "..............................................\n", f);
		fclose(f);
	}
	rd = reader_open(path_in("text.db"), err, sizeof(err));
	ok(rd == NULL && strstr(err, "not an svcmap database") != NULL,
	    "reader refuses a text file (%s)", err);
	reader_close(rd);

	db = raw_open(path_in("empty.db"));
	sqlite3_close(db);
	rd = reader_open(path_in("empty.db"), err, sizeof(err));
	ok(rd == NULL && strstr(err, "not an svcmap database") != NULL,
	    "reader refuses a database without the schema (%s)", err);
	reader_close(rd);
	ok(access(path_in("empty.db-wal"), F_OK) == -1,
	    "a refused read-only open leaves no WAL behind");

	db = raw_open(path_in("foreign.db"));
	sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL);
	sqlite3_close(db);
	s = store_open(path_in("foreign.db"), "sensor1", err, sizeof(err));
	ok(s == NULL && strstr(err, "not an svcmap database") != NULL,
	    "writer refuses another program's database (%s)", err);
	store_close(s);

	rd = reader_open(path_in("missing.db"), err, sizeof(err));
	ok(rd == NULL && strstr(err, strerror(ENOENT)) != NULL,
	    "reader says a missing file is missing (%s)", err);
	reader_close(rd);
	ok(access(path_in("missing.db"), F_OK) == -1,
	    "a read-only open creates nothing");
}

/* Two endpoints: drsuapi by EPM and a DCOM class. */
static struct endpoint_table *
make_endpoints(uint16_t drs_port, uint16_t moved_from)
{
	struct endpoint_table *t = endpoint_table_create(64, 3600);
	struct endpoint_entry e;

	if (t == NULL)
		return NULL;
	memset(&e, 0, sizeof(e));
	set_addr(&e.ip, "10.0.0.10");
	e.transport = TRANSPORT_TCP;
	e.port = drs_port;
	uuid_parse(e.uuid, "e3514235-4b06-11d1-ab04-00c04fc2dcd2");
	e.ver_major = 4;
	e.source = EP_SOURCE_EPT_MAP;
	e.learned_us = 1705309200ULL * US_PER_S;
	e.refreshed_us = 1705309260ULL * US_PER_S + 123;
	e.last_used_us = 1705309300ULL * US_PER_S;
	e.announcements = 2;
	e.flows = 5;
	e.moved_from = moved_from;
	endpoint_restore(t, &e);

	memset(&e, 0, sizeof(e));
	set_addr(&e.ip, "10.0.0.20");
	e.transport = TRANSPORT_TCP;
	e.port = 49700;
	uuid_parse(e.uuid, "00000143-0000-0000-c000-000000000046");
	e.ver_major = 0;
	e.source = EP_SOURCE_DCOM;
	e.has_clsid = true;
	uuid_parse(e.clsid, "4991d34b-80a1-4291-83b6-3328366b9097");
	e.learned_us = 1705309200ULL * US_PER_S;
	e.refreshed_us = 1705309200ULL * US_PER_S;
	endpoint_restore(t, &e);
	/* Restored entries match the database; these stand for new ones. */
	endpoint_mark_all_dirty(t);
	return t;
}

static struct stats_batch *
make_batch(void)
{
	struct stats_batch *b = stats_batch_create();

	add_row(b, "kdc", "10.0.0.10", 88, METHOD_PORT, 1705309200, 10, 1000,
	    "Kerberos");
	add_row(b, "kdc", "10.0.0.10", 88, METHOD_PORT, 1705309260, 5, 500,
	    NULL);
	add_row(b, "lsass", "10.0.0.10", 49667, METHOD_EPM, 1705309200, 20,
	    4000, "DCERPC");
	add_row(b, "", "10.0.0.30", 8443, METHOD_NONE, 1705309200, 7, 700,
	    "TLS");
	add_client(b, "kdc", "10.0.0.10", 88, "10.0.1.1", 1705309205,
	    1705309250);
	add_client(b, "kdc", "10.0.0.10", 88, "10.0.1.2", 1705309265,
	    1705309310);
	add_client(b, "lsass", "10.0.0.10", 49667, "10.0.1.1", 1705309205,
	    1705309250);
	return b;
}

static int64_t
sum_packets(sqlite3 *db)
{
	return sql_int(db, "SELECT coalesce(sum(pkts_c2s + pkts_s2c), 0) "
	    "FROM service_stats");
}

static void
test_flush(void)
{
	char err[512] = "";
	struct store *s;
	struct stats_batch *b;
	struct run_totals t;
	struct endpoint_table *ep, *ep2;
	struct endpoint_entry got[4];
	struct addr a;
	sqlite3 *db;
	int64_t run;

	s = store_open(path_in("f.db"), "sensor1", err, sizeof(err));
	if (s == NULL) {
		ok(0, "open for flush (%s)", err);
		return;
	}
	db = store_db(s);
	run = store_run_begin(s, "offline", "a.pcap,b.pcap",
	    1705309100);
	ok(run > 0, "run begins");
	b = make_batch();
	make_totals(&t, 1);
	ep = make_endpoints(49667, 0);
	ok(ep != NULL && endpoint_count(ep) == 2, "endpoint table of two");

	ok(flush(s, run, b, &t, ep, 1705309400, err, sizeof(err)) == 0,
	    "first flush (%s)", err);
	is_int(sql_int(db, "SELECT count(*) FROM service_stats"), 4,
	    "four stats rows");
	is_int(sum_packets(db), 3 * (10 + 5 + 20 + 7),
	    "stats packets as flushed");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "resolution = 60 AND transport = 'tcp' AND method = 'epm' AND "
	    "service = 'lsass' AND server_ip = svcmap_ip_blob('10.0.0.10') AND "
	    "port = 49667"), 1, "row identity stored as text words");
	is_int(sql_int(db, "SELECT count(*) FROM hosts"), 2,
	    "hosts from the servers of the rows");
	is_int(sql_int(db, "SELECT first_seen FROM hosts WHERE "
	    "ip = svcmap_ip_blob('10.0.0.10')"), 1705309205,
	    "host first seen");
	is_int(sql_int(db, "SELECT last_seen FROM hosts WHERE "
	    "ip = svcmap_ip_blob('10.0.0.10')"), 1705309310,
	    "host last seen");
	is_int(sql_int(db, "SELECT count(*) FROM service_clients"), 3,
	    "three clients");
	is_int(sql_int(db, "SELECT value FROM run_counters WHERE "
	    "name = 'packets'"), 100, "run packets");
	is_int(sql_int(db, "SELECT value FROM run_counters WHERE "
	    "name = 'pkt_non_ip'"), 7, "run non-IP packets");
	is_int(sql_int(db, "SELECT value FROM run_counters WHERE "
	    "name = 'flows_unmonitored'"), 1, "run unmonitored flows");
	is_int(sql_int(db, "SELECT count(*) FROM run_counters"),
	    (int64_t)counter_ndefs, "one run_counters row per registered "
	    "counter");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "sensor = 'sensor1'") + sql_int(db, "SELECT count(*) FROM hosts "
	    "WHERE sensor = 'sensor1'"), 6, "rows carry the sensor");
	is_int(sql_int(db, "SELECT length(ip) FROM hosts LIMIT 1"), 16,
	    "addresses stored as 16 bytes");
	is_int(sql_int(db, "SELECT last_flush FROM runs"), 1705309400,
	    "run last flush");
	is_int(sql_int(db, "SELECT count(*) FROM run_decode"), 3,
	    "decode reasons with counts");
	is_int(sql_int(db, "SELECT count FROM run_decode WHERE reason = "
	    "'truncated_ip'"), 3, "decode reason by decode_reason_name()");
	is_int(sql_int(db, "SELECT count(*) FROM rpc_endpoints"), 2,
	    "two endpoints");
	is_int(sql_int(db, "SELECT count(*) FROM rpc_endpoints WHERE "
	    "version = '4.0' AND source = 'ept_map' AND clsid IS NULL AND "
	    "refreshed_at = 1705309260 AND last_used = 1705309300"), 1,
	    "endpoint columns (version, source, seconds)");
	is_int(sql_int(db, "SELECT count(*) FROM rpc_endpoints WHERE "
	    "clsid = '4991d34b-80a1-4291-83b6-3328366b9097' AND "
	    "source = 'dcom'"), 1, "DCOM endpoint keeps its CLSID");

	/* The same batch again: counters add up, totals are absolute. */
	make_totals(&t, 2);
	ok(flush(s, run, b, &t, ep, 1705309500, err, sizeof(err)) == 0,
	    "second flush");
	is_int(sum_packets(db), 2 * 3 * (10 + 5 + 20 + 7),
	    "stats counters add across flushes");
	is_int(sql_int(db, "SELECT flows FROM service_stats WHERE "
	    "service = 'kdc' AND bucket = 1705309200"), 2,
	    "flows add across flushes");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats"), 4,
	    "upsert keeps one row per identity");
	is_int(sql_int(db, "SELECT value FROM run_counters WHERE "
	    "name = 'packets'"), 200, "run totals are replaced, not added");
	is_int(sql_int(db, "SELECT count FROM run_decode WHERE reason = "
	    "'truncated_ip'"), 6, "decode counts replaced");
	is_int(sql_int(db, "SELECT count(*) FROM service_clients"), 3,
	    "clients stay unique");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "service = 'kdc' AND bucket = 1705309200 AND protocol = "
	    "'Kerberos'"), 1, "protocol kept");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "service = 'kdc' AND bucket = 1705309260 AND protocol = ''"), 1,
	    "empty protocol stored as ''");

	/* Reload the endpoints into an empty table. */
	ep2 = endpoint_table_create(64, 3600);
	ok(store_load_endpoints(s, ep2, err, sizeof(err)) == 0,
	    "load endpoints (%s)", err);
	is_int(endpoint_count(ep2), 2, "both endpoints restored");
	set_addr(&a, "10.0.0.10");
	ok(endpoint_lookup(ep2, &a, TRANSPORT_TCP, 49667, 0, false, got, 4)
	    == 1 && got[0].ver_major == 4 && got[0].announcements == 2 &&
	    got[0].flows == 5 && got[0].refreshed_us == 1705309260ULL *
	    US_PER_S && got[0].source == EP_SOURCE_EPT_MAP && !got[0].dirty,
	    "restored endpoint fields (times in whole seconds)");
	set_addr(&a, "10.0.0.20");
	ok(endpoint_lookup(ep2, &a, TRANSPORT_TCP, 49700, 0, false, got, 4)
	    == 1 && got[0].has_clsid && got[0].source == EP_SOURCE_DCOM,
	    "restored DCOM endpoint with CLSID");
	endpoint_table_destroy(ep2);

	/* drsuapi moved to another port: the old row goes. */
	ep2 = make_endpoints(49668, 49667);
	ok(flush(s, run, NULL, NULL, ep2, 1705309600, err,
	    sizeof(err)) == 0, "flush of a moved endpoint");
	is_int(sql_int(db, "SELECT count(*) FROM rpc_endpoints WHERE "
	    "port = 49667"), 0, "old port of a moved endpoint deleted");
	is_int(sql_int(db, "SELECT moved_from FROM rpc_endpoints WHERE "
	    "port = 49668"), 49667, "new port records moved_from");
	endpoint_table_destroy(ep2);

	ok(capture_stats(s, run, "eth0", 1000, 5, 1) == 0 &&
	    capture_stats(s, run, "eth0", 2000, 7, 2) == 0,
	    "capture stats upsert");
	is_int(sql_int(db, "SELECT received FROM capture_stats"), 2000,
	    "capture stats replaced by the latest");

	endpoint_table_destroy(ep);
	stats_batch_destroy(b);
	store_close(s);
}

/*
 * Host names: the dirty entries are written, read back at start (each
 * name checked against the policy again), and a clean table writes
 * nothing.
 */
static void
test_names(void)
{
	char err[512] = "";
	struct flush_handover h;
	struct names_table *t, *t2;
	struct name_entry got[8];
	struct name_fact f;
	struct store *s;
	struct addr a;
	sqlite3 *db;

	s = store_open(path_in("n.db"), "sensor1", err, sizeof(err));
	if (s == NULL) {
		ok(0, "open for names (%s)", err);
		return;
	}
	db = store_db(s);
	t = names_table_create(64, 86400);
	memset(&f, 0, sizeof(f));
	set_addr(&f.addr, "10.0.0.10");
	f.has_addr = true;
	f.source = NAME_SRC_DNS;
	f.kind = NAME_KIND_HOST;
	snprintf(f.name, sizeof(f.name), "dc1.example.test");
	names_learn(t, &f, 1705309200ULL * US_PER_S);
	f.source = NAME_SRC_NBNS;
	f.kind = NAME_KIND_NETBIOS;
	f.nb_suffix = 0x20;
	snprintf(f.name, sizeof(f.name), "DC1");
	names_learn(t, &f, 1705309260ULL * US_PER_S);
	memset(&h, 0, sizeof(h));
	h.names = t;
	h.now_s = 1705309300;
	ok(store_flush(s, &h, err, sizeof(err)) == 0, "flush names (%s)",
	    err);
	is_int(sql_int(db, "SELECT count(*) FROM host_names"), 2,
	    "one row per name");
	is_int(sql_int(db, "SELECT count(*) FROM host_names WHERE "
	    "name = 'DC1' AND source = 'nbns' AND kind = 'netbios' AND "
	    "nb_suffix = 32 AND first_seen = 1705309260"), 1,
	    "name columns (source, kind, suffix, seconds)");
	/* A hostile row: refused at load, not trusted into JSON. */
	sqlite3_exec(db, "INSERT INTO host_names VALUES ('sensor1',"
	    " x'00000000000000000000ffff0a00000b', 'bad\"name', 'dns',"
	    " 'host', 0, 0, NULL, 1, 2, 1)", NULL, NULL, NULL);
	t2 = names_table_create(64, 86400);
	ok(store_load_names(s, t2, err, sizeof(err)) == 0,
	    "load names (%s)", err);
	is_int((int64_t)names_count(t2), 2, "both names restored, the "
	    "hostile one refused");
	set_addr(&a, "10.0.0.10");
	ok(names_lookup(t2, &a, got, 8) == 2 &&
	    strcmp(got[0].name, "dc1.example.test") == 0 &&
	    got[0].last_seen_us == 1705309200ULL * US_PER_S && !got[0].dirty,
	    "restored name fields");
	names_table_destroy(t2);
	names_table_destroy(t);
	store_close(s);
}

/*
 * Failed flushes: nothing committed, the batch kept by the caller, and the
 * retry stores it exactly once.  As root, file modes do not make SQLite
 * fail, so read-only is PRAGMA query_only (SQLITE_READONLY) and a full
 * disk is PRAGMA max_page_count (SQLITE_FULL).
 */
static void
test_failures(void)
{
	char err[512] = "";
	struct store *s;
	struct stats_batch *b, *big;
	struct endpoint_table *eps;
	struct run_totals t;
	sqlite3 *db, *other;
	int64_t run, pages;
	int i;

	s = store_open(path_in("x.db"), "sensor1", err, sizeof(err));
	if (s == NULL) {
		ok(0, "open for failures (%s)", err);
		return;
	}
	db = store_db(s);
	run = store_run_begin(s, "live", "eth0", 1705309100);
	b = make_batch();
	make_totals(&t, 1);

	/* Another writer holds the lock. */
	sqlite3_busy_timeout(db, 50);
	other = raw_open(path_in("x.db"));
	ok(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL) ==
	    SQLITE_OK, "second connection takes the write lock");
	eps = make_endpoints(49667, 0);
	ok(flush(s, run, b, &t, eps, 1705309400, err, sizeof(err)) ==
	    -1, "flush fails while locked");
	ok(strstr(err, "locked") != NULL, "error says locked (%s)", err);
	ok(sqlite3_get_autocommit(db), "no transaction left open");
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(other);
	is_int(sum_packets(db), 0, "nothing of the failed flush stored");
	ok(flush(s, run, b, &t, eps, 1705309400, err, sizeof(err)) ==
	    0, "retry after the lock is released");
	is_int(sum_packets(db), 3 * (10 + 5 + 20 + 7),
	    "retried flush stored exactly once");
	/* The failed flush had taken the dirty marks: they came back. */
	is_int(sql_int(db, "SELECT count(*) FROM rpc_endpoints"), 2,
	    "endpoints of the failed flush stored by the retry");
	endpoint_table_destroy(eps);

	/* Read-only connection. */
	sqlite3_exec(db, "PRAGMA query_only = ON", NULL, NULL, NULL);
	ok(flush(s, run, b, &t, NULL, 1705309500, err, sizeof(err)) ==
	    -1 && strstr(err, "readonly") != NULL,
	    "flush fails on a read-only database (%s)", err);
	sqlite3_exec(db, "PRAGMA query_only = OFF", NULL, NULL, NULL);
	is_int(sum_packets(db), 3 * (10 + 5 + 20 + 7),
	    "read-only failure stored nothing");
	ok(flush(s, run, b, &t, NULL, 1705309500, err, sizeof(err)) ==
	    0, "retry once writable");
	is_int(sum_packets(db), 2 * 3 * (10 + 5 + 20 + 7),
	    "read-only retry stored exactly once");

	/* Full disk: a batch bigger than the pages left. */
	big = stats_batch_create();
	for (i = 0; i < 3000; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
		add_row(big, "server", ip, 445, METHOD_PORT, 1705309200, 1,
		    100, "SMB");
	}
	pages = sql_int(db, "PRAGMA page_count");
	{
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
		    (long long)pages + 2);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	ok(flush(s, run, big, &t, NULL, 1705309600, err, sizeof(err))
	    == -1 && strstr(err, "full") != NULL,
	    "flush fails when the database is full (%s)", err);
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "service = 'server'"), 0, "full-disk failure stored nothing");
	sqlite3_exec(db, "PRAGMA max_page_count = 1000000", NULL, NULL, NULL);
	ok(flush(s, run, big, &t, NULL, 1705309600, err, sizeof(err)) ==
	    0, "retry with room (%s)", err);
	is_int(sql_int(db, "SELECT sum(pkts_c2s) FROM service_stats WHERE "
	    "service = 'server'"), 3000, "full-disk retry stored exactly once");

	stats_batch_destroy(big);
	stats_batch_destroy(b);
	store_close(s);
}

static void
count_host(void *arg, const struct query_host *r)
{
	(*(int *)arg)++;
	(void)r;
}

/* A reader works, on the last commit, while a writer is mid-transaction. */
static void
test_concurrent_read(void)
{
	char err[512] = "";
	struct store *w;
	struct reader *r;
	sqlite3 *other;
	int n = 0;

	w = store_open(path_in("f.db"), "sensor1", err, sizeof(err));
	other = raw_open(path_in("f.db"));
	ok(w != NULL && other != NULL && sqlite3_exec(other,
	    "BEGIN IMMEDIATE; INSERT INTO hosts VALUES ('sensor1',"
	    " x'00000000000000000000ffff0a090909', 1, 2);",
	    NULL, NULL, NULL) == SQLITE_OK, "writer holds an open transaction");
	r = reader_open(path_in("f.db"), err, sizeof(err));
	ok(r != NULL, "read-only open during the write (%s)", err);
	if (r != NULL) {
		ok(query_hosts(r, count_host, &n, err, sizeof(err)) == 0,
		    "query during the write (%s)", err);
		is_int(n, 2, "reader sees the committed hosts only");
	}
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	reader_close(r);
	store_close(w);
}

static int64_t
stats_sum(sqlite3 *db, int res)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT coalesce(sum(pkts_c2s), 0) FROM "
	    "service_stats WHERE resolution = %d", res);
	return sql_int(db, sql);
}

static void
test_prune(void)
{
	char err[512] = "";
	struct store_retention ret = { 1, 3, 0, 0, 0 };
	struct store *s;
	struct stats_batch *b;
	sqlite3 *db;
	int64_t day0 = 1705276800;	/* 2024-01-15T00:00:00Z */
	int64_t now = day0 + 10 * 86400;
	int64_t total;
	int i;

	s = store_open(path_in("p.db"), "sensor1", err, sizeof(err));
	if (s == NULL) {
		ok(0, "open for prune (%s)", err);
		return;
	}
	db = store_db(s);
	b = stats_batch_create();
	/*
	 * 180 minutes (3 hours) of kdc rows on day 0, 1 packet each
	 * direction-scaled; the protocol changes in the last minute.
	 */
	for (i = 0; i < 180; i++)
		add_row(b, "kdc", "10.0.0.10", 88, METHOD_PORT,
		    day0 + 60 * i, (uint64_t)i + 1, 10, i == 170 ? "NewProto" :
		    (i == 0 ? "Kerberos" : NULL));
	/* And ten recent minutes that must stay as they are. */
	for (i = 0; i < 10; i++)
		add_row(b, "kdc", "10.0.0.10", 88, METHOD_PORT,
		    now - 3600 + 60 * i, 1, 10, NULL);
	ok(flush(s, 0, b, NULL, NULL, now, err, sizeof(err)) == 0,
	    "flush rows to prune");
	total = stats_sum(db, 60);
	is_int(total, 180 * 181 / 2 + 10, "minute rows stored");

	ok(store_prune(s, &ret, now, err, sizeof(err)) == 0,
	    "prune (%s)", err);
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "resolution = 60"), 10, "only recent minute rows left");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "resolution = 86400"), 1, "three old hours rolled into one day "
	    "(hour retention 3 days)");
	is_int(stats_sum(db, 86400), 180 * 181 / 2, "day row sums the minutes");
	is_int(stats_sum(db, 60) + stats_sum(db, 3600) + stats_sum(db, 86400),
	    total, "rollup conserves packets");
	is_int(sql_int(db, "SELECT flows FROM service_stats WHERE "
	    "resolution = 86400"), 180, "rollup adds flows");
	is_int(sql_int(db, "SELECT first_seen FROM service_stats WHERE "
	    "resolution = 86400"), day0 + 5, "rollup keeps the first time");
	is_int(sql_int(db, "SELECT last_seen FROM service_stats WHERE "
	    "resolution = 86400"), day0 + 179 * 60 + 50,
	    "rollup keeps the last time");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "resolution = 86400 AND protocol = 'NewProto'"), 1,
	    "rollup keeps the latest non-empty protocol");

	/* Minutes into hours only: a longer hour retention. */
	stats_batch_clear(b);
	for (i = 0; i < 120; i++)
		add_row(b, "dns", "10.0.0.11", 53, METHOD_PORT,
		    now - 2 * 86400 + 60 * i, 2, 10, NULL);
	ok(flush(s, 0, b, NULL, NULL, now, err, sizeof(err)) == 0 &&
	    store_prune(s, &ret, now, err, sizeof(err)) == 0,
	    "flush and prune minutes of two days ago");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "resolution = 3600 AND service = 'dns'"), 2,
	    "120 minutes make two hour rows");
	is_int(sql_int(db, "SELECT sum(pkts_c2s) FROM service_stats WHERE "
	    "resolution = 3600 AND service = 'dns'"), 240,
	    "hour rows sum their minutes");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "resolution = 3600 AND bucket % 3600 <> 0"), 0,
	    "hour buckets are whole UTC hours");

	/* Day retention deletes old days and the clients not seen since. */
	ret.day_days = 5;
	ok(store_prune(s, &ret, now, err, sizeof(err)) == 0, "prune days");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "resolution = 86400"), 0, "day rows past the day retention go");
	is_int(sql_int(db, "SELECT count(*) FROM service_stats WHERE "
	    "service = 'dns'"), 2, "younger rows stay");

	/*
	 * Issue 14 item 7: hosts and clients go after retention-hosts even
	 * when day rows are kept forever, outbound rows after
	 * retention-outbound (before: never with retention-days 0).
	 */
	{
		struct stats_outbound add, *o;
		struct addr a;

		stats_batch_clear(b);
		add_row(b, "kdc", "10.0.0.11", 88, METHOD_PORT, now - 60, 1,
		    10, NULL);
		memset(&add, 0, sizeof(add));
		add.flows = 1;
		add.first_s = add.last_s = day0;
		(void)addr_parse(&a, "10.0.0.12");
		o = stats_batch_outbound(b, STATS_OUT_CLIENT, &a, TRANSPORT_TCP,
		    443);
		stats_outbound_add(o, &add);
		(void)addr_parse(&a, "192.0.2.80");
		o = stats_batch_outbound(b, STATS_OUT_SERVER, &a, TRANSPORT_TCP,
		    443);
		stats_outbound_add(o, &add);
		add.first_s = add.last_s = now - 60;
		o = stats_batch_outbound(b, STATS_OUT_SERVER, &a, TRANSPORT_TCP,
		    80);
		stats_outbound_add(o, &add);
		ok(flush(s, 0, b, NULL, NULL, now, err, sizeof(err)) == 0,
		    "flush outbound rows (%s)", err);
		/* Age the first host and its clients. */
		ok(sqlite_exec(db, "UPDATE hosts SET last_seen = 0 WHERE "
		    "ip <> svcmap_ip_blob('10.0.0.11');"
		    "UPDATE service_clients SET last_seen = 0", err,
		    sizeof(err)) == 0, "age a host and the clients (%s)", err);
		ret.day_days = 0;
		ret.host_days = 0;
		ret.outbound_days = 0;
		ok(store_prune(s, &ret, now, err, sizeof(err)) == 0,
		    "prune, everything forever");
		is_int(sql_int(db, "SELECT count(*) FROM outbound") +
		    sql_int(db, "SELECT count(*) FROM outbound_servers"), 3,
		    "retention-outbound 0 keeps outbound rows");
		ret.host_days = 5;
		ret.outbound_days = 5;
		ok(store_prune(s, &ret, now, err, sizeof(err)) == 0,
		    "prune hosts and outbound, days kept forever");
		is_int(sql_int(db, "SELECT count(*) FROM hosts WHERE "
		    "last_seen = 0"), 0,
		    "retention-hosts drops hosts with retention-days 0");
		is_int(sql_int(db, "SELECT count(*) FROM hosts"), 1,
		    "the host seen within it stays");
		is_int(sql_int(db, "SELECT count(*) FROM service_clients"), 0,
		    "retention-hosts drops clients");
		is_int(sql_int(db, "SELECT count(*) FROM outbound"), 0,
		    "retention-outbound drops an old client row");
		is_int(sql_int(db, "SELECT count(*) FROM outbound_servers"), 1,
		    "and an old server row, the recent one stays");
	}
	stats_batch_destroy(b);
	store_close(s);
}

static void
test_queries(void)
{
	char err[512] = "";
	struct reader *s;
	struct query_summary m;
	struct query_filter f;
	struct catalog *cat = NULL;
	struct json j;
	uint64_t sum;
	const char *data = getenv("SVCMAP_DATA");
	static const char *const fields[] = { "\"sensor\":", "\"service\":", "\"name\":",
	    "\"server_ip\":", "\"port\":", "\"transport\":", "\"vlan\":",
	    "\"method\":", "\"protocol\":", "\"interface\":", "\"flows\":",
	    "\"packets\":", "\"bytes\":", "\"packets_c2s\":",
	    "\"packets_s2c\":", "\"bytes_c2s\":", "\"bytes_s2c\":",
	    "\"clients\":", "\"first_seen\":", "\"last_seen\":", NULL };
	int i, missing = 0;

	s = reader_open(path_in("f.db"), err, sizeof(err));
	if (s == NULL) {
		ok(0, "open read-only for queries (%s)", err);
		return;
	}
	ok(query_summary(s, &m, err, sizeof(err)) == 0, "summary (%s)", err);
	is_int(m.runs, 1, "summary counts runs");
	for (sum = 0, i = 0; i < PKT__COUNT; i++)
		sum += m.pkt_class[i];
	is_int(sum, m.packets, "packet classes sum to packets");
	is_int(m.packets, 200, "summary packets");
	is_int(m.ndecode, 3, "summary decode reasons");
	ok(m.ncapture == 1 && strcmp(m.capture[0].iface, "eth0") == 0 &&
	    m.capture[0].dropped == 7, "summary capture counters");
	json_init(&j);
	query_summary_json(&j, &m);
	ok(!json_failed(&j) && strstr(j.buf, "\"packets_by_class\":{"
	    "\"classified\":120,\"undocumented\":40,\"unmonitored\":20,"
	    "\"outbound\":0,"
	    "\"non_ip\":14,\"malformed\":6}") != NULL,
	    "summary JSON packet partition");
	ok(strstr(j.buf, "\"first_packet\":\"2024-01-15T09:00:00Z\"") != NULL,
	    "summary JSON times are ISO 8601");
	json_free(&j);
	query_summary_free(&m);

	if (data != NULL && (cat = catalog_open(data, NULL, err,
	    sizeof(err))) == NULL)
		printf("# catalog not loaded: %s\n", err);

	memset(&f, 0, sizeof(f));
	json_init(&j);
	ok(query_services_json(s, cat, &f, &j, err, sizeof(err)) == 0,
	    "services query (%s)", err);
	for (i = 0; fields[i] != NULL; i++)
		if (strstr(j.buf, fields[i]) == NULL) {
			printf("# missing %s\n", fields[i]);
			missing++;
		}
	is_int(missing, 0, "services JSON has every contract field");
	ok(strstr(j.buf, "undocumented") == NULL,
	    "undocumented rows hidden by default");
	ok(strstr(j.buf, "{\"sensor\":\"sensor1\",\"service\":\"kdc\"") !=
	    NULL &&
	    strstr(j.buf, "\"flows\":4,\"packets\":90,\"bytes\":9000,"
	    "\"packets_c2s\":30,\"packets_s2c\":60,\"bytes_c2s\":3000,"
	    "\"bytes_s2c\":6000,\"clients\":2,"
	    "\"first_seen\":\"2024-01-15T09:00:05Z\","
	    "\"last_seen\":\"2024-01-15T09:01:50Z\"") != NULL,
	    "kdc summed over buckets and flushes, two clients");
	ok(strstr(j.buf, "\"protocol\":\"Kerberos\"") != NULL,
	    "latest non-empty protocol");
	ok(j.buf[0] == '[' && strstr(j.buf, "kdc") < strstr(j.buf, "lsass"),
	    "sorted by server, transport, port");
	if (cat != NULL)
		ok(strstr(j.buf, "\"service\":\"kdc\",\"name\":\"kdc\"") ==
		    NULL, "catalog names the kdc service");
	json_free(&j);

	f.all = true;
	json_init(&j);
	query_services_json(s, cat, &f, &j, err, sizeof(err));
	ok(strstr(j.buf, "\"service\":\"undocumented\",\"name\":"
	    "\"undocumented\",\"server_ip\":\"10.0.0.30\"") != NULL,
	    "--all shows undocumented rows");
	json_free(&j);

	memset(&f, 0, sizeof(f));
	f.host = "10.0.0.10";
	f.service = "kdc";
	f.since = 1705309300;
	json_init(&j);
	query_services_json(s, cat, &f, &j, err, sizeof(err));
	ok(strstr(j.buf, "\"clients\":1") != NULL &&
	    strstr(j.buf, "lsass") == NULL,
	    "host, service and since filter (one recent client)");
	json_free(&j);
	f.host = "not-an-ip";
	json_init(&j);
	ok(query_services_json(s, cat, &f, &j, err, sizeof(err)) == -1,
	    "bad host address refused");
	json_free(&j);

	json_init(&j);
	ok(query_hosts_json(s, NULL, &j, err, sizeof(err)) == 0 &&
	    strstr(j.buf, "{\"sensor\":\"sensor1\",\"ip\":\"10.0.0.10\","
	    "\"first_seen\":"
	    "\"2024-01-15T09:00:05Z\",\"last_seen\":\"2024-01-15T09:01:50Z\","
	    "\"services\":[\"kdc\",\"lsass\"],\"flows\":6,\"packets\":210,") !=
	    NULL, "hosts with their sorted services and totals");
	ok(strstr(j.buf, "\"ip\":\"10.0.0.30\",") != NULL &&
	    strstr(j.buf, "\"services\":[],") != NULL,
	    "a host with undocumented traffic only");
	json_free(&j);

	json_init(&j);
	ok(query_endpoints_json(s, cat, &j, err, sizeof(err)) == 0 &&
	    strstr(j.buf, "\"sensor\":\"sensor1\",\"server_ip\":\"10.0.0.10\","
	    "\"port\":49668,"
	    "\"transport\":\"tcp\",\"uuid\":\"e3514235-4b06-11d1-ab04-"
	    "00c04fc2dcd2\",\"version\":\"4.0\"") != NULL,
	    "endpoints JSON");
	ok(strstr(j.buf, "\"moved_from\":49667") != NULL &&
	    strstr(j.buf, "\"last_used\":null") != NULL,
	    "moved_from, and null for never used");
	if (cat != NULL)
		ok(strstr(j.buf, "\"interface\":\"drsuapi\",\"service\":"
		    "\"lsass\"") != NULL, "catalog names drsuapi");
	json_free(&j);

	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
}

static void
test_parse_time(void)
{
	int64_t t = 0;

	ok(query_parse_time("2024-01-15T09:00:00Z", 0, &t) == 0 &&
	    t == 1705309200, "ISO 8601 with Z");
	ok(query_parse_time("2024-01-15T09:00", 0, &t) == 0 &&
	    t == 1705309200, "ISO 8601 without seconds");
	ok(query_parse_time("2024-01-15", 0, &t) == 0 && t == 1705276800,
	    "date only");
	ok(query_parse_time("1705309200", 0, &t) == 0 && t == 1705309200,
	    "epoch seconds");
	ok(query_parse_time("-1h", 1705309200, &t) == 0 &&
	    t == 1705309200 - 3600, "relative hours");
	ok(query_parse_time("-30m", 1000000, &t) == 0 && t == 1000000 - 1800,
	    "relative minutes");
	ok(query_parse_time("-7d", 1000000, &t) == 0 &&
	    t == 1000000 - 7 * 86400, "relative days");
	ok(query_parse_time("-1x", 0, &t) == -1, "unknown unit refused");
	ok(query_parse_time("-h", 0, &t) == -1, "missing count refused");
	ok(query_parse_time("2024-01-15T09:00:00+02", 0, &t) == -1,
	    "offsets other than Z refused");
	ok(query_parse_time("yesterday", 0, &t) == -1, "words refused");
	ok(query_parse_time("-99999999999999999999d", 0, &t) == -1,
	    "overflow refused");
}

static void
cleanup(void)
{
	char cmd[320];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

struct ops_seen {
	int		 rows;
	uint64_t	 calls;
	uint64_t	 clients;
	int64_t		 first, last;
	char		 uuid[UUID_STRLEN];
};

static void
ops_row(void *arg, const struct query_operation *r)
{
	struct ops_seen *o = arg;

	o->rows++;
	if (r->opnum == 12) {
		o->calls = r->calls;
		o->clients = r->clients;
		o->first = r->first_seen;
		o->last = r->last_seen;
		snprintf(o->uuid, sizeof(o->uuid), "%s", r->interface_uuid);
	}
}

/* RPC operations: calls add up across flushes, clients do not. */
static void
test_operations(void)
{
	static const uint8_t v4s[4] = { 10, 0, 0, 46 };
	struct query_op_filter qf;
	struct flush_handover h;
	struct ops_seen seen;
	struct op_batch *ob;
	struct reader *rd;
	struct store *s;
	struct op_key k;
	struct addr c1, c2;
	struct sink sk;
	char err[512] = "";
	int64_t run;
	int i;

	if ((s = store_open(path_in("ops.db"), "sensor1", err,
	    sizeof(err))) == NULL || (ob = op_batch_create(16)) == NULL) {
		ok(0, "open for operations (%s)", err);
		store_close(s);
		return;
	}
	run = store_run_begin(s, "offline", "x.pcap", 1705309100);
	memset(&k, 0, sizeof(k));
	addr_from_v4(&k.server, v4s);
	k.port = 445;
	k.transport = 6;
	uuid_parse(k.uuid, "367abb81-9844-35f1-ad32-98f038001003");
	addr_parse(&c1, "10.0.0.5");
	addr_parse(&c2, "10.0.0.6");
	sk = store_sink(s);
	for (i = 0; i < 2; i++) {
		k.opnum = 12;
		op_batch_call(ob, &k, 2, &c1, 1705309200 + i * 100);
		op_batch_call(ob, &k, 2, &c2, 1705309210 + i * 100);
		k.opnum = 15;
		op_batch_call(ob, &k, 2, &c1, 1705309220 + i * 100);
		memset(&h, 0, sizeof(h));
		h.run_id = run;
		h.now_s = 1705309400;
		h.ops = ob;
		ok(sk.flush(sk.state, &h, err, sizeof(err)) == 0,
		    "operations flush %d (%s)", i + 1, err);
		op_batch_clear(ob);
	}
	is_int(sql_int(store_db(s), "SELECT count(*) FROM rpc_operations"), 2,
	    "two operation rows");
	is_int(sql_int(store_db(s), "SELECT calls FROM rpc_operations WHERE "
	    "opnum = 12"), 4, "calls add up across flushes");
	is_int(sql_int(store_db(s), "SELECT count(*) FROM "
	    "rpc_operation_clients"), 3, "client rows: one per (operation, "
	    "client)");
	store_close(s);
	op_batch_destroy(ob);

	if ((rd = reader_open(path_in("ops.db"), err, sizeof(err))) == NULL) {
		ok(0, "reader for operations (%s)", err);
		return;
	}
	memset(&qf, 0, sizeof(qf));
	memset(&seen, 0, sizeof(seen));
	ok(query_operations(rd, NULL, &qf, ops_row, &seen, err,
	    sizeof(err)) == 0, "query operations");
	is_int(seen.rows, 2, "two operations read");
	is_int(seen.calls, 4, "opnum 12: four calls");
	is_int(seen.clients, 2, "opnum 12: two distinct clients");
	is_int(seen.first, 1705309200, "first_seen is the minimum");
	is_int(seen.last, 1705309310, "last_seen is the maximum");
	is_str(seen.uuid, "367abb81-9844-35f1-ad32-98f038001003",
	    "interface UUID as text");
	memset(&seen, 0, sizeof(seen));
	qf.host = "10.0.0.47";
	query_operations(rd, NULL, &qf, ops_row, &seen, err, sizeof(err));
	is_int(seen.rows, 0, "host filter: another server has none");
	qf.host = NULL;
	qf.service = "scm";
	memset(&seen, 0, sizeof(seen));
	query_operations(rd, NULL, &qf, ops_row, &seen, err, sizeof(err));
	is_int(seen.rows, 0, "service filter without a catalog: none");
	qf.service = NULL;
	qf.host = "nope";
	ok(query_operations(rd, NULL, &qf, ops_row, &seen, err,
	    sizeof(err)) == -1 && strstr(err, "bad host") != NULL,
	    "bad host address refused");
	reader_close(rd);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_store.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		tap_skip_all("cannot create a temporary directory");
	test_create();
	test_migrations();
	test_refusals();
	test_flush();
	test_names();
	test_failures();
	test_concurrent_read();
	test_prune();
	test_operations();
	test_queries();
	test_parse_time();
	cleanup();
	return tap_done();
}
