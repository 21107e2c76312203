/*
 * Enrolment tokens: make, fingerprint, parse (etoken.h).  Only the text
 * form; storing the secret's hash and comparing the key are the callers'
 * (sync-server/admin.c, kiosk/sync/client.c).
 */
#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "etoken.h"

static const char etoken_alpha[] = "0123456789abcdefghjkmnpqrstvwxyz";

#define ETOKEN_BODY_LEN (ETOKEN_SECRET_LEN + ETOKEN_FP_LEN)
#define ETOKEN_LEN (ETOKEN_BODY_LEN + 1)

static int
etoken_val(int c)
{
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if (c == 'o')
		c = '0';
	else if (c == 'i' || c == 'l')
		c = '1';
	if (c == '\0' || (p = strchr(etoken_alpha, c)) == NULL)
		return -1;
	return (int)(p - etoken_alpha);
}

/* Luhn mod N (N = 32) over the values of S. */
static int
etoken_check(const char *s, size_t len)
{
	int sum = 0, factor = 2, v;
	size_t i;

	for (i = len; i-- > 0;) {
		v = etoken_val(s[i]) * factor;
		factor = factor == 2 ? 1 : 2;
		sum += v / 32 + v % 32;
	}
	return (32 - sum % 32) % 32;
}

void
etoken_fingerprint(const uint8_t pub[32], char fp[ETOKEN_FP_LEN + 1])
{
	uint8_t h[CRYPTO_SHA256_LEN];
	size_t i, bit;

	crypto_sha256(pub, 32, h);
	/* 16 characters of 5 bits: the first 80 bits of the hash. */
	for (i = 0; i < ETOKEN_FP_LEN; i++) {
		unsigned v = 0, b;

		for (b = 0; b < 5; b++) {
			bit = i * 5 + b;
			v = v << 1 | ((h[bit / 8] >> (7 - bit % 8)) & 1);
		}
		fp[i] = etoken_alpha[v];
	}
	fp[ETOKEN_FP_LEN] = '\0';
}

void
etoken_make(const uint8_t pub[32], char secret[ETOKEN_SECRET_LEN + 1],
    char text[ETOKEN_TEXT_MAX])
{
	uint8_t r[ETOKEN_SECRET_LEN];
	char raw[ETOKEN_LEN + 1];
	size_t i, o = 0;

	crypto_random(r, sizeof(r));
	for (i = 0; i < ETOKEN_SECRET_LEN; i++)
		raw[i] = etoken_alpha[r[i] & 31];
	etoken_fingerprint(pub, raw + ETOKEN_SECRET_LEN);
	raw[ETOKEN_BODY_LEN] = etoken_alpha[etoken_check(raw, ETOKEN_BODY_LEN)];
	raw[ETOKEN_LEN] = '\0';
	memcpy(secret, raw, ETOKEN_SECRET_LEN);
	secret[ETOKEN_SECRET_LEN] = '\0';
	for (i = 0; i < ETOKEN_LEN; i++) {
		if (i > 0 && i % 5 == 0)
			text[o++] = '-';
		text[o++] = raw[i];
	}
	text[o] = '\0';
	explicit_bzero(r, sizeof(r));
	explicit_bzero(raw, sizeof(raw));
}

int
etoken_parse(const char *text, char secret[ETOKEN_SECRET_LEN + 1],
    char fp[ETOKEN_FP_LEN + 1])
{
	char raw[ETOKEN_TEXT_MAX];
	size_t n = 0, hex = 0;
	int v, err = 0;

	for (; *text != '\0'; text++) {
		if (*text == '-' || *text == ' ' || *text == '\t')
			continue;
		if (n == sizeof(raw) - 1 || (v = etoken_val(*text)) < 0) {
			err = EINVAL;
			goto out;
		}
		hex += v < 16;
		raw[n++] = etoken_alpha[v];
	}
	if (n == 32 && hex == 32) {
		err = ENOKEY;
		goto out;
	}
	if (n != ETOKEN_LEN) {
		err = EINVAL;
		goto out;
	}
	if (etoken_alpha[etoken_check(raw, ETOKEN_BODY_LEN)] !=
	    raw[ETOKEN_BODY_LEN]) {
		err = EBADMSG;
		goto out;
	}
	memcpy(secret, raw, ETOKEN_SECRET_LEN);
	secret[ETOKEN_SECRET_LEN] = '\0';
	memcpy(fp, raw + ETOKEN_SECRET_LEN, ETOKEN_FP_LEN);
	fp[ETOKEN_FP_LEN] = '\0';
out:
	explicit_bzero(raw, sizeof(raw));
	return err;
}
