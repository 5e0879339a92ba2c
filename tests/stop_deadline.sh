#!/bin/sh
# The stop deadline on a locked database (issue 19, item 4): the last
# write is retried until stop-timeout, not 93 s past the unit's
# TimeoutStopSec=; then svcmapd exits 1 with an error saying what was not
# stored.  The shipped unit, svcmapd's default and the manual agree:
# TimeoutStopSec= above the default stop-timeout.
. "${top_srcdir:-.}/tests/lib.sh"

# ------------------------------------------------------------------
# The three agree (no capture needed).
unit="$top_srcdir/systemd/svcmapd.service.in"
tss=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
def=$("$SVCMAPD" -c /dev/null -p | sed -n 's/^stop-timeout \([0-9]*\)s$/\1/p')
is "$def" 30 "svcmapd -p: stop-timeout defaults to 30s"
ok "the unit's TimeoutStopSec=${tss}s is above the default stop-timeout" \
    [ "${tss:-0}" -gt "${def:-0}" ]
ok "svcmapd(8) names stop-timeout for the last write" \
    grep -q "stop-timeout" "$top_srcdir/man/svcmapd.8.in"
ok "svcmapd(8) no longer promises a fixed 30 seconds of retries" \
    sh -c "! grep -q 'retried for up to 30 seconds' '$top_srcdir/man/svcmapd.8.in'"
ok "svcmapd.conf(5) documents it with the unit's value" \
    grep -q "TimeoutStopSec=${tss}s" "$top_srcdir/man/svcmapd.conf.5.in"

need_pcaps corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap
need_cmd jq sqlite3 editcap tshark
ZL="$SVCMAP_PCAPS/corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap"
scratch
LOCK_PID=
deadline_cleanup() {
	[ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null
	[ -n "${FEED_PID:-}" ] && kill -9 "$FEED_PID" 2>/dev/null
	rm -rf "$SCRATCH"
}
trap deadline_cleanup EXIT

ZL_PKTS=$(tshark -n -r "$ZL" 2>/dev/null | wc -l)
editcap -F pcap -r "$ZL" "$SCRATCH/head1.pcap" 1-940 >/dev/null 2>&1
editcap -F pcap -r "$ZL" "$SCRATCH/head2.pcap" 941-950 >/dev/null 2>&1
editcap -F pcap -r "$ZL" "$SCRATCH/tail.pcap" 951-"$ZL_PKTS" >/dev/null 2>&1
printf 'flush-interval 1s\nstop-timeout 3s\nuser ""\napi-listen off\n' \
    >"$SCRATCH/offline.conf"

stored() {
	sqlite3 "$1" "SELECT value FROM run_counters WHERE name = 'packets'
	    ORDER BY run_id DESC LIMIT 1" 2>/dev/null
}

# As tests/db_faults.sh: a sqlite3 process holds a write transaction.
lock_db() {
	rm -f "$SCRATCH/lock.in" "$SCRATCH/lock.out"
	mkfifo "$SCRATCH/lock.in"
	# Not holding the feed FIFO (fd 3) open: its EOF ends the input.
	sqlite3 "$1" <"$SCRATCH/lock.in" >"$SCRATCH/lock.out" 2>&1 3>&- &
	LOCK_PID=$!
	exec 4>"$SCRATCH/lock.in"
	echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&4
	wait_for "$SCRATCH/lock.out" locked 50 &&
	    ! sqlite3 -cmd ".timeout 0" "$1" "BEGIN IMMEDIATE; ROLLBACK;" \
	    >/dev/null 2>&1
}

unlock_db() {
	echo "ROLLBACK;" >&4
	exec 4>&-
	wait "$LOCK_PID"
	LOCK_PID=
}

# feed_start DB: svcmapd reads the head of the capture through a FIFO
# and stores it; BEFORE is what it stored.
feed_start() {
	rm -f "$SCRATCH/feed.pcap"
	mkfifo "$SCRATCH/feed.pcap"
	"$SVCMAPD" -c "$SCRATCH/offline.conf" -d "$1" -r "$SCRATCH/feed.pcap" \
	    >"$SCRATCH/feed.out" 2>"$SCRATCH/feed.err" &
	FEED_PID=$!
	# A daemon that refused to start would leave the open below waiting.
	sleep 0.3
	kill -0 "$FEED_PID" 2>/dev/null ||
	    bail_out "svcmapd did not start: $(cat "$SCRATCH/feed.err")"
	exec 3>"$SCRATCH/feed.pcap"
	cat "$SCRATCH/head1.pcap" >&3
	sleep 1.2
	tail -c +25 "$SCRATCH/head2.pcap" >&3
	_i=0
	while [ -z "$(stored "$1")" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	BEFORE=$(stored "$1")
}

# reap_timed PID: its exit status in RC and the seconds it took in SECS
# (killed after 20 s: RC 124).
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

# 1. The end of the capture files with the database locked.
db="$SCRATCH/eoi.db"
feed_start "$db"
ok "end of input: $BEFORE packets stored before the lock" [ "${BEFORE:-0}" -gt 0 ]
ok "end of input: another process holds the write lock" lock_db "$db"
tail -c +25 "$SCRATCH/tail.pcap" >&3
exec 3>&-
reap_timed "$FEED_PID"
FEED_PID=
is "$RC" 1 "end of input, locked: exit 1"
ok "end of input, locked: gone within stop-timeout 3s (took ${SECS}s)" \
    [ "$SECS" -le 4 ]
ok "end of input, locked: the error names the database and the deadline" \
    grep -q "database $db still refused the last write when the stop deadline passed (stop-timeout 3 s)" \
    "$SCRATCH/feed.err"
ok "end of input, locked: it says what was not stored" \
    grep -q "NOT stored: [0-9]* statistics rows ([0-9]* packets, [0-9]* bytes of flows), [0-9]* clients, [0-9]* alerts, and the run's counters since its last stored write ($((ZL_PKTS - BEFORE)) of its $ZL_PKTS packets)" \
    "$SCRATCH/feed.err"
unlock_db
is "$(stored "$db")" "$BEFORE" "end of input, locked: what was stored before stays"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok \
    "end of input, locked: integrity_check ok"

# 2. SIGTERM in the middle of the input, the database locked.
db="$SCRATCH/term.db"
feed_start "$db"
ok "SIGTERM: another process holds the write lock" lock_db "$db"
kill -TERM "$FEED_PID"
reap_timed "$FEED_PID"
FEED_PID=
exec 3>&-
is "$RC" 1 "SIGTERM, locked: exit 1"
ok "SIGTERM, locked: gone within stop-timeout 3s (took ${SECS}s)" \
    [ "$SECS" -le 4 ]
ok "SIGTERM, locked: the error says what was not stored" \
    grep -q "stop deadline passed (stop-timeout 3 s): NOT stored: " \
    "$SCRATCH/feed.err"
unlock_db

# 3. The lock released before the deadline: the last write lands.
printf 'flush-interval 1s\nstop-timeout 20s\nuser ""\napi-listen off\n' \
    >"$SCRATCH/offline.conf"
db="$SCRATCH/late.db"
feed_start "$db"
ok "released in time: another process holds the write lock" lock_db "$db"
tail -c +25 "$SCRATCH/tail.pcap" >&3
exec 3>&-
sleep 3
unlock_db
reap_timed "$FEED_PID"
FEED_PID=
is "$RC" 0 "released in time: exit 0"
is "$(stored "$db")" "$ZL_PKTS" "released in time: all $ZL_PKTS packets stored"
done_testing
