/*
 * bench-bare: the floor for the benchmark.  Reads a capture with libpcap
 * and touches the first byte of every packet, which is all any reader
 * must do; svcmapd's cost is reported as a multiple of this.
 */

#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long n = 0, sum = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-bare file.pcap\n");
		return 2;
	}
	if ((p = pcap_open_offline(argv[1], err)) == NULL) {
		fprintf(stderr, "bench-bare: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		/* Summed and printed so the read cannot be optimised away. */
		if (h->caplen > 0)
			sum += data[0];
		n++;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bench-bare: %s\n", pcap_geterr(p));
		return 1;
	}
	pcap_close(p);
	printf("packets %lu (first-byte sum %lu)\n", n, sum);
	return 0;
}
