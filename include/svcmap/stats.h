/*
 * stats.h - per-service counters aggregated in memory between flushes.
 *
 * The classifier thread drains each flow's new packets and bytes into a
 * batch at every flush tick and when the flow ends; the writer turns the
 * batch into one SQLite transaction (store.h).  Rows are keyed by
 * (service, server, port, transport, VLAN, method, SMB pipe, time
 * bucket); a batch
 * grows per new row, never per packet.  A batch that fails to store is
 * kept and merged into the next flush, so a locked or full database loses
 * nothing that is still in memory.
 */
#ifndef SVCMAP_STATS_H
#define SVCMAP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"
#include "svcmap/decode.h"

#define STATS_KEY_LEN	48	/* service key, with NUL */
#define STATS_NAME_LEN	40	/* nDPI protocol / interface name, with NUL */
#define STATS_PIPE_LEN	64	/* SMB pipe name, with NUL (smb.h's bound) */

/*
 * stats_row.smb_dialect: the SMB dialect of a row's sessions as one
 * number that orders them oldest first, so that a row's value is the
 * lowest any of its sessions used (an SMB1 session hides among SMB3 ones
 * otherwise).  0: not SMB; SMB1; an SMB2 DialectRevision (0x0202 ...
 * 0x0311); SMB2 whose NEGOTIATE was not seen ranks above every number,
 * so that a known dialect wins over it.
 */
#define STATS_SMB1		0x0100
#define STATS_SMB2_UNKNOWN	0x0fff

/** The lower non-zero of two smb_dialect values (0: none). */
static inline uint16_t
stats_dialect_min(uint16_t a, uint16_t b)
{
	if (a == 0)
		return b;
	return b != 0 && b < a ? b : a;
}

/* The packet partition of the run totals; every packet is in exactly one. */
enum packet_class {
	PKT_CLASSIFIED = 0,
	PKT_UNDOCUMENTED,
	PKT_UNMONITORED,
	PKT_NON_IP,
	PKT_MALFORMED,		/* truncated or malformed headers */
	PKT__COUNT
};

/** "classified", "undocumented", "unmonitored", "non_ip", "malformed". */
const char *packet_class_name(enum packet_class c);

struct stats_key {
	char		service[STATS_KEY_LEN];	/* catalog key; "" undocumented */
	struct addr	server;
	uint16_t	port;
	uint16_t	vlan;
	uint8_t		transport;
	uint8_t		method;		/* enum flow_method */
	int64_t		bucket;		/* bucket start, UTC seconds */
	/* METHOD_PIPE: the pipe ("\svcctl"), so that each pipe of a
	 * service is its own row; "" for every other method. */
	char		pipe[STATS_PIPE_LEN];
};

struct stats_row {
	struct stats_key key;
	uint64_t	flows;		/* flows first counted in this row */
	uint64_t	pkts[2];	/* FLOW_C2S, FLOW_S2C */
	uint64_t	bytes[2];
	int64_t		first_s;	/* packet time, UTC seconds */
	int64_t		last_s;
	char		protocol[STATS_NAME_LEN]; /* nDPI verdict, "" unknown */
	char		interface[STATS_NAME_LEN]; /* RPC interface, "" none */
	uint16_t	smb_dialect;	/* lowest seen, STATS_SMB1 ...; 0 none */
	uint64_t	smb_encrypted;	/* SMB3 encrypted messages */
};

/* A client seen talking to a (service, server, port, transport, VLAN). */
struct stats_client {
	char		service[STATS_KEY_LEN];
	struct addr	server;
	uint16_t	port;
	uint16_t	vlan;
	uint8_t		transport;
	struct addr	client;
	int64_t		first_s;
	int64_t		last_s;
};

/* A server of a batch's rows, over the time span of all its rows. */
struct stats_host {
	struct addr	server;
	int64_t		first_s;	/* earliest first_s of its rows */
	int64_t		last_s;		/* latest last_s of its rows */
};

/* Absolute totals of the current run (not deltas). */
struct run_totals {
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	pkt_class[PKT__COUNT];
	uint64_t	byte_class[PKT__COUNT];
	uint64_t	flows;		/* flows counted (each once) */
	uint64_t	flow_class[3];	/* indexed by enum flow_class */
	uint64_t	decode[DR__COUNT];
	uint64_t	fragments;	/* later IP fragments */
	uint64_t	flows_evicted;
	uint64_t	flows_active;
	uint64_t	dpi_mismatches;
	uint64_t	dpi_skipped;	/* flows over dpi-max-flows */
	uint64_t	dpi_flows;	/* gauge: flows holding nDPI state */
	uint64_t	rpc_pdus;
	uint64_t	rpc_truncated;
	uint64_t	rpc_invalid;
	uint64_t	rpc_gaps;
	uint64_t	epm_replies;
	uint64_t	endpoints_learned;
	/* Packets stamped far ahead of the clock and of the packet after
	 * them, processed at the clock's time (engine.c's clock rule). */
	uint64_t	clock_outliers;
	uint64_t	smb_messages;	/* analyzer_smb: smb.h smb_stats */
	uint64_t	smb_truncated;
	uint64_t	smb_invalid;
	uint64_t	smb_gaps;
	uint64_t	smb_encrypted;
	uint64_t	smb_pipes_opened;
	uint64_t	smb_pipe_msgs;
	uint64_t	smb_pipes_unparsed; /* no DCE/RPC parser: bound hit */
	uint64_t	names_messages;	/* name service messages parsed */
	uint64_t	names_invalid;	/* ... truncated or lying */
	uint64_t	names_facts;	/* names the parsers found */
	uint64_t	names_rejected;	/* names refused by the name policy */
	uint64_t	names_evicted;	/* name table full: oldest dropped */
	uint64_t	names_known;	/* gauge: entries in the name table */
	uint64_t	rpc_calls;	/* RPC requests counted as operations */
	/* opstats.h: calls and client pairs a full table dropped. */
	uint64_t	rpc_ops_dropped;
	uint64_t	rpc_op_clients_dropped;
	int64_t		first_s;	/* first packet time */
	int64_t		last_s;		/* latest packet time */
};

/*
 * The counter registry: one row per counter of struct run_totals, which
 * every consumer iterates (svcmapd's end-of-run summary, svcmapctl
 * summary, /v1/status, /metrics and the store's run_counters table).
 * Adding a counter is one uint64_t in struct run_totals, one row in
 * counter_defs[] (stats.c) and its increment; no consumer and no schema
 * changes.  Names are [a-z0-9_], stable (they are stored and exported),
 * and the first rows keep the column names of schema v2's runs table.
 */
enum counter_kind {
	COUNTER_COUNTER = 0,	/* only grows within a run */
	COUNTER_GAUGE		/* a level now (flows tracked) */
};

struct counter_def {
	const char	*name;		/* stored (run_counters.name) */
	const char	*key;		/* svcmapctl summary name=value key */
	const char	*metric;	/* /metrics family, svcmap_... */
	const char	*class;		/* its class="..." label; NULL none */
	const char	*help;		/* one sentence: the family's for a class */
	const char	*unit;		/* "packets", "bytes", "flows", ... */
	enum counter_kind kind;
	size_t		 offset;	/* of a uint64_t in struct run_totals */
};

/* The registry, in output order; counter_ndefs rows. */
extern const struct counter_def counter_defs[];
extern const size_t counter_ndefs;

/** The value of one registered counter in t. */
uint64_t counter_get(const struct run_totals *t, const struct counter_def *d);
/** Set one registered counter in t. */
void	counter_set(struct run_totals *t, const struct counter_def *d,
	    uint64_t v);
/** The registry row named `name`, or NULL. */
const struct counter_def *counter_find(const char *name);

struct stats_batch;

/** An empty batch, or NULL on allocation failure. */
struct stats_batch *stats_batch_create(void);
void	stats_batch_destroy(struct stats_batch *b);

/**
 * Add a flow's counts to its row (created if new).  Returns the row or
 * NULL on allocation failure (the caller keeps the flow undrained and
 * retries at the next flush).
 */
struct stats_row *stats_batch_row(struct stats_batch *b,
	    const struct stats_key *key);
/** Record a client of a row's service (deduplicated within the batch). */
int	stats_batch_client(struct stats_batch *b, const struct stats_client *c);

size_t	stats_batch_nrows(const struct stats_batch *b);
const struct stats_row *stats_batch_rows(const struct stats_batch *b);
size_t	stats_batch_nclients(const struct stats_batch *b);
const struct stats_client *stats_batch_clients(const struct stats_batch *b);
/**
 * The distinct servers of the rows, in order of first appearance, so
 * that the store writes each host once per flush rather than once per
 * row.  Valid until the batch next changes.  Returns 0, or -1 on
 * allocation failure.
 */
int	stats_batch_hosts(const struct stats_batch *b,
	    const struct stats_host **hosts, size_t *n);

/** Empty the batch after a successful store (keeps its memory). */
void	stats_batch_clear(struct stats_batch *b);
/** Move everything of src into dst (src is left empty). */
int	stats_batch_merge(struct stats_batch *dst, struct stats_batch *src);

#endif /* SVCMAP_STATS_H */
