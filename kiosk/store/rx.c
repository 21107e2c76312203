/*
 * Prescriptions (issue 14): a clinician's signed orders from a consult,
 * their cancels and stops, and what a kiosk derives from them.
 *
 *   - An order is checked (clinical/rx.h) against the node's formulary
 *     with what this node knows of the patient: age from the birth date,
 *     documented allergies, the weight measured at the consult's visit,
 *     the patient's active orders.  A hard block refuses it; a soft block
 *     needs an override reason, which is audited.  The context the checks
 *     saw is signed with the order, so the server checks it again.
 *   - Signed like a consult note (consult.c's signer and key; the bytes
 *     are model/prescription.h's).
 *   - A cancel or stop is a new signed record naming the order.  It is
 *     applied (the order's status changes) only when the order is here; a
 *     cancel that arrives first stays pending (applied_ms NULL) and is
 *     applied when its order is stored, in the same transaction.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clinical/rx.h"
#include "crypto.h"
#include "hlc.h"
#include "licstore.h"
#include "log.h"
#include "prescription.h"
#include "record.h"
#include "store_int.h"
#include "xmalloc.h"

#define WEIGHT_LOINC "29463-7"
#define FOLLOW_UP_MS (183ull * 86400000ull) /* TPG: within 6 months */
#define FORMULARY_MAX (1 << 20)

#define RX_COLS                                                                \
	"x.id, x.patient_id, x.encounter_id, x.consult_id, x.action,"          \
	" x.order_id, x.region, x.code, x.inn, x.strength, x.form, x.route,"   \
	" x.unit, x.note, x.override, x.allergies, x.mode, x.clinician_id,"    \
	" x.clinician_name, x.regno, x.status,"                                \
	" trim(coalesce(p.given, '') || ' ' || coalesce(p.family, '')),"       \
	" p.sex, p.birth_date, c.assessment, coalesce(x.dose, 0),"             \
	" coalesce(x.weight_kg, 0), coalesce(x.per_day, 0),"                   \
	" coalesce(x.days, 0), coalesce(x.age_days, -1),"                      \
	" coalesce(x.first_consult, 0), coalesce(x.signed_ms, 0), x.hlc,"      \
	" coalesce(x.applied_ms, 0), coalesce(x.seen_ms, 0), x.sig, x.signkey" \
	", p.village, p.phone"
#define RX_FROM                                                                \
	" FROM prescriptions x LEFT JOIN patients p ON p.id = x.patient_id"    \
	" LEFT JOIN consults c ON c.id = x.consult_id"

static void
rx_from_row(sqlite3_stmt *st, struct store_rx *x)
{
	char **t[] = { &x->patient_id, &x->encounter_id, &x->consult_id,
		&x->action, &x->order_id, &x->region, &x->code, &x->inn,
		&x->strength, &x->form, &x->route, &x->unit, &x->note,
		&x->override, &x->allergies, &x->mode, &x->clinician,
		&x->clinician_name, &x->regno, &x->status, &x->patient_name,
		&x->patient_sex, &x->patient_birth, &x->assessment };
	const unsigned char *id = sqlite3_column_text(st, 0);
	size_t i;

	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", id ? (const char *)id : "");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		*t[i] = store_col_text(st, (int)i + 1);
	x->dose = sqlite3_column_double(st, 25);
	x->weight_kg = sqlite3_column_double(st, 26);
	x->per_day = (unsigned)sqlite3_column_int(st, 27);
	x->days = (unsigned)sqlite3_column_int(st, 28);
	x->age_days = sqlite3_column_int(st, 29);
	x->first_consult = sqlite3_column_int(st, 30);
	x->signed_ms = (uint64_t)sqlite3_column_int64(st, 31);
	x->hlc = (uint64_t)sqlite3_column_int64(st, 32);
	x->applied_ms = (uint64_t)sqlite3_column_int64(st, 33);
	x->seen_ms = (uint64_t)sqlite3_column_int64(st, 34);
	if (sqlite3_column_bytes(st, 35) == 64) {
		memcpy(x->sig, sqlite3_column_blob(st, 35), 64);
		x->has_sig = 1;
	}
	if (sqlite3_column_bytes(st, 36) == 32) {
		memcpy(x->signkey, sqlite3_column_blob(st, 36), 32);
		x->has_signkey = 1;
	}
	x->patient_village = store_col_text(st, 37);
	x->patient_phone = store_col_text(st, 38);
}

/* X's signer's qualification, practice address and contact from the
 * licence snapshot held here (the region's data: cadre and regulator of
 * the registration number; the first of their licences that has each). */
static void
rx_qualification(struct store *s, struct store_rx *x)
{
	struct licence_set set;
	const struct licence *l;
	size_t i;

	memset(&set, 0, sizeof(set));
	if (x->regno == NULL || store_licence_get(s, &set) != 0)
		return;
	for (i = 0; i < set.n; i++) {
		l = &set.l[i];
		if (strcmp(l->regno, x->regno) != 0)
			continue;
		if (x->qualification == NULL && l->cadre[0] != '\0')
			xasprintf(&x->qualification, "%s, %s", l->cadre,
			    l->regulator);
		if (x->clinician_address == NULL && l->address[0] != '\0')
			x->clinician_address = xstrdup(l->address);
		if (x->clinician_contact == NULL && l->contact[0] != '\0')
			x->clinician_contact = xstrdup(l->contact);
	}
	licence_set_clear(&set);
}

void
store_rx_clear(struct store_rx *x)
{
	char *t[] = { x->patient_id, x->encounter_id, x->consult_id, x->action,
		x->order_id, x->region, x->code, x->inn, x->strength, x->form,
		x->route, x->unit, x->note, x->override, x->allergies, x->mode,
		x->clinician, x->clinician_name, x->regno, x->status,
		x->patient_name, x->patient_sex, x->patient_birth,
		x->assessment, x->patient_village, x->patient_phone,
		x->qualification, x->clinician_address, x->clinician_contact };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		free(t[i]);
	memset(x, 0, sizeof(*x));
}

void
store_rx_free_array(struct store_rx *x, size_t n)
{
	size_t i;

	for (i = 0; x != NULL && i < n; i++)
		store_rx_clear(&x[i]);
	free(x);
}

int
store_rx_formulary(struct store *s, struct rx_formulary *f, char **cause)
{
	const char *dir = getenv("OUTPOST_FORMULARY_DIR");
	char cc[3], path[512], why[160], *text;
	size_t len;
	FILE *fp;
	int err;

	memset(f, 0, sizeof(*f));
	if (store_country_get(s, cc) != 0) {
		*cause = xstrdup("this node has no country: set it with "
		                 "`kiosk country CC`");
		return ENOENT;
	}
	snprintf(path, sizeof(path), "%s/%s.tsv",
	    dir && dir[0] ? dir : "clinical/formulary", cc);
	fp = fopen(path, "r");
	if (fp == NULL && (dir == NULL || dir[0] == '\0') && errno == ENOENT) {
		/* installed by the outpost-kiosk package (issue 18) */
		snprintf(path, sizeof(path), "%s/formulary/%s.tsv",
		    STORE_SHARE_DIR, cc);
		fp = fopen(path, "r");
	}
	if (fp == NULL) {
		err = errno;
		xasprintf(cause, "no formulary for region %s (%s: %s)", cc,
		    path, strerror(err));
		return ENOENT;
	}
	text = xmalloc(FORMULARY_MAX);
	len = fread(text, 1, FORMULARY_MAX, fp);
	err = ferror(fp) ? EIO : len == FORMULARY_MAX ? EFBIG : 0;
	fclose(fp);
	if (err == 0 &&
	    (err = rx_formulary_parse(text, len, cc, f, why, sizeof(why))) != 0)
		xasprintf(cause, "%s: %s", path, why);
	else if (err != 0)
		xasprintf(cause, "%s: %s", path, strerror(err));
	free(text);
	return err;
}

int
rx_gate(struct store *s, char **cause)
{
	sqlite3_stmt *st;
	char *regno = NULL;
	int rc, err, ok = 0;

	if (s->actor == NULL) {
		*cause = xstrdup("sign in as a clinician to prescribe");
		return EPERM;
	}
	if ((err = store_prepare(s,
	         "SELECT role = 2 AND coalesce(licence, '') != ''"
	         " AND length(signkey) = 32, licence FROM users WHERE id = ?",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, s->actor);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ok = sqlite3_column_int(st, 0);
		regno = store_col_text(st, 1);
	} else if (rc != SQLITE_DONE)
		err = store_err(s, rc, "gate");
	sqlite3_finalize(st);
	if (err == 0 && !ok) {
		*cause = xstrdup("only a clinician with a registration number "
		                 "and a signing key here prescribes "
		                 "(kiosk consult key)");
		err = EPERM;
	}
	/* the held licence snapshot refuses what it does not permit (the
	 * server checks again at sync) */
	if (err == 0)
		err = store_licence_gate(s, regno, LIC_ACT_PRESCRIBE, NULL,
		    (int64_t)HLC_MS(store_hlc_now(s)), NULL, cause);
	free(regno);
	return err;
}

/* One text or number from SQL with one bound text parameter. */
static int
rx_query_text(struct store *s, const char *sql, const char *arg, char **out)
{
	sqlite3_stmt *st;
	int rc, err;

	*out = NULL;
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, arg);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = store_col_text(st, 0);
	else if (rc != SQLITE_DONE)
		err = store_err(s, rc, "prescription lookup");
	sqlite3_finalize(st);
	return err;
}

int
store_patient_allergies(struct store *s, const char *patient_id, char **out)
{
	return rx_query_text(s,
	    "SELECT allergies FROM patients WHERE id = ? AND deleted = 0",
	    patient_id, out);
}

int
store_patient_set_allergies(
    struct store *s, const char *patient_id, const char *text)
{
	struct model_rec r;
	int err, n = 0;

	if (text == NULL || strlen(text) > 1000)
		return EINVAL;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	store_rec_init(s, &r, REC_PATIENT, patient_id, store_hlc_now(s));
	model_set_text(&r, REC_PAT_ALLERGIES, text);
	if ((err = store_row_update(s, &r, "deleted = 0", &n)) == 0 && n != 1)
		err = ENOENT;
	if (err == 0)
		err = store_outbox_put(s, &r);
	if (err == 0)
		err = store_audit_append(
		    s, "change", "patient", patient_id, "allergies");
	return store_tx_end(s, err);
}

/* The weight (kg) measured at visit ENCOUNTER_ID, newest; 0 when none. */
static int
rx_weight(struct store *s, const char *encounter_id, double *kg)
{
	sqlite3_stmt *st;
	int rc, err;

	*kg = 0;
	if ((err = store_prepare(s,
	         "SELECT value FROM observations WHERE encounter_id = ?"
	         " AND loinc = '" WEIGHT_LOINC "' AND value > 0"
	         " ORDER BY recorded_ms DESC, id DESC LIMIT 1",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, encounter_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*kg = sqlite3_column_double(st, 0);
	else if (rc != SQLITE_DONE)
		err = store_err(s, rc, "weight");
	sqlite3_finalize(st);
	return err;
}

/* Is consult C a first consult: no other consult of the patient signed
 * in the 183 days before C was requested (TPG 2020)? */
static int
rx_first(struct store *s, const struct store_consult *c, int *first)
{
	sqlite3_stmt *st;
	uint64_t since =
	    c->requested_ms > FOLLOW_UP_MS ? c->requested_ms - FOLLOW_UP_MS : 0;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT count(*) FROM consults WHERE patient_id = ?1"
	         " AND id != ?2 AND deleted = 0 AND signed_ms >= ?3"
	         " AND signed_ms <= ?4",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, c->patient_id);
	store_bind_text(st, 2, c->id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)since);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->requested_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*first = sqlite3_column_int(st, 0) == 0;
	else
		err = store_err(s, rc, "first consult");
	sqlite3_finalize(st);
	return err;
}

/* The ingredients of PATIENT_ID's active orders still running on NOW_MS,
 * from F (codes F lacks are skipped). */
static int
rx_active(struct store *s, const struct rx_formulary *f, const char *patient_id,
    uint64_t now_ms, const char ***out, size_t *n)
{
	const struct rx_item *it;
	sqlite3_stmt *st;
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT code FROM prescriptions WHERE patient_id = ?1"
	         " AND action = 'order' AND status = 'active'"
	         " AND signed_ms + days * 86400000 > ?2",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, patient_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		it = rx_formulary_find(
		    f, (const char *)sqlite3_column_text(st, 0));
		if (it == NULL)
			continue;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = it->ingredients;
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "active orders");
	sqlite3_finalize(st);
	return err;
}

/* Sign R (every field set but the signature) with the actor's key PRIV
 * and store it: row, change, audit DETAIL; in the open transaction. */
static int
rx_sign_store(struct store *s, struct model_rec *r, const uint8_t priv[32],
    const char *detail)
{
	uint8_t sig[64], *msg = NULL;
	size_t len;
	int err;

	if ((err = prescription_sig_bytes(r, &msg, &len)) == 0 &&
	    (err = crypto_ed25519_sign(priv, msg, len, sig)) == 0) {
		model_set_bytes(r, REC_RX_SIG, sig, sizeof(sig));
		if ((err = store_row_insert(s, r, NULL, 0)) == 0 &&
		    (err = store_outbox_put(s, r)) == 0 &&
		    (err = store_rx_stored(s, r)) == 0 &&
		    (err = store_rx_seen(s, r->id)) == 0) /* not new here */
			err = store_audit_append(
			    s, "create", "prescription", r->id, detail);
	}
	free(msg);
	return err;
}

/* The signer's part of R: who, with which key, when. */
struct rx_signer {
	char *name, *regno;
	uint8_t pub[32], priv[32];
};

static int
rx_signer(struct store *s, struct rx_signer *g, char **cause)
{
	int has_pub = 0, err;

	memset(g, 0, sizeof(*g));
	if ((err = rx_gate(s, cause)) != 0)
		return err;
	if ((err = consult_actor(s, &g->name, &g->regno, g->pub, &has_pub)) !=
	    0)
		return err;
	if (!has_pub || consult_priv(s, g->priv) != 0) {
		*cause = xstrdup("this clinician has no signing key here "
		                 "(kiosk consult key)");
		return ENOKEY;
	}
	return 0;
}

static void
rx_signer_clear(struct rx_signer *g)
{
	explicit_bzero(g->priv, sizeof(g->priv));
	free(g->name);
	free(g->regno);
}

static void
rx_set_signer(struct model_rec *r, struct store *s, const struct rx_signer *g,
    uint64_t hlc)
{
	model_set_text(r, REC_RX_CLINICIAN, s->actor);
	model_set_text(r, REC_RX_CLINICIAN_NAME, g->name ? g->name : "");
	model_set_text(r, REC_RX_REGNO, g->regno ? g->regno : "");
	model_set_uint(r, REC_RX_SIGNED, HLC_MS(hlc));
	model_set_bytes(r, REC_RX_SIGKEY, g->pub, sizeof(g->pub));
}

/* The findings of RES as one line, for a cause or an audit entry. */
static char *
rx_findings(const struct rx_result *res, int level)
{
	char *out = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < res->n; i++) {
		if (res->f[i].level != level)
			continue;
		xasprintf(
		    &t, "%s%s%s", out, out[0] ? "; " : "", res->f[i].text);
		free(out);
		out = t;
	}
	return out;
}

/* The patient context of consult C for the checks. */
struct rx_ctx_buf {
	struct rx_context c;
	char *birth, *allergies;
	const char **active;
};

static int
rx_context_of(struct store *s, const struct rx_formulary *f,
    const struct store_consult *c, int first, uint64_t now_ms,
    struct rx_ctx_buf *b)
{
	int err;

	memset(b, 0, sizeof(*b));
	if ((err = rx_query_text(s,
	         "SELECT birth_date FROM patients WHERE id = ?", c->patient_id,
	         &b->birth)) != 0 ||
	    (err = store_patient_allergies(s, c->patient_id, &b->allergies)) !=
	        0 ||
	    (err = rx_weight(s, c->encounter_id, &b->c.weight_kg)) != 0 ||
	    (err = rx_active(
	         s, f, c->patient_id, now_ms, &b->active, &b->c.nactive)) != 0)
		return err;
	b->c.age_days = rx_age_days(b->birth, now_ms);
	b->c.allergies = b->allergies;
	b->c.mode = c->mode;
	b->c.active = b->active;
	if (first < 0)
		err = rx_first(s, c, &b->c.first_consult);
	else
		b->c.first_consult = first;
	return err;
}

static void
rx_ctx_clear(struct rx_ctx_buf *b)
{
	free(b->birth);
	free(b->allergies);
	free(b->active);
}

/* The order record of N for item IT in consult C with context X. */
static void
rx_order_rec(struct store *s, struct model_rec *r, const char *id, uint64_t hlc,
    const struct rx_formulary *f, const struct rx_item *it,
    const struct store_rx_new *n, const struct store_consult *c,
    const struct rx_context *x)
{
	store_rec_init(s, r, REC_PRESCRIPTION, id, hlc);
	model_set_text(r, REC_RX_PATIENT, c->patient_id);
	model_set_text(r, REC_RX_ENCOUNTER, c->encounter_id);
	model_set_text(r, REC_RX_CONSULT, c->id);
	model_set_text(r, REC_RX_ACTION, "order");
	model_set_text(r, REC_RX_REGION, f->region);
	model_set_text(r, REC_RX_CODE, it->code);
	model_set_text(r, REC_RX_INN, it->inn);
	model_set_text(r, REC_RX_STRENGTH, it->strength);
	model_set_text(r, REC_RX_FORM, it->form);
	model_set_text(r, REC_RX_ROUTE, n->route);
	model_set_double(r, REC_RX_DOSE, n->dose);
	model_set_text(r, REC_RX_UNIT, it->unit);
	model_set_uint(r, REC_RX_PER_DAY, n->per_day);
	model_set_uint(r, REC_RX_DAYS, n->days);
	model_set_text(r, REC_RX_NOTE, n->note ? n->note : "");
	model_set_text(r, REC_RX_OVERRIDE, n->override ? n->override : "");
	model_set_uint(r, REC_RX_AGE_DAYS, (uint64_t)x->age_days);
	model_set_double(r, REC_RX_WEIGHT, x->weight_kg);
	model_set_text(r, REC_RX_ALLERGIES, x->allergies ? x->allergies : "");
	model_set_text(r, REC_RX_MODE, c->mode ? c->mode : "");
	model_set_bool(r, REC_RX_FIRST, x->first_consult);
}

/* Is the acting clinician the one who holds consult C? */
static int
rx_consult_mine(struct store *s, const struct store_consult *c)
{
	return s->actor != NULL && c->clinician != NULL &&
	    strcmp(c->clinician, s->actor) == 0 &&
	    (strcmp(c->state, "accepted") == 0 ||
	        strcmp(c->state, "call") == 0 ||
	        strcmp(c->state, "signed") == 0);
}

int
store_rx_issue(struct store *s, const struct rx_formulary *f,
    const struct store_rx_new *n, struct rx_result *res,
    char id_out[UUID_STRLEN + 1], char **cause)
{
	struct store_consult c;
	struct rx_ctx_buf b;
	struct rx_signer g;
	struct rx_result local;
	struct rx_order o;
	struct model_rec r;
	const struct rx_item *it;
	char *detail = NULL, *soft;
	uint64_t hlc, now_ms;
	int err;

	*cause = NULL;
	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	if ((err = rx_signer(s, &g, cause)) != 0)
		goto out;
	if ((err = store_consult_get(s, n->consult_id, &c)) != 0 ||
	    !rx_consult_mine(s, &c)) {
		*cause = xstrdup(err == ENOENT ? "no such consult here"
		                               : "only the clinician who "
		                                 "accepted the consult "
		                                 "prescribes in it");
		err = EINVAL;
		goto out;
	}
	now_ms = HLC_MS(store_hlc_now(s));
	if ((err = rx_context_of(s, f, &c, n->first, now_ms, &b)) != 0)
		goto out;
	o.code = n->code;
	o.route = n->route;
	o.dose = n->dose;
	o.per_day = n->per_day;
	o.days = n->days;
	rx_check(f, &o, &b.c, res);
	if (n->check_only)
		goto out;
	if (res->level == RX_HARD) {
		*cause = rx_findings(res, RX_HARD);
		err = EPERM;
		goto out;
	}
	if (res->level == RX_SOFT &&
	    (n->override == NULL || n->override[0] == '\0')) {
		soft = rx_findings(res, RX_SOFT);
		xasprintf(cause, "%s: give a reason to override", soft);
		free(soft);
		err = EAGAIN;
		goto out;
	}
	it = rx_formulary_find(f, n->code);
	if (res->level == RX_SOFT) {
		soft = rx_findings(res, RX_SOFT);
		xasprintf(&detail, "override (%s): %s", soft, n->override);
		free(soft);
	}
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	hlc = store_hlc_now(s);
	store_new_id(id_out);
	rx_order_rec(s, &r, id_out, hlc, f, it,
	    &(struct store_rx_new){ .route = n->route,
	        .dose = n->dose,
	        .per_day = n->per_day,
	        .days = n->days,
	        .note = n->note,
	        .override = res->level == RX_SOFT ? n->override : "" },
	    &c, &b.c);
	rx_set_signer(&r, s, &g, hlc);
	err = store_tx_end(
	    s, rx_sign_store(s, &r, g.priv, detail ? detail : "order"));
out:
	free(detail);
	rx_ctx_clear(&b);
	rx_signer_clear(&g);
	store_consult_clear(&c);
	return err;
}

int
store_rx_end(struct store *s, const char *order_id, const char *action,
    const char *why, char id_out[UUID_STRLEN + 1], char **cause)
{
	struct store_rx o;
	struct rx_signer g;
	struct model_rec r;
	uint64_t hlc;
	int err;

	*cause = NULL;
	memset(&o, 0, sizeof(o));
	if (action == NULL ||
	    (strcmp(action, "cancel") != 0 && strcmp(action, "stop") != 0))
		return EINVAL;
	if ((err = rx_signer(s, &g, cause)) != 0)
		goto out;
	if ((err = store_rx_get(s, order_id, &o)) != 0 ||
	    strcmp(o.action, "order") != 0 || strcmp(o.status, "active") != 0) {
		*cause = xstrdup(err == ENOENT ? "no such prescription here"
		                               : "only an active order is "
		                                 "cancelled or stopped");
		err = EINVAL;
		goto out;
	}
	if (why == NULL || why[0] == '\0') {
		*cause = xstrdup("say why it is cancelled or stopped");
		err = EINVAL;
		goto out;
	}
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	hlc = store_hlc_now(s);
	store_new_id(id_out);
	store_rec_init(s, &r, REC_PRESCRIPTION, id_out, hlc);
	model_set_text(&r, REC_RX_PATIENT, o.patient_id);
	model_set_text(&r, REC_RX_ENCOUNTER, o.encounter_id);
	model_set_text(&r, REC_RX_CONSULT, o.consult_id);
	model_set_text(&r, REC_RX_ACTION, action);
	model_set_text(&r, REC_RX_ORDER, o.id);
	model_set_text(&r, REC_RX_REGION, o.region);
	model_set_text(&r, REC_RX_CODE, o.code);
	model_set_text(&r, REC_RX_INN, o.inn);
	model_set_text(&r, REC_RX_NOTE, why);
	rx_set_signer(&r, s, &g, hlc);
	err = store_tx_end(s, rx_sign_store(s, &r, g.priv, action));
out:
	rx_signer_clear(&g);
	store_rx_clear(&o);
	return err;
}

/* Apply cancel or stop X (id XID, naming ORDER_ID) when its order is
 * here: set the order's status and X's applied_ms. */
static int
rx_apply_end(
    struct store *s, const char *xid, const char *action, const char *order_id)
{
	sqlite3_stmt *st;
	int err, n;

	if ((err = store_prepare(s,
	         "UPDATE prescriptions SET status = ?2 WHERE id = ?1"
	         " AND action = 'order' AND status = 'active'",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, order_id);
	store_bind_text(
	    st, 2, strcmp(action, "stop") == 0 ? "stopped" : "cancelled");
	err = store_step_done(s, st, "order status");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	/* applied once its order is here, whatever its status was */
	if ((err = store_prepare(s,
	         "UPDATE prescriptions SET applied_ms = ?2 WHERE id = ?1"
	         " AND applied_ms IS NULL AND EXISTS (SELECT 1 FROM"
	         " prescriptions o WHERE o.id = ?3 AND o.action = 'order')",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, xid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)HLC_MS(store_hlc_now(s)));
	store_bind_text(st, 3, order_id);
	err = store_step_done(s, st, "applied");
	n = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	if (err == 0 && n == 1)
		log_info("prescription %.8s applied to its order", xid);
	return err;
}

int
store_rx_stored(struct store *s, const struct model_rec *r)
{
	const struct model_value *a = model_get(r, REC_RX_ACTION);
	const struct model_value *o = model_get(r, REC_RX_ORDER);
	sqlite3_stmt *st;
	char **ids = NULL, **acts = NULL;
	size_t n = 0, i;
	int rc, err;

	if (a == NULL || a->text == NULL || strcmp(a->text, "order") == 0) {
		/* the pending cancels and stops naming this order */
		if ((err = store_prepare(s,
		         "SELECT id, action FROM prescriptions WHERE"
		         " order_id = ? AND action != 'order'"
		         " AND applied_ms IS NULL ORDER BY hlc, id",
		         &st)) != 0)
			return err;
		store_bind_text(st, 1, r->id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			ids = xreallocarray(ids, n + 1, sizeof(*ids));
			acts = xreallocarray(acts, n + 1, sizeof(*acts));
			ids[n] = store_col_text(st, 0);
			acts[n++] = store_col_text(st, 1);
		}
		err = rc == SQLITE_DONE ? 0 : store_err(s, rc, "pending");
		sqlite3_finalize(st);
		for (i = 0; i < n; i++) {
			if (err == 0)
				err = rx_apply_end(s, ids[i], acts[i], r->id);
			free(ids[i]);
			free(acts[i]);
		}
		free(ids);
		free(acts);
		return err;
	}
	if (o == NULL || o->text == NULL)
		return 0; /* a cancel naming nothing: kept, never applied */
	return rx_apply_end(s, r->id, a->text, o->text);
}

int
store_rx_get(struct store *s, const char *id, struct store_rx *x)
{
	sqlite3_stmt *st;
	int rc, err;

	memset(x, 0, sizeof(*x));
	if (id == NULL || strlen(id) < 8 || strlen(id) > UUID_STRLEN)
		return ENOENT;
	if ((err = store_prepare(s,
	         "SELECT " RX_COLS RX_FROM
	         " WHERE x.id >= ?1 AND x.id < ?1 || 'g' ORDER BY x.id LIMIT 2",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rx_from_row(st, x);
		if (sqlite3_step(st) == SQLITE_ROW) {
			store_rx_clear(x);
			err = ENOENT; /* ambiguous */
		}
	} else
		err = rc == SQLITE_DONE ? ENOENT : store_err(s, rc, "rx");
	sqlite3_finalize(st);
	if (err == 0)
		rx_qualification(s, x);
	return err;
}

int
store_rx_list(struct store *s, const char *patient_id, int only_new,
    struct store_rx **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT " RX_COLS RX_FROM
	         " WHERE (?1 IS NULL OR x.patient_id = ?1)"
	         " AND (?2 = 0 OR (x.seen_ms IS NULL AND x.action = 'order'"
	         " AND x.status = 'active'))"
	         " ORDER BY x.hlc DESC, x.id",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, patient_id);
	sqlite3_bind_int(st, 2, only_new);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		rx_from_row(st, &(*out)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		err = store_err(s, rc, "rx list");
		store_rx_free_array(*out, *n);
		*out = NULL;
		*n = 0;
	}
	sqlite3_finalize(st);
	return err;
}

/* The record of X as it was signed (its body's fields, from the row). */
static int
rx_rec_of(struct store *s, const struct store_rx *x, struct model_rec *r)
{
	const struct model_entity *e = model_entity(REC_PRESCRIPTION);
	sqlite3_stmt *st;
	char sql[1024];
	size_t i, off = 0;
	int rc, err;

	model_rec_init(r, e, x->id, 0, NULL);
	off += (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < e->nfields; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s%s",
		    i ? ", " : "", e->fields[i].col);
	snprintf(
	    sql + off, sizeof(sql) - off, " FROM prescriptions WHERE id = ?");
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, x->id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? ENOENT : store_err(s, rc, "rx");
	}
	for (i = 0; i < e->nfields; i++) {
		struct model_value *v = &r->v[i];

		if (sqlite3_column_type(st, (int)i) == SQLITE_NULL)
			continue;
		v->set = 1;
		switch (e->fields[i].type) {
		case MODEL_TEXT:
		case MODEL_UUID:
			r->own[i] = store_col_text(st, (int)i);
			v->text = r->own[i];
			break;
		case MODEL_UINT:
			v->u = (uint64_t)sqlite3_column_int64(st, (int)i);
			break;
		case MODEL_BOOL:
			v->i = sqlite3_column_int(st, (int)i) != 0;
			break;
		case MODEL_DOUBLE:
			v->d = sqlite3_column_double(st, (int)i);
			break;
		case MODEL_BYTES:
			v->len = (size_t)sqlite3_column_bytes(st, (int)i);
			r->own[i] = xmemdup(
			    sqlite3_column_blob(st, (int)i), v->len + 1);
			v->p = r->own[i];
			break;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_rx_verify(struct store *s, const struct store_rx *x, const char **why)
{
	struct model_rec r;
	sqlite3_stmt *st;
	uint8_t *msg = NULL;
	size_t len;
	int err, rc;

	*why = NULL;
	if (!x->has_sig || x->signed_ms == 0) {
		*why = "not signed";
		return ENOENT;
	}
	if (!x->has_signkey || x->clinician == NULL) {
		*why = "the signature has no key";
		return EBADMSG;
	}
	if ((err = rx_rec_of(s, x, &r)) == 0 &&
	    (err = prescription_sig_bytes(&r, &msg, &len)) == 0 &&
	    crypto_ed25519_verify(x->signkey, msg, len, x->sig) != 0) {
		*why = "the prescription does not match its signature";
		err = EBADMSG;
	}
	free(msg);
	model_rec_clear(&r);
	if (err != 0)
		return err;
	if ((err = store_prepare(
	         s, "SELECT signkey FROM users WHERE id = ?", &st)) != 0)
		return err;
	store_bind_text(st, 1, x->clinician);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
	    memcmp(sqlite3_column_blob(st, 0), x->signkey, 32) != 0) {
		*why = "signed with a key that is not the clinician's";
		err = EBADMSG;
	}
	sqlite3_finalize(st);
	return err;
}

int
store_rx_seen(struct store *s, const char *id)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "UPDATE prescriptions SET seen_ms = ?2 WHERE id = ?1"
	         " AND seen_ms IS NULL",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)HLC_MS(store_hlc_now(s)));
	err = store_step_done(s, st, "rx seen");
	sqlite3_finalize(st);
	return err;
}
