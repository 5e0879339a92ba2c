#!/bin/sh
# host_names.sh - host names against tshark, per capture and per source
# (issue 15).  Every shared capture is classified into a fresh database;
# tshark, the oracle, decodes the (address, name) pairs of four sources:
#   dns   A/AAAA records of DNS responses (rcode 0) from port 53
#   nbns  NetBIOS name service positive answers (name, NB address)
#   dhcp  option 12 host names of REQUEST (option 50 / ciaddr), ACK
#         (yiaddr) and INFORM (ciaddr)
#   ntlm  NTLM CHALLENGE target info: NetBIOS and DNS computer names,
#         bound to the challenge's sender
# and each pair must be among the names `svcmapctl host ADDRESS --json`
# gives for the address (tests/host_names.py).  Names the name policy
# refuses (names.h) are counted apart and must not be kept.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd tshark jq python3
scratch

printf 'sensor names\n' >"$SCRATCH/conf"
for f in "$SVCMAP_PCAPS"/*.pcap "$SVCMAP_PCAPS"/*.pcapng; do
	[ -f "$f" ] || continue
	cap=$(basename "$f")
	db="$SCRATCH/run.db"
	rm -f "$db" "$db-wal" "$db-shm"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$f" >/dev/null 2>&1
	python3 "$top_srcdir/tests/host_names.py" "$SVCMAPCTL" "$db" "$f" \
	    >"$SCRATCH/out"
	while read -r src want got refused missing; do
		ok "$cap: $src: $got/$want tshark pairs named ($refused refused by the policy)${missing:+ missing: $missing}" \
		    [ "$got" = "$want" ]
	done <"$SCRATCH/out"
done

# The readers on one capture: DCShadow's rogue DC (172.16.66.1) answers
# the real DC's EPM with an NTLM CHALLENGE that names it (tshark:
# ntlmssp.challenge.target_info.dns_computer_name).
cap=PCAP-ATTACK__CredAccess__DCShadow_add_primarygroupid_512_to_std_account.pcapng
if [ -f "$SVCMAP_PCAPS/$cap" ]; then
	db="$SCRATCH/dcshadow.db"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$SVCMAP_PCAPS/$cap" \
	    >/dev/null 2>&1
	want=$(tshark -n -r "$SVCMAP_PCAPS/$cap" -Y 'ntlmssp.messagetype == 2' \
	    -T fields -e ntlmssp.challenge.target_info.dns_computer_name \
	    2>/dev/null | head -1 | tr 'A-Z' 'a-z')
	is "$("$SVCMAPCTL" -d "$db" hosts --json | jq -r \
	    '.[] | select(.ip == "172.16.66.1") | .name')" "$want" \
	    "dcshadow: the rogue DC's display name is its NTLM DNS name"
	is "$("$SVCMAPCTL" -d "$db" hosts --name '02694W-*' --json |
	    jq -r '[.[].ip] | join(" ")')" 172.16.66.1 \
	    "hosts --name: a glob on any name, case folded"
	is "$("$SVCMAPCTL" -d "$db" hosts --name 'nothing*' --json)" "[]" \
	    "hosts --name: no match, no host"
	is "$("$SVCMAPCTL" -d "$db" host 172.16.66.1 --json | jq -r \
	    '[.hosts[0].names[] | .source + ":" + .kind] | join(" ")')" \
	    "ntlm:host ntlm:netbios ntlm:nb-domain ntlm:domain ntlm:forest" \
	    "host IP: names with sources and kinds, best first"
	is "$("$SVCMAPCTL" -d "$db" host 172.16.66.1 --json | jq -r \
	    '[.services[].service] | join(" ")')" rpcss \
	    "host IP: the services it serves"
	"$SVCMAPCTL" -d "$db" host 10.255.255.1 >/dev/null 2>&1
	is "$?" 1 "host IP: an unknown address exits 1"
fi
done_testing
