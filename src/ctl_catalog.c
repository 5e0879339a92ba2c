/*
 * ctl_catalog.c - "svcmapctl catalog": what the shipped (and site-local)
 * catalog documents, without a daemon or database.
 *
 * Answers the questions an operator asks while reading a capture: who
 * documents 445/tcp and which process listens there (--port), what ports
 * and RPC interfaces a service needs (--service), which service an RPC
 * interface UUID belongs to (--uuid), and the interface list itself
 * (--interfaces).  Tables for people; --json and --csv write the records
 * of catalog_query.c, so they are byte for byte what GET /v1/catalog
 * answers.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/catalog_query.h"
#include "svcmap/json.h"
#include "svcmap/record.h"
#include "svcmap/log.h"
#include "svcmap/transport.h"
#include "ctl.h"

static void
catalog_usage(void)
{
	fprintf(stderr, "usage: svcmapctl catalog [--port N[/tcp|/udp]] "
	    "[--service KEY] [--uuid UUID]\n"
	    "                         [--interfaces] [--json|--csv]\n");
}

static int
catalog_show(const struct catalog *cat, const struct catalog_query *q,
    const struct ctl_opts *o)
{
	static const struct record_table *const kinds[] = {
		&record_catalog_ports, &record_catalog_ifaces
	};
	struct catalog_rows rows;
	struct ctl_out out;
	int rc = CTL_OK;
	bool ifaces;

	if (catalog_query_select(cat, q, &rows) == -1) {
		log_warn("catalog");
		return CTL_ERROR;
	}
	if (o->json || o->csv) {
		/* One array, or one CSV table with both kinds' columns. */
		ctl_out_begin(&out, o, kinds, 2);
		catalog_query_out(&out.out, cat, q, &rows, true, true);
		if (ctl_out_end(&out, 0) == -1)
			rc = CTL_ERROR;
	} else {
		/* For people: a table per kind, a blank line between. */
		ifaces = rows.show_ifaces &&
		    (rows.nifaces > 0 || !rows.show_ports);
		if (rows.show_ports) {
			ctl_out_begin(&out, o, &kinds[0], 1);
			catalog_query_out(&out.out, cat, q, &rows, true, false);
			if (ctl_out_end(&out, 0) == -1)
				rc = CTL_ERROR;
		}
		if (ifaces) {
			if (rows.show_ports)
				printf("\n");
			ctl_out_begin(&out, o, &kinds[1], 1);
			catalog_query_out(&out.out, cat, q, &rows, false, true);
			if (ctl_out_end(&out, 0) == -1)
				rc = CTL_ERROR;
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
	static const char opts[] = "psui";	/* longopts' vals, in order */
	const char *service_key = NULL, *p;
	unsigned seen = 0;
	char err[1024];
	int ch, rc;

	catalog_query_init(&q);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		/* A repeated option is a usage error, as in the API. */
		if ((p = strchr(opts, ch)) != NULL && ch != '\0' &&
		    ctl_once(&seen, 1u << (p - opts), longopts[p - opts].name,
		    "catalog [--port N[/tcp|/udp]] [--service KEY] "
		    "[--uuid UUID] [--interfaces]") == -1)
			return CTL_USAGE;
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
