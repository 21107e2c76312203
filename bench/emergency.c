/*
 * Trigger latency (issue 16, research emergency.md §7.10 criterion 1, the
 * part that exists): from the emergency key (emerg_raise called) to the
 * incident durable on the kiosk store on this disk (synchronous=FULL),
 * and to the first SMS handed to the modem (the in-memory one; a real
 * modem adds its own submit time).  Median and p99 of N runs (100).  The
 * CALL NOW card is not drawn yet, so its time is not in these figures.
 *   bench/emergency [N] [DIR]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "kiosk/store/store.h"
#include "kiosk/visit/emergency.h"
#include "xmalloc.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
roster(struct esc_roster *r)
{
	memset(r, 0, sizeof(*r));
	r->version = 1;
	r->valid_until = INT64_MAX / 2;
	r->lat = -3.3095;
	r->lon = 40.0173;
	snprintf(r->landmark, sizeof(r->landmark), "Gede disp");
	r->nservices = 1;
	snprintf(r->services[0].id, ESC_RCPT_LEN, "watamu-amb");
	r->services[0].nsms = 1;
	snprintf(r->services[0].sms[0], ESC_NUM_LEN, "+254700000001");
	r->nlevels = 1;
	r->level_nsvc[0] = 1;
	snprintf(r->level_svc[0][0], ESC_RCPT_LEN, "watamu-amb");
	r->level_deadline_s[0] = 300;
	r->loops = 5;
	r->loop_every_s = 600;
	r->rate_s = 120;
	r->max_pages = 20;
}

static void
report(const char *what, uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	printf("%s: median %.2f ms, p99 %.2f ms, max %.2f ms (%d runs)\n", what,
	    v[n / 2] / 1000.0,
	    v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1000.0,
	    v[n - 1] / 1000.0, n);
}

int
main(int argc, char **argv)
{
	struct store *s = NULL;
	struct esc_roster r;
	struct sms_port port;
	struct sms_fake *fake = xcalloc(1, sizeof(*fake));
	struct emerg_ctx c;
	struct store_emergency_in in = { .trigger = ESC_TRIG_MANUAL,
		.news2 = 9,
		.age = 34,
		.sex = 'F',
		.vitals = "SpO2 84 RR 28 HR 132 BP 88 T39.1 V" };
	struct esc_now now;
	char dir[] = "/tmp/outpost-bench-emerg-XXXXXX", id[UUID_STRLEN + 1];
	uint8_t key[32];
	uint64_t *dur, *first, t0;
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 100, i, err;

	if (n < 1)
		n = 100;
	dur = xcalloc((size_t)n, sizeof(*dur));
	first = xcalloc((size_t)n, sizeof(*first));
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	crypto_random(key, sizeof(key));
	if ((err = store_open(argc > 2 ? argv[2] : dir, key, 1, &s)) != 0) {
		fprintf(stderr, "store: %s\n", strerror(err));
		return 1;
	}
	roster(&r);
	emergency_sms_fake(&port, fake);
	c = (struct emerg_ctx){ s, &r, &port, "+254712345678" };
	for (i = 0; i < n; i++) {
		fake->nsent = 0;
		t0 = clock_mono_us();
		if (esc_now_read(&now) != 0 ||
		    (err = emerg_raise(&c, &in, &now, id)) != 0) {
			fprintf(stderr, "raise failed\n");
			return 1;
		}
		dur[i] = clock_mono_us() - t0;
		if ((err = emerg_pump(&c, &now, NULL)) != 0 ||
		    fake->nsent != 1) {
			fprintf(stderr, "pump failed\n");
			return 1;
		}
		first[i] = clock_mono_us() - t0;
		store_emergency_step(
		    s, id, STORE_EMERG_ARRIVED, NULL, &now, NULL, 0, NULL);
	}
	report("key to incident durable", dur, n);
	report("key to first SMS handed to the modem", first, n);
	store_close(s);
	explicit_bzero(key, sizeof(key));
	if (argc <= 2) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", dir);
	}
	free(dur);
	free(first);
	free(fake);
	return 0;
}
