/*
 * test_capture.c - reading capture files, and a live capture on lo.
 *
 * Files written here at run time (with libpcap's own writer) cover the
 * corrupt-record, nanosecond, stop and filter-error paths.  The shared
 * captures in $SVCMAP_PCAPS (skipped when absent) must each read whole,
 * with the packet count of their MANIFEST.md row.  The live check runs
 * only as root and only if lo can be opened.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "svcmap/capture.h"
#include "svcmap/decode.h"
#include "svcmap/transport.h"
#include "tap.h"

#define FRAME_LEN	100
#define REC_LEN		(16 + FRAME_LEN)	/* pcap record header + frame */

/* Ethernet/IPv4/UDP 10.1.0.1:5000 -> 10.1.0.2:5001, `seq` in the payload. */
static void
make_frame(uint8_t f[FRAME_LEN], unsigned seq)
{
	memset(f, 0, FRAME_LEN);
	memset(f, 0x02, 12);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = FRAME_LEN - 14;
	f[22] = 64;
	f[23] = TRANSPORT_UDP;
	f[26] = 10; f[27] = 1; f[28] = 0; f[29] = 1;
	f[30] = 10; f[31] = 1; f[32] = 0; f[33] = 2;
	f[34] = 5000 >> 8; f[35] = 5000 & 0xff;
	f[36] = 5001 >> 8; f[37] = 5001 & 0xff;
	f[39] = FRAME_LEN - 34;
	f[42] = (uint8_t)seq;
}

static const char *
tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && *t != '\0' ? t : "/tmp";
}

/*
 * Write `n` frames to a new pcap file at `path` with the given time stamp
 * precision; packet i is stamped 1700000000 s + i * 1001 us (+ 7 ns in a
 * nanosecond file).  Returns 0 or -1.
 */
static int
write_pcap(const char *path, unsigned n, int precision)
{
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	uint8_t f[FRAME_LEN];
	pcap_t *p;
	unsigned i;

	p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, precision);
	if (p == NULL || (d = pcap_dump_open(p, path)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		make_frame(f, i);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000;
		h.ts.tv_usec = (suseconds_t)(i * 1001);
		if (precision == PCAP_TSTAMP_PRECISION_NANO)
			h.ts.tv_usec = h.ts.tv_usec * 1000 + 7;
		h.caplen = h.len = FRAME_LEN;
		pcap_dump((u_char *)d, &h, f);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

struct collect {
	uint64_t	 n;
	uint64_t	 first_ts, last_ts;
	int		 linktype;
	unsigned	 seq_bad;	/* frames out of order */
	unsigned	 stop_after;	/* set *stop after this many */
	volatile sig_atomic_t *stop;
};

static void
collect_cb(void *arg, const struct captured *c)
{
	struct collect *k = arg;

	if (k->n == 0)
		k->first_ts = c->ts_us;
	k->last_ts = c->ts_us;
	k->linktype = c->linktype;
	if (c->caplen != FRAME_LEN || c->wirelen != FRAME_LEN ||
	    c->data[42] != (uint8_t)k->n)
		k->seq_bad++;
	k->n++;
	if (k->stop != NULL && k->n == k->stop_after)
		*k->stop = 1;
}

static void
test_generated_files(void)
{
	struct capture_file_result res;
	struct collect k;
	char path[512], err[512];
	volatile sig_atomic_t stop = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/svcmap-test-capture-%ld.pcap",
	    tmpdir(), (long)getpid());
	if (write_pcap(path, 10, PCAP_TSTAMP_PRECISION_MICRO) == -1) {
		ok(0, "write a test capture to %s", path);
		return;
	}
	memset(&k, 0, sizeof(k));
	rc = capture_read_file(path, NULL, collect_cb, &k, NULL, &res, err,
	    sizeof(err));
	ok(rc == 0 && res.packets == 10 && !res.corrupt && k.n == 10 &&
	    k.seq_bad == 0, "generated pcap: 10 packets in order");
	is_int(k.linktype, DLT_EN10MB, "linktype from pcap_datalink");
	ok(k.first_ts == 1700000000000000ull &&
	    k.last_ts == 1700000000000000ull + 9 * 1001,
	    "microsecond time stamps");

	/* *stop honoured between packets. */
	memset(&k, 0, sizeof(k));
	k.stop = &stop;
	k.stop_after = 4;
	rc = capture_read_file(path, NULL, collect_cb, &k, &stop, &res, err,
	    sizeof(err));
	ok(rc == 0 && res.packets == 4 && k.n == 4, "stop after 4 packets");

	/* BPF: one that matches, one that does not, one that is wrong. */
	memset(&k, 0, sizeof(k));
	rc = capture_read_file(path, "udp dst port 5001", collect_cb, &k,
	    NULL, &res, err, sizeof(err));
	ok(rc == 0 && res.packets == 10, "filter udp dst port 5001: all");
	rc = capture_read_file(path, "tcp", collect_cb, &k, NULL, &res, err,
	    sizeof(err));
	ok(rc == 0 && res.packets == 0, "filter tcp: none");
	err[0] = '\0';
	rc = capture_read_file(path, "udp port", collect_cb, &k, NULL, &res,
	    err, sizeof(err));
	ok(rc == -1 && strstr(err, "udp port") != NULL,
	    "bad filter -> -1 naming the filter (%s)", err);

	/* Cut in the middle of the 4th record's data, then of its header. */
	if (truncate(path, 24 + 3 * REC_LEN + 16 + FRAME_LEN / 2) == -1) {
		ok(0, "truncate %s: %s", path, strerror(errno));
		unlink(path);
		return;
	}
	memset(&k, 0, sizeof(k));
	err[0] = '\0';
	rc = capture_read_file(path, NULL, collect_cb, &k, NULL, &res, err,
	    sizeof(err));
	ok(rc == -1 && res.corrupt && res.packets == 3 && k.n == 3,
	    "cut record: -1, the 3 packets before delivered");
	ok(strstr(err, path) != NULL &&
	    strstr(err, "corrupt record after 3 packets") != NULL,
	    "cut record message (%s)", err);
	if (truncate(path, 24 + 3 * REC_LEN + 8) == -1) {
		ok(0, "truncate %s: %s", path, strerror(errno));
		unlink(path);
		return;
	}
	memset(&k, 0, sizeof(k));
	rc = capture_read_file(path, NULL, collect_cb, &k, NULL, &res, err,
	    sizeof(err));
	ok(rc == -1 && res.corrupt && res.packets == 3,
	    "cut record header: -1 after 3 packets");
	unlink(path);

	/* Nanosecond file: time stamps come back in microseconds. */
	if (write_pcap(path, 3, PCAP_TSTAMP_PRECISION_NANO) == -1) {
		ok(0, "write a nanosecond capture");
		return;
	}
	memset(&k, 0, sizeof(k));
	rc = capture_read_file(path, NULL, collect_cb, &k, NULL, &res, err,
	    sizeof(err));
	ok(rc == 0 && res.packets == 3 &&
	    k.last_ts == 1700000000000000ull + 2 * 1001,
	    "nanosecond pcap read as microseconds");
	unlink(path);

	err[0] = '\0';
	rc = capture_read_file(path, NULL, collect_cb, &k, NULL, &res, err,
	    sizeof(err));
	ok(rc == -1 && strstr(err, path) != NULL,
	    "missing file -> -1 naming it (%s)", err);
}

/* File name -> packets, from the tables of MANIFEST.md. */
struct manifest {
	char		 name[256];
	uint64_t	 packets;
};

static size_t
split_row(char *line, char **cells, size_t max)
{
	size_t n = 0;
	char *p = line, *bar, *s, *e;

	if (*p != '|')
		return 0;
	p++;
	while (n < max && (bar = strchr(p, '|')) != NULL) {
		*bar = '\0';
		for (s = p; *s == ' '; s++)
			;
		for (e = s + strlen(s); e > s && e[-1] == ' '; e--)
			;
		*e = '\0';
		cells[n++] = s;
		p = bar + 1;
	}
	return n;
}

static size_t
manifest_load(const char *dir, struct manifest *m, size_t max)
{
	char path[1024], line[8192], *cells[32], *end;
	size_t n = 0, ncell, i, col = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/MANIFEST.md", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		ncell = split_row(line, cells, 32);
		for (i = 0; i < ncell; i++)
			if (strcmp(cells[i], "packets") == 0)
				col = i;
		if (col == 0 || ncell <= col)
			continue;
		m[n].packets = strtoull(cells[col], &end, 10);
		if (end == cells[col] || *end != '\0' ||
		    strlen(cells[0]) >= sizeof(m[n].name))
			continue;
		snprintf(m[n].name, sizeof(m[n].name), "%s", cells[0]);
		n++;
	}
	fclose(fp);
	return n;
}

static int
is_capture(const struct dirent *d)
{
	size_t l = strlen(d->d_name);

	return (l > 5 && strcmp(d->d_name + l - 5, ".pcap") == 0) ||
	    (l > 7 && strcmp(d->d_name + l - 7, ".pcapng") == 0);
}

/* Decode every packet of a file and count outcomes. */
struct tally {
	int		 linktype;
	uint64_t	 n;
	uint64_t	 result[DECODE_MALFORMED + 1];
	uint64_t	 reason[DR__COUNT];
	uint64_t	 mismatch;	/* reason and result disagree */
	uint64_t	 tcp4, tcp6, udp4, udp6, icmp, other_ip;
	uint64_t	 port445, port3389;
};

static void
tally_cb(void *arg, const struct captured *c)
{
	struct tally *t = arg;
	enum decode_reason r;
	enum decode_result res;
	struct packet p;

	memset(&p, 0, sizeof(p));
	res = decode_packet(c->linktype, c->data, c->caplen, &p, &r);
	t->linktype = c->linktype;
	t->n++;
	t->result[res]++;
	t->reason[r]++;
	if (decode_reason_result(r) != res)
		t->mismatch++;
	if (res != DECODE_OK)
		return;
	if (p.proto == TRANSPORT_TCP)
		(*(p.ip_version == 4 ? &t->tcp4 : &t->tcp6))++;
	else if (p.proto == TRANSPORT_UDP)
		(*(p.ip_version == 4 ? &t->udp4 : &t->udp6))++;
	else if (p.proto == TRANSPORT_ICMP || p.proto == TRANSPORT_ICMPV6)
		t->icmp++;
	else
		t->other_ip++;
	if (p.proto == TRANSPORT_TCP && (p.sport == 445 || p.dport == 445))
		t->port445++;
	if (p.proto == TRANSPORT_TCP && (p.sport == 3389 || p.dport == 3389))
		t->port3389++;
}

static int
read_tally(const char *dir, const char *name, const char *bpf,
    struct tally *t, struct capture_file_result *res, char *err, size_t elen)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(t, 0, sizeof(*t));
	return capture_read_file(path, bpf, tally_cb, t, NULL, res, err, elen);
}

static void
test_shared_captures(const char *dir)
{
	static struct manifest m[256];
	struct capture_file_result res;
	struct dirent **ents;
	struct tally t;
	char err[1024], path[1024];
	size_t nm, i, j;
	uint64_t sum;
	int nents, k, rc;
	unsigned char magic[4] = { 0 };
	FILE *fp;

	nm = manifest_load(dir, m, 256);
	ok(nm > 0, "MANIFEST.md lists %zu captures", nm);
	nents = scandir(dir, &ents, is_capture, alphasort);
	ok(nents > 0, "%d captures in %s", nents, dir);
	for (k = 0; k < nents; k++) {
		for (j = 0; j < nm; j++)
			if (strcmp(m[j].name, ents[k]->d_name) == 0)
				break;
		rc = read_tally(dir, ents[k]->d_name, NULL, &t, &res, err,
		    sizeof(err));
		sum = 0;
		for (i = 0; i <= DECODE_MALFORMED; i++)
			sum += t.result[i];
		ok(rc == 0 && j < nm && res.packets == m[j].packets &&
		    t.n == res.packets && sum == res.packets &&
		    t.mismatch == 0,
		    "%s: %llu packets as MANIFEST.md says; ok %llu, "
		    "fragment %llu, not IP %llu, truncated %llu, "
		    "malformed %llu", ents[k]->d_name,
		    (unsigned long long)res.packets,
		    (unsigned long long)t.result[DECODE_OK],
		    (unsigned long long)t.result[DECODE_FRAGMENT],
		    (unsigned long long)t.result[DECODE_NOT_IP],
		    (unsigned long long)t.result[DECODE_TRUNCATED],
		    (unsigned long long)t.result[DECODE_MALFORMED]);
		if (rc != 0)
			printf("#   %s\n", err);
		free(ents[k]);
	}
	free(ents);

	/* DLT_NULL: every packet IPv4/TCP with port 3389 (tshark agrees). */
	rc = read_tally(dir, "nDPI__rdp.pcap", NULL, &t, &res, err,
	    sizeof(err));
	is_int(t.linktype, DLT_NULL, "nDPI__rdp.pcap link type is DLT_NULL");
	ok(rc == 0 && t.n == 20 && t.tcp4 == 20 && t.port3389 == 20,
	    "nDPI__rdp.pcap (DLT_NULL): 20 IPv4 TCP 3389 packets");

	/* Protocol mix against tshark 4.0 on the same file. */
	rc = read_tally(dir, "401trg-detections__20171220_smb_psexec_add_user.pcap",
	    NULL, &t, &res, err, sizeof(err));
	ok(rc == 0 && t.tcp4 == 248 && t.tcp6 == 0 && t.udp4 == 48 &&
	    t.udp6 == 15 && t.icmp == 3 && t.result[DECODE_NOT_IP] == 86,
	    "401trg psexec_add_user: tcp 248, udp 48+15 (v6), icmp 3, "
	    "not IP 86 as tshark");

	/* BPF on a mixed file: exactly the packets decode puts on 445. */
	{
		uint64_t want = t.port445;

		rc = read_tally(dir,
		    "401trg-detections__20171220_smb_psexec_add_user.pcap",
		    "tcp port 445", &t, &res, err, sizeof(err));
		ok(rc == 0 && want == 222 && res.packets == 222 &&
		    t.port445 == 222, "tcp port 445 on 401trg psexec: "
		    "222 of 400 packets, all TCP/445 (tshark: 222)");
	}
	rc = read_tally(dir, "zeek__smb__smb3.pcap", "tcp port 445", &t, &res,
	    err, sizeof(err));
	ok(rc == 0 && res.packets == 54 && t.port445 == 54,
	    "tcp port 445 on zeek smb3: 54 packets, all TCP/445");
	rc = read_tally(dir, "zeek__smb__smb3.pcap", "udp", &t, &res, err,
	    sizeof(err));
	ok(rc == 0 && res.packets == 0, "udp on zeek smb3: none");

	/* A pcapng file named .pcap is read by its magic. */
	snprintf(path, sizeof(path), "%s/nDPI__netbios.pcap", dir);
	if ((fp = fopen(path, "rb")) != NULL) {
		if (fread(magic, 1, 4, fp) != 4)
			memset(magic, 0, sizeof(magic));
		fclose(fp);
	}
	rc = read_tally(dir, "nDPI__netbios.pcap", NULL, &t, &res, err,
	    sizeof(err));
	ok(memcmp(magic, "\x0a\x0d\x0d\x0a", 4) == 0 && rc == 0 &&
	    res.packets == 261, "nDPI__netbios.pcap is pcapng: 261 packets");
}

/* Live capture on lo. */
struct live_ctx {
	uint16_t	 port;
	unsigned	 n;
	unsigned	 seen;		/* bit per sequence number */
	unsigned	 bad;
};

static void
live_cb(void *arg, const struct captured *c)
{
	struct live_ctx *x = arg;
	enum decode_reason r;
	struct packet p;
	unsigned seq;

	x->n++;
	if (decode_packet(c->linktype, c->data, c->caplen, &p, &r) !=
	    DECODE_OK || c->source != 7 || p.proto != TRANSPORT_UDP ||
	    p.dport != x->port || p.payload_len != 12 ||
	    memcmp(p.payload, "svcmap-live", 11) != 0) {
		x->bad++;
		return;
	}
	seq = p.payload[11] - '0';
	if (seq < 10)
		x->seen |= 1u << seq;
}

static void
live_send(int s, uint16_t port, unsigned count)
{
	struct sockaddr_in sin;
	char msg[12];
	unsigned i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < count; i++) {
		memcpy(msg, "svcmap-live", 11);
		msg[11] = (char)('0' + i);
		sendto(s, msg, sizeof(msg), 0, (struct sockaddr *)&sin,
		    sizeof(sin));
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sender {
	int		 s;
	uint16_t	 port;
};

static void *
late_sender(void *arg)
{
	struct sender *sd = arg;
	struct timespec ts = { 0, 300 * 1000000L };

	nanosleep(&ts, NULL);
	live_send(sd->s, sd->port, 1);
	return NULL;
}

static void
test_live_lo(void)
{
	struct capture_live_config cfg;
	struct capture_live_stats st;
	struct capture_live *c;
	struct live_ctx x;
	struct sockaddr_in sin;
	struct sender sd;
	socklen_t slen = sizeof(sin);
	pthread_t th;
	char bpf[64], err[512];
	int rx, tx;
	int64_t t0;
	size_t got;

	if (geteuid() != 0) {
		printf("# live capture on lo skipped: not root\n");
		return;
	}
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rx == -1 || tx == -1 ||
	    bind(rx, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(rx, (struct sockaddr *)&sin, &slen) == -1) {
		ok(0, "UDP sockets on 127.0.0.1: %s", strerror(errno));
		return;
	}
	memset(&x, 0, sizeof(x));
	x.port = ntohs(sin.sin_port);
	snprintf(bpf, sizeof(bpf), "udp and dst port %u", x.port);
	memset(&cfg, 0, sizeof(cfg));
	cfg.snaplen = 256;
	cfg.buffer_mb = 2;
	cfg.bpf = bpf;
	cfg.ring_bytes = 64 * 1024;
	if ((c = capture_live_open("lo", &cfg, 7, err, sizeof(err))) == NULL) {
		printf("# live capture on lo skipped: %s\n", err);
		close(rx);
		close(tx);
		return;
	}
	is_str(capture_live_name(c), "lo", "live capture named lo");
	ok(capture_live_start(c, err, sizeof(err)) == 0, "capture thread up");

	/* Nothing sent yet: poll waits out its timeout and returns 0. */
	t0 = now_ms();
	got = capture_live_poll(&c, 1, live_cb, &x, 16, 200);
	ok(got == 0 && now_ms() - t0 >= 190, "empty poll waits ~200 ms, 0");

	live_send(tx, x.port, 5);
	t0 = now_ms();
	while (x.n < 5 && now_ms() - t0 < 5000)
		capture_live_poll(&c, 1, live_cb, &x, 16, 500);
	ok(x.n == 5 && x.bad == 0 && x.seen == 0x1f,
	    "5 UDP datagrams to 127.0.0.1:%u captured and decoded (%u)",
	    x.port, x.n);

	/* A poll asleep is woken by the capture thread, not by its timeout. */
	sd.s = tx;
	sd.port = x.port;
	pthread_create(&th, NULL, late_sender, &sd);
	t0 = now_ms();
	got = capture_live_poll(&c, 1, live_cb, &x, 16, 4000);
	ok(got == 1 && now_ms() - t0 < 2000,
	    "waiting poll woken by a packet after %lld ms",
	    (long long)(now_ms() - t0));
	pthread_join(th, NULL);

	capture_live_stop(c);
	capture_live_get_stats(c, &st);
	ok(st.delivered == 6 && st.ring_dropped == 0 && st.received >= 6,
	    "stats: delivered %llu, received %llu, ring drops %llu",
	    (unsigned long long)st.delivered,
	    (unsigned long long)st.received,
	    (unsigned long long)st.ring_dropped);
	capture_live_close(c);

	/*
	 * Small rings that nobody drains: the rest are counted drops.  Each
	 * datagram is a 54-byte frame, a 72-byte record (16-byte header,
	 * data rounded up to 8).  544 bytes (the least for snaplen 256)
	 * hold 7 with 40 left at the end: the next record there needs a
	 * wrap marker.  584 bytes hold 8 with 8 left: less than a header,
	 * skipped without a marker.  Once drained, three more go round the
	 * end of the buffer and must come out whole and in order.
	 */
	for (size_t r = 0; r < 2; r++) {
		static const struct {
			uint32_t	bytes;
			unsigned	fit;
		} rings[] = { { 544, 7 }, { 584, 8 } };
		struct timespec ts = { 0, 20 * 1000000L };

		cfg.ring_bytes = rings[r].bytes;
		if ((c = capture_live_open("lo", &cfg, 7, err,
		    sizeof(err))) == NULL) {
			ok(0, "reopen lo: %s", err);
			continue;
		}
		x.seen = 0;
		x.n = 0;
		x.bad = 0;
		capture_live_start(c, err, sizeof(err));
		live_send(tx, x.port, 10);
		/* Wait for the capture thread to see all ten. */
		t0 = now_ms();
		do {
			nanosleep(&ts, NULL);
			capture_live_get_stats(c, &st);
		} while (st.ring_dropped < 10 - rings[r].fit &&
		    now_ms() - t0 < 5000);
		got = capture_live_poll(&c, 1, live_cb, &x, 100, 0);
		capture_live_get_stats(c, &st);
		ok(got == rings[r].fit && x.bad == 0 &&
		    x.seen == (1u << rings[r].fit) - 1 &&
		    st.ring_dropped == 10 - rings[r].fit,
		    "%" PRIu32 "-byte ring: the first %u delivered, %u dropped "
		    "(%zu, %llu)", rings[r].bytes, rings[r].fit,
		    10 - rings[r].fit, got,
		    (unsigned long long)st.ring_dropped);

		x.seen = 0;
		x.n = 0;
		live_send(tx, x.port, 3);
		t0 = now_ms();
		while (x.n < 3 && now_ms() - t0 < 5000)
			capture_live_poll(&c, 1, live_cb, &x, 16, 500);
		ok(x.n == 3 && x.bad == 0 && x.seen == 0x7,
		    "%" PRIu32 "-byte ring: 3 more across the end of the "
		    "buffer, whole (%u, %u bad)", rings[r].bytes, x.n, x.bad);
		capture_live_stop(c);
		capture_live_close(c);
	}

	cfg.ring_bytes = 543;
	ok(capture_live_open("lo", &cfg, 7, err, sizeof(err)) == NULL &&
	    strstr(err, "lo") != NULL && strstr(err, "543") != NULL,
	    "a ring smaller than two snaplen packets refused (%s)", err);
	cfg.ring_bytes = 64 * 1024;
	ok(capture_live_open("svcmap-no-such-if0", &cfg, 7, err,
	    sizeof(err)) == NULL && strstr(err, "svcmap-no-such-if0") != NULL,
	    "missing interface refused, named (%s)", err);
	close(rx);
	close(tx);
}

int
main(void)
{
	const char *dir = getenv("SVCMAP_PCAPS");
	struct stat sb;

	test_generated_files();
	if (dir == NULL || stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		printf("# shared captures skipped: $SVCMAP_PCAPS not set or "
		    "absent\n");
	else
		test_shared_captures(dir);
	test_live_lo();
	return tap_done();
}
