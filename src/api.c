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
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
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
	P_UNTIL,
	P_BY,
	P_OF,
	P_LIMIT,
	P_RESOLUTION,
	P__COUNT
};

#define PB(p)	(1u << (p))

static const char *const param_names[P__COUNT] = {
	"host", "service", "since", "all", "kind", "port", "uuid", "interfaces",
	"format", "until", "by", "of", "limit", "resolution"
};

/* The window of top and series (svcmapctl top and series options). */
#define WINDOW	(PB(P_HOST) | PB(P_SERVICE) | PB(P_PORT) | PB(P_SINCE) | \
	PB(P_UNTIL) | PB(P_ALL) | PB(P_FORMAT))

/* The routes and the parameters each accepts; svcmapctl's options. */
static const struct route {
	const char	*path;
	enum api_route	 route;
	unsigned	 params;
} routes[API__ROUTES] = {
	{ "/v1/services", API_SERVICES, PB(P_HOST) | PB(P_SERVICE) |
	    PB(P_SINCE) | PB(P_UNTIL) | PB(P_ALL) | PB(P_FORMAT) },
	{ "/v1/hosts", API_HOSTS, PB(P_FORMAT) },
	{ "/v1/endpoints", API_ENDPOINTS, PB(P_FORMAT) },
	{ "/v1/alerts", API_ALERTS, PB(P_KIND) | PB(P_SINCE) | PB(P_UNTIL) |
	    PB(P_FORMAT) },
	{ "/v1/operations", API_OPERATIONS, PB(P_HOST) | PB(P_SERVICE) |
	    PB(P_FORMAT) },
	{ "/v1/catalog", API_CATALOG, PB(P_PORT) | PB(P_SERVICE) |
	    PB(P_UUID) | PB(P_INTERFACES) | PB(P_FORMAT) },
	{ "/v1/status", API_STATUS, 0 },
	{ "/metrics", API_METRICS, 0 },
	{ "/v1/top", API_TOP, WINDOW | PB(P_BY) | PB(P_OF) | PB(P_LIMIT) },
	{ "/v1/series", API_SERIES, WINDOW | PB(P_RESOLUTION) },
};

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
	case P_LIMIT:
		errno = 0;
		u = strtoull(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0)
			what = "is not a number of entries (0: all)";
		else
			req->limit = u;
		break;
	case P_RESOLUTION:
		if ((req->resolution = query_resolution_parse(v)) == 0)
			what = "is not minute, hour or day";
		break;
	case P_ALL:
		if (parse_bool(v, &req->all) == -1)
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
		if (req->route == API_TOP || req->route == API_SERIES) {
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
	case P_FORMAT:
		if (strcmp(v, "csv") == 0)
			req->csv = true;
		else if (strcmp(v, "json") != 0)
			what = "is not json or csv";
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
	char name[NAME_MAX_LEN + 1], value[API_MAX_VALUE + 1];
	char qn[QUOTE_MAX * 3 + 4];
	const char *p = q, *end = q + n, *amp, *eq, *why;
	unsigned seen = 0;
	int i, st;

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
		if (pct_decode(eq + 1, (size_t)(amp - eq - 1), DEC_FORM, value,
		    sizeof(value), &why) == -1) {
			if (strcmp(why, "too long") == 0)
				return fail(err, errlen, 400, "parameter "
				    "\"%s\": value longer than %d bytes", name,
				    API_MAX_VALUE);
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
	req->limit = 10;
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
	if (r == NULL)
		return fail(err, errlen, 404, "no route \"%s\" (routes: "
		    "/v1/services, /v1/hosts, /v1/endpoints, /v1/alerts, "
		    "/v1/operations, /v1/catalog, /v1/status, /metrics, "
		    "/v1/top, /v1/series)",
		    quote(path, strlen(path), q));
	req->route = r->route;

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
 * Replies counted by status, for svcmap_api_requests_total: every status
 * this file sends.  evhttp's own refusals (a request it cannot parse,
 * 413 for a body over API_MAX_BODY, 501 for an unknown method) never
 * reach us and are not counted.
 */
static const int counted_codes[] = { 200, 400, 404, 405, 414, 500, 503 };
#define NCODES	(sizeof(counted_codes) / sizeof(counted_codes[0]))

struct api {
	struct evhttp		*http;
	struct evhttp_bound_socket *sock;
	uint16_t		 port;
	char			*db_path;
	struct reader		*reader;	/* NULL until readable */
	const struct catalog	*cat;
	api_status_fn		 status;
	void			*status_arg;
	struct evbuffer		*body;		/* the reply being built */
	struct json		 j;
	uint64_t		 replies[NCODES];
};

/* How long a client may take to send a request or read a reply. */
#define API_TIMEOUT_S		10
/* Requests are a line and a few headers; bodies are never read. */
#define API_MAX_HEADERS		8192
#define API_MAX_BODY		4096

#define CT_JSON		"application/json"
#define CT_CSV		"text/csv; charset=utf-8; header=present"
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

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
send_body(struct api *a, struct evhttp_request *req, int code,
    const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	size_t len = evbuffer_get_length(a->body);
	char clen[24];

	count_reply(a, code);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
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
 * The records of a reply: JSON into a->j (sent by send_json(), so the
 * bytes are svcmapctl --json's), CSV into a memory stream.
 */
struct reply {
	struct record_out out;
	FILE		*f;
	char		*text;
	size_t		 len;
};

static int
reply_begin(struct api *a, struct reply *rp, bool csv,
    const struct record_table *const *kinds, size_t nkinds)
{
	memset(rp, 0, sizeof(*rp));
	json_reset(&a->j);
	if (csv && (rp->f = open_memstream(&rp->text, &rp->len)) == NULL)
		return -1;
	record_out_begin(&rp->out, csv ? RECORD_CSV : RECORD_JSON, kinds,
	    nkinds, &a->j, rp->f, true);
	return 0;
}

/*
 * Finish the records after the query returned rc: send them (rc 0), or
 * drop them and send the query's error as `code` (rc -1).
 */
static void
reply_send(struct api *a, struct evhttp_request *req, struct reply *rp,
    int rc, int code, const char *err)
{
	int end = record_out_end(&rp->out);

	if (rp->f != NULL && fclose(rp->f) != 0)
		end = -1;
	if (rc == -1)
		send_error(a, req, code, err);
	else if (end == -1)
		send_error(a, req, 500, "out of memory");
	else if (rp->f == NULL)
		send_json(a, req);
	else {
		evbuffer_drain(a->body, evbuffer_get_length(a->body));
		if (evbuffer_add(a->body, rp->text, rp->len) == -1)
			send_error(a, req, 500, "out of memory");
		else
			send_body(a, req, 200, CT_CSV);
	}
	free(rp->text);
}

static void
db_close(struct api *a)
{
	reader_close(a->reader);
	a->reader = NULL;
}

/*
 * The read connection, checked at each request: a store replaced or
 * removed since it was opened is opened afresh (reader_stale(): for
 * SQLite one stat() per request, no SQL).
 */
static struct reader *
db_get(struct api *a, char *err, size_t errlen)
{
	char why[400];

	if (a->reader != NULL && reader_stale(a->reader))
		db_close(a);
	if (a->reader == NULL &&
	    (a->reader = reader_open(a->db_path, why, sizeof(why))) == NULL)
		snprintf(err, errlen, "database %s", why);
	return a->reader;
}

/*
 * since and until of the request against the database's time reference
 * (svcmapctl's rule: the newest packet of capture-file runs, else the
 * wall clock), which a relative time also names in X-Time-Reference.
 * Returns 0, or -1 after sending the error.
 */
static int
resolve_times(struct api *a, struct evhttp_request *req, struct reader *s,
    const struct api_request *r, int64_t *since, int64_t *until)
{
	struct query_time_ref ref;
	char err[512], b[32], h[64];

	*since = r->since;
	*until = r->until;
	if (!r->since_rel && !r->until_rel &&
	    r->route != API_TOP && r->route != API_SERIES)
		return 0;
	if (query_time_reference(s, (int64_t)time(NULL), &ref, err,
	    sizeof(err)) == -1) {
		db_close(a);
		send_error(a, req, 503, err);
		return -1;
	}
	if (r->since_rel)
		*since = ref.at - r->since_back;
	if (r->until_rel)
		*until = ref.at - r->until_back;
	snprintf(h, sizeof(h), "%s %s", ref.reference, json_time(ref.at, b));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "X-Time-Reference", h);
	return 0;
}

/*
 * /v1/top and /v1/series: svcmapctl top and series --json, an object
 * with the window and the records under "rows"; format=csv the records.
 */
static void
answer_window(struct api *a, struct evhttp_request *req,
    const struct api_request *r)
{
	const struct record_table *kind = r->route == API_TOP ? &record_top :
	    &record_series;
	struct query_time_ref ref;
	struct query_window w;
	struct reader *s;
	struct reply rp;
	char err[512] = "", b[32], hdr[64];
	int rc, end;

	if ((s = db_get(a, err, sizeof(err))) == NULL) {
		send_error(a, req, 503, err);
		return;
	}
	if (r->route == API_SERIES && r->service[0] == '\0') {
		send_error(a, req, 400, "parameter \"service\" is required "
		    "(a key, or undocumented)");
		return;
	}
	memset(&w, 0, sizeof(w));
	if (r->host[0] != '\0' && cidr_parse(&w.host, r->host) == 0)
		w.has_host = true;
	w.service = r->service[0] != '\0' ? r->service : NULL;
	w.port = r->port;
	w.all = r->all;
	if (query_time_reference(s, (int64_t)time(NULL), &ref, err,
	    sizeof(err)) == -1) {
		db_close(a);
		send_error(a, req, 503, err);
		return;
	}
	w.since = r->since_rel ? ref.at - r->since_back : r->since;
	w.until = r->until_rel ? ref.at - r->until_back : r->until;
	snprintf(hdr, sizeof(hdr), "%s %s", ref.reference,
	    json_time(ref.at, b));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "X-Time-Reference", hdr);

	memset(&rp, 0, sizeof(rp));
	json_reset(&a->j);
	if (r->csv && (rp.f = open_memstream(&rp.text, &rp.len)) == NULL) {
		send_error(a, req, 500, "out of memory");
		return;
	}
	if (!r->csv) {
		json_object_begin(&a->j);
		query_window_json(&a->j, &w, &ref);
		if (r->route == API_TOP) {
			json_kv_string(&a->j, "of",
			    query_top_of_name((enum query_top_of)r->top_of));
			json_kv_string(&a->j, "by",
			    query_top_by_name((enum query_top_by)r->top_by));
			json_kv_uint(&a->j, "limit", r->limit);
		} else {
			json_kv_string(&a->j, "service", w.service);
			json_kv_string(&a->j, "resolution",
			    query_resolution_name(r->resolution));
		}
		json_key(&a->j, "rows");
	}
	record_out_begin(&rp.out, r->csv ? RECORD_CSV : RECORD_JSON, &kind, 1,
	    &a->j, rp.f, true);
	if (r->route == API_TOP)
		rc = query_top(s, a->cat, &w, (enum query_top_of)r->top_of,
		    (enum query_top_by)r->top_by, r->limit, record_top_row,
		    &rp.out, err, sizeof(err));
	else
		rc = query_series(s, &w, r->resolution, record_bucket_row,
		    &rp.out, err, sizeof(err));
	if (rc == -1)
		db_close(a);
	end = record_out_end(&rp.out);
	if (rp.f != NULL && fclose(rp.f) != 0)
		end = -1;
	if (!r->csv)
		json_object_end(&a->j);
	if (rc == -1)
		send_error(a, req, 503, err);
	else if (end == -1)
		send_error(a, req, 500, "out of memory");
	else if (rp.f == NULL)
		send_json(a, req);
	else {
		evbuffer_drain(a->body, evbuffer_get_length(a->body));
		if (evbuffer_add(a->body, rp.text, rp.len) == -1)
			send_error(a, req, 500, "out of memory");
		else
			send_body(a, req, 200, CT_CSV);
	}
	free(rp.text);
}

/* The database routes: the same calls as svcmapctl's commands. */
static void
answer_db(struct api *a, struct evhttp_request *req,
    const struct api_request *r)
{
	static const struct record_table *const kinds[] = {
		[API_SERVICES] = &record_services,
		[API_HOSTS] = &record_hosts,
		[API_ENDPOINTS] = &record_endpoints,
		[API_ALERTS] = &record_alerts,
		[API_OPERATIONS] = &record_operations,
	};
	struct query_op_filter of;
	struct query_filter f;
	struct reader *s;
	struct reply rp;
	int64_t since, until;
	char err[512] = "";
	int rc = -1;

	if ((s = db_get(a, err, sizeof(err))) == NULL) {
		send_error(a, req, 503, err);
		return;
	}
	if (resolve_times(a, req, s, r, &since, &until) == -1)
		return;
	if (r->route > API_OPERATIONS ||
	    reply_begin(a, &rp, r->csv, &kinds[r->route], 1) == -1) {
		send_error(a, req, 500, "out of memory");
		return;
	}
	switch (r->route) {
	case API_SERVICES:
		memset(&f, 0, sizeof(f));
		f.host = r->host[0] != '\0' ? r->host : NULL;
		f.service = r->service[0] != '\0' ? r->service : NULL;
		f.since = since;
		f.until = until;
		f.all = r->all;
		rc = query_services(s, a->cat, &f, record_service_row, &rp.out,
		    err, sizeof(err));
		break;
	case API_HOSTS:
		rc = query_hosts(s, record_host_row, &rp.out, err,
		    sizeof(err));
		break;
	case API_ENDPOINTS:
		rc = query_endpoints(s, a->cat, record_endpoint_row, &rp.out,
		    err, sizeof(err));
		break;
	case API_ALERTS:
		rc = query_alerts_until(s, r->kind >= 0 ?
		    alert_kind_name((enum alert_kind)r->kind) : NULL, since,
		    until, record_alert_row, &rp.out, err, sizeof(err));
		break;
	case API_OPERATIONS:
		memset(&of, 0, sizeof(of));
		of.host = r->host[0] != '\0' ? r->host : NULL;
		of.service = r->service[0] != '\0' ? r->service : NULL;
		rc = query_operations(s, a->cat, &of, record_operation_row,
		    &rp.out, err, sizeof(err));
		break;
	default:
		break;
	}
	/* After a failed query, the next request opens the file afresh. */
	if (rc == -1)
		db_close(a);
	reply_send(a, req, &rp, rc, 503, err);
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
	if (reply_begin(a, &rp, r->csv, kinds, 2) == -1) {
		catalog_rows_free(&rows);
		send_error(a, req, 500, "out of memory");
		return;
	}
	catalog_query_out(&rp.out, a->cat, &q, &rows, true, true);
	catalog_rows_free(&rows);
	reply_send(a, req, &rp, 0, 500, NULL);
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
answer_status(struct api *a, struct evhttp_request *req)
{
	struct api_status st;
	struct json *j = &a->j;
	size_t i;

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
answer_metrics(struct api *a, struct evhttp_request *req)
{
	static const char *const where[3] = { "kernel", "interface", "ring" };
	struct evbuffer *b = a->body;
	struct api_status st;
	const char *l[4];
	char code[8];
	size_t i, k;

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
	send_body(a, req, 200, CT_METRICS);
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
	char err[512];
	int code;

	code = api_parse_request(method_name(evhttp_request_get_command(req)),
	    evhttp_request_get_uri(req), (int64_t)time(NULL), &r, err,
	    sizeof(err));
	if (code != 200) {
		send_error(a, req, code, err);
		return;
	}
	switch (r.route) {
	case API_SERVICES:
	case API_HOSTS:
	case API_ENDPOINTS:
	case API_ALERTS:
	case API_OPERATIONS:
		answer_db(a, req, &r);
		break;
	case API_CATALOG:
		answer_catalog(a, req, &r);
		break;
	case API_STATUS:
		answer_status(a, req);
		break;
	case API_METRICS:
		answer_metrics(a, req);
		break;
	case API_TOP:
	case API_SERIES:
		answer_window(a, req, &r);
		break;
	case API__ROUTES:
		send_error(a, req, 500, "no handler");
		break;
	}
}

struct api *
api_start(struct event_base *base, const char *listen, const char *db_path,
    const struct catalog *cat, api_status_fn status, void *status_arg,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct evconnlistener *lev;
	struct sigaction sa;
	struct api *a;
	int len;

	/* Port 0 lets the kernel choose (tests); api_port() tells which. */
	if (addr_parse_listen(listen, true, &ss, &len) == -1) {
		snprintf(err, errlen, "listen address \"%s\" is not "
		    "IPv4:PORT or [IPv6]:PORT (numeric, port 0..65535)",
		    listen);
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->db_path = strdup(db_path)) == NULL ||
	    (a->body = evbuffer_new()) == NULL ||
	    (a->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "API: out of memory");
		api_stop(a);
		return NULL;
	}
	json_init(&a->j);
	a->cat = cat;
	a->status = status;
	a->status_arg = status_arg;

	/* Every method reaches us, so the wrong ones get a JSON 405. */
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(a->http, API_MAX_HEADERS);
	evhttp_set_max_body_size(a->http, API_MAX_BODY);
	evhttp_set_timeout(a->http, API_TIMEOUT_S);
	evhttp_set_gencb(a->http, on_request, a);

	/*
	 * Bind the parsed address itself: evhttp_bind_socket() would look
	 * the text up with AI_ADDRCONFIG, which finds nothing for 127.0.0.1
	 * on a host whose only address is loopback (a capture-only NIC).
	 */
	errno = 0;
	if ((lev = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, len)) == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    errno != 0 ? strerror(errno) : "address not usable");
		api_stop(a);
		return NULL;
	}
	if ((a->sock = evhttp_bind_listener(a->http, lev)) == NULL) {
		evconnlistener_free(lev);
		snprintf(err, errlen, "cannot listen on %s: out of memory",
		    listen);
		api_stop(a);
		return NULL;
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
	return a;
}

void
api_set_catalog(struct api *a, const struct catalog *cat)
{
	a->cat = cat;
}

uint16_t
api_port(const struct api *a)
{
	return a->port;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	/* Closes the listener and every open connection with it. */
	if (a->http != NULL)
		evhttp_free(a->http);
	if (a->body != NULL)
		evbuffer_free(a->body);
	db_close(a);
	json_free(&a->j);
	free(a->db_path);
	free(a);
}
