/*
 * The server's second look at a pushed prescription (issue 14): its shape,
 * its signature, and for an order the safety checks of clinical/rx.h
 * again, with the region's formulary and the context the order carries.
 * A refusal is per change, with the wire codes of common/protocol.h
 * (WERR_RX_BLOCKED, WERR_RX_OVERRIDE, WERR_RX_INVALID).
 *
 * The formulary of region CC is read once from
 * $OUTPOST_FORMULARY_DIR/CC.tsv, else clinical/formulary/CC.tsv, else
 * /usr/share/outpost/formulary/CC.tsv; without one, orders of that region
 * are refused (WERR_RX_INVALID): the server does not pass what it cannot
 * check.
 */
#ifndef SYNC_SERVER_RX_CHECK_H
#define SYNC_SERVER_RX_CHECK_H

#include "model.h"
#include "sync-server/store/backend.h"

/* Judge prescription R into V (V->code stays 0 when it passes). */
void rx_check_pushed(const struct model_rec *r, struct sverdict *v);

#endif
