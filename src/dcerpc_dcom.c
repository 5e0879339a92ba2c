/*
 * dcerpc_dcom.c - DCOM string bindings: the dynamic ports of object
 * exporters, from activation and OXID resolution replies.
 *
 * specification: [MS-DCOM] 2.2.19 (DUALSTRINGARRAY, STRINGBINDING),
 * 3.1.2.5 (IObjectExporter ResolveOxid, ResolveOxid2, ServerAlive2;
 * IRemoteSCMActivator RemoteGetClassObject, RemoteCreateInstance),
 * 2.2.22 (activation property blobs), [MS-RPCE] 2.2.4 (NDR).
 *
 * DUALSTRINGARRAY (NDR, conformant):
 *   max_count u32, wNumEntries u16, wSecurityOffset u16,
 *   aStringArray u16[wNumEntries]:
 *     string bindings { wTowerId u16, aNetworkAddr UTF-16 "host[port]" NUL }
 *     ... NUL, then security bindings ... NUL NUL
 * Only ncacn_ip_tcp bindings (tower id 0x0007) that carry "[port]" name a
 * dynamic endpoint; a bare host means "the resolver's own port 135".
 *
 * Where the bindings sit:
 *  - ResolveOxid (opnum 0) and ResolveOxid2 (opnum 4): the first [out]
 *    parameter, a unique pointer to the DUALSTRINGARRAY;
 *  - ServerAlive2 (opnum 5): after a COMVERSION (u16 major, u16 minor);
 *  - RemoteCreateInstance / RemoteGetClassObject (opnums 4 / 3 of
 *    IRemoteSCMActivator) and RemoteActivation (opnum 0 of the old
 *    IRemoteActivation): deep inside marshaled property blobs (OBJREF ->
 *    ActivationPropertiesOut -> ScmReplyInfoData -> RemoteReplyInfo).
 *    Rather than walk five layers of type-serialised data, those replies
 *    are searched for a DUALSTRINGARRAY that checks out completely
 *    (matching counts, terminators where the counts put them, a
 *    printable host and a decimal port): a structure that self-consistent
 *    does not occur by chance, and the search is linear in the stub.
 *
 * Endpoints from DCOM name IRemUnknown (00000131-0000-0000-c000-
 * 000000000046), the interface every object exporter serves, and the
 * activated CLSID when the request carried one.
 */
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"
#include "svcmap/rd.h"
#include "svcmap/transport.h"

#include "dcerpc_int.h"

#define OXID_OP_RESOLVE		0
#define OXID_OP_RESOLVE2	4
#define OXID_OP_SERVER_ALIVE2	5
#define SCM_OP_GET_CLASS_OBJECT	3
#define SCM_OP_CREATE_INSTANCE	4
#define REMACT_OP_ACTIVATION	0

#define TOWER_NCACN_IP_TCP	0x0007
#define DSA_MAX_HOST		255	/* longest host name we keep */

static const uint8_t uuid_irem_unknown[16] = {
	0x00, 0x00, 0x01, 0x31, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
/* CLSID_InstantiationInfo: the activation property naming the class. */
static const uint8_t clsid_instantiation_info[16] = {
	0x00, 0x00, 0x01, 0xab, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };

bool
dcom_wants_reply(enum rpc_iface iface, uint16_t opnum)
{
	switch (iface) {
	case IFACE_OXID:
		return opnum == OXID_OP_RESOLVE || opnum == OXID_OP_RESOLVE2 ||
		    opnum == OXID_OP_SERVER_ALIVE2;
	case IFACE_SCM_ACTIVATOR:
		return opnum == SCM_OP_GET_CLASS_OBJECT ||
		    opnum == SCM_OP_CREATE_INSTANCE;
	case IFACE_REMOTE_ACTIVATION:
		return opnum == REMACT_OP_ACTIVATION;
	default:
		return false;
	}
}

/* "host[port]" -> port (0 if none) and host, when host is an address. */
static uint16_t
binding_port(const char *s, size_t n, struct addr *a, bool *has_addr)
{
	char host[DSA_MAX_HOST + 1];
	size_t i, hl;
	uint32_t v = 0;

	*has_addr = false;
	for (hl = 0; hl < n && s[hl] != '['; hl++)
		;
	if (hl == n || hl == 0 || n - hl < 3 || s[n - 1] != ']')
		return 0;
	for (i = hl + 1; i < n - 1; i++) {
		if (s[i] < '0' || s[i] > '9' || v > UINT16_MAX)
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v == 0 || v > UINT16_MAX)
		return 0;
	memcpy(host, s, hl);
	host[hl] = '\0';
	*has_addr = addr_parse(a, host) == 0;
	return (uint16_t)v;
}

/*
 * Read one DUALSTRINGARRAY at r (after its max_count), fully checked;
 * announce its ncacn_ip_tcp bindings when emit.  Returns false if it
 * does not check out.
 */
static bool
dsa_parse(struct dcerpc_parser *p, struct rd *r, uint32_t maxc,
    const struct rpc_reply *rep, const struct dcerpc_sink *sink, bool emit,
    unsigned *found)
{
	struct dcerpc_endpoint ep;
	char s[DSA_MAX_HOST + 8];
	uint16_t nent, secoff, tower, c;
	size_t used = 0, n;
	bool text;

	nent = rd_u16o(r, rep->little);
	secoff = rd_u16o(r, rep->little);
	/* Room for at least the two NULs that end the security bindings. */
	if (!rd_ok(r) || nent != maxc || secoff == 0 || nent - secoff < 2)
		return false;
	/* String bindings until the empty one at secoff - 1 at most. */
	for (;;) {
		if (used >= secoff)
			return false;
		tower = rd_u16o(r, rep->little);
		used++;
		if (tower == 0)
			break;
		n = 0;
		text = true;
		for (;;) {
			if (used >= secoff)
				return false;
			c = rd_u16o(r, rep->little);
			used++;
			if (!rd_ok(r))
				return false;
			if (c == 0)
				break;
			if (c < 0x20 || c > 0x7e)
				text = false;	/* not a name we can use */
			if (n < sizeof(s))
				s[n++] = (char)c;
		}
		if (tower != TOWER_NCACN_IP_TCP || !text || n >= sizeof(s))
			continue;
		memset(&ep, 0, sizeof(ep));
		if ((ep.port = binding_port(s, n, &ep.addr, &ep.has_addr)) == 0)
			continue;
		(*found)++;
		if (!emit)
			continue;
		memcpy(ep.uuid, uuid_irem_unknown, 16);
		ep.transport = TRANSPORT_TCP;
		ep.source = EP_SOURCE_DCOM;
		ep.has_clsid = rep->has_clsid;
		memcpy(ep.clsid, rep->clsid, 16);
		p->st.dcom_bindings++;
		if (sink != NULL && sink->endpoint != NULL)
			sink->endpoint(sink->arg, &ep);
	}
	if (used != secoff)
		return false;
	/* Security bindings: the array must end with two NULs. */
	rd_skip(r, (size_t)(nent - secoff - 2) * 2);
	if (rd_u16o(r, rep->little) != 0 || rd_u16o(r, rep->little) != 0)
		return false;
	return rd_ok(r);
}

/* A unique pointer to a DUALSTRINGARRAY at the cursor. */
static void
dsa_at(struct dcerpc_parser *p, struct rd *r, const struct rpc_reply *rep,
    const struct dcerpc_sink *sink)
{
	struct rd chk;
	uint32_t ref, maxc;
	unsigned found = 0;

	ref = rd_u32o(r, rep->little);
	maxc = rd_u32o(r, rep->little);
	if (!rd_ok(r)) {
		dcerpc_count_rd(p, r);
		return;
	}
	if (ref == 0)
		return;
	chk = *r;
	if (!dsa_parse(p, &chk, maxc, rep, sink, false, &found)) {
		if (chk.err == RD_TRUNCATED)
			p->st.truncated++;
		else
			p->st.invalid++;
		return;
	}
	(void)dsa_parse(p, r, maxc, rep, sink, true, &found);
}

/* Search a stub for self-consistent DUALSTRINGARRAYs (see above). */
static void
dsa_search(struct dcerpc_parser *p, const uint8_t *stub, size_t len,
    const struct rpc_reply *rep, const struct dcerpc_sink *sink)
{
	struct rd r, chk;
	size_t off;
	uint32_t maxc;
	unsigned found;

	/* NDR aligns the array's max_count to 4 within its own stream,
	 * whose start inside the blob we do not track: try every 2. */
	for (off = 0; off + 8 <= len; off += 2) {
		rd_init(&r, stub + off, len - off);
		maxc = rd_u32o(&r, rep->little);
		if (maxc < 2 || maxc > (len - off) / 2)
			continue;
		chk = r;
		found = 0;
		if (!dsa_parse(p, &chk, maxc, rep, sink, false, &found) ||
		    found == 0)
			continue;
		(void)dsa_parse(p, &r, maxc, rep, sink, true, &found);
		off += (size_t)(r.p - (stub + off)) - 2;
	}
}

void
dcom_parse_response(struct dcerpc_parser *p, enum rpc_iface iface,
    const uint8_t *stub, size_t len, const struct rpc_reply *rep,
    const struct dcerpc_sink *sink)
{
	struct rd r;

	rd_init(&r, stub, len);
	if (iface == IFACE_OXID && rep->opnum == OXID_OP_SERVER_ALIVE2) {
		rd_skip(&r, 4);		/* COMVERSION */
		dsa_at(p, &r, rep, sink);
	} else if (iface == IFACE_OXID)
		dsa_at(p, &r, rep, sink);
	else
		dsa_search(p, stub, len, rep, sink);
}

/*
 * The activated class of RemoteCreateInstance / RemoteGetClassObject
 * ([MS-DCOM] 2.2.22.2.1).  The activation properties blob starts with a
 * CustomHeader, type-serialised (16 bytes of headers) then totalSize,
 * headerSize, dwReserved, destCtx, cIfs, classInfoClsid, and three
 * pointers (48 bytes); its deferred arrays follow: the property CLSIDs
 * (max_count + cIfs GUIDs) and their sizes (max_count + cIfs u32).
 * Properties follow the header (headerSize counts from the header's own
 * serialisation headers) in list order, each sizes[i] long; the
 * InstantiationInfoData one begins, after its own 16 bytes of headers,
 * with the class id.  The CLSID list is found by its
 * CLSID_InstantiationInfo entry; everything else is checked against it.
 * The blob is always little-endian (its serialisation header says so).
 */
#define CH_FIELDS_LEN	48	/* CustomHeader fixed part */
#define TS_HDR_LEN	16	/* type serialisation common + private header */
#define CH_MAX_IFS	16	/* properties per blob we follow */

bool
dcom_request_clsid(enum rpc_iface iface, uint16_t opnum, const uint8_t *stub,
    size_t len, bool little, uint8_t clsid[16])
{
	struct rd r;
	uint8_t want[16], wire[16];
	uint32_t cifs, hdrsz, size, i, k;
	size_t off, list, hstart, prop;

	(void)little;
	if (iface != IFACE_SCM_ACTIVATOR || (opnum != SCM_OP_CREATE_INSTANCE &&
	    opnum != SCM_OP_GET_CLASS_OBJECT))
		return false;
	/* Text order to wire order: the swap is its own inverse. */
	uuid_from_wire(want, clsid_instantiation_info, true);
	for (off = 4; off + 16 <= len; off += 4) {
		if (memcmp(stub + off, want, 16) != 0)
			continue;
		/* Which list entry is it?  Try each k with a matching count. */
		for (k = 0; k < CH_MAX_IFS && (size_t)k * 16 + 4 <= off; k++) {
			list = off - (size_t)k * 16 - 4;
			if (list < CH_FIELDS_LEN + TS_HDR_LEN)
				break;
			hstart = list - CH_FIELDS_LEN - TS_HDR_LEN;
			rd_init(&r, stub + hstart, len - hstart);
			rd_skip(&r, TS_HDR_LEN + 4);
			hdrsz = rd_le32(&r);
			rd_skip(&r, 8);
			cifs = rd_le32(&r);
			if (!rd_ok(&r) || cifs <= k || cifs > CH_MAX_IFS)
				continue;
			rd_init(&r, stub + list, len - list);
			if (rd_le32(&r) != cifs)
				continue;
			rd_skip(&r, (size_t)cifs * 16);
			if (rd_le32(&r) != cifs)	/* sizes max_count */
				continue;
			prop = hstart + hdrsz;
			for (i = 0; i < k; i++) {
				size = rd_le32(&r);
				prop += size;
			}
			if (!rd_ok(&r) || prop < hstart || prop >= len)
				continue;
			rd_init(&r, stub + prop, len - prop);
			rd_skip(&r, TS_HDR_LEN);
			rd_bytes(&r, wire, 16);
			if (!rd_ok(&r))
				continue;
			uuid_from_wire(clsid, wire, true);
			return true;
		}
	}
	return false;
}
