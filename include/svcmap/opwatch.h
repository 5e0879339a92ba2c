/*
 * opwatch.h - the watch list of the sensitive_operation alert, resolved
 * against a catalog.
 *
 * Built from the catalog's "sensitive" operations (unless
 * alert-operation-defaults is no) and the config's alert-operation lines,
 * which override the default of the operations they name.  The result
 * answers, per RPC request, in one or two array loads: is this (interface
 * row, operation row or opnum) watched, and with which qualifiers
 * (CATALOG_OP_NOT_DC, CATALOG_OP_STORM).  Read-only once built; it
 * refers to the catalog's rows, so it is rebuilt with the catalog.
 */
#ifndef SVCMAP_OPWATCH_H
#define SVCMAP_OPWATCH_H

#include <stddef.h>
#include <stdint.h>

struct catalog;
struct config;
struct opwatch;

/* opwatch_lookup() flags beyond the CATALOG_OP_NOT_DC/_STORM qualifiers. */
#define OPWATCH_ON	0x80	/* watched */

/**
 * Resolve cfg's watch list against cat.  Every alert-operation line must
 * name a catalog interface (by its name, any case) and one of its
 * operations (method name as the catalog spells it, any opnum, or "*").
 * @param file: the config file, to name in err; NULL: none.
 * @return: the watch list (owned by the caller: opwatch_free()), or NULL
 *   with err set ("FILE:LINE: alert-operation svcctl RCreateService: ...").
 */
struct opwatch *opwatch_build(const struct config *cfg,
	    const struct catalog *cat, const char *file, char *err,
	    size_t errlen);
void	opwatch_free(struct opwatch *w);

/**
 * The watch of one request: 0 (not watched), or OPWATCH_ON with its
 * qualifiers.  iface: a catalog interface row (>= 0); op: its operation
 * row for opnum, or -1.  No allocation, no string compare.
 */
uint8_t	opwatch_lookup(const struct opwatch *w, int iface, int op,
	    uint16_t opnum);

/**
 * Does serving this interface make a host a domain controller (drsuapi:
 * only DCs answer directory replication)?
 */
int	opwatch_dc_iface(const struct opwatch *w, int iface);

/** Operations watched (catalog rows, plus opnums the catalog does not name). */
size_t	opwatch_count(const struct opwatch *w);

#endif /* SVCMAP_OPWATCH_H */
