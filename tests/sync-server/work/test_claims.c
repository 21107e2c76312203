/*
 * The claims workflow's pure half (sync-server/work/claims.h; issue 15,
 * criterion 2's property), without a server:
 *
 *   property   OUTPOST_CLAIM_SETS (default 20000) random evidence sets:
 *              claim_decide bills exactly when a reference written here
 *              from the rules E1-E6 (not from claims.c's order) says all
 *              hold; its no-bill reason names a rule that fails with every
 *              earlier rule holding; a claim is held exactly when the
 *              reference sees a licence change or an anomaly
 *   table      hand-made cases, one per reason and per hold
 *   payer      the payer configuration: parsed, refused with a reason,
 *              written back the same; the price list by mode
 *   ids        business ids stable per (consult, payer), different apart;
 *              the frequency rule's day edges
 *   fhir       the FHIR R4 Claim parses (libjansson) with the elements R4
 *              requires (status, type, use, patient, created, provider,
 *              priority, insurance) and the item and total; CSV quoting
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sync-server/work/claims.h"
#include "test.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* True with probability P percent. */
static int
chance(unsigned p)
{
	return rnd() % 100 < p;
}

/* The reference: each rule of workflows.md §6.3 as a predicate. */
struct ref {
	int e[7]; /* E1..E6 at 1..6 */
	int claim, held;
};

static void
reference(const struct claim_ev *v, struct ref *r)
{
	memset(r, 0, sizeof(*r));
	r->e[1] = !v->cancelled && v->checkin;
	r->e[2] = !v->presence_chw || v->checkin_chw;
	r->e[3] = !v->failed &&
	    (v->store_forward ||
	        (v->legs >= 2 && v->connected_ms >= v->min_ms));
	r->e[4] = v->note_signed && (v->lic_start || v->lic_signed);
	r->e[5] = v->covered;
	r->e[6] = !v->claimed && !v->freq_dup;
	r->claim =
	    r->e[1] && r->e[2] && r->e[3] && r->e[4] && r->e[5] && r->e[6];
	r->held = r->claim &&
	    (!v->lic_start || !v->lic_signed || v->overlap || v->clock_bad ||
	        v->hash_mismatch);
}

/* The rule a reason speaks for. */
static int
reason_rule(enum claim_reason r)
{
	switch (r) {
	case CLAIM_R_NOSHOW:
	case CLAIM_R_CANCELLED:
		return 1;
	case CLAIM_R_PRESENCE:
		return 2;
	case CLAIM_R_FAILED_CALL:
	case CLAIM_R_TOO_SHORT:
		return 3;
	case CLAIM_R_UNSIGNED:
	case CLAIM_R_LICENCE:
		return 4;
	case CLAIM_R_COVERAGE:
		return 5;
	case CLAIM_R_DUPLICATE:
		return 6;
	default:
		return 0;
	}
}

static void
random_ev(struct claim_ev *v)
{
	memset(v, 0, sizeof(*v));
	v->cancelled = chance(5);
	v->failed = chance(5);
	v->checkin = chance(88);
	v->checkin_chw = chance(70);
	v->presence_chw = chance(30);
	v->store_forward = chance(15);
	v->legs = (int)(rnd() % 100 < 85 ? 2 : rnd() % 2);
	v->min_ms = (rnd() % 4) * 60000;
	v->connected_ms = rnd() % 100 < 85 ? v->min_ms + rnd() % 600000
	                                   : rnd() % (v->min_ms + 1);
	v->note_signed = chance(90);
	v->lic_start = chance(92);
	v->lic_signed = chance(92);
	v->covered = chance(90);
	v->claimed = chance(5);
	v->freq_dup = chance(5);
	v->overlap = chance(5);
	v->clock_bad = chance(5);
	v->hash_mismatch = chance(3);
}

static int
test_property(void)
{
	const char *env = getenv("OUTPOST_CLAIM_SETS");
	unsigned long n = env ? strtoul(env, NULL, 10) : 20000, i;
	unsigned long claims = 0, held = 0, per_reason[CLAIM_R_MAX] = { 0 };
	struct claim_ev v;
	struct claim_decision d;
	struct ref r;
	int k, rule, err = 0;

	if (n < 10000)
		n = 10000;
	for (i = 0; i < n; i++) {
		random_ev(&v);
		claim_decide(&v, &d);
		reference(&v, &r);
		if (d.bill != r.claim) {
			TEST_FAILED("set %lu: decide %d, reference %d", i,
			    d.bill, r.claim);
		}
		if (d.bill) {
			claims++;
			TEST_EQ(d.reason, CLAIM_R_NONE);
			TEST_EQ(d.hold != CLAIM_H_NONE, r.held);
			held += d.hold != CLAIM_H_NONE;
			continue;
		}
		TEST_EQ(d.hold, CLAIM_H_NONE);
		rule = reason_rule(d.reason);
		TEST_TRUE(rule >= 1 && rule <= 6);
		TEST_TRUE(!r.e[rule]); /* the reason names a failing rule */
		for (k = 1; k < rule; k++)
			TEST_TRUE(r.e[k]); /* and the first one */
		TEST_TRUE(claim_reason_name(d.reason)[0] != '\0');
		per_reason[d.reason]++;
	}
	/* the generator reached every outcome */
	TEST_TRUE(claims > n / 10);
	TEST_TRUE(held > 0 && held < claims);
	for (k = CLAIM_R_NONE + 1; k < CLAIM_R_MAX; k++)
		if (per_reason[k] == 0)
			TEST_FAILED("reason %s never drawn",
			    claim_reason_name((enum claim_reason)k));
	printf("# %lu evidence sets: %lu claims (%lu held), %lu not\n", n,
	    claims, held, n - claims);
out:
	return err;
}

static void
good_ev(struct claim_ev *v)
{
	memset(v, 0, sizeof(*v));
	v->checkin = v->checkin_chw = 1;
	v->legs = 2;
	v->min_ms = 300000;
	v->connected_ms = 300000;
	v->note_signed = v->lic_start = v->lic_signed = v->covered = 1;
}

static int
test_table(void)
{
	struct claim_ev v;
	struct claim_decision d;
	int err = 0;

	good_ev(&v);
	claim_decide(&v, &d);
	TEST_TRUE(d.bill && d.hold == CLAIM_H_NONE);
	v.connected_ms = 299999; /* one ms short of the payer's minimum */
	claim_decide(&v, &d);
	TEST_TRUE(!d.bill && d.reason == CLAIM_R_TOO_SHORT);
	good_ev(&v);
	v.legs = 1; /* the clinician never connected */
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "failed_call");
	good_ev(&v);
	v.store_forward = 1; /* no call: the signed review is the act */
	v.legs = 0;
	v.connected_ms = 0;
	claim_decide(&v, &d);
	TEST_TRUE(d.bill);
	good_ev(&v);
	v.checkin = 0;
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "noshow");
	good_ev(&v);
	v.cancelled = 1;
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "cancelled");
	good_ev(&v);
	v.note_signed = 0;
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "unsigned");
	good_ev(&v);
	v.lic_start = v.lic_signed = 0;
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "licence");
	good_ev(&v);
	v.lic_signed = 0; /* lapsed between start and signing: held */
	claim_decide(&v, &d);
	TEST_TRUE(d.bill);
	TEST_STR(claim_hold_name(d.hold), "licence_change");
	good_ev(&v);
	v.covered = 0;
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "coverage");
	good_ev(&v);
	v.claimed = 1;
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "duplicate");
	good_ev(&v);
	v.presence_chw = 1;
	v.checkin_chw = 0;
	claim_decide(&v, &d);
	TEST_STR(claim_reason_name(d.reason), "presence");
	good_ev(&v);
	v.overlap = 1;
	claim_decide(&v, &d);
	TEST_STR(claim_hold_name(d.hold), "overlap");
	good_ev(&v);
	v.clock_bad = 1;
	claim_decide(&v, &d);
	TEST_STR(claim_hold_name(d.hold), "clock");
	good_ev(&v);
	v.hash_mismatch = 1;
	claim_decide(&v, &d);
	TEST_STR(claim_hold_name(d.hold), "hash_mismatch");
	TEST_EQ(claim_reason_parse("too_short"), CLAIM_R_TOO_SHORT);
	TEST_EQ(claim_reason_parse("nonsense"), CLAIM_R_NONE);
out:
	return err;
}

static int
test_payer(void)
{
	struct claim_payer p, q;
	const struct claim_price *pr;
	const char *cause = NULL;
	struct buf b;
	int err = 0;

	buf_init(&b, 4096);
	TEST_ERR(claim_payer_parse("NHIF",
	    "name=NHIF min=300 presence=chw freq=7 video=TV01:50000"
	    " voice=TA01:30000 endpoint=http://127.0.0.1:8080/fhir",
	    &p, &cause));
	TEST_EQ(p.min_ms, 300000);
	TEST_EQ(p.presence_chw, 1);
	TEST_EQ(p.freq_days, 7);
	TEST_TRUE((pr = claim_payer_price(&p, "video")) != NULL);
	TEST_STR(pr->service, "TV01");
	TEST_EQ(pr->price, 50000);
	TEST_TRUE(claim_payer_price(&p, "store-forward") == NULL);
	TEST_ERR(claim_payer_format(&p, &b));
	TEST_ERR(buf_append_byte(&b, '\0'));
	TEST_ERR(claim_payer_parse("NHIF", (const char *)b.data, &q, &cause));
	TEST_MEM(&p, &q, sizeof(p));
	TEST_EQ(claim_payer_parse("NHIF", "min=ten", &q, &cause), EINVAL);
	TEST_TRUE(cause != NULL && strstr(cause, "whole numbers") != NULL);
	TEST_EQ(claim_payer_parse("NHIF", "video=TV01", &q, &cause), EINVAL);
	TEST_EQ(claim_payer_parse("NHIF", "video=TV01:-5", &q, &cause), EINVAL);
	TEST_EQ(claim_payer_parse("NHIF", "colour=blue", &q, &cause), EINVAL);
	TEST_EQ(
	    claim_payer_parse("NHIF", "presence=maybe", &q, &cause), EINVAL);
	TEST_EQ(claim_payer_parse("NH IF", "min=1", &q, &cause), EINVAL);
	TEST_EQ(claim_payer_parse("NHIF", "freq=400", &q, &cause), EINVAL);
out:
	buf_free(&b);
	return err;
}

static int
test_ids(void)
{
	uint8_t a[16] = { 1 }, b[16] = { 2 };
	char x[CLAIM_TEXT_MAX], y[CLAIM_TEXT_MAX], z[CLAIM_TEXT_MAX];
	uint64_t day = 86400000ULL, t = 20000 * day, prev[2];
	int err = 0;

	claim_business_id(a, "NHIF", x);
	claim_business_id(a, "NHIF", y);
	TEST_STR(x, y);
	TEST_EQ(strlen(x), 27);
	claim_business_id(b, "NHIF", z);
	TEST_TRUE(strcmp(x, z) != 0);
	claim_business_id(a, "SHA", z);
	TEST_TRUE(strcmp(x, z) != 0);
	prev[0] = t + 3600000; /* the same day */
	TEST_EQ(claim_freq_hit(prev, 1, t, 1), 1);
	TEST_EQ(claim_freq_hit(prev, 1, t, 0), 0);
	prev[0] = t - day; /* yesterday */
	TEST_EQ(claim_freq_hit(prev, 1, t, 1), 0);
	TEST_EQ(claim_freq_hit(prev, 1, t, 2), 1);
	prev[1] = t + 7 * day;
	TEST_EQ(claim_freq_hit(prev, 2, t, 7), 1);
	TEST_EQ(claim_freq_hit(prev + 1, 1, t, 7), 0);
out:
	return err;
}

static int
test_fhir(void)
{
	struct claim_row r;
	struct buf b;
	json_t *j = NULL, *v;
	json_error_t je;
	const char *line;
	int err = 0;

	memset(&r, 0, sizeof(r));
	memset(r.subject, 7, 16);
	memset(r.patient, 0x42, 16);
	claim_business_id(r.subject, "NHIF", r.business_id);
	snprintf(r.payer, sizeof(r.payer), "NHIF");
	snprintf(r.member, sizeof(r.member), "M-1, \"B\"");
	snprintf(r.regno, sizeof(r.regno), "KMPDC-123");
	snprintf(r.service, sizeof(r.service), "TV01");
	snprintf(r.mode, sizeof(r.mode), "video");
	snprintf(r.status, sizeof(r.status), "ready");
	r.price = 50005;
	r.service_ms = 1764633600000ULL; /* 2025-12-02 */
	r.created_ms = r.service_ms + 3600000;
	buf_init(&b, 1 << 20);
	TEST_ERR(claim_fhir(&r, &b));
	j = json_loadb((const char *)b.data, b.len, 0, &je);
	if (j == NULL)
		TEST_FAILED("not JSON: %s", je.text);
	TEST_STR(
	    json_string_value(json_object_get(j, "resourceType")), "Claim");
	TEST_STR(json_string_value(json_object_get(j, "status")), "active");
	TEST_STR(json_string_value(json_object_get(j, "use")), "claim");
	v = json_array_get(
	    json_object_get(json_object_get(j, "type"), "coding"), 0);
	TEST_STR(json_string_value(json_object_get(v, "code")), "professional");
	TEST_STR(json_string_value(json_object_get(
	             json_object_get(j, "patient"), "reference")),
	    "Patient/42424242-4242-4242-4242-424242424242");
	TEST_STR(json_string_value(json_object_get(j, "created")),
	    "2025-12-02T01:00:00Z");
	TEST_TRUE(json_object_get(j, "provider") != NULL);
	TEST_TRUE(json_object_get(j, "priority") != NULL);
	v = json_array_get(json_object_get(j, "insurance"), 0);
	TEST_EQ(json_integer_value(json_object_get(v, "sequence")), 1);
	TEST_TRUE(json_is_true(json_object_get(v, "focal")));
	TEST_STR(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(v, "coverage"), "identifier"),
	        "value")),
	    "M-1, \"B\"");
	v = json_array_get(json_object_get(j, "item"), 0);
	TEST_STR(json_string_value(json_object_get(v, "servicedDate")),
	    "2025-12-02");
	TEST_TRUE(json_real_value(json_object_get(
	              json_object_get(j, "total"), "value")) == 500.05);
	TEST_STR(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "identifier"), 0), "value")),
	    r.business_id);
	buf_reset(&b);
	TEST_ERR(claim_csv_header(&b));
	TEST_ERR(claim_csv_row(&r, &b));
	TEST_ERR(buf_append_byte(&b, '\0'));
	line = strchr((const char *)b.data, '\n') + 1;
	TEST_TRUE(strstr(line, ",\"M-1, \"\"B\"\"\",") != NULL);
	TEST_TRUE(strstr(line, ",500.05,2025-12-02,") != NULL);
out:
	json_decref(j);
	buf_free(&b);
	return err;
}

TEST_MAIN({ "property", test_property }, { "table", test_table },
    { "payer", test_payer }, { "ids", test_ids }, { "fhir", test_fhir })
