/*
 * classify.h - which documented service a flow belongs to, and why.
 *
 * Order of evidence (strongest first): an endpoint learned from an EPM or
 * DCOM reply (method epm) > an RPC interface bound on the flow itself
 * (method bind) > the catalog's listener for (transport, server port)
 * (method port).  A monitored server that nothing explains is
 * undocumented; a flow with neither end in the monitored networks is
 * counted but not attributed.  nDPI's verdict is recorded and checked
 * against the catalog's application protocol for the port.
 */
#ifndef SVCMAP_CLASSIFY_H
#define SVCMAP_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"

struct catalog;
struct endpoint_table;
struct flow;
struct flow_evidence;

struct classify_ctx {
	const struct catalog	*cat;
	struct endpoint_table	*endpoints;
	const struct cidr	*monitored;	/* monitored networks */
	size_t			 nmonitored;
};

/** Is the address inside a monitored network? */
bool	classify_monitored(const struct classify_ctx *c, const struct addr *a);

/** Decide a new flow's class, service and method (at its first packet). */
void	classify_flow(const struct classify_ctx *c, struct flow *f,
	    uint64_t now_us);

/**
 * The flow bound an RPC interface.  Names the flow by it unless a learned
 * endpoint already did (learned endpoints rank first).
 */
void	classify_bound(const struct classify_ctx *c, struct flow *f,
	    const uint8_t uuid[16], uint16_t ver_major);

/**
 * nDPI finished: record whether it agrees with the catalog's application
 * protocol for the flow's port row.  `name` is its most specific verdict,
 * `master` the protocol under it (NULL if none): a DNS lookup of a
 * Microsoft name is app "Microsoft" over master "DNS", and agrees with a
 * DNS port.
 * @return: true if neither agrees (a protocol mismatch).
 */
bool	classify_dpi(const struct classify_ctx *c, struct flow *f,
	    const char *name, const char *master);

/**
 * Name an evidence record (flow.h) by what it saw: its interface's
 * service if it has a uuid, else the service of its key; -1 when the
 * catalog knows neither.  Sets its service and iface.
 */
void	classify_evidence(const struct classify_ctx *c,
	    struct flow_evidence *ev);

#endif /* SVCMAP_CLASSIFY_H */
