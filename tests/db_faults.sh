#!/bin/sh
# Database faults under the real daemon: the database locked by another
# writer, read-only (by permissions, by a read-only mount, and made
# immutable while the daemon writes), and a full file system.  A fault
# met at start stops svcmapd with a message naming the database and the
# cause.  A fault met while running is logged once with SQLite's reason;
# svcmapd keeps capturing with its counters in memory, stores them all
# once the fault is gone (offline: it waits for that at the end of its
# input), and nothing stored before is lost or counted twice.
#
# Faults that need privileges are detected, not assumed: the live parts
# need root and network namespaces, the mounts a private mount namespace
# (the script re-runs itself under unshare -m for that), the read-only
# permissions a user that root's override does not cover, the immutable
# file chattr +i support.  What cannot be done here is a TAP SKIP saying
# why.
. "${top_srcdir:-.}/tests/lib.sh"

# Mounts made here must not leak into the host: run in our own mount
# namespace when one can be made.
if [ -z "${SVCMAP_FAULTS_MNTNS:-}" ]; then
	SVCMAP_FAULTS_MNTNS=none
	if unshare -m --propagation private true 2>/dev/null; then
		SVCMAP_FAULTS_MNTNS=private
		export SVCMAP_FAULTS_MNTNS
		exec unshare -m --propagation private sh "$0" "$@"
	fi
fi

need_pcaps corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap \
    zeek__smb__smb3.pcap
need_cmd jq sqlite3 editcap tshark
ZL="$SVCMAP_PCAPS/corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap"
SMB="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
scratch

LOCK_PID=
IMMUTABLE=
faults_cleanup() {
	[ -n "$IMMUTABLE" ] && chattr -i $IMMUTABLE 2>/dev/null
	[ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null
	[ -n "${FEED_PID:-}" ] && kill "$FEED_PID" 2>/dev/null
	# Only in this namespace, but the directories would stay behind.
	umount "$SCRATCH/disk" "$SCRATCH/rofs" 2>/dev/null
	if [ -n "${NS_CAP:-}" ]; then
		netns_cleanup
	else
		[ -n "${DAEMON_PID:-}" ] && kill -9 "$DAEMON_PID" 2>/dev/null
		rm -rf "$SCRATCH"
	fi
}
trap faults_cleanup EXIT

FAILED="database write failed, counters kept in memory and retried"
AGAIN="database writes succeed again"

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

stored() {
	"$SVCMAPCTL" -d "$1" summary --json 2>/dev/null | jq -r '.packets // 0'
}

# wait_stored DB N: until the database holds N packets (10 s).
wait_stored() {
	_i=0
	while [ "$(stored "$1")" != "$2" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ "$(stored "$1")" = "$2" ]
}

# settle DB: wait until the stored count is non-zero and stops moving.
settle() {
	_prev=-1
	_i=0
	while [ $_i -lt 100 ]; do
		_n=$(stored "$1")
		[ "$_n" != 0 ] && [ "$_n" = "$_prev" ] && return 0
		_prev=$_n
		sleep 0.3; _i=$((_i + 1))
	done
	return 1
}

# kept DB N: the database still shows the N (> 0) packets stored before.
kept() {
	[ "$2" -gt 0 ] && [ "$(stored "$1")" = "$2" ]
}

# rows DB [RUNNER]: per server port and service, "ip port transport
# service packets bytes", as svcmapctl run by RUNNER (default: us) says.
rows() {
	${2:-} "$SVCMAPCTL" -d "$1" services --json --all | jq -r 'group_by([.server_ip,
	    .port, .transport, .service]) | .[] | [.[0].server_ip, .[0].port,
	    .[0].transport, .[0].service, ([.[].packets] | add),
	    ([.[].bytes] | add)] | join(" ")'
}

# What a flush stores, as one line: rows, sums and the run totals.
contents() {
	sqlite3 "$1" "SELECT count(*), sum(pkts_c2s + pkts_s2c),
	    sum(bytes_c2s + bytes_s2c) FROM service_stats;
	    SELECT count(*), sum(packets), sum(bytes) FROM runs;
	    SELECT count(*) FROM hosts; SELECT count(*) FROM rpc_endpoints" |
	    tr '\n' ' '
}

integrity() {
	sqlite3 "$1" 'PRAGMA integrity_check'
}

count_lines() {
	grep -c "$2" "$1" 2>/dev/null
}

# reap PID [TENTHS]: its exit status once it exits (default 40 s); a
# process still running then is killed and reaps as 124.
reap() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt "${2:-400}" ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		wait "$1"
		return 124
	fi
	wait "$1"
}

# CPU time (clock ticks) a process has used.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# lock_db DB: a sqlite3 process holds a write transaction on DB until
# unlock_db.  True once another writer is refused.
lock_db() {
	rm -f "$SCRATCH/lock.in" "$SCRATCH/lock.out"
	mkfifo "$SCRATCH/lock.in"
	sqlite3 "$1" <"$SCRATCH/lock.in" >"$SCRATCH/lock.out" 2>&1 &
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

# The reference: the whole zerologon capture, undisturbed.
classify "$SCRATCH/ref.db" "$ZL"
REF_ROWS=$(rows "$SCRATCH/ref.db")
ZL_PKTS=$(tshark -n -r "$ZL" 2>/dev/null | wc -l)
# Its first 950 packets span 9 minutes of packet time; the other 62 the
# last second and a half, so few drains fall in them.
editcap -F pcap -r "$ZL" "$SCRATCH/head1.pcap" 1-940 >/dev/null 2>&1
editcap -F pcap -r "$ZL" "$SCRATCH/head2.pcap" 941-950 >/dev/null 2>&1
editcap -F pcap -r "$ZL" "$SCRATCH/tail.pcap" 951-"$ZL_PKTS" >/dev/null 2>&1
printf 'flush-interval 1s\nuser ""\napi-listen off\n' >"$SCRATCH/offline.conf"

# feed_start DB: svcmapd reads a FIFO offline into DB; the test writes
# the capture into it piece by piece (fd 3).  Offline, svcmapd writes
# the database at most once a flush-interval of wall time: the pause
# before the second piece (whose first packet is 29 s of capture time
# on) makes it write what it has.
feed_start() {
	rm -f "$SCRATCH/feed.pcap"
	mkfifo "$SCRATCH/feed.pcap"
	"$SVCMAPD" -c "$SCRATCH/offline.conf" -d "$1" -r "$SCRATCH/feed.pcap" \
	    >"$SCRATCH/feed.out" 2>"$SCRATCH/feed.err" &
	FEED_PID=$!
	exec 3>"$SCRATCH/feed.pcap"
	cat "$SCRATCH/head1.pcap" >&3
	sleep 1.2
	tail -c +25 "$SCRATCH/head2.pcap" >&3
}

# feed_tail: the rest of the capture, without its file header, a write
# interval after the last write, so that its first drain writes.
feed_tail() {
	sleep 1.2
	tail -c +25 "$SCRATCH/tail.pcap" >&3
}

# ------------------------------------------------------------------
# 1. Locked by another writer while reading a capture.
db="$SCRATCH/lock-offline.db"
feed_start "$db"
settle "$db"
ok "locked offline: another process holds the write lock" lock_db "$db"
before=$(stored "$db")
feed_tail
ok "locked offline: the failed write is logged with SQLite's reason" \
    wait_for "$SCRATCH/feed.err" "$FAILED: .*database is locked"
ok "locked offline: the $before packets stored before stay readable" \
    kept "$db" "$before"
exec 3>&-
sleep 3
ok "locked offline: at the end of input it waits for the lock, not exits" \
    kill -0 "$FEED_PID"
unlock_db
reap "$FEED_PID"
is "$?" 0 "locked offline: exits 0 once the lock is released"
FEED_PID=
is "$(count_lines "$SCRATCH/feed.err" "$FAILED")" 1 \
    "locked offline: the failure is logged once, not per retry"
ok "locked offline: says writes succeed again" grep -q "$AGAIN" "$SCRATCH/feed.err"
is "$(stored "$db")" "$ZL_PKTS" "locked offline: all $ZL_PKTS packets stored"
is "$(rows "$db")" "$REF_ROWS" \
    "locked offline: per service and port, packets and bytes as undisturbed"
is "$(integrity "$db")" ok "locked offline: integrity_check ok"

# 2. Locked when svcmapd starts: it cannot record its run, says so and
# stops; the database is left as it was.
db="$SCRATCH/ref.db"
was=$(contents "$db")
ok "locked at start: another process holds the write lock" lock_db "$db"
"$SVCMAPD" -c "$SCRATCH/offline.conf" -d "$db" -r "$SMB" >/dev/null \
    2>"$SCRATCH/start.err"
rc=$?
unlock_db
ok "locked at start: exits non-zero (got $rc)" [ "$rc" -ne 0 ]
ok "locked at start: the message names the database and the lock" \
    grep -q "$db: .*database is locked" "$SCRATCH/start.err"
is "$(contents "$db")" "$was" "locked at start: the stored data is unchanged"

# ------------------------------------------------------------------
# 3. Read-only by permissions: an unprivileged user whose database file
# and directory are not writable (root would override the modes, so root
# runs svcmapd as nobody).
ro_user() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1
	then
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		    "$@"
	else
		return 127
	fi
}
mkdir "$SCRATCH/ro"
cp "$SCRATCH/ref.db" "$SCRATCH/ro/svcmap.db"
chmod 0444 "$SCRATCH/ro/svcmap.db"
chmod 0555 "$SCRATCH/ro"
chmod 0755 "$SCRATCH"
sum=$(sha256sum <"$SCRATCH/ro/svcmap.db")
if ! ro_user test -r "$SCRATCH/ro/svcmap.db" || ! ro_user test -x "$SVCMAPD"
then
	skip "read-only by permissions: no unprivileged user can run $SVCMAPD here"
elif ro_user test -w "$SCRATCH/ro/svcmap.db"; then
	skip "read-only by permissions: the file stays writable for $(id -un)"
else
	ro_user "$SVCMAPD" -c "$SCRATCH/offline.conf" -d "$SCRATCH/ro/svcmap.db" \
	    -r "$SMB" >/dev/null 2>"$SCRATCH/ro.err"
	rc=$?
	ok "read-only file: exits non-zero at open (got $rc)" [ "$rc" -ne 0 ]
	ok "read-only file: the message names the database and the reason" \
	    grep -q "svcmap.db: cannot write the database: Permission denied" \
	    "$SCRATCH/ro.err"
	is "$(sha256sum <"$SCRATCH/ro/svcmap.db")" "$sum" \
	    "read-only file: the database file is untouched"
	is "$(rows "$SCRATCH/ro/svcmap.db" ro_user)" "$REF_ROWS" \
	    "read-only file: svcmapctl as that user still reads what was stored"
fi
chmod 0755 "$SCRATCH/ro"

# 4. Read-only file system: the database's directory bind-mounted
# read-only in this mount namespace.
mkdir "$SCRATCH/rofs"
cp "$SCRATCH/ref.db" "$SCRATCH/rofs/svcmap.db"
sum=$(sha256sum <"$SCRATCH/rofs/svcmap.db")
if [ "$SVCMAP_FAULTS_MNTNS" != private ]; then
	skip "read-only mount: no private mount namespace (unshare -m failed)"
elif ! mount --bind "$SCRATCH/rofs" "$SCRATCH/rofs" 2>/dev/null ||
    ! mount -o remount,bind,ro "$SCRATCH/rofs" 2>/dev/null; then
	skip "read-only mount: bind mounts are not permitted here"
else
	"$SVCMAPD" -c "$SCRATCH/offline.conf" -d "$SCRATCH/rofs/svcmap.db" \
	    -r "$SMB" >/dev/null 2>"$SCRATCH/rofs.err"
	rc=$?
	ok "read-only mount: exits non-zero at open (got $rc)" [ "$rc" -ne 0 ]
	ok "read-only mount: the message names the database and the reason" \
	    grep -q "svcmap.db: cannot write the database: Read-only file system" \
	    "$SCRATCH/rofs.err"
	is "$(sha256sum <"$SCRATCH/rofs/svcmap.db")" "$sum" \
	    "read-only mount: the database file is untouched"
	is "$(rows "$SCRATCH/rofs/svcmap.db")" "$REF_ROWS" \
	    "read-only mount: svcmapctl still reads what was stored"
	umount "$SCRATCH/rofs"
fi

# 5. Made immutable while svcmapd writes it (a file system turning
# read-only under the daemon): writes fail, are retried, and land once
# the flag is gone.
db="$SCRATCH/imm.db"
: >"$SCRATCH/probe"
exec 5>>"$SCRATCH/probe"
if ! chattr +i "$SCRATCH/probe" 2>/dev/null; then
	exec 5>&-
	skip "immutable database: chattr +i is not supported here"
elif echo x >&5 2>/dev/null; then
	exec 5>&-
	chattr -i "$SCRATCH/probe"
	skip "immutable database: an open file stays writable under chattr +i"
else
	exec 5>&-
	chattr -i "$SCRATCH/probe"
	feed_start "$db"
	settle "$db"
	IMMUTABLE="$db $db-wal"
	chattr +i $IMMUTABLE
	before=$(stored "$db")
	feed_tail
	ok "immutable database: the failed write is logged with the reason" \
	    wait_for "$SCRATCH/feed.err" "$FAILED: .*I/O error"
	ok "immutable database: the $before packets stored before stay readable" \
	    kept "$db" "$before"
	exec 3>&-
	sleep 2
	ok "immutable database: waits at the end of input, does not exit" \
	    kill -0 "$FEED_PID"
	chattr -i $IMMUTABLE
	IMMUTABLE=
	reap "$FEED_PID"
	is "$?" 0 "immutable database: exits 0 once writable again"
	FEED_PID=
	is "$(stored "$db")" "$ZL_PKTS" "immutable database: all $ZL_PKTS packets stored"
	is "$(rows "$db")" "$REF_ROWS" \
	    "immutable database: per service and port as undisturbed"
	is "$(integrity "$db")" ok "immutable database: integrity_check ok"
fi

# ------------------------------------------------------------------
# Live capture: svcmapd on a veth in a network namespace, tcpreplay on
# the other end (tests/live_netns.sh).
live=yes
if [ "$(id -u)" -ne 0 ]; then
	live="needs root for network namespaces"
elif ! command -v ip >/dev/null 2>&1 || ! command -v tcpreplay >/dev/null 2>&1
then
	live="ip or tcpreplay is not installed"
elif ! ip netns add "svcmap-probe-$$" 2>/dev/null; then
	live="cannot create network namespaces here"
else
	ip netns del "svcmap-probe-$$"
	netns_pair
	trap faults_cleanup EXIT
fi
SMB_PKTS=$(tshark -n -r "$SMB" 2>/dev/null | wc -l)

# start_live DB: svcmapd capturing on vcap into DB every second.
start_live() {
	printf 'database %s\nflush-interval 1s\napi-listen off\nuser ""\n' \
	    "$1" >"$SCRATCH/live.conf"
	: >"$SCRATCH/live.err"
	ip netns exec "$NS_CAP" "$SVCMAPD" -c "$SCRATCH/live.conf" -i vcap \
	    2>"$SCRATCH/live.err" &
	DAEMON_PID=$!
	wait_for "$SCRATCH/live.err" "capturing on"
}

# counted N: SIGUSR1 makes the daemon log what it counted; true once it
# reports N packets.  Asked again every 2 s: a writer stuck on the
# database answers late, and its first answer may predate the replay.
counted() {
	_j=0
	while [ $_j -lt 8 ]; do
		kill -USR1 "$DAEMON_PID"
		wait_for "$SCRATCH/live.err" "packets $1 " 20 && return 0
		_j=$((_j + 1))
	done
	return 1
}

stop_live() {
	kill -TERM "$DAEMON_PID"
	reap "$DAEMON_PID"
	_rc=$?
	DAEMON_PID=
	return $_rc
}

smb_rows() {
	"$SVCMAPCTL" -d "$1" services --json | jq -r '[.[] |
	    select(.port == 445)] | "\(.[0].service) \([.[].packets] | add)"'
}

# 6. Locked by another writer during live capture.
if [ "$live" != yes ]; then
	skip "locked live: $live"
else
	db="$SCRATCH/lock-live.db"
	ok "locked live: svcmapd captures" start_live "$db"
	replay "$SMB"
	ok "locked live: the first replay is stored" wait_stored "$db" "$SMB_PKTS"
	ok "locked live: another process holds the write lock" lock_db "$db"
	replay "$SMB"
	ok "locked live: the failed write is logged with SQLite's reason" \
	    wait_for "$SCRATCH/live.err" "$FAILED: .*database is locked"
	t0=$(cpu_ticks "$DAEMON_PID")
	sleep 3
	t1=$(cpu_ticks "$DAEMON_PID")
	ok "locked live: waits without spinning ($((t1 - t0)) ticks in 3 s)" \
	    [ $((t1 - t0)) -lt 60 ]
	ok "locked live: still capturing, counting both replays in memory" \
	    counted $((2 * SMB_PKTS))
	ok "locked live: the $SMB_PKTS packets stored before stay readable" \
	    kept "$db" "$SMB_PKTS"
	unlock_db
	ok "locked live: says writes succeed again at a later flush" \
	    wait_for "$SCRATCH/live.err" "$AGAIN"
	ok "locked live: the kept counters land: $((2 * SMB_PKTS)) packets" \
	    wait_stored "$db" $((2 * SMB_PKTS))
	is "$(smb_rows "$db")" "server $((2 * SMB_PKTS))" \
	    "locked live: every SMB packet on 445/tcp, none twice"
	stop_live
	is "$?" 0 "locked live: SIGTERM: clean exit"
	is "$(count_lines "$SCRATCH/live.err" "$FAILED")" 1 \
	    "locked live: the failure is logged once"
	is "$(integrity "$db")" ok "locked live: integrity_check ok"
fi

# 7. A full file system during live capture: the database on a small
# tmpfs, filled up behind the daemon's back.
if [ "$live" != yes ]; then
	skip "full disk: $live"
elif [ "$SVCMAP_FAULTS_MNTNS" != private ]; then
	skip "full disk: no private mount namespace (unshare -m failed)"
elif ! mkdir "$SCRATCH/disk" || ! mount -t tmpfs -o size=1m,mode=0755 \
    svcmap-full "$SCRATCH/disk" 2>/dev/null; then
	skip "full disk: cannot mount a tmpfs here"
else
	db="$SCRATCH/disk/svcmap.db"
	ok "full disk: svcmapd captures" start_live "$db"
	replay "$SMB"
	ok "full disk: the first replay is stored" wait_stored "$db" "$SMB_PKTS"
	dd if=/dev/zero of="$SCRATCH/disk/fill" bs=4k >/dev/null 2>&1
	ok "full disk: the file system is full" \
	    [ "$(df -P "$SCRATCH/disk" | awk 'NR == 2 { print $4 }')" -eq 0 ]
	replay "$SMB"
	ok "full disk: the failed write is logged with SQLite's reason" \
	    wait_for "$SCRATCH/live.err" "$FAILED: .*full"
	ok "full disk: still capturing, counting both replays in memory" \
	    counted $((2 * SMB_PKTS))
	ok "full disk: the $SMB_PKTS packets stored before stay readable" \
	    kept "$db" "$SMB_PKTS"
	rm -f "$SCRATCH/disk/fill"
	ok "full disk: says writes succeed again once there is room" \
	    wait_for "$SCRATCH/live.err" "$AGAIN"
	ok "full disk: the kept counters land: $((2 * SMB_PKTS)) packets" \
	    wait_stored "$db" $((2 * SMB_PKTS))
	is "$(smb_rows "$db")" "server $((2 * SMB_PKTS))" \
	    "full disk: every SMB packet on 445/tcp, none twice"
	stop_live
	is "$?" 0 "full disk: SIGTERM: clean exit"
	is "$(integrity "$db")" ok "full disk: integrity_check ok"
	umount "$SCRATCH/disk"
fi
done_testing
