/*
 * roles.c - host roles from served services (roles.h), and the daemon's
 * bounded table of what each host served.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcmap/catalog.h"
#include "svcmap/roles.h"

bool
roles_evidence_match(const struct catalog_evidence *ev,
    const struct role_served *s)
{
	const char *p;

	switch (ev->kind) {
	case EVIDENCE_SERVICE:
		return strcmp(s->service, ev->name) == 0;
	case EVIDENCE_PORT:
		return s->port == ev->port && strcmp(s->service, ev->name) == 0;
	case EVIDENCE_RPC:
		return strcmp(s->interface, ev->name) == 0;
	case EVIDENCE_PIPE:
		/* Stored as SMB sent it: "\PIPE\spoolss", "\spoolss". */
		p = s->pipe;
		if (*p == '\\')
			p++;
		if (strncasecmp(p, "PIPE\\", 5) == 0)
			p += 5;
		return strcasecmp(p, ev->name) == 0;
	}
	return false;
}

/* Add an item to the match once (items may repeat across needs). */
static void
match_add(struct role_match *m, const char *text, int64_t first,
    int64_t last)
{
	size_t i;

	for (i = 0; i < m->nev; i++)
		if (strcmp(m->ev[i].text, text) == 0)
			return;
	if (m->nev == ROLES_MAX_EVIDENCE)
		return;
	m->ev[m->nev].text = text;
	m->ev[m->nev].first_seen = first;
	m->ev[m->nev].last_seen = last;
	m->nev++;
}

bool
roles_eval(const struct catalog *cat, int role, role_seen_fn seen,
    void *arg, struct role_match *m)
{
	const struct catalog_host_role *r = catalog_role(cat, role);
	const struct catalog_need *nd;
	int64_t latest = 0, floor = INT64_MIN, since = 0, gsince, f, l;
	size_t i, j, nneeds = catalog_nneeds(cat);
	bool counts, met;

	/* The window ends at the role's latest evidence. */
	for (i = 0; i < nneeds; i++) {
		nd = catalog_need(cat, (int)i);
		if (nd->role != role)
			continue;
		for (j = 0; j < nd->nitems; j++)
			if (seen(arg, (int)i, j, &f, &l) && l > latest)
				latest = l;
	}
	if (latest == 0)
		return false;
	if (r->window_s != 0)
		floor = latest - (int64_t)r->window_s;
	memset(m, 0, sizeof(*m));
	m->role = role;
	m->last_seen = latest;
	for (i = 0; i < nneeds; i++) {
		nd = catalog_need(cat, (int)i);
		if (nd->role != role)
			continue;
		met = nd->all;
		gsince = nd->all ? 0 : INT64_MAX;
		for (j = 0; j < nd->nitems; j++) {
			counts = seen(arg, (int)i, j, &f, &l) && l >= floor;
			if (nd->all && !counts)
				return false;
			if (!counts)
				continue;
			met = true;
			if (nd->all ? f > gsince : f < gsince)
				gsince = f;
			match_add(m, nd->items[j].text, f, l);
		}
		if (!met)
			return false;
		if (gsince > since)
			since = gsince;
	}
	m->since = since;
	return true;
}

struct served_list {
	const struct catalog	*cat;
	const struct role_served *s;
	size_t			 n;
};

static bool
served_seen(void *arg, int need, size_t item, int64_t *first, int64_t *last)
{
	const struct served_list *sl = arg;
	const struct catalog_evidence *ev =
	    &catalog_need(sl->cat, need)->items[item];
	bool found = false;
	size_t i;

	for (i = 0; i < sl->n; i++) {
		if (!roles_evidence_match(ev, &sl->s[i]))
			continue;
		if (!found || sl->s[i].first_seen < *first)
			*first = sl->s[i].first_seen;
		if (!found || sl->s[i].last_seen > *last)
			*last = sl->s[i].last_seen;
		found = true;
	}
	return found;
}

size_t
roles_of_served(const struct catalog *cat, const struct role_served *s,
    size_t n, struct role_match *out, size_t max)
{
	struct served_list sl = { cat, s, n };
	size_t i, k = 0;

	for (i = 0; i < catalog_nroles(cat) && k < max; i++)
		if (roles_eval(cat, (int)i, served_seen, &sl, &out[k]))
			k++;
	return k;
}

/*
 * The daemon's table.
 */
struct track_slot {
	struct addr	 host;
	uint64_t	 item;		/* hash of the item's text */
	int64_t		 first_s;
	int64_t		 last_s;
	bool		 used;
	bool		 touched;	/* to evaluate at the next eval */
};

/*
 * The slots touched since the last evaluation are listed by index, so an
 * evaluation (every drain) costs what changed, not a walk of the whole
 * table: on the million-packet bench the walk was a fifth of svcmapd's
 * instructions.
 */
struct role_track {
	struct track_slot	*slots;
	uint32_t		 mask;	/* capacity - 1, a power of two */
	uint32_t		*dirty;	/* touched slots, each once */
	uint32_t		 ndirty;
	uint64_t		 overflows;
};

static uint64_t
item_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a 64 */

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

struct role_track *
role_track_create(uint32_t capacity)
{
	struct role_track *t;
	uint32_t cap = 16;

	while (cap < capacity && cap < (1U << 30))
		cap <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slots = calloc(cap, sizeof(*t->slots))) == NULL ||
	    (t->dirty = calloc(cap, sizeof(*t->dirty))) == NULL) {
		free(t->slots);
		free(t);
		return NULL;
	}
	t->mask = cap - 1;
	return t;
}

void
role_track_destroy(struct role_track *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->dirty);
	free(t);
}

/* The slot of (host, item), a free one for it (add), or NULL. */
static struct track_slot *
slot_find(struct role_track *t, const struct addr *host, uint64_t item,
    bool add)
{
	uint32_t h = addr_hash(host, (uint32_t)(item ^ (item >> 32))), i;
	struct track_slot *s;

	for (i = 0; i <= t->mask; i++) {
		s = &t->slots[(h + i) & t->mask];
		if (!s->used)
			return add ? s : NULL;
		if (s->item == item && addr_eq(&s->host, host))
			return s;
	}
	return NULL;
}

void
role_track_served(struct role_track *t, const struct catalog *cat,
    const struct addr *host, const struct role_served *s)
{
	const struct catalog_need *nd;
	struct track_slot *ts;
	size_t i, j;
	uint64_t item;

	for (i = 0; i < catalog_nneeds(cat); i++) {
		nd = catalog_need(cat, (int)i);
		for (j = 0; j < nd->nitems; j++) {
			if (!roles_evidence_match(&nd->items[j], s))
				continue;
			item = item_hash(nd->items[j].text);
			if ((ts = slot_find(t, host, item, true)) == NULL) {
				t->overflows++;
				continue;
			}
			if (!ts->used) {
				ts->used = true;
				ts->host = *host;
				ts->item = item;
				ts->first_s = s->first_seen;
				ts->last_s = s->last_seen;
			}
			if (s->first_seen < ts->first_s)
				ts->first_s = s->first_seen;
			if (s->last_seen > ts->last_s)
				ts->last_s = s->last_seen;
			/* Listed once: only an evaluation clears the mark. */
			if (!ts->touched && t->ndirty <= t->mask) {
				ts->touched = true;
				t->dirty[t->ndirty++] = (uint32_t)(ts - t->slots);
			}
		}
	}
}

struct track_host {
	struct role_track	*t;
	const struct catalog	*cat;
	const struct addr	*host;
};

/* The evaluation's lookups also clear the host's marks. */
static bool
track_seen(void *arg, int need, size_t item, int64_t *first, int64_t *last)
{
	const struct track_host *th = arg;
	struct track_slot *s;

	s = slot_find(th->t, th->host, item_hash(catalog_need(th->cat,
	    need)->items[item].text), false);
	if (s == NULL)
		return false;
	s->touched = false;
	*first = s->first_s;
	*last = s->last_s;
	return true;
}

void
role_track_eval(struct role_track *t, const struct catalog *cat,
    role_held_fn fn, void *arg)
{
	struct track_host th = { t, cat, NULL };
	struct role_match m;
	struct addr host;
	uint32_t i, k;
	size_t r;

	/* An evaluation's lookups clear the marks of the host's other
	 * slots (track_seen()): their entries are skipped. */
	for (k = 0; k < t->ndirty; k++) {
		i = t->dirty[k];
		if (!t->slots[i].used || !t->slots[i].touched)
			continue;
		/* A copy: fn must not see the slot change under it. */
		host = t->slots[i].host;
		t->slots[i].touched = false;
		th.host = &host;
		for (r = 0; r < catalog_nroles(cat); r++)
			if (roles_eval(cat, (int)r, track_seen, &th, &m))
				fn(arg, &host, &m);
	}
	t->ndirty = 0;
}

uint64_t
role_track_overflows(const struct role_track *t)
{
	return t->overflows;
}
