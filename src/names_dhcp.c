/* \summary: host names from DHCPv4 (option 12 host name, option 81 FQDN) */
/*
 * specification: RFC 2131 (2 message format, 3.1 states), RFC 2132
 * (3.14 option 12, 9.1 option 50, 9.6 option 53), RFC 4702 (option 81:
 * flags, rcode1, rcode2, name; the E flag 0x04 means DNS wire encoding).
 *
 *   op(1) htype(1) hlen(1) hops(1) xid(4) secs(2) flags(2)
 *   ciaddr(4) yiaddr(4) siaddr(4) giaddr(4) chaddr(16) sname(64) file(128)
 *   magic 99.130.83.99, options: code(1) len(1) data; 0 pad, 255 end.
 *
 * A name is bound to the address the client has or is granted: the
 * server's ACK (yiaddr), the client's REQUEST (requested address, option
 * 50, or ciaddr when renewing) and INFORM (ciaddr).  A DISCOVER has no
 * address yet and yields nothing.  Option 81 and option 12 are both
 * reported when both are there and differ (the table keeps each; the
 * display order does not tell them apart).
 */
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/names.h"
#include "svcmap/rd.h"
#include "names_int.h"

#define DHCP_MAGIC	0x63825363U
#define DHCPREQUEST	3
#define DHCPACK		5
#define DHCPINFORM	8

/* Option 81's name: ASCII, or DNS labels without compression. */
static int
fqdn_name(const uint8_t *d, size_t n, char out[NAMES_NAME_MAX + 1])
{
	struct rd r;
	size_t olen = 0;
	const uint8_t *lab;
	uint8_t flags, len;
	int why;

	out[0] = '\0';
	if (n < 3)
		return NAME_REJ_EMPTY;
	flags = d[0];
	if (!(flags & 0x04))
		return names_text_check(d + 3, n - 3, out);
	rd_init(&r, d + 3, n - 3);
	while ((len = rd_u8(&r)) != 0 && rd_ok(&r)) {
		if (len > 63)
			return NAME_REJ_TOO_LONG;
		if ((lab = rd_ptr(&r, len)) == NULL)
			break;
		if ((why = names_label_append(lab, len, out, &olen)) !=
		    NAMES_OK) {
			out[0] = '\0';
			return why;
		}
	}
	/* A partial name (no final 0) is allowed by RFC 4702 3.1. */
	return olen > 0 ? NAMES_OK : NAME_REJ_EMPTY;
}

int
names_dhcp(const uint8_t *p, size_t len, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	struct rd r, o;
	struct name_fact f;
	const uint8_t *ciaddr, *yiaddr, *chaddr, *d, *host = NULL,
	    *fqdn = NULL, *req = NULL, *ip;
	uint8_t op, htype, hlen, code, olen, type = 0, hostlen = 0,
	    fqdnlen = 0;
	char name[NAMES_NAME_MAX + 1];
	struct addr a;
	int facts = 0, why;

	(void)pkt;
	rd_init(&r, p, len);
	op = rd_u8(&r);
	htype = rd_u8(&r);
	hlen = rd_u8(&r);
	rd_skip(&r, 1 + 4 + 2 + 2);
	ciaddr = rd_ptr(&r, 4);
	yiaddr = rd_ptr(&r, 4);
	rd_skip(&r, 8);
	chaddr = rd_ptr(&r, 16);
	rd_skip(&r, 64 + 128);
	if (rd_be32(&r) != DHCP_MAGIC && rd_ok(&r))
		return 0;		/* plain BOOTP: no options */
	if (!rd_ok(&r))
		goto bad;
	if (op != 1 && op != 2) {
		rd_invalid(&r);
		goto bad;
	}
	/* Options; sname/file overloading (option 52) is not followed. */
	o = r;
	while (rd_left(&o) > 0) {
		code = rd_u8(&o);
		if (code == 0)
			continue;
		if (code == 255)
			break;
		olen = rd_u8(&o);
		if ((d = rd_ptr(&o, olen)) == NULL)
			break;
		switch (code) {
		case 12:
			host = d;
			hostlen = olen;
			break;
		case 50:
			if (olen == 4)
				req = d;
			break;
		case 53:
			if (olen == 1)
				type = d[0];
			break;
		case 81:
			fqdn = d;
			fqdnlen = olen;
			break;
		}
	}
	if (!rd_ok(&o)) {
		r.err = o.err;
		goto bad;
	}
	st->messages[NAME_SRC_DHCP]++;
	if (type == DHCPACK && op == 2)
		ip = yiaddr;
	else if (type == DHCPREQUEST && op == 1)
		ip = req != NULL ? req : ciaddr;
	else if (type == DHCPINFORM && op == 1)
		ip = ciaddr;
	else
		return 0;
	addr_from_v4(&a, ip);
	if (addr_is_unspecified(&a) || addr_is_group(&a))
		return 0;
	names_fact_init(&f, NAME_SRC_DHCP, NAME_KIND_HOST);
	f.addr = a;
	f.has_addr = true;
	if (htype == 1 && hlen == 6) {
		f.has_mac = true;
		memcpy(f.mac, chaddr, 6);
	}
	if (fqdn != NULL) {
		if ((why = fqdn_name(fqdn, fqdnlen, name)) == NAMES_OK) {
			memcpy(f.name, name, sizeof(f.name));
			names_emit(s, st, &f);
			facts++;
		} else
			names_count_reject(st, why);
	}
	if (host != NULL) {
		/* Some clients end option 12 with a NUL: not part of the name. */
		if (hostlen > 0 && host[hostlen - 1] == '\0')
			hostlen--;
		if ((why = names_text_check(host, hostlen, name)) == NAMES_OK) {
			if (facts == 0 || strcmp(name, f.name) != 0) {
				memcpy(f.name, name, sizeof(f.name));
				names_emit(s, st, &f);
				facts++;
			}
		} else
			names_count_reject(st, why);
	}
	return facts;
bad:
	names_count_error(st, NAME_SRC_DHCP, &r);
	return -1;
}
