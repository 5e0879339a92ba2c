#!/bin/sh
# The seeds `make fuzz` cuts from the shared captures (tests/fuzz/seed_pcaps):
# every capture with EPM replies in epm_truth.csv yields DCE/RPC seeds,
# and every seed, real traffic in the fuzz targets' input formats, replays
# through fuzz_decode, fuzz_dcerpc and fuzz_engine (short frame sequences
# cut from every capture) with their invariants intact.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps
[ -f "$SVCMAP_PCAPS/epm_truth.csv" ] || skip_all "no epm_truth.csv"
scratch

FUZZ="$top_builddir/tests/fuzz"

for t in decode dcerpc engine; do
	mkdir "$SCRATCH/$t"
	ok "seed_pcaps $t runs" "$FUZZ/seed_pcaps" $t "$SVCMAP_PCAPS" "$SCRATCH/$t"
done

# Each EPM capture (tshark's truth) must give at least one DCE/RPC seed.
missing=
for f in $(cut -d, -f1 "$SVCMAP_PCAPS/epm_truth.csv" | sed 1d | sort -u); do
	ls "$SCRATCH/dcerpc/$f".* >/dev/null 2>&1 || missing="$missing $f"
done
is "$missing" "" "every capture with EPM replies yields dcerpc seeds"

for t in decode dcerpc engine; do
	n=$(ls "$SCRATCH/$t" | wc -l)
	ok "$t: seeds cut ($n)" test "$n" -gt 0
	"$FUZZ/replay_$t" "$SCRATCH/$t" >"$SCRATCH/$t.tap" 2>"$SCRATCH/$t.err"
	is "$?" 0 "$t: the replay of every seed exits 0"
	is "$(grep -c '^ok ' "$SCRATCH/$t.tap")" "$n" \
	    "$t: all $n seeds replay"
done
done_testing
