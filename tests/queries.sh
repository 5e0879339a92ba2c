#!/bin/sh
# Issue 16, queries: svcmapctl top and series over real captures, checked
# against services --json (the same rows, summed and sorted) and against
# tshark as the oracle for packet and byte counts; --since/--until
# relative to the newest packet of an offline database; CIDR host
# filters; a repeated option is a usage error; --help and --version;
# svcmapd -r with a directory and with 300 files.
. "${top_srcdir:-.}/tests/lib.sh"
AUG=elcabezzonn-Pcaps__aug_16_par4.pcap
REMCOM=elcabezzonn-Pcaps__remcom.pcap
need_pcaps "$AUG" "$REMCOM"
need_cmd jq tshark editcap
scratch

ctl() { "$SVCMAPCTL" -c /dev/null -d "$db" "$@"; }

# tshark_count FILTER: packets and frame bytes tshark finds ("N BYTES").
tshark_count() {
	tshark -r "$cap" -Y "$1" -T fields -e frame.len 2>/dev/null |
	    awk '{ n++; b += $1 } END { printf "%d %d\n", n, b }'
}

# --- aug_16_par4: 43 minutes of an AD network, Kerberos on 88/tcp in
# 11 different minutes, 73 connections, none crossing a minute boundary
# (so every connection's counts land in the minute tshark puts them in).
cap="$SVCMAP_PCAPS/$AUG"
db="$SCRATCH/aug.db"
ok "aug_16_par4: svcmapd runs" classify "$db" "$cap"
ctl services --all --json > "$SCRATCH/services.json"

# top: the services rows grouped by (sensor, server, service, port,
# transport), sorted by the measure descending, then address text,
# transport, port, service, sensor.
for by in bytes packets flows; do
	want=$(jq -c --arg by "$by" '
	    group_by([.sensor, .server_ip, .service, .port, .transport]) |
	    map({sensor: .[0].sensor, server_ip: .[0].server_ip,
	        service: .[0].service, port: .[0].port,
	        transport: .[0].transport,
	        flows: (map(.flows) | add), packets: (map(.packets) | add),
	        bytes: (map(.bytes) | add)}) |
	    sort_by(-.[$by], .server_ip, .transport, .port, .service,
	        .sensor)' "$SCRATCH/services.json")
	got=$(ctl top --all --by "$by" --limit 0 --json | jq -c '.rows |
	    map({sensor, server_ip, service, port, transport, flows, packets,
	        bytes})')
	is "$got" "$want" "top --by $by: the services rows, summed and sorted"
done
is "$(ctl top --all --limit 0 --json | jq '.rows | map(.rank) == [range(1; length + 1)]')" \
    true "top: ranks 1..n"
is "$(ctl top --limit 3 --json | jq '.rows | length')" 3 "top --limit 3: 3 rows"
is "$(ctl top --json | jq '[.of, .by, .limit, (.rows | length)] | tostring')" \
    '"[\"rows\",\"bytes\",10,10]"' "top: rows by bytes, 10 by default"
want=$(jq -c 'group_by(.server_ip) | map({server_ip: .[0].server_ip,
    bytes: (map(.bytes) | add)}) | sort_by(-.bytes, .server_ip)' \
    "$SCRATCH/services.json")
is "$(ctl top --of hosts --all --limit 0 --json | jq -c '.rows | map({server_ip, bytes})')" \
    "$want" "top --of hosts: servers by bytes"
is "$(ctl top --of hosts --json | jq '[.rows[] | .service, .port] | all(. == null)')" \
    true "top --of hosts: no service, no port"
want=$(jq -c 'group_by(.service) | map({service: .[0].service,
    packets: (map(.packets) | add)}) | sort_by(-.packets, .service)' \
    "$SCRATCH/services.json")
is "$(ctl top --of services --by packets --all --limit 0 --json | jq -c '.rows | map({service, packets})')" \
    "$want" "top --of services --by packets: services by packets"
want=$(ctl services --json | jq '[.[].clients] | max')
ok "top --of services --by clients: first has the most clients of any row or more" \
    test "$(ctl top --of services --by clients --json | jq '.rows[0].clients')" -ge "$want"

# The top server:port against tshark: every row of it (all its services).
set -- $(ctl top --limit 1 --json | jq -r '.rows[0] | "\(.server_ip) \(.port) \(.transport)"')
srv=$1 port=$2 tr=$3
got=$(ctl top --all --limit 0 --json | jq -r --arg s "$srv" --argjson p "$port" \
    --arg t "$tr" '[.rows[] | select(.server_ip == $s and .port == $p and
    .transport == $t)] | "\(map(.packets) | add) \(map(.bytes) | add)"')
is "$got" "$(tshark_count "ip.addr == $srv && $tr.port == $port")" \
    "top row $srv:$port/$tr: packets and bytes are tshark's"

# series: Kerberos of 192.168.1.195:88/tcp, minute by minute, is tshark's.
ctl series --service kdc --host 192.168.1.195 --port 88 --json \
    > "$SCRATCH/series.json"
got=$(jq -r '.rows[] | "\(.bucket) \(.packets)"' "$SCRATCH/series.json")
want=$(tshark -r "$cap" -Y "ip.addr == 192.168.1.195 && tcp.port == 88" \
    -T fields -e frame.time_epoch 2>/dev/null | awk '{ m = int($1 / 60) * 60;
    c[m]++ } END { for (k in c) print strftime("%Y-%m-%dT%H:%M:%SZ", k, 1),
    c[k] }' | sort)
is "$got" "$want" "series kdc 192.168.1.195:88: packets per minute are tshark's"
is "$(jq '.rows | length' "$SCRATCH/series.json")" 11 "series: 11 minutes with Kerberos"
is "$(jq -c '[.rows[] | .resolution] | unique' "$SCRATCH/series.json")" \
    '["minute"]' "series: minute buckets"
for res in minute hour day; do
	got=$(ctl series --service kdc --resolution "$res" --json | jq -c \
	    '[.rows | map(.flows) | add, (map(.packets) | add),
	    (map(.bytes) | add)]')
	want=$(ctl services --service kdc --json | jq -c '[map(.flows) | add,
	    (map(.packets) | add), (map(.bytes) | add)]')
	is "$got" "$want" "series --resolution $res: the buckets sum to the services rows"
done
is "$(ctl series --service kdc --resolution hour --json | jq -c '[.rows[] | [.bucket, .resolution]]')" \
    '[["2016-08-16T22:00:00Z","hour"]]' "series --resolution hour: the one hour 22:04-22:47 falls in"

# --- Relative times count back from the newest packet of this offline
# database (2016), and the output says so.
last=$(ctl summary --json | jq -r .last_packet)
last_s=$(date -u -d "$last" +%s)
ctl top --since -10m --until -2m --json > "$SCRATCH/rel.json"
is "$(jq -r '[.time_reference, .reference_time] | join(" ")' "$SCRATCH/rel.json")" \
    "newest_packet $last" "top --json: time_reference newest_packet, at the summary's last_packet"
is "$(jq -r '[.since, .until] | join(" ")' "$SCRATCH/rel.json")" \
    "$(date -u -d @$((last_s - 600)) +%Y-%m-%dT%H:%M:%SZ) $(date -u -d @$((last_s - 120)) +%Y-%m-%dT%H:%M:%SZ)" \
    "--since -10m --until -2m: 10 and 2 minutes before the newest packet"
ok "--since -10m finds rows (the wall clock would find none)" \
    test "$(jq '.rows | length' "$SCRATCH/rel.json")" -gt 0
ok "text output names the reference" sh -c \
    "'$SVCMAPCTL' -c /dev/null -d '$db' top --since -1h | head -1 | grep -q 'newest packet'"
ok "services --since -1h says on stderr what it counted back from" sh -c \
    "'$SVCMAPCTL' -c /dev/null -d '$db' services --since -1h 2>&1 >/dev/null | grep -q 'newest packet'"
# The window holds the buckets that meet it: all of those inside it, none
# outside it.
since=$((last_s - 1500)) until=$((last_s - 300))
ctl series --service kdc --since -25m --until -5m --json > "$SCRATCH/win.json"
all=$(ctl series --service kdc --json)
is "$(jq --argjson s "$since" --argjson u "$until" '[.rows[].bucket | fromdate |
    select(. + 60 <= $s or . >= $u)] | length' "$SCRATCH/win.json")" 0 \
    "series --since -25m --until -5m: no bucket outside the window"
is "$(echo "$all" | jq --argjson s "$since" --argjson u "$until" --slurpfile w "$SCRATCH/win.json" \
    '[.rows[] | select((.bucket | fromdate) >= $s and (.bucket | fromdate) + 60 <= $u) | .bucket] -
    [$w[0].rows[].bucket] | length')" 0 \
    "series --since -25m --until -5m: every bucket inside the window"
is "$(ctl services --since -1h --json | jq length)" \
    "$(ctl services --json | jq length)" "services --since -1h: the whole 43-minute capture"
is "$(ctl services --until 2016-08-16T22:00:00Z --json | jq length)" 0 \
    "services --until before the capture: nothing"
is "$(ctl alerts --until 2016-08-16T22:00:00Z --json | jq length)" 0 \
    "alerts --until before the capture: nothing"
ok "alerts --since -1h --until 2030-01-01: every alert" test \
    "$(ctl alerts --since -1h --until 2030-01-01 --json | jq length)" = "$(ctl alerts --json | jq length)"

# --- CIDR host filters.
is "$(ctl services --host 192.168.1.0/24 --all --json | jq -c 'map(.server_ip)')" \
    "$(jq -c 'map(select(.server_ip | startswith("192.168.1."))) | map(.server_ip)' "$SCRATCH/services.json")" \
    "services --host 192.168.1.0/24: the rows of 192.168.1.x"
is "$(ctl top --of hosts --host 192.168.0.0/16 --all --limit 0 --json | jq -c '[.rows[].server_ip] | sort')" \
    "$(jq -c '[.[].server_ip | select(startswith("192.168."))] | unique' "$SCRATCH/services.json")" \
    "top --of hosts --host 192.168.0.0/16: the servers of 192.168/16"
is "$(ctl top --of hosts --host 0.0.0.0/0 --all --limit 0 --json | jq '.rows | length')" \
    "$(jq '[.[].server_ip | select(contains(":") | not)] | unique | length' "$SCRATCH/services.json")" \
    "top --host 0.0.0.0/0: every IPv4 server"
is "$(ctl top --host 2001:db8::/32 --json | jq -c '[.host, (.rows | length)]')" \
    '["2001:db8::/32",0]' "top --host 2001:db8::/32: no IPv6 server here"
is "$(ctl series --service kdc --host 192.168.1.195/32 --json | jq -c .rows)" \
    "$(ctl series --service kdc --host 192.168.1.195 --json | jq -c .rows)" \
    "series: an address is its /32"
ctl top --host 10.0.0.0/33 >/dev/null 2>&1
is "$?" 2 "top --host 10.0.0.0/33: usage error"

# --- Usage: a repeated option, --help, --version.
for args in "top --by bytes --by packets" "top --limit 1 --limit 2" \
    "series --service kdc --service ldap" "services --host 1.2.3.4 --host 1.2.3.5" \
    "services --since -1h --since -2h" "alerts --kind new_service --kind new_service" \
    "top --until -1m --until -2m" "catalog --port 445 --port 88"; do
	# shellcheck disable=SC2086
	ctl $args >/dev/null 2>"$SCRATCH/err"
	is "$?" 2 "$args: exit 2"
	ok "$args: says which option" grep -q "more than once" "$SCRATCH/err"
done
ctl series >/dev/null 2>&1
is "$?" 2 "series without --service: exit 2"
ctl top --of clients >/dev/null 2>&1
is "$?" 2 "top --of clients: exit 2"
for c in services hosts summary endpoints alerts catalog migrate top series status; do
	"$SVCMAPCTL" -c /dev/null "$c" --help > "$SCRATCH/help"
	is "$?" 0 "$c --help: exit 0"
	ok "$c --help: its usage" grep -q "^usage: svcmapctl $c" "$SCRATCH/help"
done
ok "--version" sh -c "'$SVCMAPCTL' --version | grep -q '^svcmapctl [0-9]'"

# --- svcmapd -r: a directory, and 300 files, named against time order.
cap="$SVCMAP_PCAPS/$REMCOM"
mkdir "$SCRATCH/split" "$SCRATCH/dir"
editcap -c 30 "$cap" "$SCRATCH/split/part.pcap"
n=0
for f in $(ls "$SCRATCH/split" | sort); do
	# The last packets get the first name.
	mv "$SCRATCH/split/$f" "$SCRATCH/dir/p$(printf %03d $((299 - n))).pcap"
	n=$((n + 1))
done
is "$n" 300 "editcap -c 30: 300 files"
classify "$SCRATCH/one.db" "$cap"
ok "-r DIR: svcmapd runs" classify "$SCRATCH/dir.db" "$SCRATCH/dir"
args=""
for f in "$SCRATCH"/dir/*.pcap; do args="$args -r $f"; done
# shellcheck disable=SC2086
"$SVCMAPD" -c /dev/null -d "$SCRATCH/many.db" $args >/dev/null 2>&1
is "$?" 0 "-r x 300: svcmapd runs (no 256-file limit)"
# An alert's packet is named in the file that holds it (issue 16): whole
# file frame N is frame (N - 1) % 30 + 1 of part (N - 1) / 30, which the
# renaming above calls p(299 - part).pcap.
place='map({pcap_file, packet})'
nopl='map(del(.pcap_file, .packet))'
for w in dir many; do
	for q in "services --all" hosts endpoints alerts; do
		f=.
		[ "$q" = alerts ] && f=$nopl
		# shellcheck disable=SC2086
		is "$("$SVCMAPCTL" -c /dev/null -d "$SCRATCH/$w.db" $q --json |
		    jq -c "$f")" \
		    "$("$SVCMAPCTL" -c /dev/null -d "$SCRATCH/one.db" $q --json |
		    jq -c "$f")" \
		    "-r $w: $q as from the one file (read in first-packet order)"
	done
	is "$("$SVCMAPCTL" -c /dev/null -d "$SCRATCH/$w.db" alerts --json |
	    jq -c "$place")" \
	    "$("$SVCMAPCTL" -c /dev/null -d "$SCRATCH/one.db" alerts --json |
	    jq -c 'map({pcap_file: "p\(299 - ((.packet - 1) / 30 | floor) |
	    tostring | ("00" + .) | .[-3:]).pcap",
	    packet: ((.packet - 1) % 30 + 1)})')" \
	    "-r $w: each alert names its packet in the part that holds it"
	is "$("$SVCMAPCTL" -c /dev/null -d "$SCRATCH/$w.db" summary --json | jq -c '[.packets, .bytes, .flows]')" \
	    "$("$SVCMAPCTL" -c /dev/null -d "$SCRATCH/one.db" summary --json | jq -c '[.packets, .bytes, .flows]')" \
	    "-r $w: the same packets, bytes and flows"
done
is "$(tshark -r "$cap" 2>/dev/null | wc -l | tr -d ' ')" \
    "$("$SVCMAPCTL" -c /dev/null -d "$SCRATCH/dir.db" summary --json | jq .packets)" \
    "-r DIR: every packet tshark reads"
mkdir "$SCRATCH/empty"
"$SVCMAPD" -c /dev/null -d "$SCRATCH/e.db" -r "$SCRATCH/empty" >/dev/null 2>"$SCRATCH/err"
is "$?" 1 "-r an empty directory: exit 1"
ok "-r an empty directory: says so" grep -q "no capture files" "$SCRATCH/err"

done_testing
