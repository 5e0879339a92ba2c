/*
 * replay.c - the TAP runner every fuzz target (dcerpc, decode, catalog,
 * config) links with when built as a replay program: every saved input of the
 * target's corpus directory (FUZZ_CORPUS under tests/fuzz) goes through
 * LLVMFuzzerTestOneInput() once, so crashers stay regression tests.
 * Arguments replace the corpus directory (files or directories).
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	/* Reaching here is the check: a crash, abort or sanitizer report ends the run. */
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
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0) {
		printf("not ok %d - %s: unreadable directory\n", ++ntests,
		    path);
		return;
	}
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
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s",
		    top != NULL ? top : ".", FUZZ_CORPUS);
		replay_path(dir);
	}
	printf("1..%d\n", ntests);
	return 0;
}
