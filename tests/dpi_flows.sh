#!/bin/sh
# dpi_flows.sh - dpi-max-flows bounds the flows that hold nDPI state
# (issue 18, memory).  The cap may only cost nDPI's verdict: on the
# shared captures with the most flows, a run with dpi-max-flows 1 must
# attribute every packet and byte to the same rows as the default run
# (services --all --json equal once the protocol column is dropped), count
# the flows it kept from nDPI, and never hold state for more than one.
# The default (65536) is above these captures' flow counts (tshark -q
# -z conv,tcp -z conv,udp: 257 + 3,526, 1,562 + 0 and 92 + 2,282
# conversations), so it skips nothing.
. "${top_srcdir:-.}/tests/lib.sh"
CAPS="elcabezzonn-Pcaps__capture-Thu-11-24-16-10-28-11_cerber.pcap
corelight-zerologon__CVE-2020-1472_test_win2016.pcap
elcabezzonn-Pcaps__ultra_lab_03-14.pcap"
# shellcheck disable=SC2086
need_pcaps $CAPS
need_cmd jq sqlite3
scratch

counter() {
	sqlite3 "$1" "SELECT value FROM run_counters WHERE name = '$2'"
}

printf 'dpi-max-flows 1\n' >"$SCRATCH/cap1.conf"
for c in $CAPS; do
	classify "$SCRATCH/def.db" "$SVCMAP_PCAPS/$c"
	"$SVCMAPD" -c "$SCRATCH/cap1.conf" -d "$SCRATCH/cap1.db" \
	    -r "$SVCMAP_PCAPS/$c" >/dev/null 2>&1
	is "$(counter "$SCRATCH/def.db" dpi_skipped)" 0 \
	    "$c: the default cap skips no flow"
	skipped=$(counter "$SCRATCH/cap1.db" dpi_skipped)
	ok "$c: dpi-max-flows 1 keeps flows from nDPI ($skipped)" \
	    [ "${skipped:-0}" -gt 0 ]
	ok "$c: at most one flow holds nDPI state at the end" \
	    [ "$(counter "$SCRATCH/cap1.db" dpi_flows)" -le 1 ]
	for db in def cap1; do
		"$SVCMAPCTL" -d "$SCRATCH/$db.db" services --all --json |
		    jq -S '[.[] | del(.protocol, .protocols, .application)]' \
		    >"$SCRATCH/$db.json"
	done
	ok "$c: the same rows, packets and bytes with and without the cap" \
	    cmp -s "$SCRATCH/def.json" "$SCRATCH/cap1.json"
	rm -f "$SCRATCH"/def.db* "$SCRATCH"/cap1.db*
done
done_testing
