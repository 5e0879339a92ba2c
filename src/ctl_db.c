/*
 * ctl_db.c - svcmapctl's database commands: services, hosts, summary,
 * endpoints.
 *
 * Every command opens the database read-only (safe while svcmapd writes),
 * runs one query from query.c and prints either an aligned table for
 * people or, with --json, what the HTTP API sends.  The summary is
 * name=value lines (unbound-control "stats" style) so that scripts read it
 * without a JSON parser.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/catalog.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/store.h"
#include "ctl.h"

/*
 * Rows of text cells, printed once every width is known.  align has one
 * letter per column: 'l' left, 'r' right (numbers); the last column is
 * never padded, so a long name there does not widen the others.
 */
struct table {
	const char *const *head;
	const char	*align;
	size_t		 ncols;
	char		**cells;
	size_t		 ncells;
	size_t		 cap;
	bool		 failed;
};

static void
table_init(struct table *t, const char *const *head, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->head = head;
	t->align = align;
	t->ncols = strlen(align);
}

static void table_add(struct table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
table_add(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char **n, *s;

	if (t->failed)
		return;
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		if ((n = reallocarray(t->cells, cap, sizeof(*n))) == NULL) {
			t->failed = true;
			return;
		}
		t->cells = n;
		t->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		t->failed = true;
	else
		t->cells[t->ncells++] = s;
	va_end(ap);
}

static void
print_row(const struct table *t, const char *const *cells,
    const size_t *width)
{
	size_t c;

	for (c = 0; c < t->ncols; c++) {
		const char *sep = c + 1 < t->ncols ? "  " : "\n";

		if (c + 1 == t->ncols)
			printf("%s%s", cells[c], sep);
		else if (t->align[c] == 'r')
			printf("%*s%s", (int)width[c], cells[c], sep);
		else
			printf("%-*s%s", (int)width[c], cells[c], sep);
	}
}

static int
table_print(struct table *t, bool header)
{
	size_t width[16] = { 0 };
	size_t r, c, len;

	if (t->failed || t->ncols > 16) {
		fprintf(stderr, "svcmapctl: out of memory\n");
		return -1;
	}
	for (c = 0; c < t->ncols; c++)
		width[c] = header ? strlen(t->head[c]) : 0;
	for (r = 0; r < t->ncells; r++) {
		len = strlen(t->cells[r]);
		if (len > width[r % t->ncols])
			width[r % t->ncols] = len;
	}
	if (header)
		print_row(t, t->head, width);
	for (r = 0; r + t->ncols <= t->ncells; r += t->ncols)
		print_row(t, (const char *const *)&t->cells[r], width);
	return 0;
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
}

static struct store *
open_db(const struct ctl_opts *o)
{
	struct store *s;
	char err[512];

	if (o->db_path == NULL || o->db_path[0] == '\0') {
		fprintf(stderr, "svcmapctl: no database: use -d or set db_path "
		    "in the configuration\n");
		return NULL;
	}
	if ((s = store_open(o->db_path, true, err, sizeof(err))) == NULL)
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

/* Print a finished JSON document, or fail if it could not be built. */
static int
print_json(struct json *j)
{
	if (json_failed(j)) {
		fprintf(stderr, "svcmapctl: out of memory\n");
		return -1;
	}
	printf("%s\n", j->buf);
	return 0;
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

static void
service_row(void *arg, const struct query_service *r)
{
	struct table *t = arg;
	char b1[32], b2[32];

	table_add(t, "%s", r->server_ip);
	table_add(t, "%u/%s", r->port, r->transport);
	table_add(t, "%u", r->vlan);
	table_add(t, "%s", r->service);
	table_add(t, "%s", r->method);
	table_add(t, "%s", r->protocol != NULL ? r->protocol : "-");
	table_add(t, "%s", r->interface != NULL ? r->interface : "-");
	table_add(t, "%" PRIu64, r->flows);
	table_add(t, "%" PRIu64, r->packets_c2s + r->packets_s2c);
	table_add(t, "%" PRIu64, r->bytes_c2s + r->bytes_s2c);
	table_add(t, "%" PRIu64, r->clients);
	table_add(t, "%s", fmt_time(r->first_seen, b1));
	table_add(t, "%s", fmt_time(r->last_seen, b2));
	table_add(t, "%s", r->name);
}

int
ctl_services(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "services [--host IP] [--service KEY] "
	    "[--since TIME] [--all] [--json]";
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		{ "service", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "SERVER", "PORT", "VLAN",
	    "SERVICE", "METHOD", "PROTOCOL", "INTERFACE", "FLOWS", "PACKETS",
	    "BYTES", "CLIENTS", "FIRST SEEN", "LAST SEEN", "NAME" };
	struct query_filter f;
	struct catalog *cat;
	struct store *s;
	struct table t;
	struct json j;
	char err[512] = "";
	int ch, ret;

	memset(&f, 0, sizeof(f));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			f.all = true;
			break;
		case 'H':
			f.host = optarg;
			break;
		case 's':
			f.service = optarg;
			break;
		case 't':
			if (query_parse_time(optarg, (int64_t)time(NULL),
			    &f.since) == -1) {
				fprintf(stderr, "svcmapctl: bad time \"%s\": "
				    "use 2024-01-15T09:00:00Z, 2024-01-15, "
				    "epoch seconds or -30m/-1h/-7d\n", optarg);
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
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	cat = open_catalog(o);
	if (o->json) {
		json_init(&j);
		ret = query_services_json(s, cat, &f, &j, err, sizeof(err));
		if (ret == 0)
			ret = print_json(&j);
		json_free(&j);
	} else {
		table_init(&t, head, "llrllllrrrrlll");
		ret = query_services(s, cat, &f, service_row, &t, err,
		    sizeof(err));
		if (ret == 0)
			ret = table_print(&t, !o->quiet);
		table_free(&t);
	}
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	store_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

static void
host_row(void *arg, const struct query_host *r)
{
	struct table *t = arg;
	char b1[32], b2[32], *list = NULL;
	size_t i, len = 0;
	FILE *m;

	table_add(t, "%s", r->ip);
	table_add(t, "%s", fmt_time(r->first_seen, b1));
	table_add(t, "%s", fmt_time(r->last_seen, b2));
	table_add(t, "%" PRIu64, r->flows);
	table_add(t, "%" PRIu64, r->packets);
	table_add(t, "%" PRIu64, r->bytes);
	if ((m = open_memstream(&list, &len)) == NULL) {
		t->failed = true;
		return;
	}
	for (i = 0; i < r->nservices; i++)
		fprintf(m, "%s%s", i ? "," : "", r->services[i]);
	if (fclose(m) != 0)
		t->failed = true;
	else
		table_add(t, "%s", r->nservices > 0 ? list : "-");
	free(list);
}

int
ctl_hosts(int argc, char **argv, const struct ctl_opts *o)
{
	static const char *const head[] = { "SERVER", "FIRST SEEN",
	    "LAST SEEN", "FLOWS", "PACKETS", "BYTES", "SERVICES" };
	struct store *s;
	struct table t;
	struct json j;
	char err[512] = "";
	int ret;

	if (no_options(argc, argv, "hosts [--json]") == -1)
		return CTL_USAGE;
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	if (o->json) {
		json_init(&j);
		ret = query_hosts_json(s, &j, err, sizeof(err));
		if (ret == 0)
			ret = print_json(&j);
		json_free(&j);
	} else {
		table_init(&t, head, "lllrrrl");
		ret = query_hosts(s, host_row, &t, err, sizeof(err));
		if (ret == 0)
			ret = table_print(&t, !o->quiet);
		table_free(&t);
	}
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	store_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

static void
print_summary(const struct query_summary *m)
{
	static const char *const flow_words[3] = {
		"classified", "undocumented", "unmonitored"
	};
	char b[32];
	size_t i;

	printf("runs=%" PRIu64 "\n", m->runs);
	printf("packets=%" PRIu64 "\n", m->packets);
	for (i = 0; i < PKT__COUNT; i++)
		printf("packets.%s=%" PRIu64 "\n", packet_class_name(i),
		    m->pkt_class[i]);
	printf("bytes=%" PRIu64 "\n", m->bytes);
	for (i = 0; i < PKT__COUNT; i++)
		printf("bytes.%s=%" PRIu64 "\n", packet_class_name(i),
		    m->byte_class[i]);
	printf("flows=%" PRIu64 "\n", m->flows);
	for (i = 0; i < 3; i++)
		printf("flows.%s=%" PRIu64 "\n", flow_words[i],
		    m->flow_class[i]);
	printf("flows.evicted=%" PRIu64 "\n", m->flows_evicted);
	printf("fragments=%" PRIu64 "\n", m->fragments);
	printf("dpi_mismatches=%" PRIu64 "\n", m->dpi_mismatches);
	for (i = 0; i < m->ndecode; i++)
		printf("decode.%s=%" PRIu64 "\n", m->decode[i].reason,
		    m->decode[i].count);
	for (i = 0; i < m->ncapture; i++) {
		printf("capture.%s.received=%" PRIu64 "\n",
		    m->capture[i].iface, m->capture[i].received);
		printf("capture.%s.dropped=%" PRIu64 "\n",
		    m->capture[i].iface, m->capture[i].dropped);
		printf("capture.%s.if_dropped=%" PRIu64 "\n",
		    m->capture[i].iface, m->capture[i].if_dropped);
	}
	printf("rpc.pdus=%" PRIu64 "\n", m->rpc_pdus);
	printf("rpc.truncated=%" PRIu64 "\n", m->rpc_truncated);
	printf("rpc.invalid=%" PRIu64 "\n", m->rpc_invalid);
	printf("rpc.gaps=%" PRIu64 "\n", m->rpc_gaps);
	printf("rpc.epm_replies=%" PRIu64 "\n", m->epm_replies);
	printf("rpc.endpoints_learned=%" PRIu64 "\n", m->endpoints_learned);
	printf("first_packet=%s\n", fmt_time(m->first_packet, b));
	printf("last_packet=%s\n", fmt_time(m->last_packet, b));
	printf("last_flush=%s\n", fmt_time(m->last_flush, b));
}

int
ctl_summary(int argc, char **argv, const struct ctl_opts *o)
{
	struct query_summary m;
	struct store *s;
	struct json j;
	char err[512];
	int ret = 0;

	if (no_options(argc, argv, "summary [--json]") == -1)
		return CTL_USAGE;
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	if (query_summary(s, &m, err, sizeof(err)) == -1) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		store_close(s);
		return CTL_ERROR;
	}
	if (o->json) {
		json_init(&j);
		query_summary_json(&j, &m);
		ret = print_json(&j);
		json_free(&j);
	} else
		print_summary(&m);
	query_summary_free(&m);
	store_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

static void
endpoint_row(void *arg, const struct query_endpoint *r)
{
	struct table *t = arg;
	char b1[32], b2[32];

	table_add(t, "%s", r->server_ip);
	table_add(t, "%u/%s", r->port, r->transport);
	table_add(t, "%s", r->interface != NULL ? r->interface : "-");
	table_add(t, "%s", r->service != NULL ? r->service : "-");
	table_add(t, "%s", r->version);
	table_add(t, "%s", r->source);
	table_add(t, "%" PRIu64, r->announcements);
	table_add(t, "%" PRIu64, r->flows);
	table_add(t, "%s", fmt_time(r->learned_at, b1));
	table_add(t, "%s", fmt_time(r->last_used, b2));
	if (r->moved_from != 0)
		table_add(t, "%u", r->moved_from);
	else
		table_add(t, "-");
	table_add(t, "%s", r->uuid);
}

int
ctl_endpoints(int argc, char **argv, const struct ctl_opts *o)
{
	static const char *const head[] = { "SERVER", "PORT", "INTERFACE",
	    "SERVICE", "VERSION", "SOURCE", "ANNOUNCED", "FLOWS", "LEARNED",
	    "LAST USED", "MOVED FROM", "UUID" };
	struct catalog *cat;
	struct store *s;
	struct table t;
	struct json j;
	char err[512] = "";
	int ret;

	if (no_options(argc, argv, "endpoints [--json]") == -1)
		return CTL_USAGE;
	if ((s = open_db(o)) == NULL)
		return CTL_ERROR;
	cat = open_catalog(o);
	if (o->json) {
		json_init(&j);
		ret = query_endpoints_json(s, cat, &j, err, sizeof(err));
		if (ret == 0)
			ret = print_json(&j);
		json_free(&j);
	} else {
		table_init(&t, head, "llllllrrllrl");
		ret = query_endpoints(s, cat, endpoint_row, &t, err,
		    sizeof(err));
		if (ret == 0)
			ret = table_print(&t, !o->quiet);
		table_free(&t);
	}
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	store_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}
