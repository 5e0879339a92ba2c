/*
 * config.h - svcmapd.conf: every setting, its default, its bounds.
 *
 * One directive per line ("name value..."), '#' comments.  The table in
 * config.c gives each directive its type, bounds, default and whether a
 * SIGHUP may change it; defaults live there only.  Errors read
 * "file:line: message" and every bad line is reported.  See svcmapd.conf(5).
 */
#ifndef SVCMAP_CONFIG_H
#define SVCMAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "svcmap/addr.h"

#define CONFIG_MAX_IFACES	16
#define CONFIG_MAX_NETS		64
#define CONFIG_MAX_IGNORES	64
#define CONFIG_MAX_WATCH	128
#define CONFIG_PATH_LEN		512

/* An ignored host or port for alerts: ip may be unset (all hosts). */
struct config_ignore {
	bool		has_cidr;
	struct cidr	cidr;
	uint8_t		transport;	/* 0: any */
	uint16_t	port;		/* 0: any */
};

/*
 * One alert-operation line, as written: the names are checked against
 * the catalog when the watch list is built (opwatch.h), not here, since
 * the catalog a config names loads after the config.
 */
struct config_watch {
	char		iface[48];	/* catalog interface name: "drsuapi" */
	char		op[64];		/* operation name, opnum or "*" */
	uint8_t		flags;		/* CATALOG_OP_NOT_DC, _STORM */
};

/* Alert kinds (alert.h) and their settings. */
#define ALERT_KINDS 6

struct config_alert_kind {
	bool		enabled;
	int		severity;	/* 1 (low) .. 5 (critical) */
};

struct config {
	/* capture */
	char		interfaces[CONFIG_MAX_IFACES][64];
	size_t		ninterfaces;
	char		bpf[1024];		/* "" = none */
	uint32_t	snaplen;		/* bytes */
	uint32_t	buffer_mb;		/* kernel buffer, MiB */
	bool		promisc;
	uint32_t	ring_bytes;		/* handoff ring per interface */

	/* storage */
	char		db_path[CONFIG_PATH_LEN];
	uint32_t	flush_interval_s;	/* seconds between flushes */
	/* Seconds from a stop (SIGTERM, end of input) within which the last
	 * write must land; past it svcmapd exits 1 saying what it lost. */
	uint32_t	stop_timeout_s;
	/* Seconds with every capture interface lost before svcmapd exits 1
	 * (so that Restart=on-failure acts); 0: never. */
	uint32_t	capture_lost_exit_s;
	uint32_t	bucket_s;		/* finest statistics bucket, seconds */
	uint32_t	retention_minute_days;
	uint32_t	retention_hour_days;
	uint32_t	retention_day_days;	/* 0 = forever */
	uint32_t	retention_host_days;	/* 0 = as retention_day_days */
	uint32_t	retention_outbound_days; /* 0 = forever */

	/* flows */
	uint32_t	flow_capacity;
	uint32_t	tcp_idle_s;
	uint32_t	tcp_closed_s;
	uint32_t	udp_idle_s;
	uint32_t	other_idle_s;
	uint32_t	dpi_max_packets;	/* nDPI gives up after this many */
	uint32_t	dpi_max_flows;		/* flows with nDPI state at once */
	bool		dpi_outbound;	/* nDPI on flows to outside servers */

	/* DCE/RPC */
	uint32_t	rpc_max_frag;		/* bytes */
	uint32_t	rpc_max_reassembly;	/* bytes */
	uint32_t	endpoint_capacity;
	uint32_t	endpoint_expiry_s;
	uint32_t	names_capacity;		/* host name table entries */
	uint32_t	names_expiry_s;		/* forget a name unseen this long */
	uint32_t	rpc_operations_capacity; /* rows per flush interval */

	/* classification */
	struct cidr	monitored[CONFIG_MAX_NETS];
	size_t		nmonitored;
	char		data_dir[CONFIG_PATH_LEN];	/* "" = built-in default */
	char		local_catalog[CONFIG_PATH_LEN];	/* "" = none */

	/* alerts */
	struct config_alert_kind alert_kind[ALERT_KINDS];
	struct config_ignore ignore[CONFIG_MAX_IGNORES];
	size_t		nignore;
	uint32_t	alert_quiet_s;		/* re-raise after this quiet time */
	uint32_t	alert_learning_s;	/* new_service/new_role learning */
	uint32_t	role_capacity;		/* (host, role evidence) pairs */
	uint32_t	alert_grace_s;		/* unmapped_dynamic_port held, packet s */
	uint32_t	alert_rate_per_min;	/* per kind */
	/* sensitive_operation: the watch list beyond (or instead of) the
	 * catalog's sensitive operations, and the storm threshold. */
	struct config_watch watch[CONFIG_MAX_WATCH];
	size_t		nwatch;
	/* Where each line was written (0: not in a file), for the errors
	 * of the catalog check; not a setting, so reloads ignore it. */
	unsigned	watch_line[CONFIG_MAX_WATCH];
	bool		watch_defaults;		/* the catalog's sensitive ops */
	uint32_t	storm_calls;		/* a storm is more calls than */
	uint32_t	storm_window_s;		/* ... this, in this window */
	char		alert_jsonl[CONFIG_PATH_LEN];	/* "" = off */
	bool		alert_syslog;
	int		syslog_facility;	/* LOG_DAEMON, LOG_LOCAL0 ... */
	/* The severity the JSON lines and syslog carry (the database keeps
	 * svcmap's 1 low .. 5 critical): CONFIG_SCALE_*. */
	int		alert_severity_scale;
	uint32_t	community_id_seed;	/* Community ID seed, 0..65535 */

	/* daemon */
	char		api_listen[128];	/* "127.0.0.1:8135" or "off" */
	uint32_t	api_threads;		/* API reader threads */
	uint32_t	api_limit;		/* rows of a page by default */
	uint32_t	api_limit_max;		/* rows of a page at most */
	uint32_t	api_reply_max;		/* bytes of a page, about */
	uint32_t	api_max_connections;	/* accept pauses at this many */
	uint32_t	api_request_timeout_s;	/* whole request, seconds */
	char		user[64];		/* "" = stay as started */
	char		sensor[64];		/* sensor name; default hostname */
	char		pidfile[CONFIG_PATH_LEN];
};

/* alert-severity-scale: svcmap's own, or Suricata's priorities. */
#define CONFIG_SCALE_SVCMAP	0	/* 1 low .. 5 critical */
#define CONFIG_SCALE_SURICATA	1	/* 1 high .. 4 lowest */

/** Fill every field with its default. */
void	config_defaults(struct config *cfg);

/**
 * Read a config file over the defaults.
 * @return: 0, or -1 after printing every bad line as "file:line: message"
 *   to stderr; the first message is also in err.
 */
int	config_load(struct config *cfg, const char *path, char *err,
	    size_t errlen);

/**
 * Set one directive from elsewhere than a file (a command-line option),
 * with the file's syntax checks and bounds.
 * @param origin: names the source in err, e.g. "--api".
 * @return: 0, or -1 with err set.
 */
int	config_set(struct config *cfg, const char *name, const char *value,
	    const char *origin, char *err, size_t errlen);

/**
 * Compare a reloaded config with the running one: copies what may
 * change at runtime into `running` and reports (log_warnx) each setting
 * that needs a restart.  Returns how many settings were ignored.
 */
int	config_apply_reload(struct config *running, const struct config *fresh);

/** Print the effective configuration in config-file syntax. */
void	config_print(const struct config *cfg, FILE *out);

#endif /* SVCMAP_CONFIG_H */
