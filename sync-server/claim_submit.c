/*
 * Claim submission (issue 15): the neutral claim record (the claims
 * table, work/claims.h's claim_row) sent through one adapter, an
 * openIMIS-style FHIR R4 Claim over HTTP(S) with libcurl, to the payer's
 * configured endpoint.
 *
 *   POST {endpoint}/Claim          the Claim (its identifier: the claim's
 *                                  business id, stable for its life), a
 *                                  fresh X-Request-Id per attempt
 *   GET  {endpoint}/Claim?identifier=BUSINESS-ID   its status
 *
 * The claim is "submitted" before the POST leaves, so a server killed
 * after sending never sends it as new again: a "submitted" claim is first
 * asked for (GET); a payer's "duplicate" answer (409) means it already
 * has it, so its status is asked for, and no second claim is made.  The
 * payer's ClaimResponse outcome "complete" is accepted, "error" rejected,
 * "queued"/"partial" as said; no answer (timeout, 5xx) leaves the claim
 * "queued" for the next run.  Each move is a claim event (append-only).
 */
#define LOG_MODULE "claim_submit"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "log.h"
#include "str.h"
#include "uuid.h"
#include "xmalloc.h"
#include "sync-server/claim_build.h"
#include "sync-server/claim_submit.h"

#define SUBMIT_BODY_MAX (64 * 1024)

static size_t
submit_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, p, size * n) != 0)
		return 0; /* too big: the transfer fails */
	return size * n;
}

/* One exchange: *STATUS the HTTP status (0: no answer), OUT the body. */
static int
submit_http(const char *url, const struct buf *body, long timeout_ms,
    long *status, struct buf *out)
{
	struct curl_slist *h = NULL;
	struct uuid u;
	char rid[UUID_STRLEN + 1], hdr[64 + UUID_STRLEN];
	CURL *c;
	CURLcode rc;

	*status = 0;
	if ((c = curl_easy_init()) == NULL)
		return ENOMEM;
	uuid_v7(&u);
	uuid_format(&u, rid);
	snprintf(hdr, sizeof(hdr), "X-Request-Id: %s", rid);
	h = curl_slist_append(h, hdr);
	h = curl_slist_append(h, "Accept: application/fhir+json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/fhir+json");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDS, (const char *)body->data);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, submit_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		log_warnx("payer %s: %s", url, curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc == CURLE_OK                ? 0
	    : rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
	                                     : ECONNREFUSED;
}

/* The claim status a ClaimResponse body says: "accepted", "rejected",
 * "queued", "partial"; NULL when it says none. */
static const char *
submit_outcome(const struct buf *b)
{
	json_t *j = json_loadb((const char *)b->data, b->len, 0, NULL);
	const char *o, *out = NULL;

	if (j == NULL)
		return NULL;
	o = json_string_value(json_object_get(j, "outcome"));
	if (o != NULL && strcmp(o, "complete") == 0)
		out = "accepted";
	else if (o != NULL && strcmp(o, "error") == 0)
		out = "rejected";
	else if (o != NULL && strcmp(o, "partial") == 0)
		out = "partial";
	else if (o != NULL && strcmp(o, "queued") == 0)
		out = "queued";
	json_decref(j);
	return out;
}

/* Ask the payer for BID's status: *TO set when it knows the claim. */
static int
submit_query(const struct claim_payer *p, const char *bid, long timeout_ms,
    const char **to, struct claim_submit_stats *st)
{
	struct buf out;
	char *url = NULL;
	long status;
	int err;

	*to = NULL;
	buf_init(&out, SUBMIT_BODY_MAX);
	xasprintf(&url, "%s/Claim?identifier=%s", p->endpoint, bid);
	st->queried++;
	if ((err = submit_http(url, NULL, timeout_ms, &status, &out)) == 0 &&
	    status == 200)
		*to = submit_outcome(&out);
	free(url);
	buf_free(&out);
	return err;
}

struct submit_list {
	struct sclaim *v;
	size_t n;
};

static void
submit_list_cb(const struct sclaim *c, void *arg)
{
	struct submit_list *l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = *c;
}

static int
submit_one(const struct claim_ctx *c, const struct sclaim *cl, long timeout_ms,
    struct claim_submit_stats *st)
{
	struct claim_payer p;
	struct claim_row r;
	struct buf body, out;
	const char *to = NULL;
	char *url = NULL, why[96];
	long status = 0;
	int err;

	if (claim_payer_get(c, cl->payer, &p) != 0 || p.endpoint[0] == '\0')
		return 0; /* no adapter configured: it stays as it is */
	if (strcmp(cl->status, "submitted") == 0) {
		/* sent before, answer unknown: ask first, never re-create */
		if (submit_query(&p, cl->business_id, timeout_ms, &to, st) ==
		        0 &&
		    to != NULL)
			goto done;
	} else if ((err = c->be->claim_status(c->st, cl->business_id,
	                cl->status, "submitted", "sent to the payer",
	                c->now_ms)) != 0)
		return err == EALREADY ? 0 : err;
	claim_row_from(cl, &r);
	buf_init(&body, SUBMIT_BODY_MAX);
	buf_init(&out, SUBMIT_BODY_MAX);
	if ((err = claim_fhir(&r, &body)) != 0)
		goto out;
	xasprintf(&url, "%s/Claim", p.endpoint);
	st->sent++;
	err = submit_http(url, &body, timeout_ms, &status, &out);
	if (err == 0 && status == 409) {
		/* the payer has it already: its status, not a new claim */
		st->duplicates++;
		err = submit_query(&p, cl->business_id, timeout_ms, &to, st);
	} else if (err == 0 && status >= 200 && status < 300)
		to = submit_outcome(&out);
	else if (err == 0 && status >= 400 && status < 500)
		to = "rejected";
	err = 0;
out:
	free(url);
	buf_free(&body);
	buf_free(&out);
	if (err != 0)
		return err;
done:
	if (to == NULL)
		to = "queued"; /* no usable answer: the next run asks */
	snprintf(why, sizeof(why), "payer answered %ld", status);
	if (strcmp(to, "accepted") == 0)
		st->accepted++;
	else if (strcmp(to, "rejected") == 0)
		st->rejected++;
	else
		st->queued++;
	return c->be->claim_status(c->st, cl->business_id, "submitted",
	    strcmp(to, "queued") == 0 ? "queued" : to, why, c->now_ms);
}

int
claim_submit(
    const struct claim_ctx *c, long timeout_ms, struct claim_submit_stats *st)
{
	static const char *const due[] = { "ready", "approved", "submitted",
		"queued" };
	struct submit_list l = { 0 };
	struct sclaimq q = { 0 };
	size_t i, k;
	int err = 0;

	memset(st, 0, sizeof(*st));
	for (k = 0; k < sizeof(due) / sizeof(due[0]) && err == 0; k++) {
		q.status = due[k];
		err = c->be->claims_list(c->st, &q, submit_list_cb, &l);
	}
	for (i = 0; i < l.n && err == 0; i++)
		err = submit_one(c, &l.v[i], timeout_ms, st);
	free(l.v);
	return err;
}
