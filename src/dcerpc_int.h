/*
 * dcerpc_int.h - state shared by the DCE/RPC parser files (dcerpc.c,
 * dcerpc_epm.c, dcerpc_dcom.c, dcerpc_cl.c).  Not part of the contract.
 */
#ifndef SVCMAP_DCERPC_INT_H
#define SVCMAP_DCERPC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/dcerpc.h"
#include "svcmap/tcpseq.h"
#include "svcmap/rd.h"

/* Connection-oriented PDU types (C706 12.6.4.1, [MS-RPCE] 2.2.2). */
#define CO_REQUEST		0
#define CO_RESPONSE		2
#define CO_FAULT		3
#define CO_BIND			11
#define CO_BIND_ACK		12
#define CO_BIND_NAK		13
#define CO_ALTER_CONTEXT	14
#define CO_ALTER_CONTEXT_RESP	15
#define CO_AUTH3		16
#define CO_SHUTDOWN		17
#define CO_CANCEL		18
#define CO_ORPHANED		19
#define CO_PTYPE_MAX		19

/* pfc_flags */
#define PFC_FIRST_FRAG		0x01
#define PFC_LAST_FRAG		0x02
#define PFC_OBJECT_UUID		0x80

#define CO_HDR_LEN		16	/* common header */
#define CO_AUTH_HDR_LEN		8	/* sec_trailer before the verifier */
#define AUTH_LEVEL_PRIVACY	6	/* RPC_C_AUTHN_LEVEL_PKT_PRIVACY */

/* EPM operations ([MS-RPCE] 2.2.1.2, C706 appendix O). */
#define EPM_OP_LOOKUP		2
#define EPM_OP_MAP		3

/* Interfaces whose replies announce endpoints. */
enum rpc_iface {
	IFACE_OTHER = 0,
	IFACE_EPM,		/* e1af8308-5d1f-11c9-91a4-08002b14a0fa */
	IFACE_SCM_ACTIVATOR,	/* 000001a0-...: IRemoteSCMActivator */
	IFACE_REMOTE_ACTIVATION, /* 4d9f4ab8-...: IRemoteActivation (old DCOM) */
	IFACE_OXID		/* 99fcfec4-...: IObjectExporter */
};

/* Per-flow table bounds: enough for real clients, fixed for hostile ones. */
#define DCERPC_MAX_CTX		16	/* presentation contexts per association */
#define DCERPC_MAX_CALLS	8	/* outstanding calls per association */

struct dcerpc_parser {
	struct dcerpc_config	cfg;
	struct dcerpc_stats	st;
};

/* A presentation context negotiated on the flow. */
struct rpc_ctx {
	bool		used;
	bool		ndr64;		/* NDR64 accepted for it */
	uint16_t	id;
	uint16_t	ver_major;
	uint16_t	ver_minor;
	uint8_t		iface;		/* enum rpc_iface */
	uint8_t		uuid[16];
};

/* A request whose response we may need to understand. */
struct rpc_call {
	bool		used;
	bool		ndr64;
	bool		has_clsid;
	uint8_t		iface;		/* enum rpc_iface of its context */
	uint16_t	opnum;
	uint32_t	call_id;
	uint64_t	age;		/* insertion order, to replace the oldest */
	uint8_t		clsid[16];
};

/*
 * Framing of one direction's byte stream: a PDU header or a PDU cut by
 * the end of the bytes fed so far, and whether the framing lost track.
 */
struct rpc_stream {
	bool		resync;		/* scanning for a trustworthy header */
	uint8_t		hdr[CO_HDR_LEN]; /* a header cut by the segment end */
	size_t		hlen;
	uint8_t		*buf;		/* a PDU cut by the segment end */
	size_t		blen;		/* bytes of it held */
	size_t		bcap;
	size_t		want;		/* its frag_length */
};

/* One direction: TCP sequence tracking (dcerpc_tcp only) and its stream. */
struct rpc_dir {
	struct tcpseq	seq;		/* dcerpc_tcp() only */
	struct rpc_stream s;
};

struct dcerpc_flow {
	struct dcerpc_parser	*p;
	struct rpc_dir		 dir[2];
	struct rpc_ctx		 ctx[DCERPC_MAX_CTX];
	unsigned		 ctx_next;	/* round-robin slot when full */
	/* Context ids of the last bind/alter_context, for the ack's results. */
	uint16_t		 offered[DCERPC_MAX_CTX];
	unsigned		 n_offered;
	struct rpc_call		 calls[DCERPC_MAX_CALLS];
	uint64_t		 call_seq;
	/* Reassembly of one fragmented response stub we want to parse. */
	uint8_t			*rbuf;
	size_t			 rlen;
	size_t			 rcap;
	bool			 ractive;
	uint32_t		 rcall_id;
};

/* What a response stub parser needs to know about its call. */
struct rpc_reply {
	bool			 little;	/* NDR integer byte order (drep) */
	bool			 ndr64;
	uint16_t		 opnum;
	enum endpoint_source	 source;
	bool			 has_clsid;
	uint8_t			 clsid[16];
};

/* dcerpc.c */
enum rpc_iface dcerpc_iface_of(const uint8_t uuid[16]);
void	dcerpc_count_rd(struct dcerpc_parser *p, const struct rd *r);

/* dcerpc_epm.c */
/**
 * Parse an ept_map (opnum 3) or ept_lookup (opnum 2) response stub and
 * announce every tower with a TCP, UDP or HTTP port, unless the status
 * is an error.  Returns false when the stub was malformed (counted).
 */
bool	epm_parse_response(struct dcerpc_parser *p, const uint8_t *stub,
	    size_t len, const struct rpc_reply *rep,
	    const struct dcerpc_sink *sink);

/* dcerpc_dcom.c */
/** Parse a DCOM activation or OXID resolution response stub. */
void	dcom_parse_response(struct dcerpc_parser *p, enum rpc_iface iface,
	    const uint8_t *stub, size_t len, const struct rpc_reply *rep,
	    const struct dcerpc_sink *sink);
/** Find the activated CLSID in an activation request stub. */
bool	dcom_request_clsid(enum rpc_iface iface, uint16_t opnum,
	    const uint8_t *stub, size_t len, bool little, uint8_t clsid[16]);
/** Is this (interface, opnum) a DCOM call whose reply names bindings? */
bool	dcom_wants_reply(enum rpc_iface iface, uint16_t opnum);

#endif /* SVCMAP_DCERPC_INT_H */
