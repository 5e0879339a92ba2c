/*
 * classify.c - name the documented service of a flow.
 *
 * At creation a learned endpoint (epm) names the flow before the catalog
 * listener of the server port (port); a bind on the flow later names it
 * by its interface over either, keeping method epm where it was.  A port
 * inside a dynamic RPC range documents nothing by itself: the RPC runtime
 * hands those ports to whichever service asks, so only EPM/DCOM replies
 * or the flow's own bind can name the service there.
 */
#include <stdbool.h>
#include <string.h>

#include "svcmap/catalog.h"
#include "svcmap/classify.h"
#include "svcmap/endpoint.h"
#include "svcmap/flow.h"
#include "svcmap/transport.h"

/* Interfaces learned on one port that a lookup considers. */
#define CLASSIFY_MAX_CANDIDATES 16

bool
classify_monitored(const struct classify_ctx *c, const struct addr *a)
{
	size_t i;

	for (i = 0; i < c->nmonitored; i++)
		if (cidr_contains(&c->monitored[i], a))
			return true;
	return false;
}

/* The service an endpoint entry names: its DCOM class's, else its interface's. */
static int
entry_service(const struct catalog *cat, const struct endpoint_entry *e,
    int *iface)
{
	int i;

	/*
	 * A DCOM exporter's interface is IRemUnknown whatever it serves;
	 * the activated class says which service it is (WMI -> Winmgmt).
	 */
	*iface = catalog_iface_find(cat, e->uuid, e->ver_major);
	if (e->has_clsid && (i = catalog_dcom_find(cat, e->clsid)) >= 0)
		return catalog_dcom(cat, i)->service;
	if (*iface >= 0)
		return catalog_iface(cat, *iface)->service;
	return -1;
}

/*
 * A learned port names the flow.  Several interfaces on one port (one
 * process serving many) name it by the service they share; when they do
 * not share one, the most recently announced wins until the flow's own
 * bind says better.  An interface the catalog does not know is still an
 * EPM-registered RPC server: it is dynamic RPC traffic, not an unknown port.
 */
static bool
classify_learned(const struct classify_ctx *c, struct flow *f,
    uint64_t now_us)
{
	struct endpoint_entry cand[CLASSIFY_MAX_CANDIDATES];
	size_t n, i, have;
	int service = -1, iface = -1, s, fi;
	bool shared = true;

	if (c->endpoints == NULL ||
	    (f->proto != TRANSPORT_TCP && f->proto != TRANSPORT_UDP))
		return false;
	n = endpoint_lookup(c->endpoints, &f->server, f->proto, f->server_port,
	    now_us, true, cand, CLASSIFY_MAX_CANDIDATES);
	/* ncacn_http endpoints are TCP flows too (RPC over HTTP, 593). */
	if (n == 0 && f->proto == TRANSPORT_TCP)
		n = endpoint_lookup(c->endpoints, &f->server,
		    ENDPOINT_TRANSPORT_HTTP, f->server_port, now_us, true, cand,
		    CLASSIFY_MAX_CANDIDATES);
	if (n == 0)
		return false;
	have = n < CLASSIFY_MAX_CANDIDATES ? n : CLASSIFY_MAX_CANDIDATES;
	for (i = 0; i < have; i++) {
		s = entry_service(c->cat, &cand[i], &fi);
		if (i == 0) {
			service = s;
			iface = fi;
		} else if (s != service)
			shared = false;
	}
	if (!shared)
		service = entry_service(c->cat, &cand[0], &iface);
	if (service < 0)
		service = catalog_service_find(c->cat, "rpc-dynamic");
	f->service = service;
	f->iface = n == 1 ? iface : -1;
	f->method = METHOD_EPM;
	f->cls = FLOW_CLASSIFIED;
	return true;
}

void
classify_flow(const struct classify_ctx *c, struct flow *f, uint64_t now_us)
{
	uint16_t port;
	int row;

	f->service = -1;
	f->port_row = -1;
	f->iface = -1;
	f->method = METHOD_NONE;
	/* Before the lookup: an endpoint learned meanwhile is seen again. */
	if (c->endpoints != NULL)
		f->ep_gen = endpoint_generation(c->endpoints);
	/*
	 * An outside server is not a Windows service of the site, whatever
	 * its port documents (a web server on the Internet is not IIS): a
	 * monitored client's use of it is counted coarsely, as outbound.
	 * Multicast and broadcast serve the client's own segment (LLMNR,
	 * SSDP, NetBIOS) and stay with the monitored traffic.
	 */
	if (!classify_monitored(c, &f->server) &&
	    !addr_is_group(&f->server)) {
		f->cls = classify_monitored(c, &f->client) ? FLOW_OUTBOUND :
		    FLOW_UNMONITORED;
		return;
	}
	if (!classify_monitored(c, &f->server) &&
	    !classify_monitored(c, &f->client)) {
		f->cls = FLOW_UNMONITORED;
		return;
	}
	port = (f->proto == TRANSPORT_TCP || f->proto == TRANSPORT_UDP) ?
	    f->server_port : 0;
	row = catalog_listener(c->cat, f->proto, port);
	f->port_row = row;
	if (classify_learned(c, f, now_us))
		return;
	if (row >= 0 && !catalog_port_is_dynamic_rpc(c->cat, row)) {
		f->service = catalog_port(c->cat, row)->service;
		f->method = METHOD_PORT;
		f->cls = FLOW_CLASSIFIED;
		return;
	}
	f->cls = FLOW_UNDOCUMENTED;
}

bool
classify_relearn(const struct classify_ctx *c, struct flow *f,
    uint64_t now_us)
{
	if (c->endpoints == NULL)
		return false;
	f->ep_gen = endpoint_generation(c->endpoints);
	if (f->cls != FLOW_UNDOCUMENTED || f->method != METHOD_NONE)
		return false;
	/* The cheap test first: most generations are about other ports. */
	if (!endpoint_exists(c->endpoints, &f->server, f->proto,
	    f->server_port) && (f->proto != TRANSPORT_TCP ||
	    !endpoint_exists(c->endpoints, &f->server,
	    ENDPOINT_TRANSPORT_HTTP, f->server_port)))
		return false;
	return classify_learned(c, f, now_us);
}

void
classify_bound(const struct classify_ctx *c, struct flow *f,
    const uint8_t uuid[16], uint16_t ver_major)
{
	int iface;

	if (f->cls == FLOW_UNMONITORED || f->cls == FLOW_OUTBOUND)
		return;
	iface = catalog_iface_find(c->cat, uuid, ver_major);
	if (iface < 0)
		return;
	/* The flow's own bind is finer than the port's candidate set. */
	f->iface = iface;
	f->service = catalog_iface(c->cat, iface)->service;
	if (f->method != METHOD_EPM)
		f->method = METHOD_BIND;
	f->cls = FLOW_CLASSIFIED;
}

bool
classify_dpi(const struct classify_ctx *c, struct flow *f, const char *name,
    const char *master)
{
	const struct catalog_port *row;

	f->app_mismatch = false;
	if (f->method != METHOD_PORT || f->port_row < 0 || name == NULL ||
	    strcmp(name, "Unknown") == 0)
		return false;
	row = catalog_port(c->cat, f->port_row);
	f->app_mismatch = !catalog_app_accepts(c->cat, row->app, name) &&
	    (master == NULL || !catalog_app_accepts(c->cat, row->app, master));
	return f->app_mismatch;
}

void
classify_evidence(const struct classify_ctx *c, struct flow_evidence *ev)
{
	int row;

	ev->service = -1;
	ev->iface = -1;
	/* A bind names the service more precisely than its pipe. */
	if (ev->has_uuid &&
	    (ev->iface = catalog_iface_find(c->cat, ev->uuid,
	    ev->ver_major)) >= 0)
		ev->service = catalog_iface(c->cat, ev->iface)->service;
	else if (ev->pipe[0] != '\0' &&
	    (row = catalog_pipe_find(c->cat, ev->pipe)) >= 0)
		ev->service = catalog_pipe(c->cat, row)->service;
	else if (ev->key[0] != '\0')
		ev->service = catalog_service_find(c->cat, ev->key);
}
