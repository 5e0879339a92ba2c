/*
 * catalog_index.c - catalog_finish(), catalog_open() and the lookups.
 *
 * The checks that need every file (references, duplicates across files,
 * one listener per exact range) run once in catalog_finish(), which then
 * builds the indexes the per-flow lookups read without locking.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/log.h"
#include "svcmap/transport.h"
#include "catalog_int.h"

/*
 * catalog_finish() and its checks.
 */
static int
cmp_iface(const void *a, const void *b, void *arg)
{
	const struct catalog *cat = arg;
	const struct catalog_iface *x = &cat->iface[*(const int *)a].i;
	const struct catalog_iface *y = &cat->iface[*(const int *)b].i;
	int c;

	if ((c = memcmp(x->uuid, y->uuid, 16)) != 0)
		return c;
	if (x->ver_major != y->ver_major)
		return x->ver_major < y->ver_major ? -1 : 1;
	if (x->ver_minor != y->ver_minor)
		return x->ver_minor < y->ver_minor ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int
cmp_dcom(const void *a, const void *b, void *arg)
{
	const struct catalog *cat = arg;
	int c;

	c = memcmp(cat->dcom[*(const int *)a].d.clsid,
	    cat->dcom[*(const int *)b].d.clsid, 16);
	return c != 0 ? c : *(const int *)a - *(const int *)b;
}

/* Listener rows by exact (transport, range), then file order. */
static int
cmp_listener_exact(const void *a, const void *b, void *arg)
{
	const struct catalog *cat = arg;
	const struct catalog_port *x = &cat->port[*(const int *)a].p;
	const struct catalog_port *y = &cat->port[*(const int *)b].p;

	if (x->transport != y->transport)
		return x->transport < y->transport ? -1 : 1;
	if (x->port_low != y->port_low)
		return x->port_low < y->port_low ? -1 : 1;
	if (x->port_high != y->port_high)
		return x->port_high < y->port_high ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

/*
 * Painting order for the listener index: widest first, so that narrower
 * rows (and single ports, the narrowest) overwrite them; among equal
 * widths the earlier row is painted last and wins.
 */
static int
cmp_listener_paint(const void *a, const void *b, void *arg)
{
	const struct catalog *cat = arg;
	const struct catalog_port *x = &cat->port[*(const int *)a].p;
	const struct catalog_port *y = &cat->port[*(const int *)b].p;
	int wx = x->port_high - x->port_low, wy = y->port_high - y->port_low;

	if (wx != wy)
		return wx > wy ? -1 : 1;
	return *(const int *)b - *(const int *)a;
}

static int
resolve_service(struct catalog *cat, struct errs *e, const char *key,
    const struct origin *at)
{
	const int *idx = catalog_strmap_get(&cat->svc_by_key, key);

	if (idx == NULL) {
		catalog_errs_add(e, at, "undefined service \"%s\"", key);
		return -1;
	}
	return *idx;
}

static void
resolve_refs(struct catalog *cat, struct errs *e)
{
	const int *idx;
	size_t i;

	for (i = 0; i < cat->nport; i++) {
		struct port_rec *r = &cat->port[i];

		r->p.service = resolve_service(cat, e, r->svc_key, &r->at);
		if (r->app_key == NULL)
			continue;
		idx = catalog_strmap_get(&cat->app_by_key, r->app_key);
		if (idx == NULL)
			catalog_errs_add(e, &r->at, "undefined app \"%s\"",
			    r->app_key);
		else
			r->p.app = *idx;
	}
	for (i = 0; i < cat->niface; i++)
		cat->iface[i].i.service = resolve_service(cat, e,
		    cat->iface[i].svc_key, &cat->iface[i].at);
	for (i = 0; i < cat->ndcom; i++)
		cat->dcom[i].d.service = resolve_service(cat, e,
		    cat->dcom[i].svc_key, &cat->dcom[i].at);
	for (i = 0; i < cat->npipe; i++)
		cat->pipe[i].p.service = resolve_service(cat, e,
		    cat->pipe[i].svc_key, &cat->pipe[i].at);
}

/*
 * Each need's role and items: services by key, interfaces by name (any
 * row of that name: the versions of one interface), pipes by name.  A
 * role without a need could never hold, so it is an error too.
 */
static int
resolve_roles(struct catalog *cat, struct errs *e)
{
	struct catalog_evidence *ev;
	struct need_rec *r;
	const int *idx;
	bool *needed;
	size_t i, j, k;

	if ((needed = calloc(cat->nrole + 1, sizeof(*needed))) == NULL)
		return -1;
	for (i = 0; i < cat->nneed; i++) {
		r = &cat->need[i];
		if ((idx = catalog_strmap_get(&cat->role_by_key,
		    r->role_key)) == NULL)
			catalog_errs_add(e, &r->at, "undefined role \"%s\"",
			    r->role_key);
		else {
			r->n.role = *idx;
			needed[*idx] = true;
		}
		for (j = 0; j < r->n.nitems; j++) {
			ev = &r->items[j];
			switch (ev->kind) {
			case EVIDENCE_SERVICE:
			case EVIDENCE_PORT:
				ev->service = resolve_service(cat, e, ev->name,
				    &r->at);
				break;
			case EVIDENCE_RPC:
				for (k = 0; k < cat->niface; k++)
					if (strcmp(cat->iface[k].i.name,
					    ev->name) == 0)
						break;
				if (k == cat->niface)
					catalog_errs_add(e, &r->at, "undefined "
					    "RPC interface \"%s\"", ev->name);
				break;
			case EVIDENCE_PIPE:
				if (catalog_strmap_get(&cat->pipe_by_name,
				    ev->name) == NULL)
					catalog_errs_add(e, &r->at, "undefined "
					    "pipe \"%s\"", ev->name);
				break;
			}
		}
	}
	for (i = 0; i < cat->nrole; i++)
		if (!needed[i])
			catalog_errs_add(e, &cat->role[i].at, "role \"%s\" "
			    "has no need record", cat->role[i].r.key);
	free(needed);
	return 0;
}

static int *
index_array(size_t n)
{
	int *v;
	size_t i;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = (int)i;
	return v;
}

static int
check_duplicates(struct catalog *cat, struct errs *e)
{
	const struct iface_rec *ia, *ib;
	const struct dcom_rec *da, *db;
	char ubuf[UUID_STRLEN];
	size_t i;

	if ((cat->iface_sorted = index_array(cat->niface)) == NULL ||
	    (cat->dcom_sorted = index_array(cat->ndcom)) == NULL)
		return -1;
	qsort_r(cat->iface_sorted, cat->niface, sizeof(int), cmp_iface, cat);
	for (i = 1; i < cat->niface; i++) {
		ia = &cat->iface[cat->iface_sorted[i - 1]];
		ib = &cat->iface[cat->iface_sorted[i]];
		if (memcmp(ia->i.uuid, ib->i.uuid, 16) == 0 &&
		    ia->i.ver_major == ib->i.ver_major &&
		    ia->i.ver_minor == ib->i.ver_minor)
			catalog_errs_add(e, &ib->at, "duplicate interface %s "
			    "version %u.%u (first at %s:%u)",
			    uuid_fmt(ib->i.uuid, ubuf), ib->i.ver_major,
			    ib->i.ver_minor, ia->at.file, ia->at.line);
	}
	qsort_r(cat->dcom_sorted, cat->ndcom, sizeof(int), cmp_dcom, cat);
	for (i = 1; i < cat->ndcom; i++) {
		da = &cat->dcom[cat->dcom_sorted[i - 1]];
		db = &cat->dcom[cat->dcom_sorted[i]];
		if (memcmp(da->d.clsid, db->d.clsid, 16) == 0)
			catalog_errs_add(e, &db->at, "duplicate clsid %s "
			    "(first at %s:%u)", uuid_fmt(db->d.clsid, ubuf),
			    da->at.file, da->at.line);
	}
	return 0;
}

/* The interface row of exactly (uuid, major, minor), or -1. */
static int
iface_exact(const struct catalog *cat, const uint8_t uuid[16], uint16_t major,
    uint16_t minor)
{
	const struct catalog_iface *r;
	size_t lo = 0, hi = cat->niface, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = &cat->iface[cat->iface_sorted[mid]].i;
		if ((c = memcmp(r->uuid, uuid, 16)) == 0)
			c = r->ver_major != major ? (r->ver_major < major ?
			    -1 : 1) : r->ver_minor != minor ?
			    (r->ver_minor < minor ? -1 : 1) : 0;
		if (c == 0)
			return cat->iface_sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Operation rows by interface row, opnum, then load order. */
static int
cmp_op(const void *a, const void *b, void *arg)
{
	const struct catalog *cat = arg;
	const struct catalog_op *x = &cat->op[*(const int *)a].o;
	const struct catalog_op *y = &cat->op[*(const int *)b].o;

	if (x->iface != y->iface)
		return x->iface < y->iface ? -1 : 1;
	if (x->opnum != y->opnum)
		return x->opnum < y->opnum ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

/*
 * Resolve each operation's interface, reject a second row for an
 * (interface, opnum) and a second opnum for a name within an interface
 * (an IDL cannot declare a method twice; a repeated name is a typo),
 * then sort the rows and index them per interface row.  Needs
 * iface_sorted.  Returns -1 only when memory ran out.
 */
static int
index_ops(struct catalog *cat, struct errs *e)
{
	const struct op_rec *a, *b;
	struct op_rec *sorted;
	char ubuf[UUID_STRLEN];
	int *order;
	size_t i, j, start;
	bool bad = false;

	for (i = 0; i < cat->nop; i++) {
		struct op_rec *r = &cat->op[i];

		r->o.iface = iface_exact(cat, r->uuid, r->ver_major,
		    r->ver_minor);
		if (r->o.iface == -1) {
			catalog_errs_add(e, &r->at, "undefined interface %s "
			    "version %u.%u (no rpc record)",
			    uuid_fmt(r->uuid, ubuf), r->ver_major,
			    r->ver_minor);
			bad = true;
		}
	}
	if (bad)
		return 0;
	if ((order = index_array(cat->nop)) == NULL)
		return -1;
	qsort_r(order, cat->nop, sizeof(int), cmp_op, cat);
	for (start = 0; start < cat->nop; start = i) {
		a = &cat->op[order[start]];
		for (i = start + 1; i < cat->nop &&
		    cat->op[order[i]].o.iface == a->o.iface; i++)
			;
		/* One interface's rows: order[start..i), by opnum. */
		for (j = start + 1; j < i; j++) {
			a = &cat->op[order[j - 1]];
			b = &cat->op[order[j]];
			if (a->o.opnum == b->o.opnum)
				catalog_errs_add(e, &b->at, "duplicate "
				    "operation: opnum %u of %s version %u.%u "
				    "(first at %s:%u)", b->o.opnum,
				    uuid_fmt(b->uuid, ubuf), b->ver_major,
				    b->ver_minor, a->at.file, a->at.line);
		}
		/* Names are interned: equal names are equal pointers. */
		for (j = start; j < i; j++) {
			size_t k;

			b = &cat->op[order[j]];
			for (k = start; k < j; k++) {
				a = &cat->op[order[k]];
				if (a->o.name == b->o.name &&
				    a->o.opnum != b->o.opnum) {
					catalog_errs_add(e, &b->at, "operation "
					    "\"%s\" is already opnum %u of "
					    "this interface (%s:%u)", b->o.name,
					    a->o.opnum, a->at.file, a->at.line);
					break;
				}
			}
		}
	}
	if ((sorted = calloc(cat->nop ? cat->nop : 1, sizeof(*sorted))) ==
	    NULL ||
	    (cat->iface_op_first = calloc(cat->niface ? cat->niface : 1,
	    sizeof(*cat->iface_op_first))) == NULL ||
	    (cat->iface_nops = calloc(cat->niface ? cat->niface : 1,
	    sizeof(*cat->iface_nops))) == NULL) {
		free(sorted);
		free(order);
		return -1;
	}
	for (i = 0; i < cat->nop; i++)
		sorted[i] = cat->op[order[i]];
	free(order);
	free(cat->op);
	cat->op = sorted;
	cat->op_cap = cat->nop;
	for (i = 0; i < cat->niface; i++)
		cat->iface_op_first[i] = -1;
	for (i = 0; i < cat->nop; i++) {
		int f = cat->op[i].o.iface;

		if (cat->iface_nops[f]++ == 0)
			cat->iface_op_first[f] = (int32_t)i;
	}
	return 0;
}

static void
ports_fmt(const struct catalog_port *p, char *buf, size_t len)
{
	const char *t = transport_name(p->transport);

	if (!catalog_transport_has_ports(p->transport))
		snprintf(buf, len, "%s", t);
	else if (p->port_low == p->port_high)
		snprintf(buf, len, "%u/%s", p->port_low, t);
	else
		snprintf(buf, len, "%u-%u/%s", p->port_low, p->port_high, t);
}

/*
 * Only one process can bind a port, so two listener rows for the same
 * exact range contradict each other.  Overlapping ranges are allowed: the
 * narrower one is the more specific documentation.
 */
static void
check_listeners(struct catalog *cat, struct errs *e, int *lrows, size_t nl)
{
	char pbuf[32];
	size_t i;

	qsort_r(lrows, nl, sizeof(int), cmp_listener_exact, cat);
	for (i = 1; i < nl; i++) {
		const struct port_rec *a = &cat->port[lrows[i - 1]];
		const struct port_rec *b = &cat->port[lrows[i]];

		if (a->p.transport != b->p.transport ||
		    a->p.port_low != b->p.port_low ||
		    a->p.port_high != b->p.port_high)
			continue;
		ports_fmt(&b->p, pbuf, sizeof(pbuf));
		catalog_errs_add(e, &b->at, "%s has two listeners: \"%s\" "
		    "here and \"%s\" at %s:%u (make one of them dependent)",
		    pbuf, b->svc_key, a->svc_key, a->at.file, a->at.line);
	}
}

static int
build_listener_index(struct catalog *cat, int *lrows, size_t nl)
{
	size_t i;
	unsigned p;

	cat->listen_tcp = malloc(CAT_NPORTS * sizeof(*cat->listen_tcp));
	cat->listen_udp = malloc(CAT_NPORTS * sizeof(*cat->listen_udp));
	if (cat->listen_tcp == NULL || cat->listen_udp == NULL)
		return -1;
	for (p = 0; p < CAT_NPORTS; p++)
		cat->listen_tcp[p] = cat->listen_udp[p] = -1;
	qsort_r(lrows, nl, sizeof(int), cmp_listener_paint, cat);
	for (i = 0; i < nl; i++) {
		const struct catalog_port *r = &cat->port[lrows[i]].p;
		int32_t *idx;

		if (r->transport == TRANSPORT_TCP)
			idx = cat->listen_tcp;
		else if (r->transport == TRANSPORT_UDP)
			idx = cat->listen_udp;
		else {
			cat->listen_noport[r->transport] = lrows[i];
			continue;
		}
		for (p = r->port_low; p <= r->port_high; p++)
			idx[p] = lrows[i];
	}
	return 0;
}

/* The listener row of exactly (transport, low, high), or -1. */
static int
exact_listener(const struct catalog *cat, const int *exact, size_t nl,
    const struct catalog_port *want)
{
	const struct catalog_port *p;
	size_t lo = 0, hi = nl, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		p = &cat->port[exact[mid]].p;
		if (p->transport < want->transport ||
		    (p->transport == want->transport &&
		    (p->port_low < want->port_low ||
		    (p->port_low == want->port_low &&
		    p->port_high < want->port_high))))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == nl)
		return -1;
	p = &cat->port[exact[lo]].p;
	return p->transport == want->transport &&
	    p->port_low == want->port_low &&
	    p->port_high == want->port_high ? exact[lo] : -1;
}

/*
 * A row is on dynamic RPC ports when it belongs to rpc-dynamic, or when
 * the listener of its own exact range does: the editions document
 * "RPC dynamic ports" as a dependent row of each service on the range
 * rpc-dynamic listens on.  A row without a listener of its own range
 * takes the listener at its first port.  exact: the listener rows sorted
 * by (transport, port_low, port_high).
 */
static int
mark_dynamic(struct catalog *cat, const int *exact, size_t nl)
{
	const struct catalog_port *p;
	size_t i;
	int l;

	if ((cat->port_dynamic = calloc(cat->nport ? cat->nport : 1,
	    sizeof(*cat->port_dynamic))) == NULL)
		return -1;
	if (cat->rpc_dynamic < 0)
		return 0;
	for (i = 0; i < cat->nport; i++) {
		p = &cat->port[i].p;
		if ((l = exact_listener(cat, exact, nl, p)) == -1)
			l = catalog_listener(cat, p->transport, p->port_low);
		cat->port_dynamic[i] = p->service == cat->rpc_dynamic ||
		    (l >= 0 && cat->port[l].p.service == cat->rpc_dynamic);
	}
	return 0;
}

int
catalog_finish(struct catalog *cat, char *err, size_t errlen)
{
	struct errs errs = { err, errlen, 0 };
	struct origin here = { "catalog", 0 };
	const int *idx;
	int *lrows = NULL, *paint = NULL;
	size_t i, nl = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (cat->finished) {
		catalog_errs_add(&errs, &here, "catalog already finished");
		return -1;
	}
	resolve_refs(cat, &errs);
	if (resolve_roles(cat, &errs) == -1 ||
	    check_duplicates(cat, &errs) == -1 || index_ops(cat, &errs) == -1)
		goto nomem;
	if ((lrows = calloc(cat->nport ? cat->nport : 1, sizeof(int))) == NULL)
		goto nomem;
	for (i = 0; i < cat->nport; i++)
		if (cat->port[i].p.role == ROLE_LISTENER)
			lrows[nl++] = (int)i;
	check_listeners(cat, &errs, lrows, nl);
	if (errs.n > 0) {
		free(lrows);
		return -1;
	}
	/* Painting reorders the rows; mark_dynamic() needs them exact-sorted. */
	if ((paint = calloc(nl ? nl : 1, sizeof(int))) == NULL)
		goto nomem;
	memcpy(paint, lrows, nl * sizeof(int));
	if (build_listener_index(cat, paint, nl) == -1)
		goto nomem;
	cat->finished = true;
	if ((idx = catalog_strmap_get(&cat->svc_by_key, "rpc-dynamic")) != NULL)
		cat->rpc_dynamic = *idx;
	if (mark_dynamic(cat, lrows, nl) == -1) {
		cat->finished = false;
		goto nomem;
	}
	free(paint);
	free(lrows);
	return 0;

nomem:
	free(paint);
	free(lrows);
	catalog_errs_add(&errs, &here, "out of memory");
	return -1;
}

struct catalog *
catalog_open(const char *data_dir, const char *local_path, char *err,
    size_t errlen)
{
	static const char *const shipped[] = {
		"services.catalog", "rpc-interfaces.catalog",
		"rpc-operations.catalog", "roles.catalog"
	};
	char path[4096], scratch[512];
	struct catalog *cat;
	struct stat st;
	bool failed = false;
	size_t i;

	if ((cat = catalog_create()) == NULL) {
		snprintf(err, errlen, "catalog: out of memory");
		log_warnx("%s", err);
		return NULL;
	}
	/* Load every file even after an error: one run reports them all. */
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir,
		    shipped[i]) >= sizeof(path)) {
			snprintf(err, errlen, "%s: data directory name too "
			    "long", data_dir);
			log_warnx("%s", err);
			goto fail;
		}
		if (catalog_load_file(cat, path, false,
		    failed ? scratch : err, failed ? sizeof(scratch) : errlen)
		    == -1)
			failed = true;
	}
	if (local_path != NULL && local_path[0] != '\0' &&
	    !(stat(local_path, &st) == -1 && errno == ENOENT) &&
	    catalog_load_file(cat, local_path, true,
	    failed ? scratch : err, failed ? sizeof(scratch) : errlen) == -1)
		failed = true;
	if (failed || catalog_finish(cat, err, errlen) == -1)
		goto fail;
	return cat;

fail:
	catalog_destroy(cat);
	return NULL;
}

/*
 * Read-only accessors and lookups: safe from any thread once finished.
 */
size_t
catalog_nservices(const struct catalog *cat)
{
	return cat->nsvc;
}

size_t
catalog_nports(const struct catalog *cat)
{
	return cat->nport;
}

size_t
catalog_napps(const struct catalog *cat)
{
	return cat->napp;
}

size_t
catalog_nifaces(const struct catalog *cat)
{
	return cat->niface;
}

size_t
catalog_ndcom(const struct catalog *cat)
{
	return cat->ndcom;
}

const struct catalog_service *
catalog_service(const struct catalog *cat, int i)
{
	return i >= 0 && (size_t)i < cat->nsvc ? &cat->svc[i].s : NULL;
}

const struct catalog_port *
catalog_port(const struct catalog *cat, int i)
{
	return i >= 0 && (size_t)i < cat->nport ? &cat->port[i].p : NULL;
}

const struct catalog_app *
catalog_app(const struct catalog *cat, int i)
{
	return i >= 0 && (size_t)i < cat->napp ? &cat->app[i].a : NULL;
}

const struct catalog_iface *
catalog_iface(const struct catalog *cat, int i)
{
	return i >= 0 && (size_t)i < cat->niface ? &cat->iface[i].i : NULL;
}

const struct catalog_dcom *
catalog_dcom(const struct catalog *cat, int i)
{
	return i >= 0 && (size_t)i < cat->ndcom ? &cat->dcom[i].d : NULL;
}

size_t
catalog_nroles(const struct catalog *cat)
{
	return cat->nrole;
}

size_t
catalog_nneeds(const struct catalog *cat)
{
	return cat->nneed;
}

const struct catalog_host_role *
catalog_role(const struct catalog *cat, int i)
{
	return &cat->role[i].r;
}

const struct catalog_need *
catalog_need(const struct catalog *cat, int i)
{
	return &cat->need[i].n;
}

int
catalog_role_find(const struct catalog *cat, const char *key)
{
	const int *idx = catalog_strmap_get(&cat->role_by_key, key);

	return idx != NULL ? *idx : -1;
}

size_t
catalog_npipes(const struct catalog *cat)
{
	return cat->npipe;
}

const struct catalog_pipe *
catalog_pipe(const struct catalog *cat, int i)
{
	return i >= 0 && (size_t)i < cat->npipe ? &cat->pipe[i].p : NULL;
}

size_t
catalog_nops(const struct catalog *cat)
{
	return cat->nop;
}

const struct catalog_op *
catalog_op(const struct catalog *cat, int i)
{
	return i >= 0 && (size_t)i < cat->nop ? &cat->op[i].o : NULL;
}

size_t
catalog_iface_ops(const struct catalog *cat, int iface, int *first)
{
	*first = -1;
	if (!cat->finished || iface < 0 || (size_t)iface >= cat->niface)
		return 0;
	*first = cat->iface_op_first[iface];
	return cat->iface_nops[iface];
}

/*
 * Called per RPC request PDU.  The shipped tables name every opnum from
 * the first to the last (reserved slots included), so the row is at
 * first + (opnum - first opnum); a table with gaps falls back to a
 * binary search of the interface's rows.
 */
int
catalog_op_find(const struct catalog *cat, int iface, uint16_t opnum)
{
	const struct op_rec *ops;
	size_t n, lo, hi, mid;
	uint16_t base;

	if (!cat->finished || iface < 0 || (size_t)iface >= cat->niface ||
	    (n = cat->iface_nops[iface]) == 0)
		return -1;
	ops = &cat->op[cat->iface_op_first[iface]];
	base = ops[0].o.opnum;
	if (opnum < base)
		return -1;
	if ((size_t)(opnum - base) < n && ops[opnum - base].o.opnum == opnum)
		return cat->iface_op_first[iface] + (opnum - base);
	lo = 0;
	hi = n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ops[mid].o.opnum < opnum)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && ops[lo].o.opnum == opnum)
		return cat->iface_op_first[iface] + (int)lo;
	return -1;
}

int
catalog_op_find_name(const struct catalog *cat, int iface, const char *name)
{
	size_t i, n;
	int first;

	n = catalog_iface_ops(cat, iface, &first);
	for (i = 0; i < n; i++)
		if (strcmp(cat->op[first + (int)i].o.name, name) == 0)
			return first + (int)i;
	return -1;
}

int
catalog_pipe_find(const struct catalog *cat, const char *name)
{
	char key[CATALOG_PIPE_NAMELEN];
	const int *idx;
	size_t n;

	/* SMB1 and SMB2 clients spell the same pipe several ways. */
	if (strncasecmp(name, "\\pipe\\", 6) == 0)
		name += 6;
	else if (name[0] == '\\')
		name++;
	for (n = 0; name[n] != '\0'; n++) {
		if (n + 1 >= sizeof(key))
			return -1;
		key[n] = (char)tolower((unsigned char)name[n]);
	}
	key[n] = '\0';
	idx = catalog_strmap_get(&cat->pipe_by_name, key);
	return idx != NULL ? *idx : -1;
}

int
catalog_service_find(const struct catalog *cat, const char *key)
{
	const int *idx = catalog_strmap_get(&cat->svc_by_key, key);

	return idx != NULL ? *idx : -1;
}

int
catalog_listener(const struct catalog *cat, uint8_t transport, uint16_t port)
{
	if (!cat->finished)
		return -1;
	if (transport == TRANSPORT_TCP)
		return cat->listen_tcp[port];
	if (transport == TRANSPORT_UDP)
		return cat->listen_udp[port];
	return cat->listen_noport[transport];
}

bool
catalog_port_is_dynamic_rpc(const struct catalog *cat, int port_row)
{
	return cat->finished && catalog_port(cat, port_row) != NULL &&
	    cat->port_dynamic[port_row];
}

/* First position in a sorted index whose 16-byte id is >= id. */
static size_t
lower_bound(const int *sorted, size_t n, const uint8_t id[16],
    const uint8_t *(*id_of)(const struct catalog *, int),
    const struct catalog *cat)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(id_of(cat, sorted[mid]), id, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const uint8_t *
iface_uuid(const struct catalog *cat, int i)
{
	return cat->iface[i].i.uuid;
}

static const uint8_t *
dcom_clsid(const struct catalog *cat, int i)
{
	return cat->dcom[i].d.clsid;
}

/*
 * Rows of one UUID are sorted by version, so a later row is newer: the
 * exact major's highest minor wins (a server of minor m accepts clients
 * up to m), otherwise the closest major, the newer one on a tie.
 */
int
catalog_iface_find(const struct catalog *cat, const uint8_t uuid[16],
    uint16_t ver_major)
{
	const struct catalog_iface *r;
	size_t i;
	int best = -1;
	long dist, best_dist = 0;

	if (!cat->finished)
		return -1;
	for (i = lower_bound(cat->iface_sorted, cat->niface, uuid, iface_uuid,
	    cat); i < cat->niface; i++) {
		r = &cat->iface[cat->iface_sorted[i]].i;
		if (memcmp(r->uuid, uuid, 16) != 0)
			break;
		dist = labs((long)r->ver_major - (long)ver_major);
		if (best == -1 || dist <= best_dist) {
			best = cat->iface_sorted[i];
			best_dist = dist;
		}
	}
	return best;
}

int
catalog_dcom_find(const struct catalog *cat, const uint8_t clsid[16])
{
	size_t i;

	if (!cat->finished)
		return -1;
	i = lower_bound(cat->dcom_sorted, cat->ndcom, clsid, dcom_clsid, cat);
	if (i < cat->ndcom &&
	    memcmp(cat->dcom[cat->dcom_sorted[i]].d.clsid, clsid, 16) == 0)
		return cat->dcom_sorted[i];
	return -1;
}

bool
catalog_app_accepts(const struct catalog *cat, int app, const char *ndpi_name)
{
	const struct catalog_app *a = catalog_app(cat, app);
	const char *const *n;

	if (a == NULL || a->ndpi_names[0] == NULL)
		return true;
	if (ndpi_name == NULL)
		return false;
	for (n = a->ndpi_names; *n != NULL; n++)
		if (strcasecmp(*n, ndpi_name) == 0)
			return true;
	return false;
}
