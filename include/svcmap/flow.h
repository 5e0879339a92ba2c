/*
 * flow.h - the bidirectional flow table.
 *
 * A flow is a 5-tuple plus VLAN, oriented client -> server once, when it
 * is created: from the SYN (its sender is the client), else from the
 * well-known request/reply port pairs (DHCP's 67/68: 67 serves), else
 * from the stronger known service end (learned RPC endpoint, catalog
 * listener: the is_service hook ranks both ends), else a group
 * destination serves, else the lower port is the server's.  Flows live in a
 * preallocated array of `capacity` slots: creating a flow never calls
 * malloc, and a full table evicts its least recently used flow (counted).
 * Flows end on TCP FIN/RST (after a short linger) and on idle timeouts; the
 * on_end hook sees every flow exactly once before its slot is reused.
 *
 * Single-threaded: the classifier thread owns the table.
 */
#ifndef SVCMAP_FLOW_H
#define SVCMAP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "svcmap/addr.h"
#include "svcmap/transport.h"

struct packet;
struct flow_evidence_list;

#define FLOW_C2S 0	/* client -> server */
#define FLOW_S2C 1	/* server -> client */

/* What a flow's packets count as in the run totals partition. */
enum flow_class {
	FLOW_CLASSIFIED = 0,	/* a documented service explains it */
	FLOW_UNDOCUMENTED,	/* monitored server, nothing documents it */
	FLOW_UNMONITORED,	/* neither end in the monitored networks */
	/*
	 * A monitored client's flow to a server outside the monitored
	 * networks (not multicast or broadcast): outbound use, kept per
	 * (client, transport, port), never named as a service.
	 */
	FLOW_OUTBOUND,
	FLOW__COUNT
};

/* How the service was decided; stored and shown as "epm", "bind", "port",
 * "pipe". */
enum flow_method {
	METHOD_NONE = 0,
	METHOD_PORT,		/* catalog listener of (transport, server port) */
	METHOD_BIND,		/* RPC interface bound on the flow itself */
	METHOD_EPM,		/* endpoint learned from an EPM/DCOM reply */
	METHOD_PIPE		/* RPC in an SMB named pipe (evidence record) */
};

const char *flow_method_name(enum flow_method m);
const char *flow_class_name(enum flow_class c);

/* TCP observations (bits of struct flow.tcp). */
#define FLOW_TCP_SYN		0x01	/* client SYN seen */
#define FLOW_TCP_SYNACK		0x02	/* server SYN+ACK seen */
#define FLOW_TCP_ESTABLISHED	0x04	/* handshake completed (final ACK) */
#define FLOW_TCP_FIN_C		0x08
#define FLOW_TCP_FIN_S		0x10
#define FLOW_TCP_RST		0x20
/* Payload seen from each side: a flow picked up mid-stream (no handshake
 * in the capture) counts as established once both sides have sent data. */
#define FLOW_TCP_DATA_C		0x40
#define FLOW_TCP_DATA_S		0x80

/* struct flow.rpc */
#define FLOW_RPC_SEEN	0x01	/* the DCE/RPC parser framed a PDU */
#define FLOW_RPC_NOT	0x02	/* the first payloads hold no DCE/RPC header */

/* Analyzer state slots per flow: rows of the engine's analyzer table. */
#define FLOW_ANALYZERS		4

enum flow_end {
	FLOW_END_CLOSED = 0,	/* FIN both ways or RST, then linger elapsed */
	FLOW_END_IDLE,		/* idle timeout */
	FLOW_END_EVICTED,	/* table full: least recently used flow pushed out */
	FLOW_END_SHUTDOWN	/* end of input / daemon stop */
};

struct flow {
	/* Identity, oriented at creation. */
	struct addr	 client;
	struct addr	 server;
	uint16_t	 client_port;
	uint16_t	 server_port;
	uint16_t	 vlan;
	uint8_t		 proto;		/* TRANSPORT_* */
	uint8_t		 tcp;		/* FLOW_TCP_* bits */

	uint64_t	 first_us;	/* packet time of the first packet */
	uint64_t	 last_us;	/* packet time of the latest packet */
	/*
	 * The latest packet's place in its capture file (struct captured:
	 * number 1-based, file the caller's path); 0 and NULL live.  Set by
	 * the engine, for the alerts the flow raises.
	 */
	uint64_t	 last_number;
	const char	*last_file;
	uint64_t	 pkts[2];	/* indexed by FLOW_C2S / FLOW_S2C */
	uint64_t	 bytes[2];	/* wire bytes */
	uint64_t	 drained_pkts[2]; /* part of pkts already in statistics */
	uint64_t	 drained_bytes[2];
	uint32_t	 payload_pkts;	/* packets with payload, for the nDPI cap */

	/* Classification (classify.h) */
	enum flow_class	 cls;
	enum flow_method method;
	int		 service;	/* catalog service index, -1 if none */
	int		 port_row;	/* catalog listener row, -1 if none */
	int		 iface;		/* catalog RPC interface, -1 if none */
	bool		 dpi_done;	/* nDPI decided or gave up */
	bool		 app_mismatch;	/* nDPI disagrees with the catalog */
	bool		 counted;	/* already counted once in "flows" */
	bool		 server_replied; /* any packet server -> client */
	/*
	 * The server side sent something other than a TCP RST (a SYN+ACK,
	 * an ACK, payload, a UDP reply): the port is served.  A TCP flow
	 * whose server only ever sent RSTs was refused.
	 */
	bool		 answered;
	/* The server is a group: a multicast or broadcast address, or a
	 * subnet broadcast (the first packet's link destination was a
	 * group).  A group never answers from its own address. */
	bool		 to_group;
	/*
	 * Packets of a flow not answered yet that a drain already counted
	 * in the run totals' partition (class held_pc) but in no row: they
	 * wait for the answer (a service row) or the flow's end (an
	 * attempt row).  engine.c.
	 */
	uint8_t		 held_pc;
	uint64_t	 held_pkts;
	uint64_t	 held_bytes;
	uint32_t	 alert_flags;	/* alert.h: what was raised for this flow */
	/*
	 * DCE/RPC payload (FLOW_RPC_* bits): whether the flow's own bytes
	 * showed it is or is not RPC, whatever its port suggests.
	 */
	uint8_t		 rpc;
	/*
	 * The flow's own record now names another service than the row it
	 * was last drained into (a learned endpoint re-attributed it): its
	 * next drain counts it as a flow of the new row too.
	 */
	bool		 moved;
	/*
	 * The learned-endpoint generation (endpoint_generation()) its
	 * classification saw: an undocumented flow looks again when the
	 * table learned something since.
	 */
	uint32_t	 ep_gen;
	/*
	 * The application protocol an analyzer named (nDPI's verdict:
	 * "SMBv23", "Kerberos"), a string its module owns; NULL: unknown.
	 */
	const char	*protocol;
	/*
	 * An SMB session (analyzer_smb): its dialect in stats.h's
	 * smb_dialect numbers (0: not SMB, or not known yet), and the SMB3
	 * encrypted messages seen, smb_enc_drained of them already in
	 * statistics.
	 */
	uint16_t	 smb_dialect;
	uint32_t	 smb_encrypted;
	uint32_t	 smb_enc_drained;

	/*
	 * Analyzers (analyzer.h), by row of the engine's table: their state
	 * (NULL: none); an_active and an_probe below say which rows have
	 * state and which still probe payloads.  The engine frees every
	 * state before the flow ends.
	 */
	void		*an[FLOW_ANALYZERS];

	/* Evidence beyond the classification above; NULL for most flows. */
	struct flow_evidence_list *evidence;

	/* Table internals. */
	uint32_t	 hash;
	uint32_t	 hnext;		/* next slot in the hash chain, or FLOW_NIL */
	uint32_t	 lprev;		/* neighbours on the timeout list */
	uint32_t	 lnext;
	uint8_t		 list;		/* which timeout list */
	bool		 in_use;
	bool		 touched;	/* a packet since the last drain walk */

	uint8_t		 an_active;	/* bit per analyzer row: an[row] is set */
	uint8_t		 an_probe;	/* bit per analyzer row: probing payloads */
};

#define FLOW_NIL UINT32_MAX

/*
 * Issue 14 item 2: a TCP or UDP flow to a single server counts as served
 * only once the server side sent something other than a RST (`answered`);
 * until then it is an attempt, and ended so it is one for good: refused
 * (a TCP server sent RSTs only) or unanswered.  A group (multicast,
 * broadcast) never answers from its own address, and transports without
 * ports serve no port: neither is ever an attempt.  (The engine also
 * leaves unmonitored flows out.)
 */
static inline bool
flow_unanswered(const struct flow *f)
{
	return !f->answered && !f->to_group &&
	    (f->proto == TRANSPORT_TCP || f->proto == TRANSPORT_UDP);
}

/*
 * Evidence records: what an analyzer learned about a service the flow
 * carries beside the one its classification names (cls, service, method,
 * iface above: the flow's own record, index 0).  An SMB session with
 * svcctl and samr pipes is one flow classified `server`, with a record
 * per pipe service.  A record keeps what was seen (an interface bound, a
 * named pipe, or a service key), so that a new catalog can name it
 * again, and counts the packets charged to it; the flow's own record
 * counts the rest, so every packet counts once.  A list is allocated for a flow when its first
 * record is added (never per packet) and holds FLOW_MAX_EVIDENCE.
 */
#define FLOW_MAX_EVIDENCE	8
#define FLOW_EVIDENCE_NAME_LEN	64	/* pipe name or service key, with NUL */

struct flow_evidence {
	/*
	 * Identity: what was seen, all of it compared when adding.  An
	 * interface names the service first, then a pipe, then a key.
	 */
	uint8_t		 method;	/* enum flow_method */
	bool		 has_uuid;	/* an interface bound: */
	uint16_t	 ver_major;
	uint8_t		 uuid[16];	/* (text order, addr.h) */
	char		 pipe[FLOW_EVIDENCE_NAME_LEN]; /* as sent; "" none */
	char		 key[FLOW_EVIDENCE_NAME_LEN];  /* service; "" none */
	/* Resolved against the catalog (classify_evidence()). */
	int		 service;	/* catalog service index, -1 none */
	int		 iface;		/* catalog RPC interface, -1 none */
	/* Counts, as for the flow: charged packets and the drained part. */
	bool		 counted;	/* its row counted the flow once */
	uint64_t	 pkts[2];
	uint64_t	 bytes[2];
	uint64_t	 drained_pkts[2];
	uint64_t	 drained_bytes[2];
};

struct flow_evidence_list {
	unsigned		n;
	struct flow_evidence	ev[FLOW_MAX_EVIDENCE];	/* index i is ev[i - 1] */
};

/**
 * Add a record to the flow, or find the one with the same identity
 * (method, uuid and version, pipe, key); its counts start at zero.
 * @return: its index (>= 1), or -1 when the list is full or cannot be
 *   allocated (the packets then stay with the flow's own record).
 */
int	flow_evidence_add(struct flow *f, const struct flow_evidence *ev);
/** Record idx (>= 1) of the flow, or NULL. */
struct flow_evidence *flow_evidence_get(struct flow *f, int idx);
/**
 * Count one of the flow's packets (already counted by the flow table)
 * under record idx instead of the flow's own record.
 */
void	flow_evidence_charge(struct flow *f, int idx, int dir,
	    uint32_t wire_len);
/** Free the flow's records (at its end). */
void	flow_evidence_free(struct flow *f);

struct flow_table_config {
	uint32_t	capacity;	/* max concurrent flows (slots) */
	uint32_t	tcp_idle_s;	/* established or half-open TCP */
	uint32_t	tcp_closed_s;	/* linger after FIN both ways or RST */
	uint32_t	udp_idle_s;
	uint32_t	other_idle_s;	/* ICMP, GRE, ESP, AH */
};

struct flow_table_stats {
	uint64_t	active;
	uint64_t	peak;
	uint64_t	created;
	uint64_t	ended_closed;
	uint64_t	ended_idle;
	uint64_t	evicted;
	uint64_t	ended_shutdown;	/* by end_all/destroy */
};

/**
 * How strongly is (proto, ip, port) known as a server endpoint?  Used
 * only to orient a flow created from a packet that is not a SYN: the
 * stronger end serves.  FLOW_RANK_NONE (0) when nothing says so; the
 * engine's ranks are in engine.c (a learned endpoint, then a catalog
 * listener on a system port, a registered port, an ephemeral port).
 */
#define FLOW_RANK_NONE	0
typedef int (*flow_is_service_fn)(void *arg, uint8_t proto,
	    const struct addr *ip, uint16_t port);
/**
 * Called once per flow before its slot is reused; frees analyzer state
 * and the evidence list.
 * It must not call back into the table: the slot is wiped when it returns.
 */
typedef void (*flow_end_fn)(void *arg, struct flow *f, enum flow_end why);

struct flow_table;

/** Allocates all slots up front.  Returns NULL on allocation failure. */
struct flow_table *flow_table_create(const struct flow_table_config *cfg,
	    flow_is_service_fn is_service, flow_end_fn on_end, void *arg);
/** New idle timeouts (capacity is fixed); they apply from the next expiry. */
void	flow_table_set_timeouts(struct flow_table *t,
	    const struct flow_table_config *cfg);
/** Ends every flow (FLOW_END_SHUTDOWN) then frees the table. */
void	flow_table_destroy(struct flow_table *t);

/**
 * Find or create the flow of a decoded packet (DECODE_OK), and account
 * the packet to it: counters, last_us, TCP state, timeout list.
 * @param dir: set to FLOW_C2S or FLOW_S2C.
 * @param created: set to true if the flow was created by this packet.
 * @return: the flow (never NULL: a full table evicts).
 */
struct flow *flow_table_packet(struct flow_table *t, const struct packet *pkt,
	    int *dir, bool *created);

/**
 * End flows idle past their timeout as of packet time now_us.  Bounded work
 * per call is not needed: each list is ordered by last activity, so the
 * walk stops at the first flow that is still live.
 */
void	flow_table_expire(struct flow_table *t, uint64_t now_us);

/** End every flow now (end of capture files, shutdown). */
void	flow_table_end_all(struct flow_table *t);

/** Visit every live flow, in slot order. */
void	flow_table_foreach(struct flow_table *t,
	    void (*fn)(void *arg, struct flow *f), void *arg);

/**
 * Visit the live flows that took a packet since the previous call (or
 * since they were created), in the same slot order as flow_table_foreach,
 * and clear their mark.  For draining counters at a flush: the other
 * flows have nothing new, and the walk costs the flows it visits, not the
 * table's size.  fn must not create or end flows.
 */
void	flow_table_foreach_touched(struct flow_table *t,
	    void (*fn)(void *arg, struct flow *f), void *arg);

void	flow_table_get_stats(const struct flow_table *t,
	    struct flow_table_stats *st);

/** Bytes of memory per slot, for the benchmark report. */
size_t	flow_table_slot_size(void);

#endif /* SVCMAP_FLOW_H */
