/*
 * Prescriptions exactly once through a real sync-server (issue 14,
 * workflows.md §7 criterion 11): a clinic asks, a hub's clinician signs
 * two orders and cancels one; the cancel is made to reach the server and
 * the clinic before its order (the hub's outbox reordered, as a lost and
 * retried push could), so the clinic holds it pending, then applies it
 * when the order comes; every record arrives once however often both
 * sides sync, and each verifies.  A hard-blocked order written past the
 * kiosk's checks is refused by the server (rx_blocked) and never served.
 * Skipped when the server binary is missing.
 */
#define LOG_MODULE "test_rx_sync"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cborx.h"
#include "clinical/rx.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "hlc.h"
#include "kiosk/store/store_int.h"
#include "kiosk/sync/sync.h"
#include "log.h"
#include "model.h"
#include "prescription.h"
#include "protocol.h"
#include "record.h"
#include "str.h"
#include "test.h"
#include "syncfix.h"
#include "xmalloc.h"

static int
run(struct store *s)
{
	char *cause = NULL;
	int err = sync_run(s, NULL, &cause);

	if (err != 0)
		fprintf(stderr, "  sync: %s\n", cause ? cause : strerror(err));
	free(cause);
	return err;
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

static uint64_t
now(void)
{
	return hlc_wall_ms();
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

static int
test_exactly_once(void)
{
	struct srv srv;
	struct store *c = NULL, *h = NULL;
	struct store_patient p = { 0 };
	struct store_user doc = { 0 };
	struct store_consult_req q = { NULL, "fever", "video", 0, 1 };
	struct store_rx_new n;
	struct store_rx x;
	struct rx_formulary f = { 0 };
	char visit[UUID_STRLEN + 1], consult[UUID_STRLEN + 1];
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], k[UUID_STRLEN + 1];
	char *cause = NULL;
	const char *why;
	int err = 0, round;

	memset(&x, 0, sizeof(x));
	if ((err = srv_start(&srv)) != 0)
		return err;
	TEST_ERR(node_open_as(&srv, "clinic", "clinic", now, &c));
	TEST_ERR(node_open_as(&srv, "hub", "hub", now, &h));
	TEST_ERR(store_country_set(c, "IN"));
	TEST_ERR(store_country_set(h, "IN"));
	p.given = (char *)"Lakshmi";
	p.family = (char *)"Rao";
	p.birth_date = (char *)"1979-08-20";
	TEST_ERR(store_patient_add(c, &p, NULL, &cause));
	TEST_ERR(store_encounter_open(c, p.id, "fever", visit));
	q.encounter_id = visit;
	TEST_ERR(store_consult_request(c, &q, consult, &cause));
	TEST_ERR(run(c));
	TEST_ERR(run(h));
	/* the hub's clinician accepts, orders zinc and ORS, cancels zinc */
	TEST_ERR(store_user_add(h, "doc", STORE_ROLE_CLINICIAN, &doc));
	store_set_actor(h, doc.id);
	TEST_ERR(store_user_signkey(h, doc.id, "MCI-2468"));
	TEST_ERR(store_consult_accept(h, consult, &cause));
	TEST_ERR(store_rx_formulary(h, &f, &cause));
	memset(&n, 0, sizeof(n));
	n.consult_id = consult;
	n.code = "ZNC20";
	n.route = "oral";
	n.dose = 20;
	n.per_day = 1;
	n.days = 10;
	n.first = -1;
	TEST_ERR(store_rx_issue(h, &f, &n, NULL, a, &cause));
	TEST_ERR(store_rx_end(h, a, "cancel", "wrong patient", k, &cause));
	n.code = "ORS";
	n.dose = 200;
	n.per_day = 6;
	n.days = 3;
	TEST_ERR(store_rx_issue(h, &f, &n, NULL, b, &cause));
	/* the cancel goes out before its order */
	TEST_ERR(swap_outbox(h, a, k));
	TEST_EQ(count(h,
	            "SELECT count(*) FROM outbox o, outbox p WHERE"
	            " o.entity = 8 AND p.entity = 8 AND o.seq < p.seq"
	            " AND o.entity_id = (SELECT id FROM prescriptions"
	            " WHERE action = 'cancel') AND p.entity_id ="
	            " (SELECT order_id FROM prescriptions WHERE"
	            " action = 'cancel')"),
	    1);
	for (round = 0; round < 3; round++) {
		TEST_ERR(run(h));
		TEST_ERR(run(c));
		TEST_EQ(count(c, "SELECT count(*) FROM prescriptions"), 3);
		TEST_EQ(count(c,
		            "SELECT count(DISTINCT id) FROM"
		            " prescriptions"),
		    3);
		TEST_EQ(count(c,
		            "SELECT count(*) FROM prescriptions WHERE"
		            " action = 'cancel' AND applied_ms IS NOT"
		            " NULL"),
		    1);
		TEST_EQ(count(c,
		            "SELECT count(*) FROM prescriptions WHERE"
		            " action = 'order' AND status = 'cancelled'"),
		    1);
		TEST_EQ(count(c,
		            "SELECT count(*) FROM prescriptions WHERE"
		            " action = 'order' AND status = 'active'"),
		    1);
		TEST_EQ(count(c,
		            "SELECT count(*) FROM outbox WHERE"
		            " entity = 8"),
		    0);
	}
	TEST_ERR(store_rx_get(c, a, &x));
	TEST_STR(x.status, "cancelled");
	TEST_ERR(store_rx_verify(c, &x, &why));
	store_rx_clear(&x);
	TEST_ERR(store_rx_get(c, k, &x));
	TEST_ERR(store_rx_verify(c, &x, &why));
	store_rx_clear(&x);
	TEST_ERR(store_rx_get(c, b, &x));
	TEST_STR(x.regno, "MCI-2468");
	TEST_ERR(store_rx_verify(c, &x, &why));
	store_rx_clear(&x);
	/* an order past the kiosk's checks (ten times the maximum, the
	 * row edited before its change went out) is refused by the server
	 * and never reaches the clinic */
	n.code = "PCM500";
	n.dose = 1000;
	n.per_day = 3;
	TEST_ERR(store_rx_issue(h, &f, &n, NULL, b, &cause));
	{
		const struct model_entity *e = model_entity(REC_PRESCRIPTION);
		struct model_rec r;
		uint8_t priv[32], sig[64], *msg = NULL, *body = NULL;
		size_t len, blen;
		cbor_item_t *m = NULL;
		sqlite3_stmt *st;

		TEST_ERR(store_prepare(
		    h, "SELECT body FROM outbox WHERE entity_id = ?", &st));
		store_bind_text(st, 1, b);
		TEST_TRUE(sqlite3_step(st) == SQLITE_ROW);
		err = model_decode(e, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &r);
		sqlite3_finalize(st);
		TEST_ERR(err);
		/* signed again with the clinician's own key: only the
		 * server's checks stand in the way */
		model_set_double(&r, REC_RX_DOSE, 10000);
		TEST_ERR(consult_priv(h, priv));
		TEST_ERR(prescription_sig_bytes(&r, &msg, &len));
		TEST_ERR(crypto_ed25519_sign(priv, msg, len, sig));
		model_set_bytes(&r, REC_RX_SIG, sig, 64);
		TEST_ERR(model_encode(&r, &m));
		TEST_TRUE(cborx_encode(m, &body, &blen) == 0);
		cbor_decref(&m);
		TEST_ERR(store_prepare(
		    h, "UPDATE outbox SET body = ? WHERE entity_id = ?", &st));
		sqlite3_bind_blob(st, 1, body, (int)blen, SQLITE_STATIC);
		store_bind_text(st, 2, b);
		err = store_step_done(h, st, "outbox");
		sqlite3_finalize(st);
		explicit_bzero(priv, sizeof(priv));
		free(msg);
		free(body);
		model_rec_clear(&r);
		TEST_ERR(err);
	}
	TEST_ERR(run(h));
	TEST_EQ(count(h,
	            "SELECT count(*) FROM outbox WHERE refused = 1"
	            " AND entity = 8"),
	    1);
	TEST_EQ(count(h,
	            "SELECT count(*) FROM audit WHERE action ="
	            " 'sync-refused' AND entity = 'prescription'"),
	    1);
	TEST_ERR(run(c));
	TEST_EQ(count(c, "SELECT count(*) FROM prescriptions"), 3);
out:
	if (cause != NULL)
		fprintf(stderr, "  %s\n", cause);
	free(cause);
	store_rx_clear(&x);
	rx_formulary_free(&f);
	store_user_clear(&doc);
	if (c != NULL)
		store_close(c);
	if (h != NULL)
		store_close(h);
	srv_stop(&srv);
	return err;
}

TEST_MAIN({ "exactly_once", test_exactly_once });
