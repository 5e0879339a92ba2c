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
	# Its interfaces make -t check a live start's outputs and user too:
	# point those at places this machine has.
	sed -e 's|^local-catalog .*|local-catalog ""|' \
	    -e "s|^data-dir .*|data-dir $SVCMAP_DATA|" \
	    -e "s|^database .*|database $SCRATCH/good.db|" \
	    -e "s|^alert-jsonl .*|alert-jsonl $SCRATCH/alerts.jsonl|" \
	    -e "s|^pidfile .*|pidfile $SCRATCH/svcmapd.pid|" \
	    -e 's|^user .*|user ""|' "$f" > "$SCRATCH/good.conf"
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

# A configuration path that is not a regular file fails at once: a FIFO
# with no writer and /dev/zero once hung -t (and a SIGHUP) for ever.
mkfifo "$SCRATCH/fifo.conf"
timeout 10 "$SVCMAPD" -t -c "$SCRATCH/fifo.conf" 2>"$SCRATCH/err"
is "$?" 1 "a FIFO as the configuration: exit 1, no hang"
ok "a FIFO: \"not a regular file\"" \
    grep -qF "$SCRATCH/fifo.conf: not a regular file" "$SCRATCH/err"
timeout 10 "$SVCMAPD" -t -c /dev/zero 2>"$SCRATCH/err"
is "$?" 1 "/dev/zero as the configuration: exit 1, no hang"
head -c 1100000 /dev/zero | tr '\0' '#' >"$SCRATCH/huge.conf"
"$SVCMAPD" -t -c "$SCRATCH/huge.conf" 2>"$SCRATCH/err"
is "$?" 1 "a 1.1 MB configuration: exit 1"
ok "a 1.1 MB configuration: the bound is named" \
    grep -qF "larger than 1048576 bytes" "$SCRATCH/err"
printf 'local-catalog %s\n' "$SCRATCH/fifo.conf" >"$SCRATCH/lfifo.conf"
timeout 10 "$SVCMAPD" -t -c "$SCRATCH/lfifo.conf" 2>"$SCRATCH/err"
is "$?" 1 "a FIFO as the local catalog: exit 1, no hang"

# The filter compiles, as a start would compile it.
"$SVCMAPD" -t -c /dev/null -f "not port" 2>"$SCRATCH/err"
is "$?" 1 "a BPF syntax error: exit 1"
ok "a BPF syntax error: the filter is named" \
    grep -qF 'bpf-filter "not port"' "$SCRATCH/err"
printf 'interface svcmap-absent0\nbpf-filter tcp port 445\nuser ""\ndatabase %s/x.db\n' \
    "$SCRATCH" >"$SCRATCH/absent-if.conf"
"$SVCMAPD" -t -c "$SCRATCH/absent-if.conf" 2>"$SCRATCH/err"
is "$?" 0 "an absent interface: exit 0 (it may come later)"
ok "an absent interface: the filter is checked for Ethernet" \
    grep -qF "interface svcmap-absent0: no such interface (yet): filter checked for Ethernet" \
    "$SCRATCH/err"
printf 'interface svcmap-absent0\nbpf-filter ether[0] = 1 and\nuser ""\ndatabase %s/x.db\n' \
    "$SCRATCH" >"$SCRATCH/absent-bad.conf"
"$SVCMAPD" -t -c "$SCRATCH/absent-bad.conf" 2>"$SCRATCH/err"
is "$?" 1 "an absent interface and a bad filter: exit 1"

# A live start's outputs and user (interfaces configured).
printf 'interface lo\nuser ""\ndatabase %s/nodir/x.db\n' "$SCRATCH" \
    >"$SCRATCH/nodir.conf"
"$SVCMAPD" -t -c "$SCRATCH/nodir.conf" 2>"$SCRATCH/err"
is "$?" 1 "a database in a missing directory: exit 1"
ok "a database in a missing directory: named" \
    grep -qF "database $SCRATCH/nodir/x.db: directory $SCRATCH/nodir not writable" \
    "$SCRATCH/err"
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
	printf 'interface lo\nuser svcmap-no-such-user\ndatabase %s/x.db\n' \
	    "$SCRATCH" >"$SCRATCH/nouser.conf"
	"$SVCMAPD" -t -c "$SCRATCH/nouser.conf" 2>"$SCRATCH/err"
	is "$?" 1 "a user that does not exist (checked as root): exit 1"
	ok "a missing user: named" \
	    grep -qF 'user "svcmap-no-such-user" does not exist' "$SCRATCH/err"
	"$SVCMAPD" -c "$SCRATCH/nouser.conf" -d "$SCRATCH/nouser.db" 2>"$SCRATCH/err"
	is "$?" 1 "a start as root with a missing user: exit 1, not root"
	# The scratch directory is root's (0700): nobody cannot write in it,
	# but can in a sticky world-writable one.
	mkdir "$SCRATCH/pub" && chmod 1777 "$SCRATCH/pub" && chmod 0711 "$SCRATCH"
	printf 'interface lo\nuser nobody\ndatabase %s/pub/x.db\nalert-jsonl %s/alerts.jsonl\n' \
	    "$SCRATCH" "$SCRATCH" >"$SCRATCH/alerts-ro.conf"
	"$SVCMAPD" -t -c "$SCRATCH/alerts-ro.conf" 2>"$SCRATCH/err"
	is "$?" 1 "an alert file the user cannot write: exit 1"
	ok "an alert file the user cannot write: named, with the user" \
	    grep -qF "alert-jsonl $SCRATCH/alerts.jsonl: directory $SCRATCH not writable by user nobody" \
	    "$SCRATCH/err"
	printf 'interface lo\nuser nobody\ndatabase %s/pub/x.db\nalert-jsonl %s/pub/alerts.jsonl\n' \
	    "$SCRATCH" "$SCRATCH" >"$SCRATCH/alerts-ok.conf"
	ok "outputs the user can write: exit 0" \
	    "$SVCMAPD" -t -c "$SCRATCH/alerts-ok.conf"
	chmod 0700 "$SCRATCH"
else
	echo "ok $((tap_n += 1)) # SKIP user checks need root and the nobody user"
fi

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
