/*
 * The push policy of policy.h: one table of who may create, edit and
 * soft-delete what, and the model check of every pushed body.  Why the
 * table is what it is: docs/SECURITY.md, "Who may change what".
 *
 * Deliberately not here: SQL (the store gathers the facts and calls
 * policy_authorize inside the push transaction, and filters pulls by the
 * scope policy_pull_scope names).
 */
#define LOG_MODULE "policy"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "consult.h"
#include "crypto.h"
#include "log.h"
#include "model.h"
#include "protocol.h"
#include "record.h"
#include "referral.h"
#include "role.h"
#include "sync-server/policy.h"
#include "sync-server/rx_check.h"
#include "sync-server/wire.h"
#include "uuid.h"

#define NO POLICY_NO
#define YES POLICY_YES
#define OWN POLICY_OWN
#define SCOPE POLICY_SCOPE
#define NONE POLICY_NONE

/* [role][entity] = { create, edit, soft-delete } */
static const unsigned char policy_table[POLICY_ROLES][REC_ENTITY_MAX + 1]
                                       [POLICY_OPS] = {
	[POLICY_CLINIC] = {
	    [REC_USER] = { YES, OWN, OWN },
	    [REC_PATIENT] = { YES, SCOPE, NO },
	    [REC_ENCOUNTER] = { YES, OWN, OWN },
	    [REC_OBSERVATION] = { YES, NO, NONE },
	    [REC_FORM] = { YES, NO, NONE },
	    [REC_ALERT] = { YES, SCOPE, NO },
	    [REC_ATTACHMENT] = { YES, NO, NONE },
	    [REC_CONSULT] = { YES, OWN, NO },
	    [REC_MERGE] = { SCOPE, NO, NONE },
	    [REC_CALL] = { YES, NO, NONE },
	    [REC_PRESCRIPTION] = { NO, NO, NONE },
	    [REC_REFERRAL] = { SCOPE, NO, NONE },
	    [REC_EMERGENCY] = { YES, SCOPE, NONE },
	    [REC_APPOINTMENT] = { SCOPE, OWN, NO },
	},
	[POLICY_HUB] = {
	    [REC_USER] = { YES, OWN, OWN },
	    [REC_PATIENT] = { NO, NO, NO },
	    [REC_ENCOUNTER] = { YES, OWN, OWN },
	    [REC_OBSERVATION] = { YES, NO, NONE },
	    [REC_FORM] = { YES, NO, NONE },
	    [REC_ALERT] = { YES, SCOPE, NO },
	    [REC_ATTACHMENT] = { YES, NO, NONE },
	    [REC_CONSULT] = { NO, YES, NO },
	    [REC_MERGE] = { SCOPE, NO, NONE },
	    [REC_CALL] = { YES, NO, NONE },
	    [REC_PRESCRIPTION] = { YES, NO, NONE },
	    [REC_REFERRAL] = { SCOPE, NO, NONE },
	    [REC_EMERGENCY] = { NO, SCOPE, NONE },
	    [REC_APPOINTMENT] = { SCOPE, OWN, NO },
	},
	[POLICY_ADMIN] = {
	    [REC_USER] = { YES, YES, YES },
	    [REC_PATIENT] = { NO, YES, YES },
	    [REC_ENCOUNTER] = { NO, YES, YES },
	    [REC_OBSERVATION] = { NO, NO, NONE },
	    [REC_FORM] = { NO, NO, NONE },
	    [REC_ALERT] = { NO, YES, YES },
	    [REC_ATTACHMENT] = { NO, NO, NONE },
	    [REC_CONSULT] = { NO, NO, NO },
	    [REC_MERGE] = { YES, NO, NONE },
	    [REC_CALL] = { NO, NO, NONE },
	    [REC_PRESCRIPTION] = { NO, NO, NONE },
	    [REC_REFERRAL] = { NO, NO, NONE },
	    [REC_EMERGENCY] = { NO, YES, NONE },
	    [REC_APPOINTMENT] = { NO, NO, NO },
	},
};

static const char *const policy_roles[POLICY_ROLES] = {
	[POLICY_CLINIC] = "clinic",
	[POLICY_HUB] = "hub",
	[POLICY_ADMIN] = "admin",
};

static const char *const policy_ops[POLICY_OPS] = {
	[POLICY_CREATE] = "create",
	[POLICY_EDIT] = "edit",
	[POLICY_DELETE] = "soft-delete",
};

static const char *const policy_rules[] = {
	[POLICY_NO] = "no",
	[POLICY_YES] = "yes",
	[POLICY_OWN] = "own",
	[POLICY_SCOPE] = "scope",
	[POLICY_NONE] = "-",
};

/* The field that names a record's patient; 0: it has none (a patient
 * is its own). */
static const uint64_t policy_patient_keys[REC_ENTITY_MAX + 1] = {
	[REC_ENCOUNTER] = REC_ENC_PATIENT,
	[REC_OBSERVATION] = REC_OBS_PATIENT,
	[REC_FORM] = REC_FORM_PATIENT,
	[REC_ALERT] = REC_ALERT_PATIENT,
	[REC_CONSULT] = REC_CONSULT_PATIENT,
	[REC_REFERRAL] = REC_REF_PATIENT,
	[REC_EMERGENCY] = REC_EMERG_PATIENT,
	[REC_APPOINTMENT] = REC_APPT_PATIENT,
	/* a merge is served with the record it retires */
	[REC_MERGE] = REC_MERGE_DUPLICATE,
	/* an order reaches the patient's kiosk by the patient's scope */
	[REC_PRESCRIPTION] = REC_RX_PATIENT,
};

int
policy_role(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(policy_roles); i++)
		if (strcmp(name, policy_roles[i]) == 0)
			return (int)i;
	return -1;
}

const char *
policy_role_name(int role)
{
	return role >= 0 && role < POLICY_ROLES ? policy_roles[role] : "?";
}

const char *
policy_op_name(int op)
{
	return op >= 0 && op < POLICY_OPS ? policy_ops[op] : "?";
}

const char *
policy_rule_name(int rule)
{
	return rule >= 0 && rule < (int)nitems(policy_rules)
	    ? policy_rules[rule]
	    : "?";
}

int
policy_rule(int role, int entity, int op)
{
	if (role < 0 || role >= POLICY_ROLES || entity <= 0 ||
	    entity > REC_ENTITY_MAX || op < 0 || op >= POLICY_OPS ||
	    model_entity(entity) == NULL)
		return POLICY_NO;
	return policy_table[role][entity][op];
}

/* What a consult change says about its lifecycle. */
static void
policy_read_consult(const struct model_rec *r, struct sconsult *cs)
{
	static const uint64_t request_keys[] = { REC_CONSULT_REASON,
		REC_CONSULT_URGENCY, REC_CONSULT_MODE };
	static const uint64_t note_keys[] = { REC_CONSULT_ACCEPTED,
		REC_CONSULT_SUBJECTIVE, REC_CONSULT_OBJECTIVE,
		REC_CONSULT_ASSESSMENT, REC_CONSULT_PLAN, REC_CONSULT_SIGNED,
		REC_CONSULT_SIG, REC_CONSULT_ADVICE, REC_CONSULT_SIGNKEY,
		REC_CONSULT_REGNO, REC_CONSULT_CLINICIAN_NAME };
	const struct model_value *v;
	size_t i;

	memset(cs, 0, sizeof(*cs));
	if ((v = model_get(r, REC_CONSULT_STATE)) != NULL && !v->null) {
		cs->has_state = 1;
		snprintf(cs->state, sizeof(cs->state), "%s", v->text);
	}
	if ((v = model_get(r, REC_CONSULT_CLINICIAN)) != NULL) {
		cs->has_clinician = 1;
		if (!v->null)
			snprintf(cs->clinician, sizeof(cs->clinician), "%s",
			    v->text);
	}
	if ((v = model_get(r, REC_CONSULT_HANDED_TO)) != NULL) {
		cs->has_handed = 1;
		if (!v->null)
			snprintf(cs->handed_to, sizeof(cs->handed_to), "%s",
			    v->text);
	}
	if ((v = model_get(r, REC_CONSULT_URGENCY)) != NULL && !v->null) {
		cs->has_urgency = 1;
		cs->urgency = v->u;
	}
	if ((v = model_get(r, REC_CONSULT_REQUESTED)) != NULL && !v->null)
		cs->requested_ms = v->u;
	for (i = 0; i < nitems(request_keys); i++)
		if (model_get(r, request_keys[i]) != NULL)
			cs->request = 1;
	for (i = 0; i < nitems(note_keys); i++)
		if (model_get(r, note_keys[i]) != NULL)
			cs->note = 1;
}

/* The text of KEY in R, "" when absent or null. */
static const char *
policy_text(const struct model_rec *r, uint64_t key)
{
	const struct model_value *v = model_get(r, key);

	return v != NULL && !v->null && v->text != NULL ? v->text : "";
}

/*
 * A change that carries a consult note's signature carries what was
 * signed, whole (kiosk/store/consult.c, store_consult_sign): the
 * signer, their key, registration number, the four SOAP texts and the
 * signing time.  The Ed25519 signature must verify over those bytes
 * (model/consult.h); else the change is refused with the reason, and
 * nothing of it is kept.  0, or 1 with V set.
 */
static int
policy_consult_sig(
    const struct model_rec *r, const uint8_t id[16], struct sverdict *v)
{
	const struct model_value *sig, *key, *at;
	struct consult_note n;
	struct uuid u;
	char idtext[UUID_STRLEN + 1];
	uint8_t *msg = NULL;
	size_t len;
	int rc;

	if ((sig = model_get(r, REC_CONSULT_SIG)) == NULL || sig->null)
		return 0;
	v->code = WERR_INVALID_CHANGE;
	key = model_get(r, REC_CONSULT_SIGNKEY);
	at = model_get(r, REC_CONSULT_SIGNED);
	if (sig->len != 64 || key == NULL || key->null || key->len != 32 ||
	    at == NULL || at->null ||
	    policy_text(r, REC_CONSULT_CLINICIAN)[0] == '\0') {
		snprintf(v->why, sizeof(v->why),
		    "a signed note carries its signer, key and time with "
		    "its signature");
		return 1;
	}
	memcpy(u.b, id, 16);
	uuid_format(&u, idtext);
	memset(&n, 0, sizeof(n));
	n.consult_id = idtext;
	n.clinician = policy_text(r, REC_CONSULT_CLINICIAN);
	n.regno = policy_text(r, REC_CONSULT_REGNO);
	n.subjective = policy_text(r, REC_CONSULT_SUBJECTIVE);
	n.objective = policy_text(r, REC_CONSULT_OBJECTIVE);
	n.assessment = policy_text(r, REC_CONSULT_ASSESSMENT);
	n.plan = policy_text(r, REC_CONSULT_PLAN);
	n.signed_ms = at->u;
	if (consult_sig_bytes(&n, &msg, &len) != 0) {
		snprintf(
		    v->why, sizeof(v->why), "the signed note is unreadable");
		return 1;
	}
	rc = crypto_ed25519_verify(key->p, msg, len, sig->p);
	free(msg);
	if (rc != 0) {
		snprintf(v->why, sizeof(v->why),
		    "the note's signature does not verify with its key "
		    "(changed after signing, or signed with another key)");
		return 1;
	}
	v->code = 0;
	return 0;
}

/* The text of KEY in R, NULL when absent or null. */
static const char *
policy_text_null(const struct model_rec *r, uint64_t key)
{
	const struct model_value *v = model_get(r, key);

	return v != NULL && !v->null && v->text != NULL ? v->text : NULL;
}

/* The user id of KEY in R as text (a UUID's text form), "" if none. */
static void
policy_referral_user(
    const struct model_rec *r, uint64_t key, char *out, size_t size)
{
	const char *t = policy_text_null(r, key);
	char text[UUID_STRLEN + 1];
	struct uuid u;

	out[0] = '\0';
	if (t != NULL && uuid_parse(t, &u) == 0) {
		uuid_format(&u, text);
		snprintf(out, size, "%s", text);
	}
}

/*
 * What a referral fact says (model/referral.h), checked for the fields
 * its kind needs; -1 with WHY (naming keys, never values) when it lacks
 * one.  A request puts its patient in the target facility's scope.
 */
static int
policy_read_referral(
    const struct model_rec *r, struct schange *c, char *why, size_t whysz)
{
	struct sreferral *rf = &c->referral;
	const char *kind = policy_text_null(r, REC_REF_KIND);
	const char *from = policy_text_null(r, REC_REF_FROM);
	const char *target = policy_text_null(r, REC_REF_TARGET);
	const char *role = policy_text_null(r, REC_REF_REQ_ROLE);
	const char *ref = policy_text_null(r, REC_REF_REFERRAL);
	const char *outcome = policy_text_null(r, REC_REF_OUTCOME);
	const struct model_value *due = model_get(r, REC_REF_DUE);
	struct uuid u;

	memset(rf, 0, sizeof(*rf));
	c->is_referral = 1;
	rf->state = -1;
	if (!c->has_patient || from == NULL || target == NULL ||
	    from[0] == '\0' || target[0] == '\0' || ref == NULL ||
	    uuid_parse(ref, &u) != 0 || kind == NULL)
		return snprintf(why, whysz,
		           "a referral fact needs keys 10, 11, 12, 13 and 14"),
		       -1;
	snprintf(rf->from, sizeof(rf->from), "%s", from);
	snprintf(rf->target, sizeof(rf->target), "%s", target);
	memcpy(rf->referral, u.b, 16);
	if (strcmp(kind, "request") == 0) {
		rf->request = 1;
		if (memcmp(u.b, c->id, 16) != 0 || strcmp(from, target) == 0 ||
		    due == NULL || due->null || due->u == 0 || role == NULL ||
		    (strcmp(role, "chw") != 0 &&
		        strcmp(role, "clinician") != 0) ||
		    !referral_urgency_valid(
		        policy_text_null(r, REC_REF_URGENCY)) ||
		    policy_text_null(r, REC_REF_REASON) == NULL ||
		    policy_text_null(r, REC_REF_STATE) != NULL)
			return snprintf(why, whysz,
			           "a referral request: 11 its own id, 14 another "
			           "facility, 15-17 and 19 valid, no 21"),
			       -1;
		snprintf(rf->role, sizeof(rf->role), "%s", role);
		rf->has_consult = policy_text_null(r, REC_REF_CONSULT) != NULL;
		policy_referral_user(
		    r, REC_REF_REQUESTER, rf->by, sizeof(rf->by));
		snprintf(
		    c->scope_facility, sizeof(c->scope_facility), "%s", target);
		return 0;
	}
	if (strcmp(kind, "step") != 0 || memcmp(u.b, c->id, 16) == 0)
		return snprintf(why, whysz,
		           "a referral fact is a request or a step (10) of "
		           "another record (11)"),
		       -1;
	rf->state =
	    referral_state_from_name(policy_text_null(r, REC_REF_STATE));
	if (referral_state_side(rf->state) == 0)
		return snprintf(why, whysz, "unknown referral step state (21)"),
		       -1;
	if ((rf->state == REF_FOLLOW_UP) != (outcome != NULL) ||
	    (outcome != NULL && !referral_outcome_valid(outcome)))
		return snprintf(why, whysz,
		           "a follow-up step, and only it, carries a known "
		           "outcome (24)"),
		       -1;
	if (rf->state == REF_REJECTED &&
	    policy_text_null(r, REC_REF_STATE_REASON) == NULL)
		return snprintf(
		           why, whysz, "a rejection carries its reason (22)"),
		       -1;
	policy_referral_user(r, REC_K_BY, rf->by, sizeof(rf->by));
	return 0;
}

/* The names a user's change gives them by (backend.h, schange.staff):
 * a clinician's schedule names them by one of these. */
static void
policy_read_staff(const struct model_rec *r, struct schange *c)
{
	static const uint64_t keys[2] = { REC_USER_NAME, REC_USER_REGNO };
	const char *t;
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if ((t = policy_text_null(r, keys[i])) != NULL &&
		    strlen(t) < sizeof(c->staff[i]))
			snprintf(c->staff[i], sizeof(c->staff[i]), "%s", t);
}

void
policy_read(struct schange *c, struct sverdict *v)
{
	const struct model_entity *e = model_entity(c->entity);
	const struct model_value *val;
	struct model_rec r;
	struct uuid u;
	uint64_t key;

	memset(&r, 0, sizeof(r));
	if (!wire_plain(c->body, c->len)) {
		v->code = WERR_INVALID_CHANGE;
		snprintf(v->why, sizeof(v->why),
		    "the body is not plain CBOR (tags, indefinite lengths,"
		    " nesting over 16)");
		return;
	}
	if (e == NULL) {
		v->code = WERR_INVALID_CHANGE;
		snprintf(
		    v->why, sizeof(v->why), "unknown entity %d", c->entity);
		return;
	}
	if (model_check(
	        e, c->body, c->len, c->id, &r, v->why, sizeof(v->why)) != 0) {
		v->code = WERR_INVALID_CHANGE;
		goto out;
	}
	c->deletes = model_get(&r, REC_K_DELETED) != NULL;
	if (c->entity == REC_PATIENT) {
		memcpy(c->patient, c->id, 16);
		c->has_patient = 1;
	} else if ((key = policy_patient_keys[c->entity]) != 0 &&
	    (val = model_get(&r, key)) != NULL && !val->null &&
	    uuid_parse(val->text, &u) == 0) {
		memcpy(c->patient, u.b, 16);
		c->has_patient = 1;
	}
	/* A registration and a visit bring the patient into the facility's
	 * scope; an observation or an alert alone does not.  A consult
	 * brings them into the scope of the region's hubs. */
	c->widens = c->entity == REC_PATIENT || c->entity == REC_ENCOUNTER;
	c->hub_scope = c->is_consult = c->entity == REC_CONSULT;
	if (c->is_consult) {
		policy_read_consult(&r, &c->consult);
		policy_consult_sig(&r, c->id, v);
	}
	if (c->entity == REC_APPOINTMENT &&
	    (val = model_get(&r, REC_APPT_SLOT)) != NULL && !val->null)
		c->appt_slot = val->u;
	if (c->entity == REC_USER && !c->deletes)
		policy_read_staff(&r, c);
	if (c->entity == REC_PRESCRIPTION)
		rx_check_pushed(&r, v); /* issue 14: checked again here */
	if (c->entity == REC_REFERRAL &&
	    policy_read_referral(&r, c, v->why, sizeof(v->why)) != 0)
		v->code = WERR_REFERRAL_INVALID;
out:
	model_rec_clear(&r);
}

/*
 * A new user is created on the node they work on: their role must be one
 * that node's role takes (model/role.h; issue 17).  Edits are not
 * checked: an admin node corrects users of its region.  0 with V set
 * (forbidden) when it does not fit.
 */
static int
policy_user_role_fits(
    const struct snode *pusher, const struct schange *c, struct sverdict *v)
{
	const struct model_value *role;
	struct model_rec r;
	int ok = 1;

	if (model_decode(model_entity(REC_USER), c->body, c->len, &r) != 0) {
		model_rec_clear(&r);
		return 1; /* policy_read checked it already */
	}
	if ((role = model_get(&r, REC_USER_ROLE)) != NULL && !role->null &&
	    !rec_role_node_ok((int)role->u, pusher->role)) {
		v->code = WERR_FORBIDDEN;
		snprintf(v->why, sizeof(v->why),
		    "a user of role %s is not made on a %s node (%s only)",
		    rec_role_name((int)role->u), pusher->role,
		    rec_role_nodes((int)role->u));
		ok = 0;
	}
	model_rec_clear(&r);
	return ok;
}

void
policy_authorize(const struct snode *pusher, const struct schange *c,
    const struct sfacts *f, struct sverdict *v)
{
	int role = policy_role(pusher->role), op, rule, ok;

	op = !f->exists  ? POLICY_CREATE
	    : c->deletes ? POLICY_DELETE
	                 : POLICY_EDIT;
	rule = policy_rule(role, c->entity, op);
	switch (rule) {
	case POLICY_YES:
		ok = op == POLICY_CREATE ||
		    strcmp(f->region, pusher->region) == 0;
		break;
	case POLICY_OWN:
	case POLICY_SCOPE:
		/* a new record under SCOPE (a merge): its patient must be
		 * one the pusher's facility holds */
		if (op == POLICY_CREATE && rule == POLICY_SCOPE) {
			ok = f->in_scope;
			break;
		}
		ok = strcmp(f->region, pusher->region) == 0 &&
		    (strcmp(f->facility, pusher->facility) == 0 ||
		        (rule == POLICY_SCOPE && f->in_scope));
		break;
	default:
		ok = 0;
	}
	if (ok && op == POLICY_CREATE && c->entity == REC_USER &&
	    !policy_user_role_fits(pusher, c, v))
		return;
	if (ok) {
		policy_consult_step(pusher, c, f, v);
		policy_referral_step(pusher, c, f, v);
		return;
	}
	v->code = WERR_FORBIDDEN;
	if (rule == POLICY_NO || rule == POLICY_NONE)
		snprintf(v->why, sizeof(v->why),
		    "role %s may not %s %s records", policy_role_name(role),
		    policy_op_name(op), rec_entity_name(c->entity));
	else
		snprintf(v->why, sizeof(v->why), "role %s may %s %s records %s",
		    policy_role_name(role), policy_op_name(op),
		    rec_entity_name(c->entity),
		    rule == POLICY_OWN ? "of its own facility only"
		        : rule == POLICY_SCOPE
		        ? "of its facility or its patients only"
		        : "of its region only");
}

/* The lifecycle states of a consult (model/record.h). */
static int
policy_state_is(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static const char *const consult_states[] = { "requested", "accepted", "call",
	"signed", "closed", "cancelled", "failed", NULL };
static const char *const consult_open[] = { "accepted", "call", NULL };
static const char *const consult_over[] = { "closed", "cancelled", "failed",
	NULL };

#define STEP(...) (snprintf(v->why, sizeof(v->why), __VA_ARGS__), 0)

/* May a clinic node take this step?  0 with V's reason if not. */
static int
policy_consult_clinic(const struct sconsult *cs, const char *cur,
    const char *next, struct sverdict *v)
{
	if (cs->note || cs->has_clinician || cs->has_handed) {
		v->code = WERR_FORBIDDEN;
		return STEP("only a clinician writes a consult's note, "
		            "signature or clinician");
	}
	if (strcmp(next, cur) == 0)
		return strcmp(cur, "requested") == 0 || !cs->request ||
		    STEP("a consult's request is changed only while queued");
	if (strcmp(next, "cancelled") == 0 &&
	    (strcmp(cur, "requested") == 0 ||
	        policy_state_is(cur, consult_open)))
		return 1;
	if (strcmp(next, "closed") == 0 && strcmp(cur, "signed") == 0)
		return 1;
	return STEP("a clinic may not move a consult from %s to %s", cur, next);
}

/* May hub node PUSHER take this step? */
static int
policy_consult_hub(uint64_t pusher, const struct sconsult *cs,
    const struct sfacts *f, const char *next, struct sverdict *v)
{
	const char *cur = f->consult_state;

	if (cs->request)
		return STEP("a hub may not change a consult's request");
	if (strcmp(cur, "requested") == 0) {
		if (strcmp(next, "accepted") != 0)
			return STEP("a queued consult is accepted first");
		if (!cs->has_clinician || cs->clinician[0] == '\0')
			return STEP("an accept names its clinician");
		if (f->consult_handed[0] != '\0' &&
		    strcmp(f->consult_handed, cs->clinician) != 0) {
			v->code = WERR_CONSULT_TAKEN;
			return STEP("this consult was handed to another "
			            "clinician");
		}
		return 1;
	}
	if (policy_state_is(cur, consult_open) && f->consult_node != pusher) {
		v->code = WERR_CONSULT_TAKEN;
		return STEP("another clinician accepted this consult first");
	}
	if (strcmp(cur, "accepted") == 0 && strcmp(next, "accepted") == 0)
		return 1;
	if (policy_state_is(cur, consult_open) &&
	    (strcmp(next, "call") == 0 || strcmp(next, "signed") == 0 ||
	        strcmp(next, "requested") == 0 || strcmp(next, "failed") == 0))
		return 1;
	if (strcmp(cur, "signed") == 0 && strcmp(next, "signed") == 0 &&
	    f->consult_node == pusher && !cs->note)
		return 1;
	return STEP("a hub may not move a consult from %s to %s", cur, next);
}

void
policy_consult_step(const struct snode *pusher, const struct schange *c,
    const struct sfacts *f, struct sverdict *v)
{
	const struct sconsult *cs = &c->consult;
	const char *next;
	int role = policy_role(pusher->role), ok;

	if (c->entity != REC_CONSULT || v->code != 0)
		return;
	if (cs->has_state && !policy_state_is(cs->state, consult_states)) {
		v->code = WERR_INVALID_CHANGE;
		snprintf(v->why, sizeof(v->why), "unknown consult state");
		return;
	}
	if (!f->exists) {
		ok = (!cs->has_state || strcmp(cs->state, "requested") == 0) &&
		    !cs->note && !cs->has_clinician && !cs->has_handed;
		if (!ok) {
			v->code = WERR_CONSULT_STEP;
			snprintf(v->why, sizeof(v->why),
			    "a consult is created as requested, with no note");
		}
		return;
	}
	if (f->consult_state[0] == '\0')
		return; /* indexed before consults had a queue */
	if (c->deletes)
		return; /* the table decides */
	next = cs->has_state ? cs->state : f->consult_state;
	if (policy_state_is(f->consult_state, consult_over)) {
		v->code = WERR_CONSULT_STEP;
		snprintf(v->why, sizeof(v->why), "the consult is %s already",
		    f->consult_state);
		return;
	}
	v->code = WERR_CONSULT_STEP;
	ok = role == POLICY_CLINIC
	    ? policy_consult_clinic(cs, f->consult_state, next, v)
	    : role == POLICY_HUB
	    ? policy_consult_hub(pusher->id, cs, f, next, v)
	    : STEP("role %s may not change consults", policy_role_name(role));
	if (ok) {
		v->code = 0;
		v->why[0] = '\0';
	}
}

int
policy_pull_scope(const struct snode *node)
{
	return policy_role(node->role) == POLICY_ADMIN ? SPULL_REGION
	                                               : SPULL_FACILITY;
}

/*
 * The request of referral step C as the server holds it (F: the store's,
 * accepted before or earlier in the batch), read as a pushed request is:
 * 0 with *REQ, or -1 when the server does not hold it.
 */
static int
policy_referral_request(
    const struct schange *c, const struct sfacts *f, struct sreferral *req)
{
	struct schange rc;
	struct sverdict v;

	if (f == NULL || f->ref_request == NULL)
		return -1;
	memset(&rc, 0, sizeof(rc));
	memset(&v, 0, sizeof(v));
	rc.entity = REC_REFERRAL;
	memcpy(rc.id, c->referral.referral, 16);
	rc.body = f->ref_request;
	rc.len = f->ref_request_len;
	policy_read(&rc, &v);
	if (v.code != 0 || !rc.is_referral || !rc.referral.request)
		return -1;
	*req = rc.referral;
	return 0;
}

/* Refuse referral step C of PUSHER with CODE, and say so in the log
 * (the node, the state and the rule: no patient data). */
static void
policy_referral_refuse(const struct snode *pusher, const struct schange *c,
    int code, struct sverdict *v, const char *why)
{
	v->code = code;
	snprintf(v->why, sizeof(v->why), "%s", why);
	if (code == WERR_REFERRAL_PARTY)
		log_warnx("node %" PRIu64 " (%s): a referral step (%s) "
		          "refused, referral_party: %s",
		    pusher->id, pusher->facility,
		    referral_state_name(c->referral.state), why);
}

void
policy_referral_step(const struct snode *pusher, const struct schange *c,
    const struct sfacts *f, struct sverdict *v)
{
	const struct sreferral *rf = &c->referral;
	struct sreferral req;
	int role = policy_role(pusher->role), side, ok;
	char why[sizeof(v->why)];

	if (!c->is_referral || v->code != 0)
		return;
	if (rf->request) {
		if (strcmp(rf->from, pusher->facility) != 0) {
			v->code = WERR_REFERRAL_SIDE;
			snprintf(v->why, sizeof(v->why),
			    "a referral is made from the pushing node's own "
			    "facility (13)");
		} else if (role == POLICY_HUB &&
		    (strcmp(rf->role, "clinician") != 0 || !rf->has_consult)) {
			v->code = WERR_REFERRAL_REQUESTER;
			snprintf(v->why, sizeof(v->why),
			    "a hub refers as a clinician, from a consult (20)");
		} else if (strcmp(rf->role, "clinician") == 0 &&
		    !rf->has_consult) {
			v->code = WERR_REFERRAL_REQUESTER;
			snprintf(v->why, sizeof(v->why),
			    "a clinician refers from a consult (20)");
		}
		return;
	}
	side = referral_state_side(rf->state);
	if (policy_referral_request(c, f, &req) == 0) {
		/* Judged against the request the server holds, not against
		 * what the step says of itself. */
		if (strcmp(rf->from, req.from) != 0 ||
		    strcmp(rf->target, req.target) != 0) {
			policy_referral_refuse(pusher, c, WERR_REFERRAL_PARTY,
			    v,
			    "the step names other facilities (13, 14) than "
			    "its request");
			return;
		}
		if (side == REFERRAL_TARGET)
			ok = strcmp(req.target, pusher->facility) == 0;
		else
			ok = strcmp(req.from, pusher->facility) == 0 ||
			    (rf->by[0] != '\0' && strcmp(rf->by, req.by) == 0);
		if (ok)
			return;
		snprintf(why, sizeof(why),
		    "only the request's %s records a referral as %s",
		    side == REFERRAL_TARGET ? "target facility"
		                            : "referring facility or user",
		    referral_state_name(rf->state));
		policy_referral_refuse(pusher, c, WERR_REFERRAL_PARTY, v, why);
		return;
	}
	/* Not held (yet): judged by its own fields (docs/PROTOCOL.md
	 * §4.3: every reader checks it against the request later). */
	if (strcmp(side == REFERRAL_TARGET ? rf->target : rf->from,
	        pusher->facility) != 0) {
		v->code = WERR_REFERRAL_SIDE;
		snprintf(v->why, sizeof(v->why),
		    "only the %s facility records a referral as %s",
		    side == REFERRAL_TARGET ? "target" : "referring",
		    referral_state_name(rf->state));
	}
}

int
policy_admin_query(const struct snode *node, const char *region)
{
	if (policy_role(node->role) != POLICY_ADMIN)
		return WERR_NOT_ADMIN;
	if (region != NULL && strcmp(region, node->region) != 0)
		return WERR_OUT_OF_REGION;
	return 0;
}
