#!/bin/sh
# The README's demo: the generated AD conversation classifies as its
# generator says (tests/sample.expect), with the Net Logon and DRSUAPI
# ports learned from the EPM exchange, and nothing else is invented.
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd jq
scratch

"$top_builddir/tests/gen-sample" "$SCRATCH/sample.pcap" >/dev/null
ok "gen-sample writes a capture" test -s "$SCRATCH/sample.pcap"
db="$SCRATCH/sample.db"
ok "svcmapd classifies it" classify "$db" "$SCRATCH/sample.pcap"
rows=$("$SVCMAPCTL" -d "$db" services --all --json)

while IFS='	' read -r transport port ip service; do
	case "$transport" in ''|'#'*) continue ;; esac
	[ "$port" = "-" ] && port=0
	got=$(echo "$rows" | jq -r --arg t "$transport" --argjson p "$port" \
	    --arg ip "$ip" --arg s "$service" '[.[] | select(.transport == $t
	    and .port == $p and .server_ip == $ip and .service == $s)] | length')
	ok "$ip $port/$transport is $service" test "$got" -gt 0
done < "$top_srcdir/tests/sample.expect"

is "$(echo "$rows" | jq -r '[.[] | select(.port == 49668) | .method] | unique | join(",")')" \
    epm "49668/tcp named through the EPM reply"
is "$("$SVCMAPCTL" -d "$db" endpoints --json | jq -r \
    '[.[] | select(.source == "ept_map") | "\(.server_ip):\(.port) \(.interface)"] | sort | join(",")')" \
    "10.20.0.10:49668 drsuapi,10.20.0.10:49668 netlogon,10.20.0.10:49675 netlogon" \
    "ept_map taught netlogon on 49668 and 49675, drsuapi on 49668"
sum=$("$SVCMAPCTL" -d "$db" summary --json)
ok "non-IP packets (ARP) counted" test "$(echo "$sum" | jq .packets_by_class.non_ip)" -gt 0
ok "unmonitored packets counted" test "$(echo "$sum" | jq .packets_by_class.unmonitored)" -gt 0
is "$(echo "$sum" | jq '([.packets_by_class[]] | add) == .packets')" true "partition sums"
done_testing
