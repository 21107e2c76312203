/*
 * Referral accounting and FHIR export of referral.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "json.h"
#include "record.h"
#include "model/referral.h"
#include "sync-server/work/referral.h"
#include "xmalloc.h"

static void
copy_text(const struct model_rec *r, uint64_t key, char *dst, size_t sz)
{
	const struct model_value *v = model_get(r, key);

	dst[0] = '\0';
	if (v != NULL && !v->null && v->text != NULL)
		snprintf(dst, sz, "%s", v->text);
}

static uint64_t
get_uint(const struct model_rec *r, uint64_t key)
{
	const struct model_value *v = model_get(r, key);

	return v != NULL && !v->null ? v->u : 0;
}

int
rref_fact_read(const struct model_rec *r, struct rref_fact *f)
{
	char kind[16], state[32];

	memset(f, 0, sizeof(*f));
	copy_text(r, REC_REF_KIND, kind, sizeof(kind));
	snprintf(f->id, sizeof(f->id), "%s", r->id);
	copy_text(r, REC_REF_REFERRAL, f->referral, sizeof(f->referral));
	f->hlc = r->hlc;
	f->at_ms = get_uint(r, REC_REF_AT);
	copy_text(r, REC_REF_PATIENT, f->patient, sizeof(f->patient));
	copy_text(r, REC_REF_FROM, f->from, sizeof(f->from));
	copy_text(r, REC_REF_TARGET, f->target, sizeof(f->target));
	copy_text(
	    r, REC_REF_STATE_REASON, f->state_reason, sizeof(f->state_reason));
	if (f->referral[0] == '\0')
		return EINVAL;
	if (strcmp(kind, "request") == 0) {
		f->request = 1;
		f->state = REF_REQUESTED;
		f->due_ms = get_uint(r, REC_REF_DUE);
		copy_text(r, REC_REF_URGENCY, f->urgency, sizeof(f->urgency));
		copy_text(r, REC_REF_REQ_ROLE, f->role, sizeof(f->role));
		copy_text(
		    r, REC_REF_REQUESTER, f->requester, sizeof(f->requester));
		copy_text(r, REC_REF_REASON, f->reason, sizeof(f->reason));
		return 0;
	}
	if (strcmp(kind, "step") != 0)
		return EINVAL;
	copy_text(r, REC_REF_STATE, state, sizeof(state));
	copy_text(r, REC_REF_OUTCOME, f->outcome, sizeof(f->outcome));
	if ((f->state = referral_state_from_name(state)) <= REF_REQUESTED)
		return EINVAL;
	f->outcome_state = f->state == REF_FOLLOW_UP
	    ? referral_outcome_state(f->outcome)
	    : f->state;
	return f->state == REF_FOLLOW_UP && f->outcome_state < 0 ? EINVAL : 0;
}

/* Requests first, then by referral, then by HLC. */
static int
fact_cmp(const void *a, const void *b)
{
	const struct rref_fact *x = a, *y = b;
	int c;

	if ((c = strcmp(x->referral, y->referral)) != 0)
		return c;
	if (x->request != y->request)
		return y->request - x->request;
	return x->hlc < y->hlc ? -1 : x->hlc > y->hlc;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t
rref_percentile(const uint64_t *sorted, size_t k, unsigned p)
{
	size_t rank;

	if (k == 0 || p == 0)
		return 0;
	rank = ((size_t)p * k + 99) / 100;
	return sorted[(rank > k ? k : rank) - 1];
}

/* STEP is one of REQ's steps: it names the request's facilities (the
 * server checked the step's side against the names it carries, so a
 * step naming others is another facility's claim, not this Task's). */
static int
step_of(const struct rref_fact *req, const struct rref_fact *step)
{
	return strcmp(req->from, step->from) == 0 &&
	    strcmp(req->target, step->target) == 0;
}

/* The referral whose request is at FACTS[0], with its steps up to END:
 * its fold. */
static void
fold_one(const struct rref_fact *facts, size_t end, struct referral_fold *fo)
{
	struct referral_step *steps;
	size_t i, n = 0;

	steps = xcalloc(end ? end : 1, sizeof(*steps));
	for (i = 1; i < end; i++) {
		if (!step_of(&facts[0], &facts[i]))
			continue;
		steps[n].hlc = facts[i].hlc;
		steps[n].state = facts[i].state;
		steps[n].outcome_state = facts[i].outcome_state;
		steps[n].at_ms = facts[i].at_ms;
		n++;
	}
	referral_fold(steps, n, fo);
	free(steps);
}

/* Steps of a referral from I: how many facts share FACTS[I]'s referral. */
static size_t
group_end(const struct rref_fact *facts, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && strcmp(facts[j].referral, facts[i].referral) == 0)
		j++;
	return j;
}

static uint64_t
since(uint64_t to, uint64_t from)
{
	return to > from ? to - from : 0;
}

void
rref_stats(
    struct rref_fact *facts, size_t n, uint64_t now_ms, struct rref_stats *out)
{
	struct referral_fold fo;
	uint64_t *acc, *seen, accsum = 0;
	size_t i, j, nacc = 0, nseen = 0;

	memset(out, 0, sizeof(*out));
	if (n > 1)
		qsort(facts, n, sizeof(*facts), fact_cmp);
	acc = xcalloc(n ? n : 1, sizeof(*acc));
	seen = xcalloc(n ? n : 1, sizeof(*seen));
	for (i = 0; i < n; i = j) {
		j = group_end(facts, n, i);
		if (!facts[i].request) {
			out->orphan_steps += j - i;
			continue;
		}
		out->issued++;
		fold_one(&facts[i], j - i, &fo);
		if (fo.followed_up)
			out->followed_up++;
		if (fo.state == REF_CANCELLED) {
			out->cancelled++;
			continue;
		}
		if (fo.accepted_ms != 0) {
			acc[nacc] = since(fo.accepted_ms, facts[i].at_ms);
			accsum += acc[nacc++];
		}
		switch (fo.state) {
		case REF_COMPLETED:
			if (fo.self_reported)
				out->self_reported++;
			else {
				out->completed++;
				seen[nseen++] =
				    since(fo.seen_ms, facts[i].at_ms);
			}
			break;
		case REF_REJECTED:
			out->rejected++;
			break;
		case REF_FAILED:
			out->failed++;
			break;
		default:
			out->open++;
			if (referral_followup_due(&fo, facts[i].due_ms, now_ms))
				out->followup_due++;
		}
	}
	out->counted = out->issued - out->cancelled;
	if (out->counted > 0)
		out->completion_rate =
		    (double)out->completed / (double)out->counted;
	out->accepted = nacc;
	qsort(acc, nacc, sizeof(*acc), u64_cmp);
	qsort(seen, nseen, sizeof(*seen), u64_cmp);
	out->accept_median_ms = rref_percentile(acc, nacc, 50);
	out->accept_p90_ms = rref_percentile(acc, nacc, 90);
	out->accept_mean_ms = nacc ? (double)accsum / (double)nacc : 0;
	out->seen_median_ms = rref_percentile(seen, nseen, 50);
	out->seen_p90_ms = rref_percentile(seen, nseen, 90);
	free(acc);
	free(seen);
}

/* --- FHIR R4 --- */

static void
iso8601(uint64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%03dZ", (int)(ms % 1000));
}

/* "KEY": "VALUE", */
static int
kv(struct buf *b, const char *key, const char *val)
{
	int err;

	if ((err = buf_printf(b, "\"%s\":", key)) != 0 ||
	    (err = json_str(b, val)) != 0)
		return err;
	return buf_append_byte(b, ',');
}

static int
reference(struct buf *b, const char *key, const char *type, const char *id)
{
	int err;

	if ((err = buf_printf(b, "\"%s\":{\"reference\":\"%s/", key, type)) !=
	        0 ||
	    (err = buf_printf(b, "%s\"},", id)) != 0)
		return err;
	return 0;
}

/* An Organization named by its facility code, as an identifier. */
static int
organisation(struct buf *b, const char *key, const char *facility)
{
	int err;

	if ((err = buf_printf(b,
	         "\"%s\":{\"type\":\"Organization\",\"identifier\":{"
	         "\"system\":\"urn:outpost:facility\",\"value\":",
	         key)) != 0 ||
	    (err = json_str(b, facility)) != 0)
		return err;
	return buf_append(b, "}},", 3);
}

static const char *
sr_status(int task)
{
	switch (task) {
	case REF_COMPLETED:
		return "completed";
	case REF_CANCELLED:
	case REF_REJECTED:
	case REF_FAILED:
		return "revoked";
	default:
		return "active";
	}
}

static int
fhir_one(const struct rref_fact *req, const struct referral_fold *fo,
    const struct rref_fact *last, struct buf *b)
{
	char when[32], due[32], upd[32];
	int err = 0;

	iso8601(req->at_ms, when, sizeof(when));
	iso8601(req->due_ms, due, sizeof(due));
	iso8601(last->at_ms, upd, sizeof(upd));
	/* ServiceRequest: status, intent and subject are required (1..1) */
	if ((err = buf_printf(b,
	         "{\"fullUrl\":\"urn:uuid:%s\",\"resource\":{"
	         "\"resourceType\":\"ServiceRequest\",\"id\":\"%s\",",
	         req->referral, req->referral)) != 0 ||
	    (err = kv(b, "status", sr_status(fo->state))) != 0 ||
	    (err = kv(b, "intent", "order")) != 0 ||
	    (err = kv(b, "priority", req->urgency)) != 0 ||
	    (err = reference(b, "subject", "Patient", req->patient)) != 0 ||
	    (err = kv(b, "authoredOn", when)) != 0 ||
	    (err = reference(b, "requester", "Practitioner",
	         req->requester[0] ? req->requester : "unknown")) != 0 ||
	    (err = buf_printf(
	         b, "\"occurrencePeriod\":{\"end\":\"%s\"},", due)) != 0 ||
	    (err = buf_printf(b, "\"reasonCode\":[{\"text\":")) != 0 ||
	    (err = json_str(b, req->reason)) != 0 ||
	    (err = buf_printf(b,
	         "}],\"performer\":[{\"identifier\":{"
	         "\"system\":\"urn:outpost:facility\","
	         "\"value\":")) != 0 ||
	    (err = json_str(b, req->target)) != 0 ||
	    (err = buf_printf(b, "}}],\"category\":[{\"text\":")) != 0 ||
	    (err = json_str(b, req->role)) != 0 ||
	    (err = buf_printf(b, "}]}},")) != 0)
		return err;
	/* Task: status and intent are required (1..1) */
	if ((err = buf_printf(b,
	         "{\"fullUrl\":\"urn:uuid:task-%s\",\"resource\":{"
	         "\"resourceType\":\"Task\",\"id\":\"task-%s\",",
	         req->referral, req->referral)) != 0 ||
	    (err = kv(b, "status", referral_state_name(fo->state))) != 0 ||
	    (err = kv(b, "intent", "order")) != 0 ||
	    (err = kv(b, "priority", req->urgency)) != 0 ||
	    (err = reference(b, "focus", "ServiceRequest", req->referral)) !=
	        0 ||
	    (err = reference(b, "for", "Patient", req->patient)) != 0 ||
	    (err = kv(b, "authoredOn", when)) != 0 ||
	    (err = kv(b, "lastModified", upd)) != 0 ||
	    (err = organisation(b, "requester", req->from)) != 0 ||
	    (err = organisation(b, "owner", req->target)) != 0 ||
	    (err = buf_printf(
	         b, "\"restriction\":{\"period\":{\"end\":\"%s\"}}", due)) != 0)
		return err;
	if (last->state_reason[0] != '\0') {
		if ((err = buf_printf(b, ",\"statusReason\":{\"text\":")) !=
		        0 ||
		    (err = json_str(b, last->state_reason)) != 0 ||
		    (err = buf_append_byte(b, '}')) != 0)
			return err;
	}
	if (last->outcome[0] != '\0' || fo->state == REF_COMPLETED) {
		if ((err = buf_printf(b, ",\"businessStatus\":{\"text\":")) !=
		        0 ||
		    (err = json_str(
		         b, last->outcome[0] ? last->outcome : "seen")) != 0 ||
		    (err = buf_append_byte(b, '}')) != 0)
			return err;
	}
	return buf_printf(b, "}}");
}

int
rref_fhir_bundle(struct rref_fact *facts, size_t n, struct buf *b)
{
	struct referral_fold fo;
	size_t i, j;
	int err, first = 1;

	if (n > 1)
		qsort(facts, n, sizeof(*facts), fact_cmp);
	if ((err = buf_printf(b,
	         "{\"resourceType\":\"Bundle\","
	         "\"type\":\"collection\",\"entry\":[")) != 0)
		return err;
	for (i = 0; i < n; i = j) {
		j = group_end(facts, n, i);
		if (!facts[i].request)
			continue;
		fold_one(&facts[i], j - i, &fo);
		if (!first && (err = buf_append_byte(b, ',')) != 0)
			return err;
		first = 0;
		/* facts[i..j) are by HLC after fact_cmp: the last step is
		 * j - 1 (the request itself when there is none) */
		if ((err = fhir_one(&facts[i], &fo, &facts[j - 1], b)) != 0)
			return err;
	}
	return buf_printf(b, "]}\n");
}
