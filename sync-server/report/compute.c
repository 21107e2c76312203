/*
 * The region dashboard's figures (figures.h says where each comes from).
 * One pass over the region's changes (a region pull through the backend,
 * as `admin referrals` reads them) keeps a few numbers per change; mutable
 * records are then folded per id in merge order, and everything is added
 * up per kiosk, per facility and for the region.  No SQL here: both
 * backends give the same figures.  Nothing is logged but counts.
 */
#define LOG_MODULE "figures"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "cborx.h"
#include "compat.h"
#include "log.h"
#include "model.h"
#include "record.h"
#include "str.h"
#include "xmalloc.h"
#include "sync-server/report/compute.h"
#include "sync-server/work/referral.h"
#include "sync-server/work/sched.h"

#define FIG_PULL_PAGE 8192

/* One change of a mutable record, with the fields the figures read. */
struct fchg {
	uint8_t id[16];
	uint64_t hlc, origin;
	unsigned set; /* bit i: u[i] carried; bit 3: s; bit 4: del */
	int del; /* soft-deleted */
	uint64_t u[3];
	char s[16];
};

struct fvec {
	struct fchg *v;
	size_t n, cap;
};

struct node_ix {
	uint64_t node;
	size_t k; /* index in figures.kiosks */
};

struct fctx {
	struct figures *f;
	struct node_ix *ix;
	struct fvec enc, alert, consult, appt;
	struct rref_fact *ref;
	size_t nref, capref;
};

static struct fchg *
fvec_add(struct fvec *fv, const struct schange *c)
{
	struct fchg *x;

	if (fv->n == fv->cap) {
		fv->cap = fv->cap ? fv->cap * 2 : 1024;
		fv->v = xreallocarray(fv->v, fv->cap, sizeof(*fv->v));
	}
	x = &fv->v[fv->n++];
	memset(x, 0, sizeof(*x));
	memcpy(x->id, c->id, sizeof(x->id));
	x->hlc = c->hlc;
	x->origin = c->origin;
	return x;
}

/*
 * The values of KEYS in the body's map, in one pass over its pairs (the
 * figures read two to four fields of bodies of ten or more; model_decode
 * would look each field up).  Lent from MAP.
 */
static void
pick(const cbor_item_t *map, const uint64_t *keys, cbor_item_t **out, size_t n)
{
	struct cbor_pair *p = cbor_map_handle(map);
	size_t i, j, np = cbor_map_size(map);
	uint64_t k;

	for (j = 0; j < n; j++)
		out[j] = NULL;
	for (i = 0; i < np; i++) {
		if (!cbor_isa_uint(p[i].key))
			continue;
		k = cbor_get_int(p[i].key);
		for (j = 0; j < n; j++)
			if (k == keys[j])
				out[j] = p[i].value;
	}
}

static void
take_uint(struct fchg *x, int i, const cbor_item_t *v)
{
	if (v != NULL && cborx_get_uint(v, &x->u[i]) == 0)
		x->set |= 1u << i;
}

static void
take_text(struct fchg *x, const cbor_item_t *v)
{
	size_t n;

	if (v == NULL || !cbor_isa_string(v) || !cbor_string_is_definite(v))
		return;
	n = cbor_string_length(v);
	if (n >= sizeof(x->s))
		n = sizeof(x->s) - 1;
	memcpy(x->s, cbor_string_handle(v), n);
	x->s[n] = '\0';
	x->set |= 1u << 3;
}

static void
take_deleted(struct fchg *x, const cbor_item_t *v)
{
	int b;

	if (v != NULL && cborx_get_bool(v, &b) == 0) {
		x->set |= 1u << 4;
		x->del = b != 0;
	}
}

/* Merge order (model_merge_wins): by id, then HLC, then origin node. */
static int
fchg_cmp(const void *a, const void *b)
{
	const struct fchg *x = a, *y = b;
	int c;

	if ((c = memcmp(x->id, y->id, sizeof(x->id))) != 0)
		return c;
	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	return x->origin < y->origin ? -1 : x->origin > y->origin;
}

/*
 * Fold FV in place: one entry per id, holding the winning value of each
 * field and the origin of the record's first change (its creator);
 * soft-deleted records are dropped.
 */
static void
fvec_fold(struct fvec *fv)
{
	size_t i, j, out = 0;
	int b;

	if (fv->n > 1)
		qsort(fv->v, fv->n, sizeof(*fv->v), fchg_cmp);
	for (i = 0; i < fv->n; i = j) {
		struct fchg acc = fv->v[i];

		for (j = i + 1; j < fv->n &&
		     memcmp(fv->v[j].id, acc.id, sizeof(acc.id)) == 0;
		     j++) {
			for (b = 0; b < 3; b++)
				if (fv->v[j].set & (1u << b))
					acc.u[b] = fv->v[j].u[b];
			if (fv->v[j].set & (1u << 3))
				memcpy(acc.s, fv->v[j].s, sizeof(acc.s));
			if (fv->v[j].set & (1u << 4))
				acc.del = fv->v[j].del;
			acc.set |= fv->v[j].set;
		}
		if (!acc.del)
			fv->v[out++] = acc;
	}
	fv->n = out;
}

static int
ix_cmp(const void *a, const void *b)
{
	const struct node_ix *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

/* The kiosk of NODE in the region, NULL when not one of its nodes. */
static struct fig_kiosk *
kiosk_of(struct fctx *x, uint64_t node)
{
	struct node_ix key = { node, 0 }, *hit;

	hit = bsearch(&key, x->ix, x->f->nkiosks, sizeof(*x->ix), ix_cmp);
	return hit == NULL ? NULL : &x->f->kiosks[hit->k];
}

static struct fig_facility *
facility_of(struct fctx *x, const struct fig_kiosk *k)
{
	return k == NULL
	    ? NULL
	    : (struct fig_facility *)figures_facility(x->f, k->facility);
}

/* Apply ADD to the region's, the facility's and the kiosk's counts of the
 * record created by ORIGIN. */
#define FIG_ADD(x, origin, stmt)                                               \
	do {                                                                   \
		struct fig_kiosk *k_ = kiosk_of((x), (origin));                \
		struct fig_facility *f_ = facility_of((x), k_);                \
		struct fig_counts *c_ = &(x)->f->c;                            \
		stmt;                                                          \
		if (k_ != NULL) {                                              \
			c_ = &k_->c;                                           \
			stmt;                                                  \
		}                                                              \
		if (f_ != NULL) {                                              \
			c_ = &f_->c;                                           \
			stmt;                                                  \
		}                                                              \
	} while (0)

static int
kiosk_cmp(const void *a, const void *b)
{
	const struct fig_kiosk *x = a, *y = b;
	int c;

	if ((c = strcmp(x->facility, y->facility)) != 0)
		return c;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* The region's nodes, their sync age and pending changes; facilities. */
static int
fig_kiosks(const struct store_backend *be, struct sstore *s, struct fctx *x)
{
	struct figures *f = x->f;
	struct sstats st;
	struct fig_kiosk *k;
	struct fig_facility *fa;
	const struct snode *n;
	size_t i;
	int err;

	memset(&st, 0, sizeof(st));
	if ((err = be->stats(s, &st)) != 0)
		return err;
	f->kiosks = xcalloc(st.nnodes ? st.nnodes : 1, sizeof(*f->kiosks));
	for (i = 0; i < st.nnodes; i++) {
		n = &st.nodes[i];
		if (n->revoked || strcmp(n->region, f->region) != 0)
			continue;
		k = &f->kiosks[f->nkiosks++];
		k->node = n->id;
		str_lcpy(k->role, n->role, sizeof(k->role));
		str_lcpy(k->facility, n->facility, sizeof(k->facility));
		str_lcpy(k->label, n->label, sizeof(k->label));
		k->last_sync_ms = n->last_push_ms > n->last_pull_ms
		    ? n->last_push_ms
		    : n->last_pull_ms;
		k->age_ms = f->now_ms -
		    (k->last_sync_ms ? k->last_sync_ms : n->enrolled_ms);
		if (k->age_ms > f->now_ms)
			k->age_ms = 0; /* a clock ahead of ours */
		k->stale = k->age_ms > FIG_STALE_MS;
		k->pending =
		    n->outbox_last > n->hw ? n->outbox_last - n->hw : 0;
		k->complete_ms = n->outbox_last <= n->hw ? n->last_push_ms : 0;
	}
	sstats_clear(&st);
	if (f->nkiosks > 1)
		qsort(f->kiosks, f->nkiosks, sizeof(*f->kiosks), kiosk_cmp);
	x->ix = xcalloc(f->nkiosks ? f->nkiosks : 1, sizeof(*x->ix));
	f->facs = xcalloc(f->nkiosks ? f->nkiosks : 1, sizeof(*f->facs));
	for (i = 0; i < f->nkiosks; i++) {
		k = &f->kiosks[i];
		x->ix[i].node = k->node;
		x->ix[i].k = i;
		if (f->nfacs == 0 ||
		    strcmp(f->facs[f->nfacs - 1].name, k->facility) != 0)
			str_lcpy(f->facs[f->nfacs++].name, k->facility,
			    sizeof(f->facs[0].name));
		fa = &f->facs[f->nfacs - 1];
		fa->nkiosks++;
		fa->nstale += (size_t)k->stale;
		fa->pending += k->pending;
		f->nstale += (size_t)k->stale;
		f->pending += k->pending;
	}
	if (f->nkiosks > 1)
		qsort(x->ix, f->nkiosks, sizeof(*x->ix), ix_cmp);
	return 0;
}

/* The keys each entity's figures read, REC_K_DELETED last. */
static const uint64_t enc_keys[] = { REC_ENC_STARTED, REC_K_DELETED };
static const uint64_t obs_keys[] = { REC_OBS_DEVICE };
static const uint64_t alert_keys[] = { REC_ALERT_RAISED, REC_ALERT_ACKED,
	REC_K_DELETED };
static const uint64_t consult_keys[] = { REC_CONSULT_REQUESTED,
	REC_CONSULT_ACCEPTED, REC_CONSULT_STATE, REC_K_DELETED };
static const uint64_t appt_keys[] = { REC_APPT_END, REC_APPT_CHECKIN_MS,
	REC_APPT_STATUS, REC_K_DELETED };

static void
fig_referral(struct fctx *x, const struct schange *c)
{
	struct model_rec r;

	if (model_decode(model_entity(REC_REFERRAL), c->body, c->len, &r) ==
	    0) {
		if (x->nref == x->capref) {
			x->capref = x->capref ? x->capref * 2 : 256;
			x->ref =
			    xreallocarray(x->ref, x->capref, sizeof(*x->ref));
		}
		if (rref_fact_read(&r, &x->ref[x->nref]) == 0) {
			if (x->ref[x->nref].request)
				FIG_ADD(x, c->origin, c_->referrals++);
			x->nref++;
		}
	}
	model_rec_clear(&r);
}

static void
fig_take(struct fctx *x, const struct schange *c)
{
	cbor_item_t *m = NULL, *v[4];
	struct fchg *h;

	switch (c->entity) {
	case REC_REFERRAL:
		fig_referral(x, c);
		return;
	case REC_ENCOUNTER:
	case REC_OBSERVATION:
	case REC_ALERT:
	case REC_CONSULT:
	case REC_APPOINTMENT:
		break;
	default:
		return;
	}
	if (cborx_decode_items(
	        c->body, c->len, MODEL_BODY_MAX, MODEL_BODY_ITEMS, &m) != 0 ||
	    !cbor_isa_map(m)) {
		if (m != NULL)
			cbor_decref(&m);
		return; /* the server checked it at push: not expected */
	}
	switch (c->entity) {
	case REC_ENCOUNTER:
		pick(m, enc_keys, v, nitems(enc_keys));
		h = fvec_add(&x->enc, c);
		take_uint(h, 0, v[0]);
		take_deleted(h, v[1]);
		break;
	case REC_OBSERVATION:
		pick(m, obs_keys, v, nitems(obs_keys));
		if (v[0] != NULL && cbor_isa_string(v[0]) &&
		    cbor_string_length(v[0]) > 0)
			FIG_ADD(x, c->origin, c_->obs_device++);
		else
			FIG_ADD(x, c->origin, c_->obs_typed++);
		break;
	case REC_ALERT:
		pick(m, alert_keys, v, nitems(alert_keys));
		h = fvec_add(&x->alert, c);
		take_uint(h, 0, v[0]);
		take_uint(h, 1, v[1]);
		take_deleted(h, v[2]);
		break;
	case REC_CONSULT:
		pick(m, consult_keys, v, nitems(consult_keys));
		h = fvec_add(&x->consult, c);
		take_uint(h, 0, v[0]);
		take_uint(h, 1, v[1]);
		take_text(h, v[2]);
		take_deleted(h, v[3]);
		break;
	case REC_APPOINTMENT:
		pick(m, appt_keys, v, nitems(appt_keys));
		h = fvec_add(&x->appt, c);
		take_uint(h, 0, v[0]);
		take_uint(h, 1, v[1]);
		take_text(h, v[2]);
		take_deleted(h, v[3]);
		break;
	}
	cbor_decref(&m);
}

static int
fig_pull_take(const struct schange *c, void *arg)
{
	struct fctx *x = arg;

	fig_take(x, c);
	x->f->changes++;
	return 0;
}

static int
fig_pull(const struct store_backend *be, struct sstore *s, struct fctx *x)
{
	return store_region_each(
	    be, s, x->f->region, FIG_PULL_PAGE, x->f->now_ms, fig_pull_take, x);
}

static void
fig_visits(struct fctx *x)
{
	struct figures *f = x->f;
	const struct fchg *h;
	uint64_t d;
	size_t i;

	fvec_fold(&x->enc);
	for (i = 0; i < x->enc.n; i++) {
		h = &x->enc.v[i];
		FIG_ADD(x, h->origin, c_->visits++);
		if (!(h->set & 1u)) {
			f->visits_undated++;
			continue;
		}
		if (h->u[0] < f->day0_ms)
			continue;
		d = (h->u[0] - f->day0_ms) / FIG_DAY_MS;
		if (d < FIG_DAYS)
			FIG_ADD(x, h->origin, c_->day[d]++);
	}
}

static void
fig_alerts(struct fctx *x)
{
	const struct fchg *h;
	uint64_t *iv;
	size_t i, n = 0;

	fvec_fold(&x->alert);
	iv = xcalloc(x->alert.n ? x->alert.n : 1, sizeof(*iv));
	for (i = 0; i < x->alert.n; i++) {
		h = &x->alert.v[i];
		FIG_ADD(x, h->origin, c_->alerts++);
		if (!(h->set & 2u) || h->u[1] == 0)
			continue;
		FIG_ADD(x, h->origin, c_->alerts_acked++);
		if ((h->set & 1u) && h->u[1] >= h->u[0])
			iv[n++] = h->u[1] - h->u[0];
	}
	fig_interval_of(iv, n, &x->f->ack);
	free(iv);
}

static void
fig_consults(struct fctx *x)
{
	struct figures *f = x->f;
	const struct fchg *h;
	uint64_t *iv;
	size_t i, n = 0;

	fvec_fold(&x->consult);
	iv = xcalloc(x->consult.n ? x->consult.n : 1, sizeof(*iv));
	for (i = 0; i < x->consult.n; i++) {
		h = &x->consult.v[i];
		FIG_ADD(x, h->origin, c_->consults++);
		f->c_requested++;
		if (strcmp(h->s, "signed") == 0 || strcmp(h->s, "closed") == 0)
			f->c_done++;
		else if (strcmp(h->s, "failed") == 0)
			f->c_failed++;
		else if (strcmp(h->s, "cancelled") == 0)
			f->c_cancelled++;
		else
			f->c_open++;
		if ((h->set & 3u) == 3u && h->u[1] >= h->u[0] && h->u[0] != 0)
			iv[n++] = h->u[1] - h->u[0];
	}
	fig_interval_of(iv, n, &f->c_wait);
	free(iv);
}

static void
fig_appts(struct fctx *x)
{
	struct figures *f = x->f;
	const struct fchg *h;
	struct node_ix key = { 0, 0 }, *hit;
	enum sched_attendance a;
	uint64_t due;
	size_t i;
	int checked;

	fvec_fold(&x->appt);
	for (i = 0; i < x->appt.n; i++) {
		h = &x->appt.v[i];
		checked = strcmp(h->s, "checked-in") == 0;
		if (!checked && strcmp(h->s, "booked") != 0)
			continue; /* proposed, refused, cancelled */
		if (!(h->set & 1u))
			continue;
		key.node = h->origin;
		hit = bsearch(&key, x->ix, f->nkiosks, sizeof(*x->ix), ix_cmp);
		a = sched_attendance(checked || ((h->set & 2u) && h->u[1]),
		    (int64_t)h->u[0], (int64_t)f->now_ms,
		    hit ? (int64_t)f->kiosks[hit->k].complete_ms : 0);
		switch (a) {
		case SCHED_UPCOMING:
			f->a_upcoming++;
			continue;
		case SCHED_ATTENDED:
			f->a_attended++;
			break;
		case SCHED_NOSHOW_PROVISIONAL:
			f->a_noshow_prov++;
			break;
		case SCHED_NOSHOW:
			f->a_noshow++;
			break;
		}
		FIG_ADD(x, h->origin, c_->appts++);
		if (a != SCHED_ATTENDED)
			FIG_ADD(x, h->origin, c_->noshows++);
	}
	due = f->a_attended + f->a_noshow + f->a_noshow_prov;
	f->noshow_rate =
	    due ? (double)(f->a_noshow + f->a_noshow_prov) / (double)due : 0;
}

/* The referral numbers `admin referrals` prints (work/referral.c). */
static void
fig_referrals_of(struct fctx *x, uint64_t now_ms)
{
	struct fig_referrals *o = &x->f->ref;
	struct rref_stats st;

	rref_stats(x->ref, x->nref, now_ms, &st);
	o->issued = st.issued;
	o->cancelled = st.cancelled;
	o->counted = st.counted;
	o->completed = st.completed;
	o->self_reported = st.self_reported;
	o->rejected = st.rejected;
	o->failed = st.failed;
	o->open = st.open;
	o->followup_due = st.followup_due;
	o->accepted = st.accepted;
	o->accept_median_ms = st.accept_median_ms;
	o->accept_p90_ms = st.accept_p90_ms;
	o->seen_median_ms = st.seen_median_ms;
	o->seen_p90_ms = st.seen_p90_ms;
	o->completion_rate = st.completion_rate;
}

/* Is NODE one of F's kiosks? */
static int
fig_has_kiosk(const struct figures *f, uint64_t node)
{
	size_t i;

	for (i = 0; i < f->nkiosks; i++)
		if (f->kiosks[i].node == node)
			return 1;
	return 0;
}

struct fig_count {
	const struct figures *f;
	uint64_t n;
};

static void
fig_claim_cb(const struct sclaim *c, void *arg)
{
	struct fig_count *k = arg;

	if (figures_facility(k->f, c->facility) != NULL)
		k->n++;
}

int
fig_claims(const struct store_backend *be, struct sstore *s,
    const struct figures *f, struct fig_absent *out)
{
	struct fig_count k = { f, 0 };
	int err;

	memset(out, 0, sizeof(*out));
	if (be->claims_list == NULL)
		return 0;
	if ((err = store_claims_by_status(be, s, NULL, fig_claim_cb, &k)) != 0)
		return err;
	out->available = 1;
	out->n = k.n;
	return 0;
}

static int
fig_emerg_cb(const struct semerg *e, void *arg)
{
	struct fig_count *k = arg;

	if (fig_has_kiosk(k->f, e->node))
		k->n++;
	return 0;
}

int
fig_emergencies(const struct store_backend *be, struct sstore *s,
    const struct figures *f, struct fig_absent *out)
{
	struct fig_count k = { f, 0 };
	int err;

	memset(out, 0, sizeof(*out));
	if (be->emerg_list == NULL)
		return 0;
	if ((err = be->emerg_list(s, NULL, 0, 0, fig_emerg_cb, &k)) != 0)
		return err;
	out->available = 1;
	out->n = k.n;
	return 0;
}

int
fig_breakglass(const struct store_backend *be, struct sstore *s,
    const struct figures *f, struct fig_absent *out)
{
	struct sbreakglass *v = NULL;
	size_t i, n = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (be->breakglass_list == NULL)
		return 0;
	if ((err = be->breakglass_list(s, 0, &v, &n)) != 0)
		return err;
	out->available = 1;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].region, f->region) == 0)
			out->n++;
	free(v);
	return 0;
}

int
figures_compute(const struct store_backend *be, struct sstore *s,
    const char *region, uint64_t now_ms, struct figures *out)
{
	struct fctx x;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.f = out;
	str_lcpy(out->region, region, sizeof(out->region));
	out->now_ms = now_ms;
	out->day0_ms = (now_ms / FIG_DAY_MS - (FIG_DAYS - 1)) * FIG_DAY_MS;
	if ((err = fig_kiosks(be, s, &x)) != 0 ||
	    (err = fig_pull(be, s, &x)) != 0)
		goto out;
	fig_visits(&x);
	fig_alerts(&x);
	fig_consults(&x);
	fig_appts(&x);
	fig_referrals_of(&x, now_ms);
	if ((err = fig_claims(be, s, out, &out->claims)) != 0 ||
	    (err = fig_emergencies(be, s, out, &out->emergencies)) != 0 ||
	    (err = fig_breakglass(be, s, out, &out->breakglass)) != 0)
		goto out;
	log_debug("region figures: %zu kiosks, %llu changes", out->nkiosks,
	    (unsigned long long)out->changes);
out:
	free(x.enc.v);
	free(x.alert.v);
	free(x.consult.v);
	free(x.appt.v);
	free(x.ref);
	free(x.ix);
	return err;
}
