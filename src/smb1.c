/*
 * smb1.c - SMB1 (CIFS) messages: NEGOTIATE, TREE_CONNECT_ANDX,
 * NT_CREATE_ANDX / CLOSE of named pipes, and the pipe data of
 * WRITE_ANDX, READ_ANDX (with AndX chains) and TRANSACTION
 * TransactNmPipe.
 *
 * specification: [MS-CIFS] 2.2.3.1 (header), 2.2.3.2-3 (parameter and
 * data blocks), 2.2.4.33 (TRANSACTION), 2.2.4.42-43 (READ_ANDX,
 * WRITE_ANDX), 2.2.4.55 (TREE_CONNECT_ANDX), 2.2.4.64 (NT_CREATE_ANDX),
 * 2.2.5.11 (TransactNmPipe); [MS-SMB] 2.2.4 for the extended forms.
 *
 * SMB1 header (32 bytes, little-endian), then per command a parameter
 * block (WordCount, 2 * WordCount bytes) and a data block (ByteCount,
 * bytes):
 *
 *   0               4     5               9     10      12
 *  +---------------+-----+---------------+-----+-------+-------+
 *  | FF 'S' 'M' 'B'| cmd |    Status     |flags|flags2 |PIDhigh|
 *  +---------------+-----+---------------+-----+-------+-------+
 *  14                              22      24      26      28      30
 *  +-------------------------------+-------+-------+-------+-------+-------+
 *  |    SecurityFeatures (8)       |  res  |  TID  |PIDlow |  UID  |  MID  |
 *  +-------------------------------+-------+-------+-------+-------+-------+
 *
 * AndX commands start their words with AndXCommand, a reserved byte and
 * AndXOffset (from the header start) of the next command's WordCount.
 * Data offsets also count from the header start.  A request and its
 * response share MID and PID; TID and UID match too, except where the
 * response itself assigns them (TREE_CONNECT_ANDX, SESSION_SETUP_ANDX and
 * what is chained after them).
 */
#include <string.h>

#include "svcmap/rd.h"
#include "svcmap/smb.h"

#include "smb_int.h"

#define SMB1_HDR_LEN		32

#define SMB1_CLOSE		0x04
#define SMB1_TRANSACTION	0x25
#define SMB1_TRANSACTION_SECONDARY 0x26
#define SMB1_READ_ANDX		0x2e
#define SMB1_WRITE_ANDX		0x2f
#define SMB1_TREE_DISCONNECT	0x71
#define SMB1_NEGOTIATE		0x72
#define SMB1_SESSION_SETUP_ANDX	0x73
#define SMB1_TREE_CONNECT_ANDX	0x75
#define SMB1_NT_CREATE_ANDX	0xa2

#define SMB1_FLAGS_REPLY	0x80
#define SMB1_FLAGS2_UNICODE	0x8000

#define TRANS_NMPIPE		0x0026	/* TransactNmPipe subcommand */
/* WriteMode: raw mode + message start: 2 bytes of message length lead. */
#define WRITE_MODE_RAW_MSGSTART	0x000c

/* A "no more commands" AndXCommand, and the longest chain we walk. */
#define ANDX_NONE		0xff
#define ANDX_MAX		8

/* File types of NT_CREATE_ANDX ResourceType ([MS-CIFS] 2.2.4.64.2). */
#define FILE_TYPE_BYTE_PIPE	1
#define FILE_TYPE_MESSAGE_PIPE	2

struct smb1_hdr {
	uint8_t		 cmd;
	uint32_t	 status;
	uint8_t		 flags;
	uint16_t	 flags2;
	uint32_t	 pid;
	uint16_t	 tid, uid, mid;
};

/* One command of a chain: its words and bytes, and the whole message. */
struct smb1_cmd {
	uint8_t		 cmd;
	struct rd	 msg;		/* whole message, for header offsets */
	struct rd	 words;
	struct rd	 bytes;
	size_t		 bytes_off;	/* offset of the data block */
	bool		 loose;		/* after a TID/UID-assigning command */
};

static bool
hdr_read(struct rd *r, struct smb1_hdr *h)
{
	rd_skip(r, 4);
	h->cmd = rd_u8(r);
	h->status = rd_le32(r);
	h->flags = rd_u8(r);
	h->flags2 = rd_le16(r);
	h->pid = (uint32_t)rd_le16(r) << 16;
	rd_skip(r, 8 + 2);
	h->tid = rd_le16(r);
	h->pid |= rd_le16(r);
	h->uid = rd_le16(r);
	h->mid = rd_le16(r);
	return rd_ok(r);
}

static uint64_t
hdr_key(const struct smb1_hdr *h)
{
	return (uint64_t)h->mid | (uint64_t)h->pid << 16;
}

static struct smb_pipe *
fid_pipe(struct smb_conn *c, uint16_t fid)
{
	uint8_t b[2] = { (uint8_t)fid, (uint8_t)(fid >> 8) };

	return smb_pipe_find(c, b, 2);
}

int
smb1_peek(struct smb_conn *c, const uint8_t *head, size_t head_len,
    bool *want)
{
	struct smb_pending *pe;
	struct smb_pipe *pp = NULL;
	struct smb1_hdr h;
	struct rd r;
	uint8_t n;

	*want = false;
	rd_init(&r, head, head_len);
	if (!hdr_read(&r, &h)) {
		*want = true;
		return -1;
	}
	if (h.flags & SMB1_FLAGS_REPLY) {
		if (h.cmd == SMB1_NEGOTIATE ||
		    h.cmd == SMB1_SESSION_SETUP_ANDX)
			*want = true;
		pe = smb_pending_find(c, SMB_VERSION_1, hdr_key(&h), h.cmd,
		    h.tid, h.uid);
		if (pe == NULL)
			return -1;
		*want = true;
		if (h.cmd == SMB1_READ_ANDX || h.cmd == SMB1_WRITE_ANDX ||
		    h.cmd == SMB1_TRANSACTION)
			pp = smb_pipe_find(c, pe->fid, 2);
		return pp != NULL ? (int)pp->slot : -1;
	}
	switch (h.cmd) {
	case SMB1_NEGOTIATE:
	case SMB1_SESSION_SETUP_ANDX:
	case SMB1_TREE_CONNECT_ANDX:
	case SMB1_TREE_DISCONNECT:
	case SMB1_NT_CREATE_ANDX:
	case SMB1_CLOSE:
		*want = true;
		return -1;
	case SMB1_READ_ANDX:
	case SMB1_WRITE_ANDX:
		/* WordCount, AndXCommand, reserved, AndXOffset, FID. */
		rd_skip(&r, 5);
		pp = fid_pipe(c, rd_le16(&r));
		break;
	case SMB1_TRANSACTION_SECONDARY:
		/* Its primary's pending entry knows the FID. */
		pe = smb_pending_find(c, SMB_VERSION_1, hdr_key(&h),
		    SMB1_TRANSACTION, h.tid, h.uid);
		if (pe != NULL)
			pp = smb_pipe_find(c, pe->fid, 2);
		break;
	case SMB1_TRANSACTION:
		/* WordCount, 13 words, SetupCount, reserved, Setup[0..1]. */
		rd_skip(&r, 1 + 26);
		n = rd_u8(&r);
		rd_skip(&r, 1);
		if (n < 2 || rd_le16(&r) != TRANS_NMPIPE)
			return -1;
		pp = fid_pipe(c, rd_le16(&r));
		break;
	default:
		return -1;
	}
	if (pp == NULL)
		return -1;
	*want = true;
	return (int)pp->slot;
}

static struct smb_pending *
pend(struct smb_conn *c, const struct smb1_hdr *h, const struct smb1_cmd *k)
{
	struct smb_pending *pe = smb_pending_add(c);

	pe->version = SMB_VERSION_1;
	pe->cmd = k->cmd;
	pe->key = hdr_key(h);
	pe->tid = h->tid;
	pe->uid = h->uid;
	pe->loose = k->loose || k->cmd == SMB1_TREE_CONNECT_ANDX;
	return pe;
}

static void
pend_fid(struct smb_pending *pe, const struct smb_pipe *pp)
{
	memcpy(pe->fid, pp->fid, 2);
}

/* Data at a header-relative offset, handed to the pipe. */
static void
data_at(struct smb_conn *c, struct smb1_cmd *k, struct smb_pipe *pp, int dir,
    uint32_t off, uint32_t n, uint32_t lead, const struct smb_sink *sink)
{
	const uint8_t *s;

	rd_seek(&k->msg, off);
	if ((s = rd_ptr(&k->msg, n)) == NULL)
		return;
	if (lead > n)
		lead = n;
	smb_pipe_data(c, pp, dir, s + lead, n - lead, sink);
}

static void
request(struct smb_conn *c, int dir, const struct smb1_hdr *h,
    struct smb1_cmd *k, const struct smb_sink *sink)
{
	struct smb_pending *pe;
	struct smb_pipe *pp;
	struct rd *w = &k->words, *b = &k->bytes;
	bool wide = (h->flags2 & SMB1_FLAGS2_UNICODE) != 0;
	uint32_t off, n;
	uint16_t fid, mode, pw, hi;
	uint8_t setups;
	enum tree_kind kind;
	char name[SMB_PIPE_NAME_MAX];

	switch (k->cmd) {
	case SMB1_TREE_CONNECT_ANDX:
		/* AndX (4), Flags, PasswordLength; Password, Path, Service. */
		rd_skip(w, 6);
		pw = rd_le16(w);
		rd_skip(b, pw);
		if (wide && ((k->bytes_off + rd_offset(b)) & 1))
			rd_skip(b, 1);
		if (!rd_ok(w) || !rd_ok(b))
			break;
		pe = pend(c, h, k);
		pe->kind = smb_str_ends_ipc(b->p, rd_left(b), wide);
		break;
	case SMB1_TREE_DISCONNECT:
		pe = pend(c, h, k);
		pe->tree = h->tid;
		break;
	case SMB1_NT_CREATE_ANDX:
		kind = smb_tree_kind(c, h->tid);
		if (kind == TREE_OTHER || rd_left(w) < 48)
			break;
		if (wide && (k->bytes_off & 1))
			rd_skip(b, 1);
		smb_read_name(b->p, rd_left(b), wide, name);
		pe = pend(c, h, k);
		pe->tree = h->tid;
		pe->kind = (uint8_t)kind;
		memcpy(pe->name, name, sizeof(name));
		break;
	case SMB1_CLOSE:
		if ((pp = fid_pipe(c, rd_le16(w))) == NULL)
			break;
		pend_fid(pend(c, h, k), pp);
		break;
	case SMB1_READ_ANDX:
		rd_skip(w, 4);
		if ((pp = fid_pipe(c, rd_le16(w))) == NULL || !rd_ok(w))
			break;
		pend_fid(pend(c, h, k), pp);
		smb_pipe_data(c, pp, dir, NULL, 0, sink);
		break;
	case SMB1_WRITE_ANDX:
		/* AndX (4), FID, Offset, Timeout, WriteMode, Remaining, ... */
		rd_skip(w, 4);
		fid = rd_le16(w);
		rd_skip(w, 8);
		mode = rd_le16(w);
		rd_skip(w, 2);
		hi = rd_le16(w);
		n = rd_le16(w) | (uint32_t)hi << 16;
		off = rd_le16(w);
		if (!rd_ok(w) || (pp = fid_pipe(c, fid)) == NULL)
			break;
		data_at(c, k, pp, dir, off, n,
		    (mode & WRITE_MODE_RAW_MSGSTART) == WRITE_MODE_RAW_MSGSTART ?
		    2 : 0, sink);
		pend_fid(pend(c, h, k), pp);
		break;
	case SMB1_TRANSACTION:
		/* 11 words of counts, then DataCount, DataOffset, SetupCount. */
		rd_skip(w, 22);
		n = rd_le16(w);
		off = rd_le16(w);
		setups = rd_u8(w);
		rd_skip(w, 1);
		if (setups < 2 || rd_le16(w) != TRANS_NMPIPE)
			break;
		fid = rd_le16(w);
		if (!rd_ok(w) || (pp = fid_pipe(c, fid)) == NULL)
			break;
		data_at(c, k, pp, dir, off, n, 0, sink);
		pend_fid(pend(c, h, k), pp);
		break;
	case SMB1_TRANSACTION_SECONDARY:
		/*
		 * The rest of a request too long for one message
		 * ([MS-CIFS] 2.2.4.34): TotalParameterCount, TotalDataCount,
		 * ParameterCount, ParameterOffset, ParameterDisplacement,
		 * DataCount, DataOffset, DataDisplacement.
		 */
		if ((pe = smb_pending_find(c, SMB_VERSION_1, hdr_key(h),
		    SMB1_TRANSACTION, h->tid, h->uid)) == NULL ||
		    (pp = smb_pipe_find(c, pe->fid, 2)) == NULL)
			break;
		rd_skip(w, 10);
		n = rd_le16(w);
		off = rd_le16(w);
		if (rd_ok(w))
			data_at(c, k, pp, dir, off, n, 0, sink);
		break;
	default:
		break;
	}
}

static void
response(struct smb_conn *c, int dir, const struct smb1_hdr *h,
    struct smb1_cmd *k, const struct smb_sink *sink)
{
	struct smb_pending *pe, pend_copy;
	struct smb_pipe *pp;
	struct rd *w = &k->words;
	const uint8_t *fid;
	uint32_t off, n, total, disp;
	uint16_t type;
	bool ok = h->status == STATUS_SUCCESS;
	bool data_ok = ok || h->status == STATUS_BUFFER_OVERFLOW ||
	    h->status == SMB1_DOS_MOREDATA;

	if (k->cmd == SMB1_NEGOTIATE) {
		if (ok && rd_le16(w) != 0xffff && rd_ok(w))
			smb_set_version(c, SMB_VERSION_1, 0, sink);
		return;
	}
	/*
	 * Extended security ([MS-SMB] 2.2.4.6.2): four words, the last the
	 * SecurityBlobLength; the blob opens the bytes.
	 */
	if (k->cmd == SMB1_SESSION_SETUP_ANDX && rd_left(w) == 8 &&
	    sink->auth != NULL) {
		struct rd sw = *w, sb = k->bytes;
		const uint8_t *blob;

		rd_skip(&sw, 6);
		n = rd_le16(&sw);
		if (rd_ok(&sw) && n > 0 && (blob = rd_ptr(&sb, n)) != NULL)
			sink->auth(sink->arg, dir, blob, n);
	}
	if ((pe = smb_pending_find(c, SMB_VERSION_1, hdr_key(h), k->cmd,
	    h->tid, h->uid)) == NULL) {
		if (k->cmd == SMB1_TREE_CONNECT_ANDX)
			c->p->st.unmatched++;
		return;
	}
	/*
	 * A TRANSACTION response may come in parts (DataDisplacement):
	 * the request stays pending until the last one.
	 */
	if (k->cmd == SMB1_TRANSACTION && data_ok) {
		pp = smb_pipe_find(c, pe->fid, 2);
		if (pp != NULL)
			smb_pipe_data(c, pp, dir, NULL, 0, sink);
		/* No words: an interim response, secondaries follow. */
		if (rd_left(w) == 0)
			return;
		rd_skip(w, 2);
		total = rd_le16(w);
		rd_skip(w, 8);
		n = rd_le16(w);
		off = rd_le16(w);
		disp = rd_le16(w);
		if (!rd_ok(w) || pp == NULL || disp + n >= total)
			pe->used = false;
		if (pp != NULL && rd_ok(w))
			data_at(c, k, pp, dir, off, n, 0, sink);
		return;
	}
	pend_copy = *pe;
	pe->used = false;
	pe = &pend_copy;
	switch (k->cmd) {
	case SMB1_TREE_CONNECT_ANDX:
		/* Service is the first string of the data block: "IPC". */
		if (ok)
			smb_tree_add(c, h->tid, pe->kind ||
			    (rd_left(&k->bytes) >= 4 &&
			    memcmp(k->bytes.p, "IPC\0", 4) == 0));
		break;
	case SMB1_TREE_DISCONNECT:
		if (ok)
			smb_tree_remove(c, pe->tree, sink);
		break;
	case SMB1_NT_CREATE_ANDX:
		/* AndX (4), OplockLevel, FID, ... ResourceType at 63. */
		rd_skip(w, 5);
		fid = rd_ptr(w, 2);
		rd_skip(w, 56);
		type = rd_le16(w);
		if (!ok || !rd_ok(w)) {
			if (pe->kind == TREE_PIPE || smb_known_pipe(sink, pe->name))
				c->p->st.open_errors++;
			break;
		}
		/* The share itself (an empty name) is no pipe. */
		if ((type == FILE_TYPE_BYTE_PIPE ||
		    type == FILE_TYPE_MESSAGE_PIPE || pe->kind == TREE_PIPE) &&
		    pe->name[1] != '\0')
			smb_pipe_open(c, SMB_VERSION_1, fid, 2, pe->tree,
			    pe->name, sink);
		break;
	case SMB1_CLOSE:
		if (ok && (pp = smb_pipe_find(c, pe->fid, 2)) != NULL)
			smb_pipe_close(c, pp, sink);
		break;
	case SMB1_WRITE_ANDX:
		if ((pp = smb_pipe_find(c, pe->fid, 2)) != NULL)
			smb_pipe_data(c, pp, dir, NULL, 0, sink);
		break;
	case SMB1_READ_ANDX:
		if ((pp = smb_pipe_find(c, pe->fid, 2)) == NULL)
			break;
		smb_pipe_data(c, pp, dir, NULL, 0, sink);
		if (!data_ok)
			break;
		/* AndX (4), Available, Compaction, Reserved, DataLength,
		   DataOffset, DataLengthHigh. */
		rd_skip(w, 10);
		n = rd_le16(w);
		off = rd_le16(w);
		n |= (uint32_t)rd_le16(w) << 16;
		if (rd_ok(w))
			data_at(c, k, pp, dir, off, n, 0, sink);
		break;
	default:
		break;
	}
}

static bool
is_andx(uint8_t cmd)
{
	switch (cmd) {
	case 0x24:	/* LOCKING_ANDX */
	case 0x2d:	/* OPEN_ANDX */
	case SMB1_READ_ANDX:
	case SMB1_WRITE_ANDX:
	case SMB1_SESSION_SETUP_ANDX:
	case 0x74:	/* LOGOFF_ANDX */
	case SMB1_TREE_CONNECT_ANDX:
	case SMB1_NT_CREATE_ANDX:
		return true;
	default:
		return false;
	}
}

void
smb1_process(struct smb_conn *c, int dir, const uint8_t *msg, size_t len,
    const struct smb_sink *sink)
{
	struct smb1_hdr h;
	struct smb1_cmd k;
	struct rd r, w;
	size_t off = SMB1_HDR_LEN, left;
	uint16_t bc, next_off;
	uint8_t wc, next;
	int i;

	rd_init(&r, msg, len);
	if (!hdr_read(&r, &h)) {
		c->p->st.truncated++;
		return;
	}
	c->p->st.smb1++;
	memset(&k, 0, sizeof(k));
	k.cmd = h.cmd;
	for (i = 0; i < ANDX_MAX; i++) {
		rd_seek(&r, off);
		wc = rd_u8(&r);
		k.words = rd_sub(&r, (size_t)wc * 2);
		bc = rd_le16(&r);
		if (!rd_ok(&r)) {
			c->p->st.truncated++;
			return;
		}
		/*
		 * A ByteCount past the end is a lie some stacks tell about
		 * data they put elsewhere: keep what is there.
		 */
		left = rd_left(&r);
		k.bytes_off = rd_offset(&r);
		k.bytes = rd_sub(&r, bc < left ? bc : left);
		rd_init(&k.msg, msg, len);
		w = k.words;
		if (h.flags & SMB1_FLAGS_REPLY)
			response(c, dir, &h, &k, sink);
		else
			request(c, dir, &h, &k, sink);
		if (k.words.err == RD_INVALID || k.msg.err == RD_INVALID)
			c->p->st.invalid++;
		else if (k.msg.err == RD_TRUNCATED)
			c->p->st.truncated++;
		if (!is_andx(k.cmd) || wc < 2)
			return;
		next = rd_u8(&w);
		rd_skip(&w, 1);
		next_off = rd_le16(&w);
		if (next == ANDX_NONE)
			return;
		/* Each command must start after the last: no loops. */
		if (next_off <= off || next_off >= len) {
			c->p->st.invalid++;
			return;
		}
		if (k.cmd == SMB1_SESSION_SETUP_ANDX ||
		    k.cmd == SMB1_TREE_CONNECT_ANDX)
			k.loose = true;
		k.cmd = next;
		off = next_off;
	}
}
