/*
 * Moving a region's server store from the embedded SQLite file to
 * PostgreSQL (`sync-server --data DIR --store URI admin migrate`).
 */
#ifndef SYNC_SERVER_STORE_MIGRATE_H
#define SYNC_SERVER_STORE_MIGRATE_H

#include <stdint.h>
#include <stdio.h>

/*
 * Copy every row of DIR/server.db (SQLCipher, opened with the 32-byte
 * store KEY; NULL: unencrypted) into the PostgreSQL database CONNINFO
 * (its schema made first), in one transaction: nodes with their ids,
 * keys and high-water marks, tokens, batch keys with their exact stored
 * responses (replays stay byte-identical), the feed in its order, alerts
 * and metadata.  The feed era is not copied: the PostgreSQL store has its
 * own, so nodes holding a SQLite cursor re-pull their scope once.  One
 * line per table to REPORT.  EEXIST: the database already holds nodes or
 * changes; ENOENT: no server.db in DIR; EIO otherwise (logged).
 */
int store_migrate_sqlite_pg(
    const char *dir, const uint8_t *key, const char *conninfo, FILE *report);

#endif
