#!/bin/sh
# Outside servers are outbound use, never services (issue 14 item 4).
# With the default monitored-networks (RFC 1918, ULA, link-local), each
# capture's servers outside them leave `services` and `hosts` and appear
# in `outbound --servers`; tshark is the oracle for their number: the
# distinct non-monitored, non-multicast addresses that exchange TCP or
# UDP with a monitored address from the lower (or equal) port, the
# server's side.  Before the change these servers were `w3svc`,
# `w32time`... rows of `services`, and `outbound` did not exist.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd jq
need_cmd tshark
scratch

# tshark_outside FILE: the outside server addresses tshark sees.
tshark_outside() {
	tshark -r "$1" -Y 'tcp || udp' -T fields -e ip.src -e ip.dst \
	    -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
	    2>/dev/null | awk '
	function mon(a) {
		return a ~ /^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|169\.254\.)/
	}
	function grp(a) { return a ~ /^(22[4-9]|2[3-5][0-9])\./ }
	{
		sp = $3 != "" ? $3 : $5; dp = $4 != "" ? $4 : $6
		if (mon($1) && !mon($2) && !grp($2) && dp + 0 <= sp + 0)
			print $2
		if (mon($2) && !mon($1) && !grp($1) && sp + 0 <= dp + 0)
			print $1
	}' | sort -u
}

# Captures where outside servers crowded the inventory: public NTP
# servers (w32time rows), web servers (w3svc rows), and a mixed lab.
for cap in zeek__ntp__NTP_sync.pcap nDPI__windowsupdate_over_http.pcap \
    elcabezzonn-Pcaps__aug_16_par4.pcap \
    elcabezzonn-Pcaps__windows_miscellany.pcap zeek__dce-rpc__mapi.pcap; do
	f="$SVCMAP_PCAPS/$cap"
	[ -f "$f" ] || { ok "# SKIP $cap absent" true; continue; }
	db="$SCRATCH/$cap.db"
	classify "$db" "$f"
	tshark_outside "$f" >"$SCRATCH/tshark"
	"$SVCMAPCTL" -d "$db" outbound --servers --json |
	    jq -r '.[].server_ip' | sort -u >"$SCRATCH/outbound"
	want=$(wc -l <"$SCRATCH/tshark")
	ok "$cap: tshark sees outside servers ($want)" test "$want" -gt 0
	is "$(cat "$SCRATCH/outbound")" "$(cat "$SCRATCH/tshark")" \
	    "$cap: outbound servers are tshark's $want outside servers"
	# None of them is a service or a host of the inventory.
	"$SVCMAPCTL" -d "$db" services --all --json |
	    jq -r '.[].server_ip' | sort -u >"$SCRATCH/services"
	"$SVCMAPCTL" -d "$db" hosts --json | jq -r '.[].ip' | sort -u \
	    >"$SCRATCH/hosts"
	is "$(comm -12 "$SCRATCH/services" "$SCRATCH/tshark")" "" \
	    "$cap: no outside server in services"
	is "$(comm -12 "$SCRATCH/hosts" "$SCRATCH/tshark")" "" \
	    "$cap: no outside server in hosts"
	# Client rows add up to the server rows: the same flows and bytes.
	is "$("$SVCMAPCTL" -d "$db" outbound --json |
	    jq '[.[].bytes] | add')" \
	    "$("$SVCMAPCTL" -d "$db" outbound --servers --json |
	    jq '[.[].bytes] | add')" "$cap: client and server rows agree"
	is "$("$SVCMAPCTL" -d "$db" outbound --json | jq '[.[].bytes] | add')" \
	    "$("$SVCMAPCTL" -d "$db" summary --json |
	    jq '.bytes_by_class.outbound')" \
	    "$cap: outbound rows hold the summary's outbound bytes"
done

# zeek__ntp__NTP_sync.pcap: one client, 15 public NTP servers on 123/udp
# (tshark: udp.dstport == 123 from 192.168.50.50 to 15 addresses).
db="$SCRATCH/zeek__ntp__NTP_sync.pcap.db"
if [ -f "$db" ]; then
	is "$("$SVCMAPCTL" -d "$db" outbound --json |
	    jq -c '[.[] | [.client_ip, .port, .transport, .flows]]')" \
	    '[["192.168.50.50",123,"udp",15]]' \
	    "NTP_sync: one outbound row, 15 flows to 123/udp"
	is "$("$SVCMAPCTL" -d "$db" services --all --json |
	    jq '[.[] | select(.service == "w32time")] | length')" 0 \
	    "NTP_sync: public NTP servers are not w32time"
	is "$("$SVCMAPCTL" -d "$db" outbound --port 123 --host 192.168.50.0/24 \
	    --json | jq length)" 1 "outbound --port --host filter"
	is "$("$SVCMAPCTL" -d "$db" outbound --port 80 --json | jq length)" 0 \
	    "outbound --port 80: nothing"
	# Paging: one server row per page, as many pages as servers.
	n=0 cursor=""
	while :; do
		"$SVCMAPCTL" -d "$db" outbound --servers --limit 1 \
		    ${cursor:+--cursor "$cursor"} --json >"$SCRATCH/page" \
		    2>"$SCRATCH/cur" || break
		n=$((n + $(jq length "$SCRATCH/page")))
		cursor=$(sed -n "s/^next-cursor: //p" "$SCRATCH/cur")
		[ -n "$cursor" ] || break
	done
	is "$n" 15 "outbound --servers pages through 15 servers"
fi
done_testing
