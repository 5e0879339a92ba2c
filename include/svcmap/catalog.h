/*
 * catalog.h - the documented Windows services svcmap classifies against.
 *
 * Built from KB 832017 (four editions) and the Configuration Manager port
 * article: services, the (transport, port) rows each documents, which service
 * actually listens on each port, the RPC interfaces (UUID -> service), their
 * operations (opnum -> method name, sensitive or not) and DCOM classes.
 * The file format is documented in data/README.md.
 *
 * A catalog is loaded once (and again on SIGHUP into a new object), then is
 * read-only: lookups take no lock and are safe from any thread.
 */
#ifndef SVCMAP_CATALOG_H
#define SVCMAP_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rows are keyed by transport: the TRANSPORT_* numbers of transport.h. */
#include "svcmap/transport.h"

/* Edition codes (bit flags) of the seed documents a row comes from. */
#define SOURCE_SV	0x01	/* KB 832017 Swedish */
#define SOURCE_EN	0x02	/* KB 832017 English */
#define SOURCE_JA	0x04	/* KB 832017 Japanese */
#define SOURCE_ZH	0x08	/* KB 832017 Chinese / AD DC port list */
#define SOURCE_CM	0x10	/* Configuration Manager ports */
#define SOURCE_LOCAL	0x80	/* the site's own catalog file */

/** One SOURCE_* bit's code as the files write it ("sv", "local"), or NULL. */
const char *catalog_source_name(uint8_t bit);

enum catalog_role {
	ROLE_LISTENER = 0,	/* this service's process binds the port */
	ROLE_DEPENDENT		/* documented as using it; another process listens */
};

struct catalog_service {
	const char	*key;		/* stable id: "kdc", "lsass", "server" */
	const char	*name;		/* English name */
	const char	*system_service; /* "LSASS", "Netlogon"; "-" if none */
	const char	*notes;		/* "-" if none */
	bool		 local;		/* defined by the site-local file */
};

struct catalog_app {
	const char	*key;		/* "smb", "kerberos" */
	const char	*description;
	const char	*const *ndpi_names; /* NULL-terminated; empty: no check */
};

struct catalog_port {
	int		 service;	/* index of struct catalog_service */
	uint8_t		 transport;	/* TRANSPORT_* */
	uint16_t	 port_low;	/* 0 for transports without ports */
	uint16_t	 port_high;
	int		 app;		/* index of struct catalog_app */
	enum catalog_role role;
	uint8_t		 sources;	/* SOURCE_* bits */
	const char	*notes;
};

struct catalog_iface {
	uint8_t		 uuid[16];	/* text order, see addr.h */
	uint16_t	 ver_major;
	uint16_t	 ver_minor;
	const char	*name;		/* "drsuapi" */
	int		 service;
	const char	*spec;		/* "MS-DRSR" or "-" */
	const char	*notes;
};

struct catalog_dcom {
	uint8_t		 clsid[16];
	const char	*name;
	int		 service;
	const char	*spec;
	const char	*notes;
};

/*
 * A named pipe that SMB carries RPC over (\PIPE\svcctl).  The pipe names
 * its owning service when the bind on it is not in the capture; a bind,
 * where seen, names the service more precisely.
 */
struct catalog_pipe {
	const char	*name;		/* lowercase, no "\PIPE\": "svcctl" */
	int		 service;
	const char	*spec;		/* "MS-SCMR" or "-" */
	const char	*notes;
};

/** Longest pipe name kept, with NUL. */
#define CATALOG_PIPE_NAMELEN 64

/* Flags of an RPC operation (op records). */
#define CATALOG_OP_SENSITIVE	0x01	/* in the shipped default watch list */
#define CATALOG_OP_RESERVED	0x02	/* "OpnumNNotUsedOnWire": never sent */
/* Qualifiers of a sensitive operation's default watch (alert.h). */
#define CATALOG_OP_NOT_DC	0x04	/* only from clients not serving as DCs */
#define CATALOG_OP_STORM	0x08	/* only past the storm threshold */

/*
 * One operation of an RPC interface: an opnum and the method name the
 * open specification's IDL gives it ("RCreateServiceW").  Rows are
 * sorted by (interface row, opnum) once the catalog is finished, so the
 * operations of one interface are consecutive rows.
 */
struct catalog_op {
	int		 iface;		/* index of struct catalog_iface */
	uint16_t	 opnum;
	uint8_t		 flags;		/* CATALOG_OP_* */
	const char	*name;		/* "RCreateServiceW", as the IDL */
	const char	*notes;		/* why it is sensitive, or "-" */
};

/** Longest operation name kept, with NUL. */
#define CATALOG_OP_NAMELEN 64

/*
 * Roles (roles.catalog): what a host serves that shows it acts as, say, a
 * domain controller.  A role holds when each of its needs is met: an
 * "all" need by every one of its evidence items, an "any" need by one.
 * An item is met when the host served it (the server answered), within
 * the role's window of the role's latest item (0: at any time).
 */
enum catalog_evidence_kind {
	EVIDENCE_SERVICE = 0,	/* "kdc": the service, on any port */
	EVIDENCE_PORT,		/* "lsass/389": the service on that port */
	EVIDENCE_RPC,		/* "rpc:drsuapi": an RPC interface served */
	EVIDENCE_PIPE		/* "pipe:spoolss": a named pipe served */
};

struct catalog_evidence {
	uint8_t		 kind;		/* enum catalog_evidence_kind */
	uint16_t	 port;		/* EVIDENCE_PORT */
	int		 service;	/* SERVICE, PORT: service row; else -1 */
	const char	*name;		/* service key, interface or pipe name */
	const char	*text;		/* as the file writes it: "lsass/389" */
};

struct catalog_host_role {
	const char	*key;		/* "dc", "dhcp-server" */
	const char	*name;		/* "domain controller" */
	uint32_t	 window_s;	/* needs met within this; 0: ever */
	const char	*confidence;	/* "high", "medium" or "low" */
	uint8_t		 severity;	/* new_role alert 1..5; 0: the kind's */
	const char	*notes;
	bool		 local;		/* defined by the site-local file */
};

struct catalog_need {
	int		 role;		/* index of struct catalog_host_role */
	bool		 all;		/* all items, else any one */
	const struct catalog_evidence *items;
	size_t		 nitems;
	const char	*notes;
};

/** Longest role key, without NUL (the service key syntax, shorter). */
#define CATALOG_ROLE_KEYLEN 30

struct catalog;

/** An empty catalog, or NULL on allocation failure. */
struct catalog *catalog_create(void);
void	catalog_destroy(struct catalog *cat);

/**
 * Load one catalog file (shipped or site-local; local marks its records).
 * Every bad line is reported (log_warnx, "file:line: message"), and the
 * first one is also copied to err.
 * @return: 0, or -1 if the file cannot be read or any line is bad.  On -1
 *   the catalog must not be used (callers destroy it): it never half-loads.
 */
int	catalog_load_file(struct catalog *cat, const char *path, bool local,
	    char *err, size_t errlen);

/**
 * Check references across files (services, app keys, the interface of
 * each operation), the uniqueness of listeners per exact (transport,
 * ports) and of operations per (interface, opnum), and build the lookup
 * indexes.
 * Must be called once after the last catalog_load_file().
 * @return: 0, or -1 with err set ("file:line: message").
 */
int	catalog_finish(struct catalog *cat, char *err, size_t errlen);

/**
 * Load the shipped catalog files from data_dir (services.catalog,
 * rpc-interfaces.catalog, rpc-operations.catalog, roles.catalog) and, if local_path is
 * not NULL and exists, the site-local file; then finish.  Returns the
 * catalog or NULL with err set.
 * Every problem has been logged already (log_warnx), so a caller that
 * only reports need not print err again.
 */
struct catalog *catalog_open(const char *data_dir, const char *local_path,
	    char *err, size_t errlen);

/** A service or app key's syntax: [a-z0-9][a-z0-9-]*, at most 40 bytes. */
bool	catalog_key_valid(const char *s);

size_t	catalog_nservices(const struct catalog *cat);
size_t	catalog_nports(const struct catalog *cat);
size_t	catalog_napps(const struct catalog *cat);
size_t	catalog_nifaces(const struct catalog *cat);
size_t	catalog_ndcom(const struct catalog *cat);
size_t	catalog_npipes(const struct catalog *cat);
size_t	catalog_nops(const struct catalog *cat);
size_t	catalog_nroles(const struct catalog *cat);
size_t	catalog_nneeds(const struct catalog *cat);

const struct catalog_service *catalog_service(const struct catalog *cat, int i);
const struct catalog_port *catalog_port(const struct catalog *cat, int i);
const struct catalog_app *catalog_app(const struct catalog *cat, int i);
const struct catalog_iface *catalog_iface(const struct catalog *cat, int i);
const struct catalog_dcom *catalog_dcom(const struct catalog *cat, int i);
const struct catalog_pipe *catalog_pipe(const struct catalog *cat, int i);
const struct catalog_op *catalog_op(const struct catalog *cat, int i);
const struct catalog_host_role *catalog_role(const struct catalog *cat, int i);
/** Needs are in file order; need->role names their role. */
const struct catalog_need *catalog_need(const struct catalog *cat, int i);

/** Index of the role with this key, or -1. */
int	catalog_role_find(const struct catalog *cat, const char *key);

/** Index of the service with this key, or -1. */
int	catalog_service_find(const struct catalog *cat, const char *key);

/**
 * The listener row for a (transport, port): the most specific listener
 * row containing the port (a single port beats a range).  For transports
 * without ports pass port 0.  O(1).  Returns a port row index or -1.
 */
int	catalog_listener(const struct catalog *cat, uint8_t transport,
	    uint16_t port);

/**
 * True if the row is a dynamic RPC range: it belongs to rpc-dynamic, or
 * the listener of its exact range (if none, of its first port) does.
 */
bool	catalog_port_is_dynamic_rpc(const struct catalog *cat, int port_row);

/**
 * The RPC interface for a UUID and major version (the minor is
 * compatible by the RPC rules), or -1.  If major does not match any row,
 * the row with that UUID and the closest version.
 */
int	catalog_iface_find(const struct catalog *cat, const uint8_t uuid[16],
	    uint16_t ver_major);

/** The DCOM class for a CLSID, or -1. */
int	catalog_dcom_find(const struct catalog *cat, const uint8_t clsid[16]);

/**
 * The pipe row for a name as SMB sends it: any case, with or without a
 * leading "\" or "\PIPE\" ("\PIPE\SvcCtl", "svcctl").  Returns the row
 * index or -1.
 */
int	catalog_pipe_find(const struct catalog *cat, const char *name);

/**
 * The operation row for an opnum of an interface row (as returned by
 * catalog_iface_find()), or -1: unknown interface row, an interface
 * without operation rows, or an opnum the catalog does not name.
 * Meant for every RPC request PDU: no allocation, no string compare,
 * one array load for the dense tables the shipped catalog has (opnums
 * consecutive from the first), else a binary search within the
 * interface's rows.  Safe from any thread once finished.
 */
int	catalog_op_find(const struct catalog *cat, int iface, uint16_t opnum);

/**
 * The operation row of an interface row whose method name is exactly
 * name ("RCreateServiceW"), or -1.  A scan of the interface's rows: for
 * configuration (a watch list written by name), not for packets.
 */
int	catalog_op_find_name(const struct catalog *cat, int iface,
	    const char *name);

/**
 * The operation rows of an interface row: stores the first row index in
 * *first (-1 if none) and returns the count.  The rows are in opnum order.
 */
size_t	catalog_iface_ops(const struct catalog *cat, int iface, int *first);

/** The CATALOG_OP_* bit of a flag name ("sensitive"), or 0. */
uint8_t	catalog_op_flag_parse(const char *name);
/** A CATALOG_OP_* bit's name as the files write it, or NULL. */
const char *catalog_op_flag_name(uint8_t bit);

/**
 * Does nDPI's protocol name agree with the app protocol?  True when the
 * app has no nDPI names (cannot be checked) or the name is in its list.
 */
bool	catalog_app_accepts(const struct catalog *cat, int app,
	    const char *ndpi_name);

#endif /* SVCMAP_CATALOG_H */
