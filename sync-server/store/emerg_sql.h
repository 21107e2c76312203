/*
 * The emergency tables' statements (issue 16, backend.h "Emergencies"),
 * the merge rules written once for both backends (no min()/least()).
 * PostgreSQL's RETURNING says what happened; SQLite's sqlite3_changes().
 */
#ifndef SYNC_SERVER_STORE_EMERG_SQL_H
#define SYNC_SERVER_STORE_EMERG_SQL_H

/*
 * The merge of a new row (N: "excluded." on PostgreSQL, ":" for SQLite's
 * named parameters) into the stored one (O: "emerg_incidents." or "").
 * SQLCipher 3.4 (SQLite 3.15) has no UPSERT: SQLite inserts OR IGNORE,
 * then updates with the same expressions.
 */
/* The earliest non-zero of the stored and the new mark. */
#define EMERG_MINNZ(N, O, c)                                                   \
	" " c " = CASE WHEN " O c " = 0 THEN " N c " WHEN " N c                \
	" = 0 THEN " O c " WHEN " N c " < " O c " THEN " N c " ELSE " O c      \
	" END"
/* The new value of C wins only with a newer (or equal) state clock,
 * while the incident is not closed, and never undoes a yes unless it
 * closes the incident or knew of the yes (acked_ms: "help did not come",
 * paging again): a kiosk that has not heard of a yes given through the
 * gateway still says "paging". */
#define EMERG_NEWER(N, O, c)                                                   \
	" " c " = CASE WHEN " O "state IN ('arrived', 'cancelled') OR " N      \
	"state = '' OR " N "hlc < " O "hlc OR (" O "state = 'acknowledged'"    \
	" AND " N "state NOT IN ('arrived', 'cancelled') AND " N               \
	"acked_ms = 0) THEN " O c " ELSE " N c " END"
#define EMERG_SET(N, O)                                                        \
	" code = CASE WHEN " O "code = '' THEN " N "code ELSE " O "code END,"  \
	" node = CASE WHEN " O "node = 0 THEN " N "node ELSE " O               \
	"node END," EMERG_NEWER(N, O, "state") "," EMERG_NEWER(                \
	    N, O, "level") "," EMERG_NEWER(N, O,                               \
	    "loop") ","                                                        \
	            " modem = CASE WHEN " N "modem <> '' AND " N "hlc >= " O   \
	            "hlc"                                                      \
	            " THEN " N "modem ELSE " O "modem END,"                    \
	            " hlc = CASE WHEN " N "hlc > " O "hlc THEN " N             \
	            "hlc ELSE " O "hlc"                                        \
	            " END," EMERG_MINNZ(N, O, "raised_ms") "," EMERG_MINNZ(    \
	                N, O, "first_send_ms") "," EMERG_MINNZ(N, O,           \
	                "first_delivery_ms") "," EMERG_MINNZ(N, O,             \
	                "acked_ms") "," EMERG_MINNZ(N, O,                      \
	                "arrived_ms") "," EMERG_MINNZ(N, O,                    \
	                "ended_ms") ","                                        \
	                            " acked_by = CASE WHEN " O                 \
	                            "acked_by = '' THEN " N "acked_by"         \
	                            " ELSE " O "acked_by END,"                 \
	                            " eta_min = CASE WHEN " O                  \
	                            "eta_min = 0 THEN " N "eta_min"            \
	                            " ELSE " O "eta_min END,"                  \
	                            " eng = coalesce(" N "eng, " O             \
	                            "eng), updated_ms = " N "updated_ms,"      \
	                            " page = CASE WHEN " O "page = '' THEN " N \
	                            "page ELSE " O "page END"

#define EMERG_COLS                                                             \
	"id, code, node, state, level, loop, modem, hlc, raised_ms,"           \
	" first_send_ms, first_delivery_ms, acked_ms, arrived_ms, ended_ms,"   \
	" acked_by, eta_min, eng, updated_ms, page"

/* PostgreSQL: $1..$19 in EMERG_COLS order. */
#define EMERG_PG_UPSERT                                                        \
	"INSERT INTO emerg_incidents(" EMERG_COLS ") VALUES($1, $2, $3, $4,"   \
	" $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"    \
	" $19) ON CONFLICT(id) DO UPDATE SET" EMERG_SET("excluded.",           \
	    "emerg_incidents.") " RETURNING (xmax = 0)::int::int8"
/* SQLite: the same, named (:id, :code...). */
#define EMERG_SQ_INSERT                                                        \
	"INSERT OR IGNORE INTO emerg_incidents(" EMERG_COLS ") VALUES(:id,"    \
	" :code, :node, :state, :level, :loop, :modem, :hlc, :raised_ms,"      \
	" :first_send_ms, :first_delivery_ms, :acked_ms, :arrived_ms,"         \
	" :ended_ms, :acked_by, :eta_min, :eng, :updated_ms, :page)"
#define EMERG_SQ_UPDATE                                                        \
	"UPDATE emerg_incidents SET" EMERG_SET(":", "") " WHERE id = :id"

#define EMERG_SQL_SELECT "SELECT " EMERG_COLS " FROM emerg_incidents"
#define EMERG_SQL_GET EMERG_SQL_SELECT " WHERE id = $1"
#define EMERG_SQL_OPEN                                                         \
	EMERG_SQL_SELECT " WHERE state NOT IN ('arrived', 'cancelled')"        \
	                 " ORDER BY raised_ms"
#define EMERG_SQL_SINCE                                                        \
	EMERG_SQL_SELECT " WHERE raised_ms >= $1 ORDER BY raised_ms"

/* A page's status order: a later report of a lower rank (a "sent" after
 * "delivered", out of order) changes nothing. */
#define EMERG_RANK(x)                                                          \
	"(CASE " x " WHEN 'deferred' THEN 0 WHEN 'sending' THEN 1"             \
	" WHEN 'unknown' THEN 2 WHEN 'sent' THEN 3 WHEN 'failed' THEN 4"       \
	" WHEN 'delivered' THEN 5 ELSE 6 END)"
#define EMERG_PAGE_COLS                                                        \
	"incident, loop, level, rcpt, channel, status, attempt, ext_id,"       \
	" at_ms, updated_ms"
#define EMERG_PAGE_SET(N, O)                                                   \
	" status = CASE WHEN " EMERG_RANK(N "status") " >= " EMERG_RANK(O      \
	    "status") " AND " O "status NOT IN"                                \
	              " ('delivered', 'left', 'superseded') THEN " N "status"  \
	              " ELSE " O "status END,"                                 \
	              " attempt = CASE WHEN " N "attempt > " O "attempt"       \
	              " THEN " N "attempt ELSE " O "attempt END,"              \
	              " ext_id = CASE WHEN " N "ext_id <> '' THEN " N "ext_id" \
	              " ELSE " O "ext_id END, updated_ms = " N "updated_ms"
#define EMERG_PG_PAGE_INS                                                      \
	"INSERT INTO emerg_pages(" EMERG_PAGE_COLS ") VALUES($1, $2, $3, $4,"  \
	" $5, $6, $7, $8, $9, $10) ON CONFLICT(incident, loop, level, rcpt,"   \
	" channel) DO "
#define EMERG_PG_PAGE_CLAIM EMERG_PG_PAGE_INS "NOTHING RETURNING 1::int8"
#define EMERG_PG_PAGE_PUT                                                      \
	EMERG_PG_PAGE_INS                                                      \
	"UPDATE SET" EMERG_PAGE_SET("excluded.", "emerg_pages.")
#define EMERG_SQ_PAGE_INSERT                                                   \
	"INSERT OR IGNORE INTO emerg_pages(" EMERG_PAGE_COLS ") VALUES("       \
	":incident, :loop, :level, :rcpt, :channel, :status, :attempt,"        \
	" :ext_id, :at_ms, :updated_ms)"
#define EMERG_SQ_PAGE_UPDATE                                                      \
	"UPDATE emerg_pages SET" EMERG_PAGE_SET(":",                              \
	    "") " WHERE incident = :incident AND loop = :loop AND level = :level" \
	        " AND rcpt = :rcpt AND channel = :channel"
#define EMERG_SQL_PAGES_OF                                                     \
	"SELECT " EMERG_PAGE_COLS " FROM emerg_pages WHERE incident = $1"      \
	" ORDER BY loop, level, rcpt, channel"
#define EMERG_SQL_PAGES_EXT                                                    \
	"SELECT " EMERG_PAGE_COLS " FROM emerg_pages WHERE ext_id = $1"
#define EMERG_SQL_REPLY_COLS                                                   \
	"(ext_id, incident, from_num, text, kind, counted, at_ms)"             \
	" VALUES($1, $2, $3, $4, $5, $6, $7)"
#define EMERG_PG_REPLY_ADD                                                     \
	"INSERT INTO emerg_replies" EMERG_SQL_REPLY_COLS                       \
	" ON CONFLICT(ext_id) DO NOTHING RETURNING 1::int8"
#define EMERG_SQ_REPLY_ADD                                                     \
	"INSERT OR IGNORE INTO emerg_replies" EMERG_SQL_REPLY_COLS

#endif
