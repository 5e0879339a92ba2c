/*
 * store.c - the SQLite database: open, migrate, flush, load, prune.
 *
 * One connection writes (the daemon's writer thread); any number read
 * (svcmapctl, the HTTP API) through read-only connections.  WAL mode lets
 * the readers see the last committed flush while a new one is being
 * written.  Every data statement is prepared once at open and reused, so a
 * flush costs no SQL parsing, and values are always bound, never pasted.
 *
 * The schema is documented table by table in docs/schema.md; any change
 * here goes there too, as a new migration step.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "svcmap/alert.h"
#include "svcmap/catalog.h"
#include "svcmap/decode.h"
#include "svcmap/endpoint.h"
#include "svcmap/flow.h"
#include "svcmap/log.h"
#include "svcmap/stats.h"
#include "svcmap/store.h"

#define BUSY_TIMEOUT_MS	2000	/* a reader's checkpoint or a second writer */
#define US_PER_S	1000000

/* service_stats.resolution: the flush writes minutes, prune rolls up. */
#define STORE_RES_MINUTE	60
#define STORE_RES_HOUR		3600
#define STORE_RES_DAY		86400

/*
 * Migrations: step i takes a database from user_version i to i + 1.
 * Schema v1 is itself step 0, so creating a database and upgrading an
 * old one run the same code.  A new version appends a step (the alerts
 * work adds step 1 for v2) and raises STORE_SCHEMA_VERSION.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the initial schema. */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  sensor TEXT NOT NULL,"
	"  mode TEXT NOT NULL,"
	"  inputs TEXT NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  last_flush INTEGER NOT NULL DEFAULT 0,"
	"  packets INTEGER NOT NULL DEFAULT 0,"
	"  bytes INTEGER NOT NULL DEFAULT 0,"
	"  pkt_classified INTEGER NOT NULL DEFAULT 0,"
	"  pkt_undocumented INTEGER NOT NULL DEFAULT 0,"
	"  pkt_unmonitored INTEGER NOT NULL DEFAULT 0,"
	"  pkt_non_ip INTEGER NOT NULL DEFAULT 0,"
	"  pkt_malformed INTEGER NOT NULL DEFAULT 0,"
	"  byte_classified INTEGER NOT NULL DEFAULT 0,"
	"  byte_undocumented INTEGER NOT NULL DEFAULT 0,"
	"  byte_unmonitored INTEGER NOT NULL DEFAULT 0,"
	"  byte_non_ip INTEGER NOT NULL DEFAULT 0,"
	"  byte_malformed INTEGER NOT NULL DEFAULT 0,"
	"  flows INTEGER NOT NULL DEFAULT 0,"
	"  flows_classified INTEGER NOT NULL DEFAULT 0,"
	"  flows_undocumented INTEGER NOT NULL DEFAULT 0,"
	"  flows_unmonitored INTEGER NOT NULL DEFAULT 0,"
	"  fragments INTEGER NOT NULL DEFAULT 0,"
	"  flows_evicted INTEGER NOT NULL DEFAULT 0,"
	"  flows_active INTEGER NOT NULL DEFAULT 0,"
	"  dpi_mismatches INTEGER NOT NULL DEFAULT 0,"
	"  rpc_pdus INTEGER NOT NULL DEFAULT 0,"
	"  rpc_truncated INTEGER NOT NULL DEFAULT 0,"
	"  rpc_invalid INTEGER NOT NULL DEFAULT 0,"
	"  rpc_gaps INTEGER NOT NULL DEFAULT 0,"
	"  epm_replies INTEGER NOT NULL DEFAULT 0,"
	"  endpoints_learned INTEGER NOT NULL DEFAULT 0,"
	"  first_packet INTEGER NOT NULL DEFAULT 0,"
	"  last_packet INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE run_decode ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  reason TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, reason)) WITHOUT ROWID;"
	"CREATE TABLE capture_stats ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  iface TEXT NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  dropped INTEGER NOT NULL,"
	"  if_dropped INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, iface)) WITHOUT ROWID;"
	"CREATE TABLE service_stats ("
	"  resolution INTEGER NOT NULL,"
	"  bucket INTEGER NOT NULL,"
	"  service TEXT NOT NULL,"
	"  server_ip TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL,"
	"  method TEXT NOT NULL,"
	"  flows INTEGER NOT NULL,"
	"  pkts_c2s INTEGER NOT NULL,"
	"  pkts_s2c INTEGER NOT NULL,"
	"  bytes_c2s INTEGER NOT NULL,"
	"  bytes_s2c INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  protocol TEXT NOT NULL,"
	"  interface TEXT NOT NULL,"
	"  PRIMARY KEY (resolution, bucket, service, server_ip, port,"
	"    transport, vlan, method)) WITHOUT ROWID;"
	"CREATE TABLE service_clients ("
	"  service TEXT NOT NULL,"
	"  server_ip TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL,"
	"  client_ip TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (service, server_ip, port, transport, vlan, client_ip))"
	"  WITHOUT ROWID;"
	"CREATE TABLE hosts ("
	"  ip TEXT PRIMARY KEY,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE rpc_endpoints ("
	"  server_ip TEXT NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  uuid TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  clsid TEXT,"
	"  learned_at INTEGER NOT NULL,"
	"  refreshed_at INTEGER NOT NULL,"
	"  last_used INTEGER NOT NULL,"
	"  announcements INTEGER NOT NULL,"
	"  flows INTEGER NOT NULL,"
	"  moved_from INTEGER NOT NULL,"
	"  PRIMARY KEY (server_ip, transport, port, uuid)) WITHOUT ROWID;",
	/*
	 * 1 -> 2: alerts, one row per (kind, server, transport, port); the
	 * writer stores each alert's whole state, so a retried flush or a
	 * restart never counts a flow twice.
	 */
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  severity INTEGER NOT NULL,"
	"  server_ip TEXT NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  client_ip TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  protocol TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  events INTEGER NOT NULL,"
	"  suppressed INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  last_event INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  resolved_at INTEGER,"
	"  UNIQUE (kind, server_ip, transport, port));"
	"CREATE INDEX alerts_last_seen ON alerts (last_seen);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration step per schema version");

/*
 * The words stored for transports, methods and endpoint sources are part
 * of the schema (docs/schema.md), so the store spells them itself: a
 * renamed display string elsewhere must not change what the database
 * holds, and loading needs the way back from text to value.
 */
struct name {
	int		 value;
	const char	*name;
};

static const struct name transport_names[] = {
	{ TRANSPORT_TCP, "tcp" },
	{ TRANSPORT_UDP, "udp" },
	{ TRANSPORT_ICMP, "icmp" },
	{ TRANSPORT_GRE, "gre" },
	{ TRANSPORT_ESP, "esp" },
	{ TRANSPORT_AH, "ah" },
	{ TRANSPORT_ICMPV6, "icmpv6" },
	{ ENDPOINT_TRANSPORT_HTTP, "http" },
	{ 0, NULL }
};

static const struct name method_names[] = {
	{ METHOD_NONE, "none" },
	{ METHOD_PORT, "port" },
	{ METHOD_BIND, "bind" },
	{ METHOD_EPM, "epm" },
	{ 0, NULL }
};

static const struct name source_names[] = {
	{ EP_SOURCE_EPT_MAP, "ept_map" },
	{ EP_SOURCE_EPT_LOOKUP, "ept_lookup" },
	{ EP_SOURCE_BIND_ACK, "bind_ack" },
	{ EP_SOURCE_DCOM, "dcom" },
	{ 0, NULL }
};

static const char *
name_of(const struct name *t, int value)
{
	for (; t->name != NULL; t++)
		if (t->value == value)
			return t->name;
	return NULL;
}

static int
value_of(const struct name *t, const char *name, int *value)
{
	for (; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0) {
			*value = t->value;
			return 0;
		}
	return -1;
}

static const char *
method_word(int method)
{
	const char *n = name_of(method_names, method);

	return n != NULL ? n : "unknown";
}

static const char *
source_word(int source)
{
	const char *n = name_of(source_names, source);

	return n != NULL ? n : "unknown";
}

/* A transport's stored word; an unnamed IP protocol is its number. */
static const char *
transport_word(uint8_t proto, char buf[8])
{
	const char *n = name_of(transport_names, proto);

	if (n != NULL)
		return n;
	snprintf(buf, 8, "%u", proto);
	return buf;
}

/* Shared by the flush upsert and the rollups: counters add up. */
#define UPSERT_STATS \
	" ON CONFLICT (resolution, bucket, service, server_ip, port," \
	" transport, vlan, method) DO UPDATE SET" \
	" flows = flows + excluded.flows," \
	" pkts_c2s = pkts_c2s + excluded.pkts_c2s," \
	" pkts_s2c = pkts_s2c + excluded.pkts_s2c," \
	" bytes_c2s = bytes_c2s + excluded.bytes_c2s," \
	" bytes_s2c = bytes_s2c + excluded.bytes_s2c," \
	" first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)," \
	" protocol = CASE WHEN excluded.protocol <> ''" \
	"   THEN excluded.protocol ELSE protocol END," \
	" interface = CASE WHEN excluded.interface <> ''" \
	"   THEN excluded.interface ELSE interface END"

#define STATS_COLUMNS \
	"resolution, bucket, service, server_ip, port, transport, vlan," \
	" method, flows, pkts_c2s, pkts_s2c, bytes_c2s, bytes_s2c," \
	" first_seen, last_seen, protocol, interface"

/*
 * The flush upserts as head, one value tuple per row, and tail, so that
 * the flush can also write several rows with one statement.
 */
#define STATS_HEAD	"INSERT INTO service_stats (" STATS_COLUMNS ") VALUES "
#define CLIENT_HEAD \
	"INSERT INTO service_clients (service, server_ip, port, transport," \
	" vlan, client_ip, first_seen, last_seen) VALUES "
#define CLIENT_TAIL \
	" ON CONFLICT (service, server_ip, port, transport, vlan, client_ip)" \
	" DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)"
#define HOST_HEAD	"INSERT INTO hosts (ip, first_seen, last_seen) VALUES "
#define HOST_TAIL \
	" ON CONFLICT (ip) DO UPDATE SET" \
	" first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)"

enum {
	ST_RUN_BEGIN,
	ST_RUN_TOTALS,
	ST_RUN_DECODE,
	ST_STATS,
	ST_CLIENT,
	ST_HOST,
	ST_ENDPOINT,
	ST_ENDPOINT_MOVED,
	ST_CAPTURE,
	ST_ROLLUP,
	ST_DELETE_STATS,
	ST_DELETE_CLIENTS,
	ST_DELETE_HOSTS,
	ST_ALERT,
	ST__COUNT
};

static const char *const statements[ST__COUNT] = {
	[ST_RUN_BEGIN] =
	    "INSERT INTO runs (sensor, mode, inputs, started)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[ST_RUN_TOTALS] =
	    "UPDATE runs SET last_flush = ?2, packets = ?3, bytes = ?4,"
	    " pkt_classified = ?5, pkt_undocumented = ?6,"
	    " pkt_unmonitored = ?7, pkt_non_ip = ?8, pkt_malformed = ?9,"
	    " byte_classified = ?10, byte_undocumented = ?11,"
	    " byte_unmonitored = ?12, byte_non_ip = ?13,"
	    " byte_malformed = ?14, flows = ?15, flows_classified = ?16,"
	    " flows_undocumented = ?17, flows_unmonitored = ?18,"
	    " fragments = ?19, flows_evicted = ?20, flows_active = ?21,"
	    " dpi_mismatches = ?22, rpc_pdus = ?23, rpc_truncated = ?24,"
	    " rpc_invalid = ?25, rpc_gaps = ?26, epm_replies = ?27,"
	    " endpoints_learned = ?28, first_packet = ?29, last_packet = ?30"
	    " WHERE id = ?1",
	[ST_RUN_DECODE] =
	    "INSERT INTO run_decode (run_id, reason, count) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (run_id, reason) DO UPDATE SET count = excluded.count",
	[ST_STATS] =
	    STATS_HEAD "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?15, ?16, ?17)" UPSERT_STATS,
	[ST_CLIENT] =
	    CLIENT_HEAD "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" CLIENT_TAIL,
	[ST_HOST] =
	    HOST_HEAD "(?1, ?2, ?3)" HOST_TAIL,
	[ST_ENDPOINT] =
	    "INSERT INTO rpc_endpoints (server_ip, transport, port, uuid,"
	    " version, source, clsid, learned_at, refreshed_at, last_used,"
	    " announcements, flows, moved_from)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
	    " ON CONFLICT (server_ip, transport, port, uuid) DO UPDATE SET"
	    " version = excluded.version, source = excluded.source,"
	    " clsid = excluded.clsid, learned_at = excluded.learned_at,"
	    " refreshed_at = excluded.refreshed_at,"
	    " last_used = excluded.last_used,"
	    " announcements = excluded.announcements,"
	    " flows = excluded.flows, moved_from = excluded.moved_from",
	[ST_ENDPOINT_MOVED] =
	    "DELETE FROM rpc_endpoints WHERE server_ip = ?1 AND transport = ?2"
	    " AND port = ?3 AND uuid = ?4",
	[ST_CAPTURE] =
	    "INSERT INTO capture_stats (run_id, iface, received, dropped,"
	    " if_dropped, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (run_id, iface) DO UPDATE SET"
	    " received = excluded.received, dropped = excluded.dropped,"
	    " if_dropped = excluded.if_dropped, updated = excluded.updated",
	/*
	 * Rows go into the coarser bucket one at a time in time order, so
	 * the same upsert as the flush adds them up and the latest non-empty
	 * protocol wins.  SQLite reads the source rows into a temporary
	 * table first because the target is the same table.
	 */
	[ST_ROLLUP] =
	    "INSERT INTO service_stats (" STATS_COLUMNS ")"
	    " SELECT ?2, bucket - bucket % ?2, service, server_ip, port,"
	    " transport, vlan, method, flows, pkts_c2s, pkts_s2c, bytes_c2s,"
	    " bytes_s2c, first_seen, last_seen, protocol, interface"
	    " FROM service_stats WHERE resolution = ?1 AND bucket < ?3"
	    " ORDER BY bucket" UPSERT_STATS,
	[ST_DELETE_STATS] =
	    "DELETE FROM service_stats WHERE resolution = ?1 AND bucket < ?2",
	[ST_DELETE_CLIENTS] =
	    "DELETE FROM service_clients WHERE last_seen < ?1",
	[ST_DELETE_HOSTS] =
	    "DELETE FROM hosts WHERE last_seen < ?1",
	[ST_ALERT] =
	    "INSERT INTO alerts (kind, severity, server_ip, transport, port,"
	    " client_ip, service, protocol, detail, count, events, suppressed,"
	    " first_seen, last_seen, last_event, state, resolved_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, ?16, ?17)"
	    " ON CONFLICT (kind, server_ip, transport, port) DO UPDATE SET"
	    " severity = excluded.severity, client_ip = excluded.client_ip,"
	    " service = excluded.service, protocol = excluded.protocol,"
	    " detail = excluded.detail, count = excluded.count,"
	    " events = excluded.events, suppressed = excluded.suppressed,"
	    " first_seen = excluded.first_seen,"
	    " last_seen = excluded.last_seen,"
	    " last_event = excluded.last_event, state = excluded.state,"
	    " resolved_at = excluded.resolved_at"
	    " RETURNING id",
};

/*
 * The text of recently written addresses, direct-mapped by address.  A
 * flush writes mostly the servers and clients of the flush before, and
 * formatting an address (inet_ntop) cost more than binding the rest of
 * its row.  A collision only costs formatting again, and so does running
 * without the cache when it could not be allocated.
 */
#define ADDR_TEXT_SLOTS	4096	/* power of two */

struct addr_text {
	struct addr	 a;
	bool		 used;
	char		 text[ADDR_STRLEN];
};

/*
 * The flush upserts that can write several rows in one statement.  Each
 * statement costs a fixed overhead (run, reset, halt) beside its rows, a
 * quarter of a one-row upsert, so batches go in chunks of up to
 * UPSERT_MAX_ROWS rows, each chunk a power of two so that a handful of
 * statements, prepared on first use, serve every batch size.
 *
 * The rows go in the exact order of each table's primary key.  A new row
 * then lands next to the one before it: SQLite finds the place without
 * a search from the root while its cursor sits on the last row of the
 * table, which is where new buckets, and every row of a fresh database,
 * go; and a statement's journal holds few pages, since neighbours share
 * them.
 */
enum {
	UP_STATS,
	UP_CLIENT,
	UP_HOST,
	UP__COUNT
};

#define UPSERT_MAX_ROWS		64	/* power of two */
#define UPSERT_SIZES		7	/* 1, 2, 4, ..., 64 rows */

static const struct upsert {
	const char	*head;
	const char	*tail;
	int		 ncols;
	int		 single;	/* the one-row statement, ST_* */
	const char	*what;		/* table, for errors */
} upserts[UP__COUNT] = {
	[UP_STATS] = { STATS_HEAD, UPSERT_STATS, 17, ST_STATS,
	    "service_stats" },
	[UP_CLIENT] = { CLIENT_HEAD, CLIENT_TAIL, 8, ST_CLIENT,
	    "service_clients" },
	[UP_HOST] = { HOST_HEAD, HOST_TAIL, 3, ST_HOST, "hosts" },
};

/*
 * A row to upsert and the text of its addresses, which both orders the
 * rows and is bound.  While the text is being written its places are
 * offsets into the store's text buffer, which may move as it grows.
 */
struct upsert_ent {
	const void	*item;
	union {
		size_t		 off;
		const char	*text;
	}		 ip, ip2;
};

struct store {
	sqlite3			*db;
	bool			 readonly;
	sqlite3_stmt		*st[ST__COUNT];
	/* Several-row upserts by log2 of their rows; [0] is unused. */
	sqlite3_stmt		*multi[UP__COUNT][UPSERT_SIZES];
	/* The write order of one table's rows at a flush (reused). */
	struct upsert_ent	*ents;
	size_t			 ents_cap;
	char			*text;		/* the rows' address text */
	size_t			 text_len;
	size_t			 text_cap;
	/* Endpoint entries copied out of the table at a flush (reused). */
	struct endpoint_entry	*eps;
	size_t			 neps;
	size_t			 eps_cap;
	bool			 eps_failed;
	/* ADDR_TEXT_SLOTS entries, from the first flush on. */
	struct addr_text	*addr_text;
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
dberr(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	seterr(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

/* Counters are unsigned in memory and signed 64-bit in SQLite. */
static int
bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	return sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX :
	    (sqlite3_int64)v);
}

/* Run a bound statement to completion and make it ready for reuse. */
static int
step_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen,
    const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		dberr(db, err, errlen, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		dberr(db, err, errlen, sql);
		return -1;
	}
	return 0;
}

static void
rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* A file from a later svcmap: neither reader nor writer may touch it. */
static bool
schema_too_new(const char *path, int64_t version, char *err, size_t errlen)
{
	if (version <= STORE_SCHEMA_VERSION)
		return false;
	seterr(err, errlen, "%s: database schema version %" PRId64
	    " is newer than this svcmap (%d)", path, version,
	    STORE_SCHEMA_VERSION);
	return true;
}

/* One integer from a query such as a PRAGMA; -1 on error. */
static int
query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Bring the database from its user_version to nsteps by running the
 * missing steps, all in one transaction with the version bump: a failed
 * step leaves the file exactly as it was.  The version is read inside the
 * transaction, so two writers starting together cannot both migrate.
 */
static int
store_migrate(sqlite3 *db, const char *const *steps, int nsteps,
    char *err, size_t errlen)
{
	int64_t version, ntables;
	char sql[64];
	int v;

	if (exec(db, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (query_int(db, "PRAGMA user_version", &version) == -1 ||
	    query_int(db, "SELECT count(*) FROM sqlite_master", &ntables) ==
	    -1) {
		dberr(db, err, errlen, "reading the schema version");
		goto fail;
	}
	if (version > nsteps) {
		seterr(err, errlen, "database schema version %" PRId64
		    " is newer than this svcmap (%d)", version, nsteps);
		goto fail;
	}
	/* Version 0 with tables: some other program's database. */
	if (version == 0 && ntables > 0) {
		seterr(err, errlen, "not an svcmap database (it has tables "
		    "but no schema version)");
		goto fail;
	}
	if (version == nsteps) {
		rollback(db);
		return 0;
	}
	for (v = (int)version; v < nsteps; v++)
		if (sqlite3_exec(db, steps[v], NULL, NULL, NULL) != SQLITE_OK) {
			seterr(err, errlen, "migration to schema version %d: %s",
			    v + 1, sqlite3_errmsg(db));
			goto fail;
		}
	/* PRAGMA takes no parameters; the value is our own integer. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", nsteps);
	if (exec(db, sql, err, errlen) == -1 ||
	    exec(db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return -1;
}

/*
 * "file:" URI of a path for SQLITE_OPEN_URI, followed by `query`:
 * characters with a meaning in URIs ('?', '#', '%') and anything unusual
 * are percent-encoded.
 */
static int
path_uri(const char *path, const char *query, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o;
	const unsigned char *p;

	o = (size_t)snprintf(buf, len, "file:");
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (o + 4 >= len)
			return -1;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-_.~", *p) != NULL)
			buf[o++] = (char)*p;
		else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	if (o + strlen(query) + 1 > len)
		return -1;
	memcpy(buf + o, query, strlen(query) + 1);
	return 0;
}

/*
 * Why the database, or the directory that must hold its -wal and -shm
 * files, cannot be written, in the system's words; false if both can.
 */
static bool
unwritable(const char *path, char *why, size_t len)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	if (access(path, W_OK) == -1 && errno != ENOENT) {
		seterr(why, len, "%s", strerror(errno));
		return true;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	if (access(dir, W_OK) == -1) {
		seterr(why, len, "directory %s: %s", dir, strerror(errno));
		return true;
	}
	return false;
}

/*
 * The first read of a database failed.  SQLite's words for a file it
 * cannot use are terse ("unable to open database file" when the -shm file
 * cannot be made, "attempt to write a readonly database"), and only
 * SQLITE_NOTADB means the file is not a database: give the system's
 * reason with the others.
 */
static void
open_error(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char why[300];

	if (sqlite3_errcode(db) == SQLITE_NOTADB)
		seterr(err, errlen, "%s: not an svcmap database (%s)", path,
		    sqlite3_errmsg(db));
	else if (unwritable(path, why, sizeof(why)))
		seterr(err, errlen, "%s: %s (%s)", path, sqlite3_errmsg(db),
		    why);
	else
		seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
}

/* A read-only connection to a "file:" URI; NULL with err set. */
static sqlite3 *
reader_open(const char *path, const char *query, char *err, size_t errlen)
{
	char uri[4096];
	sqlite3 *db = NULL;

	if (path_uri(path, query, uri, sizeof(uri)) == -1) {
		seterr(err, errlen, "%s: path too long", path);
		return NULL;
	}
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK) {
		seterr(err, errlen, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	return db;
}

static sqlite3 *
open_readonly(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char wal[4096];
	sqlite3 *db;
	int64_t version;
	int rc;

	/* SQLite says only "unable to open database file": say why. */
	if (stat(path, &sb) == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((db = reader_open(path, "?mode=ro", err, errlen)) == NULL)
		return NULL;
	/*
	 * A WAL database on read-only media (a copy on a CD, a snapshot
	 * mounted read-only) or in a directory the reader may not write
	 * cannot be read the usual way: a reader needs -wal and -shm files
	 * that it cannot create there (SQLITE_CANTOPEN on a read-only file
	 * system, SQLITE_READONLY_DIRECTORY or _CANTINIT when only this user
	 * is refused).  With no -wal file beside it no writer is at work,
	 * so it is read as immutable.
	 */
	rc = query_int(db, "PRAGMA user_version", &version);
	if (rc == -1 && (sqlite3_errcode(db) == SQLITE_CANTOPEN ||
	    sqlite3_extended_errcode(db) == SQLITE_READONLY_DIRECTORY ||
	    sqlite3_extended_errcode(db) == SQLITE_READONLY_CANTINIT) &&
	    snprintf(wal, sizeof(wal), "%s-wal", path) < (int)sizeof(wal) &&
	    access(wal, F_OK) == -1 && errno == ENOENT) {
		sqlite3_close(db);
		if ((db = reader_open(path, "?mode=ro&immutable=1", err,
		    errlen)) == NULL)
			return NULL;
		rc = query_int(db, "PRAGMA user_version", &version);
	}
	if (rc == -1) {
		open_error(db, path, err, errlen);
		goto fail;
	}
	if (version == 0) {
		seterr(err, errlen, "%s: not an svcmap database", path);
		goto fail;
	}
	if (schema_too_new(path, version, err, errlen))
		goto fail;
	if (version < STORE_SCHEMA_VERSION) {
		seterr(err, errlen, "%s: database schema version %" PRId64
		    " is older than this svcmap (%d): start svcmapd once to "
		    "migrate it", path, version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

static sqlite3 *
open_writable(const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int64_t version;
	char msg[400], why[300];
	bool wal;

	/*
	 * One thread at a time uses the writer's connection (the main
	 * thread), so SQLite's own per-call mutexes are pure cost.
	 */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		seterr(err, errlen, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	/*
	 * SQLite opens a file it may not write read-only without a word;
	 * the first write would then fail with a message that names no
	 * cause.
	 */
	if (sqlite3_db_readonly(db, "main") == 1) {
		if (!unwritable(path, why, sizeof(why)))
			snprintf(why, sizeof(why), "SQLite opened it read-only");
		seterr(err, errlen, "%s: cannot write the database: %s", path,
		    why);
		goto fail;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* Refuse a newer or foreign file before changing its journal mode. */
	if (query_int(db, "PRAGMA user_version", &version) == -1) {
		open_error(db, path, err, errlen);
		goto fail;
	}
	if (schema_too_new(path, version, err, errlen))
		goto fail;
	/*
	 * WAL is what lets svcmapctl and the API read during a flush; a
	 * file system that cannot do it (no shared memory) is an error
	 * rather than a silent fallback to readers blocking the writer.
	 */
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		dberr(db, msg, sizeof(msg), "journal_mode");
		seterr(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	st = NULL;
	if (!wal) {
		seterr(err, errlen, "%s: cannot switch to WAL journal mode",
		    path);
		goto fail;
	}
	/* NORMAL in WAL mode: a power cut may lose the last commit only. */
	/* A flush's sorts and temporary b-trees are small: keep them off disk. */
	if (exec(db, "PRAGMA synchronous = NORMAL", msg, sizeof(msg)) == -1 ||
	    exec(db, "PRAGMA temp_store = MEMORY", msg, sizeof(msg)) == -1 ||
	    exec(db, "PRAGMA foreign_keys = ON", msg, sizeof(msg)) == -1 ||
	    store_migrate(db, migrations, STORE_SCHEMA_VERSION, msg,
	    sizeof(msg)) == -1) {
		seterr(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	return db;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

struct store *
store_open(const char *path, bool readonly, char *err, size_t errlen)
{
	struct store *s;
	int i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		seterr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->readonly = readonly;
	s->db = readonly ? open_readonly(path, err, errlen) :
	    open_writable(path, err, errlen);
	if (s->db == NULL) {
		free(s);
		return NULL;
	}
	if (!readonly)
		for (i = 0; i < ST__COUNT; i++)
			if (sqlite3_prepare_v3(s->db, statements[i], -1,
			    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
			    SQLITE_OK) {
				seterr(err, errlen, "%s: preparing statement "
				    "%d: %s", path, i, sqlite3_errmsg(s->db));
				store_close(s);
				return NULL;
			}
	return s;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < UP__COUNT * UPSERT_SIZES; i++)
		sqlite3_finalize(s->multi[i / UPSERT_SIZES][i % UPSERT_SIZES]);
	/* The last connection to close checkpoints and removes the WAL. */
	sqlite3_close(s->db);
	free(s->addr_text);
	free(s->ents);
	free(s->text);
	free(s->eps);
	free(s);
}

struct sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

int64_t
store_run_begin(struct store *s, const char *sensor, const char *mode,
    const char *inputs, int64_t started_s)
{
	sqlite3_stmt *st = s->st[ST_RUN_BEGIN];

	if (s->readonly)
		return -1;
	sqlite3_bind_text(st, 1, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, inputs, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, started_s);
	if (step_done(s->db, st, NULL, 0, "run") == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/* addr_fmt() through the cache; the text is copied so that it stays put. */
static char *
flush_addr(struct store *s, const struct addr *a, char buf[ADDR_STRLEN])
{
	struct addr_text *c;
	uint32_t w[4], h = 0;
	int i;

	if (s->addr_text == NULL && (s->addr_text = calloc(ADDR_TEXT_SLOTS,
	    sizeof(*s->addr_text))) == NULL)
		return addr_fmt(a, buf);
	memcpy(w, a->b, sizeof(w));
	for (i = 0; i < 4; i++)
		h = (h ^ w[i]) * 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	c = &s->addr_text[h & (ADDR_TEXT_SLOTS - 1)];
	if (!c->used || !addr_eq(&c->a, a)) {
		c->a = *a;
		c->used = true;
		addr_fmt(a, c->text);
	}
	memcpy(buf, c->text, strlen(c->text) + 1);
	return buf;
}

/*
 * Text a row's values point to while its statement runs: the address
 * text of the row's entry, or when there was no memory for the entries,
 * its own copies.
 */
struct row_text {
	const char	*ip;
	const char	*ip2;
	char		 ipbuf[ADDR_STRLEN];
	char		 ip2buf[ADDR_STRLEN];
	char		 tb[8];
};

static void
bind_row(sqlite3_stmt *st, int i, const void *item, struct row_text *t)
{
	const struct stats_row *r = item;

	sqlite3_bind_int64(st, i + 1, STORE_RES_MINUTE);
	sqlite3_bind_int64(st, i + 2, r->key.bucket);
	sqlite3_bind_text(st, i + 3, r->key.service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 4, t->ip, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 5, r->key.port);
	sqlite3_bind_text(st, i + 6, transport_word(r->key.transport, t->tb),
	    -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 7, r->key.vlan);
	sqlite3_bind_text(st, i + 8, method_word(r->key.method), -1,
	    SQLITE_STATIC);
	bind_u64(st, i + 9, r->flows);
	bind_u64(st, i + 10, r->pkts[FLOW_C2S]);
	bind_u64(st, i + 11, r->pkts[FLOW_S2C]);
	bind_u64(st, i + 12, r->bytes[FLOW_C2S]);
	bind_u64(st, i + 13, r->bytes[FLOW_S2C]);
	sqlite3_bind_int64(st, i + 14, r->first_s);
	sqlite3_bind_int64(st, i + 15, r->last_s);
	sqlite3_bind_text(st, i + 16, r->protocol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 17, r->interface, -1, SQLITE_STATIC);
}

static void
bind_client(sqlite3_stmt *st, int i, const void *item, struct row_text *t)
{
	const struct stats_client *c = item;

	sqlite3_bind_text(st, i + 1, c->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 2, t->ip, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 3, c->port);
	sqlite3_bind_text(st, i + 4, transport_word(c->transport, t->tb), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, i + 5, c->vlan);
	sqlite3_bind_text(st, i + 6, t->ip2, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, i + 7, c->first_s);
	sqlite3_bind_int64(st, i + 8, c->last_s);
}

static void
bind_host(sqlite3_stmt *st, int i, const void *item, struct row_text *t)
{
	const struct stats_host *h = item;

	sqlite3_bind_text(st, i + 1, t->ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, i + 2, h->first_s);
	sqlite3_bind_int64(st, i + 3, h->last_s);
}

static void (*const upsert_bind[UP__COUNT])(sqlite3_stmt *, int,
    const void *, struct row_text *) = {
	[UP_STATS] = bind_row,
	[UP_CLIENT] = bind_client,
	[UP_HOST] = bind_host,
};

/* The addresses of a row: its server, and a client's client. */
static const struct addr *
upsert_addr(int which, const void *item, bool second)
{
	const struct stats_client *c = item;

	switch (which) {
	case UP_STATS:
		return &((const struct stats_row *)item)->key.server;
	case UP_HOST:
		return &((const struct stats_host *)item)->server;
	}
	return second ? &c->client : &c->server;
}

/*
 * Compare as SQLite does: integers by value, text by its bytes
 * (strcmp() compares them as unsigned char, as memcmp() does).
 */
#define CMP(x, y)	((x) < (y) ? -1 : (x) > (y))

static int
cmp_transport(uint8_t a, uint8_t b)
{
	char ba[8], bb[8];

	if (a == b)
		return 0;
	return strcmp(transport_word(a, ba), transport_word(b, bb));
}

/* Primary key: resolution (one per flush), bucket, service, server_ip,
 * port, transport, vlan, method. */
static int
cmp_stats(const void *pa, const void *pb)
{
	const struct upsert_ent *ea = pa, *eb = pb;
	const struct stats_key *a = &((const struct stats_row *)ea->item)->key;
	const struct stats_key *b = &((const struct stats_row *)eb->item)->key;
	int c;

	if ((c = CMP(a->bucket, b->bucket)) != 0 ||
	    (c = strcmp(a->service, b->service)) != 0 ||
	    (c = strcmp(ea->ip.text, eb->ip.text)) != 0 ||
	    (c = CMP(a->port, b->port)) != 0 ||
	    (c = cmp_transport(a->transport, b->transport)) != 0 ||
	    (c = CMP(a->vlan, b->vlan)) != 0)
		return c;
	return a->method == b->method ? 0 :
	    strcmp(method_word(a->method), method_word(b->method));
}

/* Primary key: service, server_ip, port, transport, vlan, client_ip. */
static int
cmp_client(const void *pa, const void *pb)
{
	const struct upsert_ent *ea = pa, *eb = pb;
	const struct stats_client *a = ea->item, *b = eb->item;
	int c;

	if ((c = strcmp(a->service, b->service)) != 0 ||
	    (c = strcmp(ea->ip.text, eb->ip.text)) != 0 ||
	    (c = CMP(a->port, b->port)) != 0 ||
	    (c = cmp_transport(a->transport, b->transport)) != 0 ||
	    (c = CMP(a->vlan, b->vlan)) != 0)
		return c;
	return strcmp(ea->ip2.text, eb->ip2.text);
}

/* Primary key: ip. */
static int
cmp_host(const void *pa, const void *pb)
{
	const struct upsert_ent *ea = pa, *eb = pb;

	return strcmp(ea->ip.text, eb->ip.text);
}

static int (*const upsert_cmp[UP__COUNT])(const void *, const void *) = {
	[UP_STATS] = cmp_stats,
	[UP_CLIENT] = cmp_client,
	[UP_HOST] = cmp_host,
};

/* Append an address's text to the text buffer; its offset, or -1. */
static int
text_append(struct store *s, const struct addr *a, size_t *off)
{
	char buf[ADDR_STRLEN];
	size_t len, cap;
	char *t;

	flush_addr(s, a, buf);
	len = strlen(buf) + 1;
	if (s->text_cap - s->text_len < len) {
		cap = s->text_cap < 4096 ? 4096 : s->text_cap;
		while (cap - s->text_len < len)
			cap *= 2;
		if ((t = realloc(s->text, cap)) == NULL)
			return -1;
		s->text = t;
		s->text_cap = cap;
	}
	memcpy(s->text + s->text_len, buf, len);
	*off = s->text_len;
	s->text_len += len;
	return 0;
}

/*
 * The entries of n items in primary key order, in s->ents; false when
 * there was no memory for them, and the rows go in batch order.
 */
static bool
upsert_order(struct store *s, int which, const void *items, size_t size,
    size_t n)
{
	struct upsert_ent *e;
	size_t i;

	if (n == 0)
		return true;
	if (n > s->ents_cap) {
		if ((e = reallocarray(s->ents, n, sizeof(*e))) == NULL)
			return false;
		s->ents = e;
		s->ents_cap = n;
	}
	s->text_len = 0;
	for (i = 0; i < n; i++) {
		e = &s->ents[i];
		e->item = (const char *)items + i * size;
		if (text_append(s, upsert_addr(which, e->item, false),
		    &e->ip.off) == -1)
			return false;
		e->ip2.off = e->ip.off;
		if (which == UP_CLIENT && text_append(s, upsert_addr(which,
		    e->item, true), &e->ip2.off) == -1)
			return false;
	}
	for (i = 0; i < n; i++) {
		e = &s->ents[i];
		e->ip.text = s->text + e->ip.off;
		e->ip2.text = s->text + e->ip2.off;
	}
	qsort(s->ents, n, sizeof(*s->ents), upsert_cmp[which]);
	return true;
}

/* The statement writing 2^lg rows of one table; prepared on first use. */
static sqlite3_stmt *
upsert_stmt(struct store *s, int which, int lg, char *err, size_t errlen)
{
	const struct upsert *u = &upserts[which];
	char sql[4096];
	size_t len;
	int r, c;

	if (lg == 0)
		return s->st[u->single];
	if (s->multi[which][lg] != NULL)
		return s->multi[which][lg];
	/* Anonymous parameters number themselves: r * ncols + c + 1. */
	len = (size_t)snprintf(sql, sizeof(sql), "%s", u->head);
	for (r = 0; r < 1 << lg && len < sizeof(sql); r++)
		for (c = 0; c < u->ncols && len < sizeof(sql); c++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
			    "%s?%s", c > 0 ? "" : r > 0 ? ",(" : "(",
			    c < u->ncols - 1 ? "," : ")");
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s",
		    u->tail);
	if (len >= sizeof(sql)) {
		seterr(err, errlen, "%s: statement too long", u->what);
		return NULL;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->multi[which][lg], NULL) != SQLITE_OK) {
		dberr(s->db, err, errlen, u->what);
		return NULL;
	}
	return s->multi[which][lg];
}

/*
 * Upsert n items of one table, the largest chunks first: the result is
 * the same as one statement per item in any order, since the items of a
 * batch have distinct keys.
 */
static int
flush_upserts(struct store *s, int which, const void *items, size_t size,
    size_t n, char *err, size_t errlen)
{
	struct row_text text[UPSERT_MAX_ROWS];
	const struct upsert *u = &upserts[which];
	const struct addr *a;
	const void *item;
	struct row_text *t;
	sqlite3_stmt *st;
	size_t i, j, k;
	bool ordered;
	int lg;

	ordered = upsert_order(s, which, items, size, n);
	for (i = 0; i < n; i += k) {
		for (lg = UPSERT_SIZES - 1; (size_t)1 << lg > n - i; lg--)
			continue;
		k = (size_t)1 << lg;
		if ((st = upsert_stmt(s, which, lg, err, errlen)) == NULL)
			return -1;
		for (j = 0; j < k; j++) {
			t = &text[j];
			if (ordered) {
				item = s->ents[i + j].item;
				t->ip = s->ents[i + j].ip.text;
				t->ip2 = s->ents[i + j].ip2.text;
			} else {
				item = (const char *)items + (i + j) * size;
				a = upsert_addr(which, item, false);
				t->ip = t->ip2 = flush_addr(s, a, t->ipbuf);
				if (which == UP_CLIENT) {
					a = upsert_addr(which, item, true);
					t->ip2 = flush_addr(s, a, t->ip2buf);
				}
			}
			upsert_bind[which](st, (int)j * u->ncols, item, t);
		}
		if (step_done(s->db, st, err, errlen, u->what) == -1)
			return -1;
	}
	return 0;
}

static int
flush_totals(struct store *s, int64_t run_id, const struct run_totals *t,
    int64_t now_s, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_RUN_TOTALS], *d = s->st[ST_RUN_DECODE];
	int i;

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, now_s);
	bind_u64(st, 3, t->packets);
	bind_u64(st, 4, t->bytes);
	for (i = 0; i < PKT__COUNT; i++) {
		bind_u64(st, 5 + i, t->pkt_class[i]);
		bind_u64(st, 10 + i, t->byte_class[i]);
	}
	bind_u64(st, 15, t->flows);
	bind_u64(st, 16, t->flow_class[FLOW_CLASSIFIED]);
	bind_u64(st, 17, t->flow_class[FLOW_UNDOCUMENTED]);
	bind_u64(st, 18, t->flow_class[FLOW_UNMONITORED]);
	bind_u64(st, 19, t->fragments);
	bind_u64(st, 20, t->flows_evicted);
	bind_u64(st, 21, t->flows_active);
	bind_u64(st, 22, t->dpi_mismatches);
	bind_u64(st, 23, t->rpc_pdus);
	bind_u64(st, 24, t->rpc_truncated);
	bind_u64(st, 25, t->rpc_invalid);
	bind_u64(st, 26, t->rpc_gaps);
	bind_u64(st, 27, t->epm_replies);
	bind_u64(st, 28, t->endpoints_learned);
	sqlite3_bind_int64(st, 29, t->first_s);
	sqlite3_bind_int64(st, 30, t->last_s);
	if (step_done(s->db, st, err, errlen, "runs") == -1)
		return -1;
	if (sqlite3_changes(s->db) != 1) {
		seterr(err, errlen, "runs: no run %" PRId64, run_id);
		return -1;
	}

	/* Counts only grow within a run: a reason once stored stays. */
	for (i = 0; i < DR__COUNT; i++) {
		if (t->decode[i] == 0)
			continue;
		sqlite3_bind_int64(d, 1, run_id);
		sqlite3_bind_text(d, 2, decode_reason_name(i), -1,
		    SQLITE_STATIC);
		bind_u64(d, 3, t->decode[i]);
		if (step_done(s->db, d, err, errlen, "run_decode") == -1)
			return -1;
	}
	return 0;
}

static void
collect_endpoint(void *arg, const struct endpoint_entry *e)
{
	struct store *s = arg;
	struct endpoint_entry *n;
	size_t cap;

	if (s->eps_failed)
		return;
	if (s->neps == s->eps_cap) {
		cap = s->eps_cap ? s->eps_cap * 2 : 64;
		if ((n = reallocarray(s->eps, cap, sizeof(*n))) == NULL) {
			s->eps_failed = true;
			return;
		}
		s->eps = n;
		s->eps_cap = cap;
	}
	s->eps[s->neps++] = *e;
}

static int
flush_endpoint(struct store *s, const struct endpoint_entry *e, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_ENDPOINT], *m = s->st[ST_ENDPOINT_MOVED];
	char ip[ADDR_STRLEN], u[UUID_STRLEN], c[UUID_STRLEN], ver[16], tb[8];
	const char *tr = transport_word(e->transport, tb);

	flush_addr(s, &e->ip, ip);
	uuid_fmt(e->uuid, u);
	/*
	 * The interface left its old port (a service restart): forget that
	 * row, or the next start would restore an endpoint that is gone.
	 */
	if (e->moved_from != 0 && e->moved_from != e->port) {
		sqlite3_bind_text(m, 1, ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(m, 2, tr, -1, SQLITE_STATIC);
		sqlite3_bind_int(m, 3, e->moved_from);
		sqlite3_bind_text(m, 4, u, -1, SQLITE_STATIC);
		if (step_done(s->db, m, err, errlen, "rpc_endpoints") == -1)
			return -1;
	}
	snprintf(ver, sizeof(ver), "%u.%u", e->ver_major, e->ver_minor);
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, e->port);
	sqlite3_bind_text(st, 4, u, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ver, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, source_word(e->source), -1,
	    SQLITE_STATIC);
	if (e->has_clsid)
		sqlite3_bind_text(st, 7, uuid_fmt(e->clsid, c), -1,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)(e->learned_us / US_PER_S));
	sqlite3_bind_int64(st, 9,
	    (sqlite3_int64)(e->refreshed_us / US_PER_S));
	sqlite3_bind_int64(st, 10,
	    (sqlite3_int64)(e->last_used_us / US_PER_S));
	sqlite3_bind_int64(st, 11, e->announcements);
	sqlite3_bind_int64(st, 12, e->flows);
	sqlite3_bind_int(st, 13, e->moved_from);
	return step_done(s->db, st, err, errlen, "rpc_endpoints");
}

/*
 * Endpoints: only the entries changed since the last flush are written.
 * endpoint_foreach() clears their dirty marks as it copies them out (so
 * the table's lock is not held across SQLite I/O); if the transaction
 * then fails, every entry is marked dirty again and the next flush
 * rewrites the table.  Rewriting all of it at every flush instead cost
 * more than half of svcmapd's CPU in the benchmark (docs/benchmark.md).
 */
int
store_flush(struct store *s, int64_t run_id, const struct stats_batch *batch,
    const struct run_totals *totals, struct endpoint_table *endpoints,
    int64_t now_s, char *err, size_t errlen)
{
	const struct stats_row *rows;
	const struct stats_client *clients;
	const struct stats_host *hosts;
	size_t i, n;

	if (s->readonly) {
		seterr(err, errlen, "store opened read-only");
		return -1;
	}
	s->neps = 0;
	s->eps_failed = false;
	if (endpoints != NULL) {
		endpoint_foreach(endpoints, true, collect_endpoint, s);
		if (s->eps_failed) {
			endpoint_mark_all_dirty(endpoints);
			seterr(err, errlen, "rpc_endpoints: out of memory");
			return -1;
		}
	}
	if (exec(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		goto fail;
	if (batch != NULL) {
		rows = stats_batch_rows(batch);
		clients = stats_batch_clients(batch);
		/* A host once per flush, not once per row of it. */
		if (stats_batch_hosts(batch, &hosts, &n) == -1) {
			seterr(err, errlen, "hosts: out of memory");
			goto fail;
		}
		if (flush_upserts(s, UP_STATS, rows, sizeof(*rows),
		    stats_batch_nrows(batch), err, errlen) == -1 ||
		    flush_upserts(s, UP_HOST, hosts, sizeof(*hosts), n,
		    err, errlen) == -1 ||
		    flush_upserts(s, UP_CLIENT, clients, sizeof(*clients),
		    stats_batch_nclients(batch), err, errlen) == -1)
			goto fail;
	}
	if (totals != NULL &&
	    flush_totals(s, run_id, totals, now_s, err, errlen) == -1)
		goto fail;
	for (i = 0; i < s->neps; i++)
		if (flush_endpoint(s, &s->eps[i], err, errlen) == -1)
			goto fail;
	if (exec(s->db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	rollback(s->db);
	if (endpoints != NULL && s->neps > 0)
		endpoint_mark_all_dirty(endpoints);
	return -1;
}

int
store_capture_stats(struct store *s, int64_t run_id, const char *iface,
    uint64_t received, uint64_t dropped, uint64_t if_dropped)
{
	sqlite3_stmt *st = s->st[ST_CAPTURE];

	if (s->readonly)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, iface, -1, SQLITE_STATIC);
	bind_u64(st, 3, received);
	bind_u64(st, 4, dropped);
	bind_u64(st, 5, if_dropped);
	/* Wall clock: capture counters are read from a live interface. */
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	return step_done(s->db, st, NULL, 0, "capture_stats");
}

/* One stored endpoint row back into an entry; -1 if a field is bad. */
static int
parse_endpoint(sqlite3_stmt *st, struct endpoint_entry *e)
{
	const char *ip = (const char *)sqlite3_column_text(st, 0);
	const char *tr = (const char *)sqlite3_column_text(st, 1);
	const char *u = (const char *)sqlite3_column_text(st, 3);
	const char *ver = (const char *)sqlite3_column_text(st, 4);
	const char *src = (const char *)sqlite3_column_text(st, 5);
	const char *clsid = (const char *)sqlite3_column_text(st, 6);
	int port = sqlite3_column_int(st, 2), moved = sqlite3_column_int(st, 12);
	unsigned major, minor;
	int v;

	memset(e, 0, sizeof(*e));
	if (ip == NULL || tr == NULL || u == NULL || ver == NULL ||
	    src == NULL || addr_parse(&e->ip, ip) == -1 ||
	    value_of(transport_names, tr, &v) == -1 || uuid_parse(e->uuid, u)
	    == -1 || sscanf(ver, "%u.%u", &major, &minor) != 2 ||
	    major > UINT16_MAX || minor > UINT16_MAX || port < 0 ||
	    port > UINT16_MAX || moved < 0 || moved > UINT16_MAX)
		return -1;
	e->transport = (uint8_t)v;
	e->port = (uint16_t)port;
	e->ver_major = (uint16_t)major;
	e->ver_minor = (uint16_t)minor;
	if (value_of(source_names, src, &v) == -1)
		return -1;
	e->source = (enum endpoint_source)v;
	if (clsid != NULL) {
		if (uuid_parse(e->clsid, clsid) == -1)
			return -1;
		e->has_clsid = true;
	}
	e->learned_us = (uint64_t)sqlite3_column_int64(st, 7) * US_PER_S;
	e->refreshed_us = (uint64_t)sqlite3_column_int64(st, 8) * US_PER_S;
	e->last_used_us = (uint64_t)sqlite3_column_int64(st, 9) * US_PER_S;
	e->announcements = (uint32_t)sqlite3_column_int64(st, 10);
	e->flows = (uint32_t)sqlite3_column_int64(st, 11);
	e->moved_from = (uint16_t)moved;
	e->dirty = false;
	return 0;
}

/*
 * Oldest refresh first: if the table is smaller than what was saved, the
 * ones it keeps (it drops the least recently used) are the freshest.
 */
int
store_load_endpoints(struct store *s, struct endpoint_table *t, char *err,
    size_t errlen)
{
	static const char sql[] =
	    "SELECT server_ip, transport, port, uuid, version, source, clsid,"
	    " learned_at, refreshed_at, last_used, announcements, flows,"
	    " moved_from FROM rpc_endpoints"
	    " ORDER BY refreshed_at, server_ip, transport, port, uuid";
	struct endpoint_entry e;
	sqlite3_stmt *st;
	size_t bad = 0, refused = 0;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		dberr(s->db, err, errlen, "rpc_endpoints");
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (parse_endpoint(st, &e) == -1)
			bad++;
		else if (endpoint_restore(t, &e) == -1)
			refused++;
	}
	if (rc != SQLITE_DONE) {
		dberr(s->db, err, errlen, "rpc_endpoints");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (bad > 0 || refused > 0)
		log_warnx("learned endpoints: %zu unreadable rows skipped, "
		    "%zu not restored", bad, refused);
	return 0;
}

static int
flush_alert(struct store *s, struct alert_record *r, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_ALERT];
	char ip[ADDR_STRLEN], cl[ADDR_STRLEN], tb[8];
	int rc;

	sqlite3_bind_text(st, 1, alert_kind_name(r->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->severity);
	sqlite3_bind_text(st, 3, addr_fmt(&r->server, ip), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, transport_word(r->transport, tb), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 5, r->port);
	sqlite3_bind_text(st, 6, addr_fmt(&r->client, cl), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->protocol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->detail, -1, SQLITE_STATIC);
	bind_u64(st, 10, r->count);
	bind_u64(st, 11, r->events);
	bind_u64(st, 12, r->suppressed);
	sqlite3_bind_int64(st, 13, r->first_seen);
	sqlite3_bind_int64(st, 14, r->last_seen);
	sqlite3_bind_int64(st, 15, r->last_event);
	sqlite3_bind_text(st, 16, r->resolved_at != 0 ? "resolved" : "open",
	    -1, SQLITE_STATIC);
	if (r->resolved_at != 0)
		sqlite3_bind_int64(st, 17, r->resolved_at);
	else
		sqlite3_bind_null(st, 17);
	/* RETURNING gives the row then DONE; the row must be read first. */
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		dberr(s->db, err, errlen, "alerts");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The alert rows of a batch, in their own transaction after the
 * statistics: each row holds the alert's whole state, so writing a batch
 * again (a retry) changes nothing.  Sets each record's id.
 */
int
store_alerts(struct store *s, struct alert_batch *b, char *err,
    size_t errlen)
{
	struct alert_record *r;
	size_t i, n;

	if (s->readonly) {
		seterr(err, errlen, "store opened read-only");
		return -1;
	}
	r = alert_batch_records(b, &n);
	if (n == 0)
		return 0;
	if (exec(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (flush_alert(s, &r[i], err, errlen) == -1)
			goto fail;
	if (exec(s->db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	rollback(s->db);
	return -1;
}

static int
parse_alert(sqlite3_stmt *st, struct alert_record *r)
{
	const char *kind = (const char *)sqlite3_column_text(st, 1);
	const char *ip = (const char *)sqlite3_column_text(st, 3);
	const char *tr = (const char *)sqlite3_column_text(st, 4);
	const char *cl = (const char *)sqlite3_column_text(st, 6);
	int port = sqlite3_column_int(st, 5), k, v;

	memset(r, 0, sizeof(*r));
	if (kind == NULL || ip == NULL || tr == NULL || cl == NULL ||
	    (k = alert_kind_find(kind)) == -1 ||
	    addr_parse(&r->server, ip) == -1 ||
	    addr_parse(&r->client, cl) == -1 ||
	    value_of(transport_names, tr, &v) == -1 || port < 0 ||
	    port > UINT16_MAX)
		return -1;
	r->id = sqlite3_column_int64(st, 0);
	r->kind = (uint8_t)k;
	r->severity = (uint8_t)sqlite3_column_int(st, 2);
	r->transport = (uint8_t)v;
	r->port = (uint16_t)port;
	snprintf(r->service, sizeof(r->service), "%s",
	    (const char *)sqlite3_column_text(st, 7));
	snprintf(r->protocol, sizeof(r->protocol), "%s",
	    (const char *)sqlite3_column_text(st, 8));
	snprintf(r->detail, sizeof(r->detail), "%s",
	    (const char *)sqlite3_column_text(st, 9));
	r->count = (uint64_t)sqlite3_column_int64(st, 10);
	r->events = (uint64_t)sqlite3_column_int64(st, 11);
	r->suppressed = (uint64_t)sqlite3_column_int64(st, 12);
	r->first_seen = sqlite3_column_int64(st, 13);
	r->last_seen = sqlite3_column_int64(st, 14);
	r->last_event = sqlite3_column_int64(st, 15);
	r->resolved_at = sqlite3_column_int64(st, 16);
	return 0;
}

int
store_alert_rows(struct store *s, const char *kind, int64_t since,
    void (*fn)(void *, const struct alert_record *), void *arg, char *err,
    size_t errlen)
{
	static const char sql[] =
	    "SELECT id, kind, severity, server_ip, transport, port, client_ip,"
	    " service, protocol, detail, count, events, suppressed, first_seen,"
	    " last_seen, last_event, coalesce(resolved_at, 0) FROM alerts"
	    " WHERE (?1 IS NULL OR kind = ?1) AND last_seen >= ?2"
	    " ORDER BY id";
	struct alert_record r;
	sqlite3_stmt *st;
	size_t bad = 0;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		dberr(s->db, err, errlen, "alerts");
		return -1;
	}
	if (kind != NULL)
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (parse_alert(st, &r) == -1)
			bad++;
		else
			fn(arg, &r);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dberr(s->db, err, errlen, "alerts");
		return -1;
	}
	if (bad > 0)
		log_warnx("alerts: %zu unreadable rows skipped", bad);
	return 0;
}

static void
restore_alert(void *arg, const struct alert_record *r)
{
	alert_restore(arg, r);
}

/*
 * Dedup state after a restart: the alert rows, the (server, service)
 * pairs served before (new_service), and the first packet ever stored
 * (the learning period runs from there).  Latest alerts first, so a
 * table smaller than the saved rows keeps the live ones.
 */
int
store_load_alerts(struct store *s, struct alerts *a, char *err,
    size_t errlen)
{
	static const char known[] =
	    "SELECT DISTINCT server_ip, service FROM service_stats"
	    " WHERE service <> ''";
	struct addr ip;
	sqlite3_stmt *st;
	int64_t first;
	int rc;

	if (store_alert_rows(s, NULL, 0, restore_alert, a, err, errlen) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, known, -1, &st, NULL) != SQLITE_OK) {
		dberr(s->db, err, errlen, "service_stats");
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (addr_parse(&ip, (const char *)sqlite3_column_text(st, 0))
		    == 0)
			alert_restore_known(a, &ip,
			    (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dberr(s->db, err, errlen, "service_stats");
		return -1;
	}
	if (query_int(s->db, "SELECT coalesce(min(first_packet), 0) FROM runs"
	    " WHERE first_packet > 0", &first) == 0 && first > 0)
		alert_restore_start(a, (uint64_t)first * US_PER_S);
	return 0;
}

/* Roll rows of resolution `from` older than cutoff into `to` rows. */
static int
rollup(struct store *s, int64_t from, int64_t to, int64_t cutoff, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_ROLLUP], *d = s->st[ST_DELETE_STATS];

	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, cutoff);
	if (step_done(s->db, st, err, errlen, "rollup") == -1)
		return -1;
	sqlite3_bind_int64(d, 1, from);
	sqlite3_bind_int64(d, 2, cutoff);
	return step_done(s->db, d, err, errlen, "rollup");
}

/*
 * Rows are rolled whole: a minute row whose bucket starts before the
 * cutoff goes into its hour (UTC) and is deleted; a later flush or prune
 * that brings more minutes of the same hour adds to that hour row.  With
 * a day retention, clients and hosts not seen within it go as well.
 */
int
store_prune(struct store *s, const struct store_retention *r, int64_t now_s,
    char *err, size_t errlen)
{
	int64_t day_cutoff;

	if (s->readonly) {
		seterr(err, errlen, "store opened read-only");
		return -1;
	}
	if (exec(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		goto fail;
	if (rollup(s, STORE_RES_MINUTE, STORE_RES_HOUR,
	    now_s - (int64_t)r->minute_days * 86400, err, errlen) == -1 ||
	    rollup(s, STORE_RES_HOUR, STORE_RES_DAY,
	    now_s - (int64_t)r->hour_days * 86400, err, errlen) == -1)
		goto fail;
	if (r->day_days != 0) {
		day_cutoff = now_s - (int64_t)r->day_days * 86400;
		sqlite3_bind_int64(s->st[ST_DELETE_STATS], 1, STORE_RES_DAY);
		sqlite3_bind_int64(s->st[ST_DELETE_STATS], 2, day_cutoff);
		sqlite3_bind_int64(s->st[ST_DELETE_CLIENTS], 1, day_cutoff);
		sqlite3_bind_int64(s->st[ST_DELETE_HOSTS], 1, day_cutoff);
		if (step_done(s->db, s->st[ST_DELETE_STATS], err, errlen,
		    "prune") == -1 ||
		    step_done(s->db, s->st[ST_DELETE_CLIENTS], err, errlen,
		    "prune") == -1 ||
		    step_done(s->db, s->st[ST_DELETE_HOSTS], err, errlen,
		    "prune") == -1)
			goto fail;
	}
	if (exec(s->db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	rollback(s->db);
	return -1;
}
