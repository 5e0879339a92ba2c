#!/bin/sh
# "make install DESTDIR=..." from the build tree: the programs, the shipped
# data, the manuals, the example configuration and the systemd files land
# where configure said, nothing goes to /etc, the unit starts the svcmapd
# that was installed, the installed programs work from the installed data,
# and "make uninstall" takes every file back.
. "${top_srcdir:-.}/tests/lib.sh"
need_cmd make
scratch
dest="$SCRATCH/root"

# The test runs inside "make check": the inner make must not inherit the
# outer one's jobserver or flags.
inner_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s \
	    -C "$top_builddir" "$@" DESTDIR="$dest" >"$SCRATCH/make.log" 2>&1
}
mk() { sed -n "s/^$1 = //p" "$top_builddir/Makefile"; }
prefix=$(mk prefix)
exec_prefix=$(eval echo "$(mk exec_prefix)")
datarootdir=$(eval echo "$(mk datarootdir)")
PACKAGE_TARNAME=$(mk PACKAGE_TARNAME)
for v in bindir sbindir sysconfdir localstatedir datadir mandir docdir \
    systemdsystemunitdir; do
	eval "$v=\$(eval echo \"\$(mk $v)\")"
done
pkgdatadir="$datadir/$(mk PACKAGE)"

ok "make install DESTDIR" inner_make install
[ $tap_failed -eq 0 ] || { sed 's/^/# /' "$SCRATCH/make.log"; done_testing; exit 1; }

inst() { ok "installed $1" test -f "$dest$1"; }
ok "installed $sbindir/svcmapd, executable" test -x "$dest$sbindir/svcmapd"
ok "installed $bindir/svcmapctl, executable" test -x "$dest$bindir/svcmapctl"
inst "$pkgdatadir/services.catalog"
inst "$pkgdatadir/rpc-interfaces.catalog"
inst "$pkgdatadir/rpc-operations.catalog"
inst "$pkgdatadir/roles.catalog"
inst "$mandir/man8/svcmapd.8"
inst "$mandir/man8/svcmapctl.8"
inst "$mandir/man5/svcmapd.conf.5"
inst "$docdir/examples/svcmapd.conf"
inst "$docdir/examples/svcmap.logrotate"
ok "the logrotate file names the log directory this build uses" \
    grep -q "^$localstatedir/log/svcmap/alerts.jsonl {" \
    "$dest$docdir/examples/svcmap.logrotate"
inst "$docdir/running-as-a-service.md"
inst "$systemdsystemunitdir/svcmapd.service"
inst "$prefix/lib/sysusers.d/svcmap.conf"
inst "$prefix/lib/tmpfiles.d/svcmap.conf"
ok "nothing installed into $sysconfdir" test ! -e "$dest$sysconfdir"

exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' \
    "$dest$systemdsystemunitdir/svcmapd.service")
is "$exe" "$sbindir/svcmapd" "the installed unit starts the installed svcmapd"

# The installed programs against the installed data (not the source tree).
ok "installed svcmapctl reads the installed catalog" sh -c \
    "'$dest$bindir/svcmapctl' -c /dev/null --data-dir '$dest$pkgdatadir' \
    catalog --port 135/tcp | grep -qi rpc"
ok "gen-sample writes the sample capture" \
    "$top_builddir/tests/gen-sample" "$SCRATCH/sample.pcap"
ok "installed svcmapd classifies the sample with the installed data" \
    "$dest$sbindir/svcmapd" -c /dev/null --data-dir "$dest$pkgdatadir" \
    -r "$SCRATCH/sample.pcap" -d "$SCRATCH/sample.db"
ok "installed svcmapctl reads what it stored" sh -c \
    "'$dest$bindir/svcmapctl' -c /dev/null --data-dir '$dest$pkgdatadir' \
    -d '$SCRATCH/sample.db' services --json | grep -q '\"service\"'"

ok "make uninstall DESTDIR" inner_make uninstall
ok "uninstall leaves no file behind" sh -c \
    "test -z \"\$(find '$dest' -type f)\""
done_testing
