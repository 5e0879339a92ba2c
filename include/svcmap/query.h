/*
 * query.h - the read side of the database, shared by svcmapctl and the
 * HTTP API.
 *
 * Each query runs over a reader (reader_open(url): the store's read
 * side, SQLite today, PostgreSQL next behind the same struct reader_ops)
 * and hands its rows one at a time to a callback as a typed record whose
 * strings live until the callback returns; record.h's field tables turn
 * a record into JSON (with the field names the API documents,
 * docs/schema.md "Query output"), CSV or a table.  Times are UTC seconds
 * in the records and ISO 8601 UTC strings in JSON.  Rows come in a fixed
 * order, so the same database always gives the same output.
 *
 * The catalog is optional everywhere (NULL): without it service names
 * are their keys and RPC interfaces stay unnamed.
 */
#ifndef SVCMAP_QUERY_H
#define SVCMAP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"
#include "svcmap/stats.h"

struct alert_record;
struct catalog;
struct json;
struct reader;

/* The service key shown for traffic no catalog entry explains. */
#define QUERY_UNDOCUMENTED "undocumented"

struct query_filter {
	const char	*host;		/* server IP or CIDR prefix; NULL = all */
	const char	*service;	/* key, or "undocumented"; NULL = all */
	int64_t		 since;		/* UTC seconds; 0 = all time */
	bool		 all;		/* include undocumented traffic */
	/* UTC seconds, excluded: rows first seen before it; 0 = no end */
	int64_t		 until;
};

/*
 * Every record names the sensor that observed it (schema v3): many
 * sensors can share one store, and their rows are never merged.
 */

/* One observed service: service_stats summed over time buckets. */
struct query_service {
	const char	*sensor;
	const char	*service;	/* key, or "undocumented" */
	const char	*name;		/* catalog name, else the key */
	const char	*server_ip;
	uint16_t	 port;
	const char	*transport;	/* "tcp", "udp", ... */
	uint16_t	 vlan;
	const char	*method;	/* "port", "bind", "epm", "none" */
	const char	*protocol;	/* latest nDPI verdict; NULL unknown */
	const char	*interface;	/* latest RPC interface; NULL none */
	const char	*pipe;		/* method pipe: "\svcctl"; NULL none */
	/* SMB: the lowest dialect of the row's sessions (stats.h numbers,
	 * 0 not SMB) and their SMB3 encrypted messages. */
	uint16_t	 smb_dialect;
	uint64_t	 smb_encrypted;
	uint64_t	 flows;
	uint64_t	 packets_c2s;
	uint64_t	 packets_s2c;
	uint64_t	 bytes_c2s;
	uint64_t	 bytes_s2c;
	uint64_t	 clients;	/* distinct clients (seen since `since`) */
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/*
 * One name of an address (host_names, schema v7), its NetBIOS suffixes
 * folded: one per (name, source, kind).
 */
struct query_name {
	const char	*sensor;
	const char	*ip;
	const char	*name;
	const char	*source;	/* names.h source word: "dns", "nbns" */
	const char	*kind;		/* "host", "netbios", "domain", ... */
	bool		 computer;	/* NetBIOS: a unique <00>/<20> name */
	int64_t		 first_seen;
	int64_t		 last_seen;
	int		 rank;		/* display order (query.c); -1 never */
};

/* One evidence item of a host's role: when the host served it. */
struct query_role_evidence {
	const char	*item;		/* the catalog's: "lsass/389" */
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/* A role a host holds (roles.h), from its served rows and the catalog. */
struct query_role {
	const char	*role;		/* key: "dc" */
	const char	*name;		/* "domain controller" */
	const char	*confidence;	/* "high", "medium", "low" */
	int64_t		 since;		/* its needs were first all met */
	int64_t		 last_seen;	/* its latest evidence */
	struct query_role_evidence *evidence;
	size_t		 nevidence;
	const char *const *items;	/* the evidence's items (tables) */
};

/* What a host served (its server answered), one per service_stats
 * (service, port, interface, pipe) over all buckets. */
struct query_served {
	const char	*service;	/* key; "" undocumented */
	uint16_t	 port;
	const char	*interface;	/* "" none */
	const char	*pipe;		/* "" none */
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/* One server: the hosts table plus what service_stats says of it. */
struct query_host {
	const char	*sensor;
	const char	*ip;
	/* Display name (names.h order), NULL when none is host-like. */
	const char	*name;
	int64_t		 first_seen;
	int64_t		 last_seen;
	const char *const *services;	/* documented keys served, sorted */
	size_t		 nservices;
	uint64_t	 flows;
	uint64_t	 packets;
	uint64_t	 bytes;
	/* Every name, best display candidate first (query.c sorts). */
	struct query_name *names;
	size_t		 nnames;
	/* What it served (the back end's), and the roles query.c derives
	 * from it when a catalog is given (none without). */
	const struct query_served *served;
	size_t		 nserved;
	struct query_role *roles;
	size_t		 nroles;
	const char *const *role_keys;	/* the roles' keys, same order */
};

/*
 * One (server, port) that clients tried and nobody served (attempts,
 * schema v8; issue 14 item 2): its flows refused (a TCP RST only) and
 * unanswered.  service/name: what the catalog's listener of the port
 * would have named (what the clients asked for); NULL none.
 */
struct query_attempt {
	const char	*sensor;
	const char	*server_ip;
	uint16_t	 port;
	const char	*transport;	/* "tcp", "udp" */
	uint16_t	 vlan;
	const char	*service;	/* catalog listener key; NULL none */
	const char	*name;		/* its catalog name; NULL none */
	uint64_t	 attempts;	/* refused + unanswered */
	uint64_t	 refused;
	uint64_t	 unanswered;
	uint64_t	 packets;	/* both directions */
	uint64_t	 bytes;
	uint64_t	 clients;	/* distinct (seen in the window) */
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/* Which hosts query_hosts_where() hands out; NULL members: any. */
struct query_host_filter {
	const char	*ip;		/* an address or CIDR prefix */
	const char	*name;		/* glob (fnmatch, case folded) on any name */
	const char	*role;		/* role key the host must hold */
	/* Derives the roles (roles.catalog); NULL: none, and no role
	 * filter can match. */
	const struct catalog *cat;
};

/*
 * Outbound use (schema v8): a monitored client's traffic to servers
 * outside the monitored networks, per (client, transport, server port),
 * or with `servers` per (outside server, transport, port).  Never a
 * service: nothing names it.
 */
struct query_outbound {
	const char	*sensor;
	const char	*ip;		/* the client, or the outside server */
	uint16_t	 port;		/* server port */
	const char	*transport;
	const char	*protocol;	/* nDPI (dpi-outbound); NULL unknown */
	uint64_t	 flows;
	uint64_t	 packets_c2s;
	uint64_t	 packets_s2c;
	uint64_t	 bytes_c2s;
	uint64_t	 bytes_s2c;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/* What `outbound` selects: NULL/0 members select everything. */
struct query_outbound_filter {
	bool		 servers;	/* the outside servers' rows */
	const char	*host;		/* client (server) address or prefix */
	int		 port;		/* 1..65535; 0 every port */
	int64_t		 since;		/* last_seen >= since; 0 all time */
	int64_t		 until;		/* first_seen < until; 0 no end */
};

/* One learned RPC endpoint, named through the catalog. */
struct query_endpoint {
	const char	*sensor;
	const char	*server_ip;
	uint16_t	 port;
	const char	*transport;	/* "tcp", "udp", "http" */
	const char	*uuid;
	const char	*version;	/* "major.minor" */
	const char	*interface;	/* catalog name; NULL unknown */
	const char	*service;	/* catalog key; NULL unknown */
	const char	*source;	/* "ept_map", "ept_lookup", ... */
	const char	*clsid;		/* DCOM class; NULL none */
	int64_t		 learned_at;
	int64_t		 refreshed_at;
	int64_t		 last_used;	/* 0 = never */
	uint16_t	 moved_from;	/* 0 = none */
	uint64_t	 flows;
	uint64_t	 announcements;
};

/*
 * One RPC operation of a server: rpc_operations summed over flushes,
 * named through the catalog (interface, service, operation).
 */
struct query_operation {
	const char	*sensor;
	const char	*server_ip;
	uint16_t	 port;
	const char	*transport;	/* "tcp", "udp" */
	const char	*interface;	/* catalog name ("svcctl"); NULL unknown */
	const char	*interface_uuid;
	uint16_t	 version;	/* interface major version, latest call */
	const char	*service;	/* catalog key; NULL unknown */
	uint16_t	 opnum;
	/* Catalog name ("RCreateServiceW"); NULL: an opnum it lacks. */
	const char	*operation;
	uint64_t	 calls;
	uint64_t	 clients;	/* distinct clients */
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/* What `operations` selects: NULL members select everything. */
struct query_op_filter {
	const char	*host;		/* server IP or CIDR prefix */
	const char	*service;	/* catalog key of the interface */
};

struct query_decode {
	char		 reason[32];
	uint64_t	 count;
};

struct query_capture {
	char		 iface[64];
	uint64_t	 received;
	uint64_t	 dropped;
	uint64_t	 if_dropped;
};

/* Totals over every run in the database. */
struct query_summary {
	uint64_t	 runs;
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 flows;
	uint64_t	 pkt_class[PKT__COUNT];	/* sums to packets */
	uint64_t	 byte_class[PKT__COUNT];
	uint64_t	 flow_class[FLOW_CLASSES];	/* by enum flow_class */
	uint64_t	 fragments;
	uint64_t	 flows_evicted;
	uint64_t	 dpi_mismatches;
	uint64_t	 rpc_pdus;
	uint64_t	 rpc_truncated;
	uint64_t	 rpc_invalid;
	uint64_t	 rpc_gaps;
	uint64_t	 epm_replies;
	uint64_t	 endpoints_learned;
	int64_t		 first_packet;	/* 0 = no packet yet */
	int64_t		 last_packet;
	int64_t		 last_flush;
	/* Every registered counter (stats.h counter_defs), summed. */
	struct run_totals totals;
	struct query_decode *decode;	/* by reason name; owned */
	size_t		 ndecode;
	struct query_capture *capture;	/* by interface name; owned */
	size_t		 ncapture;
};

/*
 * Keyset pagination.  A row's key is its place in its query's fixed
 * order (the columns of the ORDER BY, stored values): a page is "the
 * rows after this key", so it stays exact while the daemon writes (a
 * row inserted before the key is not seen, none is seen twice, none
 * after the key is skipped), where an OFFSET would shift.
 */
struct query_key {
	char		 ip[ADDR_STRLEN];	/* services, hosts, endpoints */
	char		 transport[8];		/* services, endpoints */
	uint16_t	 port;			/* services, endpoints */
	char		 service[STATS_KEY_LEN];/* services: "" undocumented */
	char		 method[8];		/* services */
	char		 pipe[STATS_PIPE_LEN];	/* services: "" none */
	uint16_t	 vlan;			/* services */
	char		 uuid[40];		/* endpoints */
	char		 sensor[64];		/* all but alerts */
	int64_t		 id;			/* alerts */
};

struct query_page {
	const struct query_key *after;	/* NULL: from the first row */
	uint64_t	 limit;		/* rows at most; 0: every row */
};

/* What a key (and a cursor, query_cursor_*()) is the key of. */
enum query_kind {
	QUERY_SERVICES = 0,
	QUERY_HOSTS,
	QUERY_ENDPOINTS,
	QUERY_ALERTS,
	QUERY_OUTBOUND,		/* client rows and server rows alike */
	QUERY_ATTEMPTS,
	QUERY__KINDS
};

/*
 * The window and filters of top and series.  host is a CIDR prefix
 * (a bare address is its /32 or /128); rows count when their time span
 * [first_seen, last_seen] meets [since, until): last_seen >= since and
 * first_seen < until.
 */
struct query_window {
	bool		 has_host;
	struct cidr	 host;
	const char	*service;	/* key, or "undocumented"; NULL = all */
	int		 port;		/* 1..65535; 0 = every port */
	int64_t		 since;		/* UTC seconds; 0 = all time */
	int64_t		 until;		/* UTC seconds, excluded; 0 = no end */
	bool		 all;		/* include undocumented traffic */
};

/* What top ranks: (server, service, port) rows, servers, or services. */
enum query_top_of {
	QUERY_TOP_ROWS = 0,
	QUERY_TOP_HOSTS,
	QUERY_TOP_SERVICES
};

/* Its measure, in descending order. */
enum query_top_by {
	QUERY_BY_BYTES = 0,
	QUERY_BY_PACKETS,
	QUERY_BY_FLOWS,
	QUERY_BY_CLIENTS
};

/*
 * One ranked entry.  Hosts leave service, name, port and transport
 * unset (NULL, 0); services leave server_ip, port and transport unset.
 */
struct query_top {
	uint64_t	 rank;		/* 1... */
	const char	*sensor;
	const char	*server_ip;
	const char	*service;	/* key, or "undocumented" */
	const char	*name;		/* catalog name, else the key */
	uint16_t	 port;
	const char	*transport;
	uint64_t	 flows;
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 clients;	/* distinct clients seen in the window */
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/*
 * One bucket of a series.  Its width is `resolution` seconds: the one
 * asked for, or a coarser one where retention has already rolled the
 * rows up (a day row is never split into hours).
 */
struct query_bucket {
	const char	*sensor;
	int64_t		 bucket;	/* start, UTC seconds */
	int64_t		 resolution;	/* 60, 3600 or 86400 */
	uint64_t	 flows;
	uint64_t	 packets_c2s;
	uint64_t	 packets_s2c;
	uint64_t	 bytes_c2s;
	uint64_t	 bytes_s2c;
	/* Clients whose first..last sighting meets the bucket: an upper
	 * bound, as clients are stored with those two times only. */
	uint64_t	 clients;
};

typedef void (*query_top_fn)(void *arg, const struct query_top *r);
typedef void (*query_bucket_fn)(void *arg, const struct query_bucket *r);

typedef void (*query_service_fn)(void *arg, const struct query_service *r);
typedef void (*query_host_fn)(void *arg, const struct query_host *r);
typedef void (*query_attempt_fn)(void *arg, const struct query_attempt *r);
typedef void (*query_name_fn)(void *arg, const struct query_name *r);
typedef void (*query_endpoint_fn)(void *arg, const struct query_endpoint *r);
typedef void (*query_operation_fn)(void *arg,
    const struct query_operation *r);
typedef void (*query_outbound_fn)(void *arg,
    const struct query_outbound *r);
/* A stored alert: alert.h's record, its sensor member set. */
typedef void (*query_alert_fn)(void *arg, const struct alert_record *r);

/*
 * The reader interface: a back end's read operations.  They produce the
 * records above with stored values only; the query_*() functions below
 * check the filter and add the catalog's names, so each back end stays
 * a translation of its storage.
 */
struct reader_ops {
	int	(*services)(struct reader *rd, const struct query_filter *f,
		    const struct query_page *pg, query_service_fn fn,
		    void *arg, char *err, size_t errlen);
	int	(*hosts)(struct reader *rd, const struct query_page *pg,
		    query_host_fn fn, void *arg, char *err, size_t errlen);
	/* Attempts: f's host, since and until. */
	int	(*attempts)(struct reader *rd, const struct query_filter *f,
		    const struct query_page *pg, query_attempt_fn fn,
		    void *arg, char *err, size_t errlen);
	/* Names ordered by address text, sensor; ip NULL: every address. */
	int	(*names)(struct reader *rd, const char *ip, query_name_fn fn,
		    void *arg, char *err, size_t errlen);
	int	(*endpoints)(struct reader *rd, const struct query_page *pg,
		    query_endpoint_fn fn, void *arg, char *err, size_t errlen);
	/* The host filter is the back end's; the service, query.c's. */
	int	(*operations)(struct reader *rd, const struct query_op_filter *f,
		    query_operation_fn fn, void *arg, char *err,
		    size_t errlen);
	/* Ordered by ip text, transport, port, sensor. */
	int	(*outbound)(struct reader *rd,
		    const struct query_outbound_filter *f,
		    const struct query_page *pg, query_outbound_fn fn,
		    void *arg, char *err, size_t errlen);
	int	(*alerts)(struct reader *rd, const char *kind, int64_t since,
		    int64_t until, const struct query_page *pg, query_alert_fn fn, void *arg,
		    char *err, size_t errlen);
	int	(*summary)(struct reader *rd, struct query_summary *sum,
		    char *err, size_t errlen);
	/* True when the store was replaced under the reader (reopen). */
	bool	(*stale)(struct reader *rd);
	/* top, series and the time reference (query_top() and below). */
	int	(*top)(struct reader *rd, const struct query_window *w,
		    enum query_top_of of, enum query_top_by by, uint64_t limit,
		    query_top_fn fn, void *arg, char *err, size_t errlen);
	int	(*series)(struct reader *rd, const struct query_window *w,
		    int64_t resolution, query_bucket_fn fn, void *arg,
		    char *err, size_t errlen);
	int	(*newest)(struct reader *rd, int64_t *last_packet,
		    bool *offline, char *err, size_t errlen);
	void	(*close)(struct reader *rd);
};

/* The head of every back end's reader. */
struct reader {
	const struct reader_ops	*ops;
};

/**
 * Open the store `url` (store.h store_url_parse()) for queries only; the
 * schema version must match exactly.
 * @return: the reader, or NULL with a message in err.
 */
struct reader *reader_open(const char *url, char *err, size_t errlen);
/** Close; NULL is a no-op. */
void	reader_close(struct reader *rd);
/**
 * True when the store was replaced or removed since the reader opened it
 * (the API reopens then, so it never answers from a deleted file).
 */
bool	reader_stale(struct reader *rd);

/**
 * Services matching the filter, ordered by server_ip, transport, port,
 * service, method.  A filter service of "undocumented" selects the
 * undocumented rows (and implies `all`).
 * @return: 0, or -1 with err set (bad host address, back end error).
 */
int	query_services(struct reader *rd, const struct catalog *cat,
	    const struct query_filter *f, query_service_fn fn, void *arg,
	    char *err, size_t errlen);

/**
 * Attempts matching f (host, since, until: a row counts when its
 * first..last sighting meets [since, until)), named through the catalog
 * (the port's listener), ordered by server_ip, transport, port, vlan,
 * sensor, one page at a time as the others (pg NULL: every row).
 * @return: 0, or -1 with err set (bad host address, back end error).
 */
int	query_attempts_page(struct reader *rd, const struct catalog *cat,
	    const struct query_filter *f, const struct query_page *pg,
	    query_attempt_fn fn, void *arg, char *err, size_t errlen);
void	query_key_attempt(const struct query_attempt *r, struct query_key *k);

/** Servers ordered by address text, then sensor. */
int	query_hosts(struct reader *rd, query_host_fn fn, void *arg, char *err,
	    size_t errlen);
/**
 * Servers matching hf (NULL: all), as query_hosts(), one page at a time
 * as query_hosts_page() (pg NULL: every row): at most pg->limit matching
 * rows after pg->after.  The record's names are sorted best display
 * candidate first and its name is the best host-like one (names.h:
 * names_rank()).
 * @return: 0, or -1 with err set (bad address, bad pattern, back end).
 */
int	query_hosts_where(struct reader *rd, const struct query_host_filter *hf,
	    const struct query_page *pg, query_host_fn fn, void *arg,
	    char *err, size_t errlen);
/**
 * One address, server or not: its host record (with its roles when cat
 * is given) when it serves, else a
 * record with only its ip, sensor and names (first_seen 0).  fn is
 * called once per sensor that knows the address; *found says whether
 * any did.  @return: 0, or -1 with err set.
 */
int	query_host_one(struct reader *rd, const struct catalog *cat,
	    const char *ip, query_host_fn fn, void *arg, bool *found,
	    char *err, size_t errlen);

/** Learned endpoints ordered by server_ip, transport, port, uuid. */
int	query_endpoints(struct reader *rd, const struct catalog *cat,
	    query_endpoint_fn fn, void *arg, char *err, size_t errlen);

/**
 * RPC operations ordered by server_ip, transport, port, interface_uuid,
 * opnum, sensor; with f->service, only those whose interface the
 * catalog gives to that service (none without a catalog).
 * @return: 0, or -1 with err set (bad host address, back end error).
 */
int	query_operations(struct reader *rd, const struct catalog *cat,
	    const struct query_op_filter *f, query_operation_fn fn, void *arg,
	    char *err, size_t errlen);
/**
 * Alerts ordered by id, of one kind (NULL: all) last seen at or after
 * since (UTC seconds); the record lives until fn returns.
 */
int	query_alerts(struct reader *rd, const char *kind, int64_t since,
	    query_alert_fn fn, void *arg, char *err, size_t errlen);

/*
 * The same queries one page at a time (pg NULL: every row, as above):
 * at most pg->limit rows after pg->after, in the same order.
 */
int	query_services_page(struct reader *rd, const struct catalog *cat,
	    const struct query_filter *f, const struct query_page *pg,
	    query_service_fn fn, void *arg, char *err, size_t errlen);
int	query_hosts_page(struct reader *rd, const struct query_page *pg,
	    query_host_fn fn, void *arg, char *err, size_t errlen);
int	query_endpoints_page(struct reader *rd, const struct catalog *cat,
	    const struct query_page *pg, query_endpoint_fn fn, void *arg,
	    char *err, size_t errlen);
int	query_alerts_page(struct reader *rd, const char *kind, int64_t since,
	    int64_t until,
	    const struct query_page *pg, query_alert_fn fn, void *arg,
	    char *err, size_t errlen);

/**
 * Outbound rows matching f, ordered by ip text, transport, port, sensor,
 * one page at a time (pg NULL: every row).
 * @return: 0, or -1 with err set (bad host address, back end error).
 */
int	query_outbound_page(struct reader *rd,
	    const struct query_outbound_filter *f, const struct query_page *pg,
	    query_outbound_fn fn, void *arg, char *err, size_t errlen);

/* The key of a record as the callbacks get it (names already added). */
void	query_key_service(const struct query_service *r, struct query_key *k);
void	query_key_host(const struct query_host *r, struct query_key *k);
void	query_key_endpoint(const struct query_endpoint *r,
	    struct query_key *k);
void	query_key_alert(const struct alert_record *r, struct query_key *k);
void	query_key_outbound(const struct query_outbound *r,
	    struct query_key *k);

/* Longest cursor text query_cursor_format() writes, NUL included. */
#define QUERY_CURSOR_LEN	384

/**
 * A key as an opaque cursor for clients: URL- and shell-safe text
 * (base64url of the kind and the key's fields).
 * @return: 0, or -1 if out[outlen] is too small.
 */
int	query_cursor_format(enum query_kind kind, const struct query_key *k,
	    char *out, size_t outlen);
/**
 * Parse a cursor made by query_cursor_format() for `kind`.
 * @return: 0 with *k filled, or -1 (not a cursor, or one of another
 *   kind of query).
 */
int	query_cursor_parse(enum query_kind kind, const char *text,
	    struct query_key *k);
/**
 * As query_alerts(), also without the alerts first seen at or after
 * until (UTC seconds; 0: no end).
 */
int	query_alerts_until(struct reader *rd, const char *kind, int64_t since,
	    int64_t until, query_alert_fn fn, void *arg, char *err,
	    size_t errlen);

/** Fill sum (free it with query_summary_free()); 0 or -1 with err. */
int	query_summary(struct reader *rd, struct query_summary *sum, char *err,
	    size_t errlen);
void	query_summary_free(struct query_summary *sum);

/* The summary as one JSON object. */
void	query_summary_json(struct json *j, const struct query_summary *sum);

/**
 * Parse a time for --since / ?since=: ISO 8601 UTC ("2024-01-15T09:00:00Z",
 * "2024-01-15T09:00", "2024-01-15"), epoch seconds ("1705309200"), or a
 * span back from now_s ("-30m", "-1h", "-7d"; also s and w).
 * @return: 0 with *out in UTC seconds, or -1 on bad text.
 */
int	query_parse_time(const char *text, int64_t now_s, int64_t *out);

/* ------------------------------------------------------------------ */
/* Top, series and relative times (svcmapctl top/series, /v1/top, /v1/series) */

/* Seconds of a series resolution word ("minute", "hour", "day"); 0 bad. */
int64_t	query_resolution_parse(const char *word);
/* The word of 60, 3600 or 86400; "?" otherwise. */
const char *query_resolution_name(int64_t seconds);
/* "rows", "hosts", "services" and "bytes", "packets", ...; -1 bad. */
int	query_top_of_parse(const char *word);
int	query_top_by_parse(const char *word);
const char *query_top_of_name(enum query_top_of of);
const char *query_top_by_name(enum query_top_by by);

/**
 * The top `limit` entries (limit 0: all) of `of` by `by`, descending;
 * ties in address text, transport, port, service and sensor order.
 * @return: 0, or -1 with err set.
 */
int	query_top(struct reader *rd, const struct catalog *cat,
	    const struct query_window *w, enum query_top_of of,
	    enum query_top_by by, uint64_t limit, query_top_fn fn, void *arg,
	    char *err, size_t errlen);

/**
 * The buckets of the rows matching w, `resolution` seconds wide (60,
 * 3600, 86400; rows already rolled up coarser keep their width), by
 * sensor then bucket time.  Their sums are the sums of query_services()
 * over the same filter.
 */
int	query_series(struct reader *rd, const struct query_window *w,
	    int64_t resolution, query_bucket_fn fn, void *arg, char *err,
	    size_t errlen);

/*
 * What relative times ("-1h") count back from.  A database whose latest
 * run read capture files counts from its newest packet, so "-1h" means
 * the last hour of the capture; one whose latest run was live (or that
 * has no run yet) counts from the wall clock.
 */
struct query_time_ref {
	const char	*reference;	/* "newest_packet" or "wall_clock" */
	int64_t		 at;		/* UTC seconds */
};

/**
 * The reference of the database behind rd; now_s is the wall clock.
 * @return: 0, or -1 with err set.
 */
int	query_time_reference(struct reader *rd, int64_t now_s,
	    struct query_time_ref *ref, char *err, size_t errlen);

/**
 * The head of a top or series document (svcmapctl --json, the API), as
 * members of the object the caller opened: time_reference,
 * reference_time, since and until (null: open).
 */
void	query_window_json(struct json *j, const struct query_window *w,
	    const struct query_time_ref *ref);

/** True for a relative time text ("-30m"), which needs the reference. */
bool	query_time_is_relative(const char *text);

/**
 * Parse a host filter: an address or a CIDR prefix ("10.0.0.0/8",
 * "2001:db8::/32").  @return: 0, or -1 on bad text.
 */
int	query_host_parse(const char *text, struct cidr *c);

#endif /* SVCMAP_QUERY_H */
