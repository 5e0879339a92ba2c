/*
 * dcerpc_cl.c - connectionless DCE/RPC over UDP (ncadg_ip_udp).
 *
 * specification: C706 12.5 (connectionless PDU header), appendix O (EPM).
 *
 * Header, 80 bytes, integers in the drep's order:
 *   0 rpc_vers (4)   1 ptype   2 flags1   3 flags2   4 drep[3]
 *   7 serial_hi      8 object uuid   24 interface uuid   40 activity uuid
 *  56 server_boot   60 if_version   64 seqnum   68 opnum   70 ihint
 *  72 ahint         74 body length  76 fragnum  78 auth_proto  79 serial_lo
 *
 * Every CL PDU names its interface and opnum, so an EPM response needs no
 * request state.  Only unfragmented responses are parsed: EPM answers
 * over UDP fit one datagram in practice (a fragmented one is counted as
 * oversize, not reassembled), which keeps UDP parsing free of per-flow
 * buffers.
 */
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"
#include "svcmap/rd.h"

#include "dcerpc_int.h"

#define CL_HDR_LEN		80
#define CL_REQUEST		0
#define CL_RESPONSE		2
#define CL_PTYPE_MAX		10
#define CL_FLAG_FRAG		0x04

void
dcerpc_udp(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir,
    const uint8_t *data, size_t len, const struct dcerpc_sink *sink)
{
	struct rpc_reply rep;
	struct rd r;
	uint8_t vers, ptype, flags1, drep, wire[16], iface[16];
	uint16_t opnum, blen, fragnum, if_major;
	const uint8_t *body;

	(void)f;	/* no per-flow state: every PDU is self-describing */
	(void)dir;
	if (len == 0)
		return;
	rd_init(&r, data, len);
	vers = rd_u8(&r);
	ptype = rd_u8(&r);
	flags1 = rd_u8(&r);
	rd_skip(&r, 1);
	drep = rd_u8(&r);
	rd_skip(&r, 3 + 16);
	rd_bytes(&r, wire, 16);
	memset(&rep, 0, sizeof(rep));
	rep.little = (drep & 0x10) != 0;
	rd_skip(&r, 16 + 4);
	/* The major version is the low half of if_vers (C706 12.5.3.1). */
	if_major = (uint16_t)(rd_u32o(&r, rep.little) & 0xffff);
	rd_skip(&r, 4);
	opnum = rd_u16o(&r, rep.little);
	rd_skip(&r, 4);
	blen = rd_u16o(&r, rep.little);
	fragnum = rd_u16o(&r, rep.little);
	rd_skip(&r, 2);
	if (!rd_ok(&r)) {
		p->st.truncated++;
		return;
	}
	if (vers != 4 || ptype > CL_PTYPE_MAX || (drep & 0xee) != 0) {
		p->st.invalid++;
		return;
	}
	body = rd_ptr(&r, blen);
	if (body == NULL) {
		p->st.truncated++;
		return;
	}
	p->st.pdus++;
	uuid_from_wire(iface, wire, rep.little);
	if (ptype == CL_REQUEST && fragnum == 0 && sink != NULL &&
	    sink->request != NULL)
		sink->request(sink->arg, iface, if_major, opnum);
	if (ptype != CL_RESPONSE || dcerpc_iface_of(iface) != IFACE_EPM ||
	    (opnum != EPM_OP_MAP && opnum != EPM_OP_LOOKUP))
		return;
	if (flags1 & CL_FLAG_FRAG) {
		p->st.oversize++;
		return;
	}
	rep.opnum = opnum;
	rep.source = opnum == EPM_OP_MAP ? EP_SOURCE_EPT_MAP :
	    EP_SOURCE_EPT_LOOKUP;
	epm_parse_response(p, body, blen, &rep, sink);
}
