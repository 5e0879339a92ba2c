#!/bin/sh
# smb_pipes.sh - RPC in SMB named pipes on the shared captures (issue 13):
# every SMB conversation in which tshark sees a DCE/RPC bind is attributed
# to the bound interface's service (a `pipe` row of that service on the
# conversation's server and port), and that service is in the server's
# hosts list.  Asserted per capture; interfaces the catalog does not know
# name nothing and are not expected.  (LM_psexec_smb_dcerpc_epm_svcctl
# binds svcctl over TCP after an EPM lookup, not in a pipe: 0 of 0.)
. "${top_srcdir:-.}/tests/lib.sh"
CAPS="elcabezzonn-Pcaps__remcom.pcap elcabezzonn-Pcaps__smbexec.pcap
    elcabezzonn-Pcaps__impacket_psexec.pcap
    elcabezzonn-Pcaps__cme-smb-chip-douglas.pcap zeek__dce-rpc__20-fids.pcap
    401trg-detections__20171220_smb_net_user.pcap
    PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng
    suricata-verify__bug-5162__input.pcap"
# shellcheck disable=SC2086
need_pcaps $CAPS
need_cmd tshark jq
scratch

printf 'sensor pipes\n' >"$SCRATCH/conf"

for cap in $CAPS; do
	f="$SVCMAP_PCAPS/$cap"
	db="$SCRATCH/$cap.db"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$f" >/dev/null 2>&1
	"$SVCMAPCTL" -d "$db" services --all --json >"$SCRATCH/services"
	"$SVCMAPCTL" -d "$db" hosts --json >"$SCRATCH/hosts"
	# "stream server port uuid" for each interface a pipe bind offers
	# (the bind goes client -> server).
	tshark -n -r "$f" -Y '(smb || smb2) && dcerpc.cn_bind_to_uuid' \
	    -T fields -E separator=' ' -E aggregator=' ' -e tcp.stream \
	    -e ip.dst -e ipv6.dst -e tcp.dstport -e dcerpc.cn_bind_to_uuid \
	    2>/dev/null | awk '{ for (i = 4; i <= NF; i++)
	    print $1, $2, $3, $i }' | sort -u >"$SCRATCH/binds"
	want=0 got=0 missing=""
	while read -r stream server port uuid; do
		svc=$("$SVCMAPCTL" catalog --uuid "$uuid" --json 2>/dev/null |
		    jq -r '.[0].service // empty')
		[ -n "$svc" ] || continue
		want=$((want + 1))
		if jq -e --arg s "$svc" --arg ip "$server" --argjson p "$port" \
		    'any(.[]; .service == $s and .server_ip == $ip and
		    .port == $p and .method == "pipe")' "$SCRATCH/services" \
		    >/dev/null && jq -e --arg s "$svc" --arg ip "$server" \
		    'any(.[]; .ip == $ip and (.services | index($s)))' \
		    "$SCRATCH/hosts" >/dev/null; then
			got=$((got + 1))
		else
			missing="$missing stream $stream $server:$port $uuid->$svc;"
		fi
	done <"$SCRATCH/binds"
	ok "$cap: $got of $want pipe binds (tshark) attributed, in hosts" \
	    test "$got" -eq "$want"
	[ -z "$missing" ] || echo "# missing:$missing"
done
done_testing
