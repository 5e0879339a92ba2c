/*
 * api.h - the HTTP JSON API of svcmapd (libevent evhttp).
 *
 * evhttp runs on the daemon's main thread, inside its event loop; the
 * database routes are answered by a small fixed pool of reader threads,
 * each with its own read-only connection (WAL: readers never block the
 * writer, and see every committed flush), so a large query never delays
 * a flush, /v1/status or /metrics (answered on the loop from memory).
 * The routes answer what svcmapctl --json answers, with the same field
 * names and the same filters as query parameters, one page at a time
 * (limit=N, cursor=C; the next page's cursor is in the X-Next-Cursor and
 * Link headers, the bodies stay bare arrays):
 *
 *   GET /v1/services?host=CIDR&service=KEY&since=T&until=T&all=1&limit=N&cursor=C
 *   GET /v1/hosts?limit=N&cursor=C
 *   GET /v1/endpoints?limit=N&cursor=C
 *   GET /v1/alerts?kind=KIND&since=TIME&until=TIME&limit=N&cursor=C
 *   GET /v1/top?of=rows|hosts|services&by=bytes|...&limit=N&host=CIDR&...
 *   GET /v1/series?service=KEY&host=CIDR&port=N&resolution=minute|...
 *   GET /v1/operations?host=IP|CIDR&service=KEY
 *   GET /v1/catalog?port=N[/tcp|/udp]&service=KEY&uuid=UUID&interfaces=1
 *   GET /v1/summary         the run totals (svcmapctl summary --json)
 *   GET /v1/status          the running daemon (struct api_status)
 *   GET /metrics            Prometheus text format 0.0.4
 *   GET /, /NAME.EXT        the web map's files (api_config.web_dir)
 *
 * Errors are JSON objects {"error": "..."} with 400 (bad or unknown
 * parameter), 404 (unknown path), 405 (not GET/HEAD), 414 (request target
 * over API_MAX_URI bytes), 503 (database not readable) and 500.
 * Parameters reach SQL only as bound values.  docs/api.md is the manual.
 */
#ifndef SVCMAP_API_H
#define SVCMAP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"
#include "svcmap/catalog_query.h"
#include "svcmap/config.h"
#include "svcmap/query.h"
#include "svcmap/stats.h"

struct catalog;
struct event_base;

struct api_iface_status {
	char		 name[64];
	uint64_t	 received;	/* by the capture (pcap_stats ps_recv) */
	uint64_t	 dropped;	/* kernel buffer drops (ps_drop) */
	uint64_t	 if_dropped;	/* interface drops (ps_ifdrop) */
	uint64_t	 ring_dropped;	/* capture -> classifier ring full */
	bool		 up;		/* capturing (false: lost, reopening) */
};

/* What the daemon says of itself, as of the last flush. */
struct api_status {
	const char	*sensor;
	const char	*version;	/* PACKAGE_VERSION */
	int64_t		 started_at;	/* UTC seconds */
	int64_t		 now;		/* UTC seconds */
	struct api_iface_status ifaces[CONFIG_MAX_IFACES];
	size_t		 nifaces;
	bool		 degraded;	/* an interface is lost */
	uint64_t	 packets;	/* classified, as of the last flush */
	uint64_t	 bytes;
	uint64_t	 pkt_class[PKT__COUNT];
	uint64_t	 flows;		/* flows seen since start */
	uint64_t	 flows_active;	/* tracked now */
	uint64_t	 flow_capacity;
	uint64_t	 flows_evicted;
	uint64_t	 endpoints_learned;	/* in the table now */
	uint64_t	 endpoint_capacity;
	uint64_t	 alerts_published;
	const char	*db_path;
	uint64_t	 db_bytes;	/* database file plus its WAL */
	int64_t		 last_flush;	/* UTC seconds of the last good write; 0 none */
	bool		 db_ok;		/* the last write succeeded */
	uint64_t	 reloads;	/* SIGHUPs applied */
	int64_t		 last_reload;	/* UTC seconds; 0 none */
	/* Every registered counter (stats.h), as of the last flush. */
	struct run_totals totals;
};

/* Fills *st; called on the main thread for /v1/status and /metrics. */
typedef void (*api_status_fn)(void *arg, struct api_status *st);

struct api;

/*
 * The parsed request.  api_parse_request() is pure (no I/O, no
 * allocation, no clock): the server, the tests and the fuzzer call it
 * alike.
 */

/* Longest request target (path and query) accepted, in bytes: else 414. */
#define API_MAX_URI	2048
/* Longest parameter value accepted after percent-decoding, in bytes. */
#define API_MAX_VALUE	128
/* Longest name of a web map file ("app.js"), in bytes. */
#define API_WEB_NAME_MAX	64

enum api_route {
	API_SERVICES = 0,	/* /v1/services */
	API_HOSTS,		/* /v1/hosts */
	API_ENDPOINTS,		/* /v1/endpoints */
	API_ALERTS,		/* /v1/alerts */
	API_OPERATIONS,		/* /v1/operations */
	API_OUTBOUND,		/* /v1/outbound */
	API_ATTEMPTS,		/* /v1/attempts */
	API_CATALOG,		/* /v1/catalog */
	API_STATUS,		/* /v1/status */
	API_METRICS,		/* /metrics */
	API_TOP,		/* /v1/top */
	API_SERIES,		/* /v1/series */
	API_HOST,		/* /v1/host?host=IP: one address */
	API_SUMMARY,		/* /v1/summary: the run totals */
	API_WEB,		/* /, /NAME.EXT: a file of the web map */
	API__ROUTES
};

struct api_request {
	enum api_route	 route;
	bool		 head;		/* HEAD: the GET's headers, no body */
	/* services, top, series, operations, hosts: the server IP or CIDR
	   prefix; "" every one */
	char		 host[ADDR_STRLEN + 8];
	/* hosts: a glob on any of a host's names; "" any */
	char		 name[API_MAX_VALUE + 1];
	/* hosts: a role key the host must hold; "" any */
	char		 role[32];
	/* services, operations, catalog: the service key; "" every one */
	char		 service[STATS_KEY_LEN];
	int64_t		 since;		/* services, alerts: UTC s; 0 all */
	bool		 all;		/* services: include undocumented */
	bool		 servers;	/* outbound: the outside servers' rows */
	int		 kind;		/* alerts: enum alert_kind; -1 all */
	bool		 csv;		/* format=csv (the database and catalog
					   routes); else JSON */
	/* catalog: the question; its service stays -1 (key in service[]) */
	struct catalog_query catalog;
	/*
	 * A relative since/until ("-1h") counts back from the database's
	 * time reference (query_time_reference()), which only the server
	 * knows: since and until hold it resolved against now_s, and
	 * since_back/until_back the span for the server to apply again.
	 */
	bool		 since_rel;
	bool		 until_rel;
	int64_t		 since_back;	/* seconds */
	int64_t		 until_back;
	int64_t		 until;		/* services, alerts, top, series */
	int		 top_of;	/* top: enum query_top_of */
	int		 top_by;	/* top: enum query_top_by */
	/*
	 * top: entries, 0 all (default 10); paged routes: rows of a page at
	 * most (0: the configured default)
	 */
	uint64_t	 limit;
	int64_t		 resolution;	/* series: 60, 3600, 86400 */
	int		 port;		/* top, series, outbound: 0 every */
	bool		 has_cursor;	/* after: the page starts after it */
	struct query_key after;
	/*
	 * web: the file's name, one path component of letters, digits,
	 * '.', '_' and '-' that starts with a letter or digit and ends in
	 * a known extension ("/" is "index.html"); nothing else reaches
	 * the file system.
	 */
	char		 file[API_WEB_NAME_MAX + 1];
};

/* Largest limit=N accepted by the parser; the server clamps to its own. */
#define API_LIMIT_MAX	100000000

/*
 * The server's knobs (svcmapd.conf api-*): api_config_defaults() gives
 * the built-in values, the same as config.c's defaults.
 */
struct api_config {
	unsigned	 threads;	/* reader threads, 1.. */
	uint64_t	 limit_default;	/* rows of a page without limit= */
	uint64_t	 limit_max;	/* larger limit= values are clamped */
	uint64_t	 reply_max;	/* bytes of a page body, then it ends (a
					   page holds at least one row) */
	unsigned	 max_connections;	/* accept pauses at this many */
	unsigned	 request_timeout_s;	/* whole request, from accept or
						   the previous reply */
	/*
	 * The web map's directory ($(pkgdatadir)/web; copied): its files
	 * are served at / and /NAME.EXT.  NULL or "": those paths are 404.
	 */
	const char	*web_dir;
};

void	api_config_defaults(struct api_config *c);

/**
 * Route and validate one request: the path (percent-decoded; %2F and %00
 * refused), the method, and every query parameter (percent-decoded, '+'
 * as a space): unknown, repeated, empty or invalid ones are refused and
 * named in err.
 * @param method: "GET", "HEAD", ... (anything else is 405 on a route).
 * @param uri: the request target as received: origin form ("/v1/hosts?x")
 *   or absolute form ("http://host/v1/hosts"), NUL-terminated.
 * @param now_s: the clock for relative times ("since=-1h"), UTC seconds.
 * @return: the HTTP status: 200 with *req filled, or 400, 404, 405, 414
 *   with a message for the client in err (always NUL-terminated if
 *   errlen > 0).
 */
int	api_parse_request(const char *method, const char *uri, int64_t now_s,
	    struct api_request *req, char *err, size_t errlen);

/**
 * Listen on `listen` ("IPv4:PORT" or "[IPv6]:PORT", numeric, PORT in
 * 0..65535 where 0 takes any free port; "off" is the caller's business)
 * and serve the routes on `base`.
 * @param db_path: the database, opened read-only on first use (the
 *   daemon may create it after the API starts).
 * @param cat: service names and /v1/catalog; may be NULL.
 * @param status: fills /v1/status and /metrics; NULL: both answer 503.
 * Ignores SIGPIPE if it was at its default disposition: a client that
 * disconnects mid-reply must cost a failed write, not the daemon.
 * @return: the API, or NULL with err set (bad address, bind failure).
 */
struct api *api_start(struct event_base *base, const char *listen,
	    const char *db_path, const struct catalog *cat,
	    api_status_fn status, void *status_arg, char *err, size_t errlen);

/**
 * api_start() with knobs (NULL: api_config_defaults()).  base must be
 * made after evthread_use_pthreads(): the reader threads wake the loop
 * with event_active().  Sets libevent's log callback (process-wide) to
 * svcmap's log, at most one line per message kind per second.
 */
struct api *api_start_config(struct event_base *base, const char *listen,
	    const char *db_path, const struct catalog *cat,
	    const struct api_config *cfg, api_status_fn status,
	    void *status_arg, char *err, size_t errlen);

/**
 * Use another catalog from now on (SIGHUP); the old one may be freed on
 * return: this waits for the reader threads' queries in progress (one
 * page each at most).
 */
void	api_set_catalog(struct api *a, const struct catalog *cat);

/** The bound port (useful with port 0 in tests). */
uint16_t api_port(const struct api *a);

/** Close the listener and the database connection. */
void	api_stop(struct api *a);

#endif /* SVCMAP_API_H */
