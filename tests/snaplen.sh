#!/bin/sh
# A sensor with a short snap length: shared captures cut by editcap to 68
# (and 40) bytes go through svcmapd offline and are compared with the
# whole captures.  At 68 bytes Ethernet, IPv4 and the TCP ports and flags
# are whole, so every packet lands in the same flow, on the same server
# port, with the same wire bytes (the record's original length, never the
# captured one); only evidence from payload (EPM replies, binds) is lost,
# which may leave a port undocumented but never names another service.
# Truncation is counted exactly for packets cut before their ports (TCP:
# before its flags), as tshark's header lengths say.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__dce-rpc__20-fids.pcap \
    corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap \
    elcabezzonn-Pcaps__schtasks.pcap
need_cmd jq tshark editcap
scratch

# rows DB: "service server port transport method packets bytes", sorted.
rows() {
	"$SVCMAPCTL" -d "$1" services --json --all | jq -r '[.[] |
	    "\(.service) \(.server_ip) \(.port) \(.transport) \(.method) \(.packets) \(.bytes)"]
	    | sort | .[]'
}

# by_port DB: "server port transport packets bytes" summed over services.
by_port() {
	"$SVCMAPCTL" -d "$1" services --json --all | jq -r 'group_by([.server_ip,
	    .port, .transport]) | .[] | [.[0].server_ip, .[0].port,
	    .[0].transport, ([.[].packets] | add), ([.[].bytes] | add)] | join(" ")'
}

# services DB: {"server port transport": [services]}.
services() {
	"$SVCMAPCTL" -d "$1" services --json --all | jq -c 'group_by([.server_ip,
	    .port, .transport]) | map({ key: ([.[0].server_ip, .[0].port,
	    .[0].transport] | join(" ")), value: ([.[].service] | unique) }) |
	    from_entries'
}

summary() {
	"$SVCMAPCTL" -d "$1" summary --json
}

truncated() {
	summary "$1" | jq '[.decode | to_entries[] |
	    select(.key | startswith("truncated")) | .value] | add // 0'
}

# want_truncated FILE SNAP: frames whose IP transport header is cut
# before its ports (UDP) or flags (TCP) at SNAP bytes, by tshark's reading
# of the whole file (Ethernet II, untagged IPv4 only: see covers()).
want_truncated() {
	tshark -n -r "$1" -Y "ip && !vlan && ip.frag_offset == 0 && (tcp || udp)" \
	    -T fields -e ip.hdr_len -e ip.proto 2>/dev/null |
	    awk -v s="$2" '{ fix = $2 == 6 ? 14 : 4; if (14 + $1 + fix > s) n++ }
	    END { print n + 0 }'
}

# covers FILE: the tshark oracle above sees every IP frame of FILE.
covers() {
	[ "$(tshark -n -r "$1" -Y "ipv6 || vlan || ip.flags.mf == 1 ||
	    ip.frag_offset > 0" 2>/dev/null | wc -l)" -eq 0 ]
}

wire_bytes() {
	tshark -n -r "$1" -T fields -e frame.len 2>/dev/null |
	    awk '{ n += $1 } END { print n + 0 }'
}

# cut NAME FILE SNAP: editcap FILE to SNAP bytes, classify both.
cut() {
	editcap -s "$3" -F pcap "$2" "$SCRATCH/$1.pcap" >/dev/null 2>&1
	classify "$SCRATCH/$1-full.db" "$2"
	classify "$SCRATCH/$1.db" "$SCRATCH/$1.pcap"
}

# --- SMB and DCE/RPC over named pipes.  The session is attributed by
# port, its pipe RPC by the binds inside (issue 13): a cut capture shows
# no binds, so its pipe rows fold back into the session's row, and every
# server port keeps exactly its packets and bytes.
f="$SVCMAP_PCAPS/zeek__dce-rpc__20-fids.pcap"
if [ -f "$f" ]; then
	cut fids "$f" 68
	ok "20-fids: the tshark oracle covers every frame" covers "$f"
	total=$(tshark -n -r "$f" 2>/dev/null | wc -l)
	bytes=$(wire_bytes "$f")
	is "$(summary "$SCRATCH/fids.db" | jq -c '[.packets, .bytes]')" \
	    "[$total,$bytes]" "20-fids -s 68: all $total packets, $bytes wire bytes"
	is "$(truncated "$SCRATCH/fids.db")" "$(want_truncated "$f" 68)" \
	    "20-fids -s 68: no packet truncated (headers whole)"
	is "$(by_port "$SCRATCH/fids.db")" "$(by_port "$SCRATCH/fids-full.db")" \
	    "20-fids -s 68: packets and bytes per server port as in full"
	is "$(summary "$SCRATCH/fids.db" | jq .packets_by_class.classified)" \
	    "$total" "20-fids -s 68: every packet classified"
else
	echo "ok $((tap_n += 1)) # SKIP $f not found"
fi

# --- Netlogon over an EPM-assigned port: the EPM replies are cut, so the
# dynamic port cannot be learned; everything else must hold, and the
# reassembler must count the missing data instead of misparsing it.
f="$SVCMAP_PCAPS/corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap"
if [ -f "$f" ]; then
	cut zl "$f" 68
	ok "zerologon: the tshark oracle covers every frame" covers "$f"
	is "$(truncated "$SCRATCH/zl.db")" 0 \
	    "zerologon -s 68: no packet truncated (headers whole)"
	is "$(by_port "$SCRATCH/zl.db")" "$(by_port "$SCRATCH/zl-full.db")" \
	    "zerologon -s 68: packets and bytes per server port as in full"
	# Each port's service in the cut capture is the full capture's, or
	# undocumented where only payload could tell.
	full=$(services "$SCRATCH/zl-full.db")
	got=$(services "$SCRATCH/zl.db")
	is "$(jq -n --argjson a "$full" --argjson b "$got" '[$b | to_entries[] |
	    select(.value - ($a[.key] // []) - ["undocumented"] | length > 0) |
	    .key] | join(",")')" '""' \
	    "zerologon -s 68: no port attributed to another service"
	is "$(echo "$got" | jq -c keys)" "$(echo "$full" | jq -c keys)" \
	    "zerologon -s 68: the same server ports"
	# A port-decided row does not depend on payload: it is there whole.
	# SMB's is the exception: its pipe RPC moves to pipe rows (issue 13).
	port_rows='[.[] | select(.method == "port" and .port != 445 and
	    .port != 139) | [.service, .server_ip,
	    .port, .transport, .packets, .bytes]]'
	is "$(jq -n --argjson a "$("$SVCMAPCTL" -d "$SCRATCH/zl-full.db" \
	    services --json --all | jq -c "$port_rows")" \
	    --argjson b "$("$SVCMAPCTL" -d "$SCRATCH/zl.db" services --json \
	    --all | jq -c "$port_rows")" '$a - $b | length')" 0 \
	    "zerologon -s 68: every row the catalog decides by port is unchanged"
	rpc=$(summary "$SCRATCH/zl.db" | jq -c .rpc)
	is "$(echo "$rpc" | jq -c '[.invalid, .endpoints_learned]')" "[0,0]" \
	    "zerologon -s 68: cut PDUs are not misparsed ($rpc)"
	ok "zerologon -s 68: the missing segment data is counted as gaps" \
	    [ "$(echo "$rpc" | jq .gaps)" -gt 0 ]
else
	echo "ok $((tap_n += 1)) # SKIP $f not found"
fi

# --- 40 bytes: TCP loses its flags (truncated, counted as malformed),
# UDP keeps its ports and stays attributed.
f="$SVCMAP_PCAPS/elcabezzonn-Pcaps__schtasks.pcap"
if [ -f "$f" ]; then
	cut st "$f" 40
	want=$(want_truncated "$f" 40)
	ok "schtasks: the tshark oracle covers every frame" covers "$f"
	is "$(truncated "$SCRATCH/st.db")" "$want" \
	    "schtasks -s 40: the $want TCP packets cut before their flags are truncated"
	is "$(summary "$SCRATCH/st.db" | jq .packets_by_class.malformed)" "$want" \
	    "schtasks -s 40: and counted in the malformed class"
	is "$(rows "$SCRATCH/st.db" | grep -v ' tcp ')" \
	    "$(rows "$SCRATCH/st-full.db" | grep -v ' tcp ')" \
	    "schtasks -s 40: UDP and ICMP attributed as in full"
	is "$(summary "$SCRATCH/st.db" | jq .packets)" \
	    "$(summary "$SCRATCH/st-full.db" | jq .packets)" \
	    "schtasks -s 40: every packet counted"
else
	echo "ok $((tap_n += 1)) # SKIP $f not found"
fi
done_testing
