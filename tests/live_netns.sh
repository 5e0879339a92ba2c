#!/bin/sh
# Live capture for real: svcmapd captures on one end of a veth pair in a
# network namespace of its own while tcpreplay sends a shared capture into
# the other end (another namespace).  SIGTERM must leave a database with
# every replayed packet counted and attributed, and integrity_check ok.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__smb__smb3.pcap
need_cmd jq ip tcpreplay sqlite3
scratch
netns_pair

pcap="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
want=54
db="$SCRATCH/live.db"
cat > "$SCRATCH/svcmapd.conf" <<CONF
database $db
flush-interval 1s
api-listen off
user ""
CONF
ip netns exec "$NS_CAP" "$SVCMAPD" -c "$SCRATCH/svcmapd.conf" -i vcap \
    2>"$SCRATCH/stderr" &
DAEMON_PID=$!
ok "svcmapd started capturing" wait_for "$SCRATCH/stderr" "capturing on"
replay "$pcap"
ok "tcpreplay sent the capture" test $? -eq 0
sleep 2
# The database is readable while the daemon runs.
ok "summary readable while capturing" "$SVCMAPCTL" -d "$db" summary --json
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
status=$?
DAEMON_PID=
is "$status" 0 "SIGTERM: clean exit"
sum=$("$SVCMAPCTL" -d "$db" summary --json)
is "$(echo "$sum" | jq .packets)" "$want" "every replayed packet counted"
is "$(echo "$sum" | jq '[.packets_by_class[]] | add')" "$want" "partition sums"
is "$("$SVCMAPCTL" -d "$db" services --json | jq -r \
    '[.[] | select(.port == 445)] | "\(.[0].service) \([.[].packets] | add)"')" \
    "server $want" "SMB on 445/tcp attributed to the Server service"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "integrity_check ok"
is "$(echo "$sum" | jq '.capture | length')" 1 "capture counters stored"
done_testing
