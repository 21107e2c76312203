/*
 * The signed emergency roster (roster.h): encode and sign, verify and
 * decode, the kiosk's acceptance rules (signature, version, expiry; the
 * last good roster otherwise), and ranking.  No file or network I/O.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "cborx.h"
#include "crypto.h"
#include "escalate/roster.h"
#include "xmalloc.h"

#define ITEMS_MAX 4096

static void
put_texts(cbor_item_t *m, uint64_t key, char (*v)[ESC_NUM_LEN], int n)
{
	cbor_item_t *a = cborx_array((size_t)n);
	int i;

	for (i = 0; i < n; i++)
		cborx_array_push(a, cborx_text(v[i]));
	cborx_map_put(m, key, a);
}

static cbor_item_t *
service_item(const struct esc_service *s)
{
	cbor_item_t *m = cborx_map(12), *h, *d;
	int i;

	cborx_map_put(m, 1, cborx_text(s->id));
	cborx_map_put(m, 2, cborx_text(s->name));
	cborx_map_put(m, 3, cborx_text(s->kind));
	cborx_map_put(m, 4, cborx_double(s->lat));
	cborx_map_put(m, 5, cborx_double(s->lon));
	if (s->travel_min >= 0)
		cborx_map_put(m, 6, cborx_uint((uint64_t)s->travel_min));
	put_texts(m, 7, (char(*)[ESC_NUM_LEN])s->voice, s->nvoice);
	put_texts(m, 8, (char(*)[ESC_NUM_LEN])s->sms, s->nsms);
	put_texts(m, 9, (char(*)[ESC_NUM_LEN])s->reply_from, s->nreply);
	cborx_map_put(m, 10, cborx_int(s->utc_offset_min));
	if (s->has_hours) {
		h = cborx_array(7);
		for (i = 0; i < 7; i++) {
			d = cborx_array(2);
			cborx_array_push(d, cborx_uint(s->open_min[i]));
			cborx_array_push(d, cborx_uint(s->close_min[i]));
			cborx_array_push(h, d);
		}
		cborx_map_put(m, 11, h);
	}
	cborx_map_put(m, 12, cborx_text(s->caps));
	return m;
}

static cbor_item_t *
roster_item(const struct esc_roster *r)
{
	cbor_item_t *m = cborx_map(10), *a, *p, *lv, *ids;
	int i, j;

	cborx_map_put(m, 1, cborx_uint(r->version));
	cborx_map_put(m, 2, cborx_int(r->issued_at));
	cborx_map_put(m, 3, cborx_int(r->valid_until));
	cborx_map_put(m, 4, cborx_text(r->site_id));
	cborx_map_put(m, 5, cborx_double(r->lat));
	cborx_map_put(m, 6, cborx_double(r->lon));
	cborx_map_put(m, 7, cborx_text(r->landmark));
	cborx_map_put(m, 8, cborx_text(r->directions));
	a = cborx_array((size_t)r->nservices);
	for (i = 0; i < r->nservices; i++)
		cborx_array_push(a, service_item(&r->services[i]));
	cborx_map_put(m, 9, a);
	p = cborx_map(5);
	a = cborx_array((size_t)r->nlevels);
	for (i = 0; i < r->nlevels; i++) {
		lv = cborx_map(2);
		ids = cborx_array((size_t)r->level_nsvc[i]);
		for (j = 0; j < r->level_nsvc[i]; j++)
			cborx_array_push(ids, cborx_text(r->level_svc[i][j]));
		cborx_map_put(lv, 1, ids);
		cborx_map_put(lv, 2, cborx_uint(r->level_deadline_s[i]));
		cborx_array_push(a, lv);
	}
	cborx_map_put(p, 1, a);
	cborx_map_put(p, 2, cborx_uint(r->loop_every_s));
	cborx_map_put(p, 3, cborx_uint((uint64_t)r->loops));
	cborx_map_put(p, 4, cborx_uint(r->rate_s));
	cborx_map_put(p, 5, cborx_uint((uint64_t)r->max_pages));
	cborx_map_put(m, 10, p);
	return m;
}

static int
e164(const char *p)
{
	size_t n;

	if (p[0] != '+' || p[1] < '1' || p[1] > '9')
		return 0;
	n = strspn(p + 1, "0123456789");
	return p[1 + n] == '\0' && n >= 7 && n <= 15;
}

const struct esc_service *
esc_roster_service(const struct esc_roster *r, const char *id)
{
	int i;

	for (i = 0; i < r->nservices; i++)
		if (strcmp(r->services[i].id, id) == 0)
			return &r->services[i];
	return NULL;
}

int
esc_roster_validate(const struct esc_roster *r, char **cause)
{
	const struct esc_service *s;
	int i, j, k, reach;

	if (r->nlevels < 1 || r->nlevels > ESC_MAX_LEVELS || r->loops < 1 ||
	    r->max_pages < 1 || r->valid_until <= r->issued_at) {
		xasprintf(cause, "the roster's policy or dates are not usable");
		return EINVAL;
	}
	for (i = 0; i < r->nservices; i++) {
		s = &r->services[i];
		for (k = 0; k < s->nvoice + s->nsms + s->nreply; k++) {
			const char *n = k < s->nvoice ? s->voice[k]
			    : k < s->nvoice + s->nsms
			    ? s->sms[k - s->nvoice]
			    : s->reply_from[k - s->nvoice - s->nsms];

			if (!e164(n)) {
				xasprintf(cause,
				    "service %s: number %s is not in "
				    "international form (+ and digits)",
				    s->id, n);
				return EINVAL;
			}
		}
	}
	for (i = 0; i < r->nlevels; i++) {
		reach = 0;
		if (r->level_deadline_s[i] == 0) {
			xasprintf(cause, "level %d has no deadline", i + 1);
			return EINVAL;
		}
		for (j = 0; j < r->level_nsvc[i]; j++) {
			if ((s = esc_roster_service(r, r->level_svc[i][j])) ==
			    NULL) {
				xasprintf(cause,
				    "level %d names unknown service %s", i + 1,
				    r->level_svc[i][j]);
				return EINVAL;
			}
			reach += s->nsms > 0;
		}
		if (reach == 0) {
			xasprintf(cause,
			    "nobody on level %d can be paged by SMS", i + 1);
			return EINVAL;
		}
	}
	return 0;
}

int
esc_roster_sign(const struct esc_roster *r, const uint8_t priv[32],
    uint8_t **out, size_t *len, char **cause)
{
	cbor_item_t *body, *env;
	uint8_t *b = NULL, sig[CRYPTO_SIG_LEN];
	size_t blen;
	int err;

	*out = NULL;
	if ((err = esc_roster_validate(r, cause)) != 0)
		return err;
	body = roster_item(r);
	err = cborx_encode(body, &b, &blen);
	cbor_decref(&body);
	if (err != 0)
		return err;
	if ((err = crypto_ed25519_sign(priv, b, blen, sig)) != 0) {
		free(b);
		return err;
	}
	env = cborx_array(2);
	cborx_array_push(env, cborx_bytes(b, blen));
	cborx_array_push(env, cborx_bytes(sig, sizeof(sig)));
	free(b);
	err = cborx_encode(env, out, len);
	cbor_decref(&env);
	return err;
}

/* Copy text KEY of M into OUT (LEN bytes); absent leaves "". */
static int
get_text(const cbor_item_t *m, uint64_t key, char *out, size_t len)
{
	char *t = NULL;
	int err;

	out[0] = '\0';
	err = cborx_map_text(m, key, len - 1, &t);
	if (err == ENOENT)
		return 0;
	if (err != 0)
		return EBADMSG;
	snprintf(out, len, "%s", t);
	free(t);
	return 0;
}

static int
get_texts(const cbor_item_t *m, uint64_t key, char (*out)[ESC_NUM_LEN], int *n)
{
	cbor_item_t *a = cborx_map_get(m, key);
	char *t;
	size_t i;

	*n = 0;
	if (a == NULL)
		return 0;
	if (!cbor_isa_array(a) || cbor_array_size(a) > ESC_MAX_NUMS)
		return EBADMSG;
	for (i = 0; i < cbor_array_size(a); i++) {
		if (cborx_get_text(
		        cbor_array_handle(a)[i], ESC_NUM_LEN - 1, &t) != 0)
			return EBADMSG;
		snprintf(out[i], ESC_NUM_LEN, "%s", t);
		free(t);
		(*n)++;
	}
	return 0;
}

static int
get_dbl(const cbor_item_t *m, uint64_t key, double *d)
{
	cbor_item_t *v = cborx_map_get(m, key);

	return v != NULL && cborx_get_double(v, d) == 0 ? 0 : EBADMSG;
}

static int
service_of(const cbor_item_t *m, struct esc_service *s)
{
	cbor_item_t *h, *d;
	uint64_t u, a, b;
	int64_t off;
	int i;

	memset(s, 0, sizeof(*s));
	if (!cbor_isa_map(m) || get_text(m, 1, s->id, sizeof(s->id)) ||
	    s->id[0] == '\0' || get_text(m, 2, s->name, sizeof(s->name)) ||
	    get_text(m, 3, s->kind, sizeof(s->kind)) ||
	    get_dbl(m, 4, &s->lat) || get_dbl(m, 5, &s->lon) ||
	    get_texts(m, 7, s->voice, &s->nvoice) ||
	    get_texts(m, 8, s->sms, &s->nsms) ||
	    get_texts(m, 9, s->reply_from, &s->nreply) ||
	    get_text(m, 12, s->caps, sizeof(s->caps)))
		return EBADMSG;
	s->travel_min = -1;
	if (cborx_map_uint(m, 6, &u) == 0 && u < 100000)
		s->travel_min = (int)u;
	if (cborx_map_int(m, 10, &off) == 0 && off > -1440 && off < 1440)
		s->utc_offset_min = (int)off;
	if ((h = cborx_map_get(m, 11)) != NULL) {
		if (!cbor_isa_array(h) || cbor_array_size(h) != 7)
			return EBADMSG;
		for (i = 0; i < 7; i++) {
			d = cbor_array_handle(h)[i];
			if (!cbor_isa_array(d) || cbor_array_size(d) != 2 ||
			    cborx_get_uint(cbor_array_handle(d)[0], &a) ||
			    cborx_get_uint(cbor_array_handle(d)[1], &b) ||
			    a > 1440 || b > 1440)
				return EBADMSG;
			s->open_min[i] = (uint16_t)a;
			s->close_min[i] = (uint16_t)b;
		}
		s->has_hours = 1;
	}
	return 0;
}

static int
policy_of(const cbor_item_t *p, struct esc_roster *r)
{
	cbor_item_t *a, *lv, *ids;
	uint64_t u;
	char *t;
	size_t i, j;

	if (p == NULL || !cbor_isa_map(p) ||
	    (a = cborx_map_get(p, 1)) == NULL || !cbor_isa_array(a) ||
	    cbor_array_size(a) > ESC_MAX_LEVELS)
		return EBADMSG;
	r->nlevels = (int)cbor_array_size(a);
	for (i = 0; i < cbor_array_size(a); i++) {
		lv = cbor_array_handle(a)[i];
		if (!cbor_isa_map(lv) || (ids = cborx_map_get(lv, 1)) == NULL ||
		    !cbor_isa_array(ids) ||
		    cbor_array_size(ids) > ESC_MAX_RCPT ||
		    cborx_map_uint(lv, 2, &u) != 0 || u > 86400)
			return EBADMSG;
		r->level_deadline_s[i] = (uint32_t)u;
		r->level_nsvc[i] = (int)cbor_array_size(ids);
		for (j = 0; j < cbor_array_size(ids); j++) {
			if (cborx_get_text(cbor_array_handle(ids)[j],
			        ESC_RCPT_LEN - 1, &t) != 0)
				return EBADMSG;
			snprintf(r->level_svc[i][j], ESC_RCPT_LEN, "%s", t);
			free(t);
		}
	}
	if (cborx_map_uint(p, 2, &u) || u > 86400)
		return EBADMSG;
	r->loop_every_s = (uint32_t)u;
	if (cborx_map_uint(p, 3, &u) || u > 100)
		return EBADMSG;
	r->loops = (int)u;
	if (cborx_map_uint(p, 4, &u) || u > 86400)
		return EBADMSG;
	r->rate_s = (uint32_t)u;
	if (cborx_map_uint(p, 5, &u) || u > 1000)
		return EBADMSG;
	r->max_pages = (int)u;
	return 0;
}

static int
roster_of(const uint8_t *b, size_t len, struct esc_roster *r)
{
	cbor_item_t *m = NULL, *a;
	size_t i;
	int err = EBADMSG;

	memset(r, 0, sizeof(*r));
	if (cborx_decode_items(b, len, ESC_ROSTER_MAX, ITEMS_MAX, &m) != 0)
		return EBADMSG;
	if (!cbor_isa_map(m) || cborx_map_uint(m, 1, &r->version) ||
	    cborx_map_int(m, 2, &r->issued_at) ||
	    cborx_map_int(m, 3, &r->valid_until) ||
	    get_text(m, 4, r->site_id, sizeof(r->site_id)) ||
	    get_dbl(m, 5, &r->lat) || get_dbl(m, 6, &r->lon) ||
	    get_text(m, 7, r->landmark, sizeof(r->landmark)) ||
	    get_text(m, 8, r->directions, sizeof(r->directions)) ||
	    (a = cborx_map_get(m, 9)) == NULL || !cbor_isa_array(a) ||
	    cbor_array_size(a) > ESC_MAX_SERVICES)
		goto out;
	r->nservices = (int)cbor_array_size(a);
	for (i = 0; i < cbor_array_size(a); i++)
		if (service_of(cbor_array_handle(a)[i], &r->services[i]) != 0)
			goto out;
	err = policy_of(cborx_map_get(m, 10), r);
out:
	cbor_decref(&m);
	return err;
}

int
esc_roster_open(const uint8_t *buf, size_t len, const uint8_t pub[32],
    struct esc_roster *r, char **cause)
{
	cbor_item_t *env = NULL;
	const uint8_t *body, *sig;
	size_t blen, slen;
	int err = EBADMSG;

	if (cborx_decode_items(buf, len, ESC_ROSTER_MAX + 128, 8, &env) != 0 ||
	    !cbor_isa_array(env) || cbor_array_size(env) != 2 ||
	    cborx_get_bytes(
	        cbor_array_handle(env)[0], ESC_ROSTER_MAX, &body, &blen) != 0 ||
	    cborx_get_bytes(
	        cbor_array_handle(env)[1], CRYPTO_SIG_LEN, &sig, &slen) != 0 ||
	    slen != CRYPTO_SIG_LEN) {
		xasprintf(cause, "the roster is not a signed roster");
		goto out;
	}
	if (crypto_ed25519_verify(pub, body, blen, sig) != 0) {
		xasprintf(cause,
		    "the roster's signature does not match the "
		    "server's key (altered or not from the "
		    "server)");
		goto out;
	}
	if (roster_of(body, blen, r) != 0) {
		xasprintf(cause, "the roster is signed but malformed");
		goto out;
	}
	err = 0;
out:
	if (env != NULL)
		cbor_decref(&env);
	return err;
}

int
esc_roster_accept(struct esc_roster *cur, const uint8_t *buf, size_t len,
    const uint8_t pub[32], int64_t now, char **cause)
{
	struct esc_roster *r;
	int err;

	r = xcalloc(1, sizeof(*r));
	if ((err = esc_roster_open(buf, len, pub, r, cause)) != 0)
		goto out;
	if (cur->version > 0 && r->version < cur->version) {
		xasprintf(cause,
		    "the roster (version %llu) is older than the one in use "
		    "(version %llu)",
		    (unsigned long long)r->version,
		    (unsigned long long)cur->version);
		err = ESTALE;
		goto out;
	}
	if (r->valid_until <= now) {
		xasprintf(cause, "the roster (version %llu) has expired",
		    (unsigned long long)r->version);
		err = EKEYEXPIRED;
		goto out;
	}
	if ((err = esc_roster_validate(r, cause)) != 0)
		goto out;
	*cur = *r;
out:
	free(r);
	return err;
}

int
esc_roster_stale(const struct esc_roster *r, int64_t now)
{
	return r->version > 0 && r->valid_until <= now;
}

int
esc_service_open(const struct esc_service *s, int64_t now)
{
	int64_t local;
	int day, min;

	if (!s->has_hours)
		return 1;
	local = now + (int64_t)s->utc_offset_min * 60;
	/* 1970-01-01 was a Thursday: Monday-first index 3 */
	day = (int)(((local / 86400) % 7 + 7 + 3) % 7);
	min = (int)(((local % 86400) + 86400) % 86400 / 60);
	if (s->open_min[day] <= s->close_min[day])
		return min >= s->open_min[day] && min < s->close_min[day];
	return min >= s->open_min[day] || min < s->close_min[day];
}

double
esc_haversine_km(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = M_PI / 180.0, r = 6371.0088;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad, a;

	a = sin(dlat / 2) * sin(dlat / 2) +
	    cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

struct rank {
	double minutes;
	int closed, lacks, i;
};

static int
rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->minutes != y->minutes)
		return x->minutes < y->minutes ? -1 : 1;
	if (x->closed != y->closed)
		return x->closed - y->closed;
	if (x->lacks != y->lacks)
		return x->lacks - y->lacks;
	return x->i - y->i;
}

int
esc_roster_rank(const struct esc_roster *r, int64_t now, const char *cap,
    int order[ESC_MAX_SERVICES])
{
	struct rank k[ESC_MAX_SERVICES] = { 0 };
	const struct esc_service *s;
	int i;

	for (i = 0; i < r->nservices; i++) {
		s = &r->services[i];
		k[i].i = i;
		k[i].minutes = s->travel_min >= 0
		    ? s->travel_min
		    : esc_haversine_km(r->lat, r->lon, s->lat, s->lon) / 40.0 *
		        60.0;
		k[i].closed = !esc_service_open(s, now);
		k[i].lacks = cap != NULL && strstr(s->caps, cap) == NULL;
	}
	qsort(k, (size_t)r->nservices, sizeof(k[0]), rank_cmp);
	for (i = 0; i < r->nservices; i++)
		order[i] = k[i].i;
	return r->nservices;
}

int
esc_roster_policy(const struct esc_roster *r, struct esc_policy *p)
{
	int i, j;

	esc_policy_default(p);
	p->nlevels = r->nlevels;
	for (i = 0; i < r->nlevels; i++) {
		p->levels[i].deadline_s = r->level_deadline_s[i];
		p->levels[i].nrcpt = r->level_nsvc[i];
		for (j = 0; j < r->level_nsvc[i]; j++)
			memcpy(p->levels[i].rcpt[j], r->level_svc[i][j],
			    ESC_RCPT_LEN);
	}
	p->loop_every_s = r->loop_every_s;
	p->loops = r->loops;
	p->rate_s = r->rate_s;
	p->max_pages = r->max_pages;
	return esc_policy_check(p);
}
