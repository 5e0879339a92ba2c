#!/bin/sh
# svcmapd as a service, for real: live capture on a veth end in a network
# namespace, driven by a config file, with the HTTP API answering and a
# stand-in for systemd's notification socket.  Checks the whole life:
# READY=1 once capturing, the API's /v1/status and /v1/services over the
# replayed traffic, a SIGHUP with a changed config taking effect (and a
# broken one refused without harm), watchdog pings, SIGUSR1 counters, and
# SIGTERM leaving every replayed packet in a database that passes
# integrity_check.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__smb__smb3.pcap \
    PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng
need_cmd jq ip tcpreplay sqlite3 curl
scratch
netns_pair

smb="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"		# 54 packets, 445/tcp
psexec="$SVCMAP_PCAPS/PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng"
npsexec=264	# MANIFEST.md; EPM maps SVCCTL to 172.16.66.36:49688/tcp
db="$SCRATCH/svc.db"
conf="$SCRATCH/svcmapd.conf"
log="$SCRATCH/stderr"
notes="$SCRATCH/notify"

# wait_packets N: until /v1/status counts N packets classified and N
# received by the capture (flushes and counter refreshes are 1 s apart).
wait_packets() {
	_i=0
	while [ "$(api /v1/status |
	    jq '"\(.packets) \(.interfaces[0].received)"')" != "\"$1 $1\"" ] &&
	    [ $_i -lt 150 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
}

# First config: no monitored network holds the replayed servers.
cat > "$conf" <<CONF
interface vcap
database $db
flush-interval 1s
api-listen 127.0.0.1:8135
user ""
monitored-networks 198.51.100.0/24
CONF
ok "svcmapd -t accepts the config" "$SVCMAPD" -t -c "$conf"

"$top_builddir/tests/notify-recv" "$SCRATCH/notify.sock" > "$notes" &
NOTIFY_PID=$!
sleep 0.2
NOTIFY_SOCKET="$SCRATCH/notify.sock" WATCHDOG_USEC=400000 \
    ip netns exec "$NS_CAP" "$SVCMAPD" -c "$conf" 2>"$log" &
DAEMON_PID=$!
ok "READY=1 sent once capturing" wait_for "$notes" "^READY=1"
ok "status names the interface" grep -q "STATUS=capturing on vcap" "$notes"
ok "API listening" wait_for "$log" "API listening on 127.0.0.1:8135"

replay "$smb"
wait_packets 54
st=$(api /v1/status)
is "$(echo "$st" | jq .packets)" 54 "/v1/status: replayed packets counted"
is "$(echo "$st" | jq -r '.interfaces[0].name')" vcap \
    "/v1/status: the interface"
is "$(echo "$st" | jq '.interfaces[0].received')" 54 \
    "/v1/status: the interface's received counter is current"
is "$(echo "$st" | jq .reloads)" 0 "/v1/status: no reload yet"
is "$(api /v1/services | jq '[.[] | select(.port == 445)] | length')" 0 \
    "/v1/services: unmonitored servers are not mapped"

# Second config: the default monitored networks, and one setting that
# needs a restart (reported, not applied).
cat > "$conf" <<CONF
interface vcap
database $db
flush-interval 1s
api-listen 127.0.0.1:8135
user ""
flow-capacity 4096
CONF
kill -HUP "$DAEMON_PID"
ok "SIGHUP: reloaded" wait_for "$log" "configuration and catalogs reloaded"
ok "SIGHUP: a restart-only setting is reported" \
    grep -q "setting flow-capacity changed: restart svcmapd to apply" "$log"
ok "SIGHUP: RELOADING=1 then READY=1" \
    sh -c "grep -A1 '^RELOADING=1' '$notes' | grep -q '^READY=1'"
ok "SIGHUP: the classifier uses the new settings" \
    wait_for "$log" "reload in effect"
replay "$smb"
replay "$psexec"
wait_packets $((54 + 54 + npsexec))
st=$(api /v1/status)
is "$(echo "$st" | jq .packets)" $((54 + 54 + npsexec)) \
    "/v1/status: every packet since start, across the reload"
is "$(echo "$st" | jq .reloads)" 1 "/v1/status: one reload"
is "$(echo "$st" | jq '.interfaces[0].received')" $((54 + 54 + npsexec)) \
    "/v1/status: received counts every replayed packet"
is "$(api '/v1/services?host=10.160.65.202' | jq -r \
    '[.[] | select(.port == 445)] | "\(.[0].service) \([.[].packets] | add)"')" \
    "server 54" "/v1/services: the new monitored networks apply after SIGHUP"
is "$(api /v1/endpoints | jq -r \
    '.[] | select(.port == 49688) | "\(.server_ip) \(.service)"')" \
    "172.16.66.36 scm" "/v1/endpoints: the port EPM announced, learned live"
is "$(api '/v1/services?host=172.16.66.36' | jq -r \
    '.[] | select(.port == 49688) | "\(.service) \(.method)"')" \
    "scm epm" "/v1/services: the dynamic port named by the EPM reply"
api /metrics > "$SCRATCH/metrics"
ok "/metrics: packet counter" \
    grep -qx "svcmap_packets_total $((54 + 54 + npsexec))" "$SCRATCH/metrics"
ok "/metrics: per-interface counter" \
    grep -q '^svcmap_capture_received_total{interface="vcap"' "$SCRATCH/metrics"

# A broken config is refused and changes nothing.
printf 'database %s\nflush-interval 0s\nbogus-key 1\n' "$db" > "$conf"
kill -HUP "$DAEMON_PID"
ok "broken config on SIGHUP: refused" \
    wait_for "$log" "reload failed: configuration not changed"
ok "broken config: file:line given" grep -q "$conf:2:" "$log"
is "$(api /v1/status | jq .reloads)" 1 "broken config: still one reload"
ok "still running after a refused reload" kill -0 "$DAEMON_PID"

ok "watchdog pings while the classifier turns" grep -q "^WATCHDOG=1" "$notes"
kill -USR1 "$DAEMON_PID"
ok "SIGUSR1 logs the counters" wait_for "$log" "vcap: received"
grep "vcap: received" "$log" | sed "s/^/# /"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
is "$?" 0 "SIGTERM: clean exit"
DAEMON_PID=
ok "STOPPING=1 on SIGTERM" grep -q "^STOPPING=1" "$notes"
sum=$("$SVCMAPCTL" -d "$db" summary --json)
is "$(echo "$sum" | jq .packets)" $((54 + 54 + npsexec)) \
    "every replayed packet in the database"
is "$(echo "$sum" | jq '[.packets_by_class[]] | add')" \
    $((54 + 54 + npsexec)) "the packet partition sums"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "integrity_check ok"
done_testing
