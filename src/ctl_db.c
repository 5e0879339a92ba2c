/*
 * ctl_db.c - svcmapctl's database commands: services, hosts, summary,
 * endpoints, operations.
 *
 * Every command opens the database read-only (safe while svcmapd writes),
 * runs one query from query.c and prints its records (record.h) as an
 * aligned table for people, or with --json or --csv what the HTTP API
 * sends for format=json or format=csv.  The summary is
 * name=value lines (unbound-control "stats" style) so that scripts read it
 * without a JSON parser.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/catalog.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/record.h"
#include "svcmap/store.h"
#include "ctl.h"

static struct reader *
open_db(const struct ctl_opts *o)
{
	struct reader *s;
	char err[512];

	if (o->db_path == NULL || o->db_path[0] == '\0') {
		fprintf(stderr, "svcmapctl: no database: use -d or set db_path "
		    "in the configuration\n");
		return NULL;
	}
	if ((s = reader_open(o->db_path, err, sizeof(err))) == NULL)
		fprintf(stderr, "svcmapctl: %s\n", err);
	return s;
}

/* Names are a convenience: without the catalog, keys stand in. */
static struct catalog *
open_catalog(const struct ctl_opts *o)
{
	struct catalog *cat;
	char err[512];

	cat = catalog_open(o->data_dir, o->local_catalog != NULL &&
	    o->local_catalog[0] != '\0' ? o->local_catalog : NULL, err,
	    sizeof(err));
	if (cat == NULL)
		fprintf(stderr, "svcmapctl: warning: catalog not loaded (%s): "
		    "showing service keys without names\n", err);
	return cat;
}

void
ctl_out_begin(struct ctl_out *c, const struct ctl_opts *o,
    const struct record_table *const *kinds, size_t nkinds)
{
	enum record_format fmt = o->json ? RECORD_JSON :
	    o->csv ? RECORD_CSV : RECORD_TEXT;

	json_init(&c->j);
	record_out_begin(&c->out, fmt, kinds, nkinds, &c->j, stdout,
	    !o->quiet);
}

int
ctl_out_end(struct ctl_out *c, int ret)
{
	/* A failed query prints no table and no JSON. */
	if (ret == -1)
		c->out.failed = true;
	if (record_out_end(&c->out) == -1 && ret == 0) {
		fprintf(stderr, "svcmapctl: out of memory or write error\n");
		ret = -1;
	}
	if (ret == 0 && c->out.fmt == RECORD_JSON)
		printf("%s\n", c->j.buf);
	json_free(&c->j);
	return ret;
}

void
ctl_page_init(struct ctl_page *p, enum query_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
}

int
ctl_page_opt(struct ctl_page *p, int ch, const char *arg)
{
	unsigned long long u;
	char *end;

	/* A repeated option is a usage error, as everywhere in svcmapctl. */
	if ((ch == 'L' && p->limit != 0) || (ch == 'C' && p->has_cursor)) {
		fprintf(stderr, "svcmapctl: --%s given twice\n",
		    ch == 'L' ? "limit" : "cursor");
		return -1;
	}
	if (ch == 'L') {
		errno = 0;
		u = strtoull(arg, &end, 10);
		if (arg[0] < '0' || arg[0] > '9' || *end != '\0' ||
		    errno != 0 || u == 0 || u >= UINT64_MAX) {
			fprintf(stderr, "svcmapctl: bad --limit \"%s\": a "
			    "number of rows, 1 or more\n", arg);
			return -1;
		}
		p->limit = u;
		return 0;
	}
	if (query_cursor_parse(p->kind, arg, &p->after) == -1) {
		fprintf(stderr, "svcmapctl: bad --cursor \"%s\": give back "
		    "the next-cursor of this command's previous page\n", arg);
		return -1;
	}
	p->has_cursor = true;
	return 0;
}

const struct query_page *
ctl_page_query(struct ctl_page *p, struct record_out *out)
{
	p->out = out;
	if (p->limit == 0 && !p->has_cursor)
		return NULL;
	p->pg.after = p->has_cursor ? &p->after : NULL;
	/* One row more than shown tells whether another page follows. */
	p->pg.limit = p->limit != 0 ? p->limit + 1 : 0;
	return &p->pg;
}

void
ctl_page_end(struct ctl_page *p, int ret)
{
	char c[QUERY_CURSOR_LEN];

	if (ret == 0 && p->more &&
	    query_cursor_format(p->kind, &p->last, c, sizeof(c)) == 0)
		fprintf(stderr, "next-cursor: %s\n", c);
}

static bool
ctl_page_full(struct ctl_page *p)
{
	if (p->limit != 0 && p->n >= p->limit) {
		p->more = true;
		return true;
	}
	p->n++;
	return false;
}

void
ctl_page_service(void *arg, const struct query_service *r)
{
	struct ctl_page *p = arg;

	if (ctl_page_full(p))
		return;
	record_service_row(p->out, r);
	query_key_service(r, &p->last);
}

void
ctl_page_attempt(void *arg, const struct query_attempt *r)
{
	struct ctl_page *p = arg;

	if (ctl_page_full(p))
		return;
	record_attempt_row(p->out, r);
	query_key_attempt(r, &p->last);
}

void
ctl_page_host(void *arg, const struct query_host *r)
{
	struct ctl_page *p = arg;

	if (ctl_page_full(p))
		return;
	record_host_row(p->out, r);
	query_key_host(r, &p->last);
}

void
ctl_page_endpoint(void *arg, const struct query_endpoint *r)
{
	struct ctl_page *p = arg;

	if (ctl_page_full(p))
		return;
	record_endpoint_row(p->out, r);
	query_key_endpoint(r, &p->last);
}

static void
ctl_page_outbound(void *arg, const struct query_outbound *r)
{
	struct ctl_page *p = arg;

	if (ctl_page_full(p))
		return;
	record_outbound_row(p->out, r);
	query_key_outbound(r, &p->last);
}

static void
ctl_page_outbound_server(void *arg, const struct query_outbound *r)
{
	struct ctl_page *p = arg;

	if (ctl_page_full(p))
		return;
	record_outbound_server_row(p->out, r);
	query_key_outbound(r, &p->last);
}

void
ctl_page_alert(void *arg, const struct alert_record *r)
{
	struct ctl_page *p = arg;

	if (ctl_page_full(p))
		return;
	record_alert_row(p->out, r);
	query_key_alert(r, &p->last);
}

static const char *
fmt_time(int64_t t, char buf[32])
{
	if (t == 0)
		return "-";
	return json_time(t, buf);
}

/* Commands without options still reject stray words and options. */
static int
no_options(int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };

	if (getopt_long(argc, argv, "", longopts, NULL) != -1 ||
	    optind < argc) {
		fprintf(stderr, "usage: svcmapctl %s\n", usage);
		return -1;
	}
	return 0;
}

/* Commands whose only options are the page's. */
static int
page_options(int argc, char **argv, const char *usage, struct ctl_page *p)
{
	static const struct option longopts[] = {
		CTL_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if ((ch != 'L' && ch != 'C') ||
		    ctl_page_opt(p, ch, optarg) == -1) {
			if (ch != 'L' && ch != 'C')
				fprintf(stderr, "usage: svcmapctl %s\n", usage);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: svcmapctl %s\n", usage);
		return -1;
	}
	return 0;
}

int
ctl_services(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "services [--host IP] [--service KEY] "
	    "[--since TIME] [--until TIME] [--all] " CTL_PAGE_USAGE
	    " [--json|--csv]";
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		{ "service", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		CTL_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_page page;
	const struct query_page *pg;
	static const struct record_table *const kinds[] = {
		&record_services
	};
	const char *since_text = NULL, *until_text = NULL;
	struct query_time_ref ref;
	struct query_filter f;
	struct catalog *cat;
	struct reader *s;
	struct ctl_out out;
	unsigned seen = 0;
	char err[512] = "";
	int ch, ret;

	memset(&f, 0, sizeof(f));
	ctl_page_init(&page, QUERY_SERVICES);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L':
		case 'C':
			if (ctl_page_opt(&page, ch, optarg) == -1)
				return CTL_USAGE;
			break;
		case 'a':
			if (ctl_once(&seen, 0x01, "all", usage) == -1)
				return CTL_USAGE;
			f.all = true;
			break;
		case 'H':
			if (ctl_once(&seen, 0x02, "host", usage) == -1)
				return CTL_USAGE;
			f.host = optarg;
			break;
		case 's':
			if (ctl_once(&seen, 0x04, "service", usage) == -1)
				return CTL_USAGE;
			f.service = optarg;
			break;
		case 't':
			if (ctl_once(&seen, 0x08, "since", usage) == -1 ||
			    ctl_time_check(optarg) == -1)
				return CTL_USAGE;
			since_text = optarg;
			break;
		case 'u':
			if (ctl_once(&seen, 0x10, "until", usage) == -1 ||
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
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	if (ctl_times(s, since_text, until_text, &f.since, &f.until, &ref) ==
	    -1) {
		reader_close(s);
		return CTL_ERROR;
	}
	ctl_time_note(&ref, since_text, until_text);
	cat = open_catalog(o);
	ctl_out_begin(&out, o, kinds, 1);
	pg = ctl_page_query(&page, &out.out);
	ret = ctl_out_end(&out, pg == NULL ? query_services(s, cat, &f,
	    record_service_row, &out.out, err, sizeof(err)) :
	    query_services_page(s, cat, &f, pg, ctl_page_service, &page, err,
	    sizeof(err)));
	ctl_page_end(&page, ret);
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

/*
 * attempts: the (server, port)s clients tried and nobody served (issue
 * 14 item 2), with the filters and paging of services.
 */
int
ctl_attempts(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "attempts [--host IP|CIDR] "
	    "[--since TIME] [--until TIME] " CTL_PAGE_USAGE
	    " [--json|--csv]";
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "since", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		CTL_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const struct record_table *const kinds[] = {
		&record_attempts
	};
	const char *since_text = NULL, *until_text = NULL;
	const struct query_page *pg;
	struct query_time_ref ref;
	struct ctl_page page;
	struct query_filter f;
	struct catalog *cat;
	struct reader *s;
	struct ctl_out out;
	unsigned seen = 0;
	char err[512] = "";
	int ch, ret;

	memset(&f, 0, sizeof(f));
	ctl_page_init(&page, QUERY_ATTEMPTS);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L':
		case 'C':
			if (ctl_page_opt(&page, ch, optarg) == -1)
				return CTL_USAGE;
			break;
		case 'H':
			if (ctl_once(&seen, 0x01, "host", usage) == -1)
				return CTL_USAGE;
			f.host = optarg;
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
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	if (ctl_times(s, since_text, until_text, &f.since, &f.until, &ref) ==
	    -1) {
		reader_close(s);
		return CTL_ERROR;
	}
	ctl_time_note(&ref, since_text, until_text);
	cat = open_catalog(o);
	ctl_out_begin(&out, o, kinds, 1);
	pg = ctl_page_query(&page, &out.out);
	ret = ctl_out_end(&out, pg == NULL ? query_attempts_page(s, cat, &f,
	    NULL, record_attempt_row, &out.out, err, sizeof(err)) :
	    query_attempts_page(s, cat, &f, pg, ctl_page_attempt, &page, err,
	    sizeof(err)));
	ctl_page_end(&page, ret);
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

int
ctl_hosts(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "hosts [--name PATTERN] [--role KEY] "
	    CTL_PAGE_USAGE " [--json|--csv]";
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		CTL_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const struct record_table *const kinds[] = { &record_hosts };
	struct query_host_filter hf;
	struct catalog *cat;
	struct ctl_page page;
	const struct query_page *pg;
	struct reader *s;
	struct ctl_out out;
	unsigned seen = 0;
	char err[512] = "";
	int ch, ret;

	memset(&hf, 0, sizeof(hf));
	ctl_page_init(&page, QUERY_HOSTS);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L':
		case 'C':
			if (ctl_page_opt(&page, ch, optarg) == -1)
				return CTL_USAGE;
			break;
		case 'n':
			if (ctl_once(&seen, 0x01, "name", usage) == -1)
				return CTL_USAGE;
			hf.name = optarg;
			break;
		case 'r':
			if (ctl_once(&seen, 0x02, "role", usage) == -1)
				return CTL_USAGE;
			hf.role = optarg;
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
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	/* Roles come from the catalog's roles.catalog. */
	hf.cat = cat = open_catalog(o);
	if (hf.role != NULL && cat != NULL &&
	    catalog_role_find(cat, hf.role) == -1) {
		fprintf(stderr, "svcmapctl: hosts: --role: no role \"%s\" in "
		    "the catalog\n", hf.role);
		catalog_destroy(cat);
		reader_close(s);
		return CTL_USAGE;
	}
	ctl_out_begin(&out, o, kinds, 1);
	pg = ctl_page_query(&page, &out.out);
	ret = ctl_out_end(&out, pg == NULL ? query_hosts_where(s, &hf, NULL,
	    record_host_row, &out.out, err, sizeof(err)) :
	    query_hosts_where(s, &hf, pg, ctl_page_host, &page, err,
	    sizeof(err)));
	ctl_page_end(&page, ret);
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

/* The host view's text: each host row, its names and roles as tables. */
struct host_view {
	struct record_out	hosts;
	struct record_out	names;
	struct record_out	roles;
};

static void
host_view_row(void *arg, const struct query_host *r)
{
	struct host_view *v = arg;
	size_t i;

	record_out_row(&v->hosts, &record_hosts, r);
	for (i = 0; i < r->nnames; i++)
		record_out_row(&v->names, &record_names, &r->names[i]);
	for (i = 0; i < r->nroles; i++)
		record_out_row(&v->roles, &record_roles, &r->roles[i]);
}

/* A text section after a blank line, when it has rows. */
static int
host_view_end(struct record_out *o, int ret)
{
	if (ret == 0 && o->nrows > 0)
		putchar('\n');
	if (record_out_end(o) == -1 && ret == 0)
		ret = -1;
	return ret;
}

/* Count the attempt rows of an address. */
static void
count_attempt(void *arg, const struct query_attempt *r)
{
	size_t *n = arg;

	(void)r;
	(*n)++;
}

/*
 * host IP: one address, server or not.  JSON (query_host_json()): its
 * host records and the services it serves; text: the host row, its
 * names with their sources, and its services.
 */
int
ctl_host(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "host IP [--json]";
	static const struct record_table *const hk[] = { &record_hosts };
	static const struct record_table *const nk[] = { &record_names };
	static const struct record_table *const sk[] = { &record_services };
	static const struct record_table *const rk[] = { &record_roles };
	static const struct record_table *const ok[] = {
		&record_operations
	};
	struct query_op_filter of;
	static const struct record_table *const ak[] = { &record_attempts };
	size_t nattempts = 0;
	struct query_filter f;
	struct host_view v;
	struct catalog *cat;
	struct reader *s;
	struct ctl_out out;
	struct json j;
	const char *ip;
	char err[512] = "";
	bool found = false;
	int ret;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: svcmapctl %s\n", usage);
		return CTL_USAGE;
	}
	ip = argv[1];
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	cat = open_catalog(o);
	if (o->json) {
		json_init(&j);
		ret = query_host_json(s, cat, ip, &j, &found, err,
		    sizeof(err));
		if (ret == 0 && json_failed(&j)) {
			snprintf(err, sizeof(err), "out of memory");
			ret = -1;
		}
		if (ret == 0)
			printf("%s\n", j.buf);
		json_free(&j);
	} else {
		record_out_begin(&v.hosts, RECORD_TEXT, hk, 1, NULL, stdout,
		    !o->quiet);
		record_out_begin(&v.names, RECORD_TEXT, nk, 1, NULL, stdout,
		    !o->quiet);
		record_out_begin(&v.roles, RECORD_TEXT, rk, 1, NULL, stdout,
		    !o->quiet);
		ret = query_host_one(s, cat, ip, host_view_row, &v, &found, err,
		    sizeof(err));
		if (ret == -1)
			v.hosts.failed = v.names.failed = v.roles.failed = true;
		if (record_out_end(&v.hosts) == -1 && ret == 0)
			ret = -1;
		ret = host_view_end(&v.names, ret);
		ret = host_view_end(&v.roles, ret);
		memset(&f, 0, sizeof(f));
		f.host = ip;
		f.all = true;
		if (ret == 0 && found) {
			putchar('\n');
			ctl_out_begin(&out, o, sk, 1);
			ret = ctl_out_end(&out, query_services(s, cat, &f,
			    record_service_row, &out.out, err, sizeof(err)));
		}
		if (ret == 0 && found) {
			memset(&of, 0, sizeof(of));
			of.host = ip;
			ctl_out_begin(&out, o, ok, 1);
			ret = query_operations(s, cat, &of,
			    record_operation_row, &out.out, err, sizeof(err));
			if (ret == 0 && out.out.nrows > 0)
				putchar('\n');
			ret = ctl_out_end(&out, ret);
		}
		/* Ports of it clients tried and nobody served, if any. */
		if (ret == 0)
			ret = query_attempts_page(s, cat, &f, NULL,
			    count_attempt, &nattempts, err, sizeof(err));
		if (ret == 0 && nattempts > 0) {
			found = true;
			putchar('\n');
			ctl_out_begin(&out, o, ak, 1);
			ret = ctl_out_end(&out, query_attempts_page(s, cat, &f,
			    NULL, record_attempt_row, &out.out, err,
			    sizeof(err)));
		}
	}
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	else if (ret == 0 && !found)
		fprintf(stderr, "svcmapctl: %s: nothing known of this "
		    "address\n", ip);
	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
	return ret == 0 && found ? CTL_OK : CTL_ERROR;
}

/*
 * name=value lines: the run count, every registered counter (stats.h
 * counter_defs[], by its key), decode reasons, capture counters per
 * interface, and the times.
 */
static void
print_summary(FILE *f, const struct query_summary *m)
{
	char b[32];
	size_t i;

	fprintf(f, "runs=%" PRIu64 "\n", m->runs);
	for (i = 0; i < counter_ndefs; i++)
		fprintf(f, "%s=%" PRIu64 "\n", counter_defs[i].key,
		    counter_get(&m->totals, &counter_defs[i]));
	for (i = 0; i < m->ndecode; i++)
		fprintf(f, "decode.%s=%" PRIu64 "\n", m->decode[i].reason,
		    m->decode[i].count);
	for (i = 0; i < m->ncapture; i++) {
		fprintf(f, "capture.%s.received=%" PRIu64 "\n",
		    m->capture[i].iface, m->capture[i].received);
		fprintf(f, "capture.%s.dropped=%" PRIu64 "\n",
		    m->capture[i].iface, m->capture[i].dropped);
		fprintf(f, "capture.%s.if_dropped=%" PRIu64 "\n",
		    m->capture[i].iface, m->capture[i].if_dropped);
	}
	fprintf(f, "first_packet=%s\n", fmt_time(m->first_packet, b));
	fprintf(f, "last_packet=%s\n", fmt_time(m->last_packet, b));
	fprintf(f, "last_flush=%s\n", fmt_time(m->last_flush, b));
}

/*
 * The summary as CSV: one record, so a header row of the name=value
 * names and one row of their values ("-", never, is an empty cell).
 */
static int
print_summary_csv(const struct query_summary *m, bool header)
{
	char *text = NULL, *line, *eq, *save = NULL;
	size_t len = 0;
	FILE *f;
	int pass, n;

	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	print_summary(f, m);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	for (pass = header ? 0 : 1; pass < 2; pass++) {
		char *copy = strdup(text);

		if (copy == NULL) {
			free(text);
			return -1;
		}
		n = 0;
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if ((eq = strchr(line, '=')) == NULL)
				continue;
			*eq = '\0';
			if (n++ > 0)
				putchar(',');
			if (pass == 0)
				record_csv_text(stdout, line);
			else if (strcmp(eq + 1, "-") != 0)
				record_csv_text(stdout, eq + 1);
		}
		putchar('\n');
		free(copy);
	}
	free(text);
	return ferror(stdout) ? -1 : 0;
}

int
ctl_summary(int argc, char **argv, const struct ctl_opts *o)
{
	struct query_summary m;
	struct reader *s;
	struct json j;
	char err[512];
	int ret = 0;

	if (no_options(argc, argv, "summary [--json|--csv]") == -1)
		return CTL_USAGE;
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	if (query_summary(s, &m, err, sizeof(err)) == -1) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		reader_close(s);
		return CTL_ERROR;
	}
	if (o->json) {
		json_init(&j);
		query_summary_json(&j, &m);
		if (json_failed(&j)) {
			fprintf(stderr, "svcmapctl: out of memory\n");
			ret = -1;
		} else
			printf("%s\n", j.buf);
		json_free(&j);
	} else if (o->csv)
		ret = print_summary_csv(&m, !o->quiet);
	else
		print_summary(stdout, &m);
	query_summary_free(&m);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

int
ctl_endpoints(int argc, char **argv, const struct ctl_opts *o)
{
	static const struct record_table *const kinds[] = {
		&record_endpoints
	};
	struct ctl_page page;
	const struct query_page *pg;
	struct catalog *cat;
	struct reader *s;
	struct ctl_out out;
	char err[512] = "";
	int ret;

	ctl_page_init(&page, QUERY_ENDPOINTS);
	if (page_options(argc, argv, "endpoints " CTL_PAGE_USAGE
	    " [--json|--csv]", &page) == -1)
		return CTL_USAGE;
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	cat = open_catalog(o);
	ctl_out_begin(&out, o, kinds, 1);
	pg = ctl_page_query(&page, &out.out);
	ret = ctl_out_end(&out, pg == NULL ? query_endpoints(s, cat,
	    record_endpoint_row, &out.out, err, sizeof(err)) :
	    query_endpoints_page(s, cat, pg, ctl_page_endpoint, &page, err,
	    sizeof(err)));
	ctl_page_end(&page, ret);
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

/*
 * Outbound use: monitored clients' traffic to servers outside the
 * monitored networks, per (client, transport, port), or with --servers
 * per outside server.  The filters are services' (a host is the client,
 * or the server with --servers).
 */
int
ctl_outbound(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "outbound [--servers] [--host IP] "
	    "[--port N] [--since TIME] [--until TIME] " CTL_PAGE_USAGE
	    " [--json|--csv]";
	static const struct option longopts[] = {
		{ "servers", no_argument, NULL, 'S' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		CTL_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const struct record_table *const kinds[2][1] = {
		{ &record_outbound }, { &record_outbound_servers }
	};
	const char *since_text = NULL, *until_text = NULL;
	struct query_outbound_filter f;
	const struct query_page *pg;
	struct query_time_ref ref;
	struct query_page all;
	struct ctl_page page;
	struct reader *s;
	struct ctl_out out;
	unsigned seen = 0;
	char err[512] = "", *end;
	unsigned long port;
	int ch, ret;

	memset(&f, 0, sizeof(f));
	ctl_page_init(&page, QUERY_OUTBOUND);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L':
		case 'C':
			if (ctl_page_opt(&page, ch, optarg) == -1)
				return CTL_USAGE;
			break;
		case 'S':
			if (ctl_once(&seen, 0x01, "servers", usage) == -1)
				return CTL_USAGE;
			f.servers = true;
			break;
		case 'H':
			if (ctl_once(&seen, 0x02, "host", usage) == -1)
				return CTL_USAGE;
			f.host = optarg;
			break;
		case 'p':
			if (ctl_once(&seen, 0x04, "port", usage) == -1)
				return CTL_USAGE;
			errno = 0;
			port = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || errno != 0 || port < 1 ||
			    port > 65535) {
				fprintf(stderr, "svcmapctl: --port: \"%s\" is "
				    "not a port number (1..65535)\n", optarg);
				return CTL_USAGE;
			}
			f.port = (int)port;
			break;
		case 't':
			if (ctl_once(&seen, 0x08, "since", usage) == -1 ||
			    ctl_time_check(optarg) == -1)
				return CTL_USAGE;
			since_text = optarg;
			break;
		case 'u':
			if (ctl_once(&seen, 0x10, "until", usage) == -1 ||
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
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	if (ctl_times(s, since_text, until_text, &f.since, &f.until, &ref) ==
	    -1) {
		reader_close(s);
		return CTL_ERROR;
	}
	ctl_time_note(&ref, since_text, until_text);
	ctl_out_begin(&out, o, kinds[f.servers ? 1 : 0], 1);
	pg = ctl_page_query(&page, &out.out);
	memset(&all, 0, sizeof(all));
	ret = ctl_out_end(&out, pg == NULL ? query_outbound_page(s, &f, &all,
	    f.servers ? record_outbound_server_row : record_outbound_row,
	    &out.out, err, sizeof(err)) :
	    query_outbound_page(s, &f, pg, f.servers ?
	    ctl_page_outbound_server : ctl_page_outbound, &page, err,
	    sizeof(err)));
	ctl_page_end(&page, ret);
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

int
ctl_operations(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "operations [--host IP] [--service KEY] "
	    "[--json|--csv]";
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "service", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct record_table *const kinds[] = {
		&record_operations
	};
	struct query_op_filter f;
	struct catalog *cat;
	struct reader *s;
	struct ctl_out out;
	char err[512] = "";
	int ch, ret;

	memset(&f, 0, sizeof(f));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			f.host = optarg;
			break;
		case 's':
			f.service = optarg;
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
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	cat = open_catalog(o);
	ctl_out_begin(&out, o, kinds, 1);
	ret = ctl_out_end(&out, query_operations(s, cat, &f,
	    record_operation_row, &out.out, err, sizeof(err)));
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

/*
 * Open the database for writing, which migrates it (store.h), and close
 * it: readers refuse an older schema, and an operator may migrate before
 * starting the daemon.  Rows of an older schema become the sensor of its
 * latest run (docs/schema.md).
 */
int
ctl_migrate(int argc, char **argv, const struct ctl_opts *o)
{
	struct store *s;
	char err[512];

	if (argc > 1) {
		fprintf(stderr, "usage: svcmapctl migrate\n");
		return CTL_USAGE;
	}
	(void)argv;
	if (o->db_path == NULL || o->db_path[0] == '\0') {
		fprintf(stderr, "svcmapctl: no database: use -d or set db_path "
		    "in the configuration\n");
		return CTL_ERROR;
	}
	if ((s = store_open(o->db_path, o->sensor, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		return CTL_ERROR;
	}
	store_close(s);
	if (!o->quiet)
		printf("%s: schema version %d\n", o->db_path,
		    STORE_SCHEMA_VERSION);
	return CTL_OK;
}
