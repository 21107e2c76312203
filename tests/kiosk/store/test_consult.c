/*
 * Consults in the kiosk store (issue 13, kiosk/store/consult.c): each
 * lifecycle step writes its row, outbox change and audit entry together,
 * the local refusals mirror the server's, and a signed note verifies
 * while a tampered one (text, signer, key) does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consult.h"
#include "crypto.h"
#include "kiosk/store/store_int.h"
#include "record.h"
#include "test.h"
#include "xmalloc.h"

static char tmpl[] = "/tmp/outpost-consult-XXXXXX";

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

struct fx {
	char *dir;
	struct store *s;
	char pat[UUID_STRLEN + 1], visit[UUID_STRLEN + 1];
	struct store_user chw, doc, doc2;
};

static int
fx_open(struct fx *f)
{
	struct store_patient p = { 0 };
	uint8_t key[32];
	char *cause = NULL;
	int err = 0;

	memset(f, 0, sizeof(*f));
	f->dir = xstrdup(tmpl);
	TEST_TRUE(mkdtemp(f->dir) != NULL);
	crypto_random(key, sizeof(key));
	TEST_ERR(store_open(f->dir, key, 1, &f->s));
	TEST_ERR(store_user_add(f->s, "chw", STORE_ROLE_CHW, &f->chw));
	TEST_ERR(store_user_add(f->s, "doc", STORE_ROLE_CLINICIAN, &f->doc));
	TEST_ERR(store_user_add(f->s, "doc2", STORE_ROLE_CLINICIAN, &f->doc2));
	p.given = (char *)"Ama";
	p.family = (char *)"Mensah";
	TEST_ERR(store_patient_add(f->s, &p, NULL, &cause));
	memcpy(f->pat, p.id, sizeof(f->pat));
	TEST_ERR(store_encounter_open(f->s, f->pat, "cough", f->visit));
out:
	free(cause);
	return err;
}

static void
fx_close(struct fx *f)
{
	char cmd[128];

	if (f->s != NULL)
		store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(f->dir);
	store_user_clear(&f->chw);
	store_user_clear(&f->doc);
	store_user_clear(&f->doc2);
}

static int
request(struct fx *f, char id[UUID_STRLEN + 1])
{
	struct store_consult_req q = { f->visit, "cough three weeks",
		"store-forward", CONSULT_MEDIUM, 5 };
	char *cause = NULL;
	int err;

	store_set_actor(f->s, f->chw.id);
	err = store_consult_request(f->s, &q, id, &cause);
	free(cause);
	return err;
}

/* Every step: row, change and audit entry; the refusals say why. */
static int
test_lifecycle(void)
{
	struct fx f;
	struct store_consult c;
	struct store_consult_note n = { "cough", "RR 22", "TB?", "sputum",
		NULL };
	struct store_consult_req bad = { NULL, "x", "fax", 0, -1 };
	char id[UUID_STRLEN + 1], id2[UUID_STRLEN + 1], *cause = NULL;
	int err = 0, out0, au0;

	memset(&c, 0, sizeof(c));
	TEST_ERR(fx_open(&f));
	out0 = count(f.s, "SELECT count(*) FROM outbox WHERE entity = 7");
	au0 = count(f.s, "SELECT count(*) FROM audit WHERE entity = 'consult'");
	TEST_ERR(request(&f, id));
	TEST_EQ(count(f.s, "SELECT count(*) FROM outbox WHERE entity = 7"),
	    out0 + 1);
	TEST_EQ(
	    count(f.s, "SELECT count(*) FROM audit WHERE entity = 'consult'"),
	    au0 + 1);
	TEST_ERR(store_consult_get(f.s, id, &c));
	TEST_STR(c.state, "requested");
	TEST_STR(c.patient_id, f.pat);
	TEST_EQ(c.urgency, CONSULT_MEDIUM);
	TEST_EQ(c.news2, 5);
	TEST_STR(c.patient_name, "Ama Mensah");
	store_consult_clear(&c);
	/* one open request per visit; bad input says why */
	TEST_EQ(request(&f, id2), EEXIST);
	bad.encounter_id = f.visit;
	TEST_EQ(store_consult_request(f.s, &bad, id2, &cause), EINVAL);
	TEST_STR(cause, "the mode is video, voice or store-forward");
	free(cause);
	cause = NULL;
	/* a CHW cannot call or sign; a clinician accepts */
	TEST_EQ(
	    store_consult_step(f.s, id, "call", NULL, NULL, &cause), EINVAL);
	free(cause);
	cause = NULL;
	store_set_actor(f.s, f.doc.id);
	TEST_ERR(store_consult_accept(f.s, id, &cause));
	TEST_ERR(store_consult_get(f.s, id, &c));
	TEST_STR(c.state, "accepted");
	TEST_STR(c.clinician, f.doc.id);
	TEST_STR(c.clinician_name, "doc");
	store_consult_clear(&c);
	/* a second clinician is told it is no longer waiting */
	store_set_actor(f.s, f.doc2.id);
	TEST_EQ(store_consult_accept(f.s, id, &cause), EALREADY);
	TEST_STR(cause, "this consult is no longer waiting");
	free(cause);
	cause = NULL;
	TEST_EQ(store_consult_note(f.s, id, &n, &cause), EINVAL);
	free(cause);
	cause = NULL;
	store_set_actor(f.s, f.doc.id);
	TEST_ERR(store_consult_step(f.s, id, "call", NULL, NULL, &cause));
	TEST_ERR(store_consult_note(f.s, id, &n, &cause));
	/* advice during the call: the latest text, for the call screen */
	{
		struct store_consult_note adv = { NULL, NULL, NULL, NULL,
			"keep her warm" };
		char *text = NULL;

		TEST_ERR(store_consult_note(f.s, id, &adv, &cause));
		TEST_ERR(store_consult_advice(f.s, id, &text));
		TEST_STR(text, "keep her warm");
		free(text);
	}
	/* no key yet: signing says what to do */
	TEST_EQ(store_consult_sign(f.s, id, &cause), ENOKEY);
	TEST_TRUE(strstr(cause, "kiosk consult key") != NULL);
	free(cause);
	cause = NULL;
	TEST_ERR(store_user_signkey(f.s, f.doc.id, "MW-1"));
	TEST_ERR(store_consult_sign(f.s, id, &cause));
	TEST_ERR(store_consult_get(f.s, id, &c));
	TEST_STR(c.state, "signed");
	TEST_STR(c.regno, "MW-1");
	TEST_EQ(c.has_sig, 1);
	store_consult_clear(&c);
	/* after signing the note is closed to edits; the clinic closes */
	TEST_EQ(store_consult_note(f.s, id, &n, &cause), EINVAL);
	free(cause);
	cause = NULL;
	store_set_actor(f.s, f.chw.id);
	TEST_ERR(store_consult_step(f.s, id, "closed", NULL, NULL, &cause));
	/* a return to the queue with a handover, then only that one may
	 * accept; a cancel needs its reason */
	TEST_ERR(store_encounter_open(f.s, f.pat, "fever", f.visit));
	TEST_ERR(request(&f, id2));
	store_set_actor(f.s, f.doc.id);
	TEST_ERR(store_consult_accept(f.s, id2, &cause));
	TEST_ERR(store_consult_step(
	    f.s, id2, "requested", "second opinion", f.doc2.id, &cause));
	TEST_EQ(store_consult_accept(f.s, id2, &cause), EALREADY);
	TEST_STR(cause, "this consult was handed to another clinician");
	free(cause);
	cause = NULL;
	store_set_actor(f.s, f.doc2.id);
	TEST_ERR(store_consult_accept(f.s, id2, &cause));
	store_set_actor(f.s, f.chw.id);
	TEST_EQ(store_consult_step(f.s, id2, "cancelled", NULL, NULL, &cause),
	    EINVAL);
	TEST_STR(cause, "say why");
	free(cause);
	cause = NULL;
	TEST_ERR(store_consult_step(
	    f.s, id2, "cancelled", "went to hospital", NULL, &cause));
	/* request, accept, call, note, advice, sign, close; request,
	 * accept, return, accept, cancel: one change and one audit entry
	 * each */
	TEST_EQ(count(f.s, "SELECT count(*) FROM outbox WHERE entity = 7"),
	    out0 + 12);
	TEST_EQ(
	    count(f.s, "SELECT count(*) FROM audit WHERE entity = 'consult'"),
	    au0 + 12);
out:
	free(cause);
	store_consult_clear(&c);
	fx_close(&f);
	return err;
}

/* A signed note verifies; changed text, signer or key does not. */
static int
test_signature(void)
{
	static const char *const tamper[] = {
		"UPDATE consults SET plan = 'double the dose'",
		"UPDATE consults SET regno = 'MW-9'",
		"UPDATE consults SET signed_ms = signed_ms + 1",
	};
	struct fx f;
	struct store_consult c;
	struct store_consult_note n = { "s", "o", "a", "sputum test", NULL };
	char id[UUID_STRLEN + 1], *cause = NULL, sql[160];
	const char *why;
	uint8_t pub[32], priv[32];
	size_t i;
	int err = 0;

	memset(&c, 0, sizeof(c));
	TEST_ERR(fx_open(&f));
	TEST_ERR(request(&f, id));
	store_set_actor(f.s, f.doc.id);
	TEST_ERR(store_user_signkey(f.s, f.doc.id, "MW-1"));
	TEST_ERR(store_consult_accept(f.s, id, &cause));
	TEST_ERR(store_consult_note(f.s, id, &n, &cause));
	TEST_ERR(store_consult_sign(f.s, id, &cause));
	TEST_ERR(store_consult_get(f.s, id, &c));
	TEST_ERR(store_consult_verify(f.s, &c, &why));
	store_consult_clear(&c);
	TEST_ERR(store_exec(f.s, "SAVEPOINT t"));
	for (i = 0; i < sizeof(tamper) / sizeof(*tamper); i++) {
		TEST_ERR(store_exec(f.s, tamper[i]));
		TEST_ERR(store_consult_get(f.s, id, &c));
		TEST_EQ(store_consult_verify(f.s, &c, &why), EBADMSG);
		TEST_STR(why, "the note does not match its signature");
		store_consult_clear(&c);
		TEST_ERR(store_exec(f.s, "ROLLBACK TO t"));
	}
	/* signed again with a key that is not the clinician's */
	crypto_ed25519_keygen(priv, pub);
	snprintf(sql, sizeof(sql), "UPDATE consults SET signkey = x'%02x%s'",
	    pub[0],
	    "00000000000000000000000000000000000000000000000000000000"
	    "000000");
	TEST_ERR(store_exec(f.s, sql));
	TEST_ERR(store_consult_get(f.s, id, &c));
	TEST_EQ(store_consult_verify(f.s, &c, &why), EBADMSG);
	store_consult_clear(&c);
	TEST_ERR(store_exec(f.s, "ROLLBACK TO t"));
	TEST_ERR(store_exec(f.s, "UPDATE users SET signkey = zeroblob(32)"));
	TEST_ERR(store_consult_get(f.s, id, &c));
	TEST_EQ(store_consult_verify(f.s, &c, &why), EBADMSG);
	TEST_STR(why, "signed with a key that is not the clinician's");
	store_consult_clear(&c);
	TEST_ERR(store_exec(f.s, "RELEASE t"));
out:
	free(cause);
	store_consult_clear(&c);
	fx_close(&f);
	return err;
}

TEST_MAIN({ "lifecycle", test_lifecycle }, { "signature", test_signature })
