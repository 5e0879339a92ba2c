-- A schema v2 database as svcmap 396cc30 wrote it:
-- svcmapd -c /dev/null -d DB -r ../shared/pcaps/nDPI__dcerpc.pcap
-- then sqlite3 DB .dump (derived statistics, no capture bytes).
-- .dump leaves out PRAGMA user_version, so the last line sets it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE runs (  id INTEGER PRIMARY KEY,  sensor TEXT NOT NULL,  mode TEXT NOT NULL,  inputs TEXT NOT NULL,  started INTEGER NOT NULL,  last_flush INTEGER NOT NULL DEFAULT 0,  packets INTEGER NOT NULL DEFAULT 0,  bytes INTEGER NOT NULL DEFAULT 0,  pkt_classified INTEGER NOT NULL DEFAULT 0,  pkt_undocumented INTEGER NOT NULL DEFAULT 0,  pkt_unmonitored INTEGER NOT NULL DEFAULT 0,  pkt_non_ip INTEGER NOT NULL DEFAULT 0,  pkt_malformed INTEGER NOT NULL DEFAULT 0,  byte_classified INTEGER NOT NULL DEFAULT 0,  byte_undocumented INTEGER NOT NULL DEFAULT 0,  byte_unmonitored INTEGER NOT NULL DEFAULT 0,  byte_non_ip INTEGER NOT NULL DEFAULT 0,  byte_malformed INTEGER NOT NULL DEFAULT 0,  flows INTEGER NOT NULL DEFAULT 0,  flows_classified INTEGER NOT NULL DEFAULT 0,  flows_undocumented INTEGER NOT NULL DEFAULT 0,  flows_unmonitored INTEGER NOT NULL DEFAULT 0,  fragments INTEGER NOT NULL DEFAULT 0,  flows_evicted INTEGER NOT NULL DEFAULT 0,  flows_active INTEGER NOT NULL DEFAULT 0,  dpi_mismatches INTEGER NOT NULL DEFAULT 0,  rpc_pdus INTEGER NOT NULL DEFAULT 0,  rpc_truncated INTEGER NOT NULL DEFAULT 0,  rpc_invalid INTEGER NOT NULL DEFAULT 0,  rpc_gaps INTEGER NOT NULL DEFAULT 0,  epm_replies INTEGER NOT NULL DEFAULT 0,  endpoints_learned INTEGER NOT NULL DEFAULT 0,  first_packet INTEGER NOT NULL DEFAULT 0,  last_packet INTEGER NOT NULL DEFAULT 0);
INSERT INTO runs VALUES(1,'vm','offline','/work/shared/pcaps/nDPI__dcerpc.pcap',1796546080,1602860710,16,6866,0,16,0,0,0,0,6866,0,0,0,4,0,4,0,0,0,0,0,0,0,0,0,0,0,1602860709,1602860710);
CREATE TABLE run_decode (  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,  reason TEXT NOT NULL,  count INTEGER NOT NULL,  PRIMARY KEY (run_id, reason)) WITHOUT ROWID;
INSERT INTO run_decode VALUES(1,'ok',16);
CREATE TABLE capture_stats (  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,  iface TEXT NOT NULL,  received INTEGER NOT NULL,  dropped INTEGER NOT NULL,  if_dropped INTEGER NOT NULL,  updated INTEGER NOT NULL,  PRIMARY KEY (run_id, iface)) WITHOUT ROWID;
CREATE TABLE service_stats (  resolution INTEGER NOT NULL,  bucket INTEGER NOT NULL,  service TEXT NOT NULL,  server_ip TEXT NOT NULL,  port INTEGER NOT NULL,  transport TEXT NOT NULL,  vlan INTEGER NOT NULL,  method TEXT NOT NULL,  flows INTEGER NOT NULL,  pkts_c2s INTEGER NOT NULL,  pkts_s2c INTEGER NOT NULL,  bytes_c2s INTEGER NOT NULL,  bytes_s2c INTEGER NOT NULL,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL,  protocol TEXT NOT NULL,  interface TEXT NOT NULL,  PRIMARY KEY (resolution, bucket, service, server_ip, port,    transport, vlan, method)) WITHOUT ROWID;
INSERT INTO service_stats VALUES(60,1602860700,'','192.168.1.11',34964,'udp',0,'none',1,2,0,348,0,1602860710,1602860710,'DCE_RPC','');
INSERT INTO service_stats VALUES(60,1602860700,'','192.168.1.11',49154,'udp',0,'none',1,0,2,0,348,1602860710,1602860710,'DCE_RPC','');
INSERT INTO service_stats VALUES(60,1602860700,'','192.168.1.11',49155,'udp',0,'none',1,6,0,2464,0,1602860709,1602860710,'DCE_RPC','');
INSERT INTO service_stats VALUES(60,1602860700,'','192.168.1.20',34964,'udp',0,'none',1,6,0,3706,0,1602860709,1602860710,'DCE_RPC','');
CREATE TABLE service_clients (  service TEXT NOT NULL,  server_ip TEXT NOT NULL,  port INTEGER NOT NULL,  transport TEXT NOT NULL,  vlan INTEGER NOT NULL,  client_ip TEXT NOT NULL,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL,  PRIMARY KEY (service, server_ip, port, transport, vlan, client_ip))  WITHOUT ROWID;
INSERT INTO service_clients VALUES('','192.168.1.11',34964,'udp',0,'192.168.1.20',1602860710,1602860710);
INSERT INTO service_clients VALUES('','192.168.1.11',49154,'udp',0,'192.168.1.20',1602860710,1602860710);
INSERT INTO service_clients VALUES('','192.168.1.11',49155,'udp',0,'192.168.1.20',1602860709,1602860710);
INSERT INTO service_clients VALUES('','192.168.1.20',34964,'udp',0,'192.168.1.11',1602860709,1602860710);
CREATE TABLE hosts (  ip TEXT PRIMARY KEY,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO hosts VALUES('192.168.1.11',1602860709,1602860710);
INSERT INTO hosts VALUES('192.168.1.20',1602860709,1602860710);
CREATE TABLE rpc_endpoints (  server_ip TEXT NOT NULL,  transport TEXT NOT NULL,  port INTEGER NOT NULL,  uuid TEXT NOT NULL,  version TEXT NOT NULL,  source TEXT NOT NULL,  clsid TEXT,  learned_at INTEGER NOT NULL,  refreshed_at INTEGER NOT NULL,  last_used INTEGER NOT NULL,  announcements INTEGER NOT NULL,  flows INTEGER NOT NULL,  moved_from INTEGER NOT NULL,  PRIMARY KEY (server_ip, transport, port, uuid)) WITHOUT ROWID;
CREATE TABLE alerts (  id INTEGER PRIMARY KEY,  kind TEXT NOT NULL,  severity INTEGER NOT NULL,  server_ip TEXT NOT NULL,  transport TEXT NOT NULL,  port INTEGER NOT NULL,  client_ip TEXT NOT NULL,  service TEXT NOT NULL,  protocol TEXT NOT NULL,  detail TEXT NOT NULL,  count INTEGER NOT NULL,  events INTEGER NOT NULL,  suppressed INTEGER NOT NULL,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL,  last_event INTEGER NOT NULL,  state TEXT NOT NULL,  resolved_at INTEGER,  UNIQUE (kind, server_ip, transport, port));
INSERT INTO alerts VALUES(1,'unmapped_dynamic_port',2,'192.168.1.11','udp',49154,'192.168.1.20','','DCE_RPC','dynamic RPC port with no learned endpoint or bind',1,1,0,1602860710,1602860710,1602860710,'open',NULL);
CREATE INDEX alerts_last_seen ON alerts (last_seen);
COMMIT;
PRAGMA user_version = 2;
