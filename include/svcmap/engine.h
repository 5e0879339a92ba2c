/*
 * engine.h - the per-packet pipeline of one classifier thread.
 *
 * decode -> flow -> nDPI (first packets) -> DCE/RPC (RPC flows) ->
 * classify -> counters.  An engine owns its flow table, nDPI module and
 * DCE/RPC parser and must be driven by one thread.  Packet time is the
 * clock: flows expire and buckets turn by the timestamps of the packets,
 * so a capture file gives the same result on every run.
 *
 * Statistics leave the engine only through engine_drain(): every live
 * flow's new counts go into the engine's batch (ended flows have put
 * theirs there already), and the run totals are brought up to date, so
 * at each drain the packet partition sums exactly to the packets read.
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
struct run_totals;
struct stats_batch;

struct engine;

/**
 * @param cfg: flow, DPI, DCE/RPC and classification settings (copied).
 * @param cat: the catalog; must outlive the engine or be replaced with
 *   engine_set_catalog() first.
 * @param endpoints: learned endpoint table (shared, not owned).
 * @return: the engine, or NULL with err set.
 */
struct engine *engine_create(const struct config *cfg,
	    const struct catalog *cat, struct endpoint_table *endpoints,
	    char *err, size_t errlen);
void	engine_destroy(struct engine *e);

/** Process one captured packet (a capture_handler). */
void	engine_packet(void *engine, const struct captured *pkt);

/**
 * Drain new counts of every live flow into the engine's batch and update
 * the run totals.  With end_flows, end every flow first (end of input).
 */
void	engine_drain(struct engine *e, bool end_flows);

/** The batch drained statistics go to (owned by the engine). */
struct stats_batch *engine_batch(struct engine *e);
/** Run totals as of the last drain. */
const struct run_totals *engine_totals(const struct engine *e);
void	engine_flow_stats(const struct engine *e, struct flow_table_stats *st);
/** Packet time of the latest packet, microseconds (0 before any). */
uint64_t engine_now(const struct engine *e);

/**
 * Report flows to an alert module (alert.h) from now on; NULL: none.
 * The module is driven on the engine's thread and is not owned.
 */
void	engine_set_alerts(struct engine *e, struct alerts *a);

/** Use another catalog from now on (SIGHUP); existing flows keep theirs. */
void	engine_set_catalog(struct engine *e, const struct catalog *cat);
/** Apply reloadable settings (monitored networks, flow timeouts). */
void	engine_set_config(struct engine *e, const struct config *cfg);

#endif /* SVCMAP_ENGINE_H */
