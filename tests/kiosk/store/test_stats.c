/*
 * store_stats (kiosk/store/stats.c): the row counts `kiosk db stats`
 * prints, table by table, follow what was written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kiosk/store/store.h"
#include "test.h"
#include "xmalloc.h"

static long long
rows(const struct store_stat *st, const char *table)
{
	size_t i;

	for (i = 0; i < STORE_STATS_N; i++)
		if (strcmp(st[i].table, table) == 0)
			return st[i].rows;
	return -1;
}

static int
test_stats(void)
{
	static const char *const tables[STORE_STATS_N] = { "users", "patients",
		"encounters", "observations", "form_submissions", "alerts",
		"attachments", "outbox", "audit" };
	struct store_stat st[STORE_STATS_N];
	struct store_patient p = { 0 };
	struct store *s = NULL;
	uint8_t key[32];
	char d[] = "/tmp/outpost-stats-XXXXXX", cmd[64], *cause = NULL;
	size_t i;
	int err = 0;

	TEST_TRUE(mkdtemp(d) != NULL);
	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(store_stats(s, st));
	for (i = 0; i < STORE_STATS_N; i++) {
		TEST_STR(st[i].table, tables[i]);
		if (strcmp(tables[i], "audit") != 0)
			TEST_EQ(st[i].rows, 0);
	}
	TEST_ERR(store_user_add(s, "admin", STORE_ROLE_ADMIN, NULL));
	p.given = (char *)"Amina";
	p.family = (char *)"Otieno";
	p.sex = (char *)"female";
	p.birth_date = (char *)"1990-05-01";
	TEST_ERR(store_patient_add(s, &p, NULL, &cause));
	TEST_ERR(store_stats(s, st));
	TEST_EQ(rows(st, "users"), 1);
	TEST_EQ(rows(st, "patients"), 1);
	TEST_EQ(rows(st, "encounters"), 0);
	TEST_TRUE(rows(st, "outbox") >= 1);
	TEST_TRUE(rows(st, "audit") >= 2);
out:
	free(cause);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
	return err;
}

TEST_MAIN({ "stats", test_stats })
