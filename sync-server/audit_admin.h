/*
 * `sync-server admin audit NODE` and `admin breakglass` (audit_admin.c,
 * issue 17): whether a node's audit chain still extended its anchor at
 * its last sync, and the break-glass accesses.
 */
#ifndef SYNC_SERVER_AUDIT_ADMIN_H
#define SYNC_SERVER_AUDIT_ADMIN_H

#include "sync-server/store/backend.h"

/* ARGV[0] is "audit": 0 the chain extends its anchor, 1 a break (or no
 * anchor yet, or a failure), 2 usage. */
int admin_audit(
    const struct store_backend *, struct sstore *, int argc, char **argv);
/* ARGV[0] is "breakglass" [--json]: 0, 1 failed, 2 usage. */
int admin_breakglass(
    const struct store_backend *, struct sstore *, int argc, char **argv);

#endif
