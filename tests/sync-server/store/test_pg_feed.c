/*
 * sync-server/store/pg.c: the pull feed is complete under concurrent late
 * commits (scale.md AC-1).  16 writer connections insert change rows with
 * the backend's own statement, each in a transaction that waits 0-4 ms
 * after its insert and then commits (or rolls back, 1 in 10).  Two store
 * instances (two pools, as two sync-server processes) pull the region
 * every millisecond and drain once the writers stop.  Each must deliver
 * every committed row exactly once, in (xid, id) order, and nothing
 * rolled back.
 *
 * Self-check: a naive reader in the same run, advancing past the highest
 * id it has seen, must miss rows; if it does not, the run did not produce
 * the late commits the test is about, and the test fails.
 *
 * OUTPOST_FEED_ROWS sets how many rows to commit (default 10000; make
 * check-faults runs 50000).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "sync-server/store/backend.h"
#include "sync-server/store/pg_int.h"
#include "test.h"
#include "pgtest.h"
#include "xmalloc.h"

#define WRITERS 16
#define READERS 2

struct feed {
	char conninfo[256];
	long target; /* committed rows to reach */
	long committed; /* under mu */
	int writers_done; /* under mu */
	char error[300]; /* the first writer's failure, under mu */
	pthread_mutex_t mu;
};

struct reader {
	struct feed *f;
	struct sstore *s;
	uint64_t *ids; /* delivered, in order */
	size_t n, cap;
	int err;
};

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* Record a writer's failure: every writer stops at its next round and the
 * test fails with the first message. */
static void
writer_fail(struct feed *f, const char *what, PGconn *c, PGresult *r)
{
	const char *e = r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c);

	pthread_mutex_lock(&f->mu);
	if (f->error[0] == '\0')
		snprintf(f->error, sizeof(f->error), "writer: %s: %.*s", what,
		    (int)strcspn(e, "\n"), e);
	pthread_mutex_unlock(&f->mu);
}

static void *
writer_run(void *arg)
{
	struct feed *f = arg;
	unsigned seed = (unsigned)(uintptr_t)&seed ^ (unsigned)time(NULL);
	char seqs[32], node[32];
	const char *v[8];
	PGconn *c;
	PGresult *r;
	long done;
	int i, rows, failed;
	static long seq_all;
	static pthread_mutex_t seq_mu = PTHREAD_MUTEX_INITIALIZER;

	c = PQconnectdb(f->conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		writer_fail(f, "connect", c, NULL);
		goto out;
	}
	r = PQprepare(c, "ins", pg_stmts[PG_CHANGE_ADD].sql, 0, NULL);
	failed = PQresultStatus(r) != PGRES_COMMAND_OK;
	if (failed)
		writer_fail(f, "prepare", c, r);
	PQclear(r);
	if (failed)
		goto out;
	snprintf(node, sizeof(node), "%u", 1 + rand_r(&seed) % 900);
	for (;;) {
		pthread_mutex_lock(&f->mu);
		done = f->committed;
		failed = f->error[0] != '\0';
		pthread_mutex_unlock(&f->mu);
		if (done >= f->target || failed)
			break;
		r = PQexec(c, "BEGIN");
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			writer_fail(f, "BEGIN", c, r);
			PQclear(r);
			break;
		}
		PQclear(r);
		rows = 1 + rand_r(&seed) % 3;
		for (i = 0; i < rows && !failed; i++) {
			pthread_mutex_lock(&seq_mu);
			snprintf(seqs, sizeof(seqs), "%ld", ++seq_all);
			pthread_mutex_unlock(&seq_mu);
			v[0] = node;
			v[1] = seqs;
			v[2] = "1";
			v[3] = "\\x00";
			v[4] = seqs;
			v[5] = "\\x00";
			v[6] = "\\x00";
			v[7] = "0"; /* not refused */
			r = PQexecPrepared(c, "ins", 8, v, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				writer_fail(f, "insert", c, r);
				failed = 1;
			} else if (strcmp(PQcmdTuples(r), "1") != 0) {
				pthread_mutex_lock(&f->mu);
				if (f->error[0] == '\0')
					snprintf(f->error, sizeof(f->error),
					    "writer: insert made %s rows, not 1",
					    PQcmdTuples(r));
				pthread_mutex_unlock(&f->mu);
				failed = 1;
			}
			PQclear(r);
		}
		if (failed)
			break;
		sleep_us(rand_r(&seed) % 4000);
		if (rand_r(&seed) % 10 == 0) {
			r = PQexec(c, "ROLLBACK");
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				writer_fail(f, "ROLLBACK", c, r);
				failed = 1;
			}
			PQclear(r);
			continue;
		}
		r = PQexec(c, "COMMIT");
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			pthread_mutex_lock(&f->mu);
			f->committed += rows;
			pthread_mutex_unlock(&f->mu);
		} else {
			writer_fail(f, "COMMIT", c, r);
		}
		PQclear(r);
	}
out:
	PQfinish(c);
	return NULL;
}

static int
writers_done(struct feed *f)
{
	int d;

	pthread_mutex_lock(&f->mu);
	d = f->writers_done;
	pthread_mutex_unlock(&f->mu);
	return d;
}

static void
reader_add(struct reader *rd, uint64_t id)
{
	if (rd->n == rd->cap) {
		rd->cap = rd->cap ? rd->cap * 2 : 4096;
		rd->ids = xreallocarray(rd->ids, rd->cap, sizeof(*rd->ids));
	}
	rd->ids[rd->n++] = id;
}

/* Pull through the backend every millisecond; drain at the end (two
 * empty pages in a row once the writers are done). */
static void *
reader_run(void *arg)
{
	struct reader *rd = arg;
	struct snode me;
	struct spull_result res;
	uint8_t *cur = NULL;
	size_t cur_len = 0, i;
	int empty = 0;

	memset(&me, 0, sizeof(me));
	me.id = 100000; /* no writer's node */
	snprintf(me.region, sizeof(me.region), "r");
	while (empty < 2) {
		int done = writers_done(rd->f);

		rd->err = store_pg_backend.pull(
		    rd->s, &me, SPULL_REGION, cur, cur_len, 500, 0, &res);
		if (rd->err != 0)
			break;
		for (i = 0; i < res.n; i++)
			reader_add(rd, res.changes[i].seq);
		free(cur);
		cur = res.cursor;
		cur_len = res.cursor_len;
		res.cursor = NULL;
		if (done && res.n == 0 && !res.more)
			empty++;
		else if (res.n == 0)
			sleep_us(1000);
		spull_result_clear(&res);
	}
	free(cur);
	return NULL;
}

/* The naive cursor: "id > the highest id seen". */
static void *
naive_run(void *arg)
{
	struct reader *rd = arg;
	char last[32] = "0";
	const char *v[1];
	PGconn *c;
	PGresult *r;
	int i, n, empty = 0;

	c = PQconnectdb(rd->f->conninfo);
	while (PQstatus(c) == CONNECTION_OK && empty < 2) {
		int done = writers_done(rd->f);

		v[0] = last;
		r = PQexecParams(c,
		    "SELECT id FROM changes WHERE region = 'r' AND id > $1"
		    " ORDER BY id LIMIT 500",
		    1, NULL, v, NULL, NULL, 0);
		n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : -1;
		for (i = 0; i < n; i++)
			reader_add(rd, strtoull(PQgetvalue(r, i, 0), NULL, 10));
		if (n > 0)
			snprintf(
			    last, sizeof(last), "%s", PQgetvalue(r, n - 1, 0));
		PQclear(r);
		if (n < 0) {
			rd->err = EIO;
			break;
		}
		if (done && n == 0)
			empty++;
		else if (n == 0)
			sleep_us(1000);
	}
	PQfinish(c);
	return NULL;
}

struct truth {
	uint64_t *id, *xid; /* committed rows, in (xid, id) order */
	size_t n;
	uint64_t max_id;
};

/* Compare RD's deliveries with the table: missed, duplicated, rows
 * delivered out of (xid, id) order, rows that never committed. */
static void
reader_check(const struct truth *t, const struct reader *rd, long *missed,
    long *dup, long *disorder, long *phantom)
{
	uint32_t *seen = xcalloc(t->max_id + 2, sizeof(*seen));
	uint64_t *rank = xcalloc(t->max_id + 2, sizeof(*rank));
	uint64_t prev = 0;
	size_t i;

	*missed = *dup = *disorder = *phantom = 0;
	for (i = 0; i < t->n; i++)
		rank[t->id[i]] = i + 1;
	for (i = 0; i < rd->n; i++) {
		uint64_t id = rd->ids[i];

		if (id > t->max_id || rank[id] == 0) {
			(*phantom)++;
			continue;
		}
		if (seen[id]++ > 0)
			(*dup)++;
		if (rank[id] < prev && ++(*disorder) <= 3) {
			fprintf(stderr,
			    "out of order at %zu: id %llu xid %llu after"
			    " id %llu xid %llu\n",
			    i, (unsigned long long)id,
			    (unsigned long long)t->xid[rank[id] - 1],
			    (unsigned long long)t->id[prev - 1],
			    (unsigned long long)t->xid[prev - 1]);
		}
		prev = rank[id];
	}
	for (i = 0; i < t->n; i++)
		if (seen[t->id[i]] == 0)
			(*missed)++;
	free(seen);
	free(rank);
}

static int
load_truth(struct pgtest *pg, const char *db, struct truth *t)
{
	char ci[256];
	PGconn *c;
	PGresult *r;
	size_t i;
	int err = 0;

	memset(t, 0, sizeof(*t));
	pgtest_conninfo(pg, db, ci, sizeof(ci));
	c = PQconnectdb(ci);
	r = PQexec(c,
	    "SELECT id, xid::text AS x FROM changes ORDER BY changes.xid, id");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = EIO;
		goto out;
	}
	t->n = (size_t)PQntuples(r);
	t->id = xcalloc(t->n + 1, sizeof(*t->id));
	t->xid = xcalloc(t->n + 1, sizeof(*t->xid));
	for (i = 0; i < t->n; i++) {
		t->id[i] = strtoull(PQgetvalue(r, (int)i, 0), NULL, 10);
		t->xid[i] = strtoull(PQgetvalue(r, (int)i, 1), NULL, 10);
		if (t->id[i] > t->max_id)
			t->max_id = t->id[i];
	}
out:
	PQclear(r);
	PQfinish(c);
	return err;
}

static int
test_feed_complete(void)
{
	struct pgtest pg;
	struct feed f;
	struct reader rd[READERS], naive;
	struct truth t;
	pthread_t w[WRITERS], r[READERS], nv;
	const char *e = getenv("OUTPOST_FEED_ROWS");
	long missed, dup, disorder, phantom;
	size_t i;
	int rc, err = 0;

	memset(&f, 0, sizeof(f));
	memset(rd, 0, sizeof(rd));
	memset(&naive, 0, sizeof(naive));
	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&f.mu, NULL);
	f.target = e != NULL ? strtol(e, NULL, 10) : 10000;
	if (f.target < 1000)
		f.target = 1000;
	if ((rc = pgtest_start(&pg)) != 0) {
		fprintf(stderr, "%s\n", pg.why);
		return rc == 77 ? TEST_SKIP : EIO;
	}
	TEST_ERR(pgtest_newdb(&pg, f.conninfo, sizeof(f.conninfo)));
	for (i = 0; i < READERS; i++) {
		rd[i].f = &f;
		TEST_ERR(store_pg_backend.open(f.conninfo, NULL, &rd[i].s));
	}
	/* the writers' nodes, whose region the changes take */
	TEST_ERR(pgtest_sql(&pg, "t1",
	    "INSERT INTO nodes(id, pub, region) SELECT g,"
	    " int8send(g), 'r' FROM generate_series(1, 900) g",
	    NULL, 0));
	naive.f = &f;
	for (i = 0; i < READERS; i++)
		if (pthread_create(&r[i], NULL, reader_run, &rd[i]) != 0)
			fatalx("pthread_create");
	if (pthread_create(&nv, NULL, naive_run, &naive) != 0)
		fatalx("pthread_create");
	for (i = 0; i < WRITERS; i++)
		if (pthread_create(&w[i], NULL, writer_run, &f) != 0)
			fatalx("pthread_create");
	for (i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_mutex_lock(&f.mu);
	f.writers_done = 1;
	pthread_mutex_unlock(&f.mu);
	for (i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	pthread_join(nv, NULL);
	if (f.error[0] != '\0')
		TEST_FAILED("%s", f.error);
	TEST_ERR(load_truth(&pg, "t1", &t));
	TEST_TRUE((long)t.n >= f.target);
	for (i = 0; i < READERS; i++) {
		TEST_ERR(rd[i].err);
		reader_check(&t, &rd[i], &missed, &dup, &disorder, &phantom);
		fprintf(stderr,
		    "instance %zu: %zu committed rows, %zu delivered,"
		    " %ld missed, %ld duplicated, %ld out of order,"
		    " %ld never committed\n",
		    i + 1, t.n, rd[i].n, missed, dup, disorder, phantom);
		TEST_EQ(missed, 0);
		TEST_EQ(dup, 0);
		TEST_EQ(disorder, 0);
		TEST_EQ(phantom, 0);
	}
	TEST_ERR(naive.err);
	reader_check(&t, &naive, &missed, &dup, &disorder, &phantom);
	fprintf(stderr, "naive id cursor: %ld of %zu missed (%.1f%%)\n", missed,
	    t.n, 100.0 * (double)missed / (double)t.n);
	if (missed == 0)
		TEST_FAILED("%s",
		    "self-check: the naive cursor missed nothing,"
		    " so no late commit was exercised");
out:
	for (i = 0; i < READERS; i++) {
		store_pg_backend.close(rd[i].s);
		free(rd[i].ids);
	}
	free(naive.ids);
	free(t.id);
	free(t.xid);
	if (pgtest_stop(&pg) != 0 && err == 0)
		err = EIO;
	return err;
}

TEST_MAIN({ "feed_complete", test_feed_complete })
