/*
 * smb.h - SMB1 and SMB2/3 over TCP 445 and 139: named pipes and what they
 * carry.
 *
 * One struct smb_conn per TCP connection, fed each direction's payload in
 * sequence order (with gap notices for missing bytes).  The parser reads the
 * NetBIOS session service framing ([RFC 1002] 4.3; on 445 the same 4-byte
 * header with type 0), SMB1 ([MS-CIFS], [MS-SMB]) and SMB2/3 ([MS-SMB2])
 * headers, follows NEGOTIATE, TREE_CONNECT, CREATE / NT_CREATE_ANDX of a
 * named pipe, CLOSE and TREE_DISCONNECT, and hands out the bytes written to
 * and read from each pipe: SMB2 WRITE / READ / IOCTL FSCTL_PIPE_TRANSCEIVE,
 * SMB1 WriteAndX / ReadAndX (with AndX chains) and Trans TransactNmPipe.
 * Requests and responses are matched by MessageId (SMB2) or
 * MID/PID (+TID/UID) (SMB1).  Encrypted SMB3 (transform header) is counted
 * and skipped whole; compressed SMB2 (compression transform) likewise.
 *
 * What comes out, through struct smb_sink: the dialect, pipe open / data /
 * gap / close, and encrypted messages.  smb_feed() also says which pipe the
 * bytes just fed belonged to, so that the caller can count the packet and
 * its bytes under the pipe's service.
 *
 * State per connection is bounded (open pipes, pending requests, trees);
 * every bound that is hit is counted.  A connection is one allocation of
 * smb_conn_size() bytes at smb_conn_create(), its tables at their
 * bounds.  A message that must be read whole past its first bytes
 * borrows one of the parser's max_buffers buffers (allocated with the
 * parser) until it is complete, so no packet allocates and the memory for
 * message bodies does not grow with the number of connections.
 * Single-threaded per parser.
 */
#ifndef SVCMAP_SMB_H
#define SVCMAP_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest normalised pipe name kept, with its NUL ("\svcctl"). */
#define SMB_PIPE_NAME_MAX	64

enum smb_version {
	SMB_VERSION_UNKNOWN = 0,
	SMB_VERSION_1,		/* SMB1 / CIFS */
	SMB_VERSION_2		/* SMB 2.x or 3.x */
};

/* SMB2 DialectRevision values ([MS-SMB2] 2.2.4). */
#define SMB2_DIALECT_202	0x0202
#define SMB2_DIALECT_210	0x0210
#define SMB2_DIALECT_300	0x0300
#define SMB2_DIALECT_302	0x0302
#define SMB2_DIALECT_311	0x0311
#define SMB2_DIALECT_WILDCARD	0x02ff	/* "2.???": a second NEGOTIATE follows */

/** One open named pipe of a connection; valid until its close(). */
struct smb_pipe {
	unsigned	 slot;		/* 0 .. max_pipes - 1, stable while open */
	enum smb_version version;
	uint8_t		 fid[16];	/* SMB2 FileId (persistent, volatile);
					   SMB1: the 2-byte FID, LE, rest 0 */
	uint8_t		 fid_len;	/* 16 or 2 */
	uint32_t	 tree;		/* SMB2 TreeId / SMB1 TID */
	/* Lowercase, one leading backslash, no "\PIPE\": "\svcctl". */
	char		 name[SMB_PIPE_NAME_MAX];
};

/* What the parser reports; any callback may be NULL. */
struct smb_sink {
	void	*arg;
	/**
	 * The connection's SMB version became known (its first SMB2 message
	 * or transform; its first SMB1 message other than a client's
	 * NEGOTIATE, which also offers SMB2: dialect 0) or was negotiated
	 * (SMB2: the DialectRevision, never the 0x02FF wildcard; SMB1: 0,
	 * "NT LM 0.12" has no number).  Called again when it improves:
	 * version first, dialect later, SMB1 -> SMB2 after a multi-protocol
	 * NEGOTIATE; never SMB2 -> SMB1.
	 */
	void	(*dialect)(void *arg, enum smb_version v, uint16_t dialect);
	/** A successful CREATE / NT_CREATE_ANDX opened a named pipe. */
	void	(*pipe_open)(void *arg, const struct smb_pipe *pipe);
	/**
	 * Bytes of a pipe, in order per direction: a WRITE's data, a READ's
	 * or transceive's output.  dir: as given to smb_feed() (0 client ->
	 * server, 1 server -> client).  data points into the parser's
	 * buffer, valid during the call.
	 */
	void	(*pipe_data)(void *arg, const struct smb_pipe *pipe, int dir,
		    const uint8_t *data, size_t len);
	/**
	 * Pipe bytes were lost (a TCP gap, or a message over max_msg): a
	 * byte-stream consumer must resynchronise.  May be NULL.
	 */
	void	(*pipe_gap)(void *arg, const struct smb_pipe *pipe, int dir,
		    size_t len);
	/** CLOSE / TREE_DISCONNECT ended the pipe; slot is free after this. */
	void	(*pipe_close)(void *arg, const struct smb_pipe *pipe);
	/** An SMB3 encrypted message (transform header), len bytes. */
	void	(*encrypted)(void *arg, int dir, size_t len);
	/**
	 * Does name (normalised, "\svcctl") name a pipe that carries RPC?
	 * Asked only for a CREATE on a tree whose TREE_CONNECT was not seen
	 * (connected before the capture began), where the share type is
	 * unknown.  The daemon answers from the catalog's pipe rows
	 * (catalog_pipe_find()).  NULL: no name is known, and such a CREATE
	 * opens no pipe.
	 */
	bool	(*pipe_known)(void *arg, const char *name);
	/**
	 * The security blob of a SESSION_SETUP response (SMB2) or of an
	 * extended-security SESSION_SETUP_ANDX response (SMB1): the GSS-API
	 * / SPNEGO token whose NTLMSSP CHALLENGE names the server (names.h).
	 * Read whole, whatever the status (a challenge comes with
	 * STATUS_MORE_PROCESSING_REQUIRED).  blob points into the parser's
	 * buffer, valid during the call.
	 */
	void	(*auth)(void *arg, int dir, const uint8_t *blob, size_t len);
};

struct smb_config {
	unsigned	max_pipes;	/* open pipes per connection (<= 255) */
	unsigned	max_pending;	/* outstanding requests tracked per conn */
	unsigned	max_trees;	/* tree connects tracked per connection */
	uint32_t	max_msg;	/* largest SMB message read whole (bytes) */
	unsigned	max_buffers;	/* messages being read whole at once,
					   over all connections of the parser */
};

/* Defaults: what one Windows client's RPC over a few pipes needs. */
#define SMB_DEFAULT_MAX_PIPES	32
#define SMB_DEFAULT_MAX_PENDING	64
#define SMB_DEFAULT_MAX_TREES	16
#define SMB_DEFAULT_MAX_MSG	(128 * 1024)
/*
 * 32 messages in flight (split over TCP segments) at once: pipe RPC and
 * control messages are read whole, file data never is.  4 MiB of address
 * space, resident only as far as messages have used it.
 */
#define SMB_DEFAULT_MAX_BUFFERS	32

/* Counters, per parser; read by the engine at flush. */
struct smb_stats {
	uint64_t	messages;	/* NBSS session messages framed */
	uint64_t	smb1;		/* SMB1 headers parsed (AndX chain = 1) */
	uint64_t	smb2;		/* SMB2 headers parsed (each compound part) */
	uint64_t	nbss_control;	/* 139: session request/response/keepalive */
	uint64_t	truncated;	/* messages cut by a gap or short header */
	uint64_t	invalid;	/* lying lengths, offsets, bad framing */
	uint64_t	resyncs;	/* times a direction lost framing */
	uint64_t	gaps;		/* missing TCP data reported */
	uint64_t	encrypted;	/* SMB3 transform messages (skipped) */
	uint64_t	compressed;	/* SMB2 compression transforms (skipped) */
	uint64_t	oversize;	/* messages over max_msg not read whole */
	uint64_t	pipes_opened;
	uint64_t	pipes_closed;
	uint64_t	pipe_msgs;	/* messages that carried pipe bytes */
	uint64_t	pipe_bytes;	/* bytes handed to pipe_data() */
	uint64_t	open_errors;	/* CREATE of a pipe answered with an error */
	uint64_t	unmatched;	/* responses to no request we tracked */
	uint64_t	bound_pipes;	/* a pipe not tracked: max_pipes reached */
	uint64_t	bound_pending;	/* oldest pending request evicted */
	uint64_t	bound_trees;	/* oldest tree evicted */
	uint64_t	bound_buffers;	/* message not read whole: pool empty */
};

struct smb_parser;
struct smb_conn;

/**
 * A parser for one classifier thread.  cfg is copied; zero fields take
 * the defaults above.  Returns NULL on allocation failure.
 */
struct smb_parser *smb_parser_create(const struct smb_config *cfg);
void	smb_parser_destroy(struct smb_parser *p);
const struct smb_stats *smb_parser_stats(const struct smb_parser *p);

/** Per-connection state, or NULL on allocation failure. */
struct smb_conn *smb_conn_create(struct smb_parser *p);
/** Frees the state; open pipes are dropped without pipe_close(). */
void	smb_conn_destroy(struct smb_conn *c);

/**
 * Feed the next in-order payload bytes of one direction.
 * @param dir: 0 client -> server, 1 server -> client.
 * @return: the slot of the pipe whose SMB data messages (requests and
 *   responses of WRITE, READ, IOCTL transceive, SMB1 WriteAndX, ReadAndX,
 *   TransactNmPipe) took most of these bytes, or -1 if none did.  The
 *   slot is that of a pipe open at the time (it may have been closed by
 *   the same bytes, after its data).
 */
int	smb_feed(struct smb_parser *p, struct smb_conn *c, int dir,
	    const uint8_t *data, size_t len, const struct smb_sink *sink);

/**
 * len bytes of one direction are missing before the next smb_feed().
 * The message in progress is finished if the gap lies inside it (its
 * pipe, if any, gets pipe_gap()); otherwise the direction resynchronises
 * on the next plausible NBSS + SMB header.
 */
void	smb_gap(struct smb_parser *p, struct smb_conn *c, int dir, size_t len,
	    const struct smb_sink *sink);

/** The connection's SMB version and dialect (0 if not negotiated). */
enum smb_version smb_conn_version(const struct smb_conn *c,
	    uint16_t *dialect);

/** Encrypted messages seen on the connection. */
uint64_t smb_conn_encrypted(const struct smb_conn *c);

/**
 * Normalise a pipe path into out (SMB_PIPE_NAME_MAX bytes): ASCII
 * lowercase, one leading backslash, without a leading "\PIPE\"; bytes
 * outside printable ASCII become '?'.  Exposed for tests.
 */
void	smb_pipe_name_normalise(const char *in, char out[SMB_PIPE_NAME_MAX]);

/** Bytes of a connection's state, tables included (buffers are the
 * parser's). */
size_t	smb_conn_size(const struct smb_parser *p);

#endif /* SVCMAP_SMB_H */
