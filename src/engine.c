/*
 * engine.c - the per-packet pipeline: decode, flows, nDPI, DCE/RPC,
 * classification, counters.
 *
 * Hot path budget: one decode, one flow lookup, and for a flow's first
 * packets nDPI; DCE/RPC only on RPC flows.  Nothing here allocates per
 * packet: flows come from the table's preallocated slots, nDPI and
 * DCE/RPC state is allocated once per flow that needs it, and statistics
 * rows once per (service, server, bucket) at drain time.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/alert.h"
#include "svcmap/capture.h"
#include "svcmap/catalog.h"
#include "svcmap/classify.h"
#include "svcmap/config.h"
#include "svcmap/dcerpc.h"
#include "svcmap/decode.h"
#include "svcmap/dpi.h"
#include "svcmap/endpoint.h"
#include "svcmap/engine.h"
#include "svcmap/flow.h"
#include "svcmap/stats.h"

#define US_PER_S		1000000ULL
/* How often (packet time) idle flows and endpoints are looked at. */
#define EXPIRE_EVERY_US		(1 * US_PER_S)
#define ENDPOINT_EXPIRE_EVERY_US (60 * US_PER_S)

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
	struct dpi		*dpi;
	struct dcerpc_parser	*rpc;
	struct endpoint_table	*endpoints;
	struct stats_batch	*batch;
	struct alerts		*alerts;	/* NULL: no alerts */
	struct run_totals	 totals;
	uint64_t		 now_us;
	uint64_t		 next_expire_us;
	uint64_t		 next_ep_expire_us;
	/* A drain ran out of memory: the next one scans every flow. */
	bool			 drain_all;

	/* The flow and packet a DCE/RPC callback reports about. */
	struct flow		*cur_flow;
	const struct packet	*cur_pkt;
	struct dcerpc_sink	 sink;

	struct frag_slot	 frags[FRAG_SLOTS];
};

static void engine_flow_end(void *arg, struct flow *f, enum flow_end why);

static enum packet_class
flow_packet_class(const struct flow *f)
{
	switch (f->cls) {
	case FLOW_CLASSIFIED:
		return PKT_CLASSIFIED;
	case FLOW_UNDOCUMENTED:
		return PKT_UNDOCUMENTED;
	case FLOW_UNMONITORED:
		break;
	}
	return PKT_UNMONITORED;
}

/*
 * Orient flows picked up mid-stream: a learned endpoint or a catalog
 * listener is the server.  Dynamic RPC ranges do not count: both ends of
 * many flows sit in them, so they say nothing about direction.
 */
static bool
engine_is_service(void *arg, uint8_t proto, const struct addr *ip,
    uint16_t port)
{
	struct engine *e = arg;
	int row;

	if (e->endpoints != NULL && endpoint_exists(e->endpoints, ip, proto,
	    port))
		return true;
	row = catalog_listener(e->cat, proto, port);
	return row >= 0 && !catalog_port_is_dynamic_rpc(e->cat, row);
}

static void
rpc_bound(void *arg, const uint8_t uuid[16], uint16_t ver_major,
    uint16_t ver_minor)
{
	struct engine *e = arg;

	(void)ver_minor;
	classify_bound(&e->cctx, e->cur_flow, uuid, ver_major);
}

/*
 * A reply announced an endpoint.  Towers with host 0.0.0.0 (or none) mean
 * "the server answering you": the reply's sender, IPv4 or IPv6.
 */
static void
rpc_endpoint(void *arg, const struct dcerpc_endpoint *ep)
{
	struct engine *e = arg;
	const struct addr *ip = &e->cur_pkt->src;

	if (e->endpoints == NULL)
		return;
	/*
	 * A bind_ack's secondary address only confirms the port the flow
	 * already goes to.  Worth keeping where the port documents nothing
	 * by itself (a dynamic range); on 135 or 593 it would turn the
	 * endpoint mapper's own port into a "learned" one.
	 */
	if (ep->source == EP_SOURCE_BIND_ACK) {
		int row = catalog_listener(e->cat, e->cur_flow->proto,
		    ep->port);

		if (ep->port != e->cur_flow->server_port ||
		    (row >= 0 && !catalog_port_is_dynamic_rpc(e->cat, row)))
			return;
	}
	if (ep->has_addr && !addr_is_unspecified(&ep->addr))
		ip = &ep->addr;
	if (endpoint_learn(e->endpoints, ep, ip, e->now_us) == 1)
		e->totals.endpoints_learned++;
}

struct engine *
engine_create(const struct config *cfg, const struct catalog *cat,
    struct endpoint_table *endpoints, char *err, size_t errlen)
{
	struct flow_table_config fc;
	struct dcerpc_config rc;
	struct engine *e;

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
	e->sink.arg = e;
	e->sink.bound = rpc_bound;
	e->sink.endpoint = rpc_endpoint;

	memset(&fc, 0, sizeof(fc));
	fc.capacity = cfg->flow_capacity;
	fc.tcp_idle_s = cfg->tcp_idle_s;
	fc.tcp_closed_s = cfg->tcp_closed_s;
	fc.udp_idle_s = cfg->udp_idle_s;
	fc.other_idle_s = cfg->other_idle_s;
	rc.max_frag_len = cfg->rpc_max_frag;
	rc.max_reassembly = cfg->rpc_max_reassembly;

	if ((e->flows = flow_table_create(&fc, engine_is_service,
	    engine_flow_end, e)) == NULL) {
		snprintf(err, errlen, "cannot allocate a flow table of %u flows",
		    cfg->flow_capacity);
		goto fail;
	}
	if ((e->dpi = dpi_create()) == NULL) {
		snprintf(err, errlen, "cannot initialise nDPI");
		goto fail;
	}
	if ((e->rpc = dcerpc_parser_create(&rc)) == NULL ||
	    (e->batch = stats_batch_create()) == NULL) {
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
	if (e == NULL)
		return;
	/* Ending the flows needs nDPI and the parser: tear down in order. */
	if (e->flows != NULL)
		flow_table_destroy(e->flows);
	if (e->rpc != NULL)
		dcerpc_parser_destroy(e->rpc);
	if (e->dpi != NULL)
		dpi_destroy(e->dpi);
	if (e->batch != NULL)
		stats_batch_destroy(e->batch);
	free(e);
}

static void
dpi_finish(struct engine *e, struct flow *f, const struct dpi_result *res)
{
	f->ndpi_master = res->master;
	f->ndpi_app = res->app;
	f->dpi_done = true;
	if (classify_dpi(&e->cctx, f, dpi_result_name(e->dpi, res),
	    res->master != 0 ? dpi_proto_name(e->dpi, res->master) : NULL))
		e->totals.dpi_mismatches++;
	dpi_flow_destroy(f->dpi);
	f->dpi = NULL;
}

/*
 * Tell the alert module what the flow turned out to be.  Until the flow
 * ends this waits for nDPI's verdict: an undocumented port that nDPI
 * calls DCE/RPC is an unmapped dynamic port, anything else on it is an
 * undocumented service.
 */
static void
engine_alert(struct engine *e, struct flow *f, bool final)
{
	const struct catalog_port *row;
	struct alert_facts fa;
	struct dpi_result res;

	memset(&fa, 0, sizeof(fa));
	fa.server_monitored = classify_monitored(&e->cctx, &f->server);
	if (f->port_row >= 0) {
		row = catalog_port(e->cat, f->port_row);
		fa.dynamic_rpc = catalog_port_is_dynamic_rpc(e->cat,
		    f->port_row);
		if (row->app >= 0)
			fa.expected = catalog_app(e->cat, row->app)->key;
	}
	if (f->service >= 0)
		fa.service = catalog_service(e->cat, f->service)->key;
	if (f->dpi_done && (f->ndpi_app != 0 || f->ndpi_master != 0)) {
		res.master = f->ndpi_master;
		res.app = f->ndpi_app;
		res.guessed = false;
		fa.protocol = dpi_result_name(e->dpi, &res);
	}
	fa.mismatch = f->app_mismatch;
	fa.now_us = f->last_us;
	fa.start_us = (uint64_t)e->totals.first_s * US_PER_S;
	alert_flow(e->alerts, f, &fa, final);
}

static void
run_dpi(struct engine *e, struct flow *f, const struct packet *pkt)
{
	struct dpi_result res;

	if (dpi_process(e->dpi, f->dpi, pkt, &res)) {
		dpi_finish(e, f, &res);
		return;
	}
	if (f->pkts[FLOW_C2S] + f->pkts[FLOW_S2C] >= e->cfg.dpi_max_packets) {
		dpi_giveup(e->dpi, f->dpi, &res);
		dpi_finish(e, f, &res);
	}
}

static bool
is_rpc_service_port(const struct flow *f)
{
	if (f->proto == TRANSPORT_TCP)
		return f->server_port == 135 || f->server_port == 593;
	return f->proto == TRANSPORT_UDP && f->server_port == 135;
}

static void
run_dcerpc(struct engine *e, struct flow *f, const struct packet *pkt,
    int dir)
{
	if (f->rpc == NULL) {
		/*
		 * Flows on dynamic or unexpected ports get a parser only
		 * when their client opens with a bind.
		 */
		if (f->proto != TRANSPORT_TCP || dir != FLOW_C2S ||
		    f->payload_pkts > 2 ||
		    !dcerpc_looks_like_bind(pkt->payload, pkt->payload_len))
			return;
		if ((f->rpc = dcerpc_flow_create(e->rpc)) == NULL)
			return;
	}
	e->cur_flow = f;
	e->cur_pkt = pkt;
	if (f->proto == TRANSPORT_TCP)
		dcerpc_tcp(e->rpc, f->rpc, dir, pkt->tcp_seq, pkt->payload,
		    pkt->payload_len, &e->sink);
	else
		dcerpc_udp(e->rpc, f->rpc, dir, pkt->payload, pkt->payload_len,
		    &e->sink);
	e->cur_flow = NULL;
	e->cur_pkt = NULL;
}

/*
 * nDPI's verdict is checked against the catalog and names what a
 * monitored server runs, so it goes to flows whose server is monitored,
 * and to a monitored host's multicast and broadcast (LLMNR, mDNS, SSDP,
 * NetBIOS), which serve the local segment.  A monitored client's flows to
 * outside servers are attributed by port without it unless dpi-outbound
 * asks: on a link to the Internet they are most of the flows, and nDPI
 * most of the cost of each (docs/benchmark.md).
 */
static bool
dpi_wanted(const struct engine *e, const struct flow *f)
{
	return e->cfg.dpi_outbound || addr_is_group(&f->server) ||
	    classify_monitored(&e->cctx, &f->server);
}

static void
engine_flow_new(struct engine *e, struct flow *f)
{
	classify_flow(&e->cctx, f, e->now_us);
	/* Unmonitored traffic is counted, not analysed. */
	if (f->cls == FLOW_UNMONITORED)
		return;
	if (!dpi_wanted(e, f))
		f->dpi_done = true;
	else if ((f->dpi = dpi_flow_create(e->dpi)) == NULL)
		f->dpi_done = true;
	if (is_rpc_service_port(f))
		f->rpc = dcerpc_flow_create(e->rpc);
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

void
engine_packet(void *arg, const struct captured *c)
{
	struct engine *e = arg;
	enum decode_reason why;
	enum decode_result r;
	struct packet pkt;
	struct flow *f;
	bool created;
	int dir;

	e->totals.packets++;
	e->totals.bytes += c->wirelen;
	/* Capture files may step back a little; the clock never does. */
	if (c->ts_us > e->now_us)
		e->now_us = c->ts_us;
	if (e->totals.first_s == 0)
		e->totals.first_s = (int64_t)(c->ts_us / US_PER_S);

	pkt.ts_us = c->ts_us;
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
	if (pkt.fragmented)
		frag_remember(e, &pkt);
	if (f->dpi != NULL && !f->dpi_done)
		run_dpi(e, f, &pkt);
	if (pkt.payload_len > 0 && f->cls != FLOW_UNMONITORED)
		run_dcerpc(e, f, &pkt, dir);
	if (e->alerts != NULL && f->dpi_done && alert_flow_due(f))
		engine_alert(e, f, false);

expire:
	if (e->now_us >= e->next_expire_us) {
		flow_table_expire(e->flows, e->now_us);
		e->next_expire_us = e->now_us + EXPIRE_EVERY_US;
	}
	if (e->endpoints != NULL && e->now_us >= e->next_ep_expire_us) {
		endpoint_expire(e->endpoints, e->now_us);
		e->next_ep_expire_us = e->now_us + ENDPOINT_EXPIRE_EVERY_US;
	}
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
 * Move a flow's counts since its last drain into the batch, in the bucket
 * of its latest packet.  Its first drain also counts it as a flow and its
 * client as a client of the service.  Out of memory, the flow stays
 * undrained and the next drain scans every flow to find it again (the
 * touched walk would not: its mark is gone).
 */
static void
drain_flow(struct engine *e, struct flow *f)
{
	uint64_t dp[2], db[2];
	enum packet_class pc;
	struct stats_client cl;
	struct stats_key key;
	struct stats_row *row;
	struct dpi_result res;
	int64_t first_s, last_s;
	int d;

	for (d = 0; d < 2; d++) {
		dp[d] = f->pkts[d] - f->drained_pkts[d];
		db[d] = f->bytes[d] - f->drained_bytes[d];
	}
	if (dp[0] + dp[1] == 0 && f->counted)
		return;

	last_s = (int64_t)(f->last_us / US_PER_S);
	if (f->cls != FLOW_UNMONITORED) {
		memset(&key, 0, sizeof(key));
		if (f->service >= 0)
			copy_name(key.service, sizeof(key.service),
			    catalog_service(e->cat, f->service)->key);
		key.server = f->server;
		key.port = f->server_port;
		key.vlan = f->vlan;
		key.transport = f->proto;
		key.method = (uint8_t)f->method;
		key.bucket = last_s - last_s % (int64_t)e->cfg.bucket_s;

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
		    (row = stats_batch_row(e->batch, &key)) == NULL) {
			e->drain_all = true;
			return;
		}
		first_s = (int64_t)(f->first_us / US_PER_S);
		if (first_s < key.bucket)
			first_s = key.bucket;
		if (row->first_s == 0 || first_s < row->first_s)
			row->first_s = first_s;
		if (last_s > row->last_s)
			row->last_s = last_s;
		row->flows += f->counted ? 0 : 1;
		for (d = 0; d < 2; d++) {
			row->pkts[d] += dp[d];
			row->bytes[d] += db[d];
		}
		if (f->dpi_done && (f->ndpi_app != 0 || f->ndpi_master != 0)) {
			res.master = f->ndpi_master;
			res.app = f->ndpi_app;
			res.guessed = false;
			copy_name(row->protocol, sizeof(row->protocol),
			    dpi_result_name(e->dpi, &res));
		}
		if (f->iface >= 0)
			copy_name(row->interface, sizeof(row->interface),
			    catalog_iface(e->cat, f->iface)->name);
	}

	pc = flow_packet_class(f);
	e->totals.pkt_class[pc] += dp[0] + dp[1];
	e->totals.byte_class[pc] += db[0] + db[1];
	if (!f->counted) {
		e->totals.flows++;
		e->totals.flow_class[f->cls]++;
		f->counted = true;
	}
	for (d = 0; d < 2; d++) {
		f->drained_pkts[d] = f->pkts[d];
		f->drained_bytes[d] = f->bytes[d];
	}
}

static void
engine_flow_end(void *arg, struct flow *f, enum flow_end why)
{
	struct engine *e = arg;
	struct dpi_result res;

	(void)why;
	/* A flow too short for nDPI to decide still gets its best guess. */
	if (f->dpi != NULL) {
		dpi_giveup(e->dpi, f->dpi, &res);
		dpi_finish(e, f, &res);
	}
	if (e->alerts != NULL)
		engine_alert(e, f, true);
	drain_flow(e, f);
	if (f->rpc != NULL) {
		dcerpc_flow_destroy(f->rpc);
		f->rpc = NULL;
	}
}

static void
drain_visit(void *arg, struct flow *f)
{
	drain_flow(arg, f);
}

void
engine_drain(struct engine *e, bool end_flows)
{
	const struct dcerpc_stats *rs;
	struct flow_table_stats fs;

	/*
	 * Only flows with packets since the last drain have anything new;
	 * finding them costs what they number, where a scan of the table
	 * cost its peak size at every flush.
	 */
	if (end_flows)
		flow_table_end_all(e->flows);
	else if (e->drain_all) {
		e->drain_all = false;
		flow_table_foreach(e->flows, drain_visit, e);
	} else
		flow_table_foreach_touched(e->flows, drain_visit, e);

	flow_table_get_stats(e->flows, &fs);
	e->totals.flows_active = fs.active;
	e->totals.flows_evicted = fs.evicted;
	rs = dcerpc_parser_stats(e->rpc);
	e->totals.rpc_pdus = rs->pdus;
	e->totals.rpc_truncated = rs->truncated;
	e->totals.rpc_invalid = rs->invalid;
	e->totals.rpc_gaps = rs->gaps;
	e->totals.epm_replies = rs->epm_replies;
	e->totals.last_s = (int64_t)(e->now_us / US_PER_S);
}

struct stats_batch *
engine_batch(struct engine *e)
{
	return e->batch;
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

const struct dcerpc_stats *
engine_rpc_stats(const struct engine *e)
{
	return dcerpc_parser_stats(e->rpc);
}

uint64_t
engine_now(const struct engine *e)
{
	return e->now_us;
}

static void
reclassify_visit(void *arg, struct flow *f)
{
	struct engine *e = arg;

	classify_flow(&e->cctx, f, e->now_us);
}

/*
 * Flows hold catalog indexes.  Drain them under the old catalog first,
 * then name every live flow again under the new one.  A flow named by its
 * bind falls back to its port until it binds again.
 */
void
engine_set_catalog(struct engine *e, const struct catalog *cat)
{
	flow_table_foreach(e->flows, drain_visit, e);
	e->cat = cat;
	e->cctx.cat = cat;
	flow_table_foreach(e->flows, reclassify_visit, e);
}

void
engine_set_alerts(struct engine *e, struct alerts *a)
{
	e->alerts = a;
}

void
engine_set_config(struct engine *e, const struct config *cfg)
{
	struct flow_table_config fc;

	memcpy(e->cfg.monitored, cfg->monitored, sizeof(e->cfg.monitored));
	e->cfg.nmonitored = cfg->nmonitored;
	e->cctx.nmonitored = e->cfg.nmonitored;
	e->cfg.tcp_idle_s = cfg->tcp_idle_s;
	e->cfg.tcp_closed_s = cfg->tcp_closed_s;
	e->cfg.udp_idle_s = cfg->udp_idle_s;
	e->cfg.other_idle_s = cfg->other_idle_s;
	e->cfg.dpi_outbound = cfg->dpi_outbound;
	fc.capacity = e->cfg.flow_capacity;
	fc.tcp_idle_s = cfg->tcp_idle_s;
	fc.tcp_closed_s = cfg->tcp_closed_s;
	fc.udp_idle_s = cfg->udp_idle_s;
	fc.other_idle_s = cfg->other_idle_s;
	flow_table_set_timeouts(e->flows, &fc);
}
