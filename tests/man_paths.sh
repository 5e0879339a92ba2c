#!/bin/sh
# The manual pages are made from man/*.in with this build's directories:
# no placeholder is left, and the paths they name are the ones svcmapd
# itself uses by default (svcmapd -h and -p), not a distribution's guess.
. "${top_srcdir:-.}/tests/lib.sh"

conf=$("$SVCMAPD" -h 2>&1 | sed -n 's/.*configuration (default \(.*\))$/\1/p')
db=$("$SVCMAPD" -p -c /dev/null 2>/dev/null | sed -n 's/^database //p')
local=$("$SVCMAPD" -p -c /dev/null 2>/dev/null | sed -n 's/^local-catalog //p')
ok "svcmapd -h names its default configuration" test -n "$conf"
ok "svcmapd -p names its default database" test -n "$db"

for page in svcmapd.8 svcmapctl.8 svcmapd.conf.5; do
	f="$top_builddir/man/$page"
	ok "$page is built" test -s "$f"
	ok "$page has no @placeholder@ left" sh -c "! grep -q '@[a-z]*@' '$f'"
done
ok "svcmapd(8) names the default configuration $conf" \
    grep -qF "$conf" "$top_builddir/man/svcmapd.8"
ok "svcmapctl(8) names the default configuration $conf" \
    grep -qF "$conf" "$top_builddir/man/svcmapctl.8"
ok "svcmapd.conf(5) names the default database $db" \
    grep -qF "$db" "$top_builddir/man/svcmapd.conf.5"
ok "svcmapd.conf(5) names the default local catalog $local" \
    grep -qF "$local" "$top_builddir/man/svcmapd.conf.5"
done_testing
