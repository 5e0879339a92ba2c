#!/bin/sh
# kill -9 during live capture: a crash loses at most what arrived since
# the last flush, and the database stays consistent and usable.
#   1. Traffic replayed, then more than one flush interval of quiet, then
#      SIGKILL: every packet is in the database.
#   2. SIGKILL in the middle of a replay, while flushes are landing: what
#      had been committed is still there, integrity_check is ok.
#   3. A restart on the same database (WAL recovery) keeps the earlier
#      runs' figures and adds the new traffic.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__smb__smb3.pcap zeek__dce-rpc__20-fids.pcap \
    PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng
need_cmd jq ip tcpreplay sqlite3
scratch
netns_pair

smb="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"		# 54 packets
psexec="$SVCMAP_PCAPS/PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng"
fids="$SVCMAP_PCAPS/zeek__dce-rpc__20-fids.pcap"	# 500 packets
db="$SCRATCH/k.db"
cat > "$SCRATCH/svcmapd.conf" <<CONF
interface vcap
database $db
flush-interval 1s
api-listen off
user ""
CONF

start() {
	: > "$SCRATCH/stderr"
	ip netns exec "$NS_CAP" "$SVCMAPD" -c "$SCRATCH/svcmapd.conf" \
	    2>>"$SCRATCH/stderr" &
	DAEMON_PID=$!
	wait_for "$SCRATCH/stderr" "capturing on"
}
crash() {
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}
run_packets() {
	sqlite3 "$db" "SELECT value FROM run_counters
	    WHERE run_id = $1 AND name = 'packets'"
}

# 1. Quiet for two flush intervals before the crash: nothing lost.
ok "run 1 capturing" start
replay "$smb"
replay "$psexec"
sleep 3.5	# more than three flush intervals
crash
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok \
    "after SIGKILL: integrity_check ok"
is "$(run_packets 1)" $((54 + 264)) \
    "after SIGKILL: every packet older than a flush interval stored"
is "$("$SVCMAPCTL" -d "$db" services --json | jq -r \
    '[.[] | select(.port == 445)][0].service')" server \
    "after SIGKILL: attribution stored"

# 2. SIGKILL while packets arrive and flushes land.
ok "run 2 capturing after a crash" start
replay "$fids" 150 &
rp=$!
seen=0
i=0
while [ $i -lt 8 ]; do
	sleep 0.2
	n=$(sqlite3 "$db" "SELECT value FROM run_counters
	    WHERE run_id = 2 AND name = 'packets'" 2>/dev/null)
	[ -n "$n" ] && seen=$n
	i=$((i + 1))
done
crash
wait "$rp"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok \
    "SIGKILL mid-capture: integrity_check ok"
ok "flushes landed during the replay" test "$seen" -gt 0
stored=$(run_packets 2)
ok "SIGKILL mid-capture: nothing committed was lost ($seen <= $stored)" \
    test "$stored" -ge "$seen"
ok "SIGKILL mid-capture: no more than was sent ($stored <= 500)" \
    test "$stored" -le 500
is "$(run_packets 1)" $((54 + 264)) "earlier run untouched"

# 3. A clean run on the crashed database.
ok "run 3 capturing" start
replay "$smb"
sleep 1.5
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
is "$?" 0 "run 3: clean exit"
DAEMON_PID=
is "$(run_packets 3)" 54 "run 3: its packets stored"
is "$("$SVCMAPCTL" -d "$db" summary --json | jq .packets)" \
    $((54 + 264 + stored + 54)) "totals over the three runs add up"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "final integrity_check ok"
done_testing
