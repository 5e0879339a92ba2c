#!/bin/sh
# Hostile input end to end, generated from a shared capture by
# tests/gen-hostile: a random SYN/UDP flood through a 2048-flow table with
# a real SMB conversation inside it, a capture cut to a 60-byte snaplen,
# and a capture with a corrupt record header in the middle.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd jq tshark
scratch

GEN="$top_builddir/tests/gen-hostile"
SMB="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
[ -f "$SMB" ] || skip_all "$SMB not found"
SMB_PKTS=$(tshark -n -r "$SMB" -Y "tcp.port == 445" 2>/dev/null | wc -l)
SMB_SERVER=$(tshark -n -r "$SMB" -Y "tcp.dstport == 445" -T fields -e ip.dst \
    2>/dev/null | head -n 1)

summary() {
	"$SVCMAPCTL" -d "$1" summary --json
}

# The partition: every packet in exactly one class.
partition_ok() {
	summary "$1" | jq -e '([.packets_by_class[]] | add) == .packets'
}

# --- flood: 300k random SYNs/UDP datagrams plus the SMB conversation.
"$GEN" flood "$SMB" "$SCRATCH/flood.pcap" 300000 >"$SCRATCH/flood.out"
total=$(awk '{ print $6 }' "$SCRATCH/flood.out")
printf 'flow-capacity 2048\n' >"$SCRATCH/small.conf"
db="$SCRATCH/flood.db"
# Under AddressSanitizer peak RSS measures its shadow memory, not ours.
if [ -x /usr/bin/time ] && ! grep -q __asan_init "$SVCMAPD"; then
	/usr/bin/time -f %M -o "$SCRATCH/rss" "$SVCMAPD" -c "$SCRATCH/small.conf" \
	    -d "$db" -r "$SCRATCH/flood.pcap" >/dev/null 2>"$SCRATCH/flood.err"
else
	"$SVCMAPD" -c "$SCRATCH/small.conf" -d "$db" -r "$SCRATCH/flood.pcap" \
	    >/dev/null 2>"$SCRATCH/flood.err"
fi
is "$?" 0 "flood: svcmapd exits 0"
is "$(summary "$db" | jq .packets)" "$total" "flood: every packet ($total) is counted"
ok "flood: the packet classes partition the packets" partition_ok "$db"
ok "flood: a 2048-flow table under 300k flows evicts" \
    sh -c "'$SVCMAPCTL' -d '$db' summary --json | jq -e '.flows_evicted > 0'"
rows=$("$SVCMAPCTL" -d "$db" services --json --all | jq -c --arg ip "$SMB_SERVER" \
    '[.[] | select(.server_ip == $ip and .port == 445 and .transport == "tcp")]')
is "$(echo "$rows" | jq -r '[.[].service] | unique | join(",")')" server \
    "flood: the real SMB server $SMB_SERVER is still 'server' on 445/tcp"
is "$(echo "$rows" | jq '[.[].packets] | add')" "$SMB_PKTS" \
    "flood: all $SMB_PKTS SMB packets are attributed despite evictions"
if [ -s "$SCRATCH/rss" ]; then
	rss=$(tail -n 1 "$SCRATCH/rss")
	ok "flood: peak RSS ${rss} KiB stays below 200 MiB" [ "$rss" -lt 204800 ]
else
	echo "ok $((tap_n += 1)) # SKIP RSS not measured (no /usr/bin/time, or a sanitizer build)"
fi

# --- a 60-byte snaplen: every packet counted, the cut ones as truncated.
"$GEN" trunc "$SMB" "$SCRATCH/trunc.pcap" >"$SCRATCH/trunc.out"
cut=$(awk '{ print $4 }' "$SCRATCH/trunc.out")
db="$SCRATCH/trunc.db"
"$SVCMAPD" -c /dev/null -d "$db" -r "$SCRATCH/trunc.pcap" >/dev/null 2>&1
is "$?" 0 "snaplen 60: svcmapd exits 0"
is "$(summary "$db" | jq .packets)" "$SMB_PKTS" "snaplen 60: every packet is counted"
ok "snaplen 60: the packet classes partition the packets" partition_ok "$db"
is "$(summary "$db" | jq '[.decode | to_entries[] | select(.key | startswith("truncated")) | .value] | add')" \
    "$cut" "snaplen 60: the $cut cut packets are counted as truncated"

# --- a corrupt record header after 20 records.
"$GEN" corrupt "$SMB" "$SCRATCH/corrupt.pcap" 20 >/dev/null
db="$SCRATCH/corrupt.db"
"$SVCMAPD" -c /dev/null -d "$db" -r "$SCRATCH/corrupt.pcap" >/dev/null \
    2>"$SCRATCH/corrupt.err"
rc=$?
ok "corrupt record: svcmapd exits non-zero (got $rc)" [ "$rc" -ne 0 ]
ok "corrupt record: the message names the file and the corrupt record" \
    grep -q "corrupt.pcap: corrupt record after 20 packets" "$SCRATCH/corrupt.err"
is "$(summary "$db" | jq .packets)" 20 "corrupt record: the 20 records before it are stored"
done_testing
