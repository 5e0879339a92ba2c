#!/bin/sh
# The API on a host whose only address is loopback (issue 19, item 6): a
# network namespace with nothing but lo up, svcmapd live on lo with
# --api 127.0.0.1:PORT; /v1/status answers.  (Binding through
# getaddrinfo() with AI_ADDRCONFIG found no address there, and the daemon
# exited.)  A non-loopback listen address is warned about: the API has no
# authentication.  Also: a SIGHUP whose configuration path became a FIFO
# is refused at once.
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd jq ip curl
[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"
scratch
NS="svcmap-lo-$$"
ip netns add "$NS" 2>/dev/null || skip_all "cannot create network namespaces here"
trap 'kill -9 $DAEMON_PID 2>/dev/null; ip netns del "$NS"; rm -rf "$SCRATCH"' EXIT
ip netns exec "$NS" ip link set lo up
is "$(ip netns exec "$NS" ip -o link show up | awk -F': ' '{ print $2 }' | tr '\n' ' ')" \
    "lo " "the namespace has only lo up"
is "$(ip netns exec "$NS" ip -o -4 addr show | awk '{ print $4 }' | tr '\n' ' ')" \
    "127.0.0.1/8 " "its only IPv4 address is loopback"

printf 'user ""\n' >"$SCRATCH/lo.conf"

# run ADDR: svcmapd live on lo with --api ADDR, in the namespace.
run() {
	# Emptied here: the child's redirection may come after wait_for
	# reads the previous run's "capturing on" (then the [::1] check ran
	# before the second daemon listened: seen in CI under load).
	: >"$SCRATCH/log"
	ip netns exec "$NS" "$SVCMAPD" -c "$SCRATCH/lo.conf" -d "$SCRATCH/lo.db" -i lo \
	    --api "$1" 2>"$SCRATCH/log" &
	DAEMON_PID=$!
	# A loaded build host may take seconds to load nDPI and the catalog.
	wait_for "$SCRATCH/log" "capturing on" 300 || sed 's/^/# /' "$SCRATCH/log"
}
stop() {
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	_rc=$?
	DAEMON_PID=
	return $_rc
}

run 127.0.0.1:8137
ok "--api 127.0.0.1:8137: svcmapd starts" kill -0 "$DAEMON_PID"
is "$(ip netns exec "$NS" curl -sS --max-time 5 \
    http://127.0.0.1:8137/v1/status | jq -r '.interfaces[0].name')" lo \
    "/v1/status answers on 127.0.0.1 (capturing on lo)"
ok "no warning for a loopback API" sh -c "! grep -q 'no authentication' '$SCRATCH/log'"
# (Issue 19 item 3) A reload from a configuration path that became a FIFO
# fails at once instead of blocking the main thread for ever.
rm "$SCRATCH/lo.conf"
mkfifo "$SCRATCH/lo.conf"
kill -HUP "$DAEMON_PID"
ok "SIGHUP with the configuration a FIFO: reload refused" \
    wait_for "$SCRATCH/log" "reload failed: configuration not changed"
ok "... naming it" grep -qF "$SCRATCH/lo.conf: not a regular file" "$SCRATCH/log"
is "$(ip netns exec "$NS" curl -sS --max-time 5 \
    http://127.0.0.1:8137/v1/status | jq -r '.interfaces[0].name')" lo \
    "... and the daemon still answers"
ok "SIGTERM: exit 0" stop
rm "$SCRATCH/lo.conf"
printf 'user ""\n' >"$SCRATCH/lo.conf"

if ip netns exec "$NS" ip -6 addr show dev lo | grep -q '::1/128'; then
	run '[::1]:8137'
	is "$(ip netns exec "$NS" curl -sS --max-time 5 \
	    'http://[::1]:8137/v1/status' | jq -r '.interfaces[0].name')" lo \
	    "/v1/status answers on [::1]"
	ok "no warning for [::1]" sh -c "! grep -q 'no authentication' '$SCRATCH/log'"
	stop
else
	echo "ok $((tap_n += 1)) # SKIP no ::1 in the namespace"
fi

run 0.0.0.0:8137
is "$(ip netns exec "$NS" curl -sS --max-time 5 \
    http://127.0.0.1:8137/v1/status | jq -r '.interfaces[0].name')" lo \
    "--api 0.0.0.0:8137: /v1/status answers"
ok "--api 0.0.0.0: warned (no authentication)" \
    grep -q 'API on 0.0.0.0:8137 is reachable beyond this host and has no authentication' \
    "$SCRATCH/log"
stop
done_testing
