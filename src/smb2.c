/*
 * smb2.c - SMB2/3 messages: NEGOTIATE, TREE_CONNECT, CREATE / CLOSE of
 * named pipes, and the pipe data of WRITE, READ and IOCTL
 * FSCTL_PIPE_TRANSCEIVE; compounded messages (NextCommand chains).
 *
 * specification: [MS-SMB2] 2.2.1 (header), 2.2.4 (NEGOTIATE response),
 * 2.2.9-2.2.10 (TREE_CONNECT), 2.2.13-2.2.14 (CREATE), 2.2.15 (CLOSE),
 * 2.2.19-2.2.22 (READ, WRITE), 2.2.31-2.2.32 (IOCTL).
 *
 * SMB2 sync header (64 bytes, little-endian):
 *
 *   0               4       6       8               12      14
 *  +---------------+-------+-------+---------------+-------+-------+
 *  | FE 'S' 'M' 'B'| size  |credchg|    Status     |command|credits|
 *  +---------------+-------+-------+---------------+-------+-------+
 *  16              20              24
 *  +---------------+---------------+-------------------------------+
 *  |     Flags     |  NextCommand  |           MessageId           |
 *  +---------------+---------------+-------------------------------+
 *  32              36              40              48
 *  +---------------+---------------+---------------+---------------+
 *  |   Reserved    |    TreeId     |   SessionId   | Signature(16) |
 *  +---------------+---------------+---------------+---------------+
 *
 * With SMB2_FLAGS_ASYNC_COMMAND, bytes 32-39 are the AsyncId and the
 * TreeId is absent.  Offsets in bodies (DataOffset, NameOffset ...) count
 * from the start of the header of their own compound part.  Signing does
 * not change any of this, so signed sessions are read like any other.
 */
#include <string.h>

#include "svcmap/rd.h"
#include "svcmap/smb.h"

#include "smb_int.h"

#define SMB2_HDR_LEN		64

#define SMB2_NEGOTIATE		0x0000
#define SMB2_SESSION_SETUP	0x0001
#define SMB2_TREE_CONNECT	0x0003
#define SMB2_TREE_DISCONNECT	0x0004
#define SMB2_CREATE		0x0005
#define SMB2_CLOSE		0x0006
#define SMB2_READ		0x0008
#define SMB2_WRITE		0x0009
#define SMB2_IOCTL		0x000b

#define SMB2_FLAGS_SERVER_TO_REDIR	0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND	0x00000002u

#define SMB2_SHARE_TYPE_PIPE	0x02
#define FSCTL_PIPE_TRANSCEIVE	0x0011c017u

/* Body offsets of the file id in requests ([MS-SMB2] 2.2.15, .19, .21, .31). */
#define CLOSE_FID_OFF	8
#define RW_FID_OFF	16
#define IOCTL_FID_OFF	8

struct smb2_hdr {
	uint32_t	 status;
	uint16_t	 cmd;
	uint32_t	 flags;
	uint32_t	 next;
	uint64_t	 msgid;
	uint32_t	 tid;
};

static bool
hdr_read(struct rd *r, struct smb2_hdr *h)
{
	rd_skip(r, 4);
	if (rd_le16(r) != SMB2_HDR_LEN)
		rd_invalid(r);
	rd_skip(r, 2);
	h->status = rd_le32(r);
	h->cmd = rd_le16(r);
	rd_skip(r, 2);
	h->flags = rd_le32(r);
	h->next = rd_le32(r);
	h->msgid = rd_le64(r);
	rd_skip(r, 4);
	h->tid = rd_le32(r);
	if (h->flags & SMB2_FLAGS_ASYNC_COMMAND)
		h->tid = 0;
	rd_skip(r, 8 + 16);
	return rd_ok(r);
}

/* The open pipe whose 16-byte FileId is at body offset off, or NULL. */
static struct smb_pipe *
fid_pipe(struct smb_conn *c, const struct rd *body, size_t off)
{
	struct rd r = *body;
	const uint8_t *fid;

	rd_skip(&r, off);
	if ((fid = rd_ptr(&r, 16)) == NULL)
		return NULL;
	return smb_pipe_find(c, fid, 16);
}

int
smb2_peek(struct smb_conn *c, const uint8_t *head, size_t head_len,
    bool *want)
{
	struct smb_pending *pe;
	struct smb_pipe *pp = NULL;
	struct smb2_hdr h;
	struct rd r, body;

	*want = false;
	rd_init(&r, head, head_len);
	if (!hdr_read(&r, &h)) {
		/* Too short or lying: let the parse count it. */
		*want = true;
		return -1;
	}
	body = r;
	if (h.next != 0)
		*want = true;
	if (h.flags & SMB2_FLAGS_SERVER_TO_REDIR) {
		if (h.cmd == SMB2_NEGOTIATE || h.cmd == SMB2_SESSION_SETUP)
			*want = true;
		pe = smb_pending_find(c, SMB_VERSION_2, h.msgid, h.cmd, 0, 0);
		if (pe == NULL) {
			/* Only these are tracked for every request. */
			if (h.cmd == SMB2_TREE_CONNECT ||
			    h.cmd == SMB2_TREE_DISCONNECT)
				c->p->st.unmatched++;
			return -1;
		}
		*want = true;
		if (h.cmd == SMB2_READ || h.cmd == SMB2_WRITE ||
		    h.cmd == SMB2_IOCTL)
			pp = smb_pipe_find(c, pe->fid, 16);
		return pp != NULL ? (int)pp->slot : -1;
	}
	switch (h.cmd) {
	case SMB2_NEGOTIATE:
	case SMB2_TREE_CONNECT:
	case SMB2_TREE_DISCONNECT:
	case SMB2_CREATE:
	case SMB2_CLOSE:
		*want = true;
		return -1;
	case SMB2_READ:
	case SMB2_WRITE:
		pp = fid_pipe(c, &body, RW_FID_OFF);
		break;
	case SMB2_IOCTL:
		pp = fid_pipe(c, &body, IOCTL_FID_OFF);
		break;
	default:
		return -1;
	}
	if (pp == NULL)
		return -1;
	*want = true;
	return (int)pp->slot;
}

/* A pending entry for this request, keyed by its MessageId. */
static struct smb_pending *
pend(struct smb_conn *c, const struct smb2_hdr *h)
{
	struct smb_pending *pe = smb_pending_add(c);

	pe->version = SMB_VERSION_2;
	pe->cmd = h->cmd;
	pe->key = h->msgid;
	return pe;
}

static void
request(struct smb_conn *c, int dir, const struct smb2_hdr *h, struct rd *r,
    const struct smb_sink *sink)
{
	struct smb_pending *pe;
	struct smb_pipe *pp;
	struct rd body = *r;
	const uint8_t *s;
	uint32_t ctl, n, off;
	uint16_t soff, slen;
	enum tree_kind kind;
	char name[SMB_PIPE_NAME_MAX];

	switch (h->cmd) {
	case SMB2_TREE_CONNECT:
		/* StructureSize, Flags, PathOffset, PathLength. */
		rd_skip(r, 4);
		soff = rd_le16(r);
		slen = rd_le16(r);
		rd_seek(r, soff);
		if ((s = rd_ptr(r, slen)) == NULL)
			break;
		pe = pend(c, h);
		pe->kind = smb_str_ends_ipc(s, slen, true);
		break;
	case SMB2_TREE_DISCONNECT:
		pe = pend(c, h);
		pe->tree = h->tid;
		break;
	case SMB2_CREATE:
		kind = smb_tree_kind(c, h->tid);
		/* Files on a disk share never become pipes: track nothing. */
		if (kind == TREE_OTHER)
			break;
		rd_skip(r, 44);
		soff = rd_le16(r);
		slen = rd_le16(r);
		rd_seek(r, soff);
		if ((s = rd_ptr(r, slen)) == NULL)
			break;
		smb_read_name(s, slen, true, name);
		pe = pend(c, h);
		pe->tree = h->tid;
		pe->kind = (uint8_t)kind;
		memcpy(pe->name, name, sizeof(name));
		break;
	case SMB2_CLOSE:
	case SMB2_READ:
		off = h->cmd == SMB2_CLOSE ? CLOSE_FID_OFF : RW_FID_OFF;
		if ((pp = fid_pipe(c, &body, off)) == NULL)
			break;
		pe = pend(c, h);
		memcpy(pe->fid, pp->fid, 16);
		/* The request carries no pipe bytes but is the pipe's. */
		if (h->cmd == SMB2_READ)
			smb_pipe_data(c, pp, dir, NULL, 0, sink);
		break;
	case SMB2_WRITE:
		if ((pp = fid_pipe(c, &body, RW_FID_OFF)) == NULL)
			break;
		/* StructureSize, DataOffset, Length. */
		rd_skip(r, 2);
		soff = rd_le16(r);
		n = rd_le32(r);
		rd_seek(r, soff);
		if ((s = rd_ptr(r, n)) == NULL)
			break;
		smb_pipe_data(c, pp, dir, s, n, sink);
		pe = pend(c, h);
		memcpy(pe->fid, pp->fid, 16);
		break;
	case SMB2_IOCTL:
		if ((pp = fid_pipe(c, &body, IOCTL_FID_OFF)) == NULL)
			break;
		rd_skip(r, 4);
		ctl = rd_le32(r);
		rd_skip(r, 16);
		off = rd_le32(r);
		n = rd_le32(r);
		if (!rd_ok(r) || ctl != FSCTL_PIPE_TRANSCEIVE)
			break;
		rd_seek(r, off);
		if ((s = rd_ptr(r, n)) == NULL)
			break;
		smb_pipe_data(c, pp, dir, s, n, sink);
		pe = pend(c, h);
		memcpy(pe->fid, pp->fid, 16);
		break;
	default:
		break;
	}
}

static bool
status_data_ok(uint32_t status)
{
	/* A message-mode pipe read into a short buffer: the data is valid. */
	return status == STATUS_SUCCESS || status == STATUS_BUFFER_OVERFLOW;
}

static void
response(struct smb_conn *c, int dir, const struct smb2_hdr *h, struct rd *r,
    const struct smb_sink *sink)
{
	struct smb_pending *pe, pend_copy;
	struct smb_pipe *pp;
	const uint8_t *s;
	uint32_t n, off;
	uint16_t dialect;
	uint8_t type;
	bool ok = h->status == STATUS_SUCCESS;

	/* An interim response: the final one comes with the same id. */
	if (h->status == STATUS_PENDING &&
	    (h->flags & SMB2_FLAGS_ASYNC_COMMAND))
		return;
	if (h->cmd == SMB2_NEGOTIATE) {
		rd_skip(r, 4);
		dialect = rd_le16(r);
		if (ok && rd_ok(r))
			smb_set_version(c, SMB_VERSION_2,
			    dialect == SMB2_DIALECT_WILDCARD ? 0 : dialect,
			    sink);
		return;
	}
	if (h->cmd == SMB2_SESSION_SETUP) {
		/* StructureSize, SessionFlags, SecurityBuffer offset/length. */
		rd_skip(r, 4);
		off = rd_le16(r);
		n = rd_le16(r);
		if (!rd_ok(r) || n == 0 || sink->auth == NULL)
			return;
		rd_seek(r, off);
		if ((s = rd_ptr(r, n)) != NULL)
			sink->auth(sink->arg, dir, s, n);
		return;
	}
	if ((pe = smb_pending_find(c, SMB_VERSION_2, h->msgid, h->cmd, 0,
	    0)) == NULL)
		return;
	pend_copy = *pe;
	pe->used = false;
	pe = &pend_copy;
	switch (h->cmd) {
	case SMB2_TREE_CONNECT:
		rd_skip(r, 2);
		type = rd_u8(r);
		if (ok && rd_ok(r))
			smb_tree_add(c, h->tid,
			    type == SMB2_SHARE_TYPE_PIPE || pe->kind);
		break;
	case SMB2_TREE_DISCONNECT:
		if (ok)
			smb_tree_remove(c, pe->tree, sink);
		break;
	case SMB2_CREATE:
		/* The share itself (an empty name) is no pipe. */
		if (!(pe->kind == TREE_PIPE || smb_known_pipe(sink, pe->name)) ||
		    pe->name[1] == '\0')
			break;
		if (!ok) {
			c->p->st.open_errors++;
			break;
		}
		rd_skip(r, 64);
		if ((s = rd_ptr(r, 16)) == NULL)
			break;
		smb_pipe_open(c, SMB_VERSION_2, s, 16, pe->tree, pe->name,
		    sink);
		break;
	case SMB2_CLOSE:
		if (ok && (pp = smb_pipe_find(c, pe->fid, 16)) != NULL)
			smb_pipe_close(c, pp, sink);
		break;
	case SMB2_WRITE:
		if ((pp = smb_pipe_find(c, pe->fid, 16)) != NULL)
			smb_pipe_data(c, pp, dir, NULL, 0, sink);
		break;
	case SMB2_READ:
	case SMB2_IOCTL:
		if ((pp = smb_pipe_find(c, pe->fid, 16)) == NULL)
			break;
		smb_pipe_data(c, pp, dir, NULL, 0, sink);
		if (!status_data_ok(h->status))
			break;
		if (h->cmd == SMB2_READ) {
			/* StructureSize, DataOffset (1 byte), Reserved. */
			rd_skip(r, 2);
			off = rd_u8(r);
			rd_skip(r, 1);
			n = rd_le32(r);
		} else {
			/* ... InputOffset/Count, OutputOffset/Count. */
			rd_skip(r, 32);
			off = rd_le32(r);
			n = rd_le32(r);
		}
		if (!rd_ok(r) || n == 0)
			break;
		rd_seek(r, off);
		if ((s = rd_ptr(r, n)) != NULL)
			smb_pipe_data(c, pp, dir, s, n, sink);
		break;
	default:
		break;
	}
}

void
smb2_process(struct smb_conn *c, int dir, const uint8_t *msg, size_t len,
    const struct smb_sink *sink)
{
	struct smb2_hdr h;
	struct rd r;
	size_t off = 0, part;

	for (;;) {
		rd_init(&r, msg + off, len - off);
		if (!hdr_read(&r, &h)) {
			if (r.err == RD_TRUNCATED)
				c->p->st.truncated++;
			else
				c->p->st.invalid++;
			return;
		}
		c->p->st.smb2++;
		part = len - off;
		if (h.next != 0) {
			/* Each part starts 8-aligned, after a whole header. */
			if (h.next < SMB2_HDR_LEN || h.next > part ||
			    (h.next & 7) != 0) {
				c->p->st.invalid++;
				h.next = 0;
			} else
				part = h.next;
		}
		rd_init(&r, msg + off, part);
		rd_skip(&r, SMB2_HDR_LEN);
		if (h.flags & SMB2_FLAGS_SERVER_TO_REDIR)
			response(c, dir, &h, &r, sink);
		else
			request(c, dir, &h, &r, sink);
		if (r.err == RD_TRUNCATED)
			c->p->st.truncated++;
		else if (r.err == RD_INVALID)
			c->p->st.invalid++;
		if (h.next == 0)
			return;
		off += h.next;
	}
}
