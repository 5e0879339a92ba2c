/*
 * notify.h - the systemd service notification protocol (sd_notify(3)),
 * spoken directly: one datagram to $NOTIFY_SOCKET.  Outside systemd
 * (no NOTIFY_SOCKET) every call is a no-op, so the daemon calls these
 * unconditionally.
 */
#ifndef SVCMAP_NOTIFY_H
#define SVCMAP_NOTIFY_H

#include <stdint.h>

/**
 * Send a state string such as "READY=1\nSTATUS=capturing on eth1".
 * @return: 1 sent, 0 not under systemd, -1 on error (errno set).
 */
int	notify_send(const char *state);

/**
 * The watchdog interval systemd expects pings within (WatchdogSec=), in
 * microseconds, or 0 when the watchdog is off or meant for another pid.
 */
uint64_t notify_watchdog_usec(void);

#endif /* SVCMAP_NOTIFY_H */
