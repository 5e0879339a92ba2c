/*
 * cfgfile.h - opening the files an operator names (configuration,
 * catalogs) without trusting what they are, and the text check for
 * strings that end up in JSON, syslog and /metrics.
 */
#ifndef SVCMAP_CFGFILE_H
#define SVCMAP_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Largest configuration file read, bytes. */
#define CFGFILE_CONFIG_MAX	(1024 * 1024)
/* Largest catalog file read, bytes (the shipped ones are under 1 MiB). */
#define CFGFILE_CATALOG_MAX	(64 * 1024 * 1024)

/**
 * Open a file for reading only if it is a regular file (or /dev/null) of
 * at most max bytes.  The open is non-blocking, so a FIFO or a device
 * named by mistake fails at once instead of hanging the caller (-t, a
 * SIGHUP reload).
 * @return: the stream (close with fclose()), or NULL with err set to the
 *   reason (without the path).
 */
FILE	*cfgfile_open(const char *path, size_t max, char *err, size_t errlen);

/** Whether s[0..len-1] is UTF-8 (shortest forms, no surrogates). */
bool	 cfgfile_utf8_valid(const char *s, size_t len);

#endif /* SVCMAP_CFGFILE_H */
