/*
 * test_flow.c - the flow table: orientation, accounting, TCP state,
 * timeout lists, eviction and the end-of-flow contract.  Includes the
 * source to check the table's internal links as well.
 */
#include "../src/flow.c"

#include "tap.h"

#define SEC 1000000ULL

/* What the callbacks saw. */
struct seen {
	unsigned	 ends[4];	/* per enum flow_end */
	unsigned	 total;
	uint16_t	 order[64];	/* client ports, in end order */
	unsigned	 norder;
	uint16_t	 service_port;	/* is_service says yes to this port */
	unsigned	*per_flow;	/* end calls per flow, by first_us */
	size_t		 nper_flow;
	uint64_t	 per_unit;	/* first_us step between flows */
	int		 bad_end;	/* an end saw a flow not in use */
};

static int
is_service(void *arg, uint8_t proto, const struct addr *ip, uint16_t port)
{
	struct seen *s = arg;

	(void)proto;
	(void)ip;
	return s->service_port != 0 && port == s->service_port;
}

static void
on_end(void *arg, struct flow *f, enum flow_end why)
{
	struct seen *s = arg;

	if (!f->in_use)
		s->bad_end++;
	s->ends[why]++;
	s->total++;
	if (s->norder < 64)
		s->order[s->norder++] = f->client_port;
	if (s->per_flow != NULL && f->first_us / s->per_unit < s->nper_flow)
		s->per_flow[f->first_us / s->per_unit]++;
}

static void
ip4(struct addr *a, uint8_t last)
{
	uint8_t v4[4] = { 10, 0, 0, last };

	addr_from_v4(a, v4);
}

static struct packet
mk(uint8_t proto, uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport,
    uint8_t flags, uint64_t ts)
{
	struct packet p;

	memset(&p, 0, sizeof(p));
	p.proto = proto;
	ip4(&p.src, src);
	ip4(&p.dst, dst);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.ts_us = ts;
	p.wire_len = 60;
	p.ip_version = 4;
	return p;
}

static struct flow_table *
table(uint32_t capacity, struct seen *s)
{
	struct flow_table_config cfg = {
		.capacity = capacity,
		.tcp_idle_s = 300,
		.tcp_closed_s = 10,
		.udp_idle_s = 60,
		.other_idle_s = 30,
	};

	memset(s, 0, sizeof(*s));
	return flow_table_create(&cfg, is_service, on_end, s);
}

/*
 * Every live flow is on exactly one timeout list, with consistent links,
 * and in its hash chain; every other slot is on the free list.
 */
static bool
table_consistent(const struct flow_table *t)
{
	const struct flow *f;
	uint32_t idx, prev, n = 0, nfree = 0, j;
	int i;

	for (i = 0; i < LIST__COUNT; i++) {
		prev = FLOW_NIL;
		for (idx = t->lists[i].head; idx != FLOW_NIL; idx = f->lnext) {
			f = &t->slots[idx];
			if (!f->in_use || f->list != i || f->lprev != prev ||
			    ++n > t->capacity)
				return false;
			for (j = t->buckets[f->hash & t->mask];
			    j != FLOW_NIL && j != idx; j = t->slots[j].hnext)
				continue;
			if (j != idx)
				return false;
			prev = idx;
		}
		if (t->lists[i].tail != prev)
			return false;
	}
	for (idx = t->free_head; idx != FLOW_NIL; idx = t->slots[idx].hnext)
		if (idx >= t->hiwater || t->slots[idx].in_use ||
		    ++nfree > t->capacity)
			return false;
	/* Slots past the high-water mark were never handed out. */
	return n == t->st.active && n + nfree == t->hiwater &&
	    t->hiwater <= t->capacity;
}

static void
test_names(void)
{
	is_str(flow_method_name(METHOD_NONE), "none", "method name none");
	is_str(flow_method_name(METHOD_PORT), "port", "method name port");
	is_str(flow_method_name(METHOD_BIND), "bind", "method name bind");
	is_str(flow_method_name(METHOD_EPM), "epm", "method name epm");
	is_str(flow_class_name(FLOW_CLASSIFIED), "classified", "class name");
	is_str(flow_class_name(FLOW_UNDOCUMENTED), "undocumented",
	    "class name undocumented");
	is_str(flow_class_name(FLOW_UNMONITORED), "unmonitored",
	    "class name unmonitored");
	is_int(flow_table_slot_size(), sizeof(struct flow), "slot size");
}

static void
test_orientation(void)
{
	struct seen s;
	struct flow_table *t = table(16, &s);
	struct packet p;
	struct flow *f;
	struct addr a1, a2;
	bool created;
	int dir;

	ip4(&a1, 1);
	ip4(&a2, 2);

	/* SYN: the sender is the client, even from a low port. */
	p = mk(TRANSPORT_TCP, 1, 80, 2, 50000, TCP_SYN, 1 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(created && dir == FLOW_C2S, "SYN creates a flow, client to server");
	ok(addr_eq(&f->client, &a1) && f->client_port == 80 &&
	    addr_eq(&f->server, &a2) && f->server_port == 50000,
	    "SYN sender is the client whatever the ports");
	ok(f->service == -1 && f->port_row == -1 && f->iface == -1 &&
	    f->method == METHOD_NONE && f->cls == FLOW_CLASSIFIED &&
	    f->an_active == 0 && f->an_probe == 0 && f->evidence == NULL,
	    "new flow starts unclassified");

	/* SYN+ACK first (capture started after the SYN): sender serves. */
	p = mk(TRANSPORT_TCP, 2, 60000, 1, 40000, TCP_SYN | TCP_ACK, 1 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(created && dir == FLOW_S2C, "SYN+ACK pickup: packet is S2C");
	ok(addr_eq(&f->server, &a2) && f->server_port == 60000 &&
	    f->client_port == 40000, "SYN+ACK sender is the server");
	ok(f->tcp == FLOW_TCP_SYNACK && f->server_replied,
	    "SYN+ACK pickup records SYNACK and a server reply");

	/* Mid-stream, no service known: the lower port serves. */
	p = mk(TRANSPORT_TCP, 1, 445, 2, 51000, TCP_ACK, 1 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(dir == FLOW_S2C && f->server_port == 445 &&
	    addr_eq(&f->server, &a1), "lower port is the server's");

	/* A group destination serves, whatever the ports (DHCPv6 Solicit). */
	{
		struct addr group;

		p = mk(TRANSPORT_UDP, 1, 546, 2, 547, 0, 1 * SEC);
		addr_parse(&p.dst, "ff02::1:2");
		addr_parse(&p.src, "fe80::1");
		group = p.dst;
		f = flow_table_packet(t, &p, &dir, &created);
		ok(dir == FLOW_C2S && f->server_port == 547 &&
		    addr_eq(&f->server, &group),
		    "multicast destination serves though its port is higher");
		p = mk(TRANSPORT_UDP, 1, 1900, 2, 1901, 0, 1 * SEC);
		addr_parse(&p.dst, "255.255.255.255");
		f = flow_table_packet(t, &p, &dir, &created);
		ok(dir == FLOW_C2S && f->server_port == 1901,
		    "broadcast destination serves though its port is higher");
	}

	/* Equal ports: the destination serves. */
	p = mk(TRANSPORT_UDP, 1, 137, 2, 137, 0, 1 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(dir == FLOW_C2S && addr_eq(&f->server, &a2),
	    "equal ports: destination is the server");

	/* The service hint beats the port order, on either side. */
	s.service_port = 49667;
	p = mk(TRANSPORT_TCP, 1, 1025, 2, 49667, TCP_ACK, 1 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(dir == FLOW_C2S && f->server_port == 49667 &&
	    addr_eq(&f->server, &a2),
	    "service hint on destination: destination serves");
	p = mk(TRANSPORT_UDP, 2, 49667, 1, 1026, 0, 1 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(dir == FLOW_S2C && f->server_port == 49667 &&
	    addr_eq(&f->server, &a2),
	    "service hint on source: source serves");
	s.service_port = 0;

	/* No ports: the destination of the first packet serves. */
	p = mk(TRANSPORT_ICMP, 2, 0, 1, 0, 0, 1 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(created && dir == FLOW_C2S && addr_eq(&f->server, &a1),
	    "ICMP: first packet's destination is the server");
	p = mk(TRANSPORT_ICMP, 1, 0, 2, 0, 0, 2 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(!created && dir == FLOW_S2C, "ICMP reply finds the same flow");
	flow_table_destroy(t);
}

static void
test_accounting(void)
{
	struct seen s;
	struct flow_table *t = table(16, &s);
	struct flow_table_stats st;
	struct packet p;
	struct flow *f, *g;
	bool created;
	int dir;

	p = mk(TRANSPORT_TCP, 1, 50000, 2, 135, TCP_SYN, 10 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_TCP, 2, 135, 1, 50000, TCP_SYN | TCP_ACK, 11 * SEC);
	p.wire_len = 100;
	g = flow_table_packet(t, &p, &dir, &created);
	ok(g == f && !created && dir == FLOW_S2C,
	    "reverse direction hits the same flow");
	ok(!(f->tcp & FLOW_TCP_ESTABLISHED), "not established before ACK");
	p = mk(TRANSPORT_TCP, 1, 50000, 2, 135, TCP_ACK, 12 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	ok(f->tcp == (FLOW_TCP_SYN | FLOW_TCP_SYNACK | FLOW_TCP_ESTABLISHED),
	    "SYN, SYN+ACK, ACK: established");
	p = mk(TRANSPORT_TCP, 1, 50000, 2, 135, TCP_ACK | TCP_PSH, 13 * SEC);
	p.payload_len = p.payload_wire_len = 72;
	p.wire_len = 126;
	flow_table_packet(t, &p, &dir, &created);
	is_int(f->pkts[FLOW_C2S], 3, "client packets counted");
	is_int(f->pkts[FLOW_S2C], 1, "server packets counted");
	is_int(f->bytes[FLOW_C2S], 60 + 60 + 126, "client wire bytes counted");
	is_int(f->bytes[FLOW_S2C], 100, "server wire bytes counted");
	is_int(f->payload_pkts, 1, "payload packets counted");
	is_int(f->first_us, 10 * SEC, "first_us is the first packet's time");
	is_int(f->last_us, 13 * SEC, "last_us is the latest packet's time");
	ok(f->server_replied, "server reply noted");

	/* The same 5-tuple on another VLAN is another flow. */
	p = mk(TRANSPORT_TCP, 1, 50000, 2, 135, TCP_ACK, 14 * SEC);
	p.vlan = 20;
	g = flow_table_packet(t, &p, &dir, &created);
	ok(created && g != f, "VLAN separates flows");
	/* Another transport too. */
	p = mk(TRANSPORT_UDP, 1, 50000, 2, 135, 0, 14 * SEC);
	g = flow_table_packet(t, &p, &dir, &created);
	ok(created && g != f && !g->server_replied,
	    "UDP with the same ports is another flow");

	/* Mid-stream pickup: established once both sides sent payload. */
	p = mk(TRANSPORT_TCP, 3, 50001, 4, 445, TCP_ACK, 15 * SEC);
	p.payload_len = p.payload_wire_len = 10;
	f = flow_table_packet(t, &p, &dir, &created);
	ok(!(f->tcp & FLOW_TCP_ESTABLISHED), "one side's data: not established");
	p = mk(TRANSPORT_TCP, 4, 445, 3, 50001, TCP_ACK, 15 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	ok(!(f->tcp & FLOW_TCP_ESTABLISHED), "bare ACK back: not established");
	/* Cut by a short snaplen: the payload was there all the same. */
	p.payload_len = 0;
	p.payload_wire_len = 10;
	p.truncated = true;
	flow_table_packet(t, &p, &dir, &created);
	ok(f->tcp & FLOW_TCP_ESTABLISHED,
	    "mid-stream: data both ways is established, a cut payload too");

	flow_table_get_stats(t, &st);
	is_int(st.created, 4, "stats: created");
	is_int(st.active, 4, "stats: active");
	is_int(st.peak, 4, "stats: peak");
	ok(table_consistent(t), "lists, chains and free list consistent");
	flow_table_destroy(t);
	is_int(s.ends[FLOW_END_SHUTDOWN], 4, "destroy ends every flow");
	ok(s.bad_end == 0, "on_end sees live flows only");
}

static void
test_close(void)
{
	struct seen s;
	struct flow_table *t = table(16, &s);
	struct flow_table_stats st;
	struct packet p;
	struct flow *f, *g;
	bool created;
	int dir;

	p = mk(TRANSPORT_TCP, 1, 50000, 2, 88, TCP_SYN, 100 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_TCP, 1, 50000, 2, 88, TCP_FIN | TCP_ACK, 101 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	ok(f->tcp & FLOW_TCP_FIN_C, "client FIN noted");
	flow_table_expire(t, 112 * SEC);
	is_int(s.total, 0, "one FIN: still on the TCP idle list");
	p = mk(TRANSPORT_TCP, 2, 88, 1, 50000, TCP_FIN | TCP_ACK, 102 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	ok((f->tcp & (FLOW_TCP_FIN_C | FLOW_TCP_FIN_S)) ==
	    (FLOW_TCP_FIN_C | FLOW_TCP_FIN_S), "both FINs noted");
	flow_table_expire(t, 111 * SEC);
	is_int(s.total, 0, "closed flow lingers for tcp_closed_s");
	flow_table_expire(t, 112 * SEC);
	is_int(s.ends[FLOW_END_CLOSED], 1, "FIN both ways: ends after linger");

	/* RST closes at once (the linger starts). */
	p = mk(TRANSPORT_TCP, 1, 50001, 2, 88, TCP_SYN, 200 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_TCP, 2, 88, 1, 50001, TCP_RST | TCP_ACK, 200 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	ok(f->tcp & FLOW_TCP_RST, "RST noted");
	/* A new SYN on the closed 5-tuple is a new connection. */
	p = mk(TRANSPORT_TCP, 1, 50001, 2, 88, TCP_SYN, 201 * SEC);
	g = flow_table_packet(t, &p, &dir, &created);
	ok(created && g->tcp == FLOW_TCP_SYN && g->first_us == 201 * SEC,
	    "SYN after RST starts a new flow");
	is_int(s.ends[FLOW_END_CLOSED], 2, "the reset flow ended as closed");
	flow_table_get_stats(t, &st);
	is_int(st.ended_closed, 2, "stats: ended_closed");
	is_int(st.active, 1, "stats: one flow left");
	ok(table_consistent(t), "close: table consistent after reuse");
	flow_table_destroy(t);
}

static void
test_idle(void)
{
	struct seen s;
	struct flow_table *t = table(16, &s);
	struct flow_table_stats st;
	struct packet p;
	bool created;
	int dir;

	p = mk(TRANSPORT_TCP, 1, 50000, 2, 445, TCP_SYN, 1000 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 1, 50000, 2, 53, 0, 1000 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_ICMP, 1, 0, 2, 0, 0, 1000 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_GRE, 1, 0, 2, 0, 0, 1010 * SEC);
	flow_table_packet(t, &p, &dir, &created);

	/* Time stepping back (a capture file) must not look like idleness. */
	flow_table_expire(t, 10 * SEC);
	is_int(s.total, 0, "time going backwards expires nothing");
	flow_table_expire(t, 1029 * SEC);
	is_int(s.total, 0, "nothing idle before other_idle_s");
	flow_table_expire(t, 1030 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 1, "ICMP ends at other_idle_s");
	flow_table_expire(t, 1039 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 1, "GRE lives until other_idle_s");
	flow_table_expire(t, 1040 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 2, "GRE ends at other_idle_s");
	flow_table_expire(t, 1059 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 2, "UDP lives until udp_idle_s");
	flow_table_expire(t, 1060 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 3, "UDP ends at udp_idle_s");
	flow_table_expire(t, 1299 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 3, "TCP lives until tcp_idle_s");
	flow_table_expire(t, 1300 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 4, "TCP ends at tcp_idle_s");
	flow_table_get_stats(t, &st);
	is_int(st.ended_idle, 4, "stats: ended_idle");
	is_int(st.active, 0, "stats: none active");

	/* A packet refreshes its flow: only the untouched one goes. */
	p = mk(TRANSPORT_UDP, 1, 40000, 2, 53, 0, 2000 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 1, 40001, 2, 53, 0, 2000 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 2, 53, 1, 40000, 0, 2050 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	/* An out-of-order older packet must not pull last_us back. */
	p = mk(TRANSPORT_UDP, 1, 40000, 2, 53, 0, 2040 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	flow_table_expire(t, 2100 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 5, "untouched UDP flow idles out");
	is_int(s.order[s.norder - 1], 40001, "the refreshed flow stays");
	flow_table_expire(t, 2110 * SEC);
	is_int(s.ends[FLOW_END_IDLE], 6, "refreshed flow idles from its last");
	flow_table_destroy(t);
}

static void
test_evict(void)
{
	struct seen s;
	struct flow_table *t = table(3, &s);
	struct flow_table_stats st;
	struct packet p;
	struct flow *f;
	bool created;
	int dir;

	/* TCP 1 (t=1), UDP 2 (t=2), TCP 3 (t=3); then TCP 1 again (t=4). */
	p = mk(TRANSPORT_TCP, 1, 1001, 2, 80, TCP_SYN, 1 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 1, 1002, 2, 53, 0, 2 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_TCP, 1, 1003, 2, 80, TCP_SYN, 3 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_TCP, 1, 1001, 2, 80, TCP_ACK, 4 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	/* Full: the UDP flow is the least recently used of all lists. */
	p = mk(TRANSPORT_TCP, 1, 1004, 2, 80, TCP_SYN, 5 * SEC);
	f = flow_table_packet(t, &p, &dir, &created);
	ok(created && f->client_port == 1004, "full table still creates");
	is_int(s.ends[FLOW_END_EVICTED], 1, "one flow evicted");
	is_int(s.order[0], 1002, "LRU across lists is the victim");
	p = mk(TRANSPORT_UDP, 1, 1005, 2, 53, 0, 6 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	is_int(s.order[1], 1003, "next victim is the next least recent");
	flow_table_get_stats(t, &st);
	is_int(st.evicted, 2, "stats: evicted");
	is_int(st.active, 3, "stats: active at capacity");
	is_int(st.peak, 3, "stats: peak is the capacity");
	ok(table_consistent(t), "evict: table consistent when full");

	/* end_all: first_us order (1001 at 1 s, 1004 at 5 s, 1005 at 6 s). */
	s.norder = 0;
	flow_table_end_all(t);
	ok(s.norder == 3 && s.order[0] == 1001 && s.order[1] == 1004 &&
	    s.order[2] == 1005, "end_all goes by first packet time");
	is_int(s.ends[FLOW_END_SHUTDOWN], 3, "end_all: shutdown reason");
	flow_table_get_stats(t, &st);
	is_int(st.ended_shutdown, 3, "stats: ended_shutdown");
	is_int(st.active, 0, "stats: empty after end_all");
	flow_table_destroy(t);
	is_int(s.ends[FLOW_END_SHUTDOWN], 3, "destroy after end_all ends no more");

	/* The newest flow reuses slot 0: shutdown order is not slot order. */
	t = table(3, &s);
	p = mk(TRANSPORT_UDP, 1, 2001, 2, 53, 0, 1 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 1, 2002, 2, 53, 0, 2 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 1, 2003, 2, 53, 0, 3 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 1, 2004, 2, 53, 0, 4 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	flow_table_destroy(t);
	ok(s.norder == 4 && s.order[0] == 2001 && s.order[1] == 2002 &&
	    s.order[2] == 2003 && s.order[3] == 2004,
	    "evicted first, then shutdown by first packet time, not slot");
}

static void
test_capacity_one(void)
{
	struct seen s;
	struct flow_table *t = table(1, &s);
	struct packet p;
	struct flow *f;
	bool created;
	int dir, i;

	for (i = 0; i < 5; i++) {
		p = mk(TRANSPORT_UDP, 1, (uint16_t)(2000 + i), 2, 53, 0,
		    (uint64_t)i * SEC);
		f = flow_table_packet(t, &p, &dir, &created);
		p = mk(TRANSPORT_UDP, 2, 53, 1, (uint16_t)(2000 + i), 0,
		    (uint64_t)i * SEC);
		flow_table_packet(t, &p, &dir, &created);
	}
	ok(f->client_port == 2004 && f->pkts[FLOW_C2S] == 1 &&
	    f->pkts[FLOW_S2C] == 1, "capacity 1: the last flow is whole");
	is_int(s.ends[FLOW_END_EVICTED], 4, "capacity 1: each new flow evicts");
	flow_table_destroy(t);
	is_int(s.total, 5, "capacity 1: every flow ended once");

	ok(table(0, &s) == NULL, "capacity 0 is refused");
}

/* xorshift: a fixed sequence, so the test is the same every run. */
static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * A million packets over 100k flows through 10k slots, 10 ms apart: the
 * table turns over in about 110 s, so UDP flows (60 s) also idle out.
 * Both directions mixed, some connections reset.
 */
static void
test_churn(void)
{
	enum { NFLOWS = 100000, NPKTS = 1000000 };
	static struct flow *last[NFLOWS];
	static const uint8_t server[4] = { 10, 0, 0, 1 };
	struct seen s;
	struct flow_table *t = table(10000, &s);
	struct flow_table_stats st;
	struct packet p;
	struct flow *f;
	unsigned *per, twice = 0, i;
	uint32_t x = 2463534242u, k;
	uint64_t ncreated = 0;
	uint8_t client[4];
	bool created, rev;
	int dir, wrong_dir = 0, wrong_flow = 0, broken = 0;

	/* A flow's first_us is its creating packet's time: unique per flow. */
	per = calloc(NPKTS, sizeof(*per));
	s.per_flow = per;
	s.nper_flow = NPKTS;
	s.per_unit = 10000;
	for (i = 0; i < NPKTS; i++) {
		k = rnd(&x) % NFLOWS;
		rev = rnd(&x) & 1;
		/* Flow k: 10.(k>>16).(k>>8).k:(1024+k%64000) <-> 10.0.0.1:445. */
		client[0] = 10;
		client[1] = (uint8_t)(k >> 16);
		client[2] = (uint8_t)(k >> 8);
		client[3] = (uint8_t)k;
		memset(&p, 0, sizeof(p));
		p.proto = k % 3 == 0 ? TRANSPORT_UDP : TRANSPORT_TCP;
		p.ip_version = 4;
		p.wire_len = 100;
		p.ts_us = (uint64_t)i * 10000;
		p.tcp_flags = i % 97 == 0 ? TCP_RST : TCP_ACK;
		p.payload_len = p.payload_wire_len = i % 2;
		addr_from_v4(rev ? &p.dst : &p.src, client);
		addr_from_v4(rev ? &p.src : &p.dst, server);
		p.sport = rev ? 445 : (uint16_t)(1024 + k % 64000);
		p.dport = rev ? (uint16_t)(1024 + k % 64000) : 445;
		f = flow_table_packet(t, &p, &dir, &created);
		if (dir != (rev ? FLOW_S2C : FLOW_C2S))
			wrong_dir++;
		if (f->client_port != 1024 + k % 64000 ||
		    (!created && last[k] != f))
			wrong_flow++;
		ncreated += created;
		last[k] = f;
		if (i % 1000 == 0)
			flow_table_expire(t, p.ts_us);
		if (i % 50000 == 0 && !table_consistent(t))
			broken++;
	}
	flow_table_get_stats(t, &st);
	ok(broken == 0 && table_consistent(t),
	    "churn: lists, chains and free list stay consistent");
	ok(wrong_dir == 0, "churn: every packet's direction is right");
	ok(wrong_flow == 0, "churn: every packet found its own flow");
	ok(st.active <= 10000 && st.peak == 10000, "churn: bounded by capacity");
	ok(st.evicted > 0 && st.ended_idle > 0 && st.ended_closed > 0,
	    "churn: evictions, idle and closed ends all happened");
	is_int(st.created, st.active + st.ended_closed + st.ended_idle +
	    st.evicted, "churn: created = active + ended + evicted");
	is_int(ncreated, st.created, "churn: creations seen by the caller");
	flow_table_destroy(t);
	for (i = 0; i < NPKTS; i++)
		if (per[i] > 1)
			twice++;
	is_int(s.total, st.created, "churn: on_end once per created flow");
	is_int(twice, 0, "churn: no flow ended twice");
	ok(s.bad_end == 0, "churn: on_end saw live flows only");
	printf("# churn: created %llu evicted %llu idle %llu closed %llu\n",
	    (unsigned long long)st.created, (unsigned long long)st.evicted,
	    (unsigned long long)st.ended_idle,
	    (unsigned long long)st.ended_closed);
	free(per);
}

/* What a touched walk visited, in visit order (room for every slot). */
struct visits {
	struct flow	**f;
	unsigned	  n;
};

static void
visit(void *arg, struct flow *f)
{
	struct visits *v = arg;

	v->f[v->n++] = f;
}

static void
walk(struct flow_table *t, struct visits *v)
{
	static struct flow *buf[16];

	v->f = buf;
	v->n = 0;
	flow_table_foreach_touched(t, visit, v);
}

static void
test_touched(void)
{
	struct seen s;
	struct flow_table *t = table(16, &s);
	struct visits v;
	struct packet p;
	struct flow *a, *b, *c, *d;
	bool created;
	int dir;

	p = mk(TRANSPORT_TCP, 1, 50000, 2, 445, TCP_SYN, 1 * SEC);
	a = flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_UDP, 1, 50001, 2, 53, 0, 2 * SEC);
	b = flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_TCP, 1, 50002, 2, 445, TCP_SYN, 3 * SEC);
	c = flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_ICMP, 1, 0, 2, 0, 0, 4 * SEC);
	d = flow_table_packet(t, &p, &dir, &created);
	walk(t, &v);
	ok(v.n == 4 && v.f[0] == a && v.f[1] == b && v.f[2] == c &&
	    v.f[3] == d, "touched: new flows of every list, in slot order");
	walk(t, &v);
	is_int(v.n, 0, "touched: a second walk finds nothing new");

	/* Most recent first on the list; slot order in the walk. */
	p = mk(TRANSPORT_TCP, 2, 445, 1, 50000, TCP_ACK, 5 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	p = mk(TRANSPORT_TCP, 1, 50002, 2, 445, TCP_ACK, 6 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	walk(t, &v);
	ok(v.n == 2 && v.f[0] == a && v.f[1] == c,
	    "touched: two TCP flows, in slot order not recency order");

	/* A flow that moves to the closed list is still found. */
	p = mk(TRANSPORT_TCP, 1, 50000, 2, 445, TCP_RST, 7 * SEC);
	flow_table_packet(t, &p, &dir, &created);
	walk(t, &v);
	ok(v.n == 1 && v.f[0] == a && a->list == LIST_TCP_CLOSED,
	    "touched: a flow that changed list");

	/* A flow that ended is not visited; its reused slot is. */
	flow_table_expire(t, 200 * SEC);
	p = mk(TRANSPORT_UDP, 3, 50003, 2, 53, 0, 201 * SEC);
	b = flow_table_packet(t, &p, &dir, &created);
	walk(t, &v);
	ok(v.n == 1 && v.f[0] == b && b->first_us == 201 * SEC,
	    "touched: ended flows gone, the new one in a reused slot found");
	ok(table_consistent(t), "touched: table consistent");
	flow_table_destroy(t);
}

/*
 * Against a full scan, under churn (eviction, expiry, closed lists): a
 * walk visits exactly the live flows whose packet count moved since the
 * previous walk, or that are new, in slot order.
 */
static void
test_touched_churn(void)
{
	enum { CAP = 512, NPKTS = 200000, NFLOWS = 2000 };
	static uint64_t prev_first[CAP], prev_pkts[CAP];
	static struct flow *want[CAP], *got[CAP];
	struct visits v = { got, 0 };
	struct seen s;
	struct flow_table *t = table(CAP, &s);
	struct flow *f;
	struct packet p;
	uint32_t x = 88172645u, k, i, slot;
	unsigned nwant, walks = 0, bad = 0, visited = 0;
	uint8_t client[4], server[4] = { 10, 0, 0, 1 };
	bool created;
	int dir;

	for (i = 0; i < NPKTS; i++) {
		k = rnd(&x) % NFLOWS;
		client[0] = 10;
		client[1] = 1;
		client[2] = (uint8_t)(k >> 8);
		client[3] = (uint8_t)k;
		memset(&p, 0, sizeof(p));
		p.proto = k % 4 == 0 ? TRANSPORT_UDP : TRANSPORT_TCP;
		p.ip_version = 4;
		p.wire_len = 80;
		/* Unique per packet, so first_us names a flow. */
		p.ts_us = (uint64_t)i * 20000;
		p.tcp_flags = i % 53 == 0 ? TCP_RST : TCP_ACK;
		addr_from_v4(&p.src, client);
		addr_from_v4(&p.dst, server);
		p.sport = (uint16_t)(2000 + k);
		p.dport = 445;
		flow_table_packet(t, &p, &dir, &created);
		if (i % 997 == 0)
			flow_table_expire(t, p.ts_us);
		if (i % 101 != 0)
			continue;

		nwant = 0;
		for (slot = 0; slot < t->hiwater; slot++) {
			f = &t->slots[slot];
			if (f->in_use && (prev_first[slot] != f->first_us ||
			    prev_pkts[slot] != f->pkts[0] + f->pkts[1]))
				want[nwant++] = f;
		}
		v.n = 0;
		flow_table_foreach_touched(t, visit, &v);
		walks++;
		visited += v.n;
		if (v.n != nwant ||
		    memcmp(want, got, nwant * sizeof(*got)) != 0)
			bad++;
		for (slot = 0; slot < t->hiwater; slot++) {
			f = &t->slots[slot];
			prev_first[slot] = f->in_use ? f->first_us : 0;
			prev_pkts[slot] = f->pkts[0] + f->pkts[1];
		}
	}
	is_int(bad, 0, "touched churn: each of %u walks visits exactly the "
	    "flows with new packets, in slot order", walks);
	ok(s.ends[FLOW_END_EVICTED] > 0 && s.ends[FLOW_END_CLOSED] > 0,
	    "touched churn: evictions and closed-list expiry happened");
	printf("# touched churn: %u walks, %u visits\n", walks, visited);
	flow_table_destroy(t);
}

int
main(void)
{
	test_names();
	test_orientation();
	test_accounting();
	test_close();
	test_idle();
	test_evict();
	test_capacity_one();
	test_churn();
	test_touched();
	test_touched_churn();
	return tap_done();
}
