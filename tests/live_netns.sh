#!/bin/sh
# Live capture for real: svcmapd captures on one end of a veth pair in a
# network namespace of its own while tcpreplay sends a shared capture into
# the other end (another namespace).  SIGTERM must leave a database with
# every replayed packet counted and attributed, and integrity_check ok.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd jq ip tcpreplay sqlite3
[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"
scratch

ns_cap="svcmap-cap-$$"
ns_gen="svcmap-gen-$$"
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
	ip netns del "$ns_cap" 2>/dev/null
	ip netns del "$ns_gen" 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
ip netns add "$ns_cap" 2>/dev/null || skip_all "cannot create network namespaces here"
ip netns add "$ns_gen"
ip link add vcap type veth peer name vgen netns "$ns_gen" || skip_all "cannot create veth"
ip link set vcap netns "$ns_cap"
for side in "$ns_cap vcap" "$ns_gen vgen"; do
	set -- $side
	# No IPv6 on the pair: the kernel's own router solicitations and MLD
	# reports would be packets the replay did not send.
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" 2>/dev/null
	ip netns exec "$1" ip link set "$2" up
done

pcap="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
want=54
db="$SCRATCH/live.db"
cat > "$SCRATCH/svcmapd.conf" <<CONF
database $db
flush-interval 1s
CONF
ip netns exec "$ns_cap" "$SVCMAPD" -c "$SCRATCH/svcmapd.conf" -i vcap \
    2>"$SCRATCH/stderr" &
pid=$!
# Ready when it says it captures.
i=0
while ! grep -q "capturing on" "$SCRATCH/stderr" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
ok "svcmapd started capturing" grep -q "capturing on" "$SCRATCH/stderr"
ip netns exec "$ns_gen" tcpreplay -q -i vgen --pps=500 "$pcap" >/dev/null 2>&1
ok "tcpreplay sent the capture" test $? -eq 0
sleep 2
# The database is readable while the daemon runs.
ok "summary readable while capturing" "$SVCMAPCTL" -d "$db" summary --json
kill -TERM "$pid"
wait "$pid"
status=$?
pid=
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
