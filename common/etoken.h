/*
 * Enrolment tokens as a person types them (docs/PROTOCOL.md §3.1): a
 * one-time secret, the fingerprint of the server's Ed25519 public key and
 * a check character, in base32 (Crockford's alphabet, lowercase) shown as
 * seven groups of five:
 *
 *   ssss-sssss-sssss-sssff-fffff-fffff-ffffc     (s secret, f key, c check)
 *
 * 18 secret characters (90 bits), 16 of the key's SHA-256 (80 bits) and
 * one Luhn mod 32 check character, which catches any one mistyped
 * character and nearly every swap of two neighbours.  Reading is forgiving: case,
 * dashes and spaces do not matter, and o/i/l are read as 0/1/1.
 */
#ifndef ETOKEN_H
#define ETOKEN_H

#include <stdint.h>

#define ETOKEN_SECRET_LEN 18
#define ETOKEN_FP_LEN 16
/* 35 characters, 6 dashes and the NUL */
#define ETOKEN_TEXT_MAX 42

/* The key's fingerprint as it appears in a token (ETOKEN_FP_LEN + NUL). */
void etoken_fingerprint(const uint8_t pub[32], char fp[ETOKEN_FP_LEN + 1]);
/* A new token for the server key PUB: SECRET is what the server keeps
 * (hashed) and the node sends; TEXT what the administrator hands out. */
void etoken_make(const uint8_t pub[32], char secret[ETOKEN_SECRET_LEN + 1],
    char text[ETOKEN_TEXT_MAX]);
/*
 * Read a typed token into its SECRET and key fingerprint FP.  Returns 0;
 * ENOKEY for a token of the old form (32 hex digits, no fingerprint);
 * EBADMSG when the check character does not match (a typo); EINVAL for
 * anything else (wrong length or a character outside the alphabet).
 */
int etoken_parse(const char *text, char secret[ETOKEN_SECRET_LEN + 1],
    char fp[ETOKEN_FP_LEN + 1]);

#endif
