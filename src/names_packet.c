/*
 * names_packet.c - which name parser reads a decoded packet, by port.
 *
 * The engine's analyzer row will call this once per packet of a flow it
 * picked for names (or call the parsers itself, with reassembled data).
 * Only a response can name its sender, so the ports are those the
 * answering side uses; a query on the same port costs one header read.
 */
#include <stdbool.h>
#include <stdint.h>

#include "svcmap/decode.h"
#include "svcmap/names.h"
#include "svcmap/transport.h"

static bool
either(const struct packet *pkt, uint16_t port)
{
	return pkt->sport == port || pkt->dport == port;
}

/* TCP ports whose payload may carry an NTLMSSP CHALLENGE in clear. */
static bool
ntlm_port(uint16_t port)
{
	switch (port) {
	case 80:
	case 135:
	case 139:
	case 445:
	case 593:
	case 5985:
	case 8080:
		return true;
	}
	return false;
}

int
names_packet(const struct packet *pkt, unsigned flags,
    const struct names_sink *s, struct names_stats *st)
{
	struct names_pkt np;
	const uint8_t *p = pkt->payload;
	size_t n = pkt->payload_len;

	if (p == NULL || n == 0)
		return 0;
	np.src = &pkt->src;
	np.dst = &pkt->dst;
	np.sport = pkt->sport;
	np.dport = pkt->dport;
	np.tcp = pkt->proto == TRANSPORT_TCP;
	if (pkt->proto == TRANSPORT_UDP) {
		if (pkt->sport == 53)
			return names_dns(p, n, NAME_SRC_DNS, &np, s, st);
		if (either(pkt, 5353))
			return names_dns(p, n, NAME_SRC_MDNS, &np, s, st);
		if (pkt->sport == 5355)
			return names_dns(p, n, NAME_SRC_LLMNR, &np, s, st);
		if (pkt->sport == 137 || pkt->dport == 137)
			return names_nbns(p, n, &np, s, st);
		if ((pkt->sport == 67 || pkt->sport == 68) &&
		    (pkt->dport == 67 || pkt->dport == 68))
			return names_dhcp(p, n, &np, s, st);
		if (either(pkt, 88))
			return names_kerberos(p, n, &np, s, st);
		if (pkt->sport == 389)
			return names_cldap(p, n, &np, s, st);
		return 0;
	}
	if (pkt->proto != TRANSPORT_TCP)
		return 0;
	if (pkt->sport == 53)
		return names_dns(p, n, NAME_SRC_DNS, &np, s, st);
	if (either(pkt, 88))
		return names_kerberos(p, n, &np, s, st);
	if (pkt->sport == 389)
		return names_cldap(p, n, &np, s, st);
	if ((flags & NAMES_NTLM_ANY_TCP) || ntlm_port(pkt->sport))
		return names_ntlm_scan(p, n, &np, s, st);
	return 0;
}
