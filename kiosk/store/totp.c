/*
 * TOTP codes with liboath (RFC 6238), checked here step by step so a code
 * is compared in constant time and the last step used can refuse a
 * replay.  Recovery codes and the enrolment URI.  See totp.h.
 */
#define LOG_MODULE "totp"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>

#include "buf.h"
#include "crypto.h"
#include "log.h"
#include "totp.h"
#include "xmalloc.h"

/* Crockford-like: no 0/O, 1/I/L, so a code read aloud or off paper is
 * typed right. */
static const char totp_alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
#define TOTP_ALPHABET_N 31

static int totp_ready;

static void
totp_init(void)
{
	/* liboath's global init only checks the crypto back end. */
	if (!totp_ready && oath_init() == OATH_OK)
		totp_ready = 1;
}

uint64_t
totp_step(time_t t)
{
	return t < 0 ? 0 : (uint64_t)t / TOTP_STEP_S;
}

int
totp_code(const uint8_t *secret, size_t len, enum totp_alg alg, unsigned digits,
    time_t t, char *out)
{
	int flags = alg == TOTP_SHA256 ? OATH_TOTP_HMAC_SHA256
	    : alg == TOTP_SHA512       ? OATH_TOTP_HMAC_SHA512
	                               : 0;

	if (digits < 6 || digits > 8)
		return EINVAL;
	totp_init();
	if (oath_totp_generate2((const char *)secret, len, t, TOTP_STEP_S, 0,
	        digits, flags, out) != OATH_OK)
		return EINVAL;
	return 0;
}

int
totp_verify(const uint8_t *secret, size_t len, const char *code, time_t now,
    uint64_t last_step, uint64_t *step)
{
	char typed[TOTP_DIGITS + 1], want[TOTP_DIGITS + 1];
	uint64_t cur = totp_step(now), s, lo, found = 0;
	size_t n = 0;
	int ok = 0;

	for (; *code != '\0'; code++) {
		if (*code == ' ')
			continue;
		if (!isdigit((unsigned char)*code) || n == TOTP_DIGITS)
			return EACCES;
		typed[n++] = *code;
	}
	if (n != TOTP_DIGITS)
		return EACCES;
	typed[n] = '\0';
	lo = cur >= TOTP_WINDOW ? cur - TOTP_WINDOW : 0;
	for (s = lo; s <= cur + TOTP_WINDOW; s++) {
		if (s <= last_step)
			continue; /* used, or older than a code used */
		if (totp_code(secret, len, TOTP_SHA1, TOTP_DIGITS,
		        (time_t)(s * TOTP_STEP_S), want) != 0)
			continue;
		if (crypto_memcmp(want, typed, TOTP_DIGITS) == 0 && !ok) {
			ok = 1;
			found = s;
		}
	}
	explicit_bzero(typed, sizeof(typed));
	explicit_bzero(want, sizeof(want));
	if (!ok)
		return EACCES;
	*step = found;
	return 0;
}

char *
totp_base32(const uint8_t *secret, size_t len)
{
	char *b32 = NULL, *out;
	size_t n = 0, i, j;

	totp_init();
	if (oath_base32_encode((const char *)secret, len, &b32, &n) !=
	        OATH_OK ||
	    b32 == NULL)
		fatalx("base32 encoding failed");
	out = xmalloc(n + 1);
	for (i = j = 0; i < n; i++)
		if (b32[i] != '=')
			out[j++] = b32[i];
	out[j] = '\0';
	explicit_bzero(b32, n);
	free(b32); /* liboath's own allocation */
	return out;
}

static void
totp_pct(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			buf_printf(b, "%c", c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

static char *
totp_uri_opt(const char *issuer, const char *account, const char *b32, int full)
{
	struct buf b;
	char *s;

	buf_init(&b, 4096);
	buf_printf(&b, "otpauth://totp/");
	totp_pct(&b, issuer);
	buf_printf(&b, ":");
	totp_pct(&b, account);
	buf_printf(&b, "?secret=%s&issuer=", b32);
	totp_pct(&b, issuer);
	if (full)
		buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d",
		    TOTP_DIGITS, TOTP_STEP_S);
	s = buf_take_str(&b);
	buf_free(&b);
	return s;
}

char *
totp_uri(const char *issuer, const char *account, const char *b32)
{
	return totp_uri_opt(issuer, account, b32, 1);
}

char *
totp_uri_short(const char *issuer, const char *account, const char *b32)
{
	return totp_uri_opt(issuer, account, b32, 0);
}

void
totp_recovery_new(char out[TOTP_RECOVERY_LEN + 1])
{
	uint8_t r[10];
	size_t i, j = 0;

	/* 31 letters: a byte modulo 31 is off by under 1% (256 = 8*31 + 8):
	 * refuse bytes >= 248 for an even draw. */
	for (i = 0; i < 10;) {
		crypto_random(r, sizeof(r));
		for (j = 0; j < sizeof(r) && i < 10; j++) {
			if (r[j] >= 248)
				continue;
			out[i < 5 ? i : i + 1] =
			    totp_alphabet[r[j] % TOTP_ALPHABET_N];
			i++;
		}
	}
	out[5] = '-';
	out[TOTP_RECOVERY_LEN] = '\0';
	explicit_bzero(r, sizeof(r));
}

int
totp_recovery_hash(const char *name, const char *code, uint8_t out[32])
{
	char norm[16];
	size_t n = 0;
	struct buf b;
	int c;

	for (; *code != '\0'; code++) {
		c = toupper((unsigned char)*code);
		if (c == ' ' || c == '-')
			continue;
		if (n == 10 || strchr(totp_alphabet, c) == NULL || c == '\0')
			return EINVAL;
		norm[n++] = (char)c;
	}
	if (n != 10)
		return EINVAL;
	norm[n] = '\0';
	buf_init(&b, 1024);
	buf_printf(&b, "outpost-recovery-code-v1:%s:%s", name, norm);
	crypto_sha256(b.data, b.len, out);
	explicit_bzero(b.data, b.cap);
	explicit_bzero(norm, sizeof(norm));
	buf_free(&b);
	return 0;
}
