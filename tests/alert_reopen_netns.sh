#!/bin/sh
# The alert JSON lines under logrotate: svcmapd captures live in a network
# namespace (tests/lib.sh netns_pair) while tcpreplay sends shared
# captures.  Each raises one alert (tests/expected/CAPTURE/alerts.json,
# checked against tshark by tests/alert_join.sh):
#   A PCAP-ATTACK__LateralMovement__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng
#     sensitive_operation on 172.16.66.36:49683
#   B elcabezzonn-Pcaps__cme-smb-chip-douglas.pcap
#     sensitive_operation on 192.168.1.46:445
#   C nDPI__dcerpc.pcap
#     unmapped_dynamic_port on 192.168.1.11:49154
# A's line is written, the file is renamed (as logrotate does) and
# SIGHUP sent; B's line must land in a new file.  Then the configuration
# is broken, the file renamed again and SIGHUP sent: the reload fails,
# yet the file is reopened, and C's line lands in a new file.  No line is
# lost (lines = the events the database counts) and none is written
# twice.  Live lines carry the client port and the Community ID (tshark's
# for the same flow of the replayed capture), and no pcap_file or packet.
. "${top_srcdir:-.}/tests/lib.sh"
capa=PCAP-ATTACK__LateralMovement__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng
capb=elcabezzonn-Pcaps__cme-smb-chip-douglas.pcap
capc=nDPI__dcerpc.pcap
need_pcaps "$capa" "$capb" "$capc"
need_cmd jq ip tcpreplay tshark
scratch
netns_pair

db="$SCRATCH/live.db"
log="$SCRATCH/alerts.jsonl"
cat >"$SCRATCH/svcmapd.conf" <<CONF
database $db
flush-interval 1s
api-listen off
user ""
sensor live-1
alert-jsonl $log
# C's alert is an unmapped_dynamic_port, held for alert-grace of packet
# time; packet time stops with the replay, so it would wait for the next
# packet (a SPAN port always has one).  The grace has its own tests
# (test_alert, midstream.sh); here each line is written at once.
alert-grace 0s
CONF
ip netns exec "$NS_CAP" "$SVCMAPD" -c "$SCRATCH/svcmapd.conf" -i vcap \
    2>"$SCRATCH/stderr" &
DAEMON_PID=$!
# 30 s: a sanitizer build on a loaded machine starts slowly.
ok "svcmapd started capturing" wait_for "$SCRATCH/stderr" "capturing on" 300

replay "$SVCMAP_PCAPS/$capa"
ok "A: its alert is written" wait_for "$log" '"port":49683' 150
mv "$log" "$log.1"
kill -HUP "$DAEMON_PID"
ok "SIGHUP: reloaded" wait_for "$SCRATCH/stderr" "reloaded"
replay "$SVCMAP_PCAPS/$capb"
ok "B: its alert is written to a new file" wait_for "$log" \
    '"server_ip":"192.168.1.46"' 150

# A broken configuration: the reload fails, the file is reopened anyway.
mv "$log" "$log.2"
echo "no-such-directive 1" >>"$SCRATCH/svcmapd.conf"
kill -HUP "$DAEMON_PID"
ok "SIGHUP with a bad configuration: the reload fails" wait_for \
    "$SCRATCH/stderr" "reload failed"
replay "$SVCMAP_PCAPS/$capc"
ok "C: its alert is written to a new file all the same" wait_for "$log" \
    '"kind":"unmapped_dynamic_port"' 150

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
status=$?
DAEMON_PID=
is "$status" 0 "SIGTERM: clean exit"

is "$(jq -r '.server_ip' "$log.1")" 172.16.66.36 "the rotated file holds A's line"
is "$(jq -r '.server_ip' "$log.2")" 192.168.1.46 \
    "the second rotated file holds B's line"
is "$(jq -r '.server_ip' "$log")" 192.168.1.11 "the current file holds C's line"
cat "$log.1" "$log.2" "$log" >"$SCRATCH/all.jsonl"
is "$(wc -l <"$SCRATCH/all.jsonl" | tr -d ' ')" \
    "$("$SVCMAPCTL" -d "$db" alerts --json | jq '[.[].events] | add')" \
    "no line lost: the lines are the events the database counts"
is "$(jq -s 'map(.id) | unique | length' "$SCRATCH/all.jsonl")" 3 \
    "no line written twice"
is "$(jq -s 'map(select(.event_type == "alert" and .sensor == "live-1" and
    .client_port > 0 and (.community_id | startswith("1:")) and
    (has("pcap_file") | not) and (has("packet") | not) and
    (.timestamp | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z$")))) | length' \
    "$SCRATCH/all.jsonl")" 3 \
    "live lines: event_type, microseconds, client port, Community ID; no file or packet"
# tshark's Community ID of B's flow, found by its client port.
cport=$(jq -r '.client_port' "$log.2")
is "$(jq -r '.community_id' "$log.2")" \
    "$(tshark -n --enable-protocol communityid -r "$SVCMAP_PCAPS/$capb" \
    -Y "ip.addr == 192.168.1.109 && tcp.port == $cport && tcp.port == 445" \
    -T fields -e communityid 2>/dev/null | sort -u)" \
    "B's community_id is tshark's for 192.168.1.109:$cport <-> 192.168.1.46:445"
done_testing
