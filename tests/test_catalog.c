/*
 * test_catalog.c - catalog loading, validation messages and lookups.
 *
 * Fixtures are in tests/catalog/: good-*.catalog must load, each
 * bad-*.catalog must fail with its message on its line.  Files with
 * lines too long to keep in the tree are written to a temporary directory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
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
	    strstr(err, "Is a directory") != NULL,
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
	ok(cat != NULL && catalog_nservices(cat) == 14,
	    "catalog_open: both shipped files (%s)", err);
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

/* Remove what the tests wrote, and only that. */
static void
cleanup(void)
{
	static const char *const files[] = {
		"stderr.txt", "long.catalog", "full.catalog",
		"data/services.catalog", "data/rpc-interfaces.catalog", NULL
	};
	size_t i;

	for (i = 0; files[i] != NULL; i++)
		unlink(tmpfile_path(files[i]));
	rmdir(tmpfile_path("data"));
	if (rmdir(tmpdir) == -1)
		perror(tmpdir);
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
	cleanup();
	return tap_done();
}
