/*
 * The claim builder of claim_build.h.  Reads evidence through the store,
 * decides with work/claims.c, writes one claim or one no-bill row.  Logs
 * counts and record ids only, never record contents.
 */
#define LOG_MODULE "claims"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "crypto.h"
#include "licence.h"
#include "log.h"
#include "model.h"
#include "record.h"
#include "str.h"
#include "uuid.h"
#include "xmalloc.h"
#include "sync-server/claim_build.h"

#define CLAIM_WINDOW_MS (12ULL * 3600 * 1000) /* consult to appointment */
#define CLAIM_CLOCK_SLACK_MS (10ULL * 60 * 1000)
#define CLAIM_EPOCH_MS 1577836800000ULL /* 2020-01-01: older is a bad clock */
#define CLAIM_OVERLAP_MS (60ULL * 1000)
#define CLAIM_PAYER_KEY "claims.payer."
#define CLAIM_PAYERS_KEY "claims.payers"

/* --- evidence in memory ------------------------------------------------ */

struct ev_vec {
	struct sclaim_ev *v;
	size_t n, cap;
};

static void
ev_vec_cb(const struct sclaim_ev *e, void *arg)
{
	struct ev_vec *vec = arg;
	struct sclaim_ev *d;
	uint8_t *body;

	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? 2 * vec->cap : 16;
		vec->v = xreallocarray(vec->v, vec->cap, sizeof(*vec->v));
	}
	d = &vec->v[vec->n++];
	*d = *e;
	body = xmalloc(e->len ? e->len : 1);
	if (e->len)
		memcpy(body, e->body, e->len);
	d->body = body;
}

static void
ev_vec_free(struct ev_vec *vec)
{
	size_t i;

	for (i = 0; i < vec->n; i++)
		free((void *)(uintptr_t)vec->v[i].body);
	free(vec->v);
	memset(vec, 0, sizeof(*vec));
}

static int
ev_get(const struct claim_ctx *c, const uint8_t *subject,
    const uint8_t *patient, const char *kind, struct ev_vec *out)
{
	struct sclaimq q = { 0 };

	memset(out, 0, sizeof(*out));
	q.subject = subject;
	q.patient = patient;
	q.kind = kind;
	return c->be->claim_ev_list(c->st, &q, ev_vec_cb, out);
}

static int
text_uuid(const struct model_value *v, uint8_t out[16])
{
	struct uuid u;

	if (v == NULL || v->null || v->text == NULL ||
	    uuid_parse(v->text, &u) != 0)
		return 0;
	memcpy(out, u.b, 16);
	return 1;
}

static uint64_t
val_u(const struct model_rec *r, uint64_t key)
{
	const struct model_value *v = model_get(r, key);

	return v != NULL && !v->null ? v->u : 0;
}

static void
val_text(const struct model_rec *r, uint64_t key, char *out, size_t size)
{
	const struct model_value *v = model_get(r, key);

	if (v != NULL && !v->null && v->text != NULL)
		str_lcpy(out, v->text, size);
}

static int
ev_decode(const struct sclaim_ev *e, int entity, struct model_rec *r)
{
	if (model_decode(model_entity(entity), e->body, e->len, r) != 0) {
		model_rec_clear(r);
		return EBADMSG;
	}
	return 0;
}

/* --- folds: a mutable record's fields, latest HLC last ------------------ */

struct cfold {
	int have;
	int has_patient;
	uint8_t patient[16];
	char encounter[UUID_STRLEN + 1];
	char mode[16], state[16];
	char clinician[CLAIM_TEXT_MAX], regno[CLAIM_TEXT_MAX];
	uint64_t requested, accepted, signed_ms;
	int has_sig;
	char region[SSTORE_TEXT_MAX], facility[SSTORE_TEXT_MAX];
	int clock_bad;
	int mismatch;
};

static int
clock_bad(uint64_t wall, uint64_t received)
{
	return wall != 0 &&
	    (wall < CLAIM_EPOCH_MS || wall > received + CLAIM_CLOCK_SLACK_MS);
}

static void
cfold_add(struct cfold *f, const struct sclaim_ev *e)
{
	struct model_rec r;
	const struct model_value *v;
	uint8_t id[16];

	if (strcmp(e->kind, "mismatch") == 0) {
		f->mismatch = 1;
		return;
	}
	if (strcmp(e->kind, "consult") != 0 ||
	    ev_decode(e, REC_CONSULT, &r) != 0)
		return;
	if (!f->have) {
		str_lcpy(f->region, e->region, sizeof(f->region));
		str_lcpy(f->facility, e->facility, sizeof(f->facility));
	}
	f->have = 1;
	if (text_uuid(model_get(&r, REC_CONSULT_PATIENT), id)) {
		memcpy(f->patient, id, 16);
		f->has_patient = 1;
	}
	val_text(&r, REC_CONSULT_ENCOUNTER, f->encounter, sizeof(f->encounter));
	val_text(&r, REC_CONSULT_MODE, f->mode, sizeof(f->mode));
	val_text(&r, REC_CONSULT_STATE, f->state, sizeof(f->state));
	val_text(&r, REC_CONSULT_CLINICIAN, f->clinician, sizeof(f->clinician));
	val_text(&r, REC_CONSULT_REGNO, f->regno, sizeof(f->regno));
	if (val_u(&r, REC_CONSULT_REQUESTED))
		f->requested = val_u(&r, REC_CONSULT_REQUESTED);
	if (val_u(&r, REC_CONSULT_ACCEPTED))
		f->accepted = val_u(&r, REC_CONSULT_ACCEPTED);
	if (val_u(&r, REC_CONSULT_SIGNED)) {
		f->signed_ms = val_u(&r, REC_CONSULT_SIGNED);
		f->clock_bad |= clock_bad(f->signed_ms, e->at_ms);
	}
	v = model_get(&r, REC_CONSULT_SIG);
	if (v != NULL && !v->null && v->len == 64)
		f->has_sig = 1;
	model_rec_clear(&r);
}

/* What the call records of one consult say. */
struct callfold {
	uint64_t node[2]; /* the parties seen established */
	uint64_t conn[2]; /* each one's longest connected time */
	int legs;
	uint64_t first, last; /* established .. ended, wall */
	int clock_bad;
	int failed; /* a record ended without being established */
};

static void
callfold_add(struct callfold *f, const struct sclaim_ev *e)
{
	struct model_rec r;
	uint64_t est, end, conn;
	int i;

	if (strcmp(e->kind, "call") != 0 || ev_decode(e, REC_CALL, &r) != 0)
		return;
	est = val_u(&r, REC_CALL_ESTABLISHED);
	end = val_u(&r, REC_CALL_ENDED);
	conn = val_u(&r, REC_CALL_CONNECTED_MS);
	model_rec_clear(&r);
	f->clock_bad |= clock_bad(est, e->at_ms) | clock_bad(end, e->at_ms);
	if (est == 0)
		return;
	if (f->first == 0 || est < f->first)
		f->first = est;
	if (end > f->last)
		f->last = end;
	for (i = 0; i < f->legs; i++)
		if (f->node[i] == e->node)
			break;
	if (i == f->legs) {
		if (f->legs == 2)
			return; /* a third node: not a party */
		f->node[f->legs++] = e->node;
		f->conn[i] = 0;
	}
	if (conn > f->conn[i])
		f->conn[i] = conn;
}

static uint64_t
callfold_connected(const struct callfold *f)
{
	if (f->legs < 2)
		return 0;
	return f->conn[0] < f->conn[1] ? f->conn[0] : f->conn[1];
}

struct afold {
	int have, has_patient;
	uint8_t patient[16];
	uint64_t start, end, checkin;
	char status[16], by[16], clinician[CLAIM_TEXT_MAX];
	int clock_bad;
};

static void
afold_add(struct afold *f, const struct sclaim_ev *e)
{
	struct model_rec r;
	uint8_t id[16];

	if (strcmp(e->kind, "appt") != 0 ||
	    ev_decode(e, REC_APPOINTMENT, &r) != 0)
		return;
	f->have = 1;
	if (text_uuid(model_get(&r, REC_APPT_PATIENT), id)) {
		memcpy(f->patient, id, 16);
		f->has_patient = 1;
	}
	if (val_u(&r, REC_APPT_START))
		f->start = val_u(&r, REC_APPT_START);
	if (val_u(&r, REC_APPT_END))
		f->end = val_u(&r, REC_APPT_END);
	if (val_u(&r, REC_APPT_CHECKIN_MS)) {
		f->checkin = val_u(&r, REC_APPT_CHECKIN_MS);
		f->clock_bad |= clock_bad(f->checkin, e->at_ms);
	}
	val_text(&r, REC_APPT_STATUS, f->status, sizeof(f->status));
	val_text(&r, REC_APPT_CHECKIN_BY, f->by, sizeof(f->by));
	val_text(&r, REC_APPT_CLINICIAN, f->clinician, sizeof(f->clinician));
	model_rec_clear(&r);
}

/* --- payers and coverage ----------------------------------------------- */

int
claim_payer_get(
    const struct claim_ctx *c, const char *code, struct claim_payer *p)
{
	char key[96], *text;
	uint8_t *v = NULL;
	size_t len = 0;
	const char *cause;
	int err;

	snprintf(key, sizeof(key), CLAIM_PAYER_KEY "%s", code);
	if ((err = c->be->meta_get(c->st, key, &v, &len)) != 0)
		return err;
	text = xmalloc(len + 1);
	memcpy(text, v, len);
	text[len] = '\0';
	free(v);
	err = claim_payer_parse(code, text, p, &cause);
	if (err != 0)
		log_warnx("payer %s: stored configuration unreadable (%s)",
		    code, cause);
	free(text);
	return err;
}

/* Is CODE a word of the space-separated LIST (LEN bytes)? */
static int
word_in(const uint8_t *list, size_t len, const char *code)
{
	size_t n = strlen(code), i = 0, k;

	while (i < len) {
		for (k = i; k < len && list[k] != ' '; k++)
			;
		if (k - i == n && memcmp(list + i, code, n) == 0)
			return 1;
		i = k + 1;
	}
	return 0;
}

int
claim_payer_put(const struct claim_ctx *c, const struct claim_payer *p)
{
	struct buf b;
	char key[96];
	uint8_t *v = NULL;
	size_t len = 0;
	int err;

	buf_init(&b, 4096);
	if ((err = claim_payer_format(p, &b)) != 0)
		goto out;
	snprintf(key, sizeof(key), CLAIM_PAYER_KEY "%s", p->code);
	if ((err = c->be->meta_put(c->st, key, b.data, b.len)) != 0)
		goto out;
	/* the list of codes, for `admin payer list` */
	err = c->be->meta_get(c->st, CLAIM_PAYERS_KEY, &v, &len);
	if (err == ENOENT) {
		len = 0;
		err = 0;
	}
	if (err != 0 || word_in(v, len, p->code))
		goto out;
	buf_reset(&b);
	if ((len > 0 && (err = buf_append(&b, v, len)) != 0) ||
	    (len > 0 && (err = buf_append_byte(&b, ' ')) != 0) ||
	    (err = buf_printf(&b, "%s", p->code)) != 0)
		goto out;
	err = c->be->meta_put(c->st, CLAIM_PAYERS_KEY, b.data, b.len);
out:
	free(v);
	buf_free(&b);
	return err;
}

struct coverage {
	int have;
	char payer[CLAIM_TEXT_MAX], member[CLAIM_TEXT_MAX];
};

/* The latest coverage of the patient valid at AT. */
static int
coverage_at(const struct claim_ctx *c, const uint8_t patient[16], uint64_t at,
    struct coverage *out)
{
	struct ev_vec vec;
	char text[3 * CLAIM_TEXT_MAX], *f[4], *p, *save = NULL;
	unsigned long long from, to;
	size_t i;
	int k, err;

	memset(out, 0, sizeof(*out));
	if ((err = ev_get(c, patient, NULL, "coverage", &vec)) != 0)
		return err;
	for (i = 0; i < vec.n; i++) {
		if (vec.v[i].len >= sizeof(text))
			continue;
		memcpy(text, vec.v[i].body, vec.v[i].len);
		text[vec.v[i].len] = '\0';
		for (k = 0, p = strtok_r(text, "\t", &save); p != NULL && k < 4;
		     p = strtok_r(NULL, "\t", &save))
			f[k++] = p;
		if (k != 4)
			continue;
		from = strtoull(f[2], NULL, 10);
		to = strtoull(f[3], NULL, 10);
		if (at < from || (to != 0 && at >= to))
			continue;
		out->have = 1; /* later rows (by hlc) win */
		str_lcpy(out->payer, f[0], sizeof(out->payer));
		str_lcpy(out->member, f[1], sizeof(out->member));
	}
	ev_vec_free(&vec);
	return 0;
}

/* --- licences ---------------------------------------------------------- */

static void
licence_ends(
    const struct claim_ctx *c, const struct cfold *f, struct claim_ev *e)
{
	struct licence_set reg = { 0 };
	struct licence_verdict v;
	uint64_t version, start = f->accepted ? f->accepted : f->requested;
	size_t j;

	e->lic_start = e->lic_signed = 0;
	if (c->be->licence_list(c->st, &reg, &version) != 0) {
		log_warnx("claims: the licence registry cannot be read");
		return;
	}
	for (j = 0; j < reg.n; j++)
		if (licence_juris_covers(reg.l[j].juris, f->region))
			break;
	if (j == reg.n) {
		/* licensing is off in a region nobody is registered for
		 * (docs/SECURITY.md) */
		e->lic_start = e->lic_signed = 1;
		goto out;
	}
	e->lic_start = start <= INT64_MAX &&
	    licence_permitted(&reg, f->regno, LIC_ACT_CONSULT, f->region,
	        (int64_t)start, &v) &&
	    !v.lapsed;
	e->lic_signed = f->signed_ms <= INT64_MAX &&
	    licence_permitted(&reg, f->regno, LIC_ACT_NOTE, f->region,
	        (int64_t)f->signed_ms, &v) &&
	    !v.lapsed;
out:
	licence_set_clear(&reg);
}

/* --- the consult's appointment ------------------------------------------ */

struct appt_link {
	int have;
	uint8_t id[16];
	struct afold f;
	char server[24]; /* the server's status of it */
};

static uint64_t
absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* The appointment of the consult's patient nearest AT within the window,
 * for CLINICIAN when both name one. */
static int
appt_find(const struct claim_ctx *c, const uint8_t patient[16], uint64_t at,
    const char *clinician, struct appt_link *out)
{
	struct ev_vec vec;
	struct afold f;
	size_t i, j;
	uint64_t best = UINT64_MAX, d;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = ev_get(c, NULL, patient, "appt", &vec)) != 0)
		return err;
	for (i = 0; i < vec.n; i++) {
		for (j = 0; j < i; j++)
			if (memcmp(vec.v[j].subject, vec.v[i].subject, 16) == 0)
				break;
		if (j < i)
			continue; /* folded already */
		memset(&f, 0, sizeof(f));
		for (j = i; j < vec.n; j++)
			if (memcmp(vec.v[j].subject, vec.v[i].subject, 16) == 0)
				afold_add(&f, &vec.v[j]);
		if (!f.have || f.start == 0)
			continue;
		if (clinician[0] && f.clinician[0] &&
		    strcmp(clinician, f.clinician) != 0)
			continue;
		d = absdiff(f.start, at);
		if (d > CLAIM_WINDOW_MS || d >= best)
			continue;
		best = d;
		out->have = 1;
		memcpy(out->id, vec.v[i].subject, 16);
		out->f = f;
	}
	ev_vec_free(&vec);
	if (out->have &&
	    c->be->appt_status(
	        c->st, out->id, out->server, sizeof(out->server), NULL) != 0)
		out->server[0] = '\0';
	return 0;
}

/* --- anomalies --------------------------------------------------------- */

static int
consult_calls(
    const struct claim_ctx *c, const uint8_t id[16], struct callfold *cf)
{
	struct ev_vec vec;
	size_t i;
	int err;

	memset(cf, 0, sizeof(*cf));
	if ((err = ev_get(c, id, NULL, "call", &vec)) != 0)
		return err;
	for (i = 0; i < vec.n; i++)
		callfold_add(cf, &vec.v[i]);
	ev_vec_free(&vec);
	return 0;
}

struct hold_arg {
	const struct claim_ctx *c;
	enum claim_hold why;
	int err;
};

static void
hold_cb(const struct sclaim *cl, void *arg)
{
	struct hold_arg *h = arg;
	int err;

	err = h->c->be->claim_status(h->c->st, cl->business_id, "ready", "held",
	    claim_hold_name(h->why), h->c->now_ms);
	if (err != 0 && err != EALREADY && h->err == 0)
		h->err = err;
}

/* Did the consult of VEC's row I start within a day of AT?  (Only those
 * can overlap; their calls are read, the others' are not.) */
static int
near_in_time(const struct ev_vec *vec, size_t i, uint64_t at)
{
	struct cfold f;
	size_t j;
	uint64_t t;

	memset(&f, 0, sizeof(f));
	for (j = i; j < vec->n; j++)
		if (memcmp(vec->v[j].subject, vec->v[i].subject, 16) == 0)
			cfold_add(&f, &vec->v[j]);
	t = f.accepted ? f.accepted : f.requested;
	return t == 0 || absdiff(t, at) < 86400000ULL;
}

/* Hold SUBJECT's claim if it is "ready" (an anomaly seen after it was
 * built; one released after review is "approved" and stays so). */
static int
hold_ready(
    const struct claim_ctx *c, const uint8_t subject[16], enum claim_hold why)
{
	struct sclaimq q = { 0 };
	struct hold_arg h = { c, why, 0 };
	int err;

	q.subject = subject;
	q.status = "ready";
	if ((err = c->be->claims_list(c->st, &q, hold_cb, &h)) == 0)
		err = h.err;
	return err;
}

/* Was the clinician REGNO in another consult's call overlapping CF?  The
 * other consult's claim, if ready, is held too. */
static int
overlapping(const struct claim_ctx *c, const uint8_t id[16], const char *regno,
    const struct callfold *cf, int *yes)
{
	struct ev_vec vec;
	struct sclaimq q = { 0 };
	struct callfold o;
	size_t i, j;
	int err;

	*yes = 0;
	if (regno[0] == '\0' || cf->first == 0 || cf->last <= cf->first)
		return 0;
	memset(&vec, 0, sizeof(vec));
	q.clinician = regno;
	q.kind = "consult";
	if ((err = c->be->claim_ev_list(c->st, &q, ev_vec_cb, &vec)) != 0)
		return err;
	for (i = 0; i < vec.n && err == 0; i++) {
		if (memcmp(vec.v[i].subject, id, 16) == 0)
			continue;
		for (j = 0; j < i; j++)
			if (memcmp(vec.v[j].subject, vec.v[i].subject, 16) == 0)
				break;
		if (j < i || !near_in_time(&vec, i, cf->first))
			continue;
		if ((err = consult_calls(c, vec.v[i].subject, &o)) != 0)
			continue;
		if (o.first == 0 || o.last <= o.first ||
		    o.first + CLAIM_OVERLAP_MS >= cf->last ||
		    cf->first + CLAIM_OVERLAP_MS >= o.last)
			continue;
		*yes = 1;
		err = hold_ready(c, vec.v[i].subject, CLAIM_H_OVERLAP);
	}
	ev_vec_free(&vec);
	return err;
}

/* --- decisions ---------------------------------------------------------- */

struct claims_seen {
	int any;
	uint64_t *dates;
	size_t n;
	const uint8_t *skip;
};

static void
claims_seen_cb(const struct sclaim *cl, void *arg)
{
	struct claims_seen *s = arg;

	if (s->skip != NULL && memcmp(cl->subject, s->skip, 16) == 0) {
		s->any = 1;
		return;
	}
	s->dates = xreallocarray(s->dates, s->n + 1, sizeof(*s->dates));
	s->dates[s->n++] = cl->service_ms;
}

static int
nobill(const struct claim_ctx *c, const uint8_t subject[16], const char *kind,
    const uint8_t *patient, const char *reason)
{
	struct snobill n;

	memset(&n, 0, sizeof(n));
	memcpy(n.subject, subject, 16);
	str_lcpy(n.kind, kind, sizeof(n.kind));
	if (patient != NULL) {
		n.has_patient = 1;
		memcpy(n.patient, patient, 16);
	}
	str_lcpy(n.reason, reason, sizeof(n.reason));
	n.decided_ms = c->now_ms;
	return c->be->claim_nobill(c->st, &n);
}

static void
digest_of(const struct ev_vec *vec, uint8_t out[32])
{
	struct crypto_sha256 *h = crypto_sha256_new();
	size_t i;

	for (i = 0; i < vec->n; i++)
		crypto_sha256_update(h, vec->v[i].hash, 32);
	crypto_sha256_final(h, out);
}

int
claim_decide_consult(const struct claim_ctx *c, const uint8_t id[16])
{
	struct ev_vec vec = { 0 };
	struct cfold f;
	struct callfold cf;
	struct appt_link al;
	struct coverage cov;
	struct claim_payer payer;
	struct claim_ev e;
	struct claim_decision d;
	struct claims_seen seen = { 0 };
	struct sclaimq q = { 0 };
	const struct claim_price *price;
	struct sclaim cl;
	uint8_t encounter[16];
	uint64_t service;
	struct ev_vec visit = { 0 };
	size_t i;
	int err, created = 0, have_payer = 0;

	if ((err = ev_get(c, id, NULL, NULL, &vec)) != 0)
		return err;
	memset(&f, 0, sizeof(f));
	memset(&cf, 0, sizeof(cf));
	for (i = 0; i < vec.n; i++) {
		cfold_add(&f, &vec.v[i]);
		callfold_add(&cf, &vec.v[i]);
	}
	if (!f.have || !f.has_patient)
		goto out; /* the consult itself has not arrived yet */
	service = f.accepted ? f.accepted : f.requested;
	memset(&e, 0, sizeof(e));
	e.cancelled = strcmp(f.state, "cancelled") == 0;
	e.failed = strcmp(f.state, "failed") == 0;
	e.store_forward = strcmp(f.mode, "store-forward") == 0;

	/* E1: the visit's record, or the appointment's check-in */
	if ((err = appt_find(c, f.patient, f.requested ? f.requested : service,
	         f.clinician, &al)) != 0)
		goto out;
	if (f.encounter[0] != '\0' &&
	    text_uuid(
	        &(struct model_value){ .text = f.encounter }, encounter)) {
		if ((err = ev_get(c, encounter, NULL, "visit", &visit)) != 0)
			goto out;
		for (i = 0; i < visit.n; i++)
			if (visit.v[i].node != 0 && visit.v[i].has_patient &&
			    memcmp(visit.v[i].patient, f.patient, 16) == 0)
				e.checkin = e.checkin_chw = 1;
	}
	if (al.have &&
	    (al.f.checkin != 0 || strcmp(al.server, "checked-in") == 0)) {
		e.checkin = 1;
		e.checkin_chw |= strcmp(al.f.by, "chw") == 0;
		e.clock_bad |= al.f.clock_bad;
	}

	/* E3 */
	e.legs = cf.legs;
	e.connected_ms = callfold_connected(&cf);
	/* E4 */
	e.note_signed = f.has_sig && f.signed_ms != 0 &&
	    (strcmp(f.state, "signed") == 0 || strcmp(f.state, "closed") == 0);
	licence_ends(c, &f, &e);
	/* E5 */
	if ((err = coverage_at(c, f.patient, service, &cov)) != 0)
		goto out;
	if (cov.have && claim_payer_get(c, cov.payer, &payer) == 0) {
		have_payer = 1;
		e.min_ms = payer.min_ms;
		e.presence_chw = payer.presence_chw;
		e.covered =
		    claim_payer_price(&payer,
		        e.store_forward ? "store-forward" : f.mode) != NULL;
	}
	/* E6: one claim per consult (the store's UNIQUE constraint per
	 * payer; a consult is billed to one payer), the frequency rule */
	q.subject = id;
	seen.skip = id;
	if ((err = c->be->claims_list(c->st, &q, claims_seen_cb, &seen)) != 0)
		goto out;
	e.claimed = seen.any;
	if (have_payer && !e.claimed) {
		memset(&q, 0, sizeof(q));
		q.patient = f.patient;
		q.payer = payer.code;
		if ((err = c->be->claims_list(
		         c->st, &q, claims_seen_cb, &seen)) != 0)
			goto out;
		e.freq_dup = claim_freq_hit(
		    seen.dates, seen.n, service, payer.freq_days);
	}
	/* anomalies; overlapping calls are looked for only when the
	 * consult is to be billed (they read the clinician's other calls) */
	e.hash_mismatch = f.mismatch;
	e.clock_bad |= f.clock_bad | cf.clock_bad;
	claim_decide(&e, &d);
	if (d.bill) {
		if ((err = overlapping(c, id, f.regno, &cf, &e.overlap)) != 0)
			goto out;
		claim_decide(&e, &d);
	}
	if (!d.bill) {
		if (e.claimed)
			goto out; /* the claim stands */
		if ((err = nobill(c, id, "consult", f.patient,
		         claim_reason_name(d.reason))) != 0)
			goto out;
		/* the consult carries its appointment's decision */
		if (al.have)
			err = nobill(c, al.id, "appointment", NULL, "");
		goto out;
	}
	price = claim_payer_price(
	    &payer, e.store_forward ? "store-forward" : f.mode);
	memset(&cl, 0, sizeof(cl));
	memcpy(cl.subject, id, 16);
	if (al.have) {
		cl.has_appt = 1;
		memcpy(cl.appt, al.id, 16);
	}
	memcpy(cl.patient, f.patient, 16);
	claim_business_id(id, payer.code, cl.business_id);
	str_lcpy(cl.payer, payer.code, sizeof(cl.payer));
	str_lcpy(cl.member, cov.member, sizeof(cl.member));
	str_lcpy(cl.regno, f.regno, sizeof(cl.regno));
	str_lcpy(cl.facility, f.facility, sizeof(cl.facility));
	str_lcpy(cl.service, price->service, sizeof(cl.service));
	str_lcpy(cl.mode, e.store_forward ? "store-forward" : f.mode,
	    sizeof(cl.mode));
	str_lcpy(cl.status, d.hold ? "held" : "ready", sizeof(cl.status));
	str_lcpy(cl.hold, claim_hold_name(d.hold), sizeof(cl.hold));
	cl.price = price->price;
	cl.service_ms = service;
	cl.created_ms = cl.updated_ms = c->now_ms;
	digest_of(&vec, cl.digest);
	if ((err = c->be->claim_put(c->st, &cl, &created)) == 0 && created)
		log_info("claim %s built (%s%s%s)", cl.business_id, cl.status,
		    d.hold ? ": " : "", cl.hold);
out:
	free(seen.dates);
	ev_vec_free(&visit);
	ev_vec_free(&vec);
	return err;
}

/* The consult of the appointment's patient nearest its start. */
static int
consult_find(const struct claim_ctx *c, const struct afold *a, int *found,
    uint8_t out[16])
{
	struct ev_vec vec;
	struct cfold f;
	uint64_t best = UINT64_MAX, d;
	size_t i, j;
	int err;

	*found = 0;
	if ((err = ev_get(c, NULL, a->patient, "consult", &vec)) != 0)
		return err;
	for (i = 0; i < vec.n; i++) {
		for (j = 0; j < i; j++)
			if (memcmp(vec.v[j].subject, vec.v[i].subject, 16) == 0)
				break;
		if (j < i)
			continue;
		memset(&f, 0, sizeof(f));
		for (j = i; j < vec.n; j++)
			if (memcmp(vec.v[j].subject, vec.v[i].subject, 16) == 0)
				cfold_add(&f, &vec.v[j]);
		if (a->clinician[0] && f.clinician[0] &&
		    strcmp(a->clinician, f.clinician) != 0)
			continue;
		d = absdiff(f.requested ? f.requested : f.accepted, a->start);
		if (d > CLAIM_WINDOW_MS || d >= best)
			continue;
		best = d;
		*found = 1;
		memcpy(out, vec.v[i].subject, 16);
	}
	ev_vec_free(&vec);
	return 0;
}

int
claim_decide_appt(const struct claim_ctx *c, const uint8_t id[16])
{
	struct ev_vec vec;
	struct afold a;
	char server[24] = "";
	uint8_t consult[16];
	size_t i;
	int err, found;

	if ((err = ev_get(c, id, NULL, "appt", &vec)) != 0)
		return err;
	memset(&a, 0, sizeof(a));
	for (i = 0; i < vec.n; i++)
		afold_add(&a, &vec.v[i]);
	ev_vec_free(&vec);
	if (!a.have || !a.has_patient)
		return 0;
	if ((err = c->be->appt_status(
	         c->st, id, server, sizeof(server), NULL)) != 0 &&
	    err != ENOENT)
		return err;
	if (strcmp(server, "cancelled") == 0 ||
	    (strcmp(a.status, "cancelled") == 0 &&
	        strcmp(server, "checked-in") != 0))
		return nobill(c, id, "appointment", a.patient, "cancelled");
	if (a.checkin != 0 || strcmp(server, "checked-in") == 0) {
		if ((err = consult_find(c, &a, &found, consult)) != 0)
			return err;
		if (found)
			return claim_decide_consult(c, consult);
		/* checked in, no consult (yet): no service to bill */
		return nobill(c, id, "appointment", a.patient, "failed_call");
	}
	if (strcmp(server, "noshow") == 0 ||
	    strcmp(server, "noshow-provisional") == 0)
		return nobill(c, id, "appointment", a.patient, "noshow");
	return 0; /* booked, refused or proposed: nothing happened yet */
}

/* --- after a push ------------------------------------------------------- */

struct touched {
	uint8_t (*id)[16];
	int *kind; /* 0 consult, 1 appointment, 2 patient */
	size_t n;
};

static void
touch(struct touched *t, const uint8_t id[16], int kind)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->kind[i] == kind && memcmp(t->id[i], id, 16) == 0)
			return;
	t->id = xreallocarray(t->id, t->n + 1, sizeof(*t->id));
	t->kind = xreallocarray(t->kind, t->n + 1, sizeof(*t->kind));
	memcpy(t->id[t->n], id, 16);
	t->kind[t->n++] = kind;
}

/* The evidence change CH is, if any: 1 with *E filled, 0 not evidence. */
static int
evidence_of(
    const struct snode *pusher, const struct schange *ch, struct sclaim_ev *e)
{
	struct model_rec r;
	int entity = ch->entity, ok = 1;

	if (entity != REC_CONSULT && entity != REC_CALL &&
	    entity != REC_APPOINTMENT && entity != REC_ENCOUNTER)
		return 0;
	if (model_decode(model_entity(entity), ch->body, ch->len, &r) != 0) {
		model_rec_clear(&r);
		return 0;
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->subject, ch->id, 16);
	memcpy(e->rec, ch->id, 16);
	e->hlc = ch->hlc;
	switch (entity) {
	case REC_CONSULT:
		str_lcpy(e->kind, "consult", sizeof(e->kind));
		e->has_patient =
		    text_uuid(model_get(&r, REC_CONSULT_PATIENT), e->patient);
		val_text(
		    &r, REC_CONSULT_REGNO, e->clinician, sizeof(e->clinician));
		break;
	case REC_CALL:
		str_lcpy(e->kind, "call", sizeof(e->kind));
		ok = text_uuid(model_get(&r, REC_CALL_CONSULT), e->subject);
		break;
	case REC_APPOINTMENT:
		str_lcpy(e->kind, "appt", sizeof(e->kind));
		e->has_patient =
		    text_uuid(model_get(&r, REC_APPT_PATIENT), e->patient);
		break;
	default:
		str_lcpy(e->kind, "visit", sizeof(e->kind));
		e->has_patient =
		    text_uuid(model_get(&r, REC_ENC_PATIENT), e->patient);
		break;
	}
	model_rec_clear(&r);
	e->node = pusher->id;
	str_lcpy(e->region, pusher->region, sizeof(e->region));
	str_lcpy(e->facility, pusher->facility, sizeof(e->facility));
	crypto_sha256(ch->body, ch->len, e->hash);
	e->body = ch->body;
	e->len = ch->len;
	return ok;
}

/* Touch the consults of PATIENT (a visit or coverage arrived). */
static int
touch_patient(
    const struct claim_ctx *c, const uint8_t patient[16], struct touched *t)
{
	struct ev_vec vec;
	size_t i;
	int err;

	if ((err = ev_get(c, NULL, patient, "consult", &vec)) != 0)
		return err;
	for (i = 0; i < vec.n; i++)
		touch(t, vec.v[i].subject, 0);
	ev_vec_free(&vec);
	return 0;
}

static int
decide_touched(const struct claim_ctx *c, struct touched *t)
{
	size_t i;
	int err = 0;

	/* patients first: they add consults */
	for (i = 0; i < t->n && err == 0; i++)
		if (t->kind[i] == 2)
			err = touch_patient(c, t->id[i], t);
	for (i = 0; i < t->n && err == 0; i++)
		if (t->kind[i] == 1)
			err = claim_decide_appt(c, t->id[i]);
	for (i = 0; i < t->n && err == 0; i++)
		if (t->kind[i] == 0)
			err = claim_decide_consult(c, t->id[i]);
	free(t->id);
	free(t->kind);
	memset(t, 0, sizeof(*t));
	return err;
}

int
claim_pushed(const struct claim_ctx *c, const struct snode *pusher,
    const struct schange *changes, size_t n, const int *refused)
{
	struct touched t = { 0 };
	struct sclaim_ev *ev = xcalloc(n ? n : 1, sizeof(*ev)), *e;
	int *mismatch = xcalloc(n ? n : 1, sizeof(*mismatch));
	size_t i, k = 0;
	int err = 0;

	for (i = 0; i < n; i++) {
		if ((refused != NULL && refused[i]) ||
		    !evidence_of(pusher, &changes[i], &ev[k]))
			continue;
		ev[k++].at_ms = c->now_ms;
	}
	/* the push's evidence in one transaction */
	if ((err = c->be->claim_ev_put(c->st, ev, k, mismatch)) != 0)
		goto out;
	for (i = 0; i < k && err == 0; i++) {
		e = &ev[i];
		if (strcmp(e->kind, "appt") == 0)
			touch(&t, e->subject, 1);
		else if (strcmp(e->kind, "visit") == 0) {
			if (e->has_patient)
				touch(&t, e->patient, 2);
		} else
			touch(&t, e->subject, 0);
		if (!mismatch[i])
			continue;
		/* the same change with another body: keep it aside, the
		 * claim is held (research §6.3) */
		str_lcpy(e->kind, "mismatch", sizeof(e->kind));
		e->hlc = 0;
		log_warnx("node %" PRIu64 ": a change was sent again with"
		          " another body; its claim is held",
		    pusher->id);
		if ((err = c->be->claim_ev_put(c->st, e, 1, NULL)) == 0)
			err = hold_ready(c, e->subject, CLAIM_H_HASH);
	}
out:
	free(ev);
	free(mismatch);
	if (err != 0) {
		free(t.id);
		free(t.kind);
		return err;
	}
	return decide_touched(c, &t);
}

int
claim_coverage_add(const struct claim_ctx *c, const uint8_t patient[16],
    const char *payer, const char *member, uint64_t from_ms, uint64_t to_ms)
{
	struct touched t = { 0 };
	struct sclaim_ev e;
	struct buf b;
	uint8_t h[32];
	int err;

	buf_init(&b, 512);
	if ((err = buf_printf(&b, "%s\t%s\t%" PRIu64 "\t%" PRIu64, payer,
	         member, from_ms, to_ms)) != 0)
		goto out;
	memset(&e, 0, sizeof(e));
	memcpy(e.subject, patient, 16);
	crypto_sha256(b.data, b.len, h);
	memcpy(e.rec, h, 16);
	e.hlc = c->now_ms;
	str_lcpy(e.kind, "coverage", sizeof(e.kind));
	e.has_patient = 1;
	memcpy(e.patient, patient, 16);
	memcpy(e.hash, h, 32);
	e.body = b.data;
	e.len = b.len;
	e.at_ms = c->now_ms;
	if ((err = c->be->claim_ev_put(c->st, &e, 1, NULL)) != 0)
		goto out;
	touch(&t, patient, 2);
	err = decide_touched(c, &t);
out:
	buf_free(&b);
	return err;
}

static void
all_cb(const struct sclaim_ev *e, void *arg)
{
	struct touched *t = arg;

	if (strcmp(e->kind, "appt") == 0)
		touch(t, e->subject, 1);
	else if (strcmp(e->kind, "consult") == 0)
		touch(t, e->subject, 0);
}

int
claim_build_all(const struct claim_ctx *c, size_t *n)
{
	struct touched t = { 0 };
	struct sclaimq q = { 0 };
	int err;

	if ((err = c->be->claim_ev_list(c->st, &q, all_cb, &t)) != 0) {
		free(t.id);
		free(t.kind);
		return err;
	}
	if (n != NULL)
		*n = t.n;
	return decide_touched(c, &t);
}

void
claim_row_from(const struct sclaim *s, struct claim_row *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->subject, s->subject, 16);
	memcpy(r->patient, s->patient, 16);
	str_lcpy(r->business_id, s->business_id, sizeof(r->business_id));
	str_lcpy(r->payer, s->payer, sizeof(r->payer));
	str_lcpy(r->member, s->member, sizeof(r->member));
	str_lcpy(r->regno, s->regno, sizeof(r->regno));
	str_lcpy(r->facility, s->facility, sizeof(r->facility));
	str_lcpy(r->service, s->service, sizeof(r->service));
	str_lcpy(r->mode, s->mode, sizeof(r->mode));
	str_lcpy(r->status, s->status, sizeof(r->status));
	str_lcpy(r->hold, s->hold, sizeof(r->hold));
	r->price = s->price;
	r->service_ms = s->service_ms;
	r->created_ms = s->created_ms;
	r->updated_ms = s->updated_ms;
	memcpy(r->digest, s->digest, 32);
}
