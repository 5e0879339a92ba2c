/*
 * test_dcerpc.c - DCE/RPC parsing on crafted PDUs: TCP reassembly, byte
 * orders, fragments, auth trailers, hostile towers, bind/bind_ack, EPM
 * (ept_map, ept_lookup over TCP and UDP), DCOM string bindings, and the
 * byte-stream entry point (every cut of a conversation, hostile lengths).
 *
 * PDUs are built here with a small NDR writer, so every expected value is
 * known exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"
#include "svcmap/transport.h"
#include "tap.h"

#define EPM_UUID	"e1af8308-5d1f-11c9-91a4-08002b14a0fa"
#define NETLOGON	"12345678-1234-abcd-ef00-01234567cffb"
#define DRSUAPI		"e3514235-4b06-11d1-ab04-00c04fc2dcd2"
#define LSARPC		"12345778-1234-abcd-ef00-0123456789ab"
#define OXID_UUID	"99fcfec4-5260-101b-bbcb-00aa0021347a"
#define NDR_UUID	"8a885d04-1ceb-11c9-9fe8-08002b104860"
#define NDR64_UUID	"71710533-beba-4937-8319-b5dbef9ccc36"

/* ---- a small NDR writer ---- */

struct w {
	uint8_t	b[8192];
	size_t	n;
	bool	le;
};

static void
w_u8(struct w *w, uint8_t v)
{
	w->b[w->n++] = v;
}

static void
w_le16(struct w *w, uint16_t v)
{
	w_u8(w, (uint8_t)v);
	w_u8(w, (uint8_t)(v >> 8));
}

static void
w_be16(struct w *w, uint16_t v)
{
	w_u8(w, (uint8_t)(v >> 8));
	w_u8(w, (uint8_t)v);
}

static void
w_u16(struct w *w, uint16_t v)
{
	if (w->le)
		w_le16(w, v);
	else
		w_be16(w, v);
}

static void
w_u32(struct w *w, uint32_t v)
{
	if (w->le) {
		w_le16(w, (uint16_t)v);
		w_le16(w, (uint16_t)(v >> 16));
	} else {
		w_be16(w, (uint16_t)(v >> 16));
		w_be16(w, (uint16_t)v);
	}
}

static void
w_bytes(struct w *w, const void *p, size_t n)
{
	/* memcpy() may not be given NULL, even for no bytes (UBSan). */
	if (n > 0)
		memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* A text UUID in wire order for byte order `le`. */
static void
w_uuid_o(struct w *w, const char *text, bool le)
{
	uint8_t u[16], wire[16];

	uuid_parse(u, text);
	uuid_from_wire(wire, u, le);	/* the swap is its own inverse */
	w_bytes(w, wire, 16);
}

static void
w_uuid(struct w *w, const char *text)
{
	w_uuid_o(w, text, w->le);
}

static void
w_align(struct w *w, size_t a)
{
	while (w->n % a)
		w_u8(w, 0);
}

/* A tower: interface floor, NDR floor, 0x0b, port floor, optional IPv4. */
static void
tower(struct w *t, const char *uuid, uint16_t maj, uint16_t min,
    uint8_t pproto, uint16_t port, const uint8_t *ip)
{
	t->n = 0;
	w_le16(t, ip != NULL ? 5 : 4);
	w_le16(t, 19);
	w_u8(t, 0x0d);
	w_uuid_o(t, uuid, true);
	w_le16(t, maj);
	w_le16(t, 2);
	w_le16(t, min);
	w_le16(t, 19);
	w_u8(t, 0x0d);
	w_uuid_o(t, NDR_UUID, true);
	w_le16(t, 2);
	w_le16(t, 2);
	w_le16(t, 0);
	w_le16(t, 1);
	w_u8(t, 0x0b);
	w_le16(t, 2);
	w_le16(t, 0);
	w_le16(t, 1);
	w_u8(t, pproto);
	w_le16(t, 2);
	w_be16(t, port);
	if (ip != NULL) {
		w_le16(t, 1);
		w_u8(t, 0x09);
		w_le16(t, 4);
		w_bytes(t, ip, 4);
	}
}

static void
w_twr(struct w *w, const struct w *t)
{
	w_align(w, 4);
	w_u32(w, (uint32_t)t->n);
	w_u32(w, (uint32_t)t->n);
	w_bytes(w, t->b, t->n);
}

/* ept_map response stub with n towers. */
static void
ept_map_stub(struct w *s, bool le, const struct w *towers, unsigned n,
    uint32_t status)
{
	unsigned i;

	s->le = le;
	s->n = 0;
	memset(s->b, 0, 20);
	s->n = 20;
	w_u32(s, n);
	w_u32(s, 4);		/* max_towers */
	w_u32(s, 0);
	w_u32(s, n);
	for (i = 0; i < n; i++)
		w_u32(s, 0x20000 + i);
	for (i = 0; i < n; i++)
		w_twr(s, &towers[i]);
	w_align(s, 4);
	w_u32(s, status);
}

/* A CO PDU around a body; auth_len > 0 adds pad + sec_trailer + verifier. */
static void
pdu(struct w *o, bool le, uint8_t ptype, uint8_t flags, uint32_t call_id,
    const uint8_t *body, size_t blen, uint16_t auth_len, uint8_t level)
{
	size_t pad = auth_len > 0 ? (4 - blen % 4) % 4 : 0, fl;

	fl = 16 + blen + (auth_len > 0 ? pad + 8 + auth_len : 0);
	o->n = 0;
	o->le = le;
	w_u8(o, 5);
	w_u8(o, 0);
	w_u8(o, ptype);
	w_u8(o, flags);
	w_u8(o, le ? 0x10 : 0x00);
	w_u8(o, 0);
	w_u8(o, 0);
	w_u8(o, 0);
	w_u16(o, (uint16_t)fl);
	w_u16(o, auth_len);
	w_u32(o, call_id);
	w_bytes(o, body, blen);
	if (auth_len > 0) {
		memset(o->b + o->n, 0, pad);
		o->n += pad;
		w_u8(o, 10);		/* NTLMSSP */
		w_u8(o, level);
		w_u8(o, (uint8_t)pad);
		w_u8(o, 0);
		w_u32(o, 1);
		memset(o->b + o->n, 0xaa, auth_len);
		o->n += auth_len;
	}
}

/* Request or response PDU: 8 bytes of header fields then the stub. */
static void
call_pdu(struct w *o, bool le, uint8_t ptype, uint8_t flags, uint32_t call_id,
    uint16_t ctx, uint16_t opnum, const struct w *stub, uint16_t auth_len,
    uint8_t level)
{
	struct w b;

	b.n = 0;
	b.le = le;
	w_u32(&b, (uint32_t)stub->n);
	w_u16(&b, ctx);
	if (ptype == 0)
		w_u16(&b, opnum);
	else
		w_u16(&b, 0);
	w_bytes(&b, stub->b, stub->n);
	pdu(o, le, ptype, flags, call_id, b.b, b.n, auth_len, level);
}

struct bctx {
	uint16_t	 id;
	const char	*uuid;
	uint16_t	 maj, min;
	const char	*ts;
};

static void
bind_pdu(struct w *o, bool le, uint8_t ptype, const struct bctx *c, unsigned n)
{
	struct w b;
	unsigned i;

	b.n = 0;
	b.le = le;
	w_u16(&b, 4280);
	w_u16(&b, 4280);
	w_u32(&b, 0);
	w_u8(&b, (uint8_t)n);
	w_u8(&b, 0);
	w_u16(&b, 0);
	for (i = 0; i < n; i++) {
		w_u16(&b, c[i].id);
		w_u8(&b, 1);
		w_u8(&b, 0);
		w_uuid(&b, c[i].uuid);
		w_u16(&b, c[i].maj);
		w_u16(&b, c[i].min);
		w_uuid(&b, c[i].ts);
		w_u32(&b, c[i].ts == NULL ? 2 : strcmp(c[i].ts, NDR_UUID) ? 1 : 2);
	}
	pdu(o, le, ptype, 3, 1, b.b, b.n, 0, 0);
}

static void
bind_ack_pdu(struct w *o, bool le, const char *secaddr, const uint16_t *res,
    const char **ts, unsigned n)
{
	struct w b;
	unsigned i;
	size_t sl = strlen(secaddr) + 1;

	b.n = 0;
	b.le = le;
	w_u16(&b, 4280);
	w_u16(&b, 4280);
	w_u32(&b, 0x1234);
	w_u16(&b, (uint16_t)sl);
	w_bytes(&b, secaddr, sl);
	while ((16 + b.n) % 4)
		w_u8(&b, 0);
	w_u8(&b, (uint8_t)n);
	w_u8(&b, 0);
	w_u16(&b, 0);
	for (i = 0; i < n; i++) {
		w_u16(&b, res[i]);
		w_u16(&b, 0);
		w_uuid(&b, ts[i]);
		w_u32(&b, 2);
	}
	pdu(o, le, 12, 3, 1, b.b, b.n, 0, 0);
}

/* Bytes of bind_pdu() for these contexts. */
static size_t
bind_len_of(const struct bctx *c)
{
	struct w o;

	bind_pdu(&o, true, 14, c, 1);
	return o.n;
}

/* ---- the sink ---- */

#define MAX_EP 32

static struct dcerpc_endpoint got[MAX_EP];
static unsigned ngot;
static uint8_t bound_uuid[8][16];
static unsigned nbound;

static void
on_bound(void *arg, const uint8_t uuid[16], uint16_t maj, uint16_t min)
{
	(void)arg;
	(void)maj;
	(void)min;
	if (nbound < 8)
		memcpy(bound_uuid[nbound], uuid, 16);
	nbound++;
}

static void
on_endpoint(void *arg, const struct dcerpc_endpoint *ep)
{
	(void)arg;
	if (ngot < MAX_EP)
		got[ngot] = *ep;
	ngot++;
}

static uint8_t req_uuid[16];
static uint16_t req_opnum;
static unsigned nreq;

static void
on_request(void *arg, const uint8_t uuid[16], uint16_t maj, uint16_t opnum)
{
	(void)arg;
	(void)maj;
	memcpy(req_uuid, uuid, 16);
	req_opnum = opnum;
	nreq++;
}

static const struct dcerpc_sink sink = { NULL, on_bound, on_endpoint,
    on_request };
static const struct dcerpc_config cfg = { 16384, 65536 };

static void
reset(void)
{
	ngot = 0;
	nbound = 0;
	nreq = 0;
	memset(got, 0, sizeof(got));
}

static const char *
fmt_uuid(const uint8_t u[16])
{
	static char buf[4][UUID_STRLEN];
	static int k;

	k = (k + 1) % 4;
	return uuid_fmt(u, buf[k]);
}

/* A flow with EPM bound as context 0 and an ept_map (opnum) request. */
struct conv {
	struct dcerpc_parser	*p;
	struct dcerpc_flow	*f;
	uint32_t		 seq[2];
	bool			 le;
};

static void
feed(struct conv *c, int dir, const uint8_t *b, size_t n)
{
	dcerpc_tcp(c->p, c->f, dir, c->seq[dir], b, n, &sink);
	c->seq[dir] += (uint32_t)n;
}

static void
conv_start(struct conv *c, bool le)
{
	static const struct bctx epm[] = { { 0, EPM_UUID, 3, 0, NDR_UUID } };
	static const uint16_t acc[] = { 0 };
	static const char *ndr[] = { NDR_UUID };
	struct w o;

	c->p = dcerpc_parser_create(&cfg);
	c->f = dcerpc_flow_create(c->p);
	c->seq[0] = 1000;
	c->seq[1] = 0xfffffff0;		/* wraps: serial arithmetic */
	c->le = le;
	bind_pdu(&o, le, 11, epm, 1);
	feed(c, 0, o.b, o.n);
	bind_ack_pdu(&o, le, "135", acc, ndr, 1);
	feed(c, 1, o.b, o.n);
}

/* The request carries a tower of its own, which must not be learned. */
static void
conv_request(struct conv *c, uint32_t call_id, uint16_t opnum)
{
	static const uint8_t ip[4] = { 10, 0, 0, 5 };
	struct w t, s, o;

	tower(&t, NETLOGON, 1, 0, 0x07, 135, ip);
	s.n = 0;
	s.le = c->le;
	w_u32(&s, 1);
	w_uuid(&s, "00000000-0000-0000-0000-000000000000");
	w_u32(&s, 2);
	w_twr(&s, &t);
	w_bytes(&s, (uint8_t[20]){ 0 }, 20);
	w_u32(&s, 4);
	call_pdu(&o, c->le, 0, 3, call_id, 0, opnum, &s, 0, 0);
	feed(c, 0, o.b, o.n);
}

static void
conv_end(struct conv *c)
{
	dcerpc_flow_destroy(c->f);
	dcerpc_parser_destroy(c->p);
}

static const uint8_t ip5[4] = { 10, 0, 0, 5 };

static void
test_split_segments(void)
{
	struct conv c;
	struct w t[1], s, o;
	char buf[ADDR_STRLEN];

	reset();
	conv_start(&c, true);
	ok(nbound == 1 && strcmp(fmt_uuid(bound_uuid[0]), EPM_UUID) == 0,
	    "bind to EPM reported");
	is_int(ngot, 1, "bind_ack secondary address 135 announced");
	conv_request(&c, 7, 3);
	is_int(ngot, 1, "request towers are not learned");
	is_int(nreq, 1, "the request reported once");
	is_int(req_opnum, 3, "its opnum");
	is_str(fmt_uuid(req_uuid), EPM_UUID, "the interface of its context");
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49668, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	call_pdu(&o, true, 2, 3, 7, 0, 0, &s, 0, 0);
	feed(&c, 1, o.b, 10);
	feed(&c, 1, o.b + 10, 50);
	feed(&c, 1, o.b + 60, o.n - 60);
	is_int(ngot, 2, "ept_map reply over 3 segments: one tower");
	is_str(fmt_uuid(got[1].uuid), NETLOGON, "tower interface");
	is_int(got[1].port, 49668, "tower port (big-endian on the wire)");
	is_int(got[1].transport, TRANSPORT_TCP, "tower transport");
	is_int(got[1].ver_major, 1, "tower major version");
	is_int(got[1].source, EP_SOURCE_EPT_MAP, "source ept_map");
	ok(got[1].has_addr, "tower has a host floor");
	is_str(addr_fmt(&got[1].addr, buf), "10.0.0.5", "tower address");
	is_int(dcerpc_parser_stats(c.p)->epm_replies, 1, "one EPM reply counted");
	is_int(dcerpc_parser_stats(c.p)->pdus, 4, "four PDUs parsed");
	is_int(dcerpc_parser_stats(c.p)->towers, 1, "one tower decoded");
	s.n = 0;
	s.le = true;
	w_u32(&s, 0);
	call_pdu(&o, true, 0, 3, 8, 5, 2, &s, 0, 0);
	feed(&c, 0, o.b, o.n);
	is_int(nreq, 1, "a request on a context never bound: not reported");
	conv_end(&c);
}

static void
test_two_pdus_one_segment(void)
{
	struct conv c;
	struct w t[2], s, o1, o2, both;

	reset();
	conv_start(&c, true);
	conv_request(&c, 2, 3);
	conv_request(&c, 3, 3);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	call_pdu(&o1, true, 2, 3, 2, 0, 0, &s, 0, 0);
	tower(&t[0], DRSUAPI, 4, 0, 0x07, 49155, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	call_pdu(&o2, true, 2, 3, 3, 0, 0, &s, 0, 0);
	both.n = 0;
	w_bytes(&both, o1.b, o1.n);
	w_bytes(&both, o2.b, o2.n);
	feed(&c, 1, both.b, both.n);
	is_int(ngot, 3, "two replies in one segment: two towers");
	is_int(got[1].port, 49158, "first reply's port");
	is_str(fmt_uuid(got[2].uuid), DRSUAPI, "second reply's interface");
	is_int(got[2].ver_major, 4, "second reply's version");
	conv_end(&c);
}

static void
test_big_endian(void)
{
	struct conv c;
	struct w t[1], s, o;

	reset();
	conv_start(&c, false);
	ok(nbound == 1 && strcmp(fmt_uuid(bound_uuid[0]), EPM_UUID) == 0,
	    "big-endian bind UUID");
	conv_request(&c, 0x01020304, 3);
	tower(&t[0], LSARPC, 0, 0, 0x07, 49157, ip5);
	ept_map_stub(&s, false, t, 1, 0);
	call_pdu(&o, false, 2, 3, 0x01020304, 0, 0, &s, 0, 0);
	feed(&c, 1, o.b, o.n);
	is_int(ngot, 2, "big-endian (drep 0x00) reply learned");
	is_str(fmt_uuid(got[1].uuid), LSARPC, "big-endian reply interface");
	is_int(got[1].port, 49157, "big-endian reply port");
	conv_end(&c);
}

static void
test_fragmented(void)
{
	struct conv c;
	struct w t[3], s, part, o, seg;
	size_t cut1, cut2;

	reset();
	conv_start(&c, true);
	conv_request(&c, 9, 3);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, ip5);
	tower(&t[1], NETLOGON, 1, 0, 0x07, 49155, ip5);
	tower(&t[2], DRSUAPI, 4, 0, 0x07, 49155, ip5);
	ept_map_stub(&s, true, t, 3, 0);
	cut1 = 50;
	cut2 = 130;
	/* first, middle and last fragments; the last two share a segment */
	part.n = 0;
	w_bytes(&part, s.b, cut1);
	call_pdu(&o, true, 2, 1, 9, 0, 0, &part, 0, 0);
	feed(&c, 1, o.b, o.n);
	part.n = 0;
	w_bytes(&part, s.b + cut1, cut2 - cut1);
	call_pdu(&o, true, 2, 0, 9, 0, 0, &part, 0, 0);
	seg.n = 0;
	w_bytes(&seg, o.b, o.n);
	part.n = 0;
	w_bytes(&part, s.b + cut2, s.n - cut2);
	call_pdu(&o, true, 2, 2, 9, 0, 0, &part, 0, 0);
	w_bytes(&seg, o.b, o.n);
	is_int(ngot, 1, "nothing learned before the last fragment");
	feed(&c, 1, seg.b, seg.n);
	is_int(ngot, 4, "fragmented reply: three towers after reassembly");
	is_int(got[1].port, 49158, "two towers for one interface: first port");
	is_int(got[2].port, 49155, "two towers for one interface: second port");
	ok(memcmp(got[1].uuid, got[2].uuid, 16) == 0,
	    "both towers name the same interface");
	is_str(fmt_uuid(got[3].uuid), DRSUAPI, "third tower interface");
	conv_end(&c);
}

static void
test_hostile_towers(void)
{
	struct conv c;
	struct w t[2], s, o;
	const struct dcerpc_stats *st;
	uint64_t trunc0;

	reset();
	conv_start(&c, true);
	st = dcerpc_parser_stats(c.p);
	conv_request(&c, 4, 3);
	/* Truncated: the port floor's rhs length points past the tower. */
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, NULL);
	t[0].b[t[0].n - 4] = 0x40;
	/* A floor count of 65535 with four floors' worth of bytes. */
	tower(&t[1], DRSUAPI, 4, 0, 0x07, 49155, NULL);
	t[1].b[0] = 0xff;
	t[1].b[1] = 0xff;
	ept_map_stub(&s, true, t, 2, 0);
	trunc0 = st->truncated;
	call_pdu(&o, true, 2, 3, 4, 0, 0, &s, 0, 0);
	feed(&c, 1, o.b, o.n);
	is_int(ngot, 1, "truncated tower and floor count 65535: nothing learned");
	is_int(st->truncated - trunc0, 2, "both towers counted truncated");
	is_int(st->epm_replies, 1, "the reply itself still parsed");
	/* Status EPT_S_NOT_REGISTERED: towers present but not learned. */
	conv_request(&c, 5, 3);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, NULL);
	ept_map_stub(&s, true, t, 1, 0x16c9a0d6);
	call_pdu(&o, true, 2, 3, 5, 0, 0, &s, 0, 0);
	feed(&c, 1, o.b, o.n);
	is_int(ngot, 1, "error status: nothing learned");
	is_int(st->epm_errors, 1, "error status counted");
	conv_end(&c);
}

/* ept_lookup stub: entries (object uuid, tower ptr, annotation), towers. */
static void
test_ept_lookup(void)
{
	struct conv c;
	struct w t[3], s, o;
	static const char *ann[3] = { "Netlogon", "", "Frs2 Service" };
	unsigned i;
	size_t al;

	reset();
	conv_start(&c, true);
	conv_request(&c, 11, 2);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, ip5);
	tower(&t[1], LSARPC, 0, 0, 0x07, 49159, NULL);
	/* named pipe tower: floor 4 protocol 0x0f, no port */
	tower(&t[2], DRSUAPI, 4, 0, 0x0f, 0x5c50, NULL);
	s.n = 0;
	s.le = true;
	memset(s.b, 0, 20);
	s.n = 20;
	w_u32(&s, 3);
	w_u32(&s, 3);
	w_u32(&s, 0);
	w_u32(&s, 3);
	for (i = 0; i < 3; i++) {
		w_uuid(&s, "00000000-0000-0000-0000-000000000000");
		w_u32(&s, 0x30000 + i);
		al = strlen(ann[i]) + 1;
		w_u32(&s, 0);
		w_u32(&s, (uint32_t)al);
		w_bytes(&s, ann[i], al);
		w_align(&s, 4);
	}
	for (i = 0; i < 3; i++)
		w_twr(&s, &t[i]);
	w_align(&s, 4);
	w_u32(&s, 0);
	call_pdu(&o, true, 2, 3, 11, 0, 0, &s, 0, 0);
	feed(&c, 1, o.b, o.n);
	is_int(ngot, 3, "ept_lookup: two port towers of three entries");
	is_int(got[1].source, EP_SOURCE_EPT_LOOKUP, "source ept_lookup");
	is_int(got[1].port, 49158, "first entry port");
	is_int(got[2].port, 49159, "second entry port");
	ok(!got[2].has_addr, "no host floor: has_addr false");
	is_int(dcerpc_parser_stats(c.p)->towers_local, 1,
	    "named-pipe tower counted as local");
	conv_end(&c);
}

static void
test_auth_trailer(void)
{
	struct conv c;
	struct w t[1], s, o;

	reset();
	conv_start(&c, true);
	conv_request(&c, 6, 3);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	w_le16(&s, 0);	/* odd stub length: the trailer needs 2 pad bytes */
	call_pdu(&o, true, 2, 3, 6, 0, 0, &s, 16, 5);
	feed(&c, 1, o.b, o.n);
	is_int(ngot, 2, "NTLMSSP integrity trailer (auth_length 16) skipped");
	is_int(got[1].port, 49158, "port read through the trailer");
	/* packet privacy: the stub is not readable */
	conv_request(&c, 8, 3);
	ept_map_stub(&s, true, t, 1, 0);
	call_pdu(&o, true, 2, 3, 8, 0, 0, &s, 16, 6);
	feed(&c, 1, o.b, o.n);
	is_int(ngot, 2, "packet privacy reply: nothing learned");
	is_int(dcerpc_parser_stats(c.p)->encrypted, 1, "encrypted stub counted");
	conv_end(&c);
}

static void
test_gap_and_lengths(void)
{
	struct conv c;
	struct w t[1], s, o, bad;
	const struct dcerpc_stats *st;

	reset();
	conv_start(&c, true);
	st = dcerpc_parser_stats(c.p);
	conv_request(&c, 20, 3);
	conv_request(&c, 21, 3);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	call_pdu(&o, true, 2, 3, 20, 0, 0, &s, 0, 0);
	/* the first 40 bytes arrive, the rest of this reply is lost */
	feed(&c, 1, o.b, 40);
	c.seq[1] += (uint32_t)(o.n - 40);
	call_pdu(&o, true, 2, 3, 21, 0, 0, &s, 0, 0);
	feed(&c, 1, o.b, o.n);
	is_int(st->gaps, 1, "missing segment counted as a gap");
	is_int(st->truncated, 1, "the cut PDU counted truncated");
	is_int(ngot, 2, "the next reply after the gap still parsed");
	/* A retransmission of it is skipped, not parsed twice. */
	dcerpc_tcp(c.p, c.f, 1, c.seq[1] - (uint32_t)o.n, o.b, o.n, &sink);
	is_int(ngot, 2, "retransmission skipped");

	/* frag_length 8 and frag_length over max_frag_len (16384) */
	pdu(&bad, true, 0, 3, 30, (const uint8_t *)"12345678", 8, 0, 0);
	bad.b[8] = 8;
	bad.b[9] = 0;
	feed(&c, 0, bad.b, bad.n);
	is_int(st->invalid, 1, "frag_length 8 rejected");
	conv_request(&c, 31, 3);
	pdu(&bad, true, 0, 3, 32, (const uint8_t *)"12345678", 8, 0, 0);
	bad.b[8] = 0x20;	/* 20000 */
	bad.b[9] = 0x4e;
	feed(&c, 0, bad.b, bad.n);
	is_int(st->invalid, 2, "frag_length 20000 > max_frag_len rejected");
	is_int(st->oversize, 1, "oversize fragment counted");
	conv_request(&c, 33, 3);
	call_pdu(&o, true, 2, 3, 33, 0, 0, &s, 0, 0);
	feed(&c, 1, o.b, o.n);
	is_int(ngot, 3, "requests after the bad PDUs resynchronised");
	conv_end(&c);
}

static void
test_bind_and_ack(void)
{
	static const struct bctx three[] = {
		{ 0, NETLOGON, 1, 0, NDR_UUID },
		{ 1, DRSUAPI, 4, 0, NDR64_UUID },
		{ 2, LSARPC, 0, 0, "6cb71c2c-9812-4540-0300-000000000000" },
	};
	static const uint16_t res[] = { 0, 0, 2 };
	static const char *ts[] = { NDR_UUID, NDR64_UUID,
	    "00000000-0000-0000-0000-000000000000" };
	struct dcerpc_parser *p = dcerpc_parser_create(&cfg);
	struct dcerpc_flow *f = dcerpc_flow_create(p);
	struct w o;

	reset();
	bind_pdu(&o, true, 11, three, 3);
	ok(dcerpc_looks_like_bind(o.b, o.n), "a bind looks like a bind");
	ok(!dcerpc_looks_like_bind(o.b, 10), "a cut header does not");
	dcerpc_tcp(p, f, 0, 1, o.b, o.n, &sink);
	is_int(nbound, 3, "bind with three contexts: three bound() calls");
	is_str(fmt_uuid(bound_uuid[0]), NETLOGON, "first context");
	is_str(fmt_uuid(bound_uuid[1]), DRSUAPI, "second context");
	is_str(fmt_uuid(bound_uuid[2]), LSARPC, "third context");
	is_int(dcerpc_parser_stats(p)->binds, 1, "one bind counted");
	bind_ack_pdu(&o, true, "49668", res, ts, 3);
	ok(!dcerpc_looks_like_bind(o.b, o.n), "a bind_ack is not a bind");
	dcerpc_tcp(p, f, 1, 1, o.b, o.n, &sink);
	is_int(ngot, 2, "bind_ack: the two accepted contexts announced");
	is_int(got[0].source, EP_SOURCE_BIND_ACK, "source bind_ack");
	is_int(got[0].port, 49668, "secondary address port");
	is_str(fmt_uuid(got[1].uuid), DRSUAPI, "accepted context's interface");
	ok(!got[0].has_addr, "bind_ack endpoint is the responder");
	reset();
	bind_ack_pdu(&o, true, "\\PIPE\\lsass", res, ts, 3);
	dcerpc_tcp(p, f, 1, 1 + (uint32_t)o.n, o.b, o.n, &sink);
	is_int(ngot, 0, "pipe secondary address: no endpoint");
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
}

/* IObjectExporter::ResolveOxid2 reply with a DUALSTRINGARRAY. */
static void
test_dcom_resolve_oxid2(void)
{
	static const struct bctx oxid[] = { { 0, OXID_UUID, 0, 0, NDR_UUID } };
	static const uint16_t acc[] = { 0 };
	static const char *ndr[] = { NDR_UUID };
	static const char *bind_str[] = { "10.0.0.9[49155]", "DC01[49155]",
	    "10.0.0.9" };
	struct dcerpc_parser *p = dcerpc_parser_create(&cfg);
	struct dcerpc_flow *f = dcerpc_flow_create(p);
	struct w o, s, arr;
	char buf[ADDR_STRLEN];
	unsigned i, secoff;
	const char *q;

	bind_pdu(&o, true, 11, oxid, 1);
	dcerpc_tcp(p, f, 0, 1, o.b, o.n, &sink);
	bind_ack_pdu(&o, true, "135", acc, ndr, 1);
	dcerpc_tcp(p, f, 1, 1, o.b, o.n, &sink);
	reset();
	/* ResolveOxid2 request: OXID, cRequestedProtseqs, protseq array */
	s.n = 0;
	s.le = true;
	w_u32(&s, 0x11223344);
	w_u32(&s, 0x55667788);
	w_u16(&s, 1);
	w_align(&s, 4);
	w_u32(&s, 1);
	w_u16(&s, 7);
	call_pdu(&o, true, 0, 3, 2, 0, 4, &s, 0, 0);
	dcerpc_tcp(p, f, 0, 1000, o.b, o.n, &sink);
	/* array of u16: bindings, NUL, security bindings, NUL NUL */
	arr.n = 0;
	arr.le = true;
	for (i = 0; i < 3; i++) {
		w_u16(&arr, 7);
		for (q = bind_str[i]; *q; q++)
			w_u16(&arr, (uint16_t)*q);
		w_u16(&arr, 0);
	}
	w_u16(&arr, 0);
	secoff = (unsigned)(arr.n / 2);
	w_u16(&arr, 10);
	w_u16(&arr, 0xffff);
	w_u16(&arr, 0);
	w_u16(&arr, 0);
	w_u16(&arr, 0);
	s.n = 0;
	w_u32(&s, 0x20000);			/* unique pointer */
	w_u32(&s, (uint32_t)(arr.n / 2));	/* max_count */
	w_u16(&s, (uint16_t)(arr.n / 2));	/* wNumEntries */
	w_u16(&s, (uint16_t)secoff);		/* wSecurityOffset */
	w_bytes(&s, arr.b, arr.n);
	w_align(&s, 4);
	w_bytes(&s, (uint8_t[16]){ 1 }, 16);	/* IPID */
	w_u32(&s, 10);				/* authn hint */
	w_u16(&s, 5);
	w_u16(&s, 7);				/* COMVERSION */
	w_u32(&s, 0);				/* HRESULT */
	call_pdu(&o, true, 2, 3, 2, 0, 0, &s, 0, 0);
	dcerpc_tcp(p, f, 1, 1000, o.b, o.n, &sink);
	is_int(ngot, 2, "ResolveOxid2: two bindings with a port");
	is_int(got[0].source, EP_SOURCE_DCOM, "source dcom");
	is_int(got[0].port, 49155, "binding port");
	ok(got[0].has_addr, "numeric host is an address");
	is_str(addr_fmt(&got[0].addr, buf), "10.0.0.9", "binding address");
	ok(!got[1].has_addr, "host name: the responder");
	is_str(fmt_uuid(got[0].uuid), "00000131-0000-0000-c000-000000000046",
	    "DCOM endpoints name IRemUnknown");
	ok(!got[0].has_clsid, "ResolveOxid2 carries no CLSID");
	is_int(dcerpc_parser_stats(p)->dcom_bindings, 2, "bindings counted");
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
}

/* Connectionless ept_map response over UDP. */
static void
test_udp(void)
{
	struct dcerpc_parser *p = dcerpc_parser_create(&cfg);
	struct dcerpc_flow *f = dcerpc_flow_create(p);
	struct w t[1], s, o;

	reset();
	tower(&t[0], NETLOGON, 1, 0, 0x08, 49200, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	o.n = 0;
	o.le = true;
	w_u8(&o, 4);
	w_u8(&o, 2);		/* response */
	w_u8(&o, 0);
	w_u8(&o, 0);
	w_u8(&o, 0x10);
	w_u8(&o, 0);
	w_u8(&o, 0);
	w_u8(&o, 0);
	w_uuid(&o, "00000000-0000-0000-0000-000000000000");
	w_uuid(&o, EPM_UUID);
	w_uuid(&o, "11111111-2222-3333-4444-555555555555");
	w_u32(&o, 0);
	w_u32(&o, 3);
	w_u32(&o, 1);
	w_u16(&o, 3);		/* opnum ept_map */
	w_u16(&o, 0xffff);
	w_u16(&o, 0xffff);
	w_u16(&o, (uint16_t)s.n);
	w_u16(&o, 0);
	w_u8(&o, 0);
	w_u8(&o, 0);
	w_bytes(&o, s.b, s.n);
	dcerpc_udp(p, f, 1, o.b, o.n, &sink);
	is_int(ngot, 1, "UDP ept_map response learned");
	is_int(got[0].transport, TRANSPORT_UDP, "UDP tower transport");
	is_int(got[0].port, 49200, "UDP tower port");
	dcerpc_udp(p, f, 1, o.b, 79, &sink);
	is_int(dcerpc_parser_stats(p)->truncated, 1, "short CL header truncated");
	is_int(nreq, 0, "a CL response is not a request");
	o.b[1] = 0;		/* the same header as a request */
	dcerpc_udp(p, f, 0, o.b, o.n, &sink);
	is_int(nreq, 1, "CL request reported");
	is_int(req_opnum, 3, "CL request opnum");
	is_str(fmt_uuid(req_uuid), EPM_UUID, "CL request interface");
	o.b[76] = 1;		/* fragnum 1: not the call's first fragment */
	dcerpc_udp(p, f, 0, o.b, o.n, &sink);
	is_int(nreq, 1, "a later CL fragment is not another call");
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
}

/* ---- dcerpc_stream(): the framing of an in-order byte stream ---- */

/*
 * One association as the two directions of a named pipe carry it: the
 * client binds EPM, asks ept_map twice and ends with a bare 16-byte PDU
 * (orphaned); the server acks and answers the first call with one PDU
 * and the second with two fragments.
 */
struct pipe_conv {
	struct w	c2s;
	struct w	s2c;
};

static void
pipe_conv_build(struct pipe_conv *pc)
{
	static const struct bctx epm[] = { { 0, EPM_UUID, 3, 0, NDR_UUID } };
	static const uint16_t acc[] = { 0 };
	static const char *ndr[] = { NDR_UUID };
	struct w t[2], s, part, o, req;

	pc->c2s.n = 0;
	pc->s2c.n = 0;
	bind_pdu(&o, true, 11, epm, 1);
	w_bytes(&pc->c2s, o.b, o.n);
	req.n = 0;
	req.le = true;
	w_bytes(&req, (uint8_t[24]){ 0 }, 24);
	call_pdu(&o, true, 0, 3, 40, 0, 3, &req, 0, 0);
	w_bytes(&pc->c2s, o.b, o.n);
	call_pdu(&o, true, 0, 3, 41, 0, 3, &req, 0, 0);
	w_bytes(&pc->c2s, o.b, o.n);
	pdu(&o, true, 19, 3, 42, NULL, 0, 0, 0);
	w_bytes(&pc->c2s, o.b, o.n);

	bind_ack_pdu(&o, true, "\\PIPE\\epmapper", acc, ndr, 1);
	w_bytes(&pc->s2c, o.b, o.n);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	call_pdu(&o, true, 2, 3, 40, 0, 0, &s, 0, 0);
	w_bytes(&pc->s2c, o.b, o.n);
	tower(&t[0], DRSUAPI, 4, 0, 0x07, 49155, ip5);
	tower(&t[1], LSARPC, 0, 0, 0x07, 49159, ip5);
	ept_map_stub(&s, true, t, 2, 0);
	part.n = 0;
	w_bytes(&part, s.b, 33);
	call_pdu(&o, true, 2, 1, 41, 0, 0, &part, 0, 0);
	w_bytes(&pc->s2c, o.b, o.n);
	part.n = 0;
	w_bytes(&part, s.b + 33, s.n - 33);
	call_pdu(&o, true, 2, 2, 41, 0, 0, &part, 0, 0);
	w_bytes(&pc->s2c, o.b, o.n);
}

/* What one feeding of the conversation produced. */
struct pipe_result {
	unsigned	nbound;
	unsigned	ngot;
	uint16_t	ports[4];
	struct dcerpc_stats st;
};

/* Feed each direction in pieces that end at the offsets of cuts[]. */
static void
pipe_feed(const struct pipe_conv *pc, const size_t *cc, size_t ncc,
    const size_t *cs, size_t ncs, struct pipe_result *res)
{
	struct dcerpc_parser *p = dcerpc_parser_create(&cfg);
	struct dcerpc_flow *f = dcerpc_flow_create(p);
	size_t i, at;
	unsigned k;

	reset();
	for (i = 0, at = 0; i <= ncc; i++) {
		size_t end = i < ncc ? cc[i] : pc->c2s.n;

		dcerpc_stream(p, f, 0, pc->c2s.b + at, end - at, &sink);
		at = end;
	}
	for (i = 0, at = 0; i <= ncs; i++) {
		size_t end = i < ncs ? cs[i] : pc->s2c.n;

		dcerpc_stream(p, f, 1, pc->s2c.b + at, end - at, &sink);
		at = end;
	}
	memset(res, 0, sizeof(*res));
	res->nbound = nbound;
	res->ngot = ngot;
	for (k = 0; k < ngot && k < 4; k++)
		res->ports[k] = got[k].port;
	res->st = *dcerpc_parser_stats(p);
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
}

static bool
pipe_same(const struct pipe_result *a, const struct pipe_result *b)
{
	return a->nbound == b->nbound && a->ngot == b->ngot &&
	    memcmp(a->ports, b->ports, sizeof(a->ports)) == 0 &&
	    memcmp(&a->st, &b->st, sizeof(a->st)) == 0;
}

static void
test_stream_whole(void)
{
	struct pipe_conv pc;
	struct pipe_result r;

	pipe_conv_build(&pc);
	pipe_feed(&pc, NULL, 0, NULL, 0, &r);
	is_int(r.nbound, 1, "stream: bind to EPM reported");
	is_int(r.ngot, 3, "stream: three towers, no endpoint from a pipe "
	    "secondary address");
	ok(r.ports[0] == 49158 && r.ports[1] == 49155 && r.ports[2] == 49159,
	    "stream: ports of the single and the fragmented reply");
	is_int(r.st.pdus, 8, "stream: eight PDUs framed");
	is_int(r.st.epm_replies, 2, "stream: two EPM replies");
	ok(r.st.invalid == 0 && r.st.truncated == 0 && r.st.gaps == 0,
	    "stream: nothing counted bad");
}

/* Every single cut, every pair of cuts, and one byte at a time. */
static void
test_stream_every_split(void)
{
	struct pipe_conv pc;
	struct pipe_result want, r;
	size_t cuts[2], *bytes;
	size_t i, j, n, bad1 = 0, bad2 = 0, npairs = 0;

	pipe_conv_build(&pc);
	pipe_feed(&pc, NULL, 0, NULL, 0, &want);
	n = pc.c2s.n > pc.s2c.n ? pc.c2s.n : pc.s2c.n;
	for (i = 0; i <= n; i++) {
		cuts[0] = i;
		pipe_feed(&pc, cuts, i <= pc.c2s.n, cuts, i <= pc.s2c.n, &r);
		if (!pipe_same(&r, &want))
			bad1++;
	}
	is_int(bad1, 0, "stream: a cut at each of %zu offsets changes nothing",
	    n + 1);
	for (i = 0; i <= pc.s2c.n; i++)
		for (j = i; j <= pc.s2c.n; j++) {
			cuts[0] = i;
			cuts[1] = j;
			npairs++;
			pipe_feed(&pc, NULL, 0, cuts, 2, &r);
			if (!pipe_same(&r, &want))
				bad2++;
		}
	is_int(bad2, 0, "stream: %zu pairs of cuts in the replies change "
	    "nothing", npairs);
	bytes = calloc(n, sizeof(*bytes));
	for (i = 0; i < n; i++)
		bytes[i] = i;
	pipe_feed(&pc, bytes, pc.c2s.n, bytes, pc.s2c.n, &r);
	ok(pipe_same(&r, &want), "stream: one byte at a time changes nothing");
	free(bytes);
}

/* The TCP entry point is the same framing behind sequence tracking. */
static void
test_stream_matches_tcp(void)
{
	struct pipe_conv pc;
	struct pipe_result want;
	struct dcerpc_parser *p = dcerpc_parser_create(&cfg);
	struct dcerpc_flow *f = dcerpc_flow_create(p);
	size_t i, step;
	uint32_t seq[2] = { 77, 0xffffff00 };

	pipe_conv_build(&pc);
	pipe_feed(&pc, NULL, 0, NULL, 0, &want);
	reset();
	for (i = 0; i < pc.c2s.n; i += step) {
		step = pc.c2s.n - i < 13 ? pc.c2s.n - i : 13;
		dcerpc_tcp(p, f, 0, seq[0], pc.c2s.b + i, step, &sink);
		seq[0] += (uint32_t)step;
	}
	for (i = 0; i < pc.s2c.n; i += step) {
		step = pc.s2c.n - i < 29 ? pc.s2c.n - i : 29;
		dcerpc_tcp(p, f, 1, seq[1], pc.s2c.b + i, step, &sink);
		seq[1] += (uint32_t)step;
	}
	ok(ngot == want.ngot && nbound == want.nbound &&
	    memcmp(dcerpc_parser_stats(p), &want.st, sizeof(want.st)) == 0,
	    "TCP segments of 13 and 29 bytes give what the stream gives");
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
}

static void
test_stream_hostile(void)
{
	struct pipe_conv pc;
	struct dcerpc_parser *p = dcerpc_parser_create(&cfg);
	struct dcerpc_flow *f = dcerpc_flow_create(p);
	const struct dcerpc_stats *st = dcerpc_parser_stats(p);
	struct w bad, o, s, t[1], part;
	static const struct dcerpc_config small = { 64, 100 };
	size_t i;

	pipe_conv_build(&pc);
	reset();
	/* Nothing happens on an empty feed or a direction out of range. */
	dcerpc_stream(p, f, 0, pc.c2s.b, 0, &sink);
	dcerpc_stream(p, f, 2, pc.c2s.b, pc.c2s.n, &sink);
	dcerpc_stream(p, f, -1, pc.c2s.b, pc.c2s.n, &sink);
	dcerpc_stream_gap(p, f, 7);
	ok(st->pdus == 0 && st->gaps == 0 && nbound == 0,
	    "stream: empty feed and bad directions ignored");

	/* frag_length 8, then 65535 (> max_frag_len), then an auth_length
	 * longer than the fragment: each counted once, then resync. */
	pdu(&bad, true, 0, 3, 30, (const uint8_t *)"12345678", 8, 0, 0);
	bad.b[8] = 8;
	bad.b[9] = 0;
	dcerpc_stream(p, f, 0, bad.b, bad.n, &sink);
	is_int(st->invalid, 1, "stream: frag_length 8 rejected");
	dcerpc_stream(p, f, 0, pc.c2s.b, pc.c2s.n, &sink);
	is_int(nbound, 1, "stream: the bind after it is found by resync");
	pdu(&bad, true, 0, 3, 31, (const uint8_t *)"12345678", 8, 0, 0);
	bad.b[8] = 0xff;
	bad.b[9] = 0xff;
	dcerpc_stream(p, f, 0, bad.b, bad.n, &sink);
	ok(st->invalid == 2 && st->oversize == 1,
	    "stream: frag_length 65535 rejected and counted oversize");
	/* Still resynchronising: bad bytes now are not counted again. */
	dcerpc_stream(p, f, 0, bad.b, bad.n, &sink);
	is_int(st->invalid, 2, "stream: one bad run counted once");
	dcerpc_stream(p, f, 0, pc.c2s.b, pc.c2s.n, &sink);
	is_int(nbound, 2, "stream: resync ends at the next bind");
	pdu(&bad, true, 0, 3, 32, (const uint8_t *)"12345678", 8, 0, 0);
	bad.b[10] = 0xf0;	/* auth_length 240 in a 24-byte fragment */
	/* fed byte by byte: the header is held, then found wanting */
	for (i = 0; i < bad.n; i++)
		dcerpc_stream(p, f, 0, bad.b + i, 1, &sink);
	is_int(st->invalid, 3, "stream: auth_length past the fragment rejected "
	    "(header cut at every byte)");
	dcerpc_stream(p, f, 0, pc.c2s.b, pc.c2s.n, &sink);
	is_int(nbound, 3, "stream: and the next bind is read again");

	/*
	 * A header that fails only once complete (frag_length 5): its tail
	 * is scanned again, and the bind starting inside it is found.
	 */
	{
		struct w fake;
		uint64_t inv = st->invalid;

		fake.n = 0;
		w_bytes(&fake, (uint8_t[8]){ 5, 0, 0, 3, 0x10, 0, 0, 0 }, 8);
		w_bytes(&fake, pc.c2s.b, pc.c2s.n);
		dcerpc_stream(p, f, 0, fake.b, 11, &sink);
		dcerpc_stream(p, f, 0, fake.b + 11, fake.n - 11, &sink);
		ok(nbound == 4 && st->invalid == inv + 1,
		    "stream: a bind inside a held bad header is found again");
	}

	/* A gap in the middle of a held PDU: truncated, then resync. */
	dcerpc_stream(p, f, 1, pc.s2c.b, 60, &sink);
	dcerpc_stream_gap(p, f, 1);
	ok(st->gaps == 1 && st->truncated == 1,
	    "stream: a gap drops the held PDU (gap and truncated counted)");
	dcerpc_stream(p, f, 1, pc.s2c.b, pc.s2c.n, &sink);
	is_int(ngot, 3, "stream: after the gap the replies are read again");
	/* A gap while only part of a header is held drops that part too. */
	{
		uint64_t pdus = st->pdus, inv = st->invalid;

		dcerpc_stream(p, f, 1, pc.s2c.b, 12, &sink);
		dcerpc_stream_gap(p, f, 1);
		dcerpc_stream(p, f, 1, pc.s2c.b, pc.s2c.n, &sink);
		ok(st->pdus == pdus + 4 && st->invalid == inv,
		    "stream: a gap in a held header drops it: the next four "
		    "PDUs frame cleanly (%llu, %llu invalid)",
		    (unsigned long long)(st->pdus - pdus),
		    (unsigned long long)(st->invalid - inv));
	}
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);

	/* Bounds of a small parser: a 64-byte frag limit and a 100-byte
	 * reassembly limit hold against a long fragmented response. */
	p = dcerpc_parser_create(&small);
	f = dcerpc_flow_create(p);
	st = dcerpc_parser_stats(p);
	reset();
	dcerpc_stream(p, f, 0, pc.c2s.b, pc.c2s.n, &sink);
	tower(&t[0], NETLOGON, 1, 0, 0x07, 49158, ip5);
	ept_map_stub(&s, true, t, 1, 0);
	for (i = 0; i + 40 < s.n; i += 40) {
		part.n = 0;
		w_bytes(&part, s.b + i, 40);
		call_pdu(&o, true, 2, i == 0 ? 1 : 0, 40, 0, 0, &part, 0, 0);
		dcerpc_stream(p, f, 1, o.b, o.n, &sink);
	}
	ok(st->oversize >= 1 && ngot == 0,
	    "stream: reassembly past max_reassembly dropped, counted oversize");
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
}


/*
 * Mid-stream pickup (issue 14 item 1): a flow whose first bytes are the
 * tail of a PDU (the capture started inside it) resynchronises on the
 * next header, and an alter_context there names the interface, as in
 * nDPI's kerberos.pcap where the first client segment on 49155 is the
 * Kerberos tail of a bind and the next one an alter_context to drsuapi.
 */
static void
test_midstream_resync(void)
{
	static const struct bctx drs[] = { { 1, DRSUAPI, 4, 0, NDR_UUID } };
	struct dcerpc_parser *p;
	struct dcerpc_flow *f;
	struct w o, s, junk;
	uint8_t seg[600];
	size_t i;

	reset();
	p = dcerpc_parser_create(&cfg);
	f = dcerpc_flow_create(p);
	/* 300 bytes of a PDU's middle: no header the parser trusts. */
	for (i = 0; i < 300; i++)
		junk.b[i] = (uint8_t)(0x30 + i * 7);
	junk.n = 300;
	dcerpc_tcp(p, f, 0, 5000, junk.b, junk.n, &sink);
	is_int(dcerpc_parser_stats(p)->pdus, 0, "mid-PDU bytes: nothing framed");
	bind_pdu(&o, true, 14, drs, 1);		/* alter_context */
	dcerpc_tcp(p, f, 0, 5300, o.b, o.n, &sink);
	is_int(dcerpc_parser_stats(p)->pdus, 1,
	    "the alter_context after them is framed");
	ok(nbound == 1 && strcmp(fmt_uuid(bound_uuid[0]), DRSUAPI) == 0,
	    "and names drsuapi");
	/* A response seen first in the other direction, mid-way too. */
	s.n = 0;
	s.le = true;
	w_u32(&s, 0);
	call_pdu(&o, true, 2, 3, 9, 1, 0, &s, 0, 0);
	memcpy(seg, junk.b, 100);
	memcpy(seg + 100, o.b, o.n);
	dcerpc_tcp(p, f, 1, 77, seg, 100 + o.n, &sink);
	is_int(dcerpc_parser_stats(p)->pdus, 2,
	    "a response after 100 bytes of junk in one segment is framed");
	is_int(dcerpc_find_pdu(seg, 100 + o.n, 1), 100,
	    "dcerpc_find_pdu finds it at offset 100");
	/* A request on a context whose bind was never seen: framed, not
	 * reported (no interface to name). */
	call_pdu(&o, true, 0, 3, 10, 7, 4, &s, 0, 0);
	dcerpc_tcp(p, f, 0, (uint32_t)(5300 + bind_len_of(drs)), o.b, o.n,
	    &sink);
	is_int(nreq, 0, "request on an unseen context: not reported");
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
}

/* What dcerpc_find_pdu() accepts and refuses. */
static void
test_find_pdu(void)
{
	static const struct bctx epm[] = { { 0, EPM_UUID, 3, 0, NDR_UUID } };
	struct w o, s;
	uint8_t b[256], fives[4096];
	size_t i;

	s.n = 0;
	s.le = true;
	w_u32(&s, 0);
	call_pdu(&o, true, 0, 3, 1, 0, 3, &s, 0, 0);
	is_int(dcerpc_find_pdu(o.b, o.n, -1), 0, "a request at offset 0");
	is_int(dcerpc_find_pdu(o.b, o.n, 0), 0, "... from the client");
	is_int(dcerpc_find_pdu(o.b, o.n, 1), -1,
	    "... but not from the server (the wrong direction)");
	is_int(dcerpc_find_pdu(o.b, 15, -1), -1, "15 bytes: no header");
	is_int(dcerpc_find_pdu(NULL, 100, -1), -1, "NULL: none");
	call_pdu(&o, false, 2, 3, 1, 0, 0, &s, 0, 0);
	is_int(dcerpc_find_pdu(o.b, o.n, -1), 0, "a big-endian response");
	is_int(dcerpc_find_pdu(o.b, o.n, 0), -1,
	    "... not from the client");
	bind_pdu(&o, true, 11, epm, 1);
	is_int(dcerpc_find_pdu(o.b, o.n, -1), 0, "a bind");
	/* A header needs only itself: the body may be in later segments. */
	is_int(dcerpc_find_pdu(o.b, 16, -1), 0, "a bind's bare header");
	memcpy(b, o.b, 16);
	b[2] = 1;			/* ping: connectionless only */
	is_int(dcerpc_find_pdu(b, 16, -1), -1, "a connectionless ptype refused");
	b[2] = 20;
	is_int(dcerpc_find_pdu(b, 16, -1), -1, "ptype 20 refused");
	memcpy(b, o.b, 16);
	b[6] = 1;
	is_int(dcerpc_find_pdu(b, 16, -1), -1, "drep reserved byte set: refused");
	memcpy(b, o.b, 16);
	b[1] = 2;
	is_int(dcerpc_find_pdu(b, 16, -1), -1, "version 5.2 refused");
	memcpy(b, o.b, 16);
	b[4] = 0x20;
	is_int(dcerpc_find_pdu(b, 16, -1), -1, "unknown integer format refused");
	/* frag_length below the header, or below a request's fixed part. */
	memcpy(b, o.b, 16);
	b[8] = 15;
	b[9] = 0;
	is_int(dcerpc_find_pdu(b, 16, -1), -1, "frag_length 15 refused");
	call_pdu(&o, true, 0, 3, 1, 0, 3, &s, 0, 0);
	memcpy(b, o.b, 16);
	b[8] = 20;
	b[9] = 0;
	is_int(dcerpc_find_pdu(b, 16, -1), -1, "a 20-byte request refused");
	/* auth_length that cannot fit the fragment. */
	memcpy(b, o.b, 16);
	b[10] = 0xff;
	b[11] = 0xff;
	is_int(dcerpc_find_pdu(b, 16, -1), -1,
	    "auth_length past frag_length refused");
	/* Hostile: every byte the version byte, every length the largest. */
	memset(fives, 5, sizeof(fives));
	is_int(dcerpc_find_pdu(fives, sizeof(fives), -1), -1,
	    "4 KiB of 0x05: no header");
	memset(fives, 0, sizeof(fives));
	for (i = 0; i + 16 <= sizeof(fives); i += 16)
		fives[i] = 5;
	is_int(dcerpc_find_pdu(fives, sizeof(fives), -1), -1,
	    "05 00 00 00 ... (frag_length 0): no header");
	/* The header as the last 16 bytes of a segment is found. */
	memset(b, 0x41, sizeof(b));
	memcpy(b + sizeof(b) - 16, o.b, 16);
	is_int(dcerpc_find_pdu(b, sizeof(b), -1), (long)sizeof(b) - 16,
	    "a header in the last 16 bytes");
	is_int(dcerpc_find_pdu(b, sizeof(b) - 1, -1), -1,
	    "cut one byte short: not found");
}

int
main(void)
{
	is_str(endpoint_source_name(EP_SOURCE_EPT_LOOKUP), "ept_lookup",
	    "source names");
	ok(dcerpc_flow_size() > 0, "flow size reported");
	test_split_segments();
	test_midstream_resync();
	test_find_pdu();
	test_two_pdus_one_segment();
	test_big_endian();
	test_fragmented();
	test_hostile_towers();
	test_ept_lookup();
	test_auth_trailer();
	test_gap_and_lengths();
	test_bind_and_ack();
	test_dcom_resolve_oxid2();
	test_udp();
	test_stream_whole();
	test_stream_every_split();
	test_stream_matches_tcp();
	test_stream_hostile();
	return tap_done();
}
