#!/bin/sh
# alert-syslog: one JSON object per message, the priority from the
# severity, the sensor named.  svcmapd runs in a mount namespace of its
# own whose /dev is a fresh tmpfs, where tests/syslog_recv.py listens on
# /dev/log as syslogd would, so the messages are the ones syslog(3) sends.
# The capture is 401trg-detections__20171220_smb_psexec_add_user.pcap:
# one sensitive_operation alert (svcctl RCreateServiceWOW64W, frame 160
# per tshark; tests/alert_join.sh checks its fields against tshark).
. "${top_srcdir:-.}/tests/lib.sh"
cap=401trg-detections__20171220_smb_psexec_add_user.pcap
need_pcaps "$cap"
need_cmd jq unshare mount mknod python3
[ "$(id -u)" -eq 0 ] || skip_all "needs root for a mount namespace"
scratch
# The namespace's own /dev needs mount and mknod (a container may refuse).
unshare -m sh -c 'mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3' \
    2>/dev/null || skip_all "cannot mount a /dev of its own here"

# run NAME CONFIG-LINES: svcmapd -r in its namespace; the syslog
# datagrams land in $SCRATCH/NAME.syslog, the JSON lines in NAME.jsonl.
run() {
	printf 'sensor sensor-7\nalert-syslog yes\nsyslog-facility local3\nalert-jsonl %s\n%s\n' \
	    "$SCRATCH/$1.jsonl" "$2" >"$SCRATCH/$1.conf"
	cat >"$SCRATCH/$1.sh" <<EOF
mount -t tmpfs tmpfs /dev || exit 1
mknod -m 666 /dev/null c 1 3 || exit 1
python3 "$top_srcdir/tests/syslog_recv.py" /dev/log "$SCRATCH/$1.syslog" &
rcv=\$!
i=0
while [ ! -S /dev/log ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
"$SVCMAPD" -c "$SCRATCH/$1.conf" -d "$SCRATCH/$1.db" \
    -r "$SVCMAP_PCAPS/$cap" >/dev/null 2>"$SCRATCH/$1.stderr"
rc=\$?
# The receiver writes each datagram as it comes; give it the last one.
i=0
while [ "\$(wc -l <"$SCRATCH/$1.syslog" 2>/dev/null || echo 0)" -lt 1 ] &&
    [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
kill \$rcv
exit \$rc
EOF
	unshare -m sh "$SCRATCH/$1.sh"
}

# pri FILE: the <PRI> of each message; msg FILE: its JSON object.
pri() { sed -n 's/^<\([0-9]*\)>.*/\1/p' "$1"; }
msg() { sed -n 's/^<[0-9]*>.*svcmapd[^:]*: //p' "$1"; }

ok "svcmapd runs with alert-syslog" run default ""
is "$(wc -l <"$SCRATCH/default.syslog" | tr -d ' ')" 1 \
    "one message for the one alert event"
# local3 is facility 19: 19 * 8 + LOG_ERR (3) for severity 4.
is "$(pri "$SCRATCH/default.syslog")" 155 "severity 4: local3.err (155)"
ok "the message is one JSON object" sh -c \
    "sed -n 's/^<[0-9]*>.*svcmapd[^:]*: //p' '$SCRATCH/default.syslog' |
    jq -e 'type == \"object\"' >/dev/null"
is "$(msg "$SCRATCH/default.syslog" | jq -r .sensor)" sensor-7 \
    "the message names the sensor"
is "$(msg "$SCRATCH/default.syslog" | jq -c '[.event_type, .kind, .severity,
    .packet, .pcap_file]')" \
    "[\"alert\",\"sensitive_operation\",4,160,\"$cap\"]" \
    "the message carries the alert's fields"
is "$(msg "$SCRATCH/default.syslog" | jq -Sc .)" \
    "$(jq -Sc . "$SCRATCH/default.jsonl")" \
    "the message is the alert's JSON line"

# Severity 5 on Suricata's scale: the object says priority 1, syslog
# still follows svcmap's severity (crit).
ok "svcmapd runs, severity 5, suricata scale" run crit \
    "alert sensitive_operation on severity 5
alert-severity-scale suricata"
is "$(pri "$SCRATCH/crit.syslog")" 154 "severity 5: local3.crit (154)"
is "$(msg "$SCRATCH/crit.syslog" | jq -c '[.severity, .severity_scale]')" \
    '[1,"suricata"]' "suricata scale in the message: priority 1"
is "$("$SVCMAPCTL" -d "$SCRATCH/crit.db" alerts --json | jq -c \
    '[.[].severity]')" "[5]" "the database keeps severity 5"

ok "svcmapd runs, severity 1" run info "alert sensitive_operation on severity 1"
is "$(pri "$SCRATCH/info.syslog")" 158 "severity 1: local3.info (158)"
done_testing
