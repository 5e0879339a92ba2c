#!/bin/sh
# svcmapctl --csv says what --json says: for every command, over the
# generated sample (which raises alerts) and real captures, the CSV
# parses back (Python's csv module) to the JSON's values, field by field
# and row by row (tests/csv_json.py); summary's CSV row is its
# name=value lines.  Plus -q, and --json with --csv.
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd jq python3
scratch

# Captures with many services, learned endpoints, DCOM.
REAL="elcabezzonn-Pcaps__aug_16_par4.pcap elcabezzonn-Pcaps__wmi_exec_2.pcap
PCAP-ATTACK__Discovery__discovery_scan_dcerpc_endpoint_mapper.pcapng"

"$top_builddir/tests/gen-sample" "$SCRATCH/sample.pcap" >/dev/null
dbs=""
ok "sample: svcmapd runs" classify "$SCRATCH/sample.db" "$SCRATCH/sample.pcap"
dbs="$SCRATCH/sample.db"
if [ -d "$SVCMAP_PCAPS" ]; then
	for cap in $REAL; do
		if [ ! -f "$SVCMAP_PCAPS/$cap" ]; then
			ok "$cap: capture present in $SVCMAP_PCAPS" false
			continue
		fi
		ok "$cap: svcmapd runs" classify "$SCRATCH/$cap.db" \
		    "$SVCMAP_PCAPS/$cap"
		dbs="$dbs $SCRATCH/$cap.db"
	done
fi

# same NAME [--ordered] ARGS...: svcmapctl ARGS --csv against ARGS --json.
same() {
	_name=$1 _ord=
	shift
	if [ "$1" = --ordered ]; then
		_ord=--ordered
		shift
	fi
	"$SVCMAPCTL" -c /dev/null "$@" --json >"$SCRATCH/j" &&
	    "$SVCMAPCTL" -c /dev/null "$@" --csv >"$SCRATCH/c" ||
	    { ok "$_name: svcmapctl $* runs" false; return; }
	ok "$_name: $* --csv has the values of --json ($(jq length \
	    "$SCRATCH/j") rows)" python3 "$top_srcdir/tests/csv_json.py" \
	    $_ord "$SCRATCH/c" "$SCRATCH/j"
}

for db in $dbs; do
	name=$(basename "$db" .db)
	for q in "services --all" services hosts endpoints alerts; do
		# shellcheck disable=SC2086
		same "$name" --ordered -d "$db" $q
	done
	# summary: one row; its header and cells are the name=value lines.
	"$SVCMAPCTL" -d "$db" summary --csv >"$SCRATCH/sc"
	"$SVCMAPCTL" -d "$db" summary >"$SCRATCH/kv"
	is "$(python3 -c 'import csv, sys
r = list(csv.reader(open(sys.argv[1], newline="")))
print("\n".join("%s=%s" % (k, v or "-") for k, v in zip(r[0], r[1])))' \
	    "$SCRATCH/sc")" "$(cat "$SCRATCH/kv")" \
	    "$name: summary --csv is its name=value lines"
	is "$(python3 -c 'import csv, sys
r = list(csv.DictReader(open(sys.argv[1], newline="")))
print(r[0]["packets"], r[0]["flows.classified"], len(r))' "$SCRATCH/sc")" \
	    "$("$SVCMAPCTL" -d "$db" summary --json |
	    jq -r '"\(.packets) \(.flows_by_class.classified) 1"')" \
	    "$name: summary --csv agrees with its JSON"
done

for q in "" "--port 445" "--port 88/udp" "--service netlogon" \
    "--interfaces" "--uuid 12345678-1234-abcd-ef00-01234567cffb"; do
	# shellcheck disable=SC2086
	same catalog catalog $q
done

db="$SCRATCH/sample.db"
n=$("$SVCMAPCTL" -d "$db" services --all --json | jq length)
is "$("$SVCMAPCTL" -d "$db" services --all --csv | wc -l | tr -d ' ')" \
    "$((n + 1))" "services --csv: a header row and one row per service"
is "$("$SVCMAPCTL" -q -d "$db" services --all --csv | wc -l | tr -d ' ')" \
    "$n" "-q drops the CSV header row"
is "$("$SVCMAPCTL" -d "$db" hosts --csv | head -1)" \
    "sensor,ip,first_seen,last_seen,services,flows,packets,bytes,name,names,roles" \
    "hosts --csv header: the JSON keys"
"$SVCMAPCTL" -d "$db" services --json --csv >/dev/null 2>"$SCRATCH/err"
is "$?" 2 "--json with --csv: usage error"
ok "--json with --csv: says so" grep -q "do not combine" "$SCRATCH/err"
# RFC 4180: a cell with a comma or a quote is quoted, quotes doubled.
"$SVCMAPCTL" -c /dev/null catalog --csv >"$SCRATCH/cat.csv"
ok "catalog --csv quotes a cell with a comma" \
    grep -q '^port,.*,"[^"]*,[^"]*"' "$SCRATCH/cat.csv"
done_testing
