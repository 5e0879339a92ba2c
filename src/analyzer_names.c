/*
 * analyzer_names.c - host names from the name services' answers, as an
 * analyzer: DNS, mDNS, LLMNR, NetBIOS name service, DHCP, Kerberos and
 * CLDAP datagrams, and NTLM CHALLENGE messages in the first payloads of
 * other TCP connections.
 *
 * Which flows, and why:
 *  - UDP flows with an end on 53, 5353, 5355, 137, 67/68, 88 or 389 and
 *    TCP flows to 53 or 88: every payload goes to names_packet(), which
 *    picks the parser by port.  These attach even when neither end is
 *    monitored (ANALYZER_UNMONITORED): a DHCP REQUEST goes from 0.0.0.0
 *    to the broadcast address, and a host's name is worth knowing
 *    whichever network answered for it.
 *  - Other TCP flows of a monitored host, but SMB (analyzer_smb hands
 *    its SESSION_SETUP security blobs to names_ntlm_scan() itself, read
 *    whole) and TLS ports (nothing to read in clear): an NTLM CHALLENGE
 *    comes in the first exchange of a DCE/RPC bind, an HTTP 401 or an
 *    LDAP bind, so the flow's first NAMES_SCAN_PAYLOADS payloads are
 *    scanned from probe() and the flow is then left alone.  A challenge
 *    later in a long connection is not seen; that bounds the cost to a
 *    few scans per connection.
 *
 * No per-flow state: an attached flow's state pointer is the module
 * itself (the engine needs a non-NULL one), and the probing flows are
 * counted by the flow's own payload_pkts.  Nothing here allocates after
 * init.  Facts go to the engine's sink (analyzer_host.names), which learns
 * them into the name table at packet time.
 */
#include <stdio.h>
#include <stdlib.h>

#include "svcmap/analyzer.h"
#include "svcmap/decode.h"
#include "svcmap/flow.h"
#include "svcmap/names.h"
#include "svcmap/transport.h"

/* Payload packets of a TCP flow scanned for an NTLM CHALLENGE. */
#define NAMES_SCAN_PAYLOADS	16

struct an_names {
	const struct analyzer_host	*h;
};

static void *
an_names_init(const struct analyzer_host *h, char *err, size_t errlen)
{
	struct an_names *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "engine: out of memory");
		return NULL;
	}
	m->h = h;
	return m;
}

static void
an_names_fini(void *mod)
{
	free(mod);
}

static bool
either(const struct flow *f, uint16_t port)
{
	return f->server_port == port || f->client_port == port;
}

/* Datagram name services: ports the answers come from or go to. */
static bool
udp_names_port(const struct flow *f)
{
	static const uint16_t ports[] = { 53, 5353, 5355, 137, 67, 68, 88,
	    389 };
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (either(f, ports[i]))
			return true;
	return false;
}

/* TCP ports never scanned for NTLM: SMB (read whole elsewhere), TLS. */
static bool
tcp_no_scan(uint16_t port)
{
	switch (port) {
	case 139:
	case 445:
	case 443:
	case 465:
	case 636:
	case 993:
	case 995:
	case 3269:
	case 3389:
		return true;
	}
	return false;
}

static enum analyzer_attach
an_names_on_flow(void *mod, struct flow *f)
{
	struct an_names *m = mod;

	if (m->h->names == NULL)
		return ANALYZER_SKIP;
	if (f->proto == TRANSPORT_UDP)
		return udp_names_port(f) ? ANALYZER_ATTACH : ANALYZER_SKIP;
	if (f->proto != TRANSPORT_TCP)
		return ANALYZER_SKIP;
	if (f->server_port == 53 || f->server_port == 88)
		return ANALYZER_ATTACH;
	if (f->cls == FLOW_UNMONITORED || tcp_no_scan(f->server_port))
		return ANALYZER_SKIP;
	return ANALYZER_PROBE;
}

/* A TCP payload among the flow's first: scan it, never attach. */
static enum analyzer_attach
an_names_probe(void *mod, struct flow *f, const struct analyzer_packet *ap)
{
	struct an_names *m = mod;
	const struct packet *pkt = ap->pkt;
	struct names_pkt np;

	np.src = &pkt->src;
	np.dst = &pkt->dst;
	np.sport = pkt->sport;
	np.dport = pkt->dport;
	np.tcp = true;
	names_ntlm_scan(pkt->payload, pkt->payload_len, &np, m->h->names,
	    m->h->names_stats);
	return f->payload_pkts >= NAMES_SCAN_PAYLOADS ? ANALYZER_SKIP :
	    ANALYZER_PROBE;
}

static void *
an_names_flow_new(void *mod, struct flow *f)
{
	(void)f;
	return mod;	/* no state; non-NULL so that the engine attaches */
}

static bool
an_names_packet(void *mod, void *st, struct flow *f,
    struct analyzer_packet *ap)
{
	struct an_names *m = mod;

	(void)st;
	(void)f;
	names_packet(ap->pkt, 0, m->h->names, m->h->names_stats);
	return true;
}

static void
an_names_flow_free(void *mod, void *st)
{
	(void)mod;
	(void)st;
}

const struct analyzer analyzer_names = {
	.name = "names",
	.flags = ANALYZER_PAYLOAD_ONLY | ANALYZER_UNMONITORED,
	.init = an_names_init,
	.fini = an_names_fini,
	.on_flow = an_names_on_flow,
	.probe = an_names_probe,
	.flow_new = an_names_flow_new,
	.packet = an_names_packet,
	.flow_end = NULL,
	.flow_free = an_names_flow_free,
	.totals = NULL,
};
