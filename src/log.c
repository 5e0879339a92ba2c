/*
 * log.c - operator-facing logging to stderr and, optionally, syslog.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "svcmap/log.h"

static const char	*log_progname = "svcmap";
static bool		 log_syslog;
static enum log_level	 log_level = LOG_LEVEL_INFO;

void
log_init(const char *progname, bool use_syslog, int facility)
{
	log_progname = progname;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, facility);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void log_emit(enum log_level, int, const char *, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
log_emit(enum log_level level, int prio, const char *errstr, const char *fmt,
    va_list ap)
{
	char msg[1024];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errstr != NULL)
		fprintf(stderr, "%s: %s: %s\n", log_progname, msg, errstr);
	else
		fprintf(stderr, "%s: %s\n", log_progname, msg);
	if (log_syslog) {
		if (errstr != NULL)
			syslog(prio, "%s: %s", msg, errstr);
		else
			syslog(prio, "%s", msg);
	}
}

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, LOG_WARNING, e, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_INFO, LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_DEBUG, LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, LOG_CRIT, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
