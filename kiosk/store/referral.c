/*
 * Referrals on the kiosk (issue 14; model/referral.h): the request and
 * step facts in `referral_facts`, each written with its change in the
 * outbox and an audit entry in one transaction, and a referral's state
 * folded from its steps on every read (the fold is model/referral.c's,
 * the same the server's accounting uses).  Append-only: a trigger
 * refuses updates, so what a facility recorded stays as recorded.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "compat.h"
#include "hlc.h"
#include "licstore.h"
#include "log.h"
#include "model/referral.h"
#include "store_int.h"
#include "xmalloc.h"

static int
ref_cause(char **cause, const char *text, int err)
{
	if (cause != NULL)
		*cause = xstrdup(text);
	return err;
}

/*
 * The licence gate of a clinician's referral: the held licence snapshot
 * (licstore.h) asked for LIC_ACT_REFER by USER_ID's registration number at
 * AT_MS.  0 when it may go ahead (also with no snapshot held, or one that
 * lists nobody: the server's licensing is then off), else EACCES with
 * *CAUSE in words.  Not re-checked by the server yet: a referral carries
 * no registration number.
 */
static int
referral_licence_gate(
    struct store *s, const char *user_id, uint64_t at_ms, char **cause)
{
	sqlite3_stmt *st;
	char *regno = NULL;
	int err;

	if ((err = store_prepare(
	         s, "SELECT licence FROM users WHERE id = ?", &st)) != 0)
		return err;
	store_bind_text(st, 1, user_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		regno = store_col_text(st, 0);
	sqlite3_finalize(st);
	err = store_licence_gate(
	    s, regno, LIC_ACT_REFER, NULL, (int64_t)at_ms, NULL, cause);
	free(regno);
	return err;
}

/* The acting user's role (enum store_role), 0 when none. */
static int
ref_actor_role(struct store *s)
{
	sqlite3_stmt *st;
	int role = 0;

	if (s->actor == NULL ||
	    store_prepare(s, "SELECT role FROM users WHERE id = ?", &st) != 0)
		return 0;
	store_bind_text(st, 1, s->actor);
	if (sqlite3_step(st) == SQLITE_ROW)
		role = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return role;
}

int
store_referral_new(struct store *s, const struct store_referral_req *q,
    char id_out[UUID_STRLEN + 1], char **cause)
{
	struct model_rec r;
	uint64_t hlc;
	int role, err;

	if (cause != NULL)
		*cause = NULL;
	role = ref_actor_role(s);
	if (role != STORE_ROLE_CHW && role != STORE_ROLE_CLINICIAN)
		return ref_cause(cause,
		    "only a health worker or a clinician refers a patient",
		    EPERM);
	if (q->patient_id == NULL || q->patient_id[0] == '\0')
		return ref_cause(cause, "choose the patient first", EINVAL);
	if (q->from == NULL || q->from[0] == '\0')
		return ref_cause(cause,
		    "this kiosk does not know its facility: enrol it again "
		    "with the sync server",
		    EINVAL);
	if (q->target == NULL || q->target[0] == '\0' || strlen(q->target) > 63)
		return ref_cause(cause, "type the facility's code", EINVAL);
	if (strcmp(q->target, q->from) == 0)
		return ref_cause(
		    cause, "refer to another facility than this one", EINVAL);
	if (q->reason == NULL || q->reason[0] == '\0')
		return ref_cause(
		    cause, "say why the patient is referred", EINVAL);
	if (strlen(q->reason) > 1000)
		return ref_cause(
		    cause, "the reason is over 1000 bytes", EINVAL);
	if (!referral_urgency_valid(q->urgency))
		return ref_cause(cause,
		    "the urgency is routine, urgent, asap or stat", EINVAL);
	hlc = store_hlc_now(s);
	if (q->due_ms <= HLC_MS(hlc))
		return ref_cause(cause, "the due date is in the past", EINVAL);
	if (role == STORE_ROLE_CLINICIAN) {
		if (q->consult_id == NULL || q->consult_id[0] == '\0')
			return ref_cause(
			    cause, "a clinician refers from a consult", EINVAL);
		if ((err = referral_licence_gate(
		         s, s->actor, HLC_MS(hlc), cause)) != 0)
			return err;
	}
	store_new_id(id_out);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_REFERRAL, id_out, hlc);
	model_set_text(&r, REC_REF_KIND, "request");
	model_set_text(&r, REC_REF_REFERRAL, id_out);
	model_set_text(&r, REC_REF_PATIENT, q->patient_id);
	model_set_text(&r, REC_REF_FROM, q->from);
	model_set_text(&r, REC_REF_TARGET, q->target);
	model_set_text(&r, REC_REF_REASON, q->reason);
	model_set_text(&r, REC_REF_URGENCY, q->urgency);
	model_set_uint(&r, REC_REF_DUE, q->due_ms);
	if (s->actor != NULL)
		model_set_text(&r, REC_REF_REQUESTER, s->actor);
	model_set_text(
	    &r, REC_REF_REQ_ROLE, role == STORE_ROLE_CHW ? "chw" : "clinician");
	if (q->consult_id != NULL && q->consult_id[0] != '\0')
		model_set_text(&r, REC_REF_CONSULT, q->consult_id);
	if (q->encounter_id != NULL && q->encounter_id[0] != '\0')
		model_set_text(&r, REC_REF_ENCOUNTER, q->encounter_id);
	model_set_uint(&r, REC_REF_AT, HLC_MS(hlc));
	if ((err = store_row_insert(s, &r, NULL, 0)) == 0 &&
	    (err = store_outbox_put(s, &r)) == 0)
		err = store_audit_append(
		    s, "create", "referral", id_out, q->urgency);
	return store_tx_end(s, err);
}

/* --- reading: the request, its steps and their fold --- */

static const char ref_request_sql[] =
    "SELECT f.id, f.patient_id, coalesce(p.given || ' ' || p.family, ''),"
    " f.from_facility, f.target_facility, f.reason, f.urgency,"
    " f.requester_role, f.at_ms, f.due_ms FROM referral_facts f"
    " LEFT JOIN patients p ON p.id = f.patient_id"
    " WHERE f.kind = 'request'";

static char *
col_or_empty(sqlite3_stmt *st, int i)
{
	char *t = store_col_text(st, i);

	return t != NULL ? t : xstrdup("");
}

static void
ref_from_row(sqlite3_stmt *st, struct store_referral *r)
{
	char *t;

	memset(r, 0, sizeof(*r));
	t = col_or_empty(st, 0);
	snprintf(r->id, sizeof(r->id), "%s", t);
	free(t);
	t = col_or_empty(st, 1);
	snprintf(r->patient_id, sizeof(r->patient_id), "%s", t);
	free(t);
	r->patient_name = col_or_empty(st, 2);
	r->from = col_or_empty(st, 3);
	r->target = col_or_empty(st, 4);
	r->reason = col_or_empty(st, 5);
	r->urgency = col_or_empty(st, 6);
	r->requester_role = col_or_empty(st, 7);
	r->requested_ms = (uint64_t)sqlite3_column_int64(st, 8);
	r->due_ms = (uint64_t)sqlite3_column_int64(st, 9);
	r->updated_ms = r->requested_ms;
	r->state_reason = xstrdup("");
	r->outcome = xstrdup("");
}

/* Fold R's steps into its state. */
static int
ref_fold(struct store *s, struct store_referral *r, uint64_t now_ms)
{
	struct referral_step steps[64];
	struct referral_fold fo;
	sqlite3_stmt *st;
	char *state;
	size_t n = 0;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT hlc, state, outcome, at_ms, state_reason"
	         " FROM referral_facts WHERE referral_id = ?"
	         " AND kind = 'step' AND from_facility = ?"
	         " AND target_facility = ? ORDER BY hlc LIMIT 64",
	         &st)) != 0)
		return err;
	/* a step that names other facilities than its request is not one
	 * of its steps (the server checked its side against those names) */
	store_bind_text(st, 1, r->id);
	store_bind_text(st, 2, r->from);
	store_bind_text(st, 3, r->target);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		state = col_or_empty(st, 1);
		steps[n].hlc = (uint64_t)sqlite3_column_int64(st, 0);
		steps[n].state = referral_state_from_name(state);
		free(state);
		free(r->outcome);
		r->outcome = col_or_empty(st, 2);
		steps[n].outcome_state = steps[n].state == REF_FOLLOW_UP
		    ? referral_outcome_state(r->outcome)
		    : steps[n].state;
		steps[n].at_ms = (uint64_t)sqlite3_column_int64(st, 3);
		free(r->state_reason);
		r->state_reason = col_or_empty(st, 4);
		r->updated_ms = steps[n].at_ms;
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_err(s, rc, "referral steps");
	referral_fold(steps, n, &fo);
	r->nsteps = (int)n;
	r->state = fo.state;
	r->self_reported = fo.self_reported;
	r->seen_ms = fo.seen_ms;
	r->followup_due = referral_followup_due(&fo, r->due_ms, now_ms);
	return 0;
}

int
store_referral_get(struct store *s, const char *id, uint64_t now_ms,
    struct store_referral *out)
{
	sqlite3_stmt *st;
	char sql[sizeof(ref_request_sql) + 32];
	int rc, err;

	memset(out, 0, sizeof(*out));
	snprintf(sql, sizeof(sql), "%s AND f.id = ?", ref_request_sql);
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		ref_from_row(st, out);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? ENOENT
		                         : store_err(s, rc, "referral");
	if ((err = ref_fold(s, out, now_ms)) != 0)
		store_referral_clear(out);
	return err;
}

static int
ref_keep(enum store_referral_list which, const struct store_referral *r)
{
	switch (which) {
	case STORE_REF_INCOMING:
		return !referral_state_terminal(r->state);
	case STORE_REF_FOLLOWUP:
		return r->followup_due;
	case STORE_REF_NEW:
		return r->state == REF_REQUESTED || r->state == REF_RECEIVED;
	default:
		return 1;
	}
}

/* A request of a pair of facilities with no "received" step of that
 * pair yet (store_referral_receive folds only those). */
static const char ref_unreceived_sql[] =
    " AND NOT EXISTS (SELECT 1 FROM referral_facts g"
    " WHERE g.referral_id = f.id AND g.kind = 'step'"
    " AND g.state = 'received' AND g.from_facility = f.from_facility"
    " AND g.target_facility = f.target_facility)";

/* store_referral_list, with WHERE ("" or ref_unreceived_sql) added. */
static int
ref_list(struct store *s, enum store_referral_list which, const char *facility,
    uint64_t now_ms, const char *where, struct store_referral **out, size_t *n)
{
	struct store_referral *v = NULL, r;
	sqlite3_stmt *st;
	char sql[sizeof(ref_request_sql) + sizeof(ref_unreceived_sql) + 96];
	size_t cap = 0;
	int rc, err;

	*out = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "%s%s AND f.%s = ? ORDER BY f.due_ms, f.id",
	    ref_request_sql, where,
	    which == STORE_REF_INCOMING || which == STORE_REF_NEW
	        ? "target_facility"
	        : "from_facility");
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, facility != NULL ? facility : "");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ref_from_row(st, &r);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = r;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_referral_free_array(v, *n);
		*n = 0;
		return store_err(s, rc, "referrals");
	}
	/* fold each, keep those asked for */
	{
		size_t i, k = 0;

		for (i = 0; i < *n; i++) {
			if (err == 0)
				err = ref_fold(s, &v[i], now_ms);
			if (err == 0 && ref_keep(which, &v[i]))
				v[k++] = v[i];
			else
				store_referral_clear(&v[i]);
		}
		*n = k;
	}
	if (err != 0) {
		store_referral_free_array(v, *n);
		*n = 0;
		return err;
	}
	*out = v;
	return 0;
}

int
store_referral_list(struct store *s, enum store_referral_list which,
    const char *facility, uint64_t now_ms, struct store_referral **out,
    size_t *n)
{
	return ref_list(s, which, facility, now_ms, "", out, n);
}

/* Write a step of R in the open transaction. */
static int
ref_step_write(struct store *s, const struct store_referral *r,
    const char *state, const char *note)
{
	char id[UUID_STRLEN + 1];
	struct model_rec m;
	uint64_t hlc = store_hlc_now(s);
	int err;

	store_new_id(id);
	store_rec_init(s, &m, REC_REFERRAL, id, hlc);
	model_set_text(&m, REC_REF_KIND, "step");
	model_set_text(&m, REC_REF_REFERRAL, r->id);
	model_set_text(&m, REC_REF_PATIENT, r->patient_id);
	model_set_text(&m, REC_REF_FROM, r->from);
	model_set_text(&m, REC_REF_TARGET, r->target);
	model_set_text(&m, REC_REF_STATE, state);
	if (note != NULL && note[0] != '\0')
		model_set_text(&m,
		    strcmp(state, "follow-up") == 0 ? REC_REF_OUTCOME
		                                    : REC_REF_STATE_REASON,
		    note);
	model_set_uint(&m, REC_REF_AT, HLC_MS(hlc));
	if ((err = store_row_insert(s, &m, NULL, 0)) == 0 &&
	    (err = store_outbox_put(s, &m)) == 0)
		err = store_audit_append(
		    s, "referral-step", "referral", r->id, state);
	return err;
}

int
store_referral_step(struct store *s, const char *id, const char *facility,
    const char *state, const char *note, char **cause)
{
	struct store_referral r;
	int next = referral_state_from_name(state), side, err;
	const char *mine;

	if (cause != NULL)
		*cause = NULL;
	if (next <= REF_REQUESTED)
		return ref_cause(cause, "unknown step", EINVAL);
	if (next == REF_FOLLOW_UP && !referral_outcome_valid(note))
		return ref_cause(cause,
		    "the outcome is seen-elsewhere, improved, refused, "
		    "unreachable or died",
		    EINVAL);
	if (next == REF_REJECTED && (note == NULL || note[0] == '\0'))
		return ref_cause(
		    cause, "say why the referral is rejected", EINVAL);
	if (note != NULL && strlen(note) > 500)
		return ref_cause(cause, "the reason is over 500 bytes", EINVAL);
	if ((err = store_referral_get(s, id, clock_wall_ms(), &r)) != 0)
		return err == ENOENT
		    ? ref_cause(cause, "no such referral on this kiosk", err)
		    : err;
	side = referral_state_side(next);
	mine = side == REFERRAL_TARGET ? r.target : r.from;
	if (facility == NULL || strcmp(facility, mine) != 0) {
		store_referral_clear(&r);
		return ref_cause(cause,
		    side == REFERRAL_TARGET
		        ? "only the facility it is referred to records this"
		        : "only the referring facility records this",
		    EPERM);
	}
	if (!referral_step_ok(r.state, next)) {
		char msg[128];

		snprintf(msg, sizeof(msg),
		    "the referral is %s: it cannot be %s",
		    referral_state_name(r.state), state);
		store_referral_clear(&r);
		return ref_cause(cause, msg, EALREADY);
	}
	if ((err = store_tx_begin(s)) == 0)
		err = store_tx_end(s, ref_step_write(s, &r, state, note));
	store_referral_clear(&r);
	return err;
}

int
store_referral_receive(struct store *s, const char *facility, size_t *n)
{
	struct store_referral *v = NULL;
	size_t i, nv = 0;
	int err;

	*n = 0;
	if (facility == NULL || facility[0] == '\0')
		return 0;
	/* only those without a received step are folded: every sync asks,
	 * and a facility's referrals pile up */
	if ((err = ref_list(s, STORE_REF_NEW, facility, 0, ref_unreceived_sql,
	         &v, &nv)) != 0)
		return err;
	for (i = 0; i < nv && err == 0; i++) {
		if (v[i].state != REF_REQUESTED)
			continue;
		if ((err = store_tx_begin(s)) != 0)
			break;
		err =
		    store_tx_end(s, ref_step_write(s, &v[i], "received", NULL));
		if (err == 0)
			(*n)++;
	}
	store_referral_free_array(v, nv);
	return err;
}

int
store_referral_fact_count(struct store *s, const char *fact, int *n)
{
	sqlite3_stmt *st;
	int err;

	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT count(*) FROM referral_facts WHERE id = ?", &st)) != 0)
		return err;
	store_bind_text(st, 1, fact);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

void
store_referral_clear(struct store_referral *r)
{
	free(r->patient_name);
	free(r->from);
	free(r->target);
	free(r->reason);
	free(r->urgency);
	free(r->requester_role);
	free(r->state_reason);
	free(r->outcome);
	memset(r, 0, sizeof(*r));
}

void
store_referral_free_array(struct store_referral *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		store_referral_clear(&v[i]);
	free(v);
}
