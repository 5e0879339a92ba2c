#!/bin/sh
# attempts.sh - issue 14 items 2 and 3 on the shared captures, with
# tshark as the oracle, per capture.
#
# Item 2 (a port is served only once its server answered): for every
# shared capture, `svcmapctl attempts --json` must hold, per TCP (server,
# port), exactly the refused and unanswered connections tshark counts
# (tests/attempts_tshark.py: streams opened by a bare SYN whose server
# sent nothing but RSTs, or nothing at all), and no (server, port) of
# those whose every stream went unanswered may be a `services` row.  The
# printer probes of elcabezzonn-Pcaps__schtasks.pcap and __mmcexec.pcap
# (515, 80, 9100, answered by RST+ACK: tshark -Y 'tcp.flags.reset==1')
# are named: attempts rows, no lpdsvc or w3svc service rows for them.
#
# Item 3 (a reply never makes its destination a server): the shared
# captures hold no DNS exchange whose reply comes first, and no DHCP at
# all (tshark: 0 packets on udp 67/68 in the 45 captures; DHCP is
# covered by tests/test_classify.c on crafted packets).  This test makes
# one from a real capture: elcabezzonn-Pcaps__chip_host_signin.pcap
# without its DNS queries (tshark -Y '!(dns.flags.response == 0)'), as
# an asymmetric SPAN shows it.  Every DNS reply's destination port
# (tshark: udp.dstport of dns.flags.response == 1; 7 of them in the WDS
# multicast range 63000-64000 that the catalog gives to
# cm-distribution-point) must have no services row, and each replying
# server must have its dns row on 53.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps elcabezzonn-Pcaps__schtasks.pcap elcabezzonn-Pcaps__mmcexec.pcap \
    elcabezzonn-Pcaps__chip_host_signin.pcap
need_cmd tshark jq python3
scratch
ORACLE="$top_srcdir/tests/attempts_tshark.py"

for path in "$SVCMAP_PCAPS"/*.pcap "$SVCMAP_PCAPS"/*.pcapng; do
	cap=$(basename "$path")
	db="$SCRATCH/$cap.db"
	classify "$db" "$path" || { ok "$cap: svcmapd" false; continue; }
	tshark -r "$path" -Y 'tcp' -T fields -E separator=/t \
	    -e tcp.stream -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
	    -e tcp.srcport -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack \
	    -e tcp.flags.reset 2>/dev/null | python3 "$ORACLE" \
	    >"$SCRATCH/want"
	"$SVCMAPCTL" -d "$db" attempts --json | jq -r '.[] |
	    select(.transport == "tcp") |
	    "\(.server_ip) \(.port) \(.refused) \(.unanswered)"' |
	    sort >"$SCRATCH/got"
	sort -o "$SCRATCH/want" "$SCRATCH/want"
	if diff "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff"; then
		ok "$cap: TCP attempts = tshark ($(wc -l <"$SCRATCH/want") (server, port))" true
	else
		ok "$cap: TCP attempts = tshark" false
		head -20 "$SCRATCH/diff" | sed 's/^/# /'
	fi
done

# The named printer probes: refused, not served.
for cap in elcabezzonn-Pcaps__schtasks.pcap elcabezzonn-Pcaps__mmcexec.pcap; do
	db="$SCRATCH/$cap.db"
	rst=$(tshark -r "$SVCMAP_PCAPS/$cap" -Y 'tcp.flags.reset == 1 && (tcp.srcport == 80 || tcp.srcport == 515 || tcp.srcport == 9100)' \
	    2>/dev/null | wc -l)
	ok "$cap: tshark sees RSTs from 80/515/9100 ($rst)" [ "$rst" -gt 0 ]
	n=$("$SVCMAPCTL" -d "$db" attempts --json | jq '[.[] |
	    select(.transport == "tcp" and (.port == 80 or .port == 515 or
	    .port == 9100) and .refused > 0)] | length')
	ok "$cap: refused printer probes are attempts rows ($n)" [ "$n" -gt 0 ]
	is "$("$SVCMAPCTL" -d "$db" attempts --json | jq -r '[.[] |
	    select(.port == 515)][0].service')" lpdsvc \
	    "$cap: ... named by the port's listener (lpdsvc)"
	"$SVCMAPCTL" -d "$db" attempts --json | jq -r '.[] |
	    select(.transport == "tcp" and .unanswered == 0) |
	    "\(.server_ip) \(.port)"' | sort -u >"$SCRATCH/refused"
	"$SVCMAPCTL" -d "$db" services --all --json | jq -r '.[] |
	    select(.service == "lpdsvc" or .service == "w3svc") |
	    "\(.server_ip) \(.port)"' | sort -u >"$SCRATCH/svc"
	is "$(comm -12 "$SCRATCH/refused" "$SCRATCH/svc" | tr '\n' ' ')" "" \
	    "$cap: no lpdsvc/w3svc row on a refused port"
	is "$("$SVCMAPCTL" -d "$db" alerts --json | jq '[.[] |
	    select(.port == 515 or .port == 9100)] | length')" 0 \
	    "$cap: no alert on the refused ports"
	# The host view carries them too.
	ip=$("$SVCMAPCTL" -d "$db" attempts --json | jq -r '[.[] |
	    select(.port == 515)][0].server_ip')
	is "$("$SVCMAPCTL" -d "$db" host "$ip" --json | jq '[.attempts[] |
	    select(.port == 515)] | length')" 1 "$cap: host $ip lists 515 in attempts"
done

# Paging and filters on a scan capture: --limit/--cursor give the same
# rows as one call, and --host takes a prefix.
cap=elcabezzonn-Pcaps__ultra_lab_03-14.pcap
db="$SCRATCH/$cap.db"
"$SVCMAPCTL" -d "$db" attempts --json >"$SCRATCH/all.json"
cursor=""
: >"$SCRATCH/pages"
while :; do
	if [ -n "$cursor" ]; then
		"$SVCMAPCTL" -d "$db" attempts --json --limit 400 \
		    --cursor "$cursor" >"$SCRATCH/page" 2>"$SCRATCH/err"
	else
		"$SVCMAPCTL" -d "$db" attempts --json --limit 400 \
		    >"$SCRATCH/page" 2>"$SCRATCH/err"
	fi
	jq -c '.[]' "$SCRATCH/page" >>"$SCRATCH/pages"
	cursor=$(sed -n 's/^next-cursor: //p' "$SCRATCH/err")
	[ -n "$cursor" ] || break
done
is "$(wc -l <"$SCRATCH/pages")" "$(jq length "$SCRATCH/all.json")" \
    "$cap: pages of 400 give every attempt row once"
is "$(jq -c '.[]' "$SCRATCH/all.json" | cmp - "$SCRATCH/pages" && echo same)" \
    same "$cap: ... in the same order"
first=$(jq -r '.[0].server_ip' "$SCRATCH/all.json")
is "$("$SVCMAPCTL" -d "$db" attempts --host "$first/32" --json |
    jq "[.[] | select(.server_ip != \"$first\")] | length")" 0 \
    "$cap: --host PREFIX selects its servers"
is "$("$SVCMAPCTL" -d "$db" attempts --until 1970-01-02 --json)" "[]" \
    "$cap: --until before the capture: none"

# Item 3: a reply-first DNS capture made from a real one.
cap=elcabezzonn-Pcaps__chip_host_signin.pcap
tshark -r "$SVCMAP_PCAPS/$cap" -Y '!(dns.flags.response == 0)' \
    -w "$SCRATCH/replies.pcap" 2>/dev/null
is "$(tshark -r "$SCRATCH/replies.pcap" -Y 'dns.flags.response == 0' \
    2>/dev/null | wc -l)" 0 "$cap without queries: no DNS query left"
classify "$SCRATCH/replies.db" "$SCRATCH/replies.pcap"
tshark -r "$SCRATCH/replies.pcap" -Y 'dns.flags.response == 1 && udp' \
    -T fields -e ip.dst -e udp.dstport 2>/dev/null | sort -u \
    >"$SCRATCH/clientports"
ok "$cap: tshark sees DNS replies to client ports ($(wc -l <"$SCRATCH/clientports"))" \
    [ -s "$SCRATCH/clientports" ]
"$SVCMAPCTL" -d "$SCRATCH/replies.db" services --all --json | jq -r '.[] |
    select(.transport == "udp") | "\(.server_ip)\t\(.port)"' | sort -u \
    >"$SCRATCH/udpservers"
is "$(comm -12 "$SCRATCH/clientports" "$SCRATCH/udpservers" | tr '\n' ' ')" \
    "" "$cap: no services row on a DNS reply's destination port"
is "$("$SVCMAPCTL" -d "$SCRATCH/replies.db" services --json |
    jq '[.[] | select(.service == "cm-distribution-point")] | length')" 0 \
    "$cap: no cm-distribution-point row from replies to 63000-64000"
# Monitored servers only: an outside resolver's replies are outbound use
# (issue 14 item 4), no service row.
tshark -r "$SCRATCH/replies.pcap" -Y 'dns.flags.response == 1 && udp &&
    (ip.src == 10.0.0.0/8 || ip.src == 172.16.0.0/12 ||
    ip.src == 192.168.0.0/16)' \
    -T fields -e ip.src 2>/dev/null | sort -u >"$SCRATCH/dnsservers"
"$SVCMAPCTL" -d "$SCRATCH/replies.db" services --json | jq -r '.[] |
    select(.service == "dns" and .port == 53) | .server_ip' | sort -u \
    >"$SCRATCH/dnsrows"
is "$(comm -23 "$SCRATCH/dnsservers" "$SCRATCH/dnsrows" | tr '\n' ' ')" "" \
    "$cap: every replying DNS server has its dns row on 53"
done_testing
