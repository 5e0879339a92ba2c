#!/bin/sh
# The endpoints learned from EPM replies equal tshark's reading of every
# tower (epm_truth.csv) capture by capture, and the follow-up flows to a
# learned port are attributed with method epm.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps epm_truth.csv \
    PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng \
    PCAP-ATTACK__CredAccess__DCShadow_add_primarygroupid_512_to_std_account.pcapng \
    corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap \
    corelight-zerologon__CVE-2020-1472_test_win2016.pcap \
    elcabezzonn-Pcaps__schtasks.pcap
need_cmd jq
scratch
truth="$SVCMAP_PCAPS/epm_truth.csv"
# shellcheck disable=SC2046
need_captures $(awk -F, 'NR > 1 { print $1 }' "$truth" | sort -u)

for name in $(awk -F, 'NR > 1 { print $1 }' "$truth" | sort -u); do
	db="$SCRATCH/$name.db"
	ok "$name: svcmapd exits 0" classify "$db" "$SVCMAP_PCAPS/$name"
	want=$(awk -F, -v f="$name" '$1 == f { print $3 "\t" $4 "\t" $5 "\t" $6 }' \
	    "$truth" | sort -u)
	got=$("$SVCMAPCTL" -d "$db" endpoints --json | jq -r '.[] |
	    select(.source == "ept_map" or .source == "ept_lookup") |
	    [.server_ip, (.port | tostring), .transport, .uuid] | @tsv' | sort -u)
	is "$got" "$want" "$name: learned endpoints equal the EPM truth"
done

# follow NAME SERVER PORT SERVICE FLOWS: flows to a learned port.
follow() {
	db="$SCRATCH/$1.db"
	rows=$("$SVCMAPCTL" -d "$db" services --json | jq -c --arg ip "$2" \
	    --argjson p "$3" '[.[] | select(.server_ip == $ip and .port == $p)]')
	is "$(echo "$rows" | jq -r '[.[].method] | unique | join(",")')" epm \
	    "$1: $2:$3 attributed by epm"
	is "$(echo "$rows" | jq -r '[.[].service] | unique | join(",")')" "$4" \
	    "$1: $2:$3 is $4"
	is "$(echo "$rows" | jq '[.[].flows] | add')" "$5" \
	    "$1: $2:$3 has $5 flows"
}
follow corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap 172.16.5.58 49668 netlogon 21
follow corelight-zerologon__CVE-2020-1472_test_win2016.pcap 172.16.5.59 49670 netlogon 781
follow PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng 172.16.66.36 49688 scm 1
follow elcabezzonn-Pcaps__schtasks.pcap 192.168.1.195 49154 schedule 2
follow PCAP-ATTACK__CredAccess__DCShadow_add_primarygroupid_512_to_std_account.pcapng 172.16.66.36 49667 lsass 1

# A restart keeps what was learned: the capture is cut right after its
# EPM reply; a second svcmapd run over the rest, into the same database,
# still names the follow-up flow by the endpoint the first run learned.
if command -v editcap >/dev/null 2>&1; then
	name=PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng
	frame=$(awk -F, -v f="$name" '$1 == f { print $2; exit }' "$truth")
	editcap -r "$SVCMAP_PCAPS/$name" "$SCRATCH/head.pcapng" "1-$frame" >/dev/null
	editcap -r "$SVCMAP_PCAPS/$name" "$SCRATCH/tail.pcapng" "$((frame + 1))-1000000" >/dev/null
	db="$SCRATCH/restart.db"
	classify "$db" "$SCRATCH/head.pcapng"
	classify "$db" "$SCRATCH/tail.pcapng"
	is "$("$SVCMAPCTL" -d "$db" services --json | jq -r \
	    '[.[] | select(.port == 49688) | .method] | unique | join(",")')" epm \
	    "restart: follow-up named by the endpoint learned before the restart"
fi
done_testing
