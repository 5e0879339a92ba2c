/*
 * flow.c - the bidirectional flow table.
 *
 * All `capacity` slots are allocated once, at create.  A slot is on exactly
 * one of two structures: the free list (chained through hnext), or a hash
 * chain plus one timeout list.  The hash is symmetric over the two
 * endpoints, so both directions of a conversation land in the same bucket
 * and one lookup finds the flow and tells the packet's direction.
 *
 * Each timeout list holds the flows that share one idle timeout, most
 * recently active at the head.  A packet moves its flow to the head of its
 * list (O(1)); expiry and eviction only ever look at tails.  The same
 * order lets a flush find the flows with new packets without scanning the
 * table: they are the marked prefix of each list.
 */
#include <sys/random.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/decode.h"
#include "svcmap/flow.h"
#include "svcmap/stats.h"
#include "svcmap/transport.h"

_Static_assert(FLOW__COUNT == FLOW_CLASSES,
    "stats.h's FLOW_CLASSES counts enum flow_class");

/* The timeout lists.  TCP flows move to the closed list on FIN+FIN/RST. */
enum flow_list {
	LIST_TCP = 0,
	LIST_TCP_CLOSED,
	LIST_UDP,
	LIST_OTHER,
	LIST__COUNT
};

struct flow_list_head {
	uint32_t	 head;		/* most recently active, or FLOW_NIL */
	uint32_t	 tail;		/* least recently active, or FLOW_NIL */
	uint64_t	 timeout_us;	/* idle time after which a flow ends */
};

/* One row of the shutdown or drain order (scratch for both walks). */
struct flow_order {
	uint64_t	 first_us;
	uint32_t	 slot;
};

struct flow_table {
	struct flow		*slots;		/* capacity entries */
	uint32_t		 capacity;
	uint32_t		*buckets;	/* first slot of each chain */
	uint32_t		 mask;		/* bucket count - 1 (power of two) */
	uint32_t		 seed;		/* per table: chains unpredictable */
	uint32_t		 free_head;	/* freed slots, chained via hnext */
	uint32_t		 hiwater;	/* slots [hiwater, capacity) never used */
	struct flow_list_head	 lists[LIST__COUNT];
	/*
	 * Scratch for end_all and the touched walk, allocated up front so
	 * that shutdown cannot fail and a flush allocates nothing.
	 */
	struct flow_order	*order;

	flow_is_service_fn	 is_service;
	flow_end_fn		 on_end;
	void			*arg;
	struct flow_table_stats	 st;
};

const char *
flow_method_name(enum flow_method m)
{
	switch (m) {
	case METHOD_NONE:
		return "none";
	case METHOD_PORT:
		return "port";
	case METHOD_BIND:
		return "bind";
	case METHOD_EPM:
		return "epm";
	case METHOD_PIPE:
		return "pipe";
	}
	return "none";
}

const char *
flow_class_name(enum flow_class c)
{
	switch (c) {
	case FLOW_CLASSIFIED:
		return "classified";
	case FLOW_UNDOCUMENTED:
		return "undocumented";
	case FLOW_UNMONITORED:
		return "unmonitored";
	case FLOW_OUTBOUND:
		return "outbound";
	case FLOW__COUNT:
		break;
	}
	return "classified";
}

size_t
flow_table_slot_size(void)
{
	return sizeof(struct flow);
}

/* Murmur3's finaliser: every input bit reaches every output bit. */
static uint32_t
mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * One 32-bit word into a running hash.  The multiply and shift make the
 * result depend on the seed non-linearly, so colliding tuples cannot be
 * chosen without knowing it; four words per address cost a quarter of a
 * byte-wise hash, and this runs twice per packet.
 */
static uint32_t
hash_word(uint32_t h, uint32_t w)
{
	h ^= w;
	h *= 0x85ebca6bu;
	h ^= h >> 15;
	return h;
}

static uint32_t
endpoint_hash(const struct flow_table *t, const struct addr *a, uint16_t port)
{
	uint32_t w[4], h = t->seed;
	int i;

	memcpy(w, a->b, sizeof(w));
	for (i = 0; i < 4; i++)
		h = hash_word(h, w[i]);
	return mix32(hash_word(h, port));
}

/*
 * Symmetric: the two endpoint hashes are combined in sorted order, so
 * (a:p -> b:q) and (b:q -> a:p) hash the same, while a:p and a:q on the
 * same host (src == dst) still differ.
 */
static uint32_t
flow_hash(const struct flow_table *t, const struct packet *pkt)
{
	uint32_t a, b, lo, hi;

	a = endpoint_hash(t, &pkt->src, pkt->sport);
	b = endpoint_hash(t, &pkt->dst, pkt->dport);
	lo = a < b ? a : b;
	hi = a < b ? b : a;
	return mix32(lo ^ mix32(hi ^ ((uint32_t)pkt->vlan << 8 | pkt->proto)));
}

static bool
has_ports(uint8_t proto)
{
	return proto == TRANSPORT_TCP || proto == TRANSPORT_UDP;
}

static enum flow_list
flow_list_of(const struct flow *f)
{
	switch (f->proto) {
	case TRANSPORT_TCP:
		if ((f->tcp & FLOW_TCP_RST) != 0 ||
		    (f->tcp & (FLOW_TCP_FIN_C | FLOW_TCP_FIN_S)) ==
		    (FLOW_TCP_FIN_C | FLOW_TCP_FIN_S))
			return LIST_TCP_CLOSED;
		return LIST_TCP;
	case TRANSPORT_UDP:
		return LIST_UDP;
	default:
		return LIST_OTHER;
	}
}

static void
list_unlink(struct flow_table *t, struct flow *f)
{
	struct flow_list_head *l = &t->lists[f->list];

	if (f->lprev != FLOW_NIL)
		t->slots[f->lprev].lnext = f->lnext;
	else
		l->head = f->lnext;
	if (f->lnext != FLOW_NIL)
		t->slots[f->lnext].lprev = f->lprev;
	else
		l->tail = f->lprev;
	f->lprev = f->lnext = FLOW_NIL;
}

static void
list_push_head(struct flow_table *t, struct flow *f, enum flow_list which)
{
	struct flow_list_head *l = &t->lists[which];
	uint32_t idx = (uint32_t)(f - t->slots);

	f->list = (uint8_t)which;
	f->lprev = FLOW_NIL;
	f->lnext = l->head;
	if (l->head != FLOW_NIL)
		t->slots[l->head].lprev = idx;
	else
		l->tail = idx;
	l->head = idx;
}

static void
hash_unlink(struct flow_table *t, struct flow *f)
{
	uint32_t idx = (uint32_t)(f - t->slots);
	uint32_t *link = &t->buckets[f->hash & t->mask];

	while (*link != idx)
		link = &t->slots[*link].hnext;
	*link = f->hnext;
}

/*
 * The one way a flow ends.  The callback runs first, with the flow still
 * whole; it owns the analyzer state and the evidence list and must have
 * freed them when it returns,
 * because the slot is wiped and may be reused by the very next packet.
 */
static void
flow_end(struct flow_table *t, struct flow *f, enum flow_end why)
{
	uint32_t idx = (uint32_t)(f - t->slots);

	if (t->on_end != NULL)
		t->on_end(t->arg, f, why);
	switch (why) {
	case FLOW_END_CLOSED:
		t->st.ended_closed++;
		break;
	case FLOW_END_IDLE:
		t->st.ended_idle++;
		break;
	case FLOW_END_EVICTED:
		t->st.evicted++;
		break;
	case FLOW_END_SHUTDOWN:
		t->st.ended_shutdown++;
		break;
	}
	t->st.active--;
	hash_unlink(t, f);
	list_unlink(t, f);
	memset(f, 0, sizeof(*f));
	f->hnext = t->free_head;
	t->free_head = idx;
}

int
flow_evidence_add(struct flow *f, const struct flow_evidence *ev)
{
	struct flow_evidence_list *l = f->evidence;
	struct flow_evidence *e;
	unsigned i;

	if (l == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			return -1;
		f->evidence = l;
	}
	for (i = 0; i < l->n; i++) {
		e = &l->ev[i];
		if (e->method == ev->method && e->has_uuid == ev->has_uuid &&
		    (!ev->has_uuid || (e->ver_major == ev->ver_major &&
		    memcmp(e->uuid, ev->uuid, 16) == 0)) &&
		    strncmp(e->pipe, ev->pipe, sizeof(e->pipe)) == 0 &&
		    strncmp(e->key, ev->key, sizeof(e->key)) == 0)
			return (int)i + 1;
	}
	if (l->n == FLOW_MAX_EVIDENCE)
		return -1;
	e = &l->ev[l->n++];
	*e = *ev;
	e->pipe[sizeof(e->pipe) - 1] = '\0';
	e->key[sizeof(e->key) - 1] = '\0';
	e->counted = false;
	memset(e->pkts, 0, sizeof(e->pkts));
	memset(e->bytes, 0, sizeof(e->bytes));
	memset(e->drained_pkts, 0, sizeof(e->drained_pkts));
	memset(e->drained_bytes, 0, sizeof(e->drained_bytes));
	return (int)l->n;
}

struct flow_evidence *
flow_evidence_get(struct flow *f, int idx)
{
	if (f->evidence == NULL || idx < 1 || (unsigned)idx > f->evidence->n)
		return NULL;
	return &f->evidence->ev[idx - 1];
}

void
flow_evidence_charge(struct flow *f, int idx, int dir, uint32_t wire_len)
{
	struct flow_evidence *e = flow_evidence_get(f, idx);

	if (e == NULL || dir < 0 || dir > 1)
		return;
	e->pkts[dir]++;
	e->bytes[dir] += wire_len;
}

void
flow_evidence_free(struct flow *f)
{
	free(f->evidence);
	f->evidence = NULL;
}

/* A random seed, so that chain lengths cannot be steered from the wire. */
static uint32_t
flow_seed(const struct flow_table *t)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	return (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)t;
}

struct flow_table *
flow_table_create(const struct flow_table_config *cfg,
    flow_is_service_fn is_service, flow_end_fn on_end, void *arg)
{
	struct flow_table *t;
	uint32_t i, nbuckets;

	/* The bucket count below must fit a uint32_t. */
	if (cfg->capacity == 0 || cfg->capacity > UINT32_C(1) << 31)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->capacity = cfg->capacity;
	for (nbuckets = 1; nbuckets < cfg->capacity; nbuckets <<= 1)
		continue;
	t->mask = nbuckets - 1;
	t->slots = calloc(cfg->capacity, sizeof(*t->slots));
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	t->order = calloc(cfg->capacity, sizeof(*t->order));
	if (t->slots == NULL || t->buckets == NULL || t->order == NULL) {
		free(t->slots);
		free(t->buckets);
		free(t->order);
		free(t);
		return NULL;
	}
	for (i = 0; i < nbuckets; i++)
		t->buckets[i] = FLOW_NIL;
	/*
	 * Slots are handed out from a high-water mark before the free list
	 * is used, so the memory of a large table is touched only as flows
	 * arrive: a million-flow capacity costs nothing until it is needed.
	 */
	t->free_head = FLOW_NIL;
	t->hiwater = 0;
	for (i = 0; i < LIST__COUNT; i++)
		t->lists[i].head = t->lists[i].tail = FLOW_NIL;
	flow_table_set_timeouts(t, cfg);
	t->seed = flow_seed(t);
	t->is_service = is_service;
	t->on_end = on_end;
	t->arg = arg;
	return t;
}

/*
 * A list keeps its flows in last_us order whatever its timeout, so a new
 * timeout needs no reordering: the next expiry pass applies it.
 */
void
flow_table_set_timeouts(struct flow_table *t, const struct flow_table_config *cfg)
{
	t->lists[LIST_TCP].timeout_us = (uint64_t)cfg->tcp_idle_s * 1000000;
	t->lists[LIST_TCP_CLOSED].timeout_us =
	    (uint64_t)cfg->tcp_closed_s * 1000000;
	t->lists[LIST_UDP].timeout_us = (uint64_t)cfg->udp_idle_s * 1000000;
	t->lists[LIST_OTHER].timeout_us = (uint64_t)cfg->other_idle_s * 1000000;
}

void
flow_table_destroy(struct flow_table *t)
{
	if (t == NULL)
		return;
	flow_table_end_all(t);
	free(t->slots);
	free(t->buckets);
	free(t->order);
	free(t);
}

/*
 * addr_eq() for the lookup, which runs once per packet: a compare of
 * known size that the compiler inlines, where a call to addr.c cannot be.
 */
static bool
same_addr(const struct addr *a, const struct addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/* The flow of a packet, and the packet's direction in it. */
static struct flow *
flow_lookup(struct flow_table *t, const struct packet *pkt, uint32_t h,
    int *dir)
{
	uint32_t idx;
	struct flow *f;

	for (idx = t->buckets[h & t->mask]; idx != FLOW_NIL; idx = f->hnext) {
		f = &t->slots[idx];
		if (f->hash != h || f->proto != pkt->proto ||
		    f->vlan != pkt->vlan)
			continue;
		if (f->client_port == pkt->sport &&
		    f->server_port == pkt->dport &&
		    same_addr(&f->client, &pkt->src) &&
		    same_addr(&f->server, &pkt->dst)) {
			*dir = FLOW_C2S;
			return f;
		}
		if (f->client_port == pkt->dport &&
		    f->server_port == pkt->sport &&
		    same_addr(&f->client, &pkt->dst) &&
		    same_addr(&f->server, &pkt->src)) {
			*dir = FLOW_S2C;
			return f;
		}
	}
	return NULL;
}

/*
 * UDP request/reply pairs whose two ports are both "well known": the
 * reply goes from the server port to the client port, so its destination
 * looks like a listener too (DHCP's 68 is the DHCP Client service's
 * port) and ranks cannot tell the two apart.  The server port serves,
 * whichever packet came first.
 */
static const struct {
	uint16_t	server;
	uint16_t	client;
} reply_pairs[] = {
	{ 67, 68 },		/* DHCP / BOOTP */
	{ 547, 546 },		/* DHCPv6 */
	{ 4011, 68 },		/* PXE proxy DHCP */
};

/*
 * Which end of a new flow serves.  The handshake says it outright; without
 * one (capture started mid-stream, UDP, a reply seen before its request)
 * the first packet may be a reply, so its direction proves nothing and
 * both ends are weighed:
 * 1. a well-known request/reply pair (DHCP 67/68): the server port;
 * 2. the end the is_service hook ranks higher (learned endpoint > catalog
 *    listener on a system port > on a registered port > on an ephemeral
 *    port: a DNS reply to a client's port 63500 must not make the client
 *    a WDS multicast server because a catalog range covers 63500);
 *    equal non-zero ranks: the destination, as for a request;
 * 3. a group destination (a multicast or broadcast packet asks whoever
 *    listens: DHCPv6 546 -> ff02::1:2 547 is a client however its ports
 *    compare);
 * 4. the lower port, since clients take ephemeral high ports.
 * Transports without ports have nothing better than the first packet's
 * destination.
 */
static bool
src_is_server(const struct flow_table *t, const struct packet *pkt)
{
	int rs, rd;
	size_t i;

	if (pkt->proto == TRANSPORT_TCP && (pkt->tcp_flags & TCP_SYN) != 0)
		return (pkt->tcp_flags & TCP_ACK) != 0;
	if (!has_ports(pkt->proto))
		return false;
	if (pkt->proto == TRANSPORT_UDP)
		for (i = 0; i < sizeof(reply_pairs) / sizeof(reply_pairs[0]);
		    i++) {
			if (pkt->sport == reply_pairs[i].server &&
			    pkt->dport == reply_pairs[i].client)
				return true;
			if (pkt->dport == reply_pairs[i].server &&
			    pkt->sport == reply_pairs[i].client)
				return false;
		}
	if (t->is_service != NULL) {
		rd = t->is_service(t->arg, pkt->proto, &pkt->dst, pkt->dport);
		rs = t->is_service(t->arg, pkt->proto, &pkt->src, pkt->sport);
		if (rs != rd)
			return rs > rd;
		if (rd != FLOW_RANK_NONE)
			return false;
	}
	if (addr_is_group(&pkt->dst) || pkt->link_group)
		return false;
	return pkt->sport < pkt->dport;
}

/* The least recently used flow: the oldest of the lists' tails. */
static struct flow *
flow_lru(struct flow_table *t)
{
	struct flow *f, *victim = NULL;
	int i;

	for (i = 0; i < LIST__COUNT; i++) {
		if (t->lists[i].tail == FLOW_NIL)
			continue;
		f = &t->slots[t->lists[i].tail];
		if (victim == NULL || f->last_us < victim->last_us)
			victim = f;
	}
	return victim;
}

static struct flow *
flow_new(struct flow_table *t, const struct packet *pkt, uint32_t h, int *dir)
{
	struct flow *f;
	uint32_t idx;

	if (t->free_head == FLOW_NIL && t->hiwater < t->capacity) {
		idx = t->hiwater++;
		f = &t->slots[idx];
	} else {
		if (t->free_head == FLOW_NIL)
			flow_end(t, flow_lru(t), FLOW_END_EVICTED);
		idx = t->free_head;
		f = &t->slots[idx];
		t->free_head = f->hnext;
	}

	if (src_is_server(t, pkt)) {
		f->client = pkt->dst;
		f->server = pkt->src;
		f->client_port = pkt->dport;
		f->server_port = pkt->sport;
		*dir = FLOW_S2C;
	} else {
		f->client = pkt->src;
		f->server = pkt->dst;
		f->client_port = pkt->sport;
		f->server_port = pkt->dport;
		*dir = FLOW_C2S;
		f->to_group = pkt->link_group;
	}
	f->to_group = f->to_group || addr_is_group(&f->server);
	f->vlan = pkt->vlan;
	f->proto = pkt->proto;
	f->first_us = f->last_us = pkt->ts_us;
	/* The engine classifies right after creation; until then, nothing. */
	f->cls = FLOW_CLASSIFIED;
	f->method = METHOD_NONE;
	f->service = -1;
	f->port_row = -1;
	f->iface = -1;
	f->hash = h;
	f->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = idx;
	f->in_use = true;
	list_push_head(t, f, flow_list_of(f));

	t->st.created++;
	if (++t->st.active > t->st.peak)
		t->st.peak = t->st.active;
	return f;
}

static void
flow_tcp_update(struct flow *f, const struct packet *pkt, int dir)
{
	uint8_t fl = pkt->tcp_flags;

	if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN && dir == FLOW_C2S)
		f->tcp |= FLOW_TCP_SYN;
	else if ((fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) &&
	    dir == FLOW_S2C)
		f->tcp |= FLOW_TCP_SYNACK;
	else if ((fl & (TCP_SYN | TCP_ACK)) == TCP_ACK && dir == FLOW_C2S &&
	    (f->tcp & FLOW_TCP_SYNACK) != 0)
		f->tcp |= FLOW_TCP_ESTABLISHED;
	/* A short snaplen cuts the payload, not the fact that there was one. */
	if (pkt->payload_wire_len > 0)
		f->tcp |= dir == FLOW_C2S ? FLOW_TCP_DATA_C : FLOW_TCP_DATA_S;
	if ((f->tcp & (FLOW_TCP_DATA_C | FLOW_TCP_DATA_S)) ==
	    (FLOW_TCP_DATA_C | FLOW_TCP_DATA_S))
		f->tcp |= FLOW_TCP_ESTABLISHED;
	if ((fl & TCP_FIN) != 0)
		f->tcp |= dir == FLOW_C2S ? FLOW_TCP_FIN_C : FLOW_TCP_FIN_S;
	if ((fl & TCP_RST) != 0)
		f->tcp |= FLOW_TCP_RST;
}

struct flow *
flow_table_packet(struct flow_table *t, const struct packet *pkt, int *dir,
    bool *created)
{
	uint32_t h = flow_hash(t, pkt);
	struct flow *f;

	*created = false;
	f = flow_lookup(t, pkt, h, dir);
	/*
	 * A new SYN on a closed connection's 5-tuple is the port being
	 * reused: the old conversation ends here rather than absorbing the
	 * new one (its linger exists only to catch stray final packets).
	 */
	if (f != NULL && f->list == LIST_TCP_CLOSED &&
	    (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		flow_end(t, f, FLOW_END_CLOSED);
		f = NULL;
	}
	if (f == NULL) {
		f = flow_new(t, pkt, h, dir);
		*created = true;
	}

	f->touched = true;
	f->pkts[*dir]++;
	f->bytes[*dir] += pkt->wire_len;
	/* Capture files can step back in time; last_us never does. */
	if (pkt->ts_us > f->last_us)
		f->last_us = pkt->ts_us;
	if (pkt->payload_len > 0 && f->payload_pkts < UINT32_MAX)
		f->payload_pkts++;
	if (*dir == FLOW_S2C) {
		f->server_replied = true;
		if (f->proto != TRANSPORT_TCP || (pkt->tcp_flags & TCP_RST) == 0)
			f->answered = true;
	}
	if (f->proto == TRANSPORT_TCP)
		flow_tcp_update(f, pkt, *dir);

	if (t->lists[f->list].head != (uint32_t)(f - t->slots) ||
	    flow_list_of(f) != f->list) {
		list_unlink(t, f);
		list_push_head(t, f, flow_list_of(f));
	}
	return f;
}

/*
 * Each list is in order of last activity, so everything behind the first
 * live flow from the tail is live too: the walk ends flows that are due and
 * then stops, and its cost is the number of flows it ends plus one per list.
 * (When packet times step backwards the order is only nearly right: a flow
 * touched later may carry an earlier time.  It then waits until the flows
 * ahead of it expire, which delays its end without losing it.)
 */
void
flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	struct flow_list_head *l;
	struct flow *f;
	int i;

	for (i = 0; i < LIST__COUNT; i++) {
		l = &t->lists[i];
		while (l->tail != FLOW_NIL) {
			f = &t->slots[l->tail];
			if (now_us < f->last_us ||
			    now_us - f->last_us < l->timeout_us)
				break;
			flow_end(t, f, i == LIST_TCP_CLOSED ?
			    FLOW_END_CLOSED : FLOW_END_IDLE);
		}
	}
}

static int
order_cmp(const void *a, const void *b)
{
	const struct flow_order *x = a, *y = b;

	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/*
 * Oldest first, so that output built from the callbacks does not depend
 * on slot reuse or hash seed.
 */
void
flow_table_end_all(struct flow_table *t)
{
	uint32_t i, n = 0;

	for (i = 0; i < t->hiwater; i++) {
		if (!t->slots[i].in_use)
			continue;
		t->order[n].first_us = t->slots[i].first_us;
		t->order[n].slot = i;
		n++;
	}
	qsort(t->order, n, sizeof(*t->order), order_cmp);
	for (i = 0; i < n; i++)
		flow_end(t, &t->slots[t->order[i].slot], FLOW_END_SHUTDOWN);
}

void
flow_table_foreach(struct flow_table *t, void (*fn)(void *arg, struct flow *f),
    void *arg)
{
	uint32_t i;

	for (i = 0; i < t->hiwater; i++)
		if (t->slots[i].in_use)
			fn(arg, &t->slots[i]);
}

static int
slot_cmp(const void *a, const void *b)
{
	const struct flow_order *x = a, *y = b;

	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/*
 * A packet marks its flow and moves it to the head of its list, and a new
 * flow starts marked at a head, so the marked flows of a list are exactly
 * its first ones: the walk stops at the first unmarked flow.  They are
 * visited in slot order, as a full scan would, so that whatever the
 * callback builds does not depend on which walk ran.
 */
void
flow_table_foreach_touched(struct flow_table *t,
    void (*fn)(void *arg, struct flow *f), void *arg)
{
	uint32_t idx, i, n = 0;
	int l;

	for (l = 0; l < LIST__COUNT; l++)
		for (idx = t->lists[l].head; idx != FLOW_NIL &&
		    t->slots[idx].touched; idx = t->slots[idx].lnext) {
			t->slots[idx].touched = false;
			t->order[n++].slot = idx;
		}
	qsort(t->order, n, sizeof(*t->order), slot_cmp);
	for (i = 0; i < n; i++)
		fn(arg, &t->slots[t->order[i].slot]);
}

void
flow_table_get_stats(const struct flow_table *t, struct flow_table_stats *st)
{
	*st = t->st;
}
