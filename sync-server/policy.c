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

#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "model.h"
#include "protocol.h"
#include "record.h"
#include "sync-server/policy.h"
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
	    [REC_CALL] = { YES, NO, NONE },
	},
	[POLICY_HUB] = {
	    [REC_USER] = { YES, OWN, OWN },
	    [REC_PATIENT] = { NO, NO, NO },
	    [REC_ENCOUNTER] = { YES, OWN, OWN },
	    [REC_OBSERVATION] = { YES, NO, NONE },
	    [REC_FORM] = { YES, NO, NONE },
	    [REC_ALERT] = { YES, SCOPE, NO },
	    [REC_ATTACHMENT] = { YES, NO, NONE },
	    [REC_CALL] = { YES, NO, NONE },
	},
	[POLICY_ADMIN] = {
	    [REC_USER] = { YES, YES, YES },
	    [REC_PATIENT] = { NO, YES, YES },
	    [REC_ENCOUNTER] = { NO, YES, YES },
	    [REC_OBSERVATION] = { NO, NO, NONE },
	    [REC_FORM] = { NO, NO, NONE },
	    [REC_ALERT] = { NO, YES, YES },
	    [REC_ATTACHMENT] = { NO, NO, NONE },
	    [REC_CALL] = { NO, NO, NONE },
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
	 * scope; an observation or an alert alone does not. */
	c->widens = c->entity == REC_PATIENT || c->entity == REC_ENCOUNTER;
out:
	model_rec_clear(&r);
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
		ok = strcmp(f->region, pusher->region) == 0 &&
		    (strcmp(f->facility, pusher->facility) == 0 ||
		        (rule == POLICY_SCOPE && f->in_scope));
		break;
	default:
		ok = 0;
	}
	if (ok)
		return;
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

int
policy_pull_scope(const struct snode *node)
{
	return policy_role(node->role) == POLICY_ADMIN ? SPULL_REGION
	                                               : SPULL_FACILITY;
}
