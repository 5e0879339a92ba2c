/*
 * roles.h - host roles from what a host serves (roles.catalog).
 *
 * A role (catalog.h struct catalog_role) holds for a host when each of
 * its needs is met by what the host served: services, services on a
 * port, RPC interfaces, named pipes (struct catalog_evidence).  One
 * evaluation, roles_eval(), serves both sides: the readers (svcmapctl,
 * the API) over a host's stored service rows, and the daemon over the
 * bounded in-memory table below, which the classifier thread fills from
 * each drain's statistics rows (never per packet) so that the new_role
 * alert is raised live.
 */
#ifndef SVCMAP_ROLES_H
#define SVCMAP_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"

struct catalog;
struct catalog_evidence;

/* One thing a host served: a statistics row whose server answered. */
struct role_served {
	const char	*service;	/* catalog key; "" none */
	uint16_t	 port;
	const char	*interface;	/* RPC interface name; "" none */
	const char	*pipe;		/* named pipe, "\" prefix or not; "" */
	int64_t		 first_seen;	/* UTC seconds */
	int64_t		 last_seen;
};

/* Most evidence items reported per role (the shipped roles use < 10). */
#define ROLES_MAX_EVIDENCE 16

/* One evidence item of a held role: when the host served it. */
struct role_item {
	const char	*text;		/* the catalog's item: "lsass/389" */
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/* A role a host holds.  Strings belong to the catalog. */
struct role_match {
	int		 role;		/* catalog role row */
	int64_t		 since;		/* when its needs were first all met */
	int64_t		 last_seen;	/* its latest evidence */
	struct role_item ev[ROLES_MAX_EVIDENCE];	/* items that count */
	size_t		 nev;
};

/**
 * Where the evaluation reads what a host served: the first and last
 * time it served item `item` of need row `need` (UTC seconds).
 * @return: false when it never did.
 */
typedef bool (*role_seen_fn)(void *arg, int need, size_t item,
    int64_t *first, int64_t *last);

/** Is this served row evidence for the item (pipe names fold case)? */
bool	roles_evidence_match(const struct catalog_evidence *ev,
	    const struct role_served *s);

/**
 * Does the host hold role `role`?  Items count when seen and, if the
 * role has a window, last seen within it of the role's latest item.
 * @return: true with m filled, or false.
 */
bool	roles_eval(const struct catalog *cat, int role, role_seen_fn seen,
	    void *arg, struct role_match *m);

/**
 * Every role a host holds, from its served rows (readers).
 * @param out: room for max matches, in catalog role order.
 * @return: how many roles held (at most max).
 */
size_t	roles_of_served(const struct catalog *cat,
	    const struct role_served *s, size_t n, struct role_match *out,
	    size_t max);

/*
 * The daemon's table: (host, evidence item) -> first/last seen, an
 * open-addressing table of a fixed capacity allocated once; a full table
 * counts what it could not keep.  Items are keyed by their text, so the
 * table survives a catalog reload.  One thread (the classifier).
 */
struct role_track;

/** @return: the table, or NULL when out of memory. */
struct role_track *role_track_create(uint32_t capacity);
void	role_track_destroy(struct role_track *t);

/**
 * Note a served row of host: each catalog item it is evidence of gets
 * its first/last seen, and the host is evaluated at the next
 * role_track_eval().  Cost: one match per catalog item, no allocation.
 */
void	role_track_served(struct role_track *t, const struct catalog *cat,
	    const struct addr *host, const struct role_served *s);

typedef void (*role_held_fn)(void *arg, const struct addr *host,
    const struct role_match *m);

/**
 * Evaluate every host noted since the last call and hand fn each role
 * it holds.  A scan of the table: call it once per flush, not per flow.
 */
void	role_track_eval(struct role_track *t, const struct catalog *cat,
	    role_held_fn fn, void *arg);

/** (host, item) pairs not kept because the table was full. */
uint64_t role_track_overflows(const struct role_track *t);

#endif /* SVCMAP_ROLES_H */
