/* Crypto helpers: known-answer tests where a standard gives one, and
 * tamper tests for everything that authenticates. */
#include <errno.h>
#include <stdlib.h>

#include "crypto.h"
#include "encode.h"
#include "test.h"

static int
test_sha256_kat(void)
{
	uint8_t d[32], e[32];
	struct crypto_sha256 *h;
	char *hex = NULL;
	int err = 0;

	crypto_sha256("abc", 3, d); /* FIPS 180-2 B.1 */
	hex = hex_encode(d, 32);
	TEST_STR(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	h = crypto_sha256_new();
	crypto_sha256_update(h, "a", 1);
	crypto_sha256_update(h, "bc", 2);
	crypto_sha256_final(h, e);
	TEST_MEM(d, e, 32);
out:
	free(hex);
	return err;
}

static int
test_hkdf_kat(void)
{
	/* RFC 5869 A.1 with empty... use test case 3 (no salt, no info) */
	uint8_t ikm[22], okm[42];
	char *hex = NULL;
	int err = 0;

	memset(ikm, 0x0b, sizeof(ikm));
	TEST_ERR(crypto_hkdf(ikm, sizeof(ikm), NULL, 0, "", okm, sizeof(okm)));
	hex = hex_encode(okm, sizeof(okm));
	TEST_STR(hex,
	    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
out:
	free(hex);
	return err;
}

static int
test_aead_tamper(void)
{
	uint8_t key[32], ct[5 + CRYPTO_AEAD_OVERHEAD], pt[5];
	int err = 0;

	crypto_random(key, sizeof(key));
	TEST_ERR(crypto_aead_seal(key, "aad", 3, "hello", 5, ct));
	TEST_ERR(crypto_aead_open(key, "aad", 3, ct, sizeof(ct), pt));
	TEST_MEM(pt, "hello", 5);
	TEST_EQ(crypto_aead_open(key, "aaX", 3, ct, sizeof(ct), pt), EBADMSG);
	ct[14] ^= 1;
	TEST_EQ(crypto_aead_open(key, "aad", 3, ct, sizeof(ct), pt), EBADMSG);
	TEST_EQ(crypto_aead_open(key, "aad", 3, ct, 10, pt), EBADMSG);
out:
	return err;
}

static int
test_seal_to(void)
{
	uint8_t priv[32], pub[32], other[32], opub[32];
	uint8_t box[32 + CRYPTO_SEAL_OVERHEAD], out[32], secret[32];
	int err = 0;

	crypto_random(secret, sizeof(secret));
	TEST_ERR(crypto_x25519_keygen(priv, pub));
	TEST_ERR(crypto_x25519_keygen(other, opub));
	TEST_ERR(crypto_seal_to(pub, "test", secret, 32, box));
	TEST_ERR(crypto_unseal(priv, "test", box, sizeof(box), out));
	TEST_MEM(out, secret, 32);
	TEST_EQ(crypto_unseal(other, "test", box, sizeof(box), out), EBADMSG);
	TEST_EQ(crypto_unseal(priv, "other", box, sizeof(box), out), EBADMSG);
out:
	return err;
}

static int
test_ed25519(void)
{
	uint8_t priv[32], pub[32], sig[64];
	int err = 0;

	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	TEST_ERR(crypto_ed25519_sign(priv, "msg", 3, sig));
	TEST_ERR(crypto_ed25519_verify(pub, "msg", 3, sig));
	TEST_EQ(crypto_ed25519_verify(pub, "msh", 3, sig), EBADMSG);
	sig[0] ^= 1;
	TEST_EQ(crypto_ed25519_verify(pub, "msg", 3, sig), EBADMSG);
out:
	return err;
}

static int
test_pbkdf2_kat(void)
{
	/* PBKDF2-HMAC-SHA512, "password"/"salt", 1 iteration (RFC 7914-era
	 * vectors widely published for SHA-512) */
	uint8_t out[16];
	char *hex = NULL;
	int err = 0;

	TEST_ERR(crypto_pbkdf2_sha512(
	    "password", 8, (const uint8_t *)"salt", 4, 1, out, sizeof(out)));
	hex = hex_encode(out, sizeof(out));
	TEST_STR(hex, "867f70cf1ade02cff3752599a3a53dc4");
out:
	free(hex);
	return err;
}

TEST_MAIN({ "sha256_kat", test_sha256_kat }, { "hkdf_kat", test_hkdf_kat },
    { "aead_tamper", test_aead_tamper }, { "seal_to", test_seal_to },
    { "ed25519", test_ed25519 }, { "pbkdf2_kat", test_pbkdf2_kat })
