/*
 * opwatch.c - resolve the sensitive_operation watch list against the
 * catalog (opwatch.h).
 *
 * Built once per (config, catalog) pair, on the thread that loads them;
 * the per-request lookup is an array index by operation row, then, for
 * opnums the catalog does not name, a short scan of the lines that named
 * them by number, then the interface's "*".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcmap/catalog.h"
#include "svcmap/config.h"
#include "svcmap/opwatch.h"

/* An opnum named by number that the catalog has no row for. */
struct opwatch_extra {
	int		 iface;
	uint16_t	 opnum;
	uint8_t		 flags;
};

struct opwatch {
	uint8_t			*op;	/* per operation row */
	uint8_t			*all;	/* per interface row: its "*" */
	uint8_t			*dc;	/* per interface row: serving = DC */
	struct opwatch_extra	*extra;
	size_t			 nextra;
	size_t			 nops;
	size_t			 nifaces;
};

#define QUALIFIERS (CATALOG_OP_NOT_DC | CATALOG_OP_STORM)

void
opwatch_free(struct opwatch *w)
{
	if (w == NULL)
		return;
	free(w->op);
	free(w->all);
	free(w->dc);
	free(w->extra);
	free(w);
}

/* Set one line's watch on one interface row; -1: the operation is unknown. */
static int
watch_set(struct opwatch *w, const struct catalog *cat, int iface,
    const struct config_watch *cw)
{
	uint8_t flags = OPWATCH_ON | (cw->flags & QUALIFIERS);
	unsigned long opnum;
	char *end;
	int op;

	if (strcmp(cw->op, "*") == 0) {
		w->all[iface] = flags;
		return 0;
	}
	if (cw->op[0] >= '0' && cw->op[0] <= '9') {
		opnum = strtoul(cw->op, &end, 10);
		if (*end != '\0' || opnum > UINT16_MAX)
			return -1;
		if ((op = catalog_op_find(cat, iface, (uint16_t)opnum)) >= 0) {
			w->op[op] = flags;
			return 0;
		}
		/* Room for each (line, interface row): opwatch_build(). */
		w->extra[w->nextra].iface = iface;
		w->extra[w->nextra].opnum = (uint16_t)opnum;
		w->extra[w->nextra].flags = flags;
		w->nextra++;
		return 0;
	}
	if ((op = catalog_op_find_name(cat, iface, cw->op)) < 0)
		return -1;
	w->op[op] = flags;
	return 0;
}

/* "FILE:LINE: " in front of a line's error, as config.c writes them. */
static const char *
where(const char *file, unsigned line, char *buf, size_t len)
{
	if (file != NULL && line != 0)
		snprintf(buf, len, "%s:%u: ", file, line);
	else if (file != NULL)
		snprintf(buf, len, "%s: ", file);
	else
		buf[0] = '\0';
	return buf;
}

struct opwatch *
opwatch_build(const struct config *cfg, const struct catalog *cat,
    const char *file, char *err, size_t errlen)
{
	char at[300];
	const struct catalog_op *o;
	const struct catalog_iface *ci;
	struct opwatch *w;
	size_t i, j;
	int named, known;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto oom;
	w->nops = catalog_nops(cat);
	w->nifaces = catalog_nifaces(cat);
	if ((w->op = calloc(w->nops + 1, 1)) == NULL ||
	    (w->all = calloc(w->nifaces + 1, 1)) == NULL ||
	    (w->dc = calloc(w->nifaces + 1, 1)) == NULL ||
	    (w->extra = calloc(cfg->nwatch * w->nifaces + 1,
	    sizeof(*w->extra))) == NULL)
		goto oom;
	for (i = 0; i < w->nifaces; i++)
		w->dc[i] = strcmp(catalog_iface(cat, (int)i)->name,
		    "drsuapi") == 0;
	if (cfg->watch_defaults)
		for (i = 0; i < w->nops; i++) {
			o = catalog_op(cat, (int)i);
			if (o->flags & CATALOG_OP_SENSITIVE)
				w->op[i] = OPWATCH_ON | (o->flags & QUALIFIERS);
		}
	/*
	 * A line names every interface row of that name (versions), and
	 * must find the operation in at least one of them.
	 */
	for (j = 0; j < cfg->nwatch; j++) {
		named = known = 0;
		for (i = 0; i < w->nifaces; i++) {
			ci = catalog_iface(cat, (int)i);
			if (strcasecmp(ci->name, cfg->watch[j].iface) != 0)
				continue;
			named++;
			if (watch_set(w, cat, (int)i, &cfg->watch[j]) == 0)
				known++;
		}
		if (named == 0) {
			snprintf(err, errlen, "%salert-operation %s %s: the "
			    "catalog has no RPC interface named \"%s\" "
			    "(svcmapctl catalog --interfaces lists them)",
			    where(file, cfg->watch_line[j], at, sizeof(at)),
			    cfg->watch[j].iface, cfg->watch[j].op,
			    cfg->watch[j].iface);
			opwatch_free(w);
			return NULL;
		}
		if (known == 0) {
			snprintf(err, errlen, "%salert-operation %s %s: the "
			    "catalog names no operation \"%s\" of %s (method "
			    "names are spelled as the specification's IDL; "
			    "an opnum or * also work)", where(file,
			    cfg->watch_line[j], at, sizeof(at)),
			    cfg->watch[j].iface, cfg->watch[j].op,
			    cfg->watch[j].op, cfg->watch[j].iface);
			opwatch_free(w);
			return NULL;
		}
	}
	return w;
oom:
	snprintf(err, errlen, "alert-operation: out of memory");
	opwatch_free(w);
	return NULL;
}

uint8_t
opwatch_lookup(const struct opwatch *w, int iface, int op, uint16_t opnum)
{
	size_t i;

	if (w == NULL || iface < 0 || (size_t)iface >= w->nifaces)
		return 0;
	if (op >= 0 && (size_t)op < w->nops && w->op[op] != 0)
		return w->op[op];
	for (i = 0; i < w->nextra; i++)
		if (w->extra[i].iface == iface && w->extra[i].opnum == opnum)
			return w->extra[i].flags;
	return w->all[iface];
}

int
opwatch_dc_iface(const struct opwatch *w, int iface)
{
	return w != NULL && iface >= 0 && (size_t)iface < w->nifaces &&
	    w->dc[iface];
}

size_t
opwatch_count(const struct opwatch *w)
{
	size_t i, n = w->nextra;

	for (i = 0; i < w->nops; i++)
		n += w->op[i] != 0;
	return n;
}
