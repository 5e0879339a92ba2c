/*
 * sqlite_open.c - the SQLite back end: open, schema and migrations, and
 * the helpers its other files share (sqlite_int.h).
 *
 * One connection writes (the daemon's writer thread); any number read
 * (svcmapctl, the HTTP API) through read-only connections.  WAL mode lets
 * the readers see the last committed flush while a new one is being
 * written.  Every data statement is prepared once at open and reused, so a
 * flush costs no SQL parsing, and values are always bound, never pasted.
 *
 * Addresses are stored as 16-byte BLOBs (IPv4 v4-mapped, struct addr);
 * every connection gets two SQL functions, svcmap_ip_text(blob) for the
 * readers' output and order and svcmap_ip_blob(text) for the migration.
 *
 * The schema is documented table by table in docs/schema.md; any change
 * here goes there too, as a new migration step.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "svcmap/catalog.h"
#include "svcmap/endpoint.h"
#include "svcmap/flow.h"
#include "svcmap/store.h"
#include "svcmap/transport.h"
#include "sqlite_int.h"

/*
 * Migrations: step i takes a database from user_version i to i + 1.
 * Schema v1 is itself step 0, so creating a database and upgrading an
 * old one run the same code.  A new version appends a step and raises
 * STORE_SCHEMA_VERSION; docs/schema.md describes each.
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
	/*
	 * 2 -> 3: sensor in the key of every observation, addresses as
	 * 16-byte BLOBs (IPv4 v4-mapped), and the run counters as name/value
	 * rows so that a new counter needs no migration.  The rows of a v2
	 * file were all one sensor's: they become the sensor of its latest
	 * run (the opener's when it has none).  svcmap_ip_blob() is NULL for
	 * text that is no address, which a NOT NULL column refuses: the
	 * migration then fails whole and the file stays as it was.
	 */
	"CREATE TEMP TABLE migrate_sensor AS SELECT coalesce("
	"  (SELECT sensor FROM runs ORDER BY id DESC LIMIT 1),"
	"  svcmap_sensor()) AS name;"
	"CREATE TABLE run_counters ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, name)) WITHOUT ROWID;"
	"INSERT INTO run_counters (run_id, name, value)"
	"  SELECT id, 'packets', packets FROM runs"
	"  UNION ALL SELECT id, 'bytes', bytes FROM runs"
	"  UNION ALL SELECT id, 'pkt_classified', pkt_classified FROM runs"
	"  UNION ALL SELECT id, 'pkt_undocumented', pkt_undocumented FROM runs"
	"  UNION ALL SELECT id, 'pkt_unmonitored', pkt_unmonitored FROM runs"
	"  UNION ALL SELECT id, 'pkt_non_ip', pkt_non_ip FROM runs"
	"  UNION ALL SELECT id, 'pkt_malformed', pkt_malformed FROM runs"
	"  UNION ALL SELECT id, 'byte_classified', byte_classified FROM runs"
	"  UNION ALL SELECT id, 'byte_undocumented', byte_undocumented FROM runs"
	"  UNION ALL SELECT id, 'byte_unmonitored', byte_unmonitored FROM runs"
	"  UNION ALL SELECT id, 'byte_non_ip', byte_non_ip FROM runs"
	"  UNION ALL SELECT id, 'byte_malformed', byte_malformed FROM runs"
	"  UNION ALL SELECT id, 'flows', flows FROM runs"
	"  UNION ALL SELECT id, 'flows_classified', flows_classified FROM runs"
	"  UNION ALL SELECT id, 'flows_undocumented', flows_undocumented FROM runs"
	"  UNION ALL SELECT id, 'flows_unmonitored', flows_unmonitored FROM runs"
	"  UNION ALL SELECT id, 'fragments', fragments FROM runs"
	"  UNION ALL SELECT id, 'flows_evicted', flows_evicted FROM runs"
	"  UNION ALL SELECT id, 'flows_active', flows_active FROM runs"
	"  UNION ALL SELECT id, 'dpi_mismatches', dpi_mismatches FROM runs"
	"  UNION ALL SELECT id, 'rpc_pdus', rpc_pdus FROM runs"
	"  UNION ALL SELECT id, 'rpc_truncated', rpc_truncated FROM runs"
	"  UNION ALL SELECT id, 'rpc_invalid', rpc_invalid FROM runs"
	"  UNION ALL SELECT id, 'rpc_gaps', rpc_gaps FROM runs"
	"  UNION ALL SELECT id, 'epm_replies', epm_replies FROM runs"
	"  UNION ALL SELECT id, 'endpoints_learned', endpoints_learned FROM runs;"
	"ALTER TABLE runs DROP COLUMN packets;"
	"ALTER TABLE runs DROP COLUMN bytes;"
	"ALTER TABLE runs DROP COLUMN pkt_classified;"
	"ALTER TABLE runs DROP COLUMN pkt_undocumented;"
	"ALTER TABLE runs DROP COLUMN pkt_unmonitored;"
	"ALTER TABLE runs DROP COLUMN pkt_non_ip;"
	"ALTER TABLE runs DROP COLUMN pkt_malformed;"
	"ALTER TABLE runs DROP COLUMN byte_classified;"
	"ALTER TABLE runs DROP COLUMN byte_undocumented;"
	"ALTER TABLE runs DROP COLUMN byte_unmonitored;"
	"ALTER TABLE runs DROP COLUMN byte_non_ip;"
	"ALTER TABLE runs DROP COLUMN byte_malformed;"
	"ALTER TABLE runs DROP COLUMN flows;"
	"ALTER TABLE runs DROP COLUMN flows_classified;"
	"ALTER TABLE runs DROP COLUMN flows_undocumented;"
	"ALTER TABLE runs DROP COLUMN flows_unmonitored;"
	"ALTER TABLE runs DROP COLUMN fragments;"
	"ALTER TABLE runs DROP COLUMN flows_evicted;"
	"ALTER TABLE runs DROP COLUMN flows_active;"
	"ALTER TABLE runs DROP COLUMN dpi_mismatches;"
	"ALTER TABLE runs DROP COLUMN rpc_pdus;"
	"ALTER TABLE runs DROP COLUMN rpc_truncated;"
	"ALTER TABLE runs DROP COLUMN rpc_invalid;"
	"ALTER TABLE runs DROP COLUMN rpc_gaps;"
	"ALTER TABLE runs DROP COLUMN epm_replies;"
	"ALTER TABLE runs DROP COLUMN endpoints_learned;"
	"CREATE TABLE service_stats3 ("
	"  resolution INTEGER NOT NULL,"
	"  bucket INTEGER NOT NULL,"
	"  sensor TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
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
	"  PRIMARY KEY (resolution, bucket, sensor, service, server_ip, port,"
	"    transport, vlan, method)) WITHOUT ROWID;"
	"INSERT INTO service_stats3 SELECT resolution, bucket,"
	"  (SELECT name FROM migrate_sensor), service,"
	"  svcmap_ip_blob(server_ip), port, transport, vlan, method, flows,"
	"  pkts_c2s, pkts_s2c, bytes_c2s, bytes_s2c, first_seen, last_seen,"
	"  protocol, interface FROM service_stats;"
	"DROP TABLE service_stats;"
	"ALTER TABLE service_stats3 RENAME TO service_stats;"
	"CREATE TABLE service_clients3 ("
	"  sensor TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL,"
	"  client_ip BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, service, server_ip, port, transport, vlan,"
	"    client_ip)) WITHOUT ROWID;"
	"INSERT INTO service_clients3 SELECT (SELECT name FROM migrate_sensor),"
	"  service, svcmap_ip_blob(server_ip), port, transport, vlan,"
	"  svcmap_ip_blob(client_ip), first_seen, last_seen"
	"  FROM service_clients;"
	"DROP TABLE service_clients;"
	"ALTER TABLE service_clients3 RENAME TO service_clients;"
	"CREATE TABLE hosts3 ("
	"  sensor TEXT NOT NULL,"
	"  ip BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, ip)) WITHOUT ROWID;"
	"INSERT INTO hosts3 SELECT (SELECT name FROM migrate_sensor),"
	"  svcmap_ip_blob(ip), first_seen, last_seen FROM hosts;"
	"DROP TABLE hosts;"
	"ALTER TABLE hosts3 RENAME TO hosts;"
	"CREATE TABLE rpc_endpoints3 ("
	"  sensor TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
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
	"  PRIMARY KEY (sensor, server_ip, transport, port, uuid))"
	"  WITHOUT ROWID;"
	"INSERT INTO rpc_endpoints3 SELECT (SELECT name FROM migrate_sensor),"
	"  svcmap_ip_blob(server_ip), transport, port, uuid, version, source,"
	"  clsid, learned_at, refreshed_at, last_used, announcements, flows,"
	"  moved_from FROM rpc_endpoints;"
	"DROP TABLE rpc_endpoints;"
	"ALTER TABLE rpc_endpoints3 RENAME TO rpc_endpoints;"
	"CREATE TABLE alerts3 ("
	"  id INTEGER PRIMARY KEY,"
	"  sensor TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  severity INTEGER NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  client_ip BLOB NOT NULL,"
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
	"  UNIQUE (sensor, kind, server_ip, transport, port));"
	"INSERT INTO alerts3 SELECT id, (SELECT name FROM migrate_sensor), kind,"
	"  severity, svcmap_ip_blob(server_ip), transport, port,"
	"  svcmap_ip_blob(client_ip), service, protocol, detail, count,"
	"  events, suppressed, first_seen, last_seen, last_event, state,"
	"  resolved_at FROM alerts;"
	"DROP TABLE alerts;"
	"ALTER TABLE alerts3 RENAME TO alerts;"
	"CREATE INDEX alerts_last_seen ON alerts (last_seen);"
	"DROP TABLE migrate_sensor;",
	/*
	 * 3 -> 4: SMB.  A pipe row's pipe joins the key, so that \samr and
	 * \lsarpc (both LSA) are two rows; the session's SMB dialect and
	 * its encrypted SMB3 messages are columns.  A primary key cannot be
	 * altered: the table is copied, its pipe rows with pipe '' (their
	 * pipe was not stored).
	 */
	"CREATE TABLE service_stats4 ("
	"  resolution INTEGER NOT NULL,"
	"  bucket INTEGER NOT NULL,"
	"  sensor TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL,"
	"  method TEXT NOT NULL,"
	"  pipe TEXT NOT NULL,"
	"  flows INTEGER NOT NULL,"
	"  pkts_c2s INTEGER NOT NULL,"
	"  pkts_s2c INTEGER NOT NULL,"
	"  bytes_c2s INTEGER NOT NULL,"
	"  bytes_s2c INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  protocol TEXT NOT NULL,"
	"  interface TEXT NOT NULL,"
	"  smb_dialect INTEGER NOT NULL,"
	"  smb_encrypted INTEGER NOT NULL,"
	"  PRIMARY KEY (resolution, bucket, sensor, service, server_ip, port,"
	"    transport, vlan, method, pipe)) WITHOUT ROWID;"
	"INSERT INTO service_stats4 SELECT resolution, bucket, sensor, service,"
	"  server_ip, port, transport, vlan, method, '', flows, pkts_c2s,"
	"  pkts_s2c, bytes_c2s, bytes_s2c, first_seen, last_seen, protocol,"
	"  interface, 0, 0 FROM service_stats;"
	"DROP TABLE service_stats;"
	"ALTER TABLE service_stats4 RENAME TO service_stats;",

	/*
	 * 4 -> 5: RPC operations (issue 13): calls per (server, interface,
	 * opnum) and their clients, counted like service_clients.
	 */
	"CREATE TABLE rpc_operations ("
	"  sensor TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  interface_uuid TEXT NOT NULL,"
	"  opnum INTEGER NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  calls INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, server_ip, port, transport, interface_uuid,"
	"    opnum)) WITHOUT ROWID;"
	"CREATE TABLE rpc_operation_clients ("
	"  sensor TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  interface_uuid TEXT NOT NULL,"
	"  opnum INTEGER NOT NULL,"
	"  client_ip BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, server_ip, port, transport, interface_uuid,"
	"    opnum, client_ip)) WITHOUT ROWID;",

	/*
	 * 5 -> 6: sensitive_operation alerts name an RPC interface and
	 * operation, which join the alert's key (one alert per server
	 * endpoint and operation); "" for the other kinds.  SQLite cannot
	 * change a UNIQUE constraint in place: the table is rebuilt, ids
	 * kept.
	 */
	"CREATE TABLE alerts6 ("
	"  id INTEGER PRIMARY KEY,"
	"  sensor TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  severity INTEGER NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  client_ip BLOB NOT NULL,"
	"  service TEXT NOT NULL,"
	"  protocol TEXT NOT NULL,"
	"  interface TEXT NOT NULL DEFAULT '',"
	"  operation TEXT NOT NULL DEFAULT '',"
	"  detail TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  events INTEGER NOT NULL,"
	"  suppressed INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  last_event INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  resolved_at INTEGER,"
	"  UNIQUE (sensor, kind, server_ip, transport, port, interface,"
	"    operation));"
	"INSERT INTO alerts6 (id, sensor, kind, severity, server_ip, transport,"
	"  port, client_ip, service, protocol, detail, count, events,"
	"  suppressed, first_seen, last_seen, last_event, state, resolved_at)"
	"  SELECT id, sensor, kind, severity, server_ip, transport, port,"
	"  client_ip, service, protocol, detail, count, events, suppressed,"
	"  first_seen, last_seen, last_event, state, resolved_at FROM alerts;"
	"DROP TABLE alerts;"
	"ALTER TABLE alerts6 RENAME TO alerts;"
	"CREATE INDEX alerts_last_seen ON alerts (last_seen);",

	/*
	 * 6 -> 7: host names learned from traffic (names.h), one row per
	 * (address, source, kind, NetBIOS suffix, name), as the name table
	 * keeps them: a renamed host keeps its old name's row.
	 */
	"CREATE TABLE host_names ("
	"  sensor TEXT NOT NULL,"
	"  address BLOB NOT NULL,"
	"  name TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  nb_suffix INTEGER NOT NULL,"
	"  nb_group INTEGER NOT NULL,"
	"  mac TEXT,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, address, source, kind, nb_suffix, name))"
	"  WITHOUT ROWID;"
	"CREATE INDEX host_names_name ON host_names (name);",

	/*
	 * 7 -> 8: what joins an alert to other tools' records (issue 16):
	 * the client port, the Community ID of the flow, the packet time in
	 * microseconds, and for capture-file runs the file name and packet
	 * number.  NULL in the rows older than this step: they were never
	 * known.
	 */
	"ALTER TABLE alerts ADD COLUMN client_port INTEGER;"
	"ALTER TABLE alerts ADD COLUMN community_id TEXT;"
	"ALTER TABLE alerts ADD COLUMN timestamp_us INTEGER;"
	"ALTER TABLE alerts ADD COLUMN pcap_file TEXT;"
	"ALTER TABLE alerts ADD COLUMN packet INTEGER;",

	/*
	 * 8 -> 9: outbound use (issue 14): a monitored client's traffic to
	 * servers outside the monitored networks, per (client, transport,
	 * server port), and the outside servers per (server, transport,
	 * port); no time bucket, retention-outbound drops them.
	 * service_stats rows of outside servers written before stay until
	 * their retention.
	 */
	"CREATE TABLE outbound ("
	"  sensor TEXT NOT NULL,"
	"  client_ip BLOB NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  protocol TEXT NOT NULL,"
	"  flows INTEGER NOT NULL,"
	"  pkts_c2s INTEGER NOT NULL,"
	"  pkts_s2c INTEGER NOT NULL,"
	"  bytes_c2s INTEGER NOT NULL,"
	"  bytes_s2c INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, client_ip, transport, port)) WITHOUT ROWID;"
	"CREATE TABLE outbound_servers ("
	"  sensor TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  protocol TEXT NOT NULL,"
	"  flows INTEGER NOT NULL,"
	"  pkts_c2s INTEGER NOT NULL,"
	"  pkts_s2c INTEGER NOT NULL,"
	"  bytes_c2s INTEGER NOT NULL,"
	"  bytes_s2c INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, server_ip, transport, port)) WITHOUT ROWID;"
	"CREATE INDEX outbound_last_seen ON outbound (last_seen);"
	"CREATE INDEX outbound_servers_last_seen ON outbound_servers"
	"  (last_seen);",

	/*
	 * 9 -> 10: connection attempts nobody answered (issue 14 item 2),
	 * per (server, port, transport, VLAN): flows refused (a TCP RST
	 * only) and unanswered, with their packets and bytes, and their
	 * clients.  No time buckets: an attempt row is a fact about a
	 * port, its first and last sighting, as hosts are.
	 */
	"CREATE TABLE attempts ("
	"  sensor TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL,"
	"  refused INTEGER NOT NULL,"
	"  unanswered INTEGER NOT NULL,"
	"  packets INTEGER NOT NULL,"
	"  bytes INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, server_ip, port, transport, vlan))"
	"  WITHOUT ROWID;"
	"CREATE TABLE attempt_clients ("
	"  sensor TEXT NOT NULL,"
	"  server_ip BLOB NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport TEXT NOT NULL,"
	"  vlan INTEGER NOT NULL,"
	"  client_ip BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (sensor, server_ip, port, transport, vlan, client_ip))"
	"  WITHOUT ROWID;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration step per schema version");

/* Shared by the flush upsert and the rollups: counters add up. */
#define UPSERT_STATS \
	" ON CONFLICT (resolution, bucket, sensor, service, server_ip, port," \
	" transport, vlan, method, pipe) DO UPDATE SET" \
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
	"   THEN excluded.interface ELSE interface END," \
	" smb_dialect = CASE WHEN smb_dialect = 0 OR" \
	"   (excluded.smb_dialect <> 0 AND excluded.smb_dialect < smb_dialect)" \
	"   THEN excluded.smb_dialect ELSE smb_dialect END," \
	" smb_encrypted = smb_encrypted + excluded.smb_encrypted"

#define STATS_COLUMNS \
	"resolution, bucket, sensor, service, server_ip, port, transport," \
	" vlan, method, pipe, flows, pkts_c2s, pkts_s2c, bytes_c2s," \
	" bytes_s2c, first_seen, last_seen, protocol, interface, smb_dialect," \
	" smb_encrypted"

/*
 * The flush upserts as head, one value tuple per row, and tail, so that
 * the flush can also write several rows with one statement.
 */
#define STATS_HEAD	"INSERT INTO service_stats (" STATS_COLUMNS ") VALUES "
#define CLIENT_HEAD \
	"INSERT INTO service_clients (sensor, service, server_ip, port," \
	" transport, vlan, client_ip, first_seen, last_seen) VALUES "
#define CLIENT_TAIL \
	" ON CONFLICT (sensor, service, server_ip, port, transport, vlan," \
	" client_ip) DO UPDATE SET" \
	" first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)"
#define HOST_HEAD \
	"INSERT INTO hosts (sensor, ip, first_seen, last_seen) VALUES "
#define HOST_TAIL \
	" ON CONFLICT (sensor, ip) DO UPDATE SET" \
	" first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)"

/* Operations: calls add up across flushes, times widen. */
#define OP_HEAD \
	"INSERT INTO rpc_operations (sensor, server_ip, port, transport," \
	" interface_uuid, opnum, version, calls, first_seen, last_seen)" \
	" VALUES "
#define OP_TAIL \
	" ON CONFLICT (sensor, server_ip, port, transport, interface_uuid," \
	" opnum) DO UPDATE SET" \
	" version = excluded.version," \
	" calls = calls + excluded.calls," \
	" first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)"
#define OP_CLIENT_HEAD \
	"INSERT INTO rpc_operation_clients (sensor, server_ip, port," \
	" transport, interface_uuid, opnum, client_ip, first_seen," \
	" last_seen) VALUES "
#define OP_CLIENT_TAIL \
	" ON CONFLICT (sensor, server_ip, port, transport, interface_uuid," \
	" opnum, client_ip) DO UPDATE SET" \
	" first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)"

/* Outbound rows: counts add up, times widen, a verdict replaces "". */
#define OUT_COLUMNS(peer) \
	" (sensor, " peer ", transport, port, protocol, flows, pkts_c2s," \
	" pkts_s2c, bytes_c2s, bytes_s2c, first_seen, last_seen) VALUES "
#define OUT_TAIL(peer) \
	" ON CONFLICT (sensor, " peer ", transport, port) DO UPDATE SET" \
	" protocol = CASE WHEN excluded.protocol <> ''" \
	"   THEN excluded.protocol ELSE protocol END," \
	" flows = flows + excluded.flows," \
	" pkts_c2s = pkts_c2s + excluded.pkts_c2s," \
	" pkts_s2c = pkts_s2c + excluded.pkts_s2c," \
	" bytes_c2s = bytes_c2s + excluded.bytes_c2s," \
	" bytes_s2c = bytes_s2c + excluded.bytes_s2c," \
	" first_seen = min(first_seen, excluded.first_seen)," \
	" last_seen = max(last_seen, excluded.last_seen)"
#define OUT_CLIENT_HEAD	"INSERT INTO outbound" OUT_COLUMNS("client_ip")
#define OUT_CLIENT_TAIL	OUT_TAIL("client_ip")
#define OUT_SERVER_HEAD	"INSERT INTO outbound_servers" OUT_COLUMNS("server_ip")
#define OUT_SERVER_TAIL	OUT_TAIL("server_ip")
#define OUT_VALUES \
	"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"

const char *const sqlite_upsert_head[UP__COUNT] = {
	[UP_STATS] = STATS_HEAD,
	[UP_CLIENT] = CLIENT_HEAD,
	[UP_HOST] = HOST_HEAD,
	[UP_OP] = OP_HEAD,
	[UP_OP_CLIENT] = OP_CLIENT_HEAD,
	[UP_OUT_CLIENT] = OUT_CLIENT_HEAD,
	[UP_OUT_SERVER] = OUT_SERVER_HEAD,
};

const char *const sqlite_upsert_tail[UP__COUNT] = {
	[UP_STATS] = UPSERT_STATS,
	[UP_CLIENT] = CLIENT_TAIL,
	[UP_HOST] = HOST_TAIL,
	[UP_OP] = OP_TAIL,
	[UP_OP_CLIENT] = OP_CLIENT_TAIL,
	[UP_OUT_CLIENT] = OUT_CLIENT_TAIL,
	[UP_OUT_SERVER] = OUT_SERVER_TAIL,
};

static const char *const statements[ST__COUNT] = {
	[ST_RUN_BEGIN] =
	    "INSERT INTO runs (sensor, mode, inputs, started)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[ST_RUN_TOTALS] =
	    "UPDATE runs SET last_flush = ?2, first_packet = ?3,"
	    " last_packet = ?4 WHERE id = ?1",
	[ST_RUN_COUNTER] =
	    "INSERT INTO run_counters (run_id, name, value) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value",
	[ST_RUN_DECODE] =
	    "INSERT INTO run_decode (run_id, reason, count) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (run_id, reason) DO UPDATE SET count = excluded.count",
	[ST_STATS] =
	    STATS_HEAD "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)" UPSERT_STATS,
	[ST_CLIENT] =
	    CLIENT_HEAD "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)" CLIENT_TAIL,
	[ST_HOST] =
	    HOST_HEAD "(?1, ?2, ?3, ?4)" HOST_TAIL,
	[ST_OP] =
	    OP_HEAD "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" OP_TAIL,
	[ST_OP_CLIENT] =
	    OP_CLIENT_HEAD "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    OP_CLIENT_TAIL,
	[ST_ENDPOINT] =
	    "INSERT INTO rpc_endpoints (sensor, server_ip, transport, port,"
	    " uuid, version, source, clsid, learned_at, refreshed_at,"
	    " last_used, announcements, flows, moved_from)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14)"
	    " ON CONFLICT (sensor, server_ip, transport, port, uuid)"
	    " DO UPDATE SET"
	    " version = excluded.version, source = excluded.source,"
	    " clsid = excluded.clsid, learned_at = excluded.learned_at,"
	    " refreshed_at = excluded.refreshed_at,"
	    " last_used = excluded.last_used,"
	    " announcements = excluded.announcements,"
	    " flows = excluded.flows, moved_from = excluded.moved_from",
	[ST_ENDPOINT_MOVED] =
	    "DELETE FROM rpc_endpoints WHERE sensor = ?1 AND server_ip = ?2"
	    " AND transport = ?3 AND port = ?4 AND uuid = ?5",
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
	    " SELECT ?2, bucket - bucket % ?2, sensor, service, server_ip,"
	    " port, transport, vlan, method, pipe, flows, pkts_c2s, pkts_s2c,"
	    " bytes_c2s, bytes_s2c, first_seen, last_seen, protocol, interface,"
	    " smb_dialect, smb_encrypted FROM service_stats WHERE resolution = ?1 AND bucket < ?3"
	    " ORDER BY bucket" UPSERT_STATS,
	[ST_DELETE_STATS] =
	    "DELETE FROM service_stats WHERE resolution = ?1 AND bucket < ?2",
	[ST_DELETE_CLIENTS] =
	    "DELETE FROM service_clients WHERE last_seen < ?1",
	[ST_DELETE_HOSTS] =
	    "DELETE FROM hosts WHERE last_seen < ?1",
	[ST_NAME] =
	    "INSERT INTO host_names (sensor, address, name, source, kind,"
	    " nb_suffix, nb_group, mac, first_seen, last_seen, seen)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT (sensor, address, source, kind, nb_suffix, name)"
	    " DO UPDATE SET nb_group = excluded.nb_group,"
	    " mac = coalesce(excluded.mac, mac),"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen),"
	    " seen = max(seen, excluded.seen)",
	[ST_DELETE_NAMES] =
	    "DELETE FROM host_names WHERE last_seen < ?1",
	[ST_DELETE_OPS] =
	    "DELETE FROM rpc_operations WHERE last_seen < ?1",
	[ST_DELETE_OP_CLIENTS] =
	    "DELETE FROM rpc_operation_clients WHERE last_seen < ?1",
	[ST_OUT_CLIENT] = OUT_CLIENT_HEAD OUT_VALUES OUT_CLIENT_TAIL,
	[ST_OUT_SERVER] = OUT_SERVER_HEAD OUT_VALUES OUT_SERVER_TAIL,
	[ST_DELETE_OUT_CLIENTS] =
	    "DELETE FROM outbound WHERE last_seen < ?1",
	[ST_DELETE_OUT_SERVERS] =
	    "DELETE FROM outbound_servers WHERE last_seen < ?1",
	[ST_ALERT] =
	    "INSERT INTO alerts (sensor, kind, severity, server_ip, transport,"
	    " port, client_ip, service, protocol, detail, count, events,"
	    " suppressed, first_seen, last_seen, last_event, state,"
	    " resolved_at, interface, operation, client_port, community_id,"
	    " timestamp_us, pcap_file, packet)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
	    " ON CONFLICT (sensor, kind, server_ip, transport, port,"
	    " interface, operation)"
	    " DO UPDATE SET"
	    " severity = excluded.severity, client_ip = excluded.client_ip,"
	    " service = excluded.service, protocol = excluded.protocol,"
	    " detail = excluded.detail, count = excluded.count,"
	    " events = excluded.events, suppressed = excluded.suppressed,"
	    " first_seen = excluded.first_seen,"
	    " last_seen = excluded.last_seen,"
	    " last_event = excluded.last_event, state = excluded.state,"
	    " resolved_at = excluded.resolved_at,"
	    " client_port = excluded.client_port,"
	    " community_id = excluded.community_id,"
	    " timestamp_us = excluded.timestamp_us,"
	    " pcap_file = excluded.pcap_file, packet = excluded.packet"
	    " RETURNING id",
	[ST_ATTEMPT] =
	    "INSERT INTO attempts (sensor, server_ip, port, transport, vlan,"
	    " refused, unanswered, packets, bytes, first_seen, last_seen)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT (sensor, server_ip, port, transport, vlan)"
	    " DO UPDATE SET refused = refused + excluded.refused,"
	    " unanswered = unanswered + excluded.unanswered,"
	    " packets = packets + excluded.packets,"
	    " bytes = bytes + excluded.bytes,"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	[ST_ATTEMPT_CLIENT] =
	    "INSERT INTO attempt_clients (sensor, server_ip, port, transport,"
	    " vlan, client_ip, first_seen, last_seen)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (sensor, server_ip, port, transport, vlan,"
	    " client_ip) DO UPDATE SET"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	[ST_DELETE_ATTEMPTS] =
	    "DELETE FROM attempts WHERE last_seen < ?1",
	[ST_DELETE_ATTEMPT_CLIENTS] =
	    "DELETE FROM attempt_clients WHERE last_seen < ?1",
};

const struct store_ops sqlite_store_ops = {
	.run_begin = sqlite_run_begin,
	.flush = sqlite_flush,
	.load_endpoints = sqlite_load_endpoints,
	.load_alerts = sqlite_load_alerts,
	.load_names = sqlite_load_names,
	.prune = sqlite_prune,
	.bytes = sqlite_store_bytes,
	.close = sqlite_store_close,
};

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
	{ METHOD_PIPE, "pipe" },
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

const char *
sqlite_method_word(int method)
{
	const char *n = name_of(method_names, method);

	return n != NULL ? n : "unknown";
}

const char *
sqlite_source_word(int source)
{
	const char *n = name_of(source_names, source);

	return n != NULL ? n : "unknown";
}

int
sqlite_source_value(const char *word, int *source)
{
	return value_of(source_names, word, source);
}

/* A transport's stored word; an unnamed IP protocol is its number. */
const char *
sqlite_transport_word(uint8_t proto, char buf[8])
{
	const char *n = name_of(transport_names, proto);

	if (n != NULL)
		return n;
	snprintf(buf, 8, "%u", proto);
	return buf;
}

int
sqlite_transport_value(const char *word, uint8_t *proto)
{
	unsigned long n;
	char *end;
	int v;

	if (value_of(transport_names, word, &v) == 0) {
		*proto = (uint8_t)v;
		return 0;
	}
	/* sqlite_transport_word()'s number for an unnamed protocol (0:
	 * none, new_role alerts). */
	if (word[0] < '0' || word[0] > '9')
		return -1;
	n = strtoul(word, &end, 10);
	if (*end != '\0' || n > 255)
		return -1;
	*proto = (uint8_t)n;
	return 0;
}

void
sqlite_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
sqlite_dberr(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	sqlite_seterr(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

/* Counters are unsigned in memory and signed 64-bit in SQLite. */
int
sqlite_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	return sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX :
	    (sqlite3_int64)v);
}

int
sqlite_bind_addr(sqlite3_stmt *st, int i, const struct addr *a)
{
	return sqlite3_bind_blob(st, i, a->b, sizeof(a->b), SQLITE_STATIC);
}

int
sqlite_column_addr(sqlite3_stmt *st, int i, struct addr *a)
{
	const void *b = sqlite3_column_blob(st, i);

	if (b == NULL || sqlite3_column_bytes(st, i) != (int)sizeof(a->b))
		return -1;
	memcpy(a->b, b, sizeof(a->b));
	return 0;
}

/* Run a bound statement to completion and make it ready for reuse. */
int
sqlite_step_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen,
    const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		sqlite_dberr(db, err, errlen, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int
sqlite_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite_dberr(db, err, errlen, sql);
		return -1;
	}
	return 0;
}

void
sqlite_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* One integer from a query such as a PRAGMA; -1 on error. */
int
sqlite_query_int(sqlite3 *db, const char *sql, int64_t *out)
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

/* svcmap_ip_text(blob): addr_fmt() of a 16-byte address; else NULL. */
static void
fn_ip_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct addr a;
	char buf[ADDR_STRLEN];

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB ||
	    sqlite3_value_bytes(argv[0]) != (int)sizeof(a.b)) {
		sqlite3_result_null(ctx);
		return;
	}
	memcpy(a.b, sqlite3_value_blob(argv[0]), sizeof(a.b));
	sqlite3_result_text(ctx, addr_fmt(&a, buf), -1, SQLITE_TRANSIENT);
}

/* svcmap_ip_blob(text): the 16-byte form of an address; else NULL. */
static void
fn_ip_blob(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *t = sqlite3_value_text(argv[0]);
	struct addr a;

	(void)argc;
	if (t == NULL || addr_parse(&a, (const char *)t) == -1) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_blob(ctx, a.b, sizeof(a.b), SQLITE_TRANSIENT);
}

/* svcmap_sensor(): the writer's sensor name (the v3 migration). */
static void
fn_sensor(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_text(ctx, sqlite3_user_data(ctx), -1, SQLITE_STATIC);
}

/* The SQL functions every connection has; sensor: NULL for readers. */
static int
add_functions(sqlite3 *db, const char *sensor)
{
	const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC |
	    SQLITE_INNOCUOUS;

	if (sqlite3_create_function(db, "svcmap_ip_text", 1, flags, NULL,
	    fn_ip_text, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "svcmap_ip_blob", 1, flags, NULL,
	    fn_ip_blob, NULL, NULL) != SQLITE_OK)
		return -1;
	if (sensor != NULL && sqlite3_create_function(db, "svcmap_sensor", 0,
	    SQLITE_UTF8, (void *)sensor, fn_sensor, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* A file from a later svcmap: neither reader nor writer may touch it. */
static bool
schema_too_new(const char *path, int64_t version, char *err, size_t errlen)
{
	if (version <= STORE_SCHEMA_VERSION)
		return false;
	sqlite_seterr(err, errlen, "%s: database schema version %" PRId64
	    " is newer than this svcmap (%d)", path, version,
	    STORE_SCHEMA_VERSION);
	return true;
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

	if (sqlite_exec(db, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (sqlite_query_int(db, "PRAGMA user_version", &version) == -1 ||
	    sqlite_query_int(db, "SELECT count(*) FROM sqlite_master",
	    &ntables) == -1) {
		sqlite_dberr(db, err, errlen, "reading the schema version");
		goto fail;
	}
	if (version > nsteps) {
		sqlite_seterr(err, errlen, "database schema version %" PRId64
		    " is newer than this svcmap (%d)", version, nsteps);
		goto fail;
	}
	/* Version 0 with tables: some other program's database. */
	if (version == 0 && ntables > 0) {
		sqlite_seterr(err, errlen, "not an svcmap database (it has "
		    "tables but no schema version)");
		goto fail;
	}
	if (version == nsteps) {
		sqlite_rollback(db);
		return 0;
	}
	for (v = (int)version; v < nsteps; v++)
		if (sqlite3_exec(db, steps[v], NULL, NULL, NULL) != SQLITE_OK) {
			sqlite_seterr(err, errlen, "migration to schema "
			    "version %d: %s", v + 1, sqlite3_errmsg(db));
			goto fail;
		}
	/* PRAGMA takes no parameters; the value is our own integer. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", nsteps);
	if (sqlite_exec(db, sql, err, errlen) == -1 ||
	    sqlite_exec(db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite_rollback(db);
	return -1;
}

/*
 * "file:" URI of a path for SQLITE_OPEN_URI, followed by `query`:
 * characters with a meaning in URIs ('?', '#', '%') and anything unusual
 * are percent-encoded.
 */
int
sqlite_path_uri(const char *path, const char *query, char *buf, size_t len)
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
		sqlite_seterr(why, len, "%s", strerror(errno));
		return true;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	if (access(dir, W_OK) == -1) {
		sqlite_seterr(why, len, "directory %s: %s", dir, strerror(errno));
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
		sqlite_seterr(err, errlen, "%s: not an svcmap database (%s)", path,
		    sqlite3_errmsg(db));
	else if (unwritable(path, why, sizeof(why)))
		sqlite_seterr(err, errlen, "%s: %s (%s)", path, sqlite3_errmsg(db),
		    why);
	else
		sqlite_seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
}

/* A read-only connection to a "file:" URI; NULL with err set. */
static sqlite3 *
ro_connect(const char *path, const char *query, char *err, size_t errlen)
{
	char uri[4096];
	sqlite3 *db = NULL;

	if (sqlite_path_uri(path, query, uri, sizeof(uri)) == -1) {
		sqlite_seterr(err, errlen, "%s: path too long", path);
		return NULL;
	}
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK) {
		sqlite_seterr(err, errlen, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, SQLITE_BUSY_TIMEOUT_MS);
	if (add_functions(db, NULL) == -1) {
		sqlite_seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

sqlite3 *
sqlite_open_readonly(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char wal[4096];
	sqlite3 *db;
	int64_t version;
	int rc;

	/* SQLite says only "unable to open database file": say why. */
	if (stat(path, &sb) == -1) {
		sqlite_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((db = ro_connect(path, "?mode=ro", err, errlen)) == NULL)
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
	rc = sqlite_query_int(db, "PRAGMA user_version", &version);
	if (rc == -1 && (sqlite3_errcode(db) == SQLITE_CANTOPEN ||
	    sqlite3_extended_errcode(db) == SQLITE_READONLY_DIRECTORY ||
	    sqlite3_extended_errcode(db) == SQLITE_READONLY_CANTINIT) &&
	    snprintf(wal, sizeof(wal), "%s-wal", path) < (int)sizeof(wal) &&
	    access(wal, F_OK) == -1 && errno == ENOENT) {
		sqlite3_close(db);
		if ((db = ro_connect(path, "?mode=ro&immutable=1", err,
		    errlen)) == NULL)
			return NULL;
		rc = sqlite_query_int(db, "PRAGMA user_version", &version);
	}
	if (rc == -1) {
		open_error(db, path, err, errlen);
		goto fail;
	}
	if (version == 0) {
		sqlite_seterr(err, errlen, "%s: not an svcmap database", path);
		goto fail;
	}
	if (schema_too_new(path, version, err, errlen))
		goto fail;
	if (version < STORE_SCHEMA_VERSION) {
		sqlite_seterr(err, errlen, "%s: database schema version %" PRId64
		    " is older than this svcmap (%d): run 'svcmapctl migrate' "
		    "or start svcmapd once to migrate it", path, version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

sqlite3 *
sqlite_open_writable(const char *path, const char *sensor, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int64_t version, ntables;
	char msg[400], why[300], uri[4096];
	bool wal;

	/*
	 * One thread at a time uses the writer's connection (the main
	 * thread), so SQLite's own per-call mutexes are pure cost.  Opened
	 * as a URI so that the connection may ATTACH one (sqlite_lost.c).
	 */
	if (sqlite_path_uri(path, "", uri, sizeof(uri)) == -1) {
		sqlite_seterr(err, errlen, "%s: path too long", path);
		return NULL;
	}
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK) {
		sqlite_seterr(err, errlen, "%s: %s", path, db != NULL ?
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
		sqlite_seterr(err, errlen, "%s: cannot write the database: %s", path,
		    why);
		goto fail;
	}
	sqlite3_busy_timeout(db, SQLITE_BUSY_TIMEOUT_MS);
	if (add_functions(db, sensor) == -1) {
		sqlite_dberr(db, err, errlen, path);
		goto fail;
	}
	/* Refuse a newer or foreign file before changing its journal mode. */
	if (sqlite_query_int(db, "PRAGMA user_version", &version) == -1) {
		open_error(db, path, err, errlen);
		goto fail;
	}
	if (schema_too_new(path, version, err, errlen))
		goto fail;
	/*
	 * Nor is another program's file touched: switching its journal mode
	 * would rewrite its header (a file renamed over the path of a
	 * running svcmapd is opened here too, sqlite_lost.c).
	 */
	if (version == 0 && (sqlite_query_int(db, "SELECT count(*) FROM "
	    "sqlite_master", &ntables) == -1 || ntables > 0)) {
		sqlite_seterr(err, errlen, "%s: not an svcmap database (it has "
		    "tables but no schema version)", path);
		goto fail;
	}
	/*
	 * WAL is what lets svcmapctl and the API read during a flush; a
	 * file system that cannot do it (no shared memory) is an error
	 * rather than a silent fallback to readers blocking the writer.
	 */
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite_dberr(db, msg, sizeof(msg), "journal_mode");
		sqlite_seterr(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	st = NULL;
	if (!wal) {
		sqlite_seterr(err, errlen, "%s: cannot switch to WAL journal mode",
		    path);
		goto fail;
	}
	/* NORMAL in WAL mode: a power cut may lose the last commit only. */
	/* A flush's sorts and temporary b-trees are small: keep them off disk. */
	if (sqlite_exec(db, "PRAGMA synchronous = NORMAL", msg, sizeof(msg)) == -1 ||
	    sqlite_exec(db, "PRAGMA temp_store = MEMORY", msg, sizeof(msg)) == -1 ||
	    sqlite_exec(db, "PRAGMA foreign_keys = ON", msg, sizeof(msg)) == -1 ||
	    store_migrate(db, migrations, STORE_SCHEMA_VERSION, msg,
	    sizeof(msg)) == -1) {
		sqlite_seterr(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	return db;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

int
sqlite_prepare_statements(struct sqlite_store *s, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < ST__COUNT; i++)
		if (sqlite3_prepare_v3(s->db, statements[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			sqlite_seterr(err, errlen, "%s: preparing statement "
			    "%d: %s", s->path, i, sqlite3_errmsg(s->db));
			return -1;
		}
	return 0;
}

void
sqlite_finalize_statements(struct sqlite_store *s)
{
	int i;

	for (i = 0; i < ST__COUNT; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	for (i = 0; i < UP__COUNT * UPSERT_SIZES; i++) {
		sqlite3_finalize(s->multi[i / UPSERT_SIZES][i % UPSERT_SIZES]);
		s->multi[i / UPSERT_SIZES][i % UPSERT_SIZES] = NULL;
	}
}

int
sqlite_hold_file(struct sqlite_store *s, char *err, size_t errlen)
{
	struct stat sb;

	if ((s->fd = open(s->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(s->fd, &sb) == -1) {
		sqlite_seterr(err, errlen, "%s: %s", s->path, strerror(errno));
		if (s->fd != -1)
			close(s->fd);
		s->fd = -1;
		return -1;
	}
	s->dev = sb.st_dev;
	s->ino = sb.st_ino;
	return 0;
}

struct store *
sqlite_store_open(const char *path, const char *sensor, char *err,
    size_t errlen)
{
	struct sqlite_store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		sqlite_seterr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->base.ops = &sqlite_store_ops;
	s->fd = s->lost_fd = -1;
	snprintf(s->sensor, sizeof(s->sensor), "%s", sensor);
	/* The connection's svcmap_sensor() points into s->sensor. */
	if ((s->db = sqlite_open_writable(path, s->sensor, err, errlen)) ==
	    NULL) {
		free(s->path);
		free(s);
		return NULL;
	}
	/* The file just opened, held to notice its loss (sqlite_lost.c). */
	if (sqlite_prepare_statements(s, err, errlen) == -1 ||
	    sqlite_hold_file(s, err, errlen) == -1) {
		sqlite_store_close(&s->base);
		return NULL;
	}
	return &s->base;
}

void
sqlite_store_close(struct store *base)
{
	struct sqlite_store *s = (struct sqlite_store *)base;

	sqlite_finalize_statements(s);
	/* The last connection to close checkpoints and removes the WAL. */
	sqlite3_close(s->db);
	/*
	 * Only now: closing a descriptor of the file drops every POSIX lock
	 * this process holds on it, SQLite's included.
	 */
	if (s->fd != -1)
		close(s->fd);
	sqlite_lost_abandon(s);
	free(s->order);
	free(s->eps);
	free(s->nms);
	free(s->path);
	free(s);
}

static uint64_t
file_bytes(const char *path, const char *suffix)
{
	char name[STORE_URL_LEN + 8];
	struct stat sb;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	return stat(name, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* The file and its WAL: what the disk holds until the next checkpoint. */
uint64_t
sqlite_store_bytes(struct store *base)
{
	struct sqlite_store *s = (struct sqlite_store *)base;

	return file_bytes(s->path, "") + file_bytes(s->path, "-wal");
}
