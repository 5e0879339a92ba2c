/*
 * fuzz_catalog.c - libFuzzer target for the catalog loader.
 *
 * Input: one flag byte (bit 0: load as the site-local file), then the
 * text of one catalog file.  catalog_load_file() takes a path, so the
 * text goes into a memory file (memfd) reached through /proc/self/fd:
 * the loader runs exactly as on disk, with no file left behind.  A file
 * that loads and finishes is then walked through every lookup the
 * classifier makes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "svcmap/catalog.h"
#include "svcmap/log.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct catalog *cat;
	char path[64], err[256];

	if (size < 1 || size > 1 << 16)
		return 0;
	if (fd == -1) {
		/* Every bad line is logged: keep a fuzzing run's output readable. */
		log_init("fuzz_catalog", false, 0);
		log_set_level(LOG_LEVEL_ERR);
		if ((fd = memfd_create("catalog", 0)) == -1)
			abort();
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((cat = catalog_create()) == NULL)
		return 0;
	if (catalog_load_file(cat, path, data[0] & 1, err, sizeof(err)) == 0 &&
	    catalog_finish(cat, err, sizeof(err)) == 0)
		walk(cat);
	catalog_destroy(cat);
	return 0;
}
