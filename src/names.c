/*
 * names.c - the table of names learned per address.
 *
 * Same shape as the learned-endpoint table (endpoint.c): one
 * preallocated array of `capacity` slots, linked by index
 *  - a hash chain on the whole key (address, source, kind, suffix, name):
 *    what a fact refreshes;
 *  - a hash chain on the address: every name of a host, for lookups and
 *    the display name;
 *  - a recency list by last_seen (packet time): the tail is what a full
 *    table drops and what expiry looks at first, so both cost time
 *    proportional to what they remove, never to the table.
 *
 * A changed name is a new key, so it is a new entry: the old name stays
 * with its own last_seen until it expires or is evicted.  History is kept
 * without any special case.
 *
 * Locking: learning and expiry take the write lock; lookups and a full
 * foreach take the read lock.  Facts arrive per name-service response,
 * far below the packet rate, so one lock is enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/names.h"

#define NIL		UINT32_MAX
#define HASH_SEED	0x6e616d65U

struct name_node {
	struct name_entry	e;
	bool			used;
	uint32_t		next_key;	/* chain on the whole key */
	uint32_t		next_addr;	/* chain on the address */
	uint32_t		prev_lru;	/* towards the most recent */
	uint32_t		next_lru;	/* towards the least recent */
};

struct names_table {
	pthread_rwlock_t	 lock;
	struct name_node	*nodes;
	uint32_t		 capacity;
	uint32_t		 nbuckets;	/* power of two */
	uint32_t		*by_key;
	uint32_t		*by_addr;
	uint32_t		 free_head;	/* free slots, chained by next_key */
	uint32_t		 lru_head;
	uint32_t		 lru_tail;
	uint32_t		 count;
	uint64_t		 expiry_us;
	uint64_t		 evictions;
	uint64_t		 refused;
};

static uint32_t
mix(uint32_t h)
{
	h *= 0x9e3779b1U;
	return h ^ h >> 15;
}

static uint32_t
hash_addr(const struct names_table *t, const struct addr *a)
{
	return mix(addr_hash(a, HASH_SEED)) & (t->nbuckets - 1);
}

static uint32_t
hash_key(const struct names_table *t, const struct addr *a, uint8_t source,
    uint8_t kind, uint8_t suffix, const char *name)
{
	uint32_t h = addr_hash(a, HASH_SEED ^ ((uint32_t)source << 16 |
	    (uint32_t)kind << 8 | suffix));
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619U;
	return mix(h) & (t->nbuckets - 1);
}

struct names_table *
names_table_create(uint32_t capacity, uint32_t expiry_s)
{
	struct names_table *t;
	uint32_t i;

	if (capacity == 0 || capacity >= NIL / 2)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->capacity = capacity;
	for (t->nbuckets = 16; t->nbuckets < capacity; t->nbuckets <<= 1)
		;
	t->nodes = calloc(capacity, sizeof(*t->nodes));
	t->by_key = malloc(t->nbuckets * sizeof(*t->by_key));
	t->by_addr = malloc(t->nbuckets * sizeof(*t->by_addr));
	if (t->nodes == NULL || t->by_key == NULL || t->by_addr == NULL ||
	    pthread_rwlock_init(&t->lock, NULL) != 0) {
		free(t->nodes);
		free(t->by_key);
		free(t->by_addr);
		free(t);
		return NULL;
	}
	for (i = 0; i < t->nbuckets; i++)
		t->by_key[i] = t->by_addr[i] = NIL;
	for (i = 0; i < capacity; i++)
		t->nodes[i].next_key = i + 1 < capacity ? i + 1 : NIL;
	t->free_head = 0;
	t->lru_head = t->lru_tail = NIL;
	t->expiry_us = (uint64_t)expiry_s * 1000000;
	return t;
}

void
names_table_destroy(struct names_table *t)
{
	if (t == NULL)
		return;
	pthread_rwlock_destroy(&t->lock);
	free(t->nodes);
	free(t->by_key);
	free(t->by_addr);
	free(t);
}

/* ---- recency list (by last_seen) ---- */

static void
lru_unlink(struct names_table *t, uint32_t i)
{
	struct name_node *n = &t->nodes[i];

	if (n->prev_lru != NIL)
		t->nodes[n->prev_lru].next_lru = n->next_lru;
	else
		t->lru_head = n->next_lru;
	if (n->next_lru != NIL)
		t->nodes[n->next_lru].prev_lru = n->prev_lru;
	else
		t->lru_tail = n->prev_lru;
	n->prev_lru = n->next_lru = NIL;
}

/*
 * Keep the list ordered by last_seen.  Packet time only grows, so a fact
 * goes to the head in O(1); restored entries walk from the tail, O(1)
 * when the database hands them over in time order.
 */
static void
lru_place(struct names_table *t, uint32_t i)
{
	struct name_node *n = &t->nodes[i];
	uint64_t when = n->e.last_seen_us;
	uint32_t j;

	if (t->lru_head == NIL ||
	    when >= t->nodes[t->lru_head].e.last_seen_us) {
		n->prev_lru = NIL;
		n->next_lru = t->lru_head;
		if (t->lru_head != NIL)
			t->nodes[t->lru_head].prev_lru = i;
		t->lru_head = i;
		if (t->lru_tail == NIL)
			t->lru_tail = i;
		return;
	}
	for (j = t->lru_tail; t->nodes[j].e.last_seen_us < when;
	    j = t->nodes[j].prev_lru)
		;
	n->prev_lru = j;
	n->next_lru = t->nodes[j].next_lru;
	if (n->next_lru != NIL)
		t->nodes[n->next_lru].prev_lru = i;
	else
		t->lru_tail = i;
	t->nodes[j].next_lru = i;
}

/* ---- chains ---- */

static void
chain_link(struct names_table *t, uint32_t i)
{
	struct name_entry *e = &t->nodes[i].e;
	uint32_t h;

	h = hash_key(t, &e->addr, e->source, e->kind, e->nb_suffix, e->name);
	t->nodes[i].next_key = t->by_key[h];
	t->by_key[h] = i;
	h = hash_addr(t, &e->addr);
	t->nodes[i].next_addr = t->by_addr[h];
	t->by_addr[h] = i;
}

static void
chain_unlink(struct names_table *t, uint32_t i)
{
	struct name_entry *e = &t->nodes[i].e;
	uint32_t *pp;

	pp = &t->by_key[hash_key(t, &e->addr, e->source, e->kind,
	    e->nb_suffix, e->name)];
	while (*pp != NIL && *pp != i)
		pp = &t->nodes[*pp].next_key;
	if (*pp == i)
		*pp = t->nodes[i].next_key;
	pp = &t->by_addr[hash_addr(t, &e->addr)];
	while (*pp != NIL && *pp != i)
		pp = &t->nodes[*pp].next_addr;
	if (*pp == i)
		*pp = t->nodes[i].next_addr;
}

static void
node_remove(struct names_table *t, uint32_t i)
{
	chain_unlink(t, i);
	lru_unlink(t, i);
	t->nodes[i].used = false;
	t->nodes[i].next_key = t->free_head;
	t->free_head = i;
	t->count--;
}

/* A free slot; a full table gives up its least recently seen entry. */
static uint32_t
node_alloc(struct names_table *t)
{
	uint32_t i;

	if (t->free_head == NIL) {
		node_remove(t, t->lru_tail);
		t->evictions++;
	}
	i = t->free_head;
	t->free_head = t->nodes[i].next_key;
	memset(&t->nodes[i], 0, sizeof(t->nodes[i]));
	t->nodes[i].used = true;
	t->nodes[i].prev_lru = t->nodes[i].next_lru = NIL;
	t->count++;
	return i;
}

static uint32_t
find_key(const struct names_table *t, const struct addr *a, uint8_t source,
    uint8_t kind, uint8_t suffix, const char *name)
{
	const struct name_entry *e;
	uint32_t i;

	for (i = t->by_key[hash_key(t, a, source, kind, suffix, name)];
	    i != NIL; i = t->nodes[i].next_key) {
		e = &t->nodes[i].e;
		if (e->source == source && e->kind == kind &&
		    e->nb_suffix == suffix && addr_eq(&e->addr, a) &&
		    strcmp(e->name, name) == 0)
			return i;
	}
	return NIL;
}

int
names_learn(struct names_table *t, const struct name_fact *f,
    uint64_t now_us)
{
	struct name_entry *e;
	uint32_t i;
	int ret;

	if (t == NULL || f == NULL)
		return -1;
	pthread_rwlock_wrlock(&t->lock);
	if (!f->has_addr || f->source >= NAME_SRC__COUNT ||
	    f->kind >= NAME_KIND__COUNT || f->kind == NAME_KIND_SPN ||
	    f->name[0] == '\0' ||
	    memchr(f->name, '\0', sizeof(f->name)) == NULL) {
		t->refused++;
		pthread_rwlock_unlock(&t->lock);
		return -1;
	}
	if ((i = find_key(t, &f->addr, f->source, f->kind, f->nb_suffix,
	    f->name)) != NIL) {
		e = &t->nodes[i].e;
		lru_unlink(t, i);
		ret = 0;
	} else {
		i = node_alloc(t);
		e = &t->nodes[i].e;
		e->addr = f->addr;
		e->source = f->source;
		e->kind = f->kind;
		e->nb_suffix = f->nb_suffix;
		memcpy(e->name, f->name, sizeof(e->name));
		e->first_seen_us = now_us;
		chain_link(t, i);
		ret = 1;
	}
	e->nb_group = f->nb_group;
	if (f->has_mac) {
		e->has_mac = true;
		memcpy(e->mac, f->mac, sizeof(e->mac));
	}
	if (now_us > e->last_seen_us)
		e->last_seen_us = now_us;
	e->seen++;
	e->dirty = true;
	lru_place(t, i);
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

int
names_restore(struct names_table *t, const struct name_entry *e)
{
	uint32_t i;

	if (t == NULL || e == NULL || e->source >= NAME_SRC__COUNT ||
	    e->kind >= NAME_KIND__COUNT || e->name[0] == '\0' ||
	    memchr(e->name, '\0', sizeof(e->name)) == NULL)
		return -1;
	pthread_rwlock_wrlock(&t->lock);
	if ((i = find_key(t, &e->addr, e->source, e->kind, e->nb_suffix,
	    e->name)) != NIL)
		lru_unlink(t, i);
	else {
		i = node_alloc(t);
		t->nodes[i].e = *e;
		chain_link(t, i);
	}
	t->nodes[i].e = *e;
	t->nodes[i].e.dirty = false;	/* it is what the database holds */
	lru_place(t, i);
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

int
names_rank(const struct name_entry *e)
{
	switch (e->kind) {
	case NAME_KIND_HOST:
		switch (e->source) {
		case NAME_SRC_DNS:
			return 0;
		case NAME_SRC_NTLM:
			return 1;
		case NAME_SRC_CLDAP:
			return 2;
		case NAME_SRC_DHCP:
			return 3;
		case NAME_SRC_LLMNR:
		case NAME_SRC_MDNS:
			return 5;
		case NAME_SRC_DNS_PTR:
			return 6;
		}
		return -1;
	case NAME_KIND_NETBIOS:
		/* Computer names only: <00> workstation, <20> server. */
		if (e->nb_group || (e->source == NAME_SRC_NBNS &&
		    e->nb_suffix != 0x00 && e->nb_suffix != 0x20))
			return -1;
		return 4;
	}
	return -1;
}

/* a before b in the display order: rank, then recency, then the name. */
static bool
better(const struct name_entry *a, const struct name_entry *b)
{
	int ra = names_rank(a), rb = names_rank(b), c;

	if (ra != rb) {
		if (ra < 0 || rb < 0)
			return ra >= 0;
		return ra < rb;
	}
	if (a->last_seen_us != b->last_seen_us)
		return a->last_seen_us > b->last_seen_us;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c < 0;
	if (a->source != b->source)
		return a->source < b->source;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->nb_suffix < b->nb_suffix;
}

size_t
names_lookup(struct names_table *t, const struct addr *ip,
    struct name_entry *out, size_t max)
{
	const struct name_entry *e;
	size_t n = 0, have = 0, k;
	uint32_t i;

	pthread_rwlock_rdlock(&t->lock);
	for (i = t->by_addr[hash_addr(t, ip)]; i != NIL;
	    i = t->nodes[i].next_addr) {
		e = &t->nodes[i].e;
		if (!addr_eq(&e->addr, ip))
			continue;
		n++;
		if (out == NULL || max == 0)
			continue;
		/* Insertion into the `max` best, best first. */
		if (have == max && !better(e, &out[max - 1]))
			continue;
		k = have < max ? have++ : max - 1;
		while (k > 0 && better(e, &out[k - 1])) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = *e;
	}
	pthread_rwlock_unlock(&t->lock);
	return n;
}

bool
names_display(struct names_table *t, const struct addr *ip, char *buf,
    size_t len, enum name_source *src)
{
	const struct name_entry *e, *best = NULL;
	uint32_t i;
	bool found = false;

	if (len > 0)
		buf[0] = '\0';
	pthread_rwlock_rdlock(&t->lock);
	for (i = t->by_addr[hash_addr(t, ip)]; i != NIL;
	    i = t->nodes[i].next_addr) {
		e = &t->nodes[i].e;
		if (!addr_eq(&e->addr, ip) || names_rank(e) < 0)
			continue;
		if (best == NULL || better(e, best))
			best = e;
	}
	if (best != NULL) {
		found = true;
		if (len > 0) {
			strncpy(buf, best->name, len - 1);
			buf[len - 1] = '\0';
		}
		if (src != NULL)
			*src = (enum name_source)best->source;
	}
	pthread_rwlock_unlock(&t->lock);
	return found;
}

size_t
names_expire(struct names_table *t, uint64_t now_us)
{
	size_t n = 0;

	pthread_rwlock_wrlock(&t->lock);
	while (t->lru_tail != NIL &&
	    t->nodes[t->lru_tail].e.last_seen_us + t->expiry_us <= now_us) {
		node_remove(t, t->lru_tail);
		n++;
	}
	pthread_rwlock_unlock(&t->lock);
	return n;
}

void
names_foreach(struct names_table *t, bool only_dirty,
    void (*fn)(void *arg, const struct name_entry *e), void *arg)
{
	uint32_t i;

	/* Clearing dirty marks is a write: only_dirty takes the write lock. */
	if (only_dirty)
		pthread_rwlock_wrlock(&t->lock);
	else
		pthread_rwlock_rdlock(&t->lock);
	for (i = t->lru_head; i != NIL; i = t->nodes[i].next_lru) {
		if (only_dirty) {
			if (!t->nodes[i].e.dirty)
				continue;
			t->nodes[i].e.dirty = false;
		}
		fn(arg, &t->nodes[i].e);
	}
	pthread_rwlock_unlock(&t->lock);
}

void
names_mark_all_dirty(struct names_table *t)
{
	uint32_t i;

	pthread_rwlock_wrlock(&t->lock);
	for (i = t->lru_head; i != NIL; i = t->nodes[i].next_lru)
		t->nodes[i].e.dirty = true;
	pthread_rwlock_unlock(&t->lock);
}

size_t
names_count(struct names_table *t)
{
	size_t n;

	pthread_rwlock_rdlock(&t->lock);
	n = t->count;
	pthread_rwlock_unlock(&t->lock);
	return n;
}

uint64_t
names_evictions(struct names_table *t)
{
	uint64_t n;

	pthread_rwlock_rdlock(&t->lock);
	n = t->evictions;
	pthread_rwlock_unlock(&t->lock);
	return n;
}

uint64_t
names_refused(struct names_table *t)
{
	uint64_t n;

	pthread_rwlock_rdlock(&t->lock);
	n = t->refused;
	pthread_rwlock_unlock(&t->lock);
	return n;
}
