/*
 * ctl_alerts.c - svcmapctl alerts: the alert rows svcmapd stored.
 *
 * One table row per alert (kind, server, port, count, times, detail),
 * or with --json an array of the objects the JSON lines file carries,
 * without the per-event timestamp and sensor; --csv has the same fields.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "svcmap/alert.h"
#include "svcmap/query.h"
#include "svcmap/record.h"
#include "ctl.h"

int
ctl_alerts(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "alerts [--since TIME] [--until TIME] "
	    "[--kind KIND] " CTL_PAGE_USAGE " [--json|--csv]";
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "since", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		CTL_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_page page;
	const struct query_page *pg;
	static const struct record_table *const kinds[] = { &record_alerts };
	const char *kind = NULL, *since_text = NULL, *until_text = NULL;
	struct query_time_ref ref;
	int64_t since = 0, until = 0;
	unsigned seen = 0;
	struct reader *s;
	struct ctl_out out;
	char err[512] = "";
	int ch, ret;

	ctl_page_init(&page, QUERY_ALERTS);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L':
		case 'C':
			if (ctl_page_opt(&page, ch, optarg) == -1)
				return CTL_USAGE;
			break;
		case 'k':
			if (ctl_once(&seen, 0x01, "kind", usage) == -1)
				return CTL_USAGE;
			if (alert_kind_find(optarg) == -1) {
				fprintf(stderr, "svcmapctl: unknown alert kind "
				    "\"%s\"\n", optarg);
				return CTL_USAGE;
			}
			kind = optarg;
			break;
		case 't':
			if (ctl_once(&seen, 0x02, "since", usage) == -1 ||
			    ctl_time_check(optarg) == -1)
				return CTL_USAGE;
			since_text = optarg;
			break;
		case 'u':
			if (ctl_once(&seen, 0x04, "until", usage) == -1 ||
			    ctl_time_check(optarg) == -1)
				return CTL_USAGE;
			until_text = optarg;
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
	if ((s = reader_open(o->db_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		return CTL_ERROR;
	}
	if (ctl_times(s, since_text, until_text, &since, &until, &ref) ==
	    -1) {
		reader_close(s);
		return CTL_ERROR;
	}
	ctl_time_note(&ref, since_text, until_text);
	ctl_out_begin(&out, o, kinds, 1);
	pg = ctl_page_query(&page, &out.out);
	ret = ctl_out_end(&out, pg == NULL ? query_alerts_until(s, kind, since,
	    until, record_alert_row, &out.out, err, sizeof(err)) :
	    query_alerts_page(s, kind, since, until, pg, ctl_page_alert, &page,
	    err, sizeof(err)));
	ctl_page_end(&page, ret);
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}
