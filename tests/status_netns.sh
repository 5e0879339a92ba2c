#!/bin/sh
# svcmapctl status (issue 16) against a real daemon capturing live on
# vcap in a network namespace: 3 while nothing listens at the configured
# API address (connection refused), 0 while it captures, 1 once its only
# interface is lost (/v1/status "degraded", as tests/capture_lost_netns.sh
# makes it) or its database writes fail (the file made immutable, as
# tests/db_faults.sh does), 3 again after it stopped.  Relative times over the live
# database count back from the wall clock.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps zeek__smb__smb3.pcap
need_cmd jq ip tcpreplay curl
scratch
netns_pair

smb="$SVCMAP_PCAPS/zeek__smb__smb3.pcap"
db="$SCRATCH/status.db"
conf="$SCRATCH/svcmapd.conf"
log="$SCRATCH/log"
API_PORT=8137
IMMUTABLE=
trap '[ -n "$IMMUTABLE" ] && chattr -i $IMMUTABLE 2>/dev/null; netns_cleanup' EXIT

cat > "$conf" <<CONF
database $db
flush-interval 1s
api-listen 127.0.0.1:$API_PORT
user ""
capture-lost-exit 0
CONF

# status [ARGS]: svcmapctl status inside the namespace; output in $SCRATCH/out.
status() {
	ip netns exec "$NS_CAP" "$SVCMAPCTL" -c "$conf" status "$@" \
	    >"$SCRATCH/out" 2>"$SCRATCH/err"
}
status_is() {
	status
	[ $? -eq "$1" ]
}
wait_rc() {
	_i=0
	while ! status_is "$1" && [ $_i -lt 150 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	status_is "$1"
}

status
is "$?" 3 "no daemon: exit 3"
ok "no daemon: says it is not running" grep -q "not running" "$SCRATCH/err"

ip netns exec "$NS_CAP" "$SVCMAPD" -c "$conf" -i vcap 2>"$log" &
DAEMON_PID=$!
ok "API listening" wait_for "$log" "API listening on" 300
ok "capturing: exit 0" wait_rc 0
ok "capturing: says so" grep -q "capturing" "$SCRATCH/out"
status --json
is "$?" 0 "status --json: exit 0"
is "$(jq -r .status "$SCRATCH/out")" ok "status --json: the /v1/status document"
replay "$smb"
ok "54 packets stored" sh -c "for i in \$(seq 50); do
    [ \"\$('$SVCMAPCTL' -d '$db' summary --json | jq .packets)\" = 54 ] && exit 0;
    sleep 0.2; done; exit 1"
now=$(date -u +%s)
ref=$("$SVCMAPCTL" -d "$db" top --since -1h --json | jq -r '"\(.time_reference) \(.reference_time | fromdate)"')
is "${ref% *}" wall_clock "live database: relative times from the wall clock"
ok "live database: the reference is now" test $((${ref#* } - now)) -le 5 -a $((now - ${ref#* })) -le 5
ok "live database: top --since -1h has the SMB server" sh -c \
    "'$SVCMAPCTL' -d '$db' top --since -1h --json | jq -e '.rows[0].port == 445'"

# --- the database cannot be written: degraded (where chattr +i holds an
# open file, as tests/db_faults.sh checks).
: >"$SCRATCH/probe"
exec 5>>"$SCRATCH/probe"
if chattr +i "$SCRATCH/probe" 2>/dev/null && ! echo x >&5 2>/dev/null; then
	exec 5>&-
	chattr -i "$SCRATCH/probe"
	IMMUTABLE="$db $db-wal"
	chattr +i $IMMUTABLE
	replay "$smb"
	ok "database failing: exit 1" wait_rc 1
	ok "database failing: says so" grep -q "database: the last write failed" "$SCRATCH/out"
	chattr -i $IMMUTABLE
	IMMUTABLE=
	ok "database writable again: exit 0" wait_rc 0
else
	exec 5>&-
	chattr -i "$SCRATCH/probe" 2>/dev/null
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP database failing: chattr +i does not stop an open file's writes here"
fi

# --- the interface goes away: degraded.
ip netns exec "$NS_CAP" ip link del vcap
ok "interface lost: exit 1" wait_rc 1
ok "interface lost: names it" grep -q "interface vcap: capture lost" "$SCRATCH/out"
ok "interface lost: says degraded" grep -q "degraded" "$SCRATCH/out"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
is "$?" 0 "SIGTERM: clean exit"
DAEMON_PID=
status
is "$?" 3 "stopped: exit 3"

# api-listen off: nobody to ask, an error (1), not "not running".
sed -i "s/^api-listen .*/api-listen off/" "$conf"
status
is "$?" 1 "api-listen off: exit 1"
sed "s/^/# /" "$log"
done_testing
