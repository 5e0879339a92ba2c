/*
 * dpi.h - nDPI on the first packets of a flow.
 *
 * One struct dpi (an nDPI detection module) per classifier thread.  A
 * flow gets nDPI state when it is created; the state is fed packets until
 * nDPI decides or the per-flow packet cap is reached, then nDPI gives up
 * once and the state is freed, so long flows cost nothing after their
 * first packets (the reader_util.c pattern of nDPI 4.2).
 */
#ifndef SVCMAP_DPI_H
#define SVCMAP_DPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct packet;
struct dpi;
struct dpi_flow;

struct dpi_result {
	uint16_t	master;		/* nDPI master protocol id, 0 unknown */
	uint16_t	app;		/* nDPI app protocol id, 0 unknown */
	bool		guessed;	/* from giveup's port guess, not payload */
};

/** @return: the module, or NULL with a logged reason. */
struct dpi *dpi_create(void);
void	dpi_destroy(struct dpi *d);

/** Per-flow state, or NULL on allocation failure (the flow goes without). */
struct dpi_flow *dpi_flow_create(struct dpi *d);
void	dpi_flow_destroy(struct dpi_flow *f);

/**
 * Feed one packet (its IP header on).  Returns true when detection is
 * finished: *res holds the verdict and the caller frees the state.
 */
bool	dpi_process(struct dpi *d, struct dpi_flow *f, const struct packet *pkt,
	    struct dpi_result *res);

/** The packet cap was reached: ask nDPI for its final guess. */
void	dpi_giveup(struct dpi *d, struct dpi_flow *f, struct dpi_result *res);

/**
 * The most specific name of a verdict: the app protocol if known, else
 * the master ("SMBv23", "Kerberos", "DNS"); "Unknown" for none.
 * Returns a string owned by nDPI (valid as long as d).
 */
const char *dpi_result_name(struct dpi *d, const struct dpi_result *res);
/** Name of one nDPI protocol id. */
const char *dpi_proto_name(struct dpi *d, uint16_t id);

/** Bytes of nDPI state per flow while detection runs. */
size_t	dpi_flow_size(void);

#endif /* SVCMAP_DPI_H */
