/*
 * catalog_query.h - select catalog rows the way an operator asks for them
 * (by port, service, RPC interface UUID, or the interface list) and write
 * them as JSON.
 *
 * One implementation behind "svcmapctl catalog --json" and
 * GET /v1/catalog, so that both print the same bytes for the same
 * question.  The selection is pure: it reads the catalog and allocates
 * only the row lists.
 */
#ifndef SVCMAP_CATALOG_QUERY_H
#define SVCMAP_CATALOG_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"

struct catalog;
struct json;
struct record_out;

/* The question.  catalog_query_init() sets "everything". */
struct catalog_query {
	bool		 port_given;
	uint16_t	 port;
	uint8_t		 transports[2];	/* 0-terminated: tcp, udp or both */
	int		 service;	/* service index; -1: any */
	bool		 uuid_given;
	uint8_t		 uuid[16];	/* text order (addr.h) */
	bool		 interfaces;	/* list the RPC interfaces */
};

/* The answer: catalog row indexes, in output order.  Owned. */
struct catalog_rows {
	int		*ports;		/* struct catalog_port rows */
	size_t		 nports;
	int		*ifaces;	/* struct catalog_iface rows */
	size_t		 nifaces;
	bool		 show_ports;	/* the question is about ports */
	bool		 show_ifaces;	/* ... and/or about interfaces */
};

void	catalog_query_init(struct catalog_query *q);

/**
 * Set the port of the question: "445", "445/tcp" or "88/udp" (no
 * transport: both), N in 1..65535, nothing else around it.
 * @return: 0, or -1 (q unchanged) on bad text.
 */
int	catalog_query_port(struct catalog_query *q, const char *text);

/**
 * A port lists port rows, a UUID or the interface list lists interface
 * rows: the two do not combine.  True when q asks for both.
 */
bool	catalog_query_conflict(const struct catalog_query *q);

/**
 * Select the rows.  For a port, per transport, the row whose process
 * answers there (catalog_listener()) comes first, then every other row
 * containing the port, in file order.  A service alone selects its port
 * rows and its interfaces.
 * @return: 0, or -1 on allocation failure (rows then holds nothing).
 */
int	catalog_query_select(const struct catalog *cat,
	    const struct catalog_query *q, struct catalog_rows *rows);
void	catalog_rows_free(struct catalog_rows *rows);

/* One port row as a record (record.h: record_catalog_ports). */
struct catalog_port_record {
	const char	*service;	/* key */
	const char	*name;
	const char	*system_service_name;	/* NULL: none */
	const char	*transport;
	uint16_t	 port_low;	/* 0 for transports without ports */
	uint16_t	 port_high;
	const char	*app_protocol;	/* NULL: none */
	const char	*role;		/* "listener" or "dependent" */
	int		 effective_listener;	/* 1, 0; -1: no port asked */
	bool		 dynamic_rpc;
	const char	*sources[8];	/* edition codes */
	size_t		 nsources;
	const char	*notes;		/* NULL: none */
};

/* One RPC interface row as a record (record_catalog_ifaces). */
struct catalog_iface_record {
	char		 uuid[UUID_STRLEN];
	char		 version[16];	/* "major.minor" */
	const char	*interface;
	const char	*service;	/* key */
	const char	*name;
	const char	*spec;		/* NULL: none */
	const char	*notes;		/* NULL: none */
};

/** Port row `row` as asked by q; strings stay owned by cat. */
void	catalog_port_record(const struct catalog *cat,
	    const struct catalog_query *q, int row,
	    struct catalog_port_record *r);
/** Interface row `row`; strings stay owned by cat. */
void	catalog_iface_record(const struct catalog *cat, int row,
	    struct catalog_iface_record *r);

/**
 * The selected rows to o (begun with record_catalog_ports and/or
 * record_catalog_ifaces): the port rows if ports, then the interface
 * rows if ifaces.
 */
void	catalog_query_out(struct record_out *o, const struct catalog *cat,
	    const struct catalog_query *q, const struct catalog_rows *rows,
	    bool ports, bool ifaces);

/**
 * The selected rows as one JSON array: port objects ("kind": "port")
 * first, then interface objects ("kind": "interface").  Field names are
 * documented in svcmapctl(8) and docs/api.md.
 */
void	catalog_query_json(struct json *j, const struct catalog *cat,
	    const struct catalog_query *q, const struct catalog_rows *rows);

#endif /* SVCMAP_CATALOG_QUERY_H */
