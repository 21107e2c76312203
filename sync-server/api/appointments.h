/*
 * What api/appointments.c (issue 15) offers the push route: act on the
 * appointment records (entity 10) a push stored, as their requests would
 * (docs/PROTOCOL.md §11, the offline path).
 */
#ifndef SYNC_SERVER_API_APPOINTMENTS_H
#define SYNC_SERVER_API_APPOINTMENTS_H

#include "sync-server/server.h"

void api_appt_pushed(struct request *, const struct spush *);

#endif
