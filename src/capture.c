/*
 * capture.c - packets in: capture files and live interfaces, via libpcap.
 *
 * Offline, libpcap picks pcap or pcapng from the file's magic number and
 * the packets go straight to the handler on the calling thread.  We open
 * the file ourselves to give its stream a larger buffer (FILE_BUFFER).
 *
 * Live, each interface gets a capture thread that runs pcap_dispatch()
 * (TPACKET_V3 on Linux) and copies every packet into a preallocated
 * single-producer/single-consumer byte ring; the classifier thread drains
 * the rings with capture_live_poll().  The ring is the only place the two
 * threads meet:
 *
 *   head  written by the capture thread only (release), read by the
 *         consumer (acquire): bytes below head are filled.
 *   tail  written by the consumer only (release), read by the capture
 *         thread (acquire): bytes below tail are free again.
 *
 * Both count bytes from the start and never wrap; a position in the
 * buffer is the count modulo its size.  A record is a slot_hdr and the
 * packet's captured bytes, rounded up to 8.  A record never wraps around
 * the end of the buffer: when it does not fit in what is left there, the
 * producer writes a wrap marker (or, in less room than a header, nothing:
 * both sides skip such a remainder) and starts the record at offset 0,
 * publishing both with one store of head.  Sizing in bytes, not in slots
 * of snaplen, keeps the ring's memory what the operator set whatever the
 * snap length: 64 MiB hold about 100,000 packets of an average 600 bytes,
 * where 65,536 slots of 64 KiB asked for 4 GiB.
 *
 * head - tail is the fill level; when a record does not fit, the capture
 * thread drops the packet and counts it, so it never waits on the
 * classifier.  The two counters sit on different cache lines so the
 * threads do not fight over one line on every packet.
 *
 * A consumer with empty rings sleeps on a condition variable.  A producer
 * signals it only when a consumer says it is waiting, so while packets
 * flow no system call is made per packet (see capture_live_poll()).
 *
 * pcap_stats() is called from the capture thread only, about once a
 * second and once more as it exits: on Linux it reads and resets the
 * socket's counters and accumulates them in the handle, state that the
 * read path of the same handle also lives in, so sharing the handle
 * between threads for it is avoided rather than reasoned about.
 * capture_live_get_stats() reads the copies, at most a second old.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "svcmap/capture.h"
#include "svcmap/log.h"

/* pcap read timeout: how long a TPACKET_V3 block waits to be handed over. */
#define LIVE_TIMEOUT_MS		100
/* Packets taken from one ring before the next ring gets its turn. */
#define POLL_QUANTUM		64
/*
 * At a stop, the kernel ring is read until it has been quiet for a block
 * timeout and this margin (ms), but never for longer than DRAIN_MAX_MS:
 * a link that keeps sending must not hold the stop.
 */
#define DRAIN_QUIET_MS		50
#define DRAIN_MAX_MS		1000
/* Spacing of pcap_stats() calls on the capture thread, nanoseconds. */
#define STATS_INTERVAL_NS	1000000000LL
#define CACHE_LINE		64
/*
 * stdio buffer of a capture file.  libpcap reads each record with two
 * fread() calls, and stdio's default buffer (st_blksize, 4 KiB) makes
 * that a read(2) every few packets.  Measured on a million-packet file
 * (tests/bench.sh's): 4 KiB 0.15-0.19 s of CPU, 32-128 KiB 0.08-0.12 s,
 * 256 KiB and more slower again, as each copy outgrows the caches.
 */
#define FILE_BUFFER		(64 * 1024)

static uint64_t
tv_to_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

/*
 * libpcap names the file or interface in some messages and not in others;
 * ours always start with the name, so drop libpcap's copy.
 */
static const char *
without_prefix(const char *msg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(msg, name, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static int
capture_set_filter(pcap_t *p, const char *name, const char *bpf,
    char *err, size_t errlen)
{
	struct bpf_program prog;

	/* The netmask only matters to "ip broadcast", which we do not need. */
	if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, errlen, "%s: filter \"%s\": %s", name, bpf,
		    pcap_geterr(p));
		return -1;
	}
	if (pcap_setfilter(p, &prog) == -1) {
		snprintf(err, errlen, "%s: filter \"%s\": %s", name, bpf,
		    pcap_geterr(p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

const char *
capture_linktype_name(int linktype)
{
	const char *name = pcap_datalink_val_to_name(linktype);

	return name != NULL ? name : "unknown";
}

int
capture_read_file(const char *path, const char *bpf, capture_handler fn,
    void *arg, volatile sig_atomic_t *stop, struct capture_file_result *res,
    char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct capture_file_result local;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct captured cp;
	char *iobuf;
	FILE *fp;
	pcap_t *p;
	int rc, ret = 0;

	if (res == NULL)
		res = &local;
	res->packets = 0;
	res->corrupt = false;
	res->linktype = -1;
	ebuf[0] = '\0';
	/* "-" is standard input, as for pcap_open_offline(). */
	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Without the memory, stdio's own buffer does. */
	if ((iobuf = malloc(FILE_BUFFER)) != NULL &&
	    setvbuf(fp, iobuf, _IOFBF, FILE_BUFFER) != 0) {
		free(iobuf);
		iobuf = NULL;
	}
	/*
	 * Ask for microseconds whatever the file holds: libpcap scales
	 * nanosecond files down, so ts_us means the same for every file.
	 */
	p = pcap_fopen_offline_with_tstamp_precision(fp,
	    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    without_prefix(ebuf, path));
		if (fp != stdin)
			fclose(fp);
		free(iobuf);
		return -1;
	}
	if (bpf != NULL && *bpf != '\0' &&
	    capture_set_filter(p, path, bpf, err, errlen) == -1) {
		pcap_close(p);
		free(iobuf);
		return -1;
	}
	memset(&cp, 0, sizeof(cp));
	cp.linktype = res->linktype = pcap_datalink(p);
	while (stop == NULL || !*stop) {
		rc = pcap_next_ex(p, &h, &data);
		if (rc == PCAP_ERROR_BREAK)	/* end of file */
			break;
		/* A stop signal may cut a read from a pipe short: not corrupt. */
		if (rc != 1 && stop != NULL && *stop)
			break;
		if (rc != 1) {
			/* Savefiles never time out (0): anything else is bad. */
			res->corrupt = true;
			snprintf(err, errlen,
			    "%s: corrupt record after %" PRIu64 " packets: %s",
			    path, res->packets, pcap_geterr(p));
			ret = -1;
			break;
		}
		cp.ts_us = tv_to_us(&h->ts);
		cp.caplen = h->caplen;
		cp.wirelen = h->len;
		cp.data = data;
		fn(arg, &cp);
		res->packets++;
	}
	/* Closes the stream (not standard input), which used the buffer. */
	pcap_close(p);
	free(iobuf);
	return ret;
}

/* What precedes the packet bytes in the ring. */
struct slot_hdr {
	uint64_t	ts_us;
	uint32_t	caplen;		/* RING_WRAP: go on at offset 0 */
	uint32_t	wirelen;
};

#define RING_WRAP	UINT32_MAX
#define RING_ALIGN(n)	(((size_t)(n) + 7) & ~(size_t)7)

struct capture_live {
	pcap_t		*pcap;
	char		 name[64];
	struct capture_live_config cfg;	/* kept to reopen; bpf copied */
	char		 bpf[CAPTURE_BPF_MAX];
	int		 source;
	int		 linktype;
	uint32_t	 snaplen;	/* what pcap_snapshot() settled on */
	size_t		 ring_size;	/* bytes, a multiple of 8 */
	uint8_t		*ring;
	pthread_t	 thread;
	bool		 started;	/* control thread only */
	atomic_bool	 stopping;
	/* Cleared by the capture thread when the handle fails (the
	 * interface went away); set again by capture_live_reopen(). */
	atomic_bool	 up;
	/* Counters of the handles closed so far (a reopen starts pcap's
	 * at zero); stats_mu makes the fold and a read see both or none. */
	pthread_mutex_t	 stats_mu;
	uint64_t	 base_recv, base_drop, base_ifdrop;
	/* Packets the kernel took that no handle read before it stopped
	 * (capture thread at its end; stats_mu). */
	uint64_t	 unread;

	/* Capture thread writes, everyone reads. */
	char		 pad0[CACHE_LINE];
	_Atomic uint64_t head;
	_Atomic uint64_t ring_dropped;
	_Atomic uint64_t handle_seen;	/* this handle's callbacks */
	_Atomic uint64_t ps_recv;
	_Atomic uint64_t ps_drop;
	_Atomic uint64_t ps_ifdrop;

	/* Consumer writes, everyone reads. */
	char		 pad1[CACHE_LINE];
	_Atomic uint64_t tail;
	_Atomic uint64_t delivered;
	char		 pad2[CACHE_LINE];
};

/*
 * One wake-up point for the whole module: consumers are few (one
 * classifier thread, or a handful of workers), and a broadcast lets each
 * recheck its own rings.  `waiting` counts consumers inside the wait, so
 * producers skip the mutex entirely while nobody sleeps.
 */
static struct {
	pthread_once_t	 once;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	atomic_int	 waiting;
} wake = { .once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER };

static void
wake_init(void)
{
	pthread_condattr_t ca;

	/* Timed waits on the monotonic clock: wall-clock steps move them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake.cv, &ca);
	pthread_condattr_destroy(&ca);
}

static struct slot_hdr *
ring_at(const struct capture_live *c, uint64_t pos)
{
	return (struct slot_hdr *)(void *)(c->ring + pos % c->ring_size);
}

/* The bytes from pos to the end of the buffer. */
static size_t
ring_room(const struct capture_live *c, uint64_t pos)
{
	return c->ring_size - (size_t)(pos % c->ring_size);
}

/* Bump a counter that only the calling thread writes: no locked add. */
static void
counter_bump(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v,
	    atomic_load_explicit(v, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

/* pcap_dispatch() callback, on the capture thread. */
static void
live_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture_live *c = (struct capture_live *)(void *)user;
	struct slot_hdr *s;
	uint64_t head, tail;
	size_t need, room, skip;
	uint32_t len;

	counter_bump(&c->handle_seen, 1);
	/* The ring was sized for snaplen; never trust the header past it. */
	len = h->caplen < c->snaplen ? h->caplen : c->snaplen;
	need = sizeof(*s) + RING_ALIGN(len);
	head = atomic_load_explicit(&c->head, memory_order_relaxed);
	tail = atomic_load_explicit(&c->tail, memory_order_acquire);
	room = ring_room(c, head);
	skip = room < need ? room : 0;
	if (head - tail + skip + need > c->ring_size) {
		counter_bump(&c->ring_dropped, 1);
		return;
	}
	if (skip >= sizeof(*s))
		ring_at(c, head)->caplen = RING_WRAP;
	s = ring_at(c, head + skip);
	s->ts_us = tv_to_us(&h->ts);
	s->caplen = len;
	s->wirelen = h->len;
	memcpy(s + 1, data, len);
	atomic_store_explicit(&c->head, head + skip + need,
	    memory_order_release);

	/*
	 * Pairs with the fence in wait_for_packets(): either the consumer
	 * sees the new head before it sleeps, or we see it waiting.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&wake.waiting, memory_order_relaxed) > 0) {
		pthread_mutex_lock(&wake.mu);
		pthread_cond_broadcast(&wake.cv);
		pthread_mutex_unlock(&wake.mu);
	}
}

static void
live_refresh_stats(struct capture_live *c)
{
	struct pcap_stat ps;

	if (pcap_stats(c->pcap, &ps) != 0)
		return;
	atomic_store_explicit(&c->ps_recv, ps.ps_recv, memory_order_relaxed);
	atomic_store_explicit(&c->ps_drop, ps.ps_drop, memory_order_relaxed);
	atomic_store_explicit(&c->ps_ifdrop, ps.ps_ifdrop,
	    memory_order_relaxed);
}

/*
 * pcap_activate()'s status says what kind of failure or warning it was;
 * pcap_geterr() usually says more, but is empty for some statuses and a
 * copy of the status text for others.
 */
static void
activate_msg(pcap_t *p, int rc, const char *iface, char *buf, size_t len)
{
	const char *status = pcap_statustostr(rc);
	const char *detail = without_prefix(pcap_geterr(p), iface);

	if (*detail == '\0' || strcmp(detail, status) == 0)
		snprintf(buf, len, "%s: %s", iface, status);
	else
		snprintf(buf, len, "%s: %s (%s)", iface, status, detail);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * At a stop: read what the kernel ring still holds.  With TPACKET_V3 the
 * kernel hands a block over when it is full or when its timeout
 * (LIVE_TIMEOUT_MS) retires it, so the packets of the last moments
 * before a stop become readable up to that long after it.  Read until a
 * block timeout and a margin brought nothing, within DRAIN_MAX_MS.
 */
static void
live_drain(struct capture_live *c)
{
	int64_t start = mono_ns(), quiet = start, now;
	struct pollfd pfd;
	int rc;

	pfd.fd = pcap_get_selectable_fd(c->pcap);
	pfd.events = POLLIN;
	for (;;) {
		/* PCAP_ERROR_BREAK: capture_live_stop()'s breakloop, spent. */
		rc = pcap_dispatch(c->pcap, -1, live_packet, (u_char *)c);
		if (rc == PCAP_ERROR)
			break;
		now = mono_ns();
		if (rc > 0)
			quiet = now;
		if (now - quiet >= (LIVE_TIMEOUT_MS + DRAIN_QUIET_MS) *
		    1000000LL || now - start >= DRAIN_MAX_MS * 1000000LL)
			break;
		if (rc <= 0 && pfd.fd != -1)
			poll(&pfd, 1, 10);
	}
}

/*
 * After the last read: what the kernel counted into the ring (pcap's
 * ps_recv less ps_drop, which it includes) but no read took.  Packets
 * that came after the drain are counted here, not lost unseen.
 */
static void
live_count_unread(struct capture_live *c)
{
	uint64_t took, seen;

	took = atomic_load(&c->ps_recv) - atomic_load(&c->ps_drop);
	seen = atomic_load(&c->handle_seen);
	pthread_mutex_lock(&c->stats_mu);
	if (atomic_load(&c->ps_recv) >= atomic_load(&c->ps_drop) &&
	    took > seen)
		c->unread += took - seen;
	pthread_mutex_unlock(&c->stats_mu);
}

static void *
live_thread(void *arg)
{
	struct capture_live *c = arg;
	int64_t last = mono_ns(), now;
	struct pollfd pfd;
	int rc;

	/*
	 * The handle is non-blocking and we wait in poll(2) ourselves: with
	 * TPACKET_V3 a blocking pcap_dispatch() on an idle interface waits
	 * for the next packet however long that takes, and the counters
	 * refreshed below would go stale for as long.
	 */
	pfd.fd = pcap_get_selectable_fd(c->pcap);
	pfd.events = POLLIN;
	while (!atomic_load(&c->stopping)) {
		rc = pcap_dispatch(c->pcap, -1, live_packet, (u_char *)c);
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc == PCAP_ERROR) {
			/* The interface went away or the socket failed. */
			log_warnx("%s: capture lost: %s; reopening it when it "
			    "returns", c->name, pcap_geterr(c->pcap));
			atomic_store(&c->up, false);
			break;
		}
		if (rc == 0 && pfd.fd != -1 &&
		    poll(&pfd, 1, LIVE_TIMEOUT_MS) == -1 && errno != EINTR) {
			log_warn("%s: capture lost: poll", c->name);
			atomic_store(&c->up, false);
			break;
		}
		now = mono_ns();
		if (now - last >= STATS_INTERVAL_NS) {
			live_refresh_stats(c);
			last = now;
		}
	}
	/* Stopped, not failed: take what the kernel still holds. */
	if (atomic_load(&c->up)) {
		live_drain(c);
		live_refresh_stats(c);
		live_count_unread(c);
	} else
		live_refresh_stats(c);
	return NULL;
}

/*
 * Create and activate c->pcap for c->name with c->cfg: the part of an
 * open that a reopen repeats.  The handle's link type and snapshot length
 * go to *linktype and *snaplen, not to c: the classifier thread reads
 * c->linktype while a reopen runs.
 */
static int
live_activate(struct capture_live *c, int *linktype, uint32_t *snaplen,
    char *err, size_t errlen)
{
	const struct capture_live_config *cfg = &c->cfg;
	const char *iface = c->name;
	char ebuf[PCAP_ERRBUF_SIZE];
	uint64_t bufsz;
	int rc, snap;

	ebuf[0] = '\0';
	if ((c->pcap = pcap_create(iface, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: %s", iface, ebuf);
		return -1;
	}
	bufsz = (uint64_t)cfg->buffer_mb * 1024 * 1024;
	if (bufsz > INT_MAX)
		bufsz = INT_MAX;
	/* snaplen 0 asks libpcap for its maximum. */
	if (pcap_set_snaplen(c->pcap, (int)(cfg->snaplen > INT_MAX ?
	    INT_MAX : cfg->snaplen)) != 0 ||
	    pcap_set_promisc(c->pcap, cfg->promisc) != 0 ||
	    pcap_set_timeout(c->pcap, LIVE_TIMEOUT_MS) != 0 ||
	    (bufsz > 0 && pcap_set_buffer_size(c->pcap, (int)bufsz) != 0) ||
	    pcap_set_immediate_mode(c->pcap, 0) != 0 ||
	    pcap_set_tstamp_precision(c->pcap,
	    PCAP_TSTAMP_PRECISION_MICRO) != 0) {
		snprintf(err, errlen, "%s: cannot set capture options: %s",
		    iface, pcap_geterr(c->pcap));
		goto fail;
	}
	rc = pcap_activate(c->pcap);
	if (rc < 0) {
		activate_msg(c->pcap, rc, iface, err, errlen);
		goto fail;
	}
	if (rc > 0) {
		activate_msg(c->pcap, rc, iface, ebuf, sizeof(ebuf));
		log_warnx("%s", ebuf);
	}
	if (cfg->bpf != NULL && *cfg->bpf != '\0' &&
	    capture_set_filter(c->pcap, iface, cfg->bpf, err, errlen) == -1)
		goto fail;
	if (pcap_setnonblock(c->pcap, 1, ebuf) == -1) {
		snprintf(err, errlen, "%s: %s", iface, ebuf);
		goto fail;
	}
	*linktype = pcap_datalink(c->pcap);
	snap = pcap_snapshot(c->pcap);
	*snaplen = snap > 0 ? (uint32_t)snap : 65535;
	return 0;
fail:
	pcap_close(c->pcap);
	c->pcap = NULL;
	return -1;
}

struct capture_live *
capture_live_open(const char *iface, const struct capture_live_config *cfg,
    int source, char *err, size_t errlen)
{
	struct capture_live *c;

	if (cfg->bpf != NULL && strlen(cfg->bpf) >= CAPTURE_BPF_MAX) {
		snprintf(err, errlen, "%s: filter too long", iface);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: %s", iface, strerror(errno));
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", iface);
	c->cfg = *cfg;
	if (cfg->bpf != NULL) {
		snprintf(c->bpf, sizeof(c->bpf), "%s", cfg->bpf);
		c->cfg.bpf = c->bpf;
	}
	c->source = source;
	pthread_mutex_init(&c->stats_mu, NULL);
	if (live_activate(c, &c->linktype, &c->snaplen, err, errlen) == -1) {
		pthread_mutex_destroy(&c->stats_mu);
		free(c);
		return NULL;
	}
	atomic_store(&c->up, true);
	/*
	 * Twice the largest record: then a record that meets the end of
	 * the buffer still fits once the ring has drained, so no packet
	 * size is dropped forever.
	 */
	c->ring_size = cfg->ring_bytes & ~(size_t)7;
	if (c->ring_size < 2 * (sizeof(struct slot_hdr) +
	    RING_ALIGN(c->snaplen))) {
		snprintf(err, errlen, "%s: a ring of %" PRIu32 " bytes cannot "
		    "hold two packets of the snapshot length %" PRIu32, iface,
		    cfg->ring_bytes, c->snaplen);
	} else if ((c->ring = malloc(c->ring_size)) == NULL)
		snprintf(err, errlen, "%s: cannot allocate a ring of %zu "
		    "bytes", iface, c->ring_size);
	if (c->ring == NULL) {
		pcap_close(c->pcap);
		pthread_mutex_destroy(&c->stats_mu);
		free(c);
		return NULL;
	}
	pthread_once(&wake.once, wake_init);
	return c;
}

bool
capture_live_up(struct capture_live *c)
{
	return atomic_load(&c->up);
}

int
capture_live_reopen(struct capture_live *c, char *err, size_t errlen)
{
	uint32_t snaplen;
	int linktype;

	if (atomic_load(&c->up))
		return 0;
	/* The thread ended itself when the handle failed: reap it. */
	capture_live_stop(c);
	if (c->pcap != NULL) {
		pthread_mutex_lock(&c->stats_mu);
		c->base_recv += atomic_load(&c->ps_recv);
		c->base_drop += atomic_load(&c->ps_drop);
		c->base_ifdrop += atomic_load(&c->ps_ifdrop);
		atomic_store(&c->ps_recv, 0);
		atomic_store(&c->ps_drop, 0);
		atomic_store(&c->ps_ifdrop, 0);
		atomic_store(&c->handle_seen, 0);
		pthread_mutex_unlock(&c->stats_mu);
		pcap_close(c->pcap);
		c->pcap = NULL;
	}
	if (live_activate(c, &linktype, &snaplen, err, errlen) == -1)
		return -1;
	/*
	 * The ring was sized for the first handle's snapshot, and its
	 * packets are decoded with the link type of ring_take(): a
	 * reopened interface that differs (another device under the name)
	 * is refused rather than misread.
	 */
	if (snaplen > c->snaplen || linktype != c->linktype) {
		snprintf(err, errlen, "%s: came back with link type %s and "
		    "snapshot %" PRIu32 ", not %s and %" PRIu32, c->name,
		    capture_linktype_name(linktype), snaplen,
		    capture_linktype_name(c->linktype), c->snaplen);
		pcap_close(c->pcap);
		c->pcap = NULL;
		return -1;
	}
	atomic_store(&c->up, true);
	if (capture_live_start(c, err, errlen) == -1) {
		atomic_store(&c->up, false);
		return -1;
	}
	return 0;
}

int
capture_live_start(struct capture_live *c, char *err, size_t errlen)
{
	int rc;

	if (c->started)
		return 0;
	atomic_store(&c->stopping, false);
	if ((rc = pthread_create(&c->thread, NULL, live_thread, c)) != 0) {
		snprintf(err, errlen, "%s: cannot start capture thread: %s",
		    c->name, strerror(rc));
		return -1;
	}
	c->started = true;
	return 0;
}

void
capture_live_stop(struct capture_live *c)
{
	if (!c->started)
		return;
	atomic_store(&c->stopping, true);
	/* The thread sees `stopping` within LIVE_TIMEOUT_MS; this ends a
	 * pcap_dispatch() under way at once. */
	if (c->pcap != NULL)
		pcap_breakloop(c->pcap);
	pthread_join(c->thread, NULL);
	c->started = false;
}

void
capture_live_close(struct capture_live *c)
{
	if (c == NULL)
		return;
	capture_live_stop(c);
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	pthread_mutex_destroy(&c->stats_mu);
	free(c->ring);
	free(c);
}

const char *
capture_live_name(const struct capture_live *c)
{
	return c->name;
}

/* Hand up to `max` packets of one ring to fn, releasing each after. */
static size_t
ring_take(struct capture_live *c, capture_handler fn, void *arg, size_t max)
{
	const struct slot_hdr *s;
	struct captured cp;
	uint64_t head, tail;
	size_t k, room;

	tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
	head = atomic_load_explicit(&c->head, memory_order_acquire);
	memset(&cp, 0, sizeof(cp));
	cp.linktype = c->linktype;
	cp.source = c->source;
	for (k = 0; k < max && tail != head; ) {
		/* The producer's skip rule: no header fits, or a marker. */
		room = ring_room(c, tail);
		if (room < sizeof(*s) || ring_at(c, tail)->caplen ==
		    RING_WRAP) {
			tail += room;
			continue;
		}
		s = ring_at(c, tail);
		cp.ts_us = s->ts_us;
		cp.caplen = s->caplen;
		cp.wirelen = s->wirelen;
		cp.data = (const uint8_t *)(s + 1);
		fn(arg, &cp);
		tail += sizeof(*s) + RING_ALIGN(s->caplen);
		k++;
		atomic_store_explicit(&c->tail, tail, memory_order_release);
	}
	counter_bump(&c->delivered, k);
	return k;
}

static bool
rings_empty(struct capture_live **caps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (atomic_load_explicit(&caps[i]->head,
		    memory_order_acquire) !=
		    atomic_load_explicit(&caps[i]->tail, memory_order_relaxed))
			return false;
	return true;
}

/* Sleep until a ring has a packet or the deadline passes. */
static void
wait_for_packets(struct capture_live **caps, size_t n,
    const struct timespec *deadline)
{
	atomic_fetch_add(&wake.waiting, 1);
	atomic_thread_fence(memory_order_seq_cst);
	pthread_mutex_lock(&wake.mu);
	while (rings_empty(caps, n))
		if (pthread_cond_timedwait(&wake.cv, &wake.mu, deadline) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&wake.mu);
	atomic_fetch_sub(&wake.waiting, 1);
}

/*
 * Where the next poll starts, so that a budget smaller than the traffic
 * does not always favour caps[0].  Per thread: each consumer has its own.
 */
static _Thread_local size_t poll_next;

size_t
capture_live_poll(struct capture_live **caps, size_t n, capture_handler fn,
    void *arg, size_t budget, int timeout_ms)
{
	struct timespec deadline;
	size_t done = 0, start, k, took, busy;
	bool waited = false;

	if (n == 0 || budget == 0)
		return 0;
	for (;;) {
		start = poll_next++ % n;
		do {
			busy = 0;
			for (k = 0; k < n && done < budget; k++) {
				took = ring_take(caps[(start + k) % n], fn,
				    arg, budget - done < POLL_QUANTUM ?
				    budget - done : POLL_QUANTUM);
				done += took;
				busy += took > 0;
			}
		} while (done < budget && busy > 0);
		if (done > 0 || timeout_ms <= 0 || waited)
			return done;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		wait_for_packets(caps, n, &deadline);
		waited = true;
	}
}

void
capture_live_get_stats(struct capture_live *c, struct capture_live_stats *st)
{
	pthread_mutex_lock(&c->stats_mu);
	st->received = c->base_recv + atomic_load_explicit(&c->ps_recv,
	    memory_order_relaxed);
	st->dropped = c->base_drop + atomic_load_explicit(&c->ps_drop,
	    memory_order_relaxed);
	st->if_dropped = c->base_ifdrop + atomic_load_explicit(&c->ps_ifdrop,
	    memory_order_relaxed);
	st->unread = c->unread;
	pthread_mutex_unlock(&c->stats_mu);
	st->up = atomic_load(&c->up);
	st->ring_dropped = atomic_load_explicit(&c->ring_dropped,
	    memory_order_relaxed);
	st->delivered = atomic_load_explicit(&c->delivered,
	    memory_order_relaxed);
}

int
capture_file_first(const char *path, uint64_t *ts_us)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int rc;

	if ((p = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_MICRO, ebuf)) == NULL)
		return -1;
	rc = pcap_next_ex(p, &h, &data);
	if (rc == 1)
		*ts_us = (uint64_t)h->ts.tv_sec * 1000000 +
		    (uint64_t)h->ts.tv_usec;
	pcap_close(p);
	return rc == 1 ? 0 : -1;
}
