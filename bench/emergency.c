/*
 * Trigger latency (issue 16, research emergency.md §7.10 criterion 1):
 * from the trigger to (a) the incident durable on the kiosk store on this
 * disk (synchronous=FULL), (b) the fast path's 200 from a real sync-server
 * on loopback (POST /v1/emergency, signed, through the kiosk's own
 * client; with --server), (c) the first SMS handed to the modem port (the
 * in-memory fake; a real modem adds its own submit time).  Two triggers,
 * in process on the kiosk's visit/emergency code: the emergency key (a
 * manual raise: level 1 at once) and the NEWS2 confirm window's timeout
 * (an automatic raise, then the pump at the end of the window on a clock
 * moved past it: measured from that pump).  Median and p99 of N runs
 * each, with baselines measured in the same run: a 4 KiB write and fsync
 * in the store's directory for (a), one signed round trip to the same
 * server (POST /v1/roster, no roster kept: refused) for (b).  The CALL
 * NOW card's drawing is not in these figures.
 *   bench/emergency [N] [DIR] [--server URL --token TOKEN]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "kiosk/visit/emergency.h"
#include "protocol.h"
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

/* The kiosk's fast path and modem port, each noting when it first
 * succeeded in a run. */
struct stamp {
	struct emerg_fast fast;
	struct sms_port port;
	uint64_t fast_ok_us, sms_us;
};

static int
stamp_post(void *arg, const uint8_t *body, size_t len, char state[16],
    char by[ESC_RCPT_LEN], uint32_t *eta)
{
	struct stamp *st = arg;
	int err = st->fast.post(st->fast.arg, body, len, state, by, eta);

	if (err == 0 && st->fast_ok_us == 0)
		st->fast_ok_us = clock_mono_us();
	return err;
}

static int
stamp_send(void *arg, const char *to, const char *text, char ref[32])
{
	struct stamp *st = arg;
	int err = st->port.send(st->port.arg, to, text, ref);

	if (err == 0 && st->sms_us == 0)
		st->sms_us = clock_mono_us();
	return err;
}

static int
stamp_recv(void *arg, struct sms_msg *m)
{
	struct stamp *st = arg;

	return st->port.recv(st->port.arg, m);
}

static uint64_t
median_of(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	return v[n / 2];
}

/* Baseline (a): a 4 KiB write and fsync in DIR, N times: the median. */
static uint64_t
fsync_baseline(const char *dir, int n)
{
	uint64_t *v = xcalloc((size_t)n, sizeof(*v)), t0, m;
	char path[512], block[4096];
	int i, fd;

	memset(block, 'x', sizeof(block));
	snprintf(path, sizeof(path), "%s/fsync-baseline", dir);
	for (i = 0; i < n; i++) {
		t0 = clock_mono_us();
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
		    write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) ||
		    fsync(fd) != 0) {
			perror("fsync baseline");
			exit(1);
		}
		close(fd);
		v[i] = clock_mono_us() - t0;
	}
	unlink(path);
	m = median_of(v, n);
	free(v);
	return m;
}

/* Baseline (b): one signed round trip to the server, N times. */
static uint64_t
post_baseline(struct store *s, int n)
{
	uint64_t *v = xcalloc((size_t)n, sizeof(*v)), t0, m;
	static const uint8_t empty_map = 0xa0;
	uint8_t *ans = NULL;
	size_t alen;
	long status;
	int i;

	for (i = 0; i < n; i++) {
		t0 = clock_mono_us();
		if (sync_post(s, PROTO_PATH_ROSTER, &empty_map, 1, &ans, &alen,
		        &status) != 0) {
			fprintf(stderr, "baseline round trip failed\n");
			exit(1);
		}
		v[i] = clock_mono_us() - t0;
		free(ans);
		ans = NULL;
	}
	m = median_of(v, n);
	free(v);
	return m;
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

static void
ratio(const char *what, uint64_t *v, int n, uint64_t base, const char *bname)
{
	report(what, v, n);
	if (base > 0)
		printf("  %.1fx the %s baseline (%.2f ms)\n",
		    (double)v[n / 2] / (double)base, bname, base / 1000.0);
}

int
main(int argc, char **argv)
{
	struct store *s = NULL;
	struct esc_roster r;
	struct esc_policy pol;
	struct sms_fake *fake = xcalloc(1, sizeof(*fake));
	struct stamp st;
	struct sms_port port;
	struct emerg_fast fastpath;
	struct emerg_ctx c;
	struct store_emergency_in in = { .trigger = ESC_TRIG_MANUAL,
		.news2 = 9,
		.age = 34,
		.sex = 'F',
		.vitals = "SpO2 84 RR 28 HR 132 BP 88 T39.1 V" };
	struct esc_now now, late;
	char dir[] = "/tmp/outpost-bench-emerg-XXXXXX", id[UUID_STRLEN + 1];
	const char *url = NULL, *token = NULL, *data = NULL;
	char *cause = NULL;
	uint8_t key[32];
	uint64_t *dur, *fast, *first, *afast, *afirst, t0, b_fsync, b_post = 0;
	int n = 100, i, k, err, auto_trig;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--server") == 0 && k + 1 < argc)
			url = argv[++k];
		else if (strcmp(argv[k], "--token") == 0 && k + 1 < argc)
			token = argv[++k];
		else if (k == 1 && strtol(argv[k], NULL, 10) > 0)
			n = (int)strtol(argv[k], NULL, 10);
		else
			data = argv[k];
	}
	dur = xcalloc((size_t)n, sizeof(*dur));
	fast = xcalloc((size_t)n, sizeof(*fast));
	first = xcalloc((size_t)n, sizeof(*first));
	afast = xcalloc((size_t)n, sizeof(*afast));
	afirst = xcalloc((size_t)n, sizeof(*afirst));
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	crypto_random(key, sizeof(key));
	if ((err = store_open(data ? data : dir, key, 1, &s)) != 0) {
		fprintf(stderr, "store: %s\n", strerror(err));
		return 1;
	}
	roster(&r);
	if (esc_roster_policy(&r, &pol) != 0) {
		fprintf(stderr, "roster policy\n");
		return 1;
	}
	memset(&st, 0, sizeof(st));
	emergency_sms_fake(&st.port, fake);
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.roster = &r;
	c.chw_phone = "+254712345678";
	port = (struct sms_port){ &st, stamp_send, stamp_recv, NULL };
	c.port = &port;
	if (url != NULL && token != NULL) {
		if ((err = sync_enroll(s, url, token, NULL, &cause)) != 0) {
			fprintf(stderr, "enrol: %s\n",
			    cause ? cause : strerror(err));
			return 1;
		}
		emerg_fast_sync(&st.fast, s);
		fastpath = (struct emerg_fast){ &st, stamp_post };
		c.fast = &fastpath;
	}
	b_fsync = fsync_baseline(data ? data : dir, n);
	if (c.fast != NULL)
		b_post = post_baseline(s, n);
	for (auto_trig = 0; auto_trig < 2; auto_trig++) {
		in.trigger = auto_trig ? ESC_TRIG_AUTO : ESC_TRIG_MANUAL;
		for (i = 0; i < n; i++) {
			fake->nsent = 0;
			memset(c.fslots, 0, sizeof(c.fslots));
			st.fast_ok_us = st.sms_us = 0;
			if (esc_now_read(&now) != 0)
				return 1;
			t0 = clock_mono_us();
			if ((err = emerg_raise(&c, &in, &now, id)) != 0) {
				fprintf(stderr, "raise failed\n");
				return 1;
			}
			if (!auto_trig)
				dur[i] = clock_mono_us() - t0;
			if (auto_trig) {
				/* the window runs (the fast path says so), then
				 * its end: the pump on a clock past it */
				if (emerg_pump(&c, &now, NULL) != 0)
					return 1;
				late = now;
				late.boot_ms += pol.confirm_s * 1000ULL + 1;
				late.wall_ms += pol.confirm_s * 1000LL + 1;
				st.fast_ok_us = st.sms_us = 0;
				fake->nsent = 0;
				t0 = clock_mono_us();
			} else
				late = now;
			if ((err = emerg_pump(&c, &late, NULL)) != 0 ||
			    fake->nsent != 1 ||
			    (c.fast != NULL && st.fast_ok_us == 0)) {
				fprintf(stderr, "pump failed (%d sent)\n",
				    fake->nsent);
				return 1;
			}
			(auto_trig ? afirst : first)[i] = st.sms_us - t0;
			if (c.fast != NULL)
				(auto_trig ? afast : fast)[i] =
				    st.fast_ok_us - t0;
			store_emergency_step(s, id, STORE_EMERG_ARRIVED, NULL,
			    &late, NULL, 0, NULL);
		}
	}
	printf("baseline: 4 KiB write + fsync in the store's directory: "
	       "median %.2f ms\n",
	    b_fsync / 1000.0);
	if (c.fast != NULL)
		printf("baseline: one signed round trip to the server "
		       "(POST /v1/roster): median %.2f ms\n",
		    b_post / 1000.0);
	ratio("key to incident durable", dur, n, b_fsync, "fsync");
	if (c.fast != NULL)
		ratio("key to the fast path's 200", fast, n, b_post,
		    "round-trip");
	else
		printf("key to the fast path's 200: not measured (no "
		       "--server)\n");
	report("key to first SMS handed to the modem", first, n);
	if (c.fast != NULL)
		ratio("NEWS2 window timeout to the fast path's 200", afast, n,
		    b_post, "round-trip");
	report(
	    "NEWS2 window timeout to first SMS handed to the modem", afirst, n);
	store_close(s);
	explicit_bzero(key, sizeof(key));
	if (data == NULL) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", dir);
	}
	free(cause);
	free(dur);
	free(fast);
	free(first);
	free(afast);
	free(afirst);
	free(fake);
	return 0;
}
