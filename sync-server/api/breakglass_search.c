/*
 * POST /v1/breakglass/search (issue 17; docs/PROTOCOL.md §15.1): before a
 * break-glass access a user of a clinic or hub node looks for the patient
 * among the region's, by name, phone or id.  The answer carries only what
 * tells one person from another (name, birth year, sex, village, the
 * facility that registered them), at most BGSEARCH_MAX, from the asking
 * node's region only; every search is recorded (node, facility, user,
 * the words, how many matched) for `sync-server admin breakglass`.  The
 * words may name a patient: stored, never logged.
 *
 * The region's patients are read from its feed (store_region_each), each
 * field's latest value kept by the model's merge rule.  That is a pass
 * over the region's changes per search: fine for the searches a region's
 * emergencies make, not an index (docs/SECURITY.md says so).
 *
 * The searches answered are limited per user of a node and per node, in
 * the last minute and the last 24 hours (BGSEARCH_USER_PER_MINUTE...;
 * §15.1 says why those numbers), counted from the recorded searches, so
 * the limit holds across restarts and server instances: judged once
 * before the region is read (no pass for a refused search) and again as
 * the search is recorded, under the store's lock on the node
 * (bgsearch_admit), so concurrent searches cannot pass it together.  Over
 * it: breakglass_rate (56, HTTP 429), detail the seconds until one more
 * would be answered; nothing recorded.
 */
#define LOG_MODULE "api_breakglass"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "log.h"
#include "model.h"
#include "record.h"
#include "str.h"
#include "sync-server/server.h"
#include "uuid.h"
#include "xmalloc.h"

#define BGS_PAGE 500
#define BGS_MINUTE_MS (60 * 1000ull)
#define BGS_DAY_MS (24 * 3600 * 1000ull)
#define BGS_FIELDS 7 /* given family sex birth phone village natid */

static const uint64_t bgs_keys[BGS_FIELDS] = { REC_PAT_GIVEN, REC_PAT_FAMILY,
	REC_PAT_SEX, REC_PAT_BIRTH, REC_PAT_PHONE, REC_PAT_VILLAGE,
	REC_PAT_NATID };
enum { F_GIVEN, F_FAMILY, F_SEX, F_BIRTH, F_PHONE, F_VILLAGE, F_NATID };

/* One patient of the region as its changes so far make it. */
struct bgs_pat {
	uint8_t id[16];
	uint64_t creator; /* node of its first change */
	int deleted;
	char *f[BGS_FIELDS];
	uint64_t hlc[BGS_FIELDS], origin[BGS_FIELDS];
};

enum bgs_kind { BGS_NAME, BGS_DIGITS, BGS_ID };

struct bgs {
	struct bgs_pat *p;
	size_t n, cap;
	size_t *slot; /* open addressing on the id: index + 1, 0 free */
	size_t nslot;
	enum bgs_kind kind;
	char words[8][32]; /* a name search: lower-case words */
	int nwords;
	char digits[32]; /* a phone or national id search */
	uint8_t id[16];
};

static size_t
bgs_hash(const uint8_t id[16], size_t nslot)
{
	uint64_t h = 1469598103934665603ull;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ id[i]) * 1099511628211ull;
	return (size_t)(h % nslot);
}

static void
bgs_grow(struct bgs *b)
{
	size_t i, j;

	b->nslot = b->nslot ? b->nslot * 2 : 1024;
	free(b->slot);
	b->slot = xcalloc(b->nslot, sizeof(*b->slot));
	for (i = 0; i < b->n; i++) {
		j = bgs_hash(b->p[i].id, b->nslot);
		while (b->slot[j] != 0)
			j = (j + 1) % b->nslot;
		b->slot[j] = i + 1;
	}
}

static struct bgs_pat *
bgs_get(struct bgs *b, const uint8_t id[16], uint64_t origin)
{
	size_t j;

	if (b->nslot == 0 || (b->n + 1) * 2 > b->nslot)
		bgs_grow(b);
	j = bgs_hash(id, b->nslot);
	while (b->slot[j] != 0) {
		if (memcmp(b->p[b->slot[j] - 1].id, id, 16) == 0)
			return &b->p[b->slot[j] - 1];
		j = (j + 1) % b->nslot;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->p = xreallocarray(b->p, b->cap, sizeof(*b->p));
	}
	memset(&b->p[b->n], 0, sizeof(b->p[b->n]));
	memcpy(b->p[b->n].id, id, 16);
	b->p[b->n].creator = origin;
	b->slot[j] = ++b->n;
	return &b->p[b->n - 1];
}

static int
bgs_change(const struct schange *c, void *arg)
{
	struct bgs *b = arg;
	const struct model_value *v;
	struct model_rec r;
	struct bgs_pat *p;
	int i;

	if (c->entity != REC_PATIENT)
		return 0;
	if (model_decode(model_entity(REC_PATIENT), c->body, c->len, &r) != 0) {
		model_rec_clear(&r);
		return 0; /* checked at push: not expected */
	}
	p = bgs_get(b, c->id, c->origin);
	if ((v = model_get(&r, REC_K_DELETED)) != NULL && !v->null)
		p->deleted = v->i != 0;
	for (i = 0; i < BGS_FIELDS; i++) {
		if ((v = model_get(&r, bgs_keys[i])) == NULL)
			continue;
		if (p->f[i] != NULL &&
		    !model_merge_wins(
		        c->hlc, c->origin, p->hlc[i], p->origin[i]))
			continue;
		free(p->f[i]);
		p->f[i] = v->null || v->text == NULL ? NULL : xstrdup(v->text);
		p->hlc[i] = c->hlc;
		p->origin[i] = c->origin;
	}
	model_rec_clear(&r);
	return 0;
}

static void
bgs_free(struct bgs *b)
{
	size_t i;
	int k;

	for (i = 0; i < b->n; i++)
		for (k = 0; k < BGS_FIELDS; k++)
			free(b->p[i].f[k]);
	free(b->p);
	free(b->slot);
	explicit_bzero(b->words, sizeof(b->words));
	explicit_bzero(b->digits, sizeof(b->digits));
}

/*
 * What QUERY asks for: an id (a UUID), digits (at least
 * BGSEARCH_DIGITS_MIN, spaces, dashes and a leading + ignored: a phone or
 * national id), or name words (at least BGSEARCH_NAME_MIN letters in
 * all).  EINVAL when it is none of them: too short to be one person's.
 */
static int
bgs_parse(struct bgs *b, const char *query)
{
	struct uuid u;
	const char *q;
	size_t nd = 0, nl = 0, wl = 0;
	int other = 0;

	if (uuid_parse(query, &u) == 0) {
		b->kind = BGS_ID;
		memcpy(b->id, u.b, 16);
		return 0;
	}
	for (q = query; *q != '\0'; q++) {
		if (isdigit((unsigned char)*q)) {
			if (nd + 1 < sizeof(b->digits))
				b->digits[nd++] = *q;
		} else if (*q != ' ' && *q != '-' && *q != '+')
			other = 1;
	}
	if (!other) {
		b->kind = BGS_DIGITS;
		return nd >= BGSEARCH_DIGITS_MIN ? 0 : EINVAL;
	}
	b->kind = BGS_NAME;
	for (q = query;; q++) {
		if (*q == '\0' || *q == ' ' || *q == ',') {
			if (wl > 0 && b->nwords < 8) {
				b->words[b->nwords][wl] = '\0';
				b->nwords++;
			}
			wl = 0;
			if (*q == '\0')
				break;
			continue;
		}
		if (b->nwords < 8 && wl + 1 < sizeof(b->words[0])) {
			b->words[b->nwords][wl++] =
			    (char)tolower((unsigned char)*q);
			nl++;
		}
	}
	return nl >= BGSEARCH_NAME_MIN && b->nwords > 0 ? 0 : EINVAL;
}

/* Does a word of NAME (case folded for ASCII) start with WORD? */
static int
bgs_word_in(const char *name, const char *word)
{
	size_t wl = strlen(word), i;
	const char *s = name;

	while (s != NULL && *s != '\0') {
		while (*s == ' ' || *s == '-')
			s++;
		for (i = 0; i < wl && s[i] != '\0' &&
		     tolower((unsigned char)s[i]) == (unsigned char)word[i];
		     i++)
			;
		if (i == wl)
			return 1;
		while (*s != '\0' && *s != ' ' && *s != '-')
			s++;
	}
	return 0;
}

/* The digits of S, at most LEN - 1, into OUT. */
static void
bgs_digits(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0' && n + 1 < len; s++)
		if (isdigit((unsigned char)*s))
			out[n++] = *s;
	out[n] = '\0';
}

static int
bgs_match(const struct bgs *b, const struct bgs_pat *p)
{
	const char *q;
	char d[32];
	size_t dl, ql;
	int i;

	if (p->deleted)
		return 0;
	switch (b->kind) {
	case BGS_ID:
		return memcmp(p->id, b->id, 16) == 0;
	case BGS_DIGITS:
		/* a phone ends with the digits typed, their trunk zeros
		 * dropped (a local or an international form); a national
		 * id is them */
		q = b->digits;
		while (*q == '0' && strlen(q) > BGSEARCH_DIGITS_MIN)
			q++;
		ql = strlen(q);
		bgs_digits(p->f[F_PHONE], d, sizeof(d));
		dl = strlen(d);
		if (dl >= ql && strcmp(d + dl - ql, q) == 0)
			return 1;
		bgs_digits(p->f[F_NATID], d, sizeof(d));
		return d[0] != '\0' && strcmp(d, b->digits) == 0;
	case BGS_NAME:
		for (i = 0; i < b->nwords; i++)
			if (!bgs_word_in(p->f[F_GIVEN], b->words[i]) &&
			    !bgs_word_in(p->f[F_FAMILY], b->words[i]))
				return 0;
		return 1;
	}
	return 0;
}

/* The facility of node ID, remembered across the answer's patients. */
static const char *
bgs_facility(struct server *srv, uint64_t id, uint64_t *seen,
    char (*fac)[SSTORE_TEXT_MAX], size_t *nseen)
{
	struct snode n;
	size_t i;

	for (i = 0; i < *nseen; i++)
		if (seen[i] == id)
			return fac[i];
	if (*nseen == BGSEARCH_MAX)
		return "";
	i = (*nseen)++;
	seen[i] = id;
	fac[i][0] = '\0';
	if (srv->be->node_get(srv->store, id, &n) == 0)
		str_lcpy(fac[i], n.facility, SSTORE_TEXT_MAX);
	return fac[i];
}

static cbor_item_t *
bgs_item(struct server *srv, const struct bgs_pat *p, uint64_t *seen,
    char (*fac)[SSTORE_TEXT_MAX], size_t *nseen)
{
	cbor_item_t *m = cborx_map(7);
	const char *birth = p->f[F_BIRTH];
	uint64_t year = 0;

	if (birth != NULL && strlen(birth) >= 4 &&
	    isdigit((unsigned char)birth[0]))
		year = strtoull(birth, NULL, 10) % 10000;
	cborx_map_put(m, BGS_P_ID, cborx_bytes(p->id, 16));
	cborx_map_put(m, BGS_P_GIVEN,
	    cborx_text(p->f[F_GIVEN] != NULL ? p->f[F_GIVEN] : ""));
	cborx_map_put(m, BGS_P_FAMILY,
	    cborx_text(p->f[F_FAMILY] != NULL ? p->f[F_FAMILY] : ""));
	cborx_map_put(m, BGS_P_BIRTH_YEAR, cborx_uint(year));
	cborx_map_put(
	    m, BGS_P_SEX, cborx_text(p->f[F_SEX] != NULL ? p->f[F_SEX] : ""));
	cborx_map_put(m, BGS_P_VILLAGE,
	    cborx_text(p->f[F_VILLAGE] != NULL ? p->f[F_VILLAGE] : ""));
	cborx_map_put(m, BGS_P_FACILITY,
	    cborx_text(bgs_facility(srv, p->creator, seen, fac, nseen)));
	return m;
}

/* The limits, per window: searches by one user of a node, by the node. */
static const struct {
	uint64_t window_ms;
	size_t user_max, node_max;
} bgs_limits[] = {
	{ BGS_MINUTE_MS, BGSEARCH_USER_PER_MINUTE, BGSEARCH_NODE_PER_MINUTE },
	{ BGS_DAY_MS, BGSEARCH_USER_PER_DAY, BGSEARCH_NODE_PER_DAY },
};

struct bgs_judge {
	const char *user;
	uint64_t now_ms;
	uint64_t wait_ms; /* over a limit: until one more may be answered */
	int dry; /* judge only: ECANCELED instead of recording */
};

/*
 * The rate limit (bgsearch_admit's judge) over the node's recent
 * searches R, newest first: EDQUOT with J->wait_ms when one more would
 * pass a limit; the search at which the user's or the node's count
 * reaches a limit is the one whose leaving the window makes room.
 */
static int
bgs_judge(const struct sbgrecent *r, size_t n, void *arg)
{
	struct bgs_judge *j = arg;
	uint64_t room;
	size_t i, k, mine, all;
	int own;

	j->wait_ms = 0;
	for (k = 0; k < nitems(bgs_limits); k++) {
		mine = all = 0;
		for (i = 0;
		     i < n && r[i].at_ms + bgs_limits[k].window_ms > j->now_ms;
		     i++) {
			own = strcmp(r[i].user, j->user) == 0;
			mine += (size_t)own;
			all++;
			room = r[i].at_ms + bgs_limits[k].window_ms - j->now_ms;
			if (((own && mine == bgs_limits[k].user_max) ||
			        all == bgs_limits[k].node_max) &&
			    room > j->wait_ms)
				j->wait_ms = room;
		}
	}
	if (j->wait_ms > 0)
		return EDQUOT;
	return j->dry ? ECANCELED : 0;
}

/* Refuse REQ for the rate limit J found passed. */
static void
bgs_over(struct request *req, const struct bgs_judge *j)
{
	char msg[200];

	snprintf(msg, sizeof(msg),
	    "too many break-glass searches: at most %d a minute and %d a "
	    "day for one user, %d and %d for one kiosk; one more in %llu s",
	    BGSEARCH_USER_PER_MINUTE, BGSEARCH_USER_PER_DAY,
	    BGSEARCH_NODE_PER_MINUTE, BGSEARCH_NODE_PER_DAY,
	    (unsigned long long)((j->wait_ms + 999) / 1000));
	log_info("node %llu: break-glass search refused: over the rate limit",
	    (unsigned long long)req->node.id);
	req_error(req, WERR_BREAKGLASS_RATE, msg,
	    (long long)((j->wait_ms + 999) / 1000));
}

static int
api_bgsearch_run(struct request *req)
{
	struct server *srv = req->srv;
	char fac[BGSEARCH_MAX][SSTORE_TEXT_MAX];
	uint64_t seen[BGSEARCH_MAX];
	struct sbgsearch rec;
	struct bgs_judge j;
	struct bgs b;
	cbor_item_t *it = NULL, *m, *arr;
	char *query = NULL, *user = NULL;
	size_t i, nseen = 0, found = 0;
	int err;

	memset(&b, 0, sizeof(b));
	if (cborx_decode_items(req->body, req->len, req->len, 8, &it) != 0 ||
	    !cbor_isa_map(it) ||
	    cborx_map_text(
	        it, BGSEARCH_K_QUERY, SBGSEARCH_QUERY_MAX - 1, &query) != 0 ||
	    cborx_map_text(it, BGSEARCH_K_USER, SSTORE_TEXT_MAX - 1, &user) !=
	        0) {
		req_error(
		    req, WERR_BAD_REQUEST, "malformed break-glass search", -1);
		goto out;
	}
	if (strcmp(req->node.role, "clinic") != 0 &&
	    strcmp(req->node.role, "hub") != 0) {
		req_error(req, WERR_BREAKGLASS_SCOPE,
		    "only clinic and hub nodes search outside their scope "
		    "(an admin node has its region already)",
		    -1);
		goto out;
	}
	if (bgs_parse(&b, query) != 0) {
		req_error(req, WERR_BREAKGLASS_QUERY,
		    "type at least 3 letters of a name, 6 digits of a "
		    "phone number, or the patient's id",
		    -1);
		goto out;
	}
	memset(&rec, 0, sizeof(rec));
	rec.node = req->node.id;
	str_lcpy(rec.user, user, sizeof(rec.user));
	memset(&j, 0, sizeof(j));
	j.user = rec.user;
	j.now_ms = server_now_ms();
	j.dry = 1;
	err = srv->be->bgsearch_admit(
	    srv->store, &rec, j.now_ms - BGS_DAY_MS, bgs_judge, &j);
	if (err == EDQUOT) {
		bgs_over(req, &j);
		goto out;
	}
	if (err != ECANCELED) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	if ((err = store_region_each(srv->be, srv->store, req->node.region,
	         BGS_PAGE, server_now_ms(), bgs_change, &b)) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	arr = cborx_array(BGSEARCH_MAX);
	for (i = 0; i < b.n; i++) {
		if (!bgs_match(&b, &b.p[i]))
			continue;
		if (found++ < BGSEARCH_MAX)
			cborx_array_push(
			    arr, bgs_item(srv, &b.p[i], seen, fac, &nseen));
	}
	/* the search is recorded before anyone sees its answer, if the
	 * limit still lets it (a concurrent one may have taken the room) */
	str_lcpy(rec.region, req->node.region, sizeof(rec.region));
	str_lcpy(rec.facility, req->node.facility, sizeof(rec.facility));
	str_lcpy(rec.query, query, sizeof(rec.query));
	rec.found = found;
	rec.at_ms = j.now_ms = server_now_ms();
	j.dry = 0;
	err = srv->be->bgsearch_admit(
	    srv->store, &rec, j.now_ms - BGS_DAY_MS, bgs_judge, &j);
	if (err != 0) {
		cbor_decref(&arr);
		if (err == EDQUOT)
			bgs_over(req, &j);
		else
			req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	explicit_bzero(rec.query, sizeof(rec.query));
	log_info("node %llu: break-glass search recorded (%zu found)",
	    (unsigned long long)req->node.id, found);
	m = cborx_map(2);
	cborx_map_put(m, BGSEARCH_K_FOUND, arr);
	cborx_map_put(m, BGSEARCH_K_MORE, cborx_bool(found > BGSEARCH_MAX));
	req_reply(req, m);
out:
	if (it != NULL)
		cbor_decref(&it);
	explicit_bzero(rec.query, sizeof(rec.query));
	bgs_free(&b);
	xfree_secret_str(query);
	free(user);
	return 0;
}

const struct route api_breakglass_search = {
	.method = "POST",
	.path = PROTO_PATH_BREAKGLASS_SEARCH,
	.max_body = 1024,
	.flags = ROUTE_SIGNED,
	.handler = api_bgsearch_run,
};
