/*
 * test_smb_pcaps.c - the SMB parser on the shared captures, checked
 * against tshark per capture and per SMB connection.
 *
 * Each capture is decoded with decode_packet(); every TCP connection with
 * port 445 or 139 on one side (the server) gets an smb_conn, fed each
 * direction's bytes in sequence order (a small out-of-order stash, gaps
 * reported with smb_gap()).  Then, per connection:
 *
 *  - pipes: the set of pipe names the parser opened must equal tshark's
 *    successful opens of named pipes, normalised the same way.  SMB2:
 *    CREATE requests on a share of type 0x02 (smb2.share_type, smb2.filename)
 *    joined by MessageId (smb2.msg_id) with responses of smb2.nt_status 0.
 *    SMB1: NT_CREATE_ANDX responses with smb.file_type 1 or 2 (smb.file).
 *  - binds: the pipe bytes the parser hands out must read as a clean
 *    sequence of DCE/RPC PDUs (version 5.0, frag_length >= 16) on every
 *    pipe whose first client bytes start one, and the abstract syntaxes
 *    of their bind / alter_context PDUs must equal tshark's
 *    dcerpc.cn_bind_to_uuid on that connection.
 *
 *    All three come from one run per capture F:
 *      tshark -n -r F -Y '(smb2.cmd==5) || (smb.cmd==0xa2 &&
 *        smb.flags.response==1 && (smb.file_type==1 || smb.file_type==2))
 *        || (dcerpc.cn_bind_to_uuid && (tcp.port==445 || tcp.port==139))'
 *        -T fields -E separator=/t -e ip.src -e tcp.srcport -e ip.dst
 *        -e tcp.dstport -e smb2.flags.response -e smb2.msg_id
 *        -e smb2.nt_status -e smb2.share_type -e smb2.filename
 *        -e smb.file_type -e smb.file -e dcerpc.cn_bind_to_uuid
 *  - transforms: on zeek__smb__smb3.pcap the count of encrypted messages
 *    equals tshark's  -Y 'smb2.protocol_id == 0xfd534d42' frame count
 *    (one transform per frame there).
 *
 * tshark runs here (it is installed in CI); without it, or without the
 * captures, the test skips.  Arguments replace the list of captures
 * (e.g. every file of the directory, to look for differences).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcmap/addr.h"
#include "svcmap/catalog.h"
#include "svcmap/decode.h"
#include "svcmap/smb.h"
#include "tap.h"

static const char *const captures[] = {
	"elcabezzonn-Pcaps__impacket_psexec.pcap",
	"elcabezzonn-Pcaps__smbexec.pcap",
	"elcabezzonn-Pcaps__remcom.pcap",
	"zeek__dce-rpc__20-fids.pcap",
	"401trg-detections__20171220_smb_net_user.pcap",
	"401trg-detections__20171220_smb_psexec_add_user.pcap",
	"PCAP-ATTACK__LateralMovement__LM_psexec_smb_dcerpc_epm_svcctl.pcapng",
	"PCAP-ATTACK__LateralMovement__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng",
	"suricata-verify__bug-5162__input.pcap",
	"zeek__smb__smb3.pcap",
	"nDPI__smbv1.pcap",
	"zeek__dce-rpc__mapi.pcap",
	"elcabezzonn-Pcaps__cme-smb-chip-douglas.pcap",
	"elcabezzonn-Pcaps__psexec_cmd.pcap",
	"elcabezzonn-Pcaps__schtasks.pcap",
	"elcabezzonn-Pcaps__mimikatz_rpc.pcap",
	"corelight-zerologon__CVE-2020-1472_exploit_win2019.pcap",
	"nDPI__smb_deletefile.pcap",
	"elcabezzonn-Pcaps__capture-Thu-11-24-16-10-28-11_cerber.pcap",
	"elcabezzonn-Pcaps__ultra_lab_03-14.pcap",
	"elcabezzonn-Pcaps__wmi_query.pcap",
	NULL
};

#define KEY_LEN		160
#define STASH_MAX	64
#define RPC_BUF		8192

/* Sets of "connection|value" strings. */
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

/* Print what one set has and the other lacks; returns the count. */
static size_t
set_diff(const struct strset *a, const struct strset *b, const char *what)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		if (!set_has(b, a->v[i])) {
			if (n++ < 10)
				printf("#   %s: %s\n", what, a->v[i]);
		}
	return n;
}

static void
set_free(struct strset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* One pipe's client-to-server bytes, walked as DCE/RPC PDUs. */
struct rpcpipe {
	bool	 used;
	bool	 decided, rpc;
	uint8_t	 buf[RPC_BUF];
	size_t	 have;
};

struct seg {
	uint32_t seq;
	uint32_t len;
	uint8_t	*data;
};

struct tdir {
	bool	 init;
	uint32_t next;
	struct seg stash[STASH_MAX];
	unsigned nstash;
};

struct tconn {
	struct addr	 cli, srv;
	uint16_t	 cport, sport;
	char		 key[96];
	struct smb_conn	*c;
	struct tdir	 d[2];
	struct rpcpipe	 pipes[SMB_DEFAULT_MAX_PIPES];
};

struct run {
	struct smb_parser *p;
	struct tconn	*conns;
	size_t		 n, cap;
	struct tconn	*cur;
	struct strset	 pipes;		/* conn|\name */
	struct strset	 uuids;		/* conn|uuid */
	unsigned	 rpc_pipes;	/* pipes whose bytes start a PDU */
	unsigned	 bad_pdus;
	unsigned	 pdus;
	uint64_t	 encrypted;
};

static void
rpc_walk(struct run *rn, struct rpcpipe *rp)
{
	const uint8_t *b = rp->buf;
	uint16_t flen;
	bool le;
	size_t off, items, i, nts;
	uint8_t uuid[16];
	char text[UUID_STRLEN], key[KEY_LEN];

	while (rp->have >= 16) {
		if (b[0] != 5 || b[1] != 0) {
			rn->bad_pdus++;
			rp->have = 0;
			rp->rpc = false;
			return;
		}
		le = (b[4] & 0x10) != 0;
		flen = le ? (uint16_t)(b[8] | b[9] << 8) :
		    (uint16_t)(b[8] << 8 | b[9]);
		if (flen < 16 || flen > RPC_BUF) {
			rn->bad_pdus++;
			rp->have = 0;
			rp->rpc = false;
			return;
		}
		if (rp->have < flen)
			return;
		rn->pdus++;
		/* bind (11) and alter_context (14): the p_cont_list. */
		if ((b[2] == 11 || b[2] == 14) && flen >= 28) {
			items = b[24];
			off = 28;
			for (i = 0; i < items && off + 24 <= flen; i++) {
				nts = b[off + 2];
				uuid_from_wire(uuid, b + off + 4, le);
				snprintf(key, sizeof(key), "%s|%s",
				    rn->cur->key, uuid_fmt(uuid, text));
				set_add(&rn->uuids, key);
				off += 24 + nts * 20;
			}
		}
		memmove(rp->buf, rp->buf + flen, rp->have - flen);
		rp->have -= flen;
	}
}

static void
s_open(void *arg, const struct smb_pipe *pp)
{
	struct run *rn = arg;
	char key[KEY_LEN];

	snprintf(key, sizeof(key), "%s|%s", rn->cur->key, pp->name);
	set_add(&rn->pipes, key);
	memset(&rn->cur->pipes[pp->slot], 0, sizeof(struct rpcpipe));
	rn->cur->pipes[pp->slot].used = true;
}

static void
s_data(void *arg, const struct smb_pipe *pp, int dir, const uint8_t *d,
    size_t n)
{
	struct run *rn = arg;
	struct rpcpipe *rp = &rn->cur->pipes[pp->slot];
	size_t take;

	if (dir != 0 || !rp->used)
		return;
	if (!rp->decided) {
		rp->decided = true;
		rp->rpc = n >= 2 && d[0] == 5 && d[1] == 0;
		if (rp->rpc)
			rn->rpc_pipes++;
	}
	while (rp->rpc && n > 0) {
		take = sizeof(rp->buf) - rp->have;
		if (take > n)
			take = n;
		memcpy(rp->buf + rp->have, d, take);
		rp->have += take;
		d += take;
		n -= take;
		rpc_walk(rn, rp);
	}
}

static void
s_gap(void *arg, const struct smb_pipe *pp, int dir, size_t n)
{
	struct run *rn = arg;

	(void)n;
	if (dir == 0)
		rn->cur->pipes[pp->slot].rpc = false;
}

static void
s_close(void *arg, const struct smb_pipe *pp)
{
	struct run *rn = arg;

	rn->cur->pipes[pp->slot].used = false;
}

static void
s_encrypted(void *arg, int dir, size_t n)
{
	struct run *rn = arg;

	(void)dir;
	(void)n;
	rn->encrypted++;
}

/* The shipped catalog: its pipe rows name the pipes of unknown trees. */
static struct catalog *cat;

static bool
s_known(void *arg, const char *name)
{
	(void)arg;
	return cat != NULL && catalog_pipe_find(cat, name) >= 0;
}

static struct smb_sink sink = {
	NULL, NULL, s_open, s_data, s_gap, s_close, s_encrypted, s_known,
	NULL
};

static struct tconn *
conn_get(struct run *rn, const struct packet *pkt, int *dir)
{
	struct tconn *t;
	size_t i;
	bool to_srv;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (pkt->dport == 445 || pkt->dport == 139)
		to_srv = true;
	else if (pkt->sport == 445 || pkt->sport == 139)
		to_srv = false;
	else
		return NULL;
	for (i = 0; i < rn->n; i++) {
		t = &rn->conns[i];
		if (to_srv && t->cport == pkt->sport && t->sport == pkt->dport &&
		    addr_eq(&t->cli, &pkt->src) && addr_eq(&t->srv, &pkt->dst)) {
			*dir = 0;
			return t;
		}
		if (!to_srv && t->cport == pkt->dport &&
		    t->sport == pkt->sport && addr_eq(&t->cli, &pkt->dst) &&
		    addr_eq(&t->srv, &pkt->src)) {
			*dir = 1;
			return t;
		}
	}
	if (rn->n == rn->cap) {
		rn->cap = rn->cap ? rn->cap * 2 : 16;
		if ((rn->conns = realloc(rn->conns,
		    rn->cap * sizeof(*rn->conns))) == NULL)
			abort();
	}
	t = &rn->conns[rn->n++];
	memset(t, 0, sizeof(*t));
	t->cli = to_srv ? pkt->src : pkt->dst;
	t->srv = to_srv ? pkt->dst : pkt->src;
	t->cport = to_srv ? pkt->sport : pkt->dport;
	t->sport = to_srv ? pkt->dport : pkt->sport;
	snprintf(t->key, sizeof(t->key), "%s:%u-%s:%u",
	    addr_fmt(&t->cli, a), t->cport, addr_fmt(&t->srv, b), t->sport);
	if ((t->c = smb_conn_create(rn->p)) == NULL)
		abort();
	*dir = to_srv ? 0 : 1;
	return t;
}

/* Feed in sequence order: new bytes only, later segments stashed. */
static void
tcp_data(struct run *rn, struct tconn *t, int dir, uint32_t seq,
    const uint8_t *data, uint32_t len)
{
	struct tdir *d = &t->d[dir];
	uint32_t skip;
	unsigned i, lo;
	bool again;

	if (!d->init) {
		d->init = true;
		d->next = seq;
	}
	if ((int32_t)(seq - d->next) > 0) {
		if (d->nstash == STASH_MAX) {
			/* Give up waiting: the lowest stashed segment next. */
			for (lo = 0, i = 1; i < d->nstash; i++)
				if ((int32_t)(d->stash[i].seq -
				    d->stash[lo].seq) < 0)
					lo = i;
			smb_gap(rn->p, t->c, dir, d->stash[lo].seq - d->next,
			    &sink);
			d->next = d->stash[lo].seq;
		} else {
			d->stash[d->nstash].seq = seq;
			d->stash[d->nstash].len = len;
			if ((d->stash[d->nstash].data = malloc(len)) == NULL)
				abort();
			memcpy(d->stash[d->nstash].data, data, len);
			d->nstash++;
			return;
		}
	}
	skip = d->next - seq;
	if ((int32_t)skip >= 0 && skip < len) {
		rn->cur = t;
		smb_feed(rn->p, t->c, dir, data + skip, len - skip, &sink);
		d->next = seq + len;
	}
	do {
		again = false;
		for (i = 0; i < d->nstash; i++) {
			struct seg s = d->stash[i];

			if ((int32_t)(s.seq - d->next) > 0)
				continue;
			d->stash[i] = d->stash[--d->nstash];
			skip = d->next - s.seq;
			if (skip < s.len) {
				rn->cur = t;
				smb_feed(rn->p, t->c, dir, s.data + skip,
				    s.len - skip, &sink);
				d->next = s.seq + s.len;
			}
			free(s.data);
			again = true;
			break;
		}
	} while (again);
}

static int
run_file(struct run *rn, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct packet pkt;
	enum decode_reason why;
	struct tconn *t;
	pcap_t *pc;
	int lt, dir;
	unsigned i;
	size_t k;

	if ((pc = pcap_open_offline(path, errbuf)) == NULL)
		return -1;
	lt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		memset(&pkt, 0, sizeof(pkt));
		if (decode_packet(lt, data, h->caplen, &pkt, &why) !=
		    DECODE_OK || pkt.proto != 6)
			continue;
		if ((t = conn_get(rn, &pkt, &dir)) == NULL)
			continue;
		if (pkt.tcp_flags & TCP_SYN) {
			t->d[dir].init = true;
			t->d[dir].next = pkt.tcp_seq + 1;
			continue;
		}
		if (pkt.payload_len == 0)
			continue;
		tcp_data(rn, t, dir, pkt.tcp_seq, pkt.payload,
		    pkt.payload_len);
	}
	pcap_close(pc);
	for (k = 0; k < rn->n; k++) {
		for (dir = 0; dir < 2; dir++)
			for (i = 0; i < rn->conns[k].d[dir].nstash; i++)
				free(rn->conns[k].d[dir].stash[i].data);
		smb_conn_destroy(rn->conns[k].c);
	}
	free(rn->conns);
	rn->conns = NULL;
	rn->n = rn->cap = 0;
	return 0;
}

/* Split a tshark field list "a,b,c" into at most max parts, in place. */
static size_t
split(char *s, char sep, char **out, size_t max)
{
	size_t n = 0;

	while (n < max) {
		out[n++] = s;
		if ((s = strchr(s, sep)) == NULL)
			break;
		*s++ = '\0';
	}
	return n;
}

static FILE *
tshark(const char *path, const char *filter, const char *fields)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -Y '%s' -T fields "
	    "-E separator=/t %s 2>/dev/null", path, filter, fields);
	return popen(cmd, "r");
}

static void
conn_key(char *out, size_t len, const char *sip, const char *sport,
    const char *dip, const char *dport)
{
	unsigned sp = (unsigned)atoi(sport), dp = (unsigned)atoi(dport);

	if (dp == 445 || dp == 139)
		snprintf(out, len, "%s:%u-%s:%u", sip, sp, dip, dp);
	else
		snprintf(out, len, "%s:%u-%s:%u", dip, dp, sip, sp);
}

struct req {
	char	 key[KEY_LEN];	/* conn|msgid */
	char	 name[SMB_PIPE_NAME_MAX];
};

/*
 * One tshark pass per capture: SMB2 CREATEs, SMB1 NT_CREATE_ANDX
 * responses on pipes and DCE/RPC binds, told apart by their fields.
 */
static void
tshark_truth(const char *path, struct strset *pipes, struct strset *uuids)
{
	char line[8192], key[KEY_LEN], ck[96], norm[SMB_PIPE_NAME_MAX];
	char *f[16], *ids[16], *st[16], *u[32];
	struct req *reqs = NULL;
	size_t nreq = 0, ni, ns, nu, i, j;
	FILE *fp;

	fp = tshark(path, "(smb2.cmd==5) || (smb.cmd==0xa2 && "
	    "smb.flags.response==1 && (smb.file_type==1 || "
	    "smb.file_type==2)) || (dcerpc.cn_bind_to_uuid && "
	    "(tcp.port==445 || tcp.port==139))",
	    "-e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport "
	    "-e smb2.flags.response -e smb2.msg_id -e smb2.nt_status "
	    "-e smb2.share_type -e smb2.filename -e smb.file_type -e smb.file "
	    "-e dcerpc.cn_bind_to_uuid");
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (split(line, '\t', f, 12) < 12)
			continue;
		conn_key(ck, sizeof(ck), f[0], f[1], f[2], f[3]);
		if (f[11][0] != '\0') {
			nu = split(f[11], ',', u, 32);
			for (i = 0; i < nu; i++) {
				snprintf(key, sizeof(key), "%s|%s", ck, u[i]);
				set_add(uuids, key);
			}
		}
		if (f[9][0] != '\0' && f[10][0] != '\0') {
			smb_pipe_name_normalise(f[10], norm);
			snprintf(key, sizeof(key), "%s|%s", ck, norm);
			set_add(pipes, key);
		}
		if (f[4][0] == '\0' || f[5][0] == '\0')
			continue;
		ni = split(f[5], ',', ids, 16);
		if (f[4][0] == '0') {
			/* A request on a pipe share: remember its name. */
			if (strncmp(f[7], "0x02", 4) != 0 || f[8][0] == '\0')
				continue;
			if ((reqs = realloc(reqs, (nreq + 1) *
			    sizeof(*reqs))) == NULL)
				abort();
			snprintf(reqs[nreq].key, KEY_LEN, "%s|%s", ck, ids[0]);
			smb_pipe_name_normalise(f[8], reqs[nreq].name);
			nreq++;
			continue;
		}
		ns = split(f[6], ',', st, 16);
		for (i = 0; i < ni && i < ns; i++) {
			if (strcmp(st[i], "0x00000000") != 0)
				continue;
			snprintf(key, sizeof(key), "%s|%s", ck, ids[i]);
			for (j = 0; j < nreq; j++)
				if (strcmp(reqs[j].key, key) == 0) {
					snprintf(key, sizeof(key), "%s|%s",
					    ck, reqs[j].name);
					set_add(pipes, key);
					break;
				}
		}
	}
	if (fp != NULL)
		pclose(fp);
	free(reqs);
}

static long
tshark_count(const char *path, const char *filter)
{
	char cmd[8192], line[256];
	long n = 0;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -Y '%s' 2>/dev/null",
	    path, filter);
	if ((fp = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strchr(line, '\n') != NULL)
			n++;
	pclose(fp);
	return n;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("SVCMAP_PCAPS");
	char path[4096];
	struct strset tp, tu;
	struct run rn;
	const struct smb_stats *st;
	const char *const *list;
	size_t i, miss, extra;
	unsigned files = 0;
	long n;

	if (dir == NULL)
		dir = "../shared/pcaps";
	if (system("tshark -v >/dev/null 2>&1") != 0)
		tap_skip_all("tshark not installed");
	snprintf(path, sizeof(path), "%s/%s", dir, captures[0]);
	if (access(path, R_OK) != 0)
		tap_skip_all("shared captures not found");
	list = argc > 1 ? (const char *const *)argv + 1 : captures;
	cat = catalog_open(SVCMAP_SRCDATADIR, NULL, path, sizeof(path));
	ok(cat != NULL, "the shipped catalog loads");
	for (i = 0; list[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]);
		memset(&rn, 0, sizeof(rn));
		memset(&tp, 0, sizeof(tp));
		memset(&tu, 0, sizeof(tu));
		sink.arg = &rn;
		if ((rn.p = smb_parser_create(NULL)) == NULL)
			abort();
		if (run_file(&rn, path) != 0) {
			ok(0, "%s: readable", list[i]);
			smb_parser_destroy(rn.p);
			continue;
		}
		files++;
		tshark_truth(path, &tp, &tu);
		st = smb_parser_stats(rn.p);
		printf("# %s: %zu pipes (tshark %zu), %zu bind uuids (tshark "
		    "%zu), %u rpc pipes, %u pdus, smb1 %llu smb2 %llu "
		    "encrypted %llu invalid %llu truncated %llu\n",
		    list[i], rn.pipes.n, tp.n, rn.uuids.n, tu.n,
		    rn.rpc_pipes, rn.pdus, (unsigned long long)st->smb1,
		    (unsigned long long)st->smb2,
		    (unsigned long long)st->encrypted,
		    (unsigned long long)st->invalid,
		    (unsigned long long)st->truncated);
		miss = set_diff(&tp, &rn.pipes, "pipe tshark has, we lack");
		extra = set_diff(&rn.pipes, &tp, "pipe we have, tshark lacks");
		ok(miss == 0 && extra == 0, "%s: pipes per connection equal "
		    "tshark's (%zu)", list[i], tp.n);
		miss = set_diff(&tu, &rn.uuids, "uuid tshark has, we lack");
		extra = set_diff(&rn.uuids, &tu, "uuid we have, tshark lacks");
		ok(miss == 0 && extra == 0, "%s: bound interfaces per "
		    "connection equal tshark's (%zu)", list[i], tu.n);
		ok(rn.bad_pdus == 0, "%s: pipe bytes read as whole DCE/RPC "
		    "PDUs (%u)", list[i], rn.pdus);
		if (strcmp(list[i], "zeek__smb__smb3.pcap") == 0) {
			n = tshark_count(path, "smb2.protocol_id == 0xfd534d42");
			is_int(rn.encrypted, n, "%s: encrypted messages equal "
			    "tshark's transform frames", list[i]);
			ok(st->smb2 > 0 && rn.pipes.n == 0, "%s: only the "
			    "clear negotiation is parsed", list[i]);
		}
		set_free(&tp);
		set_free(&tu);
		set_free(&rn.pipes);
		set_free(&rn.uuids);
		smb_parser_destroy(rn.p);
	}
	ok(files > 0, "captures read: %u", files);
	catalog_destroy(cat);
	return tap_done();
}
