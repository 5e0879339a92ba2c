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
#include <unistd.h>

#include "svcmap/alert.h"
#include "svcmap/config.h"
#include "svcmap/flow.h"
#include "svcmap/json.h"
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
	else
		f->server_replied = true;
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

	/* UDP with no reply, then with one. */
	flow_init(&f, "10.0.0.22", TRANSPORT_UDP, 9999, FLOW_UNDOCUMENTED);
	f.server_replied = false;
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
	alert_record_json(&j, &r[0], "s1", (int64_t)T0);
	ok(strstr(j.buf, "\"kind\":\"undocumented_service\"") != NULL &&
	    strstr(j.buf, "\"timestamp\":\"2024-01-15T09:00:00Z\"") != NULL &&
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
	return tap_done();
}
