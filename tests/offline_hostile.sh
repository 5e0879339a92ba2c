#!/bin/sh
# Hostile capture files and signals during a capture-file run:
# - one record stamped 0xFFFFFFFF seconds (tests/gen-hostile stamp) gives
#   the same services, hosts and endpoints as the clean capture, and is
#   counted in the summary as a clock outlier (engine.c's clock rule);
# - a real jump (two captures years apart, read in one run) is no outlier;
# - a capture of a link type svcmapd does not decode is a warning and
#   exit status 1, its packets counted as not_ip_linktype;
# - SIGUSR1 while reading a capture from a pipe prints progress and the
#   run goes on; SIGTERM stops it and stores everything read, so the
#   database equals a clean run's.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
need_cmd jq tshark editcap
scratch

GEN="$top_builddir/tests/gen-hostile"
CAP="$SVCMAP_PCAPS/zeek__dce-rpc__mapi.pcap"
[ -f "$CAP" ] || skip_all "$CAP not found"

# views DB: the query outputs a poisoned run must reproduce.
views() {
	for v in "services --all" hosts endpoints; do
		# shellcheck disable=SC2086
		"$SVCMAPCTL" -d "$1" $v --json
	done
}

"$SVCMAPD" -c /dev/null -d "$SCRATCH/clean.db" -r "$CAP" >"$SCRATCH/clean.out" 2>&1
is "$?" 0 "clean capture: exit 0"
views "$SCRATCH/clean.db" >"$SCRATCH/clean.json"

# --- one record stamped 0xFFFFFFFF seconds.  Record 100 is 31 ms after
# record 99 and in the same second, so processed at the clock's time
# (record 99's) it lands in the same flow, bucket and second.
is "$(tshark -n -r "$CAP" -T fields -e frame.time_epoch 2>/dev/null |
    sed -n '99p;100p' | cut -d. -f1 | uniq | wc -l | tr -d ' ')" 1 \
    "records 99 and 100 share a second (tshark)"
"$GEN" stamp "$CAP" "$SCRATCH/poison.pcap" 100 >/dev/null
is "$(tshark -n -r "$SCRATCH/poison.pcap" -T fields -e frame.time_epoch \
    2>/dev/null | sed -n 100p)" 4294967295.336366000 \
    "record 100 of the copy is stamped 0xFFFFFFFF s (tshark)"
"$SVCMAPD" -c /dev/null -d "$SCRATCH/poison.db" -r "$SCRATCH/poison.pcap" \
    >"$SCRATCH/poison.out" 2>&1
is "$?" 0 "poisoned capture: exit 0"
views "$SCRATCH/poison.db" >"$SCRATCH/poison.json"
ok "poisoned capture: services --all, hosts and endpoints as the clean one" \
    cmp "$SCRATCH/clean.json" "$SCRATCH/poison.json"
is "$("$SVCMAPCTL" -d "$SCRATCH/poison.db" summary --json | jq -c '[.packets, .bytes, .flows]')" \
    "$("$SVCMAPCTL" -d "$SCRATCH/clean.db" summary --json | jq -c '[.packets, .bytes, .flows]')" \
    "poisoned capture: packets, bytes and flows as the clean one"
is "$("$SVCMAPCTL" -d "$SCRATCH/poison.db" summary --json | jq -r .last_packet)" \
    "$("$SVCMAPCTL" -d "$SCRATCH/clean.db" summary --json | jq -r .last_packet)" \
    "poisoned capture: no year-2106 last packet"
ok "poisoned capture: the summary counts 1 clock outlier" \
    grep -Eq '^clock_outliers +1 ' "$SCRATCH/poison.out"
ok "poisoned capture: stored, svcmapctl summary says clock_outliers=1" \
    sh -c "'$SVCMAPCTL' -d '$SCRATCH/poison.db' summary | grep -qx clock_outliers=1"
ok "clean capture: no clock outlier" \
    grep -Eq '^clock_outliers +0 ' "$SCRATCH/clean.out"

# --- a real jump: the same capture after one years older.
OLD="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
if [ -f "$OLD" ]; then
	"$SVCMAPD" -c /dev/null -d "$SCRATCH/two.db" -r "$OLD" -r "$CAP" \
	    >"$SCRATCH/two.out" 2>&1
	is "$?" 0 "two captures years apart: exit 0"
	ok "two captures years apart: no clock outlier" \
	    grep -Eq '^clock_outliers +0 ' "$SCRATCH/two.out"
fi

# --- an unsupported link type.
"$GEN" relink "$CAP" "$SCRATCH/wlan.pcap" 105 >/dev/null
"$SVCMAPD" -c /dev/null -d "$SCRATCH/wlan.db" -r "$SCRATCH/wlan.pcap" \
    >"$SCRATCH/wlan.out" 2>"$SCRATCH/wlan.err"
is "$?" 1 "802.11 capture: exit status 1"
ok "802.11 capture: the warning names the link type" \
    grep -q 'link type IEEE802_11 (105) is not one svcmapd decodes' \
    "$SCRATCH/wlan.err"
is "$("$SVCMAPCTL" -d "$SCRATCH/wlan.db" summary --json | jq .decode.not_ip_linktype)" \
    "$(tshark -n -r "$CAP" 2>/dev/null | wc -l | tr -d ' ')" \
    "802.11 capture: every packet counted as not_ip_linktype"

# --- SIGUSR1 and SIGTERM while reading from a pipe.  The pipe gets the
# first 400 records, then (after SIGUSR1) the rest, and stays open: the
# run is blocked reading when SIGTERM comes.
editcap -F pcap -r "$CAP" "$SCRATCH/a.pcap" 1-400 2>/dev/null
sz=$(wc -c <"$SCRATCH/a.pcap")
if ! head -c "$sz" "$CAP" | cmp -s - "$SCRATCH/a.pcap"; then
	echo "ok $((tap_n += 1)) # SKIP editcap did not write a byte prefix"
	done_testing
	exit
fi
mkfifo "$SCRATCH/fifo"
"$SVCMAPD" -c /dev/null -d "$SCRATCH/pipe.db" -r "$SCRATCH/fifo" \
    >"$SCRATCH/pipe.out" 2>"$SCRATCH/pipe.err" &
pid=$!
exec 3>"$SCRATCH/fifo"
cat "$SCRATCH/a.pcap" >&3
sleep 1
kill -USR1 "$pid"
tail -c +"$((sz + 1))" "$CAP" >&3
wait_for "$SCRATCH/pipe.err" 'progress: file 1 of 1' 50
ok "SIGUSR1: progress is logged" grep -q \
    'progress: file 1 of 1 (.*fifo), 400 records read, packet time 2003-06-30T' \
    "$SCRATCH/pipe.err"
sleep 1
ok "SIGUSR1: the run goes on" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM while blocked on a pipe: exit 0"
exec 3>&-
ok "SIGTERM: logged as a stop, not a corrupt record" \
    grep -q 'stopped by a signal after 800 records' "$SCRATCH/pipe.err"
views "$SCRATCH/pipe.db" >"$SCRATCH/pipe.json"
ok "SIGTERM: everything read is stored (the clean run's views)" \
    cmp "$SCRATCH/clean.json" "$SCRATCH/pipe.json"

done_testing
