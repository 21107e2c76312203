/*
 * bench/kdf: what one unlock costs the kiosk and one guess costs a thief
 * with the keyring file (docs/SECURITY.md, "A stolen board").
 *
 *   kdf [RUNS]
 *
 * Times Argon2id at the keyring's fixed cost (KEYRING_ARGON2_*), median of
 * RUNS (default 5), next to PBKDF2-SHA512 at the iteration count the old
 * keyring calibrated for its 750 ms default here, and prints the guesses a
 * second one core gets and how long a 6-digit PIN space (10^6) and a
 * 4-digit one take on one core and on 64.  Argon2id also needs its memory
 * per guess in flight; the line says how many guesses 1 GiB holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "kiosk/store/keyring.h"

#define OLD_PBKDF2_MS 750

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
time_argon2id(const struct keyring_kdf *cost)
{
	uint8_t salt[16] = { 1 }, out[32];
	uint64_t t0 = clock_mono_us();

	if (keyring_argon2id(cost, "482193", salt, sizeof(salt), out) != 0) {
		fprintf(stderr, "kdf: argon2id failed\n");
		exit(1);
	}
	return (double)(clock_mono_us() - t0) / 1e3;
}

static double
time_pbkdf2(uint32_t iter)
{
	uint8_t salt[16] = { 1 }, out[32];
	uint64_t t0 = clock_mono_us();

	if (crypto_pbkdf2_sha512(
	        "482193", 6, salt, sizeof(salt), iter, out, sizeof(out)) != 0) {
		fprintf(stderr, "kdf: pbkdf2 failed\n");
		exit(1);
	}
	return (double)(clock_mono_us() - t0) / 1e3;
}

static void
human(double s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0f min", s / 60);
	else if (s < 3 * 86400)
		snprintf(buf, len, "%.1f h", s / 3600);
	else
		snprintf(buf, len, "%.0f days", s / 86400);
}

static void
report(const char *name, double ms)
{
	char p6[32], p6x[32], p4[32];
	double per_s = 1000.0 / ms;

	/* On average half the space is searched before the PIN turns up. */
	human(1e6 / 2 / per_s, p6, sizeof(p6));
	human(1e6 / 2 / per_s / 64, p6x, sizeof(p6x));
	human(1e4 / 2 / per_s, p4, sizeof(p4));
	printf("%s: %.0f ms per unlock, %.2f guesses/s per core; "
	       "6-digit PIN: %s on one core, %s on 64; 4-digit: %s on one "
	       "core\n",
	    name, ms, per_s, p6, p6x, p4);
}

int
main(int argc, char **argv)
{
	struct keyring_kdf cost;
	double a[64], p[64], probe;
	uint32_t iter;
	int i, runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;

	if (runs < 1 || runs > 64)
		runs = 5;
	keyring_kdf_default(&cost);
	/* the old keyring's calibration: a 20000-iteration probe, scaled */
	probe = time_pbkdf2(20000);
	iter = (uint32_t)(20000.0 * OLD_PBKDF2_MS / (probe > 0 ? probe : 1));
	for (i = 0; i < runs; i++) {
		a[i] = time_argon2id(&cost);
		p[i] = time_pbkdf2(iter);
	}
	qsort(a, (size_t)runs, sizeof(a[0]), dcmp);
	qsort(p, (size_t)runs, sizeof(p[0]), dcmp);
	printf("argon2id cost: t=%u passes, m=%u KiB, p=%u lane(s); "
	       "%u guesses in flight per GiB of memory\n",
	    cost.t_cost, cost.m_cost, cost.parallelism,
	    (unsigned)(1024u * 1024u / cost.m_cost));
	report("argon2id (now)", a[runs / 2]);
	printf("pbkdf2-sha512: %u iterations (old %d ms calibration here)\n",
	    iter, OLD_PBKDF2_MS);
	report("pbkdf2-sha512 (before)", p[runs / 2]);
	return 0;
}
