#!/bin/sh
# Packet time drives everything: the same capture into a fresh database
# gives identical output every time.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps elcabezzonn-Pcaps__aug_16_par4.pcap \
    suricata-verify__bug-5162__input.pcap zeek__dce-rpc__mapi.pcap
need_cmd jq
scratch

for name in elcabezzonn-Pcaps__aug_16_par4.pcap suricata-verify__bug-5162__input.pcap \
    zeek__dce-rpc__mapi.pcap; do
	f="$SVCMAP_PCAPS/$name"
	for run in 1 2; do
		db="$SCRATCH/$run.db"
		rm -f "$db"*
		classify "$db" "$f"
		{
			"$SVCMAPCTL" -d "$db" services --all --json
			for cmd in hosts endpoints summary; do
				"$SVCMAPCTL" -d "$db" $cmd --json
			done
		} | jq -S . > "$SCRATCH/out.$run"
	done
	ok "$name: two runs give identical output" cmp "$SCRATCH/out.1" "$SCRATCH/out.2"
	ok "$name: output is not empty" test -s "$SCRATCH/out.1"
done
done_testing
