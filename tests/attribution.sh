#!/bin/sh
# Real attributions on the shared captures, counted against tshark: every
# frame of the service's port (ICMP errors quoting it excluded) must be
# in that service's rows or, for servers outside the monitored networks,
# in the outbound rows of the port, with the same bytes.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps nDPI__kerberos.pcap zeek__krb__kinit.pcap zeek__ldap__aduser1.pcap \
    zeek__smb__smb3.pcap nDPI__smb_deletefile.pcap \
    elcabezzonn-Pcaps__windows_miscellany.pcap zeek__ntp__NTP_sync.pcap \
    nDPI__rdp.pcap elcabezzonn-Pcaps__winrm_psremote_05-16.pcap
need_cmd jq tshark
scratch

# check FILE SERVICE TRANSPORT PORT METHOD
check() {
	file=$1 service=$2 transport=$3 port=$4 method=$5
	name=$(basename "$file")
	db="$SCRATCH/$name.db"
	[ -f "$db" ] || classify "$db" "$file"
	rows=$("$SVCMAPCTL" -d "$db" services --json --all | jq -c \
	    --arg t "$transport" --argjson p "$port" \
	    '[.[] | select(.transport == $t and .port == $p)]')
	is "$(echo "$rows" | jq -r '[.[].service] | unique | join(",")')" \
	    "$service" "$name: $port/$transport is $service"
	is "$(echo "$rows" | jq -r '[.[].method] | unique | join(",")')" \
	    "$method" "$name: $port/$transport decided by $method"
	want=$(tshark -n -r "$file" -Y "$transport.port == $port && !icmp && !icmpv6" \
	    -T fields -e frame.len 2>/dev/null |
	    awk '{ n++; b += $1 } END { printf "%d %d", n, b }')
	# Outside servers' flows on the port are outbound use (issue 14
	# item 4): with the service's rows they are every frame of it.
	out=$("$SVCMAPCTL" -d "$db" outbound --servers --port "$port" --json |
	    jq -c --arg t "$transport" '[.[] | select(.transport == $t)]')
	got=$(printf '%s\n%s\n' "$rows" "$out" | jq -rs 'add |
	    "\([.[].packets] | add // 0) \([.[].bytes] | add // 0)"')
	is "$got" "$want" "$name: $port/$transport packets and bytes match tshark"
}

P=$SVCMAP_PCAPS
check "$P/nDPI__kerberos.pcap" kdc tcp 88 port
check "$P/zeek__krb__kinit.pcap" kdc udp 88 port
check "$P/zeek__ldap__aduser1.pcap" lsass tcp 389 port
check "$P/zeek__smb__smb3.pcap" server tcp 445 port
check "$P/nDPI__smb_deletefile.pcap" server tcp 445 port
check "$P/elcabezzonn-Pcaps__windows_miscellany.pcap" dns udp 53 port
# 15 public NTP servers: outbound use, never w32time (issue 14 item 4).
check "$P/zeek__ntp__NTP_sync.pcap" "" udp 123 ""
check "$P/nDPI__rdp.pcap" termservice tcp 3389 port
check "$P/elcabezzonn-Pcaps__winrm_psremote_05-16.pcap" winrm tcp 5985 port

# nDPI's verdict is recorded next to the catalog's decision.
db="$SCRATCH/zeek__smb__smb3.pcap.db"
is "$("$SVCMAPCTL" -d "$db" services --json | jq -r \
    '[.[] | select(.port == 445) | .protocol] | unique | join(",")')" \
    "SMBv23" "smb3: nDPI says SMBv23 on 445/tcp"
db="$SCRATCH/nDPI__kerberos.pcap.db"
is "$("$SVCMAPCTL" -d "$db" services --json | jq -r \
    '[.[] | select(.port == 88) | .name] | unique | join(",")')" \
    "$("$SVCMAPCTL" catalog --service kdc --json | jq -r '.[0].name')" \
    "kerberos: the service's English name comes from the catalog"
done_testing
