/*
 * Crypto helpers on OpenSSL 3: random bytes, SHA-256, HMAC, HKDF,
 * password KDFs, AES-256-GCM, X25519 sealed boxes and Ed25519.  Thin and
 * explicit: callers choose keys and labels; nothing here stores a key.
 * Functions return 0 or an errno value (EBADMSG when authentication fails,
 * EIO when OpenSSL itself fails).
 */
#ifndef CRYPTO_H
#define CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_KEY_LEN 32
#define CRYPTO_GCM_NONCE_LEN 12
#define CRYPTO_GCM_TAG_LEN 16
/* Bytes aead_seal adds to the plaintext: nonce + tag. */
#define CRYPTO_AEAD_OVERHEAD (CRYPTO_GCM_NONCE_LEN + CRYPTO_GCM_TAG_LEN)
/* Bytes seal_to adds: ephemeral public key + AEAD overhead. */
#define CRYPTO_SEAL_OVERHEAD (32 + CRYPTO_AEAD_OVERHEAD)
#define CRYPTO_SIG_LEN 64

/* Fill BUF from the OS CSPRNG; fatal if that fails. */
void crypto_random(void *buf, size_t len);
void crypto_sha256(const void *, size_t, uint8_t out[CRYPTO_SHA256_LEN]);
/*
 * Digest by name ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", the
 * names of the ODK digest() function) into OUT (at least 64 bytes);
 * returns 0 or EINVAL for any other name.
 */
int crypto_digest(
    const char *alg, const void *, size_t, uint8_t out[64], size_t *outlen);

/* Incremental SHA-256. */
struct crypto_sha256;
struct crypto_sha256 *crypto_sha256_new(void);
void crypto_sha256_update(struct crypto_sha256 *, const void *, size_t);
/* Write the digest and free the context. */
void crypto_sha256_final(
    struct crypto_sha256 *, uint8_t out[CRYPTO_SHA256_LEN]);

void crypto_hmac_sha256(const uint8_t *key, size_t keylen, const void *msg,
    size_t len, uint8_t out[CRYPTO_SHA256_LEN]);
/* HKDF-SHA256: OUTLEN bytes from IKM, SALT (may be NULL) and INFO. */
int crypto_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const char *info, uint8_t *out, size_t outlen);
int crypto_pbkdf2_sha512(const char *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, uint32_t iter, uint8_t *out, size_t outlen);
/* Constant-time comparison; 0 when equal. */
int crypto_memcmp(const void *, const void *, size_t);

/*
 * AES-256-GCM with a random nonce.  OUT receives nonce || ciphertext ||
 * tag and must hold LEN + CRYPTO_AEAD_OVERHEAD bytes.  AAD may be NULL.
 */
int crypto_aead_seal(const uint8_t key[CRYPTO_KEY_LEN], const void *aad,
    size_t aadlen, const void *pt, size_t len, uint8_t *out);
/* Inverse of seal; OUT holds INLEN - CRYPTO_AEAD_OVERHEAD bytes.
 * Returns EBADMSG when the tag does not verify. */
int crypto_aead_open(const uint8_t key[CRYPTO_KEY_LEN], const void *aad,
    size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out);

/* X25519 key pair. */
int crypto_x25519_keygen(uint8_t priv[32], uint8_t pub[32]);
int crypto_x25519_public(const uint8_t priv[32], uint8_t pub[32]);
/*
 * Seal PT to a recipient's X25519 public key (ephemeral key, HKDF with
 * LABEL, AES-256-GCM).  OUT holds LEN + CRYPTO_SEAL_OVERHEAD bytes.
 */
int crypto_seal_to(const uint8_t pub[32], const char *label, const void *pt,
    size_t len, uint8_t *out);
int crypto_unseal(const uint8_t priv[32], const char *label, const uint8_t *in,
    size_t inlen, uint8_t *out);

/* Ed25519. */
int crypto_ed25519_keygen(uint8_t priv[32], uint8_t pub[32]);
int crypto_ed25519_sign(const uint8_t priv[32], const void *msg, size_t len,
    uint8_t sig[CRYPTO_SIG_LEN]);
/* Returns 0 when SIG is valid, EBADMSG otherwise. */
int crypto_ed25519_verify(const uint8_t pub[32], const void *msg, size_t len,
    const uint8_t sig[CRYPTO_SIG_LEN]);

#endif
