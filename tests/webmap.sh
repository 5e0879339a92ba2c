#!/bin/sh
# webmap.sh - the web map in headless Chromium (issue 16): svcmapctl serve
# on databases built from the generated sample and two shared captures,
# driven over the DevTools protocol by tests/webmap.py, which says what
# it asserts and which oracle (svcmapctl, tshark) each check uses.
# Screenshots: tests/webmap-*.png under the build directory.
#
# Chromium is a Debian package .ci/setup installs; without it the test
# skips on a developer's machine, and fails where SVCMAP_REQUIRE_CHROMIUM
# is set (.ci/run sets it: CI must run it).
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd python3 tshark
CHROMIUM=${CHROMIUM:-}
for c in chromium chromium-browser; do
	[ -n "$CHROMIUM" ] && break
	command -v "$c" >/dev/null 2>&1 && CHROMIUM=$(command -v "$c")
done
if [ -z "$CHROMIUM" ]; then
	[ -n "${SVCMAP_REQUIRE_CHROMIUM:-}" ] &&
	    bail_out "chromium is not installed (.ci/setup installs it)"
	skip_all "chromium is not installed (Debian package chromium)"
fi
export CHROMIUM top_builddir top_srcdir SVCMAP_PCAPS
exec python3 "$top_srcdir/tests/webmap.py"
