/*
 * Prescriptions on the kiosk (issue 14): the issued sheet as text, in the
 * screen language (the patient's when the kiosk knows it), shared by the
 * hub's screen, the clinic's screen and `kiosk rx print`; and the sheet's
 * fields for the region's checker (clinical/rx.h rx_sheet_missing).
 */
#ifndef KIOSK_TUI_SCREEN_RX_H
#define KIOSK_TUI_SCREEN_RX_H

#include <stdint.h>
#include <stdio.h>

#include "clinical/rx.h"

struct store_rx;

/* Buffers the sheet's fields point into. */
struct rx_sheet_buf {
	char inn[96], age[32], date[16], dose[48], freq[48], days[32];
};

/* Fill SHEET from order X; VERIFIED: its signature was checked. */
void rx_sheet_of(const struct store_rx *x, int verified, struct rx_sheet *sheet,
    struct rx_sheet_buf *b);
/* Write order X as a sheet to FP (80 columns), its status when it was
 * cancelled or stopped: 0, or EINVAL with the missing field named on
 * stderr (nothing written then). */
int rx_sheet_print(FILE *fp, const struct store_rx *x, int verified);

#endif
