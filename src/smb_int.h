/*
 * smb_int.h - state shared by smb.c (framing, tables) and the SMB1 and
 * SMB2 message parsers (smb1.c, smb2.c).  Not part of the API.
 */
#ifndef SVCMAP_SMB_INT_H
#define SVCMAP_SMB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/smb.h"

/*
 * Bytes of each message kept in a fixed array before anything is
 * decided: enough for every field the peek reads (the SMB1 Trans setup
 * words end at 65, the SMB2 IOCTL FileId at 88).
 */
#define SMB_HEAD_MAX	128

/* NetBIOS session service packet types ([RFC 1002] 4.3.1). */
#define NBSS_MESSAGE		0x00
#define NBSS_REQUEST		0x81
#define NBSS_POSITIVE		0x82
#define NBSS_NEGATIVE		0x83
#define NBSS_RETARGET		0x84
#define NBSS_KEEPALIVE		0x85

/* NTSTATUS values the parsers act on ([MS-ERREF] 2.3.1). */
#define STATUS_SUCCESS		0x00000000u
#define STATUS_PENDING		0x00000103u
#define STATUS_BUFFER_OVERFLOW	0x80000005u
/* SMB1 DOS error ERRDOS/ERRmoredata as the 4 status bytes read LE. */
#define SMB1_DOS_MOREDATA	0x00ea0001u

enum tree_kind {
	TREE_UNKNOWN = 0,	/* no TREE_CONNECT seen: names decide */
	TREE_PIPE,		/* IPC$ / share type pipe */
	TREE_OTHER
};

struct smb_tree {
	bool		 used;
	bool		 pipe;
	uint32_t	 id;
	uint64_t	 age;
};

/* One request waiting for its response. */
struct smb_pending {
	bool		 used;
	bool		 loose;		/* SMB1: the response carries a new TID */
	uint8_t		 version;	/* enum smb_version */
	uint16_t	 cmd;
	uint64_t	 key;		/* SMB2 MessageId; SMB1 MID | PID << 16 */
	uint16_t	 tid, uid;	/* SMB1 */
	uint64_t	 age;
	uint8_t		 fid[16];	/* data ops, close: the pipe's file id */
	uint32_t	 tree;		/* create, tree disconnect */
	uint8_t		 kind;		/* create: enum tree_kind of its tree;
					   tree connect: 1 if the path is IPC$ */
	char		 name[SMB_PIPE_NAME_MAX];	/* create: the path */
};

enum dir_state {
	D_HDR = 0,	/* reading the 4-byte NBSS header */
	D_HEAD,		/* reading the first SMB_HEAD_MAX bytes */
	D_BODY,		/* reading the rest into buf */
	D_SKIP,		/* skipping the rest of the message */
	D_RESYNC	/* framing lost: looking for a header */
};

struct smb_dir {
	enum dir_state	 st;
	uint8_t		 nb[4];
	unsigned	 nb_have;
	uint32_t	 len;		/* message length after the NBSS header */
	uint8_t		 head[SMB_HEAD_MAX];
	uint32_t	 head_have;
	/* D_BODY: a buffer of the parser's pool (max_msg bytes), held
	 * only until the message is complete; NULL otherwise. */
	uint8_t		*buf;
	uint32_t	 have;
	uint32_t	 left;		/* D_SKIP: bytes still to skip */
	int		 pipe;		/* slot the message is attributed to */
	uint64_t	 win;		/* D_RESYNC: the last 8 bytes seen */
	unsigned	 win_n;
};

/* A pipe table entry: the public part handed to the sink, and its use. */
struct smb_pipe_slot {
	struct smb_pipe	 pipe;
	bool		 used;
};

/*
 * The parser owns every buffer a message is read whole into: max_buffers
 * of max_msg bytes, allocated with it, lent to a direction for the span
 * of one message and returned when it is processed or lost.  Memory for
 * message bodies is then bounded per parser, not per connection, and no
 * packet allocates.
 */
struct smb_parser {
	struct smb_config cfg;
	struct smb_stats st;
	uint8_t		*pool;		/* max_buffers * max_msg bytes */
	uint8_t		**free_bufs;	/* stack of the buffers not lent */
	unsigned	 nfree;
};

struct smb_conn {
	struct smb_parser *p;
	struct smb_dir	 d[2];
	enum smb_version version;
	uint16_t	 dialect;
	uint64_t	 encrypted;
	uint64_t	 clock;		/* ages pending entries and trees */
	/*
	 * Tables at their cfg bounds, in the same allocation as the
	 * connection (smb_conn_create()): nothing grows later.
	 */
	struct smb_pipe_slot *slots;
	unsigned	 slots_cap;
	struct smb_pending *pending;
	unsigned	 pending_cap;
	struct smb_tree	*trees;
	unsigned	 trees_cap;
	/* smb_feed(): the pipe a data message of this call touched first. */
	int		 touched;
};

/* smb.c: tables. */
struct smb_pipe *smb_pipe_find(struct smb_conn *c, const uint8_t *fid,
	    size_t fid_len);
struct smb_pipe *smb_pipe_open(struct smb_conn *c, enum smb_version v,
	    const uint8_t *fid, size_t fid_len, uint32_t tree, const char *name,
	    const struct smb_sink *sink);
void	smb_pipe_close(struct smb_conn *c, struct smb_pipe *pipe,
	    const struct smb_sink *sink);
void	smb_pipe_data(struct smb_conn *c, struct smb_pipe *pipe, int dir,
	    const uint8_t *data, size_t len, const struct smb_sink *sink);
void	smb_pipe_gap(struct smb_conn *c, struct smb_pipe *pipe, int dir,
	    size_t len, const struct smb_sink *sink);
struct smb_pending *smb_pending_add(struct smb_conn *c);
struct smb_pending *smb_pending_find(struct smb_conn *c, uint8_t version,
	    uint64_t key, uint16_t cmd, uint16_t tid, uint16_t uid);
struct smb_tree *smb_tree_find(struct smb_conn *c, uint32_t id);
void	smb_tree_add(struct smb_conn *c, uint32_t id, bool pipe);
void	smb_tree_remove(struct smb_conn *c, uint32_t id,
	    const struct smb_sink *sink);
enum tree_kind smb_tree_kind(struct smb_conn *c, uint32_t id);
bool	smb_known_pipe(const struct smb_sink *sink, const char *name);
void	smb_set_version(struct smb_conn *c, enum smb_version v,
	    uint16_t dialect, const struct smb_sink *sink);
/* Read a counted string (UTF-16LE if wide) into a normalised pipe name. */
void	smb_read_name(const uint8_t *s, size_t len, bool wide,
	    char out[SMB_PIPE_NAME_MAX]);
/* Does a counted path (to its NUL) end in "\\IPC$", any case? */
bool	smb_str_ends_ipc(const uint8_t *s, size_t len, bool wide);

/*
 * smb1.c / smb2.c.  peek() looks at the first bytes of a message
 * (head_len of msg_len) and returns the pipe slot it belongs to or -1,
 * and whether the message must be read whole (*want).  process() parses
 * a whole message.
 */
int	smb1_peek(struct smb_conn *c, const uint8_t *head, size_t head_len,
	    bool *want);
void	smb1_process(struct smb_conn *c, int dir, const uint8_t *msg,
	    size_t len, const struct smb_sink *sink);
int	smb2_peek(struct smb_conn *c, const uint8_t *head, size_t head_len,
	    bool *want);
void	smb2_process(struct smb_conn *c, int dir, const uint8_t *msg,
	    size_t len, const struct smb_sink *sink);

#endif /* SVCMAP_SMB_INT_H */
