/*
 * catalog.c - the catalog object: its memory, names and lifetime.
 *
 * The catalog files are line-oriented, TAB-separated text (data/README.md).
 * Loading has two phases.  catalog_load_file() (catalog_load.c) checks
 * each line on its own and remembers where every record came from;
 * catalog_finish() (catalog_index.c) resolves the references between files
 * (a site-local file may use shipped services), checks that each exact
 * port range has one listener and builds the lookup indexes.  Every bad
 * line is reported, not only the first, so that one run shows everything
 * to fix (OpenBSD ntpd's parse.y recovers the same way).  After
 * catalog_finish() nothing changes: lookups take no lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/log.h"
#include "svcmap/transport.h"
#include "catalog_int.h"

static const struct {
	const char	*code;
	uint8_t		 bit;
} source_codes[] = {
	{ "sv", SOURCE_SV },
	{ "en", SOURCE_EN },
	{ "ja", SOURCE_JA },
	{ "zh", SOURCE_ZH },
	{ "cm", SOURCE_CM },
	{ "local", SOURCE_LOCAL },
	{ NULL, 0 }
};

static const struct {
	const char	*name;
	uint8_t		 bit;
} op_flags[] = {
	{ "sensitive", CATALOG_OP_SENSITIVE },
	{ "reserved", CATALOG_OP_RESERVED },
	{ "not-dc", CATALOG_OP_NOT_DC },
	{ "storm", CATALOG_OP_STORM },
	{ NULL, 0 }
};

void
catalog_verrs_add(struct errs *e, const struct origin *at, const char *fmt,
    va_list ap)
{
	char msg[768], line[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (at->line > 0)
		snprintf(line, sizeof(line), "%s:%u: %s", at->file, at->line,
		    msg);
	else
		snprintf(line, sizeof(line), "%s: %s", at->file, msg);
	log_warnx("%s", line);
	if (e->n++ == 0 && e->len > 0)
		snprintf(e->buf, e->len, "%s", line);
}

void
catalog_errs_add(struct errs *e, const struct origin *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	catalog_verrs_add(e, at, fmt, ap);
	va_end(ap);
}

const char *
catalog_source_name(uint8_t bit)
{
	size_t i;

	for (i = 0; source_codes[i].code != NULL; i++)
		if (source_codes[i].bit == bit)
			return source_codes[i].code;
	return NULL;
}

uint8_t
catalog_source_parse(const char *code)
{
	size_t i;

	for (i = 0; source_codes[i].code != NULL; i++)
		if (strcmp(source_codes[i].code, code) == 0)
			return source_codes[i].bit;
	return 0;
}

uint8_t
catalog_op_flag_parse(const char *name)
{
	size_t i;

	for (i = 0; op_flags[i].name != NULL; i++)
		if (strcmp(op_flags[i].name, name) == 0)
			return op_flags[i].bit;
	return 0;
}

const char *
catalog_op_flag_name(uint8_t bit)
{
	size_t i;

	for (i = 0; op_flags[i].name != NULL; i++)
		if (op_flags[i].bit == bit)
			return op_flags[i].name;
	return NULL;
}

bool
catalog_transport_has_ports(uint8_t proto)
{
	return proto == TRANSPORT_TCP || proto == TRANSPORT_UDP;
}

/*
 * Memory.  All text and the app name lists live in one arena freed in one
 * go; the record arrays grow by doubling.
 */
void *
catalog_arena_alloc(struct catalog *cat, size_t n, size_t align)
{
	struct arena_chunk *c = cat->arena;
	size_t off = 0;

	if (c != NULL)
		off = (c->used + align - 1) & ~(align - 1);
	if (c == NULL || off > c->size || c->size - off < n) {
		size_t size = n > CAT_ARENA_CHUNK ? n : CAT_ARENA_CHUNK;

		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->next = cat->arena;
		c->size = size;
		cat->arena = c;
		off = 0;
	}
	c->used = off + n;
	return (char *)c->data + off;
}

void *
catalog_array_reserve(void *p, size_t *cap, size_t n, size_t size)
{
	size_t ncap;

	if (n < *cap)
		return p;
	ncap = *cap ? *cap * 2 : 32;
	if ((p = reallocarray(p, ncap, size)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

static uint32_t
str_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = str_hash(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

const int *
catalog_strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = strmap_slot(m, key);
	return m->keys[i] != NULL ? &m->vals[i] : NULL;
}

/* Keep the load under one half so that probe runs stay short. */
static int
strmap_reserve(struct strmap *m)
{
	struct strmap nm;
	size_t i, j;

	if (m->n + 1 <= m->cap / 2)
		return 0;
	nm.cap = m->cap ? m->cap * 2 : 256;
	nm.n = m->n;
	nm.keys = calloc(nm.cap, sizeof(*nm.keys));
	nm.vals = calloc(nm.cap, sizeof(*nm.vals));
	if (nm.keys == NULL || nm.vals == NULL) {
		free(nm.keys);
		free(nm.vals);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		j = strmap_slot(&nm, m->keys[i]);
		nm.keys[j] = m->keys[i];
		nm.vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	*m = nm;
	return 0;
}

/* key must be absent (checked with strmap_get) and outlive the map. */
int
catalog_strmap_put(struct strmap *m, const char *key, int val)
{
	size_t i;

	if (strmap_reserve(m) == -1)
		return -1;
	i = strmap_slot(m, key);
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

static void
strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
}

/* One copy of each distinct text: notes like "-" repeat hundreds of times. */
const char *
catalog_intern(struct catalog *cat, const char *s)
{
	struct strmap *m = &cat->strings;
	size_t i, len;
	char *copy;

	if (strmap_reserve(m) == -1)
		return NULL;
	i = strmap_slot(m, s);
	if (m->keys[i] != NULL)
		return m->keys[i];
	len = strlen(s) + 1;
	if ((copy = catalog_arena_alloc(cat, len, 1)) == NULL)
		return NULL;
	memcpy(copy, s, len);
	m->keys[i] = copy;
	m->vals[i] = 0;
	m->n++;
	return copy;
}

struct catalog *
catalog_create(void)
{
	struct catalog *cat;
	size_t i;

	if ((cat = calloc(1, sizeof(*cat))) == NULL)
		return NULL;
	for (i = 0; i < 256; i++)
		cat->listen_noport[i] = -1;
	cat->rpc_dynamic = -1;
	return cat;
}

void
catalog_destroy(struct catalog *cat)
{
	struct arena_chunk *c, *next;

	if (cat == NULL)
		return;
	for (c = cat->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	strmap_free(&cat->strings);
	strmap_free(&cat->svc_by_key);
	strmap_free(&cat->app_by_key);
	strmap_free(&cat->pipe_by_name);
	strmap_free(&cat->role_by_key);
	free(cat->svc);
	free(cat->app);
	free(cat->port);
	free(cat->iface);
	free(cat->dcom);
	free(cat->pipe);
	free(cat->op);
	free(cat->role);
	free(cat->need);
	free(cat->iface_op_first);
	free(cat->iface_nops);
	free(cat->listen_tcp);
	free(cat->listen_udp);
	free(cat->port_dynamic);
	free(cat->iface_sorted);
	free(cat->dcom_sorted);
	free(cat);
}
