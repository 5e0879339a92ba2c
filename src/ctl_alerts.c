/*
 * ctl_alerts.c - svcmapctl alerts: the alert rows svcmapd stored.
 *
 * One line per alert (kind, server, port, count, times, detail), or with
 * --json an array of the objects the JSON lines file carries, without
 * the per-event timestamp and sensor.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "svcmap/alert.h"
#include "svcmap/catalog.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/store.h"
#include "ctl.h"

static void
alert_json_row(void *arg, const struct alert_record *r)
{
	alert_record_json(arg, r, NULL, 0);
}

static void
alert_text_row(void *arg, const struct alert_record *r)
{
	char ip[ADDR_STRLEN], cl[ADDR_STRLEN], t1[32], t2[32], port[16];
	const char *tr = transport_name(r->transport);

	(void)arg;
	snprintf(port, sizeof(port), "%u/%s", r->port, tr != NULL ? tr : "ip");
	printf("%-6" PRId64 " %-21s %3d %-39s %-9s %-39s %8" PRIu64
	    " %-20s %-20s %-8s %s\n", r->id, alert_kind_name(r->kind),
	    r->severity, addr_fmt(&r->server, ip), port,
	    addr_fmt(&r->client, cl), r->count, json_time(r->first_seen, t1),
	    json_time(r->last_seen, t2),
	    r->resolved_at != 0 ? "resolved" : "open", r->detail);
}

int
ctl_alerts(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "alerts [--since TIME] [--kind KIND] "
	    "[--json]";
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "since", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *kind = NULL;
	int64_t since = 0;
	struct store *s;
	struct json j;
	char err[512] = "";
	int ch, ret;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (alert_kind_find(optarg) == -1) {
				fprintf(stderr, "svcmapctl: unknown alert kind "
				    "\"%s\"\n", optarg);
				return CTL_USAGE;
			}
			kind = optarg;
			break;
		case 't':
			if (query_parse_time(optarg, (int64_t)time(NULL),
			    &since) == -1) {
				fprintf(stderr, "svcmapctl: bad time \"%s\"\n",
				    optarg);
				return CTL_USAGE;
			}
			break;
		default:
			fprintf(stderr, "usage: svcmapctl %s\n", usage);
			return CTL_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: svcmapctl %s\n", usage);
		return CTL_USAGE;
	}
	if (o->db_path == NULL || o->db_path[0] == '\0') {
		fprintf(stderr, "svcmapctl: no database: use -d or set db_path "
		    "in the configuration\n");
		return CTL_ERROR;
	}
	if ((s = store_open(o->db_path, true, err, sizeof(err))) == NULL) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		return CTL_ERROR;
	}
	if (o->json) {
		json_init(&j);
		json_array_begin(&j);
		ret = store_alert_rows(s, kind, since, alert_json_row, &j, err,
		    sizeof(err));
		json_array_end(&j);
		if (ret == 0 && json_failed(&j)) {
			snprintf(err, sizeof(err), "out of memory");
			ret = -1;
		}
		if (ret == 0)
			printf("%s\n", j.buf);
		json_free(&j);
	} else {
		if (!o->quiet)
			printf("%-6s %-21s %3s %-39s %-9s %-39s %8s %-20s %-20s "
			    "%-8s %s\n", "ID", "KIND", "SEV", "SERVER", "PORT",
			    "CLIENT", "COUNT", "FIRST SEEN", "LAST SEEN",
			    "STATE", "DETAIL");
		ret = store_alert_rows(s, kind, since, alert_text_row, NULL,
		    err, sizeof(err));
	}
	if (ret == -1)
		fprintf(stderr, "svcmapctl: %s\n", err);
	store_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}
