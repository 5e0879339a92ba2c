/*
 * log.h - operator-facing logging (OpenBSD log.h style).
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  fatal()/fatalx()
 * are the same pair and exit(1).  Per-packet problems are never logged: they
 * are counted (STYLE.md section 5).  Before daemonising messages go to
 * stderr; with syslog enabled they go to syslog as well.
 */
#ifndef SVCMAP_LOG_H
#define SVCMAP_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/** progname: prefix for stderr lines; use_syslog: also send to syslog. */
void	log_init(const char *progname, bool use_syslog, int facility);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* SVCMAP_LOG_H */
