/*
 * svcmapd - classify Windows network traffic into documented services.
 *
 * Offline (-r FILE ...): the files are read in order on the main thread,
 * statistics are flushed every flush interval of packet time and at the
 * end, a summary is printed, and the program exits.
 *
 * Live (-i IFACE ...): one capture thread per interface feeds a ring; one
 * classifier thread runs the engine over the rings; the main thread runs a
 * libevent loop with the flush timer and the signals, and is the only
 * writer of the database.  The classifier hands drained statistics over
 * under a mutex taken once per flush, never per packet.
 */
#include <sys/types.h>

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

#include "svcmap/alert.h"
#include "svcmap/capture.h"
#include "svcmap/catalog.h"
#include "svcmap/config.h"
#include "svcmap/dcerpc.h"
#include "svcmap/endpoint.h"
#include "svcmap/engine.h"
#include "svcmap/flow.h"
#include "svcmap/log.h"
#include "svcmap/stats.h"
#include "svcmap/store.h"
#include "datadir.h"

#define MAX_FILES 256

struct daemon {
	struct config		 cfg;
	const char		*config_path;
	const char		*data_dir;
	struct catalog		*cat;
	struct store		*store;
	struct endpoint_table	*endpoints;
	struct engine		*engine;
	struct alerts		*alerts;	/* decided on the engine's side */
	struct alert_out	*alert_out;	/* published on the writer's */
	int64_t			 run_id;
	bool			 flush_failing;	/* log a failing DB once */

	/* live mode */
	struct capture_live	*caps[CONFIG_MAX_IFACES];
	size_t			 ncaps;
	struct event_base	*base;
	struct event		*flush_timer;
	struct event		*handover_ev;
	struct event		*sig_ev[4];
	pthread_t		 classifier;
	pthread_mutex_t		 lock;		/* guards handed and handed_totals */
	struct stats_batch	*handed;	/* classifier -> writer */
	struct run_totals	 handed_totals;
	struct alert_batch	*alerts_handed;
	struct stats_batch	*writing;	/* the writer's own batch */
	struct alert_batch	*alerts_writing;
	atomic_bool		 flush_requested;
	atomic_bool		 stop_requested;
	atomic_bool		 classifier_done;
};

static volatile bool offline_stop;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: svcmapd [-tpv] [-c config] [-d database] [-f filter] "
	    "[--data-dir dir]\n"
	    "               (-r file [-r file ...] | -i iface [-i iface ...])\n"
	    "  -r FILE     read a pcap/pcapng capture file (repeatable)\n"
	    "  -i IFACE    capture live on an interface (repeatable)\n"
	    "  -d FILE     SQLite database (default from the configuration)\n"
	    "  -c FILE     configuration (default " SVCMAP_SYSCONFDIR
	    "/svcmapd.conf)\n"
	    "  -f FILTER   BPF filter expression\n"
	    "  -t          check the configuration and exit\n"
	    "  -p          print the effective configuration and exit\n"
	    "  -v          more logging\n"
	    "  --data-dir DIR  shipped catalog data directory\n"
	    "See svcmapd(8).\n");
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
 * Write a batch and its alerts; on success they are emptied, on failure
 * kept.  Alert events are published once whether or not their rows could
 * be stored: an operator hears of them even while the disk is full.
 */
static int
write_batch(struct daemon *d, struct stats_batch *b,
    const struct run_totals *t, struct alert_batch *ab, int64_t now_s)
{
	char err[512];
	int ret = 0;

	if (store_flush(d->store, d->run_id, b, t, d->endpoints, now_s, err,
	    sizeof(err)) == -1)
		ret = -1;
	else {
		stats_batch_clear(b);
		if (store_alerts(d->store, ab, err, sizeof(err)) == -1)
			ret = -1;
	}
	alert_out_events(d->alert_out, ab);
	if (ret == 0)
		alert_batch_clear(ab);
	set_flushing_ok(d, ret == 0, err);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Offline */

struct offline {
	struct daemon	*d;
	uint64_t	 next_flush_us;
	uint64_t	 interval_us;
};

static void
offline_packet(void *arg, const struct captured *pkt)
{
	struct offline *o = arg;
	struct daemon *d = o->d;
	uint64_t now;

	engine_packet(d->engine, pkt);
	now = engine_now(d->engine);
	if (o->next_flush_us == 0)
		o->next_flush_us = now + o->interval_us;
	else if (now >= o->next_flush_us) {
		engine_drain(d->engine, false);
		write_batch(d, engine_batch(d->engine),
		    engine_totals(d->engine), alert_batch(d->alerts),
		    (int64_t)(now / 1000000));
		o->next_flush_us = now + o->interval_us;
	}
}

static void
print_summary(struct daemon *d)
{
	const struct run_totals *t = engine_totals(d->engine);
	int i;

	printf("packets %" PRIu64 "  bytes %" PRIu64 "  flows %" PRIu64 "\n",
	    t->packets, t->bytes, t->flows);
	printf("packets by class:");
	for (i = 0; i < PKT__COUNT; i++)
		printf(" %s %" PRIu64, packet_class_name(i), t->pkt_class[i]);
	printf("\nflows by class: classified %" PRIu64 " undocumented %"
	    PRIu64 " unmonitored %" PRIu64 "  evicted %" PRIu64 "\n",
	    t->flow_class[FLOW_CLASSIFIED], t->flow_class[FLOW_UNDOCUMENTED],
	    t->flow_class[FLOW_UNMONITORED], t->flows_evicted);
	printf("dce/rpc: pdus %" PRIu64 " epm replies %" PRIu64
	    " endpoints learned %" PRIu64 " (truncated %" PRIu64 " invalid %"
	    PRIu64 " gaps %" PRIu64 ")\n", t->rpc_pdus, t->epm_replies,
	    t->endpoints_learned, t->rpc_truncated, t->rpc_invalid, t->rpc_gaps);
	printf("nDPI disagreements with the catalog: %" PRIu64 "\n",
	    t->dpi_mismatches);
	for (i = 0; i < DR__COUNT; i++)
		if (i != DR_OK && t->decode[i] != 0)
			printf("  decode %s: %" PRIu64 "\n",
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
	int status = 0, tries;

	memset(&o, 0, sizeof(o));
	o.d = d;
	o.interval_us = (uint64_t)d->cfg.flush_interval_s * 1000000;
	for (i = 0; i < nfiles; i++) {
		if (capture_read_file(files[i], d->cfg.bpf[0] ? d->cfg.bpf :
		    NULL, offline_packet, &o, &offline_stop, &res, err,
		    sizeof(err)) == -1) {
			log_warnx("%s", err);
			status = 1;
		}
		if (offline_stop)
			break;
	}
	engine_drain(d->engine, true);
	/* The last flush must land: retry a locked database for a while. */
	for (tries = 0; tries < 30; tries++) {
		if (write_batch(d, engine_batch(d->engine),
		    engine_totals(d->engine), alert_batch(d->alerts),
		    (int64_t)(engine_now(d->engine) / 1000000)) == 0)
			break;
		sleep(1);
	}
	if (tries == 30) {
		log_warnx("could not store the final statistics");
		status = 1;
	}
	print_summary(d);
	return status;
}

/* ------------------------------------------------------------------ */
/* Live */

/* Move what the classifier drained to the writer's side. */
static void
classifier_handover(struct daemon *d)
{
	engine_drain(d->engine, atomic_load(&d->stop_requested));
	pthread_mutex_lock(&d->lock);
	stats_batch_merge(d->handed, engine_batch(d->engine));
	alert_batch_merge(d->alerts_handed, alert_batch(d->alerts));
	d->handed_totals = *engine_totals(d->engine);
	pthread_mutex_unlock(&d->lock);
	event_active(d->handover_ev, EV_READ, 0);
}

static void *
classifier_main(void *arg)
{
	struct daemon *d = arg;

	while (!atomic_load(&d->stop_requested)) {
		capture_live_poll(d->caps, d->ncaps, engine_packet, d->engine,
		    4096, 100);
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

static void
on_handover(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct run_totals totals;
	struct capture_live_stats cs;
	size_t i;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&d->lock);
	stats_batch_merge(d->writing, d->handed);
	alert_batch_merge(d->alerts_writing, d->alerts_handed);
	totals = d->handed_totals;
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < d->ncaps; i++) {
		capture_live_get_stats(d->caps[i], &cs);
		store_capture_stats(d->store, d->run_id,
		    capture_live_name(d->caps[i]), cs.received,
		    cs.dropped + cs.ring_dropped, cs.if_dropped);
	}
	write_batch(d, d->writing, &totals, d->alerts_writing,
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

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	const struct run_totals *t;

	(void)what;
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		log_info("signal %d: stopping capture and flushing", (int)sig);
		atomic_store(&d->stop_requested, true);
		break;
	case SIGUSR1:
		t = &d->handed_totals;
		log_info("packets %" PRIu64 " bytes %" PRIu64 " flows %" PRIu64
		    " active %" PRIu64 " evicted %" PRIu64, t->packets, t->bytes,
		    t->flows, t->flows_active, t->flows_evicted);
		break;
	default:
		break;
	}
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0' || getuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user \"%s\" does not exist: staying root", user);
		return 0;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_warn("cannot drop privileges to %s", user);
		return -1;
	}
	return 0;
}

static int
run_live(struct daemon *d)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	struct capture_live_config lc;
	struct timeval tv;
	char err[512];
	size_t i;
	int status = 0;

	memset(&lc, 0, sizeof(lc));
	lc.snaplen = d->cfg.snaplen;
	lc.buffer_mb = d->cfg.buffer_mb;
	lc.promisc = d->cfg.promisc;
	lc.bpf = d->cfg.bpf[0] ? d->cfg.bpf : NULL;
	lc.ring_slots = d->cfg.ring_slots;
	for (i = 0; i < d->cfg.ninterfaces; i++) {
		d->caps[i] = capture_live_open(d->cfg.interfaces[i], &lc,
		    (int)i, err, sizeof(err));
		if (d->caps[i] == NULL) {
			log_warnx("%s", err);
			return 1;
		}
		d->ncaps++;
	}
	/* Handles are open: parse no packet with more rights than needed. */
	if (drop_privileges(d->cfg.user) == -1)
		return 1;

	evthread_use_pthreads();
	if ((d->base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	pthread_mutex_init(&d->lock, NULL);
	if ((d->handed = stats_batch_create()) == NULL ||
	    (d->writing = stats_batch_create()) == NULL ||
	    (d->alerts_handed = alert_batch_create()) == NULL ||
	    (d->alerts_writing = alert_batch_create()) == NULL)
		fatalx("out of memory");
	d->handover_ev = event_new(d->base, -1, 0, on_handover, d);
	d->flush_timer = event_new(d->base, -1, EV_PERSIST, on_flush_timer, d);
	tv.tv_sec = d->cfg.flush_interval_s;
	tv.tv_usec = 0;
	event_add(d->flush_timer, &tv);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->sig_ev[i] = evsignal_new(d->base, sigs[i], on_signal, d);
		event_add(d->sig_ev[i], NULL);
	}

	for (i = 0; i < d->ncaps; i++)
		if (capture_live_start(d->caps[i], err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return 1;
		}
	if (pthread_create(&d->classifier, NULL, classifier_main, d) != 0)
		fatalx("cannot start the classifier thread");
	log_info("capturing on %zu interface(s)", d->ncaps);

	event_base_dispatch(d->base);

	for (i = 0; i < d->ncaps; i++)
		capture_live_stop(d->caps[i]);
	atomic_store(&d->stop_requested, true);
	pthread_join(d->classifier, NULL);
	/* A final write if the last handover's write failed. */
	alert_batch_records(d->alerts_writing, &i);
	if ((stats_batch_nrows(d->writing) > 0 || i > 0) &&
	    write_batch(d, d->writing, &d->handed_totals, d->alerts_writing,
	    (int64_t)time(NULL)) == -1)
		status = 1;
	for (i = 0; i < d->ncaps; i++)
		capture_live_close(d->caps[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(d->sig_ev[i]);
	event_free(d->flush_timer);
	event_free(d->handover_ev);
	event_base_free(d->base);
	stats_batch_destroy(d->handed);
	stats_batch_destroy(d->writing);
	alert_batch_destroy(d->alerts_handed);
	alert_batch_destroy(d->alerts_writing);
	pthread_mutex_destroy(&d->lock);
	return status;
}

static void
offline_signal(int sig)
{
	(void)sig;
	offline_stop = true;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct daemon d;
	char *files[MAX_FILES];
	const char *db = NULL, *filter = NULL;
	size_t nfiles = 0, i;
	bool check_only = false, print_only = false;
	char err[512], inputs[1024];
	int ch, verbose = 0, status;

	log_init("svcmapd", false, 0);
	config_defaults(&d.cfg);
	while ((ch = getopt_long(argc, argv, "c:d:f:hi:pr:tv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'D':
			d.data_dir = optarg;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			if (d.cfg.ninterfaces == CONFIG_MAX_IFACES)
				fatalx("at most %d interfaces", CONFIG_MAX_IFACES);
			snprintf(d.cfg.interfaces[d.cfg.ninterfaces++],
			    sizeof(d.cfg.interfaces[0]), "%s", optarg);
			break;
		case 'p':
			print_only = true;
			break;
		case 'r':
			if (nfiles == MAX_FILES)
				fatalx("at most %d files", MAX_FILES);
			files[nfiles++] = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_set_level(verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

	/* Interfaces on the command line replace the configured ones. */
	if (d.config_path != NULL || access(SVCMAP_SYSCONFDIR "/svcmapd.conf",
	    R_OK) == 0) {
		struct config file_cfg;
		const char *path = d.config_path ? d.config_path :
		    SVCMAP_SYSCONFDIR "/svcmapd.conf";

		config_defaults(&file_cfg);
		if (config_load(&file_cfg, path, err, sizeof(err)) == -1)
			return 1;
		if (d.cfg.ninterfaces > 0) {
			memcpy(file_cfg.interfaces, d.cfg.interfaces,
			    sizeof(file_cfg.interfaces));
			file_cfg.ninterfaces = d.cfg.ninterfaces;
		}
		d.cfg = file_cfg;
	}
	if (db != NULL)
		snprintf(d.cfg.db_path, sizeof(d.cfg.db_path), "%s", db);
	if (filter != NULL)
		snprintf(d.cfg.bpf, sizeof(d.cfg.bpf), "%s", filter);
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	if (print_only) {
		config_print(&d.cfg, stdout);
		return 0;
	}
	if ((nfiles == 0) == (d.cfg.ninterfaces == 0)) {
		log_warnx("give capture files (-r) or interfaces (-i), not both");
		usage(stderr);
		return 2;
	}

	d.data_dir = datadir_resolve(d.data_dir ? d.data_dir :
	    d.cfg.data_dir);
	if ((d.cat = catalog_open(d.data_dir, d.cfg.local_catalog, err,
	    sizeof(err))) == NULL) {
		log_warnx("catalog: %s", err);
		return 1;
	}
	if ((d.store = store_open(d.cfg.db_path, false, err, sizeof(err))) ==
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

	inputs[0] = '\0';
	for (i = 0; i < (nfiles ? nfiles : d.cfg.ninterfaces); i++) {
		size_t len = strlen(inputs);

		snprintf(inputs + len, sizeof(inputs) - len, "%s%s",
		    i ? "," : "", nfiles ? files[i] : d.cfg.interfaces[i]);
	}
	d.run_id = store_run_begin(d.store, d.cfg.sensor,
	    nfiles ? "offline" : "live", inputs, (int64_t)time(NULL));
	if (d.run_id == -1) {
		log_warnx("cannot record the run in %s", d.cfg.db_path);
		return 1;
	}

	if (nfiles > 0) {
		signal(SIGINT, offline_signal);
		signal(SIGTERM, offline_signal);
		status = run_offline(&d, files, nfiles);
	} else
		status = run_live(&d);

	engine_destroy(d.engine);
	alert_out_close(d.alert_out);
	alert_destroy(d.alerts);
	endpoint_table_destroy(d.endpoints);
	store_close(d.store);
	catalog_destroy(d.cat);
	return status;
}
