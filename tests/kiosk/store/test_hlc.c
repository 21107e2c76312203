/*
 * Issue 9, item 2, on the kiosk: a pulled change stamped far in the
 * future does not move the node clock, and a node clock poisoned before
 * the bound comes back to the server's time, on every connection, and
 * stays back after a reopen (docs/PROTOCOL.md §3.4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crypto.h"
#include "hlc.h"
#include "kiosk/store/store.h"
#include "kiosk/store/store_int.h"
#include "test.h"

#define TEN_YEARS_MS (10ULL * 365 * 24 * 3600 * 1000)

static char dir[] = "/tmp/outpost-hlc-XXXXXX";
static int dir_made; /* not the name: mkdtemp may put an X anywhere */
static uint8_t key[32];

static int
open_fresh(struct store **s)
{
	char cmd[64];

	if (dir_made) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return EIO;
		memcpy(dir + sizeof(dir) - 7, "XXXXXX", 6);
		dir_made = 0;
	}
	if (mkdtemp(dir) == NULL)
		return errno;
	dir_made = 1;
	crypto_random(key, sizeof(key));
	return store_open(dir, key, 1, s);
}

static int
near_now(uint64_t t)
{
	uint64_t now = hlc_wall_ms();

	return HLC_MS(t) <= now + 1000 && HLC_MS(t) + 60000 >= now;
}

/* A pulled change of 2^63-1 or ten years ahead leaves the clock alone,
 * whether the server told its time or not; one an hour ahead is merged. */
static int
test_merge_bounded(void)
{
	struct store *s = NULL;
	uint64_t now = hlc_wall_ms();
	int err = 0, ref;

	TEST_ERR(open_fresh(&s));
	for (ref = 0; ref < 2; ref++) {
		if (ref)
			store_hlc_reference(s, HLC_MAKE(now, 0));
		TEST_ERR(store_pull_begin(s));
		TEST_ERR(store_pull_end(s, 0, "test.cursor",
		    (const uint8_t *)"c", 1, (uint64_t)INT64_MAX));
		TEST_TRUE(near_now(store_hlc_now(s)));
		TEST_ERR(store_pull_begin(s));
		TEST_ERR(store_pull_end(s, 0, "test.cursor",
		    (const uint8_t *)"c", 1, HLC_MAKE(now + TEN_YEARS_MS, 0)));
		TEST_TRUE(near_now(store_hlc_now(s)));
	}
	TEST_ERR(store_pull_begin(s));
	TEST_ERR(store_pull_end(s, 0, "test.cursor", (const uint8_t *)"c", 1,
	    HLC_MAKE(now + 3600 * 1000, 5)));
	TEST_TRUE(store_hlc_now(s) > HLC_MAKE(now + 3600 * 1000, 5));
out:
	store_close(s);
	return err;
}

/* A board without an RTC (wall clock in 1970) still merges what the
 * server's time vouches for. */
static uint64_t
epoch_ms(void)
{
	return 1000;
}

static int
test_no_rtc_merges(void)
{
	struct store *s = NULL;
	uint64_t now = hlc_wall_ms();
	int err = 0;

	TEST_ERR(open_fresh(&s));
	/* a fresh board: everything so far stamped in 1970 */
	TEST_EQ(sqlite3_exec(s->db,
	            "UPDATE meta SET value = 65536000 WHERE key = 'hlc'", NULL,
	            NULL, NULL),
	    SQLITE_OK);
	s->hlc.now_ms = epoch_ms;
	s->hlc.last = HLC_MAKE(1000, 0);
	store_hlc_reference(s, HLC_MAKE(now, 0));
	TEST_ERR(store_pull_begin(s));
	TEST_ERR(store_pull_end(s, 0, "test.cursor", (const uint8_t *)"c", 1,
	    HLC_MAKE(now - 5000, 0)));
	TEST_TRUE(store_hlc_now(s) > HLC_MAKE(now - 5000, 0));
	/* ... and no clamp of a clock the server's time vouches for. */
	TEST_EQ(store_hlc_recover(s, HLC_MAKE(now, 0)), ERANGE);
	TEST_TRUE(store_hlc_now(s) > HLC_MAKE(now - 5000, 0));
out:
	store_close(s);
	return err;
}

/* A clock poisoned past 2^63 (before the bound existed) and persisted:
 * the server's clock_ahead brings it back, for the other connection too,
 * and it stays back after a reopen. */
static int
test_poisoned_recovers(void)
{
	struct store *s = NULL, *ui = NULL;
	uint64_t now = hlc_wall_ms();
	int err = 0;

	TEST_ERR(open_fresh(&s));
	TEST_ERR(store_open(dir, key, 0, &ui));
	TEST_ERR(store_tx_begin(s));
	s->hlc.last = (uint64_t)INT64_MAX + 7;
	TEST_ERR(store_tx_end(s, 0));
	TEST_ERR(store_tx_begin(ui)); /* the UI takes the persisted clock */
	TEST_ERR(store_tx_end(ui, 0));
	TEST_TRUE(ui->hlc.last > (uint64_t)INT64_MAX);
	/* without the server's time a pull does not reset it */
	TEST_ERR(store_pull_begin(s));
	TEST_ERR(store_pull_end(
	    s, 0, "test.cursor", (const uint8_t *)"c", 1, HLC_MAKE(now, 0)));
	TEST_TRUE(s->hlc.last > (uint64_t)INT64_MAX);
	TEST_ERR(store_hlc_recover(s, HLC_MAKE(now, 0)));
	TEST_TRUE(near_now(store_hlc_now(s)));
	/* the UI's write does not bring the poison back */
	TEST_ERR(store_tx_begin(ui));
	TEST_ERR(store_tx_end(ui, 0));
	TEST_TRUE(near_now(store_hlc_now(ui)));
	TEST_ERR(store_tx_begin(s));
	TEST_ERR(store_tx_end(s, 0));
	TEST_TRUE(near_now(store_hlc_now(s)));
	store_close(ui);
	ui = NULL;
	store_close(s);
	s = NULL;
	TEST_ERR(store_open(dir, key, 0, &s));
	TEST_ERR(store_tx_begin(s));
	TEST_ERR(store_tx_end(s, 0));
	TEST_TRUE(near_now(store_hlc_now(s)));
out:
	store_close(ui);
	store_close(s);
	return err;
}

static int
test_cleanup(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : EIO;
}

TEST_MAIN({ "merge_bounded", test_merge_bounded },
    { "no_rtc_merges", test_no_rtc_merges },
    { "poisoned_recovers", test_poisoned_recovers },
    { "cleanup", test_cleanup })
