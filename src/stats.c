/*
 * stats.c - the in-memory batch of per-service counters between flushes.
 *
 * Rows live in one array that doubles when full; an open-addressing
 * index (linear probing, power-of-two size, at most half full) maps a key
 * to its row.  Clients get the same pair of structures.  Memory is taken
 * only when a new row or client appears, never per packet, and
 * stats_batch_clear() keeps it so that a steady state allocates nothing.
 *
 * Keys are hashed and compared field by field: struct stats_key has
 * padding (and a service string whose tail after the NUL is garbage), so
 * hashing or memcmp() of the whole struct would split one row in two.
 *
 * A flush writes a few dozen rows, but one burst of ended flows can grow
 * the index to many thousand slots for good.  Clearing therefore empties
 * only the slots in use, found again by hash, when they are few: the cost
 * of a flush follows its rows, not the largest batch ever seen.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/stats.h"

#define INDEX_EMPTY	UINT32_MAX
#define MIN_SLOTS	64

/* One growable array of fixed-size records with its hash index. */
struct table {
	void		*items;
	size_t		 n;
	size_t		 cap;		/* items allocated */
	uint32_t	*slots;		/* item index or INDEX_EMPTY */
	size_t		 nslots;	/* power of two */
};

struct stats_batch {
	struct table	rows;		/* struct stats_row */
	struct table	clients;	/* struct stats_client */
	/*
	 * struct stats_host, derived from the rows on demand.  Scratch
	 * rather than contents, reached through a pointer so that the
	 * store can build it on the const batch it is given.
	 */
	struct table	*hosts;
};

static const char *const class_names[PKT__COUNT] = {
	[PKT_CLASSIFIED] = "classified",
	[PKT_UNDOCUMENTED] = "undocumented",
	[PKT_UNMONITORED] = "unmonitored",
	[PKT_NON_IP] = "non_ip",
	[PKT_MALFORMED] = "malformed",
};

const char *
packet_class_name(enum packet_class c)
{
	if ((unsigned)c >= PKT__COUNT)
		return "unknown";
	return class_names[c];
}

#define RT(f)	offsetof(struct run_totals, f)
#define C(name, key, metric, class, unit, help, f) \
	{ name, key, metric, class, help, unit, COUNTER_COUNTER, RT(f) }
#define G(name, key, metric, class, unit, help, f) \
	{ name, key, metric, class, help, unit, COUNTER_GAUGE, RT(f) }

#define PKT_HELP	"Packets by class; the classes partition " \
			"svcmap_packets_total."
#define BYTE_HELP	"Bytes by class; the classes partition " \
			"svcmap_bytes_total."
#define FLOW_HELP	"Flows by class; the classes partition " \
			"svcmap_flows_total."

/*
 * The names of the rows are schema v2's runs columns (the v3 migration
 * copies those columns by name); the keys are svcmapctl summary's
 * name=value keys and the metrics /metrics exported before the registry,
 * so that neither changed.  The order is the output order.
 */
const struct counter_def counter_defs[] = {
	C("packets", "packets", "svcmap_packets_total", NULL, "packets",
	    "Packets read, as of the last flush.", packets),
	C("pkt_classified", "packets.classified",
	    "svcmap_packets_by_class_total", "classified", "packets",
	    PKT_HELP, pkt_class[PKT_CLASSIFIED]),
	C("pkt_undocumented", "packets.undocumented",
	    "svcmap_packets_by_class_total", "undocumented", "packets",
	    PKT_HELP, pkt_class[PKT_UNDOCUMENTED]),
	C("pkt_unmonitored", "packets.unmonitored",
	    "svcmap_packets_by_class_total", "unmonitored", "packets",
	    PKT_HELP, pkt_class[PKT_UNMONITORED]),
	C("pkt_non_ip", "packets.non_ip", "svcmap_packets_by_class_total",
	    "non_ip", "packets", PKT_HELP, pkt_class[PKT_NON_IP]),
	C("pkt_malformed", "packets.malformed",
	    "svcmap_packets_by_class_total", "malformed", "packets",
	    PKT_HELP, pkt_class[PKT_MALFORMED]),
	C("bytes", "bytes", "svcmap_bytes_total", NULL, "bytes",
	    "Bytes read (whole frames), as of the last flush.", bytes),
	C("byte_classified", "bytes.classified",
	    "svcmap_bytes_by_class_total", "classified", "bytes", BYTE_HELP,
	    byte_class[PKT_CLASSIFIED]),
	C("byte_undocumented", "bytes.undocumented",
	    "svcmap_bytes_by_class_total", "undocumented", "bytes",
	    BYTE_HELP, byte_class[PKT_UNDOCUMENTED]),
	C("byte_unmonitored", "bytes.unmonitored",
	    "svcmap_bytes_by_class_total", "unmonitored", "bytes", BYTE_HELP,
	    byte_class[PKT_UNMONITORED]),
	C("byte_non_ip", "bytes.non_ip", "svcmap_bytes_by_class_total",
	    "non_ip", "bytes", BYTE_HELP, byte_class[PKT_NON_IP]),
	C("byte_malformed", "bytes.malformed", "svcmap_bytes_by_class_total",
	    "malformed", "bytes", BYTE_HELP, byte_class[PKT_MALFORMED]),
	C("flows", "flows", "svcmap_flows_total", NULL, "flows",
	    "Flows seen (each counted once).", flows),
	C("flows_classified", "flows.classified",
	    "svcmap_flows_by_class_total", "classified", "flows", FLOW_HELP,
	    flow_class[0]),
	C("flows_undocumented", "flows.undocumented",
	    "svcmap_flows_by_class_total", "undocumented", "flows",
	    FLOW_HELP, flow_class[1]),
	C("flows_unmonitored", "flows.unmonitored",
	    "svcmap_flows_by_class_total", "unmonitored", "flows", FLOW_HELP,
	    flow_class[2]),
	C("flows_evicted", "flows.evicted", "svcmap_flows_evicted_total",
	    NULL, "flows", "Flows evicted because the flow table was full.",
	    flows_evicted),
	G("flows_active", "flows.active", "svcmap_flows_active", NULL,
	    "flows", "Flows tracked at the last flush.", flows_active),
	C("fragments", "fragments", "svcmap_fragments_total", NULL, "packets",
	    "IP fragments after the first (they carry no ports).", fragments),
	C("dpi_mismatches", "dpi_mismatches", "svcmap_dpi_mismatches_total",
	    NULL, "flows", "Flows where nDPI's protocol disagreed with the "
	    "catalog's.", dpi_mismatches),
	C("dpi_skipped", "dpi.skipped", "svcmap_dpi_skipped_total", NULL,
	    "flows", "Flows attributed without nDPI: dpi-max-flows flows "
	    "held nDPI state.", dpi_skipped),
	G("dpi_flows", "dpi.flows", "svcmap_dpi_flows", NULL, "flows",
	    "Flows holding nDPI state at the last flush.", dpi_flows),
	C("rpc_pdus", "rpc.pdus", "svcmap_rpc_pdus_total", NULL, "pdus",
	    "DCE/RPC PDUs parsed.", rpc_pdus),
	C("rpc_truncated", "rpc.truncated", "svcmap_rpc_truncated_total",
	    NULL, "pdus", "DCE/RPC PDUs cut short (snap length, lost "
	    "segment).", rpc_truncated),
	C("rpc_invalid", "rpc.invalid", "svcmap_rpc_invalid_total", NULL,
	    "pdus", "DCE/RPC PDUs with a lying length, count or version.",
	    rpc_invalid),
	C("rpc_gaps", "rpc.gaps", "svcmap_rpc_gaps_total", NULL, "gaps",
	    "TCP gaps the DCE/RPC parser resynchronised over.", rpc_gaps),
	C("epm_replies", "rpc.epm_replies", "svcmap_epm_replies_total", NULL,
	    "pdus", "Endpoint mapper ept_map/ept_lookup replies parsed.",
	    epm_replies),
	C("endpoints_learned", "rpc.endpoints_learned",
	    "svcmap_endpoints_learned_total", NULL, "endpoints",
	    "RPC endpoints learned (new, not refreshed).", endpoints_learned),
	C("clock_outliers", "clock_outliers", "svcmap_clock_outliers_total",
	    NULL, "packets", "Packets stamped more than 10 minutes ahead of "
	    "the clock and of the next packet, counted at the clock's time.",
	    clock_outliers),
	C("smb_messages", "smb.messages", "svcmap_smb_messages_total", NULL,
	    "messages", "SMB session messages framed on 445/139.",
	    smb_messages),
	C("smb_truncated", "smb.truncated", "svcmap_smb_truncated_total",
	    NULL, "messages", "SMB messages cut by a gap or a short header.",
	    smb_truncated),
	C("smb_invalid", "smb.invalid", "svcmap_smb_invalid_total", NULL,
	    "messages", "SMB messages with lying lengths or offsets.",
	    smb_invalid),
	C("smb_gaps", "smb.gaps", "svcmap_smb_gaps_total", NULL, "gaps",
	    "TCP gaps the SMB parser resynchronised over.", smb_gaps),
	C("smb_encrypted", "smb.encrypted", "svcmap_smb_encrypted_total",
	    NULL, "messages", "Encrypted SMB3 messages (counted, not read).",
	    smb_encrypted),
	C("smb_pipes_opened", "smb.pipes_opened",
	    "svcmap_smb_pipes_opened_total", NULL, "pipes",
	    "SMB named pipes opened.", smb_pipes_opened),
	C("smb_pipe_msgs", "smb.pipe_msgs", "svcmap_smb_pipe_messages_total",
	    NULL, "messages", "SMB messages that carried named-pipe bytes.",
	    smb_pipe_msgs),
	C("smb_pipes_unparsed", "smb.pipes_unparsed",
	    "svcmap_smb_pipes_unparsed_total", NULL, "pipes",
	    "Pipes left without a DCE/RPC parser (per-session bound hit).",
	    smb_pipes_unparsed),
	C("names_messages", "names.messages", "svcmap_names_messages_total",
	    NULL, "messages", "Name service messages (DNS, NBNS, DHCP, "
	    "Kerberos, CLDAP, NTLM) parsed for host names.", names_messages),
	C("names_invalid", "names.invalid", "svcmap_names_invalid_total",
	    NULL, "messages", "Name service messages cut short or with a "
	    "lying length.", names_invalid),
	C("names_facts", "names.facts", "svcmap_names_facts_total", NULL,
	    "names", "Host names found in name service messages.",
	    names_facts),
	C("names_rejected", "names.rejected", "svcmap_names_rejected_total",
	    NULL, "names", "Names refused by the name policy (too long, "
	    "bad UTF-8, control or other bad characters).", names_rejected),
	C("names_evicted", "names.evicted", "svcmap_names_evicted_total",
	    NULL, "names", "Names dropped because the name table was full.",
	    names_evicted),
	G("names_known", "names.known", "svcmap_names_known", NULL, "names",
	    "Names in the name table at the last flush.", names_known),
	C("rpc_calls", "rpc.calls", "svcmap_rpc_calls_total", NULL, "calls",
	    "DCE/RPC requests (first fragments) counted as operations.",
	    rpc_calls),
	C("rpc_ops_dropped", "rpc.ops_dropped", "svcmap_rpc_ops_dropped_total",
	    NULL, "calls", "RPC calls not counted: the operations table "
	    "(rpc-operations-capacity) was full.", rpc_ops_dropped),
	C("rpc_op_clients_dropped", "rpc.op_clients_dropped",
	    "svcmap_rpc_op_clients_dropped_total", NULL, "clients",
	    "RPC operation clients not recorded: the operations table was "
	    "full.", rpc_op_clients_dropped),
};

const size_t counter_ndefs = sizeof(counter_defs) / sizeof(counter_defs[0]);

uint64_t
counter_get(const struct run_totals *t, const struct counter_def *d)
{
	uint64_t v;

	memcpy(&v, (const char *)t + d->offset, sizeof(v));
	return v;
}

void
counter_set(struct run_totals *t, const struct counter_def *d, uint64_t v)
{
	memcpy((char *)t + d->offset, &v, sizeof(v));
}

const struct counter_def *
counter_find(const char *name)
{
	size_t i;

	for (i = 0; i < counter_ndefs; i++)
		if (strcmp(counter_defs[i].name, name) == 0)
			return &counter_defs[i];
	return NULL;
}

/* FNV-1a, fed one field at a time (the service key). */
static uint32_t
fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= 16777619u;
	}
	return h;
}

#define FNV_INIT 2166136261u

/* One 32-bit word into a running hash (multiply, then fold the high bits). */
static uint32_t
mix(uint32_t h, uint32_t w)
{
	h = (h ^ w) * 0x9e3779b1u;
	return h ^ h >> 16;
}

/* An address a word at a time: a quarter of the steps of a byte-wise hash. */
static uint32_t
mix_addr(uint32_t h, const struct addr *a)
{
	uint32_t w[4];
	int i;

	memcpy(w, a->b, sizeof(w));
	for (i = 0; i < 4; i++)
		h = mix(h, w[i]);
	return h;
}

static uint32_t
key_hash(const struct stats_key *k)
{
	uint32_t h;

	h = fnv(FNV_INIT, k->service, strnlen(k->service, STATS_KEY_LEN - 1));
	h = mix_addr(h, &k->server);
	h = mix(h, (uint32_t)k->port << 16 | k->vlan);
	h = mix(h, (uint32_t)k->transport << 8 | k->method);
	h = mix(h, (uint32_t)k->bucket);
	h = mix(h, (uint32_t)((uint64_t)k->bucket >> 32));
	/* Only pipe rows have a pipe: the others skip the byte loop. */
	if (k->pipe[0] != '\0')
		h = fnv(h, k->pipe, strnlen(k->pipe, STATS_PIPE_LEN - 1));
	return h;
}

static bool
key_eq(const struct stats_key *a, const struct stats_key *b)
{
	return a->port == b->port && a->vlan == b->vlan &&
	    a->transport == b->transport && a->method == b->method &&
	    a->bucket == b->bucket && addr_eq(&a->server, &b->server) &&
	    strncmp(a->service, b->service, STATS_KEY_LEN - 1) == 0 &&
	    strncmp(a->pipe, b->pipe, STATS_PIPE_LEN - 1) == 0;
}

/* A service key into a zeroed field, always NUL-terminated. */
static void
copy_key(char dst[STATS_KEY_LEN], const char *src)
{
	memcpy(dst, src, strnlen(src, STATS_KEY_LEN - 1));
}

/* Copy a key so that padding and the string tail are zero. */
static void
key_copy(struct stats_key *dst, const struct stats_key *src)
{
	memset(dst, 0, sizeof(*dst));
	copy_key(dst->service, src->service);
	dst->server = src->server;
	dst->port = src->port;
	dst->vlan = src->vlan;
	dst->transport = src->transport;
	dst->method = src->method;
	dst->bucket = src->bucket;
	memcpy(dst->pipe, src->pipe, strnlen(src->pipe, STATS_PIPE_LEN - 1));
}

static uint32_t
client_hash(const struct stats_client *c)
{
	uint32_t h;

	h = fnv(FNV_INIT, c->service, strnlen(c->service, STATS_KEY_LEN - 1));
	h = mix_addr(h, &c->server);
	h = mix(h, (uint32_t)c->port << 16 | c->vlan);
	h = mix(h, c->transport);
	return mix_addr(h, &c->client);
}

static bool
client_eq(const struct stats_client *a, const struct stats_client *b)
{
	return a->port == b->port && a->vlan == b->vlan &&
	    a->transport == b->transport && addr_eq(&a->server, &b->server) &&
	    addr_eq(&a->client, &b->client) &&
	    strncmp(a->service, b->service, STATS_KEY_LEN - 1) == 0;
}

/* Earliest of two times where 0 means "not set". */
static int64_t
time_min(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static int64_t
time_max(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/*
 * Make room for `want` items without touching the contents on failure:
 * both the array and the index are reallocated before either is
 * replaced, so a failed grow leaves the table as it was.
 */
static int
table_reserve(struct table *t, size_t want, size_t itemsize,
    uint32_t (*hash)(const void *))
{
	size_t cap, nslots, i;
	uint32_t *slots;
	void *items;

	if (want > UINT32_MAX - 1)
		return -1;
	if (want > t->cap) {
		cap = t->cap ? t->cap : MIN_SLOTS / 2;
		while (cap < want)
			cap *= 2;
		if ((items = realloc(t->items, cap * itemsize)) == NULL)
			return -1;
		t->items = items;
		t->cap = cap;
	}
	/* Keep the index at most half full so probes stay short. */
	if (want * 2 <= t->nslots)
		return 0;
	nslots = t->nslots ? t->nslots : MIN_SLOTS;
	while (want * 2 > nslots)
		nslots *= 2;
	if ((slots = malloc(nslots * sizeof(*slots))) == NULL)
		return -1;
	memset(slots, 0xff, nslots * sizeof(*slots));
	for (i = 0; i < t->n; i++) {
		size_t s = hash((const char *)t->items + i * itemsize) &
		    (nslots - 1);

		while (slots[s] != INDEX_EMPTY)
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/*
 * Empty the index.  Clearing one item's slot costs a hash and a short
 * probe, about as much as sixteen slots of memset; past that the memset
 * is cheaper.  Slots can be emptied in any order: nothing probes the
 * index until it is empty.
 */
static void
table_clear(struct table *t, size_t itemsize, uint32_t (*hash)(const void *))
{
	size_t i, s;

	if (t->slots != NULL && t->n * 16 >= t->nslots)
		memset(t->slots, 0xff, t->nslots * sizeof(*t->slots));
	else if (t->slots != NULL)
		for (i = 0; i < t->n; i++) {
			s = hash((const char *)t->items + i * itemsize) &
			    (t->nslots - 1);
			while (t->slots[s] != (uint32_t)i)
				s = (s + 1) & (t->nslots - 1);
			t->slots[s] = INDEX_EMPTY;
		}
	t->n = 0;
}

static void
table_free(struct table *t)
{
	free(t->items);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint32_t
row_hash_cb(const void *p)
{
	return key_hash(&((const struct stats_row *)p)->key);
}

static uint32_t
client_hash_cb(const void *p)
{
	return client_hash(p);
}

static uint32_t
host_hash_cb(const void *p)
{
	return mix_addr(FNV_INIT, &((const struct stats_host *)p)->server);
}

struct stats_batch *
stats_batch_create(void)
{
	struct stats_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((b->hosts = calloc(1, sizeof(*b->hosts))) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void
stats_batch_destroy(struct stats_batch *b)
{
	if (b == NULL)
		return;
	table_free(&b->rows);
	table_free(&b->clients);
	table_free(b->hosts);
	free(b->hosts);
	free(b);
}

struct stats_row *
stats_batch_row(struct stats_batch *b, const struct stats_key *key)
{
	struct table *t = &b->rows;
	struct stats_row *rows, *r;
	uint32_t h = key_hash(key);
	size_t s;

	if (t->nslots != 0) {
		rows = t->items;
		for (s = h & (t->nslots - 1); t->slots[s] != INDEX_EMPTY;
		    s = (s + 1) & (t->nslots - 1))
			if (key_eq(&rows[t->slots[s]].key, key))
				return &rows[t->slots[s]];
	}
	if (table_reserve(t, t->n + 1, sizeof(*rows), row_hash_cb) == -1)
		return NULL;
	rows = t->items;
	for (s = h & (t->nslots - 1); t->slots[s] != INDEX_EMPTY;
	    s = (s + 1) & (t->nslots - 1))
		;
	r = &rows[t->n];
	memset(r, 0, sizeof(*r));
	key_copy(&r->key, key);
	t->slots[s] = (uint32_t)t->n++;
	return r;
}

int
stats_batch_client(struct stats_batch *b, const struct stats_client *c)
{
	struct table *t = &b->clients;
	struct stats_client *cl, *n;
	uint32_t h = client_hash(c);
	size_t s;

	if (t->nslots != 0) {
		cl = t->items;
		for (s = h & (t->nslots - 1); t->slots[s] != INDEX_EMPTY;
		    s = (s + 1) & (t->nslots - 1)) {
			n = &cl[t->slots[s]];
			if (client_eq(n, c)) {
				n->first_s = time_min(n->first_s, c->first_s);
				n->last_s = time_max(n->last_s, c->last_s);
				return 0;
			}
		}
	}
	if (table_reserve(t, t->n + 1, sizeof(*cl), client_hash_cb) == -1)
		return -1;
	cl = t->items;
	for (s = h & (t->nslots - 1); t->slots[s] != INDEX_EMPTY;
	    s = (s + 1) & (t->nslots - 1))
		;
	n = &cl[t->n];
	memset(n, 0, sizeof(*n));
	copy_key(n->service, c->service);
	n->server = c->server;
	n->port = c->port;
	n->vlan = c->vlan;
	n->transport = c->transport;
	n->client = c->client;
	n->first_s = c->first_s;
	n->last_s = c->last_s;
	t->slots[s] = (uint32_t)t->n++;
	return 0;
}

size_t
stats_batch_nrows(const struct stats_batch *b)
{
	return b->rows.n;
}

const struct stats_row *
stats_batch_rows(const struct stats_batch *b)
{
	return b->rows.items;
}

size_t
stats_batch_nclients(const struct stats_batch *b)
{
	return b->clients.n;
}

const struct stats_client *
stats_batch_clients(const struct stats_batch *b)
{
	return b->clients.items;
}

/*
 * Built at each call rather than kept up to date, because the caller
 * changes a row's times after stats_batch_row() has returned it.
 */
int
stats_batch_hosts(const struct stats_batch *b,
    const struct stats_host **hosts, size_t *n)
{
	const struct stats_row *rows = b->rows.items;
	struct table *t = b->hosts;
	struct stats_host *hs, *h;
	uint32_t hash;
	size_t i, s;

	table_clear(t, sizeof(*hs), host_hash_cb);
	/* Room for one host per row, so the loop below cannot fail. */
	if (b->rows.n > 0 &&
	    table_reserve(t, b->rows.n, sizeof(*hs), host_hash_cb) == -1)
		return -1;
	hs = t->items;
	for (i = 0; i < b->rows.n; i++) {
		hash = mix_addr(FNV_INIT, &rows[i].key.server);
		for (s = hash & (t->nslots - 1); t->slots[s] != INDEX_EMPTY;
		    s = (s + 1) & (t->nslots - 1))
			if (addr_eq(&hs[t->slots[s]].server,
			    &rows[i].key.server))
				break;
		/* Plain min and max, as the store's upsert would take them. */
		if (t->slots[s] != INDEX_EMPTY) {
			h = &hs[t->slots[s]];
			if (rows[i].first_s < h->first_s)
				h->first_s = rows[i].first_s;
			h->last_s = time_max(h->last_s, rows[i].last_s);
			continue;
		}
		h = &hs[t->n];
		h->server = rows[i].key.server;
		h->first_s = rows[i].first_s;
		h->last_s = rows[i].last_s;
		t->slots[s] = (uint32_t)t->n++;
	}
	*hosts = hs;
	*n = t->n;
	return 0;
}

void
stats_batch_clear(struct stats_batch *b)
{
	table_clear(&b->rows, sizeof(struct stats_row), row_hash_cb);
	table_clear(&b->clients, sizeof(struct stats_client), client_hash_cb);
	table_clear(b->hosts, sizeof(struct stats_host), host_hash_cb);
}

/*
 * Used to fold a batch that failed to store into the next one.  Room for
 * every row and client of src is reserved first, so the merge cannot fail
 * half-way: either dst holds everything and src is empty, or (-1) both
 * are unchanged.
 */
int
stats_batch_merge(struct stats_batch *dst, struct stats_batch *src)
{
	const struct stats_row *sr = src->rows.items;
	const struct stats_client *sc = src->clients.items;
	struct stats_row *r;
	size_t i;
	int d;

	if (table_reserve(&dst->rows, dst->rows.n + src->rows.n,
	    sizeof(struct stats_row), row_hash_cb) == -1 ||
	    table_reserve(&dst->clients, dst->clients.n + src->clients.n,
	    sizeof(struct stats_client), client_hash_cb) == -1)
		return -1;
	for (i = 0; i < src->rows.n; i++) {
		/* Cannot fail: the room is reserved. */
		if ((r = stats_batch_row(dst, &sr[i].key)) == NULL)
			return -1;
		r->flows += sr[i].flows;
		for (d = 0; d < 2; d++) {
			r->pkts[d] += sr[i].pkts[d];
			r->bytes[d] += sr[i].bytes[d];
		}
		r->first_s = time_min(r->first_s, sr[i].first_s);
		r->last_s = time_max(r->last_s, sr[i].last_s);
		/* A verdict beats "unknown", whichever batch holds it. */
		if (sr[i].protocol[0] != '\0' || r->protocol[0] == '\0')
			memcpy(r->protocol, sr[i].protocol, sizeof(r->protocol));
		if (sr[i].interface[0] != '\0' || r->interface[0] == '\0')
			memcpy(r->interface, sr[i].interface,
			    sizeof(r->interface));
		r->smb_dialect = stats_dialect_min(r->smb_dialect,
		    sr[i].smb_dialect);
		r->smb_encrypted += sr[i].smb_encrypted;
	}
	for (i = 0; i < src->clients.n; i++)
		if (stats_batch_client(dst, &sc[i]) == -1)
			return -1;
	stats_batch_clear(src);
	return 0;
}
