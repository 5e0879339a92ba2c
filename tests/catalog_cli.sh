#!/bin/sh
# catalog_cli.sh - "svcmapctl catalog" against the shipped data (TAP).
#
# Checks the answers an operator relies on (who listens on 445/tcp, which
# service owns lsarpc), every fact of tests/catalog_seed_facts.tsv, the
# one-listener-per-range rule on the real files, and the exit codes.
# Needs jq.  Skips while data/services.catalog does not exist.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SVCMAP_DATA:=$top_srcdir/data}"
CTL=${SVCMAPCTL:-$top_builddir/svcmapctl}
FACTS=$top_srcdir/tests/catalog_seed_facts.tsv

if [ ! -f "$SVCMAP_DATA/services.catalog" ]; then
	echo "1..0 # SKIP $SVCMAP_DATA/services.catalog does not exist yet"
	exit 0
fi
if ! command -v jq >/dev/null 2>&1; then
	echo "1..0 # SKIP jq is not installed"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/catalog_cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# An empty configuration: no system file or site-local catalog leaks in.
: > "$tmp/empty.conf"

n=0
failed=0
ok() {	# ok <status> <description>
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

ctl() {
	"$CTL" -c "$tmp/empty.conf" --data-dir "$SVCMAP_DATA" "$@"
}

# jq -e exits 0 only when the filter's last output is true.
check() {	# check <description> <jq filter> <svcmapctl args...>
	desc=$1 filter=$2
	shift 2
	ctl "$@" --json > "$tmp/out.json" 2> "$tmp/err.txt" &&
	    jq -e "$filter" "$tmp/out.json" > /dev/null
	st=$?
	ok $st "$desc"
	[ $st -eq 0 ] || { echo "#   svcmapctl $*"; sed 's/^/#   /' \
	    "$tmp/err.txt"; }
}

check "445/tcp: the first row is the listener, server" \
    '.[0].role == "listener" and .[0].service == "server" and
     .[0].effective_listener' catalog --port 445/tcp
check "445/tcp: every row contains the port and is tcp" \
    'length > 1 and all(.[]; .transport == "tcp" and .port_low <= 445 and
     445 <= .port_high)' catalog --port 445/tcp
check "88 without a transport: kdc listens on tcp and udp" \
    '[.[] | select(.effective_listener) | "\(.transport):\(.service)"] ==
     ["tcp:kdc", "udp:kdc"]' catalog --port 88
check "--service netlogon: rows, all of netlogon" \
    'length > 0 and all(.[]; .service == "netlogon")' \
    catalog --service netlogon
check "--service netlogon: includes its RPC interface" \
    'any(.[]; .kind == "interface" and .interface == "netlogon")' \
    catalog --service netlogon
check "--uuid 12345778-...: interface lsarpc" \
    'length >= 1 and all(.[]; .interface == "lsarpc" and .version != null)' \
    catalog --uuid 12345778-1234-abcd-ef00-0123456789ab
check "--uuid in upper case finds the same interface" \
    '.[0].interface == "lsarpc"' \
    catalog --uuid 12345778-1234-ABCD-EF00-0123456789AB
check "--interfaces: at least 150 RPC interfaces" \
    'length >= 150 and all(.[]; .kind == "interface")' catalog --interfaces
check "--interfaces --service netlogon: only netlogon's" \
    'length >= 1 and all(.[]; .service == "netlogon" and
     .kind == "interface")' catalog --interfaces --service netlogon
check "port objects carry the documented fields and types" \
    'all(.[]; (.port_low | type) == "number" and (.port_high | type) ==
     "number" and (.sources | type) == "array" and
     (.role == "listener" or .role == "dependent") and
     has("service") and has("name") and has("system_service_name") and
     has("app_protocol") and has("notes"))' catalog

# The whole port listing, once, for the checks over all rows.
ctl catalog --json > "$tmp/all.json" 2> "$tmp/err.txt"
ok $? "catalog --json lists every port row"
jq -e '[.[] | select(.role == "listener") |
    [.transport, .port_low, .port_high]] | group_by(.) |
    map(select(length > 1)) | length == 0' "$tmp/all.json" > /dev/null
ok $? "one listener per exact (transport, port_low, port_high)"
jq -e 'all(.[]; (.transport == "tcp" or .transport == "udp") ==
    (.port_low > 0))' "$tmp/all.json" > /dev/null
ok $? "only tcp and udp rows have ports (others use 0)"

# Seed facts.  svcmapctl answers each single-port fact (its own listener
# choice is under test); ranges, no-port transports and absent ports are
# read from the full listing.  One jq run judges them all.
if [ -f "$FACTS" ]; then
	grep -v '^#' "$FACTS" | grep -v '^$' > "$tmp/facts"
	: > "$tmp/answers.jsonl"
	awk -F '\t' '($1 == "tcp" || $1 == "udp") && $2 ~ /^[0-9]+$/ {
	    print $1, $2 }' "$tmp/facts" | sort -u |
	while read -r t p; do
		printf '{"t":"%s","p":"%s","rows":%s}\n' "$t" "$p" \
		    "$(ctl catalog --port "$p/$t" --json)"
	done > "$tmp/answers.jsonl"
	jq -R -r --slurpfile all "$tmp/all.json" \
	    --slurpfile ans "$tmp/answers.jsonl" '
	    $all[0] as $rows |
	    (reduce $ans[] as $a ({}; .["\($a.t)/\($a.p)"] = $a.rows)) as $by |
	    def range_of: split("-") | map(tonumber) | [.[0], .[-1]];
	    def listener($t; $r): [$rows[] | select(.transport == $t and
		.role == "listener" and .port_low == $r[0] and
		.port_high == $r[1])][0].service;
	    split("\t") as $f |
	    if $f[0] == "absent" then
		($f[2] | range_of) as $r |
		[([$rows[] | select(.transport == $f[1] and
		    .port_low == $r[0] and .port_high == $r[1])] | length == 0),
		 "absent: no row for exactly \($f[2])/\($f[1]) (\($f[3]))",
		 "a row exists"]
	    else
		(if $f[1] == "-" then listener($f[0]; [0, 0])
		 elif ($f[1] | test("-")) then listener($f[0]; $f[1] | range_of)
		 else [($by["\($f[0])/\($f[1])"] // [])[] |
		     select(.effective_listener)][0].service end) as $got |
		[($got == $f[2]),
		 "fact (\($f[3])): listener of \($f[1])/\($f[0]) is \($f[2])",
		 "got \($got)"]
	    end | "\(if .[0] then 0 else 1 end)\t\(.[1])\t\(.[2])"' \
	    "$tmp/facts" > "$tmp/verdicts"
	ok $? "seed facts: $(wc -l < "$tmp/facts" | tr -d ' ') lines judged"
	tab=$(printf '\t')
	while IFS=$tab read -r st desc why; do
		ok "$st" "$desc"
		[ "$st" -eq 0 ] || echo "#   $why"
	done < "$tmp/verdicts"
else
	echo "# $FACTS is missing: seed facts not checked"
fi

# Table output: a header for people, none with -q.
ctl catalog --port 445/tcp | head -n 1 | grep -q '^SERVICE  *PORT  *ROLE'
ok $? "table output starts with a header"
"$CTL" -q -c "$tmp/empty.conf" --data-dir "$SVCMAP_DATA" catalog \
    --port 445/tcp | head -n 1 | grep -q '^server  *445/tcp  *listener'
ok $? "-q: no header, the listener first"

# Exit codes: 0 ok, 1 error, 2 usage.
status() {	# status <want> <description> <svcmapctl args...>
	want=$1 desc=$2
	shift 2
	"$CTL" -c "$tmp/empty.conf" "$@" > /dev/null 2> "$tmp/err.txt"
	got=$?
	[ "$got" -eq "$want" ]
	ok $? "exit $want: $desc"
	[ "$got" -eq "$want" ] || echo "#   got exit $got"
}
d="--data-dir $SVCMAP_DATA"
status 0 "catalog" $d catalog
status 0 "a port nobody documents (empty answer)" $d catalog --port 4/tcp
status 2 "unknown option" $d catalog --bogus
status 2 "extra argument" $d catalog 445
status 2 "port 0" $d catalog --port 0
status 2 "port 65536" $d catalog --port 65536
status 2 "port with an unknown transport" $d catalog --port 80/sctp
status 2 "port with trailing text" $d catalog --port 80x
status 2 "malformed uuid" $d catalog --uuid 12345778-1234-abcd-ef00
status 2 "unknown service key" $d catalog --service no-such-service
status 2 "--port with --interfaces" $d catalog --port 135 --interfaces
status 1 "unreadable --data-dir" --data-dir "$tmp/no-such-dir" catalog

# A broken services.catalog: exit 1 and the file:line on stderr.
mkdir "$tmp/broken"
cp "$SVCMAP_DATA/services.catalog" "$SVCMAP_DATA/rpc-interfaces.catalog" \
    "$SVCMAP_DATA/rpc-operations.catalog" "$SVCMAP_DATA/roles.catalog" \
    "$tmp/broken/"
printf 'port\tserver\ttcp\t99999\tsmb\tlistener\ten\t-\n' \
    >> "$tmp/broken/services.catalog"
line=$(wc -l < "$tmp/broken/services.catalog" | tr -d ' ')
status 1 "broken services.catalog" --data-dir "$tmp/broken" catalog
grep -q "services.catalog:$line: bad ports" "$tmp/err.txt"
ok $? "broken services.catalog: stderr names services.catalog:$line"

echo "1..$n"
[ "$failed" -eq 0 ]
