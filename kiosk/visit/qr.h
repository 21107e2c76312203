/*
 * A QR code drawn in the terminal with Unicode half blocks (two module
 * rows per text line), light modules as blocks, for a phone to scan off
 * the screen (libqrencode; the only file that links it).
 */
#ifndef KIOSK_VISIT_QR_H
#define KIOSK_VISIT_QR_H

#include <stdio.h>

/* Draw TEXT as a QR code (error correction M, 2-module quiet zone) on FP;
 * 0, or ENOMEM/EINVAL when libqrencode cannot encode it. */
int qr_print(FILE *fp, const char *text);

/*
 * The same drawing as rows of UTF-8 text for a curses screen (one text row
 * per two module rows, *WIDTH columns each), error correction L when
 * EC_LOW (smaller: for a code on a screen, which is not damaged) else M.
 * Free with qr_rows_free, which wipes them (they hold the secret).
 */
int qr_rows(const char *text, int ec_low, char ***rows, int *nrows, int *width);
void qr_rows_free(char **rows, int nrows);

#endif
