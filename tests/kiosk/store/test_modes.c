/*
 * Issue 9 (Low, file modes): the data directory is 0700 and outpost.db,
 * its -wal and its -shm are 0600 after every open, not only when init
 * made them: a fresh store under a permissive umask, and a store whose
 * directory and database an older version left group- and world-readable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "kiosk/store/store.h"
#include "test.h"
#include "xmalloc.h"

static int
mode_of(const char *dir, const char *name, unsigned want)
{
	struct stat sb;
	char *p;
	int err = 0;

	xasprintf(&p, "%s%s%s", dir, name[0] ? "/" : "", name);
	if (stat(p, &sb) == -1) {
		fprintf(stderr, "stat %s: %s\n", p, strerror(errno));
		err = 1;
	} else if ((unsigned)(sb.st_mode & 07777) != want) {
		fprintf(stderr, "%s: mode %04o, want %04o\n", p,
		    (unsigned)(sb.st_mode & 07777), want);
		err = 1;
	}
	free(p);
	return err;
}

/* Every mode right while the store is open (-wal and -shm exist then). */
static int
modes_ok(const char *d)
{
	return mode_of(d, "", 0700) | mode_of(d, STORE_DB_FILE, 0600) |
	    mode_of(d, STORE_DB_FILE "-wal", 0600) |
	    mode_of(d, STORE_DB_FILE "-shm", 0600);
}

static int
test_modes(void)
{
	struct store *s = NULL;
	uint8_t key[32];
	char d[] = "/tmp/outpost-modes-XXXXXX", *db = NULL, cmd[64];
	mode_t old = umask(022);
	int err = 0;

	crypto_random(key, 32);
	TEST_TRUE(mkdtemp(d) != NULL);
	xasprintf(&db, "%s/%s", d, STORE_DB_FILE);
	/* A directory made by hand (or by an older version): 0755. */
	TEST_ERR(chmod(d, 0755));
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(store_state_put(s, "k", "v", 1));
	TEST_EQ(modes_ok(d), 0);
	store_close(s);
	s = NULL;

	/* What an older version left: everything readable by all. */
	TEST_ERR(chmod(d, 0755));
	TEST_ERR(chmod(db, 0644));
	TEST_ERR(store_open(d, key, 0, &s));
	TEST_ERR(store_state_put(s, "k", "w", 1));
	TEST_EQ(modes_ok(d), 0);
out:
	store_close(s);
	umask(old);
	free(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
	return err;
}

TEST_MAIN({ "modes", test_modes })
