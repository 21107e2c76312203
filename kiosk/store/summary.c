/*
 * What the patient screen shows before a visit starts (kiosk/tui/
 * screen_patient.c): the patient's visits, newest first, the vital signs
 * of the newest visit that took any, open referrals and the form drafts
 * left for them.  Read-only, audited as one view of the patient.  The
 * values stay in memory and on the screen; nothing is logged.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "store_int.h"
#include "str.h"

static void
col_str(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_lcpy(out, t != NULL ? (const char *)t : "", len);
}

static int
summary_visits(struct store *s, const char *pid, struct store_summary *sum)
{
	static const char sql[] =
	    "SELECT started_ms, status, reason, (SELECT COUNT(*) FROM"
	    " observations o WHERE o.encounter_id = e.id AND o.deleted = 0),"
	    " (SELECT COUNT(*) FROM encounters WHERE patient_id = ?1"
	    "  AND deleted = 0) FROM encounters e"
	    " WHERE patient_id = ?1 AND deleted = 0"
	    " ORDER BY started_ms DESC LIMIT ?2";
	struct store_summary_visit *v;
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, pid);
	sqlite3_bind_int(st, 2, STORE_SUMMARY_VISITS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = &sum->visits[sum->nvisits++];
		v->started_ms = (uint64_t)sqlite3_column_int64(st, 0);
		col_str(st, 1, v->status, sizeof(v->status));
		col_str(st, 2, v->reason, sizeof(v->reason));
		v->nobs = (unsigned)sqlite3_column_int(st, 3);
		sum->total_visits = (unsigned)sqlite3_column_int(st, 4);
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "summary visits");
	sqlite3_finalize(st);
	return err;
}

static int
summary_vitals(struct store *s, const char *pid, struct store_summary *sum)
{
	/* in order: a later value of a code replaces an earlier one */
	static const char sql[] =
	    "SELECT loinc, value, value_text, recorded_ms FROM observations"
	    " WHERE deleted = 0 AND encounter_id = (SELECT encounter_id FROM"
	    "  observations WHERE patient_id = ?1 AND deleted = 0"
	    "  ORDER BY recorded_ms DESC LIMIT 1)"
	    " ORDER BY recorded_ms, rowid";
	struct store_summary_vital *v;
	const unsigned char *code;
	sqlite3_stmt *st;
	size_t i;
	int rc, err;

	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, pid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((code = sqlite3_column_text(st, 0)) == NULL)
			continue;
		for (i = 0; i < sum->nvitals; i++)
			if (strcmp(sum->vitals[i].loinc, (const char *)code) ==
			    0)
				break;
		if (i == sum->nvitals) {
			if (i == STORE_SUMMARY_VITALS)
				continue;
			sum->nvitals++;
		}
		v = &sum->vitals[i];
		str_lcpy(v->loinc, (const char *)code, sizeof(v->loinc));
		v->value = sqlite3_column_double(st, 1);
		col_str(st, 2, v->text, sizeof(v->text));
		sum->vitals_ms = (uint64_t)sqlite3_column_int64(st, 3);
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "summary vitals");
	sqlite3_finalize(st);
	return err;
}

static int
summary_count(struct store *s, const char *sql, const char *pid, unsigned *out)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, pid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = (unsigned)sqlite3_column_int(st, 0);
	else
		err = store_err(s, rc, "summary count");
	sqlite3_finalize(st);
	return err;
}

static int
summary_drafts(struct store *s, const char *pid, struct store_summary *sum)
{
	static const char sql[] =
	    "SELECT form_id, updated_ms FROM form_drafts WHERE patient_id = ?"
	    " ORDER BY updated_ms DESC LIMIT ?";
	struct store_summary_draft *d;
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, pid);
	sqlite3_bind_int(st, 2, STORE_SUMMARY_DRAFTS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d = &sum->drafts[sum->ndrafts++];
		col_str(st, 0, d->form_id, sizeof(d->form_id));
		d->updated_ms = (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "summary drafts");
	sqlite3_finalize(st);
	return err;
}

int
store_patient_summary(
    struct store *s, const char *patient_id, struct store_summary *sum)
{
	int err;

	memset(sum, 0, sizeof(*sum));
	if ((err = summary_visits(s, patient_id, sum)) == 0)
		err = summary_vitals(s, patient_id, sum);
	if (err == 0)
		err = summary_count(s,
		    "SELECT COUNT(*) FROM referral_facts r WHERE"
		    " r.patient_id = ? AND r.kind = 'request' AND NOT EXISTS"
		    " (SELECT 1 FROM referral_facts t WHERE"
		    " t.referral_id = r.id AND t.kind = 'step' AND t.state IN"
		    " ('rejected', 'completed', 'failed', 'cancelled',"
		    " 'follow-up'))",
		    patient_id, &sum->open_referrals);
	if (err == 0)
		err = summary_drafts(s, patient_id, sum);
	if (err == 0)
		err = store_audit(s, "view", "patient", patient_id, "summary");
	if (err != 0)
		memset(sum, 0, sizeof(*sum));
	return err;
}
