#!/bin/sh
# The generated systemd files: every key issue 6 asks of the unit is there
# (Type=notify with the watchdog, a config check before start)
# with the configured paths substituted, sysusers.d creates the svcmap user,
# tmpfiles.d its state directory, and systemd-analyze rates the unit's
# exposure at 1.5 or less (skipped without systemd-analyze).
. "${top_srcdir:-.}/tests/lib.sh"

unit="$top_builddir/systemd/svcmapd.service"
sysusers="$top_builddir/systemd/sysusers.d/svcmap.conf"
tmpfiles="$top_builddir/systemd/tmpfiles.d/svcmap.conf"
[ -f "$unit" ] || skip_all "$unit not built"
mk() { sed -n "s/^$1 = //p" "$top_builddir/Makefile"; }
# Makefile values are ${prefix}-relative: let the shell expand them.
prefix=$(mk prefix)
exec_prefix=$(eval echo "$(mk exec_prefix)")
sbindir=$(eval echo "$(mk sbindir)")
sysconfdir=$(eval echo "$(mk sysconfdir)")
localstatedir=$(eval echo "$(mk localstatedir)")

# has FILE LINE: the file holds exactly this line.
has() {
	ok "$(basename "$1"): $2" grep -qxF "$2" "$1"
}

for line in \
    "Type=notify" "NotifyAccess=main" "WatchdogSec=60s" \
    "ExecStartPre=$sbindir/svcmapd -t -c $sysconfdir/svcmap/svcmapd.conf" \
    "ExecStart=$sbindir/svcmapd -c $sysconfdir/svcmap/svcmapd.conf" \
    'ExecReload=/bin/kill -HUP $MAINPID' \
    "User=svcmap" "Group=svcmap" \
    "AmbientCapabilities=CAP_NET_RAW" \
    "CapabilityBoundingSet=CAP_NET_RAW" \
    "StateDirectory=svcmap" "LogsDirectory=svcmap" "UMask=0027" \
    "ReadWritePaths=-$localstatedir/lib/svcmap" \
    "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" \
    "PrivateTmp=yes" "PrivateDevices=yes" "ProtectKernelTunables=yes" \
    "ProtectKernelModules=yes" "ProtectKernelLogs=yes" \
    "ProtectControlGroups=yes" "ProtectClock=yes" "ProtectHostname=yes" \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK" \
    "RestrictNamespaces=yes" "RestrictRealtime=yes" "RestrictSUIDSGID=yes" \
    "LockPersonality=yes" "MemoryDenyWriteExecute=yes" \
    "SystemCallArchitectures=native" "SystemCallFilter=@system-service" \
    "WantedBy=multi-user.target"; do
	has "$unit" "$line"
done
ok "svcmapd.service: Documentation names svcmapd(8)" \
    grep -q '^Documentation=.*man:svcmapd(8)' "$unit"
# ExecStartPre checks the shipped example as it would the installed file.
ok "svcmapd -t accepts the shipped example configuration" \
    "$top_builddir/svcmapd" -t -c "$top_srcdir/data/svcmapd.conf"
has "$sysusers" 'u svcmap - "svcmap sensor" '"$localstatedir"'/lib/svcmap -'
has "$tmpfiles" "d $localstatedir/lib/svcmap 0750 svcmap svcmap -"
for f in "$unit" "$sysusers" "$tmpfiles"; do
	ok "$(basename "$f"): every @variable@ substituted" \
	    sh -c "! grep -q '@[a-z]*@' '$f'"
done

if command -v systemd-analyze >/dev/null 2>&1 &&
    systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for svcmapd.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze exposure: ${exposure:-none}"
	ok "systemd-analyze rates the unit" test -n "$exposure"
	ok "exposure $exposure <= 1.5 (CAP_NET_RAW alone)" \
	    awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 1.5) }'
else
	echo "ok $((tap_n + 1)) # SKIP systemd-analyze security --offline not available"
	tap_n=$((tap_n + 1))
fi
done_testing
