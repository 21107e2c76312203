/*
 * The region export's two callers' shared part (issue 17): gathering a
 * region's stored changes, and the `sync-server admin export` command
 * (admin_export.c).
 */
#ifndef SYNC_SERVER_ADMIN_EXPORT_H
#define SYNC_SERVER_ADMIN_EXPORT_H

#include "sync-server/store/backend.h"

struct xport;

/* Feed X every change an admin node of REGION pulls (refused changes
 * are never served), its own included.  0 or the store's errno. */
int admin_export_collect(const struct store_backend *be, struct sstore *s,
    const char *region, struct xport *x);

/* `admin export ...` (ARGV[0] is "export"); the exit status. */
int admin_export(
    const struct store_backend *be, struct sstore *s, int argc, char **argv);

#endif
