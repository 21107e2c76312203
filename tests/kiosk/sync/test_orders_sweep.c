/*
 * Orders exactly once under faults (issue 14, workflows.md §7 criterion
 * 11), in process: a hub's clinician signs orders and cancels them, a
 * clinic of another facility refers patients to the destination clinic,
 * and the destination's store fails at the Nth write or sync of its pull
 * (the faultvfs shim under SQLCipher: a full disk or an I/O error, once
 * or from then on), round after round, N sweeping every write and sync
 * that pull makes.  The kiosk is then restarted (its store closed and
 * opened again) and syncs once more.  At every kill point:
 *
 *   - right after the fault, a cancel is never applied before its order
 *     (a cancel marked applied always has its order here, cancelled);
 *   - after the restart's sync, every prescription (orders and cancels)
 *     and every referral request has arrived, each exactly once: as many
 *     rows as were made, none twice (the count of distinct ids equals the
 *     count of rows, and the pulled-record log holds each once), each
 *     cancelled order cancelled, each other order active.
 *
 * Cut offsets: the hub and the destinations reach the server through an
 * HTTP-aware proxy of the test (cutproxy.h).  OUTPOST_ORDERS_CUTS of the
 * destinations' turns are, instead of a kill point, a pull whose answer
 * is cut at byte K (status line and headers included; K spread over the
 * answer's length, the proxy measuring it; a FIN or a RST), then the same
 * checks: no early cancel right after the cut, and after the next sync
 * everything once.  When cuts are asked for, every round's push of the
 * hub also has its answer cut at a byte offset (the server stored the
 * batch, the hub did not hear so and pushes it again).
 *
 * Half the rounds send a cancel ahead of its order (the hub's outbox
 * reordered, as a lost and retried push could), so the clinic holds it
 * pending across the fault.  Several destination clinics of the same
 * facility (OUTPOST_ORDERS_DESTS, default 2, at most 64: the more, the
 * less a kill point pays of the hub's round) each take a kill point or a
 * cut of every round.  The number of kill points is
 * OUTPOST_ORDERS_N (default 24 for make check, 10,000 by hand), of cuts
 * OUTPOST_ORDERS_CUTS (default 8, 100 and more by hand); OUTPOST_ORDERS_FROM
 * (0) starts at that kill point of the sweep, so that a long sweep can be
 * split between processes.  The real sync-server runs on loopback.
 *
 * Cost (release build, 2 Dec 2026): 60 to 115 ms of CPU a kill point
 * (kiosk and server), two syncs of about 8 signed exchanges each, the
 * restart about a tenth; it grows with the rounds a destination has
 * seen, because every sync of a clinic folds each referral it holds
 * (store_referral_receive: 90 % of the kiosk's CPU after 440 rounds).
 * By hand, use many destinations (64: a quarter of 16's rounds each):
 * OUTPOST_ORDERS_N=10000 OUTPOST_ORDERS_CUTS=128 OUTPOST_ORDERS_DESTS=64.
 */
#define LOG_MODULE "test_orders_sweep"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clinical/rx.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "hlc.h"
#include "kiosk/store/faultvfs.h"
#include "kiosk/store/store_int.h"
#include "kiosk/sync/sync.h"
#include "log.h"
#include "str.h"
#include "test.h"
#include "syncfix.h"
#include "cutproxy.h"
#include "xmalloc.h"

static uint64_t
now(void)
{
	return hlc_wall_ms();
}

static int
count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (store_prepare(s, sql, &st) != 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
run(struct store *s, int quiet)
{
	char *cause = NULL;
	int err = sync_run(s, NULL, &cause);

	if (err != 0 && !quiet)
		fprintf(stderr, "  sync: %s\n", cause ? cause : strerror(err));
	free(cause);
	return err;
}

/* Swap the outbox positions of the changes of records A and B. */
static int
swap_outbox(struct store *s, const char *a, const char *b)
{
	char sql[512];
	int sa, sb;

	snprintf(sql, sizeof(sql),
	    "SELECT seq FROM outbox WHERE entity_id = '%s'", a);
	sa = count(s, sql);
	snprintf(sql, sizeof(sql),
	    "SELECT seq FROM outbox WHERE entity_id = '%s'", b);
	sb = count(s, sql);
	if (sa <= 0 || sb <= 0)
		return ENOENT;
	snprintf(sql, sizeof(sql),
	    "UPDATE outbox SET seq = -1 WHERE seq = %d;"
	    "UPDATE outbox SET seq = %d WHERE seq = %d;"
	    "UPDATE outbox SET seq = %d WHERE seq = -1;",
	    sa, sa, sb, sb);
	return store_exec(s, sql);
}

/* A cancel applied before its order: one marked applied whose order is
 * not here, or not cancelled. */
static const char early_cancel[] =
    "SELECT count(*) FROM prescriptions c WHERE c.action = 'cancel'"
    " AND c.applied_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
    " prescriptions o WHERE o.id = c.order_id AND o.action = 'order'"
    " AND o.status = 'cancelled')";

/* Everything made in ROUNDS rounds is at S, once. */
static int
check_once(struct store *s, int rounds, int point)
{
	int rx = count(s, "SELECT count(*) FROM prescriptions"),
	    rxd = count(s, "SELECT count(DISTINCT id) FROM prescriptions"),
	    applied = count(s,
	        "SELECT count(*) FROM prescriptions WHERE action = 'cancel'"
	        " AND applied_ms IS NOT NULL"),
	    cancelled = count(s,
	        "SELECT count(*) FROM prescriptions WHERE action = 'order'"
	        " AND status = 'cancelled'"),
	    active = count(s,
	        "SELECT count(*) FROM prescriptions WHERE action = 'order'"
	        " AND status = 'active'"),
	    refs = count(s,
	        "SELECT count(*) FROM referral_facts WHERE kind = 'request'"
	        " AND target_facility = 'f1'"),
	    refd = count(s,
	        "SELECT count(DISTINCT referral_id) FROM referral_facts"
	        " WHERE kind = 'request'");

	if (rx == 3 * rounds && rxd == rx && applied == rounds &&
	    cancelled == rounds && active == rounds && refs == rounds &&
	    refd == rounds)
		return 0;
	fprintf(stderr,
	    "  kill point %d, after %d rounds: %d prescriptions (%d distinct),"
	    " %d cancels applied, %d orders cancelled, %d active, %d"
	    " referrals (%d distinct)\n",
	    point, rounds, rx, rxd, applied, cancelled, active, refs, refd);
	return EPROTO;
}

/* The destination clinic: its store under the fault shim, with a key
 * the test keeps so it can be opened again (a restart). */
struct dest {
	char dir[128];
	uint8_t key[32];
	struct store *s;
};

static int
dest_open(struct dest *d)
{
	int err;

	store_test_vfs = "faultvfs";
	err = store_open(d->dir, d->key, 0, &d->s);
	store_test_vfs = NULL;
	if (err == 0)
		d->s->hlc.now_ms = now;
	return err;
}

static int
dest_enrol(struct srv *srv, unsigned port, struct dest *d, int i)
{
	char tok[64], url[64], *cause = NULL;
	int err;

	snprintf(d->dir, sizeof(d->dir), "%s/dest%d", srv->dir, i);
	if (mkdir(d->dir, 0700) != 0)
		return errno;
	crypto_random(d->key, sizeof(d->key));
	store_test_vfs = "faultvfs";
	err = store_open(d->dir, d->key, 1, &d->s);
	store_test_vfs = NULL;
	if (err != 0)
		return err;
	d->s->hlc.now_ms = now;
	if ((err = srv_token(srv, "clinic", tok)) != 0)
		return err;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	if ((err = sync_enroll(d->s, url, tok, NULL, &cause)) != 0)
		fprintf(stderr, "  enrol dest: %s\n", cause ? cause : "?");
	free(cause);
	if (err == 0)
		err = store_country_set(d->s, "IN");
	return err;
}

/*
 * Kill point POINT at destination D (which has seen ROUNDS - 1 rounds
 * and now pulls round ROUNDS): the Nth write or sync of its sync fails
 * with CODE (once, or from then on when PERSISTENT); then no early
 * cancel, a restart, a clean sync, everything once.  *HIT and *FAILED
 * count faults that struck and syncs that failed.
 */
/* Where a kill point's time goes: the failing sync, the restart, the
 * clean sync, the checks (ms, summed). */
static uint64_t phase_ms[4];

static int
dest_point(struct dest *d, int rounds, int point, int code, int persistent,
    int *hit, int *failed)
{
	int err = 0, once;
	uint64_t t = hlc_wall_ms();

	faultvfs_arm(point, code, persistent);
	if (run(d->s, 1) != 0)
		(*failed)++;
	phase_ms[0] += hlc_wall_ms() - t;
	t = hlc_wall_ms();
	*hit += faultvfs.failed > 0;
	faultvfs_disarm();
	/* a cancel is never applied before its order */
	if (count(d->s, early_cancel) != 0)
		TEST_FAILED("kill point %d (round %d): a cancel was applied "
		            "before its order",
		    point, rounds);
	/* restart, sync, everything once */
	store_close(d->s);
	d->s = NULL;
	TEST_ERR(dest_open(d));
	if (count(d->s, early_cancel) != 0)
		TEST_FAILED("kill point %d (round %d): a cancel applied before "
		            "its order after the restart",
		    point, rounds);
	phase_ms[1] += hlc_wall_ms() - t;
	t = hlc_wall_ms();
	TEST_ERR(run(d->s, 0));
	phase_ms[2] += hlc_wall_ms() - t;
	t = hlc_wall_ms();
	TEST_EQ(count(d->s, early_cancel), 0);
	once = check_once(d->s, rounds, point);
	phase_ms[3] += hlc_wall_ms() - t;
	if (once != 0)
		TEST_FAILED("kill point %d (round %d): not exactly once", point,
		    rounds);
out:
	faultvfs_disarm();
	return err;
}

/*
 * A cut at destination D (which has seen ROUNDS - 1 rounds and now pulls
 * round ROUNDS): the answer to its pull is cut after NUM / DEN of its
 * length (RST: with a reset); then no early cancel, a clean sync,
 * everything once.  *AT is the byte the cut fell at, -1 when it did not.
 */
static int
dest_cut(struct dest *d, struct cutproxy *px, int rounds, long num, long den,
    int rst, long *at, int *cuts_seen)
{
	int err = 0, ran;
	long line;

	cutproxy_arm(px, CUTPROXY_PULL, num, den, rst);
	ran = run(d->s, 1);
	if (!cutproxy_disarm(px, cuts_seen, at, &line))
		*at = -1;
	else if (ran == 0 && *at >= line)
		TEST_FAILED("cut at byte %ld (round %d): the sync took a cut "
		            "answer",
		    *at, rounds);
	if (count(d->s, early_cancel) != 0)
		TEST_FAILED("cut at byte %ld (round %d): a cancel was applied "
		            "before its order",
		    *at, rounds);
	TEST_ERR(run(d->s, 0));
	TEST_EQ(count(d->s, early_cancel), 0);
	if (check_once(d->s, rounds, -1) != 0)
		TEST_FAILED("cut at byte %ld (round %d): not exactly once", *at,
		    rounds);
out:
	return err;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The distinct values among the N of V (sorted in place). */
static int
distinct(long *v, int n)
{
	int k = 0;

	qsort(v, (size_t)n, sizeof(*v), cmp_long);
	for (int i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			k++;
	return k;
}

/* The number in V, DEF when unset or not a number above 0. */
static int
env_int(const char *v, int def)
{
	long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtol(v, NULL, 10);
	return n > 0 && n < INT_MAX ? (int)n : def;
}

static int
gcd(int a, int b)
{
	while (b != 0) {
		int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

#define DESTS_MAX 64

static int
test_sweep(void)
{
	static const int codes[] = { SQLITE_FULL, SQLITE_IOERR_WRITE };
	static struct dest d[DESTS_MAX];
	const char *env = getenv("OUTPOST_ORDERS_N"),
	           *envd = getenv("OUTPOST_ORDERS_DESTS"),
	           *envc = getenv("OUTPOST_ORDERS_CUTS"),
	           *envf = getenv("OUTPOST_ORDERS_FROM");
	struct srv srv, via;
	struct cutproxy px = { .lfd = -1 };
	struct store *h = NULL, *r = NULL;
	struct store_patient p = { 0 }, p2 = { 0 };
	struct store_user doc = { 0 }, chw = { 0 };
	struct store_consult_req q = { NULL, "fever", "video", 0, 1 };
	struct store_referral_req rq;
	struct store_rx_new n;
	struct rx_formulary f = { 0 };
	char visit[UUID_STRLEN + 1], consult[UUID_STRLEN + 1];
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], k[UUID_STRLEN + 1];
	char ref[UUID_STRLEN + 1], *cause = NULL;
	int err = 0, points, cuts, nd, rounds, i, j, ops, point, next = 0;
	int hit = 0, failed = 0, tried = 0, stride = 1, turns, turn = 0, from;
	int ncut = 0, struck = 0, hcut = 0, hstruck = 0, seen = 0;
	long *offs = NULL, *hoffs = NULL, at, line;
	uint64_t t0 = hlc_wall_ms(), tk = 0, tc = 0, th = 0, t1;

	points = env_int(env, 24);
	cuts = envc != NULL && strcmp(envc, "0") == 0 ? 0 : env_int(envc, 8);
	nd = env_int(envd, 2);
	if (nd < 1 || nd > DESTS_MAX)
		nd = nd < 1 ? 1 : DESTS_MAX;
	if (points < nd)
		points = nd;
	/* a sweep split between processes: this one takes kill points
	 * FROM to N - 1 of the whole sweep */
	from = envf != NULL && strcmp(envf, "0") == 0 ? 0 : env_int(envf, 0);
	if (from >= points)
		from = 0;
	next = from;
	turns = points - from + cuts;
	rounds = 1 + (turns + nd - 1) / nd;
	offs = xcalloc((size_t)cuts + 1, sizeof(*offs));
	hoffs = xcalloc((size_t)rounds + 1, sizeof(*hoffs));
	memset(d, 0, sizeof(d));
	faultvfs_register();
	if ((err = srv_start(&srv)) != 0)
		goto out;
	TEST_ERR(cutproxy_start(&px, srv.port));
	via = srv;
	via.port = px.port; /* the hub and the destinations: through it */
	for (j = 0; j < nd; j++)
		TEST_ERR(dest_enrol(&srv, px.port, &d[j], j));
	TEST_ERR(node_open_as(&via, "hub", "hub", now, &h));
	TEST_ERR(node_open_at(&srv, "referrer", "clinic", "f2", now, &r));
	TEST_ERR(store_country_set(h, "IN"));
	/* the destinations' patient and consult; the hub accepts it */
	p.given = (char *)"Lakshmi";
	p.family = (char *)"Rao";
	p.birth_date = (char *)"1979-08-20";
	TEST_ERR(store_patient_add(d[0].s, &p, NULL, &cause));
	TEST_ERR(store_encounter_open(d[0].s, p.id, "fever", visit));
	q.encounter_id = visit;
	TEST_ERR(store_consult_request(d[0].s, &q, consult, &cause));
	TEST_ERR(run(d[0].s, 0));
	TEST_ERR(run(h, 0));
	TEST_ERR(store_user_add(h, "doc", STORE_ROLE_CLINICIAN, &doc));
	store_set_actor(h, doc.id);
	TEST_ERR(store_user_signkey(h, doc.id, "MCI-2468"));
	TEST_ERR(store_consult_accept(h, consult, &cause));
	TEST_ERR(store_rx_formulary(h, &f, &cause));
	/* the referring clinic's patient and CHW */
	TEST_ERR(store_user_add(r, "chw", STORE_ROLE_CHW, &chw));
	store_set_actor(r, chw.id);
	p2.given = (char *)"Asha";
	p2.family = (char *)"Kumari";
	p2.birth_date = (char *)"1990-01-02";
	TEST_ERR(store_patient_add(r, &p2, NULL, &cause));
	memset(&rq, 0, sizeof(rq));
	rq.patient_id = p2.id;
	rq.from = "f2";
	rq.target = "f1";
	rq.reason = "x-ray";
	rq.urgency = "routine";
	memset(&n, 0, sizeof(n));
	n.consult_id = consult;
	n.route = "oral";
	n.days = 3;
	n.first = -1;
	ops = -1;
	for (i = 0; i < rounds; i++) {
		/* what the round sends the destinations: an order and its
		 * cancel, another order, a referral to their facility */
		n.code = "ZNC20";
		n.dose = 20;
		n.per_day = 1;
		TEST_ERR(store_rx_issue(h, &f, &n, NULL, a, &cause));
		TEST_ERR(store_rx_end(h, a, "cancel", "wrong dose", k, &cause));
		n.code = "ORS";
		n.dose = 200;
		n.per_day = 6;
		/* ORS is active from the rounds before: a duplicate
		 * ingredient, overridden with a reason */
		n.override = i > 0 ? "a new supply" : NULL;
		TEST_ERR(store_rx_issue(h, &f, &n, NULL, b, &cause));
		n.override = NULL;
		if (i % 2 == 1)
			TEST_ERR(swap_outbox(h, a, k));
		rq.due_ms = now() + 86400000ULL;
		TEST_ERR(store_referral_new(r, &rq, ref, &cause));
		t1 = hlc_wall_ms();
		if (ops >= 0 && cuts > 0) {
			/* the hub's push answer cut at a byte offset spread
			 * over its length, round after round */
			cutproxy_arm(
			    &px, CUTPROXY_PUSH, hcut, rounds - 1, hcut % 2);
			(void)run(h, 1);
			if (cutproxy_disarm(&px, &seen, &at, &line))
				hoffs[hstruck++] = at;
			hcut++;
		}
		TEST_ERR(run(h, 0));
		TEST_ERR(run(r, 0));
		th += hlc_wall_ms() - t1;
		if (ops < 0) {
			/* round 0 measures the writes and syncs of a clean
			 * sync that pulls a round: the kill points sweep
			 * them (and one past, where nothing fails) */
			faultvfs_arm(INT_MAX, SQLITE_FULL, 0);
			TEST_ERR(run(d[0].s, 0));
			ops = INT_MAX - faultvfs.countdown;
			faultvfs_disarm();
			TEST_TRUE(ops > 2);
			for (stride = 37; gcd(stride, ops + 2) != 1; stride++)
				;
			for (j = 0; j < nd; j++) {
				if (j > 0)
					TEST_ERR(run(d[j].s, 0));
				TEST_ERR(check_once(d[j].s, 1, -1));
			}
			continue;
		}
		for (j = 0; j < nd && turn < turns; j++, turn++) {
			t1 = hlc_wall_ms();
			/* the cuts spread evenly among the kill points */
			if ((long)(turn + 1) * cuts / turns >
			    (long)turn * cuts / turns) {
				/* K spread over the answer's length */
				TEST_ERR(dest_cut(&d[j], &px, i + 1, ncut, cuts,
				    ncut % 2, &at, &seen));
				if (at >= 0)
					offs[struck++] = at;
				ncut++;
				tc += hlc_wall_ms() - t1;
				continue;
			}
			/* strided, so a short sweep spreads over the whole
			 * pull and a long one still takes every point */
			point = (int)(((long)next * stride) % (ops + 2));
			TEST_ERR(dest_point(&d[j], i + 1, point,
			    codes[(next / (ops + 2)) % 2],
			    (next / (2 * (ops + 2))) % 2, &hit, &failed));
			next++;
			tk += hlc_wall_ms() - t1;
			if (++tried % 1000 == 0) {
				printf("# %d kill points passed (%d to %d, "
				       "%.1f s)\n",
				    tried, from, next - 1,
				    (double)(hlc_wall_ms() - t0) / 1e3);
				fflush(stdout);
			}
		}
		for (; j < nd; j++)
			TEST_ERR(run(d[j].s, 0));
	}
	/* one more sync changes nothing */
	TEST_ERR(run(h, 0));
	for (j = 0; j < nd; j++) {
		TEST_ERR(run(d[j].s, 0));
		TEST_ERR(check_once(d[j].s, rounds, -1));
	}
	printf("# %d kill points (%d to %d of the sweep; %d rounds, %d "
	       "destinations) over the %d writes and syncs of a pull; %d "
	       "faults struck, %d syncs failed; %.1f ms a kill point\n",
	    tried, from, next - 1, rounds - 1, nd, ops, hit, failed,
	    tried ? (double)tk / tried : 0.0);
	printf("# a kill point's time: %.1f ms the failing sync, %.1f the "
	       "restart, %.1f the clean sync, %.1f the checks; the hub and "
	       "the referrer %.1f ms a round\n",
	    tried ? (double)phase_ms[0] / tried : 0.0,
	    tried ? (double)phase_ms[1] / tried : 0.0,
	    tried ? (double)phase_ms[2] / tried : 0.0,
	    tried ? (double)phase_ms[3] / tried : 0.0,
	    rounds > 1 ? (double)th / (rounds - 1) : 0.0);
	printf("# %d pull answers cut (%d at distinct byte offsets, of %d "
	       "tried), %d push answers of the hub cut (%d distinct "
	       "offsets), the answers cut %ld to %ld bytes long; %.1f ms a "
	       "cut; %.1f s in all\n",
	    struck, distinct(offs, struck), ncut, hstruck,
	    distinct(hoffs, hstruck), px.cut_min, px.cut_max,
	    ncut ? (double)tc / ncut : 0.0, (double)(hlc_wall_ms() - t0) / 1e3);
	/* the sweep reached faults and failed syncs, or it tested nothing */
	TEST_TRUE(hit > 0);
	TEST_TRUE(failed > 0);
	if (cuts > 0) {
		TEST_TRUE(struck > 0);
		TEST_TRUE(hstruck > 0);
	}
out:
	faultvfs_disarm();
	if (cause != NULL)
		fprintf(stderr, "  %s\n", cause);
	free(cause);
	rx_formulary_free(&f);
	store_user_clear(&doc);
	store_user_clear(&chw);
	for (j = 0; j < nd; j++)
		if (d[j].s != NULL)
			store_close(d[j].s);
	if (h != NULL)
		store_close(h);
	if (r != NULL)
		store_close(r);
	cutproxy_stop(&px);
	srv_stop(&srv);
	free(offs);
	free(hoffs);
	return err;
}

TEST_MAIN({ "sweep", test_sweep });
