/*
 * `sync-server admin schedule` (sched_admin.c): a clinician's weekly hours
 * at a facility, and the slots they give, in the facility's zone.
 */
#ifndef SYNC_SERVER_SCHED_ADMIN_H
#define SYNC_SERVER_SCHED_ADMIN_H

#include "sync-server/store/backend.h"

/* ARGV[0] is "schedule"; returns the exit status (0, 1 failed, 2 usage). */
int sched_admin(
    const struct store_backend *, struct sstore *, int argc, char **argv);

#endif
