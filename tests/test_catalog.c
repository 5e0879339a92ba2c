/*
 * test_catalog.c - catalog loading, validation messages and lookups.
 *
 * Fixtures are in tests/catalog/: good-*.catalog must load, each
 * bad-*.catalog must fail with its message on its line.  Files with
 * lines too long to keep in the tree are written to a temporary directory.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/roles.h"
#include "tap.h"

static char fixdir[1024];
static char tmpdir[] = "/tmp/test_catalog.XXXXXX";

static const char *
fixture(const char *name)
{
	static char path[4][1200];
	static int n;
	char *p = path[n++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", fixdir, name);
	return p;
}

static const char *
tmpfile_path(const char *name)
{
	static char path[1200];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fwrite(text, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

/* Load files in order (the last may be local), then finish. */
static struct catalog *
load(const char *shipped, const char *local, char *err, size_t errlen)
{
	struct catalog *cat = catalog_create();

	if (cat == NULL)
		return NULL;
	if (catalog_load_file(cat, shipped, false, err, errlen) == -1 ||
	    (local != NULL &&
	    catalog_load_file(cat, local, true, err, errlen) == -1) ||
	    catalog_finish(cat, err, errlen) == -1) {
		catalog_destroy(cat);
		return NULL;
	}
	return cat;
}

static const char *
listener_key(const struct catalog *cat, uint8_t transport, uint16_t port)
{
	int row = catalog_listener(cat, transport, port);

	if (row < 0)
		return "(none)";
	return catalog_service(cat, catalog_port(cat, row)->service)->key;
}

static const char *
iface_name(const struct catalog *cat, const char *uuid, uint16_t major)
{
	uint8_t u[16];
	int row;

	if (uuid_parse(u, uuid) == -1)
		return "(bad uuid)";
	row = catalog_iface_find(cat, u, major);
	return row < 0 ? "(none)" : catalog_iface(cat, row)->name;
}

/* The port row of a service starting at (transport, port_low), or -1. */
static int
port_row(const struct catalog *cat, const char *key, uint8_t transport,
    uint16_t port_low)
{
	const struct catalog_port *p;
	int svc = catalog_service_find(cat, key);
	size_t i;

	for (i = 0; i < catalog_nports(cat); i++) {
		p = catalog_port(cat, (int)i);
		if (p->service == svc && p->transport == transport &&
		    p->port_low == port_low)
			return (int)i;
	}
	return -1;
}

static void
test_names(void)
{
	is_str(transport_name(TRANSPORT_TCP), "tcp", "transport_name tcp");
	is_str(transport_name(TRANSPORT_ICMPV6), "icmpv6",
	    "transport_name icmpv6");
	ok(transport_name(132) == NULL, "transport_name: SCTP has no name");
	is_int(transport_parse("udp"), TRANSPORT_UDP, "transport_parse udp");
	is_int(transport_parse("gre"), TRANSPORT_GRE, "transport_parse gre");
	is_int(transport_parse("sctp"), 0, "transport_parse: unknown is 0");
	is_str(catalog_source_name(SOURCE_JA), "ja", "source name ja");
	is_str(catalog_source_name(SOURCE_LOCAL), "local", "source name local");
	ok(catalog_source_name(0x40) == NULL, "no name for an unused bit");
}

/* The service key a pipe name finds, or "(none)". */
static const char *
pipe_service(const struct catalog *cat, const char *name)
{
	int row = catalog_pipe_find(cat, name);

	if (row < 0)
		return "(none)";
	return catalog_service(cat, catalog_pipe(cat, row)->service)->key;
}

static void
test_lookups(void)
{
	char err[512] = "";
	const struct catalog_service *s;
	const struct catalog_port *p;
	struct catalog *cat;
	uint8_t u[16];
	int row;

	cat = load(fixture("good-basic.catalog"), NULL, err, sizeof(err));
	ok(cat != NULL, "good-basic.catalog loads (%s)", err);
	if (cat == NULL)
		return;
	is_int(catalog_nservices(cat), 13, "good-basic: 13 services");
	is_int(catalog_nports(cat), 15, "good-basic: 15 port rows");
	is_int(catalog_napps(cat), 4, "good-basic: 4 apps");
	is_int(catalog_nifaces(cat), 5, "good-basic: 5 interfaces");
	is_int(catalog_ndcom(cat), 1, "good-basic: 1 DCOM class");

	row = catalog_service_find(cat, "server");
	s = catalog_service(cat, row);
	ok(s != NULL && strcmp(s->system_service, "LanmanServer") == 0 &&
	    !s->local, "service fields of server, not local");
	is_int(catalog_service_find(cat, "nosuch"), -1,
	    "service_find: unknown key");
	ok(catalog_service(cat, 13) == NULL && catalog_port(cat, -1) == NULL,
	    "accessors reject out-of-range indexes");

	row = catalog_listener(cat, TRANSPORT_TCP, 445);
	p = catalog_port(cat, row);
	ok(p != NULL && p->role == ROLE_LISTENER && p->port_low == 445 &&
	    p->sources == (SOURCE_SV | SOURCE_EN | SOURCE_JA | SOURCE_ZH),
	    "445/tcp listener row: role, port, sources");
	is_str(listener_key(cat, TRANSPORT_TCP, 445), "server",
	    "445/tcp: the listener (server), not the dependent (netlogon)");
	is_str(catalog_app(cat, p->app)->key, "smb", "445/tcp app is smb");
	is_str(catalog_port(cat, port_row(cat, "netlogon", TRANSPORT_TCP,
	    445))->notes,
	    "named pipe \\PIPE\\NETLOGON", "notes text kept verbatim");
	is_str(listener_key(cat, TRANSPORT_TCP, 88), "kdc", "88/tcp kdc");
	is_str(listener_key(cat, TRANSPORT_UDP, 88), "kdc", "88/udp kdc");
	is_str(listener_key(cat, TRANSPORT_UDP, 445), "(none)",
	    "445/udp: no listener");

	/* udp: wide 1000-3000, then narrow 1500-2500, then single 2000. */
	is_str(listener_key(cat, TRANSPORT_UDP, 2000), "single",
	    "single port beats the ranges around it");
	is_str(listener_key(cat, TRANSPORT_UDP, 1600), "narrow",
	    "narrower range beats the wider one");
	is_str(listener_key(cat, TRANSPORT_UDP, 2500), "narrow",
	    "narrow range includes its upper bound");
	is_str(listener_key(cat, TRANSPORT_UDP, 2501), "wide",
	    "past the narrow range: the wide one");
	is_str(listener_key(cat, TRANSPORT_UDP, 1000), "wide",
	    "wide range includes its lower bound");
	is_str(listener_key(cat, TRANSPORT_UDP, 3001), "(none)",
	    "past every range: no listener");
	/* tcp: narrow 5000-5010 is written before wide 4000-6000. */
	is_str(listener_key(cat, TRANSPORT_TCP, 5005), "narrow",
	    "narrower wins whatever the file order");
	is_str(listener_key(cat, TRANSPORT_TCP, 5011), "wide",
	    "wide range around the narrow one");
	is_str(listener_key(cat, TRANSPORT_TCP, 65535), "rpc-dynamic",
	    "65535/tcp in the dynamic range");
	is_str(listener_key(cat, TRANSPORT_GRE, 0), "rras",
	    "gre: transport without ports uses port 0");
	is_str(listener_key(cat, TRANSPORT_ESP, 0), "(none)",
	    "esp: no row, no listener");

	ok(catalog_port_is_dynamic_rpc(cat,
	    catalog_listener(cat, TRANSPORT_TCP, 50000)),
	    "dynamic rpc: the rpc-dynamic listener row");
	ok(catalog_port_is_dynamic_rpc(cat,
	    port_row(cat, "netlogon", TRANSPORT_TCP, 49152)),
	    "dynamic rpc: netlogon's dependent row on the dynamic range");
	ok(!catalog_port_is_dynamic_rpc(cat,
	    catalog_listener(cat, TRANSPORT_TCP, 135)),
	    "not dynamic rpc: 135/tcp (rpcss)");
	ok(!catalog_port_is_dynamic_rpc(cat,
	    port_row(cat, "netlogon", TRANSPORT_TCP, 445)),
	    "not dynamic rpc: netlogon's dependent row on 445");
	ok(!catalog_port_is_dynamic_rpc(cat, -1), "not dynamic rpc: row -1");
	is_str(listener_key(cat, TRANSPORT_TCP, 49152), "fixed",
	    "a single port inside the dynamic range: its own listener");
	ok(!catalog_port_is_dynamic_rpc(cat,
	    catalog_listener(cat, TRANSPORT_TCP, 49152)),
	    "not dynamic rpc: a fixed port inside the dynamic range");
	ok(catalog_port_is_dynamic_rpc(cat,
	    port_row(cat, "netlogon", TRANSPORT_TCP, 49152)),
	    "dynamic rpc: decided by the listener of the row's own range, "
	    "not of its first port");
	ok(catalog_port_is_dynamic_rpc(cat,
	    port_row(cat, "netlogon", TRANSPORT_TCP, 50000)),
	    "dynamic rpc: a range without its own listener takes the one "
	    "at its first port");
	ok(catalog_service(cat, catalog_service_find(cat, "fixed")) != NULL,
	    "a service may be defined after the rows that use it");

	is_str(iface_name(cat, "12345778-1234-abcd-ef00-0123456789ab", 0),
	    "lsarpc", "interface by lower-case uuid (file has upper case)");
	uuid_parse(u, "12345778-1234-abcd-ef00-0123456789ab");
	row = catalog_iface_find(cat, u, 0);
	ok(row >= 0 && strcmp(catalog_service(cat,
	    catalog_iface(cat, row)->service)->key, "lsass") == 0,
	    "lsarpc belongs to lsass");
	is_str(iface_name(cat, "12345778-1234-abcd-ef00-0123456789ab", 7),
	    "lsarpc", "only one version: any major falls back to it");
	is_str(iface_name(cat, "12345778-1234-abcd-ef00-0123456789ac", 0),
	    "(none)", "unknown uuid");
	is_str(iface_name(cat, "11111111-2222-3333-4444-555555555555", 3),
	    "v3", "exact major 3");
	is_str(iface_name(cat, "11111111-2222-3333-4444-555555555555", 5),
	    "v5.1", "exact major 5: the highest minor");
	is_str(iface_name(cat, "11111111-2222-3333-4444-555555555555", 4),
	    "v5.1", "major 4: 3 and 5 are as close, the newer wins");
	is_str(iface_name(cat, "11111111-2222-3333-4444-555555555555", 1),
	    "v3", "major 1: closest is 3");
	is_str(iface_name(cat, "11111111-2222-3333-4444-555555555555", 60000),
	    "v5.1", "major 60000: closest is 5");

	uuid_parse(u, "4991D34B-80A1-4291-83B6-3328366B9097");
	row = catalog_dcom_find(cat, u);
	ok(row >= 0 && strcmp(catalog_dcom(cat, row)->name,
	    "BackgroundCopyManager") == 0, "DCOM class by clsid");
	u[15] ^= 1;
	is_int(catalog_dcom_find(cat, u), -1, "unknown clsid");


	row = catalog_port(cat, catalog_listener(cat, TRANSPORT_TCP, 445))->app;
	ok(catalog_app_accepts(cat, row, "SMBv23"), "smb accepts SMBv23");
	ok(catalog_app_accepts(cat, row, "smbv23"),
	    "smb accepts smbv23 (case-insensitive)");
	ok(catalog_app_accepts(cat, row, "SMB"), "smb accepts SMB");
	ok(!catalog_app_accepts(cat, row, "HTTP"), "smb rejects HTTP");
	ok(!catalog_app_accepts(cat, row, "SMBv2"),
	    "smb rejects a prefix of a name");
	ok(!catalog_app_accepts(cat, row, NULL), "smb rejects no name");
	ok(catalog_app_accepts(cat, 3, "HTTP"),
	    "an app without nDPI names accepts anything");
	ok(catalog_app_accepts(cat, -1, "HTTP"),
	    "a row without an app accepts anything");
	catalog_destroy(cat);
}

static void
test_local(void)
{
	char err[512] = "";
	const struct catalog_port *p;
	struct catalog *cat;
	int svc;

	cat = load(fixture("good-basic.catalog"), fixture("good-local.catalog"),
	    err, sizeof(err));
	ok(cat != NULL, "local file over good-basic loads (%s)", err);
	if (cat == NULL)
		return;
	svc = catalog_service_find(cat, "backup-agent");
	ok(svc >= 0 && catalog_service(cat, svc)->local,
	    "local file adds a service, marked local");
	ok(!catalog_service(cat, catalog_service_find(cat, "server"))->local,
	    "shipped services stay non-local");
	is_str(listener_key(cat, TRANSPORT_TCP, 10000), "backup-agent",
	    "local port row listens on 10000/tcp");
	p = catalog_port(cat, catalog_listener(cat, TRANSPORT_TCP, 10000));
	is_int(p->sources, SOURCE_LOCAL, "sources \"local\" is SOURCE_LOCAL");
	is_str(listener_key(cat, TRANSPORT_TCP, 445), "server",
	    "a local dependent row leaves the shipped listener");
	p = catalog_port(cat, catalog_listener(cat, TRANSPORT_UDP, 10001));
	ok(p != NULL && p->service == catalog_service_find(cat, "netlogon"),
	    "a local row may reference a shipped service");
	ok(p != NULL && p->sources == (SOURCE_SV | SOURCE_LOCAL),
	    "local rows always carry SOURCE_LOCAL");
	catalog_destroy(cat);

	cat = load(fixture("good-basic.catalog"),
	    fixture("bad-local-listener.catalog"), err, sizeof(err));
	ok(cat == NULL, "local listener on shipped 445/tcp is rejected");
	ok(strstr(err, "bad-local-listener.catalog:2: ") != NULL &&
	    strstr(err, "good-basic.catalog:20") != NULL,
	    "the conflict names both file:line (%s)", err);
	catalog_destroy(cat);
}

struct bad_case {
	const char	*file;
	unsigned	 line;
	const char	*message;
};

static const struct bad_case bad_cases[] = {
	{ "bad-fields", 2, "service record has 4 fields, want 5" },
	{ "bad-kind", 3, "unknown record kind \"servce\"" },
	{ "bad-key", 2, "bad service key \"Net_Logon\"" },
	{ "bad-key-long", 2, "bad service key" },
	{ "bad-key-dash", 1, "bad service key \"-svc\"" },
	{ "bad-transport", 2, "unknown transport \"sctp\"" },
	{ "bad-ports-range", 3, "bad ports \"70000\" for tcp" },
	{ "bad-ports-order", 2, "bad ports \"200-100\" for udp" },
	{ "bad-ports-zero", 2, "bad ports \"0\"" },
	{ "bad-ports-text", 2, "bad ports \"80x\"" },
	{ "bad-ports-noport", 2, "gre has no ports" },
	{ "bad-role", 2, "bad role \"server\"" },
	{ "bad-sources", 2, "unknown source \"xx\"" },
	{ "bad-sources-local", 2, "unknown source \"local\"" },
	{ "bad-sources-empty", 2, "empty source" },
	{ "bad-uuid", 2, "bad uuid" },
	{ "bad-version", 2, "bad version \"4\"" },
	{ "bad-version-big", 2, "bad version \"65536.0\"" },
	{ "bad-clsid", 2, "bad clsid" },
	{ "bad-dup-service", 3, "duplicate service \"svc\"" },
	{ "bad-dup-app", 3, "duplicate app \"web\"" },
	{ "bad-dup-rpc", 4, "duplicate interface "
	    "12345778-1234-abcd-ef00-0123456789ab version 0.0" },
	{ "bad-dup-clsid", 3, "duplicate clsid" },
	{ "bad-pipe-name", 2, "bad pipe name \"SvcCtl\"" },
	{ "bad-dup-pipe", 3, "duplicate pipe \"svcctl\" (first defined at " },
	{ "bad-undef-pipe-service", 2, "undefined service \"nosuch\"" },
	{ "bad-undef-service", 3, "undefined service \"nosuch\"" },
	{ "bad-undef-rpc-service", 2, "undefined service \"nosuch\"" },
	{ "bad-undef-app", 2, "undefined app \"http\"" },
	{ "bad-listener", 5, "500-600/udp has two listeners" },
	{ "bad-empty-field", 2, "field 5 of the port record is empty" },
	{ "bad-utf8", 2, "invalid UTF-8" },
	{ "bad-overlong", 2, "invalid UTF-8" },
	{ "bad-control", 2, "control character" },
	{ "bad-many", 2, "bad ports \"0\"" },
	{ "bad-op-opnum", 3, "bad opnum \"65536\"" },
	{ "bad-op-opnum-zero", 3, "bad opnum \"007\"" },
	{ "bad-op-name", 3, "bad operation name \"R-Open\"" },
	{ "bad-op-flag", 3, "unknown flag \"sensitve\" (sensitive, reserved)" },
	{ "bad-op-flag-empty", 3, "empty flag in \"sensitive,\"" },
	{ "bad-dup-op", 4, "duplicate operation: opnum 3 of "
	    "12345678-1234-abcd-ef00-0123456789ab version 1.0 (first at " },
	{ "bad-dup-op-name", 4, "operation \"Open\" is already opnum 0" },
	{ "bad-role-window", 2, "bad window \"7x\"" },
	{ "bad-role-confidence", 2, "bad confidence \"sure\"" },
	{ "bad-role-severity", 2, "bad severity \"6\"" },
	{ "bad-role-dup", 3, "duplicate role \"r1\"" },
	{ "bad-role-no-need", 2, "role \"r1\" has no need record" },
	{ "bad-need-role", 3, "undefined role \"r2\"" },
	{ "bad-need-kind", 3, "bad need \"some\" (all or any)" },
	{ "bad-need-port", 3, "bad port in evidence \"svc/0\"" },
	{ "bad-need-rpc", 3, "undefined RPC interface \"nosuch\"" },
	{ "bad-need-pipe", 3, "undefined pipe \"nosuch\"" },
	{ "bad-need-empty", 3, "empty evidence in \"svc,,svc\"" },
	{ "bad-need-service", 3, "undefined service \"nosuch\"" },
	{ "bad-undef-op-iface", 3, "undefined interface "
	    "12345678-1234-abcd-ef00-0123456789ab version 2.0" },
	{ NULL, 0, NULL }
};

static void
test_bad_files(void)
{
	const struct bad_case *b;
	char err[512], name[64], want[1400];
	struct catalog *cat;

	for (b = bad_cases; b->file != NULL; b++) {
		snprintf(name, sizeof(name), "%s.catalog", b->file);
		snprintf(want, sizeof(want), "%s:%u: ", fixture(name), b->line);
		err[0] = '\0';
		cat = load(fixture(name), NULL, err, sizeof(err));
		ok(cat == NULL && strncmp(err, want, strlen(want)) == 0 &&
		    strstr(err, b->message) != NULL,
		    "%s fails at line %u with \"%s\"", name, b->line,
		    b->message);
		if (cat != NULL || strstr(err, b->message) == NULL)
			printf("#   err: %s\n", err);
		catalog_destroy(cat);
	}

	/* The duplicate and conflict messages also name the first line. */
	catalog_destroy(load(fixture("bad-dup-service.catalog"), NULL, err,
	    sizeof(err)));
	ok(strstr(err, "(first defined at ") != NULL &&
	    strstr(err, "bad-dup-service.catalog:1)") != NULL,
	    "duplicate service names its first definition");
	catalog_destroy(load(fixture("bad-dup-rpc.catalog"), NULL, err,
	    sizeof(err)));
	ok(strstr(err, "bad-dup-rpc.catalog:2)") != NULL,
	    "duplicate interface names the first row (%s)", err);
	catalog_destroy(load(fixture("bad-dup-op.catalog"), NULL, err,
	    sizeof(err)));
	ok(strstr(err, "bad-dup-op.catalog:3)") != NULL,
	    "duplicate operation names the first row (%s)", err);
	catalog_destroy(load(fixture("bad-listener.catalog"), NULL, err,
	    sizeof(err)));
	ok(strstr(err, "\"other\" here and \"svc\" at ") != NULL &&
	    strstr(err, "bad-listener.catalog:3") != NULL,
	    "listener conflict names both services and lines (%s)", err);
}

/*
 * Every bad line goes to stderr, not only the first: load bad-many with
 * stderr sent to a file and look for each line number.
 */
static void
test_every_error_reported(void)
{
	char err[512], text[4096], want[1300];
	const char *out = tmpfile_path("stderr.txt");
	static const unsigned lines[] = { 2, 4, 5 };
	struct catalog *cat;
	size_t i, n;
	int fd, saved;
	FILE *fp;

	fflush(stderr);
	saved = dup(2);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	cat = catalog_create();
	ok(catalog_load_file(cat, fixture("bad-many.catalog"), false, err,
	    sizeof(err)) == -1, "bad-many.catalog fails to load");
	catalog_destroy(cat);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	fp = fopen(out, "r");
	n = fp != NULL ? fread(text, 1, sizeof(text) - 1, fp) : 0;
	text[n] = '\0';
	if (fp != NULL)
		fclose(fp);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(want, sizeof(want), "%s:%u: ",
		    fixture("bad-many.catalog"), lines[i]);
		ok(strstr(text, want) != NULL,
		    "bad-many: line %u reported on stderr", lines[i]);
	}
	ok(strstr(text, "bad-many.catalog:3:") == NULL,
	    "bad-many: the good line 3 is not reported");
	ok(strstr(err, "bad-many.catalog:2: ") != NULL,
	    "bad-many: err holds the first error");
}

static void
test_files(void)
{
	static const char nul_text[] =
	    "service\tn\tN\0\t-\t-\nservice\tlast\tL\t-\t-";
	char err[512], *text;
	const char *path;
	struct catalog *cat;
	size_t len, off;
	int row;

	cat = load(fixture("good-empty.catalog"), NULL, err, sizeof(err));
	ok(cat != NULL && catalog_nservices(cat) == 0 &&
	    catalog_nports(cat) == 0, "an empty file loads, empty");
	ok(cat != NULL && catalog_listener(cat, TRANSPORT_TCP, 445) == -1 &&
	    catalog_iface_find(cat, (const uint8_t *)"0123456789abcdef", 0)
	    == -1 && catalog_dcom_find(cat,
	    (const uint8_t *)"0123456789abcdef") == -1,
	    "empty catalog: every lookup misses");
	catalog_destroy(cat);

	cat = load(fixture("good-crlf.catalog"), NULL, err, sizeof(err));
	ok(cat != NULL, "a CRLF file loads (%s)", err);
	row = cat != NULL ? catalog_listener(cat, TRANSPORT_TCP, 7000) : -1;
	ok(row >= 0 && strcmp(catalog_port(cat, row)->notes, "last field")
	    == 0, "CRLF: the last field has no '\\r'");
	ok(cat != NULL && strcmp(catalog_service(cat, 0)->notes,
	    "crlf note") == 0, "CRLF: service notes without '\\r'");
	catalog_destroy(cat);

	path = fixture("no-such-file.catalog");
	cat = catalog_create();
	ok(catalog_load_file(cat, path, false, err, sizeof(err)) == -1,
	    "a missing file fails");
	ok(strstr(err, "no-such-file.catalog: No such file or directory")
	    != NULL, "missing file: path and reason (%s)", err);
	catalog_destroy(cat);

	cat = catalog_create();
	ok(catalog_load_file(cat, tmpdir, false, err, sizeof(err)) == -1 &&
	    strstr(err, "not a regular file") != NULL,
	    "a directory is not a catalog (%s)", err);
	catalog_destroy(cat);

	/*
	 * A 5000-byte line between good ones: reported, skipped to its
	 * end, and the lines after it keep their numbers.
	 */
	len = 5000 + 200;
	text = malloc(len);
	off = (size_t)snprintf(text, len, "service\ta\tA\t-\t-\nservice\tb\t");
	memset(text + off, 'x', 5000 - 14);	/* line 2: 5000 bytes */
	off += 5000 - 14;
	off += (size_t)snprintf(text + off, len - off,
	    "\t-\t-\nservice\tc\tC\t-\t-\nbogus\n");
	path = tmpfile_path("long.catalog");
	write_file(path, text, off);
	cat = catalog_create();
	ok(catalog_load_file(cat, path, false, err, sizeof(err)) == -1 &&
	    strstr(err, "long.catalog:2: line longer than 4096 bytes") != NULL,
	    "a 5000-byte line is an error at line 2 (%s)", err);
	ok(catalog_service_find(cat, "c") == 1,
	    "the line after the long one is read as line 3");
	catalog_destroy(cat);

	/* Exactly 4096 bytes is allowed, with or without a '\r'. */
	off = (size_t)snprintf(text, len, "service\tfull\t");
	memset(text + off, 'y', 4096 - off - 4);
	off = 4096 - 4;
	memcpy(text + off, "\t-\t-\r\n", 6);
	path = tmpfile_path("full.catalog");
	write_file(path, text, off + 6);
	cat = load(path, NULL, err, sizeof(err));
	ok(cat != NULL && strlen(catalog_service(cat, 0)->name) == 4096 - 17,
	    "a 4096-byte line (plus CR) loads (%s)", err);
	catalog_destroy(cat);
	text[4096 - 4] = 'y';
	memcpy(text + 4096 - 3, "\t-\t-\n", 5);
	write_file(path, text, 4093 + 5);
	cat = catalog_create();
	ok(catalog_load_file(cat, path, false, err, sizeof(err)) == -1 &&
	    strstr(err, "full.catalog:1: line longer") != NULL,
	    "a 4097-byte line is rejected (%s)", err);
	catalog_destroy(cat);

	/* A NUL byte and a missing final newline. */
	write_file(path, nul_text, sizeof(nul_text) - 1);
	cat = catalog_create();
	ok(catalog_load_file(cat, path, false, err, sizeof(err)) == -1 &&
	    strstr(err, ":1: control character") != NULL,
	    "a NUL byte is rejected (%s)", err);
	ok(catalog_service_find(cat, "last") == 0,
	    "a last line without newline is read");
	catalog_destroy(cat);
	free(text);
}

/* Pipes of the shipped catalog: SMB's spellings of one name find one row. */
static void
test_pipes(void)
{
	const char *data = getenv("SVCMAP_DATA");
	struct catalog *cat;
	char err[512];

	cat = catalog_open(data != NULL ? data : "data", "", err, sizeof(err));
	ok(cat != NULL, "the shipped catalog opens (%s)", cat ? "" : err);
	if (cat == NULL)
		return;
	is_str(pipe_service(cat, "svcctl"), "scm", "pipe svcctl: scm");
	is_str(pipe_service(cat, "\\PIPE\\SvcCtl"), "scm",
	    "pipe \\PIPE\\SvcCtl (SMB1 spelling): scm");
	is_str(pipe_service(cat, "\\svcctl"), "scm", "pipe \\svcctl: scm");
	is_str(pipe_service(cat, "SAMR"), "lsass", "pipe SAMR: lsass");
	is_str(pipe_service(cat, "atsvc"), "schedule", "pipe atsvc: schedule");
	is_str(pipe_service(cat, "protected_storage"), "lsass",
	    "pipe protected_storage (BackupKey): lsass");
	is_str(pipe_service(cat, "winreg"), "remoteregistry",
	    "pipe winreg: remoteregistry");
	is_str(pipe_service(cat, "\\pipe\\"), "(none)", "empty pipe name");
	is_str(pipe_service(cat, "svcctl2"), "(none)", "unknown pipe");
	is_str(pipe_service(cat, "\\PIPE\\aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "(none)",
	    "an over-long name finds nothing");
	ok(catalog_npipes(cat) >= 20, "the shipped catalog names %zu pipes",
	    catalog_npipes(cat));
	ok(catalog_pipe(cat, -1) == NULL &&
	    catalog_pipe(cat, (int)catalog_npipes(cat)) == NULL,
	    "pipe rows out of range are NULL");
	catalog_destroy(cat);
}

/* catalog_open(): the data directory's two files plus an optional local. */
static void
test_open(void)
{
	char err[512], dir[1200], link[1300];
	struct catalog *cat;

	snprintf(dir, sizeof(dir), "%s/data", tmpdir);
	mkdir(dir, 0700);
	cat = catalog_open(dir, NULL, err, sizeof(err));
	ok(cat == NULL && strstr(err, "data/services.catalog: No such file")
	    != NULL, "catalog_open: missing services.catalog (%s)", err);

	snprintf(link, sizeof(link), "%s/services.catalog", dir);
	symlink(fixture("good-basic.catalog"), link);
	cat = catalog_open(dir, NULL, err, sizeof(err));
	ok(cat == NULL && strstr(err, "rpc-interfaces.catalog") != NULL,
	    "catalog_open: missing rpc-interfaces.catalog (%s)", err);

	snprintf(link, sizeof(link), "%s/rpc-interfaces.catalog", dir);
	symlink(fixture("good-crlf.catalog"), link);
	cat = catalog_open(dir, NULL, err, sizeof(err));
	ok(cat == NULL && strstr(err, "rpc-operations.catalog") != NULL,
	    "catalog_open: missing rpc-operations.catalog (%s)", err);

	snprintf(link, sizeof(link), "%s/rpc-operations.catalog", dir);
	symlink(fixture("good-empty.catalog"), link);
	cat = catalog_open(dir, NULL, err, sizeof(err));
	ok(cat == NULL && strstr(err, "roles.catalog") != NULL,
	    "catalog_open: missing roles.catalog (%s)", err);

	snprintf(link, sizeof(link), "%s/roles.catalog", dir);
	symlink(fixture("good-empty.catalog"), link);
	cat = catalog_open(dir, NULL, err, sizeof(err));
	ok(cat != NULL && catalog_nservices(cat) == 14,
	    "catalog_open: the four shipped files (%s)", err);
	catalog_destroy(cat);

	cat = catalog_open(dir, "", err, sizeof(err));
	ok(cat != NULL, "catalog_open: \"\" means no local file");
	catalog_destroy(cat);

	cat = catalog_open(dir, tmpfile_path("absent.catalog"), err,
	    sizeof(err));
	ok(cat != NULL, "catalog_open: a missing local file is fine");
	catalog_destroy(cat);

	cat = catalog_open(dir, fixture("good-local.catalog"), err,
	    sizeof(err));
	ok(cat != NULL && catalog_service(cat,
	    catalog_service_find(cat, "backup-agent"))->local,
	    "catalog_open: local file loaded and marked (%s)", err);
	catalog_destroy(cat);

	cat = catalog_open(dir, tmpdir, err, sizeof(err));
	ok(cat == NULL, "catalog_open: an unreadable local file fails");

	cat = catalog_open(dir, fixture("bad-local-listener.catalog"), err,
	    sizeof(err));
	ok(cat == NULL && strstr(err, "bad-local-listener.catalog:2:") != NULL,
	    "catalog_open: a bad local file fails with file:line (%s)", err);
}

/* The operation row for (uuid, major, opnum), or -1. */
static int
op_row(const struct catalog *cat, const char *uuid, uint16_t major,
    uint16_t opnum)
{
	uint8_t u[16];

	if (uuid_parse(u, uuid) == -1)
		return -1;
	return catalog_op_find(cat, catalog_iface_find(cat, u, major), opnum);
}

static const char *
op_name(const struct catalog *cat, const char *uuid, uint16_t major,
    uint16_t opnum)
{
	int row = op_row(cat, uuid, major, opnum);

	return row < 0 ? "(none)" : catalog_op(cat, row)->name;
}

/* good-ops.catalog: a dense table, a table with gaps, two versions. */
static void
test_ops_fixture(void)
{
	static const char dense[] = "00000143-0000-0000-c000-000000000046";
	static const char gappy[] = "12345678-1234-abcd-ef00-0123456789ab";
	static const uint16_t absent[] = { 1, 3, 6, 8, 299, 301, 65534 };
	const struct catalog_op *o;
	char err[512];
	struct catalog *cat;
	size_t i, n;
	int first, row;

	is_int(catalog_op_flag_parse("sensitive"), CATALOG_OP_SENSITIVE,
	    "op flag sensitive");
	is_int(catalog_op_flag_parse("reserved"), CATALOG_OP_RESERVED,
	    "op flag reserved");
	is_int(catalog_op_flag_parse("Sensitive"), 0, "op flags are lowercase");
	is_str(catalog_op_flag_name(CATALOG_OP_RESERVED), "reserved",
	    "op flag name reserved");
	ok(catalog_op_flag_name(0x80) == NULL, "no name for an unused op bit");

	cat = load(fixture("good-ops.catalog"), NULL, err, sizeof(err));
	ok(cat != NULL, "good-ops.catalog loads (%s)", err);
	if (cat == NULL)
		return;
	is_int(catalog_nops(cat), 9, "good-ops: 9 operations");
	is_str(op_name(cat, dense, 0, 3), "First", "dense table: opnum 3");
	is_str(op_name(cat, dense, 0, 4), "Second", "dense table: opnum 4");
	is_str(op_name(cat, dense, 0, 5), "Third", "dense table: opnum 5");
	is_str(op_name(cat, dense, 0, 2), "(none)", "below the first opnum");
	is_str(op_name(cat, dense, 0, 6), "(none)", "after the last opnum");
	row = op_row(cat, dense, 0, 4);
	o = catalog_op(cat, row);
	ok(o != NULL && o->flags == (CATALOG_OP_SENSITIVE |
	    CATALOG_OP_RESERVED) && strcmp(o->notes, "why it matters") == 0,
	    "flags and notes of opnum 4");
	ok(o != NULL && strcmp(catalog_iface(cat, o->iface)->name, "dense")
	    == 0, "an operation names its interface row");
	o = catalog_op(cat, op_row(cat, dense, 0, 3));
	ok(o != NULL && o->flags == 0 && strcmp(o->notes, "-") == 0,
	    "\"-\" flags are none");

	is_str(op_name(cat, gappy, 1, 0), "Zero", "gaps: opnum 0");
	is_str(op_name(cat, gappy, 1, 2), "Two", "gaps: opnum 2");
	is_str(op_name(cat, gappy, 1, 7), "Seven", "gaps: opnum 7");
	is_str(op_name(cat, gappy, 1, 300), "Far", "gaps: opnum 300");
	is_str(op_name(cat, gappy, 1, 65535), "Last", "gaps: opnum 65535");
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		is_str(op_name(cat, gappy, 1, absent[i]), "(none)",
		    "gaps: no opnum %u", absent[i]);
	is_str(op_name(cat, gappy, 2, 0), "ZeroV2",
	    "the version picks the interface row");
	is_str(op_name(cat, gappy, 2, 2), "(none)",
	    "version 2.0 does not inherit 1.0's rows");
	is_str(op_name(cat, "6bffd098-a112-3610-9833-012892020162", 0, 0),
	    "(none)", "an interface without operations");
	is_int(catalog_op_find(cat, -1, 0), -1, "interface row -1");
	is_int(catalog_op_find(cat, (int)catalog_nifaces(cat), 0), -1,
	    "interface row out of range");

	n = catalog_iface_ops(cat, catalog_op(cat, op_row(cat, gappy, 1,
	    0))->iface, &first);
	ok(n == 5 && first >= 0, "gappy has 5 rows from %d", first);
	for (i = 1; i < n; i++)
		ok(catalog_op(cat, first + (int)i - 1)->opnum <
		    catalog_op(cat, first + (int)i)->opnum,
		    "gappy row %zu is in opnum order", i);
	n = catalog_iface_ops(cat, -1, &first);
	ok(n == 0 && first == -1, "no rows for interface -1");
	ok(catalog_op(cat, -1) == NULL && catalog_op(cat,
	    (int)catalog_nops(cat)) == NULL, "op rows out of range are NULL");
	catalog_destroy(cat);
}

/*
 * The shipped default watch list, by (uuid, version, opnum).  Each opnum
 * was checked against the specification's method page and a second
 * source (data/CATALOG-NOTES.md, "RPC operations").
 */
static const struct {
	const char	*uuid;
	uint16_t	 major;
	uint16_t	 opnum;
	const char	*name;
} sensitive_ops[] = {
#define SCMR "367abb81-9844-35f1-ad32-98f038001003"
	{ SCMR, 2, 11, "RChangeServiceConfigW" },
	{ SCMR, 2, 12, "RCreateServiceW" },
	{ SCMR, 2, 23, "RChangeServiceConfigA" },
	{ SCMR, 2, 24, "RCreateServiceA" },
	{ SCMR, 2, 44, "RCreateServiceWOW64A" },
	{ SCMR, 2, 45, "RCreateServiceWOW64W" },
	{ SCMR, 2, 60, "RCreateWowService" },
	{ "1ff70682-0a51-30e8-076d-740be8cee98b", 1, 0, "NetrJobAdd" },
	{ "378e52b0-c0a9-11cf-822d-00aa0051e40f", 1, 0,
	    "SASetAccountInformation" },
	{ "86d35949-83c9-4044-b424-db363231fd0c", 1, 1, "SchRpcRegisterTask" },
#define DRSR "e3514235-4b06-11d1-ab04-00c04fc2dcd2"
	{ DRSR, 4, 3, "IDL_DRSGetNCChanges" },
	{ DRSR, 4, 5, "IDL_DRSReplicaAdd" },
	{ DRSR, 4, 17, "IDL_DRSAddEntry" },
#define NRPC "12345678-1234-abcd-ef00-01234567cffb"
	{ NRPC, 1, 6, "NetrServerPasswordSet" },
	{ NRPC, 1, 15, "NetrServerAuthenticate2" },
	{ NRPC, 1, 26, "NetrServerAuthenticate3" },
	{ NRPC, 1, 30, "NetrServerPasswordSet2" },
#define EFSR(u) \
	{ u, 1, 0, "EfsRpcOpenFileRaw" }, \
	{ u, 1, 4, "EfsRpcEncryptFileSrv" }, \
	{ u, 1, 5, "EfsRpcDecryptFileSrv" }, \
	{ u, 1, 6, "EfsRpcQueryUsersOnFile" }, \
	{ u, 1, 7, "EfsRpcQueryRecoveryAgents" }, \
	{ u, 1, 8, "EfsRpcRemoveUsersFromFile" }, \
	{ u, 1, 9, "EfsRpcAddUsersToFile" }, \
	{ u, 1, 12, "EfsRpcFileKeyInfo" }, \
	{ u, 1, 13, "EfsRpcDuplicateEncryptionInfoFile" }, \
	{ u, 1, 15, "EfsRpcAddUsersToFileEx" }, \
	{ u, 1, 16, "EfsRpcFileKeyInfoEx" }, \
	{ u, 1, 18, "EfsRpcGetEncryptedFileMetadata" }, \
	{ u, 1, 19, "EfsRpcSetEncryptedFileMetadata" }, \
	{ u, 1, 21, "EfsRpcEncryptFileExSrv" }, \
	{ u, 1, 22, "EfsRpcQueryProtectors" }
	EFSR("df1941c5-fe89-4e79-bf10-463657acf44d"),
	EFSR("c681d488-d850-11d0-8c52-00c04fd90f7e"),
#define RPRN "12345678-1234-abcd-ef00-0123456789ab"
	{ RPRN, 1, 9, "RpcAddPrinterDriver" },
	{ RPRN, 1, 62, "RpcRemoteFindFirstPrinterChangeNotification" },
	{ RPRN, 1, 65, "RpcRemoteFindFirstPrinterChangeNotificationEx" },
	{ RPRN, 1, 89, "RpcAddPrinterDriverEx" },
	{ "76f03f96-cdfd-44fc-a22c-64950a001209", 1, 39,
	    "RpcAsyncAddPrinterDriver" },
	{ "338cd001-2244-31f1-aaaa-900038001003", 1, 20, "BaseRegSaveKey" },
	{ "338cd001-2244-31f1-aaaa-900038001003", 1, 24,
	    "BaseInitiateSystemShutdown" },
	{ "338cd001-2244-31f1-aaaa-900038001003", 1, 30,
	    "BaseInitiateSystemShutdownEx" },
	{ "338cd001-2244-31f1-aaaa-900038001003", 1, 31, "BaseRegSaveKeyEx" },
	{ "82273fdc-e32a-18c3-3f78-827929dc23ea", 0, 0, "ElfrClearELFW" },
	{ "82273fdc-e32a-18c3-3f78-827929dc23ea", 0, 12, "ElfrClearELFA" },
	{ "f6beaff7-1e19-4fbb-9f8f-b89e2018337c", 1, 6, "EvtRpcClearLog" },
	{ "12345778-1234-abcd-ef00-0123456789ab", 0, 43,
	    "LsarRetrievePrivateData" },
	{ "12345778-1234-abcd-ef00-0123456789ab", 0, 141,
	    "LsarRetrievePrivateData2" },
	{ "4fc742e0-4a10-11cf-8273-00aa004ae673", 3, 12, "NetrDfsAddStdRoot" },
	{ "4fc742e0-4a10-11cf-8273-00aa004ae673", 3, 13,
	    "NetrDfsRemoveStdRoot" },
	{ "a8e0653c-2744-4389-a61d-7373df8b2292", 1, 8, "IsPathSupported" },
	{ "a8e0653c-2744-4389-a61d-7373df8b2292", 1, 9, "IsPathShadowCopied" },
	{ "9556dc99-828c-11cf-a37e-00aa003240c7", 0, 24, "ExecMethod" },
	{ "9556dc99-828c-11cf-a37e-00aa003240c7", 0, 25, "ExecMethodAsync" },
	{ "894de0c0-0d55-11d3-a322-00c04fa321a1", 1, 0,
	    "BaseInitiateShutdown" },
	{ "894de0c0-0d55-11d3-a322-00c04fa321a1", 1, 2,
	    "BaseInitiateShutdownEx" },
	{ "d95afe70-a6d5-4259-822e-2c84da1ddb0d", 1, 0,
	    "WsdrInitiateShutdown" },
#undef SCMR
#undef DRSR
#undef NRPC
#undef EFSR
#undef RPRN
};

/*
 * Operation rows per shipped interface, so that a deleted or added row
 * turns a test red: (first opnum, count); every shipped table is dense.
 */
static const struct {
	const char	*name;
	const char	*uuid;
	uint16_t	 major;
	uint16_t	 first;
	size_t		 count;
} shipped_op_tables[] = {
	{ "svcctl", "367abb81-9844-35f1-ad32-98f038001003", 2, 0, 65 },
	{ "atsvc", "1ff70682-0a51-30e8-076d-740be8cee98b", 1, 0, 4 },
	{ "sasec", "378e52b0-c0a9-11cf-822d-00aa0051e40f", 1, 0, 4 },
	{ "itaskschedulerservice", "86d35949-83c9-4044-b424-db363231fd0c", 1,
	    0, 20 },
	{ "samr", "12345778-1234-abcd-ef00-0123456789ac", 1, 0, 78 },
	{ "lsarpc", "12345778-1234-abcd-ef00-0123456789ab", 0, 0, 142 },
	{ "drsuapi", "e3514235-4b06-11d1-ab04-00c04fc2dcd2", 4, 0, 31 },
	{ "dsaop", "7c44d7d4-31d5-424c-bd5e-2b3e1f323d22", 1, 0, 2 },
	{ "netlogon", "12345678-1234-abcd-ef00-01234567cffb", 1, 0, 60 },
	{ "winreg", "338cd001-2244-31f1-aaaa-900038001003", 1, 0, 36 },
	{ "srvsvc", "4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 0, 58 },
	{ "wkssvc", "6bffd098-a112-3610-9833-46c3f87e345a", 1, 0, 38 },
	{ "spoolss", "12345678-1234-abcd-ef00-0123456789ab", 1, 0, 124 },
	{ "iremotewinspool", "76f03f96-cdfd-44fc-a22c-64950a001209", 1, 0,
	    75 },
	{ "efsrpc", "df1941c5-fe89-4e79-bf10-463657acf44d", 1, 0, 45 },
	{ "efsrpc-lsa", "c681d488-d850-11d0-8c52-00c04fd90f7e", 1, 0, 45 },
	{ "eventlog", "82273fdc-e32a-18c3-3f78-827929dc23ea", 0, 0, 27 },
	{ "even6", "f6beaff7-1e19-4fbb-9f8f-b89e2018337c", 1, 0, 29 },
	{ "backupkey", "3dde7c30-165d-11d1-ab8f-00805f14db40", 1, 0, 1 },
	{ "dssetup", "3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0, 0, 12 },
	{ "netdfs", "4fc742e0-4a10-11cf-8273-00aa004ae673", 3, 0, 26 },
	{ "fileservervssagent", "a8e0653c-2744-4389-a61d-7373df8b2292", 1, 0,
	    13 },
	{ "initshutdown", "894de0c0-0d55-11d3-a322-00c04fa321a1", 1, 0, 3 },
	{ "windowsshutdown", "d95afe70-a6d5-4259-822e-2c84da1ddb0d", 1, 0, 2 },
	{ "epmapper", "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0, 7 },
	{ "mgmt", "afa8bd80-7d8a-11c9-bef4-08002b102989", 1, 0, 5 },
	{ "iactivation", "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", 0, 0, 1 },
	{ "iremotescmactivator", "000001a0-0000-0000-c000-000000000046", 0, 0,
	    5 },
	{ "iobjectexporter", "99fcfec4-5260-101b-bbcb-00aa0021347a", 0, 0, 6 },
	{ "iremunknown", "00000131-0000-0000-c000-000000000046", 0, 3, 3 },
	{ "iremunknown2", "00000143-0000-0000-c000-000000000046", 0, 3, 4 },
	{ "iwbemlevel1login", "f309ad18-d86a-11d0-a075-00c04fb68820", 0, 3,
	    4 },
	{ "iwbemservices", "9556dc99-828c-11cf-a37e-00aa003240c7", 0, 3, 23 },
	{ "iwbemloginclientid", "d4781cd6-e5d3-44df-ad94-930efe48a887", 0, 3,
	    1 },
	{ "iwbemloginhelper", "541679ab-2e5f-11d3-b34e-00104bcc4b4a", 0, 3,
	    1 },
	{ "ienumwbemclassobject", "027947e1-d731-11ce-a357-000000000001", 0,
	    3, 5 },
	{ "iwbemcallresult", "44aca675-e8fc-11d0-a07c-00c04fb68820", 0, 3, 4 },
	{ "iwbemfetchsmartenum", "1c1c45ee-4395-11d2-b60b-00104b703efd", 0, 3,
	    1 },
	{ "iwbemwcosmartenum", "423ec01e-2e35-11d2-b604-00104b703efd", 0, 3,
	    1 },
	{ "iwbemobjectsink", "7c857801-7381-11cf-884d-00aa004b2e24", 0, 3, 2 },
	{ "iwbemremoterefresher", "f1e9c5b2-f59b-11d2-b362-00105a1f8177", 0,
	    3, 3 },
	{ "iwbemrefreshingservices", "2c9273e0-1dc3-11d3-b364-00105a1f8177",
	    0, 3, 6 },
	{ "iwbembackuprestore", "c49e32c7-bc8b-11d2-85d4-00105a1f8304", 0, 3,
	    2 },
	{ "iwbembackuprestoreex", "a359dec5-e813-4834-8a2a-ba7f1d777d76", 0,
	    3, 4 },
	{ "idispatch", "00020400-0000-0000-c000-000000000046", 0, 3, 4 },
};

static void
test_ops_shipped(void)
{
	const char *data = getenv("SVCMAP_DATA");
	const struct catalog_op *o;
	const struct catalog_iface *ifc;
	struct catalog *cat;
	char err[512], want[64], alt[64], alt2[64];
	uint8_t u[16];
	size_t i, k, n, total = 0, nsens = 0, nres = 0, badres = 0;
	int first, row;

	cat = catalog_open(data != NULL ? data : "data", "", err, sizeof(err));
	ok(cat != NULL, "the shipped catalog opens (%s)", cat ? "" : err);
	if (cat == NULL)
		return;
	for (i = 0; i < sizeof(sensitive_ops) / sizeof(sensitive_ops[0]);
	    i++) {
		row = op_row(cat, sensitive_ops[i].uuid, sensitive_ops[i].major,
		    sensitive_ops[i].opnum);
		o = catalog_op(cat, row);
		ok(o != NULL && strcmp(o->name, sensitive_ops[i].name) == 0 &&
		    (o->flags & CATALOG_OP_SENSITIVE) &&
		    strcmp(o->notes, "-") != 0,
		    "%s %u.0 opnum %u is %s, sensitive, with a reason",
		    catalog_iface(cat, o ? o->iface : -1) ?
		    catalog_iface(cat, o->iface)->name : sensitive_ops[i].uuid,
		    sensitive_ops[i].major, sensitive_ops[i].opnum,
		    sensitive_ops[i].name);
		if (o != NULL && strcmp(o->name, sensitive_ops[i].name) != 0)
			printf("#   catalog says %s\n", o->name);
	}
	for (i = 0; i < catalog_nops(cat); i++) {
		o = catalog_op(cat, (int)i);
		nsens += (o->flags & CATALOG_OP_SENSITIVE) != 0;
		if (o->flags & CATALOG_OP_RESERVED) {
			nres++;
			snprintf(want, sizeof(want), "Opnum%uNotUsedOnWire",
			    o->opnum);
			snprintf(alt, sizeof(alt), "OpnumUnused%u", o->opnum);
			snprintf(alt2, sizeof(alt2), "Opnum%uNotImplemented",
			    o->opnum);
			badres += (strcmp(o->name, want) != 0 &&
			    strcmp(o->name, alt) != 0 &&
			    strcmp(o->name, alt2) != 0) ||
			    (o->flags & CATALOG_OP_SENSITIVE) != 0;
		} else if (strstr(o->name, "NotUsedOnWire") != NULL ||
		    strstr(o->name, "NotImplemented") != NULL ||
		    strncmp(o->name, "OpnumUnused", 11) == 0)
			badres++;
	}
	is_int(nsens, sizeof(sensitive_ops) / sizeof(sensitive_ops[0]),
	    "every sensitive row is in the list above");
	ok(nres > 0 && badres == 0, "the %zu reserved rows are exactly the "
	    "OpnumNNotUsedOnWire ones (and MS-RRP's OpnumNNotImplemented, "
	    "MS-NRPC's OpnumUnused47), with their own opnum", nres);

	for (i = 0; i < sizeof(shipped_op_tables) /
	    sizeof(shipped_op_tables[0]); i++) {
		uuid_parse(u, shipped_op_tables[i].uuid);
		row = catalog_iface_find(cat, u, shipped_op_tables[i].major);
		ifc = catalog_iface(cat, row);
		n = catalog_iface_ops(cat, row, &first);
		total += n;
		for (k = 0; k < n; k++)
			if (catalog_op(cat, first + (int)k)->opnum !=
			    shipped_op_tables[i].first + k)
				break;
		ok(ifc != NULL && strcmp(ifc->name, shipped_op_tables[i].name)
		    == 0 && n == shipped_op_tables[i].count && k == n,
		    "%s: %zu operations, opnums %u..%zu without gaps",
		    shipped_op_tables[i].name, shipped_op_tables[i].count,
		    shipped_op_tables[i].first, shipped_op_tables[i].first +
		    shipped_op_tables[i].count - 1);
		if (n != shipped_op_tables[i].count)
			printf("#   has %zu\n", n);
	}
	is_int(catalog_nops(cat), total,
	    "no operation rows outside the tables above");
	is_str(op_name(cat, "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 3),
	    "ept_map", "epmapper opnum 3 is ept_map");
	is_str(op_name(cat, "99fcfec4-5260-101b-bbcb-00aa0021347a", 0, 5),
	    "ServerAlive2", "IObjectExporter opnum 5 is ServerAlive2");
	is_str(op_name(cat, "367abb81-9844-35f1-ad32-98f038001003", 2, 65),
	    "(none)", "svcctl has no opnum 65");
	uuid_parse(u, "367abb81-9844-35f1-ad32-98f038001003");
	row = catalog_iface_find(cat, u, 2);
	o = catalog_op(cat, catalog_op_find_name(cat, row, "RCreateServiceW"));
	ok(o != NULL && o->opnum == 12, "by name: svcctl RCreateServiceW is "
	    "opnum 12");
	is_int(catalog_op_find_name(cat, row, "rcreateservicew"), -1,
	    "by name: the spelling must be exact");
	is_int(catalog_op_find_name(cat, row, "IDL_DRSGetNCChanges"), -1,
	    "by name: only the interface's own operations");
	is_int(catalog_op_find_name(cat, -1, "RCreateServiceW"), -1,
	    "by name: interface row -1");
	catalog_destroy(cat);
}

/*
 * tshark's name and the specification's name for the same method, where
 * the normalisation below cannot tell: Wireshark keeps Samba's older
 * names.  Each pair was matched by the method's description in the
 * specification and in Wireshark's dissector, so a shifted opnum fails.
 */
static const struct {
	const char	*tshark;
	const char	*spec;
} tshark_aliases[] = {
	{ "DsWriteAccountSpn", "IDL_DRSWriteSPN" },
	{ "DsGetDomainControllerInfo", "IDL_DRSDomainControllerInfo" },
	{ "lsa_QueryInfoPolicy", "LsarQueryInformationPolicy" },
	{ "NetrLogonDummyRoutine1", "NetrLogonGetCapabilities" },
	{ "Close", "SamrCloseHandle" },
	{ "QuerySecurity", "SamrQuerySecurityObject" },
	{ "LookupDomain", "SamrLookupDomainInSamServer" },
	{ "EnumDomains", "SamrEnumerateDomainsInSamServer" },
	{ "QueryDomainInfo", "SamrQueryInformationDomain" },
	{ "EnumDomainUsers", "SamrEnumerateUsersInDomain" },
	{ "LookupNames", "SamrLookupNamesInDomain" },
	{ "LookupRids", "SamrLookupIdsInDomain" },
	{ "QueryUserInfo", "SamrQueryInformationUser" },
	{ "NetShareEnumAll", "NetrShareEnum" },
};

/*
 * The normalised form of a method name: lowercase, without '_', without
 * the first of these prefixes it starts with.  Wireshark drops the
 * specification's R/Samr/Lsar/IDL_DRS/ept_ prefixes or writes its own
 * (lsa_, Ds, DRSUAPI_); what remains must be equal.
 */
static void
op_norm(const char *name, char *out, size_t len)
{
	static const char *const prefixes[] = {
		"drsuapi", "idldrs", "lsar", "lsa", "samr", "netr", "net",
		"ept", "ds", "r", NULL
	};
	char buf[128];
	size_t i, n = 0;

	for (i = 0; name[i] != '\0' && n + 1 < sizeof(buf); i++)
		if (name[i] != '_')
			buf[n++] = (char)tolower((unsigned char)name[i]);
	buf[n] = '\0';
	for (i = 0; prefixes[i] != NULL; i++)
		if (strncmp(buf, prefixes[i], strlen(prefixes[i])) == 0)
			break;
	snprintf(out, len, "%s", buf + (prefixes[i] != NULL ?
	    strlen(prefixes[i]) : 0));
}

/*
 * The numbering on real traffic: every (interface, opnum) tshark names in
 * a request of the shared captures (tests/data/tshark-opnames.tsv) has
 * the same method in the catalog.
 */
static void
test_ops_tshark(void)
{
	const char *data = getenv("SVCMAP_DATA");
	const char *top = getenv("top_srcdir");
	char path[1200], line[512], a[128], b[128], err[512];
	char *f[7], *p;
	struct catalog *cat;
	const char *mine;
	size_t i, n, rows = 0;
	unsigned major, opnum;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/data/tshark-opnames.tsv",
	    top != NULL ? top : SVCMAP_SRCDATADIR "/..");
	cat = catalog_open(data != NULL ? data : "data", "", err, sizeof(err));
	if ((fp = fopen(path, "r")) == NULL || cat == NULL) {
		ok(0, "open %s and the shipped catalog", path);
		if (fp != NULL)
			fclose(fp);
		catalog_destroy(cat);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (n = 0, p = line; n < 7 && p != NULL; n++) {
			f[n] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (n != 7 || sscanf(f[2], "%u.", &major) != 1 ||
		    sscanf(f[3], "%u", &opnum) != 1) {
			ok(0, "tshark-opnames.tsv: bad row \"%s\"", line);
			continue;
		}
		rows++;
		mine = op_name(cat, f[1], (uint16_t)major, (uint16_t)opnum);
		op_norm(mine, a, sizeof(a));
		op_norm(f[4], b, sizeof(b));
		for (i = 0; i < sizeof(tshark_aliases) /
		    sizeof(tshark_aliases[0]); i++)
			if (strcmp(tshark_aliases[i].tshark, f[4]) == 0)
				break;
		ok(strcmp(a, b) == 0 || (i < sizeof(tshark_aliases) /
		    sizeof(tshark_aliases[0]) &&
		    strcmp(tshark_aliases[i].spec, mine) == 0),
		    "%s opnum %u: tshark %s, catalog %s (%s requests)", f[0],
		    opnum, f[4], mine, f[5]);
	}
	fclose(fp);
	ok(rows >= 60, "tshark-opnames.tsv has %zu rows", rows);
	catalog_destroy(cat);
}

/* Remove what the tests wrote, and only that. */
static void
cleanup(void)
{
	static const char *const files[] = {
		"stderr.txt", "long.catalog", "full.catalog",
		"data/services.catalog", "data/rpc-interfaces.catalog",
		"data/rpc-operations.catalog", "data/roles.catalog", NULL
	};
	size_t i;

	for (i = 0; files[i] != NULL; i++)
		unlink(tmpfile_path(files[i]));
	rmdir(tmpfile_path("data"));
	if (rmdir(tmpdir) == -1)
		perror(tmpdir);
}

/*
 * Roles over good-roles.catalog: needs, windows, evidence kinds, and the
 * daemon's table giving the same answer as the readers' rows.
 */
static void
count_held(void *arg, const struct addr *host, const struct role_match *m)
{
	int *held = arg;

	(void)host;
	if (m->role >= 0 && m->role < 3)
		held[m->role]++;
}

static void
test_roles(void)
{
	struct role_served rows[] = {
		{ "kdc", 88, "", "", 1000, 2000 },
		{ "lsass", 389, "", "", 1500, 1600 },
		{ "lsass", 49667, "drsuapi", "", 1700, 1800 },
		{ "server", 445, "", "\\PIPE\\SPOOLSS", 1100, 1200 },
	};
	struct role_match m[4];
	struct role_track *t;
	char err[512];
	struct catalog *cat;
	const struct catalog_host_role *r;
	struct addr host;
	size_t n;
	int held[3] = { 0, 0, 0 };

	cat = load(fixture("good-roles.catalog"), NULL, err, sizeof(err));
	ok(cat != NULL && catalog_nroles(cat) == 3 &&
	    catalog_nneeds(cat) == 4, "good-roles.catalog: 3 roles, 4 needs "
	    "(%s)", err);
	if (cat == NULL)
		return;
	r = catalog_role(cat, catalog_role_find(cat, "dc"));
	ok(r->window_s == 86400 && r->severity == 5 &&
	    strcmp(r->confidence, "high") == 0, "role dc: 1d, severity 5");
	n = roles_of_served(cat, rows, 4, m, 4);
	ok(n == 3 && m[0].role == catalog_role_find(cat, "dc") &&
	    m[0].since == 1500 && m[0].last_seen == 2000 && m[0].nev == 2,
	    "kdc + lsass/389: dc since the LDAP answer (%zu roles)", n);
	ok(n == 3 && strcmp(m[1].ev[0].text, "rpc:drsuapi") == 0 &&
	    strcmp(m[2].ev[0].text, "pipe:spoolss") == 0,
	    "rpc: and pipe: items (the pipe as SMB sends it, case folded)");
	/* LDAP on another port, or KDC alone: not a DC. */
	rows[1].port = 636;
	n = roles_of_served(cat, rows, 2, m, 4);
	ok(n == 0, "kdc + lsass/636 (not in the need): no role");
	rows[1].port = 389;
	/* The window: LDAP a day and more before the KDC's last answer. */
	rows[0].last_seen = 1600 + 86400 + 1;
	n = roles_of_served(cat, rows, 2, m, 4);
	ok(n == 0, "dc: evidence outside the 1d window does not count");
	rows[0].last_seen = 2000;

	/* The daemon's table: the same rows give the same roles. */
	t = role_track_create(16);
	ok(t != NULL, "role_track_create");
	if (t == NULL) {
		catalog_destroy(cat);
		return;
	}
	memset(&host, 0, sizeof(host));
	host.b[15] = 1;
	for (n = 0; n < 4; n++)
		role_track_served(t, cat, &host, &rows[n]);
	role_track_eval(t, cat, count_held, held);
	ok(held[0] == 1 && held[1] == 1 && held[2] == 1,
	    "role_track_eval: dc, repl and print held once each");
	memset(held, 0, sizeof(held));
	role_track_eval(t, cat, count_held, held);
	ok(held[0] + held[1] + held[2] == 0,
	    "role_track_eval: nothing new, nothing evaluated");
	role_track_destroy(t);
	catalog_destroy(cat);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");

	snprintf(fixdir, sizeof(fixdir), "%s/tests/catalog",
	    top != NULL ? top : SVCMAP_SRCDATADIR "/..");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_names();
	test_lookups();
	test_local();
	test_bad_files();
	test_every_error_reported();
	test_files();
	test_open();
	test_pipes();
	test_ops_fixture();
	test_ops_shipped();
	test_ops_tshark();
	test_roles();
	cleanup();
	return tap_done();
}
