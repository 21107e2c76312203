/*
 * keyring_wrap_user: the one sequence that gives a user the data key (wrap,
 * optional recovery copy, save).  What it saves must unlock from disk, it
 * keeps a user's stored cost when asked to (0), and a refused passphrase
 * leaves the file on disk as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "kiosk/store/keyring.h"
#include "test.h"
#include "xmalloc.h"

static int
test_wrap_user(void)
{
	struct keyring *k = NULL, *k2 = NULL;
	uint8_t key[32], out[32], priv[32], pub[32];
	char d[] = "/tmp/outpost-keyring-XXXXXX", cmd[64];
	char *cause = NULL, *path = NULL;
	struct stat sb;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	TEST_ERR(crypto_x25519_keygen(priv, pub));
	k = keyring_new(d, 3, 0);
	TEST_ERR(keyring_wrap_user(k, "admin", "first-pass", key, 1234, pub));
	/* saved, private, and it opens with the passphrase and the region */
	xasprintf(&path, "%s/%s", d, KEYRING_FILE);
	TEST_ERR(stat(path, &sb) == 0 ? 0 : errno);
	TEST_EQ(sb.st_mode & 0777, 0600);
	TEST_ERR(keyring_load(d, &k2));
	TEST_EQ(keyring_iterations(k2, "admin"), 1234);
	TEST_ERR(keyring_unlock(k2, "admin", "first-pass", out, &cause));
	TEST_MEM(out, key, 32);
	TEST_ERR(keyring_recover(k2, priv, out));
	TEST_MEM(out, key, 32);
	keyring_free(k2);
	k2 = NULL;
	/* 0 keeps the stored cost (passwd without --kdf-ms) */
	TEST_ERR(keyring_wrap_user(k, "admin", "second-pass", key, 0, NULL));
	TEST_EQ(keyring_iterations(k, "admin"), 1234);
	/* a refused passphrase saves nothing */
	TEST_EQ(keyring_wrap_user(k, "chw", "123", key, 1000, NULL), EINVAL);
	TEST_ERR(keyring_load(d, &k2));
	TEST_TRUE(!keyring_has_user(k2, "chw"));
	TEST_ERR(keyring_unlock(k2, "admin", "second-pass", out, &cause));
	TEST_MEM(out, key, 32);
	TEST_TRUE(keyring_has_recovery(k2));
out:
	free(cause);
	free(path);
	keyring_free(k);
	keyring_free(k2);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
	return err;
}

TEST_MAIN({ "wrap_user", test_wrap_user })
