/*
 * Referral accounting and export (sync-server/work/referral.h; issue 14,
 * criterion 12), without a server:
 *
 *   accounting  OUTPOST_REFERRALS (default 5000) synthetic referrals, their
 *               facts shuffled: the numbers equal a reference computed
 *               here from what the generator decided happened (not from
 *               the facts), with its own sort and percentile; steps
 *               that name another facility than their request's are
 *               not its steps
 *   fold        the Task's state from its steps (model/referral.h): the
 *               latest wins, "seen" stands, follow-up outcomes
 *   steps       which step each state allows, and which side takes it
 *   fhir        the FHIR R4 Bundle parses (libjansson) and each
 *               ServiceRequest and Task carries its required elements
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/referral.h"
#include "sync-server/work/referral.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t
rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* What the generator decided about one referral: the reference. */
enum truth {
	T_OPEN,
	T_COMPLETED,
	T_SELF,
	T_REJECTED,
	T_FAILED,
	T_CANCELLED,
};

struct gen {
	struct rref_fact *f;
	size_t n, cap;
	uint64_t hlc;
};

static struct rref_fact *
gen_add(struct gen *g, const char *ref, int request, int state, uint64_t at_ms)
{
	struct rref_fact *f;
	struct uuid u;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->f = xreallocarray(g->f, g->cap, sizeof(*g->f));
	}
	f = &g->f[g->n++];
	memset(f, 0, sizeof(*f));
	f->request = request;
	uuid_v7(&u);
	uuid_format(&u, f->id);
	snprintf(f->referral, sizeof(f->referral), "%s", ref);
	f->hlc = ++g->hlc;
	f->at_ms = at_ms;
	f->state = state;
	f->outcome_state = state;
	return f;
}

static void
gen_followup(struct gen *g, const char *ref, const char *outcome, uint64_t at)
{
	struct rref_fact *f = gen_add(g, ref, 0, REF_FOLLOW_UP, at);

	snprintf(f->outcome, sizeof(f->outcome), "%s", outcome);
	f->outcome_state = referral_outcome_state(outcome);
}

/* Insertion sort: the reference's own, not the accounting's qsort. */
static void
isort(uint64_t *v, size_t n)
{
	size_t i, j;
	uint64_t x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Nearest rank, written from its definition: the smallest value with at
 * least P percent of the values at or below it. */
static uint64_t
ref_pct(const uint64_t *sorted, size_t n, unsigned p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((i + 1) * 100 >= (size_t)p * n)
			return sorted[i];
	return 0;
}

static int
test_accounting(void)
{
	static const char *const bad_outcomes[] = { "improved", "refused",
		"unreachable", "died" };
	const char *env = getenv("OUTPOST_REFERRALS");
	size_t nref = env != NULL ? strtoul(env, NULL, 10) : 5000, i, k;
	uint64_t base = 1780000000000ULL, now, *acc, *seen, accsum = 0;
	size_t nacc = 0, nseen = 0;
	uint64_t cnt[6] = { 0 }, followup_due = 0, followed = 0;
	struct gen g = { 0 };
	struct rref_stats st;
	int err = 0;

	if (nref < 100)
		nref = 100;
	now = base + nref * 60000ULL + 86400000ULL;
	acc = xcalloc(nref, sizeof(*acc));
	seen = xcalloc(nref, sizeof(*seen));
	TEST_TRUE(acc != NULL && seen != NULL);
	for (i = 0; i < nref; i++) {
		char ref[UUID_STRLEN + 1];
		struct rref_fact *req;
		uint64_t t0 = base + i * 60000ULL + rnd_below(60000);
		uint64_t due = t0 + (1 + rnd_below(14)) * 86400000ULL;
		uint64_t acc_at = t0 + 1000 + rnd_below(3 * 86400000ULL);
		uint64_t seen_at = acc_at + 1000 + rnd_below(5 * 86400000ULL);
		unsigned r = (unsigned)rnd_below(100);
		int truth;

		req = gen_add(&g, "", 1, REF_REQUESTED, t0);
		snprintf(ref, sizeof(ref), "%s", req->id);
		snprintf(req->referral, sizeof(req->referral), "%s", ref);
		req->due_ms = due;
		if (r >= 5) /* most are received by the target's kiosk */
			gen_add(&g, ref, 0, REF_RECEIVED, t0 + 500);
		if (r < 5) {
			truth = T_CANCELLED;
			gen_add(&g, ref, 0, REF_CANCELLED, t0 + 700);
		} else if (r < 15) {
			truth = T_REJECTED;
			gen_add(&g, ref, 0, REF_REJECTED, t0 + 900);
		} else if (r < 60) {
			truth = T_COMPLETED;
			gen_add(&g, ref, 0, REF_ACCEPTED, acc_at);
			acc[nacc++] = acc_at - t0;
			if (r % 2)
				gen_add(
				    &g, ref, 0, REF_IN_PROGRESS, seen_at - 1);
			gen_add(&g, ref, 0, REF_COMPLETED, seen_at);
			seen[nseen++] = seen_at - t0;
			/* an offline CHW's follow-up written after the visit:
			 * the facility's "seen" stands */
			if (r < 18) {
				gen_followup(
				    &g, ref, "unreachable", seen_at + 1);
				followed++;
			}
			/* a repeated accept: the first counts */
			if (r == 20)
				gen_add(
				    &g, ref, 0, REF_ACCEPTED, acc_at + 5000);
		} else if (r < 65) {
			/* a walk-in: seen without an accept */
			truth = T_COMPLETED;
			gen_add(&g, ref, 0, REF_COMPLETED, seen_at);
			seen[nseen++] = seen_at - t0;
		} else if (r < 70) {
			truth = T_FAILED;
			gen_add(&g, ref, 0, REF_ACCEPTED, acc_at);
			acc[nacc++] = acc_at - t0;
			gen_add(&g, ref, 0, REF_FAILED, seen_at);
		} else if (r < 75) {
			truth = T_SELF;
			gen_followup(&g, ref, "seen-elsewhere", due + 1000);
			followed++;
		} else if (r < 85) {
			truth = T_FAILED;
			if (r % 2) {
				gen_add(&g, ref, 0, REF_ACCEPTED, acc_at);
				acc[nacc++] = acc_at - t0;
			}
			gen_followup(&g, ref, bad_outcomes[r % 4], due + 2000);
			followed++;
		} else {
			truth = T_OPEN;
			if (r % 3 == 0) {
				gen_add(&g, ref, 0, REF_ACCEPTED, acc_at);
				acc[nacc++] = acc_at - t0;
			}
			if (due < now)
				followup_due++;
			/* a facility that is not the target claims it saw
			 * the patient: not a step of this referral */
			if (r % 5 == 0) {
				struct rref_fact *x =
				    gen_add(&g, ref, 0, REF_COMPLETED, seen_at);

				snprintf(
				    x->target, sizeof(x->target), "forger");
			}
		}
		cnt[truth]++;
	}
	/* steps whose request this region does not hold */
	for (k = 0; k < 7; k++)
		gen_add(&g, "00000000-0000-7000-8000-000000000000", 0,
		    REF_ACCEPTED, base);
	/* arrival order is anything */
	for (i = g.n - 1; i > 0; i--) {
		struct rref_fact t;
		size_t j = (size_t)rnd_below(i + 1);

		t = g.f[i];
		g.f[i] = g.f[j];
		g.f[j] = t;
	}
	rref_stats(g.f, g.n, now, &st);

	/* the reference */
	isort(acc, nacc);
	isort(seen, nseen);
	for (i = 0; i < nacc; i++)
		accsum += acc[i];
	TEST_EQ(st.issued, nref);
	TEST_EQ(st.cancelled, cnt[T_CANCELLED]);
	TEST_EQ(st.counted, nref - cnt[T_CANCELLED]);
	TEST_EQ(st.completed, cnt[T_COMPLETED]);
	TEST_EQ(st.self_reported, cnt[T_SELF]);
	TEST_EQ(st.rejected, cnt[T_REJECTED]);
	TEST_EQ(st.failed, cnt[T_FAILED]);
	TEST_EQ(st.open, cnt[T_OPEN]);
	TEST_EQ(st.followup_due, followup_due);
	TEST_EQ(st.followed_up, followed);
	TEST_EQ(st.orphan_steps, 7);
	TEST_TRUE(fabs(st.completion_rate -
	              (double)cnt[T_COMPLETED] /
	                  (double)(nref - cnt[T_CANCELLED])) < 1e-12);
	TEST_EQ(st.accepted, nacc);
	TEST_EQ(st.accept_median_ms, ref_pct(acc, nacc, 50));
	TEST_EQ(st.accept_p90_ms, ref_pct(acc, nacc, 90));
	TEST_TRUE(
	    fabs(st.accept_mean_ms - (double)accsum / (double)nacc) < 1e-3);
	TEST_EQ(st.seen_median_ms, ref_pct(seen, nseen, 50));
	TEST_EQ(st.seen_p90_ms, ref_pct(seen, nseen, 90));
	/* rejected and failed are distinct, and both occur */
	TEST_TRUE(st.rejected > 0 && st.failed > 0);
	printf("  %zu referrals, %zu facts: completion %.4f, accept median "
	       "%" PRIu64 " ms p90 %" PRIu64 " ms, seen median %" PRIu64
	       " ms p90 %" PRIu64 " ms\n",
	    nref, g.n, st.completion_rate, st.accept_median_ms,
	    st.accept_p90_ms, st.seen_median_ms, st.seen_p90_ms);
out:
	free(acc);
	free(seen);
	free(g.f);
	return err;
}

static int
test_fold(void)
{
	struct referral_step s[4];
	struct referral_fold fo;
	int err = 0;

	/* nothing yet: requested */
	referral_fold(s, 0, &fo);
	TEST_EQ(fo.state, REF_REQUESTED);
	/* out of order: the latest by HLC wins */
	s[0] = (struct referral_step){ 3, REF_ACCEPTED, REF_ACCEPTED, 30 };
	s[1] = (struct referral_step){ 2, REF_RECEIVED, REF_RECEIVED, 20 };
	referral_fold(s, 2, &fo);
	TEST_EQ(fo.state, REF_ACCEPTED);
	TEST_EQ(fo.accepted_ms, 30);
	TEST_EQ(fo.received_ms, 20);
	TEST_TRUE(!referral_followup_due(&fo, 100, 99));
	TEST_TRUE(referral_followup_due(&fo, 100, 101));
	/* seen stands against a later cancel */
	s[0] = (struct referral_step){ 5, REF_COMPLETED, REF_COMPLETED, 50 };
	s[1] = (struct referral_step){ 6, REF_CANCELLED, REF_CANCELLED, 60 };
	referral_fold(s, 2, &fo);
	TEST_EQ(fo.state, REF_COMPLETED);
	TEST_EQ(fo.seen_ms, 50);
	TEST_TRUE(!referral_followup_due(&fo, 10, 1000));
	/* follow-up outcomes */
	s[0] = (struct referral_step){ 5, REF_FOLLOW_UP,
		referral_outcome_state("died"), 50 };
	referral_fold(s, 1, &fo);
	TEST_EQ(fo.state, REF_FAILED);
	TEST_TRUE(fo.followed_up && !fo.self_reported);
	TEST_TRUE(!referral_followup_due(&fo, 10, 1000));
	s[0].outcome_state = referral_outcome_state("seen-elsewhere");
	referral_fold(s, 1, &fo);
	TEST_EQ(fo.state, REF_COMPLETED);
	TEST_TRUE(fo.self_reported);
	TEST_EQ(fo.seen_ms, 0);
	TEST_EQ(referral_outcome_state("nonsense"), -1);
	/* rejected is not failed */
	s[0] = (struct referral_step){ 5, REF_REJECTED, REF_REJECTED, 50 };
	referral_fold(s, 1, &fo);
	TEST_EQ(fo.state, REF_REJECTED);
	TEST_EQ(fo.rejected_ms, 50);
out:
	return err;
}

static int
test_steps(void)
{
	int err = 0;

	TEST_TRUE(referral_step_ok(REF_REQUESTED, REF_RECEIVED));
	TEST_TRUE(referral_step_ok(REF_RECEIVED, REF_ACCEPTED));
	TEST_TRUE(referral_step_ok(REF_RECEIVED, REF_REJECTED));
	TEST_TRUE(referral_step_ok(REF_ACCEPTED, REF_IN_PROGRESS));
	TEST_TRUE(referral_step_ok(REF_IN_PROGRESS, REF_COMPLETED));
	TEST_TRUE(referral_step_ok(REF_IN_PROGRESS, REF_FAILED));
	TEST_TRUE(referral_step_ok(REF_ACCEPTED, REF_CANCELLED));
	TEST_TRUE(!referral_step_ok(REF_RECEIVED, REF_RECEIVED));
	TEST_TRUE(!referral_step_ok(REF_REQUESTED, REF_IN_PROGRESS));
	TEST_TRUE(!referral_step_ok(REF_REJECTED, REF_ACCEPTED));
	TEST_TRUE(!referral_step_ok(REF_COMPLETED, REF_CANCELLED));
	TEST_TRUE(!referral_step_ok(REF_IN_PROGRESS, REF_CANCELLED));
	TEST_TRUE(!referral_step_ok(REF_RECEIVED, REF_FAILED));
	TEST_EQ(referral_state_side(REF_ACCEPTED), REFERRAL_TARGET);
	TEST_EQ(referral_state_side(REF_COMPLETED), REFERRAL_TARGET);
	TEST_EQ(referral_state_side(REF_CANCELLED), REFERRAL_REFERRER);
	TEST_EQ(referral_state_side(REF_FOLLOW_UP), REFERRAL_REFERRER);
	TEST_EQ(referral_state_side(REF_REQUESTED), 0);
	TEST_EQ(referral_state_from_name("in-progress"), REF_IN_PROGRESS);
	TEST_EQ(referral_state_from_name("seen"), -1);
	TEST_TRUE(referral_urgency_valid("stat"));
	TEST_TRUE(!referral_urgency_valid("soon"));
out:
	return err;
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
in_set(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static int
test_fhir(void)
{
	static const char *const sr_status[] = { "draft", "active", "on-hold",
		"revoked", "completed", "entered-in-error", "unknown", NULL };
	static const char *const task_status[] = { "draft", "requested",
		"received", "accepted", "rejected", "ready", "cancelled",
		"in-progress", "on-hold", "failed", "completed",
		"entered-in-error", NULL };
	static const char *const intents[] = { "unknown", "proposal", "plan",
		"order", "original-order", "reflex-order", "filler-order",
		"instance-order", "option", NULL };
	struct gen g = { 0 };
	struct rref_fact *f;
	struct buf b;
	json_error_t jerr;
	json_t *root = NULL, *entries, *e, *res;
	size_t i, nsr = 0, ntask = 0;
	char ref[3][UUID_STRLEN + 1];
	int err = 0, k;

	buf_init(&b, 1 << 20);
	for (k = 0; k < 3; k++) {
		f = gen_add(&g, "", 1, REF_REQUESTED, 1780000000000ULL + k);
		snprintf(ref[k], sizeof(ref[k]), "%s", f->id);
		snprintf(f->referral, sizeof(f->referral), "%s", f->id);
		snprintf(f->patient, sizeof(f->patient), "%s", f->id);
		snprintf(f->from, sizeof(f->from), "clinic-a");
		snprintf(f->target, sizeof(f->target), "hospital \"b\"");
		snprintf(f->urgency, sizeof(f->urgency), "urgent");
		snprintf(f->role, sizeof(f->role), "chw");
		snprintf(f->reason, sizeof(f->reason),
		    "fever 5 days, \"stiff\" neck \\ caf\xc3\xa9\n");
		f->due_ms = 1780000000000ULL + 86400000ULL;
	}
	f = gen_add(&g, ref[1], 0, REF_REJECTED, 1780000001000ULL);
	snprintf(f->state_reason, sizeof(f->state_reason), "no bed");
	snprintf(f->from, sizeof(f->from), "clinic-a");
	snprintf(f->target, sizeof(f->target), "hospital \"b\"");
	f = gen_add(&g, ref[2], 0, REF_COMPLETED, 1780000002000ULL);
	snprintf(f->from, sizeof(f->from), "clinic-a");
	snprintf(f->target, sizeof(f->target), "hospital \"b\"");
	TEST_ERR(rref_fhir_bundle(g.f, g.n, &b));
	TEST_ERR(buf_append_byte(&b, 0));
	root = json_loads((const char *)b.data, 0, &jerr);
	if (root == NULL)
		TEST_FAILED("the bundle does not parse: %s (line %d)",
		    jerr.text, jerr.line);
	TEST_STR(jstr(root, "resourceType"), "Bundle");
	TEST_STR(jstr(root, "type"), "collection");
	entries = json_object_get(root, "entry");
	TEST_TRUE(json_is_array(entries));
	TEST_EQ(json_array_size(entries), 6);
	json_array_foreach(entries, i, e)
	{
		const char *type;

		res = json_object_get(e, "resource");
		TEST_TRUE(json_is_object(res));
		TEST_TRUE(jstr(e, "fullUrl") != NULL);
		type = jstr(res, "resourceType");
		TEST_TRUE(type != NULL && jstr(res, "id") != NULL);
		TEST_TRUE(in_set(jstr(res, "intent"), intents));
		if (strcmp(type, "ServiceRequest") == 0) {
			nsr++;
			TEST_TRUE(in_set(jstr(res, "status"), sr_status));
			TEST_TRUE(jstr(json_object_get(res, "subject"),
			              "reference") != NULL);
			TEST_STR(jstr(res, "priority"), "urgent");
			TEST_TRUE(
			    strstr(
			        jstr(json_array_get(
			                 json_object_get(res, "reasonCode"), 0),
			            "text"),
			        "\"stiff\"") != NULL);
		} else if (strcmp(type, "Task") == 0) {
			const char *focus;

			ntask++;
			TEST_TRUE(in_set(jstr(res, "status"), task_status));
			focus =
			    jstr(json_object_get(res, "focus"), "reference");
			TEST_TRUE(focus != NULL &&
			    strncmp(focus, "ServiceRequest/", 15) == 0);
			TEST_TRUE(
			    json_is_object(json_object_get(res, "owner")));
			TEST_TRUE(jstr(json_object_get(res, "for"),
			              "reference") != NULL);
			if (strstr(focus, ref[1]) != NULL) {
				TEST_STR(jstr(res, "status"), "rejected");
				TEST_STR(
				    jstr(json_object_get(res, "statusReason"),
				        "text"),
				    "no bed");
			}
			if (strstr(focus, ref[2]) != NULL)
				TEST_STR(jstr(res, "status"), "completed");
		} else
			TEST_FAILED("unexpected resource %s", type);
	}
	TEST_EQ(nsr, 3);
	TEST_EQ(ntask, 3);
out:
	if (root != NULL)
		json_decref(root);
	buf_free(&b);
	free(g.f);
	return err;
}

TEST_MAIN({ "accounting", test_accounting }, { "fold", test_fold },
    { "steps", test_steps }, { "fhir", test_fhir })
