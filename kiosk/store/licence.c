/*
 * The kiosk's licence snapshot and gate (licstore.h).  The snapshot is
 * kept whole, signed, with the key that verified it, and verified again
 * each time it is read; only what model/licence.c decodes is trusted.
 * Not here: fetching it (kiosk/sync/client.c) and the check itself
 * (model/licence.c).
 */
#define LOG_MODULE "store_licence"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "licence.h"
#include "licstore.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

static int
lic_held(struct store *s, uint64_t *version, uint8_t **env, size_t *len,
    uint8_t pub[32], int64_t *received)
{
	sqlite3_stmt *st;
	int rc, err;

	*version = 0;
	if (env != NULL)
		*env = NULL;
	if ((err = store_prepare(s,
	         "SELECT version, envelope, server_pub, received_ms"
	         " FROM licence_snapshot WHERE id = 1",
	         &st)) != 0)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(st, 0);
		if (env != NULL) {
			*len = (size_t)sqlite3_column_bytes(st, 1);
			*env = xmemdup(sqlite3_column_blob(st, 1), *len);
		}
		if (pub != NULL && sqlite3_column_bytes(st, 2) == 32)
			memcpy(pub, sqlite3_column_blob(st, 2), 32);
		if (received != NULL)
			*received = sqlite3_column_int64(st, 3);
	} else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_err(s, rc, "licence snapshot");
	sqlite3_finalize(st);
	return err;
}

int
store_licence_put(struct store *s, const uint8_t *env, size_t len,
    const uint8_t pub[32], int64_t now_ms)
{
	struct licence_set set = { 0 };
	sqlite3_stmt *st = NULL;
	uint64_t held = 0;
	char detail[128];
	int err;

	if ((err = lic_held(s, &held, NULL, NULL, NULL, NULL)) != 0 &&
	    err != ENOENT)
		return err;
	err = licence_snapshot_open(env, len, pub, held, &set);
	if (err == EALREADY)
		return err;
	if (err != 0) {
		snprintf(detail, sizeof(detail),
		    "licence snapshot refused (%s); version %" PRIu64 " kept",
		    err == ESTALE ? "older than the one held"
		                  : "signature or format",
		    held);
		log_warnx("%s", detail);
		store_audit(s, "licence-refused", NULL, NULL, detail);
		return err;
	}
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	if ((err = store_prepare(s,
	         "INSERT OR REPLACE INTO licence_snapshot(id, region, version,"
	         " issued_ms, not_after_ms, received_ms, server_pub, envelope)"
	         " VALUES(1, ?, ?, ?, ?, ?, ?, ?)",
	         &st)) == 0) {
		store_bind_text(st, 1, set.region);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)set.version);
		sqlite3_bind_int64(st, 3, set.issued);
		sqlite3_bind_int64(st, 4, set.not_after);
		sqlite3_bind_int64(st, 5, now_ms);
		sqlite3_bind_blob(st, 6, pub, 32, SQLITE_STATIC);
		sqlite3_bind_blob(st, 7, env, (int)len, SQLITE_STATIC);
		err = store_step_done(s, st, "licence snapshot put");
		sqlite3_finalize(st);
	}
	if (err == 0) {
		snprintf(detail, sizeof(detail),
		    "licence snapshot version %" PRIu64 ": %zu licences",
		    set.version, set.n);
		err = store_audit_append(
		    s, "licence-snapshot", NULL, NULL, detail);
	}
	err = store_tx_end(s, err);
out:
	licence_set_clear(&set);
	return err;
}

int
store_licence_get(struct store *s, struct licence_set *out)
{
	uint8_t *env = NULL, pub[32];
	uint64_t v;
	size_t len = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = lic_held(s, &v, &env, &len, pub, NULL)) != 0)
		return err;
	if ((err = licence_snapshot_open(env, len, pub, 0, out)) != 0) {
		log_warnx("the held licence snapshot does not verify (%s)",
		    strerror(err));
		err = EBADMSG;
	}
	free(env);
	return err;
}

int
store_licence_info(struct store *s, struct store_licence_info *info)
{
	struct licence_set set;
	int64_t received = 0;
	uint64_t v;
	int err;

	memset(info, 0, sizeof(*info));
	if ((err = lic_held(s, &v, NULL, NULL, NULL, &received)) == ENOENT)
		return 0;
	if (err != 0 || (err = store_licence_get(s, &set)) != 0)
		return err;
	info->held = 1;
	snprintf(info->region, sizeof(info->region), "%s", set.region);
	info->version = set.version;
	info->issued = set.issued;
	info->not_after = set.not_after;
	info->received = received;
	info->n = set.n;
	licence_set_clear(&set);
	return 0;
}

static int
lic_flag(struct store *s, const char *consult_id, const char *regno,
    enum licence_act act, const char *flag, const struct licence_verdict *v,
    int64_t at, uint64_t version)
{
	sqlite3_stmt *st;
	char detail[160];
	int err;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = store_prepare(s,
	         "INSERT INTO licence_flags(consult_id, regno, act, flag,"
	         " state, at_ms, snapshot_version) VALUES(?, ?, ?, ?, ?, ?, ?)",
	         &st)) == 0) {
		store_bind_text(st, 1, consult_id);
		store_bind_text(st, 2, regno ? regno : "");
		store_bind_text(st, 3, licence_act_name(act));
		store_bind_text(st, 4, flag);
		store_bind_text(st, 5, licence_state_name(v->state));
		sqlite3_bind_int64(st, 6, at);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)version);
		err = store_step_done(s, st, "licence flag");
		sqlite3_finalize(st);
	}
	if (err == 0) {
		snprintf(detail, sizeof(detail), "%s %s by %s: %s", flag,
		    licence_act_name(act), regno ? regno : "(none)",
		    licence_state_name(v->state));
		err = store_audit_append(
		    s, "licence-flag", "consult", consult_id, detail);
	}
	return store_tx_end(s, err);
}

int
store_licence_gate(struct store *s, const char *regno, enum licence_act act,
    const char *consult_id, int64_t at, struct licence_verdict *why,
    char **cause)
{
	struct licence_set set;
	struct licence_verdict v = { 1, LIC_ST_ACTIVE, 0, 0, NULL };
	char detail[160];
	int err;

	if (cause != NULL)
		*cause = NULL;
	err = store_licence_get(s, &set);
	if (err == ENOENT || (err == 0 && set.n == 0)) {
		/* not configured here: the server re-checks at sync */
		if (why != NULL)
			*why = v;
		if (err == 0)
			licence_set_clear(&set);
		return 0;
	}
	if (err != 0)
		return err;
	licence_permitted(&set, regno, act, set.region, at, &v);
	if (why != NULL)
		*why = v;
	if (!v.permitted) {
		snprintf(detail, sizeof(detail), "%s by %s refused: %s",
		    licence_act_name(act), regno && *regno ? regno : "(none)",
		    licence_state_name(v.state));
		log_warnx("%s", detail);
		store_audit(
		    s, "licence-refused", "consult", consult_id, detail);
		if (cause != NULL)
			*cause = xstrdup(v.words);
		err = EACCES;
	} else if (v.lapsed || v.recheck) {
		err = lic_flag(s, consult_id, regno, act,
		    v.lapsed ? "licence_lapsed" : "recheck", &v, at,
		    set.version);
		if (err == 0 && v.lapsed && v.recheck)
			err = lic_flag(s, consult_id, regno, act, "recheck", &v,
			    at, set.version);
	}
	licence_set_clear(&set);
	return err;
}

int
store_licence_flags(struct store *s, const char *consult_id, char **out)
{
	sqlite3_stmt *st;
	struct buf b;
	int rc, err;

	*out = NULL;
	buf_init(&b, 1 << 20);
	if ((err = store_prepare(s,
	         "SELECT flag, act, state FROM licence_flags"
	         " WHERE ?1 IS NULL OR consult_id = ?1 ORDER BY id",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, consult_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char line[160];

		snprintf(line, sizeof(line), "%s %s %s\n",
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
		buf_append(&b, line, strlen(line));
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "licence flags");
	sqlite3_finalize(st);
	if (err == 0)
		*out = buf_take_str(&b);
	buf_free(&b);
	return err;
}

int
store_licence_clinicians(
    struct store *s, store_licence_clinician_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT name, coalesce(licence, '') FROM users"
	         " WHERE role = 2 AND deleted = 0 AND disabled = 0"
	         " ORDER BY name",
	         &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = fn(arg, (const char *)sqlite3_column_text(st, 0),
		         (const char *)sqlite3_column_text(st, 1))) != 0)
			break;
	if (err == 0 && rc != SQLITE_DONE)
		err = store_err(s, rc, "clinicians");
	sqlite3_finalize(st);
	return err;
}

int
store_licence_mine(struct store *s, enum licence_act act, int64_t at,
    struct licence_verdict *v)
{
	struct licence_set set;
	sqlite3_stmt *st;
	char *regno = NULL;
	int rc, err;

	if (s->actor == NULL)
		return ENOENT;
	if ((err = store_licence_get(s, &set)) != 0)
		return err;
	if (set.n == 0) {
		err = ENOENT;
		goto out;
	}
	if ((err = store_prepare(
	         s, "SELECT licence FROM users WHERE id = ?", &st)) != 0)
		goto out;
	store_bind_text(st, 1, s->actor);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		regno = store_col_text(st, 0);
	else if (rc != SQLITE_DONE)
		err = store_err(s, rc, "licence of the user");
	sqlite3_finalize(st);
	if (err == 0)
		licence_permitted(&set, regno, act, set.region, at, v);
out:
	free(regno);
	licence_set_clear(&set);
	return err;
}

int
store_licence_unaccept(struct store *s, const char *consult_id)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "UPDATE consults SET status = 'requested' WHERE id = ?1"
	         " AND status IN ('accepted', 'call')",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, consult_id);
	err = store_step_done(s, st, "consult back to the queue");
	sqlite3_finalize(st);
	return err;
}
