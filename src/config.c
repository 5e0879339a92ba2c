/*
 * config.c - svcmapd.conf: the directive table, its parser and printer.
 *
 * Every directive is one row of directives[] below: its name, a type
 * (which brings the setter, the printer and the number of values), the
 * field it fills, bounds and unit, the default, whether a SIGHUP may
 * change it, and a line of help.  Defaults are written as config-file
 * text and applied through the same setters as the file, so a default can
 * never be a value the file could not say, and config_print() of the
 * defaults loads back unchanged.
 *
 * The reader recovers after a bad line (OpenBSD ntpd's parse.y does the
 * same), so one run reports every mistake in a file.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "svcmap/catalog.h"
#include "svcmap/cfgfile.h"
#include "svcmap/config.h"
#include "svcmap/log.h"
#include "svcmap/store.h"
#include "svcmap/transport.h"

/* Longest line accepted, newline excluded; longer lines are an error. */
#define CONFIG_LINE_MAX		4096
/* Most words on one line (a long unquoted bpf-filter needs many). */
#define CONFIG_MAX_ARGS		512

enum unit {
	U_NONE,		/* a plain count */
	U_BYTES,	/* bytes; k, m, g multiply by 1024, 1024^2, 1024^3 */
	U_SECONDS,	/* seconds; s, m, h, d suffixes */
	U_DAYS		/* days; an optional d suffix */
};

/* Row flags. */
#define D_RELOAD	0x01	/* a SIGHUP applies a new value */
#define D_REPEAT	0x02	/* may appear more than once */
#define D_EMPTY_OK	0x04	/* strings: "" is a valid value */
#define D_REST		0x08	/* strings: the rest of the line is the value */

#define NOCOUNT		((size_t)-1)

struct directive;
struct load;

struct dtype {
	int		 minargs;
	int		 maxargs;	/* -1: no limit */
	int		(*set)(const struct directive *, struct config *,
			    struct load *, int, char **);
	void		(*print)(const struct directive *,
			    const struct config *, FILE *);
};

struct directive {
	const char		*name;
	const struct dtype	*type;
	size_t			 off;		/* the field in struct config */
	size_t			 size;		/* all of it, arrays included */
	size_t			 count_off;	/* lists: their size_t count */
	enum unit		 unit;		/* uints */
	uint32_t		 min, max;	/* uints, in base units */
	uint32_t		 divides;	/* uints: must divide this; 0 */
	int			 flags;		/* D_* */
	const char		*def;		/* config text; NULL: none */
	const char		*help;		/* one line for config_print */
};

/* The state of one load: where we are and what we have seen. */
typedef void config_report_fn(void *arg, const char *file, unsigned line,
    const char *msg);

struct load {
	const char		*file;
	unsigned		 line;
	int			 errors;
	config_report_fn	*report;
	void			*arg;
	unsigned		*seen;		/* per row: line first set */
	unsigned		 alert_seen[ALERT_KINDS];
};

static int	set_bool(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_uint(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_string(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_iface(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_cidrs(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_facility(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_alert(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_scale(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_ignore(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_watch(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_listen(const struct directive *, struct config *,
		    struct load *, int, char **);
static int	set_database(const struct directive *, struct config *,
		    struct load *, int, char **);
static void	print_bool(const struct directive *, const struct config *,
		    FILE *);
static void	print_uint(const struct directive *, const struct config *,
		    FILE *);
static void	print_string(const struct directive *, const struct config *,
		    FILE *);
static void	print_ifaces(const struct directive *, const struct config *,
		    FILE *);
static void	print_cidrs(const struct directive *, const struct config *,
		    FILE *);
static void	print_facility(const struct directive *,
		    const struct config *, FILE *);
static void	print_alert(const struct directive *, const struct config *,
		    FILE *);
static void	print_scale(const struct directive *, const struct config *,
		    FILE *);
static void	print_ignore(const struct directive *, const struct config *,
		    FILE *);
static void	print_watch(const struct directive *, const struct config *,
		    FILE *);

static const struct dtype t_bool = { 1, 1, set_bool, print_bool };
static const struct dtype t_uint = { 1, 1, set_uint, print_uint };
static const struct dtype t_string = { 1, 1, set_string, print_string };
static const struct dtype t_rest = { 1, -1, set_string, print_string };
static const struct dtype t_iface = { 1, 1, set_iface, print_ifaces };
static const struct dtype t_cidrs = { 1, -1, set_cidrs, print_cidrs };
static const struct dtype t_facility = { 1, 1, set_facility, print_facility };
static const struct dtype t_alert = { 2, 4, set_alert, print_alert };
static const struct dtype t_scale = { 1, 1, set_scale, print_scale };
static const struct dtype t_ignore = { 2, 4, set_ignore, print_ignore };
static const struct dtype t_watch = { 2, 4, set_watch, print_watch };
static const struct dtype t_listen = { 1, 1, set_listen, print_string };
static const struct dtype t_database = { 1, 1, set_database, print_string };

#define FIELD(f) \
	offsetof(struct config, f), sizeof(((struct config *)0)->f), NOCOUNT
#define LIST(f, n) \
	offsetof(struct config, f), sizeof(((struct config *)0)->f), \
	offsetof(struct config, n)
#define NOBOUNDS	U_NONE, 0, 0, 0

#define MINUTE	60u
#define HOUR	(60 * MINUTE)
#define DAY	(24 * HOUR)
#define KIB	1024u
#define MIB	(1024 * KIB)

/*
 * The table.  Order is the order of config_print(), the example file and
 * the man page.  Bounds are in base units (bytes, seconds, days).
 */
static const struct directive directives[] = {
	/* capture */
	{ "interface", &t_iface, LIST(interfaces, ninterfaces), NOBOUNDS,
	  D_REPEAT, NULL,
	  "capture on this interface (repeat for more); none: offline only" },
	{ "bpf-filter", &t_rest, FIELD(bpf), NOBOUNDS,
	  D_EMPTY_OK | D_REST, "\"\"",
	  "BPF filter applied in the kernel; \"\": every packet" },
	{ "snaplen", &t_uint, FIELD(snaplen), U_BYTES, 64, 262144, 0, 0,
	  "65535", "bytes captured per packet" },
	{ "buffer-size", &t_uint, FIELD(buffer_mb), U_NONE, 1, 4096, 0, 0,
	  "64", "kernel capture buffer per interface, MiB" },
	{ "promisc", &t_bool, FIELD(promisc), NOBOUNDS, 0, "yes",
	  "put the interfaces in promiscuous mode" },
	{ "ring-size", &t_uint, FIELD(ring_bytes), U_BYTES, MIB, 1024 * MIB,
	  0, 0, "64m", "capture-to-classifier ring per interface, bytes" },
	{ "capture-lost-exit", &t_uint, FIELD(capture_lost_exit_s), U_SECONDS,
	  0, DAY, 0, D_RELOAD, "60s",
	  "exit 1 once no interface has captured this long; 0: never" },

	/* storage */
	{ "database", &t_database, FIELD(db_path), NOBOUNDS, 0,
	  "\"" SVCMAP_LOCALSTATEDIR "/svcmap.db\"",
	  "statistics database: a path or sqlite:PATH" },
	{ "flush-interval", &t_uint, FIELD(flush_interval_s), U_SECONDS,
	  1, HOUR, 0, D_RELOAD, "10s", "time between database writes" },
	{ "stop-timeout", &t_uint, FIELD(stop_timeout_s), U_SECONDS,
	  1, HOUR, 0, D_RELOAD, "30s",
	  "longest wait for the last write at a stop (locked database)" },
	{ "bucket", &t_uint, FIELD(bucket_s), U_SECONDS, MINUTE, HOUR, HOUR,
	  0, "1m", "finest statistics bucket; must divide 1h" },
	{ "retention-minutes", &t_uint, FIELD(retention_minute_days), U_DAYS,
	  1, 3650, 0, D_RELOAD, "7d", "keep per-bucket statistics this long" },
	{ "retention-hours", &t_uint, FIELD(retention_hour_days), U_DAYS,
	  1, 3650, 0, D_RELOAD, "90d", "keep hourly statistics this long" },
	{ "retention-days", &t_uint, FIELD(retention_day_days), U_DAYS,
	  0, 36500, 0, D_RELOAD, "400d",
	  "keep daily statistics this long; 0: forever" },
	{ "retention-hosts", &t_uint, FIELD(retention_host_days), U_DAYS,
	  0, 36500, 0, D_RELOAD, "90d",
	  "forget hosts, clients, names, RPC operations not seen this long; "
	  "0: as retention-days" },
	{ "retention-outbound", &t_uint, FIELD(retention_outbound_days),
	  U_DAYS, 0, 36500, 0, D_RELOAD, "30d",
	  "forget outbound use not seen this long; 0: forever" },

	/* flows */
	{ "flow-capacity", &t_uint, FIELD(flow_capacity), U_NONE,
	  1024, 67108864, 0, 0, "1048576", "most concurrent flows tracked" },
	{ "tcp-idle-timeout", &t_uint, FIELD(tcp_idle_s), U_SECONDS,
	  1, DAY, 0, D_RELOAD, "5m", "end an idle TCP flow after this" },
	{ "tcp-closed-timeout", &t_uint, FIELD(tcp_closed_s), U_SECONDS,
	  1, HOUR, 0, D_RELOAD, "10s", "keep a closed TCP flow this long" },
	{ "udp-idle-timeout", &t_uint, FIELD(udp_idle_s), U_SECONDS,
	  1, DAY, 0, D_RELOAD, "1m", "end an idle UDP flow after this" },
	{ "other-idle-timeout", &t_uint, FIELD(other_idle_s), U_SECONDS,
	  1, DAY, 0, D_RELOAD, "1m",
	  "end an idle ICMP/GRE/ESP/AH flow after this" },
	{ "dpi-max-packets", &t_uint, FIELD(dpi_max_packets), U_NONE, 1, 255,
	  0, 0, "32", "packets per flow given to nDPI before it gives up" },
	{ "dpi-max-flows", &t_uint, FIELD(dpi_max_flows), U_NONE, 1,
	  16777216, 0, 0, "65536",
	  "flows holding nDPI state at once; more are counted, not given" },
	{ "dpi-outbound", &t_bool, FIELD(dpi_outbound), NOBOUNDS, D_RELOAD,
	  "no", "also give nDPI monitored hosts' flows to outside servers" },

	/* DCE/RPC */
	{ "rpc-max-fragment", &t_uint, FIELD(rpc_max_frag), U_BYTES,
	  KIB, 16 * MIB, 0, 0, "65535", "largest DCE/RPC fragment parsed" },
	{ "rpc-max-reassembly", &t_uint, FIELD(rpc_max_reassembly), U_BYTES,
	  64 * KIB, 64 * MIB, 0, 0, "1m",
	  "largest fragmented DCE/RPC message reassembled" },
	{ "endpoint-capacity", &t_uint, FIELD(endpoint_capacity), U_NONE,
	  16, 16777216, 0, 0, "65536", "most learned RPC endpoints kept" },
	{ "endpoint-expiry", &t_uint, FIELD(endpoint_expiry_s), U_SECONDS,
	  MINUTE, 30 * DAY, 0, 0, "1d",
	  "forget an unused learned endpoint after this" },
	{ "rpc-operations-capacity", &t_uint, FIELD(rpc_operations_capacity),
	  U_NONE, 64, 1048576, 0, 0, "4096",
	  "most RPC operation rows (and client pairs) per flush interval" },

	/* host names */
	{ "names-capacity", &t_uint, FIELD(names_capacity), U_NONE,
	  16, 16777216, 0, 0, "65536",
	  "most host names kept (address, source, name)" },
	{ "names-expiry", &t_uint, FIELD(names_expiry_s), U_SECONDS,
	  MINUTE, 365 * DAY, 0, 0, "30d",
	  "forget a host name not seen for this long" },

	/* classification */
	{ "monitored-networks", &t_cidrs, LIST(monitored, nmonitored),
	  NOBOUNDS, D_REPEAT | D_RELOAD,
	  "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 fe80::/10 "
	  "169.254.0.0/16",
	  "networks whose servers are mapped (first line replaces default)" },
	{ "data-dir", &t_string, FIELD(data_dir), NOBOUNDS,
	  D_EMPTY_OK | D_RELOAD, "\"\"",
	  "catalog data directory; \"\": the built-in one" },
	{ "local-catalog", &t_string, FIELD(local_catalog), NOBOUNDS,
	  D_EMPTY_OK | D_RELOAD, "\"" SVCMAP_SYSCONFDIR "/local.catalog\"",
	  "site catalog file (ignored if absent); \"\": none" },

	/* alerts */
	{ "alert", &t_alert, FIELD(alert_kind), NOBOUNDS, D_REPEAT | D_RELOAD,
	  "undocumented_service on severity 4\n"
	  "protocol_mismatch on severity 3\n"
	  "unmapped_dynamic_port on severity 2\n"
	  "new_service on severity 2\n"
	  "sensitive_operation on severity 4\n"
	  "new_role on severity 4",
	  "alert KIND on|off [severity 1..5]" },
	{ "alert-ignore", &t_ignore, LIST(ignore, nignore), NOBOUNDS,
	  D_REPEAT | D_RELOAD, NULL,
	  "no alerts for: [host CIDR] [port PORT[/tcp|/udp]]" },
	{ "alert-operation", &t_watch, LIST(watch, nwatch), NOBOUNDS,
	  D_REPEAT | D_RELOAD, NULL,
	  "watch an RPC operation: INTERFACE NAME|OPNUM|* [not-dc] [storm]" },
	{ "alert-operation-defaults", &t_bool, FIELD(watch_defaults),
	  NOBOUNDS, D_RELOAD, "yes",
	  "watch the catalog's sensitive RPC operations too" },
	{ "alert-operation-storm", &t_uint, FIELD(storm_calls), U_NONE,
	  1, 1000000, 0, D_RELOAD, "10",
	  "a storm: more calls than this from one client ..." },
	{ "alert-operation-storm-window", &t_uint, FIELD(storm_window_s),
	  U_SECONDS, 1, DAY, 0, D_RELOAD, "1m",
	  "... to one server, of one operation, within this time" },
	{ "alert-quiet-period", &t_uint, FIELD(alert_quiet_s), U_SECONDS,
	  MINUTE, 30 * DAY, 0, D_RELOAD, "1d",
	  "raise the same alert again only after this quiet time" },
	{ "alert-grace", &t_uint, FIELD(alert_grace_s), U_SECONDS,
	  0, HOUR, 0, D_RELOAD, "5s",
	  "hold unmapped_dynamic_port this long for late RPC evidence; 0: none" },
	{ "alert-learning-period", &t_uint, FIELD(alert_learning_s), U_SECONDS,
	  0, 30 * DAY, 0, D_RELOAD, "1h",
	  "no new_service/new_role alerts this long after start; 0: none" },
	{ "role-capacity", &t_uint, FIELD(role_capacity), U_NONE,
	  16, 16777216, 0, 0, "65536",
	  "most (host, role evidence) pairs the daemon tracks for new_role" },
	{ "alert-rate-limit", &t_uint, FIELD(alert_rate_per_min), U_NONE,
	  1, 100000, 0, D_RELOAD, "60", "most alerts per minute of each kind" },
	{ "alert-jsonl", &t_string, FIELD(alert_jsonl), NOBOUNDS,
	  D_EMPTY_OK | D_RELOAD, "\"\"",
	  "append alerts to this file as JSON lines; \"\": off" },
	{ "alert-syslog", &t_bool, FIELD(alert_syslog), NOBOUNDS, D_RELOAD,
	  "no", "send alerts to syslog" },
	{ "syslog-facility", &t_facility, FIELD(syslog_facility), NOBOUNDS, 0,
	  "daemon", "syslog facility: daemon, user, local0..local7" },
	{ "alert-severity-scale", &t_scale, FIELD(alert_severity_scale),
	  NOBOUNDS, D_RELOAD, "svcmap",
	  "severity in JSON lines and syslog: svcmap (1 low..5 critical) or "
	  "suricata (1 high..4)" },
	{ "community-id-seed", &t_uint, FIELD(community_id_seed), U_NONE,
	  0, 65535, 0, D_RELOAD, "0",
	  "Community ID seed of alerts' flows (Zeek and Suricata: 0)" },

	/* daemon */
	{ "api-listen", &t_listen, FIELD(api_listen), NOBOUNDS, 0,
	  "127.0.0.1:8135", "HTTP API address: IPv4:PORT, [IPv6]:PORT or off" },
	{ "api-threads", &t_uint, FIELD(api_threads), U_NONE, 1, 64, 0, 0,
	  "2", "API reader threads (each its own database connection)" },
	{ "api-limit", &t_uint, FIELD(api_limit), U_NONE, 1, 100000000, 0, 0,
	  "1000", "rows of an API page without limit=" },
	{ "api-limit-max", &t_uint, FIELD(api_limit_max), U_NONE,
	  1, 100000000, 0, 0, "10000",
	  "rows of an API page at most (larger limit= is cut to it)" },
	{ "api-reply-max", &t_uint, FIELD(api_reply_max), U_BYTES,
	  4 * KIB, 1024 * MIB, 0, 0, "16m",
	  "bytes of an API page body; the page ends at the row past it" },
	{ "api-max-connections", &t_uint, FIELD(api_max_connections), U_NONE,
	  1, 100000, 0, 0, "64",
	  "API connections open at once; accepting pauses at the cap" },
	{ "api-request-timeout", &t_uint, FIELD(api_request_timeout_s),
	  U_SECONDS, 1, HOUR, 0, 0, "30s",
	  "cut an API client whose request is not whole after this" },
	{ "user", &t_string, FIELD(user), NOBOUNDS, D_EMPTY_OK, "svcmap",
	  "drop privileges to this user; \"\": stay as started" },
	/* The default sensor name is the host name: config_defaults(). */
	{ "sensor", &t_string, FIELD(sensor), NOBOUNDS, 0, NULL,
	  "sensor name in the database and alerts; default: the host name" },
	{ "pidfile", &t_string, FIELD(pidfile), NOBOUNDS, D_EMPTY_OK, "\"\"",
	  "write the daemon's pid here; \"\": none" },
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* Alert kinds in the order of alert.h's enum (config.h ALERT_KINDS). */
static const char *const alert_kind_names[ALERT_KINDS] = {
	"undocumented_service",
	"protocol_mismatch",
	"unmapped_dynamic_port",
	"new_service",
	"sensitive_operation",
	"new_role",
};

static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static void	load_error(struct load *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
load_error(struct load *ld, const char *fmt, ...)
{
	char msg[512], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote the file; keep its control bytes off the terminal. */
	for (p = msg; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
	ld->errors++;
	ld->report(ld->arg, ld->file, ld->line, msg);
}

static void *
field(const struct directive *d, struct config *cfg)
{
	return (char *)cfg + d->off;
}

static const void *
cfield(const struct directive *d, const struct config *cfg)
{
	return (const char *)cfg + d->off;
}

static size_t *
count(const struct directive *d, struct config *cfg)
{
	return (size_t *)(void *)((char *)cfg + d->count_off);
}

static size_t
ccount(const struct directive *d, const struct config *cfg)
{
	const char *p = (const char *)cfg + d->count_off;

	return *(const size_t *)(const void *)p;
}

/* Is this the directive's first appearance in the file being loaded? */
static bool
first_time(const struct directive *d, const struct load *ld)
{
	return ld->seen[d - directives] == 0;
}

/*
 * Numbers.  strtoull() alone accepts a sign and leading blanks, wraps
 * negative values and stops quietly at garbage, so the text must start
 * with a digit, the end pointer must land on a known suffix, and both the
 * conversion and the unit multiplication are checked for overflow.
 */
enum num_result { NUM_OK, NUM_SYNTAX, NUM_RANGE };

static enum num_result
parse_number(const char *s, enum unit unit, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return NUM_SYNTAX;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return NUM_RANGE;
	if (*end != '\0') {
		if (end[1] != '\0')
			return NUM_SYNTAX;
		switch (unit) {
		case U_BYTES:
			switch (*end) {
			case 'k': case 'K': mult = KIB; break;
			case 'm': case 'M': mult = MIB; break;
			case 'g': case 'G': mult = 1024u * MIB; break;
			default: return NUM_SYNTAX;
			}
			break;
		case U_SECONDS:
			switch (*end) {
			case 's': mult = 1; break;
			case 'm': mult = MINUTE; break;
			case 'h': mult = HOUR; break;
			case 'd': mult = DAY; break;
			default: return NUM_SYNTAX;
			}
			break;
		case U_DAYS:
			if (*end != 'd')
				return NUM_SYNTAX;
			break;
		case U_NONE:
			return NUM_SYNTAX;
		}
	}
	if (v > UINT64_MAX / mult)
		return NUM_RANGE;
	*out = (uint64_t)v * mult;
	return NUM_OK;
}

/* A value in the largest unit that states it exactly: 3600 -> "1h". */
static const char *
fmt_number(uint64_t v, enum unit unit, char *buf, size_t len)
{
	static const struct { uint64_t mult; char suffix; }
	    seconds[] = { { DAY, 'd' }, { HOUR, 'h' }, { MINUTE, 'm' },
		{ 1, 's' } },
	    bytes[] = { { 1024u * MIB, 'g' }, { MIB, 'm' }, { KIB, 'k' } };
	size_t i;

	if (v == 0 || unit == U_NONE) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return buf;
	}
	if (unit == U_DAYS) {
		snprintf(buf, len, "%llud", (unsigned long long)v);
		return buf;
	}
	if (unit == U_SECONDS) {
		for (i = 0; i < sizeof(seconds) / sizeof(seconds[0]); i++)
			if (v % seconds[i].mult == 0)
				break;
		snprintf(buf, len, "%llu%c",
		    (unsigned long long)(v / seconds[i].mult),
		    seconds[i].suffix);
		return buf;
	}
	for (i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		if (v % bytes[i].mult == 0) {
			snprintf(buf, len, "%llu%c",
			    (unsigned long long)(v / bytes[i].mult),
			    bytes[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

static const char *
unit_hint(enum unit unit)
{
	switch (unit) {
	case U_BYTES:
		return " (a number, optionally with k, m or g)";
	case U_SECONDS:
		return " (a number, optionally with s, m, h or d)";
	case U_DAYS:
		return " (a number of days, optionally with d)";
	case U_NONE:
		break;
	}
	return " (a number)";
}

static int
set_uint(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	char lo[32], hi[32], dv[32];
	uint64_t v = 0;

	(void)argc;
	switch (parse_number(argv[0], d->unit, &v)) {
	case NUM_SYNTAX:
		load_error(ld, "%s: invalid value \"%s\"%s", d->name, argv[0],
		    unit_hint(d->unit));
		return -1;
	case NUM_RANGE:
		v = UINT64_MAX;
		break;
	case NUM_OK:
		break;
	}
	if (v < d->min || v > d->max) {
		load_error(ld, "%s: %s is out of range (%s..%s)", d->name,
		    argv[0], fmt_number(d->min, d->unit, lo, sizeof(lo)),
		    fmt_number(d->max, d->unit, hi, sizeof(hi)));
		return -1;
	}
	if (d->divides != 0 && d->divides % v != 0) {
		load_error(ld, "%s: %s does not divide %s evenly", d->name,
		    argv[0], fmt_number(d->divides, d->unit, dv, sizeof(dv)));
		return -1;
	}
	*(uint32_t *)field(d, cfg) = (uint32_t)v;
	return 0;
}

static void
print_uint(const struct directive *d, const struct config *cfg, FILE *out)
{
	char buf[32];

	fprintf(out, "%s %s\n", d->name, fmt_number(
	    *(const uint32_t *)cfield(d, cfg), d->unit, buf, sizeof(buf)));
}

static int
set_bool(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	bool *b = field(d, cfg);

	(void)argc;
	if (strcmp(argv[0], "yes") == 0)
		*b = true;
	else if (strcmp(argv[0], "no") == 0)
		*b = false;
	else {
		load_error(ld, "%s: expected yes or no, not \"%s\"", d->name,
		    argv[0]);
		return -1;
	}
	return 0;
}

static void
print_bool(const struct directive *d, const struct config *cfg, FILE *out)
{
	fprintf(out, "%s %s\n", d->name,
	    *(const bool *)cfield(d, cfg) ? "yes" : "no");
}

/*
 * One word as the tokenizer reads it back: quoted when it is empty, holds
 * a blank, or starts with a quote or a comment sign.
 */
static void
print_word(FILE *out, const char *s)
{
	const char *p;

	if (*s != '\0' && *s != '"' && *s != '#' && strpbrk(s, " \t") == NULL) {
		fputs(s, out);
		return;
	}
	putc('"', out);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			putc('\\', out);
		putc(*p, out);
	}
	putc('"', out);
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

/*
 * Strings fill a char array; strncpy() zero-fills the rest, which keeps
 * the field's bytes a function of its value (config_apply_reload()
 * compares fields with memcmp()).
 */
static int
set_string(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	char joined[CONFIG_LINE_MAX + 1], *dst = field(d, cfg);
	const char *value = argv[0];
	size_t len = 0;
	int i;

	if (argc > 1) {
		/*
		 * D_REST: "bpf-filter tcp port 135" without quotes.  The
		 * words come from one line of at most CONFIG_LINE_MAX
		 * characters, so joined with single blanks they fit.
		 */
		for (i = 0; i < argc; i++) {
			size_t n = strlen(argv[i]);

			if (i > 0)
				joined[len++] = ' ';
			memcpy(joined + len, argv[i], n + 1);
			len += n;
		}
		value = joined;
	}
	len = strlen(value);
	if (len == 0 && !(d->flags & D_EMPTY_OK)) {
		load_error(ld, "%s: value must not be empty", d->name);
		return -1;
	}
	if (len >= d->size) {
		load_error(ld, "%s: value longer than %zu characters", d->name,
		    d->size - 1);
		return -1;
	}
	if (has_control(value)) {
		load_error(ld, "%s: control character in value", d->name);
		return -1;
	}
	strncpy(dst, value, d->size);
	return 0;
}

static void
print_string(const struct directive *d, const struct config *cfg, FILE *out)
{
	fprintf(out, "%s ", d->name);
	print_word(out, cfield(d, cfg));
	putc('\n', out);
}

static int
set_iface(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	size_t i, *n = count(d, cfg);

	(void)argc;
	if (argv[0][0] == '\0' || strlen(argv[0]) >= IFNAMSIZ ||
	    has_control(argv[0])) {
		load_error(ld, "%s: \"%s\" is not an interface name (at most "
		    "%d characters)", d->name, argv[0], IFNAMSIZ - 1);
		return -1;
	}
	for (i = 0; i < *n; i++) {
		if (strcmp(cfg->interfaces[i], argv[0]) == 0) {
			load_error(ld, "%s: %s given twice", d->name, argv[0]);
			return -1;
		}
	}
	if (*n == CONFIG_MAX_IFACES) {
		load_error(ld, "%s: more than %d interfaces", d->name,
		    CONFIG_MAX_IFACES);
		return -1;
	}
	strncpy(cfg->interfaces[*n], argv[0], sizeof(cfg->interfaces[0]));
	(*n)++;
	return 0;
}

static void
print_ifaces(const struct directive *d, const struct config *cfg, FILE *out)
{
	size_t i;

	if (cfg->ninterfaces == 0)
		fprintf(out, "#%s (none)\n", d->name);
	for (i = 0; i < cfg->ninterfaces; i++) {
		fprintf(out, "%s ", d->name);
		print_word(out, cfg->interfaces[i]);
		putc('\n', out);
	}
}

/*
 * monitored-networks appends, but the file's first line replaces the
 * built-in list: a site that names its networks does not want the RFC
 * 1918 defaults mixed in.
 */
static int
set_cidrs(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	size_t j, *n = count(d, cfg);
	struct cidr c;
	int i;

	if (first_time(d, ld)) {
		memset(field(d, cfg), 0, d->size);
		*n = 0;
	}
	for (i = 0; i < argc; i++) {
		if (cidr_parse(&c, argv[i]) == -1) {
			load_error(ld, "%s: \"%s\" is not a network (CIDR)",
			    d->name, argv[i]);
			return -1;
		}
		for (j = 0; j < *n; j++) {
			if (cfg->monitored[j].plen == c.plen &&
			    addr_eq(&cfg->monitored[j].net, &c.net)) {
				load_error(ld, "%s: %s listed twice", d->name,
				    argv[i]);
				return -1;
			}
		}
		if (*n == CONFIG_MAX_NETS) {
			load_error(ld, "%s: more than %d networks", d->name,
			    CONFIG_MAX_NETS);
			return -1;
		}
		cfg->monitored[(*n)++] = c;
	}
	return 0;
}

static void
print_cidrs(const struct directive *d, const struct config *cfg, FILE *out)
{
	char buf[ADDR_STRLEN + 8];
	size_t i;

	fputs(d->name, out);
	for (i = 0; i < cfg->nmonitored; i++)
		fprintf(out, " %s", cidr_fmt(&cfg->monitored[i], buf,
		    sizeof(buf)));
	putc('\n', out);
}

static int
set_facility(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	size_t i;

	(void)argc;
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcmp(argv[0], facilities[i].name) == 0) {
			*(int *)field(d, cfg) = facilities[i].facility;
			return 0;
		}
	}
	load_error(ld, "%s: unknown facility \"%s\" (daemon, user, "
	    "local0..local7)", d->name, argv[0]);
	return -1;
}

static void
print_facility(const struct directive *d, const struct config *cfg,
    FILE *out)
{
	int fac = *(const int *)cfield(d, cfg);
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (facilities[i].facility == fac) {
			fprintf(out, "%s %s\n", d->name, facilities[i].name);
			return;
		}
	}
	/* Only set_facility() writes the field, so this cannot happen. */
	fatalx("config: facility %d has no name", fac);
}

static const char *const scale_names[] = {
	[CONFIG_SCALE_SVCMAP] = "svcmap",
	[CONFIG_SCALE_SURICATA] = "suricata",
};

/* alert-severity-scale svcmap|suricata */
static int
set_scale(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	size_t i;

	(void)argc;
	for (i = 0; i < sizeof(scale_names) / sizeof(scale_names[0]); i++) {
		if (strcmp(argv[0], scale_names[i]) == 0) {
			*(int *)field(d, cfg) = (int)i;
			return 0;
		}
	}
	load_error(ld, "%s: unknown scale \"%s\" (svcmap, suricata)",
	    d->name, argv[0]);
	return -1;
}

static void
print_scale(const struct directive *d, const struct config *cfg, FILE *out)
{
	int v = *(const int *)cfield(d, cfg);

	/* Only set_scale() writes the field, so it names a scale. */
	fprintf(out, "%s %s\n", d->name, v >= 0 && (size_t)v <
	    sizeof(scale_names) / sizeof(scale_names[0]) ? scale_names[v] :
	    "svcmap");
}

/* alert KIND on|off [severity N] */
static int
set_alert(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	struct config_alert_kind *k;
	uint64_t sev = 0;
	int kind;

	for (kind = 0; kind < ALERT_KINDS; kind++)
		if (strcmp(argv[0], alert_kind_names[kind]) == 0)
			break;
	if (kind == ALERT_KINDS) {
		load_error(ld, "%s: unknown alert kind \"%s\" (%s, %s, %s, %s, "
		    "%s, %s)", d->name, argv[0], alert_kind_names[0],
		    alert_kind_names[1], alert_kind_names[2],
		    alert_kind_names[3], alert_kind_names[4],
		    alert_kind_names[5]);
		return -1;
	}
	if (ld->alert_seen[kind] != 0) {
		load_error(ld, "%s: %s already set at line %u", d->name,
		    argv[0], ld->alert_seen[kind]);
		return -1;
	}
	if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0) {
		load_error(ld, "%s %s: expected on or off, not \"%s\"", d->name,
		    argv[0], argv[1]);
		return -1;
	}
	if (argc == 3 || (argc == 4 && strcmp(argv[2], "severity") != 0)) {
		load_error(ld, "%s %s: expected \"severity N\" after %s",
		    d->name, argv[0], argv[1]);
		return -1;
	}
	if (argc == 4 && (parse_number(argv[3], U_NONE, &sev) != NUM_OK ||
	    sev < 1 || sev > 5)) {
		load_error(ld, "%s %s: severity \"%s\" is not 1..5", d->name,
		    argv[0], argv[3]);
		return -1;
	}
	k = &cfg->alert_kind[kind];
	k->enabled = strcmp(argv[1], "on") == 0;
	if (argc == 4)
		k->severity = (int)sev;
	ld->alert_seen[kind] = ld->line;
	return 0;
}

static void
print_alert(const struct directive *d, const struct config *cfg, FILE *out)
{
	int kind;

	for (kind = 0; kind < ALERT_KINDS; kind++)
		fprintf(out, "%s %s %s severity %d\n", d->name,
		    alert_kind_names[kind],
		    cfg->alert_kind[kind].enabled ? "on" : "off",
		    cfg->alert_kind[kind].severity);
}

/* PORT, PORT/tcp or PORT/udp; port 0 means "any" in the rule, so not here. */
static int
parse_port_rule(const char *s, struct config_ignore *r)
{
	char num[8];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t port;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_number(num, U_NONE, &port) != NUM_OK || port < 1 ||
	    port > 65535)
		return -1;
	r->port = (uint16_t)port;
	if (slash == NULL)
		r->transport = 0;
	else if (strcmp(slash + 1, "tcp") == 0)
		r->transport = TRANSPORT_TCP;
	else if (strcmp(slash + 1, "udp") == 0)
		r->transport = TRANSPORT_UDP;
	else
		return -1;
	return 0;
}

/* alert-ignore [host CIDR] [port PORT[/tcp|/udp]], at least one of them. */
static int
set_ignore(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	struct config_ignore *r;
	bool host = false, port = false;
	size_t *n = count(d, cfg);
	int i;

	if (*n == CONFIG_MAX_IGNORES) {
		load_error(ld, "%s: more than %d rules", d->name,
		    CONFIG_MAX_IGNORES);
		return -1;
	}
	/* Build in place: the slot past the count is all zero bytes. */
	r = &cfg->ignore[*n];
	for (i = 0; i < argc; i += 2) {
		if ((strcmp(argv[i], "host") == 0 && host) ||
		    (strcmp(argv[i], "port") == 0 && port)) {
			load_error(ld, "%s: %s given twice", d->name, argv[i]);
			goto fail;
		}
		if (strcmp(argv[i], "host") == 0) {
			host = true;
			if (i + 1 == argc ||
			    cidr_parse(&r->cidr, argv[i + 1]) == -1)
				goto bad_host;
			r->has_cidr = true;
		} else if (strcmp(argv[i], "port") == 0) {
			port = true;
			if (i + 1 == argc ||
			    parse_port_rule(argv[i + 1], r) == -1)
				goto bad_port;
		} else {
			load_error(ld, "%s: expected host CIDR and/or port "
			    "PORT[/tcp|/udp], not \"%s\"", d->name, argv[i]);
			goto fail;
		}
	}
	(*n)++;
	return 0;

bad_host:
	load_error(ld, "%s: host needs a network (CIDR), not \"%s\"", d->name,
	    i + 1 < argc ? argv[i + 1] : "");
	goto fail;
bad_port:
	load_error(ld, "%s: port needs PORT, PORT/tcp or PORT/udp (1..65535), "
	    "not \"%s\"", d->name, i + 1 < argc ? argv[i + 1] : "");
fail:
	memset(r, 0, sizeof(*r));
	return -1;
}

static void
print_ignore(const struct directive *d, const struct config *cfg, FILE *out)
{
	char buf[ADDR_STRLEN + 8];
	const struct config_ignore *r;
	size_t i;

	if (cfg->nignore == 0)
		fprintf(out, "#%s (none)\n", d->name);
	for (i = 0; i < cfg->nignore; i++) {
		r = &cfg->ignore[i];
		fputs(d->name, out);
		if (r->has_cidr)
			fprintf(out, " host %s", cidr_fmt(&r->cidr, buf,
			    sizeof(buf)));
		if (r->port != 0)
			fprintf(out, " port %u%s", r->port,
			    r->transport == TRANSPORT_TCP ? "/tcp" :
			    r->transport == TRANSPORT_UDP ? "/udp" : "");
		putc('\n', out);
	}
}

/*
 * alert-operation INTERFACE OPERATION [not-dc] [storm]: OPERATION is a
 * method name, an opnum (decimal) or "*".  Only the syntax is checked
 * here; opwatch_build() checks the names against the catalog.
 */
static int
set_watch(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	struct config_watch *w;
	size_t *n = count(d, cfg);
	uint64_t opnum;
	int i;

	if (*n == CONFIG_MAX_WATCH) {
		load_error(ld, "%s: more than %d operations", d->name,
		    CONFIG_MAX_WATCH);
		return -1;
	}
	if (strlen(argv[0]) >= sizeof(w->iface) || has_control(argv[0]) ||
	    argv[0][0] == '\0') {
		load_error(ld, "%s: \"%s\" is not an interface name", d->name,
		    argv[0]);
		return -1;
	}
	if (strlen(argv[1]) >= sizeof(w->op) || has_control(argv[1]) ||
	    argv[1][0] == '\0' || (isdigit((unsigned char)argv[1][0]) &&
	    (parse_number(argv[1], U_NONE, &opnum) != NUM_OK ||
	    opnum > UINT16_MAX))) {
		load_error(ld, "%s: \"%s\" is not an operation name, an opnum "
		    "(0..65535) or *", d->name, argv[1]);
		return -1;
	}
	/* Build in place: the slot past the count is all zero bytes. */
	w = &cfg->watch[*n];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "not-dc") == 0 &&
		    !(w->flags & CATALOG_OP_NOT_DC))
			w->flags |= CATALOG_OP_NOT_DC;
		else if (strcmp(argv[i], "storm") == 0 &&
		    !(w->flags & CATALOG_OP_STORM))
			w->flags |= CATALOG_OP_STORM;
		else {
			load_error(ld, "%s: expected not-dc and/or storm after "
			    "the operation, not \"%s\"", d->name, argv[i]);
			w->flags = 0;
			return -1;
		}
	}
	strncpy(w->iface, argv[0], sizeof(w->iface));
	strncpy(w->op, argv[1], sizeof(w->op));
	cfg->watch_line[*n] = ld->line;
	(*n)++;
	return 0;
}

static void
print_watch(const struct directive *d, const struct config *cfg, FILE *out)
{
	const struct config_watch *w;
	size_t i;

	if (cfg->nwatch == 0)
		fprintf(out, "#%s (none)\n", d->name);
	for (i = 0; i < cfg->nwatch; i++) {
		w = &cfg->watch[i];
		fprintf(out, "%s ", d->name);
		print_word(out, w->iface);
		putc(' ', out);
		print_word(out, w->op);
		fprintf(out, "%s%s\n", w->flags & CATALOG_OP_NOT_DC ?
		    " not-dc" : "", w->flags & CATALOG_OP_STORM ? " storm" : "");
	}
}

/* "off", or a listen address as the API parses it (port 1..65535). */
static bool
listen_valid(const char *s)
{
	struct sockaddr_storage ss;
	int sslen;

	return strcmp(s, "off") == 0 ||
	    addr_parse_listen(s, false, &ss, &sslen) == 0;
}

static int
set_listen(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	if (!listen_valid(argv[0])) {
		load_error(ld, "%s: \"%s\" is not IPv4:PORT, [IPv6]:PORT "
		    "(port 1..65535) or off", d->name, argv[0]);
		return -1;
	}
	return set_string(d, cfg, ld, argc, argv);
}

/* A store URL (store.h): a path or sqlite:PATH; other schemes refused. */
static int
set_database(const struct directive *d, struct config *cfg, struct load *ld,
    int argc, char **argv)
{
	struct store_url u;
	char why[300];

	if (store_url_parse(argv[0], &u, why, sizeof(why)) == -1) {
		load_error(ld, "%s: %s", d->name, why);
		return -1;
	}
	return set_string(d, cfg, ld, argc, argv);
}

/*
 * Split a line into words, in place.  Blanks separate words.  A word that
 * starts with '"' runs to the next unescaped '"', may hold blanks and '#',
 * and inside it \" and \\ stand for " and \ (other backslashes are kept,
 * as BPF uses them: "ether proto \arp").  A '#' that starts a word starts
 * a comment.  Returns the word count, or -1 with *why set.
 */
static int
tokenize(char *line, char **argv, int max, const char **why)
{
	char *r = line, *w;
	int argc = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r')
			r++;
		if (*r == '\0' || *r == '#')
			return argc;
		if (argc == max) {
			*why = "too many words on the line";
			return -1;
		}
		if (*r != '"') {
			argv[argc++] = r;
			while (*r != '\0' && *r != ' ' && *r != '\t' &&
			    *r != '\r')
				r++;
			if (*r != '\0')
				*r++ = '\0';
			continue;
		}
		argv[argc++] = w = ++r;
		for (;;) {
			if (*r == '\0') {
				*why = "missing closing quote";
				return -1;
			}
			if (*r == '"')
				break;
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r++;
		}
		r++;
		if (*r != '\0' && *r != ' ' && *r != '\t' && *r != '\r') {
			*why = "text right after a closing quote";
			return -1;
		}
		*w = '\0';
	}
}

static const struct directive *
lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NDIRECTIVES; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

/* One line of configuration text; errors go to ld. */
static void
process_line(struct config *cfg, struct load *ld, char *line)
{
	char *argv[CONFIG_MAX_ARGS];
	const struct directive *d;
	const char *why = NULL;
	int argc;
	unsigned *seen;

	/* Values reach JSON, syslog and /metrics, which need UTF-8. */
	if (!cfgfile_utf8_valid(line, strlen(line))) {
		load_error(ld, "not valid UTF-8");
		return;
	}
	if ((argc = tokenize(line, argv, CONFIG_MAX_ARGS, &why)) == -1) {
		load_error(ld, "%s", why);
		return;
	}
	if (argc == 0)
		return;
	if ((d = lookup(argv[0])) == NULL) {
		if (strcmp(argv[0], "ring-slots") == 0)
			load_error(ld, "ring-slots was replaced by ring-size "
			    "(the ring is sized in bytes)");
		else
			load_error(ld, "unknown directive \"%s\"", argv[0]);
		return;
	}
	argc--;
	if (argc < d->type->minargs) {
		load_error(ld, "%s: missing value", d->name);
		return;
	}
	if (d->type->maxargs != -1 && argc > d->type->maxargs) {
		load_error(ld, "%s: unexpected \"%s\" after the value", d->name,
		    argv[d->type->maxargs + 1]);
		return;
	}
	seen = &ld->seen[d - directives];
	if (*seen != 0 && !(d->flags & D_REPEAT)) {
		load_error(ld, "%s: duplicate directive (first given at line "
		    "%u)", d->name, *seen);
		return;
	}
	if (d->type->set(d, cfg, ld, argc, argv + 1) == 0 && *seen == 0)
		*seen = ld->line;
}

/* Checks between directives, once the whole file is read. */
static void
check_relations(const struct config *cfg, struct load *ld)
{
	const struct directive *frag = lookup("rpc-max-fragment");
	const struct directive *re = lookup("rpc-max-reassembly");
	unsigned lf = ld->seen[frag - directives];
	unsigned lr = ld->seen[re - directives];

	if (cfg->rpc_max_frag > cfg->rpc_max_reassembly) {
		ld->line = lf > lr ? lf : lr;
		load_error(ld, "rpc-max-fragment (%u) is larger than "
		    "rpc-max-reassembly (%u)", cfg->rpc_max_frag,
		    cfg->rpc_max_reassembly);
	}
}

enum line_status { LINE_OK, LINE_EOF, LINE_TOOLONG, LINE_NUL };

/*
 * Read one line into buf (NUL-terminated, newline dropped).  A line longer
 * than the buffer is consumed to its end and reported; so is a NUL byte,
 * which would otherwise hide the rest of the line from the parser.
 */
static enum line_status
read_line(FILE *fp, char *buf, size_t size)
{
	enum line_status st = LINE_OK;
	size_t len = 0;
	int ch;

	while ((ch = getc(fp)) != EOF && ch != '\n') {
		if (ch == '\0')
			st = LINE_NUL;
		if (len + 1 < size)
			buf[len++] = (char)ch;
		else
			st = LINE_TOOLONG;
	}
	buf[len] = '\0';
	if (ch == EOF && len == 0 && st == LINE_OK)
		return LINE_EOF;
	return st;
}

/*
 * Read configuration from fp over cfg.  Each error goes to report(arg,
 * name, line, message) (line 0: not about a line).  Returns 0, or -1 if
 * there was any error.
 */
static int
config_load_stream(struct config *cfg, FILE *fp, const char *name,
    config_report_fn *report, void *arg)
{
	unsigned seen[NDIRECTIVES];
	char line[CONFIG_LINE_MAX + 1];
	struct load ld;
	enum line_status st;

	memset(&ld, 0, sizeof(ld));
	memset(seen, 0, sizeof(seen));
	ld.file = name;
	ld.report = report;
	ld.arg = arg;
	ld.seen = seen;
	while ((st = read_line(fp, line, sizeof(line))) != LINE_EOF) {
		ld.line++;
		if (st == LINE_TOOLONG)
			load_error(&ld, "line longer than %d characters",
			    CONFIG_LINE_MAX);
		else if (st == LINE_NUL)
			load_error(&ld, "NUL byte in line");
		else
			process_line(cfg, &ld, line);
	}
	if (ferror(fp)) {
		ld.line = 0;
		load_error(&ld, "%s", strerror(errno));
		return -1;
	}
	check_relations(cfg, &ld);
	return ld.errors == 0 ? 0 : -1;
}

struct first_error {
	char	*err;
	size_t	 errlen;
	bool	 have;
};

static void
report_stderr(void *arg, const char *file, unsigned line, const char *msg)
{
	struct first_error *fe = arg;
	char text[1024];

	if (line == 0)
		snprintf(text, sizeof(text), "%s: %s", file, msg);
	else
		snprintf(text, sizeof(text), "%s:%u: %s", file, line, msg);
	fprintf(stderr, "%s\n", text);
	if (!fe->have && fe->errlen > 0) {
		snprintf(fe->err, fe->errlen, "%s", text);
		fe->have = true;
	}
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct first_error fe = { err, errlen, false };
	char why[128];
	FILE *fp;
	int rc;

	if ((fp = cfgfile_open(path, CFGFILE_CONFIG_MAX, why,
	    sizeof(why))) == NULL) {
		report_stderr(&fe, path, 0, why);
		return -1;
	}
	rc = config_load_stream(cfg, fp, path, report_stderr, &fe);
	fclose(fp);
	return rc;
}

static void
report_first(void *arg, const char *file, unsigned line, const char *msg)
{
	struct first_error *fe = arg;

	(void)line;
	if (!fe->have && fe->errlen > 0) {
		snprintf(fe->err, fe->errlen, "%s: %s", file, msg);
		fe->have = true;
	}
}

/*
 * The value is quoted so that it is one word whatever it holds; the line
 * then goes through the same parser and bounds as a file's.
 */
int
config_set(struct config *cfg, const char *name, const char *value,
    const char *origin, char *err, size_t errlen)
{
	struct first_error fe = { err, errlen, false };
	unsigned seen[NDIRECTIVES];
	char line[CONFIG_LINE_MAX + 1];
	struct load ld;
	size_t n, i;

	n = (size_t)snprintf(line, sizeof(line), "%s \"", name);
	for (i = 0; value[i] != '\0' && n + 4 < sizeof(line); i++) {
		if (value[i] == '"' || value[i] == '\\')
			line[n++] = '\\';
		line[n++] = value[i];
	}
	if (value[i] != '\0') {
		snprintf(err, errlen, "%s: value too long", origin);
		return -1;
	}
	line[n++] = '"';
	line[n] = '\0';
	memset(&ld, 0, sizeof(ld));
	memset(seen, 0, sizeof(seen));
	ld.file = origin;
	ld.report = report_first;
	ld.arg = &fe;
	ld.seen = seen;
	process_line(cfg, &ld, line);
	return ld.errors == 0 ? 0 : -1;
}

/* A built-in default that does not parse is a bug in the table above. */
static void
report_fatal(void *arg, const char *file, unsigned line, const char *msg)
{
	(void)arg;
	(void)line;
	fatalx("config: %s: %s", file, msg);
}

/*
 * The host name, cut to the field's size.  POSIX leaves a truncated name
 * unterminated, hence the explicit NUL.
 */
static void
default_sensor(struct config *cfg)
{
	char host[256];

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strcpy(host, "svcmap");
	host[sizeof(host) - 1] = '\0';
	memcpy(cfg->sensor, host, strnlen(host, sizeof(cfg->sensor) - 1));
}

void
config_defaults(struct config *cfg)
{
	unsigned seen[NDIRECTIVES];
	char line[CONFIG_LINE_MAX + 1];
	const char *p, *nl;
	struct load ld;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	memset(&ld, 0, sizeof(ld));
	memset(seen, 0, sizeof(seen));
	ld.file = "built-in default";
	ld.report = report_fatal;
	ld.seen = seen;
	for (i = 0; i < NDIRECTIVES; i++) {
		/* A default may be several lines (one per alert kind). */
		for (p = directives[i].def; p != NULL; p = nl ? nl + 1 : NULL) {
			nl = strchr(p, '\n');
			snprintf(line, sizeof(line), "%s %.*s",
			    directives[i].name,
			    (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
			process_line(cfg, &ld, line);
		}
	}
	default_sensor(cfg);
}

/*
 * Fields compare as bytes: config_defaults() zeroes the whole struct and
 * every setter leaves unused bytes zero (strncpy, list slots built in
 * zeroed memory), so equal settings have equal bytes.
 */
static bool
field_equal(const struct directive *d, const struct config *a,
    const struct config *b)
{
	if (d->count_off != NOCOUNT && ccount(d, a) != ccount(d, b))
		return false;
	return memcmp(cfield(d, a), cfield(d, b), d->size) == 0;
}

int
config_apply_reload(struct config *running, const struct config *fresh)
{
	const struct directive *d;
	int ignored = 0;

	for (d = directives; d < directives + NDIRECTIVES; d++) {
		if (field_equal(d, running, fresh))
			continue;
		if (!(d->flags & D_RELOAD)) {
			log_warnx("setting %s changed: restart svcmapd to "
			    "apply", d->name);
			ignored++;
			continue;
		}
		memcpy(field(d, running), cfield(d, fresh), d->size);
		if (d->count_off != NOCOUNT)
			*count(d, running) = ccount(d, fresh);
	}
	return ignored;
}

void
config_print(const struct config *cfg, FILE *out)
{
	const struct directive *d;

	for (d = directives; d < directives + NDIRECTIVES; d++) {
		fprintf(out, "%s# %s%s\n", d == directives ? "" : "\n",
		    d->help, d->flags & D_RELOAD ? " (SIGHUP applies)" : "");
		d->type->print(d, cfg, out);
	}
}
