/*
 * The pushed prescription checks of rx_check.h.
 */
#define LOG_MODULE "policy"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clinical/rx.h"
#include "compat.h"
#include "crypto.h"
#include "log.h"
#include "prescription.h"
#include "protocol.h"
#include "record.h"
#include "sync-server/rx_check.h"
#include "uuid.h"
#include "xmalloc.h"

#define RX_REGIONS 16
#define RX_FILE_MAX (1 << 20)

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rx_formulary rx_forms[RX_REGIONS];
static size_t rx_nforms;

/* Read region CC's formulary file into F: 0, or ENOENT / EINVAL. */
static int
rx_load(const char *cc, struct rx_formulary *f)
{
	const char *env = getenv("OUTPOST_FORMULARY_DIR");
	const char *dirs[] = { env && env[0] ? env : NULL, "clinical/formulary",
		"/usr/share/outpost/formulary" };
	char path[512], why[160], *text;
	size_t i, len;
	FILE *fp = NULL;
	int err;

	for (i = 0; i < nitems(dirs) && fp == NULL; i++)
		if (dirs[i] != NULL) {
			snprintf(path, sizeof(path), "%s/%s.tsv", dirs[i], cc);
			fp = fopen(path, "r");
		}
	if (fp == NULL)
		return ENOENT;
	text = xmalloc(RX_FILE_MAX);
	len = fread(text, 1, RX_FILE_MAX, fp);
	fclose(fp);
	err = rx_formulary_parse(text, len, cc, f, why, sizeof(why));
	if (err != 0)
		log_warnx("formulary %s: %s", path, why);
	free(text);
	return err;
}

/* The formulary of region CC (loaded once, kept), or NULL. */
static const struct rx_formulary *
rx_formulary_of(const char *cc)
{
	const struct rx_formulary *f = NULL;
	size_t i;

	if (cc == NULL || strlen(cc) != 2 || strchr(cc, '/') != NULL ||
	    strchr(cc, '.') != NULL)
		return NULL;
	pthread_mutex_lock(&rx_lock);
	for (i = 0; i < rx_nforms && f == NULL; i++)
		if (strcmp(rx_forms[i].region, cc) == 0)
			f = &rx_forms[i];
	if (f == NULL && rx_nforms < RX_REGIONS &&
	    rx_load(cc, &rx_forms[rx_nforms]) == 0)
		f = &rx_forms[rx_nforms++];
	pthread_mutex_unlock(&rx_lock);
	return f;
}

static const char *
rx_text(const struct model_rec *r, uint64_t key)
{
	const struct model_value *v = model_get(r, key);

	return v != NULL && !v->null && v->text != NULL ? v->text : NULL;
}

static int
rx_refuse(struct sverdict *v, int code, const char *why)
{
	v->code = code;
	snprintf(v->why, sizeof(v->why), "%s", why);
	return code;
}

/* Shape and signature, for every action. */
static int
rx_check_signed(const struct model_rec *r, struct sverdict *v)
{
	const struct model_value *sig = model_get(r, REC_RX_SIG);
	const struct model_value *key = model_get(r, REC_RX_SIGKEY);
	const char *action = rx_text(r, REC_RX_ACTION);
	const char *order = rx_text(r, REC_RX_ORDER);
	const char *regno = rx_text(r, REC_RX_REGNO);
	uint8_t *msg = NULL;
	struct uuid u;
	size_t len;
	int bad;

	if (!prescription_action_valid(action))
		return rx_refuse(v, WERR_RX_INVALID,
		    "a prescription is an order, a cancel or a stop");
	if (strcmp(action, "order") != 0 &&
	    (order == NULL || uuid_parse(order, &u) != 0))
		return rx_refuse(v, WERR_RX_INVALID,
		    "a cancel or stop names the order it ends");
	if (rx_text(r, REC_RX_PATIENT) == NULL ||
	    rx_text(r, REC_RX_CLINICIAN) == NULL || regno == NULL ||
	    regno[0] == '\0')
		return rx_refuse(v, WERR_RX_INVALID,
		    "a prescription names its patient, its clinician and the "
		    "registration number");
	if (sig == NULL || sig->null || sig->len != 64 || key == NULL ||
	    key->null || key->len != 32 || model_get(r, REC_RX_SIGNED) == NULL)
		return rx_refuse(
		    v, WERR_RX_INVALID, "a prescription is signed");
	if (prescription_sig_bytes(r, &msg, &len) != 0)
		return rx_refuse(
		    v, WERR_RX_INVALID, "a prescription's fields do not fit");
	bad = crypto_ed25519_verify(key->p, msg, len, sig->p) != 0;
	free(msg);
	if (bad)
		return rx_refuse(v, WERR_RX_INVALID,
		    "the prescription does not match its signature");
	return 0;
}

void
rx_check_pushed(const struct model_rec *r, struct sverdict *v)
{
	const struct rx_formulary *f;
	const struct model_value *x;
	struct rx_context c;
	struct rx_order o;
	struct rx_result res;
	const char *override;
	size_t i;

	if (rx_check_signed(r, v) != 0 ||
	    strcmp(rx_text(r, REC_RX_ACTION), "order") != 0)
		return;
	if ((f = rx_formulary_of(rx_text(r, REC_RX_REGION))) == NULL) {
		rx_refuse(v, WERR_RX_INVALID,
		    "the server has no formulary for the order's region");
		return;
	}
	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	o.code = rx_text(r, REC_RX_CODE);
	o.route = rx_text(r, REC_RX_ROUTE);
	o.dose = (x = model_get(r, REC_RX_DOSE)) != NULL ? x->d : 0;
	o.per_day = (x = model_get(r, REC_RX_PER_DAY)) != NULL && x->u <= 1000
	    ? (unsigned)x->u
	    : 0;
	o.days = (x = model_get(r, REC_RX_DAYS)) != NULL && x->u <= 100000
	    ? (unsigned)x->u
	    : 0;
	c.age_days = (x = model_get(r, REC_RX_AGE_DAYS)) != NULL && x->u < 60000
	    ? (int)x->u
	    : -1;
	c.weight_kg = (x = model_get(r, REC_RX_WEIGHT)) != NULL ? x->d : 0;
	c.allergies = rx_text(r, REC_RX_ALLERGIES);
	c.mode = rx_text(r, REC_RX_MODE);
	c.first_consult = (x = model_get(r, REC_RX_FIRST)) == NULL || x->i;
	/* duplicates need the patient's other orders: the kiosk's check */
	rx_check(f, &o, &c, &res);
	if (res.level == RX_HARD) {
		for (i = 0; i < res.n && res.f[i].level != RX_HARD; i++)
			;
		rx_refuse(v, WERR_RX_BLOCKED, res.f[i].text);
		return;
	}
	override = rx_text(r, REC_RX_OVERRIDE);
	if (res.level == RX_SOFT && (override == NULL || override[0] == '\0'))
		rx_refuse(v, WERR_RX_OVERRIDE,
		    "the order is above a usual limit or matches an allergy:"
		    " it needs an override reason");
}
