/*
 * bench/store: the kiosk store's save and read paths, built twice from the
 * same sources, once on SQLCipher and once on plain SQLite
 * (-DSTORE_PLAIN_SQLITE), so bench/run.sh can print what encryption costs.
 * Prints one line of figures: key=value pairs.
 *
 *   store_bench DIR PATIENTS ENCOUNTERS
 *
 * Save: the reference encounter of research/perf-reliability.md §9.0 (7
 * vitals, one transaction each with its outbox and audit records), with
 * synchronous=FULL as the kiosk runs it.  Read: typo-tolerant patient
 * lookups over the whole register, and each encounter's observations.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "crypto.h"
#include "kiosk/store/store_int.h"
#include "log.h"
#include "xmalloc.h"

static double
now_ms(void)
{
	return (double)clock_mono_us() / 1e3;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *
cipher(struct store *s)
{
	static char v[32] = "none";
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(store_db(s), "PRAGMA cipher_version", -1, &st,
	        NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(v, sizeof(v), "%s",
			    (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const char *const fam[] = { "Mwangi", "Otieno", "Mensah",
		"Okafor", "Njoroge", "Diallo", "Achieng", "Boateng" };
	struct store *s;
	struct store_patient p = { 0 }, *hits;
	struct store_obs *ol;
	uint8_t key[32];
	char(*pids)[UUID_STRLEN + 1], (*eids)[UUID_STRLEN + 1];
	char given[32], *cause = NULL;
	double *lat, t0, save_ms, read_ms;
	long np, ne, i;
	size_t n;

	if (argc != 4) {
		fprintf(stderr, "usage: store_bench DIR PATIENTS ENCOUNTERS\n");
		return 2;
	}
	log_init(NULL, LOG_LEVEL_WARN);
	np = strtol(argv[2], NULL, 10);
	ne = strtol(argv[3], NULL, 10);
	crypto_random(key, sizeof(key));
	if (store_open(argv[1], key, 1, &s) != 0)
		return 1;
	pids = xcalloc((size_t)np, sizeof(*pids));
	eids = xcalloc((size_t)ne, sizeof(*eids));
	lat = xcalloc((size_t)ne, sizeof(*lat));
	srand(42);
	for (i = 0; i < np; i++) {
		snprintf(given, sizeof(given), "Given%ld", i);
		p.given = given;
		p.family = (char *)fam[i % 8];
		p.birth_date = (char *)"1980-01-01";
		p.phone = (char *)"+254700000000";
		if (store_patient_add(s, &p, NULL, &cause) != 0)
			return 1;
		memcpy(pids[i], p.id, sizeof(p.id));
	}
	t0 = now_ms();
	for (i = 0; i < ne; i++) {
		struct store_encounter e = { 0 };
		struct store_obs o[7] = {
			{ .loinc = "9279-1", .value = 16, .unit = "/min" },
			{ .loinc = "59408-5",
			    .value = 97,
			    .unit = "%",
			    .device_id = "contec-cms50:10c4:ea60" },
			{ .loinc = "8867-4",
			    .value = 74,
			    .unit = "/min",
			    .device_id = "contec-cms50:10c4:ea60" },
			{ .loinc = "8480-6",
			    .value = 122,
			    .unit = "mm[Hg]",
			    .panel = "85354-9" },
			{ .loinc = "8462-4",
			    .value = 78,
			    .unit = "mm[Hg]",
			    .panel = "85354-9" },
			{ .loinc = "8310-5", .value = 36.9, .unit = "Cel" },
			{ .loinc = "29463-7", .value = 63.5, .unit = "kg" },
		};
		double a = now_ms();
		snprintf(e.patient_id, sizeof(e.patient_id), "%s",
		    pids[rand() % np]);
		e.reason = (char *)"follow-up";
		if (store_encounter_save(s, &e, o, 7) != 0)
			return 1;
		memcpy(eids[i], e.id, sizeof(e.id));
		lat[i] = now_ms() - a;
	}
	save_ms = now_ms() - t0;
	qsort(lat, (size_t)ne, sizeof(*lat), dcmp);
	t0 = now_ms();
	for (i = 0; i < 20; i++) {
		if (store_patient_find(
		        s, i % 2 ? "Otiena" : "Given17", 20, &hits, &n) != 0)
			return 1;
		store_patient_free_array(hits, n);
	}
	for (i = 0; i < ne; i++) {
		if (store_obs_list(s, eids[i], &ol, &n) != 0 || n != 7)
			return 1;
		store_obs_free_array(ol, n);
	}
	read_ms = now_ms() - t0;
	printf("cipher=%s encounters=%ld save_per_s=%.1f save_p50_ms=%.2f "
	       "save_p99_ms=%.2f read_ms=%.1f\n",
	    cipher(s), ne, ne / (save_ms / 1e3), lat[ne / 2],
	    lat[ne * 99 / 100], read_ms);
	store_close(s);
	free(pids);
	free(eids);
	free(lat);
	return 0;
}
