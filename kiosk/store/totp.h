/*
 * TOTP (RFC 6238) second factor, through liboath: codes, their check
 * against the last step used, the otpauth:// URI an authenticator app
 * reads, and one-time recovery codes.  Pure functions: no file, no
 * clock of its own (the caller passes the time), no logging of secrets
 * or codes.  Where the secret is kept (sealed in the keyring) is
 * keyring.c's business.
 */
#ifndef KIOSK_TOTP_H
#define KIOSK_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_STEP_S 30 /* RFC 6238 X: the authenticator apps' default */
#define TOTP_DIGITS 6
#define TOTP_SECRET_LEN 20 /* 160 bits, RFC 4226's recommendation */
#define TOTP_WINDOW 1 /* steps of clock skew accepted either way */
#define TOTP_RECOVERY_N 10 /* one-time recovery codes per enrolment */
#define TOTP_RECOVERY_LEN 11 /* "xxxxx-xxxxx" */

enum totp_alg { TOTP_SHA1, TOTP_SHA256, TOTP_SHA512 };

/* The RFC 6238 time step of T. */
uint64_t totp_step(time_t t);

/*
 * The DIGITS-digit code of SECRET at time T with ALG into OUT (at least
 * DIGITS + 1 bytes).  0, or EINVAL (DIGITS outside 6..8, or liboath
 * refused).
 */
int totp_code(const uint8_t *secret, size_t len, enum totp_alg alg,
    unsigned digits, time_t t, char *out);

/*
 * Check CODE (TOTP_DIGITS digits, SHA-1, spaces ignored) for SECRET at
 * NOW: accepted when it is the code of a step within TOTP_WINDOW of NOW's
 * and later than LAST_STEP (a code is never accepted twice, nor one older
 * than a code already used).  0 and the matched step in *STEP, or EACCES.
 */
int totp_verify(const uint8_t *secret, size_t len, const char *code, time_t now,
    uint64_t last_step, uint64_t *step);

/* SECRET as RFC 4648 base32 without padding (what people type); the
 * caller frees it with xfree_secret_str. */
char *totp_base32(const uint8_t *secret, size_t len);

/* The otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&... URI of
 * Google Authenticator's Key Uri Format, percent-encoded; caller frees
 * with xfree_secret_str (it holds the secret). */
char *totp_uri(const char *issuer, const char *account, const char *b32);
/* The same without the parameters whose values are the format's
 * defaults (algorithm SHA1, 6 digits, 30 s): a QR code small enough for
 * an 80x24 screen. */
char *totp_uri_short(const char *issuer, const char *account, const char *b32);

/* A new recovery code, "xxxxx-xxxxx" from a 32-letter alphabet without
 * 0/O or 1/I/L (50 random bits), into OUT (TOTP_RECOVERY_LEN + 1). */
void totp_recovery_new(char out[TOTP_RECOVERY_LEN + 1]);

/*
 * The hash a recovery code is kept as, bound to the user NAME: SHA-256
 * of the code with case, spaces and dashes dropped.  EINVAL when CODE
 * does not have the form of a recovery code.
 */
int totp_recovery_hash(const char *name, const char *code, uint8_t out[32]);

#endif
