/*
 * SQLite server store -> PostgreSQL store, table by table (migrate.h).
 * Each table is one line of pg_copies[]: the SQLite query and the
 * PostgreSQL insert with the same columns in the same order; a table a
 * later migration adds takes one more line.  server.db is SQLCipher,
 * opened with the store key as sqlite.c does.  Values keep their types:
 * integers and text go as text, blobs as binary bytea, NULL as NULL.
 *
 * It runs in one PostgreSQL transaction: a failure leaves the target as
 * it was.  That transaction holds an xid for its whole length, so run it
 * before the instances serve (the feed waits for it, docs/OPERATIONS.md).
 */
#define LOG_MODULE "store_migrate"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlcipher/sqlite3.h>

#include "compat.h"
#include "encode.h"
#include "log.h"
#include "backend.h"
#include "migrate.h"
#include "xmalloc.h"

#define MG_COLS_MAX 20

struct mg_copy {
	const char *table;
	const char *from; /* SQLite */
	const char *to; /* PostgreSQL, $1..$n for the n columns */
};

static const struct mg_copy mg_copies[] = {
	{ "meta", "SELECT k, v FROM meta WHERE k <> 'era'",
	    "INSERT INTO meta(k, v) VALUES($1, $2)"
	    " ON CONFLICT (k) DO UPDATE SET v = excluded.v" },
	{ "nodes",
	    "SELECT id, pub, role, region, facility, label, revoked,"
	    " req_seq, hw, outbox_last, enrolled_ms, last_seen_ms,"
	    " last_push_ms FROM nodes ORDER BY id",
	    "INSERT INTO nodes(id, pub, role, region, facility, label,"
	    " revoked, req_seq, hw, outbox_last, enrolled_ms, last_seen_ms,"
	    " last_push_ms) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
	    " $11, $12, $13)" },
	{ "tokens",
	    "SELECT hash, role, region, facility, expires_ms, used_ms, node"
	    " FROM tokens",
	    "INSERT INTO tokens(hash, role, region, facility, expires_ms,"
	    " used_ms, node) VALUES($1, $2, $3, $4, $5, $6, $7)" },
	{ "batches",
	    "SELECT node, first, last, hash, response, received_ms"
	    " FROM batches",
	    "INSERT INTO batches(node, first_seq, last_seq, hash, response,"
	    " received_ms) VALUES($1, $2, $3, $4, $5, $6)" },
	/* In feed order: the new ids follow the old positions. */
	{ "changes",
	    "SELECT region, node, seq, entity, id, hlc, hash, body, refused"
	    " FROM changes ORDER BY pos",
	    "INSERT INTO changes(region, node, seq, entity, rid, hlc, hash,"
	    " body, refused) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)" },
	{ "records",
	    "SELECT entity, id, region, facility, node, patient FROM records",
	    "INSERT INTO records(entity, rid, region, facility, node,"
	    " patient) VALUES($1, $2, $3, $4, $5, $6)" },
	/* A scope entry's position is its change's, found by (node, seq):
	 * after the changes. */
	{ "scope",
	    "SELECT sc.region, sc.patient, sc.facility, c.node, c.seq"
	    " FROM scope sc JOIN changes c ON c.pos = sc.pos",
	    "INSERT INTO scope(region, patient, facility, xid, id)"
	    " SELECT $1, $2, $3, c.xid, c.id FROM changes c"
	    " WHERE c.node = $4 AND c.seq = $5" },
	{ "consults",
	    "SELECT id, region, facility, patient, state, urgency, queued_ms,"
	    " accepted_node, accepted_ms, handed_to, node FROM consults",
	    "INSERT INTO consults(id, region, facility, patient, state,"
	    " urgency, queued_ms, accepted_node, accepted_ms, handed_to, node)"
	    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)" },
	{ "blob_owners", "SELECT node, hash, size, at_ms FROM blob_owners",
	    "INSERT INTO blob_owners(node, hash, size, at_ms)"
	    " VALUES($1, $2, $3, $4)" },
	{ "alerts", "SELECT node, kind, detail, at_ms FROM alerts ORDER BY id",
	    "INSERT INTO alerts(node, kind, detail, at_ms)"
	    " VALUES($1, $2, $3, $4)" },
	{ "licences",
	    "SELECT regulator, regno, name, cadre, scope, juris, valid_from,"
	    " valid_to, status, status_at, rev, address, contact"
	    " FROM licences",
	    "INSERT INTO licences(regulator, regno, name, cadre, scope, juris,"
	    " valid_from, valid_to, status, status_at, rev, address, contact)"
	    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)" },
	/* In order, renumbered by PostgreSQL's sequence. */
	{ "licence_events",
	    "SELECT regulator, regno, event, detail, at_ms FROM licence_events"
	    " ORDER BY seq",
	    "INSERT INTO licence_events(regulator, regno, event, detail, at_ms)"
	    " VALUES($1, $2, $3, $4, $5)" },
	/* Booking (issue 15): schedule and slot ids are kept (appointments
	 * and offers name them); the sequences follow below. */
	{ "schedules",
	    "SELECT id, clinician, facility, region, tz, service, modalities,"
	    " langs FROM schedules",
	    "INSERT INTO schedules(id, clinician, facility, region, tz, service,"
	    " modalities, langs) VALUES($1, $2, $3, $4, $5, $6, $7, $8)" },
	{ "schedule_hours",
	    "SELECT schedule, wday, start_min, end_min, slot_min"
	    " FROM schedule_hours",
	    "INSERT INTO schedule_hours(schedule, wday, start_min, end_min,"
	    " slot_min) VALUES($1, $2, $3, $4, $5)" },
	{ "slots", "SELECT id, schedule, start_ms, end_ms, status FROM slots",
	    "INSERT INTO slots(id, schedule, start_ms, end_ms, status)"
	    " VALUES($1, $2, $3, $4, $5)" },
	{ "appointments",
	    "SELECT id, slot, patient, node, status, answer, created_ms,"
	    " updated_ms, reason, checkin_ms, checkin_by FROM appointments",
	    "INSERT INTO appointments(id, slot, patient, node, status, answer,"
	    " created_ms, updated_ms, reason, checkin_ms, checkin_by)"
	    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)" },
	{ "appt_events",
	    "SELECT appt, at_ms, from_status, to_status, why FROM appt_events"
	    " ORDER BY id",
	    "INSERT INTO appt_events(appt, at_ms, from_status, to_status, why)"
	    " VALUES($1, $2, $3, $4, $5)" },
	{ "waitlist",
	    "SELECT id, patient, region, service, urgency, listed_ms,"
	    " recommended_ms, lang, modality, clinician, status, offers"
	    " FROM waitlist",
	    "INSERT INTO waitlist(id, patient, region, service, urgency,"
	    " listed_ms, recommended_ms, lang, modality, clinician, status,"
	    " offers) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
	    " $12)" },
	{ "slot_offers",
	    "SELECT slot, entry, offered_ms, expires_ms FROM slot_offers",
	    "INSERT INTO slot_offers(slot, entry, offered_ms, expires_ms)"
	    " VALUES($1, $2, $3, $4)" },
	{ "offer_passed", "SELECT slot, entry FROM offer_passed",
	    "INSERT INTO offer_passed(slot, entry) VALUES($1, $2)" },
	{ "staff", "SELECT region, name, facility FROM staff",
	    "INSERT INTO staff(region, name, facility) VALUES($1, $2, $3)" },
	/* Emergencies (issue 16). */
	{ "emerg_incidents",
	    "SELECT id, code, node, state, level, loop, modem, hlc, raised_ms,"
	    " first_send_ms, first_delivery_ms, acked_ms, arrived_ms, ended_ms,"
	    " acked_by, eta_min, eng, updated_ms, page FROM emerg_incidents",
	    "INSERT INTO emerg_incidents(id, code, node, state, level, loop,"
	    " modem, hlc, raised_ms, first_send_ms, first_delivery_ms,"
	    " acked_ms, arrived_ms, ended_ms, acked_by, eta_min, eng,"
	    " updated_ms, page) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9,"
	    " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)" },
	{ "emerg_pages",
	    "SELECT incident, loop, level, rcpt, channel, status, attempt,"
	    " ext_id, at_ms, updated_ms FROM emerg_pages",
	    "INSERT INTO emerg_pages(incident, loop, level, rcpt, channel,"
	    " status, attempt, ext_id, at_ms, updated_ms) VALUES($1, $2, $3,"
	    " $4, $5, $6, $7, $8, $9, $10)" },
	{ "emerg_replies",
	    "SELECT ext_id, incident, from_num, text, kind, counted, at_ms"
	    " FROM emerg_replies",
	    "INSERT INTO emerg_replies(ext_id, incident, from_num, text, kind,"
	    " counted, at_ms) VALUES($1, $2, $3, $4, $5, $6, $7)" },
	/* Issue 17, in order.  A break-glass scope entry sits at a position
	 * of its own, not a change's, so the scope copy above leaves it
	 * out: the patients it opened stay with the facility only if it
	 * pulled them before the migration. */
	{ "audit_anchors",
	    "SELECT node, seq, hash, ok, detail, at_ms FROM audit_anchors"
	    " ORDER BY id",
	    "INSERT INTO audit_anchors(node, seq, hash, ok, detail, at_ms)"
	    " VALUES($1, $2, $3, $4, $5, $6)" },
	{ "breakglass",
	    "SELECT node, region, facility, patient, user_id, reason, at_ms"
	    " FROM breakglass ORDER BY id",
	    "INSERT INTO breakglass(node, region, facility, patient, user_id,"
	    " reason, at_ms) VALUES($1, $2, $3, $4, $5, $6, $7)" },
	{ "breakglass_search",
	    "SELECT node, region, facility, user_id, query, found, at_ms"
	    " FROM breakglass_search ORDER BY id",
	    "INSERT INTO breakglass_search(node, region, facility, user_id,"
	    " query, found, at_ms) VALUES($1, $2, $3, $4, $5, $6, $7)" },
	{ "claim_evidence",
	    "SELECT subject, rec, hlc, kind, patient, clinician, node, region,"
	    " facility, hash, body, at_ms FROM claim_evidence",
	    "INSERT INTO claim_evidence(subject, rec, hlc, kind, patient,"
	    " clinician, node, region, facility, hash, body, at_ms)"
	    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" },
	{ "claims",
	    "SELECT id, subject, payer, business_id, appt, patient, member,"
	    " regno, facility, service, mode, status, hold, price, service_ms,"
	    " rule_version, digest, created_ms, updated_ms FROM claims"
	    " ORDER BY id",
	    "INSERT INTO claims(id, subject, payer, business_id, appt, patient,"
	    " member, regno, facility, service, mode, status, hold, price,"
	    " service_ms, rule_version, digest, created_ms, updated_ms)"
	    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
	    " $14, $15, $16, $17, $18, $19)" },
	{ "claim_nobill",
	    "SELECT subject, kind, patient, reason, decided_ms"
	    " FROM claim_nobill",
	    "INSERT INTO claim_nobill(subject, kind, patient, reason,"
	    " decided_ms) VALUES($1, $2, $3, $4, $5)" },
	{ "claim_events",
	    "SELECT id, business_id, at_ms, from_status, to_status, why"
	    " FROM claim_events ORDER BY id",
	    "INSERT INTO claim_events(id, business_id, at_ms, from_status,"
	    " to_status, why) VALUES($1, $2, $3, $4, $5, $6)" },
	/* Issue 16: partners and their delivery queue. */
	{ "partners",
	    "SELECT id, region, url, format, secret, added_ms FROM partners"
	    " ORDER BY id",
	    "INSERT INTO partners(id, region, url, format, secret, added_ms)"
	    " VALUES($1, $2, $3, $4, $5, $6)" },
	{ "partner_queue",
	    "SELECT partner, incident, seq, kind, status, attempts, next_ms,"
	    " created_ms, updated_ms, last_error, body FROM partner_queue",
	    "INSERT INTO partner_queue(partner, incident, seq, kind, status,"
	    " attempts, next_ms, created_ms, updated_ms, last_error, body)"
	    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)" },
};

static int
mg_pg(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		log_warnx("%s", PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : EIO;
}

static int
mg_table(sqlite3 *db, PGconn *c, const struct mg_copy *m, long long *rows)
{
	sqlite3_stmt *st = NULL;
	const char *v[MG_COLS_MAX];
	char num[MG_COLS_MAX][24];
	int len[MG_COLS_MAX], fmt[MG_COLS_MAX];
	PGresult *r;
	int i, n, rc, err = 0;

	*rows = 0;
	if (sqlite3_prepare_v2(db, m->from, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", m->table, sqlite3_errmsg(db));
		return EIO;
	}
	n = sqlite3_column_count(st);
	if (n > MG_COLS_MAX)
		fatalx("migrate: too many columns");
	r = PQprepare(c, m->table, m->to, n, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		err = EIO;
	PQclear(r);
	if (err != 0) {
		log_warnx("%s: %s", m->table, PQerrorMessage(c));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			len[i] = 0;
			fmt[i] = 0;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				v[i] = NULL;
				break;
			case SQLITE_INTEGER:
				snprintf(num[i], sizeof(num[i]), "%lld",
				    (long long)sqlite3_column_int64(st, i));
				v[i] = num[i];
				break;
			case SQLITE_BLOB:
				v[i] = sqlite3_column_blob(st, i);
				len[i] = sqlite3_column_bytes(st, i);
				if (v[i] == NULL)
					v[i] = "";
				fmt[i] = 1;
				break;
			default:
				v[i] = (const char *)sqlite3_column_text(st, i);
				break;
			}
		}
		r = PQexecPrepared(c, m->table, n, v, len, fmt, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			log_warnx("%s row %lld: %s", m->table, *rows + 1,
			    PQerrorMessage(c));
			err = EIO;
		}
		PQclear(r);
		if (err != 0)
			goto out;
		(*rows)++;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", m->table, sqlite3_errmsg(db));
		err = EIO;
	}
out:
	sqlite3_finalize(st);
	return err;
}

int
store_migrate_sqlite_pg(
    const char *dir, const uint8_t *key, const char *conninfo, FILE *report)
{
	char *hex, *keysql = NULL;
	struct sstore *s = NULL;
	sqlite3 *db = NULL;
	PGconn *c = NULL;
	PGresult *r = NULL;
	char *path;
	long long rows;
	size_t i;
	int err = 0, began = 0, rc;

	xasprintf(&path, "%s/server.db", dir);
	if (access(path, R_OK) != 0) {
		err = ENOENT;
		goto out;
	}
	/* The SQLite store at its latest schema, the PostgreSQL one made. */
	if ((err = store_sqlite_backend.open(dir, key, &s)) != 0)
		goto out;
	store_sqlite_backend.close(s);
	s = NULL;
	if ((err = store_pg_backend.open(conninfo, key, &s)) != 0)
		goto out;
	store_pg_backend.close(s);
	s = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		log_warnx(
		    "%s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		err = EIO;
		goto out;
	}
	/* server.db is SQLCipher-encrypted under the store key (sqlite.c). */
	if (key != NULL) {
		hex = hex_encode(key, 32);
		xasprintf(&keysql, "PRAGMA key = \"x'%s'\"", hex);
		xfree_secret_str(hex);
		rc = sqlite3_exec(db, keysql, NULL, NULL, NULL);
		explicit_bzero(keysql, strlen(keysql));
		free(keysql);
		if (rc != SQLITE_OK) {
			err = EIO;
			goto out;
		}
	}
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		log_warnx("%s", PQerrorMessage(c));
		err = EIO;
		goto out;
	}
	/* One snapshot of SQLite, one transaction in PostgreSQL. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    (err = mg_pg(c, "BEGIN")) != 0) {
		err = EIO;
		goto out;
	}
	began = 1;
	r = PQexec(c,
	    "SELECT (SELECT count(*) FROM nodes) +"
	    " (SELECT count(*) FROM changes)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = EIO;
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
		err = EEXIST;
		goto out;
	}
	for (i = 0; i < nitems(mg_copies); i++) {
		if ((err = mg_table(db, c, &mg_copies[i], &rows)) != 0)
			goto out;
		fprintf(report, "%s: %lld rows\n", mg_copies[i].table, rows);
	}
	/* New enrolments continue after the copied node ids. */
	if ((err = mg_pg(c,
	         "SELECT setval(pg_get_serial_sequence('nodes', 'id'),"
	         " greatest(max(id), 1)) FROM nodes")) != 0 ||
	    (err = mg_pg(c,
	         "SELECT setval(pg_get_serial_sequence('schedules', 'id'),"
	         " greatest(max(id), 1)) FROM schedules")) != 0 ||
	    (err = mg_pg(c,
	         "SELECT setval(pg_get_serial_sequence('slots', 'id'),"
	         " greatest(max(id), 1)) FROM slots")) != 0 ||
	    (err = mg_pg(c,
	         "SELECT setval(pg_get_serial_sequence('claims', 'id'),"
	         " greatest(max(id), 1)) FROM claims")) != 0 ||
	    (err = mg_pg(c,
	         "SELECT setval(pg_get_serial_sequence('claim_events', 'id'),"
	         " greatest(max(id), 1)) FROM claim_events")) != 0 ||
	    (err = mg_pg(c,
	         "SELECT setval(pg_get_serial_sequence('partners', 'id'),"
	         " greatest(max(id), 1)) FROM partners")) != 0 ||
	    (err = mg_pg(c, "COMMIT")) != 0)
		goto out;
	began = 0;
out:
	if (began)
		PQclear(PQexec(c, "ROLLBACK"));
	PQclear(r);
	PQfinish(c);
	sqlite3_close(db);
	free(path);
	return err;
}
