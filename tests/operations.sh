#!/bin/sh
# operations.sh - RPC operations (issue 13) against tshark, per capture.
#
# Every shared capture is classified into a fresh database, and
# `svcmapctl operations --json` must give, for each (server, port,
# transport, interface UUID, opnum), exactly the calls tshark counts:
# request PDUs that are a call's first fragment (dcerpc.cn_flags & 0x01;
# connectionless: fragment number 0), their interface being the one the
# request's context was bound to in the same TCP stream and SMB file id
# (dcerpc.cn_bind_to_uuid / cn_ctx_id), or the connectionless header's
# dcerpc.dg_if_id (tests/operations_tshark.py).  A capture in which
# tshark sees no request must give no operation.  Asserted per capture.
#
# Where svcmap and tshark legitimately differ, the difference is applied
# to tshark's list and named here:
#  - Requests on a context whose bind is not in the capture (the capture
#    starts mid-connection: zeek__dce-rpc__mapi.pcap,
#    elcabezzonn-Pcaps__new-jscript-poshc2.pcap) name no interface for
#    either side: both leave them out (the TAP line says how many).
#  - svcmap parses connectionless DCE/RPC on the endpoint mapper's port
#    (135/udp) only: tshark's udp rows on other ports are left out
#    (nDPI__dcerpc.pcap: PROFINET IO CM on 34964/udp, not Windows).
#  - corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap, frame 419:
#    the only copy of a NetrServerAuthenticate3 request (opnum 26, TCP
#    stream 29 to 172.16.5.58:49668), which tshark's sequence analysis
#    calls a retransmission (the client's ACK in frame 418 already
#    covered it) and does not dissect.  svcmap receives those bytes in
#    order and counts the call.  The test has tshark decode frame 419
#    with -o tcp.analyze_sequence_numbers:FALSE and adds that call.
#
# Encrypted stubs are no exclusion: the opnum is in the clear PDU header.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd tshark jq python3
scratch

printf 'sensor ops\n' >"$SCRATCH/conf"
ORACLE="$top_srcdir/tests/operations_tshark.py"

# svcmap's list, in the oracle's format.
svcmap_ops() {
	jq -r '.[] | "\(.server_ip) \(.port) \(.transport)" +
	    " \(.interface_uuid) \(.opnum) \(.calls)"' "$1" | sort
}

ncaps=0 nwith=0
for f in "$SVCMAP_PCAPS"/*.pcap "$SVCMAP_PCAPS"/*.pcapng; do
	[ -f "$f" ] || continue
	cap=$(basename "$f")
	ncaps=$((ncaps + 1))
	db="$SCRATCH/db"
	rm -f "$db" "$db-wal" "$db-shm"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$f" >/dev/null 2>&1 ||
	    bail_out "svcmapd failed on $cap"
	"$SVCMAPCTL" -d "$db" operations --json >"$SCRATCH/ops.json"
	svcmap_ops "$SCRATCH/ops.json" >"$SCRATCH/svcmap"
	python3 "$ORACLE" "$f" >"$SCRATCH/tshark.raw" 2>"$SCRATCH/tshark.err" ||
	    bail_out "tshark failed on $cap"
	read -r _ requests _ unbound <"$SCRATCH/tshark.err"
	# Connectionless DCE/RPC is parsed on 135/udp only.
	awk '$3 != "udp" || $2 == 135' "$SCRATCH/tshark.raw" >"$SCRATCH/tshark"
	case $cap in
	corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap)
		is "$(tshark -n -r "$f" -o tcp.analyze_sequence_numbers:FALSE \
		    -Y 'frame.number == 419' -T fields -e tcp.stream \
		    -e dcerpc.pkt_type -e dcerpc.cn_flags -e dcerpc.opnum \
		    2>/dev/null)" "$(printf '29\t0\t0x03\t26')" \
		    "$cap: frame 419 is a NetrServerAuthenticate3 call"
		awk '$1 == "172.16.5.58" && $2 == 49668 && $5 == 26 {
		    $6++ } { print }' "$SCRATCH/tshark" >"$SCRATCH/t2"
		mv "$SCRATCH/t2" "$SCRATCH/tshark"
		;;
	esac
	sort -o "$SCRATCH/tshark" "$SCRATCH/tshark"
	if [ "$requests" -eq 0 ]; then
		is "$(jq length "$SCRATCH/ops.json")" 0 \
		    "$cap: no DCE/RPC request (tshark), no operation"
		continue
	fi
	nwith=$((nwith + 1))
	rows=$(wc -l <"$SCRATCH/tshark")
	if diff -u "$SCRATCH/tshark" "$SCRATCH/svcmap" >"$SCRATCH/diff"; then
		ok "$cap: $rows operations, calls equal to tshark's (requests $requests, unbound $unbound)" \
		    true
	else
		ok "$cap: operations equal to tshark's" false
		sed 's/^/# /' "$SCRATCH/diff"
	fi
	# Every call is counted once: the registry's rpc.calls is their sum.
	sum=$(jq '[.[].calls] | add // 0' "$SCRATCH/ops.json")
	"$SVCMAPCTL" -d "$db" summary >"$SCRATCH/summary"
	is "$(sed -n 's/^rpc\.calls=//p' "$SCRATCH/summary")" "$sum" \
	    "$cap: rpc.calls is the sum of the calls"
	is "$(sed -n 's/^rpc\.ops_dropped=//p' "$SCRATCH/summary")" 0 \
	    "$cap: nothing dropped"

	case $cap in
	elcabezzonn-Pcaps__impacket_psexec.pcap)
		# PsExec's svcctl calls, by name, in \PIPE\svcctl.
		is "$(jq -r '[.[] | select(.interface == "svcctl") |
		    "\(.operation)=\(.calls)"] | join(" ")' \
		    "$SCRATCH/ops.json")" "RCloseServiceHandle=4 \
RControlService=1 RDeleteService=1 RCreateServiceW=1 ROpenSCManagerW=2 \
ROpenServiceW=2 RStartServiceW=1" "$cap: the svcctl calls PsExec makes"
		is "$(jq -r '[.[] | select(.interface == "svcctl") |
		    .service] | unique | join(" ")' "$SCRATCH/ops.json")" scm \
		    "$cap: svcctl operations belong to the SCM"
		"$SVCMAPCTL" -d "$db" operations --service scm --host \
		    192.168.1.46 --json >"$SCRATCH/scm.json"
		is "$(jq length "$SCRATCH/scm.json")" 7 \
		    "$cap: --service scm --host 192.168.1.46: its 7 operations"
		is "$("$SVCMAPCTL" -d "$db" operations --host 10.9.9.9 --json)" \
		    "[]" "$cap: --host of another server: none"
		"$SVCMAPCTL" -d "$db" operations --csv >"$SCRATCH/ops.csv"
		is "$(head -1 "$SCRATCH/ops.csv")" "sensor,server_ip,port,\
transport,interface,interface_uuid,version,service,opnum,operation,calls,\
clients,first_seen,last_seen" "$cap: --csv header"
		is "$(wc -l <"$SCRATCH/ops.csv")" 11 "$cap: --csv rows"
		;;
	PCAP-ATTACK__CredAccess__DCShadow_add_primarygroupid_512_to_std_account.pcapng)
		# The DCShadow replication calls, by name.
		is "$(jq -r '[.[] | select(.interface == "drsuapi") |
		    "\(.operation)=\(.calls)"] | join(" ")' \
		    "$SCRATCH/ops.json")" "IDL_DRSBind=2 IDL_DRSUnbind=2 \
IDL_DRSReplicaAdd=1 IDL_DRSReplicaDel=1" "$cap: the DRSR calls"
		is "$(jq -r '[.[] | select(.interface == "drsuapi") |
		    .clients] | unique | join(" ")' "$SCRATCH/ops.json")" 1 \
		    "$cap: one client"
		;;
	esac
done
ok "shared captures found ($ncaps, $nwith with DCE/RPC requests)" \
    test "$ncaps" -gt 0
done_testing
