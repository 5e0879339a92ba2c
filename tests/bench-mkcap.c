/*
 * bench-mkcap: build the benchmark capture.
 *
 * Reads the given captures in order and writes them out again and again
 * until exactly COUNT packets have been written.  Repetition r adds r to
 * the third octet of every IPv4 address (and to byte 7 of every IPv6
 * address), so each repetition is a fresh set of flows rather than more
 * packets of the same ones: a flow table that only ever holds the flows of
 * one repetition would flatter the classifier.  The third octet keeps
 * 10/8, 172.16/12 and 192.168/16 addresses private, so flows the
 * configuration monitors stay monitored.  The IPv4 header checksum is
 * recomputed; TCP and UDP checksums are left stale, nothing checks them.
 *
 * Time is made monotonic: each packet is placed after the previous one by
 * its original gap, clamped to [0, -g microseconds] (default 1 s), and each
 * input starts one second after the previous one ended.  The shared
 * captures are lab captures that idle for minutes and some jump by years;
 * replayed with their gaps they would run at ten packets a second, and a
 * sensor's per-flush work (every flush-interval of capture time) would
 * swamp its per-packet work, which no SPAN port in service shows.
 * Captures whose link type is not Ethernet are skipped.  The output
 * depends only on the inputs.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define FILE_GAP_US	1000000ULL
#define START_US	(1700000000ULL * 1000000)
#define ETH_HLEN	14

static void
usage(void)
{
	fprintf(stderr, "usage: bench-mkcap -n count [-g max_gap_us] out.pcap"
	    " in.pcap ...\n");
	exit(2);
}

/* RFC 1071 sum over the IPv4 header, checksum field already zeroed. */
static uint16_t
ip_cksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Shift the addresses of an Ethernet frame's IP header by rep. */
static void
rewrite(uint8_t *pkt, uint32_t caplen, unsigned rep)
{
	size_t off = 12;
	unsigned type, ihl;
	uint8_t *ip;
	uint16_t ck;

	if (caplen < ETH_HLEN)
		return;
	type = (unsigned)pkt[off] << 8 | pkt[off + 1];
	off += 2;
	/* 802.1Q and 802.1ad tags, possibly stacked. */
	while ((type == 0x8100 || type == 0x88a8) && off + 4 <= caplen) {
		type = (unsigned)pkt[off + 2] << 8 | pkt[off + 3];
		off += 4;
	}
	ip = pkt + off;
	if (type == 0x0800 && off + 20 <= caplen && ip[0] >> 4 == 4) {
		ihl = (ip[0] & 0x0f) * 4u;
		ip[14] = (uint8_t)(ip[14] + rep);
		ip[18] = (uint8_t)(ip[18] + rep);
		if (ihl >= 20 && off + ihl <= caplen) {
			ip[10] = ip[11] = 0;
			ck = ip_cksum(ip, ihl);
			ip[10] = (uint8_t)(ck >> 8);
			ip[11] = (uint8_t)ck;
		}
	} else if (type == 0x86dd && off + 40 <= caplen && ip[0] >> 4 == 6) {
		ip[8 + 7] = (uint8_t)(ip[8 + 7] + rep);
		ip[24 + 7] = (uint8_t)(ip[24 + 7] + rep);
	}
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	static uint8_t buf[262144];
	struct pcap_pkthdr *h, oh;
	const u_char *data;
	pcap_dumper_t *dump;
	pcap_t *dead, *in;
	uint64_t want, gap_max = 1000000, done = 0, now = START_US, prev, ts;
	unsigned rep, usable;
	bool first;
	int i, c, rc;

	want = 0;
	while ((c = getopt(argc, argv, "g:n:")) != -1) {
		if (c == 'n')
			want = strtoull(optarg, NULL, 10);
		else if (c == 'g')
			gap_max = strtoull(optarg, NULL, 10);
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (want == 0 || argc < 2)
		usage();

	dead = pcap_open_dead(DLT_EN10MB, (int)sizeof(buf));
	if ((dump = pcap_dump_open(dead, argv[0])) == NULL) {
		fprintf(stderr, "bench-mkcap: %s\n", pcap_geterr(dead));
		return 1;
	}
	for (rep = 0; done < want; rep++) {
		usable = 0;
		for (i = 1; i < argc && done < want; i++) {
			if ((in = pcap_open_offline(argv[i], err)) == NULL) {
				if (rep == 0)
					fprintf(stderr, "bench-mkcap: skip %s\n",
					    err);
				continue;
			}
			if (pcap_datalink(in) != DLT_EN10MB) {
				if (rep == 0)
					fprintf(stderr, "bench-mkcap: skip %s:"
					    " not Ethernet\n", argv[i]);
				pcap_close(in);
				continue;
			}
			usable++;
			first = true;
			prev = 0;
			now += FILE_GAP_US;
			while (done < want &&
			    (rc = pcap_next_ex(in, &h, &data)) == 1) {
				ts = (uint64_t)h->ts.tv_sec * 1000000 +
				    (uint64_t)h->ts.tv_usec;
				if (!first && ts > prev)
					now += ts - prev < gap_max ?
					    ts - prev : gap_max;
				first = false;
				prev = ts;
				oh = *h;
				if (oh.caplen > sizeof(buf))
					oh.caplen = sizeof(buf);
				memcpy(buf, data, oh.caplen);
				rewrite(buf, oh.caplen, rep);
				oh.ts.tv_sec = (time_t)(now / 1000000);
				oh.ts.tv_usec = (suseconds_t)(now % 1000000);
				pcap_dump((u_char *)dump, &oh, buf);
				done++;
			}
			pcap_close(in);
		}
		if (usable == 0) {
			fprintf(stderr, "bench-mkcap: no Ethernet capture\n");
			return 1;
		}
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	printf("%" PRIu64 " packets, %u repetitions\n", done, rep);
	return 0;
}
