#!/bin/sh
# Issue 14 items 1 and 6 on the shared captures, tshark as the oracle of
# every count (per capture, below): flows already running when the
# capture starts, endpoints learned after their flows began, the
# unmapped_dynamic_port grace period, and ports that carry no DCE/RPC.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__dce-rpc__mapi.pcap nDPI__kerberos.pcap
need_cmd jq tshark
scratch

P=$SVCMAP_PCAPS

# rows FILE SERVER PORT: the services rows of SERVER's tcp/PORT (JSON array).
rows() {
	db="$SCRATCH/$(basename "$1").db"
	[ -f "$db" ] || classify "$db" "$1"
	"$SVCMAPCTL" -d "$db" services --json --all | jq -c --arg s "$2" \
	    --argjson p "$3" '[.[] | select(.server_ip == $s and
	    .transport == "tcp" and .port == $p)]'
}

# alerts_on FILE SERVER PORT: the alert kinds on SERVER's tcp/PORT, sorted.
alerts_on() {
	db="$SCRATCH/$(basename "$1").db"
	"$SVCMAPCTL" -d "$db" alerts --json | jq -r --arg s "$2" \
	    --argjson p "$3" '[.[] | select(.server_ip == $s and
	    .port == $p) | .kind] | sort | join(",")'
}

# tshark_count FILE FILTER [DECODE-AS]: packets and bytes of the frames.
tshark_count() {
	tshark -n -r "$1" ${3:+-d "$3"} -Y "$2" -T fields -e frame.len \
	    2>/dev/null | awk '{ n++; b += $1 } END { printf "%d %d", n, b }'
}

# --- zeek__dce-rpc__mapi.pcap -------------------------------------------
# The capture starts inside an Exchange MAPI session to 192.168.0.2:1032
# (tshark -d tcp.port==1032,dcerpc: its first frame is a DCE/RPC
# response, no bind in the capture); 2.9 s later an ept_map reply on 135
# maps 1032 to emsmdb (tshark: epm.proto.tcp_port == 1032).  Every frame
# of 1032 belongs to Exchange, none stays undocumented, and the alert
# the first flows would raise is cancelled within the grace period.
F=$P/zeek__dce-rpc__mapi.pcap
is "$(tshark -n -r "$F" -d tcp.port==1032,dcerpc -Y 'tcp.stream == 1 &&
    dcerpc' -T fields -e dcerpc.pkt_type 2>/dev/null | head -1)" "2" \
    "mapi: tshark: the 1032 session's first PDU is a response (mid-stream)"
ok "mapi: tshark: the ept_map reply maps 1032" test "$(tshark -n -r "$F" \
    -Y 'epm.proto.tcp_port == 1032' 2>/dev/null | wc -l)" -ge 1
r=$(rows "$F" 192.168.0.2 1032)
is "$(echo "$r" | jq -r '[.[] | "\(.service)/\(.method)"] | unique |
    join(",")')" "exchange-is/epm" \
    "mapi: 1032 is Exchange (epm) only: the running flows were re-attributed"
is "$(echo "$r" | jq -r '"\([.[].packets] | add) \([.[].bytes] | add)"')" \
    "$(tshark_count "$F" 'ip.addr == 192.168.0.2 && tcp.port == 1032')" \
    "mapi: 1032's packets and bytes match tshark's"
is "$(alerts_on "$F" 192.168.0.2 1032)" "" \
    "mapi: evidence within the grace period: no alert on 1032"
# 192.168.0.167:1076 carries no DCE/RPC (tshark, decoding it as DCE/RPC,
# finds no PDU): an undocumented service, not an unmapped RPC port.
is "$(tshark_count "$F" 'tcp.port == 1076 && dcerpc' tcp.port==1076,dcerpc)" \
    "0 0" "mapi: tshark: no DCE/RPC PDU on 1076"
ok "mapi: tshark: 1076 carries payload" test "$(tshark -n -r "$F" \
    -Y 'tcp.port == 1076 && tcp.len > 0' 2>/dev/null | wc -l)" -ge 1
is "$(alerts_on "$F" 192.168.0.167 1076)" "undocumented_service" \
    "mapi: 1076 (not DCE/RPC) raises undocumented_service only"

# --- nDPI__kerberos.pcap ------------------------------------------------
# Two flows to 172.16.8.8:49155 start inside a bind (the client's first
# segment is the Kerberos tail of its auth trailer).  tshark, decoding
# 49155 as DCE/RPC, shows the server's bind_ack on both streams; it takes
# the client's next segments for continuations of the first, so the
# alter_context to drsuapi is read from their bytes (tcp.payload): a
# connection-oriented header 05 00 0e (alter_context), and the drsuapi
# UUID e3514235-4b06-11d1-ab04-00c04fc2dcd2 in NDR order.  Both flows are
# drsuapi (lsass), with all their frames, and raise no alert.
F=$P/nDPI__kerberos.pcap
is "$(tshark -n -r "$F" -d tcp.port==49155,dcerpc -Y 'dcerpc.pkt_type == 12' \
    -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l | tr -d ' ')" "2" \
    "kerberos: tshark: a bind_ack from 49155 on both streams"
is "$(tshark -n -r "$F" -Y 'tcp.dstport == 49155 && tcp.len > 0' -T fields \
    -e tcp.payload 2>/dev/null | grep -c \
    '^05000e03.*354251e3064bd111ab0400c04fc2dcd2')" "3" \
    "kerberos: tshark: 3 client segments open with an alter_context to drsuapi"
r=$(rows "$F" 172.16.8.8 49155)
is "$(echo "$r" | jq -r '[.[] | "\(.service)/\(.interface)/\(.method)"] |
    unique | join(",")')" "lsass/drsuapi/bind" \
    "kerberos: 49155 is drsuapi, named by the mid-stream alter_context"
is "$(echo "$r" | jq -r '"\([.[].flows] | add)"')" "$(tshark -n -r "$F" \
    -Y 'tcp.port == 49155' -T fields -e tcp.stream 2>/dev/null |
    sort -u | wc -l | tr -d ' ')" "kerberos: both 49155 flows (tshark's streams)"
is "$(echo "$r" | jq -r '"\([.[].packets] | add) \([.[].bytes] | add)"')" \
    "$(tshark_count "$F" 'tcp.port == 49155')" \
    "kerberos: 49155's packets and bytes match tshark's"
is "$(alerts_on "$F" 172.16.8.8 49155)" "" "kerberos: no alert on 49155"
done_testing
