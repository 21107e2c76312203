/*
 * The store conformance list: the same cases run against every backend of
 * sync-server/store/backend.h, the embedded SQLite store (a temporary
 * directory) and PostgreSQL (a fresh database of a throwaway cluster,
 * tests/tools/pgcluster.sh).  Each case prints PASS/FAIL as
 * "<backend>/<case>"; PostgreSQL cases are skipped, with the reason, only
 * when its server is not installed.  A few cases are PostgreSQL's own:
 * the pull uses an index scan (EXPLAIN), and the pool holds its size and
 * hides a terminated backend from the caller.
 *
 *   test_backend [-l] [backend/case | case ...]
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "compat.h"
#include "crypto.h"
#include "licence.h"
#include "log.h"
#include "protocol.h"
#include "sync-server/policy.h"
#include "sync-server/store/backend.h"
#include "sync-server/store/pg_int.h"
#include "test.h"
#include "xmalloc.h"
#include "pgtest.h"

struct ctx {
	const struct store_backend *be;
	char target[256]; /* directory or conninfo */
	char dir[64];
	struct pgtest *pg; /* PostgreSQL only */
	char db[32];
};

/* --- helpers ------------------------------------------------------------ */

static int
enc_cb(const struct spush *p, uint64_t hw, uint64_t accepted, uint64_t dups,
    uint8_t **out, size_t *len, void *arg)
{
	char buf[128];
	int n;

	(void)arg;
	n = snprintf(buf, sizeof(buf),
	    "node=%llu first=%llu hw=%llu a=%llu"
	    " d=%llu",
	    (unsigned long long)p->node, (unsigned long long)p->first,
	    (unsigned long long)hw, (unsigned long long)accepted,
	    (unsigned long long)dups);
	*out = xmemdup(buf, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* A node of ROLE enrolled in REGION at FACILITY (NULL: "f<TAG>"). */
static int
mk_node_as(const struct ctx *c, struct sstore *s, uint8_t tag, const char *role,
    const char *region, const char *facility, struct snode *out)
{
	struct stoken t;
	uint8_t pub[32];
	int err;

	memset(&t, 0, sizeof(t));
	memset(t.hash, tag, sizeof(t.hash));
	snprintf(t.role, sizeof(t.role), "%s", role);
	snprintf(t.region, sizeof(t.region), "%s", region);
	if (facility != NULL)
		snprintf(t.facility, sizeof(t.facility), "%s", facility);
	else
		snprintf(t.facility, sizeof(t.facility), "f%u", tag);
	t.expires_ms = 10000;
	if ((err = c->be->token_add(s, &t)) != 0)
		return err;
	memset(pub, tag, sizeof(pub));
	return c->be->enroll(s, t.hash, pub, "kiosk", 1000, out);
}

/* A clinic node enrolled in REGION at FACILITY (NULL: "f<TAG>"). */
static int
mk_node_in(const struct ctx *c, struct sstore *s, uint8_t tag,
    const char *region, const char *facility, struct snode *out)
{
	return mk_node_as(c, s, tag, "clinic", region, facility, out);
}

static int
mk_node(const struct ctx *c, struct sstore *s, uint8_t tag, const char *region,
    struct snode *out)
{
	return mk_node_in(c, s, tag, region, NULL, out);
}

/* Changes SEQ FIRST..LAST of NODE: body "n<node>s<seq><suffix>". */
struct batch {
	struct schange ch[64];
	char body[64][48];
	struct spush p;
};

static void
mk_batch(struct batch *b, uint64_t node, uint64_t first, uint64_t last,
    const char *suffix)
{
	uint64_t q;
	size_t i = 0;

	memset(b, 0, sizeof(*b));
	for (q = first; q <= last && i < 64; q++, i++) {
		snprintf(b->body[i], sizeof(b->body[i]), "n%llus%llu%s",
		    (unsigned long long)node, (unsigned long long)q, suffix);
		b->ch[i].seq = q;
		b->ch[i].entity = (int)(q % 5) + 1;
		memset(b->ch[i].id, (int)q, 16);
		b->ch[i].id[0] = (uint8_t)node;
		b->ch[i].hlc = 1000 + q;
		b->ch[i].body = (const uint8_t *)b->body[i];
		b->ch[i].len = strlen(b->body[i]);
	}
	b->p.node = node;
	b->p.first = first;
	b->p.last = last;
	b->p.changes = b->ch;
	b->p.n = i;
	crypto_sha256(b->body, sizeof(b->body[0]) * i, b->p.hash);
	b->p.now_ms = 5000;
	b->p.encode_cb = enc_cb;
}

static int
push_ok(const struct ctx *c, struct sstore *s, uint64_t node, uint64_t first,
    uint64_t last)
{
	struct batch b;
	struct spush_result r;
	int err;

	mk_batch(&b, node, first, last, "");
	err = c->be->push(s, &b.p, &r);
	free(r.response);
	return err;
}

/* Pull NODE's scope to the end, 3 at a time: how many changes. */
static int
pull_all(const struct ctx *c, struct sstore *s, const struct snode *n,
    uint8_t **cursor, size_t *cursor_len, size_t *count)
{
	struct spull_result r;
	int err, more = 1;

	*count = 0;
	while (more) {
		if ((err = c->be->pull(s, n, SPULL_REGION, *cursor, *cursor_len,
		         3, 0, &r)) != 0)
			return err;
		*count += r.n;
		more = r.more;
		free(*cursor);
		*cursor = r.cursor;
		*cursor_len = r.cursor_len;
		r.cursor = NULL;
		spull_result_clear(&r);
	}
	return 0;
}

/*
 * pull_all until WANT changes came, for up to 5 s: on PostgreSQL a pull
 * shows nothing newer than the oldest transaction holding an xid anywhere
 * in the cluster (docs/PROTOCOL.md §5.1), and autovacuum's ANALYZE of a
 * database just made holds one for a moment.  *COUNT: what came in all.
 */
static int
pull_want(const struct ctx *c, struct sstore *s, const struct snode *n,
    uint8_t **cursor, size_t *cursor_len, size_t want, size_t *count)
{
	const struct timespec pause = { 0, 50 * 1000000L };
	uint64_t until = clock_mono_ms() + 5000;
	size_t got;
	int err;

	*count = 0;
	for (;;) {
		if ((err = pull_all(c, s, n, cursor, cursor_len, &got)) != 0)
			return err;
		*count += got;
		if (*count >= want || clock_mono_ms() > until)
			return 0;
		nanosleep(&pause, NULL);
	}
}

/* --- the cases ----------------------------------------------------------- */

static int
case_meta(struct ctx *c)
{
	struct sstore *s = NULL;
	uint8_t *v = NULL;
	size_t len = 0;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_EQ(c->be->meta_get(s, "absent", &v, &len), ENOENT);
	TEST_ERR(c->be->meta_put(s, "k", "abc", 3));
	TEST_ERR(c->be->meta_put(s, "k", "wxyz", 4));
	TEST_ERR(c->be->meta_get(s, "k", &v, &len));
	TEST_EQ(len, 4);
	TEST_MEM(v, "wxyz", 4);
	free(v);
	v = NULL;
	TEST_ERR(c->be->meta_put(s, "empty", "", 0));
	TEST_ERR(c->be->meta_get(s, "empty", &v, &len));
	TEST_EQ(len, 0);
out:
	free(v);
	c->be->close(s);
	return err;
}

static int
case_enroll(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n, m;
	struct stoken t;
	uint8_t h[32], pub[32];
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &n));
	TEST_TRUE(n.id > 0);
	TEST_STR(n.region, "north");
	TEST_STR(n.role, "clinic");
	TEST_STR(n.label, "kiosk");
	TEST_EQ(n.enrolled_ms, 1000);
	TEST_ERR(c->be->node_get(s, n.id, &m));
	TEST_EQ(m.id, n.id);
	TEST_MEM(m.pub, n.pub, 32);
	TEST_EQ(m.revoked, 0);
	TEST_EQ(c->be->node_get(s, n.id + 100, &m), ENOENT);
	/* the token is used up; an unknown one does not exist */
	memset(h, 1, sizeof(h));
	memset(pub, 9, sizeof(pub));
	TEST_EQ(c->be->enroll(s, h, pub, "x", 1000, &m), EACCES);
	memset(h, 8, sizeof(h));
	TEST_EQ(c->be->enroll(s, h, pub, "x", 1000, &m), ENOENT);
	/* expired */
	memset(&t, 0, sizeof(t));
	memset(t.hash, 2, sizeof(t.hash));
	t.expires_ms = 500;
	TEST_ERR(c->be->token_add(s, &t));
	TEST_EQ(c->be->enroll(s, t.hash, pub, "x", 1000, &m), EACCES);
	/* the same key twice */
	memset(t.hash, 3, sizeof(t.hash));
	t.expires_ms = 5000;
	TEST_ERR(c->be->token_add(s, &t));
	memset(pub, 1, sizeof(pub));
	TEST_EQ(c->be->enroll(s, t.hash, pub, "x", 1000, &m), EEXIST);
	/* revoke */
	TEST_ERR(c->be->node_revoke(s, n.id));
	TEST_ERR(c->be->node_get(s, n.id, &m));
	TEST_EQ(m.revoked, 1);
	TEST_EQ(c->be->node_revoke(s, n.id + 100), ENOENT);
out:
	c->be->close(s);
	return err;
}

static int
case_touch(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n, m;
	uint64_t last = 0;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &n));
	TEST_ERR(c->be->node_touch(s, n.id, 5, 7000, &last));
	TEST_EQ(c->be->node_touch(s, n.id, 5, 7000, &last), EALREADY);
	TEST_EQ(last, 5);
	TEST_EQ(c->be->node_touch(s, n.id, 3, 7000, &last), EALREADY);
	TEST_EQ(last, 5);
	TEST_ERR(c->be->node_touch(s, n.id, 9, 7001, &last));
	TEST_ERR(c->be->node_get(s, n.id, &m));
	TEST_EQ(m.req_seq, 9);
	TEST_EQ(m.last_seen_ms, 7001);
	TEST_EQ(c->be->node_touch(s, n.id + 50, 1, 1, &last), ENOENT);
out:
	c->be->close(s);
	return err;
}

static int
case_push(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n, m;
	struct batch b;
	struct spush_result r, r2;
	int err = 0;

	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &n));
	mk_batch(&b, n.id, 1, 10, "");
	b.p.outbox_last = 12;
	TEST_ERR(c->be->push(s, &b.p, &r));
	TEST_EQ(r.replay, 0);
	TEST_EQ(r.hw, 10);
	TEST_EQ(r.accepted, 10);
	TEST_EQ(r.dups, 0);
	TEST_TRUE(r.response_len > 0);
	/* the replay: the stored bytes, nothing new */
	TEST_ERR(c->be->push(s, &b.p, &r2));
	TEST_EQ(r2.replay, 1);
	TEST_EQ(r2.response_len, r.response_len);
	TEST_MEM(r2.response, r.response, r.response_len);
	free(r2.response);
	r2.response = NULL;
	/* the same key with other content: a conflict */
	mk_batch(&b, n.id, 1, 10, "other");
	TEST_EQ(c->be->push(s, &b.p, &r2), EEXIST);
	TEST_EQ(r2.response, NULL);
	/* a gap */
	mk_batch(&b, n.id, 12, 13, "");
	TEST_EQ(c->be->push(s, &b.p, &r2), ERANGE);
	TEST_EQ(r2.hw, 10);
	/* overlap: 9 and 10 held, 11 new */
	mk_batch(&b, n.id, 9, 11, "");
	TEST_ERR(c->be->push(s, &b.p, &r2));
	TEST_EQ(r2.accepted, 1);
	TEST_EQ(r2.dups, 2);
	TEST_EQ(r2.hw, 11);
	free(r2.response);
	r2.response = NULL;
	/* overlap with a changed known change: a conflict, nothing kept */
	mk_batch(&b, n.id, 11, 12, "");
	snprintf(b.body[0], sizeof(b.body[0]), "changed");
	b.ch[0].len = strlen(b.body[0]);
	TEST_EQ(c->be->push(s, &b.p, &r2), EEXIST);
	TEST_ERR(c->be->node_get(s, n.id, &m));
	TEST_EQ(m.hw, 11);
	TEST_EQ(m.outbox_last, 12);
	TEST_EQ(m.last_push_ms, 5000);
	/* unknown node; a malformed range */
	mk_batch(&b, n.id + 40, 1, 1, "");
	TEST_EQ(c->be->push(s, &b.p, &r2), ENOENT);
	mk_batch(&b, n.id, 5, 4, "");
	TEST_EQ(c->be->push(s, &b.p, &r2), EINVAL);
out:
	free(r.response);
	free(r2.response);
	c->be->close(s);
	return err;
}

static int
case_push_seq(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n, m;
	struct batch b;
	struct spush_result r;
	uint64_t last = 0;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &n));
	TEST_ERR(c->be->node_touch(s, n.id, 4, 1, &last));
	mk_batch(&b, n.id, 1, 3, "");
	b.p.req_seq = 4; /* stale */
	TEST_EQ(c->be->push(s, &b.p, &r), EALREADY);
	TEST_EQ(r.last_seq, 4);
	TEST_ERR(c->be->node_get(s, n.id, &m));
	TEST_EQ(m.hw, 0);
	b.p.req_seq = 5;
	TEST_ERR(c->be->push(s, &b.p, &r));
	free(r.response);
	r.response = NULL;
	/* a replay with a new request sequence takes the sequence */
	b.p.req_seq = 6;
	TEST_ERR(c->be->push(s, &b.p, &r));
	TEST_EQ(r.replay, 1);
	TEST_ERR(c->be->node_get(s, n.id, &m));
	TEST_EQ(m.req_seq, 6);
	TEST_EQ(m.hw, 3);
	/* a failed push gives its sequence back (rolled back) */
	free(r.response);
	r.response = NULL;
	mk_batch(&b, n.id, 9, 9, "");
	b.p.req_seq = 7;
	TEST_EQ(c->be->push(s, &b.p, &r), ERANGE);
	TEST_ERR(c->be->node_get(s, n.id, &m));
	TEST_EQ(m.req_seq, 6);
out:
	free(r.response);
	c->be->close(s);
	return err;
}

static int
case_pull(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode a, b, x;
	struct spull_result r;
	uint8_t *cur = NULL, bad[] = { 0x82, 0x01, 0x02 };
	size_t cur_len = 0, n = 0;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &a));
	TEST_ERR(mk_node(c, s, 2, "north", &b));
	TEST_ERR(mk_node(c, s, 3, "south", &x));
	TEST_ERR(push_ok(c, s, a.id, 1, 7));
	TEST_ERR(push_ok(c, s, x.id, 1, 4));
	/* b sees a's 7 in pages of 3; a sees none of its own */
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 7);
	TEST_ERR(c->be->pull(s, &b, SPULL_REGION, cur, cur_len, 3, 0, &r));
	TEST_EQ(r.n, 0);
	TEST_EQ(r.more, 0);
	spull_result_clear(&r);
	/* new changes after the cursor, and only those */
	TEST_ERR(push_ok(c, s, a.id, 8, 9));
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 2);
	free(cur);
	cur = NULL;
	cur_len = 0;
	TEST_ERR(pull_all(c, s, &a, &cur, &cur_len, &n));
	TEST_EQ(n, 0);
	free(cur);
	cur = NULL;
	cur_len = 0;
	/* x (south) sees none of north's, only its own (none) */
	TEST_ERR(pull_all(c, s, &x, &cur, &cur_len, &n));
	TEST_EQ(n, 0);
	/* one page from the start, with origin and bodies */
	TEST_ERR(c->be->pull(s, &b, SPULL_REGION, NULL, 0, 100, 0, &r));
	TEST_EQ(r.n, 9);
	TEST_EQ(r.more, 0);
	TEST_EQ(r.changes[0].origin, a.id);
	TEST_EQ(r.changes[0].len, strlen("n1s1"));
	TEST_MEM(r.changes[0].body, "n1s1", 4);
	TEST_EQ(r.changes[0].hlc, 1001);
	TEST_EQ(r.changes[0].entity, 2);
	spull_result_clear(&r);
	/* cursors: garbage, another era */
	TEST_EQ(c->be->pull(
	            s, &b, SPULL_REGION, (const uint8_t *)"\xff", 1, 3, 0, &r),
	    EINVAL);
	TEST_EQ(c->be->pull(s, &b, SPULL_REGION, bad, sizeof(bad), 3, 0, &r),
	    ESTALE);
out:
	free(cur);
	spull_result_clear(&r);
	c->be->close(s);
	return err;
}

static uint64_t manifest_n;

static void
count_cb(const struct schange *ch, const uint8_t hash[32], void *arg)
{
	uint8_t h[32];
	char body[48];

	(void)arg;
	snprintf(body, sizeof(body), "n%llus%llu",
	    (unsigned long long)ch->origin, (unsigned long long)ch->seq);
	crypto_sha256(body, strlen(body), h);
	if (memcmp(h, hash, 32) == 0)
		manifest_n++;
}

static int
case_stats_manifest(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode a, b;
	struct sstats st;
	uint64_t total = 0;
	size_t i;
	int err = 0;

	memset(&st, 0, sizeof(st));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &a));
	TEST_ERR(mk_node(c, s, 2, "south", &b));
	TEST_ERR(push_ok(c, s, a.id, 1, 6));
	TEST_ERR(push_ok(c, s, b.id, 1, 3));
	TEST_ERR(push_ok(c, s, b.id, 4, 4));
	TEST_ERR(c->be->alert(s, a.id, "kind", "detail", 9));
	TEST_ERR(c->be->stats(s, &st));
	TEST_EQ(st.nnodes, 2);
	TEST_EQ(st.node_records[0], 6);
	TEST_EQ(st.node_records[1], 4);
	TEST_EQ(st.batches, 3);
	TEST_EQ(st.alerts, 1);
	TEST_EQ(st.open_tokens, 0);
	for (i = 0; i < st.nentities; i++)
		total += st.entities[i].records;
	TEST_EQ(total, 10);
	manifest_n = 0;
	TEST_ERR(c->be->manifest(s, count_cb, NULL));
	TEST_EQ(manifest_n, 10);
out:
	sstats_clear(&st);
	c->be->close(s);
	return err;
}

static int
case_reopen(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode a, b;
	uint8_t *cur = NULL;
	size_t cur_len = 0, n = 0;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &a));
	TEST_ERR(mk_node(c, s, 2, "north", &b));
	TEST_ERR(push_ok(c, s, a.id, 1, 4));
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 4);
	c->be->close(s);
	s = NULL;
	/* the cursor outlives the process: same era, nothing again */
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(push_ok(c, s, a.id, 5, 5));
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 1);
out:
	free(cur);
	c->be->close(s);
	return err;
}

/* Eight threads push the same batch at once: one stores it, the others
 * get its exact response; the changes are held once. */
struct twin {
	const struct ctx *c;
	struct sstore *s;
	struct batch *b;
	struct spush_result r;
	int err;
};

static void *
twin_run(void *arg)
{
	struct twin *t = arg;

	t->err = t->c->be->push(t->s, &t->b->p, &t->r);
	return NULL;
}

static int
case_concurrent_replay(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode a, b;
	struct batch bt;
	struct twin tw[8];
	pthread_t th[8];
	uint8_t *cur = NULL;
	size_t i, cur_len = 0, n = 0, fresh = 0;
	int err = 0, round;

	memset(tw, 0, sizeof(tw));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &a));
	TEST_ERR(mk_node(c, s, 2, "north", &b));
	for (round = 0; round < 10; round++) {
		mk_batch(&bt, a.id, (uint64_t)round * 10 + 1,
		    (uint64_t)round * 10 + 10, "");
		fresh = 0;
		for (i = 0; i < 8; i++) {
			tw[i].c = c;
			tw[i].s = s;
			tw[i].b = &bt;
			TEST_EQ(
			    pthread_create(&th[i], NULL, twin_run, &tw[i]), 0);
		}
		for (i = 0; i < 8; i++)
			pthread_join(th[i], NULL);
		for (i = 0; i < 8; i++) {
			TEST_ERR(tw[i].err);
			fresh += !tw[i].r.replay;
			TEST_EQ(tw[i].r.response_len, tw[0].r.response_len);
			TEST_MEM(tw[i].r.response, tw[0].r.response,
			    tw[0].r.response_len);
		}
		TEST_EQ(fresh, 1);
		for (i = 0; i < 8; i++) {
			free(tw[i].r.response);
			memset(&tw[i].r, 0, sizeof(tw[i].r));
		}
	}
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 100);
out:
	for (i = 0; i < 8; i++)
		free(tw[i].r.response);
	free(cur);
	c->be->close(s);
	return err;
}

/*
 * AC-2: a history of N batches (OUTPOST_REPLAY_BATCHES, default 2000;
 * check-faults 10,000) over two store instances, replayed serially and
 * 8-way concurrently: every response byte-identical (SHA-256), no new
 * row anywhere; the same keys with other content all refused (EEXIST).
 */
struct hist {
	const struct ctx *c;
	struct sstore *s[2];
	uint64_t node[4];
	size_t n;
	uint64_t *first, *last; /* per batch */
	uint8_t (*sha)[32];
	int tid, err, mismatch;
};

static void
hist_batch(const struct hist *h, size_t i, struct batch *b, const char *sfx)
{
	mk_batch(b, h->node[i % 4], h->first[i], h->last[i], sfx);
}

static void *
hist_replay(void *arg)
{
	struct hist *h = arg;
	struct batch b;
	struct spush_result r;
	uint8_t d[32];
	size_t i;
	int err;

	for (i = (size_t)h->tid; i < h->n; i += 8) {
		hist_batch(h, i, &b, "");
		err = h->c->be->push(h->s[(i / 8) % 2], &b.p, &r);
		if (err != 0 && h->err == 0)
			h->err = err;
		if (err == 0) {
			crypto_sha256(r.response, r.response_len, d);
			if (!r.replay || memcmp(d, h->sha[i], 32) != 0)
				h->mismatch++;
		}
		free(r.response);
	}
	return NULL;
}

static int
hist_counts(const struct ctx *c, struct sstore *s, uint64_t out[3])
{
	struct sstats st;
	size_t i;
	int err;

	if ((err = c->be->stats(s, &st)) != 0)
		return err;
	out[0] = st.batches;
	out[1] = st.alerts;
	out[2] = 0;
	for (i = 0; i < st.nentities; i++)
		out[2] += st.entities[i].records;
	sstats_clear(&st);
	return 0;
}

static int
case_replay_history(struct ctx *c)
{
	const char *e = getenv("OUTPOST_REPLAY_BATCHES");
	struct hist h, th[8];
	struct snode nd;
	struct batch b;
	struct spush_result r;
	pthread_t t[8];
	uint64_t next[4] = { 1, 1, 1, 1 }, before[3], after[3];
	size_t i, conflicts = 0;
	int err = 0;

	memset(&h, 0, sizeof(h));
	memset(&r, 0, sizeof(r));
	h.c = c;
	h.n = e != NULL ? (size_t)strtoul(e, NULL, 10) : 2000;
	if (h.n < 16)
		h.n = 16;
	h.first = xcalloc(h.n, sizeof(*h.first));
	h.last = xcalloc(h.n, sizeof(*h.last));
	h.sha = xcalloc(h.n, sizeof(*h.sha));
	TEST_ERR(c->be->open(c->target, NULL, &h.s[0]));
	TEST_ERR(c->be->open(c->target, NULL, &h.s[1]));
	for (i = 0; i < 4; i++) {
		TEST_ERR(mk_node(c, h.s[0], (uint8_t)(i + 1), "north", &nd));
		h.node[i] = nd.id;
	}
	for (i = 0; i < h.n; i++) {
		h.first[i] = next[i % 4];
		h.last[i] = h.first[i] + i % 3;
		next[i % 4] = h.last[i] + 1;
		hist_batch(&h, i, &b, "");
		TEST_ERR(c->be->push(h.s[i % 2], &b.p, &r));
		TEST_EQ(r.replay, 0);
		crypto_sha256(r.response, r.response_len, h.sha[i]);
		free(r.response);
		r.response = NULL;
	}
	TEST_ERR(hist_counts(c, h.s[0], before));
	TEST_EQ(before[0], h.n);
	/* serial, through the other instance */
	h.tid = 0;
	for (i = 0; i < h.n; i++) {
		uint8_t d[32];

		hist_batch(&h, i, &b, "");
		TEST_ERR(c->be->push(h.s[(i + 1) % 2], &b.p, &r));
		TEST_EQ(r.replay, 1);
		crypto_sha256(r.response, r.response_len, d);
		TEST_MEM(d, h.sha[i], 32);
		free(r.response);
		r.response = NULL;
	}
	/* 8-way concurrent over both instances */
	for (i = 0; i < 8; i++) {
		th[i] = h;
		th[i].tid = (int)i;
		if (pthread_create(&t[i], NULL, hist_replay, &th[i]) != 0)
			fatalx("pthread_create");
	}
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 8; i++) {
		TEST_ERR(th[i].err);
		TEST_EQ(th[i].mismatch, 0);
	}
	/* the same keys with other content: every one refused */
	for (i = 0; i < h.n; i += 7) {
		hist_batch(&h, i, &b, "x");
		conflicts += c->be->push(h.s[i % 2], &b.p, &r) == EEXIST;
		free(r.response);
		r.response = NULL;
	}
	TEST_EQ(conflicts, (h.n + 6) / 7);
	TEST_ERR(hist_counts(c, h.s[1], after));
	TEST_MEM(after, before, sizeof(before));
	fprintf(stderr,
	    "%s: %zu batches replayed serially and 8-way: identical,"
	    " %llu batches / %llu records before and after\n",
	    c->be->name, h.n, (unsigned long long)after[0],
	    (unsigned long long)after[2]);
out:
	free(r.response);
	free(h.first);
	free(h.last);
	free(h.sha);
	c->be->close(h.s[0]);
	c->be->close(h.s[1]);
	return err;
}

/*
 * Many nodes pushing at once, more pushers than the pool has connections
 * (the PostgreSQL store then commits waiting pushes together: pg.c
 * pg_group_push), each batch pushed by two threads at the same moment
 * through two instances (a kiosk's retry racing its original): one of
 * the two is stored and answered, the other gets the same bytes as a
 * replay, every change is pulled exactly once.  On PostgreSQL some
 * transactions must have carried several nodes' batches (the changes'
 * xid), or the groups were not exercised.
 */
#define GC_NODES 8
#define GC_BATCHES 40

struct gc_pusher {
	const struct ctx *c;
	struct sstore *s;
	uint64_t node;
	pthread_barrier_t *bar; /* the twin's */
	int fresh, replays, wrong, err;
};

static void *
gc_push(void *arg)
{
	struct gc_pusher *u = arg;
	struct batch b;
	struct spush_result r;
	char want[128];
	uint64_t k;
	int err;

	for (k = 0; k < GC_BATCHES; k++) {
		pthread_barrier_wait(u->bar);
		mk_batch(&b, u->node, k * 5 + 1, k * 5 + 5, "");
		memset(&r, 0, sizeof(r));
		if ((err = u->c->be->push(u->s, &b.p, &r)) != 0) {
			u->err = err;
			free(r.response);
			/* the twin must not wait for us any more */
			for (k++; k < GC_BATCHES; k++)
				pthread_barrier_wait(u->bar);
			return NULL;
		}
		snprintf(want, sizeof(want),
		    "node=%llu first=%llu hw=%llu a=5 d=0",
		    (unsigned long long)u->node,
		    (unsigned long long)(k * 5 + 1),
		    (unsigned long long)(k * 5 + 5));
		/* (a replay has only its stored answer) */
		if (r.response_len != strlen(want) ||
		    memcmp(r.response, want, r.response_len) != 0 ||
		    (!r.replay && (r.hw != k * 5 + 5 || r.accepted != 5)))
			u->wrong++;
		if (r.replay)
			u->replays++;
		else
			u->fresh++;
		free(r.response);
	}
	return NULL;
}

static int
case_group_commit(struct ctx *c)
{
	struct sstore *s[2] = { NULL, NULL };
	struct gc_pusher u[2 * GC_NODES];
	pthread_barrier_t bar[GC_NODES];
	pthread_t t[2 * GC_NODES];
	struct snode nd, reader;
	uint8_t *cur = NULL;
	size_t cur_len = 0, n = 0, i, started = 0, nbar = 0;
	char v[32];
	int err = 0;

	memset(u, 0, sizeof(u));
	TEST_ERR(c->be->open(c->target, NULL, &s[0]));
	TEST_ERR(c->be->open(c->target, NULL, &s[1]));
	for (i = 0; i < GC_NODES; i++) {
		TEST_ERR(mk_node(c, s[0], (uint8_t)(i + 1), "north", &nd));
		pthread_barrier_init(&bar[i], NULL, 2);
		nbar++;
		u[2 * i].node = u[2 * i + 1].node = nd.id;
		u[2 * i].bar = u[2 * i + 1].bar = &bar[i];
		u[2 * i].s = s[0];
		u[2 * i + 1].s = s[1];
	}
	TEST_ERR(mk_node(c, s[0], 99, "north", &reader));
	for (i = 0; i < 2 * GC_NODES; i++) {
		u[i].c = c;
		if (pthread_create(&t[i], NULL, gc_push, &u[i]) != 0)
			fatalx("pthread_create");
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	started = 0;
	for (i = 0; i < GC_NODES; i++) {
		TEST_ERR(u[2 * i].err);
		TEST_ERR(u[2 * i + 1].err);
		TEST_EQ(u[2 * i].wrong + u[2 * i + 1].wrong, 0);
		/* each batch stored once, answered twice */
		TEST_EQ(u[2 * i].fresh + u[2 * i + 1].fresh, GC_BATCHES);
		TEST_EQ(u[2 * i].replays + u[2 * i + 1].replays, GC_BATCHES);
	}
	TEST_ERR(pull_all(c, s[1], &reader, &cur, &cur_len, &n));
	TEST_EQ(n, (size_t)GC_NODES * GC_BATCHES * 5);
	if (c->pg != NULL) {
		TEST_ERR(pgtest_sql(c->pg, c->db,
		    "SELECT count(*) FROM (SELECT xid FROM changes GROUP BY xid"
		    " HAVING count(DISTINCT node) > 1) g",
		    v, sizeof(v)));
		fprintf(stderr,
		    "%d pushes of %d nodes, each twice at once: %s"
		    " transactions stored several nodes' batches;"
		    " %llu+%llu group commits\n",
		    2 * GC_NODES * GC_BATCHES, GC_NODES, v,
		    (unsigned long long)s[0]->groups,
		    (unsigned long long)s[1]->groups);
		TEST_TRUE(strtol(v, NULL, 10) > 0);
	}
out:
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < nbar; i++)
		pthread_barrier_destroy(&bar[i]);
	free(cur);
	c->be->close(s[0]);
	c->be->close(s[1]);
	return err;
}

/* --- PostgreSQL's own ---------------------------------------------------- */

/* EXPLAIN the backend's own statement ST executed with ARGS in MODE
 * (plan_cache_mode); the plan's lines into PLAN. */
static int
pg_plan(struct ctx *c, enum pg_stmt st, const char *args, const char *mode,
    char *plan, size_t size)
{
	char ci[256], *sql = NULL;
	PGconn *db;
	PGresult *r;
	size_t used = 0;
	int i, err = 0;

	pgtest_conninfo(c->pg, c->db, ci, sizeof(ci));
	db = PQconnectdb(ci);
	xasprintf(&sql, "SET plan_cache_mode = %s; PREPARE pull AS %s;", mode,
	    pg_stmts[st].sql);
	r = PQexec(db, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s", PQerrorMessage(db));
		err = EIO;
	}
	PQclear(r);
	free(sql);
	xasprintf(&sql, "EXPLAIN EXECUTE pull%s", args);
	r = PQexec(db, sql);
	if (err == 0 && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s", PQerrorMessage(db));
		err = EIO;
	}
	plan[0] = '\0';
	for (i = 0; err == 0 && i < PQntuples(r); i++)
		used += (size_t)snprintf(plan + used,
		    used < size ? size - used : 0, "%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	PQfinish(db);
	free(sql);
	return err;
}

/* ST executed with ARGS, custom and generic plan: no sequential scan,
 * every line of MUST in the plan. */
static int
pg_plan_check(struct ctx *c, enum pg_stmt st, const char *args,
    const char *const *must, size_t nmust)
{
	static const char *const modes[] = { "force_custom_plan",
		"force_generic_plan" };
	char plan[16384];
	size_t i, k;
	int err = 0;

	for (i = 0; i < nitems(modes); i++) {
		TEST_ERR(pg_plan(c, st, args, modes[i], plan, sizeof(plan)));
		for (k = 0; k < nmust && strstr(plan, must[k]) != NULL; k++)
			;
		if (k < nmust || strstr(plan, "Seq Scan") != NULL) {
			fprintf(stderr, "%s plan:\n%s", modes[i], plan);
			TEST_FAILED("%s: no index scan (%s)", pg_stmts[st].name,
			    k < nmust ? must[k] : "Seq Scan");
		}
	}
out:
	return err;
}

/* AC-6: the pull is one index scan on changes_pull, custom or generic
 * plan, the horizon and the row comparison as index conditions. */
static int
case_pg_explain(struct ctx *c)
{
	static const char *const must[] = { "Index Scan using changes_pull",
		"Index Cond: ((region = ", "(ROW(xid, id) > ROW(" };
	struct sstore *s = NULL;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(pgtest_sql(c->pg, c->db,
	    "INSERT INTO changes(region, node, seq, entity, rid, hlc, hash,"
	    " body) SELECT 'r' || (g % 200), g % 1000, g, 1, '\\x00', g,"
	    " '\\x00', '\\x00' FROM generate_series(1, 200000) g;"
	    " ANALYZE changes",
	    NULL, 0));
	TEST_ERR(pg_plan_check(
	    c, PG_PULL, "('r7', '0', 0, 3, 200)", must, nitems(must)));
out:
	c->be->close(s);
	return err;
}

/* AC-6 for a facility's pull: index scans only (changes_pull or the
 * feed's, records by key, scope_pull), custom or generic plan, on a
 * region of 200,000 changes over 100 facilities and 20,000 patients. */
static int
case_pg_explain_facility(struct ctx *c)
{
	static const char *const must[] = { "Index Scan using changes_",
		"Index Scan using records_pkey",
		"Index Scan using scope_pull" };
	struct sstore *s = NULL;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(pgtest_sql(c->pg, c->db,
	    "INSERT INTO changes(region, node, seq, entity, rid, hlc, hash,"
	    " body) SELECT 'r' || (g % 20), g % 1000, g, 1, int8send(g), g,"
	    " '\\x00', '\\x00' FROM generate_series(1, 200000) g;"
	    "INSERT INTO records(entity, rid, region, facility, node,"
	    " patient) SELECT 1, int8send(g), 'r' || (g % 20), 'f' ||"
	    " (g % 100), g % 1000, int8send(g % 20000)"
	    " FROM generate_series(1, 200000) g;"
	    "INSERT INTO scope(region, patient, facility, xid, id)"
	    " SELECT DISTINCT ON (r.region, r.patient, r.facility)"
	    " r.region, r.patient, r.facility, c.xid, c.id FROM records r"
	    " JOIN changes c ON c.entity = r.entity AND c.rid = r.rid"
	    " ORDER BY r.region, r.patient, r.facility, c.xid, c.id;"
	    " ANALYZE",
	    NULL, 0));
	TEST_ERR(pg_plan_check(c, PG_PULL_FACILITY,
	    "('r7', '0', 0, '0', 0, 3, 200, 'f7')", must, nitems(must)));
out:
	c->be->close(s);
	return err;
}

/* The store's sessions, without the backends in GONE (a list of pids
 * terminated: one still exiting is listed a moment after its client has
 * opened the connection that replaces it). */
static int
pg_count_pool(struct ctx *c, const char *gone, int *n)
{
	char v[32], *sql;
	int err;

	xasprintf(&sql,
	    "SELECT count(*) FROM pg_stat_activity"
	    " WHERE application_name = 'outpost-sync' AND pid NOT IN (%s)",
	    gone);
	err = pgtest_sql(c->pg, c->db, sql, v, sizeof(v));
	free(sql);
	if (err != 0)
		return err;
	*n = (int)strtol(v, NULL, 10);
	return 0;
}

/* AC-7: the pool holds its size and never opens a connection per
 * request; backends terminated under load (pg_terminate_backend while
 * eight threads push through four connections, so pushes are also
 * committed in groups) cost the callers nothing: a push is retried once
 * on a fresh connection, a group's pushes each alone as a retry. */
struct pool_pusher {
	const struct ctx *c;
	struct sstore *s;
	uint64_t node, pushed;
	volatile int *stop;
	int errors;
};

static void *
pool_push(void *arg)
{
	struct pool_pusher *u = arg;
	uint64_t i;

	for (i = 0; !*u->stop; i++) {
		if (push_ok(u->c, u->s, u->node, i * 5 + 1, i * 5 + 5) != 0) {
			u->errors++;
			break;
		}
		u->pushed++;
	}
	return NULL;
}

static int
case_pg_pool(struct ctx *c)
{
	struct sstore *s = NULL;
	struct pool_pusher u[8];
	struct snode a, b;
	pthread_t t[8];
	uint8_t *cur = NULL;
	char v[32], gone[512] = "0", *sql = NULL;
	size_t cur_len = 0, n = 0, i, len;
	long killed = 0;
	volatile int stop = 0;
	uint64_t pushed = 0;
	int err = 0, conns = 0, most = 0, running = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(pg_count_pool(c, gone, &conns));
	TEST_EQ(conns, 4);
	for (i = 0; i < 8; i++) {
		TEST_ERR(mk_node(c, s, (uint8_t)(i + 1), "north", &a));
		u[i].c = c;
		u[i].s = s;
		u[i].node = a.id;
		u[i].errors = 0;
		u[i].pushed = 0;
		u[i].stop = &stop;
	}
	TEST_ERR(mk_node(c, s, 9, "north", &b));
	for (i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, pool_push, &u[i]) != 0)
			fatalx("pthread_create");
	running = 1;
	for (i = 0; i < 12; i++) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
		xasprintf(&sql,
		    "SELECT pid FROM (SELECT pid FROM pg_stat_activity"
		    " WHERE application_name = 'outpost-sync' AND pid NOT IN"
		    " (%s) ORDER BY random() LIMIT 1) x"
		    " WHERE pg_terminate_backend(pid)",
		    gone);
		err = pgtest_sql(c->pg, c->db, sql, v, sizeof(v));
		free(sql);
		sql = NULL;
		TEST_ERR(err);
		len = strlen(gone);
		if (v[0] != '\0' && len + strlen(v) + 2 < sizeof(gone)) {
			killed++;
			snprintf(gone + len, sizeof(gone) - len, ",%s", v);
		}
		TEST_ERR(pg_count_pool(c, gone, &conns));
		most = conns > most ? conns : most;
	}
	stop = 1;
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		pushed += u[i].pushed;
	}
	running = 0;
	fprintf(stderr,
	    "%llu pushes, %ld backends terminated under load; %llu connections opened,"
	    " %llu retries, %llu of %llu group commits failed, at most %d at"
	    " once\n",
	    (unsigned long long)pushed, killed, (unsigned long long)s->connects,
	    (unsigned long long)s->retries,
	    (unsigned long long)s->groups_failed, (unsigned long long)s->groups,
	    most);
	for (i = 0; i < 8; i++)
		TEST_EQ(u[i].errors, 0);
	TEST_TRUE(killed > 0);
	TEST_TRUE(s->retries + s->groups_failed > 0);
	TEST_TRUE(most <= 4);
	/* a connection is opened again only for one that was lost */
	TEST_TRUE(s->connects <= 4 + (uint64_t)killed);
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, pushed * 5);
out:
	stop = 1;
	if (running)
		for (i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
	free(sql);
	free(cur);
	c->be->close(s);
	return err;
}

/*
 * AC-5's guards: a session of the store's role left idle in a transaction
 * is ended by the server after 10 s; a writer outside that guard holding
 * an xid is reported as a "feed-stall" alert within 15 s; while it is
 * open, a change pushed after it began is not pullable, and it is once
 * that writer ends (the cursor waits rather than skips).
 */
static int
case_pg_stall(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode a, b;
	struct spull_result r;
	PGconn *w = NULL, *x = NULL;
	PGresult *res;
	char ci[256], v[32], q[128];
	uint64_t t0;
	int err = 0, ended = 0, alerted = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &a));
	TEST_ERR(mk_node(c, s, 2, "north", &b));
	pgtest_conninfo(c->pg, c->db, ci, sizeof(ci));
	w = PQconnectdb(ci);
	x = PQconnectdb(ci);
	TEST_TRUE(PQstatus(w) == CONNECTION_OK && PQstatus(x) == CONNECTION_OK);
	/* w: the role's own guard; x: a writer that turned it off */
	PQclear(PQexec(x, "SET idle_in_transaction_session_timeout = 0"));
	res = PQexec(w, "BEGIN; INSERT INTO alerts(kind) VALUES('w')");
	TEST_EQ(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	res = PQexec(x, "BEGIN; INSERT INTO alerts(kind) VALUES('x')");
	TEST_EQ(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	t0 = clock_mono_ms();
	TEST_ERR(push_ok(c, s, a.id, 1, 3));
	TEST_ERR(c->be->pull(s, &b, SPULL_REGION, NULL, 0, 100, 0, &r));
	TEST_EQ(r.n, 0); /* behind the open writers */
	spull_result_clear(&r);
	while (clock_mono_ms() - t0 < 16000 && !(ended && alerted)) {
		struct timespec ts = { 0, 250 * 1000000L };

		nanosleep(&ts, NULL);
		if (!ended) {
			/* asked from outside: a query on w would keep it busy */
			snprintf(q, sizeof(q),
			    "SELECT count(*) FROM pg_stat_activity"
			    " WHERE pid = %d",
			    PQbackendPID(w));
			TEST_ERR(pgtest_sql(c->pg, c->db, q, v, sizeof(v)));
			ended = strcmp(v, "0") == 0;
			if (ended)
				fprintf(stderr,
				    "idle writer ended after %llu ms\n",
				    (unsigned long long)(clock_mono_ms() - t0));
		}
		if (!alerted) {
			TEST_ERR(pgtest_sql(c->pg, c->db,
			    "SELECT count(*) FROM alerts WHERE kind ="
			    " 'feed-stall'",
			    v, sizeof(v)));
			alerted = strcmp(v, "0") != 0;
			if (alerted)
				fprintf(stderr,
				    "feed-stall alert after %llu ms\n",
				    (unsigned long long)(clock_mono_ms() - t0));
		}
	}
	TEST_TRUE(ended);
	TEST_TRUE(alerted);
	TEST_TRUE(clock_mono_ms() - t0 <= 16000);
	/* still behind x; then x ends and the change is there */
	TEST_ERR(c->be->pull(s, &b, SPULL_REGION, NULL, 0, 100, 0, &r));
	TEST_EQ(r.n, 0);
	spull_result_clear(&r);
	PQclear(PQexec(x, "ROLLBACK"));
	TEST_ERR(c->be->pull(s, &b, SPULL_REGION, NULL, 0, 100, 0, &r));
	TEST_EQ(r.n, 3);
out:
	spull_result_clear(&r);
	PQfinish(w);
	PQfinish(x);
	c->be->close(s);
	return err;
}

/* --- the runner ------------------------------------------------------------ */

/* --- blobs, refusals and scoped pulls (issue 9, items 3 and 8) --------- */

/* One change of a test push: record (ENTITY, ID), its patient (0: none). */
struct one {
	int entity;
	uint8_t id, patient;
	int widens, code;
};

/* push_list's scope_facility of each change (a referral's target), NULL:
 * none. */
static const char *const *push_scopes;

/* What the store told the policy last (and each time), how often. */
static struct sfacts last_facts, all_facts[8];
static int judged;

/* The entity test_authorize refuses (0: none). */
static int refused_entity = 9;

/* Refuses entity 9 (forbidden, 17); records the facts. */
static void
test_authorize(const struct snode *pusher, const struct schange *ch,
    const struct sfacts *f, struct sverdict *v)
{
	(void)pusher;
	last_facts = *f;
	if (judged >= 0 && judged < 8)
		all_facts[judged] = *f;
	judged++;
	if (ch->entity == refused_entity) {
		v->code = 17;
		snprintf(v->why, sizeof(v->why), "entity 9");
	}
}

/* Push L[0..N) as seqs FIRST.. of NODE, verdicts V (codes from L): the
 * response in RESP.  Bodies depend on node and seq only, so a batch with
 * other bounds holds the same changes. */
static int
push_list(const struct ctx *c, struct sstore *s, uint64_t node, uint64_t first,
    const struct one *l, size_t n, struct sverdict *v, char *resp,
    size_t resp_size, struct spush_result *r)
{
	struct schange ch[8];
	char body[8][48], all[8 * 48];
	struct spush p;
	size_t i;
	int err;

	memset(&p, 0, sizeof(p));
	memset(ch, 0, sizeof(ch));
	memset(all, 0, sizeof(all));
	for (i = 0; i < n && i < 8; i++) {
		snprintf(body[i], sizeof(body[i]), "n%llus%llu",
		    (unsigned long long)node, (unsigned long long)(first + i));
		memcpy(all + 48 * i, body[i], strlen(body[i]));
		ch[i].seq = first + i;
		ch[i].entity = l[i].entity;
		memset(ch[i].id, l[i].id, 16);
		ch[i].hlc = 1000 + first + i;
		ch[i].body = (const uint8_t *)body[i];
		ch[i].len = strlen(body[i]);
		ch[i].has_patient = l[i].patient != 0;
		memset(ch[i].patient, l[i].patient, 16);
		ch[i].widens = l[i].widens;
		if (push_scopes != NULL && push_scopes[i] != NULL)
			snprintf(ch[i].scope_facility,
			    sizeof(ch[i].scope_facility), "%s", push_scopes[i]);
		memset(&v[i], 0, sizeof(v[i]));
		v[i].code = l[i].code;
	}
	p.node = node;
	p.first = first;
	p.last = first + n - 1;
	p.changes = ch;
	p.n = n;
	crypto_sha256(all, 48 * n, p.hash);
	p.now_ms = 5000;
	p.encode_cb = enc_cb;
	p.verdicts = v;
	p.authorize_cb = test_authorize;
	err = c->be->push(s, &p, r);
	if (err == 0)
		snprintf(resp, resp_size, "%.*s", (int)r->response_len,
		    (const char *)r->response);
	free(r->response);
	r->response = NULL;
	return err;
}

/* Pull NODE's facility scope to the end from *CURSOR: how many, and the
 * entity and id byte of each in *SEEN ("3:50 4:61 ..."). */
static int
pull_fac(const struct ctx *c, struct sstore *s, const struct snode *n,
    uint8_t **cursor, size_t *cursor_len, char *seen, size_t seen_size)
{
	struct spull_result r;
	size_t i, at = 0;
	int err, more = 1;

	seen[0] = '\0';
	while (more) {
		if ((err = c->be->pull(s, n, SPULL_FACILITY, *cursor,
		         *cursor_len, 2, 0, &r)) != 0)
			return err;
		for (i = 0; i < r.n && at + 8 < seen_size; i++)
			at += (size_t)snprintf(seen + at, seen_size - at,
			    "%s%d:%02x", at ? " " : "", r.changes[i].entity,
			    r.changes[i].id[0]);
		more = r.more;
		free(*cursor);
		*cursor = r.cursor;
		*cursor_len = r.cursor_len;
		r.cursor = NULL;
		spull_result_clear(&r);
	}
	return 0;
}

static int
case_blob(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode a, b;
	uint8_t h1[32], h2[32];
	uint64_t size = 0;
	int err = 0;

	memset(h1, 1, sizeof(h1));
	memset(h2, 2, sizeof(h2));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &a));
	TEST_ERR(mk_node(c, s, 2, "north", &b));
	TEST_ERR(c->be->blob_usage(s, a.id, &size));
	TEST_EQ(size, 0);
	TEST_EQ(c->be->blob_owned(s, a.id, h1, &size), ENOENT);
	TEST_ERR(c->be->blob_own(s, a.id, h1, 1000, 5000));
	TEST_ERR(c->be->blob_own(s, a.id, h1, 1000, 6000)); /* idempotent */
	TEST_ERR(c->be->blob_own(s, a.id, h2, 250, 5000));
	TEST_ERR(c->be->blob_own(s, b.id, h1, 1000, 5000));
	TEST_ERR(c->be->blob_owned(s, a.id, h1, &size));
	TEST_EQ(size, 1000);
	TEST_ERR(c->be->blob_owned(s, a.id, h2, &size));
	TEST_EQ(size, 250);
	/* per node: b owns h1 only, whatever a uploaded */
	TEST_EQ(c->be->blob_owned(s, b.id, h2, &size), ENOENT);
	TEST_ERR(c->be->blob_usage(s, a.id, &size));
	TEST_EQ(size, 1250);
	TEST_ERR(c->be->blob_usage(s, b.id, &size));
	TEST_EQ(size, 1000);
	/* kept across a reopen */
	c->be->close(s);
	s = NULL;
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(c->be->blob_usage(s, a.id, &size));
	TEST_EQ(size, 1250);
out:
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* Refused changes (by the caller's validation or the policy) are stored,
 * counted neither accepted nor duplicate, reported again on a later
 * batch, and never served. */
static int
case_refused(struct ctx *c)
{
	static const struct one l1[] = { { 6, 0x11, 0, 0, 0 },
		{ 6, 0x12, 0, 0, 16 }, { 9, 0x13, 0, 0, 0 } };
	static const struct one l2[] = { { 6, 0x12, 0, 0, 0 },
		{ 9, 0x13, 0, 0, 0 }, { 6, 0x14, 0, 0, 0 } };
	struct sstore *s = NULL;
	struct snode a, b;
	struct sverdict v[8];
	struct spush_result r;
	char resp[128], again[128];
	uint8_t *cur = NULL;
	size_t cur_len = 0, n = 0;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node(c, s, 1, "north", &a));
	TEST_ERR(mk_node(c, s, 2, "north", &b));
	judged = 0;
	TEST_ERR(push_list(c, s, a.id, 1, l1, 3, v, resp, sizeof(resp), &r));
	TEST_STR(resp, "node=1 first=1 hw=3 a=1 d=0");
	TEST_EQ(judged, 2); /* the one refused by validation is not asked */
	TEST_EQ(v[0].code, 0);
	TEST_EQ(v[1].code, 16);
	TEST_EQ(v[2].code, 17);
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 1);
	/* the same batch again: its stored answer */
	TEST_ERR(push_list(c, s, a.id, 1, l1, 3, v, again, sizeof(again), &r));
	TEST_EQ(r.replay, 1);
	TEST_STR(again, resp);
	/* an overlapping batch: the refused ones are refused again */
	TEST_ERR(push_list(c, s, a.id, 2, l2, 3, v, resp, sizeof(resp), &r));
	TEST_STR(resp, "node=1 first=2 hw=4 a=1 d=2");
	TEST_EQ(v[0].code, 16);
	TEST_STR(v[0].why, "refused before");
	TEST_EQ(v[1].code, 17);
	TEST_EQ(v[2].code, 0);
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 1);
	free(cur);
	cur = NULL;
	cur_len = 0;
	TEST_ERR(pull_all(c, s, &b, &cur, &cur_len, &n));
	TEST_EQ(n, 2);
out:
	free(cur);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/*
 * Facility scopes: b and c at facility fb, a at fa.  A patient P (0x50)
 * registered at fa enters fb's scope when c records a visit; b then gets
 * P's earlier changes too, though its cursor is past them; records
 * without a patient go to their own facility only.
 */
static int
case_scope_backfill(struct ctx *c)
{
	static const struct one a1[] = { { 3, 0x50, 0x50, 1, 0 },
		{ 4, 0x61, 0x50, 1, 0 }, { 6, 0x71, 0, 0, 0 } };
	static const struct one c1[] = { { 6, 0x72, 0, 0, 0 } };
	static const struct one a2[] = { { 4, 0x62, 0x50, 1, 0 } };
	static const struct one c2[] = { { 4, 0x63, 0x50, 1, 0 } };
	static const struct one a3[] = { { 4, 0x61, 0x50, 0, 0 } };
	static const struct one c3[] = { { 4, 0x62, 0x50, 0, 0 } };
	struct sstore *s = NULL;
	struct snode a, b, cc;
	struct sverdict v[8];
	struct spush_result r;
	char resp[128], seen[256];
	uint8_t *cur = NULL, *cur0 = NULL;
	size_t cur_len = 0, cur0_len = 0, n = 0;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 1, "north", "fa", &a));
	TEST_ERR(mk_node_in(c, s, 2, "north", "fb", &b));
	TEST_ERR(mk_node_in(c, s, 3, "north", "fb", &cc));
	TEST_ERR(push_list(c, s, a.id, 1, a1, 3, v, resp, sizeof(resp), &r));
	TEST_ERR(push_list(c, s, cc.id, 1, c1, 1, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "6:72");
	/* P is not fb's yet */
	TEST_ERR(push_list(c, s, a.id, 4, a2, 1, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "");
	/* c's visit: the policy saw a new record of a patient not in scope */
	TEST_ERR(push_list(c, s, cc.id, 2, c2, 1, v, resp, sizeof(resp), &r));
	TEST_EQ(last_facts.exists, 0);
	TEST_EQ(last_facts.in_scope, 0);
	/* b's cursor is past P's changes: they come with the visit */
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 4:61 4:62 4:63");
	/* later edits of P's records reach b at their own position */
	TEST_ERR(push_list(c, s, a.id, 5, a3, 1, v, resp, sizeof(resp), &r));
	TEST_EQ(last_facts.exists, 1);
	TEST_STR(last_facts.region, "north");
	TEST_STR(last_facts.facility, "fa");
	TEST_EQ(last_facts.in_scope, 1);
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "4:61");
	/* c edits a record of P made at fa: in scope now */
	TEST_ERR(push_list(c, s, cc.id, 3, c3, 1, v, resp, sizeof(resp), &r));
	TEST_EQ(last_facts.exists, 1);
	TEST_STR(last_facts.facility, "fa");
	TEST_EQ(last_facts.in_scope, 1);
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "4:62");
	/* from the start: each once, P's early ones at the visit */
	TEST_ERR(pull_fac(c, s, &b, &cur0, &cur0_len, seen, sizeof(seen)));
	TEST_STR(seen, "6:72 3:50 4:61 4:62 4:63 4:61 4:62");
	/* a (fa) never sees fb's record without a patient */
	free(cur0);
	cur0 = NULL;
	cur0_len = 0;
	TEST_ERR(pull_fac(c, s, &a, &cur0, &cur0_len, seen, sizeof(seen)));
	TEST_STR(seen, "4:63 4:62");
	/* the region's pull: everything but b's own */
	free(cur0);
	cur0 = NULL;
	cur0_len = 0;
	TEST_ERR(pull_all(c, s, &b, &cur0, &cur0_len, &n));
	TEST_EQ(n, 8);
out:
	free(cur);
	free(cur0);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/*
 * A referral (issue 14; entity 9) puts its patient in the target
 * facility's scope: the target's nodes pull the patient and their history
 * (delivered at the referral's position, as a visit's back-fill), then
 * the referral, each once; the target's step reaches the referrer; a
 * third facility sees nothing; a refused referral routes nothing; a
 * replayed one widens nothing twice.
 */
static int
case_referral_scope(struct ctx *c)
{
	static const struct one a1[] = { { 3, 0x50, 0x50, 1, 0 },
		{ 4, 0x61, 0x50, 1, 0 }, { 5, 0x71, 0x50, 0, 0 } };
	static const struct one a2[] = { { 9, 0x91, 0x50, 0, 0 } };
	static const struct one b1[] = { { 9, 0x92, 0x50, 0, 0 } };
	static const struct one a3[] = { { 3, 0x51, 0x51, 1, 0 },
		{ 9, 0x93, 0x51, 0, 17 } };
	static const char *const to_fb[] = { "fb" };
	static const char *const to_fc[] = { NULL, "fc" };
	struct sstore *s = NULL;
	struct snode a, b, fc;
	struct sverdict v[8];
	struct spush_result r;
	char resp[128], seen[256];
	uint8_t *ca = NULL, *cb = NULL, *cc = NULL, *c0 = NULL;
	size_t la = 0, lb = 0, lc = 0, l0 = 0;
	int err = 0;

	refused_entity = 0;
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 1, "north", "fa", &a));
	TEST_ERR(mk_node_in(c, s, 2, "north", "fb", &b));
	TEST_ERR(mk_node_in(c, s, 3, "north", "fc", &fc));
	TEST_ERR(push_list(c, s, a.id, 1, a1, 3, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cb, &lb, seen, sizeof(seen)));
	TEST_STR(seen, "");
	/* the referral: fb gets P's registration, visit and vitals first */
	push_scopes = to_fb;
	TEST_ERR(push_list(c, s, a.id, 4, a2, 1, v, resp, sizeof(resp), &r));
	push_scopes = NULL;
	TEST_EQ(v[0].code, 0);
	TEST_ERR(pull_fac(c, s, &b, &cb, &lb, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 4:61 5:71 9:91");
	/* fb accepts: in scope now, and fa (which has P) gets the step */
	TEST_ERR(pull_fac(c, s, &a, &ca, &la, seen, sizeof(seen)));
	TEST_STR(seen, "");
	TEST_ERR(push_list(c, s, b.id, 1, b1, 1, v, resp, sizeof(resp), &r));
	TEST_EQ(last_facts.in_scope, 1);
	TEST_EQ(v[0].code, 0);
	TEST_ERR(pull_fac(c, s, &a, &ca, &la, seen, sizeof(seen)));
	TEST_STR(seen, "9:92");
	/* fc was not referred to */
	TEST_ERR(pull_fac(c, s, &fc, &cc, &lc, seen, sizeof(seen)));
	TEST_STR(seen, "");
	/* a refused referral routes nothing */
	push_scopes = to_fc;
	TEST_ERR(push_list(c, s, a.id, 5, a3, 2, v, resp, sizeof(resp), &r));
	push_scopes = NULL;
	TEST_EQ(v[1].code, 17);
	TEST_ERR(pull_fac(c, s, &fc, &cc, &lc, seen, sizeof(seen)));
	TEST_STR(seen, "");
	/* the referral's batch again: a replay, nothing new for fb */
	push_scopes = to_fb;
	TEST_ERR(push_list(c, s, a.id, 4, a2, 1, v, resp, sizeof(resp), &r));
	push_scopes = NULL;
	TEST_EQ(r.replay, 1);
	TEST_ERR(pull_fac(c, s, &b, &cb, &lb, seen, sizeof(seen)));
	TEST_STR(seen, "");
	/* fb from the start: each change once */
	TEST_ERR(pull_fac(c, s, &b, &c0, &l0, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 4:61 5:71 9:91");
out:
	push_scopes = NULL;
	refused_entity = 9;
	free(ca);
	free(cb);
	free(cc);
	free(c0);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* Break-glass (issue 17): a patient of fa opened by fb with a reason
 * enters fb's scope past fb's cursor, so fb's next pull back-fills the
 * patient's history, then gets their later changes; each change once.
 * No such patient in the region: ENOENT, nothing recorded. */
static int
case_breakglass(struct ctx *c)
{
	static const struct one a1[] = { { 3, 0x50, 0x50, 1, 0 },
		{ 4, 0x61, 0x50, 1, 0 }, { 5, 0x71, 0x50, 0, 0 },
		{ 3, 0x51, 0x51, 1, 0 } };
	static const struct one a2[] = { { 5, 0x72, 0x50, 0, 0 },
		{ 5, 0x73, 0x51, 0, 0 } };
	struct sstore *s = NULL;
	struct snode a, b;
	struct sverdict v[8];
	struct spush_result r;
	struct sbreakglass bg, *list = NULL;
	char resp[128], seen[256];
	uint8_t *cb = NULL, *c0 = NULL;
	size_t lb = 0, l0 = 0, n = 0;
	int err = 0;

	refused_entity = 0;
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 1, "north", "fa", &a));
	TEST_ERR(mk_node_in(c, s, 2, "north", "fb", &b));
	TEST_ERR(push_list(c, s, a.id, 1, a1, 4, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cb, &lb, seen, sizeof(seen)));
	TEST_STR(seen, "");
	memset(&bg, 0, sizeof(bg));
	bg.node = b.id;
	snprintf(bg.region, sizeof(bg.region), "south");
	snprintf(bg.facility, sizeof(bg.facility), "fb");
	memset(bg.patient, 0x50, 16);
	snprintf(bg.user, sizeof(bg.user), "nurse-1");
	snprintf(bg.reason, sizeof(bg.reason), "arrived unconscious");
	bg.at_ms = 1234;
	/* another region's patient, an unknown one: refused */
	TEST_EQ(c->be->breakglass_add(s, &bg), ENOENT);
	snprintf(bg.region, sizeof(bg.region), "north");
	memset(bg.patient, 0x59, 16);
	TEST_EQ(c->be->breakglass_add(s, &bg), ENOENT);
	TEST_ERR(c->be->breakglass_list(s, 0, &list, &n));
	TEST_EQ(n, 0);
	free(list);
	list = NULL;
	TEST_ERR(pull_fac(c, s, &b, &cb, &lb, seen, sizeof(seen)));
	TEST_STR(seen, "");
	memset(bg.patient, 0x50, 16);
	TEST_ERR(c->be->breakglass_add(s, &bg));
	TEST_ERR(pull_fac(c, s, &b, &cb, &lb, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 4:61 5:71");
	TEST_ERR(push_list(c, s, a.id, 5, a2, 2, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cb, &lb, seen, sizeof(seen)));
	TEST_STR(seen, "5:72");
	/* from the start: each change of the patient once, none of 0x51 */
	TEST_ERR(pull_fac(c, s, &b, &c0, &l0, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 4:61 5:71 5:72");
	TEST_ERR(c->be->breakglass_list(s, 10, &list, &n));
	TEST_EQ(n, 1);
	TEST_EQ(list[0].node, b.id);
	TEST_STR(list[0].facility, "fb");
	TEST_STR(list[0].region, "north");
	TEST_STR(list[0].user, "nurse-1");
	TEST_STR(list[0].reason, "arrived unconscious");
	TEST_MEM(list[0].patient, bg.patient, 16);
	TEST_EQ(list[0].at_ms, 1234);
out:
	refused_entity = 9;
	free(list);
	free(cb);
	free(c0);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* Break-glass searches (issue 17): each one kept with its words and
 * count, listed newest first, at most MAX. */
static int
case_bgsearch(struct ctx *c)
{
	struct sstore *s = NULL;
	struct sbgsearch q, *list = NULL;
	size_t n = 0;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(c->be->bgsearch_list(s, 0, &list, &n));
	TEST_EQ(n, 0);
	free(list);
	list = NULL;
	memset(&q, 0, sizeof(q));
	q.node = 7;
	snprintf(q.region, sizeof(q.region), "north");
	snprintf(q.facility, sizeof(q.facility), "fb");
	snprintf(q.user, sizeof(q.user), "nurse-1");
	snprintf(q.query, sizeof(q.query), "amina juma");
	q.found = 2;
	q.at_ms = 1000;
	TEST_ERR(c->be->bgsearch_add(s, &q));
	snprintf(q.query, sizeof(q.query), "0700 111 222");
	q.found = 0;
	q.at_ms = 2000;
	TEST_ERR(c->be->bgsearch_add(s, &q));
	TEST_ERR(c->be->bgsearch_list(s, 0, &list, &n));
	TEST_EQ(n, 2);
	TEST_STR(list[0].query, "0700 111 222");
	TEST_EQ(list[0].found, 0);
	TEST_EQ(list[0].at_ms, 2000);
	TEST_STR(list[1].query, "amina juma");
	TEST_EQ(list[1].found, 2);
	TEST_EQ(list[1].node, 7);
	TEST_STR(list[1].region, "north");
	TEST_STR(list[1].facility, "fb");
	TEST_STR(list[1].user, "nurse-1");
	free(list);
	list = NULL;
	TEST_ERR(c->be->bgsearch_list(s, 1, &list, &n));
	TEST_EQ(n, 1);
	TEST_EQ(list[0].at_ms, 2000);
out:
	free(list);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* bgsearch_admit's judges: let a node have 10 searches (after a pause
 * between reading and deciding, to open any race), or say what they saw. */
static int
bga_ten(const struct sbgrecent *r, size_t n, void *arg)
{
	const struct timespec pause = { 0, 2 * 1000000L };

	(void)r;
	(void)arg;
	nanosleep(&pause, NULL);
	return n >= 10 ? EDQUOT : 0;
}

struct bga_seen {
	size_t n;
	uint64_t newest, oldest;
};

static int
bga_look(const struct sbgrecent *r, size_t n, void *arg)
{
	struct bga_seen *v = arg;

	v->n = n;
	v->newest = n > 0 ? r[0].at_ms : 0;
	v->oldest = n > 0 ? r[n - 1].at_ms : 0;
	return ECANCELED;
}

struct bga_thread {
	const struct store_backend *be;
	struct sstore *s;
	uint64_t node;
	int k, refused, err;
};

static void *
bga_run(void *arg)
{
	struct bga_thread *t = arg;
	struct sbgsearch q;
	int i, err;

	memset(&q, 0, sizeof(q));
	q.node = t->node;
	snprintf(q.region, sizeof(q.region), "north");
	snprintf(q.user, sizeof(q.user), "nurse-%d", t->k);
	snprintf(q.query, sizeof(q.query), "amina");
	for (i = 0; i < 4; i++) {
		q.at_ms = 10000 + (uint64_t)t->k * 10 + (uint64_t)i;
		err = t->be->bgsearch_admit(t->s, &q, 0, bga_ten, NULL);
		if (err == EDQUOT)
			t->refused++;
		else if (err != 0)
			t->err = err;
	}
	return NULL;
}

/* The break-glass search limit's lock (issue 17): 8 threads through two
 * store handles (two server instances) each try 4 searches of one node
 * whose judge allows 10: exactly 10 recorded, 22 refused.  The judge sees
 * only the node's searches since SINCE, newest first; its refusal
 * records nothing.  A node the store does not know is refused. */
static int
case_bgsearch_admit(struct ctx *c)
{
	struct sstore *s = NULL, *s2 = NULL;
	struct bga_thread t[8];
	struct sbgsearch q, *list = NULL;
	struct bga_seen seen;
	struct snode nd;
	pthread_t th[8];
	size_t i, n = 0, mine = 0;
	int err = 0, refused = 0, started = 0;

	memset(t, 0, sizeof(t));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(c->be->open(c->target, NULL, &s2));
	TEST_ERR(mk_node(c, s, 7, "north", &nd));
	/* another node's search: not counted for this one */
	memset(&q, 0, sizeof(q));
	q.node = nd.id + 100;
	q.at_ms = 20000;
	TEST_ERR(c->be->bgsearch_add(s, &q));
	TEST_EQ(c->be->bgsearch_admit(s, &q, 0, bga_look, &seen), ENOENT);
	for (i = 0; i < 8; i++) {
		t[i].be = c->be;
		t[i].node = nd.id;
		t[i].s = i % 2 ? s2 : s;
		t[i].k = (int)i;
		TEST_EQ(pthread_create(&th[i], NULL, bga_run, &t[i]), 0);
		started++;
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	started = 0;
	for (i = 0; i < 8; i++) {
		TEST_ERR(t[i].err);
		refused += t[i].refused;
	}
	TEST_EQ(refused, 8 * 4 - 10);
	TEST_ERR(c->be->bgsearch_list(s, 0, &list, &n));
	for (i = 0; i < n; i++)
		mine += list[i].node == nd.id;
	TEST_EQ(mine, 10);
	TEST_EQ(n, 11);
	/* what the judge sees: the node's, newest first, since SINCE */
	memset(&q, 0, sizeof(q));
	q.node = nd.id;
	TEST_EQ(c->be->bgsearch_admit(s2, &q, 0, bga_look, &seen), ECANCELED);
	TEST_EQ(seen.n, 10);
	TEST_TRUE(seen.newest >= seen.oldest && seen.oldest >= 10000);
	TEST_EQ(c->be->bgsearch_admit(s, &q, seen.newest, bga_look, &seen),
	    ECANCELED);
	TEST_EQ(seen.n, 1);
	free(list);
	list = NULL;
	TEST_ERR(c->be->bgsearch_list(s, 0, &list, &n));
	TEST_EQ(n, 11); /* the judges' refusals recorded nothing */
out:
	for (i = 0; i < (size_t)started; i++)
		pthread_join(th[i], NULL);
	free(list);
	if (s2 != NULL)
		c->be->close(s2);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* Audit anchors (issue 17): the newest anchor, whether a break follows
 * it, and every row newest first. */
static int
case_anchor(struct ctx *c)
{
	struct sstore *s = NULL;
	struct sanchor a, got, *list = NULL;
	size_t n = 0;
	int err = 0, broken = -1;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_EQ(c->be->anchor_get(s, 7, &got, &broken), ENOENT);
	memset(&a, 0, sizeof(a));
	a.node = 7;
	a.seq = 5;
	memset(a.hash, 0xa5, 32);
	a.ok = 1;
	a.at_ms = 100;
	snprintf(a.detail, sizeof(a.detail), "5 entries");
	TEST_ERR(c->be->anchor_add(s, &a));
	TEST_ERR(c->be->anchor_get(s, 7, &got, &broken));
	TEST_EQ(got.seq, 5);
	TEST_MEM(got.hash, a.hash, 32);
	TEST_EQ(broken, 0);
	TEST_EQ(c->be->anchor_get(s, 8, &got, &broken), ENOENT);
	a.ok = 0;
	a.seq = 6;
	memset(a.hash, 0x66, 32);
	snprintf(a.detail, sizeof(a.detail), "entry 6 does not carry it");
	a.at_ms = 200;
	TEST_ERR(c->be->anchor_add(s, &a));
	TEST_ERR(c->be->anchor_get(s, 7, &got, &broken));
	TEST_EQ(got.seq, 5);
	TEST_EQ(broken, 1);
	a.ok = 1;
	a.seq = 9;
	a.at_ms = 300;
	TEST_ERR(c->be->anchor_add(s, &a));
	TEST_ERR(c->be->anchor_get(s, 7, &got, &broken));
	TEST_EQ(got.seq, 9);
	TEST_EQ(broken, 0);
	TEST_ERR(c->be->anchor_list(s, 7, 10, &list, &n));
	TEST_EQ(n, 3);
	TEST_EQ(list[0].seq, 9);
	TEST_EQ(list[1].ok, 0);
	TEST_STR(list[1].detail, "entry 6 does not carry it");
	TEST_EQ(list[2].at_ms, 100);
out:
	free(list);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* One batch judged as it goes: a patient registered, an encounter of
 * theirs (in scope now), an edit of the registration (exists now). */
static int
case_judge_in_batch(struct ctx *c)
{
	static const struct one l[] = { { 3, 0x50, 0x50, 1, 0 },
		{ 4, 0x61, 0x50, 1, 0 }, { 3, 0x50, 0x50, 0, 0 },
		{ 4, 0x62, 0x50, 1, 16 }, { 4, 0x62, 0x50, 0, 0 } };
	struct sstore *s = NULL;
	struct snode a;
	struct sverdict v[8];
	struct spush_result r;
	char resp[128];
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 1, "north", "fa", &a));
	judged = 0;
	TEST_ERR(push_list(c, s, a.id, 1, l, 5, v, resp, sizeof(resp), &r));
	TEST_EQ(judged, 4);
	TEST_EQ(all_facts[0].exists, 0);
	TEST_EQ(all_facts[0].in_scope, 0);
	TEST_EQ(all_facts[1].exists, 0);
	TEST_EQ(all_facts[1].in_scope, 1);
	TEST_EQ(all_facts[2].exists, 1);
	TEST_STR(all_facts[2].facility, "fa");
	TEST_EQ(all_facts[2].in_scope, 1);
	/* refused by validation (not asked): its record is not made, so
	 * the next change of that record is a new record */
	TEST_EQ(v[3].code, 16);
	TEST_EQ(all_facts[3].exists, 0);
	TEST_EQ(all_facts[3].in_scope, 1);
	TEST_STR(resp, "node=1 first=1 hw=5 a=4 d=0");
out:
	if (s != NULL)
		c->be->close(s);
	return err;
}

/*
 * PostgreSQL: a back-filled change is served only once its delivery
 * position (the visit's xid) is below the horizon.  A transaction that
 * took an xid before the visit and is still open hides the visit and
 * the changes it brings, though their own xids are older still; once it
 * ends they all come, to a cursor already past them.
 */
/* Run SQL on *W, a connection of the case's database of its own
 * (opened when NULL), e.g. to leave a transaction open. */
static int
pg_hold(const struct ctx *c, const char *sql, PGconn **w)
{
	char ci[256];
	PGresult *r;
	int ok;

	if (*w == NULL) {
		pgtest_conninfo(c->pg, c->db, ci, sizeof(ci));
		*w = PQconnectdb(ci);
	}
	if (PQstatus(*w) != CONNECTION_OK)
		return EIO;
	r = PQexec(*w, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(*w));
	PQclear(r);
	return ok ? 0 : EIO;
}

static int
case_pg_backfill_horizon(struct ctx *c)
{
	static const struct one a1[] = { { 3, 0x50, 0x50, 1, 0 },
		{ 4, 0x61, 0x50, 1, 0 } };
	static const struct one c1[] = { { 4, 0x63, 0x50, 1, 0 } };
	struct sstore *s = NULL;
	struct snode a, b, cc;
	struct sverdict v[8];
	struct spush_result r;
	char resp[128], seen[256];
	uint8_t *cur = NULL;
	size_t cur_len = 0;
	PGconn *w = NULL;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 1, "north", "fa", &a));
	TEST_ERR(mk_node_in(c, s, 2, "north", "fb", &b));
	TEST_ERR(mk_node_in(c, s, 3, "north", "fb", &cc));
	TEST_ERR(push_list(c, s, a.id, 1, a1, 2, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "");
	TEST_ERR(pg_hold(c, "BEGIN; INSERT INTO alerts(kind) VALUES('w')", &w));
	/* the visit commits above the open transaction's xid */
	TEST_ERR(push_list(c, s, cc.id, 1, c1, 1, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "");
	TEST_ERR(pg_hold(c, "COMMIT", &w));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 4:61 4:63");
out:
	PQfinish(w);
	free(cur);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* A facility's pull and a late committer: a visit of a patient in the
 * facility's scope whose transaction began first but commits after a
 * later push is served once it commits, once, and before the later one
 * (feed order); the later one is held back until then (fails with a
 * cursor that moves past what it has seen). */
static int
case_pg_late_facility(struct ctx *c)
{
	static const struct one reg[] = { { 3, 0x50, 0x50, 1, 0 } };
	static const struct one later[] = { { 4, 0x62, 0x50, 0, 0 } };
	struct sstore *s = NULL;
	struct snode a, a2, b;
	struct sverdict v[8];
	struct spush_result r;
	char resp[128], seen[256], *sql = NULL;
	uint8_t *cur = NULL;
	size_t cur_len = 0;
	PGconn *w = NULL;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 1, "north", "fa", &a));
	TEST_ERR(mk_node_in(c, s, 2, "north", "fa", &a2));
	TEST_ERR(mk_node_in(c, s, 3, "north", "fa", &b));
	TEST_ERR(push_list(c, s, a.id, 1, reg, 1, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "3:50");
	/* the late one: a visit of the patient, stored as a push stores it,
	 * in a transaction left open */
	xasprintf(&sql,
	    "BEGIN; INSERT INTO changes(region, node, seq, entity, rid,"
	    " hlc, hash, body) VALUES('north', %llu, 1, 4,"
	    " decode(repeat('71', 16), 'hex'), 1, '\\x00', 'late');"
	    " INSERT INTO records(entity, rid, region, facility, node,"
	    " patient) VALUES(4, decode(repeat('71', 16), 'hex'), 'north',"
	    " 'fa', %llu, decode(repeat('50', 16), 'hex'))",
	    (unsigned long long)a2.id, (unsigned long long)a2.id);
	TEST_ERR(pg_hold(c, sql, &w));
	/* a later push commits first: held back */
	TEST_ERR(push_list(c, s, a.id, 2, later, 1, v, resp, sizeof(resp), &r));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "");
	TEST_ERR(pg_hold(c, "COMMIT", &w));
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "4:71 4:62");
	TEST_ERR(pull_fac(c, s, &b, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "");
out:
	free(sql);
	PQfinish(w);
	free(cur);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* The schema upgrade: a database left by an older program at each
 * earlier version K (its migrations 1..K, then its data: a node and
 * 3 of its changes, with version 1's columns) is brought to the latest
 * version by opening the store, its data kept: the node known, its
 * changes pulled by another node of the region, a new push on top. */
static int
case_pg_upgrade(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n, m, b;
	struct spush_result r;
	struct batch bt;
	char ci[256], v[32], have[32];
	uint8_t *cur = NULL;
	size_t cur_len = 0, got = 0;
	PGconn *db = NULL;
	int k, err = 0;

	for (k = 1; k < pg_schema_latest(); k++) {
		TEST_ERR(pgtest_newdb(c->pg, ci, sizeof(ci)));
		db = PQconnectdb(ci);
		TEST_TRUE(PQstatus(db) == CONNECTION_OK);
		TEST_ERR(pg_schema_migrate_to(db, k));
		PQfinish(db);
		db = NULL;
		snprintf(v, sizeof(v), "t%u", c->pg->ndb);
		TEST_ERR(pgtest_sql(c->pg, v,
		    "INSERT INTO nodes(id, pub, role, region, facility, label,"
		    " hw) VALUES(7, '\\x07', 'clinic', 'north', 'fa', 'old', 3);"
		    "INSERT INTO batches(node, first_seq, last_seq, hash,"
		    " response) VALUES(7, 1, 3, '\\x00', '\\x00');"
		    "INSERT INTO changes(region, node, seq, entity, rid, hlc,"
		    " hash, body) SELECT 'north', 7, g, 3, int8send(g), g,"
		    " '\\x00', 'old' FROM generate_series(1, 3) g",
		    NULL, 0));
		TEST_ERR(c->be->open(ci, NULL, &s));
		TEST_ERR(pgtest_sql(c->pg, v,
		    "SELECT max(version) FROM outpost_schema", have,
		    sizeof(have)));
		TEST_EQ(strtol(have, NULL, 10), pg_schema_latest());
		TEST_ERR(c->be->node_get(s, 7, &n));
		TEST_EQ(n.hw, 3);
		TEST_ERR(mk_node(c, s, 9, "north", &b));
		free(cur);
		cur = NULL;
		cur_len = 0;
		TEST_ERR(pull_want(c, s, &b, &cur, &cur_len, 3, &got));
		TEST_EQ(got, 3);
		TEST_ERR(mk_node(c, s, 10, "north", &m));
		mk_batch(&bt, m.id, 1, 2, "");
		TEST_ERR(c->be->push(s, &bt.p, &r));
		free(r.response);
		TEST_ERR(pull_want(c, s, &b, &cur, &cur_len, 2, &got));
		TEST_EQ(got, 2);
		c->be->close(s);
		s = NULL;
	}
out:
	PQfinish(db);
	free(cur);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* --- consults (issue 13) ------------------------------------------------ */

/* A node of ROLE enrolled in region north at FACILITY. */
static int
mk_node_role(const struct ctx *c, struct sstore *s, uint8_t tag,
    const char *role, const char *facility, struct snode *out)
{
	return mk_node_as(c, s, tag, role, "north", facility, out);
}

/* One consult change: record ID of patient PATIENT (0: a patient
 * record, entity 3), its state (NULL: none), clinician, urgency (0:
 * none), whether it carries a note, a handover. */
struct cone {
	uint8_t id, patient;
	const char *state, *clinician;
	uint64_t urgency;
	int note;
	const char *handed;
};

/* Push L[0..N) as NODE's seqs FIRST.. at server time NOW, judged by the
 * real policy (sync-server/policy.c): the verdicts in V. */
static int
push_consults(const struct ctx *c, struct sstore *s, const struct snode *node,
    uint64_t first, const struct cone *l, size_t n, uint64_t now,
    struct sverdict *v)
{
	struct schange ch[8];
	char body[8][48], all[8 * 48];
	struct spush p;
	struct spush_result r;
	size_t i;
	int err;

	memset(&p, 0, sizeof(p));
	memset(ch, 0, sizeof(ch));
	memset(all, 0, sizeof(all));
	for (i = 0; i < n && i < 8; i++) {
		struct sconsult *cs = &ch[i].consult;

		snprintf(body[i], sizeof(body[i]), "n%llus%llu",
		    (unsigned long long)node->id,
		    (unsigned long long)(first + i));
		memcpy(all + 48 * i, body[i], strlen(body[i]));
		ch[i].seq = first + i;
		ch[i].entity = l[i].patient ? 7 : 3;
		memset(ch[i].id, l[i].id, 16);
		ch[i].hlc = 1000 + first + i;
		ch[i].body = (const uint8_t *)body[i];
		ch[i].len = strlen(body[i]);
		ch[i].has_patient = 1;
		memset(
		    ch[i].patient, l[i].patient ? l[i].patient : l[i].id, 16);
		ch[i].widens = l[i].patient == 0;
		ch[i].is_consult = ch[i].hub_scope = l[i].patient != 0;
		if (l[i].state != NULL) {
			cs->has_state = 1;
			snprintf(
			    cs->state, sizeof(cs->state), "%s", l[i].state);
		}
		if (l[i].clinician != NULL) {
			cs->has_clinician = 1;
			snprintf(cs->clinician, sizeof(cs->clinician), "%s",
			    l[i].clinician);
		}
		if (l[i].handed != NULL) {
			cs->has_handed = 1;
			snprintf(cs->handed_to, sizeof(cs->handed_to), "%s",
			    l[i].handed);
		}
		cs->has_urgency = cs->request = l[i].urgency != 0;
		cs->urgency = l[i].urgency;
		cs->note = l[i].note;
		memset(&v[i], 0, sizeof(v[i]));
	}
	p.node = node->id;
	p.first = first;
	p.last = first + n - 1;
	p.changes = ch;
	p.n = n;
	crypto_sha256(all, 48 * n, p.hash);
	p.now_ms = now;
	p.encode_cb = enc_cb;
	p.verdicts = v;
	p.authorize_cb = policy_authorize;
	err = c->be->push(s, &p, &r);
	free(r.response);
	return err;
}

/* The queue as NODE sees it: "<id byte>:<state>:<position>" each. */
static int
queue_str(const struct ctx *c, struct sstore *s, const struct snode *node,
    int all, char *out, size_t size, struct squeue *q)
{
	size_t i, at = 0;
	int err;

	out[0] = '\0';
	if ((err = c->be->consult_queue(s, node, all, q)) != 0)
		return err;
	for (i = 0; i < q->n && at + 24 < size; i++)
		at += (size_t)snprintf(out + at, size - at, "%s%02x:%s:%llu",
		    at ? " " : "", q->items[i].id[0], q->items[i].state,
		    (unsigned long long)q->items[i].position);
	return 0;
}

/*
 * The consult lifecycle on the store, judged by the real policy: queued
 * on create (and its patient brought into the hubs' scope), the queue by
 * urgency then waiting time, one accept wins (the second hub is told
 * consult_taken), in-batch steps, a clinic may not sign, a closed
 * consult takes no more steps, a handover goes to the named clinician
 * only, and the expected wait from accept times.
 */
static int
case_consults(struct ctx *c)
{
	static const struct cone a1[] = { { 0x50, 0, NULL, NULL, 0, 0, NULL },
		{ 0xc1, 0x50, "requested", NULL, 1, 0, NULL } };
	static const struct cone a2[] = { { 0xc2, 0x50, "requested", NULL, 2, 0,
		                              NULL },
		{ 0xc3, 0x50, "requested", NULL, 1, 0, NULL } };
	static const struct cone h1acc[] = { { 0xc1, 0x50, "accepted", "u1", 0,
	    1, NULL } };
	static const struct cone h2acc[] = { { 0xc1, 0x50, "accepted", "u2", 0,
	    1, NULL } };
	static const struct cone h1sign[] = { { 0xc1, 0x50, "call", NULL, 0, 0,
		                                  NULL },
		{ 0xc1, 0x50, "signed", NULL, 0, 1, NULL } };
	static const struct cone asign[] = { { 0xc2, 0x50, "signed", NULL, 0, 1,
	    NULL } };
	static const struct cone aclose[] = { { 0xc1, 0x50, "closed", NULL, 0,
	    0, NULL } };
	static const struct cone h1late[] = { { 0xc1, 0x50, "call", NULL, 0, 0,
	    NULL } };
	static const struct cone h2c2[] = { { 0xc2, 0x50, "accepted", "u2", 0,
		                                1, NULL },
		{ 0xc2, 0x50, "requested", NULL, 0, 0, "u1" } };
	static const struct cone h2c2b[] = { { 0xc2, 0x50, "accepted", "u2", 0,
	    1, NULL } };
	static const struct cone h1c2[] = { { 0xc2, 0x50, "accepted", "u1", 0,
	    1, NULL } };
	struct sstore *s = NULL;
	struct snode a, b, h1, h2, h3;
	struct sverdict v[8];
	struct squeue q;
	char seen[256];
	uint8_t *cur = NULL;
	size_t cur_len = 0;
	int err = 0;

	memset(&q, 0, sizeof(q));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_role(c, s, 1, "clinic", "fa", &a));
	TEST_ERR(mk_node_role(c, s, 2, "clinic", "fb", &b));
	TEST_ERR(mk_node_role(c, s, 3, "hub", "hub1", &h1));
	TEST_ERR(mk_node_role(c, s, 4, "hub", "hub2", &h2));
	TEST_ERR(push_consults(c, s, &a, 1, a1, 2, 10000, v));
	TEST_EQ(v[1].code, 0);
	TEST_ERR(push_consults(c, s, &a, 3, a2, 2, 20000, v));
	/* urgency first, then the longest wait */
	TEST_ERR(queue_str(c, s, &h1, 1, seen, sizeof(seen), &q));
	TEST_STR(seen, "c2:requested:1 c1:requested:2 c3:requested:3");
	TEST_EQ(q.waiting, 3);
	TEST_EQ(q.has_wait, 0);
	squeue_clear(&q);
	/* the hub pulls the consult's patient, though no visit was there */
	TEST_ERR(pull_fac(c, s, &h1, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 7:c1 7:c2 7:c3");
	/* a hub enrolled after the consults were queued gets them too */
	TEST_ERR(mk_node_role(c, s, 5, "hub", "hub3", &h3));
	free(cur);
	cur = NULL;
	cur_len = 0;
	TEST_ERR(pull_fac(c, s, &h3, &cur, &cur_len, seen, sizeof(seen)));
	TEST_STR(seen, "3:50 7:c1 7:c2 7:c3");
	/* b (another clinic) sees none of fa's consults */
	TEST_ERR(queue_str(c, s, &b, 0, seen, sizeof(seen), &q));
	TEST_STR(seen, "");
	squeue_clear(&q);
	/* two hubs accept c1: the first in the server's order wins */
	TEST_ERR(push_consults(c, s, &h1, 1, h1acc, 1, 80000, v));
	TEST_EQ(v[0].code, 0);
	TEST_ERR(push_consults(c, s, &h2, 1, h2acc, 1, 81000, v));
	TEST_EQ(v[0].code, WERR_CONSULT_TAKEN);
	TEST_TRUE(strstr(v[0].why, "another clinician") != NULL);
	/* the clinic sees its consults with their positions */
	TEST_ERR(queue_str(c, s, &a, 0, seen, sizeof(seen), &q));
	TEST_STR(seen, "c2:requested:1 c3:requested:2 c1:accepted:0");
	TEST_EQ(q.has_wait, 1);
	TEST_EQ(q.wait_ms, 70000);
	squeue_clear(&q);
	/* call and sign in one batch: judged as it goes */
	TEST_ERR(push_consults(c, s, &h1, 2, h1sign, 2, 90000, v));
	TEST_EQ(v[0].code, 0);
	TEST_EQ(v[1].code, 0);
	/* a clinic may not write a note */
	TEST_ERR(push_consults(c, s, &a, 5, asign, 1, 91000, v));
	TEST_EQ(v[0].code, WERR_FORBIDDEN);
	/* the clinic closes c1; then no step is taken */
	TEST_ERR(push_consults(c, s, &a, 6, aclose, 1, 92000, v));
	TEST_EQ(v[0].code, 0);
	TEST_ERR(push_consults(c, s, &h1, 4, h1late, 1, 93000, v));
	TEST_EQ(v[0].code, WERR_CONSULT_STEP);
	/* h2 takes c2 and hands it to u1 (blind transfer): h2 again may not
	 * take it back; h1 may, as u1 */
	TEST_ERR(push_consults(c, s, &h2, 2, h2c2, 2, 94000, v));
	TEST_EQ(v[0].code, 0);
	TEST_EQ(v[1].code, 0);
	TEST_ERR(push_consults(c, s, &h2, 4, h2c2b, 1, 95000, v));
	TEST_EQ(v[0].code, WERR_CONSULT_TAKEN);
	TEST_ERR(push_consults(c, s, &h1, 5, h1c2, 1, 96000, v));
	TEST_EQ(v[0].code, 0);
	TEST_ERR(queue_str(c, s, &h2, 1, seen, sizeof(seen), &q));
	TEST_STR(seen, "c3:requested:1 c2:accepted:0");
	TEST_EQ(q.items[1].accepted_node, h1.id);
	/* each carries the node that asked (the one the hub calls) */
	TEST_EQ(q.items[0].node, a.id);
	TEST_EQ(q.items[1].node, a.id);
	squeue_clear(&q);
out:
	squeue_clear(&q);
	free(cur);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* Issue 10, item 8: stats count the patients a merge (entity 15, its
 * patient the retired record) retires: each once however many merges
 * name it, and none for a patient the store does not hold. */
static int
case_merged_stats(struct ctx *c)
{
	static const struct one l[] = { { 3, 0x50, 0x50, 1, 0 },
		{ 3, 0x51, 0x51, 1, 0 }, { 3, 0x52, 0x52, 1, 0 },
		{ 15, 0x90, 0x51, 0, 0 }, { 15, 0x91, 0x51, 0, 0 },
		{ 15, 0x92, 0x77, 0, 0 } };
	struct sstore *s = NULL;
	struct snode a;
	struct sverdict v[8];
	struct spush_result r;
	struct sstats st;
	char resp[128];
	int err = 0;

	memset(&st, 0, sizeof(st));
	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 1, "north", "fa", &a));
	TEST_ERR(c->be->stats(s, &st));
	TEST_EQ(st.merged, 0);
	sstats_clear(&st);
	TEST_ERR(push_list(c, s, a.id, 1, l, 3, v, resp, sizeof(resp), &r));
	TEST_ERR(push_list(c, s, a.id, 4, l + 3, 3, v, resp, sizeof(resp), &r));
	TEST_ERR(c->be->stats(s, &st));
	TEST_EQ(st.merged, 1);
out:
	sstats_clear(&st);
	c->be->close(s);
	return err;
}

/* Issue 16: partners.  One per (region, URL, format) (EEXIST after),
 * listed by region; a queued message once per (partner, incident, seq)
 * (EEXIST after), its body kept byte for byte, due only while pending
 * and past next_ms, marked delivered or retried later. */
struct pt_seen {
	int n;
	struct spartner p[4];
	struct spq q[4];
	char body[4][64];
};

static int
pt_cb(const struct spartner *p, void *arg)
{
	struct pt_seen *x = arg;

	if (x->n < 4)
		x->p[x->n] = *p;
	x->n++;
	return 0;
}

static int
pq_seen_cb(const struct spq *q, void *arg)
{
	struct pt_seen *x = arg;

	if (x->n < 4) {
		x->q[x->n] = *q;
		snprintf(x->body[x->n], 64, "%s", q->body);
		x->q[x->n].body = NULL;
	}
	x->n++;
	return 0;
}

static int
case_partners(struct ctx *c)
{
	struct sstore *s = NULL;
	struct pt_seen *x = xcalloc(1, sizeof(*x));
	struct spartner p;
	struct spq q;
	uint64_t id1;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	memset(&p, 0, sizeof(p));
	snprintf(p.region, sizeof(p.region), "north");
	snprintf(p.url, sizeof(p.url), "https://dispatch.example/cap");
	snprintf(p.format, sizeof(p.format), "cap");
	snprintf(p.secret, sizeof(p.secret), "pw");
	p.added_ms = 10;
	TEST_ERR(c->be->partner_add(s, &p));
	TEST_TRUE(p.id > 0);
	id1 = p.id;
	TEST_EQ(c->be->partner_add(s, &p), EEXIST);
	snprintf(p.format, sizeof(p.format), "fhir");
	TEST_ERR(c->be->partner_add(s, &p));
	TEST_TRUE(p.id > id1);
	snprintf(p.region, sizeof(p.region), "south");
	TEST_ERR(c->be->partner_add(s, &p));
	TEST_ERR(c->be->partner_list(s, "north", pt_cb, x));
	TEST_EQ(x->n, 2);
	TEST_EQ(x->p[0].id, id1);
	TEST_STR(x->p[0].url, "https://dispatch.example/cap");
	TEST_STR(x->p[0].secret, "pw");
	TEST_STR(x->p[1].format, "fhir");
	x->n = 0;
	TEST_ERR(c->be->partner_list(s, "", pt_cb, x));
	TEST_EQ(x->n, 3);
	/* the queue */
	memset(&q, 0, sizeof(q));
	q.partner = id1;
	memset(q.incident, 0x51, 16);
	q.seq = 1;
	snprintf(q.kind, sizeof(q.kind), "Alert");
	snprintf(q.status, sizeof(q.status), "pending");
	q.next_ms = q.created_ms = q.updated_ms = 1000;
	q.body = "<alert>one</alert>";
	TEST_ERR(c->be->pq_add(s, &q));
	q.body = "<alert>other</alert>";
	TEST_EQ(c->be->pq_add(s, &q), EEXIST);
	q.seq = 9003;
	snprintf(q.kind, sizeof(q.kind), "Cancel");
	q.next_ms = 3000;
	q.body = "<alert>cancel</alert>";
	TEST_ERR(c->be->pq_add(s, &q));
	x->n = 0;
	TEST_ERR(c->be->pq_list(s, NULL, 2000, pq_seen_cb, x));
	TEST_EQ(x->n, 1); /* the Cancel is not due yet */
	TEST_EQ(x->q[0].seq, 1);
	TEST_STR(x->body[0], "<alert>one</alert>");
	/* refused for now: later */
	q = x->q[0];
	q.attempts = 1;
	q.next_ms = 5000;
	snprintf(q.last_error, sizeof(q.last_error), "HTTP 503");
	TEST_ERR(c->be->pq_mark(s, &q));
	x->n = 0;
	TEST_ERR(c->be->pq_list(s, NULL, 4000, pq_seen_cb, x));
	TEST_EQ(x->n, 1);
	TEST_EQ(x->q[0].seq, 9003);
	/* delivered: never due again */
	q.next_ms = 5000;
	snprintf(q.status, sizeof(q.status), "delivered");
	q.attempts = 2;
	TEST_ERR(c->be->pq_mark(s, &q));
	x->n = 0;
	TEST_ERR(c->be->pq_list(s, NULL, 10000, pq_seen_cb, x));
	TEST_EQ(x->n, 1);
	TEST_EQ(x->q[0].seq, 9003);
	/* the incident's rows, by partner and seq */
	x->n = 0;
	TEST_ERR(c->be->pq_list(s, q.incident, 0, pq_seen_cb, x));
	TEST_EQ(x->n, 2);
	TEST_STR(x->q[0].status, "delivered");
	TEST_EQ(x->q[0].attempts, 2);
	TEST_STR(x->q[0].last_error, "HTTP 503");
	TEST_STR(x->q[1].kind, "Cancel");
	TEST_STR(x->body[1], "<alert>cancel</alert>");
out:
	free(x);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* Issue 16: emergencies.  One row per UUID whatever arrives first (the
 * fast path or sync), merged: the earliest marks, the newest state, a
 * closed state stays, the first yes counts, the engine blob kept when
 * not given; a page claimed once (EEXIST after), its status never going
 * back from "delivered" (out-of-order reports); a reply once per
 * gateway message. */
struct em_seen {
	int n;
	struct semerg e;
	struct semerg_page p[8];
};

static int
em_cb(const struct semerg *e, void *arg)
{
	struct em_seen *x = arg;

	x->e = *e;
	x->n++;
	return 0;
}

static int
em_page_cb(const struct semerg_page *p, void *arg)
{
	struct em_seen *x = arg;

	if (x->n < 8)
		x->p[x->n] = *p;
	x->n++;
	return 0;
}

static int
case_emergency(struct ctx *c)
{
	struct sstore *s = NULL;
	struct semerg *e = xcalloc(1, sizeof(*e));
	struct em_seen *x = xcalloc(1, sizeof(*x));
	struct semerg_page p;
	struct semerg_reply r;
	int err = 0, created = -1;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	memset(e->id, 0x42, 16);
	snprintf(e->code, sizeof(e->code), "938NKR");
	e->node = 7;
	snprintf(e->state, sizeof(e->state), "paging");
	e->loop = 1;
	snprintf(e->modem, sizeof(e->modem), "ok");
	e->hlc = 100;
	e->raised_ms = 5000;
	e->first_send_ms = 5200;
	e->eng_len = 3;
	memcpy(e->eng, "abc", 3);
	e->updated_ms = 6000;
	snprintf(e->page, sizeof(e->page), "EMERGENCY 938NKR: F34");
	TEST_ERR(c->be->emerg_upsert(s, e, &created));
	TEST_EQ(created, 1);
	/* the same incident by sync, later, without the engine */
	e->eng_len = 0;
	e->first_send_ms = 5100; /* the kiosk's earlier attempt */
	e->first_delivery_ms = 9000;
	e->hlc = 200;
	snprintf(e->state, sizeof(e->state), "acknowledged");
	snprintf(e->acked_by, sizeof(e->acked_by), "amb1");
	e->acked_ms = 9500;
	e->eta_min = 12;
	TEST_ERR(c->be->emerg_upsert(s, e, &created));
	TEST_EQ(created, 0);
	/* an older replay changes no state, a later yes is not the first */
	e->hlc = 150;
	snprintf(e->state, sizeof(e->state), "paging");
	snprintf(e->acked_by, sizeof(e->acked_by), "amb2");
	e->acked_ms = 9900;
	TEST_ERR(c->be->emerg_upsert(s, e, NULL));
	TEST_ERR(c->be->emerg_list(s, e->id, 0, 0, em_cb, x));
	TEST_EQ(x->n, 1);
	TEST_STR(x->e.code, "938NKR");
	TEST_STR(x->e.state, "acknowledged");
	TEST_EQ(x->e.hlc, 200);
	TEST_EQ(x->e.node, 7);
	TEST_EQ(x->e.raised_ms, 5000);
	TEST_EQ(x->e.first_send_ms, 5100);
	TEST_EQ(x->e.first_delivery_ms, 9000);
	TEST_EQ(x->e.acked_ms, 9500);
	TEST_STR(x->e.acked_by, "amb1");
	TEST_EQ(x->e.eta_min, 12);
	TEST_EQ(x->e.eng_len, 3);
	TEST_STR(x->e.page, "EMERGENCY 938NKR: F34");
	TEST_MEM(x->e.eng, "abc", 3);
	/* a newer "paging" that never heard of the yes does not undo it */
	e->hlc = 250;
	e->acked_ms = 0;
	snprintf(e->state, sizeof(e->state), "paging");
	TEST_ERR(c->be->emerg_upsert(s, e, NULL));
	TEST_ERR(c->be->emerg_list(s, e->id, 0, 0, em_cb, x));
	TEST_STR(x->e.state, "acknowledged");
	/* open until closed; closed stays closed */
	x->n = 0;
	TEST_ERR(c->be->emerg_list(s, NULL, 1, 0, em_cb, x));
	TEST_EQ(x->n, 1);
	e->hlc = 300;
	snprintf(e->state, sizeof(e->state), "arrived");
	e->arrived_ms = e->ended_ms = 20000;
	TEST_ERR(c->be->emerg_upsert(s, e, NULL));
	e->hlc = 400;
	snprintf(e->state, sizeof(e->state), "paging");
	TEST_ERR(c->be->emerg_upsert(s, e, NULL));
	x->n = 0;
	TEST_ERR(c->be->emerg_list(s, NULL, 1, 0, em_cb, x));
	TEST_EQ(x->n, 0);
	x->n = 0;
	TEST_ERR(c->be->emerg_list(s, NULL, 0, 4000, em_cb, x));
	TEST_EQ(x->n, 1);
	TEST_STR(x->e.state, "arrived");
	TEST_EQ(x->e.arrived_ms, 20000);
	x->n = 0;
	TEST_ERR(c->be->emerg_list(s, NULL, 0, 5001, em_cb, x));
	TEST_EQ(x->n, 0);
	/* pages: a claim once; out-of-order delivery reports */
	memset(&p, 0, sizeof(p));
	memset(p.incident, 0x42, 16);
	p.loop = 1;
	snprintf(p.rcpt, sizeof(p.rcpt), "amb1");
	snprintf(p.channel, sizeof(p.channel), "gateway");
	snprintf(p.status, sizeof(p.status), "sending");
	p.attempt = 1;
	p.at_ms = p.updated_ms = 7000;
	TEST_ERR(c->be->emerg_page_put(s, &p, 1));
	TEST_EQ(c->be->emerg_page_put(s, &p, 1), EEXIST);
	snprintf(p.status, sizeof(p.status), "sent");
	snprintf(p.ext_id, sizeof(p.ext_id), "ATXid_1");
	TEST_ERR(c->be->emerg_page_put(s, &p, 0));
	snprintf(p.status, sizeof(p.status), "failed");
	p.ext_id[0] = '\0';
	TEST_ERR(c->be->emerg_page_put(s, &p, 0));
	snprintf(p.status, sizeof(p.status), "delivered");
	TEST_ERR(c->be->emerg_page_put(s, &p, 0));
	snprintf(p.status, sizeof(p.status), "sent");
	TEST_ERR(c->be->emerg_page_put(s, &p, 0));
	snprintf(p.status, sizeof(p.status), "failed");
	TEST_ERR(c->be->emerg_page_put(s, &p, 0));
	snprintf(p.channel, sizeof(p.channel), "modem");
	snprintf(p.status, sizeof(p.status), "unknown");
	TEST_ERR(c->be->emerg_page_put(s, &p, 0));
	x->n = 0;
	TEST_ERR(c->be->emerg_pages(s, p.incident, NULL, em_page_cb, x));
	TEST_EQ(x->n, 2);
	TEST_STR(x->p[0].channel, "gateway");
	TEST_STR(x->p[0].status, "delivered");
	TEST_STR(x->p[0].ext_id, "ATXid_1");
	TEST_STR(x->p[1].channel, "modem");
	TEST_STR(x->p[1].status, "unknown");
	x->n = 0;
	TEST_ERR(c->be->emerg_pages(s, NULL, "ATXid_1", em_page_cb, x));
	TEST_EQ(x->n, 1);
	TEST_STR(x->p[0].rcpt, "amb1");
	/* replies once per gateway message id */
	memset(&r, 0, sizeof(r));
	snprintf(r.ext_id, sizeof(r.ext_id), "in-1");
	memset(r.incident, 0x42, 16);
	snprintf(r.from, sizeof(r.from), "+254700000001");
	snprintf(r.text, sizeof(r.text), "938NKR A 10");
	snprintf(r.kind, sizeof(r.kind), "A");
	r.counted = 1;
	r.at_ms = 9500;
	TEST_ERR(c->be->emerg_reply_add(s, &r));
	TEST_EQ(c->be->emerg_reply_add(s, &r), EEXIST);
	snprintf(r.ext_id, sizeof(r.ext_id), "in-2");
	memset(r.incident, 0, 16); /* no incident had the code */
	TEST_ERR(c->be->emerg_reply_add(s, &r));
out:
	free(e);
	free(x);
	c->be->close(s);
	return err;
}

/* Issue 14: the licence registry: insert, replace (rev grows), the
 * version grows with each event, every field back as stored (the
 * practice's address and the contact too). */
static int
case_licences(struct ctx *c)
{
	struct sstore *s = NULL;
	struct licence_set set = { 0 }, many = { 0 };
	struct licence l;
	uint64_t v0 = 0, v = 0;
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(c->be->licence_list(s, &set, &v0));
	TEST_EQ(set.n, 0);
	memset(&l, 0, sizeof(l));
	snprintf(l.regno, sizeof(l.regno), "KE-123");
	snprintf(l.regulator, sizeof(l.regulator), "KMPDC");
	snprintf(l.name, sizeof(l.name), "Dr Achieng'");
	snprintf(l.cadre, sizeof(l.cadre), "medical officer");
	snprintf(l.juris, sizeof(l.juris), "KE-47 KE-30");
	snprintf(l.address, sizeof(l.address),
	    "Kisumu County Hospital, "
	    "O'Dera Road");
	snprintf(l.contact, sizeof(l.contact), "+254711000123");
	l.scope = LIC_SCOPE(LIC_ACT_CONSULT) | LIC_SCOPE(LIC_ACT_NOTE);
	l.valid_from = -86400000LL; /* before 1970: signed times */
	l.valid_to = 4102444800000LL;
	TEST_ERR(c->be->licence_put(s, &l, 1, "add", "", 1000));
	snprintf(l.regulator, sizeof(l.regulator), "NCK");
	TEST_ERR(c->be->licence_put(s, &l, 1, "add", "", 1001));
	l.status = LIC_STATUS_SUSPENDED;
	l.status_at = 5000;
	TEST_ERR(c->be->licence_put(s, &l, 1, "suspend", "board order", 1002));
	TEST_ERR(c->be->licence_list(s, &set, &v));
	TEST_EQ(v, v0 + 3);
	TEST_EQ(set.n, 2);
	TEST_STR(set.l[0].regulator, "KMPDC");
	TEST_EQ(set.l[0].rev, 1);
	TEST_EQ(set.l[0].status, LIC_STATUS_ACTIVE);
	TEST_STR(set.l[1].regulator, "NCK");
	TEST_EQ(set.l[1].rev, 2);
	TEST_EQ(set.l[1].status, LIC_STATUS_SUSPENDED);
	TEST_EQ(set.l[1].status_at, 5000);
	TEST_STR(set.l[1].name, "Dr Achieng'");
	TEST_STR(set.l[1].juris, "KE-47 KE-30");
	TEST_EQ(set.l[1].scope, l.scope);
	TEST_EQ(set.l[1].valid_from, -86400000LL);
	TEST_EQ(set.l[1].valid_to, 4102444800000LL);
	TEST_STR(set.l[1].address, "Kisumu County Hospital, O'Dera Road");
	TEST_STR(set.l[1].contact, "+254711000123");
	licence_set_clear(&set);
	/* a batch (PostgreSQL: several pipelines) is one transaction */
	for (int i = 0; i < 200; i++) {
		snprintf(l.regno, sizeof(l.regno), "B%03d", i);
		licence_set_add(&many, &l);
	}
	TEST_ERR(c->be->licence_put(s, many.l, many.n, "import", "f", 1003));
	TEST_ERR(c->be->licence_list(s, &set, &v0));
	TEST_EQ(set.n, 202);
	TEST_EQ(v0, v + 200);
out:
	licence_set_clear(&many);
	licence_set_clear(&set);
	c->be->close(s);
	return err;
}

/* --- booking (issue 15) --------------------------------------------------- */

#define T_DAY (86400 * 1000ULL)
#define T_BASE (1800000000000ULL) /* 2027-01-15, a fixed "now" */

/* A schedule of clinician CLIN at facility FAC (service "gp") and N
 * half-hour slots from T_BASE + 1 day; *SCHED its id, *FIRST the first
 * slot's id (the others follow). */
static int
mk_sched(const struct ctx *c, struct sstore *s, const char *clin,
    const char *fac, size_t n, uint64_t *sched, uint64_t *first)
{
	struct ssched d;
	struct shours h = { 1, 540, 720, 30 };
	struct sslot *v, *got = NULL;
	uint64_t added = 0;
	size_t i, ngot = 0;
	int err;

	memset(&d, 0, sizeof(d));
	snprintf(d.clinician, sizeof(d.clinician), "%s", clin);
	snprintf(d.facility, sizeof(d.facility), "%s", fac);
	snprintf(d.region, sizeof(d.region), "r1");
	snprintf(d.tz, sizeof(d.tz), "Africa/Nairobi");
	snprintf(d.service, sizeof(d.service), "gp");
	snprintf(d.modalities, sizeof(d.modalities), "video,audio");
	snprintf(d.langs, sizeof(d.langs), "en,sw");
	if ((err = c->be->sched_define(s, &d, &h, 1, sched)) != 0)
		return err;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].start_ms = T_BASE + T_DAY + i * 1800000ULL;
		v[i].end_ms = v[i].start_ms + 1800000ULL;
	}
	err = c->be->slots_add(s, *sched, v, n, &added);
	if (err == 0 && added != n)
		err = EIO;
	/* again: nothing new */
	if (err == 0 &&
	    (err = c->be->slots_add(s, *sched, v, n, &added)) == 0 &&
	    added != 0)
		err = EIO;
	free(v);
	if (err == 0 &&
	    (err = c->be->slots_list(s, *sched, NULL, T_BASE,
	         T_BASE + 2 * T_DAY, &got, &ngot)) == 0) {
		if (ngot != n || strcmp(got[0].clinician, clin) != 0)
			err = EIO; /* every slot names its clinician */
		else
			*first = got[0].id;
	}
	free(got);
	return err;
}

static void
mk_book(struct sbook *b, uint8_t id, uint64_t slot, uint8_t patient,
    uint64_t node, int app_check)
{
	memset(b, 0, sizeof(*b));
	memset(b->id, id, 16);
	b->slot = slot;
	memset(b->patient, patient, 16);
	b->node = node;
	b->now_ms = T_BASE;
	b->app_check = app_check;
}

/* A licence gate that refuses, keeping what the store showed it. */
struct gate_seen {
	char clinician[SSTORE_TEXT_MAX], region[SSTORE_TEXT_MAX];
	uint64_t start_ms;
};

static int
gate_refuse(const struct sslot *slot, const char *clinician, const char *region,
    void *arg)
{
	struct gate_seen *g = arg;

	snprintf(g->clinician, sizeof(g->clinician), "%s", clinician);
	snprintf(g->region, sizeof(g->region), "%s", region);
	g->start_ms = slot->start_ms;
	return -1;
}

static int
case_booking(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n1, n2;
	struct sbook b;
	struct sbook_result r;
	struct ssched d;
	struct gate_seen seen;
	struct shours *hours = NULL;
	size_t nhours = 0;
	uint64_t sched, slot, doubled = 1, got = 0, audits = 0;
	uint8_t id[16];
	char st[24];
	int err = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 0x31, "r1", "fac1", &n1));
	TEST_ERR(mk_node_in(c, s, 0x32, "r1", "fac1", &n2));
	TEST_ERR(mk_sched(c, s, "dr-a", "fac1", 6, &sched, &slot));
	TEST_ERR(c->be->sched_get(s, sched, &d, &hours, &nhours));
	TEST_STR(d.tz, "Africa/Nairobi");
	TEST_EQ(nhours, 1);
	TEST_EQ(hours[0].slot_min, 30);
	/* booked */
	mk_book(&b, 0xa1, slot, 0x51, n1.id, 1);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_BOOKED);
	TEST_EQ(r.replay, 0);
	TEST_EQ(r.slot.start_ms, T_BASE + T_DAY);
	TEST_STR(r.slot.clinician, "dr-a");
	/* re-sent: the same answer */
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_BOOKED);
	TEST_EQ(r.replay, 1);
	/* the same id for another slot: a conflict */
	b.slot = slot + 1;
	TEST_EQ(c->be->appt_book(s, &b, &r), EEXIST);
	/* another patient, the same slot: taken, with 3 alternatives */
	mk_book(&b, 0xa2, slot, 0x52, n2.id, 1);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_TAKEN);
	TEST_EQ(r.nalts, 3);
	TEST_EQ(r.alts[0].id, slot + 1);
	TEST_TRUE(r.alts[0].start_ms > T_BASE);
	TEST_STR(r.alts[0].clinician, "dr-a");
	/* re-sent: still taken (stored), even after the slot frees */
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_TAKEN);
	TEST_EQ(r.replay, 1);
	/* without the application check the index alone refuses */
	mk_book(&b, 0xa3, slot, 0x53, n2.id, 0);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_TAKEN);
	TEST_TRUE(r.nalts >= 1);
	TEST_ERR(c->be->appt_status(s, b.id, st, sizeof(st), NULL));
	TEST_STR(st, "refused");
	/* the licence gate sees the schedule's clinician and region and
	 * the slot's time; its refusal books nothing */
	mk_book(&b, 0xa9, slot + 3, 0x53, n2.id, 1);
	memset(&seen, 0, sizeof(seen));
	b.gate_cb = gate_refuse;
	b.gate_arg = &seen;
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_NOT_PERMITTED);
	TEST_STR(seen.clinician, "dr-a");
	TEST_STR(seen.region, "r1");
	TEST_EQ(seen.start_ms, T_BASE + T_DAY + 3 * 1800000ULL);
	TEST_EQ(c->be->appt_status(s, b.id, st, sizeof(st), NULL), ENOENT);
	/* no such slot */
	mk_book(&b, 0xa4, slot + 100, 0x53, n2.id, 1);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_NO_SLOT);
	/* cancel: only the booking node, only once; the slot frees */
	memset(id, 0xa1, 16);
	TEST_EQ(c->be->appt_cancel(s, id, n2.id, "patient", T_BASE), EACCES);
	TEST_ERR(c->be->appt_cancel(s, id, n1.id, "patient", T_BASE));
	TEST_EQ(c->be->appt_cancel(s, id, n1.id, "patient", T_BASE), EALREADY);
	TEST_ERR(c->be->appt_audits(s, id, &audits));
	TEST_EQ(audits, 2);
	mk_book(&b, 0xa5, slot, 0x52, n2.id, 1);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_BOOKED);
	/* reschedule a5 to the next slot: new booked, old cancelled */
	mk_book(&b, 0xa6, slot + 1, 0x52, n2.id, 1);
	b.has_replaces = 1;
	memset(b.replaces, 0xa5, 16);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_BOOKED);
	memset(id, 0xa5, 16);
	TEST_ERR(c->be->appt_status(s, id, st, sizeof(st), &got));
	TEST_STR(st, "cancelled");
	TEST_EQ(got, slot);
	/* a reschedule whose old appointment is not the node's: neither */
	mk_book(&b, 0xa7, slot + 2, 0x52, n1.id, 1);
	b.has_replaces = 1;
	memset(b.replaces, 0xa6, 16);
	TEST_EQ(c->be->appt_book(s, &b, &r), EXDEV);
	TEST_EQ(c->be->appt_status(s, b.id, st, sizeof(st), NULL), ENOENT);
	TEST_ERR(c->be->appt_invariant(s, &doubled));
	TEST_EQ(doubled, 0);
out:
	free(hours);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* NODE pushes changes FIRST..LAST at NOW, saying its outbox ends at
 * OUTBOX. */
static int
push_at(const struct ctx *c, struct sstore *s, uint64_t node, uint64_t first,
    uint64_t last, uint64_t outbox, uint64_t now)
{
	struct batch b;
	struct spush_result r;
	int err;

	mk_batch(&b, node, first, last, "");
	b.p.now_ms = now;
	b.p.outbox_last = outbox;
	memset(&r, 0, sizeof(r));
	err = c->be->push(s, &b.p, &r);
	free(r.response);
	return err;
}

/* A kiosk offline past its slots: no-shows stay provisional until its
 * sync covers them; late check-in evidence flips one back, audited. */
static int
case_noshow(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n1;
	struct sbook b;
	struct sbook_result r;
	uint64_t sched, slot, changed = 0, audits = 0;
	uint64_t end0 = T_BASE + T_DAY + 1800000ULL, grace = 1800000ULL;
	char st[24];
	int err = 0, i;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 0x41, "r1", "fac1", &n1));
	TEST_ERR(mk_sched(c, s, "dr-a", "fac1", 3, &sched, &slot));
	for (i = 0; i < 3; i++) {
		mk_book(&b, (uint8_t)(0xb0 + i), slot + (uint64_t)i,
		    (uint8_t)(0x60 + i), n1.id, 1);
		TEST_ERR(c->be->appt_book(s, &b, &r));
		TEST_EQ(r.outcome, SBOOK_BOOKED);
	}
	/* before the grace: nothing */
	TEST_ERR(c->be->appt_sweep(s, end0, grace, &changed));
	TEST_EQ(changed, 0);
	/* a push during the slots that left the outbox unacknowledged */
	TEST_ERR(push_at(c, s, n1.id, 1, 2, 9, end0 + 2 * 3600000ULL));
	/* 48 hours later: still provisional (the kiosk holds evidence) */
	TEST_ERR(c->be->appt_sweep(s, end0 + 2 * T_DAY, grace, &changed));
	TEST_EQ(changed, 3);
	memset(b.id, 0xb0, 16);
	TEST_ERR(c->be->appt_status(s, b.id, st, sizeof(st), NULL));
	TEST_STR(st, "noshow-provisional");
	TEST_ERR(c->be->appt_sweep(s, end0 + 2 * T_DAY, grace, &changed));
	TEST_EQ(changed, 0);
	/* the kiosk syncs: b0 and b1 checked in (late evidence), then its
	 * whole outbox is acknowledged */
	TEST_ERR(c->be->appt_checkin(
	    s, b.id, "chw", T_BASE + T_DAY + 60000, end0 + 2 * T_DAY + 1000));
	memset(b.id, 0xb1, 16);
	TEST_ERR(c->be->appt_checkin(s, b.id, "self", T_BASE + T_DAY + 1860000,
	    end0 + 2 * T_DAY + 1000));
	TEST_ERR(c->be->appt_checkin(s, b.id, "self", T_BASE + T_DAY + 1860000,
	    end0 + 2 * T_DAY + 1000));
	TEST_ERR(push_at(c, s, n1.id, 3, 9, 9, end0 + 2 * T_DAY + 2000));
	TEST_ERR(
	    c->be->appt_sweep(s, end0 + 2 * T_DAY + 3000, grace, &changed));
	TEST_EQ(changed, 1);
	memset(b.id, 0xb0, 16);
	TEST_ERR(c->be->appt_status(s, b.id, st, sizeof(st), NULL));
	TEST_STR(st, "checked-in");
	/* proposed->booked, booked->provisional, provisional->checked-in */
	TEST_ERR(c->be->appt_audits(s, b.id, &audits));
	TEST_EQ(audits, 3);
	memset(b.id, 0xb2, 16);
	TEST_ERR(c->be->appt_status(s, b.id, st, sizeof(st), NULL));
	TEST_STR(st, "noshow");
	/* later evidence still flips a final one back, audited */
	TEST_ERR(c->be->appt_checkin(
	    s, b.id, "chw", T_BASE + T_DAY + 3700000, end0 + 3 * T_DAY));
	TEST_ERR(c->be->appt_status(s, b.id, st, sizeof(st), NULL));
	TEST_STR(st, "checked-in");
	TEST_ERR(c->be->appt_audits(s, b.id, &audits));
	TEST_EQ(audits, 4);
	memset(b.id, 0xbf, 16);
	TEST_EQ(c->be->appt_checkin(s, b.id, "chw", 0, end0), ENOENT);
out:
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* The test's ranking: urgency, then time listed (the real order is
 * sync-server/work/sched.c's, tested against its reference). */
static size_t
rank_simple(const struct swait *w, size_t n, const struct ssched *d,
    const struct sslot *slot, size_t *order, void *arg)
{
	size_t i, j, k = 0, t;

	(void)slot;
	(void)arg;
	for (i = 0; i < n; i++)
		if (w[i].clinician[0] == '\0' ||
		    strcmp(w[i].clinician, d->clinician) == 0)
			order[k++] = i;
	for (i = 1; i < k; i++)
		for (j = i; j > 0 &&
		     (w[order[j]].urgency < w[order[j - 1]].urgency ||
		         (w[order[j]].urgency == w[order[j - 1]].urgency &&
		             w[order[j]].listed_ms <
		                 w[order[j - 1]].listed_ms));
		     j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return k;
}

static int
case_waitlist(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n1;
	struct swait w;
	struct soffer o, o2;
	struct sbook b;
	struct sbook_result r;
	uint64_t sched, slot, exp = T_BASE + 3600000ULL;
	uint8_t e[16];
	int err = 0, i;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 0x42, "r1", "fac1", &n1));
	TEST_ERR(mk_sched(c, s, "dr-a", "fac1", 2, &sched, &slot));
	/* four entries: e1 urgent, e2 and e3 routine (e2 listed first),
	 * e4 urgent but only for another clinician */
	for (i = 1; i <= 4; i++) {
		memset(&w, 0, sizeof(w));
		memset(w.id, 0xe0 + i, 16);
		memset(w.patient, 0x70 + i, 16);
		snprintf(w.region, sizeof(w.region), "r1");
		snprintf(w.service, sizeof(w.service), "gp");
		w.urgency = i == 1 || i == 4 ? 1 : 2;
		w.listed_ms = T_BASE - (uint64_t)(10 - i) * T_DAY;
		w.recommended_ms = 30 * T_DAY;
		if (i == 4)
			snprintf(w.clinician, sizeof(w.clinician), "dr-z");
		TEST_ERR(c->be->wait_add(s, &w));
		TEST_ERR(c->be->wait_add(s, &w)); /* idempotent */
	}
	TEST_ERR(
	    c->be->wait_offer(s, slot, T_BASE, exp, rank_simple, NULL, &o));
	memset(e, 0xe1, 16);
	TEST_MEM(o.entry, e, 16);
	TEST_EQ(o.expires_ms, exp);
	/* one live offer per slot: asking again gives the same one */
	TEST_ERR(c->be->wait_offer(
	    s, slot, T_BASE + 1000, exp + 5000, rank_simple, NULL, &o2));
	TEST_MEM(o2.entry, e, 16);
	TEST_EQ(o2.expires_ms, exp);
	/* someone else cannot book the offered slot (application check) */
	mk_book(&b, 0xc1, slot, 0x59, n1.id, 1);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_OFFERED);
	TEST_TRUE(r.nalts >= 1);
	/* e1 declines: e2 (routine, listed first) gets it */
	TEST_ERR(c->be->wait_decline(s, slot, e, T_BASE + 2000));
	TEST_EQ(c->be->wait_decline(s, slot, e, T_BASE + 2000), ENOENT);
	TEST_ERR(c->be->wait_offer(
	    s, slot, T_BASE + 3000, exp, rank_simple, NULL, &o));
	memset(e, 0xe2, 16);
	TEST_MEM(o.entry, e, 16);
	/* e2's offer expires: e3 gets it (e1 declined, e4 not eligible) */
	TEST_ERR(c->be->wait_offer(
	    s, slot, exp + 1, exp + 3600000ULL, rank_simple, NULL, &o));
	memset(e, 0xe3, 16);
	TEST_MEM(o.entry, e, 16);
	/* e3 accepts: booked through the offer */
	mk_book(&b, 0xc3, slot, 0x73, n1.id, 1);
	b.now_ms = exp + 2;
	b.has_entry = 1;
	memcpy(b.entry, e, 16);
	TEST_ERR(c->be->appt_book(s, &b, &r));
	TEST_EQ(r.outcome, SBOOK_BOOKED);
	/* the slot is taken: nobody to offer it to */
	TEST_EQ(c->be->wait_offer(
	            s, slot, exp + 3, exp + 9000, rank_simple, NULL, &o),
	    ENOENT);
	/* the other slot: e1 waits again and is first */
	TEST_ERR(c->be->wait_offer(
	    s, slot + 1, exp + 4, exp + 9000, rank_simple, NULL, &o));
	memset(e, 0xe1, 16);
	TEST_MEM(o.entry, e, 16);
out:
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* The waitlist route's store calls (POST /v1/waitlist): an entry's state
 * with its live offer; a removal passes its offer on and is refused
 * twice; the sweep expires an entry waiting past twice its recommended
 * wait and passes lapsed offers (their entries wait again, never offered
 * that slot again). */
static int
case_waitlist_live(struct ctx *c)
{
	struct sstore *s = NULL;
	struct snode n1;
	struct swait w;
	struct swait_state st;
	struct soffer o;
	struct sslot *v = NULL;
	uint64_t sched, slot, moved = 9, exp = T_BASE + 3600000ULL;
	size_t nv = 0;
	uint8_t e[16];
	int err = 0, i;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	TEST_ERR(mk_node_in(c, s, 0x43, "r1", "fac1", &n1));
	TEST_ERR(mk_sched(c, s, "dr-a", "fac1", 2, &sched, &slot));
	for (i = 1; i <= 3; i++) {
		memset(&w, 0, sizeof(w));
		memset(w.id, 0xd0 + i, 16);
		memset(w.patient, 0x60 + i, 16);
		snprintf(w.region, sizeof(w.region), "r1");
		snprintf(w.service, sizeof(w.service), "gp");
		w.urgency = i;
		/* e3: listed 3 days ago with a 1-day recommended wait */
		w.listed_ms = T_BASE - (uint64_t)(i == 3 ? 3 : 1) * T_DAY;
		w.recommended_ms = (i == 3 ? 1 : 30) * T_DAY;
		snprintf(w.lang, sizeof(w.lang), "%s", i == 1 ? "sw" : "");
		TEST_ERR(c->be->wait_add(s, &w));
	}
	memset(e, 0xd9, 16);
	TEST_EQ(c->be->wait_get(s, e, &st), ENOENT);
	memset(e, 0xd1, 16);
	TEST_ERR(c->be->wait_get(s, e, &st));
	TEST_STR(st.status, "waiting");
	TEST_EQ(st.w.urgency, 1);
	TEST_STR(st.w.lang, "sw");
	TEST_EQ(st.offer.slot, 0);
	/* the sweep: e3 waited past twice its 1-day wait */
	TEST_ERR(c->be->wait_sweep(s, T_BASE, &v, &nv));
	TEST_EQ(nv, 0);
	free(v);
	v = NULL;
	memset(e, 0xd3, 16);
	TEST_ERR(c->be->wait_get(s, e, &st));
	TEST_STR(st.status, "expired");
	/* e1 holds the offer; its state shows the slot and the expiry */
	TEST_ERR(
	    c->be->wait_offer(s, slot, T_BASE, exp, rank_simple, NULL, &o));
	memset(e, 0xd1, 16);
	TEST_MEM(o.entry, e, 16);
	TEST_ERR(c->be->wait_get(s, e, &st));
	TEST_STR(st.status, "offered");
	TEST_EQ(st.offer.slot, slot);
	TEST_EQ(st.offer.expires_ms, exp);
	TEST_TRUE(st.start_ms > 0 && st.end_ms > st.start_ms);
	/* e1 leaves: its offer passes, the slot named back */
	TEST_ERR(c->be->wait_remove(s, e, T_BASE + 1, &moved));
	TEST_EQ(moved, slot);
	TEST_ERR(c->be->wait_get(s, e, &st));
	TEST_STR(st.status, "removed");
	TEST_EQ(st.offer.slot, 0);
	TEST_EQ(c->be->wait_remove(s, e, T_BASE + 2, &moved), EALREADY);
	/* e2 gets it; the sweep before it lapses leaves it, after passes it */
	TEST_ERR(
	    c->be->wait_offer(s, slot, T_BASE + 3, exp, rank_simple, NULL, &o));
	memset(e, 0xd2, 16);
	TEST_MEM(o.entry, e, 16);
	TEST_ERR(c->be->wait_sweep(s, exp - 1, &v, &nv));
	TEST_EQ(nv, 0);
	free(v);
	v = NULL;
	TEST_ERR(c->be->wait_sweep(s, exp, &v, &nv));
	TEST_EQ(nv, 1);
	TEST_EQ(v[0].id, slot);
	TEST_ERR(c->be->wait_get(s, e, &st));
	TEST_STR(st.status, "waiting");
	TEST_EQ(st.offers, 1);
	TEST_EQ(st.offer.slot, 0);
	/* nobody left for that slot: e2 is never offered it again */
	TEST_EQ(c->be->wait_offer(
	            s, slot, exp + 1, exp + 9000, rank_simple, NULL, &o),
	    ENOENT);
out:
	free(v);
	if (s != NULL)
		c->be->close(s);
	return err;
}

/* --- claims (issue 15) -------------------------------------------------- */

static void
cl_count_cb(const struct sclaim *cl, void *arg)
{
	(void)cl;
	(*(int *)arg)++;
}

static void
cl_ev_cb(const struct sclaim_ev *e, void *arg)
{
	(*(int *)arg) += (int)e->len;
}

struct cl_nb {
	int n;
	char reason[24];
};

static void
cl_nb_cb(const struct snobill *n, void *arg)
{
	struct cl_nb *a = arg;

	a->n++;
	snprintf(a->reason, sizeof(a->reason), "%s", n->reason);
}

static void
cl_claim(struct sclaim *cl, uint8_t subject, const char *payer, uint8_t appt)
{
	memset(cl, 0, sizeof(*cl));
	memset(cl->subject, subject, 16);
	memset(cl->patient, 0x50, 16);
	if (appt) {
		cl->has_appt = 1;
		memset(cl->appt, appt, 16);
	}
	snprintf(cl->business_id, sizeof(cl->business_id), "OP-%02x-%s",
	    subject, payer);
	snprintf(cl->payer, sizeof(cl->payer), "%s", payer);
	snprintf(cl->status, sizeof(cl->status), "held");
	snprintf(cl->hold, sizeof(cl->hold), "overlap");
	snprintf(cl->mode, sizeof(cl->mode), "video");
	cl->price = 50000;
	cl->service_ms = cl->created_ms = cl->updated_ms = T_BASE;
}

/* The claim tables: evidence idempotent by (subject, rec, hlc) with a
 * changed body reported, one claim per (consult, payer) by the UNIQUE
 * constraint whatever the business id, no-bill rows never beside a claim
 * of their subject or appointment, status moves with events. */
static int
case_claims(struct ctx *c)
{
	struct sstore *s = NULL;
	struct sclaim_ev e;
	struct sclaim cl;
	struct snobill nb;
	struct sclaimq q = { 0 };
	struct cl_nb got = { 0 };
	uint8_t body[3] = { 0xa1, 0x0a, 0x01 }, other[3] = { 0xa1, 0x0a, 0x02 };
	int err = 0, mis = -1, created = -1, n = 0;

	TEST_ERR(c->be->open(c->target, NULL, &s));
	memset(&e, 0, sizeof(e));
	memset(e.subject, 0x11, 16);
	memset(e.rec, 0x11, 16);
	e.hlc = 5;
	snprintf(e.kind, sizeof(e.kind), "consult");
	e.has_patient = 1;
	memset(e.patient, 0x50, 16);
	snprintf(e.clinician, sizeof(e.clinician), "REG-1");
	e.node = 3;
	crypto_sha256(body, sizeof(body), e.hash);
	e.body = body;
	e.len = sizeof(body);
	e.at_ms = T_BASE;
	TEST_ERR(c->be->claim_ev_put(s, &e, 1, &mis));
	TEST_EQ(mis, 0);
	TEST_ERR(c->be->claim_ev_put(s, &e, 1, &mis)); /* again: no change */
	TEST_EQ(mis, 0);
	crypto_sha256(other, sizeof(other), e.hash);
	e.body = other;
	TEST_ERR(c->be->claim_ev_put(s, &e, 1, &mis)); /* same key, new body */
	TEST_EQ(mis, 1);
	e.hlc = 6; /* a later change of the record */
	TEST_ERR(c->be->claim_ev_put(s, &e, 1, &mis));
	TEST_EQ(mis, 0);
	q.subject = e.subject;
	TEST_ERR(c->be->claim_ev_list(s, &q, cl_ev_cb, &n));
	TEST_EQ(n, 6); /* two rows of 3 bytes */
	memset(&q, 0, sizeof(q));
	q.patient = e.patient;
	q.clinician = "REG-1";
	q.kind = "consult";
	n = 0;
	TEST_ERR(c->be->claim_ev_list(s, &q, cl_ev_cb, &n));
	TEST_EQ(n, 6);
	q.kind = "call";
	n = 0;
	TEST_ERR(c->be->claim_ev_list(s, &q, cl_ev_cb, &n));
	TEST_EQ(n, 0);

	/* no-bill first, then the claim replaces it and its appointment's */
	memset(&nb, 0, sizeof(nb));
	memset(nb.subject, 0x21, 16);
	snprintf(nb.kind, sizeof(nb.kind), "consult");
	snprintf(nb.reason, sizeof(nb.reason), "unsigned");
	nb.decided_ms = T_BASE;
	TEST_ERR(c->be->claim_nobill(s, &nb));
	snprintf(nb.reason, sizeof(nb.reason), "too_short");
	TEST_ERR(c->be->claim_nobill(s, &nb)); /* a new reason replaces it */
	memset(nb.subject, 0x31, 16);
	snprintf(nb.kind, sizeof(nb.kind), "appointment");
	snprintf(nb.reason, sizeof(nb.reason), "failed_call");
	TEST_ERR(c->be->claim_nobill(s, &nb));
	TEST_ERR(c->be->nobill_list(s, cl_nb_cb, &got));
	TEST_EQ(got.n, 2);
	cl_claim(&cl, 0x21, "NHIF", 0x31);
	TEST_ERR(c->be->claim_put(s, &cl, &created));
	TEST_EQ(created, 1);
	memset(&got, 0, sizeof(got));
	TEST_ERR(c->be->nobill_list(s, cl_nb_cb, &got));
	TEST_EQ(got.n, 0);
	/* the constraint, not the business id, decides */
	snprintf(cl.business_id, sizeof(cl.business_id), "OP-other");
	TEST_ERR(c->be->claim_put(s, &cl, &created));
	TEST_EQ(created, 0);
	cl_claim(&cl, 0x21, "SHA", 0);
	TEST_ERR(c->be->claim_put(s, &cl, &created));
	TEST_EQ(created, 1); /* another payer */
	/* a no-bill row never beside a claim of its subject or appointment */
	memset(nb.subject, 0x21, 16);
	TEST_ERR(c->be->claim_nobill(s, &nb));
	memset(nb.subject, 0x31, 16);
	TEST_ERR(c->be->claim_nobill(s, &nb));
	memset(&got, 0, sizeof(got));
	TEST_ERR(c->be->nobill_list(s, cl_nb_cb, &got));
	TEST_EQ(got.n, 0);
	memset(nb.subject, 0x22, 16);
	TEST_ERR(c->be->claim_nobill(s, &nb));
	nb.reason[0] = '\0';
	TEST_ERR(c->be->claim_nobill(s, &nb)); /* dropped */
	TEST_ERR(c->be->nobill_list(s, cl_nb_cb, &got));
	TEST_EQ(got.n, 0);

	/* by status, and moves */
	n = 0;
	TEST_ERR(store_claims_by_status(c->be, s, "held", cl_count_cb, &n));
	TEST_EQ(n, 2);
	TEST_ERR(c->be->claim_status(
	    s, "OP-21-NHIF", "held", "ready", "reviewed", T_BASE + 1));
	TEST_EQ(c->be->claim_status(
	            s, "OP-21-NHIF", "held", "ready", "again", T_BASE + 2),
	    EALREADY);
	TEST_EQ(
	    c->be->claim_status(s, "OP-none", "", "void", "x", T_BASE), ENOENT);
	n = 0;
	TEST_ERR(store_claims_by_status(c->be, s, "ready", cl_count_cb, &n));
	TEST_EQ(n, 1);
	n = 0;
	memset(&q, 0, sizeof(q));
	q.patient = cl.patient;
	q.payer = "SHA";
	TEST_ERR(c->be->claims_list(s, &q, cl_count_cb, &n));
	TEST_EQ(n, 1);
	n = 0;
	TEST_ERR(store_claims_by_status(c->be, s, NULL, cl_count_cb, &n));
	TEST_EQ(n, 2);
out:
	if (s != NULL)
		c->be->close(s);
	return err;
}

struct bcase {
	const char *name;
	int (*fn)(struct ctx *);
	int pg_only;
};

static const struct bcase cases[] = {
	{ "meta", case_meta, 0 },
	{ "enroll", case_enroll, 0 },
	{ "touch", case_touch, 0 },
	{ "push", case_push, 0 },
	{ "push_seq", case_push_seq, 0 },
	{ "pull", case_pull, 0 },
	{ "stats_manifest", case_stats_manifest, 0 },
	{ "reopen", case_reopen, 0 },
	{ "concurrent_replay", case_concurrent_replay, 0 },
	{ "replay_history", case_replay_history, 0 },
	{ "group_commit", case_group_commit, 0 },
	{ "blob", case_blob, 0 },
	{ "refused", case_refused, 0 },
	{ "scope_backfill", case_scope_backfill, 0 },
	{ "judge_in_batch", case_judge_in_batch, 0 },
	{ "consults", case_consults, 0 },
	{ "referral_scope", case_referral_scope, 0 },
	{ "merged_stats", case_merged_stats, 0 },
	{ "licences", case_licences, 0 },
	{ "emergency", case_emergency, 0 },
	{ "partners", case_partners, 0 },
	{ "booking", case_booking, 0 },
	{ "noshow", case_noshow, 0 },
	{ "waitlist", case_waitlist, 0 },
	{ "waitlist_live", case_waitlist_live, 0 },
	{ "breakglass", case_breakglass, 0 },
	{ "bgsearch", case_bgsearch, 0 },
	{ "bgsearch_admit", case_bgsearch_admit, 0 },
	{ "anchor", case_anchor, 0 },
	{ "claims", case_claims, 0 },
	{ "explain_index", case_pg_explain, 1 },
	{ "explain_facility", case_pg_explain_facility, 1 },
	{ "pool", case_pg_pool, 1 },
	{ "stall_guard", case_pg_stall, 1 },
	{ "backfill_horizon", case_pg_backfill_horizon, 1 },
	{ "late_facility", case_pg_late_facility, 1 },
	{ "upgrade", case_pg_upgrade, 1 },
};

static int
wanted(const char *full, const char *name, int argc, char **argv)
{
	int j;

	if (argc <= 1)
		return 1;
	for (j = 1; j < argc; j++)
		if (strcmp(argv[j], full) == 0 || strcmp(argv[j], name) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct store_backend *const bes[] = {
		&store_sqlite_backend, &store_pg_backend
	};
	struct pgtest pg;
	struct ctx c;
	char full[96];
	size_t i, k;
	int failed = 0, r, pg_rc = -2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(NULL, LOG_LEVEL_WARN);
	memset(&pg, 0, sizeof(pg));
	for (k = 0; k < nitems(bes); k++)
		for (i = 0; i < nitems(cases); i++) {
			if (cases[i].pg_only && bes[k] != &store_pg_backend)
				continue;
			snprintf(full, sizeof(full), "%s/%s", bes[k]->name,
			    cases[i].name);
			if (argc > 1 && strcmp(argv[1], "-l") == 0) {
				printf("%s\n", full);
				continue;
			}
			if (!wanted(full, cases[i].name, argc, argv))
				continue;
			memset(&c, 0, sizeof(c));
			c.be = bes[k];
			if (bes[k] == &store_sqlite_backend) {
				snprintf(c.dir, sizeof(c.dir),
				    "/tmp/outpost-sstore-XXXXXX");
				if (mkdtemp(c.dir) == NULL) {
					printf("FAIL: %s\n", full);
					failed++;
					continue;
				}
				snprintf(
				    c.target, sizeof(c.target), "%s", c.dir);
			} else {
				if (pg_rc == -2)
					pg_rc = pgtest_start(&pg);
				if (pg_rc != 0) {
					fprintf(
					    stderr, "%s: %s\n", full, pg.why);
					printf("%s: %s\n",
					    pg_rc == 77 ? "SKIP" : "FAIL",
					    full);
					failed += pg_rc != 77;
					continue;
				}
				c.pg = &pg;
				if (pgtest_newdb(
				        &pg, c.target, sizeof(c.target)) != 0) {
					printf("FAIL: %s\n", full);
					failed++;
					continue;
				}
				snprintf(c.db, sizeof(c.db), "t%u", pg.ndb);
			}
			r = cases[i].fn(&c);
			if (c.dir[0] != '\0') {
				char cmd[128];

				snprintf(cmd, sizeof(cmd), "rm -rf %s", c.dir);
				if (system(cmd) != 0)
					r = r ? r : EIO;
			}
			printf("%s: %s\n", r == 0 ? "PASS" : "FAIL", full);
			failed += r != 0;
		}
	if (pgtest_stop(&pg) != 0) {
		printf("FAIL: postgresql/cluster_stop\n");
		failed++;
	}
	return failed ? 1 : 0;
}
