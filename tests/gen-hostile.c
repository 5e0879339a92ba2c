/*
 * gen-hostile.c - hostile captures for tests/hostile.sh, built from a real
 * capture (a test input, read at test time and never stored).
 *
 * usage: gen-hostile flood  IN OUT [COUNT]
 *        gen-hostile trunc  IN OUT
 *        gen-hostile corrupt IN OUT N
 *        gen-hostile rpc    IN OUT
 *        gen-hostile stamp  IN OUT N
 *        gen-hostile relink IN OUT DLT
 *
 * flood:   COUNT (default 300000) frames of random TCP SYNs and UDP
 *          datagrams from random IPv4 sources to random hosts of
 *          10.0.0.0/8 on random ports, interleaved in time order with
 *          IN's packets (which must be Ethernet).  A fixed seed makes
 *          the file the same on every run.
 * trunc:   IN with every record cut to 60 captured bytes (snaplen 60),
 *          as a sensor with a short snaplen would write it.
 * corrupt: IN's first N records, then a record header whose captured
 *          length no pcap file may have, then the rest of IN.
 * rpc:     IN (Ethernet, with DCE/RPC over TCP) with its TCP data
 *          segments in turn retransmitted whole, split into two
 *          overlapping halves whose overlap the second half fills with
 *          0xff (the first copy is the one a receiver keeps), or left
 *          alone; then one connection per hostile PDU to IN's first
 *          server on port 135: frag_length 0xffff (past a bound set
 *          below 64k), frag_length below the header, an auth_length
 *          larger than the PDU, and a bind claiming 255 contexts in
 *          room for one.
 * stamp:   IN with record N (from 1) stamped 0xFFFFFFFF seconds, the
 *          largest time a pcap record header holds (year 2106).
 * relink:  IN's records unchanged under link type DLT (a number).
 * The summary line on stdout gives the counts the test checks.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLOOD_DEFAULT	300000
#define TRUNC_SNAPLEN	60

static uint64_t rng_state = 0x5eed5eed5eed5eedULL;

/* xorshift64*: fast, and the same sequence everywhere. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* RFC 1071 sum over the IPv4 header, so tshark shows clean packets. */
static uint16_t
ip_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One random Ethernet/IPv4 TCP SYN or UDP datagram; returns its length. */
static size_t
flood_frame(uint8_t *f)
{
	uint8_t *ip = f + 14, *l4 = ip + 20;
	int tcp = rng() & 1;
	size_t l4len = tcp ? 20 : 8 + 16;

	memset(f, 0, 14 + 20 + l4len);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, (uint16_t)rng());
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	put32(ip + 12, rng());
	put32(ip + 16, 0x0a000000u | (rng() & 0x00ffffffu));
	put16(ip + 10, ip_sum(ip, 20));
	put16(l4, (uint16_t)(1024 + rng() % 64512));
	put16(l4 + 2, (uint16_t)(1 + rng() % 65535));
	if (tcp) {
		put32(l4 + 4, rng());
		l4[12] = 5 << 4;
		l4[13] = 0x02;		/* SYN */
		put16(l4 + 14, 64240);
	} else
		put16(l4 + 4, (uint16_t)l4len);
	return 14 + 20 + l4len;
}

static uint64_t
ts_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000 + (uint64_t)tv->tv_usec;
}

static void
set_ts(struct pcap_pkthdr *h, uint64_t us)
{
	h->ts.tv_sec = (time_t)(us / 1000000);
	h->ts.tv_usec = (suseconds_t)(us % 1000000);
}

/* Every packet of IN, so the flood can be spread over its time span. */
struct rec {
	struct pcap_pkthdr	 h;
	uint8_t			*data;
};

static struct rec *
read_all(pcap_t *in, size_t *n)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct rec *r = NULL, *nr;
	size_t cap = 0;

	*n = 0;
	while (pcap_next_ex(in, &h, &data) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nr = realloc(r, cap * sizeof(*r))) == NULL)
				return NULL;
			r = nr;
		}
		r[*n].h = *h;
		if ((r[*n].data = malloc(h->caplen ? h->caplen : 1)) == NULL)
			return NULL;
		memcpy(r[*n].data, data, h->caplen);
		(*n)++;
	}
	return r;
}

static int
flood(pcap_t *in, pcap_dumper_t *out, unsigned long count)
{
	struct pcap_pkthdr h;
	struct rec *r;
	uint8_t f[128];
	uint64_t t0, span, t;
	unsigned long i, made = 0;
	size_t n, j = 0;

	if ((r = read_all(in, &n)) == NULL || n == 0) {
		fprintf(stderr, "gen-hostile: input has no packets\n");
		return -1;
	}
	t0 = ts_us(&r[0].h.ts);
	span = ts_us(&r[n - 1].h.ts) - t0 + 1;
	for (i = 0; i < count; i++) {
		t = t0 + span * i / count;
		/* Real packets due by now go first: the file stays in time order. */
		for (; j < n && ts_us(&r[j].h.ts) <= t; j++)
			pcap_dump((u_char *)out, &r[j].h, r[j].data);
		h.caplen = h.len = (bpf_u_int32)flood_frame(f);
		set_ts(&h, t);
		pcap_dump((u_char *)out, &h, f);
		made++;
	}
	for (; j < n; j++)
		pcap_dump((u_char *)out, &r[j].h, r[j].data);
	printf("flood %lu real %zu total %lu\n", made, n, made + n);
	/* Freed so that LeakSanitizer builds run this generator cleanly. */
	for (j = 0; j < n; j++)
		free(r[j].data);
	free(r);
	return 0;
}

static int
trunc_all(pcap_t *in, pcap_dumper_t *out)
{
	struct pcap_pkthdr *hp, h;
	const u_char *data;
	unsigned long n = 0, cut = 0;

	while (pcap_next_ex(in, &hp, &data) == 1) {
		h = *hp;
		if (h.caplen > TRUNC_SNAPLEN) {
			h.caplen = TRUNC_SNAPLEN;
			cut++;
		}
		pcap_dump((u_char *)out, &h, data);
		n++;
	}
	printf("records %lu cut %lu\n", n, cut);
	return 0;
}

/* Where the parts of an Ethernet/IPv4/TCP frame are. */
struct tcp_seg {
	size_t		ip;		/* offset of the IPv4 header */
	size_t		iphl;
	size_t		tcphl;
	size_t		data;		/* offset of the payload */
	size_t		len;		/* payload bytes (by the IP length) */
	uint32_t	seq;
	uint16_t	dport;
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * An untagged Ethernet IPv4 TCP segment captured whole, unfragmented.
 * The generator reads its own test input, but still checks each length
 * before it uses it.
 */
static int
tcp_segment(const struct rec *r, struct tcp_seg *s)
{
	const uint8_t *f = r->data;
	size_t cap = r->h.caplen, iplen;

	if (cap < 14 + 20 || get16(f + 12) != 0x0800 || (f[14] >> 4) != 4 ||
	    f[14 + 9] != 6 || (get16(f + 14 + 6) & 0x3fff) != 0)
		return -1;
	s->ip = 14;
	s->iphl = (size_t)(f[14] & 0x0f) * 4;
	iplen = get16(f + 14 + 2);
	if (s->iphl < 20 || cap < 14 + s->iphl + 20 || iplen > cap - 14 ||
	    iplen < s->iphl + 20)
		return -1;
	s->tcphl = (size_t)(f[14 + s->iphl + 12] >> 4) * 4;
	if (s->tcphl < 20 || iplen < s->iphl + s->tcphl)
		return -1;
	s->data = 14 + s->iphl + s->tcphl;
	s->len = iplen - s->iphl - s->tcphl;
	s->dport = get16(f + 14 + s->iphl + 2);
	s->seq = (uint32_t)get16(f + 14 + s->iphl + 4) << 16 |
	    get16(f + 14 + s->iphl + 6);
	return 0;
}

/*
 * Write payload bytes [from, to) of a segment as a segment of its own;
 * bytes [from, garble) are written as 0xff instead.
 */
static void
emit_part(pcap_dumper_t *out, const struct rec *r, const struct tcp_seg *s,
    size_t from, size_t to, size_t garble, uint64_t ts)
{
	static uint8_t f[65536 + 64];
	struct pcap_pkthdr h;
	uint8_t *ip = f + s->ip;
	size_t n = s->data + (to - from);

	memcpy(f, r->data, s->data);
	memcpy(f + s->data, r->data + s->data + from, to - from);
	if (garble > from)
		memset(f + s->data, 0xff, garble - from);
	put16(ip + 2, (uint16_t)(n - s->ip));
	put16(ip + 10, 0);
	put16(ip + 10, ip_sum(ip, s->iphl));
	put32(ip + s->iphl + 4, s->seq + (uint32_t)from);
	h.caplen = h.len = (bpf_u_int32)n;
	set_ts(&h, ts);
	pcap_dump((u_char *)out, &h, f);
}

/* One frame of a hostile connection: client port cport, server:135. */
static void
hostile_frame(pcap_dumper_t *out, const uint8_t *tmpl, int to_server,
    uint16_t cport, uint8_t flags, uint32_t seq, const uint8_t *pdu,
    size_t plen, uint64_t ts)
{
	uint8_t f[14 + 20 + 20 + 128];
	uint8_t *ip = f + 14, *tcp = ip + 20;
	struct pcap_pkthdr h;
	static const uint8_t client[4] = { 10, 99, 0, 1 };

	memset(f, 0, sizeof(f));
	/* The template frame goes to the server: keep its MACs that way. */
	memcpy(f, to_server ? tmpl : tmpl + 6, 6);
	memcpy(f + 6, to_server ? tmpl + 6 : tmpl, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 20 + plen));
	ip[8] = 128;
	ip[9] = 6;
	memcpy(to_server ? ip + 12 : ip + 16, client, 4);
	memcpy(to_server ? ip + 16 : ip + 12, tmpl + 14 + 16, 4);
	put16(ip + 10, ip_sum(ip, 20));
	put16(tcp, to_server ? cport : 135);
	put16(tcp + 2, to_server ? 135 : cport);
	put32(tcp + 4, seq);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 8192);
	if (plen > 0)
		memcpy(tcp + 20, pdu, plen);
	h.caplen = h.len = (bpf_u_int32)(14 + 20 + 20 + plen);
	set_ts(&h, ts);
	pcap_dump((u_char *)out, &h, f);
}

/*
 * The hostile PDUs, each 72 bytes, little-endian: a bind header whose
 * fields are then spoiled one at a time.
 */
#define HOSTILE_PDUS	4
#define HOSTILE_LEN	72

static void
hostile_pdu(int which, uint8_t *p)
{
	memset(p, 0, HOSTILE_LEN);
	p[0] = 5;			/* version 5.0 */
	p[2] = 0x0b;			/* bind */
	p[3] = 0x03;			/* first and last fragment */
	p[4] = 0x10;			/* little-endian */
	p[8] = HOSTILE_LEN;		/* frag_length */
	p[12] = 1;			/* call_id */
	p[16] = p[18] = 0xb8;		/* max xmit/recv frag 0x10b8 */
	p[17] = p[19] = 0x10;
	p[24] = 1;			/* one context ... */
	p[30] = 1;			/* ... with one transfer syntax */
	switch (which) {
	case 0:				/* past any maximum */
		p[8] = p[9] = 0xff;
		break;
	case 1:				/* shorter than the header */
		p[8] = 10;
		break;
	case 2:				/* the verifier cannot fit */
		p[11] = 0x01;
		break;
	default:			/* 255 contexts in room for one */
		p[24] = 255;
		break;
	}
}

static int
rpc(pcap_t *in, pcap_dumper_t *out)
{
	struct tcp_seg s;
	struct rec *r;
	uint8_t pdu[HOSTILE_LEN];
	const uint8_t *tmpl = NULL;
	uint64_t ts = 0;
	unsigned long retrans = 0, overlap = 0, written = 0, k = 0;
	size_t n, j, half, q;
	uint16_t cport;
	int i;

	if ((r = read_all(in, &n)) == NULL || n == 0) {
		fprintf(stderr, "gen-hostile: input has no packets\n");
		return -1;
	}
	for (j = 0; j < n; j++) {
		ts = ts_us(&r[j].h.ts);
		if (tcp_segment(&r[j], &s) == -1 || s.len < 2) {
			pcap_dump((u_char *)out, &r[j].h, r[j].data);
			written++;
			continue;
		}
		if (tmpl == NULL && s.dport == 135)
			tmpl = r[j].data;
		switch (k++ % 3) {
		case 0:
			emit_part(out, &r[j], &s, 0, s.len, 0, ts);
			emit_part(out, &r[j], &s, 0, s.len, 0, ts + 1);
			retrans++;
			written += 2;
			break;
		case 1:
			half = s.len / 2;
			q = half / 2;
			emit_part(out, &r[j], &s, 0, half, 0, ts);
			emit_part(out, &r[j], &s, q, s.len, half, ts + 1);
			overlap++;
			written += 2;
			break;
		default:
			emit_part(out, &r[j], &s, 0, s.len, 0, ts);
			written++;
			break;
		}
	}
	if (tmpl == NULL) {
		fprintf(stderr, "gen-hostile: no TCP data to port 135\n");
		return -1;
	}
	/* SYN, SYN-ACK, the PDU, RST: one connection each, a second apart. */
	for (i = 0; i < HOSTILE_PDUS; i++) {
		cport = (uint16_t)(40001 + i);
		ts += 1000000;
		hostile_pdu(i, pdu);
		hostile_frame(out, tmpl, 1, cport, 0x02, 1000, NULL, 0, ts);
		hostile_frame(out, tmpl, 0, cport, 0x12, 5000, NULL, 0, ts + 1);
		hostile_frame(out, tmpl, 1, cport, 0x18, 1001, pdu, sizeof(pdu),
		    ts + 2);
		hostile_frame(out, tmpl, 1, cport, 0x04, 1001 + sizeof(pdu),
		    NULL, 0, ts + 3);
		written += 4;
	}
	printf("records %zu retransmitted %lu overlapped %lu hostile %d "
	    "total %lu\n", n, retrans, overlap, HOSTILE_PDUS, written);
	for (j = 0; j < n; j++)
		free(r[j].data);
	free(r);
	return 0;
}

static int
corrupt(pcap_t *in, pcap_dumper_t *out, unsigned long keep)
{
	/* caplen and len far above any snaplen libpcap accepts (256 KiB). */
	static const uint8_t garbage[16] = {
		0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x00,
		0xf0, 0xff, 0xff, 0x7f, 0xf0, 0xff, 0xff, 0x7f
	};
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long n = 0;

	while (pcap_next_ex(in, &h, &data) == 1) {
		if (n == keep) {
			/* pcap_dump() cannot write a bad header: go under it. */
			pcap_dump_flush(out);
			if (fwrite(garbage, sizeof(garbage), 1,
			    pcap_dump_file(out)) != 1)
				return -1;
		}
		pcap_dump((u_char *)out, h, data);
		n++;
	}
	if (n <= keep) {
		fprintf(stderr, "gen-hostile: input has only %lu records\n", n);
		return -1;
	}
	printf("records %lu before-corruption %lu\n", n, keep);
	return 0;
}

static int
stamp(pcap_t *in, pcap_dumper_t *out, unsigned long which)
{
	struct pcap_pkthdr *h, copy;
	const u_char *data;
	unsigned long n = 0;

	while (pcap_next_ex(in, &h, &data) == 1) {
		copy = *h;
		if (++n == which)
			copy.ts.tv_sec = (time_t)0xFFFFFFFFu;
		pcap_dump((u_char *)out, &copy, data);
	}
	if (n < which) {
		fprintf(stderr, "gen-hostile: input has only %lu records\n", n);
		return -1;
	}
	printf("records %lu stamped %lu\n", n, which);
	return 0;
}

static int
copy_all(pcap_t *in, pcap_dumper_t *out)
{
	struct pcap_pkthdr *h;
	const u_char *data;

	while (pcap_next_ex(in, &h, &data) == 1)
		pcap_dump((u_char *)out, h, data);
	return 0;
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_dumper_t *out;
	pcap_t *in, *dead;
	unsigned long num = 0;
	int rc, snaplen;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: gen-hostile "
		    "flood|trunc|corrupt|rpc|stamp|relink IN OUT [COUNT|N|DLT]\n");
		return 2;
	}
	if (argc == 5)
		num = strtoul(argv[4], NULL, 10);
	if ((in = pcap_open_offline(argv[2], errbuf)) == NULL) {
		fprintf(stderr, "gen-hostile: %s\n", errbuf);
		return 1;
	}
	if ((strcmp(argv[1], "flood") == 0 || strcmp(argv[1], "rpc") == 0) &&
	    pcap_datalink(in) != DLT_EN10MB) {
		fprintf(stderr, "gen-hostile: %s needs an Ethernet capture\n",
		    argv[1]);
		return 1;
	}
	snaplen = strcmp(argv[1], "trunc") == 0 ? TRUNC_SNAPLEN :
	    pcap_snapshot(in);
	if ((dead = pcap_open_dead(strcmp(argv[1], "relink") == 0 &&
	    argc == 5 ? (int)num : pcap_datalink(in), snaplen)) == NULL ||
	    (out = pcap_dump_open(dead, argv[3])) == NULL) {
		fprintf(stderr, "gen-hostile: %s: cannot write\n", argv[3]);
		return 1;
	}
	if (strcmp(argv[1], "flood") == 0)
		rc = flood(in, out, argc == 5 ? num : FLOOD_DEFAULT);
	else if (strcmp(argv[1], "trunc") == 0)
		rc = trunc_all(in, out);
	else if (strcmp(argv[1], "corrupt") == 0 && argc == 5)
		rc = corrupt(in, out, num);
	else if (strcmp(argv[1], "rpc") == 0 && argc == 4)
		rc = rpc(in, out);
	else if (strcmp(argv[1], "stamp") == 0 && argc == 5)
		rc = stamp(in, out, num);
	else if (strcmp(argv[1], "relink") == 0 && argc == 5)
		rc = copy_all(in, out);
	else {
		fprintf(stderr, "gen-hostile: unknown mode %s\n", argv[1]);
		rc = -1;
	}
	pcap_dump_close(out);
	pcap_close(dead);
	pcap_close(in);
	return rc == 0 ? 0 : 1;
}
