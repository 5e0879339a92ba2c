/*
 * addr.c - address, network and UUID helpers.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "svcmap/addr.h"

static const uint8_t v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

void
addr_from_v4(struct addr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4_mapped_prefix, 12);
	memcpy(a->b + 12, v4, 4);
}

void
addr_from_v6(struct addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

bool
addr_is_v4(const struct addr *a)
{
	return memcmp(a->b, v4_mapped_prefix, 12) == 0;
}

bool
addr_is_group(const struct addr *a)
{
	static const uint8_t all_ones[4] = { 255, 255, 255, 255 };

	if (addr_is_v4(a))
		return (a->b[12] & 0xf0) == 0xe0 ||
		    memcmp(a->b + 12, all_ones, 4) == 0;
	return a->b[0] == 0xff;
}

bool
addr_is_unspecified(const struct addr *a)
{
	static const uint8_t zero[16];

	if (addr_is_v4(a))
		return memcmp(a->b + 12, zero, 4) == 0;
	return memcmp(a->b, zero, 16) == 0;
}

int
addr_cmp(const struct addr *a, const struct addr *b)
{
	return memcmp(a->b, b->b, 16);
}

bool
addr_eq(const struct addr *a, const struct addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

/* FNV-1a over the 16 bytes: cheap, and good enough behind a seed. */
uint32_t
addr_hash(const struct addr *a, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;
	int i;

	for (i = 0; i < 16; i++) {
		h ^= a->b[i];
		h *= 16777619u;
	}
	return h;
}

/*
 * Dotted quad by hand: inet_ntop() formats IPv4 through sprintf(), and
 * the writer formats an address for every row it stores.
 */
static char *
fmt_v4(const uint8_t *b, char *buf)
{
	char *p = buf;
	int i;

	for (i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*p++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*p++ = (char)('0' + b[i] / 10 % 10);
		*p++ = (char)('0' + b[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return buf;
}

char *
addr_fmt(const struct addr *a, char buf[ADDR_STRLEN])
{
	if (addr_is_v4(a))
		return fmt_v4(a->b + 12, buf);
	inet_ntop(AF_INET6, a->b, buf, ADDR_STRLEN);
	return buf;
}

int
addr_parse(struct addr *a, const char *text)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, text, buf) == 1) {
		addr_from_v4(a, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, text, buf) == 1) {
		addr_from_v6(a, buf);
		return 0;
	}
	return -1;
}

int
cidr_parse(struct cidr *c, const char *text)
{
	char host[ADDR_STRLEN];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long plen;
	char *end;
	int i;

	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (addr_parse(&c->net, host) == -1)
		return -1;
	if (slash == NULL) {
		c->plen = 128;
		return 0;
	}
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	if (addr_is_v4(&c->net)) {
		if (plen > 32)
			return -1;
		plen += 96;
	} else if (plen > 128)
		return -1;
	c->plen = (uint8_t)plen;
	/* Clear host bits so that equal networks compare equal. */
	for (i = 0; i < 16; i++) {
		int bits = (int)c->plen - i * 8;

		if (bits >= 8)
			continue;
		c->net.b[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	return 0;
}

bool
cidr_contains(const struct cidr *c, const struct addr *a)
{
	int full = c->plen / 8, rest = c->plen % 8;

	if (memcmp(c->net.b, a->b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->net.b[full] ^ a->b[full]) & (0xff << (8 - rest))) == 0;
}

char *
cidr_fmt(const struct cidr *c, char *buf, size_t len)
{
	char host[ADDR_STRLEN];
	int plen = c->plen;

	if (addr_is_v4(&c->net))
		plen -= 96;
	snprintf(buf, len, "%s/%d", addr_fmt(&c->net, host), plen);
	return buf;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int
uuid_parse(uint8_t uuid[16], const char *text)
{
	int i, n = 0;

	for (i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return -1;
			continue;
		}
		hi = hexval((unsigned char)text[i]);
		if (hi < 0)
			return -1;
		lo = hexval((unsigned char)text[++i]);
		if (lo < 0)
			return -1;
		uuid[n++] = (uint8_t)(hi << 4 | lo);
	}
	return text[36] == '\0' ? 0 : -1;
}

char *
uuid_fmt(const uint8_t u[16], char buf[UUID_STRLEN])
{
	snprintf(buf, UUID_STRLEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
	    u[10], u[11], u[12], u[13], u[14], u[15]);
	return buf;
}

/*
 * C706 Appendix A: time_low, time_mid and time_hi_and_version are
 * integers in the sender's byte order; the clock sequence and node are
 * bytes.
 */
void
uuid_from_wire(uint8_t u[16], const uint8_t w[16], bool little)
{
	if (little) {
		u[0] = w[3]; u[1] = w[2]; u[2] = w[1]; u[3] = w[0];
		u[4] = w[5]; u[5] = w[4];
		u[6] = w[7]; u[7] = w[6];
	} else
		memcpy(u, w, 8);
	memcpy(u + 8, w + 8, 8);
}

int
addr_parse_listen(const char *text, bool any_port,
    struct sockaddr_storage *ss, int *sslen)
{
	char host[ADDR_STRLEN + 2];
	const char *colon;
	unsigned long port = 0;
	size_t hlen;
	int want;

	/*
	 * The syntax is checked here, strictly: numeric host, IPv6 in
	 * brackets, no zone, a port spelt out.  evutil_parse_sockaddr_port()
	 * then builds the address from the host part; it would also take a
	 * bare address, leading blanks and "[v4]", and refuses port 0.
	 */
	if (text[strspn(text, "0123456789abcdefABCDEF.:[]")] != '\0')
		return -1;
	if (text[0] == '[') {
		colon = strstr(text, "]:");
		want = AF_INET6;
		if (colon != NULL)
			colon++;
	} else {
		colon = strchr(text, ':');
		want = AF_INET;
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return -1;
	}
	if (colon == NULL || colon[1] == '\0')
		return -1;
	hlen = (size_t)(colon - text);
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	for (colon++; *colon != '\0'; colon++) {
		if (*colon < '0' || *colon > '9')
			return -1;
		port = port * 10 + (unsigned long)(*colon - '0');
		if (port > 65535)
			return -1;
	}
	if (port == 0 && !any_port)
		return -1;
	*sslen = (int)sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	if (evutil_parse_sockaddr_port(host, (struct sockaddr *)ss,
	    sslen) != 0 || ss->ss_family != want)
		return -1;
	if (want == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return 0;
}
