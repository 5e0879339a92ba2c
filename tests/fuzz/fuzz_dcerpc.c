/*
 * fuzz_dcerpc.c - libFuzzer target for the DCE/RPC parser, and (built
 * with -DFUZZ_REPLAY) a runner that replays saved inputs as TAP.
 *
 * Input: a sequence of chunks, each a 2-byte header then payload:
 *   h0 bit 0: direction (0 client, 1 server)
 *   h0 bit 1: UDP datagram instead of TCP segment
 *   h0 bit 2: skip h0 >> 3 bytes of TCP sequence first (a gap; with
 *             bit 3 of h1 set the sequence goes back: a retransmission)
 *   h1:       payload length (whatever is left if shorter)
 * One parser and one flow see every chunk, so state carries across
 * segments the way it does on a real connection.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/dcerpc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink_bound(void *arg, const uint8_t uuid[16], uint16_t maj, uint16_t min)
{
	(void)arg;
	(void)uuid;
	(void)maj;
	(void)min;
}

static void
sink_endpoint(void *arg, const struct dcerpc_endpoint *ep)
{
	size_t *n = arg;

	*n += ep->port;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small bounds so reassembly limits are reached by short inputs. */
	static const struct dcerpc_config cfg = { 2048, 8192 };
	struct dcerpc_parser *p;
	struct dcerpc_flow *f;
	struct dcerpc_sink sink;
	uint32_t seq[2] = { 0, 0x7ffffff0 };
	size_t n, sum = 0;
	uint8_t h0, h1;
	int dir;

	if ((p = dcerpc_parser_create(&cfg)) == NULL)
		return 0;
	if ((f = dcerpc_flow_create(p)) == NULL) {
		dcerpc_parser_destroy(p);
		return 0;
	}
	sink.arg = &sum;
	sink.bound = sink_bound;
	sink.endpoint = sink_endpoint;
	while (size >= 2) {
		h0 = data[0];
		h1 = data[1];
		data += 2;
		size -= 2;
		n = h1 < size ? h1 : size;
		dir = h0 & 1;
		if (h0 & 4) {
			if (h1 & 8)
				seq[dir] -= (uint32_t)(h0 >> 3);
			else
				seq[dir] += (uint32_t)(h0 >> 3);
		}
		if (h0 & 2)
			dcerpc_udp(p, f, dir, data, n, &sink);
		else {
			(void)dcerpc_looks_like_bind(data, n);
			dcerpc_tcp(p, f, dir, seq[dir], data, n, &sink);
			seq[dir] += (uint32_t)n;
		}
		data += n;
		size -= n;
	}
	dcerpc_flow_destroy(f);
	dcerpc_parser_destroy(p);
	return 0;
}

#ifdef FUZZ_REPLAY
#include <dirent.h>
#include <sys/stat.h>

static int ntests;

static void
replay(const char *path)
{
	uint8_t *buf;
	long len;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL ||
	    fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		printf("not ok %d - %s: unreadable\n", ++ntests, path);
		if (fp != NULL)
			fclose(fp);
		return;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	/* Reaching here is the check: a crash or sanitizer report aborts. */
	printf("ok %d - %s replays\n", ++ntests, path);
}

static void
replay_path(const char *path)
{
	struct dirent **ents;
	struct stat sb;
	char sub[4096];
	int i, n;

	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		replay(path);
		return;
	}
	/* Sorted, so the TAP numbering is the same on every run. */
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
			    ents[i]->d_name);
			replay(sub);
		}
		free(ents[i]);
	}
	free(ents);
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096];
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			replay_path(argv[i]);
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/dcerpc",
		    top != NULL ? top : ".");
		replay_path(dir);
	}
	printf("1..%d\n", ntests);
	return 0;
}
#endif /* FUZZ_REPLAY */
