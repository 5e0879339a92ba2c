/*
 * endpoint.c - the table of RPC endpoints learned from EPM, bind_ack and
 * DCOM replies.
 *
 * Entries live in one preallocated array of `capacity` slots, linked
 * three ways by index:
 *  - a hash chain on (ip, transport, port): what a new flow asks for;
 *  - a hash chain on (ip, transport, uuid): to see an interface move to
 *    another port of its host (a service restarted and got a new port);
 *  - a recency list (most recently refreshed or used first): the tail is
 *    what a full table drops, and what expiry looks at first, so both
 *    cost time proportional to what they remove, never to the table.
 *
 * Locking: lookups that only read (endpoint_exists, lookup with
 * use=false, foreach) take the read lock.  A lookup with use=true takes
 * the write lock, because marking an entry used moves it in the recency
 * list; that happens once per new flow, not per packet, so the writer
 * is brief and rare compared with what the list buys (O(1) eviction
 * instead of a scan of the whole table per learned endpoint).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/endpoint.h"
#include "svcmap/transport.h"

#define NIL		UINT32_MAX
#define HASH_SEED	0x5eca11edU

struct ep_node {
	struct endpoint_entry	e;
	bool			used;
	uint32_t		next_port;	/* chain on (ip, transport, port) */
	uint32_t		next_uuid;	/* chain on (ip, transport, uuid) */
	uint32_t		prev_lru;	/* towards the most recent */
	uint32_t		next_lru;	/* towards the least recent */
};

/*
 * The dynamic port ranges a host was seen to use: a bit per range class
 * (range_bit()) of the TCP ports the endpoint mapper or DCOM handed out
 * on it.  Open addressing over nbuckets slots, never removed: a host's
 * range is a setting of its own and outlives the endpoints that showed
 * it; a full table leaves new hosts on the configured range.
 */
struct ep_host {
	struct addr	ip;
	uint8_t		ranges;		/* ENDPOINT_RANGE_* bits; 0: free */
};

struct endpoint_table {
	pthread_rwlock_t	 lock;
	struct ep_node		*nodes;
	uint32_t		 capacity;
	uint32_t		 nbuckets;	/* power of two */
	uint32_t		*by_port;
	uint32_t		*by_uuid;
	struct ep_host		*hosts;		/* nbuckets slots */
	uint32_t		 free_head;	/* free slots, chained by next_port */
	uint32_t		 lru_head;
	uint32_t		 lru_tail;
	uint32_t		 count;
	uint64_t		 expiry_us;
	uint64_t		 evictions;
	_Atomic uint32_t	 gen;		/* endpoint_generation() */
};

static uint32_t
hash_port(const struct endpoint_table *t, const struct addr *ip,
    uint8_t transport, uint16_t port)
{
	uint32_t h = addr_hash(ip, HASH_SEED);

	h ^= (uint32_t)transport << 16 | port;
	h *= 0x9e3779b1U;
	return (h ^ h >> 15) & (t->nbuckets - 1);
}

static uint32_t
hash_uuid(const struct endpoint_table *t, const struct addr *ip,
    uint8_t transport, const uint8_t uuid[16])
{
	uint32_t h = addr_hash(ip, HASH_SEED ^ transport);
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ uuid[i]) * 16777619U;
	return (h ^ h >> 15) & (t->nbuckets - 1);
}

struct endpoint_table *
endpoint_table_create(uint32_t capacity, uint32_t expiry_s)
{
	struct endpoint_table *t;
	uint32_t i;

	if (capacity == 0 || capacity >= NIL / 2)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->capacity = capacity;
	for (t->nbuckets = 16; t->nbuckets < capacity; t->nbuckets <<= 1)
		;
	t->nodes = calloc(capacity, sizeof(*t->nodes));
	t->by_port = malloc(t->nbuckets * sizeof(*t->by_port));
	t->by_uuid = malloc(t->nbuckets * sizeof(*t->by_uuid));
	t->hosts = calloc(t->nbuckets, sizeof(*t->hosts));
	if (t->nodes == NULL || t->by_port == NULL || t->by_uuid == NULL ||
	    t->hosts == NULL || pthread_rwlock_init(&t->lock, NULL) != 0) {
		free(t->nodes);
		free(t->by_port);
		free(t->by_uuid);
		free(t->hosts);
		free(t);
		return NULL;
	}
	for (i = 0; i < t->nbuckets; i++)
		t->by_port[i] = t->by_uuid[i] = NIL;
	for (i = 0; i < capacity; i++)
		t->nodes[i].next_port = i + 1 < capacity ? i + 1 : NIL;
	t->free_head = 0;
	t->lru_head = t->lru_tail = NIL;
	t->expiry_us = (uint64_t)expiry_s * 1000000;
	return t;
}

void
endpoint_table_destroy(struct endpoint_table *t)
{
	if (t == NULL)
		return;
	pthread_rwlock_destroy(&t->lock);
	free(t->nodes);
	free(t->by_port);
	free(t->by_uuid);
	free(t->hosts);
	free(t);
}

/* ---- per-host dynamic ranges ---- */

/*
 * The range class of a port: the Windows 2000/2003 default (1025-5000),
 * the Windows Server 2008 and later default (49152-65535, KB 929851), or
 * between them (a range a site configured, TMG's 10000-65535).  0: a
 * well-known port, in no dynamic range.
 */
static uint8_t
range_bit(uint16_t port)
{
	if (port <= 1024)
		return 0;
	if (port <= 5000)
		return ENDPOINT_RANGE_LEGACY;
	if (port < 49152)
		return ENDPOINT_RANGE_MIDDLE;
	return ENDPOINT_RANGE_MODERN;
}

/* The host's slot, a free one for it, or NULL when the table is full. */
static struct ep_host *
host_slot(const struct endpoint_table *t, const struct addr *ip)
{
	uint32_t h = addr_hash(ip, HASH_SEED ^ 0x4057), i;
	struct ep_host *e;

	for (i = 0; i < t->nbuckets; i++) {
		e = &t->hosts[(h + i) & (t->nbuckets - 1)];
		if (e->ranges == 0 || addr_eq(&e->ip, ip))
			return e;
	}
	return NULL;
}

/* A port the RPC runtime handed out on ip: its range is the host's. */
static void
host_note(struct endpoint_table *t, const struct addr *ip, uint8_t transport,
    uint16_t port, enum endpoint_source source)
{
	struct ep_host *e;
	uint8_t bit = range_bit(port);

	/* A bind_ack only repeats the port a flow already went to. */
	if (transport != TRANSPORT_TCP || bit == 0 ||
	    source == EP_SOURCE_BIND_ACK || (e = host_slot(t, ip)) == NULL)
		return;
	e->ip = *ip;
	e->ranges |= bit;
}

int
endpoint_host_range(struct endpoint_table *t, const struct addr *ip,
    uint8_t transport, uint16_t port)
{
	const struct ep_host *e;
	uint8_t bit = range_bit(port);
	int ret = -1;

	if (t == NULL || transport != TRANSPORT_TCP)
		return -1;
	pthread_rwlock_rdlock(&t->lock);
	if ((e = host_slot(t, ip)) != NULL && e->ranges != 0)
		ret = (e->ranges & bit) != 0;
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

/* ---- recency list ---- */

static void
lru_unlink(struct endpoint_table *t, uint32_t i)
{
	struct ep_node *n = &t->nodes[i];

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

static void
lru_push_head(struct endpoint_table *t, uint32_t i)
{
	struct ep_node *n = &t->nodes[i];

	n->prev_lru = NIL;
	n->next_lru = t->lru_head;
	if (t->lru_head != NIL)
		t->nodes[t->lru_head].prev_lru = i;
	t->lru_head = i;
	if (t->lru_tail == NIL)
		t->lru_tail = i;
}

static uint64_t
touched(const struct ep_node *n)
{
	return n->e.refreshed_us > n->e.last_used_us ? n->e.refreshed_us :
	    n->e.last_used_us;
}

/*
 * Keep the list ordered by max(refreshed, last_used).  Packet time only
 * grows, so a learned or used entry goes to the head in O(1).  Restored
 * entries carry older times: they are placed by walking from the tail,
 * which is O(1) too when the database hands them over in time order
 * (either direction) and linear only for a shuffled restore.
 */
static void
lru_place(struct endpoint_table *t, uint32_t i)
{
	struct ep_node *n = &t->nodes[i];
	uint64_t when = touched(n);
	uint32_t j;

	if (t->lru_head == NIL || when >= touched(&t->nodes[t->lru_head])) {
		lru_push_head(t, i);
		return;
	}
	/* j: the least recent entry still newer than this one. */
	for (j = t->lru_tail; touched(&t->nodes[j]) < when;
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

/* ---- hash chains ---- */

static void
chain_unlink_port(struct endpoint_table *t, uint32_t i)
{
	struct ep_node *n = &t->nodes[i];
	uint32_t *pp = &t->by_port[hash_port(t, &n->e.ip, n->e.transport,
	    n->e.port)];

	while (*pp != NIL && *pp != i)
		pp = &t->nodes[*pp].next_port;
	if (*pp == i)
		*pp = n->next_port;
}

static void
chain_unlink_uuid(struct endpoint_table *t, uint32_t i)
{
	struct ep_node *n = &t->nodes[i];
	uint32_t *pp = &t->by_uuid[hash_uuid(t, &n->e.ip, n->e.transport,
	    n->e.uuid)];

	while (*pp != NIL && *pp != i)
		pp = &t->nodes[*pp].next_uuid;
	if (*pp == i)
		*pp = n->next_uuid;
}

static void
chain_link_port(struct endpoint_table *t, uint32_t i)
{
	struct ep_node *n = &t->nodes[i];
	uint32_t h = hash_port(t, &n->e.ip, n->e.transport, n->e.port);

	n->next_port = t->by_port[h];
	t->by_port[h] = i;
}

static void
chain_link_uuid(struct endpoint_table *t, uint32_t i)
{
	struct ep_node *n = &t->nodes[i];
	uint32_t h = hash_uuid(t, &n->e.ip, n->e.transport, n->e.uuid);

	n->next_uuid = t->by_uuid[h];
	t->by_uuid[h] = i;
}

static void
node_remove(struct endpoint_table *t, uint32_t i)
{
	chain_unlink_port(t, i);
	chain_unlink_uuid(t, i);
	lru_unlink(t, i);
	t->nodes[i].used = false;
	t->nodes[i].next_port = t->free_head;
	t->free_head = i;
	t->count--;
}

/* A free slot; a full table gives up its least recently touched entry. */
static uint32_t
node_alloc(struct endpoint_table *t)
{
	uint32_t i;

	if (t->free_head == NIL) {
		node_remove(t, t->lru_tail);
		t->evictions++;
	}
	i = t->free_head;
	t->free_head = t->nodes[i].next_port;
	memset(&t->nodes[i], 0, sizeof(t->nodes[i]));
	t->nodes[i].used = true;
	t->nodes[i].prev_lru = t->nodes[i].next_lru = NIL;
	t->count++;
	return i;
}

static uint32_t
find_exact(const struct endpoint_table *t, const struct addr *ip,
    uint8_t transport, uint16_t port, const uint8_t uuid[16])
{
	uint32_t i;
	const struct endpoint_entry *e;

	for (i = t->by_port[hash_port(t, ip, transport, port)]; i != NIL;
	    i = t->nodes[i].next_port) {
		e = &t->nodes[i].e;
		if (e->port == port && e->transport == transport &&
		    addr_eq(&e->ip, ip) && memcmp(e->uuid, uuid, 16) == 0)
			return i;
	}
	return NIL;
}

/*
 * The same interface at another port of the same host, announced before
 * this reply.  Entries refreshed at now_us come from the reply being
 * read: Windows answers ept_map with two towers for one interface on two
 * ports (netlogon on 49158 and 49155), and both stay.  Only the endpoint
 * mapper speaks for where an interface lives: DCOM exporters all serve
 * IRemUnknown, each on its own port, and none of them moves another.
 */
static bool
is_epm(enum endpoint_source s)
{
	return s == EP_SOURCE_EPT_MAP || s == EP_SOURCE_EPT_LOOKUP;
}

static uint32_t
find_moved(const struct endpoint_table *t, const struct addr *ip,
    uint8_t transport, uint16_t port, const uint8_t uuid[16], uint64_t now_us)
{
	uint32_t i, best = NIL;
	const struct endpoint_entry *e;

	for (i = t->by_uuid[hash_uuid(t, ip, transport, uuid)]; i != NIL;
	    i = t->nodes[i].next_uuid) {
		e = &t->nodes[i].e;
		if (e->port == port || e->transport != transport ||
		    !addr_eq(&e->ip, ip) || memcmp(e->uuid, uuid, 16) != 0 ||
		    e->refreshed_us == now_us || !is_epm(e->source))
			continue;
		if (best == NIL || e->refreshed_us < t->nodes[best].e.refreshed_us)
			best = i;
	}
	return best;
}

/*
 * How strongly a source speaks for an endpoint: the endpoint mapper's
 * answer is the registration itself; a DCOM binding names an exporter; a
 * bind_ack only echoes the port the client already used.  A weaker
 * announcement refreshes an entry but never relabels it.
 */
static int
source_rank(enum endpoint_source s)
{
	switch (s) {
	case EP_SOURCE_EPT_MAP:
	case EP_SOURCE_EPT_LOOKUP:
		return 2;
	case EP_SOURCE_DCOM:
		return 1;
	case EP_SOURCE_BIND_ACK:
		break;
	}
	return 0;
}

static void
fill_facts(struct endpoint_entry *e, const struct dcerpc_endpoint *ep,
    bool fresh)
{
	e->ver_major = ep->ver_major;
	e->ver_minor = ep->ver_minor;
	if (fresh || source_rank(ep->source) >= source_rank(e->source))
		e->source = ep->source;
	if (ep->has_clsid) {
		e->has_clsid = true;
		memcpy(e->clsid, ep->clsid, 16);
	}
}

int
endpoint_learn(struct endpoint_table *t, const struct dcerpc_endpoint *ep,
    const struct addr *ip, uint64_t now_us)
{
	struct endpoint_entry *e;
	uint32_t i;
	int ret;

	if (t == NULL || ep == NULL || ip == NULL || ep->port == 0)
		return -1;
	pthread_rwlock_wrlock(&t->lock);
	if ((i = find_exact(t, ip, ep->transport, ep->port, ep->uuid)) != NIL) {
		e = &t->nodes[i].e;
		ret = 0;
	} else if (is_epm(ep->source) && (i = find_moved(t, ip, ep->transport,
	    ep->port, ep->uuid, now_us)) != NIL) {
		/* Same key but for the port: rehash it under the new one. */
		e = &t->nodes[i].e;
		chain_unlink_port(t, i);
		e->moved_from = e->port;
		e->port = ep->port;
		e->learned_us = now_us;
		e->announcements = 0;
		e->flows = 0;
		e->last_used_us = 0;
		chain_link_port(t, i);
		ret = 1;
	} else {
		i = node_alloc(t);
		e = &t->nodes[i].e;
		e->ip = *ip;
		e->transport = ep->transport;
		e->port = ep->port;
		memcpy(e->uuid, ep->uuid, 16);
		e->learned_us = now_us;
		chain_link_port(t, i);
		chain_link_uuid(t, i);
		lru_push_head(t, i);
		ret = 1;
	}
	fill_facts(e, ep, ret == 1);
	host_note(t, ip, ep->transport, ep->port, ep->source);
	if (now_us > e->refreshed_us)
		e->refreshed_us = now_us;
	e->announcements++;
	e->dirty = true;
	lru_unlink(t, i);
	lru_place(t, i);
	if (ret == 1)
		atomic_fetch_add_explicit(&t->gen, 1, memory_order_release);
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

uint32_t
endpoint_generation(const struct endpoint_table *t)
{
	return atomic_load_explicit(&((struct endpoint_table *)t)->gen,
	    memory_order_acquire);
}

int
endpoint_restore(struct endpoint_table *t, const struct endpoint_entry *e)
{
	uint32_t i;

	if (t == NULL || e == NULL || e->port == 0)
		return -1;
	pthread_rwlock_wrlock(&t->lock);
	if ((i = find_exact(t, &e->ip, e->transport, e->port, e->uuid)) != NIL)
		lru_unlink(t, i);
	else {
		i = node_alloc(t);
		t->nodes[i].e = *e;
		chain_link_port(t, i);
		chain_link_uuid(t, i);
	}
	t->nodes[i].e = *e;
	t->nodes[i].e.dirty = false;	/* it is what the database holds */
	host_note(t, &e->ip, e->transport, e->port, e->source);
	lru_place(t, i);
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

size_t
endpoint_lookup(struct endpoint_table *t, const struct addr *ip,
    uint8_t transport, uint16_t port, uint64_t now_us, bool use,
    struct endpoint_entry *out, size_t max)
{
	struct endpoint_entry *e;
	uint32_t i, next;
	size_t n = 0, k, have = 0;

	if (use)
		pthread_rwlock_wrlock(&t->lock);
	else
		pthread_rwlock_rdlock(&t->lock);
	for (i = t->by_port[hash_port(t, ip, transport, port)]; i != NIL;
	    i = next) {
		next = t->nodes[i].next_port;
		e = &t->nodes[i].e;
		if (e->port != port || e->transport != transport ||
		    !addr_eq(&e->ip, ip))
			continue;
		n++;
		if (use) {
			e->last_used_us = now_us;
			e->flows++;
			e->dirty = true;
			lru_unlink(t, i);
			lru_place(t, i);
		}
		/* Keep the `max` most recently refreshed, newest first. */
		if (out == NULL || max == 0)
			continue;
		if (have == max && e->refreshed_us <= out[max - 1].refreshed_us)
			continue;
		k = have < max ? have++ : max - 1;
		while (k > 0 && out[k - 1].refreshed_us < e->refreshed_us) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = *e;
	}
	pthread_rwlock_unlock(&t->lock);
	return n;
}

bool
endpoint_exists(struct endpoint_table *t, const struct addr *ip,
    uint8_t transport, uint16_t port)
{
	const struct endpoint_entry *e;
	uint32_t i;
	bool found = false;

	pthread_rwlock_rdlock(&t->lock);
	for (i = t->by_port[hash_port(t, ip, transport, port)]; i != NIL;
	    i = t->nodes[i].next_port) {
		e = &t->nodes[i].e;
		if (e->port == port && e->transport == transport &&
		    addr_eq(&e->ip, ip)) {
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	return found;
}

/*
 * The recency list is ordered by last touch, so expired entries are all
 * at its tail: stop at the first one still alive.
 */
size_t
endpoint_expire(struct endpoint_table *t, uint64_t now_us)
{
	const struct endpoint_entry *e;
	uint64_t last;
	size_t n = 0;

	pthread_rwlock_wrlock(&t->lock);
	while (t->lru_tail != NIL) {
		e = &t->nodes[t->lru_tail].e;
		last = e->refreshed_us > e->last_used_us ? e->refreshed_us :
		    e->last_used_us;
		if (last + t->expiry_us > now_us)
			break;
		node_remove(t, t->lru_tail);
		n++;
	}
	pthread_rwlock_unlock(&t->lock);
	return n;
}

void
endpoint_foreach(struct endpoint_table *t, bool only_dirty,
    void (*fn)(void *arg, const struct endpoint_entry *e), void *arg)
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
endpoint_mark_all_dirty(struct endpoint_table *t)
{
	uint32_t i;

	pthread_rwlock_wrlock(&t->lock);
	for (i = t->lru_head; i != NIL; i = t->nodes[i].next_lru)
		t->nodes[i].e.dirty = true;
	pthread_rwlock_unlock(&t->lock);
}

size_t
endpoint_count(struct endpoint_table *t)
{
	size_t n;

	pthread_rwlock_rdlock(&t->lock);
	n = t->count;
	pthread_rwlock_unlock(&t->lock);
	return n;
}

uint64_t
endpoint_evictions(struct endpoint_table *t)
{
	uint64_t n;

	pthread_rwlock_rdlock(&t->lock);
	n = t->evictions;
	pthread_rwlock_unlock(&t->lock);
	return n;
}
