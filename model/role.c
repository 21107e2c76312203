/*
 * The user-role table of role.h.  Why these cells: docs/SECURITY.md,
 * "Roles and the access matrix".
 */
#include <string.h>

#include "role.h"

struct role_row {
	const char *name;
	int clinic, hub, admin; /* may use a node of that role */
	const char *nodes;
};

static const struct role_row role_rows[REC_ROLE_MAX + 1] = {
	[REC_ROLE_CHW] = { "chw", 1, 0, 0, "clinic" },
	[REC_ROLE_CLINICIAN] = { "clinician", 1, 1, 0, "clinic or hub" },
	[REC_ROLE_FACILITY_ADMIN] = { "facility-admin", 1, 1, 1,
	    "clinic, hub or admin" },
	[REC_ROLE_REGIONAL_ADMIN] = { "regional-admin", 0, 0, 1, "admin" },
};

const char *
rec_role_name(int role)
{
	return role >= 1 && role <= REC_ROLE_MAX ? role_rows[role].name
	                                         : "unknown";
}

int
rec_role_from_name(const char *name)
{
	int i;

	if (strcmp(name, "admin") == 0)
		return REC_ROLE_FACILITY_ADMIN;
	for (i = 1; i <= REC_ROLE_MAX; i++)
		if (strcmp(name, role_rows[i].name) == 0)
			return i;
	return 0;
}

int
rec_role_node_ok(int role, const char *node_role)
{
	const struct role_row *r;

	if (role < 1 || role > REC_ROLE_MAX || node_role == NULL)
		return 0;
	r = &role_rows[role];
	if (strcmp(node_role, "clinic") == 0)
		return r->clinic;
	if (strcmp(node_role, "hub") == 0)
		return r->hub;
	if (strcmp(node_role, "admin") == 0)
		return r->admin;
	return 0;
}

const char *
rec_role_nodes(int role)
{
	return role >= 1 && role <= REC_ROLE_MAX ? role_rows[role].nodes : "";
}
