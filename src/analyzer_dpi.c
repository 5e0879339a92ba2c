/*
 * analyzer_dpi.c - nDPI as an analyzer: the first packets of a flow.
 *
 * Attaches when the flow is created, if nDPI's verdict is wanted for it
 * (dpi_wanted()), and feeds every packet until nDPI decides or the
 * per-flow packet cap (dpi-max-packets) is reached; a flow that ends
 * first still gets nDPI's best guess.  The verdict is recorded on the
 * flow and checked against the catalog (classify_dpi()).
 *
 * nDPI's state of an undecided flow is kilobytes (4.2 keeps a TLS
 * reassembly buffer per TCP flow with payload), twenty times svcmap's own
 * flow slot: dpi-max-flows bounds how many flows hold it at once.  A flow
 * that finds the cap reached is attributed without nDPI (by EPM, bind or
 * port, as outside servers' flows are) and counted in dpi.skipped, so a
 * scan or a flood of undecided flows costs a known amount of memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "svcmap/addr.h"
#include "svcmap/analyzer.h"
#include "svcmap/classify.h"
#include "svcmap/config.h"
#include "svcmap/dpi.h"
#include "svcmap/flow.h"
#include "svcmap/stats.h"

struct an_dpi {
	const struct analyzer_host	*h;
	struct dpi			*dpi;
	uint32_t			 live;	  /* flows with nDPI state */
	uint64_t			 skipped; /* flows refused by the cap */
};

static void *
an_dpi_init(const struct analyzer_host *h, char *err, size_t errlen)
{
	struct an_dpi *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "engine: out of memory");
		return NULL;
	}
	m->h = h;
	if ((m->dpi = dpi_create()) == NULL) {
		snprintf(err, errlen, "cannot initialise nDPI");
		free(m);
		return NULL;
	}
	return m;
}

static void
an_dpi_fini(void *mod)
{
	struct an_dpi *m = mod;

	dpi_destroy(m->dpi);
	free(m);
}

/*
 * nDPI's verdict is checked against the catalog and names what a
 * monitored server runs, so it goes to flows whose server is monitored,
 * and to a monitored host's multicast and broadcast (LLMNR, mDNS, SSDP,
 * NetBIOS), which serve the local segment.  A monitored client's flows to
 * outside servers are attributed by port without it unless dpi-outbound
 * asks: on a link to the Internet they are most of the flows, and nDPI
 * most of the cost of each (docs/benchmark.md).
 */
static enum analyzer_attach
an_dpi_on_flow(void *mod, struct flow *f)
{
	struct an_dpi *m = mod;

	if (m->h->cfg->dpi_outbound || addr_is_group(&f->server) ||
	    classify_monitored(m->h->cctx, &f->server)) {
		if (m->live < m->h->cfg->dpi_max_flows)
			return ANALYZER_ATTACH;
		m->skipped++;
	}
	f->dpi_done = true;	/* nothing to wait for */
	return ANALYZER_SKIP;
}

static void *
an_dpi_flow_new(void *mod, struct flow *f)
{
	struct an_dpi *m = mod;
	struct dpi_flow *df;

	if ((df = dpi_flow_create(m->dpi)) == NULL)
		f->dpi_done = true;
	else
		m->live++;
	return df;
}

static void
an_dpi_finish(struct an_dpi *m, struct flow *f, const struct dpi_result *res)
{
	const char *name = dpi_result_name(m->dpi, res);

	/* The name outlives the flow: nDPI owns it until dpi_destroy(). */
	f->protocol = res->master != 0 || res->app != 0 ? name : NULL;
	f->dpi_done = true;
	if (classify_dpi(m->h->cctx, f, name,
	    res->master != 0 ? dpi_proto_name(m->dpi, res->master) : NULL))
		m->h->totals->dpi_mismatches++;
}

static bool
an_dpi_packet(void *mod, void *st, struct flow *f, struct analyzer_packet *ap)
{
	struct an_dpi *m = mod;
	struct dpi_result res;

	if (dpi_process(m->dpi, st, ap->pkt, &res)) {
		an_dpi_finish(m, f, &res);
		return false;
	}
	if (f->pkts[FLOW_C2S] + f->pkts[FLOW_S2C] >=
	    m->h->cfg->dpi_max_packets) {
		dpi_giveup(m->dpi, st, &res);
		an_dpi_finish(m, f, &res);
		return false;
	}
	return true;
}

/* A flow too short for nDPI to decide still gets its best guess. */
static void
an_dpi_flow_end(void *mod, void *st, struct flow *f)
{
	struct an_dpi *m = mod;
	struct dpi_result res;

	dpi_giveup(m->dpi, st, &res);
	an_dpi_finish(m, f, &res);
}

static void
an_dpi_flow_free(void *mod, void *st)
{
	struct an_dpi *m = mod;

	dpi_flow_destroy(st);
	m->live--;
}

static void
an_dpi_totals(void *mod, struct run_totals *t)
{
	struct an_dpi *m = mod;

	t->dpi_skipped = m->skipped;
	t->dpi_flows = m->live;
}

const struct analyzer analyzer_dpi = {
	.name = "dpi",
	.flags = 0,
	.init = an_dpi_init,
	.fini = an_dpi_fini,
	.on_flow = an_dpi_on_flow,
	.probe = NULL,
	.flow_new = an_dpi_flow_new,
	.packet = an_dpi_packet,
	.flow_end = an_dpi_flow_end,
	.flow_free = an_dpi_flow_free,
	.totals = an_dpi_totals,
};
