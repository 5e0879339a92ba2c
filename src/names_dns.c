/* \summary: host names from DNS, LLMNR and mDNS responses */
/*
 * specification: RFC 1035 (4.1 message format, 4.1.4 compression),
 * RFC 3596 (AAAA, ip6.arpa), RFC 4795 (LLMNR), RFC 6762 (mDNS: the top
 * bit of the class is cache-flush), RFC 7766 (TCP framing).
 *
 *   header:  id(2) flags(2) qdcount(2) ancount(2) nscount(2) arcount(2)
 *   question: name type(2) class(2)
 *   RR:       name type(2) class(2) ttl(4) rdlength(2) rdata
 *
 * Facts: A/AAAA of any section -> (address, owner); PTR under in-addr.arpa
 * or ip6.arpa -> (address of the owner, target).  Names are checked by the
 * policy of names.h; a refused name is counted only when it would have
 * been a fact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/names.h"
#include "svcmap/rd.h"
#include "names_int.h"

#define DNS_T_A		1
#define DNS_T_PTR	12
#define DNS_T_AAAA	28
#define DNS_C_IN	1

int
names_dns_name(const struct rd *msg, struct rd *r,
    char out[NAMES_NAME_MAX + 1], int *why)
{
	struct rd cur = *r;
	size_t olen = 0, limit, target;
	const uint8_t *lab;
	bool jumped = false;
	int hops = 0, res;
	uint8_t len;

	out[0] = '\0';
	*why = NAMES_OK;
	/* Pointers must land strictly below where this name's labels began. */
	limit = (size_t)(r->p - msg->start);
	for (;;) {
		len = rd_u8(&cur);
		if (!rd_ok(&cur))
			break;
		if (len == 0)
			break;
		if ((len & 0xc0) == 0xc0) {
			target = (size_t)(len & 0x3f) << 8 | rd_u8(&cur);
			if (!rd_ok(&cur))
				break;
			if (!jumped) {
				/* The caller continues after the first pointer. */
				r->p = cur.p;
				jumped = true;
			}
			if (target >= limit || ++hops > NAMES_DNS_MAX_HOPS ||
			    target >= (size_t)(msg->end - msg->start)) {
				rd_invalid(&cur);
				*why = NAME_REJ_POINTER;
				break;
			}
			limit = target;
			cur.p = msg->start + target;
			continue;
		}
		if (len & 0xc0) {
			/* 0x40, 0x80: extended label types (RFC 6891): none valid. */
			rd_invalid(&cur);
			break;
		}
		if ((lab = rd_ptr(&cur, len)) == NULL)
			break;
		if (*why == NAMES_OK &&
		    (res = names_label_append(lab, len, out, &olen)) != NAMES_OK)
			*why = res;
	}
	if (!rd_ok(&cur)) {
		r->err = cur.err;
		out[0] = '\0';
		return -1;
	}
	if (!jumped)
		r->p = cur.p;
	if (*why == NAMES_OK && olen == 0)
		*why = NAME_REJ_EMPTY;
	if (*why != NAMES_OK) {
		out[0] = '\0';
		return 1;
	}
	return 0;
}

/* "d.c.b.a.in-addr.arpa" or 32 nibbles + ".ip6.arpa" -> address. */
static bool
reverse_addr(const char *name, struct addr *a)
{
	static const char v4sfx[] = ".in-addr.arpa", v6sfx[] = "ip6.arpa";
	size_t n = strlen(name), i;
	uint8_t v4[4], v6[16];
	const char *p;
	char *end;
	unsigned long v;
	int k, nib;

	if (n > sizeof(v4sfx) - 1 &&
	    strcmp(name + n - (sizeof(v4sfx) - 1), v4sfx) == 0) {
		p = name;
		for (k = 3; k >= 0; k--) {
			if (*p < '0' || *p > '9')
				return false;
			v = strtoul(p, &end, 10);
			if (v > 255 || end - p > 3 || *end != '.')
				return false;
			v4[k] = (uint8_t)v;
			p = end + 1;
		}
		if (p - 1 != name + n - (sizeof(v4sfx) - 1))
			return false;
		addr_from_v4(a, v4);
		return true;
	}
	if (n == 64 + sizeof(v6sfx) - 1 &&
	    strcmp(name + 64, v6sfx) == 0) {
		memset(v6, 0, sizeof(v6));
		for (i = 0; i < 32; i++) {
			p = name + 2 * i;
			if (p[1] != '.')
				return false;
			if (*p >= '0' && *p <= '9')
				nib = *p - '0';
			else if (*p >= 'a' && *p <= 'f')
				nib = *p - 'a' + 10;
			else
				return false;
			/* The first nibble is the lowest of the last byte. */
			v6[15 - i / 2] |= (uint8_t)(i % 2 ? nib << 4 : nib);
		}
		addr_from_v6(a, v6);
		return true;
	}
	return false;
}

/* One message (msg spans exactly it). */
static int
dns_message(struct rd *msg, enum name_source proto,
    const struct names_sink *s, struct names_stats *st)
{
	struct rd r = *msg, rdata;
	struct name_fact f;
	char owner[NAMES_NAME_MAX + 1], target[NAMES_NAME_MAX + 1];
	uint16_t flags, qd, an, ns, ar, type, class, rdlen;
	uint32_t ttl, nrr, i;
	const uint8_t *ip;
	struct addr a;
	int facts = 0, why, owner_ok, res;

	rd_skip(&r, 2);
	flags = rd_be16(&r);
	qd = rd_be16(&r);
	an = rd_be16(&r);
	ns = rd_be16(&r);
	ar = rd_be16(&r);
	if (!rd_ok(&r))
		goto bad;
	/*
	 * Responses (QR) only: to a standard query, or to a dynamic update
	 * (RFC 2136) that succeeded, which Windows DNS servers answer with
	 * the update echoed; its class IN A/AAAA records are now served.
	 * Class ANY/NONE records (deletions, prerequisites) are skipped
	 * below like any other class.
	 */
	if (!(flags & 0x8000))
		return 0;
	if ((flags >> 11 & 0xf) != 0 &&
	    ((flags >> 11 & 0xf) != 5 || (flags & 0xf) != 0))
		return 0;
	for (i = 0; i < qd; i++) {
		if (names_dns_name(msg, &r, owner, &why) < 0)
			goto bad;
		rd_skip(&r, 4);
		if (!rd_ok(&r))
			goto bad;
	}
	nrr = (uint32_t)an + ns + ar;
	for (i = 0; i < nrr; i++) {
		if ((owner_ok = names_dns_name(msg, &r, owner, &why)) < 0)
			goto bad;
		type = rd_be16(&r);
		class = rd_be16(&r);
		ttl = rd_be32(&r);
		rdlen = rd_be16(&r);
		rdata = rd_sub(&r, rdlen);
		if (!rd_ok(&r))
			goto bad;
		/* mDNS: the top bit of the class is cache-flush, not class. */
		if ((class & 0x7fff) != DNS_C_IN)
			continue;
		if (type == DNS_T_A || type == DNS_T_AAAA) {
			if (rdlen != (type == DNS_T_A ? 4 : 16)) {
				rd_invalid(&r);
				goto bad;
			}
			ip = rd_ptr(&rdata, rdlen);
			if (type == DNS_T_A)
				addr_from_v4(&a, ip);
			else
				addr_from_v6(&a, ip);
			/* 0.0.0.0 (a sinkhole) or a group names no host. */
			if (addr_is_unspecified(&a) || addr_is_group(&a))
				continue;
			if (owner_ok != 0) {
				names_count_reject(st, why);
				continue;
			}
			names_fact_init(&f, proto, NAME_KIND_HOST);
			f.addr = a;
			f.has_addr = true;
			f.ttl = ttl;
			memcpy(f.name, owner, sizeof(f.name));
			names_emit(s, st, &f);
			facts++;
		} else if (type == DNS_T_PTR && owner_ok == 0 &&
		    reverse_addr(owner, &a)) {
			/* The target is read inside the whole message. */
			struct rd t = *msg;

			t.p = rdata.p;
			if ((res = names_dns_name(msg, &t, target, &why)) < 0) {
				r.err = t.err;
				goto bad;
			}
			if (addr_is_unspecified(&a) || addr_is_group(&a))
				continue;
			if (res != 0) {
				names_count_reject(st, why);
				continue;
			}
			names_fact_init(&f, proto == NAME_SRC_DNS ?
			    NAME_SRC_DNS_PTR : proto, NAME_KIND_HOST);
			f.addr = a;
			f.has_addr = true;
			f.ttl = ttl;
			memcpy(f.name, target, sizeof(f.name));
			names_emit(s, st, &f);
			facts++;
		}
	}
	st->messages[proto]++;
	return facts;
bad:
	names_count_error(st, proto, &r);
	return facts > 0 ? facts : -1;
}

int
names_dns(const uint8_t *p, size_t len, enum name_source proto,
    const struct names_pkt *pkt, const struct names_sink *s,
    struct names_stats *st)
{
	struct rd r, m;
	uint16_t mlen;
	int n, total = 0;

	if (proto != NAME_SRC_DNS && proto != NAME_SRC_LLMNR &&
	    proto != NAME_SRC_MDNS)
		return -1;
	rd_init(&r, p, len);
	if (pkt == NULL || !pkt->tcp)
		return dns_message(&r, proto, s, st);
	/*
	 * TCP: whole length-framed messages of this segment; a message cut
	 * by the segment end is left (no reassembly here), not counted.
	 */
	while (rd_left(&r) >= 2) {
		mlen = rd_be16(&r);
		if (mlen < 12 || rd_left(&r) < mlen)
			break;
		m = rd_sub(&r, mlen);
		if ((n = dns_message(&m, proto, s, st)) < 0)
			return total > 0 ? total : -1;
		total += n;
	}
	return total;
}
