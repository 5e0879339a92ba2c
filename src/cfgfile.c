/*
 * cfgfile.c - open operator-named files safely; UTF-8 validation.
 *
 * A configuration path that is /dev/zero or a FIFO once made `svcmapd -t`
 * and a SIGHUP block forever (in open(2) for a FIFO with no writer, in
 * read(2) for an endless device), with SIGTERM then waiting behind it.
 * Opening with O_NONBLOCK returns at once for a FIFO, fstat(2) then shows
 * what the path is, and only regular files of a bounded size are read.
 * /dev/null stays allowed: `-c /dev/null` means "the defaults".
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "svcmap/cfgfile.h"

static bool
is_dev_null(const struct stat *st)
{
	struct stat null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && st->st_rdev == null.st_rdev;
}

FILE *
cfgfile_open(const char *path, size_t max, char *err, size_t errlen)
{
	struct stat st;
	FILE *fp;
	int fd, flags;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !is_dev_null(&st)) {
		snprintf(err, errlen, "not a regular file");
		goto fail;
	}
	if ((uintmax_t)st.st_size > max) {
		snprintf(err, errlen, "larger than %zu bytes", max);
		goto fail;
	}
	/* Regular files do not block; reads then behave as usual. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	return fp;
fail:
	close(fd);
	return NULL;
}

bool
cfgfile_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}
