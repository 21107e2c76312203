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
 * The tiles of capabilities this server does not have yet.  Each returns
 * 0 and leaves OUT "not available" ("no data yet" on the screens); each
 * names what it will read once the lead merges that work:
 *   fig_claims       the claims table of the claim builder (issue 15),
 *                    counted by status
 *   fig_emergencies  the server's emergency incidents (issue 16), with
 *                    the raise -> first acknowledgement interval
 *   fig_breakglass   break-glass openings from the audit (issue 17,
 *                    Access), listed
 */
int fig_claims(const struct store_backend *be, struct sstore *s,
    const char *region, struct fig_absent *out);
int fig_emergencies(const struct store_backend *be, struct sstore *s,
    const char *region, struct fig_absent *out);
int fig_breakglass(const struct store_backend *be, struct sstore *s,
    const char *region, struct fig_absent *out);

#endif
