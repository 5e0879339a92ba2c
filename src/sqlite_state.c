/*
 * sqlite_state.c - the saved state of the SQLite back end: what svcmapd
 * restores at start, so that a restart neither forgets learned RPC
 * endpoints nor raises known alerts again.  Only the opener's sensor's
 * rows are restored: another sensor's endpoints were learned on another
 * link.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "svcmap/alert.h"
#include "svcmap/endpoint.h"
#include "svcmap/log.h"
#include "svcmap/names.h"
#include "svcmap/roles.h"
#include "svcmap/store.h"
#include "sqlite_int.h"

/* One stored endpoint row back into an entry; -1 if a field is bad. */
static int
parse_endpoint(sqlite3_stmt *st, struct endpoint_entry *e)
{
	const char *tr = (const char *)sqlite3_column_text(st, 1);
	const char *u = (const char *)sqlite3_column_text(st, 3);
	const char *ver = (const char *)sqlite3_column_text(st, 4);
	const char *src = (const char *)sqlite3_column_text(st, 5);
	const char *clsid = (const char *)sqlite3_column_text(st, 6);
	int port = sqlite3_column_int(st, 2), moved = sqlite3_column_int(st, 12);
	unsigned major, minor;
	int v;

	memset(e, 0, sizeof(*e));
	if (tr == NULL || u == NULL || ver == NULL || src == NULL ||
	    sqlite_column_addr(st, 0, &e->ip) == -1 ||
	    sqlite_transport_value(tr, &e->transport) == -1 ||
	    uuid_parse(e->uuid, u) == -1 ||
	    sscanf(ver, "%u.%u", &major, &minor) != 2 ||
	    major > UINT16_MAX || minor > UINT16_MAX || port < 0 ||
	    port > UINT16_MAX || moved < 0 || moved > UINT16_MAX)
		return -1;
	e->port = (uint16_t)port;
	e->ver_major = (uint16_t)major;
	e->ver_minor = (uint16_t)minor;
	if (sqlite_source_value(src, &v) == -1)
		return -1;
	e->source = (enum endpoint_source)v;
	if (clsid != NULL) {
		if (uuid_parse(e->clsid, clsid) == -1)
			return -1;
		e->has_clsid = true;
	}
	e->learned_us = (uint64_t)sqlite3_column_int64(st, 7) * US_PER_S;
	e->refreshed_us = (uint64_t)sqlite3_column_int64(st, 8) * US_PER_S;
	e->last_used_us = (uint64_t)sqlite3_column_int64(st, 9) * US_PER_S;
	e->announcements = (uint32_t)sqlite3_column_int64(st, 10);
	e->flows = (uint32_t)sqlite3_column_int64(st, 11);
	e->moved_from = (uint16_t)moved;
	e->dirty = false;
	return 0;
}

/*
 * Oldest refresh first: if the table is smaller than what was saved, the
 * ones it keeps (it drops the least recently used) are the freshest.
 */
int
sqlite_load_endpoints(struct store *base, struct endpoint_table *t,
    char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT server_ip, transport, port, uuid, version, source, clsid,"
	    " learned_at, refreshed_at, last_used, announcements, flows,"
	    " moved_from FROM rpc_endpoints WHERE sensor = ?1"
	    " ORDER BY refreshed_at, server_ip, transport, port, uuid";
	struct sqlite_store *s = (struct sqlite_store *)base;
	struct endpoint_entry e;
	sqlite3_stmt *st;
	size_t bad = 0, refused = 0;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite_dberr(s->db, err, errlen, "rpc_endpoints");
		return -1;
	}
	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (parse_endpoint(st, &e) == -1)
			bad++;
		else if (endpoint_restore(t, &e) == -1)
			refused++;
	}
	if (rc != SQLITE_DONE) {
		sqlite_dberr(s->db, err, errlen, "rpc_endpoints");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (bad > 0 || refused > 0)
		log_warnx("learned endpoints: %zu unreadable rows skipped, "
		    "%zu not restored", bad, refused);
	return 0;
}

/*
 * A stored name must pass the name policy again (names.h): the file is
 * not trusted more than the wire, since readers put names into JSON and
 * syslog as they are.
 */
static bool
name_clean(const char *name, int kind)
{
	char out[NAMES_NAME_MAX + 1];
	size_t n = strlen(name);

	if (kind == NAME_KIND_NETBIOS || kind == NAME_KIND_NB_DOMAIN)
		return names_nb_check((const uint8_t *)name, n, out) ==
		    NAMES_OK && strcmp(out, name) == 0;
	return names_text_check((const uint8_t *)name, n, out) == NAMES_OK &&
	    strcmp(out, name) == 0;
}

/* One stored name row back into an entry; -1 if a field is bad. */
static int
parse_name(sqlite3_stmt *st, struct name_entry *e)
{
	const char *name = (const char *)sqlite3_column_text(st, 1);
	const char *src = (const char *)sqlite3_column_text(st, 2);
	const char *kind = (const char *)sqlite3_column_text(st, 3);
	const char *mac = (const char *)sqlite3_column_text(st, 6);
	int suffix = sqlite3_column_int(st, 4), k, v;
	unsigned m[6];

	memset(e, 0, sizeof(e[0]));
	if (name == NULL || src == NULL || kind == NULL ||
	    sqlite_column_addr(st, 0, &e->addr) == -1 ||
	    (v = names_source_parse(src)) < 0 || suffix < 0 ||
	    suffix > UINT8_MAX ||
	    strlen(name) > NAMES_NAME_MAX)
		return -1;
	for (k = 0; k < NAME_KIND__COUNT; k++)
		if (strcmp(names_kind_name((enum name_kind)k), kind) == 0)
			break;
	if (k == NAME_KIND__COUNT || !name_clean(name, k))
		return -1;
	e->source = (uint8_t)v;
	e->kind = (uint8_t)k;
	e->nb_suffix = (uint8_t)suffix;
	e->nb_group = sqlite3_column_int(st, 5) != 0;
	if (mac != NULL && sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0],
	    &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
		for (k = 0; k < 6; k++)
			e->mac[k] = (uint8_t)m[k];
		e->has_mac = true;
	}
	e->first_seen_us = (uint64_t)sqlite3_column_int64(st, 7) * US_PER_S;
	e->last_seen_us = (uint64_t)sqlite3_column_int64(st, 8) * US_PER_S;
	e->seen = (uint32_t)sqlite3_column_int64(st, 9);
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

/*
 * Oldest first, as endpoints: a smaller table than what was saved keeps
 * the names seen last.
 */
int
sqlite_load_names(struct store *base, struct names_table *t, char *err,
    size_t errlen)
{
	static const char sql[] =
	    "SELECT address, name, source, kind, nb_suffix, nb_group, mac,"
	    " first_seen, last_seen, seen FROM host_names WHERE sensor = ?1"
	    " ORDER BY last_seen, address, name";
	struct sqlite_store *s = (struct sqlite_store *)base;
	struct name_entry e;
	sqlite3_stmt *st;
	size_t bad = 0, refused = 0;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite_dberr(s->db, err, errlen, "host_names");
		return -1;
	}
	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (parse_name(st, &e) == -1)
			bad++;
		else if (names_restore(t, &e) == -1)
			refused++;
	}
	if (rc != SQLITE_DONE) {
		sqlite_dberr(s->db, err, errlen, "host_names");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (bad > 0 || refused > 0)
		log_warnx("host names: %zu unreadable rows skipped, "
		    "%zu not restored", bad, refused);
	return 0;
}

/* A row of SQLITE_ALERT_COLUMNS into a record; -1 if a field is bad. */
int
sqlite_parse_alert(sqlite3_stmt *st, struct alert_record *r)
{
	const char *kind = (const char *)sqlite3_column_text(st, 1);
	const char *tr = (const char *)sqlite3_column_text(st, 4);
	int port = sqlite3_column_int(st, 5), k, cport;

	memset(r, 0, sizeof(*r));
	if (kind == NULL || tr == NULL ||
	    (k = alert_kind_find(kind)) == -1 ||
	    sqlite_column_addr(st, 3, &r->server) == -1 ||
	    sqlite_column_addr(st, 6, &r->client) == -1 ||
	    sqlite_transport_value(tr, &r->transport) == -1 || port < 0 ||
	    port > UINT16_MAX)
		return -1;
	r->id = sqlite3_column_int64(st, 0);
	r->kind = (uint8_t)k;
	r->severity = (uint8_t)sqlite3_column_int(st, 2);
	r->port = (uint16_t)port;
	snprintf(r->service, sizeof(r->service), "%s",
	    (const char *)sqlite3_column_text(st, 7));
	snprintf(r->protocol, sizeof(r->protocol), "%s",
	    (const char *)sqlite3_column_text(st, 8));
	snprintf(r->detail, sizeof(r->detail), "%s",
	    (const char *)sqlite3_column_text(st, 9));
	r->count = (uint64_t)sqlite3_column_int64(st, 10);
	r->events = (uint64_t)sqlite3_column_int64(st, 11);
	r->suppressed = (uint64_t)sqlite3_column_int64(st, 12);
	r->first_seen = sqlite3_column_int64(st, 13);
	r->last_seen = sqlite3_column_int64(st, 14);
	r->last_event = sqlite3_column_int64(st, 15);
	r->resolved_at = sqlite3_column_int64(st, 16);
	snprintf(r->interface, sizeof(r->interface), "%s",
	    (const char *)sqlite3_column_text(st, 18));
	snprintf(r->operation, sizeof(r->operation), "%s",
	    (const char *)sqlite3_column_text(st, 19));
	cport = sqlite3_column_int(st, 20);
	r->client_port = cport > 0 && cport <= UINT16_MAX ?
	    (uint16_t)cport : 0;
	snprintf(r->community_id, sizeof(r->community_id), "%s",
	    (const char *)sqlite3_column_text(st, 21));
	r->timestamp_us = sqlite3_column_int64(st, 22);
	snprintf(r->pcap_file, sizeof(r->pcap_file), "%s",
	    (const char *)sqlite3_column_text(st, 23));
	r->packet = (uint64_t)sqlite3_column_int64(st, 24);
	return 0;
}

/*
 * Dedup state after a restart: the alert rows, the (server, service)
 * pairs served before (new_service), and the first packet ever stored
 * (the learning period runs from there), all of this sensor.
 */
int
sqlite_load_alerts(struct store *base, struct alerts *a, char *err,
    size_t errlen)
{
	static const char rows[] =
	    "SELECT " SQLITE_ALERT_COLUMNS " FROM alerts WHERE sensor = ?1"
	    " ORDER BY id";
	static const char known[] =
	    "SELECT DISTINCT server_ip, service FROM service_stats"
	    " WHERE sensor = ?1 AND service <> ''";
	/* What each host served (answered), for the roles it held. */
	static const char served[] =
	    "SELECT server_ip, service, port, interface, pipe,"
	    " min(first_seen), max(last_seen) FROM service_stats"
	    " WHERE sensor = ?1 AND pkts_s2c > 0"
	    " AND (protocol <> '' OR interface <> '' OR pipe <> '')"
	    " GROUP BY server_ip, service, port, interface, pipe";
	static const char first[] =
	    "SELECT coalesce(min(first_packet), 0) FROM runs"
	    " WHERE sensor = ?1 AND first_packet > 0";
	struct sqlite_store *s = (struct sqlite_store *)base;
	struct alert_record r;
	struct role_served sv;
	struct addr ip;
	sqlite3_stmt *st = NULL;
	size_t bad = 0;
	int rc;

	if (sqlite3_prepare_v2(s->db, rows, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite_parse_alert(st, &r) == -1)
			bad++;
		else
			alert_restore(a, &r);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	if (bad > 0)
		log_warnx("alerts: %zu unreadable rows skipped", bad);

	if (sqlite3_prepare_v2(s->db, known, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite_column_addr(st, 0, &ip) == 0)
			alert_restore_known(a, &ip,
			    (const char *)sqlite3_column_text(st, 1));
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);

	if (sqlite3_prepare_v2(s->db, served, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite_column_addr(st, 0, &ip) == -1)
			continue;
		sv.service = (const char *)sqlite3_column_text(st, 1);
		sv.port = (uint16_t)sqlite3_column_int(st, 2);
		sv.interface = (const char *)sqlite3_column_text(st, 3);
		sv.pipe = (const char *)sqlite3_column_text(st, 4);
		sv.first_seen = sqlite3_column_int64(st, 5);
		sv.last_seen = sqlite3_column_int64(st, 6);
		if (sv.service != NULL && sv.interface != NULL &&
		    sv.pipe != NULL)
			alert_restore_served(a, &ip, &sv);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);

	if (sqlite3_prepare_v2(s->db, first, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
		alert_restore_start(a,
		    (uint64_t)sqlite3_column_int64(st, 0) * US_PER_S);
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite_dberr(s->db, err, errlen, "alert state");
	sqlite3_finalize(st);
	return -1;
}
