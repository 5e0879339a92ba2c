#!/bin/sh
# Golden outputs, tcpdump TESTLIST style: every shared capture is
# classified into a fresh database and each query's JSON is compared with
# the committed file under tests/expected/CAPTURE/.  A difference fails
# with a diff.  The files are a contract: a commit that changes one says
# which rule changed it and, where counts move, how tshark confirms them.
#
#   tests/expected.sh                  check every line of TESTLIST
#   tests/expected.sh --update [NAME]  rewrite the expected files (all, or
#                                      the captures named)
#
# TESTLIST lines: CAPTURE [svcmapd option ...]; '#' starts a comment.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd jq

EXPECTED="$top_srcdir/tests/expected"
TESTLIST="$EXPECTED/TESTLIST"
# The queries whose output is kept; each file is named after its query.
QUERY_FILES="services hosts endpoints alerts summary operations outbound"
# svcmapctl arguments of a query.
query_args() {
	case $1 in
	services) echo "services --all" ;;
	*) echo "$1" ;;
	esac
}

update=false
if [ "${1:-}" = "--update" ]; then
	update=true
	shift
fi
scratch

# The records name their sensor; the default is the host name, so the
# golden files are written by a sensor of a fixed name.
printf 'sensor golden\n' >"$SCRATCH/golden.conf"

# run CAPTURE OUTDIR [OPTION ...]: classify into a fresh database and
# write each query's JSON, pretty-printed in the order the fields come
# (jq keeps it), into OUTDIR.
run() {
	_cap=$1 _out=$2
	shift 2
	_db="$SCRATCH/run.db"
	rm -f "$_db" "$_db-wal" "$_db-shm"
	mkdir -p "$_out"
	"$SVCMAPD" -c "$SCRATCH/golden.conf" -d "$_db" \
	    -r "$SVCMAP_PCAPS/$_cap" "$@" \
	    >/dev/null 2>"$SCRATCH/stderr" || return 1
	for _q in $QUERY_FILES; do
		# shellcheck disable=SC2046
		"$SVCMAPCTL" -d "$_db" $(query_args "$_q") --json >"$SCRATCH/q" &&
		    jq . "$SCRATCH/q" >"$_out/$_q.json" || return 1
	done
}

# The list names every shared capture, so a new one gets golden files.
$update || for f in "$SVCMAP_PCAPS"/*.pcap "$SVCMAP_PCAPS"/*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	ok "TESTLIST names $name" grep -q "^$name\\( \\|\$\\)" "$TESTLIST"
done

# check NAME: one TAP line; a failure prints the file's diff.
check_file() {
	tap_n=$((tap_n + 1))
	if diff -u "$1" "$2" >"$SCRATCH/diff" 2>&1; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3 differs from tests/expected"
		head -80 "$SCRATCH/diff" | sed 's/^/# /'
		tap_failed=$((tap_failed + 1))
	fi
}

grep -v '^#' "$TESTLIST" >"$SCRATCH/list"
while read -r cap opts; do
	[ -n "$cap" ] || continue
	if $update && [ $# -gt 0 ]; then
		case " $* " in *" $cap "*) ;; *) continue ;; esac
	fi
	# A listed capture that is missing fails: the list is the contract.
	if [ ! -f "$SVCMAP_PCAPS/$cap" ]; then
		ok "$cap: capture present in $SVCMAP_PCAPS" false
		continue
	fi
	if $update; then
		# shellcheck disable=SC2086
		if run "$cap" "$EXPECTED/$cap" $opts; then
			echo "updated $cap" >&2
		else
			echo "update failed: $cap" >&2
			cat "$SCRATCH/stderr" >&2
		fi
		continue
	fi
	got="$SCRATCH/got/$cap"
	# shellcheck disable=SC2086
	if ! run "$cap" "$got" $opts; then
		ok "$cap: svcmapd and svcmapctl run" false
		sed 's/^/# /' "$SCRATCH/stderr"
		continue
	fi
	for q in $QUERY_FILES; do
		check_file "$EXPECTED/$cap/$q.json" "$got/$q.json" "$cap: $q"
	done
done <"$SCRATCH/list"

$update && exit 0
done_testing
