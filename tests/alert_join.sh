#!/bin/sh
# Alerts that join other tools (issue 16), checked against tshark on the
# shared captures.  For every alert of every capture whose golden
# alerts.json has any (18 captures, 22 alerts), tshark is the oracle:
# the frame numbered `packet` in the capture (tshark's frame.number) has
# the alert's `timestamp` (frame.time_epoch, to the microsecond), its
# endpoints are the alert's client_ip:client_port and server_ip:port, and
# tshark's Community ID of that frame (Wireshark's "communityid"
# post-dissector, seed 0) is the alert's `community_id`.  Then, on
# 401trg-detections__20171220_smb_psexec_add_user.pcap: seed 1 against
# tshark's communityid.seed 1; a BPF filter that drops 66 of the 159
# frames before the alert's still numbers it as tshark does (frame 160);
# the JSON lines carry one line per event with the stored record's
# fields; and alert-severity-scale suricata changes the JSON lines'
# severity only.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd jq tshark
scratch

# The captures with alerts, from the golden files (which expected.sh
# checks against svcmapd).
caps=
for d in "$top_srcdir"/tests/expected/*/; do
	c=$(basename "$d")
	[ "$(jq length "$d/alerts.json")" -gt 0 ] && caps="$caps $c"
done
# shellcheck disable=SC2086
need_captures $caps
# 18 since issue 14 item 1: nDPI__kerberos's mid-stream drsuapi flows on
# 49155 are now named, its one unmapped_dynamic_port alert gone (and
# mapi's 1032 alert dropped by the grace period).
is "$(echo $caps | wc -w)" 18 "18 shared captures raise alerts"

# frames CAPTURE NUMBERS,... [TSHARK OPTION ...]: "number time src sport dst
# dport community_id" per frame, the outer IP header and transport.
frames() {
	_cap=$1 _nums=$2
	shift 2
	tshark -n --enable-protocol communityid "$@" \
	    -r "$SVCMAP_PCAPS/$_cap" -Y "frame.number in {$_nums}" \
	    -E occurrence=f -T fields -e frame.number -e frame.time_epoch \
	    -e ip.src -e ipv6.src -e tcp.srcport -e udp.srcport \
	    -e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport \
	    -e communityid 2>/dev/null |
	    awk -F'\t' '{ printf "%s %s %s %s %s %s %s\n", $1, $2,
		$3 $4, $5 $6, $7 $8, $9 $10, $11 }'
}

# check CAPTURE ALERTS.json [TSHARK OPTION ...]: each alert against its frame.
check() {
	_cap=$1 _json=$2
	shift 2
	_nums=$(jq -r '[.[].packet] | map(tostring) | join(",")' "$_json")
	frames "$_cap" "$_nums" "$@" >"$SCRATCH/frames"
	jq -r '.[] | [.id, .packet, .timestamp, .client_ip, .client_port,
	    .server_ip, .port, .community_id, .pcap_file] | map(tostring) |
	    join(" ")' "$_json" >"$SCRATCH/want"
	# Not a pipe: the loop's TAP counts must stay in this shell.
	while read -r id pkt ts cip cport sip sport cid file; do
		set -- $(awk -v n="$pkt" '$1 == n' "$SCRATCH/frames")
		if [ $# -ne 7 ]; then
			ok "$_cap alert $id: tshark has frame $pkt" false
			continue
		fi
		# frame.time_epoch (nanoseconds) to RFC 3339, microseconds.
		t=$(echo "$2" | jq -Rr 'split(".") as [$s, $f] |
		    ($s | tonumber | todate | sub("Z$"; "")) + "." +
		    $f[0:6] + "Z"')
		is "$ts" "$t" "$_cap alert $id: timestamp is frame $pkt's"
		if [ "$3:$4 $5:$6" = "$cip:$cport $sip:$sport" ] ||
		    [ "$5:$6 $3:$4" = "$cip:$cport $sip:$sport" ]; then
			ok "$_cap alert $id: frame $pkt is $cip:$cport <-> $sip:$sport" true
		else
			ok "$_cap alert $id: frame $pkt ($3:$4 -> $5:$6) is $cip:$cport <-> $sip:$sport" false
		fi
		is "$cid" "$7" "$_cap alert $id: community_id is tshark's"
		is "$file" "$_cap" "$_cap alert $id: pcap_file"
	done <"$SCRATCH/want"
}

printf 'sensor join\nalert-jsonl %s/alerts.jsonl\n' "$SCRATCH" \
    >"$SCRATCH/join.conf"
for cap in $caps; do
	db="$SCRATCH/$cap.db"
	rm -f "$SCRATCH/alerts.jsonl"
	if ! "$SVCMAPD" -c "$SCRATCH/join.conf" -d "$db" \
	    -r "$SVCMAP_PCAPS/$cap" >/dev/null 2>"$SCRATCH/stderr"; then
		ok "$cap: svcmapd runs" false
		sed 's/^/# /' "$SCRATCH/stderr"
		continue
	fi
	"$SVCMAPCTL" -d "$db" alerts --json >"$SCRATCH/alerts.json"
	check "$cap" "$SCRATCH/alerts.json"
	# One JSON line per event, each a stored record (as it was when
	# published) with the same fields.
	is "$(wc -l <"$SCRATCH/alerts.jsonl" | tr -d ' ')" \
	    "$(jq '[.[].events] | add' "$SCRATCH/alerts.json")" \
	    "$cap: a JSON line per event"
	key='map({id, kind, server_ip, port, transport, interface, operation,
	    sensor, event_type, pcap_file}) | unique'
	is "$(jq -sc "$key" "$SCRATCH/alerts.jsonl")" \
	    "$(jq -c "$key" "$SCRATCH/alerts.json")" \
	    "$cap: the JSON lines are the stored alerts"
	is "$(jq -sc 'map(keys) | add | unique' "$SCRATCH/alerts.jsonl")" \
	    "$(jq -c 'map(keys) | add | unique' "$SCRATCH/alerts.json")" \
	    "$cap: the JSON lines have the stored records' fields"
done

cap=401trg-detections__20171220_smb_psexec_add_user.pcap
# A site seed: tshark's communityid.seed gives the same.
printf 'sensor join\ncommunity-id-seed 1\n' >"$SCRATCH/seed.conf"
rm -f "$SCRATCH/seed.db"
"$SVCMAPD" -c "$SCRATCH/seed.conf" -d "$SCRATCH/seed.db" \
    -r "$SVCMAP_PCAPS/$cap" >/dev/null 2>&1
"$SVCMAPCTL" -d "$SCRATCH/seed.db" alerts --json >"$SCRATCH/seed.json"
ok "seed 1 changes the Community ID" test "$(jq -r '.[0].community_id' \
    "$SCRATCH/seed.json")" != "$(jq -r '.[0].community_id' \
    "$top_srcdir/tests/expected/$cap/alerts.json")"
check "$cap" "$SCRATCH/seed.json" -o communityid.seed:1

# A BPF filter drops records, not their numbers.
is "$(tshark -n -r "$SVCMAP_PCAPS/$cap" -Y 'frame.number < 160 && !tcp' \
    2>/dev/null | wc -l | tr -d ' ')" 66 \
    "$cap: tshark counts 66 frames before frame 160 that are not TCP"
printf 'sensor join\nbpf-filter "tcp"\n' >"$SCRATCH/bpf.conf"
"$SVCMAPD" -c "$SCRATCH/bpf.conf" -d "$SCRATCH/bpf.db" \
    -r "$SVCMAP_PCAPS/$cap" >/dev/null 2>&1
"$SVCMAPCTL" -d "$SCRATCH/bpf.db" alerts --json >"$SCRATCH/bpf.json"
is "$(jq -c '[.[].packet]' "$SCRATCH/bpf.json")" "[160]" \
    "$cap: with bpf-filter tcp the alert is still frame 160"
check "$cap" "$SCRATCH/bpf.json"

# Suricata's scale in the JSON lines only; the database keeps svcmap's.
printf 'sensor join\nalert-severity-scale suricata\nalert-jsonl %s/suri.jsonl\n' \
    "$SCRATCH" >"$SCRATCH/suri.conf"
"$SVCMAPD" -c "$SCRATCH/suri.conf" -d "$SCRATCH/suri.db" \
    -r "$SVCMAP_PCAPS/$cap" >/dev/null 2>&1
is "$(jq -c '[.severity, .severity_scale]' "$SCRATCH/suri.jsonl")" \
    '[1,"suricata"]' "suricata scale: severity 4 (high) is priority 1"
is "$("$SVCMAPCTL" -d "$SCRATCH/suri.db" alerts --json |
    jq -c '[.[].severity]')" "[4]" "suricata scale: the database keeps 4"
is "$(jq -Sc 'del(.severity, .severity_scale)' "$SCRATCH/suri.jsonl")" \
    "$("$SVCMAPCTL" -d "$SCRATCH/suri.db" alerts --json |
    jq -Sc '.[0] | del(.severity)')" \
    "suricata scale: every other field as stored"
done_testing
