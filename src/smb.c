/*
 * smb.c - SMB over TCP: NetBIOS session service framing, per-connection
 * tables (pipes, pending requests, trees) and the feed loop that hands
 * whole messages to smb1.c / smb2.c.
 *
 * specification: [RFC 1002] 4.3 (session service), [MS-SMB2] 2.1 (direct
 * TCP transport), [MS-CIFS] 2.1.1.
 *
 * Session service header (the same 4 bytes on 139 and 445; on 445 only
 * type 0 is legal, and the length has 24 bits):
 *
 *   0       1       2       3
 *  +-------+-------+-------+-------+
 *  | type  | flags |    length     |   139: flags bit 0 = length bit 16
 *  +-------+-------+-------+-------+   445: flags = length bits 16..23
 *
 * Each direction is a stream of such messages.  The first SMB_HEAD_MAX
 * bytes of a message go into a fixed array, and a peek there decides
 * whether the message concerns a pipe (for smb_feed()'s attribution) and
 * whether it must be read whole: control messages (NEGOTIATE,
 * TREE_CONNECT, CREATE, CLOSE ...) and pipe data are; file data, session
 * setup and transforms are skipped without being copied.  Framing that
 * cannot be trusted, or a gap outside the message in progress, puts the
 * direction into resync: bytes are dropped until the eight bytes
 * "00 len len len {FF,FE,FD,FC} S M B" start a message, so a lost segment
 * never makes file data parse as a header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcmap/rd.h"
#include "svcmap/smb.h"

#include "smb_int.h"

struct smb_parser *
smb_parser_create(const struct smb_config *cfg)
{
	struct smb_parser *p;
	unsigned i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (cfg != NULL)
		p->cfg = *cfg;
	if (p->cfg.max_pipes == 0)
		p->cfg.max_pipes = SMB_DEFAULT_MAX_PIPES;
	/* Slots are returned as int and fit a byte in pending state. */
	if (p->cfg.max_pipes > 255)
		p->cfg.max_pipes = 255;
	if (p->cfg.max_pending == 0)
		p->cfg.max_pending = SMB_DEFAULT_MAX_PENDING;
	if (p->cfg.max_trees == 0)
		p->cfg.max_trees = SMB_DEFAULT_MAX_TREES;
	if (p->cfg.max_msg == 0)
		p->cfg.max_msg = SMB_DEFAULT_MAX_MSG;
	/* A whole-message buffer smaller than the head would never be used. */
	if (p->cfg.max_msg < SMB_HEAD_MAX)
		p->cfg.max_msg = SMB_HEAD_MAX;
	if (p->cfg.max_buffers == 0)
		p->cfg.max_buffers = SMB_DEFAULT_MAX_BUFFERS;
	if ((p->pool = calloc(p->cfg.max_buffers, p->cfg.max_msg)) == NULL ||
	    (p->free_bufs = calloc(p->cfg.max_buffers,
	    sizeof(*p->free_bufs))) == NULL) {
		smb_parser_destroy(p);
		return NULL;
	}
	for (i = 0; i < p->cfg.max_buffers; i++)
		p->free_bufs[i] = p->pool + (size_t)i * p->cfg.max_msg;
	p->nfree = p->cfg.max_buffers;
	return p;
}

void
smb_parser_destroy(struct smb_parser *p)
{
	if (p == NULL)
		return;
	free(p->free_bufs);
	free(p->pool);
	free(p);
}

const struct smb_stats *
smb_parser_stats(const struct smb_parser *p)
{
	return &p->st;
}

/*
 * A connection and its tables, one allocation: the struct, then the
 * pipe slots, the pending requests and the trees, each aligned for its
 * type (the entries hold uint64_t, so 8-byte steps suffice).
 */
#define ALIGN8(n)	(((n) + 7) & ~(size_t)7)

static size_t
conn_off_pending(const struct smb_parser *p)
{
	return ALIGN8(sizeof(struct smb_conn)) +
	    ALIGN8((size_t)p->cfg.max_pipes * sizeof(struct smb_pipe_slot));
}

static size_t
conn_off_trees(const struct smb_parser *p)
{
	return conn_off_pending(p) +
	    ALIGN8((size_t)p->cfg.max_pending * sizeof(struct smb_pending));
}

size_t
smb_conn_size(const struct smb_parser *p)
{
	return conn_off_trees(p) +
	    (size_t)p->cfg.max_trees * sizeof(struct smb_tree);
}

struct smb_conn *
smb_conn_create(struct smb_parser *p)
{
	struct smb_conn *c;
	uint8_t *m;

	if ((m = calloc(1, smb_conn_size(p))) == NULL)
		return NULL;
	c = (struct smb_conn *)m;
	c->p = p;
	c->slots = (struct smb_pipe_slot *)(m +
	    ALIGN8(sizeof(struct smb_conn)));
	c->slots_cap = p->cfg.max_pipes;
	c->pending = (struct smb_pending *)(m + conn_off_pending(p));
	c->pending_cap = p->cfg.max_pending;
	c->trees = (struct smb_tree *)(m + conn_off_trees(p));
	c->trees_cap = p->cfg.max_trees;
	c->d[0].pipe = c->d[1].pipe = -1;
	c->touched = -1;
	return c;
}

/* Give a direction's buffer back to the pool. */
static void
dir_release(struct smb_conn *c, struct smb_dir *d)
{
	if (d->buf == NULL)
		return;
	c->p->free_bufs[c->p->nfree++] = d->buf;
	d->buf = NULL;
}

void
smb_conn_destroy(struct smb_conn *c)
{
	if (c == NULL)
		return;
	dir_release(c, &c->d[0]);
	dir_release(c, &c->d[1]);
	free(c);
}

enum smb_version
smb_conn_version(const struct smb_conn *c, uint16_t *dialect)
{
	if (dialect != NULL)
		*dialect = c->dialect;
	return c->version;
}

uint64_t
smb_conn_encrypted(const struct smb_conn *c)
{
	return c->encrypted;
}

void
smb_set_version(struct smb_conn *c, enum smb_version v, uint16_t dialect,
    const struct smb_sink *sink)
{
	/*
	 * A client's SMB1 NEGOTIATE answered in SMB2 moves the connection
	 * to SMB2; a known dialect is never forgotten for "unknown".
	 */
	if (v == c->version && (dialect == 0 || dialect == c->dialect))
		return;
	if (v == SMB_VERSION_1 && c->version == SMB_VERSION_2)
		return;
	if (v != c->version)
		c->dialect = 0;
	c->version = v;
	if (dialect != 0)
		c->dialect = dialect;
	if (sink->dialect != NULL)
		sink->dialect(sink->arg, c->version, c->dialect);
}

/* Pipe names ------------------------------------------------------------ */

void
smb_pipe_name_normalise(const char *in, char out[SMB_PIPE_NAME_MAX])
{
	size_t i = 0;
	char ch;

	while (*in == '\\' || *in == '/')
		in++;
	if (strncasecmp(in, "pipe\\", 5) == 0 ||
	    strncasecmp(in, "pipe/", 5) == 0)
		in += 5;
	while (*in == '\\')
		in++;
	out[i++] = '\\';
	for (; *in != '\0' && i < SMB_PIPE_NAME_MAX - 1; in++) {
		ch = *in;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		else if (ch < 0x20 || ch > 0x7e)
			ch = '?';
		out[i++] = ch;
	}
	out[i] = '\0';
}

void
smb_read_name(const uint8_t *s, size_t len, bool wide,
    char out[SMB_PIPE_NAME_MAX])
{
	char raw[SMB_PIPE_NAME_MAX + 8];
	size_t i, n = 0;
	unsigned ch;

	for (i = 0; n < sizeof(raw) - 1; ) {
		if (wide) {
			if (len - i < 2)
				break;
			ch = (unsigned)s[i] | (unsigned)s[i + 1] << 8;
			i += 2;
		} else {
			if (i >= len)
				break;
			ch = s[i++];
		}
		if (ch == 0)
			break;
		/* Non-ASCII never names a pipe we know; keep it visible. */
		raw[n++] = ch < 0x80 ? (char)ch : '?';
	}
	raw[n] = '\0';
	smb_pipe_name_normalise(raw, out);
}

bool
smb_str_ends_ipc(const uint8_t *s, size_t len, bool wide)
{
	static const char want[] = "\\ipc$";
	char last[5] = { 0 };
	size_t i, n = 0;
	unsigned ch;

	for (i = 0; ; ) {
		if (wide) {
			if (len - i < 2)
				break;
			ch = (unsigned)s[i] | (unsigned)s[i + 1] << 8;
			i += 2;
		} else {
			if (i >= len)
				break;
			ch = s[i++];
		}
		if (ch == 0)
			break;
		if (ch >= 'A' && ch <= 'Z')
			ch = ch - 'A' + 'a';
		/* The last five characters, oldest first. */
		memmove(last, last + 1, 4);
		last[4] = ch < 0x80 ? (char)ch : '?';
		n++;
	}
	return n >= 5 && memcmp(last, want, 5) == 0;
}

bool
smb_known_pipe(const struct smb_sink *sink, const char *name)
{
	return sink->pipe_known != NULL && sink->pipe_known(sink->arg, name);
}

/* Pipes ----------------------------------------------------------------- */

struct smb_pipe *
smb_pipe_find(struct smb_conn *c, const uint8_t *fid, size_t fid_len)
{
	struct smb_pipe_slot *sl;
	unsigned i;

	for (i = 0; i < c->slots_cap; i++) {
		sl = &c->slots[i];
		if (sl->used && sl->pipe.fid_len == fid_len &&
		    memcmp(sl->pipe.fid, fid, fid_len) == 0)
			return &sl->pipe;
	}
	return NULL;
}

struct smb_pipe *
smb_pipe_open(struct smb_conn *c, enum smb_version v, const uint8_t *fid,
    size_t fid_len, uint32_t tree, const char *name,
    const struct smb_sink *sink)
{
	struct smb_pipe *pp;
	unsigned i;

	/* A server reusing a file id closed what we missed the close of. */
	if ((pp = smb_pipe_find(c, fid, fid_len)) != NULL)
		smb_pipe_close(c, pp, sink);
	for (i = 0; i < c->slots_cap; i++)
		if (!c->slots[i].used)
			break;
	if (i == c->slots_cap) {
		c->p->st.bound_pipes++;
		return NULL;
	}
	pp = &c->slots[i].pipe;
	memset(pp, 0, sizeof(*pp));
	pp->slot = i;
	pp->version = v;
	memcpy(pp->fid, fid, fid_len);
	pp->fid_len = (uint8_t)fid_len;
	pp->tree = tree;
	snprintf(pp->name, sizeof(pp->name), "%s", name);
	c->slots[i].used = true;
	c->p->st.pipes_opened++;
	if (sink->pipe_open != NULL)
		sink->pipe_open(sink->arg, pp);
	return pp;
}

void
smb_pipe_close(struct smb_conn *c, struct smb_pipe *pipe,
    const struct smb_sink *sink)
{
	if (!c->slots[pipe->slot].used)
		return;
	c->p->st.pipes_closed++;
	if (sink->pipe_close != NULL)
		sink->pipe_close(sink->arg, pipe);
	c->slots[pipe->slot].used = false;
}

void
smb_pipe_data(struct smb_conn *c, struct smb_pipe *pipe, int dir,
    const uint8_t *data, size_t len, const struct smb_sink *sink)
{
	if (c->touched < 0)
		c->touched = (int)pipe->slot;
	if (len == 0)
		return;
	c->p->st.pipe_bytes += len;
	if (sink->pipe_data != NULL)
		sink->pipe_data(sink->arg, pipe, dir, data, len);
}

void
smb_pipe_gap(struct smb_conn *c, struct smb_pipe *pipe, int dir, size_t len,
    const struct smb_sink *sink)
{
	if (c->touched < 0)
		c->touched = (int)pipe->slot;
	if (len > 0 && sink->pipe_gap != NULL)
		sink->pipe_gap(sink->arg, pipe, dir, len);
}

/* Pending requests ------------------------------------------------------ */

/*
 * A new entry; when the table is full the oldest goes (counted): a
 * request whose response we never saw must not block tracking forever.
 */
struct smb_pending *
smb_pending_add(struct smb_conn *c)
{
	struct smb_pending *pe = NULL, *old = NULL;
	unsigned i;

	for (i = 0; i < c->pending_cap; i++) {
		pe = &c->pending[i];
		if (!pe->used)
			break;
		if (old == NULL || pe->age < old->age)
			old = pe;
	}
	if (i == c->pending_cap) {
		c->p->st.bound_pending++;
		pe = old;
	}
	memset(pe, 0, sizeof(*pe));
	pe->used = true;
	pe->age = ++c->clock;
	return pe;
}

struct smb_pending *
smb_pending_find(struct smb_conn *c, uint8_t version, uint64_t key,
    uint16_t cmd, uint16_t tid, uint16_t uid)
{
	struct smb_pending *pe;
	unsigned i;

	for (i = 0; i < c->pending_cap; i++) {
		pe = &c->pending[i];
		if (!pe->used || pe->version != version || pe->key != key ||
		    pe->cmd != cmd)
			continue;
		if (version == SMB_VERSION_1 && !pe->loose &&
		    (pe->tid != tid || pe->uid != uid))
			continue;
		return pe;
	}
	return NULL;
}

/* Trees ----------------------------------------------------------------- */

struct smb_tree *
smb_tree_find(struct smb_conn *c, uint32_t id)
{
	unsigned i;

	for (i = 0; i < c->trees_cap; i++)
		if (c->trees[i].used && c->trees[i].id == id)
			return &c->trees[i];
	return NULL;
}

enum tree_kind
smb_tree_kind(struct smb_conn *c, uint32_t id)
{
	struct smb_tree *t = smb_tree_find(c, id);

	if (t == NULL)
		return TREE_UNKNOWN;
	return t->pipe ? TREE_PIPE : TREE_OTHER;
}

void
smb_tree_add(struct smb_conn *c, uint32_t id, bool pipe)
{
	struct smb_tree *t, *old = NULL;
	unsigned i;

	if ((t = smb_tree_find(c, id)) == NULL) {
		for (i = 0; i < c->trees_cap; i++) {
			t = &c->trees[i];
			if (!t->used)
				break;
			if (old == NULL || t->age < old->age)
				old = t;
		}
		if (i == c->trees_cap) {
			c->p->st.bound_trees++;
			t = old;
		}
	}
	t->used = true;
	t->id = id;
	t->pipe = pipe;
	t->age = ++c->clock;
}

void
smb_tree_remove(struct smb_conn *c, uint32_t id, const struct smb_sink *sink)
{
	struct smb_tree *t;
	unsigned i;

	if ((t = smb_tree_find(c, id)) != NULL)
		t->used = false;
	for (i = 0; i < c->slots_cap; i++)
		if (c->slots[i].used && c->slots[i].pipe.tree == id)
			smb_pipe_close(c, &c->slots[i].pipe, sink);
}

/* Framing --------------------------------------------------------------- */

static bool
smb_protocol_byte(uint8_t b)
{
	return b == 0xff || b == 0xfe || b == 0xfd || b == 0xfc;
}

static void
dir_resync(struct smb_conn *c, struct smb_dir *d)
{
	dir_release(c, d);
	c->p->st.resyncs++;
	d->st = D_RESYNC;
	d->win = 0;
	d->win_n = 0;
	d->pipe = -1;
}

/*
 * The message's head is in: decide what it is.  Transforms are counted
 * and skipped (an encrypted payload must never reach a parser), SMB1 and
 * SMB2 ask their peek.  Returns false if the head is not SMB at all.
 */
static bool
msg_classify(struct smb_conn *c, struct smb_dir *d, int dir, bool *want,
    const struct smb_sink *sink)
{
	const uint8_t *h = d->head;
	struct smb_parser *p = c->p;

	*want = false;
	d->pipe = -1;
	if (d->head_have < 4 || !smb_protocol_byte(h[0]) ||
	    memcmp(h + 1, "SMB", 3) != 0)
		return false;
	switch (h[0]) {
	case 0xfd:
		/* [MS-SMB2] 2.2.41: SMB2 TRANSFORM_HEADER, SMB 3.x only. */
		p->st.encrypted++;
		c->encrypted++;
		if (c->version != SMB_VERSION_2)
			smb_set_version(c, SMB_VERSION_2, 0, sink);
		if (sink->encrypted != NULL)
			sink->encrypted(sink->arg, dir, (size_t)d->len + 4);
		return true;
	case 0xfc:
		/* [MS-SMB2] 2.2.42: COMPRESSION_TRANSFORM_HEADER. */
		p->st.compressed++;
		return true;
	case 0xfe:
		if (c->version != SMB_VERSION_2)
			smb_set_version(c, SMB_VERSION_2, 0, sink);
		d->pipe = smb2_peek(c, h, d->head_have, want);
		return true;
	default:
		/*
		 * A client's SMB1 NEGOTIATE offers SMB2 too: only an SMB1
		 * answer or any other SMB1 message makes the session SMB1.
		 */
		if (c->version == SMB_VERSION_UNKNOWN &&
		    (d->head_have < 10 || h[4] != 0x72 || (h[9] & 0x80)))
			smb_set_version(c, SMB_VERSION_1, 0, sink);
		d->pipe = smb1_peek(c, h, d->head_have, want);
		return true;
	}
}

static void
msg_process(struct smb_conn *c, int dir, const uint8_t *msg, size_t len,
    const struct smb_sink *sink)
{
	if (msg[0] == 0xfe)
		smb2_process(c, dir, msg, len, sink);
	else
		smb1_process(c, dir, msg, len, sink);
}

/*
 * Borrow a buffer for a message of len bytes; false if it is over
 * max_msg or the pool is empty (counted: the caller skips it).
 */
static bool
dir_reserve(struct smb_conn *c, struct smb_dir *d, uint32_t len)
{
	struct smb_parser *p = c->p;

	if (len > p->cfg.max_msg)
		return false;
	if (d->buf != NULL)
		return true;
	if (p->nfree == 0) {
		p->st.bound_buffers++;
		return false;
	}
	d->buf = p->free_bufs[--p->nfree];
	return true;
}

/* The bytes of a message we will not read: its pipe loses them. */
static void
msg_lost(struct smb_conn *c, struct smb_dir *d, int dir, size_t n,
    const struct smb_sink *sink)
{
	if (d->pipe >= 0 && (unsigned)d->pipe < c->slots_cap &&
	    c->slots[d->pipe].used && sink->pipe_gap != NULL)
		sink->pipe_gap(sink->arg, &c->slots[d->pipe].pipe, dir, n);
}

/*
 * The NBSS header is in.  Session messages go on to their head; the
 * 139-only control packets are skipped after a plausibility check of
 * their length ([RFC 1002] 4.3: a session request holds two encoded
 * names, the others are 0, 1 or 6 bytes).
 */
static bool
nbss_header(struct smb_conn *c, struct smb_dir *d)
{
	const uint8_t *nb = d->nb;
	uint32_t len;

	if (nb[0] == NBSS_MESSAGE) {
		d->len = (uint32_t)nb[1] << 16 | (uint32_t)nb[2] << 8 | nb[3];
		c->p->st.messages++;
		d->head_have = 0;
		d->pipe = -1;
		d->st = d->len == 0 ? D_HDR : D_HEAD;
		return true;
	}
	if (nb[1] & 0xfe)
		return false;
	len = (uint32_t)(nb[1] & 1) << 16 | (uint32_t)nb[2] << 8 | nb[3];
	switch (nb[0]) {
	case NBSS_REQUEST:
		if (len < 4 || len > 1024)
			return false;
		break;
	case NBSS_POSITIVE:
	case NBSS_KEEPALIVE:
		if (len != 0)
			return false;
		break;
	case NBSS_NEGATIVE:
		if (len != 1)
			return false;
		break;
	case NBSS_RETARGET:
		if (len != 6)
			return false;
		break;
	default:
		return false;
	}
	c->p->st.nbss_control++;
	d->pipe = -1;
	d->left = len;
	d->st = len == 0 ? D_HDR : D_SKIP;
	return true;
}

/*
 * The head is complete (all of a short message, or SMB_HEAD_MAX bytes):
 * classify, then process it in place, buffer the rest, or skip the rest.
 */
static void
head_done(struct smb_conn *c, struct smb_dir *d, int dir,
    const struct smb_sink *sink)
{
	bool want;

	if (!msg_classify(c, d, dir, &want, sink)) {
		c->p->st.invalid++;
		dir_resync(c, d);
		return;
	}
	if (d->head_have == d->len) {
		if (want)
			msg_process(c, dir, d->head, d->len, sink);
		d->st = D_HDR;
		return;
	}
	if (want && dir_reserve(c, d, d->len)) {
		memcpy(d->buf, d->head, d->head_have);
		d->have = d->head_have;
		d->st = D_BODY;
		return;
	}
	if (want) {
		if (d->len > c->p->cfg.max_msg)
			c->p->st.oversize++;
		msg_lost(c, d, dir, d->len, sink);
	}
	d->left = d->len - d->head_have;
	d->st = D_SKIP;
}

/*
 * D_RESYNC: slide an 8-byte window until it reads as a session message
 * header followed by an SMB protocol id.  Returns bytes consumed; when it
 * found one, the direction is in D_HEAD with the protocol id in head.
 */
static size_t
resync_scan(struct smb_dir *d, const uint8_t *data, size_t len)
{
	size_t i;
	uint64_t w;
	uint32_t mlen;

	for (i = 0; i < len; ) {
		d->win = d->win << 8 | data[i++];
		if (d->win_n < 8)
			d->win_n++;
		if (d->win_n < 8)
			continue;
		w = d->win;
		if ((w >> 56) != 0 || (w & 0xffffff) != 0x534d42 ||
		    !smb_protocol_byte((uint8_t)(w >> 24)))
			continue;
		mlen = (uint32_t)(w >> 32) & 0xffffff;
		/* The smallest SMB message, an SMB1 header with no words. */
		if (mlen < 35)
			continue;
		d->len = mlen;
		d->head[0] = (uint8_t)(w >> 24);
		memcpy(d->head + 1, "SMB", 3);
		d->head_have = 4;
		d->pipe = -1;
		d->st = D_HEAD;
		return i;
	}
	return i;
}

/* Attribution of one feed call: bytes per pipe slot, a few at most. */
struct attr {
	int	 slot[4];
	size_t	 n[4];
	unsigned used;
};

static void
attr_add(struct attr *a, int slot, size_t n)
{
	unsigned i;

	if (slot < 0 || n == 0)
		return;
	for (i = 0; i < a->used; i++)
		if (a->slot[i] == slot) {
			a->n[i] += n;
			return;
		}
	if (a->used < 4) {
		a->slot[a->used] = slot;
		a->n[a->used++] = n;
	}
}

static int
attr_best(const struct attr *a)
{
	unsigned i, b = 0;

	if (a->used == 0)
		return -1;
	for (i = 1; i < a->used; i++)
		if (a->n[i] > a->n[b])
			b = i;
	return a->slot[b];
}

int
smb_feed(struct smb_parser *p, struct smb_conn *c, int dir,
    const uint8_t *data, size_t len, const struct smb_sink *sink)
{
	struct smb_dir *d;
	struct attr at;
	size_t n, pre = 0;	/* bytes of this message before its peek */

	(void)p;
	if (dir != 0)
		dir = 1;
	d = &c->d[dir];
	memset(&at, 0, sizeof(at));
	while (len > 0) {
		switch (d->st) {
		case D_RESYNC:
			n = resync_scan(d, data, len);
			if (d->st == D_HEAD)
				pre = 8;
			break;
		case D_HDR:
			n = 4 - d->nb_have;
			if (n > len)
				n = len;
			memcpy(d->nb + d->nb_have, data, n);
			d->nb_have += (unsigned)n;
			pre += n;
			if (d->nb_have < 4)
				break;
			d->nb_have = 0;
			if (!nbss_header(c, d)) {
				c->p->st.invalid++;
				dir_resync(c, d);
			}
			if (d->st != D_HEAD)
				pre = 0;
			break;
		case D_HEAD:
			n = (d->len < SMB_HEAD_MAX ? d->len : SMB_HEAD_MAX) -
			    d->head_have;
			if (n > len)
				n = len;
			memcpy(d->head + d->head_have, data, n);
			d->head_have += (uint32_t)n;
			pre += n;
			if (d->head_have < d->len && d->head_have < SMB_HEAD_MAX)
				break;
			c->touched = -1;
			head_done(c, d, dir, sink);
			if (d->pipe < 0)
				d->pipe = c->touched;
			if (d->pipe >= 0)
				c->p->st.pipe_msgs++;
			attr_add(&at, d->pipe, pre);
			pre = 0;
			break;
		case D_BODY:
			n = d->len - d->have;
			if (n > len)
				n = len;
			memcpy(d->buf + d->have, data, n);
			d->have += (uint32_t)n;
			attr_add(&at, d->pipe, n);
			if (d->have < d->len)
				break;
			c->touched = -1;
			msg_process(c, dir, d->buf, d->len, sink);
			dir_release(c, d);
			/* A compound's later part may be the pipe's. */
			if (d->pipe < 0 && c->touched >= 0) {
				attr_add(&at, c->touched, n);
				c->p->st.pipe_msgs++;
			}
			d->st = D_HDR;
			break;
		case D_SKIP:
		default:
			n = d->left < len ? d->left : len;
			d->left -= (uint32_t)n;
			attr_add(&at, d->pipe, n);
			if (d->left == 0)
				d->st = D_HDR;
			break;
		}
		data += n;
		len -= n;
	}
	return attr_best(&at);
}

void
smb_gap(struct smb_parser *p, struct smb_conn *c, int dir, size_t len,
    const struct smb_sink *sink)
{
	struct smb_dir *d;
	size_t rest;
	bool want;

	(void)p;
	if (dir != 0)
		dir = 1;
	d = &c->d[dir];
	if (len == 0)
		return;
	c->p->st.gaps++;
	switch (d->st) {
	case D_HEAD:
	case D_BODY:
	case D_SKIP:
		if (d->st == D_HEAD)
			rest = d->len - d->head_have;
		else if (d->st == D_BODY)
			rest = d->len - d->have;
		else
			rest = d->left;
		/* What was buffered of the message is lost with it. */
		dir_release(c, d);
		/* An unclassified head: peek at what there is. */
		if (d->st == D_HEAD && d->head_have >= 4 &&
		    !msg_classify(c, d, dir, &want, sink))
			d->pipe = -1;
		/*
		 * A gap inside the message: the message is lost but the
		 * framing holds, because its length is known.
		 */
		if (len <= rest) {
			c->p->st.truncated++;
			msg_lost(c, d, dir, len, sink);
			d->left = (uint32_t)(rest - len);
			d->st = d->left == 0 ? D_HDR : D_SKIP;
			d->nb_have = 0;
			return;
		}
		c->p->st.truncated++;
		msg_lost(c, d, dir, rest, sink);
		break;
	case D_HDR:
		if (d->nb_have > 0)
			c->p->st.truncated++;
		break;
	case D_RESYNC:
		d->win_n = 0;
		return;
	}
	d->nb_have = 0;
	dir_resync(c, d);
}
