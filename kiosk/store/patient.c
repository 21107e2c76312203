/*
 * Patients: registration with validation, lookup by id/phone/national id/
 * village/birth year or name with typo tolerance, and field updates.  Each
 * write is one transaction with its outbox change and audit entry; each
 * lookup that returns patients is audited as a view.
 */
#define LOG_MODULE "store"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "i18n.h"
#include "log.h"
#include "patient.h"
#include "phone.h"
#include "record.h"
#include "store_int.h"
#include "str.h"
#include "xmalloc.h"

#define PATIENT_FIELD_MAX 100

static const char patient_cols[] = "id, hlc, given, family, sex, birth_date, "
                                   "phone, village, national_id, created_ms";

/* The node's calling code ("254"), or NULL when no country is set. */
static const char *
node_calling_code(struct store *s)
{
	char c[3];

	return store_country_get(s, c) == 0 ? phone_calling_code(c) : NULL;
}

/* P's phone in E.164 with the node's country into OUT; 0 or EINVAL with
 * *CAUSE.  No phone: OUT empty. */
static int
patient_phone(struct store *s, const struct store_patient *p, char *out,
    size_t len, char **cause)
{
	const char *why;

	out[0] = '\0';
	if (p->phone == NULL)
		return 0;
	if (phone_normalise(p->phone, node_calling_code(s), out, len, &why) ==
	    0)
		return 0;
	xasprintf(cause, "%s", why);
	return EINVAL;
}

int
store_patient_check(
    const struct store_patient *p, enum store_patient_field *bad, char **cause)
{
	const char *const fields[] = { p->given, p->family, p->sex,
		p->birth_date, p->phone, p->village, p->national_id };
	enum store_patient_field dummy;
	char phone[PHONE_MAX];
	const char *why;
	size_t i;

	if (bad == NULL)
		bad = &dummy;
	for (i = 0; i < nitems(fields); i++)
		if (fields[i] != NULL &&
		    strlen(fields[i]) > PATIENT_FIELD_MAX) {
			*bad = (enum store_patient_field)i;
			xasprintf(cause, "a field is longer than %d characters",
			    PATIENT_FIELD_MAX);
			return EINVAL;
		}
	if (p->given == NULL || p->given[0] == '\0' || p->family == NULL ||
	    p->family[0] == '\0') {
		*bad = p->given == NULL || p->given[0] == '\0'
		    ? STORE_PF_GIVEN
		    : STORE_PF_FAMILY;
		xasprintf(
		    cause, "%s", N_("given and family name are both required"));
		return EINVAL;
	}
	if (p->sex != NULL && !patient_sex_valid(p->sex)) {
		*bad = STORE_PF_SEX;
		xasprintf(cause, "%s",
		    N_("sex must be female, male, other or unknown"));
		return EINVAL;
	}
	if (p->birth_date != NULL &&
	    !patient_birth_valid(p->birth_date, time(NULL))) {
		*bad = STORE_PF_BIRTH;
		xasprintf(cause, "%s",
		    N_("birth date must be YYYY-MM-DD or YYYY, a "
		       "real date not in the future"));
		return EINVAL;
	}
	if (p->phone != NULL &&
	    phone_normalise(p->phone, NULL, phone, sizeof(phone), &why) != 0) {
		*bad = STORE_PF_PHONE;
		xasprintf(cause, "%s", why);
		return EINVAL;
	}
	return 0;
}

static int
patient_validate(struct store_patient *p, char **cause)
{
	return store_patient_check(p, NULL, cause);
}

/* The record of P's fields that are set. */
static void
patient_rec(struct store *s, struct model_rec *r, const struct store_patient *p,
    uint64_t hlc)
{
	store_rec_init(s, r, REC_PATIENT, p->id, hlc);
	model_set_text(r, REC_PAT_GIVEN, p->given);
	model_set_text(r, REC_PAT_FAMILY, p->family);
	model_set_text(r, REC_PAT_SEX, p->sex);
	model_set_text(r, REC_PAT_BIRTH, p->birth_date);
	model_set_text(r, REC_PAT_PHONE, p->phone);
	model_set_text(r, REC_PAT_VILLAGE, p->village);
	model_set_text(r, REC_PAT_NATID, p->national_id);
}

/*
 * Write new patient R (its fields, the import key when not NULL) with its
 * outbox change and audit entry, inside the open transaction.
 */
int
store_patient_write(
    struct store *s, const struct model_rec *r, const char *import_key)
{
	struct store_col key = { "import_key", import_key,
		import_key != NULL ? strlen(import_key) : 0, 1 };
	int err;

	if ((err = store_row_insert(s, r, &key, 1)) != 0)
		return err;
	if ((err = store_outbox_put(s, r)) != 0)
		return err;
	return store_audit_append(s, "create", "patient", r->id,
	    import_key != NULL ? "import" : NULL);
}

int
store_patient_add(struct store *s, struct store_patient *p,
    const char *import_key, char **cause)
{
	struct model_rec r;
	char phone[PHONE_MAX], *typed = p->phone;
	uint64_t hlc;
	int err;

	*cause = NULL;
	if ((err = patient_validate(p, cause)) != 0)
		return err;
	if ((err = patient_phone(s, p, phone, sizeof(phone), cause)) != 0)
		return err;
	store_new_id(p->id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	hlc = store_hlc_now(s);
	p->hlc = hlc;
	p->created_ms = HLC_MS(hlc);
	if (typed != NULL)
		p->phone = phone; /* stored in E.164 */
	patient_rec(s, &r, p, hlc);
	p->phone = typed;
	err = store_patient_write(s, &r, import_key);
	return store_tx_end(s, err);
}

static void
patient_from_row(sqlite3_stmt *st, struct store_patient *p)
{
	const unsigned char *id = sqlite3_column_text(st, 0);

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id ? (const char *)id : "");
	p->hlc = (uint64_t)sqlite3_column_int64(st, 1);
	p->given = store_col_text(st, 2);
	p->family = store_col_text(st, 3);
	p->sex = store_col_text(st, 4);
	p->birth_date = store_col_text(st, 5);
	p->phone = store_col_text(st, 6);
	p->village = store_col_text(st, 7);
	p->national_id = store_col_text(st, 8);
	p->created_ms = (uint64_t)sqlite3_column_int64(st, 9);
}

/* Read patient ID (not deleted) into P, without auditing. */
static int
patient_load(struct store *s, const char *id, struct store_patient *p)
{
	sqlite3_stmt *st;
	char sql[256];
	int rc, err;

	snprintf(sql, sizeof(sql),
	    "SELECT %s FROM patients WHERE id = ? AND deleted = 0",
	    patient_cols);
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		patient_from_row(st, p);
	else
		err = rc == SQLITE_DONE ? ENOENT
		                        : store_err(s, rc, "patient read");
	sqlite3_finalize(st);
	return err;
}

int
store_patient_get(struct store *s, const char *id, struct store_patient *p)
{
	char rid[UUID_STRLEN + 1];
	int err;

	/* a merged-away record reads as its survivor (merge.c) */
	if ((err = store_patient_resolve(s, id, rid)) != 0)
		return err;
	err = patient_load(s, rid, p);
	/* the survivor not (yet) here: the record itself */
	if (err == ENOENT && strcmp(rid, id) != 0) {
		str_lcpy(rid, id, sizeof(rid));
		err = patient_load(s, rid, p);
	}
	if (err != 0)
		return err;
	if ((err = store_audit(s, "view", "patient", rid, NULL)) != 0)
		store_patient_clear(p);
	return err;
}

int
store_patient_update(
    struct store *s, const struct store_patient *p, char **cause)
{
	struct store_patient cur, merged, upd;
	struct model_rec r;
	char phone[PHONE_MAX];
	uint64_t hlc;
	int err, n;

	*cause = NULL;
	if ((err = patient_load(s, p->id, &cur)) != 0)
		return err;
	merged = cur;
#define PATIENT_MERGE(f)                                                       \
	if (p->f != NULL)                                                      \
		merged.f = p->f;
	PATIENT_MERGE(given)
	PATIENT_MERGE(family)
	PATIENT_MERGE(sex)
	PATIENT_MERGE(birth_date)
	PATIENT_MERGE(phone)
	PATIENT_MERGE(village)
	PATIENT_MERGE(national_id)
#undef PATIENT_MERGE
	if ((err = patient_validate(&merged, cause)) != 0)
		goto done;
	upd = *p;
	if ((err = patient_phone(s, p, phone, sizeof(phone), cause)) != 0)
		goto done;
	if (p->phone != NULL)
		upd.phone = phone; /* stored in E.164 */
	if ((err = store_tx_begin(s)) != 0)
		goto done;
	hlc = store_hlc_now(s);
	/* Only changed fields go in the change record: the server merges
	 * per field by HLC. */
	patient_rec(s, &r, &upd, hlc);
	err = store_row_update(s, &r, "deleted = 0", &n);
	if (err == 0 && n != 1 &&
	    (p->given || p->family || p->sex || p->birth_date || p->phone ||
	        p->village || p->national_id))
		err = ENOENT;
	if (err == 0)
		err = store_outbox_put(s, &r);
	if (err == 0)
		err = store_audit_append(s, "change", "patient", p->id, NULL);
	err = store_tx_end(s, err);
done:
	store_patient_clear(&cur);
	return err;
}

/* --- lookup --- */

struct scored {
	struct store_patient p;
	int score;
};

static int
scored_cmp(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	int c;

	if (x->score != y->score)
		return y->score - x->score;
	if ((c = strcasecmp(x->p.family, y->p.family)) != 0)
		return c;
	return strcasecmp(x->p.given, y->p.given);
}

static int
digits_only(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			n++;
		else if (*s != '+' && *s != ' ' && *s != '-')
			return 0;
	}
	return n > 0;
}

/* How well one search word matches one name word. */
static int
word_score(const char *word, const char *name)
{
	int limit = strlen(word) >= 6 ? 2 : strlen(word) >= 4 ? 1 : 0, d;

	if (name == NULL)
		return 0;
	if (strcasecmp(word, name) == 0)
		return 70;
	if (strncasecmp(name, word, strlen(word)) == 0)
		return 60;
	if (limit > 0 && (d = str_edit_distance(word, name, limit)) <= limit)
		return 55 - 5 * d;
	return 0;
}

static int
patient_score(const struct store_patient *p, const char *text, const char *cc)
{
	char q[256], *w, *save = NULL;
	int best = 0, total = 0, words = 0, sc, v;

	if (strncasecmp(p->id, text, strlen(text)) == 0 && strlen(text) >= 8)
		return 100;
	if (p->national_id != NULL && strcasecmp(p->national_id, text) == 0)
		return 90;
	if (digits_only(text)) {
		if (phone_match(p->phone, text, cc))
			best = 80;
		if (strlen(text) == 4 && p->birth_date != NULL &&
		    strncmp(p->birth_date, text, 4) == 0 && best < 30)
			best = 30;
		return best;
	}
	if (p->village != NULL && strcasecmp(p->village, text) == 0)
		best = 40;
	/* Every word of the query must match a name (or the village). */
	snprintf(q, sizeof(q), "%s", text);
	for (w = strtok_r(q, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		sc = word_score(w, p->given);
		if ((v = word_score(w, p->family)) > sc)
			sc = v;
		if (sc == 0 && p->village != NULL &&
		    strcasecmp(w, p->village) == 0)
			sc = 40;
		if (sc == 0)
			return best;
		total += sc;
		words++;
	}
	if (words > 0 && total / words > best)
		best = total / words;
	return best;
}

int
store_patient_find(struct store *s, const char *text, size_t max,
    struct store_patient **out, size_t *n)
{
	struct scored *hits = NULL;
	struct store_patient *res;
	struct store_patient p;
	sqlite3_stmt *st;
	size_t cnt = 0, cap = 0, i;
	char sql[1024];
	const char *cc;
	int rc, err, sc;

	*out = NULL;
	*n = 0;
	if (text == NULL || text[0] == '\0' || strlen(text) > 200)
		return EINVAL;
	cc = node_calling_code(s);
	snprintf(sql, sizeof(sql),
	    "SELECT %s FROM patients WHERE deleted = 0 AND id NOT IN"
	    " (SELECT duplicate_id FROM " STORE_MERGES_IN_FORCE " e)",
	    patient_cols);
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		patient_from_row(st, &p);
		if ((sc = patient_score(&p, text, cc)) == 0) {
			store_patient_clear(&p);
			continue;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			hits = xreallocarray(hits, cap, sizeof(*hits));
		}
		hits[cnt].p = p;
		hits[cnt++].score = sc;
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "patient find");
	sqlite3_finalize(st);
	if (cnt > 0)
		qsort(hits, cnt, sizeof(*hits), scored_cmp);
	res = xcalloc(cnt ? (cnt < max ? cnt : max) : 1, sizeof(*res));
	for (i = 0; i < cnt; i++) {
		if (i < max && err == 0)
			res[i] = hits[i].p;
		else
			store_patient_clear(&hits[i].p);
	}
	free(hits);
	if (cnt > max)
		cnt = max;
	if (err != 0) {
		store_patient_free_array(res, cnt);
		return err;
	}
	/* Who looked at whom: one view entry per patient shown. */
	if (cnt > 0 && (err = store_tx_begin(s)) == 0) {
		for (i = 0; i < cnt && err == 0; i++)
			err = store_audit_append(
			    s, "view", "patient", res[i].id, "search");
		err = store_tx_end(s, err);
	}
	if (err != 0) {
		store_patient_free_array(res, cnt);
		return err;
	}
	*out = res;
	*n = cnt;
	return 0;
}

void
store_patient_clear(struct store_patient *p)
{
	if (p == NULL)
		return;
	free(p->given);
	free(p->family);
	free(p->sex);
	free(p->birth_date);
	free(p->phone);
	free(p->village);
	free(p->national_id);
	p->given = p->family = p->sex = p->birth_date = NULL;
	p->phone = p->village = p->national_id = NULL;
}

void
store_patient_free_array(struct store_patient *p, size_t n)
{
	size_t i;

	for (i = 0; p != NULL && i < n; i++)
		store_patient_clear(&p[i]);
	free(p);
}
