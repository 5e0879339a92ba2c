/* \summary: DC names from CLDAP/LDAP netlogon ping responses */
/*
 * specification: RFC 4511 (4.1.1 LDAPMessage, 4.5.2 SearchResultEntry),
 * [MS-ADTS] 6.3.1.9 NETLOGON_SAM_LOGON_RESPONSE_EX and 6.3.3 (LDAP ping:
 * a search of the rootDSE for the Netlogon attribute, over UDP 389).
 *
 *   LDAPMessage ::= SEQUENCE { messageID INTEGER,
 *     searchResEntry [APPLICATION 4] { objectName OCTET STRING,
 *       attributes SEQUENCE OF SEQUENCE { type OCTET STRING,
 *         vals SET OF OCTET STRING } }, ... }
 *   NETLOGON_SAM_LOGON_RESPONSE_EX (opcode 23, 24 or 25, little endian):
 *     Opcode(2) Sbz(2) Flags(4) DomainGuid(16)
 *     DnsForestName DnsDomainName DnsHostName NetbiosDomainName
 *     NetbiosComputerName UserName DcSiteName ClientSiteName ...
 *   each name RFC 1035-encoded, compressed against the structure's start.
 *
 * The response comes from the DC it describes: every fact is bound to the
 * sender.  UserName and ClientSiteName describe the asking client and are
 * not kept; a DnsDomainName that names an application partition
 * (DomainDnsZones., ForestDnsZones.) is not the DC's domain and is not
 * kept either.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "svcmap/addr.h"
#include "svcmap/names.h"
#include "svcmap/rd.h"
#include "names_int.h"

#define LDAP_SEARCH_RES_ENTRY	0x64	/* [APPLICATION 4], constructed */
#define ASN1_INT		0x02
#define ASN1_OCTETS		0x04
#define ASN1_SEQ		0x30
#define ASN1_SET		0x31

/* The order of the names in the structure, and what each one is. */
static const int netlogon_kinds[] = {
	NAME_KIND_FOREST,	/* DnsForestName */
	NAME_KIND_DOMAIN,	/* DnsDomainName */
	NAME_KIND_HOST,		/* DnsHostName */
	NAME_KIND_NB_DOMAIN,	/* NetbiosDomainName */
	NAME_KIND_NETBIOS,	/* NetbiosComputerName */
	-1,			/* UserName: the client's */
	NAME_KIND_SITE		/* DcSiteName */
};

static bool
partition_name(const char *name)
{
	return strncmp(name, "domaindnszones.", 15) == 0 ||
	    strncmp(name, "forestdnszones.", 15) == 0;
}

/* One Netlogon attribute value; returns facts emitted or -1. */
static int
netlogon_value(const uint8_t *v, size_t n, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st, struct rd *err)
{
	struct rd msg, r;
	struct name_fact f;
	char name[NAMES_NAME_MAX + 1];
	uint16_t opcode;
	size_t i, k;
	int facts = 0, res, why;

	rd_init(&msg, v, n);
	r = msg;
	opcode = rd_le16(&r);
	if (!rd_ok(&r)) {
		err->err = r.err;
		return -1;
	}
	/* Older (pre-EX) response formats carry Unicode strings: not read. */
	if (opcode != 23 && opcode != 24 && opcode != 25)
		return 0;
	rd_skip(&r, 2 + 4 + 16);
	for (i = 0; i < sizeof(netlogon_kinds) / sizeof(netlogon_kinds[0]);
	    i++) {
		if ((res = names_dns_name(&msg, &r, name, &why)) < 0) {
			err->err = r.err;
			return facts > 0 ? facts : -1;
		}
		if (netlogon_kinds[i] < 0)
			continue;
		if (res != 0) {
			/* An empty field (a site-less DC) is no name, not hostile. */
			if (why != NAME_REJ_EMPTY)
				names_count_reject(st, why);
			continue;
		}
		names_fact_init(&f, NAME_SRC_CLDAP, netlogon_kinds[i]);
		if (netlogon_kinds[i] == NAME_KIND_NETBIOS ||
		    netlogon_kinds[i] == NAME_KIND_NB_DOMAIN) {
			/* One label, upper case, NetBIOS rules. */
			for (k = 0; name[k] != '\0'; k++)
				if (name[k] >= 'a' && name[k] <= 'z')
					name[k] = (char)(name[k] - 'a' + 'A');
			if ((why = names_nb_check((const uint8_t *)name,
			    strlen(name), f.name)) != NAMES_OK) {
				names_count_reject(st, why);
				continue;
			}
		} else {
			if (netlogon_kinds[i] == NAME_KIND_DOMAIN &&
			    partition_name(name))
				continue;
			memcpy(f.name, name, sizeof(f.name));
		}
		f.addr = *pkt->src;
		f.has_addr = true;
		names_emit(s, st, &f);
		facts++;
	}
	return facts;
}

/* One LDAPMessage at r. */
static int
ldap_message(struct rd *r, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st, bool *seen)
{
	struct rd m, op, attrs, a, type, vals, v;
	uint8_t tag;
	int facts = 0, n;

	m = ber_elem(r, &tag);
	if (!rd_ok(r))
		return -1;
	if (tag != ASN1_SEQ) {
		rd_invalid(r);
		return -1;
	}
	(void)ber_elem(&m, &tag);		/* messageID */
	if (tag != ASN1_INT) {
		rd_invalid(r);
		return -1;
	}
	op = ber_elem(&m, &tag);
	if (!rd_ok(&m)) {
		r->err = m.err;
		return -1;
	}
	if (tag != LDAP_SEARCH_RES_ENTRY)
		return 0;
	*seen = true;
	(void)ber_elem(&op, &tag);		/* objectName */
	attrs = ber_elem(&op, &tag);
	if (!rd_ok(&op) || tag != ASN1_SEQ) {
		r->err = op.err != RD_OK ? op.err : RD_INVALID;
		return -1;
	}
	a = attrs;
	while (rd_left(&attrs) > 0) {
		a = ber_elem(&attrs, &tag);
		type = ber_elem(&a, &tag);
		if (!rd_ok(&a) || tag != ASN1_OCTETS)
			break;
		vals = ber_elem(&a, &tag);
		if (!rd_ok(&a) || tag != ASN1_SET)
			break;
		if (rd_left(&type) != 8 ||
		    strncasecmp((const char *)type.p, "netlogon", 8) != 0)
			continue;
		while (rd_left(&vals) > 0) {
			v = ber_elem(&vals, &tag);
			if (!rd_ok(&vals) || tag != ASN1_OCTETS)
				break;
			n = netlogon_value(v.p, rd_left(&v), pkt, s, st, r);
			if (n > 0)
				facts += n;
			if (!rd_ok(r))
				return facts > 0 ? facts : -1;
		}
		if (!rd_ok(&vals)) {
			r->err = vals.err;
			return facts > 0 ? facts : -1;
		}
	}
	if (!rd_ok(&attrs) || !rd_ok(&a)) {
		r->err = !rd_ok(&attrs) ? attrs.err : a.err;
		return facts > 0 ? facts : -1;
	}
	return facts;
}

int
names_cldap(const uint8_t *p, size_t len, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	struct rd r;
	bool seen = false;
	int facts = 0, n, msgs = 0;

	if (pkt == NULL || pkt->src == NULL)
		return -1;
	rd_init(&r, p, len);
	/* A datagram holds the entry and the searchResDone; TCP may hold more. */
	while (rd_left(&r) > 0 && msgs++ < 16) {
		n = ldap_message(&r, pkt, s, st, &seen);
		if (n < 0) {
			/*
			 * Over TCP a segment may start inside a message (no
			 * reassembly here): only a message we recognised
			 * counts as broken.
			 */
			if (seen || !pkt->tcp)
				names_count_error(st, NAME_SRC_CLDAP, &r);
			return facts > 0 ? facts : -1;
		}
		facts += n;
	}
	if (seen)
		st->messages[NAME_SRC_CLDAP]++;
	return facts;
}
