/*
 * alert.c - decide, deduplicate, rate-limit and publish alerts.
 *
 * The decision side runs on the classifier thread and never blocks: the
 * dedup table and the (server, service) set are preallocated open
 * addressing tables, and a full table counts what it could not track
 * instead of growing.  Time is packet time, like everything the engine
 * does, so a capture gives the same alerts on every run.  Publishing
 * (JSON lines, syslog) runs on the writer's side, after the rows are
 * stored, so a slow disk never stalls classification.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "svcmap/alert.h"
#include "svcmap/catalog.h"
#include "svcmap/community_id.h"
#include "svcmap/config.h"
#include "svcmap/flow.h"
#include "svcmap/json.h"
#include "svcmap/log.h"
#include "svcmap/opwatch.h"
#include "svcmap/record.h"
#include "svcmap/roles.h"
#include "svcmap/stats.h"
#include "svcmap/store.h"
#include "svcmap/transport.h"

#define US_PER_S 1000000ULL
#define UNMAPPED_DETAIL "dynamic RPC port with no learned endpoint or bind"

_Static_assert(ALERT__COUNT == ALERT_KINDS,
    "config.h alert_kind[] follows enum alert_kind");
_Static_assert((ALERT_TABLE_SIZE & (ALERT_TABLE_SIZE - 1)) == 0 &&
    (ALERT_KNOWN_SIZE & (ALERT_KNOWN_SIZE - 1)) == 0 &&
    (ALERT_DC_SIZE & (ALERT_DC_SIZE - 1)) == 0 &&
    (ALERT_STORM_SIZE & (ALERT_STORM_SIZE - 1)) == 0,
    "table sizes are powers of two (masking, not modulo)");

static const char *const kind_names[ALERT__COUNT] = {
	[ALERT_UNDOCUMENTED_SERVICE] = "undocumented_service",
	[ALERT_PROTOCOL_MISMATCH] = "protocol_mismatch",
	[ALERT_UNMAPPED_DYNAMIC_PORT] = "unmapped_dynamic_port",
	[ALERT_NEW_SERVICE] = "new_service",
	[ALERT_SENSITIVE_OPERATION] = "sensitive_operation",
	[ALERT_NEW_ROLE] = "new_role",
};

struct alert_slot {
	struct alert_record	 r;
	bool			 used;
};

struct known_slot {
	struct addr	 server;
	char		 service[32];
	bool		 used;
};

struct dc_slot {
	struct addr	 host;
	bool		 used;
};

/*
 * Calls of one operation by one client to one server in the current
 * window.  Direct-mapped: a pair whose slot another pair takes starts
 * its window again, which can only delay a storm alert, never invent one.
 */
struct storm_slot {
	struct addr	 client;
	struct addr	 server;
	uint32_t	 key;		/* struct alert_request.op_key */
	uint32_t	 calls;
	int64_t		 start_s;	/* the window's first call */
	bool		 used;
};

/* A served row restored from the store (strings copied). */
struct restored_row {
	struct addr	 host;
	char		 service[STATS_KEY_LEN];
	char		 interface[STATS_NAME_LEN];
	char		 pipe[STATS_PIPE_LEN];
	uint16_t	 port;
	int64_t		 first_s;
	int64_t		 last_s;
};

/*
 * An unmapped_dynamic_port alert held for the grace period (alert-grace):
 * the flows it counts so far, keyed like the alert by (server,
 * transport, port).  Evidence within the grace drops it unpublished.
 */
struct grace_slot {
	struct addr	 server;
	struct addr	 client;	/* of the latest flow */
	uint16_t	 client_port;	/* the latest flow's, for the */
	uint64_t	 flow_last_us;	/* join fields (flow_facts()) */
	uint64_t	 last_number;
	const char	*last_file;
	uint16_t	 port;
	uint8_t		 transport;
	bool		 used;
	char		 protocol[32];	/* nDPI verdict of the latest flow */
	uint64_t	 first_us;	/* packet time of the first flow */
	uint64_t	 last_us;
	uint64_t	 count;		/* flows */
};

struct alert_batch {
	struct alert_record	*recs;
	size_t			 n;
	size_t			 cap;
	uint32_t		 pos[ALERT_TABLE_SIZE];	/* slot -> index + 1 */
};

struct alerts {
	struct config		 cfg;
	struct alert_slot	*slots;
	struct known_slot	*known;
	struct dc_slot		*dc;
	struct storm_slot	*storm;
	struct role_track	*roles;		/* what hosts served */
	bool			 roles_quiet;	/* settling: remember only */
	/* Served rows from the store, until alert_roles_settle(). */
	struct restored_row	*restored;
	size_t			 nrestored, restored_cap;
	struct grace_slot	*grace;
	uint32_t		 ngrace;	/* used grace slots */
	struct alert_batch	*batch;
	uint64_t		 start_us;	/* learning starts here */
	int64_t			 rate_minute[ALERT__COUNT];
	uint32_t		 rate_count[ALERT__COUNT];
	uint64_t		 overflows;
};

const char *
alert_kind_name(enum alert_kind k)
{
	return (unsigned)k < ALERT__COUNT ? kind_names[k] : "unknown";
}

int
alert_kind_find(const char *name)
{
	int i;

	for (i = 0; i < ALERT__COUNT; i++)
		if (strcmp(kind_names[i], name) == 0)
			return i;
	return -1;
}

struct alerts *
alert_create(const struct config *cfg, char *err, size_t errlen)
{
	struct alerts *a;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->slots = calloc(ALERT_TABLE_SIZE, sizeof(*a->slots))) == NULL ||
	    (a->known = calloc(ALERT_KNOWN_SIZE, sizeof(*a->known))) == NULL ||
	    (a->dc = calloc(ALERT_DC_SIZE, sizeof(*a->dc))) == NULL ||
	    (a->storm = calloc(ALERT_STORM_SIZE, sizeof(*a->storm))) == NULL ||
	    (a->roles = role_track_create(cfg->role_capacity)) == NULL ||
	    (a->grace = calloc(ALERT_GRACE_SIZE, sizeof(*a->grace))) == NULL ||
	    (a->batch = alert_batch_create()) == NULL) {
		snprintf(err, errlen, "alerts: out of memory");
		alert_destroy(a);
		return NULL;
	}
	a->cfg = *cfg;
	return a;
}

/*
 * Raised alerts, the known-services baseline and the learning start stay:
 * a reload changes what is raised from now on, not what was.
 */
void
alert_set_config(struct alerts *a, const struct config *cfg)
{
	a->cfg = *cfg;
}

void
alert_destroy(struct alerts *a)
{
	if (a == NULL)
		return;
	free(a->slots);
	free(a->known);
	free(a->dc);
	free(a->storm);
	role_track_destroy(a->roles);
	free(a->restored);
	free(a->grace);
	alert_batch_destroy(a->batch);
	free(a);
}

static uint32_t
str_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/*
 * An alert's key: (kind, server, transport, port), and for
 * sensitive_operation also (interface, operation); "" for the others.
 */
static uint32_t
key_hash(uint8_t kind, const struct addr *server, uint8_t transport,
    uint16_t port, const char *iface, const char *op)
{
	uint32_t h = ((uint32_t)kind << 24) ^ ((uint32_t)transport << 16) ^
	    port;

	if (*op != '\0')
		h ^= str_hash(iface) * 31 + str_hash(op);
	return addr_hash(server, h);
}

/* The slot of an alert key, a free slot for it, or NULL when full. */
static struct alert_slot *
slot_find(struct alerts *a, uint8_t kind, const struct addr *server,
    uint8_t transport, uint16_t port, const char *iface, const char *op)
{
	uint32_t h = key_hash(kind, server, transport, port, iface, op), i;
	struct alert_slot *s;

	for (i = 0; i < ALERT_TABLE_SIZE; i++) {
		s = &a->slots[(h + i) & (ALERT_TABLE_SIZE - 1)];
		if (!s->used)
			return s;
		if (s->r.kind == kind && s->r.transport == transport &&
		    s->r.port == port && addr_eq(&s->r.server, server) &&
		    strcmp(s->r.interface, iface) == 0 &&
		    strcmp(s->r.operation, op) == 0)
			return s;
	}
	return NULL;
}

/* Is (server, service) known?  add: record it.  -1: the set is full. */
static int
known_check(struct alerts *a, const struct addr *server, const char *service,
    bool add)
{
	uint32_t h = addr_hash(server, str_hash(service)), i;
	struct known_slot *k;

	for (i = 0; i < ALERT_KNOWN_SIZE; i++) {
		k = &a->known[(h + i) & (ALERT_KNOWN_SIZE - 1)];
		if (!k->used) {
			if (add) {
				k->server = *server;
				snprintf(k->service, sizeof(k->service), "%s",
				    service);
				k->used = true;
			}
			return 0;
		}
		if (addr_eq(&k->server, server) &&
		    strcmp(k->service, service) == 0)
			return 1;
	}
	return -1;
}

int
alert_restore(struct alerts *a, const struct alert_record *r)
{
	struct alert_slot *s;

	if (r->kind >= ALERT__COUNT)
		return 0;
	s = slot_find(a, r->kind, &r->server, r->transport, r->port,
	    r->interface, r->operation);
	if (s == NULL) {
		a->overflows++;
		return -1;
	}
	s->r = *r;
	s->r.pending = 0;
	s->r.slot = (uint32_t)(s - a->slots);
	s->used = true;
	return 0;
}

void
alert_restore_known(struct alerts *a, const struct addr *server,
    const char *service)
{
	if (known_check(a, server, service, true) == -1)
		a->overflows++;
	/* Only a domain controller runs the KDC (LDAP's "lsass" runs on
	 * every Windows host, so the stored service says less there). */
	if (strcmp(service, "kdc") == 0)
		alert_dc_seen(a, server);
}

void
alert_dc_seen(struct alerts *a, const struct addr *host)
{
	uint32_t h = addr_hash(host, 0x0dc), i;
	struct dc_slot *d;

	for (i = 0; i < ALERT_DC_SIZE; i++) {
		d = &a->dc[(h + i) & (ALERT_DC_SIZE - 1)];
		if (!d->used) {
			d->host = *host;
			d->used = true;
			return;
		}
		if (addr_eq(&d->host, host))
			return;
	}
	a->overflows++;
}

bool
alert_is_dc(const struct alerts *a, const struct addr *host)
{
	uint32_t h = addr_hash(host, 0x0dc), i;
	const struct dc_slot *d;

	for (i = 0; i < ALERT_DC_SIZE; i++) {
		d = &a->dc[(h + i) & (ALERT_DC_SIZE - 1)];
		if (!d->used)
			return false;
		if (addr_eq(&d->host, host))
			return true;
	}
	return false;
}

void
alert_restore_start(struct alerts *a, uint64_t start_us)
{
	if (start_us != 0 && (a->start_us == 0 || start_us < a->start_us))
		a->start_us = start_us;
}

/* Copy an alert's state into a batch; its pending raises move along. */
static int
batch_put(struct alert_batch *b, const struct alert_record *r)
{
	struct alert_record *d, *grown;
	uint32_t pending;
	size_t cap;

	if (b->pos[r->slot] != 0) {
		d = &b->recs[b->pos[r->slot] - 1];
		pending = d->pending + r->pending;
		*d = *r;
		d->pending = pending;
		return 0;
	}
	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 64;
		if ((grown = reallocarray(b->recs, cap, sizeof(*grown))) ==
		    NULL)
			return -1;
		b->recs = grown;
		b->cap = cap;
	}
	b->recs[b->n] = *r;
	b->pos[r->slot] = (uint32_t)++b->n;
	return 0;
}

/* Rate limit per kind: at most alert_rate_per_min raises a packet minute. */
static bool
rate_allows(struct alerts *a, int kind, int64_t now_s)
{
	int64_t minute = now_s / 60;

	if (a->rate_minute[kind] != minute) {
		a->rate_minute[kind] = minute;
		a->rate_count[kind] = 0;
	}
	if (a->rate_count[kind] >= a->cfg.alert_rate_per_min)
		return false;
	a->rate_count[kind]++;
	return true;
}

/* What one raise counts into which alert. */
struct raise {
	int		 kind;
	const struct flow *f;		/* server, client, transport, port */
	const char	*service;	/* NULL: none */
	const char	*protocol;	/* NULL: none */
	const char	*interface;	/* "" but for sensitive_operation */
	const char	*operation;
	const char	*detail;
	int64_t		 now_s;
	uint64_t	 n;		/* flows or calls counted */
	uint8_t		 severity;	/* 0: the kind's */
};

/*
 * What joins the alert to other tools' records of the flow counted now:
 * its client port, Community ID, and the packet that counted it (the
 * flow's latest: the engine asks at that packet, or at the flow's end).
 * A SHA-1 of 40 bytes per counted flow, never per packet.
 */
static void
flow_facts(const struct alerts *a, const struct flow *f,
    struct alert_record *r)
{
	const char *base;

	r->client_port = f->client_port;
	community_id_v1((uint16_t)a->cfg.community_id_seed, f->proto,
	    &f->client, f->client_port, &f->server, f->server_port,
	    r->community_id);
	r->timestamp_us = (int64_t)f->last_us;
	r->packet = f->last_number;
	if (f->last_file == NULL)
		r->pcap_file[0] = '\0';
	else {
		/* The name joins across hosts; the directory does not. */
		base = strrchr(f->last_file, '/');
		snprintf(r->pcap_file, sizeof(r->pcap_file), "%s",
		    base != NULL ? base + 1 : f->last_file);
	}
}

/*
 * Count flows (or calls) in their alert.  A raise (an event) is the
 * alert's first count, its first after alert_quiet_s without any, or one
 * that reopens a resolved alert.
 */
static void
raise_count(struct alerts *a, const struct raise *rs)
{
	const struct flow *f = rs->f;
	int64_t now_s = rs->now_s;
	struct alert_slot *s;
	int kind = rs->kind;
	bool event;

	if (!a->cfg.alert_kind[kind].enabled)
		return;
	s = slot_find(a, (uint8_t)kind, &f->server, f->proto, f->server_port,
	    rs->interface, rs->operation);
	if (s == NULL) {
		a->overflows++;
		return;
	}
	if (!s->used) {
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->r.kind = (uint8_t)kind;
		s->r.server = f->server;
		s->r.transport = f->proto;
		s->r.port = f->server_port;
		snprintf(s->r.interface, sizeof(s->r.interface), "%s",
		    rs->interface);
		snprintf(s->r.operation, sizeof(s->r.operation), "%s",
		    rs->operation);
		s->r.first_seen = now_s;
		s->r.slot = (uint32_t)(s - a->slots);
		event = true;
	} else
		event = s->r.resolved_at != 0 ||
		    now_s - s->r.last_seen >= (int64_t)a->cfg.alert_quiet_s;
	s->r.severity = rs->severity != 0 ? rs->severity :
	    (uint8_t)a->cfg.alert_kind[kind].severity;
	s->r.client = f->client;
	flow_facts(a, f, &s->r);
	snprintf(s->r.service, sizeof(s->r.service), "%s",
	    rs->service != NULL ? rs->service : "");
	snprintf(s->r.protocol, sizeof(s->r.protocol), "%s",
	    rs->protocol != NULL ? rs->protocol : "");
	snprintf(s->r.detail, sizeof(s->r.detail), "%s", rs->detail);
	s->r.count += rs->n;
	if (now_s > s->r.last_seen)
		s->r.last_seen = now_s;
	s->r.resolved_at = 0;
	if (event) {
		if (rate_allows(a, kind, now_s)) {
			s->r.events++;
			s->r.pending++;
		} else
			s->r.suppressed++;
		s->r.last_event = now_s;
	}
	if (batch_put(a->batch, &s->r) == 0)
		s->r.pending = 0;
}

static void
raise_alert(struct alerts *a, int kind, const struct flow *f,
    const struct alert_facts *facts, const char *detail)
{
	struct raise rs = { kind, f, facts->service, facts->protocol, "", "",
	    detail, (int64_t)(facts->now_us / US_PER_S), 1, 0 };

	raise_count(a, &rs);
}

/* Evidence arrived for a dynamic port: its open alert is resolved. */
static void
resolve_dynamic(struct alerts *a, const struct addr *server,
    uint8_t transport, uint16_t port, uint64_t now_us)
{
	struct alert_slot *s;

	s = slot_find(a, ALERT_UNMAPPED_DYNAMIC_PORT, server, transport, port,
	    "", "");
	if (s == NULL || !s->used || s->r.resolved_at != 0)
		return;
	s->r.resolved_at = (int64_t)(now_us / US_PER_S);
	batch_put(a->batch, &s->r);
}

/* The held alert of (server, transport, port), or NULL. */
static struct grace_slot *
grace_find(struct alerts *a, const struct addr *server, uint8_t transport,
    uint16_t port)
{
	struct grace_slot *g;
	uint32_t i, seen;

	for (i = 0, seen = 0; i < ALERT_GRACE_SIZE && seen < a->ngrace; i++) {
		g = &a->grace[i];
		if (!g->used)
			continue;
		seen++;
		if (g->port == port && g->transport == transport &&
		    addr_eq(&g->server, server))
			return g;
	}
	return NULL;
}

static void
grace_drop(struct alerts *a, struct grace_slot *g)
{
	g->used = false;
	a->ngrace--;
}

/* Publish a held alert: its flows counted, first seen when it began. */
static void
grace_publish(struct alerts *a, struct grace_slot *g)
{
	struct alert_slot *s;
	struct flow f;
	struct raise rs;

	memset(&f, 0, sizeof(f));
	f.server = g->server;
	f.client = g->client;
	f.client_port = g->client_port;
	f.last_us = g->flow_last_us;
	f.last_number = g->last_number;
	f.last_file = g->last_file;
	f.proto = g->transport;
	f.server_port = g->port;
	rs.kind = ALERT_UNMAPPED_DYNAMIC_PORT;
	rs.severity = 0;
	rs.f = &f;
	rs.service = NULL;
	rs.protocol = g->protocol[0] != '\0' ? g->protocol : NULL;
	rs.interface = "";
	rs.operation = "";
	rs.detail = UNMAPPED_DETAIL;
	rs.now_s = (int64_t)(g->first_us / US_PER_S);
	rs.n = g->count;
	raise_count(a, &rs);
	s = slot_find(a, ALERT_UNMAPPED_DYNAMIC_PORT, &g->server,
	    g->transport, g->port, "", "");
	if (s != NULL && s->used &&
	    (int64_t)(g->last_us / US_PER_S) > s->r.last_seen) {
		s->r.last_seen = (int64_t)(g->last_us / US_PER_S);
		batch_put(a->batch, &s->r);
	}
	grace_drop(a, g);
}

/*
 * A flow of an unmapped dynamic port.  The first one starts the grace
 * period, the others within it add to the held alert; an alert already
 * published (open) counts its flows at once, as any other alert.  A full
 * grace table publishes at once rather than losing the alert.
 */
static void
unmapped_raise(struct alerts *a, const struct flow *f,
    const struct alert_facts *facts)
{
	struct alert_slot *s;
	struct grace_slot *g;
	uint32_t i;

	if (!a->cfg.alert_kind[ALERT_UNMAPPED_DYNAMIC_PORT].enabled)
		return;
	s = slot_find(a, ALERT_UNMAPPED_DYNAMIC_PORT, &f->server, f->proto,
	    f->server_port, "", "");
	if (a->cfg.alert_grace_s == 0 ||
	    (s != NULL && s->used && s->r.resolved_at == 0)) {
		raise_alert(a, ALERT_UNMAPPED_DYNAMIC_PORT, f, facts,
		    UNMAPPED_DETAIL);
		return;
	}
	if ((g = grace_find(a, &f->server, f->proto, f->server_port)) ==
	    NULL) {
		for (i = 0; i < ALERT_GRACE_SIZE && a->grace[i].used; i++)
			;
		if (i == ALERT_GRACE_SIZE) {
			raise_alert(a, ALERT_UNMAPPED_DYNAMIC_PORT, f, facts,
			    UNMAPPED_DETAIL);
			return;
		}
		g = &a->grace[i];
		memset(g, 0, sizeof(*g));
		g->used = true;
		g->server = f->server;
		g->transport = f->proto;
		g->port = f->server_port;
		g->first_us = facts->now_us;
		a->ngrace++;
	}
	g->client = f->client;
	g->client_port = f->client_port;
	g->flow_last_us = f->last_us;
	g->last_number = f->last_number;
	g->last_file = f->last_file;
	snprintf(g->protocol, sizeof(g->protocol), "%s",
	    facts->protocol != NULL ? facts->protocol : "");
	if (facts->now_us > g->last_us)
		g->last_us = facts->now_us;
	g->count++;
}

void
alert_tick(struct alerts *a, uint64_t now_us)
{
	uint64_t grace_us = (uint64_t)a->cfg.alert_grace_s * US_PER_S;
	struct grace_slot *g;
	uint32_t i;

	for (i = 0; i < ALERT_GRACE_SIZE && a->ngrace > 0; i++) {
		g = &a->grace[i];
		if (g->used && (now_us == UINT64_MAX ||
		    now_us - g->first_us >= grace_us || now_us < g->first_us))
			grace_publish(a, g);
	}
}

void
alert_rpc_evidence(struct alerts *a, const struct addr *server,
    uint8_t transport, uint16_t port, uint64_t now_us)
{
	struct grace_slot *g;

	if (a->ngrace > 0 &&
	    (g = grace_find(a, server, transport, port)) != NULL)
		grace_drop(a, g);
	resolve_dynamic(a, server, transport, port, now_us);
}

static bool
ignored(const struct alerts *a, const struct flow *f)
{
	const struct config_ignore *ig;
	size_t i;

	for (i = 0; i < a->cfg.nignore; i++) {
		ig = &a->cfg.ignore[i];
		if ((!ig->has_cidr || cidr_contains(&ig->cidr, &f->server)) &&
		    (ig->transport == 0 || ig->transport == f->proto) &&
		    (ig->port == 0 || ig->port == f->server_port))
			return true;
	}
	return false;
}

/*
 * Client ephemeral port classes: Windows 2000/2003 (1025-5000), Windows
 * 2008 and later and most others (49152-65535).  0: not ephemeral.
 */
static int
ephemeral_class(uint16_t port)
{
	if (port > 1024 && port <= 5000)
		return 1;
	return port >= 49152 ? 2 : 0;
}

/*
 * A TCP stream picked up mid-way (no handshake seen) in which only the
 * server side sent payload, while the ports say which side serves: the
 * client's is ephemeral and the server's below it and outside that
 * class.  A capture that starts inside a TLS session to an undocumented
 * port shows the server's records and the client's bare ACKs.
 */
static bool
midstream_served(const struct flow *f)
{
	int cc = ephemeral_class(f->client_port);

	if ((f->tcp & (FLOW_TCP_SYN | FLOW_TCP_SYNACK)) != 0 ||
	    (f->tcp & FLOW_TCP_DATA_S) == 0)
		return false;
	return cc != 0 && f->server_port < f->client_port &&
	    ephemeral_class(f->server_port) != cc;
}

/*
 * The server answered: a completed (or answered) TCP handshake, a TCP
 * stream picked up mid-way with data both ways, or from the server where
 * the ports show it serves, or any reply otherwise.
 */
static bool
server_answered(const struct flow *f)
{
	if (f->proto == TRANSPORT_TCP)
		return (f->tcp & (FLOW_TCP_SYNACK | FLOW_TCP_ESTABLISHED)) != 0 ||
		    (f->tcp & (FLOW_TCP_DATA_C | FLOW_TCP_DATA_S)) ==
		    (FLOW_TCP_DATA_C | FLOW_TCP_DATA_S) || midstream_served(f);
	return f->server_replied;
}

/*
 * Ports only a domain controller answers on: Kerberos (88), LDAP and
 * CLDAP (389), LDAPS (636) and the global catalog (3268, 3269).
 */
static bool
dc_port(const struct flow *f)
{
	switch (f->server_port) {
	case 88:
	case 389:
		return f->proto == TRANSPORT_TCP || f->proto == TRANSPORT_UDP;
	case 636:
	case 3268:
	case 3269:
		return f->proto == TRANSPORT_TCP;
	}
	return false;
}

/*
 * Calls a storm-qualified request adds to its alert: 0 while this
 * client's calls of this operation to this server within the window are
 * at most alert-operation-storm, all of the window's calls when they
 * first pass it, 1 for each call after that.
 */
static uint64_t
storm_calls(struct alerts *a, const struct flow *f, uint32_t key,
    int64_t now_s)
{
	uint32_t h = addr_hash(&f->client, addr_hash(&f->server, key));
	struct storm_slot *s = &a->storm[h & (ALERT_STORM_SIZE - 1)];

	if (!s->used || s->key != key || !addr_eq(&s->client, &f->client) ||
	    !addr_eq(&s->server, &f->server) ||
	    now_s - s->start_s >= (int64_t)a->cfg.storm_window_s) {
		s->used = true;
		s->client = f->client;
		s->server = f->server;
		s->key = key;
		s->start_s = now_s;
		s->calls = 0;
	}
	if (s->calls < UINT32_MAX)
		s->calls++;
	if (s->calls <= a->cfg.storm_calls)
		return 0;
	return s->calls == a->cfg.storm_calls + 1 ? s->calls : 1;
}

void
alert_rpc_request(struct alerts *a, const struct flow *f,
    const struct alert_request *rq)
{
	char op[64], detail[256], win[32];
	struct raise rs;
	uint64_t n = 1;

	if (rq->dc_iface && server_answered(f))
		alert_dc_seen(a, &f->server);
	if (!(rq->watch & OPWATCH_ON) || f->cls == FLOW_UNMONITORED ||
	    ignored(a, f))
		return;
	if ((rq->watch & CATALOG_OP_NOT_DC) && alert_is_dc(a, &f->client))
		return;
	if ((rq->watch & CATALOG_OP_STORM) && (n = storm_calls(a, f,
	    rq->op_key, (int64_t)(rq->now_us / US_PER_S))) == 0)
		return;
	if (rq->operation != NULL)
		snprintf(op, sizeof(op), "%s", rq->operation);
	else
		snprintf(op, sizeof(op), "opnum %u", rq->opnum);
	if (rq->watch & CATALOG_OP_STORM) {
		if (a->cfg.storm_window_s % 60 == 0)
			snprintf(win, sizeof(win), "%um",
			    a->cfg.storm_window_s / 60);
		else
			snprintf(win, sizeof(win), "%us", a->cfg.storm_window_s);
		snprintf(detail, sizeof(detail), "%s %s: more than %u calls "
		    "from one client within %s (storm)", rq->interface, op,
		    a->cfg.storm_calls, win);
	} else if (rq->watch & CATALOG_OP_NOT_DC)
		snprintf(detail, sizeof(detail), "%s %s from a client not "
		    "seen serving as a domain controller", rq->interface, op);
	else
		snprintf(detail, sizeof(detail), "%s %s called", rq->interface,
		    op);
	rs.kind = ALERT_SENSITIVE_OPERATION;
	rs.f = f;
	rs.service = rq->service;
	rs.protocol = NULL;
	rs.interface = rq->interface;
	rs.operation = op;
	rs.detail = detail;
	rs.now_s = (int64_t)(rq->now_us / US_PER_S);
	rs.n = n;
	rs.severity = 0;
	raise_count(a, &rs);
}

void
alert_served(struct alerts *a, const struct catalog *cat,
    const struct addr *host, const struct role_served *s)
{
	role_track_served(a->roles, cat, host, s);
}

struct role_eval {
	struct alerts		*a;
	const struct catalog	*cat;
	uint64_t		 now_us;
};

/*
 * A host holds a role: remembered in the known set as "@KEY" (a role key
 * is at most CATALOG_ROLE_KEYLEN bytes, so it fits), and raised when it
 * is new after the learning period.  The alert has no client: the
 * record names the host there too, and its port and transport are 0.
 */
static void
role_held(void *arg, const struct addr *host, const struct role_match *m)
{
	const struct role_eval *re = arg;
	struct alerts *a = re->a;
	const struct catalog_host_role *r = catalog_role(re->cat, m->role);
	char key[40], detail[128], ev[96];
	struct flow f;
	struct raise rs;
	size_t i, len = 0;
	int known;

	snprintf(key, sizeof(key), "@%s", r->key);
	known = known_check(a, host, key, true);
	if (known == -1)
		a->overflows++;
	/*
	 * New is when its needs were first met (since), not when this
	 * drain saw it: a flow that ends long after its packets (a capture
	 * with a gap, an idle timeout) must not make an old role new.
	 */
	if (known != 0 || a->roles_quiet || m->since < 0 ||
	    (uint64_t)m->since * US_PER_S < a->start_us +
	    (uint64_t)a->cfg.alert_learning_s * US_PER_S)
		return;
	ev[0] = '\0';
	for (i = 0; i < m->nev && len < sizeof(ev); i++)
		len += (size_t)snprintf(ev + len, sizeof(ev) - len, "%s%s",
		    i > 0 ? ", " : "", m->ev[i].text);
	snprintf(detail, sizeof(detail), "acts as %s (%s) for the first time",
	    r->name, ev);
	memset(&f, 0, sizeof(f));
	f.server = *host;
	f.client = *host;
	memset(&rs, 0, sizeof(rs));
	rs.kind = ALERT_NEW_ROLE;
	rs.f = &f;
	rs.interface = "";
	rs.operation = r->key;
	rs.detail = detail;
	rs.now_s = m->since;
	rs.n = 1;
	rs.severity = r->severity;
	raise_count(a, &rs);
}

void
alert_roles(struct alerts *a, const struct catalog *cat, uint64_t now_us)
{
	struct role_eval re = { a, cat, now_us };

	role_track_eval(a->roles, cat, role_held, &re);
}

void
alert_restore_served(struct alerts *a, const struct addr *host,
    const struct role_served *s)
{
	struct restored_row *r;
	size_t cap;

	if (a->nrestored == a->restored_cap) {
		cap = a->restored_cap ? a->restored_cap * 2 : 64;
		if ((r = reallocarray(a->restored, cap, sizeof(*r))) == NULL) {
			a->overflows++;
			return;
		}
		a->restored = r;
		a->restored_cap = cap;
	}
	r = &a->restored[a->nrestored++];
	r->host = *host;
	snprintf(r->service, sizeof(r->service), "%s", s->service);
	snprintf(r->interface, sizeof(r->interface), "%s", s->interface);
	snprintf(r->pipe, sizeof(r->pipe), "%s", s->pipe);
	r->port = s->port;
	r->first_s = s->first_seen;
	r->last_s = s->last_seen;
}

void
alert_roles_settle(struct alerts *a, const struct catalog *cat)
{
	struct role_served s;
	size_t i;

	for (i = 0; i < a->nrestored; i++) {
		s.service = a->restored[i].service;
		s.interface = a->restored[i].interface;
		s.pipe = a->restored[i].pipe;
		s.port = a->restored[i].port;
		s.first_seen = a->restored[i].first_s;
		s.last_seen = a->restored[i].last_s;
		role_track_served(a->roles, cat, &a->restored[i].host, &s);
	}
	free(a->restored);
	a->restored = NULL;
	a->nrestored = a->restored_cap = 0;
	a->roles_quiet = true;
	alert_roles(a, cat, 0);
	a->roles_quiet = false;
}

bool
alert_flow_answered(const struct flow *f)
{
	return server_answered(f);
}

bool
alert_flow_due(const struct flow *f)
{
	return (f->alert_flags & ALERT_FLOW_DONE) == 0 && server_answered(f);
}

/* What nDPI may say of an RPC server the endpoint mapper did not name. */
static bool
rpc_like(const char *protocol)
{
	return protocol == NULL || strcmp(protocol, "Unknown") == 0 ||
	    strcmp(protocol, "DCE_RPC") == 0;
}

static void
new_service(struct alerts *a, const struct flow *f,
    const struct alert_facts *facts)
{
	char detail[128];
	int known;

	if (facts->now_us < a->start_us +
	    (uint64_t)a->cfg.alert_learning_s * US_PER_S) {
		if (known_check(a, &f->server, facts->service, true) == -1)
			a->overflows++;
		return;
	}
	known = known_check(a, &f->server, facts->service, true);
	if (known == -1)
		a->overflows++;
	if (known != 0)
		return;
	snprintf(detail, sizeof(detail), "first time serving %s",
	    facts->service);
	raise_alert(a, ALERT_NEW_SERVICE, f, facts, detail);
}

void
alert_flow(struct alerts *a, struct flow *f, const struct alert_facts *facts,
    bool final)
{
	char detail[128];
	bool answered;

	if ((f->alert_flags & ALERT_FLOW_DONE) != 0)
		return;
	if (f->cls == FLOW_UNMONITORED || !facts->server_monitored) {
		f->alert_flags |= ALERT_FLOW_DONE;
		return;
	}
	answered = server_answered(f);
	if (!answered && !final)
		return;
	f->alert_flags |= ALERT_FLOW_DONE;
	/*
	 * A flow whose server never sent anything but RSTs is an attempt
	 * (stats.h struct stats_attempt), not a service: it raises no
	 * service alert of any kind (issue 14 item 2).
	 */
	if (flow_unanswered(f))
		return;
	alert_restore_start(a, facts->start_us);
	if (answered && dc_port(f))
		alert_dc_seen(a, &f->server);

	if (f->cls == FLOW_CLASSIFIED &&
	    (f->method == METHOD_EPM || f->method == METHOD_BIND))
		alert_rpc_evidence(a, &f->server, f->proto, f->server_port,
		    facts->now_us);
	if (ignored(a, f))
		return;
	if (facts->mismatch) {
		snprintf(detail, sizeof(detail),
		    "nDPI sees %s where the catalog documents %s",
		    facts->protocol != NULL ? facts->protocol : "Unknown",
		    facts->expected != NULL ? facts->expected : "another "
		    "protocol");
		raise_alert(a, ALERT_PROTOCOL_MISMATCH, f, facts, detail);
	}
	if (!answered)
		return;
	if (f->cls == FLOW_UNDOCUMENTED) {
		if (facts->dynamic_rpc && f->method == METHOD_NONE &&
		    !(f->rpc & FLOW_RPC_NOT) &&
		    ((f->rpc & FLOW_RPC_SEEN) || rpc_like(facts->protocol)))
			unmapped_raise(a, f, facts);
		else {
			snprintf(detail, sizeof(detail), "server on %u/%s "
			    "that no documented service explains%s%s",
			    f->server_port, transport_name(f->proto) ?
			    transport_name(f->proto) : "ip",
			    facts->protocol != NULL ? "; nDPI: " : "",
			    facts->protocol != NULL ? facts->protocol : "");
			raise_alert(a, ALERT_UNDOCUMENTED_SERVICE, f, facts,
			    detail);
		}
	} else if (facts->service != NULL && facts->service[0] != '\0')
		new_service(a, f, facts);
}

struct alert_batch *
alert_batch(struct alerts *a)
{
	return a->batch;
}

uint64_t
alert_overflows(const struct alerts *a)
{
	return a->overflows;
}

struct alert_batch *
alert_batch_create(void)
{
	return calloc(1, sizeof(struct alert_batch));
}

void
alert_batch_destroy(struct alert_batch *b)
{
	if (b == NULL)
		return;
	free(b->recs);
	free(b);
}

struct alert_record *
alert_batch_records(struct alert_batch *b, size_t *n)
{
	*n = b->n;
	return b->recs;
}

int
alert_batch_merge(struct alert_batch *dst, struct alert_batch *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (batch_put(dst, &src->recs[i]) == -1)
			return -1;
	alert_batch_clear(src);
	return 0;
}

void
alert_batch_clear(struct alert_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		b->pos[b->recs[i].slot] = 0;
	b->n = 0;
}

/* ------------------------------------------------------------------ */
/* Publishing */

struct alert_out {
	FILE		*jsonl;
	bool		 syslog;
	int		 facility;
	int		 scale;		/* CONFIG_SCALE_* */
	char		 sensor[64];
	struct json	 j;
	uint64_t	 published;
	uint64_t	 errors;
};

struct alert_out *
alert_out_open(const struct config *cfg)
{
	struct alert_out *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	json_init(&o->j);
	o->syslog = cfg->alert_syslog;
	o->facility = cfg->syslog_facility;
	o->scale = cfg->alert_severity_scale;
	snprintf(o->sensor, sizeof(o->sensor), "%s", cfg->sensor);
	if (cfg->alert_jsonl[0] != '\0' &&
	    (o->jsonl = fopen(cfg->alert_jsonl, "a")) == NULL) {
		log_warn("alert JSON lines %s not written", cfg->alert_jsonl);
		o->errors++;
	}
	return o;
}

/* Counters survive, so a reload does not reset what the status reports. */
struct alert_out *
alert_out_reopen(struct alert_out *o, const struct config *cfg)
{
	struct alert_out *n;

	if ((n = alert_out_open(cfg)) == NULL)
		return o;
	n->published += o->published;
	n->errors += o->errors;
	alert_out_close(o);
	return n;
}

void
alert_out_close(struct alert_out *o)
{
	if (o == NULL)
		return;
	if (o->jsonl != NULL && fclose(o->jsonl) == EOF)
		o->errors++;
	json_free(&o->j);
	free(o);
}

int
alert_severity_suricata(int severity)
{
	/*
	 * Suricata's priority (classification.config) runs the other way,
	 * 1 high to 4 lowest; it has nothing above high, so critical and
	 * high share 1.
	 */
	if (severity >= 4)
		return 1;
	if (severity == 3)
		return 2;
	return severity == 2 ? 3 : 4;
}

int
alert_syslog_priority(int severity)
{
	switch (severity) {
	case 5:
		return LOG_CRIT;
	case 4:
		return LOG_ERR;
	case 3:
		return LOG_WARNING;
	case 2:
		return LOG_NOTICE;
	default:
		return LOG_INFO;
	}
}

void
alert_record_json(struct json *j, const struct alert_record *r,
    const char *sensor, int scale)
{
	struct alert_record c;

	json_object_begin(j);
	if (scale == CONFIG_SCALE_SURICATA) {
		c = *r;
		c.severity = (uint8_t)alert_severity_suricata(r->severity);
		record_json_fields(j, &record_alerts, &c);
		json_kv_string(j, "severity_scale", "suricata");
	} else
		record_json_fields(j, &record_alerts, r);
	/* The engine's records have no sensor field; readers' do. */
	if (sensor != NULL && r->sensor == NULL)
		json_kv_string(j, "sensor", sensor);
	json_object_end(j);
}

/*
 * One event: a JSON line, and a syslog message carrying the same object
 * (one object per message, so a collector parses it whole), at the
 * priority the severity gives.
 */
static void
publish(struct alert_out *o, const struct alert_record *r)
{
	json_reset(&o->j);
	alert_record_json(&o->j, r, o->sensor, o->scale);
	if (json_failed(&o->j)) {
		o->errors++;
		return;
	}
	if (o->jsonl != NULL && (fprintf(o->jsonl, "%s\n", o->j.buf) < 0 ||
	    fflush(o->jsonl) == EOF))
		o->errors++;
	if (o->syslog)
		syslog(o->facility | alert_syslog_priority(r->severity), "%s",
		    o->j.buf);
	o->published++;
}

/*
 * Raises of one alert within one flush interval publish one event: the
 * quiet period is what separates events, and it is longer than a flush.
 */
void
alert_out_events(struct alert_out *o, struct alert_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (b->recs[i].pending == 0)
			continue;
		if (o != NULL)
			publish(o, &b->recs[i]);
		b->recs[i].pending = 0;
	}
}

static int
sink_flush(void *state, struct flush_handover *h, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (h->alerts != NULL)
		alert_out_events(state, h->alerts);
	return 0;
}

struct sink
alert_out_sink(struct alert_out *o)
{
	struct sink k = { "alerts", sink_flush, o };

	return k;
}

uint64_t
alert_out_published(const struct alert_out *o)
{
	return o->published;
}

uint64_t
alert_out_errors(const struct alert_out *o)
{
	return o->errors;
}
