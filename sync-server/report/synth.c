/*
 * The synthetic region (synth.h).  Each kiosk's records are encoded with
 * their model/ descriptors and pushed in batches of up to
 * SYNTH_BATCH (larger than a kiosk may push: fewer commits), each
 * kiosk at its own "last push" time (some days ago for the stale ones).
 * Mutable records get more than one change (an alert then its
 * acknowledgement, a consult's steps from the hub, an appointment
 * proposed then booked), so the figures' fold is exercised.  No policy
 * runs here (the records are well-formed by construction): this fills a
 * store, it does not test the server's checks.
 */
#define LOG_MODULE "synth"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "hlc.h"
#include "log.h"
#include "model.h"
#include "record.h"
#include "str.h"
#include "uuid.h"
#include "xmalloc.h"
#include "sync-server/report/synth.h"

#define SYNTH_BATCH 4096
#define MIN_MS (60ULL * 1000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

struct nbatch {
	struct schange ch[SYNTH_BATCH];
	size_t n;
	uint64_t seq; /* last sequence pushed */
};

struct sctx {
	const struct store_backend *be;
	struct sstore *s;
	const struct synth_opts *o;
	struct synth_truth *t;
	struct nbatch *b; /* per kiosk */
	uint64_t rng;
	uint16_t ctr;
	int err;
};

static uint64_t
rnd(struct sctx *x)
{
	x->rng ^= x->rng << 13;
	x->rng ^= x->rng >> 7;
	x->rng ^= x->rng << 17;
	return x->rng;
}

static uint64_t
below(struct sctx *x, uint64_t n)
{
	return n ? rnd(x) % n : 0;
}

static void
new_id(struct sctx *x, uint8_t id[16], char text[UUID_STRLEN + 1])
{
	struct uuid u;
	uint64_t a = rnd(x), b = rnd(x);

	memcpy(u.b, &a, 8);
	memcpy(u.b + 8, &b, 8);
	u.b[6] = (uint8_t)((u.b[6] & 0x0f) | 0x70); /* version 7 */
	u.b[8] = (uint8_t)((u.b[8] & 0x3f) | 0x80);
	memcpy(id, u.b, 16);
	uuid_format(&u, text);
}

static int
encode_cb(const struct spush *p, uint64_t hw, uint64_t accepted, uint64_t dups,
    uint8_t **out, size_t *len, void *arg)
{
	(void)p;
	(void)hw;
	(void)accepted;
	(void)dups;
	(void)arg;
	*out = xmalloc(1);
	(*out)[0] = 0;
	*len = 1;
	return 0;
}

/* Push kiosk K's batch.  Every push reports the kiosk's outbox end as
 * its last sequence plus the kiosk's pending changes (LAST: its final
 * batch; the report is the same). */
static int
flush(struct sctx *x, size_t k, int last)
{
	struct nbatch *b = &x->b[k];
	struct synth_kiosk *sk = &x->t->kiosks[k];
	struct crypto_sha256 *h;
	struct sverdict *v;
	struct spush p;
	struct spush_result r;
	size_t i;
	int err;

	(void)last;
	if (b->n == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	v = xcalloc(b->n, sizeof(*v));
	p.node = sk->node;
	p.first = b->seq + 1;
	p.last = b->seq + b->n;
	p.changes = b->ch;
	p.n = b->n;
	h = crypto_sha256_new();
	crypto_sha256_update(h, &p.node, sizeof(p.node));
	crypto_sha256_update(h, &p.first, sizeof(p.first));
	for (i = 0; i < b->n; i++)
		crypto_sha256_update(h, b->ch[i].body, b->ch[i].len);
	crypto_sha256_final(h, p.hash);
	p.outbox_last = p.last + sk->pending;
	p.now_ms = sk->last_push_ms;
	p.verdicts = v;
	p.encode_cb = encode_cb;
	err = x->be->push(x->s, &p, &r);
	free(r.response);
	free(v);
	for (i = 0; i < b->n; i++)
		free((void *)b->ch[i].body);
	x->t->changes += b->n;
	b->seq += b->n;
	b->n = 0;
	return err;
}

/* Encode R and queue it as a change of kiosk K. */
static void
queue(struct sctx *x, size_t k, int entity, const uint8_t id[16],
    struct model_rec *r)
{
	struct nbatch *b = &x->b[k];
	struct schange *c;
	cbor_item_t *item = NULL;
	uint8_t *body = NULL;
	size_t len = 0;

	if (x->err != 0)
		return;
	if ((x->err = model_encode(r, &item)) != 0 ||
	    (x->err = cborx_encode(item, &body, &len)) != 0) {
		if (item != NULL)
			cbor_decref(&item);
		return;
	}
	cbor_decref(&item);
	c = &b->ch[b->n++];
	memset(c, 0, sizeof(*c));
	c->seq = b->seq + b->n;
	c->entity = entity;
	memcpy(c->id, id, 16);
	c->hlc = r->hlc;
	c->body = body;
	c->len = len;
	if (b->n == SYNTH_BATCH)
		x->err = flush(x, k, 0);
}

static uint64_t
hlc_at(struct sctx *x, uint64_t ms)
{
	return HLC_MAKE(ms, x->ctr++);
}

static void *
grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 1024;
	return xreallocarray(p, *cap, size);
}

struct caps {
	size_t v, a, c, r, p;
};

static const char *const loinc[][2] = {
	{ "59408-5", "%" },
	{ "8867-4", "/min" },
	{ "8310-5", "Cel" },
	{ "9279-1", "/min" },
};

static void
mk_obs(struct sctx *x, size_t k, const char *enc, const char *pat, uint64_t at,
    int device)
{
	const struct model_entity *e = model_entity(REC_OBSERVATION);
	struct model_rec r;
	uint8_t id[16];
	char tid[UUID_STRLEN + 1];
	size_t l = below(x, nitems(loinc));

	new_id(x, id, tid);
	model_rec_init(&r, e, tid, hlc_at(x, at), NULL);
	model_set_text(&r, REC_OBS_ENCOUNTER, enc);
	model_set_text(&r, REC_OBS_PATIENT, pat);
	model_set_text(&r, REC_OBS_LOINC, loinc[l][0]);
	model_set_double(&r, REC_OBS_VALUE, (double)(36 + below(x, 60)));
	model_set_text(&r, REC_OBS_UNIT, loinc[l][1]);
	if (device)
		model_set_text(&r, REC_OBS_DEVICE, "synth-device");
	model_set_uint(&r, REC_OBS_TAKEN, at);
	model_set_uint(&r, REC_OBS_RECORDED, at);
	queue(x, k, REC_OBSERVATION, id, &r);
	model_rec_clear(&r);
}

static void
mk_alert(struct sctx *x, size_t k, const char *enc, const char *pat,
    uint64_t at, struct caps *cap)
{
	const struct model_entity *e = model_entity(REC_ALERT);
	struct synth_alert *a;
	struct model_rec r;
	uint8_t id[16];
	char tid[UUID_STRLEN + 1];

	x->t->alerts =
	    grow(x->t->alerts, x->t->nalerts, &cap->a, sizeof(*x->t->alerts));
	a = &x->t->alerts[x->t->nalerts++];
	memset(a, 0, sizeof(*a));
	a->kiosk = (uint32_t)k;
	a->raised_ms = at;
	a->acked_ms = below(x, 10) < 8 ? at + 1000 + below(x, 30 * MIN_MS) : 0;
	new_id(x, id, tid);
	model_rec_init(&r, e, tid, hlc_at(x, at), NULL);
	model_set_text(&r, REC_ALERT_PATIENT, pat);
	model_set_text(&r, REC_ALERT_ENCOUNTER, enc);
	model_set_text(&r, REC_ALERT_KIND, "news2");
	model_set_int(&r, REC_ALERT_SCORE, 7 + (int64_t)below(x, 5));
	model_set_uint(&r, REC_ALERT_RAISED, at);
	queue(x, k, REC_ALERT, id, &r);
	model_rec_clear(&r);
	if (a->acked_ms == 0)
		return;
	model_rec_init(&r, e, tid, hlc_at(x, a->acked_ms), NULL);
	model_set_uint(&r, REC_ALERT_ACKED, a->acked_ms);
	model_set_text(&r, REC_ALERT_ACKED_BY, "synth-chw");
	queue(x, k, REC_ALERT, id, &r);
	model_rec_clear(&r);
}

/* A consult step of kiosk K: STATE at AT (ACCEPTED: also the accept). */
static void
consult_step(struct sctx *x, size_t k, const uint8_t id[16], const char *tid,
    const char *state, uint64_t at, int accepted)
{
	struct model_rec r;

	model_rec_init(&r, model_entity(REC_CONSULT), tid, hlc_at(x, at), NULL);
	model_set_text(&r, REC_CONSULT_STATE, state);
	if (accepted) {
		model_set_text(&r, REC_CONSULT_CLINICIAN, "synth-clinician");
		model_set_uint(&r, REC_CONSULT_ACCEPTED, at);
	}
	queue(x, k, REC_CONSULT, id, &r);
	model_rec_clear(&r);
}

static void
mk_consult(struct sctx *x, size_t k, const char *enc, const char *pat,
    uint64_t at, struct caps *cap)
{
	struct synth_consult *c;
	struct model_rec r;
	uint8_t id[16];
	char tid[UUID_STRLEN + 1];
	size_t hub = x->o->kiosks + below(x, x->o->hubs);
	uint64_t roll = below(x, 10);

	x->t->consults = grow(
	    x->t->consults, x->t->nconsults, &cap->c, sizeof(*x->t->consults));
	c = &x->t->consults[x->t->nconsults++];
	memset(c, 0, sizeof(*c));
	c->kiosk = (uint32_t)k;
	c->requested_ms = at;
	new_id(x, id, tid);
	model_rec_init(&r, model_entity(REC_CONSULT), tid, hlc_at(x, at), NULL);
	model_set_text(&r, REC_CONSULT_PATIENT, pat);
	model_set_text(&r, REC_CONSULT_ENCOUNTER, enc);
	model_set_text(&r, REC_CONSULT_REASON, "synthetic");
	model_set_uint(&r, REC_CONSULT_URGENCY, below(x, 3));
	model_set_text(&r, REC_CONSULT_MODE, "voice");
	model_set_text(&r, REC_CONSULT_STATE, "requested");
	model_set_uint(&r, REC_CONSULT_REQUESTED, at);
	queue(x, k, REC_CONSULT, id, &r);
	model_rec_clear(&r);
	if (roll == 0) { /* cancelled by the clinic before an accept */
		c->end = SYNTH_C_CANCELLED;
		consult_step(x, k, id, tid, "cancelled", at + 5 * MIN_MS, 0);
		return;
	}
	if (roll == 1 || x->o->hubs == 0) { /* still waiting */
		c->end = SYNTH_C_OPEN;
		return;
	}
	c->accepted_ms = at + MIN_MS + below(x, 4 * HOUR_MS);
	consult_step(x, hub, id, tid, "accepted", c->accepted_ms, 1);
	if (roll == 2) {
		c->end = SYNTH_C_FAILED;
		consult_step(
		    x, hub, id, tid, "failed", c->accepted_ms + MIN_MS, 0);
	} else if (roll == 3) {
		c->end = SYNTH_C_OPEN; /* accepted, in a call */
		consult_step(
		    x, hub, id, tid, "call", c->accepted_ms + MIN_MS, 0);
	} else {
		c->end = SYNTH_C_DONE;
		consult_step(
		    x, hub, id, tid, "signed", c->accepted_ms + 20 * MIN_MS, 0);
		if (roll >= 7)
			consult_step(x, k, id, tid, "closed",
			    c->accepted_ms + HOUR_MS, 0);
	}
}

static void
ref_fact(struct sctx *x, size_t k, const char *ref, const char *from,
    const char *target, const char *pat, const char *state, uint64_t at)
{
	struct model_rec r;
	uint8_t id[16];
	char tid[UUID_STRLEN + 1];

	if (state == NULL) { /* the request: its id is the referral's */
		struct uuid u;

		if (uuid_parse(ref, &u) != 0)
			return;
		memcpy(id, u.b, 16);
		str_lcpy(tid, ref, sizeof(tid));
	} else
		new_id(x, id, tid);
	model_rec_init(
	    &r, model_entity(REC_REFERRAL), tid, hlc_at(x, at), NULL);
	model_set_text(&r, REC_REF_KIND, state ? "step" : "request");
	model_set_text(&r, REC_REF_REFERRAL, ref);
	model_set_text(&r, REC_REF_FROM, from);
	model_set_text(&r, REC_REF_TARGET, target);
	model_set_uint(&r, REC_REF_AT, at);
	if (state == NULL) {
		model_set_text(&r, REC_REF_PATIENT, pat);
		model_set_text(&r, REC_REF_REASON, "synthetic");
		model_set_text(&r, REC_REF_URGENCY, "routine");
		model_set_uint(&r, REC_REF_DUE, at + 14 * DAY_MS);
		model_set_text(&r, REC_REF_REQUESTER, "synth-chw");
		model_set_text(&r, REC_REF_REQ_ROLE, "chw");
	} else
		model_set_text(&r, REC_REF_STATE, state);
	queue(x, k, REC_REFERRAL, id, &r);
	model_rec_clear(&r);
}

static void
mk_referral(
    struct sctx *x, size_t k, const char *pat, uint64_t at, struct caps *cap)
{
	struct synth_referral *f;
	const char *from = x->t->kiosks[k].facility, *to;
	uint8_t id[16];
	char ref[UUID_STRLEN + 1];
	size_t tk;
	uint64_t roll = below(x, 10);

	/* a kiosk of another facility */
	tk = below(x, x->o->kiosks);
	if (strcmp(x->t->kiosks[tk].facility, from) == 0)
		tk = (tk + 1) % x->o->kiosks;
	if (strcmp(x->t->kiosks[tk].facility, from) == 0)
		return; /* one facility only */
	to = x->t->kiosks[tk].facility;
	x->t->referrals = grow(x->t->referrals, x->t->nreferrals, &cap->r,
	    sizeof(*x->t->referrals));
	f = &x->t->referrals[x->t->nreferrals++];
	memset(f, 0, sizeof(*f));
	f->kiosk = (uint32_t)k;
	f->target = (uint32_t)tk;
	f->at_ms = at;
	new_id(x, id, ref);
	ref_fact(x, k, ref, from, to, pat, NULL, at);
	if (roll == 0) {
		f->end = SYNTH_R_CANCELLED;
		ref_fact(x, k, ref, from, to, NULL, "cancelled", at + HOUR_MS);
		return;
	}
	if (roll == 1) {
		f->end = SYNTH_R_OPEN;
		return;
	}
	if (roll == 2) {
		f->end = SYNTH_R_REJECTED;
		ref_fact(x, tk, ref, from, to, NULL, "rejected", at + DAY_MS);
		return;
	}
	f->accepted_ms = at + HOUR_MS + below(x, 3 * DAY_MS);
	ref_fact(x, tk, ref, from, to, NULL, "accepted", f->accepted_ms);
	if (roll == 3) {
		f->end = SYNTH_R_OPEN;
		return;
	}
	if (roll == 4) {
		f->end = SYNTH_R_FAILED;
		ref_fact(x, tk, ref, from, to, NULL, "failed",
		    f->accepted_ms + 5 * DAY_MS);
		return;
	}
	f->end = SYNTH_R_COMPLETED;
	f->seen_ms = f->accepted_ms + HOUR_MS + below(x, 5 * DAY_MS);
	ref_fact(x, tk, ref, from, to, NULL, "completed", f->seen_ms);
}

static void
mk_appt(
    struct sctx *x, size_t k, const char *pat, uint64_t at, struct caps *cap)
{
	static const char *const status[] = { "booked", "checked-in",
		"cancelled" };
	const struct model_entity *e = model_entity(REC_APPOINTMENT);
	struct synth_appt *a;
	struct model_rec r;
	uint8_t id[16];
	char tid[UUID_STRLEN + 1];
	uint64_t roll = below(x, 10);

	x->t->appts =
	    grow(x->t->appts, x->t->nappts, &cap->p, sizeof(*x->t->appts));
	a = &x->t->appts[x->t->nappts++];
	memset(a, 0, sizeof(*a));
	a->kiosk = (uint32_t)k;
	a->status = roll < 6 ? 0 : roll < 9 ? 1 : 2;
	a->end_ms = at + DAY_MS + below(x, 20 * DAY_MS);
	new_id(x, id, tid);
	model_rec_init(&r, e, tid, hlc_at(x, at), NULL);
	model_set_text(&r, REC_APPT_PATIENT, pat);
	model_set_uint(&r, REC_APPT_SLOT, 1 + below(x, 100000));
	model_set_uint(&r, REC_APPT_START, a->end_ms - 30 * MIN_MS);
	model_set_uint(&r, REC_APPT_END, a->end_ms);
	model_set_text(&r, REC_APPT_CLINICIAN, "synth-clinician");
	model_set_text(&r, REC_APPT_STATUS, "proposed");
	queue(x, k, REC_APPOINTMENT, id, &r);
	model_rec_clear(&r);
	model_rec_init(&r, e, tid, hlc_at(x, at + 1000), NULL);
	model_set_text(&r, REC_APPT_STATUS, status[a->status]);
	if (a->status == 1) {
		model_set_uint(
		    &r, REC_APPT_CHECKIN_MS, a->end_ms - 40 * MIN_MS);
		model_set_text(&r, REC_APPT_CHECKIN_BY, "chw");
	}
	queue(x, k, REC_APPOINTMENT, id, &r);
	model_rec_clear(&r);
}

static void
mk_visit(struct sctx *x, struct caps *cap)
{
	const struct model_entity *e = model_entity(REC_ENCOUNTER);
	struct synth_kiosk *sk;
	struct synth_visit *v;
	struct model_rec r;
	uint8_t id[16], pid[16];
	char enc[UUID_STRLEN + 1], pat[UUID_STRLEN + 1];
	size_t k = below(x, x->o->kiosks), i;
	uint64_t at, roll;

	sk = &x->t->kiosks[k];
	/* up to 35 days before the kiosk's last push (some before the
	 * dashboard's 28 days) */
	at = sk->last_push_ms - HOUR_MS - below(x, 35 * DAY_MS);
	x->t->visits =
	    grow(x->t->visits, x->t->nvisits, &cap->v, sizeof(*x->t->visits));
	v = &x->t->visits[x->t->nvisits++];
	memset(v, 0, sizeof(*v));
	v->kiosk = (uint32_t)k;
	v->started_ms = at;
	v->obs_device = (uint8_t)below(x, 3);
	v->obs_typed = (uint8_t)below(x, 3);
	new_id(x, id, enc);
	new_id(x, pid, pat);
	model_rec_init(&r, e, enc, hlc_at(x, at), NULL);
	model_set_text(&r, REC_ENC_PATIENT, pat);
	model_set_uint(&r, REC_ENC_STARTED, at);
	model_set_text(&r, REC_ENC_STATUS, "open");
	queue(x, k, REC_ENCOUNTER, id, &r);
	model_rec_clear(&r);
	for (i = 0; i < v->obs_device; i++)
		mk_obs(x, k, enc, pat, at + MIN_MS, 1);
	for (i = 0; i < v->obs_typed; i++)
		mk_obs(x, k, enc, pat, at + 2 * MIN_MS, 0);
	roll = below(x, 100);
	if (roll < 10)
		mk_alert(x, k, enc, pat, at + 3 * MIN_MS, cap);
	if (roll < 6)
		mk_consult(x, k, enc, pat, at + 4 * MIN_MS, cap);
	if (roll >= 90 && roll < 94)
		mk_referral(x, k, pat, at + 5 * MIN_MS, cap);
	if (roll >= 94)
		mk_appt(x, k, pat, at + 6 * MIN_MS, cap);
	/* the visit closed: a second change of the encounter */
	model_rec_init(&r, e, enc, hlc_at(x, at + 20 * MIN_MS), NULL);
	model_set_text(&r, REC_ENC_STATUS, "closed");
	model_set_uint(&r, REC_ENC_ENDED, at + 20 * MIN_MS);
	queue(x, k, REC_ENCOUNTER, id, &r);
	model_rec_clear(&r);
}

static int
enrol(struct sctx *x, size_t k, int hub)
{
	const struct synth_opts *o = x->o;
	struct synth_kiosk *sk = &x->t->kiosks[k];
	struct stoken t;
	struct snode n;
	uint8_t pub[32];
	char tag[96];
	int err;

	memset(&t, 0, sizeof(t));
	sk->hub = hub;
	if (hub)
		snprintf(
		    sk->facility, sizeof(sk->facility), "%s-hub", o->region);
	else
		snprintf(sk->facility, sizeof(sk->facility), "%s-f%02zu",
		    o->region, k % o->facilities);
	snprintf(tag, sizeof(tag), "synth %s %llu %zu", o->region,
	    (unsigned long long)o->seed, k);
	crypto_sha256(tag, strlen(tag), t.hash);
	str_lcpy(t.role, hub ? "hub" : "clinic", sizeof(t.role));
	str_lcpy(t.region, o->region, sizeof(t.region));
	str_lcpy(t.facility, sk->facility, sizeof(t.facility));
	t.expires_ms = o->now_ms - 40 * DAY_MS + HOUR_MS;
	if ((err = x->be->token_add(x->s, &t)) != 0)
		return err;
	crypto_random(pub, sizeof(pub));
	snprintf(tag, sizeof(tag), "synth-%zu", k);
	if ((err = x->be->enroll(
	         x->s, t.hash, pub, tag, o->now_ms - 40 * DAY_MS, &n)) != 0)
		return err;
	sk->node = n.id;
	/* one clinic kiosk in eight has not synced for 3 to 10 days */
	if (!hub && below(x, 8) == 0)
		sk->last_push_ms =
		    o->now_ms - 3 * DAY_MS - below(x, 7 * DAY_MS);
	else
		sk->last_push_ms = o->now_ms - below(x, 6 * HOUR_MS);
	/* one in five reported changes it had not pushed yet */
	sk->pending = below(x, 5) == 0 ? 1 + below(x, 40) : 0;
	return 0;
}

int
synth_region(const struct store_backend *be, struct sstore *s,
    const struct synth_opts *o, struct synth_truth *t)
{
	struct sctx x;
	struct caps cap;
	size_t k, n;
	uint64_t i;
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (o->region == NULL || o->region[0] == '\0' ||
	    strlen(o->region) > 40 || o->facilities == 0 ||
	    o->kiosks < o->facilities || o->kiosks + o->hubs > 100000 ||
	    o->now_ms < 60 * DAY_MS)
		return EINVAL;
	memset(&x, 0, sizeof(x));
	memset(&cap, 0, sizeof(cap));
	x.be = be;
	x.s = s;
	x.o = o;
	x.t = t;
	x.rng = o->seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	n = (size_t)o->kiosks + o->hubs;
	t->kiosks = xcalloc(n, sizeof(*t->kiosks));
	t->nkiosks = n;
	x.b = xcalloc(n, sizeof(*x.b));
	for (k = 0; k < n && err == 0; k++)
		err = enrol(&x, k, k >= o->kiosks);
	for (i = 0; i < o->visits && err == 0 && x.err == 0; i++)
		mk_visit(&x, &cap);
	if (err == 0)
		err = x.err;
	for (k = 0; k < n && err == 0; k++)
		err = flush(&x, k, 1);
	for (k = 0; k < n; k++)
		while (x.b[k].n > 0)
			free((void *)x.b[k].ch[--x.b[k].n].body);
	free(x.b);
	if (err != 0)
		log_warnx("synthetic region: %s", strerror(err));
	return err;
}

void
synth_truth_clear(struct synth_truth *t)
{
	if (t == NULL)
		return;
	free(t->kiosks);
	free(t->visits);
	free(t->alerts);
	free(t->consults);
	free(t->referrals);
	free(t->appts);
	memset(t, 0, sizeof(*t));
}
