/*
 * sync-server/store/pg.c: no lost acknowledgement and no partial batch when
 * PostgreSQL is killed during ingest (scale.md AC-3).  Four threads push
 * batches through one store (its pool of 4) while another kills a random
 * server backend with SIGKILL: PostgreSQL then ends every session and
 * recovers from its WAL, as after a crash.  A push that failed is sent
 * again (the kiosk's retry).  Afterwards, by SQL on the database:
 *
 *   - every batch acknowledged to a pusher is stored, with exactly the
 *     response it got, and every change of it with the body it sent;
 *   - no batch key lacks its response;
 *   - every change belongs to a stored batch of its node;
 *   - each node's high-water mark is its highest stored batch end.
 *
 * OUTPOST_PG_KILLS sets the number of kills (default 10; make check-faults
 * runs 1000).  The server's own kill -9 is tests/e2e/kill_server.sh, run
 * against PostgreSQL by tests/e2e/pg.sh.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "crypto.h"
#include "log.h"
#include "sync-server/store/backend.h"
#include "test.h"
#include "pgtest.h"
#include "xmalloc.h"

#define PUSHERS 4
#define PER_BATCH 5

struct acked {
	uint64_t first, last;
	uint8_t sha[32]; /* of the response */
};

struct pusher {
	struct sstore *s;
	uint64_t node;
	volatile int *stop;
	struct acked *acks;
	size_t n, cap;
	uint64_t failures;
};

static int
enc(const struct spush *p, uint64_t hw, uint64_t accepted, uint64_t dups,
    uint8_t **out, size_t *len, void *arg)
{
	char b[96];
	int n;

	(void)arg;
	n = snprintf(b, sizeof(b), "%llu %llu %llu %llu %llu",
	    (unsigned long long)p->node, (unsigned long long)p->first,
	    (unsigned long long)hw, (unsigned long long)accepted,
	    (unsigned long long)dups);
	*out = xmemdup(b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* The body of change SEQ of NODE: the same on every retry. */
static void
body_of(uint64_t node, uint64_t seq, char out[32])
{
	snprintf(out, 32, "n%llu-s%llu", (unsigned long long)node,
	    (unsigned long long)seq);
}

static void *
push_run(void *arg)
{
	struct pusher *u = arg;
	struct schange ch[PER_BATCH];
	char body[PER_BATCH][32];
	struct spush p;
	struct spush_result r;
	uint64_t next = 1;
	size_t i;

	while (!*u->stop) {
		memset(&p, 0, sizeof(p));
		for (i = 0; i < PER_BATCH; i++) {
			memset(&ch[i], 0, sizeof(ch[i]));
			ch[i].seq = next + i;
			ch[i].entity = 3;
			memset(ch[i].id, (int)(next + i), 16);
			ch[i].hlc = next + i;
			body_of(u->node, next + i, body[i]);
			ch[i].body = (const uint8_t *)body[i];
			ch[i].len = strlen(body[i]);
		}
		p.node = u->node;
		p.first = next;
		p.last = next + PER_BATCH - 1;
		p.changes = ch;
		p.n = PER_BATCH;
		crypto_sha256(body, sizeof(body), p.hash);
		p.now_ms = 1;
		p.encode_cb = enc;
		if (store_pg_backend.push(u->s, &p, &r) != 0) {
			u->failures++; /* sent again on the next turn */
			continue;
		}
		if (u->n == u->cap) {
			u->cap = u->cap ? u->cap * 2 : 256;
			u->acks =
			    xreallocarray(u->acks, u->cap, sizeof(*u->acks));
		}
		u->acks[u->n].first = p.first;
		u->acks[u->n].last = p.last;
		crypto_sha256(r.response, r.response_len, u->acks[u->n].sha);
		u->n++;
		free(r.response);
		next += PER_BATCH;
	}
	return NULL;
}

/* SIGKILL one backend of the cluster, then wait until it takes
 * connections again.  0 when a process was killed. */
static int
kill_one(struct pgtest *pg, unsigned *seed)
{
	char v[32], sql[160];
	char ci[256];
	long pid;
	int i;

	snprintf(sql, sizeof(sql),
	    "SELECT pid FROM pg_stat_activity WHERE application_name ="
	    " 'outpost-sync' ORDER BY random() LIMIT 1");
	if (pgtest_sql(pg, NULL, sql, v, sizeof(v)) != 0 || v[0] == '\0')
		return -1;
	pid = strtol(v, NULL, 10);
	if (pid <= 1 || kill((pid_t)pid, SIGKILL) != 0)
		return -1;
	/* a random pause, so the next kill hits another moment */
	{
		struct timespec ts = { 0,
			(long)(rand_r(seed) % 80) * 1000000L };

		nanosleep(&ts, NULL);
	}
	pgtest_conninfo(pg, NULL, ci, sizeof(ci));
	for (i = 0; i < 600; i++) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (PQping(ci) == PQPING_OK)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static int
count_sql(struct pgtest *pg, const char *db, const char *sql, long *n)
{
	char v[32];
	int err;

	if ((err = pgtest_sql(pg, db, sql, v, sizeof(v))) != 0)
		return err;
	*n = strtol(v, NULL, 10);
	return 0;
}

/* Every acknowledged batch of U: its response and its changes. */
static int
check_acked(
    struct pgtest *pg, const char *db, const struct pusher *u, long *bad)
{
	char ci[256], a[3][24], body[32];
	const char *v[3];
	PGconn *c;
	PGresult *r;
	uint8_t h[32], hb[32];
	size_t i;
	uint64_t q;
	int j;

	pgtest_conninfo(pg, db, ci, sizeof(ci));
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return EIO;
	}
	for (i = 0; i < u->n; i++) {
		snprintf(
		    a[0], sizeof(a[0]), "%llu", (unsigned long long)u->node);
		snprintf(a[1], sizeof(a[1]), "%llu",
		    (unsigned long long)u->acks[i].first);
		snprintf(a[2], sizeof(a[2]), "%llu",
		    (unsigned long long)u->acks[i].last);
		for (j = 0; j < 3; j++)
			v[j] = a[j];
		r = PQexecParams(c,
		    "SELECT response FROM batches WHERE node = $1"
		    " AND first_seq = $2 AND last_seq = $3",
		    3, NULL, v, NULL, NULL, 1);
		if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
			(*bad)++;
			PQclear(r);
			continue;
		}
		crypto_sha256(
		    PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), h);
		if (memcmp(h, u->acks[i].sha, 32) != 0)
			(*bad)++;
		PQclear(r);
		r = PQexecParams(c,
		    "SELECT seq, hash FROM changes WHERE node = $1"
		    " AND seq BETWEEN $2 AND $3 ORDER BY seq",
		    3, NULL, v, NULL, NULL, 1);
		if (PQntuples(r) != PER_BATCH)
			(*bad)++;
		for (j = 0; j < PQntuples(r) && j < PER_BATCH; j++) {
			q = u->acks[i].first + (uint64_t)j;
			body_of(u->node, q, body);
			crypto_sha256(body, strlen(body), hb);
			if (PQgetlength(r, j, 1) != 32 ||
			    memcmp(PQgetvalue(r, j, 1), hb, 32) != 0)
				(*bad)++;
		}
		PQclear(r);
	}
	PQfinish(c);
	return 0;
}

static int
test_kill_postgres(void)
{
	const char *e = getenv("OUTPOST_PG_KILLS");
	struct pgtest pg;
	struct pusher u[PUSHERS];
	struct sstore *s = NULL;
	struct stoken t;
	struct snode nd;
	pthread_t th[PUSHERS];
	char conninfo[256];
	uint8_t pub[32];
	volatile int stop = 0;
	unsigned seed = (unsigned)time(NULL);
	long kills, done = 0, bad = 0, n;
	uint64_t acked = 0, failures = 0;
	size_t i;
	int rc, err = 0, running = 0;

	memset(u, 0, sizeof(u));
	kills = e != NULL ? strtol(e, NULL, 10) : 10;
	if ((rc = pgtest_start(&pg)) != 0) {
		fprintf(stderr, "%s\n", pg.why);
		return rc == 77 ? TEST_SKIP : EIO;
	}
	TEST_ERR(pgtest_newdb(&pg, conninfo, sizeof(conninfo)));
	TEST_ERR(store_pg_backend.open(conninfo, NULL, &s));
	for (i = 0; i < PUSHERS; i++) {
		memset(&t, 0, sizeof(t));
		memset(t.hash, (int)i + 1, sizeof(t.hash));
		snprintf(t.region, sizeof(t.region), "r");
		t.expires_ms = 10;
		memset(pub, (int)i + 1, sizeof(pub));
		TEST_ERR(store_pg_backend.token_add(s, &t));
		TEST_ERR(store_pg_backend.enroll(s, t.hash, pub, "k", 1, &nd));
		u[i].s = s;
		u[i].node = nd.id;
		u[i].stop = &stop;
	}
	for (i = 0; i < PUSHERS; i++)
		if (pthread_create(&th[i], NULL, push_run, &u[i]) != 0)
			fatalx("pthread_create");
	running = 1;
	while (done < kills) {
		if (kill_one(&pg, &seed) != 0) {
			struct timespec ts = { 0, 10 * 1000000L };

			nanosleep(&ts, NULL); /* no session yet: try again */
			continue;
		}
		done++;
	}
	stop = 1;
	for (i = 0; i < PUSHERS; i++)
		pthread_join(th[i], NULL);
	running = 0;
	for (i = 0; i < PUSHERS; i++) {
		acked += u[i].n;
		failures += u[i].failures;
		TEST_ERR(check_acked(&pg, "t1", &u[i], &bad));
	}
	fprintf(stderr,
	    "%ld kills of a PostgreSQL backend; %llu batches acknowledged,"
	    " %llu pushes failed and were sent again; %ld acknowledged"
	    " batches wrong or incomplete\n",
	    done, (unsigned long long)acked, (unsigned long long)failures, bad);
	TEST_EQ(bad, 0);
	TEST_TRUE(acked > (uint64_t)PUSHERS);
	TEST_ERR(count_sql(&pg, "t1",
	    "SELECT count(*) FROM batches WHERE response IS NULL", &n));
	TEST_EQ(n, 0);
	TEST_ERR(count_sql(&pg, "t1",
	    "SELECT count(*) FROM changes c WHERE NOT EXISTS (SELECT 1"
	    " FROM batches b WHERE b.node = c.node AND c.seq BETWEEN"
	    " b.first_seq AND b.last_seq)",
	    &n));
	TEST_EQ(n, 0);
	TEST_ERR(count_sql(&pg, "t1",
	    "SELECT count(*) FROM nodes n WHERE n.hw <> coalesce((SELECT"
	    " max(last_seq) FROM batches b WHERE b.node = n.id), 0)"
	    " OR n.hw <> coalesce((SELECT max(seq) FROM changes c"
	    " WHERE c.node = n.id), 0)",
	    &n));
	TEST_EQ(n, 0);
out:
	if (running) {
		stop = 1;
		for (i = 0; i < PUSHERS; i++)
			pthread_join(th[i], NULL);
	}
	store_pg_backend.close(s);
	for (i = 0; i < PUSHERS; i++)
		free(u[i].acks);
	if (pgtest_stop(&pg) != 0 && err == 0)
		err = EIO;
	return err;
}

TEST_MAIN({ "kill_postgres", test_kill_postgres })
