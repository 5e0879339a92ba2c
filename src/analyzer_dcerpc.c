/*
 * analyzer_dcerpc.c - DCE/RPC as an analyzer: binds name the flow,
 * replies teach endpoints.
 *
 * Attaches when the flow is created on the endpoint mapper's ports (135
 * TCP/UDP, 593 TCP), and otherwise to a TCP flow whose client opens with
 * a bind in its first payloads (unexpected ports).  On a port that is a
 * learned endpoint or inside a dynamic RPC range, a flow may also have
 * been picked up mid-stream (the capture or the sensor started during
 * the association): any plausible connection-oriented PDU header in its
 * first payloads, anywhere in a segment and sent by the side that sends
 * that type (a request by the client, a response by the server), attaches
 * the parser, which resynchronises on it (dcerpc_find_pdu()); first
 * payloads without one mark the flow as not RPC (FLOW_RPC_NOT), which
 * keeps its port out of unmapped_dynamic_port.  Every payload goes to
 * the parser (dcerpc.h) until the flow ends.  A bind or alter_context
 * names the flow's service (classify_bound()); endpoints announced in
 * replies go to the learned-endpoint table, and both settle the alert of
 * the port they name (engine_rpc_bound(), engine_rpc_endpoint()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/analyzer.h"
#include "svcmap/catalog.h"
#include "svcmap/classify.h"
#include "svcmap/config.h"
#include "svcmap/dcerpc.h"
#include "svcmap/decode.h"
#include "svcmap/endpoint.h"
#include "svcmap/engine.h"
#include "svcmap/flow.h"
#include "svcmap/stats.h"
#include "svcmap/transport.h"

struct an_dcerpc {
	const struct analyzer_host	*h;
	struct dcerpc_parser		*p;
	struct dcerpc_sink		 sink;
	/* The flow and packet a parser callback reports about. */
	struct flow			*cur_flow;
	const struct packet		*cur_pkt;
};

static void
rpc_bound(void *arg, const uint8_t uuid[16], uint16_t ver_major,
    uint16_t ver_minor)
{
	struct an_dcerpc *m = arg;

	(void)ver_minor;
	classify_bound(m->h->cctx, m->cur_flow, uuid, ver_major);
	engine_rpc_bound(m->h->engine, m->cur_flow);
}

/* A call on this flow: the engine counts it and may alert on it. */
static void
rpc_request(void *arg, const uint8_t uuid[16], uint16_t ver_major,
    uint16_t opnum)
{
	struct an_dcerpc *m = arg;

	engine_rpc_request(m->h->engine, m->cur_flow, uuid, ver_major, opnum);
}

/*
 * A reply announced an endpoint.  Towers with host 0.0.0.0 (or none) mean
 * "the server answering you": the reply's sender, IPv4 or IPv6.
 */
static void
rpc_endpoint(void *arg, const struct dcerpc_endpoint *ep)
{
	struct an_dcerpc *m = arg;
	const struct catalog *cat = m->h->cctx->cat;
	struct endpoint_table *endpoints = m->h->cctx->endpoints;
	const struct addr *ip = &m->cur_pkt->src;

	if (endpoints == NULL)
		return;
	/*
	 * A bind_ack's secondary address only confirms the port the flow
	 * already goes to.  Worth keeping where the port documents nothing
	 * by itself (a dynamic range); on 135 or 593 it would turn the
	 * endpoint mapper's own port into a "learned" one.
	 */
	if (ep->source == EP_SOURCE_BIND_ACK) {
		int row = catalog_listener(cat, m->cur_flow->proto, ep->port);

		if (ep->port != m->cur_flow->server_port ||
		    (row >= 0 && !catalog_port_is_dynamic_rpc(cat, row)))
			return;
	}
	if (ep->has_addr && !addr_is_unspecified(&ep->addr))
		ip = &ep->addr;
	switch (endpoint_learn(endpoints, ep, ip, m->h->now_us)) {
	case 1:
		m->h->totals->endpoints_learned++;
		/* FALLTHROUGH */
	case 0:
		engine_rpc_endpoint(m->h->engine, ip, ep->transport, ep->port);
		break;
	}
}

static void *
an_dcerpc_init(const struct analyzer_host *h, char *err, size_t errlen)
{
	struct dcerpc_config rc;
	struct an_dcerpc *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "engine: out of memory");
		return NULL;
	}
	m->h = h;
	rc.max_frag_len = h->cfg->rpc_max_frag;
	rc.max_reassembly = h->cfg->rpc_max_reassembly;
	if ((m->p = dcerpc_parser_create(&rc)) == NULL) {
		snprintf(err, errlen, "engine: out of memory");
		free(m);
		return NULL;
	}
	m->sink.arg = m;
	m->sink.bound = rpc_bound;
	m->sink.endpoint = rpc_endpoint;
	m->sink.request = rpc_request;
	return m;
}

static void
an_dcerpc_fini(void *mod)
{
	struct an_dcerpc *m = mod;

	dcerpc_parser_destroy(m->p);
	free(m);
}

static enum analyzer_attach
an_dcerpc_on_flow(void *mod, struct flow *f)
{
	(void)mod;
	if (f->proto == TRANSPORT_TCP)
		return f->server_port == 135 || f->server_port == 593 ?
		    ANALYZER_ATTACH : ANALYZER_PROBE;
	if (f->proto == TRANSPORT_UDP && f->server_port == 135)
		return ANALYZER_ATTACH;
	return ANALYZER_SKIP;
}

/*
 * Payloads a flow on a dynamic or learned RPC port is probed for a PDU
 * header.  Eight covers a mid-stream pickup that starts inside a large
 * PDU (a response of several segments) and the handshake of a flow
 * seen from its start, and bounds what a non-RPC flow costs.
 */
#define RPC_PROBE_PAYLOADS	8

/* Could the server port be an RPC server's, whatever the flow says? */
static bool
rpc_port(const struct an_dcerpc *m, const struct flow *f)
{
	const struct classify_ctx *c = m->h->cctx;

	if (f->method == METHOD_EPM)
		return true;
	if (f->port_row >= 0 &&
	    catalog_port_is_dynamic_rpc(c->cat, f->port_row))
		return true;
	return c->endpoints != NULL && endpoint_exists(c->endpoints,
	    &f->server, f->proto, f->server_port);
}

/*
 * Flows on unexpected ports get a parser only when their client opens
 * with a bind: one of its first two payloads.  Flows on dynamic or
 * learned RPC ports also when any of their first payloads holds a
 * plausible PDU header (picked up mid-stream); when none does, the flow
 * carries something else than DCE/RPC.
 */
static enum analyzer_attach
an_dcerpc_probe(void *mod, struct flow *f, const struct analyzer_packet *ap)
{
	const struct packet *pkt = ap->pkt;
	struct an_dcerpc *m = mod;
	bool dyn;

	if (f->cls == FLOW_UNMONITORED)
		return ANALYZER_SKIP;
	if (ap->dir == FLOW_C2S && f->payload_pkts <= 2 &&
	    dcerpc_looks_like_bind(pkt->payload, pkt->payload_len))
		return ANALYZER_ATTACH;
	dyn = rpc_port(m, f);
	if (dyn && dcerpc_find_pdu(pkt->payload, pkt->payload_len,
	    ap->dir) >= 0)
		return ANALYZER_ATTACH;
	if (f->payload_pkts > (dyn ? RPC_PROBE_PAYLOADS : 2)) {
		if (dyn)
			f->rpc |= FLOW_RPC_NOT;
		return ANALYZER_SKIP;
	}
	return ANALYZER_PROBE;
}

static void *
an_dcerpc_flow_new(void *mod, struct flow *f)
{
	struct an_dcerpc *m = mod;

	(void)f;
	return dcerpc_flow_create(m->p);
}

static bool
an_dcerpc_packet(void *mod, void *st, struct flow *f,
    struct analyzer_packet *ap)
{
	struct an_dcerpc *m = mod;
	const struct packet *pkt = ap->pkt;
	uint64_t pdus;

	/* A reload may have left the flow unmonitored: it is counted only. */
	if (f->cls == FLOW_UNMONITORED)
		return true;
	m->cur_flow = f;
	m->cur_pkt = pkt;
	pdus = dcerpc_parser_stats(m->p)->pdus;
	if (f->proto == TRANSPORT_TCP)
		dcerpc_tcp(m->p, st, ap->dir, pkt->tcp_seq, pkt->payload,
		    pkt->payload_len, &m->sink);
	else
		dcerpc_udp(m->p, st, ap->dir, pkt->payload, pkt->payload_len,
		    &m->sink);
	/* A PDU framed: the flow's bytes are DCE/RPC, whatever came first. */
	if (dcerpc_parser_stats(m->p)->pdus != pdus)
		f->rpc = (uint8_t)((f->rpc | FLOW_RPC_SEEN) & ~FLOW_RPC_NOT);
	m->cur_flow = NULL;
	m->cur_pkt = NULL;
	return true;
}

static void
an_dcerpc_flow_free(void *mod, void *st)
{
	(void)mod;
	dcerpc_flow_destroy(st);
}

static void
an_dcerpc_totals(void *mod, struct run_totals *t)
{
	const struct dcerpc_stats *rs = dcerpc_parser_stats(
	    ((struct an_dcerpc *)mod)->p);

	t->rpc_pdus += rs->pdus;
	t->rpc_truncated += rs->truncated;
	t->rpc_invalid += rs->invalid;
	t->rpc_gaps += rs->gaps;
	t->epm_replies += rs->epm_replies;
}

const struct analyzer analyzer_dcerpc = {
	.name = "dcerpc",
	.flags = ANALYZER_PAYLOAD_ONLY,
	.init = an_dcerpc_init,
	.fini = an_dcerpc_fini,
	.on_flow = an_dcerpc_on_flow,
	.probe = an_dcerpc_probe,
	.flow_new = an_dcerpc_flow_new,
	.packet = an_dcerpc_packet,
	.flow_end = NULL,
	.flow_free = an_dcerpc_flow_free,
	.totals = an_dcerpc_totals,
};
