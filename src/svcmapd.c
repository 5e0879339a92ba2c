/*
 * svcmapd - classify Windows network traffic into documented services.
 *
 * Offline (-r FILE|DIR ...): the files (a directory's regular files) are
 * read in the time order of their first packets on the main thread,
 * statistics are flushed every flush interval of packet time and at the
 * end, a summary is printed, and the program exits.
 *
 * Live (-i IFACE ... or the configured interfaces): the capture handles
 * are opened first, with the rights that takes, and then the process
 * drops to the configured user before any packet is parsed.  One capture
 * thread per interface feeds a ring; one classifier thread runs the
 * engine over the rings; the main thread runs a libevent loop with the
 * flush, retention and watchdog timers, the signals and the HTTP API, and
 * is the only writer of the database.  The classifier hands drained
 * statistics over under a mutex taken once per flush, never per packet,
 * and takes a reloaded configuration and catalog the same way.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "svcmap/addr.h"
#include "svcmap/alert.h"
#include "svcmap/api.h"
#include "svcmap/capture.h"
#include "svcmap/catalog.h"
#include "svcmap/config.h"
#include "svcmap/dcerpc.h"
#include "svcmap/decode.h"
#include "svcmap/endpoint.h"
#include "svcmap/names.h"
#include "svcmap/engine.h"
#include "svcmap/flow.h"
#include "svcmap/log.h"
#include "svcmap/notify.h"
#include "svcmap/opstats.h"
#include "svcmap/opwatch.h"
#include "svcmap/stats.h"
#include "svcmap/store.h"
#include "datadir.h"
#include "preflight.h"

#define PRUNE_EVERY_S	3600
/* Pause between two attempts at the last write, s. */
#define FINAL_WRITE_PAUSE_S 1
/*
 * Longest one attempt at a write can take, s: SQLite's busy wait on a
 * locked database (sqlite_int.h SQLITE_BUSY_TIMEOUT_MS) and a margin.
 * The last attempt must start this long before the stop deadline.
 */
#define WRITE_ATTEMPT_MAX_S 3
/* Longest wait between two attempts to reopen a lost interface, s. */
#define CAPTURE_RETRY_MAX_S 30

/* What the command line sets over the configuration, kept for SIGHUP. */
struct overrides {
	char		 interfaces[CONFIG_MAX_IFACES][64];
	size_t		 ninterfaces;
	const char	*db;
	const char	*filter;
	const char	*api;
	const char	*data_dir;
};

/*
 * A reload handed to the classifier thread: the settings and catalog it
 * is to use, and on the way back the catalog it no longer uses.
 */
struct reload_slot {
	bool			 pending;
	struct config		 cfg;
	const struct catalog	*cat;		/* NULL: taken already */
	const struct catalog	*retired;	/* for the main thread to free */
};

/*
 * A lost capture interface (capture_live_up() false), as the main thread
 * tracks it to reopen it: monotonic seconds.
 */
struct capture_watch {
	int64_t		down_since;	/* 0: capturing */
	int64_t		next_try;
	unsigned	backoff_s;	/* 1, 2, 4 ... CAPTURE_RETRY_MAX_S */
};

struct daemon {
	struct config		 cfg;
	struct overrides	 ov;
	const char		*config_path;	/* NULL: no file */
	char			 data_dir[CONFIG_PATH_LEN];
	struct catalog		*cat;		/* the newest; the API's */
	const struct catalog	*engine_cat;	/* the classifier's */
	struct store		*store;
	struct endpoint_table	*endpoints;
	struct names_table	*names;		/* host names, shared */
	struct engine		*engine;
	struct alerts		*alerts;	/* decided on the engine's side */
	struct alert_out	*alert_out;	/* published on the writer's */
	int64_t			 run_id;
	bool			 flush_failing;	/* log a failing DB once */
	uint64_t		 stored_packets; /* run packets stored so far */
	int64_t			 stop_deadline_ns; /* monotonic; 0: running */
	int64_t			 started_at;
	int64_t			 last_flush;	/* last good write, UTC s */
	uint64_t		 reloads;
	int64_t			 last_reload;
	bool			 pidfile_written;

	/* live mode */
	struct capture_live	*caps[CONFIG_MAX_IFACES];
	size_t			 ncaps;
	struct capture_watch	 watch[CONFIG_MAX_IFACES];
	int64_t			 all_lost_since;	/* monotonic s; 0: one captures */
	bool			 capture_exit;	/* stopped for capture-lost-exit */
	struct event		*capture_timer;
	struct event_base	*base;
	struct api		*api;
	struct event		*flush_timer;
	struct event		*prune_timer;
	struct event		*watchdog_timer;
	struct event		*handover_ev;
	struct event		*reloaded_ev;
	struct event		*sig_ev[4];
	pthread_t		 classifier;
	pthread_mutex_t		 lock;		/* guards the next four */
	struct stats_batch	*handed;	/* classifier -> writer */
	struct run_totals	 handed_totals;
	struct alert_batch	*alerts_handed;
	struct op_batch		*ops_handed;
	struct reload_slot	 reload;
	struct stats_batch	*writing;	/* the writer's own batch */
	struct alert_batch	*alerts_writing;
	struct op_batch		*ops_writing;
	atomic_bool		 flush_requested;
	atomic_bool		 reload_posted;
	atomic_bool		 stop_requested;
	atomic_bool		 classifier_done;
	atomic_uint_fast64_t	 heartbeat;	/* classifier loop turns */
	uint64_t		 heartbeat_seen;
};

/* Set by SIGINT/SIGTERM during a capture-file run; read between packets. */
static volatile sig_atomic_t offline_stop;
/* Set by SIGUSR1 during a capture-file run: print progress at the next packet. */
static volatile sig_atomic_t offline_progress;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: svcmapd [-tpv] [-c config] [-d database] [-f filter] "
	    "[--api addr:port|off]\n"
	    "               [--data-dir dir] "
	    "[-r file [-r file ...] | -i iface [-i iface ...]]\n"
	    "  -r FILE     read a pcap/pcapng capture file, or a directory's "
	    "files\n"
	    "              (repeatable; read in the order of their first "
	    "packets)\n"
	    "  -i IFACE    capture live on an interface (repeatable; default:\n"
	    "              the configured interfaces)\n"
	    "  -d URL      database: a path or sqlite:PATH (default from the\n"
	    "              configuration)\n"
	    "  -c FILE     configuration (default " SVCMAP_SYSCONFDIR
	    "/svcmapd.conf)\n"
	    "  -f FILTER   BPF filter expression\n"
	    "  -t          check the configuration and the catalogs, and exit\n"
	    "  -p          print the effective configuration and exit\n"
	    "  -v          more logging\n"
	    "  --api ADDR:PORT|off  HTTP API address (live mode)\n"
	    "  --data-dir DIR  shipped catalog data directory\n"
	    "  --version   print the version and exit\n"
	    "See svcmapd(8).\n");
}

/*
 * The configuration in effect: defaults, then the file (if any), then
 * the command line.  Used at start and again on SIGHUP, so the command
 * line keeps winning after a reload.
 */
static int
load_config(const struct daemon *d, struct config *cfg)
{
	const char *path = d->config_path;
	char err[512];

	config_defaults(cfg);
	if (path == NULL && access(SVCMAP_SYSCONFDIR "/svcmapd.conf", R_OK) == 0)
		path = SVCMAP_SYSCONFDIR "/svcmapd.conf";
	if (path != NULL && config_load(cfg, path, err, sizeof(err)) == -1)
		return -1;	/* every bad line is on stderr already */
	if (d->ov.ninterfaces > 0) {
		memcpy(cfg->interfaces, d->ov.interfaces,
		    sizeof(cfg->interfaces));
		cfg->ninterfaces = d->ov.ninterfaces;
	}
	if (d->ov.db != NULL)
		snprintf(cfg->db_path, sizeof(cfg->db_path), "%s", d->ov.db);
	if (d->ov.filter != NULL)
		snprintf(cfg->bpf, sizeof(cfg->bpf), "%s", d->ov.filter);
	if (d->ov.api != NULL && config_set(cfg, "api-listen", d->ov.api,
	    "--api", err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	if (d->ov.data_dir != NULL)
		snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s",
		    d->ov.data_dir);
	return 0;
}

static struct catalog *
open_catalog(const struct config *cfg, char *dir, size_t dirlen)
{
	struct catalog *cat;
	char err[512];

	snprintf(dir, dirlen, "%s", datadir_resolve(cfg->data_dir));
	if ((cat = catalog_open(dir, cfg->local_catalog, err,
	    sizeof(err))) == NULL)
		log_warnx("catalog: %s", err);
	return cat;
}

static void
set_flushing_ok(struct daemon *d, bool ok, const char *err)
{
	if (!ok && !d->flush_failing)
		log_warnx("database write failed, counters kept in memory "
		    "and retried: %s", err);
	else if (ok && d->flush_failing)
		log_info("database writes succeed again");
	d->flush_failing = !ok;
}

/*
 * Hand one flush to every sink: the store first (it sets the alert
 * records' ids), then the alert outputs.  On success the batch and its
 * alerts are emptied; on a store failure they are kept for the next
 * flush.  Alert events are published once whether or not their rows
 * could be stored: an operator hears of them even while the disk is
 * full.  Live, the interfaces' capture counters ride along.
 */
static int
write_batch(struct daemon *d, struct stats_batch *b, struct op_batch *ops,
    const struct run_totals *t, struct alert_batch *ab, int64_t now_s)
{
	struct flush_capture caps[CONFIG_MAX_IFACES];
	struct capture_live_stats cs;
	struct flush_handover h;
	struct sink sinks[2];
	char err[512], ignored[8];
	size_t i;
	int ret;

	memset(&h, 0, sizeof(h));
	h.run_id = d->run_id;
	h.now_s = now_s;
	h.batch = b;
	h.ops = ops;
	h.totals = t;
	h.endpoints = d->endpoints;
	h.names = d->names;
	h.alerts = ab;
	for (i = 0; i < d->ncaps; i++) {
		capture_live_get_stats(d->caps[i], &cs);
		caps[i].iface = capture_live_name(d->caps[i]);
		caps[i].received = cs.received;
		caps[i].dropped = cs.dropped + cs.ring_dropped + cs.unread;
		caps[i].if_dropped = cs.if_dropped;
	}
	h.captures = caps;
	h.ncaptures = d->ncaps;

	sinks[0] = store_sink(d->store);
	sinks[1] = alert_out_sink(d->alert_out);
	ret = sinks[0].flush(sinks[0].state, &h, err, sizeof(err));
	/* The outputs count their own failures (alert_out_errors()). */
	for (i = 1; i < sizeof(sinks) / sizeof(sinks[0]); i++)
		sinks[i].flush(sinks[i].state, &h, ignored, sizeof(ignored));
	if (ret == 0) {
		stats_batch_clear(b);
		op_batch_clear(ops);
		alert_batch_clear(ab);
		d->last_flush = (int64_t)time(NULL);
		if (t != NULL)
			d->stored_packets = t->packets;
	}
	set_flushing_ok(d, ret == 0, err);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Offline */

/*
 * Flows are drained every flush interval of packet time, as live, so a
 * file gives the rows a live run of it would; but the drained rows are
 * written every flush interval of wall time.  Writing at every drain
 * made SQLite most of an offline run's cost (a day of capture read in a
 * minute is 8640 transactions), while a crash still loses no more than
 * one interval of work, which rereading the file redoes.
 */
struct offline {
	struct daemon	*d;
	const char	*file;			/* being read */
	size_t		 fileno, nfiles;
	uint64_t	 records;		/* read, all files */
	uint64_t	 next_drain_us;		/* packet time */
	uint64_t	 interval_us;
	int64_t		 next_write_ns;		/* CLOCK_MONOTONIC */
};

static int64_t
monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The stop deadline starts at the first stop request (stop-timeout). */
static void
stop_deadline_start(struct daemon *d)
{
	if (d->stop_deadline_ns == 0)
		d->stop_deadline_ns = monotonic_ns() +
		    (int64_t)d->cfg.stop_timeout_s * 1000000000;
}

/*
 * The last write of a run, retried while the database refuses it (a
 * lock, a full disk) until the stop deadline: the last attempt starts
 * early enough for SQLite's busy wait to end before it, so svcmapd is
 * gone within stop-timeout and the unit's TimeoutStopSec= never has to
 * kill it.  What the store then still lacks is logged by name and count
 * rather than dropped in silence, and the run exits 1.
 * Returns 0 when stored, -1 when not.
 */
static int
final_write(struct daemon *d, struct stats_batch *b, struct op_batch *ops,
    const struct run_totals *t, struct alert_batch *ab, int64_t now_s)
{
	const struct stats_row *r;
	uint64_t pkts = 0, bytes = 0;
	size_t i, n, nalerts;

	stop_deadline_start(d);
	/* A write that failed last (the handover's) is an attempt made. */
	for (i = 0;; i++) {
		if ((i > 0 || d->flush_failing) && monotonic_ns() +
		    (int64_t)((i > 0 ? FINAL_WRITE_PAUSE_S : 0) +
		    WRITE_ATTEMPT_MAX_S) * 1000000000 > d->stop_deadline_ns)
			break;
		if (i > 0)
			sleep(FINAL_WRITE_PAUSE_S);
		if (write_batch(d, b, ops, t, ab, now_s) == 0)
			return 0;
	}
	r = stats_batch_rows(b);
	n = stats_batch_nrows(b);
	for (i = 0; i < n; i++) {
		pkts += r[i].pkts[FLOW_C2S] + r[i].pkts[FLOW_S2C];
		bytes += r[i].bytes[FLOW_C2S] + r[i].bytes[FLOW_S2C];
	}
	alert_batch_records(ab, &nalerts);
	log_warnx("database %s still refused the last write when the stop "
	    "deadline passed (stop-timeout %" PRIu32 " s): NOT stored: %zu "
	    "statistics rows (%" PRIu64 " packets, %" PRIu64 " bytes of "
	    "flows), %zu clients, %zu alerts, and the run's counters since "
	    "its last stored write (%" PRIu64 " of its %" PRIu64 " packets)",
	    d->cfg.db_path, d->cfg.stop_timeout_s, n, pkts, bytes,
	    stats_batch_nclients(b), nalerts,
	    t != NULL && t->packets > d->stored_packets ?
	    t->packets - d->stored_packets : 0, t != NULL ? t->packets : 0);
	return -1;
}

/* SIGUSR1: where a long capture-file run is, on stderr. */
static void
offline_report(const struct offline *o)
{
	const struct run_totals *t = engine_totals(o->d->engine);
	char when[32];
	time_t secs = (time_t)(engine_now(o->d->engine) / 1000000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	log_info("progress: file %zu of %zu (%s), %" PRIu64 " records read, "
	    "packet time %s, %" PRIu64 " flows, %" PRIu64 " active, %zu"
	    " endpoints known", o->fileno + 1, o->nfiles, o->file,
	    o->records, when, t->flows, t->flows_active,
	    endpoint_count(o->d->endpoints));
}

static void
offline_packet(void *arg, const struct captured *pkt)
{
	struct offline *o = arg;
	struct daemon *d = o->d;
	uint64_t now;

	if (offline_progress) {
		offline_progress = 0;
		offline_report(o);
	}
	o->records++;
	engine_packet(d->engine, pkt);
	now = engine_now(d->engine);
	/*
	 * The engine holds a packet far ahead of its clock until the next
	 * says whether time moved (its clock rule): start the schedule from
	 * the first stamp, and restart it if the clock refused that stamp.
	 */
	if (o->next_drain_us == 0 ||
	    (now != 0 && now + o->interval_us < o->next_drain_us)) {
		o->next_drain_us = (now != 0 ? now : pkt->ts_us) +
		    o->interval_us;
		return;
	}
	if (now < o->next_drain_us)
		return;
	engine_drain(d->engine, false);
	o->next_drain_us = now + o->interval_us;
	if (monotonic_ns() < o->next_write_ns)
		return;
	write_batch(d, engine_batch(d->engine), engine_ops(d->engine),
	    engine_totals(d->engine), alert_batch(d->alerts),
	    (int64_t)(now / 1000000));
	o->next_write_ns = monotonic_ns() + (int64_t)o->interval_us * 1000;
}

/* Every registered counter (stats.h), then what only the daemon knows. */
static void
print_summary(struct daemon *d)
{
	const struct run_totals *t = engine_totals(d->engine);
	size_t i;

	for (i = 0; i < counter_ndefs; i++)
		printf("%-24s %14" PRIu64 "  %s\n", counter_defs[i].key,
		    counter_get(t, &counter_defs[i]), counter_defs[i].unit);
	for (i = 0; i < DR__COUNT; i++)
		if (i != DR_OK && t->decode[i] != 0)
			printf("decode.%-17s %14" PRIu64 "  packets\n",
			    decode_reason_name(i), t->decode[i]);
	printf("alerts: %" PRIu64 " events published, %" PRIu64 " JSON lines "
	    "write errors, %" PRIu64 " not tracked (table full)\n",
	    alert_out_published(d->alert_out), alert_out_errors(d->alert_out),
	    alert_overflows(d->alerts));
	printf("database %s: see 'svcmapctl -d %s services'\n",
	    d->cfg.db_path, d->cfg.db_path);
}

static int
run_offline(struct daemon *d, char **files, size_t nfiles)
{
	struct capture_file_result res;
	struct offline o;
	char err[512];
	size_t i;
	int status = 0;

	memset(&o, 0, sizeof(o));
	o.d = d;
	o.interval_us = (uint64_t)d->cfg.flush_interval_s * 1000000;
	o.next_write_ns = monotonic_ns() + (int64_t)o.interval_us * 1000;
	o.nfiles = nfiles;
	for (i = 0; i < nfiles; i++) {
		o.file = files[i];
		o.fileno = i;
		if (capture_read_file(files[i], d->cfg.bpf[0] ? d->cfg.bpf :
		    NULL, offline_packet, &o, &offline_stop, &res, err,
		    sizeof(err)) == -1) {
			log_warnx("%s", err);
			status = 1;
		}
		/* Its packets are counted (not_ip_linktype), but map nothing. */
		if (res.linktype != -1 &&
		    !decode_linktype_supported(res.linktype)) {
			log_warnx("%s: link type %s (%d) is not one svcmapd "
			    "decodes: its %" PRIu64 " packets are counted as "
			    "not_ip_linktype and classified nowhere", files[i],
			    capture_linktype_name(res.linktype), res.linktype,
			    res.packets);
			status = 1;
		}
		if (offline_stop) {
			log_info("stopped by a signal after %" PRIu64 " records: "
			    "storing what was read", o.records);
			break;
		}
	}
	engine_drain(d->engine, true);
	/* The last flush must land: retry a locked database until the
	 * stop deadline. */
	if (final_write(d, engine_batch(d->engine), engine_ops(d->engine),
	    engine_totals(d->engine), alert_batch(d->alerts),
	    (int64_t)(engine_now(d->engine) / 1000000)) == -1)
		status = 1;
	print_summary(d);
	return status;
}

/* ------------------------------------------------------------------ */
/* Live: the classifier thread */

/* Move what the classifier drained to the writer's side. */
static void
classifier_handover(struct daemon *d)
{
	engine_drain(d->engine, atomic_load(&d->stop_requested));
	pthread_mutex_lock(&d->lock);
	stats_batch_merge(d->handed, engine_batch(d->engine));
	op_batch_merge(d->ops_handed, engine_ops(d->engine));
	alert_batch_merge(d->alerts_handed, alert_batch(d->alerts));
	d->handed_totals = *engine_totals(d->engine);
	pthread_mutex_unlock(&d->lock);
	event_active(d->handover_ev, EV_READ, 0);
}

/*
 * Apply a reload between packets.  engine_set_catalog() drains every flow
 * under the old catalog before renaming it under the new one, so no count
 * is lost or named by the wrong catalog.
 */
static void
classifier_reload(struct daemon *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->reload.pending) {
		engine_set_config(d->engine, &d->reload.cfg);
		alert_set_config(d->alerts, &d->reload.cfg);
		if (d->reload.cat != NULL) {
			engine_set_catalog(d->engine, d->reload.cat);
			d->reload.retired = d->engine_cat;
			d->engine_cat = d->reload.cat;
			d->reload.cat = NULL;
		}
		d->reload.pending = false;
	}
	pthread_mutex_unlock(&d->lock);
	event_active(d->reloaded_ev, EV_READ, 0);
}

static void *
classifier_main(void *arg)
{
	struct daemon *d = arg;

	while (!atomic_load(&d->stop_requested)) {
		capture_live_poll(d->caps, d->ncaps, engine_packet, d->engine,
		    4096, 100);
		atomic_fetch_add(&d->heartbeat, 1);
		if (atomic_exchange(&d->reload_posted, false))
			classifier_reload(d);
		if (atomic_exchange(&d->flush_requested, false))
			classifier_handover(d);
	}
	/* Take what the rings still hold, then hand over everything. */
	while (capture_live_poll(d->caps, d->ncaps, engine_packet, d->engine,
	    4096, 0) > 0)
		;
	classifier_handover(d);
	atomic_store(&d->classifier_done, true);
	event_active(d->handover_ev, EV_READ, 0);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Live: the main thread */

static void
on_handover(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct run_totals totals;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&d->lock);
	stats_batch_merge(d->writing, d->handed);
	op_batch_merge(d->ops_writing, d->ops_handed);
	alert_batch_merge(d->alerts_writing, d->alerts_handed);
	totals = d->handed_totals;
	/* The writer's tables drop too, while the store refuses batches. */
	totals.rpc_ops_dropped += op_batch_dropped_calls(d->ops_handed) +
	    op_batch_dropped_calls(d->ops_writing);
	totals.rpc_op_clients_dropped +=
	    op_batch_dropped_clients(d->ops_handed) +
	    op_batch_dropped_clients(d->ops_writing);
	pthread_mutex_unlock(&d->lock);
	/* A database that refuses the batch would only stall on more. */
	write_batch(d, d->writing, d->ops_writing, &totals, d->alerts_writing,
	    (int64_t)time(NULL));
	if (atomic_load(&d->classifier_done))
		event_base_loopbreak(d->base);
}

static void
on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	atomic_store(&d->flush_requested, true);
}

/*
 * Retention runs on wall time in live mode: minutes older than the
 * retention roll up into hours, hours into days.
 */
static void
on_prune_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct store_retention r;
	char err[512];

	(void)fd;
	(void)what;
	r.minute_days = d->cfg.retention_minute_days;
	r.hour_days = d->cfg.retention_hour_days;
	r.day_days = d->cfg.retention_day_days;
	if (store_prune(d->store, &r, (int64_t)time(NULL), err,
	    sizeof(err)) == -1)
		log_warnx("retention: %s (tried again in an hour)", err);
}

/*
 * Ping systemd only while the classifier thread turns: a wedged
 * classifier stops the pings and systemd restarts the service.
 */
static void
on_watchdog_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint64_t beat = atomic_load(&d->heartbeat);

	(void)fd;
	(void)what;
	if (beat != d->heartbeat_seen) {
		d->heartbeat_seen = beat;
		notify_send("WATCHDOG=1");
	} else
		log_warnx("classifier thread not turning: watchdog ping "
		    "withheld");
}

/*
 * Stop a live run: the capture threads first, each reading what the
 * kernel's ring still holds (capture_live_stop()), then the classifier,
 * which empties the handoff rings before its last handover.  The other
 * order left the packets of the stop's last tenth of a second unread
 * and uncounted.  The stop deadline (stop-timeout) starts here.
 * Main thread; a second call does nothing.
 */
static void
stop_live(struct daemon *d)
{
	size_t i;

	stop_deadline_start(d);
	if (atomic_load(&d->stop_requested))
		return;
	for (i = 0; i < d->ncaps; i++)
		capture_live_stop(d->caps[i]);
	atomic_store(&d->stop_requested, true);
}

/*
 * At the end of a live run, each interface's account: every packet the
 * kernel took is either delivered to the classifier or counted as
 * dropped (kernel buffer, interface, handoff ring, or unread when the
 * capture stopped: the capture_stats.dropped of the database).
 */
static void
log_capture_summary(struct daemon *d)
{
	struct capture_live_stats cs;
	size_t i;

	for (i = 0; i < d->ncaps; i++) {
		capture_live_get_stats(d->caps[i], &cs);
		log_info("%s: at stop: received %" PRIu64 ", delivered %" PRIu64
		    ", dropped %" PRIu64 " (kernel %" PRIu64 ", ring %" PRIu64
		    ", unread at stop %" PRIu64 "), interface dropped %" PRIu64,
		    capture_live_name(d->caps[i]), cs.received, cs.delivered,
		    cs.dropped + cs.ring_dropped + cs.unread, cs.dropped,
		    cs.ring_dropped, cs.unread, cs.if_dropped);
	}
}

/*
 * "capturing on eth1 eth2", or "degraded: capture lost on eth2;
 * capturing on eth1" while an interface is gone: the STATUS= line.
 */
static void
capture_status(struct daemon *d, char *buf, size_t len)
{
	size_t i, n = 0, lost = 0, pass;

	for (i = 0; i < d->ncaps; i++)
		lost += !capture_live_up(d->caps[i]);
	if (lost > 0)
		n = (size_t)snprintf(buf, len, "degraded: capture lost on");
	for (pass = lost > 0 ? 0 : 1; pass < 2; pass++) {
		if (pass == 1 && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s", lost == 0 ?
			    "capturing on" : lost == d->ncaps ? "" :
			    "; capturing on");
		for (i = 0; i < d->ncaps && n < len; i++)
			if (capture_live_up(d->caps[i]) == (pass == 1))
				n += (size_t)snprintf(buf + n, len - n, " %s",
				    capture_live_name(d->caps[i]));
	}
}

static void
notify_capture_status(struct daemon *d)
{
	char line[300];

	memcpy(line, "STATUS=", 7);
	capture_status(d, line + 7, sizeof(line) - 7);
	notify_send(line);
}

/*
 * Once a second: notice interfaces whose capture failed (their thread
 * logged it), reopen them with a backoff of 1 s doubling to
 * CAPTURE_RETRY_MAX_S (failed attempts are not logged: the loss was),
 * and stop with exit status 1 once none has captured for
 * capture-lost-exit, so that Restart=on-failure acts.  The watchdog
 * keeps being fed meanwhile: the daemon is not wedged, and its API keeps
 * saying what is wrong.
 */
static void
on_capture_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct capture_watch *w;
	int64_t now = monotonic_ns() / 1000000000;
	bool changed = false;
	size_t i, up = 0;
	char err[512];

	(void)fd;
	(void)what;
	/* Stopping: a handle reopened now would only be stopped unread. */
	if (atomic_load(&d->stop_requested))
		return;
	for (i = 0; i < d->ncaps; i++) {
		w = &d->watch[i];
		if (capture_live_up(d->caps[i])) {
			up++;
			continue;
		}
		if (w->down_since == 0) {
			w->down_since = now;
			w->backoff_s = 1;
			w->next_try = now + 1;
			changed = true;
			continue;
		}
		if (now < w->next_try)
			continue;
		if (capture_live_reopen(d->caps[i], err, sizeof(err)) == -1) {
			log_debug("reopen: %s", err);
			if ((w->backoff_s *= 2) > CAPTURE_RETRY_MAX_S)
				w->backoff_s = CAPTURE_RETRY_MAX_S;
			w->next_try = now + w->backoff_s;
			continue;
		}
		log_info("%s: capture resumed after %" PRId64 " s",
		    capture_live_name(d->caps[i]), now - w->down_since);
		w->down_since = 0;
		up++;
		changed = true;
	}
	if (changed)
		notify_capture_status(d);
	if (up > 0 || d->ncaps == 0) {
		d->all_lost_since = 0;
		return;
	}
	if (d->all_lost_since == 0)
		d->all_lost_since = now;
	if (d->cfg.capture_lost_exit_s != 0 && !d->capture_exit &&
	    now - d->all_lost_since >= (int64_t)d->cfg.capture_lost_exit_s) {
		log_warnx("no interface has captured for %" PRIu32 " s "
		    "(capture-lost-exit): storing the statistics and exiting 1",
		    d->cfg.capture_lost_exit_s);
		d->capture_exit = true;
		notify_send("STOPPING=1");
		stop_live(d);
	}
}

static void
set_flush_interval(struct daemon *d)
{
	struct timeval tv;

	tv.tv_sec = d->cfg.flush_interval_s;
	tv.tv_usec = 0;
	event_add(d->flush_timer, &tv);
}

/*
 * SIGHUP: read the file and the catalogs again.  Nothing changes unless
 * all of it loads; what may change at runtime goes to the classifier and
 * the writer, the rest is logged as needing a restart.  Flows, counters
 * and learned endpoints stay where they are.
 */
static void
reload(struct daemon *d)
{
	struct config fresh;
	struct catalog *cat = NULL;
	struct opwatch *w;
	char dir[CONFIG_PATH_LEN], err[512];
	int restart;

	notify_send("RELOADING=1");
	if (load_config(d, &fresh) == -1) {
		log_warnx("reload failed: configuration not changed");
		goto done;
	}
	pthread_mutex_lock(&d->lock);
	if (d->reload.pending) {
		pthread_mutex_unlock(&d->lock);
		log_warnx("reload failed: the previous one is not applied yet");
		goto done;
	}
	pthread_mutex_unlock(&d->lock);
	/* Catalog files may change under an unchanged config: always reread. */
	if ((cat = open_catalog(&fresh, dir, sizeof(dir))) == NULL) {
		log_warnx("reload failed: configuration not changed");
		goto done;
	}
	if ((w = opwatch_build(&fresh, cat, d->config_path, err,
	    sizeof(err))) == NULL) {
		log_warnx("reload failed: %s; configuration not changed", err);
		catalog_destroy(cat);
		goto done;
	}
	opwatch_free(w);
	restart = config_apply_reload(&d->cfg, &fresh);
	snprintf(d->data_dir, sizeof(d->data_dir), "%s", dir);
	set_flush_interval(d);
	d->alert_out = alert_out_reopen(d->alert_out, &d->cfg);

	pthread_mutex_lock(&d->lock);
	d->reload.pending = true;
	d->reload.cfg = d->cfg;
	d->reload.cat = cat;
	pthread_mutex_unlock(&d->lock);
	atomic_store(&d->reload_posted, true);
	/* The API's old catalog is freed once the classifier let go of it. */
	if (d->api != NULL)
		api_set_catalog(d->api, cat);
	d->cat = cat;
	d->reloads++;
	d->last_reload = (int64_t)time(NULL);
	log_info("configuration and catalogs reloaded (%zu services)%s",
	    catalog_nservices(cat), restart > 0 ?
	    "; settings logged above need a restart" : "");
done:
	notify_send("READY=1");
}

static void
on_reloaded(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	const struct catalog *retired;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&d->lock);
	retired = d->reload.retired;
	d->reload.retired = NULL;
	pthread_mutex_unlock(&d->lock);
	if (retired != NULL) {
		catalog_destroy((struct catalog *)retired);
		log_info("reload in effect: packets from now on use it");
	}
}

/* The run totals as of the last handover (the classifier writes them). */
static struct run_totals
handed_totals(struct daemon *d)
{
	struct run_totals t;

	pthread_mutex_lock(&d->lock);
	t = d->handed_totals;
	pthread_mutex_unlock(&d->lock);
	return t;
}

static void
log_counters(struct daemon *d)
{
	struct run_totals t = handed_totals(d);
	struct capture_live_stats cs;
	size_t i;

	log_info("packets %" PRIu64 " bytes %" PRIu64 " flows %" PRIu64
	    " active %" PRIu64 " evicted %" PRIu64 " endpoints %zu"
	    " epm replies %" PRIu64, t.packets, t.bytes, t.flows,
	    t.flows_active, t.flows_evicted, endpoint_count(d->endpoints),
	    t.epm_replies);
	for (i = 0; i < d->ncaps; i++) {
		capture_live_get_stats(d->caps[i], &cs);
		log_info("%s: received %" PRIu64 " dropped %" PRIu64
		    " (interface %" PRIu64 ", ring %" PRIu64 ")",
		    capture_live_name(d->caps[i]), cs.received, cs.dropped,
		    cs.if_dropped, cs.ring_dropped);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		log_info("signal %d: stopping capture and flushing", (int)sig);
		notify_send("STOPPING=1");
		stop_live(d);
		break;
	case SIGHUP:
		reload(d);
		break;
	case SIGUSR1:
		log_counters(d);
		break;
	default:
		break;
	}
}

static void
api_status(void *arg, struct api_status *st)
{
	struct daemon *d = arg;
	struct run_totals t = handed_totals(d);
	struct capture_live_stats cs;
	size_t i;

	memset(st, 0, sizeof(*st));
	st->sensor = d->cfg.sensor;
	st->version = PACKAGE_VERSION;
	st->started_at = d->started_at;
	st->now = (int64_t)time(NULL);
	for (i = 0; i < d->ncaps; i++) {
		capture_live_get_stats(d->caps[i], &cs);
		snprintf(st->ifaces[i].name, sizeof(st->ifaces[i].name), "%s",
		    capture_live_name(d->caps[i]));
		st->ifaces[i].received = cs.received;
		st->ifaces[i].dropped = cs.dropped;
		st->ifaces[i].if_dropped = cs.if_dropped;
		st->ifaces[i].ring_dropped = cs.ring_dropped;
		st->ifaces[i].up = cs.up;
		st->degraded |= !cs.up;
	}
	st->nifaces = d->ncaps;
	st->totals = t;
	st->packets = t.packets;
	st->bytes = t.bytes;
	memcpy(st->pkt_class, t.pkt_class, sizeof(st->pkt_class));
	st->flows = t.flows;
	st->flows_active = t.flows_active;
	st->flow_capacity = d->cfg.flow_capacity;
	st->flows_evicted = t.flows_evicted;
	st->endpoints_learned = endpoint_count(d->endpoints);
	st->endpoint_capacity = d->cfg.endpoint_capacity;
	st->alerts_published = alert_out_published(d->alert_out);
	st->db_path = d->cfg.db_path;
	st->db_bytes = store_bytes(d->store);
	st->last_flush = d->last_flush;
	st->db_ok = !d->flush_failing;
	st->reloads = d->reloads;
	st->last_reload = d->last_reload;
}

/*
 * After setuid(2) from root, keep CAP_NET_RAW alone (permitted and
 * effective): a capture interface that goes away and comes back is
 * reopened with it.  Everything else root held is gone.
 */
static void
keep_capture_capability(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[CAP_TO_INDEX(CAP_NET_RAW)].permitted =
	    data[CAP_TO_INDEX(CAP_NET_RAW)].effective = CAP_TO_MASK(CAP_NET_RAW);
	if (syscall(SYS_capset, &hdr, data) == -1)
		log_warn("cannot keep CAP_NET_RAW: a lost interface will not "
		    "be reopened");
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0' || getuid() != 0)
		return 0;
	/* Running on as root would be worse than not running. */
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user \"%s\" does not exist: not running as root",
		    user);
		return -1;
	}
	/* Permitted capabilities survive the setuid() with KEEPCAPS. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		log_warn("PR_SET_KEEPCAPS");
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_warn("cannot drop privileges to %s", user);
		return -1;
	}
	keep_capture_capability();
	return 0;
}

static int
write_pidfile(struct daemon *d)
{
	FILE *fp;

	if (d->cfg.pidfile[0] == '\0')
		return 0;
	if ((fp = fopen(d->cfg.pidfile, "w")) == NULL) {
		log_warn("pidfile %s", d->cfg.pidfile);
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) == EOF) {
		log_warn("pidfile %s", d->cfg.pidfile);
		return -1;
	}
	d->pidfile_written = true;
	return 0;
}

/* Open every capture handle: the one step that needs capture rights. */
static int
open_captures(struct daemon *d)
{
	struct capture_live_config lc;
	char err[512];
	size_t i;

	memset(&lc, 0, sizeof(lc));
	lc.snaplen = d->cfg.snaplen;
	lc.buffer_mb = d->cfg.buffer_mb;
	lc.promisc = d->cfg.promisc;
	lc.bpf = d->cfg.bpf[0] ? d->cfg.bpf : NULL;
	lc.ring_bytes = d->cfg.ring_bytes;
	for (i = 0; i < d->cfg.ninterfaces; i++) {
		d->caps[i] = capture_live_open(d->cfg.interfaces[i], &lc,
		    (int)i, err, sizeof(err));
		if (d->caps[i] == NULL) {
			log_warnx("%s", err);
			return -1;
		}
		d->ncaps++;
	}
	return 0;
}

/* Whether a listen address (config's syntax) is a loopback address. */
static bool
listen_is_loopback(const char *listen)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	int len;

	if (addr_parse_listen(listen, true, &ss, &len) == -1)
		return false;
	if (ss.ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return ss.ss_family == AF_INET6 &&
	    (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
	    (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
	    sin6->sin6_addr.s6_addr[12] == 127));
}

static int
run_live(struct daemon *d)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	struct timeval tv;
	char err[512], status_line[256];
	uint64_t wd_usec;
	size_t i, n;
	int status = 0;

	evthread_use_pthreads();
	if ((d->base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	pthread_mutex_init(&d->lock, NULL);
	if ((d->handed = stats_batch_create()) == NULL ||
	    (d->writing = stats_batch_create()) == NULL ||
	    (d->alerts_handed = alert_batch_create()) == NULL ||
	    (d->alerts_writing = alert_batch_create()) == NULL ||
	    (d->ops_handed = op_batch_create(
	    d->cfg.rpc_operations_capacity)) == NULL ||
	    (d->ops_writing = op_batch_create(
	    d->cfg.rpc_operations_capacity)) == NULL)
		fatalx("out of memory");
	d->handover_ev = event_new(d->base, -1, 0, on_handover, d);
	d->reloaded_ev = event_new(d->base, -1, 0, on_reloaded, d);
	d->flush_timer = event_new(d->base, -1, EV_PERSIST, on_flush_timer, d);
	d->prune_timer = event_new(d->base, -1, EV_PERSIST, on_prune_timer, d);
	set_flush_interval(d);
	tv.tv_sec = PRUNE_EVERY_S;
	tv.tv_usec = 0;
	event_add(d->prune_timer, &tv);
	/* A restart after a long stop prunes at once, not an hour later. */
	event_active(d->prune_timer, EV_TIMEOUT, 0);
	if ((wd_usec = notify_watchdog_usec()) != 0) {
		d->watchdog_timer = event_new(d->base, -1, EV_PERSIST,
		    on_watchdog_timer, d);
		tv.tv_sec = (time_t)(wd_usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(wd_usec / 2 % 1000000);
		event_add(d->watchdog_timer, &tv);
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->sig_ev[i] = evsignal_new(d->base, sigs[i], on_signal, d);
		event_add(d->sig_ev[i], NULL);
	}
	d->capture_timer = event_new(d->base, -1, EV_PERSIST, on_capture_timer,
	    d);
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	event_add(d->capture_timer, &tv);
	if (strcmp(d->cfg.api_listen, "off") != 0) {
		struct api_config ac;

		ac.threads = d->cfg.api_threads;
		ac.limit_default = d->cfg.api_limit;
		ac.limit_max = d->cfg.api_limit_max;
		ac.reply_max = d->cfg.api_reply_max;
		ac.max_connections = d->cfg.api_max_connections;
		ac.request_timeout_s = d->cfg.api_request_timeout_s;
		d->api = api_start_config(d->base, d->cfg.api_listen,
		    d->cfg.db_path, d->cat, &ac, api_status, d, err,
		    sizeof(err));
		if (d->api == NULL) {
			log_warnx("API: %s", err);
			return 1;
		}
		log_info("API listening on %s", d->cfg.api_listen);
		if (!listen_is_loopback(d->cfg.api_listen))
			log_warnx("API on %s is reachable beyond this host and "
			    "has no authentication: anyone who reaches it can "
			    "read the service map (api-listen)",
			    d->cfg.api_listen);
	}

	for (i = 0; i < d->ncaps; i++)
		if (capture_live_start(d->caps[i], err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return 1;
		}
	if (pthread_create(&d->classifier, NULL, classifier_main, d) != 0)
		fatalx("cannot start the classifier thread");
	log_info("capturing on %zu interface(s)", d->ncaps);
	n = (size_t)snprintf(status_line, sizeof(status_line),
	    "READY=1\nSTATUS=");
	capture_status(d, status_line + n, sizeof(status_line) - n);
	notify_send(status_line);

	event_base_dispatch(d->base);

	/* A no-op after a signal: the captures stopped first then. */
	stop_live(d);
	pthread_join(d->classifier, NULL);
	on_reloaded(-1, 0, d);
	/*
	 * The last handover's write failed if anything is left: retry for a
	 * while, as offline does, since a lock or a full disk may clear.
	 */
	alert_batch_records(d->alerts_writing, &i);
	if ((stats_batch_nrows(d->writing) > 0 ||
	    op_batch_nrows(d->ops_writing) > 0 || i > 0 ||
	    d->flush_failing) && final_write(d, d->writing, d->ops_writing,
	    &d->handed_totals, d->alerts_writing, (int64_t)time(NULL)) == -1)
		status = 1;
	/* The capture counters as the interfaces closed. */
	if (!d->flush_failing)
		write_batch(d, d->writing, d->ops_writing, &d->handed_totals,
		    d->alerts_writing,
		    (int64_t)time(NULL));
	log_capture_summary(d);
	if (d->api != NULL)
		api_stop(d->api);
	for (i = 0; i < d->ncaps; i++)
		capture_live_close(d->caps[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(d->sig_ev[i]);
	if (d->watchdog_timer != NULL)
		event_free(d->watchdog_timer);
	event_free(d->capture_timer);
	event_free(d->prune_timer);
	event_free(d->flush_timer);
	event_free(d->reloaded_ev);
	event_free(d->handover_ev);
	event_base_free(d->base);
	stats_batch_destroy(d->handed);
	stats_batch_destroy(d->writing);
	alert_batch_destroy(d->alerts_handed);
	alert_batch_destroy(d->alerts_writing);
	op_batch_destroy(d->ops_handed);
	op_batch_destroy(d->ops_writing);
	pthread_mutex_destroy(&d->lock);
	return d->capture_exit ? 1 : status;
}

static void
offline_signal(int sig)
{
	if (sig == SIGUSR1)
		offline_progress = 1;
	else
		offline_stop = 1;
}

/*
 * -t: the file parses, the catalogs it names load, the filter compiles
 * for each interface, and for a live start the user and the outputs are
 * what the start needs (preflight.c).
 */
static int
check_config(struct daemon *d)
{
	struct catalog *cat;
	struct opwatch *w;
	char dir[CONFIG_PATH_LEN], err[512];
	int bad;

	bad = preflight_capture(&d->cfg);
	bad += preflight_runtime(&d->cfg);
	if ((cat = open_catalog(&d->cfg, dir, sizeof(dir))) == NULL ||
	    bad > 0) {
		catalog_destroy(cat);
		return 1;
	}
	/* The alert-operation lines name the catalog's interfaces. */
	if ((w = opwatch_build(&d->cfg, cat, d->config_path, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		catalog_destroy(cat);
		return 1;
	}
	printf("configuration OK: %s; catalog %s: %zu services, %zu ports, "
	    "%zu RPC interfaces; %zu RPC operations watched\n",
	    d->config_path ? d->config_path : "(defaults)", dir,
	    catalog_nservices(cat), catalog_nports(cat), catalog_nifaces(cat),
	    opwatch_count(w));
	opwatch_free(w);
	catalog_destroy(cat);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The -r inputs */

/*
 * The capture files of the -r arguments: a directory stands for its
 * regular files (not those whose names begin with '.'; not its
 * subdirectories).  They are read in the order of their first packets'
 * times, so a capture split into many files, named in any order, is
 * read as one; ties and files without a readable first packet (last,
 * where reading reports them) keep the order given, a directory's in
 * name order.  Peeking reads the first record, which a pipe, a FIFO or
 * standard input ("-") would lose: with any input that is not a regular
 * file, the order given is kept for all.
 */
struct input {
	char		*path;
	uint64_t	 first_us;
	size_t		 order;
};

struct inputs {
	struct input	*v;
	size_t		 n;
	size_t		 cap;
};

static void
inputs_add(struct inputs *in, char *path)
{
	struct input *v;
	size_t cap;

	if (in->n == in->cap) {
		cap = in->cap ? in->cap * 2 : 16;
		if ((v = reallocarray(in->v, cap, sizeof(*v))) == NULL)
			fatalx("out of memory");
		in->v = v;
		in->cap = cap;
	}
	in->v[in->n].path = path;
	in->v[in->n].order = in->n;
	in->n++;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the regular files of directory `dir`, by name; -1 if unreadable. */
static int
inputs_add_dir(struct inputs *in, const char *dir)
{
	struct dirent *de;
	struct stat sb;
	char **names = NULL, *path, **n;
	size_t nnames = 0, cap = 0, i;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		log_warnx("%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) == -1)
			fatalx("out of memory");
		if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		if (nnames == cap) {
			cap = cap ? cap * 2 : 64;
			if ((n = reallocarray(names, cap, sizeof(*n))) == NULL)
				fatalx("out of memory");
			names = n;
		}
		names[nnames++] = path;
	}
	closedir(d);
	if (nnames == 0)
		log_warnx("%s: no capture files in this directory", dir);
	qsort(names, nnames, sizeof(*names), cmp_name);
	for (i = 0; i < nnames; i++)
		inputs_add(in, names[i]);
	free(names);
	return nnames > 0 ? 0 : -1;
}

static int
cmp_input(const void *pa, const void *pb)
{
	const struct input *a = pa, *b = pb;

	if (a->first_us != b->first_us)
		return a->first_us < b->first_us ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/*
 * The files of the arguments, in reading order, as a NULL-terminated
 * array; NULL (logged) when an argument names nothing readable.
 */
static char **
inputs_expand(char **args, size_t nargs, size_t *nfiles)
{
	struct inputs in = { NULL, 0, 0 };
	struct stat sb;
	char **files, *p;
	size_t i;
	bool peek;

	for (i = 0; i < nargs; i++) {
		if (strcmp(args[i], "-") != 0 && stat(args[i], &sb) == 0 &&
		    S_ISDIR(sb.st_mode)) {
			if (inputs_add_dir(&in, args[i]) == -1)
				return NULL;
		} else {
			if ((p = strdup(args[i])) == NULL)
				fatalx("out of memory");
			inputs_add(&in, p);
		}
	}
	for (i = 0; i < in.n; i++)
		if (strcmp(in.v[i].path, "-") == 0 ||
		    (stat(in.v[i].path, &sb) == 0 && !S_ISREG(sb.st_mode)))
			break;
	peek = i == in.n;
	for (i = 0; peek && i < in.n; i++)
		if (capture_file_first(in.v[i].path, &in.v[i].first_us) == -1)
			in.v[i].first_us = UINT64_MAX;
	if (peek)
		qsort(in.v, in.n, sizeof(*in.v), cmp_input);
	if ((files = calloc(in.n + 1, sizeof(*files))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < in.n; i++)
		files[i] = in.v[i].path;
	free(in.v);
	*nfiles = in.n;
	return files;
}

static void
inputs_free(char **files)
{
	size_t i;

	for (i = 0; files != NULL && files[i] != NULL; i++)
		free(files[i]);
	free(files);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "api", required_argument, NULL, 'A' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct daemon d;
	char **args = NULL, **files = NULL, **na;
	size_t nargs = 0, nfiles = 0, i;
	bool check_only = false, print_only = false, live;
	char err[512], inputs[1024];
	int ch, verbose = 0, status;

	log_init("svcmapd", false, 0);
	while ((ch = getopt_long(argc, argv, "c:d:f:hi:pr:tv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
			d.ov.api = optarg;
			break;
		case 'c':
			d.config_path = optarg;
			break;
		case 'd':
			d.ov.db = optarg;
			break;
		case 'D':
			d.ov.data_dir = optarg;
			break;
		case 'f':
			d.ov.filter = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			if (d.ov.ninterfaces == CONFIG_MAX_IFACES)
				fatalx("at most %d interfaces", CONFIG_MAX_IFACES);
			snprintf(d.ov.interfaces[d.ov.ninterfaces++],
			    sizeof(d.ov.interfaces[0]), "%s", optarg);
			break;
		case 'p':
			print_only = true;
			break;
		case 'r':
			if ((na = reallocarray(args, nargs + 1,
			    sizeof(*args))) == NULL)
				fatalx("out of memory");
			args = na;
			args[nargs++] = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("svcmapd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nargs > 0 && d.ov.ninterfaces > 0)
		log_warnx("give capture files (-r) or interfaces (-i), not both");
	if (optind != argc || (nargs > 0 && d.ov.ninterfaces > 0)) {
		usage(stderr);
		free(args);
		return 2;
	}
	log_set_level(verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

	/* The -r list is freed on every way out: the sanitizer CI counts
	 * a leak at exit as a failure, even on a usage error. */
	if (load_config(&d, &d.cfg) == -1) {
		free(args);
		return 1;
	}
	if (check_only || print_only) {
		free(args);
		if (check_only)
			return check_config(&d);
		config_print(&d.cfg, stdout);
		return 0;
	}
	if (nargs > 0) {
		files = inputs_expand(args, nargs, &nfiles);
		if (files == NULL) {
			free(args);
			return 1;
		}
		if (nfiles > 1)
			log_debug("%zu capture files, read in the order of "
			    "their first packets", nfiles);
	}
	free(args);
	live = nfiles == 0;
	if (live && d.cfg.ninterfaces == 0) {
		log_warnx("nothing to read: give -r FILE, -i IFACE, or "
		    "\"interface\" lines in the configuration");
		usage(stderr);
		return 2;
	}
	d.started_at = (int64_t)time(NULL);

	/*
	 * Capture handles first, as the user started us: then nothing runs
	 * with those rights that does not need them, and the database and
	 * its WAL files are created as the user that will write them.
	 */
	if (live) {
		if (open_captures(&d) == -1 || write_pidfile(&d) == -1 ||
		    drop_privileges(d.cfg.user) == -1)
			return 1;
	}

	if ((d.cat = open_catalog(&d.cfg, d.data_dir, sizeof(d.data_dir))) ==
	    NULL)
		return 1;
	d.engine_cat = d.cat;
	if ((d.store = store_open(d.cfg.db_path, d.cfg.sensor, err,
	    sizeof(err))) ==
	    NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if ((d.endpoints = endpoint_table_create(d.cfg.endpoint_capacity,
	    d.cfg.endpoint_expiry_s)) == NULL)
		fatalx("out of memory");
	/* What earlier runs learned still names flows after a restart. */
	if (store_load_endpoints(d.store, d.endpoints, err, sizeof(err)) == -1)
		log_warnx("learned endpoints not restored: %s", err);
	if ((d.names = names_table_create(d.cfg.names_capacity,
	    d.cfg.names_expiry_s)) == NULL)
		fatalx("out of memory");
	/* Names learned before a restart still name the hosts. */
	if (store_load_names(d.store, d.names, err, sizeof(err)) == -1)
		log_warnx("host names not restored: %s", err);
	if ((d.engine = engine_create(&d.cfg, d.cat, d.endpoints, err,
	    sizeof(err))) == NULL ||
	    (d.alerts = alert_create(&d.cfg, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	/* Alerts already raised are not raised again after a restart. */
	if (store_load_alerts(d.store, d.alerts, err, sizeof(err)) == -1)
		log_warnx("alert state not restored: %s", err);
	if ((d.alert_out = alert_out_open(&d.cfg)) == NULL)
		fatalx("out of memory");
	engine_set_alerts(d.engine, d.alerts);
	engine_set_names(d.engine, d.names);

	inputs[0] = '\0';
	for (i = 0; i < (nfiles ? nfiles : d.cfg.ninterfaces); i++) {
		size_t len = strlen(inputs);

		snprintf(inputs + len, sizeof(inputs) - len, "%s%s",
		    i ? "," : "", nfiles ? files[i] : d.cfg.interfaces[i]);
	}
	d.run_id = store_run_begin(d.store, nfiles ? "offline" : "live",
	    inputs, (int64_t)time(NULL));
	if (d.run_id == -1) {
		log_warnx("cannot record the run in %s", d.cfg.db_path);
		return 1;
	}

	if (!live) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = offline_signal;
		sigemptyset(&sa.sa_mask);
		/*
		 * No SA_RESTART for a stop: a read blocked on a pipe returns,
		 * and what was read is stored.  Progress restarts the read.
		 */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		status = run_offline(&d, files, nfiles);
	} else
		status = run_live(&d);

	engine_destroy(d.engine);
	alert_out_close(d.alert_out);
	alert_destroy(d.alerts);
	endpoint_table_destroy(d.endpoints);
	names_table_destroy(d.names);
	store_close(d.store);
	/* A reload posted but never taken left the engine the older one. */
	if (d.engine_cat != d.cat)
		catalog_destroy((struct catalog *)d.engine_cat);
	catalog_destroy(d.cat);
	inputs_free(files);
	if (d.pidfile_written && unlink(d.cfg.pidfile) == -1)
		log_debug("pidfile %s not removed: %s", d.cfg.pidfile,
		    strerror(errno));
	return status;
}
