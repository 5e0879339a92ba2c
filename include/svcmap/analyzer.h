/*
 * analyzer.h - the seam between the engine and the per-flow analyzers.
 *
 * The engine keeps a table of analyzers (engine.c: analyzers[]), in the
 * order they see each packet.  Each row is a struct analyzer: a name,
 * when it attaches to a flow, and its entry points.  Adding an analyzer
 * is one row there plus its file (src/analyzer_<name>.c) defining the
 * struct analyzer the row points to.
 *
 * Life of a flow, as the engine drives it:
 *  - The flow is created and classified (classify_flow()).  A flow with
 *    neither end monitored gets only the analyzers whose row says
 *    ANALYZER_UNMONITORED.  For the others, each
 *    analyzer's on_flow() says ANALYZER_ATTACH (state now, via
 *    flow_new()), ANALYZER_PROBE (look at its payloads first) or
 *    ANALYZER_SKIP.
 *  - A probing analyzer's probe() sees the flow's packets with payload
 *    until it attaches (the packet is then fed too) or says SKIP.
 *  - An attached analyzer's packet() sees the flow's packets (only those
 *    with payload if its row says ANALYZER_PAYLOAD_ONLY) until it returns
 *    false: it has nothing more to learn, and its state is freed.
 *  - When the flow ends, flow_end() runs for each attached analyzer,
 *    then its state is freed, then the flow's counts are drained.
 *
 * Analyzers report what they learn by refining the flow's classification
 * (classify_bound(), classify_dpi()), by naming its application protocol
 * (struct flow.protocol: a string the module owns), or by adding evidence
 * records (flow.h: flow_evidence_add(), named by classify_evidence()): a
 * flow carrying several services (an SMB session with svcctl and samr
 * pipes) gets one record per service, and the packets that carried each
 * service are charged to its record (struct analyzer_packet.charge).  At
 * a drain every record becomes its own statistics row; every packet is
 * counted once, under the record it was charged to or else under the
 * flow's own classification.  An analyzer that needs DCE/RPC inside its
 * protocol (SMB pipes) keeps its own dcerpc_parser and a dcerpc_flow per
 * pipe, feeds it with dcerpc_stream(), and adds its parser's counters in
 * its totals() hook.  The DCE/RPC calls any of them sees go to one
 * entry point, engine_rpc_request() (below), which counts operations.
 *
 * Per-packet rule: nothing on the packet path allocates.  State is
 * allocated once per flow (flow_new()), evidence lists once per flow.
 * Single-threaded: an engine and its analyzers belong to one thread.
 */
#ifndef SVCMAP_ANALYZER_H
#define SVCMAP_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addr;
struct classify_ctx;
struct config;
struct engine;
struct flow;
struct names_sink;
struct names_stats;
struct packet;
struct run_totals;

/* What the engine lends its analyzers; owned by the engine. */
struct analyzer_host {
	const struct config	*cfg;	/* settings (reloadable) */
	struct classify_ctx	*cctx;	/* catalog, endpoints, nets */
	struct run_totals	*totals; /* counters analyzers add to */
	uint64_t		 now_us; /* packet time; never steps back */
	/*
	 * Where host names go (names.h): facts given to it are learned
	 * into the engine's name table at now_us.  NULL: no table.  The
	 * parsers' counters go to names_stats (never NULL).
	 */
	const struct names_sink	*names;
	struct names_stats	*names_stats;
	struct engine		*engine; /* for the engine_*() calls below */
};

/*
 * What the engine does for its analyzers (engine.c), on the engine's
 * thread, with the engine from struct analyzer_host.
 */

/**
 * One DCE/RPC call seen on flow f: a request's first fragment on a
 * bound context (connection-oriented, direct or in an SMB pipe of f) or
 * a connectionless request, with the interface it names and its opnum.
 * The one entry point for RPC operations: the call is counted in the
 * engine's operations table (opstats.h) under (f's server, port and
 * transport, uuid, opnum) with f's client, at the engine's clock.
 * Then, through the catalog, the sensitive_operation alert (opwatch.h).
 * Never allocates; a call the full table cannot take is counted
 * (rpc_ops_dropped).
 */
void	engine_rpc_request(struct engine *e, struct flow *f,
	    const uint8_t uuid[16], uint16_t ver_major, uint16_t opnum);

/**
 * A reply announced an RPC endpoint at (ip, transport, port) (EPM, DCOM
 * or a bind_ack's secondary address, already learned): evidence that
 * settles the unmapped_dynamic_port alert of that port (held in its
 * grace period: dropped; open: resolved).  The flows already running to
 * it are re-attributed by the engine itself (classify_relearn()).
 */
void	engine_rpc_endpoint(struct engine *e, const struct addr *ip,
	    uint8_t transport, uint16_t port);

/**
 * A bind or alter_context on flow f named its service
 * (classify_bound()): the same evidence for f's server port.
 */
void	engine_rpc_bound(struct engine *e, struct flow *f);

/* The packet an analyzer is fed. */
struct analyzer_packet {
	const struct packet	*pkt;
	int			 dir;	/* FLOW_C2S or FLOW_S2C */
	/*
	 * Evidence record (flow_evidence_add()) this packet counts under;
	 * 0, the default, is the flow's own classification.  An analyzer
	 * that recognises the packet as carrying a record's service sets
	 * it; the engine charges the packet once, after all analyzers ran.
	 */
	int			 charge;
};

enum analyzer_attach {
	ANALYZER_SKIP = 0,	/* not for this flow */
	ANALYZER_ATTACH,	/* create state now */
	ANALYZER_PROBE		/* look at payloads first (probe()) */
};

/* struct analyzer.flags */
#define ANALYZER_PAYLOAD_ONLY	0x01	/* packet(): payload only */
/*
 * on_flow() also for flows with neither end monitored (the names
 * analyzer: a DHCP request goes from 0.0.0.0 to the broadcast address).
 * Such an analyzer must not classify the flow or charge its packets.
 */
#define ANALYZER_UNMONITORED	0x02

struct analyzer {
	const char	*name;		/* "dpi", "dcerpc" */
	unsigned	 flags;		/* ANALYZER_* */

	/**
	 * Module state, once per engine.  @return: it, or NULL with err
	 * set (the engine fails to start).
	 */
	void	*(*init)(const struct analyzer_host *h, char *err,
		    size_t errlen);
	void	 (*fini)(void *mod);

	/** A monitored flow was created and classified: attach? */
	enum analyzer_attach (*on_flow)(void *mod, struct flow *f);
	/**
	 * A probing flow's packet with payload: ATTACH (then flow_new()
	 * and packet() on this same packet), PROBE (ask again on the next
	 * one) or SKIP (never again on this flow).  NULL: never probes.
	 */
	enum analyzer_attach (*probe)(void *mod, struct flow *f,
		    const struct analyzer_packet *ap);

	/**
	 * Per-flow state; NULL on allocation failure (the flow goes
	 * without this analyzer).  May record on f why it has none.
	 */
	void	*(*flow_new)(void *mod, struct flow *f);
	/** One packet.  @return: false when done (the state is freed). */
	bool	 (*packet)(void *mod, void *st, struct flow *f,
		    struct analyzer_packet *ap);
	/** The flow ends (before its last drain); NULL: nothing to do. */
	void	 (*flow_end)(void *mod, void *st, struct flow *f);
	void	 (*flow_free)(void *mod, void *st);

	/**
	 * Add this analyzer's counters to the run totals (at each drain,
	 * after the engine zeroed the analyzer counters); NULL: none.
	 */
	void	 (*totals)(void *mod, struct run_totals *t);
};

/* The analyzers of the engine's table (src/analyzer_<name>.c). */
extern const struct analyzer analyzer_dpi;
extern const struct analyzer analyzer_dcerpc;
extern const struct analyzer analyzer_smb;
extern const struct analyzer analyzer_names;

#endif /* SVCMAP_ANALYZER_H */
