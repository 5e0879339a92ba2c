/*
 * api.c - the HTTP JSON API and /metrics of svcmapd, on evhttp.
 *
 * Everything runs on the daemon's main thread inside its event loop: a
 * request is parsed (api_parse_request(), pure), answered from the
 * database, the catalog or the status callback, and replied to before the
 * callback returns, so no request outlives its connection and a client
 * that goes away costs a failed write only.  The database is read through
 * one read-only connection of our own, opened on first use and again when
 * the file was missing, replaced or failed; each query is its own WAL
 * snapshot, so the writer (the same thread) is never blocked by it.
 *
 * The JSON bodies are what svcmapctl --json prints, byte for byte,
 * trailing newline included, and format=csv what svcmapctl --csv
 * prints: both render the same records through the same field tables
 * (record.h).
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>

#include "svcmap/addr.h"
#include "svcmap/alert.h"
#include "svcmap/api.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/json.h"
#include "svcmap/log.h"
#include "svcmap/query.h"
#include "svcmap/record.h"

/* ------------------------------------------------------------------ */
/* Request parsing */

enum param {
	P_HOST = 0,
	P_SERVICE,
	P_SINCE,
	P_ALL,
	P_KIND,
	P_PORT,
	P_UUID,
	P_INTERFACES,
	P_FORMAT,
	P_LIMIT,
	P_CURSOR,
	P_UNTIL,
	P_BY,
	P_OF,
	P_RESOLUTION,
	P_NAME,
	P_SERVERS,
	P_ROLE,
	P__COUNT
};

#define PB(p)	(1u << (p))

static const char *const param_names[P__COUNT] = {
	"host", "service", "since", "all", "kind", "port", "uuid", "interfaces",
	"format", "limit", "cursor", "until", "by", "of", "resolution", "name",
	"servers", "role"
};

/* The window of top and series (svcmapctl top and series options). */
#define WINDOW	(PB(P_HOST) | PB(P_SERVICE) | PB(P_PORT) | PB(P_SINCE) | \
	PB(P_UNTIL) | PB(P_ALL) | PB(P_FORMAT))

/* The database routes' paging parameters. */
#define PAGED	(PB(P_LIMIT) | PB(P_CURSOR))

struct api;

typedef void (*answer_fn)(struct api *, struct evhttp_request *,
    const struct api_request *);

static void	answer_db(struct api *, struct evhttp_request *,
		    const struct api_request *);
static void	answer_catalog(struct api *, struct evhttp_request *,
		    const struct api_request *);
static void	answer_status(struct api *, struct evhttp_request *,
		    const struct api_request *);
static void	answer_metrics(struct api *, struct evhttp_request *,
		    const struct api_request *);
static void	answer_web(struct api *, struct evhttp_request *,
		    const struct api_request *);

/*
 * The routes, the parameters each accepts (svcmapctl's options) and who
 * answers: answer_db() hands the request to a reader thread, the others
 * answer on the loop from memory.  A route is one line here (and its
 * enum api_route); a database route adds its query to db_queries[].
 */
static const struct route {
	const char	*path;
	enum api_route	 route;
	unsigned	 params;
	answer_fn	 answer;
} routes[API__ROUTES] = {
	{ "/v1/services", API_SERVICES, PB(P_HOST) | PB(P_SERVICE) |
	    PB(P_SINCE) | PB(P_UNTIL) | PB(P_ALL) | PB(P_FORMAT) | PAGED,
	    answer_db },
	{ "/v1/hosts", API_HOSTS, PB(P_HOST) | PB(P_NAME) | PB(P_ROLE) |
	    PB(P_FORMAT) | PAGED,
	    answer_db },
	{ "/v1/endpoints", API_ENDPOINTS, PB(P_FORMAT) | PAGED, answer_db },
	{ "/v1/alerts", API_ALERTS, PB(P_KIND) | PB(P_SINCE) | PB(P_UNTIL) |
	    PB(P_FORMAT) | PAGED, answer_db },
	{ "/v1/operations", API_OPERATIONS, PB(P_HOST) | PB(P_SERVICE) |
	    PB(P_FORMAT), answer_db },
	{ "/v1/outbound", API_OUTBOUND, PB(P_HOST) | PB(P_PORT) |
	    PB(P_SINCE) | PB(P_UNTIL) | PB(P_SERVERS) | PB(P_FORMAT) | PAGED,
	    answer_db },
	{ "/v1/attempts", API_ATTEMPTS, PB(P_HOST) | PB(P_SINCE) |
	    PB(P_UNTIL) | PB(P_FORMAT) | PAGED, answer_db },
	{ "/v1/catalog", API_CATALOG, PB(P_PORT) | PB(P_SERVICE) |
	    PB(P_UUID) | PB(P_INTERFACES) | PB(P_FORMAT), answer_catalog },
	{ "/v1/status", API_STATUS, 0, answer_status },
	{ "/metrics", API_METRICS, 0, answer_metrics },
	{ "/v1/top", API_TOP, WINDOW | PB(P_BY) | PB(P_OF) | PB(P_LIMIT),
	    answer_db },
	{ "/v1/series", API_SERIES, WINDOW | PB(P_RESOLUTION), answer_db },
	{ "/v1/host", API_HOST, PB(P_HOST), answer_db },
	{ "/v1/summary", API_SUMMARY, 0, answer_db },
	/* The web map: "/" here, its other files by web_file_type(). */
	{ "/", API_WEB, 0, answer_web },
};

/*
 * The web map's files by extension.  A name outside this table is no
 * file of ours, so the directory can hold nothing else that is served.
 */
static const struct {
	const char	*ext;
	const char	*type;
} web_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/vnd.microsoft.icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/*
 * The Content-Type of a web map file, or NULL when `name` is not one:
 * one path component that starts with a letter or digit (so never "."
 * or ".."), of letters, digits, '.', '_' and '-', with a known
 * extension.  The check is on the decoded path, so "%2e%2e" and "../"
 * are refused like their plain forms.
 */
static const char *
web_file_type(const char *name)
{
	size_t len = strlen(name), i, e;

	if (len == 0 || len > API_WEB_NAME_MAX ||
	    !(isalnum((unsigned char)name[0])))
		return NULL;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return NULL;
	for (i = 0; i < sizeof(web_types) / sizeof(web_types[0]); i++) {
		e = strlen(web_types[i].ext);
		if (len > e && strcmp(name + len - e, web_types[i].ext) == 0)
			return web_types[i].type;
	}
	return NULL;
}

/* The query kind of a database route's cursor; -1 for the others. */
static int
route_kind(enum api_route r)
{
	switch (r) {
	case API_SERVICES:	return QUERY_SERVICES;
	case API_HOSTS:		return QUERY_HOSTS;
	case API_ENDPOINTS:	return QUERY_ENDPOINTS;
	case API_ALERTS:	return QUERY_ALERTS;
	case API_OUTBOUND:	return QUERY_OUTBOUND;
	case API_ATTEMPTS:	return QUERY_ATTEMPTS;
	default:		return -1;
	}
}

/* Parameter names are short words; anything longer is unknown anyway. */
#define NAME_MAX_LEN	32
/* How much of a client's text an error message quotes back. */
#define QUOTE_MAX	64

#define DEC_FORM	0x01	/* '+' is a space (query components) */
#define DEC_PATH	0x02	/* refuse %2F: an escaped '/' is no separator */

static int
fail(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

/*
 * Client text for an error message: printable ASCII as is, other bytes
 * as %XX (the JSON text must stay valid UTF-8), cut at QUOTE_MAX bytes.
 */
static const char *
quote(const char *s, size_t n, char out[QUOTE_MAX * 3 + 4])
{
	size_t i, o = 0;

	for (i = 0; i < n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 4, "%%%02X", c);
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) into out[outlen] (NUL-terminated).  A decoded
 * NUL would cut the text short of what the client sent: refused.
 * Returns the decoded length, or -1 with *why set.
 */
static int
pct_decode(const char *s, size_t n, int flags, char *out, size_t outlen,
    const char **why)
{
	size_t i, o = 0;
	int c, hi, lo;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				*why = "bad percent escape";
				return -1;
			}
			c = hi << 4 | lo;
			i += 2;
			if (c == 0) {
				*why = "%00 is not allowed";
				return -1;
			}
			if (c == '/' && (flags & DEC_PATH)) {
				*why = "%2F is not allowed in the path";
				return -1;
			}
		} else if (c == '+' && (flags & DEC_FORM))
			c = ' ';
		if (o + 1 >= outlen) {
			*why = "too long";
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

/*
 * RFC 3986 request-target bytes: unreserved, sub-delims, ':', '@', '/',
 * '?' and '%' (escapes are checked when decoded).  Everything else,
 * '#', blanks, quotes, controls and non-ASCII included, is refused.
 */
static bool
target_byte(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@/?%", c) != NULL;
}

static int
parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* Validate one parameter value into req; 200 or 400. */
static int
set_param(enum param p, const char *v, int64_t now_s,
    struct api_request *req, char *err, size_t errlen)
{
	char q[QUOTE_MAX * 3 + 4], *end;
	struct cidr c;
	const char *what = NULL;
	size_t len = strlen(v);
	unsigned long long u;
	int64_t back;

	switch (p) {
	case P_HOST:
		/* An address, or (every route taking one) a prefix. */
		if (len >= sizeof(req->host) || cidr_parse(&c, v) == -1)
			what = "is not an IPv4 or IPv6 address or prefix "
			    "(10.0.0.0/8, 2001:db8::/32)";
		else
			memcpy(req->host, v, len + 1);
		break;
	case P_SERVICE:
		if (!catalog_key_valid(v))
			what = "is not a service key ([a-z0-9][a-z0-9-]*, at "
			    "most 47 characters)";
		else
			memcpy(req->service, v, len + 1);
		break;
	case P_SINCE:
	case P_UNTIL:
		if (query_parse_time(v, now_s, p == P_SINCE ? &req->since :
		    &req->until) == -1 || query_parse_time(v, 0, &back) == -1)
			what = "is not a time (2024-01-15T09:00:00Z, "
			    "2024-01-15, epoch seconds or -30m/-1h/-7d)";
		else if (query_time_is_relative(v) && p == P_SINCE) {
			req->since_rel = true;
			req->since_back = -back;
		} else if (query_time_is_relative(v)) {
			req->until_rel = true;
			req->until_back = -back;
		}
		break;
	case P_BY:
		if ((req->top_by = query_top_by_parse(v)) == -1)
			what = "is not bytes, packets, flows or clients";
		break;
	case P_OF:
		if ((req->top_of = query_top_of_parse(v)) == -1)
			what = "is not rows, hosts or services";
		break;
	case P_RESOLUTION:
		if ((req->resolution = query_resolution_parse(v)) == 0)
			what = "is not minute, hour or day";
		break;
	case P_ALL:
		if (parse_bool(v, &req->all) == -1)
			what = "is not 1, 0, true or false";
		break;
	case P_SERVERS:
		if (parse_bool(v, &req->servers) == -1)
			what = "is not 1, 0, true or false";
		break;
	case P_INTERFACES:
		if (parse_bool(v, &req->catalog.interfaces) == -1)
			what = "is not 1, 0, true or false";
		break;
	case P_KIND:
		if ((req->kind = alert_kind_find(v)) == -1)
			what = "is not an alert kind (undocumented_service, "
			    "protocol_mismatch, unmapped_dynamic_port, "
			    "new_service)";
		break;
	case P_PORT:
		/* top and series: a server port; the catalog: its question. */
		if (req->route == API_TOP || req->route == API_SERIES ||
		    req->route == API_OUTBOUND) {
			errno = 0;
			u = strtoull(v, &end, 10);
			if (v[0] < '0' || v[0] > '9' || *end != '\0' ||
			    errno != 0 || u < 1 || u > 65535)
				what = "is not a port number (1..65535)";
			else
				req->port = (int)u;
		} else if (catalog_query_port(&req->catalog, v) == -1)
			what = "is not N, N/tcp or N/udp with N in 1..65535";
		break;
	case P_UUID:
		if (uuid_parse(req->catalog.uuid, v) == -1)
			what = "is not a UUID (8-4-4-4-12 hex digits)";
		else
			req->catalog.uuid_given = true;
		break;
	case P_NAME:
		/* Names are policy-clean text; a pattern adds * ? [ ] ! \\. */
		if (len >= sizeof(req->name) || strpbrk(v, "\"\r\n") != NULL)
			what = "is not a name pattern (a glob, at most 128 "
			    "characters)";
		else
			memcpy(req->name, v, len + 1);
		break;
	case P_ROLE:
		/* A role key: the catalog key syntax, checked here. */
		if (len > CATALOG_ROLE_KEYLEN || !catalog_key_valid(v))
			what = "is not a role key ([a-z0-9][a-z0-9-]*, at most "
			    "30 characters)";
		else
			memcpy(req->role, v, len + 1);
		break;
	case P_FORMAT:
		if (strcmp(v, "csv") == 0)
			req->csv = true;
		else if (strcmp(v, "json") != 0)
			what = "is not json or csv";
		break;
	case P_LIMIT:
		/* top: entries (0: all); the paged routes: rows of a page. */
		errno = 0;
		u = strtoull(v, &end, 10);
		if (req->route == API_TOP) {
			if (v[0] < '0' || v[0] > '9' || *end != '\0' ||
			    errno != 0)
				what = "is not a number of entries (0: all)";
			else
				req->limit = u;
		} else if (v[0] < '0' || v[0] > '9' || *end != '\0' ||
		    errno != 0 || u == 0 || u > API_LIMIT_MAX)
			what = "is not a number of rows (1..100000000)";
		else
			req->limit = u;
		break;
	case P_CURSOR:
		/* The route is known: parameters come after the path. */
		if (route_kind(req->route) < 0 ||
		    query_cursor_parse((enum query_kind)route_kind(req->route),
		    v, &req->after) == -1)
			what = "is not a cursor of this route (give back the "
			    "X-Next-Cursor header of the previous page)";
		else
			req->has_cursor = true;
		break;
	case P__COUNT:
		break;
	}
	if (what != NULL)
		return fail(err, errlen, 400, "parameter \"%s\": \"%s\" %s",
		    param_names[p], quote(v, len, q), what);
	return 200;
}

static int
unknown_param(const struct route *r, const char *name, size_t n, char *err,
    size_t errlen)
{
	char q[QUOTE_MAX * 3 + 4], list[128] = "";
	size_t off = 0;
	int i;

	for (i = 0; i < P__COUNT; i++)
		if ((r->params & PB(i)) != 0)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", off ? ", " : "", param_names[i]);
	return fail(err, errlen, 400, "unknown parameter \"%s\" for %s (%s%s)",
	    quote(name, n, q), r->path, off ? "accepted: " : "it takes none",
	    list);
}

/* The query string q[0..n): name=value pairs separated by '&'. */
static int
parse_query(const struct route *r, const char *q, size_t n, int64_t now_s,
    struct api_request *req, char *err, size_t errlen)
{
	char name[NAME_MAX_LEN + 1], value[QUERY_CURSOR_LEN];
	char qn[QUOTE_MAX * 3 + 4];
	const char *p = q, *end = q + n, *amp, *eq, *why;
	unsigned seen = 0;
	int i, st, vmax;

	for (; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;	/* "a=1&&b=2", a trailing '&' */
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (pct_decode(p, (size_t)(eq - p), DEC_FORM, name,
		    sizeof(name), &why) == -1) {
			if (strcmp(why, "too long") == 0)
				return unknown_param(r, p, (size_t)(eq - p),
				    err, errlen);
			return fail(err, errlen, 400, "parameter name \"%s\": "
			    "%s", quote(p, (size_t)(eq - p), qn), why);
		}
		for (i = 0; i < P__COUNT; i++)
			if ((r->params & PB(i)) != 0 &&
			    strcmp(name, param_names[i]) == 0)
				break;
		if (i == P__COUNT)
			return unknown_param(r, name, strlen(name), err,
			    errlen);
		if ((seen & PB(i)) != 0)
			return fail(err, errlen, 400, "parameter \"%s\" given "
			    "more than once", name);
		seen |= PB(i);
		if (eq == amp)
			return fail(err, errlen, 400, "parameter \"%s\" needs "
			    "a value (%s=...)", name, name);
		/* A cursor is longer than any other value. */
		vmax = i == P_CURSOR ? QUERY_CURSOR_LEN - 1 : API_MAX_VALUE;
		if (pct_decode(eq + 1, (size_t)(amp - eq - 1), DEC_FORM, value,
		    vmax + 1, &why) == -1) {
			if (strcmp(why, "too long") == 0)
				return fail(err, errlen, 400, "parameter "
				    "\"%s\": value longer than %d bytes", name,
				    vmax);
			return fail(err, errlen, 400, "parameter \"%s\": %s",
			    name, why);
		}
		if (value[0] == '\0')
			return fail(err, errlen, 400, "parameter \"%s\" is "
			    "empty", name);
		if ((st = set_param((enum param)i, value, now_s, req, err,
		    errlen)) != 200)
			return st;
		if (amp == end)
			break;
	}
	return 200;
}

int
api_parse_request(const char *method, const char *uri, int64_t now_s,
    struct api_request *req, char *err, size_t errlen)
{
	char path[API_MAX_URI + 1], q[QUOTE_MAX * 3 + 4];
	const char *target, *qmark, *end, *why;
	const struct route *r = NULL;
	size_t len, i;

	memset(req, 0, sizeof(*req));
	req->kind = -1;
	req->resolution = 60;
	catalog_query_init(&req->catalog);
	if (errlen > 0)
		err[0] = '\0';

	if ((len = strnlen(uri, API_MAX_URI + 1)) > API_MAX_URI)
		return fail(err, errlen, 414, "request target longer than %d "
		    "bytes", API_MAX_URI);
	for (i = 0; i < len; i++)
		if (!target_byte((unsigned char)uri[i]))
			return fail(err, errlen, 400, "byte 0x%02x at offset "
			    "%zu is not allowed in a request target (escape "
			    "it as %%%02X)", (unsigned char)uri[i], i,
			    (unsigned char)uri[i]);
	end = uri + len;

	/* RFC 9112 3.2.2: absolute form; the authority is not ours to check. */
	target = uri;
	if (strncasecmp(uri, "http://", 7) == 0 ||
	    strncasecmp(uri, "https://", 8) == 0) {
		target = strstr(uri, "//") + 2;
		target += strcspn(target, "/?");
	} else if (uri[0] != '/')
		return fail(err, errlen, 400, "request target \"%s\" is not a "
		    "path", quote(uri, len, q));
	if ((qmark = memchr(target, '?', (size_t)(end - target))) == NULL)
		qmark = end;

	if (pct_decode(target, (size_t)(qmark - target), DEC_PATH, path,
	    sizeof(path), &why) == -1)
		return fail(err, errlen, 400, "path \"%s\": %s",
		    quote(target, (size_t)(qmark - target), q), why);
	for (i = 0; i < API__ROUTES; i++)
		if (strcmp(path, routes[i].path) == 0)
			r = &routes[i];
	if (r == NULL && web_file_type(path + 1) != NULL) {
		r = &routes[API_WEB];
		/* web_file_type() took at most API_WEB_NAME_MAX bytes. */
		memcpy(req->file, path + 1, strlen(path + 1) + 1);
	} else if (r != NULL && r->route == API_WEB)
		snprintf(req->file, sizeof(req->file), "index.html");
	if (r == NULL) {
		char list[256];
		size_t off = 0;

		list[0] = '\0';
		for (i = 0; i < API__ROUTES && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", i ? ", " : "", routes[i].path);
		return fail(err, errlen, 404, "no route \"%s\" (routes: %s)",
		    quote(path, strlen(path), q), list);
	}
	req->route = r->route;
	/* top: ten entries; the paged routes: 0 is the configured page. */
	if (r->route == API_TOP)
		req->limit = 10;

	if (strcmp(method, "HEAD") == 0)
		req->head = true;
	else if (strcmp(method, "GET") != 0)
		return fail(err, errlen, 405, "method %s not allowed on %s: "
		    "use GET or HEAD", quote(method, strlen(method), q),
		    r->path);

	if (qmark < end) {
		int st = parse_query(r, qmark + 1, (size_t)(end - qmark - 1),
		    now_s, req, err, errlen);

		if (st != 200)
			return st;
	}
	if (catalog_query_conflict(&req->catalog))
		return fail(err, errlen, 400, "parameter \"port\" lists port "
		    "rows: it does not combine with \"uuid\" or "
		    "\"interfaces\"");
	return 200;
}

/* ------------------------------------------------------------------ */
/* The server */

/*
 * Threads.  evhttp is not thread-safe across one connection, so every
 * evhttp call stays on the loop thread.  A database request becomes a
 * job that one of a small fixed pool of reader threads answers into an
 * evbuffer of its own, each thread through its own read-only reader;
 * the loop sends the reply when the done event fires (event_active()
 * from the thread).  We chose this over an evhttp per thread: one
 * listener, one connection count and one deadline table on one thread,
 * while a query, however long, holds a reader thread and never the loop
 * that flushes and answers /v1/status.  /v1/status, /metrics and
 * /v1/catalog are answered on the loop from memory and never queue.
 */

/*
 * Replies counted by status, for svcmap_api_requests_total: every status
 * this file sends.  evhttp's own refusals (a request it cannot parse,
 * 413 for a body over API_MAX_BODY, 501 for an unknown method) never
 * reach us and are not counted.
 */
static const int counted_codes[] = { 200, 304, 400, 404, 405, 414, 500,
    503 };
#define NCODES	(sizeof(counted_codes) / sizeof(counted_codes[0]))

/* A database request between the loop and a reader thread. */
struct job {
	struct job		*next;
	struct evhttp_request	*req;	/* the loop's; never touched by
					   the thread */
	struct api_request	 r;
	/* Filled by the thread. */
	int			 code;	/* 200, else err for the client */
	bool			 csv;
	struct evbuffer		*body;
	bool			 more;	/* cursor names the next page */
	char			 cursor[QUERY_CURSOR_LEN];
	char			 time_ref[64];	/* X-Time-Reference; "" none */
	char			 err[512];
};

struct jobq {
	struct job	*head;
	struct job	**tail;
};

/* One accepted connection, from accept to close (loop thread only). */
struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct api		*a;
	struct bufferevent	*bev;	/* ours until adopted (a reference) */
	struct evhttp_connection *evcon;	/* NULL until adopted */
	struct event		*deadline;
	bool			 busy;	/* a job is out for it */
};
TAILQ_HEAD(conn_list, conn);

struct worker {
	struct api	*a;
	pthread_t	 thread;
	bool		 started;
	struct reader	*reader;	/* NULL until readable */
	struct json	 j;
};

struct api {
	struct event_base	*base;
	struct evhttp		*http;
	struct evhttp_bound_socket *sock;
	struct evconnlistener	*lev;
	uint16_t		 port;
	char			*db_path;
	char			*web_dir;	/* NULL: no web map */
	const struct catalog	*cat;
	api_status_fn		 status;
	void			*status_arg;
	struct api_config	 cfg;
	struct evbuffer		*body;		/* the reply being sent */
	struct json		 j;
	uint64_t		 replies[NCODES];

	/* Connections (loop thread). */
	struct conn_list	 conns;
	unsigned		 nconns;
	bool			 paused;	/* accept off: at the cap */
	bool			 stopping;
	struct event		*adopt_ev;
	struct event		*accept_retry_ev;
	uint64_t		 accept_pauses;
	uint64_t		 deadlines;	/* connections cut */

	/* Jobs: mu guards todo, done, quit and the catalog's users. */
	pthread_mutex_t		 mu;
	pthread_cond_t		 todo_cv;
	pthread_cond_t		 cat_cv;
	struct jobq		 todo;
	struct jobq		 done;
	unsigned		 queued;	/* in todo or being answered */
	bool			 quit;
	unsigned		 cat_users;	/* threads reading a->cat */
	bool			 cat_swap;	/* api_set_catalog() waits */
	struct event		*done_ev;
	struct worker		*workers;
	unsigned		 nworkers;
};

/* How long a client may stay idle sending a request or reading a reply. */
#define API_TIMEOUT_S		10
/* Requests are a line and a few headers; bodies are never read. */
#define API_MAX_HEADERS		8192
#define API_MAX_BODY		4096
/* Descriptors kept from the connection cap for everything else. */
#define API_FD_RESERVE		32

#define CT_JSON		"application/json"
#define CT_CSV		"text/csv; charset=utf-8; header=present"
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

void
api_config_defaults(struct api_config *c)
{
	/* The same values as config.c's table (svcmapd.conf(5)). */
	c->threads = 2;
	c->limit_default = 1000;
	c->limit_max = 10000;
	c->reply_max = 16 * 1024 * 1024;
	c->max_connections = 64;
	c->request_timeout_s = 30;
	c->web_dir = NULL;
}

static void
jobq_init(struct jobq *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	*q->tail = j;
	q->tail = &j->next;
}

static struct job *
jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j != NULL && (q->head = j->next) == NULL)
		q->tail = &q->head;
	return j;
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->body != NULL)
		evbuffer_free(j->body);
	free(j);
}

/* ------------------------------------------------------------------ */
/* libevent's log, rate-limited */

/*
 * libevent logs through this from any thread.  At the fd limit an
 * accept loop can log the same line millions of times: each kind of
 * message (its text without digits) gets at most one line a second, and
 * the next line of that kind says how many were suppressed.
 */
#define LOG_SLOTS	32

static struct {
	pthread_mutex_t	 mu;
	struct {
		uint32_t	 kind;
		int64_t		 sec;
		uint64_t	 suppressed;
	} slot[LOG_SLOTS];
} evlog = { PTHREAD_MUTEX_INITIALIZER, { { 0, 0, 0 } } };

static uint32_t
log_kind(const char *msg)
{
	uint32_t h = 2166136261u;

	for (; *msg != '\0'; msg++)
		if (*msg < '0' || *msg > '9')
			h = (h ^ (unsigned char)*msg) * 16777619u;
	return h != 0 ? h : 1;
}

/*
 * Log who's msg unless its kind already logged this second; thread-safe.
 */
static void
log_limited(int severity, const char *who, const char *msg)
{
	char more[64] = "";
	struct timespec ts;
	uint32_t kind = log_kind(msg);
	uint64_t gone = 0, old = 0;
	size_t i = kind % LOG_SLOTS;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&evlog.mu);
	if (evlog.slot[i].kind == kind && evlog.slot[i].sec == ts.tv_sec) {
		evlog.slot[i].suppressed++;
		pthread_mutex_unlock(&evlog.mu);
		return;
	}
	if (evlog.slot[i].kind == kind)
		gone = evlog.slot[i].suppressed;
	else
		old = evlog.slot[i].suppressed;	/* another kind's count */
	evlog.slot[i].kind = kind;
	evlog.slot[i].sec = ts.tv_sec;
	evlog.slot[i].suppressed = 0;
	pthread_mutex_unlock(&evlog.mu);

	if (old > 0)
		log_warnx("%s: %" PRIu64 " more lines of another kind "
		    "suppressed", who, old);
	if (gone > 0)
		snprintf(more, sizeof(more), " (%" PRIu64 " similar lines "
		    "suppressed)", gone);
	if (severity >= EVENT_LOG_WARN)
		log_warnx("%s: %s%s", who, msg, more);
	else
		log_info("%s: %s%s", who, msg, more);
}

static void
on_evlog(int severity, const char *msg)
{
	if (severity != EVENT_LOG_DEBUG)
		log_limited(severity, "libevent", msg);
}

/* ------------------------------------------------------------------ */
/* Replies */

static void
count_reply(struct api *a, int code)
{
	size_t i;

	for (i = 0; i < NCODES; i++)
		if (counted_codes[i] == code)
			a->replies[i]++;
}

/*
 * Send a->body with `code`.  HEAD (and CONNECT, which evhttp also sends
 * without a body) gets the headers the GET would get, Content-Length
 * included, and no body: evhttp would otherwise write it after them.
 */
static void
send_body_cache(struct api *a, struct evhttp_request *req, int code,
    const char *type, const char *cache)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	size_t len = evbuffer_get_length(a->body);
	char clen[24];

	count_reply(a, code);
	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", cache);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (code == 405)
		evhttp_add_header(h, "Allow", "GET, HEAD");
	if (cmd == EVHTTP_REQ_HEAD || cmd == EVHTTP_REQ_CONNECT) {
		snprintf(clen, sizeof(clen), "%zu", len);
		evhttp_add_header(h, "Content-Length", clen);
		evbuffer_drain(a->body, len);
		evhttp_send_reply(req, code, NULL, NULL);
	} else
		evhttp_send_reply(req, code, NULL, a->body);
}

/* The answers of the data: never cached, they change with every flush. */
static void
send_body(struct api *a, struct evhttp_request *req, int code,
    const char *type)
{
	send_body_cache(a, req, code, type, "no-store");
}

static void
send_error(struct api *a, struct evhttp_request *req, int code,
    const char *msg)
{
	json_reset(&a->j);
	json_object_begin(&a->j);
	json_kv_string(&a->j, "error", msg);
	json_object_end(&a->j);
	evbuffer_drain(a->body, evbuffer_get_length(a->body));
	if (json_failed(&a->j) ||
	    evbuffer_add_printf(a->body, "%s\n", a->j.buf) == -1) {
		/* Out of memory: evhttp's own page, it needs less. */
		count_reply(a, 500);
		evbuffer_drain(a->body, evbuffer_get_length(a->body));
		evhttp_send_error(req, 500, NULL);
		return;
	}
	send_body(a, req, code, CT_JSON);
}

/* The JSON document in a->j, as svcmapctl prints it (with a newline). */
static void
send_json(struct api *a, struct evhttp_request *req)
{
	evbuffer_drain(a->body, evbuffer_get_length(a->body));
	if (json_failed(&a->j) ||
	    evbuffer_add(a->body, a->j.buf, a->j.len) == -1 ||
	    evbuffer_add(a->body, "\n", 1) == -1) {
		send_error(a, req, 500, "out of memory");
		return;
	}
	send_body(a, req, 200, CT_JSON);
}

/*
 * The records of a reply: JSON into j (the bytes are svcmapctl --json's),
 * CSV into a memory stream.
 */
struct reply {
	struct record_out out;
	struct json	*j;
	FILE		*f;
	char		*text;
	size_t		 len;
};

static int
reply_begin(struct json *j, struct reply *rp, bool csv,
    const struct record_table *const *kinds, size_t nkinds)
{
	memset(rp, 0, sizeof(*rp));
	rp->j = j;
	json_reset(j);
	if (csv && (rp->f = open_memstream(&rp->text, &rp->len)) == NULL)
		return -1;
	record_out_begin(&rp->out, csv ? RECORD_CSV : RECORD_JSON, kinds,
	    nkinds, j, rp->f, true);
	return 0;
}

/*
 * Close the records into body (JSON with svcmapctl's newline, or CSV).
 * @return: 0, or -1 out of memory.
 */
static int
reply_finish(struct reply *rp, struct evbuffer *body)
{
	int end = record_out_end(&rp->out);

	if (rp->f != NULL && fclose(rp->f) != 0)
		end = -1;
	rp->f = NULL;
	if (end == 0) {
		if (rp->text != NULL)
			end = evbuffer_add(body, rp->text, rp->len);
		else if (json_failed(rp->j) ||
		    evbuffer_add(body, rp->j->buf, rp->j->len) == -1 ||
		    evbuffer_add(body, "\n", 1) == -1)
			end = -1;
	}
	free(rp->text);
	rp->text = NULL;
	return end;
}

/* Drop the records (the query failed). */
static void
reply_abort(struct reply *rp)
{
	record_out_end(&rp->out);
	if (rp->f != NULL)
		fclose(rp->f);
	rp->f = NULL;
	free(rp->text);
	rp->text = NULL;
}

/* The reply's size so far, for the page's byte cap. */
static uint64_t
reply_size(struct reply *rp)
{
	off_t o;

	if (rp->f == NULL)
		return rp->j->len;
	return (o = ftello(rp->f)) > 0 ? (uint64_t)o : 0;
}

/* ------------------------------------------------------------------ */
/* Pages (reader threads) */

/*
 * One page of rows: at most `limit` rows and about `cap` bytes (the row
 * that passes the cap is the last; a page holds one row at least, so a
 * walk always moves).  The query is asked for limit + 1 rows: a row past
 * the page means there is a next page, whose cursor is the last row's
 * key.
 */
struct pager {
	struct reply	*rp;
	uint64_t	 limit;
	uint64_t	 cap;
	uint64_t	 n;
	bool		 more;
	struct query_key last;
};

static bool
page_full(struct pager *p)
{
	if (p->more || p->n >= p->limit ||
	    (p->n > 0 && reply_size(p->rp) >= p->cap)) {
		p->more = true;
		return true;
	}
	return false;
}

static void
page_service(void *arg, const struct query_service *r)
{
	struct pager *p = arg;

	if (page_full(p))
		return;
	record_service_row(&p->rp->out, r);
	query_key_service(r, &p->last);
	p->n++;
}

static void
page_host(void *arg, const struct query_host *r)
{
	struct pager *p = arg;

	if (page_full(p))
		return;
	record_host_row(&p->rp->out, r);
	query_key_host(r, &p->last);
	p->n++;
}

static void
page_endpoint(void *arg, const struct query_endpoint *r)
{
	struct pager *p = arg;

	if (page_full(p))
		return;
	record_endpoint_row(&p->rp->out, r);
	query_key_endpoint(r, &p->last);
	p->n++;
}

static void
page_outbound(void *arg, const struct query_outbound *r)
{
	struct pager *p = arg;

	if (page_full(p))
		return;
	record_outbound_row(&p->rp->out, r);
	query_key_outbound(r, &p->last);
	p->n++;
}

static void
page_outbound_server(void *arg, const struct query_outbound *r)
{
	struct pager *p = arg;

	if (page_full(p))
		return;
	record_outbound_server_row(&p->rp->out, r);
	query_key_outbound(r, &p->last);
	p->n++;
}

static void
page_attempt(void *arg, const struct query_attempt *r)
{
	struct pager *p = arg;

	if (page_full(p))
		return;
	record_attempt_row(&p->rp->out, r);
	query_key_attempt(r, &p->last);
	p->n++;
}

static void
page_alert(void *arg, const struct alert_record *r)
{
	struct pager *p = arg;

	if (page_full(p))
		return;
	record_alert_row(&p->rp->out, r);
	query_key_alert(r, &p->last);
	p->n++;
}

/*
 * The read connection of this thread, checked at each job: a store
 * replaced or removed since it was opened is opened afresh
 * (reader_stale(): for SQLite one stat(), no SQL).
 */
static struct reader *
worker_db(struct worker *w, char *err, size_t errlen)
{
	char why[400];

	if (w->reader != NULL && reader_stale(w->reader)) {
		reader_close(w->reader);
		w->reader = NULL;
	}
	if (w->reader == NULL && (w->reader = reader_open(w->a->db_path, why,
	    sizeof(why))) == NULL)
		snprintf(err, errlen, "database %s", why);
	return w->reader;
}

/*
 * since and until of the request against the database's time reference
 * (svcmapctl's rule: the newest packet of capture-file runs, else the
 * wall clock).  The reply names it in X-Time-Reference (jb->time_ref)
 * when a relative time used it, and always for top and series.
 * @return: 0, or -1 with jb->err.
 */
static int
resolve_times(struct reader *s, struct job *jb, struct query_time_ref *ref,
    int64_t *since, int64_t *until)
{
	const struct api_request *r = &jb->r;
	char b[32];

	*since = r->since;
	*until = r->until;
	memset(ref, 0, sizeof(*ref));
	if (!r->since_rel && !r->until_rel &&
	    r->route != API_TOP && r->route != API_SERIES)
		return 0;
	if (query_time_reference(s, (int64_t)time(NULL), ref, jb->err,
	    sizeof(jb->err)) == -1)
		return -1;
	if (r->since_rel)
		*since = ref->at - r->since_back;
	if (r->until_rel)
		*until = ref->at - r->until_back;
	snprintf(jb->time_ref, sizeof(jb->time_ref), "%s %s", ref->reference,
	    json_time(ref->at, b));
	return 0;
}

/*
 * /v1/top and /v1/series: svcmapctl top and series --json, an object
 * with the window and the records under "rows"; format=csv the records.
 * One answer, not paged: top is bounded by its limit, a series by its
 * window and resolution.
 * @return: 0 (jb->code says how it went), or -1 the query failed.
 */
static int
run_window(struct worker *w, struct job *jb, const struct catalog *cat,
    struct reader *s, const struct query_time_ref *ref, int64_t since,
    int64_t until)
{
	const struct api_request *r = &jb->r;
	const struct record_table *kind = r->route == API_TOP ? &record_top :
	    &record_series;
	struct query_window win;
	struct reply rp;
	int rc, end;

	if (r->route == API_SERIES && r->service[0] == '\0') {
		jb->code = 400;
		snprintf(jb->err, sizeof(jb->err), "parameter \"service\" is "
		    "required (a key, or undocumented)");
		return 0;
	}
	memset(&win, 0, sizeof(win));
	if (r->host[0] != '\0' && cidr_parse(&win.host, r->host) == 0)
		win.has_host = true;
	win.service = r->service[0] != '\0' ? r->service : NULL;
	win.port = r->port;
	win.all = r->all;
	win.since = since;
	win.until = until;

	memset(&rp, 0, sizeof(rp));
	rp.j = &w->j;
	json_reset(&w->j);
	jb->code = 500;
	snprintf(jb->err, sizeof(jb->err), "out of memory");
	if (r->csv && (rp.f = open_memstream(&rp.text, &rp.len)) == NULL)
		return 0;
	if (!r->csv) {
		json_object_begin(&w->j);
		query_window_json(&w->j, &win, ref);
		if (r->route == API_TOP) {
			json_kv_string(&w->j, "of",
			    query_top_of_name((enum query_top_of)r->top_of));
			json_kv_string(&w->j, "by",
			    query_top_by_name((enum query_top_by)r->top_by));
			json_kv_uint(&w->j, "limit", r->limit);
		} else {
			json_kv_string(&w->j, "service", win.service);
			json_kv_string(&w->j, "resolution",
			    query_resolution_name(r->resolution));
		}
		json_key(&w->j, "rows");
	}
	record_out_begin(&rp.out, r->csv ? RECORD_CSV : RECORD_JSON, &kind, 1,
	    &w->j, rp.f, true);
	jb->err[0] = '\0';
	if (r->route == API_TOP)
		rc = query_top(s, cat, &win, (enum query_top_of)r->top_of,
		    (enum query_top_by)r->top_by, r->limit, record_top_row,
		    &rp.out, jb->err, sizeof(jb->err));
	else
		rc = query_series(s, &win, r->resolution, record_bucket_row,
		    &rp.out, jb->err, sizeof(jb->err));
	end = record_out_end(&rp.out);
	if (rp.f != NULL && fclose(rp.f) != 0)
		end = -1;
	if (!r->csv)
		json_object_end(&w->j);
	if (rc == -1) {
		free(rp.text);
		return -1;
	}
	if (end == 0 && (jb->body = evbuffer_new()) != NULL) {
		if (rp.text != NULL)
			end = evbuffer_add(jb->body, rp.text, rp.len);
		else if (json_failed(&w->j) ||
		    evbuffer_add(jb->body, w->j.buf, w->j.len) == -1 ||
		    evbuffer_add(jb->body, "\n", 1) == -1)
			end = -1;
	} else
		end = -1;
	free(rp.text);
	if (end == -1) {
		snprintf(jb->err, sizeof(jb->err), "out of memory");
		return 0;
	}
	jb->csv = r->csv;
	jb->code = 200;
	return 0;
}

/*
 * /v1/host?host=IP: svcmapctl host IP --json, one address whether it
 * serves or not; 404 when nothing knows it.  JSON only.
 * @return: 0 (jb->code says how it went), or -1 the query failed.
 */
static int
run_host(struct worker *w, struct job *jb, const struct catalog *cat,
    struct reader *s)
{
	const struct api_request *r = &jb->r;
	bool found = false;

	jb->code = 400;
	if (r->host[0] == '\0') {
		snprintf(jb->err, sizeof(jb->err), "parameter \"host\" is "
		    "required");
		return 0;
	}
	/* set_param() takes a prefix for every route: this one wants one. */
	if (strchr(r->host, '/') != NULL) {
		snprintf(jb->err, sizeof(jb->err), "parameter \"host\" is "
		    "one address here, not a prefix");
		return 0;
	}
	json_reset(&w->j);
	jb->err[0] = '\0';
	if (query_host_json(s, cat, r->host, &w->j, &found, jb->err,
	    sizeof(jb->err)) == -1)
		return -1;
	if (!found) {
		jb->code = 404;
		snprintf(jb->err, sizeof(jb->err), "nothing known of this "
		    "address");
		return 0;
	}
	jb->code = 500;
	if ((jb->body = evbuffer_new()) == NULL || json_failed(&w->j) ||
	    evbuffer_add(jb->body, w->j.buf, w->j.len) == -1 ||
	    evbuffer_add(jb->body, "\n", 1) == -1) {
		snprintf(jb->err, sizeof(jb->err), "out of memory");
		return 0;
	}
	jb->csv = false;
	jb->code = 200;
	return 0;
}

/* /v1/summary: svcmapctl summary --json. */
static int
run_summary(struct worker *w, struct job *jb, struct reader *s)
{
	struct query_summary m;

	jb->err[0] = '\0';
	if (query_summary(s, &m, jb->err, sizeof(jb->err)) == -1)
		return -1;
	json_reset(&w->j);
	query_summary_json(&w->j, &m);
	query_summary_free(&m);
	jb->code = 500;
	if ((jb->body = evbuffer_new()) == NULL || json_failed(&w->j) ||
	    evbuffer_add(jb->body, w->j.buf, w->j.len) == -1 ||
	    evbuffer_add(jb->body, "\n", 1) == -1) {
		snprintf(jb->err, sizeof(jb->err), "out of memory");
		return 0;
	}
	jb->csv = false;
	jb->code = 200;
	return 0;
}

/* The database routes: the same calls as svcmapctl's commands. */
static void
run_job(struct worker *w, struct job *jb, const struct catalog *cat)
{
	static const struct record_table *const kinds[] = {
		[API_SERVICES] = &record_services,
		[API_HOSTS] = &record_hosts,
		[API_ENDPOINTS] = &record_endpoints,
		[API_ALERTS] = &record_alerts,
		[API_OPERATIONS] = &record_operations,
		[API_OUTBOUND] = &record_outbound,
		[API_ATTEMPTS] = &record_attempts,
	};
	static const struct record_table *const servers_kind =
	    &record_outbound_servers;
	const struct api_config *c = &w->a->cfg;
	const struct api_request *r = &jb->r;
	struct query_outbound_filter obf;
	struct query_host_filter hf;
	struct query_op_filter of;
	struct query_filter f;
	struct query_page pg;
	struct pager p;
	struct reader *s;
	struct reply rp;
	struct query_time_ref ref;
	int64_t since, until;
	int rc = -1;

	jb->code = 503;
	if ((s = worker_db(w, jb->err, sizeof(jb->err))) == NULL)
		return;
	if (resolve_times(s, jb, &ref, &since, &until) == -1 ||
	    (r->route == API_TOP || r->route == API_SERIES ?
	    run_window(w, jb, cat, s, &ref, since, until) : 0) == -1 ||
	    (r->route == API_HOST ? run_host(w, jb, cat, s) : 0) == -1 ||
	    (r->route == API_SUMMARY ? run_summary(w, jb, s) : 0) == -1) {
		reader_close(w->reader);
		w->reader = NULL;
		jb->code = 503;
		return;
	}
	if (r->route == API_TOP || r->route == API_SERIES ||
	    r->route == API_HOST || r->route == API_SUMMARY)
		return;
	jb->code = 500;
	if (r->route > API_ATTEMPTS ||
	    reply_begin(&w->j, &rp, r->csv, r->route == API_OUTBOUND &&
	    r->servers ? &servers_kind : &kinds[r->route], 1) == -1) {
		snprintf(jb->err, sizeof(jb->err), "out of memory");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.rp = &rp;
	p.limit = r->limit == 0 ? c->limit_default :
	    r->limit < c->limit_max ? r->limit : c->limit_max;
	p.cap = c->reply_max;
	pg.after = r->has_cursor ? &r->after : NULL;
	pg.limit = p.limit + 1;
	switch (r->route) {
	case API_SERVICES:
		memset(&f, 0, sizeof(f));
		f.host = r->host[0] != '\0' ? r->host : NULL;
		f.service = r->service[0] != '\0' ? r->service : NULL;
		f.since = since;
		f.until = until;
		f.all = r->all;
		rc = query_services_page(s, cat, &f, &pg, page_service, &p,
		    jb->err, sizeof(jb->err));
		break;
	case API_HOSTS:
		memset(&hf, 0, sizeof(hf));
		hf.ip = r->host[0] != '\0' ? r->host : NULL;
		hf.name = r->name[0] != '\0' ? r->name : NULL;
		hf.role = r->role[0] != '\0' ? r->role : NULL;
		hf.cat = cat;
		rc = query_hosts_where(s, &hf, &pg, page_host, &p, jb->err,
		    sizeof(jb->err));
		break;
	case API_ENDPOINTS:
		rc = query_endpoints_page(s, cat, &pg, page_endpoint, &p,
		    jb->err, sizeof(jb->err));
		break;
	case API_ALERTS:
		rc = query_alerts_page(s, r->kind >= 0 ?
		    alert_kind_name((enum alert_kind)r->kind) : NULL, since,
		    until, &pg, page_alert, &p, jb->err, sizeof(jb->err));
		break;
	case API_OUTBOUND:
		memset(&obf, 0, sizeof(obf));
		obf.servers = r->servers;
		obf.host = r->host[0] != '\0' ? r->host : NULL;
		obf.port = r->port;
		obf.since = since;
		obf.until = until;
		rc = query_outbound_page(s, &obf, &pg, r->servers ?
		    page_outbound_server : page_outbound, &p, jb->err,
		    sizeof(jb->err));
		break;
	case API_OPERATIONS:
		memset(&of, 0, sizeof(of));
		of.host = r->host[0] != '\0' ? r->host : NULL;
		of.service = r->service[0] != '\0' ? r->service : NULL;
		/* Not paged: one row per (server, interface, opnum) seen. */
		rc = query_operations(s, cat, &of, record_operation_row,
		    &rp.out, jb->err, sizeof(jb->err));
		break;
	case API_ATTEMPTS:
		memset(&f, 0, sizeof(f));
		f.host = r->host[0] != '\0' ? r->host : NULL;
		f.since = since;
		f.until = until;
		rc = query_attempts_page(s, cat, &f, &pg, page_attempt, &p,
		    jb->err, sizeof(jb->err));
		break;
	default:
		break;
	}
	if (rc == -1) {
		/* After a failed query, the next job opens the file afresh. */
		reader_close(w->reader);
		w->reader = NULL;
		jb->code = 503;
		reply_abort(&rp);
		return;
	}
	if ((jb->body = evbuffer_new()) == NULL ||
	    reply_finish(&rp, jb->body) == -1) {
		snprintf(jb->err, sizeof(jb->err), "out of memory");
		return;
	}
	jb->csv = r->csv;
	jb->more = p.more && query_cursor_format(
	    (enum query_kind)route_kind(r->route), &p.last, jb->cursor,
	    sizeof(jb->cursor)) == 0;
	jb->code = 200;
	/* A page's text can be large: do not keep its memory for good. */
	if (w->j.cap > 4 * 1024 * 1024) {
		json_free(&w->j);
		json_init(&w->j);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct api *a = w->a;
	const struct catalog *cat;
	struct job *jb;

	for (;;) {
		pthread_mutex_lock(&a->mu);
		while (!a->quit && (a->todo.head == NULL || a->cat_swap))
			pthread_cond_wait(&a->todo_cv, &a->mu);
		if (a->quit) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		jb = jobq_pop(&a->todo);
		cat = a->cat;
		a->cat_users++;
		pthread_mutex_unlock(&a->mu);

		run_job(w, jb, cat);

		pthread_mutex_lock(&a->mu);
		if (--a->cat_users == 0)
			pthread_cond_broadcast(&a->cat_cv);
		jobq_push(&a->done, jb);
		pthread_mutex_unlock(&a->mu);
		event_active(a->done_ev, EV_READ, 0);
	}
	reader_close(w->reader);
	w->reader = NULL;
	json_free(&w->j);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Connections: the cap, the deadline */

static struct conn *
conn_of(struct api *a, struct evhttp_connection *evcon)
{
	struct conn *c;

	if (evcon == NULL)
		return NULL;
	TAILQ_FOREACH(c, &a->conns, entry)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

static void
deadline_arm(struct conn *c)
{
	struct timeval tv = { (time_t)c->a->cfg.request_timeout_s, 0 };

	if (c->deadline != NULL && !c->busy)
		event_add(c->deadline, &tv);
}

static void
accept_resume(struct api *a)
{
	if (a->paused && !a->stopping && a->nconns < a->cfg.max_connections &&
	    !evtimer_pending(a->accept_retry_ev, NULL)) {
		evconnlistener_enable(a->lev);
		a->paused = false;
	}
}

static void
conn_drop(struct conn *c)
{
	struct api *a = c->a;

	TAILQ_REMOVE(&a->conns, c, entry);
	if (c->deadline != NULL)
		event_free(c->deadline);
	free(c);
	a->nconns--;
	accept_resume(a);
}

static void
on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	conn_drop(arg);
}

/*
 * A client that has not completed its request request-timeout seconds
 * after accept (or after its previous reply was handed to evhttp) is cut:
 * evhttp's own timeout is an idle timeout, which a header line every few
 * seconds resets forever.
 */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->busy || c->evcon == NULL)
		return;
	c->a->deadlines++;
	/* Calls on_conn_close(), which frees c. */
	evhttp_connection_free(c->evcon);
}

/*
 * libevent 2.1 tells of a new server connection only through the
 * bufferevent callback (evhttp_set_bevcb(); newreqcb is 2.2): the
 * connection is counted there, and adopted once the loop runs again,
 * when evhttp has made it and wired the bufferevent's callbacks to it
 * (their argument is the evhttp_connection).  Our reference on the
 * bufferevent keeps it readable until then, even if evhttp dropped the
 * connection already (its callbacks are then cleared).
 */
static struct bufferevent *
on_new_conn(struct event_base *base, void *arg)
{
	struct api *a = arg;
	struct bufferevent *bev;
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;	/* evhttp makes its own, uncounted */
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL) {
		free(c);
		return NULL;
	}
	bufferevent_incref(bev);
	c->a = a;
	c->bev = bev;
	TAILQ_INSERT_TAIL(&a->conns, c, entry);
	if (++a->nconns >= a->cfg.max_connections && !a->paused) {
		/* listener_read_cb() stops its accept loop at once. */
		evconnlistener_disable(a->lev);
		a->paused = true;
		a->accept_pauses++;
		log_limited(EVENT_LOG_WARN, "API", "connection cap reached, "
		    "accepting paused");
	}
	event_active(a->adopt_ev, EV_READ, 0);
	return bev;
}

static void
on_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	struct conn *c, *next;
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;
	struct bufferevent *bev;
	void *cbarg;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&a->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->bev == NULL)
			continue;
		bev = c->bev;
		c->bev = NULL;
		bufferevent_getcb(bev, &rd, &wr, &ev, &cbarg);
		if (ev == NULL || cbarg == NULL)
			conn_drop(c);	/* evhttp dropped it already */
		else {
			c->evcon = cbarg;
			evhttp_connection_set_closecb(c->evcon, on_conn_close,
			    c);
			/* No memory for its deadline: no connection. */
			if ((c->deadline = evtimer_new(a->base, on_deadline,
			    c)) == NULL)
				evhttp_connection_free(c->evcon);
			else
				deadline_arm(c);
		}
		bufferevent_decref(bev);
	}
}

/*
 * The listener's error callback gets the listener's argument, which is
 * evhttp's own: the API is found by its listener (loop thread only).
 */
static struct api *apis[8];

static struct api *
api_of_listener(struct evconnlistener *lev)
{
	size_t i;

	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
		if (apis[i] != NULL && apis[i]->lev == lev)
			return apis[i];
	return NULL;
}

/*
 * accept() failed for want of descriptors (or memory): libevent would
 * retry at once, forever.  Pause a second.
 */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct api *a = api_of_listener(lev);
	struct timeval tv = { 1, 0 };
	char msg[160];

	(void)arg;
	if (a == NULL) {
		/* Not registered (more APIs than apis[]): no pause. */
		log_limited(EVENT_LOG_WARN, "API", "accept failed");
		return;
	}
	snprintf(msg, sizeof(msg), "accept: %s; accepting paused 1s",
	    strerror(errno));
	log_limited(EVENT_LOG_WARN, "API", msg);
	evconnlistener_disable(lev);
	if (!a->paused)
		a->accept_pauses++;
	a->paused = true;
	evtimer_add(a->accept_retry_ev, &tv);
}

static void
on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accept_resume(arg);
}

/* ------------------------------------------------------------------ */
/* Answers */

/*
 * The next page's link: the request target with its cursor replaced
 * (the other parameters as the client wrote them).
 */
static void
next_link(const char *uri, const char *cursor, char *out, size_t outlen)
{
	const char *q, *p, *amp, *end;
	size_t o;

	if (strncasecmp(uri, "http://", 7) == 0 ||
	    strncasecmp(uri, "https://", 8) == 0) {
		uri = strstr(uri, "//") + 2;
		uri += strcspn(uri, "/?");
	}
	end = uri + strlen(uri);
	if ((q = strchr(uri, '?')) == NULL)
		q = end;
	o = (size_t)snprintf(out, outlen, "<%.*s?", (int)(q - uri), uri);
	for (p = q < end ? q + 1 : end; p < end && o < outlen; p = amp + 1) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = end;
		if (amp > p && !(amp - p >= 6 && strncmp(p, "cursor", 6) == 0 &&
		    (amp - p == 6 || p[6] == '=')))
			o += (size_t)snprintf(out + o, outlen - o, "%.*s&",
			    (int)(amp - p), p);
		if (amp == end)
			break;
	}
	if (o < outlen)
		snprintf(out + o, outlen - o, "cursor=%s>; rel=\"next\"",
		    cursor);
}

/* The database routes: queued for a reader thread. */
static void
answer_db(struct api *a, struct evhttp_request *req,
    const struct api_request *r)
{
	struct conn *c;
	struct job *jb;

	if ((jb = calloc(1, sizeof(*jb))) == NULL) {
		send_error(a, req, 500, "out of memory");
		return;
	}
	jb->req = req;
	jb->r = *r;
	/* No deadline while the job is out: the reply re-arms it. */
	if ((c = conn_of(a, evhttp_request_get_connection(req))) != NULL) {
		c->busy = true;
		event_del(c->deadline);
	}
	pthread_mutex_lock(&a->mu);
	jobq_push(&a->todo, jb);
	a->queued++;
	pthread_cond_signal(&a->todo_cv);
	pthread_mutex_unlock(&a->mu);
}

/* Replies of the reader threads, sent on the loop. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	struct evkeyvalq *h;
	struct job *jb;
	struct conn *c;
	char link[API_MAX_URI + QUERY_CURSOR_LEN + 64];

	(void)fd;
	(void)what;
	for (;;) {
		pthread_mutex_lock(&a->mu);
		if ((jb = jobq_pop(&a->done)) != NULL)
			a->queued--;
		pthread_mutex_unlock(&a->mu);
		if (jb == NULL)
			break;
		/* A client gone meanwhile: evhttp frees the request here. */
		c = conn_of(a, evhttp_request_get_connection(jb->req));
		if (jb->code != 200)
			send_error(a, jb->req, jb->code, jb->err);
		else {
			h = evhttp_request_get_output_headers(jb->req);
			if (jb->time_ref[0] != '\0')
				evhttp_add_header(h, "X-Time-Reference",
				    jb->time_ref);
			if (jb->more) {
				evhttp_add_header(h, "X-Next-Cursor",
				    jb->cursor);
				next_link(evhttp_request_get_uri(jb->req),
				    jb->cursor, link, sizeof(link));
				evhttp_add_header(h, "Link", link);
			}
			evbuffer_drain(a->body, evbuffer_get_length(a->body));
			evbuffer_add_buffer(a->body, jb->body);
			send_body(a, jb->req, 200, jb->csv ? CT_CSV : CT_JSON);
		}
		if (c != NULL) {
			c->busy = false;
			deadline_arm(c);
		}
		job_free(jb);
	}
}

static void
answer_catalog(struct api *a, struct evhttp_request *req,
    const struct api_request *r)
{
	static const struct record_table *const kinds[] = {
		&record_catalog_ports, &record_catalog_ifaces
	};
	struct catalog_query q = r->catalog;
	struct catalog_rows rows;
	struct reply rp;
	char msg[128];

	if (a->cat == NULL) {
		send_error(a, req, 503, "no catalog loaded");
		return;
	}
	if (r->service[0] != '\0' &&
	    (q.service = catalog_service_find(a->cat, r->service)) == -1) {
		snprintf(msg, sizeof(msg), "parameter \"service\": unknown "
		    "service \"%s\" (/v1/catalog lists the keys)", r->service);
		send_error(a, req, 400, msg);
		return;
	}
	if (catalog_query_select(a->cat, &q, &rows) == -1) {
		send_error(a, req, 500, "out of memory");
		return;
	}
	if (reply_begin(&a->j, &rp, r->csv, kinds, 2) == -1) {
		catalog_rows_free(&rows);
		send_error(a, req, 500, "out of memory");
		return;
	}
	catalog_query_out(&rp.out, a->cat, &q, &rows, true, true);
	catalog_rows_free(&rows);
	evbuffer_drain(a->body, evbuffer_get_length(a->body));
	if (reply_finish(&rp, a->body) == -1)
		send_error(a, req, 500, "out of memory");
	else
		send_body(a, req, 200, r->csv ? CT_CSV : CT_JSON);
}

static void
kv_time(struct json *j, const char *key, int64_t t)
{
	char buf[32], raw[40];

	json_kv_string(j, key, t != 0 ? json_time(t, buf) : NULL);
	snprintf(raw, sizeof(raw), "%s_s", key);
	json_kv_int(j, raw, t);
}

/* Ask the daemon; false if there is nobody to ask. */
static bool
get_status(struct api *a, struct api_status *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	if (a->status == NULL)
		return false;
	a->status(a->status_arg, st);
	/* The callback's strings and counts are trusted no further. */
	if (st->nifaces > CONFIG_MAX_IFACES)
		st->nifaces = CONFIG_MAX_IFACES;
	for (i = 0; i < st->nifaces; i++)
		st->ifaces[i].name[sizeof(st->ifaces[i].name) - 1] = '\0';
	return true;
}

static void
answer_status(struct api *a, struct evhttp_request *req,
    const struct api_request *r)
{
	struct api_status st;
	struct json *j = &a->j;
	size_t i;

	(void)r;
	if (!get_status(a, &st)) {
		send_error(a, req, 503, "no status source");
		return;
	}
	json_reset(j);
	json_object_begin(j);
	json_kv_string(j, "sensor", st.sensor);
	json_kv_string(j, "version", st.version);
	kv_time(j, "started_at", st.started_at);
	kv_time(j, "now", st.now);
	json_kv_int(j, "uptime_s", st.now > st.started_at ?
	    st.now - st.started_at : 0);
	json_kv_string(j, "status", st.degraded ? "degraded" : "ok");
	json_key(j, "interfaces");
	json_array_begin(j);
	for (i = 0; i < st.nifaces; i++) {
		json_object_begin(j);
		json_kv_string(j, "name", st.ifaces[i].name);
		json_kv_uint(j, "received", st.ifaces[i].received);
		json_kv_uint(j, "dropped", st.ifaces[i].dropped);
		json_kv_uint(j, "if_dropped", st.ifaces[i].if_dropped);
		json_kv_uint(j, "ring_dropped", st.ifaces[i].ring_dropped);
		json_kv_bool(j, "up", st.ifaces[i].up);
		json_object_end(j);
	}
	json_array_end(j);
	json_kv_uint(j, "packets", st.packets);
	json_kv_uint(j, "bytes", st.bytes);
	json_key(j, "packets_by_class");
	json_object_begin(j);
	for (i = 0; i < PKT__COUNT; i++)
		json_kv_uint(j, packet_class_name((enum packet_class)i),
		    st.pkt_class[i]);
	json_object_end(j);
	json_kv_uint(j, "flows", st.flows);
	json_kv_uint(j, "flows_active", st.flows_active);
	json_kv_uint(j, "flow_capacity", st.flow_capacity);
	json_kv_uint(j, "flows_evicted", st.flows_evicted);
	json_kv_uint(j, "endpoints_learned", st.endpoints_learned);
	json_kv_uint(j, "endpoint_capacity", st.endpoint_capacity);
	json_kv_uint(j, "alerts_published", st.alerts_published);
	json_kv_string(j, "db_path", st.db_path);
	json_kv_uint(j, "db_bytes", st.db_bytes);
	json_kv_bool(j, "db_ok", st.db_ok);
	kv_time(j, "last_flush", st.last_flush);
	json_kv_uint(j, "reloads", st.reloads);
	kv_time(j, "last_reload", st.last_reload);
	/* Every registered counter (stats.h), by its stored name. */
	json_key(j, "counters");
	json_object_begin(j);
	for (i = 0; i < counter_ndefs; i++)
		json_kv_uint(j, counter_defs[i].name,
		    counter_get(&st.totals, &counter_defs[i]));
	json_object_end(j);
	json_object_end(j);
	send_json(a, req);
}

/* ------------------------------------------------------------------ */
/* /metrics: Prometheus text exposition format 0.0.4 */

static void
metric_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A label value, escaped as the format says: \\, \" and \n. */
static void
label_value(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*s == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/* name{label="value",...} v: labels[] alternates names and values. */
static void
sample(struct evbuffer *b, const char *name, const char *const *labels,
    size_t nlabels, uint64_t v)
{
	size_t i;

	evbuffer_add_printf(b, "%s", name);
	for (i = 0; i + 1 < nlabels * 2; i += 2) {
		evbuffer_add_printf(b, "%s%s=\"", i ? "," : "{", labels[i]);
		label_value(b, labels[i + 1] != NULL ? labels[i + 1] : "");
		evbuffer_add(b, "\"", 1);
	}
	evbuffer_add_printf(b, "%s %" PRIu64 "\n", nlabels ? "}" : "", v);
}

static void
gauge(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	metric_family(b, name, "gauge", help);
	sample(b, name, NULL, 0, v);
}

static void
counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	metric_family(b, name, "counter", help);
	sample(b, name, NULL, 0, v);
}

static uint64_t
nonneg(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0;
}

static void
answer_metrics(struct api *a, struct evhttp_request *req,
    const struct api_request *r)
{
	static const char *const where[3] = { "kernel", "interface", "ring" };
	struct evbuffer *b = a->body;
	struct api_status st;
	const char *l[4];
	char code[8];
	size_t i, k;

	(void)r;
	if (!get_status(a, &st)) {
		send_error(a, req, 503, "no status source");
		return;
	}
	evbuffer_drain(b, evbuffer_get_length(b));
	metric_family(b, "svcmap_build_info", "gauge",
	    "Version and sensor name of the running svcmapd.");
	l[0] = "version";
	l[1] = st.version;
	l[2] = "sensor";
	l[3] = st.sensor;
	sample(b, "svcmap_build_info", l, 2, 1);
	gauge(b, "svcmap_start_time_seconds",
	    "When svcmapd started, UTC seconds since the epoch.",
	    nonneg(st.started_at));
	gauge(b, "svcmap_uptime_seconds", "Seconds since svcmapd started.",
	    nonneg(st.now - st.started_at));

	/* Every registered counter; a family's rows are adjacent. */
	for (i = 0; i < counter_ndefs; i++) {
		const struct counter_def *c = &counter_defs[i];

		if (i == 0 || strcmp(c->metric, counter_defs[i - 1].metric) != 0)
			metric_family(b, c->metric, c->kind == COUNTER_GAUGE ?
			    "gauge" : "counter", c->help);
		l[0] = "class";
		l[1] = c->class;
		sample(b, c->metric, l, c->class != NULL ? 1 : 0,
		    counter_get(&st.totals, c));
	}
	metric_family(b, "svcmap_decode_total", "counter",
	    "Frames by decode outcome (ok, or why the decoder stopped).");
	for (i = 0; i < DR__COUNT; i++) {
		l[0] = "reason";
		l[1] = decode_reason_name(i);
		sample(b, "svcmap_decode_total", l, 1, st.totals.decode[i]);
	}

	metric_family(b, "svcmap_capture_up", "gauge",
	    "1 while the interface captures, 0 while it is lost and being "
	    "reopened.");
	for (i = 0; i < st.nifaces; i++) {
		l[0] = "interface";
		l[1] = st.ifaces[i].name;
		sample(b, "svcmap_capture_up", l, 1, st.ifaces[i].up ? 1 : 0);
	}
	metric_family(b, "svcmap_capture_received_total", "counter",
	    "Packets the capture received (pcap_stats ps_recv).");
	for (i = 0; i < st.nifaces; i++) {
		l[0] = "interface";
		l[1] = st.ifaces[i].name;
		sample(b, "svcmap_capture_received_total", l, 1,
		    st.ifaces[i].received);
	}
	metric_family(b, "svcmap_capture_dropped_total", "counter",
	    "Packets lost: by the kernel buffer, by the interface, or in "
	    "the capture-to-classifier ring.");
	for (i = 0; i < st.nifaces; i++) {
		const uint64_t v[3] = { st.ifaces[i].dropped,
		    st.ifaces[i].if_dropped, st.ifaces[i].ring_dropped };

		for (k = 0; k < 3; k++) {
			l[0] = "interface";
			l[1] = st.ifaces[i].name;
			l[2] = "where";
			l[3] = where[k];
			sample(b, "svcmap_capture_dropped_total", l, 2, v[k]);
		}
	}

	gauge(b, "svcmap_flow_capacity", "Size of the flow table.",
	    st.flow_capacity);
	gauge(b, "svcmap_endpoints_learned",
	    "RPC endpoints in the learned-endpoint table now.",
	    st.endpoints_learned);
	gauge(b, "svcmap_endpoint_capacity",
	    "Size of the learned-endpoint table.", st.endpoint_capacity);
	counter(b, "svcmap_alerts_published_total",
	    "Alert events published.", st.alerts_published);

	gauge(b, "svcmap_db_bytes", "Size of the database file and its WAL.",
	    st.db_bytes);
	gauge(b, "svcmap_db_write_ok",
	    "1 if the last database write succeeded, else 0.", st.db_ok);
	gauge(b, "svcmap_last_flush_timestamp_seconds",
	    "Time of the last successful database write, UTC seconds; 0 "
	    "none.", nonneg(st.last_flush));
	counter(b, "svcmap_reloads_total", "Configuration reloads (SIGHUP) "
	    "applied.", st.reloads);
	gauge(b, "svcmap_last_reload_timestamp_seconds",
	    "Time of the last reload, UTC seconds; 0 none.",
	    nonneg(st.last_reload));

	metric_family(b, "svcmap_api_requests_total", "counter",
	    "API requests answered, by HTTP status.");
	for (i = 0; i < NCODES; i++) {
		snprintf(code, sizeof(code), "%d", counted_codes[i]);
		l[0] = "code";
		l[1] = code;
		sample(b, "svcmap_api_requests_total", l, 1, a->replies[i]);
	}
	gauge(b, "svcmap_api_connections", "API connections open now.",
	    a->nconns);
	gauge(b, "svcmap_api_connections_max", "API connection cap: "
	    "accepting pauses there (api-max-connections).",
	    a->cfg.max_connections);
	counter(b, "svcmap_api_accept_paused_total", "Times accepting API "
	    "connections paused (at the cap, or accept() failed).",
	    a->accept_pauses);
	counter(b, "svcmap_api_request_timeouts_total", "API connections "
	    "cut at the whole-request deadline (api-request-timeout).",
	    a->deadlines);
	pthread_mutex_lock(&a->mu);
	k = a->queued;
	pthread_mutex_unlock(&a->mu);
	gauge(b, "svcmap_api_queries", "Database requests queued or being "
	    "answered by the reader threads.", k);
	send_body(a, req, 200, CT_METRICS);
}

/* Largest web map file served: ours are a few kilobytes. */
#define WEB_FILE_MAX	(4 * 1024 * 1024)

/*
 * The page's rules for the browser: everything from this origin only, no
 * inline script or style (the page never builds HTML from the data, and
 * this keeps a bug there from running a name a host chose), no framing.
 */
#define WEB_CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	"form-action 'none'; frame-ancestors 'none'"

/*
 * A web map file, on the loop: the files are small and local, read
 * through the page cache.  "no-cache" with an ETag (size and mtime): the
 * browser revalidates every time, so an upgrade shows at once, and an
 * unchanged file costs a 304.  O_NOFOLLOW and the regular-file check
 * keep a link planted in the directory from serving something else.
 */
static void
answer_web(struct api *a, struct evhttp_request *req,
    const struct api_request *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *type, *inm;
	char path[4096], etag[80];
	struct stat sb;
	off_t left;
	int fd, n;

	if (a->web_dir == NULL) {
		send_error(a, req, 404, "no web map here: it is served from "
		    "the data directory's web/ (svcmapd --data-dir)");
		return;
	}
	type = web_file_type(r->file);
	if (type == NULL || snprintf(path, sizeof(path), "%s/%s", a->web_dir,
	    r->file) >= (int)sizeof(path)) {
		send_error(a, req, 404, "no such file");
		return;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		send_error(a, req, errno == ENOENT || errno == ELOOP ||
		    errno == ENOTDIR ? 404 : 500, errno == ENOENT ?
		    "no such file" : strerror(errno));
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > WEB_FILE_MAX) {
		close(fd);
		send_error(a, req, 404, "no such file");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%lx\"",
	    (unsigned long long)sb.st_size,
	    (unsigned long long)sb.st_mtim.tv_sec,
	    (unsigned long)sb.st_mtim.tv_nsec);
	evhttp_add_header(h, "ETag", etag);
	if (strcmp(type, web_types[0].type) == 0) {
		evhttp_add_header(h, "Content-Security-Policy", WEB_CSP);
		evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	}
	evbuffer_drain(a->body, evbuffer_get_length(a->body));
	inm = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "If-None-Match");
	if (inm != NULL && strcmp(inm, etag) == 0) {
		close(fd);
		count_reply(a, 304);
		evhttp_add_header(h, "Cache-Control", "no-cache");
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	/* Read, not evbuffer_add_file(): its fd ownership on failure varies. */
	for (left = sb.st_size; left > 0; left -= n)
		if ((n = evbuffer_read(a->body, fd, left > 65536 ? 65536 :
		    (int)left)) <= 0)
			break;
	close(fd);
	if (left != 0) {
		evbuffer_drain(a->body, evbuffer_get_length(a->body));
		send_error(a, req, 500, "cannot read the file");
		return;
	}
	send_body_cache(a, req, 200, type, "no-cache");
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:	return "GET";
	case EVHTTP_REQ_HEAD:	return "HEAD";
	case EVHTTP_REQ_POST:	return "POST";
	case EVHTTP_REQ_PUT:	return "PUT";
	case EVHTTP_REQ_DELETE:	return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE:	return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH:	return "PATCH";
	}
	return "UNKNOWN";
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	struct api_request r;
	struct conn *c;
	char err[512];
	int code;

	/* The request is whole: its deadline stops (the reply re-arms it). */
	if ((c = conn_of(a, evhttp_request_get_connection(req))) != NULL)
		event_del(c->deadline);
	code = api_parse_request(method_name(evhttp_request_get_command(req)),
	    evhttp_request_get_uri(req), (int64_t)time(NULL), &r, err,
	    sizeof(err));
	if (code != 200)
		send_error(a, req, code, err);
	else
		routes[r.route].answer(a, req, &r);
	if (c != NULL && !c->busy)
		deadline_arm(c);
}

struct api *
api_start(struct event_base *base, const char *listen, const char *db_path,
    const struct catalog *cat, api_status_fn status, void *status_arg,
    char *err, size_t errlen)
{
	return api_start_config(base, listen, db_path, cat, NULL, status,
	    status_arg, err, errlen);
}

struct api *
api_start_config(struct event_base *base, const char *listen,
    const char *db_path, const struct catalog *cat,
    const struct api_config *cfg, api_status_fn status, void *status_arg,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct sigaction sa;
	struct rlimit rl;
	struct api *a;
	unsigned i;
	int len;

	/* Port 0 lets the kernel choose (tests); api_port() tells which. */
	if (addr_parse_listen(listen, true, &ss, &len) == -1) {
		snprintf(err, errlen, "listen address \"%s\" is not "
		    "IPv4:PORT or [IPv6]:PORT (numeric, port 0..65535)",
		    listen);
		return NULL;
	}
	event_set_log_callback(on_evlog);
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "API: out of memory");
		return NULL;
	}
	/* Before anything api_stop() reads. */
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->todo_cv, NULL);
	pthread_cond_init(&a->cat_cv, NULL);
	jobq_init(&a->todo);
	jobq_init(&a->done);
	TAILQ_INIT(&a->conns);
	json_init(&a->j);
	a->base = base;
	if (cfg != NULL)
		a->cfg = *cfg;
	else
		api_config_defaults(&a->cfg);
	if (a->cfg.threads == 0)
		a->cfg.threads = 1;
	if (a->cfg.max_connections == 0)
		a->cfg.max_connections = 1;
	/*
	 * A cap over the descriptors left would let accept() fail instead:
	 * keep API_FD_RESERVE for the capture, the database and the rest.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)a->cfg.max_connections + API_FD_RESERVE) {
		unsigned cap = rl.rlim_cur > API_FD_RESERVE + 1 ?
		    (unsigned)(rl.rlim_cur - API_FD_RESERVE) : 1;

		log_warnx("API: api-max-connections %u lowered to %u: the "
		    "open file limit is %llu", a->cfg.max_connections, cap,
		    (unsigned long long)rl.rlim_cur);
		a->cfg.max_connections = cap;
	}
	if (a->cfg.limit_default == 0)
		a->cfg.limit_default = 1;
	if (a->cfg.limit_max < a->cfg.limit_default)
		a->cfg.limit_max = a->cfg.limit_default;
	a->cat = cat;
	a->status = status;
	a->status_arg = status_arg;
	a->cfg.web_dir = NULL;	/* the caller's; a->web_dir is ours */
	if ((a->db_path = strdup(db_path)) == NULL ||
	    (cfg != NULL && cfg->web_dir != NULL && cfg->web_dir[0] != '\0' &&
	    (a->web_dir = strdup(cfg->web_dir)) == NULL) ||
	    (a->body = evbuffer_new()) == NULL ||
	    (a->http = evhttp_new(base)) == NULL ||
	    (a->done_ev = event_new(base, -1, 0, on_done, a)) == NULL ||
	    (a->adopt_ev = event_new(base, -1, 0, on_adopt, a)) == NULL ||
	    (a->accept_retry_ev = evtimer_new(base, on_accept_retry, a)) ==
	    NULL ||
	    (a->workers = calloc(a->cfg.threads, sizeof(*a->workers))) ==
	    NULL) {
		snprintf(err, errlen, "API: out of memory");
		api_stop(a);
		return NULL;
	}

	/* Every method reaches us, so the wrong ones get a JSON 405. */
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(a->http, API_MAX_HEADERS);
	evhttp_set_max_body_size(a->http, API_MAX_BODY);
	evhttp_set_timeout(a->http, API_TIMEOUT_S);
	evhttp_set_gencb(a->http, on_request, a);
	evhttp_set_bevcb(a->http, on_new_conn, a);

	/*
	 * Bind the parsed address itself: evhttp_bind_socket() would look
	 * the text up with AI_ADDRCONFIG, which finds nothing for 127.0.0.1
	 * on a host whose only address is loopback (a capture-only NIC).
	 */
	errno = 0;
	if ((a->lev = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, len)) == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    errno != 0 ? strerror(errno) : "address not usable");
		api_stop(a);
		return NULL;
	}
	if ((a->sock = evhttp_bind_listener(a->http, a->lev)) == NULL) {
		evconnlistener_free(a->lev);
		a->lev = NULL;
		snprintf(err, errlen, "cannot listen on %s: out of memory",
		    listen);
		api_stop(a);
		return NULL;
	}
	/* After evhttp_bind_listener(), which sets the accept callback. */
	evconnlistener_set_error_cb(a->lev, on_accept_error);
	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
		if (apis[i] == NULL) {
			apis[i] = a;
			break;
		}
	if (getsockname(evhttp_bound_socket_get_fd(a->sock),
	    (struct sockaddr *)&ss, &sslen) == 0)
		a->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
	for (i = 0; i < a->cfg.threads; i++) {
		struct worker *w = &a->workers[i];

		w->a = a;
		json_init(&w->j);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			snprintf(err, errlen, "API: cannot start a reader "
			    "thread: %s", strerror(errno));
			api_stop(a);
			return NULL;
		}
		w->started = true;
		a->nworkers++;
	}
	return a;
}

void
api_set_catalog(struct api *a, const struct catalog *cat)
{
	/* The threads' queries under the old catalog end first. */
	pthread_mutex_lock(&a->mu);
	a->cat_swap = true;
	while (a->cat_users > 0)
		pthread_cond_wait(&a->cat_cv, &a->mu);
	a->cat = cat;
	a->cat_swap = false;
	pthread_cond_broadcast(&a->todo_cv);
	pthread_mutex_unlock(&a->mu);
}

uint16_t
api_port(const struct api *a)
{
	return a->port;
}

void
api_stop(struct api *a)
{
	struct job *jb;
	struct conn *c;
	unsigned i;

	if (a == NULL)
		return;
	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
		if (apis[i] == a)
			apis[i] = NULL;
	/* The threads first: their jobs hold requests evhttp will free. */
	pthread_mutex_lock(&a->mu);
	a->quit = true;
	pthread_cond_broadcast(&a->todo_cv);
	pthread_mutex_unlock(&a->mu);
	for (i = 0; a->workers != NULL && i < a->cfg.threads; i++)
		if (a->workers[i].started)
			pthread_join(a->workers[i].thread, NULL);
	while ((jb = jobq_pop(&a->todo)) != NULL)
		job_free(jb);
	while ((jb = jobq_pop(&a->done)) != NULL)
		job_free(jb);
	a->stopping = true;
	/* Closes the listener and every open connection with it. */
	if (a->http != NULL)
		evhttp_free(a->http);
	/* Left: connections evhttp never made (their bufferevent ours). */
	while ((c = TAILQ_FIRST(&a->conns)) != NULL) {
		if (c->bev != NULL)
			bufferevent_decref(c->bev);
		TAILQ_REMOVE(&a->conns, c, entry);
		if (c->deadline != NULL)
			event_free(c->deadline);
		free(c);
	}
	if (a->done_ev != NULL)
		event_free(a->done_ev);
	if (a->adopt_ev != NULL)
		event_free(a->adopt_ev);
	if (a->accept_retry_ev != NULL)
		event_free(a->accept_retry_ev);
	if (a->body != NULL)
		evbuffer_free(a->body);
	free(a->workers);
	json_free(&a->j);
	free(a->db_path);
	free(a->web_dir);
	pthread_cond_destroy(&a->todo_cv);
	pthread_cond_destroy(&a->cat_cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
