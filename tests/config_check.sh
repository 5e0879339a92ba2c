#!/bin/sh
# svcmapd -t -c FILE over every bad and good config under tests/conf/ as
# an operator meets them: a bad file exits 1 and names "file:line:" and the
# problem on stderr, a good one exits 0.  Then the checks -t adds over the
# parser's (the catalogs the file names), the command-line overrides, and
# a daemon started on a bad config: it exits 1 before touching anything.
. "${top_srcdir:-.}/tests/lib.sh"
scratch

for f in "$top_srcdir"/tests/conf/bad-*.conf; do
	name=$(basename "$f")
	text=$(sed -n 's/^# expect: //p' "$f")
	line=$(sed -n 's/^# expect-line: //p' "$f")
	"$SVCMAPD" -t -c "$f" >/dev/null 2>"$SCRATCH/err"
	is "$?" 1 "$name: exit 1"
	ok "$name: \"$f:$line: ...$text\"" \
	    grep -qF -- "$f:$line: " "$SCRATCH/err"
	ok "$name: the message says what is wrong" \
	    grep -qF -- "$text" "$SCRATCH/err"
done
for f in "$top_srcdir"/tests/conf/good-*.conf "$top_srcdir/data/svcmapd.conf"; do
	name=$(basename "$f")
	# good-full.conf names catalog places of a site's: use the shipped.
	sed -e 's|^local-catalog .*|local-catalog ""|' \
	    -e "s|^data-dir .*|data-dir $SVCMAP_DATA|" "$f" > "$SCRATCH/good.conf"
	"$SVCMAPD" -t -c "$SCRATCH/good.conf" >"$SCRATCH/out" 2>&1
	is "$?" 0 "$name: exit 0"
	ok "$name: says OK and counts the catalog" \
	    grep -q "^configuration OK: .* services" "$SCRATCH/out"
done

"$SVCMAPD" -t -c "$SCRATCH/absent.conf" 2>"$SCRATCH/err"
is "$?" 1 "a missing file: exit 1"
ok "a missing file: \"file: reason\"" \
    grep -qF "$SCRATCH/absent.conf: No such file or directory" "$SCRATCH/err"

# -t loads the catalogs too: a broken local catalog is a broken config.
printf 'service bad\n' > "$SCRATCH/local.catalog"
printf 'local-catalog %s\n' "$SCRATCH/local.catalog" > "$SCRATCH/lc.conf"
"$SVCMAPD" -t -c "$SCRATCH/lc.conf" 2>"$SCRATCH/err"
is "$?" 1 "a broken local catalog: exit 1"
ok "a broken local catalog: \"file:line:\"" \
    grep -qF "$SCRATCH/local.catalog:1:" "$SCRATCH/err"
"$SVCMAPD" -t -c /dev/null --data-dir "$SCRATCH/nowhere" 2>"$SCRATCH/err"
is "$?" 1 "a missing data directory: exit 1"

# Command-line values get the file's checks.
"$SVCMAPD" -t -c /dev/null --api 127.0.0.1:99999 2>"$SCRATCH/err"
is "$?" 1 "--api with a bad port: exit 1"
ok "--api: the option is named" grep -q -- "--api" "$SCRATCH/err"
"$SVCMAPD" -t -c /dev/null --api localhost:8135 2>"$SCRATCH/err"
is "$?" 1 "--api with a host name: exit 1 (numeric only)"
ok "--api off accepted" "$SVCMAPD" -t -c /dev/null --api off
ok "--api [::1]:8135 accepted" "$SVCMAPD" -t -c /dev/null --api '[::1]:8135'
is "$("$SVCMAPD" -p -c /dev/null --api 127.0.0.1:9000 | grep '^api-listen')" \
    "api-listen 127.0.0.1:9000" "--api overrides api-listen"

# A daemon on a bad config stops before creating its database.
printf 'database %s/d.db\nsnaplen 10\n' "$SCRATCH" > "$SCRATCH/bad.conf"
"$SVCMAPD" -c "$SCRATCH/bad.conf" -r /dev/null 2>"$SCRATCH/err"
is "$?" 1 "svcmapd on a bad config: exit 1"
ok "svcmapd on a bad config: file:line" grep -qF "$SCRATCH/bad.conf:2:" "$SCRATCH/err"
ok "svcmapd on a bad config: no database created" test ! -e "$SCRATCH/d.db"
"$SVCMAPD" -c /dev/null -d "$SCRATCH/e.db" -r x -i lo 2>/dev/null
is "$?" 2 "-r and -i together: usage error"
"$SVCMAPD" -c /dev/null -d "$SCRATCH/e.db" 2>"$SCRATCH/err"
is "$?" 2 "no input at all: usage error"
ok "no input: says what to give" grep -q "nothing to read" "$SCRATCH/err"
done_testing
