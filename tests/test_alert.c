/*
 * test_alert.c - alert decisions, dedup, rate limit, restore, output.
 *
 * Synthetic flows go straight into alert_flow() with the facts the engine
 * would give, so each kind is raised (or not) by exactly the flow that
 * should raise it, including a protocol mismatch the shared captures do
 * not contain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "svcmap/alert.h"
#include "svcmap/catalog.h"
#include "svcmap/community_id.h"
#include "svcmap/config.h"
#include "svcmap/flow.h"
#include "svcmap/json.h"
#include "svcmap/opwatch.h"
#include "svcmap/transport.h"
#include "tap.h"

#define T0 1705309200ULL	/* 2024-01-15T09:00:00Z */
#define US 1000000ULL

static struct config cfg;

static void
base_config(void)
{
	int k;

	config_defaults(&cfg);
	for (k = 0; k < ALERT_KINDS; k++) {
		cfg.alert_kind[k].enabled = true;
		cfg.alert_kind[k].severity = k + 1;
	}
	cfg.alert_quiet_s = 600;
	cfg.alert_learning_s = 0;
	cfg.alert_rate_per_min = 1000;
	cfg.nignore = 0;
	/* Publish at once; test_grace() checks the grace period. */
	cfg.alert_grace_s = 0;
}

/* alert-grace as config_defaults() sets it, in seconds. */
static unsigned
config_defaults_grace(void)
{
	struct config d;

	config_defaults(&d);
	return d.alert_grace_s;
}

static struct alerts *
make(void)
{
	char err[256];
	struct alerts *a = alert_create(&cfg, err, sizeof(err));

	if (a == NULL)
		fprintf(stderr, "alert_create: %s\n", err);
	return a;
}

/* A flow from 10.0.0.1 to server ip:port that completed its handshake. */
static void
flow_init(struct flow *f, const char *server, uint8_t proto, uint16_t port,
    enum flow_class cls)
{
	memset(f, 0, sizeof(*f));
	addr_parse(&f->client, "10.0.0.1");
	addr_parse(&f->server, server);
	f->client_port = 50000;
	f->server_port = port;
	f->proto = proto;
	f->cls = cls;
	f->service = -1;
	f->port_row = -1;
	f->iface = -1;
	if (proto == TRANSPORT_TCP)
		f->tcp = FLOW_TCP_SYN | FLOW_TCP_SYNACK | FLOW_TCP_ESTABLISHED;
	f->server_replied = true;
	f->answered = true;
}

static void
facts_init(struct alert_facts *fa, uint64_t t_s, const char *protocol)
{
	memset(fa, 0, sizeof(*fa));
	fa->server_monitored = true;
	fa->protocol = protocol;
	fa->now_us = t_s * US;
	fa->start_us = T0 * US;
}

static size_t
nrecs(struct alerts *a, struct alert_record **r)
{
	size_t n;

	*r = alert_batch_records(alert_batch(a), &n);
	return n;
}

static void
test_kinds(void)
{
	struct alert_record *r;
	struct alert_facts fa;
	struct alerts *a;
	struct flow f;

	base_config();
	a = make();

	/* SSH on 2222: nothing documents it. */
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0, "SSH");
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "undocumented server raises one alert");
	is_int(r[0].kind, ALERT_UNDOCUMENTED_SERVICE, "kind undocumented_service");
	is_int(r[0].severity, 1, "severity from the config");
	is_int(r[0].port, 2222, "port recorded");
	is_str(r[0].protocol, "SSH", "nDPI verdict recorded");
	is_int(r[0].pending, 1, "a first raise is an event");
	ok((f.alert_flags & ALERT_FLOW_DONE) != 0, "flow marked as looked at");
	alert_flow(a, &f, &fa, true);
	is_int(r[0].count, 1, "a flow is counted once however often asked");
	alert_batch_clear(alert_batch(a));

	/* A SYN nobody answered: not a server. */
	flow_init(&f, "10.0.0.21", TRANSPORT_TCP, 8080, FLOW_UNDOCUMENTED);
	f.tcp = FLOW_TCP_SYN;
	alert_flow(a, &f, &fa, false);
	ok(f.alert_flags == 0, "unanswered flow waits");
	alert_flow(a, &f, &fa, true);
	is_int(nrecs(a, &r), 0, "unanswered TCP raises nothing at its end");

	/*
	 * Issue 14 item 2: a refused attempt (the server sent RSTs only)
	 * raises no service alert of any kind, not even the protocol
	 * mismatch nDPI's port guess would make.
	 */
	flow_init(&f, "10.0.0.21", TRANSPORT_TCP, 515, FLOW_CLASSIFIED);
	f.tcp = FLOW_TCP_SYN | FLOW_TCP_RST;
	f.answered = false;
	fa.mismatch = true;
	alert_flow(a, &f, &fa, true);
	is_int(nrecs(a, &r), 0, "item 2: a refused attempt raises nothing, "
	    "not even protocol_mismatch");
	fa.mismatch = false;

	/* UDP with no reply, then with one. */
	flow_init(&f, "10.0.0.22", TRANSPORT_UDP, 9999, FLOW_UNDOCUMENTED);
	f.server_replied = false;
	f.answered = false;
	alert_flow(a, &f, &fa, true);
	is_int(nrecs(a, &r), 0, "UDP without reply raises nothing");
	flow_init(&f, "10.0.0.22", TRANSPORT_UDP, 9999, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "UDP with a reply raises");
	alert_batch_clear(alert_batch(a));

	/* Dynamic RPC range: DCE/RPC or unknown -> unmapped; HTTP -> undocumented. */
	flow_init(&f, "10.0.0.30", TRANSPORT_TCP, 49700, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0, "DCE_RPC");
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	flow_init(&f, "10.0.0.30", TRANSPORT_TCP, 49701, FLOW_UNDOCUMENTED);
	fa.protocol = NULL;
	alert_flow(a, &f, &fa, false);
	flow_init(&f, "10.0.0.30", TRANSPORT_TCP, 49702, FLOW_UNDOCUMENTED);
	fa.protocol = "HTTP";
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 3, "three dynamic-range flows, three alerts");
	is_int(r[0].kind, ALERT_UNMAPPED_DYNAMIC_PORT, "DCE_RPC verdict: unmapped");
	is_int(r[1].kind, ALERT_UNMAPPED_DYNAMIC_PORT, "no verdict: unmapped");
	is_int(r[2].kind, ALERT_UNDOCUMENTED_SERVICE,
	    "HTTP in the RPC range is an undocumented service");
	alert_batch_clear(alert_batch(a));

	/* EPM evidence for 49700 resolves its alert. */
	flow_init(&f, "10.0.0.30", TRANSPORT_TCP, 49700, FLOW_CLASSIFIED);
	f.method = METHOD_EPM;
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "resolution is an update");
	ok(r[0].kind == ALERT_UNMAPPED_DYNAMIC_PORT &&
	    r[0].resolved_at == (int64_t)T0, "learned endpoint resolves the alert");
	alert_batch_clear(alert_batch(a));

	/* SSH on 3389: the catalog says RDP. */
	flow_init(&f, "10.0.0.40", TRANSPORT_TCP, 3389, FLOW_CLASSIFIED);
	f.method = METHOD_PORT;
	f.app_mismatch = true;
	facts_init(&fa, T0, "SSH");
	fa.service = "termservice";
	fa.expected = "rdp";
	fa.mismatch = true;
	alert_restore_known(a, &f.server, "termservice");
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "mismatch raises one alert");
	is_int(r[0].kind, ALERT_PROTOCOL_MISMATCH, "kind protocol_mismatch");
	ok(strstr(r[0].detail, "SSH") != NULL && strstr(r[0].detail, "rdp")
	    != NULL, "detail names both protocols (%s)", r[0].detail);
	is_str(r[0].service, "termservice", "service recorded");
	alert_batch_clear(alert_batch(a));

	/* Unmonitored server. */
	flow_init(&f, "192.0.2.1", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0, "SSH");
	fa.server_monitored = false;
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 0, "a server outside the monitored networks "
	    "raises nothing");
	alert_destroy(a);
}

static void
test_switches(void)
{
	struct alert_record *r;
	struct alert_facts fa;
	struct alerts *a;
	struct flow f;

	base_config();
	cfg.alert_kind[ALERT_UNDOCUMENTED_SERVICE].enabled = false;
	a = make();
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0, "SSH");
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 0, "a kind switched off raises nothing");
	alert_destroy(a);

	base_config();
	cfg.nignore = 2;
	cfg.ignore[0].has_cidr = true;
	cidr_parse(&cfg.ignore[0].cidr, "10.9.0.0/16");
	cfg.ignore[1].transport = TRANSPORT_TCP;
	cfg.ignore[1].port = 8081;
	a = make();
	flow_init(&f, "10.9.1.1", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);
	flow_init(&f, "10.0.0.5", TRANSPORT_TCP, 8081, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 0, "ignored host and ignored port raise nothing");
	flow_init(&f, "10.0.0.5", TRANSPORT_UDP, 8081, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "the port rule is per transport");
	alert_destroy(a);
}

static void
test_dedup_rate(void)
{
	struct alert_record *r, rec;
	struct alert_facts fa;
	struct alerts *a;
	struct flow f;
	char ip[32];
	int i;

	base_config();
	a = make();
	for (i = 0; i < 25; i++) {
		flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222,
		    FLOW_UNDOCUMENTED);
		facts_init(&fa, T0 + (uint64_t)i * 10, "SSH");
		alert_flow(a, &f, &fa, false);
	}
	is_int(nrecs(a, &r), 1, "25 flows to one server port: one alert");
	is_int(r[0].count, 25, "count = flows");
	is_int(r[0].events, 1, "one event");
	is_int(r[0].last_seen - r[0].first_seen, 240, "first/last seen");
	/* The quiet period passes: a new event on the same row. */
	facts_init(&fa, T0 + 240 + 600, "SSH");
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "re-raise keeps one row");
	is_int(r[0].events, 2, "after the quiet period: second event");
	is_int(r[0].pending, 2, "both events pending publication");
	alert_destroy(a);

	base_config();
	cfg.alert_rate_per_min = 3;
	a = make();
	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "10.0.1.%d", i + 1);
		flow_init(&f, ip, TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
		facts_init(&fa, T0 + (uint64_t)i, "SSH");
		alert_flow(a, &f, &fa, false);
	}
	flow_init(&f, "10.0.1.9", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0 + 60, "SSH");
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 6, "rate-limited alerts are still tracked");
	is_int(r[3].suppressed + r[4].suppressed, 2,
	    "4th and 5th raise of the minute suppressed");
	is_int(r[2].events + r[3].events, 1, "3rd raised, 4th not");
	is_int(r[5].events, 1, "the next minute raises again");
	alert_destroy(a);

	/* Restart: a stored alert is continued, not raised again. */
	base_config();
	a = make();
	memset(&rec, 0, sizeof(rec));
	rec.id = 7;
	rec.kind = ALERT_UNDOCUMENTED_SERVICE;
	addr_parse(&rec.server, "10.0.0.20");
	rec.transport = TRANSPORT_TCP;
	rec.port = 2222;
	rec.count = 5;
	rec.events = 1;
	rec.first_seen = (int64_t)T0;
	rec.last_seen = (int64_t)T0 + 100;
	ok(alert_restore(a, &rec) == 0, "restore a stored alert");
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0 + 100, "SSH");
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "restored alert updated");
	ok(r[0].count == 6 && r[0].events == 1 && r[0].pending == 0,
	    "count grows, no new event (count %llu events %llu)",
	    (unsigned long long)r[0].count, (unsigned long long)r[0].events);
	is_int(r[0].first_seen, (int64_t)T0, "first_seen kept");
	alert_destroy(a);
}

static void
test_new_service(void)
{
	struct alert_record *r;
	struct alert_facts fa;
	struct addr known;
	struct alerts *a;
	struct flow f;

	base_config();
	cfg.alert_learning_s = 3600;
	a = make();
	addr_parse(&known, "10.0.0.50");
	alert_restore_known(a, &known, "dns");

	flow_init(&f, "10.0.0.51", TRANSPORT_TCP, 445, FLOW_CLASSIFIED);
	f.method = METHOD_PORT;
	facts_init(&fa, T0 + 10, "SMBv23");
	fa.service = "smb";
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 0, "during learning: silent");

	flow_init(&f, "10.0.0.51", TRANSPORT_TCP, 445, FLOW_CLASSIFIED);
	f.method = METHOD_PORT;
	fa.now_us = (T0 + 4000) * US;
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 0, "a pair learned during learning is known");

	flow_init(&f, "10.0.0.50", TRANSPORT_UDP, 53, FLOW_CLASSIFIED);
	f.method = METHOD_PORT;
	fa.service = "dns";
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 0, "a pair from the database is known");

	flow_init(&f, "10.0.0.50", TRANSPORT_TCP, 88, FLOW_CLASSIFIED);
	f.method = METHOD_PORT;
	fa.service = "kdc";
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "after learning: a new pair raises");
	is_int(r[0].kind, ALERT_NEW_SERVICE, "kind new_service");
	is_str(r[0].service, "kdc", "service recorded");
	flow_init(&f, "10.0.0.50", TRANSPORT_TCP, 88, FLOW_CLASSIFIED);
	f.method = METHOD_PORT;
	alert_flow(a, &f, &fa, false);
	is_int(r[0].count, 1, "the second flow is no longer new");
	alert_destroy(a);
}

static void
test_output(void)
{
	struct alert_record *r;
	struct alert_batch *dst;
	struct alert_facts fa;
	struct alert_out *o;
	struct alerts *a;
	struct flow f;
	struct json j;
	char path[] = "/tmp/test_alert.XXXXXX", line[1024];
	FILE *in;
	size_t n;
	int fd, lines = 0;

	base_config();
	a = make();
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0, "SSH \"quoted\"");
	alert_flow(a, &f, &fa, false);
	flow_init(&f, "10.0.0.21", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);

	dst = alert_batch_create();
	ok(alert_batch_merge(dst, alert_batch(a)) == 0, "merge");
	is_int(nrecs(a, &r), 0, "merge empties the source");
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);
	alert_batch_merge(dst, alert_batch(a));
	r = alert_batch_records(dst, &n);
	ok(n == 2 && r[0].count == 2 && r[0].pending == 1,
	    "merging the same alert keeps one record, latest count");

	json_init(&j);
	alert_record_json(&j, &r[0], "s1", CONFIG_SCALE_SVCMAP);
	ok(strstr(j.buf, "\"kind\":\"undocumented_service\"") != NULL &&
	    strstr(j.buf, "\"timestamp\":\"2024-01-15T09:00:00.000000Z\"") !=
	    NULL &&
	    strstr(j.buf, "\"sensor\":\"s1\"") != NULL &&
	    strstr(j.buf, "\\\"quoted\\\"") != NULL,
	    "JSON object carries kind, timestamp, sensor, escaped strings");
	json_free(&j);

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "mkstemp");
		return;
	}
	close(fd);
	snprintf(cfg.alert_jsonl, sizeof(cfg.alert_jsonl), "%s", path);
	o = alert_out_open(&cfg);
	alert_out_events(o, dst);
	alert_out_events(o, dst);
	is_int(alert_out_published(o), 2, "each pending event published once");
	is_int(alert_out_errors(o), 0, "no write errors");
	alert_out_close(o);
	if ((in = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), in) != NULL)
			if (line[0] == '{' && strchr(line, '\n') != NULL)
				lines++;
		fclose(in);
	}
	is_int(lines, 2, "two JSON lines in the file");
	unlink(path);

	snprintf(cfg.alert_jsonl, sizeof(cfg.alert_jsonl),
	    "/nonexistent/dir/alerts.jsonl");
	o = alert_out_open(&cfg);
	ok(o != NULL && alert_out_errors(o) == 1,
	    "an unwritable file is counted, not fatal");
	alert_out_close(o);
	alert_batch_destroy(dst);
	alert_destroy(a);
}


/* A request of a watched operation at t_s, as engine_rpc_request() makes. */
static void
request(struct alerts *a, const struct flow *f, uint8_t watch, uint64_t t_s,
    const char *iface, const char *op)
{
	struct alert_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.interface = iface;
	rq.operation = op;
	rq.service = "lsass";
	rq.opnum = 3;
	rq.watch = watch;
	rq.dc_iface = strcmp(iface, "drsuapi") == 0;
	rq.op_key = 7u << 16 | 3;
	rq.now_us = t_s * US;
	alert_rpc_request(a, f, &rq);
}

static const struct alert_record *
find_op(struct alerts *a, const char *op)
{
	struct alert_record *r;
	size_t i, n = nrecs(a, &r);

	for (i = 0; i < n; i++)
		if (r[i].kind == ALERT_SENSITIVE_OPERATION &&
		    strcmp(r[i].operation, op) == 0)
			return &r[i];
	return NULL;
}

static void
test_sensitive(void)
{
	const struct alert_record *r;
	struct alert_facts fa;
	struct alerts *a;
	struct flow f, g, kdc;
	int i;

	base_config();
	cfg.storm_calls = 10;
	cfg.storm_window_s = 60;
	a = make();
	flow_init(&f, "10.0.0.9", TRANSPORT_TCP, 445, FLOW_CLASSIFIED);
	request(a, &f, 0, T0, "svcctl", "ROpenSCManagerW");
	ok(find_op(a, "ROpenSCManagerW") == NULL, "an unwatched call: nothing");
	request(a, &f, OPWATCH_ON, T0, "svcctl", "RCreateServiceW");
	request(a, &f, OPWATCH_ON, T0 + 1, "svcctl", "RCreateServiceW");
	r = find_op(a, "RCreateServiceW");
	ok(r != NULL && r->count == 2 && r->events == 1 &&
	    strcmp(r->interface, "svcctl") == 0 && r->port == 445 &&
	    r->severity == ALERT_SENSITIVE_OPERATION + 1,
	    "a watched call raises once, counts each call");
	ok(r != NULL && strcmp(r->detail, "svcctl RCreateServiceW called") ==
	    0, "detail names interface and operation (%s)",
	    r ? r->detail : "");
	request(a, &f, OPWATCH_ON, T0 + 2, "svcctl", "RCreateServiceA");
	ok(find_op(a, "RCreateServiceA") != NULL &&
	    find_op(a, "RCreateServiceA") != find_op(a, "RCreateServiceW"),
	    "another operation on the same endpoint is another alert");

	/* Storm: more than 10 calls from one client within 60 s. */
	flow_init(&g, "10.0.0.10", TRANSPORT_TCP, 49668, FLOW_CLASSIFIED);
	for (i = 0; i < 10; i++)
		request(a, &g, OPWATCH_ON | CATALOG_OP_STORM, T0 + i, "netlogon",
		    "NetrServerAuthenticate3");
	ok(find_op(a, "NetrServerAuthenticate3") == NULL,
	    "10 calls in a window are no storm");
	request(a, &g, OPWATCH_ON | CATALOG_OP_STORM, T0 + 10, "netlogon",
	    "NetrServerAuthenticate3");
	r = find_op(a, "NetrServerAuthenticate3");
	ok(r != NULL && r->count == 11, "the 11th call is a storm of 11 (%llu)",
	    r ? (unsigned long long)r->count : 0ULL);
	request(a, &g, OPWATCH_ON | CATALOG_OP_STORM, T0 + 11, "netlogon",
	    "NetrServerAuthenticate3");
	r = find_op(a, "NetrServerAuthenticate3");
	ok(r != NULL && r->count == 12, "then each call counts");
	for (i = 0; i < 5; i++)
		request(a, &g, OPWATCH_ON | CATALOG_OP_STORM, T0 + 100 + i * 30,
		    "netlogon", "NetrServerPasswordSet2");
	ok(find_op(a, "NetrServerPasswordSet2") == NULL,
	    "slow calls never make a storm");

	/* Not from a DC: a client seen answering Kerberos is one. */
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 49667, FLOW_CLASSIFIED);
	request(a, &f, OPWATCH_ON | CATALOG_OP_NOT_DC, T0, "drsuapi",
	    "IDL_DRSGetNCChanges");
	ok(find_op(a, "IDL_DRSGetNCChanges") != NULL,
	    "replication from a host never seen as a DC raises");
	ok(alert_is_dc(a, &f.server),
	    "the server that answered drsuapi is a DC");
	ok(!alert_is_dc(a, &f.client), "its client is not (yet)");
	flow_init(&kdc, "10.0.0.1", TRANSPORT_UDP, 88, FLOW_CLASSIFIED);
	addr_parse(&kdc.client, "10.0.0.77");
	facts_init(&fa, T0, "Kerberos");
	fa.service = "kdc";
	alert_flow(a, &kdc, &fa, false);
	ok(alert_is_dc(a, &kdc.server), "answering Kerberos makes a DC");
	request(a, &f, OPWATCH_ON | CATALOG_OP_NOT_DC, T0 + 5, "drsuapi",
	    "IDL_DRSReplicaAdd");
	ok(find_op(a, "IDL_DRSReplicaAdd") == NULL,
	    "a DC replicating raises nothing");
	request(a, &f, OPWATCH_ON, T0 + 5, "drsuapi", "IDL_DRSAddEntry");
	ok(find_op(a, "IDL_DRSAddEntry") != NULL,
	    "without not-dc, a DC's call raises too");
	alert_destroy(a);

	/* A stored KDC is a DC after a restart. */
	a = make();
	addr_parse(&f.client, "10.0.0.30");
	alert_restore_known(a, &f.client, "kdc");
	request(a, &f, OPWATCH_ON | CATALOG_OP_NOT_DC, T0, "drsuapi",
	    "IDL_DRSGetNCChanges");
	ok(find_op(a, "IDL_DRSGetNCChanges") == NULL,
	    "a client stored as a KDC is a DC");
	alert_destroy(a);

	/* The kind off, an ignored server, an unmonitored flow. */
	base_config();
	cfg.alert_kind[ALERT_SENSITIVE_OPERATION].enabled = false;
	a = make();
	flow_init(&f, "10.0.0.9", TRANSPORT_TCP, 445, FLOW_CLASSIFIED);
	request(a, &f, OPWATCH_ON, T0, "svcctl", "RCreateServiceW");
	ok(find_op(a, "RCreateServiceW") == NULL, "kind off: nothing");
	alert_destroy(a);
	base_config();
	cfg.nignore = 1;
	memset(&cfg.ignore[0], 0, sizeof(cfg.ignore[0]));
	cfg.ignore[0].port = 445;
	a = make();
	request(a, &f, OPWATCH_ON, T0, "svcctl", "RCreateServiceW");
	ok(find_op(a, "RCreateServiceW") == NULL, "ignored server: nothing");
	alert_destroy(a);
}

/* The watch list against the shipped catalog. */
static void
test_opwatch(void)
{
	const char *data = getenv("SVCMAP_DATA");
	static const uint8_t svcctl[16] = { 0x36, 0x7a, 0xbb, 0x81, 0x98,
	    0x44, 0x35, 0xf1, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03 };
	static const uint8_t drsuapi[16] = { 0xe3, 0x51, 0x42, 0x35, 0x4b,
	    0x06, 0x11, 0xd1, 0xab, 0x04, 0x00, 0xc0, 0x4f, 0xc2, 0xdc, 0xd2 };
	struct catalog *cat;
	struct opwatch *w;
	char err[512];
	int sc, dr;

	cat = catalog_open(data != NULL ? data : "data", "", err, sizeof(err));
	ok(cat != NULL, "the shipped catalog opens (%s)", cat ? "" : err);
	if (cat == NULL)
		return;
	sc = catalog_iface_find(cat, svcctl, 2);
	dr = catalog_iface_find(cat, drsuapi, 4);
	config_defaults(&cfg);
	w = opwatch_build(&cfg, cat, NULL, err, sizeof(err));
	ok(w != NULL && opwatch_count(w) == 70,
	    "defaults: the catalog's 70 sensitive operations");
	is_int(opwatch_lookup(w, sc, catalog_op_find(cat, sc, 12), 12),
	    OPWATCH_ON, "RCreateServiceW is watched");
	is_int(opwatch_lookup(w, sc, catalog_op_find(cat, sc, 15), 15), 0,
	    "ROpenSCManagerW is not");
	is_int(opwatch_lookup(w, dr, catalog_op_find(cat, dr, 3), 3),
	    OPWATCH_ON | CATALOG_OP_NOT_DC, "IDL_DRSGetNCChanges: not-dc");
	ok(opwatch_dc_iface(w, dr) && !opwatch_dc_iface(w, sc),
	    "drsuapi servers are DCs, svcctl servers are not");
	opwatch_free(w);

	cfg.watch_defaults = false;
	snprintf(cfg.watch[0].iface, sizeof(cfg.watch[0].iface), "SvcCtl");
	snprintf(cfg.watch[0].op, sizeof(cfg.watch[0].op), "ROpenSCManagerW");
	snprintf(cfg.watch[1].iface, sizeof(cfg.watch[1].iface), "svcctl");
	snprintf(cfg.watch[1].op, sizeof(cfg.watch[1].op), "900");
	cfg.watch[1].flags = CATALOG_OP_STORM;
	snprintf(cfg.watch[2].iface, sizeof(cfg.watch[2].iface), "drsuapi");
	snprintf(cfg.watch[2].op, sizeof(cfg.watch[2].op), "*");
	cfg.nwatch = 3;
	w = opwatch_build(&cfg, cat, NULL, err, sizeof(err));
	ok(w != NULL, "own lines: name, opnum, * (%s)", w ? "" : err);
	is_int(opwatch_lookup(w, sc, catalog_op_find(cat, sc, 12), 12), 0,
	    "defaults off: RCreateServiceW is not watched");
	is_int(opwatch_lookup(w, sc, catalog_op_find(cat, sc, 15), 15),
	    OPWATCH_ON, "a name in any case of the interface");
	is_int(opwatch_lookup(w, sc, -1, 900), OPWATCH_ON | CATALOG_OP_STORM,
	    "an opnum the catalog does not name, with its qualifier");
	is_int(opwatch_lookup(w, dr, catalog_op_find(cat, dr, 12), 12),
	    OPWATCH_ON, "* watches every operation");
	opwatch_free(w);

	cfg.nwatch = 1;
	snprintf(cfg.watch[0].op, sizeof(cfg.watch[0].op), "RCreateService");
	cfg.watch_line[0] = 7;
	w = opwatch_build(&cfg, cat, "x.conf", err, sizeof(err));
	ok(w == NULL && strncmp(err, "x.conf:7: alert-operation SvcCtl "
	    "RCreateService: the catalog names no operation", 62) == 0,
	    "an unknown operation is refused (%s)", err);
	snprintf(cfg.watch[0].iface, sizeof(cfg.watch[0].iface), "nosuch");
	w = opwatch_build(&cfg, cat, NULL, err, sizeof(err));
	ok(w == NULL && strstr(err, "no RPC interface named \"nosuch\"") !=
	    NULL, "an unknown interface is refused (%s)", err);
	catalog_destroy(cat);
}

/*
 * What joins an alert to other tools: the counted flow's client port and
 * Community ID, its latest packet's time, file (name only) and number.
 * The expected IDs are the Community ID of these 5-tuples as
 * tests/test_community_id.c's specification vectors define it (checked
 * there); here, that the alert carries the flow's and follows the seed.
 */
static void
test_join_fields(void)
{
	char want[COMMUNITY_ID_LEN];
	struct alert_record *r;
	struct alert_facts fa;
	struct alerts *a;
	struct flow f;

	base_config();
	a = make();
	flow_init(&f, "10.0.0.20", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	f.last_us = T0 * US + 123456;
	f.last_number = 4711;
	f.last_file = "/srv/captures/day1.pcapng";
	facts_init(&fa, T0, "SSH");
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "join: one alert");
	is_int(r[0].client_port, 50000, "join: client port");
	is_str(r[0].community_id, community_id_v1(0, TRANSPORT_TCP,
	    &f.client, 50000, &f.server, 2222, want),
	    "join: the flow's Community ID, seed 0");
	is_int(strncmp(r[0].community_id, "1:", 2), 0, "join: version 1");
	is_int(r[0].timestamp_us, T0 * US + 123456,
	    "join: the packet's time in microseconds");
	is_int(r[0].packet, 4711, "join: the packet's number");
	is_str(r[0].pcap_file, "day1.pcapng", "join: the file's name only");
	alert_batch_clear(alert_batch(a));
	alert_destroy(a);

	/* A live flow (no file), seed 1, a later flow of the same alert. */
	cfg.community_id_seed = 1;
	a = make();
	flow_init(&f, "10.0.0.20", TRANSPORT_UDP, 2222, FLOW_UNDOCUMENTED);
	f.client_port = 1234;
	f.last_us = T0 * US + 7;
	facts_init(&fa, T0, "Unknown");
	alert_flow(a, &f, &fa, false);
	flow_init(&f, "10.0.0.20", TRANSPORT_UDP, 2222, FLOW_UNDOCUMENTED);
	addr_parse(&f.client, "10.0.0.9");
	f.client_port = 999;
	f.last_us = T0 * US + 99;
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "join: one alert for both flows");
	is_int(r[0].count, 2, "join: both counted");
	is_int(r[0].client_port, 999, "join: the latest flow's client port");
	is_str(r[0].community_id, community_id_v1(1, TRANSPORT_UDP,
	    &f.client, 999, &f.server, 2222, want),
	    "join: the latest flow's Community ID, seed 1");
	ok(strcmp(r[0].community_id, community_id_v1(0, TRANSPORT_UDP,
	    &f.client, 999, &f.server, 2222, want)) != 0,
	    "join: the seed changes the ID");
	is_int(r[0].timestamp_us, T0 * US + 99, "join: the latest packet's time");
	is_int(r[0].packet, 0, "join: live, no packet number");
	is_str(r[0].pcap_file, "", "join: live, no file");
	alert_batch_clear(alert_batch(a));
	alert_destroy(a);
	cfg.community_id_seed = 0;
}

/* The severity scales of issue 16: Suricata's priority, syslog's. */
static void
test_scales(void)
{
	static const int suri[] = { 0, 4, 3, 2, 1, 1 };
	static const int pri[] = { 0, LOG_INFO, LOG_NOTICE, LOG_WARNING,
	    LOG_ERR, LOG_CRIT };
	int sev;

	for (sev = 1; sev <= 5; sev++) {
		is_int(alert_severity_suricata(sev), suri[sev],
		    "severity %d is Suricata priority %d", sev, suri[sev]);
		is_int(alert_syslog_priority(sev), pri[sev],
		    "severity %d has syslog priority %d", sev, pri[sev]);
	}
}

/* alert-grace: unmapped_dynamic_port held, dropped by evidence, published. */
static void
test_grace(void)
{
	struct alert_record *r;
	struct alert_facts fa;
	struct alerts *a;
	struct flow f;

	base_config();
	cfg.alert_grace_s = 5;
	a = make();
	is_int(config_defaults_grace(), 5, "alert-grace defaults to 5 s");

	/* Two flows of 49700 within the grace, then EPM evidence. */
	flow_init(&f, "10.0.0.30", TRANSPORT_TCP, 49700, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0, "DCE_RPC");
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	flow_init(&f, "10.0.0.30", TRANSPORT_TCP, 49700, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0 + 2, "DCE_RPC");
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	alert_tick(a, (T0 + 4) * US);
	is_int(nrecs(a, &r), 0, "held during its grace");
	alert_rpc_evidence(a, &f.server, TRANSPORT_TCP, 49700, (T0 + 4) * US);
	alert_tick(a, (T0 + 10) * US);
	alert_tick(a, UINT64_MAX);
	is_int(nrecs(a, &r), 0, "evidence within the grace: never published");

	/* No evidence: published once the grace ends, counting both flows,
	 * first seen at the first one. */
	flow_init(&f, "10.0.0.31", TRANSPORT_TCP, 49701, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0 + 20, NULL);
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	flow_init(&f, "10.0.0.31", TRANSPORT_TCP, 49701, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0 + 23, NULL);
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	alert_tick(a, (T0 + 24) * US);
	is_int(nrecs(a, &r), 0, "4 s after the first flow: still held");
	alert_tick(a, (T0 + 25) * US);
	ok(nrecs(a, &r) == 1 && r[0].kind == ALERT_UNMAPPED_DYNAMIC_PORT &&
	    r[0].count == 2 && r[0].pending == 1 &&
	    r[0].first_seen == (int64_t)T0 + 20 &&
	    r[0].last_seen == (int64_t)T0 + 23,
	    "grace over: published, 2 flows, first and last seen kept");
	alert_batch_clear(alert_batch(a));
	/* Once open, later flows count at once; evidence resolves it. */
	flow_init(&f, "10.0.0.31", TRANSPORT_TCP, 49701, FLOW_UNDOCUMENTED);
	alert_flow(a, &f, &fa, false);
	ok(nrecs(a, &r) == 1 && r[0].count == 3 && r[0].pending == 0,
	    "an open alert counts its next flow at once (no new event)");
	alert_batch_clear(alert_batch(a));
	alert_rpc_evidence(a, &f.server, TRANSPORT_TCP, 49701, (T0 + 30) * US);
	ok(nrecs(a, &r) == 1 && r[0].resolved_at == (int64_t)T0 + 30,
	    "evidence after the grace resolves the open alert");
	alert_batch_clear(alert_batch(a));

	/* The end of input publishes what is still held. */
	flow_init(&f, "10.0.0.32", TRANSPORT_TCP, 49702, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0 + 40, NULL);
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	alert_tick(a, UINT64_MAX);
	is_int(nrecs(a, &r), 1, "end of input: a held alert is published");
	alert_batch_clear(alert_batch(a));

	/* Other kinds never wait. */
	flow_init(&f, "10.0.0.33", TRANSPORT_TCP, 2222, FLOW_UNDOCUMENTED);
	facts_init(&fa, T0 + 50, "SSH");
	alert_flow(a, &f, &fa, false);
	is_int(nrecs(a, &r), 1, "undocumented_service is not held");
	alert_batch_clear(alert_batch(a));

	/* Not DCE/RPC by its own bytes: undocumented_service, even where
	 * nDPI has no verdict. */
	flow_init(&f, "10.0.0.34", TRANSPORT_TCP, 49703, FLOW_UNDOCUMENTED);
	f.rpc = FLOW_RPC_NOT;
	facts_init(&fa, T0 + 60, NULL);
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	ok(nrecs(a, &r) == 1 && r[0].kind == ALERT_UNDOCUMENTED_SERVICE,
	    "FLOW_RPC_NOT on a dynamic port: undocumented_service");
	alert_batch_clear(alert_batch(a));
	/* Framed as DCE/RPC by our parser: unmapped whatever nDPI says. */
	flow_init(&f, "10.0.0.35", TRANSPORT_TCP, 49704, FLOW_UNDOCUMENTED);
	f.rpc = FLOW_RPC_SEEN;
	facts_init(&fa, T0 + 60, "TLS");
	fa.dynamic_rpc = true;
	alert_flow(a, &f, &fa, false);
	alert_tick(a, UINT64_MAX);
	ok(nrecs(a, &r) == 1 && r[0].kind == ALERT_UNMAPPED_DYNAMIC_PORT,
	    "FLOW_RPC_SEEN (sealed RPC nDPI calls TLS): unmapped");
	alert_destroy(a);
}

int
main(void)
{
	is_int(alert_kind_find("protocol_mismatch"), ALERT_PROTOCOL_MISMATCH,
	    "kind names round-trip");
	is_int(alert_kind_find("bogus"), -1, "unknown kind name");
	test_kinds();
	test_switches();
	test_dedup_rate();
	test_new_service();
	test_output();
	test_sensitive();
	test_opwatch();
	test_join_fields();
	test_scales();
	test_grace();
	return tap_done();
}
