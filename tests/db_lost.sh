#!/bin/sh
# The database deleted or replaced while svcmapd writes it (issue 19,
# item 4).  svcmapd reads a capture offline through a FIFO, piece by
# piece (as tests/db_faults.sh does), so that it has written part of the
# run when the file is taken away; the rest comes after.  Whatever
# happens to the file, the database at the path must end up holding the
# whole run, row for row as an undisturbed run of the same feed, with a
# log line saying what happened:
#
#   1. deleted: recreated, and the lost file's rows copied into it;
#   2. another svcmap database renamed over it: that file keeps its own
#      rows and gains the run's;
#   3. a backup of the database itself renamed over it: merged, nothing
#      counted twice;
#   4. a file that is no svcmap database renamed over it: left untouched;
#      the run's rows are saved beside it as PATH.lost-INODE and named in
#      the log, and svcmapd exits 1 (stop-timeout) instead of losing them.
. "${top_srcdir:-.}/tests/lib.sh"

need_pcaps corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap \
    zeek__smb__smb3.pcap
need_cmd jq sqlite3 editcap tshark
ZL="$SVCMAP_PCAPS/corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap"
SMB="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
scratch

lost_cleanup() {
	[ -n "${FEED_PID:-}" ] && kill -9 "$FEED_PID" 2>/dev/null
	rm -rf "$SCRATCH"
}
trap lost_cleanup EXIT

# The same split as tests/db_faults.sh: packets that make svcmapd write
# part of the run, then the rest.
ZL_PKTS=$(tshark -n -r "$ZL" 2>/dev/null | wc -l)
editcap -F pcap -r "$ZL" "$SCRATCH/head1.pcap" 1-940 >/dev/null 2>&1
editcap -F pcap -r "$ZL" "$SCRATCH/head2.pcap" 941-950 >/dev/null 2>&1
editcap -F pcap -r "$ZL" "$SCRATCH/tail.pcap" 951-"$ZL_PKTS" >/dev/null 2>&1
printf 'flush-interval 1s\nstop-timeout 3s\nuser ""\napi-listen off\nsensor s1\n' \
    >"$SCRATCH/offline.conf"

# feed DB ACTION: svcmapd reads the pieces from a FIFO into DB; once it
# has stored part of the run (FED_BEFORE packets), ACTION runs (eval),
# and the rest follows a write interval later.  Sets RC to svcmapd's exit
# status.
feed() {
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
	while [ -z "$(stored_run "$1")" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	FED_BEFORE=$(stored_run "$1")
	eval "$2"
	sleep 1.2
	tail -c +25 "$SCRATCH/tail.pcap" >&3
	exec 3>&-
	wait "$FEED_PID"
	RC=$?
	FEED_PID=
}

# stored_run DB: packets the run that read feed.pcap stored.
stored_run() {
	sqlite3 "$1" "SELECT c.value FROM runs AS r JOIN run_counters AS c
	    ON c.run_id = r.id AND c.name = 'packets'
	    WHERE r.inputs LIKE '%feed.pcap'" 2>/dev/null
}

# rows DB [SENSOR]: every stored row of the observation tables (of one
# sensor), in a stable order (addresses as hex: the sqlite3 shell lacks
# svcmapd's svcmap_ip_text()).
rows() {
	_w=${2:+"WHERE sensor = '$2'"}
	sqlite3 "$1" "SELECT resolution, bucket, sensor, service,
	    hex(server_ip), port, transport, vlan, method, flows,
	    pkts_c2s, pkts_s2c, bytes_c2s, bytes_s2c, first_seen, last_seen,
	    protocol, interface FROM service_stats $_w ORDER BY 1, 2, 3, 4, 5, 6;
	    SELECT sensor, service, hex(server_ip), port, transport,
	    vlan, hex(client_ip), first_seen, last_seen
	    FROM service_clients $_w ORDER BY 1, 2, 3, 4, 5, 6, 7;
	    SELECT sensor, hex(ip), first_seen, last_seen FROM hosts
	    $_w ORDER BY 1, 2;
	    SELECT sensor, hex(server_ip), transport, port, uuid,
	    version, source, announcements, flows FROM rpc_endpoints $_w
	    ORDER BY 1, 2, 3, 4, 5;
	    SELECT sensor, kind, hex(server_ip), transport, port,
	    count, events FROM alerts $_w ORDER BY 1, 2, 3, 4, 5"
}

# The run's counters, by name.
counters() {
	sqlite3 "$1" "SELECT c.name, c.value FROM runs AS r
	    JOIN run_counters AS c ON c.run_id = r.id
	    WHERE r.inputs LIKE '%feed.pcap' ORDER BY c.name;
	    SELECT d.reason, d.count FROM runs AS r
	    JOIN run_decode AS d ON d.run_id = r.id
	    WHERE r.inputs LIKE '%feed.pcap' ORDER BY d.reason"
}

integrity() {
	sqlite3 "$1" 'PRAGMA integrity_check'
}

# The reference: the same feed, undisturbed.
ref="$SCRATCH/ref.db"
feed "$ref" true
is "$RC" 0 "undisturbed: exit 0"
is "$(stored_run "$ref")" "$ZL_PKTS" "undisturbed: all $ZL_PKTS packets stored"
REF_ROWS=$(rows "$ref")
REF_COUNTERS=$(counters "$ref")
ok "undisturbed: the reference holds rows" [ -n "$REF_ROWS" ]

# ------------------------------------------------------------------
# 1. Deleted while svcmapd runs.
db="$SCRATCH/deleted.db"
feed "$db" 'rm -f "$db"'
ok "deleted: $FED_BEFORE packets were stored before the file went" \
    [ "${FED_BEFORE:-0}" -gt 0 ]
is "$RC" 0 "deleted: exit 0"
ok "deleted: logged, with the path" \
    grep -q "database $db was deleted while svcmapd was writing it" \
    "$SCRATCH/feed.err"
ok "deleted: says it writes the file now at the path" \
    grep -q "database $db: writing to the file now at the path" \
    "$SCRATCH/feed.err"
is "$(stored_run "$db")" "$ZL_PKTS" "deleted: all $ZL_PKTS packets stored"
is "$(rows "$db")" "$REF_ROWS" \
    "deleted: every row as the undisturbed run's (stats, clients, hosts, endpoints, alerts)"
is "$(counters "$db")" "$REF_COUNTERS" "deleted: the run's counters as undisturbed"
is "$(integrity "$db")" ok "deleted: integrity_check ok"
ok "deleted: no saved copy left behind" \
    sh -c "! ls '$db'.lost-* >/dev/null 2>&1"
ok "deleted: svcmapctl reads the run" "$SVCMAPCTL" -d "$db" summary --json

# 2. Another svcmap database (another sensor's) renamed over it.
other="$SCRATCH/other.db"
printf 'user ""\napi-listen off\nsensor s2\n' >"$SCRATCH/other.conf"
"$SVCMAPD" -c "$SCRATCH/other.conf" -d "$other" -r "$SMB" >/dev/null 2>&1
OTHER_ROWS=$(rows "$other" s2)
cp "$other" "$SCRATCH/other-copy.db"
db="$SCRATCH/replaced.db"
feed "$db" 'mv "$SCRATCH/other-copy.db" "$db"'
is "$RC" 0 "replaced by another database: exit 0"
ok "replaced by another database: logged" \
    grep -q "database $db was replaced by another file while svcmapd was writing it" \
    "$SCRATCH/feed.err"
is "$(rows "$db" s1)" "$REF_ROWS" \
    "replaced by another database: the run's rows as undisturbed"
is "$(counters "$db")" "$REF_COUNTERS" \
    "replaced by another database: the run's counters as undisturbed"
is "$(rows "$db" s2)" "$OTHER_ROWS" \
    "replaced by another database: its own rows kept as they were"
is "$(sqlite3 "$db" "SELECT count(*) FROM runs")" 2 \
    "replaced by another database: both runs, renumbered where ids met"
is "$(integrity "$db")" ok "replaced by another database: integrity_check ok"

# 3. A backup of the database itself renamed over it: the rows in both
# are merged, not added.
db="$SCRATCH/restored.db"
feed "$db" 'sqlite3 "$db" ".backup $SCRATCH/backup.db" &&
    mv "$SCRATCH/backup.db" "$db"'
is "$RC" 0 "replaced by its own backup: exit 0"
ok "replaced by its own backup: logged" \
    grep -q "database $db was replaced by another file" "$SCRATCH/feed.err"
is "$(rows "$db")" "$REF_ROWS" \
    "replaced by its own backup: every row as undisturbed, none counted twice"
is "$(counters "$db")" "$REF_COUNTERS" \
    "replaced by its own backup: the run's counters as undisturbed"
is "$(sqlite3 "$db" "SELECT count(*) FROM runs")" 1 \
    "replaced by its own backup: one run"

# 4. A file that is no svcmap database renamed over it: not touched; the
# run's rows are saved beside it and named.
db="$SCRATCH/foreign.db"
sqlite3 "$SCRATCH/foreign-src.db" "CREATE TABLE notes (t TEXT);
    INSERT INTO notes VALUES ('not ours')"
sum=$(sha256sum <"$SCRATCH/foreign-src.db")
feed "$db" 'mv "$SCRATCH/foreign-src.db" "$db"'
ok "replaced by a foreign file: exit 1 (got $RC)" [ "$RC" -eq 1 ]
ok "replaced by a foreign file: the refusal is logged with the reason" \
    grep -q "database $db was replaced by another file and cannot be opened again (.*not an svcmap database" \
    "$SCRATCH/feed.err"
is "$(sha256sum <"$db")" "$sum" "replaced by a foreign file: left untouched"
saved=$(ls "$db".lost-* 2>/dev/null | head -1)
ok "replaced by a foreign file: the lost rows saved as $saved" [ -n "$saved" ]
ok "replaced by a foreign file: the log names the saved copy" \
    grep -q "they are saved in $saved" "$SCRATCH/feed.err"
ok "replaced by a foreign file: the stop says what was not stored" \
    grep -q "NOT stored: .* statistics rows" "$SCRATCH/feed.err"
is "$(stored_run "$saved")" "$FED_BEFORE" \
    "replaced by a foreign file: the saved copy holds the $FED_BEFORE packets stored before"
done_testing
