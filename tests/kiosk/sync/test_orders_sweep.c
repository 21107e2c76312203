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
 * Half the rounds send a cancel ahead of its order (the hub's outbox
 * reordered, as a lost and retried push could), so the clinic holds it
 * pending across the fault.  Several destination clinics of the same
 * facility (OUTPOST_ORDERS_DESTS, default 2, at most 16) each take a
 * kill point of every round.  The number of kill points is
 * OUTPOST_ORDERS_N: default 24 for make check, 10,000 by hand.  The
 * real sync-server runs on loopback.
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
dest_enrol(struct srv *srv, struct dest *d, int i)
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
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", srv->port);
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
static int
dest_point(struct dest *d, int rounds, int point, int code, int persistent,
    int *hit, int *failed)
{
	int err = 0;

	faultvfs_arm(point, code, persistent);
	if (run(d->s, 1) != 0)
		(*failed)++;
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
	TEST_ERR(run(d->s, 0));
	TEST_EQ(count(d->s, early_cancel), 0);
	if (check_once(d->s, rounds, point) != 0)
		TEST_FAILED("kill point %d (round %d): not exactly once", point,
		    rounds);
out:
	faultvfs_disarm();
	return err;
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

#define DESTS_MAX 16

static int
test_sweep(void)
{
	static const int codes[] = { SQLITE_FULL, SQLITE_IOERR_WRITE };
	static struct dest d[DESTS_MAX];
	const char *env = getenv("OUTPOST_ORDERS_N"),
	           *envd = getenv("OUTPOST_ORDERS_DESTS");
	struct srv srv;
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
	int err = 0, points, nd, rounds, i, j, ops, point, next = 0;
	int hit = 0, failed = 0, tried = 0, stride = 1;

	points = env_int(env, 24);
	nd = env_int(envd, 2);
	if (nd < 1 || nd > DESTS_MAX)
		nd = nd < 1 ? 1 : DESTS_MAX;
	if (points < nd)
		points = nd;
	rounds = 1 + (points + nd - 1) / nd;
	memset(d, 0, sizeof(d));
	faultvfs_register();
	if ((err = srv_start(&srv)) != 0)
		return err;
	for (j = 0; j < nd; j++)
		TEST_ERR(dest_enrol(&srv, &d[j], j));
	TEST_ERR(node_open_as(&srv, "hub", "hub", now, &h));
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
		TEST_ERR(run(h, 0));
		TEST_ERR(run(r, 0));
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
		for (j = 0; j < nd && tried < points; j++, tried++) {
			/* strided, so a short sweep spreads over the whole
			 * pull and a long one still takes every point */
			point = (int)(((long)next++ * stride) % (ops + 2));
			TEST_ERR(dest_point(&d[j], i + 1, point,
			    codes[(tried / (ops + 2)) % 2],
			    (tried / (2 * (ops + 2))) % 2, &hit, &failed));
			if ((tried + 1) % 1000 == 0) {
				printf("# %d kill points passed\n", tried + 1);
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
	printf("# %d kill points (%d rounds, %d destinations) over the %d "
	       "writes and syncs of a pull; %d faults struck, %d syncs "
	       "failed\n",
	    tried, rounds - 1, nd, ops, hit, failed);
	/* the sweep reached faults and failed syncs, or it tested nothing */
	TEST_TRUE(hit > 0);
	TEST_TRUE(failed > 0);
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
	srv_stop(&srv);
	return err;
}

TEST_MAIN({ "sweep", test_sweep });
