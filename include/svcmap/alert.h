/*
 * alert.h - alerts on services that nothing documents.
 *
 * The engine asks alert_flow() about each monitored flow once the flow
 * has shown enough (its server answered and nDPI decided, or it ended).
 * Decisions stay on the classifier thread: a bounded dedup table keyed by
 * (kind, server, transport, port) counts flows and decides when an alert
 * is an event (first raise, or again after the quiet period), subject to
 * a per-kind rate limit in packet time.  Every changed alert is copied
 * into the module's batch; the daemon hands the batch to the writer with
 * the statistics (alert_batch_merge), which stores the rows
 * (store_alerts) and publishes the events (alert_out_events) as JSON
 * lines and syslog messages.
 *
 * Kinds and their config index (config.h alert_kind[]) are the enum
 * below; their names are part of the schema and the JSON output.
 */
#ifndef SVCMAP_ALERT_H
#define SVCMAP_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"

struct catalog;
struct config;
struct flow;
struct role_served;

enum alert_kind {
	ALERT_UNDOCUMENTED_SERVICE = 0,	/* server on a port nothing explains */
	ALERT_PROTOCOL_MISMATCH,	/* nDPI disagrees with the catalog */
	ALERT_UNMAPPED_DYNAMIC_PORT,	/* RPC-range port with no endpoint */
	ALERT_NEW_SERVICE,		/* host serves a service first time */
	ALERT_SENSITIVE_OPERATION,	/* a watched RPC operation was called */
	ALERT_NEW_ROLE,			/* host acts in a role first time */
	ALERT__COUNT
};

/* Most alerts tracked at once, and most (server, service) pairs known. */
#define ALERT_TABLE_SIZE	4096
#define ALERT_KNOWN_SIZE	65536
/* Most hosts known to serve as domain controllers; storm counters. */
#define ALERT_DC_SIZE		4096
#define ALERT_STORM_SIZE	4096
/* Most unmapped_dynamic_port alerts held in their grace period at once. */
#define ALERT_GRACE_SIZE	1024

/* struct flow.alert_flags: the flow was looked at (once per flow). */
#define ALERT_FLOW_DONE		0x01

const char *alert_kind_name(enum alert_kind k);
/** The kind named `name`, or -1. */
int	alert_kind_find(const char *name);

/* One alert as stored and published; strings are NUL-terminated. */
struct alert_record {
	int64_t		 id;		/* database row id; 0 until stored */
	uint8_t		 kind;		/* enum alert_kind */
	uint8_t		 severity;	/* 1 .. 5 */
	uint8_t		 transport;	/* TRANSPORT_* */
	uint16_t	 port;
	struct addr	 server;
	struct addr	 client;	/* client of the latest flow */
	char		 service[32];	/* catalog key; "" none */
	char		 protocol[32];	/* nDPI verdict; "" unknown */
	char		 detail[128];
	/* sensitive_operation: the RPC interface and operation called
	 * (part of the alert's key); "" for the other kinds. */
	char		 interface[48];	/* catalog name: "svcctl" */
	char		 operation[64];	/* "RCreateServiceW", "opnum 77" */
	uint64_t	 count;		/* flows (calls) that matched */
	uint64_t	 events;	/* raises, the first included */
	uint64_t	 suppressed;	/* raises dropped by the rate limit */
	int64_t		 first_seen;	/* UTC seconds, packet time */
	int64_t		 last_seen;
	int64_t		 last_event;	/* time of the latest raise */
	int64_t		 resolved_at;	/* 0: open */
	/*
	 * The flow counted latest (the one client names): what joins the
	 * alert to other tools' records.  community_id: Community ID v1 of
	 * the flow ("" for ICMP); timestamp_us: packet time of its latest
	 * packet then, microseconds (0 in rows older than schema v8);
	 * pcap_file and packet: that packet's capture file name (without
	 * its directory) and 1-based record number, "" and 0 live.
	 */
	uint16_t	 client_port;
	char		 community_id[32];
	int64_t		 timestamp_us;
	uint64_t	 packet;
	char		 pcap_file[128];
	uint32_t	 pending;	/* raises not yet published */
	uint32_t	 slot;		/* dedup table slot (batch merging) */
	/* The sensor of a stored alert, set by readers (query.h); NULL in
	 * the engine, whose alerts are its own sensor's. */
	const char	*sensor;
};

/* What the engine knows of a flow beyond struct flow. */
struct alert_facts {
	bool		 server_monitored;
	bool		 dynamic_rpc;	/* port_row is a dynamic RPC range */
	const char	*service;	/* catalog key of f->service; NULL none */
	const char	*protocol;	/* nDPI verdict name; NULL unknown */
	const char	*expected;	/* catalog app protocol of the port row */
	bool		 mismatch;	/* nDPI disagrees with the catalog */
	uint64_t	 now_us;	/* packet time */
	uint64_t	 start_us;	/* packet time of the daemon's first packet */
};

/* A watched RPC request (sensitive_operation), as the engine saw it. */
struct alert_request {
	const char	*interface;	/* catalog interface name */
	const char	*operation;	/* method name; NULL: not in the catalog */
	const char	*service;	/* catalog key of the interface's service */
	uint16_t	 opnum;
	uint8_t		 watch;		/* opwatch_lookup(): OPWATCH_ON, quals */
	bool		 dc_iface;	/* serving it marks a domain controller */
	uint32_t	 op_key;	/* storm counter key: (iface row, opnum) */
	uint64_t	 now_us;	/* packet time */
};

struct alerts;
struct alert_batch;

/**
 * @param cfg: kinds, ignore rules, quiet, learning and rate settings
 *   (copied).
 * @return: the module, or NULL with err set.
 */
struct alerts *alert_create(const struct config *cfg, char *err,
	    size_t errlen);
void	alert_destroy(struct alerts *a);
/** New kinds, ignore rules, quiet, learning and rate settings (SIGHUP). */
void	alert_set_config(struct alerts *a, const struct config *cfg);

/**
 * Restore an alert from the database (dedup state survives a restart).
 * @return: 0, or -1 when the table is full.
 */
int	alert_restore(struct alerts *a, const struct alert_record *r);
/** A server already served a service before this run (new_service). */
void	alert_restore_known(struct alerts *a, const struct addr *server,
	    const char *service);
/** The first packet time of earlier runs starts the learning period. */
void	alert_restore_start(struct alerts *a, uint64_t start_us);

/**
 * Look at a flow.  Does nothing until the server answered, unless final
 * (the flow ends); then marks the flow (ALERT_FLOW_DONE) so that it is
 * looked at once.  Unmonitored servers and ignored ones raise nothing.
 */
void	alert_flow(struct alerts *a, struct flow *f,
	    const struct alert_facts *facts, bool final);

/**
 * Evidence names the RPC server at (server, transport, port): an
 * endpoint was announced there, or a flow to it bound an interface or
 * was named through a learned endpoint.  An unmapped_dynamic_port alert
 * held in its grace period there is dropped unpublished; an open one is
 * resolved at now_us.
 */
void	alert_rpc_evidence(struct alerts *a, const struct addr *server,
	    uint8_t transport, uint16_t port, uint64_t now_us);

/**
 * Publish the unmapped_dynamic_port alerts whose grace period
 * (alert-grace) ended by packet time now_us; UINT64_MAX publishes all
 * (end of input, stop).  Cheap when none is held.
 */
void	alert_tick(struct alerts *a, uint64_t now_us);

/**
 * A client called an RPC operation on the flow's server (direct or
 * inside an SMB pipe).  With dc_iface, a server that answered the flow
 * is marked a domain controller (alert_dc_seen()).  If watched, raises sensitive_operation, keyed by (server,
 * transport, port, interface, operation), unless: the server is not
 * monitored or is ignored; the watch says CATALOG_OP_NOT_DC and the
 * client is known to serve as a domain controller (alert_dc_seen()); or
 * it says CATALOG_OP_STORM and this client has made no more than
 * alert-operation-storm calls of it to this server within the window.
 * The alert's count is the calls counted (a storm's all at once).
 */
void	alert_rpc_request(struct alerts *a, const struct flow *f,
	    const struct alert_request *rq);

/**
 * A host served as a domain controller (it answered Kerberos, LDAP or
 * directory replication): its replication calls raise nothing from now
 * on.  Also fed by alert_flow() and alert_restore_known() ("kdc").
 */
void	alert_dc_seen(struct alerts *a, const struct addr *host);
/** Is the host known to serve as a domain controller? */
bool	alert_is_dc(const struct alerts *a, const struct addr *host);

/**
 * A monitored host served what a statistics row says (its server
 * answered): noted in the role table (roles.h), bounded by
 * role-capacity.  Called per row of a drain, never per packet.
 */
void	alert_served(struct alerts *a, const struct catalog *cat,
	    const struct addr *host, const struct role_served *s);

/**
 * Evaluate the roles of the hosts noted since the last call.  A role a
 * host did not hold before raises new_role, keyed by (host, role: the
 * record's operation member), unless its needs were first met (its
 * since) within the learning period (alert-learning-period from the
 * first packet of the store's history); then it is only remembered.
 * The alert's time is that since.  Severity: the role's, else the
 * kind's.  Once per drain.
 */
void	alert_roles(struct alerts *a, const struct catalog *cat,
	    uint64_t now_us);

/**
 * A host served this before the run (the store's rows, restored before
 * the catalog is at hand): kept until alert_roles_settle().
 */
void	alert_restore_served(struct alerts *a, const struct addr *host,
	    const struct role_served *s);

/**
 * Note the restored rows in the role table and remember the roles they
 * show without raising anything (engine_set_alerts() calls it).
 */
void	alert_roles_settle(struct alerts *a, const struct catalog *cat);

/**
 * Did the flow's server answer (a TCP handshake or data both ways, any
 * reply otherwise)?  A reset is no answer.
 */
bool	alert_flow_answered(const struct flow *f);

/**
 * Would alert_flow() look at this flow before it ends?  Not yet looked
 * at, and the server answered.  Cheap: the engine asks it per packet
 * and builds the facts only when it says yes.
 */
bool	alert_flow_due(const struct flow *f);

/** The batch changes go to (owned by the module). */
struct alert_batch *alert_batch(struct alerts *a);
/** Alerts not tracked because the table was full. */
uint64_t alert_overflows(const struct alerts *a);

struct alert_batch *alert_batch_create(void);
void	alert_batch_destroy(struct alert_batch *b);
/** Records of the batch, latest state per alert. */
struct alert_record *alert_batch_records(struct alert_batch *b, size_t *n);
/** Move src's records into dst (latest state wins, pending raises add). */
int	alert_batch_merge(struct alert_batch *dst, struct alert_batch *src);
void	alert_batch_clear(struct alert_batch *b);

/* Publishing: JSON lines and syslog, on the writer's side. */
struct alert_out;

/** Opens the JSON lines file for appending; a failure is logged, not fatal. */
struct alert_out *alert_out_open(const struct config *cfg);
void	alert_out_close(struct alert_out *o);
/**
 * Open the outputs a reloaded config names and close the old ones; the
 * published and error counts carry over.  Returns the outputs to use.
 */
struct alert_out *alert_out_reopen(struct alert_out *o,
	    const struct config *cfg);
/** Publish every pending raise of the batch and clear the pending marks. */
void	alert_out_events(struct alert_out *o, struct alert_batch *b);
/**
 * The outputs as a sink of the flush (store.h): publishes the pending
 * raises of the handover's alerts (after the store set their ids) and
 * never fails.  State: o; rebuild it after alert_out_reopen().
 */
struct sink;
struct sink alert_out_sink(struct alert_out *o);
/** Events published, and JSON lines write errors. */
uint64_t alert_out_published(const struct alert_out *o);
uint64_t alert_out_errors(const struct alert_out *o);
/**
 * One record as a JSON object, as the JSON lines carry it: the stored
 * fields (record.h record_alerts), the sensor and, for scale
 * CONFIG_SCALE_SURICATA, the severity on Suricata's scale
 * (alert_severity_suricata()) with "severity_scale".
 */
struct json;
void	alert_record_json(struct json *j, const struct alert_record *r,
	    const char *sensor, int scale);
/**
 * svcmap's severity (1 low .. 5 critical) as a Suricata alert priority
 * (1 high .. 4): 5 and 4 -> 1, 3 -> 2, 2 -> 3, 1 -> 4.
 */
int	alert_severity_suricata(int severity);
/** The syslog priority of a severity: 5 LOG_CRIT .. 1 LOG_INFO. */
int	alert_syslog_priority(int severity);

#endif /* SVCMAP_ALERT_H */
