/*
 * api.h - the HTTP JSON API of svcmapd (libevent evhttp).
 *
 * The API runs on the daemon's main thread, inside its event loop, and
 * reads the database through its own read-only connection (WAL: readers
 * never block the writer, and see every committed flush).  The routes
 * answer what svcmapctl --json answers, with the same field names and the
 * same filters as query parameters:
 *
 *   GET /v1/services?host=IP&service=KEY&since=TIME&all=1
 *   GET /v1/hosts
 *   GET /v1/endpoints
 *   GET /v1/alerts?kind=KIND&since=TIME
 *   GET /v1/catalog?port=N[/tcp|/udp]&service=KEY&uuid=UUID&interfaces=1
 *   GET /v1/status          the running daemon (struct api_status)
 *   GET /metrics            Prometheus text format 0.0.4
 *
 * Errors are JSON objects {"error": "..."} with 400 (bad or unknown
 * parameter), 404 (unknown path), 405 (not GET/HEAD), 503 (database not
 * readable) and 500.  Parameters reach SQL only as bound values.
 */
#ifndef SVCMAP_API_H
#define SVCMAP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/config.h"
#include "svcmap/stats.h"

struct catalog;
struct event_base;

struct api_iface_status {
	char		 name[64];
	uint64_t	 received;	/* by the capture (pcap_stats ps_recv) */
	uint64_t	 dropped;	/* kernel buffer drops (ps_drop) */
	uint64_t	 if_dropped;	/* interface drops (ps_ifdrop) */
	uint64_t	 ring_dropped;	/* capture -> classifier ring full */
};

/* What the daemon says of itself, as of the last flush. */
struct api_status {
	const char	*sensor;
	const char	*version;	/* PACKAGE_VERSION */
	int64_t		 started_at;	/* UTC seconds */
	int64_t		 now;		/* UTC seconds */
	struct api_iface_status ifaces[CONFIG_MAX_IFACES];
	size_t		 nifaces;
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
};

/* Fills *st; called on the main thread for /v1/status and /metrics. */
typedef void (*api_status_fn)(void *arg, struct api_status *st);

struct api;

/**
 * Listen on `listen` ("IPv4:PORT" or "[IPv6]:PORT", numeric; "off" is
 * the caller's business) and serve the routes on `base`.
 * @param db_path: the database, opened read-only on first use (the
 *   daemon may create it after the API starts).
 * @param cat: service names and /v1/catalog; may be NULL.
 * @return: the API, or NULL with err set (bad address, bind failure).
 */
struct api *api_start(struct event_base *base, const char *listen,
	    const char *db_path, const struct catalog *cat,
	    api_status_fn status, void *status_arg, char *err, size_t errlen);

/** Use another catalog from now on (SIGHUP); the old one may be freed. */
void	api_set_catalog(struct api *a, const struct catalog *cat);

/** The bound port (useful with port 0 in tests). */
uint16_t api_port(const struct api *a);

/** Close the listener and the database connection. */
void	api_stop(struct api *a);

#endif /* SVCMAP_API_H */
