/*
 * test_api.c - the HTTP API: request parsing, and a live server on
 * 127.0.0.1:0 answering over real sockets from a real database.
 *
 * The database comes from the real pipeline run in-process (capture file
 * -> engine -> alerts -> store) over the generated sample conversation
 * (tests/gen-sample), and, when $SVCMAP_PCAPS has them, over two shared
 * Zeek captures as well.  Every database route must answer byte for byte
 * what svcmapctl --json prints for the same filter (the binary is run)
 * and what the query functions write in-process.  Also covered: filters,
 * every kind of bad parameter (400 naming it), 404, 405, 414, HEAD, 503
 * before the database exists and after it is removed, recovery, a file
 * replaced under the open connection, values that look like SQL
 * injection, /v1/status against the stub, /metrics against the
 * Prometheus text grammar, and clients that disconnect.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "svcmap/alert.h"
#include "svcmap/api.h"
#include "svcmap/capture.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/config.h"
#include "svcmap/endpoint.h"
#include "svcmap/engine.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/record.h"
#include "svcmap/store.h"
#include "tap.h"

#define NOW	1705312800	/* 2024-01-15T10:00:00Z, for relative times */

/* ------------------------------------------------------------------ */
/* api_parse_request() over a table */

struct good {
	const char	*method;
	const char	*uri;
	enum api_route	 route;
	bool		 head;
	const char	*host;
	const char	*service;
	int64_t		 since;
	bool		 all;
	int		 kind;
	int		 port;		/* catalog port; 0 none */
	int		 ntransports;
	bool		 uuid;
	bool		 interfaces;
};

static const struct good goods[] = {
	{ "GET", "/v1/services", API_SERVICES, false, "", "", 0, false, -1,
	    0, 0, false, false },
	{ "HEAD", "/v1/services", API_SERVICES, true, "", "", 0, false, -1,
	    0, 0, false, false },
	{ "GET", "/v1/services?host=10.20.0.10&service=kdc&since=2024-01-15"
	    "&all=1", API_SERVICES, false, "10.20.0.10", "kdc", 1705276800,
	    true, -1, 0, 0, false, false },
	{ "GET", "/v1/services?host=fe80%3A%3A1&all=true", API_SERVICES,
	    false, "fe80::1", "", 0, true, -1, 0, 0, false, false },
	{ "GET", "/v1/services?host=::1", API_SERVICES, false, "::1", "", 0,
	    false, -1, 0, 0, false, false },
	{ "GET", "/v1/services?all=0", API_SERVICES, false, "", "", 0, false,
	    -1, 0, 0, false, false },
	{ "GET", "/v1/services?all=false&service=undocumented", API_SERVICES,
	    false, "", "undocumented", 0, false, -1, 0, 0, false, false },
	{ "GET", "/v1/services?since=-1h", API_SERVICES, false, "", "",
	    NOW - 3600, false, -1, 0, 0, false, false },
	{ "GET", "/v1/services?since=2024-01-15T09%3A00%3A05Z", API_SERVICES,
	    false, "", "", 1705309205, false, -1, 0, 0, false, false },
	{ "GET", "/v1/services?since=2024-01-15+09:00", API_SERVICES, false,
	    "", "", 1705309200, false, -1, 0, 0, false, false },
	{ "GET", "/v1/services?since=1705309200", API_SERVICES, false, "", "",
	    1705309200, false, -1, 0, 0, false, false },
	{ "GET", "/v1/services?&&host=10.0.0.1&", API_SERVICES, false,
	    "10.0.0.1", "", 0, false, -1, 0, 0, false, false },
	{ "GET", "/v1/services?", API_SERVICES, false, "", "", 0, false, -1,
	    0, 0, false, false },
	{ "GET", "/v1/%73ervices", API_SERVICES, false, "", "", 0, false, -1,
	    0, 0, false, false },
	{ "GET", "http://127.0.0.1:8135/v1/hosts", API_HOSTS, false, "", "",
	    0, false, -1, 0, 0, false, false },
	{ "GET", "/v1/hosts", API_HOSTS, false, "", "", 0, false, -1, 0, 0,
	    false, false },
	{ "GET", "/v1/endpoints", API_ENDPOINTS, false, "", "", 0, false, -1,
	    0, 0, false, false },
	{ "GET", "/v1/alerts?kind=new_service&since=-7d", API_ALERTS, false,
	    "", "", NOW - 7 * 86400, false, ALERT_NEW_SERVICE, 0, 0, false,
	    false },
	{ "GET", "/v1/alerts?kind=undocumented_service", API_ALERTS, false,
	    "", "", 0, false, ALERT_UNDOCUMENTED_SERVICE, 0, 0, false, false },
	{ "GET", "/v1/operations?host=10.0.0.5&service=scm", API_OPERATIONS,
	    false, "10.0.0.5", "scm", 0, false, -1, 0, 0, false, false },
	{ "GET", "/v1/attempts?host=10.0.0.0/8&since=-7d", API_ATTEMPTS,
	    false, "10.0.0.0/8", "", NOW - 7 * 86400, false, -1, 0, 0, false,
	    false },
	{ "GET", "/v1/catalog", API_CATALOG, false, "", "", 0, false, -1, 0,
	    0, false, false },
	{ "GET", "/v1/catalog?port=445", API_CATALOG, false, "", "", 0, false,
	    -1, 445, 2, false, false },
	{ "GET", "/v1/catalog?port=88%2Fudp&service=kdc", API_CATALOG, false,
	    "", "kdc", 0, false, -1, 88, 1, false, false },
	{ "GET", "/v1/catalog?uuid=12345678-1234-ABCD-EF00-01234567CFFB",
	    API_CATALOG, false, "", "", 0, false, -1, 0, 0, true, false },
	{ "GET", "/v1/catalog?interfaces=1&service=netlogon", API_CATALOG,
	    false, "", "netlogon", 0, false, -1, 0, 0, false, true },
	{ "GET", "/v1/catalog?port=135&interfaces=0", API_CATALOG, false, "",
	    "", 0, false, -1, 135, 2, false, false },
	{ "GET", "/v1/status", API_STATUS, false, "", "", 0, false, -1, 0, 0,
	    false, false },
	{ "HEAD", "/metrics", API_METRICS, true, "", "", 0, false, -1, 0, 0,
	    false, false },
};

struct bad {
	const char	*method;
	const char	*uri;
	int		 status;
	const char	*says;		/* the error names this */
};

static const struct bad bads[] = {
	{ "GET", "/v1", 404, "no route" },
	{ "GET", "/v1/services/", 404, "\"/v1/services/\"" },
	{ "GET", "/V1/services", 404, "no route" },
	{ "GET", "/metrics/", 404, "no route" },
	{ "GET", "/v1/../metrics", 404, "no route" },
	{ "GET", "/v1%2Fservices", 400, "%2F" },
	{ "GET", "/v1/services%00", 400, "%00" },
	{ "GET", "/v1/servic%e", 400, "bad percent escape" },
	{ "GET", "/v1/services%", 400, "bad percent escape" },
	{ "GET", "/v1/services%zz", 400, "bad percent escape" },
	{ "GET", "*", 400, "not a path" },
	{ "GET", "v1/services", 400, "not a path" },
	{ "GET", "", 400, "not a path" },
	{ "GET", "/v1/services#frag", 400, "0x23" },
	{ "GET", "/v1/services?host=a b", 400, "0x20" },
	{ "GET", "/v1/services?host=\x80", 400, "0x80" },
	{ "GET", "/v1/services?host=\"x\"", 400, "0x22" },
	{ "POST", "/v1/services", 405, "POST" },
	{ "PUT", "/v1/hosts", 405, "PUT" },
	{ "DELETE", "/metrics", 405, "DELETE" },
	{ "OPTIONS", "/v1/status", 405, "GET or HEAD" },
	{ "get", "/v1/status", 405, "get" },
	{ "POST", "/nope", 404, "no route" },
	{ "GET", "/v1/services?foo=1", 400, "unknown parameter \"foo\"" },
	{ "GET", "/v1/services?kind=new_service", 400, "\"kind\"" },
	{ "GET", "/v1/hosts?all=1", 400,
	    "(accepted: host, format, limit, cursor, name, role)" },
	{ "GET", "/v1/operations?since=-1h", 400,
	    "(accepted: host, service, format)" },
	{ "GET", "/v1/operations?host=nope", 400, "not an IPv4 or IPv6" },
	{ "GET", "/v1/status?all=1", 400, "it takes none" },
	{ "GET", "/v1/status?format=csv", 400, "unknown parameter \"format\"" },
	{ "GET", "/metrics?format=json", 400, "unknown parameter" },
	{ "GET", "/v1/hosts?format=xml", 400, "is not json or csv" },
	{ "GET", "/v1/hosts?format=CSV", 400, "is not json or csv" },
	{ "GET", "/v1/alerts?format=csv&format=csv", 400, "more than once" },
	{ "GET", "/v1/services?format=", 400, "\"format\" is empty" },
	{ "GET", "/metrics?x", 400, "unknown parameter \"x\"" },
	{ "GET", "/v1/services?Host=10.0.0.1", 400, "\"Host\"" },
	{ "GET", "/v1/services?host=10.0.0.1&host=10.0.0.2", 400,
	    "\"host\" given more than once" },
	{ "GET", "/v1/services?all=1&all=1", 400, "more than once" },
	{ "GET", "/v1/services?host", 400, "\"host\" needs a value" },
	{ "GET", "/v1/services?host=", 400, "\"host\" is empty" },
	{ "GET", "/v1/services?host=10.0.0.256", 400, "\"host\"" },
	{ "GET", "/v1/services?host=localhost", 400, "not an IPv4 or IPv6" },
	{ "GET", "/v1/services?host=10.0.0.0/33", 400, "\"host\"" },
	{ "GET", "/v1/top?host=10.0.0.0/8&host=::1", 400, "more than once" },
	{ "GET", "/v1/top?by=bits", 400, "\"by\"" },
	{ "GET", "/v1/series?resolution=week", 400, "\"resolution\"" },
	{ "GET", "/v1/top?port=0", 400, "\"port\"" },
	{ "GET", "/v1/services?host=1'%20OR%20'1'%3D'1", 400,
	    "\"1' OR '1'='1\" is not an IPv4" },
	{ "GET", "/v1/services?host=10.0.0.1%00", 400, "%00" },
	{ "GET", "/v1/services?host=%0", 400, "bad percent escape" },
	{ "GET", "/v1/services?service=KDC", 400, "\"service\"" },
	{ "GET", "/v1/services?service=-kdc", 400, "service key" },
	{ "GET", "/v1/services?service=kdc'--", 400, "service key" },
	{ "GET", "/v1/services?service=x'+OR+1=1", 400, "\"service\"" },
	{ "GET", "/v1/services?service=a23456789012345678901234567890123456789"
	    "012345678", 400, "service key" },
	{ "GET", "/v1/services?since=yesterday", 400, "\"since\"" },
	{ "GET", "/v1/services?since=-5y", 400, "\"since\"" },
	{ "GET", "/v1/services?since=2024-13-45", 400, "not a time" },
	{ "GET", "/v1/services?since=%3B+DROP+TABLE+hosts", 400, "\"since\"" },
	{ "GET", "/v1/services?all=yes", 400, "\"all\"" },
	{ "GET", "/v1/services?all=TRUE", 400, "not 1, 0, true or false" },
	{ "GET", "/v1/alerts?kind=bogus", 400, "not an alert kind" },
	{ "GET", "/v1/alerts?kind=new_service&kind=new_service", 400,
	    "more than once" },
	{ "GET", "/v1/catalog?port=0", 400, "\"port\"" },
	{ "GET", "/v1/catalog?port=65536", 400, "\"port\"" },
	{ "GET", "/v1/catalog?port=445/sctp", 400, "N/udp" },
	{ "GET", "/v1/catalog?port=+445", 400, "\"port\"" },
	{ "GET", "/v1/catalog?port=445x", 400, "\"port\"" },
	{ "GET", "/v1/catalog?uuid=12345678-1234-abcd-ef00-01234567cff", 400,
	    "\"uuid\"" },
	{ "GET", "/v1/catalog?uuid=12345678-1234-abcd-ef00-01234567cffbb",
	    400, "not a UUID" },
	{ "GET", "/v1/catalog?interfaces=2", 400, "\"interfaces\"" },
	{ "GET", "/v1/catalog?port=445&uuid=12345678-1234-abcd-ef00-"
	    "01234567cffb", 400, "does not combine" },
	{ "GET", "/v1/catalog?interfaces=1&port=445", 400,
	    "does not combine" },
	{ "GET", "/v1/catalog?host=10.0.0.1", 400, "accepted: service, port, "
	    "uuid, interfaces" },
};

static void
test_parse(void)
{
	struct api_request r;
	char err[512], big[API_MAX_URI + 64], tiny[8];
	size_t i;
	int st;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		st = api_parse_request(g->method, g->uri, NOW, &r, err,
		    sizeof(err));
		is_int(st, 200, "%s %s: 200", g->method, g->uri);
		if (st != 200) {
			printf("#   error: %s\n", err);
			continue;
		}
		ok(r.route == g->route && r.head == g->head &&
		    strcmp(r.host, g->host) == 0 &&
		    strcmp(r.service, g->service) == 0 &&
		    r.since == g->since && r.all == g->all &&
		    r.kind == g->kind &&
		    r.catalog.port_given == (g->port != 0) &&
		    r.catalog.port == g->port &&
		    (g->ntransports < 1 || r.catalog.transports[0] != 0) &&
		    (g->ntransports == 2) == (r.catalog.transports[1] != 0) &&
		    r.catalog.uuid_given == g->uuid &&
		    r.catalog.interfaces == g->interfaces &&
		    r.catalog.service == -1 && !r.csv,
		    "%s %s: every field as expected", g->method, g->uri);
	}
	ok(api_parse_request("GET", "/v1/services?format=csv&all=1", NOW, &r,
	    err, sizeof(err)) == 200 && r.csv && r.all,
	    "format=csv is parsed beside the filters");
	ok(api_parse_request("GET", "/v1/catalog?format=json&port=445", NOW,
	    &r, err, sizeof(err)) == 200 && !r.csv && r.catalog.port == 445,
	    "format=json is the default's JSON");
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		st = api_parse_request(b->method, b->uri, NOW, &r, err,
		    sizeof(err));
		is_int(st, b->status, "%s %s: %d", b->method, b->uri,
		    b->status);
		ok(strstr(err, b->says) != NULL, "%s %s: the error says %s",
		    b->method, b->uri, b->says);
		if (strstr(err, b->says) == NULL)
			printf("#   error: %s\n", err);
	}

	/* Bounded lengths. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "/v1/services?host=", 18);
	big[API_MAX_URI + 1] = '\0';
	is_int(api_parse_request("GET", big, NOW, &r, err, sizeof(err)), 414,
	    "a target of API_MAX_URI + 1 bytes is 414");
	big[API_MAX_URI] = '\0';
	is_int(api_parse_request("GET", big, NOW, &r, err, sizeof(err)), 400,
	    "a target of API_MAX_URI bytes is parsed (and its value refused)");
	ok(strstr(err, "longer than 128") != NULL,
	    "an over-long value is named as such: %s", err);
	memset(big, 'a', sizeof(big));
	memcpy(big, "/v1/services?", 13);
	big[200] = '\0';
	is_int(api_parse_request("GET", big, NOW, &r, err, sizeof(err)), 400,
	    "an over-long parameter name is 400");
	ok(strstr(err, "unknown parameter \"aaaa") != NULL &&
	    strstr(err, "...") != NULL && strlen(err) < 300,
	    "... and the error quotes it cut short");

	/* The error buffer is never overrun, and always terminated. */
	memset(tiny, 'X', sizeof(tiny));
	st = api_parse_request("GET", "/v1/services?foo=1", NOW, &r, tiny, 4);
	ok(st == 400 && tiny[3] == '\0' && tiny[4] == 'X',
	    "a 4-byte error buffer gets 3 bytes and a NUL, nothing more");
	is_int(api_parse_request("GET", "/nope", NOW, &r, NULL, 0), 404,
	    "errlen 0: nothing written, status still returned");
	st = api_parse_request("GET", "/v1/hosts", NOW, &r, err, sizeof(err));
	ok(st == 200 && err[0] == '\0', "success leaves an empty message");
}

/* ------------------------------------------------------------------ */
/* Listen addresses */

/* limit= and cursor=: parsed, checked against the route, round-trips. */
static void
test_paging_parse(void)
{
	static const struct query_key keys[] = {
		{ .ip = "10.0.0.1", .transport = "tcp", .port = 445,
		  .service = "smb", .method = "pipe", .pipe = "\\svcctl",
		  .vlan = 7,
		  .sensor = "span-1" },
		{ .ip = "fe80::1", .transport = "udp", .port = 135,
		  .service = "", .method = "none", .vlan = 0,
		  .sensor = "a sensor, with & and =" },
	};
	struct api_request r;
	struct query_key k;
	char err[512], c[QUERY_CURSOR_LEN], target[600];
	size_t i;

	ok(api_parse_request("GET", "/v1/hosts?limit=25", NOW, &r, err,
	    sizeof(err)) == 200 && r.limit == 25 && !r.has_cursor,
	    "limit=25 on /v1/hosts");
	is_int(api_parse_request("GET", "/v1/hosts?limit=0", NOW, &r, err,
	    sizeof(err)), 400, "limit=0: 400");
	is_int(api_parse_request("GET", "/v1/hosts?limit=-1", NOW, &r, err,
	    sizeof(err)), 400, "limit=-1: 400");
	is_int(api_parse_request("GET", "/v1/hosts?limit=100000001", NOW, &r,
	    err, sizeof(err)), 400, "limit over 100000000: 400");
	is_int(api_parse_request("GET", "/v1/status?limit=5", NOW, &r, err,
	    sizeof(err)), 400, "limit on /v1/status: 400 (not paged)");
	is_int(api_parse_request("GET", "/v1/catalog?cursor=aA", NOW, &r, err,
	    sizeof(err)), 400, "cursor on /v1/catalog: 400 (not paged)");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ok(query_cursor_format(QUERY_SERVICES, &keys[i], c,
		    sizeof(c)) == 0 && strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(c),
		    "a services cursor is base64url text (%s)", c);
		ok(query_cursor_parse(QUERY_SERVICES, c, &k) == 0 &&
		    memcmp(&k, &keys[i], sizeof(k)) == 0,
		    "... and parses back to the same key");
		ok(query_cursor_parse(QUERY_HOSTS, c, &k) == -1,
		    "... and is not a hosts cursor");
		snprintf(target, sizeof(target), "/v1/services?all=1&cursor=%s",
		    c);
		ok(api_parse_request("GET", target, NOW, &r, err,
		    sizeof(err)) == 200 && r.has_cursor &&
		    strcmp(r.after.sensor, keys[i].sensor) == 0,
		    "... and /v1/services takes it");
		snprintf(target, sizeof(target), "/v1/hosts?cursor=%s", c);
		is_int(api_parse_request("GET", target, NOW, &r, err,
		    sizeof(err)), 400, "... and /v1/hosts refuses it");
	}
	memset(&k, 0, sizeof(k));
	k.id = 42;
	ok(query_cursor_format(QUERY_ALERTS, &k, c, sizeof(c)) == 0 &&
	    query_cursor_parse(QUERY_ALERTS, c, &k) == 0 && k.id == 42,
	    "an alerts cursor round-trips");
	ok(query_cursor_parse(QUERY_ALERTS, "", &k) == -1 &&
	    query_cursor_parse(QUERY_ALERTS, "!!!!", &k) == -1 &&
	    query_cursor_parse(QUERY_ALERTS, "YQ", &k) == -1,
	    "empty, non-base64 and truncated cursors are refused");
}

static void
test_listen(void)
{
	static const char *const junk[] = {
		"", "off", "127.0.0.1", "127.0.0.1:", ":8135", "localhost:8135",
		"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
		" 127.0.0.1:80", "127.0.0.1:80 ", "::1:8135", "[::1]8135",
		"[::1]:", "[127.0.0.1]:80", "[fe80::1%eth0]:80", "1.2.3:80",
		"127.0.0.1:99999999999999999999", "[]:80",
	};
	struct event_base *b = event_base_new();
	struct api *a;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		err[0] = '\0';
		a = api_start(b, junk[i], "/nonexistent.db", NULL, NULL, NULL,
		    err, sizeof(err));
		ok(a == NULL && strstr(err, "is not IPv4:PORT") != NULL,
		    "listen \"%s\" refused: %s", junk[i], err);
		api_stop(a);
	}
	a = api_start(b, "[::1]:0", "/nonexistent.db", NULL, NULL, NULL, err,
	    sizeof(err));
	ok(a == NULL || api_port(a) != 0,
	    "[::1]:0 binds a port where the host has IPv6 loopback");
	api_stop(a);
	a = api_start(b, "127.0.0.1:0", "/nonexistent.db", NULL, NULL, NULL,
	    err, sizeof(err));
	ok(a != NULL && api_port(a) != 0, "127.0.0.1:0 binds a free port");
	if (a != NULL) {
		char again[64];
		struct api *b2;

		snprintf(again, sizeof(again), "127.0.0.1:%u", api_port(a));
		b2 = api_start(b, again, "/nonexistent.db", NULL, NULL, NULL,
		    err, sizeof(err));
		ok(b2 == NULL && strstr(err, "cannot listen on") != NULL,
		    "a port in use is refused: %s", err);
		api_stop(b2);
	}
	api_stop(a);
	event_base_free(b);
}

/* ------------------------------------------------------------------ */
/* An HTTP client on the test's own event loop */

static struct event_base *base;
static struct api *api;
static char dir[256];
static char db_path[320];
static char conf_path[320];
static const char *data_dir;
static const char *builddir;
static struct catalog *cat;

struct resp {
	int	 status;
	char	*head;		/* status line and headers */
	char	*body;
	size_t	 blen;
	char	*raw;
};

static void
resp_free(struct resp *r)
{
	free(r->raw);
	free(r->head);
	memset(r, 0, sizeof(*r));
}

static int
connect_api(void)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(api_port(api));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* The kernel completes the handshake before the server accepts. */
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Run the server's loop for about ms milliseconds. */
static void
pump(int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/*
 * Send raw bytes, then read until the server closes (the requests say
 * "Connection: close"), pumping the server between reads.
 */
static int
http_raw(const char *req, size_t len, struct resp *r)
{
	struct pollfd pfd;
	size_t n = 0, cap = 65536, off = 0;
	ssize_t k;
	char *end;
	int fd, waited = 0;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if ((fd = connect_api()) == -1 || (r->raw = malloc(cap)) == NULL)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (waited < 10000) {
		if (off < len) {
			k = write(fd, req + off, len - off);
			if (k > 0)
				off += (size_t)k;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1) <= 0) {
			waited++;
			continue;
		}
		if (n + 4096 > cap) {
			char *nr = realloc(r->raw, cap * 2);

			if (nr == NULL)
				break;
			r->raw = nr;
			cap *= 2;
		}
		k = read(fd, r->raw + n, cap - n - 1);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (k > 0)
			n += (size_t)k;
	}
	close(fd);
	r->raw[n] = '\0';
	if ((end = strstr(r->raw, "\r\n\r\n")) == NULL)
		return -1;
	r->head = strndup(r->raw, (size_t)(end - r->raw) + 2);
	r->body = end + 4;
	r->blen = n - (size_t)(r->body - r->raw);
	if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1)
		r->status = -1;
	return r->status;
}

static int
http(const char *method, const char *target, struct resp *r)
{
	char req[4096];
	int n;

	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", method, target);
	return http_raw(req, (size_t)n, r);
}

/* A response header's value (case-insensitive name), or "". */
static const char *
header(const struct resp *r, const char *name, char *buf, size_t len)
{
	const char *p = r->head;
	size_t nl = strlen(name);

	buf[0] = '\0';
	while (p != NULL && (p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(e - v), v);
			break;
		}
	}
	return buf;
}

/* The stdout of a command (malloc'd), NULL if it failed. */
static char *
run(const char *cmd)
{
	char *out = NULL;
	size_t len = 0, n;
	char buf[8192];
	FILE *p, *m;
	int st;

	if ((p = popen(cmd, "r")) == NULL ||
	    (m = open_memstream(&out, &len)) == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, m);
	st = pclose(p);
	fclose(m);
	if (st != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* svcmapctl ARGS FORMAT (--json or --csv): its standard output. */
static char *
ctl_as(const char *args, const char *format)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s/svcmapctl' -c '%s' -d '%s' "
	    "--data-dir '%s' %s %s 2>/dev/null", builddir, conf_path,
	    db_path, data_dir, args, format);
	return run(cmd);
}

static char *
ctl(const char *args)
{
	return ctl_as(args, "--json");
}

/* Objects in a JSON array of flat-ish objects: count a key they all have. */
static int
count_str(const char *s, const char *needle)
{
	int n = 0;

	while (s != NULL && (s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* The database, from the real pipeline */

static int
build_db(const char *const *pcaps, size_t n)
{
	struct capture_file_result res;
	struct endpoint_table *eps = NULL;
	struct engine *e = NULL;
	struct alerts *al = NULL;
	struct store *s = NULL;
	struct config cfg;
	struct flush_handover h;
	char err[512];
	int64_t run_id;
	size_t i;
	int ret = -1;

	config_defaults(&cfg);
	if ((eps = endpoint_table_create(cfg.endpoint_capacity,
	    cfg.endpoint_expiry_s)) == NULL ||
	    (e = engine_create(&cfg, cat, eps, err, sizeof(err))) == NULL ||
	    (al = alert_create(&cfg, err, sizeof(err))) == NULL ||
	    (s = store_open(db_path, "test", err, sizeof(err))) == NULL) {
		printf("# build_db: %s\n", err);
		goto out;
	}
	engine_set_alerts(e, al);
	if ((run_id = store_run_begin(s, "offline", "test",
	    1705309200)) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (capture_read_file(pcaps[i], NULL, engine_packet, e, NULL,
		    &res, err, sizeof(err)) == -1) {
			printf("# build_db: %s\n", err);
			goto out;
		}
	engine_drain(e, true);
	memset(&h, 0, sizeof(h));
	h.run_id = run_id;
	h.now_s = (int64_t)(engine_now(e) / 1000000);
	h.batch = engine_batch(e);
	h.totals = engine_totals(e);
	h.endpoints = eps;
	h.alerts = alert_batch(al);
	if (store_flush(s, &h, err, sizeof(err)) == -1) {
		printf("# build_db: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	store_close(s);
	alert_destroy(al);
	engine_destroy(e);
	endpoint_table_destroy(eps);
	return ret;
}

static void
remove_db(void)
{
	char p[400];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

/* ------------------------------------------------------------------ */
/* The status stub */

static struct api_status stub;

static void
stub_status(void *arg, struct api_status *st)
{
	int *calls = arg;

	(*calls)++;
	*st = stub;
}

static void
stub_init(void)
{
	memset(&stub, 0, sizeof(stub));
	stub.sensor = "sensor-1";
	stub.version = "9.9.9";
	stub.started_at = 1705309200;
	stub.now = 1705312800;
	snprintf(stub.ifaces[0].name, sizeof(stub.ifaces[0].name), "eth1");
	stub.ifaces[0].received = 1000;
	stub.ifaces[0].dropped = 5;
	stub.ifaces[0].if_dropped = 6;
	stub.ifaces[0].ring_dropped = 7;
	stub.ifaces[0].up = true;
	snprintf(stub.ifaces[1].name, sizeof(stub.ifaces[1].name),
	    "we\"ird\\if");
	stub.ifaces[1].received = 8;
	stub.ifaces[1].up = false;	/* lost, being reopened */
	stub.degraded = true;
	stub.nifaces = 2;
	stub.packets = 219;
	stub.bytes = 45489;
	stub.pkt_class[PKT_CLASSIFIED] = 180;
	stub.pkt_class[PKT_UNDOCUMENTED] = 31;
	stub.pkt_class[PKT_UNMONITORED] = 6;
	stub.pkt_class[PKT_NON_IP] = 2;
	/* The registry's view of the same figures (/metrics, counters). */
	stub.totals.packets = 219;
	stub.totals.bytes = 45489;
	memcpy(stub.totals.pkt_class, stub.pkt_class,
	    sizeof(stub.totals.pkt_class));
	stub.totals.flows = 30;
	stub.totals.flows_active = 3;
	stub.totals.flows_evicted = 11;
	stub.totals.rpc_pdus = 77;
	stub.totals.decode[DR_OK] = 217;
	stub.flows = 30;
	stub.flows_active = 3;
	stub.flow_capacity = 262144;
	stub.flows_evicted = 11;
	stub.endpoints_learned = 4;
	stub.endpoint_capacity = 65536;
	stub.alerts_published = 2;
	stub.db_path = "/var/lib/svcmap/svcmap.db";
	stub.db_bytes = 123456;
	stub.last_flush = 1705312790;
	stub.db_ok = true;
	stub.reloads = 1;
	stub.last_reload = 0;
}

/* ------------------------------------------------------------------ */
/* Route by route against svcmapctl and the query functions */

/* GET target; its body must be what `svcmapctl args --json` prints. */
static void
same_as_ctl(const char *target, const char *args, const char *inproc)
{
	struct resp r;
	char *want = ctl(args), ct[128], cc[64];

	http("GET", target, &r);
	is_int(r.status, 200, "GET %s: 200", target);
	ok(want != NULL && r.body != NULL && strcmp(r.body, want) == 0,
	    "GET %s: body is byte for byte svcmapctl %s --json (%zu bytes)",
	    target, args, r.blen);
	if (want == NULL || r.body == NULL || strcmp(r.body, want) != 0)
		printf("#   got:  %.300s\n#   want: %.300s\n",
		    r.body ? r.body : "(none)", want ? want : "(none)");
	if (inproc != NULL)
		ok(r.body != NULL && strncmp(r.body, inproc, strlen(inproc)) ==
		    0 && strcmp(r.body + strlen(inproc), "\n") == 0,
		    "GET %s: body is the in-process JSON plus a newline",
		    target);
	ok(strcmp(header(&r, "Content-Type", ct, sizeof(ct)),
	    "application/json") == 0 &&
	    strcmp(header(&r, "Cache-Control", cc, sizeof(cc)), "no-store") ==
	    0, "GET %s: application/json, no-store", target);
	free(want);
	resp_free(&r);
}

/*
 * target plus format=csv answers svcmapctl args --csv, byte for byte, as
 * text/csv; format=json is the JSON without the parameter.
 */
static void
same_csv_as_ctl(const char *target, const char *args)
{
	struct resp r, js;
	char *want = ctl_as(args, "--csv"), *json = ctl(args), url[512];
	char ct[128];
	const char *sep = strchr(target, '?') != NULL ? "&" : "?";

	snprintf(url, sizeof(url), "%s%sformat=csv", target, sep);
	http("GET", url, &r);
	is_int(r.status, 200, "GET %s: 200", url);
	ok(want != NULL && want[0] != '\0' && r.body != NULL &&
	    strcmp(r.body, want) == 0,
	    "GET %s: body is byte for byte svcmapctl %s --csv (%zu bytes)",
	    url, args, r.blen);
	if (want == NULL || r.body == NULL || strcmp(r.body, want) != 0)
		printf("#   got:  %.300s\n#   want: %.300s\n",
		    r.body ? r.body : "(none)", want ? want : "(none)");
	ok(strncmp(header(&r, "Content-Type", ct, sizeof(ct)), "text/csv",
	    8) == 0, "GET %s: Content-Type text/csv (%s)", url, ct);
	resp_free(&r);
	snprintf(url, sizeof(url), "%s%sformat=json", target, sep);
	http("GET", url, &js);
	ok(js.status == 200 && json != NULL && js.body != NULL &&
	    strcmp(js.body, json) == 0, "GET %s: the JSON of %s", url,
	    target);
	resp_free(&js);
	free(want);
	free(json);
}

static char *
services_json(const struct catalog *c, const struct query_filter *f)
{
	struct reader *s;
	struct json j;
	char err[256];
	char *out = NULL;

	if ((s = reader_open(db_path, err, sizeof(err))) == NULL)
		return NULL;
	json_init(&j);
	if (query_services_json(s, c, f, &j, err, sizeof(err)) == 0 &&
	    !json_failed(&j))
		out = strdup(j.buf);
	json_free(&j);
	reader_close(s);
	return out;
}

static char *
other_json(int which)
{
	struct reader *s;
	struct json j;
	char err[256];
	char *out = NULL;
	int rc;

	if ((s = reader_open(db_path, err, sizeof(err))) == NULL)
		return NULL;
	json_init(&j);
	rc = which == 0 ? query_hosts_json(s, cat, &j, err, sizeof(err)) :
	    query_endpoints_json(s, cat, &j, err, sizeof(err));
	if (rc == 0 && !json_failed(&j))
		out = strdup(j.buf);
	json_free(&j);
	reader_close(s);
	return out;
}

/*
 * Issue 15 on the reader threads: /v1/hosts' name filter, paged like
 * the rest, and /v1/host, one address, as svcmapctl answers them.
 */
static void
host_routes(void)
{
	struct resp r;
	char ip[64], target[128], args[128];
	const char *p;
	size_t n;

	same_as_ctl("/v1/hosts?name=*", "hosts --name '*'", NULL);
	same_as_ctl("/v1/hosts?name=*&limit=2", "hosts --name '*' --limit 2",
	    NULL);
	same_as_ctl("/v1/hosts?name=nosuchname*", "hosts --name "
	    "'nosuchname*'", NULL);
	/* Roles (roles.catalog): the filter as svcmapctl's. */
	same_as_ctl("/v1/hosts?role=dc", "hosts --role dc", NULL);
	same_as_ctl("/v1/hosts?role=dns-server&limit=1",
	    "hosts --role dns-server --limit 1", NULL);
	http("GET", "/v1/hosts?limit=1", &r);
	ip[0] = '\0';
	if (r.body != NULL && (p = strstr(r.body, "\"ip\":\"")) != NULL) {
		p += 6;
		n = strcspn(p, "\"");
		if (n < sizeof(ip)) {
			memcpy(ip, p, n);
			ip[n] = '\0';
		}
	}
	resp_free(&r);
	ok(ip[0] != '\0', "a host to ask /v1/host about (%s)", ip);
	if (ip[0] != '\0') {
		snprintf(target, sizeof(target), "/v1/host?host=%s", ip);
		snprintf(args, sizeof(args), "host %s", ip);
		same_as_ctl(target, args, NULL);
	}
	http("GET", "/v1/host?host=192.0.2.99", &r);
	is_int(r.status, 404, "/v1/host of an unknown address: 404");
	resp_free(&r);
	http("GET", "/v1/host", &r);
	is_int(r.status, 400, "/v1/host without host: 400");
	resp_free(&r);
	http("GET", "/v1/host?host=10.0.0.0/8", &r);
	is_int(r.status, 400, "/v1/host of a prefix: 400");
	resp_free(&r);
}

static void
compare_db_routes(const char *what)
{
	static const struct {
		const char *target, *args;
	} cases[] = {
		{ "/v1/services?all=1", "services --all" },
		{ "/v1/services?service=undocumented", "services --service "
		    "undocumented" },
		{ "/v1/services?since=2024-01-15T09:00:02Z", "services --since "
		    "2024-01-15T09:00:02Z" },
		{ "/v1/services?since=1705309202&all=true", "services --all "
		    "--since 1705309202" },
		{ "/v1/services?since=-1h", "services --since -1h" },
		{ "/v1/services?service=nosuchservice", "services --service "
		    "nosuchservice" },
		{ "/v1/alerts", "alerts" },
		{ "/v1/alerts?kind=undocumented_service", "alerts --kind "
		    "undocumented_service" },
		{ "/v1/alerts?kind=new_service", "alerts --kind new_service" },
		{ "/v1/alerts?since=2024-01-15T09:00:04Z", "alerts --since "
		    "2024-01-15T09:00:04Z" },
		/* Issue 16: until, prefixes, relative times, top, series. */
		{ "/v1/alerts?until=-1s", "alerts --until -1s" },
		{ "/v1/services?host=10.20.0.0/24&until=2030-01-01&all=1",
		    "services --host 10.20.0.0/24 --until 2030-01-01 --all" },
		{ "/v1/services?since=-2s", "services --since -2s" },
		{ "/v1/top", "top" },
		{ "/v1/top?of=hosts&by=packets&limit=0", "top --of hosts "
		    "--by packets --limit 0" },
		{ "/v1/top?of=services&by=clients&all=1", "top --of services "
		    "--by clients --all" },
		{ "/v1/top?by=flows&host=10.20.0.0/16&since=-1h&until=-1s",
		    "top --by flows --host 10.20.0.0/16 --since -1h "
		    "--until -1s" },
		{ "/v1/series?service=kdc", "series --service kdc" },
		{ "/v1/series?service=kdc&resolution=hour&host=10.20.0.0/16",
		    "series --service kdc --resolution hour --host "
		    "10.20.0.0/16" },
		{ "/v1/operations", "operations" },
		{ "/v1/operations?service=netlogon", "operations --service "
		    "netlogon" },
		{ "/v1/operations?host=10.10.10.100&service=netlogon",
		    "operations --host 10.10.10.100 --service netlogon" },
		{ "/v1/operations?host=10.9.9.9", "operations --host "
		    "10.9.9.9" },
	};
	struct query_filter f;
	char *in;
	size_t i;

	printf("# database routes over %s\n", what);
	memset(&f, 0, sizeof(f));
	in = services_json(cat, &f);
	same_as_ctl("/v1/services", "services", in);
	free(in);
	in = other_json(0);
	same_as_ctl("/v1/hosts", "hosts", in);
	free(in);
	in = other_json(1);
	same_as_ctl("/v1/endpoints", "endpoints", in);
	free(in);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_ctl(cases[i].target, cases[i].args, NULL);
	same_csv_as_ctl("/v1/services", "services");
	same_csv_as_ctl("/v1/hosts", "hosts");
	same_csv_as_ctl("/v1/endpoints", "endpoints");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_csv_as_ctl(cases[i].target, cases[i].args);
	host_routes();
}

static void
test_filters(void)
{
	struct resp all, host, mapped, und, since, kdc;
	int nall, nhost;

	http("GET", "/v1/services?all=1", &all);
	http("GET", "/v1/services?host=10.20.0.10&all=1", &host);
	http("GET", "/v1/services?host=%3A%3Affff%3A10.20.0.10&all=1",
	    &mapped);
	http("GET", "/v1/services?service=undocumented", &und);
	http("GET", "/v1/services?since=2024-01-15T09:00:03Z&all=1", &since);
	http("GET", "/v1/services?service=kdc", &kdc);
	nall = count_str(all.body, ",\"service\":");
	nhost = count_str(host.body, ",\"service\":");
	ok(nall > 10, "all=1 lists every service row (%d)", nall);
	ok(nhost > 0 && nhost < nall &&
	    count_str(host.body, "\"server_ip\":\"10.20.0.10\"") == nhost,
	    "host= keeps only that server's rows (%d of %d)", nhost, nall);
	ok(mapped.body != NULL && host.body != NULL &&
	    strcmp(mapped.body, host.body) == 0,
	    "host=::ffff:10.20.0.10 is the same server as 10.20.0.10");
	ok(count_str(und.body, ",\"service\":\"undocumented\"") == 2 &&
	    count_str(und.body, ",\"service\":") == 2,
	    "service=undocumented: the two undocumented servers only");
	ok(count_str(since.body, ",\"service\":") > 0 &&
	    count_str(since.body, ",\"service\":") < nall,
	    "since= drops rows last seen before it (%d of %d)",
	    count_str(since.body, ",\"service\":"), nall);
	ok(count_str(kdc.body, ",\"service\":\"kdc\"") == 2 &&
	    count_str(kdc.body, ",\"service\":") == 2,
	    "service=kdc: 88/tcp and 88/udp");
	resp_free(&all);
	resp_free(&host);
	resp_free(&mapped);
	resp_free(&und);
	resp_free(&since);
	resp_free(&kdc);
}

static void
test_injection(void)
{
	static const char *const targets[] = {
		"/v1/services?host=1'%20OR%20'1'%3D'1",
		"/v1/services?host=10.20.0.10'--",
		"/v1/services?host=10.20.0.10%27%20OR%201%3D1--",
		"/v1/services?service=kdc'%20OR%20'1'%3D'1",
		"/v1/services?service=x%22)%3B%20DROP%20TABLE%20hosts%3B--",
		"/v1/services?since=0%20OR%201%3D1",
		"/v1/alerts?kind=new_service'%20OR%20'1'%3D'1",
		"/v1/catalog?service=kdc'--",
	};
	struct resp r, before, after;
	size_t i;

	http("GET", "/v1/services?all=1", &before);
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		http("GET", targets[i], &r);
		is_int(r.status, 400, "injection-looking %s: 400", targets[i]);
		resp_free(&r);
	}
	http("GET", "/v1/services?service=zzz-or-1-1", &r);
	ok(r.status == 200 && strcmp(r.body, "[]\n") == 0,
	    "a well-formed key nothing has: [] and never more rows");
	resp_free(&r);
	http("GET", "/v1/services?all=1", &after);
	ok(before.body != NULL && after.body != NULL &&
	    strcmp(before.body, after.body) == 0,
	    "the database is unchanged by them");
	resp_free(&before);
	resp_free(&after);
}

static void
test_catalog_route(void)
{
	static const struct {
		const char *target, *args;
	} cases[] = {
		{ "/v1/catalog", "catalog" },
		{ "/v1/catalog?port=445", "catalog --port 445" },
		{ "/v1/catalog?port=445%2Ftcp", "catalog --port 445/tcp" },
		{ "/v1/catalog?port=88/udp", "catalog --port 88/udp" },
		{ "/v1/catalog?port=50000", "catalog --port 50000" },
		{ "/v1/catalog?port=135&service=rpcss", "catalog --port 135 "
		    "--service rpcss" },
		{ "/v1/catalog?service=netlogon",
		    "catalog --service netlogon" },
		{ "/v1/catalog?uuid=12345678-1234-abcd-ef00-01234567cffb",
		    "catalog --uuid 12345678-1234-abcd-ef00-01234567cffb" },
		{ "/v1/catalog?interfaces=1", "catalog --interfaces" },
		{ "/v1/catalog?interfaces=true&service=lsass", "catalog "
		    "--interfaces --service lsass" },
	};
	struct catalog_query q;
	struct catalog_rows rows;
	struct json j;
	struct resp r;
	size_t i;

	catalog_query_init(&q);
	catalog_query_port(&q, "445");
	json_init(&j);
	if (catalog_query_select(cat, &q, &rows) == 0) {
		catalog_query_json(&j, cat, &q, &rows);
		catalog_rows_free(&rows);
	}
	same_as_ctl(cases[1].target, cases[1].args, j.buf);
	json_free(&j);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (i != 1)
			same_as_ctl(cases[i].target, cases[i].args, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_csv_as_ctl(cases[i].target, cases[i].args);
	http("GET", "/v1/catalog?service=no-such-service", &r);
	ok(r.status == 400 && strstr(r.body, "unknown service "
	    "\\\"no-such-service\\\"") != NULL,
	    "an unknown catalog service is 400, named");
	resp_free(&r);
}

static void
test_errors_over_http(void)
{
	struct resp r, g;
	char v[128], big[3200];

	http("GET", "/v1/services?host=10.0.0.1&host=10.0.0.2", &r);
	ok(r.status == 400 && strcmp(r.body, "{\"error\":\"parameter "
	    "\\\"host\\\" given more than once\"}\n") == 0,
	    "a repeated parameter: 400 {\"error\": ...} naming it");
	ok(strcmp(header(&r, "Content-Type", v, sizeof(v)),
	    "application/json") == 0 &&
	    strcmp(header(&r, "Cache-Control", v, sizeof(v)), "no-store") == 0,
	    "errors are application/json, no-store too");
	resp_free(&r);
	http("GET", "/v1/services?bogus=1", &r);
	ok(r.status == 400 && strstr(r.body, "unknown parameter "
	    "\\\"bogus\\\"") != NULL, "an unknown parameter: 400 naming it");
	resp_free(&r);
	http("GET", "/v1/services?host=%FF", &r);
	ok(r.status == 400 && strstr(r.body, "\\\"%FF\\\" is not") != NULL,
	    "a non-ASCII value is quoted back as %%XX (valid JSON text)");
	resp_free(&r);
	http("GET", "/v1/nope", &r);
	ok(r.status == 404 && strstr(r.body, "{\"error\":\"no route") ==
	    r.body, "an unknown path: 404 JSON");
	resp_free(&r);
	http("POST", "/v1/services", &r);
	ok(r.status == 405 && strcmp(header(&r, "Allow", v, sizeof(v)),
	    "GET, HEAD") == 0 && strstr(r.body, "method POST") != NULL,
	    "POST: 405 with Allow: GET, HEAD");
	resp_free(&r);
	snprintf(big, sizeof(big), "POST /v1/services HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\nContent-Length: 5\r\n\r\nhello");
	http_raw(big, strlen(big), &r);
	is_int(r.status, 405, "POST with a body: 405");
	resp_free(&r);
	http("DELETE", "/v1/alerts", &r);
	is_int(r.status, 405, "DELETE: 405");
	resp_free(&r);
	memset(big, 'a', sizeof(big));
	memcpy(big, "/v1/hosts?x=", 12);
	big[sizeof(big) - 1] = '\0';
	http("GET", big, &r);
	ok(r.status == 414 && strstr(r.body, "longer than 2048") != NULL,
	    "a 3 KB request target: 414");
	resp_free(&r);

	http("GET", "/v1/services", &g);
	http("HEAD", "/v1/services", &r);
	snprintf(big, sizeof(big), "%zu", g.blen);
	ok(r.status == 200 && r.blen == 0 &&
	    strcmp(header(&r, "Content-Length", v, sizeof(v)), big) == 0,
	    "HEAD: 200, no body, the GET's Content-Length (%s)", big);
	resp_free(&r);
	resp_free(&g);
	http("HEAD", "/v1/nope", &r);
	ok(r.status == 404 && r.blen == 0, "HEAD of an unknown path: 404, "
	    "no body");
	resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* The web map's files */

/* What reaches the file system: one checked name, nothing else. */
static void
test_web_parse(void)
{
	static const struct {
		const char *uri, *file;
	} webgoods[] = {
		{ "/", "index.html" },
		{ "/index.html", "index.html" },
		{ "/app.js", "app.js" },
		{ "/style.css", "style.css" },
		{ "/favicon.svg", "favicon.svg" },
		{ "/%61pp.js", "app.js" },
		{ "http://127.0.0.1:8135/app.js", "app.js" },
		{ "/a_b-c.d.png", "a_b-c.d.png" },
	};
	static const struct bad webbads[] = {
		{ "GET", "/../app.js", 404, "no route" },
		{ "GET", "/%2e%2e/app.js", 404, "no route" },
		{ "GET", "/%2E%2E", 404, "no route" },
		{ "GET", "/..", 404, "no route" },
		{ "GET", "/.", 404, "no route" },
		{ "GET", "/.app.js", 404, "no route" },
		{ "GET", "/-app.js", 404, "no route" },
		{ "GET", "/web/app.js", 404, "no route" },
		{ "GET", "//app.js", 404, "no route" },
		{ "GET", "/app.js/", 404, "no route" },
		{ "GET", "/..%2Fapp.js", 400, "%2F" },
		{ "GET", "/%2e%2e%2fsecret.js", 400, "%2F" },
		{ "GET", "/app.js%00.html", 400, "%00" },
		{ "GET", "/app.js\\x", 400, "0x5c" },
		{ "GET", "/app.exe", 404, "no route" },
		{ "GET", "/app", 404, "no route" },
		{ "GET", "/.js", 404, "no route" },
		{ "GET", "/a%20b.js", 404, "no route" },
		{ "GET", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaa.js", 404, "no route" },
		{ "POST", "/", 405, "GET or HEAD" },
		{ "PUT", "/app.js", 405, "PUT" },
		{ "DELETE", "/index.html", 405, "DELETE" },
		{ "GET", "/?x=1", 400, "unknown parameter \"x\"" },
	};
	struct api_request r;
	char err[512];
	size_t i;
	int st;

	for (i = 0; i < sizeof(webgoods) / sizeof(webgoods[0]); i++) {
		st = api_parse_request("GET", webgoods[i].uri, NOW, &r, err,
		    sizeof(err));
		ok(st == 200 && r.route == API_WEB &&
		    strcmp(r.file, webgoods[i].file) == 0,
		    "web: GET %s is the file %s", webgoods[i].uri, webgoods[i].file);
	}
	st = api_parse_request("HEAD", "/app.js", NOW, &r, err, sizeof(err));
	ok(st == 200 && r.route == API_WEB && r.head, "web: HEAD is allowed");
	st = api_parse_request("GET", "/v1/summary", NOW, &r, err, sizeof(err));
	ok(st == 200 && r.route == API_SUMMARY, "/v1/summary is a route");
	for (i = 0; i < sizeof(webbads) / sizeof(webbads[0]); i++) {
		st = api_parse_request(webbads[i].method, webbads[i].uri, NOW,
		    &r, err, sizeof(err));
		ok(st == webbads[i].status && strstr(err, webbads[i].says) !=
		    NULL, "web: %s %s: %d naming %s (%d: %s)",
		    webbads[i].method, webbads[i].uri, webbads[i].status,
		    webbads[i].says, st, err);
	}
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * The files over HTTP from a web directory of our own, beside a secret
 * file it must never serve (through "..", an escaped "..", or a link
 * planted in the directory), then the shipped data/web.
 */
static void
test_web_http(void)
{
	static const char index_text[] = "<!doctype html><title>t</title>\n";
	static const char *const shipped[][2] = {
		{ "/", "text/html; charset=utf-8" },
		{ "/index.html", "text/html; charset=utf-8" },
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/style.css", "text/css; charset=utf-8" },
		{ "/favicon.svg", "image/svg+xml" },
	};
	static const char *const secret_targets[] = {
		"/../secret.js", "/%2e%2e/secret.js", "/%2E%2E/web/../secret.js",
		"/link.js", "/sub.js", "/missing.js",
	};
	struct api *keep = api, *w;
	struct api_config ac;
	struct resp r, g;
	char web[400], path[480], err[256], v[512], etag[128], req[512];
	size_t i;
	int n;

	/* The API without a web directory: / is a 404 that says why. */
	http("GET", "/", &r);
	ok(r.status == 404 && strstr(r.body, "no web map") != NULL,
	    "no web directory: / is 404 saying so");
	resp_free(&r);

	snprintf(web, sizeof(web), "%s/web", dir);
	mkdir(web, 0755);
	snprintf(path, sizeof(path), "%s/index.html", web);
	write_file(path, index_text);
	snprintf(path, sizeof(path), "%s/app.js", web);
	write_file(path, "export const x = 1;\n");
	snprintf(path, sizeof(path), "%s/empty.css", web);
	write_file(path, "");
	snprintf(path, sizeof(path), "%s/secret.js", dir);
	write_file(path, "SECRET\n");
	snprintf(path, sizeof(path), "%s/link.js", web);
	ok(symlink("../secret.js", path) == 0, "a link to a file outside");
	snprintf(path, sizeof(path), "%s/sub.js", web);
	mkdir(path, 0755);

	api_config_defaults(&ac);
	ac.web_dir = web;
	w = api_start_config(base, "127.0.0.1:0", db_path, cat, &ac,
	    stub_status, NULL, err, sizeof(err));
	ok(w != NULL, "an API with a web directory starts: %s", w ? "" : err);
	if (w == NULL)
		return;
	api = w;

	http("GET", "/", &r);
	ok(r.status == 200 && r.blen == strlen(index_text) &&
	    memcmp(r.body, index_text, r.blen) == 0,
	    "GET /: index.html, byte for byte");
	ok(strcmp(header(&r, "Content-Type", v, sizeof(v)),
	    "text/html; charset=utf-8") == 0, "... text/html; charset=utf-8");
	ok(strcmp(header(&r, "Cache-Control", v, sizeof(v)), "no-cache") == 0,
	    "... Cache-Control: no-cache (revalidated, never stale)");
	ok(strcmp(header(&r, "X-Content-Type-Options", v, sizeof(v)),
	    "nosniff") == 0, "... nosniff");
	ok(strstr(header(&r, "Content-Security-Policy", v, sizeof(v)),
	    "default-src 'none'; script-src 'self'") == v &&
	    strstr(v, "frame-ancestors 'none'") != NULL,
	    "... a Content-Security-Policy: own scripts only, no framing");
	header(&r, "ETag", etag, sizeof(etag));
	ok(etag[0] == '"' && strlen(etag) > 4, "... an ETag (%s)", etag);
	resp_free(&r);

	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\n"
	    "If-None-Match: %s\r\nConnection: close\r\n\r\n", etag);
	http_raw(req, (size_t)n, &r);
	ok(r.status == 304 && r.blen == 0 && strcmp(header(&r, "ETag", v,
	    sizeof(v)), etag) == 0, "If-None-Match with the ETag: 304, no "
	    "body, the same ETag");
	resp_free(&r);
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\n"
	    "If-None-Match: \"other\"\r\nConnection: close\r\n\r\n");
	http_raw(req, (size_t)n, &r);
	is_int(r.status, 200, "another ETag: 200");
	resp_free(&r);

	http("GET", "/app.js", &g);
	ok(g.status == 200 && strcmp(header(&g, "Content-Type", v, sizeof(v)),
	    "text/javascript; charset=utf-8") == 0 &&
	    strcmp(g.body, "export const x = 1;\n") == 0,
	    "GET /app.js: text/javascript, its bytes");
	http("HEAD", "/app.js", &r);
	snprintf(path, sizeof(path), "%zu", g.blen);
	ok(r.status == 200 && r.blen == 0 && strcmp(header(&r,
	    "Content-Length", v, sizeof(v)), path) == 0 &&
	    strcmp(header(&r, "Content-Type", v, sizeof(v)),
	    "text/javascript; charset=utf-8") == 0,
	    "HEAD /app.js: 200, the GET's headers (Content-Length %s), no body",
	    path);
	resp_free(&r);
	resp_free(&g);
	http("GET", "/empty.css", &r);
	ok(r.status == 200 && r.blen == 0 && strcmp(header(&r, "Content-Type",
	    v, sizeof(v)), "text/css; charset=utf-8") == 0,
	    "an empty file: 200, text/css, no bytes");
	resp_free(&r);

	for (i = 0; i < sizeof(secret_targets) / sizeof(secret_targets[0]);
	    i++) {
		http("GET", secret_targets[i], &r);
		ok(r.status == 404 && strstr(r.body, "SECRET") == NULL &&
		    strncmp(r.body, "{\"error\":", 9) == 0 &&
		    strcmp(header(&r, "Cache-Control", v, sizeof(v)),
		    "no-store") == 0, "GET %s: 404 JSON, nothing of the "
		    "file outside", secret_targets[i]);
		resp_free(&r);
		http("HEAD", secret_targets[i], &r);
		ok(r.status == 404 && r.blen == 0, "HEAD %s: 404, no body",
		    secret_targets[i]);
		resp_free(&r);
	}
	http("GET", "/..%2Fsecret.js", &r);
	ok(r.status == 400 && strstr(r.body, "SECRET") == NULL,
	    "GET /..%%2Fsecret.js: 400 (an escaped '/')");
	resp_free(&r);
	http("POST", "/", &r);
	ok(r.status == 405 && strcmp(header(&r, "Allow", v, sizeof(v)),
	    "GET, HEAD") == 0, "POST /: 405, Allow: GET, HEAD");
	resp_free(&r);
	http("GET", "/v1/summary", &r);
	ok(r.status == 200 && strncmp(r.body, "{\"runs\":", 8) == 0 &&
	    strcmp(header(&r, "Cache-Control", v, sizeof(v)), "no-store") == 0,
	    "the data routes beside it: /v1/summary, no-store");
	resp_free(&r);
	api_stop(w);

	/* The shipped files, found in the source tree's data/web. */
	snprintf(web, sizeof(web), "%s/web", data_dir);
	ac.web_dir = web;
	w = api_start_config(base, "127.0.0.1:0", db_path, cat, &ac,
	    stub_status, NULL, err, sizeof(err));
	api = w;
	for (i = 0; w != NULL && i < sizeof(shipped) / sizeof(shipped[0]);
	    i++) {
		http("GET", shipped[i][0], &r);
		ok(r.status == 200 && r.blen > 100 && strcmp(header(&r,
		    "Content-Type", v, sizeof(v)), shipped[i][1]) == 0,
		    "shipped %s: 200, %s, %zu bytes", shipped[i][0],
		    shipped[i][1], r.blen);
		resp_free(&r);
	}
	api_stop(w);
	api = keep;
}

/* ------------------------------------------------------------------ */
/* /v1/status and /metrics */

static void
test_status(int *calls)
{
	static const char *const want[] = {
		"{\"sensor\":\"sensor-1\",\"version\":\"9.9.9\"",
		"\"started_at\":\"2024-01-15T09:00:00Z\"",
		"\"started_at_s\":1705309200",
		"\"now\":\"2024-01-15T10:00:00Z\"", "\"now_s\":1705312800",
		"\"uptime_s\":3600", "\"status\":\"degraded\"",
		("\"interfaces\":[{\"name\":\"eth1\",\"received\":1000,"
		    "\"dropped\":5,\"if_dropped\":6,\"ring_dropped\":7,"
		    "\"up\":true},"
		    "{\"name\":\"we\\\"ird\\\\if\",\"received\":8,"),
		"\"ring_dropped\":0,\"up\":false}]",
		"\"packets\":219", "\"bytes\":45489",
		("\"packets_by_class\":{\"classified\":180,"
		    "\"undocumented\":31,\"unmonitored\":6,\"outbound\":0,"
		    "\"non_ip\":2,\"malformed\":0}"),
		"\"flows\":30", "\"flows_active\":3",
		"\"flow_capacity\":262144",
		"\"flows_evicted\":11", "\"endpoints_learned\":4",
		"\"endpoint_capacity\":65536", "\"alerts_published\":2",
		"\"db_path\":\"/var/lib/svcmap/svcmap.db\"",
		"\"db_bytes\":123456", "\"db_ok\":true",
		"\"last_flush\":\"2024-01-15T09:59:50Z\"",
		"\"last_flush_s\":1705312790", "\"reloads\":1",
		"\"last_reload\":null", "\"last_reload_s\":0,",
		/* Added by the counter registry, after every older field. */
		"\"counters\":{\"packets\":219,\"pkt_classified\":180,",
		"\"rpc_pdus\":77,", "\"endpoints_learned\":0,",
		"\"clock_outliers\":0,", "\"smb_messages\":0,",
		"\"smb_pipes_unparsed\":0,", "\"names_rejected\":0,",
		"\"names_known\":0,", "\"rpc_calls\":0,",
		"\"rpc_op_clients_dropped\":0,",
		"\"attempts_unanswered\":0}}\n",
	};
	struct resp r;
	size_t i;
	int before = *calls;

	http("GET", "/v1/status", &r);
	is_int(r.status, 200, "/v1/status: 200");
	ok(*calls == before + 1, "/v1/status asks the status callback once");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ok(r.body != NULL && strstr(r.body, want[i]) != NULL,
		    "/v1/status has %s", want[i]);
	}
	resp_free(&r);
}

static bool
name_ok(const char **p, bool label)
{
	const char *s = *p;

	if (!(isalpha((unsigned char)*s) || *s == '_' || (!label && *s == ':')))
		return false;
	for (s++; isalnum((unsigned char)*s) || *s == '_' ||
	    (!label && *s == ':'); s++)
		;
	*p = s;
	return true;
}

/*
 * One line of the text format 0.0.4: a comment (# HELP name text,
 * # TYPE name type), or name[{label="value",...}] value [timestamp].
 * Returns the metric name's length (0 on a bad line); *type tells which.
 */
static size_t
prom_line(const char *line, char *name, size_t namelen, char *kind)
{
	const char *p = line, *n0;
	char *end;

	*kind = 's';
	if (strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) == 0) {
		*kind = p[2];
		p += 7;
	}
	n0 = p;
	if (!name_ok(&p, false) || (size_t)(p - n0) >= namelen)
		return 0;
	snprintf(name, namelen, "%.*s", (int)(p - n0), n0);
	if (*kind == 'H')
		return *p == ' ' && strchr(p, '\n') == NULL ? strlen(name) : 0;
	if (*kind == 'T') {
		static const char *const types[] = { " counter", " gauge",
		    " histogram", " summary", " untyped" };
		size_t i;

		for (i = 0; i < 5; i++)
			if (strcmp(p, types[i]) == 0)
				return strlen(name);
		return 0;
	}
	if (*p == '{') {
		p++;
		while (*p != '}') {
			if (!name_ok(&p, true) || *p++ != '=' || *p++ != '"')
				return 0;
			while (*p != '"') {
				if (*p == '\0' || *p == '\n')
					return 0;
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' &&
					    *p != 'n')
						return 0;
				}
				p++;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return 0;
		}
		p++;
	}
	if (*p++ != ' ')
		return 0;
	if (strcmp(p, "+Inf") != 0 && strcmp(p, "-Inf") != 0 &&
	    strcmp(p, "NaN") != 0) {
		errno = 0;
		strtod(p, &end);
		if (end == p || errno != 0 || (*end != '\0' &&
		    (*end != ' ' || strtoll(end + 1, &end, 10) == 0 ||
		    *end != '\0')))
			return 0;
	}
	return strlen(name);
}

static void
test_metrics(void)
{
	static const char *const want[] = {
		"svcmap_packets_total 219\n",
		"svcmap_packets_by_class_total{class=\"classified\"} 180\n",
		"svcmap_packets_by_class_total{class=\"malformed\"} 0\n",
		"svcmap_capture_received_total{interface=\"eth1\"} 1000\n",
		"svcmap_capture_up{interface=\"eth1\"} 1\n",
		"svcmap_capture_up{interface=\"we\\\"ird\\\\if\"} 0\n",
		"svcmap_capture_received_total{interface=\"we\\\"ird\\\\if\"} "
		    "8\n",
		"svcmap_capture_dropped_total{interface=\"eth1\","
		    "where=\"kernel\"} 5\n",
		"svcmap_capture_dropped_total{interface=\"eth1\","
		    "where=\"interface\"} 6\n",
		"svcmap_capture_dropped_total{interface=\"eth1\","
		    "where=\"ring\"} 7\n",
		"svcmap_flows_active 3\n", "svcmap_flows_evicted_total 11\n",
		"svcmap_endpoints_learned 4\n", "svcmap_db_bytes 123456\n",
		"svcmap_last_flush_timestamp_seconds 1705312790\n",
		"svcmap_db_write_ok 1\n", "svcmap_alerts_published_total 2\n",
		"svcmap_uptime_seconds 3600\n", "svcmap_reloads_total 1\n",
		"svcmap_build_info{version=\"9.9.9\",sensor=\"sensor-1\"} 1\n",
		"# TYPE svcmap_packets_total counter\n",
		"# TYPE svcmap_flows_active gauge\n",
		"svcmap_api_requests_total{code=\"404\"} ",
		"svcmap_rpc_pdus_total 77\n",
		"svcmap_decode_total{reason=\"ok\"} 217\n",
		"# TYPE svcmap_flows_by_class_total counter\n",
	};
	char typed[64][64], name[64], kind, ct[128], *line, *save, *text;
	size_t ntyped = 0, i, nlines = 0, bad = 0, untyped = 0, badname = 0;
	struct resp r;

	http("GET", "/metrics", &r);
	is_int(r.status, 200, "/metrics: 200");
	ok(strcmp(header(&r, "Content-Type", ct, sizeof(ct)),
	    "text/plain; version=0.0.4; charset=utf-8") == 0,
	    "/metrics: Content-Type text/plain; version=0.0.4");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(r.body != NULL && strstr(r.body, want[i]) != NULL,
		    "/metrics has %.*s", (int)strcspn(want[i], "\n"), want[i]);
	ok(r.blen > 0 && r.body[r.blen - 1] == '\n', "/metrics ends in a "
	    "newline");
	/* Every registered counter is exported (stats.h counter_defs[]). */
	for (i = 0, bad = 0; i < counter_ndefs; i++) {
		snprintf(ct, sizeof(ct), "\n%s%s", counter_defs[i].metric,
		    counter_defs[i].class != NULL ? "{class=\"" : " ");
		if (r.body == NULL || strstr(r.body, ct) == NULL) {
			printf("#   no sample of %s\n", counter_defs[i].name);
			bad++;
		}
	}
	is_int(bad, 0, "/metrics exports all %zu registered counters",
	    counter_ndefs);
	bad = 0;
	text = strdup(r.body != NULL ? r.body : "");
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		nlines++;
		if (prom_line(line, name, sizeof(name), &kind) == 0) {
			printf("#   bad line: %s\n", line);
			bad++;
			continue;
		}
		if (strncmp(name, "svcmap_", 7) != 0)
			badname++;
		if (kind == 'T') {
			for (i = 0; i < ntyped && strcmp(typed[i], name); i++)
				;
			if (i < ntyped || ntyped == 64)
				bad++;	/* a family typed twice */
			else
				snprintf(typed[ntyped++], sizeof(typed[0]),
				    "%s", name);
			if (strstr(line, " counter") != NULL &&
			    (strlen(name) < 6 ||
			    strcmp(name + strlen(name) - 6, "_total") != 0))
				badname++;
		} else if (kind == 's') {
			for (i = 0; i < ntyped && strcmp(typed[i], name); i++)
				;
			if (i == ntyped)
				untyped++;
		}
	}
	free(text);
	ok(nlines > 40 && bad == 0, "every one of %zu /metrics lines is in "
	    "the text format grammar (%zu bad)", nlines, bad);
	ok(untyped == 0, "every sample follows its family's # TYPE line");
	ok(badname == 0, "names start with svcmap_, counters end in _total");
	resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* Clients that go away */

static void
test_disconnects(void)
{
	struct linger lg = { 1, 0 };
	struct resp r;
	int fd;

	/*
	 * A client with a small receive buffer asks for the 139 KB catalog
	 * and closes with the reply half read (its kernel answers the rest
	 * with a reset); then one resets right after its request, so the
	 * server's write fails (ECONNRESET); one sends half a request.
	 * Each must cost the server that connection only.
	 */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1) {
		struct sockaddr_in sin;
		int small = 2048;
		char buf[512];

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(api_port(api));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			ok(write(fd, "GET /v1/catalog HTTP/1.1\r\nHost: x\r\n"
			    "\r\n", 37) == 37, "a slow reader asks for the "
			    "catalog");
			pump(100);
			ok(read(fd, buf, sizeof(buf)) > 0,
			    "... reads a little of the reply");
			pump(100);
		}
		close(fd);
	}
	pump(200);
	if ((fd = connect_api()) != -1) {
		ok(write(fd, "GET /v1/hos", 11) == 11, "half a request sent");
		pump(20);
		close(fd);
	}
	if ((fd = connect_api()) != -1) {
		ok(write(fd, "GET /v1/services HTTP/1.1\r\nHost: x\r\n\r\n",
		    38) == 38, "a request sent, then a reset");
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	pump(100);
	http("GET", "/v1/hosts", &r);
	is_int(r.status, 200, "the server answers after clients vanished");
	resp_free(&r);
}

/* ------------------------------------------------------------------ */

static void
test_server(void)
{
	const char *pcaps_dir = getenv("SVCMAP_PCAPS");
	char cmd[1024], pcap[400], err[256], zeek[2][600];
	const char *files[2];
	struct query_filter f;
	struct store *s;
	struct stat sb;
	struct resp r;
	char *nocat;
	int calls = 0;
	FILE *fp;

	if ((cat = catalog_open(data_dir, NULL, err, sizeof(err))) == NULL) {
		ok(0, "catalog loads from %s: %s", data_dir, err);
		return;
	}
	snprintf(db_path, sizeof(db_path), "%s/api.db", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/empty.conf", dir);
	snprintf(pcap, sizeof(pcap), "%s/sample.pcap", dir);
	if ((fp = fopen(conf_path, "w")) != NULL)
		fclose(fp);
	snprintf(cmd, sizeof(cmd), "'%s/tests/gen-sample' '%s' >/dev/null",
	    builddir, pcap);
	ok(system(cmd) == 0, "gen-sample writes the sample capture");

	base = event_base_new();
	stub_init();
	api = api_start(base, "127.0.0.1:0", db_path, cat, stub_status,
	    &calls, err, sizeof(err));
	ok(api != NULL && api_port(api) != 0, "API listens on 127.0.0.1:%u",
	    api != NULL ? api_port(api) : 0);
	if (api == NULL)
		return;

	/* No database yet: the database routes say so, the others work. */
	http("GET", "/v1/services", &r);
	ok(r.status == 503 && strstr(r.body, "{\"error\":\"database ") ==
	    r.body && strstr(r.body, "No such file") != NULL,
	    "no database yet: /v1/services is 503 JSON");
	resp_free(&r);
	http("GET", "/v1/alerts", &r);
	is_int(r.status, 503, "no database yet: /v1/alerts is 503");
	resp_free(&r);
	http("GET", "/v1/status", &r);
	is_int(r.status, 200, "no database yet: /v1/status is 200");
	resp_free(&r);
	http("GET", "/v1/catalog?port=88", &r);
	is_int(r.status, 200, "no database yet: /v1/catalog is 200");
	resp_free(&r);

	files[0] = pcap;
	ok(build_db(files, 1) == 0, "the pipeline stores the sample");
	http("GET", "/v1/services", &r);
	ok(r.status == 200 && count_str(r.body, ",\"service\":") > 5,
	    "once the database exists: 200 with rows");
	resp_free(&r);

	compare_db_routes("the sample");
	test_filters();
	test_injection();
	test_catalog_route();
	test_errors_over_http();
	test_web_http();
	test_status(&calls);
	test_metrics();

	/* Without a catalog: keys for names, and no /v1/catalog. */
	api_set_catalog(api, NULL);
	memset(&f, 0, sizeof(f));
	nocat = services_json(NULL, &f);
	http("GET", "/v1/services", &r);
	ok(nocat != NULL && r.body != NULL && strncmp(r.body, nocat,
	    strlen(nocat)) == 0 && strstr(r.body, "\"name\":\"kdc\"") != NULL,
	    "catalog unset: /v1/services names services by key");
	resp_free(&r);
	free(nocat);
	http("GET", "/v1/catalog", &r);
	ok(r.status == 503 && strstr(r.body, "no catalog") != NULL,
	    "catalog unset: /v1/catalog is 503");
	resp_free(&r);
	api_set_catalog(api, cat);

	test_disconnects();

	/* The file goes away, then comes back: the API follows it. */
	remove_db();
	http("GET", "/v1/hosts", &r);
	is_int(r.status, 503, "database removed: 503");
	resp_free(&r);
	files[0] = pcap;
	ok(build_db(files, 1) == 0, "the database is created again");
	same_as_ctl("/v1/hosts", "hosts", NULL);
	/*
	 * Replaced between two requests by an empty one: the open
	 * connection still reads the deleted file, so the API must notice
	 * the new inode and answer from the new file.
	 */
	remove_db();
	s = store_open(db_path, "test", err, sizeof(err));
	store_close(s);
	http("GET", "/v1/hosts", &r);
	ok(r.status == 200 && strcmp(r.body, "[]\n") == 0,
	    "database replaced by an empty one: the new file answers, []");
	resp_free(&r);
	if (pcaps_dir != NULL &&
	    snprintf(zeek[0], sizeof(zeek[0]), "%s/zeek__smb__smb3.pcap",
	    pcaps_dir) > 0 &&
	    snprintf(zeek[1], sizeof(zeek[1]),
	    "%s/zeek__dce-rpc__dce_rpc_netlogon.pcapng", pcaps_dir) > 0 &&
	    access(zeek[0], R_OK) == 0 && access(zeek[1], R_OK) == 0) {
		remove_db();
		files[0] = zeek[0];
		files[1] = zeek[1];
		ok(build_db(files, 2) == 0, "the pipeline stores two shared "
		    "Zeek captures (SMB3, DCE/RPC Net Logon)");
		compare_db_routes("zeek__smb__smb3 + dce_rpc_netlogon");
	} else if (pcaps_dir != NULL && stat(pcaps_dir, &sb) == 0 &&
	    S_ISDIR(sb.st_mode))
		/* The captures are there but these two are not: a failure. */
		ok(0, "%s and %s readable", zeek[0], zeek[1]);
	else
		printf("# $SVCMAP_PCAPS has no shared captures: the second "
		    "database is not built\n");

	api_stop(api);
	event_base_free(base);
	catalog_destroy(cat);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[320];

	data_dir = getenv("SVCMAP_DATA") ? getenv("SVCMAP_DATA") :
	    SVCMAP_SRCDATADIR;
	builddir = getenv("top_builddir") ? getenv("top_builddir") :
	    SVCMAP_BUILDDIR;
	/* The reader threads wake the loop with event_active(). */
	evthread_use_pthreads();
	snprintf(dir, sizeof(dir), "%s/test_api.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_web_parse();
	test_paging_parse();
	test_listen();
	test_server();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
