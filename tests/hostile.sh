#!/bin/sh
# Hostile input end to end, generated from shared captures by
# tests/gen-hostile: a random SYN/UDP flood through a 2048-flow table with
# a real SMB conversation inside it, a capture cut to a 60-byte snaplen,
# a capture with a corrupt record header in the middle, and DCE/RPC
# conversations with retransmitted and conflicting overlapping segments
# next to connections carrying PDUs with absurd lengths.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__smb__smb3.pcap \
    corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap
need_cmd jq tshark
scratch

GEN="$top_builddir/tests/gen-hostile"
SMB="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
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

# --- a 60-byte snaplen: every packet counted and, since 60 bytes hold
# Ethernet, IPv4 and the TCP ports and flags, attributed as in full.
"$GEN" trunc "$SMB" "$SCRATCH/trunc.pcap" >"$SCRATCH/trunc.out"
cut=$(awk '{ print $4 }' "$SCRATCH/trunc.out")
smb_bytes=$(tshark -n -r "$SMB" -Y "tcp.port == 445" -T fields -e frame.len \
    2>/dev/null | awk '{ n += $1 } END { print n + 0 }')
db="$SCRATCH/trunc.db"
"$SVCMAPD" -c /dev/null -d "$db" -r "$SCRATCH/trunc.pcap" >/dev/null 2>&1
is "$?" 0 "snaplen 60: svcmapd exits 0"
is "$(summary "$db" | jq .packets)" "$SMB_PKTS" "snaplen 60: every packet is counted"
ok "snaplen 60: the packet classes partition the packets" partition_ok "$db"
is "$(summary "$db" | jq '[.decode | to_entries[] | select(.key | startswith("truncated")) | .value] | add // 0')" \
    0 "snaplen 60: none of the $cut cut packets is truncated (ports and flags whole)"
is "$("$SVCMAPCTL" -d "$db" services --json | jq -r --arg ip "$SMB_SERVER" \
    '[.[] | select(.server_ip == $ip and .port == 445)] | "\(.[0].service) \([.[].packets] | add) \([.[].bytes] | add)"')" \
    "server $SMB_PKTS $smb_bytes" \
    "snaplen 60: all $SMB_PKTS packets, $smb_bytes wire bytes, to 'server' on 445/tcp"

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

# --- DCE/RPC: every other data segment retransmitted or split into two
# overlapping halves whose overlap is garbage in the second copy, plus
# one connection per PDU with an absurd length.  The first copy of a
# byte is the one kept, so the EPM replies and binds parse as in the
# original; the absurd PDUs are counted; nothing moves to another
# service.  A 16k fragment bound makes frag_length 0xffff exceed it.
RPC="$SVCMAP_PCAPS/corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap"
if [ -f "$RPC" ]; then
	"$GEN" rpc "$RPC" "$SCRATCH/rpc.pcap" >"$SCRATCH/rpc.out"
	total=$(awk '{ print $10 }' "$SCRATCH/rpc.out")
	nbad=$(awk '{ print $8 }' "$SCRATCH/rpc.out")
	printf 'rpc-max-fragment 16k\n' >"$SCRATCH/rpc.conf"
	"$SVCMAPD" -c "$SCRATCH/rpc.conf" -d "$SCRATCH/orig.db" -r "$RPC" \
	    >/dev/null 2>&1
	db="$SCRATCH/rpc.db"
	"$SVCMAPD" -c "$SCRATCH/rpc.conf" -d "$db" -r "$SCRATCH/rpc.pcap" \
	    >/dev/null 2>&1
	is "$?" 0 "rpc: svcmapd exits 0"
	is "$(summary "$db" | jq .packets)" "$total" "rpc: every packet ($total) is counted"
	ok "rpc: the packet classes partition the packets" partition_ok "$db"
	orig=$(summary "$SCRATCH/orig.db" | jq -c .rpc)
	got=$(summary "$db" | jq -c .rpc)
	is "$(echo "$got" | jq -c '[.epm_replies, .endpoints_learned, .gaps]')" \
	    "$(echo "$orig" | jq -c '[.epm_replies, .endpoints_learned, .gaps]')" \
	    "rpc: EPM replies, learned endpoints, gaps as in the original ($orig)"
	is "$(( $(echo "$got" | jq '.invalid + .truncated') - \
	    $(echo "$orig" | jq '.invalid + .truncated') ))" "$nbad" \
	    "rpc: each of the $nbad absurd PDUs is counted invalid or truncated"
	ok "rpc: frag_length past the bound and the lying header fields are invalid" \
	    [ "$(echo "$got" | jq .invalid)" -ge 3 ]
	rows='[.[] | "\(.server_ip) \(.port) \(.transport) \(.service)"] | unique | .[]'
	"$SVCMAPCTL" -d "$SCRATCH/orig.db" services --json --all | jq -r "$rows" \
	    >"$SCRATCH/orig.rows"
	"$SVCMAPCTL" -d "$db" services --json --all | jq -r "$rows" >"$SCRATCH/rpc.rows"
	is "$(cat "$SCRATCH/rpc.rows")" "$(cat "$SCRATCH/orig.rows")" \
	    "rpc: every server port keeps the original's service"
	m='[.[] | select(.method == "epm" or .method == "bind") | "\(.server_ip) \(.port) \(.service) \(.method)"] | unique | .[]'
	is "$("$SVCMAPCTL" -d "$db" services --json --all | jq -r "$m")" \
	    "$("$SVCMAPCTL" -d "$SCRATCH/orig.db" services --json --all | jq -r "$m")" \
	    "rpc: the EPM-learned and bound attributions survive"
	bad=0
	while read -r ip port tr svc; do
		want=$(tshark -n -r "$SCRATCH/rpc.pcap" \
		    -Y "ip.addr == $ip && $tr.port == $port" 2>/dev/null | wc -l)
		got=$("$SVCMAPCTL" -d "$db" services --json --all | jq --arg ip "$ip" \
		    --argjson p "$port" '[.[] | select(.server_ip == $ip and .port == $p) | .packets] | add')
		[ "$got" -eq "$want" ] || { bad=$((bad + 1)); echo "# $ip $port $tr $svc: $got, tshark $want"; }
	done <"$SCRATCH/rpc.rows"
	is "$bad" 0 "rpc: each server port's packets match tshark's count"
else
	echo "ok $((tap_n += 1)) # SKIP $RPC not found"
fi
done_testing
