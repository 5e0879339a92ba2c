/*
 * catalog_query.c - catalog rows by port, service or RPC interface, and
 * their records (record.h), for svcmapctl and the HTTP API alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/json.h"
#include "svcmap/record.h"
#include "svcmap/transport.h"

void
catalog_query_init(struct catalog_query *q)
{
	memset(q, 0, sizeof(*q));
	q->service = -1;
}

int
catalog_query_port(struct catalog_query *q, const char *text)
{
	const char *slash = strchr(text, '/');
	uint8_t tr[2] = { TRANSPORT_TCP, TRANSPORT_UDP };
	char *end;
	unsigned long v;

	/* strtoul() alone would take " 445", "+445" and "-1". */
	if (text[0] < '0' || text[0] > '9')
		return -1;
	v = strtoul(text, &end, 10);
	if (v < 1 || v > 65535 || (end != slash && *end != '\0'))
		return -1;
	if (slash != NULL) {
		tr[1] = 0;
		if (strcmp(slash + 1, "tcp") == 0)
			tr[0] = TRANSPORT_TCP;
		else if (strcmp(slash + 1, "udp") == 0)
			tr[0] = TRANSPORT_UDP;
		else
			return -1;
	}
	q->port_given = true;
	q->port = (uint16_t)v;
	q->transports[0] = tr[0];
	q->transports[1] = tr[1];
	return 0;
}

bool
catalog_query_conflict(const struct catalog_query *q)
{
	return q->port_given && (q->uuid_given || q->interfaces);
}

static bool
port_matches(const struct catalog *cat, const struct catalog_query *q,
    int row, uint8_t transport)
{
	const struct catalog_port *p = catalog_port(cat, row);

	if (q->service >= 0 && p->service != q->service)
		return false;
	if (!q->port_given)
		return true;
	return p->transport == transport && p->port_low <= q->port &&
	    q->port <= p->port_high;
}

static size_t
select_ports(const struct catalog *cat, const struct catalog_query *q,
    int *rows)
{
	size_t n = 0, i, t;
	int l;

	if (!q->port_given) {
		for (i = 0; i < catalog_nports(cat); i++)
			if (port_matches(cat, q, (int)i, 0))
				rows[n++] = (int)i;
		return n;
	}
	for (t = 0; t < 2 && q->transports[t] != 0; t++) {
		l = catalog_listener(cat, q->transports[t], q->port);
		if (l >= 0 && port_matches(cat, q, l, q->transports[t]))
			rows[n++] = l;
		for (i = 0; i < catalog_nports(cat); i++)
			if ((int)i != l &&
			    port_matches(cat, q, (int)i, q->transports[t]))
				rows[n++] = (int)i;
	}
	return n;
}

static size_t
select_ifaces(const struct catalog *cat, const struct catalog_query *q,
    int *rows)
{
	size_t n = 0, i;

	for (i = 0; i < catalog_nifaces(cat); i++) {
		const struct catalog_iface *f = catalog_iface(cat, (int)i);

		if (q->service >= 0 && f->service != q->service)
			continue;
		if (q->uuid_given && memcmp(f->uuid, q->uuid, 16) != 0)
			continue;
		rows[n++] = (int)i;
	}
	return n;
}

int
catalog_query_select(const struct catalog *cat, const struct catalog_query *q,
    struct catalog_rows *rows)
{
	memset(rows, 0, sizeof(*rows));
	rows->show_ports = !q->uuid_given && !q->interfaces;
	rows->show_ifaces = q->uuid_given || q->interfaces ||
	    (q->service >= 0 && !q->port_given);
	/* A port without a transport can list a row once per transport. */
	rows->ports = calloc(2 * catalog_nports(cat) + 1, sizeof(int));
	rows->ifaces = calloc(catalog_nifaces(cat) + 1, sizeof(int));
	if (rows->ports == NULL || rows->ifaces == NULL) {
		catalog_rows_free(rows);
		return -1;
	}
	if (rows->show_ports)
		rows->nports = select_ports(cat, q, rows->ports);
	if (rows->show_ifaces)
		rows->nifaces = select_ifaces(cat, q, rows->ifaces);
	return 0;
}

void
catalog_rows_free(struct catalog_rows *rows)
{
	free(rows->ports);
	free(rows->ifaces);
	memset(rows, 0, sizeof(*rows));
}

/* "-" in the files means none. */
static const char *
text_or_null(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

void
catalog_port_record(const struct catalog *cat, const struct catalog_query *q,
    int row, struct catalog_port_record *r)
{
	const struct catalog_port *p = catalog_port(cat, row);
	const struct catalog_service *s = catalog_service(cat, p->service);
	const struct catalog_app *app = catalog_app(cat, p->app);
	unsigned b;

	memset(r, 0, sizeof(*r));
	r->service = s->key;
	r->name = s->name;
	r->system_service_name = text_or_null(s->system_service);
	r->transport = transport_name(p->transport);
	r->port_low = p->port_low;
	r->port_high = p->port_high;
	r->app_protocol = p->app < 0 ? NULL : app != NULL ? app->key : "-";
	r->role = p->role == ROLE_LISTENER ? "listener" : "dependent";
	/* For a port: is this the row whose process answers on it? */
	r->effective_listener = !q->port_given ? -1 :
	    catalog_listener(cat, p->transport, q->port) == row;
	r->dynamic_rpc = catalog_port_is_dynamic_rpc(cat, row);
	for (b = 1; b <= 0x80; b <<= 1)
		if ((p->sources & b) != 0 &&
		    catalog_source_name((uint8_t)b) != NULL &&
		    r->nsources < sizeof(r->sources) / sizeof(r->sources[0]))
			r->sources[r->nsources++] =
			    catalog_source_name((uint8_t)b);
	r->notes = text_or_null(p->notes);
}

void
catalog_iface_record(const struct catalog *cat, int row,
    struct catalog_iface_record *r)
{
	const struct catalog_iface *i = catalog_iface(cat, row);
	const struct catalog_service *s = catalog_service(cat, i->service);

	memset(r, 0, sizeof(*r));
	uuid_fmt(i->uuid, r->uuid);
	snprintf(r->version, sizeof(r->version), "%u.%u", i->ver_major,
	    i->ver_minor);
	r->interface = i->name;
	r->service = s->key;
	r->name = s->name;
	r->spec = text_or_null(i->spec);
	r->notes = text_or_null(i->notes);
}

void
catalog_query_out(struct record_out *o, const struct catalog *cat,
    const struct catalog_query *q, const struct catalog_rows *rows,
    bool ports, bool ifaces)
{
	struct catalog_port_record pr;
	struct catalog_iface_record ir;
	size_t i;

	for (i = 0; ports && i < rows->nports; i++) {
		catalog_port_record(cat, q, rows->ports[i], &pr);
		record_out_row(o, &record_catalog_ports, &pr);
	}
	for (i = 0; ifaces && i < rows->nifaces; i++) {
		catalog_iface_record(cat, rows->ifaces[i], &ir);
		record_out_row(o, &record_catalog_ifaces, &ir);
	}
}

void
catalog_query_json(struct json *j, const struct catalog *cat,
    const struct catalog_query *q, const struct catalog_rows *rows)
{
	static const struct record_table *const kinds[] = {
		&record_catalog_ports, &record_catalog_ifaces
	};
	struct record_out o;

	record_out_begin(&o, RECORD_JSON, kinds, 2, j, NULL, false);
	catalog_query_out(&o, cat, q, rows, true, true);
	record_out_end(&o);
}
