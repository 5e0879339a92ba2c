/*
 * store_backend.h - the entry points of each back end, for store.c's
 * dispatch by URL scheme.  No back end's library header is included
 * here: store.c stays free of them.
 */
#ifndef SVCMAP_STORE_BACKEND_H
#define SVCMAP_STORE_BACKEND_H

#include <stddef.h>

struct reader;
struct store;

/* SQLite (src/sqlite_*.c): a writer that creates and migrates the file,
 * and a read-only reader that requires the current schema version. */
struct store	*sqlite_store_open(const char *path, const char *sensor,
		    char *err, size_t errlen);
struct reader	*sqlite_reader_open(const char *path, char *err,
		    size_t errlen);

#endif /* SVCMAP_STORE_BACKEND_H */
