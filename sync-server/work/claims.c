/*
 * Claims workflow of claims.h: the decision, payers, exports.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "crypto.h"
#include "json.h"
#include "str.h"
#include "xmalloc.h"
#include "uuid.h"
#include "sync-server/work/claims.h"

static const char *const claim_reasons[CLAIM_R_MAX] = {
	[CLAIM_R_NONE] = "",
	[CLAIM_R_NOSHOW] = "noshow",
	[CLAIM_R_CANCELLED] = "cancelled",
	[CLAIM_R_PRESENCE] = "presence",
	[CLAIM_R_FAILED_CALL] = "failed_call",
	[CLAIM_R_TOO_SHORT] = "too_short",
	[CLAIM_R_UNSIGNED] = "unsigned",
	[CLAIM_R_LICENCE] = "licence",
	[CLAIM_R_COVERAGE] = "coverage",
	[CLAIM_R_DUPLICATE] = "duplicate",
};

static const char *const claim_holds[CLAIM_H_MAX] = {
	[CLAIM_H_NONE] = "",
	[CLAIM_H_LICENCE_CHANGE] = "licence_change",
	[CLAIM_H_OVERLAP] = "overlap",
	[CLAIM_H_CLOCK] = "clock",
	[CLAIM_H_HASH] = "hash_mismatch",
};

const char *
claim_reason_name(enum claim_reason r)
{
	return r > CLAIM_R_NONE && r < CLAIM_R_MAX ? claim_reasons[r] : "";
}

enum claim_reason
claim_reason_parse(const char *s)
{
	int i;

	for (i = CLAIM_R_NONE + 1; i < CLAIM_R_MAX; i++)
		if (strcmp(s, claim_reasons[i]) == 0)
			return (enum claim_reason)i;
	return CLAIM_R_NONE;
}

const char *
claim_hold_name(enum claim_hold h)
{
	return h > CLAIM_H_NONE && h < CLAIM_H_MAX ? claim_holds[h] : "";
}

/* The first rule that fails, in the order of §6.3 (E1 .. E6). */
static enum claim_reason
claim_first_failure(const struct claim_ev *e)
{
	if (e->cancelled)
		return CLAIM_R_CANCELLED;
	if (!e->checkin)
		return CLAIM_R_NOSHOW;
	if (e->presence_chw && !e->checkin_chw)
		return CLAIM_R_PRESENCE;
	if (!e->store_forward) {
		if (e->failed || e->legs < 2)
			return CLAIM_R_FAILED_CALL;
		if (e->connected_ms < e->min_ms)
			return CLAIM_R_TOO_SHORT;
	} else if (e->failed)
		return CLAIM_R_FAILED_CALL;
	if (!e->note_signed)
		return CLAIM_R_UNSIGNED;
	if (!e->lic_start && !e->lic_signed)
		return CLAIM_R_LICENCE;
	if (!e->covered)
		return CLAIM_R_COVERAGE;
	if (e->claimed || e->freq_dup)
		return CLAIM_R_DUPLICATE;
	return CLAIM_R_NONE;
}

void
claim_decide(const struct claim_ev *e, struct claim_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->reason = claim_first_failure(e);
	if (d->reason != CLAIM_R_NONE)
		return;
	d->bill = 1;
	if (e->hash_mismatch)
		d->hold = CLAIM_H_HASH;
	else if (!e->lic_start || !e->lic_signed)
		d->hold = CLAIM_H_LICENCE_CHANGE;
	else if (e->overlap)
		d->hold = CLAIM_H_OVERLAP;
	else if (e->clock_bad)
		d->hold = CLAIM_H_CLOCK;
}

/* --- payers ------------------------------------------------------------ */

static const char *const claim_modes[CLAIM_PRICES] = { "video", "voice",
	"store-forward" };

static int
claim_price_parse(const char *v, struct claim_price *p)
{
	const char *colon = strchr(v, ':');
	char *end;
	long long n;

	if (colon == NULL || colon == v ||
	    (size_t)(colon - v) >= sizeof(p->service))
		return EINVAL;
	memcpy(p->service, v, (size_t)(colon - v));
	p->service[colon - v] = '\0';
	errno = 0;
	n = strtoll(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || n < 0)
		return EINVAL;
	p->price = n;
	return 0;
}

int
claim_payer_parse(const char *code, const char *text, struct claim_payer *p,
    const char **cause)
{
	char *copy, *tok, *save = NULL, *eq, *end;
	unsigned long long n;
	int err = 0, i;

	memset(p, 0, sizeof(*p));
	if (code == NULL || code[0] == '\0' ||
	    strlen(code) >= sizeof(p->code) ||
	    strpbrk(code, " \t=:,") != NULL) {
		*cause = "a payer code is a short word";
		return EINVAL;
	}
	str_lcpy(p->code, code, sizeof(p->code));
	copy = xstrdup(text);
	for (tok = strtok_r(copy, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if ((eq = strchr(tok, '=')) == NULL) {
			*cause = "each item is NAME=VALUE";
			err = EINVAL;
			break;
		}
		*eq++ = '\0';
		if (strcmp(tok, "name") == 0) {
			if (strlen(eq) >= sizeof(p->name))
				goto toolong;
			str_lcpy(p->name, eq, sizeof(p->name));
			continue;
		}
		if (strcmp(tok, "endpoint") == 0) {
			if (strlen(eq) >= sizeof(p->endpoint))
				goto toolong;
			str_lcpy(p->endpoint, eq, sizeof(p->endpoint));
			continue;
		}
		if (strcmp(tok, "presence") == 0) {
			if (strcmp(eq, "chw") != 0 && strcmp(eq, "any") != 0) {
				*cause = "presence is chw or any";
				err = EINVAL;
				break;
			}
			p->presence_chw = strcmp(eq, "chw") == 0;
			continue;
		}
		if (strcmp(tok, "min") == 0 || strcmp(tok, "freq") == 0) {
			errno = 0;
			n = strtoull(eq, &end, 10);
			if (errno != 0 || *end != '\0' || end == eq ||
			    n > 366 * 86400ULL) {
				*cause = "min (seconds) and freq (days) are"
				         " whole numbers";
				err = EINVAL;
				break;
			}
			if (tok[0] == 'm')
				p->min_ms = n * 1000;
			else if (n > 366) {
				*cause = "freq is at most 366 days";
				err = EINVAL;
				break;
			} else
				p->freq_days = (int)n;
			continue;
		}
		for (i = 0; i < CLAIM_PRICES; i++)
			if (strcmp(tok, claim_modes[i]) == 0)
				break;
		if (i == CLAIM_PRICES) {
			*cause = "unknown item (name min presence freq video"
			         " voice store-forward endpoint)";
			err = EINVAL;
			break;
		}
		if (claim_price_parse(eq, &p->prices[i]) != 0) {
			*cause = "a price is SERVICE-CODE:PRICE in minor units";
			err = EINVAL;
			break;
		}
	}
	free(copy);
	return err;
toolong:
	free(copy);
	*cause = "a value is too long";
	return EINVAL;
}

int
claim_payer_format(const struct claim_payer *p, struct buf *b)
{
	int err, i;

	err = buf_printf(b, "name=%s min=%" PRIu64 " presence=%s freq=%d",
	    p->name[0] ? p->name : p->code, p->min_ms / 1000,
	    p->presence_chw ? "chw" : "any", p->freq_days);
	for (i = 0; i < CLAIM_PRICES && err == 0; i++)
		if (p->prices[i].service[0] != '\0')
			err = buf_printf(b, " %s=%s:%" PRId64, claim_modes[i],
			    p->prices[i].service, p->prices[i].price);
	if (err == 0 && p->endpoint[0] != '\0')
		err = buf_printf(b, " endpoint=%s", p->endpoint);
	return err;
}

const struct claim_price *
claim_payer_price(const struct claim_payer *p, const char *mode)
{
	int i;

	for (i = 0; i < CLAIM_PRICES; i++)
		if (strcmp(mode, claim_modes[i]) == 0)
			return p->prices[i].service[0] != '\0' ? &p->prices[i]
			                                       : NULL;
	return NULL;
}

void
claim_business_id(
    const uint8_t subject[16], const char *payer, char out[CLAIM_TEXT_MAX])
{
	uint8_t in[16 + CLAIM_TEXT_MAX], h[CRYPTO_SHA256_LEN];
	size_t n = strnlen(payer, CLAIM_TEXT_MAX - 1), i;

	memcpy(in, subject, 16);
	memcpy(in + 16, payer, n);
	crypto_sha256(in, 16 + n, h);
	memcpy(out, "OP-", 3);
	for (i = 0; i < 12; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", h[i]);
}

int
claim_freq_hit(
    const uint64_t *prev, size_t n, uint64_t service_ms, int freq_days)
{
	uint64_t day = service_ms / 86400000ULL, d;
	size_t i;

	if (freq_days <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		d = prev[i] / 86400000ULL;
		if ((d > day ? d - day : day - d) < (uint64_t)freq_days)
			return 1;
	}
	return 0;
}

/* --- exports ----------------------------------------------------------- */

static void
claim_iso(uint64_t ms, char *out, size_t size, int date_only)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
claim_money(struct buf *b, int64_t minor)
{
	return buf_printf(b, "{\"value\":%" PRId64 ".%02" PRId64 "}",
	    minor / 100, minor % 100);
}

int
claim_fhir(const struct claim_row *r, struct buf *b)
{
	struct uuid u;
	char pat[UUID_STRLEN + 1], created[24], served[16];
	int err;

	memcpy(u.b, r->patient, 16);
	uuid_format(&u, pat);
	claim_iso(r->created_ms, created, sizeof(created), 0);
	claim_iso(r->service_ms, served, sizeof(served), 1);
	if ((err = buf_printf(b, "{\"resourceType\":\"Claim\",\"id\":")) ||
	    (err = json_str(b, r->business_id)) ||
	    (err = buf_printf(b,
	         ",\"identifier\":[{\"system\":"
	         "\"urn:outpost:claim\",\"value\":")) ||
	    (err = json_str(b, r->business_id)) ||
	    (err = buf_printf(b,
	         "}],\"status\":\"active\",\"type\":{\"coding\":[{\"system\":"
	         "\"http://terminology.hl7.org/CodeSystem/claim-type\","
	         "\"code\":\"professional\"}]},\"use\":\"claim\","
	         "\"patient\":{\"reference\":\"Patient/%s\"},"
	         "\"billablePeriod\":{\"start\":\"%s\"},\"created\":\"%s\","
	         "\"insurer\":{\"identifier\":{\"system\":"
	         "\"urn:outpost:payer\",\"value\":",
	         pat, served, created)) ||
	    (err = json_str(b, r->payer)) ||
	    (err = buf_printf(b,
	         "}},\"provider\":{\"identifier\":{\"system\":"
	         "\"urn:outpost:regno\",\"value\":")) ||
	    (err = json_str(b, r->regno)) ||
	    (err = buf_printf(b,
	         "}},\"priority\":{\"coding\":[{\"system\":"
	         "\"http://terminology.hl7.org/CodeSystem/processpriority\","
	         "\"code\":\"normal\"}]},\"insurance\":[{\"sequence\":1,"
	         "\"focal\":true,\"coverage\":{\"identifier\":{\"system\":"
	         "\"urn:outpost:member\",\"value\":")) ||
	    (err = json_str(b, r->member)) ||
	    (err = buf_printf(b,
	         "}}}],\"item\":[{\"sequence\":1,"
	         "\"productOrService\":{\"coding\":[{"
	         "\"system\":\"urn:outpost:service\","
	         "\"code\":")) ||
	    (err = json_str(b, r->service)) ||
	    (err = buf_printf(
	         b, "}]},\"servicedDate\":\"%s\",\"unitPrice\":", served)) ||
	    (err = claim_money(b, r->price)) ||
	    (err = buf_printf(b, ",\"net\":")) ||
	    (err = claim_money(b, r->price)) ||
	    (err = buf_printf(b, "}],\"total\":")) ||
	    (err = claim_money(b, r->price)))
		return err;
	return buf_printf(b, "}");
}

int
claim_csv_header(struct buf *b)
{
	return buf_printf(b,
	    "business_id,status,hold,payer,member,patient,"
	    "regno,service,mode,price,service_date,created\n");
}

/* A CSV field: our values hold no quote, comma or newline but a member
 * id typed by an administrator might; quote when needed. */
static int
claim_csv_field(struct buf *b, const char *s, int last)
{
	int err = 0;

	if (strpbrk(s, ",\"\n\r") == NULL)
		err = buf_printf(b, "%s", s);
	else {
		err = buf_append_byte(b, '"');
		for (; *s != '\0' && err == 0; s++)
			err = *s == '"' ? buf_printf(b, "\"\"")
			                : buf_append_byte(b, (uint8_t)*s);
		if (err == 0)
			err = buf_append_byte(b, '"');
	}
	return err != 0 ? err : buf_append_byte(b, last ? '\n' : ',');
}

int
claim_csv_row(const struct claim_row *r, struct buf *b)
{
	struct uuid u;
	char pat[UUID_STRLEN + 1], created[24], served[16], price[32];
	int err;

	memcpy(u.b, r->patient, 16);
	uuid_format(&u, pat);
	claim_iso(r->created_ms, created, sizeof(created), 0);
	claim_iso(r->service_ms, served, sizeof(served), 1);
	snprintf(price, sizeof(price), "%" PRId64 ".%02" PRId64, r->price / 100,
	    r->price % 100);
	if ((err = claim_csv_field(b, r->business_id, 0)) ||
	    (err = claim_csv_field(b, r->status, 0)) ||
	    (err = claim_csv_field(b, r->hold, 0)) ||
	    (err = claim_csv_field(b, r->payer, 0)) ||
	    (err = claim_csv_field(b, r->member, 0)) ||
	    (err = claim_csv_field(b, pat, 0)) ||
	    (err = claim_csv_field(b, r->regno, 0)) ||
	    (err = claim_csv_field(b, r->service, 0)) ||
	    (err = claim_csv_field(b, r->mode, 0)) ||
	    (err = claim_csv_field(b, price, 0)) ||
	    (err = claim_csv_field(b, served, 0)))
		return err;
	return claim_csv_field(b, created, 1);
}
