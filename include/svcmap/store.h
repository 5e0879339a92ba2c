/*
 * store.h - the SQLite database: schema, migrations, the one writer.
 *
 * The schema is documented in docs/schema.md and versioned with
 * PRAGMA user_version; store_open() migrates an older file forward and
 * refuses a newer one.  The database runs in WAL mode so svcmapctl and the
 * API read while the daemon writes.  Only the writer thread calls the
 * write functions; each flush is one transaction over prepared statements.
 */
#ifndef SVCMAP_STORE_H
#define SVCMAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_batch;
struct run_totals;
struct endpoint_table;
struct endpoint_entry;
struct alert_batch;
struct alert_record;
struct alerts;

/** The schema version this build writes and reads. */
#define STORE_SCHEMA_VERSION 2

struct store;

struct store_retention {
	uint32_t	minute_days;	/* keep 1-minute rows this many days */
	uint32_t	hour_days;	/* keep 1-hour rollups */
	uint32_t	day_days;	/* keep 1-day rollups; 0 = forever */
};

/**
 * Open (and create/migrate when writable) the database.
 * @param readonly: open for queries only (svcmapctl, API); the schema
 *   version must match exactly.
 * @return: the store, or NULL with a message in err.
 */
struct store *store_open(const char *path, bool readonly, char *err,
	    size_t errlen);
void	store_close(struct store *s);

/** The sqlite3 handle, for the query module.  Owned by the store. */
struct sqlite3 *store_db(struct store *s);

/**
 * Start a run (one svcmapd invocation).  mode: "offline" or "live";
 * inputs: file names or interfaces, comma-joined.  Returns the run id or -1.
 */
int64_t	store_run_begin(struct store *s, const char *sensor, const char *mode,
	    const char *inputs, int64_t started_s);

/**
 * Write one flush in one transaction: the batch's rows (added to existing
 * bucket rows), its clients, the hosts they imply, the run's totals
 * (absolute), interface capture counters, and the endpoint table's dirty
 * entries.  On failure (busy, locked, full disk, read-only) nothing of it
 * is committed, the error is in err, and the caller keeps the batch to
 * retry at the next flush.  Returns 0 or -1.
 */
int	store_flush(struct store *s, int64_t run_id,
	    const struct stats_batch *batch, const struct run_totals *totals,
	    struct endpoint_table *endpoints, int64_t now_s, char *err,
	    size_t errlen);

/** Record capture counters of one interface (pcap_stats) in the run. */
int	store_capture_stats(struct store *s, int64_t run_id, const char *iface,
	    uint64_t received, uint64_t dropped, uint64_t if_dropped);

/** Load the persisted learned endpoints into the table at start. */
int	store_load_endpoints(struct store *s, struct endpoint_table *t,
	    char *err, size_t errlen);

/**
 * Roll 1-minute rows older than the retention up into 1-hour rows, hours
 * into days, and delete what is past the day retention.  now_s is the
 * clock to measure against (packet time offline).  Returns 0 or -1.
 */
int	store_prune(struct store *s, const struct store_retention *r,
	    int64_t now_s, char *err, size_t errlen);

/**
 * Write the alert rows of a batch (alert.h) in one transaction, each
 * row the alert's whole state; sets each record's id.  On failure
 * nothing is committed and the caller keeps the batch.  Returns 0 or -1.
 */
int	store_alerts(struct store *s, struct alert_batch *b, char *err,
	    size_t errlen);

/**
 * Alert rows ordered by id, of one kind (NULL: all) last seen at or
 * after since (UTC seconds); the record lives until fn returns.
 */
int	store_alert_rows(struct store *s, const char *kind, int64_t since,
	    void (*fn)(void *arg, const struct alert_record *r), void *arg,
	    char *err, size_t errlen);

/**
 * Restore alert dedup state at start: the stored alerts, the (server,
 * service) pairs already served, and the first packet time of all runs.
 */
int	store_load_alerts(struct store *s, struct alerts *a, char *err,
	    size_t errlen);

#endif /* SVCMAP_STORE_H */
