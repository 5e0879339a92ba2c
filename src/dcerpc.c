/*
 * dcerpc.c - connection-oriented DCE/RPC over TCP and byte streams: PDU
 * framing across segments, bind/alter_context, bind_ack, requests and
 * responses.
 *
 * specification: C706 chapter 12 (PDU formats), [MS-RPCE] 2.2.2.
 *
 * Common header of every connection-oriented PDU (C706 12.6.3.1):
 *
 *   0       1       2       3       4               8      10      12
 *  +-------+-------+-------+-------+---------------+-------+-------+
 *  | vers  | minor | ptype | flags |     drep      |frag_ln|auth_ln|
 *  +-------+-------+-------+-------+---------------+-------+-------+
 *  |            call_id            |  (16) PDU body ... [auth trailer]
 *  +-------------------------------+
 *
 * drep[0] & 0x10 chooses little-endian integers for the whole PDU.  The
 * auth trailer is: auth_pad bytes, an 8-byte sec_trailer (type, level,
 * pad length, reserved, context id), then auth_length verifier bytes.
 *
 * Each direction is read as a stream of PDUs: complete PDUs are parsed
 * straight from the bytes fed, and only a PDU cut by the end of a feed is
 * copied (the header into a fixed array, the rest into a buffer that grows
 * up to max_frag_len).  A header that cannot be trusted, or missing data,
 * puts the direction into resync: bytes are skipped until a plausible
 * header starts, so a lost segment costs the PDUs it touched and never
 * makes the parser read stub bytes as a header it believes.
 *
 * Two entry points share that framing: dcerpc_stream() takes the bytes of
 * an in-order stream (a named pipe, which SMB delivers already ordered),
 * and dcerpc_tcp() is TCP sequence tracking in front of it: it trims
 * retransmitted bytes and turns a sequence jump into a gap.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"
#include "svcmap/rd.h"
#include "svcmap/transport.h"

#include "dcerpc_int.h"

/* Interfaces in text order, as uuid_fmt() prints them. */
static const uint8_t uuid_epm[16] = {
	0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9,
	0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa };
static const uint8_t uuid_scm_activator[16] = {
	0x00, 0x00, 0x01, 0xa0, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
static const uint8_t uuid_remote_activation[16] = {
	0x4d, 0x9f, 0x4a, 0xb8, 0x7d, 0x1c, 0x11, 0xcf,
	0x86, 0x1e, 0x00, 0x20, 0xaf, 0x6e, 0x7c, 0x57 };
static const uint8_t uuid_oxid[16] = {
	0x99, 0xfc, 0xfe, 0xc4, 0x52, 0x60, 0x10, 0x1b,
	0xbb, 0xcb, 0x00, 0xaa, 0x00, 0x21, 0x34, 0x7a };
/* NDR64 transfer syntax ([MS-RPCE] 2.2.5). */
static const uint8_t uuid_ndr64[16] = {
	0x71, 0x71, 0x05, 0x33, 0xbe, 0xba, 0x49, 0x37,
	0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36 };

const char *
endpoint_source_name(enum endpoint_source s)
{
	switch (s) {
	case EP_SOURCE_EPT_MAP:
		return "ept_map";
	case EP_SOURCE_EPT_LOOKUP:
		return "ept_lookup";
	case EP_SOURCE_BIND_ACK:
		return "bind_ack";
	case EP_SOURCE_DCOM:
		return "dcom";
	}
	return "unknown";
}

enum rpc_iface
dcerpc_iface_of(const uint8_t uuid[16])
{
	if (memcmp(uuid, uuid_epm, 16) == 0)
		return IFACE_EPM;
	if (memcmp(uuid, uuid_scm_activator, 16) == 0)
		return IFACE_SCM_ACTIVATOR;
	if (memcmp(uuid, uuid_remote_activation, 16) == 0)
		return IFACE_REMOTE_ACTIVATION;
	if (memcmp(uuid, uuid_oxid, 16) == 0)
		return IFACE_OXID;
	return IFACE_OTHER;
}

/* Count a stub parse that stopped early, by reason. */
void
dcerpc_count_rd(struct dcerpc_parser *p, const struct rd *r)
{
	if (r->err == RD_TRUNCATED)
		p->st.truncated++;
	else if (r->err == RD_INVALID)
		p->st.invalid++;
}

struct dcerpc_parser *
dcerpc_parser_create(const struct dcerpc_config *cfg)
{
	struct dcerpc_parser *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cfg = *cfg;
	/* A fragment can never be shorter than its own header. */
	if (p->cfg.max_frag_len < CO_HDR_LEN)
		p->cfg.max_frag_len = CO_HDR_LEN;
	return p;
}

void
dcerpc_parser_destroy(struct dcerpc_parser *p)
{
	free(p);
}

const struct dcerpc_stats *
dcerpc_parser_stats(const struct dcerpc_parser *p)
{
	return &p->st;
}

struct dcerpc_flow *
dcerpc_flow_create(struct dcerpc_parser *p)
{
	struct dcerpc_flow *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->p = p;
	return f;
}

void
dcerpc_flow_destroy(struct dcerpc_flow *f)
{
	if (f == NULL)
		return;
	free(f->dir[0].s.buf);
	free(f->dir[1].s.buf);
	free(f->rbuf);
	free(f);
}

size_t
dcerpc_flow_size(void)
{
	return sizeof(struct dcerpc_flow);
}

/*
 * Header plausibility.  HDR_NEED: the n bytes seen so far could start a
 * PDU but the 16-byte header is not complete.  The checks are the ones
 * resynchronisation relies on: version 5.0/5.1, a known ptype, a drep
 * whose integer and character formats exist, frag_length within
 * [16, max] and an auth trailer that fits.
 */
enum hdr_verdict { HDR_OK, HDR_NEED, HDR_BAD, HDR_OVERSIZE };

static enum hdr_verdict
hdr_check(const struct dcerpc_parser *p, const uint8_t *h, size_t n,
    size_t *frag_len)
{
	bool little;
	uint16_t fl, al;

	if (n >= 1 && h[0] != 5)
		return HDR_BAD;
	if (n >= 2 && h[1] > 1)
		return HDR_BAD;
	if (n >= 3 && h[2] > CO_PTYPE_MAX)
		return HDR_BAD;
	if (n >= 5 && (h[4] & 0xee) != 0)	/* int rep 0/1, char rep 0/1 */
		return HDR_BAD;
	if (n >= 6 && h[5] > 3)			/* IEEE, VAX, Cray, IBM */
		return HDR_BAD;
	if (n < 12)
		return HDR_NEED;
	little = (h[4] & 0x10) != 0;
	fl = little ? (uint16_t)(h[8] | h[9] << 8) : (uint16_t)(h[8] << 8 | h[9]);
	al = little ? (uint16_t)(h[10] | h[11] << 8) :
	    (uint16_t)(h[10] << 8 | h[11]);
	if (fl < CO_HDR_LEN)
		return HDR_BAD;
	if (fl > p->cfg.max_frag_len)
		return HDR_OVERSIZE;
	if (al != 0 && (size_t)al + CO_AUTH_HDR_LEN + CO_HDR_LEN > fl)
		return HDR_BAD;
	if (n < CO_HDR_LEN)
		return HDR_NEED;
	*frag_len = fl;
	return HDR_OK;
}

bool
dcerpc_looks_like_bind(const uint8_t *data, size_t len)
{
	struct dcerpc_parser p;
	size_t fl;

	memset(&p, 0, sizeof(p));
	p.cfg.max_frag_len = UINT16_MAX;
	if (hdr_check(&p, data, len, &fl) != HDR_OK)
		return false;
	return data[1] == 0 && (data[2] == CO_BIND || data[2] == CO_ALTER_CONTEXT);
}

/*
 * Is there a connection-oriented header at the start of these n bytes
 * that a stream picked up mid-way can trust?  Stricter than hdr_check(),
 * which only has to keep a parser that is already sure of its stream in
 * step: the 16 bytes must all be there, the ptype one a connection
 * carries, the drep's two reserved bytes zero, and frag_length at least
 * the fixed part of a request or response.  Random bytes pass at about
 * one offset in 10^15.
 */
static bool
pdu_plausible(const uint8_t *data, size_t n, int dir)
{
	struct dcerpc_parser p;
	struct rd r;
	uint8_t ptype, drep0;
	uint16_t fl, rsv;
	size_t fl_ok;
	bool little;

	if (n < CO_HDR_LEN)
		return false;
	memset(&p, 0, sizeof(p));
	p.cfg.max_frag_len = UINT16_MAX;
	if (hdr_check(&p, data, CO_HDR_LEN, &fl_ok) != HDR_OK)
		return false;
	rd_init(&r, data, CO_HDR_LEN);
	rd_skip(&r, 2);
	ptype = rd_u8(&r);
	rd_skip(&r, 1);
	drep0 = rd_u8(&r);
	rd_skip(&r, 1);
	rsv = rd_be16(&r);
	little = (drep0 & 0x10) != 0;
	fl = rd_u16o(&r, little);
	if (!rd_ok(&r) || rsv != 0)
		return false;
	/* Who sends what (C706 12.6.4): a PDU in the wrong direction says
	 * the flow is not what its orientation claims. */
	switch (ptype) {
	case CO_REQUEST:
		return dir != 1 && fl >= CO_HDR_LEN + 8;
	case CO_RESPONSE:
	case CO_FAULT:
		return dir != 0 && fl >= CO_HDR_LEN + 8;
	case CO_BIND:
	case CO_ALTER_CONTEXT:
	case CO_AUTH3:
	case CO_CANCEL:
	case CO_ORPHANED:
		return dir != 1;
	case CO_BIND_ACK:
	case CO_BIND_NAK:
	case CO_ALTER_CONTEXT_RESP:
	case CO_SHUTDOWN:
		return dir != 0;
	}
	/* 1, 4-10: connectionless types, never on a connection. */
	return false;
}

long
dcerpc_find_pdu(const uint8_t *data, size_t len, int dir)
{
	size_t i;

	if (data == NULL || len < CO_HDR_LEN)
		return -1;
	/* The version byte first: the scan costs one compare per byte. */
	for (i = 0; i + CO_HDR_LEN <= len; i++)
		if (data[i] == 5 && pdu_plausible(data + i, len - i, dir))
			return (long)i;
	return -1;
}

/* ---- presentation contexts and calls ---- */

static struct rpc_ctx *
ctx_find(struct dcerpc_flow *f, uint16_t id)
{
	unsigned i;

	for (i = 0; i < DCERPC_MAX_CTX; i++)
		if (f->ctx[i].used && f->ctx[i].id == id)
			return &f->ctx[i];
	return NULL;
}

static struct rpc_ctx *
ctx_slot(struct dcerpc_flow *f, uint16_t id)
{
	struct rpc_ctx *c;
	unsigned i;

	if ((c = ctx_find(f, id)) != NULL)
		return c;
	for (i = 0; i < DCERPC_MAX_CTX; i++)
		if (!f->ctx[i].used)
			return &f->ctx[i];
	/* Full: reuse slots in turn.  A client with more live contexts
	 * than this is not one we could follow anyway. */
	c = &f->ctx[f->ctx_next];
	f->ctx_next = (f->ctx_next + 1) % DCERPC_MAX_CTX;
	return c;
}

static struct rpc_call *
call_find(struct dcerpc_flow *f, uint32_t call_id)
{
	unsigned i;

	for (i = 0; i < DCERPC_MAX_CALLS; i++)
		if (f->calls[i].used && f->calls[i].call_id == call_id)
			return &f->calls[i];
	return NULL;
}

static struct rpc_call *
call_slot(struct dcerpc_flow *f, uint32_t call_id)
{
	struct rpc_call *c, *old = NULL;
	unsigned i;

	if ((c = call_find(f, call_id)) != NULL)
		return c;
	for (i = 0; i < DCERPC_MAX_CALLS; i++) {
		if (!f->calls[i].used)
			return &f->calls[i];
		if (old == NULL || f->calls[i].age < old->age)
			old = &f->calls[i];
	}
	/* Unanswered calls pile up only on broken or one-sided captures. */
	return old;
}

/* ---- PDU bodies ---- */

/*
 * bind / alter_context (C706 12.6.4.3): max_xmit_frag u16, max_recv_frag
 * u16, assoc_group_id u32, then p_cont_list: n_context_elem u8, 3
 * reserved, and per element p_cont_id u16, n_transfer_syn u8, reserved,
 * abstract syntax (uuid, u16 major, u16 minor) and n_transfer_syn
 * transfer syntaxes (uuid, u32 version).
 */
static void
co_bind(struct dcerpc_parser *p, struct dcerpc_flow *f, struct rd *r,
    bool little, const struct dcerpc_sink *sink)
{
	struct rpc_ctx *c;
	uint8_t wire[16], uuid[16];
	uint16_t id, maj, min;
	unsigned i, n, nts;

	rd_skip(r, 8);
	n = rd_u8(r);
	rd_skip(r, 3);
	if (!rd_ok(r)) {
		dcerpc_count_rd(p, r);
		return;
	}
	p->st.binds++;
	f->n_offered = 0;
	for (i = 0; i < n; i++) {
		id = rd_u16o(r, little);
		nts = rd_u8(r);
		rd_skip(r, 1);
		rd_bytes(r, wire, 16);
		maj = rd_u16o(r, little);
		min = rd_u16o(r, little);
		/* Each transfer syntax is 20 bytes; rd_skip bounds the count. */
		rd_skip(r, (size_t)nts * 20);
		if (!rd_ok(r)) {
			dcerpc_count_rd(p, r);
			return;
		}
		uuid_from_wire(uuid, wire, little);
		c = ctx_slot(f, id);
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->id = id;
		c->ver_major = maj;
		c->ver_minor = min;
		memcpy(c->uuid, uuid, 16);
		c->iface = (uint8_t)dcerpc_iface_of(uuid);
		if (f->n_offered < DCERPC_MAX_CTX)
			f->offered[f->n_offered++] = id;
		if (sink != NULL && sink->bound != NULL)
			sink->bound(sink->arg, uuid, maj, min);
	}
}

/* Is the secondary address a decimal TCP port ("49668")?  0 if not. */
static uint16_t
sec_addr_port(const uint8_t *s, size_t len)
{
	uint32_t v = 0;
	size_t i;

	/* port_spec counts its terminating NUL. */
	while (len > 0 && s[len - 1] == 0)
		len--;
	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	return v > 0 && v <= UINT16_MAX ? (uint16_t)v : 0;
}

/*
 * bind_ack / alter_context_resp (C706 12.6.4.4): max_xmit, max_recv,
 * assoc_group, sec_addr (u16 length + string with NUL), pad to 4, then
 * p_result_list: n_results u8, 3 reserved, per result: result u16,
 * reason u16, transfer syntax (uuid, u32 version).  Results answer the
 * offered contexts in order.
 */
static void
co_bind_ack(struct dcerpc_parser *p, struct dcerpc_flow *f, struct rd *r,
    bool little, const struct dcerpc_sink *sink)
{
	struct dcerpc_endpoint ep;
	struct rpc_ctx *c;
	const uint8_t *sa;
	uint8_t wire[16], ts[16];
	uint16_t salen, port, result;
	unsigned i, n;

	rd_skip(r, 8);
	salen = rd_u16o(r, little);
	sa = rd_ptr(r, salen);
	rd_align(r, 4);
	n = rd_u8(r);
	rd_skip(r, 3);
	if (!rd_ok(r)) {
		dcerpc_count_rd(p, r);
		return;
	}
	port = sec_addr_port(sa, salen);
	for (i = 0; i < n; i++) {
		result = rd_u16o(r, little);
		rd_skip(r, 2);
		rd_bytes(r, wire, 16);
		rd_skip(r, 4);
		if (!rd_ok(r)) {
			dcerpc_count_rd(p, r);
			return;
		}
		if (result != 0 || i >= f->n_offered ||
		    (c = ctx_find(f, f->offered[i])) == NULL)
			continue;
		uuid_from_wire(ts, wire, little);
		c->ndr64 = memcmp(ts, uuid_ndr64, 16) == 0;
		if (port == 0 || sink == NULL || sink->endpoint == NULL)
			continue;
		memset(&ep, 0, sizeof(ep));
		memcpy(ep.uuid, c->uuid, 16);
		ep.ver_major = c->ver_major;
		ep.ver_minor = c->ver_minor;
		ep.transport = TRANSPORT_TCP;
		ep.port = port;
		ep.source = EP_SOURCE_BIND_ACK;
		sink->endpoint(sink->arg, &ep);
	}
}

/* Which calls' responses we read: EPM lookups and DCOM bindings. */
static bool
wants_reply(enum rpc_iface iface, uint16_t opnum)
{
	if (iface == IFACE_EPM)
		return opnum == EPM_OP_MAP || opnum == EPM_OP_LOOKUP;
	return dcom_wants_reply(iface, opnum);
}

/*
 * request (C706 12.6.4.9): alloc_hint u32, p_cont_id u16, opnum u16,
 * optional object uuid, stub.  Only the first fragment is read: it has
 * the opnum the response needs and, for activations, the CLSID.
 */
static void
co_request(struct dcerpc_parser *p, struct dcerpc_flow *f, struct rd *r,
    uint8_t flags, uint32_t call_id, bool little, bool privacy,
    const struct dcerpc_sink *sink)
{
	struct rpc_ctx *c;
	struct rpc_call *call;
	uint16_t ctx_id, opnum;

	rd_skip(r, 4);
	ctx_id = rd_u16o(r, little);
	opnum = rd_u16o(r, little);
	if (flags & PFC_OBJECT_UUID)
		rd_skip(r, 16);
	if (!rd_ok(r)) {
		dcerpc_count_rd(p, r);
		return;
	}
	if (!(flags & PFC_FIRST_FRAG))
		return;
	c = ctx_find(f, ctx_id);
	if (c == NULL)
		return;
	if (sink != NULL && sink->request != NULL)
		sink->request(sink->arg, c->uuid, c->ver_major, opnum);
	if (!wants_reply((enum rpc_iface)c->iface, opnum))
		return;
	call = call_slot(f, call_id);
	memset(call, 0, sizeof(*call));
	call->used = true;
	call->call_id = call_id;
	call->opnum = opnum;
	call->iface = c->iface;
	call->ndr64 = c->ndr64;
	call->age = ++f->call_seq;
	if (!privacy)
		call->has_clsid = dcom_request_clsid((enum rpc_iface)c->iface,
		    opnum, r->p, rd_left(r), little, call->clsid);
}

static void
reply_parse(struct dcerpc_parser *p, const struct rpc_call *call,
    const uint8_t *stub, size_t len, bool little,
    const struct dcerpc_sink *sink)
{
	struct rpc_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.little = little;
	rep.ndr64 = call->ndr64;
	rep.opnum = call->opnum;
	rep.has_clsid = call->has_clsid;
	memcpy(rep.clsid, call->clsid, 16);
	if (call->iface == IFACE_EPM) {
		rep.source = call->opnum == EPM_OP_MAP ? EP_SOURCE_EPT_MAP :
		    EP_SOURCE_EPT_LOOKUP;
		epm_parse_response(p, stub, len, &rep, sink);
	} else {
		rep.source = EP_SOURCE_DCOM;
		dcom_parse_response(p, (enum rpc_iface)call->iface, stub, len,
		    &rep, sink);
	}
}

/* Append a response fragment's stub to the flow's reassembly buffer. */
static bool
reasm_append(struct dcerpc_parser *p, struct dcerpc_flow *f,
    const uint8_t *stub, size_t len)
{
	size_t ncap;
	uint8_t *nb;

	if (len == 0)		/* an empty fragment: nothing to keep */
		return true;
	if (len > p->cfg.max_reassembly ||
	    f->rlen > p->cfg.max_reassembly - len) {
		p->st.oversize++;
		f->ractive = false;
		return false;
	}
	if (f->rlen + len > f->rcap) {
		ncap = f->rcap == 0 ? 4096 : f->rcap;
		while (ncap < f->rlen + len)
			ncap *= 2;
		if (ncap > p->cfg.max_reassembly)
			ncap = p->cfg.max_reassembly;
		if ((nb = realloc(f->rbuf, ncap)) == NULL) {
			f->ractive = false;
			return false;
		}
		f->rbuf = nb;
		f->rcap = ncap;
	}
	memcpy(f->rbuf + f->rlen, stub, len);
	f->rlen += len;
	return true;
}

/*
 * response (C706 12.6.4.10): alloc_hint u32, p_cont_id u16, cancel_count
 * u8, reserved u8, stub.  Matched to its request by call_id; fragments of
 * a response we want are joined (up to max_reassembly) before parsing.
 */
static void
co_response(struct dcerpc_parser *p, struct dcerpc_flow *f, struct rd *r,
    uint8_t flags, uint32_t call_id, bool little, bool privacy,
    const struct dcerpc_sink *sink)
{
	struct rpc_call *call;
	const uint8_t *stub;
	size_t slen;

	rd_skip(r, 8);
	if (!rd_ok(r)) {
		dcerpc_count_rd(p, r);
		return;
	}
	if ((call = call_find(f, call_id)) == NULL)
		return;
	if (privacy) {
		if (flags & PFC_LAST_FRAG)
			call->used = false;
		return;
	}
	stub = r->p;
	slen = rd_left(r);
	if ((flags & (PFC_FIRST_FRAG | PFC_LAST_FRAG)) ==
	    (PFC_FIRST_FRAG | PFC_LAST_FRAG)) {
		f->ractive = false;
		reply_parse(p, call, stub, slen, little, sink);
		call->used = false;
		return;
	}
	if (flags & PFC_FIRST_FRAG) {
		if (f->ractive)
			p->st.truncated++;	/* the previous one never ended */
		f->ractive = true;
		f->rcall_id = call_id;
		f->rlen = 0;
	} else if (!f->ractive || f->rcall_id != call_id)
		return;		/* its first fragment was lost */
	if (!reasm_append(p, f, stub, slen)) {
		call->used = false;
		return;
	}
	if (flags & PFC_LAST_FRAG) {
		f->ractive = false;
		/* All fragments empty: rbuf may never have been allocated. */
		reply_parse(p, call, f->rlen > 0 ? f->rbuf : stub, f->rlen,
		    little, sink);
		call->used = false;
	}
}

/* One complete PDU of frag_length bytes whose header passed hdr_check(). */
static void
co_pdu(struct dcerpc_parser *p, struct dcerpc_flow *f, const uint8_t *pdu,
    size_t fl, const struct dcerpc_sink *sink)
{
	struct rd r;
	const uint8_t *stub_end;
	uint8_t ptype, flags, level = 0, pad = 0;
	uint16_t auth_len;
	uint32_t call_id;
	bool little, privacy;

	p->st.pdus++;
	rd_init(&r, pdu, fl);
	rd_skip(&r, 2);
	ptype = rd_u8(&r);
	flags = rd_u8(&r);
	little = (rd_u8(&r) & 0x10) != 0;
	rd_skip(&r, 3 + 2);
	auth_len = rd_u16o(&r, little);
	call_id = rd_u32o(&r, little);

	/* The sec_trailer sits right before the verifier; its pad length
	 * is how much of the body before it is padding, not stub. */
	stub_end = pdu + fl;
	if (auth_len > 0) {
		struct rd a;

		stub_end = pdu + fl - auth_len - CO_AUTH_HDR_LEN;
		rd_init(&a, stub_end, CO_AUTH_HDR_LEN);
		rd_skip(&a, 1);
		level = rd_u8(&a);
		pad = rd_u8(&a);
		if ((size_t)(stub_end - pdu) < (size_t)CO_HDR_LEN + pad) {
			p->st.invalid++;
			return;
		}
		stub_end -= pad;
	}
	rd_init(&r, pdu, (size_t)(stub_end - pdu));
	rd_skip(&r, CO_HDR_LEN);
	privacy = auth_len > 0 && level == AUTH_LEVEL_PRIVACY;
	if (privacy && (ptype == CO_REQUEST || ptype == CO_RESPONSE))
		p->st.encrypted++;

	switch (ptype) {
	case CO_BIND:
	case CO_ALTER_CONTEXT:
		co_bind(p, f, &r, little, sink);
		break;
	case CO_BIND_ACK:
	case CO_ALTER_CONTEXT_RESP:
		co_bind_ack(p, f, &r, little, sink);
		break;
	case CO_REQUEST:
		co_request(p, f, &r, flags, call_id, little, privacy, sink);
		break;
	case CO_RESPONSE:
		co_response(p, f, &r, flags, call_id, little, privacy, sink);
		break;
	case CO_FAULT: {
		struct rpc_call *call = call_find(f, call_id);

		if (call != NULL)
			call->used = false;
		break;
	}
	default:
		break;
	}
}

/* A header failed: count it once, then scan until one is trusted. */
static void
bad_header(struct dcerpc_parser *p, struct rpc_stream *d, enum hdr_verdict v)
{
	if (d->resync)
		return;
	p->st.invalid++;
	if (v == HDR_OVERSIZE)
		p->st.oversize++;
	d->resync = true;
}

/* Keep the rest of a PDU whose header is good for the next bytes. */
static void
hold_partial(struct dcerpc_parser *p, struct rpc_stream *d,
    const uint8_t *data, size_t len, size_t fl)
{
	size_t ncap;
	uint8_t *nb;

	if (d->bcap < fl) {
		ncap = d->bcap == 0 ? 1024 : d->bcap;
		while (ncap < fl)
			ncap *= 2;
		if (ncap > p->cfg.max_frag_len)
			ncap = p->cfg.max_frag_len;
		if ((nb = realloc(d->buf, ncap)) == NULL) {
			/* Drop this PDU; the next header is found by resync. */
			p->st.truncated++;
			d->resync = true;
			return;
		}
		d->buf = nb;
		d->bcap = ncap;
	}
	memcpy(d->buf, data, len);
	d->blen = len;
	d->want = fl;
}

/* Parse whole PDUs straight from the bytes fed; hold what is left. */
static void
co_scan(struct dcerpc_parser *p, struct dcerpc_flow *f, struct rpc_stream *d,
    const uint8_t *data, size_t len, const struct dcerpc_sink *sink)
{
	enum hdr_verdict v;
	size_t fl = 0;

	while (len > 0) {
		v = hdr_check(p, data, len, &fl);
		if (v == HDR_BAD || v == HDR_OVERSIZE) {
			bad_header(p, d, v);
			data++;
			len--;
			continue;
		}
		if (v == HDR_NEED) {
			memcpy(d->hdr, data, len);
			d->hlen = len;
			return;
		}
		d->resync = false;
		if (fl > len) {
			hold_partial(p, d, data, len, fl);
			return;
		}
		co_pdu(p, f, data, fl, sink);
		data += fl;
		len -= fl;
	}
}

/*
 * The framing proper, shared by both entry points: finish a held header
 * or PDU with the new bytes first, then parse what follows in place.
 */
static void
co_stream(struct dcerpc_parser *p, struct dcerpc_flow *f, struct rpc_stream *d,
    const uint8_t *data, size_t len, const struct dcerpc_sink *sink)
{
	enum hdr_verdict v;
	uint8_t tmp[CO_HDR_LEN];
	size_t take, fl = 0, n;

	while (len > 0) {
		if (d->blen > 0) {
			take = d->want - d->blen;
			if (take > len)
				take = len;
			memcpy(d->buf + d->blen, data, take);
			d->blen += take;
			data += take;
			len -= take;
			if (d->blen < d->want)
				return;
			d->blen = 0;
			co_pdu(p, f, d->buf, d->want, sink);
			continue;
		}
		if (d->hlen > 0) {
			take = CO_HDR_LEN - d->hlen;
			if (take > len)
				take = len;
			memcpy(d->hdr + d->hlen, data, take);
			d->hlen += take;
			data += take;
			len -= take;
			v = hdr_check(p, d->hdr, d->hlen, &fl);
			if (v == HDR_NEED)
				return;
			n = d->hlen;
			d->hlen = 0;
			if (v == HDR_OK) {
				d->resync = false;
				hold_partial(p, d, d->hdr, n, fl);
				if (d->blen == 0)	/* could not buffer */
					continue;
				if (fl == n) {		/* a bare 16-byte PDU */
					d->blen = 0;
					co_pdu(p, f, d->buf, fl, sink);
				}
				continue;
			}
			/* Not a header after all: rescan its tail byte by byte. */
			bad_header(p, d, v);
			memcpy(tmp, d->hdr, n);
			co_scan(p, f, d, tmp + 1, n - 1, sink);
			continue;
		}
		co_scan(p, f, d, data, len, sink);
		return;
	}
}

/*
 * Bytes went missing: whatever PDU was being held is lost (counted
 * truncated), and the next header is found by resynchronisation.
 */
static void
co_gap(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir)
{
	struct rpc_stream *d = &f->dir[dir].s;

	p->st.gaps++;
	if (d->blen > 0 || d->hlen > 0)
		p->st.truncated++;
	d->blen = 0;
	d->hlen = 0;
	d->resync = true;
	/* A response fragment may be what went missing. */
	if (dir == 1)
		f->ractive = false;
}

void
dcerpc_stream(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir,
    const uint8_t *data, size_t len, const struct dcerpc_sink *sink)
{
	if (len == 0 || dir < 0 || dir > 1)
		return;
	co_stream(p, f, &f->dir[dir].s, data, len, sink);
}

void
dcerpc_stream_gap(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir)
{
	if (dir < 0 || dir > 1)
		return;
	co_gap(p, f, dir);
}

void
dcerpc_tcp(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir,
    uint32_t seq, const uint8_t *data, size_t len,
    const struct dcerpc_sink *sink)
{
	struct rpc_dir *d;
	uint32_t gap;

	if (dir < 0 || dir > 1)
		return;
	d = &f->dir[dir];
	if (!tcpseq_trim(&d->seq, seq, &data, &len, &gap))
		return;
	if (gap > 0)
		co_gap(p, f, dir);
	co_stream(p, f, &d->s, data, len, sink);
}
