#!/bin/sh
# A capture interface that goes away and comes back (issue 19, item 1):
# svcmapd captures on vcap in a network namespace; the veth pair is
# deleted during the run and created again.  While it is gone the daemon
# says it is degraded (one log line, STATUS=, /v1/status, the
# svcmap_capture_up gauge) and keeps feeding the watchdog; once it is
# back, the capture resumes (one log line) and the packets replayed after
# the re-creation are counted.  With capture-lost-exit, a daemon whose
# only interface stays gone stores its statistics and exits 1.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd jq ip tcpreplay curl
scratch
netns_pair

smb="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
[ -f "$smb" ] || skip_all "$smb not found"
db="$SCRATCH/lost.db"
conf="$SCRATCH/svcmapd.conf"
log="$SCRATCH/log"
notes="$SCRATCH/notify"

# veth_again: the pair as netns_pair made it, after both ends were deleted.
veth_again() {
	ip -n "$NS_CAP" link add vcap type veth peer name vgen \
	    netns "$NS_GEN" &&
	ip netns exec "$NS_CAP" sysctl -qw net.ipv6.conf.vcap.disable_ipv6=1 &&
	ip netns exec "$NS_GEN" sysctl -qw net.ipv6.conf.vgen.disable_ipv6=1 &&
	ip netns exec "$NS_CAP" ip link set vcap up &&
	ip netns exec "$NS_GEN" ip link set vgen up
}

# wait_status JQ-EXPR: until /v1/status satisfies it (15 s).  (jq -e
# alone would take no answer at all for a yes.)
status_is() {
	[ "$(api /v1/status 2>/dev/null | jq "$1" 2>/dev/null)" = true ]
}
wait_status() {
	_i=0
	while ! status_is "$1" && [ $_i -lt 150 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	status_is "$1"
}

cat > "$conf" <<CONF
database $db
flush-interval 1s
api-listen 127.0.0.1:8135
user ""
capture-lost-exit 0
CONF
"$top_builddir/tests/notify-recv" "$SCRATCH/notify.sock" > "$notes" &
NOTIFY_PID=$!
sleep 0.2
NOTIFY_SOCKET="$SCRATCH/notify.sock" WATCHDOG_USEC=400000 \
    ip netns exec "$NS_CAP" "$SVCMAPD" -c "$conf" -i vcap 2>"$log" &
DAEMON_PID=$!
ok "READY=1 once capturing" wait_for "$notes" "^READY=1" 300
ok "API listening" wait_for "$log" "API listening on"
replay "$smb"
ok "before: 54 packets received and classified" \
    wait_status '.packets == 54 and .interfaces[0].received == 54'
is "$(api /v1/status | jq -c '[.status, .interfaces[0].up]')" '["ok",true]' \
    "before: status ok, vcap up"

# --- the interface goes away.
ip netns exec "$NS_CAP" ip link del vcap
ok "lost: logged" wait_for "$log" "vcap: capture lost"
ok "lost: /v1/status degraded, vcap down" \
    wait_status '.status == "degraded" and .interfaces[0].up == false'
ok "lost: svcmap_capture_up{interface=\"vcap\"} 0" \
    sh -c "ip netns exec '$NS_CAP' curl -sS http://127.0.0.1:8135/metrics |
    grep -qx 'svcmap_capture_up{interface=\"vcap\"} 0'"
ok "lost: STATUS=degraded" wait_for "$notes" \
    "^STATUS=degraded: capture lost on vcap"
wd=$(grep -c '^WATCHDOG=1' "$notes")
sleep 1.5
ok "lost: the watchdog is still fed (policy: exit after capture-lost-exit instead)" \
    [ "$(grep -c '^WATCHDOG=1' "$notes")" -gt "$wd" ]

# --- it comes back.
ok "the veth pair is created again" veth_again
ok "back: logged" wait_for "$log" "vcap: capture resumed after" 200
ok "back: /v1/status ok, vcap up" \
    wait_status '.status == "ok" and .interfaces[0].up == true'
ok "back: svcmap_capture_up{interface=\"vcap\"} 1" \
    sh -c "ip netns exec '$NS_CAP' curl -sS http://127.0.0.1:8135/metrics |
    grep -qx 'svcmap_capture_up{interface=\"vcap\"} 1'"
ok "back: STATUS=capturing on vcap again" \
    sh -c "sed -n '/^STATUS=degraded/,\$p' '$notes' | grep -q '^STATUS=capturing on vcap'"
replay "$smb"
ok "after: the 54 packets replayed after re-creation are counted (108), received adds up" \
    wait_status '.packets == 108 and .interfaces[0].received == 108'
is "$(grep -c 'capture lost' "$log")" 1 "one log line when it went"
is "$(grep -c 'capture resumed' "$log")" 1 "one log line when it came back"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
is "$?" 0 "SIGTERM: clean exit"
DAEMON_PID=
is "$("$SVCMAPCTL" -d "$db" summary --json | jq .packets)" 108 \
    "stored: 108 packets"
is "$("$SVCMAPCTL" -d "$db" services --json | jq -r \
    '[.[] | select(.port == 445)] | "\(.[0].service) \([.[].packets] | add)"')" \
    "server 108" "stored: both replays' SMB on 445/tcp"

# --- capture-lost-exit: the only interface stays gone.
sed -i 's/^capture-lost-exit .*/capture-lost-exit 2s/' "$conf"
sed "s/^/# /" "$log"
ip netns exec "$NS_CAP" "$SVCMAPD" -c "$conf" -i vcap 2>"$log" &
DAEMON_PID=$!
ok "second run: capturing" wait_for "$log" "capturing on" 300
ip netns exec "$NS_CAP" ip link del vcap
_i=0
while kill -0 "$DAEMON_PID" 2>/dev/null && [ $_i -lt 150 ]; do
	sleep 0.1; _i=$((_i + 1))
done
wait "$DAEMON_PID"
rc=$?
sed "s/^/# /" "$log"
is "$rc" 1 "capture-lost-exit 2s: exit 1 when no interface captures"
DAEMON_PID=
ok "capture-lost-exit: logged" grep -q "no interface has captured for 2 s" "$log"
ok "capture-lost-exit: the run's statistics are stored" \
    sh -c "'$SVCMAPCTL' -d '$db' summary --json | jq -e '.packets >= 0'"
done_testing
