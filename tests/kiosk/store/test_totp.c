/*
 * The second factor (issue 17): RFC 6238 Appendix B's vectors through
 * liboath (SHA-1, SHA-256, SHA-512), the window (±1 step accepted, ±2
 * refused), no code accepted twice, recovery codes, and the keyring's
 * unlock with a code: once each recovery code, wrong codes counted and
 * locking like wrong passphrases, the factor kept by a passphrase reset
 * and never in clear in the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "crypto.h"
#include "kiosk/store/keyring.h"
#include "kiosk/store/totp.h"
#include "test.h"
#include "xmalloc.h"

static const struct keyring_kdf cheap = { 1, 64, 1 };

/* RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the
 * hash's key size. */
static const char seed20[] = "12345678901234567890";
static const char seed32[] = "12345678901234567890123456789012";
static const char seed64[] = "1234567890123456789012345678901234567890"
                             "123456789012345678901234";

static const struct {
	long long t;
	const char *sha1, *sha256, *sha512;
} vectors[] = {
	{ 59, "94287082", "46119246", "90693936" },
	{ 1111111109, "07081804", "68084774", "25091201" },
	{ 1111111111, "14050471", "67062674", "99943326" },
	{ 1234567890, "89005924", "91819424", "93441116" },
	{ 2000000000, "69279037", "90698825", "38618901" },
	{ 20000000000LL, "65353130", "77737706", "47863826" },
};

static void
cleanup(const char *d)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
}

static int
test_rfc6238(void)
{
	char out[16];
	size_t i;
	int err = 0;

	for (i = 0; i < nitems(vectors); i++) {
		time_t t = (time_t)vectors[i].t;
		TEST_ERR(totp_code(
		    (const uint8_t *)seed20, 20, TOTP_SHA1, 8, t, out));
		TEST_STR(out, vectors[i].sha1);
		TEST_ERR(totp_code(
		    (const uint8_t *)seed32, 32, TOTP_SHA256, 8, t, out));
		TEST_STR(out, vectors[i].sha256);
		TEST_ERR(totp_code(
		    (const uint8_t *)seed64, 64, TOTP_SHA512, 8, t, out));
		TEST_STR(out, vectors[i].sha512);
		/* 6 digits are the last 6 of the 8 (RFC 4226 truncation) */
		TEST_ERR(totp_code(
		    (const uint8_t *)seed20, 20, TOTP_SHA1, 6, t, out));
		TEST_STR(out, vectors[i].sha1 + 2);
	}
	TEST_EQ(totp_code((const uint8_t *)seed20, 20, TOTP_SHA1, 5, 59, out),
	    EINVAL);
out:
	return err;
}

/* The 6-digit code of step S of the RFC's SHA-1 seed. */
static void
code_at(uint64_t s, char out[8])
{
	if (totp_code((const uint8_t *)seed20, 20, TOTP_SHA1, 6,
	        (time_t)(s * TOTP_STEP_S), out) != 0)
		out[0] = '\0';
}

static int
test_skew(void)
{
	const uint8_t *sec = (const uint8_t *)seed20;
	time_t now = 1234567890;
	uint64_t cur = totp_step(now), step = 0;
	char c[8];
	int d, err = 0;

	for (d = -3; d <= 3; d++) {
		code_at(cur + (uint64_t)(long long)d, c);
		err = totp_verify(sec, 20, c, now, 0, &step);
		if (d >= -1 && d <= 1) {
			if (err != 0)
				TEST_FAILED("skew %d steps refused", d);
			TEST_EQ(step, cur + (uint64_t)(long long)d);
		} else if (err != EACCES)
			TEST_FAILED("skew %d steps accepted", d);
		err = 0;
	}
	/* at the step's last second and the next one's first: still ±1 */
	code_at(cur - 1, c);
	TEST_ERR(totp_verify(
	    sec, 20, c, (time_t)(cur * TOTP_STEP_S + 29), 0, &step));
	TEST_EQ(totp_verify(
	            sec, 20, c, (time_t)((cur + 1) * TOTP_STEP_S), 0, &step),
	    EACCES);
	/* not a code: letters, too short, too long; spaces are fine */
	TEST_EQ(totp_verify(sec, 20, "12a456", now, 0, &step), EACCES);
	TEST_EQ(totp_verify(sec, 20, "12345", now, 0, &step), EACCES);
	TEST_EQ(totp_verify(sec, 20, "1234567", now, 0, &step), EACCES);
	code_at(cur, c);
	{
		char spaced[10];
		snprintf(spaced, sizeof(spaced), "%.3s %.3s", c, c + 3);
		TEST_ERR(totp_verify(sec, 20, spaced, now, 0, &step));
	}
out:
	return err;
}

static int
test_replay(void)
{
	const uint8_t *sec = (const uint8_t *)seed20;
	time_t now = 2000000000;
	uint64_t cur = totp_step(now), step = 0, last;
	char c[8];
	int err = 0;

	code_at(cur, c);
	TEST_ERR(totp_verify(sec, 20, c, now, 0, &step));
	last = step;
	/* the same code again, at once or 20 s later: refused */
	TEST_EQ(totp_verify(sec, 20, c, now, last, &step), EACCES);
	TEST_EQ(totp_verify(sec, 20, c, now + 20, last, &step), EACCES);
	/* an older code still in the window: refused after a newer one */
	code_at(cur - 1, c);
	TEST_EQ(totp_verify(sec, 20, c, now, last, &step), EACCES);
	/* the next step's code: accepted */
	code_at(cur + 1, c);
	TEST_ERR(totp_verify(sec, 20, c, now + TOTP_STEP_S, last, &step));
	TEST_EQ(step, cur + 1);
out:
	return err;
}

static int
test_uri(void)
{
	char *b32 = NULL, *uri = NULL;
	int err = 0;

	b32 = totp_base32((const uint8_t *)seed20, 20);
	TEST_STR(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	uri = totp_uri("Outpost clinic 3", "amina@kiosk", b32);
	TEST_STR(uri,
	    "otpauth://totp/Outpost%20clinic%203:amina%40kiosk?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Outpost%20clinic%203"
	    "&algorithm=SHA1&digits=6&period=30");
out:
	free(b32);
	free(uri);
	return err;
}

static int
test_recovery_codes(void)
{
	char c[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1], low[16];
	uint8_t h1[32], h2[32];
	size_t i, j;
	int err = 0;

	for (i = 0; i < TOTP_RECOVERY_N; i++) {
		totp_recovery_new(c[i]);
		TEST_EQ(strlen(c[i]), TOTP_RECOVERY_LEN);
		TEST_EQ(c[i][5], '-');
		TEST_TRUE(strpbrk(c[i], "01OIL") == NULL);
		for (j = 0; j < i; j++)
			TEST_TRUE(strcmp(c[i], c[j]) != 0);
	}
	/* typed in lower case, without the dash, with spaces: the same */
	for (i = j = 0; c[0][i] != '\0'; i++)
		if (c[0][i] != '-')
			low[j++] = (char)(c[0][i] | 0x20);
	low[j] = '\0';
	TEST_ERR(totp_recovery_hash("amina", c[0], h1));
	TEST_ERR(totp_recovery_hash("amina", low, h2));
	TEST_MEM(h1, h2, 32);
	/* bound to the user */
	TEST_ERR(totp_recovery_hash("baraka", c[0], h2));
	TEST_TRUE(memcmp(h1, h2, 32) != 0);
	TEST_EQ(totp_recovery_hash("amina", "ABCDE-FGHJ", h2), EINVAL);
	TEST_EQ(totp_recovery_hash("amina", "ABCDE-FGHJ0", h2), EINVAL);
out:
	return err;
}

static int
read_file(const char *d, uint8_t **buf, size_t *len)
{
	char *path;
	FILE *fp;
	int err = 0;

	xasprintf(&path, "%s/%s", d, KEYRING_FILE);
	*buf = xmalloc(1 << 20);
	if ((fp = fopen(path, "rb")) == NULL)
		err = errno;
	else {
		*len = fread(*buf, 1, 1 << 20, fp);
		fclose(fp);
	}
	free(path);
	return err;
}

/* A keyring in D with "amina" enrolled; the codes in CODES. */
static int
enrolled(const char *d, unsigned max_failures, uint8_t key[32],
    uint8_t sec[TOTP_SECRET_LEN],
    char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1])
{
	struct keyring *k = keyring_new(d, max_failures, 0);
	size_t i;
	int err;

	crypto_random(key, 32);
	crypto_random(sec, TOTP_SECRET_LEN);
	for (i = 0; i < TOTP_RECOVERY_N; i++)
		totp_recovery_new(codes[i]);
	err = keyring_wrap_user(k, "amina", "amina-pass", key, &cheap, NULL);
	if (err == 0)
		err =
		    keyring_wrap_user(k, "chw", "chw-pass", key, &cheap, NULL);
	if (err == 0)
		err = keyring_mfa_set(k, "amina", key, sec,
		    (const char(*)[TOTP_RECOVERY_LEN + 1]) codes, 0);
	keyring_free(k);
	return err;
}

static int
test_keyring_mfa(void)
{
	char d[] = "/tmp/outpost-totp-XXXXXX", c[8], *cause = NULL;
	char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1], *b32 = NULL;
	uint8_t key[32], out[32], sec[TOTP_SECRET_LEN], *file = NULL;
	struct keyring *k = NULL;
	time_t now = 1700000000;
	size_t len;
	int rec = 0, err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	TEST_ERR(enrolled(d, 10, key, sec, codes));
	TEST_ERR(keyring_load(d, &k));
	TEST_TRUE(keyring_user_mfa(k, "amina"));
	TEST_TRUE(!keyring_user_mfa(k, "chw"));
	TEST_EQ(keyring_mfa_left(k, "amina"), TOTP_RECOVERY_N);
	/* without a code: refused, nothing counted */
	TEST_EQ(keyring_unlock(k, "amina", "amina-pass", out, &cause), EACCES);
	TEST_TRUE(strstr(cause, "code") != NULL);
	free(cause);
	cause = NULL;
	TEST_EQ(keyring_wait_ms(k, "amina"), 0);
	/* passphrase and code */
	TEST_ERR(totp_code(sec, sizeof(sec), TOTP_SHA1, 6, now, c));
	TEST_ERR(keyring_unlock_mfa(
	    k, "amina", "amina-pass", c, now, out, &rec, &cause));
	TEST_MEM(out, key, 32);
	TEST_EQ(rec, 0);
	/* the same code again, from another process's copy: refused */
	keyring_free(k);
	k = NULL;
	TEST_ERR(keyring_load(d, &k));
	TEST_EQ(keyring_unlock_mfa(
	            k, "amina", "amina-pass", c, now + 5, out, &rec, &cause),
	    EACCES);
	TEST_TRUE(strstr(cause, "passphrase or code") != NULL);
	free(cause);
	cause = NULL;
	/* a recovery code works once (any case, no dash) */
	TEST_ERR(keyring_unlock_mfa(
	    k, "amina", "amina-pass", codes[3], now, out, &rec, &cause));
	TEST_EQ(rec, 1);
	TEST_EQ(keyring_mfa_left(k, "amina"), TOTP_RECOVERY_N - 1);
	TEST_EQ(keyring_unlock_mfa(
	            k, "amina", "amina-pass", codes[3], now, out, &rec, &cause),
	    EACCES);
	free(cause);
	cause = NULL;
	/* the right code with a wrong passphrase: refused */
	TEST_ERR(totp_code(sec, sizeof(sec), TOTP_SHA1, 6, now + 30, c));
	TEST_EQ(keyring_unlock_mfa(
	            k, "amina", "wrong-pass", c, now + 30, out, &rec, &cause),
	    EACCES);
	free(cause);
	cause = NULL;
	/* a user without a factor unlocks as before */
	TEST_ERR(keyring_unlock(k, "chw", "chw-pass", out, &cause));
	/* a passphrase reset keeps the factor (sealed under the data key) */
	TEST_ERR(keyring_wrap_user(k, "amina", "new-pass-1", key, NULL, NULL));
	TEST_TRUE(keyring_user_mfa(k, "amina"));
	TEST_ERR(keyring_unlock_mfa(
	    k, "amina", "new-pass-1", c, now + 30, out, &rec, &cause));
	/* the secret is nowhere in the file in clear, raw or in base32 */
	TEST_ERR(read_file(d, &file, &len));
	TEST_TRUE(memmem(file, len, sec, sizeof(sec)) == NULL);
	b32 = totp_base32(sec, sizeof(sec));
	TEST_TRUE(memmem(file, len, b32, strlen(b32)) == NULL);
	TEST_TRUE(memmem(file, len, codes[0], TOTP_RECOVERY_LEN) == NULL);
	/* removed by an administrator: the passphrase alone again */
	TEST_ERR(keyring_mfa_clear(k, "amina"));
	TEST_ERR(keyring_unlock(k, "amina", "new-pass-1", out, &cause));
out:
	free(cause);
	free(file);
	free(b32);
	keyring_free(k);
	cleanup(d);
	return err;
}

/* Wrong second factors count, wait and lock like wrong passphrases. */
static int
test_lockout(void)
{
	char d[] = "/tmp/outpost-totp-XXXXXX", c[8], *cause = NULL;
	char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1];
	uint8_t key[32], out[32], sec[TOTP_SECRET_LEN];
	struct keyring *k = NULL;
	time_t now = 1700000000;
	const struct keyring_failure *f;
	size_t n;
	int i, err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	TEST_ERR(enrolled(d, 3, key, sec, codes));
	TEST_ERR(keyring_load(d, &k));
	TEST_ERR(totp_code(sec, sizeof(sec), TOTP_SHA1, 6, now, c));
	c[5] = c[5] == '9' ? '0' : (char)(c[5] + 1); /* one digit off */
	for (i = 1; i <= 3; i++) {
		err = keyring_unlock_mfa(
		    k, "amina", "amina-pass", c, now, out, NULL, &cause);
		if (err != (i < 3 ? EACCES : EPERM))
			TEST_FAILED("wrong code %d: %s", i, strerror(err));
		err = 0;
		free(cause);
		cause = NULL;
	}
	f = keyring_failures(k, &n);
	TEST_EQ(n, 3);
	TEST_STR(f[0].user, "amina");
	/* locked: the right passphrase and code no longer open it */
	TEST_ERR(totp_code(sec, sizeof(sec), TOTP_SHA1, 6, now + 30, c));
	TEST_EQ(keyring_unlock_mfa(
	            k, "amina", "amina-pass", c, now + 30, out, NULL, &cause),
	    EPERM);
	free(cause);
	cause = NULL;
	/* an administrator's unlock; then a wrong recovery code counts too */
	TEST_ERR(keyring_reset_failures(k, "amina"));
	TEST_EQ(keyring_unlock_mfa(k, "amina", "amina-pass", "ABCDE-FGHJK", now,
	            out, NULL, &cause),
	    EACCES);
	TEST_TRUE(strstr(cause, "1 of 3") != NULL);
	free(cause);
	cause = NULL;
	TEST_ERR(keyring_unlock_mfa(
	    k, "amina", "amina-pass", c, now + 30, out, NULL, &cause));
	TEST_EQ(keyring_wait_ms(k, "amina"), 0);
out:
	free(cause);
	keyring_free(k);
	cleanup(d);
	return err;
}

TEST_MAIN({ "rfc6238", test_rfc6238 }, { "skew", test_skew },
    { "replay", test_replay }, { "uri", test_uri },
    { "recovery_codes", test_recovery_codes },
    { "keyring_mfa", test_keyring_mfa }, { "lockout", test_lockout })
