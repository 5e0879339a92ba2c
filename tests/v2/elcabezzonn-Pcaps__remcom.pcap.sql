-- A schema v2 database as svcmap 396cc30 wrote it:
-- svcmapd -c /dev/null -d DB -r ../shared/pcaps/elcabezzonn-Pcaps__remcom.pcap
-- then sqlite3 DB .dump (derived statistics, no capture bytes).
-- .dump leaves out PRAGMA user_version, so the last line sets it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE runs (  id INTEGER PRIMARY KEY,  sensor TEXT NOT NULL,  mode TEXT NOT NULL,  inputs TEXT NOT NULL,  started INTEGER NOT NULL,  last_flush INTEGER NOT NULL DEFAULT 0,  packets INTEGER NOT NULL DEFAULT 0,  bytes INTEGER NOT NULL DEFAULT 0,  pkt_classified INTEGER NOT NULL DEFAULT 0,  pkt_undocumented INTEGER NOT NULL DEFAULT 0,  pkt_unmonitored INTEGER NOT NULL DEFAULT 0,  pkt_non_ip INTEGER NOT NULL DEFAULT 0,  pkt_malformed INTEGER NOT NULL DEFAULT 0,  byte_classified INTEGER NOT NULL DEFAULT 0,  byte_undocumented INTEGER NOT NULL DEFAULT 0,  byte_unmonitored INTEGER NOT NULL DEFAULT 0,  byte_non_ip INTEGER NOT NULL DEFAULT 0,  byte_malformed INTEGER NOT NULL DEFAULT 0,  flows INTEGER NOT NULL DEFAULT 0,  flows_classified INTEGER NOT NULL DEFAULT 0,  flows_undocumented INTEGER NOT NULL DEFAULT 0,  flows_unmonitored INTEGER NOT NULL DEFAULT 0,  fragments INTEGER NOT NULL DEFAULT 0,  flows_evicted INTEGER NOT NULL DEFAULT 0,  flows_active INTEGER NOT NULL DEFAULT 0,  dpi_mismatches INTEGER NOT NULL DEFAULT 0,  rpc_pdus INTEGER NOT NULL DEFAULT 0,  rpc_truncated INTEGER NOT NULL DEFAULT 0,  rpc_invalid INTEGER NOT NULL DEFAULT 0,  rpc_gaps INTEGER NOT NULL DEFAULT 0,  epm_replies INTEGER NOT NULL DEFAULT 0,  endpoints_learned INTEGER NOT NULL DEFAULT 0,  first_packet INTEGER NOT NULL DEFAULT 0,  last_packet INTEGER NOT NULL DEFAULT 0);
INSERT INTO runs VALUES(1,'vm','offline','/work/shared/pcaps/elcabezzonn-Pcaps__remcom.pcap',1796546080,1500161466,8973,1585272,8973,0,0,0,0,1585272,0,0,0,0,17,17,0,0,0,0,0,0,90,0,0,0,7,7,1500160824,1500161466);
CREATE TABLE run_decode (  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,  reason TEXT NOT NULL,  count INTEGER NOT NULL,  PRIMARY KEY (run_id, reason)) WITHOUT ROWID;
INSERT INTO run_decode VALUES(1,'ok',8973);
CREATE TABLE capture_stats (  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,  iface TEXT NOT NULL,  received INTEGER NOT NULL,  dropped INTEGER NOT NULL,  if_dropped INTEGER NOT NULL,  updated INTEGER NOT NULL,  PRIMARY KEY (run_id, iface)) WITHOUT ROWID;
CREATE TABLE service_stats (  resolution INTEGER NOT NULL,  bucket INTEGER NOT NULL,  service TEXT NOT NULL,  server_ip TEXT NOT NULL,  port INTEGER NOT NULL,  transport TEXT NOT NULL,  vlan INTEGER NOT NULL,  method TEXT NOT NULL,  flows INTEGER NOT NULL,  pkts_c2s INTEGER NOT NULL,  pkts_s2c INTEGER NOT NULL,  bytes_c2s INTEGER NOT NULL,  bytes_s2c INTEGER NOT NULL,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL,  protocol TEXT NOT NULL,  interface TEXT NOT NULL,  PRIMARY KEY (resolution, bucket, service, server_ip, port,    transport, vlan, method)) WITHOUT ROWID;
INSERT INTO service_stats VALUES(60,1500160800,'lsass','192.168.1.195',49158,'tcp',0,'epm',2,18,18,10014,4567,1500160824,1500160832,'DCE_RPC','drsuapi');
INSERT INTO service_stats VALUES(60,1500160800,'netlogon','192.168.1.195',49158,'tcp',0,'epm',1,6,6,1902,1444,1500160824,1500160825,'DCE_RPC','netlogon');
INSERT INTO service_stats VALUES(60,1500160800,'rpcss','192.168.1.195',135,'tcp',0,'bind',3,7,7,1350,1590,1500160824,1500160832,'DCE_RPC','epmapper');
INSERT INTO service_stats VALUES(60,1500160800,'server','192.168.1.195',445,'tcp',0,'port',4,34,32,15428,7158,1500160824,1500160848,'SMBv23','');
INSERT INTO service_stats VALUES(60,1500160860,'lsass','192.168.1.195',49158,'tcp',0,'epm',1,2,2,522,364,1500160894,1500160894,'DCE_RPC','lsarpc');
INSERT INTO service_stats VALUES(60,1500160860,'rpcss','192.168.1.195',135,'tcp',0,'bind',2,4,4,760,864,1500160894,1500160919,'DCE_RPC','epmapper');
INSERT INTO service_stats VALUES(60,1500160860,'server','192.168.1.195',445,'tcp',0,'port',1,15,15,6384,4350,1500160860,1500160908,'SMBv23','');
INSERT INTO service_stats VALUES(60,1500160920,'lsass','192.168.1.195',49158,'tcp',0,'epm',1,6,6,3530,1489,1500160920,1500160920,'DCE_RPC','drsuapi');
INSERT INTO service_stats VALUES(60,1500160920,'server','192.168.1.195',445,'tcp',0,'port',0,2,2,252,252,1500160920,1500160920,'SMBv23','');
INSERT INTO service_stats VALUES(60,1500161280,'rpcss','192.168.1.195',135,'tcp',0,'bind',1,2,2,380,344,1500161287,1500161287,'DCE_RPC','epmapper');
INSERT INTO service_stats VALUES(60,1500161280,'server','192.168.1.195',445,'tcp',0,'port',1,4316,4325,789502,709921,1500161287,1500161339,'SMBv23','');
INSERT INTO service_stats VALUES(60,1500161340,'server','192.168.1.195',445,'tcp',0,'port',0,47,52,8061,8148,1500161340,1500161387,'SMBv23','');
INSERT INTO service_stats VALUES(60,1500161400,'server','192.168.1.195',445,'tcp',0,'port',0,6,9,1033,1301,1500161400,1500161452,'SMBv23','');
INSERT INTO service_stats VALUES(60,1500161460,'server','192.168.1.195',445,'tcp',0,'port',0,11,17,1786,2576,1500161460,1500161466,'SMBv23','');
CREATE TABLE service_clients (  service TEXT NOT NULL,  server_ip TEXT NOT NULL,  port INTEGER NOT NULL,  transport TEXT NOT NULL,  vlan INTEGER NOT NULL,  client_ip TEXT NOT NULL,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL,  PRIMARY KEY (service, server_ip, port, transport, vlan, client_ip))  WITHOUT ROWID;
INSERT INTO service_clients VALUES('lsass','192.168.1.195',49158,'tcp',0,'192.168.1.46',1500160824,1500160920);
INSERT INTO service_clients VALUES('netlogon','192.168.1.195',49158,'tcp',0,'192.168.1.46',1500160824,1500160825);
INSERT INTO service_clients VALUES('rpcss','192.168.1.195',135,'tcp',0,'192.168.1.46',1500160824,1500161287);
INSERT INTO service_clients VALUES('server','192.168.1.195',445,'tcp',0,'192.168.1.46',1500160824,1500161466);
CREATE TABLE hosts (  ip TEXT PRIMARY KEY,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO hosts VALUES('192.168.1.195',1500160824,1500161466);
CREATE TABLE rpc_endpoints (  server_ip TEXT NOT NULL,  transport TEXT NOT NULL,  port INTEGER NOT NULL,  uuid TEXT NOT NULL,  version TEXT NOT NULL,  source TEXT NOT NULL,  clsid TEXT,  learned_at INTEGER NOT NULL,  refreshed_at INTEGER NOT NULL,  last_used INTEGER NOT NULL,  announcements INTEGER NOT NULL,  flows INTEGER NOT NULL,  moved_from INTEGER NOT NULL,  PRIMARY KEY (server_ip, transport, port, uuid)) WITHOUT ROWID;
INSERT INTO rpc_endpoints VALUES('192.168.1.195','tcp',49155,'12345678-1234-abcd-ef00-01234567cffb','1.0','ept_map',NULL,1500160824,1500160824,0,1,0,0);
INSERT INTO rpc_endpoints VALUES('192.168.1.195','tcp',49155,'12345778-1234-abcd-ef00-0123456789ab','0.0','ept_map',NULL,1500160894,1500160894,0,1,0,0);
INSERT INTO rpc_endpoints VALUES('192.168.1.195','tcp',49155,'e3514235-4b06-11d1-ab04-00c04fc2dcd2','4.0','ept_map',NULL,1500160824,1500160919,0,4,0,0);
INSERT INTO rpc_endpoints VALUES('192.168.1.195','tcp',49158,'12345678-1234-abcd-ef00-01234567cffb','1.0','ept_map',NULL,1500160824,1500160825,1500160919,2,4,0);
INSERT INTO rpc_endpoints VALUES('192.168.1.195','tcp',49158,'12345778-1234-abcd-ef00-0123456789ab','0.0','ept_map',NULL,1500160894,1500160894,1500160919,2,2,0);
INSERT INTO rpc_endpoints VALUES('192.168.1.195','tcp',49158,'e3514235-4b06-11d1-ab04-00c04fc2dcd2','4.0','ept_map',NULL,1500160824,1500160919,1500160919,7,5,0);
INSERT INTO rpc_endpoints VALUES('192.168.1.195','tcp',49162,'367abb81-9844-35f1-ad32-98f038001003','2.0','ept_map',NULL,1500161287,1500161287,0,1,0,0);
CREATE TABLE alerts (  id INTEGER PRIMARY KEY,  kind TEXT NOT NULL,  severity INTEGER NOT NULL,  server_ip TEXT NOT NULL,  transport TEXT NOT NULL,  port INTEGER NOT NULL,  client_ip TEXT NOT NULL,  service TEXT NOT NULL,  protocol TEXT NOT NULL,  detail TEXT NOT NULL,  count INTEGER NOT NULL,  events INTEGER NOT NULL,  suppressed INTEGER NOT NULL,  first_seen INTEGER NOT NULL,  last_seen INTEGER NOT NULL,  last_event INTEGER NOT NULL,  state TEXT NOT NULL,  resolved_at INTEGER,  UNIQUE (kind, server_ip, transport, port));
CREATE INDEX alerts_last_seen ON alerts (last_seen);
COMMIT;
PRAGMA user_version = 2;
