/*
 * The PostgreSQL backend's connections: a small fixed pool per server
 * instance (never a connection per request), each connection set up once
 * (server-side statement and idle-in-transaction timeouts, every statement
 * prepared, pipeline mode), and the pipeline helpers of pg_int.h.
 *
 * A connection that broke is opened again when it is next borrowed.
 * pg_run retries an operation once when it failed with SQLSTATE class 08,
 * 40001 or 40P01 or lost its connection (a terminated backend's 57P01, a
 * closed socket, a restarted server): every operation is idempotent by construction (push by its
 * batch key), so the client never sees that failure.
 *
 * It knows nothing of the tables beyond pg_schema.c's statements.
 */
#define LOG_MODULE "store_pg"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pg_int.h"
#include "xmalloc.h"

/* Guards on the session (scale.md §7.5): a stuck writer stalls every
 * pull of the cluster, so it is ended by the server. */
static const char pg_session_sql[] =
    "SET application_name = 'outpost-sync';"
    "SET statement_timeout = '5s';"
    "SET idle_in_transaction_session_timeout = '10s';"
    "SET lock_timeout = '5s';"
    "SET default_transaction_isolation = 'read committed'";

void
pg_arg_u64(struct pg_args *a, uint64_t x)
{
	int i = a->n++, j;

	if (i >= PG_ARGS_MAX)
		fatalx("pg_args: too many parameters");
	for (j = 0; j < 8; j++)
		a->num[i][j] = (uint8_t)(x >> (56 - 8 * j));
	a->v[i] = (const char *)a->num[i];
	a->len[i] = 8;
	a->fmt[i] = 1;
}

void
pg_arg_bytes(struct pg_args *a, const void *p, size_t len)
{
	int i = a->n++;

	if (i >= PG_ARGS_MAX || len > INT32_MAX)
		fatalx("pg_args: bad parameter");
	a->v[i] = len ? (const char *)p : "";
	a->len[i] = (int)len;
	a->fmt[i] = 1;
}

void
pg_arg_null(struct pg_args *a)
{
	int i = a->n++;

	if (i >= PG_ARGS_MAX)
		fatalx("pg_args: too many parameters");
	a->v[i] = NULL;
	a->len[i] = 0;
	a->fmt[i] = 1;
}

void
pg_arg_text(struct pg_args *a, const char *s)
{
	int i = a->n++;

	if (i >= PG_ARGS_MAX)
		fatalx("pg_args: too many parameters");
	a->v[i] = s;
	a->len[i] = 0;
	a->fmt[i] = 0;
}

/* The header (dimensions, null flag, element type, size and lower
 * bound) is written by pg_arg_arr into the first 20 bytes. */
#define PG_ARR_HEAD 20

static void
pg_arr_put32(uint8_t *b, uint32_t x)
{
	b[0] = (uint8_t)(x >> 24);
	b[1] = (uint8_t)(x >> 16);
	b[2] = (uint8_t)(x >> 8);
	b[3] = (uint8_t)x;
}

static uint8_t *
pg_arr_room(struct pg_arr *a, size_t more)
{
	uint8_t *at;

	if (a->len + more > a->cap) {
		while (a->len + more > a->cap)
			a->cap *= 2;
		a->b = xreallocarray(a->b, a->cap, 1);
	}
	at = a->b + a->len;
	a->len += more;
	return at;
}

void
pg_arr_init(struct pg_arr *a, uint32_t oid)
{
	memset(a, 0, sizeof(*a));
	a->oid = oid;
	a->cap = 256;
	a->b = xmalloc(a->cap);
	a->len = PG_ARR_HEAD;
}

void
pg_arr_u64(struct pg_arr *a, uint64_t x)
{
	uint8_t *at = pg_arr_room(a, 12);
	int j;

	pg_arr_put32(at, 8);
	for (j = 0; j < 8; j++)
		at[4 + j] = (uint8_t)(x >> (56 - 8 * j));
	a->n++;
}

void
pg_arr_bytes(struct pg_arr *a, const void *p, size_t len)
{
	uint8_t *at;

	if (len > INT32_MAX)
		fatalx("pg_arr: element too long");
	at = pg_arr_room(a, 4 + len);
	pg_arr_put32(at, (uint32_t)len);
	if (len > 0)
		memcpy(at + 4, p, len);
	a->n++;
}

void
pg_arr_null(struct pg_arr *a)
{
	pg_arr_put32(pg_arr_room(a, 4), UINT32_MAX); /* length -1 */
	a->hasnull = 1;
	a->n++;
}

void
pg_arg_arr(struct pg_args *args, struct pg_arr *a)
{
	size_t len = a->len;

	if (a->len > INT32_MAX)
		fatalx("pg_arr: too long");
	pg_arr_put32(a->b, a->n > 0); /* dimensions: none when empty */
	pg_arr_put32(a->b + 4, (uint32_t)a->hasnull);
	pg_arr_put32(a->b + 8, a->oid);
	pg_arr_put32(a->b + 12, a->n); /* the dimension's size */
	pg_arr_put32(a->b + 16, 1); /* and lower bound */
	if (a->n == 0)
		len = 12;
	pg_arg_bytes(args, a->b, len);
}

void
pg_arr_clear(struct pg_arr *a)
{
	free(a->b);
	memset(a, 0, sizeof(*a));
}

void
pg_pipe_init(struct pg_pipe *p, struct pg_conn *pc)
{
	memset(p, 0, sizeof(*p));
	p->pc = pc;
}

static void
pg_pipe_grow(struct pg_pipe *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->res = xreallocarray(p->res, p->cap, sizeof(*p->res));
	}
	p->res[p->n++] = NULL;
}

void
pg_send(struct pg_pipe *p, enum pg_stmt st, const struct pg_args *a)
{
	static const struct pg_args none;

	if (a == NULL)
		a = &none;
	pg_pipe_grow(p);
	if (!p->send_err &&
	    !PQsendQueryPrepared(
	        p->pc->c, pg_stmts[st].name, a->n, a->v, a->len, a->fmt, 1))
		p->send_err = 1;
}

void
pg_send_sql(struct pg_pipe *p, const char *sql)
{
	pg_pipe_grow(p);
	if (!p->send_err &&
	    !PQsendQueryParams(p->pc->c, sql, 0, NULL, NULL, NULL, NULL, 1))
		p->send_err = 1;
}

static int
pg_state_retryable(const char *st)
{
	return strncmp(st, "08", 2) == 0 || strcmp(st, "40001") == 0 ||
	    strcmp(st, "40P01") == 0;
}

static int
pg_state_errno(const char *st)
{
	if (strcmp(st, "23505") == 0)
		return EEXIST;
	if (strncmp(st, "53", 2) == 0)
		return ENOSPC;
	if (strcmp(st, "57014") == 0 || strcmp(st, "55P03") == 0)
		return ETIMEDOUT;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		return EBUSY;
	return EIO;
}

/* The connection is gone: remember it, so the retry uses a new one. */
static int
pg_lost(struct pg_pipe *p)
{
	log_warnx("connection lost: %s", PQerrorMessage(p->pc->c));
	p->pc->retryable = 1;
	p->pc->ready = 0;
	memcpy(p->pc->state, "08006", 6);
	return EIO;
}

int
pg_sync(struct pg_pipe *p)
{
	PGconn *c = p->pc->c;
	PGresult *r;
	const char *st;
	size_t i;
	int err = 0;

	if (p->send_err || !PQpipelineSync(c))
		return pg_lost(p);
	for (i = 0; i < p->n; i++) {
		r = PQgetResult(c);
		if (r == NULL)
			return pg_lost(p);
		p->res[i] = r;
		switch (PQresultStatus(r)) {
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			break;
		case PGRES_PIPELINE_ABORTED:
			if (err == 0)
				err = EIO;
			break;
		default:
			st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			/* 57P01-57P04 (terminated, crash, starting up, database
			 * dropped) end the session: its FATAL may be read before
			 * libpq sees the socket close, so the status can still
			 * say OK.  Such a connection is lost, and retryable. */
			if (st == NULL || PQstatus(c) == CONNECTION_BAD ||
			    strncmp(st, "57P0", 4) == 0)
				return pg_lost(p);
			if (err == 0 && strcmp(st, PG_GUARD_STATE) != 0)
				log_warnx("%s (%s)",
				    PQresultErrorField(
				        r, PG_DIAG_MESSAGE_PRIMARY),
				    st);
			if (err == 0) {
				memcpy(p->pc->state, st, 5);
				p->pc->state[5] = '\0';
				p->pc->retryable = pg_state_retryable(st);
				err = pg_state_errno(st);
			}
			break;
		}
		/* The end of this statement's results. */
		while ((r = PQgetResult(c)) != NULL) {
			if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
				PQclear(r);
				return pg_lost(p);
			}
			PQclear(r);
		}
	}
	r = PQgetResult(c);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return pg_lost(p);
	}
	PQclear(r);
	return err;
}

void
pg_pipe_clear(struct pg_pipe *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		PQclear(p->res[i]);
	free(p->res);
	memset(p, 0, sizeof(*p));
}

void
pg_rollback(struct pg_conn *pc)
{
	struct pg_pipe p;

	if (!pc->ready || PQstatus(pc->c) != CONNECTION_OK ||
	    PQtransactionStatus(pc->c) == PQTRANS_IDLE)
		return;
	pg_pipe_init(&p, pc);
	pg_send_sql(&p, "ROLLBACK");
	(void)pg_sync(&p);
	pg_pipe_clear(&p);
}

size_t
pg_rows(const PGresult *r)
{
	return r ? (size_t)PQntuples(r) : 0;
}

uint64_t
pg_u64(const PGresult *r, int row, int col)
{
	const uint8_t *b = (const uint8_t *)PQgetvalue(r, row, col);
	uint64_t x = 0;
	int i;

	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
		return 0;
	for (i = 0; i < 8; i++)
		x = x << 8 | b[i];
	return x;
}

const uint8_t *
pg_bytes(const PGresult *r, int row, int col, size_t *len)
{
	*len = (size_t)PQgetlength(r, row, col);
	return (const uint8_t *)PQgetvalue(r, row, col);
}

int
pg_isnull(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col);
}

void
pg_text(const PGresult *r, int row, int col, char *out, size_t size)
{
	size_t len = (size_t)PQgetlength(r, row, col);

	if (size == 0)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(out, PQgetvalue(r, row, col), len);
	out[len] = '\0';
}

/* Server notices (CREATE ... IF NOT EXISTS) are not for the operator. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("%s", msg);
}

/* Open (or reopen) PC and set it up; the first connection migrates. */
static int
pg_conn_setup(struct sstore *s, struct pg_conn *pc, int migrate)
{
	PGresult *r;
	int err;

	if (pc->c != NULL)
		PQfinish(pc->c);
	pc->ready = 0;
	pc->c = PQconnectdb(s->conninfo);
	s->connects++;
	if (PQstatus(pc->c) != CONNECTION_OK) {
		log_warnx("cannot connect: %s", PQerrorMessage(pc->c));
		return EIO;
	}
	PQsetNoticeProcessor(pc->c, pg_notice, NULL);
	r = PQexec(pc->c, pg_session_sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_warnx("session setup: %s", PQerrorMessage(pc->c));
		PQclear(r);
		return EIO;
	}
	PQclear(r);
	if (migrate && (err = pg_schema_migrate(pc->c)) != 0)
		return err;
	if (!PQenterPipelineMode(pc->c)) {
		log_warnx("pipeline mode: %s", PQerrorMessage(pc->c));
		return EIO;
	}
	if ((err = pg_schema_prepare(pc->c)) != 0)
		return err;
	pc->ready = 1;
	return 0;
}

int
pg_pool_open(struct sstore *s, const char *conninfo, size_t nconns)
{
	size_t i;
	int err;

	if (nconns < 1 || nconns > PG_POOL_MAX)
		return EINVAL;
	s->conninfo = xstrdup(conninfo);
	s->nconns = nconns;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	for (i = 0; i < nconns; i++)
		if ((err = pg_conn_setup(s, &s->conns[i], i == 0)) != 0)
			return err;
	return 0;
}

void
pg_pool_close(struct sstore *s)
{
	size_t i;

	for (i = 0; i < s->nconns; i++)
		if (s->conns[i].c != NULL)
			PQfinish(s->conns[i].c);
	if (s->conninfo != NULL) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
	}
	free(s->conninfo);
	s->conninfo = NULL;
	s->nconns = 0;
}

/*
 * Did the server end this idle connection?  A backend terminated while
 * its connection sat in the pool (pg_terminate_backend, a server restart)
 * has sent its FATAL and closed the socket, but libpq learns it only at
 * the next use, which would then fail: the retry of an operation that lost
 * its first connection could meet a second such one (seen once in
 * postgresql/pool under load).  An idle connection of ours never has input
 * waiting (we subscribe to no notifications; notices come with results),
 * so readable means gone.
 */
static int
pg_conn_ended(struct pg_conn *pc)
{
	struct pollfd p;

	if (!pc->ready || PQstatus(pc->c) != CONNECTION_OK)
		return 1;
	p.fd = PQsocket(pc->c);
	p.events = POLLIN;
	p.revents = 0;
	return p.fd < 0 || poll(&p, 1, 0) != 0;
}

struct pg_conn *
pg_take_locked(struct sstore *s)
{
	size_t i;

	for (i = 0; i < s->nconns; i++)
		if (!s->conns[i].busy) {
			s->conns[i].busy = 1;
			return &s->conns[i];
		}
	return NULL;
}

/* PC free again: one of pg_borrow's waiters and the first push waiting
 * for a group commit are told. */
static void
pg_release(struct sstore *s, struct pg_conn *pc)
{
	pthread_mutex_lock(&s->mu);
	pc->busy = 0;
	pthread_cond_signal(&s->cv);
	if (s->gq != NULL)
		pthread_cond_signal(&s->gq->cv);
	pthread_mutex_unlock(&s->mu);
}

void
pg_deadline(struct timespec *until, long ms)
{
	clock_gettime(CLOCK_REALTIME, until);
	until->tv_sec += ms / 1000;
	until->tv_nsec += (ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

int
pg_take_ready(struct sstore *s, struct pg_conn *pc)
{
	size_t i;
	int err = 0;

	/* A connection ended while idle is made again; one ended while it
	 * was being set up gets two more goes. */
	if (pg_conn_ended(pc))
		for (i = 0; i < 3; i++)
			if ((err = pg_conn_setup(s, pc, 0)) == 0)
				break;
	if (err != 0) {
		pg_release(s, pc);
		return err;
	}
	pc->retryable = 0;
	pc->state[0] = '\0';
	return 0;
}

static int
pg_borrow(struct sstore *s, struct pg_conn **out)
{
	struct timespec until;
	struct pg_conn *pc;
	int err;

	pg_deadline(&until, PG_BORROW_MS);
	pthread_mutex_lock(&s->mu);
	while ((pc = pg_take_locked(s)) == NULL)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0) {
			pthread_mutex_unlock(&s->mu);
			log_warnx("no free connection for %d ms", PG_BORROW_MS);
			return EBUSY;
		}
	pthread_mutex_unlock(&s->mu);
	if ((err = pg_take_ready(s, pc)) != 0)
		return err;
	*out = pc;
	return 0;
}

void
pg_give_back(struct sstore *s, struct pg_conn *pc)
{
	pg_rollback(pc); /* never hand on an open transaction */
	pg_release(s, pc);
}

int
pg_run(struct sstore *s,
    int (*fn)(struct sstore *, struct pg_conn *, void *arg, int attempt),
    void *arg)
{
	return pg_run_from(s, fn, arg, 0);
}

int
pg_run_from(struct sstore *s,
    int (*fn)(struct sstore *, struct pg_conn *, void *arg, int attempt),
    void *arg, int first)
{
	const struct timespec pause = { 0, 50 * 1000000L };
	struct pg_conn *pc;
	int attempt, err = 0, retry;

	for (attempt = first; attempt < first + 2; attempt++) {
		if (attempt > 0)
			nanosleep(&pause, NULL);
		if ((err = pg_borrow(s, &pc)) != 0) {
			/* The server may be restarting: one more try. */
			if (attempt == first)
				continue;
			return err;
		}
		err = fn(s, pc, arg, attempt);
		retry = err != 0 && pc->retryable;
		pg_give_back(s, pc);
		if (!retry)
			break;
		pthread_mutex_lock(&s->mu);
		s->retries++;
		pthread_mutex_unlock(&s->mu);
		log_info("retrying once after SQLSTATE %s", pc->state);
	}
	return err;
}
