/*
 * seed_pcaps.c - fuzzing seeds cut from the shared captures at run time
 * (`make fuzz`); the captures are test inputs and never stored, so
 * neither are these seeds.
 *
 * usage: seed_pcaps decode|dcerpc|engine PCAPDIR OUTDIR
 *
 * decode: per capture, the first frame of every distinct decode outcome
 *         (link type, reason, IP version, transport, VLAN, fragment,
 *         truncation, TCP flags, payload or not), as fuzz_decode reads
 *         it: a byte choosing the link type, then the frame.
 * dcerpc: per capture, each TCP or UDP conversation that
 *         tests/test_dcerpc_pcaps.c feeds to the DCE/RPC parser (port
 *         135 or 593, or a TCP connection whose first client payload
 *         looks like a bind) in fuzz_dcerpc's chunk format: the payloads
 *         in capture order, retransmitted bytes dropped, small gaps kept
 *         as gaps, UDP datagrams cut to a chunk.  At most MAX_FLOWS
 *         conversations per capture and MAX_SEED bytes per seed, the
 *         fuzzer's -max_len.
 * engine: per capture, windows of up to ENGINE_FRAMES consecutive frames
 *         (each cut to ENGINE_FRAME_MAX bytes, at most ENGINE_SEED_MAX
 *         bytes a seed), one starting every ENGINE_STRIDE frames, at most
 *         ENGINE_SEEDS a capture, in fuzz_engine's format: the link type
 *         byte, then per frame the time step since the previous one
 *         (10 ms units up to 2.5 s, else the nearest of its long steps)
 *         and the length.
 * Files are named <capture>.<n>; the summary on stdout gives the counts.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"
#include "svcmap/decode.h"
#include "svcmap/transport.h"

#define MAX_SEED	8192	/* bytes; make fuzz's -max_len for dcerpc */
#define MAX_FLOWS	24	/* fed conversations kept per capture */
#define MAX_SIGS	256	/* distinct decode outcomes kept per capture */
#define CHUNK_MAX	255	/* payload bytes in one fuzz_dcerpc chunk */
#define GAP_MAX		31	/* sequence skip one chunk header can say */
#define ENGINE_FRAMES	48	/* frames in one engine seed */
#define ENGINE_STRIDE	400	/* frames between two seeds' starts */
#define ENGINE_SEEDS	8	/* engine seeds kept per capture */
#define ENGINE_FRAME_MAX 4096	/* fuzz_engine's MAX_FRAME */
#define ENGINE_SEED_MAX	16384	/* make fuzz's -max_len for engine */

/* fuzz_decode's linktypes[], in its order: the index is byte 0. */
static const int decode_linktypes[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 101,
	DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP
};

struct conv {
	struct addr	 cli, srv;
	uint16_t	 cport, sport;
	uint8_t		 proto;
	bool		 fed;		/* written as a seed */
	bool		 ignored;	/* not DCE/RPC, or the seed is full */
	bool		 closed;	/* a SYN reused its 5-tuple */
	bool		 have_seq[2];
	uint32_t	 next_seq[2];	/* next new TCP byte per direction */
	uint8_t		 buf[MAX_SEED];
	size_t		 len;
};

struct capture {
	const char	*name;
	const char	*outdir;
	struct conv	*conv;
	size_t		 nconv, cap, nfed;
	unsigned	 nseeds;
};

static void
write_seed(struct capture *c, const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.%u", c->outdir, c->name,
	    c->nseeds++);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

static int
linktype_index(int lt)
{
	size_t i;

	for (i = 0; i < sizeof(decode_linktypes) / sizeof(decode_linktypes[0]);
	    i++)
		if (decode_linktypes[i] == lt)
			return (int)i;
	return -1;
}

static void
seed_decode(struct capture *c, pcap_t *pc)
{
	static uint8_t frame[1 + 65536];
	uint64_t sigs[MAX_SIGS], sig;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct packet pkt;
	enum decode_reason why;
	size_t nsigs = 0, i;
	int lt, idx;

	lt = pcap_datalink(pc);
	if ((idx = linktype_index(lt)) < 0)
		return;
	while (nsigs < MAX_SIGS && pcap_next_ex(pc, &h, &data) == 1) {
		if (h->caplen > sizeof(frame) - 1)
			continue;
		memset(&pkt, 0, sizeof(pkt));
		decode_packet(lt, data, h->caplen, &pkt, &why);
		sig = (uint64_t)why | (uint64_t)pkt.ip_version << 8 |
		    (uint64_t)pkt.proto << 16 | (uint64_t)(pkt.vlan != 0) << 24 |
		    (uint64_t)pkt.fragmented << 25 |
		    (uint64_t)pkt.truncated << 26 |
		    (uint64_t)(pkt.payload_len > 0) << 27 |
		    (uint64_t)pkt.tcp_flags << 32;
		for (i = 0; i < nsigs && sigs[i] != sig; i++)
			;
		if (i < nsigs)
			continue;
		sigs[nsigs++] = sig;
		frame[0] = (uint8_t)idx;
		memcpy(frame + 1, data, h->caplen);
		write_seed(c, frame, 1 + (size_t)h->caplen);
	}
}

/* fuzz_engine's time step byte for a gap of us microseconds. */
static uint8_t
engine_step(int64_t us)
{
	if (us < 0)
		return 254;
	if (us / 10000 <= 250)
		return (uint8_t)(us / 10000);
	if (us < 180 * 1000000LL)
		return 251;
	if (us < 3600 * 1000000LL)
		return 252;
	return 253;
}

static void
seed_engine(struct capture *c, pcap_t *pc)
{
	static uint8_t seed[ENGINE_SEED_MAX];
	struct pcap_pkthdr *h;
	const u_char *data;
	int64_t prev = 0, ts;
	size_t len = 0, inseed = 0, caplen;
	unsigned long n = 0;
	int idx;

	if ((idx = linktype_index(pcap_datalink(pc))) < 0)
		return;
	while (c->nseeds < ENGINE_SEEDS && pcap_next_ex(pc, &h, &data) == 1) {
		ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		if (n++ % ENGINE_STRIDE == 0) {
			len = 0;
			seed[len++] = (uint8_t)idx;
			inseed = 0;
			prev = ts;
		}
		if (len == 0)
			continue;	/* between windows */
		caplen = h->caplen < ENGINE_FRAME_MAX ? h->caplen :
		    ENGINE_FRAME_MAX;
		if (len + 3 + caplen <= sizeof(seed)) {
			seed[len++] = engine_step(ts - prev);
			seed[len++] = (uint8_t)(caplen >> 8);
			seed[len++] = (uint8_t)caplen;
			memcpy(seed + len, data, caplen);
			len += caplen;
			prev = ts;
			inseed++;
		}
		if (inseed == ENGINE_FRAMES || len + 3 > sizeof(seed)) {
			write_seed(c, seed, len);
			len = 0;
		}
	}
	if (len > 1 && c->nseeds < ENGINE_SEEDS)
		write_seed(c, seed, len);
}

/* Append one chunk; false once the seed is full. */
static bool
chunk(struct conv *v, int dir, bool udp, unsigned gap, const uint8_t *p,
    size_t n)
{
	if (v->len + 2 + n > sizeof(v->buf))
		return false;
	v->buf[v->len++] = (uint8_t)(dir | (udp ? 2 : 0) |
	    (gap > 0 ? 4 | gap << 3 : 0));
	v->buf[v->len++] = (uint8_t)n;
	memcpy(v->buf + v->len, p, n);
	v->len += n;
	return true;
}

/* A TCP payload as chunks: only bytes past next_seq, a small gap kept. */
static bool
feed_tcp(struct conv *v, int dir, uint32_t seq, const uint8_t *p, size_t n)
{
	uint32_t over, gap = 0;
	size_t k;

	if (!v->have_seq[dir]) {
		v->have_seq[dir] = true;
		v->next_seq[dir] = seq;
	}
	over = v->next_seq[dir] - seq;
	if (over < 0x80000000u) {	/* starts at or before next_seq */
		if (over >= n)
			return true;	/* a retransmission */
		p += over;
		n -= over;
		seq += over;
	} else if ((gap = seq - v->next_seq[dir]) > GAP_MAX)
		gap = 0;		/* too far to say: carry on joined */
	v->next_seq[dir] = seq + (uint32_t)n;
	for (; n > 0; p += k, n -= k) {
		k = n < CHUNK_MAX ? n : CHUNK_MAX;
		if (!chunk(v, dir, false, gap, p, k))
			return false;
		gap = 0;
	}
	return true;
}

static struct conv *
conv_get(struct capture *c, const struct packet *pkt, int *dir)
{
	struct conv *v;
	size_t i;

	for (i = c->nconv; i-- > 0;) {
		v = &c->conv[i];
		if (v->proto != pkt->proto || v->closed)
			continue;
		if (v->cport == pkt->sport && v->sport == pkt->dport &&
		    addr_eq(&v->cli, &pkt->src) && addr_eq(&v->srv, &pkt->dst)) {
			*dir = 0;
			return v;
		}
		if (v->sport == pkt->sport && v->cport == pkt->dport &&
		    addr_eq(&v->srv, &pkt->src) && addr_eq(&v->cli, &pkt->dst)) {
			*dir = 1;
			return v;
		}
	}
	if (c->nconv == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		if ((c->conv = realloc(c->conv, c->cap * sizeof(*v))) == NULL)
			abort();
	}
	v = &c->conv[c->nconv++];
	memset(v, 0, sizeof(*v));
	v->proto = pkt->proto;
	/* Port 135/593 is the server; otherwise the sender is the client. */
	if (pkt->sport == 135 || pkt->sport == 593) {
		v->srv = pkt->src, v->sport = pkt->sport;
		v->cli = pkt->dst, v->cport = pkt->dport;
		*dir = 1;
	} else {
		v->cli = pkt->src, v->cport = pkt->sport;
		v->srv = pkt->dst, v->sport = pkt->dport;
		*dir = 0;
	}
	return v;
}

static void
seed_dcerpc(struct capture *c, pcap_t *pc)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct packet pkt;
	enum decode_reason why;
	struct conv *v;
	size_t i;
	int lt, dir;
	bool rpc_port;

	lt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		memset(&pkt, 0, sizeof(pkt));
		if (decode_packet(lt, data, h->caplen, &pkt, &why) != DECODE_OK ||
		    (pkt.proto != TRANSPORT_TCP && pkt.proto != TRANSPORT_UDP))
			continue;
		rpc_port = pkt.sport == 135 || pkt.dport == 135 ||
		    pkt.sport == 593 || pkt.dport == 593;
		if (pkt.proto == TRANSPORT_TCP &&
		    (pkt.tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
			/* A new connection on a reused 5-tuple: a new seed. */
			v = conv_get(c, &pkt, &dir);
			if (v->fed || v->ignored)
				v->closed = true;
			continue;
		}
		if (pkt.payload_len == 0)
			continue;
		v = conv_get(c, &pkt, &dir);
		if (v->ignored)
			continue;
		if (!v->fed) {
			if (c->nfed == MAX_FLOWS ||
			    (!rpc_port && (dir != 0 ||
			    pkt.proto != TRANSPORT_TCP ||
			    !dcerpc_looks_like_bind(pkt.payload,
			    pkt.payload_len)))) {
				v->ignored = true;
				continue;
			}
			v->fed = true;
			c->nfed++;
		}
		if (pkt.proto == TRANSPORT_UDP)
			v->ignored = !chunk(v, dir, true, 0, pkt.payload,
			    pkt.payload_len < CHUNK_MAX ? pkt.payload_len :
			    CHUNK_MAX);
		else
			v->ignored = !feed_tcp(v, dir, pkt.tcp_seq, pkt.payload,
			    pkt.payload_len);
	}
	for (i = 0; i < c->nconv; i++)
		if (c->conv[i].fed && c->conv[i].len > 0)
			write_seed(c, c->conv[i].buf, c->conv[i].len);
	free(c->conv);
	c->conv = NULL;
	c->nconv = c->cap = c->nfed = 0;
}

static int
is_capture(const struct dirent *d)
{
	const char *dot = strrchr(d->d_name, '.');

	return dot != NULL &&
	    (strcmp(dot, ".pcap") == 0 || strcmp(dot, ".pcapng") == 0);
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[4096];
	struct capture c;
	struct dirent **ents;
	unsigned total = 0;
	pcap_t *pc;
	int i, n;
	int mode;	/* 0 decode, 1 dcerpc, 2 engine */

	mode = argc != 4 ? -1 : strcmp(argv[1], "decode") == 0 ? 0 :
	    strcmp(argv[1], "dcerpc") == 0 ? 1 :
	    strcmp(argv[1], "engine") == 0 ? 2 : -1;
	if (mode == -1) {
		fprintf(stderr, "usage: seed_pcaps decode|dcerpc|engine "
		    "PCAPDIR OUTDIR\n");
		return 2;
	}
	if ((n = scandir(argv[2], &ents, is_capture, alphasort)) < 0) {
		perror(argv[2]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[2], ents[i]->d_name);
		if ((pc = pcap_open_offline(path, errbuf)) == NULL) {
			fprintf(stderr, "%s\n", errbuf);
			return 1;
		}
		memset(&c, 0, sizeof(c));
		c.name = ents[i]->d_name;
		c.outdir = argv[3];
		if (mode == 0)
			seed_decode(&c, pc);
		else if (mode == 1)
			seed_dcerpc(&c, pc);
		else
			seed_engine(&c, pc);
		pcap_close(pc);
		total += c.nseeds;
		free(ents[i]);
	}
	free(ents);
	printf("%s: %u seeds from %d captures\n", argv[1], total, n);
	return 0;
}
