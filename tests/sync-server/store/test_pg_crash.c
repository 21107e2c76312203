/*
 * sync-server/store/pg.c: no lost acknowledgement and no partial batch when
 * PostgreSQL is killed during ingest (scale.md AC-3).  Eight threads push
 * batches through one store (its pool of 4: waiting pushes are committed
 * in groups, pg.c pg_group_push) while another kills a random
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
 * kill_ingester does the same for the other side: a process ingesting
 * through the store (its pool, its pipelines: the sync-server's store
 * layer) killed with SIGKILL at a random moment of its pushes, again and
 * again, each new one going on from what was acknowledged.  Every
 * acknowledgement crosses a pipe to the test as the push returns, as the
 * server answers the kiosk.  The HTTP server itself is killed by
 * tests/e2e/kill_server.sh, run against PostgreSQL by tests/e2e/pg.sh.
 *
 * OUTPOST_PG_KILLS and OUTPOST_PG_SERVER_KILLS set the numbers of kills
 * (default 10 each, for make check; make check-faults runs 1000 each).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "crypto.h"
#include "log.h"
#include "sync-server/store/backend.h"
#include "test.h"
#include "pgtest.h"
#include "xmalloc.h"

#define PUSHERS 8
#define PER_BATCH 5

struct acked {
	uint64_t first, last;
	uint8_t sha[32]; /* of the response */
};

/* An acknowledgement, from the ingesting child to the test. */
struct ack_msg {
	uint64_t node, first, last;
	uint8_t sha[32];
};

struct pusher {
	struct sstore *s;
	uint64_t node;
	uint64_t next; /* the first batch to push (0: 1) */
	int fd; /* acknowledgements written there too when > 0 */
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
	uint64_t next = u->next ? u->next : 1;
	struct ack_msg m;
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
		if (u->fd > 0) {
			/* one write of less than PIPE_BUF: whole or not */
			m.node = u->node;
			m.first = p.first;
			m.last = p.last;
			memcpy(m.sha, u->acks[u->n].sha, 32);
			if (write(u->fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
				_exit(4);
		}
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
			(long)(rand_r(seed) % 40) * 1000000L };

		nanosleep(&ts, NULL);
	}
	pgtest_conninfo(pg, NULL, ci, sizeof(ci));
	for (i = 0; i < 6000; i++) {
		struct timespec ts = { 0, 5 * 1000000L };

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

/*
 * The invariants of a store after crashes, by SQL: no batch key without
 * its response, every batch whole (one change per sequence of its
 * range), every change inside a stored batch of its node, every
 * accepted change's record indexed, each node's high-water mark its
 * highest stored batch end and change.
 */
static const struct {
	const char *what, *sql;
} invariants[] = {
	{ "batch keys without their response",
	    "SELECT count(*) FROM batches WHERE response IS NULL" },
	{ "batches not whole",
	    "SELECT count(*) FROM batches b WHERE (SELECT count(*) FROM"
	    " changes c WHERE c.node = b.node AND c.seq BETWEEN b.first_seq"
	    " AND b.last_seq) <> b.last_seq - b.first_seq + 1" },
	{ "changes outside a stored batch",
	    "SELECT count(*) FROM changes c WHERE NOT EXISTS (SELECT 1"
	    " FROM batches b WHERE b.node = c.node AND c.seq BETWEEN"
	    " b.first_seq AND b.last_seq)" },
	{ "accepted changes without their record",
	    "SELECT count(*) FROM changes c WHERE c.refused = 0 AND NOT"
	    " EXISTS (SELECT 1 FROM records r WHERE r.entity = c.entity"
	    " AND r.rid = c.rid)" },
	{ "nodes whose high-water mark is not their last batch",
	    "SELECT count(*) FROM nodes n WHERE n.hw <> coalesce((SELECT"
	    " max(last_seq) FROM batches b WHERE b.node = n.id), 0)"
	    " OR n.hw <> coalesce((SELECT max(seq) FROM changes c"
	    " WHERE c.node = n.id), 0)" },
};

static int
check_invariants(struct pgtest *pg, const char *db)
{
	size_t i;
	long n;
	int err = 0;

	for (i = 0; i < sizeof(invariants) / sizeof(invariants[0]); i++) {
		TEST_ERR(count_sql(pg, db, invariants[i].sql, &n));
		if (n != 0)
			TEST_FAILED("%ld %s", n, invariants[i].what);
	}
out:
	return err;
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

/* A database on PG, a store on it (*S) and a node of region "r" for
 * each pusher. */
static int
crash_setup(struct pgtest *pg, char *conninfo, size_t size, struct sstore **s,
    struct pusher *u)
{
	struct stoken t;
	struct snode nd;
	uint8_t pub[32];
	size_t i;
	int err;

	if ((err = pgtest_newdb(pg, conninfo, size)) != 0 ||
	    (err = store_pg_backend.open(conninfo, NULL, s)) != 0)
		return err;
	for (i = 0; i < PUSHERS; i++) {
		memset(&t, 0, sizeof(t));
		memset(t.hash, (int)i + 1, sizeof(t.hash));
		snprintf(t.region, sizeof(t.region), "r");
		t.expires_ms = 10;
		memset(pub, (int)i + 1, sizeof(pub));
		if ((err = store_pg_backend.token_add(*s, &t)) != 0 ||
		    (err = store_pg_backend.enroll(
		         *s, t.hash, pub, "k", 1, &nd)) != 0)
			return err;
		u[i].node = nd.id;
	}
	return 0;
}

static int
test_kill_postgres(void)
{
	const char *e = getenv("OUTPOST_PG_KILLS");
	struct pgtest pg;
	struct pusher u[PUSHERS];
	struct sstore *s = NULL;
	pthread_t th[PUSHERS];
	char conninfo[256];
	volatile int stop = 0;
	unsigned seed = (unsigned)time(NULL);
	long kills, done = 0, bad = 0;
	uint64_t acked = 0, failures = 0;
	size_t i;
	int rc, err = 0, running = 0;

	memset(u, 0, sizeof(u));
	kills = e != NULL ? strtol(e, NULL, 10) : 10;
	if ((rc = pgtest_start(&pg)) != 0) {
		fprintf(stderr, "%s\n", pg.why);
		return rc == 77 ? TEST_SKIP : EIO;
	}
	TEST_ERR(crash_setup(&pg, conninfo, sizeof(conninfo), &s, u));
	for (i = 0; i < PUSHERS; i++) {
		u[i].s = s;
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
	TEST_ERR(check_invariants(&pg, "t1"));
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

/*
 * The ingesting process: its own store (pool, pipelines), PUSHERS
 * threads pushing from each node's NEXT batch on, every acknowledgement
 * written to FD once push returned (the sync-server answers then), a
 * zero node first once the store is open.  Never returns: it is killed.
 */
static void
ingest_child(const char *conninfo, struct pusher *u, int fd)
{
	struct ack_msg ready;
	struct sstore *s;
	pthread_t th[PUSHERS];
	volatile int stop = 0;
	size_t i;

	/* two connections for eight pushers: cheaper to open, each round */
	setenv("OUTPOST_PG_POOL", "2", 1);
	if (store_pg_backend.open(conninfo, NULL, &s) != 0)
		_exit(3);
	memset(&ready, 0, sizeof(ready));
	if (write(fd, &ready, sizeof(ready)) != (ssize_t)sizeof(ready))
		_exit(4);
	for (i = 0; i < PUSHERS; i++) {
		u[i].s = s;
		u[i].fd = fd;
		u[i].stop = &stop;
		if (pthread_create(&th[i], NULL, push_run, &u[i]) != 0)
			_exit(5);
	}
	for (;;)
		pause();
}

/* Read acknowledgements from FD for up to MS milliseconds (-1: until
 * end of file) into U; 1 when the ready message came. */
static int
read_acks(int fd, int ms, struct pusher *u, int *eof)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	struct ack_msg m;
	uint64_t until = 0;
	struct timespec ts;
	size_t i, got = 0;
	ssize_t n;
	int ready = 0, left = ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	until = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	    (uint64_t)(ms > 0 ? ms : 0);
	while (!*eof) {
		if (ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			left = (int)((int64_t)until -
			    (int64_t)((uint64_t)ts.tv_sec * 1000 +
			        (uint64_t)ts.tv_nsec / 1000000));
			if (left < 0)
				left = 0;
		}
		if (poll(&pf, 1, left) <= 0) {
			if (ms >= 0)
				break;
			continue;
		}
		n = read(fd, (uint8_t *)&m + got, sizeof(m) - got);
		if (n <= 0) {
			*eof = 1;
			break;
		}
		got += (size_t)n;
		if (got < sizeof(m))
			continue;
		got = 0;
		if (m.node == 0) {
			ready = 1;
			if (ms >= 0)
				break;
			continue;
		}
		for (i = 0; i < PUSHERS; i++) {
			if (u[i].node != m.node)
				continue;
			if (u[i].n == u[i].cap) {
				u[i].cap = u[i].cap ? u[i].cap * 2 : 256;
				u[i].acks = xreallocarray(
				    u[i].acks, u[i].cap, sizeof(*u[i].acks));
			}
			u[i].acks[u[i].n].first = m.first;
			u[i].acks[u[i].n].last = m.last;
			memcpy(u[i].acks[u[i].n].sha, m.sha, 32);
			u[i].n++;
		}
	}
	return ready;
}

static uint64_t
acked_now(const struct pusher *u)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < PUSHERS; i++)
		n += u[i].n;
	return n;
}

/*
 * AC-3 for the sync-server's side: a process ingesting through the
 * store, killed with SIGKILL at a random moment of its pushes, again and
 * again; each new one goes on from what was acknowledged (the kiosks
 * send again what got no answer, so a batch committed whose answer was
 * lost is replayed).  Then the same checks as above.  The HTTP server
 * itself is killed by tests/e2e/kill_server.sh, through pg.sh.
 */
static int
test_kill_ingester(void)
{
	const char *e = getenv("OUTPOST_PG_SERVER_KILLS");
	struct pgtest pg;
	struct pusher u[PUSHERS];
	struct sstore *s = NULL;
	char conninfo[256];
	unsigned seed = (unsigned)time(NULL) ^ 0x5eed;
	long kills, done, bad = 0, midway = 0;
	uint64_t acked = 0;
	size_t i;
	pid_t pid;
	uint64_t got;
	int rc, err = 0, fds[2], eof, st;

	memset(u, 0, sizeof(u));
	kills = e != NULL ? strtol(e, NULL, 10) : 10;
	if ((rc = pgtest_start(&pg)) != 0) {
		fprintf(stderr, "%s\n", pg.why);
		return rc == 77 ? TEST_SKIP : EIO;
	}
	TEST_ERR(crash_setup(&pg, conninfo, sizeof(conninfo), &s, u));
	/* no thread of ours across fork */
	store_pg_backend.close(s);
	s = NULL;
	for (done = 0; done < kills; done++) {
		for (i = 0; i < PUSHERS; i++)
			u[i].next = u[i].n ? u[i].acks[u[i].n - 1].last + 1 : 1;
		if (pipe(fds) != 0)
			TEST_FAILED("pipe: %s", strerror(errno));
		fflush(NULL);
		if ((pid = fork()) < 0)
			TEST_FAILED("fork: %s", strerror(errno));
		if (pid == 0) {
			close(fds[0]);
			ingest_child(conninfo, u, fds[1]);
		}
		close(fds[1]);
		eof = 0;
		if (!read_acks(fds[0], 30000, u, &eof)) {
			close(fds[0]);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			TEST_FAILED(
			    "round %ld: the ingester did not start", done);
		}
		/* a random moment of its pushes: once it has had one
		 * acknowledged, 0-30 ms later (a push takes a few) */
		for (i = 0, got = acked_now(u);
		     i < 1000 && !eof && acked_now(u) == got; i++)
			read_acks(fds[0], 10, u, &eof);
		read_acks(fds[0], (int)(rand_r(&seed) % 30), u, &eof);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		read_acks(fds[0], -1, u, &eof);
		close(fds[0]);
		if (!WIFSIGNALED(st))
			TEST_FAILED("round %ld: the ingester exited (%d)", done,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	/* the batch each node had in flight: committed or not, whole */
	TEST_ERR(count_sql(&pg, "t1",
	    "SELECT count(*) FROM batches b JOIN nodes n ON n.id = b.node",
	    &midway));
	for (i = 0; i < PUSHERS; i++) {
		acked += u[i].n;
		TEST_ERR(check_acked(&pg, "t1", &u[i], &bad));
	}
	fprintf(stderr,
	    "%ld kills of an ingesting process; %llu batches acknowledged,"
	    " %ld stored (%lld committed, their answer lost); %ld"
	    " acknowledged batches wrong or incomplete\n",
	    done, (unsigned long long)acked, midway,
	    (long long)midway - (long long)acked, bad);
	TEST_EQ(bad, 0);
	TEST_TRUE(acked > (uint64_t)kills);
	TEST_ERR(check_invariants(&pg, "t1"));
out:
	store_pg_backend.close(s);
	for (i = 0; i < PUSHERS; i++)
		free(u[i].acks);
	if (pgtest_stop(&pg) != 0 && err == 0)
		err = EIO;
	return err;
}

TEST_MAIN({ "kill_postgres", test_kill_postgres },
    { "kill_ingester", test_kill_ingester })
