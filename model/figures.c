/*
 * The region figures as both programs hold them (figures.h): lookup,
 * percentiles and the CBOR the server sends to admin nodes.  The map has
 * text keys (this is an answer for people's screens, read by one program,
 * not a record): a new figure is a new key, and an older kiosk ignores
 * it.  Decoding is bounded (FIG_CBOR_MAX bytes, FIG_KIOSKS_MAX kiosks and
 * facilities) and all-or-nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "cborx.h"
#include "figures.h"
#include "str.h"
#include "xmalloc.h"

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t
fig_percentile(const uint64_t *sorted, size_t k, unsigned p)
{
	size_t rank;

	if (k == 0 || p == 0)
		return 0;
	rank = ((size_t)p * k + 99) / 100;
	return sorted[(rank > k ? k : rank) - 1];
}

void
fig_interval_of(uint64_t *v, size_t n, struct fig_interval *out)
{
	memset(out, 0, sizeof(*out));
	if (n > 1)
		qsort(v, n, sizeof(*v), u64_cmp);
	out->n = n;
	out->median_ms = fig_percentile(v, n, 50);
	out->p90_ms = fig_percentile(v, n, 90);
}

const struct fig_facility *
figures_facility(const struct figures *f, const char *name)
{
	size_t lo = 0, hi = f->nfacs, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, f->facs[mid].name);
		if (c == 0)
			return &f->facs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void
figures_clear(struct figures *f)
{
	if (f == NULL)
		return;
	free(f->kiosks);
	free(f->facs);
	memset(f, 0, sizeof(*f));
}

/* --- encoding ----------------------------------------------------------- */

static cbor_item_t *
u64s(const uint64_t *v, size_t n)
{
	cbor_item_t *a = cborx_array(n);
	size_t i;

	for (i = 0; i < n; i++)
		cborx_array_push(a, cborx_uint(v[i]));
	return a;
}

/* [visits, [days], device, typed, alerts, acked, consults, referrals,
 *  appts, noshows] */
static cbor_item_t *
counts(const struct fig_counts *c)
{
	cbor_item_t *a = cborx_array(10);
	uint64_t rest[8];

	cborx_array_push(a, cborx_uint(c->visits));
	cborx_array_push(a, u64s(c->day, FIG_DAYS));
	rest[0] = c->obs_device;
	rest[1] = c->obs_typed;
	rest[2] = c->alerts;
	rest[3] = c->alerts_acked;
	rest[4] = c->consults;
	rest[5] = c->referrals;
	rest[6] = c->appts;
	rest[7] = c->noshows;
	for (size_t i = 0; i < 8; i++)
		cborx_array_push(a, cborx_uint(rest[i]));
	return a;
}

static cbor_item_t *
interval(const struct fig_interval *v)
{
	uint64_t x[3] = { v->n, v->median_ms, v->p90_ms };

	return u64s(x, 3);
}

cbor_item_t *
figures_cbor_item(const struct figures *f)
{
	cbor_item_t *m = cborx_map(16), *a, *e;
	const struct fig_referrals *r = &f->ref;
	uint64_t v[16];
	size_t i;

	cborx_map_put_str(m, "region", cborx_text(f->region));
	cborx_map_put_str(m, "now", cborx_uint(f->now_ms));
	cborx_map_put_str(m, "day0", cborx_uint(f->day0_ms));
	cborx_map_put_str(m, "stale_ms", cborx_uint(FIG_STALE_MS));
	cborx_map_put_str(m, "counts", counts(&f->c));
	cborx_map_put_str(m, "undated", cborx_uint(f->visits_undated));
	cborx_map_put_str(m, "ack", interval(&f->ack));
	v[0] = f->c_requested;
	v[1] = f->c_done;
	v[2] = f->c_failed;
	v[3] = f->c_cancelled;
	v[4] = f->c_open;
	cborx_map_put_str(m, "consults", u64s(v, 5));
	cborx_map_put_str(m, "wait", interval(&f->c_wait));
	v[0] = r->issued;
	v[1] = r->cancelled;
	v[2] = r->counted;
	v[3] = r->completed;
	v[4] = r->self_reported;
	v[5] = r->rejected;
	v[6] = r->failed;
	v[7] = r->open;
	v[8] = r->followup_due;
	v[9] = r->accepted;
	v[10] = r->accept_median_ms;
	v[11] = r->accept_p90_ms;
	v[12] = r->seen_median_ms;
	v[13] = r->seen_p90_ms;
	cborx_map_put_str(m, "referrals", u64s(v, 14));
	v[0] = f->a_attended;
	v[1] = f->a_noshow;
	v[2] = f->a_noshow_prov;
	v[3] = f->a_upcoming;
	cborx_map_put_str(m, "appts", u64s(v, 4));
	v[0] = (uint64_t)f->claims.available;
	v[1] = f->claims.n;
	v[2] = (uint64_t)f->emergencies.available;
	v[3] = f->emergencies.n;
	v[4] = (uint64_t)f->breakglass.available;
	v[5] = f->breakglass.n;
	cborx_map_put_str(m, "absent", u64s(v, 6));
	cborx_map_put_str(m, "changes", cborx_uint(f->changes));
	a = cborx_array(f->nfacs);
	for (i = 0; i < f->nfacs; i++) {
		const struct fig_facility *fa = &f->facs[i];

		e = cborx_array(5);
		cborx_array_push(e, cborx_text(fa->name));
		cborx_array_push(e, cborx_uint(fa->nkiosks));
		cborx_array_push(e, cborx_uint(fa->nstale));
		cborx_array_push(e, cborx_uint(fa->pending));
		cborx_array_push(e, counts(&fa->c));
		cborx_array_push(a, e);
	}
	cborx_map_put_str(m, "facilities", a);
	a = cborx_array(f->nkiosks);
	for (i = 0; i < f->nkiosks; i++) {
		const struct fig_kiosk *k = &f->kiosks[i];

		e = cborx_array(9);
		cborx_array_push(e, cborx_uint(k->node));
		cborx_array_push(e, cborx_text(k->role));
		cborx_array_push(e, cborx_text(k->facility));
		cborx_array_push(e, cborx_text(k->label));
		cborx_array_push(e, cborx_uint(k->last_sync_ms));
		cborx_array_push(e, cborx_uint(k->age_ms));
		cborx_array_push(e, cborx_uint((uint64_t)k->stale));
		cborx_array_push(e, cborx_uint(k->pending));
		cborx_array_push(e, counts(&k->c));
		cborx_array_push(a, e);
	}
	cborx_map_put_str(m, "kiosks", a);
	return m;
}

int
figures_cbor(const struct figures *f, uint8_t **out, size_t *len)
{
	cbor_item_t *m = figures_cbor_item(f);
	int err;

	err = cborx_encode(m, out, len);
	cbor_decref(&m);
	return err;
}

/* --- decoding ----------------------------------------------------------- */

static int
get_u64s(const cbor_item_t *a, uint64_t *v, size_t n)
{
	size_t i;

	if (a == NULL || !cbor_isa_array(a) || cbor_array_size(a) != n)
		return EBADMSG;
	for (i = 0; i < n; i++)
		if (cborx_get_uint(cbor_array_handle(a)[i], &v[i]) != 0)
			return EBADMSG;
	return 0;
}

static int
get_text(const cbor_item_t *it, char *out, size_t size)
{
	char *t = NULL;

	if (cborx_get_text(it, size - 1, &t) != 0)
		return EBADMSG;
	str_lcpy(out, t, size);
	free(t);
	return 0;
}

static int
get_counts(const cbor_item_t *a, struct fig_counts *c)
{
	cbor_item_t **h;
	uint64_t rest[8];
	size_t i;

	if (a == NULL || !cbor_isa_array(a) || cbor_array_size(a) != 10)
		return EBADMSG;
	h = cbor_array_handle(a);
	if (cborx_get_uint(h[0], &c->visits) != 0 ||
	    get_u64s(h[1], c->day, FIG_DAYS) != 0)
		return EBADMSG;
	for (i = 0; i < 8; i++)
		if (cborx_get_uint(h[2 + i], &rest[i]) != 0)
			return EBADMSG;
	c->obs_device = rest[0];
	c->obs_typed = rest[1];
	c->alerts = rest[2];
	c->alerts_acked = rest[3];
	c->consults = rest[4];
	c->referrals = rest[5];
	c->appts = rest[6];
	c->noshows = rest[7];
	return 0;
}

static int
get_interval(const cbor_item_t *a, struct fig_interval *v)
{
	uint64_t x[3];

	if (get_u64s(a, x, 3) != 0)
		return EBADMSG;
	v->n = x[0];
	v->median_ms = x[1];
	v->p90_ms = x[2];
	return 0;
}

static int
get_uint_key(const cbor_item_t *m, const char *key, uint64_t *v)
{
	return cborx_get_uint(cborx_map_get_str(m, key), v) == 0 ? 0 : EBADMSG;
}

static int
get_list(const cbor_item_t *m, const char *key, size_t width, cbor_item_t ***h,
    size_t *n)
{
	const cbor_item_t *a = cborx_map_get_str(m, key);
	size_t i;

	if (a == NULL || !cbor_isa_array(a) ||
	    cbor_array_size(a) > FIG_KIOSKS_MAX)
		return EBADMSG;
	*h = cbor_array_handle(a);
	*n = cbor_array_size(a);
	for (i = 0; i < *n; i++)
		if (!cbor_isa_array((*h)[i]) ||
		    cbor_array_size((*h)[i]) != width)
			return EBADMSG;
	return 0;
}

static int
from_map(const cbor_item_t *m, struct figures *f)
{
	struct fig_referrals *r = &f->ref;
	cbor_item_t **h, **e;
	uint64_t v[16], due;
	size_t i, n;

	if (!cbor_isa_map(m) ||
	    get_text(cborx_map_get_str(m, "region"), f->region,
	        sizeof(f->region)) != 0 ||
	    get_uint_key(m, "now", &f->now_ms) != 0 ||
	    get_uint_key(m, "day0", &f->day0_ms) != 0 ||
	    get_uint_key(m, "undated", &f->visits_undated) != 0 ||
	    get_uint_key(m, "changes", &f->changes) != 0 ||
	    get_counts(cborx_map_get_str(m, "counts"), &f->c) != 0 ||
	    get_interval(cborx_map_get_str(m, "ack"), &f->ack) != 0 ||
	    get_interval(cborx_map_get_str(m, "wait"), &f->c_wait) != 0)
		return EBADMSG;
	if (get_u64s(cborx_map_get_str(m, "consults"), v, 5) != 0)
		return EBADMSG;
	f->c_requested = v[0];
	f->c_done = v[1];
	f->c_failed = v[2];
	f->c_cancelled = v[3];
	f->c_open = v[4];
	if (get_u64s(cborx_map_get_str(m, "referrals"), v, 14) != 0)
		return EBADMSG;
	r->issued = v[0];
	r->cancelled = v[1];
	r->counted = v[2];
	r->completed = v[3];
	r->self_reported = v[4];
	r->rejected = v[5];
	r->failed = v[6];
	r->open = v[7];
	r->followup_due = v[8];
	r->accepted = v[9];
	r->accept_median_ms = v[10];
	r->accept_p90_ms = v[11];
	r->seen_median_ms = v[12];
	r->seen_p90_ms = v[13];
	r->completion_rate =
	    r->counted ? (double)r->completed / (double)r->counted : 0;
	if (get_u64s(cborx_map_get_str(m, "appts"), v, 4) != 0)
		return EBADMSG;
	f->a_attended = v[0];
	f->a_noshow = v[1];
	f->a_noshow_prov = v[2];
	f->a_upcoming = v[3];
	due = v[0] + v[1] + v[2];
	f->noshow_rate = due ? (double)(v[1] + v[2]) / (double)due : 0;
	if (get_u64s(cborx_map_get_str(m, "absent"), v, 6) != 0)
		return EBADMSG;
	f->claims.available = v[0] != 0;
	f->claims.n = v[1];
	f->emergencies.available = v[2] != 0;
	f->emergencies.n = v[3];
	f->breakglass.available = v[4] != 0;
	f->breakglass.n = v[5];

	if (get_list(m, "facilities", 5, &h, &n) != 0)
		return EBADMSG;
	f->facs = xcalloc(n ? n : 1, sizeof(*f->facs));
	for (i = 0; i < n; i++, f->nfacs++) {
		struct fig_facility *fa = &f->facs[i];

		e = cbor_array_handle(h[i]);
		if (get_text(e[0], fa->name, sizeof(fa->name)) != 0 ||
		    cborx_get_uint(e[1], &v[0]) != 0 ||
		    cborx_get_uint(e[2], &v[1]) != 0 ||
		    cborx_get_uint(e[3], &fa->pending) != 0 ||
		    get_counts(e[4], &fa->c) != 0 || v[0] > FIG_KIOSKS_MAX ||
		    v[1] > v[0])
			return EBADMSG;
		/* figures_facility's binary search needs them in order */
		if (i > 0 && strcmp(f->facs[i - 1].name, fa->name) >= 0)
			return EBADMSG;
		fa->nkiosks = (size_t)v[0];
		fa->nstale = (size_t)v[1];
	}
	if (get_list(m, "kiosks", 9, &h, &n) != 0)
		return EBADMSG;
	f->kiosks = xcalloc(n ? n : 1, sizeof(*f->kiosks));
	for (i = 0; i < n; i++, f->nkiosks++) {
		struct fig_kiosk *k = &f->kiosks[i];

		e = cbor_array_handle(h[i]);
		if (cborx_get_uint(e[0], &k->node) != 0 ||
		    get_text(e[1], k->role, sizeof(k->role)) != 0 ||
		    get_text(e[2], k->facility, sizeof(k->facility)) != 0 ||
		    get_text(e[3], k->label, sizeof(k->label)) != 0 ||
		    cborx_get_uint(e[4], &k->last_sync_ms) != 0 ||
		    cborx_get_uint(e[5], &k->age_ms) != 0 ||
		    cborx_get_uint(e[6], &v[0]) != 0 ||
		    cborx_get_uint(e[7], &k->pending) != 0 ||
		    get_counts(e[8], &k->c) != 0)
			return EBADMSG;
		k->stale = v[0] != 0;
		f->pending += k->pending;
		f->nstale += (size_t)k->stale;
	}
	return 0;
}

int
figures_from_cbor(const uint8_t *p, size_t len, struct figures *f)
{
	cbor_item_t *m = NULL;
	int err;

	memset(f, 0, sizeof(*f));
	if (len > FIG_CBOR_MAX)
		return EMSGSIZE;
	if (cborx_decode_items(p, len, FIG_CBOR_MAX, (size_t)1 << 20, &m) != 0)
		return EBADMSG;
	err = from_map(m, f);
	cbor_decref(&m);
	if (err != 0)
		figures_clear(f);
	return err;
}
