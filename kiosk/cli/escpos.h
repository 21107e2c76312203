/*
 * ESC/POS for a receipt printer on USB (issue 14: the prescription
 * sheet, `kiosk rx print ID --escpos DEVICE`): the printer initialised
 * (ESC @), the text wrapped to the paper's columns, fed and cut (ESC d,
 * GS V).  Only printable ASCII reaches the printer: its code page is
 * not set, so any other byte (UTF-8 of an accented label) prints as '?'
 * (the text sheet, `--out FILE`, keeps them).  Written against the
 * Epson ESC/POS command reference; no printer was tried here.
 */
#ifndef KIOSK_CLI_ESCPOS_H
#define KIOSK_CLI_ESCPOS_H

#include <stddef.h>
#include <stdio.h>

#define ESCPOS_COLS 42 /* Font A on 80 mm paper (32 on 58 mm) */

/* Write TEXT (LEN bytes, lines ended by '\n') to OUT as one ESC/POS
 * receipt of at most COLS columns: 0 or errno. */
int escpos_receipt(FILE *out, const char *text, size_t len, int cols);

#endif
