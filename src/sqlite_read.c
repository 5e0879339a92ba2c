/*
 * sqlite_read.c - the SQLite reader (query.h struct reader_ops).
 *
 * Each query is one or two SQL statements over a read-only connection;
 * one read transaction (a WAL snapshot) covers it, so a flush committed
 * in the middle never shows half.  Addresses are stored as 16-byte BLOBs
 * and come out as text through svcmap_ip_text() (sqlite_open.c), which
 * also orders them: the output keeps the order of address text that
 * schema v2 gave.  Names come from the catalog in query.c.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "svcmap/addr.h"
#include "svcmap/alert.h"
#include "svcmap/log.h"
#include "svcmap/query.h"
#include "svcmap/stats.h"
#include "sqlite_int.h"

struct sqlite_reader {
	struct reader	 base;		/* first: a struct reader * */
	sqlite3		*db;
	char		*path;
	dev_t		 dev;		/* the file it was opened on */
	ino_t		 ino;
};

static sqlite3 *
rdb(struct reader *rd)
{
	return ((struct sqlite_reader *)rd)->db;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? s : "";
}

static uint64_t
col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Text of a nullable column, NULL for SQL NULL and for "". */
static const char *
col_opt(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/*
 * One snapshot for the whole query: without it, each statement of a
 * two-statement query could see a different flush.
 */
static int
begin_read(sqlite3 *db, char *err, size_t errlen)
{
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite_dberr(db, err, errlen, "BEGIN");
		return -1;
	}
	return 0;
}

static void
end_read(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err,
    size_t errlen)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		sqlite_dberr(db, err, errlen, "query");
		return -1;
	}
	return 0;
}

/* Room for one more element in an array of n (cap doubles from 8). */
static int
grow(void **array, size_t n, size_t *cap, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if ((p = reallocarray(*array, ncap, elem)) == NULL)
		return -1;
	*array = p;
	*cap = ncap;
	return 0;
}

/* The first and last address of w's host prefix (cidr_parse() cleared
 * its host bits). */
static void
host_range(const struct query_window *w, struct addr *lo, struct addr *hi)
{
	int i, bits;

	*lo = w->host.net;
	*hi = w->host.net;
	for (i = 0; i < 16; i++) {
		bits = (int)w->host.plen - i * 8;
		if (bits >= 8)
			continue;
		hi->b[i] |= bits <= 0 ? 0xff : (uint8_t)(0xff >> bits);
	}
}

/*
 * The latest non-empty protocol (and interface) of a group comes from
 * max() over "<last_seen, zero-padded> <value>": one pass over the rows,
 * no index needed, where a correlated subquery per group would scan the
 * table again for every service.
 */
static const char services_sql[] =
    "SELECT s.service, svcmap_ip_text(s.server_ip) AS ip, s.port,"
    " s.transport, s.vlan, s.method,"
    " sum(s.flows), sum(s.pkts_c2s), sum(s.pkts_s2c), sum(s.bytes_c2s),"
    " sum(s.bytes_s2c), min(s.first_seen), max(s.last_seen),"
    " substr(max(CASE WHEN s.protocol <> '' THEN"
    "   printf('%020d ', s.last_seen) || s.protocol END), 22),"
    " substr(max(CASE WHEN s.interface <> '' THEN"
    "   printf('%020d ', s.last_seen) || s.interface END), 22),"
    " (SELECT count(*) FROM service_clients c WHERE c.sensor = s.sensor"
    "   AND c.service = s.service AND c.server_ip = s.server_ip"
    "   AND c.port = s.port AND c.transport = s.transport"
    "   AND c.vlan = s.vlan AND c.last_seen >= ?3 AND c.first_seen < ?5),"
    " s.sensor, s.pipe, min(nullif(s.smb_dialect, 0)),"
    " sum(s.smb_encrypted)"
    " FROM service_stats s"
    " WHERE (?1 IS NULL OR s.server_ip BETWEEN ?1 AND ?6)"
    " AND (?2 IS NULL OR s.service = ?2)"
    " AND s.last_seen >= ?3 AND (?4 OR s.service <> '')"
    " AND s.first_seen < ?5"
    " AND (?7 IS NULL OR (svcmap_ip_text(s.server_ip), s.transport, s.port,"
    "   s.service, s.method, s.pipe, s.vlan, s.sensor) >"
    "   (?7, ?8, ?9, ?10, ?11, ?14, ?12, ?13))"
    " GROUP BY s.sensor, s.service, s.server_ip, s.port, s.transport,"
    " s.vlan, s.method, s.pipe"
    " ORDER BY ip, s.transport, s.port, s.service, s.method, s.pipe,"
    " s.vlan, s.sensor LIMIT ?15";

/* SQLite's "no limit" for a LIMIT parameter. */
static sqlite3_int64
page_limit(const struct query_page *pg)
{
	return pg != NULL && pg->limit > 0 && pg->limit < INT64_MAX ?
	    (sqlite3_int64)pg->limit : -1;
}

static const struct query_key *
page_after(const struct query_page *pg)
{
	return pg != NULL ? pg->after : NULL;
}

static int
read_services(struct reader *rd, const struct query_filter *f,
    const struct query_page *pg, query_service_fn fn, void *arg, char *err,
    size_t errlen)
{
	const struct query_key *k = page_after(pg);
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	struct query_service r;
	struct query_window w;
	struct addr lo, hi;
	const char *svc = f->service;
	bool all = f->all;
	int rc;

	/* A host is an address or a prefix: a range of address BLOBs. */
	memset(&w, 0, sizeof(w));
	if (f->host != NULL && cidr_parse(&w.host, f->host) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", f->host);
		return -1;
	}
	w.has_host = f->host != NULL;
	host_range(&w, &lo, &hi);
	if (svc != NULL && strcmp(svc, QUERY_UNDOCUMENTED) == 0) {
		svc = "";
		all = true;
	}
	if (prepare(db, services_sql, &st, err, errlen) == -1)
		return -1;
	if (f->host != NULL) {
		sqlite_bind_addr(st, 1, &lo);
		sqlite_bind_addr(st, 6, &hi);
	}
	if (svc != NULL)
		sqlite3_bind_text(st, 2, svc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->since);
	sqlite3_bind_int(st, 4, all);
	sqlite3_bind_int64(st, 5, f->until != 0 ? f->until : INT64_MAX);
	if (k != NULL) {
		sqlite3_bind_text(st, 7, k->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, k->transport, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 9, k->port);
		sqlite3_bind_text(st, 10, k->service, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, k->method, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 12, k->vlan);
		sqlite3_bind_text(st, 13, k->sensor, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, k->pipe, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 15, page_limit(pg));

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.service = col_text(st, 0);
		r.server_ip = col_text(st, 1);
		r.port = (uint16_t)sqlite3_column_int(st, 2);
		r.transport = col_text(st, 3);
		r.vlan = (uint16_t)sqlite3_column_int(st, 4);
		r.method = col_text(st, 5);
		r.flows = col_u64(st, 6);
		r.packets_c2s = col_u64(st, 7);
		r.packets_s2c = col_u64(st, 8);
		r.bytes_c2s = col_u64(st, 9);
		r.bytes_s2c = col_u64(st, 10);
		r.first_seen = sqlite3_column_int64(st, 11);
		r.last_seen = sqlite3_column_int64(st, 12);
		r.protocol = col_opt(st, 13);
		r.interface = col_opt(st, 14);
		r.clients = col_u64(st, 15);
		r.sensor = col_text(st, 16);
		r.pipe = col_opt(st, 17);
		r.smb_dialect = (uint16_t)sqlite3_column_int(st, 18);
		r.smb_encrypted = col_u64(st, 19);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "services");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Attempts in the window: a row counts when its first..last sighting
 * meets [since, until), its clients likewise.  Keyset order: address
 * text, transport, port, vlan, sensor.
 */
static const char attempts_sql[] =
    "SELECT svcmap_ip_text(a.server_ip) AS ip, a.port, a.transport,"
    " a.vlan, a.sensor, a.refused, a.unanswered, a.packets, a.bytes,"
    " a.first_seen, a.last_seen,"
    " (SELECT count(*) FROM attempt_clients c WHERE c.sensor = a.sensor"
    "   AND c.server_ip = a.server_ip AND c.port = a.port"
    "   AND c.transport = a.transport AND c.vlan = a.vlan"
    "   AND c.last_seen >= ?3 AND c.first_seen < ?4)"
    " FROM attempts a"
    " WHERE (?1 IS NULL OR a.server_ip BETWEEN ?1 AND ?2)"
    " AND a.last_seen >= ?3 AND a.first_seen < ?4"
    " AND (?5 IS NULL OR (svcmap_ip_text(a.server_ip), a.transport, a.port,"
    "   a.vlan, a.sensor) > (?5, ?6, ?7, ?8, ?9))"
    " ORDER BY ip, a.transport, a.port, a.vlan, a.sensor LIMIT ?10";

static int
read_attempts(struct reader *rd, const struct query_filter *f,
    const struct query_page *pg, query_attempt_fn fn, void *arg, char *err,
    size_t errlen)
{
	const struct query_key *k = page_after(pg);
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	struct query_attempt r;
	struct query_window w;
	struct addr lo, hi;
	int rc;

	memset(&w, 0, sizeof(w));
	if (f->host != NULL && cidr_parse(&w.host, f->host) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", f->host);
		return -1;
	}
	host_range(&w, &lo, &hi);
	if (prepare(db, attempts_sql, &st, err, errlen) == -1)
		return -1;
	if (f->host != NULL) {
		sqlite_bind_addr(st, 1, &lo);
		sqlite_bind_addr(st, 2, &hi);
	}
	sqlite3_bind_int64(st, 3, f->since);
	sqlite3_bind_int64(st, 4, f->until != 0 ? f->until : INT64_MAX);
	if (k != NULL) {
		sqlite3_bind_text(st, 5, k->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, k->transport, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, k->port);
		sqlite3_bind_int(st, 8, k->vlan);
		sqlite3_bind_text(st, 9, k->sensor, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 10, page_limit(pg));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.server_ip = col_text(st, 0);
		r.port = (uint16_t)sqlite3_column_int(st, 1);
		r.transport = col_text(st, 2);
		r.vlan = (uint16_t)sqlite3_column_int(st, 3);
		r.sensor = col_text(st, 4);
		r.refused = col_u64(st, 5);
		r.unanswered = col_u64(st, 6);
		r.attempts = r.refused + r.unanswered;
		r.packets = col_u64(st, 7);
		r.bytes = col_u64(st, 8);
		r.first_seen = sqlite3_column_int64(st, 9);
		r.last_seen = sqlite3_column_int64(st, 10);
		r.clients = col_u64(st, 11);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "attempts");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The documented services of every host, walked alongside the hosts. */
struct key_list {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static int
key_list_add(struct key_list *l, const char *s)
{
	if (grow((void **)&l->v, l->n, &l->cap, sizeof(*l->v)) == -1)
		return -1;
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
key_list_clear(struct key_list *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
}

/* Order of (address text, sensor) pairs, as the two queries sort them. */
static int
cmp_host(sqlite3_stmt *sv, const struct query_host *r)
{
	int c = strcmp(col_text(sv, 0), r->ip);

	return c != 0 ? c : strcmp(col_text(sv, 1), r->sensor);
}

/*
 * Names of addresses, NetBIOS suffixes folded (one row per name, source
 * and kind): "computer" says whether one of them is a unique <00>/<20>
 * name (names.h names_rank()).  Ordered as the hosts, by address text.
 */
#define NAMES_SQL(where) \
	"SELECT svcmap_ip_text(address) AS ipt, sensor, name, source, kind," \
	" max(nb_group = 0 AND (source <> 'nbns' OR nb_suffix IN (0, 32)))," \
	" min(first_seen), max(last_seen) FROM host_names" where \
	" GROUP BY ipt, sensor, name, source, kind" \
	" ORDER BY ipt, sensor, name, source, kind"

static void
name_row(sqlite3_stmt *st, struct query_name *n)
{
	n->ip = col_text(st, 0);
	n->sensor = col_text(st, 1);
	n->name = col_text(st, 2);
	n->source = col_text(st, 3);
	n->kind = col_text(st, 4);
	n->computer = sqlite3_column_int(st, 5) != 0;
	n->first_seen = sqlite3_column_int64(st, 6);
	n->last_seen = sqlite3_column_int64(st, 7);
	n->rank = -1;
}

/* The names of one host, walked alongside the hosts (strings copied). */
struct name_list {
	struct query_name *v;
	char	**text;		/* name, source, kind of each, in a row */
	size_t	  n;
	size_t	  cap;
	size_t	  tcap;
};

static int
name_list_add(struct name_list *l, sqlite3_stmt *st)
{
	struct query_name *q;
	size_t i;

	if (grow((void **)&l->v, l->n, &l->cap, sizeof(*l->v)) == -1 ||
	    grow((void **)&l->text, l->n * 3 + 2, &l->tcap,
	    sizeof(*l->text)) == -1)
		return -1;
	q = &l->v[l->n];
	name_row(st, q);
	for (i = 0; i < 3; i++)
		l->text[l->n * 3 + i] = NULL;
	if ((l->text[l->n * 3] = strdup(q->name)) == NULL ||
	    (l->text[l->n * 3 + 1] = strdup(q->source)) == NULL ||
	    (l->text[l->n * 3 + 2] = strdup(q->kind)) == NULL) {
		for (i = 0; i < 3; i++)
			free(l->text[l->n * 3 + i]);
		return -1;
	}
	q->name = l->text[l->n * 3];
	q->source = l->text[l->n * 3 + 1];
	q->kind = l->text[l->n * 3 + 2];
	q->ip = q->sensor = NULL;	/* the host's */
	l->n++;
	return 0;
}

static void
name_list_clear(struct name_list *l)
{
	while (l->n > 0) {
		l->n--;
		free(l->text[l->n * 3]);
		free(l->text[l->n * 3 + 1]);
		free(l->text[l->n * 3 + 2]);
	}
}

static int
cmp_name_host(sqlite3_stmt *nm, const struct query_host *r)
{
	int c = strcmp(col_text(nm, 0), r->ip);

	return c != 0 ? c : strcmp(col_text(nm, 1), r->sensor);
}

static int
read_names(struct reader *rd, const char *ip, query_name_fn fn, void *arg,
    char *err, size_t errlen)
{
	static const char all_sql[] = NAMES_SQL("");
	static const char one_sql[] =
	    NAMES_SQL(" WHERE address = svcmap_ip_blob(?1)");
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st = NULL;
	struct query_name n;
	int rc, ret = -1;

	if (begin_read(db, err, errlen) == -1)
		return -1;
	if (prepare(db, ip != NULL ? one_sql : all_sql, &st, err,
	    errlen) == -1)
		goto out;
	if (ip != NULL)
		sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name_row(st, &n);
		fn(arg, &n);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "host_names");
	else
		ret = 0;
out:
	sqlite3_finalize(st);
	end_read(db);
	return ret;
}

/* What one host served, walked alongside the hosts (strings copied). */
struct served_list {
	struct query_served *v;
	size_t	  n;
	size_t	  cap;
};

static int
served_list_add(struct served_list *l, sqlite3_stmt *st)
{
	struct query_served *q;

	if (grow((void **)&l->v, l->n, &l->cap, sizeof(*l->v)) == -1)
		return -1;
	q = &l->v[l->n];
	q->port = (uint16_t)sqlite3_column_int(st, 3);
	q->first_seen = sqlite3_column_int64(st, 6);
	q->last_seen = sqlite3_column_int64(st, 7);
	q->interface = q->pipe = NULL;
	if ((q->service = strdup(col_text(st, 2))) == NULL ||
	    (q->interface = strdup(col_text(st, 4))) == NULL ||
	    (q->pipe = strdup(col_text(st, 5))) == NULL) {
		free((char *)q->service);
		free((char *)q->interface);
		return -1;
	}
	l->n++;
	return 0;
}

static void
served_list_clear(struct served_list *l)
{
	while (l->n > 0) {
		l->n--;
		free((char *)l->v[l->n].service);
		free((char *)l->v[l->n].interface);
		free((char *)l->v[l->n].pipe);
	}
}

static int
read_hosts(struct reader *rd, const struct query_page *pg,
    query_host_fn fn, void *arg, char *err, size_t errlen)
{
	static const char hosts_sql[] =
	    "SELECT svcmap_ip_text(h.ip) AS ipt, h.first_seen, h.last_seen,"
	    " coalesce(t.f, 0), coalesce(t.p, 0), coalesce(t.b, 0), h.sensor"
	    " FROM hosts h LEFT JOIN"
	    " (SELECT sensor, server_ip, sum(flows) AS f,"
	    "   sum(pkts_c2s + pkts_s2c) AS p,"
	    "   sum(bytes_c2s + bytes_s2c) AS b"
	    "  FROM service_stats GROUP BY sensor, server_ip) t"
	    " ON t.sensor = h.sensor AND t.server_ip = h.ip"
	    " WHERE ?1 IS NULL OR (svcmap_ip_text(h.ip), h.sensor) > (?1, ?2)"
	    " ORDER BY ipt, h.sensor LIMIT ?3";
	static const char services_of_sql[] =
	    "SELECT DISTINCT svcmap_ip_text(server_ip) AS ipt, sensor, service"
	    " FROM service_stats WHERE service <> ''"
	    " AND (?1 IS NULL OR (svcmap_ip_text(server_ip), sensor) >"
	    "   (?1, ?2))"
	    " ORDER BY ipt, sensor, service";
	static const char names_sql[] = NAMES_SQL(" WHERE ?1 IS NULL OR"
	    " (svcmap_ip_text(address), sensor) > (?1, ?2)");
	/*
	 * The roles' evidence (roles.h): rows whose server answered in a
	 * protocol nDPI recognised, or that an RPC bind or a pipe named.
	 * A reset or a silent handshake on a port is not a role.
	 */
	static const char served_sql[] =
	    "SELECT svcmap_ip_text(server_ip) AS ipt, sensor, service, port,"
	    " interface, pipe, min(first_seen), max(last_seen)"
	    " FROM service_stats WHERE pkts_s2c > 0"
	    " AND (protocol <> '' OR interface <> '' OR pipe <> '')"
	    " AND (?1 IS NULL OR (svcmap_ip_text(server_ip), sensor) >"
	    "   (?1, ?2))"
	    " GROUP BY ipt, sensor, service, port, interface, pipe"
	    " ORDER BY ipt, sensor, service, port, interface, pipe";
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *h = NULL, *sv = NULL, *nm = NULL, *sd = NULL;
	struct key_list keys = { NULL, 0, 0 };
	struct served_list served = { NULL, 0, 0 };
	struct name_list names;
	struct query_host r;
	int rc, src = SQLITE_DONE, nrc = SQLITE_DONE, drc = SQLITE_DONE;
	int ret = -1;

	memset(&names, 0, sizeof(names));
	if (begin_read(db, err, errlen) == -1)
		return -1;
	if (prepare(db, hosts_sql, &h, err, errlen) == -1 ||
	    prepare(db, services_of_sql, &sv, err, errlen) == -1 ||
	    prepare(db, names_sql, &nm, err, errlen) == -1 ||
	    prepare(db, served_sql, &sd, err, errlen) == -1)
		goto out;
	if (page_after(pg) != NULL) {
		sqlite3_bind_text(h, 1, pg->after->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(h, 2, pg->after->sensor, -1, SQLITE_STATIC);
		sqlite3_bind_text(sv, 1, pg->after->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(sv, 2, pg->after->sensor, -1, SQLITE_STATIC);
		sqlite3_bind_text(nm, 1, pg->after->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(nm, 2, pg->after->sensor, -1, SQLITE_STATIC);
		sqlite3_bind_text(sd, 1, pg->after->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(sd, 2, pg->after->sensor, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(h, 3, page_limit(pg));
	/* All are ordered by address text (BINARY, i.e. strcmp order). */
	src = sqlite3_step(sv);
	nrc = sqlite3_step(nm);
	drc = sqlite3_step(sd);
	while ((rc = sqlite3_step(h)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.ip = col_text(h, 0);
		r.first_seen = sqlite3_column_int64(h, 1);
		r.last_seen = sqlite3_column_int64(h, 2);
		r.flows = col_u64(h, 3);
		r.packets = col_u64(h, 4);
		r.bytes = col_u64(h, 5);
		r.sensor = col_text(h, 6);
		while (src == SQLITE_ROW && cmp_host(sv, &r) < 0)
			src = sqlite3_step(sv);
		key_list_clear(&keys);
		while (src == SQLITE_ROW && cmp_host(sv, &r) == 0) {
			if (key_list_add(&keys, col_text(sv, 2)) == -1) {
				snprintf(err, errlen, "hosts: out of memory");
				goto out;
			}
			src = sqlite3_step(sv);
		}
		if (src != SQLITE_ROW && src != SQLITE_DONE)
			break;
		while (nrc == SQLITE_ROW && cmp_name_host(nm, &r) < 0)
			nrc = sqlite3_step(nm);
		name_list_clear(&names);
		while (nrc == SQLITE_ROW && cmp_name_host(nm, &r) == 0) {
			if (name_list_add(&names, nm) == -1) {
				snprintf(err, errlen, "hosts: out of memory");
				goto out;
			}
			nrc = sqlite3_step(nm);
		}
		if (nrc != SQLITE_ROW && nrc != SQLITE_DONE)
			break;
		while (drc == SQLITE_ROW && cmp_host(sd, &r) < 0)
			drc = sqlite3_step(sd);
		served_list_clear(&served);
		while (drc == SQLITE_ROW && cmp_host(sd, &r) == 0) {
			if (served_list_add(&served, sd) == -1) {
				snprintf(err, errlen, "hosts: out of memory");
				goto out;
			}
			drc = sqlite3_step(sd);
		}
		if (drc != SQLITE_ROW && drc != SQLITE_DONE)
			break;
		r.served = served.v;
		r.nserved = served.n;
		r.services = (const char *const *)keys.v;
		r.nservices = keys.n;
		r.names = names.v;
		r.nnames = names.n;
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE || (src != SQLITE_ROW && src != SQLITE_DONE) ||
	    (nrc != SQLITE_ROW && nrc != SQLITE_DONE) ||
	    (drc != SQLITE_ROW && drc != SQLITE_DONE))
		sqlite_dberr(db, err, errlen, "hosts");
	else
		ret = 0;
out:
	key_list_clear(&keys);
	free(keys.v);
	name_list_clear(&names);
	free(names.v);
	free(names.text);
	served_list_clear(&served);
	free(served.v);
	sqlite3_finalize(h);
	sqlite3_finalize(sv);
	sqlite3_finalize(nm);
	sqlite3_finalize(sd);
	end_read(db);
	return ret;
}

static int
read_endpoints(struct reader *rd, const struct query_page *pg,
    query_endpoint_fn fn, void *arg, char *err, size_t errlen)
{
	const struct query_key *k = page_after(pg);
	static const char sql[] =
	    "SELECT svcmap_ip_text(server_ip) AS ipt, port, transport, uuid,"
	    " version, source, clsid, learned_at, refreshed_at, last_used,"
	    " moved_from, flows, announcements, sensor FROM rpc_endpoints"
	    " WHERE ?1 IS NULL OR (svcmap_ip_text(server_ip), transport, port,"
	    "   uuid, sensor) > (?1, ?2, ?3, ?4, ?5)"
	    " ORDER BY ipt, transport, port, uuid, sensor LIMIT ?6";
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	struct query_endpoint r;
	int rc;

	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
	if (k != NULL) {
		sqlite3_bind_text(st, 1, k->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, k->transport, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, k->port);
		sqlite3_bind_text(st, 4, k->uuid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, k->sensor, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 6, page_limit(pg));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.server_ip = col_text(st, 0);
		r.port = (uint16_t)sqlite3_column_int(st, 1);
		r.transport = col_text(st, 2);
		r.uuid = col_text(st, 3);
		r.version = col_text(st, 4);
		r.source = col_text(st, 5);
		r.clsid = col_opt(st, 6);
		r.learned_at = sqlite3_column_int64(st, 7);
		r.refreshed_at = sqlite3_column_int64(st, 8);
		r.last_used = sqlite3_column_int64(st, 9);
		r.moved_from = (uint16_t)sqlite3_column_int(st, 10);
		r.flows = col_u64(st, 11);
		r.announcements = col_u64(st, 12);
		r.sensor = col_text(st, 13);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "endpoints");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Outbound rows: the same columns in both tables, the peer column named
 * after its side.  Rows whose time span meets [since, until) count.
 */
#define OUTBOUND_SQL(peer, table) \
	"SELECT svcmap_ip_text(" peer ") AS ipt, port, transport, protocol," \
	" flows, pkts_c2s, pkts_s2c, bytes_c2s, bytes_s2c, first_seen," \
	" last_seen, sensor FROM " table \
	" WHERE (?1 IS NULL OR " peer " BETWEEN ?1 AND ?2)" \
	" AND (?3 = 0 OR port = ?3) AND last_seen >= ?4 AND first_seen < ?5" \
	" AND (?6 IS NULL OR (svcmap_ip_text(" peer "), transport, port," \
	"   sensor) > (?6, ?7, ?8, ?9))" \
	" ORDER BY ipt, transport, port, sensor LIMIT ?10"

static int
read_outbound(struct reader *rd, const struct query_outbound_filter *f,
    const struct query_page *pg, query_outbound_fn fn, void *arg,
    char *err, size_t errlen)
{
	static const char *const sql[2] = {
		OUTBOUND_SQL("client_ip", "outbound"),
		OUTBOUND_SQL("server_ip", "outbound_servers"),
	};
	const struct query_key *k = page_after(pg);
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	struct query_outbound r;
	struct query_window w;
	struct addr lo, hi;
	int rc;

	memset(&w, 0, sizeof(w));
	if (f->host != NULL && cidr_parse(&w.host, f->host) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", f->host);
		return -1;
	}
	host_range(&w, &lo, &hi);
	if (prepare(db, sql[f->servers ? 1 : 0], &st, err, errlen) == -1)
		return -1;
	if (f->host != NULL) {
		sqlite_bind_addr(st, 1, &lo);
		sqlite_bind_addr(st, 2, &hi);
	}
	sqlite3_bind_int(st, 3, f->port);
	sqlite3_bind_int64(st, 4, f->since);
	sqlite3_bind_int64(st, 5, f->until != 0 ? f->until : INT64_MAX);
	if (k != NULL) {
		sqlite3_bind_text(st, 6, k->ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, k->transport, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, k->port);
		sqlite3_bind_text(st, 9, k->sensor, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 10, page_limit(pg));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.ip = col_text(st, 0);
		r.port = (uint16_t)sqlite3_column_int(st, 1);
		r.transport = col_text(st, 2);
		r.protocol = col_text(st, 3);
		if (r.protocol[0] == '\0')
			r.protocol = NULL;
		r.flows = col_u64(st, 4);
		r.packets_c2s = col_u64(st, 5);
		r.packets_s2c = col_u64(st, 6);
		r.bytes_c2s = col_u64(st, 7);
		r.bytes_s2c = col_u64(st, 8);
		r.first_seen = sqlite3_column_int64(st, 9);
		r.last_seen = sqlite3_column_int64(st, 10);
		r.sensor = col_text(st, 11);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "outbound");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The clients of an operation are its rpc_operation_clients rows, as a
 * service's are its service_clients rows.
 */
static int
read_operations(struct reader *rd, const struct query_op_filter *f,
    query_operation_fn fn, void *arg, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT svcmap_ip_text(o.server_ip) AS ipt, o.port, o.transport,"
	    " o.interface_uuid, o.version, o.opnum, o.calls,"
	    " (SELECT count(*) FROM rpc_operation_clients c"
	    "   WHERE c.sensor = o.sensor AND c.server_ip = o.server_ip"
	    "   AND c.port = o.port AND c.transport = o.transport"
	    "   AND c.interface_uuid = o.interface_uuid"
	    "   AND c.opnum = o.opnum),"
	    " o.first_seen, o.last_seen, o.sensor FROM rpc_operations o"
	    " WHERE (?1 IS NULL OR o.server_ip BETWEEN ?1 AND ?2)"
	    " ORDER BY ipt, o.transport, o.port, o.interface_uuid, o.opnum,"
	    " o.sensor";
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	struct query_operation r;
	struct query_window w;
	struct addr lo, hi;
	int rc;

	/* A host is an address or a prefix, as for services. */
	memset(&w, 0, sizeof(w));
	if (f->host != NULL && cidr_parse(&w.host, f->host) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", f->host);
		return -1;
	}
	host_range(&w, &lo, &hi);
	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
	if (f->host != NULL) {
		sqlite_bind_addr(st, 1, &lo);
		sqlite_bind_addr(st, 2, &hi);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.server_ip = col_text(st, 0);
		r.port = (uint16_t)sqlite3_column_int(st, 1);
		r.transport = col_text(st, 2);
		r.interface_uuid = col_text(st, 3);
		r.version = (uint16_t)sqlite3_column_int(st, 4);
		r.opnum = (uint16_t)sqlite3_column_int(st, 5);
		r.calls = col_u64(st, 6);
		r.clients = col_u64(st, 7);
		r.first_seen = sqlite3_column_int64(st, 8);
		r.last_seen = sqlite3_column_int64(st, 9);
		r.sensor = col_text(st, 10);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "operations");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
read_alerts(struct reader *rd, const char *kind, int64_t since,
    int64_t until, const struct query_page *pg, query_alert_fn fn, void *arg, char *err,
    size_t errlen)
{
	static const char sql[] =
	    "SELECT " SQLITE_ALERT_COLUMNS " FROM alerts"
	    " WHERE (?1 IS NULL OR kind = ?1) AND last_seen >= ?2"
	    " AND id > ?3 AND first_seen < ?5 ORDER BY id LIMIT ?4";
	sqlite3 *db = rdb(rd);
	struct alert_record a;
	sqlite3_stmt *st;
	size_t bad = 0;
	int rc;

	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
	if (kind != NULL)
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, page_after(pg) != NULL ? pg->after->id :
	    INT64_MIN);
	sqlite3_bind_int64(st, 4, page_limit(pg));
	sqlite3_bind_int64(st, 5, until != 0 ? until : INT64_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite_parse_alert(st, &a) == -1) {
			bad++;
			continue;
		}
		a.sensor = col_text(st, 17);
		fn(arg, &a);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		sqlite_dberr(db, err, errlen, "alerts");
		return -1;
	}
	if (bad > 0)
		log_warnx("alerts: %zu unreadable rows skipped", bad);
	return 0;
}

static int
summary_runs(sqlite3 *db, struct query_summary *m, char *err, size_t errlen)
{
	static const char runs_sql[] =
	    "SELECT count(*),"
	    " min(CASE WHEN first_packet > 0 THEN first_packet END),"
	    " max(last_packet), max(last_flush) FROM runs";
	static const char counters_sql[] =
	    "SELECT name, sum(value) FROM run_counters GROUP BY name";
	const struct counter_def *d;
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, runs_sql, &st, err, errlen) == -1)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite_dberr(db, err, errlen, "summary");
		sqlite3_finalize(st);
		return -1;
	}
	/* min() and max() of no rows are NULL, which reads back as 0. */
	m->runs = col_u64(st, 0);
	m->first_packet = sqlite3_column_int64(st, 1);
	m->last_packet = sqlite3_column_int64(st, 2);
	m->last_flush = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);

	/* A name this build does not know (a newer writer's) is skipped. */
	if (prepare(db, counters_sql, &st, err, errlen) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((d = counter_find(col_text(st, 0))) != NULL)
			counter_set(&m->totals, d, col_u64(st, 1));
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "summary");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
summary_decode(sqlite3 *db, struct query_summary *m, char *err,
    size_t errlen)
{
	static const char sql[] =
	    "SELECT reason, sum(count) FROM run_decode GROUP BY reason"
	    " ORDER BY reason";
	struct query_decode *n;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&m->decode, m->ndecode, &cap,
		    sizeof(*m->decode)) == -1) {
			snprintf(err, errlen, "summary: out of memory");
			sqlite3_finalize(st);
			return -1;
		}
		n = &m->decode[m->ndecode++];
		snprintf(n->reason, sizeof(n->reason), "%s", col_text(st, 0));
		n->count = col_u64(st, 1);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "summary");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
summary_capture(sqlite3 *db, struct query_summary *m, char *err,
    size_t errlen)
{
	static const char sql[] =
	    "SELECT iface, sum(received), sum(dropped), sum(if_dropped)"
	    " FROM capture_stats GROUP BY iface ORDER BY iface";
	struct query_capture *n;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&m->capture, m->ncapture, &cap,
		    sizeof(*m->capture)) == -1) {
			snprintf(err, errlen, "summary: out of memory");
			sqlite3_finalize(st);
			return -1;
		}
		n = &m->capture[m->ncapture++];
		snprintf(n->iface, sizeof(n->iface), "%s", col_text(st, 0));
		n->received = col_u64(st, 1);
		n->dropped = col_u64(st, 2);
		n->if_dropped = col_u64(st, 3);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "summary");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
read_summary(struct reader *rd, struct query_summary *m, char *err,
    size_t errlen)
{
	sqlite3 *db = rdb(rd);
	int ret;

	if (begin_read(db, err, errlen) == -1)
		return -1;
	ret = summary_runs(db, m, err, errlen) == 0 &&
	    summary_decode(db, m, err, errlen) == 0 &&
	    summary_capture(db, m, err, errlen) == 0 ? 0 : -1;
	end_read(db);
	return ret;
}

/* ------------------------------------------------------------------ */
/* top, series, the time reference */

/*
 * The filter of top and series, the same over service_stats (alias s)
 * and service_clients (alias c): a host prefix is a range of the 16-byte
 * address BLOBs (memcmp order), bound as its first and last address.
 */
#define WINDOW_WHERE(t)							\
	" (?1 IS NULL OR " t ".server_ip BETWEEN ?1 AND ?2)"		\
	" AND (?3 IS NULL OR " t ".service = ?3)"			\
	" AND (?4 = 0 OR " t ".port = ?4)"				\
	" AND " t ".last_seen >= ?5 AND " t ".first_seen < ?6"		\
	" AND (?7 OR " t ".service <> '')"

/* Bind ?1..?7 of WINDOW_WHERE; lo and hi live until the statement ends. */
static void
bind_window(sqlite3_stmt *st, const struct query_window *w, struct addr *lo,
    struct addr *hi)
{
	const char *svc = w->service;
	bool all = w->all;

	if (w->has_host) {
		host_range(w, lo, hi);
		sqlite_bind_addr(st, 1, lo);
		sqlite_bind_addr(st, 2, hi);
	}
	if (svc != NULL && strcmp(svc, QUERY_UNDOCUMENTED) == 0) {
		svc = "";
		all = true;
	}
	if (svc != NULL)
		sqlite3_bind_text(st, 3, svc, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, w->port);
	sqlite3_bind_int64(st, 5, w->since);
	sqlite3_bind_int64(st, 6, w->until != 0 ? w->until : INT64_MAX);
	sqlite3_bind_int(st, 7, all);
}

/*
 * One statement per kind of entry: the rows summed over their buckets,
 * vlans and methods, joined with their distinct clients, ranked by ?8
 * (0 bytes, 1 packets, 2 flows, 3 clients), at most ?9 (-1: all).
 */
#define TOP_SQL(sel, group, cgroup, on, cols)				\
	"SELECT " cols ", r.f, r.p, r.b, coalesce(c.n, 0), r.fs, r.ls,"	\
	" r.sensor FROM"						\
	" (SELECT " sel ", sum(s.flows) AS f,"				\
	"   sum(s.pkts_c2s + s.pkts_s2c) AS p,"				\
	"   sum(s.bytes_c2s + s.bytes_s2c) AS b,"			\
	"   min(s.first_seen) AS fs, max(s.last_seen) AS ls"		\
	"  FROM service_stats s WHERE" WINDOW_WHERE("s")		\
	"  GROUP BY " group ") r LEFT JOIN"				\
	" (SELECT " cgroup ", count(DISTINCT c.client_ip) AS n"		\
	"  FROM service_clients c WHERE" WINDOW_WHERE("c")		\
	"  GROUP BY " cgroup ") c ON " on				\
	" ORDER BY CASE ?8 WHEN 0 THEN r.b WHEN 1 THEN r.p"		\
	"  WHEN 2 THEN r.f ELSE coalesce(c.n, 0) END DESC,"		\
	" svcmap_ip_text(r.server_ip), r.transport, r.port, r.service,"	\
	" r.sensor LIMIT ?9"

static const char *const top_sql[] = {
	[QUERY_TOP_ROWS] = TOP_SQL(
	    "s.sensor, s.service, s.server_ip, s.port, s.transport",
	    "s.sensor, s.service, s.server_ip, s.port, s.transport",
	    "c.sensor, c.service, c.server_ip, c.port, c.transport",
	    "c.sensor = r.sensor AND c.service = r.service AND"
	    " c.server_ip = r.server_ip AND c.port = r.port AND"
	    " c.transport = r.transport",
	    "r.service, svcmap_ip_text(r.server_ip), r.port, r.transport"),
	[QUERY_TOP_HOSTS] = TOP_SQL(
	    "s.sensor, s.server_ip, NULL AS service, 0 AS port,"
	    " NULL AS transport",
	    "s.sensor, s.server_ip",
	    "c.sensor, c.server_ip",
	    "c.sensor = r.sensor AND c.server_ip = r.server_ip",
	    "NULL, svcmap_ip_text(r.server_ip), 0, NULL"),
	[QUERY_TOP_SERVICES] = TOP_SQL(
	    "s.sensor, s.service, NULL AS server_ip, 0 AS port,"
	    " NULL AS transport",
	    "s.sensor, s.service",
	    "c.sensor, c.service",
	    "c.sensor = r.sensor AND c.service = r.service",
	    "r.service, NULL, 0, NULL"),
};

static int
read_top(struct reader *rd, const struct query_window *w,
    enum query_top_of of, enum query_top_by by, uint64_t limit,
    query_top_fn fn, void *arg, char *err, size_t errlen)
{
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	struct query_top r;
	struct addr lo, hi;
	uint64_t rank = 0;
	int rc;

	if ((unsigned)of > QUERY_TOP_SERVICES) {
		snprintf(err, errlen, "top: bad kind");
		return -1;
	}
	if (prepare(db, top_sql[of], &st, err, errlen) == -1)
		return -1;
	bind_window(st, w, &lo, &hi);
	sqlite3_bind_int(st, 8, (int)by);
	sqlite3_bind_int64(st, 9, limit == 0 || limit > INT64_MAX ? -1 :
	    (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.rank = ++rank;
		r.service = (const char *)sqlite3_column_text(st, 0);
		r.server_ip = (const char *)sqlite3_column_text(st, 1);
		r.port = (uint16_t)sqlite3_column_int(st, 2);
		r.transport = (const char *)sqlite3_column_text(st, 3);
		r.flows = col_u64(st, 4);
		r.packets = col_u64(st, 5);
		r.bytes = col_u64(st, 6);
		r.clients = col_u64(st, 7);
		r.first_seen = sqlite3_column_int64(st, 8);
		r.last_seen = sqlite3_column_int64(st, 9);
		r.sensor = col_text(st, 10);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "top");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Rows finer than the resolution ?8 fall into its buckets; rows already
 * coarser (rolled up by retention) keep their own.  The clients of a
 * bucket are those whose first..last sighting meets it.
 */
static const char series_sql[] =
    "SELECT g.sensor, g.bk, g.res, g.f, g.pc, g.ps, g.bc, g.bs,"
    " (SELECT count(DISTINCT c.client_ip) FROM service_clients c"
    "  WHERE c.sensor = g.sensor AND" WINDOW_WHERE("c")
    "  AND c.first_seen < g.bk + g.res AND c.last_seen >= g.bk)"
    " FROM (SELECT s.sensor,"
    "  CASE WHEN s.resolution <= ?8 THEN s.bucket - s.bucket % ?8"
    "   ELSE s.bucket END AS bk,"
    "  max(s.resolution, ?8) AS res, sum(s.flows) AS f,"
    "  sum(s.pkts_c2s) AS pc, sum(s.pkts_s2c) AS ps,"
    "  sum(s.bytes_c2s) AS bc, sum(s.bytes_s2c) AS bs"
    "  FROM service_stats s WHERE" WINDOW_WHERE("s")
    "  GROUP BY s.sensor, bk, res) g"
    " ORDER BY g.sensor, g.bk, g.res";

static int
read_series(struct reader *rd, const struct query_window *w,
    int64_t resolution, query_bucket_fn fn, void *arg, char *err,
    size_t errlen)
{
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	struct query_bucket r;
	struct addr lo, hi;
	int rc;

	if (prepare(db, series_sql, &st, err, errlen) == -1)
		return -1;
	bind_window(st, w, &lo, &hi);
	sqlite3_bind_int64(st, 8, resolution);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.sensor = col_text(st, 0);
		r.bucket = sqlite3_column_int64(st, 1);
		r.resolution = sqlite3_column_int64(st, 2);
		r.flows = col_u64(st, 3);
		r.packets_c2s = col_u64(st, 4);
		r.packets_s2c = col_u64(st, 5);
		r.bytes_c2s = col_u64(st, 6);
		r.bytes_s2c = col_u64(st, 7);
		r.clients = col_u64(st, 8);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(db, err, errlen, "series");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The mode of the latest run ("offline": capture files) and the newest
 * packet of every run. */
static int
read_newest(struct reader *rd, int64_t *last_packet, bool *offline,
    char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT (SELECT mode FROM runs ORDER BY id DESC LIMIT 1),"
	    " (SELECT max(last_packet) FROM runs)";
	sqlite3 *db = rdb(rd);
	sqlite3_stmt *st;
	const char *mode;
	int rc;

	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mode = col_text(st, 0);
		*offline = strcmp(mode, "offline") == 0;
		*last_packet = sqlite3_column_int64(st, 1);
	} else
		sqlite_dberr(db, err, errlen, "runs");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * A connection to a deleted or replaced file would go on answering from
 * the old one forever: one stat() per request, no SQL.
 */
static bool
read_stale(struct reader *rd)
{
	struct sqlite_reader *r = (struct sqlite_reader *)rd;
	struct stat sb;

	return stat(r->path, &sb) == -1 || sb.st_dev != r->dev ||
	    sb.st_ino != r->ino;
}

static void
read_close(struct reader *rd)
{
	struct sqlite_reader *r = (struct sqlite_reader *)rd;

	sqlite3_close(r->db);
	free(r->path);
	free(r);
}

static const struct reader_ops sqlite_reader_ops = {
	.services = read_services,
	.hosts = read_hosts,
	.attempts = read_attempts,
	.names = read_names,
	.endpoints = read_endpoints,
	.outbound = read_outbound,
	.operations = read_operations,
	.alerts = read_alerts,
	.summary = read_summary,
	.stale = read_stale,
	.close = read_close,
	.top = read_top,
	.series = read_series,
	.newest = read_newest,
};

struct reader *
sqlite_reader_open(const char *path, char *err, size_t errlen)
{
	struct sqlite_reader *r;
	struct stat sb;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		free(r);
		sqlite_seterr(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->base.ops = &sqlite_reader_ops;
	/* The file checked for replacement is the one about to be opened. */
	if (stat(path, &sb) == 0) {
		r->dev = sb.st_dev;
		r->ino = sb.st_ino;
	}
	if ((r->db = sqlite_open_readonly(path, err, errlen)) == NULL) {
		free(r->path);
		free(r);
		return NULL;
	}
	return &r->base;
}
