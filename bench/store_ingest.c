/*
 * bench/store_ingest: the store backend's push call alone (scale.md AC-4b),
 * SQLite and PostgreSQL in one run on the same machine.
 *
 *   store_ingest SQLITE_DIR|- PG_CONNINFO|- THREADS SECONDS
 *
 * THREADS threads, each its own enrolled node, push 10-record batches of
 * 200-byte bodies back to back through backend.h for SECONDS on each
 * store, each batch one patient's (an encounter's observations: the
 * records index their patient, as a real push's do); a record counts
 * once push returned 0 (after its commit).  PG_CONNINFO should name a
 * cluster with fsync and synchronous_commit on (bench/sync.sh starts one
 * with PGCLUSTER_DURABLE=1); "-" skips PostgreSQL.  Prints key=value lines
 * and the ratio.  During the PostgreSQL run a probe (scale.md AC-5) pushes
 * one change every 20 ms through the loaded store and pulls it through a
 * second store instance (its own pool, as another sync-server would):
 * commit-to-pullable p50 and p99.  The benchmark shares the cores with the
 * database server, which understates both.  OUTPOST_BENCH_PROBE=0 leaves
 * the probe out (bench/pg_callgrind.sh: the pushes alone on one
 * connection).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "str.h"
#include "sync-server/store/backend.h"
#include "xmalloc.h"

#define BATCH 10
#define BODY 200

struct worker {
	const struct store_backend *be;
	struct sstore *s;
	uint64_t node;
	uint64_t deadline_ms;
	uint64_t records, pushes, errors;
	uint64_t rng[4]; /* the worker's own generator (fill) */
};

/*
 * Bytes for the batches: xoshiro256** seeded from the system's generator.
 * A server gets its bodies and ids from the network; drawing 21 times a
 * push from OpenSSL's generator (locks, parameter lookups, getpid) cost
 * about 6% of the two cores the database shares with this program.
 */
static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void
fill(uint64_t s[4], uint8_t *out, size_t n)
{
	while (n > 0) {
		uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
		size_t k = n < 8 ? n : 8;

		s[2] ^= s[0];
		s[3] ^= s[1];
		s[1] ^= s[2];
		s[0] ^= s[3];
		s[2] ^= t;
		s[3] = rotl(s[3], 45);
		memcpy(out, &r, k);
		out += k;
		n -= k;
	}
}

static int
enc(const struct spush *p, uint64_t hw, uint64_t accepted, uint64_t dups,
    uint8_t **out, size_t *len, void *arg)
{
	uint8_t r[24];

	(void)p;
	(void)arg;
	memcpy(r, &hw, 8);
	memcpy(r + 8, &accepted, 8);
	memcpy(r + 16, &dups, 8);
	*out = xmemdup(r, sizeof(r));
	*len = sizeof(r);
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct schange ch[BATCH];
	uint8_t body[BATCH][BODY];
	struct spush p;
	struct spush_result res;
	uint8_t patient[16];
	uint64_t seq = 1;
	size_t i;

	while (clock_mono_ms() < w->deadline_ms) {
		memset(&p, 0, sizeof(p));
		fill(w->rng, patient, sizeof(patient));
		for (i = 0; i < BATCH; i++) {
			fill(w->rng, body[i], BODY);
			memset(&ch[i], 0, sizeof(ch[i]));
			ch[i].seq = seq + i;
			ch[i].entity = 3;
			fill(w->rng, ch[i].id, 16);
			ch[i].has_patient = 1;
			memcpy(ch[i].patient, patient, sizeof(patient));
			ch[i].hlc = seq + i;
			ch[i].body = body[i];
			ch[i].len = BODY;
		}
		p.node = w->node;
		p.first = seq;
		p.last = seq + BATCH - 1;
		p.changes = ch;
		p.n = BATCH;
		fill(w->rng, p.hash, 32);
		p.now_ms = 1;
		p.encode_cb = enc;
		if (w->be->push(w->s, &p, &res) == 0) {
			w->records += res.accepted;
			w->pushes++;
			seq += BATCH;
		} else
			w->errors++;
		free(res.response);
	}
	return NULL;
}

struct probe {
	struct sstore *a, *b; /* push through A, pull through B */
	struct snode writer, reader;
	uint64_t deadline_ms;
	uint64_t *lat_us;
	size_t n, cap;
	int err;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void *
probe_run(void *arg)
{
	struct probe *pr = arg;
	struct schange ch;
	struct spush p;
	struct spush_result res;
	struct spull_result pl;
	uint8_t body[16], *cur = NULL;
	size_t cur_len = 0, i;
	uint64_t seq = 1, t0, t;
	int seen;

	while (clock_mono_ms() < pr->deadline_ms && pr->err == 0) {
		memset(&ch, 0, sizeof(ch));
		memset(&p, 0, sizeof(p));
		crypto_random(body, sizeof(body));
		ch.seq = seq;
		ch.entity = 3;
		crypto_random(ch.id, 16);
		ch.body = body;
		ch.len = sizeof(body);
		p.node = pr->writer.id;
		p.first = p.last = seq;
		p.changes = &ch;
		p.n = 1;
		crypto_random(p.hash, 32);
		p.now_ms = 1;
		p.encode_cb = enc;
		if ((pr->err = store_pg_backend.push(pr->a, &p, &res)) != 0)
			break;
		free(res.response);
		t0 = now_us();
		seq++;
		for (seen = 0; !seen && pr->err == 0;) {
			pr->err = store_pg_backend.pull(pr->b, &pr->reader,
			    SPULL_REGION, cur, cur_len, 100, 0, &pl);
			if (pr->err != 0)
				break;
			for (i = 0; i < pl.n; i++)
				seen |=
				    memcmp(pl.changes[i].id, ch.id, 16) == 0;
			free(cur);
			cur = pl.cursor;
			cur_len = pl.cursor_len;
			pl.cursor = NULL;
			spull_result_clear(&pl);
			if (!seen) {
				struct timespec ts = { 0, 1000000L };

				nanosleep(&ts, NULL);
			}
		}
		t = now_us() - t0;
		if (pr->n == pr->cap) {
			pr->cap = pr->cap ? pr->cap * 2 : 256;
			pr->lat_us = xreallocarray(
			    pr->lat_us, pr->cap, sizeof(*pr->lat_us));
		}
		pr->lat_us[pr->n++] = t;
		{
			struct timespec ts = { 0, 20 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	free(cur);
	return NULL;
}

/*
 * The machine's CPU ticks so far (/proc/stat's first line): all of them,
 * and those stolen by the host (a virtual machine's neighbours).  On this
 * shared machine the same run gave 32,000 and 19,000 records/s minutes
 * apart with no other process of ours running: the steal says whether a
 * figure was taken on a quiet host.
 */
static void
cpu_ticks(uint64_t *all, uint64_t *steal)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	size_t i;

	*all = *steal = 0;
	if (f == NULL)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	        &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (i = 0; i < 8; i++)
			*all += v[i];
		*steal = v[7];
	}
	fclose(f);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
enroll_one(const struct store_backend *be, struct sstore *s, const char *region,
    struct snode *n)
{
	struct stoken tok;
	uint8_t pub[32];
	int err;

	memset(&tok, 0, sizeof(tok));
	crypto_random(tok.hash, 32);
	snprintf(tok.region, sizeof(tok.region), "%s", region);
	tok.expires_ms = UINT64_MAX >> 1;
	crypto_random(pub, 32);
	if ((err = be->token_add(s, &tok)) != 0)
		return err;
	return be->enroll(s, tok.hash, pub, "b", 1, n);
}

static int
run(const struct store_backend *be, const char *target, int threads,
    int seconds, double *rate)
{
	struct worker *w = xcalloc((size_t)threads, sizeof(*w));
	pthread_t *t = xcalloc((size_t)threads, sizeof(*t));
	struct sstore *s = NULL;
	struct probe pr;
	pthread_t pt;
	struct snode n;
	uint64_t t0, t1, records = 0, pushes = 0, errors = 0;
	uint64_t all0, all1, steal0, steal1;
	const char *env;
	int i, err, probing = 0;

	memset(&pr, 0, sizeof(pr));

	if ((err = be->open(target, NULL, &s)) != 0) {
		fprintf(stderr, "store_ingest: cannot open %s store: %s\n",
		    be->name, strerror(err));
		goto out;
	}
	for (i = 0; i < threads; i++) {
		if ((err = enroll_one(be, s, "bench", &n)) != 0)
			goto out;
		w[i].be = be;
		w[i].s = s;
		w[i].node = n.id;
		crypto_random(w[i].rng, sizeof(w[i].rng));
	}
	if (be == &store_pg_backend &&
	    ((env = getenv("OUTPOST_BENCH_PROBE")) == NULL ||
	        strcmp(env, "0") != 0)) {
		pr.a = s;
		if ((err = be->open(target, NULL, &pr.b)) != 0 ||
		    (err = enroll_one(be, s, "probe", &pr.writer)) != 0 ||
		    (err = enroll_one(be, s, "probe", &pr.reader)) != 0)
			goto out;
	}
	cpu_ticks(&all0, &steal0);
	t0 = clock_mono_ms();
	for (i = 0; i < threads; i++) {
		w[i].deadline_ms = t0 + (uint64_t)seconds * 1000;
		if (pthread_create(&t[i], NULL, work, &w[i]) != 0)
			fatalx("pthread_create");
	}
	if (pr.b != NULL) {
		pr.deadline_ms = t0 + (uint64_t)seconds * 1000;
		if (pthread_create(&pt, NULL, probe_run, &pr) != 0)
			fatalx("pthread_create");
		probing = 1;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		records += w[i].records;
		pushes += w[i].pushes;
		errors += w[i].errors;
	}
	t1 = clock_mono_ms();
	cpu_ticks(&all1, &steal1);
	if (probing) {
		pthread_join(pt, NULL);
		probing = 0;
		if (pr.n > 0) {
			qsort(pr.lat_us, pr.n, sizeof(*pr.lat_us), cmp_u64);
			printf("freshness_probes=%zu p50_ms=%.2f p99_ms=%.2f"
			       " max_ms=%.2f (through a second instance, under"
			       " this load; goal p50 <= 20, p99 <= 250)\n",
			    pr.n, (double)pr.lat_us[pr.n / 2] / 1000.0,
			    (double)pr.lat_us[pr.n * 99 / 100] / 1000.0,
			    (double)pr.lat_us[pr.n - 1] / 1000.0);
		}
		if (pr.err != 0)
			err = pr.err;
	}
	*rate = (double)records * 1000.0 / (double)(t1 - t0);
	printf("%s_records_per_s=%.0f pushes=%llu errors=%llu threads=%d"
	       " seconds=%.1f host_steal_pct=%.1f\n",
	    be->name, *rate, (unsigned long long)pushes,
	    (unsigned long long)errors, threads, (double)(t1 - t0) / 1000.0,
	    all1 > all0
	        ? 100.0 * (double)(steal1 - steal0) / (double)(all1 - all0)
	        : 0.0);
	if (errors > 0)
		err = EIO;
out:
	if (probing)
		pthread_join(pt, NULL);
	if (pr.b != NULL)
		be->close(pr.b);
	free(pr.lat_us);
	/* the store's own summary (PostgreSQL: pushes alone, grouped) */
	log_level_current = LOG_LEVEL_INFO;
	be->close(s);
	log_level_current = LOG_LEVEL_WARN;
	free(w);
	free(t);
	return err;
}

int
main(int argc, char **argv)
{
	long long threads, seconds;
	double sq = 0, pg = 0;
	int err;

	if (argc != 5 || str_to_ll(argv[3], 1, 64, &threads) != 0 ||
	    str_to_ll(argv[4], 1, 3600, &seconds) != 0) {
		fprintf(stderr,
		    "usage: store_ingest SQLITE_DIR|- PG_CONNINFO|-"
		    " THREADS SECONDS\n");
		return 2;
	}
	log_init(NULL, LOG_LEVEL_WARN);
	if (strcmp(argv[1], "-") != 0 &&
	    (err = run(&store_sqlite_backend, argv[1], (int)threads,
	         (int)seconds, &sq)) != 0)
		return 1;
	if (strcmp(argv[2], "-") == 0)
		return 0;
	if ((err = run(&store_pg_backend, argv[2], (int)threads, (int)seconds,
	         &pg)) != 0)
		return 1;
	if (sq > 0)
		printf("postgresql_vs_sqlite=%.2f (10-record batches, durable;"
		       " goal postgresql >= 25000 records/s)\n",
		    pg / sq);
	return 0;
}
