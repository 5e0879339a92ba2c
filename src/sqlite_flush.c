/*
 * sqlite_flush.c - the SQLite sink: one flush in one transaction, the
 * runs, and retention.
 *
 * A flush writes the batch's rows, clients and hosts (and its attempts
 * and their clients), and the RPC operations and their clients, with
 * several-row
 * upserts in primary-key order, the run's counters (one row per
 * registered counter, stats.h), decode reasons and capture counters, the
 * endpoints that changed and the alert rows, then commits; any failure
 * rolls all of it back and the writer keeps the batch for the next flush.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "svcmap/alert.h"
#include "svcmap/decode.h"
#include "svcmap/endpoint.h"
#include "svcmap/flow.h"
#include "svcmap/names.h"
#include "svcmap/opstats.h"
#include "svcmap/stats.h"
#include "svcmap/store.h"
#include "sqlite_int.h"

/*
 * Each statement costs a fixed overhead (run, reset, halt) beside its
 * rows, a quarter of a one-row upsert, so batches go in chunks of up to
 * UPSERT_MAX_ROWS rows, each chunk a power of two so that a handful of
 * statements, prepared on first use, serve every batch size.
 *
 * The rows go in the exact order of each table's primary key.  A new row
 * then lands next to the one before it: SQLite finds the place without
 * a search from the root while its cursor sits on the last row of the
 * table, which is where new buckets, and every row of a fresh database,
 * go; and a statement's journal holds few pages, since neighbours share
 * them.  The sensor is the same for every row of a flush, so it orders
 * nothing.
 */
static const struct upsert {
	int		 ncols;
	int		 single;	/* the one-row statement, ST_* */
	const char	*what;		/* table, for errors */
} upserts[UP__COUNT] = {
	[UP_STATS] = { 21, ST_STATS, "service_stats" },
	[UP_CLIENT] = { 9, ST_CLIENT, "service_clients" },
	[UP_HOST] = { 4, ST_HOST, "hosts" },
	[UP_OP] = { 10, ST_OP, "rpc_operations" },
	[UP_OP_CLIENT] = { 9, ST_OP_CLIENT, "rpc_operation_clients" },
	[UP_OUT_CLIENT] = { 12, ST_OUT_CLIENT, "outbound" },
	[UP_OUT_SERVER] = { 12, ST_OUT_SERVER, "outbound_servers" },
};

static void
bind_row(struct sqlite_store *s, sqlite3_stmt *st, int i, const void *item,
    char tb[8])
{
	const struct stats_row *r = item;

	sqlite3_bind_int64(st, i + 1, STORE_RES_MINUTE);
	sqlite3_bind_int64(st, i + 2, r->key.bucket);
	sqlite3_bind_text(st, i + 3, s->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 4, r->key.service, -1, SQLITE_STATIC);
	sqlite_bind_addr(st, i + 5, &r->key.server);
	sqlite3_bind_int(st, i + 6, r->key.port);
	sqlite3_bind_text(st, i + 7, sqlite_transport_word(r->key.transport,
	    tb), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 8, r->key.vlan);
	sqlite3_bind_text(st, i + 9, sqlite_method_word(r->key.method), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, i + 10, r->key.pipe, -1, SQLITE_STATIC);
	sqlite_bind_u64(st, i + 11, r->flows);
	sqlite_bind_u64(st, i + 12, r->pkts[FLOW_C2S]);
	sqlite_bind_u64(st, i + 13, r->pkts[FLOW_S2C]);
	sqlite_bind_u64(st, i + 14, r->bytes[FLOW_C2S]);
	sqlite_bind_u64(st, i + 15, r->bytes[FLOW_S2C]);
	sqlite3_bind_int64(st, i + 16, r->first_s);
	sqlite3_bind_int64(st, i + 17, r->last_s);
	sqlite3_bind_text(st, i + 18, r->protocol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 19, r->interface, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 20, r->smb_dialect);
	sqlite_bind_u64(st, i + 21, r->smb_encrypted);
}

static void
bind_client(struct sqlite_store *s, sqlite3_stmt *st, int i,
    const void *item, char tb[8])
{
	const struct stats_client *c = item;

	sqlite3_bind_text(st, i + 1, s->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 2, c->service, -1, SQLITE_STATIC);
	sqlite_bind_addr(st, i + 3, &c->server);
	sqlite3_bind_int(st, i + 4, c->port);
	sqlite3_bind_text(st, i + 5, sqlite_transport_word(c->transport, tb),
	    -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 6, c->vlan);
	sqlite_bind_addr(st, i + 7, &c->client);
	sqlite3_bind_int64(st, i + 8, c->first_s);
	sqlite3_bind_int64(st, i + 9, c->last_s);
}

static void
bind_host(struct sqlite_store *s, sqlite3_stmt *st, int i, const void *item,
    char tb[8])
{
	const struct stats_host *h = item;

	(void)tb;
	sqlite3_bind_text(st, i + 1, s->sensor, -1, SQLITE_STATIC);
	sqlite_bind_addr(st, i + 2, &h->server);
	sqlite3_bind_int64(st, i + 3, h->first_s);
	sqlite3_bind_int64(st, i + 4, h->last_s);
}

/* The key columns of an operation, from parameter i + 2 on. */
static void
bind_op_key(sqlite3_stmt *st, int i, const struct op_key *k, char tb[8])
{
	char u[UUID_STRLEN];

	sqlite_bind_addr(st, i + 2, &k->server);
	sqlite3_bind_int(st, i + 3, k->port);
	sqlite3_bind_text(st, i + 4, sqlite_transport_word(k->transport, tb),
	    -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 5, uuid_fmt(k->uuid, u), -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int(st, i + 6, k->opnum);
}

static void
bind_op(struct sqlite_store *s, sqlite3_stmt *st, int i, const void *item,
    char tb[8])
{
	const struct op_row *r = item;

	sqlite3_bind_text(st, i + 1, s->sensor, -1, SQLITE_STATIC);
	bind_op_key(st, i, &r->key, tb);
	sqlite3_bind_int(st, i + 7, r->ver_major);
	sqlite_bind_u64(st, i + 8, r->calls);
	sqlite3_bind_int64(st, i + 9, r->first_s);
	sqlite3_bind_int64(st, i + 10, r->last_s);
}

static void
bind_op_client(struct sqlite_store *s, sqlite3_stmt *st, int i,
    const void *item, char tb[8])
{
	const struct op_client *c = item;

	sqlite3_bind_text(st, i + 1, s->sensor, -1, SQLITE_STATIC);
	bind_op_key(st, i, &s->op_rows[c->row].key, tb);
	sqlite_bind_addr(st, i + 7, &c->client);
	sqlite3_bind_int64(st, i + 8, c->first_s);
	sqlite3_bind_int64(st, i + 9, c->last_s);
}

static void
bind_outbound(struct sqlite_store *s, sqlite3_stmt *st, int i,
    const void *item, char tb[8])
{
	const struct stats_outbound *o = item;

	sqlite3_bind_text(st, i + 1, s->sensor, -1, SQLITE_STATIC);
	sqlite_bind_addr(st, i + 2, &o->peer);
	sqlite3_bind_text(st, i + 3, sqlite_transport_word(o->transport, tb),
	    -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 4, o->port);
	sqlite3_bind_text(st, i + 5, o->protocol, -1, SQLITE_STATIC);
	sqlite_bind_u64(st, i + 6, o->flows);
	sqlite_bind_u64(st, i + 7, o->pkts[FLOW_C2S]);
	sqlite_bind_u64(st, i + 8, o->pkts[FLOW_S2C]);
	sqlite_bind_u64(st, i + 9, o->bytes[FLOW_C2S]);
	sqlite_bind_u64(st, i + 10, o->bytes[FLOW_S2C]);
	sqlite3_bind_int64(st, i + 11, o->first_s);
	sqlite3_bind_int64(st, i + 12, o->last_s);
}

static void (*const upsert_bind[UP__COUNT])(struct sqlite_store *,
    sqlite3_stmt *, int, const void *, char[8]) = {
	[UP_STATS] = bind_row,
	[UP_CLIENT] = bind_client,
	[UP_HOST] = bind_host,
	[UP_OP] = bind_op,
	[UP_OP_CLIENT] = bind_op_client,
	[UP_OUT_CLIENT] = bind_outbound,
	[UP_OUT_SERVER] = bind_outbound,
};

/*
 * Compare as SQLite does: integers by value, text by its bytes
 * (strcmp() compares them as unsigned char), BLOBs with memcmp().
 */
#define CMP(x, y)	((x) < (y) ? -1 : (x) > (y))

static int
cmp_addr(const struct addr *a, const struct addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

static int
cmp_transport(uint8_t a, uint8_t b)
{
	char ba[8], bb[8];

	if (a == b)
		return 0;
	return strcmp(sqlite_transport_word(a, ba),
	    sqlite_transport_word(b, bb));
}

/* Primary key: resolution (one per flush), bucket, sensor (one),
 * service, server_ip, port, transport, vlan, method, pipe. */
static int
cmp_stats(const void *pa, const void *pb)
{
	const struct stats_key *a =
	    &(*(const struct stats_row *const *)pa)->key;
	const struct stats_key *b =
	    &(*(const struct stats_row *const *)pb)->key;
	int c;

	if ((c = CMP(a->bucket, b->bucket)) != 0 ||
	    (c = strcmp(a->service, b->service)) != 0 ||
	    (c = cmp_addr(&a->server, &b->server)) != 0 ||
	    (c = CMP(a->port, b->port)) != 0 ||
	    (c = cmp_transport(a->transport, b->transport)) != 0 ||
	    (c = CMP(a->vlan, b->vlan)) != 0)
		return c;
	if (a->method != b->method)
		return strcmp(sqlite_method_word(a->method),
		    sqlite_method_word(b->method));
	return strcmp(a->pipe, b->pipe);
}

/* Primary key: sensor (one), service, server_ip, port, transport, vlan,
 * client_ip. */
static int
cmp_client(const void *pa, const void *pb)
{
	const struct stats_client *a = *(const struct stats_client *const *)pa;
	const struct stats_client *b = *(const struct stats_client *const *)pb;
	int c;

	if ((c = strcmp(a->service, b->service)) != 0 ||
	    (c = cmp_addr(&a->server, &b->server)) != 0 ||
	    (c = CMP(a->port, b->port)) != 0 ||
	    (c = cmp_transport(a->transport, b->transport)) != 0 ||
	    (c = CMP(a->vlan, b->vlan)) != 0)
		return c;
	return cmp_addr(&a->client, &b->client);
}

/* Primary key: sensor (one), ip. */
static int
cmp_host(const void *pa, const void *pb)
{
	return cmp_addr(&(*(const struct stats_host *const *)pa)->server,
	    &(*(const struct stats_host *const *)pb)->server);
}

/*
 * Primary key: sensor (one), server_ip, port, transport, interface_uuid,
 * opnum.  The UUID's bytes are in text order and its text is lower-case
 * hex, so memcmp() orders as the text does.
 */
static int
cmp_op_key(const struct op_key *a, const struct op_key *b)
{
	int c;

	if ((c = cmp_addr(&a->server, &b->server)) != 0 ||
	    (c = CMP(a->port, b->port)) != 0 ||
	    (c = cmp_transport(a->transport, b->transport)) != 0 ||
	    (c = memcmp(a->uuid, b->uuid, sizeof(a->uuid))) != 0)
		return c;
	return CMP(a->opnum, b->opnum);
}

static int
cmp_op(const void *pa, const void *pb)
{
	return cmp_op_key(&(*(const struct op_row *const *)pa)->key,
	    &(*(const struct op_row *const *)pb)->key);
}

/* qsort() has no argument: the rows the clients index, for one sort. */
static const struct op_row *cmp_op_rows;

/* Primary key: the operation's, then client_ip. */
static int
cmp_op_client(const void *pa, const void *pb)
{
	const struct op_client *a = *(const struct op_client *const *)pa;
	const struct op_client *b = *(const struct op_client *const *)pb;
	int c;

	if (a->row != b->row && (c = cmp_op_key(&cmp_op_rows[a->row].key,
	    &cmp_op_rows[b->row].key)) != 0)
		return c;
	return cmp_addr(&a->client, &b->client);
}

/* Primary key: sensor (one), client_ip or server_ip, transport, port. */
static int
cmp_outbound(const void *pa, const void *pb)
{
	const struct stats_outbound *a =
	    *(const struct stats_outbound *const *)pa;
	const struct stats_outbound *b =
	    *(const struct stats_outbound *const *)pb;
	int c;

	if ((c = cmp_addr(&a->peer, &b->peer)) != 0 ||
	    (c = cmp_transport(a->transport, b->transport)) != 0)
		return c;
	return CMP(a->port, b->port);
}

static int (*const upsert_cmp[UP__COUNT])(const void *, const void *) = {
	[UP_STATS] = cmp_stats,
	[UP_CLIENT] = cmp_client,
	[UP_HOST] = cmp_host,
	[UP_OP] = cmp_op,
	[UP_OP_CLIENT] = cmp_op_client,
	[UP_OUT_CLIENT] = cmp_outbound,
	[UP_OUT_SERVER] = cmp_outbound,
};

/*
 * The n items in primary key order, in s->order; false when there was
 * no memory for it, and the rows go in batch order.
 */
static bool
upsert_order(struct sqlite_store *s, int which, const void *items,
    size_t size, size_t n)
{
	const void **o;
	size_t i;

	if (n == 0)
		return true;
	if (n > s->order_cap) {
		if ((o = reallocarray(s->order, n, sizeof(*o))) == NULL)
			return false;
		s->order = o;
		s->order_cap = n;
	}
	for (i = 0; i < n; i++)
		s->order[i] = (const char *)items + i * size;
	qsort(s->order, n, sizeof(*s->order), upsert_cmp[which]);
	return true;
}

/* The statement writing 2^lg rows of one table; prepared on first use. */
static sqlite3_stmt *
upsert_stmt(struct sqlite_store *s, int which, int lg, char *err,
    size_t errlen)
{
	const struct upsert *u = &upserts[which];
	char sql[8192];
	size_t len;
	int r, c;

	if (lg == 0)
		return s->st[u->single];
	if (s->multi[which][lg] != NULL)
		return s->multi[which][lg];
	/* Anonymous parameters number themselves: r * ncols + c + 1. */
	len = (size_t)snprintf(sql, sizeof(sql), "%s",
	    sqlite_upsert_head[which]);
	for (r = 0; r < 1 << lg && len < sizeof(sql); r++)
		for (c = 0; c < u->ncols && len < sizeof(sql); c++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
			    "%s?%s", c > 0 ? "" : r > 0 ? ",(" : "(",
			    c < u->ncols - 1 ? "," : ")");
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s",
		    sqlite_upsert_tail[which]);
	if (len >= sizeof(sql)) {
		sqlite_seterr(err, errlen, "%s: statement too long", u->what);
		return NULL;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->multi[which][lg], NULL) != SQLITE_OK) {
		sqlite_dberr(s->db, err, errlen, u->what);
		return NULL;
	}
	return s->multi[which][lg];
}

/*
 * Upsert n items of one table, the largest chunks first: the result is
 * the same as one statement per item in any order, since the items of a
 * batch have distinct keys.
 */
static int
flush_upserts(struct sqlite_store *s, int which, const void *items,
    size_t size, size_t n, char *err, size_t errlen)
{
	char tb[UPSERT_MAX_ROWS][8];
	const struct upsert *u = &upserts[which];
	const void *item;
	sqlite3_stmt *st;
	size_t i, j, k;
	bool ordered;
	int lg;

	ordered = upsert_order(s, which, items, size, n);
	for (i = 0; i < n; i += k) {
		for (lg = UPSERT_SIZES - 1; (size_t)1 << lg > n - i; lg--)
			continue;
		k = (size_t)1 << lg;
		if ((st = upsert_stmt(s, which, lg, err, errlen)) == NULL)
			return -1;
		for (j = 0; j < k; j++) {
			item = ordered ? s->order[i + j] :
			    (const char *)items + (i + j) * size;
			upsert_bind[which](s, st, (int)j * u->ncols, item,
			    tb[j]);
		}
		if (sqlite_step_done(s->db, st, err, errlen, u->what) == -1)
			return -1;
	}
	return 0;
}

/*
 * Attempt rows and their clients, one statement each: a flush holds a
 * few (a scan is one row per port probed), and their counters add up.
 */
static int
flush_attempts(struct sqlite_store *s, const struct stats_batch *b,
    char *err, size_t errlen)
{
	const struct stats_attempt *a = stats_batch_attempts(b);
	const struct stats_client *c = stats_batch_attempt_clients(b);
	sqlite3_stmt *st;
	char tb[8];
	size_t i;

	st = s->st[ST_ATTEMPT];
	for (i = 0; i < stats_batch_nattempts(b); i++) {
		sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
		sqlite_bind_addr(st, 2, &a[i].server);
		sqlite3_bind_int(st, 3, a[i].port);
		sqlite3_bind_text(st, 4, sqlite_transport_word(a[i].transport,
		    tb), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, a[i].vlan);
		sqlite_bind_u64(st, 6, a[i].refused);
		sqlite_bind_u64(st, 7, a[i].unanswered);
		sqlite_bind_u64(st, 8, a[i].pkts);
		sqlite_bind_u64(st, 9, a[i].bytes);
		sqlite3_bind_int64(st, 10, a[i].first_s);
		sqlite3_bind_int64(st, 11, a[i].last_s);
		if (sqlite_step_done(s->db, st, err, errlen, "attempts") == -1)
			return -1;
	}
	st = s->st[ST_ATTEMPT_CLIENT];
	for (i = 0; i < stats_batch_nattempt_clients(b); i++) {
		sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
		sqlite_bind_addr(st, 2, &c[i].server);
		sqlite3_bind_int(st, 3, c[i].port);
		sqlite3_bind_text(st, 4, sqlite_transport_word(c[i].transport,
		    tb), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, c[i].vlan);
		sqlite_bind_addr(st, 6, &c[i].client);
		sqlite3_bind_int64(st, 7, c[i].first_s);
		sqlite3_bind_int64(st, 8, c[i].last_s);
		if (sqlite_step_done(s->db, st, err, errlen,
		    "attempt_clients") == -1)
			return -1;
	}
	return 0;
}

int64_t
sqlite_run_begin(struct store *base, const char *mode, const char *inputs,
    int64_t started_s)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *st = s->st[ST_RUN_BEGIN];

	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, inputs, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, started_s);
	if (sqlite_step_done(s->db, st, NULL, 0, "run") == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/*
 * The run row's times and one run_counters row per registered counter:
 * a counter added to the registry is stored with no schema change.
 */
static int
flush_totals(struct sqlite_store *s, int64_t run_id,
    const struct run_totals *t, int64_t now_s, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_RUN_TOTALS], *c = s->st[ST_RUN_COUNTER];
	sqlite3_stmt *d = s->st[ST_RUN_DECODE];
	size_t i;

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, now_s);
	sqlite3_bind_int64(st, 3, t->first_s);
	sqlite3_bind_int64(st, 4, t->last_s);
	if (sqlite_step_done(s->db, st, err, errlen, "runs") == -1)
		return -1;
	if (sqlite3_changes(s->db) != 1) {
		sqlite_seterr(err, errlen, "runs: no run %" PRId64, run_id);
		return -1;
	}
	for (i = 0; i < counter_ndefs; i++) {
		sqlite3_bind_int64(c, 1, run_id);
		sqlite3_bind_text(c, 2, counter_defs[i].name, -1,
		    SQLITE_STATIC);
		sqlite_bind_u64(c, 3, counter_get(t, &counter_defs[i]));
		if (sqlite_step_done(s->db, c, err, errlen, "run_counters") ==
		    -1)
			return -1;
	}
	/* Counts only grow within a run: a reason once stored stays. */
	for (i = 0; i < DR__COUNT; i++) {
		if (t->decode[i] == 0)
			continue;
		sqlite3_bind_int64(d, 1, run_id);
		sqlite3_bind_text(d, 2, decode_reason_name(i), -1,
		    SQLITE_STATIC);
		sqlite_bind_u64(d, 3, t->decode[i]);
		if (sqlite_step_done(s->db, d, err, errlen, "run_decode") == -1)
			return -1;
	}
	return 0;
}

static int
flush_capture(struct sqlite_store *s, int64_t run_id,
    const struct flush_capture *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_CAPTURE];

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, c->iface, -1, SQLITE_STATIC);
	sqlite_bind_u64(st, 3, c->received);
	sqlite_bind_u64(st, 4, c->dropped);
	sqlite_bind_u64(st, 5, c->if_dropped);
	/* Wall clock: capture counters are read from a live interface. */
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	return sqlite_step_done(s->db, st, err, errlen, "capture_stats");
}

static void
collect_endpoint(void *arg, const struct endpoint_entry *e)
{
	struct sqlite_store *s = arg;
	struct endpoint_entry *n;
	size_t cap;

	if (s->eps_failed)
		return;
	if (s->neps == s->eps_cap) {
		cap = s->eps_cap ? s->eps_cap * 2 : 64;
		if ((n = reallocarray(s->eps, cap, sizeof(*n))) == NULL) {
			s->eps_failed = true;
			return;
		}
		s->eps = n;
		s->eps_cap = cap;
	}
	s->eps[s->neps++] = *e;
}

static int
flush_endpoint(struct sqlite_store *s, const struct endpoint_entry *e,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_ENDPOINT], *m = s->st[ST_ENDPOINT_MOVED];
	char u[UUID_STRLEN], c[UUID_STRLEN], ver[16], tb[8];
	const char *tr = sqlite_transport_word(e->transport, tb);

	uuid_fmt(e->uuid, u);
	/*
	 * The interface left its old port (a service restart): forget that
	 * row, or the next start would restore an endpoint that is gone.
	 */
	if (e->moved_from != 0 && e->moved_from != e->port) {
		sqlite3_bind_text(m, 1, s->sensor, -1, SQLITE_STATIC);
		sqlite_bind_addr(m, 2, &e->ip);
		sqlite3_bind_text(m, 3, tr, -1, SQLITE_STATIC);
		sqlite3_bind_int(m, 4, e->moved_from);
		sqlite3_bind_text(m, 5, u, -1, SQLITE_STATIC);
		if (sqlite_step_done(s->db, m, err, errlen, "rpc_endpoints") ==
		    -1)
			return -1;
	}
	snprintf(ver, sizeof(ver), "%u.%u", e->ver_major, e->ver_minor);
	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	sqlite_bind_addr(st, 2, &e->ip);
	sqlite3_bind_text(st, 3, tr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, e->port);
	sqlite3_bind_text(st, 5, u, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ver, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, sqlite_source_word(e->source), -1,
	    SQLITE_STATIC);
	if (e->has_clsid)
		sqlite3_bind_text(st, 8, uuid_fmt(e->clsid, c), -1,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)(e->learned_us / US_PER_S));
	sqlite3_bind_int64(st, 10,
	    (sqlite3_int64)(e->refreshed_us / US_PER_S));
	sqlite3_bind_int64(st, 11,
	    (sqlite3_int64)(e->last_used_us / US_PER_S));
	sqlite3_bind_int64(st, 12, e->announcements);
	sqlite3_bind_int64(st, 13, e->flows);
	sqlite3_bind_int(st, 14, e->moved_from);
	return sqlite_step_done(s->db, st, err, errlen, "rpc_endpoints");
}

static void
collect_name(void *arg, const struct name_entry *e)
{
	struct sqlite_store *s = arg;
	struct name_entry *n;
	size_t cap;

	if (s->nms_failed)
		return;
	if (s->nnms == s->nms_cap) {
		cap = s->nms_cap ? s->nms_cap * 2 : 64;
		if ((n = reallocarray(s->nms, cap, sizeof(*n))) == NULL) {
			s->nms_failed = true;
			return;
		}
		s->nms = n;
		s->nms_cap = cap;
	}
	s->nms[s->nnms++] = *e;
}

static int
flush_name(struct sqlite_store *s, const struct name_entry *e, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_NAME];
	char mac[18];

	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	sqlite_bind_addr(st, 2, &e->addr);
	sqlite3_bind_text(st, 3, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, names_source_name(e->source), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, names_kind_name(e->kind), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 6, e->nb_suffix);
	sqlite3_bind_int(st, 7, e->nb_group);
	if (e->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		    e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4],
		    e->mac[5]);
		sqlite3_bind_text(st, 8, mac, -1, SQLITE_TRANSIENT);
	} else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)(e->first_seen_us /
	    US_PER_S));
	sqlite3_bind_int64(st, 10, (sqlite3_int64)(e->last_seen_us /
	    US_PER_S));
	sqlite3_bind_int64(st, 11, e->seen);
	return sqlite_step_done(s->db, st, err, errlen, "host_names");
}

static int
flush_alert(struct sqlite_store *s, struct alert_record *r, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_ALERT];
	char tb[8];
	int rc;

	sqlite3_bind_text(st, 1, s->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, alert_kind_name(r->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->severity);
	sqlite_bind_addr(st, 4, &r->server);
	sqlite3_bind_text(st, 5, sqlite_transport_word(r->transport, tb), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->port);
	sqlite_bind_addr(st, 7, &r->client);
	sqlite3_bind_text(st, 8, r->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->protocol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->detail, -1, SQLITE_STATIC);
	sqlite_bind_u64(st, 11, r->count);
	sqlite_bind_u64(st, 12, r->events);
	sqlite_bind_u64(st, 13, r->suppressed);
	sqlite3_bind_int64(st, 14, r->first_seen);
	sqlite3_bind_int64(st, 15, r->last_seen);
	sqlite3_bind_int64(st, 16, r->last_event);
	sqlite3_bind_text(st, 17, r->resolved_at != 0 ? "resolved" : "open",
	    -1, SQLITE_STATIC);
	if (r->resolved_at != 0)
		sqlite3_bind_int64(st, 18, r->resolved_at);
	else
		sqlite3_bind_null(st, 18);
	sqlite3_bind_text(st, 19, r->interface, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, r->operation, -1, SQLITE_STATIC);
	/* Unknown is NULL (a row from before schema v8 is the same). */
	if (r->client_port != 0)
		sqlite3_bind_int(st, 21, r->client_port);
	if (r->community_id[0] != '\0')
		sqlite3_bind_text(st, 22, r->community_id, -1, SQLITE_STATIC);
	if (r->timestamp_us != 0)
		sqlite3_bind_int64(st, 23, r->timestamp_us);
	if (r->pcap_file[0] != '\0')
		sqlite3_bind_text(st, 24, r->pcap_file, -1, SQLITE_STATIC);
	if (r->packet != 0)
		sqlite_bind_u64(st, 25, r->packet);
	/* RETURNING gives the row then DONE; the row must be read first. */
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		sqlite_dberr(s->db, err, errlen, "alerts");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Endpoints: only the entries changed since the last flush are written.
 * endpoint_foreach() clears their dirty marks as it copies them out (so
 * the table's lock is not held across SQLite I/O); if the transaction
 * then fails, every entry is marked dirty again and the next flush
 * rewrites the table.  Rewriting all of it at every flush instead cost
 * more than half of svcmapd's CPU in the benchmark (docs/benchmark.md).
 *
 * Alert rows hold each alert's whole state, so writing a batch again (a
 * retry) changes nothing, and sets each record's id again.
 */
int
sqlite_flush(struct store *base, struct flush_handover *h, char *err,
    size_t errlen)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	const struct stats_host *hosts;
	struct alert_record *ar = NULL;
	size_t i, n, nalerts = 0;
	int64_t run_id;

	/* The file deleted or replaced since the last flush: reopen. */
	if (sqlite_lost_check(s, h, err, errlen) == -1)
		return -1;
	run_id = sqlite_run_id(s, h->run_id);
	s->neps = 0;
	s->eps_failed = false;
	if (h->endpoints != NULL) {
		endpoint_foreach(h->endpoints, true, collect_endpoint, s);
		if (s->eps_failed) {
			endpoint_mark_all_dirty(h->endpoints);
			sqlite_seterr(err, errlen,
			    "rpc_endpoints: out of memory");
			return -1;
		}
	}
	/* Names as endpoints: the dirty ones, copied out of the lock. */
	s->nnms = 0;
	s->nms_failed = false;
	if (h->names != NULL) {
		names_foreach(h->names, true, collect_name, s);
		if (s->nms_failed) {
			names_mark_all_dirty(h->names);
			if (h->endpoints != NULL && s->neps > 0)
				endpoint_mark_all_dirty(h->endpoints);
			sqlite_seterr(err, errlen, "host_names: out of memory");
			return -1;
		}
	}
	if (h->alerts != NULL)
		ar = alert_batch_records(h->alerts, &nalerts);
	if (sqlite_exec(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		goto fail;
	if (h->batch != NULL) {
		/* A host once per flush, not once per row of it. */
		if (stats_batch_hosts(h->batch, &hosts, &n) == -1) {
			sqlite_seterr(err, errlen, "hosts: out of memory");
			goto fail;
		}
		if (flush_upserts(s, UP_STATS, stats_batch_rows(h->batch),
		    sizeof(struct stats_row), stats_batch_nrows(h->batch),
		    err, errlen) == -1 ||
		    flush_upserts(s, UP_HOST, hosts, sizeof(*hosts), n,
		    err, errlen) == -1 ||
		    flush_upserts(s, UP_CLIENT, stats_batch_clients(h->batch),
		    sizeof(struct stats_client),
		    stats_batch_nclients(h->batch), err, errlen) == -1 ||
		    flush_upserts(s, UP_OUT_CLIENT,
		    stats_batch_outbounds(h->batch, STATS_OUT_CLIENT),
		    sizeof(struct stats_outbound),
		    stats_batch_noutbound(h->batch, STATS_OUT_CLIENT), err,
		    errlen) == -1 ||
		    flush_upserts(s, UP_OUT_SERVER,
		    stats_batch_outbounds(h->batch, STATS_OUT_SERVER),
		    sizeof(struct stats_outbound),
		    stats_batch_noutbound(h->batch, STATS_OUT_SERVER), err,
		    errlen) == -1 ||
		    flush_attempts(s, h->batch, err, errlen) == -1)
			goto fail;
	}
	if (h->ops != NULL) {
		s->op_rows = op_batch_rows(h->ops);
		cmp_op_rows = s->op_rows;
		if (flush_upserts(s, UP_OP, op_batch_rows(h->ops),
		    sizeof(struct op_row), op_batch_nrows(h->ops), err,
		    errlen) == -1 ||
		    flush_upserts(s, UP_OP_CLIENT, op_batch_clients(h->ops),
		    sizeof(struct op_client), op_batch_nclients(h->ops), err,
		    errlen) == -1)
			goto fail;
	}
	if (h->totals != NULL && flush_totals(s, run_id, h->totals,
	    h->now_s, err, errlen) == -1)
		goto fail;
	for (i = 0; i < h->ncaptures; i++)
		if (flush_capture(s, run_id, &h->captures[i], err,
		    errlen) == -1)
			goto fail;
	for (i = 0; i < s->neps; i++)
		if (flush_endpoint(s, &s->eps[i], err, errlen) == -1)
			goto fail;
	for (i = 0; i < s->nnms; i++)
		if (flush_name(s, &s->nms[i], err, errlen) == -1)
			goto fail;
	for (i = 0; i < nalerts; i++)
		if (flush_alert(s, &ar[i], err, errlen) == -1)
			goto fail;
	if (sqlite_exec(s->db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite_rollback(s->db);
	if (h->endpoints != NULL && s->neps > 0)
		endpoint_mark_all_dirty(h->endpoints);
	if (h->names != NULL && s->nnms > 0)
		names_mark_all_dirty(h->names);
	return -1;
}

/* Roll rows of resolution `from` older than cutoff into `to` rows. */
static int
rollup(struct sqlite_store *s, int64_t from, int64_t to, int64_t cutoff,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_ROLLUP], *d = s->st[ST_DELETE_STATS];

	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, cutoff);
	if (sqlite_step_done(s->db, st, err, errlen, "rollup") == -1)
		return -1;
	sqlite3_bind_int64(d, 1, from);
	sqlite3_bind_int64(d, 2, cutoff);
	return sqlite_step_done(s->db, d, err, errlen, "rollup");
}

/*
 * Rows are rolled whole: a minute row whose bucket starts before the
 * cutoff goes into its hour (UTC) and is deleted; a later flush or prune
 * that brings more minutes of the same hour adds to that hour row.
 * Clients, hosts, host names, RPC operations and connection attempts
 * (and their clients) not seen within the host retention (the day retention when it is 0) go,
 * and outbound rows not seen within the outbound retention.
 * Retention is the file's, so it covers every sensor's rows in it.
 */
int
sqlite_prune(struct store *base, const struct store_retention *r,
    int64_t now_s, char *err, size_t errlen)
{
	static const int host_st[] = { ST_DELETE_NAMES, ST_DELETE_OPS,
	    ST_DELETE_OP_CLIENTS, ST_DELETE_CLIENTS, ST_DELETE_HOSTS,
	    ST_DELETE_ATTEMPTS, ST_DELETE_ATTEMPT_CLIENTS };
	static const int out_st[] = { ST_DELETE_OUT_CLIENTS,
	    ST_DELETE_OUT_SERVERS };
	struct sqlite_store *s = (struct sqlite_store *)base;
	uint32_t host_days;
	int64_t cutoff;
	size_t i;

	if (s->db == NULL) {
		sqlite_seterr(err, errlen, "%s: database lost, not reopened "
		    "yet", s->path);
		return -1;
	}
	if (sqlite_exec(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		goto fail;
	if (rollup(s, STORE_RES_MINUTE, STORE_RES_HOUR,
	    now_s - (int64_t)r->minute_days * 86400, err, errlen) == -1 ||
	    rollup(s, STORE_RES_HOUR, STORE_RES_DAY,
	    now_s - (int64_t)r->hour_days * 86400, err, errlen) == -1)
		goto fail;
	if (r->day_days != 0) {
		cutoff = now_s - (int64_t)r->day_days * 86400;
		sqlite3_bind_int64(s->st[ST_DELETE_STATS], 1, STORE_RES_DAY);
		sqlite3_bind_int64(s->st[ST_DELETE_STATS], 2, cutoff);
		if (sqlite_step_done(s->db, s->st[ST_DELETE_STATS], err,
		    errlen, "prune") == -1)
			goto fail;
	}
	host_days = r->host_days != 0 ? r->host_days : r->day_days;
	for (i = 0; host_days != 0 && i < sizeof(host_st) / sizeof(host_st[0]);
	    i++) {
		cutoff = now_s - (int64_t)host_days * 86400;
		sqlite3_bind_int64(s->st[host_st[i]], 1, cutoff);
		if (sqlite_step_done(s->db, s->st[host_st[i]], err, errlen,
		    "prune") == -1)
			goto fail;
	}
	for (i = 0; r->outbound_days != 0 &&
	    i < sizeof(out_st) / sizeof(out_st[0]); i++) {
		cutoff = now_s - (int64_t)r->outbound_days * 86400;
		sqlite3_bind_int64(s->st[out_st[i]], 1, cutoff);
		if (sqlite_step_done(s->db, s->st[out_st[i]], err, errlen,
		    "prune") == -1)
			goto fail;
	}
	if (sqlite_exec(s->db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite_rollback(s->db);
	return -1;
}
