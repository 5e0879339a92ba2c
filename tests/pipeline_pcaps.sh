#!/bin/sh
# Every shared capture classifies without error; the run totals count
# exactly the packets the capture holds (MANIFEST.md, as tshark counts
# them), and the packet partition sums to that count.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps MANIFEST.md
need_cmd jq
scratch
# Every capture the manifest lists is read below: none may be missing.
# shellcheck disable=SC2046
need_captures $(awk -F'|' '{ gsub(/ /, "", $2) } $2 ~ /\.pcap(ng)?$/ { print $2 }' \
    "$SVCMAP_PCAPS/MANIFEST.md")

manifest_packets() {
	awk -F'|' -v f="$1" '{ gsub(/ /, "", $2) } $2 == f { gsub(/ /, "", $9); print $9 }' \
	    "$SVCMAP_PCAPS/MANIFEST.md"
}

for f in "$SVCMAP_PCAPS"/*.pcap "$SVCMAP_PCAPS"/*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	want=$(manifest_packets "$name")
	db="$SCRATCH/$name.db"
	ok "$name: svcmapd -r exits 0" classify "$db" "$f"
	sum=$("$SVCMAPCTL" -d "$db" summary --json)
	is "$(echo "$sum" | jq .packets)" "$want" "$name: packets read = $want"
	is "$(echo "$sum" | jq '[.packets_by_class[]] | add')" "$want" \
	    "$name: partition sums to the packets read"
	is "$(echo "$sum" | jq '.packets_by_class | keys | join(",")')" \
	    '"classified,malformed,non_ip,outbound,undocumented,unmonitored"' \
	    "$name: partition has the six classes"
	is "$(echo "$sum" | jq '.bytes == ([.bytes_by_class[]] | add)')" true \
	    "$name: byte partition sums to the bytes read"
done
done_testing
