/*
 * catalog_load.c - read one catalog file: lines, fields, records.
 *
 * Each line is checked on its own; references to services and apps are
 * kept as keys until catalog_finish() resolves them, because the record
 * that defines them may come from a file loaded later.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/cfgfile.h"
#include "svcmap/log.h"
#include "svcmap/transport.h"
#include "catalog_int.h"

/*
 * Field syntax.
 */

/* [a-z0-9][a-z0-9-]*, at most CAT_MAX_KEY characters. */
bool
catalog_key_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9');

		if (!alnum && (i == 0 || s[i] != '-'))
			return false;
	}
	return i >= 1 && i <= CAT_MAX_KEY;
}

/* Decimal digits at *pp, at most max: no sign, no space, no overflow. */
static bool
parse_dec(const char **pp, unsigned long max, unsigned long *v)
{
	const char *p = *pp;
	unsigned long n = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max)
			return false;
	}
	*v = n;
	*pp = p;
	return true;
}

/* "N" or "N-M", 1 <= N <= M <= 65535. */
static bool
parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;

	if (!parse_dec(&s, 65535, &a) || a == 0)
		return false;
	b = a;
	if (*s == '-') {
		s++;
		if (!parse_dec(&s, 65535, &b) || b < a)
			return false;
	}
	if (*s != '\0')
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

/* "M.m", each part at most 65535. */
static bool
parse_version(const char *s, uint16_t *major, uint16_t *minor)
{
	unsigned long a, b;

	if (!parse_dec(&s, 65535, &a) || *s++ != '.' ||
	    !parse_dec(&s, 65535, &b) || *s != '\0')
		return false;
	*major = (uint16_t)a;
	*minor = (uint16_t)b;
	return true;
}

/* A comma list with an empty member: ",a", "a,", "a,,b" (s not empty). */
static bool
list_has_empty(const char *s)
{
	return s[0] == ',' || s[strlen(s) - 1] == ',' ||
	    strstr(s, ",,") != NULL;
}

/*
 * Why the text of a line is unusable, or NULL: it must be UTF-8 (shortest
 * forms, no surrogates) without control characters other than TAB, since
 * it ends up in JSON, SQLite and terminals.
 */
static const char *
text_problem(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return "control character";
	return cfgfile_utf8_valid((const char *)s, len) ? NULL :
	    "invalid UTF-8";
}

/*
 * Record parsers.  Each gets the fields of one line (the count already
 * checked) and reports its own errors; they return -1 only when memory ran
 * out, which ends the load.
 */
struct loadctx {
	struct catalog	*cat;
	struct errs	*errs;
	struct origin	 at;
	bool		 local;
};

static void bad(struct loadctx *lc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Report a problem with the current line; loading goes on. */
static void
bad(struct loadctx *lc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	catalog_verrs_add(lc->errs, &lc->at, fmt, ap);
	va_end(ap);
}

/*
 * Edition codes, comma-separated.  A local file's rows are SOURCE_LOCAL
 * whatever they say, so there "-" (no edition) and "local" are allowed.
 */
static bool
parse_sources(struct loadctx *lc, const char *s, uint8_t *out)
{
	char buf[CAT_MAX_LINE + 1], *tok, *save;
	uint8_t bit, bits = 0;

	if (strcmp(s, "-") == 0 && lc->local) {
		*out = SOURCE_LOCAL;
		return true;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	if (list_has_empty(buf)) {
		bad(lc, "empty source in \"%s\"", s);
		return false;
	}
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		bit = catalog_source_parse(tok);
		if (bit == 0 || (bit == SOURCE_LOCAL && !lc->local)) {
			bad(lc, "unknown source \"%s\" (sv, en, ja, zh, cm%s)",
			    tok, lc->local ? ", local" : "");
			return false;
		}
		bits |= bit;
	}
	*out = bits | (lc->local ? SOURCE_LOCAL : 0);
	return true;
}

#define NOMEM(lc) do { \
	bad((lc), "out of memory"); \
	return -1; \
} while (0)

/* service <key> <name> <system_service_name> <notes> */
static int
rec_service(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	const struct svc_rec *prev;
	const int *idx;
	struct svc_rec *r;
	const char *key;

	if (!catalog_key_valid(f[1])) {
		bad(lc, "bad service key \"%s\"", f[1]);
		return 0;
	}
	if ((idx = catalog_strmap_get(&cat->svc_by_key, f[1])) != NULL) {
		prev = &cat->svc[*idx];
		bad(lc, "duplicate service \"%s\" (first defined at %s:%u)",
		    f[1], prev->at.file, prev->at.line);
		return 0;
	}
	if (cat->nsvc >= CAT_MAX_ROWS) {
		bad(lc, "too many services");
		return 0;
	}
	if ((r = catalog_array_reserve(cat->svc, &cat->svc_cap, cat->nsvc,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->svc = r;
	r = &cat->svc[cat->nsvc];
	if ((key = catalog_intern(cat, f[1])) == NULL ||
	    (r->s.name = catalog_intern(cat, f[2])) == NULL ||
	    (r->s.system_service = catalog_intern(cat, f[3])) == NULL ||
	    (r->s.notes = catalog_intern(cat, f[4])) == NULL ||
	    catalog_strmap_put(&cat->svc_by_key, key, (int)cat->nsvc) == -1)
		NOMEM(lc);
	r->s.key = key;
	r->s.local = lc->local;
	r->at = lc->at;
	cat->nsvc++;
	return 0;
}

/* port <service_key> <transport> <ports> <app> <role> <sources> <notes> */
static int
rec_port(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	struct catalog_port p;
	struct port_rec *r;
	unsigned nerr = lc->errs->n;

	memset(&p, 0, sizeof(p));
	if (!catalog_key_valid(f[1]))
		bad(lc, "bad service key \"%s\"", f[1]);
	if ((p.transport = transport_parse(f[2])) == 0)
		bad(lc, "unknown transport \"%s\" (tcp, udp, icmp, icmpv6, "
		    "gre, esp, ah)", f[2]);
	else if (catalog_transport_has_ports(p.transport)) {
		if (!parse_ports(f[3], &p.port_low, &p.port_high))
			bad(lc, "bad ports \"%s\" for %s (N or N-M, "
			    "1..65535)", f[3], f[2]);
	} else if (strcmp(f[3], "-") != 0)
		bad(lc, "%s has no ports: write \"-\", not \"%s\"", f[2],
		    f[3]);
	if (strcmp(f[4], "-") != 0 && !catalog_key_valid(f[4]))
		bad(lc, "bad app key \"%s\"", f[4]);
	if (strcmp(f[5], "listener") == 0)
		p.role = ROLE_LISTENER;
	else if (strcmp(f[5], "dependent") == 0)
		p.role = ROLE_DEPENDENT;
	else
		bad(lc, "bad role \"%s\" (listener or dependent)", f[5]);
	parse_sources(lc, f[6], &p.sources);
	if (lc->errs->n != nerr)
		return 0;
	if (cat->nport >= CAT_MAX_ROWS) {
		bad(lc, "too many port rows");
		return 0;
	}

	if ((r = catalog_array_reserve(cat->port, &cat->port_cap, cat->nport,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->port = r;
	r = &cat->port[cat->nport];
	r->p = p;
	r->p.service = -1;
	r->p.app = -1;
	r->app_key = NULL;
	if ((r->svc_key = catalog_intern(cat, f[1])) == NULL ||
	    (strcmp(f[4], "-") != 0 &&
	    (r->app_key = catalog_intern(cat, f[4])) == NULL) ||
	    (r->p.notes = catalog_intern(cat, f[7])) == NULL)
		NOMEM(lc);
	r->at = lc->at;
	cat->nport++;
	return 0;
}

/* app <app_key> <ndpi_names comma-list or -> <description> */
static int
rec_app(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	const struct app_rec *prev;
	const char **names, *key;
	char buf[CAT_MAX_LINE + 1], *tok, *save;
	size_t n = 0, i;
	const int *idx;
	struct app_rec *r;

	if (!catalog_key_valid(f[1])) {
		bad(lc, "bad app key \"%s\"", f[1]);
		return 0;
	}
	if ((idx = catalog_strmap_get(&cat->app_by_key, f[1])) != NULL) {
		prev = &cat->app[*idx];
		bad(lc, "duplicate app \"%s\" (first defined at %s:%u)",
		    f[1], prev->at.file, prev->at.line);
		return 0;
	}
	if (strcmp(f[2], "-") != 0) {
		if (list_has_empty(f[2])) {
			bad(lc, "empty nDPI name in \"%s\"", f[2]);
			return 0;
		}
		for (n = 1, i = 0; f[2][i] != '\0'; i++)
			n += f[2][i] == ',';
	}
	if (cat->napp >= CAT_MAX_ROWS) {
		bad(lc, "too many apps");
		return 0;
	}

	if ((r = catalog_array_reserve(cat->app, &cat->app_cap, cat->napp,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->app = r;
	r = &cat->app[cat->napp];
	if ((names = catalog_arena_alloc(cat, (n + 1) * sizeof(*names),
	    _Alignof(const char *))) == NULL)
		NOMEM(lc);
	i = 0;
	if (n > 0) {
		snprintf(buf, sizeof(buf), "%s", f[2]);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if ((names[i++] = catalog_intern(cat, tok)) == NULL)
				NOMEM(lc);
	}
	names[i] = NULL;
	if ((key = catalog_intern(cat, f[1])) == NULL ||
	    (r->a.description = catalog_intern(cat, f[3])) == NULL ||
	    catalog_strmap_put(&cat->app_by_key, key, (int)cat->napp) == -1)
		NOMEM(lc);
	r->a.key = key;
	r->a.ndpi_names = names;
	r->at = lc->at;
	cat->napp++;
	return 0;
}

/* rpc <uuid> <major.minor> <interface> <service_key> <spec> <notes> */
static int
rec_rpc(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	struct catalog_iface i;
	struct iface_rec *r;
	unsigned nerr = lc->errs->n;

	memset(&i, 0, sizeof(i));
	if (uuid_parse(i.uuid, f[1]) == -1)
		bad(lc, "bad uuid \"%s\" (8-4-4-4-12 hex digits)", f[1]);
	if (!parse_version(f[2], &i.ver_major, &i.ver_minor))
		bad(lc, "bad version \"%s\" (M.m, each 0..65535)", f[2]);
	if (!catalog_key_valid(f[4]))
		bad(lc, "bad service key \"%s\"", f[4]);
	if (lc->errs->n != nerr)
		return 0;
	if (cat->niface >= CAT_MAX_ROWS) {
		bad(lc, "too many interfaces");
		return 0;
	}

	if ((r = catalog_array_reserve(cat->iface, &cat->iface_cap, cat->niface,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->iface = r;
	r = &cat->iface[cat->niface];
	r->i = i;
	r->i.service = -1;
	if ((r->i.name = catalog_intern(cat, f[3])) == NULL ||
	    (r->svc_key = catalog_intern(cat, f[4])) == NULL ||
	    (r->i.spec = catalog_intern(cat, f[5])) == NULL ||
	    (r->i.notes = catalog_intern(cat, f[6])) == NULL)
		NOMEM(lc);
	r->at = lc->at;
	cat->niface++;
	return 0;
}

/* dcom <clsid> <class_name> <service_key> <spec> <notes> */
static int
rec_dcom(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	struct catalog_dcom d;
	struct dcom_rec *r;
	unsigned nerr = lc->errs->n;

	memset(&d, 0, sizeof(d));
	if (uuid_parse(d.clsid, f[1]) == -1)
		bad(lc, "bad clsid \"%s\" (8-4-4-4-12 hex digits)", f[1]);
	if (!catalog_key_valid(f[3]))
		bad(lc, "bad service key \"%s\"", f[3]);
	if (lc->errs->n != nerr)
		return 0;
	if (cat->ndcom >= CAT_MAX_ROWS) {
		bad(lc, "too many DCOM classes");
		return 0;
	}

	if ((r = catalog_array_reserve(cat->dcom, &cat->dcom_cap, cat->ndcom,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->dcom = r;
	r = &cat->dcom[cat->ndcom];
	r->d = d;
	r->d.service = -1;
	if ((r->d.name = catalog_intern(cat, f[2])) == NULL ||
	    (r->svc_key = catalog_intern(cat, f[3])) == NULL ||
	    (r->d.spec = catalog_intern(cat, f[4])) == NULL ||
	    (r->d.notes = catalog_intern(cat, f[5])) == NULL)
		NOMEM(lc);
	r->at = lc->at;
	cat->ndcom++;
	return 0;
}

/*
 * pipe <name> <service_key> <spec> <notes>
 * Names are written as the canonical lowercase form lookups use, so a
 * file cannot hold two spellings of one pipe.
 */
static int
rec_pipe(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	const struct pipe_rec *prev;
	struct pipe_rec *r;
	const int *idx;
	const char *name, *c;
	unsigned nerr = lc->errs->n;

	for (c = f[1]; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    strchr("_-.$ ", *c) != NULL))
			break;
	if (*c != '\0' || c == f[1] || c - f[1] >= CATALOG_PIPE_NAMELEN)
		bad(lc, "bad pipe name \"%s\" (lowercase letters, digits, "
		    "_-.$ and blanks, no \\PIPE\\ prefix, at most %d bytes)",
		    f[1], CATALOG_PIPE_NAMELEN - 1);
	if (!catalog_key_valid(f[2]))
		bad(lc, "bad service key \"%s\"", f[2]);
	if (lc->errs->n != nerr)
		return 0;
	if ((idx = catalog_strmap_get(&cat->pipe_by_name, f[1])) != NULL) {
		prev = &cat->pipe[*idx];
		bad(lc, "duplicate pipe \"%s\" (first defined at %s:%u)",
		    f[1], prev->at.file, prev->at.line);
		return 0;
	}
	if (cat->npipe >= CAT_MAX_ROWS) {
		bad(lc, "too many pipes");
		return 0;
	}
	if ((r = catalog_array_reserve(cat->pipe, &cat->pipe_cap, cat->npipe,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->pipe = r;
	r = &cat->pipe[cat->npipe];
	r->p.service = -1;
	if ((name = catalog_intern(cat, f[1])) == NULL ||
	    (r->svc_key = catalog_intern(cat, f[2])) == NULL ||
	    (r->p.spec = catalog_intern(cat, f[3])) == NULL ||
	    (r->p.notes = catalog_intern(cat, f[4])) == NULL ||
	    catalog_strmap_put(&cat->pipe_by_name, name, (int)cat->npipe) == -1)
		NOMEM(lc);
	r->p.name = name;
	r->at = lc->at;
	cat->npipe++;
	return 0;
}

/*
 * op <uuid> <major.minor> <opnum> <name> <flags> <notes>
 * The interface is named by (uuid, version), not by its name: several
 * rows share a name (jetback 1.0 and 2.0, clusapi 2.0 and 3.0).  It is
 * resolved in catalog_finish(), since a site file may add operations to
 * an interface defined in another file.
 */
static int
rec_op(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	struct op_rec r, *rp;
	char buf[CAT_MAX_LINE + 1], *tok, *save;
	const char *c, *p = f[3];
	unsigned long opnum = 0;
	uint8_t bit;
	unsigned nerr = lc->errs->n;

	memset(&r, 0, sizeof(r));
	if (uuid_parse(r.uuid, f[1]) == -1)
		bad(lc, "bad uuid \"%s\" (8-4-4-4-12 hex digits)", f[1]);
	if (!parse_version(f[2], &r.ver_major, &r.ver_minor))
		bad(lc, "bad version \"%s\" (M.m, each 0..65535)", f[2]);
	if (!parse_dec(&p, 65535, &opnum) || *p != '\0' ||
	    (f[3][0] == '0' && f[3][1] != '\0'))
		bad(lc, "bad opnum \"%s\" (0..65535, no leading zero)", f[3]);
	/* IDL method names are C identifiers. */
	for (c = f[4]; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    *c == '_' || (c != f[4] && *c >= '0' && *c <= '9')))
			break;
	if (*c != '\0' || c - f[4] >= CATALOG_OP_NAMELEN)
		bad(lc, "bad operation name \"%s\" (an IDL identifier, at "
		    "most %d bytes)", f[4], CATALOG_OP_NAMELEN - 1);
	if (strcmp(f[5], "-") != 0) {
		snprintf(buf, sizeof(buf), "%s", f[5]);
		if (list_has_empty(buf))
			bad(lc, "empty flag in \"%s\"", f[5]);
		else
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if ((bit = catalog_op_flag_parse(tok)) == 0) {
					bad(lc, "unknown flag \"%s\" "
					    "(sensitive, reserved)", tok);
					break;
				}
				r.o.flags |= bit;
			}
	}
	if (lc->errs->n != nerr)
		return 0;
	if (cat->nop >= CAT_MAX_ROWS) {
		bad(lc, "too many operations");
		return 0;
	}
	if ((rp = catalog_array_reserve(cat->op, &cat->op_cap, cat->nop,
	    sizeof(*rp))) == NULL)
		NOMEM(lc);
	cat->op = rp;
	r.o.iface = -1;
	r.o.opnum = (uint16_t)opnum;
	r.at = lc->at;
	if ((r.o.name = catalog_intern(cat, f[4])) == NULL ||
	    (r.o.notes = catalog_intern(cat, f[6])) == NULL)
		NOMEM(lc);
	cat->op[cat->nop++] = r;
	return 0;
}

/* "-" (0: no window) or N with an s, m, h or d suffix, at most 365d. */
static bool
parse_window(const char *s, uint32_t *out)
{
	static const struct {
		char		 suffix;
		unsigned long	 mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	unsigned long n;
	size_t i;

	if (strcmp(s, "-") == 0) {
		*out = 0;
		return true;
	}
	if (!parse_dec(&s, 365UL * 86400, &n) || n == 0 || s[0] == '\0' ||
	    s[1] != '\0')
		return false;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].suffix == s[0] && n <= 365UL * 86400 /
		    units[i].mult) {
			*out = (uint32_t)(n * units[i].mult);
			return true;
		}
	return false;
}

/* role <key> <name> <window> <confidence> <severity> <notes> */
static int
rec_role(struct loadctx *lc, char **f)
{
	static const char *const confidences[] = { "high", "medium", "low" };
	struct catalog *cat = lc->cat;
	const struct role_rec *prev;
	struct catalog_host_role rl;
	struct role_rec *r;
	const int *idx;
	unsigned long sev = 0;
	const char *p = f[5];
	unsigned nerr = lc->errs->n;
	size_t i;

	memset(&rl, 0, sizeof(rl));
	if (!catalog_key_valid(f[1]) || strlen(f[1]) > CATALOG_ROLE_KEYLEN)
		bad(lc, "bad role key \"%s\" ([a-z0-9][a-z0-9-]*, at most "
		    "%d characters)", f[1], CATALOG_ROLE_KEYLEN);
	else if ((idx = catalog_strmap_get(&cat->role_by_key, f[1])) !=
	    NULL) {
		prev = &cat->role[*idx];
		bad(lc, "duplicate role \"%s\" (first defined at %s:%u)",
		    f[1], prev->at.file, prev->at.line);
	}
	if (!parse_window(f[3], &rl.window_s))
		bad(lc, "bad window \"%s\" (- or N with s, m, h or d, at "
		    "most 365d)", f[3]);
	for (i = 0; i < sizeof(confidences) / sizeof(confidences[0]); i++)
		if (strcmp(f[4], confidences[i]) == 0)
			break;
	if (i == sizeof(confidences) / sizeof(confidences[0]))
		bad(lc, "bad confidence \"%s\" (high, medium or low)", f[4]);
	if (strcmp(f[5], "-") != 0 && (!parse_dec(&p, 5, &sev) ||
	    *p != '\0' || sev == 0))
		bad(lc, "bad severity \"%s\" (1..5, or - for the new_role "
		    "alert's)", f[5]);
	if (lc->errs->n != nerr)
		return 0;
	if (cat->nrole >= CAT_MAX_ROWS) {
		bad(lc, "too many roles");
		return 0;
	}
	if ((r = catalog_array_reserve(cat->role, &cat->role_cap, cat->nrole,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->role = r;
	r = &cat->role[cat->nrole];
	r->r = rl;
	r->r.severity = (uint8_t)sev;
	r->r.local = lc->local;
	r->at = lc->at;
	if ((r->r.key = catalog_intern(cat, f[1])) == NULL ||
	    (r->r.name = catalog_intern(cat, f[2])) == NULL ||
	    (r->r.confidence = catalog_intern(cat, f[4])) == NULL ||
	    (r->r.notes = catalog_intern(cat, f[6])) == NULL ||
	    catalog_strmap_put(&cat->role_by_key, r->r.key,
	    (int)cat->nrole) == -1)
		NOMEM(lc);
	cat->nrole++;
	return 0;
}

/*
 * One evidence item: "rpc:NAME", "pipe:NAME", "KEY/PORT" or "KEY".  The
 * names are checked against the catalog in catalog_finish().
 */
static bool
parse_evidence(struct loadctx *lc, char *tok, struct catalog_evidence *ev)
{
	struct catalog *cat = lc->cat;
	unsigned long port;
	const char *p;
	char *slash;

	memset(ev, 0, sizeof(*ev));
	ev->service = -1;
	if ((ev->text = catalog_intern(cat, tok)) == NULL)
		return false;
	if (strncmp(tok, "rpc:", 4) == 0 || strncmp(tok, "pipe:", 5) == 0) {
		ev->kind = tok[0] == 'r' ? EVIDENCE_RPC : EVIDENCE_PIPE;
		tok = strchr(tok, ':') + 1;
		if (tok[0] == '\0' || strlen(tok) >= CATALOG_PIPE_NAMELEN) {
			bad(lc, "bad evidence \"%s\" (an interface or pipe "
			    "name after the colon)", ev->text);
			return true;
		}
	} else if ((slash = strchr(tok, '/')) != NULL) {
		*slash = '\0';
		p = slash + 1;
		ev->kind = EVIDENCE_PORT;
		if (!parse_dec(&p, 65535, &port) || *p != '\0' || port == 0) {
			bad(lc, "bad port in evidence \"%s\" (KEY/1..65535)",
			    ev->text);
			return true;
		}
		ev->port = (uint16_t)port;
	} else
		ev->kind = EVIDENCE_SERVICE;
	if ((ev->kind == EVIDENCE_SERVICE || ev->kind == EVIDENCE_PORT) &&
	    !catalog_key_valid(tok)) {
		bad(lc, "bad service key in evidence \"%s\"", ev->text);
		return true;
	}
	return (ev->name = catalog_intern(cat, tok)) != NULL;
}

/* need <role_key> <all|any> <evidence,...> <notes> */
static int
rec_need(struct loadctx *lc, char **f)
{
	struct catalog *cat = lc->cat;
	struct catalog_evidence *items;
	char buf[CAT_MAX_LINE + 1], *tok, *save;
	struct need_rec *r;
	size_t n, i;
	unsigned nerr = lc->errs->n;

	if (!catalog_key_valid(f[1]))
		bad(lc, "bad role key \"%s\"", f[1]);
	if (strcmp(f[2], "all") != 0 && strcmp(f[2], "any") != 0)
		bad(lc, "bad need \"%s\" (all or any)", f[2]);
	if (list_has_empty(f[3]))
		bad(lc, "empty evidence in \"%s\"", f[3]);
	if (lc->errs->n != nerr)
		return 0;
	for (n = 1, i = 0; f[3][i] != '\0'; i++)
		n += f[3][i] == ',';
	if (cat->nneed >= CAT_MAX_ROWS) {
		bad(lc, "too many needs");
		return 0;
	}
	if ((items = catalog_arena_alloc(cat, n * sizeof(*items),
	    _Alignof(struct catalog_evidence))) == NULL)
		NOMEM(lc);
	snprintf(buf, sizeof(buf), "%s", f[3]);
	i = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		if (!parse_evidence(lc, tok, &items[i++]))
			NOMEM(lc);
	if (lc->errs->n != nerr)
		return 0;
	if ((r = catalog_array_reserve(cat->need, &cat->need_cap, cat->nneed,
	    sizeof(*r))) == NULL)
		NOMEM(lc);
	cat->need = r;
	r = &cat->need[cat->nneed];
	memset(r, 0, sizeof(*r));
	r->n.role = -1;
	r->n.all = strcmp(f[2], "all") == 0;
	r->n.items = items;
	r->n.nitems = n;
	r->items = items;
	r->at = lc->at;
	if ((r->role_key = catalog_intern(cat, f[1])) == NULL ||
	    (r->n.notes = catalog_intern(cat, f[4])) == NULL)
		NOMEM(lc);
	cat->nneed++;
	return 0;
}

static const struct {
	const char	*kind;
	size_t		 nfields;
	int		(*parse)(struct loadctx *, char **);
} record_kinds[] = {
	{ "service", 5, rec_service },
	{ "port", 8, rec_port },
	{ "app", 4, rec_app },
	{ "rpc", 7, rec_rpc },
	{ "dcom", 6, rec_dcom },
	{ "pipe", 5, rec_pipe },
	{ "op", 7, rec_op },
	{ "role", 7, rec_role },
	{ "need", 5, rec_need },
	{ NULL, 0, NULL }
};

/* Split at TABs in place; returns the field count (may exceed max). */
static size_t
split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *tab;

	for (;;) {
		if (n < max)
			f[n] = line;
		n++;
		if ((tab = strchr(line, '\t')) == NULL)
			return n;
		*tab = '\0';
		line = tab + 1;
	}
}

static int
parse_line(struct loadctx *lc, char *line, size_t len)
{
	char *f[CAT_MAX_FIELDS];
	const char *why;
	size_t n, i, k;

	if ((why = text_problem((const unsigned char *)line, len)) != NULL) {
		bad(lc, "%s", why);
		return 0;
	}
	n = split_fields(line, f, CAT_MAX_FIELDS);
	for (k = 0; record_kinds[k].kind != NULL; k++)
		if (strcmp(record_kinds[k].kind, f[0]) == 0)
			break;
	if (record_kinds[k].kind == NULL) {
		bad(lc, "unknown record kind \"%.40s\" (service, port, app, "
		    "rpc, dcom, pipe, op, role, need)", f[0]);
		return 0;
	}
	if (n != record_kinds[k].nfields) {
		bad(lc, "%s record has %zu fields, want %zu", f[0], n,
		    record_kinds[k].nfields);
		return 0;
	}
	for (i = 1; i < n; i++) {
		if (f[i][0] == '\0') {
			bad(lc, "field %zu of the %s record is empty (write "
			    "\"-\" for none)", i + 1, f[0]);
			return 0;
		}
	}
	return record_kinds[k].parse(lc, f);
}

enum line_status { LINE_OK, LINE_EOF, LINE_LONG };

/*
 * One line into buf (CAT_MAX_LINE + 2 bytes) without its newline or a
 * trailing '\r'.  A longer line is consumed to its end and reported as
 * LINE_LONG, so that the next line is read at the right place.
 */
static enum line_status
read_line(FILE *fp, char *buf, size_t *lenp)
{
	size_t len = 0;
	bool any = false;
	int c;

	while ((c = getc(fp)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (len <= CAT_MAX_LINE)
			buf[len] = (char)c;
		len++;
	}
	if (!any)
		return LINE_EOF;
	if (len > 0 && len <= CAT_MAX_LINE + 1 && buf[len - 1] == '\r')
		len--;
	if (len > CAT_MAX_LINE)
		return LINE_LONG;
	buf[len] = '\0';
	*lenp = len;
	return LINE_OK;
}

static bool
line_is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/*
 * The lines of fp, once lc names the file.  Separate from the opening so
 * that the fuzz target (tests/fuzz/fuzz_catalog.c) feeds it a memory
 * stream: the same reader without a file system call per input.
 */
static void
load_stream(struct loadctx *lc, FILE *fp)
{
	char buf[CAT_MAX_LINE + 2];
	enum line_status st;
	size_t len;

	while ((st = read_line(fp, buf, &len)) != LINE_EOF) {
		lc->at.line++;
		if (st == LINE_LONG) {
			bad(lc, "line longer than %d bytes", CAT_MAX_LINE);
			continue;
		}
		if (buf[0] == '#' || line_is_blank(buf))
			continue;
		if (parse_line(lc, buf, len) == -1)
			break;
	}
	if (ferror(fp)) {
		lc->at.line = 0;
		bad(lc, "read error: %s", strerror(errno));
	}
}

int
catalog_load_file(struct catalog *cat, const char *path, bool local,
    char *err, size_t errlen)
{
	struct errs errs = { err, errlen, 0 };
	struct loadctx lc;
	char why[128];
	FILE *fp;

	lc.cat = cat;
	lc.errs = &errs;
	lc.local = local;
	lc.at.file = path;
	lc.at.line = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (cat->finished) {
		bad(&lc, "catalog already finished");
		return -1;
	}
	if ((lc.at.file = catalog_intern(cat, path)) == NULL) {
		lc.at.file = path;
		bad(&lc, "out of memory");
		return -1;
	}
	if ((fp = cfgfile_open(path, CFGFILE_CATALOG_MAX, why,
	    sizeof(why))) == NULL) {
		bad(&lc, "%s", why);
		return -1;
	}
	load_stream(&lc, fp);
	fclose(fp);
	return errs.n == 0 ? 0 : -1;
}
