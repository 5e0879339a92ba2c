/* \summary: Kerberos realms of KDCs and asked-for service principals */
/*
 * specification: RFC 4120 (5.3 Ticket, 5.4.1 KDC-REQ, 5.4.2 KDC-REP,
 * 5.9.1 KRB-ERROR, 7.2.2 TCP record mark), [MS-KILE].
 *
 *   AS-REQ [APPLICATION 10] / TGS-REQ [APPLICATION 12] KDC-REQ ::=
 *     SEQUENCE { pvno[1], msg-type[2], padata[3] OPT, req-body[4] }
 *   KDC-REQ-BODY ::= SEQUENCE { kdc-options[0], cname[1] OPT, realm[2],
 *     sname[3] PrincipalName OPT, ... }
 *   PrincipalName ::= SEQUENCE { name-type[0], name-string[1]
 *     SEQUENCE OF GeneralString }
 *   AS-REP [APPLICATION 11] / TGS-REP [APPLICATION 13] KDC-REP ::=
 *     SEQUENCE { pvno[0], msg-type[1], padata[2] OPT, crealm[3], cname[4],
 *     ticket[5] Ticket, enc-part[6] }
 *   Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno[0], realm[1], ... }
 *   KRB-ERROR [APPLICATION 30] ::= SEQUENCE { ..., error-code[6], ...,
 *     realm[9], sname[10], ... }
 *
 * What each message can say, and to whom it is bound:
 *  - A reply (AS-REP, TGS-REP: the ticket's realm; KRB-ERROR other than
 *    KDC_ERR_WRONG_REALM: its realm) comes from a KDC that serves that
 *    realm: a REALM fact bound to the sender.  A request's realm is only
 *    what the client believes (anyone can send an AS-REQ for any realm to
 *    any host on port 88), so it binds nothing.
 *  - A request's sname (cifs/NAME, host/NAME, ldap/NAME...) is a server
 *    the client wants a ticket for: not the KDC that receives it and not
 *    the client.  Its host part is emitted unbound (kind SPN, has_addr
 *    false): a candidate that a DNS answer for the same name can confirm.
 *    krbtgt/REALM (a TGT) and IP-literal hosts are not names.
 */
#include <stdbool.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/names.h"
#include "svcmap/rd.h"
#include "names_int.h"

#define KRB_AS_REQ	0x6a	/* [APPLICATION 10], constructed */
#define KRB_AS_REP	0x6b
#define KRB_TGS_REQ	0x6c
#define KRB_TGS_REP	0x6d
#define KRB_ERROR	0x7e
#define KRB_TICKET	0x61
#define ASN1_SEQ	0x30
#define ASN1_INT	0x02
#define ASN1_GSTRING	0x1b
#define CTX(n)		(0xa0 | (n))
#define KDC_ERR_WRONG_REALM 68
#define KRB_TCP_MAX	(256 * 1024)	/* record mark sanity bound */

/* A GeneralString field [n] of seq into out (DNS text policy). */
static int
krb_string(struct rd seq, uint8_t ctx, char out[NAMES_NAME_MAX + 1],
    struct rd *err)
{
	struct rd f = ber_field(seq, ctx), s;
	uint8_t tag;

	s = ber_elem(&f, &tag);
	if (!rd_ok(&f) || tag != ASN1_GSTRING) {
		rd_invalid(err);
		return NAME_REJ_EMPTY;
	}
	return names_text_check(s.p, rd_left(&s), out);
}

static int
krb_realm_fact(struct rd seq, uint8_t ctx, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st, struct rd *err)
{
	struct name_fact f;
	int why;

	names_fact_init(&f, NAME_SRC_KERBEROS, NAME_KIND_REALM);
	why = krb_string(seq, ctx, f.name, err);
	if (!rd_ok(err))
		return 0;
	if (why != NAMES_OK) {
		names_count_reject(st, why);
		return 0;
	}
	if (pkt == NULL || pkt->src == NULL || addr_is_unspecified(pkt->src))
		return 0;
	f.addr = *pkt->src;
	f.has_addr = true;
	names_emit(s, st, &f);
	return 1;
}

/* The host part of a service principal name in a request's sname. */
static int
krb_spn_fact(struct rd body, const struct names_sink *s,
    struct names_stats *st, struct rd *err)
{
	struct rd pn, seq, strs, comp[2];
	struct name_fact f;
	struct addr a;
	char lit[NAMES_NAME_MAX + 1];
	const uint8_t *h;
	size_t hl, i;
	uint8_t tag;
	int n = 0, why;

	pn = ber_field(body, CTX(3));
	if (!rd_ok(&pn))
		return 0;		/* sname is OPTIONAL */
	seq = ber_elem(&pn, &tag);
	if (!rd_ok(&pn) || tag != ASN1_SEQ) {
		rd_invalid(err);
		return 0;
	}
	strs = ber_field(seq, CTX(1));
	strs = ber_elem(&strs, &tag);	/* SEQUENCE OF */
	if (tag != ASN1_SEQ || !rd_ok(&strs)) {
		rd_invalid(err);
		return 0;
	}
	while (rd_left(&strs) > 0 && n < 2) {
		comp[n] = ber_elem(&strs, &tag);
		if (!rd_ok(&strs) || tag != ASN1_GSTRING) {
			rd_invalid(err);
			return 0;
		}
		n++;
	}
	if (n < 2)
		return 0;
	if (rd_left(&comp[0]) == 6 && memcmp(comp[0].p, "krbtgt", 6) == 0)
		return 0;
	/* host[:port] (MSSQLSvc/host:1433); the rest after '/' is dropped. */
	h = comp[1].p;
	hl = rd_left(&comp[1]);
	for (i = 0; i < hl; i++)
		if (h[i] == ':')
			break;
	hl = i;
	if (hl == 0 || hl >= sizeof(lit))
		return 0;
	memcpy(lit, h, hl);
	lit[hl] = '\0';
	if (addr_parse(&a, lit) == 0)
		return 0;		/* an address literal is not a name */
	names_fact_init(&f, NAME_SRC_KERBEROS, NAME_KIND_SPN);
	if ((why = names_text_check(h, hl, f.name)) != NAMES_OK) {
		names_count_reject(st, why);
		return 0;
	}
	names_emit(s, st, &f);
	return 1;
}

static int
krb_message(struct rd *r, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	struct rd app, seq, body, tkt, t, code, peek;
	uint8_t tag, apptag;
	uint32_t ec;
	int facts = 0;

	/*
	 * Anything that does not open with a KDC message tag is not one (a
	 * TCP continuation segment, another protocol on port 88): not ours
	 * to count.
	 */
	peek = *r;
	apptag = rd_u8(&peek);
	if (!rd_ok(&peek))
		return 0;
	if (apptag != KRB_AS_REQ && apptag != KRB_TGS_REQ &&
	    apptag != KRB_AS_REP && apptag != KRB_TGS_REP &&
	    apptag != KRB_ERROR)
		return 0;
	app = ber_elem(r, &apptag);
	if (!rd_ok(r))
		goto bad;
	seq = ber_elem(&app, &tag);
	if (!rd_ok(&app) || tag != ASN1_SEQ) {
		r->err = RD_INVALID;
		goto bad;
	}
	switch (apptag) {
	case KRB_AS_REQ:
	case KRB_TGS_REQ:
		body = ber_field(seq, CTX(4));
		body = ber_elem(&body, &tag);
		if (!rd_ok(&body) || tag != ASN1_SEQ) {
			r->err = body.err != RD_OK ? body.err : RD_INVALID;
			goto bad;
		}
		facts += krb_spn_fact(body, s, st, r);
		break;
	case KRB_AS_REP:
	case KRB_TGS_REP:
		tkt = ber_field(seq, CTX(5));
		tkt = ber_elem(&tkt, &tag);	/* [APPLICATION 1] */
		if (!rd_ok(&tkt) || tag != KRB_TICKET) {
			r->err = RD_INVALID;
			goto bad;
		}
		t = ber_elem(&tkt, &tag);
		if (!rd_ok(&tkt) || tag != ASN1_SEQ) {
			r->err = RD_INVALID;
			goto bad;
		}
		facts += krb_realm_fact(t, CTX(1), pkt, s, st, r);
		break;
	case KRB_ERROR:
		code = ber_field(seq, CTX(6));
		code = ber_elem(&code, &tag);
		if (!rd_ok(&code) || tag != ASN1_INT || rd_left(&code) > 4) {
			r->err = RD_INVALID;
			goto bad;
		}
		for (ec = 0; rd_left(&code) > 0;)
			ec = ec << 8 | rd_u8(&code);
		if (ec == KDC_ERR_WRONG_REALM)
			break;
		facts += krb_realm_fact(seq, CTX(9), pkt, s, st, r);
		break;
	}
	if (!rd_ok(r))
		goto bad;
	st->messages[NAME_SRC_KERBEROS]++;
	return facts;
bad:
	names_count_error(st, NAME_SRC_KERBEROS, r);
	return facts > 0 ? facts : -1;
}

int
names_kerberos(const uint8_t *p, size_t len, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	struct rd r;
	uint32_t mark;

	rd_init(&r, p, len);
	if (pkt != NULL && pkt->tcp) {
		/*
		 * The record mark.  A segment that starts a record holds at
		 * most the record; a continuation segment read as a mark
		 * gives a length that is too short or absurd (the largest
		 * Windows ticket requests are tens of KiB): not a start.
		 */
		mark = rd_be32(&r);
		if (!rd_ok(&r) || mark > KRB_TCP_MAX || mark < rd_left(&r))
			return 0;
	}
	return krb_message(&r, pkt, s, st);
}
