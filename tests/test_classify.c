/*
 * test_classify.c - one check (at least) per classification rule.
 *
 * Two layers.  classify.c's rules are called directly on flows built here,
 * against the shipped catalog (SVCMAP_DATA) and a real endpoint table:
 * monitored networks, epm > bind > port, learned ports with several
 * interfaces, DCOM class naming, unknown interfaces on learned ports, the
 * ncacn_http fallback, dynamic ranges documenting nothing, the nDPI
 * agreement rule.  engine.c's rules (and flow.c's orientation, which
 * engine.c feeds) are driven through engine_packet() with crafted
 * Ethernet frames and observed where the daemon's output comes from: the
 * drained statistics rows, the run totals and the learned-endpoint table.
 * Only "unmonitored flows are not analysed" has no output of its own, so
 * one helper (flow_analysers) looks inside the engine for it; that is the
 * reason this file includes engine.c.
 *
 * Every check here is meant to turn red when its rule is deleted or
 * inverted; see the mutant table of issue 12.
 */
#include "../src/engine.c"

#include <pcap/dlt.h>

#include "tap.h"

#define EPM_UUID	"e1af8308-5d1f-11c9-91a4-08002b14a0fa"
#define NETLOGON	"12345678-1234-abcd-ef00-01234567cffb"
#define DRSUAPI		"e3514235-4b06-11d1-ab04-00c04fc2dcd2"
#define LSARPC		"12345778-1234-abcd-ef00-0123456789ab"
#define REMUNKNOWN	"00000131-0000-0000-c000-000000000046"
#define WBEMLOGIN	"8bc3f05e-d86b-11d0-a075-00c04fb68820"
#define UNKNOWN_IF	"0badf00d-1111-2222-3333-444455556666"
#define NDR_UUID	"8a885d04-1ceb-11c9-9fe8-08002b104860"

#define SEC		1000000ULL
#define T0		(1705309200ULL * SEC)

static const struct catalog *cat;

/* ---- catalog facts the checks rely on (checked, not assumed) ---- */

static int
svc(const char *key)
{
	return catalog_service_find(cat, key);
}

static const char *
svc_key(int i)
{
	return i >= 0 ? catalog_service(cat, i)->key : "(none)";
}

static const char *
iface_name(int i)
{
	return i >= 0 ? catalog_iface(cat, i)->name : "(none)";
}

static void
test_catalog_facts(void)
{
	int row;

	row = catalog_listener(cat, TRANSPORT_TCP, 88);
	ok(row >= 0 && catalog_port(cat, row)->service == svc("kdc") &&
	    !catalog_port_is_dynamic_rpc(cat, row), "fact: tcp/88 is kdc");
	row = catalog_listener(cat, TRANSPORT_TCP, 49700);
	ok(row >= 0 && catalog_port_is_dynamic_rpc(cat, row),
	    "fact: tcp/49700 is in a dynamic RPC range");
	row = catalog_listener(cat, TRANSPORT_TCP, 5722);
	ok(row >= 0 && !catalog_port_is_dynamic_rpc(cat, row) &&
	    catalog_port(cat, row)->service == svc("dfsr"),
	    "fact: tcp/5722 is a documented RPC listener (dfsr)");
	ok(catalog_listener(cat, TRANSPORT_TCP, 999) < 0,
	    "fact: tcp/999 has no listener");
	ok(svc("rpc-dynamic") >= 0 && svc("netlogon") >= 0 &&
	    svc("lsass") >= 0 && svc("winmgmt") >= 0 && svc("dcom") >= 0,
	    "fact: the services named here exist");
}

/* ---- flows and endpoints built by hand ---- */

static struct addr
ip(const char *text)
{
	struct addr a;

	if (addr_parse(&a, text) != 0)
		memset(&a, 0, sizeof(a));
	return a;
}

static void
mkflow(struct flow *f, uint8_t proto, const char *client, const char *server,
    uint16_t port)
{
	memset(f, 0, sizeof(*f));
	f->proto = proto;
	f->client = ip(client);
	f->server = ip(server);
	f->client_port = 50123;
	f->server_port = port;
	f->service = f->port_row = f->iface = -1;
}

static void
learn(struct endpoint_table *t, const char *server, uint8_t transport,
    uint16_t port, const char *uuid, uint16_t maj, const char *clsid,
    uint64_t now)
{
	struct dcerpc_endpoint ep;
	struct addr a = ip(server);

	memset(&ep, 0, sizeof(ep));
	uuid_parse(ep.uuid, uuid);
	ep.ver_major = maj;
	ep.transport = transport;
	ep.port = port;
	ep.source = EP_SOURCE_EPT_MAP;
	if (clsid != NULL) {
		ep.has_clsid = true;
		ep.source = EP_SOURCE_DCOM;
		uuid_parse(ep.clsid, clsid);
	}
	endpoint_learn(t, &ep, &a, now);
}

static struct cidr nets[2];

static void
ctx_init(struct classify_ctx *c, struct endpoint_table *t)
{
	cidr_parse(&nets[0], "10.0.0.0/8");
	cidr_parse(&nets[1], "fd00::/8");
	c->cat = cat;
	c->endpoints = t;
	c->monitored = nets;
	c->nmonitored = 2;
}

static void
test_monitored(void)
{
	struct classify_ctx c;
	struct addr a;
	struct flow f;

	ctx_init(&c, NULL);
	a = ip("10.1.2.3");
	ok(classify_monitored(&c, &a), "monitored: inside 10/8");
	a = ip("fd00::5");
	ok(classify_monitored(&c, &a), "monitored: inside fd00::/8");
	a = ip("192.0.2.1");
	ok(!classify_monitored(&c, &a), "monitored: outside");

	mkflow(&f, TRANSPORT_TCP, "192.0.2.1", "198.51.100.1", 88);
	classify_flow(&c, &f, T0);
	is_int(f.cls, FLOW_UNMONITORED, "neither end monitored: unmonitored");
	ok(f.service < 0 && f.method == METHOD_NONE && f.port_row < 0,
	    "unmonitored: no service, no method, no port row");

	/*
	 * Issue 14 item 4: an outside server is never a documented
	 * service, whatever its port (was: classified kdc).
	 */
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "198.51.100.1", 88);
	classify_flow(&c, &f, T0);
	is_int(f.cls, FLOW_OUTBOUND,
	    "monitored client to an outside kdc port: outbound");
	ok(f.service < 0 && f.method == METHOD_NONE && f.port_row < 0,
	    "outbound: no service, no method, no port row");
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "198.51.100.1", 80);
	classify_flow(&c, &f, T0);
	is_int(f.cls, FLOW_OUTBOUND,
	    "monitored client to an outside web server: outbound, not w3svc");
	/* A bind on it names nothing either. */
	{
		uint8_t u[16];

		uuid_parse(u, NETLOGON);
		classify_bound(&c, &f, u, 1);
		ok(f.cls == FLOW_OUTBOUND && f.service < 0,
		    "outbound: a bind names no service");
	}
	/* Multicast and broadcast serve the client's own segment. */
	mkflow(&f, TRANSPORT_UDP, "10.0.0.9", "224.0.0.252", 5355);
	classify_flow(&c, &f, T0);
	ok(f.cls != FLOW_OUTBOUND && f.cls != FLOW_UNMONITORED,
	    "monitored client to LLMNR multicast: not outbound");
	mkflow(&f, TRANSPORT_UDP, "10.0.0.9", "255.255.255.255", 67);
	classify_flow(&c, &f, T0);
	ok(f.cls != FLOW_OUTBOUND && f.cls != FLOW_UNMONITORED,
	    "monitored client to broadcast: not outbound");
	/* An outside client of a monitored server stays inventory. */
	mkflow(&f, TRANSPORT_TCP, "198.51.100.1", "10.0.0.5", 88);
	classify_flow(&c, &f, T0);
	is_int(f.cls, FLOW_CLASSIFIED, "monitored server: classified");
}

/* Port rule, dynamic ranges, no listener. */
static void
test_port(void)
{
	struct classify_ctx c;
	struct flow f;

	ctx_init(&c, NULL);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 88);
	classify_flow(&c, &f, T0);
	ok(f.cls == FLOW_CLASSIFIED && f.method == METHOD_PORT,
	    "tcp/88: classified by port");
	is_str(svc_key(f.service), "kdc", "tcp/88: service kdc");
	is_int(f.port_row, catalog_listener(cat, TRANSPORT_TCP, 88),
	    "tcp/88: port row is the listener");

	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49700);
	classify_flow(&c, &f, T0);
	is_int(f.cls, FLOW_UNDOCUMENTED,
	    "dynamic RPC port documents nothing by itself: undocumented");
	ok(f.service < 0 && f.method == METHOD_NONE,
	    "dynamic RPC port: no service, no method");
	is_int(f.port_row, catalog_listener(cat, TRANSPORT_TCP, 49700),
	    "dynamic RPC port: its range row kept (for alerts)");

	mkflow(&f, TRANSPORT_UDP, "10.0.0.9", "10.0.0.5", 50000);
	classify_flow(&c, &f, T0);
	is_int(f.cls, FLOW_UNDOCUMENTED, "udp dynamic RPC port: undocumented");

	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 999);
	classify_flow(&c, &f, T0);
	ok(f.cls == FLOW_UNDOCUMENTED && f.port_row < 0,
	    "no listener: undocumented, no port row");

	/* Transports without ports use port 0: ICMP's listener row. */
	mkflow(&f, TRANSPORT_ICMP, "10.0.0.9", "10.0.0.5", 0);
	classify_flow(&c, &f, T0);
	ok(f.cls == FLOW_CLASSIFIED && f.method == METHOD_PORT,
	    "icmp: classified by its port-less row");
	is_str(svc_key(f.service), "tcpip", "icmp: service tcpip");

	/* A stale classification is wiped, not kept. */
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 999);
	f.service = 3;
	f.iface = 2;
	f.method = METHOD_BIND;
	classify_flow(&c, &f, T0);
	ok(f.service < 0 && f.iface < 0 && f.method == METHOD_NONE,
	    "classify_flow starts from nothing");
}

/* epm > port, several interfaces per port, unknown interfaces. */
static void
test_learned(void)
{
	struct endpoint_table *t = endpoint_table_create(64, 3600);
	struct classify_ctx c;
	struct flow f;

	ctx_init(&c, t);
	/* One interface on a dynamic port. */
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49700, NETLOGON, 1, NULL, T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49700);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.cls == FLOW_CLASSIFIED && f.method == METHOD_EPM,
	    "learned dynamic port: classified by epm");
	is_str(svc_key(f.service), "netlogon", "learned port: its service");
	is_str(iface_name(f.iface), "netlogon",
	    "one interface on the port: it is the flow's interface");
	/* The same port on another host learned nothing. */
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.6", 49700);
	classify_flow(&c, &f, T0 + SEC);
	is_int(f.cls, FLOW_UNDOCUMENTED, "learned endpoints are per host");
	/* Same port, UDP: nothing learned there either. */
	mkflow(&f, TRANSPORT_UDP, "10.0.0.9", "10.0.0.5", 49700);
	classify_flow(&c, &f, T0 + SEC);
	is_int(f.cls, FLOW_UNDOCUMENTED, "learned endpoints are per transport");

	/* epm beats port: an interface learned on a documented listener. */
	learn(t, "10.0.0.5", TRANSPORT_TCP, 5722, NETLOGON, 1, NULL, T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 5722);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.method == METHOD_EPM && f.service == svc("netlogon"),
	    "learned endpoint outranks the port's listener (dfsr)");
	is_int(f.port_row, catalog_listener(cat, TRANSPORT_TCP, 5722),
	    "epm flow still records its port row");

	/* Two interfaces of one service: named by it, no single interface. */
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49701, DRSUAPI, 4, NULL, T0);
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49701, LSARPC, 0, NULL, T0 + 1);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49701);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.method == METHOD_EPM && f.service == svc("lsass"),
	    "drsuapi + lsarpc on one port: lsass");
	is_int(f.iface, -1, "several interfaces: none is the flow's");

	/* Different services: the most recently announced names the flow. */
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49702, NETLOGON, 1, NULL, T0);
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49702, DRSUAPI, 4, NULL, T0 + 1);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49702);
	classify_flow(&c, &f, T0 + SEC);
	is_str(svc_key(f.service), "lsass",
	    "netlogon then drsuapi: the latest (drsuapi -> lsass) wins");
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49703, DRSUAPI, 4, NULL, T0);
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49703, NETLOGON, 1, NULL, T0 + 1);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49703);
	classify_flow(&c, &f, T0 + SEC);
	is_str(svc_key(f.service), "netlogon",
	    "drsuapi then netlogon: the latest (netlogon) wins");
	is_int(f.iface, -1, "mixed services: no single interface");

	/* An interface the catalog does not know: dynamic RPC traffic. */
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49704, UNKNOWN_IF, 1, NULL, T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49704);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.cls == FLOW_CLASSIFIED && f.method == METHOD_EPM,
	    "unknown interface on a learned port: classified by epm");
	is_str(svc_key(f.service), "rpc-dynamic",
	    "unknown interface on a learned port: rpc-dynamic");
	is_int(f.iface, -1, "unknown interface: no catalog interface");

	/* UDP endpoints. */
	learn(t, "10.0.0.5", TRANSPORT_UDP, 49705, NETLOGON, 1, NULL, T0);
	mkflow(&f, TRANSPORT_UDP, "10.0.0.9", "10.0.0.5", 49705);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.method == METHOD_EPM && f.service == svc("netlogon"),
	    "learned udp endpoint names a udp flow");

	/* Unmonitored flows are not looked up at all. */
	learn(t, "192.0.2.5", TRANSPORT_TCP, 49706, NETLOGON, 1, NULL, T0);
	mkflow(&f, TRANSPORT_TCP, "198.51.100.1", "192.0.2.5", 49706);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.cls == FLOW_UNMONITORED && f.method == METHOD_NONE,
	    "unmonitored flow on a learned port stays unmonitored");

	endpoint_table_destroy(t);
}

/* DCOM: the activated class names the exporter's port. */
static void
test_dcom(void)
{
	struct endpoint_table *t = endpoint_table_create(64, 3600);
	struct classify_ctx c;
	struct flow f;

	ctx_init(&c, t);
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49710, REMUNKNOWN, 0, WBEMLOGIN,
	    T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49710);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.method == METHOD_EPM, "DCOM endpoint: method epm");
	is_str(svc_key(f.service), "winmgmt",
	    "IRemUnknown with CLSID WbemLevel1Login: winmgmt");
	is_str(iface_name(f.iface), "iremunknown",
	    "DCOM endpoint keeps its interface");

	learn(t, "10.0.0.5", TRANSPORT_TCP, 49711, REMUNKNOWN, 0, NULL, T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49711);
	classify_flow(&c, &f, T0 + SEC);
	is_str(svc_key(f.service), "dcom",
	    "IRemUnknown without a class: the interface's service (dcom)");

	learn(t, "10.0.0.5", TRANSPORT_TCP, 49712, REMUNKNOWN, 0,
	    UNKNOWN_IF, T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49712);
	classify_flow(&c, &f, T0 + SEC);
	is_str(svc_key(f.service), "dcom",
	    "unknown CLSID: the interface's service (dcom)");

	learn(t, "10.0.0.5", TRANSPORT_TCP, 49713, UNKNOWN_IF, 0, WBEMLOGIN,
	    T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49713);
	classify_flow(&c, &f, T0 + SEC);
	is_str(svc_key(f.service), "winmgmt",
	    "known CLSID names the port whatever the interface");
	endpoint_table_destroy(t);
}

/* ncacn_http endpoints name TCP flows, only when TCP has nothing. */
static void
test_http_fallback(void)
{
	struct endpoint_table *t = endpoint_table_create(64, 3600);
	struct classify_ctx c;
	struct flow f;

	ctx_init(&c, t);
	learn(t, "10.0.0.5", ENDPOINT_TRANSPORT_HTTP, 6004, DRSUAPI, 4, NULL,
	    T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 6004);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.method == METHOD_EPM && f.service == svc("lsass"),
	    "ncacn_http endpoint names a tcp flow on its port");
	mkflow(&f, TRANSPORT_UDP, "10.0.0.9", "10.0.0.5", 6004);
	classify_flow(&c, &f, T0 + SEC);
	ok(f.method != METHOD_EPM, "ncacn_http endpoint does not name udp");

	learn(t, "10.0.0.5", ENDPOINT_TRANSPORT_HTTP, 6005, DRSUAPI, 4, NULL,
	    T0 + 1);
	learn(t, "10.0.0.5", TRANSPORT_TCP, 6005, NETLOGON, 1, NULL, T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 6005);
	classify_flow(&c, &f, T0 + SEC);
	is_str(svc_key(f.service), "netlogon",
	    "a tcp endpoint outranks an ncacn_http one on the same port");
	is_str(iface_name(f.iface), "netlogon",
	    "tcp endpoint: only its interface counted");
	endpoint_table_destroy(t);
}

/* The flow's own bind: finer than port, never over epm's method. */
static void
test_bound(void)
{
	struct endpoint_table *t = endpoint_table_create(64, 3600);
	struct classify_ctx c;
	uint8_t u[16], unk[16];
	struct flow f;

	ctx_init(&c, t);
	uuid_parse(unk, UNKNOWN_IF);

	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49720);
	classify_flow(&c, &f, T0);
	uuid_parse(u, NETLOGON);
	classify_bound(&c, &f, u, 1);
	ok(f.cls == FLOW_CLASSIFIED && f.method == METHOD_BIND,
	    "bind on an undocumented dynamic port: classified by bind");
	is_str(svc_key(f.service), "netlogon", "bind: the interface's service");
	is_str(iface_name(f.iface), "netlogon", "bind: the flow's interface");

	/* bind > port */
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 5722);
	classify_flow(&c, &f, T0);
	classify_bound(&c, &f, u, 1);
	ok(f.method == METHOD_BIND && f.service == svc("netlogon"),
	    "bind outranks the port's listener");

	/* epm > bind for the method; the bind still names service/iface. */
	learn(t, "10.0.0.5", TRANSPORT_TCP, 49721, NETLOGON, 1, NULL, T0);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49721);
	classify_flow(&c, &f, T0 + SEC);
	uuid_parse(u, DRSUAPI);
	classify_bound(&c, &f, u, 4);
	is_int(f.method, METHOD_EPM, "bind on a learned port keeps method epm");
	is_str(svc_key(f.service), "lsass",
	    "bind on a learned port: the bound interface names the service");
	is_str(iface_name(f.iface), "drsuapi", "bound interface recorded");

	/* Unknown interfaces change nothing. */
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 88);
	classify_flow(&c, &f, T0);
	classify_bound(&c, &f, unk, 1);
	ok(f.method == METHOD_PORT && f.service == svc("kdc") && f.iface < 0,
	    "unknown bound interface: port classification stays");
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 49722);
	classify_flow(&c, &f, T0);
	classify_bound(&c, &f, unk, 1);
	is_int(f.cls, FLOW_UNDOCUMENTED,
	    "unknown bound interface on a dynamic port: still undocumented");

	/* Unmonitored flows are never named. */
	mkflow(&f, TRANSPORT_TCP, "198.51.100.1", "192.0.2.5", 49723);
	classify_flow(&c, &f, T0);
	uuid_parse(u, NETLOGON);
	classify_bound(&c, &f, u, 1);
	ok(f.cls == FLOW_UNMONITORED && f.service < 0 &&
	    f.method == METHOD_NONE, "bind on an unmonitored flow: ignored");
	endpoint_table_destroy(t);
}

/* nDPI's verdict vs the catalog's application protocol of the port row. */
static void
test_dpi_agreement(void)
{
	struct classify_ctx c;
	struct flow f;

	ctx_init(&c, NULL);
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 88);
	classify_flow(&c, &f, T0);
	ok(!classify_dpi(&c, &f, "Kerberos", NULL) && !f.app_mismatch,
	    "Kerberos on kdc/88: agrees");
	ok(classify_dpi(&c, &f, "HTTP", NULL) && f.app_mismatch,
	    "HTTP on kdc/88: mismatch");
	ok(classify_dpi(&c, &f, "HTTP", "TLS") && f.app_mismatch,
	    "neither app nor master agrees: mismatch");
	ok(!classify_dpi(&c, &f, "Unknown", NULL) && !f.app_mismatch,
	    "Unknown never mismatches (and clears the flag)");
	f.app_mismatch = true;
	ok(!classify_dpi(&c, &f, NULL, NULL) && !f.app_mismatch,
	    "no verdict: no mismatch");
	ok(!classify_dpi(&c, &f, "Microsoft", "Kerberos"),
	    "master accepted when the app is not: agrees");

	mkflow(&f, TRANSPORT_UDP, "10.0.0.9", "10.0.0.5", 53);
	classify_flow(&c, &f, T0);
	ok(!classify_dpi(&c, &f, "Microsoft", "DNS"),
	    "app Microsoft over master DNS on dns/53: agrees");
	ok(classify_dpi(&c, &f, "Microsoft", NULL),
	    "app Microsoft without a master on dns/53: mismatch");

	/* Only port-classified flows are checked. */
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 88);
	classify_flow(&c, &f, T0);
	f.method = METHOD_BIND;
	ok(!classify_dpi(&c, &f, "HTTP", NULL) && !f.app_mismatch,
	    "bind-classified flow: no mismatch");
	f.method = METHOD_EPM;
	ok(!classify_dpi(&c, &f, "HTTP", NULL),
	    "epm-classified flow: no mismatch");
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 999);
	classify_flow(&c, &f, T0);
	ok(!classify_dpi(&c, &f, "HTTP", NULL),
	    "undocumented flow: nothing to disagree with");
	/* A documented app nDPI cannot recognise is never a mismatch. */
	mkflow(&f, TRANSPORT_TCP, "10.0.0.9", "10.0.0.5", 7);
	classify_flow(&c, &f, T0);
	ok(f.method == METHOD_PORT &&
	    catalog_app(cat, catalog_port(cat, f.port_row)->app)
	    ->ndpi_names[0] == NULL, "fact: tcp/7 (echo) has no nDPI names");
	ok(!classify_dpi(&c, &f, "HTTP", NULL),
	    "an app nDPI cannot recognise: no mismatch");
}

/* ---- the engine, driven with crafted frames ---- */

static struct engine *eng;
static bool eth_broadcast;	/* send_frame(): to ff:ff:ff:ff:ff:ff */
static struct endpoint_table *eps;
static uint64_t now_us;

static void
engine_start(bool dpi_outbound)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	cidr_parse(&cfg.monitored[0], "10.0.0.0/8");
	cfg.nmonitored = 1;
	cfg.dpi_outbound = dpi_outbound;
	eps = endpoint_table_create(256, 3600);
	eng = engine_create(&cfg, cat, eps, err, sizeof(err));
	if (eng == NULL) {
		printf("Bail out! engine_create: %s\n", err);
		exit(1);
	}
	now_us = T0;
}

static void
engine_stop(void)
{
	engine_destroy(eng);
	endpoint_table_destroy(eps);
	eng = NULL;
	eps = NULL;
}

/* Hand a built frame to the engine, 1 ms after the previous one. */
static void
deliver(const uint8_t *b, size_t n)
{
	struct captured cap;

	now_us += 1000;
	cap.ts_us = now_us;
	cap.caplen = cap.wirelen = (uint32_t)n;
	cap.linktype = DLT_EN10MB;
	cap.source = 0;
	cap.data = b;
	cap.number = 0;
	cap.file = NULL;
	engine_packet(eng, &cap);
}

/* Ethernet + IPv4 header (no options) for an IP payload of iplen - 20. */
static size_t
ip_header(uint8_t *b, uint8_t proto, const char *src, const char *dst,
    size_t iplen, uint16_t id, uint16_t frag)
{
	struct addr s = ip(src), d = ip(dst);

	memset(b, 0, 14 + iplen);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (uint8_t)(iplen >> 8);
	b[17] = (uint8_t)iplen;
	b[18] = (uint8_t)(id >> 8);
	b[19] = (uint8_t)id;
	b[20] = (uint8_t)(frag >> 8);
	b[21] = (uint8_t)frag;
	b[22] = 64;
	b[23] = proto;
	memcpy(b + 26, s.b + 12, 4);
	memcpy(b + 30, d.b + 12, 4);
	return 34;
}

/* One Ethernet + IPv4 + TCP/UDP frame into the engine. */
static void
send_frame(uint8_t proto, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint8_t flags, uint32_t seq, const void *pl, size_t plen)
{
	static uint8_t b[4096];
	size_t l4 = proto == TRANSPORT_TCP ? 20 : 8, n;

	n = ip_header(b, proto, src, dst, 20 + l4 + plen, 1, 0);
	b[n] = (uint8_t)(sport >> 8);
	b[n + 1] = (uint8_t)sport;
	b[n + 2] = (uint8_t)(dport >> 8);
	b[n + 3] = (uint8_t)dport;
	if (proto == TRANSPORT_TCP) {
		b[n + 4] = (uint8_t)(seq >> 24);
		b[n + 5] = (uint8_t)(seq >> 16);
		b[n + 6] = (uint8_t)(seq >> 8);
		b[n + 7] = (uint8_t)seq;
		b[n + 12] = 0x50;
		b[n + 13] = flags;
		b[n + 14] = 0xfa;
	} else {
		b[n + 4] = (uint8_t)((8 + plen) >> 8);
		b[n + 5] = (uint8_t)(8 + plen);
	}
	n += l4;
	if (plen > 0)
		memcpy(b + n, pl, plen);
	n += plen;
	/* The Ethernet destination: broadcast when asked (eth_broadcast). */
	memset(b, eth_broadcast ? 0xff : 0, 6);
	deliver(b, n);
}

/*
 * A UDP datagram of 8 + 64 bytes in two IPv4 fragments: the first (UDP
 * header and 32 bytes, more fragments) unless first is false, then the
 * second (offset 40 bytes, the last 32).
 */
static void
send_fragmented(const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint16_t id, bool first)
{
	uint8_t b[256];
	size_t n;

	if (first) {
		n = ip_header(b, TRANSPORT_UDP, src, dst, 20 + 40, id, 0x2000);
		b[n] = (uint8_t)(sport >> 8);
		b[n + 1] = (uint8_t)sport;
		b[n + 2] = (uint8_t)(dport >> 8);
		b[n + 3] = (uint8_t)dport;
		b[n + 5] = 8 + 64;
		deliver(b, n + 40);
	}
	n = ip_header(b, TRANSPORT_UDP, src, dst, 20 + 32, id, 40 / 8);
	deliver(b, n + 32);
}

/* A TCP conversation: client and server ends and their sequence numbers. */
struct conn {
	const char	*cli, *srv;
	uint16_t	 cport, sport;
	uint32_t	 seq[2];
};

#define F_FIN	0x01
#define F_SYN	0x02
#define F_RST	0x04
#define F_PSH	0x08
#define F_ACK	0x10

static void
conn_open(struct conn *c, const char *cli, uint16_t cport, const char *srv,
    uint16_t sport, bool handshake)
{
	c->cli = cli;
	c->srv = srv;
	c->cport = cport;
	c->sport = sport;
	c->seq[0] = 1000;
	c->seq[1] = 900000;
	if (!handshake)
		return;
	send_frame(TRANSPORT_TCP, cli, cport, srv, sport, F_SYN, c->seq[0]++,
	    NULL, 0);
	send_frame(TRANSPORT_TCP, srv, sport, cli, cport, F_SYN | F_ACK,
	    c->seq[1]++, NULL, 0);
	send_frame(TRANSPORT_TCP, cli, cport, srv, sport, F_ACK, c->seq[0],
	    NULL, 0);
}

/* dir 0: client -> server. */
static void
conn_send(struct conn *c, int dir, const void *pl, size_t n)
{
	if (dir == 0)
		send_frame(TRANSPORT_TCP, c->cli, c->cport, c->srv, c->sport,
		    F_ACK | F_PSH, c->seq[0], pl, n);
	else
		send_frame(TRANSPORT_TCP, c->srv, c->sport, c->cli, c->cport,
		    F_ACK | F_PSH, c->seq[1], pl, n);
	c->seq[dir] += (uint32_t)n;
}

/* End every flow and find the drained row of (server, port, transport). */
static const struct stats_row *
row_of(const char *server, uint16_t port, uint8_t proto)
{
	const struct stats_row *r;
	struct addr a = ip(server);
	size_t i, n;

	engine_drain(eng, true);
	r = stats_batch_rows(engine_batch(eng));
	n = stats_batch_nrows(engine_batch(eng));
	for (i = 0; i < n; i++)
		if (addr_eq(&r[i].key.server, &a) && r[i].key.port == port &&
		    r[i].key.transport == proto)
			return &r[i];
	return NULL;
}

/* As row_of, for TCP, and the row of one method. */
static const struct stats_row *
row_with(const char *server, uint16_t port, enum flow_method m)
{
	const struct stats_row *r;
	struct addr a = ip(server);
	size_t i, n;

	engine_drain(eng, true);
	r = stats_batch_rows(engine_batch(eng));
	n = stats_batch_nrows(engine_batch(eng));
	for (i = 0; i < n; i++)
		if (addr_eq(&r[i].key.server, &a) && r[i].key.port == port &&
		    r[i].key.transport == TRANSPORT_TCP && r[i].key.method == m)
			return &r[i];
	return NULL;
}

static const char *
row_service(const struct stats_row *r)
{
	return r == NULL ? "(no row)" : r->key.service;
}

static const char *
row_method(const struct stats_row *r)
{
	return r == NULL ? "(no row)" : flow_method_name(r->key.method);
}

static bool
learned(const char *server, uint8_t proto, uint16_t port)
{
	struct addr a = ip(server);

	return endpoint_exists(eps, &a, proto, port);
}

/*
 * The one look inside the engine: does any live flow have an analyzer
 * (nDPI, DCE/RPC) attached or probing?  (No output shows that an
 * unmonitored flow skipped them; only the cost would.)
 */
static void
count_analysers(void *arg, struct flow *f)
{
	unsigned *n = arg;

	if (f->an_active != 0 || f->an_probe != 0)
		(*n)++;
}

static unsigned
flow_analysers(void)
{
	unsigned n = 0;

	flow_table_foreach(eng->flows, count_analysers, &n);
	return n;
}

/* ---- DCE/RPC PDUs (the NDR writer of test_dcerpc.c, cut down) ---- */

struct w {
	uint8_t	b[2048];
	size_t	n;
};

static void
w_u8(struct w *w, uint8_t v)
{
	w->b[w->n++] = v;
}

static void
w_le16(struct w *w, uint16_t v)
{
	w_u8(w, (uint8_t)v);
	w_u8(w, (uint8_t)(v >> 8));
}

static void
w_be16(struct w *w, uint16_t v)
{
	w_u8(w, (uint8_t)(v >> 8));
	w_u8(w, (uint8_t)v);
}

static void
w_le32(struct w *w, uint32_t v)
{
	w_le16(w, (uint16_t)v);
	w_le16(w, (uint16_t)(v >> 16));
}

static void
w_bytes(struct w *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
w_uuid(struct w *w, const char *text)
{
	uint8_t u[16], wire[16];

	uuid_parse(u, text);
	uuid_from_wire(wire, u, true);
	w_bytes(w, wire, 16);
}

static void
w_align(struct w *w, size_t a)
{
	while (w->n % a)
		w_u8(w, 0);
}

/* A CO PDU header (little-endian) around a body. */
static void
pdu(struct w *o, uint8_t ptype, uint32_t call_id, const struct w *body)
{
	o->n = 0;
	w_u8(o, 5);
	w_u8(o, 0);
	w_u8(o, ptype);
	w_u8(o, 3);
	w_u8(o, 0x10);
	w_u8(o, 0);
	w_u8(o, 0);
	w_u8(o, 0);
	w_le16(o, (uint16_t)(16 + body->n));
	w_le16(o, 0);
	w_le32(o, call_id);
	w_bytes(o, body->b, body->n);
}

static void
bind_pdu(struct w *o, const char *uuid, uint16_t maj)
{
	struct w b = { .n = 0 };

	w_le16(&b, 4280);
	w_le16(&b, 4280);
	w_le32(&b, 0);
	w_u8(&b, 1);
	w_u8(&b, 0);
	w_le16(&b, 0);
	w_le16(&b, 0);		/* context id */
	w_u8(&b, 1);
	w_u8(&b, 0);
	w_uuid(&b, uuid);
	w_le16(&b, maj);
	w_le16(&b, 0);
	w_uuid(&b, NDR_UUID);
	w_le32(&b, 2);
	pdu(o, 11, 1, &b);
}

static void
bind_ack_pdu(struct w *o, const char *secaddr)
{
	struct w b = { .n = 0 };
	size_t sl = strlen(secaddr) + 1;

	w_le16(&b, 4280);
	w_le16(&b, 4280);
	w_le32(&b, 0x1234);
	w_le16(&b, (uint16_t)sl);
	w_bytes(&b, secaddr, sl);
	while ((16 + b.n) % 4)
		w_u8(&b, 0);
	w_u8(&b, 1);
	w_u8(&b, 0);
	w_le16(&b, 0);
	w_le16(&b, 0);		/* accepted */
	w_le16(&b, 0);
	w_uuid(&b, NDR_UUID);
	w_le32(&b, 2);
	pdu(o, 12, 1, &b);
}

/* A tower: interface, NDR, ncacn_ip_tcp/udp (pproto), port, IPv4 host. */
static void
tower(struct w *t, const char *uuid, uint16_t maj, uint8_t pproto,
    uint16_t port, const uint8_t host[4])
{
	t->n = 0;
	w_le16(t, 5);
	w_le16(t, 19);
	w_u8(t, 0x0d);
	w_uuid(t, uuid);
	w_le16(t, maj);
	w_le16(t, 2);
	w_le16(t, 0);
	w_le16(t, 19);
	w_u8(t, 0x0d);
	w_uuid(t, NDR_UUID);
	w_le16(t, 2);
	w_le16(t, 2);
	w_le16(t, 0);
	w_le16(t, 1);
	w_u8(t, 0x0b);
	w_le16(t, 2);
	w_le16(t, 0);
	w_le16(t, 1);
	w_u8(t, pproto);
	w_le16(t, 2);
	w_be16(t, port);
	w_le16(t, 1);
	w_u8(t, 0x09);
	w_le16(t, 4);
	w_bytes(t, host, 4);
}

/* ept_map response stub with one tower. */
static void
ept_map_stub(struct w *s, const struct w *t)
{
	s->n = 0;
	memset(s->b, 0, 20);
	s->n = 20;
	w_le32(s, 1);
	w_le32(s, 4);
	w_le32(s, 0);
	w_le32(s, 1);
	w_le32(s, 0x20000);
	w_align(s, 4);
	w_le32(s, (uint32_t)t->n);
	w_le32(s, (uint32_t)t->n);
	w_bytes(s, t->b, t->n);
	w_align(s, 4);
	w_le32(s, 0);
}

/* Request (ptype 0, with opnum) or response (ptype 2) around a stub. */
static void
call_pdu(struct w *o, uint8_t ptype, uint32_t call_id, uint16_t opnum,
    const struct w *stub)
{
	struct w b = { .n = 0 };

	w_le32(&b, (uint32_t)stub->n);
	w_le16(&b, 0);
	w_le16(&b, ptype == 0 ? opnum : 0);
	w_bytes(&b, stub->b, stub->n);
	pdu(o, ptype, call_id, &b);
}

/* Connectionless ept_map response (UDP) with one tower. */
static void
cl_ept_map_response(struct w *o, const struct w *t)
{
	struct w s;

	ept_map_stub(&s, t);
	o->n = 0;
	w_u8(o, 4);
	w_u8(o, 2);
	w_u8(o, 0);
	w_u8(o, 0);
	w_u8(o, 0x10);
	w_u8(o, 0);
	w_u8(o, 0);
	w_u8(o, 0);
	w_uuid(o, "00000000-0000-0000-0000-000000000000");
	w_uuid(o, EPM_UUID);
	w_uuid(o, "11111111-2222-3333-4444-555555555555");
	w_le32(o, 0);
	w_le32(o, 3);
	w_le32(o, 1);
	w_le16(o, 3);
	w_le16(o, 0xffff);
	w_le16(o, 0xffff);
	w_le16(o, (uint16_t)s.n);
	w_le16(o, 0);
	w_u8(o, 0);
	w_u8(o, 0);
	w_bytes(o, s.b, s.n);
}

/* Client binds `uuid` on c, server acks with secondary address `sec`. */
static void
conn_bind(struct conn *c, const char *uuid, uint16_t maj, const char *sec)
{
	struct w o;

	bind_pdu(&o, uuid, maj);
	conn_send(c, 0, o.b, o.n);
	if (sec != NULL) {
		bind_ack_pdu(&o, sec);
		conn_send(c, 1, o.b, o.n);
	}
}

/* On an EPM conversation c: ept_map answered with one tower. */
static void
conn_ept_map(struct conn *c, const char *uuid, uint16_t maj, uint8_t pproto,
    uint16_t port, const uint8_t host[4])
{
	struct w t, s, o;

	s.n = 0;
	w_le32(&s, 1);
	w_uuid(&s, "00000000-0000-0000-0000-000000000000");
	w_le32(&s, 0);
	w_bytes(&s, (uint8_t[20]){ 0 }, 20);
	w_le32(&s, 4);
	call_pdu(&o, 0, 7, 3, &s);
	conn_send(c, 0, o.b, o.n);
	tower(&t, uuid, maj, pproto, port, host);
	ept_map_stub(&s, &t);
	call_pdu(&o, 2, 7, 0, &s);
	conn_send(c, 1, o.b, o.n);
}

static const uint8_t any_host[4] = { 0, 0, 0, 0 };

/* ---- engine rules ---- */

static size_t dns_msg(uint8_t *b, bool answer);

/* Which end serves (flow.c's src_is_server with engine_is_service). */
static void
test_orientation(void)
{
	const struct stats_row *r;
	struct conn c;
	static const char junk[] = "xxxx";

	/* A SYN's sender is the client, whatever the ports say. */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 445, "10.0.0.9", 50000, F_SYN,
	    1, NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50000, "10.0.0.5", 445,
	    F_SYN | F_ACK, 1, NULL, 0);
	r = row_of("10.0.0.9", 50000, TRANSPORT_TCP);
	ok(r != NULL, "SYN 445 -> 50000: the SYN's target serves");
	engine_stop();

	/* A SYN+ACK's sender is the server, whatever the ports say. */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 50001, "10.0.0.9", 88,
	    F_SYN | F_ACK, 1, NULL, 0);
	r = row_of("10.0.0.5", 50001, TRANSPORT_TCP);
	ok(r != NULL, "SYN+ACK 50001 -> 88: its sender serves");
	engine_stop();

	/* Mid-stream: a catalog listener is the server, not the lower port. */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 3389, "10.0.0.9", 1500,
	    F_ACK | F_PSH, 1, junk, 4);
	r = row_of("10.0.0.5", 3389, TRANSPORT_TCP);
	ok(r != NULL && strcmp(r->key.service, "termservice") == 0,
	    "mid-stream 3389 -> 1500: the listener (termservice) serves");
	engine_stop();

	/* ... checked on the destination first: 999 is not the server. */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 999, "10.0.0.5", 3389,
	    F_ACK | F_PSH, 1, junk, 4);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 3389, "10.0.0.9", 999, F_ACK, 1,
	    NULL, 0);
	ok(row_of("10.0.0.5", 3389, TRANSPORT_TCP) != NULL,
	    "mid-stream 999 -> 3389: the listener serves, not the lower port");
	engine_stop();

	/* Mid-stream: a learned endpoint is the server. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50200, "10.0.0.5", 135, true);
	conn_bind(&c, EPM_UUID, 3, "135");
	conn_ept_map(&c, NETLOGON, 1, 0x07, 50100, any_host);
	ok(learned("10.0.0.5", TRANSPORT_TCP, 50100),
	    "ept_map on 135: tower learned at the responder");
	send_frame(TRANSPORT_TCP, "10.0.0.5", 50100, "10.0.0.9", 49800,
	    F_ACK | F_PSH, 1, junk, 4);
	r = row_of("10.0.0.5", 50100, TRANSPORT_TCP);
	ok(r != NULL,
	    "mid-stream learned 50100 -> 49800: the learned end serves");
	is_str(row_service(r), "netlogon", "... named by its endpoint");
	is_str(row_method(r), "epm", "... method epm");
	engine_stop();

	/* Dynamic ranges say nothing: the lower port serves. */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 50000, "10.0.0.9", 60000,
	    F_ACK | F_PSH, 1, junk, 4);
	send_frame(TRANSPORT_UDP, "10.0.0.5", 50000, "10.0.0.9", 60000, 0, 0,
	    junk, 4);
	ok(row_of("10.0.0.5", 50000, TRANSPORT_TCP) != NULL,
	    "tcp 50000 -> 60000 (both dynamic): the lower port serves");
	ok(row_of("10.0.0.5", 50000, TRANSPORT_UDP) != NULL,
	    "udp 50000 -> 60000 (both dynamic): the lower port serves");
	engine_stop();

	/* No listener either side: the lower port serves. */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 999, "10.0.0.5", 1001,
	    F_ACK | F_PSH, 1, junk, 4);
	ok(row_of("10.0.0.9", 999, TRANSPORT_TCP) != NULL,
	    "tcp 999 -> 1001 (no listeners): the lower port serves");
	engine_stop();

	/* A group destination serves, whatever the ports. */
	engine_start(false);
	send_frame(TRANSPORT_UDP, "10.0.0.9", 40000, "239.255.255.250", 45000,
	    0, 0, junk, 4);
	ok(row_of("239.255.255.250", 45000, TRANSPORT_UDP) != NULL,
	    "udp to a group address: the group serves");
	engine_stop();

	/*
	 * Issue 14 item 3: a reply seen first never makes its destination
	 * a server.  A DNS answer to a client's port 63500 (inside the
	 * catalog's 63000-64000 WDS multicast range, and ephemeral): 53
	 * serves, and no cm-distribution-point row appears.
	 */
	engine_start(false);
	{
		uint8_t b[128];
		size_t n = dns_msg(b, true);

		send_frame(TRANSPORT_UDP, "10.0.0.53", 53, "10.0.0.9", 63500,
		    0, 0, b, n);
	}
	ok(row_of("10.0.0.9", 63500, TRANSPORT_UDP) == NULL,
	    "item 3: DNS reply 53 -> 63500 first: no row on the client's "
	    "ephemeral port");
	r = row_of("10.0.0.53", 53, TRANSPORT_UDP);
	is_str(row_service(r), "dns", "item 3: ... the replying 53 serves dns");
	engine_stop();

	/* The same reply to a registered-port listener (25536, cm-client):
	 * the system port still serves. */
	engine_start(false);
	send_frame(TRANSPORT_UDP, "10.0.0.53", 53, "10.0.0.9", 25536, 0, 0,
	    junk, 4);
	ok(row_of("10.0.0.53", 53, TRANSPORT_UDP) != NULL &&
	    row_of("10.0.0.9", 25536, TRANSPORT_UDP) == NULL,
	    "item 3: reply 53 -> 25536 (a registered listener): 53 serves");
	engine_stop();

	/*
	 * DHCP's request/reply pair: an OFFER/ACK seen first (67 -> 68,
	 * broadcast or unicast) makes the 67 side the server, never a
	 * dhcpclient server on 68.
	 */
	engine_start(false);
	send_frame(TRANSPORT_UDP, "10.0.0.1", 67, "255.255.255.255", 68, 0, 0,
	    junk, 4);
	send_frame(TRANSPORT_UDP, "10.0.0.1", 67, "10.0.0.77", 68, 0, 0,
	    junk, 4);
	ok(row_of("255.255.255.255", 68, TRANSPORT_UDP) == NULL &&
	    row_of("10.0.0.77", 68, TRANSPORT_UDP) == NULL,
	    "item 3: DHCP reply 67 -> 68 first: no dhcpclient server on 68");
	r = row_of("10.0.0.1", 67, TRANSPORT_UDP);
	ok(r != NULL && r->flows == 2,
	    "item 3: ... the 67 side is the DHCP server (2 flows)");
	engine_stop();

	/* DHCPv6: an ADVERTISE 547 -> 546 first; 547 serves. */
	engine_start(false);
	send_frame(TRANSPORT_UDP, "10.0.0.1", 547, "10.0.0.77", 546, 0, 0,
	    junk, 4);
	ok(row_of("10.0.0.1", 547, TRANSPORT_UDP) != NULL &&
	    row_of("10.0.0.77", 546, TRANSPORT_UDP) == NULL,
	    "item 3: DHCPv6 reply 547 -> 546 first: 547 serves");
	engine_stop();

	/* A learned endpoint outranks a listener on the other end. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50201, "10.0.0.5", 135, true);
	conn_bind(&c, EPM_UUID, 3, "135");
	conn_ept_map(&c, NETLOGON, 1, 0x07, 50100, any_host);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 50100, "10.0.0.9", 3389,
	    F_ACK | F_PSH, 1, junk, 4);
	ok(row_of("10.0.0.5", 50100, TRANSPORT_TCP) != NULL &&
	    row_of("10.0.0.9", 3389, TRANSPORT_TCP) == NULL,
	    "item 3: learned 50100 -> listener 3389: the learned end serves");
	engine_stop();
}

/* The run totals' flow classes. */
static void
test_engine_classes(void)
{
	const struct run_totals *tot;
	const struct stats_row *r;
	static const char junk[] = "xxxx";

	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50000, "10.0.0.5", 88, F_SYN, 1,
	    NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 88, "10.0.0.9", 50000,
	    F_SYN | F_ACK, 1, NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50001, "10.0.0.5", 49700, F_SYN,
	    1, NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 49700, "10.0.0.9", 50001,
	    F_SYN | F_ACK, 1, NULL, 0);
	send_frame(TRANSPORT_TCP, "192.0.2.9", 50002, "198.51.100.5", 88,
	    F_SYN, 1, NULL, 0);
	send_frame(TRANSPORT_UDP, "10.0.0.9", 50003, "192.0.2.5", 88, 0, 0,
	    junk, 4);
	send_frame(TRANSPORT_UDP, "192.0.2.5", 88, "10.0.0.9", 50003, 0, 0,
	    junk, 4);
	r = row_of("10.0.0.5", 88, TRANSPORT_TCP);
	is_str(row_service(r), "kdc", "engine: tcp/88 is kdc");
	is_str(row_method(r), "port", "engine: by port");
	r = row_of("10.0.0.5", 49700, TRANSPORT_TCP);
	ok(r != NULL && r->key.service[0] == '\0' &&
	    r->key.method == METHOD_NONE,
	    "engine: dynamic port without evidence is undocumented");
	ok(row_of("198.51.100.5", 88, TRANSPORT_TCP) == NULL,
	    "engine: unmonitored flows have no statistics row");
	/* Issue 14 item 4 (was: a kdc row of 192.0.2.5). */
	ok(row_of("192.0.2.5", 88, TRANSPORT_UDP) == NULL,
	    "engine: a monitored client's flow to an outside kdc is no row");
	{
		const struct stats_outbound *o;
		struct addr cl = ip("10.0.0.9");

		o = stats_batch_outbounds(engine_batch(eng), STATS_OUT_CLIENT);
		ok(stats_batch_noutbound(engine_batch(eng),
		    STATS_OUT_CLIENT) == 1 && addr_eq(&o->peer, &cl) && o->port == 88 && o->transport == TRANSPORT_UDP &&
		    o->flows == 1 && o->pkts[0] == 1 && o->bytes[0] > 0,
		    "engine: its client's outbound row (10.0.0.9, udp, 88)");
		o = stats_batch_outbounds(engine_batch(eng), STATS_OUT_SERVER);
		ok(stats_batch_noutbound(engine_batch(eng),
		    STATS_OUT_SERVER) == 1 && o->port == 88 && o->flows == 1,
		    "engine: its outside server's row");
	}
	tot = engine_totals(eng);
	is_int(tot->flow_class[FLOW_CLASSIFIED], 1, "engine: 1 classified");
	is_int(tot->flow_class[FLOW_UNDOCUMENTED], 1, "engine: 1 undocumented");
	is_int(tot->flow_class[FLOW_UNMONITORED], 1, "engine: 1 unmonitored");
	is_int(tot->flow_class[FLOW_OUTBOUND], 1, "engine: 1 outbound");
	/* The UDP request to the outside kdc and its reply (issue 14 item 2
	 * answers every flow here, item 4 makes this one outbound). */
	is_int(tot->pkt_class[PKT_OUTBOUND], 2, "engine: 2 outbound packets");
	is_int(tot->pkt_class[PKT_CLASSIFIED], 2,
	    "engine: 2 classified packets");
	is_int(tot->pkt_class[PKT_UNDOCUMENTED], 2,
	    "engine: 2 undocumented packets");
	is_int(tot->pkt_class[PKT_UNMONITORED], 1,
	    "engine: 1 unmonitored packet");
	engine_stop();
}

/* The attempt row of (server, port, transport) after every flow ended. */
static const struct stats_attempt *
attempt_of(const char *server, uint16_t port, uint8_t proto)
{
	const struct stats_attempt *a;
	struct addr s = ip(server);
	size_t i, n;

	engine_drain(eng, true);
	a = stats_batch_attempts(engine_batch(eng));
	n = stats_batch_nattempts(engine_batch(eng));
	for (i = 0; i < n; i++)
		if (addr_eq(&a[i].server, &s) && a[i].port == port &&
		    a[i].transport == proto)
			return &a[i];
	return NULL;
}

/* The packet partition adds up to the packets read. */
static bool
partition_sums(void)
{
	const struct run_totals *t = engine_totals(eng);
	uint64_t sum = 0;
	int i;

	for (i = 0; i < PKT__COUNT; i++)
		sum += t->pkt_class[i];
	return sum == t->packets;
}

/*
 * Issue 14 item 2: a port counts as served only once its server side
 * sent something; refused and unanswered flows are attempts.
 */
static void
test_attempts(void)
{
	const struct stats_attempt *a;
	const struct run_totals *tot;
	const struct stats_row *r;
	static const char junk[] = "xxxx";

	/* A printer probe refused: SYN, then RST+ACK from the server. */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50700, "10.0.0.5", 515, F_SYN, 1,
	    NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 515, "10.0.0.9", 50700,
	    F_RST | F_ACK, 1, NULL, 0);
	/* ... and another client's, unanswered (two SYNs). */
	send_frame(TRANSPORT_TCP, "10.0.0.8", 50701, "10.0.0.5", 515, F_SYN, 1,
	    NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.8", 50701, "10.0.0.5", 515, F_SYN, 1,
	    NULL, 0);
	/* A UDP query nobody answered. */
	send_frame(TRANSPORT_UDP, "10.0.0.9", 50702, "10.0.0.5", 9999, 0, 0,
	    junk, 4);
	ok(row_of("10.0.0.5", 515, TRANSPORT_TCP) == NULL,
	    "item 2: a refused and an unanswered SYN to 515: no lpdsvc row");
	a = attempt_of("10.0.0.5", 515, TRANSPORT_TCP);
	ok(a != NULL && a->refused == 1 && a->unanswered == 1 &&
	    a->pkts == 4, "item 2: ... one attempt row: 1 refused, 1 "
	    "unanswered, 4 packets");
	is_int(stats_batch_nattempt_clients(engine_batch(eng)), 3,
	    "item 2: ... its 2 clients, and the UDP attempt's");
	ok(row_of("10.0.0.5", 9999, TRANSPORT_UDP) == NULL,
	    "item 2: an unanswered UDP datagram: no row");
	a = attempt_of("10.0.0.5", 9999, TRANSPORT_UDP);
	ok(a != NULL && a->unanswered == 1 && a->refused == 0,
	    "item 2: ... an unanswered UDP attempt");
	tot = engine_totals(eng);
	is_int(tot->attempts_refused, 1, "item 2: attempts_refused 1");
	is_int(tot->attempts_unanswered, 2, "item 2: attempts_unanswered 2");
	is_int(tot->flows, 3, "item 2: attempts still count as flows");
	ok(partition_sums(), "item 2: the packet partition adds up");
	engine_stop();

	/*
	 * A late answer: SYN, a retransmit, a flush in between (the flow
	 * is held, its packets in the partition only), then the SYN+ACK:
	 * served, with every packet in its row.
	 */
	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50710, "10.0.0.5", 445, F_SYN, 1,
	    NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50710, "10.0.0.5", 445, F_SYN, 1,
	    NULL, 0);
	engine_drain(eng, false);
	ok(stats_batch_nrows(engine_batch(eng)) == 0 &&
	    stats_batch_nattempts(engine_batch(eng)) == 0,
	    "item 2: an unanswered live flow is held: no row, no attempt yet");
	ok(partition_sums(), "item 2: ... its packets are in the partition");
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50710, "10.0.0.5", 445, F_SYN, 1,
	    NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 445, "10.0.0.9", 50710,
	    F_SYN | F_ACK, 1, NULL, 0);
	r = row_of("10.0.0.5", 445, TRANSPORT_TCP);
	ok(r != NULL && r->pkts[FLOW_C2S] == 3 && r->pkts[FLOW_S2C] == 1 &&
	    r->flows == 1, "item 2: the late SYN+ACK makes it served, with "
	    "all 4 packets");
	ok(attempt_of("10.0.0.5", 445, TRANSPORT_TCP) == NULL,
	    "item 2: ... and no attempt");
	ok(partition_sums(), "item 2: ... the partition still adds up");
	is_int(engine_totals(eng)->pkt_class[PKT_CLASSIFIED], 4,
	    "item 2: ... 4 classified packets, each once");
	engine_stop();

	/*
	 * A group destination never answers from its own address: a subnet
	 * broadcast (known as one by its Ethernet destination) stays a
	 * service row; the same datagram to a unicast frame is an attempt.
	 */
	engine_start(false);
	eth_broadcast = true;
	send_frame(TRANSPORT_UDP, "10.0.0.9", 137, "10.0.5.255", 137, 0, 0,
	    junk, 4);
	eth_broadcast = false;
	send_frame(TRANSPORT_UDP, "10.0.0.9", 138, "10.0.6.255", 138, 0, 0,
	    junk, 4);
	ok(row_of("10.0.5.255", 137, TRANSPORT_UDP) != NULL,
	    "item 2: a datagram to a subnet broadcast stays a service row");
	ok(attempt_of("10.0.6.255", 138, TRANSPORT_UDP) != NULL,
	    "item 2: ... the same in a unicast frame is an attempt");
	engine_stop();
}

/* Who gets a DCE/RPC parser. */
static void
test_rpc_parsers(void)
{
	const struct stats_row *r;
	static const uint16_t svc_ports[] = { 135, 593 };
	static const char junk[] = "junk";
	struct conn c;
	struct w o, t;
	size_t i;

	/*
	 * 135 and 593 have a parser from the start: a bind after three
	 * other payload packets still names the flow.
	 */
	for (i = 0; i < 2; i++) {
		engine_start(false);
		conn_open(&c, "10.0.0.9", 50300, "10.0.0.5", svc_ports[i],
		    true);
		conn_send(&c, 1, junk, 4);
		conn_send(&c, 1, junk, 4);
		conn_send(&c, 1, junk, 4);
		conn_bind(&c, NETLOGON, 1, NULL);
		r = row_of("10.0.0.5", svc_ports[i], TRANSPORT_TCP);
		is_str(row_method(r), "bind",
		    "tcp/%u: parser from the first packet", svc_ports[i]);
		is_str(row_service(r), "netlogon", "tcp/%u: bound interface",
		    svc_ports[i]);
		engine_stop();
	}

	/* Any other port: only when the client opens with a bind. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50301, "10.0.0.5", 49730, true);
	conn_bind(&c, NETLOGON, 1, NULL);
	r = row_of("10.0.0.5", 49730, TRANSPORT_TCP);
	is_str(row_method(r), "bind", "dynamic port, first payload a bind");
	is_str(row_service(r), "netlogon", "... names the flow");
	ok(r != NULL && strcmp(r->interface, "netlogon") == 0,
	    "... and its interface");
	engine_stop();

	engine_start(false);
	conn_open(&c, "10.0.0.9", 50302, "10.0.0.5", 49731, true);
	conn_send(&c, 0, junk, 4);
	conn_bind(&c, NETLOGON, 1, NULL);
	r = row_of("10.0.0.5", 49731, TRANSPORT_TCP);
	is_str(row_method(r), "bind", "a bind as the second payload packet");
	engine_stop();

	/*
	 * A dynamic RPC port is probed longer (a flow picked up mid-stream,
	 * test_midstream()); a port with no listener only for the bind.
	 */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50303, "10.0.0.5", 49732, true);
	conn_send(&c, 0, junk, 4);
	conn_send(&c, 1, junk, 4);
	conn_bind(&c, NETLOGON, 1, NULL);
	r = row_of("10.0.0.5", 49732, TRANSPORT_TCP);
	is_str(row_method(r), "bind",
	    "dynamic port, a bind as the third payload packet: parsed");
	engine_stop();

	engine_start(false);
	conn_open(&c, "10.0.0.9", 50303, "10.0.0.5", 999, true);
	conn_send(&c, 0, junk, 4);
	conn_send(&c, 1, junk, 4);
	conn_bind(&c, NETLOGON, 1, NULL);
	r = row_of("10.0.0.5", 999, TRANSPORT_TCP);
	is_str(row_method(r), "none",
	    "port without a listener, a bind as the third payload: no parser");
	engine_stop();

	engine_start(false);
	conn_open(&c, "10.0.0.9", 50304, "10.0.0.5", 49733, true);
	bind_pdu(&o, NETLOGON, 1);
	conn_send(&c, 1, o.b, o.n);
	r = row_of("10.0.0.5", 49733, TRANSPORT_TCP);
	is_str(row_method(r), "none", "a bind from the server: no parser");
	engine_stop();

	engine_start(false);
	conn_open(&c, "10.0.0.9", 50305, "10.0.0.5", 49734, true);
	conn_send(&c, 0, junk, 4);
	r = row_of("10.0.0.5", 49734, TRANSPORT_TCP);
	is_str(row_method(r), "none", "a flow that does not bind: no parser");
	engine_stop();

	/* UDP: 135 parses connectionless replies, other ports do not. */
	engine_start(false);
	tower(&t, NETLOGON, 1, 0x08, 49740, any_host);
	cl_ept_map_response(&o, &t);
	send_frame(TRANSPORT_UDP, "10.0.0.9", 50306, "10.0.0.5", 135, 0, 0,
	    junk, 4);
	send_frame(TRANSPORT_UDP, "10.0.0.5", 135, "10.0.0.9", 50306, 0, 0,
	    o.b, o.n);
	ok(learned("10.0.0.5", TRANSPORT_UDP, 49740),
	    "udp/135: connectionless ept_map reply learned");
	/* A bind-looking first datagram does not open one either. */
	bind_pdu(&o, EPM_UUID, 3);
	send_frame(TRANSPORT_UDP, "10.0.0.9", 50307, "10.0.0.5", 49742, 0, 0,
	    o.b, o.n);
	tower(&t, NETLOGON, 1, 0x08, 49741, any_host);
	cl_ept_map_response(&o, &t);
	send_frame(TRANSPORT_UDP, "10.0.0.5", 49742, "10.0.0.9", 50307, 0, 0,
	    o.b, o.n);
	ok(!learned("10.0.0.5", TRANSPORT_UDP, 49741),
	    "udp on another port, even opening with a bind: no parser");
	engine_stop();
}

/* Endpoints learned from replies; the bind_ack rule. */
static void
test_rpc_endpoints(void)
{
	static const uint8_t host7[4] = { 10, 0, 0, 7 };
	const struct run_totals *tot;
	const struct stats_row *r;
	struct conn c;

	engine_start(false);
	/* ept_map towers: 0.0.0.0 is the responder, a host is itself. */
	conn_open(&c, "10.0.0.9", 50400, "10.0.0.5", 135, true);
	conn_bind(&c, EPM_UUID, 3, "135");
	ok(!learned("10.0.0.5", TRANSPORT_TCP, 135),
	    "bind_ack on 135: the mapper's port is not learned");
	conn_ept_map(&c, NETLOGON, 1, 0x07, 49750, any_host);
	ok(learned("10.0.0.5", TRANSPORT_TCP, 49750),
	    "ept_map tower with host 0.0.0.0: learned at the responder");
	conn_ept_map(&c, DRSUAPI, 4, 0x07, 49751, host7);
	ok(learned("10.0.0.7", TRANSPORT_TCP, 49751) &&
	    !learned("10.0.0.5", TRANSPORT_TCP, 49751),
	    "ept_map tower with a host: learned at that host");

	/* A learned port names the next flow to it: epm. */
	conn_open(&c, "10.0.0.9", 50401, "10.0.0.5", 49750, true);
	conn_send(&c, 0, "x", 1);
	/* ... and a bind there keeps epm but names the bound interface. */
	conn_open(&c, "10.0.0.9", 50402, "10.0.0.7", 49751, true);
	conn_bind(&c, NETLOGON, 1, NULL);
	r = row_of("10.0.0.5", 49750, TRANSPORT_TCP);
	is_str(row_method(r), "epm", "flow to a learned port: epm");
	is_str(row_service(r), "netlogon", "flow to a learned port: service");
	r = row_of("10.0.0.7", 49751, TRANSPORT_TCP);
	is_str(row_method(r), "epm", "bind on a learned port: still epm");
	is_str(row_service(r), "netlogon",
	    "bind on a learned port: the bound interface's service");
	tot = engine_totals(eng);
	is_int(tot->endpoints_learned, 2, "two endpoints learned");
	engine_stop();

	/* bind_ack on a dynamic port: learned when it is the flow's port. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50410, "10.0.0.5", 49760, true);
	conn_bind(&c, NETLOGON, 1, "49760");
	ok(learned("10.0.0.5", TRANSPORT_TCP, 49760),
	    "bind_ack secondary address = dynamic server port: learned");
	conn_open(&c, "10.0.0.9", 50411, "10.0.0.5", 49761, true);
	conn_bind(&c, NETLOGON, 1, "49762");
	ok(!learned("10.0.0.5", TRANSPORT_TCP, 49762),
	    "bind_ack secondary address != server port: not learned");
	/* A port without any listener documents nothing either. */
	conn_open(&c, "10.0.0.9", 50412, "10.0.0.5", 999, true);
	conn_bind(&c, NETLOGON, 1, "999");
	ok(learned("10.0.0.5", TRANSPORT_TCP, 999),
	    "bind_ack on a port without a listener: learned");
	/* A documented listener is not turned into a learned port. */
	conn_open(&c, "10.0.0.9", 50413, "10.0.0.5", 5722, true);
	conn_bind(&c, NETLOGON, 1, "5722");
	ok(!learned("10.0.0.5", TRANSPORT_TCP, 5722),
	    "bind_ack on a documented listener (5722): not learned");
	conn_open(&c, "10.0.0.9", 50414, "10.0.0.5", 593, true);
	conn_bind(&c, EPM_UUID, 3, "593");
	ok(!learned("10.0.0.5", TRANSPORT_TCP, 593),
	    "bind_ack on 593: not learned");
	tot = engine_totals(eng);
	is_int(tot->endpoints_learned, 2, "bind_ack: two endpoints learned");
	engine_stop();
}

/* A DNS query for example.com, and its answer. */
static size_t
dns_msg(uint8_t *b, bool answer)
{
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0x00, 0x01, 0x00, 0x01 };
	static const uint8_t a[] = {
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
		0x00, 0x04, 93, 184, 216, 34 };
	size_t n = sizeof(q);

	memcpy(b, q, n);
	if (answer) {
		b[2] = 0x81;
		b[3] = 0x80;
		b[7] = 1;
		memcpy(b + n, a, sizeof(a));
		n += sizeof(a);
	}
	return n;
}

static void
dns_exchange(const char *cli, uint16_t cport, const char *srv, uint16_t sport)
{
	uint8_t b[128];
	size_t n;

	n = dns_msg(b, false);
	send_frame(TRANSPORT_UDP, cli, cport, srv, sport, 0, 0, b, n);
	n = dns_msg(b, true);
	send_frame(TRANSPORT_UDP, srv, sport, cli, cport, 0, 0, b, n);
}

/* The protocol of an outside server's outbound row, NULL if none. */
static const char *
outbound_protocol(const char *server, uint16_t port)
{
	const struct stats_outbound *o;
	struct addr a = ip(server);
	size_t i, n;

	engine_drain(eng, true);
	o = stats_batch_outbounds(engine_batch(eng), STATS_OUT_SERVER);
	n = stats_batch_noutbound(engine_batch(eng), STATS_OUT_SERVER);
	for (i = 0; i < n; i++)
		if (addr_eq(&o[i].peer, &a) && o[i].port == port)
			return o[i].protocol;
	return NULL;
}

/* Which flows nDPI looks at, and the mismatch count. */
static void
test_dpi_scope(void)
{
	const struct stats_row *r;
	static const char http_req[] =
	    "GET / HTTP/1.1\r\nHost: dc01\r\nUser-Agent: t\r\n\r\n";
	static const char http_resp[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: t\r\n\r\n";
	struct conn c;

	engine_start(false);
	dns_exchange("10.0.0.9", 50500, "10.0.0.5", 53);
	dns_exchange("10.0.0.9", 50501, "192.0.2.53", 53);
	dns_exchange("10.0.0.9", 50502, "224.0.0.251", 5353);
	r = row_of("10.0.0.5", 53, TRANSPORT_UDP);
	ok(r != NULL && strcmp(r->protocol, "DNS") == 0,
	    "monitored server: nDPI runs (DNS)");
	/* Outside servers are outbound use (issue 14 item 4). */
	ok(row_of("192.0.2.53", 53, TRANSPORT_UDP) == NULL,
	    "outside server: no service row");
	ok(outbound_protocol("192.0.2.53", 53) != NULL &&
	    outbound_protocol("192.0.2.53", 53)[0] == '\0',
	    "outside server, dpi-outbound off: outbound row, no nDPI");
	r = row_of("224.0.0.251", 5353, TRANSPORT_UDP);
	ok(r != NULL && r->protocol[0] != '\0',
	    "group address: nDPI runs (%s)", r != NULL ? r->protocol : "-");
	engine_stop();

	engine_start(true);
	dns_exchange("10.0.0.9", 50503, "192.0.2.53", 53);
	ok(outbound_protocol("192.0.2.53", 53) != NULL &&
	    strcmp(outbound_protocol("192.0.2.53", 53), "DNS") == 0,
	    "outside server, dpi-outbound on: nDPI runs (outbound protocol)");
	engine_stop();

	/* Unmonitored flows get neither nDPI nor a DCE/RPC parser. */
	engine_start(true);
	send_frame(TRANSPORT_TCP, "192.0.2.9", 50504, "198.51.100.5", 135,
	    F_SYN, 1, NULL, 0);
	is_int(flow_analysers(), 0, "unmonitored flow on 135: not analysed");
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50505, "198.51.100.5", 135,
	    F_SYN, 1, NULL, 0);
	is_int(flow_analysers(), 1, "monitored client's flow on 135: analysed");
	engine_stop();

	/* An unmonitored EPM conversation teaches nothing. */
	engine_start(false);
	conn_open(&c, "192.0.2.9", 50506, "198.51.100.5", 135, true);
	conn_bind(&c, EPM_UUID, 3, "135");
	conn_ept_map(&c, NETLOGON, 1, 0x07, 49770, any_host);
	ok(!learned("198.51.100.5", TRANSPORT_TCP, 49770),
	    "unmonitored ept_map reply: nothing learned");
	engine_stop();

	/*
	 * HTTP on dfsr/5722 (msrpc): the engine counts a mismatch.  On
	 * kdc/88 nDPI says app HTTP over master Kerberos (its port guess),
	 * and the master agrees.
	 */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50507, "10.0.0.5", 5722, true);
	conn_send(&c, 0, http_req, sizeof(http_req) - 1);
	conn_send(&c, 1, http_resp, sizeof(http_resp) - 1);
	r = row_of("10.0.0.5", 5722, TRANSPORT_TCP);
	is_str(r != NULL ? r->protocol : "(no row)", "HTTP",
	    "nDPI verdict on dfsr/5722");
	is_int(engine_totals(eng)->dpi_mismatches, 1,
	    "HTTP on dfsr/5722: one mismatch counted");
	engine_stop();
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50507, "10.0.0.5", 88, true);
	conn_send(&c, 0, http_req, sizeof(http_req) - 1);
	conn_send(&c, 1, http_resp, sizeof(http_resp) - 1);
	r = row_of("10.0.0.5", 88, TRANSPORT_TCP);
	is_str(r != NULL ? r->protocol : "(no row)", "HTTP",
	    "nDPI verdict on kdc/88");
	is_int(engine_totals(eng)->dpi_mismatches, 0,
	    "HTTP over master Kerberos on kdc/88: the master agrees");
	engine_stop();

	/* DNS on dns/53 agrees. */
	engine_start(false);
	dns_exchange("10.0.0.9", 50508, "10.0.0.5", 53);
	row_of("10.0.0.5", 53, TRANSPORT_UDP);
	is_int(engine_totals(eng)->dpi_mismatches, 0, "DNS on dns/53: agrees");
	engine_stop();
}

/* Later IP fragments: counted in their datagram's flow, else by where. */
static void
test_fragments(void)
{
	const struct run_totals *tot;
	const struct stats_row *r;

	engine_start(false);
	send_fragmented("10.0.0.9", 50600, "10.0.0.5", 88, 7, true);
	send_frame(TRANSPORT_UDP, "10.0.0.5", 88, "10.0.0.9", 50600, 0, 0,
	    "xxxx", 4);
	r = row_of("10.0.0.5", 88, TRANSPORT_UDP);
	ok(r != NULL && r->pkts[FLOW_C2S] == 2,
	    "a later fragment counts in its first fragment's flow (kdc)");
	tot = engine_totals(eng);
	is_int(tot->pkt_class[PKT_CLASSIFIED], 3,
	    "both fragments (and the reply) are classified packets");
	engine_stop();

	engine_start(false);
	send_fragmented("10.0.0.9", 50601, "10.0.0.5", 88, 8, false);
	send_fragmented("192.0.2.9", 50602, "198.51.100.5", 88, 9, false);
	engine_drain(eng, true);
	tot = engine_totals(eng);
	is_int(tot->pkt_class[PKT_UNDOCUMENTED], 1,
	    "lone later fragment to a monitored host: undocumented");
	is_int(tot->pkt_class[PKT_UNMONITORED], 1,
	    "lone later fragment between outside hosts: unmonitored");
	is_int(tot->fragments, 2, "later fragments counted");
	engine_stop();
}

/* A flow nDPI could not decide still gets its verdict when it ends. */
static void
test_dpi_at_end(void)
{
	const struct stats_row *r;

	engine_start(false);
	send_frame(TRANSPORT_TCP, "10.0.0.9", 50610, "10.0.0.5", 88, F_SYN, 1,
	    NULL, 0);
	send_frame(TRANSPORT_TCP, "10.0.0.5", 88, "10.0.0.9", 50610,
	    F_SYN | F_ACK, 1, NULL, 0);
	r = row_of("10.0.0.5", 88, TRANSPORT_TCP);
	is_str(r != NULL ? r->protocol : "(no row)", "Kerberos",
	    "a handshake to kdc/88 without payload ends with nDPI's port "
	    "guess");
	engine_stop();
}

/* Reloads: a new catalog names live flows again; new monitored networks. */
static void
test_reload(void)
{
	const struct stats_row *r;
	struct catalog *c2;
	struct config cfg;
	struct conn c;
	char err[256];
	const char *dir = getenv("SVCMAP_DATA");

	c2 = catalog_open(dir != NULL ? dir : SVCMAP_SRCDATADIR, NULL, err,
	    sizeof(err));
	ok(c2 != NULL, "second catalog loads");
	if (c2 == NULL)
		return;
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50620, "10.0.0.5", 49780, true);
	conn_bind(&c, NETLOGON, 1, NULL);
	engine_drain(eng, false);
	engine_set_catalog(eng, c2);
	conn_send(&c, 0, "x", 1);
	r = row_with("10.0.0.5", 49780, METHOD_NONE);
	ok(r != NULL && r->pkts[FLOW_C2S] == 1,
	    "after a catalog reload a bound flow falls back to its port "
	    "(undocumented) until it binds again");
	engine_stop();

	/* New monitored networks apply to new flows. */
	engine_start(false);
	config_defaults(&cfg);
	cidr_parse(&cfg.monitored[0], "10.0.0.0/8");
	cidr_parse(&cfg.monitored[1], "192.0.2.0/24");
	cfg.nmonitored = 2;
	engine_set_config(eng, &cfg);
	send_frame(TRANSPORT_TCP, "198.51.100.1", 50621, "192.0.2.5", 88,
	    F_SYN, 1, NULL, 0);
	send_frame(TRANSPORT_TCP, "192.0.2.5", 88, "198.51.100.1", 50621,
	    F_SYN | F_ACK, 1, NULL, 0);
	is_str(row_service(row_of("192.0.2.5", 88, TRANSPORT_TCP)), "kdc",
	    "a network added by a reload is monitored");
	engine_stop();

	/*
	 * A flow that a reload leaves unmonitored keeps its attached
	 * DCE/RPC parser, which must stop learning from it: a bound EPM
	 * conversation, then monitored-networks without its network and a
	 * catalog reload naming it again, then an ept_map reply.
	 */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50622, "10.0.0.5", 135, true);
	conn_bind(&c, EPM_UUID, 3, "135");
	config_defaults(&cfg);
	cidr_parse(&cfg.monitored[0], "172.16.0.0/12");
	cfg.nmonitored = 1;
	engine_set_config(eng, &cfg);
	engine_set_catalog(eng, c2);
	conn_ept_map(&c, NETLOGON, 1, 0x07, 49790, any_host);
	ok(!learned("10.0.0.5", TRANSPORT_TCP, 49790),
	    "a flow a reload made unmonitored teaches no endpoint");
	engine_stop();
	catalog_destroy(c2);
}


/* The alerts of the current engine (test_midstream()). */
static struct alerts *alerts;

static void
alerts_start(uint32_t grace_s)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	cfg.alert_grace_s = grace_s;
	cfg.alert_learning_s = 0;
	if ((alerts = alert_create(&cfg, err, sizeof(err))) == NULL) {
		printf("Bail out! alert_create: %s\n", err);
		exit(1);
	}
	engine_set_alerts(eng, alerts);
}

static void
alerts_stop(void)
{
	engine_set_alerts(eng, NULL);
	alert_destroy(alerts);
	alerts = NULL;
}

/* The alert of this kind on (server, tcp, port) in the batch, or NULL. */
static const struct alert_record *
alert_of(int kind, const char *server, uint16_t port)
{
	struct alert_record *recs;
	struct addr a = ip(server);
	size_t i, n;

	recs = alert_batch_records(alert_batch(alerts), &n);
	for (i = 0; i < n; i++)
		if (recs[i].kind == kind && recs[i].port == port &&
		    addr_eq(&recs[i].server, &a))
			return &recs[i];
	return NULL;
}

/* Let packet time pass: one packet on an unrelated unmonitored flow. */
static void
idle_for(uint64_t us)
{
	now_us += us;
	send_frame(TRANSPORT_UDP, "192.0.2.1", 40000, "192.0.2.2", 40001, 0,
	    0, "t", 1);
}

/*
 * Issue 14 item 1: flows already running when the capture starts, and
 * evidence that arrives after them.
 */
static void
test_midstream(void)
{
	static const char junk[] = "junk";
	const struct alert_record *al;
	const struct stats_row *r;
	struct conn c, m;
	struct w o, s;
	int i;

	s.n = 0;
	w_le32(&s, 0);

	/* (a) No handshake, no bind: a response, junk, then an
	 * alter_context as the fourth payload names the flow. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50500, "10.0.0.5", 49770, false);
	call_pdu(&o, 2, 4, 0, &s);
	conn_send(&c, 1, o.b, o.n);
	conn_send(&c, 0, junk, 4);
	conn_send(&c, 1, junk, 4);
	bind_pdu(&o, DRSUAPI, 4);
	o.b[2] = 14;			/* alter_context */
	conn_send(&c, 0, o.b, o.n);
	r = row_of("10.0.0.5", 49770, TRANSPORT_TCP);
	is_str(row_method(r), "bind",
	    "mid-stream: an alter_context after a response names the flow");
	ok(r != NULL && strcmp(r->interface, "drsuapi") == 0,
	    "mid-stream: ... as drsuapi");
	engine_stop();

	/* A request header sent by the server is not one: no parser. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50501, "10.0.0.5", 49771, false);
	call_pdu(&o, 0, 4, 3, &s);
	conn_send(&c, 1, o.b, o.n);
	conn_send(&c, 0, junk, 4);
	conn_send(&c, 1, junk, 4);
	bind_pdu(&o, DRSUAPI, 4);
	o.b[2] = 14;
	conn_send(&c, 0, o.b, o.n);
	r = row_of("10.0.0.5", 49771, TRANSPORT_TCP);
	is_str(row_method(r), "bind",
	    "mid-stream: a request from the server is skipped, the "
	    "alter_context still found");
	engine_stop();

	/* (b) An endpoint learned while a flow to it runs: the flow moves
	 * to it, with all its counts not yet drained. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50502, "10.0.0.5", 49780, false);
	call_pdu(&o, 2, 4, 0, &s);
	conn_send(&c, 1, o.b, o.n);
	call_pdu(&o, 0, 5, 3, &s);
	conn_send(&c, 0, o.b, o.n);
	conn_open(&m, "10.0.0.9", 50503, "10.0.0.5", 135, true);
	conn_bind(&m, EPM_UUID, 3, "135");
	conn_ept_map(&m, NETLOGON, 1, 0x07, 49780, any_host);
	conn_send(&c, 1, o.b, 0);	/* an ACK: the flow's next packet */
	r = row_with("10.0.0.5", 49780, METHOD_EPM);
	is_str(row_service(r), "netlogon",
	    "re-attributed: the running flow is named by the learned port");
	ok(r != NULL && r->pkts[0] + r->pkts[1] == 3 && r->flows == 1,
	    "re-attributed: all 3 packets and the flow move with it");
	ok(row_with("10.0.0.5", 49780, METHOD_NONE) == NULL,
	    "re-attributed: no undocumented row is left");
	engine_stop();

	/* ... also when the flow sends nothing more: its drain looks. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50504, "10.0.0.5", 49781, false);
	call_pdu(&o, 2, 4, 0, &s);
	conn_send(&c, 1, o.b, o.n);
	conn_open(&m, "10.0.0.9", 50505, "10.0.0.5", 135, true);
	conn_bind(&m, EPM_UUID, 3, "135");
	conn_ept_map(&m, NETLOGON, 1, 0x07, 49781, any_host);
	r = row_with("10.0.0.5", 49781, METHOD_EPM);
	is_str(row_service(r), "netlogon",
	    "re-attributed at the drain, without a later packet");
	engine_stop();

	/* Counts already drained (an earlier flush interval) stay where
	 * they were; the new row counts the flow once. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50506, "10.0.0.5", 49782, false);
	call_pdu(&o, 2, 4, 0, &s);
	conn_send(&c, 1, o.b, o.n);
	engine_drain(eng, false);
	stats_batch_clear(engine_batch(eng));
	conn_open(&m, "10.0.0.9", 50507, "10.0.0.5", 135, true);
	conn_bind(&m, EPM_UUID, 3, "135");
	conn_ept_map(&m, NETLOGON, 1, 0x07, 49782, any_host);
	conn_send(&c, 0, o.b, 0);
	r = row_with("10.0.0.5", 49782, METHOD_EPM);
	ok(r != NULL && r->pkts[0] + r->pkts[1] == 1 && r->flows == 1,
	    "after a flush: the interval's packet moves, the flow counts once");
	engine_stop();

	/* A flow named by its port keeps its naming. */
	engine_start(false);
	conn_open(&c, "10.0.0.9", 50508, "10.0.0.5", 5722, false);
	conn_send(&c, 1, junk, 4);
	conn_open(&m, "10.0.0.9", 50509, "10.0.0.5", 135, true);
	conn_bind(&m, EPM_UUID, 3, "135");
	conn_ept_map(&m, NETLOGON, 1, 0x07, 5722, any_host);
	conn_send(&c, 1, junk, 4);
	r = row_of("10.0.0.5", 5722, TRANSPORT_TCP);
	is_str(row_method(r), "port",
	    "a flow named by its port is not re-attributed");
	engine_stop();

	/* (c) The grace period: evidence 2 s after the first flow. */
	engine_start(false);
	alerts_start(5);
	conn_open(&c, "10.0.0.9", 50510, "10.0.0.5", 49790, true);
	call_pdu(&o, 0, 4, 3, &s);
	conn_send(&c, 0, o.b, o.n);
	call_pdu(&o, 2, 4, 0, &s);
	/* Past dpi-max-packets: nDPI's verdict lets the flow be judged. */
	for (i = 0; i < 40; i++)
		conn_send(&c, 1, o.b, o.n);
	idle_for(2 * SEC);
	ok(alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 49790) == NULL,
	    "grace: unmapped_dynamic_port held");
	conn_open(&m, "10.0.0.9", 50511, "10.0.0.5", 135, true);
	conn_bind(&m, EPM_UUID, 3, "135");
	conn_ept_map(&m, NETLOGON, 1, 0x07, 49790, any_host);
	idle_for(10 * SEC);
	engine_drain(eng, true);
	ok(alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 49790) == NULL,
	    "grace: evidence within it, no alert at all");
	alerts_stop();
	engine_stop();

	/* No evidence: published when the grace ends, first seen at the
	 * first flow. */
	engine_start(false);
	alerts_start(5);
	conn_open(&c, "10.0.0.9", 50512, "10.0.0.5", 49791, true);
	call_pdu(&o, 0, 4, 3, &s);
	conn_send(&c, 0, o.b, o.n);
	call_pdu(&o, 2, 4, 0, &s);
	/* Past dpi-max-packets: nDPI's verdict lets the flow be judged. */
	for (i = 0; i < 40; i++)
		conn_send(&c, 1, o.b, o.n);
	idle_for(6 * SEC);
	idle_for(2 * SEC);
	al = alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 49791);
	ok(al != NULL && al->count == 1 && al->pending == 1 &&
	    al->first_seen == (int64_t)(T0 / SEC),
	    "grace: no evidence, published after it, dated at the flow");
	alerts_stop();
	engine_stop();

	/* Grace 0: published as soon as the flow is looked at. */
	engine_start(false);
	alerts_start(0);
	conn_open(&c, "10.0.0.9", 50513, "10.0.0.5", 49792, true);
	call_pdu(&o, 0, 4, 3, &s);
	conn_send(&c, 0, o.b, o.n);
	call_pdu(&o, 2, 4, 0, &s);
	/* Past dpi-max-packets: nDPI's verdict lets the flow be judged. */
	for (i = 0; i < 40; i++)
		conn_send(&c, 1, o.b, o.n);
	ok(alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 49792) != NULL,
	    "alert-grace 0: published at once");
	alerts_stop();
	engine_stop();

	/* Item 6: a dynamic port whose payload is not DCE/RPC is an
	 * undocumented service, never an unmapped RPC port. */
	engine_start(false);
	alerts_start(0);
	conn_open(&c, "10.0.0.9", 50514, "10.0.0.5", 49793, true);
	for (i = 0; i < 12; i++) {
		conn_send(&c, 0, "HELO proprietary", 16);
		conn_send(&c, 1, "250 proprietary!", 16);
	}
	engine_drain(eng, true);
	ok(alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 49793) == NULL,
	    "non-RPC payload on a dynamic port: no unmapped_dynamic_port");
	ok(alert_of(ALERT_UNDOCUMENTED_SERVICE, "10.0.0.5", 49793) != NULL,
	    "non-RPC payload on a dynamic port: undocumented_service");
	alerts_stop();
	engine_stop();
}

/*
 * Issue 14 item 6: each host's dynamic range is learned from its own
 * endpoint mapper; the catalog's ranges are the default.
 */
static void
test_host_ranges(void)
{
	struct conn c;
	int row, i;

	row = catalog_listener(cat, TRANSPORT_TCP, 3987);
	ok(row >= 0 && catalog_port_is_dynamic_rpc(cat, row),
	    "fact: tcp/3987 is in a dynamic RPC range (1025-5000)");
	engine_start(false);
	alerts_start(0);
	conn_open(&c, "10.0.0.9", 50600, "10.0.0.5", 135, true);
	conn_bind(&c, EPM_UUID, 3, "135");
	conn_ept_map(&c, NETLOGON, 1, 0x07, 49700, any_host);
	ok(endpoint_host_range(eps, &(struct addr){ 0 }, TRANSPORT_TCP,
	    3987) == -1, "a host without evidence: no range of its own");
	/* Answered, no payload: nothing says it is not RPC. */
	conn_open(&c, "10.0.0.9", 50601, "10.0.0.5", 3987, true);
	conn_open(&c, "10.0.0.9", 50602, "10.0.0.6", 3987, true);
	conn_open(&c, "10.0.0.9", 50603, "10.0.0.5", 49800, true);
	engine_drain(eng, true);
	ok(alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 3987) == NULL &&
	    alert_of(ALERT_UNDOCUMENTED_SERVICE, "10.0.0.5", 3987) != NULL,
	    "host whose EPM ports are all >= 49152: 3987 is not dynamic RPC "
	    "there (undocumented_service)");
	ok(alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.6", 3987) != NULL,
	    "host without evidence: the catalog's range (unmapped)");
	ok(alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 49800) != NULL,
	    "host's own range: 49800 is dynamic RPC (unmapped)");
	alerts_stop();
	engine_stop();

	/*
	 * A server seen only mid-stream: records from 10.0.0.5:8443 to an
	 * ephemeral port, the client's bare ACKs (a capture that starts
	 * inside a TLS session).  The ports show which side serves.
	 */
	engine_start(false);
	alerts_start(0);
	conn_open(&c, "10.0.0.9", 51000, "10.0.0.5", 8443, false);
	for (i = 0; i < 3; i++) {
		conn_send(&c, 1, "\x17\x03\x03\x00\x10 application data", 21);
		conn_send(&c, 0, "", 0);
	}
	/* Only the client talks: nothing shows a server. */
	conn_open(&c, "10.0.0.9", 51001, "10.0.0.5", 8444, false);
	for (i = 0; i < 3; i++) {
		conn_send(&c, 0, "\x17\x03\x03\x00\x10 application data", 21);
		conn_send(&c, 1, "", 0);
	}
	/* Both ports ephemeral of one class: the ports say nothing. */
	conn_open(&c, "10.0.0.9", 51002, "10.0.0.5", 50000, false);
	for (i = 0; i < 3; i++) {
		conn_send(&c, 1, "\x17\x03\x03\x00\x10 application data", 21);
		conn_send(&c, 0, "", 0);
	}
	engine_drain(eng, true);
	ok(alert_of(ALERT_UNDOCUMENTED_SERVICE, "10.0.0.5", 8443) != NULL,
	    "mid-stream, only the server's payload, ephemeral client port: "
	    "undocumented_service");
	ok(alert_of(ALERT_UNDOCUMENTED_SERVICE, "10.0.0.5", 8444) == NULL,
	    "mid-stream, only the client's payload: no alert");
	ok(alert_of(ALERT_UNDOCUMENTED_SERVICE, "10.0.0.5", 50000) == NULL &&
	    alert_of(ALERT_UNMAPPED_DYNAMIC_PORT, "10.0.0.5", 50000) == NULL,
	    "mid-stream, both ports ephemeral: no alert");
	alerts_stop();
	engine_stop();
}

int
main(void)
{
	const char *dir = getenv("SVCMAP_DATA");
	char err[256];
	struct catalog *c;

	if (dir == NULL)
		dir = SVCMAP_SRCDATADIR;
	if ((c = catalog_open(dir, NULL, err, sizeof(err))) == NULL) {
		printf("Bail out! catalog_open(%s): %s\n", dir, err);
		return 1;
	}
	cat = c;
	test_catalog_facts();
	test_monitored();
	test_port();
	test_learned();
	test_dcom();
	test_http_fallback();
	test_bound();
	test_dpi_agreement();
	test_orientation();
	test_engine_classes();
	test_attempts();
	test_rpc_parsers();
	test_rpc_endpoints();
	test_midstream();
	test_host_ranges();
	test_dpi_scope();
	test_fragments();
	test_dpi_at_end();
	test_reload();
	catalog_destroy(c);
	return tap_done();
}
