/*
 * endpoint.h - RPC endpoints learned from EPM and DCOM replies.
 *
 * Key: (server IP, transport, port, interface UUID).  One port often
 * serves several interfaces of one process (lsass answers drsuapi,
 * netlogon, lsarpc and samr on one port), so a lookup by (ip, transport,
 * port) returns every interface learned there.  Entries hold facts only
 * (UUID, version, CLSID); the service is looked up in the current catalog
 * when used, so a catalog reload needs no rewrite here.
 *
 * Written rarely (EPM replies), read once per new flow: a rwlock keeps it
 * shareable between a classifier thread and readers (API, persistence).
 * Bounded: a full table drops the entry used least recently.  Expiry: an
 * entry not used or refreshed for `expiry_s` seconds of packet time goes.
 */
#ifndef SVCMAP_ENDPOINT_H
#define SVCMAP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"

struct endpoint_entry {
	struct addr	 ip;
	uint8_t		 transport;	/* TRANSPORT_TCP/_UDP, ENDPOINT_TRANSPORT_HTTP */
	uint16_t	 port;
	uint8_t		 uuid[16];
	uint16_t	 ver_major;
	uint16_t	 ver_minor;
	enum endpoint_source source;
	bool		 has_clsid;
	uint8_t		 clsid[16];
	uint64_t	 learned_us;	/* first announcement (packet time) */
	uint64_t	 refreshed_us;	/* latest announcement */
	uint64_t	 last_used_us;	/* latest flow that used it, 0 = never */
	uint32_t	 announcements;	/* replies that named it */
	uint32_t	 flows;		/* flows attributed through it */
	uint16_t	 moved_from;	/* previous port of this interface, 0 = none */
	bool		 dirty;		/* changed since last persisted */
};

struct endpoint_table;

/** capacity entries at most; expiry_s since last use or refresh. */
struct endpoint_table *endpoint_table_create(uint32_t capacity,
	    uint32_t expiry_s);
void	endpoint_table_destroy(struct endpoint_table *t);

/**
 * Learn (or refresh) an endpoint announced at packet time now_us.  The
 * address must already be resolved (0.0.0.0 replaced by the responder).
 * The same interface at another port of the same host replaces the old
 * entry and records moved_from.  Returns 1 new, 0 refreshed, -1 on error.
 */
int	endpoint_learn(struct endpoint_table *t, const struct dcerpc_endpoint *ep,
	    const struct addr *ip, uint64_t now_us);

/** Restore an entry read back from the database at start. */
int	endpoint_restore(struct endpoint_table *t, const struct endpoint_entry *e);

/**
 * Entries at (ip, transport, port), at most max copied into out (most
 * recently refreshed first).  Marks them used at now_us when use is true.
 * @return: how many entries exist there (may exceed max).
 */
size_t	endpoint_lookup(struct endpoint_table *t, const struct addr *ip,
	    uint8_t transport, uint16_t port, uint64_t now_us, bool use,
	    struct endpoint_entry *out, size_t max);

/**
 * A number that changes whenever an endpoint is learned at a new (ip,
 * transport, port) or an interface moves to a new port: a flow
 * classified under one generation needs no new lookup until it changes.
 * Lock-free (an atomic load); any thread.
 */
uint32_t endpoint_generation(const struct endpoint_table *t);

/* Dynamic port range classes (endpoint_host_range()). */
#define ENDPOINT_RANGE_LEGACY	0x01	/* 1025-5000: Windows 2000/2003 */
#define ENDPOINT_RANGE_MIDDLE	0x02	/* 5001-49151: a configured range */
#define ENDPOINT_RANGE_MODERN	0x04	/* 49152-65535: Windows 2008 and later */

/**
 * Is a TCP port inside the dynamic range ip was seen to use?  Each host's
 * range is learned from its own evidence: the range classes of the TCP
 * ports its endpoint mapper (ept_map, ept_lookup) and DCOM replies handed
 * out, learned or restored (a bind_ack's port, which a flow chose, does
 * not count).  A host whose announced ports are all in 49152-65535 does
 * not use 1025-5000 or 5001-49151.  Ports up to 1024 are in no class.
 * @return: 1 inside, 0 outside, -1 when the host showed nothing (or the
 *   transport is not TCP): the configured (catalog) ranges apply.
 */
int	endpoint_host_range(struct endpoint_table *t, const struct addr *ip,
	    uint8_t transport, uint16_t port);

/** Is anything learned at (ip, transport, port)?  Cheap, no copy. */
bool	endpoint_exists(struct endpoint_table *t, const struct addr *ip,
	    uint8_t transport, uint16_t port);

/** Drop entries idle past the expiry as of now_us.  Returns how many. */
size_t	endpoint_expire(struct endpoint_table *t, uint64_t now_us);

/**
 * Visit entries (under the read lock); with only_dirty, just the changed
 * ones, and clear their dirty mark.
 */
void	endpoint_foreach(struct endpoint_table *t, bool only_dirty,
	    void (*fn)(void *arg, const struct endpoint_entry *e), void *arg);

/**
 * Mark every entry changed: after a write of the dirty ones failed, the
 * next flush writes them all again (nothing learned is lost).
 */
void	endpoint_mark_all_dirty(struct endpoint_table *t);

size_t	endpoint_count(struct endpoint_table *t);
/** Entries ever dropped because the table was full. */
uint64_t endpoint_evictions(struct endpoint_table *t);

#endif /* SVCMAP_ENDPOINT_H */
