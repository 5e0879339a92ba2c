/*
 * store.h - where the flush goes: the store (the durable back end named
 * by a URL) and the sinks of one flush.
 *
 * The writer (svcmapd's main thread) hands each flush over as one struct
 * flush_handover: the statistics rows, clients and hosts of a batch, the
 * run's counters, the learned endpoints that changed, the alert rows and
 * the interfaces' capture counters.  Every sink consumes the same
 * handover: the store (SQLite today; PostgreSQL, issue 17, is one more
 * back end behind the same struct store_ops), and the alert outputs (JSON
 * lines file, syslog; alert.h).
 *
 * A store is named by a URL (store_url_parse()): a bare path or
 * "sqlite:PATH" is SQLite.  Only the back end's own files know its
 * library (src/sqlite_*.c for SQLite); everything else
 * sees struct store and struct reader (query.h).
 *
 * The schema of the SQLite back end is documented in docs/schema.md and
 * versioned with PRAGMA user_version; opening a store for writing
 * migrates an older file forward and refuses a newer one.
 */
#ifndef SVCMAP_STORE_H
#define SVCMAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_batch;
struct op_batch;
struct run_totals;
struct endpoint_table;
struct names_table;
struct alert_batch;
struct alerts;

/** The schema version this build writes and reads. */
#define STORE_SCHEMA_VERSION 10

/* Longest store URL or path, with NUL (config.h CONFIG_PATH_LEN). */
#define STORE_URL_LEN	4096

enum store_scheme {
	STORE_SQLITE = 0,
	STORE__SCHEMES
};

struct store_url {
	enum store_scheme scheme;
	char		 path[STORE_URL_LEN];	/* SQLite: the file */
};

/**
 * Split a store URL.  A scheme is a prefix [a-z][a-z0-9+.-]*: (RFC 3986
 * letters, lower case only); anything else is a path, so "./x:y", "/a:b"
 * and "C:x" (upper case) stay paths.  "sqlite:PATH" and a bare path name
 * SQLite; any other scheme ("postgresql://...", "foo:") is refused by
 * name.  "sqlite:" with no path is refused too.
 * @return: 0 with *u filled, or -1 with a message in err.
 */
int	store_url_parse(const char *url, struct store_url *u, char *err,
	    size_t errlen);

struct store_retention {
	uint32_t	minute_days;	/* keep 1-minute rows this many days */
	uint32_t	hour_days;	/* keep 1-hour rollups */
	uint32_t	day_days;	/* keep 1-day rollups; 0 = forever */
	/* Drop hosts, clients, RPC operations and host names not seen for
	 * this many days; 0: keep them as long as day_days does. */
	uint32_t	host_days;
	uint32_t	outbound_days;	/* outbound rows not seen; 0 = forever */
};

/* Capture counters of one interface (pcap_stats) at a flush. */
struct flush_capture {
	const char	*iface;
	uint64_t	 received;
	uint64_t	 dropped;
	uint64_t	 if_dropped;
};

/*
 * One flush, as the writer hands it to every sink.  Each member may be
 * NULL (or 0 long): a sink writes what is there.  The sinks only read,
 * except that the store sets each alert record's id (alert.h) and takes
 * the endpoint table's dirty entries (marking them dirty again when its
 * write fails).  Owned by the caller; valid for the sink call only.
 */
struct flush_handover {
	int64_t			 run_id;	/* store_run_begin() */
	int64_t			 now_s;		/* flush time, UTC s */
	const struct stats_batch *batch;
	const struct op_batch	*ops;		/* RPC operations (opstats.h) */
	const struct run_totals	*totals;	/* absolute, not deltas */
	struct endpoint_table	*endpoints;
	struct names_table	*names;		/* dirty entries, like endpoints */
	struct alert_batch	*alerts;
	const struct flush_capture *captures;
	size_t			 ncaptures;
};

/*
 * A consumer of the flush: function pointers and its own state.  A sink
 * that fails returns -1 with err set and has kept nothing; the writer
 * keeps the batch for the next flush when the store fails, and never
 * waits on an output sink.
 */
struct sink {
	const char	*name;		/* for log lines: "sqlite", "alerts" */
	int		(*flush)(void *state, struct flush_handover *h,
			    char *err, size_t errlen);
	void		*state;
};

struct store;

/*
 * A back end's operations.  A new back end (PostgreSQL) fills one of
 * these and store_open() learns its scheme; nothing else changes.
 */
struct store_ops {
	int64_t		(*run_begin)(struct store *s, const char *mode,
			    const char *inputs, int64_t started_s);
	int		(*flush)(struct store *s, struct flush_handover *h,
			    char *err, size_t errlen);
	int		(*load_endpoints)(struct store *s,
			    struct endpoint_table *t, char *err,
			    size_t errlen);
	int		(*load_alerts)(struct store *s, struct alerts *a,
			    char *err, size_t errlen);
	int		(*load_names)(struct store *s, struct names_table *t,
			    char *err, size_t errlen);
	int		(*prune)(struct store *s,
			    const struct store_retention *r, int64_t now_s,
			    char *err, size_t errlen);
	uint64_t	(*bytes)(struct store *s);
	void		(*close)(struct store *s);
};

/* The head of every back end's store. */
struct store {
	const struct store_ops	*ops;
};

/**
 * Open (create, migrate) the store `url` for writing as `sensor`: every
 * observation the store writes or restores is that sensor's.
 * @return: the store, or NULL with a message in err (bad URL, unknown
 *   scheme, a file that cannot be written, a newer schema).
 */
struct store *store_open(const char *url, const char *sensor, char *err,
	    size_t errlen);
/** Close; NULL is a no-op. */
void	store_close(struct store *s);

/**
 * Start a run (one svcmapd invocation).  mode: "offline" or "live";
 * inputs: file names or interfaces, comma-joined.  Returns the run id or -1.
 */
int64_t	store_run_begin(struct store *s, const char *mode, const char *inputs,
	    int64_t started_s);

/**
 * Write one flush in one transaction: the batch's rows (added to existing
 * bucket rows), its clients, the hosts they imply, the run's counters
 * (absolute), interface capture counters, the endpoint and name tables'
 * dirty entries and the alert rows (each the alert's whole state, so a retry
 * counts nothing twice; sets each record's id).  On failure (busy,
 * locked, full disk, read-only) nothing of it is committed, the error is
 * in err, and the caller keeps the batch to retry at the next flush.
 * Returns 0 or -1.
 */
int	store_flush(struct store *s, struct flush_handover *h, char *err,
	    size_t errlen);

/** The store as a sink of the flush (state: s; lives as long as s). */
struct sink store_sink(struct store *s);

/** Load this sensor's persisted learned endpoints into the table. */
int	store_load_endpoints(struct store *s, struct endpoint_table *t,
	    char *err, size_t errlen);

/** Load this sensor's persisted host names into the table. */
int	store_load_names(struct store *s, struct names_table *t, char *err,
	    size_t errlen);

/**
 * Restore this sensor's alert dedup state at start: the stored alerts,
 * the (server, service) pairs already served, and the first packet time
 * of its runs.
 */
int	store_load_alerts(struct store *s, struct alerts *a, char *err,
	    size_t errlen);

/**
 * Roll 1-minute rows older than the retention up into 1-hour rows, hours
 * into days, and delete what is past the day retention.  now_s is the
 * clock to measure against (packet time offline).  Returns 0 or -1.
 */
int	store_prune(struct store *s, const struct store_retention *r,
	    int64_t now_s, char *err, size_t errlen);

/** Bytes the store takes on disk (SQLite: file plus WAL); 0 unknown. */
uint64_t store_bytes(struct store *s);

#endif /* SVCMAP_STORE_H */
