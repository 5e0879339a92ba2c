/*
 * dcerpc.h - DCE/RPC parsing: bound interfaces and endpoint announcements.
 *
 * Connection-oriented DCE/RPC over TCP ([MS-RPCE] 2.2.2, C706 chapter 12)
 * and over any in-order byte stream (the named pipes SMB carries, [MS-RPCE]
 * 2.1.1.2): PDUs reassembled across TCP segments in sequence order or
 * across the pieces of a stream, several PDUs per segment, fragmented requests/responses rebuilt up to a bound, little- and
 * big-endian data representations, NDR and NDR64, auth trailers skipped.
 * Connectionless DCE/RPC over UDP (C706 chapter 12.5).
 *
 * What comes out, through struct dcerpc_sink:
 *  - bound(): an interface a bind/alter_context on this flow names (the
 *    flow's own evidence of what it talks to);
 *  - endpoint(): a network endpoint a reply announced: every tower of an
 *    EPM ept_map/ept_lookup response, the secondary address of a bind_ack,
 *    and the string bindings of DCOM activation / OXID resolution replies;
 *  - request(): a call a client made: the interface of its presentation
 *    context and the opnum (the RPC operation).
 *
 * Per-flow state is created only for flows that carry DCE/RPC.  Every
 * count and length is checked through struct rd; a malformed PDU is counted
 * by reason and the flow continues at the next PDU boundary it can trust.
 * Single-threaded per parser (one per classifier thread).
 */
#ifndef SVCMAP_DCERPC_H
#define SVCMAP_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"

/* Endpoint transports beyond the IP protocol numbers of catalog.h. */
#define ENDPOINT_TRANSPORT_HTTP	0xf1	/* ncacn_http: RPC over HTTP on TCP */

enum endpoint_source {
	EP_SOURCE_EPT_MAP = 0,
	EP_SOURCE_EPT_LOOKUP,
	EP_SOURCE_BIND_ACK,
	EP_SOURCE_DCOM
};

/** "ept_map", "ept_lookup", "bind_ack", "dcom". */
const char *endpoint_source_name(enum endpoint_source s);

/* One endpoint a reply announced. */
struct dcerpc_endpoint {
	uint8_t		 uuid[16];	/* interface (text order) */
	uint16_t	 ver_major;
	uint16_t	 ver_minor;
	uint8_t		 transport;	/* TRANSPORT_TCP, _UDP or ENDPOINT_TRANSPORT_HTTP */
	uint16_t	 port;
	bool		 has_addr;	/* false: no host floor / binding */
	struct addr	 addr;		/* may be unspecified: means the responder */
	enum endpoint_source source;
	bool		 has_clsid;	/* DCOM: the activated class */
	uint8_t		 clsid[16];
};

struct dcerpc_sink {
	void	*arg;
	/** An interface bound on this flow (bind or alter_context). */
	void	(*bound)(void *arg, const uint8_t uuid[16], uint16_t ver_major,
		    uint16_t ver_minor);
	/** A network endpoint announced in a reply on this flow. */
	void	(*endpoint)(void *arg, const struct dcerpc_endpoint *ep);
	/**
	 * A request's first fragment (one per call; later fragments and
	 * requests on a context whose bind was not seen are not reported):
	 * the interface bound to its context, or named by a connectionless
	 * header, and the operation number.  May be NULL.
	 */
	void	(*request)(void *arg, const uint8_t uuid[16], uint16_t ver_major,
		    uint16_t opnum);
};

struct dcerpc_config {
	uint32_t	max_frag_len;	/* largest frag_length accepted (bytes) */
	uint32_t	max_reassembly;	/* largest fragmented request/response */
};

/* Counters, per parser; read by the engine at flush. */
struct dcerpc_stats {
	uint64_t	pdus;		/* complete PDUs parsed */
	uint64_t	truncated;	/* PDUs cut short (snaplen, lost segment) */
	uint64_t	invalid;	/* PDUs with a lying length/count/version */
	uint64_t	gaps;		/* missing TCP or stream data: resynchronised */
	uint64_t	oversize;	/* fragments/reassemblies over the bounds */
	uint64_t	binds;
	uint64_t	epm_replies;	/* ept_map / ept_lookup responses parsed */
	uint64_t	epm_errors;	/* replies with non-zero status */
	uint64_t	towers;		/* towers decoded */
	uint64_t	towers_local;	/* named-pipe / ncalrpc towers: evidence only */
	uint64_t	dcom_bindings;	/* DCOM string bindings learned */
	uint64_t	encrypted;	/* stubs we cannot read (packet privacy) */
};

struct dcerpc_parser;
struct dcerpc_flow;

struct dcerpc_parser *dcerpc_parser_create(const struct dcerpc_config *cfg);
void	dcerpc_parser_destroy(struct dcerpc_parser *p);
const struct dcerpc_stats *dcerpc_parser_stats(const struct dcerpc_parser *p);

/**
 * Per-association state (a TCP connection, or one named pipe of an SMB
 * session), or NULL on allocation failure.  Feed one state through one
 * entry point only: TCP and stream feeds do not mix.  Holds at most one
 * partial PDU per direction (up to max_frag_len) and one response being
 * reassembled (up to max_reassembly).
 */
struct dcerpc_flow *dcerpc_flow_create(struct dcerpc_parser *p);
void	dcerpc_flow_destroy(struct dcerpc_flow *f);

/**
 * Feed a TCP segment's payload: sequence tracking in front of
 * dcerpc_stream().  Bytes already seen (a retransmission) are skipped;
 * a sequence jump is a gap (see dcerpc_stream_gap()).
 * @param dir: 0 client -> server, 1 server -> client.
 * @param seq: the segment's TCP sequence number (for ordering and gaps).
 */
void	dcerpc_tcp(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir,
	    uint32_t seq, const uint8_t *data, size_t len,
	    const struct dcerpc_sink *sink);

/**
 * Feed the next bytes of one direction of an in-order byte stream, such
 * as the data of named-pipe writes (dir 0) and reads (dir 1) that an SMB
 * analyzer matched to one file id.  The caller delivers every byte once
 * and in order; PDUs may be cut anywhere between two calls.  Complete
 * PDUs are parsed from data in place; a cut one is copied and finished
 * by the next call.  data is not kept after the call.
 * @param dir: 0 client -> server, 1 server -> client.
 */
void	dcerpc_stream(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir,
	    const uint8_t *data, size_t len, const struct dcerpc_sink *sink);

/**
 * Bytes of one direction of a stream are missing (a lost or truncated
 * message): counted as a gap, a PDU held in part is dropped (counted
 * truncated), and the direction resynchronises on the next plausible
 * header.
 */
void	dcerpc_stream_gap(struct dcerpc_parser *p, struct dcerpc_flow *f,
	    int dir);

/** Feed one UDP datagram's payload (connectionless DCE/RPC). */
void	dcerpc_udp(struct dcerpc_parser *p, struct dcerpc_flow *f, int dir,
	    const uint8_t *data, size_t len, const struct dcerpc_sink *sink);

/**
 * Does a client's first payload look like a connection-oriented DCE/RPC
 * bind (version 5.0, bind or alter_context)?  Lets flows on dynamic or
 * unexpected ports get a parser without one for every TCP flow.
 */
bool	dcerpc_looks_like_bind(const uint8_t *data, size_t len);

/**
 * Where, in one payload of a stream picked up mid-way, does a
 * connection-oriented PDU header start that can be trusted: version 5.0
 * or 5.1, a connection PDU type, a known data representation with its
 * reserved bytes zero, frag_length from the fixed part of its type up to
 * 65535 and an auth trailer that fits.  Requests, responses, faults,
 * alter_context and the rest count, not only binds: a flow on a dynamic
 * or learned RPC port gets a parser from there.
 * @param dir: 0 client -> server (request, bind, alter_context, auth3,
 *   cancel, orphaned), 1 server -> client (response, fault, bind_ack,
 *   bind_nak, alter_context_resp, shutdown), -1 either.
 * @return: the offset of the first such header, or -1 (none, or fewer
 *   than 16 bytes).
 */
long	dcerpc_find_pdu(const uint8_t *data, size_t len, int dir);

/** Bytes of per-flow state without buffers, for the benchmark report. */
size_t	dcerpc_flow_size(void);

#endif /* SVCMAP_DCERPC_H */
