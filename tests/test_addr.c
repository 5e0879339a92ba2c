/*
 * test_addr.c - addresses, networks, UUIDs and the JSON writer.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/json.h"
#include "tap.h"

/* The hand-written dotted quad against inet_ntop() for every octet. */
static void
test_fmt_v4(void)
{
	char buf[ADDR_STRLEN], want[INET_ADDRSTRLEN];
	uint8_t q[4];
	struct addr a;
	int i, bad = 0;

	for (i = 0; i < 256; i++) {
		q[0] = (uint8_t)i;
		q[1] = (uint8_t)(255 - i);
		q[2] = (uint8_t)(i * 7);
		q[3] = (uint8_t)(i / 10);
		addr_from_v4(&a, q);
		inet_ntop(AF_INET, q, want, sizeof(want));
		if (strcmp(addr_fmt(&a, buf), want) != 0 && bad++ == 0)
			printf("# %s formatted as %s\n", want, buf);
	}
	ok(bad == 0, "IPv4 text matches inet_ntop for every octet value");
}

static void
test_addr(void)
{
	struct addr a, b;
	char buf[ADDR_STRLEN];

	ok(addr_parse(&a, "10.20.0.10") == 0, "parse IPv4");
	ok(addr_is_v4(&a), "IPv4 is mapped");
	is_str(addr_fmt(&a, buf), "10.20.0.10", "IPv4 round trip");
	ok(addr_parse(&b, "fe80::1") == 0 && !addr_is_v4(&b), "parse IPv6");
	is_str(addr_fmt(&b, buf), "fe80::1", "IPv6 round trip");
	test_fmt_v4();
	ok(addr_parse(&a, "10.20.0.256") == -1, "reject bad IPv4");
	ok(addr_parse(&a, "224.0.0.252") == 0 && addr_is_group(&a),
	    "224.0.0.252 (LLMNR) is a group address");
	ok(addr_parse(&a, "239.255.255.250") == 0 && addr_is_group(&a),
	    "239.255.255.250 (SSDP) is a group address");
	ok(addr_parse(&a, "255.255.255.255") == 0 && addr_is_group(&a),
	    "limited broadcast is a group address");
	ok(addr_parse(&a, "ff02::1:2") == 0 && addr_is_group(&a),
	    "ff02::1:2 (DHCPv6 servers) is a group address");
	ok(addr_parse(&a, "223.255.255.255") == 0 && !addr_is_group(&a),
	    "223.255.255.255 is one host");
	ok(addr_parse(&a, "240.0.0.1") == 0 && !addr_is_group(&a),
	    "240.0.0.1 is not multicast");
	ok(addr_parse(&a, "fe80::1") == 0 && !addr_is_group(&a),
	    "fe80::1 is one host");
	ok(addr_parse(&a, "::ffff:0:0") == 0 && !addr_is_group(&a),
	    "0.0.0.0 is not a group");
	ok(addr_parse(&a, "0.0.0.0") == 0 && addr_is_unspecified(&a),
	    "0.0.0.0 is unspecified");
}

static void
test_cidr(void)
{
	struct cidr c;
	struct addr a;
	char buf[64];

	ok(cidr_parse(&c, "10.0.0.0/8") == 0, "parse 10/8");
	addr_parse(&a, "10.200.3.4");
	ok(cidr_contains(&c, &a), "10.200.3.4 in 10/8");
	addr_parse(&a, "11.0.0.1");
	ok(!cidr_contains(&c, &a), "11.0.0.1 not in 10/8");
	ok(cidr_parse(&c, "172.16.5.9/12") == 0, "parse with host bits");
	is_str(cidr_fmt(&c, buf, sizeof(buf)), "172.16.0.0/12", "host bits cleared");
	addr_parse(&a, "172.31.255.255");
	ok(cidr_contains(&c, &a), "172.31.255.255 in 172.16/12");
	ok(cidr_parse(&c, "fd00::/8") == 0, "parse IPv6 network");
	addr_parse(&a, "fd12::1");
	ok(cidr_contains(&c, &a), "fd12::1 in fd00::/8");
	addr_parse(&a, "10.0.0.1");
	ok(!cidr_contains(&c, &a), "IPv4 not in an IPv6 network");
	ok(cidr_parse(&c, "10.0.0.0/33") == -1, "reject /33 for IPv4");
	ok(cidr_parse(&c, "10.0.0.0/") == -1, "reject empty prefix");
	ok(cidr_parse(&c, "10.0.0.0/8x") == -1, "reject trailing garbage");
	ok(cidr_parse(&c, "0.0.0.0/0") == 0, "parse /0");
	addr_parse(&a, "203.0.113.1");
	ok(cidr_contains(&c, &a), "/0 contains everything IPv4");
}

/* The one listen-address parser (api-listen and the API). */
static void
test_listen(void)
{
	static const char *const bad[] = {
		"", "off", "127.0.0.1", "127.0.0.1:", ":8135", "localhost:8135",
		"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
		" 127.0.0.1:80", "127.0.0.1:80 ", "::1:8135", "[::1]8135",
		"[::1]:", "[127.0.0.1]:80", "[fe80::1%eth0]:80", "1.2.3:80",
		"127.0.0.1:99999999999999999999", "[]:80", "[::1]:0x50",
	};
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	size_t i;
	int len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(addr_parse_listen(bad[i], true, &ss, &len) == -1,
		    "listen \"%s\" refused", bad[i]);
	ok(addr_parse_listen("127.0.0.1:8135", false, &ss, &len) == 0 &&
	    ss.ss_family == AF_INET && ntohs(s4->sin_port) == 8135 &&
	    ntohl(s4->sin_addr.s_addr) == 0x7f000001 &&
	    len == (int)sizeof(*s4), "IPv4:PORT");
	ok(addr_parse_listen("[::1]:65535", false, &ss, &len) == 0 &&
	    ss.ss_family == AF_INET6 && ntohs(s6->sin6_port) == 65535 &&
	    s6->sin6_addr.s6_addr[15] == 1 && len == (int)sizeof(*s6),
	    "[IPv6]:PORT");
	ok(addr_parse_listen("127.0.0.1:0", false, &ss, &len) == -1,
	    "port 0 refused where a real port is needed (api-listen)");
	ok(addr_parse_listen("127.0.0.1:0", true, &ss, &len) == 0 &&
	    s4->sin_port == 0, "port 0 taken where asked for (tests)");
}

static void
test_uuid(void)
{
	static const uint8_t wire_le[16] = {
		0x35, 0x42, 0x51, 0xe3, 0x06, 0x4b, 0xd1, 0x11,
		0xab, 0x04, 0x00, 0xc0, 0x4f, 0xc2, 0xdc, 0xd2
	};
	uint8_t u[16], v[16];
	char buf[UUID_STRLEN];

	ok(uuid_parse(u, "e3514235-4b06-11d1-ab04-00c04fc2dcd2") == 0,
	    "parse drsuapi uuid");
	uuid_from_wire(v, wire_le, true);
	ok(memcmp(u, v, 16) == 0, "little-endian wire uuid converts");
	uuid_from_wire(v, u, false);
	ok(memcmp(u, v, 16) == 0, "big-endian wire uuid is text order");
	is_str(uuid_fmt(u, buf), "e3514235-4b06-11d1-ab04-00c04fc2dcd2",
	    "uuid round trip");
	ok(uuid_parse(u, "E3514235-4B06-11D1-AB04-00C04FC2DCD2") == 0,
	    "upper case accepted");
	ok(uuid_parse(u, "e3514235-4b06-11d1-ab04-00c04fc2dcd") == -1,
	    "short uuid rejected");
	ok(uuid_parse(u, "e3514235-4b06-11d1-ab04-00c04fc2dcd2x") == -1,
	    "long uuid rejected");
	ok(uuid_parse(u, "e3514235x4b06-11d1-ab04-00c04fc2dcd2") == -1,
	    "bad separator rejected");
}

static void
test_json(void)
{
	struct json j;
	char t[32];

	json_init(&j);
	json_array_begin(&j);
	json_object_begin(&j);
	json_kv_string(&j, "s", "a\"b\\c\n\x01");
	json_kv_uint(&j, "n", 42);
	json_kv_int(&j, "neg", -1);
	json_key(&j, "list");
	json_array_begin(&j);
	json_int(&j, 1);
	json_int(&j, 2);
	json_array_end(&j);
	json_kv_string(&j, "null", NULL);
	json_object_end(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	is_str(j.buf,
	    "[{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":42,\"neg\":-1,"
	    "\"list\":[1,2],\"null\":null},{}]", "json text");
	ok(!json_failed(&j), "json not failed");
	json_free(&j);
	is_str(json_time(1705309200, t), "2024-01-15T09:00:00Z", "iso time");
}

int
main(void)
{
	test_addr();
	test_cidr();
	test_listen();
	test_uuid();
	test_json();
	return tap_done();
}
