/*
 * The server's licence registry at work (issue 14): the signed snapshot a
 * region's kiosks pull (POST /v1/licences), and the re-check of pushed
 * consult accepts and signed notes against the registry at the act's
 * time.  The registry itself is in the store (backend.h licence_put,
 * licence_list); the check is model/licence.h.
 */
#ifndef SYNC_SERVER_REGISTRY_H
#define SYNC_SERVER_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "sync-server/server.h"

#define REGISTRY_TTL_MS (7ULL * 24 * 3600 * 1000)

/*
 * The signed snapshot of REGION (*OUT is the caller's) and its VERSION.  Built again, with
 * the next version, when the registry changed since the one kept in the
 * store or a seventh of its lifetime has passed; else the kept one.
 * 0, or the store's errno.
 */
int registry_snapshot(struct server *, const char *region, uint64_t now_ms,
    uint8_t **out, size_t *len, uint64_t *version);

/* Is licensing on in REGION: does any licence of REG cover it?  A region
 * nobody is registered for has licensing off (docs/SECURITY.md). */
int registry_region_on(const struct licence_set *reg, const char *region);

/*
 * Re-check the N pushed CHANGES of PUSHER (after policy_read): a consult
 * accept (LIC_ACT_CONSULT at REC_CONSULT_ACCEPTED) not permitted gets
 * WERR_LICENCE in its verdict, with the reason in words; a signed note
 * (LIC_ACT_NOTE at REC_CONSULT_SIGNED) is kept and flagged; a prescription
 * order (LIC_ACT_PRESCRIBE at REC_RX_SIGNED) not permitted is refused.  Each refusal
 * and each flag is logged (no patient data) and stored as an alert
 * ("licence-refused", "licence-lapsed").  Changes already refused are
 * left alone.  Returns the number refused.
 */
size_t registry_recheck(struct server *, const struct snode *pusher,
    const struct schange *changes, size_t n, struct sverdict *verdicts,
    uint64_t now_ms);

/* `admin licence ...` (admin_licence.c): 0, 1 (failed, said why), 2
 * (usage). */
int admin_licence(
    const struct store_backend *, struct sstore *, int argc, char **argv);

#endif
