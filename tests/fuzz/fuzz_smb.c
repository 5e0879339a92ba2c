/*
 * fuzz_smb.c - libFuzzer target for the SMB parser; linked with
 * tests/fuzz/replay.c it replays the saved inputs as TAP.
 *
 * Input: a sequence of chunks, each a 3-byte header then payload:
 *   h0 bit 0: direction (0 client, 1 server)
 *   h0 bit 1: a gap of (h1 | h2 << 8) bytes instead of payload
 *   h1, h2:   payload length, little-endian (whatever is left if shorter)
 * One parser and one connection see every chunk, so state carries across
 * segments the way it does on a real connection.  The sink checks what
 * the parser promises: pipe slots in range, open before data and close.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/smb.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small bounds, so that short inputs reach every limit. */
#define FZ_PIPES	4

struct fz {
	bool	 open[FZ_PIPES];
	size_t	 sum;
};

static void
fz_check(struct fz *z, const struct smb_pipe *pp)
{
	if (pp->slot >= FZ_PIPES || !z->open[pp->slot] ||
	    pp->name[0] != '\\' || strlen(pp->name) >= SMB_PIPE_NAME_MAX)
		abort();
}

static void
s_dialect(void *arg, enum smb_version v, uint16_t d)
{
	(void)arg;
	if (v != SMB_VERSION_1 && v != SMB_VERSION_2)
		abort();
	(void)d;
}

static void
s_open(void *arg, const struct smb_pipe *pp)
{
	struct fz *z = arg;

	if (pp->slot >= FZ_PIPES || z->open[pp->slot])
		abort();
	z->open[pp->slot] = true;
	fz_check(z, pp);
}

static void
s_data(void *arg, const struct smb_pipe *pp, int dir, const uint8_t *d,
    size_t n)
{
	struct fz *z = arg;
	size_t i;

	fz_check(z, pp);
	if (dir != 0 && dir != 1)
		abort();
	/* Touch every byte: ASan sees a read past the buffer. */
	for (i = 0; i < n; i++)
		z->sum += d[i];
}

static void
s_gap(void *arg, const struct smb_pipe *pp, int dir, size_t n)
{
	fz_check(arg, pp);
	(void)dir;
	(void)n;
}

static void
s_close(void *arg, const struct smb_pipe *pp)
{
	struct fz *z = arg;

	fz_check(z, pp);
	z->open[pp->slot] = false;
}

static void
s_encrypted(void *arg, int dir, size_t n)
{
	(void)arg;
	(void)dir;
	(void)n;
}

/* Unknown trees: a fixed name stands in for the catalog's pipe rows. */
static bool
s_known(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "\\samr") == 0 || strcmp(name, "\\svcctl") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smb_config cfg = { FZ_PIPES, 4, 2, 4096, 1 };
	struct smb_parser *p;
	struct smb_conn *c;
	struct smb_sink sink;
	struct fz z;
	size_t n;
	int dir, slot;

	memset(&z, 0, sizeof(z));
	if ((p = smb_parser_create(&cfg)) == NULL)
		return 0;
	if ((c = smb_conn_create(p)) == NULL) {
		smb_parser_destroy(p);
		return 0;
	}
	memset(&sink, 0, sizeof(sink));
	sink.arg = &z;
	sink.dialect = s_dialect;
	sink.pipe_open = s_open;
	sink.pipe_data = s_data;
	sink.pipe_gap = s_gap;
	sink.pipe_close = s_close;
	sink.encrypted = s_encrypted;
	sink.pipe_known = s_known;
	while (size >= 3) {
		dir = data[0] & 1;
		n = (size_t)data[1] | (size_t)data[2] << 8;
		if (data[0] & 2) {
			data += 3;
			size -= 3;
			smb_gap(p, c, dir, n, &sink);
			continue;
		}
		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		slot = smb_feed(p, c, dir, data, n, &sink);
		if (slot >= FZ_PIPES)
			abort();
		data += n;
		size -= n;
	}
	smb_conn_destroy(c);
	smb_parser_destroy(p);
	return 0;
}
