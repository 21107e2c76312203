/*
 * A QR code drawn in the terminal with Unicode half blocks (two module
 * rows per text line), light modules as blocks, for a phone to scan off
 * the screen (libqrencode; the only file that links it).
 */
#ifndef KIOSK_CLI_QR_H
#define KIOSK_CLI_QR_H

#include <stdio.h>

/* Draw TEXT as a QR code (error correction M, 2-module quiet zone) on FP;
 * 0, or ENOMEM/EINVAL when libqrencode cannot encode it. */
int qr_print(FILE *fp, const char *text);

#endif
