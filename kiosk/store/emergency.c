/*
 * Emergency incidents in the kiosk store (emergency.h): the engine of
 * escalate/ run inside the store's transactions, so its state, the synced
 * row, the outbox change, the audit entry, the events and the send intents
 * commit together or not at all.  What it does not do: send (the channels
 * claim a send here, try it, and record the result), or draw.
 */
#define LOG_MODULE "emergency"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/store/emergency.h"
#include "log.h"
#include "record.h"
#include "store_int.h"
#include "xmalloc.h"

#define ENGINE_MAGIC "ESC1"
#define ROSTER_KEY "emergency.roster"

/* The engine's state as a blob: magic, size, then the struct (a plain
 * struct with no pointers; a layout change gets a new magic). */
struct engine_blob {
	char magic[4];
	uint32_t size;
	struct esc_incident inc;
};

static int
engine_load(struct store *s, const char *id, struct esc_incident *inc)
{
	sqlite3_stmt *st = NULL;
	const struct engine_blob *b;
	int err, rc;

	if ((err = store_prepare(
	         s, "SELECT engine FROM emergencies WHERE id = ?1", &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		b = sqlite3_column_blob(st, 0);
		if (b == NULL ||
		    (size_t)sqlite3_column_bytes(st, 0) != sizeof(*b) ||
		    memcmp(b->magic, ENGINE_MAGIC, 4) != 0 ||
		    b->size != sizeof(*inc)) {
			log_warnx("incident %s: engine state unreadable", id);
			err = EBADMSG;
		} else
			memcpy(inc, &b->inc, sizeof(*inc));
	} else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_err(s, rc, "emergency engine");
	sqlite3_finalize(st);
	return err;
}

static int
engine_save(struct store *s, const char *id, const struct esc_incident *inc)
{
	struct engine_blob b;
	sqlite3_stmt *st = NULL;
	int err;

	memset(&b, 0, sizeof(b));
	memcpy(b.magic, ENGINE_MAGIC, 4);
	b.size = sizeof(*inc);
	b.inc = *inc;
	if ((err = store_prepare(s,
	         "UPDATE emergencies SET engine = ?2 WHERE id = ?1", &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	sqlite3_bind_blob(st, 2, &b, sizeof(b), SQLITE_TRANSIENT);
	err = store_step_done(s, st, "emergency engine");
	sqlite3_finalize(st);
	return err;
}

static int
event(struct store *s, const char *id, const struct esc_now *now,
    const char *kind, const char *detail)
{
	sqlite3_stmt *st = NULL;
	int err;

	if ((err = store_prepare(s,
	         "INSERT INTO emergency_events(incident_id, at_ms, kind, detail)"
	         " VALUES (?1, ?2, ?3, ?4)",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now->wall_ms);
	store_bind_text(st, 3, kind);
	store_bind_text(st, 4, detail);
	err = store_step_done(s, st, "emergency event");
	sqlite3_finalize(st);
	return err;
}

static const char *
act_kind(enum esc_act_kind k)
{
	switch (k) {
	case ESC_A_PAGE:
		return "page";
	case ESC_A_CANCEL:
		return "cancel";
	case ESC_A_REMIND:
		return "remind";
	case ESC_A_ARRIVAL:
		return "arrival-check";
	case ESC_A_UNRESOLVED:
		return "unresolved";
	}
	return "?";
}

/* Pages and cancels become send intents (a replay adds none: UNIQUE);
 * every action is an event. */
static int
actions(struct store *s, const char *id, const struct esc_now *now,
    const struct esc_actions *a)
{
	sqlite3_stmt *st = NULL;
	char detail[64];
	int i, err = 0;

	for (i = 0; i < a->n && err == 0; i++) {
		const struct esc_action *x = &a->a[i];

		snprintf(detail, sizeof(detail), "loop %d level %d %s", x->loop,
		    x->level + 1, x->rcpt);
		if ((err = event(s, id, now, act_kind(x->kind), detail)) != 0)
			break;
		if (x->kind != ESC_A_PAGE && x->kind != ESC_A_CANCEL)
			continue;
		if ((err = store_prepare(s,
		         "INSERT OR IGNORE INTO emergency_sends(incident_id,"
		         " kind, loop, level, rcpt, channel, created_ms)"
		         " VALUES (?1, ?2, ?3, ?4, ?5, 'sms', ?6)",
		         &st)) != 0)
			break;
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, act_kind(x->kind));
		sqlite3_bind_int(st, 3, x->loop);
		sqlite3_bind_int(st, 4, x->level);
		store_bind_text(st, 5, x->rcpt);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)now->wall_ms);
		err = store_step_done(s, st, "emergency send");
		sqlite3_finalize(st);
		st = NULL;
	}
	return err;
}

/* The synced fields the engine moves, as one change. */
static void
put_state(struct model_rec *r, const struct esc_incident *inc)
{
	model_set_text(r, REC_EMERG_STATE, esc_state_name(inc->state));
	model_set_uint(
	    r, REC_EMERG_LEVEL, inc->level < 0 ? 0 : (uint64_t)inc->level);
	model_set_uint(r, REC_EMERG_LOOP, (uint64_t)inc->loop);
	if (inc->state == ESC_ACKED || inc->wall_ack_ms > 0) {
		model_set_uint(r, REC_EMERG_ACKED, (uint64_t)inc->wall_ack_ms);
		model_set_text(r, REC_EMERG_ACKED_BY, inc->ack_by);
		model_set_uint(r, REC_EMERG_ETA, inc->eta_min);
	}
	if (esc_closed(inc))
		model_set_uint(r, REC_EMERG_ENDED, (uint64_t)inc->wall_end_ms);
}

int
store_emergency_raise(struct store *s, const struct store_emergency_in *in,
    const struct esc_policy *pol, const struct esc_now *now,
    char id_out[UUID_STRLEN + 1])
{
	struct esc_incident inc;
	struct esc_actions acts = { 0 };
	struct store_col extra;
	struct engine_blob b;
	struct model_rec r;
	struct uuid u;
	char id[UUID_STRLEN + 1], sex[2] = { 0, 0 };
	int err;

	uuid_v7(&u);
	uuid_format(&u, id);
	if ((err = esc_raise(&inc, u.b, in->trigger, pol, now, &acts)) != 0)
		return err;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	store_rec_init(s, &r, REC_EMERGENCY, id, store_hlc_now(s));
	if (in->patient_id != NULL && in->patient_id[0] != '\0')
		model_set_text(&r, REC_EMERG_PATIENT, in->patient_id);
	if (in->encounter_id != NULL && in->encounter_id[0] != '\0')
		model_set_text(&r, REC_EMERG_ENCOUNTER, in->encounter_id);
	model_set_text(&r, REC_EMERG_CODE, inc.code);
	model_set_text(&r, REC_EMERG_TRIGGER,
	    in->trigger == ESC_TRIG_AUTO ? "news2" : "key");
	if (in->news2 >= 0)
		model_set_int(&r, REC_EMERG_NEWS2, in->news2);
	if (in->vitals != NULL && in->vitals[0] != '\0')
		model_set_text(&r, REC_EMERG_VITALS, in->vitals);
	if (in->age >= 0)
		model_set_uint(&r, REC_EMERG_AGE, (uint64_t)in->age);
	if (in->sex == 'F' || in->sex == 'M') {
		sex[0] = in->sex;
		model_set_text(&r, REC_EMERG_SEX, sex);
	}
	model_set_uint(&r, REC_EMERG_RAISED, (uint64_t)now->wall_ms);
	model_set_uint(&r, REC_EMERG_ROSTER, in->roster_version);
	model_set_text(
	    &r, REC_EMERG_MODEM, in->modem != NULL ? in->modem : "unknown");
	put_state(&r, &inc);
	memset(&b, 0, sizeof(b));
	memcpy(b.magic, ENGINE_MAGIC, 4);
	b.size = sizeof(inc);
	b.inc = inc;
	extra = (struct store_col){ "engine", &b, sizeof(b), 1 };
	if ((err = store_row_insert(s, &r, &extra, 1)) != 0 ||
	    (err = store_outbox_put(s, &r)) != 0 ||
	    (err = store_audit_append(
	         s, "create", "emergency", id, inc.code)) != 0 ||
	    (err = event(s, id, now, "raise",
	         in->trigger == ESC_TRIG_AUTO ? "news2" : "key")) != 0)
		goto out;
	err = actions(s, id, now, &acts);
out:
	model_rec_clear(&r);
	if ((err = store_tx_end(s, err)) != 0)
		return err;
	log_info(
	    "incident %s raised (%s)", inc.code, esc_state_name(inc.state));
	if (id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	return 0;
}

static const char *
op_name(enum store_emerg_op op)
{
	static const char *const n[] = { [STORE_EMERG_TICK] = "tick",
		[STORE_EMERG_CONFIRM] = "confirm",
		[STORE_EMERG_ACK] = "ack",
		[STORE_EMERG_DECLINE] = "decline",
		[STORE_EMERG_ARRIVED] = "arrived",
		[STORE_EMERG_NOT_ARRIVED] = "not-arrived",
		[STORE_EMERG_CANCEL] = "cancel",
		[STORE_EMERG_NOTE] = "note" };

	if ((size_t)op < sizeof(n) / sizeof(n[0]) && n[op] != NULL)
		return n[op];
	return "?";
}

static int
run_op(struct esc_incident *inc, enum store_emerg_op op,
    const struct esc_policy *pol, const struct esc_now *now, const char *by,
    uint32_t eta, const char *text, struct esc_actions *a)
{
	switch (op) {
	case STORE_EMERG_TICK:
		esc_tick(inc, pol, now, a);
		return 0;
	case STORE_EMERG_CONFIRM:
		return esc_confirm(inc, pol, now, a);
	case STORE_EMERG_ACK:
		return esc_ack(inc, pol, now, by, eta, a);
	case STORE_EMERG_DECLINE:
		return esc_decline(inc, pol, now, a);
	case STORE_EMERG_ARRIVED:
		return esc_arrived(inc, now);
	case STORE_EMERG_NOT_ARRIVED:
		return esc_not_arrived(inc, pol, now, a);
	case STORE_EMERG_CANCEL:
		if (text == NULL || text[0] == '\0')
			return EINVAL; /* a cancel says why */
		return esc_cancel(inc, now, a);
	case STORE_EMERG_NOTE:
		if (text == NULL || text[0] == '\0')
			return EINVAL;
		return 0;
	}
	return EINVAL;
}

int
store_emergency_step(struct store *s, const char *id, enum store_emerg_op op,
    const struct esc_policy *pol, const struct esc_now *now, const char *by,
    uint32_t eta, const char *text)
{
	struct esc_incident inc, before;
	struct esc_actions acts = { 0 };
	struct model_rec r;
	int err, changes, moved, rec = 0;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = engine_load(s, id, &inc)) != 0)
		goto out;
	before = inc;
	if ((err = run_op(&inc, op, pol, now, by, eta, text, &acts)) != 0)
		goto out;
	moved = memcmp(&before, &inc, sizeof(inc)) != 0;
	if (!moved && acts.n == 0 && op != STORE_EMERG_NOTE) {
		err = EAGAIN; /* nothing happened: no write */
		goto out;
	}
	store_rec_init(s, &r, REC_EMERGENCY, id, store_hlc_now(s));
	rec = 1;
	put_state(&r, &inc);
	if (op == STORE_EMERG_CANCEL)
		model_set_text(&r, REC_EMERG_END_REASON, text);
	if (op == STORE_EMERG_NOTE)
		model_set_text(&r, REC_EMERG_NOTE, text);
	if ((err = store_row_update(s, &r, NULL, &changes)) != 0 ||
	    (err = engine_save(s, id, &inc)) != 0 ||
	    (err = store_outbox_put(s, &r)) != 0 ||
	    (err = event(s, id, now, op_name(op),
	         op == STORE_EMERG_ACK ? by : NULL)) != 0)
		goto out;
	if (op != STORE_EMERG_TICK && op != STORE_EMERG_NOTE &&
	    (err = store_audit_append(
	         s, op_name(op), "emergency", id, inc.code)) != 0)
		goto out;
	err = actions(s, id, now, &acts);
out:
	if (rec)
		model_rec_clear(&r);
	err = store_tx_end(s, err);
	return err == EAGAIN ? 0 : err;
}

static void
copy_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

#define EMERG_COLS                                                             \
	"id, engine, patient_id, encounter_id, news2, vitals, age, sex, note," \
	" end_reason, raised_ms, first_send_ms, first_delivery_ms"

static int
row_of(sqlite3_stmt *st, struct store_emergency *e)
{
	const struct engine_blob *b;

	memset(e, 0, sizeof(*e));
	copy_text(st, 0, e->id, sizeof(e->id));
	b = sqlite3_column_blob(st, 1);
	if (b == NULL || (size_t)sqlite3_column_bytes(st, 1) != sizeof(*b) ||
	    memcmp(b->magic, ENGINE_MAGIC, 4) != 0)
		return EBADMSG;
	e->eng = b->inc;
	copy_text(st, 2, e->patient_id, sizeof(e->patient_id));
	copy_text(st, 3, e->encounter_id, sizeof(e->encounter_id));
	e->news2 = sqlite3_column_type(st, 4) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int(st, 4);
	copy_text(st, 5, e->vitals, sizeof(e->vitals));
	e->age = sqlite3_column_type(st, 6) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int(st, 6);
	e->sex = sqlite3_column_text(st, 7) != NULL
	    ? (char)sqlite3_column_text(st, 7)[0]
	    : 0;
	copy_text(st, 8, e->note, sizeof(e->note));
	copy_text(st, 9, e->end_reason, sizeof(e->end_reason));
	e->raised_ms = (uint64_t)sqlite3_column_int64(st, 10);
	e->first_send_ms = (uint64_t)sqlite3_column_int64(st, 11);
	e->first_delivery_ms = (uint64_t)sqlite3_column_int64(st, 12);
	return 0;
}

int
store_emergency_get(struct store *s, const char *id, struct store_emergency *e)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = store_prepare(s,
	         "SELECT " EMERG_COLS " FROM emergencies WHERE id = ?1",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = row_of(st, e);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_err(s, rc, "emergency");
	sqlite3_finalize(st);
	return err;
}

int
store_emergency_open(struct store *s,
    int (*cb)(void *, const struct store_emergency *), void *arg)
{
	struct store_emergency e;
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = store_prepare(s,
	         "SELECT " EMERG_COLS " FROM emergencies WHERE state NOT IN"
	         " ('arrived', 'cancelled') AND engine IS NOT NULL"
	         " ORDER BY raised_ms, id",
	         &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = row_of(st, &e)) != 0 || (err = cb(arg, &e)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "emergencies");
out:
	sqlite3_finalize(st);
	return err;
}

#define SEND_COLS                                                              \
	"id, incident_id, kind, loop, level, rcpt, channel, status, attempts"

static void
send_of(sqlite3_stmt *st, struct store_emergency_send *x)
{
	char kind[16];

	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(st, 0);
	copy_text(st, 1, x->incident_id, sizeof(x->incident_id));
	copy_text(st, 2, kind, sizeof(kind));
	x->act.kind = strcmp(kind, "cancel") == 0 ? ESC_A_CANCEL : ESC_A_PAGE;
	x->act.loop = sqlite3_column_int(st, 3);
	x->act.level = sqlite3_column_int(st, 4);
	x->act.repeat = x->act.loop > 1 ? x->act.loop : 0;
	copy_text(st, 5, x->act.rcpt, sizeof(x->act.rcpt));
	copy_text(st, 6, x->channel, sizeof(x->channel));
	copy_text(st, 7, x->status, sizeof(x->status));
	x->attempts = sqlite3_column_int(st, 8);
}

int
store_emergency_pending(struct store *s,
    int (*cb)(void *, const struct store_emergency_send *), void *arg)
{
	struct store_emergency_send x;
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = store_prepare(s,
	         "SELECT " SEND_COLS " FROM emergency_sends"
	         " WHERE status = 'pending' ORDER BY id",
	         &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		send_of(st, &x);
		if ((err = cb(arg, &x)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "emergency sends");
out:
	sqlite3_finalize(st);
	return err;
}

int
store_emergency_sends(struct store *s, const char *id,
    int (*cb)(void *, const struct store_emergency_send *), void *arg)
{
	struct store_emergency_send x;
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = store_prepare(s,
	         "SELECT " SEND_COLS " FROM emergency_sends"
	         " WHERE incident_id = ?1 ORDER BY id",
	         &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		send_of(st, &x);
		if ((err = cb(arg, &x)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "emergency sends");
out:
	sqlite3_finalize(st);
	return err;
}

static int
send_get(struct store *s, int64_t send_id, struct store_emergency_send *x)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = store_prepare(s,
	         "SELECT " SEND_COLS " FROM emergency_sends WHERE id = ?1",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, send_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		send_of(st, x);
	else
		err = rc == SQLITE_DONE ? ENOENT
		                        : store_err(s, rc, "emergency send");
	sqlite3_finalize(st);
	return err;
}

/* Set a send's status; MARK 1 stamps sent_ms with AT_MS, 2 result_ms,
 * 0 neither. */
static int
send_set(struct store *s, int64_t send_id, const char *status, int attempt,
    const char *ext_id, int64_t at_ms, int mark)
{
	sqlite3_stmt *st = NULL;
	int err;

	if ((err = store_prepare(s,
	         "UPDATE emergency_sends SET status = ?2,"
	         " attempts = attempts + ?3, ext_id = coalesce(?4, ext_id),"
	         " sent_ms = CASE WHEN ?6 = 1 THEN ?5 ELSE sent_ms END,"
	         " result_ms = CASE WHEN ?6 = 2 THEN ?5 ELSE result_ms END"
	         " WHERE id = ?1",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, send_id);
	store_bind_text(st, 2, status);
	sqlite3_bind_int(st, 3, attempt);
	store_bind_text(st, 4, ext_id);
	sqlite3_bind_int64(st, 5, at_ms);
	sqlite3_bind_int(st, 6, mark);
	err = store_step_done(s, st, "emergency send");
	sqlite3_finalize(st);
	return err;
}

int
store_emergency_claim(
    struct store *s, int64_t send_id, struct store_emergency_send *out)
{
	struct store_emergency_send x;
	struct esc_incident inc;
	int err, want = 0;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = send_get(s, send_id, &x)) != 0 ||
	    (err = engine_load(s, x.incident_id, &inc)) != 0)
		goto out;
	if (strcmp(x.status, "pending") != 0) {
		err = ECANCELED; /* claimed already, or done */
		goto out;
	}
	want = esc_claim(&inc, &x.act) == 0;
	err = send_set(s, send_id, want ? "sending" : "superseded",
	    want ? 1 : 0, NULL, 0, 0);
out:
	err = store_tx_end(s, err);
	if (err == 0 && !want)
		return ECANCELED;
	if (err == 0 && out != NULL) {
		*out = x;
		snprintf(out->status, sizeof(out->status), "sending");
		out->attempts++;
	}
	return err;
}

int
store_emergency_report(struct store *s, const char *ref, const char *status,
    const struct esc_now *now)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	int err, rc;

	if (ref == NULL || ref[0] == '\0')
		return EINVAL;
	if ((err = store_prepare(s,
	         "SELECT id FROM emergency_sends WHERE ext_id = ?1 AND"
	         " status IN ('sent', 'unknown') ORDER BY id DESC LIMIT 1",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else
		err = rc == SQLITE_DONE ? ENOENT
		                        : store_err(s, rc, "emergency report");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	return store_emergency_result(s, id, status, ref, now);
}

int
store_emergency_result(struct store *s, int64_t send_id, const char *status,
    const char *ext_id, const struct esc_now *now)
{
	struct store_emergency_send x;
	struct model_rec r;
	sqlite3_stmt *st = NULL;
	const char *col;
	uint64_t key;
	char sql[160];
	int err, rc, first = 0, rec = 0;

	if (strcmp(status, "sent") != 0 && strcmp(status, "delivered") != 0 &&
	    strcmp(status, "failed") != 0 && strcmp(status, "unknown") != 0)
		return EINVAL;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = send_get(s, send_id, &x)) != 0 ||
	    (err = send_set(s, send_id, status, 0, ext_id, now->wall_ms,
	         strcmp(status, "sent") == 0 ? 1 : 2)) != 0)
		goto out;
	if (strcmp(status, "sent") == 0) {
		col = "first_send_ms";
		key = REC_EMERG_FIRST_SEND;
	} else if (strcmp(status, "delivered") == 0) {
		col = "first_delivery_ms";
		key = REC_EMERG_FIRST_DELIVERY;
	} else
		goto ev;
	snprintf(sql, sizeof(sql),
	    "SELECT %s IS NULL FROM emergencies WHERE id = ?1", col);
	if ((err = store_prepare(s, sql, &st)) != 0)
		goto out;
	store_bind_text(st, 1, x.incident_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		first = sqlite3_column_int(st, 0);
	else
		err = store_err(s, rc, "emergency");
	sqlite3_finalize(st);
	if (err != 0 || !first)
		goto ev;
	/* the interval marks of §7.3: the first send, the first delivery */
	store_rec_init(s, &r, REC_EMERGENCY, x.incident_id, store_hlc_now(s));
	rec = 1;
	model_set_uint(&r, key, (uint64_t)now->wall_ms);
	if ((err = store_row_update(s, &r, NULL, &rc)) != 0 ||
	    (err = store_outbox_put(s, &r)) != 0)
		goto out;
ev:
	err = event(s, x.incident_id, now, status, x.act.rcpt);
out:
	if (rec)
		model_rec_clear(&r);
	return store_tx_end(s, err);
}

int
store_emergency_event(struct store *s, const char *id,
    const struct esc_now *now, const char *kind, const char *detail)
{
	struct esc_incident inc;
	int err;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = engine_load(s, id, &inc)) == 0)
		err = event(s, id, now, kind, detail);
	return store_tx_end(s, err);
}

int
store_emergency_events(struct store *s, const char *id, const char *kind,
    int (*cb)(void *, const struct store_emergency_ev *), void *arg)
{
	struct store_emergency_ev ev;
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = store_prepare(s,
	         "SELECT seq, at_ms, kind, detail FROM emergency_events"
	         " WHERE incident_id = ?1 AND (?2 IS NULL OR kind = ?2)"
	         " ORDER BY seq",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, kind);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ev, 0, sizeof(ev));
		ev.seq = sqlite3_column_int64(st, 0);
		ev.at_ms = sqlite3_column_int64(st, 1);
		copy_text(st, 2, ev.kind, sizeof(ev.kind));
		copy_text(st, 3, ev.detail, sizeof(ev.detail));
		if ((err = cb(arg, &ev)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "emergency events");
out:
	sqlite3_finalize(st);
	return err;
}

int
store_emergency_recover(struct store *s, int *resent, int *superseded)
{
	struct store_emergency_send x[64];
	struct esc_incident inc;
	sqlite3_stmt *st = NULL;
	int err, rc, n = 0, i, nre = 0, nsup = 0, more;

	do {
		if ((err = store_tx_begin(s)) != 0)
			return err;
		n = 0;
		if ((err = store_prepare(s,
		         "SELECT " SEND_COLS " FROM emergency_sends"
		         " WHERE status = 'sending' ORDER BY id LIMIT 64",
		         &st)) != 0)
			goto out;
		while (n < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW)
			send_of(st, &x[n++]);
		sqlite3_finalize(st);
		for (i = 0; i < n && err == 0; i++) {
			if ((err = engine_load(s, x[i].incident_id, &inc)) != 0)
				break;
			/* a send cut by the crash may have gone: again only
			 * while its level is current (one duplicate at most) */
			if (esc_claim(&inc, &x[i].act) == 0) {
				err = send_set(
				    s, x[i].id, "pending", 0, NULL, 0, 0);
				nre++;
			} else {
				err = send_set(
				    s, x[i].id, "superseded", 0, NULL, 0, 0);
				nsup++;
			}
		}
out:
		more = n == 64;
		if ((err = store_tx_end(s, err)) != 0)
			return err;
	} while (more);
	if (resent != NULL)
		*resent = nre;
	if (superseded != NULL)
		*superseded = nsup;
	if (nre + nsup > 0)
		log_info("emergency sends after restart: %d again, %d "
		         "superseded",
		    nre, nsup);
	return 0;
}

int
store_emergency_roster_get(struct store *s, const uint8_t pub[32], int64_t now,
    struct esc_roster *r, int *stale)
{
	uint8_t *v = NULL;
	size_t len = 0;
	char *cause = NULL;
	int err;

	if ((err = store_state_get(s, ROSTER_KEY, &v, &len)) != 0)
		return err;
	if (v == NULL || len == 0) {
		free(v);
		return ENOENT;
	}
	if ((err = esc_roster_open(v, len, pub, r, &cause)) != 0) {
		/* the kept roster no longer verifies: the key changed */
		log_warnx("kept roster: %s", cause);
		err = EBADMSG;
	} else if (stale != NULL)
		*stale = esc_roster_stale(r, now);
	free(cause);
	free(v);
	return err;
}

int
store_emergency_roster_put(struct store *s, const uint8_t *buf, size_t len,
    const uint8_t pub[32], int64_t now, char **cause)
{
	struct esc_roster *cur = xcalloc(1, sizeof(*cur));
	int err;

	err = store_emergency_roster_get(s, pub, now, cur, NULL);
	if (err != 0 && err != ENOENT && err != EBADMSG)
		goto out;
	if (err != 0)
		memset(cur, 0, sizeof(*cur)); /* none usable: any good one */
	if ((err = esc_roster_accept(cur, buf, len, pub, now, cause)) != 0)
		goto out;
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	err = store_state_put(s, ROSTER_KEY, buf, len);
	if (err == 0)
		err = store_audit_append(s, "roster", "emergency", NULL, NULL);
	err = store_tx_end(s, err);
	if (err == 0)
		log_info("emergency roster version %llu in use",
		    (unsigned long long)cur->version);
out:
	free(cur);
	return err;
}
