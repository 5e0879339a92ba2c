#!/bin/sh
# A live stop accounts for every packet (issue 19, item 4): svcmapd
# captures on a veth in a network namespace while tcpreplay sends a burst
# into the other end, and SIGTERM comes the moment the burst is sent.
# The last packets then still sit in the kernel's capture block (it is
# handed over at its 100 ms timeout): svcmapd must read them or count
# them as dropped, so that packets sent = packets classified + dropped,
# in the database and in its log line at stop.
#
# Then the same stop with the database locked by another process: svcmapd
# is gone within stop-timeout, exit 1, saying what it could not store.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__smb__smb3.pcap
need_cmd jq ip tcpreplay sqlite3
scratch
netns_pair
LOCK_PID=
stop_cleanup() {
	[ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null
	netns_cleanup
}
trap stop_cleanup EXIT

pcap="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
per=54
loops=20
sent=$((per * loops))

# start DB: svcmapd capturing on vcap; a flush interval far away, so
# that everything is written by the stop.
start() {
	cat >"$SCRATCH/svcmapd.conf" <<CONF
database $1
flush-interval 1h
stop-timeout 3s
api-listen off
user ""
CONF
	: >"$SCRATCH/stderr"
	ip netns exec "$NS_CAP" "$SVCMAPD" -c "$SCRATCH/svcmapd.conf" -i vcap \
	    2>"$SCRATCH/stderr" &
	DAEMON_PID=$!
	wait_for "$SCRATCH/stderr" "capturing on"
}

# burst: the capture $loops times over, fast, and nothing after it.
burst() {
	ip netns exec "$NS_GEN" tcpreplay -q -i vgen --pps=20000 \
	    --loop="$loops" "$pcap" >/dev/null 2>&1
}

# reap_timed PID: exit status in RC, seconds taken in SECS (killed after
# 20 s: RC 124).
reap_timed() {
	_t0=$(date +%s%N)
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 200 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		wait "$1"
		RC=124
	else
		wait "$1"
		RC=$?
	fi
	SECS=$((($(date +%s%N) - _t0) / 1000000000))
}

run_value() {
	sqlite3 "$1" "SELECT value FROM run_counters WHERE name = '$2'"
}

capture_value() {
	sqlite3 "$1" "SELECT $2 FROM capture_stats WHERE iface = 'vcap'"
}

# ------------------------------------------------------------------
# 1. SIGTERM right after a burst.
db="$SCRATCH/burst.db"
ok "svcmapd captures" start "$db"
burst
ok "tcpreplay sent $sent packets" test $? -eq 0
kill -TERM "$DAEMON_PID"
reap_timed "$DAEMON_PID"
DAEMON_PID=
is "$RC" 0 "SIGTERM: clean exit"
ok "SIGTERM: stopped within a second or two (took ${SECS}s)" [ "$SECS" -le 2 ]
pkts=$(run_value "$db" packets)
dropped=$(capture_value "$db" dropped)
received=$(capture_value "$db" received)
echo "# sent $sent, classified $pkts, dropped $dropped, received $received"
grep "at stop" "$SCRATCH/stderr" | sed 's/^/# /'
is "$((pkts + dropped))" "$sent" \
    "sent = classified + counted dropped ($pkts + $dropped)"
is "$received" "$sent" "the capture counted every packet sent as received"
ok "the log accounts for them at stop" \
    grep -q "vcap: at stop: received $sent, delivered $pkts, dropped $dropped " \
    "$SCRATCH/stderr"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "integrity_check ok"

# 2. SIGTERM with the database locked: gone within stop-timeout (3s).
db="$SCRATCH/locked.db"
ok "locked: svcmapd captures" start "$db"
burst
rm -f "$SCRATCH/lock.in" "$SCRATCH/lock.out"
mkfifo "$SCRATCH/lock.in"
sqlite3 "$db" <"$SCRATCH/lock.in" >"$SCRATCH/lock.out" 2>&1 &
LOCK_PID=$!
exec 4>"$SCRATCH/lock.in"
echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&4
ok "locked: another process holds the write lock" \
    wait_for "$SCRATCH/lock.out" locked 50
kill -TERM "$DAEMON_PID"
reap_timed "$DAEMON_PID"
DAEMON_PID=
is "$RC" 1 "locked: exit 1"
ok "locked: gone within stop-timeout 3s (took ${SECS}s)" [ "$SECS" -le 5 ]
ok "locked: the error says what was not stored, $sent packets among it" \
    grep -q "database $db still refused the last write when the stop deadline passed (stop-timeout 3 s): NOT stored: .*($sent of its $sent packets)" \
    "$SCRATCH/stderr"
echo "ROLLBACK;" >&4
exec 4>&-
wait "$LOCK_PID"
LOCK_PID=
done_testing
