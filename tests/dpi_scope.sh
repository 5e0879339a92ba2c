#!/bin/sh
# dpi-outbound: nDPI names the protocol of flows to monitored servers and
# of monitored hosts' multicast, always; of a monitored host's flows to
# outside servers only with dpi-outbound yes.  Nothing else may change:
# same rows, packets, bytes, methods and alerts either way.
. "${top_srcdir:-.}/tests/lib.sh"
need_pcaps elcabezzonn-Pcaps__chip_host_signin.pcap zeek__dce-rpc__mapi.pcap
need_cmd jq
scratch

f="$SVCMAP_PCAPS/elcabezzonn-Pcaps__chip_host_signin.pcap"
printf 'dpi-outbound yes\n' >"$SCRATCH/outbound.conf"

classify "$SCRATCH/default.db" "$f"
"$SVCMAPD" -c "$SCRATCH/outbound.conf" -d "$SCRATCH/outbound.db" -r "$f" \
    >/dev/null 2>&1
ok "svcmapd -c with dpi-outbound yes runs" test -s "$SCRATCH/outbound.db"

for run in default outbound; do
	"$SVCMAPCTL" -d "$SCRATCH/$run.db" services --all --json \
	    >"$SCRATCH/$run.json"
done

# proto RUN SERVER PORT: the protocols of that server's rows, joined.
proto() {
	jq -r --arg s "$2" --argjson p "$3" '[.[] | select(.server_ip == $s
	    and .port == $p) | .protocol // ""] | unique | join(",")' \
	    "$SCRATCH/$1.json"
}

# An outside web server that a monitored client fetched from: outbound
# use (issue 14 item 4), whose protocol only dpi-outbound names.
# oproto RUN SERVER PORT: the protocol of that outside server's row.
oproto() {
	"$SVCMAPCTL" -d "$SCRATCH/$1.db" outbound --servers --host "$2" \
	    --port "$3" --json | jq -r '[.[] | .protocol // ""] | join(",")'
}
is "$(oproto default 23.215.133.64 80)" "" \
    "default: outside server 23.215.133.64:80 gets no nDPI verdict"
is "$(oproto outbound 23.215.133.64 80)" "Microsoft" \
    "dpi-outbound yes: 23.215.133.64:80 is Microsoft, as nDPI says"
is "$(proto default 23.215.133.64 80)" "" \
    "the outside server is no service row"
for run in default outbound; do
	is "$(proto $run 192.168.1.195 53)" "DNS" \
	    "$run: monitored DNS server 192.168.1.195:53 keeps DNS"
	is "$(proto $run 224.0.0.22 0)" "IGMP" \
	    "$run: monitored hosts' IGMP to 224.0.0.22 keeps its verdict"
done

# Everything but the protocol of outside servers is the same.
strip='[.[] | del(.protocol)] | sort_by(.server_ip, .port, .transport,
    .service, .first_seen)'
jq -S "$strip" "$SCRATCH/default.json" >"$SCRATCH/default.rows"
jq -S "$strip" "$SCRATCH/outbound.json" >"$SCRATCH/outbound.rows"
ok "same rows, counts and methods with and without dpi-outbound" \
    cmp "$SCRATCH/default.rows" "$SCRATCH/outbound.rows"
for run in default outbound; do
	"$SVCMAPCTL" -d "$SCRATCH/$run.db" outbound --servers --json |
	    jq -S '[.[] | del(.protocol)]' >"$SCRATCH/$run.out"
done
ok "same outbound rows and counts with and without dpi-outbound" \
    cmp "$SCRATCH/default.out" "$SCRATCH/outbound.out"
is "$(jq '[.[] | select(.protocol != null)] | length' \
    "$SCRATCH/default.json")" \
    "$(jq '[.[] | select(.protocol != null and (.server_ip |
    test("^(192\\.168\\.|2[23][0-9]\\.|ff)")))] | length' \
    "$SCRATCH/outbound.json")" \
    "default: verdicts only on monitored servers and group addresses"

# Alerts concern monitored servers only: the same either way, on a
# capture that raises some and has outside servers too.
m="$SVCMAP_PCAPS/zeek__dce-rpc__mapi.pcap"
classify "$SCRATCH/m-default.db" "$m"
"$SVCMAPD" -c "$SCRATCH/outbound.conf" -d "$SCRATCH/m-outbound.db" -r "$m" \
    >/dev/null 2>&1
for run in default outbound; do
	"$SVCMAPCTL" -d "$SCRATCH/m-$run.db" alerts --json |
	    jq -S 'sort_by(.kind, .server_ip, .port)' >"$SCRATCH/$run.alerts"
done
# Two since issue 14: 1032's unmapped_dynamic_port is cancelled within
# alert-grace by the ept_map reply that maps it (tests/midstream.sh).
is "$(jq length "$SCRATCH/default.alerts")" 2 "mapi: two alerts by default"
ok "mapi: the same alerts with dpi-outbound yes" \
    cmp "$SCRATCH/default.alerts" "$SCRATCH/outbound.alerts"
done_testing
