/*
 * dcerpc_epm.c - Endpoint Mapper responses: ept_map and ept_lookup stubs
 * and the protocol towers they carry.
 *
 * specification: C706 appendix L (protocol towers), appendix O and
 * [MS-RPCE] 2.2.1.2 (ept_map, ept_lookup), chapter 14 (NDR) and
 * [MS-RPCE] 2.2.5 (NDR64).
 *
 * ept_map response ([out] parameters in order, NDR):
 *   entry_handle   20 bytes (context handle)
 *   num_towers     u32
 *   ITowers        conformant varying array of twr_p_t: max_count,
 *                  offset, actual_count, actual_count referent ids, then
 *                  the non-null towers (deferred), each a twr_t:
 *                  max_count, tower_length u32, tower_length octets
 *   status         u32
 * ept_lookup response:
 *   entry_handle, num_ents u32, entries: conformant varying array of
 *   ept_entry_t { object uuid, twr_p_t tower, [string] annotation (offset,
 *   actual_count, chars) }, then the deferred towers in order, status.
 * In NDR64 the counts and referent ids are 8 bytes aligned to 8.
 *
 * Tower (C706 L.1, always little-endian whatever the drep):
 *   floor_count u16, then per floor: lhs_length u16, lhs (protocol id +
 *   data), rhs_length u16, rhs.  Floor 1 is the interface (0x0d, uuid,
 *   major; rhs minor), floor 2 the transfer syntax, floor 3 the RPC
 *   protocol, floor 4 the port (0x07 TCP, 0x08 UDP, 0x1f HTTP; rhs
 *   big-endian) or a pipe/local name, floor 5 the host (0x09, IPv4).
 */
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"
#include "svcmap/rd.h"
#include "svcmap/transport.h"

#include "dcerpc_int.h"

/* Tower floor protocol identifiers (C706 appendix I, [MS-RPCE] 2.2.1.1). */
#define FLOOR_UUID		0x0d
#define FLOOR_TCP		0x07
#define FLOOR_UDP		0x08
#define FLOOR_IP		0x09
#define FLOOR_NCALRPC		0x0c
#define FLOOR_PIPE		0x0f
#define FLOOR_NETBIOS		0x11
#define FLOOR_LOCAL		0x10
#define FLOOR_HTTP		0x1f

#define EPT_HANDLE_LEN		20

/* NDR integer of the transfer syntax: u32 (NDR) or u64 (NDR64), aligned. */
static uint64_t
ndr_count(struct rd *r, const struct rpc_reply *rep)
{
	uint64_t v;

	if (!rep->ndr64) {
		rd_align(r, 4);
		return rd_u32o(r, rep->little);
	}
	rd_align(r, 8);
	if (rep->little)
		return rd_le64(r);
	v = (uint64_t)rd_be32(r) << 32;
	return v | rd_be32(r);
}

/*
 * Decode one tower and announce it when it names an interface and a
 * TCP, UDP or HTTP port.  A tower whose floors overrun it is dropped
 * whole: a port read from a lying tower is not worth learning.
 */
static void
epm_tower(struct dcerpc_parser *p, struct rd *t, const struct rpc_reply *rep,
    const struct dcerpc_sink *sink)
{
	struct dcerpc_endpoint ep;
	struct rd lhs, rhs;
	uint16_t nfloors, i, llen, rlen;
	uint8_t proto, wire[16];
	bool have_if = false, local = false;

	memset(&ep, 0, sizeof(ep));
	ep.source = rep->source;
	nfloors = rd_le16(t);
	/* Each floor takes at least 4 bytes, so the loop is bounded by
	 * the tower's length whatever floor_count says. */
	for (i = 0; i < nfloors && rd_ok(t); i++) {
		llen = rd_le16(t);
		lhs = rd_sub(t, llen);
		rlen = rd_le16(t);
		rhs = rd_sub(t, rlen);
		if (!rd_ok(t))
			break;
		proto = rd_u8(&lhs);
		if (!rd_ok(&lhs))
			continue;	/* an empty floor names nothing */
		if (i == 0) {
			if (proto != FLOOR_UUID)
				continue;
			rd_bytes(&lhs, wire, 16);
			ep.ver_major = rd_le16(&lhs);
			ep.ver_minor = rd_le16(&rhs);
			if (rd_ok(&lhs) && rd_ok(&rhs)) {
				uuid_from_wire(ep.uuid, wire, true);
				have_if = true;
			}
			continue;
		}
		switch (proto) {
		case FLOOR_TCP:
		case FLOOR_UDP:
		case FLOOR_HTTP:
			ep.port = rd_be16(&rhs);
			if (!rd_ok(&rhs)) {
				ep.port = 0;
				break;
			}
			ep.transport = proto == FLOOR_TCP ? TRANSPORT_TCP :
			    proto == FLOOR_UDP ? TRANSPORT_UDP :
			    ENDPOINT_TRANSPORT_HTTP;
			break;
		case FLOOR_IP: {
			const uint8_t *v4 = rd_ptr(&rhs, 4);

			if (v4 != NULL) {
				addr_from_v4(&ep.addr, v4);
				ep.has_addr = true;
			}
			break;
		}
		case FLOOR_PIPE:
		case FLOOR_LOCAL:
		case FLOOR_NCALRPC:
		case FLOOR_NETBIOS:
			local = true;
			break;
		default:
			/* Other floors (RPC protocol, transfer syntax, an
			 * unknown host form such as ncacn_http's 0x20)
			 * carry no endpoint: the responder is the host. */
			break;
		}
	}
	if (!rd_ok(t)) {
		dcerpc_count_rd(p, t);
		return;
	}
	p->st.towers++;
	if (have_if && ep.port != 0) {
		if (sink != NULL && sink->endpoint != NULL)
			sink->endpoint(sink->arg, &ep);
	} else if (local)
		p->st.towers_local++;
}

/* One deferred twr_t: max_count, tower_length, octets (bounded). */
static void
epm_twr(struct dcerpc_parser *p, struct rd *r, const struct rpc_reply *rep,
    const struct dcerpc_sink *sink, bool emit)
{
	struct rd t;
	uint64_t maxc;
	uint32_t tlen;

	maxc = ndr_count(r, rep);
	rd_align(r, 4);
	tlen = rd_u32o(r, rep->little);
	if (rd_ok(r) && tlen > maxc)
		rd_invalid(r);
	t = rd_sub(r, tlen);
	if (emit && rd_ok(r))
		epm_tower(p, &t, rep, sink);
}

/* Conformant varying array header: max_count, offset, actual_count. */
static uint64_t
ndr_varying(struct rd *r, const struct rpc_reply *rep)
{
	uint64_t maxc, off, actual;

	maxc = ndr_count(r, rep);
	off = ndr_count(r, rep);
	actual = ndr_count(r, rep);
	if (rd_ok(r) && (off > maxc || actual > maxc - off))
		rd_invalid(r);
	return rd_ok(r) ? actual : 0;
}

/*
 * Walk the stub once; announce towers only when emit is set.  The status
 * is the last field, so a first pass finds it and a second one announces
 * towers of successful replies only.
 */
static uint32_t
epm_walk(struct dcerpc_parser *p, struct rd *r, const struct rpc_reply *rep,
    const struct dcerpc_sink *sink, bool emit)
{
	size_t psz = rep->ndr64 ? 8 : 4;
	uint64_t n, i, nonnull = 0, ref, off, actual;

	rd_skip(r, EPT_HANDLE_LEN);
	rd_align(r, 4);
	(void)rd_u32o(r, rep->little);		/* num_towers / num_ents */
	n = ndr_varying(r, rep);
	/* Every element takes psz bytes at least: a count past the
	 * bytes left is a lie, caught before any loop runs. */
	if (rd_ok(r) && n > rd_left(r) / psz)
		rd_invalid(r);
	for (i = 0; i < n && rd_ok(r); i++) {
		if (rep->opnum == EPM_OP_LOOKUP) {
			rd_align(r, 4);
			rd_skip(r, 16);			/* object uuid */
		}
		ref = ndr_count(r, rep);
		if (ref != 0)
			nonnull++;
		if (rep->opnum == EPM_OP_LOOKUP) {
			/* annotation: [string] char[64], varying only */
			off = ndr_count(r, rep);
			actual = ndr_count(r, rep);
			if (rd_ok(r) && (off != 0 || actual > 64))
				rd_invalid(r);
			rd_skip(r, (size_t)actual);
		}
	}
	for (i = 0; i < nonnull && rd_ok(r); i++)
		epm_twr(p, r, rep, sink, emit);
	rd_align(r, 4);
	return rd_u32o(r, rep->little);
}

bool
epm_parse_response(struct dcerpc_parser *p, const uint8_t *stub, size_t len,
    const struct rpc_reply *rep, const struct dcerpc_sink *sink)
{
	struct rd r;
	uint32_t status;

	rd_init(&r, stub, len);
	status = epm_walk(p, &r, rep, sink, false);
	if (!rd_ok(&r)) {
		dcerpc_count_rd(p, &r);
		return false;
	}
	p->st.epm_replies++;
	if (status != 0) {
		/* EPT_S_NOT_REGISTERED (0x16c9a0d6) and friends. */
		p->st.epm_errors++;
		return true;
	}
	rd_init(&r, stub, len);
	(void)epm_walk(p, &r, rep, sink, true);
	return true;
}
