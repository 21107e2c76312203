/*
 * The region dashboard's figures computed from the server store
 * (model/figures.h says where each comes from), through store/backend.h
 * only, so SQLite and PostgreSQL give the same numbers.  No SQL, no HTTP.
 */
#ifndef SYNC_SERVER_REPORT_COMPUTE_H
#define SYNC_SERVER_REPORT_COMPUTE_H

#include <stdint.h>

#include "figures.h"
#include "sync-server/store/backend.h"

/*
 * Compute the figures of REGION at NOW_MS from the store S of backend BE
 * into OUT (cleared here; free with figures_clear, also on failure).
 * The backend's errno values (EIO...).
 */
int figures_compute(const struct store_backend *be, struct sstore *s,
    const char *region, uint64_t now_ms, struct figures *out);

/*
 * The tiles of the other workflows, counted for the region of F (its
 * facilities and kiosks, computed first); each leaves OUT "not available"
 * only when the store has no such table:
 *   fig_claims       claims (issue 15, store_claims_by_status) of the
 *                    region's facilities
 *   fig_emergencies  the server's emergency incidents (issue 16) raised
 *                    by the region's kiosks (intervals: emergency.h)
 *   fig_breakglass   break-glass accesses (issue 17) in the region
 */
int fig_claims(const struct store_backend *be, struct sstore *s,
    const struct figures *f, struct fig_absent *out);
int fig_emergencies(const struct store_backend *be, struct sstore *s,
    const struct figures *f, struct fig_absent *out);
int fig_breakglass(const struct store_backend *be, struct sstore *s,
    const struct figures *f, struct fig_absent *out);

#endif
