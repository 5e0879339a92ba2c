/*
 * store.c - the back ends behind one door: store URLs, and the store and
 * reader calls that go to the back end a URL names.
 *
 * This file knows no database library.  A back end is a struct
 * store_ops (store.h) and a struct reader_ops (query.h) plus one line in
 * each switch below; SQLite is the first (src/sqlite_*.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "svcmap/query.h"
#include "svcmap/store.h"
#include "store_backend.h"

static const char *const scheme_names[STORE__SCHEMES] = {
	[STORE_SQLITE] = "sqlite",
};

/*
 * The scheme of a URL: RFC 3986's ALPHA *( ALPHA / DIGIT / "+" / "-" /
 * "." ) ":", in lower case only, so that a path such as "./x:y",
 * "/srv/a:b" or "C:x" is never mistaken for one.  Returns its length
 * (without the ':'), or 0 when text has none.
 */
static size_t
scheme_len(const char *text)
{
	size_t n;

	if (!(text[0] >= 'a' && text[0] <= 'z'))
		return 0;
	for (n = 1; text[n] != '\0' && text[n] != ':'; n++)
		if (!((text[n] >= 'a' && text[n] <= 'z') ||
		    isdigit((unsigned char)text[n]) || text[n] == '+' ||
		    text[n] == '-' || text[n] == '.'))
			return 0;
	return text[n] == ':' ? n : 0;
}

int
store_url_parse(const char *url, struct store_url *u, char *err,
    size_t errlen)
{
	size_t n = scheme_len(url);
	const char *path = url;
	int i;

	memset(u, 0, sizeof(*u));
	if (n > 0) {
		for (i = 0; i < STORE__SCHEMES; i++)
			if (strlen(scheme_names[i]) == n &&
			    strncmp(url, scheme_names[i], n) == 0)
				break;
		if (i == STORE__SCHEMES) {
			snprintf(err, errlen, "\"%.*s:\": unknown database "
			    "scheme (a path, or sqlite:PATH)", (int)n, url);
			return -1;
		}
		u->scheme = (enum store_scheme)i;
		path = url + n + 1;
	}
	if (path[0] == '\0') {
		snprintf(err, errlen, "\"%s\": no database path", url);
		return -1;
	}
	if (strlen(path) >= sizeof(u->path)) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	memcpy(u->path, path, strlen(path) + 1);
	return 0;
}

struct store *
store_open(const char *url, const char *sensor, char *err, size_t errlen)
{
	struct store_url u;

	if (store_url_parse(url, &u, err, errlen) == -1)
		return NULL;
	switch (u.scheme) {
	case STORE_SQLITE:
	default:
		return sqlite_store_open(u.path, sensor, err, errlen);
	}
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

int64_t
store_run_begin(struct store *s, const char *mode, const char *inputs,
    int64_t started_s)
{
	return s->ops->run_begin(s, mode, inputs, started_s);
}

int
store_flush(struct store *s, struct flush_handover *h, char *err,
    size_t errlen)
{
	return s->ops->flush(s, h, err, errlen);
}

static int
sink_flush(void *state, struct flush_handover *h, char *err, size_t errlen)
{
	return store_flush(state, h, err, errlen);
}

struct sink
store_sink(struct store *s)
{
	struct sink k = { "database", sink_flush, s };

	return k;
}

int
store_load_endpoints(struct store *s, struct endpoint_table *t, char *err,
    size_t errlen)
{
	return s->ops->load_endpoints(s, t, err, errlen);
}

int
store_load_names(struct store *s, struct names_table *t, char *err,
    size_t errlen)
{
	return s->ops->load_names(s, t, err, errlen);
}

int
store_load_alerts(struct store *s, struct alerts *a, char *err,
    size_t errlen)
{
	return s->ops->load_alerts(s, a, err, errlen);
}

int
store_prune(struct store *s, const struct store_retention *r, int64_t now_s,
    char *err, size_t errlen)
{
	return s->ops->prune(s, r, now_s, err, errlen);
}

uint64_t
store_bytes(struct store *s)
{
	return s->ops->bytes != NULL ? s->ops->bytes(s) : 0;
}

struct reader *
reader_open(const char *url, char *err, size_t errlen)
{
	struct store_url u;

	if (store_url_parse(url, &u, err, errlen) == -1)
		return NULL;
	switch (u.scheme) {
	case STORE_SQLITE:
	default:
		return sqlite_reader_open(u.path, err, errlen);
	}
}

void
reader_close(struct reader *rd)
{
	if (rd != NULL)
		rd->ops->close(rd);
}

bool
reader_stale(struct reader *rd)
{
	return rd->ops->stale != NULL && rd->ops->stale(rd);
}
