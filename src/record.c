/*
 * record.c - the field tables of the query records and the renderers
 * that walk them (record.h).
 *
 * Each table lists its fields in JSON order, which is the contract of
 * svcmapctl --json and the API (tests/test_record.c holds the documented
 * key lists, tests/expected/ the bytes); the text table's column order
 * is the `col` number, so it can differ from the JSON order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/alert.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/record.h"
#include "svcmap/stats.h"
#include "svcmap/transport.h"

#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Computed fields */

static void
port_text(struct record_value *v, unsigned port, const char *transport)
{
	snprintf(v->buf, sizeof(v->buf), "%u/%s", port, transport);
	v->s = v->buf;
}

static void
service_port(const void *rec, struct record_value *v)
{
	const struct query_service *r = rec;

	port_text(v, r->port, r->transport);
}

static void
service_packets(const void *rec, struct record_value *v)
{
	const struct query_service *r = rec;

	v->u = r->packets_c2s + r->packets_s2c;
}

/*
 * The SMB dialect as Microsoft names it ([MS-SMB2] 2.2.3: 0x0311 is
 * "3.1.1", 0x0210 "2.1"); null when the row is not SMB.
 */
static void
outbound_port(const void *rec, struct record_value *v)
{
	const struct query_outbound *r = rec;

	port_text(v, r->port, r->transport);
}

static void
outbound_packets(const void *rec, struct record_value *v)
{
	const struct query_outbound *r = rec;

	v->u = r->packets_c2s + r->packets_s2c;
}

static void
outbound_bytes(const void *rec, struct record_value *v)
{
	const struct query_outbound *r = rec;

	v->u = r->bytes_c2s + r->bytes_s2c;
}

static void
service_smb_dialect(const void *rec, struct record_value *v)
{
	unsigned d = ((const struct query_service *)rec)->smb_dialect;

	if (d == 0) {
		v->null = true;
		return;
	}
	if (d == STATS_SMB1)
		snprintf(v->buf, sizeof(v->buf), "SMB1");
	else if (d >= STATS_SMB2_UNKNOWN)
		snprintf(v->buf, sizeof(v->buf), "SMB2");
	else if ((d & 0xf) == 0)
		snprintf(v->buf, sizeof(v->buf), "%u.%u", d >> 8 & 0xf,
		    d >> 4 & 0xf);
	else
		snprintf(v->buf, sizeof(v->buf), "%u.%u.%u", d >> 8 & 0xf,
		    d >> 4 & 0xf, d & 0xf);
	v->s = v->buf;
}

/* Encrypted SMB3 messages: a count on SMB rows, null on the others. */
static void
service_smb_encrypted(const void *rec, struct record_value *v)
{
	const struct query_service *r = rec;

	v->null = r->smb_dialect == 0;
	v->u = r->smb_encrypted;
}

static void
service_bytes(const void *rec, struct record_value *v)
{
	const struct query_service *r = rec;

	v->u = r->bytes_c2s + r->bytes_s2c;
}

static void
host_services(const void *rec, struct record_value *v)
{
	const struct query_host *r = rec;

	v->list = r->services;
	v->n = r->nservices;
}

static void
host_names(const void *rec, struct record_value *v)
{
	const struct query_host *r = rec;

	v->sub = &record_names;
	v->items = r->names;
	v->n = r->nnames;
	v->stride = sizeof(r->names[0]);
}

static void
host_roles(const void *rec, struct record_value *v)
{
	const struct query_host *r = rec;

	v->sub = &record_roles;
	v->items = r->roles;
	v->n = r->nroles;
	v->stride = sizeof(r->roles[0]);
}

static void
host_role_keys(const void *rec, struct record_value *v)
{
	const struct query_host *r = rec;

	v->list = r->role_keys;
	v->n = r->nroles;
}

static void
role_items(const void *rec, struct record_value *v)
{
	const struct query_role *r = rec;

	v->list = r->items;
	v->n = r->nevidence;
}

static void
role_evidence(const void *rec, struct record_value *v)
{
	const struct query_role *r = rec;

	v->sub = &record_role_evidence;
	v->items = r->evidence;
	v->n = r->nevidence;
	v->stride = sizeof(r->evidence[0]);
}

static void
endpoint_port(const void *rec, struct record_value *v)
{
	const struct query_endpoint *r = rec;

	port_text(v, r->port, r->transport);
}

static void
operation_port(const void *rec, struct record_value *v)
{
	const struct query_operation *r = rec;

	port_text(v, r->port, r->transport);
}

static void
attempt_port(const void *rec, struct record_value *v)
{
	const struct query_attempt *r = rec;

	port_text(v, r->port, r->transport);
}

static const char *
alert_transport(const struct alert_record *r)
{
	const char *tr = transport_name(r->transport);

	return tr != NULL ? tr : "ip";
}

static void
alert_kind(const void *rec, struct record_value *v)
{
	v->s = alert_kind_name(((const struct alert_record *)rec)->kind);
}

static void
alert_server(const void *rec, struct record_value *v)
{
	v->s = addr_fmt(&((const struct alert_record *)rec)->server, v->buf);
}

static void
alert_client(const void *rec, struct record_value *v)
{
	v->s = addr_fmt(&((const struct alert_record *)rec)->client, v->buf);
}

static void
alert_transport_field(const void *rec, struct record_value *v)
{
	v->s = alert_transport(rec);
}

static void
alert_port(const void *rec, struct record_value *v)
{
	const struct alert_record *r = rec;

	port_text(v, r->port, alert_transport(r));
}

static void
alert_state(const void *rec, struct record_value *v)
{
	v->s = ((const struct alert_record *)rec)->resolved_at != 0 ?
	    "resolved" : "open";
}

static void
alert_event_type(const void *rec, struct record_value *v)
{
	(void)rec;
	v->s = "alert";		/* Suricata EVE's word for the same thing */
}

/*
 * RFC 3339 in UTC with microseconds, as Suricata and Zeek's JSON logs
 * write it.  Rows stored before schema v8 know the second only.
 */
static void
alert_timestamp(const void *rec, struct record_value *v)
{
	const struct alert_record *r = rec;
	int64_t us = r->timestamp_us != 0 ? r->timestamp_us :
	    r->last_seen * 1000000;
	char t[32];

	if (us <= 0 || strlen(json_time(us / 1000000, t)) != 20) {
		v->s = NULL;
		return;
	}
	/* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */
	t[19] = '\0';
	snprintf(v->buf, sizeof(v->buf), "%s.%06dZ", t,
	    (int)(us % 1000000));
	v->s = v->buf;
}

static void
catalog_port_kind(const void *rec, struct record_value *v)
{
	(void)rec;
	v->s = "port";
}

static void
catalog_port_ports(const void *rec, struct record_value *v)
{
	const struct catalog_port_record *r = rec;

	if (r->port_low == 0)
		snprintf(v->buf, sizeof(v->buf), "%s", r->transport);
	else if (r->port_low == r->port_high)
		snprintf(v->buf, sizeof(v->buf), "%u/%s", r->port_low,
		    r->transport);
	else
		snprintf(v->buf, sizeof(v->buf), "%u-%u/%s", r->port_low,
		    r->port_high, r->transport);
	v->s = v->buf;
}

/* Only a question about a port has an effective listener. */
static void
catalog_port_effective(const void *rec, struct record_value *v)
{
	const struct catalog_port_record *r = rec;

	v->null = r->effective_listener < 0;
	v->b = r->effective_listener > 0;
}

static void
catalog_port_sources(const void *rec, struct record_value *v)
{
	const struct catalog_port_record *r = rec;

	v->list = r->sources;
	v->n = r->nsources;
}

static void
catalog_iface_kind(const void *rec, struct record_value *v)
{
	(void)rec;
	v->s = "interface";
}

static void
top_port(const void *rec, struct record_value *v)
{
	const struct query_top *r = rec;

	if (r->transport == NULL) {
		v->s = NULL;
		return;
	}
	port_text(v, r->port, r->transport);
}

/* A row's port, 0 too (ICMP); hosts and services have none. */
static void
top_port_number(const void *rec, struct record_value *v)
{
	const struct query_top *r = rec;

	v->null = r->transport == NULL;
	v->u = r->port;
}

static void
bucket_resolution(const void *rec, struct record_value *v)
{
	v->s = query_resolution_name(((const struct query_bucket *)rec)->
	    resolution);
}

static void
bucket_packets(const void *rec, struct record_value *v)
{
	const struct query_bucket *r = rec;

	v->u = r->packets_c2s + r->packets_s2c;
}

static void
bucket_bytes(const void *rec, struct record_value *v)
{
	const struct query_bucket *r = rec;

	v->u = r->bytes_c2s + r->bytes_s2c;
}

/* ------------------------------------------------------------------ */
/* The tables */

#define S(type, m)	RECORD_MEMBER(type, m), NULL

#define QS	struct query_service
static const struct record_field service_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QS, sensor), 0, NULL },
	{ "service", RECORD_STRING, 0, S(QS, service), 4, "SERVICE" },
	{ "name", RECORD_STRING, 0, S(QS, name), 17, "NAME" },
	{ "server_ip", RECORD_STRING, 0, S(QS, server_ip), 1, "SERVER" },
	{ "port", RECORD_UINT, 0, S(QS, port), 0, NULL },
	{ NULL, RECORD_STRING, 0, 0, 0, service_port, 2, "PORT" },
	{ "transport", RECORD_STRING, 0, S(QS, transport), 0, NULL },
	{ "vlan", RECORD_UINT, RECORD_RIGHT, S(QS, vlan), 3, "VLAN" },
	{ "method", RECORD_STRING, 0, S(QS, method), 5, "METHOD" },
	{ "protocol", RECORD_STRING, RECORD_NULLABLE, S(QS, protocol), 8,
	    "PROTOCOL" },
	{ "interface", RECORD_STRING, RECORD_NULLABLE, S(QS, interface), 7,
	    "INTERFACE" },
	/*
	 * SMB: left out of JSON when null (rows that are not SMB), so that
	 * the rows of other services read as before these fields.
	 */
	{ "pipe", RECORD_STRING, RECORD_NULLABLE | RECORD_OMIT,
	    S(QS, pipe), 6, "PIPE" },
	{ "smb_dialect", RECORD_STRING, RECORD_NULLABLE | RECORD_OMIT, 0, 0,
	    service_smb_dialect, 9, "SMB" },
	{ "smb_encrypted", RECORD_UINT,
	    RECORD_NULLABLE | RECORD_OMIT | RECORD_RIGHT, 0, 0,
	    service_smb_encrypted, 10, "ENCRYPTED" },
	{ "flows", RECORD_UINT, RECORD_RIGHT, S(QS, flows), 11, "FLOWS" },
	{ "packets", RECORD_UINT, RECORD_RIGHT, 0, 0, service_packets, 12,
	    "PACKETS" },
	{ "bytes", RECORD_UINT, RECORD_RIGHT, 0, 0, service_bytes, 13,
	    "BYTES" },
	{ "packets_c2s", RECORD_UINT, 0, S(QS, packets_c2s), 0, NULL },
	{ "packets_s2c", RECORD_UINT, 0, S(QS, packets_s2c), 0, NULL },
	{ "bytes_c2s", RECORD_UINT, 0, S(QS, bytes_c2s), 0, NULL },
	{ "bytes_s2c", RECORD_UINT, 0, S(QS, bytes_s2c), 0, NULL },
	{ "clients", RECORD_UINT, RECORD_RIGHT, S(QS, clients), 14,
	    "CLIENTS" },
	{ "first_seen", RECORD_TIME, 0, S(QS, first_seen), 15, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(QS, last_seen), 16, "LAST SEEN" },
};
#undef QS

#define QH	struct query_host
static const struct record_field host_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QH, sensor), 0, NULL },
	{ "ip", RECORD_STRING, 0, S(QH, ip), 1, "SERVER" },
	{ "first_seen", RECORD_TIME, 0, S(QH, first_seen), 3, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(QH, last_seen), 4, "LAST SEEN" },
	{ "services", RECORD_LIST, 0, 0, 0, host_services, 8, "SERVICES" },
	{ "flows", RECORD_UINT, RECORD_RIGHT, S(QH, flows), 5, "FLOWS" },
	{ "packets", RECORD_UINT, RECORD_RIGHT, S(QH, packets), 6,
	    "PACKETS" },
	{ "bytes", RECORD_UINT, RECORD_RIGHT, S(QH, bytes), 7, "BYTES" },
	/* Issue 15: after every older field, so theirs do not move. */
	{ "name", RECORD_STRING, RECORD_NULLABLE, S(QH, name), 2, "NAME" },
	{ "names", RECORD_OBJECTS, 0, 0, 0, host_names, 0, NULL },
	/* Roles (roles.catalog): objects in JSON, keys in the table. */
	{ "roles", RECORD_OBJECTS, 0, 0, 0, host_roles, 0, NULL },
	{ NULL, RECORD_LIST, 0, 0, 0, host_role_keys, 9, "ROLES" },
};
#undef QH

/* One role of a host (query_host.roles). */
#define QR	struct query_role
static const struct record_field role_fields[] = {
	{ "role", RECORD_STRING, 0, S(QR, role), 1, "ROLE" },
	{ "name", RECORD_STRING, 0, S(QR, name), 2, "NAME" },
	{ "confidence", RECORD_STRING, 0, S(QR, confidence), 3,
	    "CONFIDENCE" },
	{ "since", RECORD_TIME, 0, S(QR, since), 4, "SINCE" },
	{ "last_seen", RECORD_TIME, 0, S(QR, last_seen), 5, "LAST SEEN" },
	{ "evidence", RECORD_OBJECTS, 0, 0, 0, role_evidence, 0, NULL },
	{ NULL, RECORD_LIST, 0, 0, 0, role_items, 6, "EVIDENCE" },
};
#undef QR

/* One evidence item of a role: what the host served, and when. */
#define QV	struct query_role_evidence
static const struct record_field role_evidence_fields[] = {
	{ "item", RECORD_STRING, 0, S(QV, item), 1, "EVIDENCE" },
	{ "first_seen", RECORD_TIME, 0, S(QV, first_seen), 2, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(QV, last_seen), 3, "LAST SEEN" },
};
#undef QV

/* One name of a host (query_host.names): its name first (text formats). */
#define QN	struct query_name
static const struct record_field name_fields[] = {
	{ "name", RECORD_STRING, 0, S(QN, name), 1, "NAME" },
	{ "source", RECORD_STRING, 0, S(QN, source), 2, "SOURCE" },
	{ "kind", RECORD_STRING, 0, S(QN, kind), 3, "KIND" },
	{ "first_seen", RECORD_TIME, 0, S(QN, first_seen), 4, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(QN, last_seen), 5, "LAST SEEN" },
};
#undef QN

/*
 * Outbound rows, the client's and the outside server's: the same fields
 * but the first, named after its side.
 */
#define QO	struct query_outbound
#define OUTBOUND_FIELDS \
	{ "port", RECORD_UINT, 0, S(QO, port), 0, NULL }, \
	{ NULL, RECORD_STRING, 0, 0, 0, outbound_port, 2, "PORT" }, \
	{ "transport", RECORD_STRING, 0, S(QO, transport), 0, NULL }, \
	{ "protocol", RECORD_STRING, RECORD_NULLABLE, S(QO, protocol), 3, \
	    "PROTOCOL" }, \
	{ "flows", RECORD_UINT, RECORD_RIGHT, S(QO, flows), 4, "FLOWS" }, \
	{ "packets", RECORD_UINT, RECORD_RIGHT, 0, 0, outbound_packets, 5, \
	    "PACKETS" }, \
	{ "bytes", RECORD_UINT, RECORD_RIGHT, 0, 0, outbound_bytes, 6, \
	    "BYTES" }, \
	{ "packets_c2s", RECORD_UINT, 0, S(QO, packets_c2s), 0, NULL }, \
	{ "packets_s2c", RECORD_UINT, 0, S(QO, packets_s2c), 0, NULL }, \
	{ "bytes_c2s", RECORD_UINT, 0, S(QO, bytes_c2s), 0, NULL }, \
	{ "bytes_s2c", RECORD_UINT, 0, S(QO, bytes_s2c), 0, NULL }, \
	{ "first_seen", RECORD_TIME, 0, S(QO, first_seen), 7, "FIRST SEEN" }, \
	{ "last_seen", RECORD_TIME, 0, S(QO, last_seen), 8, "LAST SEEN" }
static const struct record_field outbound_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QO, sensor), 0, NULL },
	{ "client_ip", RECORD_STRING, 0, S(QO, ip), 1, "CLIENT" },
	OUTBOUND_FIELDS,
};
static const struct record_field outbound_server_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QO, sensor), 0, NULL },
	{ "server_ip", RECORD_STRING, 0, S(QO, ip), 1, "SERVER" },
	OUTBOUND_FIELDS,
};
#undef OUTBOUND_FIELDS
#undef QO

#define QE	struct query_endpoint
static const struct record_field endpoint_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QE, sensor), 0, NULL },
	{ "server_ip", RECORD_STRING, 0, S(QE, server_ip), 1, "SERVER" },
	{ "port", RECORD_UINT, 0, S(QE, port), 0, NULL },
	{ NULL, RECORD_STRING, 0, 0, 0, endpoint_port, 2, "PORT" },
	{ "transport", RECORD_STRING, 0, S(QE, transport), 0, NULL },
	{ "uuid", RECORD_STRING, 0, S(QE, uuid), 12, "UUID" },
	{ "version", RECORD_STRING, 0, S(QE, version), 5, "VERSION" },
	{ "interface", RECORD_STRING, RECORD_NULLABLE, S(QE, interface), 3,
	    "INTERFACE" },
	{ "service", RECORD_STRING, RECORD_NULLABLE, S(QE, service), 4,
	    "SERVICE" },
	{ "source", RECORD_STRING, 0, S(QE, source), 6, "SOURCE" },
	{ "clsid", RECORD_STRING, RECORD_NULLABLE, S(QE, clsid), 0, NULL },
	{ "learned_at", RECORD_TIME, 0, S(QE, learned_at), 9, "LEARNED" },
	{ "refreshed_at", RECORD_TIME, 0, S(QE, refreshed_at), 0, NULL },
	{ "last_used", RECORD_TIME, 0, S(QE, last_used), 10, "LAST USED" },
	{ "moved_from", RECORD_UINT, RECORD_NULLABLE | RECORD_RIGHT,
	    S(QE, moved_from), 11, "MOVED FROM" },
	{ "flows", RECORD_UINT, RECORD_RIGHT, S(QE, flows), 8, "FLOWS" },
	{ "announcements", RECORD_UINT, RECORD_RIGHT, S(QE, announcements),
	    7, "ANNOUNCED" },
};
#undef QE

/*
 * operation is null for an opnum the catalog does not name (and for every
 * opnum of an interface it does not know): a number is not a name.
 */
#define QO	struct query_operation
static const struct record_field operation_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QO, sensor), 0, NULL },
	{ "server_ip", RECORD_STRING, 0, S(QO, server_ip), 1, "SERVER" },
	{ "port", RECORD_UINT, 0, S(QO, port), 0, NULL },
	{ NULL, RECORD_STRING, 0, 0, 0, operation_port, 2, "PORT" },
	{ "transport", RECORD_STRING, 0, S(QO, transport), 0, NULL },
	{ "interface", RECORD_STRING, RECORD_NULLABLE, S(QO, interface), 3,
	    "INTERFACE" },
	{ "interface_uuid", RECORD_STRING, 0, S(QO, interface_uuid), 0,
	    NULL },
	{ "version", RECORD_UINT, 0, S(QO, version), 0, NULL },
	{ "service", RECORD_STRING, RECORD_NULLABLE, S(QO, service), 4,
	    "SERVICE" },
	{ "opnum", RECORD_UINT, RECORD_RIGHT, S(QO, opnum), 5, "OPNUM" },
	{ "operation", RECORD_STRING, RECORD_NULLABLE, S(QO, operation), 6,
	    "OPERATION" },
	{ "calls", RECORD_UINT, RECORD_RIGHT, S(QO, calls), 7, "CALLS" },
	{ "clients", RECORD_UINT, RECORD_RIGHT, S(QO, clients), 8,
	    "CLIENTS" },
	{ "first_seen", RECORD_TIME, 0, S(QO, first_seen), 9, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(QO, last_seen), 10, "LAST SEEN" },
};
#undef QO

/* Ports clients tried that nobody served (issue 14 item 2). */
#define QA	struct query_attempt
static const struct record_field attempt_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QA, sensor), 0, NULL },
	{ "server_ip", RECORD_STRING, 0, S(QA, server_ip), 1, "SERVER" },
	{ "port", RECORD_UINT, 0, S(QA, port), 0, NULL },
	{ NULL, RECORD_STRING, 0, 0, 0, attempt_port, 2, "PORT" },
	{ "transport", RECORD_STRING, 0, S(QA, transport), 0, NULL },
	{ "vlan", RECORD_UINT, 0, S(QA, vlan), 0, NULL },
	{ "service", RECORD_STRING, RECORD_NULLABLE, S(QA, service), 3,
	    "LISTENER" },
	{ "name", RECORD_STRING, RECORD_NULLABLE, S(QA, name), 0, NULL },
	{ "attempts", RECORD_UINT, RECORD_RIGHT, S(QA, attempts), 0, NULL },
	{ "refused", RECORD_UINT, RECORD_RIGHT, S(QA, refused), 4, "REFUSED" },
	{ "unanswered", RECORD_UINT, RECORD_RIGHT, S(QA, unanswered), 5,
	    "UNANSWERED" },
	{ "packets", RECORD_UINT, RECORD_RIGHT, S(QA, packets), 0, NULL },
	{ "bytes", RECORD_UINT, RECORD_RIGHT, S(QA, bytes), 0, NULL },
	{ "clients", RECORD_UINT, RECORD_RIGHT, S(QA, clients), 6,
	    "CLIENTS" },
	{ "first_seen", RECORD_TIME, 0, S(QA, first_seen), 7, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(QA, last_seen), 8, "LAST SEEN" },
};
#undef QA

#define AR	struct alert_record
static const struct record_field alert_fields[] = {
	{ "id", RECORD_INT, RECORD_NULLABLE, S(AR, id), 1, "ID" },
	{ "kind", RECORD_STRING, 0, 0, 0, alert_kind, 2, "KIND" },
	{ "severity", RECORD_UINT, RECORD_RIGHT, S(AR, severity), 3, "SEV" },
	{ "server_ip", RECORD_STRING, 0, 0, 0, alert_server, 4, "SERVER" },
	{ "port", RECORD_UINT, 0, S(AR, port), 0, NULL },
	{ NULL, RECORD_STRING, 0, 0, 0, alert_port, 5, "PORT" },
	{ "transport", RECORD_STRING, 0, 0, 0, alert_transport_field, 0,
	    NULL },
	{ "client_ip", RECORD_STRING, 0, 0, 0, alert_client, 6, "CLIENT" },
	{ "service", RECORD_CHARS, RECORD_NULLABLE, S(AR, service), 0, NULL },
	{ "protocol", RECORD_CHARS, RECORD_NULLABLE, S(AR, protocol), 0,
	    NULL },
	{ "interface", RECORD_CHARS, RECORD_NULLABLE | RECORD_OMIT,
	    S(AR, interface), 0, NULL },
	{ "operation", RECORD_CHARS, RECORD_NULLABLE | RECORD_OMIT,
	    S(AR, operation), 0, NULL },
	{ "detail", RECORD_CHARS, 0, S(AR, detail), 11, "DETAIL" },
	{ "count", RECORD_UINT, RECORD_RIGHT, S(AR, count), 7, "COUNT" },
	{ "events", RECORD_UINT, 0, S(AR, events), 0, NULL },
	{ "suppressed", RECORD_UINT, 0, S(AR, suppressed), 0, NULL },
	{ "first_seen", RECORD_TIME, 0, S(AR, first_seen), 8, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(AR, last_seen), 9, "LAST SEEN" },
	{ "state", RECORD_STRING, 0, 0, 0, alert_state, 10, "STATE" },
	{ "resolved_at", RECORD_TIME, RECORD_OMIT, S(AR, resolved_at), 0,
	    NULL },
	/* A stored alert's (readers set it); the engine's have none. */
	{ "sensor", RECORD_STRING, RECORD_NULLABLE | RECORD_OMIT,
	    S(AR, sensor), 0, NULL },
	/* Issue 16: what joins the alert to Suricata, Zeek and Wireshark. */
	{ "event_type", RECORD_STRING, 0, 0, 0, alert_event_type, 0, NULL },
	{ "timestamp", RECORD_STRING, RECORD_NULLABLE, 0, 0, alert_timestamp,
	    0, NULL },
	{ "client_port", RECORD_UINT, RECORD_NULLABLE, S(AR, client_port), 0,
	    NULL },
	{ "community_id", RECORD_CHARS, RECORD_NULLABLE, S(AR, community_id),
	    0, NULL },
	{ "pcap_file", RECORD_CHARS, RECORD_NULLABLE | RECORD_OMIT,
	    S(AR, pcap_file), 0, NULL },
	{ "packet", RECORD_UINT, RECORD_NULLABLE | RECORD_OMIT, S(AR, packet),
	    0, NULL },
};
#undef AR

/* top: hosts have no service, services no server; both no port. */
#define QT	struct query_top
static const struct record_field top_fields[] = {
	{ "rank", RECORD_UINT, RECORD_RIGHT, S(QT, rank), 1, "#" },
	{ "sensor", RECORD_STRING, 0, S(QT, sensor), 0, NULL },
	{ "server_ip", RECORD_STRING, RECORD_NULLABLE, S(QT, server_ip), 2,
	    "SERVER" },
	{ "service", RECORD_STRING, RECORD_NULLABLE, S(QT, service), 4,
	    "SERVICE" },
	{ "name", RECORD_STRING, RECORD_NULLABLE, S(QT, name), 11, "NAME" },
	{ "port", RECORD_UINT, RECORD_NULLABLE, 0, 0, top_port_number, 0,
	    NULL },
	{ NULL, RECORD_STRING, 0, 0, 0, top_port, 3, "PORT" },
	{ "transport", RECORD_STRING, RECORD_NULLABLE, S(QT, transport), 0,
	    NULL },
	{ "flows", RECORD_UINT, RECORD_RIGHT, S(QT, flows), 7, "FLOWS" },
	{ "packets", RECORD_UINT, RECORD_RIGHT, S(QT, packets), 6,
	    "PACKETS" },
	{ "bytes", RECORD_UINT, RECORD_RIGHT, S(QT, bytes), 5, "BYTES" },
	{ "clients", RECORD_UINT, RECORD_RIGHT, S(QT, clients), 8,
	    "CLIENTS" },
	{ "first_seen", RECORD_TIME, 0, S(QT, first_seen), 9, "FIRST SEEN" },
	{ "last_seen", RECORD_TIME, 0, S(QT, last_seen), 10, "LAST SEEN" },
};
#undef QT

#define QB	struct query_bucket
static const struct record_field bucket_fields[] = {
	{ "sensor", RECORD_STRING, 0, S(QB, sensor), 0, NULL },
	{ "bucket", RECORD_TIME, 0, S(QB, bucket), 1, "BUCKET" },
	{ "resolution", RECORD_STRING, 0, 0, 0, bucket_resolution, 2,
	    "RESOLUTION" },
	{ "flows", RECORD_UINT, RECORD_RIGHT, S(QB, flows), 3, "FLOWS" },
	{ "packets", RECORD_UINT, RECORD_RIGHT, 0, 0, bucket_packets, 4,
	    "PACKETS" },
	{ "bytes", RECORD_UINT, RECORD_RIGHT, 0, 0, bucket_bytes, 5,
	    "BYTES" },
	{ "packets_c2s", RECORD_UINT, 0, S(QB, packets_c2s), 0, NULL },
	{ "packets_s2c", RECORD_UINT, 0, S(QB, packets_s2c), 0, NULL },
	{ "bytes_c2s", RECORD_UINT, 0, S(QB, bytes_c2s), 0, NULL },
	{ "bytes_s2c", RECORD_UINT, 0, S(QB, bytes_s2c), 0, NULL },
	{ "clients", RECORD_UINT, RECORD_RIGHT, S(QB, clients), 6,
	    "CLIENTS" },
};
#undef QB

#define CP	struct catalog_port_record
static const struct record_field catalog_port_fields[] = {
	{ "kind", RECORD_STRING, 0, 0, 0, catalog_port_kind, 0, NULL },
	{ "service", RECORD_STRING, 0, S(CP, service), 1, "SERVICE" },
	{ "name", RECORD_STRING, 0, S(CP, name), 6, "NAME" },
	{ "system_service_name", RECORD_STRING, RECORD_NULLABLE,
	    S(CP, system_service_name), 0, NULL },
	{ "transport", RECORD_STRING, 0, S(CP, transport), 0, NULL },
	{ "port_low", RECORD_UINT, 0, S(CP, port_low), 0, NULL },
	{ "port_high", RECORD_UINT, 0, S(CP, port_high), 0, NULL },
	{ NULL, RECORD_STRING, 0, 0, 0, catalog_port_ports, 2, "PORT" },
	{ "app_protocol", RECORD_STRING, RECORD_NULLABLE,
	    S(CP, app_protocol), 4, "APP" },
	{ "role", RECORD_STRING, 0, S(CP, role), 3, "ROLE" },
	{ "effective_listener", RECORD_BOOL, RECORD_NULLABLE | RECORD_OMIT,
	    0, 0, catalog_port_effective, 0, NULL },
	{ "dynamic_rpc", RECORD_BOOL, 0, S(CP, dynamic_rpc), 0, NULL },
	{ "sources", RECORD_LIST, 0, 0, 0, catalog_port_sources, 5,
	    "SOURCES" },
	{ "notes", RECORD_STRING, RECORD_NULLABLE, S(CP, notes), 0, NULL },
};
#undef CP

#define CI	struct catalog_iface_record
static const struct record_field catalog_iface_fields[] = {
	{ "kind", RECORD_STRING, 0, 0, 0, catalog_iface_kind, 0, NULL },
	{ "uuid", RECORD_CHARS, 0, S(CI, uuid), 1, "UUID" },
	{ "version", RECORD_CHARS, 0, S(CI, version), 2, "VERSION" },
	{ "interface", RECORD_STRING, 0, S(CI, interface), 3, "INTERFACE" },
	{ "service", RECORD_STRING, 0, S(CI, service), 4, "SERVICE" },
	{ "name", RECORD_STRING, 0, S(CI, name), 6, "NAME" },
	{ "spec", RECORD_STRING, RECORD_NULLABLE, S(CI, spec), 5, "SPEC" },
	{ "notes", RECORD_STRING, RECORD_NULLABLE, S(CI, notes), 0, NULL },
};
#undef CI
#undef S

const struct record_table record_services = {
	"services", service_fields, NFIELDS(service_fields)
};
const struct record_table record_hosts = {
	"hosts", host_fields, NFIELDS(host_fields)
};
const struct record_table record_roles = {
	"roles", role_fields, NFIELDS(role_fields)
};
const struct record_table record_role_evidence = {
	"evidence", role_evidence_fields, NFIELDS(role_evidence_fields)
};
const struct record_table record_names = {
	"names", name_fields, NFIELDS(name_fields)
};
const struct record_table record_endpoints = {
	"endpoints", endpoint_fields, NFIELDS(endpoint_fields)
};
const struct record_table record_outbound = {
	"outbound", outbound_fields, NFIELDS(outbound_fields)
};
const struct record_table record_outbound_servers = {
	"outbound_servers", outbound_server_fields,
	NFIELDS(outbound_server_fields)
};
const struct record_table record_operations = {
	"operations", operation_fields, NFIELDS(operation_fields)
};
const struct record_table record_attempts = {
	"attempts", attempt_fields, NFIELDS(attempt_fields)
};
const struct record_table record_alerts = {
	"alerts", alert_fields, NFIELDS(alert_fields)
};
const struct record_table record_top = {
	"top", top_fields, NFIELDS(top_fields)
};
const struct record_table record_series = {
	"series", bucket_fields, NFIELDS(bucket_fields)
};
const struct record_table record_catalog_ports = {
	"catalog ports", catalog_port_fields, NFIELDS(catalog_port_fields)
};
const struct record_table record_catalog_ifaces = {
	"catalog interfaces", catalog_iface_fields,
	NFIELDS(catalog_iface_fields)
};

/* ------------------------------------------------------------------ */
/* Reading a field */

static uint64_t
read_uint(const void *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

void
record_get(const struct record_field *f, const void *rec,
    struct record_value *v)
{
	const char *p = (const char *)rec + f->off;
	bool nullable = (f->flags & RECORD_NULLABLE) != 0;

	memset(v, 0, sizeof(*v));
	v->type = f->type;
	if (f->get != NULL) {
		f->get(rec, v);
		if (v->type == RECORD_STRING && v->s == NULL)
			v->null = true;
		return;
	}
	switch (f->type) {
	case RECORD_STRING:
		memcpy(&v->s, p, sizeof(v->s));
		v->null = v->s == NULL;
		break;
	case RECORD_CHARS:
		v->s = p;
		v->null = nullable && p[0] == '\0';
		break;
	case RECORD_UINT:
		v->u = read_uint(p, f->size);
		v->null = nullable && v->u == 0;
		break;
	case RECORD_INT:
	case RECORD_TIME:
		memcpy(&v->i, p, sizeof(v->i));
		v->null = v->i == 0 && (nullable || f->type == RECORD_TIME);
		break;
	case RECORD_BOOL:
		memcpy(&v->b, p, sizeof(v->b));
		break;
	case RECORD_LIST:
	case RECORD_OBJECTS:
		v->null = true;		/* a list needs get() */
		break;
	}
}

/* ------------------------------------------------------------------ */
/* JSON */

void
record_json_fields(struct json *j, const struct record_table *t,
    const void *rec)
{
	struct record_value v;
	const struct record_field *f;
	char tb[32];
	size_t i, k;

	for (i = 0; i < t->nfields; i++) {
		f = &t->fields[i];
		if (f->key == NULL)
			continue;
		record_get(f, rec, &v);
		if (v.null && (f->flags & RECORD_OMIT) != 0)
			continue;
		json_key(j, f->key);
		if (v.null) {
			json_null(j);
			continue;
		}
		switch (v.type) {
		case RECORD_STRING:
		case RECORD_CHARS:
			json_string(j, v.s);
			break;
		case RECORD_UINT:
			json_uint(j, v.u);
			break;
		case RECORD_INT:
			json_int(j, v.i);
			break;
		case RECORD_TIME:
			json_string(j, json_time(v.i, tb));
			break;
		case RECORD_BOOL:
			json_bool(j, v.b);
			break;
		case RECORD_LIST:
			json_array_begin(j);
			for (k = 0; k < v.n; k++)
				json_string(j, v.list[k]);
			json_array_end(j);
			break;
		case RECORD_OBJECTS:
			json_array_begin(j);
			for (k = 0; k < v.n; k++)
				record_json(j, v.sub, (const char *)v.items +
				    k * v.stride);
			json_array_end(j);
			break;
		}
	}
}

void
record_json(struct json *j, const struct record_table *t, const void *rec)
{
	json_object_begin(j);
	record_json_fields(j, t, rec);
	json_object_end(j);
}

/* ------------------------------------------------------------------ */
/* Text of a value (CSV, kv, the text table) */

/*
 * Write the value's text to f (list elements joined by sep); null is
 * `none`.  Returns what fprintf returns, negative on error.
 */
static int
value_text(FILE *f, const struct record_value *v, const char *sep,
    const char *none)
{
	char tb[32];
	size_t k;
	int rc = 0;

	if (v->null)
		return fputs(none, f) == EOF ? -1 : 0;
	switch (v->type) {
	case RECORD_STRING:
	case RECORD_CHARS:
		return fputs(v->s, f) == EOF ? -1 : 0;
	case RECORD_UINT:
		return fprintf(f, "%" PRIu64, v->u);
	case RECORD_INT:
		return fprintf(f, "%" PRId64, v->i);
	case RECORD_TIME:
		return fputs(json_time(v->i, tb), f) == EOF ? -1 : 0;
	case RECORD_BOOL:
		return fputs(v->b ? "true" : "false", f) == EOF ? -1 : 0;
	case RECORD_LIST:
		for (k = 0; k < v->n && rc >= 0; k++)
			rc = fprintf(f, "%s%s", k ? sep : "", v->list[k]);
		return rc;
	case RECORD_OBJECTS:
		for (k = 0; k < v->n && rc >= 0; k++) {
			struct record_value e;

			record_get(&v->sub->fields[0], (const char *)v->items +
			    k * v->stride, &e);
			if (k > 0 && fputs(sep, f) == EOF)
				return -1;
			rc = value_text(f, &e, sep, none);
		}
		return rc;
	}
	return 0;
}

/* The value as a malloc'ed string; NULL when memory runs out. */
static char *
value_string(const struct record_value *v, const char *sep, const char *none)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m;

	if ((m = open_memstream(&s, &len)) == NULL)
		return NULL;
	if (value_text(m, v, sep, none) < 0) {
		fclose(m);
		free(s);
		return NULL;
	}
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	if ((v->type == RECORD_LIST || v->type == RECORD_OBJECTS) &&
	    v->n == 0 && !v->null) {
		free(s);
		s = strdup(none);
	}
	return s;
}

/*
 * One CSV cell, RFC 4180: quoted when it holds a comma, a quote, CR or
 * LF, quotes doubled.  Null is an empty cell and an empty string "", as
 * PostgreSQL's CSV tells them apart.
 */
int
record_csv_text(FILE *f, const char *s)
{
	const char *p;

	if (s[0] != '\0' && strpbrk(s, ",\"\r\n") == NULL)
		return fputs(s, f) == EOF ? -1 : 0;
	if (fputc('"', f) == EOF)
		return -1;
	for (p = s; *p != '\0'; p++)
		if ((*p == '"' && fputc('"', f) == EOF) ||
		    fputc(*p, f) == EOF)
			return -1;
	return fputc('"', f) == EOF ? -1 : 0;
}

static int
csv_cell(FILE *f, const struct record_value *v)
{
	char *s;
	int rc;

	if (v->null)
		return 0;
	if ((s = value_string(v, " ", "")) == NULL)
		return -1;
	rc = record_csv_text(f, s);
	free(s);
	return rc;
}

/* name=value: one line each, so a line break in a value is a space. */
static int
kv_line(FILE *f, const char *key, const struct record_value *v)
{
	char *s, *p;
	int rc;

	if ((s = value_string(v, " ", "")) == NULL)
		return -1;
	for (p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	rc = fprintf(f, "%s=%s\n", key, s);
	free(s);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Outputs */

static const struct record_field *
find_key(const struct record_table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].key != NULL &&
		    strcmp(t->fields[i].key, key) == 0)
			return &t->fields[i];
	return NULL;
}

static void
csv_begin(struct record_out *o, const struct record_table *const *tables,
    size_t ntables)
{
	size_t i, k, c;

	for (i = 0; i < ntables; i++)
		for (k = 0; k < tables[i]->nfields; k++) {
			const char *key = tables[i]->fields[k].key;

			if (key == NULL)
				continue;
			for (c = 0; c < o->ncols; c++)
				if (strcmp(o->cols[c], key) == 0)
					break;
			if (c == o->ncols && o->ncols < RECORD_MAX_FIELDS)
				o->cols[o->ncols++] = key;
		}
	if (!o->header)
		return;
	for (c = 0; c < o->ncols; c++)
		if (fprintf(o->f, "%s%s", c ? "," : "", o->cols[c]) < 0)
			o->failed = true;
	if (fputc('\n', o->f) == EOF)
		o->failed = true;
}

static void
csv_row(struct record_out *o, const struct record_table *t, const void *rec)
{
	const struct record_field *f;
	struct record_value v;
	size_t c;

	for (c = 0; c < o->ncols; c++) {
		if (c > 0 && fputc(',', o->f) == EOF)
			o->failed = true;
		if ((f = find_key(t, o->cols[c])) == NULL)
			continue;
		record_get(f, rec, &v);
		if (csv_cell(o->f, &v) == -1)
			o->failed = true;
	}
	if (fputc('\n', o->f) == EOF)
		o->failed = true;
}

static void
kv_row(struct record_out *o, const struct record_table *t, const void *rec)
{
	struct record_value v;
	size_t i;

	if (o->nrows > 0 && fputc('\n', o->f) == EOF)
		o->failed = true;
	for (i = 0; i < t->nfields; i++) {
		if (t->fields[i].key == NULL)
			continue;
		record_get(&t->fields[i], rec, &v);
		if (kv_line(o->f, t->fields[i].key, &v) == -1)
			o->failed = true;
	}
}

/* The text table's columns: the fields with a col, in col order. */
static void
text_begin(struct record_out *o, const struct record_table *t)
{
	size_t i, k;
	unsigned col;

	for (col = 1; o->ntcols < RECORD_MAX_FIELDS; col++) {
		k = o->ntcols;
		for (i = 0; i < t->nfields; i++)
			if (t->fields[i].col == col)
				o->tcols[o->ntcols++] = &t->fields[i];
		if (k == o->ntcols)
			break;
	}
}

static void
text_row(struct record_out *o, const struct record_table *t, const void *rec)
{
	struct record_value v;
	char **n;
	size_t c;

	if (t != o->table || o->failed)
		return;
	if (o->ncells + o->ntcols > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;

		while (cap < o->ncells + o->ntcols)
			cap *= 2;
		if ((n = reallocarray(o->cells, cap, sizeof(*n))) == NULL) {
			o->failed = true;
			return;
		}
		o->cells = n;
		o->cap = cap;
	}
	for (c = 0; c < o->ntcols; c++) {
		record_get(o->tcols[c], rec, &v);
		if ((o->cells[o->ncells] = value_string(&v, ",", "-")) ==
		    NULL) {
			o->failed = true;
			return;
		}
		o->ncells++;
	}
}

/* The last column is never padded: a long name there widens nothing. */
static void
text_line(struct record_out *o, char *const *cells, const size_t *width)
{
	size_t c;
	int rc;

	for (c = 0; c < o->ntcols; c++) {
		if (c + 1 == o->ntcols)
			rc = fprintf(o->f, "%s\n", cells[c]);
		else if ((o->tcols[c]->flags & RECORD_RIGHT) != 0)
			rc = fprintf(o->f, "%*s  ", (int)width[c], cells[c]);
		else
			rc = fprintf(o->f, "%-*s  ", (int)width[c], cells[c]);
		if (rc < 0)
			o->failed = true;
	}
}

static void
text_print(struct record_out *o)
{
	size_t width[RECORD_MAX_FIELDS] = { 0 };
	char *head[RECORD_MAX_FIELDS];
	size_t r, c, len;

	for (c = 0; c < o->ntcols; c++) {
		head[c] = (char *)o->tcols[c]->head;
		width[c] = o->header ? strlen(head[c]) : 0;
	}
	for (r = 0; r < o->ncells; r++) {
		len = strlen(o->cells[r]);
		if (len > width[r % o->ntcols])
			width[r % o->ntcols] = len;
	}
	if (o->header)
		text_line(o, head, width);
	for (r = 0; r + o->ntcols <= o->ncells; r += o->ntcols)
		text_line(o, &o->cells[r], width);
}

void
record_out_begin(struct record_out *o, enum record_format fmt,
    const struct record_table *const *tables, size_t ntables,
    struct json *j, FILE *f, bool header)
{
	memset(o, 0, sizeof(*o));
	o->fmt = fmt;
	o->table = tables[0];
	o->j = j;
	o->f = f;
	o->header = header;
	switch (fmt) {
	case RECORD_JSON:
		json_array_begin(j);
		break;
	case RECORD_CSV:
		csv_begin(o, tables, ntables);
		break;
	case RECORD_TEXT:
		text_begin(o, tables[0]);
		break;
	case RECORD_KV:
		break;
	}
}

void
record_out_row(struct record_out *o, const struct record_table *t,
    const void *rec)
{
	switch (o->fmt) {
	case RECORD_JSON:
		record_json(o->j, t, rec);
		break;
	case RECORD_CSV:
		csv_row(o, t, rec);
		break;
	case RECORD_KV:
		kv_row(o, t, rec);
		break;
	case RECORD_TEXT:
		text_row(o, t, rec);
		break;
	}
	o->nrows++;
}

int
record_out_end(struct record_out *o)
{
	size_t i;

	switch (o->fmt) {
	case RECORD_JSON:
		json_array_end(o->j);
		if (json_failed(o->j))
			o->failed = true;
		break;
	case RECORD_TEXT:
		if (!o->failed)
			text_print(o);
		for (i = 0; i < o->ncells; i++)
			free(o->cells[i]);
		free(o->cells);
		o->cells = NULL;
		o->ncells = o->cap = 0;
		break;
	case RECORD_CSV:
	case RECORD_KV:
		break;
	}
	if (o->f != NULL && o->fmt != RECORD_JSON && ferror(o->f))
		o->failed = true;
	return o->failed ? -1 : 0;
}

void
record_service_row(void *arg, const struct query_service *r)
{
	record_out_row(arg, &record_services, r);
}

void
record_host_row(void *arg, const struct query_host *r)
{
	record_out_row(arg, &record_hosts, r);
}

void
record_outbound_row(void *arg, const struct query_outbound *r)
{
	record_out_row(arg, &record_outbound, r);
}

void
record_outbound_server_row(void *arg, const struct query_outbound *r)
{
	record_out_row(arg, &record_outbound_servers, r);
}

void
record_endpoint_row(void *arg, const struct query_endpoint *r)
{
	record_out_row(arg, &record_endpoints, r);
}

void
record_operation_row(void *arg, const struct query_operation *r)
{
	record_out_row(arg, &record_operations, r);
}

void
record_attempt_row(void *arg, const struct query_attempt *r)
{
	record_out_row(arg, &record_attempts, r);
}

void
record_alert_row(void *arg, const struct alert_record *r)
{
	record_out_row(arg, &record_alerts, r);
}

void
record_top_row(void *arg, const struct query_top *r)
{
	record_out_row(arg, &record_top, r);
}

void
record_bucket_row(void *arg, const struct query_bucket *r)
{
	record_out_row(arg, &record_series, r);
}

static const struct record_table *const services_kind[] = {
	&record_services
};
static const struct record_table *const hosts_kind[] = { &record_hosts };
static const struct record_table *const endpoints_kind[] = {
	&record_endpoints
};
static const struct record_table *const attempts_kind[] = {
	&record_attempts
};

int
query_services_json(struct reader *s, const struct catalog *cat,
    const struct query_filter *f, struct json *j, char *err, size_t errlen)
{
	struct record_out o;
	int ret;

	record_out_begin(&o, RECORD_JSON, services_kind, 1, j, NULL, false);
	ret = query_services(s, cat, f, record_service_row, &o, err, errlen);
	record_out_end(&o);
	return ret;
}

int
query_hosts_json(struct reader *s, const struct catalog *cat, struct json *j,
    char *err, size_t errlen)
{
	struct query_host_filter hf;
	struct record_out o;
	int ret;

	memset(&hf, 0, sizeof(hf));
	hf.cat = cat;
	record_out_begin(&o, RECORD_JSON, hosts_kind, 1, j, NULL, false);
	ret = query_hosts_where(s, &hf, NULL, record_host_row, &o, err,
	    errlen);
	record_out_end(&o);
	return ret;
}

static const struct record_table *const operations_kind[] = {
	&record_operations
};

int
query_host_json(struct reader *s, const struct catalog *cat, const char *ip,
    struct json *j, bool *found, char *err, size_t errlen)
{
	struct query_op_filter of;
	struct query_filter f;
	struct record_out o;
	int ret;

	json_object_begin(j);
	json_key(j, "hosts");
	record_out_begin(&o, RECORD_JSON, hosts_kind, 1, j, NULL, false);
	ret = query_host_one(s, cat, ip, record_host_row, &o, found, err,
	    errlen);
	record_out_end(&o);
	if (ret == 0) {
		memset(&f, 0, sizeof(f));
		f.host = ip;
		f.all = true;
		json_key(j, "services");
		record_out_begin(&o, RECORD_JSON, services_kind, 1, j, NULL,
		    false);
		ret = query_services(s, cat, &f, record_service_row, &o, err,
		    errlen);
		record_out_end(&o);
	}
	if (ret == 0) {
		memset(&of, 0, sizeof(of));
		of.host = ip;
		json_key(j, "operations");
		record_out_begin(&o, RECORD_JSON, operations_kind, 1, j, NULL,
		    false);
		ret = query_operations(s, cat, &of, record_operation_row, &o,
		    err, errlen);
		record_out_end(&o);
	}
	/* The ports of this address clients tried and nobody served. */
	if (ret == 0) {
		json_key(j, "attempts");
		record_out_begin(&o, RECORD_JSON, attempts_kind, 1, j, NULL,
		    false);
		ret = query_attempts_page(s, cat, &f, NULL, record_attempt_row,
		    &o, err, errlen);
		/* An address that only refused or ignored clients is known. */
		if (ret == 0 && o.nrows > 0)
			*found = true;
		record_out_end(&o);
	}
	json_object_end(j);
	return ret;
}

int
query_endpoints_json(struct reader *s, const struct catalog *cat,
    struct json *j, char *err, size_t errlen)
{
	struct record_out o;
	int ret;

	record_out_begin(&o, RECORD_JSON, endpoints_kind, 1, j, NULL, false);
	ret = query_endpoints(s, cat, record_endpoint_row, &o, err, errlen);
	record_out_end(&o);
	return ret;
}


int
query_operations_json(struct reader *s, const struct catalog *cat,
    const struct query_op_filter *f, struct json *j, char *err,
    size_t errlen)
{
	struct record_out o;
	int ret;

	record_out_begin(&o, RECORD_JSON, operations_kind, 1, j, NULL, false);
	ret = query_operations(s, cat, f, record_operation_row, &o, err,
	    errlen);
	record_out_end(&o);
	return ret;
}
