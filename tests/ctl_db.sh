#!/bin/sh
# svcmapctl's database commands on a database svcmapd wrote from the
# generated sample capture: exit codes, table and JSON output, filters.
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd jq
scratch

"$top_builddir/tests/gen-sample" "$SCRATCH/s.pcap" >/dev/null
db="$SCRATCH/s.db"
ok "svcmapd writes the database" classify "$db" "$SCRATCH/s.pcap"
ctl() { "$SVCMAPCTL" -d "$db" "$@"; }

# Exit codes and messages.
"$SVCMAPCTL" -d "$SCRATCH/none.db" services >/dev/null 2>"$SCRATCH/err"
is "$?" 1 "missing database: exit 1"
ok "missing database: says so" grep -q "No such file" "$SCRATCH/err"
echo "plain text" >"$SCRATCH/text.db"
"$SVCMAPCTL" -d "$SCRATCH/text.db" hosts >/dev/null 2>"$SCRATCH/err"
is "$?" 1 "not a database: exit 1"
ok "not a database: says so" grep -q "not an svcmap database" "$SCRATCH/err"
ctl services --since yesterday >/dev/null 2>&1
is "$?" 2 "bad --since: exit 2"
ctl services --bogus >/dev/null 2>&1
is "$?" 2 "unknown option: exit 2"
ctl hosts extra >/dev/null 2>&1
is "$?" 2 "stray argument: exit 2"

# Tables: a header unless -q, one line per JSON object.
n=$(ctl services --json | jq length)
is "$(ctl services | wc -l)" "$((n + 1))" "services table: header and one line per service"
is "$("$SVCMAPCTL" -q -d "$db" services | wc -l)" "$n" "-q drops the header"
is "$(ctl services | head -1 | awk '{print $1, $2, $4}')" "SERVER PORT SERVICE" "services table header"

# JSON services: the contract's fields, order, filters.
is "$(ctl services --all --json | jq 'all(.[]; has("service", "name",
    "server_ip", "port", "transport", "vlan", "method", "protocol",
    "interface", "flows", "packets", "bytes", "packets_c2s", "packets_s2c",
    "bytes_c2s", "bytes_s2c", "clients", "first_seen", "last_seen"))')" \
    true "every service object has the contract fields"
is "$(ctl services --all --json | jq 'all(.[]; .packets == .packets_c2s + .packets_s2c and .bytes == .bytes_c2s + .bytes_s2c)')" \
    true "packets and bytes are both directions"
is "$(ctl services --json | jq '[.[] | select(.service == "undocumented")] | length')" \
    0 "undocumented hidden by default"
ok "--all shows undocumented" test "$(ctl services --all --json | jq '[.[] | select(.service == "undocumented")] | length')" -gt 0
is "$(ctl services --service undocumented --json | jq 'all(.[]; .service == "undocumented") and length > 0')" \
    true "--service undocumented selects only those"
is "$(ctl services --host 10.20.0.20 --json | jq -r '[.[].server_ip] | unique | join(",")')" \
    10.20.0.20 "--host filter"
is "$(ctl services --service kdc --json | jq -r '[.[].service] | unique | join(",")')" \
    kdc "--service filter"
is "$(ctl services --since 2024-01-15 --json | jq length)" "$n" "--since before the capture keeps everything"
# Issue 16: relative times count back from the newest packet of a
# database of capture-file runs, not from the wall clock.
is "$(ctl services --since -1h --json | jq length)" "$n" "--since -1h: from the newest packet, the whole short capture"
is "$(ctl services --since 2030-01-01T00:00:00Z --json | jq length)" 0 "--since in the future: empty"
is "$(ctl services --all --json | jq '. == sort_by(.server_ip, .transport, .port, .service, .method, .vlan)')" \
    true "services sorted by server, transport, port, service, method"
ok "times are ISO 8601 UTC" test "$(ctl services --json | jq '[.[].last_seen | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")] | all')" = true
is "$(ctl services --service kdc --json | jq -r '.[0].name')" \
    "Kerberos Key Distribution Center" "names come from the catalog"

# Hosts, summary, endpoints.
is "$(ctl hosts --json | jq 'all(.[]; .services == (.services | sort))')" \
    true "host services sorted"
is "$(ctl hosts --json | jq '[.[].packets] | add')" \
    "$(ctl services --all --json | jq '[.[].packets] | add')" \
    "host packets add up to the services' packets"
sum=$(ctl summary --json)
is "$(echo "$sum" | jq '([.packets_by_class[]] | add) == .packets and ([.bytes_by_class[]] | add) == .bytes')" \
    true "summary partition sums to packets and bytes"
is "$(ctl summary | sed -n 's/^packets=//p')" "$(echo "$sum" | jq .packets)" \
    "summary name=value agrees with JSON"
is "$(echo "$sum" | jq '.runs')" 1 "one run"
is "$(ctl endpoints --json | jq 'all(.[]; has("server_ip", "port", "transport",
    "uuid", "version", "interface", "service", "learned_at", "last_used",
    "refreshed_at", "source", "moved_from", "flows", "announcements"))')" \
    true "every endpoint object has the contract fields"
is "$(ctl endpoints --json | jq -r '[.[] | select(.port == 49668) | .interface] | sort | join(",")')" \
    "drsuapi,netlogon" "endpoints named through the catalog"

# Store URLs (store.h store_url_parse()): a path or sqlite:PATH; any other
# scheme is refused by name; a ':' after a non-scheme stays in the path.
is "$("$SVCMAPCTL" -d "sqlite:$db" hosts --json)" "$(ctl hosts --json)" \
    "sqlite:PATH reads the same database as PATH"
"$SVCMAPCTL" -d "postgresql://svcmap@db/svcmap" hosts >/dev/null \
    2>"$SCRATCH/err"
is "$?" 1 "postgresql:// (no back end yet): exit 1"
ok "unknown scheme: says so" grep -q '"postgresql:": unknown database scheme' \
    "$SCRATCH/err"
"$SVCMAPCTL" -d "foo:bar" hosts >/dev/null 2>"$SCRATCH/err"
ok "foo: is an unknown scheme" grep -q '"foo:": unknown database scheme' \
    "$SCRATCH/err"
"$SVCMAPD" -c /dev/null -d "foo:$SCRATCH/x.db" -r "$SCRATCH/s.pcap" \
    >/dev/null 2>"$SCRATCH/err"
is "$?" 1 "svcmapd -d with an unknown scheme: exit 1"
ok "svcmapd names the scheme" grep -q '"foo:": unknown database scheme' \
    "$SCRATCH/err"
(cd "$SCRATCH" && "$SVCMAPD" -c /dev/null -d "./a:b.db" -r s.pcap \
    >/dev/null 2>&1)
ok "./a:b.db is a path: svcmapd writes it" test -f "$SCRATCH/a:b.db"
is "$(cd "$SCRATCH" && "$SVCMAPCTL" -d "./a:b.db" hosts --json)" \
    "$(ctl hosts --json)" "./a:b.db is a path: svcmapctl reads it"
is "$("$SVCMAPCTL" -d "sqlite:$SCRATCH/a:b.db" hosts --json)" \
    "$(ctl hosts --json)" "sqlite:PATH with a ':' in PATH"

# Two sensors in one store (schema v3): their rows stay apart.
printf 'sensor alpha\n' >"$SCRATCH/alpha.conf"
printf 'sensor beta\n' >"$SCRATCH/beta.conf"
two="$SCRATCH/two.db"
"$SVCMAPD" -c "$SCRATCH/alpha.conf" -d "$two" -r "$SCRATCH/s.pcap" \
    >/dev/null 2>&1
"$SVCMAPCTL" -d "$two" services --all --json >"$SCRATCH/alpha.json"
"$SVCMAPD" -c "$SCRATCH/beta.conf" -d "$two" -r "$SCRATCH/s.pcap" \
    >/dev/null 2>&1
"$SVCMAPCTL" -d "$two" services --all --json >"$SCRATCH/both.json"
nosensor='map(del(.sensor))'
is "$(jq length "$SCRATCH/both.json")" \
    "$(($(jq length "$SCRATCH/alpha.json") * 2))" \
    "two sensors, same traffic: a row per sensor, none merged"
is "$(jq -c "[.[] | select(.sensor == \"beta\")] | $nosensor" \
    "$SCRATCH/both.json")" \
    "$(jq -c "$nosensor" "$SCRATCH/alpha.json")" \
    "the second sensor's rows equal the first's, sensor apart"
is "$(jq -c "[.[] | select(.sensor == \"alpha\")]" "$SCRATCH/both.json")" \
    "$(jq -c . "$SCRATCH/alpha.json")" \
    "the first sensor's rows unchanged by the second run"
is "$("$SVCMAPCTL" -d "$two" hosts --json | jq '[.[].sensor] | unique')" \
    "$(printf '[\n  "alpha",\n  "beta"\n]')" "hosts name both sensors"
is "$("$SVCMAPCTL" -d "$two" endpoints --json |
    jq '[.[] | select(.sensor == "beta")] | length')" \
    "$("$SVCMAPCTL" -d "$two" endpoints --json |
    jq '[.[] | select(.sensor == "alpha")] | length')" \
    "each sensor keeps its own learned endpoints"
done_testing
