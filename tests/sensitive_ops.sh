#!/bin/sh
# sensitive_ops.sh - the sensitive_operation alert on every shared capture
# (issue 13), tshark as the oracle.
#
# For each capture, tshark lists the RPC requests (first fragments; TCP
# sequence analysis off, so that a request whose only copy tshark calls a
# retransmission is still read; duplicates removed by TCP stream, call id
# and opnum).  A request's interface is the one tshark's own dissector
# names (svcctl.opnum, drsuapi.opnum ...), else the UUID a bind or
# alter_context of the same TCP stream gave its context (DCOM: WMI's
# IWbemServices).  The watch list is the shipped default, read from
# data/rpc-operations.catalog: "sensitive" rows, "not-dc" ones only when
# the client never answers as a domain controller in the capture
# (Kerberos 88, LDAP 389, 636, 3268, 3269, drsuapi responses), "storm"
# ones counted in fixed windows of alert-operation-storm-window from a
# (client, server, operation)'s first call, only in windows of more than
# alert-operation-storm calls.  svcmap's alerts, summed per (client,
# server, interface, operation), must equal that list exactly: present
# where tshark sees the calls, with tshark's count, and absent from the
# captures without any.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd tshark jq
scratch

STORM=10 WINDOW=60
OPS="$top_srcdir/data/rpc-operations.catalog"
IFACES="$top_srcdir/data/rpc-interfaces.catalog"

# "uuid opnum interface operation flags" of each sensitive operation.
awk -F'\t' 'FNR == NR { if ($1 == "rpc") name[$2] = $4; next }
    $1 == "op" && $6 ~ /sensitive/ { print $2, $4, name[$2], $5, $6 }' \
    "$IFACES" "$OPS" >"$SCRATCH/watch"
ok "the shipped watch list has the catalog's 70 sensitive operations" \
    test "$(wc -l <"$SCRATCH/watch")" -eq 70

# Wireshark's dissectors of the watched interfaces, by UUID.
cat >"$SCRATCH/dissectors" <<'EOF'
svcctl 367abb81-9844-35f1-ad32-98f038001003
drsuapi e3514235-4b06-11d1-ab04-00c04fc2dcd2
netlogon 12345678-1234-abcd-ef00-01234567cffb
taskschedulerservice 86d35949-83c9-4044-b424-db363231fd0c
atsvc 1ff70682-0a51-30e8-076d-740be8cee98b
spoolss 12345678-1234-abcd-ef00-0123456789ab
iremotewinspool 76f03f96-cdfd-44fc-a22c-64950a001209
efs c681d488-d850-11d0-8c52-00c04fd90f7e
winreg 338cd001-2244-31f1-aaaa-900038001003
lsarpc 12345778-1234-abcd-ef00-0123456789ab
eventlog 82273fdc-e32a-18c3-3f78-827929dc23ea
netdfs 4fc742e0-4a10-11cf-8273-00aa004ae673
initshutdown 894de0c0-0d55-11d3-a322-00c04fa321a1
fsrvp a8e0653c-2744-4389-a61d-7373df8b2292
EOF
dfields=""
while read -r proto _; do
	dfields="$dfields -e $proto.opnum"
done <"$SCRATCH/dissectors"

printf 'sensor sensitive\n' >"$SCRATCH/conf"

# oracle CAPTURE: "client server interface operation calls" lines.
oracle() {
	# shellcheck disable=SC2086
	tshark -n -o tcp.analyze_sequence_numbers:FALSE -r "$1" \
	    -Y 'dcerpc.pkt_type == 0 || dcerpc.pkt_type == 11 ||
	    dcerpc.pkt_type == 14' -T fields -E separator=/t \
	    -E aggregator=, -E occurrence=a -e frame.time_epoch \
	    -e tcp.stream -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
	    -e dcerpc.pkt_type -e dcerpc.cn_flags.first_frag \
	    -e dcerpc.cn_call_id -e dcerpc.cn_ctx_id -e dcerpc.opnum \
	    -e dcerpc.cn_bind_to_uuid $dfields 2>/dev/null >"$SCRATCH/rpc"
	# Hosts that answer as a domain controller.
	tshark -n -r "$1" -Y '(tcp.srcport in {88, 389, 636, 3268, 3269} &&
	    tcp.len > 0) || (udp.srcport in {88, 389} && udp.length > 8) ||
	    (drsuapi && dcerpc.pkt_type == 2)' -T fields -e ip.src \
	    -e ipv6.src 2>/dev/null | tr -d '\t' | sort -u >"$SCRATCH/dcs"
	awk -F'\t' -v storm=$STORM -v window=$WINDOW '
	FILENAME == ARGV[1] {
		split($0, a, " "); w[a[1] " " a[2]] = a[3] " " a[4] " " a[5]
		next
	}
	FILENAME == ARGV[2] {
		split($0, a, " "); duuid[FNR] = a[2]; nd = FNR; next
	}
	FILENAME == ARGV[3] { dc[$1] = 1; next }
	{
		src = $3 $4; dst = $5 $6
		split($7, type, ","); split($10, ctx, ",")
		if (type[1] == 11 || type[1] == 14) {
			n = split($12, u, ",")
			for (i = 1; i <= n; i++)
				bound[$2 " " ctx[i]] = u[i]
			next
		}
		if (type[1] != 0 || $8 !~ /^1/)
			next
		split($9, call, ","); split($11, opn, ",")
		uuid = bound[$2 " " ctx[1]]; op = opn[1]
		for (i = 1; i <= nd; i++)
			if ($(12 + i) != "") {
				uuid = duuid[i]; split($(12 + i), o, ","); op = o[1]
				break
			}
		k = uuid " " op
		if (!(k in w) || seen[$2 " " call[1] " " k]++)
			next
		split(w[k], d, " ")
		if (d[3] ~ /not-dc/ && (src in dc))
			next
		key = src " " dst " " d[1] " " d[2]
		t = int($1)
		if (d[3] !~ /storm/) {
			calls[key]++
			next
		}
		if (!(key in start) || t - start[key] >= window) {
			start[key] = t; win[key] = 0
		}
		win[key]++
		if (win[key] == storm + 1)
			calls[key] += win[key]
		else if (win[key] > storm + 1)
			calls[key]++
	}
	END { for (k in calls) print k, calls[k] }' "$SCRATCH/watch" \
	    "$SCRATCH/dissectors" "$SCRATCH/dcs" "$SCRATCH/rpc" | sort
}

# svcmap CAPTURE: the same lines from svcmap's alerts.
svcmap() {
	db="$SCRATCH/db"
	rm -f "$db" "$db-wal" "$db-shm"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$1" >/dev/null 2>&1 ||
	    return 1
	"$SVCMAPCTL" -d "$db" alerts --json | jq -r '[.[] |
	    select(.kind == "sensitive_operation")] |
	    group_by([.client_ip, .server_ip, .interface, .operation])[] |
	    [.[0].client_ip, .[0].server_ip, .[0].interface,
	    .[0].operation, (map(.count) | add)] | join(" ")' | sort
}

: >"$SCRATCH/fired"
for f in "$SVCMAP_PCAPS"/*.pcap "$SVCMAP_PCAPS"/*.pcapng; do
	[ -f "$f" ] || continue
	cap=$(basename "$f")
	oracle "$f" >"$SCRATCH/want"
	svcmap "$f" >"$SCRATCH/got"
	if [ -s "$SCRATCH/want" ]; then
		what="$(wc -l <"$SCRATCH/want" | tr -d ' ') alert(s) as tshark"
		sed "s|^|$cap |" "$SCRATCH/want" >>"$SCRATCH/fired"
	else
		what="no alert: tshark sees no watched call"
	fi
	ok "$cap: $what" cmp -s "$SCRATCH/want" "$SCRATCH/got"
	if ! cmp -s "$SCRATCH/want" "$SCRATCH/got"; then
		sed 's/^/# tshark: /' "$SCRATCH/want"
		sed 's/^/# svcmap: /' "$SCRATCH/got"
	fi
done

# The captures the issue names fire, with the operations they carry.
fired() {
	grep -q "^$1 .* $2 $3 [0-9]*\$" "$SCRATCH/fired"
}
ok "DCShadow: drsuapi IDL_DRSReplicaAdd from the rogue DC" fired \
    PCAP-ATTACK__CredAccess__DCShadow_add_primarygroupid_512_to_std_account.pcapng \
    drsuapi IDL_DRSReplicaAdd
ok "impacket psexec: svcctl RCreateServiceW" fired \
    elcabezzonn-Pcaps__impacket_psexec.pcap svcctl RCreateServiceW
ok "smbexec: svcctl RCreateServiceW" fired \
    elcabezzonn-Pcaps__smbexec.pcap svcctl RCreateServiceW
ok "remcom: svcctl RCreateServiceA" fired \
    elcabezzonn-Pcaps__remcom.pcap svcctl RCreateServiceA
ok "schtasks: itaskschedulerservice SchRpcRegisterTask" fired \
    elcabezzonn-Pcaps__schtasks.pcap itaskschedulerservice SchRpcRegisterTask
ok "zerologon: a netlogon NetrServerAuthenticate3 storm" fired \
    corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap netlogon \
    NetrServerAuthenticate3
ok "bug-5162: DCSync (IDL_DRSGetNCChanges) from a non-DC" fired \
    suricata-verify__bug-5162__input.pcap drsuapi IDL_DRSGetNCChanges

# The DCShadow client is no DC in tshark's eyes: it answers neither
# Kerberos, LDAP nor drsuapi (the DC's EPM lookup of drsuapi on it is
# answered after the ReplicaAdd, by its endpoint mapper, not drsuapi).
f="$SVCMAP_PCAPS/PCAP-ATTACK__CredAccess__DCShadow_add_primarygroupid_512_to_std_account.pcapng"
served() {
	tshark -n -r "$f" -Y "ip.src == $1 && (tcp.srcport in {88, 389, 636,
	    3268, 3269} || udp.srcport in {88, 389} || (drsuapi &&
	    dcerpc.pkt_type == 2))" 2>/dev/null | wc -l | tr -d ' '
}
is "$(served 172.16.66.1)" 0 \
    "DCShadow: 172.16.66.1 serves no Kerberos, LDAP or drsuapi"
ok "DCShadow: the same filter finds the DC 172.16.66.36 serving" \
    test "$(served 172.16.66.36)" -gt 0

# A domain controller's replication raises nothing.  No shared capture
# has two DCs replicating, so the DCShadow client is made one: a capture
# written here, a minute before the DCShadow one, where 172.16.66.1
# answers a Kerberos request on 88/udp, is read first.
t0=$(tshark -n -r "$f" -c 1 -T fields -e frame.time_epoch 2>/dev/null |
    cut -d. -f1)
python3 - "$SCRATCH/kdc.pcap" "$((t0 - 60))" <<'PY'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
def udp(src, dst, sport, dport, payload):
    ip = lambda a: bytes(int(x) for x in a.split("."))
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0,
        ip(src), ip(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + h + u
t = int(sys.argv[2])
pkts = [udp("172.16.66.36", "172.16.66.1", 50000, 88, b"\x6a" + b"\x00" * 31),
    udp("172.16.66.1", "172.16.66.36", 88, 50000, b"\x6b" + b"\x00" * 31)]
with open(sys.argv[1], "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pkts):
        out.write(struct.pack("<IIII", t, i * 1000, len(p), len(p)) + p)
PY
is "$(tshark -n -r "$SCRATCH/kdc.pcap" -Y 'ip.src == 172.16.66.1 &&
    udp.srcport == 88' 2>/dev/null | wc -l | tr -d ' ')" 1 \
    "the written capture: 172.16.66.1 answers on 88/udp"
db="$SCRATCH/dc.db"
"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$SCRATCH/kdc.pcap" -r "$f" \
    >/dev/null 2>&1
is "$("$SVCMAPCTL" -d "$db" services --all --json | jq 'any(.[];
    .server_ip == "172.16.66.1" and .port == 88 and .service == "kdc")')" \
    true "svcmap read it: 172.16.66.1 serves kdc on 88"
is "$("$SVCMAPCTL" -d "$db" alerts --json | jq '[.[] |
    select(.kind == "sensitive_operation")] | length')" 0 \
    "DCShadow's ReplicaAdd from a host seen serving Kerberos: no alert"

# A one-call Netlogon secure channel is no storm: the captures with a
# single NetrServerAuthenticate3 raise nothing.
ok "a single NetrServerAuthenticate3 raises nothing" sh -c \
    "! grep -q 'elcabezzonn-Pcaps__aug_16_par4.pcap' '$SCRATCH/fired'"

# Settings: defaults off, a line of one's own, "*" and opnums, the kind off.
f="$SVCMAP_PCAPS/elcabezzonn-Pcaps__impacket_psexec.pcap"
run_conf() {
	printf 'sensor sensitive\n%s\n' "$1" >"$SCRATCH/conf2"
	db="$SCRATCH/db2"
	rm -f "$db" "$db-wal" "$db-shm"
	"$SVCMAPD" -c "$SCRATCH/conf2" -d "$db" -r "$f" >/dev/null 2>&1 &&
	"$SVCMAPCTL" -d "$db" alerts --json | jq -r '[.[] |
	    select(.kind == "sensitive_operation")] | sort_by(.operation)[] |
	    "\(.operation) \(.count)"' | tr '\n' ' '
}
is "$(run_conf 'alert-operation-defaults no')" "" \
    "alert-operation-defaults no: the catalog's list is off"
is "$(run_conf 'alert sensitive_operation off')" "" \
    "alert sensitive_operation off: nothing raised"
is "$(run_conf "$(printf 'alert-operation-defaults no\nalert-operation svcctl ROpenServiceW')")" \
    "ROpenServiceW 2 " "a watch line of one's own (tshark: 2 OpenServiceW)"
is "$(run_conf "$(printf 'alert-operation-defaults no\nalert-operation SVCCTL 2')")" \
    "RDeleteService 1 " "by opnum, interface in any case (tshark: 1 DeleteService)"
want=$(tshark -n -r "$f" -Y 'svcctl.opnum && dcerpc.pkt_type == 0' \
    -T fields -e svcctl.opnum 2>/dev/null | wc -l | tr -d ' ')
got=$(run_conf "$(printf 'alert-operation-defaults no\nalert-operation svcctl *')" |
    awk '{ for (i = 2; i <= NF; i += 2) n += $i } END { print n + 0 }')
is "$got" "$want" "svcctl *: every svcctl call ($want as tshark)"

# svcmapd -t checks the names against the catalog.
for line in 'alert-operation svcctl RCreateService' \
    'alert-operation nosuch RCreateServiceW'; do
	printf '%s\n' "$line" >"$SCRATCH/bad.conf"
	ok "svcmapd -t refuses \"$line\"" sh -c \
	    "! '$SVCMAPD' -c '$SCRATCH/bad.conf' -t >/dev/null 2>'$SCRATCH/err'"
	ok "... and says where and what is unknown" grep -qF \
	    "$SCRATCH/bad.conf:1: $line: the catalog" "$SCRATCH/err"
done
printf 'alert-operation svcctl RCreateServiceW\nalert-operation efsrpc *\n' \
    >"$SCRATCH/good.conf"
ok "svcmapd -t accepts known names" sh -c \
    "'$SVCMAPD' -c '$SCRATCH/good.conf' -t >/dev/null 2>&1"
done_testing
