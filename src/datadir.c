/*
 * datadir.c - find the shipped data: build tree first, then installed.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datadir.h"

/*
 * The running binary is "in the build tree" when /proc/self/exe lies
 * under the configured build directory (libtool is not used, so there is
 * no wrapper script in between).
 */
static int
running_from_build_tree(void)
{
	char exe[PATH_MAX], build[PATH_MAX];
	ssize_t n;
	size_t blen;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if (realpath(SVCMAP_BUILDDIR, build) == NULL)
		return 0;
	blen = strlen(build);
	return strncmp(exe, build, blen) == 0 && exe[blen] == '/';
}

const char *
datadir_resolve(const char *override)
{
	if (override != NULL && override[0] != '\0')
		return override;
	if (running_from_build_tree())
		return SVCMAP_SRCDATADIR;
	return SVCMAP_PKGDATADIR;
}
