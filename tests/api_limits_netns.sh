#!/bin/sh
# The API's limits (issue 19, item 2), svcmapd live on lo in a network
# namespace.  A client that trickles a header line every second is cut at
# api-request-timeout (before: evhttp's idle timeout never fired, the
# connection stayed).  Connections over api-max-connections wait in the
# kernel's backlog instead of costing descriptors: svcmapd's open files
# stay at most the cap above its idle count (before: one per connection).
# A cap over the open file limit is lowered below it, so 200 connections
# at 64 descriptors never make accept() fail (before: libevent logged
# "Too many open files" in a busy loop, millions of lines; accept()
# failures now pause accepting a second, with one log line a second).
# The daemon answers /v1/status after each.
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd jq ip curl python3
[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"
scratch
NS="svcmap-lim-$$"
ip netns add "$NS" 2>/dev/null || skip_all "cannot create network namespaces here"
trap 'kill -9 $DAEMON_PID 2>/dev/null; ip netns del "$NS"; rm -rf "$SCRATCH"' EXIT
ip netns exec "$NS" ip link set lo up
PORT=8140
URL="http://127.0.0.1:$PORT"
CLIENTS="python3 $top_srcdir/tests/api_clients.py"

# run [NOFILE]: svcmapd live on lo with $SCRATCH/d.conf, at most NOFILE
# descriptors.
run() {
	# Emptied here: the child's redirection may come after wait_for
	# reads the previous run's "capturing on".
	: >"$SCRATCH/log"
	ip netns exec "$NS" sh -c "ulimit -n ${1:-1024} && exec '$SVCMAPD' \
	    -c '$SCRATCH/d.conf' -d '$SCRATCH/d.db' -i lo --api 127.0.0.1:$PORT" \
	    2>"$SCRATCH/log" &
	DAEMON_PID=$!
	wait_for "$SCRATCH/log" "capturing on" 300 || sed 's/^/# /' "$SCRATCH/log"
}
stop() {
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	_rc=$?
	DAEMON_PID=
	return $_rc
}
status() {
	ip netns exec "$NS" curl -sS --max-time "${1:-5}" -o /dev/null \
	    -w '%{http_code}' "$URL/v1/status"
}
nfds() {
	ls "/proc/$DAEMON_PID/fd" 2>/dev/null | wc -l
}

# ---------------------------------------------------------- slowloris
printf 'user ""\napi-request-timeout 3s\napi-max-connections 8\n' >"$SCRATCH/d.conf"
run
cut=$(ip netns exec "$NS" $CLIENTS trickle $PORT 1 12)
echo "# a header line a second: cut after ${cut}s"
ok "a client trickling a header line a second is cut at the deadline (${cut}s)" \
    awk -v c="$cut" 'BEGIN { exit !(c != "open" && c >= 2.5 && c <= 6) }'
is "$(status)" 200 "... and /v1/status answers"

# ---------------------------------------------------------- the cap
base=$(nfds)
ip netns exec "$NS" $CLIENTS idle $PORT 40 2.5 >"$SCRATCH/idle" &
IDLE=$!
# Sampled until the client is done (it may be slow to start).
max=0
while kill -0 $IDLE 2>/dev/null; do
	n=$(nfds)
	[ "$n" -gt "$max" ] && max=$n
	sleep 0.05
done
wait $IDLE
echo "# 40 idle connections, cap 8: svcmapd's descriptors $base idle, at most $max"
ok "open descriptors stay within the cap (8) above idle ($base -> $max)" \
    test "$max" -le $((base + 8))
ok "... and the cap was reached" test "$max" -ge $((base + 8))
is "$(status 10)" 200 "/v1/status answers after the connections go"
ip netns exec "$NS" curl -sS --max-time 5 "$URL/metrics" >"$SCRATCH/metrics"
ok "svcmap_api_accept_paused_total counts the pause" \
    awk '/^svcmap_api_accept_paused_total / { n = $2 } END { exit !(n >= 1) }' "$SCRATCH/metrics"
ok "svcmap_api_request_timeouts_total counts the cut connections" \
    awk '/^svcmap_api_request_timeouts_total / { n = $2 } END { exit !(n >= 1) }' "$SCRATCH/metrics"
is "$(awk '/^svcmap_api_connections_max / { print $2 }' "$SCRATCH/metrics")" 8 \
    "svcmap_api_connections_max is the cap"
ok "a bounded log: at most 3 lines about the cap" \
    test "$(grep -c 'connection cap' "$SCRATCH/log")" -le 3
ok "SIGTERM: exit 0" stop

# ---------------------------------------------------------- out of descriptors
printf 'user ""\napi-request-timeout 3s\napi-max-connections 1000\n' >"$SCRATCH/d.conf"
run 64
ok "a cap over the open file limit is lowered, and said" \
    grep -q 'api-max-connections 1000 lowered to 32: the open file limit is 64' "$SCRATCH/log"
echo "# svcmapd with 64 descriptors: $(nfds) open when idle"
ip netns exec "$NS" $CLIENTS idle $PORT 200 4 >"$SCRATCH/idle" &
IDLE=$!
max=0
while kill -0 $IDLE 2>/dev/null; do
	n=$(nfds)
	[ "$n" -gt "$max" ] && max=$n
	sleep 0.05
done
wait $IDLE
lines=$(wc -l <"$SCRATCH/log")
echo "# 200 connections for 4 s at 64 descriptors: at most $max open, $lines log lines"
ok "descriptors never run out (at most $max of 64)" test "$max" -lt 64
ok "the log stays short ($lines lines)" test "$lines" -le 10
ok "no accept() failure" sh -c "! grep -q 'Too many open files' '$SCRATCH/log'"
is "$(status 10)" 200 "/v1/status answers after the connections go"
ok "the daemon is alive" kill -0 "$DAEMON_PID"
ok "SIGTERM: exit 0" stop
done_testing
