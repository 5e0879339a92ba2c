/*
 * datadir.h - where the shipped data files are.
 *
 * A program run from the build tree uses the source tree's data/ (so it
 * works before "make install"); an installed one uses $(pkgdatadir).
 * --data-dir overrides both.
 */
#ifndef SVCMAP_DATADIR_H
#define SVCMAP_DATADIR_H

/** The data directory to use; `override` wins when not NULL or "". */
const char *datadir_resolve(const char *override);

#endif /* SVCMAP_DATADIR_H */
