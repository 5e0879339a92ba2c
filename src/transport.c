/*
 * transport.c - names of the transports (transport.h).
 */
#include <stddef.h>
#include <string.h>

#include "svcmap/transport.h"

static const struct {
	uint8_t		 proto;
	const char	*name;
} transports[] = {
	{ TRANSPORT_TCP, "tcp" },
	{ TRANSPORT_UDP, "udp" },
	{ TRANSPORT_ICMP, "icmp" },
	{ TRANSPORT_ICMPV6, "icmpv6" },
	{ TRANSPORT_GRE, "gre" },
	{ TRANSPORT_ESP, "esp" },
	{ TRANSPORT_AH, "ah" },
	{ 0, NULL }
};

const char *
transport_name(uint8_t proto)
{
	size_t i;

	for (i = 0; transports[i].name != NULL; i++)
		if (transports[i].proto == proto)
			return transports[i].name;
	return NULL;
}

uint8_t
transport_parse(const char *name)
{
	size_t i;

	for (i = 0; transports[i].name != NULL; i++)
		if (strcmp(transports[i].name, name) == 0)
			return transports[i].proto;
	return 0;
}
