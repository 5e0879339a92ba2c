/*
 * gen-hostile.c - hostile captures for tests/hostile.sh, built from a real
 * capture (a test input, read at test time and never stored).
 *
 * usage: gen-hostile flood  IN OUT [COUNT]
 *        gen-hostile trunc  IN OUT
 *        gen-hostile corrupt IN OUT N
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
 * The summary line on stdout gives the counts the test checks.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_dumper_t *out;
	pcap_t *in, *dead;
	unsigned long num = 0;
	int rc, snaplen;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: gen-hostile flood|trunc|corrupt IN OUT "
		    "[COUNT|N]\n");
		return 2;
	}
	if (argc == 5)
		num = strtoul(argv[4], NULL, 10);
	if ((in = pcap_open_offline(argv[2], errbuf)) == NULL) {
		fprintf(stderr, "gen-hostile: %s\n", errbuf);
		return 1;
	}
	if (strcmp(argv[1], "flood") == 0 &&
	    pcap_datalink(in) != DLT_EN10MB) {
		fprintf(stderr, "gen-hostile: flood needs an Ethernet capture\n");
		return 1;
	}
	snaplen = strcmp(argv[1], "trunc") == 0 ? TRUNC_SNAPLEN :
	    pcap_snapshot(in);
	if ((dead = pcap_open_dead(pcap_datalink(in), snaplen)) == NULL ||
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
	else {
		fprintf(stderr, "gen-hostile: unknown mode %s\n", argv[1]);
		rc = -1;
	}
	pcap_dump_close(out);
	pcap_close(dead);
	pcap_close(in);
	return rc == 0 ? 0 : 1;
}
