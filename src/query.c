/*
 * query.c - read the store for people (svcmapctl) and programs (API).
 *
 * Each query goes to the reader's back end (query.h struct reader_ops),
 * which returns stored values; names come from the catalog here, at
 * query time: the store holds keys and UUIDs only, so a catalog update
 * renames history too, and every back end names alike.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/addr.h"
#include "svcmap/alert.h"
#include "svcmap/catalog.h"
#include "svcmap/json.h"
#include "svcmap/names.h"
#include "svcmap/query.h"
#include "svcmap/roles.h"
#include "svcmap/transport.h"

static const char *const flow_class_words[FLOW_CLASSES] = {
	"classified", "undocumented", "unmonitored", "outbound"
};

static void
json_kv_time(struct json *j, const char *key, int64_t t)
{
	char buf[32];

	if (t == 0)
		json_kv_string(j, key, NULL);
	else
		json_kv_string(j, key, json_time(t, buf));
}

/* The catalog's name of a service row, between reader and caller. */
struct named_services {
	const struct catalog	*cat;
	query_service_fn	 fn;
	void			*arg;
};

static void
name_service(void *arg, const struct query_service *in)
{
	struct named_services *n = arg;
	struct query_service r = *in;
	int i;

	r.name = r.service;
	if (r.service[0] == '\0')
		r.service = r.name = QUERY_UNDOCUMENTED;
	else if (n->cat != NULL &&
	    (i = catalog_service_find(n->cat, r.service)) >= 0)
		r.name = catalog_service(n->cat, i)->name;
	n->fn(n->arg, &r);
}

int
query_services_page(struct reader *rd, const struct catalog *cat,
    const struct query_filter *f, const struct query_page *pg,
    query_service_fn fn, void *arg, char *err, size_t errlen)
{
	struct named_services n = { cat, fn, arg };
	struct cidr c;

	if (f->host != NULL && cidr_parse(&c, f->host) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", f->host);
		return -1;
	}
	return rd->ops->services(rd, f, pg, name_service, &n, err, errlen);
}

int
query_services(struct reader *rd, const struct catalog *cat,
    const struct query_filter *f, query_service_fn fn, void *arg,
    char *err, size_t errlen)
{
	return query_services_page(rd, cat, f, NULL, fn, arg, err, errlen);
}

/* The catalog's listener of an attempt's port, between reader and caller. */
struct named_attempts {
	const struct catalog	*cat;
	query_attempt_fn	 fn;
	void			*arg;
};

static void
name_attempt(void *arg, const struct query_attempt *in)
{
	struct named_attempts *n = arg;
	struct query_attempt r = *in;
	const struct catalog_service *cs;
	int row;

	r.service = r.name = NULL;
	if (n->cat != NULL && (row = catalog_listener(n->cat,
	    transport_parse(r.transport), r.port)) >= 0 &&
	    !catalog_port_is_dynamic_rpc(n->cat, row)) {
		cs = catalog_service(n->cat, catalog_port(n->cat, row)->service);
		r.service = cs->key;
		r.name = cs->name;
	}
	n->fn(n->arg, &r);
}

int
query_attempts_page(struct reader *rd, const struct catalog *cat,
    const struct query_filter *f, const struct query_page *pg,
    query_attempt_fn fn, void *arg, char *err, size_t errlen)
{
	struct named_attempts n = { cat, fn, arg };
	struct cidr c;

	if (f->host != NULL && cidr_parse(&c, f->host) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", f->host);
		return -1;
	}
	if (rd->ops->attempts == NULL) {
		snprintf(err, errlen, "this store keeps no attempts");
		return -1;
	}
	return rd->ops->attempts(rd, f, pg, name_attempt, &n, err, errlen);
}

void
query_key_attempt(const struct query_attempt *r, struct query_key *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->ip, sizeof(k->ip), "%s", r->server_ip);
	snprintf(k->transport, sizeof(k->transport), "%s", r->transport);
	k->port = r->port;
	k->vlan = r->vlan;
	snprintf(k->sensor, sizeof(k->sensor), "%s", r->sensor);
}

int
query_hosts_page(struct reader *rd, const struct query_page *pg,
    query_host_fn fn, void *arg, char *err, size_t errlen)
{
	return query_hosts_where(rd, NULL, pg, fn, arg, err, errlen);
}

/* A stored name's rank in the display order (names.h names_rank()). */
static int
name_rank(const struct query_name *n)
{
	struct name_entry e;
	int k, src = names_source_parse(n->source);

	if (src < 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.source = (uint8_t)src;
	for (k = 0; k < NAME_KIND__COUNT; k++)
		if (strcmp(names_kind_name((enum name_kind)k), n->kind) == 0)
			break;
	if (k == NAME_KIND__COUNT)
		return -1;
	e.kind = (uint8_t)k;
	/* Folded suffixes: a computer name ranks as its <20>. */
	e.nb_suffix = n->computer ? 0x20 : 0x1c;
	e.nb_group = !n->computer;
	return names_rank(&e);
}

/* Best display candidate first: rank, then recency, then the name. */
static int
cmp_names(const void *a, const void *b)
{
	const struct query_name *x = a, *y = b;
	int c;

	if (x->rank != y->rank) {
		if (x->rank < 0 || y->rank < 0)
			return x->rank < 0 ? 1 : -1;
		return x->rank < y->rank ? -1 : 1;
	}
	if (x->last_seen != y->last_seen)
		return x->last_seen > y->last_seen ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if ((c = strcmp(x->source, y->source)) != 0)
		return c;
	return strcmp(x->kind, y->kind);
}

/* Rank and sort a host's names, and pick its display name. */
static void
host_names_order(struct query_host *r)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		r->names[i].rank = name_rank(&r->names[i]);
	if (r->nnames > 1)
		qsort(r->names, r->nnames, sizeof(r->names[0]), cmp_names);
	r->name = r->nnames > 0 && r->names[0].rank >= 0 ?
	    r->names[0].name : NULL;
}

/*
 * The roles of one host at a time (hf->cat): buffers sized once per
 * query by the catalog's role count, the served rows' copy grown.
 */
struct host_roles {
	struct role_match	*m;
	struct query_role	*roles;
	struct query_role_evidence *ev;
	const char		**items;
	const char		**keys;
	struct role_served	*served;
	size_t			 nserved_cap;
	size_t			 nroles;	/* the catalog's */
};

struct hosts_where {
	const struct query_host_filter *hf;
	struct host_roles hr;
	bool		 oom;
	struct cidr	 ip;		/* hf->ip as a prefix */
	query_host_fn	 fn;
	void		*arg;
	bool		 found;
	uint64_t	 max;		/* rows to hand out at most; 0 all */
	uint64_t	 out;		/* ... handed out */
	uint64_t	 read;		/* rows the back end gave this call */
	struct query_key last;		/* the last of them */
};

static int
host_roles_init(struct host_roles *hr, const struct catalog *cat)
{
	memset(hr, 0, sizeof(*hr));
	if (cat == NULL || (hr->nroles = catalog_nroles(cat)) == 0)
		return 0;
	if ((hr->m = calloc(hr->nroles, sizeof(*hr->m))) == NULL ||
	    (hr->roles = calloc(hr->nroles, sizeof(*hr->roles))) == NULL ||
	    (hr->ev = calloc(hr->nroles * ROLES_MAX_EVIDENCE,
	    sizeof(*hr->ev))) == NULL ||
	    (hr->items = calloc(hr->nroles * ROLES_MAX_EVIDENCE,
	    sizeof(*hr->items))) == NULL ||
	    (hr->keys = calloc(hr->nroles, sizeof(*hr->keys))) == NULL)
		return -1;
	return 0;
}

static void
host_roles_free(struct host_roles *hr)
{
	free(hr->m);
	free(hr->roles);
	free(hr->ev);
	free(hr->items);
	free(hr->keys);
	free(hr->served);
}

/* Derive r's roles from its served rows; -1 out of memory. */
static int
host_roles_derive(struct host_roles *hr, const struct catalog *cat,
    struct query_host *r)
{
	const struct catalog_host_role *cr;
	struct role_served *sv;
	size_t i, j, n, k = 0;

	if (hr->nroles == 0 || r->nserved == 0)
		return 0;
	if (r->nserved > hr->nserved_cap) {
		if ((sv = reallocarray(hr->served, r->nserved,
		    sizeof(*sv))) == NULL)
			return -1;
		hr->served = sv;
		hr->nserved_cap = r->nserved;
	}
	for (i = 0; i < r->nserved; i++) {
		hr->served[i].service = r->served[i].service;
		hr->served[i].port = r->served[i].port;
		hr->served[i].interface = r->served[i].interface;
		hr->served[i].pipe = r->served[i].pipe;
		hr->served[i].first_seen = r->served[i].first_seen;
		hr->served[i].last_seen = r->served[i].last_seen;
	}
	n = roles_of_served(cat, hr->served, r->nserved, hr->m, hr->nroles);
	for (i = 0; i < n; i++) {
		cr = catalog_role(cat, hr->m[i].role);
		hr->roles[i].role = hr->keys[i] = cr->key;
		hr->roles[i].name = cr->name;
		hr->roles[i].confidence = cr->confidence;
		hr->roles[i].since = hr->m[i].since;
		hr->roles[i].last_seen = hr->m[i].last_seen;
		hr->roles[i].evidence = &hr->ev[k];
		hr->roles[i].nevidence = hr->m[i].nev;
		hr->roles[i].items = &hr->items[k];
		for (j = 0; j < hr->m[i].nev; j++, k++) {
			hr->ev[k].item = hr->items[k] = hr->m[i].ev[j].text;
			hr->ev[k].first_seen = hr->m[i].ev[j].first_seen;
			hr->ev[k].last_seen = hr->m[i].ev[j].last_seen;
		}
	}
	r->roles = hr->roles;
	r->nroles = n;
	r->role_keys = hr->keys;
	return 0;
}

static bool
host_matches(const struct hosts_where *w, const struct query_host *r)
{
	struct addr a;
	size_t i;

	if (w->hf == NULL)
		return true;
	if (w->hf->ip != NULL && (addr_parse(&a, r->ip) == -1 ||
	    !cidr_contains(&w->ip, &a)))
		return false;
	if (w->hf->name != NULL) {
		for (i = 0; i < r->nnames; i++)
			if (fnmatch(w->hf->name, r->names[i].name,
			    FNM_CASEFOLD) == 0)
				break;
		if (i == r->nnames)
			return false;
	}
	if (w->hf->role != NULL) {
		for (i = 0; i < r->nroles; i++)
			if (strcmp(w->hf->role, r->roles[i].role) == 0)
				break;
		if (i == r->nroles)
			return false;
	}
	return true;
}

static void
host_where(void *arg, const struct query_host *in)
{
	struct hosts_where *w = arg;
	struct query_host r = *in;

	w->read++;
	query_key_host(in, &w->last);
	host_names_order(&r);
	if (w->hf != NULL && w->hf->cat != NULL &&
	    host_roles_derive(&w->hr, w->hf->cat, &r) == -1) {
		w->oom = true;
		return;
	}
	if (!host_matches(w, &r) || (w->max != 0 && w->out >= w->max))
		return;
	w->found = true;
	w->out++;
	w->fn(w->arg, &r);
}

/*
 * The filter is applied here, after the back end's page: a page whose
 * rows the filter thins is followed by the next one from its last row
 * until pg->limit rows match or the back end runs out, so that a short
 * page still means the last one (api.c asks for limit + 1 rows).
 */
int
query_hosts_where(struct reader *rd, const struct query_host_filter *hf,
    const struct query_page *pg, query_host_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct hosts_where w;
	struct query_page p;
	struct query_key after;

	int ret;

	memset(&w, 0, sizeof(w));
	w.hf = hf;
	w.fn = fn;
	w.arg = arg;
	if (hf != NULL && hf->ip != NULL && cidr_parse(&w.ip, hf->ip) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", hf->ip);
		return -1;
	}
	if (host_roles_init(&w.hr, hf != NULL ? hf->cat : NULL) == -1) {
		ret = -1;
		w.oom = true;
		goto out;
	}
	if (pg == NULL || pg->limit == 0) {
		ret = rd->ops->hosts(rd, pg, host_where, &w, err, errlen);
		goto out;
	}
	p = *pg;
	w.max = pg->limit;
	for (;;) {
		w.read = 0;
		if ((ret = rd->ops->hosts(rd, &p, host_where, &w, err,
		    errlen)) == -1 || w.oom || w.read < p.limit ||
		    w.out >= w.max)
			break;
		after = w.last;
		p.after = &after;
		p.limit = w.max - w.out;
	}
out:
	host_roles_free(&w.hr);
	if (w.oom) {
		snprintf(err, errlen, "hosts: out of memory");
		return -1;
	}
	return ret;
}

int
query_hosts(struct reader *rd, query_host_fn fn, void *arg, char *err,
    size_t errlen)
{
	return query_hosts_where(rd, NULL, NULL, fn, arg, err, errlen);
}

/* The names of an address that serves nothing, per sensor. */
struct lone_names {
	struct query_host_filter hf;
	struct query_name *v;
	char		**text;		/* sensor, name, source, kind */
	size_t		  n;
	size_t		  cap;
	bool		  served;	/* the hosts query found it */
	bool		  oom;
};

static void
lone_name(void *arg, const struct query_name *in)
{
	struct lone_names *l = arg;
	struct query_name *nv;
	char **tv;
	size_t cap;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		if ((nv = reallocarray(l->v, cap, sizeof(*nv))) == NULL) {
			l->oom = true;
			return;
		}
		l->v = nv;
		if ((tv = reallocarray(l->text, cap * 4, sizeof(*tv))) ==
		    NULL) {
			l->oom = true;
			return;
		}
		l->text = tv;
		l->cap = cap;
	}
	l->v[l->n] = *in;
	tv = &l->text[l->n * 4];
	tv[0] = strdup(in->sensor);
	tv[1] = strdup(in->name);
	tv[2] = strdup(in->source);
	tv[3] = strdup(in->kind);
	l->n++;
	if (tv[0] == NULL || tv[1] == NULL || tv[2] == NULL || tv[3] == NULL) {
		l->oom = true;
		return;
	}
	l->v[l->n - 1].sensor = tv[0];
	l->v[l->n - 1].name = tv[1];
	l->v[l->n - 1].source = tv[2];
	l->v[l->n - 1].kind = tv[3];
}

int
query_host_one(struct reader *rd, const struct catalog *cat, const char *ip,
    query_host_fn fn, void *arg, bool *found, char *err, size_t errlen)
{
	struct lone_names l;
	struct hosts_where w;
	struct addr a;
	struct query_host r;
	char ipbuf[ADDR_STRLEN];
	size_t i, j;
	int ret = -1;

	*found = false;
	memset(&w, 0, sizeof(w));
	memset(&l, 0, sizeof(l));
	l.hf.ip = ip;
	l.hf.cat = cat;
	w.hf = &l.hf;
	w.fn = fn;
	w.arg = arg;
	/* One address: the filter's prefix is that address alone. */
	if (strchr(ip, '/') != NULL || addr_parse(&a, ip) == -1 ||
	    cidr_parse(&w.ip, ip) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", ip);
		return -1;
	}
	if (host_roles_init(&w.hr, cat) == -1) {
		host_roles_free(&w.hr);
		snprintf(err, errlen, "host: out of memory");
		return -1;
	}
	ret = rd->ops->hosts(rd, NULL, host_where, &w, err, errlen);
	host_roles_free(&w.hr);
	if (ret == 0 && w.oom) {
		snprintf(err, errlen, "host: out of memory");
		ret = -1;
	}
	if (ret == -1)
		return -1;
	ret = -1;
	if (w.found) {
		*found = true;
		return 0;
	}
	/* Not a server: what its names say, one record per sensor. */
	if (rd->ops->names(rd, ip, lone_name, &l, err, errlen) == -1)
		goto out;
	if (l.oom) {
		snprintf(err, errlen, "host: out of memory");
		goto out;
	}
	for (i = 0; i < l.n; i = j) {
		for (j = i; j < l.n && strcmp(l.v[j].sensor, l.v[i].sensor) ==
		    0; j++)
			;
		memset(&r, 0, sizeof(r));
		r.sensor = l.v[i].sensor;
		r.ip = addr_fmt(&a, ipbuf);
		r.names = &l.v[i];
		r.nnames = j - i;
		host_names_order(&r);
		*found = true;
		fn(arg, &r);
	}
	ret = 0;
out:
	for (i = 0; i < l.n * 4; i++)
		free(l.text[i]);
	free(l.text);
	free(l.v);
	return ret;
}

/* Catalog names of a stored endpoint; either may stay NULL. */
static void
endpoint_names(const struct catalog *cat, struct query_endpoint *r)
{
	const struct catalog_iface *ci;
	const struct catalog_dcom *cd;
	uint8_t uuid[16];
	unsigned major = 0;
	int i;

	if (cat == NULL || uuid_parse(uuid, r->uuid) == -1)
		return;
	sscanf(r->version, "%u", &major);
	if ((i = catalog_iface_find(cat, uuid, (uint16_t)major)) >= 0) {
		ci = catalog_iface(cat, i);
		r->interface = ci->name;
		if (ci->service >= 0)
			r->service = catalog_service(cat, ci->service)->key;
	}
	/* The activated class names the service better than IRemUnknown. */
	if (r->clsid != NULL && uuid_parse(uuid, r->clsid) == 0 &&
	    (i = catalog_dcom_find(cat, uuid)) >= 0) {
		cd = catalog_dcom(cat, i);
		if (cd->service >= 0)
			r->service = catalog_service(cat, cd->service)->key;
	}
}

struct named_endpoints {
	const struct catalog	*cat;
	query_endpoint_fn	 fn;
	void			*arg;
};

static void
name_endpoint(void *arg, const struct query_endpoint *in)
{
	struct named_endpoints *n = arg;
	struct query_endpoint r = *in;

	endpoint_names(n->cat, &r);
	n->fn(n->arg, &r);
}

int
query_endpoints_page(struct reader *rd, const struct catalog *cat,
    const struct query_page *pg, query_endpoint_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct named_endpoints n = { cat, fn, arg };

	return rd->ops->endpoints(rd, pg, name_endpoint, &n, err, errlen);
}

int
query_endpoints(struct reader *rd, const struct catalog *cat,
    query_endpoint_fn fn, void *arg, char *err, size_t errlen)
{
	return query_endpoints_page(rd, cat, NULL, fn, arg, err, errlen);
}

int
query_alerts_page(struct reader *rd, const char *kind, int64_t since,
    int64_t until, const struct query_page *pg, query_alert_fn fn, void *arg,
    char *err, size_t errlen)
{
	return rd->ops->alerts(rd, kind, since, until, pg, fn, arg, err,
	    errlen);
}

struct named_operations {
	const struct catalog	*cat;
	const char		*service;	/* filter; NULL all */
	query_operation_fn	 fn;
	void			*arg;
};

/*
 * Catalog names of a stored operation: the interface by UUID and major
 * version, its service, and the operation by opnum.  An opnum the
 * catalog lacks keeps operation NULL rather than a made-up name.
 */
static void
name_operation(void *arg, const struct query_operation *in)
{
	struct named_operations *n = arg;
	struct query_operation r = *in;
	const struct catalog_iface *ci;
	uint8_t uuid[16];
	int i, o;

	if (n->cat != NULL && uuid_parse(uuid, r.interface_uuid) == 0 &&
	    (i = catalog_iface_find(n->cat, uuid, r.version)) >= 0) {
		ci = catalog_iface(n->cat, i);
		r.interface = ci->name;
		if (ci->service >= 0)
			r.service = catalog_service(n->cat, ci->service)->key;
		if ((o = catalog_op_find(n->cat, i, r.opnum)) >= 0)
			r.operation = catalog_op(n->cat, o)->name;
	}
	if (n->service != NULL && (r.service == NULL ||
	    strcmp(r.service, n->service) != 0))
		return;
	n->fn(n->arg, &r);
}

int
query_operations(struct reader *rd, const struct catalog *cat,
    const struct query_op_filter *f, query_operation_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct named_operations n = { cat, f->service, fn, arg };
	struct cidr c;

	if (f->host != NULL && cidr_parse(&c, f->host) == -1) {
		snprintf(err, errlen, "bad host address \"%s\"", f->host);
		return -1;
	}
	return rd->ops->operations(rd, f, name_operation, &n, err, errlen);
}

int
query_alerts(struct reader *rd, const char *kind, int64_t since,
    query_alert_fn fn, void *arg, char *err, size_t errlen)
{
	return rd->ops->alerts(rd, kind, since, 0, NULL, fn, arg, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Keys and cursors */

static void
key_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

void
query_key_service(const struct query_service *r, struct query_key *k)
{
	memset(k, 0, sizeof(*k));
	key_copy(k->ip, sizeof(k->ip), r->server_ip);
	key_copy(k->transport, sizeof(k->transport), r->transport);
	k->port = r->port;
	/* The stored key: name_service() shows "" as "undocumented". */
	key_copy(k->service, sizeof(k->service),
	    strcmp(r->service, QUERY_UNDOCUMENTED) == 0 ? "" : r->service);
	key_copy(k->method, sizeof(k->method), r->method);
	key_copy(k->pipe, sizeof(k->pipe), r->pipe);
	k->vlan = r->vlan;
	key_copy(k->sensor, sizeof(k->sensor), r->sensor);
}

void
query_key_host(const struct query_host *r, struct query_key *k)
{
	memset(k, 0, sizeof(*k));
	key_copy(k->ip, sizeof(k->ip), r->ip);
	key_copy(k->sensor, sizeof(k->sensor), r->sensor);
}

void
query_key_endpoint(const struct query_endpoint *r, struct query_key *k)
{
	memset(k, 0, sizeof(*k));
	key_copy(k->ip, sizeof(k->ip), r->server_ip);
	key_copy(k->transport, sizeof(k->transport), r->transport);
	k->port = r->port;
	key_copy(k->uuid, sizeof(k->uuid), r->uuid);
	key_copy(k->sensor, sizeof(k->sensor), r->sensor);
}

void
query_key_outbound(const struct query_outbound *r, struct query_key *k)
{
	memset(k, 0, sizeof(*k));
	key_copy(k->ip, sizeof(k->ip), r->ip);
	key_copy(k->transport, sizeof(k->transport), r->transport);
	k->port = r->port;
	key_copy(k->sensor, sizeof(k->sensor), r->sensor);
}

int
query_outbound_page(struct reader *rd, const struct query_outbound_filter *f,
    const struct query_page *pg, query_outbound_fn fn, void *arg, char *err,
    size_t errlen)
{
	if (f->port < 0 || f->port > 65535) {
		snprintf(err, errlen, "bad port %d", f->port);
		return -1;
	}
	return rd->ops->outbound(rd, f, pg, fn, arg, err, errlen);
}

void
query_key_alert(const struct alert_record *r, struct query_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = r->id;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The kind's letter, then its key fields, NUL-separated, base64url. */
static const char kind_tag[QUERY__KINDS] = { 's', 'h', 'e', 'a', 'o', 't' };

int
query_cursor_format(enum query_kind kind, const struct query_key *k,
    char *out, size_t outlen)
{
	char raw[(QUERY_CURSOR_LEN - 1) / 4 * 3];
	size_t n = 0, i, o = 0;
	int w;

	switch (kind) {
	case QUERY_SERVICES:
		w = snprintf(raw, sizeof(raw),
		    "s%c%s%c%s%c%u%c%s%c%s%c%u%c%s%c%s", 0, k->ip, 0,
		    k->transport, 0, k->port, 0, k->service, 0, k->method, 0,
		    k->vlan, 0, k->sensor, 0, k->pipe);
		break;
	case QUERY_HOSTS:
		w = snprintf(raw, sizeof(raw), "h%c%s%c%s", 0, k->ip, 0,
		    k->sensor);
		break;
	case QUERY_ENDPOINTS:
		w = snprintf(raw, sizeof(raw), "e%c%s%c%s%c%u%c%s%c%s", 0,
		    k->ip, 0, k->transport, 0, k->port, 0, k->uuid, 0,
		    k->sensor);
		break;
	case QUERY_ALERTS:
		w = snprintf(raw, sizeof(raw), "a%c%" PRId64, 0, k->id);
		break;
	case QUERY_OUTBOUND:
		w = snprintf(raw, sizeof(raw), "o%c%s%c%s%c%u%c%s", 0, k->ip, 0,
		    k->transport, 0, k->port, 0, k->sensor);
		break;
	case QUERY_ATTEMPTS:
		w = snprintf(raw, sizeof(raw), "t%c%s%c%s%c%u%c%u%c%s", 0,
		    k->ip, 0, k->transport, 0, k->port, 0, k->vlan, 0,
		    k->sensor);
		break;
	default:
		return -1;
	}
	if (w < 0 || (size_t)w >= sizeof(raw))
		return -1;
	n = (size_t)w;
	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)raw[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)(unsigned char)raw[i + 1] << 8;
		if (left > 2)
			v |= (unsigned char)raw[i + 2];
		if (o + 5 > outlen)
			return -1;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		if (left > 1)
			out[o++] = b64url[v >> 6 & 63];
		if (left > 2)
			out[o++] = b64url[v & 63];
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

static int
b64val(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64url, c)) == NULL)
		return -1;
	return (int)(p - b64url);
}

/* Field i of the NUL-separated raw[0..n) into out[outlen]; -1 none. */
static int
field(const char *raw, size_t n, int i, char *out, size_t outlen)
{
	size_t at = 0, len;

	for (; i > 0; i--) {
		len = strnlen(raw + at, n - at);
		if (at + len >= n)
			return -1;
		at += len + 1;
	}
	len = strnlen(raw + at, n - at);
	if (len >= outlen)
		return -1;
	memcpy(out, raw + at, len);
	out[len] = '\0';
	return 0;
}

static int
field_uint(const char *raw, size_t n, int i, unsigned max, unsigned *v)
{
	char buf[16], *end;
	unsigned long u;

	if (field(raw, n, i, buf, sizeof(buf)) == -1 || buf[0] < '0' ||
	    buf[0] > '9')
		return -1;
	errno = 0;
	u = strtoul(buf, &end, 10);
	if (errno != 0 || *end != '\0' || u > max)
		return -1;
	*v = (unsigned)u;
	return 0;
}

int
query_cursor_parse(enum query_kind kind, const char *text,
    struct query_key *k)
{
	char raw[QUERY_CURSOR_LEN], idbuf[24], *end;
	size_t len = strlen(text), i, n = 0, nf = 1;
	unsigned port = 0, vlan = 0;
	uint32_t v;
	int d, j;
	long long id;

	memset(k, 0, sizeof(*k));
	if (len == 0 || len >= QUERY_CURSOR_LEN || len % 4 == 1 ||
	    kind < 0 || kind >= QUERY__KINDS)
		return -1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if (i + (size_t)j < len) {
				if ((d = b64val((unsigned char)text[i + j])) < 0)
					return -1;
			} else
				d = 0;
			v = v << 6 | (uint32_t)d;
		}
		raw[n++] = (char)(v >> 16);
		if (len - i > 2)
			raw[n++] = (char)(v >> 8 & 0xff);
		if (len - i > 3)
			raw[n++] = (char)(v & 0xff);
	}
	for (i = 0; i < n; i++)
		if (raw[i] == '\0')
			nf++;
	if (n < 2 || raw[0] != kind_tag[kind] || raw[1] != '\0')
		return -1;
	switch (kind) {
	case QUERY_SERVICES:
		if (nf != 9 ||
		    field(raw, n, 1, k->ip, sizeof(k->ip)) == -1 ||
		    field(raw, n, 2, k->transport, sizeof(k->transport)) == -1 ||
		    field_uint(raw, n, 3, 65535, &port) == -1 ||
		    field(raw, n, 4, k->service, sizeof(k->service)) == -1 ||
		    field(raw, n, 5, k->method, sizeof(k->method)) == -1 ||
		    field_uint(raw, n, 6, 65535, &vlan) == -1 ||
		    field(raw, n, 7, k->sensor, sizeof(k->sensor)) == -1 ||
		    field(raw, n, 8, k->pipe, sizeof(k->pipe)) == -1)
			return -1;
		break;
	case QUERY_HOSTS:
		if (nf != 3 ||
		    field(raw, n, 1, k->ip, sizeof(k->ip)) == -1 ||
		    field(raw, n, 2, k->sensor, sizeof(k->sensor)) == -1)
			return -1;
		break;
	case QUERY_ENDPOINTS:
		if (nf != 6 ||
		    field(raw, n, 1, k->ip, sizeof(k->ip)) == -1 ||
		    field(raw, n, 2, k->transport, sizeof(k->transport)) == -1 ||
		    field_uint(raw, n, 3, 65535, &port) == -1 ||
		    field(raw, n, 4, k->uuid, sizeof(k->uuid)) == -1 ||
		    field(raw, n, 5, k->sensor, sizeof(k->sensor)) == -1)
			return -1;
		break;
	case QUERY_OUTBOUND:
		if (nf != 5 ||
		    field(raw, n, 1, k->ip, sizeof(k->ip)) == -1 ||
		    field(raw, n, 2, k->transport, sizeof(k->transport)) == -1 ||
		    field_uint(raw, n, 3, 65535, &port) == -1 ||
		    field(raw, n, 4, k->sensor, sizeof(k->sensor)) == -1)
			return -1;
		break;
	case QUERY_ALERTS:
		if (nf != 2 || field(raw, n, 1, idbuf, sizeof(idbuf)) == -1 ||
		    idbuf[0] < '0' || idbuf[0] > '9')
			return -1;
		errno = 0;
		id = strtoll(idbuf, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		k->id = id;
		break;
	case QUERY_ATTEMPTS:
		if (nf != 6 ||
		    field(raw, n, 1, k->ip, sizeof(k->ip)) == -1 ||
		    field(raw, n, 2, k->transport, sizeof(k->transport)) == -1 ||
		    field_uint(raw, n, 3, 65535, &port) == -1 ||
		    field_uint(raw, n, 4, 65535, &vlan) == -1 ||
		    field(raw, n, 5, k->sensor, sizeof(k->sensor)) == -1)
			return -1;
		break;
	default:
		return -1;
	}
	k->port = (uint16_t)port;
	k->vlan = (uint16_t)vlan;
	return 0;
}

int
query_alerts_until(struct reader *rd, const char *kind, int64_t since,
    int64_t until, query_alert_fn fn, void *arg, char *err, size_t errlen)
{
	return rd->ops->alerts(rd, kind, since, until, NULL, fn, arg, err,
	    errlen);
}

/*
 * The back end fills the registry's counters (sum->totals); the named
 * fields of the summary, older than the registry, are copies of them.
 */
int
query_summary(struct reader *rd, struct query_summary *m, char *err,
    size_t errlen)
{
	const struct run_totals *t = &m->totals;
	int i;

	memset(m, 0, sizeof(*m));
	if (rd->ops->summary(rd, m, err, errlen) == -1) {
		query_summary_free(m);
		return -1;
	}
	m->packets = t->packets;
	m->bytes = t->bytes;
	m->flows = t->flows;
	for (i = 0; i < PKT__COUNT; i++) {
		m->pkt_class[i] = t->pkt_class[i];
		m->byte_class[i] = t->byte_class[i];
	}
	for (i = 0; i < FLOW_CLASSES; i++)
		m->flow_class[i] = t->flow_class[i];
	m->fragments = t->fragments;
	m->flows_evicted = t->flows_evicted;
	m->dpi_mismatches = t->dpi_mismatches;
	m->rpc_pdus = t->rpc_pdus;
	m->rpc_truncated = t->rpc_truncated;
	m->rpc_invalid = t->rpc_invalid;
	m->rpc_gaps = t->rpc_gaps;
	m->epm_replies = t->epm_replies;
	m->endpoints_learned = t->endpoints_learned;
	return 0;
}

void
query_summary_free(struct query_summary *m)
{
	free(m->decode);
	free(m->capture);
	m->decode = NULL;
	m->capture = NULL;
	m->ndecode = m->ncapture = 0;
}

void
query_summary_json(struct json *j, const struct query_summary *m)
{
	size_t i;

	json_object_begin(j);
	json_kv_uint(j, "runs", m->runs);
	json_kv_uint(j, "packets", m->packets);
	json_kv_uint(j, "bytes", m->bytes);
	json_kv_uint(j, "flows", m->flows);
	json_key(j, "packets_by_class");
	json_object_begin(j);
	for (i = 0; i < PKT__COUNT; i++)
		json_kv_uint(j, packet_class_name(i), m->pkt_class[i]);
	json_object_end(j);
	json_key(j, "bytes_by_class");
	json_object_begin(j);
	for (i = 0; i < PKT__COUNT; i++)
		json_kv_uint(j, packet_class_name(i), m->byte_class[i]);
	json_object_end(j);
	json_key(j, "flows_by_class");
	json_object_begin(j);
	for (i = 0; i < FLOW_CLASSES; i++)
		json_kv_uint(j, flow_class_words[i], m->flow_class[i]);
	json_object_end(j);
	json_key(j, "decode");
	json_object_begin(j);
	for (i = 0; i < m->ndecode; i++)
		json_kv_uint(j, m->decode[i].reason, m->decode[i].count);
	json_object_end(j);
	json_key(j, "capture");
	json_array_begin(j);
	for (i = 0; i < m->ncapture; i++) {
		json_object_begin(j);
		json_kv_string(j, "iface", m->capture[i].iface);
		json_kv_uint(j, "received", m->capture[i].received);
		json_kv_uint(j, "dropped", m->capture[i].dropped);
		json_kv_uint(j, "if_dropped", m->capture[i].if_dropped);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "rpc");
	json_object_begin(j);
	json_kv_uint(j, "pdus", m->rpc_pdus);
	json_kv_uint(j, "truncated", m->rpc_truncated);
	json_kv_uint(j, "invalid", m->rpc_invalid);
	json_kv_uint(j, "gaps", m->rpc_gaps);
	json_kv_uint(j, "epm_replies", m->epm_replies);
	json_kv_uint(j, "endpoints_learned", m->endpoints_learned);
	json_object_end(j);
	json_kv_uint(j, "fragments", m->fragments);
	json_kv_uint(j, "dpi_mismatches", m->dpi_mismatches);
	json_kv_uint(j, "flows_evicted", m->flows_evicted);
	json_kv_time(j, "first_packet", m->first_packet);
	json_kv_time(j, "last_packet", m->last_packet);
	json_kv_time(j, "last_flush", m->last_flush);
	json_object_end(j);
}

/* A whole decimal number, no sign, no junk; -1 if not. */
static int
parse_count(const char *p, const char **end, int64_t *out)
{
	char *e;
	long long v;

	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	v = strtoll(p, &e, 10);
	if (errno == ERANGE || v < 0)
		return -1;
	*out = v;
	*end = e;
	return 0;
}

int
query_parse_time(const char *text, int64_t now_s, int64_t *out)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d %H:%M", "%Y-%m-%d", NULL
	};
	static const struct { char unit; int64_t s; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 }, { 0, 0 }
	};
	const char *const *fmt;
	const char *end;
	struct tm tm;
	int64_t n;
	size_t i;

	if (text[0] == '-') {
		if (parse_count(text + 1, &end, &n) == -1)
			return -1;
		for (i = 0; units[i].unit != 0; i++)
			if (end[0] == units[i].unit && end[1] == '\0') {
				if (n > INT64_MAX / units[i].s)
					return -1;
				*out = now_s - n * units[i].s;
				return 0;
			}
		return -1;
	}
	if (parse_count(text, &end, &n) == 0 && *end == '\0') {
		*out = n;
		return 0;
	}
	for (fmt = formats; *fmt != NULL; fmt++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, *fmt, &tm);
		if (end != NULL && (strcmp(end, "") == 0 ||
		    strcmp(end, "Z") == 0)) {
			*out = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Top, series, relative times */

static const char *const top_of_words[] = { "rows", "hosts", "services" };
static const char *const top_by_words[] = {
	"bytes", "packets", "flows", "clients"
};

static int
word_find(const char *const *words, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return (int)i;
	return -1;
}

int
query_top_of_parse(const char *word)
{
	return word_find(top_of_words, 3, word);
}

int
query_top_by_parse(const char *word)
{
	return word_find(top_by_words, 4, word);
}

const char *
query_top_of_name(enum query_top_of of)
{
	return (unsigned)of < 3 ? top_of_words[of] : "?";
}

const char *
query_top_by_name(enum query_top_by by)
{
	return (unsigned)by < 4 ? top_by_words[by] : "?";
}

int64_t
query_resolution_parse(const char *word)
{
	if (strcmp(word, "minute") == 0)
		return 60;
	if (strcmp(word, "hour") == 0)
		return 3600;
	if (strcmp(word, "day") == 0)
		return 86400;
	return 0;
}

const char *
query_resolution_name(int64_t seconds)
{
	switch (seconds) {
	case 60:
		return "minute";
	case 3600:
		return "hour";
	case 86400:
		return "day";
	}
	return "?";
}

int
query_host_parse(const char *text, struct cidr *c)
{
	return cidr_parse(c, text);
}

bool
query_time_is_relative(const char *text)
{
	return text[0] == '-';
}

int
query_time_reference(struct reader *rd, int64_t now_s,
    struct query_time_ref *ref, char *err, size_t errlen)
{
	int64_t last = 0;
	bool offline = false;

	if (rd->ops->newest(rd, &last, &offline, err, errlen) == -1)
		return -1;
	/* An offline run that read no packet has no time of its own. */
	if (offline && last != 0) {
		ref->reference = "newest_packet";
		ref->at = last;
	} else {
		ref->reference = "wall_clock";
		ref->at = now_s;
	}
	return 0;
}

/* The catalog's name of a top entry, between reader and caller. */
struct named_top {
	const struct catalog	*cat;
	query_top_fn		 fn;
	void			*arg;
};

static void
name_top(void *arg, const struct query_top *in)
{
	struct named_top *n = arg;
	struct query_top r = *in;
	int i;

	r.name = r.service;
	if (r.service != NULL && r.service[0] == '\0')
		r.service = r.name = QUERY_UNDOCUMENTED;
	else if (r.service != NULL && n->cat != NULL &&
	    (i = catalog_service_find(n->cat, r.service)) >= 0)
		r.name = catalog_service(n->cat, i)->name;
	n->fn(n->arg, &r);
}

int
query_top(struct reader *rd, const struct catalog *cat,
    const struct query_window *w, enum query_top_of of,
    enum query_top_by by, uint64_t limit, query_top_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct named_top n = { cat, fn, arg };

	return rd->ops->top(rd, w, of, by, limit, name_top, &n, err, errlen);
}

int
query_series(struct reader *rd, const struct query_window *w,
    int64_t resolution, query_bucket_fn fn, void *arg, char *err,
    size_t errlen)
{
	if (query_resolution_name(resolution)[0] == '?') {
		snprintf(err, errlen, "bad resolution %" PRId64 " s",
		    resolution);
		return -1;
	}
	return rd->ops->series(rd, w, resolution, fn, arg, err, errlen);
}

void
query_window_json(struct json *j, const struct query_window *w,
    const struct query_time_ref *ref)
{
	char b[32], hb[ADDR_STRLEN + 8];

	json_kv_string(j, "time_reference", ref->reference);
	json_kv_string(j, "reference_time", json_time(ref->at, b));
	json_kv_time(j, "since", w->since);
	json_kv_time(j, "until", w->until);
	json_kv_string(j, "host", w->has_host ?
	    cidr_fmt(&w->host, hb, sizeof(hb)) : NULL);
}
