/*
 * Licence checks and the signed registry snapshot (licence.h).  No I/O and
 * no clock: every time is the caller's.  The words of a verdict are
 * N_()-marked English; the kiosk shows them through _().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "i18n.h"
#include "licence.h"
#include "xmalloc.h"

static const char *const act_names[LIC_ACTS] = {
	"book",
	"consult",
	"note",
	"prescribe",
	"refer",
	"claim",
};

static const char *const state_names[LIC_STATES] = {
	"active",
	"expired",
	"suspended",
	"revoked",
	"not_yet_valid",
	"wrong_jurisdiction",
	"wrong_scope",
	"unknown",
};

static const char *const state_words[LIC_STATES] = {
	N_("The clinician's licence is active."),
	N_("The clinician's licence has expired. Ask the facility "
	   "administrator to renew it, or choose another clinician."),
	N_("The clinician's licence is suspended. Choose another "
	   "clinician; ask the facility administrator."),
	N_("The clinician's licence is revoked. Choose another clinician; "
	   "ask the facility administrator."),
	N_("The clinician's licence is not valid yet. Choose another "
	   "clinician, or wait until it starts."),
	N_("The clinician is not licensed for this region. Choose a "
	   "clinician licensed here."),
	N_("The clinician's licence does not cover this act. Choose "
	   "another clinician."),
	N_("No licence is known for this clinician. Ask the facility "
	   "administrator to add it, or choose another clinician."),
};

static const char lapsed_words[] =
    N_("Note kept, flagged: the clinician's licence did not cover it. "
       "Ask the facility administrator.");
static const char recheck_words[] =
    N_("The licence list is out of date: this act will be checked "
       "again at the next sync.");

const char *
licence_act_name(enum licence_act a)
{
	return (unsigned)a < LIC_ACTS ? act_names[a] : "?";
}

enum licence_act
licence_act_parse(const char *s)
{
	for (int i = 0; i < LIC_ACTS; i++)
		if (strcmp(s, act_names[i]) == 0)
			return i;
	return LIC_ACTS;
}

const char *
licence_state_name(enum licence_state s)
{
	return (unsigned)s < LIC_STATES ? state_names[s] : "?";
}

const char *
licence_status_name(int st)
{
	switch (st) {
	case LIC_STATUS_ACTIVE:
		return "active";
	case LIC_STATUS_SUSPENDED:
		return "suspended";
	case LIC_STATUS_REVOKED:
		return "revoked";
	}
	return "?";
}

int
licence_status_parse(const char *s)
{
	for (int i = LIC_STATUS_ACTIVE; i <= LIC_STATUS_REVOKED; i++)
		if (strcmp(s, licence_status_name(i)) == 0)
			return i;
	return -1;
}

int
licence_scope_parse(const char *s, uint32_t *scope)
{
	const char *p = s, *e;
	char word[16];

	*scope = 0;
	if (strcmp(s, "all") == 0) {
		*scope = LIC_SCOPE_ALL;
		return 0;
	}
	while (*p) {
		size_t n;
		enum licence_act a;

		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(word))
			return EINVAL;
		memcpy(word, p, n);
		word[n] = '\0';
		if ((a = licence_act_parse(word)) == LIC_ACTS)
			return EINVAL;
		*scope |= LIC_SCOPE(a);
		p += n + (e != NULL);
	}
	return *scope ? 0 : EINVAL;
}

void
licence_scope_str(uint32_t scope, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < LIC_ACTS; i++) {
		size_t n = strlen(act_names[i]);

		if (!(scope & LIC_SCOPE(i)))
			continue;
		if (off + n + 2 > len)
			break;
		if (off)
			buf[off++] = ',';
		memcpy(buf + off, act_names[i], n + 1);
		off += n;
	}
}

int
licence_contact_ok(const char *c)
{
	const char *at, *dot;
	size_t n;

	if (c[0] == '\0')
		return 1;
	if (c[0] == '+') {
		n = strlen(c + 1);
		return n >= 8 && n <= 15 && strspn(c + 1, "0123456789") == n &&
		    c[1] != '0';
	}
	if (strpbrk(c, " \t\r\n,;<>") != NULL ||
	    (at = strchr(c, '@')) == NULL || at == c ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

const char *
licence_contact_system(const char *c)
{
	return c[0] == '+' ? "phone" : "email";
}

/* Does the one code C (length N) cover REGION? */
static int
juris_one(const char *c, size_t n, const char *region)
{
	if (n == 1 && c[0] == '*')
		return 1;
	if (strncmp(c, region, n) != 0)
		return 0;
	return region[n] == '\0' || region[n] == '-';
}

int
licence_juris_covers(const char *juris, const char *region)
{
	const char *p = juris;

	if (region == NULL || *region == '\0')
		return 0;
	while (*p) {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, " ,");
		if (n && juris_one(p, n, region))
			return 1;
		p += n;
	}
	return 0;
}

void
licence_set_add(struct licence_set *s, const struct licence *l)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->l = xreallocarray(s->l, s->cap, sizeof(*s->l));
	}
	s->l[s->n++] = *l;
}

static int
licence_cmp(const void *x, const void *y)
{
	const struct licence *a = x, *b = y;

	return strcmp(a->regno, b->regno);
}

void
licence_set_sort(struct licence_set *s)
{
	if (s->n > 1)
		qsort(s->l, s->n, sizeof(*s->l), licence_cmp);
}

void
licence_set_clear(struct licence_set *s)
{
	free(s->l);
	memset(s, 0, sizeof(*s));
}

/*
 * One licence's state for ACT in REGION at AT, and how far it got through
 * the checks (jurisdiction, status, dates, scope): the clinician's verdict
 * is the reason of the licence that got furthest.
 */
static enum licence_state
licence_one(const struct licence *l, enum licence_act act, const char *region,
    int64_t at, int *depth)
{
	*depth = 0;
	if (!licence_juris_covers(l->juris, region))
		return LIC_ST_WRONG_JURISDICTION;
	*depth = 1;
	if (l->status != LIC_STATUS_ACTIVE && l->status_at <= at)
		return l->status == LIC_STATUS_REVOKED ? LIC_ST_REVOKED
		                                       : LIC_ST_SUSPENDED;
	*depth = 2;
	if (at < l->valid_from)
		return LIC_ST_NOT_YET_VALID;
	if (at >= l->valid_to)
		return LIC_ST_EXPIRED;
	*depth = 3;
	if (!(l->scope & LIC_SCOPE(act)))
		return LIC_ST_WRONG_SCOPE;
	*depth = 4;
	return LIC_ST_ACTIVE;
}

int
licence_permitted(const struct licence_set *s, const char *regno,
    enum licence_act act, const char *region, int64_t at,
    struct licence_verdict *why)
{
	struct licence_verdict v = { 0, LIC_ST_UNKNOWN, 0, 0, NULL };
	int best = -1;

	if (regno != NULL && *regno != '\0' && (unsigned)act < LIC_ACTS) {
		for (size_t i = 0; i < s->n; i++) {
			enum licence_state st;
			int depth;

			if (strcmp(s->l[i].regno, regno) != 0)
				continue;
			st = licence_one(&s->l[i], act, region, at, &depth);
			if (depth > best) {
				best = depth;
				v.state = st;
			}
			if (st == LIC_ST_ACTIVE)
				break;
		}
	}
	v.permitted = v.state == LIC_ST_ACTIVE;
	v.words = state_words[v.state];
	if (!v.permitted && act == LIC_ACT_NOTE) {
		v.permitted = 1;
		v.lapsed = 1;
		v.words = lapsed_words;
	}
	if (s->not_after != 0 && at >= s->not_after) {
		v.recheck = 1;
		if (v.permitted && !v.lapsed)
			v.words = recheck_words;
	}
	if (why != NULL)
		*why = v;
	return v.permitted;
}

/* Revocations and suspensions first (workflows §6.5), then by regno. */
static int
seal_order(const void *x, const void *y)
{
	const struct licence *a = *(const struct licence *const *)x;
	const struct licence *b = *(const struct licence *const *)y;
	int ra = a->status != LIC_STATUS_ACTIVE;
	int rb = b->status != LIC_STATUS_ACTIVE;

	if (ra != rb)
		return rb - ra;
	return strcmp(a->regno, b->regno);
}

/* The snapshot's string table: each distinct text once (open addressing). */
struct strtab {
	const char **s;
	size_t n, cap; /* cap: a power of two, at least twice n */
	size_t *slot; /* index + 1, 0: empty */
	cbor_item_t *arr;
};

static uint64_t
strtab_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static uint64_t
strtab_put(struct strtab *t, const char *str)
{
	size_t i = (size_t)strtab_hash(str) & (t->cap - 1);

	while (t->slot[i] != 0) {
		if (strcmp(t->s[t->slot[i] - 1], str) == 0)
			return t->slot[i] - 1;
		i = (i + 1) & (t->cap - 1);
	}
	t->s[t->n] = str;
	t->slot[i] = ++t->n;
	cborx_array_push(t->arr, cborx_text(str));
	return t->n - 1;
}

static int64_t
ms_down(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

static int64_t
ms_up(int64_t ms)
{
	return -ms_down(-ms);
}

static cbor_item_t *
licence_item(const struct licence *l, struct strtab *t)
{
	cbor_item_t *a = cborx_array(LIC_L_COUNT);

	cborx_array_push(a, cborx_text(l->regno));
	cborx_array_push(a, cborx_uint(strtab_put(t, l->regulator)));
	cborx_array_push(a, cborx_uint(strtab_put(t, l->cadre)));
	cborx_array_push(a, cborx_uint(strtab_put(t, l->juris)));
	cborx_array_push(a, cborx_uint(l->scope));
	cborx_array_push(a, cborx_int(ms_up(l->valid_from)));
	cborx_array_push(a, cborx_int(ms_down(l->valid_to)));
	cborx_array_push(a, cborx_uint((uint64_t)l->status));
	cborx_array_push(a, cborx_int(ms_down(l->status_at)));
	cborx_array_push(a, cborx_uint(l->rev));
	return a;
}

int
licence_snapshot_seal(const struct licence_set *s, const uint8_t priv[32],
    uint8_t **out, size_t *len)
{
	const struct licence **order = NULL;
	struct strtab t = { 0 };
	cbor_item_t *m = NULL, *arr = NULL, *env = NULL, *cts = NULL;
	uint8_t *body = NULL, sig[CRYPTO_SIG_LEN];
	size_t blen;
	int err;

	*out = NULL;
	*len = 0;
	if (s->n > LIC_SNAPSHOT_MAX_LICENCES || s->region[0] == '\0')
		return EINVAL;
	order = xcalloc(s->n ? s->n : 1, sizeof(*order));
	for (size_t i = 0; i < s->n; i++)
		order[i] = &s->l[i];
	if (s->n > 1)
		qsort(order, s->n, sizeof(*order), seal_order);
	for (t.cap = 8; t.cap < 10 * s->n + 8;)
		t.cap *= 2;
	t.s = xcalloc(t.cap, sizeof(*t.s));
	t.slot = xcalloc(t.cap, sizeof(*t.slot));
	t.arr = cborx_array(t.cap);
	arr = cborx_array(s->n);
	for (size_t i = 0; i < s->n; i++)
		cborx_array_push(arr, licence_item(order[i], &t));
	for (size_t i = 0; i < s->n && cts == NULL; i++)
		if (order[i]->address[0] != '\0' ||
		    order[i]->contact[0] != '\0')
			cts = cborx_array(s->n);
	for (size_t i = 0; cts != NULL && i < s->n; i++) {
		cbor_item_t *pair = cborx_array(2);

		cborx_array_push(
		    pair, cborx_uint(strtab_put(&t, order[i]->address)));
		cborx_array_push(
		    pair, cborx_uint(strtab_put(&t, order[i]->contact)));
		cborx_array_push(cts, pair);
	}
	m = cborx_map(cts != NULL ? 7 : 6);
	cborx_map_put(m, LIC_S_REGION, cborx_text(s->region));
	cborx_map_put(m, LIC_S_VERSION, cborx_uint(s->version));
	cborx_map_put(m, LIC_S_ISSUED, cborx_uint((uint64_t)s->issued));
	cborx_map_put(m, LIC_S_NOT_AFTER, cborx_uint((uint64_t)s->not_after));
	cborx_map_put(m, LIC_S_LICENCES, arr);
	cborx_map_put(m, LIC_S_STRINGS, t.arr);
	if (cts != NULL)
		cborx_map_put(m, LIC_S_CONTACTS, cts);
	if ((err = cborx_encode(m, &body, &blen)) != 0)
		goto out;
	if ((err = crypto_ed25519_sign(priv, body, blen, sig)) != 0)
		goto out;
	env = cborx_map(2);
	cborx_map_put(env, LIC_E_BODY, cborx_bytes(body, blen));
	cborx_map_put(env, LIC_E_SIG, cborx_bytes(sig, sizeof(sig)));
	err = cborx_encode(env, out, len);
out:
	if (m != NULL)
		cbor_decref(&m);
	if (env != NULL)
		cbor_decref(&env);
	free(body);
	free(order);
	free(t.s);
	free(t.slot);
	return err;
}

static int
copy_text(const cbor_item_t *it, char *dst, size_t max)
{
	char *s = NULL;
	int err;

	if (it == NULL)
		return EBADMSG;
	if ((err = cborx_get_text(it, max - 1, &s)) != 0)
		return err;
	memcpy(dst, s, strlen(s) + 1);
	free(s);
	return 0;
}

/* The string STRS[index IT] into DST. */
static int
copy_str(const cbor_item_t *it, const cbor_item_t *strs, char *dst, size_t max)
{
	uint64_t i;

	if (cborx_get_uint(it, &i) != 0 || i >= cbor_array_size(strs))
		return EBADMSG;
	return copy_text(cbor_array_handle(strs)[i], dst, max);
}

static int
get_secs(const cbor_item_t *it, int64_t *ms)
{
	int64_t s;

	if (cborx_get_int(it, &s) != 0 || s > INT64_MAX / 1000 ||
	    s < INT64_MIN / 1000)
		return EBADMSG;
	*ms = s * 1000;
	return 0;
}

static int
decode_licence(const cbor_item_t *a, const cbor_item_t *strs, struct licence *l)
{
	cbor_item_t **it;
	uint64_t u;

	memset(l, 0, sizeof(*l));
	if (!cbor_isa_array(a) || cbor_array_size(a) != LIC_L_COUNT)
		return EBADMSG;
	it = cbor_array_handle(a);
	if (copy_text(it[LIC_L_REGNO], l->regno, sizeof(l->regno)) ||
	    l->regno[0] == '\0' ||
	    copy_str(it[LIC_L_REGULATOR], strs, l->regulator,
	        sizeof(l->regulator)) ||
	    copy_str(it[LIC_L_CADRE], strs, l->cadre, sizeof(l->cadre)) ||
	    copy_str(it[LIC_L_JURIS], strs, l->juris, sizeof(l->juris)))
		return EBADMSG;
	if (cborx_get_uint(it[LIC_L_SCOPE], &u) || u > LIC_SCOPE_ALL)
		return EBADMSG;
	l->scope = (uint32_t)u;
	if (get_secs(it[LIC_L_FROM], &l->valid_from) ||
	    get_secs(it[LIC_L_TO], &l->valid_to) ||
	    get_secs(it[LIC_L_STATUS_AT], &l->status_at) ||
	    cborx_get_uint(it[LIC_L_REV], &l->rev))
		return EBADMSG;
	if (cborx_get_uint(it[LIC_L_STATUS], &u) || u > LIC_STATUS_REVOKED)
		return EBADMSG;
	l->status = (int)u;
	return 0;
}

/* The [address, contact] pair A into L. */
static int
decode_contact(const cbor_item_t *a, const cbor_item_t *strs, struct licence *l)
{
	cbor_item_t **it;

	if (!cbor_isa_array(a) || cbor_array_size(a) != 2)
		return EBADMSG;
	it = cbor_array_handle(a);
	if (copy_str(it[0], strs, l->address, sizeof(l->address)) ||
	    copy_str(it[1], strs, l->contact, sizeof(l->contact)))
		return EBADMSG;
	return 0;
}

int
licence_snapshot_open(const uint8_t *buf, size_t len, const uint8_t pub[32],
    uint64_t held, struct licence_set *out)
{
	cbor_item_t *env = NULL, *m = NULL, *arr, *strs, *cts;
	const uint8_t *body, *sig;
	size_t blen, slen, n;
	uint64_t u;
	int err;

	memset(out, 0, sizeof(*out));
	if (len > LIC_SNAPSHOT_MAX)
		return EMSGSIZE;
	if ((err = cborx_decode(buf, len, LIC_SNAPSHOT_MAX, &env)) != 0)
		goto out;
	err = EBADMSG;
	if (!cborx_is_canonical(buf, len) || !cbor_isa_map(env) ||
	    cbor_map_size(env) != 2 ||
	    cborx_map_bytes(env, LIC_E_BODY, LIC_SNAPSHOT_MAX, &body, &blen) ||
	    cborx_map_bytes(env, LIC_E_SIG, CRYPTO_SIG_LEN, &sig, &slen) ||
	    slen != CRYPTO_SIG_LEN)
		goto out;
	if ((err = crypto_ed25519_verify(pub, body, blen, sig)) != 0)
		goto out;
	/* Signed: the items are bounded by the size, the shape is ours. */
	if ((err = cborx_decode(body, blen, LIC_SNAPSHOT_MAX, &m)) != 0)
		goto out;
	err = EBADMSG;
	if (!cbor_isa_map(m) ||
	    copy_text(cborx_map_get(m, LIC_S_REGION), out->region,
	        sizeof(out->region)) != 0)
		goto out;
	if (cborx_map_uint(m, LIC_S_VERSION, &out->version) ||
	    out->version == 0)
		goto out;
	if (cborx_map_uint(m, LIC_S_ISSUED, &u) || u > INT64_MAX)
		goto out;
	out->issued = (int64_t)u;
	if (cborx_map_uint(m, LIC_S_NOT_AFTER, &u) || u > INT64_MAX)
		goto out;
	out->not_after = (int64_t)u;
	arr = cborx_map_get(m, LIC_S_LICENCES);
	strs = cborx_map_get(m, LIC_S_STRINGS);
	if (arr == NULL || !cbor_isa_array(arr) ||
	    (n = cbor_array_size(arr)) > LIC_SNAPSHOT_MAX_LICENCES ||
	    strs == NULL || !cbor_isa_array(strs))
		goto out;
	if ((cts = cborx_map_get(m, LIC_S_CONTACTS)) != NULL &&
	    (!cbor_isa_array(cts) || cbor_array_size(cts) != n))
		goto out;
	if (out->version < held || out->version == held) {
		err = out->version < held ? ESTALE : EALREADY;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct licence l;

		if (decode_licence(cbor_array_handle(arr)[i], strs, &l) != 0)
			goto out;
		if (cts != NULL &&
		    decode_contact(cbor_array_handle(cts)[i], strs, &l) != 0)
			goto out;
		licence_set_add(out, &l);
	}
	licence_set_sort(out);
	err = 0;
out:
	if (env != NULL)
		cbor_decref(&env);
	if (m != NULL)
		cbor_decref(&m);
	if (err)
		licence_set_clear(out);
	return err;
}
