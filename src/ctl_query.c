/*
 * ctl_query.c - svcmapctl top, series and status, and the time window
 * options every database command shares.
 *
 * top and series read the stored per-bucket rows through query.h; their
 * --json document is the object the API sends for /v1/top and
 * /v1/series (query_doc_begin()), the window and its time reference
 * first, then the records under "rows"; --csv is the records only; the
 * text table is preceded by one line naming the window and what relative
 * times counted back from.  status asks the running daemon's API
 * (/v1/status) and answers with its exit code.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/config.h"
#include "svcmap/json.h"
#include "svcmap/query.h"
#include "svcmap/record.h"
#include "ctl.h"

/* ------------------------------------------------------------------ */
/* Shared by the database commands */

int
ctl_once(unsigned *seen, unsigned bit, const char *name, const char *usage)
{
	if ((*seen & bit) != 0) {
		fprintf(stderr, "svcmapctl: option --%s given more than once\n"
		    "usage: svcmapctl %s\n", name, usage);
		return -1;
	}
	*seen |= bit;
	return 0;
}

int
ctl_time_check(const char *text)
{
	int64_t t;

	if (query_parse_time(text, 0, &t) == -1) {
		fprintf(stderr, "svcmapctl: bad time \"%s\": use "
		    "2024-01-15T09:00:00Z, 2024-01-15, epoch seconds or "
		    "-30m/-1h/-7d\n", text);
		return -1;
	}
	return 0;
}

int
ctl_times(struct reader *rd, const char *since_text, const char *until_text,
    int64_t *since, int64_t *until, struct query_time_ref *ref)
{
	char err[512];

	if (query_time_reference(rd, (int64_t)time(NULL), ref, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		return -1;
	}
	*since = *until = 0;
	/* Checked at option time: these cannot fail. */
	if (since_text != NULL)
		query_parse_time(since_text, ref->at, since);
	if (until_text != NULL)
		query_parse_time(until_text, ref->at, until);
	return 0;
}

void
ctl_time_note(const struct query_time_ref *ref, const char *since_text,
    const char *until_text)
{
	char b[32];

	if ((since_text == NULL || !query_time_is_relative(since_text)) &&
	    (until_text == NULL || !query_time_is_relative(until_text)))
		return;
	fprintf(stderr, "svcmapctl: relative times count back from %s %s\n",
	    strcmp(ref->reference, "newest_packet") == 0 ?
	    "the newest packet in the database (capture-file runs)," :
	    "the wall clock,", json_time(ref->at, b));
}

static struct reader *
open_reader(const struct ctl_opts *o)
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

/* The people's line above the table: the window and its reference. */
static void
window_line(const struct query_window *w, const struct query_time_ref *ref)
{
	char a[32], b[32], c[32];

	printf("# %s .. %s (times relative to %s %s)\n",
	    w->since != 0 ? json_time(w->since, a) : "start",
	    w->until != 0 ? json_time(w->until, b) : "end",
	    strcmp(ref->reference, "newest_packet") == 0 ?
	    "the newest packet," : "the wall clock,", json_time(ref->at, c));
}

/*
 * A query's document: JSON object head (window, reference, and the
 * caller's keys after it), the records, the end.  Text and CSV print
 * the records only (text after window_line()).
 */
struct doc {
	struct ctl_out	 out;
	const struct ctl_opts *o;
};

static void
doc_begin(struct doc *d, const struct ctl_opts *o,
    const struct record_table *kind, const struct query_window *w,
    const struct query_time_ref *ref)
{
	(void)kind;
	d->o = o;
	json_init(&d->out.j);
	if (o->json) {
		json_object_begin(&d->out.j);
		query_window_json(&d->out.j, w, ref);
	} else if (!o->csv && !o->quiet)
		window_line(w, ref);
}

static void
doc_rows(struct doc *d, const struct record_table *kind)
{
	const struct record_table *const kinds[] = { kind };
	enum record_format fmt = d->o->json ? RECORD_JSON :
	    d->o->csv ? RECORD_CSV : RECORD_TEXT;

	if (d->o->json)
		json_key(&d->out.j, "rows");
	record_out_begin(&d->out.out, fmt, kinds, 1, &d->out.j, stdout,
	    !d->o->quiet);
}

static int
doc_end(struct doc *d, int ret)
{
	if (ret == -1)
		d->out.out.failed = true;
	if (record_out_end(&d->out.out) == -1 && ret == 0) {
		fprintf(stderr, "svcmapctl: out of memory or write error\n");
		ret = -1;
	}
	if (ret == 0 && d->o->json) {
		json_object_end(&d->out.j);
		if (json_failed(&d->out.j)) {
			fprintf(stderr, "svcmapctl: out of memory\n");
			ret = -1;
		} else
			printf("%s\n", d->out.j.buf);
	}
	json_free(&d->out.j);
	return ret;
}

/* ------------------------------------------------------------------ */
/* top */

enum {
	O_BY = 0x01, O_OF = 0x02, O_LIMIT = 0x04, O_HOST = 0x08,
	O_SERVICE = 0x10, O_SINCE = 0x20, O_UNTIL = 0x40, O_ALL = 0x80,
	O_PORT = 0x100, O_RES = 0x200
};

static int
parse_limit(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
parse_port(const char *text, int *out)
{
	uint64_t v;

	if (parse_limit(text, &v) == -1 || v < 1 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * The options top and series share; `ch` is getopt's.  Returns 0, or
 * -1 after printing why (a usage error).
 */
static int
window_option(int ch, const char *arg, unsigned *seen, const char *usage,
    struct query_window *w, const char **since_text,
    const char **until_text)
{
	switch (ch) {
	case 'H':
		if (ctl_once(seen, O_HOST, "host", usage) == -1)
			return -1;
		if (query_host_parse(arg, &w->host) == -1) {
			fprintf(stderr, "svcmapctl: bad host \"%s\": an "
			    "address or a prefix (10.0.0.0/8, "
			    "2001:db8::/32)\n", arg);
			return -1;
		}
		w->has_host = true;
		return 0;
	case 's':
		if (ctl_once(seen, O_SERVICE, "service", usage) == -1)
			return -1;
		w->service = arg;
		return 0;
	case 'p':
		if (ctl_once(seen, O_PORT, "port", usage) == -1)
			return -1;
		if (parse_port(arg, &w->port) == -1) {
			fprintf(stderr, "svcmapctl: bad port \"%s\"\n", arg);
			return -1;
		}
		return 0;
	case 't':
		if (ctl_once(seen, O_SINCE, "since", usage) == -1 ||
		    ctl_time_check(arg) == -1)
			return -1;
		*since_text = arg;
		return 0;
	case 'u':
		if (ctl_once(seen, O_UNTIL, "until", usage) == -1 ||
		    ctl_time_check(arg) == -1)
			return -1;
		*until_text = arg;
		return 0;
	case 'a':
		if (ctl_once(seen, O_ALL, "all", usage) == -1)
			return -1;
		w->all = true;
		return 0;
	}
	fprintf(stderr, "usage: svcmapctl %s\n", usage);
	return -1;
}

int
ctl_top(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "top [--of rows|hosts|services] "
	    "[--by bytes|packets|flows|clients] [--limit N] [--host IP|CIDR] "
	    "[--service KEY] [--port N] [--since TIME] [--until TIME] [--all] "
	    "[--json|--csv]";
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "by", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'H' },
		{ "limit", required_argument, NULL, 'n' },
		{ "of", required_argument, NULL, 'o' },
		{ "port", required_argument, NULL, 'p' },
		{ "service", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	const char *since_text = NULL, *until_text = NULL;
	struct query_window w;
	struct query_time_ref ref;
	struct catalog *cat;
	struct reader *s;
	struct doc d;
	uint64_t limit = 10;
	unsigned seen = 0;
	char err[512] = "";
	int ch, ret, of = QUERY_TOP_ROWS, by = QUERY_BY_BYTES;

	memset(&w, 0, sizeof(w));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (ctl_once(&seen, O_BY, "by", usage) == -1)
				return CTL_USAGE;
			if ((by = query_top_by_parse(optarg)) == -1) {
				fprintf(stderr, "svcmapctl: --by: bytes, "
				    "packets, flows or clients\n");
				return CTL_USAGE;
			}
			break;
		case 'o':
			if (ctl_once(&seen, O_OF, "of", usage) == -1)
				return CTL_USAGE;
			if ((of = query_top_of_parse(optarg)) == -1) {
				fprintf(stderr, "svcmapctl: --of: rows, hosts "
				    "or services\n");
				return CTL_USAGE;
			}
			break;
		case 'n':
			if (ctl_once(&seen, O_LIMIT, "limit", usage) == -1)
				return CTL_USAGE;
			if (parse_limit(optarg, &limit) == -1) {
				fprintf(stderr, "svcmapctl: --limit: a number "
				    "of entries, 0 for all\n");
				return CTL_USAGE;
			}
			break;
		default:
			if (window_option(ch, optarg, &seen, usage, &w,
			    &since_text, &until_text) == -1)
				return CTL_USAGE;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: svcmapctl %s\n", usage);
		return CTL_USAGE;
	}
	if ((s = open_reader(o)) == NULL)
		return CTL_ERROR;
	if (ctl_times(s, since_text, until_text, &w.since, &w.until, &ref) ==
	    -1) {
		reader_close(s);
		return CTL_ERROR;
	}
	cat = open_catalog(o);
	doc_begin(&d, o, &record_top, &w, &ref);
	if (o->json) {
		json_kv_string(&d.out.j, "of",
		    query_top_of_name((enum query_top_of)of));
		json_kv_string(&d.out.j, "by",
		    query_top_by_name((enum query_top_by)by));
		json_kv_uint(&d.out.j, "limit", limit);
	}
	doc_rows(&d, &record_top);
	ret = doc_end(&d, query_top(s, cat, &w, (enum query_top_of)of,
	    (enum query_top_by)by, limit, record_top_row, &d.out.out, err,
	    sizeof(err)));
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	if (cat != NULL)
		catalog_destroy(cat);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

/* ------------------------------------------------------------------ */
/* series */

int
ctl_series(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "series --service KEY [--host IP|CIDR] "
	    "[--port N] [--resolution minute|hour|day] [--since TIME] "
	    "[--until TIME] [--json|--csv]";
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "resolution", required_argument, NULL, 'r' },
		{ "service", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	const char *since_text = NULL, *until_text = NULL;
	struct query_window w;
	struct query_time_ref ref;
	struct reader *s;
	struct doc d;
	int64_t res = 60;
	unsigned seen = 0;
	char err[512] = "";
	int ch, ret;

	memset(&w, 0, sizeof(w));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'r') {
			if (ctl_once(&seen, O_RES, "resolution", usage) == -1)
				return CTL_USAGE;
			if ((res = query_resolution_parse(optarg)) == 0) {
				fprintf(stderr, "svcmapctl: --resolution: "
				    "minute, hour or day\n");
				return CTL_USAGE;
			}
		} else if (window_option(ch, optarg, &seen, usage, &w,
		    &since_text, &until_text) == -1)
			return CTL_USAGE;
	}
	if (optind < argc || w.service == NULL) {
		if (w.service == NULL)
			fprintf(stderr, "svcmapctl: series needs --service "
			    "(a key, or undocumented)\n");
		fprintf(stderr, "usage: svcmapctl %s\n", usage);
		return CTL_USAGE;
	}
	if ((s = open_reader(o)) == NULL)
		return CTL_ERROR;
	if (ctl_times(s, since_text, until_text, &w.since, &w.until, &ref) ==
	    -1) {
		reader_close(s);
		return CTL_ERROR;
	}
	doc_begin(&d, o, &record_series, &w, &ref);
	if (o->json) {
		json_kv_string(&d.out.j, "service", w.service);
		json_kv_string(&d.out.j, "resolution",
		    query_resolution_name(res));
	}
	doc_rows(&d, &record_series);
	ret = doc_end(&d, query_series(s, &w, res, record_bucket_row,
	    &d.out.out, err, sizeof(err)));
	if (ret == -1 && err[0] != '\0')
		fprintf(stderr, "svcmapctl: %s\n", err);
	reader_close(s);
	return ret == 0 ? CTL_OK : CTL_ERROR;
}

/* ------------------------------------------------------------------ */
/* status */

/* How long the daemon may take to answer /v1/status. */
#define STATUS_TIMEOUT_S	5

/* The text of top-level string or literal `key` in a flat JSON text. */
static int
json_scan(const char *body, const char *key, char *out, size_t outlen)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(body, pat)) == NULL)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p == '"')
		p++;
	while (*p != '\0' && *p != '"' && *p != ',' && *p != '}' &&
	    n + 1 < outlen)
		out[n++] = *p++;
	out[n] = '\0';
	return 0;
}

/*
 * GET /v1/status from the API at `listen`: 0 with the body in *body
 * (malloc'ed), 3 when nothing listens there (refused), 1 otherwise.
 */
static int
fetch_status(const char *listen, char **body)
{
	struct sockaddr_storage ss;
	struct timeval tv = { STATUS_TIMEOUT_S, 0 };
	static const char req[] = "GET /v1/status HTTP/1.0\r\n"
	    "Host: svcmapd\r\nConnection: close\r\n\r\n";
	char buf[4096], *text = NULL, *p;
	size_t len = 0;
	ssize_t n;
	FILE *m;
	int fd, sslen, code;

	if (strcmp(listen, "off") == 0 || listen[0] == '\0') {
		fprintf(stderr, "svcmapctl: the API is off (api-listen off): "
		    "cannot ask the daemon\n");
		return CTL_ERROR;
	}
	if (addr_parse_listen(listen, false, &ss, &sslen) == -1) {
		fprintf(stderr, "svcmapctl: bad api-listen \"%s\"\n", listen);
		return CTL_ERROR;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1) {
		fprintf(stderr, "svcmapctl: socket: %s\n", strerror(errno));
		return CTL_ERROR;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, (socklen_t)sslen) == -1) {
		code = errno == ECONNREFUSED ? CTL_NOT_RUNNING : CTL_ERROR;
		fprintf(stderr, "svcmapctl: svcmapd %s at %s (%s)\n",
		    code == CTL_NOT_RUNNING ? "is not running" :
		    "does not answer", listen, strerror(errno));
		close(fd);
		return code;
	}
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1) ||
	    (m = open_memstream(&text, &len)) == NULL) {
		fprintf(stderr, "svcmapctl: %s: %s\n", listen,
		    strerror(errno));
		close(fd);
		return CTL_ERROR;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, m);
	close(fd);
	if (fclose(m) != 0 || n < 0) {
		fprintf(stderr, "svcmapctl: %s: no answer\n", listen);
		free(text);
		return CTL_ERROR;
	}
	if (sscanf(text, "HTTP/1.%*d %d", &code) != 1 || code != 200 ||
	    (p = strstr(text, "\r\n\r\n")) == NULL) {
		fprintf(stderr, "svcmapctl: %s: /v1/status did not answer "
		    "200\n", listen);
		free(text);
		return CTL_ERROR;
	}
	memmove(text, p + 4, strlen(p + 4) + 1);
	*body = text;
	return CTL_OK;
}

/* Print the names of the interfaces /v1/status says are down. */
static void
print_lost(const char *body)
{
	const char *p = body, *end;
	char name[64];

	while ((p = strstr(p, "{\"name\":\"")) != NULL) {
		p += 9;
		if ((end = strchr(p, '}')) == NULL)
			break;
		if (memmem(p, (size_t)(end - p), "\"up\":false", 10) != NULL &&
		    json_scan(p - 9, "name", name, sizeof(name)) == 0)
			printf("interface %s: capture lost\n", name);
		p = end;
	}
}

int
ctl_status(int argc, char **argv, const struct ctl_opts *o)
{
	static const char usage[] = "status [--json]";
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };
	char *body = NULL, status[32] = "", dbok[16] = "", v[64] = "";
	char sensor[128] = "";
	int code;
	bool degraded;

	if (getopt_long(argc, argv, "", longopts, NULL) != -1 ||
	    optind < argc) {
		fprintf(stderr, "usage: svcmapctl %s\n", usage);
		return CTL_USAGE;
	}
	if ((code = fetch_status(o->api_listen, &body)) != CTL_OK)
		return code;
	json_scan(body, "status", status, sizeof(status));
	json_scan(body, "db_ok", dbok, sizeof(dbok));
	json_scan(body, "version", v, sizeof(v));
	json_scan(body, "sensor", sensor, sizeof(sensor));
	degraded = strcmp(status, "ok") != 0 || strcmp(dbok, "false") == 0;
	if (o->json)
		fputs(body, stdout);
	else {
		printf("svcmapd %s, sensor %s: %s\n", v, sensor,
		    degraded ? "degraded" : "capturing");
		print_lost(body);
		if (strcmp(dbok, "false") == 0)
			printf("database: the last write failed\n");
	}
	free(body);
	return degraded ? CTL_ERROR : CTL_OK;
}
