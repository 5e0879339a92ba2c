/*
 * ctl_catalog.c - "svcmapctl catalog": what the shipped (and site-local)
 * catalog documents, without a daemon or database.
 *
 * Answers the questions an operator asks while reading a capture: who
 * documents 445/tcp and which process listens there (--port), what ports
 * and RPC interfaces a service needs (--service), which service an RPC
 * interface UUID belongs to (--uuid), and the interface list itself
 * (--interfaces).  Tables for people; --json writes what catalog_query.c
 * writes, so it is byte for byte what GET /v1/catalog answers.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/json.h"
#include "svcmap/log.h"
#include "ctl.h"

#define NCOLS	6

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
	struct catalog_rows rows;
	struct json j;
	int rc = CTL_OK;

	if (catalog_query_select(cat, q, &rows) == -1) {
		log_warn("catalog");
		return CTL_ERROR;
	}
	if (o->json) {
		json_init(&j);
		catalog_query_json(&j, cat, q, &rows);
		if (json_failed(&j)) {
			log_warnx("catalog: out of memory for the JSON text");
			rc = CTL_ERROR;
		} else
			printf("%s\n", j.buf);
		json_free(&j);
	} else {
		if (rows.show_ports)
			print_table(cat, port_head, port_cells, rows.ports,
			    rows.nports, o->quiet);
		if (rows.show_ifaces &&
		    (rows.nifaces > 0 || !rows.show_ports)) {
			if (rows.show_ports)
				printf("\n");
			print_table(cat, iface_head, iface_cells, rows.ifaces,
			    rows.nifaces, o->quiet);
		}
	}
	catalog_rows_free(&rows);
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
	const char *service_key = NULL;
	char err[1024];
	int ch, rc;

	catalog_query_init(&q);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (catalog_query_port(&q, optarg) == -1) {
				log_warnx("bad port \"%s\": want N, N/tcp or "
				    "N/udp with N in 1..65535", optarg);
				return CTL_USAGE;
			}
			break;
		case 's':
			service_key = optarg;
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
	if (optind != argc || catalog_query_conflict(&q)) {
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
	if (service_key != NULL &&
	    (q.service = catalog_service_find(cat, service_key)) == -1) {
		log_warnx("unknown service \"%s\" (svcmapctl catalog lists "
		    "the keys)", service_key);
		catalog_destroy(cat);
		return CTL_USAGE;
	}
	rc = catalog_show(cat, &q, o);
	catalog_destroy(cat);
	return rc;
}
