/*
 * catalog_query.c - catalog rows by port, service or RPC interface, and
 * their JSON form, for svcmapctl and the HTTP API alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/json.h"

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

/* "-" in the files means none: JSON says null. */
static void
kv_text(struct json *j, const char *key, const char *s)
{
	json_kv_string(j, key, strcmp(s, "-") == 0 ? NULL : s);
}

static void
json_port(struct json *j, const struct catalog *cat,
    const struct catalog_query *q, int row)
{
	const struct catalog_port *p = catalog_port(cat, row);
	const struct catalog_service *s = catalog_service(cat, p->service);
	const struct catalog_app *app = catalog_app(cat, p->app);
	unsigned b;

	json_object_begin(j);
	json_kv_string(j, "kind", "port");
	json_kv_string(j, "service", s->key);
	json_kv_string(j, "name", s->name);
	kv_text(j, "system_service_name", s->system_service);
	json_kv_string(j, "transport", transport_name(p->transport));
	json_kv_uint(j, "port_low", p->port_low);
	json_kv_uint(j, "port_high", p->port_high);
	json_kv_string(j, "app_protocol", p->app < 0 ? NULL :
	    app != NULL ? app->key : "-");
	json_kv_string(j, "role", p->role == ROLE_LISTENER ? "listener" :
	    "dependent");
	/* For a port: is this the row whose process answers on it? */
	if (q->port_given)
		json_kv_bool(j, "effective_listener",
		    catalog_listener(cat, p->transport, q->port) == row);
	json_kv_bool(j, "dynamic_rpc", catalog_port_is_dynamic_rpc(cat, row));
	json_key(j, "sources");
	json_array_begin(j);
	for (b = 1; b <= 0x80; b <<= 1)
		if ((p->sources & b) != 0 &&
		    catalog_source_name((uint8_t)b) != NULL)
			json_string(j, catalog_source_name((uint8_t)b));
	json_array_end(j);
	kv_text(j, "notes", p->notes);
	json_object_end(j);
}

static void
json_iface(struct json *j, const struct catalog *cat, int row)
{
	const struct catalog_iface *i = catalog_iface(cat, row);
	const struct catalog_service *s = catalog_service(cat, i->service);
	char ubuf[UUID_STRLEN], vbuf[16];

	snprintf(vbuf, sizeof(vbuf), "%u.%u", i->ver_major, i->ver_minor);
	json_object_begin(j);
	json_kv_string(j, "kind", "interface");
	json_kv_string(j, "uuid", uuid_fmt(i->uuid, ubuf));
	json_kv_string(j, "version", vbuf);
	json_kv_string(j, "interface", i->name);
	json_kv_string(j, "service", s->key);
	json_kv_string(j, "name", s->name);
	kv_text(j, "spec", i->spec);
	kv_text(j, "notes", i->notes);
	json_object_end(j);
}

void
catalog_query_json(struct json *j, const struct catalog *cat,
    const struct catalog_query *q, const struct catalog_rows *rows)
{
	size_t i;

	json_array_begin(j);
	for (i = 0; i < rows->nports; i++)
		json_port(j, cat, q, rows->ports[i]);
	for (i = 0; i < rows->nifaces; i++)
		json_iface(j, cat, rows->ifaces[i]);
	json_array_end(j);
}
