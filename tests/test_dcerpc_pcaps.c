/*
 * test_dcerpc_pcaps.c - the EPM acceptance test: every shared capture
 * listed in epm_truth.csv (tshark's EPM dissector) is decoded and fed to
 * the DCE/RPC parser; the set of (server ip, port, transport, interface)
 * the parser learns from ept_map/ept_lookup replies must equal the truth
 * set of that file exactly.  Then the follow-up connections: binds on
 * flows to learned endpoints must name the learned interface.
 *
 * Flows fed: TCP/UDP with port 135 or 593 on either side (that side is
 * the server), and TCP flows whose first client payload looks like a bind.
 */
#include <sys/stat.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/dcerpc.h"
#include "svcmap/decode.h"
#include "svcmap/transport.h"
#include "tap.h"

#define MAX_FILES	64
#define MAX_ROWS	4096
#define KEY_LEN		128

struct strset {
	char	(*v)[KEY_LEN];
	size_t	 n, cap;
};

static void
set_add(struct strset *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], key) == 0)
			return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		if ((s->v = realloc(s->v, s->cap * KEY_LEN)) == NULL)
			abort();
	}
	snprintf(s->v[s->n++], KEY_LEN, "%s", key);
}

static bool
set_has(const struct strset *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], key) == 0)
			return true;
	return false;
}

struct tflow {
	struct addr	 cli, srv;
	uint16_t	 cport, sport;
	uint8_t		 proto;
	bool		 rpc;		/* fed to the parser */
	struct dcerpc_flow *f;
};

struct run {
	struct dcerpc_parser	*p;
	struct tflow		*flows;
	size_t			 nflows, cap;
	struct strset		 learned;	/* ip,port,transport,uuid */
	struct strset		 binds_on_learned; /* ip,port,uuid of binds */
	unsigned		 follow_binds;	/* binds matching a learned endpoint */
	const struct tflow	*cur;		/* flow being fed */
	int			 cur_dir;
};

static const char *
ep_transport_name(uint8_t t)
{
	return t == TRANSPORT_TCP ? "tcp" : t == TRANSPORT_UDP ? "udp" :
	    t == ENDPOINT_TRANSPORT_HTTP ? "http" : "?";
}

static void
on_endpoint(void *arg, const struct dcerpc_endpoint *ep)
{
	struct run *r = arg;
	char ip[ADDR_STRLEN], u[UUID_STRLEN], key[KEY_LEN];
	const struct addr *a;

	if (ep->source != EP_SOURCE_EPT_MAP && ep->source != EP_SOURCE_EPT_LOOKUP)
		return;
	/* The responder is the sender of the reply being fed. */
	a = ep->has_addr && !addr_is_unspecified(&ep->addr) ? &ep->addr :
	    r->cur_dir == 1 ? &r->cur->srv : &r->cur->cli;
	snprintf(key, sizeof(key), "%s,%u,%s,%s", addr_fmt(a, ip), ep->port,
	    ep_transport_name(ep->transport), uuid_fmt(ep->uuid, u));
	set_add(&r->learned, key);
}

static void
on_bound(void *arg, const uint8_t uuid[16], uint16_t maj, uint16_t min)
{
	struct run *r = arg;
	char ip[ADDR_STRLEN], u[UUID_STRLEN], key[KEY_LEN];

	(void)maj;
	(void)min;
	snprintf(key, sizeof(key), "%s,%u,tcp,%s", addr_fmt(&r->cur->srv, ip),
	    r->cur->sport, uuid_fmt(uuid, u));
	if (set_has(&r->learned, key)) {
		r->follow_binds++;
		set_add(&r->binds_on_learned, key);
	}
}

static struct tflow *
flow_get(struct run *r, const struct packet *pkt, int *dir, bool *is_new)
{
	struct tflow *t;
	size_t i;

	*is_new = false;
	for (i = 0; i < r->nflows; i++) {
		t = &r->flows[i];
		if (t->proto != pkt->proto)
			continue;
		if (t->cport == pkt->sport && t->sport == pkt->dport &&
		    addr_eq(&t->cli, &pkt->src) && addr_eq(&t->srv, &pkt->dst)) {
			*dir = 0;
			return t;
		}
		if (t->sport == pkt->sport && t->cport == pkt->dport &&
		    addr_eq(&t->srv, &pkt->src) && addr_eq(&t->cli, &pkt->dst)) {
			*dir = 1;
			return t;
		}
	}
	if (r->nflows == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		if ((r->flows = realloc(r->flows, r->cap * sizeof(*t))) == NULL)
			abort();
	}
	t = &r->flows[r->nflows++];
	memset(t, 0, sizeof(*t));
	t->proto = pkt->proto;
	*is_new = true;
	/* Port 135/593 is the server; otherwise the sender is the client. */
	if (pkt->sport == 135 || pkt->sport == 593) {
		t->srv = pkt->src, t->sport = pkt->sport;
		t->cli = pkt->dst, t->cport = pkt->dport;
		*dir = 1;
	} else {
		t->cli = pkt->src, t->cport = pkt->sport;
		t->srv = pkt->dst, t->sport = pkt->dport;
		*dir = 0;
	}
	return t;
}

static void
run_reset(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nflows; i++)
		dcerpc_flow_destroy(r->flows[i].f);
	r->nflows = 0;
	r->learned.n = 0;
	r->binds_on_learned.n = 0;
	r->follow_binds = 0;
}

static int
run_file(struct run *r, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct dcerpc_sink sink = { r, on_bound, on_endpoint, NULL };
	struct pcap_pkthdr *h;
	const u_char *data;
	struct packet pkt;
	enum decode_reason why;
	struct tflow *t;
	pcap_t *pc;
	int dir, lt;
	bool is_new, rpc_port;

	if ((pc = pcap_open_offline(path, errbuf)) == NULL)
		return -1;
	lt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		memset(&pkt, 0, sizeof(pkt));
		pkt.cap_len = h->caplen;
		pkt.wire_len = h->len;
		if (decode_packet(lt, data, h->caplen, &pkt, &why) != DECODE_OK)
			continue;
		if (pkt.proto != TRANSPORT_TCP && pkt.proto != TRANSPORT_UDP)
			continue;
		rpc_port = pkt.sport == 135 || pkt.dport == 135 ||
		    pkt.sport == 593 || pkt.dport == 593;
		/* A SYN starts a new connection on a reused 5-tuple. */
		if (pkt.proto == TRANSPORT_TCP &&
		    (pkt.tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
			t = flow_get(r, &pkt, &dir, &is_new);
			dcerpc_flow_destroy(t->f);
			t->f = NULL;
			t->rpc = false;
			if (!is_new) {	/* re-orient from the SYN */
				t->cli = pkt.src, t->cport = pkt.sport;
				t->srv = pkt.dst, t->sport = pkt.dport;
			}
			continue;
		}
		if (pkt.payload_len == 0)
			continue;
		t = flow_get(r, &pkt, &dir, &is_new);
		if (t->f == NULL) {
			if (!rpc_port && (dir != 0 || pkt.proto != TRANSPORT_TCP ||
			    !dcerpc_looks_like_bind(pkt.payload, pkt.payload_len)))
				continue;
			if ((t->f = dcerpc_flow_create(r->p)) == NULL)
				abort();
		}
		r->cur = t;
		r->cur_dir = dir;
		if (pkt.proto == TRANSPORT_TCP)
			dcerpc_tcp(r->p, t->f, dir, pkt.tcp_seq, pkt.payload,
			    pkt.payload_len, &sink);
		else
			dcerpc_udp(r->p, t->f, dir, pkt.payload,
			    pkt.payload_len, &sink);
	}
	pcap_close(pc);
	return 0;
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Binds on follow-up flows that must land on a learned endpoint (counts
 * of abstract syntaxes in bind PDUs, from tshark): the psexec client
 * offers svcctl twice in one bind (NDR and NDR64); in mapi only one of
 * the two 1032 connections starts after the ept_map that announced it.
 */
static const struct {
	const char	*file;
	unsigned	 binds;
	const char	*key;
} follow[] = {
	{ "corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap", 21,
	  "172.16.5.58,49668,tcp,12345678-1234-abcd-ef00-01234567cffb" },
	{ "corelight-zerologon__CVE-2020-1472_test_win2016.pcap", 781,
	  "172.16.5.59,49670,tcp,12345678-1234-abcd-ef00-01234567cffb" },
	{ "elcabezzonn-Pcaps__mimikatz_rpc.pcap", 1,
	  "192.168.1.195,49231,tcp,17fc11e9-c258-4b8d-8d07-2f4125156244" },
	{ "PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng", 2,
	  "172.16.66.36,49688,tcp,367abb81-9844-35f1-ad32-98f038001003" },
	{ "zeek__dce-rpc__mapi.pcap", 3,
	  "192.168.0.2,4997,tcp,f5cc5a18-4264-101a-8c59-08002b2f8426" },
};

int
main(void)
{
	static char files[MAX_FILES][256];
	static struct strset truth[MAX_FILES];
	struct dcerpc_config cfg = { 65535, 1u << 20 };
	const char *dir = getenv("SVCMAP_PCAPS");
	char path[1024], line[1024], key[KEY_LEN];
	char *fld[8], *s;
	struct stat sb;
	struct run r;
	size_t nfiles = 0, i, j, k;
	FILE *fp;
	bool same;

	if (dir == NULL || stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		tap_skip_all("SVCMAP_PCAPS: shared captures not available");
	/* With the captures, the truth table is part of them: no skip. */
	snprintf(path, sizeof(path), "%s/epm_truth.csv", dir);
	if ((fp = fopen(path, "r")) == NULL) {
		printf("Bail out! %s missing from the shared captures\n", path);
		return 1;
	}
	/* file,frame,server_ip,port,transport,interface_uuid,... */
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "file,", 5) == 0)
			continue;
		for (k = 0, s = line; k < 8 && s != NULL; k++)
			fld[k] = strsep(&s, ",");
		if (k < 8)
			continue;
		for (i = 0; i < nfiles && strcmp(files[i], fld[0]) != 0; i++)
			;
		if (i == nfiles) {
			if (nfiles == MAX_FILES)
				break;
			snprintf(files[nfiles++], sizeof(files[0]), "%s", fld[0]);
		}
		/* An empty server_ip (undecoded floor 5) is the responder. */
		snprintf(key, sizeof(key), "%s,%s,%s,%s",
		    *fld[2] != '\0' ? fld[2] : fld[7], fld[3], fld[4], fld[5]);
		set_add(&truth[i], key);
	}
	fclose(fp);

	memset(&r, 0, sizeof(r));
	if ((r.p = dcerpc_parser_create(&cfg)) == NULL)
		abort();
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		run_reset(&r);
		if (run_file(&r, path) != 0) {
			ok(0, "%s: readable", files[i]);
			continue;
		}
		qsort(r.learned.v, r.learned.n, KEY_LEN, cmp_key);
		qsort(truth[i].v, truth[i].n, KEY_LEN, cmp_key);
		same = r.learned.n == truth[i].n;
		for (j = 0; same && j < r.learned.n; j++)
			same = strcmp(r.learned.v[j], truth[i].v[j]) == 0;
		ok(same, "%s: %zu learned endpoints equal the EPM truth (%zu)",
		    files[i], r.learned.n, truth[i].n);
		if (!same) {
			for (j = 0; j < r.learned.n; j++)
				if (!set_has(&truth[i], r.learned.v[j]))
					printf("#   extra   %s\n", r.learned.v[j]);
			for (j = 0; j < truth[i].n; j++)
				if (!set_has(&r.learned, truth[i].v[j]))
					printf("#   missing %s\n", truth[i].v[j]);
		}
		for (j = 0; j < sizeof(follow) / sizeof(follow[0]); j++) {
			if (strcmp(follow[j].file, files[i]) != 0)
				continue;
			is_int(r.follow_binds, follow[j].binds,
			    "%s: binds on follow-up flows to learned endpoints",
			    files[i]);
			ok(set_has(&r.binds_on_learned, follow[j].key),
			    "%s: follow-up bind names %s", files[i],
			    follow[j].key);
		}
	}
	run_reset(&r);
	ok(dcerpc_parser_stats(r.p)->epm_replies > 0, "EPM replies parsed: %llu",
	    (unsigned long long)dcerpc_parser_stats(r.p)->epm_replies);
	free(r.flows);
	free(r.learned.v);
	free(r.binds_on_learned.v);
	for (i = 0; i < nfiles; i++)
		free(truth[i].v);
	dcerpc_parser_destroy(r.p);
	return tap_done();
}
