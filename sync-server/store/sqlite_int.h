/*
 * What sqlite.c shares with its tests only: the pull statements, so that
 * tests/sync-server/store/test_sqlite.c can check SQLite's plan for them.
 */
#ifndef SQLITE_INT_H
#define SQLITE_INT_H

/* Region-wide pull (admin nodes) and facility-scoped pull (clinic, hub). */
extern const char sq_pull_region[];
extern const char sq_pull_facility[];

#endif
