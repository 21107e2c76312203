/*
 * OpenSSL 3 behind a small surface.  Every OpenSSL failure is logged with
 * OpenSSL's own reason and returned as EIO; a failed authentication tag or
 * signature is EBADMSG.  No key material is logged or kept here.
 */
#define LOG_MODULE "crypto"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "log.h"
#include "xmalloc.h"

static int
crypto_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256];

	ERR_error_string_n(e, msg, sizeof(msg));
	log_warnx("%s failed: %s", what, msg);
	ERR_clear_error();
	return EIO;
}

void
crypto_random(void *buf, size_t len)
{
	if (len > 0 && RAND_bytes(buf, (int)len) != 1)
		fatalx("the system random number generator failed");
}

void
crypto_sha256(const void *p, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	if (EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL) != 1)
		fatalx("SHA-256 failed");
}

int
crypto_digest(
    const char *alg, const void *p, size_t len, uint8_t out[64], size_t *outlen)
{
	static const struct {
		const char *name;
		const EVP_MD *(*md)(void);
	} algs[] = { { "MD5", EVP_md5 }, { "SHA-1", EVP_sha1 },
		{ "SHA-256", EVP_sha256 }, { "SHA-384", EVP_sha384 },
		{ "SHA-512", EVP_sha512 } };
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(alg, algs[i].name) == 0) {
			if (EVP_Digest(p, len, out, &n, algs[i].md(), NULL) !=
			    1)
				fatalx("%s failed", alg);
			*outlen = n;
			return 0;
		}
	return EINVAL;
}

struct crypto_sha256 {
	EVP_MD_CTX *ctx;
};

struct crypto_sha256 *
crypto_sha256_new(void)
{
	struct crypto_sha256 *h = xcalloc(1, sizeof(*h));

	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		fatalx("SHA-256 init failed");
	return h;
}

void
crypto_sha256_update(struct crypto_sha256 *h, const void *p, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, p, len) != 1)
		fatalx("SHA-256 update failed");
}

void
crypto_sha256_final(struct crypto_sha256 *h, uint8_t out[CRYPTO_SHA256_LEN])
{
	if (EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
		fatalx("SHA-256 final failed");
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
crypto_hmac_sha256(const uint8_t *key, size_t keylen, const void *msg,
    size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, NULL) == NULL)
		fatalx("HMAC-SHA256 failed");
}

int
crypto_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const char *info, uint8_t *out, size_t outlen)
{
	EVP_PKEY_CTX *pc;
	int err = 0;

	if ((pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL)) == NULL)
		return crypto_fail("HKDF context");
	if (EVP_PKEY_derive_init(pc) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(pc, EVP_sha256()) <= 0 ||
	    (salt != NULL &&
	        EVP_PKEY_CTX_set1_hkdf_salt(pc, salt, (int)saltlen) <= 0) ||
	    EVP_PKEY_CTX_set1_hkdf_key(pc, ikm, (int)ikmlen) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(
	        pc, (const unsigned char *)info, (int)strlen(info)) <= 0 ||
	    EVP_PKEY_derive(pc, out, &outlen) <= 0)
		err = crypto_fail("HKDF");
	EVP_PKEY_CTX_free(pc);
	return err;
}

int
crypto_pbkdf2_sha512(const char *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, uint32_t iter, uint8_t *out, size_t outlen)
{
	if (PKCS5_PBKDF2_HMAC(pass, (int)passlen, salt, (int)saltlen, (int)iter,
	        EVP_sha512(), (int)outlen, out) != 1)
		return crypto_fail("PBKDF2");
	return 0;
}

int
crypto_memcmp(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len);
}

int
crypto_aead_seal(const uint8_t key[CRYPTO_KEY_LEN], const void *aad,
    size_t aadlen, const void *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	uint8_t *nonce = out, *ct = out + CRYPTO_GCM_NONCE_LEN;
	int n, err = 0;

	if (len > INT32_MAX || aadlen > INT32_MAX)
		return EMSGSIZE;
	crypto_random(nonce, CRYPTO_GCM_NONCE_LEN);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return crypto_fail("cipher context");
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
	    (aadlen > 0 &&
	        EVP_EncryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1) ||
	    EVP_EncryptUpdate(c, ct, &n, pt, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(c, ct + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
	        c, EVP_CTRL_GCM_GET_TAG, CRYPTO_GCM_TAG_LEN, ct + len) != 1)
		err = crypto_fail("AES-GCM seal");
	EVP_CIPHER_CTX_free(c);
	return err;
}

int
crypto_aead_open(const uint8_t key[CRYPTO_KEY_LEN], const void *aad,
    size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	size_t len;
	int n, err = 0;

	if (inlen < CRYPTO_AEAD_OVERHEAD)
		return EBADMSG;
	len = inlen - CRYPTO_AEAD_OVERHEAD;
	if (len > INT32_MAX || aadlen > INT32_MAX)
		return EMSGSIZE;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return crypto_fail("cipher context");
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) != 1 ||
	    (aadlen > 0 &&
	        EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1) ||
	    EVP_DecryptUpdate(
	        c, out, &n, in + CRYPTO_GCM_NONCE_LEN, (int)len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CRYPTO_GCM_TAG_LEN,
	        (void *)(in + inlen - CRYPTO_GCM_TAG_LEN)) != 1) {
		err = crypto_fail("AES-GCM open");
		goto out;
	}
	if (EVP_DecryptFinal_ex(c, out + n, &n) != 1) {
		ERR_clear_error();
		explicit_bzero(out, len);
		err = EBADMSG;
	}
out:
	EVP_CIPHER_CTX_free(c);
	return err;
}

/* Raw 32-byte keys in and out of EVP_PKEY for X25519 and Ed25519. */
static int
crypto_keygen(int type, uint8_t priv[32], uint8_t pub[32])
{
	EVP_PKEY *k = NULL;
	size_t len = 32;
	int err = 0;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL,
	         type == EVP_PKEY_X25519 ? "X25519" : "ED25519")) == NULL)
		return crypto_fail("key generation");
	if (EVP_PKEY_get_raw_private_key(k, priv, &len) != 1 || len != 32 ||
	    EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 || len != 32)
		err = crypto_fail("raw key export");
	EVP_PKEY_free(k);
	return err;
}

int
crypto_x25519_keygen(uint8_t priv[32], uint8_t pub[32])
{
	return crypto_keygen(EVP_PKEY_X25519, priv, pub);
}

int
crypto_ed25519_keygen(uint8_t priv[32], uint8_t pub[32])
{
	return crypto_keygen(EVP_PKEY_ED25519, priv, pub);
}

int
crypto_x25519_public(const uint8_t priv[32], uint8_t pub[32])
{
	EVP_PKEY *k;
	size_t len = 32;
	int err = 0;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	if (k == NULL)
		return crypto_fail("X25519 key");
	if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1)
		err = crypto_fail("X25519 public key");
	EVP_PKEY_free(k);
	return err;
}

static int
crypto_x25519(
    const uint8_t priv[32], const uint8_t peer[32], uint8_t shared[32])
{
	EVP_PKEY *k = NULL, *p = NULL;
	EVP_PKEY_CTX *c = NULL;
	size_t len = 32;
	int err = 0;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
	if (k == NULL || p == NULL || (c = EVP_PKEY_CTX_new(k, NULL)) == NULL ||
	    EVP_PKEY_derive_init(c) != 1 ||
	    EVP_PKEY_derive_set_peer(c, p) != 1 ||
	    EVP_PKEY_derive(c, shared, &len) != 1 || len != 32)
		err = crypto_fail("X25519");
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
	return err;
}

/* key = HKDF(shared, salt = eph_pub || recipient_pub, info = label) */
static int
crypto_seal_key(const uint8_t shared[32], const uint8_t eph[32],
    const uint8_t rcpt[32], const char *label, uint8_t key[32])
{
	uint8_t salt[64];

	memcpy(salt, eph, 32);
	memcpy(salt + 32, rcpt, 32);
	return crypto_hkdf(shared, 32, salt, sizeof(salt), label, key, 32);
}

int
crypto_seal_to(const uint8_t pub[32], const char *label, const void *pt,
    size_t len, uint8_t *out)
{
	uint8_t eph[32], shared[32], key[32];
	int err;

	if ((err = crypto_x25519_keygen(eph, out)) != 0)
		goto out;
	if ((err = crypto_x25519(eph, pub, shared)) != 0)
		goto out;
	if ((err = crypto_seal_key(shared, out, pub, label, key)) != 0)
		goto out;
	err = crypto_aead_seal(key, label, strlen(label), pt, len, out + 32);
out:
	explicit_bzero(eph, sizeof(eph));
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(key, sizeof(key));
	return err;
}

int
crypto_unseal(const uint8_t priv[32], const char *label, const uint8_t *in,
    size_t inlen, uint8_t *out)
{
	uint8_t pub[32], shared[32], key[32];
	int err;

	if (inlen < CRYPTO_SEAL_OVERHEAD)
		return EBADMSG;
	if ((err = crypto_x25519_public(priv, pub)) != 0)
		goto out;
	if ((err = crypto_x25519(priv, in, shared)) != 0) {
		err = EBADMSG;
		goto out;
	}
	if ((err = crypto_seal_key(shared, in, pub, label, key)) != 0)
		goto out;
	err = crypto_aead_open(
	    key, label, strlen(label), in + 32, inlen - 32, out);
out:
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(key, sizeof(key));
	return err;
}

int
crypto_ed25519_sign(const uint8_t priv[32], const void *msg, size_t len,
    uint8_t sig[CRYPTO_SIG_LEN])
{
	EVP_PKEY *k;
	EVP_MD_CTX *c = NULL;
	size_t siglen = CRYPTO_SIG_LEN;
	int err = 0;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	if (k == NULL || (c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(c, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(c, sig, &siglen, msg, len) != 1)
		err = crypto_fail("Ed25519 sign");
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return err;
}

int
crypto_ed25519_verify(const uint8_t pub[32], const void *msg, size_t len,
    const uint8_t sig[CRYPTO_SIG_LEN])
{
	EVP_PKEY *k;
	EVP_MD_CTX *c = NULL;
	int err = 0;

	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	if (k == NULL || (c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) != 1) {
		err = crypto_fail("Ed25519 key");
		goto out;
	}
	if (EVP_DigestVerify(c, sig, CRYPTO_SIG_LEN, msg, len) != 1) {
		ERR_clear_error();
		err = EBADMSG;
	}
out:
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return err;
}
