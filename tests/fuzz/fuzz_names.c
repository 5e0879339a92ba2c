/*
 * fuzz_names.c - libFuzzer target for the name parsers and the name
 * table; linked with tests/fuzz/replay.c it replays the saved inputs.
 *
 * Input: h0, then one message.
 *   h0 & 7:  parser (0 DNS, 1 LLMNR, 2 mDNS, 3 NBNS, 4 DHCP, 5 Kerberos,
 *            6 CLDAP, 7 NTLM scan)
 *   h0 & 8:  TCP framing (DNS, Kerberos, LDAP)
 * Every fact must hold a policy-clean name (checked here: an abort is a
 * finding) and goes into a tiny table, so eviction and lookups run too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/names.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *name)
{
	size_t n = strnlen(name, NAMES_NAME_MAX + 1), i;

	if (n == 0 || n > NAMES_NAME_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    name[i] == '"' || name[i] == '\\')
			abort();
	}
}

static void
on_fact(void *arg, const struct name_fact *f)
{
	struct names_table *t = arg;

	check_name(f->name);
	if (f->source >= NAME_SRC__COUNT || f->kind >= NAME_KIND__COUNT)
		abort();
	if (f->has_addr != (f->kind != NAME_KIND_SPN))
		abort();
	(void)names_learn(t, f, 1000000);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t s4[4] = { 10, 0, 0, 1 }, d4[4] = { 10, 0, 0, 2 };
	struct names_stats st;
	struct names_sink sink;
	struct names_table *t;
	struct name_entry out[4];
	struct names_pkt pkt;
	struct addr src, dst;
	char buf[NAMES_NAME_MAX + 1];
	uint8_t h0;

	if (size < 1)
		return 0;
	h0 = data[0];
	data++;
	size--;
	if ((t = names_table_create(8, 60)) == NULL)
		return 0;
	memset(&st, 0, sizeof(st));
	addr_from_v4(&src, s4);
	addr_from_v4(&dst, d4);
	pkt.src = &src;
	pkt.dst = &dst;
	pkt.sport = 1;
	pkt.dport = 2;
	pkt.tcp = (h0 & 8) != 0;
	sink.fn = on_fact;
	sink.arg = t;
	switch (h0 & 7) {
	case 0:
		(void)names_dns(data, size, NAME_SRC_DNS, &pkt, &sink, &st);
		break;
	case 1:
		(void)names_dns(data, size, NAME_SRC_LLMNR, &pkt, &sink, &st);
		break;
	case 2:
		(void)names_dns(data, size, NAME_SRC_MDNS, &pkt, &sink, &st);
		break;
	case 3:
		(void)names_nbns(data, size, &pkt, &sink, &st);
		break;
	case 4:
		(void)names_dhcp(data, size, &pkt, &sink, &st);
		break;
	case 5:
		(void)names_kerberos(data, size, &pkt, &sink, &st);
		break;
	case 6:
		(void)names_cldap(data, size, &pkt, &sink, &st);
		break;
	case 7:
		(void)names_ntlm_scan(data, size, &pkt, &sink, &st);
		break;
	}
	(void)names_lookup(t, &src, out, 4);
	if (names_display(t, &src, buf, sizeof(buf), NULL))
		check_name(buf);
	if (names_count(t) > 8)
		abort();
	(void)names_expire(t, 120000000);
	if (names_count(t) != 0)
		abort();
	names_table_destroy(t);
	return 0;
}
