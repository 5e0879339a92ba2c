/*
 * dpi.c - nDPI on the first packets of a flow.
 *
 * The calls follow nDPI 4.2's example/reader_util.c: process packets until
 * a protocol is known and nDPI wants no more of the flow (extra dissection
 * of TLS certificates, DNS answers, HTTP responses), or until the caller's
 * packet cap, then give up once, then free the flow state.  The API moved
 * after 4.2; configure tests the calls that changed (NDPI_INIT_HAS_PREFS,
 * NDPI_GIVEUP_HAS_GUESSED) and the packet call's new argument came with
 * 4.6.
 *
 * nDPI keeps process-wide state (its allocator hooks); each detection
 * module is used by one thread only, hence one struct dpi per thread.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "svcmap/decode.h"
#include "svcmap/dpi.h"
#include "svcmap/log.h"

#if NDPI_MAJOR > 4 || (NDPI_MAJOR == 4 && NDPI_MINOR >= 6)
#define DPI_PROCESS_HAS_INPUT_INFO 1
#endif

struct dpi {
	struct ndpi_detection_module_struct *mod;
};

/* Wraps the nDPI flow so that callers get a type of their own. */
struct dpi_flow {
	struct ndpi_flow_struct	 nf;	/* first: nDPI frees it by this address */
};

struct dpi *
dpi_create(void)
{
	NDPI_PROTOCOL_BITMASK all;
	struct dpi *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_warn("dpi: cannot allocate the detection module");
		return NULL;
	}
#ifdef NDPI_INIT_HAS_PREFS
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
#else
	/* 4.10 and later take a global context; NULL means none shared. */
	d->mod = ndpi_init_detection_module(NULL);
#endif
	if (d->mod == NULL) {
		log_warnx("dpi: nDPI %s failed to initialise", ndpi_revision());
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	return d;
}

void
dpi_destroy(struct dpi *d)
{
	if (d == NULL)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

struct dpi_flow *
dpi_flow_create(struct dpi *d)
{
	struct dpi_flow *f;

	(void)d;
	/* nDPI needs its flow zeroed and allocated by its own allocator. */
	if ((f = ndpi_flow_malloc(sizeof(*f))) == NULL)
		return NULL;
	memset(f, 0, sizeof(*f));
	return f;
}

void
dpi_flow_destroy(struct dpi_flow *f)
{
	/* Frees what nDPI hung on the flow, then the flow itself. */
	if (f != NULL)
		ndpi_free_flow(&f->nf);
}

static void
dpi_result_set(struct dpi_result *res, ndpi_protocol p, bool guessed)
{
	res->master = p.master_protocol;
	res->app = p.app_protocol;
	res->guessed = guessed;
}

bool
dpi_process(struct dpi *d, struct dpi_flow *f, const struct packet *pkt,
    struct dpi_result *res)
{
	/* nDPI takes an unsigned short; only IPv6 jumbograms are longer. */
	unsigned short len = pkt->l3_len > USHRT_MAX ? USHRT_MAX :
	    (unsigned short)pkt->l3_len;
	ndpi_protocol p;

#ifdef DPI_PROCESS_HAS_INPUT_INFO
	p = ndpi_detection_process_packet(d->mod, &f->nf, pkt->l3, len,
	    pkt->ts_us / 1000, NULL);
#else
	p = ndpi_detection_process_packet(d->mod, &f->nf, pkt->l3, len,
	    pkt->ts_us / 1000);
#endif
	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN &&
	    p.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		return false;
	/* Known, but nDPI still reads on (certificate, DNS answer...). */
	if (ndpi_extra_dissection_possible(d->mod, &f->nf))
		return false;
	dpi_result_set(res, p, false);
	return true;
}

void
dpi_giveup(struct dpi *d, struct dpi_flow *f, struct dpi_result *res)
{
	u_int8_t guessed = 0;
	ndpi_protocol p;

#ifdef NDPI_GIVEUP_HAS_GUESSED
	p = ndpi_detection_giveup(d->mod, &f->nf, 1, &guessed);
#else
	p = ndpi_detection_giveup(d->mod, &f->nf, &guessed);
#endif
	dpi_result_set(res, p, guessed != 0);
}

const char *
dpi_proto_name(struct dpi *d, uint16_t id)
{
	return ndpi_get_proto_name(d->mod, id);
}

const char *
dpi_result_name(struct dpi *d, const struct dpi_result *res)
{
	if (res->app != NDPI_PROTOCOL_UNKNOWN)
		return dpi_proto_name(d, res->app);
	if (res->master != NDPI_PROTOCOL_UNKNOWN)
		return dpi_proto_name(d, res->master);
	return "Unknown";
}

size_t
dpi_flow_size(void)
{
	return sizeof(struct dpi_flow);
}
