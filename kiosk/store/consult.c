/*
 * Consults (issue 13): a CHW's request from an open visit, a clinician's
 * accept, call, SOAP note and Ed25519 signature, and the steps that end
 * one (model/record.h has the lifecycle; the server judges each step,
 * sync-server/policy.c, and this file refuses locally what it would
 * refuse, so a kiosk offline does not build on a step that cannot stand).
 *
 * A clinician's signing key: an Ed25519 pair made on the hub kiosk; the
 * public half travels in their user record and in each note they sign,
 * the private half stays in this node's encrypted store (user_signing,
 * never synced).  The signed bytes are model/consult.h's.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consult.h"
#include "crypto.h"
#include "hlc.h"
#include "log.h"
#include "record.h"
#include "licstore.h"
#include "store_int.h"
#include "xmalloc.h"

#define CONSULT_COLS                                                           \
	"c.id, c.patient_id, c.encounter_id, c.reason, c.mode, c.status,"      \
	" c.clinician_id, c.clinician_name, c.regno, c.subjective,"            \
	" c.objective, c.assessment, c.plan, c.end_reason, c.advice,"          \
	" c.handed_to, coalesce(c.urgency, 0), coalesce(c.news2, -1),"         \
	" coalesce(c.requested_ms, 0), coalesce(c.accepted_ms, 0),"            \
	" coalesce(c.signed_ms, 0), coalesce(c.seen_ms, 0), c.hlc, c.sig,"     \
	" c.signkey, trim(coalesce(p.given, '') || ' ' ||"                     \
	" coalesce(p.family, ''))"
#define CONSULT_FROM                                                           \
	" FROM consults c LEFT JOIN patients p ON p.id = c.patient_id"

static void
consult_from_row(sqlite3_stmt *st, struct store_consult *c)
{
	const unsigned char *id = sqlite3_column_text(st, 0);
	char **t[] = { &c->patient_id, &c->encounter_id, &c->reason, &c->mode,
		&c->state, &c->clinician, &c->clinician_name, &c->regno,
		&c->subjective, &c->objective, &c->assessment, &c->plan,
		&c->end_reason, &c->advice, &c->handed_to };
	size_t i;

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id ? (const char *)id : "");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		*t[i] = store_col_text(st, (int)i + 1);
	c->urgency = sqlite3_column_int(st, 16);
	c->news2 = sqlite3_column_int(st, 17);
	c->requested_ms = (uint64_t)sqlite3_column_int64(st, 18);
	c->accepted_ms = (uint64_t)sqlite3_column_int64(st, 19);
	c->signed_ms = (uint64_t)sqlite3_column_int64(st, 20);
	c->seen_ms = (uint64_t)sqlite3_column_int64(st, 21);
	c->hlc = (uint64_t)sqlite3_column_int64(st, 22);
	if (sqlite3_column_bytes(st, 23) == 64) {
		memcpy(c->sig, sqlite3_column_blob(st, 23), 64);
		c->has_sig = 1;
	}
	if (sqlite3_column_bytes(st, 24) == 32) {
		memcpy(c->signkey, sqlite3_column_blob(st, 24), 32);
		c->has_signkey = 1;
	}
	c->patient_name = store_col_text(st, 25);
	if (c->state == NULL)
		c->state = xstrdup("requested");
}

void
store_consult_clear(struct store_consult *c)
{
	char *t[] = { c->patient_id, c->encounter_id, c->reason, c->mode,
		c->state, c->clinician, c->clinician_name, c->regno,
		c->subjective, c->objective, c->assessment, c->plan,
		c->end_reason, c->advice, c->handed_to, c->patient_name };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		free(t[i]);
	memset(c, 0, sizeof(*c));
}

void
store_consult_free_array(struct store_consult *c, size_t n)
{
	size_t i;

	for (i = 0; c != NULL && i < n; i++)
		store_consult_clear(&c[i]);
	free(c);
}

/* ID, or the one consult whose id starts with it (8+ characters). */
int
store_consult_get(struct store *s, const char *id, struct store_consult *c)
{
	sqlite3_stmt *st;
	int rc, err;

	memset(c, 0, sizeof(*c));
	if (id == NULL || strlen(id) < 8 || strlen(id) > UUID_STRLEN)
		return ENOENT;
	if ((err = store_prepare(s,
	         "SELECT " CONSULT_COLS CONSULT_FROM
	         " WHERE c.id >= ?1 AND c.id < ?1 || 'g' AND c.deleted = 0"
	         " ORDER BY c.id LIMIT 2",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		consult_from_row(st, c);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			store_consult_clear(c);
			err = ENOENT; /* ambiguous */
		}
	} else
		err = rc == SQLITE_DONE ? ENOENT : store_err(s, rc, "consult");
	sqlite3_finalize(st);
	return err;
}

int
store_consult_list(struct store *s, enum store_consult_list which,
    struct store_consult **out, size_t *n)
{
	static const char *const where[] = {
		[STORE_CL_QUEUE] = " WHERE c.deleted = 0 AND c.status ="
		                   " 'requested' ORDER BY c.urgency DESC,"
		                   " c.requested_ms, c.id",
		[STORE_CL_MINE] =
		    " WHERE c.deleted = 0 AND c.status IN"
		    " ('accepted', 'call') AND c.clinician_id = ?1"
		    " ORDER BY c.accepted_ms, c.id",
		[STORE_CL_OPEN] = " WHERE c.deleted = 0 AND c.status IN"
		                  " ('requested', 'accepted', 'call', 'signed',"
		                  " 'taken') ORDER BY c.requested_ms, c.id",
		[STORE_CL_NEW] = " WHERE c.deleted = 0 AND c.status IN"
		                 " ('signed', 'failed') AND c.seen_ms IS NULL"
		                 " ORDER BY c.signed_ms, c.id",
		[STORE_CL_ALL] = " WHERE c.deleted = 0"
		                 " ORDER BY c.requested_ms, c.id",
	};
	struct store_consult *v = NULL;
	sqlite3_stmt *st;
	char sql[1024];
	size_t cnt = 0;
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((int)which < 0 || (size_t)which >= sizeof(where) / sizeof(*where))
		return EINVAL;
	snprintf(sql, sizeof(sql), "SELECT " CONSULT_COLS CONSULT_FROM "%s",
	    where[which]);
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	if (which == STORE_CL_MINE)
		store_bind_text(st, 1, s->actor);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		consult_from_row(st, &v[cnt++]);
	}
	if (rc != SQLITE_DONE) {
		err = store_err(s, rc, "consult list");
		store_consult_free_array(v, cnt);
		v = NULL;
		cnt = 0;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return err;
}

static int
consult_cause(char **cause, const char *why)
{
	if (cause != NULL)
		*cause = xstrdup(why);
	return EINVAL;
}

int
store_consult_request(struct store *s, const struct store_consult_req *q,
    char id_out[UUID_STRLEN + 1], char **cause)
{
	struct store_encounter e;
	struct model_rec r;
	sqlite3_stmt *st;
	uint64_t hlc;
	int err, rc;

	if (cause != NULL)
		*cause = NULL;
	if (q->reason == NULL || q->reason[0] == '\0')
		return consult_cause(cause, "say why a clinician is needed");
	if (strlen(q->reason) > 1000)
		return consult_cause(cause, "the reason is over 1000 bytes");
	if (!consult_mode_valid(q->mode))
		return consult_cause(
		    cause, "the mode is video, voice or store-forward");
	if (q->urgency < CONSULT_LOW || q->urgency > CONSULT_HIGH)
		return consult_cause(cause, "unknown urgency");
	if ((err = store_encounter_get(s, q->encounter_id, &e)) != 0)
		return err == ENOENT ? consult_cause(cause, "no such visit")
		                     : err;
	if (e.status == NULL || strcmp(e.status, "open") != 0) {
		store_encounter_clear(&e);
		return consult_cause(cause, "the visit is closed");
	}
	if ((err = store_prepare(s,
	         "SELECT 1 FROM consults WHERE encounter_id = ? AND"
	         " deleted = 0 AND status IN ('requested', 'accepted',"
	         " 'call', 'taken')",
	         &st)) != 0) {
		store_encounter_clear(&e);
		return err;
	}
	store_bind_text(st, 1, e.id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW) {
		store_encounter_clear(&e);
		if (cause != NULL)
			*cause = xstrdup("this visit already waits for a "
			                 "clinician");
		return EEXIST;
	}
	store_new_id(id_out);
	if ((err = store_tx_begin(s)) != 0) {
		store_encounter_clear(&e);
		return err;
	}
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_CONSULT, id_out, hlc);
	model_set_text(&r, REC_CONSULT_PATIENT, e.patient_id);
	model_set_text(&r, REC_CONSULT_ENCOUNTER, e.id);
	model_set_text(&r, REC_CONSULT_REASON, q->reason);
	model_set_uint(&r, REC_CONSULT_URGENCY, (uint64_t)q->urgency);
	model_set_text(&r, REC_CONSULT_MODE, q->mode);
	model_set_text(&r, REC_CONSULT_STATE, "requested");
	model_set_uint(&r, REC_CONSULT_REQUESTED, HLC_MS(hlc));
	if (q->news2 >= 0)
		model_set_uint(&r, REC_CONSULT_NEWS2, (uint64_t)q->news2);
	if ((err = store_row_insert(s, &r, NULL, 0)) == 0 &&
	    (err = store_outbox_put(s, &r)) == 0)
		err = store_audit_append(s, "create", "consult", id_out,
		    consult_urgency_name(q->urgency));
	store_encounter_clear(&e);
	return store_tx_end(s, err);
}

/* The acting user's name, registration number and public signing key
 * (NULL when none); also the prescription signer's (rx.c). */
int
consult_actor(
    struct store *s, char **name, char **regno, uint8_t pub[32], int *has_pub)
{
	sqlite3_stmt *st;
	int rc, err;

	*name = *regno = NULL;
	*has_pub = 0;
	if (s->actor == NULL)
		return EPERM;
	if ((err = store_prepare(s,
	         "SELECT name, licence, signkey FROM users WHERE id = ?",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, s->actor);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*name = store_col_text(st, 0);
		*regno = store_col_text(st, 1);
		if (sqlite3_column_bytes(st, 2) == 32) {
			memcpy(pub, sqlite3_column_blob(st, 2), 32);
			*has_pub = 1;
		}
	} else
		err = rc == SQLITE_DONE ? EPERM : store_err(s, rc, "actor");
	sqlite3_finalize(st);
	return err;
}

/* Write R (a change of consult ID) with its audit entry DETAIL, in the
 * open transaction. */
static int
consult_write(struct store *s, struct model_rec *r, const char *detail)
{
	int err, n = 0;

	if ((err = store_row_update(s, r, NULL, &n)) != 0)
		return err;
	if (n != 1)
		return ENOENT;
	if ((err = store_outbox_put(s, r)) != 0)
		return err;
	return store_audit_append(s, "change", "consult", r->id, detail);
}

/* Is the acting user the consult's clinician, in an open state? */
static int
consult_mine(const struct store *s, const struct store_consult *c)
{
	return s->actor != NULL && c->clinician != NULL &&
	    strcmp(c->clinician, s->actor) == 0 &&
	    (strcmp(c->state, "accepted") == 0 ||
	        strcmp(c->state, "call") == 0);
}

/* Consult ID into C when the acting clinician holds it; else EINVAL with
 * *CAUSE = WHY (C cleared), or the store's error. */
static int
consult_get_mine(struct store *s, const char *id, struct store_consult *c,
    char **cause, const char *why)
{
	int err;

	if (cause != NULL)
		*cause = NULL;
	if ((err = store_consult_get(s, id, c)) != 0)
		return err;
	if (consult_mine(s, c))
		return 0;
	store_consult_clear(c);
	return consult_cause(cause, why);
}

int
store_consult_accept(struct store *s, const char *id, char **cause)
{
	struct store_consult c;
	struct model_rec r;
	char *name = NULL, *regno = NULL;
	uint8_t pub[32];
	uint64_t hlc;
	int err, has_pub;

	if (cause != NULL)
		*cause = NULL;
	if ((err = store_consult_get(s, id, &c)) != 0)
		return err;
	if ((err = consult_actor(s, &name, &regno, pub, &has_pub)) != 0)
		goto out;
	if (strcmp(c.state, "requested") != 0) {
		err = EALREADY;
		if (cause != NULL)
			*cause = xstrdup(strcmp(c.state, "taken") == 0
			        ? "another clinician accepted this consult first"
			        : "this consult is no longer waiting");
		goto out;
	}
	if (c.handed_to != NULL && c.handed_to[0] != '\0' &&
	    strcmp(c.handed_to, s->actor) != 0) {
		err = EALREADY;
		if (cause != NULL)
			*cause = xstrdup(
			    "this consult was handed to another clinician");
		goto out;
	}
	/* issue 14: the held licence snapshot blocks what it refuses */
	if ((err = store_licence_gate(s, regno, LIC_ACT_CONSULT, c.id,
	         (int64_t)HLC_MS(store_hlc_now(s)), NULL, cause)) != 0)
		goto out;
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_CONSULT, c.id, hlc);
	model_set_text(&r, REC_CONSULT_STATE, "accepted");
	model_set_text(&r, REC_CONSULT_CLINICIAN, s->actor);
	model_set_text(&r, REC_CONSULT_CLINICIAN_NAME, name);
	if (regno != NULL)
		model_set_text(&r, REC_CONSULT_REGNO, regno);
	model_set_uint(&r, REC_CONSULT_ACCEPTED, HLC_MS(hlc));
	err = store_tx_end(s, consult_write(s, &r, "accepted"));
out:
	free(name);
	free(regno);
	store_consult_clear(&c);
	return err;
}

int
store_consult_step(struct store *s, const char *id, const char *state,
    const char *why, const char *handed_to, char **cause)
{
	struct store_consult c;
	struct model_rec r;
	const char *bad = NULL;
	uint64_t hlc;
	int err, mine;

	if (cause != NULL)
		*cause = NULL;
	if ((err = store_consult_get(s, id, &c)) != 0)
		return err;
	mine = consult_mine(s, &c);
	if (strcmp(state, "call") == 0 || strcmp(state, "failed") == 0 ||
	    strcmp(state, "requested") == 0) {
		if (!mine)
			bad = "only the clinician who accepted it may do that";
	} else if (strcmp(state, "cancelled") == 0) {
		if (strcmp(c.state, "requested") != 0 &&
		    strcmp(c.state, "accepted") != 0 &&
		    strcmp(c.state, "call") != 0)
			bad = "only an open consult can be cancelled";
	} else if (strcmp(state, "closed") == 0) {
		if (strcmp(c.state, "signed") != 0)
			bad = "a consult is closed once its note is signed";
	} else
		bad = "unknown step";
	if (bad == NULL &&
	    (strcmp(state, "cancelled") == 0 || strcmp(state, "failed") == 0) &&
	    (why == NULL || why[0] == '\0'))
		bad = "say why";
	if (bad != NULL) {
		err = EINVAL;
		if (cause != NULL)
			*cause = xstrdup(bad);
		goto out;
	}
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_CONSULT, c.id, hlc);
	model_set_text(&r, REC_CONSULT_STATE, state);
	if (why != NULL && why[0] != '\0')
		model_set_text(&r, REC_CONSULT_END_REASON, why);
	if (strcmp(state, "requested") == 0)
		model_set_text(&r, REC_CONSULT_HANDED_TO,
		    handed_to != NULL ? handed_to : "");
	err = store_tx_end(s, consult_write(s, &r, state));
out:
	store_consult_clear(&c);
	return err;
}

int
store_consult_note(struct store *s, const char *id,
    const struct store_consult_note *n, char **cause)
{
	const char *t[5] = { n->subjective, n->objective, n->assessment,
		n->plan, n->advice };
	static const uint64_t k[5] = { REC_CONSULT_SUBJECTIVE,
		REC_CONSULT_OBJECTIVE, REC_CONSULT_ASSESSMENT, REC_CONSULT_PLAN,
		REC_CONSULT_ADVICE };
	struct store_consult c;
	struct model_rec r;
	size_t i;
	int err;

	if ((err = consult_get_mine(s, id, &c, cause,
	         "only the clinician who accepted it writes its note, "
	         "before signing")) != 0)
		return err;
	for (i = 0; i < 5; i++)
		if (t[i] != NULL && strlen(t[i]) > 4000) {
			err = EINVAL;
			if (cause != NULL)
				*cause = xstrdup("a part of the note is over "
				                 "4000 bytes");
			goto out;
		}
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	store_rec_init(s, &r, REC_CONSULT, c.id, store_hlc_now(s));
	for (i = 0; i < 5; i++)
		if (t[i] != NULL)
			model_set_text(&r, k[i], t[i]);
	err = store_tx_end(s, consult_write(s, &r, "note"));
out:
	store_consult_clear(&c);
	return err;
}

/* The acting clinician's private signing key (also rx.c's). */
int
consult_priv(struct store *s, uint8_t priv[32])
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT priv FROM user_signing WHERE user_id = ?", &st)) != 0)
		return err;
	store_bind_text(st, 1, s->actor);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32)
		memcpy(priv, sqlite3_column_blob(st, 0), 32);
	else
		err = rc == SQLITE_ROW || rc == SQLITE_DONE
		    ? ENOKEY
		    : store_err(s, rc, "signing key");
	sqlite3_finalize(st);
	return err;
}

/* The signed part of consult C's note (model/consult.h), signed by
 * CLINICIAN with REGNO at SIGNED_MS: the same bytes for signing and for
 * checking. */
static void
note_of(const struct store_consult *c, const char *clinician, const char *regno,
    uint64_t signed_ms, struct consult_note *n)
{
	memset(n, 0, sizeof(*n));
	n->consult_id = c->id;
	n->clinician = clinician;
	n->regno = regno;
	n->subjective = c->subjective;
	n->objective = c->objective;
	n->assessment = c->assessment;
	n->plan = c->plan;
	n->signed_ms = signed_ms;
}

int
store_consult_sign(struct store *s, const char *id, char **cause)
{
	struct store_consult c;
	struct consult_note note;
	struct model_rec r;
	char *name = NULL, *regno = NULL;
	uint8_t pub[32], priv[32], sig[64], *msg = NULL;
	size_t len;
	uint64_t hlc;
	int err, has_pub;

	if ((err = consult_get_mine(s, id, &c, cause,
	         "only the clinician who accepted it signs it")) != 0)
		return err;
	if ((c.assessment == NULL || c.assessment[0] == '\0') &&
	    (c.plan == NULL || c.plan[0] == '\0')) {
		err = EINVAL;
		if (cause != NULL)
			*cause = xstrdup("write the assessment or the plan "
			                 "before signing");
		goto out;
	}
	if ((err = consult_actor(s, &name, &regno, pub, &has_pub)) != 0)
		goto out;
	if (!has_pub || (err = consult_priv(s, priv)) != 0) {
		err = ENOKEY;
		if (cause != NULL)
			*cause = xstrdup("this clinician has no signing key "
			                 "here (kiosk consult key)");
		goto out;
	}
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	hlc = store_hlc_now(s);
	note_of(&c, s->actor, regno, HLC_MS(hlc), &note);
	if ((err = consult_sig_bytes(&note, &msg, &len)) == 0 &&
	    (err = crypto_ed25519_sign(priv, msg, len, sig)) == 0) {
		store_rec_init(s, &r, REC_CONSULT, c.id, hlc);
		model_set_text(&r, REC_CONSULT_STATE, "signed");
		model_set_uint(&r, REC_CONSULT_SIGNED, note.signed_ms);
		model_set_bytes(&r, REC_CONSULT_SIG, sig, sizeof(sig));
		model_set_bytes(&r, REC_CONSULT_SIGNKEY, pub, sizeof(pub));
		model_set_text(&r, REC_CONSULT_REGNO, regno ? regno : "");
		/* the signed text goes with the signature, whole, and its
		 * signer: the server checks the signature (policy.c) */
		model_set_text(&r, REC_CONSULT_CLINICIAN, s->actor);
		model_set_text(&r, REC_CONSULT_SUBJECTIVE,
		    c.subjective ? c.subjective : "");
		model_set_text(
		    &r, REC_CONSULT_OBJECTIVE, c.objective ? c.objective : "");
		model_set_text(&r, REC_CONSULT_ASSESSMENT,
		    c.assessment ? c.assessment : "");
		model_set_text(&r, REC_CONSULT_PLAN, c.plan ? c.plan : "");
		err = consult_write(s, &r, "signed");
	}
	err = store_tx_end(s, err);
	/* issue 14: a note is never refused; after a lapse it is kept
	 * flagged licence_lapsed (licstore.h) */
	if (err == 0)
		(void)store_licence_gate(s, regno, LIC_ACT_NOTE, c.id,
		    (int64_t)note.signed_ms, NULL, NULL);
out:
	explicit_bzero(priv, sizeof(priv));
	free(msg);
	free(name);
	free(regno);
	store_consult_clear(&c);
	return err;
}

int
store_consult_verify(
    struct store *s, const struct store_consult *c, const char **why)
{
	struct consult_note note;
	sqlite3_stmt *st;
	uint8_t *msg = NULL;
	size_t len;
	int err, rc;

	*why = NULL;
	if (!c->has_sig || c->signed_ms == 0) {
		*why = "not signed";
		return ENOENT;
	}
	if (!c->has_signkey || c->clinician == NULL) {
		*why = "the signature has no key";
		return EBADMSG;
	}
	note_of(c, c->clinician, c->regno, c->signed_ms, &note);
	if ((err = consult_sig_bytes(&note, &msg, &len)) != 0)
		return err;
	rc = crypto_ed25519_verify(c->signkey, msg, len, c->sig);
	free(msg);
	if (rc != 0) {
		*why = "the note does not match its signature";
		return EBADMSG;
	}
	/* The key must be the clinician's, when this node knows them. */
	if ((err = store_prepare(
	         s, "SELECT signkey FROM users WHERE id = ?", &st)) != 0)
		return err;
	store_bind_text(st, 1, c->clinician);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
	    memcmp(sqlite3_column_blob(st, 0), c->signkey, 32) != 0) {
		*why = "signed with a key that is not the clinician's";
		err = EBADMSG;
	}
	sqlite3_finalize(st);
	return err;
}

int
store_consult_seen(struct store *s, const char *id)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "UPDATE consults SET seen_ms = ?2 WHERE id = ?1"
	         " AND seen_ms IS NULL",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)HLC_MS(store_hlc_now(s)));
	err = store_step_done(s, st, "consult seen");
	sqlite3_finalize(st);
	return err;
}

int
store_consult_advice(struct store *s, const char *id, char **text)
{
	struct store_consult c;
	int err;

	*text = NULL;
	if ((err = store_consult_get(s, id, &c)) != 0)
		return err;
	*text = c.advice;
	c.advice = NULL;
	store_consult_clear(&c);
	return 0;
}

/* A consult change this node pushed was refused because another hub
 * took the consult: show it as taken until the winner's change arrives
 * (local only, never synced). */
int
store_consult_taken(struct store *s, const char *id)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "UPDATE consults SET status = 'taken' WHERE id = ?1"
	         " AND status IN ('accepted', 'call')",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	err = store_step_done(s, st, "consult taken");
	sqlite3_finalize(st);
	return err;
}

int
store_user_signkey(struct store *s, const char *user_id, const char *regno)
{
	struct model_rec r;
	sqlite3_stmt *st;
	uint8_t priv[32], pub[32];
	int err, rc, have, n = 0;

	if (regno != NULL && strlen(regno) > 64)
		return EINVAL;
	if ((err = store_prepare(
	         s, "SELECT 1 FROM user_signing WHERE user_id = ?", &st)) != 0)
		return err;
	store_bind_text(st, 1, user_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(s, rc, "signing key");
	have = rc == SQLITE_ROW;
	if (!have && crypto_ed25519_keygen(priv, pub) != 0)
		return EIO;
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	store_rec_init(s, &r, REC_USER, user_id, store_hlc_now(s));
	if (!have) {
		model_set_bytes(&r, REC_USER_SIGNKEY, pub, sizeof(pub));
		if ((err = store_prepare(s,
		         "INSERT INTO user_signing(user_id, priv)"
		         " VALUES(?, ?)",
		         &st)) != 0)
			goto tx;
		store_bind_text(st, 1, user_id);
		sqlite3_bind_blob(st, 2, priv, 32, SQLITE_STATIC);
		err = store_step_done(s, st, "signing key");
		sqlite3_finalize(st);
		if (err != 0)
			goto tx;
	}
	if (regno != NULL)
		model_set_text(&r, REC_USER_REGNO, regno);
	if ((err = store_row_update(s, &r, NULL, &n)) == 0 && n != 1)
		err = ENOENT;
	if (err == 0 && (err = store_outbox_put(s, &r)) == 0)
		err = store_audit_append(s, "change", "user", user_id,
		    have ? "registration number" : "signing key made");
tx:
	err = store_tx_end(s, err);
out:
	explicit_bzero(priv, sizeof(priv));
	return err;
}

/* Rows of SQL (text, ms) for PATIENT into R, at most STORE_CHART_ROWS. */
static int
chart_rows(struct store *s, const char *sql, const char *patient,
    struct store_chart_row *r, int *n)
{
	sqlite3_stmt *st;
	int rc, err;

	*n = 0;
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, patient);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < STORE_CHART_ROWS) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		snprintf(r[*n].text, sizeof(r[*n].text), "%s",
		    t ? (const char *)t : "");
		r[*n].ms = (uint64_t)sqlite3_column_int64(st, 1);
		t = sqlite3_column_text(st, 2);
		snprintf(r[*n].tag, sizeof(r[*n].tag), "%s",
		    t ? (const char *)t : "");
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
	    ? 0
	    : store_err(s, rc, "chart");
}

int
store_consult_chart(
    struct store *s, const char *patient_id, struct store_chart *c)
{
	sqlite3_stmt *st;
	struct store_chart_vital *v = NULL;
	int rc, err;

	memset(c, 0, sizeof(*c));
	if ((err = store_prepare(s,
	         "SELECT loinc, value, coalesce(unit, ''), recorded_ms"
	         " FROM observations WHERE patient_id = ? AND deleted = 0"
	         " AND value IS NOT NULL ORDER BY loinc, recorded_ms DESC",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, patient_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *loinc = (const char *)sqlite3_column_text(st, 0);

		if (loinc == NULL)
			continue;
		if (v == NULL || strcmp(v->loinc, loinc) != 0) {
			if (c->nvitals == STORE_CHART_VITALS)
				break;
			v = &c->vitals[c->nvitals++];
			snprintf(v->loinc, sizeof(v->loinc), "%s", loinc);
			snprintf(v->unit, sizeof(v->unit), "%s",
			    (const char *)sqlite3_column_text(st, 2));
		}
		if (v->n < STORE_CHART_TREND) {
			v->value[v->n] = sqlite3_column_double(st, 1);
			v->ms[v->n++] = (uint64_t)sqlite3_column_int64(st, 3);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(s, rc, "chart vitals");
	if ((err = chart_rows(s,
	         "SELECT coalesce(reason, ''), started_ms, status"
	         " FROM encounters WHERE patient_id = ?"
	         " AND deleted = 0 ORDER BY started_ms DESC",
	         patient_id, c->visits, &c->nvisits)) != 0 ||
	    (err = chart_rows(s,
	         "SELECT kind || coalesce(' ' || score, '') ||"
	         " coalesce(': ' || detail, ''), raised_ms,"
	         " CASE WHEN acked_ms IS NULL THEN 'not acknowledged'"
	         " ELSE '' END FROM alerts WHERE patient_id = ?"
	         " AND deleted = 0 ORDER BY raised_ms DESC",
	         patient_id, c->alerts, &c->nalerts)) != 0 ||
	    (err = chart_rows(s,
	         "SELECT form_id || coalesce(' ' || form_version, ''),"
	         " created_ms FROM form_submissions WHERE patient_id = ?"
	         " AND deleted = 0 ORDER BY created_ms DESC",
	         patient_id, c->forms, &c->nforms)) != 0)
		return err;
	return chart_rows(s,
	    "SELECT coalesce(a.mime, '?'), a.created_ms, a.size"
	    " FROM attachments a WHERE a.deleted = 0 AND"
	    " (a.owner_id = ?1 OR a.owner_id IN (SELECT id FROM encounters"
	    " WHERE patient_id = ?1)) ORDER BY a.created_ms DESC",
	    patient_id, c->attach, &c->nattach);
}
