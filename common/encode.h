/*
 * Hex and base64 (RFC 4648, standard and URL-safe alphabets).
 * Returned strings are the caller's to free.
 */
#ifndef ENCODE_H
#define ENCODE_H

#include <stddef.h>
#include <stdint.h>

char *hex_encode(const void *, size_t);
/* Decode hex (either case, no separators) into OUT of OUTCAP bytes.
 * Returns 0, EINVAL (odd length or bad digit) or EMSGSIZE. */
int hex_decode(const char *, uint8_t *out, size_t outcap, size_t *outlen);

char *base64_encode(const void *, size_t, int urlsafe);
/* Decode base64 (padding optional, either alphabet).  OUT must hold
 * 3*(len/4)+3 bytes.  Returns 0 or EINVAL. */
int base64_decode(const char *, size_t len, uint8_t *out, size_t *outlen);

#endif
