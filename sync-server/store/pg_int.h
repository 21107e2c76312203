/*
 * Private to the PostgreSQL backend (pg.c, pg_pool.c, pg_schema.c): the
 * store, its pool of connections, the prepared statements and the
 * pipeline helpers.
 *
 * Every exchange with the server is one libpq pipeline: statements are
 * queued with pg_send (prepared, binary parameters and results) and one
 * pg_sync sends them with a single Sync and collects every result.  A
 * pipeline without BEGIN is one implicit transaction.
 *
 * Adding a backend function: one entry in enum pg_stmt and pg_stmts[]
 * (pg_schema.c), a new table only as a new migration there, and one
 * function in pg.c that runs its pipeline through pg_run (which borrows a
 * connection and retries once on classes 08, 40001 and 40P01).
 */
#ifndef SYNC_SERVER_STORE_PG_INT_H
#define SYNC_SERVER_STORE_PG_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "backend.h"

#define PG_POOL_DEFAULT 4 /* the ingest knee on 2 cores (scale.md §3) */
#define PG_POOL_MAX 8
#define PG_BORROW_MS 2000 /* then EBUSY */
#define PG_ARGS_MAX 20 /* claims; emerg_upsert takes 19 */

enum pg_stmt {
	PG_META_GET,
	PG_META_PUT,
	PG_META_INIT,
	PG_TOKEN_ADD,
	PG_TOKEN_LOCK,
	PG_TOKEN_USE,
	PG_NODE_ADD,
	PG_NODE_GET,
	PG_NODE_LOCK,
	PG_NODE_REVOKE,
	PG_NODE_TOUCH,
	PG_NODE_PUSHED,
	PG_BATCH_CLAIM,
	PG_PUSH_FAST,
	PG_PUSH_TRY,
	PG_BATCH_GET,
	PG_BATCH_DONE,
	PG_CHANGE_GET,
	PG_CHANGE_ADD,
	PG_RECORD_FACTS,
	PG_RECORD_INDEX,
	PG_CHANGES_ADD,
	PG_RECORDS_INDEX,
	PG_PULL,
	PG_PULL_FACILITY,
	PG_BLOB_OWN,
	PG_BLOB_OWNED,
	PG_BLOB_USAGE,
	PG_ALERT_ADD,
	PG_STATS_ENTITIES,
	PG_STATS_NODES,
	PG_STATS_COUNTS,
	PG_MANIFEST,
	PG_CONSULT_FACTS,
	PG_CONSULT_INDEX,
	PG_CONSULT_QUEUE,
	PG_CONSULT_WAITS,
	PG_HUB_SCOPE,
	PG_LICENCE_PUT,
	PG_LICENCE_EVENT,
	PG_LICENCE_LIST,
	PG_LICENCE_VERSION,
	PG_REFERRAL_SCOPE,
	PG_REFERRAL_REQUEST,
	PG_APPT_SCOPE,
	PG_STAFF_INDEX,
	PG_SCHED_DEFINE,
	PG_SCHED_HOURS_DEL,
	PG_SCHED_HOURS_ADD,
	PG_SCHED_GET,
	PG_SCHED_HOURS_GET,
	PG_SLOT_ADD,
	PG_SLOTS_LIST,
	PG_SLOT_GET,
	PG_SLOT_LOCK,
	PG_APPT_KNOWN,
	PG_APPT_CHECK,
	PG_APPT_INSERT,
	PG_APPT_REFUSE,
	PG_APPT_BOOKED,
	PG_APPT_ALTS,
	PG_APPT_OWNER,
	PG_APPT_CANCEL,
	PG_APPT_CHECKIN,
	PG_APPT_SWEEP,
	PG_APPT_STATUS,
	PG_APPT_INVARIANT,
	PG_APPT_AUDITS,
	PG_WAIT_ADD,
	PG_OFFER_DROP,
	PG_OFFER_LIVE,
	PG_OFFER_SCHED,
	PG_OFFER_CANDIDATES,
	PG_OFFER_ADD,
	PG_OFFER_FIND,
	PG_WAIT_GET,
	PG_WAIT_LOCK,
	PG_WAIT_REMOVED,
	PG_WAIT_EXPIRE,
	PG_OFFERS_DUE,
	PG_SCOPE_HAS,
	PG_EMERG_UPSERT,
	PG_EMERG_GET,
	PG_EMERG_OPEN,
	PG_EMERG_SINCE,
	PG_EMERG_PAGE_CLAIM,
	PG_EMERG_PAGE_PUT,
	PG_EMERG_PAGES_OF,
	PG_EMERG_PAGES_EXT,
	PG_EMERG_REPLY_ADD,
	PG_ANCHOR_GET,
	PG_ANCHOR_ADD,
	PG_ANCHOR_LIST,
	PG_BREAKGLASS_ADD,
	PG_BREAKGLASS_LIST,
	PG_CLAIM_EV_PUT,
	PG_CLAIM_EV_LIST,
	PG_CLAIM_PUT,
	PG_NOBILL_PUT,
	PG_NOBILL_DEL,
	PG_CLAIMS_LIST,
	PG_NOBILL_LIST,
	PG_CLAIM_STATUS,
	PG_PARTNER_ADD,
	PG_PARTNER_LIST,
	PG_PQ_ADD,
	PG_PQ_DUE,
	PG_PQ_OF,
	PG_PQ_MARK,
	PG_BGSEARCH_ADD,
	PG_BGSEARCH_LIST,
	PG_BGSEARCH_LOCK,
	PG_BGSEARCH_RECENT,
	PG_NSTMT
};

struct pg_stmt_def {
	const char *name;
	const char *sql;
};

extern const struct pg_stmt_def pg_stmts[PG_NSTMT];

struct pg_conn {
	PGconn *c;
	int ready; /* session set up, statements prepared, pipeline mode */
	int busy;
	int retryable; /* the last exchange failed in a way worth a retry */
	char state[6]; /* SQLSTATE of the last failure */
};

/* A push waiting for a group commit (pg.c), woken on its own: when a
 * connection is given back (the first in the queue) or its group ended. */
struct pg_waiter {
	pthread_cond_t cv;
	struct pg_waiter *next;
};

struct sstore {
	char *conninfo;
	struct pg_conn conns[PG_POOL_MAX];
	size_t nconns;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t era;
	uint64_t connects, retries; /* connections (re)opened, retries */
	uint64_t pushes, fast; /* pushes, those done in one round trip */
	/* pg.c pg_group_push: the pushes waiting for a group commit */
	struct pg_waiter *gq;
	uint64_t groups, grouped; /* group commits, the pushes they stored */
	uint64_t groups_failed; /* their pushes then went alone */
	/* pg_monitor.c */
	pthread_t mon;
	int mon_running, mon_stop;
	pthread_mutex_t mon_mu;
	pthread_cond_t mon_cv;
	uint64_t stalls; /* feed-stall alerts raised */
};

/* Parameters of one statement: binary int8, bytea or text. */
struct pg_args {
	int n;
	const char *v[PG_ARGS_MAX];
	int len[PG_ARGS_MAX];
	int fmt[PG_ARGS_MAX];
	uint8_t num[PG_ARGS_MAX][8];
	uint8_t digest[32]; /* room for one SHA-256 parameter */
};

void pg_arg_u64(struct pg_args *, uint64_t);
void pg_arg_bytes(struct pg_args *, const void *, size_t);
void pg_arg_text(struct pg_args *, const char *);
void pg_arg_null(struct pg_args *);

/*
 * A one-dimensional array parameter in PostgreSQL's binary format
 * (bigint[] or bytea[]), for the statements that take a whole batch in
 * one execution through unnest (scale.md §2.4).  pg_arg_arr points the
 * parameter at the buffer, which must outlive the pipeline.
 */
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
struct pg_arr {
	uint8_t *b;
	size_t len, cap;
	uint32_t n, oid;
	int hasnull;
};
void pg_arr_init(struct pg_arr *, uint32_t oid);
void pg_arr_u64(struct pg_arr *, uint64_t);
void pg_arr_bytes(struct pg_arr *, const void *, size_t);
void pg_arr_null(struct pg_arr *);
void pg_arg_arr(struct pg_args *, struct pg_arr *);
void pg_arr_clear(struct pg_arr *);

/* One pipeline on a borrowed connection; RES[i] is the i-th result. */
struct pg_pipe {
	struct pg_conn *pc;
	size_t n, cap;
	PGresult **res;
	int send_err;
};

void pg_pipe_init(struct pg_pipe *, struct pg_conn *);
void pg_send(struct pg_pipe *, enum pg_stmt, const struct pg_args *);
/* BEGIN, COMMIT, ROLLBACK and other statements without parameters. */
void pg_send_sql(struct pg_pipe *, const char *sql);
/* Send the queue with one Sync and collect the results: 0, or the errno
 * of the first failure (logged; pc->retryable set for 08/40001/40P01
 * and a lost connection). */
int pg_sync(struct pg_pipe *);
void pg_pipe_clear(struct pg_pipe *);
/* The SQLSTATE of PG_PUSH_FAST's refusal (not logged). */
#define PG_GUARD_STATE "22012"
/* ROLLBACK if a transaction is open (its own pipeline). */
void pg_rollback(struct pg_conn *);

size_t pg_rows(const PGresult *);
uint64_t pg_u64(const PGresult *, int row, int col);
const uint8_t *pg_bytes(const PGresult *, int row, int col, size_t *len);
int pg_isnull(const PGresult *, int row, int col);
void pg_text(const PGresult *, int row, int col, char *out, size_t size);

/* Open NCONNS connections to CONNINFO (the first migrates the schema). */
int pg_pool_open(struct sstore *, const char *conninfo, size_t nconns);
void pg_pool_close(struct sstore *);
/*
 * For pg.c pg_group_push: under s->mu, a free connection, marked busy, or
 * NULL; then, without s->mu, pg_take_ready makes sure it still works (or
 * gives it back and fails), and pg_give_back returns it (it wakes one of
 * pg_borrow's waiters and the first push waiting in s->gq).
 */
struct pg_conn *pg_take_locked(struct sstore *);
/* *UNTIL: MS milliseconds from now, for pthread_cond_timedwait. */
void pg_deadline(struct timespec *until, long ms);
int pg_take_ready(struct sstore *, struct pg_conn *);
void pg_give_back(struct sstore *, struct pg_conn *);
/*
 * Run FN on a borrowed connection; when it fails with pc->retryable set
 * (and its transaction rolled back), run it once more, on a fresh
 * connection if the old one broke.  ATTEMPT is 0, then 1.
 */
int pg_run(struct sstore *,
    int (*fn)(struct sstore *, struct pg_conn *, void *arg, int attempt),
    void *arg);
/* The same from attempt FIRST (1: an earlier try may have committed). */
int pg_run_from(struct sstore *,
    int (*fn)(struct sstore *, struct pg_conn *, void *arg, int attempt),
    void *arg, int first);

/*
 * pg_monitor.c: a thread per store that looks, every PG_MONITOR_MS, for
 * the oldest transaction holding an xid anywhere in the cluster (it holds
 * every pull back, docs/PROTOCOL.md §5.1); past PG_STALL_MS it logs and
 * records a "feed-stall" alert, once per transaction.
 */
#define PG_MONITOR_MS 2000
#define PG_STALL_MS 10000
int pg_monitor_start(struct sstore *);
void pg_monitor_stop(struct sstore *);

/* pg_schema.c: bring the database to the latest schema (one connection,
 * not in pipeline mode); EPROTO if it is newer than this program. */
int pg_schema_migrate(PGconn *);
/* The same, to version N at most (tests: a database as an older
 * program left it); the number of migrations this program has. */
int pg_schema_migrate_to(PGconn *, int n);
int pg_schema_latest(void);
int pg_schema_prepare(PGconn *);

#endif
