#!/bin/sh
# host_roles.sh - host roles (roles.catalog) against tshark, per capture
# (issue 15).  Every shared capture is classified into a fresh database
# with alert-learning-period 0.  tshark, the oracle, names the domain
# controllers of each capture: the hosts that answer both Kerberos
# (kerberos from port 88) and LDAP (ldap or cldap from 389, 636, 3268
# or 3269).  They must be exactly the hosts `svcmapctl hosts --role dc`
# lists (the readers' derivation, from the stored rows) and exactly the
# hosts of the capture's new_role alerts for "dc" (the daemon's live
# derivation, from answered flows).
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd tshark jq
scratch

printf 'sensor roles\nalert-learning-period 0\n' >"$SCRATCH/conf"

# tshark_src CAPTURE FILTER: the sorted source addresses of the frames.
tshark_src() {
	tshark -n -r "$1" -Y "$2" -T fields -e ip.src -e ipv6.src \
	    2>/dev/null | tr -d '\t' | sort -u
}

ndc=0
for f in "$SVCMAP_PCAPS"/*.pcap "$SVCMAP_PCAPS"/*.pcapng; do
	[ -f "$f" ] || continue
	cap=$(basename "$f")
	db="$SCRATCH/run.db"
	rm -f "$db" "$db-wal" "$db-shm"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$f" >/dev/null 2>&1
	tshark_src "$f" 'kerberos && (tcp.srcport == 88 || udp.srcport == 88)' \
	    >"$SCRATCH/krb"
	tshark_src "$f" '(ldap || cldap) && (tcp.srcport == 389 ||
	    tcp.srcport == 636 || tcp.srcport == 3268 || tcp.srcport == 3269 ||
	    udp.srcport == 389)' >"$SCRATCH/ldap"
	want=$(comm -12 "$SCRATCH/krb" "$SCRATCH/ldap" | tr '\n' ' ')
	got=$("$SVCMAPCTL" -d "$db" hosts --role dc --json |
	    jq -r '[.[].ip] | sort | join(" ")')
	is "$got" "$(echo $want)" "$cap: hosts --role dc = tshark's DCs"
	got=$("$SVCMAPCTL" -d "$db" alerts --json | jq -r '[.[] |
	    select(.kind == "new_role" and .operation == "dc") |
	    .server_ip] | sort | join(" ")')
	is "$got" "$(echo $want)" "$cap: new_role dc alerts = tshark's DCs"
	[ -n "$want" ] && ndc=$((ndc + 1))
done
ok "some captures have a domain controller ($ndc)" [ "$ndc" -gt 0 ]

# DCShadow: 172.16.66.1 registers itself as a DC through the real DC
# (172.16.66.36) but, in this capture, answers nothing a DC answers
# (tshark: no Kerberos, LDAP or DRSR frame from it), so no role names it;
# its replication call is a sensitive_operation naming it as the client.
# The real DC answers DRSR (tshark: drsuapi from .36) but not Kerberos.
cap=PCAP-ATTACK__CredAccess__DCShadow_add_primarygroupid_512_to_std_account.pcapng
if [ -f "$SVCMAP_PCAPS/$cap" ]; then
	f="$SVCMAP_PCAPS/$cap"
	db="$SCRATCH/dcshadow.db"
	rm -f "$db" "$db-wal" "$db-shm"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$f" >/dev/null 2>&1
	is "$(tshark_src "$f" 'ip.src == 172.16.66.1 &&
	    ((kerberos && (tcp.srcport == 88 || udp.srcport == 88)) ||
	    ((ldap || cldap) && (tcp.srcport == 389 || udp.srcport == 389 ||
	    tcp.srcport == 636 || tcp.srcport == 3268 ||
	    tcp.srcport == 3269)) || (drsuapi && dcerpc.pkt_type == 2))' |
	    wc -l | tr -d ' ')" 0 \
	    "dcshadow: tshark sees no DC answer from 172.16.66.1"
	is "$("$SVCMAPCTL" -d "$db" alerts --json | jq -r '[.[] |
	    select(.kind == "sensitive_operation" and
	    .client_ip == "172.16.66.1") | .operation] | join(" ")')" \
	    IDL_DRSReplicaAdd \
	    "dcshadow: sensitive_operation names the rogue DC as the client"
	is "$("$SVCMAPCTL" -d "$db" host 172.16.66.1 --json |
	    jq -r '.hosts[0].roles | length')" 0 \
	    "dcshadow: no role for 172.16.66.1"
	is "$(tshark_src "$f" 'drsuapi && dcerpc.pkt_type == 2' |
	    tr '\n' ' ')" "172.16.66.36 " \
	    "dcshadow: tshark: 172.16.66.36 answers DRSR"
	is "$("$SVCMAPCTL" -d "$db" alerts --json | jq -r '[.[] |
	    select(.kind == "new_role") | .server_ip + ":" + .operation +
	    ":" + (.severity | tostring)] | join(" ")')" \
	    "172.16.66.36:dc-replication:5" \
	    "dcshadow: new_role dc-replication for the DRSR server, severity 5"
	is "$("$SVCMAPCTL" -d "$db" host 172.16.66.36 --json | jq -r \
	    '[.hosts[0].roles[] | .role + "=" + ([.evidence[].item] |
	    join(","))] | join(" ")')" "dc-replication=rpc:drsuapi" \
	    "host IP: roles with their evidence"
	# A second run over the same database: the role was held before,
	# restored from the store, and raises no second event.
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$f" >/dev/null 2>&1
	is "$("$SVCMAPCTL" -d "$db" alerts --json | jq -r '[.[] |
	    select(.kind == "new_role") | .events] | join(" ")')" 1 \
	    "dcshadow: a restart does not raise new_role again"
	"$SVCMAPCTL" -d "$db" hosts --role no-such-role >/dev/null 2>&1
	is "$?" 2 "hosts --role: an unknown role key is a usage error"
fi

# The learning period: with the default (1h) a capture shorter than it
# raises no new_role, though the roles are still derived.
cap=elcabezzonn-Pcaps__schtasks.pcap
if [ -f "$SVCMAP_PCAPS/$cap" ]; then
	db="$SCRATCH/learn.db"
	printf 'sensor roles\n' >"$SCRATCH/conf1h"
	"$SVCMAPD" -c "$SCRATCH/conf1h" -d "$db" -r "$SVCMAP_PCAPS/$cap" \
	    >/dev/null 2>&1
	is "$("$SVCMAPCTL" -d "$db" alerts --json |
	    jq '[.[] | select(.kind == "new_role")] | length')" 0 \
	    "$cap: no new_role within the learning period"
	is "$("$SVCMAPCTL" -d "$db" hosts --role dc --json |
	    jq -r '[.[].ip] | join(" ")')" 192.168.1.195 \
	    "$cap: the DC holds its role all the same"
fi
done_testing
