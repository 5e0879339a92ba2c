/*
 * sqlite_int.h - the SQLite back end's insides, shared by its files:
 *
 *   sqlite_open.c   open, schema, migrations, the helpers below
 *   sqlite_flush.c  the sink: one flush in one transaction, runs, prune
 *   sqlite_lost.c   the file deleted or replaced under the writer
 *   sqlite_state.c  saved state: learned endpoints and alerts at start
 *   sqlite_read.c   the reader (query.h struct reader_ops)
 *
 * Nothing outside these files includes sqlite3.h.  The rest of svcmap
 * sees struct store (store.h) and struct reader (query.h).
 */
#ifndef SVCMAP_SQLITE_INT_H
#define SVCMAP_SQLITE_INT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "svcmap/addr.h"
#include "svcmap/endpoint.h"
#include "svcmap/names.h"
#include "svcmap/query.h"
#include "svcmap/store.h"
#include "store_backend.h"

#define SQLITE_BUSY_TIMEOUT_MS	2000	/* a reader's checkpoint, a writer */
#define US_PER_S		1000000

/* service_stats.resolution: the flush writes minutes, prune rolls up. */
#define STORE_RES_MINUTE	60
#define STORE_RES_HOUR		3600
#define STORE_RES_DAY		86400

/* Longest sensor name, with NUL (config.h: sensor[64]). */
#define SQLITE_SENSOR_LEN	64

/* The writer's prepared statements (sqlite_open.c statements[]). */
enum {
	ST_RUN_BEGIN,
	ST_RUN_TOTALS,
	ST_RUN_COUNTER,
	ST_RUN_DECODE,
	ST_STATS,
	ST_CLIENT,
	ST_HOST,
	ST_OP,
	ST_OP_CLIENT,
	ST_ENDPOINT,
	ST_ENDPOINT_MOVED,
	ST_CAPTURE,
	ST_ROLLUP,
	ST_DELETE_STATS,
	ST_DELETE_CLIENTS,
	ST_DELETE_HOSTS,
	ST_NAME,
	ST_DELETE_NAMES,
	ST_DELETE_OPS,
	ST_DELETE_OP_CLIENTS,
	ST_ALERT,
	ST_OUT_CLIENT,
	ST_OUT_SERVER,
	ST_DELETE_OUT_CLIENTS,
	ST_DELETE_OUT_SERVERS,
	ST_ATTEMPT,
	ST_ATTEMPT_CLIENT,
	ST_DELETE_ATTEMPTS,
	ST_DELETE_ATTEMPT_CLIENTS,
	ST__COUNT
};

/* The several-row upserts of the flush (sqlite_flush.c). */
enum {
	UP_STATS,
	UP_CLIENT,
	UP_HOST,
	UP_OP,
	UP_OP_CLIENT,
	UP_OUT_CLIENT,
	UP_OUT_SERVER,
	UP__COUNT
};

#define UPSERT_MAX_ROWS		64	/* power of two */
#define UPSERT_SIZES		7	/* 1, 2, 4, ..., 64 rows */

/* The one-row upserts' text, for the several-row ones built from it. */
extern const char *const sqlite_upsert_head[UP__COUNT];
extern const char *const sqlite_upsert_tail[UP__COUNT];

struct op_row;

struct sqlite_store {
	struct store		 base;		/* first: a struct store * */
	sqlite3			*db;
	char			 sensor[SQLITE_SENSOR_LEN];
	char			*path;
	sqlite3_stmt		*st[ST__COUNT];
	/* Several-row upserts by log2 of their rows; [0] is unused. */
	sqlite3_stmt		*multi[UP__COUNT][UPSERT_SIZES];
	/* The operations a flush writes: what its client pairs index. */
	const struct op_row	*op_rows;
	/* The write order of one table's rows at a flush (reused). */
	const void		**order;
	size_t			 order_cap;
	/* Endpoint entries copied out of the table at a flush (reused). */
	struct endpoint_entry	*eps;
	size_t			 neps;
	size_t			 eps_cap;
	bool			 eps_failed;
	/* Name entries copied out of the name table at a flush (reused). */
	struct name_entry	*nms;
	size_t			 nnms;
	size_t			 nms_cap;
	bool			 nms_failed;
	/*
	 * The file the connection writes, held open read-only so that a
	 * flush can tell it from whatever the path names now
	 * (sqlite_lost.c).  Never closed while the connection is open:
	 * that would drop SQLite's POSIX locks on it.
	 */
	int			 fd;
	dev_t			 dev;
	ino_t			 ino;
	/*
	 * A file lost (deleted or replaced) whose rows are not yet copied
	 * into the file at the path: its descriptor until it is saved
	 * (-1: none), the saved copy (NULL: none), why it was lost; db is
	 * NULL until the path opens again.
	 */
	int			 lost_fd;
	char			*lost_copy;
	char			 lost_why[160];
	/* The daemon's run id as it is in the file at the path now. */
	bool			 run_mapped;
	int64_t			 run_from, run_to;
};

extern const struct store_ops sqlite_store_ops;

/* sqlite_open.c (the entry points are in store_backend.h) */
void		 sqlite_store_close(struct store *s);
uint64_t	 sqlite_store_bytes(struct store *s);
/* The writer's connection: created, WAL, migrated.  NULL with err. */
sqlite3		*sqlite_open_writable(const char *path, const char *sensor,
		    char *err, size_t errlen);
/* Prepare s->st[] on s->db / finalize every statement of s. */
int		 sqlite_prepare_statements(struct sqlite_store *s, char *err,
		    size_t errlen);
void		 sqlite_finalize_statements(struct sqlite_store *s);
/* "file:" URI of a path followed by query ("?mode=ro"); -1: too long. */
int		 sqlite_path_uri(const char *path, const char *query,
		    char *buf, size_t len);
/* Open s->fd on s->path and note its device and inode. */
int		 sqlite_hold_file(struct sqlite_store *s, char *err,
		    size_t errlen);
/* The read-only connection of a reader, opened and version-checked. */
sqlite3		*sqlite_open_readonly(const char *path, char *err,
		    size_t errlen);

void	sqlite_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	sqlite_dberr(sqlite3 *db, char *err, size_t errlen, const char *what);
int	sqlite_bind_u64(sqlite3_stmt *st, int i, uint64_t v);
/* A 16-byte address BLOB (IPv4 v4-mapped), SQLITE_STATIC. */
int	sqlite_bind_addr(sqlite3_stmt *st, int i, const struct addr *a);
/* A column's address BLOB; -1 if it is not 16 bytes. */
int	sqlite_column_addr(sqlite3_stmt *st, int i, struct addr *a);
int	sqlite_step_done(sqlite3 *db, sqlite3_stmt *st, char *err,
	    size_t errlen, const char *what);
int	sqlite_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
void	sqlite_rollback(sqlite3 *db);
int	sqlite_query_int(sqlite3 *db, const char *sql, int64_t *out);

/*
 * The words stored for transports, methods and endpoint sources are part
 * of the schema (docs/schema.md), so the store spells them itself.
 */
const char *sqlite_transport_word(uint8_t proto, char buf[8]);
int	sqlite_transport_value(const char *word, uint8_t *proto);
const char *sqlite_method_word(int method);
const char *sqlite_source_word(int source);
int	sqlite_source_value(const char *word, int *source);

/* sqlite_flush.c */
int64_t	sqlite_run_begin(struct store *s, const char *mode,
	    const char *inputs, int64_t started_s);
int	sqlite_flush(struct store *s, struct flush_handover *h, char *err,
	    size_t errlen);
int	sqlite_prune(struct store *s, const struct store_retention *r,
	    int64_t now_s, char *err, size_t errlen);

/* sqlite_lost.c */
/*
 * Before a flush: whether the file the connection writes is still the
 * one the path names; if it was deleted or replaced, reopen (create,
 * migrate) the path and copy the lost file's rows into it.  0: s->db is
 * the path's file, ready to write; -1 with err: the flush is to be
 * retried later (the batch is kept).
 */
int	sqlite_lost_check(struct sqlite_store *s, struct flush_handover *h,
	    char *err, size_t errlen);
/* The daemon's run id in the current file. */
int64_t	sqlite_run_id(const struct sqlite_store *s, int64_t run_id);
/* At close: a lost file not copied yet is given up, with a log line. */
void	sqlite_lost_abandon(struct sqlite_store *s);

/* sqlite_state.c */
int	sqlite_load_endpoints(struct store *s, struct endpoint_table *t,
	    char *err, size_t errlen);
int	sqlite_load_alerts(struct store *s, struct alerts *a, char *err,
	    size_t errlen);
int	sqlite_load_names(struct store *s, struct names_table *t, char *err,
	    size_t errlen);
/* One alert row (sqlite_state.c's column order) into a record. */
int	sqlite_parse_alert(sqlite3_stmt *st, struct alert_record *r);
#define SQLITE_ALERT_COLUMNS \
	"id, kind, severity, server_ip, transport, port, client_ip," \
	" service, protocol, detail, count, events, suppressed, first_seen," \
	" last_seen, last_event, coalesce(resolved_at, 0), sensor," \
	" interface, operation, coalesce(client_port, 0)," \
	" coalesce(community_id, ''), coalesce(timestamp_us, 0)," \
	" coalesce(pcap_file, ''), coalesce(packet, 0)"

#endif /* SVCMAP_SQLITE_INT_H */
