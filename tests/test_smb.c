/*
 * test_smb.c - the SMB parser on crafted messages: NBSS framing (445 and
 * the 139 session packets), SMB2 and SMB1 pipe life cycles (every split
 * of each message into two segments gives the same result), compounds,
 * AndX chains, interim responses, error responses, transforms, gaps,
 * hostile lengths and the per-connection bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/catalog.h"
#include "svcmap/smb.h"
#include "tap.h"

/* The shipped catalog: its pipe rows name the pipes of unknown trees. */
static struct catalog *cat;

/* Message builder ------------------------------------------------------- */

struct buf {
	uint8_t	 b[8192];
	size_t	 n;
};

static void
put8(struct buf *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct buf *m, unsigned v)
{
	put8(m, v & 0xff);
	put8(m, (v >> 8) & 0xff);
}

static void
put32(struct buf *m, uint32_t v)
{
	put16(m, v & 0xffff);
	put16(m, v >> 16);
}

static void
put64(struct buf *m, uint64_t v)
{
	put32(m, (uint32_t)v);
	put32(m, (uint32_t)(v >> 32));
}

static void
putn(struct buf *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
putz(struct buf *m, size_t n)
{
	memset(m->b + m->n, 0, n);
	m->n += n;
}

static void
set16(struct buf *m, size_t at, unsigned v)
{
	m->b[at] = (uint8_t)v;
	m->b[at + 1] = (uint8_t)(v >> 8);
}

static void
set32(struct buf *m, size_t at, uint32_t v)
{
	set16(m, at, v & 0xffff);
	set16(m, at + 2, v >> 16);
}

/* UTF-16LE of an ASCII string, without terminator. */
static void
put_w16(struct buf *m, const char *s)
{
	for (; *s; s++)
		put16(m, (uint8_t)*s);
}

/* Wrap m's bytes in a session message header into out. */
static void
nbss(struct buf *out, const struct buf *m)
{
	out->n = 0;
	put8(out, 0);
	put8(out, (m->n >> 16) & 0xff);
	put8(out, (m->n >> 8) & 0xff);
	put8(out, m->n & 0xff);
	putn(out, m->b, m->n);
}

#define RESP	0x1
#define ASYNC	0x2

/* Where the current SMB2 compound part starts: offsets count from it. */
static size_t part_base;

static void
smb2_hdr(struct buf *m, uint16_t cmd, uint32_t flags, uint32_t status,
    uint64_t msgid, uint32_t tid)
{
	part_base = m->n;
	putn(m, "\xfeSMB", 4);
	put16(m, 64);
	put16(m, 1);
	put32(m, status);
	put16(m, cmd);
	put16(m, 1);
	put32(m, flags);
	put32(m, 0);		/* NextCommand */
	put64(m, msgid);
	if (flags & ASYNC)
		put64(m, 0x77);
	else {
		put32(m, 0);
		put32(m, tid);
	}
	put64(m, 0x1122334455667788ULL);
	/* A signature: signing changes nothing for us. */
	putn(m, "SIGNATURESIGNATU", 16);
}

static const uint8_t fid_a[16] = { 1, 0, 0, 0, 0, 0, 0, 0,
	0xa, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t fid_b[16] = { 2, 0, 0, 0, 0, 0, 0, 0,
	0xb, 0, 0, 0, 0, 0, 0, 0 };

static void
s2_negotiate_resp(struct buf *m, uint16_t dialect)
{
	smb2_hdr(m, 0, RESP, 0, 0, 0);
	put16(m, 65);
	put16(m, 1);
	put16(m, dialect);
	putz(m, 58);
}

static void
s2_tree_req(struct buf *m, uint64_t id, const char *path)
{
	size_t at;

	smb2_hdr(m, 3, 0, 0, id, 0);
	put16(m, 9);
	put16(m, 0);
	at = m->n;
	put16(m, 0);
	put16(m, (unsigned)strlen(path) * 2);
	set16(m, at, (unsigned)(m->n - part_base));
	put_w16(m, path);
}

static void
s2_tree_resp(struct buf *m, uint64_t id, uint32_t status, uint32_t tid,
    uint8_t type)
{
	smb2_hdr(m, 3, RESP, status, id, tid);
	put16(m, 16);
	put8(m, type);
	put8(m, 0);
	putz(m, 12);
}

static void
s2_create_req(struct buf *m, uint64_t id, uint32_t tid, const char *name)
{
	size_t at;

	smb2_hdr(m, 5, 0, 0, id, tid);
	put16(m, 57);
	putz(m, 42);
	at = m->n;
	put16(m, 0);
	put16(m, (unsigned)strlen(name) * 2);
	put32(m, 0);
	put32(m, 0);
	set16(m, at, (unsigned)(m->n - part_base));
	put_w16(m, name);
}

static void
s2_create_resp(struct buf *m, uint64_t id, uint32_t status, uint32_t tid,
    const uint8_t fid[16])
{
	smb2_hdr(m, 5, RESP, status, id, tid);
	if (status != 0) {
		put16(m, 9);
		putz(m, 7);
		return;
	}
	put16(m, 89);
	putz(m, 62);
	putn(m, fid, 16);
	put32(m, 0);
	put32(m, 0);
}

static void
s2_write_req(struct buf *m, uint64_t id, uint32_t tid, const uint8_t fid[16],
    const char *data)
{
	smb2_hdr(m, 9, 0, 0, id, tid);
	put16(m, 49);
	put16(m, 64 + 48);
	put32(m, (uint32_t)strlen(data));
	put64(m, 0);
	putn(m, fid, 16);
	putz(m, 16);
	putn(m, data, strlen(data));
}

static void
s2_write_resp(struct buf *m, uint64_t id, uint32_t tid, uint32_t n)
{
	smb2_hdr(m, 9, RESP, 0, id, tid);
	put16(m, 17);
	put16(m, 0);
	put32(m, n);
	putz(m, 8);
}

static void
s2_read_req(struct buf *m, uint64_t id, uint32_t tid, const uint8_t fid[16])
{
	smb2_hdr(m, 8, 0, 0, id, tid);
	put16(m, 49);
	put16(m, 0);
	put32(m, 1024);
	put64(m, 0);
	putn(m, fid, 16);
	putz(m, 17);
}

static void
s2_read_resp(struct buf *m, uint64_t id, uint32_t flags, uint32_t status,
    uint32_t tid, const char *data)
{
	smb2_hdr(m, 8, RESP | flags, status, id, tid);
	if (data == NULL) {
		put16(m, 9);
		putz(m, 7);
		return;
	}
	put16(m, 17);
	put8(m, 64 + 16);
	put8(m, 0);
	put32(m, (uint32_t)strlen(data));
	put32(m, 0);
	put32(m, 0);
	putn(m, data, strlen(data));
}

static void
s2_ioctl_req(struct buf *m, uint64_t id, uint32_t tid, uint32_t ctl,
    const uint8_t fid[16], const char *data)
{
	smb2_hdr(m, 11, 0, 0, id, tid);
	put16(m, 57);
	put16(m, 0);
	put32(m, ctl);
	putn(m, fid, 16);
	put32(m, 64 + 56);
	put32(m, (uint32_t)strlen(data));
	put32(m, 0);
	put32(m, 0);
	put32(m, 0);
	put32(m, 1024);
	put32(m, 1);
	put32(m, 0);
	putn(m, data, strlen(data));
}

static void
s2_ioctl_resp(struct buf *m, uint64_t id, uint32_t status, uint32_t tid,
    const uint8_t fid[16], const char *data)
{
	smb2_hdr(m, 11, RESP, status, id, tid);
	put16(m, 49);
	put16(m, 0);
	put32(m, 0x0011c017);
	putn(m, fid, 16);
	put32(m, 64 + 48);
	put32(m, 0);
	put32(m, 64 + 48);
	put32(m, (uint32_t)strlen(data));
	put32(m, 0);
	put32(m, 0);
	putn(m, data, strlen(data));
}

static void
s2_close_req(struct buf *m, uint64_t id, uint32_t tid, const uint8_t fid[16])
{
	smb2_hdr(m, 6, 0, 0, id, tid);
	put16(m, 24);
	put16(m, 0);
	put32(m, 0);
	putn(m, fid, 16);
}

static void
s2_close_resp(struct buf *m, uint64_t id, uint32_t tid)
{
	smb2_hdr(m, 6, RESP, 0, id, tid);
	put16(m, 60);
	putz(m, 58);
}

/* SMB1 ------------------------------------------------------------------ */

static void
smb1_hdr(struct buf *m, uint8_t cmd, bool resp, uint32_t status,
    uint16_t tid, uint16_t uid, uint16_t mid)
{
	putn(m, "\xffSMB", 4);
	put8(m, cmd);
	put32(m, status);
	put8(m, resp ? 0x98 : 0x18);
	put16(m, 0xc807);	/* unicode, NT status, ... */
	put16(m, 0);		/* PIDHigh */
	putz(m, 8);
	put16(m, 0);
	put16(m, tid);
	put16(m, 0x1234);	/* PIDLow */
	put16(m, uid);
	put16(m, mid);
}

static void
s1_negotiate_resp(struct buf *m)
{
	smb1_hdr(m, 0x72, true, 0, 0, 0, 1);
	put8(m, 17);
	put16(m, 5);		/* DialectIndex */
	putz(m, 32);
	put16(m, 0);
}

/* SESSION_SETUP_ANDX chained with TREE_CONNECT_ANDX to \\srv\IPC$. */
static void
s1_setup_tree_req(struct buf *m, uint16_t mid)
{
	size_t andx, bc;

	smb1_hdr(m, 0x73, false, 0, 0xffff, 0, mid);
	put8(m, 12);
	put8(m, 0x75);
	put8(m, 0);
	andx = m->n;
	put16(m, 0);
	putz(m, 20);
	put16(m, 4);
	put16(m, 0);
	putn(m, "blob", 4);
	set16(m, andx, (unsigned)m->n);
	put8(m, 4);		/* TREE_CONNECT_ANDX words */
	put8(m, 0xff);
	put8(m, 0);
	put16(m, 0);
	put16(m, 0);
	put16(m, 1);		/* PasswordLength */
	bc = m->n;
	put16(m, 0);
	put8(m, 0);		/* password */
	if (m->n & 1)
		put8(m, 0);
	put_w16(m, "\\\\SRV\\IPC$");
	put16(m, 0);
	putn(m, "?????", 6);
	set16(m, bc, (unsigned)(m->n - bc - 2));
}

static void
s1_setup_tree_resp(struct buf *m, uint16_t mid, uint16_t tid, uint16_t uid)
{
	size_t andx;

	smb1_hdr(m, 0x73, true, 0, tid, uid, mid);
	put8(m, 3);
	put8(m, 0x75);
	put8(m, 0);
	andx = m->n;
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	set16(m, andx, (unsigned)m->n);
	put8(m, 3);
	put8(m, 0xff);
	put8(m, 0);
	put16(m, 0);
	put16(m, 1);
	put16(m, 4);
	putn(m, "IPC", 4);
}

static void
s1_create_req(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid,
    const char *name)
{
	size_t bc;

	smb1_hdr(m, 0xa2, false, 0, tid, uid, mid);
	put8(m, 24);
	put8(m, 0xff);
	put8(m, 0);
	put16(m, 0);
	put8(m, 0);
	put16(m, (unsigned)strlen(name) * 2);
	putz(m, 48 - 7);
	bc = m->n;
	put16(m, 0);
	if (m->n & 1)
		put8(m, 0);
	put_w16(m, name);
	put16(m, 0);
	set16(m, bc, (unsigned)(m->n - bc - 2));
}

static void
s1_create_resp(struct buf *m, uint32_t status, uint16_t tid, uint16_t uid,
    uint16_t mid, uint16_t fid, uint16_t type)
{
	smb1_hdr(m, 0xa2, true, status, tid, uid, mid);
	if (status != 0) {
		put8(m, 0);
		put16(m, 0);
		return;
	}
	put8(m, 34);
	put8(m, 0xff);
	put8(m, 0);
	put16(m, 0);
	put8(m, 0);
	put16(m, fid);
	putz(m, 56);
	put16(m, type);
	put16(m, 0x05ff);
	put8(m, 0);
	put16(m, 0);
}

static void
s1_write_req(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid,
    uint16_t fid, const char *data, bool raw_msgstart, uint8_t andx_next)
{
	size_t off_at, andx_at, n = strlen(data) + (raw_msgstart ? 2 : 0);

	smb1_hdr(m, 0x2f, false, 0, tid, uid, mid);
	put8(m, 14);
	put8(m, andx_next);
	put8(m, 0);
	andx_at = m->n;
	put16(m, 0);
	put16(m, fid);
	put32(m, 0);
	put32(m, 0);
	put16(m, raw_msgstart ? 0x000c : 0x0008);
	put16(m, (unsigned)n);
	put16(m, 0);
	put16(m, (unsigned)n);
	off_at = m->n;
	put16(m, 0);
	put32(m, 0);
	put16(m, (unsigned)n + 1);
	put8(m, 0);		/* pad */
	set16(m, off_at, (unsigned)m->n);
	if (raw_msgstart)
		put16(m, (unsigned)strlen(data));
	putn(m, data, strlen(data));
	set16(m, andx_at, (unsigned)m->n);
}

static void
s1_write_resp(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid,
    unsigned n, uint8_t andx_next)
{
	size_t andx_at;

	smb1_hdr(m, 0x2f, true, 0, tid, uid, mid);
	put8(m, 6);
	put8(m, andx_next);
	put8(m, 0);
	andx_at = m->n;
	put16(m, 0);
	put16(m, n);
	put16(m, 0xffff);
	putz(m, 4);
	put16(m, 0);
	set16(m, andx_at, (unsigned)m->n);
}

/* A READ_ANDX request's words and bytes, appended at m->n (no header). */
static void
s1_read_req_words(struct buf *m, uint16_t fid)
{
	put8(m, 12);
	put8(m, 0xff);
	put8(m, 0);
	put16(m, 0);
	put16(m, fid);
	put32(m, 0);
	put16(m, 1024);
	put16(m, 1024);
	put32(m, 0);
	put16(m, 1024);
	put32(m, 0);
	put16(m, 0);
}

static void
s1_read_resp_words(struct buf *m, const char *data)
{
	size_t off_at;

	put8(m, 12);
	put8(m, 0xff);
	put8(m, 0);
	put16(m, 0);
	put16(m, 0xffff);
	put16(m, 0);
	put16(m, 0);
	put16(m, (unsigned)strlen(data));
	off_at = m->n;
	put16(m, 0);
	put16(m, 0);
	putz(m, 8);
	put16(m, (unsigned)strlen(data) + 1);
	put8(m, 0);
	set16(m, off_at, (unsigned)m->n);
	putn(m, data, strlen(data));
}

static void
s1_trans_req(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid,
    uint16_t fid, const char *data)
{
	size_t off_at, bc, n = strlen(data);

	smb1_hdr(m, 0x25, false, 0, tid, uid, mid);
	put8(m, 16);
	put16(m, 0);
	put16(m, (unsigned)n);
	put16(m, 0);
	put16(m, 1024);
	put8(m, 0);
	put8(m, 0);
	put16(m, 0);
	put32(m, 0);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	put16(m, (unsigned)n);
	off_at = m->n;
	put16(m, 0);
	put8(m, 2);
	put8(m, 0);
	put16(m, 0x26);
	put16(m, fid);
	bc = m->n;
	put16(m, 0);
	put8(m, 0);
	put_w16(m, "\\PIPE\\");
	put16(m, 0);
	while (m->n & 3)
		put8(m, 0);
	set16(m, off_at, (unsigned)m->n);
	putn(m, data, n);
	set16(m, bc, (unsigned)(m->n - bc - 2));
}

static void
s1_trans_resp(struct buf *m, uint32_t status, uint16_t tid, uint16_t uid,
    uint16_t mid, const char *data, unsigned total, unsigned disp)
{
	size_t off_at, bc, n = strlen(data);

	smb1_hdr(m, 0x25, true, status, tid, uid, mid);
	put8(m, 10);
	put16(m, 0);
	put16(m, total);
	put16(m, 0);
	put16(m, 0);
	put16(m, 56);
	put16(m, 0);
	put16(m, (unsigned)n);
	off_at = m->n;
	put16(m, 0);
	put16(m, disp);
	put8(m, 0);
	put8(m, 0);
	bc = m->n;
	put16(m, 0);
	put8(m, 0);
	set16(m, off_at, (unsigned)m->n);
	putn(m, data, n);
	set16(m, bc, (unsigned)(m->n - bc - 2));
}

static void
s1_trans2nd_req(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid,
    const char *data, unsigned total, unsigned disp)
{
	size_t off_at, bc, n = strlen(data);

	smb1_hdr(m, 0x26, false, 0, tid, uid, mid);
	put8(m, 8);
	put16(m, 0);
	put16(m, total);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	put16(m, (unsigned)n);
	off_at = m->n;
	put16(m, 0);
	put16(m, disp);
	bc = m->n;
	put16(m, 0);
	put8(m, 0);
	set16(m, off_at, (unsigned)m->n);
	putn(m, data, n);
	set16(m, bc, (unsigned)(m->n - bc - 2));
}

/* The interim response to a TRANSACTION: no words, secondaries follow. */
static void
s1_trans_interim(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid)
{
	smb1_hdr(m, 0x25, true, 0, tid, uid, mid);
	put8(m, 0);
	put16(m, 0);
}

static void
s1_close_req(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid,
    uint16_t fid)
{
	smb1_hdr(m, 0x04, false, 0, tid, uid, mid);
	put8(m, 3);
	put16(m, fid);
	put32(m, 0xffffffff);
	put16(m, 0);
}

static void
s1_close_resp(struct buf *m, uint16_t tid, uint16_t uid, uint16_t mid)
{
	smb1_hdr(m, 0x04, true, 0, tid, uid, mid);
	put8(m, 0);
	put16(m, 0);
}

/* The recording sink ---------------------------------------------------- */

struct rec {
	int	 version;
	unsigned dialect;
	unsigned ndialect;
	char	 opened[16][SMB_PIPE_NAME_MAX];
	unsigned nopened;
	unsigned nclosed;
	char	 data[2][2048];	/* per direction, all pipes, "slot:bytes|" */
	unsigned gaps;
	unsigned encrypted;
};

static void
r_dialect(void *arg, enum smb_version v, uint16_t d)
{
	struct rec *r = arg;

	r->version = (int)v;
	r->dialect = d;
	r->ndialect++;
}

static void
r_open(void *arg, const struct smb_pipe *pp)
{
	struct rec *r = arg;

	if (r->nopened < 16)
		snprintf(r->opened[r->nopened++], SMB_PIPE_NAME_MAX, "%s",
		    pp->name);
}

static void
r_data(void *arg, const struct smb_pipe *pp, int dir, const uint8_t *d,
    size_t n)
{
	struct rec *r = arg;
	size_t l = strlen(r->data[dir]);

	snprintf(r->data[dir] + l, sizeof(r->data[dir]) - l, "%u:%.*s|",
	    pp->slot, (int)n, (const char *)d);
}

static void
r_gap(void *arg, const struct smb_pipe *pp, int dir, size_t n)
{
	struct rec *r = arg;

	(void)pp;
	(void)dir;
	(void)n;
	r->gaps++;
}

static void
r_close(void *arg, const struct smb_pipe *pp)
{
	struct rec *r = arg;

	(void)pp;
	r->nclosed++;
}

static void
r_encrypted(void *arg, int dir, size_t n)
{
	struct rec *r = arg;

	(void)dir;
	(void)n;
	r->encrypted++;
}

static bool
r_known(void *arg, const char *name)
{
	(void)arg;
	return cat != NULL && catalog_pipe_find(cat, name) >= 0;
}

static void
sink_init(struct smb_sink *s, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	s->arg = r;
	s->dialect = r_dialect;
	s->pipe_open = r_open;
	s->pipe_data = r_data;
	s->pipe_gap = r_gap;
	s->pipe_close = r_close;
	s->encrypted = r_encrypted;
	s->pipe_known = r_known;
}

/* A conversation: messages in order, each with its direction. */
struct conv {
	struct buf	 msg[24];
	int		 dir[24];
	unsigned	 n;
};

static struct buf *
conv_add(struct conv *cv, int dir)
{
	cv->dir[cv->n] = dir;
	cv->msg[cv->n].n = 0;
	return &cv->msg[cv->n++];
}

/*
 * Run a conversation through a fresh parser.  Message `split` (or none if
 * -1) is fed as two segments cut at byte `at`; ret[] gets smb_feed()'s
 * answer for the last segment of each message.
 */
static void
conv_run(const struct conv *cv, int split, size_t at, struct rec *r,
    struct smb_stats *st, int ret[24])
{
	struct smb_parser *p = smb_parser_create(NULL);
	struct smb_conn *c = smb_conn_create(p);
	struct smb_sink s;
	struct buf w;
	unsigned i;
	int got;

	sink_init(&s, r);
	for (i = 0; i < cv->n; i++) {
		nbss(&w, &cv->msg[i]);
		if ((int)i == split && at > 0 && at < w.n) {
			(void)smb_feed(p, c, cv->dir[i], w.b, at, &s);
			got = smb_feed(p, c, cv->dir[i], w.b + at, w.n - at, &s);
		} else
			got = smb_feed(p, c, cv->dir[i], w.b, w.n, &s);
		if (ret != NULL)
			ret[i] = got;
	}
	if (st != NULL)
		*st = *smb_parser_stats(p);
	smb_conn_destroy(c);
	smb_parser_destroy(p);
}

static bool
rec_same(const struct rec *a, const struct rec *b)
{
	return a->version == b->version && a->dialect == b->dialect &&
	    a->nopened == b->nopened && a->nclosed == b->nclosed &&
	    memcmp(a->opened, b->opened, sizeof(a->opened)) == 0 &&
	    strcmp(a->data[0], b->data[0]) == 0 &&
	    strcmp(a->data[1], b->data[1]) == 0;
}

/* Every message of cv cut at every byte: the same record as whole. */
static void
check_splits(const struct conv *cv, const struct rec *whole, const char *what)
{
	struct rec r;
	struct buf w;
	unsigned i, bad = 0, runs = 0;
	size_t at;

	for (i = 0; i < cv->n; i++) {
		nbss(&w, &cv->msg[i]);
		for (at = 1; at < w.n; at++) {
			conv_run(cv, (int)i, at, &r, NULL, NULL);
			runs++;
			if (!rec_same(&r, whole)) {
				if (bad++ == 0)
					printf("# first difference: message %u "
					    "cut at %zu\n", i, at);
			}
		}
	}
	ok(bad == 0 && runs > 100, "%s: %u two-segment splits give the "
	    "same pipes and bytes", what, runs);
}

/*
 * With SMB_SEEDS=DIR set, each crafted conversation is also written to
 * DIR/<name> in fuzz_smb.c's input format: that is how the hand-made
 * part of tests/fuzz/smb/ was made.
 */
static void
conv_dump(const struct conv *cv, const char *name)
{
	const char *dir = getenv("SMB_SEEDS");
	char path[1024];
	struct buf w;
	unsigned i;
	FILE *fp;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL)
		return;
	for (i = 0; i < cv->n; i++) {
		nbss(&w, &cv->msg[i]);
		fputc(cv->dir[i], fp);
		fputc((int)(w.n & 0xff), fp);
		fputc((int)(w.n >> 8), fp);
		fwrite(w.b, 1, w.n, fp);
	}
	fclose(fp);
}

/* Tests ----------------------------------------------------------------- */

static void
build_smb2(struct conv *cv)
{
	const uint32_t tid = 5;

	cv->n = 0;
	s2_negotiate_resp(conv_add(cv, 1), 0x0311);
	s2_tree_req(conv_add(cv, 0), 2, "\\\\SRV\\IPC$");
	s2_tree_resp(conv_add(cv, 1), 2, 0, tid, 2);
	s2_create_req(conv_add(cv, 0), 3, tid, "svcctl");
	s2_create_resp(conv_add(cv, 1), 3, 0, tid, fid_a);
	s2_write_req(conv_add(cv, 0), 4, tid, fid_a, "BIND");
	s2_write_resp(conv_add(cv, 1), 4, tid, 4);
	s2_read_req(conv_add(cv, 0), 5, tid, fid_a);
	s2_read_resp(conv_add(cv, 1), 5, ASYNC, 0x103, tid, NULL);
	s2_read_resp(conv_add(cv, 1), 5, ASYNC, 0, tid, "BINDACK");
	s2_ioctl_req(conv_add(cv, 0), 6, tid, 0x0011c017, fid_a, "REQ");
	s2_ioctl_resp(conv_add(cv, 1), 6, 0x80000005, tid, fid_a, "RESP1");
	s2_read_req(conv_add(cv, 0), 7, tid, fid_a);
	s2_read_resp(conv_add(cv, 1), 7, 0, 0, tid, "RESP2");
	s2_close_req(conv_add(cv, 0), 8, tid, fid_a);
	s2_close_resp(conv_add(cv, 1), 8, tid);
}

static void
test_smb2(void)
{
	struct conv cv;
	struct rec r;
	struct smb_stats st;
	int ret[24];

	build_smb2(&cv);
	conv_dump(&cv, "crafted-smb2-pipe");
	conv_run(&cv, -1, 0, &r, &st, ret);
	is_int(r.version, SMB_VERSION_2, "smb2: version");
	is_int(r.dialect, 0x0311, "smb2: dialect 3.1.1");
	is_int(r.nopened, 1, "smb2: one pipe opened");
	is_str(r.opened[0], "\\svcctl", "smb2: pipe name normalised");
	is_str(r.data[0], "0:BIND|0:REQ|", "smb2: client bytes: WRITE, "
	    "transceive input");
	is_str(r.data[1], "0:BINDACK|0:RESP1|0:RESP2|", "smb2: server bytes:"
	    " final READ (interim skipped), transceive output on "
	    "BUFFER_OVERFLOW, READ");
	is_int(r.nclosed, 1, "smb2: CLOSE ends the pipe");
	is_int(ret[3], -1, "smb2: CREATE is not attributed to the pipe");
	is_int(ret[5], 0, "smb2: WRITE request attributed to slot 0");
	is_int(ret[6], 0, "smb2: WRITE response attributed");
	is_int(ret[9], 0, "smb2: READ response attributed");
	is_int(ret[11], 0, "smb2: IOCTL response attributed");
	is_int(ret[14], -1, "smb2: CLOSE not attributed");
	is_int(st.pipes_opened, 1, "smb2: stats pipes_opened");
	is_int(st.pipe_bytes, 4 + 7 + 3 + 5 + 5, "smb2: stats pipe_bytes");
	is_int(st.invalid + st.truncated, 0, "smb2: nothing invalid");
	check_splits(&cv, &r, "smb2");
}

static void
test_smb2_compound(void)
{
	struct conv cv;
	struct buf *m;
	struct rec r;
	struct smb_stats st;
	size_t first;
	const uint32_t tid = 9;

	cv.n = 0;
	s2_tree_req(conv_add(&cv, 0), 1, "\\\\srv\\ipc$");
	s2_tree_resp(conv_add(&cv, 1), 1, 0, tid, 2);
	/* CREATE + CREATE compounded; the answers come compounded too. */
	m = conv_add(&cv, 0);
	s2_create_req(m, 2, tid, "samr");
	while (m->n & 7)
		put8(m, 0);
	set32(m, 20, (uint32_t)m->n);
	s2_create_req(m, 3, tid, "PIPE\\LsaRpc");
	m = conv_add(&cv, 1);
	s2_create_resp(m, 2, 0, tid, fid_a);
	set32(m, 20, (uint32_t)m->n);
	s2_create_resp(m, 3, 0, tid, fid_b);
	/* WRITE to both pipes in one compound, then READ from both. */
	m = conv_add(&cv, 0);
	s2_write_req(m, 4, tid, fid_a, "AAAA");
	while (m->n & 7)
		put8(m, 0);
	first = m->n;
	set32(m, 20, (uint32_t)first);
	s2_write_req(m, 5, tid, fid_b, "BB");
	m = conv_add(&cv, 0);
	s2_read_req(m, 6, tid, fid_a);
	while (m->n & 7)
		put8(m, 0);
	set32(m, 20, (uint32_t)m->n);
	s2_read_req(m, 7, tid, fid_b);
	m = conv_add(&cv, 1);
	s2_read_resp(m, 6, 0, 0, tid, "ra");
	while (m->n & 7)
		put8(m, 0);
	set32(m, 20, (uint32_t)m->n);
	s2_read_resp(m, 7, 0, 0, tid, "rb");
	/* A NextCommand that is not 8-aligned: invalid, first part kept. */
	m = conv_add(&cv, 0);
	s2_write_req(m, 8, tid, fid_a, "CC");
	set32(m, 20, (uint32_t)m->n - 1);
	conv_dump(&cv, "crafted-smb2-compound");
	conv_run(&cv, -1, 0, &r, &st, NULL);
	is_int(r.nopened, 2, "compound: two pipes opened");
	is_str(r.opened[0], "\\samr", "compound: first \\samr");
	is_str(r.opened[1], "\\lsarpc", "compound: \\PIPE\\ prefix dropped, "
	    "lowercased");
	is_str(r.data[0], "0:AAAA|1:BB|0:CC|", "compound: writes to both "
	    "pipes, in order");
	is_str(r.data[1], "0:ra|1:rb|", "compound: reads from both");
	is_int(st.smb2, 13, "compound: every part parsed (the bad "
	    "NextCommand part once)");
	is_int(st.invalid, 1, "compound: misaligned NextCommand counted");
}

static void
test_smb2_errors(void)
{
	struct conv cv;
	struct rec r;
	struct smb_stats st;
	struct buf *m;
	const uint32_t tid = 3;

	cv.n = 0;
	s2_tree_req(conv_add(&cv, 0), 1, "\\\\srv\\IPC$");
	s2_tree_resp(conv_add(&cv, 1), 1, 0, tid, 2);
	s2_create_req(conv_add(&cv, 0), 2, tid, "browser");
	s2_create_resp(conv_add(&cv, 1), 2, 0xc0000034, tid, NULL);
	/* A tree to a disk share: files there are never pipes. */
	s2_tree_req(conv_add(&cv, 0), 3, "\\\\srv\\C$");
	s2_tree_resp(conv_add(&cv, 1), 3, 0, 4, 1);
	s2_create_req(conv_add(&cv, 0), 4, 4, "svcctl");
	s2_create_resp(conv_add(&cv, 1), 4, 0, 4, fid_b);
	/* The IPC$ share itself, opened by an empty name: no pipe. */
	s2_create_req(conv_add(&cv, 0), 20, tid, "");
	s2_create_resp(conv_add(&cv, 1), 20, 0, tid, fid_b);
	/* Denied tree connect: no tree. */
	s2_tree_req(conv_add(&cv, 0), 5, "\\\\srv\\IPC$");
	s2_tree_resp(conv_add(&cv, 1), 5, 0xc0000022, 7, 2);
	/* A response to nothing. */
	s2_tree_resp(conv_add(&cv, 1), 99, 0, 8, 2);
	/* WRITE to an unknown file id: nothing. */
	s2_write_req(conv_add(&cv, 0), 6, tid, fid_a, "XX");
	/* A WRITE whose DataOffset points past the message. */
	s2_create_req(conv_add(&cv, 0), 7, tid, "srvsvc");
	s2_create_resp(conv_add(&cv, 1), 7, 0, tid, fid_a);
	m = conv_add(&cv, 0);
	s2_write_req(m, 8, tid, fid_a, "YY");
	set16(m, 66, 0xfff0);
	m = conv_add(&cv, 0);
	s2_write_req(m, 9, tid, fid_a, "ZZ");
	set32(m, 68, 0xffffffff);
	conv_dump(&cv, "crafted-smb2-errors");
	conv_run(&cv, -1, 0, &r, &st, NULL);
	is_int(r.nopened, 1, "errors: only the good CREATE opens");
	is_str(r.opened[0], "\\srvsvc", "errors: it is \\srvsvc");
	is_int(st.open_errors, 1, "errors: failed pipe CREATE counted");
	is_int(st.unmatched, 1, "errors: unmatched TREE_CONNECT response");
	is_str(r.data[0], "", "errors: no bytes from lying WRITEs");
	is_int(st.invalid, 1, "errors: DataOffset past the end is invalid");
	is_int(st.truncated, 1, "errors: Length past the end is truncated");
}

static void
test_transforms(void)
{
	struct smb_parser *p = smb_parser_create(NULL);
	struct smb_conn *c = smb_conn_create(p);
	struct smb_sink s;
	struct rec r;
	struct buf m, w;
	uint16_t d;

	sink_init(&s, &r);
	m.n = 0;
	s2_negotiate_resp(&m, 0x0300);
	nbss(&w, &m);
	smb_feed(p, c, 1, w.b, w.n, &s);
	/* Transform header whose ciphertext holds a fake SMB2 CREATE. */
	m.n = 0;
	putn(&m, "\xfdSMB", 4);
	putz(&m, 32);
	put32(&m, 200);
	put16(&m, 0);
	put16(&m, 1);
	put64(&m, 0x1122334455667788ULL);
	s2_create_resp(&m, 1, 0, 1, fid_a);
	nbss(&w, &m);
	is_int(smb_feed(p, c, 1, w.b, w.n, &s), -1, "transform: not a pipe's");
	m.n = 0;
	putn(&m, "\xfcSMB", 4);
	put32(&m, 100);
	put16(&m, 1);
	put16(&m, 0);
	put32(&m, 0);
	putz(&m, 100);
	nbss(&w, &m);
	smb_feed(p, c, 0, w.b, w.n, &s);
	is_int(r.encrypted, 1, "transform: encrypted() called");
	is_int(smb_parser_stats(p)->encrypted, 1, "transform: counted");
	is_int(smb_conn_encrypted(c), 1, "transform: per connection");
	is_int(smb_parser_stats(p)->compressed, 1, "compression: counted");
	is_int(smb_parser_stats(p)->smb2, 1, "transforms: not parsed");
	is_int(r.nopened, 0, "transform: nothing opened from ciphertext");
	is_int(smb_conn_version(c, &d), SMB_VERSION_2, "transform: SMB2");
	is_int(d, 0x0300, "transform: dialect 3.0 kept");
	smb_conn_destroy(c);
	smb_parser_destroy(p);
}

static void
build_smb1(struct conv *cv)
{
	const uint16_t tid = 0x800, uid = 0x801;
	struct buf *m;

	cv->n = 0;
	s1_negotiate_resp(conv_add(cv, 1));
	s1_setup_tree_req(conv_add(cv, 0), 2);
	s1_setup_tree_resp(conv_add(cv, 1), 2, tid, uid);
	s1_create_req(conv_add(cv, 0), tid, uid, 3, "\\svcctl");
	s1_create_resp(conv_add(cv, 1), 0, tid, uid, 3, 0x4000, 2);
	s1_write_req(conv_add(cv, 0), tid, uid, 4, 0x4000, "BIND", true, 0xff);
	s1_write_resp(conv_add(cv, 1), tid, uid, 4, 6, 0xff);
	m = conv_add(cv, 0);
	smb1_hdr(m, 0x2e, false, 0, tid, uid, 5);
	s1_read_req_words(m, 0x4000);
	m = conv_add(cv, 1);
	smb1_hdr(m, 0x2e, true, 0, tid, uid, 5);
	s1_read_resp_words(m, "BINDACK");
	s1_trans_req(conv_add(cv, 0), tid, uid, 6, 0x4000, "REQUEST");
	s1_trans_resp(conv_add(cv, 1), 0x80000005, tid, uid, 6, "RESP", 8, 0);
	s1_trans_resp(conv_add(cv, 1), 0, tid, uid, 6, "ONSE", 8, 4);
	/* WRITE_ANDX chained with READ_ANDX, and its chained response. */
	m = conv_add(cv, 0);
	s1_write_req(m, tid, uid, 7, 0x4000, "W2", false, 0x2e);
	s1_read_req_words(m, 0x4000);
	m = conv_add(cv, 1);
	s1_write_resp(m, tid, uid, 7, 2, 0x2e);
	s1_read_resp_words(m, "R2");
	/* A request in two parts: TRANSACTION, interim, SECONDARY. */
	m = conv_add(cv, 0);
	s1_trans_req(m, tid, uid, 9, 0x4000, "PART1");
	set16(m, 35, 10);
	s1_trans_interim(conv_add(cv, 1), tid, uid, 9);
	s1_trans2nd_req(conv_add(cv, 0), tid, uid, 9, "PART2", 10, 5);
	s1_trans_resp(conv_add(cv, 1), 0, tid, uid, 9, "OK", 2, 0);
	s1_close_req(conv_add(cv, 0), tid, uid, 8, 0x4000);
	s1_close_resp(conv_add(cv, 1), tid, uid, 8);
}

static void
test_smb1(void)
{
	struct conv cv;
	struct rec r;
	struct smb_stats st;
	int ret[24];

	build_smb1(&cv);
	conv_dump(&cv, "crafted-smb1-pipe");
	conv_run(&cv, -1, 0, &r, &st, ret);
	is_int(r.version, SMB_VERSION_1, "smb1: version");
	is_int(r.nopened, 1, "smb1: one pipe opened");
	is_str(r.opened[0], "\\svcctl", "smb1: name");
	is_str(r.data[0], "0:BIND|0:REQUEST|0:W2|0:PART1|0:PART2|", "smb1: "
	    "client bytes (raw message-start length skipped, Trans "
	    "secondary)");
	is_str(r.data[1], "0:BINDACK|0:RESP|0:ONSE|0:R2|0:OK|", "smb1: server "
	    "bytes (ReadAndX, Trans in two parts, chained ReadAndX)");
	is_int(r.nclosed, 1, "smb1: CLOSE ends the pipe");
	is_int(ret[5], 0, "smb1: WriteAndX attributed");
	is_int(ret[10], 0, "smb1: Trans response attributed");
	is_int(ret[4], -1, "smb1: NT_CREATE_ANDX not attributed");
	is_int(ret[16], 0, "smb1: Trans secondary attributed");
	is_int(ret[15], 0, "smb1: Trans interim response attributed");
	is_int(st.invalid + st.truncated, 0, "smb1: nothing invalid");
	check_splits(&cv, &r, "smb1");
}

static void
test_smb1_errors(void)
{
	struct conv cv;
	struct rec r;
	struct smb_stats st;
	struct buf *m;

	cv.n = 0;
	/* No tree connect seen: the file type of the response decides. */
	s1_create_req(conv_add(&cv, 0), 1, 2, 3, "\\lsarpc");
	s1_create_resp(conv_add(&cv, 1), 0xc0000034, 1, 2, 3, 0, 0);
	s1_create_req(conv_add(&cv, 0), 1, 2, 4, "\\lsarpc");
	s1_create_resp(conv_add(&cv, 1), 0, 1, 2, 4, 0x10, 2);
	s1_create_req(conv_add(&cv, 0), 1, 2, 5, "\\report.txt");
	s1_create_resp(conv_add(&cv, 1), 0, 1, 2, 5, 0x11, 0);
	/* A response with another UID does not match. */
	s1_create_req(conv_add(&cv, 0), 1, 2, 6, "\\samr");
	s1_create_resp(conv_add(&cv, 1), 0, 1, 9, 6, 0x12, 2);
	/* An AndX chain that points backwards. */
	m = conv_add(&cv, 0);
	s1_write_req(m, 1, 2, 7, 0x10, "LOOP", false, 0x2f);
	set16(m, 35, 32);
	conv_dump(&cv, "crafted-smb1-errors");
	conv_run(&cv, -1, 0, &r, &st, NULL);
	is_int(r.nopened, 1, "smb1 errors: one pipe");
	is_str(r.opened[0], "\\lsarpc", "smb1 errors: \\lsarpc by file type");
	is_int(st.open_errors, 1, "smb1 errors: failed create counted");
	is_str(r.data[0], "0:LOOP|", "smb1 errors: chained command's data "
	    "read once");
	is_int(st.invalid, 1, "smb1 errors: backwards AndXOffset invalid");
}

static void
test_nbss_139(void)
{
	struct smb_parser *p = smb_parser_create(NULL);
	struct smb_conn *c = smb_conn_create(p);
	struct smb_sink s;
	struct rec r;
	struct buf m, w;
	static const uint8_t req[] = { 0x81, 0, 0, 68 };
	static const uint8_t pos[] = { 0x82, 0, 0, 0 };
	static const uint8_t ka[] = { 0x85, 0, 0, 0 };
	uint8_t names[68];

	sink_init(&s, &r);
	memset(names, 'A', sizeof(names));
	names[0] = names[34] = 0x20;
	names[33] = names[67] = 0;
	smb_feed(p, c, 0, req, 4, &s);
	smb_feed(p, c, 0, names, sizeof(names), &s);
	smb_feed(p, c, 1, pos, 4, &s);
	smb_feed(p, c, 0, ka, 4, &s);
	m.n = 0;
	s1_negotiate_resp(&m);
	nbss(&w, &m);
	smb_feed(p, c, 1, w.b, w.n, &s);
	is_int(smb_parser_stats(p)->nbss_control, 3, "139: session request, "
	    "positive response, keepalive");
	is_int(r.version, SMB_VERSION_1, "139: SMB1 negotiated after them");
	is_int(smb_parser_stats(p)->invalid, 0, "139: nothing invalid");
	/* A bad session packet type loses framing, recovered at the next. */
	w.b[0] = 0x99;
	smb_feed(p, c, 1, w.b, 4, &s);
	nbss(&w, &m);
	smb_feed(p, c, 1, w.b, w.n, &s);
	is_int(smb_parser_stats(p)->invalid, 1, "139: bad type invalid");
	is_int(smb_parser_stats(p)->resyncs, 1, "139: resync");
	is_int(smb_parser_stats(p)->smb1, 2, "139: next message parsed");
	smb_conn_destroy(c);
	smb_parser_destroy(p);
}

static void
test_gaps_and_hostile(void)
{
	struct smb_parser *p;
	struct smb_conn *c;
	struct smb_sink s;
	struct rec r;
	struct conv cv;
	struct buf w, junk;
	struct smb_config cfg = { 2, 3, 2, 1024, 4 };
	unsigned i;
	const uint32_t tid = 5;

	/* Pipe open, then a WRITE whose middle is lost. */
	build_smb2(&cv);
	p = smb_parser_create(NULL);
	c = smb_conn_create(p);
	sink_init(&s, &r);
	for (i = 0; i < 5; i++) {
		nbss(&w, &cv.msg[i]);
		smb_feed(p, c, cv.dir[i], w.b, w.n, &s);
	}
	nbss(&w, &cv.msg[5]);
	is_int(smb_feed(p, c, 0, w.b, 110, &s), -1, "gap: head not yet "
	    "classified");
	smb_gap(p, c, 0, 10, &s);
	smb_feed(p, c, 0, w.b + 120, w.n - 120, &s);
	is_int(r.gaps, 1, "gap: inside a pipe WRITE reaches pipe_gap()");
	is_int(smb_parser_stats(p)->resyncs, 0, "gap: inside: framing held");
	/* A gap across message boundaries: resync on the next header. */
	nbss(&w, &cv.msg[7]);
	smb_feed(p, c, 0, w.b, 10, &s);
	smb_gap(p, c, 0, 5000, &s);
	junk.n = 0;
	putz(&junk, 37);
	smb_feed(p, c, 0, junk.b, junk.n, &s);
	nbss(&w, &cv.msg[5]);
	smb_feed(p, c, 0, w.b, w.n, &s);
	is_int(smb_parser_stats(p)->resyncs, 1, "gap: across: resync");
	is_str(r.data[0], "0:BIND|", "gap: the WRITE after the resync is read");
	/* NBSS length 0xffffff: skipped without buffering. */
	w.n = 0;
	putn(&w, "\x00\xff\xff\xff\xfeSMB", 8);
	smb_feed(p, c, 1, w.b, w.n, &s);
	is_int(smb_parser_stats(p)->smb2, 6, "hostile: huge message not parsed");
	smb_conn_destroy(c);
	smb_parser_destroy(p);

	/*
	 * The buffer pool: one buffer, lent to the connection whose WRITE
	 * is split over two feeds; another connection's WRITE meanwhile is
	 * not read whole (counted, its pipe told of the loss); once the
	 * first is complete the buffer serves again.
	 */
	{
		struct smb_config one = { 0, 0, 0, 0, 1 };
		struct smb_conn *c2;
		struct smb_sink s2;
		struct rec r2;
		struct buf big;
#define LONGW	"BIND0123456789012345678901234567890123456789"

		p = smb_parser_create(&one);
		c = smb_conn_create(p);
		c2 = smb_conn_create(p);
		sink_init(&s, &r);
		sink_init(&s2, &r2);
		for (i = 0; i < 5; i++) {
			nbss(&w, &cv.msg[i]);
			smb_feed(p, c, cv.dir[i], w.b, w.n, &s);
			smb_feed(p, c2, cv.dir[i], w.b, w.n, &s2);
		}
		big.n = 0;
		s2_write_req(&big, 4, tid, fid_a, LONGW);
		nbss(&w, &big);
		/* Past the NBSS header and the 128-byte head. */
		ok(w.n > 4 + 128 + 4, "pool: the WRITE is longer than its "
		    "head");
		smb_feed(p, c, 0, w.b, w.n - 4, &s);
		smb_feed(p, c2, 0, w.b, w.n, &s2);
		is_int(smb_parser_stats(p)->bound_buffers, 1,
		    "pool: empty, counted");
		is_int(r2.gaps, 1, "pool: empty: the pipe is told of the loss");
		is_str(r2.data[0], "", "pool: empty: no pipe bytes");
		smb_feed(p, c, 0, w.b + w.n - 4, 4, &s);
		is_str(r.data[0], "0:" LONGW "|", "pool: the split WRITE is "
		    "read");
		smb_feed(p, c2, 0, w.b, w.n, &s2);
		is_str(r2.data[0], "0:" LONGW "|", "pool: the buffer came back");
		/* A connection that ends mid-message gives its buffer back. */
		smb_feed(p, c, 0, w.b, w.n - 4, &s);
		smb_conn_destroy(c);
		smb_feed(p, c2, 0, w.b, w.n, &s2);
		is_str(r2.data[0], "0:" LONGW "|0:" LONGW "|", "pool: a "
		    "destroyed connection's buffer came back");
		is_int(smb_parser_stats(p)->bound_buffers, 1,
		    "pool: no second shortage");
#undef LONGW
		smb_conn_destroy(c2);
		smb_parser_destroy(p);
	}

	/* Bounds: 2 pipes, 3 pending, 2 trees, 1 KiB messages. */
	p = smb_parser_create(&cfg);
	c = smb_conn_create(p);
	sink_init(&s, &r);
	cv.n = 0;
	s2_tree_req(conv_add(&cv, 0), 1, "\\\\srv\\IPC$");
	s2_tree_resp(conv_add(&cv, 1), 1, 0, tid, 2);
	for (i = 0; i < 3; i++) {
		uint8_t f[16] = { (uint8_t)(i + 1) };

		s2_create_req(conv_add(&cv, 0), 10 + i, tid, "wkssvc");
		s2_create_resp(conv_add(&cv, 1), 10 + i, 0, tid, f);
	}
	for (i = 0; i < 4; i++)
		s2_read_req(conv_add(&cv, 0), 20 + i, tid, fid_a);
	for (i = 0; i < cv.n; i++) {
		nbss(&w, &cv.msg[i]);
		smb_feed(p, c, cv.dir[i], w.b, w.n, &s);
	}
	is_int(r.nopened, 2, "bounds: max_pipes open");
	is_int(smb_parser_stats(p)->bound_pipes, 1, "bounds: third counted");
	w.n = 0;
	{
		uint8_t f[16] = { 1 };
		struct buf m;

		for (i = 0; i < 4; i++) {
			m.n = 0;
			s2_read_req(&m, 30 + i, tid, f);
			nbss(&w, &m);
			smb_feed(p, c, 0, w.b, w.n, &s);
		}
		is_int(smb_parser_stats(p)->bound_pending, 1,
		    "bounds: oldest pending evicted");
		m.n = 0;
		s2_write_req(&m, 40, tid, f, "");
		while (m.n < 2000)
			put8(&m, 'x');
		set32(&m, 68, (uint32_t)(m.n - 112));
		nbss(&w, &m);
		is_int(smb_feed(p, c, 0, w.b, w.n, &s), 0, "bounds: oversize "
		    "pipe WRITE still attributed");
		is_int(smb_parser_stats(p)->oversize, 1, "bounds: oversize "
		    "counted");
		is_int(r.gaps, 1, "bounds: oversize pipe message is a gap");
	}
	smb_conn_destroy(c);
	smb_parser_destroy(p);
}

static void
test_dialects_and_unknown_trees(void)
{
	struct conv cv;
	struct rec r;
	struct buf *m;

	cv.n = 0;
	/* A multi-protocol SMB1 NEGOTIATE answered 0x02FF, then 2.1. */
	m = conv_add(&cv, 0);
	smb1_hdr(m, 0x72, false, 0, 0, 0, 0);
	put8(m, 0);
	put16(m, 12);
	putn(m, "\x02NT LM 0.12", 12);
	s2_negotiate_resp(conv_add(&cv, 1), 0x02ff);
	s2_negotiate_resp(conv_add(&cv, 1), 0x0210);
	/* Trees connected before the capture: well-known names decide. */
	s2_create_req(conv_add(&cv, 0), 3, 77, "samr");
	s2_create_resp(conv_add(&cv, 1), 3, 0, 77, fid_a);
	s2_create_req(conv_add(&cv, 0), 4, 77, "report.txt");
	s2_create_resp(conv_add(&cv, 1), 4, 0, 77, fid_b);
	s2_write_req(conv_add(&cv, 0), 5, 77, fid_b, "FILE");
	conv_run(&cv, -1, 0, &r, NULL, NULL);
	is_int(r.version, SMB_VERSION_2, "dialect: SMB2 after an SMB1 offer");
	is_int(r.dialect, 0x0210, "dialect: the second NEGOTIATE's 2.1");
	is_int(r.ndialect, 2, "dialect: reported as SMB2 (no number for "
	    "the wildcard), then 2.1; never SMB1");
	is_int(r.nopened, 1, "unknown tree: one pipe");
	is_str(r.opened[0], "\\samr", "unknown tree: \\samr by name");
	is_str(r.data[0], "", "unknown tree: file bytes are not pipe bytes");

	/* The catalog decides: a name it has no pipe row for opens none. */
	cv.n = 0;
	s2_create_req(conv_add(&cv, 0), 3, 77, "PSEXESVC");
	s2_create_resp(conv_add(&cv, 1), 3, 0, 77, fid_a);
	s2_create_req(conv_add(&cv, 0), 4, 77, "\\PIPE\\SvcCtl");
	s2_create_resp(conv_add(&cv, 1), 4, 0, 77, fid_b);
	conv_run(&cv, -1, 0, &r, NULL, NULL);
	is_int(r.nopened, 1, "unknown tree: only the catalog's pipe");
	is_str(r.opened[0], "\\svcctl", "unknown tree: \\svcctl, any "
	    "spelling");
}

static void
test_names(void)
{
	char out[SMB_PIPE_NAME_MAX];
	char longname[200];

	smb_pipe_name_normalise("\\PIPE\\svcctl", out);
	is_str(out, "\\svcctl", "name: \\PIPE\\ dropped");
	smb_pipe_name_normalise("SAMR", out);
	is_str(out, "\\samr", "name: lowercase, leading backslash");
	smb_pipe_name_normalise("\\\\pipe\\\\x\x01y", out);
	is_str(out, "\\x?y", "name: control bytes shown as ?");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	smb_pipe_name_normalise(longname, out);
	is_int(strlen(out), SMB_PIPE_NAME_MAX - 1, "name: bounded");
}

int
main(void)
{
	char err[256];

	if ((cat = catalog_open(SVCMAP_SRCDATADIR, NULL, err,
	    sizeof(err))) == NULL)
		printf("# catalog_open: %s\n", err);
	ok(cat != NULL, "the shipped catalog loads");
	test_names();
	test_dialects_and_unknown_trees();
	test_smb2();
	test_smb2_compound();
	test_smb2_errors();
	test_transforms();
	test_smb1();
	test_smb1_errors();
	test_nbss_139();
	test_gaps_and_hostile();
	catalog_destroy(cat);
	return tap_done();
}
