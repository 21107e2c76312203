/*
 * The kiosk schema as numbered migrations.  A fresh database runs them all
 * in order; an older one runs those it lacks; either way the result is the
 * same (tests/kiosk/store/test_store.c compares sqlite_master of both).  Each
 * migration runs in one transaction with the bump of user_version.
 *
 * SQLCipher 3.4.1 speaks the SQLite 3.15 dialect: no UPSERT, RETURNING,
 * window functions, JSON1 or FTS5.  Clinical tables refuse DELETE (soft
 * deletes only) and the audit log refuses UPDATE and DELETE.
 */
#define LOG_MODULE "schema"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

/* Syncable clinical tables: each has id, hlc, deleted. */
static const char *const clinical_tables[] = { "nodes", "users", "patients",
	"encounters", "observations", "form_submissions", "consults",
	"prescriptions", "referrals", "appointments", "messages", "emergencies",
	"attachments" };

static const char migration_1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
    "CREATE TABLE nodes(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " name TEXT, role TEXT NOT NULL, region TEXT, facility TEXT,"
    " is_self INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE users(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " name TEXT NOT NULL UNIQUE, role INTEGER NOT NULL CHECK(role IN (1,2,3)),"
    " display_name TEXT, licence TEXT, disabled INTEGER NOT NULL DEFAULT 0,"
    " created_by TEXT, created_ms INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE patients(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " given TEXT NOT NULL, family TEXT NOT NULL, sex TEXT"
    " CHECK(sex IS NULL OR sex IN ('female','male','other','unknown')),"
    " birth_date TEXT, phone TEXT, village TEXT, national_id TEXT,"
    " import_key BLOB UNIQUE, created_by TEXT, created_ms INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE encounters(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT NOT NULL REFERENCES patients(id), reason TEXT,"
    " status TEXT NOT NULL, started_ms INTEGER NOT NULL, ended_ms INTEGER,"
    " created_by TEXT, deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE observations(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " encounter_id TEXT NOT NULL REFERENCES encounters(id),"
    " patient_id TEXT NOT NULL REFERENCES patients(id),"
    " loinc TEXT NOT NULL, value REAL, value_text TEXT, unit TEXT,"
    " panel TEXT, device_id TEXT, provenance BLOB, taken_ms INTEGER,"
    " recorded_ms INTEGER NOT NULL, created_by TEXT,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE form_submissions(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " instance_id TEXT NOT NULL UNIQUE, form_id TEXT NOT NULL,"
    " form_version TEXT, encounter_id TEXT REFERENCES encounters(id),"
    " patient_id TEXT REFERENCES patients(id), xml BLOB NOT NULL,"
    " status TEXT NOT NULL, created_by TEXT, created_ms INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE consults(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT REFERENCES patients(id),"
    " encounter_id TEXT REFERENCES encounters(id), clinician_id TEXT,"
    " mode TEXT, status TEXT NOT NULL, requested_ms INTEGER,"
    " started_ms INTEGER, ended_ms INTEGER, note TEXT, created_by TEXT,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE prescriptions(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT REFERENCES patients(id),"
    " consult_id TEXT REFERENCES consults(id), prescriber_id TEXT,"
    " medication TEXT NOT NULL, dose TEXT, route TEXT, frequency TEXT,"
    " duration TEXT, notes TEXT, created_by TEXT, created_ms INTEGER,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE referrals(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT REFERENCES patients(id),"
    " encounter_id TEXT REFERENCES encounters(id), specialty TEXT,"
    " facility TEXT, urgency TEXT, reason TEXT, status TEXT NOT NULL,"
    " created_by TEXT, created_ms INTEGER,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE appointments(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT REFERENCES patients(id), clinician_id TEXT,"
    " slot_start_ms INTEGER, slot_end_ms INTEGER, status TEXT NOT NULL,"
    " server_state TEXT, created_by TEXT, created_ms INTEGER,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE messages(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " thread TEXT, sender_id TEXT, recipient_id TEXT,"
    " patient_id TEXT REFERENCES patients(id), body TEXT,"
    " sent_ms INTEGER, read_ms INTEGER,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE emergencies(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT REFERENCES patients(id),"
    " encounter_id TEXT REFERENCES encounters(id), kind TEXT, score INTEGER,"
    " detail TEXT, raised_ms INTEGER, status TEXT NOT NULL,"
    " server_state TEXT, created_by TEXT,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE attachments(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " owner_entity TEXT, owner_id TEXT, sha256 BLOB NOT NULL,"
    " size INTEGER NOT NULL, mime TEXT, blob_name TEXT NOT NULL,"
    " created_by TEXT, created_ms INTEGER,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL, actor TEXT, action TEXT NOT NULL, entity TEXT,"
    " entity_id TEXT, detail TEXT, prev_hash BLOB NOT NULL,"
    " hash BLOB NOT NULL);"
    "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, entity INTEGER NOT NULL,"
    " entity_id TEXT NOT NULL, hlc INTEGER NOT NULL, body BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE TABLE sync_state(key TEXT PRIMARY KEY, value BLOB);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox"
    " BEGIN SELECT RAISE(ABORT, 'the outbox is append-only'); END;";

/* v2: drafts, red-flag alerts and the lookup indexes. */
static const char migration_2[] =
    "CREATE TABLE form_drafts(instance_id TEXT PRIMARY KEY,"
    " form_id TEXT NOT NULL, patient_id TEXT, xml BLOB NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE TABLE alerts(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT REFERENCES patients(id),"
    " encounter_id TEXT REFERENCES encounters(id), kind TEXT NOT NULL,"
    " score INTEGER, detail TEXT, raised_ms INTEGER NOT NULL,"
    " acked_ms INTEGER, acked_by TEXT, created_by TEXT,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX patients_family ON patients(family COLLATE NOCASE);"
    "CREATE INDEX patients_phone ON patients(phone);"
    "CREATE INDEX patients_natid ON patients(national_id);"
    "CREATE INDEX encounters_patient ON encounters(patient_id, started_ms);"
    "CREATE INDEX observations_encounter ON observations(encounter_id);"
    "CREATE INDEX observations_patient ON observations(patient_id, loinc);"
    "CREATE INDEX forms_patient ON form_submissions(patient_id);"
    "CREATE INDEX alerts_patient ON alerts(patient_id);"
    "CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts"
    " BEGIN SELECT RAISE(ABORT, 'soft deletes only'); END;";

/* v3: what the sync client needs (kiosk/sync/apply.c): the HLC and origin
 * of each field last merged from the server, and outbox lookup by id. */
static const char migration_3[] =
    "CREATE TABLE sync_field_hlc(entity INTEGER, id TEXT, field INTEGER,"
    " hlc INTEGER, origin INTEGER, PRIMARY KEY(entity, id, field));"
    "CREATE INDEX outbox_entity_id ON outbox(entity_id);";

/* v4: the attachments the sync client has uploaded (kiosk/sync/client.c),
 * which older versions created on the fly, and no second index on
 * outbox(entity_id) (older sync code made one on every pulled page). */
static const char migration_4[] =
    "CREATE TABLE IF NOT EXISTS sync_blobs(id TEXT PRIMARY KEY);"
    "DROP INDEX IF EXISTS sync_outbox_entity;";

/* Concurrent edits kept (issue 9, item 3; kiosk/store/conflict.c): a
 * pulled field value that lost the per-field merge to a different value,
 * with who made each side, until a facility administrator resolves it. */
static const char migration_conflicts[] =
    "CREATE TABLE conflicts(id INTEGER PRIMARY KEY, entity INTEGER NOT NULL,"
    " record_id TEXT NOT NULL, field INTEGER NOT NULL, col TEXT NOT NULL,"
    " lost_body BLOB NOT NULL, lost_hlc INTEGER NOT NULL,"
    " lost_origin INTEGER NOT NULL, lost_by TEXT,"
    " won_hlc INTEGER NOT NULL, won_origin INTEGER NOT NULL,"
    " at_ms INTEGER NOT NULL, resolved_ms INTEGER, resolved_by TEXT,"
    " resolution TEXT);"
    "CREATE INDEX conflicts_open ON conflicts(resolved_ms, id);";

/* Issue 13, consults: the columns of the consult descriptor that v1's
 * table lacks (status and clinician_id are v1's), a clinician's public
 * signing key, their private key (this node only, never synced), the
 * changes the server refused (they win no merge: kiosk/store/pulled.c),
 * and when a clinician's answer was first shown here (home screen). */
static const char migration_consult[] =
    "ALTER TABLE consults ADD COLUMN reason TEXT;"
    "ALTER TABLE consults ADD COLUMN urgency INTEGER;"
    "ALTER TABLE consults ADD COLUMN accepted_ms INTEGER;"
    "ALTER TABLE consults ADD COLUMN subjective TEXT;"
    "ALTER TABLE consults ADD COLUMN objective TEXT;"
    "ALTER TABLE consults ADD COLUMN assessment TEXT;"
    "ALTER TABLE consults ADD COLUMN plan TEXT;"
    "ALTER TABLE consults ADD COLUMN signed_ms INTEGER;"
    "ALTER TABLE consults ADD COLUMN sig BLOB;"
    "ALTER TABLE consults ADD COLUMN end_reason TEXT;"
    "ALTER TABLE consults ADD COLUMN advice TEXT;"
    "ALTER TABLE consults ADD COLUMN handed_to TEXT;"
    "ALTER TABLE consults ADD COLUMN news2 INTEGER;"
    "ALTER TABLE consults ADD COLUMN signkey BLOB;"
    "ALTER TABLE consults ADD COLUMN regno TEXT;"
    "ALTER TABLE consults ADD COLUMN clinician_name TEXT;"
    "ALTER TABLE consults ADD COLUMN seen_ms INTEGER;"
    "CREATE INDEX consults_patient ON consults(patient_id);"
    "CREATE INDEX consults_status ON consults(status, urgency);"
    "ALTER TABLE users ADD COLUMN signkey BLOB;"
    "CREATE TABLE user_signing(user_id TEXT PRIMARY KEY,"
    " priv BLOB NOT NULL);"
    "ALTER TABLE outbox ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;";

/* Patient merges (issue 10, item 8; kiosk/store/merge.c): the synced
 * merge records (entity 15; no reference to patients, since a merge may
 * arrive before the patients it names), and the pairs check-in or
 * registration thought one person, kept on this kiosk until staff say
 * "same" (a merge) or "different". */
static const char migration_merge[] =
    "CREATE TABLE merges(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " survivor_id TEXT NOT NULL, duplicate_id TEXT NOT NULL, reason TEXT,"
    " created_by TEXT, created_ms INTEGER,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX merges_duplicate ON merges(duplicate_id);"
    "CREATE TABLE dup_suspects(id INTEGER PRIMARY KEY,"
    " new_id TEXT NOT NULL, old_id TEXT NOT NULL, why TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL, resolved_ms INTEGER, resolution TEXT);"
    "CREATE TRIGGER merges_no_delete BEFORE DELETE ON merges BEGIN"
    " SELECT RAISE(ABORT, 'soft deletes only'); END;";

/* The language each user's screens are in (issue 10, item 10; NULL:
 * English), switched to at unlock. */
static const char migration_user_lang[] =
    "ALTER TABLE users ADD COLUMN lang TEXT;";

/* Consult calls' evidence (issue 13; REC_CALL, kiosk/call/call.h): what
 * this node saw of each call, an append-only fact synced for billing. */
static const char migration_call[] =
    "CREATE TABLE calls(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " consult_id TEXT, sip_call_id TEXT, peer TEXT, outgoing INTEGER,"
    " ringing_ms INTEGER, ringing_mono INTEGER, established_ms INTEGER,"
    " established_mono INTEGER, media_rx_ms INTEGER, media_rx_mono INTEGER,"
    " media_tx_ms INTEGER, media_tx_mono INTEGER, secure_ms INTEGER,"
    " secure_mono INTEGER, ended_ms INTEGER, ended_mono INTEGER,"
    " end_kind TEXT, end_reason TEXT, connected_ms INTEGER,"
    " created_by TEXT, created_ms INTEGER NOT NULL);"
    "CREATE INDEX calls_consult ON calls(consult_id);"
    "CREATE TRIGGER calls_no_delete BEFORE DELETE ON calls"
    " BEGIN SELECT RAISE(ABORT, 'the call evidence is append-only'); END;"
    "CREATE TRIGGER calls_no_update BEFORE UPDATE ON calls"
    " BEGIN SELECT RAISE(ABORT, 'the call evidence is append-only'); END;";

/* Licences (issue 14, kiosk/store/licence.c): the last good signed
 * snapshot of the region (one row), and the acts flagged on this kiosk
 * (a note signed after a lapse, an act judged on a stale snapshot). */
static const char migration_licence[] =
    "CREATE TABLE licence_snapshot(id INTEGER PRIMARY KEY CHECK(id = 1),"
    " region TEXT NOT NULL, version INTEGER NOT NULL,"
    " issued_ms INTEGER NOT NULL, not_after_ms INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL, server_pub BLOB NOT NULL,"
    " envelope BLOB NOT NULL);"
    "CREATE TABLE licence_flags(id INTEGER PRIMARY KEY,"
    " consult_id TEXT, regno TEXT NOT NULL, act TEXT NOT NULL,"
    " flag TEXT NOT NULL, state TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    " snapshot_version INTEGER NOT NULL DEFAULT 0);";

/* Prescriptions (issue 14; kiosk/store/rx.c): the synced signed facts
 * (entity 8: orders, cancels and stops, append-only; no reference to
 * patients, since one may arrive first), and what this kiosk
 * derives: an order's status, when a cancel or stop was applied (NULL:
 * pending, its order not here yet), when Home last showed it.  Patients
 * gain their documented allergies (REC_PAT_ALLERGIES). */
static const char migration_rx[] =
    "DROP TABLE prescriptions;" /* migration 1's placeholder, never used */
    "CREATE TABLE prescriptions(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT, encounter_id TEXT, consult_id TEXT,"
    " action TEXT NOT NULL, order_id TEXT, region TEXT, code TEXT, inn TEXT,"
    " strength TEXT, form TEXT, route TEXT, dose REAL, unit TEXT,"
    " per_day INTEGER, days INTEGER, note TEXT, override TEXT,"
    " age_days INTEGER, weight_kg REAL, allergies TEXT, mode TEXT,"
    " first_consult INTEGER, clinician_id TEXT, clinician_name TEXT,"
    " regno TEXT, signed_ms INTEGER, signkey BLOB, sig BLOB,"
    " created_by TEXT, created_ms INTEGER NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'active', applied_ms INTEGER,"
    " seen_ms INTEGER, deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX prescriptions_patient ON prescriptions(patient_id);"
    "CREATE INDEX prescriptions_order ON prescriptions(order_id);"
    "CREATE TRIGGER prescriptions_no_delete BEFORE DELETE ON prescriptions"
    " BEGIN SELECT RAISE(ABORT, 'prescriptions are append-only'); END;"
    "ALTER TABLE patients ADD COLUMN allergies TEXT;";

/* Referrals (issue 14; REC_REFERRAL, model/referral.h): the request and
 * step facts, append-only; a referral's state is folded from its steps
 * (kiosk/store/referral.c).  No reference to patients: a fact may arrive
 * before the patient it names.  (The `referrals` table of migration 1 was
 * a placeholder and stays unused.) */
static const char migration_referral[] =
    "CREATE TABLE referral_facts(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " kind TEXT NOT NULL, referral_id TEXT NOT NULL, patient_id TEXT,"
    " from_facility TEXT, target_facility TEXT, reason TEXT, urgency TEXT,"
    " due_ms INTEGER, requester_id TEXT, requester_role TEXT,"
    " consult_id TEXT, state TEXT, state_reason TEXT,"
    " at_ms INTEGER NOT NULL, outcome TEXT, encounter_id TEXT,"
    " created_by TEXT, created_ms INTEGER NOT NULL);"
    "CREATE INDEX referral_facts_referral ON referral_facts(referral_id);"
    "CREATE INDEX referral_facts_target ON referral_facts(target_facility,"
    " kind);"
    "CREATE TRIGGER referral_facts_no_delete BEFORE DELETE ON referral_facts"
    " BEGIN SELECT RAISE(ABORT, 'referral facts are append-only'); END;"
    "CREATE TRIGGER referral_facts_no_update BEFORE UPDATE ON referral_facts"
    " BEGIN SELECT RAISE(ABORT, 'referral facts are append-only'); END;";

/*
 * Emergency incidents (issue 16; REC_EMERGENCY, kiosk/store/emergency.h).
 * Migration 1's placeholder table was never written: it is replaced by
 * the descriptor's columns plus the engine's state (escalate.h, local).
 * emergency_events is the incident's append-only log; emergency_sends
 * holds each send intent, committed before the send is tried, unique per
 * (incident, kind, loop, level, recipient, channel) so a replay adds none.
 */
static const char migration_emergency[] =
    "DROP TABLE emergencies;"
    "CREATE TABLE emergencies(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " patient_id TEXT, encounter_id TEXT, code TEXT NOT NULL, trigger TEXT,"
    " news2 INTEGER, vitals TEXT, age INTEGER, sex TEXT,"
    " state TEXT NOT NULL, level INTEGER, loop INTEGER,"
    " raised_ms INTEGER NOT NULL, first_send_ms INTEGER,"
    " first_delivery_ms INTEGER, acked_ms INTEGER, acked_by TEXT,"
    " eta_min INTEGER, ended_ms INTEGER, end_reason TEXT, note TEXT,"
    " roster_version INTEGER, modem TEXT, created_by TEXT, engine BLOB,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX emergencies_state ON emergencies(state);"
    "CREATE TRIGGER emergencies_no_delete BEFORE DELETE ON emergencies"
    " BEGIN SELECT RAISE(ABORT, 'soft deletes only'); END;"
    "CREATE TABLE emergency_events(seq INTEGER PRIMARY KEY,"
    " incident_id TEXT NOT NULL, at_ms INTEGER NOT NULL, kind TEXT NOT NULL,"
    " detail TEXT);"
    "CREATE INDEX emergency_events_incident ON emergency_events(incident_id);"
    "CREATE TRIGGER emergency_events_no_update BEFORE UPDATE ON"
    " emergency_events BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
    "CREATE TRIGGER emergency_events_no_delete BEFORE DELETE ON"
    " emergency_events BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
    "CREATE TABLE emergency_sends(id INTEGER PRIMARY KEY,"
    " incident_id TEXT NOT NULL, kind TEXT NOT NULL, loop INTEGER NOT NULL,"
    " level INTEGER NOT NULL, rcpt TEXT NOT NULL, channel TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL"
    " DEFAULT 0, ext_id TEXT, created_ms INTEGER NOT NULL, sent_ms INTEGER,"
    " result_ms INTEGER,"
    " UNIQUE(incident_id, kind, loop, level, rcpt, channel));"
    "CREATE INDEX emergency_sends_status ON emergency_sends(status);";

/* Appointments (issue 15; REC_APPOINTMENT): v1's table takes the
 * descriptor's other columns; SERVER_STATE keeps the server's last answer
 * (its APPT_K_RESULT, "0" booked) and ALTS its alternatives, neither
 * synced. */
static const char migration_appt[] =
    "ALTER TABLE appointments ADD COLUMN slot_id INTEGER;"
    "ALTER TABLE appointments ADD COLUMN replaces TEXT;"
    "ALTER TABLE appointments ADD COLUMN cancel_reason TEXT;"
    "ALTER TABLE appointments ADD COLUMN checkin_ms INTEGER;"
    "ALTER TABLE appointments ADD COLUMN checkin_by TEXT;"
    "ALTER TABLE appointments ADD COLUMN alts TEXT;"
    "CREATE INDEX appointments_start ON appointments(slot_start_ms);"
    "CREATE INDEX appointments_patient ON appointments(patient_id);";

/* The fourth user role (issue 17; model/role.h): 4, the regional admin.
 * SQLite cannot change a CHECK, so the users table is made again with
 * the same columns and rows (DROP TABLE fires no DELETE trigger) and its
 * no-delete trigger put back. */
static const char migration_roles[] =
    "CREATE TABLE users_roles(id TEXT PRIMARY KEY, hlc INTEGER NOT NULL,"
    " name TEXT NOT NULL UNIQUE,"
    " role INTEGER NOT NULL CHECK(role IN (1,2,3,4)),"
    " display_name TEXT, licence TEXT, disabled INTEGER NOT NULL DEFAULT 0,"
    " created_by TEXT, created_ms INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0, signkey BLOB, lang TEXT);"
    "INSERT INTO users_roles(id, hlc, name, role, display_name, licence,"
    " disabled, created_by, created_ms, deleted, signkey, lang)"
    " SELECT id, hlc, name, role, display_name, licence, disabled,"
    " created_by, created_ms, deleted, signkey, lang FROM users;"
    "DROP TABLE users;"
    "ALTER TABLE users_roles RENAME TO users;"
    "CREATE TRIGGER users_no_delete BEFORE DELETE ON users BEGIN"
    " SELECT RAISE(ABORT, 'soft deletes only'); END;";

/* The waitlist (issue 15, docs/PROTOCOL.md §11.1): this kiosk's entries,
 * not synced as records: PENDING is what the next sync sends ("add",
 * "remove", "decline", "accept"; "" nothing), STATUS and the offer what
 * the server last answered, APPT_ID the booking an accept makes. */
static const char migration_waitlist[] =
    "CREATE TABLE waitlist(id TEXT PRIMARY KEY, patient_id TEXT NOT NULL,"
    " urgency INTEGER NOT NULL, service TEXT NOT NULL,"
    " lang TEXT NOT NULL DEFAULT '', modality TEXT NOT NULL DEFAULT '',"
    " clinician TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL DEFAULT 'new', pending TEXT NOT NULL DEFAULT"
    " 'add', created_ms INTEGER NOT NULL, listed_ms INTEGER NOT NULL"
    " DEFAULT 0, offer_slot INTEGER NOT NULL DEFAULT 0,"
    " offer_start_ms INTEGER NOT NULL DEFAULT 0,"
    " offer_end_ms INTEGER NOT NULL DEFAULT 0,"
    " offer_expires_ms INTEGER NOT NULL DEFAULT 0,"
    " appt_id TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',"
    " answered_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX waitlist_patient ON waitlist(patient_id);";

static const char *const migrations[] = { migration_1, migration_2, migration_3,
	migration_4, migration_conflicts, migration_consult, migration_merge,
	migration_user_lang, migration_call, migration_licence, migration_rx,
	migration_referral, migration_emergency, migration_appt,
	migration_roles, migration_waitlist };

int
store_schema_latest(void)
{
	return (int)nitems(migrations);
}

/* Migration 1 also gets a no-delete trigger per clinical table. */
static int
store_schema_soft_delete_triggers(struct store *s)
{
	char sql[256];
	size_t i;
	int err;

	for (i = 0; i < nitems(clinical_tables); i++) {
		snprintf(sql, sizeof(sql),
		    "CREATE TRIGGER %s_no_delete BEFORE DELETE ON %s BEGIN "
		    "SELECT RAISE(ABORT, 'soft deletes only'); END;",
		    clinical_tables[i], clinical_tables[i]);
		if ((err = store_exec(s, sql)) != 0)
			return err;
	}
	return 0;
}

static int
store_schema_version_get(struct store *s, int *v)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s, "PRAGMA user_version", &st)) != 0)
		return err;
	if (sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	else
		err = store_err(s, sqlite3_errcode(s->db), "user_version");
	sqlite3_finalize(st);
	return err;
}

int
store_schema_migrate(struct store *s, int max)
{
	char sql[64];
	int v = 0, n = store_schema_latest(), err;

	if (max <= 0 || max > n)
		max = n;
	if ((err = store_schema_version_get(s, &v)) != 0)
		return err;
	if (v > n) {
		log_warnx(
		    "database schema %d is newer than this program (%d)", v, n);
		return EPROTO;
	}
	for (; v < max; v++) {
		if ((err = store_tx_begin(s)) != 0)
			return err;
		err = store_exec(s, migrations[v]);
		if (err == 0 && v == 0)
			err = store_schema_soft_delete_triggers(s);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (err == 0)
			err = store_exec(s, sql);
		if ((err = store_tx_end(s, err)) != 0) {
			log_warnx("migration %d failed", v + 1);
			return err;
		}
		log_info("schema migrated to version %d", v + 1);
	}
	return 0;
}
