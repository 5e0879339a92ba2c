/* \summary: NetBIOS names from the NetBIOS name service (UDP 137) */
/*
 * specification: RFC 1001/1002 (4.1 header, 4.1.1 name encoding, 4.2.2
 * registration, 4.2.13 positive query response, 4.2.18 node status
 * response); [MS-NBTE] for the Windows name suffixes.
 *
 *   header as DNS; opcode 0 query, 5 registration, 8/9 refresh,
 *   15 multi-homed registration; NM_FLAGS, RCODE.
 *   name: one 32-byte label, each nibble of the 16-byte NetBIOS name
 *   plus 'A' (first-level encoding), then scope labels, 0.
 *   NB rdata:     { NB_FLAGS(2: G bit 0x8000), NB_ADDRESS(4) } * n
 *   NBSTAT rdata: NUM_NAMES(1) { NAME(15) SUFFIX(1) NAME_FLAGS(2) } * n ...
 *
 * Facts: registration requests (the RR in the additional section) and
 * positive responses (answers) -> (NB_ADDRESS, name<suffix>); node status
 * responses -> (responder, name<suffix>).  Unique names are computer
 * names (kind netbios) except <1B>/<1D> (domain/master browser, named
 * after the domain); group names are domains or workgroups (<00>, <1C>
 * domain controllers, <1E> browser elections).  Not kept: <03>
 * (messenger: often a user name), "*" (wildcard, *SMBSERVER) and
 * 0x01 0x02 "__MSBROWSE__" 0x02 (a browser election group).
 */
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/names.h"
#include "svcmap/rd.h"
#include "names_int.h"

#define NB_T_NB		0x20
#define NB_T_NBSTAT	0x21
#define NB_G		0x8000

/*
 * The first label of a NetBIOS name at r (inside msg), decoded to 16
 * bytes; scope labels are walked and dropped.  Pointers go back only, as
 * in names_dns_name().
 * @return: 0 decoded, 1 not a first-level encoded name, -1 framing error.
 */
static int
nb_name(const struct rd *msg, struct rd *r, uint8_t raw[16])
{
	struct rd cur = *r;
	size_t limit = (size_t)(r->p - msg->start), target;
	const uint8_t *lab;
	bool jumped = false, first = true;
	int hops = 0, bad = 0, i;
	uint8_t len, hi, lo;

	for (;;) {
		len = rd_u8(&cur);
		if (!rd_ok(&cur) || len == 0)
			break;
		if ((len & 0xc0) == 0xc0) {
			target = (size_t)(len & 0x3f) << 8 | rd_u8(&cur);
			if (!rd_ok(&cur))
				break;
			if (!jumped) {
				r->p = cur.p;
				jumped = true;
			}
			if (target >= limit || ++hops > NAMES_DNS_MAX_HOPS ||
			    target >= (size_t)(msg->end - msg->start)) {
				rd_invalid(&cur);
				break;
			}
			limit = target;
			cur.p = msg->start + target;
			continue;
		}
		if (len & 0xc0) {
			rd_invalid(&cur);
			break;
		}
		if ((lab = rd_ptr(&cur, len)) == NULL)
			break;
		if (!first)
			continue;
		first = false;
		if (len != 32) {
			bad = 1;
			continue;
		}
		for (i = 0; i < 16; i++) {
			hi = (uint8_t)(lab[2 * i] - 'A');
			lo = (uint8_t)(lab[2 * i + 1] - 'A');
			if (hi > 15 || lo > 15)
				bad = 1;
			raw[i] = (uint8_t)(hi << 4 | (lo & 0xf));
		}
	}
	if (!rd_ok(&cur)) {
		r->err = cur.err;
		return -1;
	}
	if (!jumped)
		r->p = cur.p;
	return first ? 1 : bad;
}

/*
 * Emit (a, raw name) unless it is one of the names not kept.  Returns 1
 * if a fact went out.
 */
static int
nb_emit(const uint8_t raw[16], bool group, const struct addr *a,
    const struct names_sink *s, struct names_stats *st)
{
	struct name_fact f;
	uint8_t suffix = raw[15];
	int why;

	if (raw[0] == '*' || raw[0] == 0x01 || (suffix == 0x03 && !group))
		return 0;
	if (addr_is_unspecified(a) || addr_is_group(a))
		return 0;
	names_fact_init(&f, NAME_SRC_NBNS, group || suffix == 0x1b ||
	    suffix == 0x1d ? NAME_KIND_NB_DOMAIN : NAME_KIND_NETBIOS);
	if ((why = names_nb_check(raw, 15, f.name)) != NAMES_OK) {
		names_count_reject(st, why);
		return 0;
	}
	f.addr = *a;
	f.has_addr = true;
	f.nb_suffix = suffix;
	f.nb_group = group;
	names_emit(s, st, &f);
	return 1;
}

int
names_nbns(const uint8_t *p, size_t len, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	struct rd msg, r, rdata;
	uint16_t flags, qd, an, ns, ar, type, rdlen, nbflags;
	uint8_t raw[16], ent[18], opcode, count;
	const uint8_t *ip;
	bool response, take;
	struct addr a;
	uint32_t i, nrr;
	int facts = 0, res, k;

	rd_init(&msg, p, len);
	r = msg;
	rd_skip(&r, 2);
	flags = rd_be16(&r);
	qd = rd_be16(&r);
	an = rd_be16(&r);
	ns = rd_be16(&r);
	ar = rd_be16(&r);
	if (!rd_ok(&r))
		goto bad;
	response = (flags & 0x8000) != 0;
	opcode = flags >> 11 & 0xf;
	if (opcode != 0 && opcode != 5 && opcode != 8 && opcode != 9 &&
	    opcode != 15)
		return 0;
	if (response && (flags & 0xf) != 0)
		return 0;		/* negative response: names nobody */
	if (!response && opcode == 0)
		return 0;		/* a query names nobody yet */
	for (i = 0; i < qd; i++) {
		if (nb_name(&msg, &r, raw) < 0)
			goto bad;
		rd_skip(&r, 4);
		if (!rd_ok(&r))
			goto bad;
	}
	nrr = (uint32_t)an + ns + ar;
	for (i = 0; i < nrr; i++) {
		if ((res = nb_name(&msg, &r, raw)) < 0)
			goto bad;
		type = rd_be16(&r);
		rd_skip(&r, 2 + 4);	/* class, ttl */
		rdlen = rd_be16(&r);
		rdata = rd_sub(&r, rdlen);
		if (!rd_ok(&r))
			goto bad;
		/* Responses: answers; registrations: the additional RR. */
		take = response ? i < an : i >= (uint32_t)an + ns;
		if (!take)
			continue;
		if (type == NB_T_NB && res == 0) {
			if (rdlen % 6 != 0) {
				rd_invalid(&r);
				goto bad;
			}
			while (rd_left(&rdata) >= 6) {
				nbflags = rd_be16(&rdata);
				ip = rd_ptr(&rdata, 4);
				addr_from_v4(&a, ip);
				facts += nb_emit(raw, (nbflags & NB_G) != 0, &a,
				    s, st);
			}
		} else if (type == NB_T_NBSTAT && response && opcode == 0 &&
		    pkt != NULL && pkt->src != NULL) {
			count = rd_u8(&rdata);
			for (k = 0; k < count; k++) {
				rd_bytes(&rdata, ent, sizeof(ent));
				if (!rd_ok(&rdata))
					break;
				facts += nb_emit(ent, (ent[16] & 0x80) != 0,
				    pkt->src, s, st);
			}
			if (!rd_ok(&rdata)) {
				r.err = rdata.err;
				goto bad;
			}
		}
	}
	st->messages[NAME_SRC_NBNS]++;
	return facts;
bad:
	names_count_error(st, NAME_SRC_NBNS, &r);
	return facts > 0 ? facts : -1;
}
