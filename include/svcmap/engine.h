/*
 * engine.h - the per-packet pipeline of one classifier thread.
 *
 * decode -> flow -> classify (when the flow is created) -> analyzers
 * (analyzer.h: nDPI on a flow's first packets, DCE/RPC on RPC flows;
 * they refine the classification and add evidence records) -> alerts.
 * Counts reach the statistics batch when a flow is drained, not per
 * packet.  An engine owns its flow table, its analyzers' modules and its
 * batch, and must be driven by one thread; the learned-endpoint table
 * and the alert module are lent to it.  Packet time is the clock: flows
 * expire and buckets turn by the timestamps of the packets, so a capture
 * file gives the same result on every run.
 *
 * Flows are drained into the engine's batch when they end (expiry and
 * eviction happen inside engine_packet()), when the catalog is replaced,
 * and at engine_drain(), which also brings the run totals up to date:
 * after a drain the packet partition sums exactly to the packets read,
 * unless the batch ran out of memory, in which case the counts it could
 * not take stay on their flows until the next drain.
 */
#ifndef SVCMAP_ENGINE_H
#define SVCMAP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alerts;
struct captured;
struct catalog;
struct config;
struct endpoint_table;
struct flow_table_stats;
struct op_batch;
struct run_totals;
struct stats_batch;

struct engine;

/**
 * @param cfg: flow, DPI, DCE/RPC and classification settings (copied).
 * @param cat: the catalog; must outlive the engine or be replaced with
 *   engine_set_catalog() first.
 * @param endpoints: learned endpoint table (shared, not owned); NULL:
 *   nothing is learned and no flow is named by a learned endpoint.
 * @return: the engine, or NULL with err set.
 */
struct engine *engine_create(const struct config *cfg,
	    const struct catalog *cat, struct endpoint_table *endpoints,
	    char *err, size_t errlen);
void	engine_destroy(struct engine *e);

/** Process one captured packet (a capture_handler). */
void	engine_packet(void *engine, const struct captured *pkt);

/**
 * Drain the new counts of every live flow that had packets since the
 * last drain (every live flow after a drain that ran out of memory) into
 * the engine's batch and update the run totals.  With end_flows, end
 * every flow instead, which drains it (end of input).
 */
void	engine_drain(struct engine *e, bool end_flows);

/** The batch drained statistics go to (owned by the engine). */
struct stats_batch *engine_batch(struct engine *e);
/**
 * The RPC operations counted since it was last emptied (opstats.h;
 * owned by the engine; rpc-operations-capacity rows).  Calls go to it
 * as they are seen, not at a drain.
 */
struct op_batch *engine_ops(struct engine *e);
/**
 * Run totals.  Packets, bytes, decode reasons, fragments, the non-IP and
 * malformed classes, nDPI mismatches and learned endpoints count as
 * packets arrive; the classes of flow packets, flows, active and evicted
 * flows, the DCE/RPC counters and last_s are as of the last drain.
 */
const struct run_totals *engine_totals(const struct engine *e);
void	engine_flow_stats(const struct engine *e, struct flow_table_stats *st);
/**
 * The engine's clock: the latest packet time seen, microseconds (0
 * before any); an earlier timestamp does not move it back.
 */
uint64_t engine_now(const struct engine *e);

/**
 * Report flows to an alert module (alert.h) from now on; NULL: none.
 * The module is driven on the engine's thread and is not owned.
 */
void	engine_set_alerts(struct engine *e, struct alerts *a);

/**
 * Learn host names (names.h) into t from now on, at packet time; NULL:
 * none.  The table is shared with readers (it has its own lock) and is
 * not owned.
 */
struct names_table;
void	engine_set_names(struct engine *e, struct names_table *t);

/**
 * Use another catalog from now on (SIGHUP).  Live flows are drained under
 * the old one, then classified again under the new one: a flow named by
 * its bind falls back to its port or learned endpoint until it binds
 * again.  The old catalog is not used after the call.
 */
void	engine_set_catalog(struct engine *e, const struct catalog *cat);
/**
 * Apply reloadable settings: monitored networks (for flows created from
 * now on, and for live flows at the next engine_set_catalog()), flow
 * timeouts (from the next expiry) and dpi-outbound (for new flows).
 */
void	engine_set_config(struct engine *e, const struct config *cfg);

#endif /* SVCMAP_ENGINE_H */
