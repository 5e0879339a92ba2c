/*
 * query.c - read the database for people (svcmapctl) and programs (API).
 *
 * Each query is one or two SQL statements over the read-only connection;
 * one read transaction (a WAL snapshot) covers it, so a flush committed
 * in the middle never shows half.  Names come from the catalog at query
 * time: the database holds keys and UUIDs only, so a catalog update
 * renames history too.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/store.h"

static const char *const flow_class_words[3] = {
	"classified", "undocumented", "unmonitored"
};

static void
dberr(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
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
		dberr(db, err, errlen, "BEGIN");
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
		dberr(db, err, errlen, "query");
		return -1;
	}
	return 0;
}

static void
json_kv_time(struct json *j, const char *key, int64_t t)
{
	char buf[32];

	if (t == 0)
		json_kv_string(j, key, NULL);
	else
		json_kv_string(j, key, json_time(t, buf));
}

/*
 * The latest non-empty protocol (and interface) of a group comes from
 * max() over "<last_seen, zero-padded> <value>": one pass over the rows,
 * no index needed, where a correlated subquery per group would scan the
 * table again for every service.
 */
static const char services_sql[] =
    "SELECT s.service, s.server_ip, s.port, s.transport, s.vlan, s.method,"
    " sum(s.flows), sum(s.pkts_c2s), sum(s.pkts_s2c), sum(s.bytes_c2s),"
    " sum(s.bytes_s2c), min(s.first_seen), max(s.last_seen),"
    " substr(max(CASE WHEN s.protocol <> '' THEN"
    "   printf('%020d ', s.last_seen) || s.protocol END), 22),"
    " substr(max(CASE WHEN s.interface <> '' THEN"
    "   printf('%020d ', s.last_seen) || s.interface END), 22),"
    " (SELECT count(*) FROM service_clients c WHERE c.service = s.service"
    "   AND c.server_ip = s.server_ip AND c.port = s.port"
    "   AND c.transport = s.transport AND c.vlan = s.vlan"
    "   AND c.last_seen >= ?3)"
    " FROM service_stats s"
    " WHERE (?1 IS NULL OR s.server_ip = ?1)"
    " AND (?2 IS NULL OR s.service = ?2)"
    " AND s.last_seen >= ?3 AND (?4 OR s.service <> '')"
    " GROUP BY s.service, s.server_ip, s.port, s.transport, s.vlan, s.method"
    " ORDER BY s.server_ip, s.transport, s.port, s.service, s.method, s.vlan";

int
query_services(struct store *s, const struct catalog *cat,
    const struct query_filter *f, query_service_fn fn, void *arg,
    char *err, size_t errlen)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;
	struct query_service r;
	struct addr a;
	char host[ADDR_STRLEN];
	const char *svc = f->service;
	bool all = f->all;
	int rc, i;

	/* Stored addresses are in addr_fmt() form: compare like with like. */
	if (f->host != NULL) {
		if (addr_parse(&a, f->host) == -1) {
			snprintf(err, errlen, "bad host address \"%s\"",
			    f->host);
			return -1;
		}
		addr_fmt(&a, host);
	}
	if (svc != NULL && strcmp(svc, QUERY_UNDOCUMENTED) == 0) {
		svc = "";
		all = true;
	}
	if (prepare(db, services_sql, &st, err, errlen) == -1)
		return -1;
	if (f->host != NULL)
		sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	if (svc != NULL)
		sqlite3_bind_text(st, 2, svc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->since);
	sqlite3_bind_int(st, 4, all);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.service = col_text(st, 0);
		r.name = r.service;
		if (r.service[0] == '\0')
			r.service = r.name = QUERY_UNDOCUMENTED;
		else if (cat != NULL &&
		    (i = catalog_service_find(cat, r.service)) >= 0)
			r.name = catalog_service(cat, i)->name;
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
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		dberr(db, err, errlen, "services");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The documented services of every host, walked alongside the hosts. */
struct key_list {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

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

int
query_hosts(struct store *s, query_host_fn fn, void *arg, char *err,
    size_t errlen)
{
	static const char hosts_sql[] =
	    "SELECT h.ip, h.first_seen, h.last_seen, coalesce(t.f, 0),"
	    " coalesce(t.p, 0), coalesce(t.b, 0) FROM hosts h LEFT JOIN"
	    " (SELECT server_ip, sum(flows) AS f,"
	    "   sum(pkts_c2s + pkts_s2c) AS p,"
	    "   sum(bytes_c2s + bytes_s2c) AS b"
	    "  FROM service_stats GROUP BY server_ip) t ON t.server_ip = h.ip"
	    " ORDER BY h.ip";
	static const char services_of_sql[] =
	    "SELECT DISTINCT server_ip, service FROM service_stats"
	    " WHERE service <> '' ORDER BY server_ip, service";
	sqlite3 *db = store_db(s);
	sqlite3_stmt *h = NULL, *sv = NULL;
	struct key_list keys = { NULL, 0, 0 };
	struct query_host r;
	int rc, src = SQLITE_DONE, ret = -1;

	if (begin_read(db, err, errlen) == -1)
		return -1;
	if (prepare(db, hosts_sql, &h, err, errlen) == -1 ||
	    prepare(db, services_of_sql, &sv, err, errlen) == -1)
		goto out;
	/* Both are ordered by address text (BINARY, i.e. strcmp order). */
	src = sqlite3_step(sv);
	while ((rc = sqlite3_step(h)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.ip = col_text(h, 0);
		r.first_seen = sqlite3_column_int64(h, 1);
		r.last_seen = sqlite3_column_int64(h, 2);
		r.flows = col_u64(h, 3);
		r.packets = col_u64(h, 4);
		r.bytes = col_u64(h, 5);
		while (src == SQLITE_ROW && strcmp(col_text(sv, 0), r.ip) < 0)
			src = sqlite3_step(sv);
		key_list_clear(&keys);
		while (src == SQLITE_ROW && strcmp(col_text(sv, 0), r.ip) == 0) {
			if (key_list_add(&keys, col_text(sv, 1)) == -1) {
				snprintf(err, errlen, "hosts: out of memory");
				goto out;
			}
			src = sqlite3_step(sv);
		}
		if (src != SQLITE_ROW && src != SQLITE_DONE)
			break;
		r.services = (const char *const *)keys.v;
		r.nservices = keys.n;
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE || (src != SQLITE_ROW && src != SQLITE_DONE))
		dberr(db, err, errlen, "hosts");
	else
		ret = 0;
out:
	key_list_clear(&keys);
	free(keys.v);
	sqlite3_finalize(h);
	sqlite3_finalize(sv);
	end_read(db);
	return ret;
}

/* Catalog names of a stored endpoint; either may stay NULL. */
static void
endpoint_names(const struct catalog *cat, struct query_endpoint *r)
{
	const struct catalog_iface *ci;
	const struct catalog_dcom *cd;
	uint8_t uuid[16];
	unsigned major = 0;
	int i;

	if (cat == NULL || uuid_parse(uuid, r->uuid) == -1)
		return;
	sscanf(r->version, "%u", &major);
	if ((i = catalog_iface_find(cat, uuid, (uint16_t)major)) >= 0) {
		ci = catalog_iface(cat, i);
		r->interface = ci->name;
		if (ci->service >= 0)
			r->service = catalog_service(cat, ci->service)->key;
	}
	/* The activated class names the service better than IRemUnknown. */
	if (r->clsid != NULL && uuid_parse(uuid, r->clsid) == 0 &&
	    (i = catalog_dcom_find(cat, uuid)) >= 0) {
		cd = catalog_dcom(cat, i);
		if (cd->service >= 0)
			r->service = catalog_service(cat, cd->service)->key;
	}
}

int
query_endpoints(struct store *s, const struct catalog *cat,
    query_endpoint_fn fn, void *arg, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT server_ip, port, transport, uuid, version, source, clsid,"
	    " learned_at, refreshed_at, last_used, moved_from, flows,"
	    " announcements FROM rpc_endpoints"
	    " ORDER BY server_ip, transport, port, uuid";
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;
	struct query_endpoint r;
	int rc;

	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
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
		endpoint_names(cat, &r);
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		dberr(db, err, errlen, "endpoints");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
summary_runs(sqlite3 *db, struct query_summary *m, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT count(*), sum(packets), sum(bytes), sum(flows),"
	    " sum(pkt_classified), sum(pkt_undocumented),"
	    " sum(pkt_unmonitored), sum(pkt_non_ip), sum(pkt_malformed),"
	    " sum(byte_classified), sum(byte_undocumented),"
	    " sum(byte_unmonitored), sum(byte_non_ip), sum(byte_malformed),"
	    " sum(flows_classified), sum(flows_undocumented),"
	    " sum(flows_unmonitored), sum(fragments), sum(flows_evicted),"
	    " sum(dpi_mismatches), sum(rpc_pdus), sum(rpc_truncated),"
	    " sum(rpc_invalid), sum(rpc_gaps), sum(epm_replies),"
	    " sum(endpoints_learned),"
	    " min(CASE WHEN first_packet > 0 THEN first_packet END),"
	    " max(last_packet), max(last_flush) FROM runs";
	sqlite3_stmt *st;
	int i, c = 0;

	if (prepare(db, sql, &st, err, errlen) == -1)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		dberr(db, err, errlen, "summary");
		sqlite3_finalize(st);
		return -1;
	}
	/* sum() of no rows is NULL, which reads back as 0. */
	m->runs = col_u64(st, c++);
	m->packets = col_u64(st, c++);
	m->bytes = col_u64(st, c++);
	m->flows = col_u64(st, c++);
	for (i = 0; i < PKT__COUNT; i++)
		m->pkt_class[i] = col_u64(st, c++);
	for (i = 0; i < PKT__COUNT; i++)
		m->byte_class[i] = col_u64(st, c++);
	for (i = 0; i < 3; i++)
		m->flow_class[i] = col_u64(st, c++);
	m->fragments = col_u64(st, c++);
	m->flows_evicted = col_u64(st, c++);
	m->dpi_mismatches = col_u64(st, c++);
	m->rpc_pdus = col_u64(st, c++);
	m->rpc_truncated = col_u64(st, c++);
	m->rpc_invalid = col_u64(st, c++);
	m->rpc_gaps = col_u64(st, c++);
	m->epm_replies = col_u64(st, c++);
	m->endpoints_learned = col_u64(st, c++);
	m->first_packet = sqlite3_column_int64(st, c++);
	m->last_packet = sqlite3_column_int64(st, c++);
	m->last_flush = sqlite3_column_int64(st, c++);
	sqlite3_finalize(st);
	return 0;
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
		dberr(db, err, errlen, "summary");
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
		dberr(db, err, errlen, "summary");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
query_summary(struct store *s, struct query_summary *m, char *err,
    size_t errlen)
{
	sqlite3 *db = store_db(s);
	int ret;

	memset(m, 0, sizeof(*m));
	if (begin_read(db, err, errlen) == -1)
		return -1;
	ret = summary_runs(db, m, err, errlen) == 0 &&
	    summary_decode(db, m, err, errlen) == 0 &&
	    summary_capture(db, m, err, errlen) == 0 ? 0 : -1;
	end_read(db);
	if (ret == -1)
		query_summary_free(m);
	return ret;
}

void
query_summary_free(struct query_summary *m)
{
	free(m->decode);
	free(m->capture);
	m->decode = NULL;
	m->capture = NULL;
	m->ndecode = m->ncapture = 0;
}

void
query_summary_json(struct json *j, const struct query_summary *m)
{
	size_t i;

	json_object_begin(j);
	json_kv_uint(j, "runs", m->runs);
	json_kv_uint(j, "packets", m->packets);
	json_kv_uint(j, "bytes", m->bytes);
	json_kv_uint(j, "flows", m->flows);
	json_key(j, "packets_by_class");
	json_object_begin(j);
	for (i = 0; i < PKT__COUNT; i++)
		json_kv_uint(j, packet_class_name(i), m->pkt_class[i]);
	json_object_end(j);
	json_key(j, "bytes_by_class");
	json_object_begin(j);
	for (i = 0; i < PKT__COUNT; i++)
		json_kv_uint(j, packet_class_name(i), m->byte_class[i]);
	json_object_end(j);
	json_key(j, "flows_by_class");
	json_object_begin(j);
	for (i = 0; i < 3; i++)
		json_kv_uint(j, flow_class_words[i], m->flow_class[i]);
	json_object_end(j);
	json_key(j, "decode");
	json_object_begin(j);
	for (i = 0; i < m->ndecode; i++)
		json_kv_uint(j, m->decode[i].reason, m->decode[i].count);
	json_object_end(j);
	json_key(j, "capture");
	json_array_begin(j);
	for (i = 0; i < m->ncapture; i++) {
		json_object_begin(j);
		json_kv_string(j, "iface", m->capture[i].iface);
		json_kv_uint(j, "received", m->capture[i].received);
		json_kv_uint(j, "dropped", m->capture[i].dropped);
		json_kv_uint(j, "if_dropped", m->capture[i].if_dropped);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "rpc");
	json_object_begin(j);
	json_kv_uint(j, "pdus", m->rpc_pdus);
	json_kv_uint(j, "truncated", m->rpc_truncated);
	json_kv_uint(j, "invalid", m->rpc_invalid);
	json_kv_uint(j, "gaps", m->rpc_gaps);
	json_kv_uint(j, "epm_replies", m->epm_replies);
	json_kv_uint(j, "endpoints_learned", m->endpoints_learned);
	json_object_end(j);
	json_kv_uint(j, "fragments", m->fragments);
	json_kv_uint(j, "dpi_mismatches", m->dpi_mismatches);
	json_kv_uint(j, "flows_evicted", m->flows_evicted);
	json_kv_time(j, "first_packet", m->first_packet);
	json_kv_time(j, "last_packet", m->last_packet);
	json_kv_time(j, "last_flush", m->last_flush);
	json_object_end(j);
}

/* A whole decimal number, no sign, no junk; -1 if not. */
static int
parse_count(const char *p, const char **end, int64_t *out)
{
	char *e;
	long long v;

	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	v = strtoll(p, &e, 10);
	if (errno == ERANGE || v < 0)
		return -1;
	*out = v;
	*end = e;
	return 0;
}

int
query_parse_time(const char *text, int64_t now_s, int64_t *out)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d %H:%M", "%Y-%m-%d", NULL
	};
	static const struct { char unit; int64_t s; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 }, { 0, 0 }
	};
	const char *const *fmt;
	const char *end;
	struct tm tm;
	int64_t n;
	size_t i;

	if (text[0] == '-') {
		if (parse_count(text + 1, &end, &n) == -1)
			return -1;
		for (i = 0; units[i].unit != 0; i++)
			if (end[0] == units[i].unit && end[1] == '\0') {
				if (n > INT64_MAX / units[i].s)
					return -1;
				*out = now_s - n * units[i].s;
				return 0;
			}
		return -1;
	}
	if (parse_count(text, &end, &n) == 0 && *end == '\0') {
		*out = n;
		return 0;
	}
	for (fmt = formats; *fmt != NULL; fmt++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, *fmt, &tm);
		if (end != NULL && (strcmp(end, "") == 0 ||
		    strcmp(end, "Z") == 0)) {
			*out = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -1;
}
