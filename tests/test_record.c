/*
 * test_record.c - the field tables (record.h) and their renderers.
 *
 * The JSON keys of each table, in order, are the contract that
 * svcmapctl(8) and docs/api.md document: the lists below are those
 * documents' lists, so renaming, dropping or moving a key turns this
 * red (adding one means adding it here and to the documents).  Then
 * each renderer on hand-made records: JSON bytes, CSV quoting and
 * nulls, name=value, the aligned text table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/alert.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/config.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/record.h"
#include "svcmap/stats.h"
#include "tap.h"

/* The documented keys, NULL-terminated, in JSON order. */
static const char *const service_keys[] = { "sensor", "service", "name",
	"server_ip",
	"port", "transport", "vlan", "method", "protocol", "interface",
	"pipe", "smb_dialect", "smb_encrypted", "flows", "packets", "bytes", "packets_c2s", "packets_s2c",
	"bytes_c2s", "bytes_s2c", "clients", "first_seen", "last_seen", NULL };
static const char *const host_keys[] = { "sensor", "ip", "first_seen",
	"last_seen",
	"services", "flows", "packets", "bytes", "name", "names", "roles", NULL };
static const char *const endpoint_keys[] = { "sensor", "server_ip", "port",
	"transport", "uuid", "version", "interface", "service", "source",
	"clsid", "learned_at", "refreshed_at", "last_used", "moved_from",
	"flows", "announcements", NULL };
static const char *const operation_keys[] = { "sensor", "server_ip",
	"port", "transport", "interface", "interface_uuid", "version",
	"service", "opnum", "operation", "calls", "clients", "first_seen",
	"last_seen", NULL };
static const char *const attempt_keys[] = { "sensor", "server_ip",
	"port", "transport", "vlan", "service", "name", "attempts", "refused",
	"unanswered", "packets", "bytes", "clients", "first_seen", "last_seen",
	NULL };
static const char *const alert_keys[] = { "id", "kind", "severity",
	"server_ip", "port", "transport", "client_ip", "service", "protocol",
	"interface", "operation", "detail", "count", "events", "suppressed",
	"first_seen", "last_seen", "state", "resolved_at", "sensor",
	"event_type", "timestamp", "client_port", "community_id", "pcap_file",
	"packet", NULL };
static const char *const catalog_port_keys[] = { "kind", "service", "name",
	"system_service_name", "transport", "port_low", "port_high",
	"app_protocol", "role", "effective_listener", "dynamic_rpc",
	"sources", "notes", NULL };
static const char *const catalog_iface_keys[] = { "kind", "uuid",
	"version", "interface", "service", "name", "spec", "notes", NULL };

/* Issue 16: top and series entries. */
static const char *const top_keys[] = { "rank", "sensor", "server_ip",
	"service", "name", "port", "transport", "flows", "packets", "bytes",
	"clients", "first_seen", "last_seen", NULL };
static const char *const series_keys[] = { "sensor", "bucket",
	"resolution", "flows", "packets", "bytes", "packets_c2s",
	"packets_s2c", "bytes_c2s", "bytes_s2c", "clients", NULL };

static void
check_contract(const struct record_table *t, const char *const *keys)
{
	const struct record_field *f;
	char got[1024] = "", want[1024] = "";
	size_t i, k, ncols = 0, off;
	unsigned col, maxcol = 0;
	int heads_ok = 1, types_ok = 1, cols_ok = 1;

	for (i = 0, off = 0; i < t->nfields; i++) {
		f = &t->fields[i];
		if (f->key != NULL)
			off += (size_t)snprintf(got + off, sizeof(got) - off,
			    "%s ", f->key);
		if (f->col != 0) {
			ncols++;
			if (f->col > maxcol)
				maxcol = f->col;
			if (f->head == NULL)
				heads_ok = 0;
		}
		if (f->key == NULL && f->col == 0)
			heads_ok = 0;	/* a field nobody shows */
		/* A list, a bool in a struct, and every computed field. */
		if (f->get == NULL && (f->type == RECORD_LIST ||
		    (f->type == RECORD_UINT && f->size != 1 && f->size != 2 &&
		    f->size != 4 && f->size != 8)))
			types_ok = 0;
	}
	for (k = 0, off = 0; keys[k] != NULL; k++)
		off += (size_t)snprintf(want + off, sizeof(want) - off, "%s ",
		    keys[k]);
	is_str(got, want, "%s: the JSON keys are the documented ones, in "
	    "order", t->name);
	ok(t->nfields <= RECORD_MAX_FIELDS, "%s: at most %d fields", t->name,
	    RECORD_MAX_FIELDS);
	/* Columns 1..n, each once: no gap, no two fields in one column. */
	for (col = 1; col <= maxcol; col++) {
		for (i = 0, k = 0; i < t->nfields; i++)
			if (t->fields[i].col == col)
				k++;
		if (k != 1)
			cols_ok = 0;
	}
	ok(cols_ok && ncols == maxcol && ncols > 0,
	    "%s: text columns 1..%u, each once", t->name, maxcol);
	ok(heads_ok, "%s: every shown column has a header, every field is "
	    "shown somewhere", t->name);
	ok(types_ok, "%s: every accessor reads its type", t->name);
}

/* Render one kind's records in fmt into a string (caller frees). */
static char *
render(enum record_format fmt, const struct record_table *t,
    const void *recs, size_t size, size_t n, bool header)
{
	const struct record_table *kinds[] = { t };
	struct record_out o;
	struct json j;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	json_init(&j);
	record_out_begin(&o, fmt, kinds, 1, &j, f, header);
	for (i = 0; i < n; i++)
		record_out_row(&o, t, (const char *)recs + i * size);
	ok(record_out_end(&o) == 0, "%s: rendered", t->name);
	fclose(f);
	if (fmt == RECORD_JSON) {
		free(text);
		text = strdup(j.buf);
	}
	json_free(&j);
	return text;
}

/*
 * SMB rows: the pipe, the dialect as Microsoft names it (the lowest of
 * the row's sessions, stats.h numbers), the encrypted count; a row that
 * is not SMB leaves the three keys out of JSON.
 */
static void
test_services_smb(void)
{
	static const struct {
		uint16_t	 d;
		const char	*name;
	} dialects[] = {
		{ STATS_SMB1, "SMB1" }, { 0x0202, "2.0.2" }, { 0x0210, "2.1" },
		{ 0x0300, "3.0" }, { 0x0302, "3.0.2" }, { 0x0311, "3.1.1" },
		{ STATS_SMB2_UNKNOWN, "SMB2" },
	};
	struct query_service r;
	char *s, want[128];
	size_t i;

	memset(&r, 0, sizeof(r));
	r.sensor = "s1";
	r.service = "scm";
	r.name = "Service Control Manager";
	r.server_ip = "192.168.1.195";
	r.port = 445;
	r.transport = "tcp";
	r.method = "pipe";
	r.interface = "svcctl";
	r.pipe = "\\svcctl";
	r.smb_dialect = 0x0311;
	r.smb_encrypted = 5;
	s = render(RECORD_JSON, &record_services, &r, sizeof(r), 1, true);
	ok(s != NULL && strstr(s, "\"interface\":\"svcctl\",\"pipe\":"
	    "\"\\\\svcctl\",\"smb_dialect\":\"3.1.1\",\"smb_encrypted\":5,"
	    "\"flows\"") != NULL, "services JSON: pipe, dialect, encrypted");
	free(s);
	s = render(RECORD_TEXT, &record_services, &r, sizeof(r), 1, false);
	ok(s != NULL && strstr(s, "445/tcp  0  scm  pipe  \\svcctl  svcctl  -  "
	    "3.1.1  5  ") != NULL,
	    "services text: the issue's row, pipe then interface");
	free(s);
	for (i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		r.smb_dialect = dialects[i].d;
		s = render(RECORD_JSON, &record_services, &r, sizeof(r), 1,
		    true);
		snprintf(want, sizeof(want), "\"smb_dialect\":\"%s\"",
		    dialects[i].name);
		ok(s != NULL && strstr(s, want) != NULL,
		    "smb_dialect 0x%04x is %s", dialects[i].d,
		    dialects[i].name);
		free(s);
	}
	/* An SMB session's own row: no pipe, a dialect, 0 encrypted. */
	r.pipe = NULL;
	r.smb_dialect = STATS_SMB1;
	r.smb_encrypted = 0;
	s = render(RECORD_JSON, &record_services, &r, sizeof(r), 1, true);
	ok(s != NULL && strstr(s, "\"pipe\":") == NULL &&
	    strstr(s, "\"smb_dialect\":\"SMB1\",\"smb_encrypted\":0,") !=
	    NULL, "services JSON: a session row has no pipe, 0 encrypted");
	free(s);
}

static void
test_services(void)
{
	struct query_service r[2];
	char *s;

	memset(r, 0, sizeof(r));
	r[0].sensor = "s1";
	r[0].service = "kdc";
	r[0].name = "Kerberos Key Distribution Center";
	r[0].server_ip = "10.20.0.10";
	r[0].port = 88;
	r[0].transport = "udp";
	r[0].method = "port";
	r[0].protocol = "Kerberos";
	r[0].flows = 3;
	r[0].packets_c2s = 3;
	r[0].packets_s2c = 4;
	r[0].bytes_c2s = 2987;
	r[0].bytes_s2c = 4221;
	r[0].clients = 2;
	r[0].first_seen = 1705309200;
	r[0].last_seen = 1705309202;
	r[1] = r[0];
	r[1].name = "odd \"name\", with a comma";
	r[1].vlan = 42;
	r[1].protocol = NULL;
	r[1].interface = "";

	s = render(RECORD_JSON, &record_services, r, sizeof(r[0]), 1, true);
	is_str(s, "[{\"sensor\":\"s1\",\"service\":\"kdc\",\"name\":"
	    "\"Kerberos Key Distribution Center\",\"server_ip\":\"10.20.0.10\",\"port\":88,\"transport\":"
	    "\"udp\",\"vlan\":0,\"method\":\"port\",\"protocol\":\"Kerberos\","
	    "\"interface\":null,\"flows\":3,\"packets\":7,\"bytes\":7208,"
	    "\"packets_c2s\":3,\"packets_s2c\":4,\"bytes_c2s\":2987,"
	    "\"bytes_s2c\":4221,\"clients\":2,\"first_seen\":"
	    "\"2024-01-15T09:00:00Z\",\"last_seen\":\"2024-01-15T09:00:02Z\"}]",
	    "services JSON: keys, numbers, null, ISO times, computed sums");
	free(s);

	s = render(RECORD_CSV, &record_services, r, sizeof(r[0]), 2, true);
	is_str(s, "sensor,service,name,server_ip,port,transport,vlan,method,"
	    "protocol,interface,pipe,smb_dialect,smb_encrypted,flows,packets,"
	    "bytes,packets_c2s,packets_s2c,"
	    "bytes_c2s,bytes_s2c,clients,first_seen,last_seen\n"
	    "s1,kdc,Kerberos Key Distribution Center,10.20.0.10,88,udp,0,port,"
	    "Kerberos,,,,,3,7,7208,3,4,2987,4221,2,2024-01-15T09:00:00Z,"
	    "2024-01-15T09:00:02Z\n"
	    "s1,kdc,\"odd \"\"name\"\", with a comma\",10.20.0.10,88,udp,42,port,"
	    ",\"\",,,,3,7,7208,3,4,2987,4221,2,2024-01-15T09:00:00Z,"
	    "2024-01-15T09:00:02Z\n",
	    "services CSV: header of the keys, RFC 4180 quoting, null empty, "
	    "\"\" an empty string");
	free(s);

	s = render(RECORD_CSV, &record_services, r, sizeof(r[0]), 1, false);
	ok(s != NULL && strncmp(s, "s1,kdc,", 7) == 0,
	    "services CSV without header: rows only");
	free(s);

	s = render(RECORD_TEXT, &record_services, r, sizeof(r[0]), 2, true);
	is_str(s, "SERVER      PORT    VLAN  SERVICE  METHOD  PIPE  INTERFACE  "
	    "PROTOCOL  SMB  ENCRYPTED  FLOWS  PACKETS  BYTES  CLIENTS  "
	    "FIRST SEEN            LAST SEEN             NAME\n"
	    "10.20.0.10  88/udp     0  kdc      port    -     -          "
	    "Kerberos  -            -      3        7   7208        2  "
	    "2024-01-15T09:00:00Z  "
	    "2024-01-15T09:00:02Z  Kerberos Key Distribution Center\n"
	    "10.20.0.10  88/udp    42  kdc      port    -                "
	    "-         -            -      3        7   7208        2  "
	    "2024-01-15T09:00:00Z  "
	    "2024-01-15T09:00:02Z  odd \"name\", with a comma\n",
	    "services text: column order, right-aligned numbers, - for "
	    "null, last column unpadded");
	free(s);

	s = render(RECORD_KV, &record_services, r, sizeof(r[0]), 2, true);
	ok(s != NULL && strstr(s, "\npipe=\nsmb_dialect=\nsmb_encrypted=\n")
	    != NULL, "services name=value: SMB fields empty when not SMB");
	ok(s != NULL && strncmp(s, "sensor=s1\nservice=kdc\nname=Kerberos "
	    "Key Distribution Center\n", 57) == 0 &&
	    strstr(s, "\nprotocol=\ninterface=\n") != NULL &&
	    strstr(s, "last_seen=2024-01-15T09:00:02Z\n\nsensor=s1\n"
	    "service=kdc\n") != NULL, "services name=value: a block per record, blank line "
	    "between");
	free(s);
}

static void
test_hosts_endpoints(void)
{
	static const char *const keys[] = { "kdc", "netlogon" };
	struct query_name nm[2] = {
		{ NULL, NULL, "dc1.example.test", "dns", "host", false,
		    1705309200, 1705309300, 0 },
		{ NULL, NULL, "DC1", "nbns", "netbios", true, 1705309200,
		    1705309300, 4 },
	};
	struct query_host h[2];
	struct query_endpoint e;
	char *s;

	memset(h, 0, sizeof(h));
	h[0].sensor = "s1";
	h[0].ip = "10.0.0.1";
	h[0].services = keys;
	h[0].nservices = 2;
	h[0].first_seen = h[0].last_seen = 1705309200;
	h[0].name = "dc1.example.test";
	h[0].names = nm;
	h[0].nnames = 2;
	h[1] = h[0];
	h[1].ip = "10.0.0.2";
	h[1].nservices = 0;
	h[1].name = NULL;
	h[1].nnames = 0;
	s = render(RECORD_JSON, &record_hosts, h, sizeof(h[0]), 2, true);
	ok(s != NULL && strstr(s, "\"services\":[\"kdc\",\"netlogon\"]") !=
	    NULL && strstr(s, "\"services\":[]") != NULL,
	    "hosts JSON: services an array, [] when none");
	ok(s != NULL && strstr(s, "\"name\":\"dc1.example.test\","
	    "\"names\":[{\"name\":\"dc1.example.test\",\"source\":\"dns\","
	    "\"kind\":\"host\",\"first_seen\":\"2024-01-15T09:00:00Z\","
	    "\"last_seen\":\"2024-01-15T09:01:40Z\"},{\"name\":\"DC1\"") != NULL &&
	    strstr(s, "\"name\":null,\"names\":[]") != NULL,
	    "hosts JSON: names an array of objects, [] when none");
	free(s);
	s = render(RECORD_CSV, &record_hosts, h, sizeof(h[0]), 2, true);
	/* Roles (issue 15) follow names; none here: "". */
	is_str(s, "sensor,ip,first_seen,last_seen,services,flows,packets,"
	    "bytes,name,names,roles\n"
	    "s1,10.0.0.1,2024-01-15T09:00:00Z,2024-01-15T09:00:00Z,kdc netlogon,"
	    "0,0,0,dc1.example.test,dc1.example.test DC1,\"\"\n"
	    "s1,10.0.0.2,2024-01-15T09:00:00Z,2024-01-15T09:00:00Z,\"\",0,0,"
	    "0,,\"\",\"\"\n",
	    "hosts CSV: a list joined by spaces, an empty one \"\"");
	free(s);
	s = render(RECORD_TEXT, &record_hosts, h, sizeof(h[0]), 2, false);
	/* The ROLES column (issue 15) is last: "-" for none. */
	ok(s != NULL && strstr(s, "  kdc,netlogon  -\n") != NULL &&
	    strstr(s, "  -             -\n") != NULL &&
	    strncmp(s, "10.0.0.1", 8) == 0,
	    "hosts text: a list joined by commas, - when empty, no header");
	free(s);

	memset(&e, 0, sizeof(e));
	e.server_ip = "10.0.0.1";
	e.port = 49668;
	e.transport = "tcp";
	e.uuid = "12345678-1234-abcd-ef00-01234567cffb";
	e.version = "1.0";
	e.source = "ept_map";
	e.learned_at = e.refreshed_at = 1705309200;
	s = render(RECORD_JSON, &record_endpoints, &e, sizeof(e), 1, true);
	ok(s != NULL && strstr(s, "\"interface\":null,\"service\":null") !=
	    NULL && strstr(s, "\"last_used\":null,\"moved_from\":null") !=
	    NULL, "endpoints JSON: unknown names, never used, not moved: "
	    "null");
	free(s);
	e.moved_from = 49667;
	s = render(RECORD_JSON, &record_endpoints, &e, sizeof(e), 1, true);
	ok(s != NULL && strstr(s, "\"moved_from\":49667") != NULL,
	    "endpoints JSON: moved_from a number when set");
	free(s);
}

static void
test_alerts(void)
{
	struct alert_record a;
	struct json j;
	char *s;

	memset(&a, 0, sizeof(a));
	a.id = 7;
	a.kind = ALERT_UNDOCUMENTED_SERVICE;
	a.severity = 4;
	a.transport = TRANSPORT_TCP;
	a.port = 2222;
	addr_parse(&a.server, "10.20.0.20");
	addr_parse(&a.client, "10.20.1.101");
	snprintf(a.protocol, sizeof(a.protocol), "SSH");
	snprintf(a.detail, sizeof(a.detail), "server on 2222/tcp");
	a.count = 1;
	a.events = 1;
	a.first_seen = a.last_seen = 1705309203;

	s = render(RECORD_JSON, &record_alerts, &a, sizeof(a), 1, true);
	is_str(s, "[{\"id\":7,\"kind\":\"undocumented_service\",\"severity\":4,"
	    "\"server_ip\":\"10.20.0.20\",\"port\":2222,\"transport\":\"tcp\","
	    "\"client_ip\":\"10.20.1.101\",\"service\":null,\"protocol\":"
	    "\"SSH\",\"detail\":\"server on 2222/tcp\",\"count\":1,\"events\":1,"
	    "\"suppressed\":0,\"first_seen\":\"2024-01-15T09:00:03Z\","
	    "\"last_seen\":\"2024-01-15T09:00:03Z\",\"state\":\"open\","
	    "\"event_type\":\"alert\",\"timestamp\":"
	    "\"2024-01-15T09:00:03.000000Z\",\"client_port\":null,"
	    "\"community_id\":null}]",
	    "alerts JSON: an open alert has no resolved_at; a row from before "
	    "schema v8 takes its timestamp from last_seen, and has no client "
	    "port, Community ID, file or packet");
	free(s);
	a.resolved_at = 1705309300;
	a.id = 0;
	json_init(&j);
	a.client_port = 49157;
	snprintf(a.community_id, sizeof(a.community_id),
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	a.timestamp_us = 1705309301000042;
	snprintf(a.pcap_file, sizeof(a.pcap_file), "x.pcap");
	a.packet = 12;
	alert_record_json(&j, &a, "s1", CONFIG_SCALE_SVCMAP);
	ok(strncmp(j.buf, "{\"id\":null,", 11) == 0 &&
	    strstr(j.buf, "\"state\":\"resolved\",\"resolved_at\":"
	    "\"2024-01-15T09:01:40Z\",\"event_type\":\"alert\",\"timestamp\":"
	    "\"2024-01-15T09:01:41.000042Z\",\"client_port\":49157,"
	    "\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\","
	    "\"pcap_file\":\"x.pcap\",\"packet\":12,\"sensor\":\"s1\"}") !=
	    NULL && strstr(j.buf, "\"severity\":4,") != NULL,
	    "alert JSON line: id null before storing, resolved_at, then the "
	    "event's type, timestamp (microseconds), flow, packet and sensor");
	json_free(&j);
	json_init(&j);
	alert_record_json(&j, &a, "s1", CONFIG_SCALE_SURICATA);
	ok(strstr(j.buf, "\"severity\":1,") != NULL &&
	    strstr(j.buf, "\"severity_scale\":\"suricata\"") != NULL,
	    "alert JSON line, Suricata's scale: severity 4 (high) is "
	    "priority 1, and the line says which scale");
	json_free(&j);
	s = render(RECORD_CSV, &record_alerts, &a, sizeof(a), 1, true);
	ok(s != NULL && strstr(s, ",state,resolved_at,sensor,event_type,"
	    "timestamp,client_port,community_id,pcap_file,packet\n,"
	    "undocumented_service,4,") != NULL && strstr(s, ",resolved,"
	    "2024-01-15T09:01:40Z,,alert,2024-01-15T09:01:41.000042Z,49157,"
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=,x.pcap,12\n") != NULL,
	    "alerts CSV: every column, id and sensor empty when null");
	free(s);
}

static void
test_catalog(void)
{
	static const struct record_table *const both[] = {
		&record_catalog_ports, &record_catalog_ifaces
	};
	struct catalog_port_record p;
	struct catalog_iface_record i;
	struct record_out o;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	memset(&p, 0, sizeof(p));
	p.service = "kdc";
	p.name = "Kerberos Key Distribution Center";
	p.transport = "udp";
	p.port_low = p.port_high = 88;
	p.app_protocol = "kerberos";
	p.role = "listener";
	p.effective_listener = -1;
	p.sources[0] = "sv";
	p.sources[1] = "ja";
	p.nsources = 2;
	memset(&i, 0, sizeof(i));
	snprintf(i.uuid, sizeof(i.uuid), "12345678-1234-abcd-ef00-01234567cffb");
	snprintf(i.version, sizeof(i.version), "1.0");
	i.interface = "netlogon";
	i.service = "netlogon";
	i.name = "Net Logon";
	i.spec = "MS-NRPC";

	record_out_begin(&o, RECORD_CSV, both, 2, NULL, f, true);
	record_out_row(&o, &record_catalog_ports, &p);
	record_out_row(&o, &record_catalog_ifaces, &i);
	ok(record_out_end(&o) == 0, "catalog CSV rendered");
	fclose(f);
	is_str(text, "kind,service,name,system_service_name,transport,port_low,"
	    "port_high,app_protocol,role,effective_listener,dynamic_rpc,"
	    "sources,notes,uuid,version,interface,spec\n"
	    "port,kdc,Kerberos Key Distribution Center,,udp,88,88,kerberos,"
	    "listener,,false,sv ja,,,,,\n"
	    "interface,netlogon,Net Logon,,,,,,,,,,,"
	    "12345678-1234-abcd-ef00-01234567cffb,1.0,netlogon,MS-NRPC\n",
	    "catalog CSV: one header, the union of both kinds' keys");
	free(text);

	text = render(RECORD_JSON, &record_catalog_ports, &p, sizeof(p), 1,
	    true);
	ok(text != NULL && strstr(text, "\"role\":\"listener\","
	    "\"dynamic_rpc\":false") != NULL,
	    "catalog JSON: effective_listener left out when no port asked");
	free(text);
	p.effective_listener = 1;
	text = render(RECORD_JSON, &record_catalog_ports, &p, sizeof(p), 1,
	    true);
	ok(text != NULL && strstr(text, "\"effective_listener\":true,") !=
	    NULL, "catalog JSON: effective_listener when a port was asked");
	free(text);
}

int
main(void)
{
	check_contract(&record_services, service_keys);
	check_contract(&record_hosts, host_keys);
	check_contract(&record_endpoints, endpoint_keys);
	check_contract(&record_operations, operation_keys);
	check_contract(&record_attempts, attempt_keys);
	check_contract(&record_alerts, alert_keys);
	check_contract(&record_catalog_ports, catalog_port_keys);
	check_contract(&record_catalog_ifaces, catalog_iface_keys);
	check_contract(&record_top, top_keys);
	check_contract(&record_series, series_keys);
	test_services();
	test_services_smb();
	test_hosts_endpoints();
	test_alerts();
	test_catalog();
	return tap_done();
}
