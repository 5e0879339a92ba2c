#!/bin/sh
# A real-capture test must fail, not skip, when a capture it names is
# missing from a shared-captures directory that exists (it would check
# less and still pass); it skips only when the whole directory is absent
# (make distcheck).  Checked on a copy of $SVCMAP_PCAPS made of symlinks
# with some files left out, on the tests that stop early (cheap).
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
scratch

# A directory like $SVCMAP_PCAPS without the files named.
partial() {
	_d="$SCRATCH/$1"; shift
	mkdir "$_d"
	for _f in "$SVCMAP_PCAPS"/*; do
		ln -s "$_f" "$_d/"
	done
	for _f in "$@"; do
		rm -f "$_d/$_f"
	done
	echo "$_d"
}

# fails DIR NAME MISSING CMD...: CMD exits non-zero with SVCMAP_PCAPS=DIR
# and says which file is missing (a "Bail out!" or a "not ok" line).
fails() {
	_dir=$1 _name=$2 _miss=$3; shift 3
	SVCMAP_PCAPS=$_dir "$@" >"$SCRATCH/out" 2>&1
	_rc=$?
	tap_n=$((tap_n + 1))
	if [ "$_rc" -ne 0 ] && ! grep -q '^1\.\.0 # SKIP' "$SCRATCH/out" &&
	    grep -E '^(Bail out!|not ok)' "$SCRATCH/out" | grep -q "$_miss"; then
		echo "ok $tap_n - $_name fails without $_miss"
	else
		echo "not ok $tap_n - $_name fails without $_miss"
		echo "#   exit $_rc"
		sed 's/^/#   /' "$SCRATCH/out" | tail -5
		tap_failed=$((tap_failed + 1))
	fi
}

B=$top_builddir/tests
S=$top_srcdir/tests
d=$(partial no-smb3 zeek__smb__smb3.pcap)
fails "$d" test_dpi zeek__smb__smb3.pcap "$B/test_dpi"
fails "$d" attribution.sh zeek__smb__smb3.pcap sh "$S/attribution.sh"
fails "$d" pipeline_pcaps.sh zeek__smb__smb3.pcap sh "$S/pipeline_pcaps.sh"
fails "$d" hostile.sh zeek__smb__smb3.pcap sh "$S/hostile.sh"
d=$(partial no-truth epm_truth.csv)
fails "$d" test_dcerpc_pcaps epm_truth.csv "$B/test_dcerpc_pcaps"
fails "$d" epm_learn.sh epm_truth.csv sh "$S/epm_learn.sh"
d=$(partial no-mapi zeek__dce-rpc__mapi.pcap)
fails "$d" determinism.sh zeek__dce-rpc__mapi.pcap sh "$S/determinism.sh"
fails "$d" dpi_scope.sh zeek__dce-rpc__mapi.pcap sh "$S/dpi_scope.sh"
fails "$d" alerts.sh zeek__dce-rpc__mapi.pcap sh "$S/alerts.sh"

# Without the directory at all: a skip, not a failure.
SVCMAP_PCAPS=$SCRATCH/absent "$B/test_dpi" >"$SCRATCH/out" 2>&1
ok "test_dpi skips without the captures directory" \
    grep -q '^1\.\.0 # SKIP' "$SCRATCH/out"
SVCMAP_PCAPS=$SCRATCH/absent "$B/test_dcerpc_pcaps" >"$SCRATCH/out" 2>&1
ok "test_dcerpc_pcaps skips without the captures directory" \
    grep -q '^1\.\.0 # SKIP' "$SCRATCH/out"
SVCMAP_PCAPS=$SCRATCH/absent sh "$S/attribution.sh" >"$SCRATCH/out" 2>&1
ok "attribution.sh skips without the captures directory" \
    grep -q '^1\.\.0 # SKIP' "$SCRATCH/out"
done_testing
