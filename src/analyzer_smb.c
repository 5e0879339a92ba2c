/*
 * analyzer_smb.c - SMB on 445/tcp and 139/tcp as an analyzer: the RPC
 * that named pipes carry, charged to the pipe's service.
 *
 * Attaches to every monitored TCP flow to port 445 or 139.  Each
 * direction's payload goes through TCP sequence tracking (tcpseq.h) to
 * the SMB parser (smb.h), which hands out the bytes of each named pipe;
 * those go to a DCE/RPC stream parser of the pipe's own (dcerpc_stream()),
 * whose binds name the interface.
 *
 * A pipe that carried data gets an evidence record (flow.h), method
 * pipe, identified by its name and the interface bound on it: the bound
 * interface names the service, else the catalog's pipe row
 * (classify_evidence()).  A pipe that neither names leaves its bytes with
 * the session's own row (`server`): nothing documents it.  The packets
 * whose SMB messages carried a pipe's bytes (smb_feed()'s verdict) are
 * charged to the pipe's record; the rest of the session (negotiate,
 * session setup, tree connects, creates, file I/O) stays with the flow.
 *
 * A pipe gets a DCE/RPC parser when the catalog names it (\svcctl) or
 * its first bytes are a client's bind; the others (PsExec's \psexesvc,
 * RemCom's pipes) carry their tools' own protocols.
 *
 * The session's SMB version and dialect, and its count of encrypted SMB3
 * messages, go on the flow (flow.h), which every row of the session
 * carries: the dialect on the pipe rows as on the session's own, the
 * encrypted count on the session's own row (nothing of an encrypted
 * message is known to be a pipe's).
 *
 * State per connection: the SMB parser's, the sequence tracking, and a
 * DCE/RPC parser state for at most SMB_RPC_PIPES pipes open at once (one
 * allocation per pipe opened, never per packet; pipes beyond the bound
 * are counted and keep only their name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/analyzer.h"
#include "svcmap/catalog.h"
#include "svcmap/classify.h"
#include "svcmap/config.h"
#include "svcmap/dcerpc.h"
#include "svcmap/decode.h"
#include "svcmap/engine.h"
#include "svcmap/flow.h"
#include "svcmap/names.h"
#include "svcmap/smb.h"
#include "svcmap/stats.h"
#include "svcmap/tcpseq.h"
#include "svcmap/transport.h"

/* DCE/RPC parser states per connection: pipes open at once. */
#define SMB_RPC_PIPES	8

/* One pipe slot of the SMB parser (struct smb_pipe.slot). */
struct smb_pipe_st {
	struct dcerpc_flow	*rpc;	/* NULL: no parser (bound hit) */
	char		 name[SMB_PIPE_NAME_MAX];
	bool		 has_uuid;	/* latest interface bound on it */
	uint16_t	 ver_major;
	uint8_t		 uuid[16];
	bool		 stale;		/* identity changed: find its record */
	bool		 seen;		/* it carried data */
	int		 rec;		/* evidence record, 0 none yet */
};

struct smb_flow_st {
	struct smb_conn		*conn;
	struct tcpseq		 seq[2];
	unsigned		 nrpc;	/* pipes with a DCE/RPC parser */
	struct smb_pipe_st	 pipes[SMB_DEFAULT_MAX_PIPES];
};

struct an_smb {
	const struct analyzer_host	*h;
	struct smb_parser		*sp;
	struct dcerpc_parser		*rp;	/* pipe RPC only */
	struct smb_sink			 sink;
	struct dcerpc_sink		 rsink;
	uint64_t			 unparsed; /* pipes beyond the bound */
	/* What a callback reports about. */
	struct flow			*cur_flow;
	struct smb_flow_st		*cur;
	struct smb_pipe_st		*cur_pipe;
};

/* An interface bound inside the pipe being fed. */
static void
pipe_bound(void *arg, const uint8_t uuid[16], uint16_t ver_major,
    uint16_t ver_minor)
{
	struct an_smb *m = arg;
	struct smb_pipe_st *ps = m->cur_pipe;

	(void)ver_minor;
	if (ps == NULL || (ps->has_uuid && ps->ver_major == ver_major &&
	    memcmp(ps->uuid, uuid, 16) == 0))
		return;
	ps->has_uuid = true;
	ps->ver_major = ver_major;
	memcpy(ps->uuid, uuid, 16);
	ps->stale = true;
}

/*
 * The session's version or dialect became known: the flow carries it to
 * each of its rows (stats.h's numbers, lowest first).
 */
static void
smb_dialect(void *arg, enum smb_version v, uint16_t dialect)
{
	struct an_smb *m = arg;

	/*
	 * A DialectRevision outside 2.x-3.x (a hostile or broken server)
	 * must not rank below SMB1: it reads as "SMB2, dialect unknown".
	 */
	if (v == SMB_VERSION_1)
		m->cur_flow->smb_dialect = STATS_SMB1;
	else if (v == SMB_VERSION_2)
		m->cur_flow->smb_dialect = dialect >= SMB2_DIALECT_202 &&
		    dialect < STATS_SMB2_UNKNOWN ? dialect :
		    STATS_SMB2_UNKNOWN;
}

/*
 * A CREATE on a tree connected before the capture: only a pipe the
 * catalog lists is taken for one (a file of a disk share is not).
 */
static bool
smb_pipe_known(void *arg, const char *name)
{
	struct an_smb *m = arg;

	return catalog_pipe_find(m->h->cctx->cat, name) >= 0;
}

/* An SMB3 encrypted message: counted on the session's own row. */
static void
smb_encrypted(void *arg, int dir, size_t len)
{
	struct an_smb *m = arg;

	(void)dir;
	(void)len;
	m->cur_flow->smb_encrypted++;
}

/* A call inside a pipe: an operation of the session's server. */
static void
pipe_request(void *arg, const uint8_t uuid[16], uint16_t ver_major,
    uint16_t opnum)
{
	struct an_smb *m = arg;

	if (m->cur_flow != NULL)
		engine_rpc_request(m->h->engine, m->cur_flow, uuid, ver_major,
		    opnum);
}

static void
smb_pipe_open(void *arg, const struct smb_pipe *pipe)
{
	struct an_smb *m = arg;
	struct smb_flow_st *st = m->cur;
	struct smb_pipe_st *ps;

	if (pipe->slot >= SMB_DEFAULT_MAX_PIPES)
		return;
	ps = &st->pipes[pipe->slot];
	if (ps->rpc != NULL) {
		/* Its close was lost (a gap): the slot is reused. */
		dcerpc_flow_destroy(ps->rpc);
		st->nrpc--;
	}
	memset(ps, 0, sizeof(*ps));
	memcpy(ps->name, pipe->name, sizeof(ps->name));
	ps->stale = true;
	if (st->nrpc < SMB_RPC_PIPES &&
	    (ps->rpc = dcerpc_flow_create(m->rp)) != NULL)
		st->nrpc++;
	else
		m->unparsed++;
}

/*
 * The pipe's evidence record for what it has shown so far: its name and
 * the interface bound last.  None while nothing in the catalog names it.
 */
static void
pipe_record(struct an_smb *m, struct smb_pipe_st *ps)
{
	struct flow_evidence ev;

	ps->stale = false;
	memset(&ev, 0, sizeof(ev));
	ev.method = METHOD_PIPE;
	ev.has_uuid = ps->has_uuid;
	ev.ver_major = ps->ver_major;
	memcpy(ev.uuid, ps->uuid, 16);
	memcpy(ev.pipe, ps->name, sizeof(ev.pipe));
	classify_evidence(m->h->cctx, &ev);
	if (ev.service < 0)
		return;
	if ((ps->rec = flow_evidence_add(m->cur_flow, &ev)) < 0)
		ps->rec = 0;
}

static void
smb_pipe_data(void *arg, const struct smb_pipe *pipe, int dir,
    const uint8_t *data, size_t len)
{
	struct an_smb *m = arg;
	struct smb_pipe_st *ps;

	if (pipe->slot >= SMB_DEFAULT_MAX_PIPES)
		return;
	ps = &m->cur->pipes[pipe->slot];
	/*
	 * Not every pipe carries RPC (PsExec's and RemCom's own do not):
	 * one the catalog does not name must open with a client's bind,
	 * else its parser goes, rather than count its bytes as invalid.
	 */
	if (!ps->seen) {
		ps->seen = true;
		if (ps->rpc != NULL && (dir != 0 ||
		    !dcerpc_looks_like_bind(data, len)) &&
		    catalog_pipe_find(m->h->cctx->cat, ps->name) < 0) {
			dcerpc_flow_destroy(ps->rpc);
			ps->rpc = NULL;
			m->cur->nrpc--;
		}
	}
	if (ps->rpc != NULL) {
		m->cur_pipe = ps;
		dcerpc_stream(m->rp, ps->rpc, dir, data, len, &m->rsink);
		m->cur_pipe = NULL;
	}
	if (ps->stale)
		pipe_record(m, ps);
}

/*
 * A SESSION_SETUP security blob: an NTLM CHALLENGE in it names the side
 * that sent it (the server, on a response), read whole by the parser.
 */
static void
smb_auth(void *arg, int dir, const uint8_t *blob, size_t len)
{
	struct an_smb *m = arg;
	struct flow *f = m->cur_flow;
	struct names_pkt np;

	if (m->h->names == NULL || f == NULL)
		return;
	np.src = dir == FLOW_S2C ? &f->server : &f->client;
	np.dst = dir == FLOW_S2C ? &f->client : &f->server;
	np.sport = dir == FLOW_S2C ? f->server_port : f->client_port;
	np.dport = dir == FLOW_S2C ? f->client_port : f->server_port;
	np.tcp = true;
	names_ntlm_scan(blob, len, &np, m->h->names, m->h->names_stats);
}

static void
smb_pipe_gap(void *arg, const struct smb_pipe *pipe, int dir, size_t len)
{
	struct an_smb *m = arg;
	struct smb_pipe_st *ps;

	(void)len;
	if (pipe->slot >= SMB_DEFAULT_MAX_PIPES)
		return;
	ps = &m->cur->pipes[pipe->slot];
	if (ps->rpc != NULL)
		dcerpc_stream_gap(m->rp, ps->rpc, dir);
}

static void
smb_pipe_close(void *arg, const struct smb_pipe *pipe)
{
	struct an_smb *m = arg;
	struct smb_pipe_st *ps;

	if (pipe->slot >= SMB_DEFAULT_MAX_PIPES)
		return;
	ps = &m->cur->pipes[pipe->slot];
	/* Its record stays: smb_feed() may name the slot for these bytes. */
	if (ps->rpc != NULL) {
		dcerpc_flow_destroy(ps->rpc);
		ps->rpc = NULL;
		m->cur->nrpc--;
	}
}

static void *
an_smb_init(const struct analyzer_host *h, char *err, size_t errlen)
{
	struct dcerpc_config rc;
	struct smb_config sc;
	struct an_smb *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto oom;
	m->h = h;
	memset(&sc, 0, sizeof(sc));
	sc.max_pipes = SMB_DEFAULT_MAX_PIPES;
	rc.max_frag_len = h->cfg->rpc_max_frag;
	rc.max_reassembly = h->cfg->rpc_max_reassembly;
	if ((m->sp = smb_parser_create(&sc)) == NULL ||
	    (m->rp = dcerpc_parser_create(&rc)) == NULL) {
		smb_parser_destroy(m->sp);
		free(m);
		goto oom;
	}
	m->sink.arg = m;
	m->sink.pipe_open = smb_pipe_open;
	m->sink.pipe_data = smb_pipe_data;
	m->sink.pipe_gap = smb_pipe_gap;
	m->sink.pipe_close = smb_pipe_close;
	m->sink.dialect = smb_dialect;
	m->sink.encrypted = smb_encrypted;
	m->sink.pipe_known = smb_pipe_known;
	m->sink.auth = smb_auth;
	m->rsink.arg = m;
	m->rsink.bound = pipe_bound;
	m->rsink.request = pipe_request;
	return m;
oom:
	snprintf(err, errlen, "engine: out of memory");
	return NULL;
}

static void
an_smb_fini(void *mod)
{
	struct an_smb *m = mod;

	dcerpc_parser_destroy(m->rp);
	smb_parser_destroy(m->sp);
	free(m);
}

static enum analyzer_attach
an_smb_on_flow(void *mod, struct flow *f)
{
	(void)mod;
	if (f->proto == TRANSPORT_TCP &&
	    (f->server_port == 445 || f->server_port == 139))
		return ANALYZER_ATTACH;
	return ANALYZER_SKIP;
}

static void *
an_smb_flow_new(void *mod, struct flow *f)
{
	struct an_smb *m = mod;
	struct smb_flow_st *st;

	(void)f;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->conn = smb_conn_create(m->sp)) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

static bool
an_smb_packet(void *mod, void *state, struct flow *f,
    struct analyzer_packet *ap)
{
	struct an_smb *m = mod;
	struct smb_flow_st *st = state;
	const struct packet *pkt = ap->pkt;
	const uint8_t *data = pkt->payload;
	size_t len = pkt->payload_len;
	uint32_t gap;
	int slot, rec;

	/* A reload may have left the flow unmonitored: it is counted only. */
	if (f->cls == FLOW_UNMONITORED)
		return true;
	if (!tcpseq_trim(&st->seq[ap->dir], pkt->tcp_seq, &data, &len, &gap))
		return true;
	m->cur_flow = f;
	m->cur = st;
	if (gap > 0)
		smb_gap(m->sp, st->conn, ap->dir, gap, &m->sink);
	slot = smb_feed(m->sp, st->conn, ap->dir, data, len, &m->sink);
	if (slot >= 0 && slot < SMB_DEFAULT_MAX_PIPES &&
	    (rec = st->pipes[slot].rec) > 0)
		ap->charge = rec;
	m->cur_flow = NULL;
	m->cur = NULL;
	return true;
}

static void
an_smb_flow_free(void *mod, void *state)
{
	struct smb_flow_st *st = state;
	unsigned i;

	(void)mod;
	for (i = 0; i < SMB_DEFAULT_MAX_PIPES; i++)
		dcerpc_flow_destroy(st->pipes[i].rpc);
	smb_conn_destroy(st->conn);
	free(st);
}

static void
an_smb_totals(void *mod, struct run_totals *t)
{
	struct an_smb *m = mod;
	const struct smb_stats *ss = smb_parser_stats(m->sp);
	const struct dcerpc_stats *rs = dcerpc_parser_stats(m->rp);

	t->smb_messages += ss->messages;
	t->smb_truncated += ss->truncated;
	t->smb_invalid += ss->invalid;
	t->smb_gaps += ss->gaps;
	t->smb_encrypted += ss->encrypted;
	t->smb_pipes_opened += ss->pipes_opened;
	t->smb_pipe_msgs += ss->pipe_msgs;
	t->smb_pipes_unparsed += m->unparsed;
	t->rpc_pdus += rs->pdus;
	t->rpc_truncated += rs->truncated;
	t->rpc_invalid += rs->invalid;
	t->rpc_gaps += rs->gaps;
	t->epm_replies += rs->epm_replies;
}

const struct analyzer analyzer_smb = {
	.name = "smb",
	.flags = ANALYZER_PAYLOAD_ONLY,
	.init = an_smb_init,
	.fini = an_smb_fini,
	.on_flow = an_smb_on_flow,
	.probe = NULL,
	.flow_new = an_smb_flow_new,
	.packet = an_smb_packet,
	.flow_end = NULL,
	.flow_free = an_smb_flow_free,
	.totals = an_smb_totals,
};
