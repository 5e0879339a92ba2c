/*
 * fuzz_catalog.c - libFuzzer target for the catalog loader.
 *
 * Input: one flag byte (bit 0: load as the site-local file), then the
 * text of one catalog file.  catalog_load.c is included, chrony-style, to
 * reach its line reader, load_stream(): the text goes in through
 * fmemopen(), so each input costs no file system call, and the lines go
 * through exactly the code catalog_load_file() runs once it has opened a
 * file.  A file that loads and finishes is then walked through every
 * lookup the classifier makes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/catalog_load.c"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every string a record hands out, so ASan checks each one. */
static size_t
touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void
walk(const struct catalog *cat)
{
	static const uint8_t zero[16];
	const struct catalog_port *p;
	const struct catalog_iface *rif;
	const struct catalog_dcom *d;
	const struct catalog_service *s;
	const struct catalog_app *a;
	size_t i, sum = 0;
	int r;

	for (i = 0; i < catalog_nservices(cat); i++) {
		s = catalog_service(cat, (int)i);
		sum += touch(s->key) + touch(s->name) +
		    touch(s->system_service) + touch(s->notes);
		if (catalog_service_find(cat, s->key) < 0)
			abort();
	}
	for (i = 0; i < catalog_napps(cat); i++) {
		a = catalog_app(cat, (int)i);
		sum += touch(a->key) + touch(a->description);
		sum += catalog_app_accepts(cat, (int)i, "SMBv23");
	}
	for (i = 0; i < catalog_nports(cat); i++) {
		p = catalog_port(cat, (int)i);
		sum += touch(p->notes);
		if (p->service < 0 || (size_t)p->service >= catalog_nservices(cat))
			abort();
		sum += catalog_port_is_dynamic_rpc(cat, (int)i);
		r = catalog_listener(cat, p->transport, p->port_low);
		if (r >= 0 && (size_t)r >= catalog_nports(cat))
			abort();
		sum += (size_t)catalog_listener(cat, p->transport, p->port_high);
	}
	for (i = 0; i < catalog_nifaces(cat); i++) {
		rif = catalog_iface(cat, (int)i);
		sum += touch(rif->name) + touch(rif->spec) + touch(rif->notes);
		if (catalog_iface_find(cat, rif->uuid, rif->ver_major) < 0)
			abort();
	}
	/* Every operation row is found again by its (interface, opnum). */
	for (i = 0; i < catalog_nops(cat); i++) {
		const struct catalog_op *o = catalog_op(cat, (int)i);

		sum += touch(o->name) + touch(o->notes);
		if (catalog_op_find(cat, o->iface, o->opnum) != (int)i)
			abort();
		sum += (size_t)catalog_op_find(cat, o->iface,
		    (uint16_t)(o->opnum + 1));
	}
	for (i = 0; i < catalog_ndcom(cat); i++) {
		d = catalog_dcom(cat, (int)i);
		sum += touch(d->name) + touch(d->spec) + touch(d->notes);
		if (catalog_dcom_find(cat, d->clsid) < 0)
			abort();
	}
	sum += (size_t)catalog_iface_find(cat, zero, 0);
	sum += (size_t)catalog_listener(cat, TRANSPORT_TCP, 445);
	/* Keeps the reads above from being optimised away. */
	if (sum == (size_t)-1)
		abort();
}

/* catalog_load_file() from its fopen() on, over a memory stream. */
static int
load_text(struct catalog *cat, const uint8_t *text, size_t len, bool local,
    char *err, size_t errlen)
{
	struct errs errs = { err, errlen, 0 };
	struct loadctx lc;
	FILE *fp;

	lc.cat = cat;
	lc.errs = &errs;
	lc.local = local;
	lc.at.line = 0;
	err[0] = '\0';
	if ((lc.at.file = catalog_intern(cat, "fuzz.catalog")) == NULL)
		return -1;
	if (len == 0)
		return 0;	/* no lines; fmemopen() refuses an empty buffer */
	if ((fp = fmemopen((void *)(uintptr_t)text, len, "r")) == NULL)
		abort();
	load_stream(&lc, fp);
	fclose(fp);
	return errs.n == 0 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct catalog *cat;
	char err[256];

	if (size < 1 || size > 1 << 16)
		return 0;
	if (!quiet) {
		/* Every bad line is logged: keep a fuzzing run's output readable. */
		log_init("fuzz_catalog", false, 0);
		log_set_level(LOG_LEVEL_ERR);
		quiet = true;
	}
	if ((cat = catalog_create()) == NULL)
		return 0;
	if (load_text(cat, data + 1, size - 1, data[0] & 1, err,
	    sizeof(err)) == 0 && catalog_finish(cat, err, sizeof(err)) == 0)
		walk(cat);
	catalog_destroy(cat);
	return 0;
}
