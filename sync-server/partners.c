/*
 * CAP 1.2 and FHIR R4 for a region's partners (partners.h; issue 16,
 * research emergency.md §1.1, §1.3, §7.5): the messages queued in the
 * store as the incident moves, a worker delivering them with backoff.
 * No patient data in logs: partner ids, message ids, HTTP statuses.
 */
#define LOG_MODULE "partners"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "escalate/cap.h"
#include "escalate/fhir.h"
#include "log.h"
#include "sync-server/partners.h"
#include "sync-server/server.h"
#include "uuid.h"
#include "xmalloc.h"

#define PARTNERS_MAX 32 /* partners of one region one pass looks at */

static long partner_timeout_ms = 10000;

void
partners_timeout_ms(long ms)
{
	partner_timeout_ms = ms > 0 ? ms : 10000;
}

/* --- documents ------------------------------------------------------------ */

static void
note_of(const struct semerg *e, uint64_t seq, char *out, size_t size)
{
	if (seq == PARTNER_SEQ_ALERT)
		snprintf(out, size, "Paging level 1");
	else if (seq == PARTNER_SEQ_ACK)
		snprintf(out, size, "Acknowledged by %s, ETA %" PRIu64 " min",
		    e->acked_by[0] ? e->acked_by : "a responder", e->eta_min);
	else if (seq == PARTNER_SEQ_ARRIVED)
		snprintf(out, size, "Help arrived");
	else if (seq == PARTNER_SEQ_CANCEL)
		snprintf(out, size, "Cancelled by the health worker");
	else
		snprintf(out, size, "Paging level %" PRIu64 " of loop %" PRIu64,
		    (seq - 2) % 8 + 1, (seq - 2) / 8 + 1);
}

/* A FHIR id's characters, or "unknown". */
static const char *
fhir_site(const struct esc_roster *r)
{
	const char *s = r != NULL ? r->site_id : "";

	if (s[0] == '\0' ||
	    strspn(s,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789-.") != strlen(s))
		return "unknown";
	return s;
}

int
partners_doc(const struct semerg *e, const struct esc_roster *r,
    const char *format, const char *addresses, uint64_t seq, uint64_t sent_ms,
    char **out)
{
	struct uuid u;
	char id[UUID_STRLEN + 1], note[96], sender[48], summary[200];

	*out = NULL;
	memcpy(u.b, e->id, 16);
	uuid_format(&u, id);
	note_of(e, seq, note, sizeof(note));
	snprintf(sender, sizeof(sender), "outpost-node-%" PRIu64, e->node);
	if (e->page[0] != '\0')
		snprintf(summary, sizeof(summary), "%s", e->page);
	else
		snprintf(
		    summary, sizeof(summary), "Medical emergency %s", e->code);
	if (strcmp(format, "cap") == 0) {
		struct esc_cap_in in;

		memset(&in, 0, sizeof(in));
		in.uuid = id;
		in.code = e->code;
		in.sender = sender;
		in.addresses = addresses;
		in.type = seq == PARTNER_SEQ_ALERT ? ESC_CAP_ALERT
		    : seq == PARTNER_SEQ_CANCEL    ? ESC_CAP_CANCEL
		                                   : ESC_CAP_UPDATE;
		in.seq = (int)seq;
		in.sent_ms = (int64_t)sent_ms;
		in.first_ms = (int64_t)e->raised_ms;
		in.summary = summary;
		if (r != NULL) {
			in.site = r->landmark[0] ? r->landmark : r->site_id;
			in.has_pos = 1;
			in.lat = r->lat;
			in.lon = r->lon;
		}
		in.note = seq == PARTNER_SEQ_ALERT ? NULL : note;
		return esc_cap_build(&in, out);
	}
	if (strcmp(format, "fhir") == 0) {
		struct esc_fhir_in in;
		struct esc_fhir_msg m;

		memset(&in, 0, sizeof(in));
		memset(&m, 0, sizeof(m));
		m.recipient = addresses;
		m.sent_ms = (int64_t)sent_ms;
		m.text = note;
		m.seq = (int)seq;
		in.uuid = id;
		in.code = e->code;
		in.site_id = fhir_site(r);
		in.raised_ms = (int64_t)e->raised_ms;
		in.active =
		    seq != PARTNER_SEQ_ARRIVED && seq != PARTNER_SEQ_CANCEL;
		in.summary = summary;
		in.nmsg = 1;
		in.msg = &m;
		in.transaction = 1;
		return esc_fhir_bundle(&in, out);
	}
	return EINVAL;
}

/* --- queueing ------------------------------------------------------------- */

struct plist {
	size_t n;
	struct spartner p[PARTNERS_MAX];
};

static int
plist_cb(const struct spartner *p, void *arg)
{
	struct plist *l = arg;

	if (l->n < PARTNERS_MAX)
		l->p[l->n++] = *p;
	return 0;
}

struct held {
	size_t n;
	struct {
		uint64_t partner, seq;
	} k[256];
};

static int
held_cb(const struct spq *q, void *arg)
{
	struct held *h = arg;

	if (h->n < 256) {
		h->k[h->n].partner = q->partner;
		h->k[h->n].seq = q->seq;
		h->n++;
	}
	return 0;
}

static int
is_held(const struct held *h, uint64_t partner, uint64_t seq)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->k[i].partner == partner && h->k[i].seq == seq)
			return 1;
	return 0;
}

/* The messages E's state calls for, in order, into SEQ (at most 4), and
 * the time each is about. */
static int
wanted(const struct semerg *e, uint64_t now_ms, uint64_t seq[4], uint64_t at[4])
{
	int n = 0,
	    closed = strcmp(e->state, "arrived") == 0 ||
	    strcmp(e->state, "cancelled") == 0;

	if (strcmp(e->state, "confirming") == 0 || e->state[0] == '\0')
		return 0; /* the confirm window: nothing sent yet */
	seq[n] = PARTNER_SEQ_ALERT;
	at[n++] = e->raised_ms ? e->raised_ms : now_ms;
	if (!closed && e->loop >= 1 && e->level < 8 &&
	    (e->loop > 1 || e->level > 0) && e->acked_ms == 0) {
		seq[n] = PARTNER_SEQ_LEVEL(e->loop, e->level);
		at[n++] = now_ms;
	}
	if (e->acked_ms != 0 || strcmp(e->state, "acknowledged") == 0) {
		seq[n] = PARTNER_SEQ_ACK;
		at[n++] = e->acked_ms ? e->acked_ms : now_ms;
	}
	if (strcmp(e->state, "arrived") == 0) {
		seq[n] = PARTNER_SEQ_ARRIVED;
		at[n++] = e->arrived_ms ? e->arrived_ms
		    : e->ended_ms       ? e->ended_ms
		                        : now_ms;
	} else if (strcmp(e->state, "cancelled") == 0) {
		seq[n] = PARTNER_SEQ_CANCEL;
		at[n++] = e->ended_ms ? e->ended_ms : now_ms;
	}
	return n;
}

int
partners_note(struct server *srv, const struct semerg *e,
    const struct esc_roster *r, uint64_t now_ms, int *added)
{
	struct plist *pl = xcalloc(1, sizeof(*pl));
	struct held *h = xcalloc(1, sizeof(*h));
	struct snode node;
	struct spq q;
	uint64_t seq[4], at[4];
	char addr[40], *doc = NULL;
	size_t i;
	int n, k, err;

	if (added != NULL)
		*added = 0;
	if ((n = wanted(e, now_ms, seq, at)) == 0) {
		err = 0;
		goto out;
	}
	if ((err = srv->be->node_get(srv->store, e->node, &node)) != 0) {
		err = err == ENOENT ? 0 : err; /* no region: no partners */
		goto out;
	}
	if ((err = srv->be->partner_list(
	         srv->store, node.region, plist_cb, pl)) != 0 ||
	    pl->n == 0)
		goto out;
	if ((err = srv->be->pq_list(srv->store, e->id, 0, held_cb, h)) != 0)
		goto out;
	for (i = 0; i < pl->n; i++) {
		/* a partner that never had the Alert is not told of a close
		 * (it never knew; the kiosk's own channels did the work) */
		if (!is_held(h, pl->p[i].id, PARTNER_SEQ_ALERT) &&
		    (strcmp(e->state, "arrived") == 0 ||
		        strcmp(e->state, "cancelled") == 0))
			continue;
		snprintf(addr, sizeof(addr), "partner-%" PRIu64, pl->p[i].id);
		for (k = 0; k < n; k++) {
			if (is_held(h, pl->p[i].id, seq[k]))
				continue;
			err = partners_doc(
			    e, r, pl->p[i].format, addr, seq[k], at[k], &doc);
			if (err != 0) {
				log_warnx("incident %s: partner %" PRIu64
				          ": message %" PRIu64
				          " not built (%s)",
				    e->code, pl->p[i].id, seq[k],
				    strerror(err));
				err = 0;
				continue;
			}
			memset(&q, 0, sizeof(q));
			q.partner = pl->p[i].id;
			memcpy(q.incident, e->id, 16);
			q.seq = seq[k];
			snprintf(q.kind, sizeof(q.kind), "%s",
			    seq[k] == PARTNER_SEQ_ALERT        ? "Alert"
			        : seq[k] == PARTNER_SEQ_CANCEL ? "Cancel"
			                                       : "Update");
			snprintf(q.status, sizeof(q.status), "pending");
			q.next_ms = q.created_ms = q.updated_ms = now_ms;
			q.body = doc;
			err = srv->be->pq_add(srv->store, &q);
			free(doc);
			doc = NULL;
			if (err == EEXIST)
				err = 0; /* another thread queued it */
			else if (err != 0)
				goto out;
			else if (added != NULL)
				(*added)++;
		}
	}
out:
	explicit_bzero(pl, sizeof(*pl));
	free(pl);
	free(h);
	return err;
}

/* --- delivery ------------------------------------------------------------- */

struct due {
	size_t n;
	struct spq q[PQ_DUE_MAX];
};

static int
due_cb(const struct spq *q, void *arg)
{
	struct due *d = arg;

	if (d->n < PQ_DUE_MAX) {
		d->q[d->n] = *q;
		d->q[d->n].body = xstrdup(q->body);
		d->n++;
	}
	return 0;
}

struct earlier {
	const struct spq *q;
	int pending;
};

static int
earlier_cb(const struct spq *q, void *arg)
{
	struct earlier *x = arg;

	if (q->partner == x->q->partner && q->seq < x->q->seq &&
	    strcmp(q->status, "pending") == 0)
		x->pending = 1;
	return 0;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST BODY to P: the HTTP status, or 0 with *WHY (no answer). */
static long
post(const struct spartner *p, const struct spq *q, const char **why)
{
	struct curl_slist *h = NULL;
	struct uuid u;
	char hdr[128], id[UUID_STRLEN + 1];
	long status = 0;
	CURLcode rc;
	CURL *c;

	*why = "no memory";
	if ((c = curl_easy_init()) == NULL)
		return 0;
	memcpy(u.b, q->incident, 16);
	uuid_format(&u, id);
	h = curl_slist_append(h,
	    strcmp(p->format, "cap") == 0
	        ? "Content-Type: application/cap+xml"
	        : "Content-Type: application/fhir+json");
	/* the same message is the same key: a partner may drop repeats */
	snprintf(
	    hdr, sizeof(hdr), "X-Outpost-Message: %s.%" PRIu64, id, q->seq);
	h = curl_slist_append(h, hdr);
	if (p->secret[0] != '\0') {
		snprintf(
		    hdr, sizeof(hdr), "Authorization: Bearer %s", p->secret);
		h = curl_slist_append(h, hdr);
		explicit_bzero(hdr, sizeof(hdr));
	}
	curl_easy_setopt(c, CURLOPT_URL, p->url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, partner_timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		*why = rc == CURLE_OPERATION_TIMEDOUT ? "timed out"
		    : rc == CURLE_COULDNT_CONNECT     ? "cannot connect"
		                                      : curl_easy_strerror(rc);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static const struct spartner *
partner_of(const struct plist *l, uint64_t id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->p[i].id == id)
			return &l->p[i];
	return NULL;
}

static uint64_t
backoff(uint64_t attempts)
{
	uint64_t ms = PARTNER_BACKOFF_MS;

	while (attempts-- > 1 && ms < PARTNER_BACKOFF_MAX_MS)
		ms *= 2;
	return ms < PARTNER_BACKOFF_MAX_MS ? ms : PARTNER_BACKOFF_MAX_MS;
}

/* Deliver Q (a copy the caller frees) and record what happened. */
static int
deliver_one(struct server *srv, const struct plist *pl, struct spq *q,
    uint64_t now_ms, int *delivered)
{
	const struct spartner *p = partner_of(pl, q->partner);
	struct earlier x = { q, 0 };
	const char *why = "";
	long status;
	int err;

	q->updated_ms = now_ms;
	if (p == NULL || now_ms > q->created_ms + PARTNER_EXPIRE_MS) {
		snprintf(q->status, sizeof(q->status), "expired");
		snprintf(q->last_error, sizeof(q->last_error), "%s",
		    p == NULL ? "no such partner" : "not taken in 24 h");
		log_warnx("partner %" PRIu64 ": message %" PRIu64 " %s",
		    q->partner, q->seq, q->last_error);
		return srv->be->pq_mark(srv->store, q);
	}
	if ((err = srv->be->pq_list(
	         srv->store, q->incident, 0, earlier_cb, &x)) != 0)
		return err;
	if (x.pending)
		return 0; /* in order: the earlier one first */
	q->attempts++;
	status = post(p, q, &why);
	if (status >= 200 && status < 300) {
		snprintf(q->status, sizeof(q->status), "delivered");
		q->last_error[0] = '\0';
		if (delivered != NULL)
			(*delivered)++;
	} else if (status >= 400 && status < 500 && status != 408 &&
	    status != 429) {
		snprintf(q->status, sizeof(q->status), "refused");
		snprintf(
		    q->last_error, sizeof(q->last_error), "HTTP %ld", status);
		log_warnx("partner %" PRIu64 " refused message %" PRIu64
		          " (HTTP %ld): not sent again",
		    q->partner, q->seq, status);
	} else {
		q->next_ms = now_ms + backoff(q->attempts);
		if (status != 0)
			snprintf(q->last_error, sizeof(q->last_error),
			    "HTTP %ld", status);
		else
			snprintf(
			    q->last_error, sizeof(q->last_error), "%s", why);
		log_info("partner %" PRIu64 ": message %" PRIu64
		         " not delivered (%s), attempt %" PRIu64
		         ", again in %" PRIu64 " s",
		    q->partner, q->seq, q->last_error, q->attempts,
		    (q->next_ms - now_ms) / 1000);
	}
	return srv->be->pq_mark(srv->store, q);
}

int
partners_deliver(struct server *srv, uint64_t now_ms, int *delivered)
{
	struct due *d = xcalloc(1, sizeof(*d));
	struct plist *pl = xcalloc(1, sizeof(*pl));
	size_t i;
	int err;

	if (delivered != NULL)
		*delivered = 0;
	if ((err = srv->be->pq_list(srv->store, NULL, now_ms, due_cb, d)) !=
	        0 ||
	    d->n == 0)
		goto out;
	if ((err = srv->be->partner_list(srv->store, "", plist_cb, pl)) != 0)
		goto out;
	for (i = 0; i < d->n && err == 0; i++)
		err = deliver_one(srv, pl, &d->q[i], now_ms, delivered);
out:
	for (i = 0; i < d->n; i++)
		free((char *)d->q[i].body);
	explicit_bzero(pl, sizeof(*pl));
	free(pl);
	free(d);
	return err;
}

/* --- the worker ----------------------------------------------------------- */

struct partners_worker {
	struct server *srv;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	uint32_t tick_ms;
};

static void *
pw_thread(void *arg)
{
	struct partners_worker *w = arg;
	struct timespec ts;
	int err;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		pthread_mutex_unlock(&w->mu);
		if ((err = partners_deliver(w->srv, server_now_ms(), NULL)))
			log_warnx("partner deliveries: %s", strerror(err));
		pthread_mutex_lock(&w->mu);
		if (w->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += w->tick_ms / 1000;
		ts.tv_nsec += (long)(w->tick_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct partners_worker *
partners_start(struct server *srv, uint32_t tick_ms)
{
	struct partners_worker *w = xcalloc(1, sizeof(*w));

	w->srv = srv;
	w->tick_ms = tick_ms ? tick_ms : 1000;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thr, NULL, pw_thread, w) != 0) {
		log_warnx("partner worker not started: CAP/FHIR wait");
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return NULL;
	}
	return w;
}

void
partners_stop(struct partners_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thr, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
