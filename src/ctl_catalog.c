/*
 * ctl_catalog.c - "svcmapctl catalog": what the shipped (and site-local)
 * catalog documents, without a daemon or database.
 *
 * Answers the questions an operator asks while reading a capture: who
 * documents 445/tcp and which process listens there (--port), what ports
 * and RPC interfaces a service needs (--service), which service an RPC
 * interface UUID belongs to (--uuid), and the interface list itself
 * (--interfaces).  Tables for people, --json for scripts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/json.h"
#include "svcmap/log.h"
#include "ctl.h"

#define NCOLS	6

struct catalog_query {
	bool		 port_given;
	uint16_t	 port;
	uint8_t		 transports[2];	/* 0-terminated: tcp, udp or both */
	const char	*service_key;
	int		 service;	/* -1: any */
	bool		 uuid_given;
	uint8_t		 uuid[16];
	bool		 interfaces;
};

/* One table row as text; the buffers hold what is formatted here. */
struct cells {
	const char	*c[NCOLS];
	char		 ports[32];
	char		 sources[48];
	char		 version[16];
	char		 uuid[UUID_STRLEN];
};

static void
catalog_usage(void)
{
	fprintf(stderr, "usage: svcmapctl catalog [--port N[/tcp|/udp]] "
	    "[--service KEY] [--uuid UUID]\n"
	    "                         [--interfaces] [--json]\n");
}

/* "445", "445/tcp" or "88/udp"; without a transport both are meant. */
static bool
parse_port_arg(const char *arg, struct catalog_query *q)
{
	const char *slash = strchr(arg, '/');
	char *end;
	unsigned long v;

	if (arg[0] < '0' || arg[0] > '9')
		return false;
	v = strtoul(arg, &end, 10);
	if (v < 1 || v > 65535 || (end != slash && *end != '\0'))
		return false;
	q->port = (uint16_t)v;
	q->transports[0] = TRANSPORT_TCP;
	q->transports[1] = TRANSPORT_UDP;
	if (slash != NULL) {
		q->transports[1] = 0;
		if (strcmp(slash + 1, "tcp") == 0)
			q->transports[0] = TRANSPORT_TCP;
		else if (strcmp(slash + 1, "udp") == 0)
			q->transports[0] = TRANSPORT_UDP;
		else
			return false;
	}
	return true;
}

static void
sources_fmt(uint8_t bits, char *buf, size_t len)
{
	unsigned b;
	size_t off = 0;

	buf[0] = '\0';
	for (b = 1; b <= 0x80; b <<= 1) {
		const char *code = catalog_source_name((uint8_t)b);

		if ((bits & b) != 0 && code != NULL && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? "," : "", code);
	}
}

static void
ports_fmt(const struct catalog_port *p, char *buf, size_t len)
{
	const char *t = transport_name(p->transport);

	if (p->port_low == 0)
		snprintf(buf, len, "%s", t);
	else if (p->port_low == p->port_high)
		snprintf(buf, len, "%u/%s", p->port_low, t);
	else
		snprintf(buf, len, "%u-%u/%s", p->port_low, p->port_high, t);
}

static const char *
app_key(const struct catalog *cat, int app)
{
	const struct catalog_app *a = catalog_app(cat, app);

	return a != NULL ? a->key : "-";
}

static void
port_cells(const struct catalog *cat, int row, struct cells *c)
{
	const struct catalog_port *p = catalog_port(cat, row);
	const struct catalog_service *s = catalog_service(cat, p->service);

	ports_fmt(p, c->ports, sizeof(c->ports));
	sources_fmt(p->sources, c->sources, sizeof(c->sources));
	c->c[0] = s->key;
	c->c[1] = c->ports;
	c->c[2] = p->role == ROLE_LISTENER ? "listener" : "dependent";
	c->c[3] = app_key(cat, p->app);
	c->c[4] = c->sources;
	c->c[5] = s->name;
}

static void
iface_cells(const struct catalog *cat, int row, struct cells *c)
{
	const struct catalog_iface *i = catalog_iface(cat, row);
	const struct catalog_service *s = catalog_service(cat, i->service);

	uuid_fmt(i->uuid, c->uuid);
	snprintf(c->version, sizeof(c->version), "%u.%u", i->ver_major,
	    i->ver_minor);
	c->c[0] = c->uuid;
	c->c[1] = c->version;
	c->c[2] = i->name;
	c->c[3] = s->key;
	c->c[4] = i->spec;
	c->c[5] = s->name;
}

/* Aligned columns; the last one (a free-text name) is not padded. */
static void
print_table(const struct catalog *cat, const char *const head[NCOLS],
    void (*fill)(const struct catalog *, int, struct cells *),
    const int *rows, size_t n, bool quiet)
{
	struct cells c;
	size_t w[NCOLS], i, k;

	for (k = 0; k < NCOLS; k++)
		w[k] = quiet ? 0 : strlen(head[k]);
	for (i = 0; i < n; i++) {
		fill(cat, rows[i], &c);
		for (k = 0; k < NCOLS; k++)
			if (strlen(c.c[k]) > w[k])
				w[k] = strlen(c.c[k]);
	}
	if (!quiet) {
		for (k = 0; k < NCOLS - 1; k++)
			printf("%-*s  ", (int)w[k], head[k]);
		printf("%s\n", head[NCOLS - 1]);
	}
	for (i = 0; i < n; i++) {
		fill(cat, rows[i], &c);
		for (k = 0; k < NCOLS - 1; k++)
			printf("%-*s  ", (int)w[k], c.c[k]);
		printf("%s\n", c.c[NCOLS - 1]);
	}
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
	unsigned b;

	json_object_begin(j);
	json_kv_string(j, "kind", "port");
	json_kv_string(j, "service", s->key);
	json_kv_string(j, "name", s->name);
	kv_text(j, "system_service_name", s->system_service);
	json_kv_string(j, "transport", transport_name(p->transport));
	json_kv_uint(j, "port_low", p->port_low);
	json_kv_uint(j, "port_high", p->port_high);
	json_kv_string(j, "app_protocol", p->app >= 0 ?
	    app_key(cat, p->app) : NULL);
	json_kv_string(j, "role", p->role == ROLE_LISTENER ? "listener" :
	    "dependent");
	/* For --port: is this the row whose process answers on that port? */
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

/*
 * The port rows to show.  For --port, per transport, the row that
 * catalog_listener() picks comes first (it is the process that answers),
 * then every other row containing the port in file order.
 */
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

static int
catalog_show(const struct catalog *cat, const struct catalog_query *q,
    const struct ctl_opts *o)
{
	static const char *const port_head[NCOLS] = {
		"SERVICE", "PORT", "ROLE", "APP", "SOURCES", "NAME"
	};
	static const char *const iface_head[NCOLS] = {
		"UUID", "VERSION", "INTERFACE", "SERVICE", "SPEC", "NAME"
	};
	bool show_ports = !q->uuid_given && !q->interfaces;
	bool show_ifaces = q->uuid_given || q->interfaces ||
	    (q->service >= 0 && !q->port_given);
	size_t np = 0, ni = 0, i;
	int *prows, *irows;
	struct json j;
	int rc = CTL_OK;

	/* --port without a transport can list a row once per transport. */
	prows = calloc(2 * catalog_nports(cat) + 1, sizeof(*prows));
	irows = calloc(catalog_nifaces(cat) + 1, sizeof(*irows));
	if (prows == NULL || irows == NULL) {
		log_warn("catalog");
		free(prows);
		free(irows);
		return CTL_ERROR;
	}
	if (show_ports)
		np = select_ports(cat, q, prows);
	if (show_ifaces)
		ni = select_ifaces(cat, q, irows);

	if (o->json) {
		json_init(&j);
		json_array_begin(&j);
		for (i = 0; i < np; i++)
			json_port(&j, cat, q, prows[i]);
		for (i = 0; i < ni; i++)
			json_iface(&j, cat, irows[i]);
		json_array_end(&j);
		if (json_failed(&j)) {
			log_warnx("catalog: out of memory for the JSON text");
			rc = CTL_ERROR;
		} else
			printf("%s\n", j.buf);
		json_free(&j);
	} else {
		if (show_ports)
			print_table(cat, port_head, port_cells, prows, np,
			    o->quiet);
		if (show_ifaces && (ni > 0 || !show_ports)) {
			if (show_ports)
				printf("\n");
			print_table(cat, iface_head, iface_cells, irows, ni,
			    o->quiet);
		}
	}
	free(prows);
	free(irows);
	if (fflush(stdout) == EOF) {
		log_warn("stdout");
		rc = CTL_ERROR;
	}
	return rc;
}

int
ctl_catalog(int argc, char **argv, const struct ctl_opts *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "service", required_argument, NULL, 's' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "interfaces", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct catalog_query q;
	struct catalog *cat;
	char err[1024];
	int ch, rc;

	memset(&q, 0, sizeof(q));
	q.service = -1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (!parse_port_arg(optarg, &q)) {
				log_warnx("bad port \"%s\": want N, N/tcp or "
				    "N/udp with N in 1..65535", optarg);
				return CTL_USAGE;
			}
			q.port_given = true;
			break;
		case 's':
			q.service_key = optarg;
			break;
		case 'u':
			if (uuid_parse(q.uuid, optarg) == -1) {
				log_warnx("bad uuid \"%s\": want "
				    "8-4-4-4-12 hex digits", optarg);
				return CTL_USAGE;
			}
			q.uuid_given = true;
			break;
		case 'i':
			q.interfaces = true;
			break;
		default:
			catalog_usage();
			return CTL_USAGE;
		}
	}
	if (optind != argc ||
	    (q.port_given && (q.uuid_given || q.interfaces))) {
		if (optind == argc)
			log_warnx("--port lists port rows; it does not combine "
			    "with --uuid or --interfaces");
		catalog_usage();
		return CTL_USAGE;
	}

	/* catalog_open() has logged every problem as "file:line: ...". */
	if ((cat = catalog_open(o->data_dir, o->local_catalog, err,
	    sizeof(err))) == NULL)
		return CTL_ERROR;
	if (q.service_key != NULL &&
	    (q.service = catalog_service_find(cat, q.service_key)) == -1) {
		log_warnx("unknown service \"%s\" (svcmapctl catalog lists "
		    "the keys)", q.service_key);
		catalog_destroy(cat);
		return CTL_USAGE;
	}
	rc = catalog_show(cat, &q, o);
	catalog_destroy(cat);
	return rc;
}
