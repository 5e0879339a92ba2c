/*
 * capture.h - packets in: capture files, or live interfaces through libpcap.
 *
 * Offline, one file is read at a time on the calling thread and every
 * packet goes to the handler (file order is packet order).  Live, each
 * interface has a capture thread (TPACKET_V3 ring through libpcap, BPF
 * filter, promiscuous) that copies packets into a preallocated
 * single-producer/single-consumer byte ring (each packet takes its
 * captured length, not the snap length); the classifier thread takes them
 * out with capture_live_poll().  A full ring drops the packet and counts
 * it: the capture thread never waits on the classifier.
 */
#ifndef SVCMAP_CAPTURE_H
#define SVCMAP_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One captured frame as the handler sees it. */
struct captured {
	uint64_t	 ts_us;		/* capture time, microseconds */
	uint32_t	 caplen;
	uint32_t	 wirelen;
	int		 linktype;	/* DLT_* of its source */
	int		 source;	/* interface index for live, 0 offline */
	const uint8_t	*data;		/* valid until the handler returns */
};

typedef void (*capture_handler)(void *arg, const struct captured *pkt);

struct capture_file_result {
	uint64_t	packets;	/* records delivered */
	bool		corrupt;	/* reading stopped at a bad record */
	int		linktype;	/* the file's DLT_*, -1 if not opened */
};

/**
 * Read a pcap or pcapng file (format from its magic, never its name),
 * delivering each packet, optionally through a BPF filter.  Stops early
 * if *stop becomes true (stop may be NULL; res may be NULL).
 * @return: 0 when the whole file was read; -1 with err set when it cannot
 *   be opened or a record is corrupt (packets delivered before the bad
 *   record stay delivered: res->packets counts them).
 */
int	capture_read_file(const char *path, const char *bpf,
	    capture_handler fn, void *arg, volatile sig_atomic_t *stop,
	    struct capture_file_result *res, char *err, size_t errlen);

/**
 * The time of the first packet of a capture file, to read many files in
 * time order (svcmapd -r).
 * @return: 0 with *ts_us in microseconds, or -1 (unreadable or empty).
 */
int	capture_file_first(const char *path, uint64_t *ts_us);

/** libpcap's name of a DLT_* value ("EN10MB"), or "unknown"; static. */
const char *capture_linktype_name(int linktype);

/* Longest BPF filter a live handle keeps for reopening (config's bound). */
#define CAPTURE_BPF_MAX		4096

struct capture_live_config {
	uint32_t	snaplen;	/* bytes per packet captured */
	uint32_t	buffer_mb;	/* kernel ring size, MiB */
	bool		promisc;
	const char	*bpf;		/* NULL: everything */
	/* The handoff ring's size: at least twice a packet of snaplen
	 * bytes and its header, else the open fails. */
	uint32_t	ring_bytes;
};

struct capture_live_stats {
	uint64_t	received;	/* pcap_stats ps_recv */
	uint64_t	dropped;	/* ps_drop: kernel buffer full */
	uint64_t	if_dropped;	/* ps_ifdrop: interface/driver */
	uint64_t	ring_dropped;	/* our handoff ring full */
	/* Taken by the kernel but not read before the capture stopped
	 * (capture_live_stop() reads the kernel ring first, within 1 s). */
	uint64_t	unread;
	uint64_t	delivered;	/* taken by the classifier */
	bool		up;		/* the handle captures */
};

struct capture_live;

/**
 * Open an interface (needs root or CAP_NET_RAW: call before dropping
 * privileges).  No packet is read until capture_live_start().
 * @return: the handle, or NULL with err set.
 */
struct capture_live *capture_live_open(const char *iface,
	    const struct capture_live_config *cfg, int source,
	    char *err, size_t errlen);
/** Start the capture thread.  Returns 0 or -1 with err. */
int	capture_live_start(struct capture_live *c, char *err, size_t errlen);
/**
 * Stop the thread (returns once it has joined); the ring keeps its
 * packets.  A handle that still captures first reads what the kernel
 * holds, until it has been quiet for a block timeout (about 0.15 s,
 * at most 1 s); what it could not read is counted as unread.
 */
void	capture_live_stop(struct capture_live *c);
void	capture_live_close(struct capture_live *c);
/**
 * Whether the handle still captures: false once it failed (the
 * interface was deleted or went down), until capture_live_reopen().
 * Any thread.
 */
bool	capture_live_up(struct capture_live *c);
/**
 * Open a failed handle's interface again with the same settings and
 * restart its thread (the ring and the counters carry on; received and
 * dropped add up across handles).  Needs the capture rights of
 * capture_live_open().  Control thread only; 0 if already up.
 * @return: 0, or -1 with err set (still down: try again later).
 */
int	capture_live_reopen(struct capture_live *c, char *err, size_t errlen);
const char *capture_live_name(const struct capture_live *c);

/**
 * Deliver up to `budget` packets waiting in the rings of caps[0..n-1] to fn
 * (round robin).  Waits at most timeout_ms for the first one.
 * @return: packets delivered (0 on timeout).
 */
size_t	capture_live_poll(struct capture_live **caps, size_t n,
	    capture_handler fn, void *arg, size_t budget, int timeout_ms);

/** Counters of one interface (pcap_stats plus ring drops). */
void	capture_live_get_stats(struct capture_live *c,
	    struct capture_live_stats *st);

#endif /* SVCMAP_CAPTURE_H */
