/*
 * json.c - JSON writer (RFC 8259 string escaping).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/json.h"

void
json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void
json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

void
json_reset(struct json *j)
{
	j->len = 0;
	if (j->buf != NULL)
		j->buf[0] = '\0';
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
	j->failed = false;
}

bool
json_failed(const struct json *j)
{
	return j->failed;
}

static void
put(struct json *j, const char *s, size_t n)
{
	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		char *nb;

		while (cap < j->len + n + 1)
			cap *= 2;
		nb = realloc(j->buf, cap);
		if (nb == NULL) {
			j->failed = true;
			return;
		}
		j->buf = nb;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void
puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Separate this value from the previous one at the same level. */
static void
value_start(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		put(j, ",", 1);
	j->need_comma[j->depth] = true;
}

static void
open_(struct json *j, char c)
{
	value_start(j);
	put(j, &c, 1);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void
close_(struct json *j, char c)
{
	put(j, &c, 1);
	if (j->depth > 0)
		j->depth--;
}

void json_object_begin(struct json *j) { open_(j, '{'); }
void json_object_end(struct json *j) { close_(j, '}'); }
void json_array_begin(struct json *j) { open_(j, '['); }
void json_array_end(struct json *j) { close_(j, ']'); }

static void
put_escaped(struct json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	put(j, "\"", 1);
	for (; *p != '\0'; p++) {
		char esc[8];

		switch (*p) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				puts_(j, esc);
			} else
				put(j, (const char *)p, 1);
		}
	}
	put(j, "\"", 1);
}

void
json_key(struct json *j, const char *key)
{
	value_start(j);
	put_escaped(j, key);
	put(j, ":", 1);
	j->after_key = true;
}

void
json_string(struct json *j, const char *s)
{
	value_start(j);
	if (s == NULL)
		puts_(j, "null");
	else
		put_escaped(j, s);
}

void
json_int(struct json *j, int64_t v)
{
	char b[32];

	value_start(j);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void
json_uint(struct json *j, uint64_t v)
{
	char b[32];

	value_start(j);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void
json_double(struct json *j, double v)
{
	char b[64];

	value_start(j);
	if (!isfinite(v))
		puts_(j, "null");
	else {
		snprintf(b, sizeof(b), "%.17g", v);
		puts_(j, b);
	}
}

void
json_bool(struct json *j, bool v)
{
	value_start(j);
	puts_(j, v ? "true" : "false");
}

void
json_null(struct json *j)
{
	value_start(j);
	puts_(j, "null");
}

void
json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void
json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void
json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

char *
json_time(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%" PRId64, t);
	return buf;
}
