/*
 * test_names.c - the name parsers and the name table.
 *
 * Part 1: crafted messages for each parser, well-formed and hostile
 * (compression loops, forward pointers, lengths past the end, 255+ byte
 * names, ill-formed UTF-8, control characters, embedded NUL).
 * Part 2: the table (refresh, rename history, display order, eviction,
 * expiry, dirty iteration, restore).
 * Part 3: every shared capture, decoded and fed through names_packet()
 * (NTLM: every TCP payload), against tshark run at test time: each
 * (address, name) tshark shows in DNS/LLMNR/mDNS A/AAAA answers, NBNS
 * answers and registrations, DHCP option 12, NTLM CHALLENGE target info
 * and CLDAP netlogon responses must be among the names learned for that
 * address in that capture; every Kerberos realm learned for an address
 * must be one tshark shows in a KDC answer from it.  Names the policy
 * refuses are left out of the expectation and reported.  Skips part 3 without captures or tshark.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcmap/addr.h"
#include "svcmap/decode.h"
#include "svcmap/names.h"
#include "tap.h"

/* ---- fact collector ---- */

struct facts {
	struct name_fact *v;
	size_t		  n, cap;
};

static void
collect(void *arg, const struct name_fact *f)
{
	struct facts *fs = arg;

	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? fs->cap * 2 : 64;
		if ((fs->v = realloc(fs->v, fs->cap * sizeof(*fs->v))) == NULL)
			abort();
	}
	fs->v[fs->n++] = *f;
}

static struct facts F;
static struct names_stats ST;
static struct names_sink SINK = { collect, &F };
static struct addr SRC, DST;
static struct names_pkt PKT = { &SRC, &DST, 53, 40000, false };

static void
reset(void)
{
	F.n = 0;
	memset(&ST, 0, sizeof(ST));
	PKT.tcp = false;
}

static const struct name_fact *
find(const char *ip, const char *name, int source, int kind)
{
	struct addr a;
	size_t i;

	if (ip != NULL && addr_parse(&a, ip) != 0)
		return NULL;
	for (i = 0; i < F.n; i++) {
		if (strcmp(F.v[i].name, name) != 0 || F.v[i].source != source ||
		    F.v[i].kind != kind)
			continue;
		if (ip == NULL ? !F.v[i].has_addr :
		    F.v[i].has_addr && addr_eq(&F.v[i].addr, &a))
			return &F.v[i];
	}
	return NULL;
}

/* ---- message builders ---- */

struct buf {
	uint8_t	 b[4096];
	size_t	 n;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
u8(struct buf *b, unsigned v)
{
	b->b[b->n++] = (uint8_t)v;
}

static void
be16(struct buf *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v & 0xff);
}

static void
be32(struct buf *b, uint32_t v)
{
	be16(b, v >> 16);
	be16(b, v & 0xffff);
}

static void
le16(struct buf *b, unsigned v)
{
	u8(b, v & 0xff);
	u8(b, v >> 8);
}

static void
le32(struct buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

/* "a.b.c" as DNS labels, with the final 0 when term. */
static void
dname(struct buf *b, const char *s, bool term)
{
	const char *dot;
	size_t n;

	while (*s != '\0') {
		dot = strchr(s, '.');
		n = dot ? (size_t)(dot - s) : strlen(s);
		u8(b, (unsigned)n);
		put(b, s, n);
		s += n + (dot != NULL);
	}
	if (term)
		u8(b, 0);
}

static void
dns_hdr(struct buf *b, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	b->n = 0;
	be16(b, 0x1234);
	be16(b, flags);
	be16(b, qd);
	be16(b, an);
	be16(b, ns);
	be16(b, ar);
}

static void
rr_hdr(struct buf *b, unsigned type, unsigned rdlen)
{
	be16(b, type);
	be16(b, 1);
	be32(b, 300);
	be16(b, rdlen);
}

/* ---- part 1: parsers ---- */

static void
test_dns(void)
{
	struct buf b;
	uint8_t v4[4] = { 192, 0, 2, 1 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	size_t off;
	int n, i;

	reset();
	/* www.Example.COM A? -> CNAME web.example.com, A 192.0.2.1, AAAA */
	dns_hdr(&b, 0x8180, 1, 3, 0, 0);
	dname(&b, "www.Example.COM", true);
	be16(&b, 1);
	be16(&b, 1);
	be16(&b, 0xc00c);
	rr_hdr(&b, 5, 6);
	off = b.n;
	u8(&b, 3);
	put(&b, "web", 3);
	be16(&b, 0xc010);		/* -> example.com in the question */
	be16(&b, 0xc000 | (unsigned)off);
	rr_hdr(&b, 1, 4);
	put(&b, v4, 4);
	be16(&b, 0xc000 | (unsigned)off);
	rr_hdr(&b, 28, 16);
	v6[15] = 1;
	put(&b, v6, 16);
	n = names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST);
	is_int(n, 2, "dns: A and AAAA behind a CNAME");
	ok(find("192.0.2.1", "web.example.com", NAME_SRC_DNS, NAME_KIND_HOST),
	    "dns: A owner through two pointers, case folded");
	ok(find("2001:db8::1", "web.example.com", NAME_SRC_DNS,
	    NAME_KIND_HOST), "dns: AAAA");
	is_int(ST.messages[NAME_SRC_DNS], 1, "dns: one message counted");

	/* A query yields nothing. */
	reset();
	b.b[2] = 0x01;
	is_int(names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST), 0,
	    "dns: a query yields nothing");

	/* PTR, v4 and v6. */
	reset();
	dns_hdr(&b, 0x8180, 0, 2, 0, 0);
	dname(&b, "1.2.0.192.in-addr.arpa", true);
	rr_hdr(&b, 12, 0);
	off = b.n;
	dname(&b, "dc01.corp", true);
	b.b[off - 1] = (uint8_t)(b.n - off);	/* rdlength */
	off += 5;				/* "corp" */
	dname(&b, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "8.b.d.0.1.0.0.2.ip6.arpa", true);
	rr_hdr(&b, 12, 2);
	be16(&b, 0xc000 | (unsigned)off);	/* -> "corp" */
	n = names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST);
	is_int(n, 2, "dns: two PTR facts");
	ok(find("192.0.2.1", "dc01.corp", NAME_SRC_DNS_PTR, NAME_KIND_HOST),
	    "dns: in-addr.arpa PTR");
	ok(find("2001:db8::1", "corp", NAME_SRC_DNS_PTR, NAME_KIND_HOST),
	    "dns: ip6.arpa PTR, target through a pointer");

	/* Hostile: a pointer to itself (loop). */
	reset();
	dns_hdr(&b, 0x8180, 0, 1, 0, 0);
	be16(&b, 0xc00c);
	rr_hdr(&b, 1, 4);
	put(&b, v4, 4);
	is_int(names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST), -1,
	    "dns: self pointer refused");
	is_int(ST.invalid[NAME_SRC_DNS], 1, "dns: loop counted invalid");
	is_int(ST.rejected[NAME_REJ_POINTER], 0,
	    "dns: framing errors are not name rejections");

	/* Hostile: a two-pointer cycle going back and forth. */
	reset();
	dns_hdr(&b, 0x8180, 0, 1, 0, 0);
	u8(&b, 1);
	put(&b, "a", 1);
	be16(&b, 0xc00e);		/* forward: to the next pointer */
	be16(&b, 0xc00c);		/* back: to the label */
	rr_hdr(&b, 1, 4);
	put(&b, v4, 4);
	is_int(names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST), -1,
	    "dns: forward pointer refused");
	is_int(F.n, 0, "dns: nothing learned from a loop");

	/* Hostile: a label past the end; rdlength past the end. */
	reset();
	dns_hdr(&b, 0x8180, 0, 1, 0, 0);
	u8(&b, 60);
	put(&b, "abc", 3);
	is_int(names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST), -1,
	    "dns: label past the end");
	is_int(ST.truncated[NAME_SRC_DNS], 1, "dns: counted truncated");
	reset();
	dns_hdr(&b, 0x8180, 0, 1, 0, 0);
	dname(&b, "x.y", true);
	rr_hdr(&b, 1, 400);
	put(&b, v4, 4);
	is_int(names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST), -1,
	    "dns: rdlength past the end");

	/* Hostile: 300-character name (5 x 59-byte labels). */
	reset();
	dns_hdr(&b, 0x8180, 0, 1, 0, 0);
	for (i = 0; i < 5; i++) {
		u8(&b, 59);
		memset(b.b + b.n, 'a', 59);
		b.n += 59;
	}
	u8(&b, 0);
	rr_hdr(&b, 1, 4);
	put(&b, v4, 4);
	is_int(names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST), 0,
	    "dns: over-long name: no fact, message still whole");
	is_int(ST.rejected[NAME_REJ_TOO_LONG], 1, "dns: counted too_long");

	/* Hostile: bad UTF-8, control character, embedded NUL, a dot. */
	{
		static const struct {
			const char	*lab;
			size_t		 n;
			int		 why;
		} bad[] = {
			{ "ab\xff", 3, NAME_REJ_BAD_UTF8 },
			{ "\xc0\xaf", 2, NAME_REJ_BAD_UTF8 },	/* overlong '/' */
			{ "\xed\xa0\x80", 3, NAME_REJ_BAD_UTF8 }, /* surrogate */
			{ "a\x1b[31m", 6, NAME_REJ_CONTROL },
			{ "a\0b", 3, NAME_REJ_CONTROL },
			{ "\xe2\x80\xae" "gnp", 6, NAME_REJ_CONTROL }, /* RLO */
			{ "\xc2\x85", 2, NAME_REJ_CONTROL },	/* C1 NEL */
			{ "a.b", 3, NAME_REJ_BAD_CHAR },
			{ "a\"b", 3, NAME_REJ_BAD_CHAR },
			{ "a b", 3, NAME_REJ_BAD_CHAR },
		};
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			reset();
			dns_hdr(&b, 0x8180, 0, 1, 0, 0);
			u8(&b, (unsigned)bad[k].n);
			put(&b, bad[k].lab, bad[k].n);
			dname(&b, "example", true);
			rr_hdr(&b, 1, 4);
			put(&b, v4, 4);
			n = names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST);
			ok(n == 0 && F.n == 0 && ST.rejected[bad[k].why] == 1,
			    "dns: hostile label %zu refused as %s", k,
			    names_reject_name(bad[k].why));
		}
	}

	/* UTF-8 that is fine: kept as it is. */
	reset();
	dns_hdr(&b, 0x8180, 0, 1, 0, 0);
	dname(&b, "b\xc3\xbc" "cher.DE", true);
	rr_hdr(&b, 1, 4);
	put(&b, v4, 4);
	(void)names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST);
	ok(find("192.0.2.1", "b\xc3\xbc" "cher.de", NAME_SRC_DNS,
	    NAME_KIND_HOST), "dns: well-formed UTF-8 kept");

	/* 0.0.0.0 and multicast answers name nobody. */
	reset();
	dns_hdr(&b, 0x8180, 0, 2, 0, 0);
	dname(&b, "sink.example", true);
	rr_hdr(&b, 1, 4);
	put(&b, "\0\0\0\0", 4);
	dname(&b, "m.example", true);
	rr_hdr(&b, 1, 4);
	put(&b, "\xe0\0\0\xfb", 4);
	is_int(names_dns(b.b, b.n, NAME_SRC_DNS, &PKT, &SINK, &ST), 0,
	    "dns: 0.0.0.0 and 224.0.0.251 answers ignored");

	/* TCP: two framed messages; mDNS cache-flush class. */
	{
		struct buf m, t;

		reset();
		dns_hdr(&m, 0x8400, 0, 1, 0, 0);
		dname(&m, "printer.local", true);
		be16(&m, 1);
		be16(&m, 0x8001);
		be32(&m, 120);
		be16(&m, 4);
		put(&m, v4, 4);
		t.n = 0;
		be16(&t, (unsigned)m.n);
		put(&t, m.b, m.n);
		be16(&t, (unsigned)m.n);
		put(&t, m.b, m.n);
		be16(&t, 500);		/* a third, cut by the segment end */
		PKT.tcp = true;
		is_int(names_dns(t.b, t.n, NAME_SRC_MDNS, &PKT, &SINK, &ST), 2,
		    "dns/tcp: two whole framed messages read");
		ok(find("192.0.2.1", "printer.local", NAME_SRC_MDNS,
		    NAME_KIND_HOST), "mdns: cache-flush class accepted");
	}
}

/* First-level encoding of a 16-byte NetBIOS name. */
static void
nbname(struct buf *b, const char *name, uint8_t suffix)
{
	uint8_t raw[16];
	int i;

	memset(raw, ' ', 15);
	memcpy(raw, name, strlen(name));
	raw[15] = suffix;
	u8(b, 32);
	for (i = 0; i < 16; i++) {
		u8(b, 'A' + (raw[i] >> 4));
		u8(b, 'A' + (raw[i] & 15));
	}
	u8(b, 0);
}

static void
test_nbns(void)
{
	struct buf b;
	const struct name_fact *f;

	/* Registration request: question + additional RR (pointer). */
	reset();
	dns_hdr(&b, 0x2910, 1, 0, 0, 1);
	nbname(&b, "ws01", 0x20);
	be16(&b, 0x20);
	be16(&b, 1);
	be16(&b, 0xc00c);
	rr_hdr(&b, 0x20, 6);
	be16(&b, 0);
	put(&b, "\x0a\x00\x00\x05", 4);
	is_int(names_nbns(b.b, b.n, &PKT, &SINK, &ST), 1,
	    "nbns: registration yields one fact");
	f = find("10.0.0.5", "WS01", NAME_SRC_NBNS, NAME_KIND_NETBIOS);
	ok(f != NULL && f->nb_suffix == 0x20, "nbns: WS01<20> at 10.0.0.5");

	/* Positive query response: a group <1C> with two DCs. */
	reset();
	dns_hdr(&b, 0x8500, 0, 1, 0, 0);
	nbname(&b, "CORP", 0x1c);
	rr_hdr(&b, 0x20, 12);
	be16(&b, 0x8000);
	put(&b, "\x0a\x00\x00\x01", 4);
	be16(&b, 0x8000);
	put(&b, "\x0a\x00\x00\x02", 4);
	is_int(names_nbns(b.b, b.n, &PKT, &SINK, &ST), 2,
	    "nbns: <1C> answer with two addresses");
	f = find("10.0.0.2", "CORP", NAME_SRC_NBNS, NAME_KIND_NB_DOMAIN);
	ok(f != NULL && f->nb_group && f->nb_suffix == 0x1c,
	    "nbns: domain controllers group kept as nb-domain");

	/* Node status response: names of the responder. */
	reset();
	dns_hdr(&b, 0x8400, 0, 1, 0, 0);
	nbname(&b, "*", 0);
	rr_hdr(&b, 0x21, 1 + 4 * 18 + 6);
	u8(&b, 4);
	put(&b, "FILESRV        \x20\x04\x00", 18);
	put(&b, "CORP           \x00\x84\x00", 18);
	put(&b, "ADMINISTRATOR  \x03\x04\x00", 18);
	put(&b, "\x01\x02__MSBROWSE__\x02\x01\x84\x00", 18);
	put(&b, "\0\0\0\0\0\0", 6);
	is_int(names_nbns(b.b, b.n, &PKT, &SINK, &ST), 2,
	    "nbns: node status: <03> user and MSBROWSE not kept");
	ok(find("192.0.2.53", "FILESRV", NAME_SRC_NBNS, NAME_KIND_NETBIOS),
	    "nbns: node status bound to the responder");
	ok(find("192.0.2.53", "CORP", NAME_SRC_NBNS, NAME_KIND_NB_DOMAIN),
	    "nbns: group name in node status");

	/* Hostile: count past the data; bad NetBIOS bytes. */
	reset();
	b.b[b.n - 6 - 4 * 18 - 1] = 200;
	is_int(names_nbns(b.b, b.n, &PKT, &SINK, &ST), 2,
	    "nbns: name count past the data: facts before the end only");
	is_int(ST.truncated[NAME_SRC_NBNS], 1, "nbns: counted truncated");
	reset();
	dns_hdr(&b, 0x8500, 0, 1, 0, 0);
	nbname(&b, "A\x07" "B", 0x00);
	rr_hdr(&b, 0x20, 6);
	be16(&b, 0);
	put(&b, "\x0a\x00\x00\x01", 4);
	is_int(names_nbns(b.b, b.n, &PKT, &SINK, &ST), 0,
	    "nbns: control byte in a name refused");
	is_int(ST.rejected[NAME_REJ_CONTROL], 1, "nbns: counted control");
	reset();
	dns_hdr(&b, 0x8500, 0, 1, 0, 0);
	nbname(&b, "x", 0);
	b.b[12 + 5] = 'z';		/* outside 'A'..'P' */
	rr_hdr(&b, 0x20, 6);
	be16(&b, 0);
	put(&b, "\x0a\x00\x00\x01", 4);
	is_int(names_nbns(b.b, b.n, &PKT, &SINK, &ST), 0,
	    "nbns: bad first-level encoding yields nothing");
	/* A negative response names nobody. */
	reset();
	dns_hdr(&b, 0x8503, 0, 1, 0, 0);
	nbname(&b, "ghost", 0);
	rr_hdr(&b, 0x20, 6);
	be16(&b, 0);
	put(&b, "\x0a\x00\x00\x09", 4);
	is_int(names_nbns(b.b, b.n, &PKT, &SINK, &ST), 0,
	    "nbns: negative response ignored");
}

static void
dhcp_base(struct buf *b, unsigned op, const char *ciaddr,
    const char *yiaddr)
{
	b->n = 0;
	u8(b, op);
	u8(b, 1);
	u8(b, 6);
	u8(b, 0);
	be32(b, 0xdeadbeef);
	be32(b, 0);
	put(b, ciaddr, 4);
	put(b, yiaddr, 4);
	memset(b->b + b->n, 0, 8);
	b->n += 8;
	memset(b->b + b->n, 0, 16);
	memcpy(b->b + b->n, "\x00\x11\x22\x33\x44\x55", 6);
	b->n += 16 + 64 + 128;
	memset(b->b + 44, 0, 192);
	be32(b, 0x63825363);
}

static void
test_dhcp(void)
{
	struct buf b;
	const struct name_fact *f;

	reset();
	dhcp_base(&b, 1, "\0\0\0\0", "\0\0\0\0");
	put(&b, "\x35\x01\x03", 3);		/* REQUEST */
	put(&b, "\x32\x04\x0a\x00\x00\x63", 6);	/* requested 10.0.0.99 */
	put(&b, "\x0c\x04LAP7", 6);
	u8(&b, 255);
	is_int(names_dhcp(b.b, b.n, &PKT, &SINK, &ST), 1,
	    "dhcp: REQUEST host name");
	f = find("10.0.0.99", "lap7", NAME_SRC_DHCP, NAME_KIND_HOST);
	ok(f != NULL && f->has_mac && f->mac[5] == 0x55,
	    "dhcp: bound to the requested address, with the MAC");

	reset();
	dhcp_base(&b, 2, "\0\0\0\0", "\x0a\x00\x00\x63");
	put(&b, "\x35\x01\x05", 3);		/* ACK */
	put(&b, "\x51\x11\x05\x00\x00\x04lap7\x04" "corp\x03" "lan\x00", 19);
	u8(&b, 255);
	is_int(names_dhcp(b.b, b.n, &PKT, &SINK, &ST), 1,
	    "dhcp: ACK option 81 (wire form)");
	ok(find("10.0.0.99", "lap7.corp.lan", NAME_SRC_DHCP, NAME_KIND_HOST),
	    "dhcp: FQDN bound to yiaddr");

	reset();
	dhcp_base(&b, 1, "\0\0\0\0", "\0\0\0\0");
	put(&b, "\x35\x01\x01", 3);		/* DISCOVER */
	put(&b, "\x0c\x04LAP7", 6);
	u8(&b, 255);
	is_int(names_dhcp(b.b, b.n, &PKT, &SINK, &ST), 0,
	    "dhcp: DISCOVER has no address to bind");

	reset();
	dhcp_base(&b, 1, "\x0a\x00\x00\x07", "\0\0\0\0");
	put(&b, "\x35\x01\x08", 3);		/* INFORM */
	put(&b, "\x0c\x05" "a\x1b[2J", 7);
	u8(&b, 255);
	is_int(names_dhcp(b.b, b.n, &PKT, &SINK, &ST), 0,
	    "dhcp: escape sequence in option 12 refused");
	is_int(ST.rejected[NAME_REJ_CONTROL], 1, "dhcp: counted control");

	reset();
	dhcp_base(&b, 1, "\x0a\x00\x00\x07", "\0\0\0\0");
	put(&b, "\x35\x01\x08\x0c\x40zz", 7);	/* option length past end */
	is_int(names_dhcp(b.b, b.n, &PKT, &SINK, &ST), -1,
	    "dhcp: option past the end");
	is_int(ST.truncated[NAME_SRC_DHCP], 1, "dhcp: counted truncated");
	reset();
	is_int(names_dhcp(b.b, 100, &PKT, &SINK, &ST), -1,
	    "dhcp: cut header");
}

/* DER: tag, short or long length, contents. */
static void
der(struct buf *b, unsigned tag, const struct buf *in)
{
	u8(b, tag);
	if (in->n < 128)
		u8(b, (unsigned)in->n);
	else {
		u8(b, 0x82);
		be16(b, (unsigned)in->n);
	}
	put(b, in->b, in->n);
}

static void
der_str(struct buf *b, unsigned tag, const char *s)
{
	struct buf t;

	t.n = 0;
	put(&t, s, strlen(s));
	der(b, tag, &t);
}

static void
wrap(struct buf *b, unsigned tag)
{
	struct buf t = *b;

	b->n = 0;
	der(b, tag, &t);
}

static void
krb_principal(struct buf *out, const char *a, const char *b2)
{
	struct buf pn, seq, s;

	pn.n = 0;
	s.n = 0;
	put(&s, "\x02\x01\x02", 3);
	wrap(&s, 0xa0);
	put(&pn, s.b, s.n);
	seq.n = 0;
	der_str(&seq, 0x1b, a);
	der_str(&seq, 0x1b, b2);
	wrap(&seq, 0x30);
	wrap(&seq, 0xa1);
	put(&pn, seq.b, seq.n);
	wrap(&pn, 0x30);
	*out = pn;
}

static void
test_kerberos(void)
{
	struct buf body, m, t, x;

	/* TGS-REQ for cifs/FS01.corp.local: an unbound SPN candidate. */
	reset();
	body.n = 0;
	put(&body, "\xa0\x07\x03\x05\x00\x40\x81\x00\x00", 9);
	x.n = 0;
	der_str(&x, 0x1b, "CORP.LOCAL");
	wrap(&x, 0xa2);
	put(&body, x.b, x.n);
	krb_principal(&x, "cifs", "FS01.corp.local");
	wrap(&x, 0xa3);
	put(&body, x.b, x.n);
	wrap(&body, 0x30);
	wrap(&body, 0xa4);
	m.n = 0;
	put(&m, "\xa1\x03\x02\x01\x05\xa2\x03\x02\x01\x0c", 10);
	put(&m, body.b, body.n);
	wrap(&m, 0x30);
	wrap(&m, 0x6c);
	is_int(names_kerberos(m.b, m.n, &PKT, &SINK, &ST), 1,
	    "krb: TGS-REQ yields the SPN host");
	ok(find(NULL, "fs01.corp.local", NAME_SRC_KERBEROS, NAME_KIND_SPN),
	    "krb: SPN host is unbound (no address)");
	/* Over TCP, with the record mark. */
	reset();
	t.n = 0;
	be32(&t, (uint32_t)m.n);
	put(&t, m.b, m.n);
	PKT.tcp = true;
	is_int(names_kerberos(t.b, t.n, &PKT, &SINK, &ST), 1,
	    "krb/tcp: record mark skipped");
	/* Truncated. */
	reset();
	is_int(names_kerberos(m.b, m.n - 5, &PKT, &SINK, &ST), -1,
	    "krb: cut message");
	is_int(ST.truncated[NAME_SRC_KERBEROS], 1, "krb: counted truncated");
	/* A 5-byte length (indefinite/over-long) is invalid. */
	reset();
	x.n = 0;
	put(&x, "\x6c\x85\x01\x00\x00\x00\x00\x30\x00", 9);
	is_int(names_kerberos(x.b, x.n, &PKT, &SINK, &ST), -1,
	    "krb: 5-byte length refused");
	is_int(ST.invalid[NAME_SRC_KERBEROS], 1, "krb: counted invalid");

	/* KRB-ERROR 25 (preauth required) from the KDC: its realm. */
	reset();
	m.n = 0;
	put(&m, "\xa0\x03\x02\x01\x05\xa1\x03\x02\x01\x1e", 10);
	put(&m, "\xa6\x03\x02\x01\x19", 5);
	x.n = 0;
	der_str(&x, 0x1b, "CORP.LOCAL");
	wrap(&x, 0xa9);
	put(&m, x.b, x.n);
	wrap(&m, 0x30);
	wrap(&m, 0x7e);
	is_int(names_kerberos(m.b, m.n, &PKT, &SINK, &ST), 1,
	    "krb: KRB-ERROR realm");
	ok(find("192.0.2.53", "corp.local", NAME_SRC_KERBEROS,
	    NAME_KIND_REALM), "krb: realm bound to the KDC that answered");
	/* KDC_ERR_WRONG_REALM: no. */
	reset();
	m.b[m.n - 18 + 4] = 0x44;
	{
		size_t k;

		for (k = 0; k + 4 < m.n; k++)
			if (memcmp(m.b + k, "\xa6\x03\x02\x01", 4) == 0)
				m.b[k + 4] = 68;
	}
	is_int(names_kerberos(m.b, m.n, &PKT, &SINK, &ST), 0,
	    "krb: WRONG_REALM error names nothing");
	/* krbtgt is not a host. */
	reset();
	krb_principal(&x, "krbtgt", "CORP.LOCAL");
	wrap(&x, 0xa3);
	body.n = 0;
	put(&body, x.b, x.n);
	wrap(&body, 0x30);
	wrap(&body, 0xa4);
	m.n = 0;
	put(&m, body.b, body.n);
	wrap(&m, 0x30);
	wrap(&m, 0x6a);
	is_int(names_kerberos(m.b, m.n, &PKT, &SINK, &ST), 0,
	    "krb: krbtgt/REALM is not a host");
}

/* A CLDAP searchResEntry with a netlogon EX value. */
static size_t
cldap_msg(uint8_t *out, const struct buf *nl)
{
	struct buf a, v, m;

	v.n = 0;
	der(&v, 0x04, nl);
	wrap(&v, 0x31);
	a.n = 0;
	der_str(&a, 0x04, "netlogon");
	put(&a, v.b, v.n);
	wrap(&a, 0x30);
	wrap(&a, 0x30);
	m.n = 0;
	put(&m, "\x04\x00", 2);
	put(&m, a.b, a.n);
	wrap(&m, 0x64);
	a.n = 0;
	put(&a, "\x02\x01\x07", 3);
	put(&a, m.b, m.n);
	wrap(&a, 0x30);
	memcpy(out, a.b, a.n);
	return a.n;
}

static void
test_cldap(void)
{
	struct buf nl;
	uint8_t msg[1024];
	size_t n, forest;

	reset();
	nl.n = 0;
	le16(&nl, 23);
	le16(&nl, 0);
	le32(&nl, 0x3f1fd);
	memset(nl.b + nl.n, 0x11, 16);
	nl.n += 16;
	forest = nl.n;
	dname(&nl, "corp.local", true);		/* DnsForestName */
	be16(&nl, 0xc000 | (unsigned)forest);	/* DnsDomainName */
	u8(&nl, 4);
	put(&nl, "DC01", 4);
	be16(&nl, 0xc000 | (unsigned)forest);	/* DnsHostName */
	dname(&nl, "CORP", true);		/* NetbiosDomainName */
	dname(&nl, "DC01", true);		/* NetbiosComputerName */
	u8(&nl, 0);				/* UserName */
	dname(&nl, "Default-First-Site-Name", true);
	be16(&nl, 0xc000 | (unsigned)(nl.n - 25));	/* ClientSiteName */
	le32(&nl, 5);
	le16(&nl, 0xffff);
	le16(&nl, 0xffff);
	n = cldap_msg(msg, &nl);
	is_int(names_cldap(msg, n, &PKT, &SINK, &ST), 6,
	    "cldap: six DC facts");
	ok(find("192.0.2.53", "dc01.corp.local", NAME_SRC_CLDAP,
	    NAME_KIND_HOST), "cldap: DnsHostName through a pointer");
	ok(find("192.0.2.53", "DC01", NAME_SRC_CLDAP, NAME_KIND_NETBIOS),
	    "cldap: NetbiosComputerName");
	ok(find("192.0.2.53", "corp.local", NAME_SRC_CLDAP, NAME_KIND_FOREST),
	    "cldap: forest");
	ok(find("192.0.2.53", "default-first-site-name", NAME_SRC_CLDAP,
	    NAME_KIND_SITE), "cldap: site");
	/* Hostile: a forward pointer in DnsForestName. */
	reset();
	nl.b[24] = 0xc0;
	nl.b[25] = 0x50;
	n = cldap_msg(msg, &nl);
	is_int(names_cldap(msg, n, &PKT, &SINK, &ST), -1,
	    "cldap: forward pointer refused");
	is_int(ST.invalid[NAME_SRC_CLDAP], 1, "cldap: counted invalid");
	reset();
	is_int(names_cldap(msg, n - 40, &PKT, &SINK, &ST), -1,
	    "cldap: cut datagram");
}

static void
av(struct buf *b, unsigned id, const char *ascii)
{
	size_t i, n = strlen(ascii);

	le16(b, id);
	le16(b, (unsigned)(2 * n));
	for (i = 0; i < n; i++)
		le16(b, (uint8_t)ascii[i]);
}

static size_t
ntlm_challenge(uint8_t *out, const struct buf *ti)
{
	struct buf m;

	m.n = 0;
	put(&m, "NTLMSSP\0", 8);
	le32(&m, 2);
	le16(&m, 0);
	le16(&m, 0);
	le32(&m, 56);
	le32(&m, 0xe2898215);
	put(&m, "12345678", 8);
	memset(m.b + m.n, 0, 8);
	m.n += 8;
	le16(&m, (unsigned)ti->n);
	le16(&m, (unsigned)ti->n);
	le32(&m, 56);
	put(&m, "\x0a\x00\x63\x45\x00\x00\x00\x0f", 8);
	put(&m, ti->b, ti->n);
	memcpy(out, m.b, m.n);
	return m.n;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
b64(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static void
test_ntlm(void)
{
	struct buf ti;
	uint8_t msg[1024], wrapped[1200];
	char http[2400], enc[1600];
	size_t n;

	reset();
	ti.n = 0;
	av(&ti, 2, "CORP");
	av(&ti, 1, "FS01");
	av(&ti, 4, "corp.local");
	av(&ti, 3, "FS01.corp.local");
	av(&ti, 5, "corp.local");
	le16(&ti, 7);
	le16(&ti, 8);
	put(&ti, "\0\0\0\0\0\0\0\0", 8);
	le32(&ti, 0);
	n = ntlm_challenge(msg, &ti);
	/* Inside an SMB/SPNEGO-like wrapper: found by the scan. */
	memset(wrapped, 0xa1, 100);
	memcpy(wrapped + 100, msg, n);
	is_int(names_ntlm_scan(wrapped, n + 100, &PKT, &SINK, &ST), 5,
	    "ntlm: scan finds the CHALLENGE, five names");
	ok(find("192.0.2.53", "fs01.corp.local", NAME_SRC_NTLM,
	    NAME_KIND_HOST), "ntlm: DNS computer name");
	ok(find("192.0.2.53", "FS01", NAME_SRC_NTLM, NAME_KIND_NETBIOS),
	    "ntlm: NetBIOS computer name");
	ok(find("192.0.2.53", "CORP", NAME_SRC_NTLM, NAME_KIND_NB_DOMAIN),
	    "ntlm: NetBIOS domain");
	/* HTTP 401 with the token in base64. */
	reset();
	b64(msg, n, enc);
	snprintf(http, sizeof(http), "HTTP/1.1 401 \r\nServer: x\r\n"
	    "WWW-Authenticate: Negotiate %s\r\nContent-Length: 0\r\n\r\n", enc);
	is_int(names_ntlm_scan((const uint8_t *)http, strlen(http), &PKT,
	    &SINK, &ST), 5, "ntlm: HTTP WWW-Authenticate token decoded");
	/* Hostile: an AV pair past the end of the target info. */
	reset();
	ti.b[2] = 0xff;
	n = ntlm_challenge(msg, &ti);
	is_int(names_ntlm(msg, n, &PKT, &SINK, &ST), -1,
	    "ntlm: AvLen past the end");
	is_int(ST.truncated[NAME_SRC_NTLM], 1, "ntlm: counted truncated");
	/* Hostile: an unpaired surrogate; a NUL; a 300-char name. */
	reset();
	ti.n = 0;
	le16(&ti, 1);
	le16(&ti, 4);
	le16(&ti, 'A');
	le16(&ti, 0xd800);
	le16(&ti, 3);
	le16(&ti, 4);
	le16(&ti, 0);
	le16(&ti, 'A');
	le16(&ti, 4);
	le16(&ti, 600);
	memset(ti.b + ti.n, 'a', 600);
	ti.n += 600;
	le32(&ti, 0);
	n = ntlm_challenge(msg, &ti);
	is_int(names_ntlm(msg, n, &PKT, &SINK, &ST), 0,
	    "ntlm: hostile names refused, message whole");
	ok(ST.rejected[NAME_REJ_BAD_UTF8] == 1 &&
	    ST.rejected[NAME_REJ_CONTROL] == 1 &&
	    ST.rejected[NAME_REJ_TOO_LONG] == 1,
	    "ntlm: counted bad_utf8, control, too_long");
	/* Target info offset outside the message. */
	reset();
	msg[44] = 0xff;
	msg[45] = 0xff;
	is_int(names_ntlm(msg, n, &PKT, &SINK, &ST), -1,
	    "ntlm: target info offset outside the message");
	/* An AUTHENTICATE (type 3) yields nothing. */
	reset();
	msg[8] = 3;
	is_int(names_ntlm(msg, n, &PKT, &SINK, &ST), 0,
	    "ntlm: type 3 ignored");
}

/* ---- part 2: the table ---- */

static struct name_fact
fact(const char *ip, const char *name, int source, int kind, uint8_t suffix)
{
	struct name_fact f;

	memset(&f, 0, sizeof(f));
	addr_parse(&f.addr, ip);
	f.has_addr = true;
	f.source = (uint8_t)source;
	f.kind = (uint8_t)kind;
	f.nb_suffix = suffix;
	snprintf(f.name, sizeof(f.name), "%s", name);
	return f;
}

static size_t dirty_seen;

static void
count_dirty(void *arg, const struct name_entry *e)
{
	(void)arg;
	(void)e;
	dirty_seen++;
}

static void
test_table(void)
{
	struct names_table *t;
	struct name_fact f;
	struct name_entry out[8], e;
	struct addr a;
	char buf[NAMES_NAME_MAX + 1];
	enum name_source src;
	size_t n;

	ok(names_table_create(0, 10) == NULL, "table: capacity 0 refused");
	t = names_table_create(4, 3600);
	addr_parse(&a, "10.0.0.5");
	f = fact("10.0.0.5", "LAP7", NAME_SRC_NBNS, NAME_KIND_NETBIOS, 0x20);
	is_int(names_learn(t, &f, 1000000), 1, "table: new name");
	is_int(names_learn(t, &f, 2000000), 0, "table: same name refreshes");
	ok(names_display(t, &a, buf, sizeof(buf), &src) &&
	    strcmp(buf, "LAP7") == 0 && src == NAME_SRC_NBNS,
	    "table: NetBIOS <20> displayed");
	f = fact("10.0.0.5", "lap7.corp.lan", NAME_SRC_DNS_PTR,
	    NAME_KIND_HOST, 0);
	names_learn(t, &f, 3000000);
	names_display(t, &a, buf, sizeof(buf), &src);
	is_str(buf, "LAP7", "table: NetBIOS beats PTR");
	f = fact("10.0.0.5", "lap7.corp.lan", NAME_SRC_DNS, NAME_KIND_HOST, 0);
	names_learn(t, &f, 4000000);
	names_display(t, &a, buf, sizeof(buf), &src);
	ok(strcmp(buf, "lap7.corp.lan") == 0 && src == NAME_SRC_DNS,
	    "table: a forward DNS answer wins");
	/* The host is renamed: the old name stays, with its last_seen. */
	f = fact("10.0.0.5", "lap8.corp.lan", NAME_SRC_DNS, NAME_KIND_HOST, 0);
	is_int(names_learn(t, &f, 5000000), 1, "table: rename is a new entry");
	n = names_lookup(t, &a, out, 8);
	is_int(n, 4, "table: four names for the address");
	ok(strcmp(out[0].name, "lap8.corp.lan") == 0 &&
	    strcmp(out[1].name, "lap7.corp.lan") == 0 &&
	    out[1].last_seen_us == 4000000 && out[0].first_seen_us == 5000000,
	    "table: newest DNS name first, old one keeps its last_seen");
	ok(strcmp(out[3].name, "lap7.corp.lan") == 0 &&
	    out[3].source == NAME_SRC_DNS_PTR, "table: PTR last");
	/* Domain kinds never display; SPN facts are refused. */
	f = fact("10.0.0.9", "corp.local", NAME_SRC_KERBEROS, NAME_KIND_REALM,
	    0);
	names_learn(t, &f, 5000000);
	addr_parse(&a, "10.0.0.9");
	ok(!names_display(t, &a, buf, sizeof(buf), NULL) && buf[0] == '\0',
	    "table: a realm is not a display name");
	f.has_addr = false;
	f.kind = NAME_KIND_SPN;
	is_int(names_learn(t, &f, 5000000), -1, "table: unbound fact refused");
	is_int(names_refused(t), 1, "table: refusal counted");
	/* Full: the least recently seen go (the NBNS name, then the PTR). */
	is_int(names_count(t), 4, "table: full at capacity 4");
	f = fact("10.0.0.10", "x.corp", NAME_SRC_DNS, NAME_KIND_HOST, 0);
	names_learn(t, &f, 6000000);
	is_int(names_count(t), 4, "table: still 4 after an insert");
	is_int(names_evictions(t), 2, "table: evictions counted");
	addr_parse(&a, "10.0.0.5");
	n = names_lookup(t, &a, out, 8);
	is_int(n, 2, "table: the oldest entries of 10.0.0.5 were evicted");
	/* Dirty iteration and restore. */
	dirty_seen = 0;
	names_foreach(t, true, count_dirty, NULL);
	is_int(dirty_seen, 4, "table: all four dirty");
	dirty_seen = 0;
	names_foreach(t, true, count_dirty, NULL);
	is_int(dirty_seen, 0, "table: dirty marks cleared");
	names_mark_all_dirty(t);
	names_foreach(t, true, count_dirty, NULL);
	is_int(dirty_seen, 4, "table: mark_all_dirty");
	/* Expiry: entries unseen for an hour of packet time go. */
	is_int(names_expire(t, 5000000 + 3600000000ULL), 3,
	    "table: three expired");
	is_int(names_count(t), 1, "table: one left");
	memset(&e, 0, sizeof(e));
	addr_parse(&e.addr, "10.0.0.11");
	e.source = NAME_SRC_CLDAP;
	e.kind = NAME_KIND_HOST;
	e.first_seen_us = 100;
	e.last_seen_us = 200;
	snprintf(e.name, sizeof(e.name), "dc01.corp.local");
	is_int(names_restore(t, &e), 0, "table: restore");
	ok(names_display(t, &e.addr, buf, sizeof(buf), &src) &&
	    src == NAME_SRC_CLDAP, "table: restored name displayed");
	dirty_seen = 0;
	names_foreach(t, true, count_dirty, NULL);
	is_int(dirty_seen, 0, "table: restored entry is not dirty");
	names_table_destroy(t);
}

/* ---- part 3: the shared captures against tshark ---- */

struct pair {
	struct addr	 a;
	char		 name[NAMES_NAME_MAX + 1];
};

static bool
learned(const struct facts *fs, const struct addr *a, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (fs->v[i].has_addr && addr_eq(&fs->v[i].addr, a) &&
		    strcasecmp(fs->v[i].name, name) == 0)
			return true;
	return false;
}

static void
run_capture(const char *path, struct facts *fs, struct names_stats *st)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct packet pkt;
	enum decode_reason why;
	struct names_sink s = { collect, fs };
	pcap_t *pc;
	int dlt;

	if ((pc = pcap_open_offline(path, err)) == NULL)
		return;
	dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		memset(&pkt, 0, sizeof(pkt));
		pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000 +
		    (uint64_t)h->ts.tv_usec;
		pkt.cap_len = h->caplen;
		pkt.wire_len = h->len;
		if (decode_packet(dlt, data, h->caplen, &pkt, &why) !=
		    DECODE_OK)
			continue;
		(void)names_packet(&pkt, NAMES_NTLM_ANY_TCP, &s, st);
	}
	pcap_close(pc);
}

/* Split s at sep into at most max fields (in place). */
static int
split(char *s, char sep, char **f, int max)
{
	int n = 0;

	f[n++] = s;
	while (*s != '\0' && n < max) {
		if (*s == sep) {
			*s = '\0';
			f[n++] = s + 1;
		}
		s++;
	}
	return n;
}

/*
 * Run tshark on path with a display filter and fields (aggregated with
 * '|'); call fn for each output line with its tab-separated fields.
 */
static void
tshark_rows(const char *path, const char *filter, const char *fields,
    void (*fn)(void *arg, char **f, int n), void *arg)
{
	char cmd[2048], line[65536], *f[32], *nl;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -Y '%s' -T fields "
	    "-E occurrence=a -E aggregator='|' %s 2>/dev/null", path, filter,
	    fields);
	if ((p = popen(cmd, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), p) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		fn(arg, f, split(line, '\t', f, 32));
	}
	pclose(p);
}

struct expect {
	struct pair	*v;
	size_t		 n, cap;
	size_t		 policy;	/* pairs the policy refuses */
};

static void
expect_add(struct expect *x, const char *ip, const char *name, bool nb)
{
	char clean[NAMES_NAME_MAX + 1];
	struct addr a;
	size_t i;
	int r;

	if (ip == NULL || *ip == '\0' || name == NULL || *name == '\0' ||
	    addr_parse(&a, ip) != 0 || addr_is_unspecified(&a) ||
	    addr_is_group(&a))
		return;
	r = nb ? names_nb_check((const uint8_t *)name, strlen(name), clean) :
	    names_text_check((const uint8_t *)name, strlen(name), clean);
	if (r != NAMES_OK) {
		x->policy++;
		return;
	}
	for (i = 0; i < x->n; i++)
		if (addr_eq(&x->v[i].a, &a) &&
		    strcmp(x->v[i].name, clean) == 0)
			return;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		if ((x->v = realloc(x->v, x->cap * sizeof(*x->v))) == NULL)
			abort();
	}
	x->v[x->n].a = a;
	snprintf(x->v[x->n].name, sizeof(x->v[x->n].name), "%s", clean);
	x->n++;
}

/* dns.resp.type|..., dns.resp.name|..., dns.a|..., dns.aaaa|... */
static void
row_dns(void *arg, char **f, int n)
{
	char *types[512], *names[512], *a4[512], *a6[512];
	int nt, nn, n4, n6, i, k4 = 0, k6 = 0;

	if (n < 4 || f[0][0] == '\0')
		return;
	nt = split(f[0], '|', types, 512);
	nn = split(f[1], '|', names, 512);
	n4 = f[2][0] ? split(f[2], '|', a4, 512) : 0;
	n6 = f[3][0] ? split(f[3], '|', a6, 512) : 0;
	for (i = 0; i < nt && i < nn; i++) {
		if (strcmp(types[i], "1") == 0 && k4 < n4)
			expect_add(arg, a4[k4++], names[i], false);
		else if (strcmp(types[i], "28") == 0 && k6 < n6)
			expect_add(arg, a6[k6++], names[i], false);
	}
}

/* "NAME<xx> (descr)" -> NAME and suffix; false for names not kept. */
static bool
nb_text(const char *s, char *name, size_t len, unsigned *suffix)
{
	const char *lt = strrchr(s, '<');

	if (lt == NULL || lt == s || (size_t)(lt - s) >= len ||
	    sscanf(lt, "<%2x>", suffix) != 1)
		return false;
	memcpy(name, s, (size_t)(lt - s));
	name[lt - s] = '\0';
	/* Not kept: "*" queries, <01><02>__MSBROWSE__, <03> messenger. */
	return name[0] != '*' && name[0] != '<' && *suffix != 0x03;
}

/* response, opcode, rcode, nbns.name|..., nbns.addr|... */
static void
row_nbns(void *arg, char **f, int n)
{
	char *names[64], *addrs[64], name[64];
	int nn, na, i;
	unsigned suffix;
	bool resp;

	if (n < 5 || f[4][0] == '\0')
		return;
	resp = strcmp(f[0], "1") == 0 || strcmp(f[0], "True") == 0;
	if (resp ? strcmp(f[2], "0") != 0 || (strcmp(f[1], "0") != 0 &&
	    strcmp(f[1], "5") != 0 && strcmp(f[1], "8") != 0 &&
	    strcmp(f[1], "9") != 0 && strcmp(f[1], "15") != 0) :
	    strcmp(f[1], "5") != 0 && strcmp(f[1], "8") != 0 &&
	    strcmp(f[1], "9") != 0 && strcmp(f[1], "15") != 0)
		return;
	nn = split(f[3], '|', names, 64);
	na = split(f[4], '|', addrs, 64);
	/* One name per packet here (question and RR repeat it). */
	if (nn < 1 || !nb_text(names[0], name, sizeof(name), &suffix))
		return;
	for (i = 0; i < na; i++)
		expect_add(arg, addrs[i], name, true);
}

/* ip.src, ipv6.src, then name fields (nb? per column in the arg). */
struct row_src {
	struct expect	*x;
	const char	*nb;	/* per name column: 'n' NetBIOS, 'd' DNS */
};

static void
row_src_names(void *arg, char **f, int n)
{
	struct row_src *rs = arg;
	char *v[32];
	const char *ip = f[0][0] ? f[0] : f[1];
	int i, k, nv;

	for (i = 2; i < n && rs->nb[i - 2] != '\0'; i++) {
		if (f[i][0] == '\0')
			continue;
		nv = split(f[i], '|', v, 32);
		for (k = 0; k < nv; k++)
			expect_add(rs->x, ip, v[k], rs->nb[i - 2] == 'n');
	}
}

/* DHCP: msg type, yiaddr, ciaddr, requested, host name. */
static void
row_dhcp(void *arg, char **f, int n)
{
	const char *ip = NULL;

	if (n < 5)
		return;
	if (strcmp(f[0], "5") == 0)
		ip = f[1];
	else if (strcmp(f[0], "3") == 0)
		ip = f[3][0] ? f[3] : f[2];
	else if (strcmp(f[0], "8") == 0)
		ip = f[2];
	if (ip != NULL)
		expect_add(arg, ip, f[4], false);
}

/*
 * One tshark pass per capture (tshark runs are what the test costs):
 * every packet of any source, all fields, dispatched by which are set.
 */
#define ONE_FILTER "dns.flags.response==1 || nbns || dhcp.option.hostname" \
	" || ntlmssp.messagetype==2 || mscldap.hostname" \
	" || kerberos.msg_type==11 || kerberos.msg_type==13" \
	" || kerberos.msg_type==30"
#define ONE_FIELDS "-e ip.src -e ipv6.src " \
	"-e dns.resp.type -e dns.resp.name -e dns.a -e dns.aaaa " \
	"-e nbns.flags.response -e nbns.flags.opcode -e nbns.flags.rcode " \
	"-e nbns.name -e nbns.addr " \
	"-e dhcp.option.dhcp -e dhcp.ip.your -e dhcp.ip.client " \
	"-e dhcp.option.requested_ip_address -e dhcp.option.hostname " \
	"-e ntlmssp.challenge.target_info.nb_computer_name " \
	"-e ntlmssp.challenge.target_info.nb_domain_name " \
	"-e ntlmssp.challenge.target_info.dns_computer_name " \
	"-e ntlmssp.challenge.target_info.dns_domain_name " \
	"-e mscldap.hostname -e mscldap.nb_hostname " \
	"-e kerberos.realm -e kerberos.msg_type -e udp.srcport"

static void
row_all(void *arg, char **f, int n)
{
	struct expect *xs = arg;
	struct row_src rs;
	char *g[8];

	if (n < 25)
		return;
	if (f[2][0] != '\0')
		row_dns(&xs[0], f + 2, 4);
	if (f[7][0] != '\0')
		row_nbns(&xs[1], f + 6, 5);
	if (f[15][0] != '\0')
		row_dhcp(&xs[2], f + 11, 5);
	g[0] = f[0];
	g[1] = f[1];
	if (f[16][0] || f[17][0] || f[18][0] || f[19][0]) {
		rs.x = &xs[3];
		rs.nb = "nndd";
		memcpy(g + 2, f + 16, 4 * sizeof(*g));
		row_src_names(&rs, g, 6);
	}
	if (f[20][0] || f[21][0]) {
		rs.x = &xs[4];
		rs.nb = "dn";
		memcpy(g + 2, f + 20, 2 * sizeof(*g));
		row_src_names(&rs, g, 4);
	}
	/* Realms of KDC answers: all of them (xs[5]), over UDP (xs[6]). */
	if (f[22][0] && (strcmp(f[23], "11") == 0 ||
	    strcmp(f[23], "13") == 0 || strcmp(f[23], "30") == 0)) {
		rs.x = &xs[5];
		rs.nb = "d";
		g[2] = f[22];
		row_src_names(&rs, g, 3);
		if (strcmp(f[24], "88") == 0) {
			char *r[8];
			const char *ip = f[0][0] ? f[0] : f[1];

			split(f[22], '|', r, 8);
			expect_add(&xs[6], ip, r[0], false);
		}
	}
}

/*
 * Kerberos: every realm learned for an address is a realm tshark shows
 * in a KDC answer that address sent (no invented realm), and each KDC
 * that answered over UDP (no reassembly needed) has a realm learned.
 */
static void
check_krb(const char *file, struct expect *all, struct expect *udp,
    const struct facts *fs)
{
	char ip[ADDR_STRLEN];
	size_t i, k, wrong = 0, missing = 0, n = 0;
	bool found;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].source != NAME_SRC_KERBEROS ||
		    fs->v[i].kind != NAME_KIND_REALM)
			continue;
		n++;
		for (found = false, k = 0; k < all->n && !found; k++)
			found = addr_eq(&all->v[k].a, &fs->v[i].addr) &&
			    strcasecmp(all->v[k].name, fs->v[i].name) == 0;
		if (!found && wrong++ < 5)
			printf("# %s: kerberos: %s %s not in tshark\n", file,
			    addr_fmt(&fs->v[i].addr, ip), fs->v[i].name);
	}
	for (k = 0; k < udp->n; k++) {
		for (found = false, i = 0; i < fs->n && !found; i++)
			found = fs->v[i].source == NAME_SRC_KERBEROS &&
			    fs->v[i].kind == NAME_KIND_REALM &&
			    addr_eq(&fs->v[i].addr, &udp->v[k].a);
		if (!found && missing++ < 5)
			printf("# %s: kerberos: no realm for KDC %s\n", file,
			    addr_fmt(&udp->v[k].a, ip));
	}
	if (n > 0 || udp->n > 0)
		ok(wrong == 0 && missing == 0, "%s: kerberos: %zu realm facts "
		    "all in tshark's KDC answers; %zu KDCs answering over UDP "
		    "named",
		    file, n, udp->n);
	all->n = udp->n = 0;
	all->policy = udp->policy = 0;
}

static void
check_source(const char *file, const char *what, struct expect *x,
    const struct facts *fs)
{
	char ip[ADDR_STRLEN];
	size_t i, missing = 0;

	for (i = 0; i < x->n; i++) {
		if (learned(fs, &x->v[i].a, x->v[i].name))
			continue;
		if (missing++ < 5)
			printf("# %s: %s: missing %s %s\n", file, what,
			    addr_fmt(&x->v[i].a, ip), x->v[i].name);
	}
	if (x->n > 0 || x->policy > 0)
		ok(missing == 0, "%s: %s: %zu/%zu tshark pairs learned"
		    " (%zu refused by the policy)", file, what, x->n - missing,
		    x->n, x->policy);
	x->n = 0;
	x->policy = 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void
test_pcaps(void)
{
	const char *dir = getenv("SVCMAP_PCAPS");
	struct dirent **ents;
	struct expect xs[7];
	struct facts fs = { NULL, 0, 0 };
	struct names_stats st, total;
	char path[4096];
	const char *nm;
	size_t len, k;
	int i, n, files = 0;

	if (dir == NULL || system("tshark -v >/dev/null 2>&1") != 0) {
		printf("# captures or tshark missing: capture checks skipped\n");
		return;
	}
	if ((n = scandir(dir, &ents, NULL, by_name)) < 0) {
		printf("# %s: no captures: capture checks skipped\n", dir);
		return;
	}
	memset(&total, 0, sizeof(total));
	memset(xs, 0, sizeof(xs));
	for (i = 0; i < n; i++) {
		nm = ents[i]->d_name;
		len = strlen(nm);
		if (!((len > 5 && strcmp(nm + len - 5, ".pcap") == 0) ||
		    (len > 7 && strcmp(nm + len - 7, ".pcapng") == 0))) {
			free(ents[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, nm);
		fs.n = 0;
		memset(&st, 0, sizeof(st));
		run_capture(path, &fs, &st);
		for (k = 0; k < NAME_SRC__COUNT; k++) {
			total.facts[k] += st.facts[k];
			total.messages[k] += st.messages[k];
			total.truncated[k] += st.truncated[k];
			total.invalid[k] += st.invalid[k];
		}
		for (k = 0; k < NAME_REJ__COUNT; k++)
			total.rejected[k] += st.rejected[k];
		files++;

		tshark_rows(path, ONE_FILTER, ONE_FIELDS, row_all, xs);
		check_source(nm, "dns/llmnr/mdns A+AAAA", &xs[0], &fs);
		check_source(nm, "nbns", &xs[1], &fs);
		check_source(nm, "dhcp option 12", &xs[2], &fs);
		check_source(nm, "ntlm target info", &xs[3], &fs);
		check_source(nm, "cldap netlogon", &xs[4], &fs);
		check_krb(nm, &xs[5], &xs[6], &fs);
		free(ents[i]);
	}
	free(ents);
	for (k = 0; k < 7; k++)
		free(xs[k].v);
	free(fs.v);
	ok(files > 0, "captures read: %d", files);
	for (k = 0; k < NAME_SRC__COUNT; k++)
		printf("# %-8s messages %llu facts %llu truncated %llu "
		    "invalid %llu\n", names_source_name((enum name_source)k),
		    (unsigned long long)total.messages[k],
		    (unsigned long long)total.facts[k],
		    (unsigned long long)total.truncated[k],
		    (unsigned long long)total.invalid[k]);
	for (k = 0; k < NAME_REJ__COUNT; k++)
		printf("# rejected %s: %llu\n",
		    names_reject_name((enum names_reject)k),
		    (unsigned long long)total.rejected[k]);
}

int
main(void)
{
	static const uint8_t s4[4] = { 192, 0, 2, 53 }, d4[4] = { 192, 0, 2, 9 };

	addr_from_v4(&SRC, s4);
	addr_from_v4(&DST, d4);
	test_dns();
	test_nbns();
	test_dhcp();
	test_kerberos();
	test_cldap();
	test_ntlm();
	test_table();
	test_pcaps();
	free(F.v);
	return tap_done();
}
