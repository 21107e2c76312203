/*
 * Region keys: an X25519 key pair whose public half every kiosk of a region
 * holds (recovery copies of data keys and exports are sealed to it) and
 * whose private half only the region's administrators keep.  Files hold
 * the key as 64 hex digits and a newline.
 */
#ifndef KIOSK_REGION_H
#define KIOSK_REGION_H

#include <stdint.h>

/* Read a 32-byte key from PATH; prints the reason and returns errno. */
int region_read_key(const char *path, uint8_t key[32]);
/* Write KEY to PATH (mode 0600, refusing to overwrite); prints on error. */
int region_write_key(const char *path, const uint8_t key[32]);

#endif
