/*
 * test_dpi.c - nDPI verdicts on real captures, against ndpiReader.
 *
 * Each capture goes through decode, a minimal 5-tuple map kept here (the
 * flow table has its own test) and dpi, the way the engine drives it:
 * packets until dpi_process() decides or the cap, then dpi_giveup(), and
 * flows still undecided at the end of the file give up too, as ndpiReader
 * does.  The expected counts are ndpiReader 4.2's "Detected protocols" on
 * the same files (`ndpiReader -i FILE -v 1`); guessed counts are its
 * "Confidence: Match by port" flows.
 */
#include <sys/stat.h>

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "svcmap/catalog.h"
#include "svcmap/decode.h"
#include "svcmap/dpi.h"

#include "tap.h"

/* reader_util.c's caps: packets per flow before giving up. */
#define CAP_TCP 80
#define CAP_UDP 24

#define MAX_FLOWS 4096
#define MAX_NAMES 16

/* nDPI allocations not yet freed, through its allocator hooks. */
static long ndpi_live;

static void *
count_malloc(size_t size)
{
	void *p = malloc(size);

	if (p != NULL)
		ndpi_live++;
	return p;
}

static void
count_free(void *p)
{
	if (p != NULL)
		ndpi_live--;
	free(p);
}

struct tflow {
	uint8_t			 proto;
	uint16_t		 vlan;
	struct addr		 a, b;	/* endpoints, lower (addr, port) first */
	uint16_t		 pa, pb;
	unsigned		 pkts;
	struct dpi_flow		*st;
	bool			 done;
	struct dpi_result	 res;
};

struct run {
	struct tflow	 flows[MAX_FLOWS];
	unsigned	 nflows;
	unsigned	 creates, destroys, live_max;
	unsigned	 by_process, guessed;
	unsigned	 by_payload;	/* named, not guessed: ndpiReader's DPI */
	unsigned	 cap;		/* 0: reader_util's caps */
	unsigned	 port88, port88_kerberos;
	struct {
		const char	*name;
		unsigned	 flows;
	} names[MAX_NAMES];
	unsigned	 nnames;
};

static int
endpoint_cmp(const struct addr *x, uint16_t xp, const struct addr *y,
    uint16_t yp)
{
	int c = addr_cmp(x, y);

	return c != 0 ? c : (xp > yp) - (xp < yp);
}

static struct tflow *
tflow_get(struct run *r, const struct packet *p)
{
	const struct addr *a = &p->src, *b = &p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	struct tflow *f;
	unsigned i;

	if (endpoint_cmp(a, pa, b, pb) > 0) {
		a = &p->dst;
		b = &p->src;
		pa = p->dport;
		pb = p->sport;
	}
	for (i = 0; i < r->nflows; i++) {
		f = &r->flows[i];
		if (f->proto == p->proto && f->vlan == p->vlan &&
		    f->pa == pa && f->pb == pb && addr_eq(&f->a, a) &&
		    addr_eq(&f->b, b))
			return f;
	}
	if (r->nflows == MAX_FLOWS)
		return NULL;
	f = &r->flows[r->nflows++];
	f->proto = p->proto;
	f->vlan = p->vlan;
	f->a = *a;
	f->b = *b;
	f->pa = pa;
	f->pb = pb;
	return f;
}

static void
tflow_finish(struct run *r, struct tflow *f)
{
	dpi_flow_destroy(f->st);
	f->st = NULL;
	f->done = true;
	r->destroys++;
	if (f->res.guessed)
		r->guessed++;
	else if (f->res.app != 0 || f->res.master != 0)
		r->by_payload++;
}

static void
tally(struct run *r, struct dpi *d)
{
	const char *name;
	unsigned i, j;

	for (i = 0; i < r->nflows; i++) {
		name = dpi_result_name(d, &r->flows[i].res);
		if (r->flows[i].pa == 88 || r->flows[i].pb == 88) {
			r->port88++;
			r->port88_kerberos += strcmp(name, "Kerberos") == 0;
		}
		for (j = 0; j < r->nnames; j++)
			if (strcmp(r->names[j].name, name) == 0)
				break;
		if (j == r->nnames) {
			if (r->nnames == MAX_NAMES)
				continue;
			r->names[r->nnames++].name = name;
		}
		r->names[j].flows++;
	}
}

static unsigned
flows_named(const struct run *r, const char *name)
{
	unsigned i;

	for (i = 0; i < r->nnames; i++)
		if (strcmp(r->names[i].name, name) == 0)
			return r->names[i].flows;
	return 0;
}

/* Run one capture; false if it cannot be read. */
static bool
run_file(struct dpi *d, const char *dir, const char *file, struct run *r)
{
	char path[4096], errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	enum decode_reason why;
	struct dpi_result res;
	struct packet p;
	struct tflow *f;
	unsigned cap, live = 0, i;
	pcap_t *pc;
	int linktype;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	/*
	 * The directory is there (main checked): a capture this test names
	 * must be too, or it would silently check less.
	 */
	if ((pc = pcap_open_offline(path, errbuf)) == NULL) {
		ok(0, "%s: capture readable (%s)", file, errbuf);
		return false;
	}
	linktype = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		memset(&p, 0, sizeof(p));
		p.ts_us = (uint64_t)h->ts.tv_sec * 1000000 +
		    (uint64_t)h->ts.tv_usec;
		p.wire_len = h->len;
		p.cap_len = h->caplen;
		if (decode_packet(linktype, data, h->caplen, &p, &why) !=
		    DECODE_OK)
			continue;
		if ((f = tflow_get(r, &p)) == NULL || f->done)
			continue;
		if (f->pkts == 0) {
			if ((f->st = dpi_flow_create(d)) == NULL) {
				f->done = true;
				continue;
			}
			r->creates++;
			if (++live > r->live_max)
				r->live_max = live;
		}
		f->pkts++;
		cap = r->cap != 0 ? r->cap :
		    p.proto == TRANSPORT_UDP ? CAP_UDP : CAP_TCP;
		if (dpi_process(d, f->st, &p, &res)) {
			f->res = res;
			r->by_process++;
		} else if (f->pkts >= cap)
			dpi_giveup(d, f->st, &f->res);
		else
			continue;
		tflow_finish(r, f);
		live--;
	}
	pcap_close(pc);
	/* End of capture: what is still undecided gives up now. */
	for (i = 0; i < r->nflows; i++) {
		f = &r->flows[i];
		if (f->st == NULL)
			continue;
		dpi_giveup(d, f->st, &f->res);
		tflow_finish(r, f);
	}
	tally(r, d);
	return true;
}

static void
show(const char *file, const struct run *r)
{
	unsigned i;

	printf("# %s: %u flows, %u decided early, %u from payload, "
	    "%u guessed:", file, r->nflows, r->by_process, r->by_payload,
	    r->guessed);
	for (i = 0; i < r->nnames; i++)
		printf(" %s=%u", r->names[i].name, r->names[i].flows);
	printf("\n");
}

static void
test_names(struct dpi *d)
{
	struct dpi_result res = { 0, 0, false };

	is_str(dpi_result_name(d, &res), "Unknown", "no verdict is Unknown");
	res.app = NDPI_PROTOCOL_KERBEROS;
	is_str(dpi_result_name(d, &res), "Kerberos", "app protocol name");
	res.master = NDPI_PROTOCOL_TLS;
	res.app = 0;
	is_str(dpi_result_name(d, &res), "TLS", "master name when no app");
	res.app = NDPI_PROTOCOL_GOOGLE;
	is_str(dpi_result_name(d, &res), "Google", "app is more specific");
	is_str(dpi_proto_name(d, NDPI_PROTOCOL_SMBV23), "SMBv23",
	    "nDPI 4.2 names SMB2/3 SMBv23");
	is_int(dpi_flow_size(), SIZEOF_FLOW_STRUCT,
	    "flow state is one nDPI flow struct");
}

/* A flow that never saw a packet has nothing to guess from. */
static void
test_giveup_empty(struct dpi *d)
{
	struct dpi_result res = { 7, 7, true };
	struct dpi_flow *f = dpi_flow_create(d);

	ok(f != NULL, "flow state allocated");
	dpi_giveup(d, f, &res);
	ok(res.master == 0 && res.app == 0 && !res.guessed,
	    "giveup without packets: unknown, not guessed");
	dpi_flow_destroy(f);
}

int
main(void)
{
	static struct run r;
	const char *dir = getenv("SVCMAP_PCAPS");
	struct stat sb;
	struct dpi *d;

	if (dir == NULL || stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		tap_skip_all("SVCMAP_PCAPS: shared captures not available");

	/* Before any nDPI call: the hooks are process-wide. */
	set_ndpi_malloc(count_malloc);
	set_ndpi_free(count_free);
	if ((d = dpi_create()) == NULL) {
		ok(0, "dpi_create");
		return tap_done();
	}
	test_names(d);
	test_giveup_empty(d);

	/*
	 * Only payload packets of Kerberos, LDAP and SMB2 sessions; half the
	 * flows are decided by port at giveup (ndpiReader: 11 DPI, 23 by
	 * port, 2 unknown).
	 */
	memset(&r, 0, sizeof(r));
	if (run_file(d, dir, "nDPI__kerberos.pcap", &r)) {
		show("kerberos", &r);
		is_int(r.nflows, 36, "kerberos: 36 flows (ndpiReader)");
		is_int(r.port88, 24, "kerberos: 24 flows on port 88");
		is_int(r.port88_kerberos, 24, "kerberos: port 88 is Kerberos");
		is_int(flows_named(&r, "Kerberos"), 24, "kerberos: Kerberos 24");
		is_int(flows_named(&r, "LDAP"), 7, "kerberos: LDAP 7");
		is_int(flows_named(&r, "SMBv23"), 3, "kerberos: SMBv23 3");
		is_int(flows_named(&r, "Unknown"), 2, "kerberos: Unknown 2");
		is_int(r.guessed, 23, "kerberos: 23 guessed by port");
		is_int(r.by_payload, 11, "kerberos: 11 named from payload");
		ok(r.by_process > 0 && r.by_process < 11,
		    "kerberos: some wait for the reply (extra dissection)");
		is_int(r.creates, r.destroys, "kerberos: every state freed");
		ok(r.live_max < r.creates,
		    "kerberos: decided flows freed before the end");
	}

	memset(&r, 0, sizeof(r));
	if (run_file(d, dir, "zeek__smb__smb3.pcap", &r)) {
		show("smb3", &r);
		is_int(r.nflows, 1, "smb3: one flow");
		is_int(flows_named(&r, "SMBv23"), 1, "smb3: SMBv23 by DPI");
		is_int(r.by_process, 1, "smb3: decided by DPI");
	}

	memset(&r, 0, sizeof(r));
	if (run_file(d, dir, "zeek__ldap__aduser1.pcap", &r)) {
		show("ldap", &r);
		is_int(flows_named(&r, "LDAP"), 1, "ldap: LDAP 1");
		is_int(flows_named(&r, "Kerberos"), 2, "ldap: Kerberos 2");
		is_int(flows_named(&r, "SMBv23"), 1, "ldap: SMBv23 1");
		is_int(r.guessed, 1, "ldap: one guessed by port");
	}

	memset(&r, 0, sizeof(r));
	if (run_file(d, dir, "nDPI__rdp.pcap", &r)) {
		show("rdp", &r);
		is_int(r.nflows, 1, "rdp: one flow");
		is_int(flows_named(&r, "RDP"), 1, "rdp: RDP by DPI");
		is_int(r.guessed, 0, "rdp: nothing guessed");
	}

	memset(&r, 0, sizeof(r));
	if (run_file(d, dir, "zeek__ntp__NTP_sync.pcap", &r)) {
		show("ntp", &r);
		is_int(flows_named(&r, "NTP"), 15, "ntp: NTP 15");
		is_int(flows_named(&r, "DNS"), 1, "ntp: DNS 1");
		is_int(r.by_process, 16, "ntp: all decided by DPI");
	}

	/*
	 * Give up after one packet: flows DPI cannot name from their first
	 * packet still get the port's protocol, flagged as guessed.
	 */
	memset(&r, 0, sizeof(r));
	r.cap = 1;
	if (run_file(d, dir, "nDPI__kerberos.pcap", &r)) {
		show("kerberos, cap 1", &r);
		is_int(r.port88_kerberos, 24,
		    "cap 1: port 88 flows still Kerberos via giveup");
		is_int(r.by_process, 0, "cap 1: every verdict came from giveup");
		is_int(r.guessed, 23, "cap 1: port guesses flagged as guessed");
		is_int(r.creates, r.destroys, "cap 1: every state freed");
	}

	dpi_destroy(d);
	is_int(ndpi_live, 0, "nDPI freed all it allocated");
	return tap_done();
}
