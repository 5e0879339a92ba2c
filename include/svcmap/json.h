/*
 * json.h - a small JSON writer into a growable memory buffer.
 *
 * Shared by svcmapctl --json, the HTTP API and the alert JSON lines, so
 * that every output escapes strings the same way.  Commas are inserted by
 * the writer: callers only open, add and close.  Nesting is bounded.
 * Allocation failure is sticky: json_failed() tells, and the text is
 * then incomplete and must not be used.
 */
#ifndef SVCMAP_JSON_H
#define SVCMAP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json {
	char	*buf;		/* NUL-terminated text; owned */
	size_t	 len;
	size_t	 cap;
	int	 depth;
	bool	 need_comma[JSON_MAX_DEPTH];
	bool	 after_key;	/* a key was written: the value needs no comma */
	bool	 failed;
};

void	json_init(struct json *j);
void	json_free(struct json *j);
/** Forget the text, keep the memory (for one line per event). */
void	json_reset(struct json *j);
bool	json_failed(const struct json *j);

void	json_object_begin(struct json *j);
void	json_object_end(struct json *j);
void	json_array_begin(struct json *j);
void	json_array_end(struct json *j);

void	json_key(struct json *j, const char *key);
void	json_string(struct json *j, const char *s);	/* NULL -> null */
void	json_int(struct json *j, int64_t v);
void	json_uint(struct json *j, uint64_t v);
void	json_double(struct json *j, double v);
void	json_bool(struct json *j, bool v);
void	json_null(struct json *j);

/* key + value in one call */
void	json_kv_string(struct json *j, const char *key, const char *s);
void	json_kv_int(struct json *j, const char *key, int64_t v);
void	json_kv_uint(struct json *j, const char *key, uint64_t v);
void	json_kv_bool(struct json *j, const char *key, bool v);

/** ISO 8601 UTC ("2024-01-15T09:00:00Z") of UTC seconds into buf[32]. */
char	*json_time(int64_t t, char buf[32]);

#endif /* SVCMAP_JSON_H */
