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

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

need_pcaps() {
	[ -d "$SVCMAP_PCAPS" ] || skip_all "shared captures not found at $SVCMAP_PCAPS"
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
