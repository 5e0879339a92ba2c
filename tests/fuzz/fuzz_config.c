/*
 * fuzz_config.c - libFuzzer target for the svcmapd.conf parser.
 *
 * Input: the text of a config file.  The parser reads a stream, so the
 * text goes in through fmemopen() (config.c is included, chrony-style, to
 * reach config_load_stream() with a quiet error callback).  A file that
 * loads is printed, and the printed form must load again and print the
 * same: `svcmapd -p` output is a valid config meaning the same thing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config.c"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
quiet(void *arg, const char *file, unsigned line, const char *msg)
{
	size_t *n = arg;

	(void)file;
	(void)line;
	*n += strlen(msg);
}

/*
 * Load text over the defaults; -1 on a parse error.  config_defaults()
 * parses every built-in default line, which cost more than most inputs;
 * it always yields the same struct, so it runs once and is copied.
 */
static int
load_text(struct config *cfg, const char *text, size_t len)
{
	static struct config defaults;
	static bool have_defaults;
	size_t n = 0;
	FILE *fp;
	int rc;

	if (!have_defaults) {
		config_defaults(&defaults);
		have_defaults = true;
	}
	*cfg = defaults;
	if (len == 0)
		return 0;	/* fmemopen() refuses an empty buffer */
	if ((fp = fmemopen((void *)(uintptr_t)text, len, "r")) == NULL)
		abort();
	rc = config_load_stream(cfg, fp, "fuzz", quiet, &n);
	fclose(fp);
	return rc;
}

/* config_print() into a malloc'd string (the caller frees it). */
static char *
print_text(const struct config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		abort();
	config_print(cfg, fp);
	if (fclose(fp) != 0)
		abort();
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg, again;
	char *out1, *out2;
	size_t len1, len2;

	if (size > 1 << 16)
		return 0;
	if (load_text(&cfg, (const char *)data, size) != 0)
		return 0;
	out1 = print_text(&cfg, &len1);
	if (load_text(&again, out1, len1) != 0)
		abort();	/* the printed config does not parse */
	out2 = print_text(&again, &len2);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0)
		abort();	/* printing does not round-trip */
	free(out1);
	free(out2);
	return 0;
}
