/*
 * The routes table: one line per api_<name>.c, listed by hand.  Paths are
 * matched exactly; docs/PROTOCOL.md documents each.
 */
#include <stddef.h>
#include <string.h>

#include "server.h"

extern const struct route api_health;
extern const struct route api_enroll;
extern const struct route api_push;
extern const struct route api_pull;
extern const struct route api_blob;
extern const struct route api_consults;
extern const struct route api_licences;
extern const struct route api_appointments;
extern const struct route api_slots;
extern const struct route api_figures;
extern const struct route api_admin_export;
extern const struct route api_emergency;
extern const struct route api_roster;
extern const struct route api_gw_dlr;
extern const struct route api_gw_inbound;
extern const struct route api_audit;
extern const struct route api_breakglass;
extern const struct route api_waitlist;
extern const struct route api_breakglass_search;

const struct route *const routes[] = {
	&api_health,
	&api_enroll,
	&api_push,
	&api_pull,
	&api_blob,
	&api_consults,
	&api_licences,
	&api_appointments,
	&api_slots,
	&api_figures,
	&api_admin_export,
	&api_emergency,
	&api_roster,
	&api_gw_dlr,
	&api_gw_inbound,
	&api_audit,
	&api_breakglass,
	&api_waitlist,
	&api_breakglass_search,
	NULL,
};

const struct route *
route_find(const char *path)
{
	size_t i;

	for (i = 0; routes[i] != NULL; i++)
		if (strcmp(routes[i]->path, path) == 0)
			return routes[i];
	return NULL;
}
