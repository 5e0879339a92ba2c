/*
 * classify.h - which documented service a flow belongs to, and why.
 *
 * When a flow is created: an endpoint learned from an EPM or DCOM reply
 * for the server's (address, transport, port) names it (method epm),
 * dynamic RPC range or not; else the catalog's listener for (transport,
 * server port) does (method port), unless the port is in a dynamic RPC
 * range, which documents nothing by itself.  Later, an RPC interface the
 * catalog knows, bound on the flow itself, names the flow's service and
 * interface whatever named it before (a bind names one interface where a
 * learned port may name several); the method stays epm if it was, else
 * becomes bind.  A flow with either end monitored that nothing names is
 * undocumented; a flow with neither end in the monitored networks is
 * counted but not attributed.  nDPI's verdict is checked against the
 * catalog's application protocol only for flows named by their port.
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

/**
 * Decide a flow's class, service, method, interface and port row from
 * scratch: at its first packet, and again for every live flow when the
 * catalog is replaced (a bind's naming is then forgotten).
 */
void	classify_flow(const struct classify_ctx *c, struct flow *f,
	    uint64_t now_us);

/**
 * The learned-endpoint table changed since the flow was classified
 * (struct flow.ep_gen): an undocumented flow that a learned endpoint now
 * names is re-attributed to it (method epm), from its next drain on, so
 * the counts not yet drained move with it.  Flows named otherwise keep
 * their naming.  Records the generation seen.
 * @return: true if the flow was re-attributed.
 */
bool	classify_relearn(const struct classify_ctx *c, struct flow *f,
	    uint64_t now_us);

/**
 * The flow bound an RPC interface.  If the catalog knows it, it names the
 * flow's service and interface, also over a learned endpoint's naming
 * (which keeps method epm; any other method becomes bind), and the flow
 * is classified.  Unknown interfaces and unmonitored flows are ignored.
 */
void	classify_bound(const struct classify_ctx *c, struct flow *f,
	    const uint8_t uuid[16], uint16_t ver_major);

/**
 * nDPI finished: record whether it agrees with the catalog's application
 * protocol for the flow's port row.  `name` is its most specific verdict,
 * `master` the protocol under it (NULL if none): a DNS lookup of a
 * Microsoft name is app "Microsoft" over master "DNS", and agrees with a
 * DNS port.  Only flows named by their port (method port) are checked; a
 * verdict of "Unknown" and an application with no nDPI names accept
 * anything.
 * @return: true if neither agrees (a protocol mismatch), also recorded
 *   in f->app_mismatch.
 */
bool	classify_dpi(const struct classify_ctx *c, struct flow *f,
	    const char *name, const char *master);

/**
 * Name an evidence record (flow.h) by what it saw: the service of its
 * interface if the catalog knows it (and iface), else of its named pipe
 * (catalog_pipe_find()), else of its service key; -1 when none is known.
 */
void	classify_evidence(const struct classify_ctx *c,
	    struct flow_evidence *ev);

#endif /* SVCMAP_CLASSIFY_H */
