/*
 * engine.c - the per-packet pipeline: decode, flows, classification,
 * the analyzers (nDPI, DCE/RPC ...), counters.
 *
 * Hot path budget: one decode, one flow lookup, and an indirect call per
 * analyzer that holds state for the flow (nDPI for a flow's first
 * packets, DCE/RPC on RPC flows) or still probes its payloads.  Nothing
 * here allocates per packet: flows come from the table's preallocated
 * slots, analyzer state is allocated once per flow that needs it, and
 * statistics rows once per (service, server, bucket) at drain time.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/alert.h"
#include "svcmap/analyzer.h"
#include "svcmap/capture.h"
#include "svcmap/catalog.h"
#include "svcmap/classify.h"
#include "svcmap/config.h"
#include "svcmap/decode.h"
#include "svcmap/endpoint.h"
#include "svcmap/engine.h"
#include "svcmap/flow.h"
#include "svcmap/names.h"
#include "svcmap/log.h"
#include "svcmap/opstats.h"
#include "svcmap/opwatch.h"
#include "svcmap/roles.h"
#include "svcmap/stats.h"

#define US_PER_S		1000000ULL
/* How often (packet time) idle flows and endpoints are looked at. */
#define EXPIRE_EVERY_US		(1 * US_PER_S)
#define ENDPOINT_EXPIRE_EVERY_US (60 * US_PER_S)
/*
 * The clock rule.  A packet stamped more than CLOCK_JUMP_US ahead of the
 * clock is held until the next packet says whether time really moved: a
 * next packet no more than CLOCK_JUMP_US before it confirms the jump (a
 * gap in the capture, a wall-clock step) and both are processed at their
 * own times; one further back shows the held stamp to be a lone bad
 * record, which is then counted (clock_outliers) and processed at the
 * clock's time.  Since the clock never steps back, one record stamped
 * 0xFFFFFFFF seconds would otherwise age every later flow out after its
 * first packet.  CLOCK_JUMP_US is twice the default TCP idle timeout: a
 * smaller bad step can cost no more than the flows it outlives.  A held
 * packet is copied (at most CLOCK_HOLD_MAX bytes, libpcap's largest
 * snapshot); the end of input releases it as an outlier.
 */
#define CLOCK_JUMP_US		(600 * US_PER_S)
#define CLOCK_HOLD_MAX		262144

/*
 * The analyzers, in the order they see each packet (analyzer.h).  nDPI
 * runs first: a DCE/RPC bind on a flow then refines what the port said.
 * A new analyzer is one row here plus its file.
 */
static const struct analyzer *const analyzers[] = {
	&analyzer_dpi,
	&analyzer_dcerpc,
	&analyzer_smb,
	&analyzer_names,
};
#define NANALYZERS (sizeof(analyzers) / sizeof(analyzers[0]))
_Static_assert(NANALYZERS <= FLOW_ANALYZERS,
    "struct flow has a state slot per analyzer");
_Static_assert(FLOW_ANALYZERS <= 8, "an_active/an_probe are 8-bit masks");

/*
 * Later IP fragments carry no ports.  A small direct-mapped table
 * remembers the ports of recent first fragments so that the rest of the
 * datagram is counted in its flow; a collision only costs attribution of
 * the overwritten datagram's remaining fragments.
 */
#define FRAG_SLOTS 1024

struct frag_slot {
	struct addr	src;
	struct addr	dst;
	uint32_t	id;
	uint16_t	sport;
	uint16_t	dport;
	uint8_t		proto;
	bool		used;
};

struct engine {
	struct config		 cfg;
	const struct catalog	*cat;
	struct classify_ctx	 cctx;
	struct flow_table	*flows;
	struct endpoint_table	*endpoints;
	struct names_table	*names;		/* NULL: names not learned */
	struct names_sink	 names_sink;	/* learns into names */
	struct names_stats	 names_stats;	/* the parsers' counters */
	struct stats_batch	*batch;
	struct op_batch		*ops;		/* RPC operations */
	struct alerts		*alerts;	/* NULL: no alerts */
	struct opwatch		*watch;		/* of cfg and cat; NULL: none */
	struct run_totals	 totals;
	/* Lent to the analyzers; its now_us is the engine's clock. */
	struct analyzer_host	 host;
	void			*mods[NANALYZERS]; /* analyzer module state */
	uint64_t		 next_expire_us;
	uint64_t		 next_ep_expire_us;
	uint64_t		 next_names_expire_us;
	/* A drain ran out of memory: the next one scans every flow. */
	bool			 drain_all;

	struct frag_slot	 frags[FRAG_SLOTS];

	/* A packet held by the clock rule (held.data points into held_buf). */
	bool			 holding;
	struct captured		 held;
	uint8_t			 held_buf[CLOCK_HOLD_MAX];
};

static void engine_flow_end(void *arg, struct flow *f, enum flow_end why);
static void names_totals(const struct engine *e, struct run_totals *t);

static enum packet_class
flow_packet_class(const struct flow *f)
{
	switch (f->cls) {
	case FLOW_CLASSIFIED:
		return PKT_CLASSIFIED;
	case FLOW_UNDOCUMENTED:
		return PKT_UNDOCUMENTED;
	case FLOW_OUTBOUND:
		return PKT_OUTBOUND;
	case FLOW_UNMONITORED:
	case FLOW__COUNT:
		break;
	}
	return PKT_UNMONITORED;
}

/*
 * Orient flows picked up mid-stream, or whose first packet is a reply:
 * rank how strongly each end is known to serve (flow.c weighs both).  A
 * learned endpoint is a fact about that host.  A catalog listener is
 * stronger on a system port (below 1024) than on a registered one, and
 * weakest in the ephemeral range (49152-65535, IANA's and Windows'
 * since Vista), where clients take their source ports: a reply to a
 * client port must not make the client a server because a catalog row
 * happens to cover that port.  Dynamic RPC ranges do not count: both
 * ends of many flows sit in them, so they say nothing about direction.
 */
enum {
	RANK_EPHEMERAL = 1,
	RANK_REGISTERED,
	RANK_SYSTEM,
	RANK_LEARNED
};
#define EPHEMERAL_FIRST	49152

static int
engine_is_service(void *arg, uint8_t proto, const struct addr *ip,
    uint16_t port)
{
	struct engine *e = arg;
	int row;

	if (e->endpoints != NULL && endpoint_exists(e->endpoints, ip, proto,
	    port))
		return RANK_LEARNED;
	row = catalog_listener(e->cat, proto, port);
	if (row < 0 || catalog_port_is_dynamic_rpc(e->cat, row))
		return FLOW_RANK_NONE;
	if (port < 1024)
		return RANK_SYSTEM;
	return port < EPHEMERAL_FIRST ? RANK_REGISTERED : RANK_EPHEMERAL;
}

struct engine *
engine_create(const struct config *cfg, const struct catalog *cat,
    struct endpoint_table *endpoints, char *err, size_t errlen)
{
	struct flow_table_config fc;
	struct engine *e;
	size_t i;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "engine: out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->cat = cat;
	e->endpoints = endpoints;
	e->cctx.cat = cat;
	e->cctx.endpoints = endpoints;
	e->cctx.monitored = e->cfg.monitored;
	e->cctx.nmonitored = e->cfg.nmonitored;
	e->host.cfg = &e->cfg;
	e->host.cctx = &e->cctx;
	e->host.totals = &e->totals;
	e->host.names_stats = &e->names_stats;
	e->host.engine = e;
	if ((e->watch = opwatch_build(cfg, cat, NULL, err, errlen)) == NULL)
		goto fail;

	memset(&fc, 0, sizeof(fc));
	fc.capacity = cfg->flow_capacity;
	fc.tcp_idle_s = cfg->tcp_idle_s;
	fc.tcp_closed_s = cfg->tcp_closed_s;
	fc.udp_idle_s = cfg->udp_idle_s;
	fc.other_idle_s = cfg->other_idle_s;

	if ((e->flows = flow_table_create(&fc, engine_is_service,
	    engine_flow_end, e)) == NULL) {
		snprintf(err, errlen, "cannot allocate a flow table of %u flows",
		    cfg->flow_capacity);
		goto fail;
	}
	for (i = 0; i < NANALYZERS; i++)
		if ((e->mods[i] = analyzers[i]->init(&e->host, err,
		    errlen)) == NULL)
			goto fail;
	if ((e->batch = stats_batch_create()) == NULL ||
	    (e->ops = op_batch_create(cfg->rpc_operations_capacity != 0 ?
	    cfg->rpc_operations_capacity : OPSTATS_DEFAULT_CAPACITY)) == NULL) {
		snprintf(err, errlen, "engine: out of memory");
		goto fail;
	}
	return e;
fail:
	engine_destroy(e);
	return NULL;
}

void
engine_destroy(struct engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	/* Ending the flows needs the analyzers: tear down in order. */
	if (e->flows != NULL)
		flow_table_destroy(e->flows);
	for (i = NANALYZERS; i-- > 0;)
		if (e->mods[i] != NULL)
			analyzers[i]->fini(e->mods[i]);
	if (e->batch != NULL)
		stats_batch_destroy(e->batch);
	op_batch_destroy(e->ops);
	opwatch_free(e->watch);
	free(e);
}

/*
 * Tell the alert module what the flow turned out to be.  Until the flow
 * ends this waits for nDPI's verdict: an undocumented port in the
 * server's dynamic RPC range whose bytes may be DCE/RPC (our parser
 * framed a PDU, or nDPI calls it DCE/RPC or nothing, and the first
 * payloads did not show otherwise) is an unmapped dynamic port, anything
 * else on it is an undocumented service.  The range is the catalog's,
 * narrowed to the host's own where its endpoint mapper showed which it
 * uses (endpoint_host_range()).
 */
static void
engine_alert(struct engine *e, struct flow *f, bool final)
{
	const struct catalog_port *row;
	struct alert_facts fa;

	memset(&fa, 0, sizeof(fa));
	fa.server_monitored = classify_monitored(&e->cctx, &f->server);
	if (f->port_row >= 0) {
		row = catalog_port(e->cat, f->port_row);
		/* The catalog's ranges, unless the host showed its own. */
		fa.dynamic_rpc = catalog_port_is_dynamic_rpc(e->cat,
		    f->port_row) && (e->endpoints == NULL ||
		    endpoint_host_range(e->endpoints, &f->server, f->proto,
		    f->server_port) != 0);
		if (row->app >= 0)
			fa.expected = catalog_app(e->cat, row->app)->key;
	}
	if (f->service >= 0)
		fa.service = catalog_service(e->cat, f->service)->key;
	if (f->dpi_done)
		fa.protocol = f->protocol;
	fa.mismatch = f->app_mismatch;
	fa.now_us = f->last_us;
	fa.start_us = (uint64_t)e->totals.first_s * US_PER_S;
	alert_flow(e->alerts, f, &fa, final);
}

/*
 * The endpoint table learned something since the flow was classified:
 * an undocumented flow a learned endpoint now names moves to it, with
 * its counts not yet drained (the current flush interval's), and
 * whatever alert its port is holding or has open is settled.
 */
static void
engine_relearn(struct engine *e, struct flow *f)
{
	if (!classify_relearn(&e->cctx, f, e->host.now_us))
		return;
	f->moved = true;
	if (e->alerts != NULL)
		alert_rpc_evidence(e->alerts, &f->server, f->proto,
		    f->server_port, e->host.now_us);
}

/* Is the flow undocumented under an older endpoint generation? */
static inline bool
relearn_due(const struct engine *e, const struct flow *f)
{
	return f->cls == FLOW_UNDOCUMENTED && e->endpoints != NULL &&
	    f->ep_gen != endpoint_generation(e->endpoints);
}

void
engine_rpc_endpoint(struct engine *e, const struct addr *ip,
    uint8_t transport, uint16_t port)
{
	if (e->alerts == NULL)
		return;
	if (transport == ENDPOINT_TRANSPORT_HTTP)
		transport = TRANSPORT_TCP;
	alert_rpc_evidence(e->alerts, ip, transport, port, e->host.now_us);
}

void
engine_rpc_bound(struct engine *e, struct flow *f)
{
	if (e->alerts != NULL && f->cls == FLOW_CLASSIFIED)
		alert_rpc_evidence(e->alerts, &f->server, f->proto,
		    f->server_port, e->host.now_us);
}

/* Free one analyzer's state on the flow. */
static void
analyzer_detach(struct engine *e, struct flow *f, size_t i)
{
	analyzers[i]->flow_free(e->mods[i], f->an[i]);
	f->an[i] = NULL;
	f->an_active &= (uint8_t)~(1u << i);
}

static void
analyzer_attach(struct engine *e, struct flow *f, size_t i)
{
	if ((f->an[i] = analyzers[i]->flow_new(e->mods[i], f)) != NULL)
		f->an_active |= (uint8_t)(1u << i);
}

/*
 * A packet of a flow with analyzers: each attached one sees it, each
 * probing one decides whether to attach.  The packet is charged to the
 * evidence record an analyzer named, once, after all of them ran.
 */
static void
analyzers_packet(struct engine *e, struct flow *f, const struct packet *pkt,
    int dir)
{
	struct analyzer_packet ap;
	const struct analyzer *a;
	unsigned bit;
	size_t i;

	ap.pkt = pkt;
	ap.dir = dir;
	ap.charge = 0;
	for (i = 0; i < NANALYZERS; i++) {
		bit = 1u << i;
		a = analyzers[i];
		if (f->an_probe & bit) {
			if (pkt->payload_len == 0)
				continue;
			switch (a->probe(e->mods[i], f, &ap)) {
			case ANALYZER_PROBE:
				continue;
			case ANALYZER_SKIP:
				f->an_probe &= (uint8_t)~bit;
				continue;
			case ANALYZER_ATTACH:
				f->an_probe &= (uint8_t)~bit;
				analyzer_attach(e, f, i);
				break;
			}
		}
		if (!(f->an_active & bit) || ((a->flags &
		    ANALYZER_PAYLOAD_ONLY) && pkt->payload_len == 0))
			continue;
		if (!a->packet(e->mods[i], f->an[i], f, &ap))
			analyzer_detach(e, f, i);
	}
	if (ap.charge > 0)
		flow_evidence_charge(f, ap.charge, dir, pkt->wire_len);
}

static void
engine_flow_new(struct engine *e, struct flow *f)
{
	size_t i;

	classify_flow(&e->cctx, f, e->host.now_us);
	/*
	 * Unmonitored traffic is counted, not analysed, but for the
	 * analyzers that only listen (names).
	 */
	for (i = 0; i < NANALYZERS; i++) {
		if (f->cls == FLOW_UNMONITORED &&
		    !(analyzers[i]->flags & ANALYZER_UNMONITORED))
			continue;
		switch (analyzers[i]->on_flow(e->mods[i], f)) {
		case ANALYZER_SKIP:
			break;
		case ANALYZER_ATTACH:
			analyzer_attach(e, f, i);
			break;
		case ANALYZER_PROBE:
			if (analyzers[i]->probe != NULL)
				f->an_probe |= (uint8_t)(1u << i);
			break;
		}
	}
}

static struct frag_slot *
frag_slot(struct engine *e, const struct packet *pkt)
{
	uint32_t h = addr_hash(&pkt->src, pkt->frag_id) ^
	    addr_hash(&pkt->dst, pkt->proto);

	return &e->frags[h % FRAG_SLOTS];
}

static void
frag_remember(struct engine *e, const struct packet *pkt)
{
	struct frag_slot *s = frag_slot(e, pkt);

	s->src = pkt->src;
	s->dst = pkt->dst;
	s->id = pkt->frag_id;
	s->proto = pkt->proto;
	s->sport = pkt->sport;
	s->dport = pkt->dport;
	s->used = true;
}

/*
 * A later fragment: count it in its datagram's flow when the first
 * fragment was seen, else by where it goes.
 */
static void
engine_fragment(struct engine *e, struct packet *pkt)
{
	struct frag_slot *s = frag_slot(e, pkt);
	enum packet_class pc;
	struct flow *f;
	bool created;
	int dir;

	e->totals.fragments++;
	if (s->used && s->id == pkt->frag_id && s->proto == pkt->proto &&
	    addr_eq(&s->src, &pkt->src) && addr_eq(&s->dst, &pkt->dst)) {
		pkt->sport = s->sport;
		pkt->dport = s->dport;
		pkt->tcp_flags = 0;
		pkt->payload_len = 0;
		f = flow_table_packet(e->flows, pkt, &dir, &created);
		if (created)
			engine_flow_new(e, f);
		return;
	}
	if (classify_monitored(&e->cctx, &pkt->src) ||
	    classify_monitored(&e->cctx, &pkt->dst))
		pc = PKT_UNDOCUMENTED;
	else
		pc = PKT_UNMONITORED;
	e->totals.pkt_class[pc]++;
	e->totals.byte_class[pc] += pkt->wire_len;
}

/* One packet at time ts_us: its own stamp, or the clock's for an outlier. */
static void
engine_packet_at(struct engine *e, const struct captured *c, uint64_t ts_us)
{
	enum decode_reason why;
	enum decode_result r;
	struct packet pkt;
	struct flow *f;
	bool created;
	int dir;

	e->totals.packets++;
	e->totals.bytes += c->wirelen;
	/* Capture files may step back a little; the clock never does. */
	if (ts_us > e->host.now_us)
		e->host.now_us = ts_us;
	if (e->totals.first_s == 0)
		e->totals.first_s = (int64_t)(ts_us / US_PER_S);

	pkt.ts_us = ts_us;
	pkt.wire_len = c->wirelen;
	pkt.cap_len = c->caplen;
	r = decode_packet(c->linktype, c->data, c->caplen, &pkt, &why);
	e->totals.decode[why]++;
	switch (r) {
	case DECODE_OK:
		break;
	case DECODE_FRAGMENT:
		engine_fragment(e, &pkt);
		goto expire;
	case DECODE_NOT_IP:
		e->totals.pkt_class[PKT_NON_IP]++;
		e->totals.byte_class[PKT_NON_IP] += c->wirelen;
		goto expire;
	case DECODE_TRUNCATED:
	case DECODE_MALFORMED:
		e->totals.pkt_class[PKT_MALFORMED]++;
		e->totals.byte_class[PKT_MALFORMED] += c->wirelen;
		goto expire;
	}

	f = flow_table_packet(e->flows, &pkt, &dir, &created);
	if (created)
		engine_flow_new(e, f);
	else if (relearn_due(e, f))
		engine_relearn(e, f);
	f->last_number = c->number;
	f->last_file = c->file;
	if (pkt.fragmented)
		frag_remember(e, &pkt);
	if ((f->an_active | f->an_probe) != 0)
		analyzers_packet(e, f, &pkt, dir);
	if (e->alerts != NULL && f->dpi_done && alert_flow_due(f))
		engine_alert(e, f, false);

expire:
	if (e->host.now_us >= e->next_expire_us) {
		flow_table_expire(e->flows, e->host.now_us);
		if (e->alerts != NULL)
			alert_tick(e->alerts, e->host.now_us);
		e->next_expire_us = e->host.now_us + EXPIRE_EVERY_US;
	}
	if (e->endpoints != NULL && e->host.now_us >= e->next_ep_expire_us) {
		endpoint_expire(e->endpoints, e->host.now_us);
		e->next_ep_expire_us = e->host.now_us + ENDPOINT_EXPIRE_EVERY_US;
	}
	if (e->names != NULL && e->host.now_us >= e->next_names_expire_us) {
		names_expire(e->names, e->host.now_us);
		e->next_names_expire_us = e->host.now_us +
		    ENDPOINT_EXPIRE_EVERY_US;
	}
}

/* More than CLOCK_JUMP_US after b (no overflow whatever the stamps). */
static bool
clock_ahead(uint64_t a, uint64_t b)
{
	return a > b && a - b > CLOCK_JUMP_US;
}

/*
 * Process the held packet: at its own time when time did move (or when
 * no clock existed to judge it by), else as an outlier at the clock's.
 */
static void
clock_release(struct engine *e, bool outlier, uint64_t fallback_us)
{
	e->holding = false;
	if (!outlier) {
		engine_packet_at(e, &e->held, e->held.ts_us);
		return;
	}
	e->totals.clock_outliers++;
	engine_packet_at(e, &e->held, e->host.now_us != 0 ?
	    e->host.now_us :
	    fallback_us);
}

void
engine_packet(void *arg, const struct captured *c)
{
	struct engine *e = arg;

	if (e->holding)
		clock_release(e, clock_ahead(e->held.ts_us, c->ts_us),
		    c->ts_us);
	/*
	 * The first packet sets the clock as it is: holding it too would
	 * delay every run's first flow for a bad first record's sake.
	 */
	if (e->host.now_us != 0 && clock_ahead(c->ts_us, e->host.now_us) &&
	    c->caplen <= sizeof(e->held_buf)) {
		e->held = *c;
		memcpy(e->held_buf, c->data, c->caplen);
		e->held.data = e->held_buf;
		e->holding = true;
		return;
	}
	engine_packet_at(e, c, c->ts_us);
}

/* Truncating copy; runs up to three times per drained flow, hence no printf. */
static void
copy_name(char *dst, size_t len, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * One evidence record of a flow, as a drain sees it: what names it and
 * its counts since its last drain.  Record 0 is the flow's own
 * classification; the others are the flow's evidence list.
 */
struct drain_rec {
	int		 service;
	int		 iface;
	enum flow_method method;
	enum packet_class pc;
	uint64_t	 dp[2];		/* packets since the last drain */
	uint64_t	 db[2];		/* bytes since the last drain */
	bool		 counted;	/* its row has counted the flow */
	const char	*pipe;		/* METHOD_PIPE: the pipe; else "" */
	uint32_t	 enc;		/* SMB3 encrypted messages since */
};

/*
 * Move one record's counts into its row of the batch, in the bucket of
 * the flow's latest packet, and into the run totals' partition.  Its first
 * drain also counts it as a flow of the row and the client as a client of
 * its service.  Returns false when out of memory (nothing was counted).
 *
 * Inlined into both callers: the flow's own record is drained for
 * nearly every flow at every flush, and a call there costs more than
 * the record's own bookkeeping.
 */
static inline __attribute__((always_inline)) bool
drain_record(struct engine *e, struct flow *f, const struct drain_rec *r)
{
	struct stats_client cl;
	struct stats_key key;
	struct stats_row *row;
	int64_t first_s, last_s;
	int d;

	last_s = (int64_t)(f->last_us / US_PER_S);
	if (f->cls != FLOW_UNMONITORED) {
		memset(&key, 0, sizeof(key));
		if (r->service >= 0)
			copy_name(key.service, sizeof(key.service),
			    catalog_service(e->cat, r->service)->key);
		key.server = f->server;
		key.port = f->server_port;
		key.vlan = f->vlan;
		key.transport = f->proto;
		key.method = (uint8_t)r->method;
		key.bucket = last_s - last_s % (int64_t)e->cfg.bucket_s;
		if (r->pipe[0] != '\0')
			copy_name(key.pipe, sizeof(key.pipe), r->pipe);

		/*
		 * The client first: recording it twice is harmless, adding
		 * the counts twice is not, so nothing can fail after them.
		 */
		memset(&cl, 0, sizeof(cl));
		memcpy(cl.service, key.service, sizeof(cl.service));
		cl.server = f->server;
		cl.port = f->server_port;
		cl.vlan = f->vlan;
		cl.transport = f->proto;
		cl.client = f->client;
		cl.first_s = (int64_t)(f->first_us / US_PER_S);
		cl.last_s = last_s;
		if (stats_batch_client(e->batch, &cl) == -1 ||
		    (row = stats_batch_row(e->batch, &key)) == NULL)
			return false;
		first_s = (int64_t)(f->first_us / US_PER_S);
		if (first_s < key.bucket)
			first_s = key.bucket;
		if (row->first_s == 0 || first_s < row->first_s)
			row->first_s = first_s;
		if (last_s > row->last_s)
			row->last_s = last_s;
		row->flows += r->counted ? 0 : 1;
		for (d = 0; d < 2; d++) {
			row->pkts[d] += r->dp[d];
			row->bytes[d] += r->db[d];
		}
		if (f->dpi_done && f->protocol != NULL)
			copy_name(row->protocol, sizeof(row->protocol),
			    f->protocol);
		if (r->iface >= 0)
			copy_name(row->interface, sizeof(row->interface),
			    catalog_iface(e->cat, r->iface)->name);
		/* Every record of an SMB session has its dialect. */
		if (f->smb_dialect != 0)
			row->smb_dialect = stats_dialect_min(row->smb_dialect,
			    f->smb_dialect);
		row->smb_encrypted += r->enc;
	}
	e->totals.pkt_class[r->pc] += r->dp[0] + r->dp[1];
	e->totals.byte_class[r->pc] += r->db[0] + r->db[1];
	return true;
}

/*
 * Drain a flow's evidence records, each into its own row, and add up
 * the packets and bytes charged to them (all of them, drained before or
 * not).  Returns false when out of memory.
 */
static bool
drain_evidence(struct engine *e, struct flow *f, uint64_t cpkts[2],
    uint64_t cbytes[2])
{
	struct flow_evidence *ev;
	struct drain_rec r;
	unsigned i;
	int d;

	for (i = 0; i < f->evidence->n; i++) {
		ev = &f->evidence->ev[i];
		for (d = 0; d < 2; d++) {
			cpkts[d] += ev->pkts[d];
			cbytes[d] += ev->bytes[d];
			r.dp[d] = ev->pkts[d] - ev->drained_pkts[d];
			r.db[d] = ev->bytes[d] - ev->drained_bytes[d];
		}
		if (r.dp[0] + r.dp[1] == 0 && ev->counted)
			continue;
		r.service = ev->service;
		r.iface = ev->iface;
		r.pipe = ev->method == METHOD_PIPE ? ev->pipe : "";
		r.enc = 0;
		r.method = (enum flow_method)ev->method;
		r.pc = ev->service >= 0 ? PKT_CLASSIFIED : PKT_UNDOCUMENTED;
		r.counted = ev->counted;
		if (!drain_record(e, f, &r))
			return false;
		ev->counted = true;
		for (d = 0; d < 2; d++) {
			ev->drained_pkts[d] = ev->pkts[d];
			ev->drained_bytes[d] = ev->bytes[d];
		}
	}
	return true;
}

/*
 * An outbound flow's counts since its last drain go to its client's row
 * and its outside server's, and nowhere else: evidence an analyzer found
 * on it names no service of the site, so its packets count with the
 * flow's (those an earlier classification already drained excepted).
 * Returns false when out of memory (nothing was counted).
 */
static bool
drain_outbound(struct engine *e, struct flow *f)
{
	struct stats_outbound add, *o[STATS_OUT__COUNT];
	uint64_t evp[2] = { 0, 0 }, evb[2] = { 0, 0 };
	unsigned i;
	int d, w;

	if (f->evidence != NULL)
		for (i = 0; i < f->evidence->n; i++)
			for (d = 0; d < 2; d++) {
				evp[d] += f->evidence->ev[i].drained_pkts[d];
				evb[d] += f->evidence->ev[i].drained_bytes[d];
			}
	memset(&add, 0, sizeof(add));
	for (d = 0; d < 2; d++) {
		add.pkts[d] = f->pkts[d] - evp[d] - f->drained_pkts[d];
		add.bytes[d] = f->bytes[d] - evb[d] - f->drained_bytes[d];
	}
	if (add.pkts[0] + add.pkts[1] == 0 && f->counted)
		return true;
	add.flows = f->counted ? 0 : 1;
	add.first_s = (int64_t)(f->first_us / US_PER_S);
	add.last_s = (int64_t)(f->last_us / US_PER_S);
	if (f->dpi_done && f->protocol != NULL)
		copy_name(add.protocol, sizeof(add.protocol), f->protocol);
	if ((o[STATS_OUT_CLIENT] = stats_batch_outbound(e->batch,
	    STATS_OUT_CLIENT, &f->client, f->proto, f->server_port)) == NULL ||
	    (o[STATS_OUT_SERVER] = stats_batch_outbound(e->batch,
	    STATS_OUT_SERVER, &f->server, f->proto, f->server_port)) == NULL)
		return false;
	for (w = 0; w < STATS_OUT__COUNT; w++)
		stats_outbound_add(o[w], &add);
	e->totals.pkt_class[PKT_OUTBOUND] += add.pkts[0] + add.pkts[1];
	e->totals.byte_class[PKT_OUTBOUND] += add.bytes[0] + add.bytes[1];
	if (!f->counted) {
		e->totals.flows++;
		e->totals.flow_class[f->cls]++;
		f->counted = true;
	}
	for (d = 0; d < 2; d++) {
		f->drained_pkts[d] = f->pkts[d] - evp[d];
		f->drained_bytes[d] = f->bytes[d] - evb[d];
	}
	f->smb_enc_drained = f->smb_encrypted;
	return true;
}

/*
 * Issue 14 item 2: a port counts as served only once its server side
 * sent something (flow.h `answered`).  Until then a monitored flow is
 * held: a drain puts its packets in the run totals' partition (which
 * must add up at every flush) but in no row, so that a server answering
 * late (SYN retransmits, then SYN+ACK) still gets all of them in its
 * service row.  A flow that ends unanswered becomes an attempt.
 * Destinations that are groups (multicast, broadcast) are exempt: a
 * group never answers from its own address, its listeners do, in flows
 * of their own.  So are transports without ports (ICMP, GRE, ESP): an
 * unanswered echo or an ICMP error is no attempt at a service.
 */
static bool
flow_held(const struct flow *f)
{
	return f->cls != FLOW_UNMONITORED && flow_unanswered(f);
}

/* A held flow's new packets into the partition only. */
static void
hold_flow(struct engine *e, struct flow *f)
{
	uint64_t p, b;

	p = f->pkts[0] + f->pkts[1] - f->held_pkts;
	b = f->bytes[0] + f->bytes[1] - f->held_bytes;
	if (p == 0 && b == 0)
		return;
	if (f->held_pkts == 0)
		f->held_pc = (uint8_t)flow_packet_class(f);
	e->totals.pkt_class[f->held_pc] += p;
	e->totals.byte_class[f->held_pc] += b;
	f->held_pkts += p;
	f->held_bytes += b;
}

/* Take a flow's held packets back out of the partition: a drain of its
 * rows counts them again. */
static void
unhold_flow(struct engine *e, struct flow *f)
{
	e->totals.pkt_class[f->held_pc] -= f->held_pkts;
	e->totals.byte_class[f->held_pc] -= f->held_bytes;
	f->held_pkts = f->held_bytes = 0;
}

/*
 * A flow that ended unanswered: one attempt of its (server, port), with
 * its client.  Its evidence records (an analyzer may have named what
 * the client asked for) count with it: nothing was served.  Returns
 * false when out of memory (nothing was counted).
 */
static bool
drain_attempt(struct engine *e, struct flow *f)
{
	struct stats_attempt *a;
	struct stats_client cl;
	int64_t first_s, last_s;

	/*
	 * No client packet, or a TCP client that only reset a connection
	 * the capture never showed (no SYN, no data): a stray packet of a
	 * conversation seen from its end, no attempt at anything.
	 */
	if (f->pkts[FLOW_C2S] == 0 || (f->proto == TRANSPORT_TCP &&
	    (f->tcp & (FLOW_TCP_SYN | FLOW_TCP_DATA_C)) == 0 &&
	    (f->tcp & FLOW_TCP_RST) != 0 && f->pkts[FLOW_S2C] == 0))
		goto count;
	first_s = (int64_t)(f->first_us / US_PER_S);
	last_s = (int64_t)(f->last_us / US_PER_S);
	memset(&cl, 0, sizeof(cl));
	cl.server = f->server;
	cl.port = f->server_port;
	cl.vlan = f->vlan;
	cl.transport = f->proto;
	cl.client = f->client;
	cl.first_s = first_s;
	cl.last_s = last_s;
	if (stats_batch_attempt_client(e->batch, &cl) == -1 ||
	    (a = stats_batch_attempt(e->batch, &f->server, f->server_port,
	    f->proto, f->vlan)) == NULL)
		return false;
	/* A TCP server that sent only RSTs refused; otherwise silence. */
	if (f->server_replied) {
		a->refused++;
		e->totals.attempts_refused++;
	} else {
		a->unanswered++;
		e->totals.attempts_unanswered++;
	}
	a->pkts += f->pkts[0] + f->pkts[1];
	a->bytes += f->bytes[0] + f->bytes[1];
	if (a->first_s == 0 || first_s < a->first_s)
		a->first_s = first_s;
	if (last_s > a->last_s)
		a->last_s = last_s;
count:
	hold_flow(e, f);
	e->totals.flows++;
	e->totals.flow_class[f->cls]++;
	f->counted = true;
	return true;
}

/*
 * One record of an answered flow into the role table, when it shows the
 * protocol: nDPI recognised it, or an RPC bind or a pipe names the
 * service (the readers' rule too, sqlite_read.c).
 */
static void
served_record(struct engine *e, const struct flow *f, int service, int iface,
    const char *pipe)
{
	struct role_served s;

	if (service < 0 && iface < 0 && pipe[0] == '\0')
		return;
	if (iface < 0 && pipe[0] == '\0' &&
	    (!f->dpi_done || f->protocol == NULL))
		return;
	s.service = service >= 0 ? catalog_service(e->cat, service)->key : "";
	s.port = f->server_port;
	s.interface = iface >= 0 ? catalog_iface(e->cat, iface)->name : "";
	s.pipe = pipe;
	s.first_seen = (int64_t)(f->first_us / US_PER_S);
	s.last_seen = (int64_t)(f->last_us / US_PER_S);
	alert_served(e->alerts, e->cat, &f->server, &s);
}

/*
 * What a monitored server answered (alert.h alert_flow_answered(): a
 * reset is no answer) feeds the role table at each drain of the flow,
 * with every evidence record, so a pipe bound late still counts; the
 * roles themselves are evaluated once per drain (engine_drain()).
 */
static void
engine_served(struct engine *e, const struct flow *f)
{
	const struct flow_evidence *ev;
	unsigned i;

	if (f->cls == FLOW_UNMONITORED || !alert_flow_answered(f) ||
	    !classify_monitored(&e->cctx, &f->server))
		return;
	served_record(e, f, f->service, f->iface, "");
	for (i = 0; f->evidence != NULL && i < f->evidence->n; i++) {
		ev = &f->evidence->ev[i];
		served_record(e, f, ev->service, ev->iface, ev->pipe);
	}
}

/*
 * Move a flow's counts since its last drain into the batch: each
 * evidence record's into its own row, the rest into the row of the
 * flow's classification, so every packet is counted once.  The flow
 * counts once in the run totals, with its own record.  Out of memory,
 * what is not drained stays for the next drain, which scans every flow
 * to find it again (the touched walk would not: its mark is gone).
 */
static void
drain_flow(struct engine *e, struct flow *f, bool ending)
{
	uint64_t cpkts[2] = { 0, 0 }, cbytes[2] = { 0, 0 };
	struct drain_rec r;
	int d;

	if (relearn_due(e, f))
		engine_relearn(e, f);
	if (f->cls == FLOW_OUTBOUND) {
		if (!drain_outbound(e, f))
			e->drain_all = true;
		return;
	}
	if (flow_held(f)) {
		if (!ending)
			hold_flow(e, f);
		else if (!f->counted && !drain_attempt(e, f))
			e->drain_all = true;
		return;
	}
	if (f->held_pkts != 0)
		unhold_flow(e, f);
	if (e->alerts != NULL)
		engine_served(e, f);
	if (f->evidence != NULL && !drain_evidence(e, f, cpkts, cbytes)) {
		e->drain_all = true;
		return;
	}
	for (d = 0; d < 2; d++) {
		r.dp[d] = f->pkts[d] - cpkts[d] - f->drained_pkts[d];
		r.db[d] = f->bytes[d] - cbytes[d] - f->drained_bytes[d];
	}
	r.enc = f->smb_encrypted - f->smb_enc_drained;
	if (r.dp[0] + r.dp[1] == 0 && r.enc == 0 && f->counted && !f->moved)
		return;
	r.service = f->service;
	r.iface = f->iface;
	r.pipe = "";
	r.method = f->method;
	r.pc = flow_packet_class(f);
	r.counted = f->counted && !f->moved;
	if (!drain_record(e, f, &r)) {
		e->drain_all = true;
		return;
	}
	if (!f->counted) {
		e->totals.flows++;
		e->totals.flow_class[f->cls]++;
		f->counted = true;
	}
	f->moved = false;
	for (d = 0; d < 2; d++) {
		f->drained_pkts[d] = f->pkts[d] - cpkts[d];
		f->drained_bytes[d] = f->bytes[d] - cbytes[d];
	}
	f->smb_enc_drained = f->smb_encrypted;
}

static void
engine_flow_end(void *arg, struct flow *f, enum flow_end why)
{
	struct engine *e = arg;
	size_t i;

	(void)why;
	/* Analyzers finish first: their verdicts go into the last drain. */
	for (i = 0; i < NANALYZERS; i++) {
		if (!(f->an_active & (1u << i)))
			continue;
		if (analyzers[i]->flow_end != NULL)
			analyzers[i]->flow_end(e->mods[i], f->an[i], f);
		analyzer_detach(e, f, i);
	}
	f->an_probe = 0;
	if (e->alerts != NULL)
		engine_alert(e, f, true);
	drain_flow(e, f, true);
	if (f->evidence != NULL)
		flow_evidence_free(f);
}

static void
drain_visit(void *arg, struct flow *f)
{
	drain_flow(arg, f, false);
}

void
engine_drain(struct engine *e, bool end_flows)
{
	struct flow_table_stats fs;
	size_t i;

	/*
	 * Only flows with packets since the last drain have anything new;
	 * finding them costs what they number, where a scan of the table
	 * cost its peak size at every flush.
	 */
	/* Nothing follows to confirm a held jump: it stays an outlier. */
	if (end_flows && e->holding)
		clock_release(e, e->host.now_us != 0, 0);
	if (end_flows)
		flow_table_end_all(e->flows);
	else if (e->drain_all) {
		e->drain_all = false;
		flow_table_foreach(e->flows, drain_visit, e);
	} else
		flow_table_foreach_touched(e->flows, drain_visit, e);
	if (e->alerts != NULL) {
		alert_restore_start(e->alerts,
		    (uint64_t)e->totals.first_s * US_PER_S);
		alert_roles(e->alerts, e->cat, e->host.now_us);
	}
	/* At the end nothing follows to cancel a held alert: publish it. */
	if (e->alerts != NULL)
		alert_tick(e->alerts, end_flows ? UINT64_MAX : e->host.now_us);

	flow_table_get_stats(e->flows, &fs);
	e->totals.flows_active = fs.active;
	e->totals.flows_evicted = fs.evicted;
	/* The parser counters are absolute: every analyzer adds its own. */
	e->totals.rpc_pdus = 0;
	e->totals.rpc_truncated = 0;
	e->totals.rpc_invalid = 0;
	e->totals.rpc_gaps = 0;
	e->totals.epm_replies = 0;
	e->totals.smb_messages = 0;
	e->totals.smb_truncated = 0;
	e->totals.smb_invalid = 0;
	e->totals.smb_gaps = 0;
	e->totals.smb_encrypted = 0;
	e->totals.smb_pipes_opened = 0;
	e->totals.smb_pipe_msgs = 0;
	e->totals.smb_pipes_unparsed = 0;
	e->totals.rpc_ops_dropped = op_batch_dropped_calls(e->ops);
	e->totals.rpc_op_clients_dropped = op_batch_dropped_clients(e->ops);
	for (i = 0; i < NANALYZERS; i++)
		if (analyzers[i]->totals != NULL)
			analyzers[i]->totals(e->mods[i], &e->totals);
	names_totals(e, &e->totals);
	e->totals.last_s = (int64_t)(e->host.now_us / US_PER_S);
}

/* The name parsers' and the name table's counters, absolute. */
static void
names_totals(const struct engine *e, struct run_totals *t)
{
	const struct names_stats *ns = &e->names_stats;
	size_t i;

	t->names_messages = 0;
	t->names_invalid = 0;
	t->names_facts = 0;
	t->names_rejected = 0;
	for (i = 0; i < NAME_SRC__COUNT; i++) {
		t->names_messages += ns->messages[i];
		t->names_invalid += ns->truncated[i] + ns->invalid[i];
		t->names_facts += ns->facts[i];
	}
	for (i = 0; i < NAME_REJ__COUNT; i++)
		t->names_rejected += ns->rejected[i];
	if (e->names != NULL) {
		t->names_known = names_count(e->names);
		t->names_evicted = names_evictions(e->names);
	}
}

struct stats_batch *
engine_batch(struct engine *e)
{
	return e->batch;
}

struct op_batch *
engine_ops(struct engine *e)
{
	return e->ops;
}

const struct run_totals *
engine_totals(const struct engine *e)
{
	return &e->totals;
}

void
engine_flow_stats(const struct engine *e, struct flow_table_stats *st)
{
	flow_table_get_stats(e->flows, st);
}

uint64_t
engine_now(const struct engine *e)
{
	return e->host.now_us;
}

static void
reclassify_visit(void *arg, struct flow *f)
{
	struct engine *e = arg;
	unsigned i;

	classify_flow(&e->cctx, f, e->host.now_us);
	for (i = 0; f->evidence != NULL && i < f->evidence->n; i++)
		classify_evidence(&e->cctx, &f->evidence->ev[i]);
}

/*
 * Flows hold catalog indexes.  Drain them under the old catalog first,
 * then name every live flow again under the new one.  A flow named by its
 * bind falls back to its port until it binds again; evidence records keep
 * what named them (an interface, a service key) and are named again.
 */
void
engine_set_catalog(struct engine *e, const struct catalog *cat)
{
	struct opwatch *w;
	char err[256];

	flow_table_foreach(e->flows, drain_visit, e);
	e->cat = cat;
	e->cctx.cat = cat;
	flow_table_foreach(e->flows, reclassify_visit, e);
	/* The watch list holds rows of the old catalog: never keep it. */
	if ((w = opwatch_build(&e->cfg, cat, NULL, err, sizeof(err))) == NULL)
		log_warnx("no sensitive_operation alerts: %s", err);
	opwatch_free(e->watch);
	e->watch = w;
}

/*
 * The one entry point of RPC calls (both analyzers' request() sinks):
 * the call counted in the operations table, then the interface and
 * operation named through the catalog for the sensitive_operation alert.
 * Serving drsuapi marks a domain controller whether or not the call is
 * watched.
 */
void
engine_rpc_request(struct engine *e, struct flow *f, const uint8_t uuid[16],
    uint16_t ver_major, uint16_t opnum)
{
	const struct catalog_iface *ci;
	struct alert_request rq;
	struct op_key k;
	int iface, op;

	memset(&k, 0, sizeof(k));
	k.server = f->server;
	k.port = f->server_port;
	k.transport = f->proto;
	k.opnum = opnum;
	memcpy(k.uuid, uuid, sizeof(k.uuid));
	e->totals.rpc_calls++;
	op_batch_call(e->ops, &k, ver_major, &f->client,
	    (int64_t)(e->host.now_us / US_PER_S));

	if (e->alerts == NULL ||
	    (iface = catalog_iface_find(e->cat, uuid, ver_major)) < 0)
		return;
	op = catalog_op_find(e->cat, iface, opnum);
	/* Alerts are about monitored servers, as alert_flow()'s are. */
	rq.watch = classify_monitored(&e->cctx, &f->server) ?
	    opwatch_lookup(e->watch, iface, op, opnum) : 0;
	rq.dc_iface = opwatch_dc_iface(e->watch, iface);
	if (rq.watch == 0 && !rq.dc_iface)
		return;
	ci = catalog_iface(e->cat, iface);
	rq.interface = ci->name;
	rq.operation = op >= 0 ? catalog_op(e->cat, op)->name : NULL;
	rq.service = ci->service >= 0 ?
	    catalog_service(e->cat, ci->service)->key : NULL;
	rq.opnum = opnum;
	rq.op_key = (uint32_t)iface << 16 | opnum;
	rq.now_us = e->host.now_us;
	alert_rpc_request(e->alerts, f, &rq);
}

/* One fact from a parser: into the table at the engine's clock. */
static void
engine_name_fact(void *arg, const struct name_fact *f)
{
	struct engine *e = arg;

	names_learn(e->names, f, e->host.now_us);
}

void
engine_set_names(struct engine *e, struct names_table *t)
{
	e->names = t;
	e->names_sink.fn = engine_name_fact;
	e->names_sink.arg = e;
	e->host.names = t != NULL ? &e->names_sink : NULL;
}

void
engine_set_alerts(struct engine *e, struct alerts *a)
{
	e->alerts = a;
	/* The roles hosts held before this run are not new. */
	if (a != NULL)
		alert_roles_settle(a, e->cat);
}

void
engine_set_config(struct engine *e, const struct config *cfg)
{
	struct flow_table_config fc;
	struct opwatch *w;
	char err[256];

	memcpy(e->cfg.monitored, cfg->monitored, sizeof(e->cfg.monitored));
	e->cfg.nmonitored = cfg->nmonitored;
	e->cctx.nmonitored = e->cfg.nmonitored;
	e->cfg.tcp_idle_s = cfg->tcp_idle_s;
	e->cfg.tcp_closed_s = cfg->tcp_closed_s;
	e->cfg.udp_idle_s = cfg->udp_idle_s;
	e->cfg.other_idle_s = cfg->other_idle_s;
	e->cfg.dpi_outbound = cfg->dpi_outbound;
	/*
	 * The watch list as the current catalog reads it; a reload then
	 * builds it again for its new catalog (engine_set_catalog()), which
	 * is where a name only the new catalog knows resolves.
	 */
	memcpy(e->cfg.watch, cfg->watch, sizeof(e->cfg.watch));
	e->cfg.nwatch = cfg->nwatch;
	e->cfg.watch_defaults = cfg->watch_defaults;
	if ((w = opwatch_build(&e->cfg, e->cat, NULL, err,
	    sizeof(err))) != NULL) {
		opwatch_free(e->watch);
		e->watch = w;
	}
	fc.capacity = e->cfg.flow_capacity;
	fc.tcp_idle_s = cfg->tcp_idle_s;
	fc.tcp_closed_s = cfg->tcp_closed_s;
	fc.udp_idle_s = cfg->udp_idle_s;
	fc.other_idle_s = cfg->other_idle_s;
	flow_table_set_timeouts(e->flows, &fc);
}
