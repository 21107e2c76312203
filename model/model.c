/*
 * The entity descriptors and the generic record codec and merge rule of
 * model.h.  Each table below is the one list of an entity's fields: the
 * kiosk store's inserts and updates, the bodies it writes to its outbox
 * and the pulled changes it merges all come from it.
 *
 * Deliberately not here: SQL (the store turns the column names into
 * statements), validation of values beyond their CBOR type (patient.h has
 * the patient rules), and which entities a program keeps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "model.h"
#include "xmalloc.h"

static const struct model_field patient_fields[] = {
	{ REC_PAT_GIVEN, "given", MODEL_TEXT, 1 },
	{ REC_PAT_FAMILY, "family", MODEL_TEXT, 1 },
	{ REC_PAT_SEX, "sex", MODEL_TEXT, 1 },
	{ REC_PAT_BIRTH, "birth_date", MODEL_TEXT, 1 },
	{ REC_PAT_PHONE, "phone", MODEL_TEXT, 1 },
	{ REC_PAT_VILLAGE, "village", MODEL_TEXT, 1 },
	{ REC_PAT_NATID, "national_id", MODEL_TEXT, 1 },
	{ REC_PAT_ALLERGIES, "allergies", MODEL_TEXT, 1 },
	{ REC_K_DELETED, "deleted", MODEL_BOOL, 1 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default patient_defaults[] = {
	{ "given", "''" },
	{ "family", "''" },
	{ "created_ms", MODEL_DEFAULT_MS },
};

static const struct model_field encounter_fields[] = {
	{ REC_ENC_PATIENT, "patient_id", MODEL_TEXT, 1 },
	{ REC_ENC_STARTED, "started_ms", MODEL_UINT, 1 },
	{ REC_ENC_ENDED, "ended_ms", MODEL_UINT, 1 },
	{ REC_ENC_REASON, "reason", MODEL_TEXT, 1 },
	{ REC_ENC_STATUS, "status", MODEL_TEXT, 1 },
	{ REC_K_DELETED, "deleted", MODEL_BOOL, 1 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default encounter_defaults[] = {
	{ "status", "'open'" },
	{ "started_ms", MODEL_DEFAULT_MS },
};

static const struct model_field obs_fields[] = {
	{ REC_OBS_ENCOUNTER, "encounter_id", MODEL_TEXT, 0 },
	{ REC_OBS_PATIENT, "patient_id", MODEL_TEXT, 0 },
	{ REC_OBS_LOINC, "loinc", MODEL_TEXT, 0 },
	{ REC_OBS_VALUE, "value", MODEL_DOUBLE, 0 },
	{ REC_OBS_UNIT, "unit", MODEL_TEXT, 0 },
	{ REC_OBS_DEVICE, "device_id", MODEL_TEXT, 0 },
	{ REC_OBS_PROVENANCE, "provenance", MODEL_CBOR, 0 },
	{ REC_OBS_TAKEN, "taken_ms", MODEL_UINT, 0 },
	{ REC_OBS_RECORDED, "recorded_ms", MODEL_UINT, 0 },
	{ REC_OBS_TEXT, "value_text", MODEL_TEXT, 0 },
	{ REC_OBS_PANEL, "panel", MODEL_TEXT, 0 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default obs_defaults[] = {
	{ "recorded_ms", MODEL_DEFAULT_MS },
};

static const struct model_field form_fields[] = {
	{ REC_FORM_ENCOUNTER, "encounter_id", MODEL_TEXT, 0 },
	{ REC_FORM_PATIENT, "patient_id", MODEL_TEXT, 0 },
	{ REC_FORM_FORMID, "form_id", MODEL_TEXT, 0 },
	{ REC_FORM_VERSION, "form_version", MODEL_TEXT, 0 },
	{ REC_FORM_INSTANCE, "instance_id", MODEL_TEXT, 0 },
	{ REC_FORM_XML, "xml", MODEL_BYTES, 0 },
	{ REC_FORM_STATUS, "status", MODEL_TEXT, 0 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default form_defaults[] = {
	{ "created_ms", MODEL_DEFAULT_MS },
};

static const struct model_field alert_fields[] = {
	{ REC_ALERT_PATIENT, "patient_id", MODEL_TEXT, 1 },
	{ REC_ALERT_ENCOUNTER, "encounter_id", MODEL_TEXT, 1 },
	{ REC_ALERT_KIND, "kind", MODEL_TEXT, 1 },
	{ REC_ALERT_SCORE, "score", MODEL_INT, 1 },
	{ REC_ALERT_DETAIL, "detail", MODEL_TEXT, 1 },
	{ REC_ALERT_RAISED, "raised_ms", MODEL_UINT, 1 },
	{ REC_ALERT_ACKED, "acked_ms", MODEL_UINT, 1 },
	{ REC_ALERT_ACKED_BY, "acked_by", MODEL_TEXT, 1 },
	{ REC_K_DELETED, "deleted", MODEL_BOOL, 1 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default alert_defaults[] = {
	{ "kind", "'unknown'" },
	{ "raised_ms", MODEL_DEFAULT_MS },
};

static const struct model_field merge_fields[] = {
	{ REC_MERGE_SURVIVOR, "survivor_id", MODEL_TEXT, 0 },
	{ REC_MERGE_DUPLICATE, "duplicate_id", MODEL_TEXT, 0 },
	{ REC_MERGE_REASON, "reason", MODEL_TEXT, 0 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default merge_defaults[] = {
	{ "created_ms", MODEL_DEFAULT_MS },
};
static const struct model_field call_fields[] = {
	{ REC_CALL_CONSULT, "consult_id", MODEL_TEXT, 0 },
	{ REC_CALL_SIP_ID, "sip_call_id", MODEL_TEXT, 0 },
	{ REC_CALL_PEER, "peer", MODEL_TEXT, 0 },
	{ REC_CALL_OUTGOING, "outgoing", MODEL_BOOL, 0 },
	{ REC_CALL_RINGING, "ringing_ms", MODEL_UINT, 0 },
	{ REC_CALL_RINGING + 1, "ringing_mono", MODEL_UINT, 0 },
	{ REC_CALL_ESTABLISHED, "established_ms", MODEL_UINT, 0 },
	{ REC_CALL_ESTABLISHED + 1, "established_mono", MODEL_UINT, 0 },
	{ REC_CALL_MEDIA_RX, "media_rx_ms", MODEL_UINT, 0 },
	{ REC_CALL_MEDIA_RX + 1, "media_rx_mono", MODEL_UINT, 0 },
	{ REC_CALL_MEDIA_TX, "media_tx_ms", MODEL_UINT, 0 },
	{ REC_CALL_MEDIA_TX + 1, "media_tx_mono", MODEL_UINT, 0 },
	{ REC_CALL_SECURE, "secure_ms", MODEL_UINT, 0 },
	{ REC_CALL_SECURE + 1, "secure_mono", MODEL_UINT, 0 },
	{ REC_CALL_ENDED, "ended_ms", MODEL_UINT, 0 },
	{ REC_CALL_ENDED + 1, "ended_mono", MODEL_UINT, 0 },
	{ REC_CALL_END, "end_kind", MODEL_TEXT, 0 },
	{ REC_CALL_END_REASON, "end_reason", MODEL_TEXT, 0 },
	{ REC_CALL_CONNECTED_MS, "connected_ms", MODEL_UINT, 0 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default call_defaults[] = {
	{ "created_ms", MODEL_DEFAULT_MS },
};

static const struct model_field emergency_fields[] = {
	{ REC_EMERG_PATIENT, "patient_id", MODEL_TEXT, 0 },
	{ REC_EMERG_ENCOUNTER, "encounter_id", MODEL_TEXT, 0 },
	{ REC_EMERG_CODE, "code", MODEL_TEXT, 0 },
	{ REC_EMERG_TRIGGER, "trigger", MODEL_TEXT, 0 },
	{ REC_EMERG_NEWS2, "news2", MODEL_INT, 0 },
	{ REC_EMERG_VITALS, "vitals", MODEL_TEXT, 0 },
	{ REC_EMERG_AGE, "age", MODEL_UINT, 0 },
	{ REC_EMERG_SEX, "sex", MODEL_TEXT, 0 },
	{ REC_EMERG_STATE, "state", MODEL_TEXT, 1 },
	{ REC_EMERG_LEVEL, "level", MODEL_UINT, 1 },
	{ REC_EMERG_LOOP, "loop", MODEL_UINT, 1 },
	{ REC_EMERG_RAISED, "raised_ms", MODEL_UINT, 0 },
	{ REC_EMERG_FIRST_SEND, "first_send_ms", MODEL_UINT, 1 },
	{ REC_EMERG_FIRST_DELIVERY, "first_delivery_ms", MODEL_UINT, 1 },
	{ REC_EMERG_ACKED, "acked_ms", MODEL_UINT, 1 },
	{ REC_EMERG_ACKED_BY, "acked_by", MODEL_TEXT, 1 },
	{ REC_EMERG_ETA, "eta_min", MODEL_UINT, 1 },
	{ REC_EMERG_ENDED, "ended_ms", MODEL_UINT, 1 },
	{ REC_EMERG_END_REASON, "end_reason", MODEL_TEXT, 1 },
	{ REC_EMERG_NOTE, "note", MODEL_TEXT, 1 },
	{ REC_EMERG_ROSTER, "roster_version", MODEL_UINT, 1 },
	{ REC_EMERG_MODEM, "modem", MODEL_TEXT, 1 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default emergency_defaults[] = {
	{ "state", "'paging'" },
	{ "code", "''" },
	{ "raised_ms", MODEL_DEFAULT_MS },
};

static const struct model_field user_fields[] = {
	{ REC_USER_NAME, "name", MODEL_TEXT, 1 },
	{ REC_USER_ROLE, "role", MODEL_UINT, 1 },
	{ REC_USER_REGNO, "licence", MODEL_TEXT, 1 },
	{ REC_USER_SIGNKEY, "signkey", MODEL_BYTES, 1 },
	{ REC_USER_LANG, "lang", MODEL_TEXT, 1 },
	{ REC_K_DELETED, "deleted", MODEL_BOOL, 1 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default user_defaults[] = {
	{ "created_ms", MODEL_DEFAULT_MS },
};

static const struct model_field consult_fields[] = {
	{ REC_CONSULT_PATIENT, "patient_id", MODEL_TEXT, 0 },
	{ REC_CONSULT_ENCOUNTER, "encounter_id", MODEL_TEXT, 0 },
	{ REC_CONSULT_REASON, "reason", MODEL_TEXT, 1 },
	{ REC_CONSULT_URGENCY, "urgency", MODEL_UINT, 1 },
	{ REC_CONSULT_MODE, "mode", MODEL_TEXT, 1 },
	{ REC_CONSULT_STATE, "status", MODEL_TEXT, 1 },
	{ REC_CONSULT_REQUESTED, "requested_ms", MODEL_UINT, 0 },
	{ REC_CONSULT_CLINICIAN, "clinician_id", MODEL_TEXT, 1 },
	{ REC_CONSULT_ACCEPTED, "accepted_ms", MODEL_UINT, 1 },
	{ REC_CONSULT_SUBJECTIVE, "subjective", MODEL_TEXT, 1 },
	{ REC_CONSULT_OBJECTIVE, "objective", MODEL_TEXT, 1 },
	{ REC_CONSULT_ASSESSMENT, "assessment", MODEL_TEXT, 1 },
	{ REC_CONSULT_PLAN, "plan", MODEL_TEXT, 1 },
	{ REC_CONSULT_SIGNED, "signed_ms", MODEL_UINT, 1 },
	{ REC_CONSULT_SIG, "sig", MODEL_BYTES, 1 },
	{ REC_CONSULT_END_REASON, "end_reason", MODEL_TEXT, 1 },
	{ REC_CONSULT_ADVICE, "advice", MODEL_TEXT, 1 },
	{ REC_CONSULT_HANDED_TO, "handed_to", MODEL_TEXT, 1 },
	{ REC_CONSULT_NEWS2, "news2", MODEL_UINT, 0 },
	{ REC_CONSULT_SIGNKEY, "signkey", MODEL_BYTES, 1 },
	{ REC_CONSULT_REGNO, "regno", MODEL_TEXT, 1 },
	{ REC_CONSULT_CLINICIAN_NAME, "clinician_name", MODEL_TEXT, 1 },
	{ REC_K_DELETED, "deleted", MODEL_BOOL, 1 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default consult_defaults[] = {
	{ "status", "'requested'" },
	{ "requested_ms", MODEL_DEFAULT_MS },
};

/* Prescriptions (issue 14): append-only signed facts; the signed part is
 * model/prescription.h's. */
static const struct model_field rx_fields[] = {
	{ REC_RX_PATIENT, "patient_id", MODEL_TEXT, 0 },
	{ REC_RX_ENCOUNTER, "encounter_id", MODEL_TEXT, 0 },
	{ REC_RX_CONSULT, "consult_id", MODEL_TEXT, 0 },
	{ REC_RX_ACTION, "action", MODEL_TEXT, 0 },
	{ REC_RX_ORDER, "order_id", MODEL_TEXT, 0 },
	{ REC_RX_REGION, "region", MODEL_TEXT, 0 },
	{ REC_RX_CODE, "code", MODEL_TEXT, 0 },
	{ REC_RX_INN, "inn", MODEL_TEXT, 0 },
	{ REC_RX_STRENGTH, "strength", MODEL_TEXT, 0 },
	{ REC_RX_FORM, "form", MODEL_TEXT, 0 },
	{ REC_RX_ROUTE, "route", MODEL_TEXT, 0 },
	{ REC_RX_DOSE, "dose", MODEL_DOUBLE, 0 },
	{ REC_RX_UNIT, "unit", MODEL_TEXT, 0 },
	{ REC_RX_PER_DAY, "per_day", MODEL_UINT, 0 },
	{ REC_RX_DAYS, "days", MODEL_UINT, 0 },
	{ REC_RX_NOTE, "note", MODEL_TEXT, 0 },
	{ REC_RX_OVERRIDE, "override", MODEL_TEXT, 0 },
	{ REC_RX_AGE_DAYS, "age_days", MODEL_UINT, 0 },
	{ REC_RX_WEIGHT, "weight_kg", MODEL_DOUBLE, 0 },
	{ REC_RX_ALLERGIES, "allergies", MODEL_TEXT, 0 },
	{ REC_RX_MODE, "mode", MODEL_TEXT, 0 },
	{ REC_RX_FIRST, "first_consult", MODEL_BOOL, 0 },
	{ REC_RX_CLINICIAN, "clinician_id", MODEL_TEXT, 0 },
	{ REC_RX_CLINICIAN_NAME, "clinician_name", MODEL_TEXT, 0 },
	{ REC_RX_REGNO, "regno", MODEL_TEXT, 0 },
	{ REC_RX_SIGNED, "signed_ms", MODEL_UINT, 0 },
	{ REC_RX_SIGKEY, "signkey", MODEL_BYTES, 0 },
	{ REC_RX_SIG, "sig", MODEL_BYTES, 0 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default rx_defaults[] = {
	{ "action", "'order'" },
	{ "created_ms", MODEL_DEFAULT_MS },
};

static const struct model_field attach_fields[] = {
	{ REC_ATT_OWNER_ENTITY, "owner_entity", MODEL_TEXT, 0 },
	{ REC_ATT_OWNER_ID, "owner_id", MODEL_TEXT, 0 },
	{ REC_ATT_SHA256, "sha256", MODEL_BYTES, 0 },
	{ REC_ATT_SIZE, "size", MODEL_UINT, 0 },
	{ REC_ATT_MIME, "mime", MODEL_TEXT, 0 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default attach_defaults[] = {
	{ "created_ms", MODEL_DEFAULT_MS },
};

/* Referral facts (issue 14; model/referral.h): append-only. */
static const struct model_field referral_fields[] = {
	{ REC_REF_KIND, "kind", MODEL_TEXT, 0 },
	{ REC_REF_REFERRAL, "referral_id", MODEL_TEXT, 0 },
	{ REC_REF_PATIENT, "patient_id", MODEL_TEXT, 0 },
	{ REC_REF_FROM, "from_facility", MODEL_TEXT, 0 },
	{ REC_REF_TARGET, "target_facility", MODEL_TEXT, 0 },
	{ REC_REF_REASON, "reason", MODEL_TEXT, 0 },
	{ REC_REF_URGENCY, "urgency", MODEL_TEXT, 0 },
	{ REC_REF_DUE, "due_ms", MODEL_UINT, 0 },
	{ REC_REF_REQUESTER, "requester_id", MODEL_TEXT, 0 },
	{ REC_REF_REQ_ROLE, "requester_role", MODEL_TEXT, 0 },
	{ REC_REF_CONSULT, "consult_id", MODEL_TEXT, 0 },
	{ REC_REF_STATE, "state", MODEL_TEXT, 0 },
	{ REC_REF_STATE_REASON, "state_reason", MODEL_TEXT, 0 },
	{ REC_REF_AT, "at_ms", MODEL_UINT, 0 },
	{ REC_REF_OUTCOME, "outcome", MODEL_TEXT, 0 },
	{ REC_REF_ENCOUNTER, "encounter_id", MODEL_TEXT, 0 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default referral_defaults[] = {
	{ "at_ms", MODEL_DEFAULT_MS },
	{ "created_ms", MODEL_DEFAULT_MS },
};

static const struct model_field appt_fields[] = {
	{ REC_APPT_PATIENT, "patient_id", MODEL_TEXT, 0 },
	{ REC_APPT_SLOT, "slot_id", MODEL_UINT, 0 },
	{ REC_APPT_START, "slot_start_ms", MODEL_UINT, 0 },
	{ REC_APPT_END, "slot_end_ms", MODEL_UINT, 0 },
	{ REC_APPT_CLINICIAN, "clinician_id", MODEL_TEXT, 0 },
	{ REC_APPT_STATUS, "status", MODEL_TEXT, 1 },
	{ REC_APPT_REPLACES, "replaces", MODEL_TEXT, 0 },
	{ REC_APPT_CANCEL_REASON, "cancel_reason", MODEL_TEXT, 1 },
	{ REC_APPT_CHECKIN_MS, "checkin_ms", MODEL_UINT, 1 },
	{ REC_APPT_CHECKIN_BY, "checkin_by", MODEL_TEXT, 1 },
	{ REC_K_DELETED, "deleted", MODEL_BOOL, 1 },
	{ REC_K_BY, "created_by", MODEL_UUID, 0 },
};
static const struct model_default appt_defaults[] = {
	{ "status", "'proposed'" },
	{ "created_ms", MODEL_DEFAULT_MS },
};

#define ENTITY(num, table, mut, f, d)                                          \
	[num] = { num, table, mut, f, nitems(f), d, nitems(d) }

static const struct model_entity model_entities[REC_ENTITY_MAX + 1] = {
	ENTITY(REC_USER, "users", 1, user_fields, user_defaults),
	ENTITY(REC_PATIENT, "patients", 1, patient_fields, patient_defaults),
	ENTITY(REC_ENCOUNTER, "encounters", 1, encounter_fields,
	    encounter_defaults),
	ENTITY(REC_OBSERVATION, "observations", 0, obs_fields, obs_defaults),
	ENTITY(REC_FORM, "form_submissions", 0, form_fields, form_defaults),
	ENTITY(
	    REC_ATTACHMENT, "attachments", 0, attach_fields, attach_defaults),
	ENTITY(REC_ALERT, "alerts", 1, alert_fields, alert_defaults),
	ENTITY(REC_CONSULT, "consults", 1, consult_fields, consult_defaults),
	ENTITY(REC_MERGE, "merges", 0, merge_fields, merge_defaults),
	ENTITY(REC_CALL, "calls", 0, call_fields, call_defaults),
	ENTITY(REC_PRESCRIPTION, "prescriptions", 0, rx_fields, rx_defaults),
	ENTITY(REC_REFERRAL, "referral_facts", 0, referral_fields,
	    referral_defaults),
	ENTITY(REC_EMERGENCY, "emergencies", 1, emergency_fields,
	    emergency_defaults),
	ENTITY(REC_APPOINTMENT, "appointments", 1, appt_fields, appt_defaults),
};

static const struct model_entity *model_overrides[REC_ENTITY_MAX + 1];

const struct model_entity *
model_entity(int entity)
{
	if (entity <= 0 || entity > REC_ENTITY_MAX)
		return NULL;
	if (model_overrides[entity] != NULL)
		return model_overrides[entity];
	if (model_entities[entity].table == NULL)
		return NULL;
	return &model_entities[entity];
}

void
model_test_override(int entity, const struct model_entity *e)
{
	if (entity <= 0 || entity > REC_ENTITY_MAX)
		return;
	if (e != NULL && e->nfields > MODEL_FIELDS_MAX)
		return;
	model_overrides[entity] = e;
}

int
model_field_index(const struct model_entity *e, uint64_t key)
{
	size_t i;

	for (i = 0; i < e->nfields; i++)
		if (e->fields[i].key == key)
			return (int)i;
	return -1;
}

/* --- records --- */

void
model_rec_init(struct model_rec *r, const struct model_entity *e,
    const char *id, uint64_t hlc, const char *node)
{
	memset(r, 0, sizeof(*r));
	r->e = e;
	if (id != NULL)
		snprintf(r->id, sizeof(r->id), "%s", id);
	r->hlc = hlc;
	if (node != NULL)
		snprintf(r->node, sizeof(r->node), "%s", node);
}

void
model_rec_clear(struct model_rec *r)
{
	const struct model_entity *e = r->e;
	size_t i;

	for (i = 0; i < MODEL_FIELDS_MAX; i++)
		free(r->own[i]);
	if (r->item != NULL)
		cbor_decref(&r->item);
	memset(r, 0, sizeof(*r));
	r->e = e;
}

/* The value slot of field KEY of type TYPE, or NULL with *ERR set. */
static struct model_value *
model_slot(struct model_rec *r, uint64_t key, int type, int *err)
{
	int i = model_field_index(r->e, key);

	if (i < 0) {
		*err = ENOENT;
		return NULL;
	}
	if (r->e->fields[i].type != type) {
		*err = EINVAL;
		return NULL;
	}
	*err = 0;
	memset(&r->v[i], 0, sizeof(r->v[i]));
	return &r->v[i];
}

int
model_set_text(struct model_rec *r, uint64_t key, const char *s)
{
	struct model_value *v;
	int err;

	if ((v = model_slot(r, key, MODEL_TEXT, &err)) != NULL && s != NULL) {
		v->set = 1;
		v->text = s;
	}
	return err;
}

int
model_set_uuid(struct model_rec *r, uint64_t key, const char *s)
{
	struct model_value *v;
	int err;

	if ((v = model_slot(r, key, MODEL_UUID, &err)) != NULL && s != NULL) {
		v->set = 1;
		v->text = s;
	}
	return err;
}

int
model_set_uint(struct model_rec *r, uint64_t key, uint64_t u)
{
	struct model_value *v;
	int err;

	if ((v = model_slot(r, key, MODEL_UINT, &err)) != NULL) {
		v->set = 1;
		v->u = u;
	}
	return err;
}

int
model_set_int(struct model_rec *r, uint64_t key, int64_t i)
{
	struct model_value *v;
	int err;

	if ((v = model_slot(r, key, MODEL_INT, &err)) != NULL) {
		v->set = 1;
		v->i = i;
	}
	return err;
}

int
model_set_double(struct model_rec *r, uint64_t key, double d)
{
	struct model_value *v;
	int err;

	if ((v = model_slot(r, key, MODEL_DOUBLE, &err)) != NULL) {
		v->set = 1;
		v->d = d;
	}
	return err;
}

int
model_set_bool(struct model_rec *r, uint64_t key, int b)
{
	struct model_value *v;
	int err;

	if ((v = model_slot(r, key, MODEL_BOOL, &err)) != NULL) {
		v->set = 1;
		v->i = b != 0;
	}
	return err;
}

static int
model_set_blob(
    struct model_rec *r, uint64_t key, int type, const void *p, size_t len)
{
	struct model_value *v;
	int err;

	if ((v = model_slot(r, key, type, &err)) != NULL && p != NULL) {
		v->set = 1;
		v->p = p;
		v->len = len;
	}
	return err;
}

int
model_set_bytes(struct model_rec *r, uint64_t key, const void *p, size_t len)
{
	return model_set_blob(r, key, MODEL_BYTES, p, len);
}

int
model_set_cbor(struct model_rec *r, uint64_t key, const void *p, size_t len)
{
	return model_set_blob(r, key, MODEL_CBOR, p, len);
}

const struct model_value *
model_get(const struct model_rec *r, uint64_t key)
{
	int i = model_field_index(r->e, key);

	return i >= 0 && r->v[i].set ? &r->v[i] : NULL;
}

/* --- encoding --- */

/* A UUID as bytes(16), or the text itself when it is not one. */
static cbor_item_t *
model_id_item(const char *s)
{
	struct uuid u;

	if (uuid_parse(s, &u) == 0)
		return cborx_bytes(u.b, UUID_LEN);
	return cborx_text(s);
}

static int
model_value_item(
    const struct model_field *f, const struct model_value *v, cbor_item_t **out)
{
	struct uuid u;

	*out = NULL;
	if (v->null) {
		*out = cborx_null();
		return 0;
	}
	switch (f->type) {
	case MODEL_TEXT:
		*out = cborx_text(v->text);
		return 0;
	case MODEL_UINT:
		*out = cborx_uint(v->u);
		return 0;
	case MODEL_INT:
		*out = cborx_int(v->i);
		return 0;
	case MODEL_DOUBLE:
		*out = cborx_double(v->d);
		return 0;
	case MODEL_BOOL:
		*out = cborx_bool(v->i != 0);
		return 0;
	case MODEL_BYTES:
		*out = cborx_bytes(v->p, v->len);
		return 0;
	case MODEL_UUID:
		if (v->text == NULL || uuid_parse(v->text, &u) != 0)
			return EINVAL;
		*out = cborx_bytes(u.b, UUID_LEN);
		return 0;
	case MODEL_CBOR:
		return cborx_decode(v->p, v->len, MODEL_BODY_MAX, out) == 0
		    ? 0
		    : EINVAL;
	}
	return EINVAL;
}

/* Keys the header writes: a descriptor field with one of them is only
 * decoded, never encoded twice. */
static int
model_header_key(uint64_t key)
{
	return key == REC_K_ID || key == REC_K_HLC || key == REC_K_NODE;
}

int
model_encode(const struct model_rec *r, cbor_item_t **out)
{
	const struct model_entity *e = r->e;
	cbor_item_t *m, *items[MODEL_FIELDS_MAX];
	struct uuid u;
	size_t i, n = 2;
	int err = 0, node;

	*out = NULL;
	memset(items, 0, sizeof(items));
	for (i = 0; i < e->nfields && err == 0; i++)
		if (r->v[i].set && !model_header_key(e->fields[i].key)) {
			err = model_value_item(
			    &e->fields[i], &r->v[i], &items[i]);
			n++;
		}
	if (err != 0)
		goto out;
	if ((node = uuid_parse(r->node, &u) == 0))
		n++;
	m = cborx_map(n);
	cborx_map_put(m, REC_K_ID, model_id_item(r->id));
	cborx_map_put(m, REC_K_HLC, cborx_uint(r->hlc));
	if (node)
		cborx_map_put(m, REC_K_NODE, cborx_bytes(u.b, UUID_LEN));
	for (i = 0; i < e->nfields; i++)
		if (items[i] != NULL) {
			cborx_map_put(m, e->fields[i].key, items[i]);
			items[i] = NULL;
		}
	*out = m;
out:
	for (i = 0; i < e->nfields; i++)
		if (items[i] != NULL)
			cbor_decref(&items[i]);
	return err;
}

/* --- decoding --- */

/* Header keys are informative (the change carries id and HLC itself):
 * read when well-formed, never a reason to refuse the body. */
static void
model_decode_header(struct model_rec *r, const cbor_item_t *m)
{
	const uint8_t *p;
	cbor_item_t *v;
	struct uuid u;
	size_t len;
	char *t;

	if ((v = cborx_map_get(m, REC_K_ID)) != NULL) {
		if (cborx_get_bytes(v, UUID_LEN, &p, &len) == 0 &&
		    len == UUID_LEN) {
			memcpy(u.b, p, UUID_LEN);
			uuid_format(&u, r->id);
		} else if (cborx_get_text(v, UUID_STRLEN, &t) == 0) {
			snprintf(r->id, sizeof(r->id), "%s", t);
			free(t);
		}
	}
	cborx_map_uint(m, REC_K_HLC, &r->hlc);
	if (cborx_map_bytes(m, REC_K_NODE, UUID_LEN, &p, &len) == 0 &&
	    len == UUID_LEN) {
		memcpy(u.b, p, UUID_LEN);
		uuid_format(&u, r->node);
	}
}

static int
model_decode_value(struct model_rec *r, size_t i, cbor_item_t *it)
{
	const struct model_field *f = &r->e->fields[i];
	struct model_value *v = &r->v[i];
	struct uuid u;
	uint8_t *enc;
	char *t;
	int b;

	v->set = 1;
	/* (cbor_is_null asserts on floats in libcbor 0.8: check width
	 * first) */
	if (cbor_isa_float_ctrl(it) &&
	    cbor_float_get_width(it) == CBOR_FLOAT_0 && cbor_is_null(it)) {
		v->null = 1;
		return 0;
	}
	switch (f->type) {
	case MODEL_TEXT:
		if (cborx_get_text(it, MODEL_TEXT_MAX, &t) != 0)
			return EBADMSG;
		r->own[i] = t;
		v->text = t;
		return 0;
	case MODEL_UINT:
		if (cborx_get_uint(it, &v->u) != 0 || v->u > INT64_MAX)
			return EBADMSG;
		return 0;
	case MODEL_INT:
		return cborx_get_int(it, &v->i) == 0 ? 0 : EBADMSG;
	case MODEL_DOUBLE:
		return cborx_get_double(it, &v->d) == 0 ? 0 : EBADMSG;
	case MODEL_BOOL:
		/* cborx_get_bool -> cbor_is_bool asserts on a float in
		 * libcbor 0.8: only simple values reach it. */
		if (!cbor_isa_float_ctrl(it) ||
		    cbor_float_get_width(it) != CBOR_FLOAT_0 ||
		    cborx_get_bool(it, &b) != 0)
			return EBADMSG;
		v->i = b != 0;
		return 0;
	case MODEL_BYTES:
		return cborx_get_bytes(it, MODEL_BYTES_MAX, &v->p, &v->len) == 0
		    ? 0
		    : EBADMSG;
	case MODEL_UUID:
		if (cborx_get_bytes(it, UUID_LEN, &v->p, &v->len) != 0 ||
		    v->len != UUID_LEN)
			return EBADMSG;
		memcpy(u.b, v->p, UUID_LEN);
		t = xmalloc(UUID_STRLEN + 1);
		uuid_format(&u, t);
		r->own[i] = t;
		v->text = t;
		v->p = NULL;
		v->len = 0;
		return 0;
	case MODEL_CBOR:
		if (cborx_encode(it, &enc, &v->len) != 0)
			return EBADMSG;
		r->own[i] = enc;
		v->p = enc;
		return 0;
	}
	return EINVAL;
}

/* model_decode; *BAD is the index of the field that failed (or nfields). */
static int
model_decode_at(const struct model_entity *e, const uint8_t *body, size_t len,
    struct model_rec *r, size_t *bad)
{
	cbor_item_t *it;
	size_t i;
	int err = 0;

	*bad = e->nfields;
	model_rec_init(r, e, NULL, 0, NULL);
	if (e->nfields > MODEL_FIELDS_MAX)
		return EINVAL;
	for (i = 0; i < e->nfields; i++)
		if (e->fields[i].type < MODEL_TEXT ||
		    e->fields[i].type > MODEL_UUID)
			return EINVAL;
	if (cborx_decode_items(
	        body, len, MODEL_BODY_MAX, MODEL_BODY_ITEMS, &r->item) != 0 ||
	    !cbor_isa_map(r->item))
		return EBADMSG;
	model_decode_header(r, r->item);
	for (i = 0; i < e->nfields && err == 0; i++)
		if ((it = cborx_map_get(r->item, e->fields[i].key)) != NULL &&
		    (err = model_decode_value(r, i, it)) != 0)
			*bad = i;
	return err;
}

int
model_decode(const struct model_entity *e, const uint8_t *body, size_t len,
    struct model_rec *r)
{
	size_t bad;

	return model_decode_at(e, body, len, r, &bad);
}

static const char *const model_type_names[] = {
	[MODEL_TEXT] = "text",
	[MODEL_UINT] = "an unsigned integer",
	[MODEL_INT] = "an integer",
	[MODEL_DOUBLE] = "a number",
	[MODEL_BYTES] = "bytes",
	[MODEL_CBOR] = "a CBOR item",
	[MODEL_BOOL] = "a bool",
	[MODEL_UUID] = "a 16-byte uuid",
};

/* The size of a decoded value against its type's bound, or 0 when within. */
static size_t
model_value_over(const struct model_field *f, const struct model_value *v)
{
	size_t n = 0, max = 0;

	if (v->null)
		return 0;
	switch (f->type) {
	case MODEL_TEXT:
		n = strlen(v->text);
		max = MODEL_CHECK_TEXT_MAX;
		break;
	case MODEL_BYTES:
		n = v->len;
		max = MODEL_CHECK_BYTES_MAX;
		break;
	case MODEL_CBOR:
		n = v->len;
		max = MODEL_CHECK_CBOR_MAX;
		break;
	default:
		return 0;
	}
	return n > max ? max : 0;
}

/* Is KEY one E may carry: a header key or one of its fields? */
static int
model_key_known(const struct model_entity *e, const struct cbor_pair *kv)
{
	uint64_t key;

	if (cborx_get_uint(kv->key, &key) != 0)
		return 0;
	return model_header_key(key) || model_field_index(e, key) >= 0;
}

int
model_check(const struct model_entity *e, const uint8_t *body, size_t len,
    const uint8_t *id, struct model_rec *r, char *why, size_t wlen)
{
	const struct cbor_pair *kv;
	const struct model_field *f;
	cbor_item_t *v;
	const uint8_t *p;
	uint64_t key = 0;
	size_t i, n, bad, max;
	int err;

	why[0] = '\0';
	if ((err = model_decode_at(e, body, len, r, &bad)) != 0) {
		if (bad < e->nfields) {
			f = &e->fields[bad];
			snprintf(why, wlen, "field %llu (%s) is not %s",
			    (unsigned long long)f->key, f->col,
			    model_type_names[f->type]);
		} else
			snprintf(why, wlen, "the body is not a CBOR map");
		return EBADMSG;
	}
	kv = cbor_map_handle(r->item);
	n = cbor_map_size(r->item);
	for (i = 0; i < n; i++)
		if (!model_key_known(e, &kv[i])) {
			if (cborx_get_uint(kv[i].key, &key) == 0)
				snprintf(why, wlen, "unknown field %llu for %s",
				    (unsigned long long)key, e->table);
			else
				snprintf(
				    why, wlen, "a key that is not a number");
			return EBADMSG;
		}
	if ((v = cborx_map_get(r->item, REC_K_ID)) != NULL &&
	    (cborx_get_bytes(v, UUID_LEN, &p, &n) != 0 || n != UUID_LEN ||
	        (id != NULL && memcmp(p, id, UUID_LEN) != 0))) {
		snprintf(why, wlen, "field 0 (id) is not the change's uuid");
		return EBADMSG;
	}
	if (((v = cborx_map_get(r->item, REC_K_HLC)) != NULL &&
	        cborx_get_uint(v, &key) != 0) ||
	    ((v = cborx_map_get(r->item, REC_K_NODE)) != NULL &&
	        (cborx_get_bytes(v, UUID_LEN, &p, &n) != 0 || n != UUID_LEN))) {
		snprintf(
		    why, wlen, "a header field (hlc, node) of a wrong type");
		return EBADMSG;
	}
	for (i = 0; i < e->nfields; i++)
		if (r->v[i].set &&
		    (max = model_value_over(&e->fields[i], &r->v[i])) != 0) {
			snprintf(why, wlen, "field %llu (%s) over %zu bytes",
			    (unsigned long long)e->fields[i].key,
			    e->fields[i].col, max);
			return EBADMSG;
		}
	return 0;
}

/* --- merge --- */

int
model_merge_wins(
    uint64_t in_hlc, uint64_t in_origin, uint64_t cur_hlc, uint64_t cur_origin)
{
	if (in_hlc != cur_hlc)
		return in_hlc > cur_hlc;
	return in_origin > cur_origin;
}
