/*
 * sqlite_lost.c - the database file deleted or replaced under the writer.
 *
 * SQLite goes on writing to the file it opened.  Deleted (rm, a cleanup
 * job) or replaced (another file renamed over the path: a restored
 * backup, a copy made elsewhere), that file is no longer the one that
 * svcmapctl, the API and the next start read: whatever the run wrote,
 * before and after, was gone when the daemon exited, and nothing said
 * so.  Each flush therefore first compares the file the writer holds
 * (s->fd: device, inode, link count) with a fresh stat() of the path,
 * and when they differ:
 *
 *  1. The lost file is made whole and let go: a TRUNCATE checkpoint
 *     moves every committed page from its WAL into it, and the
 *     connection closes.  s->lost_fd keeps the inode alive: a deleted
 *     file stays readable while a descriptor holds it.
 *  2. The -wal and -shm files beside the path, which were the lost
 *     file's, are removed: the file at the path must not pair with them.
 *  3. The lost file's bytes are saved beside the path as
 *     PATH.lost-INODE.  SQLite cannot open the inode through
 *     /proc/self/fd/N: it resolves the link to the deleted name.  The
 *     copy is also what remains if anything below keeps failing.
 *  4. The path is opened as at start: created if missing, migrated.
 *  5. The saved copy is attached read-only (immutable: no locks, and
 *     after step 1 nothing in a WAL) and its rows are copied into the
 *     path's file in one transaction; then the copy is removed.
 *  6. The flush then writes its batch there, the run's counters
 *     (absolute) under the run's id in that file, and every learned
 *     endpoint held in memory again.
 *
 * A step that fails leaves the rest for the next flush: the batch is
 * kept in memory as for a locked database.  A saved copy still not
 * merged when the store closes stays, and is named in the log
 * (sqlite_lost_abandon()).
 *
 * The copy's rule, for a path that names another svcmap database (one
 * renamed over it): a row whose key the path's file lacks is copied as
 * it is; a row whose key is in both is merged, each integer column
 * taking the larger value (first_* columns the earlier) and the others
 * staying as the path's file has them.  So the lost file is never added
 * on top of a copy of itself (a backup of this database restored over
 * it), and a file that shares nothing with it just gains its rows.
 * Runs are matched on (sensor, mode, inputs, started), renumbered when
 * their id is taken, and the tables keyed by run follow them with the
 * lost file's values (a run's counters only grow).  Rows with an
 * INTEGER PRIMARY KEY of their own (alerts) are matched on their other
 * unique keys and keep the path's file's row when they meet.  A path
 * that names no svcmap database (or a newer one) is not touched: the
 * flush fails with that reason and is retried.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "svcmap/endpoint.h"
#include "svcmap/log.h"
#include "svcmap/store.h"
#include "sqlite_int.h"

/*
 * Whether the held file is still the path's; if not, why, in s->lost_why.
 * A path that cannot be stat()ed for another reason than its absence
 * (EACCES, EIO) says nothing about the file: the write goes on and
 * reports its own error.
 */
static bool
file_lost(struct sqlite_store *s)
{
	struct stat now, held;

	if (fstat(s->fd, &held) == -1)
		return false;
	if (stat(s->path, &now) == -1) {
		if (errno != ENOENT)
			return false;
		snprintf(s->lost_why, sizeof(s->lost_why), "%s",
		    held.st_nlink == 0 ? "was deleted" :
		    "was moved away (renamed)");
		return true;
	}
	if (now.st_dev == held.st_dev && now.st_ino == held.st_ino)
		return false;
	snprintf(s->lost_why, sizeof(s->lost_why), "%s",
	    held.st_nlink == 0 ? "was replaced by another file" :
	    "was moved away and another file put in its place");
	return true;
}

/* Step 1 and 2: the lost file's pages all in it, the connection gone. */
static int
let_go(struct sqlite_store *s, char *err, size_t errlen)
{
	char name[STORE_URL_LEN + 8];
	sqlite3_stmt *st;
	int busy = 1;

	sqlite_rollback(s->db);
	if (sqlite3_prepare_v2(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1,
	    &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			busy = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (busy != 0) {
		sqlite_seterr(err, errlen, "database %s %s; its last writes "
		    "are still in its WAL, which a reader holds: retried at "
		    "the next flush", s->path, s->lost_why);
		return -1;
	}
	sqlite_finalize_statements(s);
	/* _v2: a statement left unfinalized cannot keep the file busy. */
	sqlite3_close_v2(s->db);
	s->db = NULL;
	s->lost_fd = s->fd;
	s->fd = -1;
	snprintf(name, sizeof(name), "%s-wal", s->path);
	if (unlink(name) == -1 && errno != ENOENT)
		log_warn("%s", name);
	snprintf(name, sizeof(name), "%s-shm", s->path);
	if (unlink(name) == -1 && errno != ENOENT)
		log_warn("%s", name);
	return 0;
}

/* Step 3: the lost file's bytes into PATH.lost-INODE, then let go of it. */
static int
save_lost(struct sqlite_store *s, char *err, size_t errlen)
{
	char name[STORE_URL_LEN + 32], buf[65536];
	struct stat sb;
	ssize_t n, w;
	off_t off = 0;
	int fd, saved;

	if (fstat(s->lost_fd, &sb) == -1)
		sb.st_ino = 0;
	snprintf(name, sizeof(name), "%s.lost-%ju", s->path,
	    (uintmax_t)sb.st_ino);
	if ((fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1)
		goto fail;
	while ((n = pread(s->lost_fd, buf, sizeof(buf), off)) > 0)
		for (w = 0; w < n; w += saved) {
			if ((saved = (int)write(fd, buf + w, (size_t)(n - w))) <=
			    0) {
				n = -1;
				break;
			}
			off += saved;
		}
	if (n == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(name);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1 || (s->lost_copy = strdup(name)) == NULL) {
		unlink(name);
		goto fail;
	}
	close(s->lost_fd);
	s->lost_fd = -1;
	return 0;
fail:
	sqlite_seterr(err, errlen, "database %s %s; saving its rows as %s: "
	    "%s: retried at the next flush", s->path, s->lost_why, name,
	    strerror(errno));
	return -1;
}

/* Step 4: the path's file as the writer's. */
static int
reopen(struct sqlite_store *s, char *err, size_t errlen)
{
	char msg[600];

	if ((s->db = sqlite_open_writable(s->path, s->sensor, msg,
	    sizeof(msg))) == NULL) {
		sqlite_seterr(err, errlen, "database %s %s and cannot be "
		    "opened again (%s): counters kept in memory, retried",
		    s->path, s->lost_why, msg);
		return -1;
	}
	if (sqlite_prepare_statements(s, err, errlen) == -1 ||
	    sqlite_hold_file(s, err, errlen) == -1) {
		sqlite_finalize_statements(s);
		sqlite3_close(s->db);
		s->db = NULL;
		return -1;
	}
	return 0;
}

/* Run one statement of s->db; its changes are added to *changes. */
static int
run_sql(struct sqlite_store *s, const char *sql, int64_t a, int64_t b,
    int64_t *changes, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite_dberr(s->db, err, errlen, "copying the lost database");
		return -1;
	}
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (sqlite_step_done(s->db, st, err, errlen,
	    "copying the lost database") == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (changes != NULL)
		*changes += sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return 0;
}

/*
 * Runs: matched on what names a run, else copied (renumbered when the
 * id is taken); temp.svcmap_run_map says where each went.
 */
static int
copy_runs(struct sqlite_store *s, int64_t *changes, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	sqlite3_str *cols;
	char *sql = NULL;
	int64_t id;
	int rc;

	if (run_sql(s, "CREATE TEMP TABLE IF NOT EXISTS svcmap_run_map"
	    " (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)", 0, 0, NULL,
	    err, errlen) == -1 ||
	    run_sql(s, "DELETE FROM temp.svcmap_run_map", 0, 0, NULL, err,
	    errlen) == -1 ||
	    run_sql(s, "INSERT INTO temp.svcmap_run_map (old, new)"
	    " SELECT l.id, min(m.id) FROM lost.runs AS l JOIN main.runs AS m"
	    " ON m.sensor = l.sensor AND m.mode = l.mode"
	    " AND m.inputs = l.inputs AND m.started = l.started"
	    " GROUP BY l.id", 0, 0, NULL, err, errlen) == -1 ||
	    run_sql(s, "UPDATE main.runs AS m SET"
	    " last_flush = max(m.last_flush, l.last_flush),"
	    " first_packet = CASE WHEN m.first_packet = 0 THEN l.first_packet"
	    "   WHEN l.first_packet = 0 THEN m.first_packet"
	    "   ELSE min(m.first_packet, l.first_packet) END,"
	    " last_packet = max(m.last_packet, l.last_packet)"
	    " FROM lost.runs AS l JOIN temp.svcmap_run_map AS r ON r.old = l.id"
	    " WHERE m.id = r.new", 0, 0, changes, err, errlen) == -1)
		return -1;

	/* Every column both files' runs have, id first (the schema's order). */
	cols = sqlite3_str_new(s->db);
	if (sqlite3_prepare_v2(s->db, "SELECT m.name FROM"
	    " pragma_table_info('runs', 'main') AS m"
	    " JOIN pragma_table_info('runs', 'lost') AS l USING (name)"
	    " WHERE m.name <> 'id' ORDER BY m.cid", -1, &st, NULL) !=
	    SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(cols));
		sqlite_dberr(s->db, err, errlen, "runs");
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		sqlite3_str_appendf(cols, ", \"%w\"",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if ((sql = sqlite3_str_finish(cols)) == NULL) {
		sqlite_seterr(err, errlen, "runs: out of memory");
		return -1;
	}
	/* Column names from the files' own schema, quoted with %w. */
	cols = sqlite3_str_new(s->db);
	sqlite3_str_appendf(cols, "INSERT INTO main.runs (id%s) SELECT"
	    " CASE WHEN EXISTS (SELECT 1 FROM main.runs WHERE id = ?1)"
	    " THEN NULL ELSE ?1 END%s FROM lost.runs WHERE id = ?1", sql, sql);
	sqlite3_free(sql);
	if ((sql = sqlite3_str_finish(cols)) == NULL) {
		sqlite_seterr(err, errlen, "runs: out of memory");
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM lost.runs WHERE id NOT"
	    " IN (SELECT old FROM temp.svcmap_run_map) ORDER BY id", -1, &st,
	    NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		sqlite_dberr(s->db, err, errlen, "runs");
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (run_sql(s, sql, id, 0, changes, err, errlen) == -1 ||
		    run_sql(s, "INSERT INTO temp.svcmap_run_map (old, new)"
		    " VALUES (?1, ?2)", id, sqlite3_last_insert_rowid(s->db),
		    NULL, err, errlen) == -1) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(sql);
	if (rc != SQLITE_DONE) {
		if (rc != SQLITE_ERROR)
			sqlite_dberr(s->db, err, errlen, "runs");
		return -1;
	}
	return 0;
}

/*
 * One table other than runs, by the rule at the top of this file.  The
 * columns are those both files have, so a file of an older schema
 * (migrated at step 3) or one with columns this build does not know
 * loses nothing either has.
 */
static int
copy_table(struct sqlite_store *s, const char *table, int64_t *changes,
    char *err, size_t errlen)
{
	sqlite3_str *cols, *sel, *key, *set, *q;
	sqlite3_stmt *st;
	const char *name, *type;
	char *sql, *c, *v, *k, *u;
	bool run_keyed = false, rowid_key = false, oom;
	int pk, rc;

	if (sqlite3_prepare_v2(s->db, "SELECT m.name, m.type, m.pk FROM"
	    " pragma_table_info(?1, 'main') AS m"
	    " JOIN pragma_table_info(?1, 'lost') AS l USING (name)"
	    " ORDER BY m.cid", -1, &st, NULL) != SQLITE_OK) {
		sqlite_dberr(s->db, err, errlen, table);
		return -1;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	cols = sqlite3_str_new(s->db);
	sel = sqlite3_str_new(s->db);
	key = sqlite3_str_new(s->db);
	set = sqlite3_str_new(s->db);
	while (sqlite3_step(st) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		type = (const char *)sqlite3_column_text(st, 1);
		pk = sqlite3_column_int(st, 2);
		if (name == NULL || type == NULL)
			continue;
		/* A rowid of its own: renumbered, matched on other keys. */
		if (pk > 0 && strcasecmp(type, "INTEGER") == 0 &&
		    strcmp(name, "id") == 0) {
			rowid_key = true;
			continue;
		}
		sqlite3_str_appendf(cols, "%s\"%w\"",
		    sqlite3_str_length(cols) > 0 ? ", " : "", name);
		if (strcmp(name, "run_id") == 0) {
			run_keyed = true;
			sqlite3_str_appendf(sel, "%sr.new",
			    sqlite3_str_length(sel) > 0 ? ", " : "");
		} else
			sqlite3_str_appendf(sel, "%sl.\"%w\"",
			    sqlite3_str_length(sel) > 0 ? ", " : "", name);
		if (pk > 0)
			sqlite3_str_appendf(key, "%s\"%w\"",
			    sqlite3_str_length(key) > 0 ? ", " : "", name);
		else if (strcasecmp(type, "INTEGER") == 0)
			sqlite3_str_appendf(set, "%s\"%w\" = %s(coalesce(\"%w\","
			    " excluded.\"%w\"), coalesce(excluded.\"%w\", \"%w\"))",
			    sqlite3_str_length(set) > 0 ? ", " : "", name,
			    strncmp(name, "first_", 6) == 0 ? "min" : "max",
			    name, name, name, name);
	}
	sqlite3_finalize(st);
	oom = sqlite3_str_errcode(cols) != SQLITE_OK ||
	    sqlite3_str_errcode(sel) != SQLITE_OK ||
	    sqlite3_str_errcode(key) != SQLITE_OK ||
	    sqlite3_str_errcode(set) != SQLITE_OK;
	/* An empty string finishes as NULL. */
	c = sqlite3_str_finish(cols);
	v = sqlite3_str_finish(sel);
	k = sqlite3_str_finish(key);
	u = sqlite3_str_finish(set);
	sql = NULL;
	rc = 0;
	if (!oom && c != NULL) {
		/* Identifiers from the files' own schema, quoted with %w. */
		q = sqlite3_str_new(s->db);
		sqlite3_str_appendf(q, "INSERT %s INTO main.\"%w\" (%s)"
		    " SELECT %s FROM lost.\"%w\" AS l%s WHERE true",
		    run_keyed ? "OR REPLACE" : "", table, c, v, table,
		    run_keyed ? " JOIN temp.svcmap_run_map AS r"
		    " ON r.old = l.run_id" : "");
		if (rowid_key)
			sqlite3_str_appendf(q, " ORDER BY l.rowid");
		if (!run_keyed && (rowid_key || k == NULL || u == NULL))
			sqlite3_str_appendf(q, " ON CONFLICT DO NOTHING");
		else if (!run_keyed)
			sqlite3_str_appendf(q, " ON CONFLICT (%s) DO UPDATE SET"
			    " %s", k, u);
		oom = sqlite3_str_errcode(q) != SQLITE_OK;
		sql = sqlite3_str_finish(q);
		if (!oom)
			rc = run_sql(s, sql, 0, 0, changes, err, errlen);
	}
	if (oom) {
		sqlite_seterr(err, errlen, "%s: out of memory", table);
		rc = -1;
	}
	sqlite3_free(sql);
	sqlite3_free(c);
	sqlite3_free(v);
	sqlite3_free(k);
	sqlite3_free(u);
	return rc == 0 ? 0 : -1;
}

/* Step 5: the lost file's rows into the path's file, in one transaction. */
static int
copy_lost(struct sqlite_store *s, int64_t daemon_run, int64_t *changes,
    char *err, size_t errlen)
{
	char uri[STORE_URL_LEN + 64];
	sqlite3_stmt *st;
	int64_t cur = sqlite_run_id(s, daemon_run), to = -1;
	int rc;

	*changes = 0;
	if (sqlite_path_uri(s->lost_copy, "?mode=ro&immutable=1", uri,
	    sizeof(uri)) == -1) {
		sqlite_seterr(err, errlen, "%s: path too long", s->lost_copy);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "ATTACH ?1 AS lost", -1, &st, NULL) !=
	    SQLITE_OK) {
		sqlite_dberr(s->db, err, errlen, "attaching the lost database");
		return -1;
	}
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	rc = sqlite_step_done(s->db, st, err, errlen,
	    "attaching the lost database");
	sqlite3_finalize(st);
	if (rc == -1)
		return -1;
	if (sqlite_exec(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		goto fail;
	if (copy_runs(s, changes, err, errlen) == -1)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM lost.sqlite_master"
	    " WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND"
	    " name <> 'runs' AND name IN (SELECT name FROM main.sqlite_master"
	    " WHERE type = 'table') ORDER BY name", -1, &st, NULL) !=
	    SQLITE_OK) {
		sqlite_dberr(s->db, err, errlen, "the lost database's tables");
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (copy_table(s, (const char *)sqlite3_column_text(st, 0),
		    changes, err, errlen) == -1)
			break;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT new FROM temp.svcmap_run_map"
	    " WHERE old = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, cur);
		if (sqlite3_step(st) == SQLITE_ROW)
			to = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (sqlite_exec(s->db, "COMMIT", err, errlen) == -1)
		goto fail;
	sqlite_exec(s->db, "DETACH lost", NULL, 0);
	if (to != -1) {
		s->run_mapped = true;
		s->run_from = daemon_run;
		s->run_to = to;
	}
	return 0;
fail:
	sqlite_rollback(s->db);
	sqlite_exec(s->db, "DETACH lost", NULL, 0);
	return -1;
}

int
sqlite_lost_check(struct sqlite_store *s, struct flush_handover *h,
    char *err, size_t errlen)
{
	struct stat sb;
	int64_t copied;
	bool pending = s->lost_fd != -1 || s->lost_copy != NULL;

	if (s->db != NULL && s->fd != -1 && file_lost(s)) {
		if (!pending) {
			if (fstat(s->fd, &sb) == -1)
				sb.st_ino = 0;
			log_warnx("database %s %s while svcmapd was writing it "
			    "(inode %ju): opening the path again and copying "
			    "what the lost file holds into it", s->path,
			    s->lost_why, (uintmax_t)sb.st_ino);
			if (let_go(s, err, errlen) == -1)
				return -1;
		} else {
			/* Lost again before the copy: none of ours is in it. */
			sqlite_finalize_statements(s);
			sqlite3_close(s->db);
			s->db = NULL;
			close(s->fd);
			s->fd = -1;
		}
	}
	if (s->lost_fd == -1 && s->lost_copy == NULL)
		return 0;
	if (s->lost_copy == NULL && save_lost(s, err, errlen) == -1)
		return -1;
	if (s->db == NULL && reopen(s, err, errlen) == -1)
		return -1;
	if (copy_lost(s, h->run_id, &copied, err, errlen) == -1)
		return -1;
	if (unlink(s->lost_copy) == -1)
		log_warn("%s", s->lost_copy);
	free(s->lost_copy);
	s->lost_copy = NULL;
	/* The table in memory is the truth: all of it goes in again. */
	if (h->endpoints != NULL)
		endpoint_mark_all_dirty(h->endpoints);
	log_warnx("database %s: writing to the file now at the path (inode "
	    "%ju); %" PRId64 " rows of the lost file copied or merged into "
	    "it, and this flush adds the counters held in memory", s->path,
	    (uintmax_t)s->ino, copied);
	return 0;
}

int64_t
sqlite_run_id(const struct sqlite_store *s, int64_t run_id)
{
	return s->run_mapped && run_id == s->run_from ? s->run_to : run_id;
}

/*
 * The store closes with a lost file's rows never merged (the path could
 * not be opened again, or the copy kept failing): they stay in the
 * saved copy, which the log names.
 */
void
sqlite_lost_abandon(struct sqlite_store *s)
{
	char err[600];

	if (s->lost_fd != -1 && s->lost_copy == NULL &&
	    save_lost(s, err, sizeof(err)) == -1)
		log_warnx("%s: the lost file's rows are gone", err);
	if (s->lost_copy != NULL)
		log_warnx("database %s: the lost file's rows could not be "
		    "merged into it; they are saved in %s (svcmapctl -d %s "
		    "reads them)", s->path, s->lost_copy, s->lost_copy);
	if (s->lost_fd != -1)
		close(s->lost_fd);
	s->lost_fd = -1;
	free(s->lost_copy);
	s->lost_copy = NULL;
}
