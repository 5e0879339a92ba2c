/*
 * preflight.h - what `svcmapd -t` checks beyond the parser: the things a
 * start would hit, so that the unit's ExecStartPre fails where the start
 * would.
 */
#ifndef SVCMAP_PREFLIGHT_H
#define SVCMAP_PREFLIGHT_H

struct config;

/**
 * Compile the BPF filter (if any) for the link type of each configured
 * interface, or for Ethernet where an interface is absent or cannot be
 * opened by the caller, or when none is configured; an interface whose
 * link type svcmapd does not decode is an error too.
 * @return: the number of problems, each logged.
 */
int	preflight_capture(const struct config *cfg);

/**
 * For a live start (interfaces configured): the "user" exists when a
 * start as root would drop to it, and the database (its directory, for
 * the -wal and -shm files) and the alert JSON lines file are writable by
 * the user the daemon would run as; the pidfile by the caller.
 * @return: the number of problems, each logged.
 */
int	preflight_runtime(const struct config *cfg);

#endif /* SVCMAP_PREFLIGHT_H */
