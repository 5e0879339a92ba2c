#!/bin/sh
# smb_pipes.sh - RPC in SMB named pipes on the shared captures (issue 13):
# every SMB conversation in which tshark sees a DCE/RPC bind is attributed
# to the bound interface's service (a `pipe` row of that service on the
# conversation's server and port), and that service is in the server's
# hosts list.  Asserted per capture; interfaces the catalog does not know
# name nothing and are not expected.  (LM_psexec_smb_dcerpc_epm_svcctl
# binds svcctl over TCP after an EPM lookup, not in a pipe: 0 of 0.)
#
# Each such row names its pipe: the row of the bind's service has the
# pipe tshark names for the bind's file id (SMB1: smb.file on the bind;
# SMB2: smb2.filename of the CREATE whose response gave the smb2.fid the
# bind is written to), normalised as svcmap does ("\PIPE\SvcCtl" is
# "\svcctl").  Each SMB row has the lowest dialect of its sessions:
# per TCP stream, tshark's NEGOTIATE response (smb2.dialect, the 0x02FF
# wildcard aside; an SMB1 response is "SMB1"), else "SMB2" or "SMB1" by
# the headers seen; the session rows of a server and port take the
# lowest of all its streams, a pipe row the lowest of the streams that
# bound on that pipe.  zeek__smb__smb3.pcap: the encrypted count of each
# server and port equals tshark's transform frames
# (smb2.protocol_id == 0xfd534d42, one transform each there).
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

# The dialect tshark shows, as svcmap writes it (3.1.1, 2.1, SMB1).
# Input "stream rank" lines, rank as stats.h orders dialects.
rank_name() {
	awk '{ r = $2
	    if (r == 256) n = "SMB1"; else if (r == 4095) n = "SMB2"
	    else { ma = int(r / 256); mi = int(r / 16) % 16; rv = r % 16
	        n = ma "." mi; if (rv) n = n "." rv }
	    print $1, n }'
}

# dialects CAPTURE: "server port stream rank" per SMB stream.
dialects() {
	{
		tshark -n -r "$1" -Y '(smb2.cmd == 0 && smb2.flags.response == 1) ||
		    (smb.cmd == 0x72 && smb.flags.response == 1)' -T fields \
		    -E separator=' ' -E occurrence=l -e tcp.stream -e smb2.dialect \
		    2>/dev/null | awk 'function hex(s,  i, v) { v = 0
		    for (i = 3; i <= length(s); i++)
		    v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		    return v }
		    $2 == "" { print $1, 256; next }
		    $2 != "0x02ff" { print $1, hex(tolower($2)) }'
		# Streams by their headers (every frame: the server side).
		tshark -n -r "$1" -Y 'tcp && (smb || smb2)' -T fields -E separator=' ' \
		    -E occurrence=f -e tcp.stream -e ip.src -e ipv6.src \
		    -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport \
		    -e smb2.cmd 2>/dev/null |
		    awk '{ sp = ($3 == 445 || $3 == 139); print "S", $1,
		    sp ? $2 : $4, sp ? $3 : $5, (NF >= 6 ? 4095 : 256) }'
	} | awk '$1 == "S" { if (!($2 in srv)) { srv[$2] = $3 " " $4 }
		if (!($2 in hdr) || $5 > hdr[$2]) hdr[$2] = $5; next }
	    { neg[$1] = $2 }
	    END { for (s in srv) print srv[s], s, (s in neg) ? neg[s] : hdr[s] }'
}

printf 'sensor pipes\n' >"$SCRATCH/conf"

for cap in $CAPS; do
	f="$SVCMAP_PCAPS/$cap"
	db="$SCRATCH/$cap.db"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$f" >/dev/null 2>&1
	"$SVCMAPCTL" -d "$db" services --all --json >"$SCRATCH/services"
	"$SVCMAPCTL" -d "$db" hosts --json >"$SCRATCH/hosts"
	# "stream server port uuid" for each interface a pipe bind offers
	# (the bind goes client -> server).
	# SMB2 pipes: "stream fid name" from each successful CREATE.
	tshark -n -r "$f" -Y 'smb2.cmd == 5' -T fields -E separator=/t \
	    -E occurrence=f -e tcp.stream -e smb2.flags.response \
	    -e smb2.msg_id -e smb2.nt_status -e smb2.fid -e smb2.filename \
	    2>/dev/null | awk -F '\t' '$2 == "False" || $2 == 0 {
	    name[$1 " " $3] = $6; next }
	    $4 == "0x00000000" && ($1 " " $3) in name {
	    print $1, $5, name[$1 " " $3] }' >"$SCRATCH/fids"
	# "stream server port uuid pipe" for each interface a pipe bind
	# offers (the bind goes client -> server).
	tshark -n -r "$f" -Y '(smb || smb2) && dcerpc.cn_bind_to_uuid' \
	    -T fields -E separator=/t -E aggregator=' ' -E occurrence=f \
	    -e tcp.stream -e ip.dst -e ipv6.dst -e tcp.dstport -e smb2.fid \
	    -e smb.file -e dcerpc.cn_bind_to_uuid 2>/dev/null |
	    awk -F '\t' 'FILENAME == ARGV[1] { split($0, a, " ")
	    n = a[3]; for (i = 4; i <= length(a); i++) n = n " " a[i]
	    fn[a[1] " " a[2]] = n; next }
	    { p = $6 != "" ? $6 : fn[$1 " " $5]
	    p = tolower(p); sub(/^\\+/, "", p); sub(/^pipe\\/, "", p)
	    nu = split($7, u, " ")
	    for (i = 1; i <= nu; i++)
	    print $1, $2 $3, $4, u[i], "\\" p }' "$SCRATCH/fids" - |
	    sort -u >"$SCRATCH/binds"
	dialects "$f" >"$SCRATCH/dialects"
	want=0 got=0 missing=""
	while read -r stream server port uuid pipe; do
		svc=$("$SVCMAPCTL" catalog --uuid "$uuid" --json 2>/dev/null |
		    jq -r '.[0].service // empty')
		[ -n "$svc" ] || continue
		want=$((want + 1))
		if jq -e --arg s "$svc" --arg ip "$server" --argjson p "$port" \
		    --arg pipe "$pipe" \
		    'any(.[]; .service == $s and .server_ip == $ip and
		    .port == $p and .method == "pipe" and .pipe == $pipe)' \
		    "$SCRATCH/services" \
		    >/dev/null && jq -e --arg s "$svc" --arg ip "$server" \
		    'any(.[]; .ip == $ip and (.services | index($s)))' \
		    "$SCRATCH/hosts" >/dev/null; then
			got=$((got + 1))
		else
			missing="$missing stream $stream $server:$port $pipe $uuid->$svc;"
		fi
		echo "$stream $server $port $svc $pipe" >>"$SCRATCH/piperows"
	done <"$SCRATCH/binds"
	ok "$cap: $got of $want pipe binds (tshark) attributed to a row of their pipe, in hosts" \
	    test "$got" -eq "$want"
	[ -z "$missing" ] || echo "# missing:$missing"

	# Dialects: what each row should say, from tshark.
	awk '{ k = $1 "|" $2; if (!(k in m) || $4 < m[k]) m[k] = $4 }
	    END { for (k in m) print k, m[k] }' "$SCRATCH/dialects" |
	    rank_name | tr '|' ' ' | sort >"$SCRATCH/want_port"
	jq -r '.[] | select(.smb_dialect != null and .method != "pipe") |
	    "\(.server_ip) \(.port) \(.smb_dialect)"' "$SCRATCH/services" |
	    sort -u >"$SCRATCH/got_port"
	# A server with SMB rows that tshark sees no SMB on (or the
	# reverse) fails here too.
	if diff "$SCRATCH/want_port" "$SCRATCH/got_port" >"$SCRATCH/d"; then
		ok "$cap: session rows' dialects are tshark's NEGOTIATE ($(tr '\n' ';' <"$SCRATCH/got_port"))" true
	else
		ok "$cap: session rows' dialects are tshark's NEGOTIATE" false
		sed 's/^/# /' "$SCRATCH/d"
	fi
	touch "$SCRATCH/piperows"
	awk 'FILENAME == ARGV[1] { d[$3] = $4; next }
	    ($1 in d) { k = $2 " " $3 " " $4 " " $5
	    if (!(k in m) || d[$1] < m[k]) m[k] = d[$1] }
	    END { for (k in m) { split(k, a, " "); print k, m[k] } }' \
	    "$SCRATCH/dialects" "$SCRATCH/piperows" |
	    awk '{ print $1 "|" $2 "|" $3 "|" $4, $5 }' | rank_name |
	    sort >"$SCRATCH/want_pipe"
	jq -r '.[] | select(.method == "pipe") |
	    "\(.server_ip)|\(.port)|\(.service)|\(.pipe) \(.smb_dialect)"' \
	    "$SCRATCH/services" | sort -u >"$SCRATCH/got_pipe"
	# Only the pipe rows tshark's binds name are compared.
	join "$SCRATCH/want_pipe" "$SCRATCH/got_pipe" >"$SCRATCH/j"
	if [ -s "$SCRATCH/want_pipe" ] &&
	    awk '$2 != $3 { bad = 1 } END { exit bad }' "$SCRATCH/j" &&
	    [ "$(wc -l <"$SCRATCH/j")" -eq "$(wc -l <"$SCRATCH/want_pipe")" ]; then
		ok "$cap: pipe rows' dialects ($(tr '\n' ';' <"$SCRATCH/j"))" true
	elif [ ! -s "$SCRATCH/want_pipe" ]; then
		ok "$cap: no pipe binds, no pipe dialect to check" true
	else
		ok "$cap: pipe rows' dialects" false
		sed 's/^/# want /' "$SCRATCH/want_pipe"
		sed 's/^/# got  /' "$SCRATCH/got_pipe"
	fi
	rm -f "$SCRATCH/piperows"
done

# Encrypted SMB3 per server and port (zeek__smb__smb3.pcap).
cap=zeek__smb__smb3.pcap
if [ -r "$SVCMAP_PCAPS/$cap" ]; then
	db="$SCRATCH/$cap.db"
	"$SVCMAPD" -c "$SCRATCH/conf" -d "$db" -r "$SVCMAP_PCAPS/$cap" \
	    >/dev/null 2>&1
	want=$(tshark -n -r "$SVCMAP_PCAPS/$cap" \
	    -Y 'smb2.protocol_id == 0xfd534d42' -T fields -E separator=' ' \
	    -E occurrence=f -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport \
	    2>/dev/null | awk '{ if ($2 == 445 || $2 == 139) k = $1 " " $2
	    else k = $3 " " $4; n[k]++ } END { for (k in n) print k, n[k] }' |
	    sort)
	got=$("$SVCMAPCTL" -d "$db" services --all --json | jq -r 'group_by(
	    [.server_ip, .port]) | .[] | select(any(.[]; .smb_encrypted > 0)) |
	    "\(.[0].server_ip) \(.[0].port) \([.[].smb_encrypted // 0] | add)"' |
	    sort)
	is "$got" "$want" "$cap: encrypted SMB3 messages per server and port are tshark's transforms"
fi
done_testing
