/*
 * opstats.c - the bounded table of RPC operations between flushes.
 *
 * Rows and client pairs live in arrays allocated once, each indexed by an
 * open-addressing hash (linear probing) of twice their capacity, so a
 * probe sequence stays short when the arrays are full and never finds
 * the index full.  Nothing is deleted between clears, so no tombstones.
 * A clear wipes the two indexes: a cost per flush proportional to the
 * capacity, not per call.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/opstats.h"

#define SLOT_EMPTY	UINT32_MAX

struct op_batch {
	size_t		 cap;		/* rows, and client pairs */
	size_t		 mask;		/* index slots - 1 (a power of two) */
	struct op_row	*rows;
	size_t		 nrows;
	uint32_t	*row_index;
	struct op_client *clients;
	size_t		 nclients;
	uint32_t	*client_index;
	uint64_t	 dropped_calls;
	uint64_t	 dropped_clients;
};

static uint32_t
key_hash(const struct op_key *k)
{
	uint32_t h = addr_hash(&k->server, ((uint32_t)k->port << 16) |
	    ((uint32_t)k->transport << 8));
	size_t i;

	/* FNV-1a over the UUID and opnum on top of the address hash. */
	for (i = 0; i < sizeof(k->uuid); i++)
		h = (h ^ k->uuid[i]) * 16777619u;
	h = (h ^ (k->opnum & 0xff)) * 16777619u;
	h = (h ^ (k->opnum >> 8)) * 16777619u;
	return h ^ (h >> 15);
}

/* Field by field: the key's padding bytes are not compared. */
static bool
key_eq(const struct op_key *a, const struct op_key *b)
{
	return a->port == b->port && a->transport == b->transport &&
	    a->opnum == b->opnum && memcmp(a->uuid, b->uuid, 16) == 0 &&
	    addr_eq(&a->server, &b->server);
}

struct op_batch *
op_batch_create(size_t capacity)
{
	struct op_batch *b;
	size_t slots = 2;

	if (capacity == 0 || capacity > UINT32_MAX / 4)
		return NULL;
	while (slots < capacity * 2)
		slots <<= 1;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->cap = capacity;
	b->mask = slots - 1;
	b->rows = calloc(capacity, sizeof(*b->rows));
	b->clients = calloc(capacity, sizeof(*b->clients));
	b->row_index = malloc(slots * sizeof(*b->row_index));
	b->client_index = malloc(slots * sizeof(*b->client_index));
	if (b->rows == NULL || b->clients == NULL || b->row_index == NULL ||
	    b->client_index == NULL) {
		op_batch_destroy(b);
		return NULL;
	}
	op_batch_clear(b);
	return b;
}

void
op_batch_destroy(struct op_batch *b)
{
	if (b == NULL)
		return;
	free(b->rows);
	free(b->clients);
	free(b->row_index);
	free(b->client_index);
	free(b);
}

void
op_batch_clear(struct op_batch *b)
{
	/* SLOT_EMPTY is all ones in every byte. */
	memset(b->row_index, 0xff, (b->mask + 1) * sizeof(*b->row_index));
	memset(b->client_index, 0xff,
	    (b->mask + 1) * sizeof(*b->client_index));
	b->nrows = 0;
	b->nclients = 0;
}

/* The row of key, created if there is room; NULL when full. */
static struct op_row *
row_get(struct op_batch *b, const struct op_key *key)
{
	size_t i = key_hash(key) & b->mask;
	struct op_row *r;

	while (b->row_index[i] != SLOT_EMPTY) {
		r = &b->rows[b->row_index[i]];
		if (key_eq(&r->key, key))
			return r;
		i = (i + 1) & b->mask;
	}
	if (b->nrows == b->cap)
		return NULL;
	r = &b->rows[b->nrows];
	memset(r, 0, sizeof(*r));
	r->key = *key;
	b->row_index[i] = (uint32_t)b->nrows++;
	return r;
}

/* Record client of row (deduplicated); counted when there is no room. */
static void
client_add(struct op_batch *b, uint32_t row, const struct addr *client,
    int64_t first_s, int64_t last_s)
{
	size_t i = addr_hash(client, row * 2654435761u) & b->mask;
	struct op_client *c;

	while (b->client_index[i] != SLOT_EMPTY) {
		c = &b->clients[b->client_index[i]];
		if (c->row == row && addr_eq(&c->client, client)) {
			if (first_s < c->first_s)
				c->first_s = first_s;
			if (last_s > c->last_s)
				c->last_s = last_s;
			return;
		}
		i = (i + 1) & b->mask;
	}
	if (b->nclients == b->cap) {
		b->dropped_clients++;
		return;
	}
	c = &b->clients[b->nclients];
	c->row = row;
	c->client = *client;
	c->first_s = first_s;
	c->last_s = last_s;
	b->client_index[i] = (uint32_t)b->nclients++;
}

/* Add one row's worth of calls into b: its row, or NULL (dropped). */
static struct op_row *
row_add(struct op_batch *b, const struct op_key *key, uint16_t ver_major,
    uint64_t calls, int64_t first_s, int64_t last_s)
{
	struct op_row *r;

	if ((r = row_get(b, key)) == NULL) {
		b->dropped_calls += calls;
		return NULL;
	}
	if (r->calls == 0 || first_s < r->first_s)
		r->first_s = first_s;
	if (last_s > r->last_s)
		r->last_s = last_s;
	r->calls += calls;
	r->ver_major = ver_major;
	return r;
}

bool
op_batch_call(struct op_batch *b, const struct op_key *key,
    uint16_t ver_major, const struct addr *client, int64_t t_s)
{
	struct op_row *r;

	if ((r = row_add(b, key, ver_major, 1, t_s, t_s)) == NULL)
		return false;
	client_add(b, (uint32_t)(r - b->rows), client, t_s, t_s);
	return true;
}

void
op_batch_merge(struct op_batch *dst, struct op_batch *src)
{
	const struct op_row *r;
	const struct op_client *c;
	size_t i;

	for (i = 0; i < src->nrows; i++) {
		r = &src->rows[i];
		row_add(dst, &r->key, r->ver_major, r->calls, r->first_s,
		    r->last_s);
	}
	/* A client of a row that did not fit has no row to count for. */
	for (i = 0; i < src->nclients; i++) {
		c = &src->clients[i];
		r = row_get(dst, &src->rows[c->row].key);
		if (r == NULL) {
			dst->dropped_clients++;
			continue;
		}
		client_add(dst, (uint32_t)(r - dst->rows), &c->client,
		    c->first_s, c->last_s);
	}
	op_batch_clear(src);
}

size_t
op_batch_nrows(const struct op_batch *b)
{
	return b->nrows;
}

const struct op_row *
op_batch_rows(const struct op_batch *b)
{
	return b->rows;
}

size_t
op_batch_nclients(const struct op_batch *b)
{
	return b->nclients;
}

const struct op_client *
op_batch_clients(const struct op_batch *b)
{
	return b->clients;
}

uint64_t
op_batch_dropped_calls(const struct op_batch *b)
{
	return b->dropped_calls;
}

uint64_t
op_batch_dropped_clients(const struct op_batch *b)
{
	return b->dropped_clients;
}
