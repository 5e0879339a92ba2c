/*
 * catalog_int.h - what the catalog's source files share, and nothing else
 * includes: the catalog object, its record arrays, the text arena and the
 * error collector.  The public contract is include/svcmap/catalog.h.
 */
#ifndef SVCMAP_CATALOG_INT_H
#define SVCMAP_CATALOG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/catalog.h"

#define CAT_MAX_LINE	4096	/* bytes per line, without the newline */
#define CAT_MAX_FIELDS	8	/* the longest record (port) */
#define CAT_MAX_KEY	40	/* service and app keys */
#define CAT_MAX_ROWS	(1 << 24) /* per record kind; indexes are int */
#define CAT_ARENA_CHUNK	65536	/* bytes; the shipped files intern ~100 KiB */
#define CAT_NPORTS		65536

/* Where a record was read, for messages that name it. */
struct origin {
	const char	*file;
	unsigned	 line;
};

/*
 * Each record keeps its origin and, until catalog_finish() resolves them,
 * the keys it refers to: the service it names may be defined in a file
 * loaded later.
 */
struct svc_rec {
	struct catalog_service	 s;
	struct origin		 at;
};

struct app_rec {
	struct catalog_app	 a;
	struct origin		 at;
};

struct port_rec {
	struct catalog_port	 p;
	struct origin		 at;
	const char		*svc_key;
	const char		*app_key;	/* NULL: no app protocol */
};

struct iface_rec {
	struct catalog_iface	 i;
	struct origin		 at;
	const char		*svc_key;
};

struct dcom_rec {
	struct catalog_dcom	 d;
	struct origin		 at;
	const char		*svc_key;
};

struct pipe_rec {
	struct catalog_pipe	 p;
	struct origin		 at;
	const char		*svc_key;
};

/* The interface is kept as its (uuid, version) until catalog_finish(). */
struct op_rec {
	struct catalog_op	 o;
	struct origin		 at;
	uint8_t			 uuid[16];
	uint16_t		 ver_major;
	uint16_t		 ver_minor;
};

struct role_rec {
	struct catalog_host_role	 r;
	struct origin		 at;
};

/* The items' services and the role are resolved in catalog_finish(). */
struct need_rec {
	struct catalog_need	 n;
	struct origin		 at;
	const char		*role_key;
	struct catalog_evidence	*items;		/* in the arena */
};

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 used;
	size_t			 size;
	max_align_t		 data[];
};

/* Open-addressing string table: interned text, and key -> index maps. */
struct strmap {
	const char	**keys;
	int		 *vals;
	size_t		  cap;		/* a power of two, or 0 */
	size_t		  n;
};

struct catalog {
	struct arena_chunk	*arena;
	struct strmap		 strings;
	struct strmap		 svc_by_key;
	struct strmap		 app_by_key;
	struct strmap		 pipe_by_name;
	struct strmap		 role_by_key;

	struct svc_rec		*svc;
	size_t			 nsvc, svc_cap;
	struct app_rec		*app;
	size_t			 napp, app_cap;
	struct port_rec		*port;
	size_t			 nport, port_cap;
	struct iface_rec	*iface;
	size_t			 niface, iface_cap;
	struct dcom_rec		*dcom;
	size_t			 ndcom, dcom_cap;
	struct pipe_rec		*pipe;
	size_t			 npipe, pipe_cap;
	struct op_rec		*op;
	size_t			 nop, op_cap;
	struct role_rec		*role;
	size_t			 nrole, role_cap;
	struct need_rec		*need;
	size_t			 nneed, need_cap;

	/*
	 * The listener index: row per port for tcp and udp (256 KiB each),
	 * and per protocol number for the transports without ports.  It
	 * answers catalog_listener() in one load; precedence between
	 * overlapping rows was settled when it was built.
	 */
	int32_t			*listen_tcp;
	int32_t			*listen_udp;
	int32_t			 listen_noport[256];

	bool			*port_dynamic;	/* per port row: dynamic RPC */
	int			*iface_sorted;	/* by uuid, major, minor */
	int			*dcom_sorted;	/* by clsid */
	/*
	 * Per interface row: its first operation row (op[] is sorted by
	 * interface row, then opnum) and how many it has.
	 */
	int32_t			*iface_op_first;
	uint32_t		*iface_nops;
	int			 rpc_dynamic;	/* service index or -1 */
	bool			 finished;
};

/* Error collection: each message is logged, the first is kept for err. */
struct errs {
	char		*buf;
	size_t		 len;
	unsigned	 n;
};

/** Log "file:line: message" (or "file: message" for line 0); keep the first. */
void	catalog_errs_add(struct errs *e, const struct origin *at,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	catalog_verrs_add(struct errs *e, const struct origin *at,
	    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/** Memory from the catalog's arena, freed with the catalog; NULL if none. */
void	*catalog_arena_alloc(struct catalog *cat, size_t n, size_t align);
/** Room for element n of a doubling array: the (moved) array or NULL. */
void	*catalog_array_reserve(void *p, size_t *cap, size_t n, size_t size);
/** The one arena copy of s, or NULL on allocation failure. */
const char *catalog_intern(struct catalog *cat, const char *s);

/** The value stored for key, or NULL. */
const int *catalog_strmap_get(const struct strmap *m, const char *key);
/** Add an absent key (it must outlive the map); 0 or -1. */
int	catalog_strmap_put(struct strmap *m, const char *key, int val);

/** The SOURCE_* bit of an edition code ("sv", "local"), or 0. */
uint8_t	catalog_source_parse(const char *code);
/** True for the transports whose rows carry ports (tcp, udp). */
bool	catalog_transport_has_ports(uint8_t proto);

#endif /* SVCMAP_CATALOG_INT_H */
