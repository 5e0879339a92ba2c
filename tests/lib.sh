# tests/lib.sh - TAP helpers and paths for the shell tests.
# Sourced by tests/*.sh; the harness exports top_srcdir, top_builddir,
# SVCMAP_DATA and SVCMAP_PCAPS (see Makefile.am).

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
: "${SVCMAP_PCAPS:=$top_srcdir/../shared/pcaps}"
SVCMAPD="$top_builddir/svcmapd"
SVCMAPCTL="$top_builddir/svcmapctl"
export TZ=UTC LC_ALL=C

tap_n=0
tap_failed=0

# ok CONDITION-EXIT-STATUS NAME: run "$@" quietly as the check.
ok() {
	_tap_name=$1; shift
	tap_n=$((tap_n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $tap_n - $_tap_name"
	else
		echo "not ok $tap_n - $_tap_name"
		tap_failed=$((tap_failed + 1))
	fi
}

# is GOT WANT NAME
is() {
	tap_n=$((tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		tap_failed=$((tap_failed + 1))
	fi
}

# skip_all REASON: skip what is left.  After checks have run, a TAP plan
# of 0 would contradict them: close the plan over those instead.
skip_all() {
	if [ "$tap_n" -gt 0 ]; then
		echo "# the remaining checks are skipped: $1"
		done_testing
		exit $?
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# Stop the test as an error (tap-driver counts "Bail out!" as ERROR).
bail_out() {
	echo "Bail out! $1"
	exit 1
}

# need_pcaps [NAME...]: skip without the shared captures (make distcheck
# has none); with them, every capture NAME the test reads must be there.
# A missing one is an error, not a skip: the test would check less and
# still pass.
need_pcaps() {
	[ -d "$SVCMAP_PCAPS" ] || skip_all "shared captures not found at $SVCMAP_PCAPS"
	need_captures "$@"
}

# need_captures NAME...: as need_pcaps, for a test that has already run
# checks without captures (no skip possible any more).
need_captures() {
	for _c in "$@"; do
		[ -f "$SVCMAP_PCAPS/$_c" ] ||
		    bail_out "capture $_c missing from $SVCMAP_PCAPS"
	done
}

need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed"
	done
}

# A scratch directory removed at exit.
scratch() {
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/svcmap-test.XXXXXX")
	trap 'rm -rf "$SCRATCH"' EXIT
}

# classify DB FILE...: run svcmapd offline into DB, quietly.
classify() {
	_db=$1; shift
	_args=""
	for _f in "$@"; do _args="$_args -r $_f"; done
	# shellcheck disable=SC2086
	"$SVCMAPD" -c /dev/null -d "$_db" $_args >/dev/null 2>"$_db.stderr"
}

# netns_pair: two network namespaces joined by a veth pair: vcap in
# $NS_CAP, where svcmapd captures (its loopback up, for the API), and vgen
# in $NS_GEN, where tcpreplay sends.  Skips the test where namespaces
# cannot be made.  Call scratch first; the EXIT trap then removes both
# namespaces, kills $DAEMON_PID if set, and removes the scratch directory.
netns_pair() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"
	NS_CAP="svcmap-cap-$$"
	NS_GEN="svcmap-gen-$$"
	trap 'netns_cleanup' EXIT
	ip netns add "$NS_CAP" 2>/dev/null ||
	    skip_all "cannot create network namespaces here"
	ip netns add "$NS_GEN"
	# Made inside the namespaces: a name in the root namespace would
	# collide with another test's pair running at the same time.
	ip -n "$NS_CAP" link add vcap type veth peer name vgen \
	    netns "$NS_GEN" || skip_all "cannot create veth"
	ip netns exec "$NS_CAP" ip link set lo up
	for _side in "$NS_CAP vcap" "$NS_GEN vgen"; do
		# shellcheck disable=SC2086
		set -- $_side
		# No IPv6 on the pair: the kernel's own router solicitations and
		# MLD reports would be packets the replay did not send.
		ip netns exec "$1" sysctl -qw \
		    "net.ipv6.conf.$2.disable_ipv6=1" 2>/dev/null
		ip netns exec "$1" ip link set "$2" up
	done
}

netns_cleanup() {
	[ -n "${DAEMON_PID:-}" ] && kill -9 "$DAEMON_PID" 2>/dev/null
	[ -n "${NOTIFY_PID:-}" ] && kill "$NOTIFY_PID" 2>/dev/null
	ip netns del "$NS_CAP" 2>/dev/null
	ip netns del "$NS_GEN" 2>/dev/null
	rm -rf "$SCRATCH"
}

# replay FILE [PPS]: send a capture into the pair, at PPS packets/s.
replay() {
	ip netns exec "$NS_GEN" tcpreplay -q -i vgen --pps="${2:-500}" "$1" \
	    >/dev/null 2>&1
}

# wait_for FILE PATTERN [TENTHS]: until grep finds it (default 10 s).
wait_for() {
	_i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $_i -lt "${3:-100}" ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}

# api PATH: the body of GET http://127.0.0.1:$API_PORT/PATH inside $NS_CAP.
api() {
	ip netns exec "$NS_CAP" curl -sS --max-time 10 \
	    "http://127.0.0.1:${API_PORT:-8135}$1"
}
