/*
 * The four user roles (issue 17; docs/SECURITY.md "Roles and the access
 * matrix"): the numbers REC_USER_ROLE carries, their names, and which
 * node roles (the enrolment token's clinic, hub, admin) each may use.
 * Both programs read this one table: the kiosk when a user is added, the
 * access-matrix test when it mounts each user role through its nodes.
 */
#ifndef MODEL_ROLE_H
#define MODEL_ROLE_H

enum rec_role {
	REC_ROLE_CHW = 1,
	REC_ROLE_CLINICIAN = 2,
	/* 3 was "admin" before issue 17: the same facility administrator */
	REC_ROLE_FACILITY_ADMIN = 3,
	REC_ROLE_REGIONAL_ADMIN = 4,
	REC_ROLE_MAX = 4,
};

/* "chw", "clinician", "facility-admin", "regional-admin"; "unknown". */
const char *rec_role_name(int role);
/* The role of NAME (also "admin": a facility admin), 0 when unknown. */
int rec_role_from_name(const char *name);
/* May a user of ROLE work on a node enrolled as NODE_ROLE ("clinic",
 * "hub", "admin")?  1 or 0 (0 for an unknown role or node role). */
int rec_role_node_ok(int role, const char *node_role);
/* The node roles ROLE may use, as text ("clinic or hub"), for messages. */
const char *rec_role_nodes(int role);

#endif
