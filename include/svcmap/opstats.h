/*
 * opstats.h - RPC operations aggregated in memory between flushes.
 *
 * Every DCE/RPC call the engine sees (a request's first fragment, direct
 * or inside an SMB named pipe) is one call of an operation row keyed by
 * (server, port, transport, interface UUID, opnum); the row holds its
 * calls and the packet times of its first and last call.  The distinct
 * clients of a row are kept as (row, client) pairs, deduplicated within
 * the batch, the way stats.h keeps the clients of a service row: the
 * store adds them to a table and counts them at query time.
 *
 * A batch is bounded: its capacity (rows, and as many client pairs) is
 * fixed when it is created and allocated then, so recording a call never
 * allocates.  A call whose row does not fit is dropped and counted
 * (dropped_calls); a client pair that does not fit is counted
 * (dropped_clients) while its call still counts.  Single-threaded.
 */
#ifndef SVCMAP_OPSTATS_H
#define SVCMAP_OPSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/addr.h"

/* Rows of a batch when the configuration does not say. */
#define OPSTATS_DEFAULT_CAPACITY	4096

struct op_key {
	struct addr	server;
	uint16_t	port;
	uint8_t		transport;	/* IP protocol (TCP, UDP) */
	uint16_t	opnum;
	uint8_t		uuid[16];	/* interface, text order (addr.h) */
};

struct op_row {
	struct op_key	key;
	uint16_t	ver_major;	/* interface version, latest call */
	uint64_t	calls;		/* requests (first fragments) */
	int64_t		first_s;	/* packet time, UTC seconds */
	int64_t		last_s;
};

/* A client of a row: row is an index into op_batch_rows(). */
struct op_client {
	uint32_t	row;
	struct addr	client;
	int64_t		first_s;
	int64_t		last_s;
};

struct op_batch;

/**
 * An empty batch of at most capacity rows and capacity client pairs
 * (both allocated now), or NULL on allocation failure or capacity 0.
 */
struct op_batch *op_batch_create(size_t capacity);
void	op_batch_destroy(struct op_batch *b);

/**
 * Count one call of key by client at packet time t_s.  Never allocates.
 * @return: true, or false when the row did not fit (the call is counted
 *   in dropped_calls).
 */
bool	op_batch_call(struct op_batch *b, const struct op_key *key,
	    uint16_t ver_major, const struct addr *client, int64_t t_s);

size_t	op_batch_nrows(const struct op_batch *b);
const struct op_row *op_batch_rows(const struct op_batch *b);
size_t	op_batch_nclients(const struct op_batch *b);
const struct op_client *op_batch_clients(const struct op_batch *b);

/** Calls dropped for want of a row, over the batch's life. */
uint64_t op_batch_dropped_calls(const struct op_batch *b);
/** Client pairs dropped for want of room, over the batch's life. */
uint64_t op_batch_dropped_clients(const struct op_batch *b);

/** Empty the batch after a successful store (the drop counts stay). */
void	op_batch_clear(struct op_batch *b);
/**
 * Add everything of src into dst and empty src: calls add up, times
 * widen, clients are deduplicated.  What does not fit in dst is counted
 * in dst's drop counters.
 */
void	op_batch_merge(struct op_batch *dst, struct op_batch *src);

#endif /* SVCMAP_OPSTATS_H */
