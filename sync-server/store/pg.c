/*
 * The PostgreSQL store (sync-server --store postgresql://...), for a region
 * served by several sync-server instances on one PostgreSQL 15 cluster.
 * Same interface and errno values as the embedded SQLite store.
 *
 * The feed cursor (docs/PROTOCOL.md §5.1): each change row is stamped with
 * pg_current_xact_id() by its transaction; a pull reads only rows whose
 * xid is below pg_snapshot_xmin(pg_current_snapshot()) of its own
 * statement, in (xid, id) order.  Every transaction below that horizon has
 * ended and every later one stamps a larger xid, so a change that commits
 * late is never skipped, and no commit order is forced on writers (no lock,
 * no counter row).  The cursor, CBOR [era, xid, id], stays opaque to nodes.
 *
 * Push (§4) is one READ COMMITTED transaction in two pipelines: lock the
 * node row, accept the request sequence, claim the batch key (node, first,
 * last) with INSERT ... ON CONFLICT DO NOTHING, read the stored key; then
 * the changes, the node's high-water mark, the response bytes and COMMIT.
 * A replay (also one that raced the original on another instance: it
 * waits for it) returns the stored response and adds nothing.  A fresh
 * batch with nothing to judge is one statement instead, the call of
 * outpost_push (pg_push_fast, migration 12).
 *
 * It does not interpret record bodies.  Connections, retries and the
 * pipeline helpers are in pg_pool.c, the schema and statements in
 * pg_schema.c.
 */
#define LOG_MODULE "store_pg"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "licence.h"
#include "log.h"
#include "pg_int.h"
#include "record.h"
#include "str.h"
#include "xmalloc.h"

#define PG_PULL_BUDGET (256 * 1024)

static void
pg_node_row(const PGresult *r, int row, int col, struct snode *n)
{
	const uint8_t *pub;
	size_t len;

	memset(n, 0, sizeof(*n));
	n->id = pg_u64(r, row, col + 0);
	pub = pg_bytes(r, row, col + 1, &len);
	if (len == 32)
		memcpy(n->pub, pub, 32);
	pg_text(r, row, col + 2, n->role, sizeof(n->role));
	pg_text(r, row, col + 3, n->region, sizeof(n->region));
	pg_text(r, row, col + 4, n->facility, sizeof(n->facility));
	pg_text(r, row, col + 5, n->label, sizeof(n->label));
	n->revoked = pg_u64(r, row, col + 6) != 0;
	n->req_seq = pg_u64(r, row, col + 7);
	n->hw = pg_u64(r, row, col + 8);
	n->enrolled_ms = pg_u64(r, row, col + 9);
	n->last_seen_ms = pg_u64(r, row, col + 10);
	n->last_push_ms = pg_u64(r, row, col + 11);
	n->outbox_last = pg_u64(r, row, col + 12);
}

/* --- meta ------------------------------------------------------------- */

struct pg_meta_arg {
	const char *key;
	const void *val;
	size_t len;
	uint8_t *out;
	size_t out_len;
	enum pg_stmt st;
};

static int
pg_meta_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_meta_arg *m = arg;
	struct pg_args a = { 0 };
	struct pg_pipe p;
	const uint8_t *v;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&p, pc);
	pg_arg_text(&a, m->key);
	if (m->st != PG_META_GET)
		pg_arg_bytes(&a, m->val, m->len);
	pg_send(&p, m->st, &a);
	if ((err = pg_sync(&p)) == 0 && m->st == PG_META_GET) {
		if (pg_rows(p.res[0]) == 0)
			err = ENOENT;
		else {
			v = pg_bytes(p.res[0], 0, 0, &m->out_len);
			m->out = xmemdup(
			    m->out_len ? v : (const void *)"", m->out_len);
		}
	}
	pg_pipe_clear(&p);
	return err;
}

static int
pg_meta_get(struct sstore *s, const char *key, uint8_t **val, size_t *len)
{
	struct pg_meta_arg m = { key, NULL, 0, NULL, 0, PG_META_GET };
	int err;

	if ((err = pg_run(s, pg_meta_once, &m)) == 0) {
		*val = m.out;
		*len = m.out_len;
	}
	return err;
}

static int
pg_meta_put(struct sstore *s, const char *key, const void *val, size_t len)
{
	struct pg_meta_arg m = { key, val, len, NULL, 0, PG_META_PUT };

	return pg_run(s, pg_meta_once, &m);
}

/* --- open, close ------------------------------------------------------- */

static void pg_close(struct sstore *);

static size_t
pg_pool_size(void)
{
	const char *e = getenv("OUTPOST_PG_POOL");
	long long n;

	if (e != NULL && str_to_ll(e, 1, PG_POOL_MAX, &n) == 0)
		return (size_t)n;
	return PG_POOL_DEFAULT;
}

/*
 * CONNINFO: a libpq connection string or postgresql:// URI.  KEY, the
 * store key, is not used here: PostgreSQL has no encryption at rest of
 * its own, so its volume must be encrypted (docs/OPERATIONS.md); the
 * server still derives the blob keys from it (server.c).
 */
static int
pg_open(const char *conninfo, const uint8_t *key, struct sstore **out)
{
	struct pg_meta_arg m = { "era", NULL, 0, NULL, 0, PG_META_INIT };
	struct sstore *s;
	uint64_t era;
	uint8_t *v = NULL;
	size_t len;
	int err;

	(void)key;
	s = xcalloc(1, sizeof(*s));
	if ((err = pg_pool_open(s, conninfo, pg_pool_size())) != 0)
		goto out;
	/* The feed era: fixed when the database is created (the first of
	 * several instances starting together wins). */
	crypto_random(&era, sizeof(era));
	era &= 0x7fffffffffffffffULL;
	m.val = &era;
	m.len = sizeof(era);
	if ((err = pg_run(s, pg_meta_once, &m)) != 0 ||
	    (err = pg_meta_get(s, "era", &v, &len)) != 0)
		goto out;
	if (len != sizeof(s->era)) {
		err = EIO;
		goto out;
	}
	memcpy(&s->era, v, len);
	if ((err = pg_monitor_start(s)) != 0)
		goto out;
	*out = s;
out:
	free(v);
	if (err != 0)
		pg_close(s);
	return err;
}

static void
pg_close(struct sstore *s)
{
	if (s == NULL)
		return;
	pg_monitor_stop(s);
	log_info("%llu connections opened, %llu retries; of %llu pushes %llu"
	         " in one round trip alone, %llu in %llu group commits",
	    (unsigned long long)s->connects, (unsigned long long)s->retries,
	    (unsigned long long)s->pushes, (unsigned long long)s->fast,
	    (unsigned long long)s->grouped, (unsigned long long)s->groups);
	pg_pool_close(s);
	free(s);
}

/* --- tokens and nodes --------------------------------------------------- */

static int
pg_token_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	const struct stoken *t = arg;
	struct pg_args a = { 0 };
	struct pg_pipe p;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&p, pc);
	pg_arg_bytes(&a, t->hash, 32);
	pg_arg_text(&a, t->role);
	pg_arg_text(&a, t->region);
	pg_arg_text(&a, t->facility);
	pg_arg_u64(&a, t->expires_ms);
	pg_send(&p, PG_TOKEN_ADD, &a);
	err = pg_sync(&p);
	pg_pipe_clear(&p);
	return err;
}

static int
pg_token_add(struct sstore *s, const struct stoken *t)
{
	return pg_run(s, pg_token_once, (void *)(uintptr_t)t);
}

struct pg_enroll_arg {
	const uint8_t *hash, *pub;
	const char *label;
	uint64_t now_ms;
	struct snode *out;
};

static int
pg_enroll_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_enroll_arg *e = arg;
	char role[SSTORE_TEXT_MAX], region[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	struct pg_args a = { 0 }, b = { 0 }, h = { 0 };
	struct pg_pipe p;
	PGresult *r;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&p, pc);
	pg_send_sql(&p, "BEGIN");
	pg_arg_bytes(&a, e->hash, 32);
	pg_send(&p, PG_TOKEN_LOCK, &a);
	if ((err = pg_sync(&p)) != 0)
		goto out;
	r = p.res[1];
	if (pg_rows(r) == 0) {
		err = ENOENT;
		goto out;
	}
	if (!pg_isnull(r, 0, 4) || pg_u64(r, 0, 3) < e->now_ms) {
		err = EACCES;
		goto out;
	}
	pg_text(r, 0, 0, role, sizeof(role));
	pg_text(r, 0, 1, region, sizeof(region));
	pg_text(r, 0, 2, facility, sizeof(facility));
	pg_pipe_clear(&p);
	pg_pipe_init(&p, pc);
	memset(&a, 0, sizeof(a));
	pg_arg_bytes(&a, e->pub, 32);
	pg_arg_text(&a, role);
	pg_arg_text(&a, region);
	pg_arg_text(&a, facility);
	pg_arg_text(&a, e->label);
	pg_arg_u64(&a, e->now_ms);
	pg_send(&p, PG_NODE_ADD, &a);
	/* The node id comes back in the first result; the token names it
	 * by a sub-select, so the whole enrolment is one round trip. */
	pg_arg_bytes(&b, e->hash, 32);
	pg_arg_u64(&b, e->now_ms);
	pg_arg_bytes(&b, e->pub, 32);
	pg_send(&p, PG_TOKEN_USE, &b);
	pg_arg_text(&h, region);
	pg_arg_text(&h, facility);
	pg_arg_text(&h, role);
	pg_send(&p, PG_HUB_SCOPE, &h);
	pg_send_sql(&p, "COMMIT");
	if ((err = pg_sync(&p)) != 0)
		goto out; /* EEXIST: this public key is already enrolled */
	if (pg_rows(p.res[0]) != 1) {
		err = EIO;
		goto out;
	}
	pg_node_row(p.res[0], 0, 0, e->out);
out:
	pg_pipe_clear(&p);
	return err;
}

static int
pg_enroll(struct sstore *s, const uint8_t hash[32], const uint8_t pub[32],
    const char *label, uint64_t now_ms, struct snode *out)
{
	struct pg_enroll_arg e = { hash, pub, label, now_ms, out };

	return pg_run(s, pg_enroll_once, &e);
}

struct pg_node_arg {
	uint64_t id, seq, now_ms, last;
	struct snode *out;
	enum pg_stmt st;
};

static int
pg_node_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_node_arg *n = arg;
	struct pg_args a = { 0 }, b = { 0 };
	struct pg_pipe p;
	struct snode node;
	int err;

	(void)s;
	pg_pipe_init(&p, pc);
	pg_arg_u64(&a, n->id);
	if (n->st == PG_NODE_TOUCH) {
		pg_arg_u64(&a, n->seq);
		pg_arg_u64(&a, n->now_ms);
	}
	if (n->st != PG_NODE_GET)
		pg_send(&p, n->st, &a);
	/* In the same implicit transaction: the node as it now is. */
	pg_arg_u64(&b, n->id);
	pg_send(&p, PG_NODE_GET, &b);
	if ((err = pg_sync(&p)) != 0)
		goto out;
	if (pg_rows(p.res[p.n - 1]) == 0) {
		err = ENOENT;
		goto out;
	}
	pg_node_row(p.res[p.n - 1], 0, 0, n->out ? n->out : &node);
	if (n->st == PG_NODE_TOUCH && pg_rows(p.res[0]) == 0) {
		n->last = (n->out ? n->out : &node)->req_seq;
		/* A retry after a lost COMMIT finds its own sequence. */
		err = attempt > 0 && n->last == n->seq ? 0 : EALREADY;
	}
out:
	pg_pipe_clear(&p);
	return err;
}

static int
pg_node_get(struct sstore *s, uint64_t id, struct snode *out)
{
	struct pg_node_arg n = { id, 0, 0, 0, out, PG_NODE_GET };

	return pg_run(s, pg_node_once, &n);
}

static int
pg_node_revoke(struct sstore *s, uint64_t id)
{
	struct pg_node_arg n = { id, 0, 0, 0, NULL, PG_NODE_REVOKE };

	return pg_run(s, pg_node_once, &n);
}

static int
pg_node_touch(struct sstore *s, uint64_t id, uint64_t seq, uint64_t now_ms,
    uint64_t *last)
{
	struct pg_node_arg n = { id, seq, now_ms, 0, NULL, PG_NODE_TOUCH };
	int err;

	if (seq > INT64_MAX)
		return EINVAL;
	err = pg_run(s, pg_node_once, &n);
	if (err == EALREADY)
		*last = n.last;
	return err;
}

/* --- push ------------------------------------------------------------- */

/*
 * Inside the push transaction: compare the stored change of each change
 * whose seq is at most UPTO.  SAME[i]: -1 not stored, 0 differs, 1 the
 * same, 2 not asked.
 */
static int
pg_push_dups(struct pg_conn *pc, const struct spush *p, uint64_t upto,
    int *same, int *refused)
{
	struct pg_pipe q;
	struct pg_args a;
	const struct schange *c;
	const PGresult *r;
	const uint8_t *v;
	uint8_t h[32];
	size_t i, k = 0, len;
	int err = 0;

	pg_pipe_init(&q, pc);
	for (i = 0; i < p->n; i++) {
		same[i] = 2;
		if (p->changes[i].seq > upto)
			continue;
		memset(&a, 0, sizeof(a));
		pg_arg_u64(&a, p->node);
		pg_arg_u64(&a, p->changes[i].seq);
		pg_send(&q, PG_CHANGE_GET, &a);
	}
	if (q.n == 0)
		goto out;
	if ((err = pg_sync(&q)) != 0)
		goto out;
	for (i = 0; i < p->n; i++) {
		c = &p->changes[i];
		if (c->seq > upto)
			continue;
		r = q.res[k++];
		if (pg_rows(r) == 0) {
			same[i] = -1;
			continue;
		}
		if (refused != NULL)
			refused[i] = (int)pg_u64(r, 0, 4);
		crypto_sha256(c->body, c->len, h);
		v = pg_bytes(r, 0, 1, &len);
		same[i] = (int)pg_u64(r, 0, 0) == c->entity && len == 16 &&
		    memcmp(v, c->id, 16) == 0 && pg_u64(r, 0, 2) == c->hlc;
		v = pg_bytes(r, 0, 3, &len);
		same[i] = same[i] && len == 32 && memcmp(v, h, 32) == 0;
	}
out:
	pg_pipe_clear(&q);
	return err;
}

struct pg_push_arg {
	const struct spush *p;
	struct spush_result *res;
	struct sverdict *given; /* the caller's verdicts, for a retry */
	int no_fast; /* a group found it is not for outpost_push */
};

static void
pg_batch_key(struct pg_args *a, const struct spush *p)
{
	pg_arg_u64(a, p->node);
	pg_arg_u64(a, p->first);
	pg_arg_u64(a, p->last);
}

/* The stored batch key: same bytes (or every change stored as sent), or
 * a conflict (EEXIST). */
static int
pg_push_replay(struct pg_conn *pc, const struct spush *p, const PGresult *r,
    struct spush_result *res)
{
	const uint8_t *h, *v;
	size_t len, i;
	int *same = NULL, err = 0;

	if (pg_rows(r) != 1 || pg_isnull(r, 0, 1))
		return EIO;
	h = pg_bytes(r, 0, 0, &len);
	if (len != 32 || memcmp(h, p->hash, 32) != 0) {
		same = xcalloc(p->n ? p->n : 1, sizeof(*same));
		if ((err = pg_push_dups(pc, p, UINT64_MAX, same, NULL)) != 0)
			goto out;
		for (i = 0; i < p->n; i++)
			if (same[i] != 1) {
				err = EEXIST;
				goto out;
			}
	}
	v = pg_bytes(r, 0, 1, &len);
	res->replay = 1;
	res->response_len = len;
	res->response = xmemdup(len ? v : (const void *)"", len);
out:
	free(same);
	return err;
}

/* The start of a push: BEGIN, lock the node row, take the request
 * sequence (if any), claim the batch key. */
struct pg_push_head {
	struct pg_args lock, touch, claim;
};

static void
pg_push_head(struct pg_pipe *q, const struct spush *p, struct pg_push_head *h)
{
	memset(h, 0, sizeof(*h));
	pg_send_sql(q, "BEGIN");
	pg_arg_u64(&h->lock, p->node);
	pg_send(q, PG_NODE_LOCK, &h->lock);
	if (p->req_seq != 0) {
		pg_arg_u64(&h->touch, p->node);
		pg_arg_u64(&h->touch, p->req_seq);
		pg_arg_u64(&h->touch, p->now_ms);
		pg_send(q, PG_NODE_TOUCH, &h->touch);
	}
	pg_batch_key(&h->claim, p);
	pg_arg_bytes(&h->claim, p->hash, 32);
	pg_arg_u64(&h->claim, p->now_ms);
	pg_send(q, PG_BATCH_CLAIM, &h->claim);
}

/* The queue entry of accepted consult change I (its args in CONS, which
 * outlive the pipeline). */
static void
pg_push_consult(
    struct pg_pipe *q, const struct spush *p, size_t i, struct pg_args *cons)
{
	const struct schange *ch = &p->changes[i];

	memset(cons, 0, sizeof(*cons));
	pg_arg_bytes(cons, ch->id, 16);
	pg_arg_u64(cons, p->node);
	pg_arg_u64(cons, ch->seq);
	if (ch->has_patient)
		pg_arg_bytes(cons, ch->patient, 16);
	else
		pg_arg_null(cons);
	pg_arg_u64(cons, ch->consult.urgency);
	pg_arg_u64(cons, ch->consult.has_urgency ? 1 : 0);
	pg_arg_u64(cons, p->now_ms);
	pg_arg_text(cons, ch->consult.has_state ? ch->consult.state : "");
	pg_arg_text(cons, ch->consult.handed_to);
	pg_arg_u64(cons, ch->consult.has_handed ? 1 : 0);
	pg_send(q, PG_CONSULT_INDEX, cons);
}

/* The verdict code of change I before the store judges it. */
static int
pg_push_code(const struct spush *p, size_t i)
{
	return p->verdicts ? p->verdicts[i].code : 0;
}

/*
 * The end of a push: its changes not held before (SAME[i] != 1, or all
 * when SAME is NULL) with their verdict codes (CODES, or the caller's
 * when NULL) in one statement, the records and scope the accepted ones
 * create in another, the node's high-water mark, the response, COMMIT.
 * The blocks live in T until pg_push_tail_clear, after the pipeline.
 */
enum {
	PG_CA_SEQ,
	PG_CA_ENTITY,
	PG_CA_RID,
	PG_CA_HLC,
	PG_CA_HASH,
	PG_CA_BODY,
	PG_CA_REFUSED,
	PG_RI_ENTITY,
	PG_RI_RID,
	PG_RI_PATIENT,
	PG_RI_SEQ,
	PG_RI_WIDENS,
	PG_TAIL_ARRS
};

struct pg_push_tail {
	struct pg_args add, index, node, key;
	struct pg_arr a[PG_TAIL_ARRS];
	int nadd, nidx; /* changes stored, records indexed */
	struct pg_args *cons; /* per change: its consult queue entry */
	struct pg_args *refs; /* per change: a referral's target scope */
	struct pg_args *appts; /* per change: 3, its hub scope (issue 15) */
};

/* The hub scope statements of accepted change CH: sent with the
 * arguments A[0..] when A is not NULL, only counted otherwise. */
static size_t
pg_hub_scope_one(struct pg_pipe *q, const struct spush *p,
    const struct schange *ch, struct pg_args *a)
{
	size_t k, n = 0;

	if (ch->appt_slot != 0 && ch->appt_slot <= INT64_MAX &&
	    ch->has_patient) {
		if (a != NULL) {
			pg_arg_u64(&a[n], p->node);
			pg_arg_u64(&a[n], ch->seq);
			pg_arg_bytes(&a[n], ch->patient, 16);
			pg_arg_u64(&a[n], ch->appt_slot);
			pg_send(q, PG_APPT_SCOPE, &a[n]);
		}
		n++;
	}
	for (k = 0; ch->entity == REC_USER && k < nitems(ch->staff); k++) {
		if (ch->staff[k][0] == '\0')
			continue;
		if (a != NULL) {
			pg_arg_u64(&a[n], p->node);
			pg_arg_u64(&a[n], ch->seq);
			pg_arg_text(&a[n], ch->staff[k]);
			pg_arg_u64(&a[n], p->now_ms);
			pg_send(q, PG_STAFF_INDEX, &a[n]);
		}
		n++;
	}
	return n;
}

/*
 * The hub scope of a push's accepted appointments and hub users (issue
 * 15, docs/PROTOCOL.md §5.3): PG_APPT_SCOPE for an appointment naming a
 * slot, PG_STAFF_INDEX for each name of a user (the statement ignores
 * other nodes than hubs).  T->appts holds their arguments (NULL when the
 * push has none: most pushes).
 */
static void
pg_push_hub_scope(struct pg_pipe *q, const struct spush *p, const int *same,
    const int *codes, struct pg_push_tail *t)
{
	size_t i, n = 0, off = 0;
	int send, code;

	for (send = 0; send < 2; send++) {
		if (send && n == 0)
			return;
		if (send)
			t->appts = xcalloc(n, sizeof(*t->appts));
		for (i = 0; i < p->n; i++) {
			code = codes != NULL ? codes[i] : pg_push_code(p, i);
			if ((same != NULL && same[i] == 1) || code != 0)
				continue;
			if (send)
				off += pg_hub_scope_one(
				    q, p, &p->changes[i], &t->appts[off]);
			else
				n += pg_hub_scope_one(
				    q, p, &p->changes[i], NULL);
		}
	}
}

/* The arrays of T: the changes to store, the accepted ones to index. */
static void
pg_push_arrays(const struct spush *p, const int *same, const int *codes,
    struct pg_push_tail *t)
{
	static const uint32_t oid[PG_TAIL_ARRS] = { PG_OID_INT8, PG_OID_INT8,
		PG_OID_BYTEA, PG_OID_INT8, PG_OID_BYTEA, PG_OID_BYTEA,
		PG_OID_INT8, PG_OID_INT8, PG_OID_BYTEA, PG_OID_BYTEA,
		PG_OID_INT8, PG_OID_INT8 };
	uint8_t h[32];
	size_t i;
	int k, code;

	memset(t, 0, sizeof(*t));
	for (k = 0; k < PG_TAIL_ARRS; k++)
		pg_arr_init(&t->a[k], oid[k]);
	for (i = 0; i < p->n; i++) {
		const struct schange *ch = &p->changes[i];

		if (same != NULL && same[i] == 1)
			continue;
		code = codes != NULL ? codes[i] : pg_push_code(p, i);
		crypto_sha256(ch->body, ch->len, h);
		pg_arr_u64(&t->a[PG_CA_SEQ], ch->seq);
		pg_arr_u64(&t->a[PG_CA_ENTITY], (uint64_t)ch->entity);
		pg_arr_bytes(&t->a[PG_CA_RID], ch->id, 16);
		pg_arr_u64(&t->a[PG_CA_HLC], ch->hlc);
		pg_arr_bytes(&t->a[PG_CA_HASH], h, 32);
		pg_arr_bytes(&t->a[PG_CA_BODY], ch->body, ch->len);
		pg_arr_u64(&t->a[PG_CA_REFUSED], (uint64_t)code);
		t->nadd++;
		if (code != 0)
			continue;
		pg_arr_u64(&t->a[PG_RI_ENTITY], (uint64_t)ch->entity);
		pg_arr_bytes(&t->a[PG_RI_RID], ch->id, 16);
		if (ch->has_patient)
			pg_arr_bytes(&t->a[PG_RI_PATIENT], ch->patient, 16);
		else
			pg_arr_null(&t->a[PG_RI_PATIENT]);
		pg_arr_u64(&t->a[PG_RI_SEQ], ch->seq);
		pg_arr_u64(&t->a[PG_RI_WIDENS], ch->widens ? 1 : 0);
		t->nidx++;
	}
}

/* Accepted consults update the queue, accepted referral requests widen
 * their target's scope (rare: one statement each). */
static void
pg_push_extras(struct pg_pipe *q, const struct spush *p, const int *same,
    const int *codes, struct pg_push_tail *t)
{
	size_t i;
	int code;

	t->cons = xcalloc(p->n ? p->n : 1, sizeof(*t->cons));
	for (i = 0; i < p->n; i++) {
		if ((same != NULL && same[i] == 1) || !p->changes[i].is_consult)
			continue;
		code = codes != NULL ? codes[i] : pg_push_code(p, i);
		if (code == 0)
			pg_push_consult(q, p, i, &t->cons[i]);
	}
	t->refs = xcalloc(p->n ? p->n : 1, sizeof(*t->refs));
	for (i = 0; i < p->n; i++) {
		const struct schange *ch = &p->changes[i];

		if ((same != NULL && same[i] == 1) ||
		    ch->scope_facility[0] == '\0' || !ch->has_patient)
			continue;
		code = codes != NULL ? codes[i] : pg_push_code(p, i);
		if (code != 0)
			continue;
		pg_arg_u64(&t->refs[i], p->node);
		pg_arg_u64(&t->refs[i], ch->seq);
		pg_arg_bytes(&t->refs[i], ch->patient, 16);
		pg_arg_text(&t->refs[i], ch->scope_facility);
		pg_send(q, PG_REFERRAL_SCOPE, &t->refs[i]);
	}
}

static void
pg_push_tail(struct pg_pipe *q, const struct spush *p, const int *same,
    const int *codes, uint64_t hw, const uint8_t *resp, size_t resp_len,
    struct pg_push_tail *t)
{
	int k;

	pg_push_arrays(p, same, codes, t);
	if (t->nadd > 0) {
		pg_arg_u64(&t->add, p->node);
		for (k = PG_CA_SEQ; k <= PG_CA_REFUSED; k++)
			pg_arg_arr(&t->add, &t->a[k]);
		pg_send(q, PG_CHANGES_ADD, &t->add);
	}
	if (t->nidx > 0) {
		pg_arg_u64(&t->index, p->node);
		for (k = PG_RI_ENTITY; k <= PG_RI_WIDENS; k++)
			pg_arg_arr(&t->index, &t->a[k]);
		pg_send(q, PG_RECORDS_INDEX, &t->index);
	}
	pg_push_extras(q, p, same, codes, t);
	pg_push_hub_scope(q, p, same, codes, t);
	pg_arg_u64(&t->node, p->node);
	pg_arg_u64(&t->node, hw);
	pg_arg_u64(&t->node, p->now_ms);
	pg_arg_u64(&t->node, p->outbox_last > INT64_MAX ? 0 : p->outbox_last);
	pg_send(q, PG_NODE_PUSHED, &t->node);
	pg_batch_key(&t->key, p);
	pg_arg_bytes(&t->key, resp, resp_len);
	pg_send(q, PG_BATCH_DONE, &t->key);
	pg_send_sql(q, "COMMIT");
}

static void
pg_push_tail_clear(struct pg_push_tail *t)
{
	int k;

	for (k = 0; k < PG_TAIL_ARRS; k++)
		pg_arr_clear(&t->a[k]);
	free(t->cons);
	t->cons = NULL;
	free(t->refs);
	t->refs = NULL;
	free(t->appts);
	t->appts = NULL;
}

/*
 * The common push in one round trip and one statement: a fresh batch
 * right after the high-water mark that widens no scope, its response
 * encoded ahead (hw = last, all accepted), through migration 12's
 * outpost_push (plus a statement per consult, referral or hub scope),
 * one implicit transaction committed at the pipeline's Sync.  The function raises
 * 22012 otherwise: *TAKEN is then 0 and the transaction rolled back, for
 * the general path.
 */
/* Is P a batch for outpost_push: nothing to judge, refuse or bring into
 * a facility's scope, in seq order (it stores in array order)? */
static int
pg_push_fast_fits(const struct spush *p)
{
	size_t i;

	if (p->authorize_cb != NULL || p->first == 0)
		return 0;
	for (i = 0; i < p->n; i++)
		if (pg_push_code(p, i) != 0 ||
		    (p->changes[i].widens && p->changes[i].has_patient) ||
		    (i > 0 && p->changes[i].seq <= p->changes[i - 1].seq))
			return 0;
	return 1;
}

/* T's arrays, and in T->add outpost_push's arguments (RESP: the
 * response encoded ahead). */
static void
pg_push_fast_args(const struct spush *p, const uint8_t *resp, size_t resp_len,
    struct pg_push_tail *t)
{
	static const int arrs[] = { PG_CA_SEQ, PG_CA_ENTITY, PG_CA_RID,
		PG_CA_HLC, PG_CA_HASH, PG_CA_BODY, PG_RI_PATIENT };
	struct pg_args *f = &t->add;
	size_t i;

	pg_push_arrays(p, NULL, NULL, t);
	pg_batch_key(f, p);
	pg_arg_bytes(f, p->hash, 32);
	pg_arg_u64(f, p->now_ms);
	pg_arg_u64(f, p->req_seq);
	pg_arg_u64(f, p->outbox_last > INT64_MAX ? 0 : p->outbox_last);
	pg_arg_bytes(f, resp, resp_len);
	for (i = 0; i < nitems(arrs); i++)
		pg_arg_arr(f, &t->a[arrs[i]]);
}

static int
pg_push_fast(struct pg_conn *pc, const struct spush *p,
    struct spush_result *res, int *taken)
{
	struct pg_push_tail tail;
	struct pg_pipe q;
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	int err;

	*taken = 0;
	if (!pg_push_fast_fits(p) ||
	    p->encode_cb(p, p->last, p->n, 0, &resp, &resp_len, p->arg) != 0)
		return 0;
	pg_pipe_init(&q, pc);
	pg_push_fast_args(p, resp, resp_len, &tail);
	pg_send(&q, PG_PUSH_FAST, &tail.add);
	pg_push_extras(&q, p, NULL, NULL, &tail);
	pg_push_hub_scope(&q, p, NULL, NULL, &tail);
	err = pg_sync(&q);
	if (err != 0 && strcmp(pc->state, PG_GUARD_STATE) == 0) {
		pg_rollback(pc);
		pc->state[0] = '\0';
		err = 0;
		goto out;
	}
	*taken = 1;
	if (err == 0) {
		res->hw = p->last;
		res->accepted = p->n;
		res->response = resp;
		res->response_len = resp_len;
		resp = NULL;
	}
out:
	free(resp);
	pg_push_tail_clear(&tail);
	pg_pipe_clear(&q);
	return err;
}

/*
 * The facts of a batch's changes, as the store would tell them change
 * by change (sqlite.c asks after storing the changes before): the
 * database's, read once for the whole batch (PG_RECORD_FACTS), plus the
 * records this batch created and the patients it brought into scope.
 */
struct pg_brec {
	int entity;
	uint8_t id[16];
	int has_patient;
	uint8_t patient[16];
	int in_scope; /* its patient in the pusher's scope in the database */
};

/* A consult's queue row as this batch leaves it (sq_consult_index). */
struct pg_bcons {
	uint8_t id[16];
	char state[16];
	uint64_t node;
	char handed[SCONSULT_ID_MAX];
};

struct pg_judge {
	struct pg_brec *recs;
	size_t nrecs;
	struct pg_bcons *cons;
	size_t ncons;
	uint8_t (*scope)[16]; /* patients this batch brought into scope */
	size_t nscope;
	/* the facts of the change last judged (for pg_judge_accept) */
	int exists, in_scope_db;
};

static void
pg_judge_init(struct pg_judge *j, size_t n)
{
	memset(j, 0, sizeof(*j));
	j->recs = xcalloc(n ? n : 1, sizeof(*j->recs));
	j->scope = xcalloc(n ? n : 1, sizeof(*j->scope));
	j->cons = xcalloc(n ? n : 1, sizeof(*j->cons));
}

static void
pg_judge_clear(struct pg_judge *j)
{
	free(j->recs);
	free(j->scope);
	free(j->cons);
	memset(j, 0, sizeof(*j));
}

/* R: PG_RECORD_FACTS's row for C (count, region, facility, in scope,
 * the record's patient). */
static void
pg_judge_facts(struct pg_judge *j, const struct snode *node,
    const struct schange *c, const PGresult *r, struct sfacts *f)
{
	const struct pg_brec *b = NULL;
	const uint8_t *pat = c->has_patient ? c->patient : NULL, *v;
	size_t i, len;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < j->nrecs && b == NULL; i++)
		if (j->recs[i].entity == c->entity &&
		    memcmp(j->recs[i].id, c->id, 16) == 0)
			b = &j->recs[i];
	j->exists = pg_u64(r, 0, 0) != 0;
	j->in_scope_db = pg_u64(r, 0, 3) != 0;
	if (b != NULL) {
		/* made by this batch: the pusher's, for its patient */
		f->exists = 1;
		str_lcpy(f->region, node->region, sizeof(f->region));
		str_lcpy(f->facility, node->facility, sizeof(f->facility));
		pat = b->has_patient ? b->patient : NULL;
		f->in_scope = b->in_scope;
	} else if (j->exists) {
		/* judged by the patient the record was created for */
		f->exists = 1;
		pg_text(r, 0, 1, f->region, sizeof(f->region));
		pg_text(r, 0, 2, f->facility, sizeof(f->facility));
		v = pg_bytes(r, 0, 4, &len);
		pat = !pg_isnull(r, 0, 4) && len == 16 ? v : NULL;
		f->in_scope = j->in_scope_db;
	} else
		f->in_scope = j->in_scope_db;
	j->exists = j->exists || b != NULL;
	if (pat == NULL) {
		f->in_scope = 0;
		return;
	}
	for (i = 0; i < j->nscope && !f->in_scope; i++)
		f->in_scope = memcmp(j->scope[i], pat, 16) == 0;
}

static struct pg_bcons *
pg_judge_consult(struct pg_judge *j, const uint8_t id[16])
{
	size_t i;

	for (i = 0; i < j->ncons; i++)
		if (memcmp(j->cons[i].id, id, 16) == 0)
			return &j->cons[i];
	return NULL;
}

/* R: PG_CONSULT_FACTS's rows for consult C (none: not queued yet),
 * unless this batch changed it. */
static void
pg_judge_consult_facts(struct pg_judge *j, const struct schange *c,
    const PGresult *r, struct sfacts *f)
{
	const struct pg_bcons *b = pg_judge_consult(j, c->id);

	if (b != NULL) {
		str_lcpy(f->consult_state, b->state, sizeof(f->consult_state));
		f->consult_node = b->node;
		str_lcpy(
		    f->consult_handed, b->handed, sizeof(f->consult_handed));
	} else if (r != NULL && pg_rows(r) == 1) {
		pg_text(r, 0, 0, f->consult_state, sizeof(f->consult_state));
		f->consult_node = pg_u64(r, 0, 1);
		pg_text(r, 0, 2, f->consult_handed, sizeof(f->consult_handed));
	}
}

/* Consult C of NODE, accepted: its row as PG_CONSULT_INDEX leaves it. */
static void
pg_judge_consult_accept(struct pg_judge *j, uint64_t node,
    const struct schange *c, const struct sfacts *f)
{
	const struct sconsult *cs = &c->consult;
	struct pg_bcons *b = pg_judge_consult(j, c->id);

	if (b == NULL) {
		b = &j->cons[j->ncons++];
		memcpy(b->id, c->id, 16);
		str_lcpy(b->state, f->exists ? f->consult_state : "requested",
		    sizeof(b->state));
		b->node = f->exists ? f->consult_node : 0;
		str_lcpy(b->handed, f->exists ? f->consult_handed : "",
		    sizeof(b->handed));
		if (!f->exists)
			return;
	}
	if (cs->has_state) {
		if (strcmp(cs->state, "accepted") == 0) {
			b->node = node;
			b->handed[0] = '\0';
		} else if (strcmp(cs->state, "requested") == 0)
			b->node = 0;
		str_lcpy(b->state, cs->state, sizeof(b->state));
	}
	if (cs->has_handed)
		str_lcpy(b->handed, cs->handed_to, sizeof(b->handed));
}

/* C, just judged, was accepted: the record it creates, the scope it
 * widens (as PG_RECORD_INDEX will store them). */
static void
pg_judge_accept(struct pg_judge *j, const struct schange *c)
{
	struct pg_brec *b;

	if (j->exists)
		return;
	b = &j->recs[j->nrecs++];
	b->entity = c->entity;
	memcpy(b->id, c->id, 16);
	b->has_patient = c->has_patient;
	memcpy(b->patient, c->patient, 16);
	b->in_scope = j->in_scope_db;
	if (c->widens && c->has_patient)
		memcpy(j->scope[j->nscope++], c->patient, 16);
}

/*
 * Referral step I's request for the policy: the first accepted request
 * store's (R: PG_REFERRAL_REQUEST's row), else the first accepted request
 * of that id earlier in this batch (CODES, the verdicts so far; SAME[k]
 * 1: stored before, so in R if accepted).
 */
static void
pg_judge_referral(const struct spush *p, const int *same, const int *codes,
    size_t i, const PGresult *r, struct sfacts *f)
{
	const uint8_t *ref = p->changes[i].referral.referral;
	size_t k, len;

	if (pg_rows(r) == 1) {
		f->ref_request = pg_bytes(r, 0, 0, &len);
		f->ref_request_len = len;
		return;
	}
	for (k = 0; k < i; k++) {
		const struct schange *c = &p->changes[k];

		if (same[k] != 1 && codes[k] == 0 && c->is_referral &&
		    c->referral.request && memcmp(c->id, ref, 16) == 0) {
			f->ref_request = c->body;
			f->ref_request_len = c->len;
			return;
		}
	}
}

static int
pg_push_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	const struct spush *p = ((struct pg_push_arg *)arg)->p;
	struct spush_result *res = ((struct pg_push_arg *)arg)->res;
	struct pg_args d = { 0 }, nd = { 0 };
	struct pg_push_head head;
	struct pg_push_tail tail;
	struct pg_args *ins = NULL;
	struct pg_pipe q;
	int *codes = NULL;
	struct pg_pipe facts = { 0 };
	struct pg_judge j = { 0 };
	int *facts_at = NULL, *cons_at = NULL, *ref_at = NULL;
	struct snode node;
	uint64_t hw, stored_seq, accepted = 0, dups = 0;
	uint8_t *resp = NULL;
	size_t i, k, resp_len = 0;
	int *same = NULL, *refused = NULL, err;

	free(res->response);
	memset(res, 0, sizeof(*res));
	memset(&tail, 0, sizeof(tail));
	/* A retry judges afresh: the verdicts as the caller gave them. */
	if (attempt > 0 && p->verdicts != NULL)
		memcpy(p->verdicts, ((struct pg_push_arg *)arg)->given,
		    p->n * sizeof(*p->verdicts));
	if (attempt == 0 && !((struct pg_push_arg *)arg)->no_fast) {
		int taken;

		err = pg_push_fast(pc, p, res, &taken);
		if (taken && err == 0) {
			pthread_mutex_lock(&s->mu);
			s->fast++;
			pthread_mutex_unlock(&s->mu);
		}
		if (taken)
			return err;
	}
	/* Pipeline 1: lock the node, take the sequence, claim the key. */
	pg_pipe_init(&q, pc);
	pg_push_head(&q, p, &head);
	pg_batch_key(&d, p);
	pg_send(&q, PG_BATCH_GET, &d);
	pg_arg_u64(&nd, p->node);
	pg_send(&q, PG_NODE_GET, &nd); /* the pusher, for the policy */
	if ((err = pg_sync(&q)) != 0)
		goto out;
	if (pg_rows(q.res[1]) == 0) {
		err = ENOENT;
		goto out;
	}
	hw = pg_u64(q.res[1], 0, 1);
	stored_seq = pg_u64(q.res[1], 0, 2);
	k = 2;
	if (p->req_seq != 0 && pg_rows(q.res[k++]) == 0 &&
	    !(attempt > 0 && stored_seq == p->req_seq)) {
		/* (A retry after a lost COMMIT finds its own sequence.) */
		res->last_seq = stored_seq;
		err = EALREADY;
		goto out;
	}
	if (pg_rows(q.res[k]) == 0) {
		/* Claimed before (a concurrent twin waited for it). */
		if ((err = pg_push_replay(pc, p, q.res[k + 1], res)) != 0)
			goto out;
		pg_pipe_clear(&q);
		pg_pipe_init(&q, pc);
		pg_send_sql(&q, "COMMIT"); /* the request sequence */
		err = pg_sync(&q);
		goto out;
	}
	res->hw = hw;
	/* Nothing may be skipped. */
	if (p->first > hw + 1) {
		err = ERANGE;
		goto out;
	}
	/* Known sequences must match; the rest is stored. */
	same = xcalloc(p->n ? p->n : 1, sizeof(*same));
	refused = xcalloc(p->n ? p->n : 1, sizeof(*refused));
	if ((err = pg_push_dups(pc, p, hw, same, refused)) != 0)
		goto out;
	for (i = 0; i < p->n; i++)
		if (same[i] == 0) {
			err = EEXIST;
			goto out;
		}
	if (pg_rows(q.res[q.n - 1]) != 1) {
		err = ENOENT;
		goto out;
	}
	pg_node_row(q.res[q.n - 1], 0, 0, &node);
	/*
	 * Pipeline 2: what the store knows of each new change's record
	 * (when there is a policy to ask).  Then each is judged in order,
	 * with what the changes before it in the batch add (pg_judge), and
	 * stored, refused or not; the node, the response, COMMIT: pipeline
	 * 3.  Four round trips whatever the batch's size.
	 */
	pg_pipe_clear(&q);
	pg_pipe_init(&q, pc);
	ins = xcalloc(5 * p->n + 2, sizeof(*ins));
	facts_at = xcalloc(p->n ? p->n : 1, sizeof(*facts_at));
	codes = xcalloc(p->n ? p->n : 1, sizeof(*codes));
	cons_at = xcalloc(p->n ? p->n : 1, sizeof(*cons_at));
	ref_at = xcalloc(p->n ? p->n : 1, sizeof(*ref_at));
	for (i = 0; i < p->n && p->authorize_cb != NULL; i++) {
		const struct schange *c = &p->changes[i];
		struct pg_args *f = &ins[3 * p->n + i];

		facts_at[i] = -1;
		cons_at[i] = -1;
		ref_at[i] = -1;
		if (same[i] == 1 || pg_push_code(p, i) != 0)
			continue;
		if (c->is_referral && !c->referral.request) {
			struct pg_args *rf = &ins[4 * p->n + i];

			pg_arg_bytes(rf, c->referral.referral, 16);
			ref_at[i] = (int)q.n;
			pg_send(&q, PG_REFERRAL_REQUEST, rf);
		}
		if (c->is_consult) {
			struct pg_args *cf = &ins[4 * p->n + i];

			pg_arg_bytes(cf, c->id, 16);
			cons_at[i] = (int)q.n;
			pg_send(&q, PG_CONSULT_FACTS, cf);
		}
		pg_arg_u64(f, (uint64_t)c->entity);
		pg_arg_bytes(f, c->id, 16);
		if (c->has_patient)
			pg_arg_bytes(f, c->patient, 16);
		else
			pg_arg_null(f);
		pg_arg_text(f, node.region);
		pg_arg_text(f, node.facility);
		facts_at[i] = (int)q.n;
		pg_send(&q, PG_RECORD_FACTS, f);
	}
	if (q.n > 0 && (err = pg_sync(&q)) != 0)
		goto out;
	facts = q;
	pg_pipe_init(&q, pc);
	pg_judge_init(&j, p->n);
	for (i = 0; i < p->n; i++) {
		struct sverdict none = { 0, "" };
		struct sverdict *v = p->verdicts ? &p->verdicts[i] : &none;
		const struct schange *c = &p->changes[i];

		if (same[i] == 1) {
			/* Refused then: say so again, since the answer that
			 * said it may have been lost. */
			if (refused[i] != 0 && v->code == 0) {
				v->code = refused[i];
				snprintf(
				    v->why, sizeof(v->why), "refused before");
			}
			dups++;
			continue;
		}
		if (v->code == 0 && p->authorize_cb != NULL) {
			struct sfacts f;

			if (facts_at[i] < 0 ||
			    pg_rows(facts.res[facts_at[i]]) != 1) {
				err = EIO;
				goto out;
			}
			pg_judge_facts(
			    &j, &node, c, facts.res[facts_at[i]], &f);
			if (c->is_consult && f.exists)
				pg_judge_consult_facts(&j, c,
				    cons_at[i] >= 0 ? facts.res[cons_at[i]]
				                    : NULL,
				    &f);
			if (ref_at[i] >= 0)
				pg_judge_referral(p, same, codes, i,
				    facts.res[ref_at[i]], &f);
			p->authorize_cb(&node, c, &f, v);
			if (v->code == 0 && c->is_consult)
				pg_judge_consult_accept(&j, node.id, c, &f);
			if (v->code == 0)
				pg_judge_accept(&j, c);
		}
		codes[i] = v->code;
		if (v->code == 0)
			accepted++;
	}
	if (p->last > hw)
		hw = p->last;
	if ((err = p->encode_cb(
	         p, hw, accepted, dups, &resp, &resp_len, p->arg)) != 0)
		goto out;
	pg_push_tail(&q, p, same, codes, hw, resp, resp_len, &tail);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	res->hw = hw;
	res->accepted = accepted;
	res->dups = dups;
	res->response = resp;
	res->response_len = resp_len;
	resp = NULL;
out:
	if (err != 0) {
		hw = res->hw;
		stored_seq = res->last_seq;
		free(res->response);
		memset(res, 0, sizeof(*res));
		res->hw = hw;
		res->last_seq = stored_seq;
	}
	free(resp);
	free(ins);
	free(codes);
	pg_push_tail_clear(&tail);
	free(same);
	free(refused);
	free(facts_at);
	free(cons_at);
	free(ref_at);
	pg_judge_clear(&j);
	pg_pipe_clear(&facts);
	pg_pipe_clear(&q);
	return err;
}

/*
 * Group commit (issue 12, AC-4b).  A push for outpost_push that adds
 * nothing beside its changes and records (no consult queue entry, no
 * referral or hub scope) waits in s->gq, and whichever waiting pusher
 * finds a free connection first stores its own and up to PG_GROUP_MAX - 1
 * others in one transaction and one round trip: BEGIN, one
 * outpost_push_try call each, COMMIT.  Each pusher's answer is encoded
 * ahead, in its own thread, and it is woken only after the COMMIT: every
 * acknowledgement is as durable as before, and the records of one push
 * are all in or all out.  A push that finds a connection free and
 * nobody waiting goes alone, as one statement (no wait is added to make
 * a group): the groups form only when pushes wait for connections, and
 * share the commit, its WAL flush and the round trip among them.
 *   A push the group found not for outpost_push (its node row did not
 * match: a replay, a gap) runs alone afterwards on the general path.  If
 * the group failed, each of its pushes runs alone as if the group had
 * not been: from the start, or, when the connection was lost and the
 * COMMIT may have happened, as a retry (which finds its own batch).
 */
#define PG_GROUP_MAX 16

struct pg_gjob {
	struct pg_waiter w; /* first: s->gq holds these */
	const struct spush *p;
	struct pg_push_tail tail; /* its arguments, made by its own thread */
	uint8_t *resp;
	size_t resp_len;
	int taken, done;
	int stored; /* the group stored it */
	int declined; /* the group ran it: its node row did not match */
	int lost; /* the group's COMMIT may or may not have happened */
};

/* Does P add nothing beside its changes and records?  (What
 * pg_push_extras and pg_push_hub_scope would send for it.) */
static int
pg_push_plain(const struct spush *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct schange *ch = &p->changes[i];

		if (ch->is_consult ||
		    (ch->scope_facility[0] != '\0' && ch->has_patient) ||
		    pg_hub_scope_one(NULL, p, ch, NULL) != 0)
			return 0;
	}
	return 1;
}

static void
pg_gq_unlink(struct sstore *s, struct pg_gjob *job)
{
	struct pg_waiter **pp;

	for (pp = &s->gq; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &job->w) {
			*pp = job->w.next;
			return;
		}
}

/* G by node, then batch: every group locks node rows in the same order
 * (no deadlock between groups), and a node's batches go in order. */
static void
pg_group_sort(struct pg_gjob **g, size_t n)
{
	struct pg_gjob *t;
	size_t i, k;

	for (i = 1; i < n; i++)
		for (k = i; k > 0 &&
		     (g[k - 1]->p->node > g[k]->p->node ||
		         (g[k - 1]->p->node == g[k]->p->node &&
		             g[k - 1]->p->first > g[k]->p->first));
		     k--) {
			t = g[k];
			g[k] = g[k - 1];
			g[k - 1] = t;
		}
}

/* The group's one round trip on PC (ready); a group of one is the
 * statement of an implicit transaction. */
static void
pg_group_store(struct pg_conn *pc, struct pg_gjob **g, size_t n)
{
	struct pg_pipe q;
	const uint8_t *v;
	size_t i, len, at = n > 1;
	int err;

	pg_pipe_init(&q, pc);
	if (n > 1)
		pg_send_sql(&q, "BEGIN");
	for (i = 0; i < n; i++)
		pg_send(&q, PG_PUSH_TRY, &g[i]->tail.add);
	if (n > 1)
		pg_send_sql(&q, "COMMIT");
	err = pg_sync(&q);
	for (i = 0; i < n; i++) {
		if (err != 0) {
			g[i]->lost =
			    pc->retryable && strncmp(pc->state, "08", 2) == 0;
			continue;
		}
		v = pg_rows(q.res[at + i]) == 1
		    ? pg_bytes(q.res[at + i], 0, 0, &len)
		    : NULL;
		g[i]->stored = v != NULL && len == 1 && v[0] != 0;
		g[i]->declined = !g[i]->stored;
	}
	pg_pipe_clear(&q);
}

/* Wait in the queue until a group (perhaps of one) has run JOB, or no
 * connection came for it (JOB->stored 0, none of the flags). */
static void
pg_group_push(struct sstore *s, struct pg_gjob *job)
{
	struct pg_gjob *g[PG_GROUP_MAX];
	struct pg_waiter **pp;
	struct pg_conn *pc;
	struct timespec until;
	size_t n, i;

	pg_deadline(&until, PG_BORROW_MS);
	pthread_cond_init(&job->w.cv, NULL);
	pthread_mutex_lock(&s->mu);
	for (pp = &s->gq; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = &job->w;
	while (!job->done) {
		if (!job->taken && (pc = pg_take_locked(s)) != NULL) {
			pg_gq_unlink(s, job);
			g[0] = job;
			for (n = 1; n < PG_GROUP_MAX && s->gq != NULL; n++) {
				g[n] = (struct pg_gjob *)s->gq;
				s->gq = s->gq->next;
			}
			for (i = 0; i < n; i++)
				g[i]->taken = 1;
			/* more waiting than a group takes: the next leader */
			if (s->gq != NULL)
				pthread_cond_signal(&s->gq->cv);
			pthread_mutex_unlock(&s->mu);
			pg_group_sort(g, n);
			if (pg_take_ready(s, pc) == 0) {
				pg_group_store(pc, g, n);
				pg_give_back(s, pc);
			}
			pthread_mutex_lock(&s->mu);
			if (n == 1)
				s->fast += job->stored;
			else {
				s->groups++;
				for (i = 0; i < n; i++)
					s->grouped += g[i]->stored;
				s->groups_failed +=
				    !g[0]->stored && !g[0]->declined;
			}
			for (i = 0; i < n; i++) {
				g[i]->done = 1;
				if (g[i] != job)
					pthread_cond_signal(&g[i]->w.cv);
			}
		} else if (job->taken)
			pthread_cond_wait(&job->w.cv, &s->mu);
		else if (pthread_cond_timedwait(&job->w.cv, &s->mu, &until) !=
		        0 &&
		    !job->taken) {
			/* no connection came: alone (pg_run waits again) */
			pg_gq_unlink(s, job);
			if (s->gq != NULL)
				pthread_cond_signal(&s->gq->cv);
			job->done = 1;
		}
	}
	pthread_mutex_unlock(&s->mu);
	pthread_cond_destroy(&job->w.cv);
}

static int
pg_push(struct sstore *s, const struct spush *p, struct spush_result *res)
{
	struct pg_push_arg a = { p, res, NULL, 0 };
	struct pg_gjob job;
	int err, first = 0;

	memset(res, 0, sizeof(*res));
	if (p->first > INT64_MAX || p->last > INT64_MAX || p->first == 0 ||
	    p->last < p->first || p->req_seq > INT64_MAX)
		return EINVAL;
	pthread_mutex_lock(&s->mu);
	s->pushes++;
	pthread_mutex_unlock(&s->mu);
	memset(&job, 0, sizeof(job));
	job.p = p;
	if (pg_push_fast_fits(p) && pg_push_plain(p) &&
	    p->encode_cb(
	        p, p->last, p->n, 0, &job.resp, &job.resp_len, p->arg) == 0) {
		pg_push_fast_args(p, job.resp, job.resp_len, &job.tail);
		pg_group_push(s, &job);
		pg_push_tail_clear(&job.tail);
		if (job.stored) {
			res->hw = p->last;
			res->accepted = p->n;
			res->response = job.resp;
			res->response_len = job.resp_len;
			return 0;
		}
		free(job.resp);
		a.no_fast = job.declined;
		first = job.lost;
	}
	if (p->verdicts != NULL && p->n > 0)
		a.given = xmemdup(p->verdicts, p->n * sizeof(*p->verdicts));
	err = pg_run_from(s, pg_push_once, &a, first);
	free(a.given);
	return err;
}

/* --- pull ------------------------------------------------------------- */

/*
 * A cursor is [era, xid, id] (a region's pull: the feed position of the
 * last change served) or [era, dxid, did, xid, id] (a facility's: its
 * delivery position too, docs/PROTOCOL.md §5.3); the first stands for
 * [era, xid, id, xid, id].
 */
static int
pg_cursor_decode(struct sstore *s, const uint8_t *c, size_t len, uint64_t *dxid,
    uint64_t *did, uint64_t *xid, uint64_t *id)
{
	cbor_item_t *it = NULL;
	cbor_item_t **v;
	uint64_t era;
	size_t n;
	int err = 0;

	*dxid = *did = *xid = *id = 0;
	if (len == 0)
		return 0;
	if (cborx_decode(c, len, 64, &it) != 0)
		return EINVAL;
	n = cbor_isa_array(it) ? cbor_array_size(it) : 0;
	v = n ? cbor_array_handle(it) : NULL;
	/* A two-element cursor is the SQLite store's [era, pos]: after
	 * `admin migrate` the era differs and the node re-pulls. */
	if ((n != 2 && n != 3 && n != 5) || cborx_get_uint(v[0], &era) != 0)
		err = EINVAL;
	else if (era != s->era)
		err = ESTALE;
	else if (n == 2 || cborx_get_uint(v[1], dxid) != 0 ||
	    cborx_get_uint(v[2], did) != 0 || *did > INT64_MAX)
		err = EINVAL;
	else if (n == 3) {
		*xid = *dxid;
		*id = *did;
	} else if (cborx_get_uint(v[3], xid) != 0 ||
	    cborx_get_uint(v[4], id) != 0 || *id > INT64_MAX || *xid > *dxid ||
	    (*xid == *dxid && *id > *did))
		err = EINVAL;
	cbor_decref(&it);
	return err;
}

static void
pg_cursor_encode(struct sstore *s, int scope, uint64_t dxid, uint64_t did,
    uint64_t xid, uint64_t id, uint8_t **out, size_t *len)
{
	cbor_item_t *a = cborx_array(scope == SPULL_REGION ? 3 : 5);

	cborx_array_push(a, cborx_uint(s->era));
	cborx_array_push(a, cborx_uint(dxid));
	cborx_array_push(a, cborx_uint(did));
	if (scope != SPULL_REGION) {
		cborx_array_push(a, cborx_uint(xid));
		cborx_array_push(a, cborx_uint(id));
	}
	if (cborx_encode(a, out, len) != 0)
		fatalx("cursor encode");
	cbor_decref(&a);
}

struct pg_pull_arg {
	const struct snode *node;
	int scope;
	uint64_t dxid, did, xid, id;
	size_t max;
	struct spull_result *res;
};

static int
pg_pull_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_pull_arg *pa = arg;
	struct spull_result *res = pa->res;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	struct schange *c;
	const PGresult *r;
	const uint8_t *v;
	uint64_t dxid = pa->dxid, did = pa->did, xid = pa->xid, id = pa->id;
	uint64_t horizon;
	size_t i, rows, bytes = 0;
	int err, fac = pa->scope != SPULL_REGION, k;

	(void)attempt;
	spull_result_clear(res);
	pg_pipe_init(&q, pc);
	pg_arg_text(&a, pa->node->region);
	pg_arg_u64(&a, dxid);
	pg_arg_u64(&a, did);
	if (fac) {
		pg_arg_u64(&a, xid);
		pg_arg_u64(&a, id);
	}
	pg_arg_u64(&a, pa->node->id);
	pg_arg_u64(&a, pa->max);
	if (fac) {
		pg_arg_text(&a, pa->node->facility);
		pg_send(&q, PG_PULL_FACILITY, &a);
	} else
		pg_send(&q, PG_PULL, &a);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	r = q.res[0];
	rows = pg_rows(r);
	if (rows == 0) {
		err = EIO;
		goto out;
	}
	horizon = pg_u64(r, 0, 0);
	if (pg_isnull(r, 0, 1))
		rows = 0; /* nothing new: the horizon alone */
	if (rows > 0)
		res->changes = xcalloc(rows, sizeof(*res->changes));
	for (i = 0; i < rows; i++) {
		c = &res->changes[res->n++];
		dxid = pg_u64(r, (int)i, 1);
		did = pg_u64(r, (int)i, 2);
		k = 3;
		if (fac) {
			xid = pg_u64(r, (int)i, 3);
			id = pg_u64(r, (int)i, 4);
			k = 5;
		} else {
			xid = dxid;
			id = did;
		}
		c->entity = (int)pg_u64(r, (int)i, k);
		v = pg_bytes(r, (int)i, k + 1, &c->len);
		if (c->len == 16)
			memcpy(c->id, v, 16);
		c->hlc = pg_u64(r, (int)i, k + 2);
		v = pg_bytes(r, (int)i, k + 3, &c->len);
		c->body = xmemdup(c->len ? v : (const void *)"", c->len);
		c->origin = pg_u64(r, (int)i, k + 4);
		c->seq = id;
		bytes += c->len;
		if (bytes >= PG_PULL_BUDGET && i + 1 < rows)
			break;
	}
	res->more = res->n < rows || rows == pa->max;
	/*
	 * Short of the page: every row of the scope delivered below this
	 * statement's horizon was read, and any later row (a change, or a
	 * scope entry that back-fills) is delivered at or above it.
	 */
	if (!res->more && (horizon > dxid || (horizon == dxid && did == 0))) {
		dxid = xid = horizon;
		did = id = 0;
	}
	pg_cursor_encode(
	    s, pa->scope, dxid, did, xid, id, &res->cursor, &res->cursor_len);
out:
	pg_pipe_clear(&q);
	if (err != 0)
		spull_result_clear(res);
	return err;
}

static int
pg_pull(struct sstore *s, const struct snode *node, int scope,
    const uint8_t *cursor, size_t cursor_len, size_t max, uint64_t now_ms,
    struct spull_result *res)
{
	struct pg_pull_arg a = { node, scope, 0, 0, 0, 0, max ? max : 1, res };
	int err;

	(void)now_ms;
	memset(res, 0, sizeof(*res));
	if ((err = pg_cursor_decode(
	         s, cursor, cursor_len, &a.dxid, &a.did, &a.xid, &a.id)))
		return err;
	return pg_run(s, pg_pull_once, &a);
}

/* --- attachments ------------------------------------------------------ */

struct pg_blob_arg {
	uint64_t node;
	const uint8_t *hash; /* NULL: the node's usage */
	uint64_t size, now_ms;
	enum pg_stmt st;
};

static int
pg_blob_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_blob_arg *b = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_u64(&a, b->node);
	if (b->hash != NULL)
		pg_arg_bytes(&a, b->hash, 32);
	if (b->st == PG_BLOB_OWN) {
		pg_arg_u64(&a, b->size);
		pg_arg_u64(&a, b->now_ms);
	}
	pg_send(&q, b->st, &a);
	if ((err = pg_sync(&q)) == 0 && b->st != PG_BLOB_OWN) {
		if (pg_rows(q.res[0]) == 0)
			err = ENOENT;
		else
			b->size = pg_u64(q.res[0], 0, 0);
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_blob_own(struct sstore *s, uint64_t node, const uint8_t hash[32],
    uint64_t size, uint64_t now_ms)
{
	struct pg_blob_arg b = { node, hash, size, now_ms, PG_BLOB_OWN };

	if (size > INT64_MAX)
		return EINVAL;
	return pg_run(s, pg_blob_once, &b);
}

static int
pg_blob_owned(
    struct sstore *s, uint64_t node, const uint8_t hash[32], uint64_t *size)
{
	struct pg_blob_arg b = { node, hash, 0, 0, PG_BLOB_OWNED };
	int err;

	if ((err = pg_run(s, pg_blob_once, &b)) == 0)
		*size = b.size;
	return err;
}

static int
pg_blob_usage(struct sstore *s, uint64_t node, uint64_t *bytes)
{
	struct pg_blob_arg b = { node, NULL, 0, 0, PG_BLOB_USAGE };
	int err;

	if ((err = pg_run(s, pg_blob_once, &b)) == 0)
		*bytes = b.size;
	return err;
}

/* --- alerts, stats, manifest ------------------------------------------ */

struct pg_alert_arg {
	uint64_t node;
	const char *kind, *detail;
	uint64_t now_ms;
};

static int
pg_alert_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_alert_arg *al = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_u64(&a, al->node);
	pg_arg_text(&a, al->kind);
	pg_arg_text(&a, al->detail);
	pg_arg_u64(&a, al->now_ms);
	pg_send(&q, PG_ALERT_ADD, &a);
	err = pg_sync(&q);
	pg_pipe_clear(&q);
	return err;
}

static int
pg_alert(struct sstore *s, uint64_t node, const char *kind, const char *detail,
    uint64_t now_ms)
{
	struct pg_alert_arg a = { node, kind, detail, now_ms };

	return pg_run(s, pg_alert_once, &a);
}

/* --- the audit anchor and break-glass (issue 17) ---------------------- */

struct pg_issue17_arg {
	enum pg_stmt st;
	uint64_t node;
	size_t max;
	const struct sanchor *add;
	const struct sbreakglass *bg;
	const struct sbgsearch *bs;
	struct sanchor *one, *list;
	struct sbreakglass *bgs;
	struct sbgsearch *bss;
	size_t n;
	int broken;
};

static void
pg_anchor_row(const PGresult *r, int row, struct sanchor *a)
{
	const uint8_t *h;
	size_t len;

	memset(a, 0, sizeof(*a));
	a->node = pg_u64(r, row, 0);
	a->seq = pg_u64(r, row, 1);
	if ((h = pg_bytes(r, row, 2, &len)) != NULL && len == 32)
		memcpy(a->hash, h, 32);
	a->ok = pg_u64(r, row, 3) != 0;
	pg_text(r, row, 4, a->detail, sizeof(a->detail));
	a->at_ms = pg_u64(r, row, 5);
}

/* PG_BGSEARCH_ADD's arguments. */
static void
pg_bgsearch_args(struct pg_args *a, const struct sbgsearch *bs)
{
	pg_arg_u64(a, bs->node);
	pg_arg_text(a, bs->region);
	pg_arg_text(a, bs->facility);
	pg_arg_text(a, bs->user);
	pg_arg_text(a, bs->query);
	pg_arg_u64(a, bs->found);
	pg_arg_u64(a, bs->at_ms);
}

static int
pg_issue17_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_issue17_arg *x = arg;
	struct pg_args a = { 0 };
	struct sbreakglass *b;
	const uint8_t *p;
	const PGresult *r;
	struct pg_pipe q;
	size_t i, len;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	if (x->st == PG_ANCHOR_ADD) {
		pg_arg_u64(&a, x->add->node);
		pg_arg_u64(&a, x->add->seq);
		pg_arg_bytes(&a, x->add->hash, 32);
		pg_arg_u64(&a, (uint64_t)x->add->ok);
		pg_arg_text(&a, x->add->detail);
		pg_arg_u64(&a, x->add->at_ms);
	} else if (x->st == PG_BREAKGLASS_ADD) {
		pg_arg_u64(&a, x->bg->node);
		pg_arg_text(&a, x->bg->region);
		pg_arg_text(&a, x->bg->facility);
		pg_arg_bytes(&a, x->bg->patient, 16);
		pg_arg_text(&a, x->bg->user);
		pg_arg_text(&a, x->bg->reason);
		pg_arg_u64(&a, x->bg->at_ms);
	} else if (x->st == PG_BGSEARCH_ADD)
		pg_bgsearch_args(&a, x->bs);
	else if (x->st == PG_BREAKGLASS_LIST || x->st == PG_BGSEARCH_LIST)
		pg_arg_u64(&a, x->max ? x->max : INT64_MAX);
	else {
		pg_arg_u64(&a, x->node);
		if (x->st == PG_ANCHOR_LIST)
			pg_arg_u64(&a, x->max);
	}
	pg_send(&q, x->st, &a);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	r = q.res[0];
	switch (x->st) {
	case PG_ANCHOR_GET:
		if (pg_rows(r) == 0) {
			err = ENOENT;
			break;
		}
		pg_anchor_row(r, 0, x->one);
		x->broken = pg_u64(r, 0, 6) > 0;
		break;
	case PG_ANCHOR_LIST:
		x->n = pg_rows(r);
		x->list = xcalloc(x->n ? x->n : 1, sizeof(*x->list));
		for (i = 0; i < x->n; i++)
			pg_anchor_row(r, (int)i, &x->list[i]);
		break;
	case PG_BREAKGLASS_ADD:
		if (pg_rows(r) == 0)
			err = ENOENT;
		break;
	case PG_BREAKGLASS_LIST:
		x->n = pg_rows(r);
		x->bgs = xcalloc(x->n ? x->n : 1, sizeof(*x->bgs));
		for (i = 0; i < x->n; i++) {
			b = &x->bgs[i];
			b->node = pg_u64(r, (int)i, 0);
			pg_text(r, (int)i, 1, b->region, sizeof(b->region));
			pg_text(r, (int)i, 2, b->facility, sizeof(b->facility));
			if ((p = pg_bytes(r, (int)i, 3, &len)) != NULL &&
			    len == 16)
				memcpy(b->patient, p, 16);
			pg_text(r, (int)i, 4, b->user, sizeof(b->user));
			pg_text(r, (int)i, 5, b->reason, sizeof(b->reason));
			b->at_ms = pg_u64(r, (int)i, 6);
		}
		break;
	case PG_BGSEARCH_LIST:
		x->n = pg_rows(r);
		x->bss = xcalloc(x->n ? x->n : 1, sizeof(*x->bss));
		for (i = 0; i < x->n; i++) {
			struct sbgsearch *bs = &x->bss[i];

			bs->node = pg_u64(r, (int)i, 0);
			pg_text(r, (int)i, 1, bs->region, sizeof(bs->region));
			pg_text(
			    r, (int)i, 2, bs->facility, sizeof(bs->facility));
			pg_text(r, (int)i, 3, bs->user, sizeof(bs->user));
			pg_text(r, (int)i, 4, bs->query, sizeof(bs->query));
			bs->found = pg_u64(r, (int)i, 5);
			bs->at_ms = pg_u64(r, (int)i, 6);
		}
		break;
	default:
		break;
	}
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_anchor_get(struct sstore *s, uint64_t node, struct sanchor *out, int *broken)
{
	struct pg_issue17_arg x = {
		.st = PG_ANCHOR_GET, .node = node, .one = out
	};
	int err = pg_run(s, pg_issue17_once, &x);

	*broken = x.broken;
	return err;
}

static int
pg_anchor_add(struct sstore *s, const struct sanchor *an)
{
	struct pg_issue17_arg x = { .st = PG_ANCHOR_ADD, .add = an };

	return pg_run(s, pg_issue17_once, &x);
}

static int
pg_anchor_list(struct sstore *s, uint64_t node, size_t max,
    struct sanchor **out, size_t *n)
{
	struct pg_issue17_arg x = {
		.st = PG_ANCHOR_LIST, .node = node, .max = max
	};
	int err = pg_run(s, pg_issue17_once, &x);

	*out = err == 0 ? x.list : NULL;
	*n = err == 0 ? x.n : 0;
	if (err != 0)
		free(x.list);
	return err;
}

static int
pg_breakglass_add(struct sstore *s, const struct sbreakglass *b)
{
	struct pg_issue17_arg x = { .st = PG_BREAKGLASS_ADD, .bg = b };

	return pg_run(s, pg_issue17_once, &x);
}

static int
pg_bgsearch_add(struct sstore *s, const struct sbgsearch *b)
{
	struct pg_issue17_arg x = { .st = PG_BGSEARCH_ADD, .bs = b };

	return pg_run(s, pg_issue17_once, &x);
}

struct pg_bgadmit_arg {
	const struct sbgsearch *bs;
	uint64_t since_ms;
	sbgsearch_admit_cb admit;
	void *arg;
};

/* One transaction: the node row's lock, its recent searches, the
 * judge, the insert and COMMIT (an error rolls back when the connection
 * is given back, releasing the lock).  READ COMMITTED: the read after the
 * lock sees every search committed before it was granted. */
static int
pg_bgsearch_admit_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_bgadmit_arg *x = arg;
	struct pg_args a = { 0 }, b = { 0 }, c = { 0 };
	struct sbgrecent *r = NULL;
	const PGresult *res;
	struct pg_pipe q;
	size_t i, n;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	pg_arg_u64(&a, x->bs->node);
	pg_send(&q, PG_BGSEARCH_LOCK, &a);
	pg_arg_u64(&b, x->bs->node);
	pg_arg_u64(&b, x->since_ms);
	pg_arg_u64(&b, SBGRECENT_MAX);
	pg_send(&q, PG_BGSEARCH_RECENT, &b);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	if (pg_rows(q.res[1]) != 1) { /* a node the store does not know */
		err = ENOENT;
		goto out;
	}
	res = q.res[2];
	n = pg_rows(res);
	r = xcalloc(n ? n : 1, sizeof(*r));
	for (i = 0; i < n; i++) {
		pg_text(res, (int)i, 0, r[i].user, sizeof(r[i].user));
		r[i].at_ms = pg_u64(res, (int)i, 1);
	}
	if ((err = x->admit(r, n, x->arg)) != 0)
		goto out;
	pg_pipe_clear(&q);
	pg_pipe_init(&q, pc);
	pg_bgsearch_args(&c, x->bs);
	pg_send(&q, PG_BGSEARCH_ADD, &c);
	pg_send_sql(&q, "COMMIT");
	err = pg_sync(&q);
out:
	pg_pipe_clear(&q);
	free(r);
	return err;
}

static int
pg_bgsearch_admit(struct sstore *s, const struct sbgsearch *b,
    uint64_t since_ms, sbgsearch_admit_cb admit, void *arg)
{
	struct pg_bgadmit_arg x = { b, since_ms, admit, arg };

	return pg_run(s, pg_bgsearch_admit_once, &x);
}

static int
pg_bgsearch_list(
    struct sstore *s, size_t max, struct sbgsearch **out, size_t *n)
{
	struct pg_issue17_arg x = { .st = PG_BGSEARCH_LIST, .max = max };
	int err = pg_run(s, pg_issue17_once, &x);

	*out = err == 0 ? x.bss : NULL;
	*n = err == 0 ? x.n : 0;
	if (err != 0)
		free(x.bss);
	return err;
}

static int
pg_breakglass_list(
    struct sstore *s, size_t max, struct sbreakglass **out, size_t *n)
{
	struct pg_issue17_arg x = { .st = PG_BREAKGLASS_LIST, .max = max };
	int err = pg_run(s, pg_issue17_once, &x);

	*out = err == 0 ? x.bgs : NULL;
	*n = err == 0 ? x.n : 0;
	if (err != 0)
		free(x.bgs);
	return err;
}

static int
pg_stats_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct sstats *out = arg;
	struct pg_pipe q;
	const PGresult *r;
	size_t i;
	int err;

	(void)s;
	(void)attempt;
	sstats_clear(out);
	pg_pipe_init(&q, pc);
	/* One snapshot, so the figures agree with each other. */
	pg_send_sql(&q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	pg_send(&q, PG_STATS_ENTITIES, NULL);
	pg_send(&q, PG_STATS_NODES, NULL);
	pg_send(&q, PG_STATS_COUNTS, NULL);
	pg_send_sql(&q, "COMMIT");
	if ((err = pg_sync(&q)) != 0)
		goto out;
	r = q.res[1];
	out->nentities = pg_rows(r);
	out->entities = xcalloc(
	    out->nentities ? out->nentities : 1, sizeof(*out->entities));
	for (i = 0; i < out->nentities; i++) {
		out->entities[i].entity = (int)pg_u64(r, (int)i, 0);
		out->entities[i].records = pg_u64(r, (int)i, 1);
	}
	r = q.res[2];
	out->nnodes = pg_rows(r);
	out->nodes =
	    xcalloc(out->nnodes ? out->nnodes : 1, sizeof(*out->nodes));
	out->node_records =
	    xcalloc(out->nnodes ? out->nnodes : 1, sizeof(*out->node_records));
	for (i = 0; i < out->nnodes; i++) {
		pg_node_row(r, (int)i, 0, &out->nodes[i]);
		out->node_records[i] = pg_u64(r, (int)i, 13);
	}
	r = q.res[3];
	out->batches = pg_u64(r, 0, 0);
	out->alerts = pg_u64(r, 0, 1);
	out->open_tokens = pg_u64(r, 0, 2);
	out->merged = pg_u64(r, 0, 3);
out:
	pg_pipe_clear(&q);
	if (err != 0)
		sstats_clear(out);
	return err;
}

static int
pg_stats(struct sstore *s, struct sstats *out)
{
	memset(out, 0, sizeof(*out));
	return pg_run(s, pg_stats_once, out);
}

struct pg_manifest_arg {
	void (*cb)(const struct schange *, const uint8_t hash[32], void *);
	void *arg;
};

static int
pg_manifest_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_manifest_arg *m = arg;
	struct pg_pipe q;
	struct schange c;
	const PGresult *r;
	const uint8_t *v;
	size_t i, len;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_send(&q, PG_MANIFEST, NULL);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	r = q.res[0];
	for (i = 0; i < pg_rows(r); i++) {
		memset(&c, 0, sizeof(c));
		c.origin = pg_u64(r, (int)i, 0);
		c.seq = pg_u64(r, (int)i, 1);
		c.entity = (int)pg_u64(r, (int)i, 2);
		v = pg_bytes(r, (int)i, 3, &len);
		if (len == 16)
			memcpy(c.id, v, 16);
		c.hlc = pg_u64(r, (int)i, 4);
		v = pg_bytes(r, (int)i, 5, &len);
		if (len == 32)
			m->cb(&c, v, m->arg);
	}
out:
	pg_pipe_clear(&q);
	return err;
}

struct pg_queue_arg {
	const struct snode *node;
	int all;
	struct squeue *q;
};

static int
pg_queue_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_queue_arg *a = arg;
	struct squeue *q = a->q;
	struct pg_args r = { 0 };
	struct pg_pipe p;
	uint64_t waits[SQUEUE_WAITS];
	const uint8_t *id;
	size_t i, len, nwaits = 0;
	int err;

	(void)s;
	(void)attempt;
	squeue_clear(q);
	pg_pipe_init(&p, pc);
	pg_arg_text(&r, a->node->region);
	pg_send(&p, PG_CONSULT_QUEUE, &r);
	pg_send(&p, PG_CONSULT_WAITS, &r);
	if ((err = pg_sync(&p)) != 0)
		goto out;
	q->n = pg_rows(p.res[0]);
	q->items = xcalloc(q->n ? q->n : 1, sizeof(*q->items));
	for (i = 0; i < q->n; i++) {
		struct sconsult_item *it = &q->items[i];

		id = pg_bytes(p.res[0], (int)i, 0, &len);
		if (len == 16)
			memcpy(it->id, id, 16);
		pg_text(p.res[0], (int)i, 1, it->state, sizeof(it->state));
		pg_text(
		    p.res[0], (int)i, 2, it->facility, sizeof(it->facility));
		it->urgency = pg_u64(p.res[0], (int)i, 3);
		it->requested_ms = pg_u64(p.res[0], (int)i, 4);
		it->accepted_node = pg_u64(p.res[0], (int)i, 5);
		it->node = pg_u64(p.res[0], (int)i, 6);
	}
	for (i = 0; i < pg_rows(p.res[1]) && nwaits < SQUEUE_WAITS; i++) {
		uint64_t w = pg_u64(p.res[1], (int)i, 0);

		waits[nwaits++] = w > INT64_MAX ? 0 : w;
	}
	squeue_finish(q, a->node, a->all, waits, nwaits);
out:
	pg_pipe_clear(&p);
	return err;
}

static int
pg_consult_queue(
    struct sstore *s, const struct snode *node, int all, struct squeue *q)
{
	struct pg_queue_arg a = { node, all, q };
	int err;

	memset(q, 0, sizeof(*q));
	if ((err = pg_run(s, pg_queue_once, &a)) != 0)
		squeue_clear(q);
	return err;
}

static int
pg_manifest(struct sstore *s,
    void (*cb)(const struct schange *, const uint8_t hash[32], void *),
    void *arg)
{
	struct pg_manifest_arg m = { cb, arg };

	return pg_run(s, pg_manifest_once, &m);
}

/* --- licences (issue 14) ---------------------------------------------- */

struct pg_licence_arg {
	const struct licence *l;
	size_t n;
	const char *event, *detail;
	uint64_t now_ms;
	struct licence_set *out;
	uint64_t version;
};

/* In pipelines of at most PG_LIC_CHUNK licences (a pipeline is not read
 * until its Sync), inside one transaction. */
#define PG_LIC_CHUNK 64

static int
pg_licence_put_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_licence_arg *la = arg;
	struct pg_args a[PG_LIC_CHUNK], e[PG_LIC_CHUNK];
	struct pg_pipe q;
	size_t i = 0;
	int err = 0;

	(void)s;
	(void)attempt;
	do {
		size_t k,
		    m = la->n - i < PG_LIC_CHUNK ? la->n - i : PG_LIC_CHUNK;

		memset(a, 0, sizeof(a));
		memset(e, 0, sizeof(e));
		pg_pipe_init(&q, pc);
		if (i == 0)
			pg_send_sql(&q, "BEGIN");
		for (k = 0; k < m; k++) {
			const struct licence *l = &la->l[i + k];

			pg_arg_text(&a[k], l->regulator);
			pg_arg_text(&a[k], l->regno);
			pg_arg_text(&a[k], l->name);
			pg_arg_text(&a[k], l->cadre);
			pg_arg_u64(&a[k], l->scope);
			pg_arg_text(&a[k], l->juris);
			pg_arg_u64(&a[k], (uint64_t)l->valid_from);
			pg_arg_u64(&a[k], (uint64_t)l->valid_to);
			pg_arg_u64(&a[k], (uint64_t)l->status);
			pg_arg_u64(&a[k], (uint64_t)l->status_at);
			pg_arg_text(&a[k], l->address);
			pg_arg_text(&a[k], l->contact);
			pg_arg_text(&e[k], l->regulator);
			pg_arg_text(&e[k], l->regno);
			pg_arg_text(&e[k], la->event);
			pg_arg_text(&e[k], la->detail ? la->detail : "");
			pg_arg_u64(&e[k], la->now_ms);
			pg_send(&q, PG_LICENCE_PUT, &a[k]);
			pg_send(&q, PG_LICENCE_EVENT, &e[k]);
		}
		i += m;
		if (i == la->n)
			pg_send_sql(&q, "COMMIT");
		err = pg_sync(&q);
		pg_pipe_clear(&q);
	} while (err == 0 && i < la->n);
	if (err != 0)
		pg_rollback(pc);
	return err;
}

static int
pg_licence_put(struct sstore *s, const struct licence *l, size_t n,
    const char *event, const char *detail, uint64_t now_ms)
{
	struct pg_licence_arg a = { l, n, event, detail, now_ms, NULL, 0 };

	return pg_run(s, pg_licence_put_once, &a);
}

static int
pg_licence_list_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_licence_arg *la = arg;
	struct pg_pipe q;
	const PGresult *r;
	int err;

	(void)s;
	(void)attempt;
	licence_set_clear(la->out);
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	pg_send(&q, PG_LICENCE_LIST, NULL);
	pg_send(&q, PG_LICENCE_VERSION, NULL);
	pg_send_sql(&q, "COMMIT");
	if ((err = pg_sync(&q)) != 0)
		goto out;
	r = q.res[1];
	for (size_t i = 0; i < pg_rows(r); i++) {
		struct licence l;
		int row = (int)i;

		memset(&l, 0, sizeof(l));
		pg_text(r, row, 0, l.regulator, sizeof(l.regulator));
		pg_text(r, row, 1, l.regno, sizeof(l.regno));
		pg_text(r, row, 2, l.name, sizeof(l.name));
		pg_text(r, row, 3, l.cadre, sizeof(l.cadre));
		l.scope = (uint32_t)pg_u64(r, row, 4);
		pg_text(r, row, 5, l.juris, sizeof(l.juris));
		l.valid_from = (int64_t)pg_u64(r, row, 6);
		l.valid_to = (int64_t)pg_u64(r, row, 7);
		l.status = (int)pg_u64(r, row, 8);
		l.status_at = (int64_t)pg_u64(r, row, 9);
		l.rev = pg_u64(r, row, 10);
		pg_text(r, row, 11, l.address, sizeof(l.address));
		pg_text(r, row, 12, l.contact, sizeof(l.contact));
		licence_set_add(la->out, &l);
	}
	la->version = pg_u64(q.res[2], 0, 0);
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_licence_list(struct sstore *s, struct licence_set *out, uint64_t *version)
{
	struct pg_licence_arg a = { NULL, 0, NULL, NULL, 0, out, 0 };
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = pg_run(s, pg_licence_list_once, &a)) != 0)
		licence_set_clear(out);
	*version = a.version;
	return err;
}

/* --- booking (issue 15): sqlite.c's booking section, statement for
 * statement; the transactions are explicit (BEGIN ... COMMIT pipelines),
 * and an appointment that loses to the partial unique index inserts
 * nothing (ON CONFLICT DO NOTHING), so no error aborts the transaction.
 */

static void
pg_slot_row(const PGresult *r, int row, struct sslot *o)
{
	memset(o, 0, sizeof(*o));
	o->id = pg_u64(r, row, 0);
	o->schedule = pg_u64(r, row, 1);
	o->start_ms = pg_u64(r, row, 2);
	o->end_ms = pg_u64(r, row, 3);
	pg_text(r, row, 4, o->status, sizeof(o->status));
	/* every slot statement names its schedule's clinician 6th */
	pg_text(r, row, 5, o->clinician, sizeof(o->clinician));
}

/* One statement in its own implicit transaction; *Q is the caller's to
 * clear. */
static int
pg_one(struct pg_conn *pc, struct pg_pipe *q, enum pg_stmt st,
    const struct pg_args *a)
{
	pg_pipe_init(q, pc);
	pg_send(q, st, a);
	return pg_sync(q);
}

struct pg_sched_def {
	const struct ssched *d;
	const struct shours *h;
	size_t n;
	uint64_t id;
};

static int
pg_sched_define_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_sched_def *a = arg;
	struct pg_args d = { 0 }, x = { 0 }, *h = NULL;
	struct pg_pipe q;
	size_t i;
	int err;

	(void)s;
	(void)att;
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	pg_arg_text(&d, a->d->clinician);
	pg_arg_text(&d, a->d->facility);
	pg_arg_text(&d, a->d->region);
	pg_arg_text(&d, a->d->tz);
	pg_arg_text(&d, a->d->service);
	pg_arg_text(&d, a->d->modalities);
	pg_arg_text(&d, a->d->langs);
	pg_send(&q, PG_SCHED_DEFINE, &d);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	if (pg_rows(q.res[1]) != 1) {
		err = EIO;
		goto out;
	}
	a->id = pg_u64(q.res[1], 0, 0);
	pg_pipe_clear(&q);
	pg_pipe_init(&q, pc);
	pg_arg_u64(&x, a->id);
	pg_send(&q, PG_SCHED_HOURS_DEL, &x);
	h = xcalloc(a->n ? a->n : 1, sizeof(*h));
	for (i = 0; i < a->n; i++) {
		pg_arg_u64(&h[i], a->id);
		pg_arg_u64(&h[i], (uint64_t)a->h[i].wday);
		pg_arg_u64(&h[i], (uint64_t)a->h[i].start_min);
		pg_arg_u64(&h[i], (uint64_t)a->h[i].end_min);
		pg_arg_u64(&h[i], (uint64_t)a->h[i].slot_min);
		pg_send(&q, PG_SCHED_HOURS_ADD, &h[i]);
	}
	pg_send_sql(&q, "COMMIT");
	err = pg_sync(&q);
out:
	pg_pipe_clear(&q);
	free(h);
	return err;
}

static int
pg_sched_define(struct sstore *s, const struct ssched *d,
    const struct shours *h, size_t n, uint64_t *id)
{
	struct pg_sched_def a = { d, h, n, 0 };
	int err;

	if ((err = pg_run(s, pg_sched_define_once, &a)) == 0)
		*id = a.id;
	return err;
}

struct pg_sched_get {
	uint64_t id;
	struct ssched *d;
	struct shours *h;
	size_t n;
};

static int
pg_sched_get_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_sched_get *g = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	const PGresult *r;
	size_t i;
	int err;

	(void)s;
	(void)att;
	pg_pipe_init(&q, pc);
	pg_arg_u64(&a, g->id);
	pg_send(&q, PG_SCHED_GET, &a);
	pg_send(&q, PG_SCHED_HOURS_GET, &a);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	r = q.res[0];
	if (pg_rows(r) != 1) {
		err = ENOENT;
		goto out;
	}
	memset(g->d, 0, sizeof(*g->d));
	g->d->id = g->id;
	pg_text(r, 0, 0, g->d->clinician, sizeof(g->d->clinician));
	pg_text(r, 0, 1, g->d->facility, sizeof(g->d->facility));
	pg_text(r, 0, 2, g->d->region, sizeof(g->d->region));
	pg_text(r, 0, 3, g->d->tz, sizeof(g->d->tz));
	pg_text(r, 0, 4, g->d->service, sizeof(g->d->service));
	pg_text(r, 0, 5, g->d->modalities, sizeof(g->d->modalities));
	pg_text(r, 0, 6, g->d->langs, sizeof(g->d->langs));
	r = q.res[1];
	free(g->h);
	g->n = pg_rows(r);
	g->h = xcalloc(g->n ? g->n : 1, sizeof(*g->h));
	for (i = 0; i < g->n; i++) {
		g->h[i].wday = (int)pg_u64(r, (int)i, 0);
		g->h[i].start_min = (int)pg_u64(r, (int)i, 1);
		g->h[i].end_min = (int)pg_u64(r, (int)i, 2);
		g->h[i].slot_min = (int)pg_u64(r, (int)i, 3);
	}
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_sched_get(struct sstore *s, uint64_t id, struct ssched *d,
    struct shours **hours, size_t *nhours)
{
	struct pg_sched_get g = { id, d, NULL, 0 };
	int err;

	if ((err = pg_run(s, pg_sched_get_once, &g)) != 0) {
		free(g.h);
		g.h = NULL;
		g.n = 0;
	}
	*hours = g.h;
	*nhours = g.n;
	return err;
}

struct pg_slots_add {
	uint64_t sched;
	const struct sslot *v;
	size_t n;
	uint64_t added;
};

static int
pg_slots_add_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_slots_add *a = arg;
	struct pg_args *v;
	struct pg_pipe q;
	size_t i;
	int err;

	(void)s;
	(void)att;
	v = xcalloc(a->n ? a->n : 1, sizeof(*v));
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	for (i = 0; i < a->n; i++) {
		pg_arg_u64(&v[i], a->sched);
		pg_arg_u64(&v[i], a->v[i].start_ms);
		pg_arg_u64(&v[i], a->v[i].end_ms);
		pg_send(&q, PG_SLOT_ADD, &v[i]);
	}
	pg_send_sql(&q, "COMMIT");
	a->added = 0;
	if ((err = pg_sync(&q)) == 0)
		for (i = 0; i < a->n; i++)
			a->added += strcmp(PQcmdTuples(q.res[i + 1]), "1") == 0;
	pg_pipe_clear(&q);
	free(v);
	return err;
}

static int
pg_slots_add(struct sstore *s, uint64_t sched, const struct sslot *v, size_t n,
    uint64_t *added)
{
	struct pg_slots_add a = { sched, v, n, 0 };
	int err;

	if ((err = pg_run(s, pg_slots_add_once, &a)) == 0 && added != NULL)
		*added = a.added;
	return err;
}

struct pg_slots_list {
	uint64_t sched, from, to;
	const char *facility;
	struct sslot *v;
	size_t n;
};

static int
pg_slots_list_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_slots_list *l = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	size_t i;
	int err;

	(void)s;
	(void)att;
	pg_arg_u64(&a, l->sched);
	pg_arg_text(&a, l->facility);
	pg_arg_u64(&a, l->from);
	pg_arg_u64(&a, l->to);
	if ((err = pg_one(pc, &q, PG_SLOTS_LIST, &a)) == 0) {
		free(l->v);
		l->n = pg_rows(q.res[0]);
		l->v = xcalloc(l->n ? l->n : 1, sizeof(*l->v));
		for (i = 0; i < l->n; i++)
			pg_slot_row(q.res[0], (int)i, &l->v[i]);
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_slots_list(struct sstore *s, uint64_t sched, const char *facility,
    uint64_t from_ms, uint64_t to_ms, struct sslot **out, size_t *n)
{
	struct pg_slots_list l = { sched, from_ms, to_ms,
		facility ? facility : "", NULL, 0 };
	int err;

	if ((err = pg_run(s, pg_slots_list_once, &l)) != 0) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*out = l.v;
	*n = l.n;
	return err;
}

/* The alternatives to R->slot, inside the open transaction of PC. */
static int
pg_book_alts(struct pg_conn *pc, uint64_t now, struct sbook_result *r)
{
	struct pg_args a = { 0 };
	struct pg_pipe q;
	size_t i;
	int err;

	pg_arg_u64(&a, r->slot.schedule);
	pg_arg_u64(&a, r->slot.id);
	pg_arg_u64(&a, now);
	pg_arg_u64(&a, r->slot.start_ms);
	if ((err = pg_one(pc, &q, PG_APPT_ALTS, &a)) == 0) {
		r->nalts = 0;
		for (i = 0; i < pg_rows(q.res[0]) && i < SBOOK_ALTS; i++)
			pg_slot_row(q.res[0], (int)i, &r->alts[r->nalts++]);
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_commit(struct pg_conn *pc)
{
	struct pg_pipe q;
	int err;

	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "COMMIT");
	err = pg_sync(&q);
	pg_pipe_clear(&q);
	return err;
}

/* Cancel inside the open transaction (sqlite.c's sq_cancel_in). */
static int
pg_cancel_in(struct pg_conn *pc, const uint8_t id[16], uint64_t node,
    const char *why, uint64_t now)
{
	struct pg_args a = { 0 }, c = { 0 };
	struct pg_pipe q;
	char status[24];
	int err;

	pg_arg_bytes(&a, id, 16);
	if ((err = pg_one(pc, &q, PG_APPT_OWNER, &a)) != 0)
		goto out;
	if (pg_rows(q.res[0]) != 1) {
		err = ENOENT;
		goto out;
	}
	pg_text(q.res[0], 0, 0, status, sizeof(status));
	if (node != 0 && pg_u64(q.res[0], 0, 1) != node) {
		err = EACCES;
		goto out;
	}
	if (strcmp(status, "booked") != 0) {
		err = EALREADY;
		goto out;
	}
	pg_pipe_clear(&q);
	pg_arg_bytes(&c, id, 16);
	pg_arg_text(&c, why);
	pg_arg_u64(&c, now);
	err = pg_one(pc, &q, PG_APPT_CANCEL, &c);
out:
	pg_pipe_clear(&q);
	return err;
}

struct pg_book {
	const struct sbook *b;
	struct sbook_result *r;
};

static int
pg_book_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_book *k = arg;
	const struct sbook *b = k->b;
	struct sbook_result *r = k->r;
	struct pg_args a = { 0 }, sl = { 0 }, ck = { 0 }, ins = { 0 },
	               ok = { 0 };
	struct pg_pipe q;
	const PGresult *known, *slot;
	const uint8_t *pat;
	char answer[16], clinician[SSTORE_TEXT_MAX], region[SSTORE_TEXT_MAX];
	size_t len;
	int err, outcome = 0;

	(void)s;
	(void)att;
	memset(r, 0, sizeof(*r));
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	pg_arg_bytes(&a, b->id, 16);
	pg_send(&q, PG_APPT_KNOWN, &a);
	pg_arg_u64(&sl, b->slot);
	pg_send(&q, b->app_check ? PG_SLOT_LOCK : PG_SLOT_GET, &sl);
	pg_arg_u64(&ck, b->slot);
	pg_arg_u64(&ck, b->now_ms);
	if (b->has_entry)
		pg_arg_bytes(&ck, b->entry, 16);
	else
		pg_arg_null(&ck);
	if (b->app_check)
		pg_send(&q, PG_APPT_CHECK, &ck);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	known = q.res[1];
	slot = q.res[2];
	if (pg_rows(slot) == 1)
		pg_slot_row(slot, 0, &r->slot);
	if (pg_rows(known) == 1) {
		pat = pg_bytes(known, 0, 1, &len);
		if (pg_u64(known, 0, 0) != b->slot || len != 16 ||
		    memcmp(pat, b->patient, 16) != 0) {
			err = EEXIST;
			goto out;
		}
		pg_text(known, 0, 2, answer, sizeof(answer));
		r->replay = 1;
		r->outcome =
		    strcmp(answer, "booked") == 0 ? SBOOK_BOOKED : SBOOK_TAKEN;
		if (r->outcome == SBOOK_TAKEN &&
		    (err = pg_book_alts(pc, b->now_ms, r)) != 0)
			goto out;
		err = pg_commit(pc);
		goto out;
	}
	if (pg_rows(slot) != 1 ||
	    (strcmp(r->slot.status, "free") != 0 &&
	        strcmp(r->slot.status, "busy") != 0)) {
		r->outcome = SBOOK_NO_SLOT;
		err = pg_commit(pc);
		goto out;
	}
	if (b->gate_cb != NULL &&
	    (PQgetisnull(slot, 0, 5) ||
	        (pg_text(slot, 0, 5, clinician, sizeof(clinician)),
	            pg_text(slot, 0, 6, region, sizeof(region)),
	            b->gate_cb(&r->slot, clinician, region, b->gate_arg) !=
	                0))) {
		r->outcome = SBOOK_NOT_PERMITTED;
		err = pg_commit(pc);
		goto out;
	}
	if (b->app_check) {
		if (pg_u64(q.res[3], 0, 0) > 0)
			outcome = SBOOK_TAKEN;
		else if (pg_u64(q.res[3], 0, 1) > 0)
			outcome = SBOOK_OFFERED;
	}
	pg_pipe_clear(&q);
	pg_arg_bytes(&ins, b->id, 16);
	pg_arg_u64(&ins, b->slot);
	pg_arg_bytes(&ins, b->patient, 16);
	pg_arg_u64(&ins, b->node);
	pg_arg_u64(&ins, b->now_ms);
	if (outcome == 0) {
		if ((err = pg_one(pc, &q, PG_APPT_INSERT, &ins)) != 0)
			goto out;
		outcome = pg_rows(q.res[0]) == 1 ? SBOOK_BOOKED : SBOOK_TAKEN;
		pg_pipe_clear(&q);
		if (outcome == SBOOK_TAKEN) {
			/* The same id, sent twice at once, lost to itself. */
			if ((err = pg_one(pc, &q, PG_APPT_KNOWN, &a)) != 0)
				goto out;
			if (pg_rows(q.res[0]) == 1) {
				pg_pipe_clear(&q);
				pg_rollback(pc);
				err = EAGAIN;
				goto out;
			}
			pg_pipe_clear(&q);
		}
	}
	r->outcome = outcome;
	if (outcome == SBOOK_TAKEN) {
		if ((err = pg_one(pc, &q, PG_APPT_REFUSE, &ins)) != 0)
			goto out;
		pg_pipe_clear(&q);
	}
	if (outcome != SBOOK_BOOKED) {
		if ((err = pg_book_alts(pc, b->now_ms, r)) == 0)
			err = pg_commit(pc);
		goto out;
	}
	pg_arg_bytes(&ok, b->id, 16);
	pg_arg_u64(&ok, b->slot);
	pg_arg_u64(&ok, b->now_ms);
	if (b->has_entry)
		pg_arg_bytes(&ok, b->entry, 16);
	else
		pg_arg_null(&ok);
	pg_arg_text(&ok, b->has_entry ? "waitlist offer" : "request");
	if ((err = pg_one(pc, &q, PG_APPT_BOOKED, &ok)) != 0)
		goto out;
	pg_pipe_clear(&q);
	if (b->has_replaces &&
	    (err = pg_cancel_in(
	         pc, b->replaces, b->node, "rescheduled", b->now_ms)) != 0) {
		if (err != EIO)
			err = EXDEV;
		goto out;
	}
	err = pg_commit(pc);
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_appt_book(struct sstore *s, const struct sbook *b, struct sbook_result *r)
{
	struct pg_book k = { b, r };
	int err;

	if (b->slot > INT64_MAX || b->now_ms > INT64_MAX)
		return EINVAL;
	/* EAGAIN: the same request twice at once; the second time it is
	 * known and gets the stored answer. */
	if ((err = pg_run(s, pg_book_once, &k)) == EAGAIN)
		err = pg_run(s, pg_book_once, &k);
	return err;
}

struct pg_cancel {
	const uint8_t *id;
	uint64_t node, now;
	const char *why;
};

static int
pg_cancel_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_cancel *c = arg;
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	err = pg_sync(&q);
	pg_pipe_clear(&q);
	if (err == 0 &&
	    (err = pg_cancel_in(pc, c->id, c->node, c->why, c->now)) == 0)
		err = pg_commit(pc);
	return err;
}

static int
pg_appt_cancel(struct sstore *s, const uint8_t id[16], uint64_t node,
    const char *why, uint64_t now_ms)
{
	struct pg_cancel c = { id, node, now_ms, why };

	return pg_run(s, pg_cancel_once, &c);
}

struct pg_checkin {
	const uint8_t *id;
	const char *by;
	uint64_t at, now;
};

static int
pg_checkin_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_checkin *c = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	char status[24];
	int err;

	(void)s;
	(void)att;
	pg_arg_bytes(&a, c->id, 16);
	pg_arg_u64(&a, c->at);
	pg_arg_text(&a, c->by);
	pg_arg_u64(&a, c->now);
	if ((err = pg_one(pc, &q, PG_APPT_CHECKIN, &a)) != 0)
		goto out;
	if (pg_rows(q.res[0]) != 1) {
		err = ENOENT;
		goto out;
	}
	pg_text(q.res[0], 0, 0, status, sizeof(status));
	if (pg_u64(q.res[0], 0, 1) == 0 && strcmp(status, "checked-in") != 0)
		err = EALREADY;
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_appt_checkin(struct sstore *s, const uint8_t id[16], const char *by,
    uint64_t at_ms, uint64_t now_ms)
{
	struct pg_checkin c = { id, by, at_ms, now_ms };

	return pg_run(s, pg_checkin_once, &c);
}

struct pg_sweep {
	uint64_t now, grace, changed;
};

static int
pg_sweep_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_sweep *w = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_arg_u64(&a, w->now);
	pg_arg_u64(&a, w->grace);
	if ((err = pg_one(pc, &q, PG_APPT_SWEEP, &a)) == 0)
		w->changed = pg_rows(q.res[0]);
	pg_pipe_clear(&q);
	return err;
}

static int
pg_appt_sweep(
    struct sstore *s, uint64_t now_ms, uint64_t grace_ms, uint64_t *changed)
{
	struct pg_sweep w = { now_ms, grace_ms, 0 };
	int err;

	if ((err = pg_run(s, pg_sweep_once, &w)) == 0 && changed != NULL)
		*changed = w.changed;
	return err;
}

struct pg_u64q {
	enum pg_stmt st;
	const uint8_t *id;
	uint64_t out;
	char *text;
	size_t size;
	int missing;
};

static int
pg_u64q_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_u64q *u = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	if (u->id != NULL)
		pg_arg_bytes(&a, u->id, 16);
	if ((err = pg_one(pc, &q, u->st, &a)) == 0) {
		if (pg_rows(q.res[0]) != 1)
			err = ENOENT;
		else if (u->text != NULL) {
			pg_text(q.res[0], 0, 0, u->text, u->size);
			u->out = pg_u64(q.res[0], 0, 1);
		} else
			u->out = pg_u64(q.res[0], 0, 0);
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_appt_invariant(struct sstore *s, uint64_t *doubled)
{
	struct pg_u64q u = { PG_APPT_INVARIANT, NULL, 0, NULL, 0, 0 };
	int err;

	if ((err = pg_run(s, pg_u64q_once, &u)) == 0)
		*doubled = u.out;
	return err;
}

static int
pg_appt_audits(struct sstore *s, const uint8_t id[16], uint64_t *n)
{
	struct pg_u64q u = { PG_APPT_AUDITS, id, 0, NULL, 0, 0 };
	int err;

	if ((err = pg_run(s, pg_u64q_once, &u)) == 0)
		*n = u.out;
	return err;
}

static int
pg_appt_status(struct sstore *s, const uint8_t id[16], char *status,
    size_t size, uint64_t *slot)
{
	struct pg_u64q u = { PG_APPT_STATUS, id, 0, status, size, 0 };
	int err;

	if ((err = pg_run(s, pg_u64q_once, &u)) == 0 && slot != NULL)
		*slot = u.out;
	return err;
}

struct pg_scope {
	const char *region, *facility;
	const uint8_t *patient;
	int yes;
};

static int
pg_scope_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_scope *k = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_arg_text(&a, k->region);
	pg_arg_bytes(&a, k->patient, 16);
	pg_arg_text(&a, k->facility);
	if ((err = pg_one(pc, &q, PG_SCOPE_HAS, &a)) == 0)
		k->yes = pg_rows(q.res[0]) > 0;
	pg_pipe_clear(&q);
	return err;
}

static int
pg_patient_in_scope(struct sstore *s, const char *region, const char *facility,
    const uint8_t patient[16], int *yes)
{
	struct pg_scope k = { region, facility, patient, 0 };
	int err;

	*yes = 0;
	if ((err = pg_run(s, pg_scope_once, &k)) == 0)
		*yes = k.yes;
	return err;
}

static int
pg_wait_add_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	const struct swait *w = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_arg_bytes(&a, w->id, 16);
	pg_arg_bytes(&a, w->patient, 16);
	pg_arg_text(&a, w->region);
	pg_arg_text(&a, w->service);
	pg_arg_u64(&a, (uint64_t)w->urgency);
	pg_arg_u64(&a, w->listed_ms);
	pg_arg_u64(&a, w->recommended_ms);
	pg_arg_text(&a, w->lang);
	pg_arg_text(&a, w->modality);
	pg_arg_text(&a, w->clinician);
	err = pg_one(pc, &q, PG_WAIT_ADD, &a);
	pg_pipe_clear(&q);
	return err;
}

static int
pg_wait_add(struct sstore *s, const struct swait *w)
{
	return pg_run(s, pg_wait_add_once, (void *)(uintptr_t)w);
}

struct pg_offer {
	uint64_t slot, now, expires;
	size_t (*rank_cb)(const struct swait *, size_t, const struct ssched *,
	    const struct sslot *, size_t *, void *);
	void *arg;
	struct soffer *out;
};

static int
pg_offer_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_offer *o = arg;
	struct pg_args a = { 0 }, dr = { 0 }, lv = { 0 }, sc = { 0 },
	               cd = { 0 }, ad = { 0 };
	struct pg_pipe q;
	struct ssched d;
	struct sslot slot;
	struct swait *v = NULL;
	size_t n, i, k, len, *order = NULL;
	const PGresult *r;
	const uint8_t *b;
	int err;

	(void)s;
	(void)att;
	memset(&d, 0, sizeof(d));
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	pg_arg_u64(&a, o->slot);
	pg_send(&q, PG_SLOT_LOCK, &a); /* one offer maker per slot */
	pg_arg_u64(&dr, o->slot);
	pg_arg_u64(&dr, o->now);
	pg_arg_null(&dr);
	pg_send(&q, PG_OFFER_DROP, &dr);
	pg_arg_u64(&lv, o->slot);
	pg_arg_u64(&lv, o->now);
	pg_send(&q, PG_OFFER_LIVE, &lv);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	if (pg_rows(q.res[1]) != 1) {
		err = ENOENT;
		goto out;
	}
	pg_slot_row(q.res[1], 0, &slot);
	r = q.res[3];
	if (pg_rows(r) == 1) {
		o->out->slot = o->slot;
		b = pg_bytes(r, 0, 0, &len);
		memcpy(o->out->entry, b, len == 16 ? 16 : 0);
		o->out->offered_ms = pg_u64(r, 0, 1);
		o->out->expires_ms = pg_u64(r, 0, 2);
		err = pg_commit(pc);
		goto out;
	}
	if (strcmp(slot.status, "free") != 0) {
		err = ENOENT;
		goto out;
	}
	pg_pipe_clear(&q);
	pg_arg_u64(&sc, slot.schedule);
	if ((err = pg_one(pc, &q, PG_OFFER_SCHED, &sc)) != 0)
		goto out;
	if (pg_rows(q.res[0]) != 1) {
		err = ENOENT;
		goto out;
	}
	d.id = slot.schedule;
	pg_text(q.res[0], 0, 0, d.clinician, sizeof(d.clinician));
	pg_text(q.res[0], 0, 1, d.facility, sizeof(d.facility));
	pg_text(q.res[0], 0, 2, d.region, sizeof(d.region));
	pg_text(q.res[0], 0, 3, d.service, sizeof(d.service));
	pg_text(q.res[0], 0, 4, d.modalities, sizeof(d.modalities));
	pg_text(q.res[0], 0, 5, d.langs, sizeof(d.langs));
	pg_pipe_clear(&q);
	pg_arg_text(&cd, d.region);
	pg_arg_text(&cd, d.service);
	pg_arg_u64(&cd, o->slot);
	if ((err = pg_one(pc, &q, PG_OFFER_CANDIDATES, &cd)) != 0)
		goto out;
	r = q.res[0];
	n = pg_rows(r);
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		b = pg_bytes(r, (int)i, 0, &len);
		memcpy(v[i].id, b, len == 16 ? 16 : 0);
		b = pg_bytes(r, (int)i, 1, &len);
		memcpy(v[i].patient, b, len == 16 ? 16 : 0);
		str_lcpy(v[i].region, d.region, sizeof(v[i].region));
		str_lcpy(v[i].service, d.service, sizeof(v[i].service));
		v[i].urgency = (int)pg_u64(r, (int)i, 2);
		v[i].listed_ms = pg_u64(r, (int)i, 3);
		v[i].recommended_ms = pg_u64(r, (int)i, 4);
		pg_text(r, (int)i, 5, v[i].lang, sizeof(v[i].lang));
		pg_text(r, (int)i, 6, v[i].modality, sizeof(v[i].modality));
		pg_text(r, (int)i, 7, v[i].clinician, sizeof(v[i].clinician));
	}
	pg_pipe_clear(&q);
	order = xcalloc(n ? n : 1, sizeof(*order));
	k = n ? o->rank_cb(v, n, &d, &slot, order, o->arg) : 0;
	if (k == 0) {
		err = ENOENT;
		goto out;
	}
	o->out->slot = o->slot;
	memcpy(o->out->entry, v[order[0]].id, 16);
	o->out->offered_ms = o->now;
	o->out->expires_ms = o->expires;
	pg_arg_u64(&ad, o->slot);
	pg_arg_bytes(&ad, o->out->entry, 16);
	pg_arg_u64(&ad, o->now);
	pg_arg_u64(&ad, o->expires);
	if ((err = pg_one(pc, &q, PG_OFFER_ADD, &ad)) == 0)
		err = pg_commit(pc);
out:
	pg_pipe_clear(&q);
	free(v);
	free(order);
	return err;
}

static int
pg_wait_offer(struct sstore *s, uint64_t slot, uint64_t now_ms,
    uint64_t expires_ms,
    size_t (*rank_cb)(const struct swait *, size_t, const struct ssched *,
        const struct sslot *, size_t *, void *),
    void *arg, struct soffer *out)
{
	struct pg_offer o = { slot, now_ms, expires_ms, rank_cb, arg, out };

	memset(out, 0, sizeof(*out));
	return pg_run(s, pg_offer_once, &o);
}

struct pg_decline {
	uint64_t slot, now;
	const uint8_t *entry;
};

static int
pg_decline_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_decline *d = arg;
	struct pg_args f = { 0 }, dr = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	pg_arg_u64(&f, d->slot);
	pg_arg_bytes(&f, d->entry, 16);
	pg_arg_u64(&f, d->now);
	pg_send(&q, PG_OFFER_FIND, &f);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	if (pg_rows(q.res[1]) != 1) {
		err = ENOENT;
		goto out;
	}
	pg_pipe_clear(&q);
	pg_arg_u64(&dr, d->slot);
	pg_arg_u64(&dr, d->now);
	pg_arg_bytes(&dr, d->entry, 16);
	if ((err = pg_one(pc, &q, PG_OFFER_DROP, &dr)) == 0)
		err = pg_commit(pc);
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_wait_decline(
    struct sstore *s, uint64_t slot, const uint8_t entry[16], uint64_t now_ms)
{
	struct pg_decline d = { slot, now_ms, entry };

	return pg_run(s, pg_decline_once, &d);
}

/* --- POST /v1/waitlist (issue 15; sqlite.c says what each does) ------- */

struct pg_wait_arg {
	const uint8_t *id;
	uint64_t now, slot;
	struct swait_state *out;
	struct sslot *v;
	size_t n;
};

static int
pg_wait_get_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_wait_arg *x = arg;
	struct swait_state *o = x->out;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	const PGresult *r;
	const uint8_t *b;
	size_t len;
	int err;

	(void)s;
	(void)att;
	memset(o, 0, sizeof(*o));
	pg_arg_bytes(&a, x->id, 16);
	if ((err = pg_one(pc, &q, PG_WAIT_GET, &a)) != 0)
		goto out;
	r = q.res[0];
	if (pg_rows(r) != 1) {
		err = ENOENT;
		goto out;
	}
	memcpy(o->w.id, x->id, 16);
	b = pg_bytes(r, 0, 0, &len);
	memcpy(o->w.patient, b, len == 16 ? 16 : 0);
	pg_text(r, 0, 1, o->w.region, sizeof(o->w.region));
	pg_text(r, 0, 2, o->w.service, sizeof(o->w.service));
	o->w.urgency = (int)pg_u64(r, 0, 3);
	o->w.listed_ms = pg_u64(r, 0, 4);
	o->w.recommended_ms = pg_u64(r, 0, 5);
	pg_text(r, 0, 6, o->w.lang, sizeof(o->w.lang));
	pg_text(r, 0, 7, o->w.modality, sizeof(o->w.modality));
	pg_text(r, 0, 8, o->w.clinician, sizeof(o->w.clinician));
	pg_text(r, 0, 9, o->status, sizeof(o->status));
	o->offers = pg_u64(r, 0, 10);
	if ((o->offer.slot = pg_u64(r, 0, 11)) != 0) {
		memcpy(o->offer.entry, x->id, 16);
		o->offer.offered_ms = pg_u64(r, 0, 12);
		o->offer.expires_ms = pg_u64(r, 0, 13);
		o->start_ms = pg_u64(r, 0, 14);
		o->end_ms = pg_u64(r, 0, 15);
	}
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_wait_get(struct sstore *s, const uint8_t id[16], struct swait_state *out)
{
	struct pg_wait_arg x = { id, 0, 0, out, NULL, 0 };

	return pg_run(s, pg_wait_get_once, &x);
}

static int
pg_wait_remove_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_wait_arg *x = arg;
	struct pg_args a = { 0 }, dr = { 0 }, u = { 0 };
	struct pg_pipe q;
	char status[16] = "";
	int err;

	(void)s;
	(void)att;
	x->slot = 0;
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	pg_arg_bytes(&a, x->id, 16);
	pg_send(&q, PG_WAIT_LOCK, &a);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	if (pg_rows(q.res[1]) != 1) {
		err = ENOENT;
		goto out;
	}
	pg_text(q.res[1], 0, 0, status, sizeof(status));
	x->slot = pg_u64(q.res[1], 0, 1);
	if (strcmp(status, "waiting") != 0 && strcmp(status, "offered") != 0) {
		err = EALREADY;
		goto out;
	}
	pg_pipe_clear(&q);
	pg_pipe_init(&q, pc);
	if (x->slot != 0) {
		pg_arg_u64(&dr, x->slot);
		pg_arg_u64(&dr, x->now);
		pg_arg_bytes(&dr, x->id, 16);
		pg_send(&q, PG_OFFER_DROP, &dr);
	}
	pg_arg_bytes(&u, x->id, 16);
	pg_send(&q, PG_WAIT_REMOVED, &u);
	if ((err = pg_sync(&q)) == 0)
		err = pg_commit(pc);
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_wait_remove(
    struct sstore *s, const uint8_t id[16], uint64_t now_ms, uint64_t *slot)
{
	struct pg_wait_arg x = { id, now_ms, 0, NULL, NULL, 0 };
	int err;

	*slot = 0;
	if ((err = pg_run(s, pg_wait_remove_once, &x)) == 0)
		*slot = x.slot;
	return err;
}

/* Each due slot in its own transaction, locked as an offer maker locks
 * it, so a concurrent offer or booking of that slot waits for it. */
static int
pg_wait_sweep_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_wait_arg *x = arg;
	struct pg_args e = { 0 }, d = { 0 };
	struct pg_pipe q;
	size_t i;
	int err;

	(void)s;
	(void)att;
	free(x->v);
	x->v = NULL;
	x->n = 0;
	pg_pipe_init(&q, pc);
	pg_arg_u64(&e, x->now);
	pg_send(&q, PG_WAIT_EXPIRE, &e);
	pg_arg_u64(&d, x->now);
	pg_send(&q, PG_OFFERS_DUE, &d);
	if ((err = pg_sync(&q)) != 0)
		goto out;
	x->n = pg_rows(q.res[1]);
	x->v = xcalloc(x->n ? x->n : 1, sizeof(*x->v));
	for (i = 0; i < x->n; i++)
		pg_slot_row(q.res[1], (int)i, &x->v[i]);
	for (i = 0; i < x->n && err == 0; i++) {
		struct pg_args l = { 0 }, dr = { 0 };

		pg_pipe_clear(&q);
		pg_pipe_init(&q, pc);
		pg_send_sql(&q, "BEGIN");
		pg_arg_u64(&l, x->v[i].id);
		pg_send(&q, PG_SLOT_LOCK, &l);
		pg_arg_u64(&dr, x->v[i].id);
		pg_arg_u64(&dr, x->now);
		pg_arg_null(&dr);
		pg_send(&q, PG_OFFER_DROP, &dr);
		if ((err = pg_sync(&q)) == 0)
			err = pg_commit(pc);
	}
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_wait_sweep(struct sstore *s, uint64_t now_ms, struct sslot **out, size_t *n)
{
	struct pg_wait_arg x = { NULL, now_ms, 0, NULL, NULL, 0 };
	int err;

	*out = NULL;
	*n = 0;
	if ((err = pg_run(s, pg_wait_sweep_once, &x)) != 0) {
		free(x.v);
		return err;
	}
	*out = x.v;
	*n = x.n;
	return 0;
}

/* --- emergencies (issue 16) -------------------------------------------- */

struct pg_emerg_arg {
	const struct semerg *e;
	const struct semerg_page *p;
	const struct semerg_reply *r;
	const uint8_t *id;
	const char *ext;
	int open, claim, created;
	uint64_t since_ms;
	struct semerg *rows;
	struct semerg_page *prows;
	size_t n;
};

static int
pg_emerg_upsert_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_emerg_arg *x = arg;
	const struct semerg *e = x->e;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_bytes(&a, e->id, 16);
	pg_arg_text(&a, e->code);
	pg_arg_u64(&a, e->node);
	pg_arg_text(&a, e->state);
	pg_arg_u64(&a, e->level);
	pg_arg_u64(&a, e->loop);
	pg_arg_text(&a, e->modem);
	pg_arg_u64(&a, e->hlc);
	pg_arg_u64(&a, e->raised_ms);
	pg_arg_u64(&a, e->first_send_ms);
	pg_arg_u64(&a, e->first_delivery_ms);
	pg_arg_u64(&a, e->acked_ms);
	pg_arg_u64(&a, e->arrived_ms);
	pg_arg_u64(&a, e->ended_ms);
	pg_arg_text(&a, e->acked_by);
	pg_arg_u64(&a, e->eta_min);
	if (e->eng_len > 0)
		pg_arg_bytes(&a, e->eng, e->eng_len);
	else
		pg_arg_null(&a);
	pg_arg_u64(&a, e->updated_ms);
	pg_arg_text(&a, e->page);
	pg_send(&q, PG_EMERG_UPSERT, &a);
	if ((err = pg_sync(&q)) == 0)
		x->created = pg_rows(q.res[0]) == 1 && pg_u64(q.res[0], 0, 0);
	pg_pipe_clear(&q);
	return err;
}

static int
pg_emerg_upsert(struct sstore *s, const struct semerg *e, int *created)
{
	struct pg_emerg_arg x;
	int err;

	memset(&x, 0, sizeof(x));
	x.e = e;
	if ((err = pg_run(s, pg_emerg_upsert_once, &x)) == 0 && created)
		*created = x.created;
	return err;
}

static void
pg_emerg_row(const PGresult *r, int row, struct semerg *e)
{
	const uint8_t *b;
	size_t len;

	memset(e, 0, sizeof(*e));
	b = pg_bytes(r, row, 0, &len);
	if (len == 16)
		memcpy(e->id, b, 16);
	pg_text(r, row, 1, e->code, sizeof(e->code));
	e->node = pg_u64(r, row, 2);
	pg_text(r, row, 3, e->state, sizeof(e->state));
	e->level = pg_u64(r, row, 4);
	e->loop = pg_u64(r, row, 5);
	pg_text(r, row, 6, e->modem, sizeof(e->modem));
	e->hlc = pg_u64(r, row, 7);
	e->raised_ms = pg_u64(r, row, 8);
	e->first_send_ms = pg_u64(r, row, 9);
	e->first_delivery_ms = pg_u64(r, row, 10);
	e->acked_ms = pg_u64(r, row, 11);
	e->arrived_ms = pg_u64(r, row, 12);
	e->ended_ms = pg_u64(r, row, 13);
	pg_text(r, row, 14, e->acked_by, sizeof(e->acked_by));
	e->eta_min = pg_u64(r, row, 15);
	if (!pg_isnull(r, row, 16)) {
		b = pg_bytes(r, row, 16, &len);
		if (len <= sizeof(e->eng)) {
			memcpy(e->eng, b, len);
			e->eng_len = len;
		}
	}
	e->updated_ms = pg_u64(r, row, 17);
	pg_text(r, row, 18, e->page, sizeof(e->page));
}

static int
pg_emerg_list_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_emerg_arg *x = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	enum pg_stmt st;
	size_t i;
	int err;

	(void)s;
	(void)attempt;
	free(x->rows);
	x->rows = NULL;
	x->n = 0;
	pg_pipe_init(&q, pc);
	if (x->id != NULL) {
		st = PG_EMERG_GET;
		pg_arg_bytes(&a, x->id, 16);
	} else if (x->open)
		st = PG_EMERG_OPEN;
	else {
		st = PG_EMERG_SINCE;
		pg_arg_u64(&a, x->since_ms);
	}
	pg_send(&q, st, st == PG_EMERG_OPEN ? NULL : &a);
	if ((err = pg_sync(&q)) == 0) {
		x->n = pg_rows(q.res[0]);
		x->rows = xcalloc(x->n ? x->n : 1, sizeof(*x->rows));
		for (i = 0; i < x->n; i++)
			pg_emerg_row(q.res[0], (int)i, &x->rows[i]);
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_emerg_list(struct sstore *s, const uint8_t *id, int open, uint64_t since_ms,
    int (*cb)(const struct semerg *, void *), void *arg)
{
	struct pg_emerg_arg x;
	size_t i;
	int err;

	memset(&x, 0, sizeof(x));
	x.id = id;
	x.open = open;
	x.since_ms = since_ms;
	err = pg_run(s, pg_emerg_list_once, &x);
	for (i = 0; err == 0 && i < x.n; i++)
		if (!(open && since_ms > x.rows[i].raised_ms))
			err = cb(&x.rows[i], arg);
	free(x.rows);
	return err;
}

static int
pg_emerg_page_put_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_emerg_arg *x = arg;
	const struct semerg_page *p = x->p;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_bytes(&a, p->incident, 16);
	pg_arg_u64(&a, p->loop);
	pg_arg_u64(&a, p->level);
	pg_arg_text(&a, p->rcpt);
	pg_arg_text(&a, p->channel);
	pg_arg_text(&a, p->status);
	pg_arg_u64(&a, p->attempt);
	pg_arg_text(&a, p->ext_id);
	pg_arg_u64(&a, p->at_ms);
	pg_arg_u64(&a, p->updated_ms);
	pg_send(&q, x->claim ? PG_EMERG_PAGE_CLAIM : PG_EMERG_PAGE_PUT, &a);
	if ((err = pg_sync(&q)) == 0 && x->claim && pg_rows(q.res[0]) == 0)
		err = EEXIST;
	pg_pipe_clear(&q);
	return err;
}

static int
pg_emerg_page_put(struct sstore *s, const struct semerg_page *p, int claim)
{
	struct pg_emerg_arg x;

	memset(&x, 0, sizeof(x));
	x.p = p;
	x.claim = claim;
	return pg_run(s, pg_emerg_page_put_once, &x);
}

static int
pg_emerg_pages_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_emerg_arg *x = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	const PGresult *r;
	const uint8_t *b;
	size_t i, len;
	int err;

	(void)s;
	(void)attempt;
	free(x->prows);
	x->prows = NULL;
	x->n = 0;
	pg_pipe_init(&q, pc);
	if (x->id != NULL)
		pg_arg_bytes(&a, x->id, 16);
	else
		pg_arg_text(&a, x->ext ? x->ext : "");
	pg_send(&q, x->id != NULL ? PG_EMERG_PAGES_OF : PG_EMERG_PAGES_EXT, &a);
	if ((err = pg_sync(&q)) == 0) {
		r = q.res[0];
		x->n = pg_rows(r);
		x->prows = xcalloc(x->n ? x->n : 1, sizeof(*x->prows));
		for (i = 0; i < x->n; i++) {
			struct semerg_page *p = &x->prows[i];
			int row = (int)i;

			b = pg_bytes(r, row, 0, &len);
			if (len == 16)
				memcpy(p->incident, b, 16);
			p->loop = pg_u64(r, row, 1);
			p->level = pg_u64(r, row, 2);
			pg_text(r, row, 3, p->rcpt, sizeof(p->rcpt));
			pg_text(r, row, 4, p->channel, sizeof(p->channel));
			pg_text(r, row, 5, p->status, sizeof(p->status));
			p->attempt = pg_u64(r, row, 6);
			pg_text(r, row, 7, p->ext_id, sizeof(p->ext_id));
			p->at_ms = pg_u64(r, row, 8);
			p->updated_ms = pg_u64(r, row, 9);
		}
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_emerg_pages(struct sstore *s, const uint8_t *id, const char *ext,
    int (*cb)(const struct semerg_page *, void *), void *arg)
{
	struct pg_emerg_arg x;
	size_t i;
	int err;

	memset(&x, 0, sizeof(x));
	x.id = id;
	x.ext = ext;
	err = pg_run(s, pg_emerg_pages_once, &x);
	for (i = 0; err == 0 && i < x.n; i++)
		err = cb(&x.prows[i], arg);
	free(x.prows);
	return err;
}

static int
pg_emerg_reply_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	static const uint8_t zero[16];
	struct pg_emerg_arg *x = arg;
	const struct semerg_reply *r = x->r;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_text(&a, r->ext_id);
	if (memcmp(r->incident, zero, 16) != 0)
		pg_arg_bytes(&a, r->incident, 16);
	else
		pg_arg_null(&a);
	pg_arg_text(&a, r->from);
	pg_arg_text(&a, r->text);
	pg_arg_text(&a, r->kind);
	pg_arg_u64(&a, r->counted);
	pg_arg_u64(&a, r->at_ms);
	pg_send(&q, PG_EMERG_REPLY_ADD, &a);
	if ((err = pg_sync(&q)) == 0 && pg_rows(q.res[0]) == 0)
		err = EEXIST;
	pg_pipe_clear(&q);
	return err;
}

static int
pg_emerg_reply_add(struct sstore *s, const struct semerg_reply *r)
{
	struct pg_emerg_arg x;

	memset(&x, 0, sizeof(x));
	x.r = r;
	return pg_run(s, pg_emerg_reply_once, &x);
}

/* --- partners (issue 16) ---------------------------------------------- */

struct pg_partner_arg {
	struct spartner *p;
	const struct spq *q;
	const char *region;
	const uint8_t *incident;
	uint64_t due_ms;
	size_t n;
	struct spartner *prows;
	struct spq *qrows;
};

static int
pg_partner_add_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_partner_arg *x = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_text(&a, x->p->region);
	pg_arg_text(&a, x->p->url);
	pg_arg_text(&a, x->p->format);
	pg_arg_text(&a, x->p->secret);
	pg_arg_u64(&a, x->p->added_ms);
	pg_send(&q, PG_PARTNER_ADD, &a);
	if ((err = pg_sync(&q)) == 0) {
		if (pg_rows(q.res[0]) == 0)
			err = EEXIST;
		else
			x->p->id = pg_u64(q.res[0], 0, 0);
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_partner_add(struct sstore *s, struct spartner *p)
{
	struct pg_partner_arg x;

	memset(&x, 0, sizeof(x));
	x.p = p;
	return pg_run(s, pg_partner_add_once, &x);
}

static int
pg_partner_list_once(
    struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_partner_arg *x = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	const PGresult *r;
	size_t i;
	int err;

	(void)s;
	(void)attempt;
	free(x->prows);
	x->prows = NULL;
	x->n = 0;
	pg_pipe_init(&q, pc);
	pg_arg_text(&a, x->region ? x->region : "");
	pg_send(&q, PG_PARTNER_LIST, &a);
	if ((err = pg_sync(&q)) == 0) {
		r = q.res[0];
		x->n = pg_rows(r);
		x->prows = xcalloc(x->n ? x->n : 1, sizeof(*x->prows));
		for (i = 0; i < x->n; i++) {
			struct spartner *p = &x->prows[i];
			int row = (int)i;

			p->id = pg_u64(r, row, 0);
			pg_text(r, row, 1, p->region, sizeof(p->region));
			pg_text(r, row, 2, p->url, sizeof(p->url));
			pg_text(r, row, 3, p->format, sizeof(p->format));
			pg_text(r, row, 4, p->secret, sizeof(p->secret));
			p->added_ms = pg_u64(r, row, 5);
		}
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_partner_list(struct sstore *s, const char *region,
    int (*cb)(const struct spartner *, void *), void *arg)
{
	struct pg_partner_arg x;
	size_t i;
	int err;

	memset(&x, 0, sizeof(x));
	x.region = region;
	err = pg_run(s, pg_partner_list_once, &x);
	for (i = 0; err == 0 && i < x.n; i++)
		err = cb(&x.prows[i], arg);
	if (x.prows != NULL)
		explicit_bzero(x.prows, (x.n ? x.n : 1) * sizeof(*x.prows));
	free(x.prows);
	return err;
}

static int
pg_pq_add_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_partner_arg *x = arg;
	const struct spq *p = x->q;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_u64(&a, p->partner);
	pg_arg_bytes(&a, p->incident, 16);
	pg_arg_u64(&a, p->seq);
	pg_arg_text(&a, p->kind);
	pg_arg_text(&a, p->status);
	pg_arg_u64(&a, p->attempts);
	pg_arg_u64(&a, p->next_ms);
	pg_arg_u64(&a, p->created_ms);
	pg_arg_u64(&a, p->updated_ms);
	pg_arg_text(&a, p->last_error);
	pg_arg_text(&a, p->body ? p->body : "");
	pg_send(&q, PG_PQ_ADD, &a);
	if ((err = pg_sync(&q)) == 0 && pg_rows(q.res[0]) == 0)
		err = EEXIST;
	pg_pipe_clear(&q);
	return err;
}

static int
pg_pq_add(struct sstore *s, const struct spq *q)
{
	struct pg_partner_arg x;

	memset(&x, 0, sizeof(x));
	x.q = q;
	return pg_run(s, pg_pq_add_once, &x);
}

static void
pg_pq_rows_free(struct pg_partner_arg *x)
{
	size_t i;

	for (i = 0; x->qrows != NULL && i < x->n; i++)
		free((char *)x->qrows[i].body);
	free(x->qrows);
	x->qrows = NULL;
	x->n = 0;
}

static int
pg_pq_list_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_partner_arg *x = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	const PGresult *r;
	const uint8_t *b;
	size_t i, len;
	int err;

	(void)s;
	(void)attempt;
	pg_pq_rows_free(x);
	pg_pipe_init(&q, pc);
	if (x->incident != NULL)
		pg_arg_bytes(&a, x->incident, 16);
	else
		pg_arg_u64(&a, x->due_ms);
	pg_send(&q, x->incident != NULL ? PG_PQ_OF : PG_PQ_DUE, &a);
	if ((err = pg_sync(&q)) == 0) {
		r = q.res[0];
		x->n = pg_rows(r);
		x->qrows = xcalloc(x->n ? x->n : 1, sizeof(*x->qrows));
		for (i = 0; i < x->n; i++) {
			struct spq *p = &x->qrows[i];
			int row = (int)i;

			p->partner = pg_u64(r, row, 0);
			b = pg_bytes(r, row, 1, &len);
			if (len == 16)
				memcpy(p->incident, b, 16);
			p->seq = pg_u64(r, row, 2);
			pg_text(r, row, 3, p->kind, sizeof(p->kind));
			pg_text(r, row, 4, p->status, sizeof(p->status));
			p->attempts = pg_u64(r, row, 5);
			p->next_ms = pg_u64(r, row, 6);
			p->created_ms = pg_u64(r, row, 7);
			p->updated_ms = pg_u64(r, row, 8);
			pg_text(
			    r, row, 9, p->last_error, sizeof(p->last_error));
			p->body = xstrdup(PQgetvalue(r, row, 10));
		}
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_pq_list(struct sstore *s, const uint8_t *incident, uint64_t due_ms,
    int (*cb)(const struct spq *, void *), void *arg)
{
	struct pg_partner_arg x;
	size_t i;
	int err;

	memset(&x, 0, sizeof(x));
	x.incident = incident;
	x.due_ms = due_ms;
	err = pg_run(s, pg_pq_list_once, &x);
	for (i = 0; err == 0 && i < x.n; i++)
		err = cb(&x.qrows[i], arg);
	pg_pq_rows_free(&x);
	return err;
}

static int
pg_pq_mark_once(struct sstore *s, struct pg_conn *pc, void *arg, int attempt)
{
	struct pg_partner_arg *x = arg;
	const struct spq *p = x->q;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)attempt;
	pg_pipe_init(&q, pc);
	pg_arg_text(&a, p->status);
	pg_arg_u64(&a, p->attempts);
	pg_arg_u64(&a, p->next_ms);
	pg_arg_u64(&a, p->updated_ms);
	pg_arg_text(&a, p->last_error);
	pg_arg_u64(&a, p->partner);
	pg_arg_bytes(&a, p->incident, 16);
	pg_arg_u64(&a, p->seq);
	pg_send(&q, PG_PQ_MARK, &a);
	err = pg_sync(&q);
	pg_pipe_clear(&q);
	return err;
}

static int
pg_pq_mark(struct sstore *s, const struct spq *q)
{
	struct pg_partner_arg x;

	memset(&x, 0, sizeof(x));
	x.q = q;
	return pg_run(s, pg_pq_mark_once, &x);
}

/* --- claims (issue 15) ------------------------------------------------- */

struct pg_ev_put {
	const struct sclaim_ev *ev;
	size_t n;
	int *mismatch;
};

static void
pg_ev_args(struct pg_args *a, const struct sclaim_ev *e)
{
	memset(a, 0, sizeof(*a));
	pg_arg_bytes(a, e->subject, 16);
	pg_arg_bytes(a, e->rec, 16);
	pg_arg_u64(a, e->hlc);
	pg_arg_text(a, e->kind);
	if (e->has_patient)
		pg_arg_bytes(a, e->patient, 16);
	else
		pg_arg_null(a);
	pg_arg_text(a, e->clinician);
	pg_arg_u64(a, e->node);
	pg_arg_text(a, e->region);
	pg_arg_text(a, e->facility);
	pg_arg_bytes(a, e->hash, 32);
	pg_arg_bytes(a, e->len ? (const void *)e->body : "", e->len);
	pg_arg_u64(a, e->at_ms);
}

/* One transaction: BEGIN, a statement per piece, COMMIT. */
static int
pg_ev_put_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_ev_put *k = arg;
	struct pg_args *a = xcalloc(k->n, sizeof(*a));
	struct pg_pipe q;
	const PGresult *r;
	const uint8_t *h;
	size_t i, len;
	int err;

	(void)s;
	(void)att;
	pg_pipe_init(&q, pc);
	pg_send_sql(&q, "BEGIN");
	for (i = 0; i < k->n; i++) {
		pg_ev_args(&a[i], &k->ev[i]);
		pg_send(&q, PG_CLAIM_EV_PUT, &a[i]);
	}
	pg_send_sql(&q, "COMMIT");
	if ((err = pg_sync(&q)) != 0)
		goto out;
	for (i = 0; i < k->n && k->mismatch != NULL; i++) {
		r = q.res[i + 1];
		k->mismatch[i] = 0;
		if (pg_rows(r) == 1 && pg_u64(r, 0, 0) == 0 &&
		    !pg_isnull(r, 0, 1)) {
			h = pg_bytes(r, 0, 1, &len);
			k->mismatch[i] =
			    len != 32 || memcmp(h, k->ev[i].hash, 32) != 0;
		}
	}
out:
	pg_pipe_clear(&q);
	if (err != 0)
		pg_rollback(pc);
	free(a);
	return err;
}

static int
pg_claim_ev_put(
    struct sstore *s, const struct sclaim_ev *ev, size_t n, int *mismatch)
{
	struct pg_ev_put k = { ev, n, mismatch };
	size_t i;

	for (i = 0; i < n; i++)
		if (ev[i].hlc > INT64_MAX || ev[i].node > INT64_MAX ||
		    ev[i].at_ms > INT64_MAX)
			return EINVAL;
	return n == 0 ? 0 : pg_run(s, pg_ev_put_once, &k);
}

static void
pg_claimq_args(struct pg_args *a, const struct sclaimq *q, int claims)
{
	if (q->subject != NULL)
		pg_arg_bytes(a, q->subject, 16);
	else
		pg_arg_null(a);
	if (q->patient != NULL)
		pg_arg_bytes(a, q->patient, 16);
	else
		pg_arg_null(a);
	if (q->clinician != NULL)
		pg_arg_text(a, q->clinician);
	else
		pg_arg_null(a);
	if (q->kind != NULL)
		pg_arg_text(a, q->kind);
	else
		pg_arg_null(a);
	if (!claims)
		return;
	if (q->status != NULL)
		pg_arg_text(a, q->status);
	else
		pg_arg_null(a);
	if (q->payer != NULL)
		pg_arg_text(a, q->payer);
	else
		pg_arg_null(a);
}

static void
pg_id16(const PGresult *r, int row, int col, uint8_t out[16], int *has)
{
	const uint8_t *v;
	size_t len = 0;
	int ok;

	v = pg_isnull(r, row, col) ? NULL : pg_bytes(r, row, col, &len);
	ok = v != NULL && len == 16;
	memset(out, 0, 16);
	if (ok)
		memcpy(out, v, 16);
	if (has != NULL)
		*has = ok;
}

struct pg_claim_list {
	const struct sclaimq *q;
	void (*ev_cb)(const struct sclaim_ev *, void *);
	void (*claim_cb)(const struct sclaim *, void *);
	void (*nobill_cb)(const struct snobill *, void *);
	void *arg;
};

static int
pg_ev_list_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_claim_list *l = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	struct sclaim_ev e;
	const PGresult *r;
	const uint8_t *v;
	size_t i, len;
	int err;

	(void)s;
	(void)att;
	pg_claimq_args(&a, l->q, 0);
	if ((err = pg_one(pc, &q, PG_CLAIM_EV_LIST, &a)) != 0)
		goto out;
	r = q.res[0];
	for (i = 0; i < pg_rows(r); i++) {
		memset(&e, 0, sizeof(e));
		pg_id16(r, (int)i, 0, e.subject, NULL);
		pg_id16(r, (int)i, 1, e.rec, NULL);
		e.hlc = pg_u64(r, (int)i, 2);
		pg_text(r, (int)i, 3, e.kind, sizeof(e.kind));
		pg_id16(r, (int)i, 4, e.patient, &e.has_patient);
		pg_text(r, (int)i, 5, e.clinician, sizeof(e.clinician));
		e.node = pg_u64(r, (int)i, 6);
		pg_text(r, (int)i, 7, e.region, sizeof(e.region));
		pg_text(r, (int)i, 8, e.facility, sizeof(e.facility));
		v = pg_bytes(r, (int)i, 9, &len);
		if (len == 32)
			memcpy(e.hash, v, 32);
		e.body = pg_bytes(r, (int)i, 10, &e.len);
		e.at_ms = pg_u64(r, (int)i, 11);
		l->ev_cb(&e, l->arg);
	}
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_claim_ev_list(struct sstore *s, const struct sclaimq *q,
    void (*cb)(const struct sclaim_ev *, void *), void *arg)
{
	struct pg_claim_list l = { q, cb, NULL, NULL, arg };

	return pg_run(s, pg_ev_list_once, &l);
}

struct pg_claim_put {
	const struct sclaim *c;
	int created;
};

static int
pg_claim_put_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_claim_put *k = arg;
	const struct sclaim *c = k->c;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_arg_bytes(&a, c->subject, 16);
	pg_arg_text(&a, c->payer);
	pg_arg_text(&a, c->business_id);
	if (c->has_appt)
		pg_arg_bytes(&a, c->appt, 16);
	else
		pg_arg_null(&a);
	pg_arg_bytes(&a, c->patient, 16);
	pg_arg_text(&a, c->member);
	pg_arg_text(&a, c->regno);
	pg_arg_text(&a, c->facility);
	pg_arg_text(&a, c->service);
	pg_arg_text(&a, c->mode);
	pg_arg_text(&a, c->status);
	pg_arg_text(&a, c->hold);
	pg_arg_u64(&a, (uint64_t)c->price);
	pg_arg_u64(&a, c->service_ms);
	pg_arg_u64(&a, 1);
	pg_arg_bytes(&a, c->digest, 32);
	pg_arg_u64(&a, c->created_ms);
	pg_arg_u64(&a, c->updated_ms);
	if ((err = pg_one(pc, &q, PG_CLAIM_PUT, &a)) == 0)
		k->created =
		    pg_rows(q.res[0]) == 1 && pg_u64(q.res[0], 0, 0) > 0;
	pg_pipe_clear(&q);
	return err;
}

static int
pg_claim_put(struct sstore *s, const struct sclaim *c, int *created)
{
	struct pg_claim_put k = { c, 0 };
	int err;

	if (c->price < 0 || c->service_ms > INT64_MAX ||
	    c->created_ms > INT64_MAX || c->updated_ms > INT64_MAX)
		return EINVAL;
	if ((err = pg_run(s, pg_claim_put_once, &k)) == 0 && created != NULL)
		*created = k.created;
	return err;
}

static int
pg_nobill_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	const struct snobill *n = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_arg_bytes(&a, n->subject, 16);
	if (n->reason[0] == '\0') {
		err = pg_one(pc, &q, PG_NOBILL_DEL, &a);
		pg_pipe_clear(&q);
		return err;
	}
	pg_arg_text(&a, n->kind);
	if (n->has_patient)
		pg_arg_bytes(&a, n->patient, 16);
	else
		pg_arg_null(&a);
	pg_arg_text(&a, n->reason);
	pg_arg_u64(&a, n->decided_ms);
	err = pg_one(pc, &q, PG_NOBILL_PUT, &a);
	pg_pipe_clear(&q);
	return err;
}

static int
pg_claim_nobill(struct sstore *s, const struct snobill *n)
{
	if (n->decided_ms > INT64_MAX)
		return EINVAL;
	return pg_run(s, pg_nobill_once, (void *)(uintptr_t)n);
}

static int
pg_claims_list_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_claim_list *l = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	struct sclaim c;
	const PGresult *r;
	const uint8_t *v;
	size_t i, len;
	int err;

	(void)s;
	(void)att;
	pg_claimq_args(&a, l->q, 1);
	if ((err = pg_one(pc, &q, PG_CLAIMS_LIST, &a)) != 0)
		goto out;
	r = q.res[0];
	for (i = 0; i < pg_rows(r); i++) {
		memset(&c, 0, sizeof(c));
		pg_id16(r, (int)i, 0, c.subject, NULL);
		pg_id16(r, (int)i, 1, c.appt, &c.has_appt);
		pg_id16(r, (int)i, 2, c.patient, NULL);
		pg_text(r, (int)i, 3, c.business_id, sizeof(c.business_id));
		pg_text(r, (int)i, 4, c.payer, sizeof(c.payer));
		pg_text(r, (int)i, 5, c.member, sizeof(c.member));
		pg_text(r, (int)i, 6, c.regno, sizeof(c.regno));
		pg_text(r, (int)i, 7, c.facility, sizeof(c.facility));
		pg_text(r, (int)i, 8, c.service, sizeof(c.service));
		pg_text(r, (int)i, 9, c.mode, sizeof(c.mode));
		pg_text(r, (int)i, 10, c.status, sizeof(c.status));
		pg_text(r, (int)i, 11, c.hold, sizeof(c.hold));
		c.price = (int64_t)pg_u64(r, (int)i, 12);
		c.service_ms = pg_u64(r, (int)i, 13);
		c.created_ms = pg_u64(r, (int)i, 14);
		c.updated_ms = pg_u64(r, (int)i, 15);
		v = pg_bytes(r, (int)i, 16, &len);
		if (len == 32)
			memcpy(c.digest, v, 32);
		l->claim_cb(&c, l->arg);
	}
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_claims_list(struct sstore *s, const struct sclaimq *q,
    void (*cb)(const struct sclaim *, void *), void *arg)
{
	struct pg_claim_list l = { q, NULL, cb, NULL, arg };

	return pg_run(s, pg_claims_list_once, &l);
}

static int
pg_nobill_list_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_claim_list *l = arg;
	struct pg_pipe q;
	struct snobill n;
	const PGresult *r;
	size_t i;
	int err;

	(void)s;
	(void)att;
	if ((err = pg_one(pc, &q, PG_NOBILL_LIST, NULL)) != 0)
		goto out;
	r = q.res[0];
	for (i = 0; i < pg_rows(r); i++) {
		memset(&n, 0, sizeof(n));
		pg_id16(r, (int)i, 0, n.subject, NULL);
		pg_text(r, (int)i, 1, n.kind, sizeof(n.kind));
		pg_id16(r, (int)i, 2, n.patient, &n.has_patient);
		pg_text(r, (int)i, 3, n.reason, sizeof(n.reason));
		n.decided_ms = pg_u64(r, (int)i, 4);
		l->nobill_cb(&n, l->arg);
	}
out:
	pg_pipe_clear(&q);
	return err;
}

static int
pg_nobill_list(
    struct sstore *s, void (*cb)(const struct snobill *, void *), void *arg)
{
	struct pg_claim_list l = { NULL, NULL, NULL, cb, arg };

	return pg_run(s, pg_nobill_list_once, &l);
}

struct pg_claim_status {
	const char *bid, *from, *to, *why;
	uint64_t now;
};

static int
pg_claim_status_once(struct sstore *s, struct pg_conn *pc, void *arg, int att)
{
	struct pg_claim_status *k = arg;
	struct pg_args a = { 0 };
	struct pg_pipe q;
	int err;

	(void)s;
	(void)att;
	pg_arg_text(&a, k->bid);
	pg_arg_text(&a, k->from);
	pg_arg_text(&a, k->to);
	pg_arg_text(&a, k->why);
	pg_arg_u64(&a, k->now);
	if ((err = pg_one(pc, &q, PG_CLAIM_STATUS, &a)) == 0) {
		if (pg_rows(q.res[0]) != 1)
			err = ENOENT;
		else if (pg_u64(q.res[0], 0, 1) == 0)
			err = EALREADY;
	}
	pg_pipe_clear(&q);
	return err;
}

static int
pg_claim_status(struct sstore *s, const char *bid, const char *from,
    const char *to, const char *why, uint64_t now_ms)
{
	struct pg_claim_status k = { bid, from, to, why, now_ms };

	return pg_run(s, pg_claim_status_once, &k);
}

const struct store_backend store_pg_backend = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.token_add = pg_token_add,
	.enroll = pg_enroll,
	.node_get = pg_node_get,
	.node_revoke = pg_node_revoke,
	.node_touch = pg_node_touch,
	.push = pg_push,
	.pull = pg_pull,
	.alert = pg_alert,
	.stats = pg_stats,
	.manifest = pg_manifest,
	.consult_queue = pg_consult_queue,
	.sched_define = pg_sched_define,
	.sched_get = pg_sched_get,
	.slots_add = pg_slots_add,
	.slots_list = pg_slots_list,
	.appt_book = pg_appt_book,
	.appt_cancel = pg_appt_cancel,
	.appt_checkin = pg_appt_checkin,
	.appt_sweep = pg_appt_sweep,
	.appt_status = pg_appt_status,
	.appt_invariant = pg_appt_invariant,
	.appt_audits = pg_appt_audits,
	.patient_in_scope = pg_patient_in_scope,
	.wait_add = pg_wait_add,
	.wait_offer = pg_wait_offer,
	.wait_decline = pg_wait_decline,
	.wait_get = pg_wait_get,
	.wait_remove = pg_wait_remove,
	.wait_sweep = pg_wait_sweep,
	.blob_own = pg_blob_own,
	.blob_owned = pg_blob_owned,
	.blob_usage = pg_blob_usage,
	.meta_get = pg_meta_get,
	.meta_put = pg_meta_put,
	.licence_put = pg_licence_put,
	.licence_list = pg_licence_list,
	.emerg_upsert = pg_emerg_upsert,
	.emerg_list = pg_emerg_list,
	.emerg_page_put = pg_emerg_page_put,
	.emerg_pages = pg_emerg_pages,
	.emerg_reply_add = pg_emerg_reply_add,
	.partner_add = pg_partner_add,
	.partner_list = pg_partner_list,
	.pq_add = pg_pq_add,
	.pq_list = pg_pq_list,
	.pq_mark = pg_pq_mark,
	.anchor_get = pg_anchor_get,
	.anchor_add = pg_anchor_add,
	.anchor_list = pg_anchor_list,
	.breakglass_add = pg_breakglass_add,
	.breakglass_list = pg_breakglass_list,
	.bgsearch_add = pg_bgsearch_add,
	.bgsearch_admit = pg_bgsearch_admit,
	.bgsearch_list = pg_bgsearch_list,
	.claim_ev_put = pg_claim_ev_put,
	.claim_ev_list = pg_claim_ev_list,
	.claim_put = pg_claim_put,
	.claim_nobill = pg_claim_nobill,
	.claims_list = pg_claims_list,
	.nobill_list = pg_nobill_list,
	.claim_status = pg_claim_status,
};
