/*
 * The partners' tables' statements (issue 16, backend.h "Partners"),
 * written once for both backends ($n placeholders: SQLite numbers them
 * in order of first use, as PostgreSQL does).  SQLCipher 3.4 (SQLite
 * 3.15) has neither ON CONFLICT DO NOTHING nor RETURNING: SQLite inserts
 * OR IGNORE and reads sqlite3_changes().
 */
#ifndef SYNC_SERVER_STORE_PARTNER_SQL_H
#define SYNC_SERVER_STORE_PARTNER_SQL_H

#define PARTNER_COLS "id, region, url, format, secret, added_ms"
#define PARTNER_INS_COLS                                                       \
	"(region, url, format, secret, added_ms) VALUES($1, $2, $3, $4, $5)"
#define PARTNER_SQ_ADD "INSERT OR IGNORE INTO partners" PARTNER_INS_COLS
#define PARTNER_PG_ADD                                                         \
	"INSERT INTO partners" PARTNER_INS_COLS                                \
	" ON CONFLICT(region, url, format) DO NOTHING RETURNING id"
#define PARTNER_SQL_LIST                                                       \
	"SELECT " PARTNER_COLS " FROM partners WHERE $1 = '' OR region = $1"   \
	" ORDER BY id"

#define PQ_COLS                                                                \
	"partner, incident, seq, kind, status, attempts, next_ms,"             \
	" created_ms, updated_ms, last_error, body"
#define PQ_INS                                                                 \
	"INTO partner_queue(" PQ_COLS ") VALUES($1, $2, $3, $4, $5, $6, $7,"   \
	" $8, $9, $10, $11)"
#define PQ_SQ_ADD "INSERT OR IGNORE " PQ_INS
#define PQ_PG_ADD                                                              \
	"INSERT " PQ_INS " ON CONFLICT(partner, incident, seq) DO NOTHING"     \
	" RETURNING 1::int8"
/* The pending messages due at $1, the oldest deadline first. */
#define PQ_SQL_DUE                                                             \
	"SELECT " PQ_COLS " FROM partner_queue WHERE status = 'pending'"       \
	" AND next_ms <= $1 ORDER BY next_ms, created_ms LIMIT 32"
#define PQ_SQL_OF                                                              \
	"SELECT " PQ_COLS " FROM partner_queue WHERE incident = $1"            \
	" ORDER BY partner, seq"
#define PQ_SQL_MARK                                                            \
	"UPDATE partner_queue SET status = $1, attempts = $2, next_ms = $3,"   \
	" updated_ms = $4, last_error = $5 WHERE partner = $6"                 \
	" AND incident = $7 AND seq = $8"

#endif
