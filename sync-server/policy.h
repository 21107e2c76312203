/*
 * What a node may push (issue 9, item 3): the check of each pushed body
 * against the record model (model/, the descriptors the kiosk writes
 * with), and the one authorisation table, role x entity x operation,
 * that docs/SECURITY.md shows and tests/sync-server/test_policy.c checks
 * against that document on a real server.
 *
 * A record's "facility" is the facility of the node that created it; a
 * patient's "scope" is the set of facilities that registered the patient
 * or recorded a visit (an encounter) for them.  The store keeps both
 * (struct sfacts); this file only decides.
 */
#ifndef SYNC_SERVER_POLICY_H
#define SYNC_SERVER_POLICY_H

#include "sync-server/store/backend.h"

enum policy_role {
	POLICY_CLINIC,
	POLICY_HUB,
	POLICY_ADMIN,
	POLICY_ROLES,
};

enum policy_op {
	POLICY_CREATE,
	POLICY_EDIT,
	POLICY_DELETE, /* any change that carries the soft-delete flag */
	POLICY_OPS,
};

enum policy_rule {
	POLICY_NO = 0, /* never */
	POLICY_YES, /* any record of the node's region */
	POLICY_OWN, /* records created by a node of the same facility */
	POLICY_SCOPE, /* OWN, or the record's patient is in the facility's
	               * scope (registered or visited there) */
	POLICY_NONE, /* the entity has no such operation: the body is refused
	              * by the model (invalid_change) before any rule */
};

/* The role's number, -1 for a name that is not a role. */
int policy_role(const char *name);
const char *policy_role_name(int role);
const char *policy_op_name(int op);
const char *policy_rule_name(int rule);
/* The table's cell; POLICY_NO for an entity without a descriptor. */
int policy_rule(int role, int entity, int op);

/*
 * Check change C against the model and read what the store needs from
 * its body (deletes, patient, widens).  A refusal sets V (code
 * WERR_INVALID_CHANGE, a reason naming keys, never values).
 */
void policy_read(struct schange *c, struct sverdict *v);

/* The store's authorize_cb: refuse (WERR_FORBIDDEN) what the table does
 * not allow PUSHER to do to the record F describes. */
void policy_authorize(const struct snode *pusher, const struct schange *c,
    const struct sfacts *f, struct sverdict *v);

/*
 * The lifecycle of a consult (issue 13; docs/PROTOCOL.md §4.2), called by
 * policy_authorize once the table allows the change: which states each
 * role may move a consult between, given the server's queue row in F.
 * WERR_CONSULT_TAKEN: another hub accepted it first (or it was handed to
 * another clinician); WERR_CONSULT_STEP: a step the lifecycle has not.
 */
void policy_consult_step(const struct snode *pusher, const struct schange *c,
    const struct sfacts *f, struct sverdict *v);

/*
 * A referral fact (issue 14; docs/PROTOCOL.md §4.3), once the table allows
 * it: a request is made from the pusher's own facility (a hub's only by a
 * clinician from a consult: WERR_REFERRAL_REQUESTER).  A step whose
 * request the server holds (F->ref_request) must name the request's
 * facilities and come from its target facility (receive, accept, reject,
 * seen...) or from its referring facility or requesting user (cancel,
 * follow-up): WERR_REFERRAL_PARTY, logged.  A step whose request it does
 * not hold yet (F NULL, or none) is taken by the side model/referral.h
 * gives its state, by its own fields (WERR_REFERRAL_SIDE).
 */
void policy_referral_step(const struct snode *pusher, const struct schange *c,
    const struct sfacts *f, struct sverdict *v);

/* What NODE pulls: SPULL_REGION (admin nodes) or SPULL_FACILITY (the
 * others, and any role this file does not know). */
int policy_pull_scope(const struct snode *node);

/*
 * May NODE run an admin query (an /v1/admin/ route, issue 17) over REGION
 * (NULL: its own)?  0, WERR_NOT_ADMIN (a clinic or hub node, or a role
 * this file does not know) or WERR_OUT_OF_REGION (another region: an
 * admin node's scope is the region it was enrolled in).
 */
int policy_admin_query(const struct snode *node, const char *region);

#endif
