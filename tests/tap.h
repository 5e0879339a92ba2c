/*
 * tap.h - a minimal Test Anything Protocol helper for unit tests.
 *
 * Each check prints "ok N - name" or "not ok N - name" (with the failed
 * expression and location); tap_done() prints the plan and returns the
 * exit status.  Automake's tap-driver.sh counts the results.
 */
#ifndef SVCMAP_TAP_H
#define SVCMAP_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

static void tap_result(int pass, const char *file, int line, const char *expr,
    const char *fmt, ...) __attribute__((format(printf, 5, 6), unused));

static void
tap_result(int pass, const char *file, int line, const char *expr,
    const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed: %s\n#   at %s:%d\n", expr, file, line);
	}
	fflush(stdout);
}

/* ok(expr, "name %d", ...): one check. */
#define ok(expr, ...) \
	tap_result(!!(expr), __FILE__, __LINE__, #expr, __VA_ARGS__)

/* Integer equality that prints both values on failure. */
#define is_int(got, want, ...) do { \
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
	tap_result(tap_g_ == tap_w_, __FILE__, __LINE__, #got " == " #want, \
	    __VA_ARGS__); \
	if (tap_g_ != tap_w_) \
		printf("#   got %lld, want %lld\n", tap_g_, tap_w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *tap_g_ = (got), *tap_w_ = (want); \
	int tap_p_ = tap_g_ != NULL && tap_w_ != NULL && \
	    strcmp(tap_g_, tap_w_) == 0; \
	tap_result(tap_p_, __FILE__, __LINE__, #got " == " #want, __VA_ARGS__); \
	if (!tap_p_) \
		printf("#   got \"%s\", want \"%s\"\n", \
		    tap_g_ ? tap_g_ : "(null)", tap_w_ ? tap_w_ : "(null)"); \
} while (0)

/* Skip the whole program (automake counts it as SKIP). */
#define tap_skip_all(why) do { \
	printf("1..0 # SKIP %s\n", (why)); \
	return 0; \
} while (0)

static int tap_done(void) __attribute__((unused));

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* SVCMAP_TAP_H */
