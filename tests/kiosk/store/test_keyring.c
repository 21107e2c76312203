/*
 * The keyring: keyring_wrap_user, the one sequence that gives a user the
 * data key (wrap, optional recovery copy, save); Argon2id with its cost
 * recorded per entry and honoured; PBKDF2 entries of older kiosks moved to
 * Argon2id by their next unlock; the passphrase rule; and the failure
 * count, which concurrent wrong tries must not undercount (issue 9).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "kiosk/store/keyring.h"
#include "test.h"
#include "xmalloc.h"

/* Cheap costs: these tests are about what is recorded and used. */
static const struct keyring_kdf cheap = { 1, 64, 1 };
static const struct keyring_kdf cheap2 = { 2, 128, 1 };

static void
cleanup(const char *d)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
}

static int
same_cost(const struct keyring_kdf *a, const struct keyring_kdf *b)
{
	return a->t_cost == b->t_cost && a->m_cost == b->m_cost &&
	    a->parallelism == b->parallelism;
}

static int
test_wrap_user(void)
{
	struct keyring *k = NULL, *k2 = NULL;
	struct keyring_kdf c;
	uint8_t key[32], out[32], priv[32], pub[32];
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	char *cause = NULL, *path = NULL;
	struct stat sb;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	TEST_ERR(crypto_x25519_keygen(priv, pub));
	k = keyring_new(d, 3, 0);
	TEST_ERR(
	    keyring_wrap_user(k, "admin", "first-pass", key, &cheap2, pub));
	/* saved, private, and it opens with the passphrase and the region */
	xasprintf(&path, "%s/%s", d, KEYRING_FILE);
	TEST_ERR(stat(path, &sb) == 0 ? 0 : errno);
	TEST_EQ(sb.st_mode & 0777, 0600);
	TEST_ERR(keyring_load(d, &k2));
	TEST_STR(keyring_user_kdf(k2, "admin", &c), "argon2id");
	TEST_TRUE(same_cost(&c, &cheap2));
	TEST_ERR(keyring_unlock(k2, "admin", "first-pass", out, &cause));
	TEST_MEM(out, key, 32);
	TEST_ERR(keyring_recover(k2, priv, out));
	TEST_MEM(out, key, 32);
	keyring_free(k2);
	k2 = NULL;
	/* NULL keeps the stored cost (passwd without --kdf-mem) */
	TEST_ERR(keyring_wrap_user(k, "admin", "second-pass", key, NULL, NULL));
	TEST_STR(keyring_user_kdf(k, "admin", &c), "argon2id");
	TEST_TRUE(same_cost(&c, &cheap2));
	/* a refused passphrase saves nothing */
	TEST_EQ(
	    keyring_wrap_user(k, "chw", "12345", key, &cheap, NULL), EINVAL);
	TEST_ERR(keyring_load(d, &k2));
	TEST_TRUE(!keyring_has_user(k2, "chw"));
	TEST_ERR(keyring_unlock(k2, "admin", "second-pass", out, &cause));
	TEST_MEM(out, key, 32);
	TEST_TRUE(keyring_has_recovery(k2));
	/* a new user with no cost given gets the fixed default */
	TEST_ERR(keyring_put_user(k2, "chw", "482193", key, NULL));
	TEST_STR(keyring_user_kdf(k2, "chw", &c), "argon2id");
	TEST_EQ(c.t_cost, KEYRING_ARGON2_T_COST);
	TEST_EQ(c.m_cost, KEYRING_ARGON2_M_COST);
	TEST_EQ(c.parallelism, KEYRING_ARGON2_LANES);
out:
	free(cause);
	free(path);
	keyring_free(k);
	keyring_free(k2);
	cleanup(d);
	return err;
}

/* A wrong passphrase is refused and counted; the key is not given out. */
static int
test_wrong_pass(void)
{
	struct keyring *k = NULL;
	uint8_t key[32], out[32], zero[32] = { 0 };
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	char *cause = NULL;
	size_t n;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	k = keyring_new(d, 5, 0);
	TEST_ERR(keyring_wrap_user(k, "chw", "482193", key, &cheap, NULL));
	memset(out, 0, sizeof(out));
	TEST_EQ(keyring_unlock(k, "chw", "482194", out, &cause), EACCES);
	TEST_TRUE(cause != NULL);
	TEST_MEM(out, zero, 32);
	keyring_failures(k, &n);
	TEST_EQ(n, 1);
	free(cause);
	cause = NULL;
	TEST_ERR(keyring_unlock(k, "chw", "482193", out, &cause));
	TEST_MEM(out, key, 32);
out:
	free(cause);
	keyring_free(k);
	cleanup(d);
	return err;
}

/* Read DIR's keyring file as CBOR. */
static int
read_root(const char *d, cbor_item_t **root)
{
	uint8_t buf[4096];
	size_t len;
	char *path;
	FILE *f;
	int err = 0;

	xasprintf(&path, "%s/%s", d, KEYRING_FILE);
	f = fopen(path, "rb");
	free(path);
	if (f == NULL)
		return errno;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (cborx_decode(buf, len, sizeof(buf), root) != 0)
		err = EBADMSG;
	return err;
}

static int
write_root(const char *d, cbor_item_t *root)
{
	uint8_t *buf = NULL;
	size_t len;
	int err;

	if ((err = cborx_encode(root, &buf, &len)) == 0)
		err = keyring_write_atomic(d, KEYRING_FILE, buf, len);
	free(buf);
	return err;
}

/* Replace the value of KEY in MAP (cborx_map_put only adds). */
static void
set_uint(cbor_item_t *map, uint64_t key, uint64_t v)
{
	struct cbor_pair *p = cbor_map_handle(map);
	uint64_t k;
	size_t i;

	for (i = 0; i < cbor_map_size(map); i++)
		if (cborx_get_uint(p[i].key, &k) == 0 && k == key) {
			cbor_decref(&p[i].value);
			p[i].value = cborx_uint(v);
		}
}

/*
 * The cost in the entry is the one the unlock uses: the entry's memory
 * cost changed in the file (the passes and lanes left alone) and the right
 * passphrase no longer opens it; put back, it does.
 */
static int
test_cost_honoured(void)
{
	struct keyring *k = NULL;
	cbor_item_t *root = NULL, *u;
	uint8_t key[32], out[32];
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	char *cause = NULL;
	uint64_t m = 0;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	k = keyring_new(d, 50, 0);
	TEST_ERR(keyring_wrap_user(k, "chw", "482193", key, &cheap2, NULL));
	keyring_free(k);
	k = NULL;
	TEST_ERR(read_root(d, &root));
	u = cbor_array_handle(cborx_map_get(root, 4))[0];
	TEST_ERR(cborx_map_uint(u, 9, &m));
	TEST_EQ(m, cheap2.m_cost);
	set_uint(u, 9, m + 8);
	TEST_ERR(write_root(d, root));
	TEST_ERR(keyring_load(d, &k));
	TEST_EQ(keyring_unlock(k, "chw", "482193", out, &cause), EACCES);
	free(cause);
	cause = NULL;
	keyring_free(k);
	k = NULL;
	/* a cost out of range is a damaged file, not a 4 TiB allocation */
	set_uint(u, 9, UINT32_MAX);
	TEST_ERR(write_root(d, root));
	TEST_EQ(keyring_load(d, &k), EBADMSG);
	set_uint(u, 9, m);
	TEST_ERR(write_root(d, root));
	TEST_ERR(keyring_load(d, &k));
	TEST_ERR(keyring_unlock(k, "chw", "482193", out, &cause));
	TEST_MEM(out, key, 32);
out:
	if (root != NULL)
		cbor_decref(&root);
	free(cause);
	keyring_free(k);
	cleanup(d);
	return err;
}

/*
 * A keyring written by a kiosk before Argon2id: one PBKDF2-SHA512 entry,
 * made here the way that kiosk made it.  It unlocks, and the unlock
 * re-wraps it with Argon2id at the default cost; it then unlocks again,
 * and PBKDF2 is gone from the file.
 */
static int
test_pbkdf2_upgrade(void)
{
	struct keyring *k = NULL;
	struct keyring_kdf c;
	cbor_item_t *root = NULL, *users, *u;
	uint8_t key[32], out[32], salt[16], kek[32];
	uint8_t wrapped[32 + CRYPTO_AEAD_OVERHEAD];
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	const char *aad = "outpost-keyring-v1:old-admin";
	char *cause = NULL;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	crypto_random(salt, sizeof(salt));
	TEST_ERR(crypto_pbkdf2_sha512(
	    "old-passphrase", 14, salt, sizeof(salt), 1000, kek, 32));
	TEST_ERR(crypto_aead_seal(kek, aad, strlen(aad), key, 32, wrapped));
	root = cborx_map(6);
	cborx_map_put(root, 1, cborx_uint(1));
	cborx_map_put(root, 2, cborx_uint(10));
	cborx_map_put(root, 3, cborx_uint(0));
	users = cborx_array(1);
	u = cborx_map(8);
	cborx_map_put(u, 1, cborx_text("old-admin"));
	cborx_map_put(u, 2, cborx_text("pbkdf2-sha512"));
	cborx_map_put(u, 3, cborx_uint(1000));
	cborx_map_put(u, 4, cborx_bytes(salt, sizeof(salt)));
	cborx_map_put(u, 5, cborx_bytes(wrapped, sizeof(wrapped)));
	cborx_map_put(u, 6, cborx_uint(0));
	cborx_map_put(u, 7, cborx_uint(0));
	cborx_map_put(u, 8, cborx_bool(0));
	cborx_array_push(users, u);
	cborx_map_put(root, 4, users);
	cborx_map_put(root, 6, cborx_array(0));
	TEST_ERR(write_root(d, root));
	cbor_decref(&root);

	TEST_ERR(keyring_load(d, &k));
	TEST_STR(keyring_user_kdf(k, "old-admin", NULL), "pbkdf2-sha512");
	TEST_EQ(keyring_unlock(k, "old-admin", "wrong-passphrase", out, &cause),
	    EACCES);
	free(cause);
	cause = NULL;
	/* a failed try does not upgrade: it has no key to re-wrap */
	TEST_STR(keyring_user_kdf(k, "old-admin", NULL), "pbkdf2-sha512");
	TEST_ERR(keyring_unlock(k, "old-admin", "old-passphrase", out, &cause));
	TEST_MEM(out, key, 32);
	keyring_free(k);
	k = NULL;
	/* on disk: argon2id at the default cost, and it opens */
	TEST_ERR(keyring_load(d, &k));
	TEST_STR(keyring_user_kdf(k, "old-admin", &c), "argon2id");
	TEST_EQ(c.t_cost, KEYRING_ARGON2_T_COST);
	TEST_EQ(c.m_cost, KEYRING_ARGON2_M_COST);
	TEST_EQ(c.parallelism, KEYRING_ARGON2_LANES);
	memset(out, 0, sizeof(out));
	TEST_ERR(keyring_unlock(k, "old-admin", "old-passphrase", out, &cause));
	TEST_MEM(out, key, 32);
	TEST_ERR(read_root(d, &root));
	u = cbor_array_handle(cborx_map_get(root, 4))[0];
	{
		char *kdf = NULL;
		TEST_ERR(cborx_map_text(u, 2, 32, &kdf));
		err = strcmp(kdf, "argon2id") != 0;
		free(kdf);
		TEST_EQ(err, 0);
	}
out:
	if (root != NULL)
		cbor_decref(&root);
	free(cause);
	keyring_free(k);
	cleanup(d);
	return err;
}

/* The rule: at least 6 characters (not bytes); a PIN, at least 6 digits. */
static int
test_pass_rule(void)
{
	static const char *bad[] = { "", "4821", "12345", "abcde",
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" /* 5 x e-acute */ };
	static const char *good[] = { "123456", "482193", "abcdef",
		"test-passphrase-1",
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" };
	struct keyring *k = NULL;
	const char *why = NULL;
	uint8_t key[32] = { 0 };
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	size_t i;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	for (i = 0; i < nitems(bad); i++) {
		TEST_EQ(keyring_pass_check(bad[i], &why), EINVAL);
		TEST_TRUE(why != NULL && strstr(why, "6") != NULL);
	}
	for (i = 0; i < nitems(good); i++)
		TEST_ERR(keyring_pass_check(good[i], &why));
	k = keyring_new(d, 5, 0);
	TEST_EQ(keyring_put_user(k, "chw", "12345", key, &cheap), EINVAL);
	TEST_TRUE(!keyring_has_user(k, "chw"));
	TEST_ERR(keyring_put_user(k, "chw", "123456", key, &cheap));
out:
	keyring_free(k);
	cleanup(d);
	return err;
}

/*
 * 20 processes, each with the keyring loaded before any of them tries,
 * each try a wrong PIN at once: 20 failures must be counted (without the
 * lock around read-modify-write, each wrote back its own count of 1).
 */
static int
test_concurrent_failures(void)
{
	enum { NPROC = 20 };
	struct keyring *k = NULL;
	uint8_t key[32], out[32];
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	char *cause = NULL, c;
	int go[2] = { -1, -1 }, status, i, bad = 0, err = 0;
	pid_t pid[NPROC];
	size_t n;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	k = keyring_new(d, 100, 0);
	TEST_ERR(keyring_wrap_user(k, "chw", "482193", key, &cheap, NULL));
	keyring_free(k);
	k = NULL;
	TEST_ERR(pipe(go) == 0 ? 0 : errno);
	for (i = 0; i < NPROC; i++) {
		if ((pid[i] = fork()) == 0) {
			struct keyring *mine = NULL;
			int rc;

			close(go[1]);
			if (keyring_load(d, &mine) != 0)
				_exit(2);
			/* wait for the parent to let everyone go at once */
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			rc = keyring_unlock(mine, "chw", "000000", out, &cause);
			_exit(rc == EACCES ? 0 : 1);
		}
		TEST_TRUE(pid[i] > 0);
	}
	close(go[0]);
	go[0] = -1;
	usleep(200 * 1000); /* let them all load */
	close(go[1]);
	go[1] = -1;
	for (i = 0; i < NPROC; i++) {
		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	}
	TEST_EQ(bad, 0);
	TEST_ERR(keyring_load(d, &k));
	keyring_failures(k, &n);
	TEST_EQ(n, NPROC);
	/* and the count in the entry: 20 of 100 used */
	TEST_EQ(keyring_unlock(k, "chw", "000000", out, &cause), EACCES);
	TEST_TRUE(cause != NULL && strstr(cause, "21 of 100") != NULL);
out:
	if (go[0] != -1)
		close(go[0]);
	if (go[1] != -1)
		close(go[1]);
	free(cause);
	keyring_free(k);
	cleanup(d);
	return err;
}

/*
 * Moving failures to the audit log does not lose a failure another
 * process recorded meanwhile: A holds one failure and audits it while B
 * has saved a second; after A's save the file holds B's failure and the
 * entry's count of 2.
 */
static int
test_forget_keeps_others(void)
{
	struct keyring *a = NULL, *b = NULL;
	uint8_t key[32], out[32];
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	char *cause = NULL;
	const struct keyring_failure *f;
	size_t n;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	a = keyring_new(d, 100, 0);
	TEST_ERR(keyring_wrap_user(a, "chw", "482193", key, &cheap, NULL));
	TEST_EQ(keyring_unlock(a, "chw", "000001", out, &cause), EACCES);
	free(cause);
	cause = NULL;
	TEST_ERR(keyring_load(d, &b));
	TEST_EQ(keyring_unlock(b, "nurse", "000002", out, &cause), ENOENT);
	free(cause);
	cause = NULL;
	/* A audits what it holds: its one failure */
	keyring_failures(a, &n);
	TEST_EQ(n, 1);
	TEST_ERR(keyring_forget_failures(a, n));
	keyring_free(b);
	b = NULL;
	TEST_ERR(keyring_load(d, &b));
	f = keyring_failures(b, &n);
	TEST_EQ(n, 1);
	TEST_STR(f[0].user, "nurse");
	TEST_EQ(keyring_unlock(b, "chw", "000003", out, &cause), EACCES);
	TEST_TRUE(cause != NULL && strstr(cause, "2 of 100") != NULL);
out:
	free(cause);
	keyring_free(a);
	keyring_free(b);
	cleanup(d);
	return err;
}

/*
 * An administrator's change (user add, passwd, unlock, region key) saves
 * on top of what other processes saved since it loaded the keyring: A
 * loads, B records a wrong PIN for chw, A adds a nurse; the file holds
 * both the nurse and chw's failure.
 */
static int
test_update_keeps_others(void)
{
	struct keyring *a = NULL, *b = NULL;
	uint8_t key[32], out[32];
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	char *cause = NULL;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	a = keyring_new(d, 100, 0);
	TEST_ERR(keyring_wrap_user(a, "chw", "482193", key, &cheap, NULL));
	TEST_ERR(keyring_load(d, &b));
	TEST_EQ(keyring_unlock(b, "chw", "000001", out, &cause), EACCES);
	free(cause);
	cause = NULL;
	TEST_ERR(keyring_wrap_user(a, "nurse", "731902", key, &cheap, NULL));
	keyring_free(b);
	b = NULL;
	TEST_ERR(keyring_load(d, &b));
	TEST_TRUE(keyring_has_user(b, "nurse"));
	TEST_EQ(keyring_unlock(b, "chw", "000002", out, &cause), EACCES);
	TEST_TRUE(cause != NULL && strstr(cause, "2 of 100") != NULL);
	free(cause);
	cause = NULL;
	/* an unlock by the administrator keeps the nurse B just saw */
	TEST_ERR(keyring_reset_failures(a, "chw"));
	keyring_free(b);
	b = NULL;
	TEST_ERR(keyring_load(d, &b));
	TEST_TRUE(keyring_has_user(b, "nurse"));
	TEST_EQ(keyring_unlock(b, "chw", "000003", out, &cause), EACCES);
	TEST_TRUE(cause != NULL && strstr(cause, "1 of 100") != NULL);
out:
	free(cause);
	keyring_free(a);
	keyring_free(b);
	cleanup(d);
	return err;
}

/* The wait after failures runs from the last failure, doubling, and a
 * screen can read what is left of it (keyring_wait_ms). */
static int
test_wait_left(void)
{
	struct keyring *k = NULL;
	uint8_t key[32], out[32];
	char d[] = "/tmp/outpost-keyring-XXXXXX";
	char *cause = NULL;
	uint64_t w;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	k = keyring_new(d, 5, 200);
	TEST_ERR(keyring_wrap_user(k, "chw", "482193", key, &cheap, NULL));
	TEST_EQ(keyring_wait_ms(k, "chw"), 0);
	TEST_EQ(keyring_unlock(k, "chw", "482194", out, &cause), EACCES);
	free(cause);
	cause = NULL;
	w = keyring_wait_ms(k, "chw");
	TEST_TRUE(w > 0 && w <= 200);
	TEST_EQ(keyring_wait_ms(k, "nobody"), 0);
	/* the second failure: 400 ms from it */
	TEST_EQ(keyring_unlock(k, "chw", "482195", out, &cause), EACCES);
	free(cause);
	cause = NULL;
	w = keyring_wait_ms(k, "chw");
	TEST_TRUE(w > 0 && w <= 400); /* less as time passes */
	usleep((useconds_t)w * 1000 + 20000);
	TEST_EQ(keyring_wait_ms(k, "chw"), 0);
	TEST_ERR(keyring_unlock(k, "chw", "482193", out, &cause));
	TEST_EQ(keyring_wait_ms(k, "chw"), 0);
out:
	free(cause);
	keyring_free(k);
	cleanup(d);
	return err;
}

TEST_MAIN({ "wrap_user", test_wrap_user }, { "wrong_pass", test_wrong_pass },
    { "cost_honoured", test_cost_honoured },
    { "pbkdf2_upgrade", test_pbkdf2_upgrade }, { "pass_rule", test_pass_rule },
    { "concurrent_failures", test_concurrent_failures },
    { "forget_keeps_others", test_forget_keeps_others },
    { "update_keeps_others", test_update_keeps_others },
    { "wait_left", test_wait_left })
