#!/bin/sh
# Benchmark svcmapd against a bare libpcap read loop and ndpiReader on the
# same large capture (docs/benchmark.md).  Usage: bench.sh BUILDDIR
#
# The capture is built once into $BENCH_DIR (default /tmp/svcmap-bench)
# from the Ethernet captures in $SVCMAP_PCAPS; delete it to rebuild.  The
# result is informational: targets are reported PASS or MISS and the
# script exits 0 either way, or skips when a tool it needs is missing.

set -u
b=${1:?usage: bench.sh BUILDDIR}
BENCH_DIR=${BENCH_DIR:-/tmp/svcmap-bench}
BENCH_PACKETS=${BENCH_PACKETS:-1000000}
# Longest gap kept between two packets, microseconds (bench-mkcap -g).
BENCH_GAP_US=${BENCH_GAP_US:-1000000}
# Rounds of runs (each tool once a round); the run with the median CPU
# time is reported, so that one run disturbed by other work on the
# machine does not decide.
BENCH_RUNS=${BENCH_RUNS:-5}
pcaps=${SVCMAP_PCAPS:-}
cap=$BENCH_DIR/bench-$BENCH_PACKETS-$BENCH_GAP_US.pcap
TIME=/usr/bin/time

skip() { echo "bench: SKIP: $*"; exit 0; }
die() { echo "bench: $*" >&2; exit 1; }

[ -x "$TIME" ] || skip "needs GNU time ($TIME, Debian package 'time')"
command -v ndpiReader >/dev/null 2>&1 ||
	skip "needs ndpiReader (Debian package 'libndpi-bin')"
mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"

if [ ! -s "$cap" ]; then
	[ -d "$pcaps" ] || skip "no shared captures (set SVCMAP_PCAPS)"
	# Sorted in the C locale: the capture depends only on the inputs.
	set -- $(LC_ALL=C ls "$pcaps"/*.pcap "$pcaps"/*.pcapng 2>/dev/null)
	[ $# -gt 0 ] || skip "no captures in $pcaps"
	echo "bench: building $cap from $# captures"
	"$b/tests/bench-mkcap" -n "$BENCH_PACKETS" -g "$BENCH_GAP_US" \
	    "$cap.tmp" "$@" || die "bench-mkcap failed"
	mv "$cap.tmp" "$cap"
fi

# once NAME PRE CMD...: run the shell command PRE (a fresh database), then
# time CMD once, its output to $BENCH_DIR/NAME.out, and append
# "wall user sys maxrss_kib" to $BENCH_DIR/NAME.runs.
once() {
	n=$1 pre=$2
	shift 2
	eval "$pre"
	"$TIME" -f '%e %U %S %M' -o "$BENCH_DIR/$n.time" "$@" \
	    >"$BENCH_DIR/$n.out" 2>&1 || die "$n failed: see $BENCH_DIR/$n.out"
	cat "$BENCH_DIR/$n.time" >>"$BENCH_DIR/$n.runs"
}

# median NAME: the run with the median CPU time (user + sys) to
# $BENCH_DIR/NAME.time.
median() {
	awk '{ print $2 + $3, $0 }' "$BENCH_DIR/$1.runs" | sort -n |
	    awk -v m=$(((BENCH_RUNS + 1) / 2)) 'NR == m { $1 = ""; print }' \
	    >"$BENCH_DIR/$1.time"
	echo "bench: $1: CPU s of each run:" $(awk '{ print $2 + $3 }' \
	    "$BENCH_DIR/$1.runs")
}

case $BENCH_RUNS in
''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number" ;;
esac
# The targets are for the defaults; "outbound" shows what nDPI on
# monitored hosts' flows to outside servers costs on top (svcmapd.conf(5)).
printf 'dpi-outbound yes\n' >"$BENCH_DIR/outbound.conf"
tools="bare ndpiReader svcmapd outbound"
for t in $tools; do
	: >"$BENCH_DIR/$t.runs"
done
# Round by round, each tool once a round, so that a slow spell of this
# shared machine falls on every tool alike rather than on one.
i=0
while [ "$i" -lt "$BENCH_RUNS" ]; do
	i=$((i + 1))
	echo "bench: round $i of $BENCH_RUNS"
	once bare : "$b/tests/bench-bare" "$cap"
	# -q drops the summary; -w still writes the per-protocol packet
	# counts, which prove ndpiReader read the whole file.
	once ndpiReader 'rm -f "$BENCH_DIR/ndpi.txt"' \
	    ndpiReader -i "$cap" -q -w "$BENCH_DIR/ndpi.txt"
	once svcmapd 'rm -f "$BENCH_DIR"/bench.db*' \
	    "$b/svcmapd" -c /dev/null -r "$cap" -d "$BENCH_DIR/bench.db"
	once outbound 'rm -f "$BENCH_DIR"/bench.db*' \
	    "$b/svcmapd" -c "$BENCH_DIR/outbound.conf" -r "$cap" \
	    -d "$BENCH_DIR/bench.db"
done
for t in $tools; do
	median "$t"
done

pk_bare=$(awk '$1 == "packets" { print $2 }' "$BENCH_DIR/bare.out")
pk_ndpi=$(awk -F '\t' 'NF == 4 && $2 ~ /^[0-9]+$/ { s += $2 }
    END { print s + 0 }' "$BENCH_DIR/ndpi.txt")
pk_svc=$(awk '$1 == "packets" { print $2; exit }' "$BENCH_DIR/svcmapd.out")
pk_out=$(awk '$1 == "packets" { print $2; exit }' "$BENCH_DIR/outbound.out")
flows=$(awk '$1 == "flows" { print $2; exit }' "$BENCH_DIR/svcmapd.out")

"$b/tests/bench-sizes" >"$BENCH_DIR/sizes.out" || die "bench-sizes failed"

awk -v total="$pk_bare" -v flows="$flows" \
    -v pk_bare="$pk_bare" -v pk_ndpi="$pk_ndpi" -v pk_svc="$pk_svc" \
    -v pk_out="$pk_out" \
    -v dir="$BENCH_DIR" '
function load(name,    f) {
	f = dir "/" name ".time"
	getline line < f
	close(f)
	split(line, a, " ")
	wall[name] = a[1]; cpu[name] = a[2] + a[3]; rss[name] = a[4] / 1024
}
function row(name, pk) {
	printf "%-11s %9d %8.2f %8.2f %12.0f %10.1f %9.1f\n", name, pk,
	    wall[name], cpu[name], (wall[name] > 0 ? total / wall[name] : 0),
	    cpu[name] * 1e9 / total, rss[name]
}
# time(1) counts in 10 ms steps: a run too short to measure has no ratio.
function ratio(what, num, den, target) {
	if (den <= 0) {
		printf "%-34s    n/a  (too short to time)\n", what
		return
	}
	printf "%-34s %6.3f", what, num / den
	if (target != "")
		printf "  target <= %-5s %s", target,
		    num / den <= target ? "PASS" : "MISS"
	printf "\n"
}
BEGIN {
	load("bare"); load("ndpiReader"); load("svcmapd"); load("outbound")
	printf "capture: %d packets\n\n", total
	printf "%-11s %9s %8s %8s %12s %10s %9s\n", "tool", "packets",
	    "wall s", "CPU s", "packets/s", "ns/packet", "RSS MiB"
	row("bare", pk_bare); row("ndpiReader", pk_ndpi); row("svcmapd", pk_svc)
	row("outbound", pk_out)
	printf "(packets/s on wall time; ns/packet on CPU time, user+sys,"
	printf " both over the %d packets of the file)\n\n", total
	ratio("CPU    svcmapd / bare", cpu["svcmapd"], cpu["bare"], 8)
	ratio("CPU    svcmapd / ndpiReader", cpu["svcmapd"],
	    cpu["ndpiReader"], 0.5)
	ratio("memory svcmapd / bare", rss["svcmapd"], rss["bare"], "")
	ratio("memory svcmapd / ndpiReader", rss["svcmapd"],
	    rss["ndpiReader"], 0.25)
	printf "\nwith dpi-outbound yes (svcmapd -c, row \"outbound\"):\n"
	ratio("CPU    outbound / bare", cpu["outbound"], cpu["bare"], "")
	ratio("CPU    outbound / ndpiReader", cpu["outbound"],
	    cpu["ndpiReader"], "")
	while ((getline line < (dir "/sizes.out")) > 0) {
		split(line, a, " ")
		sz[a[1]] = a[2]
	}
	printf "\nper-flow memory: flow table slot %d B, nDPI state %d B" \
	    " (while detecting), DCE/RPC parser %d B (DCE/RPC flows only)\n",
	    sz["flow_table_slot"], sz["dpi_flow"], sz["dcerpc_flow"]
	printf "svcmapd saw %d flows: %.0f B of peak RSS per flow\n", flows,
	    (flows > 0 ? rss["svcmapd"] * 1048576 / flows : 0)
}'
